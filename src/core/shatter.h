/* shatter.h: shattered gradients (Balduzzi et al. 2017): along a sweep of a scalar input, the
 * gradient of a deep plain net decorrelates until it looks like white noise; a residual net
 * with a down-scaled branch keeps it smooth.
 *
 * Usage:
 *     NetConfig cfg = shatter_config_default();     plain, 1 -> 200 projection, He, ReLU,
 *     cfg.depth = 50;                                biases ~ N(0, 0.1)
 *     double g[SHATTER_POINTS];
 *     if (shatter_gradients(&cfg, SHATTER_POINTS, rng, g, err, sizeof err) != RESLAB_OK) ...
 *     double r = shatter_autocorr(g, SHATTER_POINTS, SHATTER_LAG);   papers.md's lag-4 ACF
 *
 *     ShatterOptions opt = shatter_options_default();    256 points, 8 seeds, 1 readout
 *     size_t depths[] = {1, 24, 50};
 *     ShatterDepth out[3];
 *     shatter_sweep(&cfg, &opt, depths, 3, out, err, sizeof err);
 *
 * The experiment (papers.md section 4): N inputs x_i evenly spaced on [-2, 2] form one batch
 * (B = N, input width 1); x_0 = x W_in^T (the projection 1 -> n); the output is the scalar
 * y_i = w . x_L[i] with a fixed readout w (unit norm, Gaussian direction), and
 *     g_i = dy_i / dx_i,
 * the diagonal of the Jacobian of (y_1..y_N) with respect to (x_1..x_N). Without batch norm
 * example i only sees x_i, so one backward pass from dL/dx_L = (every row w) gives every g_i.
 * With batch norm (cfg.bn, training-mode statistics) y_i depends on every x_j through the batch
 * mean and variance; g_i is still the diagonal entry, x_i's whole effect on y_i including its
 * share of the statistics, and it takes one backward pass per example (N times the cost). The
 * dropout shortcut is refused: its masks differ per example.
 * Zero biases make a ReLU net positively homogeneous: g takes one value for x < 0 and one for
 * x > 0, at every depth, so biases are what lets shattering show (papers.md pitfall).
 * Lesson 09 (shattered gradients).
 */
#ifndef RESLAB_SHATTER_H
#define RESLAB_SHATTER_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "net.h"

#define SHATTER_LAG 4              /* the lag papers.md tabulates (256 points on [-2, 2]) */
#define SHATTER_POINTS 256         /* N, the default number of inputs */
#define SHATTER_BIAS_STD 0.31622776601683794   /* sqrt(0.1): sigma_b^2 = 0.1 (papers.md) */

typedef struct {
    size_t points;         /* N >= 2, the inputs on [-2, 2]; default SHATTER_POINTS */
    unsigned long seed;    /* net s (s = 0..seeds-1) draws from mt19937 seeded with seed + s */
    size_t seeds;          /* nets per depth, >= 1; default 8 (papers.md) */
    size_t readouts;       /* readouts w per net, >= 1, drawn one after another after the
                            * net; default 1. More readouts are cheap (one backward pass each)
                            * and shrink the spread, most of which comes from w, not the net */
} ShatterOptions;

/* One depth of a sweep. acf1, acf4: mean of r(1) and r(SHATTER_LAG) over all seeds x readouts
 * (net, readout) pairs. acf1_sd, acf4_sd: population sd over the seeds of each net's mean over
 * its readouts, so the standard error of acf4 is acf4_sd / sqrt(seeds). */
typedef struct {
    size_t depth;
    double acf1, acf4;
    double acf1_sd, acf4_sd;
} ShatterDepth;

/* net_config_default() with: input_width 1, width 200 (papers.md), depth 1, shortcut none (the
 * feedforward net), biases ~ N(0, SHATTER_BIAS_STD^2), no parameter gradients. */
NetConfig shatter_config_default(void);

/* SHATTER_POINTS points, seed 1, 8 seeds, 1 readout. */
ShatterOptions shatter_options_default(void);

/* X (N, 1): x_i = lo + (hi - lo) i / (N - 1), both ends included (N = 1: lo). For even N and
 * lo = -hi, 0 is not on the grid. */
void shatter_grid(gsl_matrix *X, double lo, double hi);

/* w (n): independent N(0, 1) draws from rng, then scaled to unit norm. */
void shatter_readout(gsl_vector *w, gsl_rng *rng);

/* g[i] = dy_i/dx_i, y_i = w . x_L[i], after net_forward(net, X) with X (B, 1) on a net with
 * input_width 1. Runs net_backward (once, or B times when the examples are coupled), which
 * overwrites net->dx; parameter gradients, if allocated, accumulate. Uses net->dx[L] for the
 * upstream gradient; allocates nothing. */
void shatter_net_gradients(Net *net, const gsl_vector *w, double *g);

/* The whole experiment for one net: allocates the net of cfg with batch N (weights from rng),
 * then draws the readout w from rng, and writes g[N] for the grid on [-2, 2].
 * RESLAB_OK; RESLAB_ERR_INVALID if cfg->input_width != 1, N < 2 or the config fails
 * net_config_check; RESLAB_ERR_TOOBIG past RESLAB_MEMORY_LIMIT; RESLAB_ERR_NOMEM. */
int shatter_gradients(const NetConfig *cfg, size_t N, gsl_rng *rng, double *g, char *err,
                      size_t errlen);

/* The lag-k autocorrelation of g[0..N-1], mean removed and normalised by lag 0:
 *     r(k) = sum_{i < N-k} (g_i - m)(g_{i+k} - m) / sum_i (g_i - m)^2,   m = mean of g
 * (the usual biased estimator, as numpy/statsmodels acf: r(0) = 1, |r(k)| <= 1). A constant g
 * (lag-0 sum 0) returns 1: nothing shattered, as for LL-init. NaN if lag >= N or g has NaN. */
double shatter_autocorr(const double *g, size_t N, size_t lag);

/* For each depths[d]: the net of cfg at that depth, opt->seeds times, each as
 * shatter_gradients would build it from mt19937 seeded with opt->seed + s (the first readout is
 * the one shatter_gradients draws), so for one s every depth shares W_in and its first blocks.
 * One net per depth is allocated and redrawn in place for the next seed. Codes as
 * shatter_gradients, plus RESLAB_ERR_INVALID for zero seeds or readouts. */
int shatter_sweep(const NetConfig *cfg, const ShatterOptions *opt, const size_t *depths,
                  size_t count, ShatterDepth *out, char *err, size_t errlen);

#endif
