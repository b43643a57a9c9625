/* reslab exercise 6: softmax cross-entropy backward
 * Planted bug (tests/test_exercise.c): dZ is divided by the batch size twice.
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
        for (int j = 0; j < P->cols; j++) AT(dZ, i, j) += (AT(P, i, j) - AT(Y, i, j)) / B / B;   /* BUG */
}
