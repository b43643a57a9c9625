/* block.c: the residual block y = F(x) + S(x) and its plain twin, forward and backward.
 * Dimensions: B batch rows; n_in, n_out input and output widths; h hidden width inside F.
 * Equations: see block.h and docs/math.md, section "The block". */
#include "block.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>

#include "dense.h"
#include "status.h"

static const struct {
    ShortcutKind kind;
    const char *name;
} shortcut_names[] = {
    {SHORTCUT_NONE, "none"},          {SHORTCUT_IDENTITY, "identity"},
    {SHORTCUT_ZEROPAD, "zeropad"},    {SHORTCUT_PROJECT, "project"},
    {SHORTCUT_PROJECT_ALL, "project-all"}, {SHORTCUT_SCALED, "scaled"},
    {SHORTCUT_NONE, "plain"},         {SHORTCUT_ZEROPAD, "A"},
    {SHORTCUT_PROJECT, "B"},          {SHORTCUT_PROJECT_ALL, "C"},
};

const char *block_shortcut_name(ShortcutKind k)
{
    for (size_t i = 0; i < sizeof shortcut_names / sizeof shortcut_names[0]; i++)
        if (shortcut_names[i].kind == k) return shortcut_names[i].name;
    return "?";
}

int block_shortcut_parse(const char *name, ShortcutKind *out)
{
    for (size_t i = 0; i < sizeof shortcut_names / sizeof shortcut_names[0]; i++)
        if (strcmp(name, shortcut_names[i].name) == 0) {
            *out = shortcut_names[i].kind;
            return RESLAB_OK;
        }
    return RESLAB_ERR_INVALID;
}

const char *block_order_name(BlockOrder o) { return o == ORDER_PRE ? "pre" : "post"; }

int block_order_parse(const char *name, BlockOrder *out)
{
    if (strcmp(name, "post") == 0) *out = ORDER_POST;
    else if (strcmp(name, "pre") == 0) *out = ORDER_PRE;
    else return RESLAB_ERR_INVALID;
    return RESLAB_OK;
}

int block_config_check(const BlockConfig *cfg, char *err, size_t errlen)
{
    if (cfg->n_in < 1 || cfg->n_out < 1 || cfg->h < 1)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "block widths must be at least 1 (n_in %zu, n_out %zu, h %zu)",
                          cfg->n_in, cfg->n_out, cfg->h);
    if ((cfg->shortcut == SHORTCUT_IDENTITY || cfg->shortcut == SHORTCUT_SCALED) &&
        cfg->n_in != cfg->n_out)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the %s shortcut needs equal widths (n_in %zu, n_out %zu); "
                          "use zeropad (A), project (B) or project-all (C)",
                          block_shortcut_name(cfg->shortcut), cfg->n_in, cfg->n_out);
    if (cfg->shortcut == SHORTCUT_ZEROPAD && cfg->n_out < cfg->n_in)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "zero padding (A) only widens: n_out %zu < n_in %zu", cfg->n_out,
                          cfg->n_in);
    if (cfg->shortcut == SHORTCUT_SCALED && !isfinite(cfg->lambda))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "lambda must be finite");
    return RESLAB_OK;
}

int block_has_projection(const BlockConfig *cfg)
{
    return cfg->shortcut == SHORTCUT_PROJECT_ALL ||
           (cfg->shortcut == SHORTCUT_PROJECT && cfg->n_in != cfg->n_out);
}

size_t block_param_count(const BlockConfig *cfg)
{
    size_t n = cfg->h * cfg->n_in + cfg->h + cfg->n_out * cfg->h + cfg->n_out;
    return n + (block_has_projection(cfg) ? cfg->n_out * cfg->n_in : 0);
}

size_t block_cache_count(const BlockConfig *cfg, size_t B)
{
    size_t n = 2 * B * cfg->h + 2 * B * cfg->n_out;
    if (cfg->order == ORDER_PRE) n += B * cfg->n_in;
    else n += B * cfg->n_out;                                  /* out = s(y) kept apart */
    return n;
}

