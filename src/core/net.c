/* net.c: a stack of L blocks, its forward and backward passes, the analysis loss.
 * Dimensions: B batch, n width of the stream, h hidden width in F, L depth,
 * input_width the width before the optional input projection. */
#include "net.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "dense.h"
#include "status.h"

NetConfig net_config_default(void)
{
    NetConfig c = {
        .depth = 10, .width = 16, .hidden = 0, .input_width = 0, .act = ACT_RELU,
        .shortcut = SHORTCUT_IDENTITY, .order = ORDER_POST, .lambda = 0.5, .init = INIT_HE,
        .branch_scale = 1.0, .zero_last = 0, .bias_std = 0.0, .param_grads = 1, .bn = 0,
        .dropout_p = 0.5, .gate_bias = -6.0,
    };
    return c;
}

static BlockConfig net_block_config(const NetConfig *cfg)
{
    BlockConfig b = {
        .n_in = cfg->width, .n_out = cfg->width, .h = cfg->hidden ? cfg->hidden : cfg->width,
        .act = cfg->act, .shortcut = cfg->shortcut, .order = cfg->order, .lambda = cfg->lambda,
        .bn = cfg->bn, .dropout_p = cfg->dropout_p,
    };
    return b;
}

/* Computed in double so that absurd sizes cannot wrap around; saturates at SIZE_MAX. */
size_t net_memory_bytes(const NetConfig *cfg, size_t batch)
{
    BlockConfig b = net_block_config(cfg);
    double L = (double)cfg->depth, B = (double)batch, n = (double)cfg->width, h = (double)b.h;
    /* per block, from the block's own counts (no wrap-around: net_config_check caps each
     * dimension at 2^24 before it asks for this estimate) */
    double params = (double)block_param_count(&b);
    double cache = (double)block_cache_count(&b, 1) * B;
    double stream = (L + 2.0) * B * n + 5.0 * B * n + 3.0 * B * h;   /* dx[], x0, work */
    double in = (double)cfg->input_width * (n * 2.0 + B);
    double doubles = L * (params * (cfg->param_grads ? 2.0 : 1.0) + cache) + stream + in;
    double bytes = doubles * sizeof(double) + L * 512.0;              /* + struct overhead */
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

size_t net_twin_memory_bytes(const NetConfig *cfg, size_t batch)
{
    BlockConfig b = net_block_config(cfg);
    double L = (double)cfg->depth, B = (double)batch, n = (double)cfg->width;
    double doubles = L * (double)block_cache_count(&b, 1) * B + (L + 2.0) * B * n;
    double bytes = doubles * sizeof(double) + L * 512.0;
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

int net_config_check(const NetConfig *cfg, size_t batch, size_t limit, char *err, size_t errlen)
{
    if (cfg->depth < 1) return status_set(err, errlen, RESLAB_ERR_INVALID, "depth must be >= 1");
    if (cfg->width < 1) return status_set(err, errlen, RESLAB_ERR_INVALID, "width must be >= 1");
    if (batch < 1) return status_set(err, errlen, RESLAB_ERR_INVALID, "batch must be >= 1");
    if (!isfinite(cfg->branch_scale) || !isfinite(cfg->lambda) || !isfinite(cfg->bias_std) ||
        cfg->bias_std < 0.0 || !isfinite(cfg->gate_bias))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "branch scale, lambda, gate bias and bias std must be finite (bias std >= 0)");
    if (cfg->width > ((size_t)1 << 24) || cfg->depth > ((size_t)1 << 24) ||
        batch > ((size_t)1 << 24) || cfg->hidden > ((size_t)1 << 24))
        return status_set(err, errlen, RESLAB_ERR_TOOBIG,
                          "depth, width, hidden width and batch must each be at most %zu",
                          (size_t)1 << 24);
    BlockConfig b = net_block_config(cfg);
    int rc = block_config_check(&b, err, errlen);
    if (rc) return rc;
    size_t bytes = net_memory_bytes(cfg, batch);
    if (bytes > limit)
        return status_set(err, errlen, RESLAB_ERR_TOOBIG,
                          "depth %zu x width %zu x batch %zu needs about %.2f GiB, more than "
                          "the limit of %.2f GiB",
                          cfg->depth, cfg->width, batch, (double)bytes / (1u << 30),
                          (double)limit / (1u << 30));
    return RESLAB_OK;
}

int net_draw_block(const NetConfig *cfg, BlockParams *p, gsl_rng *rng)
{
    int rc = init_fill(cfg->init, cfg->act, p->W1, rng);
    if (!rc) rc = init_fill(cfg->init, cfg->act, p->W2, rng);
    if (!rc && p->Ws) rc = init_fill(cfg->init, ACT_IDENTITY, p->Ws, rng);
    if (!rc && p->Wg) rc = init_fill(cfg->init, ACT_IDENTITY, p->Wg, rng);
    if (rc) return rc;
    if (p->bg) gsl_vector_set_all(p->bg, cfg->gate_bias);
    if (cfg->bias_std > 0.0) {
        for (size_t i = 0; i < p->b1->size; i++)
            gsl_vector_set(p->b1, i, gsl_ran_gaussian(rng, cfg->bias_std));
        for (size_t i = 0; i < p->b2->size; i++)
            gsl_vector_set(p->b2, i, gsl_ran_gaussian(rng, cfg->bias_std));
    }
    /* F's last layer: W2, b2; with BN2 (post order) its scale and shift */
    gsl_matrix *last = p->gamma2 ? NULL : p->W2;
    gsl_vector *last_v1 = p->gamma2 ? p->gamma2 : p->b2, *last_v2 = p->gamma2 ? p->beta2 : NULL;
    double k = cfg->zero_last ? 0.0 : cfg->branch_scale;
    if (k == 1.0) return RESLAB_OK;
    if (last) gsl_matrix_scale(last, k);      /* zero_last: F = 0, the block starts as S */
    gsl_vector_scale(last_v1, k);
    if (last_v2) gsl_vector_scale(last_v2, k);
    return RESLAB_OK;
}

static int net_alloc_blocks(Net *net, gsl_rng *rng)
{
    size_t L = net->cfg.depth, B = net->batch, n = net->cfg.width;
    for (size_t l = 0; l < L; l++) {
        net->params[l] = block_params_alloc(&net->block);
        net->cache[l] = block_cache_alloc(&net->block, B);
        if (!net->params[l] || !net->cache[l]) return RESLAB_ERR_NOMEM;
        if (net->grads && !(net->grads[l] = block_grads_alloc(&net->block)))
            return RESLAB_ERR_NOMEM;
        if (net_draw_block(&net->cfg, net->params[l], rng)) return RESLAB_ERR_NOMEM;
    }
    for (size_t l = 0; l <= L; l++)
        if (!(net->dx[l] = gsl_matrix_calloc(B, n))) return RESLAB_ERR_NOMEM;
    return RESLAB_OK;
}

Net *net_alloc(const NetConfig *cfg, size_t batch, gsl_rng *rng)
{
    Net *net = calloc(1, sizeof *net);
    if (!net) return NULL;
    net->cfg = *cfg;
    net->block = net_block_config(cfg);
    net->batch = batch;
    net->owns_params = 1;
    size_t L = cfg->depth, n = cfg->width;
    net->params = calloc(L, sizeof *net->params);
    net->cache = calloc(L, sizeof *net->cache);
    net->dx = calloc(L + 1, sizeof *net->dx);
    net->grads = cfg->param_grads ? calloc(L, sizeof *net->grads) : NULL;
    net->work = block_work_alloc(&net->block, batch);
    net->x0 = gsl_matrix_calloc(batch, n);
    int ok = net->params && net->cache && net->dx && net->work && net->x0 &&
             (net->grads || !cfg->param_grads);
    if (ok && cfg->input_width) {
        net->W_in = gsl_matrix_calloc(n, cfg->input_width);
        net->dW_in = gsl_matrix_calloc(n, cfg->input_width);
        net->input = gsl_matrix_calloc(batch, cfg->input_width);
        ok = net->W_in && net->dW_in && net->input &&
             init_fill(cfg->init, ACT_IDENTITY, net->W_in, rng) == RESLAB_OK;
    }
    if (!ok || net_alloc_blocks(net, rng) != RESLAB_OK) {
        net_free(net);
        return NULL;
    }
    return net;
}

Net *net_alloc_twin(const Net *src, ShortcutKind shortcut)
{
    return net_alloc_twin_batch(src, shortcut, src->batch);
}

Net *net_alloc_twin_batch(const Net *src, ShortcutKind shortcut, size_t batch)
{
    NetConfig cfg = src->cfg;
    cfg.shortcut = shortcut;
    cfg.param_grads = 0;
    BlockConfig b = net_block_config(&cfg);
    if ((block_has_projection(&b) && !block_has_projection(&src->block)) ||
        (block_has_gate(&b) && !block_has_gate(&src->block)))
        return NULL;
    Net *net = calloc(1, sizeof *net);
    if (!net) return NULL;
    net->cfg = cfg;
    net->block = b;
    net->batch = batch;
    size_t L = cfg.depth;
    net->params = calloc(L, sizeof *net->params);
    net->cache = calloc(L, sizeof *net->cache);
    net->dx = calloc(L + 1, sizeof *net->dx);
    net->work = block_work_alloc(&b, batch);
    net->x0 = gsl_matrix_calloc(batch, cfg.width);
    net->W_in = src->W_in;                           /* shared */
    if (src->W_in) net->input = gsl_matrix_calloc(batch, cfg.input_width);
    int ok = net->params && net->cache && net->dx && net->work && net->x0 && (!src->W_in || net->input);
    for (size_t l = 0; ok && l < L; l++) {
        net->params[l] = src->params[l];             /* shared */
        ok = (net->cache[l] = block_cache_alloc(&b, batch)) != NULL;
    }
    for (size_t l = 0; ok && l <= L; l++) ok = (net->dx[l] = gsl_matrix_calloc(batch, cfg.width)) != NULL;
    if (!ok) {
        net_free(net);
        return NULL;
    }
    return net;
}

void net_free(Net *net)
{
    if (!net) return;
    for (size_t l = 0; l < net->cfg.depth; l++) {
        if (net->params && net->owns_params) block_params_free(net->params[l]);
        if (net->grads) block_params_free(net->grads[l]);
        if (net->cache) block_cache_free(net->cache[l]);
    }
    for (size_t l = 0; net->dx && l <= net->cfg.depth; l++) gsl_matrix_free(net->dx[l]);
    free(net->params);
    free(net->grads);
    free(net->cache);
    free(net->dx);
    block_work_free(net->work);
    if (net->owns_params) gsl_matrix_free(net->W_in);
    gsl_matrix_free(net->dW_in);
    gsl_matrix_free(net->input);
    gsl_matrix_free(net->x0);
    free(net);
}

size_t net_input_width(const Net *net)
{
    return net->cfg.input_width ? net->cfg.input_width : net->cfg.width;
}

#define COPY_V(field) if (d->field && s->field) gsl_vector_memcpy(d->field, s->field)

void net_copy_branches(Net *dst, const Net *src)
{
    assert(dst->cfg.depth == src->cfg.depth && dst->cfg.width == src->cfg.width);
    for (size_t l = 0; l < src->cfg.depth; l++) {
        BlockParams *d = dst->params[l];
        const BlockParams *s = src->params[l];
        gsl_matrix_memcpy(d->W1, s->W1);
        gsl_matrix_memcpy(d->W2, s->W2);
        COPY_V(b1); COPY_V(b2); COPY_V(gamma0); COPY_V(beta0);
        COPY_V(gamma1); COPY_V(beta1); COPY_V(gamma2); COPY_V(beta2);
    }
    if (src->W_in && dst->W_in) gsl_matrix_memcpy(dst->W_in, src->W_in);
}

void net_dropout_draw(Net *net, gsl_rng *rng)
{
    for (size_t l = 0; l < net->cfg.depth; l++) block_dropout_draw(&net->block, net->cache[l], rng);
}

void net_forward(Net *net, const gsl_matrix *X)
{
    assert(X->size1 == net->batch && X->size2 == net_input_width(net));
    if (net->W_in) {
        gsl_matrix_memcpy(net->input, X);
        dense_forward(X, net->W_in, NULL, net->x0);    /* x_0 = X W_in^T */
    } else {
        gsl_matrix_memcpy(net->x0, X);
    }
    const gsl_matrix *x = net->x0;
    for (size_t l = 0; l < net->cfg.depth; l++) {    /* x_{l+1} = block(x_l) */
        block_forward(&net->block, net->params[l], x, net->cache[l]);
        x = net->cache[l]->out;
    }
}

const gsl_matrix *net_x(const Net *net, size_t l)
{
    assert(l <= net->cfg.depth);
    return l == 0 ? net->x0 : net->cache[l - 1]->out;
}

void net_zero_grad(Net *net)
{
    for (size_t l = 0; net->grads && l < net->cfg.depth; l++) block_params_zero(net->grads[l]);
    if (net->dW_in) gsl_matrix_set_zero(net->dW_in);
}

void net_backward(Net *net, const gsl_matrix *dxL)
{
    size_t L = net->cfg.depth;
    if (dxL != net->dx[L]) gsl_matrix_memcpy(net->dx[L], dxL);
    for (size_t l = L; l >= 1; l--) {                /* dL/dx_{l-1} from dL/dx_l */
        gsl_matrix_set_zero(net->dx[l - 1]);
        BlockParams *g = net->grads ? net->grads[l - 1] : NULL;   /* NULL: dL/dx only */
        block_backward(&net->block, net->dx[l - 1], g, net->dx[l], net_x(net, l - 1),
                       net->params[l - 1], net->cache[l - 1], net->work);
    }
    if (net->dW_in)                                  /* dW_in += dx_0^T X: [n x in] = [n x B][B x in] */
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, net->dx[0], net->input, 1.0, net->dW_in);
}

