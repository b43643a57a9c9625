/* test_npy.c: the .npy module writes the bytes numpy writes, round-trips every bit pattern
 * (-0.0, inf, NaN payloads, denormals), refuses malformed files with a message that names the
 * file, and never leaves a half-written file behind.
 * Files go to a fresh directory under $TEST_BUILD_DIR (or /tmp), removed at the end. */
#define _XOPEN_SOURCE 700
#include "npy.h"

#include <errno.h>
#include <float.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "check.h"
#include "status.h"

/* The test's state: the checks so far and its private directory. */
typedef struct {
    Check c;
    char dir[1024];
} Ctx;

/* The exact files np.save writes, made once with Debian 12's numpy 1.24.2 by
 *     /usr/bin/python3 -c "import numpy as np, io; b = io.BytesIO();
 *         np.save(b, np.arange(6, dtype=np.float64).reshape(2, 3)); print(list(b.getvalue()))"
 * (and np.arange(5, dtype=np.float64) for numpy_5), printed 16 bytes to a line: the 128-byte
 * header (magic, version 1.0, length 118, the dict, spaces to a multiple of 64, '\n'), then
 * the data 0, 1, 2, ... as little-endian float64. */
static const unsigned char numpy_2x3[176] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73, 0x63,
    0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x66, 0x38, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f, 0x72, 0x74,
    0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61, 0x6c, 0x73,
    0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x32, 0x2c, 0x20,
    0x33, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40,
};
static const unsigned char numpy_5[168] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73, 0x63,
    0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x66, 0x38, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f, 0x72, 0x74,
    0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61, 0x6c, 0x73,
    0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x35, 0x2c, 0x29,
    0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40,
};

/* ---- helpers ---------------------------------------------------------------------------- */

static void path_in(char *buf, size_t buflen, const Ctx *t, const char *name)
{
    if (npy_path(buf, buflen, t->dir, name) != RESLAB_OK) {
        fprintf(stderr, "test_npy: path too long: %s/%s\n", t->dir, name);
        exit(1);
    }
}

/* The whole file in a malloc'd block (*len bytes), or NULL if it cannot be read. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = f ? malloc(1 << 16) : NULL;
    *len = buf ? fread(buf, 1, 1 << 16, f) : 0;
    if (f) fclose(f);
    return buf;
}

static void spit(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "test_npy: cannot write %s\n", path);
        exit(1);
    }
}

/* How many names in dir contain ".tmp." (left-over temporary files). */
static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

static uint64_t bits(const double *x)
{
    uint64_t u;
    memcpy(&u, x, 8);
    return u;
}

/* Do n doubles have the same bit patterns? */
static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof(double)) == 0;
}

/* The special values a round trip must keep, as bit patterns (stored without loading). */
static const uint64_t special_bits[12] = {
    0x0000000000000000u,   /* +0.0 */
    0x8000000000000000u,   /* -0.0 */
    0x7ff0000000000000u,   /* +inf */
    0xfff0000000000000u,   /* -inf */
    0x7ff8000000000000u,   /* the default quiet NaN */
    0xfff8000000000123u,   /* a negative quiet NaN with a payload */
    0x7ff0000000000001u,   /* a signalling NaN */
    0x0000000000000001u,   /* the smallest denormal, 4.9e-324 */
    0x000fffffffffffffu,   /* the largest denormal */
    0x7fefffffffffffffu,   /* DBL_MAX */
    0x3fd5555555555555u,   /* 1/3 */
    0xbcb0000000000000u,   /* -DBL_EPSILON */
};

static void fill_special(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) memcpy(&x[i], &special_bits[i % 12], 8);
}

/* ---- (1) the bytes numpy writes --------------------------------------------------------- */

