/* reslab exercise 7: a whole net's backward, plain and residual
 *
 * A net of L blocks in He et al. 2015's post order (the ReLU after the sum), and its plain twin
 * with the same weights but no shortcut. Block l (l = 0 .. L-1) maps x_l to x_{l+1}:
 *     Z1 = x_l W1^T + 1 b1^T     A1 = relu(Z1)     F = A1 W2^T + 1 b2^T
 *     Y  = F + x_l  (residual)   or   Y = F  (plain)          x_{l+1} = relu(Y)
 * You get dL/dx_L in g->dx[L]. Compute, for every block, dW1, db1, dW2, db2, and dL/dx_l for
 * every l = L-1 .. 0 in g->dx[l]. The grader checks each of them on its own, layer by layer,
 * for the plain net (net->residual = 0) and for the residual one (1).
 *
 * Shapes:    x[l], Y[l], dx[l] (B, n)    Z1[l], A1[l] (B, h)
 *            W1[l] (h, n)  b1[l] (1, h)   W2[l] (n, h)  b2[l] (1, n)   and the d's alike
 * Backward, block by block from the top (l = L-1 down to 0), from dx[l+1]:
 *     dY  = dx[l+1] ⊙ [Y > 0]          the ReLU after the sum, BEFORE the split
 *     dW2 = dY^T A1    db2 = 1^T dY    dA1 = dY W2     dZ1 = dA1 ⊙ [Z1 > 0]
 *     dW1 = dZ1^T x_l  db1 = 1^T dZ1
 *     dx[l] = dZ1 W1  (+ dY, residual: the shortcut, ADDED)
 *
 * This is exercises 3 and 1 put together, in a loop: the gradient that arrives at block l is
 * the one block l+1 computed. In the residual net every block adds its dY, so the gradient of
 * the top reaches the bottom through the chain of shortcuts (He et al. 2016, Eq. 5); the plain
 * net has only the product of the branches' Jacobians.
 *
 * Check:  reslab exercise check 07-net.c
 */
#include "reslab_exercise.h"

/* Fills Z1, A1, Y and x[l + 1] of every block, from x[0]. */
void exnet_forward(ExNet *net)
{
    for (int l = 0; l < net->depth; l++) {
        ex_linear_forward(net->x[l], net->W1[l], net->b1[l], net->Z1[l]);  /* Z1   (B, h) */
        ex_relu_forward(net->Z1[l], net->A1[l]);                             /* A1   (B, h) */
        ex_linear_forward(net->A1[l], net->W2[l], net->b2[l], net->Y[l]);  /* F    (B, n) */
        if (net->residual)
            for (int i = 0; i < net->Y[l]->rows; i++)
                for (int j = 0; j < net->Y[l]->cols; j++)
                    AT(net->Y[l], i, j) += AT(net->x[l], i, j);              /* Y = F + x_l */
        ex_relu_forward(net->Y[l], net->x[l + 1]);                          /* x_{l+1} = relu(Y) */
    }
}

/* g->dW1[l], db1[l], dW2[l], db2[l] and g->dx[l] for every block, from g->dx[L] = dL/dx_L. */
void exnet_backward(const ExNet *net, ExNetGrads *g)
{
    /* TODO: for l = L-1 down to 0: dY from dx[l+1]; the branch's gradients; dx[l] (plus dY
     * when net->residual). Then delete the next line. */
    not_implemented();
}
