/* exdef_net.c: exercise 7, a whole net of L blocks in post order (He et al. 2015), as a plain
 * net and as its residual twin with the same weights (exdef.h, reslab_exercise.h):
 *
 *     Z1 = x_l W1^T + 1 b1^T,  A1 = relu(Z1),  F = A1 W2^T + 1 b2^T,
 *     Y = F + x_l (residual) or Y = F (plain),  x_{l+1} = relu(Y),   L = sum(G ⊙ x_L).
 *
 * Backward, block by block from l = L-1: dY = dx_{l+1} ⊙ [Y > 0] (the mask comes before the
 * split, so it multiplies both paths); dW2 = dY^T A1, db2 = 1^T dY, dA1 = dY W2,
 * dZ1 = dA1 ⊙ [Z1 > 0], dW1 = dZ1^T x_l, db1 = 1^T dZ1; dx_l = dZ1 W1 (+ dY, residual).
 * Every tensor of every block is checked on its own, and so is every dx_l: its numeric
 * gradient runs the forward from block l (the `group` of the loss: net * 16 + l).
 * Dimensions: B batch, n stream width, h hidden width, L = NET_DEPTH blocks. */
#include "exdef.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

#define NET_DEPTH 3
static const int shapes[][3] = {{3, 4, 4}, {1, 3, 5}, {4, 5, 3}};   /* {B, n, h} */
static const char *const twin[2] = {"plain", "resid"};

typedef struct {
    int B, n, h;
    int x0, W1[NET_DEPTH], b1[NET_DEPTH], W2[NET_DEPTH], b2[NET_DEPTH];
    /* per twin t: */
    int Z1[2][NET_DEPTH], A1[2][NET_DEPTH], Y[2][NET_DEPTH], x[2][NET_DEPTH + 1];
    int dW1[2][NET_DEPTH], db1[2][NET_DEPTH], dW2[2][NET_DEPTH], db2[2][NET_DEPTH];
    int dx[2][NET_DEPTH + 1];                      /* dx[t][L] is the given upstream G */
} NetIx;

static int find(const Excase *c, const char *fmt, const char *t, int l)
{
    char name[EXCASE_NAME_LEN + 16];
    if (t) snprintf(name, sizeof name, fmt, t, l);
    else snprintf(name, sizeof name, fmt, l);
    return excase_find(c, name);
}

static NetIx net_of(const Excase *c)
{
    NetIx N;
    N.x0 = excase_find(c, "x[0]");
    N.B = c->B, N.n = c->a[N.x0].cols;
    for (int l = 0; l < NET_DEPTH; l++) {
        N.W1[l] = find(c, "W1[%d]", NULL, l), N.b1[l] = find(c, "b1[%d]", NULL, l);
        N.W2[l] = find(c, "W2[%d]", NULL, l), N.b2[l] = find(c, "b2[%d]", NULL, l);
    }
    N.h = c->a[N.W1[0]].rows;
    for (int t = 0; t < 2; t++) {
        N.x[t][0] = N.x0;
        for (int l = 0; l < NET_DEPTH; l++) {
            N.Z1[t][l] = find(c, "%s.Z1[%d]", twin[t], l), N.A1[t][l] = find(c, "%s.A1[%d]", twin[t], l);
            N.Y[t][l] = find(c, "%s.Y[%d]", twin[t], l), N.x[t][l + 1] = find(c, "%s.x[%d]", twin[t], l + 1);
            N.dW1[t][l] = find(c, "%s.dW1[%d]", twin[t], l), N.db1[t][l] = find(c, "%s.db1[%d]", twin[t], l);
            N.dW2[t][l] = find(c, "%s.dW2[%d]", twin[t], l), N.db2[t][l] = find(c, "%s.db2[%d]", twin[t], l);
            N.dx[t][l] = find(c, "%s.dx[%d]", twin[t], l);
        }
        N.dx[t][NET_DEPTH] = find(c, "%s.dx[%d]", twin[t], NET_DEPTH);
    }
    return N;
}

