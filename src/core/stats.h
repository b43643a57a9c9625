/* stats.h: activation statistics of the residual stream, and what variance propagation predicts.
 *
 * Usage:
 *     net_forward(net, X);
 *     StatsLayer s[L + 1];
 *     stats_layers(net, s);                      s[l] describes x_l, l = 0..L
 *     if (s[l].overflow) ...                     inf/NaN in x_l, or q too large for a double
 *     double f = stats_predicted_factor(&cfg);   E q_l / E q_{l-1} by theory; NaN if unknown
 *     double fl[L];
 *     stats_predicted_factors(&cfg, fl);         the same, block by block (block 1 may differ)
 *
 * q_l is the second moment of the stream, mean of x_l^2 over all B n entries. "Predicted" means
 * the expectation over the random weights of a net built by net_alloc, in the wide-layer limit
 * where a sum over n units is replaced by its mean (papers.md section 6; the derivation is in
 * stats.c). A measured q_l / q_{l-1} scatters around it by O(1/sqrt(n)) per block, and since
 * log is concave, the average of log2(q_l / q_{l-1}) over seeds sits slightly below log2 of it.
 * Lessons 05 (depth grows) and 07 (initialisation).
 */
#ifndef RESLAB_STATS_H
#define RESLAB_STATS_H

#include <stddef.h>

#include "net.h"

typedef struct {
    double mean;          /* mean of the B n entries of x_l */
    double std;           /* population standard deviation (divides by B n) */
    double q;             /* second moment, mean of x_l^2 */
    double dead_hidden;   /* l >= 1 with ReLU: the fraction of the h hidden units of block l whose
                           * ReLU input z1 (block cache) is <= 0 for every example of the batch,
                           * so the unit outputs 0 for the whole batch and passes no gradient;
                           * NaN for l = 0 and for other activations */
    double dead_stream;   /* l >= 1, ReLU, post order: the fraction of the n units of
                           * x_l = relu(y) with y <= 0 for every example (a column of x_l that is
                           * all zero); NaN otherwise (pre order has no ReLU on the stream) */
    size_t nonfinite;     /* entries of x_l that are inf or NaN */
    int overflow;         /* 1 if nonfinite > 0 (then mean, std and q are NaN) or if q or std
                           * exceed the largest double (then they are inf); 0 otherwise */
} StatsLayer;

/* Statistics of x_0..x_L into out[L + 1], after net_forward. Any values are fine: entries that
 * are inf or NaN are counted and flagged, never averaged into a number that looks valid, and a
 * stream of finite but huge entries (|x| near 1e300) is summed with scaling, so q reads inf only
 * when q itself is out of range. The dead fractions come from the block caches (z1, y) and are
 * counted whatever the overflow state. Allocates nothing. */
void stats_layers(const Net *net, StatsLayer *out);

/* The std of every block's response, the branch output F (B, n) of block l into out[l - 1],
 * l = 1..L: with batch norm in post order, F = BN2(...) is "the output of the layer after BN
 * and before the nonlinearity" that He et al. 2015, Fig. 7 plots; without batch norm, the raw
 * branch output. NaN for a block whose F holds inf or NaN. After net_forward. */
void stats_response_std(const Net *net, double *out);

/* The predicted factor E q_l / E q_{l-1} for blocks l >= 2 of cfg (they all share it where the
 * theory has a closed form). For post order with an identity or scaled shortcut the factor
 * changes from block to block (the stream is rectified; stats.c computes it by a mean-field
 * recursion); then this returns the geometric mean over blocks 2..L of cfg->depth,
 * (E q_L / E q_1)^(1/(L-1)). For depth 1, block 1's factor.
 * NaN where no prediction is known: tanh; nonzero biases and batch norm (they add a constant
 * per block, not a factor); gates and dropout; post order with an identity or scaled shortcut
 * and a branch scale below about 5e-4 (the grid would get too fine). zero_last and branch scale
 * 0 (F = 0) are known for every other shortcut, with biases and batch norm too.
 * Examples (He, ReLU, zero biases, branch scale c): plain c^2; pre order residual 1 + c^2; post
 * order residual 1.5 in block 1, then 2.318, 2.381, ... -> 2.399 (c = 1); zero_last with pre
 * order exactly 1. */
double stats_predicted_factor(const NetConfig *cfg);

/* f[l - 1] = E q_l / E q_{l-1} for l = 1..cfg->depth, assuming x_0 has independent N(0, q_0)
 * entries (Gaussian inputs, or any input after the input projection). All NaN where
 * stats_predicted_factor is NaN, or if the mean-field grid cannot be allocated. The product of
 * f[0..L-1] is the predicted E q_L / q_0. */
void stats_predicted_factors(const NetConfig *cfg, double *f);

#endif
