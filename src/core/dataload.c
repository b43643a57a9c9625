/* dataload.c: IDX (MNIST-style) and CIFAR-10 binary files into a Dataset, strictly.
 * Dimensions: N examples; IDX images N x rows x cols bytes (dim = rows * cols) after a 16-byte
 * header, IDX labels N bytes after an 8-byte header; CIFAR-10 N records of 1 + 3072 bytes.
 * Every parser reads from a Src, a stream whose length is known before the first byte is read
 * (fstat for a file, the size of a buffer), so each header is checked against the length
 * before anything is allocated, and the file and the in-memory entry points share all code.
 */
#define _POSIX_C_SOURCE 200809L
#include "dataload.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net.h"
#include "status.h"

enum { CHUNK = 1 << 15, CIFAR_CLASSES = 10, CIFAR100_RECORD = 3074 };

/* Where the bytes come from: a regular file (is_mem 0, opened by name) or a buffer. */
typedef struct {
    const char *name;
    int is_mem;
    const unsigned char *mem;
    FILE *f;                  /* open stream while reading; NULL when closed or len == 0 */
    uint64_t len;             /* the total length, known before reading */
} Src;

/* What an IDX header says. */
typedef struct {
    uint32_t dims[3];         /* N, rows, cols (images) or N (labels) */
    int ndim;
    uint64_t count;           /* product of dims: the data bytes */
    uint64_t data_off;        /* 4 + 4 ndim */
} IdxHeader;

/* "NAME: offset N: <fmt>"; returns code. */
static int fail_at(char *err, size_t errlen, int code, const char *name, uint64_t off,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int fail_at(char *err, size_t errlen, int code, const char *name, uint64_t off,
                   const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return status_set(err, errlen, code, "%s: offset %" PRIu64 ": %s", name, off, msg);
}

/* ---- sources ------------------------------------------------------------------------------ */

static int not_regular(const Src *s, const struct stat *st, char *err, size_t errlen)
{
    return status_set(err, errlen, RESLAB_ERR_IO, "%s: %s", s->name, S_ISDIR(st->st_mode) ?
                      "is a directory" : "is not a regular file (reslab checks a data file's "
                      "length before reading it)");
}

static int src_open(Src *s, char *err, size_t errlen)
{
    struct stat st;
    s->f = NULL;
    if (s->is_mem) {
        if (s->len == 0) return RESLAB_OK;             /* nothing to read; fmemopen needs > 0 */
        s->f = fmemopen((void *)s->mem, s->len, "r");
        return s->f ? RESLAB_OK : status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: cannot open "
                                             "the buffer: %s", s->name, strerror(errno));
    }
    /* stat before fopen: opening a FIFO for reading would wait for a writer */
    if (stat(s->name, &st) == 0 && !S_ISREG(st.st_mode)) return not_regular(s, &st, err, errlen);
    FILE *f = fopen(s->name, "rb");
    if (!f) return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot open: %s", s->name,
                              strerror(errno));
    int e = fstat(fileno(f), &st) != 0 ? errno : 0;
    if (e || !S_ISREG(st.st_mode)) {
        fclose(f);
        if (e) return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot stat: %s", s->name,
                                 strerror(e));
        return not_regular(s, &st, err, errlen);
    }
    s->len = (uint64_t)st.st_size;
    s->f = f;
    return RESLAB_OK;
}

static void src_close(Src *s)
{
    if (s->f) fclose(s->f);
    s->f = NULL;
}

/* n bytes from the current position, which is offset off. A short read is an I/O error, or the
 * file shrank after fstat. */
static int src_read(Src *s, void *buf, size_t n, uint64_t off, char *err, size_t errlen)
{
    size_t got = n ? fread(buf, 1, n, s->f) : 0;
    if (got == n) return RESLAB_OK;
    if (ferror(s->f)) return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot read at offset "
                                        "%" PRIu64 ": %s", s->name, off + got, strerror(errno));
    return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, off + got, "the file ends early "
                   "(it changed while being read?)");
}

/* Refuses n rows of dim doubles over RESLAB_MEMORY_LIMIT, blaming name at off. */
static int memory_check(const char *name, uint64_t off, uint64_t n, uint64_t dim,
                        const char *what, char *err, size_t errlen)
{
    double bytes = dataset_memory_bytes((size_t)n, (size_t)dim);
    if (bytes <= (double)RESLAB_MEMORY_LIMIT) return RESLAB_OK;
    return fail_at(err, errlen, RESLAB_ERR_TOOBIG, name, off, "%s need about %.2f GiB as doubles, "
                   "more than the limit of %.2f GiB", what, bytes / (1u << 30),
                   (double)RESLAB_MEMORY_LIMIT / (1u << 30));
}