/* One block l of twin t: Z1, A1, Y, x_{l+1} from x_l (all B x width, caller's buffers). */
static void block_run(Excase *c, const NetIx *N, int t, int l, const double *xl, double *Z1,
                      double *A1, double *Y, double *xn)
{
    size_t ny = (size_t)N->B * N->n;
    exref_linear(xl, c->a[N->W1[l]].value, c->a[N->b1[l]].value, Z1, N->B, N->n, N->h);
    exref_relu(Z1, A1, (size_t)N->B * N->h);
    exref_linear(A1, c->a[N->W2[l]].value, c->a[N->b2[l]].value, Y, N->B, N->h, N->n);  /* F */
    if (t == 1)
        for (size_t i = 0; i < ny; i++) Y[i] += xl[i];                 /* residual: Y = F + x_l */
    exref_relu(Y, xn, ny);                                             /* x_{l+1} = relu(Y) */
}

static int net_add_all(Excase *c, int B, int n, int h)
{
    char nm[EXCASE_NAME_LEN + 16];
    int ok = excase_add(c, "x[0]", B, n, EXCASE_INPUT, -1) >= 0;
    for (int l = 0; l < NET_DEPTH && ok; l++) {
        snprintf(nm, sizeof nm, "W1[%d]", l), ok &= excase_add(c, nm, h, n, EXCASE_INPUT, -1) >= 0;
        snprintf(nm, sizeof nm, "b1[%d]", l), ok &= excase_add(c, nm, 1, h, EXCASE_INPUT, -1) >= 0;
        snprintf(nm, sizeof nm, "W2[%d]", l), ok &= excase_add(c, nm, n, h, EXCASE_INPUT, -1) >= 0;
        snprintf(nm, sizeof nm, "b2[%d]", l), ok &= excase_add(c, nm, 1, n, EXCASE_INPUT, -1) >= 0;
    }
    for (int t = 0; t < 2 && ok; t++) {
        snprintf(nm, sizeof nm, "%s.dx[%d]", twin[t], NET_DEPTH);
        ok &= excase_add(c, nm, B, n, EXCASE_INPUT, -1) >= 0;
        for (int l = 0; l < NET_DEPTH && ok; l++) {
            const char *f[4] = {"%s.Z1[%d]", "%s.A1[%d]", "%s.Y[%d]", "%s.x[%d]"};
            for (int j = 0; j < 4 && ok; j++) {
                snprintf(nm, sizeof nm, f[j], twin[t], j == 3 ? l + 1 : l);
                ok &= excase_add(c, nm, B, j < 2 ? h : n, EXCASE_FORWARD, -1) >= 0;
            }
        }
        for (int l = 0; l < NET_DEPTH && ok; l++) {        /* gradients, layer by layer */
            const char *f[5] = {"%s.dW1[%d]", "%s.db1[%d]", "%s.dW2[%d]", "%s.db2[%d]", "%s.dx[%d]"};
            const char *of[5] = {"W1[%d]", "b1[%d]", "W2[%d]", "b2[%d]", NULL};
            for (int j = 0; j < 5 && ok; j++) {
                int wrt = j < 4 ? find(c, of[j], NULL, l) : l == 0 ? excase_find(c, "x[0]")
                                                                   : find(c, "%s.x[%d]", twin[t], l);
                snprintf(nm, sizeof nm, f[j], twin[t], l);
                int i = wrt < 0 ? -1 : excase_add(c, nm, c->a[wrt].rows, c->a[wrt].cols, EXCASE_GRAD, wrt);
                ok &= i >= 0;
                if (i >= 0) c->a[i].group = t * 16 + l;
            }
        }
    }
    /* loss scratch: x_start, then Z1, A1, Y, x_{l+1} per block */
    size_t np = (size_t)NET_DEPTH * B * (h + n), ns = (size_t)B * (NET_DEPTH * (2 * h + 2 * n) + n);
    return ok && excase_alloc_work(c, np, ns) == 0 ? 0 : -1;
}

/* Draws block l's parameters, redrawing biases until every Z1 and Y of both twins is at least
 * the margin away from 0; leaves the block's forward in the refs. */
