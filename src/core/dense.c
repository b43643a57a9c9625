/* dense.c: the affine layer Z = X W^T + b.
 * Dimensions: B batch rows; in, out the layer's input and output widths. */
#include "dense.h"

#include <assert.h>
#include <gsl/gsl_blas.h>

void dense_forward(const gsl_matrix *X, const gsl_matrix *W, const gsl_vector *b, gsl_matrix *Z)
{
    assert(X->size2 == W->size2 && Z->size1 == X->size1 && Z->size2 == W->size1);
    if (X->size1 == 1) {                 /* one example: z = W x, a matrix-vector product */
        gsl_vector_const_view x = gsl_matrix_const_row(X, 0);
        gsl_vector_view z = gsl_matrix_row(Z, 0);
        gsl_blas_dgemv(CblasNoTrans, 1.0, W, &x.vector, 0.0, &z.vector);   /* [out] = [out x in][in] */
    } else {                             /* [B x out] = [B x in][in x out] */
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, X, W, 0.0, Z);
    }
    if (!b) return;
    assert(b->size == Z->size2);
    const double *bv = b->data;
    for (size_t i = 0; i < Z->size1; i++) {
        double *z = gsl_matrix_ptr(Z, i, 0);
        for (size_t j = 0; j < Z->size2; j++) z[j] += bv[j * b->stride];
    }
}

void dense_backward(const gsl_matrix *X, const gsl_matrix *W, const gsl_matrix *dZ,
                    gsl_matrix *dX, gsl_matrix *dW, gsl_vector *db)
{
    assert(dZ->size1 == X->size1 && dZ->size2 == W->size1 && X->size2 == W->size2);
    if (X->size1 == 1) {                 /* one example: dgemv and a rank-1 update (dger) */
        gsl_vector_const_view x = gsl_matrix_const_row(X, 0), dz = gsl_matrix_const_row(dZ, 0);
        if (dX) {
            assert(dX->size1 == 1 && dX->size2 == X->size2);
            gsl_vector_view dx = gsl_matrix_row(dX, 0);
            gsl_blas_dgemv(CblasTrans, 1.0, W, &dz.vector, 1.0, &dx.vector);  /* dx += W^T dz */
        }
        if (dW) gsl_blas_dger(1.0, &dz.vector, &x.vector, dW);             /* dW += dz x^T */
    } else {
        if (dX) {
            assert(dX->size1 == X->size1 && dX->size2 == X->size2);
            /* dX += dZ W:  [B x in] = [B x out][out x in] */
            gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dZ, W, 1.0, dX);
        }
        /* dW += dZ^T X:  [out x in] = [out x B][B x in] */
        if (dW) gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, dZ, X, 1.0, dW);
    }
    if (!db) return;
    /* db += sum over the batch of dZ: every example's bias gradient adds up */
    double *dbv = db->data;
    for (size_t i = 0; i < dZ->size1; i++) {
        const double *g = gsl_matrix_const_ptr(dZ, i, 0);
        for (size_t j = 0; j < dZ->size2; j++) dbv[j * db->stride] += g[j];
    }
}
