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
 * Orderings:
 *     post-activation (He et al. 2015, Eq. 1 and the ReLU after the addition in its text):
 *                                                out = s(F(x) + S(x))
 *     pre-activation  (He et al. 2016, Eq. 9):   out = F(s(x)) + S(x)      (f = identity)
 * Shortcuts S (He et al. 2015, Eq. 1-2 and options A/B/C):
 *     NONE        S(x) = 0               the plain twin
 *     IDENTITY    S(x) = x               needs n_in == n_out
 *     ZEROPAD     S(x) = [x, 0]          option A: extra channels zero, appended (n_out >= n_in)
 *     PROJECT     S(x) = x if n_in == n_out, else Ws x        option B
 *     PROJECT_ALL S(x) = Ws x            option C             Ws (n_out, n_in)
 *     SCALED      S(x) = lambda x        constant scaling (He et al. 2016, Table 1)
 * Batches are matrices with one example per row: x (B, n_in), out (B, n_out).
 * Lessons 01 (the block) and 02 (projection shortcuts).
 */
#ifndef RESLAB_BLOCK_H
#define RESLAB_BLOCK_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "act.h"

typedef enum {
    SHORTCUT_NONE,
    SHORTCUT_IDENTITY,
    SHORTCUT_ZEROPAD,
    SHORTCUT_PROJECT,
    SHORTCUT_PROJECT_ALL,
    SHORTCUT_SCALED,
} ShortcutKind;

typedef enum { ORDER_POST, ORDER_PRE } BlockOrder;

typedef struct {
    size_t n_in, n_out, h;   /* input width, output width, hidden width inside F */
    Activation act;          /* s, used inside F and (post order) after the sum */
    ShortcutKind shortcut;
    BlockOrder order;
    double lambda;           /* the SCALED shortcut's factor; ignored otherwise */
} BlockConfig;

/* Parameters, and (same struct) their gradients. */
typedef struct {
    gsl_matrix *W1;   /* (h, n_in) */
    gsl_vector *b1;   /* (h) */
    gsl_matrix *W2;   /* (n_out, h) */
    gsl_vector *b2;   /* (n_out) */
    gsl_matrix *Ws;   /* (n_out, n_in), or NULL when the shortcut has no projection */
} BlockParams;

/* What forward saves for backward, for a batch of B. */
typedef struct {
    gsl_matrix *a0;   /* (B, n_in)  s(x), pre-activation order only, else NULL */
    gsl_matrix *z1;   /* (B, h)     W1 a + b1 */
    gsl_matrix *a1;   /* (B, h)     s(z1) */
    gsl_matrix *f;    /* (B, n_out) F, the branch output */
    gsl_matrix *y;    /* (B, n_out) F + S(x), before the post-activation */
    gsl_matrix *out;  /* (B, n_out) the block's output: s(y) (post) or y itself (pre) */
} BlockCache;

/* Scratch space for backward, shareable by all blocks of one shape and batch. */
typedef struct {
    gsl_matrix *dy;   /* (B, n_out) */
    gsl_matrix *dz1;  /* (B, h) */
    gsl_matrix *da1;  /* (B, h) */
    gsl_matrix *da0;  /* (B, n_in) */
} BlockWork;

/* "none", "identity", "zeropad", "project", "project-all", "scaled". */
const char *block_shortcut_name(ShortcutKind k);
/* RESLAB_OK or RESLAB_ERR_INVALID. Also accepts "A", "B", "C" and "plain". */
int block_shortcut_parse(const char *name, ShortcutKind *out);
/* "post", "pre". */
const char *block_order_name(BlockOrder o);
int block_order_parse(const char *name, BlockOrder *out);

/* Checks widths against the shortcut (identity needs n_in == n_out, zero padding n_out >= n_in,
 * all widths >= 1, lambda finite). RESLAB_OK or RESLAB_ERR_INVALID with a message. */
int block_config_check(const BlockConfig *cfg, char *err, size_t errlen);

/* 1 if the shortcut has a projection matrix Ws for this config. */
int block_has_projection(const BlockConfig *cfg);

/* Number of doubles in the parameters (all of W1, b1, W2, b2, Ws). */
size_t block_param_count(const BlockConfig *cfg);
/* Number of doubles in a cache for batch B. */
size_t block_cache_count(const BlockConfig *cfg, size_t B);

/* Allocation: all zero; NULL if out of memory. Free with the matching _free (NULL is fine). */
BlockParams *block_params_alloc(const BlockConfig *cfg);
void block_params_free(BlockParams *p);
void block_params_zero(BlockParams *p);
BlockCache *block_cache_alloc(const BlockConfig *cfg, size_t B);
void block_cache_free(BlockCache *c);
BlockWork *block_work_alloc(const BlockConfig *cfg, size_t B);
void block_work_free(BlockWork *w);

/* F(a) = W2 s(W1 a + b1) + b2 of the configured order: for pre order the input is s(x).
 * x (B, n_in); writes z1, a1 (and a0) into c and returns F in c->f. */
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

#endif
