/* net.h: a stack of L blocks of width n, residual or plain, with an optional input projection.
 *
 * Usage:
 *     NetConfig cfg = net_config_default();  cfg.depth = 20; cfg.width = 16;
 *     if (net_config_check(&cfg, B, RESLAB_MEMORY_LIMIT, err, sizeof err)) ...   (message says why)
 *     Net *net = net_alloc(&cfg, B, rng);                  weights drawn from rng
 *     net_forward(net, X);                                 X (B, input width); x_l = net_x(net, l)
 *     net_zero_grad(net);
 *     double loss = net_loss_backward(net);                L = 0.5 ||x_L||^2 / B, then backward
 *     ... net->dx[l] holds dL/dx_l (B, n) for l = 0..L; net->grads[l] the block's gradients
 *     net_free(net);
 *
 *     x_0 = X W_in^T     (input projection, only if input_width != 0; W_in (n, input_width))
 *     x_l = block_l(x_{l-1}),  l = 1..L     (block.h; plain net: shortcut NONE)
 * The activations x_0..x_L are kept (x_l for l >= 1 lives in block l's cache).
 * Lessons 04 (gradient flow) and 05 (depth grows).
 */
#ifndef RESLAB_NET_H
#define RESLAB_NET_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "block.h"
#include "init.h"

/* The default memory limit for one net (bytes): refused above this unless raised. */
#define RESLAB_MEMORY_LIMIT ((size_t)8 << 30)   /* a third of the 24 GiB machines we run on */

typedef struct {
    size_t depth;        /* L, number of blocks, >= 1 */
    size_t width;        /* n, width of the residual stream */
    size_t hidden;       /* h inside F; 0 means h = n */
    size_t input_width;  /* width of the input before the projection; 0: no projection */
    Activation act;
    ShortcutKind shortcut;   /* NONE gives the plain net */
    BlockOrder order;
    double lambda;       /* for SHORTCUT_SCALED */
    InitKind init;
    double branch_scale; /* multiplies F's last layer (W2) after init; 1 = unchanged */
    int zero_last;       /* 1: W2 = 0 and b2 = 0, so F = 0 and every block starts as S */
    double bias_std;     /* biases ~ N(0, bias_std^2); 0 = zero biases */
    int param_grads;     /* 1: allocate and compute parameter gradients; 0: only dL/dx_l */
    int bn;              /* 1: batch norm inside F (block.h) */
    double dropout_p;    /* SHORTCUT_DROPOUT's drop probability */
    double gate_bias;    /* initial gate bias b_g of the gating shortcuts */
} NetConfig;

typedef struct {
    NetConfig cfg;
    BlockConfig block;      /* the shape every block shares (n -> n) */
    size_t batch;           /* B */
    BlockParams **params;   /* [L] */
    BlockParams **grads;    /* [L], or NULL if !cfg.param_grads */
    BlockCache **cache;     /* [L]; x_l = cache[l-1]->out */
    BlockWork *work;
    gsl_matrix *W_in;       /* (n, input_width) or NULL */
    gsl_matrix *dW_in;      /* (n, input_width) or NULL */
    gsl_matrix *input;      /* (B, input_width): the last input, kept for dW_in */
    gsl_matrix *x0;         /* (B, n) */
    gsl_matrix **dx;        /* [L + 1] of (B, n): dL/dx_l after backward */
    int owns_params;        /* 0 for a twin: params (and W_in) belong to another net */
} Net;

/* depth 10, width 16, h = n, no projection, ReLU, identity shortcut, post order, lambda 0.5,
 * He init, branch scale 1, biases zero, parameter gradients on, no batch norm, dropout p 0.5,
 * gate bias -6 (He et al. 2016, Table 1: the best exclusive-gating init). */
NetConfig net_config_default(void);

/* The memory the net would take for batch B, in bytes (parameters, gradients, caches). */
size_t net_memory_bytes(const NetConfig *cfg, size_t batch);