BlockParams *block_params_alloc(const BlockConfig *cfg)
{
    BlockParams *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->W1 = gsl_matrix_calloc(cfg->h, cfg->n_in);
    p->b1 = gsl_vector_calloc(cfg->h);
    p->W2 = gsl_matrix_calloc(cfg->n_out, cfg->h);
    p->b2 = gsl_vector_calloc(cfg->n_out);
    if (block_has_projection(cfg)) p->Ws = gsl_matrix_calloc(cfg->n_out, cfg->n_in);
    if (!p->W1 || !p->b1 || !p->W2 || !p->b2 || (block_has_projection(cfg) && !p->Ws)) {
        block_params_free(p);
        return NULL;
    }
    return p;
}

void block_params_free(BlockParams *p)
{
    if (!p) return;
    gsl_matrix_free(p->W1);
    gsl_vector_free(p->b1);
    gsl_matrix_free(p->W2);
    gsl_vector_free(p->b2);
    gsl_matrix_free(p->Ws);
    free(p);
}

void block_params_zero(BlockParams *p)
{
    gsl_matrix_set_zero(p->W1);
    gsl_vector_set_zero(p->b1);
    gsl_matrix_set_zero(p->W2);
    gsl_vector_set_zero(p->b2);
    if (p->Ws) gsl_matrix_set_zero(p->Ws);
}

BlockCache *block_cache_alloc(const BlockConfig *cfg, size_t B)
{
    BlockCache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    int ok = 1;
    if (cfg->order == ORDER_PRE) ok &= (c->a0 = gsl_matrix_calloc(B, cfg->n_in)) != NULL;
    ok &= (c->z1 = gsl_matrix_calloc(B, cfg->h)) != NULL;
    ok &= (c->a1 = gsl_matrix_calloc(B, cfg->h)) != NULL;
    ok &= (c->f = gsl_matrix_calloc(B, cfg->n_out)) != NULL;
    ok &= (c->y = gsl_matrix_calloc(B, cfg->n_out)) != NULL;
    if (cfg->order == ORDER_POST) ok &= (c->out = gsl_matrix_calloc(B, cfg->n_out)) != NULL;
    else c->out = c->y;                         /* pre-activation: out = y, no copy */
    if (!ok) {
        block_cache_free(c);
        return NULL;
    }
    return c;
}

void block_cache_free(BlockCache *c)
{
    if (!c) return;
    if (c->out != c->y) gsl_matrix_free(c->out);
    gsl_matrix_free(c->a0);
    gsl_matrix_free(c->z1);
    gsl_matrix_free(c->a1);
    gsl_matrix_free(c->f);
    gsl_matrix_free(c->y);
    free(c);
}

BlockWork *block_work_alloc(const BlockConfig *cfg, size_t B)
{
    BlockWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->dy = gsl_matrix_alloc(B, cfg->n_out);
    w->dz1 = gsl_matrix_alloc(B, cfg->h);
    w->da1 = gsl_matrix_alloc(B, cfg->h);
    w->da0 = gsl_matrix_alloc(B, cfg->n_in);
    if (!w->dy || !w->dz1 || !w->da1 || !w->da0) {
        block_work_free(w);
        return NULL;
    }
    return w;
}

void block_work_free(BlockWork *w)
{
    if (!w) return;
    gsl_matrix_free(w->dy);
    gsl_matrix_free(w->dz1);
    gsl_matrix_free(w->da1);
    gsl_matrix_free(w->da0);
    free(w);
}

void block_branch_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                          BlockCache *c)
{
    const gsl_matrix *a = x;
    if (cfg->order == ORDER_PRE) {              /* pre-activation: F sees s(x) */
        act_forward(cfg->act, x, c->a0);
        a = c->a0;
    }
    dense_forward(a, p->W1, p->b1, c->z1);      /* z1 = W1 a + b1 */
    act_forward(cfg->act, c->z1, c->a1);        /* a1 = s(z1) */
    dense_forward(c->a1, p->W2, p->b2, c->f);   /* F = W2 a1 + b2 */
}

