/* reslab exercise 4: projection shortcut backward: y = F(x) + x Ws^T
 *
 * When a block changes the width (n_in -> n_out), the identity shortcut does not fit; He et
 * al. 2015 (Eq. 2) project x instead: S(X) = X Ws^T (option B; option C projects every
 * shortcut, even where the widths agree). The block is
 *     Z1 = X W1^T + 1 b1^T     A1 = relu(Z1)     F = A1 W2^T + 1 b2^T     Y = F + X Ws^T
 * Given dY = dL/dY, compute dX, dW1, db1, dW2, db2 and dWs. The branch F's backward is given
 * below (it is exercise 3's); yours is the shortcut's:
 *
 * Shapes:    X, dX (B, n_in)    Y, F, dY (B, n_out)    Ws, dWs (n_out, n_in)
 *            W1 (h, n_in)  b1 (1, h)   W2 (n_out, h)  b2 (1, n_out)   Z1, A1 (B, h)
 * Backward through the shortcut, a dense layer without bias (exercise 2):
 *     dWs = dY^T X      (n_out, n_in): the shortcut's own parameter
 *     dX  += dY Ws      (B, n_in):     the x path through the projection, ADDED to F's share
 *
 * Things to get right: dX has two terms (branch + projection), as in exercise 3, but the
 * shortcut's term is now dY Ws, not dY; dWs has Ws's shape (n_out, n_in). The grader tries
 * n_in = n_out (option C) and n_in != n_out, and batch 1.
 *
 * Check:  reslab exercise check 04-projection.c
 */
#include "reslab_exercise.h"

/* Fills Z1, A1, F, Y from X and the weights. */
void projection_forward(ExBlock *b)
{
    ex_linear_forward(b->X, b->W1, b->b1, b->Z1);              /* Z1 = X W1^T + b1  (B, h) */
    ex_relu_forward(b->Z1, b->A1);                              /* A1 = relu(Z1)     (B, h) */
    ex_linear_forward(b->A1, b->W2, b->b2, b->F);              /* F = A1 W2^T + b2  (B, n_out) */
    ex_linear_forward(b->X, b->Ws, NULL, b->Y);                /* Y = X Ws^T        (B, n_out) */
    for (int i = 0; i < b->Y->rows; i++)
        for (int j = 0; j < b->Y->cols; j++) AT(b->Y, i, j) += AT(b->F, i, j);    /* + F */
}

/* Given (exercise 3): the branch F's backward. Accumulates dW2, db2, dW1, db1 and F's share of
 * dX (dZ1 W1). */
static void branch_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g)
{
    int B = b->X->rows, n_in = b->X->cols, n_out = dY->cols, h = b->W1->rows;
    ExMat *dA1 = ex_new("dA1", B, h);
    for (int i = 0; i < B; i++)                    /* dW2 = dY^T A1, db2 = 1^T dY, dA1 = dY W2 */
        for (int o = 0; o < n_out; o++) {
            AT(g->db2, 0, o) += AT(dY, i, o);
            for (int k = 0; k < h; k++) {
                AT(g->dW2, o, k) += AT(dY, i, o) * AT(b->A1, i, k);
                AT(dA1, i, k) += AT(dY, i, o) * AT(b->W2, o, k);
            }
        }
    for (int i = 0; i < B; i++)
        for (int k = 0; k < h; k++) {
            double d = AT(b->Z1, i, k) > 0.0 ? AT(dA1, i, k) : 0.0;     /* dZ1 = dA1 ⊙ [Z1 > 0] */
            AT(g->db1, 0, k) += d;                                        /* db1 = 1^T dZ1 */
            for (int j = 0; j < n_in; j++) {
                AT(g->dW1, k, j) += d * AT(b->X, i, j);                   /* dW1 = dZ1^T X */
                AT(g->dX, i, j) += d * AT(b->W1, k, j);                   /* F's share of dX */
            }
        }
    ex_delete(dA1);
}

/* g->dX, dW1, db1, dW2, db2, dWs += the gradients of L, given dY = dL/dY. */
void projection_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g)
{
    branch_backward(b, dY, g);                  /* given: F's gradients and F's share of dX */
    /* TODO: the shortcut S(X) = X Ws^T:  dWs += dY^T X,  and dX += dY Ws (ADDED to F's share).
     * Then delete the next line. */
    not_implemented();
}
