/* reslab exercise 2: dense layer backward (dX, dW, db) (reference solution)
 *
 * A dense layer maps a batch X (one example per row) to Z = X W^T + 1 b^T: row i of Z is
 * z = W x + b for example i. Weights are stored (fan_out, fan_in), one row per output unit
 * (docs/math.md). Given dZ = dL/dZ, compute the gradients with respect to X, W and b.
 *
 * Shapes:    X (B, in)    W (out, in)    b (1, out)    Z, dZ (B, out)
 *            a gradient has the shape of what it differentiates: dX like X, dW like W, db like b
 * Forward:   Z[i][o] = b[o] + sum_k X[i][k] W[o][k]                     (given below)
 * Backward:  dX = dZ W      dX[i][k] = sum_o dZ[i][o] W[o][k]           (B, in)
 *            dW = dZ^T X    dW[o][k] = sum_i dZ[i][o] X[i][k]           (out, in)
 *            db = 1^T dZ    db[o]    = sum_i dZ[i][o]                   (1, out)
 *
 * Things to get right:
 *  - dW has W's shape (out, in): it is dZ^T X, not X^T dZ. The grader tries square and
 *    non-square layers, so a transposed dW shows (and, non-square, runs out of range: AT()
 *    stops the program and says where).
 *  - Every example adds to dW and db: they are SUMS over the batch. No 1/B here: when the
 *    loss is a mean over the batch, the 1/B is already inside dZ (exercise 6).
 *  - The gradients arrive zeroed; accumulate (+=).
 *
 * Check:  reslab exercise check 02-dense.c
 */
#include "reslab_exercise.h"

/* Z = X W^T + 1 b^T. */
void linear_forward(const ExMat *X, const ExMat *W, const ExMat *b, ExMat *Z)
{
    for (int i = 0; i < X->rows; i++)
        for (int o = 0; o < W->rows; o++) {
            double s = AT(b, 0, o);
            for (int k = 0; k < X->cols; k++) s += AT(X, i, k) * AT(W, o, k);
            AT(Z, i, o) = s;
        }
}

/* dX += dZ W;  dW += dZ^T X;  db += column sums of dZ. */
void linear_backward(const ExMat *X, const ExMat *W, const ExMat *dZ, ExMat *dX, ExMat *dW,
                     ExMat *db)
{
    for (int i = 0; i < X->rows; i++)                /* every example adds to every gradient */
        for (int o = 0; o < W->rows; o++) {
            double g = AT(dZ, i, o);
            AT(db, 0, o) += g;                                   /* db = 1^T dZ */
            for (int k = 0; k < X->cols; k++) {
                AT(dX, i, k) += g * AT(W, o, k);                 /* dX = dZ W   */
                AT(dW, o, k) += g * AT(X, i, k);                 /* dW = dZ^T X */
            }
        }
}
