/* test_dataload.c: small IDX and CIFAR-10 files written here read back exactly (x = byte / 255,
 * the labels, the order across files), from files and from memory alike; every kind of bad file
 * is refused with one message that starts with the file's name and gives the byte offset, and
 * leaves the Dataset zeroed (the sanitizer build checks that nothing leaks).
 * Files go to a fresh directory under $TEST_BUILD_DIR (or /tmp), removed at the end. */
#define _XOPEN_SOURCE 700
#include "dataload.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "status.h"

enum { N_IMG = 9, ROWS = 3, COLS = 4, REC = DATALOAD_CIFAR_RECORD };

typedef struct {
    Check c;
    char dir[1024];
} Ctx;

/* ---- files -------------------------------------------------------------------------------- */

static void path_in(char *buf, size_t len, const Ctx *t, const char *name)
{
    snprintf(buf, len, "%s/%s", t->dir, name);
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(b, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "test_dataload: cannot write %s\n", path);
        exit(1);
    }
}

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* The byte at pixel p of image (or record) i: every value 0..255 occurs. */
static unsigned char pixel(size_t i, size_t p)
{
    return (unsigned char)((i * 37 + p * 11 + 5) & 0xff);
}

/* An IDX image file of n images of rows x cols (pixel(i, p)) into b; returns its length. */
static size_t idx_images(unsigned char *b, uint32_t n, uint32_t rows, uint32_t cols)
{
    put_be32(b, DATALOAD_IDX_IMAGES);
    put_be32(b + 4, n), put_be32(b + 8, rows), put_be32(b + 12, cols);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < (size_t)rows * cols; p++) b[16 + i * rows * cols + p] = pixel(i, p);
    return 16 + (size_t)n * rows * cols;
}

/* An IDX label file of n labels i mod 7. */
static size_t idx_labels(unsigned char *b, uint32_t n)
{
    put_be32(b, DATALOAD_IDX_LABELS);
    put_be32(b + 4, n);
    for (size_t i = 0; i < n; i++) b[8 + i] = (unsigned char)(i % 7);
    return 8 + n;
}

/* CIFAR records first .. first + n - 1: label (3 r + 1) mod 10, pixels pixel(r, p). */
static size_t cifar_records(unsigned char *b, size_t first, size_t n)
{
    for (size_t r = first; r < first + n; r++) {
        unsigned char *rec = b + (r - first) * REC;
        rec[0] = (unsigned char)((3 * r + 1) % 10);
        for (size_t p = 0; p < DATALOAD_CIFAR_DIM; p++) rec[1 + p] = pixel(r, p);
    }
    return n * REC;
}