/* y += S(x) for every shortcut kind; y (B, n_out), x (B, n_in). */
static void shortcut_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                             gsl_matrix *y)
{
    size_t B = x->size1;
    switch (cfg->shortcut) {
    case SHORTCUT_NONE: return;                 /* plain twin: no shortcut */
    case SHORTCUT_PROJECT_ALL: break;
    case SHORTCUT_PROJECT:
        if (p->Ws) break;
        /* equal widths: identity */
        __attribute__((fallthrough));
    case SHORTCUT_IDENTITY:
    case SHORTCUT_ZEROPAD:
    case SHORTCUT_SCALED: {
        double lam = cfg->shortcut == SHORTCUT_SCALED ? cfg->lambda : 1.0;
        for (size_t i = 0; i < B; i++) {        /* y[:, :n_in] += lambda x; padded columns get 0 */
            const double *xr = gsl_matrix_const_ptr(x, i, 0);
            double *yr = gsl_matrix_ptr(y, i, 0);
            for (size_t j = 0; j < cfg->n_in; j++) yr[j] += lam * xr[j];
        }
        return;
    }
    }
    /* projection: y += x Ws^T,  [B x n_out] = [B x n_in][n_in x n_out] */
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, x, p->Ws, 1.0, y);
}

void block_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                   BlockCache *c)
{
    assert(x->size2 == cfg->n_in && x->size1 == c->f->size1);
    block_branch_forward(cfg, p, x, c);
    /* y = F(x) + S(x): the shortcut is added here */
    gsl_matrix_memcpy(c->y, c->f);
    shortcut_forward(cfg, p, x, c->y);
    if (cfg->order == ORDER_POST) act_forward(cfg->act, c->y, c->out);   /* out = s(y) */
}

/* dx += dS/dx^T dy and dWs += dy^T x: the gradient through the shortcut alone. */
static void shortcut_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                              const gsl_matrix *dy, const gsl_matrix *x, const BlockParams *p)
{
    if (cfg->shortcut == SHORTCUT_NONE) return;
    if (p->Ws) {
        /* S(x) = Ws x:  dWs += dy^T x,  dx += dy Ws  ([B x n_in] = [B x n_out][n_out x n_in]) */
        if (g) gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, dy, x, 1.0, g->Ws);
        if (dx) gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dy, p->Ws, 1.0, dx);
        return;
    }
    if (!dx) return;
    double lam = cfg->shortcut == SHORTCUT_SCALED ? cfg->lambda : 1.0;
    for (size_t i = 0; i < dx->size1; i++) {    /* identity / zero-pad / scaled: dx += lambda dy[:, :n_in] */
        const double *d = gsl_matrix_const_ptr(dy, i, 0);
        double *o = gsl_matrix_ptr(dx, i, 0);
        for (size_t j = 0; j < cfg->n_in; j++) o[j] += lam * d[j];
    }
}

void block_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                    const gsl_matrix *dout, const gsl_matrix *x, const BlockParams *p,
                    const BlockCache *c, BlockWork *w)
{
    /* dy = dL/dy: through the post-activation (out = s(y)) or unchanged (pre: out = y) */
    if (cfg->order == ORDER_POST) {
        gsl_matrix_set_zero(w->dy);
        act_backward(cfg->act, c->y, dout, w->dy);
    } else {
        gsl_matrix_memcpy(w->dy, dout);
    }
    /* y = F(x) + S(x), so dL/dx = dL/dy (dF/dx + dS/dx): the upstream gradient reaches x twice,
     * through the shortcut and through F. The two are ADDED (dx accumulates). */
    shortcut_backward(cfg, dx, g, w->dy, x, p);              /* shortcut path */
    /* branch path: F = W2 a1 + b2, a1 = s(z1), z1 = W1 a + b1 */
    gsl_matrix_set_zero(w->da1);
    dense_backward(c->a1, p->W2, w->dy, w->da1, g ? g->W2 : NULL, g ? g->b2 : NULL);
    gsl_matrix_set_zero(w->dz1);
    act_backward(cfg->act, c->z1, w->da1, w->dz1);
    const gsl_matrix *a = cfg->order == ORDER_PRE ? c->a0 : x;
    gsl_matrix *dW1 = g ? g->W1 : NULL;
    gsl_vector *db1 = g ? g->b1 : NULL;
    if (!dx) {
        dense_backward(a, p->W1, w->dz1, NULL, dW1, db1);
    } else if (cfg->order == ORDER_PRE) {                    /* a = s(x): dx += da ⊙ s'(x) */
        gsl_matrix_set_zero(w->da0);
        dense_backward(a, p->W1, w->dz1, w->da0, dW1, db1);
        act_backward(cfg->act, x, w->da0, dx);
    } else {
        dense_backward(a, p->W1, w->dz1, dx, dW1, db1);
    }
}
