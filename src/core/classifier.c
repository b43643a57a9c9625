/* classifier.c: input layer, a Net of L blocks, linear head, softmax cross-entropy.
 * Dimensions: B batch rows, dim input width, n stream width, k classes, L blocks.
 * Equations: classifier.h; the blocks themselves are block.c's (not repeated here). */
#include "classifier.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "act.h"
#include "batchnorm.h"
#include "dense.h"
#include "softmax.h"
#include "status.h"

ClassifierConfig classifier_config_default(void)
{
    ClassifierConfig c = {.net = net_config_default(), .dim = 2, .classes = 3};
    c.net.depth = 8;
    c.net.width = 32;
    return c;
}

/* The net inside: input projection dim -> n, parameter gradients on. */
static NetConfig net_part(const ClassifierConfig *cfg)
{
    NetConfig n = cfg->net;
    n.input_width = cfg->dim;
    n.param_grads = 1;
    return n;
}

int classifier_config_check(const ClassifierConfig *cfg, size_t batch, size_t limit, char *err,
                            size_t errlen)
{
    if (cfg->dim < 1 || cfg->dim > ((size_t)1 << 24))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "input width must be in 1..%zu, got %zu",
                          (size_t)1 << 24, cfg->dim);
    if (cfg->classes < 2 || cfg->classes > ((size_t)1 << 16))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the number of classes must be in 2..%zu, got %zu", (size_t)1 << 16,
                          cfg->classes);
    NetConfig n = net_part(cfg);
    return net_config_check(&n, batch, limit, err, errlen);
}

typedef struct {
    Classifier *c;
    size_t layer;
} ListCtx;