/* dataset_alloc, with name in front of its message. */
static int alloc_for(Dataset *d, uint64_t n, uint64_t dim, size_t classes, const char *name,
                     char *err, size_t errlen)
{
    char msg[256];
    int rc = dataset_alloc(d, (size_t)n, (size_t)dim, classes, msg, sizeof msg);
    return rc ? status_set(err, errlen, rc, "%s: %s", name, msg) : RESLAB_OK;
}

/* x[i] = byte_i / 255 for count bytes from s at offset off, in chunks. */
static int read_scaled(Src *s, double *x, uint64_t count, uint64_t off, char *err, size_t errlen)
{
    unsigned char buf[CHUNK];
    for (uint64_t done = 0; done < count;) {
        size_t n = count - done < CHUNK ? (size_t)(count - done) : CHUNK;
        int rc = src_read(s, buf, n, off + done, err, errlen);
        if (rc) return rc;
        for (size_t k = 0; k < n; k++) x[done + k] = buf[k] / 255.0;
        done += n;
    }
    return RESLAB_OK;
}

static void set_name(Dataset *d, const char *prefix, const char *path)
{
    const char *slash = strrchr(path, '/');
    snprintf(d->name, sizeof d->name, "%s%s", prefix, slash ? slash + 1 : path);
}

/* ---- IDX ---------------------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static const char *idx_type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
    }
}

/* The 4 magic bytes m must be 00 00 08 ndim(want). */
static int idx_magic(const Src *s, const unsigned char *m, uint32_t want, char *err, size_t errlen)
{
    int ndim = (int)(want & 0xff);
    const char *what = ndim == 3 ? "an IDX image file" : "an IDX label file";
    if (m[0] == 0x1f && m[1] == 0x8b)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 0, "gzip-compressed data, not %s "
                       "(magic 0x%08x): gunzip it first", what, want);
    if (m[0] || m[1])
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 0, "magic 0x%08x is not that of "
                       "%s (0x%08x)", be32(m), what, want);
    if (m[2] != 0x08)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 2, "IDX data type 0x%02x (%s) is "
                       "not supported; reslab reads unsigned bytes (0x08)", m[2],
                       idx_type_name(m[2]));
    if (m[3] == (ndim == 3 ? 1 : 3))
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 0, "magic 0x%08x is that of an IDX "
                       "%s file, not %s (0x%08x): are images and labels swapped?", be32(m),
                       ndim == 3 ? "label" : "image", what, want);
    if (m[3] != ndim)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 3, "an IDX file of %d dimensions "
                       "is not %s (magic 0x%08x: %d dimensions)", m[3], what, want, ndim);
    return RESLAB_OK;
}

/* The header's sizes as text: "60000 images of 28 x 28" or "60000 labels". */
static void idx_shape(char *buf, size_t len, const IdxHeader *h)
{
    if (h->ndim == 3)
        snprintf(buf, len, "%" PRIu32 " images of %" PRIu32 " x %" PRIu32, h->dims[0], h->dims[1],
                 h->dims[2]);
    else snprintf(buf, len, "%" PRIu32 " labels", h->dims[0]);
}

/* Magic and sizes; then the file's length must be exactly header + product of the sizes. */
static int idx_header(Src *s, uint32_t want, IdxHeader *h, char *err, size_t errlen)
{
    static const char *const dim_names[3] = {"the count", "the number of rows",
                                             "the number of columns"};
    unsigned char b[16];
    char shape[96];
    h->ndim = (int)(want & 0xff);
    h->data_off = 4 + 4 * (uint64_t)h->ndim;
    if (s->len == 0)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 0, "the file is empty");
    if (s->len < 4) return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, s->len, "the file "
                                   "ends inside the 4-byte IDX magic");
    int rc = src_read(s, b, 4, 0, err, errlen);
    if (!rc) rc = idx_magic(s, b, want, err, errlen);
    if (rc) return rc;
    if (s->len < h->data_off)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, s->len, "the file ends inside the "
                       "%" PRIu64 "-byte IDX header", h->data_off);
    if ((rc = src_read(s, b + 4, (size_t)h->data_off - 4, 4, err, errlen))) return rc;
    double need = 1.0;                       /* exact while it is below 2^53, i.e. below len */
    for (int k = 0; k < h->ndim; k++) {
        h->dims[k] = be32(b + 4 + 4 * k);
        if (h->dims[k] == 0) return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 4 + 4 * k,
                                            "%s is 0: the file holds no data", dim_names[k]);
        need *= h->dims[k];
    }
    uint64_t have = s->len - h->data_off;
    idx_shape(shape, sizeof shape, h);
    if (need > (double)have)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, s->len, "truncated: the file ends "
                       "after %" PRIu64 " data bytes, but the header (%s) needs %.0f", have, shape,
                       need);
    if (need < (double)have)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, h->data_off + (uint64_t)need,
                       "%" PRIu64 " trailing bytes after the data (the header says %s)",
                       have - (uint64_t)need, shape);
    h->count = (uint64_t)need;
    return RESLAB_OK;
}

