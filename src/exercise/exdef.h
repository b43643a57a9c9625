/* exdef.h: what the grader knows about each exercise: the cases it draws, reslab's own forward,
 * loss and backward, and the classic mistakes it can imitate.
 *
 * Usage (grade.c):
 *     const ExerciseDef *d = &exdef_residual;
 *     d->make(&c, k, rng);              case k's matrices, inputs drawn away from ReLU kinks
 *     d->forward(&c);                   the `ref` of every FORWARD matrix
 *     d->backward(&c, MISTAKE_NONE, out);              the correct gradients into out[i]
 *     d->backward(&c, MISTAKE_SHORTCUT_MISSING, out);  the gradients with that mistake (0 if
 *                                                      the mistake cannot show in this case)
 *     double L = d->loss(&c, group);    the loss at the current values; fills c.pattern
 *
 * Every loss is a scalar L whose gradient the student computes: L = sum(G ⊙ out) with the
 * upstream gradient G an input of the case (so dL/dout = G), except exercise 6, whose loss is
 * the mean cross-entropy itself. Conventions of docs/math.md: rows are examples, Z = X W^T + b.
 * Dimensions: B batch, n (n_in, n_out) widths, h hidden width, L blocks, k classes.
 */
#ifndef RESLAB_EXDEF_H
#define RESLAB_EXDEF_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "excase.h"

/* The classic mistakes the grader recognises (hint texts: grade.h, mistake_hint). */
typedef enum {
    MISTAKE_NONE = 0,
    MISTAKE_SHORTCUT_MISSING,       /* dX = the branch's share only */
    MISTAKE_SHORTCUT_OVERWRITES,    /* dX = the shortcut's share only: `=` replaced the branch's */
    MISTAKE_SHORTCUT_IDENTITY,      /* projection: dY added as if the shortcut were the identity */
    MISTAKE_SHORTCUT_SKIPS_MASK,    /* post order: the shortcut term not masked by relu'(Y) */
    MISTAKE_PREACT_MASKS_SHORTCUT,  /* pre-activation: relu'(X) applied to the shortcut's term too */
    MISTAKE_WEIGHT_TRANSPOSED,      /* dW = X^T dZ (the transpose) */
    MISTAKE_RELU_GE,                /* mask z >= 0 (differs only at z = 0) */
    MISTAKE_RELU_NO_MASK,           /* the hidden ReLU not masked, e.g. a mask from the output with >= */
    MISTAKE_RELU_OUTER_NO_MASK,     /* the other ReLU (pre-activation / after the sum) not masked */
    MISTAKE_RELU_OUTPUT_VALUE,      /* dZ = dA ⊙ relu(Z): the output used as the derivative */
    MISTAKE_BIAS_FIRST_ROW,         /* db = the first row of dZ */
    MISTAKE_BIAS_LAST_ROW,          /* db = the last row of dZ (`=` inside the loop over the batch) */
    MISTAKE_BATCH_TWICE,            /* divided by B once more than the loss does */
    MISTAKE_BATCH_MISSING,          /* the loss's 1/B left out */
    MISTAKE_ONEHOT_MISSING,         /* softmax: dZ = P / B, the -Y term missing */
    MISTAKE_SIGN,                   /* softmax: dZ = (Y - P) / B */
    MISTAKE_COUNT
} Mistake;

typedef struct {
    int number;
    const char *title;          /* "ReLU backward" */
    const char *file;           /* the skeleton, in lessons/exercises/: "01-relu.c" */
    const char *function;       /* what the student writes: "relu_backward" */
    int ncases;
    /* Case k's matrices, inputs from rng, every ReLU input at least EXREF_KINK_MARGIN from 0
     * (exercise 1 also plants exact zeros, to check the convention relu'(0) = 0); allocates
     * the kink pattern. RESLAB_OK, RESLAB_ERR_NOMEM, or RESLAB_ERR_INVALID if no kink-free
     * draw was found. */
    int (*make)(Excase *c, int k, gsl_rng *rng);
    /* reslab's forward: the `ref` of every FORWARD matrix. */
    void (*forward)(Excase *c);
    /* reslab's backward with mistake m (MISTAKE_NONE: the correct one), accumulated into
     * out[i] (zeroed by the caller) for every GRAD matrix i; returns 0 if m cannot show in
     * this case (e.g. a shape forbids it), else 1. Reads the FORWARD matrices' `ref`. */
    int (*backward)(Excase *c, Mistake m, double *const *out);
    /* L at the current inputs (and, for exercise 7, the `ref` of x_start), running the
     * forward from the block `group` names; records the sign of every ReLU input in
     * c->pattern (a difference across a kink changes it). */
    double (*loss)(Excase *c, int group);
    const Mistake *mistakes;    /* the ones to look for, ended by MISTAKE_NONE */
} ExerciseDef;

