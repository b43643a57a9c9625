/* npy.h: read and write NumPy .npy files of doubles, so numpy can check reslab and vice versa.
 *
 * Usage:
 *     char err[256], path[4096];
 *     if (npy_path(path, sizeof path, "out", "W1.npy") != RESLAB_OK) ...  too long
 *     if (npy_write_matrix(path, W1, err, sizeof err) != RESLAB_OK)       W1 (h, n)
 *         fprintf(stderr, "reslab: %s\n", err);
 *
 *     gsl_matrix *X = NULL;                                               X (N, n)
 *     if (npy_read_matrix("data/X.npy", &X, err, sizeof err) != RESLAB_OK) ...
 *     gsl_matrix_free(X);
 *
 *     python3 -c "import numpy as np; print(np.load('out/W1.npy'))"
 *
 * The format is the .npy format version 1.0 of NumPy (numpy.lib.format): the magic bytes
 * "\x93NUMPY", version 1.0, a little-endian uint16 header length, then an ASCII Python dict
 *     {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by '\n', then the data: float64, little-endian, C order (row
 * after row). The writer produces exactly the bytes that numpy 1.24's np.save produces: the
 * same 21 - len(str(shape[0])) spare spaces after the dict (room for the first axis to grow),
 * then padding so that magic + version + length + header is a multiple of NPY_ALIGN = 64 bytes.
 *
 * Only '<f8', C order, is read or written: other dtypes, big-endian data and fortran_order
 * True are rejected with a message saying so (np.ascontiguousarray(a, dtype='<f8') converts).
 * The reader accepts versions 1.0, 2.0 and 3.0 (2.0 and 3.0 differ only in a 4-byte header
 * length) and any alignment; it is strict about everything else.
 *
 * Errors: every function returns RESLAB_OK or an error code from status.h and writes a
 * one-line message into err (errlen bytes, may be NULL/0). Messages start with the path;
 * messages about a file's contents give the byte offset: "X.npy: offset 8: ...".
 * The writers are atomic: the data goes to a temporary file PATH.tmp.XXXXXX in the same
 * directory, which is renamed over PATH only after it was written, flushed, synced and closed.
 * On any failure the temporary file is removed and an existing PATH is left untouched.
 * The file gets the mode of a new file (0666 minus the umask), also when it replaces one.
 */
#ifndef RESLAB_NPY_H
#define RESLAB_NPY_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

enum {
    NPY_MAX_DIMS = 8,      /* at most this many axes (numpy allows more; reslab needs <= 3) */
    NPY_ALIGN = 64,        /* the header is padded to a multiple of this (numpy >= 1.14) */
};

/* Largest data block the reader accepts: 1 GiB (128 Mi doubles). A larger shape is refused
 * with RESLAB_ERR_TOOBIG before anything is allocated; the message gives the byte count. */
#define NPY_MAX_BYTES ((size_t)1 << 30)

/* Write an array of doubles in C order: element (i0, ..., i{ndim-1}) is
 * data[((i0 * shape[1] + i1) * shape[2] + i2) ...]. 0 <= ndim <= NPY_MAX_DIMS; ndim 0 is a
 * scalar (one element, shape ()). Dimensions may be 0; data may then be NULL.
 * Returns RESLAB_ERR_INVALID (bad arguments), RESLAB_ERR_NOMEM, or RESLAB_ERR_IO. */
int npy_write(const char *path, const double *data, const size_t *shape, int ndim, char *err,
              size_t errlen);

/* Write m as shape (size1, size2). m may be a view (tda > size2): only its elements are written. */
int npy_write_matrix(const char *path, const gsl_matrix *m, char *err, size_t errlen);

/* Write v as shape (size,). v may be a view with stride > 1 (e.g. a matrix column). */
int npy_write_vector(const char *path, const gsl_vector *v, char *err, size_t errlen);

/* Read the array in path. On success *data_out is a new malloc'd block of
 * shape_out[0] * ... * shape_out[ndim-1] doubles in C order (never NULL, even for zero
 * elements; the caller frees it with free()), shape_out[0 .. *ndim_out - 1] are the dimensions
 * and the rest of shape_out (NPY_MAX_DIMS entries) is set to 0.
 * On failure *data_out is NULL and *ndim_out is 0. Returns RESLAB_ERR_IO (cannot open or read),
 * RESLAB_ERR_FORMAT (not a '<f8' C-order .npy file, truncated, or trailing bytes),
 * RESLAB_ERR_TOOBIG (data larger than NPY_MAX_BYTES), RESLAB_ERR_NOMEM or RESLAB_ERR_INVALID. */
int npy_read(const char *path, double **data_out, size_t *shape_out, int *ndim_out, char *err,
             size_t errlen);

/* Read a 2-D array (r, c), r, c > 0, into a new *out (r, c); the caller frees it with
 * gsl_matrix_free. A 1-D file is refused (RESLAB_ERR_FORMAT), not guessed to be a row or a
 * column: reshape it in numpy, or use npy_read_vector. On failure *out is NULL.
 * Errors as npy_read; a zero dimension is RESLAB_ERR_FORMAT (a gsl_matrix cannot be empty). */
int npy_read_matrix(const char *path, gsl_matrix **out, char *err, size_t errlen);

/* Read a 1-D array (n,), n > 0, into a new *out (n); the caller frees it with gsl_vector_free.
 * Any other number of axes is RESLAB_ERR_FORMAT. On failure *out is NULL. */
int npy_read_vector(const char *path, gsl_vector **out, char *err, size_t errlen);

/* Join dir and name into buf as "dir/name" (no doubled '/'; just name if dir is "" or NULL).
 * Returns RESLAB_OK, or RESLAB_ERR_INVALID if it does not fit in buflen bytes (buf is then ""). */
int npy_path(char *buf, size_t buflen, const char *dir, const char *name);

#endif
