/* reslab exercise 3: residual block backward: y = F(x) + x (reference solution)
 *
 * The residual block of He et al. 2015 (Eq. 1) on a batch, with an identity shortcut:
 *     Z1 = X W1^T + 1 b1^T     A1 = relu(Z1)     F = A1 W2^T + 1 b2^T     Y = F + X
 * (the ReLU that He et al. put after the sum is left out here: exercise 7 has it).
 * Given dY = dL/dY, compute dX, dW1, db1, dW2, db2.
 *
 * Shapes:    X, F, Y, dY, dX (B, n)    W1 (h, n)  b1 (1, h)    W2 (n, h)  b2 (1, n)
 *            Z1, A1 (B, h)             B examples, n stream width, h hidden width
 * Backward through F (exercises 2 and 1, in reverse order of the forward):
 *     dW2 = dY^T A1     db2 = 1^T dY     dA1 = dY W2           (Y = F + X, so dF = dY)
 *     dZ1 = dA1 ⊙ [Z1 > 0]
 *     dW1 = dZ1^T X     db1 = 1^T dZ1    through F: dZ1 W1
 * Backward through the shortcut: Y = F + X has Jacobian I with respect to X: dY.
 *
 *     dX = dZ1 W1 + dY
 *
 * X is used TWICE (fan-out), once by F and once by the shortcut, and by the chain rule the two
 * gradients are ADDED. This is where hand-written backward passes most often go wrong: the
 * shortcut's term is forgotten, or one term overwrites the other (`=` where `+=` was meant).
 * He et al. 2016, Eq. 5: dL/dx_l = dL/dx_L (1 + d/dx_l sum F): the "1" is the shortcut.
 *
 * Temporaries: ExMat *t = ex_new("dA1", rows, cols) gives a zeroed matrix; ex_delete(t).
 * The gradients arrive zeroed; accumulate (+=).
 *
 * Check:  reslab exercise check 03-residual.c
 */
#include "reslab_exercise.h"

/* Fills Z1, A1, F, Y from X and the weights. */
void residual_forward(ExBlock *b)
{
    ex_linear_forward(b->X, b->W1, b->b1, b->Z1);              /* Z1 = X W1^T + b1   (B, h) */
    ex_relu_forward(b->Z1, b->A1);                              /* A1 = relu(Z1)      (B, h) */
    ex_linear_forward(b->A1, b->W2, b->b2, b->F);              /* F = A1 W2^T + b2   (B, n) */
    for (int i = 0; i < b->Y->rows; i++)
        for (int j = 0; j < b->Y->cols; j++)
            AT(b->Y, i, j) = AT(b->F, i, j) + AT(b->X, i, j);   /* Y = F + X: the shortcut */
}

/* g->dX, dW1, db1, dW2, db2 += the gradients of L, given dY = dL/dY and the forward's cache. */
void residual_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g)
{
    int B = b->X->rows, n = b->X->cols, h = b->W1->rows;
    ExMat *dA1 = ex_new("dA1", B, h), *dZ1 = ex_new("dZ1", B, h);
    for (int i = 0; i < B; i++)                    /* dW2 = dY^T A1, db2 = 1^T dY, dA1 = dY W2 */
        for (int o = 0; o < n; o++) {
            double d = AT(dY, i, o);
            AT(g->db2, 0, o) += d;
            for (int k = 0; k < h; k++) {
                AT(g->dW2, o, k) += d * AT(b->A1, i, k);
                AT(dA1, i, k) += d * AT(b->W2, o, k);
            }
        }
    for (int i = 0; i < B; i++)                    /* dZ1 = dA1 ⊙ [Z1 > 0] */
        for (int k = 0; k < h; k++)
            if (AT(b->Z1, i, k) > 0.0) AT(dZ1, i, k) = AT(dA1, i, k);
    for (int i = 0; i < B; i++)                    /* dW1 = dZ1^T X, db1 = 1^T dZ1, dX += dZ1 W1 */
        for (int k = 0; k < h; k++) {
            double d = AT(dZ1, i, k);
            AT(g->db1, 0, k) += d;
            for (int j = 0; j < n; j++) {
                AT(g->dW1, k, j) += d * AT(b->X, i, j);
                AT(g->dX, i, j) += d * AT(b->W1, k, j);      /* through F */
            }
        }
    for (int i = 0; i < B; i++)
        for (int j = 0; j < n; j++) AT(g->dX, i, j) += AT(dY, i, j);   /* shortcut: ADDED */
    ex_delete(dA1);
    ex_delete(dZ1);
}