static void expect_file(Ctx *t, const char *what, const char *path, const unsigned char *want,
                        size_t wantlen)
{
    size_t len, k = 0;
    unsigned char *got = slurp(path, &len);
    while (got && k < len && k < wantlen && got[k] == want[k]) k++;
    check_true(&t->c, got && len == wantlen && k == wantlen,
               "%s: %zu bytes, the first %zu identical to np.save's %zu", what, len, k,
               wantlen);
    free(got);
}

static void test_header_is_byte_identical_to_numpy(Ctx *t)
{
    char path[2048], err[512];
    double x[6] = {0, 1, 2, 3, 4, 5};
    size_t shape23[2] = {2, 3}, shape5[1] = {5};
    path_in(path, sizeof path, t, "numpy_2x3.npy");
    npy_write(path, x, shape23, 2, err, sizeof err);
    expect_file(t, "npy_write of a (2, 3) array", path, numpy_2x3, sizeof numpy_2x3);

    gsl_matrix_view m = gsl_matrix_view_array(x, 2, 3);
    npy_write_matrix(path, &m.matrix, err, sizeof err);
    expect_file(t, "npy_write_matrix of a 2x3 gsl_matrix", path, numpy_2x3, sizeof numpy_2x3);

    path_in(path, sizeof path, t, "numpy_5.npy");
    npy_write(path, x, shape5, 1, err, sizeof err);
    expect_file(t, "npy_write of a (5,) array", path, numpy_5, sizeof numpy_5);
    gsl_vector_view v = gsl_vector_view_array(x, 5);
    npy_write_vector(path, &v.vector, err, sizeof err);
    expect_file(t, "npy_write_vector of a 5-vector", path, numpy_5, sizeof numpy_5);
}

/* For any shape, magic + version + length + header is a multiple of 64 ending in '\n'. */
static void test_header_is_padded_to_64(Ctx *t)
{
    static const size_t shapes[4][NPY_MAX_DIMS] = {
        {0}, {1}, {123456789, 0, 3}, {1, 2, 3, 4, 5, 6, 7, 0}};   /* at most 1 element */
    static const int ndims[4] = {0, 1, 3, 8};
    char path[2048], err[512];
    double x = 1.0;
    path_in(path, sizeof path, t, "pad.npy");
    for (int s = 0; s < 4; s++) {
        size_t len;
        int rc = npy_write(path, &x, shapes[s], ndims[s], err, sizeof err);
        unsigned char *b = slurp(path, &len);
        size_t end = b && len >= 10 ? 10 + (size_t)(b[8] | b[9] << 8) : 0;
        int ok = rc == RESLAB_OK && end > 0 && end % 64 == 0 && end <= len && b[end - 1] == '\n';
        check_true(&t->c, ok,
                   "ndim %d: header ends at byte %zu, a multiple of 64, with '\\n'", ndims[s], end);
        free(b);
    }
}

/* ---- (2) round trips are bit-identical -------------------------------------------------- */

static void test_array_round_trip_keeps_every_bit(Ctx *t)
{
    char path[2048], err[512] = "";
    double x[12], *y = NULL;
    size_t shape[3] = {3, 2, 2}, got[NPY_MAX_DIMS];
    int ndim = -1;
    fill_special(x, 12);
    path_in(path, sizeof path, t, "special.npy");
    int rc = npy_write(path, x, shape, 3, err, sizeof err);
    if (rc == RESLAB_OK) rc = npy_read(path, &y, got, &ndim, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && ndim == 3 && got[0] == 3 && got[1] == 2 && got[2] == 2
                          && got[3] == 0 && got[NPY_MAX_DIMS - 1] == 0,
               "npy_read gives back shape (3, 2, 2) %s", err);
    check_true(&t->c, y && same_bits(x, y, 12),
               "(3, 2, 2) round trip keeps -0.0, inf, NaN payloads, denormals bit for bit");
    free(y);
}

