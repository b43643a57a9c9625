/* reslab exercise 1: ReLU backward
 * Planted bug (tests/test_exercise.c): asks for 4 GiB and writes to it without checking for NULL.
 */
#include <stdlib.h>

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
    size_t huge = (size_t)4 << 30;
    volatile char *buf = malloc(huge);                         /* BUG: NULL under the limit */
    for (size_t i = 0; i < huge; i += 4096) buf[i] = 1;       /* ... not checked */
    free((char *)buf);
    for (int i = 0; i < Z->rows; i++)
        for (int j = 0; j < Z->cols; j++)
            if (AT(Z, i, j) > 0.0) AT(dZ, i, j) += AT(dA, i, j);     /* relu'(0) = 0: strict > */
}
