/* exdef_simple.c: exercises 1 (ReLU), 2 (dense layer) and 6 (softmax cross-entropy): their
 * cases, reslab's forward, loss and backward, and the mistakes each can imitate (exdef.h).
 * Dimensions: B batch, k units or classes, in/out the dense layer's widths. */
#include "exdef.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_rng.h>

#include "status.h"

/* Index of a matrix the exercise itself added (a missing one is a bug in this file). */
static int at(const Excase *c, const char *name) { return excase_find(c, name); }
static double *v(Excase *c, const char *name) { return excase_data(c, at(c, name)); }

/* ---- 1. ReLU: A = max(Z, 0), L = sum(dA ⊙ A), dZ = dA ⊙ [Z > 0]. */

static const int relu_shapes[][2] = {{3, 5}, {1, 4}, {4, 6}};   /* {B, k} */

static int relu_make(Excase *c, int k, gsl_rng *rng)
{
    int B = relu_shapes[k][0], n = relu_shapes[k][1];
    int Z = excase_add(c, "Z", B, n, EXCASE_INPUT, -1);
    int dA = excase_add(c, "dA", B, n, EXCASE_INPUT, -1);
    if (Z < 0 || dA < 0 || excase_add(c, "A", B, n, EXCASE_FORWARD, -1) < 0 ||
        excase_add(c, "dZ", B, n, EXCASE_GRAD, Z) < 0 || excase_alloc_work(c, (size_t)B * n, 0))
        return RESLAB_ERR_NOMEM;
    c->B = B;
    snprintf(c->shape, sizeof c->shape, "B=%d k=%d", B, n);
    exref_fill_away(c->a[Z].value, (size_t)B * n, rng, 1.0, EXREF_KINK_MARGIN);
    exref_fill_away(c->a[dA].value, (size_t)B * n, rng, 1.0, 0.1);   /* every mask entry shows */
    /* two entries exactly at the kink, where the convention relu'(0) = 0 decides */
    size_t first = gsl_rng_uniform_int(rng, (unsigned long)B * n);
    size_t second = (first + 1 + gsl_rng_uniform_int(rng, (unsigned long)B * n - 1)) % ((size_t)B * n);
    c->a[Z].value[first] = c->a[Z].value[second] = 0.0;
    return RESLAB_OK;
}

static void relu_forward(Excase *c)
{
    exref_relu(v(c, "Z"), v(c, "A"), (size_t)c->B * c->a[at(c, "Z")].cols);
}

static int relu_backward(Excase *c, Mistake m, double *const *out)
{
    ExrefMask mask = m == MISTAKE_RELU_GE ? EXREF_MASK_GE
                   : m == MISTAKE_RELU_NO_MASK ? EXREF_MASK_NONE
                   : m == MISTAKE_RELU_OUTPUT_VALUE ? EXREF_MASK_VALUE : EXREF_MASK_GT;
    int Z = at(c, "Z");
    exref_relu_back(c->a[Z].value, v(c, "dA"), out[at(c, "dZ")], (size_t)c->B * c->a[Z].cols, mask);
    return 1;
}

static double relu_loss(Excase *c, int group)
{
    (void)group;
    const double *Z = v(c, "Z"), *G = v(c, "dA");
    size_t n = (size_t)c->B * c->a[at(c, "Z")].cols;
    Ext L = 0.0L;
    for (size_t i = 0; i < n; i++) L += (Ext)G[i] * (Z[i] > 0.0 ? Z[i] : 0.0);   /* sum(dA ⊙ relu(Z)) */
    exref_signs(Z, n, c->pattern);
    return (double)L;
}

static const Mistake relu_mistakes[] = {MISTAKE_RELU_GE, MISTAKE_RELU_NO_MASK,
                                        MISTAKE_RELU_OUTPUT_VALUE, MISTAKE_NONE};

const ExerciseDef exdef_relu = {1, "ReLU backward", "01-relu.c", "relu_backward", 3, relu_make,
                                relu_forward, relu_backward, relu_loss, relu_mistakes};

/* ---- 2. Dense layer: Z = X W^T + 1 b^T, L = sum(dZ ⊙ Z); dX = dZ W, dW = dZ^T X, db = 1^T dZ. */

