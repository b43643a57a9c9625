/* npy.c: NumPy .npy files of float64, C order: an atomic writer and a strict reader.
 * Dimensions: ndim axes, shape[0 .. ndim-1], count = product of the shape (elements);
 * a file is magic (6) + version (2) + header length (2, or 4 from version 2.0) + header + data
 * (count * 8 bytes, little-endian IEEE 754 binary64). The reader checks every byte it uses
 * against the file's length and allocates nothing before the shape is known to fit.
 */
#define _POSIX_C_SOURCE 200809L
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "status.h"

_Static_assert(sizeof(double) == 8, "npy: double must be IEEE 754 binary64");

#define MAGIC "\x93NUMPY"
enum { MAGIC_LEN = 6, GROWTH_DIGITS = 21, MAX_HEADER = 65535, HEADER_BUF = 512 };

/* Where the doubles come from: element (i, j) is base[i * rstride + j * cstride], i < rows,
 * j < cols. One shape covers a plain array (1 row), a matrix view (rstride = tda) and a vector
 * view (cstride = stride). */
typedef struct {
    const double *base;
    size_t rows, cols, rstride, cstride;
} Strided;

/* What the reader learned from a header. */
typedef struct {
    size_t shape[NPY_MAX_DIMS];
    int ndim;
    size_t count, data_off;
} Header;

/* The header text being parsed; pos indexes s, s[0] sits at file offset base. */
typedef struct {
    const char *s, *path;
    size_t len, pos, base;
    char *err;
    size_t errlen;
} Parser;

/* ---- messages ---------------------------------------------------------------------------- */

/* "PATH: offset N: <fmt>"; returns code. */
static int fail_at(char *err, size_t errlen, int code, const char *path, size_t off,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int fail_at(char *err, size_t errlen, int code, const char *path, size_t off,
                   const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return status_set(err, errlen, code, "%s: offset %zu: %s", path, off, msg);
}

/* The Python repr of a shape tuple, as numpy writes it: "()", "(5,)", "(2, 3)". */
static void shape_str(char *buf, size_t buflen, const size_t *shape, int ndim)
{
    size_t k = (size_t)snprintf(buf, buflen, "(");
    for (int i = 0; i < ndim && k < buflen; i++)
        k += (size_t)snprintf(buf + k, buflen - k, i ? ", %zu" : "%zu", shape[i]);
    if (k < buflen) snprintf(buf + k, buflen - k, ndim == 1 ? ",)" : ")");
}

/* ---- bytes: little-endian on any host, never loading a double (keeps NaN payloads) ------- */

static void put_le(unsigned char *b, const double *x)
{
    uint64_t u;
    memcpy(&u, x, 8);
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)(u >> (8 * k));
}