/* A file of len bytes (a hole: no disk used) whose first bytes are head. 0 on success. */
static int write_sparse(const char *path, const unsigned char *head, size_t hn, off_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(head, 1, hn, f) == hn && fflush(f) == 0 && ftruncate(fileno(f), len) == 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* ---- checks ------------------------------------------------------------------------------- */

static int is_zeroed(const Dataset *d)
{
    return !d->x && !d->y && d->n == 0 && d->dim == 0 && d->classes == 0;
}

/* The call failed with code want, its message starts with name and contains "offset OFF: "
 * (unless off < 0) and says, and *d is zeroed. */
static void expect_fail(Ctx *t, int rc, int want, const char *err, const char *name, long off,
                        const char *says, const Dataset *d)
{
    char at[64] = "";
    if (off >= 0) snprintf(at, sizeof at, ": offset %ld: ", off);
    int ok = rc == want && !strncmp(err, name, strlen(name)) && strstr(err, at) &&
             strstr(err, says) && is_zeroed(d);
    check_true(&t->c, ok, "%s (%s): %s", status_name(rc), status_name(want), err);
}

/* ---- reading back ------------------------------------------------------------------------- */

static void test_idx_reads_back_exactly(Ctx *t)
{
    unsigned char im[16 + N_IMG * ROWS * COLS], lb[8 + N_IMG];
    char ip[1200], lp[1200], err[512] = "";
    size_t ni = idx_images(im, N_IMG, ROWS, COLS), nl = idx_labels(lb, N_IMG);
    path_in(ip, sizeof ip, t, "images.idx");
    path_in(lp, sizeof lp, t, "labels.idx");
    write_bytes(ip, im, ni);
    write_bytes(lp, lb, nl);
    Dataset d, m;
    int rc = dataset_load_idx(&d, ip, lp, err, sizeof err);
    if (!check_true(&t->c, rc == RESLAB_OK, "IDX %d x %d x %d loads: %s", N_IMG, ROWS, COLS, err))
        return;
    int same = d.n == N_IMG && d.dim == ROWS * COLS && d.classes == 7;
    for (size_t i = 0; i < N_IMG; i++) {
        same &= d.y[i] == (int)(i % 7);
        for (size_t p = 0; p < ROWS * COLS; p++) same &= d.x[i * d.dim + p] == pixel(i, p) / 255.0;
    }
    check_true(&t->c, same, "IDX: N %zu, dim %zu, classes %zu (1 + max label 6), x = byte / 255, "
               "labels exact", d.n, d.dim, d.classes);
    check_true(&t->c, !strcmp(d.name, "images.idx"), "IDX: name is the image file's base name "
               "(%s)", d.name);
    DataloadBuffer bi = {"images.idx", im, ni}, bl = {"labels.idx", lb, nl};
    rc = dataset_load_idx_mem(&m, &bi, &bl, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && m.n == d.n &&
               !memcmp(m.x, d.x, d.n * d.dim * sizeof *d.x) &&
               !memcmp(m.y, d.y, d.n * sizeof *d.y), "IDX from memory: the same data set");
    dataset_free(&d);
    dataset_free(&m);
}

static void test_cifar_reads_back_exactly(Ctx *t)
{
    static unsigned char b1[2 * REC], b2[3 * REC];
    char p1[1200], p2[1200], err[512] = "";
    path_in(p1, sizeof p1, t, "data_batch_1.bin");
    path_in(p2, sizeof p2, t, "data_batch_2.bin");
    write_bytes(p1, b1, cifar_records(b1, 0, 2));
    write_bytes(p2, b2, cifar_records(b2, 2, 3));
    const char *paths[2] = {p1, p2};
    Dataset d, m;
    int rc = dataset_load_cifar10(&d, paths, 2, err, sizeof err);
    if (!check_true(&t->c, rc == RESLAB_OK, "CIFAR-10, 2 + 3 records in 2 files, loads: %s", err))
        return;
    int same = d.n == 5 && d.dim == 3072 && d.classes == 10;
    for (size_t r = 0; same && r < 5; r++) {
        same &= d.y[r] == (int)((3 * r + 1) % 10);
        for (size_t p = 0; p < DATALOAD_CIFAR_DIM; p++)
            same &= d.x[r * 3072 + p] == pixel(r, p) / 255.0;
    }
    check_true(&t->c, same, "CIFAR-10: N 5, dim 3072, 10 classes, records in file order, "
               "x = byte / 255");
    DataloadBuffer bufs[2] = {{"data_batch_1.bin", b1, sizeof b1},
                              {"data_batch_2.bin", b2, sizeof b2}};
    rc = dataset_load_cifar10_mem(&m, bufs, 2, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && m.n == 5 && !memcmp(m.x, d.x, 5 * 3072 * sizeof *d.x) &&
               !memcmp(m.y, d.y, 5 * sizeof *d.y), "CIFAR-10 from memory: the same data set");
    dataset_free(&d);
    dataset_free(&m);
}

/* ---- bad IDX files ------------------------------------------------------------------------ */

/* Loads images (ni bytes) and labels (nl bytes) written as files named in and ln. */
static int load_idx_bytes(Ctx *t, const unsigned char *im, size_t ni, const unsigned char *lb,
                          size_t nl, char *ip, char *lp, Dataset *d, char *err, size_t errlen)
{
    path_in(ip, 1200, t, "bad-images.idx");
    path_in(lp, 1200, t, "bad-labels.idx");
    write_bytes(ip, im, ni);
    write_bytes(lp, lb, nl);
    memset(d, 0xab, sizeof *d);            /* garbage in: it must come back zeroed */
    err[0] = '\0';
    return dataset_load_idx(d, ip, lp, err, errlen);
}

static void test_idx_errors_name_file_and_offset(Ctx *t)
{
    unsigned char im[16 + N_IMG * ROWS * COLS + 8], lb[8 + N_IMG + 8], bad[sizeof im];
    char ip[1200], lp[1200], err[512];
    size_t ni = idx_images(im, N_IMG, ROWS, COLS), nl = idx_labels(lb, N_IMG);
    Dataset d;
    int rc;
#define LOAD(I, NI, L, NL) load_idx_bytes(t, I, NI, L, NL, ip, lp, &d, err, sizeof err)

    memcpy(bad, im, ni), put_be32(bad, 0x12345678);
    rc = LOAD(bad, ni, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 0, "magic 0x12345678", &d);
    rc = LOAD(lb, nl, im, ni);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 0, "swapped", &d);
    memcpy(bad, im, ni), bad[0] = 0x1f, bad[1] = 0x8b;
    rc = LOAD(bad, ni, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 0, "gunzip", &d);
    memcpy(bad, im, ni), bad[2] = 0x0D;
    rc = LOAD(bad, ni, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 2, "float32", &d);
    rc = LOAD(im, ni - 1, lb, nl);                                   /* one pixel short */
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, (long)ni - 1, "truncated", &d);
    rc = LOAD(im, ni, lb, nl - 2);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, lp, (long)nl - 2, "truncated", &d);
    memcpy(bad, im, ni), memset(bad + ni, 0, 3);
    rc = LOAD(bad, ni + 3, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, (long)ni, "3 trailing bytes", &d);
    rc = LOAD(im, 10, lb, nl);                                       /* inside the header */
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 10, "ends inside the 16-byte IDX header", &d);
    rc = LOAD(im, 0, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 0, "empty", &d);
    rc = LOAD(im, ni, lb, 0);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, lp, 0, "empty", &d);
    memcpy(bad, im, ni), put_be32(bad + 8, 0);
    rc = LOAD(bad, ni, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, 8, "the number of rows is 0", &d);
    unsigned char lb8[8 + N_IMG];
    size_t nl8 = idx_labels(lb8, N_IMG - 1);                         /* 8 labels, 9 images */
    rc = LOAD(im, ni, lb8, nl8);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, lp, 4, "8 labels, but", &d);
    check_true(&t->c, strstr(err, ip) && strstr(err, "holds 9 images"),
               "the count mismatch names both files");
    /* an absurd header on a small file: refused by the length check, nothing allocated */
    memcpy(bad, im, ni);
    for (int k = 1; k <= 3; k++) put_be32(bad + 4 * k, 0xffffffffu);
    rc = LOAD(bad, ni, lb, nl);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, ip, (long)ni,
                "4294967295 images of 4294967295 x 4294967295", &d);