static const int linear_shapes[][3] = {{3, 4, 4}, {1, 3, 3}, {4, 3, 5}, {2, 6, 2}};  /* {B, in, out} */

static int linear_make(Excase *c, int k, gsl_rng *rng)
{
    int B = linear_shapes[k][0], in = linear_shapes[k][1], out = linear_shapes[k][2];
    int X = excase_add(c, "X", B, in, EXCASE_INPUT, -1);
    int W = excase_add(c, "W", out, in, EXCASE_INPUT, -1);
    int b = excase_add(c, "b", 1, out, EXCASE_INPUT, -1);
    int dZ = excase_add(c, "dZ", B, out, EXCASE_INPUT, -1);
    if (X < 0 || W < 0 || b < 0 || dZ < 0 || excase_add(c, "Z", B, out, EXCASE_FORWARD, -1) < 0 ||
        excase_add(c, "dX", B, in, EXCASE_GRAD, X) < 0 || excase_add(c, "dW", out, in, EXCASE_GRAD, W) < 0 ||
        excase_add(c, "db", 1, out, EXCASE_GRAD, b) < 0 ||
        excase_alloc_work(c, 0, (size_t)B * (in + out)))  /* the loss's X and Z */
        return RESLAB_ERR_NOMEM;
    c->B = B;
    snprintf(c->shape, sizeof c->shape, "B=%d in=%d out=%d", B, in, out);
    exref_fill(c->a[X].value, (size_t)B * in, rng, 1.0);
    exref_fill(c->a[W].value, (size_t)out * in, rng, 1.0 / sqrt(in));
    exref_fill(c->a[b].value, (size_t)out, rng, 0.5);
    exref_fill(c->a[dZ].value, (size_t)B * out, rng, 1.0);
    return RESLAB_OK;
}

static void linear_dims(const Excase *c, int *in, int *out)
{
    *out = c->a[at(c, "W")].rows;
    *in = c->a[at(c, "W")].cols;
}

static void linear_forward(Excase *c)
{
    int in, out;
    linear_dims(c, &in, &out);
    exref_linear(v(c, "X"), v(c, "W"), v(c, "b"), v(c, "Z"), c->B, in, out);
}

static int linear_backward(Excase *c, Mistake m, double *const *o)
{
    int in, out;
    linear_dims(c, &in, &out);
    const double *dZ = v(c, "dZ");
    double *db = o[at(c, "db")];
    exref_linear_back(v(c, "X"), v(c, "W"), dZ, o[at(c, "dX")], o[at(c, "dW")], db, c->B, in, out);
    if (m == MISTAKE_BIAS_FIRST_ROW || m == MISTAKE_BIAS_LAST_ROW)
        exref_bias_row(db, dZ, c->B, out, m == MISTAKE_BIAS_FIRST_ROW ? 0 : c->B - 1);
    exref_finish(c, m, o);
    return 1;
}

static double linear_loss(Excase *c, int group)
{
    (void)group;
    int in, out;
    linear_dims(c, &in, &out);
    Ext *X = c->xscratch, *Z = X + (size_t)c->B * in, L = 0.0L;
    const double *G = v(c, "dZ");
    exref_widen(v(c, "X"), X, (size_t)c->B * in);
    exref_linear_ext(X, v(c, "W"), v(c, "b"), Z, c->B, in, out);
    for (size_t i = 0; i < (size_t)c->B * out; i++) L += G[i] * Z[i];   /* sum(dZ ⊙ Z) */
    return (double)L;
}

static const Mistake linear_mistakes[] = {MISTAKE_WEIGHT_TRANSPOSED, MISTAKE_BIAS_FIRST_ROW,
                                          MISTAKE_BIAS_LAST_ROW, MISTAKE_BATCH_TWICE, MISTAKE_NONE};

const ExerciseDef exdef_linear = {2, "dense layer backward (dX, dW, db)", "02-dense.c",
                                  "linear_backward", 4, linear_make, linear_forward,
                                  linear_backward, linear_loss, linear_mistakes};

/* ---- 6. Softmax cross-entropy: P = softmax(Z) by rows, L = -(1/B) sum Y ⊙ log P,
 *         dZ = (P - Y) / B. */