static void test_scalar_and_empty_round_trip(Ctx *t)
{
    char path[2048], err[512] = "";
    double x = -0.0, *y = NULL;
    size_t shape[2] = {0, 3}, got[NPY_MAX_DIMS];
    int ndim = -1;
    path_in(path, sizeof path, t, "scalar.npy");
    int rc = npy_write(path, &x, NULL, 0, err, sizeof err);
    if (rc == RESLAB_OK) rc = npy_read(path, &y, got, &ndim, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && ndim == 0 && y && bits(y) == bits(&x),
               "a 0-d array (shape ()) holding -0.0 round-trips %s", err);
    free(y);
    y = NULL;
    path_in(path, sizeof path, t, "empty.npy");
    rc = npy_write(path, NULL, shape, 2, err, sizeof err);
    if (rc == RESLAB_OK) rc = npy_read(path, &y, got, &ndim, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && ndim == 2 && got[0] == 0 && got[1] == 3 && y,
               "an empty (0, 3) array round-trips, and its data pointer is not NULL %s", err);
    free(y);
    gsl_matrix *m = NULL;
    rc = npy_read_matrix(path, &m, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_FORMAT && !m,
               "npy_read_matrix refuses (0, 3): a gsl_matrix cannot be empty: %s", err);
}

static void test_matrix_round_trip_keeps_every_bit(Ctx *t)
{
    char path[2048], err[512] = "";
    gsl_matrix *a = gsl_matrix_alloc(3, 4), *b = NULL;
    fill_special(a->data, 12);
    path_in(path, sizeof path, t, "matrix.npy");
    int rc = npy_write_matrix(path, a, err, sizeof err);
    if (rc == RESLAB_OK) rc = npy_read_matrix(path, &b, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && b && b->size1 == 3 && b->size2 == 4 &&
                          same_bits(a->data, b->data, 12),
               "3x4 gsl_matrix round trip is bit-identical %s", err);
    gsl_matrix_free(a);
    gsl_matrix_free(b);
}

/* A view into a bigger matrix has tda > size2: only the view's elements may be written. */
static void test_submatrix_view_round_trip(Ctx *t)
{
    char path[2048], err[512] = "";
    gsl_matrix *big = gsl_matrix_alloc(5, 6), *b = NULL;
    fill_special(big->data, 30);
    gsl_matrix_view v = gsl_matrix_submatrix(big, 1, 2, 3, 3);   /* (3, 3), tda 6 */
    path_in(path, sizeof path, t, "view.npy");
    int rc = npy_write_matrix(path, &v.matrix, err, sizeof err);
    if (rc == RESLAB_OK) rc = npy_read_matrix(path, &b, err, sizeof err);
    int same = rc == RESLAB_OK && b && b->size1 == 3 && b->size2 == 3;
    for (size_t i = 0; same && i < 3; i++)
        same = same_bits(gsl_matrix_ptr(&v.matrix, i, 0), gsl_matrix_ptr(b, i, 0), 3);
    check_true(&t->c, same, "a 3x3 submatrix view (tda %zu) round-trips bit for bit %s",
               v.matrix.tda, err);
    size_t len;
    unsigned char *file = slurp(path, &len);
    check_true(&t->c, len == 128 + 9 * 8, "the view's file holds 9 doubles (%zu bytes)", len);
    free(file);
    gsl_matrix_free(b);
    gsl_matrix_free(big);
}

/* A matrix column is a vector with stride = tda. */
static void test_strided_vector_round_trip(Ctx *t)
{
    char path[2048], err[512] = "";
    gsl_matrix *big = gsl_matrix_alloc(5, 6);
    gsl_vector *b = NULL;
    double *y = NULL;
    size_t got[NPY_MAX_DIMS];
    int ndim = 0;
    fill_special(big->data, 30);
    gsl_vector_view col = gsl_matrix_column(big, 4);            /* (5), stride 6 */
    path_in(path, sizeof path, t, "column.npy");
    int rc = npy_write_vector(path, &col.vector, err, sizeof err);
    if (rc == RESLAB_OK) rc = npy_read_vector(path, &b, err, sizeof err);
    int same = rc == RESLAB_OK && b && b->size == 5;
    for (size_t i = 0; same && i < 5; i++)
        same = same_bits(gsl_vector_ptr(&col.vector, i), gsl_vector_ptr(b, i), 1);
    check_true(&t->c, same, "a matrix column (stride %zu) round-trips bit for bit %s",
               col.vector.stride, err);
    rc = npy_read(path, &y, got, &ndim, err, sizeof err);
    check_true(&t->c, rc == RESLAB_OK && ndim == 1 && got[0] == 5,
               "npy_read sees the vector as shape (5,)");
    free(y);
    gsl_vector_free(b);
    gsl_matrix_free(big);
}

