/* reslab exercise 1: ReLU backward
 * Planted bug (tests/test_exercise.c): writes far outside dZ through the raw pointer (SIGSEGV).
 */
#include "reslab_exercise.h"

/* A = max(Z, 0), entry by entry. */
void relu_forward(const ExMat *Z, ExMat *A)
{
    for (int i = 0; i < Z->rows; i++)
        for (int j = 0; j < Z->cols; j++) AT(A, i, j) = AT(Z, i, j) > 0.0 ? AT(Z, i, j) : 0.0;
}

/* dZ += dA ⊙ [Z > 0].  Z, A: the forward's input and output; dA = dL/dA; dZ = dL/dZ. */
void relu_backward(const ExMat *Z, const ExMat *A, const ExMat *dA, ExMat *dZ)
{
    dZ->data[(size_t)1 << 40] += 1.0;                          /* BUG: far out of range */
    for (int i = 0; i < Z->rows; i++)
        for (int j = 0; j < Z->cols; j++)
            if (AT(Z, i, j) > 0.0) AT(dZ, i, j) += AT(dA, i, j);     /* relu'(0) = 0: strict > */
}