static int draw_block(Excase *c, const NetIx *N, int l, gsl_rng *rng)
{
    exref_fill(c->a[N->W1[l]].value, (size_t)N->h * N->n, rng, 1.0 / sqrt(N->n));
    exref_fill(c->a[N->b1[l]].value, (size_t)N->h, rng, 0.5);
    exref_fill(c->a[N->W2[l]].value, (size_t)N->n * N->h, rng, 1.0 / sqrt(N->h));
    exref_fill(c->a[N->b2[l]].value, (size_t)N->n, rng, 0.5);
    for (int tries = 0; tries < 1000; tries++) {
        int redrawn = 0;
        for (int t = 0; t < 2; t++) {
            block_run(c, N, t, l, excase_data(c, N->x[t][l]), c->a[N->Z1[t][l]].ref,
                      c->a[N->A1[t][l]].ref, c->a[N->Y[t][l]].ref, c->a[N->x[t][l + 1]].ref);
            redrawn += exref_redraw_near_kink(c->a[N->Z1[t][l]].ref, N->B, N->h,
                                              c->a[N->b1[l]].value, rng, 0.5, EXREF_KINK_MARGIN);
            if (!redrawn)
                redrawn += exref_redraw_near_kink(c->a[N->Y[t][l]].ref, N->B, N->n,
                                                  c->a[N->b2[l]].value, rng, 0.5, EXREF_KINK_MARGIN);
        }
        if (!redrawn) return RESLAB_OK;
    }
    return RESLAB_ERR_INVALID;
}

static int net_make(Excase *c, int k, gsl_rng *rng)
{
    int B = shapes[k][0], n = shapes[k][1], h = shapes[k][2];
    c->B = B;
    if (net_add_all(c, B, n, h)) return RESLAB_ERR_NOMEM;
    snprintf(c->shape, sizeof c->shape, "B=%d n=%d h=%d L=%d", B, n, h, NET_DEPTH);
    NetIx N = net_of(c);
    exref_fill(c->a[N.x0].value, (size_t)B * n, rng, 1.0);
    exref_fill(c->a[N.dx[0][NET_DEPTH]].value, (size_t)B * n, rng, 1.0);
    memcpy(c->a[N.dx[1][NET_DEPTH]].value, c->a[N.dx[0][NET_DEPTH]].value, sizeof(double) * B * n);
    for (int l = 0; l < NET_DEPTH; l++) {
        int rc = draw_block(c, &N, l, rng);
        if (rc) return rc;
    }
    return RESLAB_OK;
}

static void net_forward(Excase *c)
{
    NetIx N = net_of(c);
    for (int t = 0; t < 2; t++)
        for (int l = 0; l < NET_DEPTH; l++)
            block_run(c, &N, t, l, excase_data(c, N.x[t][l]), c->a[N.Z1[t][l]].ref,
                      c->a[N.A1[t][l]].ref, c->a[N.Y[t][l]].ref, c->a[N.x[t][l + 1]].ref);
}

/* Block l's backward for twin t from d = dL/dx_{l+1}; dx_l into out, as mistake m says. */
static void block_back(Excase *c, const NetIx *N, int t, int l, Mistake m, const double *d,
                       double *const *out)
{
    size_t ny = (size_t)N->B * N->n, nh = (size_t)N->B * N->h;
    double *dY = c->scratch, *dA1 = dY + ny, *dZ1 = dA1 + nh;
    memset(c->scratch, 0, sizeof(double) * (ny + 2 * nh));
    exref_relu_back(c->a[N->Y[t][l]].ref, d, dY, ny,                    /* dY = d ⊙ [Y > 0] */
                    m == MISTAKE_RELU_OUTER_NO_MASK ? EXREF_MASK_NONE : EXREF_MASK_GT);
    exref_linear_back(c->a[N->A1[t][l]].ref, c->a[N->W2[l]].value, dY, dA1, out[N->dW2[t][l]],
                      out[N->db2[t][l]], N->B, N->h, N->n);
    exref_relu_back(c->a[N->Z1[t][l]].ref, dA1, dZ1, nh,
                    m == MISTAKE_RELU_NO_MASK ? EXREF_MASK_NONE
                    : m == MISTAKE_RELU_OUTPUT_VALUE ? EXREF_MASK_VALUE : EXREF_MASK_GT);
    double *dx = out[N->dx[t][l]];
    int branch = !(t == 1 && m == MISTAKE_SHORTCUT_OVERWRITES);
    exref_linear_back(excase_data(c, N->x[t][l]), c->a[N->W1[l]].value, dZ1, branch ? dx : NULL,
                      out[N->dW1[t][l]], out[N->db1[t][l]], N->B, N->n, N->h);
    if (t == 1 && m != MISTAKE_SHORTCUT_MISSING) {                      /* shortcut: ADDED */
        const double *s = m == MISTAKE_SHORTCUT_SKIPS_MASK ? d : dY;
        for (size_t i = 0; i < ny; i++) dx[i] += s[i];
    }
    if (m == MISTAKE_BIAS_FIRST_ROW || m == MISTAKE_BIAS_LAST_ROW) {
        int r = m == MISTAKE_BIAS_FIRST_ROW ? 0 : N->B - 1;
        exref_bias_row(out[N->db2[t][l]], dY, N->B, N->n, r);
        exref_bias_row(out[N->db1[t][l]], dZ1, N->B, N->h, r);
    }
}

