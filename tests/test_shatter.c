/* test_shatter.c: shattered gradients (Balduzzi et al. 2017; papers.md section 4, prediction 10).
 * Claims: the autocorrelation estimator is exact on hand-made sequences; g_i is the diagonal
 * dy_i/dx_i of the Jacobian (central differences that move x_i alone), with batch norm too,
 * where one backward pass would not give it; with zero biases a ReLU
 * net's dy/dx takes exactly 2 values (x < 0, x > 0) at any depth; a linear net's is constant
 * (r = 1); a sweep's nets are the nets net_alloc draws from the same seeds; with biases
 * (sigma_b^2 = 0.1, He, width 200, 256 points on [-2, 2]) the plain net's lag-4 ACF falls by
 * more than 0.2 from depth 1 to depth 50, while a residual net with branch scale 0.1 stays
 * within 0.1 of its depth-1 value.
 *
 * Depth counts blocks: a plain reslab block is two ReLU layers, so plain depth 50 has 100
 * layers (papers.md's plain L = 50 has 50; ours shatters more, which only widens the margin). */
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>

#include "check.h"
#include "shatter.h"
#include "status.h"
#include "testutil.h"

#define EXACT 0.0          /* sums of small dyadic numbers: no rounding */
#define FD_STEP 3e-4       /* central differences at h and h/2, Richardson-extrapolated */
#define FD_RTOL 1e-6       /* measured <= 3e-8 (O(h^4) and rounding); plain BN nets are curved
                            * enough at init that plain central differences reach only ~4e-7
                            * at their best h. A wrong diagonal (the column sums) is off by > 1e-3 */

static void test_autocorr_of_hand_made_sequences(Check *c)
{
    /* 1 2 3 4: m = 2.5, deviations -1.5 -0.5 0.5 1.5, c0 = 5, c1 = 1.25, c2 = -1.5 */
    const double ramp[] = {1, 2, 3, 4}, alt[] = {1, -1, 1, -1}, flat[] = {3, 3, 3};
    check_close(c, "r(0) of 1 2 3 4", shatter_autocorr(ramp, 4, 0), 1.0, EXACT, 0);
    check_close(c, "r(1) of 1 2 3 4 = 1.25/5", shatter_autocorr(ramp, 4, 1), 0.25, EXACT, 0);
    check_close(c, "r(2) of 1 2 3 4 = -1.5/5", shatter_autocorr(ramp, 4, 2), -0.3, EXACT, 0);
    check_close(c, "r(1) of 1 -1 1 -1 = -3/4", shatter_autocorr(alt, 4, 1), -0.75, EXACT, 0);
    check_true(c, shatter_autocorr(flat, 3, 1) == 1.0 && isnan(shatter_autocorr(ramp, 4, 4)),
               "a constant sequence has r = 1 (nothing shattered); lag >= N is NaN");
    /* white noise: r(4) over 256 points has sd 1/sqrt(256) = 0.0625; 4 sd */
    gsl_rng *rng = tu_rng(11);
    double noise[256];
    for (int i = 0; i < 256; i++) noise[i] = gsl_ran_gaussian(rng, 1.0);
    check_below(c, "|r(4)| of 256 Gaussian draws (white noise; sd 0.0625)",
                fabs(shatter_autocorr(noise, 256, 4)), 0.25);
    gsl_rng_free(rng);
}

static void test_grid_spans_the_interval_and_skips_zero(Check *c)
{
    gsl_matrix *X = gsl_matrix_alloc(SHATTER_POINTS, 1);
    shatter_grid(X, -2.0, 2.0);
    int zero = 0;
    for (size_t i = 0; i < SHATTER_POINTS; i++) zero |= gsl_matrix_get(X, i, 0) == 0.0;
    check_true(c, gsl_matrix_get(X, 0, 0) == -2.0 && gsl_matrix_get(X, SHATTER_POINTS - 1, 0) == 2.0 &&
                  !zero && gsl_matrix_get(X, 127, 0) < 0.0 && gsl_matrix_get(X, 128, 0) > 0.0,
               "256 points from -2 to 2, ends included, none at 0 (127 below, 128 above)");
    gsl_matrix_free(X);
}

/* y_i at the current X for a readout w. */
static double output_row(const Net *net, const gsl_vector *w, size_t i)
{
    gsl_vector_const_view r = gsl_matrix_const_row(net_x(net, net->cfg.depth), i);
    double y;
    gsl_blas_ddot(&r.vector, w, &y);
    return y;
}

