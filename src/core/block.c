/* block.c: the residual block y = F(x) + S(x) and its plain twin, forward and backward; the
 * branch F with optional batch norm; per-example Jacobians.
 * Dimensions: B batch rows; n_in, n_out input and output widths; h hidden width inside F.
 * Equations: block.h, shortcut.h and docs/math.md, section "The block". */
#include "block.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "dense.h"
#include "shortcut.h"
#include "status.h"

static const struct {
    ShortcutKind kind;
    const char *name;
} shortcut_names[] = {
    {SHORTCUT_NONE, "none"},          {SHORTCUT_IDENTITY, "identity"},
    {SHORTCUT_ZEROPAD, "zeropad"},    {SHORTCUT_PROJECT, "project"},
    {SHORTCUT_PROJECT_ALL, "project-all"}, {SHORTCUT_SCALED, "scaled"},
    {SHORTCUT_GATE, "gate"},          {SHORTCUT_GATE_SHORTCUT, "gate-shortcut"},
    {SHORTCUT_DROPOUT, "dropout"},
    {SHORTCUT_NONE, "plain"},         {SHORTCUT_ZEROPAD, "A"},
    {SHORTCUT_PROJECT, "B"},          {SHORTCUT_PROJECT_ALL, "C"},
};
#define NSHORTCUT_NAMES (sizeof shortcut_names / sizeof shortcut_names[0])

const char *block_shortcut_name(ShortcutKind k)
{
    for (size_t i = 0; i < NSHORTCUT_NAMES; i++)
        if (shortcut_names[i].kind == k) return shortcut_names[i].name;
    return "?";
}

int block_shortcut_parse(const char *name, ShortcutKind *out)
{
    for (size_t i = 0; i < NSHORTCUT_NAMES; i++)
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

static int needs_equal_widths(ShortcutKind k)
{
    return k == SHORTCUT_IDENTITY || k == SHORTCUT_SCALED || k == SHORTCUT_GATE ||
           k == SHORTCUT_GATE_SHORTCUT || k == SHORTCUT_DROPOUT;
}

int block_config_check(const BlockConfig *cfg, char *err, size_t errlen)
{
    if (cfg->n_in < 1 || cfg->n_out < 1 || cfg->h < 1)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "block widths must be at least 1 (n_in %zu, n_out %zu, h %zu)",
                          cfg->n_in, cfg->n_out, cfg->h);
    if (needs_equal_widths(cfg->shortcut) && cfg->n_in != cfg->n_out)
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
    if (cfg->shortcut == SHORTCUT_DROPOUT && !(cfg->dropout_p >= 0.0 && cfg->dropout_p < 1.0))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the dropout probability must be in [0, 1), got %g", cfg->dropout_p);
    return RESLAB_OK;
}

int block_has_projection(const BlockConfig *cfg)
{
    return cfg->shortcut == SHORTCUT_PROJECT_ALL ||
           (cfg->shortcut == SHORTCUT_PROJECT && cfg->n_in != cfg->n_out);
}

int block_has_gate(const BlockConfig *cfg)
{
    return cfg->shortcut == SHORTCUT_GATE || cfg->shortcut == SHORTCUT_GATE_SHORTCUT;
}

static int has_bn0(const BlockConfig *c) { return c->bn && c->order == ORDER_PRE; }
static int has_bn2(const BlockConfig *c) { return c->bn && c->order == ORDER_POST; }

size_t block_param_count(const BlockConfig *cfg)
{
    size_t n = cfg->h * cfg->n_in + cfg->h + cfg->n_out * cfg->h + cfg->n_out;
    if (block_has_projection(cfg)) n += cfg->n_out * cfg->n_in;
    if (block_has_gate(cfg)) n += cfg->n_out * cfg->n_in + cfg->n_out;
    if (cfg->bn) n += 2 * cfg->h + (has_bn0(cfg) ? 2 * cfg->n_in : 2 * cfg->n_out);
    return n;
}

