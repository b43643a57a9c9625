/* softmax.h: softmax cross-entropy on a batch of logits: loss, probabilities, gradient, accuracy.
 *
 * Usage:
 *     double loss = softmax_xent_forward(Z, y, P);     Z (B, k) logits, y[B] labels, P (B, k)
 *     softmax_forward(Z, P);                           P alone, when there are no labels
 *     softmax_xent_backward(P, y, dZ);                 dZ = (P - Y) / B
 *     size_t right = softmax_correct(Z, y);            rows whose argmax is the label
 *
 * With k classes, labels y_b in 0..k-1 and Y the one-hot matrix of y (B, k):
 *     P_bj = exp(Z_bj - m_b) / s_b,   m_b = max_j Z_bj,   s_b = sum_j exp(Z_bj - m_b)
 *     loss = (1/B) sum_b l_b,         l_b = -log P_{b,y_b} = log s_b - (Z_{b,y_b} - m_b)
 *     dloss/dZ = (P - Y) / B
 * Subtracting the row maximum m_b first (log-sum-exp) keeps every exp in (0, 1]: no overflow for
 * any finite logits, and s_b >= 1, so log s_b never sees 0. Uniform logits give l_b = log k
 * exactly (Z_{b,y_b} - m_b = 0 and s_b = k).
 * Labels must lie in 0..k-1 (asserted: the data loaders and train_check_data validate them).
 * Nothing is allocated.
 */
#ifndef RESLAB_SOFTMAX_H
#define RESLAB_SOFTMAX_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>

/* P = softmax(Z) row by row (P may be Z itself); returns the mean loss over the B rows.
 * Z (B, k), y[B], P (B, k). */
double softmax_xent_forward(const gsl_matrix *Z, const int *y, gsl_matrix *P);

/* P = softmax(Z) row by row, without labels (P may be Z itself). Z (B, k), P (B, k). */
void softmax_forward(const gsl_matrix *Z, gsl_matrix *P);

/* dZ = (P - Y) / B (written, not accumulated: it starts the backward pass). P (B, k) from
 * softmax_xent_forward, y[B], dZ (B, k); dZ may be P itself. */
void softmax_xent_backward(const gsl_matrix *P, const int *y, gsl_matrix *dZ);

/* The number of rows b with argmax_j Z_bj == y_b (ties go to the lowest index, as in
 * torch.argmax). Works on logits or probabilities alike (softmax keeps the order). */
size_t softmax_correct(const gsl_matrix *Z, const int *y);

/* argmax_j Z_bj of one row (ties: lowest index). */
size_t softmax_argmax(const gsl_matrix *Z, size_t b);

#endif