/* (y_i(x + h e_i) - y_i(x - h e_i)) / 2h, Richardson-extrapolated from h and h/2 (the h^2 term
 * cancels). Only x_i moves. */
static double central_difference(Net *net, gsl_matrix *X, const gsl_vector *w, size_t i)
{
    double x = gsl_matrix_get(X, i, 0), d[2];
    for (int k = 0; k < 2; k++) {
        double h = k ? FD_STEP / 2.0 : FD_STEP, yp, ym;
        gsl_matrix_set(X, i, 0, x + h);
        net_forward(net, X);
        yp = output_row(net, w, i);
        gsl_matrix_set(X, i, 0, x - h);
        net_forward(net, X);
        ym = output_row(net, w, i);
        d[k] = (yp - ym) / (2.0 * h);
    }
    gsl_matrix_set(X, i, 0, x);
    return (4.0 * d[1] - d[0]) / 3.0;
}

/* g_i against the central difference in x_i alone: the diagonal entry of the Jacobian whether
 * or not the examples are coupled. tanh: smooth, no kinks. With
 * batch norm, the one pass from sum_i y_i gives instead sum_j dy_j/dx_i, which must differ:
 * the test shows that the per-example passes are needed. */
static void test_gradient_is_the_jacobian_diagonal(Check *c)
{
    enum { N = 16 };
    for (int k = 0; k < 4; k++) {
        int residual = k & 1, bn = k >> 1;
        NetConfig cfg = shatter_config_default();
        cfg.depth = 6; cfg.width = 12; cfg.act = ACT_TANH; cfg.init = INIT_GLOROT; cfg.bn = bn;
        cfg.shortcut = residual ? SHORTCUT_IDENTITY : SHORTCUT_NONE;
        cfg.order = residual ? ORDER_PRE : ORDER_POST;
        gsl_rng *rng = tu_rng(20 + k);
        Net *net = net_alloc(&cfg, N, rng);
        gsl_vector *w = gsl_vector_alloc(cfg.width);
        gsl_matrix *X = gsl_matrix_alloc(N, 1);
        shatter_readout(w, rng);
        shatter_grid(X, -2.0, 2.0);
        double g[N], worst = 0.0, gmax = 0.0, naive = 0.0;
        net_forward(net, X);
        shatter_net_gradients(net, w, g);
        for (size_t i = 0; i < N; i++) {
            double fd = central_difference(net, X, w, i);
            worst = fmax(worst, fabs(g[i] - fd) / fmax(fabs(fd), 1e-3));
            gmax = fmax(gmax, fabs(g[i]));
        }
        check_below(c, k == 0 ? "plain tanh net: g_i vs central difference in x_i, worst rel"
                   : k == 1 ? "residual tanh net: g_i vs central difference in x_i, worst rel"
                   : k == 2 ? "plain tanh net, batch norm: g_i vs central difference in x_i, worst rel"
                            : "residual tanh net, batch norm: g_i vs central difference in x_i, worst rel",
                    worst, FD_RTOL);
        if (bn) {                                /* one pass from sum_i y_i: column sums */
            net_forward(net, X);
            for (size_t i = 0; i < N; i++) {
                gsl_vector_view r = gsl_matrix_row(net->dx[cfg.depth], i);
                gsl_vector_memcpy(&r.vector, w);
            }
            net_backward(net, net->dx[cfg.depth]);
            for (size_t i = 0; i < N; i++) {
                double s = 0.0;
                for (size_t j = 0; j < cfg.width; j++)
                    s += gsl_matrix_get(net->dx[0], i, j) * gsl_matrix_get(net->W_in, j, 0);
                naive = fmax(naive, fabs(s - g[i]) / gmax);
            }
            check_true(c, naive > 1e-3, "batch norm: one pass from sum_i y_i is not the diagonal "
                       "(differs by %.3g of max |g|), so one pass per example is needed", naive);
        }
        gsl_vector_free(w);
        gsl_matrix_free(X);
        net_free(net);
        gsl_rng_free(rng);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Zero biases: every pre-activation is x times its value at |x| = 1, so each ReLU mask is fixed
 * on x < 0 and on x > 0, and the backward pass does the same arithmetic for every row of a
 * half: two values, bit for bit. papers.md prediction 10 and pitfall "zero biases". */
static void test_zero_biases_give_two_values(Check *c)
{
    const ShortcutKind sc[] = {SHORTCUT_NONE, SHORTCUT_IDENTITY, SHORTCUT_IDENTITY};
    const BlockOrder order[] = {ORDER_POST, ORDER_PRE, ORDER_POST};
    for (int k = 0; k < 3; k++) {
        NetConfig cfg = shatter_config_default();
        cfg.depth = 20; cfg.width = 64; cfg.bias_std = 0.0; cfg.shortcut = sc[k]; cfg.order = order[k];
        if (sc[k] != SHORTCUT_NONE) cfg.branch_scale = 0.5;
        gsl_rng *rng = tu_rng(30 + k);
        double g[SHATTER_POINTS], s[SHATTER_POINTS];
        char err[256];
        int rc = shatter_gradients(&cfg, SHATTER_POINTS, rng, g, err, sizeof err);
        memcpy(s, g, sizeof g);
        qsort(s, SHATTER_POINTS, sizeof s[0], cmp_double);
        size_t distinct = 1;
        for (size_t i = 1; i < SHATTER_POINTS; i++) distinct += s[i] != s[i - 1];
        int halves = 1;
        for (size_t i = 0; i < SHATTER_POINTS; i++) halves &= g[i] == g[i < 128 ? 0 : 128];
        check_true(c, rc == RESLAB_OK && distinct == 2 && halves,
                   "zero biases, %s %s, depth 20: %zu distinct values of dy/dx (x < 0: %.6g, x > 0: %.6g)",
                   block_shortcut_name(cfg.shortcut), block_order_name(cfg.order), distinct, g[0], g[128]);
        gsl_rng_free(rng);
    }
    NetConfig lin = shatter_config_default();
    lin.depth = 10; lin.width = 32; lin.act = ACT_IDENTITY;
    gsl_rng *rng = tu_rng(33);
    double g[SHATTER_POINTS];
    char err[256];
    int rc = shatter_gradients(&lin, SHATTER_POINTS, rng, g, err, sizeof err);
    check_true(c, rc == RESLAB_OK && shatter_autocorr(g, SHATTER_POINTS, SHATTER_LAG) == 1.0,
               "linear net with biases: dy/dx constant, r(4) = 1 exactly (what LL-init achieves)");
    gsl_rng_free(rng);
}

/* The sweep redraws one net in place; its nets must be the ones net_alloc draws from the same
 * seeds, so the mean of shatter_gradients' ACFs over seeds equals the sweep's, bit for bit.
 * Also with batch norm in post order and a branch scale, where the scale lands on BN2's gamma
 * and beta (the redraw must reset them first). */
static void test_sweep_nets_are_net_alloc_nets(Check *c)
{
    for (int bn = 0; bn < 2; bn++) {
        NetConfig cfg = shatter_config_default();
        cfg.width = 16; cfg.shortcut = SHORTCUT_IDENTITY; cfg.branch_scale = 0.5; cfg.bn = bn;
        cfg.order = bn ? ORDER_POST : ORDER_PRE;
        ShatterOptions opt = shatter_options_default();
        opt.points = 32; opt.seeds = 3; opt.seed = 40;
        size_t depths[] = {4};
        ShatterDepth out;
        char err[256];
        int rc = shatter_sweep(&cfg, &opt, depths, 1, &out, err, sizeof err);
        double g[32], mean = 0.0;
        cfg.depth = 4;
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        for (size_t s = 0; s < opt.seeds; s++) {
            gsl_rng_set(rng, opt.seed + s);
            rc |= shatter_gradients(&cfg, 32, rng, g, err, sizeof err);
            mean += shatter_autocorr(g, 32, SHATTER_LAG) / (double)opt.seeds;
        }
        check_true(c, rc == RESLAB_OK && out.acf4 == mean,
                   "%s: sweep (one net redrawn per seed) = net_alloc per seed, mean r(4) %.17g vs %.17g",
                   bn ? "post order, batch norm, branch scale 0.5" : "pre order, branch scale 0.5",
                   out.acf4, mean);
        gsl_rng_free(rng);
    }
    NetConfig bad = shatter_config_default();
    double g[32];
    char err[256];
    bad.input_width = 2;
    gsl_rng *rng = tu_rng(41);
    check_true(c, shatter_gradients(&bad, 32, rng, g, err, sizeof err) == RESLAB_ERR_INVALID,
               "input width 2 refused: %s", err);
    bad = shatter_config_default();
    bad.shortcut = SHORTCUT_DROPOUT;
    check_true(c, shatter_gradients(&bad, 32, rng, g, err, sizeof err) == RESLAB_ERR_INVALID,
               "dropout shortcut refused: %s", err);
    ShatterOptions opt = shatter_options_default();
    ShatterDepth out;
    size_t depths[] = {1};
    NetConfig cfg = shatter_config_default();
    opt.readouts = 0;
    check_true(c, shatter_sweep(&cfg, &opt, depths, 1, &out, err, sizeof err) == RESLAB_ERR_INVALID,
               "zero readouts refused: %s", err);
    gsl_rng_free(rng);
}

/* papers.md prediction 10, plain net: He, sigma_b^2 = 0.1, width 200, 256 points on [-2, 2],
 * 8 seeds, one readout each. Expected fall (32 seeds, seeds 100..131): 0.887 -> 0.271, 0.62,
 * sd 0.26 per seed, so 8 seeds have se 0.09 and the bound 0.2 sits 4.5 se below. */
static void test_plain_net_shatters(Check *c)
{
    NetConfig cfg = shatter_config_default();
    ShatterOptions opt = shatter_options_default();
    size_t depths[] = {1, 50};
    ShatterDepth out[2];
    char err[256];
    int rc = shatter_sweep(&cfg, &opt, depths, 2, out, err, sizeof err);
    printf("       plain, %zu seeds x %zu readout: depth 1 r(4) %.3f (sd %.3f), r(1) %.3f; "
           "depth 50 r(4) %.3f (sd %.3f), r(1) %.3f\n", opt.seeds, opt.readouts, out[0].acf4,
           out[0].acf4_sd, out[0].acf1, out[1].acf4, out[1].acf4_sd, out[1].acf1);
    check_true(c, rc == RESLAB_OK && out[0].acf4 - out[1].acf4 > 0.2,
               "plain net: lag-4 ACF falls by %.3f > 0.2 from depth 1 to depth 50", out[0].acf4 - out[1].acf4);
}

/* papers.md prediction 10, residual net y = x + 0.1 F(relu x) (pre order: its depth-1 ACF does
 * not depend on the branch scale, since mean removal drops the shortcut's constant gradient).
 * One (net, readout) pair's r(4) has sd about 0.13, nearly all from the readout: a net averaged
 * over R readouts has sd about sqrt(0.0115/R) (measured, R = 8: 0.038), and another readout
 * costs one backward pass while another net costs 4 million weight draws. So: 8 seeds x 4
 * readouts; se of the depth-1 minus depth-50 difference about sqrt(2 x 0.0029/8) = 0.027. The
 * expected difference (32 seeds x 8 readouts, seeds 500..531) is 0.018 +- 0.010: the bound 0.1
 * is 3 se away from it. */
static void test_scaled_residual_keeps_its_autocorrelation(Check *c)
{
    NetConfig cfg = shatter_config_default();
    cfg.shortcut = SHORTCUT_IDENTITY; cfg.order = ORDER_PRE; cfg.branch_scale = 0.1;
    ShatterOptions opt = shatter_options_default();
    opt.readouts = 4;
    size_t depths[] = {1, 50};
    ShatterDepth out[2];
    char err[256];
    int rc = shatter_sweep(&cfg, &opt, depths, 2, out, err, sizeof err);
    printf("       residual beta 0.1, %zu seeds x %zu readouts: depth 1 r(4) %.3f (sd %.3f), r(1) %.3f; "
           "depth 50 r(4) %.3f (sd %.3f), r(1) %.3f\n", opt.seeds, opt.readouts, out[0].acf4,
           out[0].acf4_sd, out[0].acf1, out[1].acf4, out[1].acf4_sd, out[1].acf1);
    check_true(c, rc == RESLAB_OK && fabs(out[1].acf4 - out[0].acf4) < 0.1,
               "residual, beta 0.1: lag-4 ACF at depth 50 within 0.1 of depth 1 (%.3f vs %.3f)",
               out[1].acf4, out[0].acf4);
}

int main(void)
{
    Check c = {0};
    test_autocorr_of_hand_made_sequences(&c);
    test_grid_spans_the_interval_and_skips_zero(&c);
    test_gradient_is_the_jacobian_diagonal(&c);
    test_zero_biases_give_two_values(&c);
    test_sweep_nets_are_net_alloc_nets(&c);
    test_plain_net_shatters(&c);
    test_scaled_residual_keeps_its_autocorrelation(&c);
    return check_done(&c);
}