double net_loss(const Net *net)
{
    const gsl_matrix *xL = net_x(net, net->cfg.depth);
    double s = 0.0;
    for (size_t i = 0; i < xL->size1; i++)
        for (size_t j = 0; j < xL->size2; j++) {
            double v = gsl_matrix_get(xL, i, j);
            s += v * v;
        }
    return 0.5 * s / (double)net->batch;             /* L = 0.5 ||x_L||^2 / B */
}

double net_loss_backward(Net *net)
{
    size_t L = net->cfg.depth;
    gsl_matrix_memcpy(net->dx[L], net_x(net, L));    /* dL/dx_L = x_L / B */
    gsl_matrix_scale(net->dx[L], 1.0 / (double)net->batch);
    net_backward(net, net->dx[L]);
    return net_loss(net);
}

double net_frobenius(const gsl_matrix *m)
{
    double top = 0.0;
    for (size_t i = 0; i < m->size1; i++) {
        const double *r = gsl_matrix_const_ptr(m, i, 0);
        for (size_t j = 0; j < m->size2; j++) {
            if (isnan(r[j])) return NAN;
            if (fabs(r[j]) > top) top = fabs(r[j]);
        }
    }
    if (top == 0.0 || isinf(top)) return top;
    double s = 0.0;                                  /* sum of (x / top)^2: no overflow */
    for (size_t i = 0; i < m->size1; i++) {
        const double *r = gsl_matrix_const_ptr(m, i, 0);
        for (size_t j = 0; j < m->size2; j++) s += (r[j] / top) * (r[j] / top);
    }
    return top * sqrt(s);
}

void net_grad_norms(const Net *net, double *norms)
{
    for (size_t l = 0; l <= net->cfg.depth; l++) norms[l] = net_frobenius(net->dx[l]);
}
