/* test_block.c: the residual block y = F(x) + S(x) and its plain twin, forward and backward.
 * Claims: F = 0 gives the shortcut; a hand-computed 2x2 case; the backward ADDS the shortcut
 * gradient to the branch gradient; every variant passes a central-difference gradient check. */
#include <stdio.h>
#include <string.h>

#include "block.h"
#include "check.h"
#include "netcheck.h"
#include "testutil.h"

#define EXACT 0.0            /* identities that involve no rounding at all: bit-exact */
#define ROUNDING 1e-15       /* a handful of double operations on O(1) values */

static void run_gradcheck(Check *c, BlockConfig cfg, size_t B, unsigned long seed);
static void test_jacobian(Check *c, BlockConfig cfg, unsigned long seed);

static void run_gradcheck(Check *c, BlockConfig cfg, size_t B, unsigned long seed)
{
    char err[256], what[160];
    gsl_rng *rng = tu_rng(seed);
    BlockParams *p = block_params_alloc(&cfg);
    gsl_matrix *x = gsl_matrix_alloc(B, cfg.n_in);
    tu_fill_block(p, rng, 0.5);
    tu_fill(x, rng, 1.0);
    NetcheckReport rep;
    GradcheckOptions o = gradcheck_options_default();
    int rc = netcheck_block(&cfg, p, x, &o, &rep, err, sizeof err);
    size_t kinks = 0;
    double worst = 0.0;
    for (size_t i = 0; rc == 0 && i < rep.count; i++) {
        kinks += rep.results[i].kinks;
        if (rep.results[i].worst_rel > worst) worst = rep.results[i].worst_rel;
    }
    snprintf(what, sizeof what, "gradcheck %s/%s/%s%s n_in %zu n_out %zu h %zu B %zu (kinks %zu)",
             block_shortcut_name(cfg.shortcut), block_order_name(cfg.order), act_name(cfg.act),
             cfg.bn ? "/bn" : "", cfg.n_in, cfg.n_out, cfg.h, B, kinks);
    check_true(c, rc == 0 && netcheck_worst(&rep) == GRADCHECK_OK, "%s: worst rel %.2e", what, worst);
    if (rc == 0) netcheck_report_free(&rep);
    block_params_free(p);
    gsl_matrix_free(x);
    gsl_rng_free(rng);
}

static void test_every_variant_passes_gradcheck(Check *c)
{
    const Activation acts[] = {ACT_TANH, ACT_RELU, ACT_IDENTITY};
    const BlockOrder orders[] = {ORDER_POST, ORDER_PRE};
    struct { ShortcutKind s; size_t n_in, n_out; } shapes[] = {
        {SHORTCUT_NONE, 4, 4},      {SHORTCUT_NONE, 3, 5},     {SHORTCUT_IDENTITY, 4, 4},
        {SHORTCUT_ZEROPAD, 3, 5},   {SHORTCUT_PROJECT, 3, 5},  {SHORTCUT_PROJECT, 4, 4},
        {SHORTCUT_PROJECT_ALL, 5, 3}, {SHORTCUT_SCALED, 4, 4},   {SHORTCUT_GATE, 4, 4},
        {SHORTCUT_GATE_SHORTCUT, 4, 4}, {SHORTCUT_DROPOUT, 4, 4},
    };
    unsigned long seed = 1;
    for (int bn = 0; bn < 2; bn++)
        for (size_t a = 0; a < 3; a++)
            for (size_t o = 0; o < 2; o++)
                for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                    BlockConfig cfg = {shapes[s].n_in, shapes[s].n_out, 6, acts[a], shapes[s].s,
                                       orders[o], 0.5, bn, 0.5};
                    /* batch 1 and 4; batch norm needs B > 1 to normalise anything */
                    run_gradcheck(c, cfg, s % 2 && !bn ? 1 : 4, seed++);
                    if (!bn) test_jacobian(c, cfg, seed);
                }
}