size_t block_cache_count(const BlockConfig *cfg, size_t B)
{
    size_t n = 2 * B * cfg->h + 2 * B * cfg->n_out;            /* z1, a1, f, y */
    n += cfg->order == ORDER_PRE ? B * cfg->n_in : B * cfg->n_out;   /* a0, or out apart */
    if (cfg->bn) n += 2 * B * cfg->h + (has_bn0(cfg) ? 2 * B * cfg->n_in : 2 * B * cfg->n_out);
    if (block_has_gate(cfg)) n += B * cfg->n_out;
    if (cfg->shortcut == SHORTCUT_DROPOUT) n += B * cfg->n_in;
    return n;
}

/* A vector of k ones (BN scales start at 1). */
static gsl_vector *ones(size_t k)
{
    gsl_vector *v = gsl_vector_alloc(k);
    if (v) gsl_vector_set_all(v, 1.0);
    return v;
}

BlockParams *block_params_alloc(const BlockConfig *cfg)
{
    BlockParams *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    int ok = (p->W1 = gsl_matrix_calloc(cfg->h, cfg->n_in)) && (p->b1 = gsl_vector_calloc(cfg->h)) &&
             (p->W2 = gsl_matrix_calloc(cfg->n_out, cfg->h)) && (p->b2 = gsl_vector_calloc(cfg->n_out));
    if (ok && block_has_projection(cfg)) ok = (p->Ws = gsl_matrix_calloc(cfg->n_out, cfg->n_in)) != NULL;
    if (ok && block_has_gate(cfg))
        ok = (p->Wg = gsl_matrix_calloc(cfg->n_out, cfg->n_in)) && (p->bg = gsl_vector_calloc(cfg->n_out));
    if (ok && cfg->bn) ok = (p->gamma1 = ones(cfg->h)) && (p->beta1 = gsl_vector_calloc(cfg->h));
    if (ok && has_bn0(cfg)) ok = (p->gamma0 = ones(cfg->n_in)) && (p->beta0 = gsl_vector_calloc(cfg->n_in));
    if (ok && has_bn2(cfg)) ok = (p->gamma2 = ones(cfg->n_out)) && (p->beta2 = gsl_vector_calloc(cfg->n_out));
    if (!ok) {
        block_params_free(p);
        return NULL;
    }
    return p;
}

BlockParams *block_grads_alloc(const BlockConfig *cfg)
{
    BlockParams *g = block_params_alloc(cfg);
    if (g) block_params_zero(g);
    return g;
}

void block_params_free(BlockParams *p)
{
    if (!p) return;
    gsl_matrix_free(p->W1), gsl_vector_free(p->b1), gsl_matrix_free(p->W2), gsl_vector_free(p->b2);
    gsl_matrix_free(p->Ws), gsl_matrix_free(p->Wg), gsl_vector_free(p->bg);
    gsl_vector_free(p->gamma0), gsl_vector_free(p->beta0), gsl_vector_free(p->gamma1);
    gsl_vector_free(p->beta1), gsl_vector_free(p->gamma2), gsl_vector_free(p->beta2);
    free(p);
}

static void zero_one(const char *name, double *value, double *grad, size_t count, void *ctx)
{
    memset(value, 0, count * sizeof *value);
}

void block_params_zero(BlockParams *p) { block_params_each(p, NULL, zero_one, NULL); }

/* Calls f on a matrix / vector pair if present (tda == size2, stride 1: we allocated them). */
static void each_m(const char *name, gsl_matrix *v, gsl_matrix *g,
                   void (*f)(const char *, double *, double *, size_t, void *), void *ctx)
{
    if (v) f(name, v->data, g ? g->data : NULL, v->size1 * v->size2, ctx);
}

static void each_v(const char *name, gsl_vector *v, gsl_vector *g,
                   void (*f)(const char *, double *, double *, size_t, void *), void *ctx)
{
    if (v) f(name, v->data, g ? g->data : NULL, v->size, ctx);
}

