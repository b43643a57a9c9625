/* block.h: one residual block y = F(x) + S(x), and its plain twin (S = 0), forward and backward.
 *
 * Usage:
 *     BlockConfig cfg = {.n_in = 16, .n_out = 16, .h = 16, .act = ACT_RELU,
 *                        .shortcut = SHORTCUT_IDENTITY, .order = ORDER_POST, .lambda = 1.0};
 *     if (block_config_check(&cfg, err, sizeof err)) ...
 *     BlockParams *p = block_params_alloc(&cfg), *g = block_params_alloc(&cfg);
 *     BlockCache *c = block_cache_alloc(&cfg, B);  BlockWork *w = block_work_alloc(&cfg, B);
 *     block_forward(&cfg, p, x, c);                     c->out is the block's output (B, n_out)
 *     block_params_zero(g); gsl_matrix_set_zero(dx);
 *     block_backward(&cfg, dx, g, dout, x, p, c, w);    dx, g accumulate
 *
 * The branch (the residual function), with s the activation:
 *     F(a) = W2 s(W1 a + b1) + b2          W1 (h, n_in), b1 (h), W2 (n_out, h), b2 (n_out)
 * With batch norm (bn = 1), the paper's blocks:
 *     post: F(x) = BN2(W2 s(BN1(W1 x + b1)) + b2)            (He et al. 2015, Linear-BN-ReLU-Linear-BN)
 *     pre:  F(x) = W2 s(BN1(W1 s(BN0(x)) + b1)) + b2          (He et al. 2016, full pre-activation)
 * Orderings:
 *     post-activation (He et al. 2015, Eq. 1 and the ReLU after the addition in its text):
 *                                                out = s(F(x) + S(x))
 *     pre-activation  (He et al. 2016, Eq. 9):   out = F(s(x)) + S(x)      (f = identity)
 * Shortcuts S: see shortcut.h (identity, options A/B/C, and the variants of He et al. 2016,
 * Table 1: constant scaling, gating, dropout). The plain twin is SHORTCUT_NONE.
 * Batches are matrices with one example per row: x (B, n_in), out (B, n_out).
 * Lessons 01 (the block), 02 (projection shortcuts) and 06 (shortcut variants).
 */
#ifndef RESLAB_BLOCK_H
#define RESLAB_BLOCK_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "act.h"
#include "batchnorm.h"

typedef enum {
    SHORTCUT_NONE,
    SHORTCUT_IDENTITY,
    SHORTCUT_ZEROPAD,
    SHORTCUT_PROJECT,
    SHORTCUT_PROJECT_ALL,
    SHORTCUT_SCALED,
    SHORTCUT_GATE,           /* exclusive gating: y = (1 - g) x + g F,  g = sigmoid(Wg x + bg) */
    SHORTCUT_GATE_SHORTCUT,  /* shortcut-only gating: y = (1 - g) x + F */
    SHORTCUT_DROPOUT,        /* y = F + m x, m a kept-or-dropped mask scaled by 1 / (1 - p) */
} ShortcutKind;

typedef enum { ORDER_POST, ORDER_PRE } BlockOrder;

typedef struct {
    size_t n_in, n_out, h;   /* input width, output width, hidden width inside F */
    Activation act;          /* s, used inside F and (post order) after the sum */
    ShortcutKind shortcut;
    BlockOrder order;
    double lambda;           /* the SCALED shortcut's factor; ignored otherwise */
    int bn;                  /* 1: batch norm inside F (training-mode statistics) */
    double dropout_p;        /* the DROPOUT shortcut's drop probability, in [0, 1) */
} BlockConfig;

/* Parameters, and (same struct) their gradients. Fields a config does not use are NULL. */
typedef struct {
    gsl_matrix *W1;   /* (h, n_in) */
    gsl_vector *b1;   /* (h) */
    gsl_matrix *W2;   /* (n_out, h) */
    gsl_vector *b2;   /* (n_out) */
    gsl_matrix *Ws;   /* (n_out, n_in), projection shortcuts */
    gsl_matrix *Wg;   /* (n_out, n_in), gates */
    gsl_vector *bg;   /* (n_out), gates */
    gsl_vector *gamma0, *beta0;   /* (n_in)  BN0 on x, pre order with bn */
    gsl_vector *gamma1, *beta1;   /* (h)     BN1 on W1 a + b1, with bn */
    gsl_vector *gamma2, *beta2;   /* (n_out) BN2 on W2 a1 + b2, post order with bn */
} BlockParams;

/* What forward saves for backward, for a batch of B. */
typedef struct {
    gsl_matrix *r0;   /* (B, n_in)  BN0(x), the input of the first s (pre order with bn), else NULL */
    gsl_matrix *a0;   /* (B, n_in)  s(x) or s(BN0(x)), pre order only, else NULL */
    gsl_matrix *u1;   /* (B, h)     W1 a + b1 before BN1 (bn only), else NULL */
    gsl_matrix *z1;   /* (B, h)     the input of s inside F: W1 a + b1, or BN1 of it */
    gsl_matrix *a1;   /* (B, h)     s(z1) */
    gsl_matrix *v;    /* (B, n_out) W2 a1 + b2 before BN2 (post order with bn), else NULL */
    gsl_matrix *f;    /* (B, n_out) F, the branch output */
    gsl_matrix *g;    /* (B, n_out) the gate sigmoid(Wg x + bg) (gates), else NULL */
    gsl_matrix *mask; /* (B, n_in)  the dropout mask, 0 or 1/(1-p) (dropout), else NULL */
    gsl_matrix *y;    /* (B, n_out) the sum S and F, before the post-activation */
    gsl_matrix *out;  /* (B, n_out) the block's output: s(y) (post) or y itself (pre) */
    BatchnormCache *bn0, *bn1, *bn2;
} BlockCache;

