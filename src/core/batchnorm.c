/* batchnorm.c: batch normalisation, training and inference mode (batchnorm.h has the equations).
 * Dimensions: B batch rows (the examples), k columns (the normalised units). Statistics are per
 * column, taken over the rows; every loop walks rows with row pointers, columns innermost. */
#include "batchnorm.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

/* Columns per pass in backward: the column sums live in stack arrays of this many doubles, so
 * backward allocates nothing whatever k is, and still reads dy and xhat row by row. */
#define BATCHNORM_CHUNK 64

BatchnormCache *batchnorm_cache_alloc(size_t B, size_t k)
{
    if (B == 0 || k == 0) return NULL;
    BatchnormCache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->xhat = gsl_matrix_calloc(B, k);
    c->inv_std = gsl_vector_calloc(k);
    c->mean = gsl_vector_calloc(k);
    c->var = gsl_vector_calloc(k);
    if (!c->xhat || !c->inv_std || !c->mean || !c->var) {
        batchnorm_cache_free(c);
        return NULL;
    }
    return c;
}

void batchnorm_cache_free(BatchnormCache *c)
{
    if (!c) return;
    gsl_matrix_free(c->xhat);
    gsl_vector_free(c->inv_std);
    gsl_vector_free(c->mean);
    gsl_vector_free(c->var);
    free(c);
}

/* The cache's vectors come from batchnorm_cache_alloc: contiguous, length k. (inline: only
 * asserts use it, and an unused static inline draws no warning under NDEBUG) */
static inline int cache_fits(const BatchnormCache *c, size_t B, size_t k)
{
    return c->xhat->size1 == B && c->xhat->size2 == k && c->mean->size == k &&
           c->var->size == k && c->inv_std->size == k && c->mean->stride == 1 &&
           c->var->stride == 1 && c->inv_std->stride == 1;
}

void batchnorm_cache_freeze(BatchnormCache *c, const gsl_vector *mean, const gsl_vector *var)
{
    assert(mean->size == c->mean->size && var->size == c->var->size);
    gsl_vector_memcpy(c->mean, mean);
    gsl_vector_memcpy(c->var, var);
    c->frozen = 1;
}

void batchnorm_cache_thaw(BatchnormCache *c) { c->frozen = 0; }

/* Inference mode: inv_std_j = 1/sqrt(var_j + eps) from the frozen var, as column_stats does. */
static void frozen_stats(double eps, BatchnormCache *c)
{
    const double *var = c->var->data;
    double *is = c->inv_std->data;
    for (size_t j = 0; j < c->var->size; j++) is[j] = 1.0 / sqrt(var[j] + eps);
}

/* mu_j = (1/B) sum_i x_ij;  var_j = (1/B) sum_i (x_ij - mu_j)^2;  inv_std_j = 1/sqrt(var_j + eps).
 * Two passes (mean first, then squared deviations): no cancellation when |mu| >> sqrt(var). */
static void column_stats(const gsl_matrix *x, double eps, BatchnormCache *c)
{
    size_t B = x->size1, k = x->size2;
    double *mu = c->mean->data, *var = c->var->data, *is = c->inv_std->data;
    for (size_t j = 0; j < k; j++) mu[j] = var[j] = 0.0;
    for (size_t i = 0; i < B; i++) {
        const double *xr = gsl_matrix_const_ptr(x, i, 0);
        for (size_t j = 0; j < k; j++) mu[j] += xr[j];
    }
    for (size_t j = 0; j < k; j++) mu[j] /= (double)B;          /* B = 1: mu = x exactly */
    for (size_t i = 0; i < B; i++) {
        const double *xr = gsl_matrix_const_ptr(x, i, 0);
        for (size_t j = 0; j < k; j++) {
            double d = xr[j] - mu[j];
            var[j] += d * d;
        }
    }
    for (size_t j = 0; j < k; j++) {
        var[j] /= (double)B;                                     /* biased: divide by B */
        is[j] = 1.0 / sqrt(var[j] + eps);
    }
}