static void get_le(double *x, const unsigned char *b)
{
    uint64_t u = 0;
    for (int k = 0; k < 8; k++) u |= (uint64_t)b[k] << (8 * k);
    memcpy(x, &u, 8);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* The header exactly as numpy 1.24 np.save writes it; returns its length (a multiple of 64). */
static size_t header_build(unsigned char *buf, const size_t *shape, int ndim)
{
    char shp[HEADER_BUF / 2], first[24];
    char *h = (char *)buf + 10;
    shape_str(shp, sizeof shp, shape, ndim);
    int n = sprintf(h, "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shp);
    /* spare room for the first axis to grow to GROWTH_DIGITS digits (numpy >= 1.24) */
    int grow = ndim > 0 ? GROWTH_DIGITS - sprintf(first, "%zu", shape[0]) : 0;
    for (; grow > 0; grow--) h[n++] = ' ';
    /* pad so that 10 + header (with its '\n') is a multiple of NPY_ALIGN; numpy adds 1..64 */
    int pad = NPY_ALIGN - (10 + n + 1) % NPY_ALIGN;
    memset(h + n, ' ', (size_t)pad);
    n += pad;
    h[n++] = '\n';
    memcpy(buf, MAGIC "\x01\x00", 8);
    buf[8] = (unsigned char)(n & 0xff);
    buf[9] = (unsigned char)(n >> 8);
    return 10 + (size_t)n;
}

/* Write src's elements, row after row, as little-endian bytes; 0 or -1 (errno set). */
static int put_doubles(FILE *f, const Strided *src)
{
    unsigned char buf[4096];
    size_t k = 0;
    for (size_t i = 0; i < src->rows; i++)
        for (size_t j = 0; j < src->cols; j++) {
            put_le(buf + k, src->base + i * src->rstride + j * src->cstride);
            k += 8;
            if (k == sizeof buf || (i + 1 == src->rows && j + 1 == src->cols)) {
                if (fwrite(buf, 1, k, f) != k) return -1;
                k = 0;
            }
        }
    return 0;
}

/* 0666 minus the umask: the mode fopen() would have given a new file. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Flush, sync and close f; rename tmp over path. On failure remove tmp. Frees tmp. */
static int finish(FILE *f, char *tmp, int ok, const char *path, char *err, size_t errlen)
{
    int e = ok ? 0 : (errno ? errno : EIO);
    if (!e && (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)) e = errno ? errno : EIO;
    if (fclose(f) != 0 && !e) e = errno;
    const char *what = "cannot write";
    if (!e && rename(tmp, path) != 0) {
        e = errno;
        what = "cannot rename the temporary file over it";
    }
    if (e) remove(tmp);
    free(tmp);
    if (e) return status_set(err, errlen, RESLAB_ERR_IO, "%s: %s: %s", path, what, strerror(e));
    return RESLAB_OK;
}

/* Open PATH.tmp.XXXXXX next to path for writing, with the mode fopen() would give. */
static int open_temp(const char *path, FILE **f_out, char **tmp_out, char *err, size_t errlen)
{
    char *tmp = malloc(strlen(path) + sizeof ".tmp.XXXXXX");
    if (!tmp) return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", path);
    strcpy(tmp, path);
    strcat(tmp, ".tmp.XXXXXX");
    int fd = mkstemp(tmp), e = 0;
    FILE *f = NULL;
    if (fd < 0) e = errno;
    else if (fchmod(fd, new_file_mode()) != 0 || !(f = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        remove(tmp);
    }
    if (e) {
        free(tmp);
        return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    *f_out = f;
    *tmp_out = tmp;
    return RESLAB_OK;
}

/* The one writer behind npy_write, npy_write_matrix and npy_write_vector. */
static int write_file(const char *path, const Strided *src, const size_t *shape, int ndim,
                      char *err, size_t errlen)
{
    unsigned char head[HEADER_BUF];
    size_t hlen = header_build(head, shape, ndim);
    FILE *f = NULL;
    char *tmp = NULL;
    int rc = open_temp(path, &f, &tmp, err, errlen);
    if (rc != RESLAB_OK) return rc;
    errno = 0;
    int ok = fwrite(head, 1, hlen, f) == hlen && put_doubles(f, src) == 0;
    return finish(f, tmp, ok, path, err, errlen);
}

int npy_write(const char *path, const double *data, const size_t *shape, int ndim, char *err,
              size_t errlen)
{
    if (!path || ndim < 0 || ndim > NPY_MAX_DIMS || (ndim > 0 && !shape))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: npy_write: bad arguments "
                          "(ndim %d, at most %d)", path ? path : "(null)", ndim, NPY_MAX_DIMS);
    size_t count = 1;                                   /* elements; 0 if any axis is 0 */
    for (int i = 0; i < ndim; i++) count = shape[i] ? count : 0;
    for (int i = 0; i < ndim && count > 0; i++) {
        if (count > SIZE_MAX / 8 / shape[i])
            return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: shape too large", path);
        count *= shape[i];
    }
    if (count > 0 && !data)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: data is NULL", path);
    Strided src = {data, 1, count, 0, 1};
    return write_file(path, &src, shape, ndim, err, errlen);
}

int npy_write_matrix(const char *path, const gsl_matrix *m, char *err, size_t errlen)
{
    if (!path || !m)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "npy_write_matrix: NULL argument");
    size_t shape[2] = {m->size1, m->size2};
    Strided src = {m->data, m->size1, m->size2, m->tda, 1};
    return write_file(path, &src, shape, 2, err, errlen);
}

int npy_write_vector(const char *path, const gsl_vector *v, char *err, size_t errlen)
{
    if (!path || !v)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "npy_write_vector: NULL argument");
    size_t shape[1] = {v->size};
    Strided src = {v->data, 1, v->size, 0, v->stride};
    return write_file(path, &src, shape, 1, err, errlen);
}

/* ---- reading: the header dict --------------------------------------------------------- */

/* "PATH: offset N: <fmt>" at the parser's position; returns RESLAB_ERR_FORMAT. */
static int perr(const Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(const Parser *p, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_at(p->err, p->errlen, RESLAB_ERR_FORMAT, p->path, p->base + p->pos, "%s", msg);
}

static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The next character, or 0 at the end (the header holds no NUL: check_ascii saw to it). */
static int peek(const Parser *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : 0; }

/* Skip white space, then peek. */
static int peek_ws(Parser *p)
{
    while (is_ws(peek(p))) p->pos++;
    return peek(p);
}

/* Consume c (after white space) if it is next; 1 if it was. */
static int accept(Parser *p, int c)
{
    if (peek_ws(p) != c) return 0;
    p->pos++;
    return 1;
}

static int expect(Parser *p, int c, const char *context)
{
    return accept(p, c) ? RESLAB_OK : perr(p, "expected '%c' %s", c, context);
}

/* Only printable ASCII and white space: keeps the parser and every message simple. */
static int check_ascii(Parser *p)
{
    for (p->pos = 0; p->pos < p->len; p->pos++) {
        int c = (unsigned char)p->s[p->pos];
        if ((c < 0x20 || c > 0x7e) && !is_ws(c))
            return perr(p, "byte 0x%02x in the header is not printable ASCII", c);
    }
    p->pos = 0;
    return RESLAB_OK;
}

/* A Python string literal in ' or " quotes, without escapes, shorter than outlen. */
static int parse_string(Parser *p, char *out, size_t outlen)
{
    int q = peek_ws(p);
    if (q != '\'' && q != '"') return perr(p, "expected a quoted string");
    size_t start = ++p->pos;
    for (; p->pos < p->len && p->s[p->pos] != q; p->pos++)
        if (p->s[p->pos] == '\\') return perr(p, "escapes in strings are not supported");
    if (p->pos >= p->len)
        return perr(p, "the string at offset %zu is not closed", p->base + start - 1);
    if (p->pos - start >= outlen) return perr(p, "string too long");
    memcpy(out, p->s + start, p->pos - start);
    out[p->pos++ - start] = '\0';
    return RESLAB_OK;
}

/* The Python literal True (1) or False (0) into *out. */
static int parse_bool(Parser *p, int *out)
{
    peek_ws(p);
    size_t start = p->pos, n;
    while (isalnum(peek(p)) || peek(p) == '_') p->pos++;       /* a whole name: not "Truex" */
    n = p->pos - start;
    p->pos = start;
    if (n == 4 && !memcmp(p->s + start, "True", 4)) *out = 1;
    else if (n == 5 && !memcmp(p->s + start, "False", 5)) *out = 0;
    else return perr(p, "expected True or False");
    p->pos += n;
    return RESLAB_OK;
}

/* One dimension: decimal digits, no sign, fitting in size_t. */
static int parse_dim(Parser *p, size_t *out)
{
    int c = peek_ws(p);
    if (c == '-') return perr(p, "negative dimension");
    if (c < '0' || c > '9') return perr(p, "expected a dimension (a non-negative integer)");
    size_t v = 0, start = p->pos;
    for (; (c = peek(p)) >= '0' && c <= '9'; p->pos++) {
        if (v > (SIZE_MAX - (size_t)(c - '0')) / 10) {
            p->pos = start;
            return perr(p, "dimension does not fit in %zu bits", 8 * sizeof(size_t));
        }
        v = 10 * v + (size_t)(c - '0');
    }
    *out = v;
    return RESLAB_OK;
}

/* A tuple of dimensions: "()", "(5,)", "(2, 3)", "(2, 3,)". "(5)" is an int, not a tuple. */
static int parse_shape(Parser *p, Header *h)
{
    int rc = expect(p, '(', "to open the shape tuple");
    h->ndim = 0;
    if (rc != RESLAB_OK || accept(p, ')')) return rc;
    for (;;) {
        if (h->ndim == NPY_MAX_DIMS)
            return perr(p, "shape has more than %d dimensions", NPY_MAX_DIMS);
        if ((rc = parse_dim(p, &h->shape[h->ndim++])) != RESLAB_OK) return rc;
        if (h->ndim == 1 && peek_ws(p) == ')')
            return perr(p, "shape (n) is not a tuple: write (n,)");
        if (accept(p, ')')) return RESLAB_OK;
        if ((rc = expect(p, ',', "or ')' in the shape")) != RESLAB_OK) return rc;
        if (accept(p, ')')) return RESLAB_OK;
    }
}

/* The value of key k (0 descr, 1 fortran_order, 2 shape); descr must be '<f8', fortran_order
 * False. */
static int parse_value(Parser *p, int k, Header *h)
{
    char descr[32];
    int fortran = 0, rc;
    if (k == 2) return parse_shape(p, h);
    peek_ws(p);
    size_t at = p->pos;
    rc = k == 0 ? parse_string(p, descr, sizeof descr) : parse_bool(p, &fortran);
    if (rc != RESLAB_OK) return rc;
    size_t end = p->pos;
    p->pos = at;                                         /* errors point at the value */
    if (k == 0 && strcmp(descr, "<f8") != 0)
        return perr(p, "descr '%s' is not supported; reslab reads only '<f8' "
                       "(little-endian float64)", descr);
    if (k == 1 && fortran)
        return perr(p, "fortran_order True (column-major data) is not supported; "
                       "save a C-order array (np.ascontiguousarray)");
    p->pos = end;
    return RESLAB_OK;
}

/* {'descr': '<f8', 'fortran_order': False, 'shape': (...), }: each key exactly once, in any
 * order, then only white space. */
static int parse_dict(Parser *p, Header *h)
{
    static const char *const keys[3] = {"descr", "fortran_order", "shape"};
    unsigned seen = 0;
    int rc = expect(p, '{', "to open the header dict");
    while (rc == RESLAB_OK && !accept(p, '}')) {
        char key[32];
        int k = 0;
        size_t at = p->pos;                             /* at the key: accept skipped spaces */
        if ((rc = parse_string(p, key, sizeof key)) != RESLAB_OK) return rc;
        while (k < 3 && strcmp(key, keys[k]) != 0) k++;
        if (k == 3 || (seen & (1u << k))) {
            p->pos = at;
            return perr(p, "%s key '%s'", k == 3 ? "unknown" : "duplicate", key);
        }
        seen |= 1u << k;
        if ((rc = expect(p, ':', "after a key")) != RESLAB_OK) return rc;
        if ((rc = parse_value(p, k, h)) != RESLAB_OK) return rc;
        if (!accept(p, ',') && peek_ws(p) != '}')
            return perr(p, "expected ',' or '}' in the header dict");
    }
    for (int k = 0; rc == RESLAB_OK && k < 3; k++)
        if (!(seen & (1u << k))) return perr(p, "the header has no '%s' key", keys[k]);
    if (rc == RESLAB_OK && peek_ws(p) != 0) return perr(p, "unexpected text after the dict");
    return rc;
}

/* ---- reading: the file ------------------------------------------------------------------- */

/* Magic, version and header length; then the header, parsed into h. */
static int read_header(FILE *f, const char *path, Header *h, char *err, size_t errlen)
{
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < 10) return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, got, "the file ends "
                                 "inside the 10-byte preamble; not a .npy file");
    if (memcmp(pre, MAGIC, MAGIC_LEN) != 0)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, 0, "not a .npy file (no magic)");
    if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, 6, "unsupported .npy version %d.%d "
                       "(reslab reads 1.0, 2.0, 3.0)", pre[6], pre[7]);
    size_t start = pre[6] == 1 ? 10 : 12, hlen = pre[8] | (size_t)pre[9] << 8;
    if (start == 12 && (got += fread(pre + 10, 1, 2, f)) < 12)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, got, "the file ends inside the "
                       "header length");
    if (start == 12) hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    if (hlen > MAX_HEADER) return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, 8,
                                          "header length %zu is over %d", hlen, MAX_HEADER);
    char *text = malloc(hlen + 1);
    if (!text) return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", path);
    got = fread(text, 1, hlen, f);
    Parser p = {text, path, hlen, 0, start, err, errlen};
    int rc = got == hlen ? check_ascii(&p)
                         : fail_at(err, errlen, RESLAB_ERR_FORMAT, path, 8, "header length %zu "
                                   "runs past the end of the file (%zu bytes follow)", hlen, got);
    if (rc == RESLAB_OK) rc = parse_dict(&p, h);
    free(text);
    h->data_off = start + hlen;
    return rc;
}

