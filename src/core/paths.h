/* paths.h: the unraveled view of a residual net (Veit, Wilber, Belongie 2016): 2^L paths, their
 * lengths, the gradient carried by paths of each length, and the lesion study.
 *
 * Usage:
 *     char err[256];
 *     gsl_matrix *v[L + 1];                       each (B, n), caller-owned
 *     paths_by_length(net, net_x(net, 0), v, NULL, err, sizeof err);   sum_k v[k] = x_L
 *     paths_enumerate(net, x0, v, sum, NULL, NULL, NULL, err, sizeof err);   L <= 16
 *     double c = paths_length_counts(54, 27), f = paths_length_fraction(54, 27);
 *     PathsGradOptions o = {.samples = 100};      PathsGradStats s[L + 1];
 *     paths_grad_by_length(net, X, &o, rng, s, NULL, err, sizeof err);   s[k].mean: ||dL/dx_0||
 *     double rel[L];  int bad;
 *     paths_lesion(net, X, rel, &bad, err, sizeof err);   rel[k-1]: block k deleted
 *
 * The unraveled view. A block x_l = x_{l-1} + F_l(x_{l-1}) offers every signal two ways on: the
 * shortcut or the branch. For LINEAR blocks, F_l(x) = M_l x (identity activation, zero biases,
 * no batch norm; M_l = W2 W1, (n, n)), the product expands exactly into 2^L terms, one per
 * subset S of blocks whose branch the path takes (its length k = |S|):
 *     x_L = (I + M_L) ... (I + M_1) x_0 = sum_{S subset {1..L}} prod_{l in S, descending} M_l x_0.
 * The number of paths of length k is C(L, k): the lengths are binomial, mean L/2, sd sqrt(L)/2.
 * For nonlinear blocks the expansion is not exact (papers.md §3, "Caveat"), but the backward pass
 * still splits into paths: choosing, in every block, the shortcut's or the branch's Jacobian
 * alone gives one path's gradient, and the 2^L of them sum to the full gradient dL/dx_0.
 * Widths: B batch, n width of the stream, L depth. Lessons on the unraveled view and lesions.
 */
#ifndef RESLAB_PATHS_H
#define RESLAB_PATHS_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "net.h"

#define PATHS_ENUM_MAX 16      /* the deepest net whose 2^L paths are enumerated one by one */
#define PATHS_COUNT_MAX 1000   /* the largest L paths_length_counts accepts */

/* RESLAB_OK if the net's blocks are linear, so the expansion is exact: identity activation
 * (then f = identity in either order), identity shortcut, no batch norm, every bias b1, b2 zero.
 * Otherwise RESLAB_ERR_INVALID with a message naming the first reason. */
int paths_linear_check(const Net *net, char *err, size_t errlen);

/* The expansion grouped by length, for linear blocks: v[k] = sum of the C(L, k) path terms with
 * exactly k branches applied to x0 (Bx, n), k = 0..L, by the recursion over blocks
 *     v_k^(l) = v_k^(l-1) + M_l v_{k-1}^(l-1),     v_0^(0) = x0,
 * i.e. L (L + 1) / 2 branch evaluations, not 2^L. v is caller-owned, L + 1 matrices (Bx, n)
 * (Bx need not be the net's batch; x0 = I_n gives the matrices' transposes, v[k] = P_k^T).
 * nonfinite (may be NULL) is set to 1 if any v[k] holds inf or NaN. Returns RESLAB_OK,
 * RESLAB_ERR_INVALID (nonlinear blocks, or shapes; message) or RESLAB_ERR_NOMEM. */
int paths_by_length(const Net *net, const gsl_matrix *x0, gsl_matrix **v, int *nonfinite,
                    char *err, size_t errlen);

/* Called by paths_enumerate for every path: its branch set as a bit mask (bit l-1: block l's
 * branch), its length k and its term prod_{l in S} M_l x0 (Bx, n), valid during the call. */
typedef void (*PathsVisit)(unsigned long mask, size_t k, const gsl_matrix *term, void *ctx);

/* Every one of the 2^L paths as its own product term, for linear blocks and L <= PATHS_ENUM_MAX.
 * The subsets are walked depth first over blocks 1..L, so paths sharing a prefix share its
 * product: 2^L - 1 branch evaluations in all. Each term is added into by_len[k] (L + 1 matrices
 * (Bx, n), or NULL) and into sum ((Bx, n), or NULL), both zeroed first, and passed to visit (or
 * NULL). nonfinite as above. RESLAB_OK, RESLAB_ERR_INVALID (nonlinear, too deep, shapes) or
 * RESLAB_ERR_NOMEM. */