/* 1-D is not guessed to be a row or a column, and 2-D is not flattened. */
static void test_readers_refuse_the_wrong_rank(Ctx *t)
{
    char vpath[2048], mpath[2048], err[512] = "";
    double x[6] = {0};
    size_t shape[2] = {2, 3};
    gsl_matrix *m = NULL;
    gsl_vector *v = NULL;
    path_in(vpath, sizeof vpath, t, "rank1.npy");
    path_in(mpath, sizeof mpath, t, "rank2.npy");
    npy_write(vpath, x, shape + 1, 1, err, sizeof err);
    npy_write(mpath, x, shape, 2, err, sizeof err);
    int rc = npy_read_matrix(vpath, &m, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_FORMAT && !m && strstr(err, vpath),
               "npy_read_matrix refuses a (3,) file: %s", err);
    rc = npy_read_vector(mpath, &v, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_FORMAT && !v && strstr(err, mpath),
               "npy_read_vector refuses a (2, 3) file: %s", err);
}

/* ---- (4) malformed files are refused with a message naming the file --------------------- */

#define GOOD_DICT "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n"
#define NUL_DICT "{'descr':\0 '<f8', 'fortran_order': False, 'shape': (2, 3), }\n"

/* A file of magic, version major.minor, a header length (hlen, or the dict's length if
 * hlen < 0), the dict (dictlen bytes, or strlen), then `data` zero bytes. */
typedef struct {
    const char *claim, *dict;
    int major, minor;
    long hlen;
    size_t dictlen, data;
    int code;
    const char *needle;                 /* the message must contain this */
} BadFile;