/* The memory a twin of such a net takes (its caches and stream gradients; it shares the
 * weights), in bytes. */
size_t net_twin_memory_bytes(const NetConfig *cfg, size_t batch);

/* Checks every field and the memory estimate against limit; RESLAB_OK, RESLAB_ERR_INVALID, or
 * RESLAB_ERR_TOOBIG whose message states the estimate and the limit. */
int net_config_check(const NetConfig *cfg, size_t batch, size_t limit, char *err, size_t errlen);

/* Draws one block's parameters as net_alloc does, for a block of any widths: W1, W2 (and Ws,
 * Wg with the linear-layer gain) by cfg->init, biases ~ N(0, bias_std^2), gate biases =
 * gate_bias, BN scales 1 and shifts 0; then F's last layer scaled by branch_scale, or zeroed
 * with zero_last: W2, b2, or with batch norm in post order BN2's gamma2, beta2 (scaling W2
 * there would be undone by BN2). RESLAB_OK or RESLAB_ERR_NOMEM. */
int net_draw_block(const NetConfig *cfg, BlockParams *p, gsl_rng *rng);

/* Allocates the net and draws its weights from rng. The config must have passed
 * net_config_check. NULL if out of memory. */
Net *net_alloc(const NetConfig *cfg, size_t batch, gsl_rng *rng);
void net_free(Net *net);

/* The width of the input net_forward expects: input_width, or n without a projection. */
size_t net_input_width(const Net *net);

/* A twin of src with another shortcut (typically SHORTCUT_NONE: the plain twin) that SHARES
 * src's parameters: the same F in every block, no copy (at width 512 and depth 1000 the weights
 * are 3.9 GiB). Only its caches and gradients of the stream are its own; no parameter gradients.
 * src must outlive the twin. The shortcut must need no parameters of its own that src lacks
 * (a projection or gate): RESLAB-style NULL is returned then, as on out of memory. */
Net *net_alloc_twin(const Net *src, ShortcutKind shortcut);

/* The same twin for another batch size (e.g. to evaluate a trained net on a whole data set, or
 * the twin with src's own shortcut: the same net at batch B'). batch >= 1; NULL as above. */
Net *net_alloc_twin_batch(const Net *src, ShortcutKind shortcut, size_t batch);

/* Copies the branch parameters W1, b1, W2, b2 of every block and the input projection from src
 * into dst, so that dst computes the same F in every block: with dst's shortcut NONE it is the
 * plain twin of src. Depth, widths and batch must match. */
void net_copy_branches(Net *dst, const Net *src);

/* Draws a new dropout mask in every block (DROPOUT shortcuts only). */
void net_dropout_draw(Net *net, gsl_rng *rng);

/* Forward through all blocks. X (B, net_input_width). */
void net_forward(Net *net, const gsl_matrix *X);

/* x_l, l = 0..L (B, n). Valid after net_forward. */
const gsl_matrix *net_x(const Net *net, size_t l);

/* Zeroes every parameter gradient. */
void net_zero_grad(Net *net);

/* Backward from dL/dx_L = dxL (B, n): sets net->dx[l] = dL/dx_l for every l and accumulates
 * the parameter gradients (if allocated). */
void net_backward(Net *net, const gsl_matrix *dxL);

/* L = 0.5 ||x_L||_F^2 / B (the analysis loss); its gradient dL/dx_L = x_L / B goes into dx[L]
 * and backward runs from there. Returns L. Valid after net_forward. */
double net_loss_backward(Net *net);

/* The analysis loss alone, 0.5 ||x_L||^2 / B, without backward. */
double net_loss(const Net *net);

/* ||m||_F, computed with scaling so that it overflows only when the norm itself exceeds the
 * largest double (not when a square does, from 1.3e154 on); NaN if m holds a NaN. */
double net_frobenius(const gsl_matrix *m);

/* ||dL/dx_l||_F for l = 0..L into norms[L + 1]. Valid after backward. */
void net_grad_norms(const Net *net, double *norms);

#endif