/* count = product of the shape, refused (TOOBIG) if count * 8 exceeds NPY_MAX_BYTES. */
static int header_count(Header *h, const char *path, char *err, size_t errlen)
{
    char shp[HEADER_BUF / 2];
    double bytes = 8;                           /* exact up to 2^53, hence exact near the limit */
    for (int i = 0; i < h->ndim; i++) bytes *= (double)h->shape[i];
    if (bytes <= (double)NPY_MAX_BYTES) {
        h->count = (size_t)bytes / 8;
        return RESLAB_OK;
    }
    shape_str(shp, sizeof shp, h->shape, h->ndim);
    return fail_at(err, errlen, RESLAB_ERR_TOOBIG, path, h->data_off, "shape %s needs %.0f bytes, "
                   "over the limit of %zu", shp, bytes, NPY_MAX_BYTES);
}

/* The data must be exactly count * 8 bytes: short (have < need) or trailing (have > need). */
static int size_error(const Header *h, const char *path, size_t have, char *err, size_t errlen)
{
    char shp[HEADER_BUF / 2];
    size_t need = 8 * h->count;
    shape_str(shp, sizeof shp, h->shape, h->ndim);
    if (have < need)
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, h->data_off, "the data is %zu "
                       "bytes, but shape %s needs %zu", have, shp, need);
    return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, h->data_off + need, "trailing bytes "
                   "after the data (%zu bytes where shape %s needs %zu)", have, shp, need);
}