/* The n label bytes into y; *max_out the largest. */
static int idx_labels(Src *s, int *y, uint64_t n, uint64_t off, int *max_out, char *err,
                      size_t errlen)
{
    unsigned char buf[CHUNK];
    int max = 0;
    for (uint64_t done = 0; done < n;) {
        size_t m = n - done < CHUNK ? (size_t)(n - done) : CHUNK;
        int rc = src_read(s, buf, m, off + done, err, errlen);
        if (rc) return rc;
        for (size_t k = 0; k < m; k++) {
            y[done + k] = buf[k];
            if (buf[k] > max) max = buf[k];
        }
        done += m;
    }
    *max_out = max;
    return RESLAB_OK;
}

static int idx_load(Dataset *d, Src *im, Src *lb, char *err, size_t errlen)
{
    IdxHeader hi, hl;
    char what[96];
    int max = 0, rc = src_open(im, err, errlen);
    if (!rc) rc = idx_header(im, DATALOAD_IDX_IMAGES, &hi, err, errlen);
    if (!rc) rc = src_open(lb, err, errlen);
    if (!rc) rc = idx_header(lb, DATALOAD_IDX_LABELS, &hl, err, errlen);
    if (!rc && hi.dims[0] != hl.dims[0])
        rc = fail_at(err, errlen, RESLAB_ERR_FORMAT, lb->name, 4, "%" PRIu32 " labels, but %s "
                     "holds %" PRIu32 " images", hl.dims[0], im->name, hi.dims[0]);
    uint64_t n = rc ? 0 : hi.dims[0], dim = rc ? 0 : (uint64_t)hi.dims[1] * hi.dims[2];
    if (!rc) {
        idx_shape(what, sizeof what, &hi);
        rc = memory_check(im->name, 4, n, dim, what, err, errlen);
    }
    if (!rc) rc = alloc_for(d, n, dim, 0, im->name, err, errlen);
    if (!rc) rc = read_scaled(im, d->x, hi.count, hi.data_off, err, errlen);
    if (!rc) rc = idx_labels(lb, d->y, n, hl.data_off, &max, err, errlen);
    src_close(im);
    src_close(lb);
    if (rc) {
        dataset_free(d);
        return rc;
    }
    d->classes = (size_t)max + 1;
    set_name(d, "", im->name);
    return RESLAB_OK;
}

int dataset_load_idx(Dataset *d, const char *images_path, const char *labels_path, char *err,
                     size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (!images_path || !labels_path)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "dataset_load_idx: NULL path");
    Src im = {.name = images_path}, lb = {.name = labels_path};
    return idx_load(d, &im, &lb, err, errlen);
}

int dataset_load_idx_mem(Dataset *d, const DataloadBuffer *images, const DataloadBuffer *labels,
                         char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (!images || !labels || !images->name || !labels->name || (!images->data && images->len) ||
        (!labels->data && labels->len))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "dataset_load_idx_mem: NULL argument");
    Src im = {images->name, 1, images->data, NULL, images->len};
    Src lb = {labels->name, 1, labels->data, NULL, labels->len};
    return idx_load(d, &im, &lb, err, errlen);
}

/* ---- CIFAR-10 ----------------------------------------------------------------------------- */

/* The length must be a positive multiple of 3073; *records gets it / 3073. */
static int cifar_size(const Src *s, uint64_t *records, char *err, size_t errlen)
{
    const uint64_t R = DATALOAD_CIFAR_RECORD;
    if (s->len == 0)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, 0, "the file is empty");
    *records = s->len / R;
    if (s->len % R == 0) return RESLAB_OK;
    return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, *records * R, "truncated: the file is "
                   "%" PRIu64 " bytes, not a whole number of %d-byte CIFAR-10 records; a partial "
                   "record of %" PRIu64 " bytes starts here%s", s->len, DATALOAD_CIFAR_RECORD,
                   s->len % R, s->len % CIFAR100_RECORD == 0 ? " (the length fits 3074-byte "
                   "CIFAR-100 records, which reslab does not read)" : "");
}