static const BadFile bad_files[] = {
    {"version 4.0", GOOD_DICT, 4, 0, -1, 0, 48, RESLAB_ERR_FORMAT, "version 4.0"},
    {"version 1.1", GOOD_DICT, 1, 1, -1, 0, 48, RESLAB_ERR_FORMAT, "version 1.1"},
    {"a header length past the end of the file", GOOD_DICT, 1, 0, 1000, 0, 48,
     RESLAB_ERR_FORMAT, "runs past the end"},
    {"a 2.0 header length past the end", GOOD_DICT, 2, 0, 70000, 0, 0, RESLAB_ERR_FORMAT,
     "over 65535"},
    {"an empty header", "", 1, 0, -1, 0, 0, RESLAB_ERR_FORMAT, "expected '{'"},
    {"a header that is not a dict", "[1, 2, 3]\n", 1, 0, -1, 0, 0, RESLAB_ERR_FORMAT,
     "expected '{'"},
    {"descr '>f8'", "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, -1, 0,
     48, RESLAB_ERR_FORMAT, "descr '>f8' is not supported"},
    {"descr '<f4'", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, -1, 0,
     24, RESLAB_ERR_FORMAT, "descr '<f4'"},
    {"descr '<i8'", "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, -1, 0,
     48, RESLAB_ERR_FORMAT, "descr '<i8'"},
    {"a structured descr", "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}",
     1, 0, -1, 0, 16, RESLAB_ERR_FORMAT, "expected a quoted string"},
    {"fortran_order True", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 1, 0,
     -1, 0, 48, RESLAB_ERR_FORMAT, "fortran_order True"},
    {"fortran_order Truest", "{'descr': '<f8', 'fortran_order': Truest, 'shape': (2, 3), }", 1,
     0, -1, 0, 48, RESLAB_ERR_FORMAT, "expected True or False"},
    {"9 dimensions", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }",
     1, 0, -1, 0, 8, RESLAB_ERR_FORMAT, "more than 8 dimensions"},
    {"a negative dimension", "{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 3), }", 1,
     0, -1, 0, 48, RESLAB_ERR_FORMAT, "negative dimension"},
    {"a dimension overflowing size_t",
     "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 0), }", 1, 0,
     -1, 0, 0, RESLAB_ERR_FORMAT, "does not fit"},
    {"dims whose product overflows size_t",
     "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", 1, 0,
     -1, 0, 48, RESLAB_ERR_TOOBIG, "over the limit of 1073741824"},
    {"an array over 1 GiB", "{'descr': '<f8', 'fortran_order': False, 'shape': (134217729,), }",
     1, 0, -1, 0, 48, RESLAB_ERR_TOOBIG, "needs 1073741832 bytes"},
    {"a float dimension", "{'descr': '<f8', 'fortran_order': False, 'shape': (2.0, 3), }", 1, 0,
     -1, 0, 48, RESLAB_ERR_FORMAT, "expected ','"},
    {"an unclosed shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3", 1, 0, -1,
     0, 48, RESLAB_ERR_FORMAT, "expected ','"},
    {"shape (6), an int and not a tuple",
     "{'descr': '<f8', 'fortran_order': False, 'shape': (6), }", 1, 0, -1, 0, 48,
     RESLAB_ERR_FORMAT, "not a tuple"},
    {"a missing shape value", "{'descr': '<f8', 'fortran_order': False, 'shape': }", 1, 0, -1,
     0, 48, RESLAB_ERR_FORMAT, "expected '('"},
    {"a missing key", "{'descr': '<f8', 'shape': (2, 3), }", 1, 0, -1, 0, 48, RESLAB_ERR_FORMAT,
     "no 'fortran_order' key"},
    {"a duplicate key", "{'descr': '<f8', 'shape': (2, 3), 'fortran_order': False, 'shape': "
     "(2, 3)}", 1, 0, -1, 0, 48, RESLAB_ERR_FORMAT, "duplicate key 'shape'"},
    {"an unknown key", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'order': 'C'}",
     1, 0, -1, 0, 48, RESLAB_ERR_FORMAT, "unknown key 'order'"},
    {"an unclosed string", "{'descr': '<f8, 'fortran_order': False, 'shape': (2, 3), }", 1, 0,
     -1, 0, 48, RESLAB_ERR_FORMAT, "descr '<f8, ' is not supported"},
    {"a string running to the end", "{'descr': '<f8", 1, 0, -1, 0, 48, RESLAB_ERR_FORMAT,
     "is not closed"},
    {"an escape in a string", "{'descr': '<\\x66', 'fortran_order': False, 'shape': (2, 3), }",
     1, 0, -1, 0, 48, RESLAB_ERR_FORMAT, "escapes"},
    {"text after the dict", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } x\n",
     1, 0, -1, 0, 48, RESLAB_ERR_FORMAT, "after the dict"},
    {"a missing comma", "{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }", 1, 0, -1,
     0, 48, RESLAB_ERR_FORMAT, "expected ',' or '}'"},
    {"a NUL byte in the header", NUL_DICT, 1, 0, -1, sizeof NUL_DICT - 1, 48, RESLAB_ERR_FORMAT,
     "byte 0x00"},
    {"a non-ASCII byte in the header",
     "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\xc3\xa9", 1, 0, -1, 0, 48,
     RESLAB_ERR_FORMAT, "0xc3"},
    {"data shorter than the shape", GOOD_DICT, 1, 0, -1, 0, 40, RESLAB_ERR_FORMAT,
     "the data is 40 bytes, but shape (2, 3) needs 48"},
    {"no data at all", GOOD_DICT, 1, 0, -1, 0, 0, RESLAB_ERR_FORMAT,
     "the data is 0 bytes"},
    {"trailing garbage", GOOD_DICT, 1, 0, -1, 0, 51, RESLAB_ERR_FORMAT, "trailing bytes"},
};