static void add_param(Classifier *c, const char *name, double *value, double *grad, size_t count,
                      int decay)
{
    ClassifierParam *p = &c->params[c->nparams++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->value = value;
    p->grad = grad;
    p->count = count;
    p->decay = decay;
}

/* block_params_each callback: weights are the tensors whose name starts with W. */
static void add_block_param(const char *name, double *value, double *grad, size_t count,
                            void *ctx)
{
    ListCtx *l = ctx;
    char full[32];
    snprintf(full, sizeof full, "block%zu.%s", l->layer, name);
    add_param(l->c, full, value, grad, count, name[0] == 'W');
}

/* Fills c->params: input.W, block1..L tensors, final.gamma, final.beta, head.W, head.b. */
static int list_params(Classifier *c)
{
    Net *net = c->net;
    size_t L = net->cfg.depth;
    c->params = calloc(BLOCK_MAX_TENSORS * L + 5, sizeof *c->params);
    if (!c->params) return RESLAB_ERR_NOMEM;
    size_t nin = net->W_in->size1 * net->W_in->size2, nh = c->W_head->size1 * c->W_head->size2;
    add_param(c, "input.W", net->W_in->data, net->dW_in ? net->dW_in->data : NULL, nin, 1);
    for (size_t l = 0; l < L; l++) {
        ListCtx ctx = {c, l + 1};
        block_params_each(net->params[l], net->grads ? net->grads[l] : NULL, add_block_param, &ctx);
    }
    if (c->gamma_f) {
        add_param(c, "final.gamma", c->gamma_f->data, c->dgamma_f ? c->dgamma_f->data : NULL,
                  c->gamma_f->size, 0);
        add_param(c, "final.beta", c->beta_f->data, c->dbeta_f ? c->dbeta_f->data : NULL,
                  c->beta_f->size, 0);
    }
    add_param(c, "head.W", c->W_head->data, c->dW_head ? c->dW_head->data : NULL, nh, 1);
    add_param(c, "head.b", c->b_head->data, c->db_head ? c->db_head->data : NULL,
              c->b_head->size, 0);
    return RESLAB_OK;
}

static int has_final(const ClassifierConfig *cfg) { return cfg->net.order == ORDER_PRE; }

/* Everything but the net and the parameters: logits and the final activation's buffers. */
static Classifier *shell_alloc(const ClassifierConfig *cfg, size_t batch)
{
    Classifier *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = *cfg;
    c->cfg.net.input_width = cfg->dim;
    c->batch = batch;
    size_t k = cfg->classes, n = cfg->net.width;
    c->logits = gsl_matrix_calloc(batch, k);
    c->probs = gsl_matrix_calloc(batch, k);
    c->dlogits = gsl_matrix_calloc(batch, k);
    int ok = c->logits && c->probs && c->dlogits;
    if (ok && has_final(cfg))
        ok = (c->h_f = gsl_matrix_calloc(batch, n)) && (c->dh_f = gsl_matrix_calloc(batch, n));
    if (ok && has_final(cfg) && cfg->net.bn)
        ok = (c->r_f = gsl_matrix_calloc(batch, n)) && (c->dr_f = gsl_matrix_calloc(batch, n)) &&
             (c->bn_f = batchnorm_cache_alloc(batch, n));
    if (!ok) {
        classifier_free(c);
        return NULL;
    }
    return c;
}

/* BN_f's scale 1 and shift 0, and their gradients (pre order with batch norm only). */
static int final_params_alloc(Classifier *c)
{
    if (!c->bn_f) return RESLAB_OK;
    size_t n = c->cfg.net.width;
    c->gamma_f = gsl_vector_alloc(n);
    c->beta_f = gsl_vector_calloc(n);
    c->dgamma_f = gsl_vector_calloc(n);
    c->dbeta_f = gsl_vector_calloc(n);
    if (!c->gamma_f || !c->beta_f || !c->dgamma_f || !c->dbeta_f) return RESLAB_ERR_NOMEM;
    gsl_vector_set_all(c->gamma_f, 1.0);
    return RESLAB_OK;
}

Classifier *classifier_alloc(const ClassifierConfig *cfg, size_t batch, gsl_rng *rng)
{
    Classifier *c = shell_alloc(cfg, batch);
    if (!c) return NULL;
    c->owns_params = 1;
    NetConfig n = net_part(cfg);
    size_t k = cfg->classes, w = cfg->net.width;
    c->net = net_alloc(&n, batch, rng);
    c->W_head = gsl_matrix_calloc(k, w);
    c->b_head = gsl_vector_calloc(k);
    c->dW_head = gsl_matrix_calloc(k, w);
    c->db_head = gsl_vector_calloc(k);
    if (!c->net || !c->W_head || !c->b_head || !c->dW_head || !c->db_head ||
        final_params_alloc(c) || list_params(c)) {
        classifier_free(c);
        return NULL;
    }
    double sd = 1.0 / sqrt((double)w);                     /* W_head ~ N(0, 1 / n) */
    for (size_t i = 0; i < k * w; i++) c->W_head->data[i] = gsl_ran_gaussian(rng, sd);
    return c;
}

Classifier *classifier_alloc_twin(const Classifier *src, size_t batch)
{
    Classifier *c = shell_alloc(&src->cfg, batch);
    if (!c) return NULL;
    c->net = net_alloc_twin_batch(src->net, src->net->cfg.shortcut, batch);
    c->W_head = src->W_head;                               /* shared */
    c->b_head = src->b_head;
    c->gamma_f = src->gamma_f;
    c->beta_f = src->beta_f;
    if (!c->net || list_params(c)) {
        classifier_free(c);
        return NULL;
    }
    return c;
}

void classifier_free(Classifier *c)
{
    if (!c) return;
    net_free(c->net);
    if (c->owns_params) {
        gsl_matrix_free(c->W_head);
        gsl_vector_free(c->b_head);
        gsl_vector_free(c->gamma_f);
        gsl_vector_free(c->beta_f);
    }
    gsl_vector_free(c->dgamma_f);
    gsl_vector_free(c->dbeta_f);
    batchnorm_cache_free(c->bn_f);
    gsl_matrix_free(c->r_f);
    gsl_matrix_free(c->h_f);
    gsl_matrix_free(c->dh_f);
    gsl_matrix_free(c->dr_f);
    gsl_matrix_free(c->dW_head);
    gsl_vector_free(c->db_head);
    gsl_matrix_free(c->logits);
    gsl_matrix_free(c->probs);
    gsl_matrix_free(c->dlogits);
    free(c->params);
    free(c);
}

size_t classifier_param_count(const Classifier *c)
{
    size_t total = 0;
    for (size_t i = 0; i < c->nparams; i++) total += c->params[i].count;
    return total;
}

void classifier_forward(Classifier *c, const gsl_matrix *X)
{
    net_forward(c->net, X);                                /* x_0 = X W_in^T, x_l = block_l(x_{l-1}) */
    const gsl_matrix *h = net_x(c->net, c->net->cfg.depth);
    if (c->h_f) {                                          /* pre order: h = s(BN_f(x_L)) or s(x_L) */
        if (c->bn_f) {
            batchnorm_forward(h, c->gamma_f, c->beta_f, BATCHNORM_EPS, c->r_f, c->bn_f);
            h = c->r_f;
        }
        act_forward(c->cfg.net.act, h, c->h_f);
        h = c->h_f;
    }
    dense_forward(h, c->W_head, c->b_head, c->logits);     /* Z = h W_head^T + b: [B x k] = [B x n][n x k] */
}

double classifier_loss(Classifier *c, const int *y)
{
    return softmax_xent_forward(c->logits, y, c->probs);
}

void classifier_zero_grad(Classifier *c)
{
    net_zero_grad(c->net);
    gsl_matrix_set_zero(c->dW_head);
    gsl_vector_set_zero(c->db_head);
    if (c->dgamma_f) gsl_vector_set_zero(c->dgamma_f);
    if (c->dbeta_f) gsl_vector_set_zero(c->dbeta_f);
}

/* From dh = dL/dh back to dx_L (zeroed first): through s, then BN_f (pre order). */
static void final_backward(Classifier *c, gsl_matrix *dxL)
{
    const gsl_matrix *xL = net_x(c->net, c->net->cfg.depth);
    if (!c->bn_f) {
        act_backward(c->cfg.net.act, xL, c->dh_f, dxL);    /* dx_L += dh ⊙ s'(x_L) */
        return;
    }
    gsl_matrix_set_zero(c->dr_f);
    act_backward(c->cfg.net.act, c->r_f, c->dh_f, c->dr_f);    /* dr += dh ⊙ s'(r) */
    batchnorm_backward(c->dr_f, c->gamma_f, c->bn_f, dxL, c->dgamma_f, c->dbeta_f);
}

void classifier_backward(Classifier *c, const int *y)
{
    size_t L = c->net->cfg.depth;
    gsl_matrix *dZ = c->dlogits;
    softmax_xent_backward(c->probs, y, dZ);                /* dZ = (P - Y) / B */
    gsl_matrix *dxL = c->net->dx[L];
    gsl_matrix_set_zero(dxL);
    const gsl_matrix *h = c->h_f ? c->h_f : net_x(c->net, L);
    gsl_matrix *dh = c->h_f ? c->dh_f : dxL;               /* post order: h = x_L */
    if (c->h_f) gsl_matrix_set_zero(dh);
    /* dh = dZ W_head;  dW_head += dZ^T h;  db_head += sum_b dZ_b */
    dense_backward(h, c->W_head, dZ, dh, c->dW_head, c->db_head);
    if (c->h_f) final_backward(c, dxL);
    net_backward(c->net, dxL);                             /* the blocks, then dW_in */
}

size_t classifier_bn_count(const Classifier *c)
{
    return c->cfg.net.bn ? 2 * c->net->cfg.depth + (c->bn_f ? 1 : 0) : 0;
}

BatchnormCache *classifier_bn_layer(const Classifier *c, size_t i, char *name, size_t len)
{
    size_t L = c->net->cfg.depth;
    assert(i < classifier_bn_count(c));
    if (i == 2 * L) {                                      /* pre order: BN_f after the blocks */
        if (name) snprintf(name, len, "final.bn");
        return c->bn_f;
    }
    const BlockCache *bc = c->net->cache[i / 2];
    int pre = c->cfg.net.order == ORDER_PRE, j = pre ? (int)(i % 2) : (int)(i % 2) + 1;
    if (name) snprintf(name, len, "block%zu.bn%d", i / 2 + 1, j);
    return j == 0 ? bc->bn0 : j == 1 ? bc->bn1 : bc->bn2;
}

void classifier_bn_thaw(Classifier *c)
{
    for (size_t i = 0; i < classifier_bn_count(c); i++)
        batchnorm_cache_thaw(classifier_bn_layer(c, i, NULL, 0));
}
