/* dense.h: the affine layer Z = X W^T + b on a batch, forward and backward.
 *
 * Usage:
 *     dense_forward(X, W, b, Z);                  Z (B, out) from X (B, in), W (out, in), b (out)
 *     dense_backward(X, W, dZ, dX, dW, db);       accumulates dX, dW, db
 *
 * Rows are examples (B x width). b may be NULL (no bias); in backward dX, dW and db may each be
 * NULL when not wanted. Nothing is allocated.
 */
#ifndef RESLAB_DENSE_H
#define RESLAB_DENSE_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* Z = X W^T + 1 b^T.  X (B, in), W (out, in), b (out) or NULL, Z (B, out). */
void dense_forward(const gsl_matrix *X, const gsl_matrix *W, const gsl_vector *b, gsl_matrix *Z);

/* dX += dZ W;  dW += dZ^T X;  db += column sums of dZ.
 * X (B, in), W (out, in), dZ (B, out), dX (B, in), dW (out, in), db (out), each or NULL. */
void dense_backward(const gsl_matrix *X, const gsl_matrix *W, const gsl_matrix *dZ,
                    gsl_matrix *dX, gsl_matrix *dW, gsl_vector *db);

#endif
