/* reslab exercise 6: softmax cross-entropy backward (reference solution)
 *
 * A classifier's last layer gives logits Z (one row per example, one column per class). The
 * softmax turns a row z into probabilities p_j = exp(z_j) / sum_c exp(z_c), and the loss is the
 * cross-entropy averaged over the batch, with one-hot labels Y (Y[i][j] = 1 for the right
 * class y_i of example i, else 0):
 *     L = -(1/B) sum_i log P[i][y_i]  =  -(1/B) sum_i sum_j Y[i][j] log P[i][j]
 * Compute dZ = dL/dZ.
 *
 * Shapes:    Z, Y, P, dZ (B, k)        B examples, k classes
 * Forward:   P = softmax(Z) by rows (the row's max subtracted first, against overflow), and L
 *            (given below)
 * Backward:  for one example, d(-log p_y)/dz_j = p_j - [j = y]  (the softmax's Jacobian and the
 *            log's 1/p_y cancel), so, with the mean over the batch:
 *                dZ = (P - Y) / B
 *
 * Things to get right: the 1/B of the mean belongs here, exactly once; every later (earlier)
 * layer's gradient is then a plain sum over the batch (exercise 2). The sign: P - Y, not Y - P.
 *
 * Check:  reslab exercise check 06-softmax.c
 */
#include <math.h>

#include "reslab_exercise.h"

/* P = softmax(Z) row by row; returns L = -(1/B) sum Y ⊙ log P. */
double softmax_xent_forward(const ExMat *Z, const ExMat *Y, ExMat *P)
{
    double L = 0.0;
    for (int i = 0; i < Z->rows; i++) {
        double mx = AT(Z, i, 0), s = 0.0;
        for (int j = 1; j < Z->cols; j++) mx = fmax(mx, AT(Z, i, j));
        for (int j = 0; j < Z->cols; j++) s += exp(AT(Z, i, j) - mx);
        for (int j = 0; j < Z->cols; j++) {
            double logp = AT(Z, i, j) - mx - log(s);
            AT(P, i, j) = exp(logp);
            L -= AT(Y, i, j) * logp;
        }
    }
    return L / Z->rows;
}

/* dZ += (P - Y) / B. */
void softmax_xent_backward(const ExMat *P, const ExMat *Y, ExMat *dZ)
{
    int B = P->rows;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < P->cols; j++) AT(dZ, i, j) += (AT(P, i, j) - AT(Y, i, j)) / B;
}