/* F = 0 (W2 = 0, b2 = 0): pre order gives out = S(x) exactly; post gives s(S(x)). */
static void test_identity_when_F_is_zero(Check *c)
{
    gsl_rng *rng = tu_rng(7);
    BlockConfig cfg = {5, 5, 7, ACT_RELU, SHORTCUT_IDENTITY, ORDER_PRE, 1.0, 0, 0.0};
    BlockParams *p = block_params_alloc(&cfg);
    BlockCache *cache = block_cache_alloc(&cfg, 3);
    gsl_matrix *x = gsl_matrix_alloc(3, 5), *rx = gsl_matrix_alloc(3, 5);
    tu_fill(x, rng, 1.0);
    tu_fill(p->W1, rng, 1.0);
    tu_fill_vec(p->b1, rng, 1.0);                    /* W1, b1 arbitrary; W2 = b2 = 0 */
    block_forward(&cfg, p, x, cache);
    check_close(c, "pre order, F = 0: y = x exactly", tu_maxdiff(cache->out, x), 0.0, EXACT, 0);
    cfg.order = ORDER_POST;
    BlockCache *c2 = block_cache_alloc(&cfg, 3);
    block_forward(&cfg, p, x, c2);
    act_forward(ACT_RELU, x, rx);
    check_close(c, "post order, F = 0: out = relu(x) exactly", tu_maxdiff(c2->out, rx), 0.0, EXACT, 0);
    block_params_free(p);
    block_cache_free(cache);
    block_cache_free(c2);
    gsl_matrix_free(x);
    gsl_matrix_free(rx);
    gsl_rng_free(rng);
}

/* A 1x2 hand-computed case. W1 = [[1, -1], [2, 0]], b1 = [0, -1], W2 = [[1, 1], [0, -1]],
 * b2 = [0.5, 0], x = [1, 2]:  z1 = [1-2, 2-1] = [-1, 1], a1 = relu = [0, 1],
 * F = [0+1+0.5, 0-1+0] = [1.5, -1], y = F + x = [2.5, 1], post: out = relu(y) = [2.5, 1];
 * plain post: out = relu(F) = [1.5, 0]. */
static void test_hand_computed_block(Check *c)
{
    BlockConfig cfg = {2, 2, 2, ACT_RELU, SHORTCUT_IDENTITY, ORDER_POST, 1.0, 0, 0.0};
    BlockParams *p = block_params_alloc(&cfg);
    BlockCache *k = block_cache_alloc(&cfg, 1);
    double w1[] = {1, -1, 2, 0}, w2[] = {1, 1, 0, -1}, xs[] = {1, 2};
    memcpy(p->W1->data, w1, sizeof w1);
    memcpy(p->W2->data, w2, sizeof w2);
    gsl_vector_set(p->b1, 1, -1.0);
    gsl_vector_set(p->b2, 0, 0.5);
    gsl_matrix_view x = gsl_matrix_view_array(xs, 1, 2);
    block_forward(&cfg, p, &x.matrix, k);
    check_close(c, "hand case F_0", gsl_matrix_get(k->f, 0, 0), 1.5, EXACT, 0);
    check_close(c, "hand case F_1", gsl_matrix_get(k->f, 0, 1), -1.0, EXACT, 0);
    check_close(c, "hand case out_0 = relu(2.5)", gsl_matrix_get(k->out, 0, 0), 2.5, EXACT, 0);
    check_close(c, "hand case out_1 = relu(1)", gsl_matrix_get(k->out, 0, 1), 1.0, EXACT, 0);
    cfg.shortcut = SHORTCUT_NONE;
    block_forward(&cfg, p, &x.matrix, k);
    check_close(c, "hand case plain out_0 = relu(1.5)", gsl_matrix_get(k->out, 0, 0), 1.5, EXACT, 0);
    check_close(c, "hand case plain out_1 = relu(-1)", gsl_matrix_get(k->out, 0, 1), 0.0, EXACT, 0);
    block_params_free(p);
    block_cache_free(k);
}

/* dL/dx(residual) - dL/dx(plain) = dL/dy for the identity shortcut in pre order: the shortcut
 * gradient is added on top of the branch gradient, not in place of it. */