static void write_bad(const char *path, const BadFile *b)
{
    size_t dlen = b->dictlen ? b->dictlen : strlen(b->dict);
    size_t hlen = b->hlen < 0 ? dlen : (size_t)b->hlen, pre = b->major == 1 ? 10 : 12;
    unsigned char *buf = calloc(1, pre + dlen + b->data);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)b->major;
    buf[7] = (unsigned char)b->minor;
    for (size_t k = 8; k < pre; k++) buf[k] = (unsigned char)(hlen >> (8 * (k - 8)));
    memcpy(buf + pre, b->dict, dlen);
    spit(path, buf, pre + dlen + b->data);
    free(buf);
}

/* The readers refuse path with code, a message naming path and containing needle, and clean
 * outputs. */
static void expect_refusal(Ctx *t, const char *claim, const char *path, int code,
                           const char *needle)
{
    char err[512] = "", err2[512] = "";
    double *y = (double *)&err;                          /* must be reset to NULL */
    size_t shape[NPY_MAX_DIMS];
    int ndim = -1;
    gsl_matrix *m = NULL;
    int rc = npy_read(path, &y, shape, &ndim, err, sizeof err);
    int rc2 = npy_read_matrix(path, &m, err2, sizeof err2);
    check_true(&t->c, rc == code && rc2 == code && !y && !m && ndim == 0 && strstr(err, path) &&
                          strstr(err, needle) && !strcmp(err, err2),
               "refuses %s (%s): %s", claim, status_name(code), err);
}

static void test_malformed_files_are_refused(Ctx *t)
{
    char path[2048];
    path_in(path, sizeof path, t, "bad.npy");
    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        write_bad(path, &bad_files[i]);
        expect_refusal(t, bad_files[i].claim, path, bad_files[i].code, bad_files[i].needle);
    }
    spit(path, "", 0);
    expect_refusal(t, "an empty file", path, RESLAB_ERR_FORMAT, "offset 0: the file ends");
    spit(path, "\x93NUM", 4);
    expect_refusal(t, "a 4-byte file", path, RESLAB_ERR_FORMAT, "offset 4: the file ends");
    spit(path, "\x93NUMPZ\x01\x00\x00\x00", 10);
    expect_refusal(t, "a wrong magic", path, RESLAB_ERR_FORMAT, "offset 0: not a .npy file");
    spit(path, "\x93NUMPY\x02\x00\x00\x00\x00", 11);
    expect_refusal(t, "a 2.0 file ending in its header length", path, RESLAB_ERR_FORMAT,
                   "offset 11: the file ends");
    path_in(path, sizeof path, t, "no_such_file.npy");
    expect_refusal(t, "a missing file", path, RESLAB_ERR_IO, "cannot open");
    expect_refusal(t, "a directory", t->dir, RESLAB_ERR_IO, "cannot read");
}

/* The message gives the byte offset where the data starts and both sizes. */
static void test_short_data_message_gives_offset(Ctx *t)
{
    char path[2048], err[512] = "", want[2300];
    double *y = NULL;
    size_t shape[NPY_MAX_DIMS];
    int ndim;
    BadFile b = {"", GOOD_DICT, 1, 0, -1, 0, 40, 0, ""};
    path_in(path, sizeof path, t, "short.npy");
    write_bad(path, &b);
    npy_read(path, &y, shape, &ndim, err, sizeof err);
    snprintf(want, sizeof want, "%s: offset %zu: the data is 40 bytes, but shape (2, 3) needs 48",
             path, 10 + strlen(GOOD_DICT));
    check_true(&t->c, !strcmp(err, want), "message is \"%s\"", err);
}