#undef LOAD

    char missing[1200];
    path_in(missing, sizeof missing, t, "no-such-file");
    rc = dataset_load_idx(&d, missing, lp, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_IO, err, missing, -1, "cannot open", &d);
    rc = dataset_load_idx(&d, t->dir, lp, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_IO, err, t->dir, -1, "is a directory", &d);
    char fifo[1200];                                  /* opening it to read would block */
    path_in(fifo, sizeof fifo, t, "fifo");
    if (mkfifo(fifo, 0600) == 0) {
        rc = dataset_load_idx(&d, fifo, lp, err, sizeof err);
        expect_fail(t, rc, RESLAB_ERR_IO, err, fifo, -1, "is not a regular file", &d);
    }
    DataloadBuffer e = {"mem-images", NULL, 0}, l = {"mem-labels", lb, nl};
    rc = dataset_load_idx_mem(&d, &e, &l, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, "mem-images", 0, "empty", &d);
}

/* 1,400,000 images of 28 x 28 are 1.1 GB of bytes (a sparse file) but 8.2 GiB of doubles. */
static void test_idx_too_big_refused_before_allocating(Ctx *t)
{
    const uint32_t n = 1400000;
    unsigned char ih[16], lh[8];
    char ip[1200], lp[1200], err[512] = "";
    put_be32(ih, DATALOAD_IDX_IMAGES), put_be32(ih + 4, n);
    put_be32(ih + 8, 28), put_be32(ih + 12, 28);
    put_be32(lh, DATALOAD_IDX_LABELS), put_be32(lh + 4, n);
    path_in(ip, sizeof ip, t, "huge-images.idx");
    path_in(lp, sizeof lp, t, "huge-labels.idx");
    if (write_sparse(ip, ih, 16, 16 + (off_t)n * 784) || write_sparse(lp, lh, 8, 8 + (off_t)n)) {
        printf("skip: cannot make a 1.1 GB sparse file here\n");
        return;
    }
    Dataset d;
    int rc = dataset_load_idx(&d, ip, lp, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_TOOBIG, err, ip, 4, "need about 8.18 GiB as doubles, more than "
                "the limit of 8.00 GiB", &d);
    remove(ip);
    remove(lp);
}