/* Every record of s into rows first.. of d: label byte 0..9, then 3072 pixels / 255. */
static int cifar_records(Src *s, Dataset *d, size_t first, uint64_t records, char *err,
                         size_t errlen)
{
    unsigned char rec[DATALOAD_CIFAR_RECORD];
    for (uint64_t r = 0; r < records; r++) {
        uint64_t off = r * DATALOAD_CIFAR_RECORD;
        int rc = src_read(s, rec, sizeof rec, off, err, errlen);
        if (rc) return rc;
        if (rec[0] >= CIFAR_CLASSES)
            return fail_at(err, errlen, RESLAB_ERR_FORMAT, s->name, off, "label %d of record %"
                           PRIu64 " is not in 0..9 (CIFAR-10 has 10 classes)", rec[0], r);
        double *x = d->x + (first + r) * DATALOAD_CIFAR_DIM;
        for (size_t k = 0; k < DATALOAD_CIFAR_DIM; k++) x[k] = rec[1 + k] / 255.0;
        d->y[first + r] = rec[0];
    }
    return RESLAB_OK;
}

static int cifar_load(Dataset *d, Src *srcs, size_t n, char *err, size_t errlen)
{
    uint64_t total = 0, records = 0;
    int rc = RESLAB_OK;
    char what[96];
    /* first every length: nothing is allocated before all of them are known to be right */
    for (size_t k = 0; !rc && k < n; k++) {
        rc = src_open(&srcs[k], err, errlen);
        if (!rc) rc = cifar_size(&srcs[k], &records, err, errlen);
        src_close(&srcs[k]);
        total += rc ? 0 : records;
        snprintf(what, sizeof what, "%" PRIu64 " records in %zu files", total, k + 1);
        if (!rc) rc = memory_check(srcs[k].name, 0, total, DATALOAD_CIFAR_DIM, what, err, errlen);
    }
    if (!rc) rc = alloc_for(d, total, DATALOAD_CIFAR_DIM, CIFAR_CLASSES, srcs[0].name, err, errlen);
    for (size_t k = 0, row = 0; !rc && k < n; k++) {
        uint64_t len = srcs[k].len;
        rc = src_open(&srcs[k], err, errlen);
        if (!rc && srcs[k].len != len)
            rc = fail_at(err, errlen, RESLAB_ERR_IO, srcs[k].name, 0, "the file changed size "
                         "while being read");
        if (!rc) rc = cifar_records(&srcs[k], d, row, len / DATALOAD_CIFAR_RECORD, err, errlen);
        src_close(&srcs[k]);
        row += (size_t)(len / DATALOAD_CIFAR_RECORD);
    }
    if (rc) {
        dataset_free(d);
        return rc;
    }
    set_name(d, "cifar10 ", srcs[0].name);
    return RESLAB_OK;
}

int dataset_load_cifar10(Dataset *d, const char **paths, size_t npaths, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    for (size_t k = 0; paths && k < npaths; k++)
        if (!paths[k]) npaths = 0;
    if (!paths || npaths == 0)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "dataset_load_cifar10: no files "
                          "(or a NULL path)");
    Src *srcs = calloc(npaths, sizeof *srcs);
    if (!srcs) return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < npaths; k++) srcs[k].name = paths[k];
    int rc = cifar_load(d, srcs, npaths, err, errlen);
    free(srcs);
    return rc;
}

int dataset_load_cifar10_mem(Dataset *d, const DataloadBuffer *batches, size_t nbatches,
                             char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    for (size_t k = 0; batches && k < nbatches; k++)
        if (!batches[k].name || (!batches[k].data && batches[k].len)) nbatches = 0;
    if (!batches || nbatches == 0)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "dataset_load_cifar10_mem: no buffers "
                          "(or a NULL one)");
    Src *srcs = calloc(nbatches, sizeof *srcs);
    if (!srcs) return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nbatches; k++)
        srcs[k] = (Src){batches[k].name, 1, batches[k].data, NULL, batches[k].len};
    int rc = cifar_load(d, srcs, nbatches, err, errlen);
    free(srcs);
    return rc;
}
