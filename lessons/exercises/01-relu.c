/* reslab exercise 1: ReLU backward
 *
 * The ReLU a = max(z, 0) is applied entry by entry to a batch Z (one example per row). Given
 * dA = dL/dA, the gradient of the loss with respect to the ReLU's output, compute dZ = dL/dZ.
 *
 * Shapes:    Z, A, dA, dZ   all (B, k)        B examples, k units
 * Forward:   A[i][j] = max(Z[i][j], 0)                                   (given below)
 * Backward:  dZ[i][j] = dA[i][j] * relu'(Z[i][j]),   relu'(z) = 1 if z > 0, else 0
 *            in matrix form dZ = dA ⊙ [Z > 0]  (⊙: entry by entry)
 *
 * Things to get right:
 *  - The mask comes from the input Z: [z > 0]. The output works too, but only with > 0:
 *    A >= 0 holds everywhere, so a mask [A >= 0] lets every gradient through.
 *  - At the kink z = 0 relu has no derivative; reslab (like PyTorch) takes relu'(0) = 0.
 *    The grader puts a few entries exactly at 0 to check this convention.
 *  - dZ arrives zeroed; accumulate into it (dZ += ...), as reslab's core does.
 *
 * Matrices are ExMat (reslab_exercise.h): m->rows, m->cols are the sizes and AT(m, i, j)
 * reads or writes entry (i, j), with a range check that stops the program with a message.
 *
 * Check:  reslab exercise check 01-relu.c
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
    /* TODO: for every entry (i, j): where Z[i][j] > 0, add dA[i][j] to dZ[i][j].
     * Then delete the next line. */
    not_implemented();
}
