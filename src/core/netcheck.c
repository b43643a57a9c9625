/* netcheck.c: gradient checks of nets and blocks through the generic gradcheck module.
 * Dimensions: B batch, n width, h hidden, L depth. */
#include "netcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>

#include "status.h"

typedef struct {
    Net *net;
    gsl_matrix *X;
} NetCtx;

static double net_ctx_loss(void *ctx)
{
    NetCtx *c = ctx;
    net_forward(c->net, c->X);
    return net_loss(c->net);
}

/* Appends the sign (> 0) of every element of m. */
static unsigned char *signs(const gsl_matrix *m, unsigned char *p)
{
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) *p++ = gsl_matrix_get(m, i, j) > 0.0;
    return p;
}

static void block_kinks(const BlockConfig *cfg, const BlockCache *c, const gsl_matrix *x,
                        unsigned char **p)
{
    *p = signs(c->z1, *p);                               /* relu(z1) */
    *p = signs(cfg->order == ORDER_POST ? c->y : c->r0 ? c->r0 : x, *p);   /* relu(y), relu(x) or relu(BN0(x)) */
}

static void net_ctx_kinks(void *ctx, unsigned char *pattern)
{
    NetCtx *c = ctx;
    for (size_t l = 0; l < c->net->cfg.depth; l++)
        block_kinks(&c->net->block, c->net->cache[l], net_x(c->net, l), &pattern);
}

static size_t kink_len(const BlockConfig *cfg, size_t B, size_t blocks)
{
    size_t per = B * cfg->h + B * (cfg->order == ORDER_POST ? cfg->n_out : cfg->n_in);
    return act_has_kink(cfg->act) ? per * blocks : 0;
}

/* Room for up to cap tensors. */
static int report_alloc(NetcheckReport *rep, size_t cap)
{
    *rep = (NetcheckReport){0};
    rep->results = calloc(cap, sizeof *rep->results);
    rep->names = calloc(cap, sizeof *rep->names);
    rep->layer = calloc(cap, sizeof *rep->layer);
    if (rep->results && rep->names && rep->layer) return RESLAB_OK;
    netcheck_report_free(rep);
    return RESLAB_ERR_NOMEM;
}

static void add_matrix(GradcheckTensor *ts, NetcheckReport *rep, size_t layer, const char *name,
                       gsl_matrix *v, const gsl_matrix *g)
{
    size_t k = rep->count++;
    if (layer) snprintf(rep->names[k], sizeof rep->names[k], "block%zu.%s", layer, name);
    else snprintf(rep->names[k], sizeof rep->names[k], "%s", name);
    rep->layer[k] = layer;
    ts[k] = (GradcheckTensor){rep->names[k], v->data, g->data, v->size1 * v->size2};
}

typedef struct {
    GradcheckTensor *ts;
    NetcheckReport *rep;
    size_t layer;
} AddCtx;

static void add_one(const char *name, double *value, double *grad, size_t count, void *ctx)
{
    AddCtx *a = ctx;
    size_t k = a->rep->count++;
    if (a->layer) snprintf(a->rep->names[k], sizeof a->rep->names[k], "block%zu.%s", a->layer, name);
    else snprintf(a->rep->names[k], sizeof a->rep->names[k], "%s", name);
    a->rep->layer[k] = a->layer;
    a->ts[k] = (GradcheckTensor){a->rep->names[k], value, grad, count};
}

/* Every parameter tensor of a block (block_params_each's order). */
static void add_block(GradcheckTensor *ts, NetcheckReport *rep, size_t layer, BlockParams *p,
                      const BlockParams *g)
{
    AddCtx a = {ts, rep, layer};
    block_params_each(p, g, add_one, &a);
}

static int run(const GradcheckTarget *t, GradcheckTensor *ts, const GradcheckOptions *opt,
               NetcheckReport *rep, char *err, size_t errlen)
{
    int rc = gradcheck_run(t, ts, rep->count, opt, rep->results, err, errlen);
    for (size_t i = 0; i < rep->count; i++) rep->results[i].name = rep->names[i];
    free(ts);
    if (rc) netcheck_report_free(rep);
    return rc;
}

