/* shatter.c: gradients along a 1-D input sweep and their autocorrelation (Balduzzi et al. 2017).
 * Dimensions: N points = B batch rows, input width 1, n width of the stream, L depth,
 * S seeds (nets) and R readouts per net in a sweep. */
#include "shatter.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "status.h"

NetConfig shatter_config_default(void)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 1;
    cfg.width = 200;
    cfg.input_width = 1;
    cfg.shortcut = SHORTCUT_NONE;
    cfg.bias_std = SHATTER_BIAS_STD;
    cfg.param_grads = 0;
    return cfg;
}

ShatterOptions shatter_options_default(void)
{
    ShatterOptions o = {.points = SHATTER_POINTS, .seed = 1, .seeds = 8, .readouts = 1};
    return o;
}

void shatter_grid(gsl_matrix *X, double lo, double hi)
{
    size_t N = X->size1;
    assert(X->size2 == 1);
    for (size_t i = 0; i < N; i++)
        gsl_matrix_set(X, i, 0, N == 1 ? lo : lo + (hi - lo) * (double)i / (double)(N - 1));
}

void shatter_readout(gsl_vector *w, gsl_rng *rng)
{
    for (size_t j = 0; j < w->size; j++) gsl_vector_set(w, j, gsl_ran_gaussian(rng, 1.0));
    gsl_vector_scale(w, 1.0 / gsl_blas_dnrm2(w));
}

/* 1 if one example's output depends on other examples of the batch (batch norm in training
 * mode), so that one backward pass from sum_i y_i would not give the diagonal dy_i/dx_i. */
static int shatter_examples_coupled(const Net *net)
{
    return net->cfg.bn;
}

/* dy/dx_0 (row i of dx[0]) through the projection x_0 = x W_in^T: dx_0[i] . W_in[:, 0]. */
static double shatter_row_through_projection(const Net *net, size_t i)
{
    gsl_vector_const_view d = gsl_matrix_const_row(net->dx[0], i);
    gsl_vector_const_view win = gsl_matrix_const_column(net->W_in, 0);
    double s;
    gsl_blas_ddot(&d.vector, &win.vector, &s);
    return s;
}

static void set_row(gsl_matrix *m, size_t i, const gsl_vector *w)
{
    gsl_vector_view r = gsl_matrix_row(m, i);
    gsl_vector_memcpy(&r.vector, w);
}

void shatter_net_gradients(Net *net, const gsl_vector *w, double *g)
{
    size_t N = net->batch, L = net->cfg.depth;
    assert(net->W_in && net->W_in->size2 == 1 && w->size == net->cfg.width);
    gsl_matrix *up = net->dx[L];                 /* dL/dx_L (N, n); net_backward leaves it alone */
    if (!shatter_examples_coupled(net)) {
        /* L = sum_i y_i, dL/dx_L = every row w. Example i sees only x_i, so row i of dL/dx_0 is
         * dy_i/dx_0[i]: the whole diagonal in one backward pass. */
        for (size_t i = 0; i < N; i++) set_row(up, i, w);
        net_backward(net, up);
        for (size_t i = 0; i < N; i++) g[i] = shatter_row_through_projection(net, i);
        return;
    }
    /* Coupled examples: sum_i y_i would add dy_j/dx_i (j != i) into row i. L = y_i alone
     * (dL/dx_L = w in row i, 0 elsewhere) gives dy_i/dx_0[k] in row k for every k; keep k = i.
     * One backward pass per example. */
    for (size_t i = 0; i < N && !status_cancelled(); i++) {   /* a cancel leaves g partial */
        gsl_matrix_set_zero(up);
        set_row(up, i, w);
        net_backward(net, up);
        g[i] = shatter_row_through_projection(net, i);
    }
}

static int shatter_check(const NetConfig *cfg, size_t N, char *err, size_t errlen)
{
    if (cfg->input_width != 1)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the gradient sweep needs a scalar input: input width 1, not %zu",
                          cfg->input_width);
    if (N < 2) return status_set(err, errlen, RESLAB_ERR_INVALID, "the sweep needs >= 2 points");
    if (cfg->shortcut == SHORTCUT_DROPOUT)       /* one random mask per example and unit */
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the dropout shortcut draws a mask per example: the sweep would "
                          "measure the masks, not the net");
    return net_config_check(cfg, N, RESLAB_MEMORY_LIMIT, err, errlen);
}

int shatter_gradients(const NetConfig *cfg, size_t N, gsl_rng *rng, double *g, char *err,
                      size_t errlen)
{
    int rc = shatter_check(cfg, N, err, errlen);
    if (rc) return rc;
    Net *net = net_alloc(cfg, N, rng);
    gsl_vector *w = gsl_vector_alloc(cfg->width);
    gsl_matrix *X = gsl_matrix_alloc(N, 1);
    if (!net || !w || !X) {
        rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the sweep net");
    } else {
        shatter_readout(w, rng);                 /* drawn after the net's weights */
        shatter_grid(X, -2.0, 2.0);
        net_forward(net, X);
        shatter_net_gradients(net, w, g);
    }
    net_free(net);
    gsl_vector_free(w);
    gsl_matrix_free(X);
    return rc;
}

double shatter_autocorr(const double *g, size_t N, size_t lag)
{
    if (lag >= N) return NAN;
    /* deviations taken from g[0] first: a constant g then gives exactly 0, where the rounded
     * mean of N equal values could differ from them in the last bit and leave noise */
    double m = 0.0, c0 = 0.0, ck = 0.0;
    for (size_t i = 0; i < N; i++) m += g[i] - g[0];
    m /= (double)N;
    for (size_t i = 0; i < N; i++) c0 += (g[i] - g[0] - m) * (g[i] - g[0] - m);
    for (size_t i = 0; i + lag < N; i++) ck += (g[i] - g[0] - m) * (g[i + lag] - g[0] - m);
    if (c0 == 0.0) return 1.0;                   /* constant gradient: nothing shattered */
    return ck / c0;
}

