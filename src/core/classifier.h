/* classifier.h: a residual (or plain) net with an input layer and a linear softmax head.
 *
 * Usage:
 *     ClassifierConfig cfg = classifier_config_default();
 *     cfg.net.depth = 20; cfg.net.width = 32; cfg.net.bn = 1; cfg.dim = 2; cfg.classes = 3;
 *     if (classifier_config_check(&cfg, B, RESLAB_MEMORY_LIMIT, err, sizeof err)) ...
 *     Classifier *c = classifier_alloc(&cfg, B, rng);          weights drawn from rng
 *     classifier_forward(c, X);                                 X (B, dim); logits in c->logits
 *     double loss = classifier_loss(c, y);                      probabilities in c->probs
 *     classifier_zero_grad(c);
 *     classifier_backward(c, y);                                gradients in c->params[i].grad
 *     classifier_free(c);
 *
 * With X (B, dim), the input layer W_in (n, dim), the net's L blocks (net.h, block.h: plain =
 * SHORTCUT_NONE, residual = IDENTITY; post or pre order; batch norm inside F as an option) and
 * the head W_head (k, n), b_head (k):
 *     x_0 = X W_in^T                    input layer (net.h's input projection; no bias: the
 *                                       blocks' biases follow)
 *     x_l = block_l(x_{l-1})            l = 1..L
 *     h   = x_L                         post order (the blocks end in s already)
 *     h   = s(BN_f(x_L)), or s(x_L)     pre order, with or without batch norm: the "extra
 *                                       activation right after [the last unit's] addition" of
 *                                       He 2016 (appendix); gamma_f, beta_f (n)
 *     Z   = h W_head^T + 1 b_head^T     logits (B, k)
 *     loss = softmax cross-entropy of Z and y (softmax.h)
 * Backward: dZ = (P - Y) / B;  dh = dZ W_head;  dW_head = dZ^T h;  db_head = sum_b dZ_b;
 * dx_L = dh (post), or back through s and BN_f (pre); then net_backward from dx_L (every
 * block's gradients and dW_in).
 * Weights: W_in and the blocks as net_alloc draws them (cfg.net.init, He by default; W_in with
 * the linear-layer gain); then W_head ~ N(0, 1 / n) (He's linear-layer form), b_head = 0,
 * gamma_f = 1, beta_f = 0. The
 * same rng state gives the same weights for the plain and the residual net of one config.
 * Nothing is allocated in forward, loss or backward.
 */
#ifndef RESLAB_CLASSIFIER_H
#define RESLAB_CLASSIFIER_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "net.h"

typedef struct {
    NetConfig net;   /* the blocks; net.input_width is ignored (set to dim) */
    size_t dim;      /* width of one input example, >= 1 */
    size_t classes;  /* k >= 2 */
} ClassifierConfig;

/* One parameter tensor, for the optimiser and the gradient check. */
typedef struct {
    char name[32];      /* "input.W", "block<l>.W1" ... (block_params_each's names), "final.gamma",
                         * "final.beta" (pre order with batch norm), "head.W", "head.b" */
    double *value;      /* count doubles, contiguous */
    double *grad;       /* count doubles, or NULL in a twin (no gradients) */
    size_t count;
    int decay;          /* 1 for weight matrices (W_in, W1, W2, Ws, Wg, W_head): weight decay
                         * applies; 0 for biases and batch-norm scales and shifts */
} ClassifierParam;

typedef struct {
    ClassifierConfig cfg;
    size_t batch;            /* B */
    Net *net;                /* W_in (n, dim) and the blocks; x_L = net_x(net, L) */
    gsl_matrix *W_head;      /* (k, n) */
    gsl_vector *b_head;      /* (k) */
    gsl_matrix *dW_head;     /* (k, n), NULL in a twin */
    gsl_vector *db_head;     /* (k), NULL in a twin */
    /* pre order only, else NULL: the final activation h = s(BN_f(x_L)) (or s(x_L)) */
    gsl_vector *gamma_f, *beta_f;     /* (n) BN_f's scale and shift, with batch norm */
    gsl_vector *dgamma_f, *dbeta_f;   /* (n) their gradients, NULL in a twin */
    BatchnormCache *bn_f;
    gsl_matrix *r_f;         /* (B, n) BN_f(x_L), with batch norm */
    gsl_matrix *h_f;         /* (B, n) h, the head's input */
    gsl_matrix *dh_f;        /* (B, n) dL/dh */
    gsl_matrix *dr_f;        /* (B, n) dL/dr_f, with batch norm */
    gsl_matrix *logits;      /* (B, k) Z */
    gsl_matrix *probs;       /* (B, k) P = softmax(Z), after classifier_loss */
    gsl_matrix *dlogits;     /* (B, k) dZ, after classifier_backward */
    ClassifierParam *params; /* [nparams]: input.W, the blocks' tensors, final.*, head.W, head.b */
    size_t nparams;
    int owns_params;         /* 0 for a twin */
} Classifier;

/* The net's defaults (net_config_default: residual, post order, ReLU, He) at depth 8, width 32,
 * dim 2, classes 3. */
ClassifierConfig classifier_config_default(void);

/* Checks the net config (net_config_check, with input_width = dim) and dim, classes.
 * RESLAB_OK, RESLAB_ERR_INVALID or RESLAB_ERR_TOOBIG with a message. */
int classifier_config_check(const ClassifierConfig *cfg, size_t batch, size_t limit, char *err,
                            size_t errlen);

/* Allocates the classifier for batch B (with gradients) and draws its weights from rng. The
 * config must have passed classifier_config_check. NULL if out of memory. */
Classifier *classifier_alloc(const ClassifierConfig *cfg, size_t batch, gsl_rng *rng);

/* A twin of src at another batch size that SHARES src's parameters (no copy, no gradients):
 * for evaluating a trained classifier on many rows. src must outlive it. NULL if out of memory. */
Classifier *classifier_alloc_twin(const Classifier *src, size_t batch);

void classifier_free(Classifier *c);

/* The number of doubles in all parameters. */
size_t classifier_param_count(const Classifier *c);

/* Z = head(net(X)) into c->logits. X (B, dim). */
void classifier_forward(Classifier *c, const gsl_matrix *X);

/* P = softmax(Z) into c->probs; returns the mean cross-entropy. y[B] in 0..k-1. After forward. */
double classifier_loss(Classifier *c, const int *y);

/* Zeroes every parameter gradient. */
void classifier_zero_grad(Classifier *c);

/* Accumulates every parameter gradient of the mean cross-entropy (dZ = (P - Y) / B, then back
 * through the head and the net). After classifier_loss with the same y. Not for a twin. */
void classifier_backward(Classifier *c, const int *y);

/* ---- the batch-norm layers (inference mode: train.h, train_bn_freeze) ---- */

/* The number of batch-norm layers: 2 per block with batch norm (BN0 and BN1 in pre order, BN1
 * and BN2 in post order), then BN_f in pre order; 0 without batch norm. */
size_t classifier_bn_count(const Classifier *c);

/* Batch-norm layer i, 0 <= i < classifier_bn_count(c), in forward order: its cache (the
 * statistics and the inference-mode flag, batchnorm.h), owned by c; and, if name is not NULL,
 * its name "block<l>.bn<j>" (l = 1..L, j = 0, 1, 2) or "final.bn" into name (len bytes). */
BatchnormCache *classifier_bn_layer(const Classifier *c, size_t i, char *name, size_t len);

/* Every batch-norm layer of c back to training mode (batch statistics). */
void classifier_bn_thaw(Classifier *c);

#endif