void block_params_each(const BlockParams *p, const BlockParams *g,
                       void (*f)(const char *, double *, double *, size_t, void *), void *ctx)
{
    each_m("W1", p->W1, g ? g->W1 : NULL, f, ctx);
    each_v("b1", p->b1, g ? g->b1 : NULL, f, ctx);
    each_m("W2", p->W2, g ? g->W2 : NULL, f, ctx);
    each_v("b2", p->b2, g ? g->b2 : NULL, f, ctx);
    each_m("Ws", p->Ws, g ? g->Ws : NULL, f, ctx);
    each_m("Wg", p->Wg, g ? g->Wg : NULL, f, ctx);
    each_v("bg", p->bg, g ? g->bg : NULL, f, ctx);
    each_v("gamma0", p->gamma0, g ? g->gamma0 : NULL, f, ctx);
    each_v("beta0", p->beta0, g ? g->beta0 : NULL, f, ctx);
    each_v("gamma1", p->gamma1, g ? g->gamma1 : NULL, f, ctx);
    each_v("beta1", p->beta1, g ? g->beta1 : NULL, f, ctx);
    each_v("gamma2", p->gamma2, g ? g->gamma2 : NULL, f, ctx);
    each_v("beta2", p->beta2, g ? g->beta2 : NULL, f, ctx);
}

BlockCache *block_cache_alloc(const BlockConfig *cfg, size_t B)
{
    BlockCache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    size_t ni = cfg->n_in, no = cfg->n_out, h = cfg->h;
    int ok = (c->z1 = gsl_matrix_calloc(B, h)) && (c->a1 = gsl_matrix_calloc(B, h)) &&
             (c->f = gsl_matrix_calloc(B, no)) && (c->y = gsl_matrix_calloc(B, no));
    if (ok && cfg->order == ORDER_PRE) ok = (c->a0 = gsl_matrix_calloc(B, ni)) != NULL;
    if (ok && cfg->order == ORDER_POST) ok = (c->out = gsl_matrix_calloc(B, no)) != NULL;
    else c->out = c->y;                         /* pre-activation: out = y, no copy */
    if (ok && cfg->bn) ok = (c->u1 = gsl_matrix_calloc(B, h)) && (c->bn1 = batchnorm_cache_alloc(B, h));
    if (ok && has_bn0(cfg)) ok = (c->r0 = gsl_matrix_calloc(B, ni)) && (c->bn0 = batchnorm_cache_alloc(B, ni));
    if (ok && has_bn2(cfg)) ok = (c->v = gsl_matrix_calloc(B, no)) && (c->bn2 = batchnorm_cache_alloc(B, no));
    if (ok && block_has_gate(cfg)) ok = (c->g = gsl_matrix_calloc(B, no)) != NULL;
    if (ok && cfg->shortcut == SHORTCUT_DROPOUT) {
        ok = (c->mask = gsl_matrix_alloc(B, ni)) != NULL;
        if (ok) gsl_matrix_set_all(c->mask, 1.0);   /* keeps everything until a draw */
    }
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
    gsl_matrix_free(c->r0), gsl_matrix_free(c->a0), gsl_matrix_free(c->u1), gsl_matrix_free(c->z1);
    gsl_matrix_free(c->a1), gsl_matrix_free(c->v), gsl_matrix_free(c->f), gsl_matrix_free(c->g);
    gsl_matrix_free(c->mask), gsl_matrix_free(c->y);
    batchnorm_cache_free(c->bn0), batchnorm_cache_free(c->bn1), batchnorm_cache_free(c->bn2);
    free(c);
}