static void test_backward_adds_shortcut_gradient(Check *c)
{
    gsl_rng *rng = tu_rng(11);
    size_t B = 4, n = 6;
    BlockConfig res = {n, n, 5, ACT_TANH, SHORTCUT_IDENTITY, ORDER_PRE, 1.0, 0, 0.0}, plain = res;
    plain.shortcut = SHORTCUT_NONE;
    BlockParams *p = block_params_alloc(&res), *g = block_grads_alloc(&res);
    BlockCache *k = block_cache_alloc(&res, B);
    BlockWork *w = block_work_alloc(&res, B);
    gsl_matrix *x = gsl_matrix_alloc(B, n), *dout = gsl_matrix_alloc(B, n);
    gsl_matrix *dx_res = gsl_matrix_calloc(B, n), *dx_plain = gsl_matrix_calloc(B, n);
    tu_fill_block(p, rng, 0.7);
    tu_fill(x, rng, 1.0);
    tu_fill(dout, rng, 1.0);
    block_forward(&res, p, x, k);
    block_backward(&res, dx_res, g, dout, x, p, k, w);
    block_forward(&plain, p, x, k);
    block_backward(&plain, dx_plain, g, dout, x, p, k, w);
    gsl_matrix_sub(dx_res, dx_plain);                /* = the shortcut's share */
    check_close(c, "dx(residual) - dx(plain) = dL/dy", tu_maxdiff(dx_res, dout), 0.0, ROUNDING, 0);
    block_params_free(p);
    block_params_free(g);
    block_cache_free(k);
    block_work_free(w);
    gsl_matrix_free(x);
    gsl_matrix_free(dout);
    gsl_matrix_free(dx_res);
    gsl_matrix_free(dx_plain);
    gsl_rng_free(rng);
}

/* dense.c takes a matrix-vector path for one example (dgemv, dger) and a matrix-matrix path
 * for a batch (dgemm): a batch of 3 must give the rows of three batch-1 runs, and the batch's
 * parameter gradients their sum. */
#define PATHS_RTOL 1e-12     /* the same products summed in another order: rounding only */
static void test_batch_equals_single_examples(Check *c)
{
    gsl_rng *rng = tu_rng(21);
    BlockConfig cfg = {3, 5, 4, ACT_TANH, SHORTCUT_PROJECT, ORDER_PRE, 1.0, 0, 0.0};
    size_t B = 3;
    BlockParams *p = block_params_alloc(&cfg), *gb = block_grads_alloc(&cfg), *g1 = block_grads_alloc(&cfg);
    BlockCache *cb = block_cache_alloc(&cfg, B), *c1 = block_cache_alloc(&cfg, 1);
    BlockWork *wb = block_work_alloc(&cfg, B), *w1 = block_work_alloc(&cfg, 1);
    gsl_matrix *x = gsl_matrix_alloc(B, 3), *dout = gsl_matrix_alloc(B, 5);
    gsl_matrix *dxb = gsl_matrix_calloc(B, 3), *dx1 = gsl_matrix_calloc(B, 3);
    tu_fill_block(p, rng, 0.7);
    tu_fill(x, rng, 1.0);
    tu_fill(dout, rng, 1.0);
    block_forward(&cfg, p, x, cb);
    block_backward(&cfg, dxb, gb, dout, x, p, cb, wb);
    double out_diff = 0.0;
    for (size_t i = 0; i < B; i++) {
        gsl_matrix_const_view xi = gsl_matrix_const_submatrix(x, i, 0, 1, 3);
        gsl_matrix_const_view di = gsl_matrix_const_submatrix(dout, i, 0, 1, 5);
        gsl_matrix_view dxi = gsl_matrix_submatrix(dx1, i, 0, 1, 3);
        gsl_matrix_const_view oi = gsl_matrix_const_submatrix(cb->out, i, 0, 1, 5);
        block_forward(&cfg, p, &xi.matrix, c1);
        out_diff = fmax(out_diff, tu_maxdiff(c1->out, &oi.matrix));
        block_backward(&cfg, &dxi.matrix, g1, &di.matrix, &xi.matrix, p, c1, w1);
    }
    check_below(c, "batch of 3 vs three single examples: outputs", out_diff / tu_maxabs(cb->out), PATHS_RTOL);
    check_below(c, "batch of 3 vs three single examples: dL/dx", tu_maxdiff(dxb, dx1) / tu_maxabs(dxb), PATHS_RTOL);
    check_below(c, "batch of 3 vs the sum of three single examples: dW1", tu_maxdiff(gb->W1, g1->W1) / tu_maxabs(gb->W1), PATHS_RTOL);
    check_below(c, "batch of 3 vs the sum of three single examples: dWs", tu_maxdiff(gb->Ws, g1->Ws) / tu_maxabs(gb->Ws), PATHS_RTOL);
    block_params_free(p); block_params_free(gb); block_params_free(g1);
    block_cache_free(cb); block_cache_free(c1); block_work_free(wb); block_work_free(w1);
    gsl_matrix_free(x); gsl_matrix_free(dout); gsl_matrix_free(dxb); gsl_matrix_free(dx1);
    gsl_rng_free(rng);
}