void batchnorm_forward(const gsl_matrix *x, const gsl_vector *gamma, const gsl_vector *beta,
                       double eps, gsl_matrix *y, BatchnormCache *c)
{
    size_t B = x->size1, k = x->size2;
    assert(y->size1 == B && y->size2 == k && gamma->size == k && beta->size == k);
    assert(cache_fits(c, B, k) && eps >= 0.0);
    if (c->frozen) frozen_stats(eps, c);    /* inference mode: the population statistics */
    else column_stats(x, eps, c);           /* all statistics first: y may be x */
    const double *mu = c->mean->data, *is = c->inv_std->data;
    const double *g = gamma->data, *b = beta->data;
    size_t gs = gamma->stride, bs = beta->stride;
    for (size_t i = 0; i < B; i++) {
        const double *xr = gsl_matrix_const_ptr(x, i, 0);
        double *h = gsl_matrix_ptr(c->xhat, i, 0), *yr = gsl_matrix_ptr(y, i, 0);
        for (size_t j = 0; j < k; j++) {
            /* xhat_ij = (x_ij - mu_j) / sqrt(var_j + eps);  y_ij = gamma_j xhat_ij + beta_j.
             * x_ij is read before y_ij is written, so y = x is safe. */
            double xh = (xr[j] - mu[j]) * is[j];
            h[j] = xh;
            yr[j] = g[j * gs] * xh + b[j * bs];
        }
    }
}

/* Backward for columns j0 .. j0 + w - 1 (w <= BATCHNORM_CHUNK). */
static void backward_chunk(const gsl_matrix *dy, const gsl_vector *gamma, const BatchnormCache *c,
                           gsl_matrix *dx, gsl_vector *dgamma, gsl_vector *dbeta, size_t j0,
                           size_t w)
{
    size_t B = dy->size1;
    double s1[BATCHNORM_CHUNK] = {0}, s2[BATCHNORM_CHUNK] = {0}, scale[BATCHNORM_CHUNK];
    /* s1_j = sum_i dy_ij,  s2_j = sum_i dy_ij xhat_ij: the whole batch, before any dx */
    for (size_t i = 0; i < B; i++) {
        const double *g = gsl_matrix_const_ptr(dy, i, j0), *h = gsl_matrix_const_ptr(c->xhat, i, j0);
        for (size_t j = 0; j < w; j++) {
            s1[j] += g[j];
            s2[j] += g[j] * h[j];
        }
    }
    /* dbeta_j += sum_i dy_ij;  dgamma_j += sum_i dy_ij xhat_ij */
    if (dbeta)
        for (size_t j = 0; j < w; j++) dbeta->data[(j0 + j) * dbeta->stride] += s1[j];
    if (dgamma)
        for (size_t j = 0; j < w; j++) dgamma->data[(j0 + j) * dgamma->stride] += s2[j];
    if (!dx) return;
    for (size_t j = 0; j < w; j++) {
        scale[j] = gamma->data[(j0 + j) * gamma->stride] * c->inv_std->data[j0 + j];
        if (c->frozen) s1[j] = s2[j] = 0.0;     /* fixed mu, var: dx_ij += gamma_j inv_std_j dy_ij */
        s1[j] /= (double)B;                                      /* mean_i dy_ij */
        s2[j] /= (double)B;                                      /* mean_i dy_ij xhat_ij */
    }
    /* dx_ij += gamma_j inv_std_j (dy_ij - mean_i dy_ij - xhat_ij mean_i(dy_ij xhat_ij)):
     * dy minus its projection on the constant column, and minus (almost) its projection on
     * xhat: sum_i xhat_ij^2 = B var_j/(var_j + eps), so the last term is the exact projection
     * only when eps = 0. B = 1: dy - dy - 0 = 0 exactly. */
    for (size_t i = 0; i < B; i++) {
        const double *g = gsl_matrix_const_ptr(dy, i, j0), *h = gsl_matrix_const_ptr(c->xhat, i, j0);
        double *d = gsl_matrix_ptr(dx, i, j0);
        for (size_t j = 0; j < w; j++) d[j] += scale[j] * (g[j] - s1[j] - h[j] * s2[j]);
    }
}

void batchnorm_backward(const gsl_matrix *dy, const gsl_vector *gamma, const BatchnormCache *c,
                        gsl_matrix *dx, gsl_vector *dgamma, gsl_vector *dbeta)
{
    size_t k = dy->size2;
    assert(cache_fits(c, dy->size1, k) && gamma->size == k);
    assert(!dx || (dx->size1 == dy->size1 && dx->size2 == k));
    assert(!dgamma || dgamma->size == k);
    assert(!dbeta || dbeta->size == k);
    for (size_t j0 = 0; j0 < k; j0 += BATCHNORM_CHUNK)
        backward_chunk(dy, gamma, c, dx, dgamma, dbeta, j0,
                       k - j0 < BATCHNORM_CHUNK ? k - j0 : BATCHNORM_CHUNK);
}