BlockWork *block_work_alloc(const BlockConfig *cfg, size_t B)
{
    BlockWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t ni = cfg->n_in, no = cfg->n_out, h = cfg->h;
    int ok = (w->dy = gsl_matrix_alloc(B, no)) && (w->df = gsl_matrix_alloc(B, no)) &&
             (w->dv = gsl_matrix_alloc(B, no)) && (w->dz1 = gsl_matrix_alloc(B, h)) &&
             (w->du1 = gsl_matrix_alloc(B, h)) && (w->da1 = gsl_matrix_alloc(B, h)) &&
             (w->da0 = gsl_matrix_alloc(B, ni)) && (w->dr0 = gsl_matrix_alloc(B, ni));
    if (!ok) {
        block_work_free(w);
        return NULL;
    }
    return w;
}

void block_work_free(BlockWork *w)
{
    if (!w) return;
    gsl_matrix_free(w->dy), gsl_matrix_free(w->df), gsl_matrix_free(w->dv), gsl_matrix_free(w->dz1);
    gsl_matrix_free(w->du1), gsl_matrix_free(w->da1), gsl_matrix_free(w->da0), gsl_matrix_free(w->dr0);
    free(w);
}

void block_dropout_draw(const BlockConfig *cfg, BlockCache *c, gsl_rng *rng)
{
    if (!c->mask) return;
    double keep = 1.0 / (1.0 - cfg->dropout_p);
    for (size_t i = 0; i < c->mask->size1; i++)
        for (size_t j = 0; j < c->mask->size2; j++)
            gsl_matrix_set(c->mask, i, j, gsl_rng_uniform(rng) < cfg->dropout_p ? 0.0 : keep);
}

void block_branch_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                          BlockCache *c)
{
    const gsl_matrix *a = x;
    if (cfg->order == ORDER_PRE) {              /* pre-activation: F sees s(x) or s(BN0(x)) */
        const gsl_matrix *r = x;
        if (c->bn0) {
            batchnorm_forward(x, p->gamma0, p->beta0, BATCHNORM_EPS, c->r0, c->bn0);
            r = c->r0;
        }
        act_forward(cfg->act, r, c->a0);
        a = c->a0;
    }
    if (c->bn1) {                               /* z1 = BN1(W1 a + b1) */
        dense_forward(a, p->W1, p->b1, c->u1);
        batchnorm_forward(c->u1, p->gamma1, p->beta1, BATCHNORM_EPS, c->z1, c->bn1);
    } else {
        dense_forward(a, p->W1, p->b1, c->z1);  /* z1 = W1 a + b1 */
    }
    act_forward(cfg->act, c->z1, c->a1);        /* a1 = s(z1) */
    if (c->bn2) {                               /* F = BN2(W2 a1 + b2) */
        dense_forward(c->a1, p->W2, p->b2, c->v);
        batchnorm_forward(c->v, p->gamma2, p->beta2, BATCHNORM_EPS, c->f, c->bn2);
    } else {
        dense_forward(c->a1, p->W2, p->b2, c->f);   /* F = W2 a1 + b2 */
    }
}

void block_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                   BlockCache *c)
{
    assert(x->size2 == cfg->n_in && x->size1 == c->f->size1);
    block_branch_forward(cfg, p, x, c);
    shortcut_forward(cfg, p, x, c);             /* y = F(x) + S(x): the shortcut is added here */
    if (cfg->order == ORDER_POST) act_forward(cfg->act, c->y, c->out);   /* out = s(y) */
}