static void test_config_errors_are_reported(Check *c)
{
    char err[256] = "";
    BlockConfig bad = {3, 5, 4, ACT_RELU, SHORTCUT_IDENTITY, ORDER_POST, 1.0, 0, 0.0};
    check_true(c, block_config_check(&bad, err, sizeof err) != 0 && strstr(err, "equal widths"),
               "identity shortcut with 3 -> 5 refused: %s", err);
    bad.shortcut = SHORTCUT_ZEROPAD; bad.n_in = 5; bad.n_out = 3;
    check_true(c, block_config_check(&bad, err, sizeof err) != 0, "zero padding 5 -> 3 refused: %s", err);
    bad.n_in = 0;
    check_true(c, block_config_check(&bad, err, sizeof err) != 0, "width 0 refused: %s", err);
    ShortcutKind k;
    check_true(c, block_shortcut_parse("B", &k) == 0 && k == SHORTCUT_PROJECT, "option B parses as project");
    check_true(c, block_shortcut_parse("bogus", &k) != 0, "an unknown shortcut name is refused");
}

/* block_jacobian against central differences of the block's output, example 1 of a batch of 3:
 * J_ij = (out_1i(x + h e_j) - out_1i(x - h e_j)) / 2h. */
#define JACOBIAN_H 1e-6
#define JACOBIAN_TOL 1e-7     /* absolute, on entries of order 1: O(h^2) + O(eps / h) ~ 1e-10 */
static void test_jacobian(Check *c, BlockConfig cfg, unsigned long seed)
{
    gsl_rng *rng = tu_rng(seed + 1000);
    size_t B = 3, b = 1;
    BlockParams *p = block_params_alloc(&cfg);
    BlockCache *k = block_cache_alloc(&cfg, B);
    gsl_matrix *x = gsl_matrix_alloc(B, cfg.n_in), *J = gsl_matrix_alloc(cfg.n_out, cfg.n_in);
    tu_fill_block(p, rng, 0.5);
    tu_fill(x, rng, 1.0);
    block_dropout_draw(&cfg, k, rng);
    block_forward(&cfg, p, x, k);
    int rc = block_jacobian(&cfg, p, x, k, b, J);
    double worst = 0.0;
    for (size_t j = 0; j < cfg.n_in; j++) {
        double saved = gsl_matrix_get(x, b, j), plus[16], minus[16];
        gsl_matrix_set(x, b, j, saved + JACOBIAN_H);
        block_forward(&cfg, p, x, k);
        for (size_t i = 0; i < cfg.n_out; i++) plus[i] = gsl_matrix_get(k->out, b, i);
        gsl_matrix_set(x, b, j, saved - JACOBIAN_H);
        block_forward(&cfg, p, x, k);
        for (size_t i = 0; i < cfg.n_out; i++) minus[i] = gsl_matrix_get(k->out, b, i);
        gsl_matrix_set(x, b, j, saved);
        for (size_t i = 0; i < cfg.n_out; i++)
            worst = fmax(worst, fabs(gsl_matrix_get(J, i, j) - (plus[i] - minus[i]) / (2 * JACOBIAN_H)));
    }
    check_true(c, rc == 0 && worst < JACOBIAN_TOL, "jacobian %s/%s/%s vs central differences: max diff %.2e",
               block_shortcut_name(cfg.shortcut), block_order_name(cfg.order), act_name(cfg.act), worst);
    block_params_free(p);
    block_cache_free(k);
    gsl_matrix_free(x);
    gsl_matrix_free(J);
    gsl_rng_free(rng);
}

int main(void)
{
    Check c = {0};
    test_identity_when_F_is_zero(&c);
    test_hand_computed_block(&c);
    test_backward_adds_shortcut_gradient(&c);
    test_config_errors_are_reported(&c);
    test_batch_equals_single_examples(&c);
    test_every_variant_passes_gradcheck(&c);
    return check_done(&c);
}