int netcheck_net(Net *net, gsl_matrix *X, const GradcheckOptions *opt, NetcheckReport *rep,
                 char *err, size_t errlen)
{
    if (!net->grads)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "the net has no parameter gradients");
    size_t L = net->cfg.depth, cap = BLOCK_MAX_TENSORS * L + 2;
    gsl_matrix *dX = gsl_matrix_calloc(X->size1, X->size2);
    GradcheckTensor *ts = calloc(cap, sizeof *ts);
    if (!dX || !ts || report_alloc(rep, cap)) {
        gsl_matrix_free(dX);
        free(ts);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the gradient check");
    }
    net_forward(net, X);                                 /* analytic gradients at theta */
    net_zero_grad(net);
    net_loss_backward(net);
    if (net->W_in)                                       /* dX = dx_0 W_in: [B x in] = [B x n][n x in] */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, net->dx[0], net->W_in, 0.0, dX);
    else
        gsl_matrix_memcpy(dX, net->dx[0]);
    if (net->W_in) add_matrix(ts, rep, 0, "input.W", net->W_in, net->dW_in);
    for (size_t l = 1; l <= L; l++) add_block(ts, rep, l, net->params[l - 1], net->grads[l - 1]);
    add_matrix(ts, rep, 0, "input", X, dX);
    NetCtx ctx = {net, X};
    GradcheckTarget t = {net_ctx_loss, act_has_kink(net->cfg.act) ? net_ctx_kinks : NULL,
                         kink_len(&net->block, net->batch, L), &ctx};
    int rc = run(&t, ts, opt, rep, err, errlen);
    gsl_matrix_free(dX);
    return rc;
}

typedef struct {
    const BlockConfig *cfg;
    const BlockParams *p;
    const gsl_matrix *x;
    BlockCache *c;
} BlockCtx;

static double half_sq(const gsl_matrix *m)
{
    double s = 0.0;
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) s += gsl_matrix_get(m, i, j) * gsl_matrix_get(m, i, j);
    return 0.5 * s / (double)m->size1;                   /* 0.5 ||out||^2 / B */
}

static double block_ctx_loss(void *ctx)
{
    BlockCtx *b = ctx;
    block_forward(b->cfg, b->p, b->x, b->c);
    return half_sq(b->c->out);
}

static void block_ctx_kinks(void *ctx, unsigned char *pattern)
{
    BlockCtx *b = ctx;
    block_kinks(b->cfg, b->c, b->x, &pattern);
}

int netcheck_block(const BlockConfig *cfg, BlockParams *p, gsl_matrix *x,
                   const GradcheckOptions *opt, NetcheckReport *rep, char *err, size_t errlen)
{
    size_t B = x->size1;
    BlockParams *g = block_grads_alloc(cfg);
    BlockCache *c = block_cache_alloc(cfg, B);
    BlockWork *w = block_work_alloc(cfg, B);
    gsl_matrix *dx = gsl_matrix_calloc(B, cfg->n_in), *dout = gsl_matrix_alloc(B, cfg->n_out);
    GradcheckTensor *ts = calloc(BLOCK_MAX_TENSORS + 1, sizeof *ts);
    int rc = RESLAB_ERR_NOMEM;
    if (!g || !c || !w || !dx || !dout || !ts || report_alloc(rep, BLOCK_MAX_TENSORS + 1)) {
        free(ts);
        status_set(err, errlen, rc, "no memory for the gradient check");
        goto done;
    }
    gsl_rng *mask_rng = gsl_rng_alloc(gsl_rng_mt19937);  /* a fixed dropout mask, seed 1 */
    if (!mask_rng) goto done;
    gsl_rng_set(mask_rng, 1);
    block_dropout_draw(cfg, c, mask_rng);
    gsl_rng_free(mask_rng);
    block_forward(cfg, p, x, c);                         /* analytic: dL/dout = out / B */
    gsl_matrix_memcpy(dout, c->out);
    gsl_matrix_scale(dout, 1.0 / (double)B);
    block_backward(cfg, dx, g, dout, x, p, c, w);
    add_block(ts, rep, 0, p, g);
    add_matrix(ts, rep, 0, "input", x, dx);
    BlockCtx ctx = {cfg, p, x, c};
    GradcheckTarget t = {block_ctx_loss, act_has_kink(cfg->act) ? block_ctx_kinks : NULL,
                         kink_len(cfg, B, 1), &ctx};
    rc = run(&t, ts, opt, rep, err, errlen);
done:
    block_params_free(g);
    block_cache_free(c);
    block_work_free(w);
    gsl_matrix_free(dx);
    gsl_matrix_free(dout);
    return rc;
}

GradcheckVerdict netcheck_worst(const NetcheckReport *rep)
{
    GradcheckVerdict worst = GRADCHECK_UNCHECKED;
    for (size_t i = 0; i < rep->count; i++) {
        GradcheckVerdict v = rep->results[i].verdict;
        if (v == GRADCHECK_UNCHECKED) continue;
        if (worst == GRADCHECK_UNCHECKED || v > worst) worst = v;
    }
    return worst;
}

void netcheck_report_free(NetcheckReport *rep)
{
    free(rep->results);
    free(rep->names);
    free(rep->layer);
    *rep = (NetcheckReport){0};
}