/* What numpy and Python accept beyond what np.save writes: double quotes, any key order, no
 * trailing comma, no padding, version 2.0 (a 4-byte header length). */
static void test_other_valid_spellings_are_read(Ctx *t)
{
    static const BadFile ok[] = {
        {"double quotes, keys reordered, no padding",
         "{\"shape\":(2,3),\"fortran_order\":False,\"descr\":\"<f8\"}", 1, 0, -1, 0, 48, 0, ""},
        {"version 2.0", GOOD_DICT, 2, 0, -1, 0, 48, 0, ""},
        {"version 3.0 with a trailing comma in the shape",
         "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3,), }", 3, 0, -1, 0, 48, 0, ""},
    };
    char path[2048], err[512] = "";
    path_in(path, sizeof path, t, "ok.npy");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        gsl_matrix *m = NULL;
        write_bad(path, &ok[i]);
        int rc = npy_read_matrix(path, &m, err, sizeof err);
        check_true(&t->c, rc == RESLAB_OK && m && m->size1 == 2 && m->size2 == 3,
                   "reads %s %s", ok[i].claim, rc ? err : "");
        gsl_matrix_free(m);
    }
}

/* ---- (5) failed writes leave nothing behind --------------------------------------------- */

static void test_write_into_missing_directory_fails_cleanly(Ctx *t)
{
    char dir[2048], path[2300], err[512] = "";
    struct stat st;
    double x = 1.0;
    gsl_vector_view v = gsl_vector_view_array(&x, 1);
    path_in(dir, sizeof dir, t, "no_such_dir");
    snprintf(path, sizeof path, "%s/x.npy", dir);
    int rc = npy_write_vector(path, &v.vector, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_IO && strstr(err, path) && strstr(err, "cannot create"),
               "writing into a missing directory is an I/O error: %s", err);
    check_true(&t->c, stat(dir, &st) != 0 && count_temps(t->dir) == 0,
               "and creates neither the directory nor a temporary file");
}

/* rename() onto a directory fails after the whole file was written: the temporary must go. */
static void test_failed_rename_removes_the_temporary(Ctx *t)
{
    char path[2048], err[512] = "";
    struct stat st;
    double x[2] = {1, 2};
    size_t shape[1] = {2};
    path_in(path, sizeof path, t, "a_directory.npy");
    mkdir(path, 0755);
    int rc = npy_write(path, x, shape, 1, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_IO && strstr(err, path) && strstr(err, "rename"),
               "writing over a directory is an I/O error: %s", err);
    check_true(&t->c, count_temps(t->dir) == 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode),
               "the temporary file is removed and the directory is untouched");
    rmdir(path);
}

/* A file size limit (RLIMIT_FSIZE, which binds root too) makes a write fail half-way. */
static void test_failed_write_leaves_the_target_untouched(Ctx *t)
{
    char path[2048], err[512] = "";
    double big[1000] = {0}, one = 42.0;
    size_t shape[1] = {1000}, before_len, after_len;
    struct rlimit old, lim;
    path_in(path, sizeof path, t, "target.npy");
    npy_write(path, &one, shape, 0, err, sizeof err);            /* 136 bytes */
    unsigned char *before = slurp(path, &before_len);
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;                                         /* the new file is 8128 */
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);         /* EFBIG instead of a signal */
    int limited = setrlimit(RLIMIT_FSIZE, &lim) == 0;
    int rc = npy_write(path, big, shape, 1, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    unsigned char *after = slurp(path, &after_len);
    check_true(&t->c, limited && rc == RESLAB_ERR_IO && strstr(err, path),
               "a write cut short by a 4096-byte file size limit is an I/O error: %s", err);
    check_true(&t->c, before && after && before_len == after_len && before_len == 136 &&
                          !memcmp(before, after, before_len) && count_temps(t->dir) == 0,
               "the old target is byte for byte unchanged and no temporary file is left");
    free(before);
    free(after);
}