/* ---- bad CIFAR-10 files ------------------------------------------------------------------- */

static void test_cifar_errors_name_file_and_offset(Ctx *t)
{
    static unsigned char good[2 * REC], bad[3 * REC + 100];
    char p1[1200], p2[1200], err[512];
    const char *paths[2] = {p1, p2};
    Dataset d;
    path_in(p1, sizeof p1, t, "good.bin");
    path_in(p2, sizeof p2, t, "bad.bin");
    write_bytes(p1, good, cifar_records(good, 0, 2));
    int rc;
#define LOAD2(B, N) (write_bytes(p2, B, N), memset(&d, 0xab, sizeof d), err[0] = '\0', \
                     dataset_load_cifar10(&d, paths, 2, err, sizeof err))

    cifar_records(bad, 0, 3);
    bad[2 * REC] = 10;                                            /* record 2's label */
    rc = LOAD2(bad, 3 * REC);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, p2, 2 * REC, "label 10 of record 2 is not in 0..9",
                &d);
    cifar_records(bad, 0, 3);
    rc = LOAD2(bad, 2 * REC + 100);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, p2, 2 * REC, "partial record of 100 bytes", &d);
    rc = LOAD2(bad, 2 * 3074);                                    /* two CIFAR-100 records */
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, p2, 2 * REC, "CIFAR-100", &d);
    rc = LOAD2(bad, 0);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, p2, 0, "empty", &d);
#undef LOAD2
    rc = dataset_load_cifar10(&d, paths, 0, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_INVALID, err, "dataset_load_cifar10", -1, "no files", &d);
    DataloadBuffer b = {"mem.bin", good, REC - 1};
    rc = dataset_load_cifar10_mem(&d, &b, 1, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_FORMAT, err, "mem.bin", 0, "truncated", &d);

    /* 2 x 180,000 records: 1.1 GB of bytes (sparse), 8.24 GiB of doubles; the second file is
     * the one that goes over the limit */
    off_t big = (off_t)180000 * REC;
    if (write_sparse(p1, good, 0, big) || write_sparse(p2, good, 0, big)) {
        printf("skip: cannot make a 0.55 GB sparse file here\n");
        return;
    }
    rc = dataset_load_cifar10(&d, paths, 2, err, sizeof err);
    expect_fail(t, rc, RESLAB_ERR_TOOBIG, err, p2, 0, "360000 records in 2 files need about", &d);
    remove(p1);
    remove(p2);
}

/* ---- main --------------------------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

int main(void)
{
    Ctx t = {{0, 0}, ""};
    const char *base = getenv("TEST_BUILD_DIR");
    snprintf(t.dir, sizeof t.dir, "%s/dataload.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(t.dir)) {
        perror("test_dataload: mkdtemp");
        return 1;
    }
    test_idx_reads_back_exactly(&t);
    test_cifar_reads_back_exactly(&t);
    test_idx_errors_name_file_and_offset(&t);
    test_idx_too_big_refused_before_allocating(&t);
    test_cifar_errors_name_file_and_offset(&t);
    nftw(t.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_done(&t.c);
}