int paths_enumerate(const Net *net, const gsl_matrix *x0, gsl_matrix **by_len, gsl_matrix *sum,
                    PathsVisit visit, void *ctx, int *nonfinite, char *err, size_t errlen);

/* C(L, k), the number of paths of length k, as a double; 0 for k > L; NaN for
 * L > PATHS_COUNT_MAX. No lgamma: an integer product with gcd reduction, exact while
 * C(L, k) < 2^64 (so exact as a double below 2^53, e.g. every k for L <= 56), then continued in
 * double, adding at most ~2 ulp per factor (relative error < 1e-13 for L <= 1000; C(1000, 500)
 * ~ 2.7e299 is still finite). */
double paths_length_counts(size_t L, size_t k);

/* C(L, k) / 2^L, the fraction of paths of length k (L <= PATHS_COUNT_MAX, else NaN). */
double paths_length_fraction(size_t L, size_t k);

/* Sum of the fractions for k = k0..k1 (inclusive; empty range: 0). */
double paths_length_fraction_range(size_t L, size_t k0, size_t k1);

/* Mean and standard deviation of the path length, summed from the distribution (mean L/2,
 * sd sqrt(L)/2). */
void paths_length_moments(size_t L, double *mean, double *sd);

/* Veit's gradient per path length (§5, Fig. 6b). */
typedef struct {
    size_t samples;   /* S random paths per length k (ignored when enumerate) */
    int enumerate;    /* 1: every one of the C(L, k) paths of each length; needs L <= PATHS_ENUM_MAX */
} PathsGradOptions;

typedef struct {
    size_t count;      /* paths evaluated with length k */
    size_t nonfinite;  /* of those, how many gave an inf or NaN norm (left out of the statistics) */
    double mean, sd;   /* mean and population sd of ||dL/dx_0||_F over the finite paths (NaN if none) */
    double min, max;
    double total;      /* C(L, k) * mean: the gradient the length-k paths carry together (Fig. 6c) */
} PathsGradStats;

/* Forward once (X (B, net_input_width), or NULL to use the net's last forward pass); then for
 * each k = 0..L and each path: backward from dL/dx_L = x_L / B (the analysis loss
 * 0.5 ||x_L||^2 / B) through the branch only of the path's k blocks and the shortcut only of the
 * others (block_backward_paths), and record ||dL/dx_0||_F for that single path. Random paths
 * choose their k blocks uniformly without replacement from rng (same seed, same bytes); with
 * enumerate, rng may be NULL. stats has L + 1 entries. gsum (L + 1 matrices (B, n), or NULL)
 * receives the sum of the evaluated paths' gradients dL/dx_0 per length: with enumerate,
 * sum_k gsum[k] is the full gradient dL/dx_0. Uses its own scratch: net->dx and the parameter
 * gradients are left alone; the forward pass overwrites the net's caches. Exploding nets give
 * inf/NaN norms, counted in nonfinite, never a crash. RESLAB_OK, RESLAB_ERR_INVALID (options,
 * shapes; message) or RESLAB_ERR_NOMEM. */
int paths_grad_by_length(Net *net, const gsl_matrix *X, const PathsGradOptions *opt,
                         gsl_rng *rng, PathsGradStats *stats, gsl_matrix **gsum, char *err,
                         size_t errlen);

/* x_L' of the net with block k (1..L) deleted at test time: x_k = x_{k-1}, then blocks
 * k+1..L as they are, from the net's last forward pass. out (B, n). For linear blocks this is
 * the product with the factor (I + M_k) removed. RESLAB_OK, RESLAB_ERR_INVALID or
 * RESLAB_ERR_NOMEM. */
int paths_lesion_one(const Net *net, size_t k, gsl_matrix *out, char *err, size_t errlen);

/* The lesion study (§4.1): forward once (X, or NULL for the last forward pass), then for every
 * k = 1..L, rel[k - 1] = ||x_L' - x_L||_F / ||x_L||_F with block k deleted (the absolute
 * difference if x_L = 0). Deleting one block of a residual net halves its paths; in a plain net
 * it cuts every path. nonfinite (may be NULL) is set to 1 if x_L or some x_L' held inf or NaN.
 * Batch norm uses the statistics of the lesioned batch; dropout shortcuts reuse the net's
 * masks. RESLAB_OK, RESLAB_ERR_INVALID or RESLAB_ERR_NOMEM. */
int paths_lesion(Net *net, const gsl_matrix *X, double *rel, int *nonfinite, char *err,
                 size_t errlen);

#endif
