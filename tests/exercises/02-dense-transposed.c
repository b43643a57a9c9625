/* reslab exercise 2: dense layer backward (dX, dW, db)
 * Planted bug (tests/test_exercise.c): dW is computed as X^T dZ (indices swapped).
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
                AT(dW, k, o) += g * AT(X, i, k);                 /* BUG: transposed */
            }
        }
}