/* Backward through F from df = dL/dF: parameter gradients into g (if any), dx += dL/dx. */
static void branch_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                            const gsl_matrix *x, const BlockParams *p, const BlockCache *c,
                            BlockWork *w)
{
    const gsl_matrix *dlin = w->df;             /* dL/d(W2 a1 + b2) */
    if (c->bn2) {
        gsl_matrix_set_zero(w->dv);
        batchnorm_backward(w->df, p->gamma2, c->bn2, w->dv, g ? g->gamma2 : NULL, g ? g->beta2 : NULL);
        dlin = w->dv;
    }
    gsl_matrix_set_zero(w->da1);
    dense_backward(c->a1, p->W2, dlin, w->da1, g ? g->W2 : NULL, g ? g->b2 : NULL);
    gsl_matrix_set_zero(w->dz1);
    act_backward(cfg->act, c->z1, w->da1, w->dz1);          /* dz1 = da1 ⊙ s'(z1) */
    const gsl_matrix *du = w->dz1;              /* dL/d(W1 a + b1) */
    if (c->bn1) {
        gsl_matrix_set_zero(w->du1);
        batchnorm_backward(w->dz1, p->gamma1, c->bn1, w->du1, g ? g->gamma1 : NULL, g ? g->beta1 : NULL);
        du = w->du1;
    }
    gsl_matrix *dW1 = g ? g->W1 : NULL;
    gsl_vector *db1 = g ? g->b1 : NULL;
    if (cfg->order == ORDER_POST) {             /* a = x */
        dense_backward(x, p->W1, du, dx, dW1, db1);
        return;
    }
    gsl_matrix_set_zero(w->da0);                /* a = s(r), r = x or BN0(x) */
    dense_backward(c->a0, p->W1, du, w->da0, dW1, db1);
    if (!c->bn0) {
        if (dx) act_backward(cfg->act, x, w->da0, dx);      /* dx += da ⊙ s'(x) */
        return;
    }
    gsl_matrix_set_zero(w->dr0);
    act_backward(cfg->act, c->r0, w->da0, w->dr0);
    batchnorm_backward(w->dr0, p->gamma0, c->bn0, dx, g ? g->gamma0 : NULL, g ? g->beta0 : NULL);
}

void block_backward_paths(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                          const gsl_matrix *dout, const gsl_matrix *x, const BlockParams *p,
                          const BlockCache *c, BlockWork *w, int paths)
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
    shortcut_backward(cfg, dx, g, w->dy, x, p, c, w->df, paths);   /* shortcut path; df */
    if (paths & BLOCK_PATH_BRANCH) branch_backward(cfg, dx, g, x, p, c, w);   /* branch path */
}

void block_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                    const gsl_matrix *dout, const gsl_matrix *x, const BlockParams *p,
                    const BlockCache *c, BlockWork *w)
{
    block_backward_paths(cfg, dx, g, dout, x, p, c, w, BLOCK_PATH_ALL);
}

int block_jacobian(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                   const BlockCache *c, size_t b, gsl_matrix *J)
{
    if (cfg->bn) return RESLAB_ERR_INVALID;
    size_t h = cfg->h, ni = cfg->n_in, no = cfg->n_out;
    gsl_matrix *T = gsl_matrix_alloc(no, h), *JF = gsl_matrix_alloc(no, ni);
    if (!T || !JF) {
        gsl_matrix_free(T), gsl_matrix_free(JF);
        return RESLAB_ERR_NOMEM;
    }
    /* dF/dx = W2 diag(s'(z1_b)) W1 [diag(s'(x_b)) in pre order] */
    gsl_matrix_memcpy(T, p->W2);
    for (size_t k = 0; k < h; k++) {
        gsl_vector_view col = gsl_matrix_column(T, k);
        gsl_vector_scale(&col.vector, act_derivative(cfg->act, gsl_matrix_get(c->z1, b, k)));
    }
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, T, p->W1, 0.0, JF);   /* [n_out x n_in] */
    for (size_t j = 0; cfg->order == ORDER_PRE && j < ni; j++) {
        gsl_vector_view col = gsl_matrix_column(JF, j);
        gsl_vector_scale(&col.vector, act_derivative(cfg->act, gsl_matrix_get(x, b, j)));
    }
    shortcut_jacobian(cfg, p, x, c, b, JF, J);           /* dy/dx = dF/dx + dS/dx */
    for (size_t i = 0; cfg->order == ORDER_POST && i < no; i++) {   /* out = s(y) */
        gsl_vector_view row = gsl_matrix_row(J, i);
        gsl_vector_scale(&row.vector, act_derivative(cfg->act, gsl_matrix_get(c->y, b, i)));
    }
    gsl_matrix_free(T);
    gsl_matrix_free(JF);
    return RESLAB_OK;
}