static const int softmax_shapes[][2] = {{4, 3}, {1, 5}, {6, 4}};    /* {B, k} */

static int softmax_make(Excase *c, int k, gsl_rng *rng)
{
    int B = softmax_shapes[k][0], n = softmax_shapes[k][1];
    int Z = excase_add(c, "Z", B, n, EXCASE_INPUT, -1);
    int Y = excase_add(c, "Y", B, n, EXCASE_INPUT, -1);
    if (Z < 0 || Y < 0 || excase_add(c, "P", B, n, EXCASE_FORWARD, -1) < 0 ||
        excase_add(c, "loss", 1, 1, EXCASE_FORWARD, -1) < 0 ||
        excase_add(c, "dZ", B, n, EXCASE_GRAD, Z) < 0 || excase_alloc_work(c, 0, 0))
        return RESLAB_ERR_NOMEM;
    c->B = B;
    snprintf(c->shape, sizeof c->shape, "B=%d k=%d", B, n);
    exref_fill(c->a[Z].value, (size_t)B * n, rng, 1.5);
    for (int i = 0; i < B; i++) c->a[Y].value[(size_t)i * n + gsl_rng_uniform_int(rng, n)] = 1.0;
    return RESLAB_OK;
}

/* P = softmax(Z) row by row (max subtracted first); returns -(1/B) sum Y ⊙ log P. */
static double softmax_eval(const double *Z, const double *Y, double *P, int B, int n)
{
    double L = 0.0;
    for (int i = 0; i < B; i++) {
        const double *z = Z + (size_t)i * n;
        double mx = z[0], s = 0.0;
        for (int j = 1; j < n; j++) mx = fmax(mx, z[j]);
        for (int j = 0; j < n; j++) s += exp(z[j] - mx);
        for (int j = 0; j < n; j++) {
            double logp = z[j] - mx - log(s);
            if (P) P[(size_t)i * n + j] = exp(logp);
            L -= Y[(size_t)i * n + j] * logp;
        }
    }
    return L / B;
}

static void softmax_forward(Excase *c)
{
    int n = c->a[at(c, "Z")].cols;
    v(c, "loss")[0] = softmax_eval(v(c, "Z"), v(c, "Y"), v(c, "P"), c->B, n);
}

static int softmax_backward(Excase *c, Mistake m, double *const *out)
{
    int n = c->a[at(c, "Z")].cols;
    const double *P = v(c, "P"), *Y = v(c, "Y");
    double *dZ = out[at(c, "dZ")];
    double scale = m == MISTAKE_BATCH_TWICE ? 1.0 / ((double)c->B * c->B)
                 : m == MISTAKE_BATCH_MISSING ? 1.0 : 1.0 / c->B;
    for (size_t i = 0; i < (size_t)c->B * n; i++) {
        double g = m == MISTAKE_ONEHOT_MISSING ? P[i] : m == MISTAKE_SIGN ? Y[i] - P[i] : P[i] - Y[i];
        dZ[i] += g * scale;
    }
    return 1;
}

/* The same loss in extended precision, for the central differences. */
static double softmax_loss(Excase *c, int group)
{
    (void)group;
    int n = c->a[at(c, "Z")].cols;
    const double *Z = v(c, "Z"), *Y = v(c, "Y");
    Ext L = 0.0L;
    for (int i = 0; i < c->B; i++) {
        const double *z = Z + (size_t)i * n;
        Ext mx = z[0], s = 0.0L;
        for (int j = 1; j < n; j++) mx = fmaxl(mx, z[j]);
        for (int j = 0; j < n; j++) s += expl(z[j] - mx);
        for (int j = 0; j < n; j++) L -= Y[(size_t)i * n + j] * (z[j] - mx - logl(s));
    }
    return (double)(L / c->B);
}

static const Mistake softmax_mistakes[] = {MISTAKE_BATCH_TWICE, MISTAKE_BATCH_MISSING,
                                           MISTAKE_ONEHOT_MISSING, MISTAKE_SIGN, MISTAKE_NONE};

const ExerciseDef exdef_softmax = {6, "softmax cross-entropy backward", "06-softmax.c",
                                   "softmax_xent_backward", 3, softmax_make, softmax_forward,
                                   softmax_backward, softmax_loss, softmax_mistakes};
