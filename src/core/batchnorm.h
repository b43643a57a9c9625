/* batchnorm.h: batch normalisation (Ioffe & Szegedy 2015, Algorithm 1) in training mode and, with
 * frozen population statistics, in inference mode; forward and backward, one example per row.
 *
 * Usage:
 *     BatchnormCache *c = batchnorm_cache_alloc(B, k);          once, with the net
 *     batchnorm_forward(x, gamma, beta, BATCHNORM_EPS, y, c);   y (B, k); c keeps xhat and stats
 *     gsl_matrix_set_zero(dx); gsl_vector_set_zero(dgamma); gsl_vector_set_zero(dbeta);
 *     batchnorm_backward(dy, gamma, c, dx, dgamma, dbeta);      dx, dgamma, dbeta accumulate
 *     batchnorm_cache_free(c);
 *
 * Each of the k columns of X (B, k) is normalised over the batch (the B rows), so unlike every
 * other layer in reslab, examples interact: y_ij depends on the whole column j.
 *     mu_j    = (1/B) sum_i x_ij
 *     var_j   = (1/B) sum_i (x_ij - mu_j)^2           biased (divide by B), as in training mode
 *     xhat_ij = (x_ij - mu_j) / sqrt(var_j + eps)
 *     y_ij    = gamma_j xhat_ij + beta_j
 * Backward, with mean_i the mean over the batch (over the rows, within column j):
 *     dbeta_j  += sum_i dy_ij
 *     dgamma_j += sum_i dy_ij xhat_ij
 *     dx_ij    += (gamma_j / sqrt(var_j + eps)) (dy_ij - mean_i dy_ij - xhat_ij mean_i(dy_ij xhat_ij))
 * The first subtraction makes every column of dx sum to zero (y does not change when a constant
 * is added to a column of x). The second removes the part along xhat: with eps = 0,
 * sum_i dx_ij xhat_ij = 0 too (y does not change when a column is scaled). With eps > 0 the
 * scaling invariance is only approximate and sum_i dx_ij xhat_ij = gamma_j inv_std_j
 * (sum_i dy_ij xhat_ij) eps / (var_j + eps), small but not zero.
 *
 * Training mode (the default): the statistics are those of the current batch.
 * Inference mode (batchnorm_cache_freeze): the cache keeps a given mean and var, the population
 * statistics of a training set (train.h: train_bn_freeze computes them exactly, layer by layer,
 * over the whole set; there are no running averages), and every row is normalised with them:
 *     y_ij = gamma_j (x_ij - mu_j) / sqrt(var_j + eps) + beta_j      mu, var fixed
 * so the rows no longer interact, any batch size gives the same rows, and backward is
 *     dx_ij += gamma_j dy_ij / sqrt(var_j + eps)   (dgamma, dbeta as above).
 * On the rows whose batch statistics were frozen, inference mode gives the training-mode output
 * to the last bit: the same expression (x_ij - mu_j) * inv_std_j from the same mu and var.
 * B = 1 is degenerate: mu = x and var = 0, so xhat = 0 exactly, y = beta, and dx += 0 (dgamma
 * += 0, dbeta += dy). It needs eps > 0, as does any constant column (0/0 otherwise).
 * Nothing is allocated in forward or backward.
 */
#ifndef RESLAB_BATCHNORM_H
#define RESLAB_BATCHNORM_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#define BATCHNORM_EPS 1e-5   /* PyTorch's default (torch.nn.BatchNorm1d, eps=1e-05) */

/* What forward saves for backward, for a batch of B rows and k columns. */
typedef struct {
    gsl_matrix *xhat;      /* (B, k) the normalised input */
    gsl_vector *inv_std;   /* (k) 1 / sqrt(var + eps) */
    gsl_vector *mean;      /* (k) mu, the batch mean of each column */
    gsl_vector *var;       /* (k) the biased batch variance of each column */
    int frozen;            /* 0: training mode; 1: inference mode, mean and var are fixed */
} BatchnormCache;

/* All zero. NULL if out of memory, or if B or k is 0. Free with batchnorm_cache_free (NULL is
 * fine). The caller owns the cache; one cache per normalisation layer. */
BatchnormCache *batchnorm_cache_alloc(size_t B, size_t k);
void batchnorm_cache_free(BatchnormCache *c);

/* Inference mode: c keeps mean (k) and var (k) (copied; var_j >= 0) and forward normalises
 * with them from now on. batchnorm_cache_thaw(c) goes back to training mode. */
void batchnorm_cache_freeze(BatchnormCache *c, const gsl_vector *mean, const gsl_vector *var);
void batchnorm_cache_thaw(BatchnormCache *c);

/* y = gamma xhat + beta, column by column as above; writes xhat, inv_std, mean, var into c
 * (inference mode: xhat and inv_std only, from the frozen mean and var).
 * x (B, k), gamma (k), beta (k), y (B, k), c from batchnorm_cache_alloc(B, k); eps >= 0
 * (usually BATCHNORM_EPS). y may be x itself (normalise in place; the statistics are computed
 * before anything is written), but must not partly overlap it. */
void batchnorm_forward(const gsl_matrix *x, const gsl_vector *gamma, const gsl_vector *beta,
                       double eps, gsl_matrix *y, BatchnormCache *c);

/* Given dy = dL/dy (B, k), accumulates dx += dL/dx (B, k), dgamma += dL/dgamma (k) and
 * dbeta += dL/dbeta (k), from gamma (k) and what forward saved in c. dx, dgamma and dbeta may
 * each be NULL (not wanted). */
void batchnorm_backward(const gsl_matrix *dy, const gsl_vector *gamma, const BatchnormCache *c,
                        gsl_matrix *dx, gsl_vector *dgamma, gsl_vector *dbeta);

#endif