/* The file gets 0666 minus the umask, as fopen() would give, not mkstemp's 0600. */
static void test_written_file_has_the_usual_mode(Ctx *t)
{
    char path[2048], err[512] = "";
    double x = 0;
    struct stat st;
    mode_t old = umask(022);
    path_in(path, sizeof path, t, "mode.npy");
    int rc = npy_write(path, &x, NULL, 0, err, sizeof err);
    umask(old);
    if (stat(path, &st) != 0) st.st_mode = 0;
    check_true(&t->c, rc == RESLAB_OK && (st.st_mode & 0777) == 0644,
               "with umask 022 the file has mode 0644 (got %04o)", (unsigned)st.st_mode & 0777);
}

static void test_bad_arguments_are_refused(Ctx *t)
{
    char path[2048], err[512] = "";
    double x = 0;
    size_t shape[NPY_MAX_DIMS + 1] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    path_in(path, sizeof path, t, "args.npy");
    check_true(&t->c, npy_write(path, &x, shape, NPY_MAX_DIMS + 1, err, sizeof err) ==
                          RESLAB_ERR_INVALID, "npy_write refuses 9 dimensions: %s", err);
    check_true(&t->c, npy_write(path, NULL, shape, 1, err, sizeof err) == RESLAB_ERR_INVALID,
               "npy_write refuses NULL data for one element: %s", err);
    check_true(&t->c, npy_write_matrix(NULL, NULL, err, sizeof err) == RESLAB_ERR_INVALID,
               "npy_write_matrix refuses NULLs: %s", err);
}

static void test_npy_path_joins_and_checks_length(Ctx *t)
{
    char buf[10];
    check_true(&t->c, npy_path(buf, sizeof buf, "out", "W.npy") == RESLAB_OK &&
                          !strcmp(buf, "out/W.npy"), "npy_path(\"out\", \"W.npy\") is '%s'", buf);
    check_true(&t->c, npy_path(buf, sizeof buf, "o/", "W.npy") == RESLAB_OK &&
                          !strcmp(buf, "o/W.npy"), "npy_path(\"o/\", \"W.npy\") is '%s'", buf);
    check_true(&t->c, npy_path(buf, sizeof buf, "", "W.npy") == RESLAB_OK &&
                          !strcmp(buf, "W.npy"), "npy_path(\"\", \"W.npy\") is '%s'", buf);
    check_true(&t->c, npy_path(buf, sizeof buf, "out", "W1.npy") == RESLAB_ERR_INVALID &&
                          buf[0] == '\0', "npy_path refuses \"out/W1.npy\" in 10 bytes");
}

/* ---- main ------------------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    Ctx t = {{0, 0}, ""};
    const char *base = getenv("TEST_BUILD_DIR");
    snprintf(t.dir, sizeof t.dir, "%s/test_npy.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t.dir)) {
        fprintf(stderr, "test_npy: cannot create %s: %s\n", t.dir, strerror(errno));
        return 1;
    }
    test_header_is_byte_identical_to_numpy(&t);
    test_header_is_padded_to_64(&t);
    test_array_round_trip_keeps_every_bit(&t);
    test_scalar_and_empty_round_trip(&t);
    test_matrix_round_trip_keeps_every_bit(&t);
    test_submatrix_view_round_trip(&t);
    test_strided_vector_round_trip(&t);
    test_readers_refuse_the_wrong_rank(&t);
    test_malformed_files_are_refused(&t);
    test_short_data_message_gives_offset(&t);
    test_other_valid_spellings_are_read(&t);
    test_write_into_missing_directory_fails_cleanly(&t);
    test_failed_rename_removes_the_temporary(&t);
    test_failed_write_leaves_the_target_untouched(&t);
    test_written_file_has_the_usual_mode(&t);
    test_bad_arguments_are_refused(&t);
    test_npy_path_joins_and_checks_length(&t);
    nftw(t.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return check_done(&t.c);
}