/* Open path and read its header; for a regular file check its size before anything is
 * allocated. On failure f is closed. */
static int read_open(const char *path, FILE **f_out, Header *h, char *err, size_t errlen)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot open: %s", path,
                              strerror(errno));
    int rc = read_header(f, path, h, err, errlen);
    if (rc != RESLAB_OK && ferror(f))                   /* e.g. path is a directory */
        rc = status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    if (rc == RESLAB_OK) rc = header_count(h, path, err, errlen);
    if (rc == RESLAB_OK && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uintmax_t)st.st_size != h->data_off + 8 * (uintmax_t)h->count)
        rc = size_error(h, path, (uintmax_t)st.st_size > h->data_off ?
                        (size_t)st.st_size - h->data_off : 0, err, errlen);
    if (rc != RESLAB_OK) fclose(f);
    else *f_out = f;
    return rc;
}

/* Read the count doubles into dst, convert from little-endian, check that nothing follows.
 * Closes f. */
static int read_body(FILE *f, const char *path, const Header *h, double *dst, char *err,
                     size_t errlen)
{
    size_t got = fread(dst, 8, h->count, f);
    int rc = RESLAB_OK, e = errno;
    if (ferror(f)) rc = status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot read: %s", path,
                                   strerror(e));
    else if (got < h->count) rc = size_error(h, path, 8 * got, err, errlen);
    else if (fgetc(f) != EOF) rc = size_error(h, path, 8 * got + 1, err, errlen);
    fclose(f);
    for (size_t i = 0; rc == RESLAB_OK && i < h->count; i++)
        get_le(dst + i, (const unsigned char *)(dst + i));
    return rc;
}