/* Scratch space for backward, shareable by all blocks of one shape and batch. */
typedef struct {
    gsl_matrix *dy;   /* (B, n_out) */
    gsl_matrix *df;   /* (B, n_out) dL/dF */
    gsl_matrix *dv;   /* (B, n_out) */
    gsl_matrix *dz1;  /* (B, h) */
    gsl_matrix *du1;  /* (B, h) */
    gsl_matrix *da1;  /* (B, h) */
    gsl_matrix *da0;  /* (B, n_in) */
    gsl_matrix *dr0;  /* (B, n_in) */
} BlockWork;

/* Which paths block_backward_paths sends the gradient through (Veit et al. 2016). */
enum { BLOCK_PATH_SHORTCUT = 1, BLOCK_PATH_BRANCH = 2, BLOCK_PATH_ALL = 3 };

/* "none", "identity", "zeropad", "project", "project-all", "scaled", "gate", "gate-shortcut",
 * "dropout". */
const char *block_shortcut_name(ShortcutKind k);
/* RESLAB_OK or RESLAB_ERR_INVALID. Also accepts "A", "B", "C" and "plain". */
int block_shortcut_parse(const char *name, ShortcutKind *out);
/* "post", "pre". */
const char *block_order_name(BlockOrder o);
int block_order_parse(const char *name, BlockOrder *out);

/* Checks widths against the shortcut (identity, scaled, gates and dropout need n_in == n_out,
 * zero padding n_out >= n_in, all widths >= 1, lambda finite, 0 <= dropout_p < 1).
 * RESLAB_OK or RESLAB_ERR_INVALID with a message. */
int block_config_check(const BlockConfig *cfg, char *err, size_t errlen);

/* 1 if the shortcut has a projection matrix Ws for this config; 1 if it has a gate. */
int block_has_projection(const BlockConfig *cfg);
int block_has_gate(const BlockConfig *cfg);

/* Number of doubles in the parameters; in a cache for batch B. */
size_t block_param_count(const BlockConfig *cfg);
size_t block_cache_count(const BlockConfig *cfg, size_t B);

/* Allocation: all zero, except BN scales gamma = 1 and the dropout mask = 1 (keeps all);
 * NULL if out of memory. Free with the matching _free (NULL is fine). */
BlockParams *block_params_alloc(const BlockConfig *cfg);
/* The same shapes, every entry 0 (BN scales too): for gradients. */
BlockParams *block_grads_alloc(const BlockConfig *cfg);
void block_params_free(BlockParams *p);
void block_params_zero(BlockParams *p);
BlockCache *block_cache_alloc(const BlockConfig *cfg, size_t B);
void block_cache_free(BlockCache *c);
BlockWork *block_work_alloc(const BlockConfig *cfg, size_t B);
void block_work_free(BlockWork *w);

/* Draws a new dropout mask into c (DROPOUT only; otherwise nothing): each entry is kept with
 * probability 1 - p and then scaled by 1 / (1 - p) (inverted dropout), or set to 0. */
void block_dropout_draw(const BlockConfig *cfg, BlockCache *c, gsl_rng *rng);

#define BLOCK_MAX_TENSORS 13   /* the most parameter tensors a block can have */

/* Calls f(name, values, count, ctx) for every parameter tensor the config uses, in a fixed
 * order (W1 b1 W2 b2 Ws Wg bg gamma0 beta0 gamma1 beta1 gamma2 beta2); g may be NULL, else the
 * matching gradient is passed too. */
void block_params_each(const BlockParams *p, const BlockParams *g,
                       void (*f)(const char *name, double *value, double *grad, size_t count,
                                 void *ctx),
                       void *ctx);

/* F of the configured order and batch norm: x (B, n_in); fills c's branch fields, F in c->f. */
void block_branch_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                          BlockCache *c);

/* The block's forward pass: fills every field of c; the output is c->out (B, n_out). */
void block_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                   BlockCache *c);

/* Backward: given dout = dL/d(out) (B, n_out), accumulates dx += dL/dx (B, n_in) and every
 * parameter gradient into g. x is the input forward saw, c what it saved. dx may be NULL
 * (no input gradient), g may be NULL (input gradient only). */
void block_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                    const gsl_matrix *dout, const gsl_matrix *x, const BlockParams *p,
                    const BlockCache *c, BlockWork *w);

/* The same, sending the gradient only through the chosen paths (BLOCK_PATH_*): SHORTCUT alone
 * gives dx = dL/dy dS/dx, BRANCH alone dx = dL/dy dF/dx. Used for Veit's per-path gradients. */
void block_backward_paths(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                          const gsl_matrix *dout, const gsl_matrix *x, const BlockParams *p,
                          const BlockCache *c, BlockWork *w, int paths);

/* The Jacobian d out_b / d x_b (n_out, n_in) of example b, from what forward saved, for blocks
 * without batch norm (batch norm couples the examples). RESLAB_OK, or RESLAB_ERR_INVALID with
 * bn. J must be (n_out, n_in); scratch (n_out, h) and (h, n_in) are allocated here. */
int block_jacobian(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                   const BlockCache *c, size_t b, gsl_matrix *J);

#endif