/* Back to the state block_params_alloc leaves BN's scales and shifts in (1 and 0), which
 * net_draw_block expects: it scales gamma2 and beta2 in place by the branch scale. */
static void reset_bn(gsl_vector *gamma, gsl_vector *beta)
{
    if (gamma) gsl_vector_set_all(gamma, 1.0);
    if (beta) gsl_vector_set_zero(beta);
}

/* Redraws every weight of net from rng in net_alloc's order (W_in, then block after block with
 * net_draw_block): the same weights net_alloc draws from the same rng state (test_shatter
 * checks it). Saves allocating and zeroing a net per seed, most of a sweep's time. */
static int shatter_redraw(Net *net, gsl_rng *rng)
{
    if (net->W_in && init_fill(net->cfg.init, ACT_IDENTITY, net->W_in, rng)) return RESLAB_ERR_NOMEM;
    for (size_t l = 0; l < net->cfg.depth; l++) {
        BlockParams *p = net->params[l];
        reset_bn(p->gamma0, p->beta0);
        reset_bn(p->gamma1, p->beta1);
        reset_bn(p->gamma2, p->beta2);
        if (net_draw_block(&net->cfg, p, rng)) return RESLAB_ERR_NOMEM;
    }
    return RESLAB_OK;
}

/* Scratch of a sweep: one net per depth, the grid, a readout, g, per-net ACF means. */
typedef struct {
    gsl_rng *rng;
    gsl_matrix *X;
    gsl_vector *w;
    double *g, *r1, *r4;   /* g[N]; r1, r4 [S]: each net's mean over its readouts */
} SweepWork;

/* mean and population sd of v[0..S-1] */
static void mean_sd(const double *v, size_t S, double *mean, double *sd)
{
    double m = 0.0, d = 0.0;
    for (size_t s = 0; s < S; s++) m += v[s] / (double)S;
    for (size_t s = 0; s < S; s++) d += (v[s] - m) * (v[s] - m) / (double)S;
    *mean = m;
    *sd = sqrt(d);
}

/* Every seed and readout at one depth into *out. */
static int sweep_depth(const NetConfig *cfg, const ShatterOptions *opt, SweepWork *sw,
                       ShatterDepth *out, char *err, size_t errlen)
{
    size_t N = opt->points, R = opt->readouts;
    gsl_rng_set(sw->rng, opt->seed);
    Net *net = net_alloc(cfg, N, sw->rng);        /* seed 0's weights */
    if (!net) return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the sweep net");
    int rc = RESLAB_OK;
    for (size_t s = 0; s < opt->seeds && rc == RESLAB_OK; s++) {
        if (s > 0) {
            gsl_rng_set(sw->rng, opt->seed + s);
            rc = shatter_redraw(net, sw->rng);
        }
        net_forward(net, sw->X);
        sw->r1[s] = sw->r4[s] = 0.0;
        for (size_t k = 0; k < R && rc == RESLAB_OK; k++) {   /* readouts: after the net, in turn */
            if (status_cancelled()) {
                rc = RESLAB_ERR_CANCELLED;
                break;
            }
            shatter_readout(sw->w, sw->rng);
            shatter_net_gradients(net, sw->w, sw->g);
            sw->r1[s] += shatter_autocorr(sw->g, N, 1) / (double)R;
            sw->r4[s] += shatter_autocorr(sw->g, N, SHATTER_LAG) / (double)R;
        }
    }
    if (rc == RESLAB_OK && status_cancelled()) rc = RESLAB_ERR_CANCELLED;   /* g may be partial */
    if (rc == RESLAB_ERR_CANCELLED) {
        status_set(err, errlen, rc, "cancelled");
    } else if (rc) {
        status_set(err, errlen, rc, "out of memory redrawing the sweep net");
    } else {
        out->depth = cfg->depth;
        mean_sd(sw->r1, opt->seeds, &out->acf1, &out->acf1_sd);
        mean_sd(sw->r4, opt->seeds, &out->acf4, &out->acf4_sd);
    }
    net_free(net);
    return rc;
}

int shatter_sweep(const NetConfig *cfg, const ShatterOptions *opt, const size_t *depths,
                  size_t count, ShatterDepth *out, char *err, size_t errlen)
{
    size_t N = opt->points, S = opt->seeds;
    if (S < 1 || opt->readouts < 1 || N < 2)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the sweep needs >= 1 seed, >= 1 readout and >= 2 points");
    SweepWork sw = {gsl_rng_alloc(gsl_rng_mt19937), gsl_matrix_alloc(N, 1),
                    gsl_vector_alloc(cfg->width), malloc(N * sizeof(double)),
                    malloc(S * sizeof(double)), malloc(S * sizeof(double))};
    int rc = sw.rng && sw.X && sw.w && sw.g && sw.r1 && sw.r4
                 ? RESLAB_OK : status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the sweep");
    if (rc == RESLAB_OK) shatter_grid(sw.X, -2.0, 2.0);
    for (size_t d = 0; rc == RESLAB_OK && d < count; d++) {
        NetConfig c = *cfg;
        c.depth = depths[d];
        rc = shatter_check(&c, N, err, errlen);
        if (rc == RESLAB_OK) rc = sweep_depth(&c, opt, &sw, &out[d], err, errlen);
    }
    gsl_rng_free(sw.rng);
    gsl_matrix_free(sw.X);
    gsl_vector_free(sw.w);
    free(sw.g);
    free(sw.r1);
    free(sw.r4);
    return rc;
}
