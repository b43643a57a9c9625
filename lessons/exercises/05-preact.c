/* reslab exercise 5: pre-activation block backward: y = x + F(relu(x))
 *
 * He et al. 2016 (Eq. 9) move the activation in front of the weights, so that nothing sits on
 * the path x -> y but the identity: x_{l+1} = x_l + F(f^(x_l)). Their full pre-activation unit
 * is BN, ReLU, weight, BN, ReLU, weight; batch norm is left out here (reslab's --order pre
 * without --bn), which leaves ReLU, Linear, ReLU, Linear:
 *     A0 = relu(X)     Z1 = A0 W1^T + 1 b1^T     A1 = relu(Z1)     F = A1 W2^T + 1 b2^T
 *     Y = X + F                 (the shortcut reads the raw X, not relu(X))
 * Given dY = dL/dY, compute dX, dW1, db1, dW2, db2.
 *
 * Shapes:    X, A0, F, Y, dY, dX (B, n)    W1 (h, n)  b1 (1, h)    W2 (n, h)  b2 (1, n)
 *            Z1, A1 (B, h)
 * Backward:
 *     dW2 = dY^T A1     db2 = 1^T dY     dA1 = dY W2     dZ1 = dA1 ⊙ [Z1 > 0]
 *     dW1 = dZ1^T A0    db1 = 1^T dZ1    dA0 = dZ1 W1
 *     dX  = dA0 ⊙ [X > 0]  +  dY        through F (and its leading ReLU), plus the shortcut
 *
 * Things to get right: dW1 reads A0 = relu(X), not X. The mask [X > 0] belongs to F's path
 * only: the shortcut's term dY reaches X unmasked. And, as in exercise 3, the two terms are
 * ADDED.
 *
 * Check:  reslab exercise check 05-preact.c
 */
#include "reslab_exercise.h"

/* Fills A0, Z1, A1, F, Y from X and the weights. */
void preact_forward(ExBlock *b)
{
    ex_relu_forward(b->X, b->A0);                               /* A0 = relu(X)       (B, n) */
    ex_linear_forward(b->A0, b->W1, b->b1, b->Z1);             /* Z1 = A0 W1^T + b1  (B, h) */
    ex_relu_forward(b->Z1, b->A1);                              /* A1 = relu(Z1)      (B, h) */
    ex_linear_forward(b->A1, b->W2, b->b2, b->F);              /* F = A1 W2^T + b2   (B, n) */
    for (int i = 0; i < b->Y->rows; i++)
        for (int j = 0; j < b->Y->cols; j++)
            AT(b->Y, i, j) = AT(b->X, i, j) + AT(b->F, i, j);   /* Y = X + F */
}

/* g->dX, dW1, db1, dW2, db2 += the gradients of L, given dY = dL/dY and the forward's cache. */
void preact_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g)
{
    /* TODO: dW2, db2, dA1; dZ1; dW1, db1, dA0; then dX = dA0 ⊙ [X > 0] + dY.
     * Then delete the next line. */
    not_implemented();
}