extern const ExerciseDef exdef_relu, exdef_linear, exdef_residual, exdef_projection,
    exdef_preact, exdef_softmax, exdef_net;

/* ---- Reference kernels (exref.c), on row-major arrays; built on core's dense and act. */

/* Inputs of a ReLU are drawn at least this far from 0: a parameter step of h = 1e-6 moves them
 * by about 1e-5 at most, so no central difference crosses a kink. */
#define EXREF_KINK_MARGIN 0.05

/* The losses are evaluated in long double (a 64-bit mantissa on x86-64, quad on aarch64): the
 * loss is a sum whose terms cancel, so in double its rounding noise can exceed the estimate
 * gradcheck.c makes from |L| and call a correct gradient "suspect" (seen once in 168 runs at
 * 1.3e-7). In extended precision the noise is ~2000x smaller and the difference quotient is
 * limited by h alone. */
typedef long double Ext;

/* Z = X W^T + 1 b^T in extended precision (X, Z extended; W, b the double parameters). */
void exref_linear_ext(const Ext *X, const double *W, const double *b, Ext *Z, int B, int in,
                      int out);
/* A = max(Z, 0);  out = (Ext)v;  pattern[i] = Z[i] > 0.  n entries each. */
void exref_relu_ext(const Ext *Z, Ext *A, size_t n);
void exref_widen(const double *v, Ext *out, size_t n);
void exref_signs_ext(const Ext *Z, size_t n, unsigned char *pattern);

/* Z = X W^T + 1 b^T.  X (B, in), W (out, in), b (out) or NULL, Z (B, out). */
void exref_linear(const double *X, const double *W, const double *b, double *Z, int B, int in,
                  int out);
/* dX += dZ W;  dW += dZ^T X;  db += column sums of dZ.  Each of dX, dW, db may be NULL. */
void exref_linear_back(const double *X, const double *W, const double *dZ, double *dX,
                       double *dW, double *db, int B, int in, int out);
/* A = max(Z, 0), n entries. */
void exref_relu(const double *Z, double *A, size_t n);

typedef enum { EXREF_MASK_GT, EXREF_MASK_GE, EXREF_MASK_NONE, EXREF_MASK_VALUE } ExrefMask;
/* dZ += dA ⊙ m(Z): GT [Z > 0] (the right one), GE [Z >= 0], NONE 1, VALUE relu(Z). */
void exref_relu_back(const double *Z, const double *dA, double *dZ, size_t n, ExrefMask m);

/* pattern[i] = Z[i] > 0, n entries. */
void exref_signs(const double *Z, size_t n, unsigned char *pattern);
/* v[i] ~ N(0, sd^2). */
void exref_fill(double *v, size_t n, gsl_rng *rng, double sd);
/* v[i] ~ N(0, sd^2), redrawn while |v[i]| < margin. */
void exref_fill_away(double *v, size_t n, gsl_rng *rng, double sd, double margin);
/* Redraws b[j] ~ N(0, sd^2) for every column j of Z (B, cols) with an |Z_ij| < margin;
 * returns how many it redrew (0: every column is clear of the kink). */
int exref_redraw_near_kink(const double *Z, int B, int cols, double *b, gsl_rng *rng, double sd,
                           double margin);
/* Column sums of dZ (B, cols) into db. */
void exref_colsum(const double *dZ, int B, int cols, double *db);

/* The "finishing" mistakes, applied to a correct parameter gradient in place:
 *   transposed: the (cols x rows) transpose of W stored row-major in W's buffer;
 *   bias row:   db = row r of dZ (B, cols) instead of the column sums. */
void exref_transpose_layout(double *W, int rows, int cols);
void exref_bias_row(double *db, const double *dZ, int B, int cols, int r);
void exref_scale(double *v, size_t n, double s);

/* For backward functions: the weight (1), bias (2) or other (0) kind of a GRAD matrix by its
 * name ("dW1", "plain.db2[0]"), and the common finishing step: applies WEIGHT_TRANSPOSED,
 * BATCH_TWICE to every parameter gradient; returns 1 if m is one of those. */
int exref_param_kind(const char *name);
int exref_finish(Excase *c, Mistake m, double *const *out);

#endif
