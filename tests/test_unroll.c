/* test_unroll.c: the unrolled sum x_L = x_0 + sum F(x_{l-1}) (He et al. 2016, Eq. 4) and the
 * two-block expansions. Claims: Eq. 4 holds to 1e-12 at depth 1000 when f = identity, and fails
 * visibly for post-activation ReLU blocks; the split F2(x + F1 x) = F2 x + F2 F1 x holds only for
 * linear F2; dropping the cross term is wrong even for linear blocks; the four-path expansion
 * (I + M2)(I + M1) is exact for linear blocks. */
#include "check.h"
#include "testutil.h"
#include "unroll.h"

#define UNROLL_RTOL 1e-12    /* the bound; rounding of 1000 additions is ~1e-14 */
#define VISIBLE 1e-3         /* "clearly non-zero": far above any rounding */

static Net *forward_net(NetConfig cfg, size_t B, unsigned long seed)
{
    gsl_rng *rng = tu_rng(seed);
    Net *net = net_alloc(&cfg, B, rng);
    gsl_matrix *X = gsl_matrix_alloc(B, net_input_width(net));
    tu_fill(X, rng, 1.0);
    net_forward(net, X);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
    return net;
}

static void test_unrolled_sum_matches_forward_at_depth_1000(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 1000; cfg.width = 32; cfg.order = ORDER_PRE; cfg.bias_std = 0.1;
    cfg.branch_scale = 1.0 / sqrt(1000.0);          /* F / sqrt(L): x_L stays finite */
    cfg.param_grads = 0;
    Net *net = forward_net(cfg, 8, 1);
    UnrollReport r;
    double contrib[1000];
    unroll_check(net, &r, contrib);
    check_true(c, r.exact_form && !r.overflow, "pre-activation identity net has the form of Eq. 3");
    check_below(c, "depth 1000: max|x_L - (x_0 + sum F)| / max|x_L|", r.rel_diff, UNROLL_RTOL);
    check_true(c, contrib[0] > 0 && contrib[999] > 0, "every block contributes (||F_1|| %.3g, ||F_1000|| %.3g)",
               contrib[0], contrib[999]);
    net_free(net);
}

static void test_unrolled_sum_fails_for_post_activation_relu(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 10; cfg.order = ORDER_POST; cfg.bias_std = 0.1;
    Net *net = forward_net(cfg, 4, 2);
    UnrollReport r;
    unroll_check(net, &r, NULL);
    check_true(c, !r.exact_form && r.rel_diff > VISIBLE,
               "post-activation ReLU: Eq. 4 does not hold (rel diff %.3g): it needs f = identity", r.rel_diff);
    net_free(net);
}

static void test_wrong_expansion_for_relu_blocks(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 2; cfg.order = ORDER_PRE; cfg.bias_std = 0.1;
    Net *net = forward_net(cfg, 4, 3);
    UnrollExpansion e;
    unroll_expansion(net, &e);
    check_true(c, !e.linear && e.rel_split > VISIBLE,
               "ReLU F2: F2(x + F1 x) != F2(x) + F2(F1 x), rel %.3g", e.rel_split);
    check_true(c, e.rel_dropped > VISIBLE, "ReLU blocks: x2 != x + F1 x + F2 x, rel %.3g", e.rel_dropped);
    net_free(net);
}

static void test_four_paths_for_linear_blocks(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 2; cfg.order = ORDER_PRE; cfg.act = ACT_IDENTITY; cfg.width = 9; cfg.hidden = 5;
    Net *net = forward_net(cfg, 4, 4);
    UnrollExpansion e;
    unroll_expansion(net, &e);
    check_true(c, e.linear, "identity activation and zero biases: linear blocks");
    check_below(c, "linear F2: split F2(x + F1 x) = F2 x + F2 F1 x, rel", e.rel_split, UNROLL_RTOL);
    check_below(c, "linear blocks: x2 = x + M1 x + M2 x + M2 M1 x, rel", e.rel_fourpath, UNROLL_RTOL);
    check_true(c, e.rel_dropped > VISIBLE,
               "linear blocks: dropping the cross term M2 M1 x is still wrong, rel %.3g", e.rel_dropped);
    net_free(net);
    cfg.bias_std = 0.3;                             /* affine, not linear: even the split fails */
    net = forward_net(cfg, 4, 4);
    unroll_expansion(net, &e);
    check_true(c, !e.linear && e.rel_split > VISIBLE, "affine F2 (biases): the split fails, rel %.3g", e.rel_split);
    net_free(net);
}

int main(void)
{
    Check c = {0};
    test_unrolled_sum_matches_forward_at_depth_1000(&c);
    test_unrolled_sum_fails_for_post_activation_relu(&c);
    test_wrong_expansion_for_relu_blocks(&c);
    test_four_paths_for_linear_blocks(&c);
    return check_done(&c);
}
