/* reslab exercise 1: ReLU backward
 * Planted bug (tests/test_exercise.c): the mask uses >=, so relu'(0) = 1.
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
    for (int i = 0; i < Z->rows; i++)
        for (int j = 0; j < Z->cols; j++)
            if (AT(Z, i, j) >= 0.0) AT(dZ, i, j) += AT(dA, i, j);    /* BUG: >= */
}
