/* shortcut.c: combining the branch F with the input x (see shortcut.h).
 * Dimensions: B batch rows, n_in input width, n_out output width. */
#include "shortcut.h"

#include <assert.h>
#include <math.h>
#include <gsl/gsl_blas.h>

#include "dense.h"

/* c->g = sigmoid(x Wg^T + bg) */
static void gate_forward(const BlockParams *p, const gsl_matrix *x, BlockCache *c)
{
    dense_forward(x, p->Wg, p->bg, c->g);
    for (size_t i = 0; i < c->g->size1; i++) {
        double *g = gsl_matrix_ptr(c->g, i, 0);
        for (size_t j = 0; j < c->g->size2; j++) g[j] = 1.0 / (1.0 + exp(-g[j]));
    }
}

void shortcut_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                      BlockCache *c)
{
    size_t B = x->size1, n = cfg->n_in;
    if (block_has_projection(cfg)) {                                 /* y = F + x Ws^T: [B x n_out] = [B x n_in][n_in x n_out] */
        gsl_matrix_memcpy(c->y, c->f);
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, x, p->Ws, 1.0, c->y);
        return;
    }
    if (c->g) gate_forward(p, x, c);
    for (size_t i = 0; i < B; i++) {
        const double *xr = gsl_matrix_const_ptr(x, i, 0), *f = gsl_matrix_const_ptr(c->f, i, 0);
        double *y = gsl_matrix_ptr(c->y, i, 0);
        const double *g = c->g ? gsl_matrix_const_ptr(c->g, i, 0) : NULL;
        const double *m = c->mask ? gsl_matrix_const_ptr(c->mask, i, 0) : NULL;
        for (size_t j = 0; j < cfg->n_out; j++) y[j] = f[j];
        switch (cfg->shortcut) {
        case SHORTCUT_NONE: break;
        case SHORTCUT_SCALED: for (size_t j = 0; j < n; j++) y[j] += cfg->lambda * xr[j]; break;
        case SHORTCUT_GATE: for (size_t j = 0; j < n; j++) y[j] = (1.0 - g[j]) * xr[j] + g[j] * f[j]; break;
        case SHORTCUT_GATE_SHORTCUT: for (size_t j = 0; j < n; j++) y[j] += (1.0 - g[j]) * xr[j]; break;
        case SHORTCUT_DROPOUT: for (size_t j = 0; j < n; j++) y[j] += m[j] * xr[j]; break;
        default: for (size_t j = 0; j < n; j++) y[j] += xr[j]; break;   /* identity, zero pad, B */
        }
    }
}

/* The gate's share: dpre = dg ⊙ g (1 - g); dWg += dpre^T x, dbg += sums, dx += dpre Wg. The
 * gate's dg per element is dy (F - x) (GATE) or -dy x (GATE_SHORTCUT); df is used as scratch. */
static void gate_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                          const gsl_matrix *dy, const gsl_matrix *x, const BlockParams *p,
                          const BlockCache *c, gsl_matrix *dpre)
{
    for (size_t i = 0; i < dy->size1; i++) {
        const double *d = gsl_matrix_const_ptr(dy, i, 0), *gg = gsl_matrix_const_ptr(c->g, i, 0);
        const double *xr = gsl_matrix_const_ptr(x, i, 0), *f = gsl_matrix_const_ptr(c->f, i, 0);
        double *o = gsl_matrix_ptr(dpre, i, 0);
        for (size_t j = 0; j < dy->size2; j++) {
            double dg = cfg->shortcut == SHORTCUT_GATE ? d[j] * (f[j] - xr[j]) : -d[j] * xr[j];
            o[j] = dg * gg[j] * (1.0 - gg[j]);             /* sigmoid' = g (1 - g) */
        }
    }
    dense_backward(x, p->Wg, dpre, dx, g ? g->Wg : NULL, g ? g->bg : NULL);
}

/* dx += the derivative of the shortcut term itself (not the gate's parameters). */
static void direct_backward(const BlockConfig *cfg, gsl_matrix *dx, const gsl_matrix *dy,
                            const BlockCache *c)
{
    for (size_t i = 0; i < dx->size1; i++) {
        const double *d = gsl_matrix_const_ptr(dy, i, 0);
        const double *gg = c->g ? gsl_matrix_const_ptr(c->g, i, 0) : NULL;
        const double *m = c->mask ? gsl_matrix_const_ptr(c->mask, i, 0) : NULL;
        double *o = gsl_matrix_ptr(dx, i, 0);
        for (size_t j = 0; j < cfg->n_in; j++) {
            double s = cfg->shortcut == SHORTCUT_SCALED ? cfg->lambda
                     : gg ? 1.0 - gg[j] : m ? m[j] : 1.0;
            o[j] += s * d[j];                              /* identity: dx += dy */
        }
    }
}

void shortcut_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                       const gsl_matrix *dy, const gsl_matrix *x, const BlockParams *p,
                       const BlockCache *c, gsl_matrix *df, int paths)
{
    int want_s = (paths & BLOCK_PATH_SHORTCUT) && cfg->shortcut != SHORTCUT_NONE;
    if (want_s && c->g) gate_backward(cfg, dx, g, dy, x, p, c, df);   /* df: scratch first */
    if (want_s && block_has_projection(cfg)) {
        /* S = Ws x: dWs += dy^T x ([n_out x n_in] = [n_out x B][B x n_in]), dx += dy Ws */
        if (g) gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, dy, x, 1.0, g->Ws);
        if (dx) gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dy, p->Ws, 1.0, dx);
    } else if (want_s && dx) {
        direct_backward(cfg, dx, dy, c);
    }
    /* dL/dF: dy, or g ⊙ dy for exclusive gating */
    if (!(paths & BLOCK_PATH_BRANCH)) {
        gsl_matrix_set_zero(df);
        return;
    }
    gsl_matrix_memcpy(df, dy);
    if (cfg->shortcut == SHORTCUT_GATE) gsl_matrix_mul_elements(df, c->g);
}

void shortcut_jacobian(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                       const BlockCache *c, size_t b, const gsl_matrix *JF, gsl_matrix *J)
{
    size_t n = cfg->n_in;
    gsl_matrix_memcpy(J, JF);
    if (cfg->shortcut == SHORTCUT_NONE) return;
    if (block_has_projection(cfg)) {
        gsl_matrix_add(J, p->Ws);
        return;
    }
    const double *gg = c->g ? gsl_matrix_const_ptr(c->g, b, 0) : NULL;
    const double *xr = gsl_matrix_const_ptr(x, b, 0), *f = gsl_matrix_const_ptr(c->f, b, 0);
    if (cfg->shortcut == SHORTCUT_GATE)                     /* y = x + g (F - x) */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) *gsl_matrix_ptr(J, i, j) *= gg[i];
    for (size_t i = 0; i < n; i++) {
        double s = cfg->shortcut == SHORTCUT_SCALED ? cfg->lambda
                 : gg ? 1.0 - gg[i] : c->mask ? gsl_matrix_get(c->mask, b, i) : 1.0;
        *gsl_matrix_ptr(J, i, i) += s;
        if (!gg) continue;
        /* through the gate: d g_i / d x = g_i (1 - g_i) Wg[i, :], times (F_i - x_i) or -x_i */
        double k = (cfg->shortcut == SHORTCUT_GATE ? f[i] - xr[i] : -xr[i]) * gg[i] * (1.0 - gg[i]);
        for (size_t j = 0; j < n; j++) *gsl_matrix_ptr(J, i, j) += k * gsl_matrix_get(p->Wg, i, j);
    }
}