static int net_backward(Excase *c, Mistake m, double *const *out)
{
    NetIx N = net_of(c);
    for (int t = 0; t < 2; t++)
        for (int l = NET_DEPTH - 1; l >= 0; l--)
            block_back(c, &N, t, l, m, l == NET_DEPTH - 1 ? c->a[N.dx[t][NET_DEPTH]].value
                                                          : out[N.dx[t][l + 1]], out);
    exref_finish(c, m, out);
    return 1;
}

/* Block l of twin t in extended precision (the loss's forward, exdef.h). */
static void block_run_ext(Excase *c, const NetIx *N, int t, int l, const Ext *xl, Ext *Z1,
                          Ext *A1, Ext *Y, Ext *xn)
{
    size_t ny = (size_t)N->B * N->n;
    exref_linear_ext(xl, c->a[N->W1[l]].value, c->a[N->b1[l]].value, Z1, N->B, N->n, N->h);
    exref_relu_ext(Z1, A1, (size_t)N->B * N->h);
    exref_linear_ext(A1, c->a[N->W2[l]].value, c->a[N->b2[l]].value, Y, N->B, N->h, N->n);
    if (t == 1)
        for (size_t i = 0; i < ny; i++) Y[i] += xl[i];                 /* residual: Y = F + x_l */
    exref_relu_ext(Y, xn, ny);
}

/* L = sum(G ⊙ x_L) of twin t = group / 16, running the blocks from s = group % 16 on. */
static double net_loss(Excase *c, int group)
{
    NetIx N = net_of(c);
    int t = group / 16, s = group % 16;
    size_t ny = (size_t)N.B * N.n, nh = (size_t)N.B * N.h;
    Ext *x = c->xscratch;
    exref_widen(excase_data(c, N.x[t][s]), x, ny);
    memset(c->pattern, 0, c->npattern);
    for (int l = s; l < NET_DEPTH; l++) {
        Ext *Z1 = c->xscratch + ny + (size_t)l * 2 * (ny + nh), *A1 = Z1 + nh, *Y = A1 + nh, *xn = Y + ny;
        block_run_ext(c, &N, t, l, x, Z1, A1, Y, xn);
        unsigned char *p = c->pattern + (size_t)l * (nh + ny);
        exref_signs_ext(Z1, nh, p);
        exref_signs_ext(Y, ny, p + nh);
        x = xn;
    }
    const double *G = c->a[N.dx[t][NET_DEPTH]].value;
    Ext L = 0.0L;
    for (size_t i = 0; i < ny; i++) L += G[i] * x[i];                 /* sum(G ⊙ x_L) */
    return (double)L;
}

static const Mistake net_mistakes[] = {
    MISTAKE_SHORTCUT_MISSING, MISTAKE_SHORTCUT_OVERWRITES, MISTAKE_SHORTCUT_SKIPS_MASK,
    MISTAKE_RELU_OUTER_NO_MASK, MISTAKE_RELU_NO_MASK, MISTAKE_RELU_OUTPUT_VALUE,
    MISTAKE_WEIGHT_TRANSPOSED, MISTAKE_BIAS_FIRST_ROW, MISTAKE_BIAS_LAST_ROW,
    MISTAKE_BATCH_TWICE, MISTAKE_NONE};

const ExerciseDef exdef_net = {7, "a whole net's backward, plain and residual", "07-net.c",
                               "exnet_backward", 3, net_make, net_forward, net_backward, net_loss,
                               net_mistakes};