/* ---- the public readers ------------------------------------------------------------------ */

int npy_read(const char *path, double **data_out, size_t *shape_out, int *ndim_out, char *err,
             size_t errlen)
{
    if (!path || !data_out || !shape_out || !ndim_out)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "npy_read: NULL argument");
    *data_out = NULL;
    *ndim_out = 0;
    FILE *f;
    Header h;
    int rc = read_open(path, &f, &h, err, errlen);
    if (rc != RESLAB_OK) return rc;
    double *data = malloc(h.count ? 8 * h.count : 8);           /* never NULL on success */
    if (!data) {
        fclose(f);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    if ((rc = read_body(f, path, &h, data, err, errlen)) != RESLAB_OK) {
        free(data);
        return rc;
    }
    for (int i = 0; i < NPY_MAX_DIMS; i++) shape_out[i] = i < h.ndim ? h.shape[i] : 0;
    *ndim_out = h.ndim;
    *data_out = data;
    return RESLAB_OK;
}

/* Read a non-empty vector (ndim 1, into *v) or matrix (ndim 2, into *m); contiguous. */
static int read_gsl(const char *path, int ndim, gsl_matrix **m, gsl_vector **v, char *err,
                    size_t errlen)
{
    char shp[HEADER_BUF / 2];
    FILE *f;
    Header h;
    int rc = read_open(path, &f, &h, err, errlen);
    if (rc != RESLAB_OK) return rc;
    if (h.ndim != ndim || h.count == 0) {
        fclose(f);
        shape_str(shp, sizeof shp, h.shape, h.ndim);
        return fail_at(err, errlen, RESLAB_ERR_FORMAT, path, h.data_off, "shape %s is not a "
                       "non-empty %s", shp, ndim == 1 ? "vector (n,)" : "matrix (rows, cols)");
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();      /* allocation may fail */
    if (ndim == 2) *m = gsl_matrix_alloc(h.shape[0], h.shape[1]);  /* tda = size2 */
    else *v = gsl_vector_alloc(h.shape[0]);                         /* stride = 1 */
    gsl_set_error_handler(old);
    double *dst = ndim == 2 ? (*m ? (*m)->data : NULL) : (*v ? (*v)->data : NULL);
    if (!dst) {
        fclose(f);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    if ((rc = read_body(f, path, &h, dst, err, errlen)) != RESLAB_OK) {
        gsl_matrix_free(*m);
        gsl_vector_free(*v);
        *m = NULL;
        *v = NULL;
    }
    return rc;
}

int npy_read_matrix(const char *path, gsl_matrix **out, char *err, size_t errlen)
{
    gsl_vector *none = NULL;
    if (!path || !out)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "npy_read_matrix: NULL argument");
    *out = NULL;
    return read_gsl(path, 2, out, &none, err, errlen);
}

int npy_read_vector(const char *path, gsl_vector **out, char *err, size_t errlen)
{
    gsl_matrix *none = NULL;
    if (!path || !out)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "npy_read_vector: NULL argument");
    *out = NULL;
    return read_gsl(path, 1, &none, out, err, errlen);
}

int npy_path(char *buf, size_t buflen, const char *dir, const char *name)
{
    if (!buf || buflen == 0 || !name) return RESLAB_ERR_INVALID;
    size_t d = dir ? strlen(dir) : 0;
    const char *sep = d > 0 && dir[d - 1] != '/' ? "/" : "";
    int n = snprintf(buf, buflen, "%s%s%s", d > 0 ? dir : "", sep, name);
    if (n >= 0 && (size_t)n < buflen) return RESLAB_OK;
    buf[0] = '\0';
    return RESLAB_ERR_INVALID;
}
