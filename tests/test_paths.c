/* test_paths.c: the unraveled view (Veit, Wilber, Belongie 2016). Claims: for linear blocks the
 * 2^L path terms, summed one by one or grouped by length, give x_L (papers.md prediction 4);
 * path lengths are binomial with the ResNet-110 numbers of prediction 5; the 2^L path gradients
 * sum to the full gradient, and those of length k to the length-k term of
 * (x_L / B)^T prod (I + M_l); sampled paths are reproducible; deleting a block removes its
 * factor (I + M_k), and nothing at all when F = 0. Also prints (does not test) Veit's gradient
 * per path length and the lesion numbers of a depth-20 ReLU net at He init, plain vs residual. */
#include <string.h>
#include <time.h>
#include <gsl/gsl_blas.h>

#include "check.h"
#include "paths.h"
#include "status.h"
#include "testutil.h"

#define EXACT_RTOL 1e-12     /* papers.md prediction 4; rounding of these sums is ~1e-14 */
#define ENUM_SECONDS 2.0     /* L = 16, width 16: ~0.05 s here; generous for a loaded machine */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double frob(const gsl_matrix *m)
{
    double s = 0.0;
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) s += gsl_matrix_get(m, i, j) * gsl_matrix_get(m, i, j);
    return sqrt(s);
}

/* ||a - b||_F / ||b||_F */
static double rel_diff(const gsl_matrix *a, const gsl_matrix *b)
{
    double s = 0.0;
    for (size_t i = 0; i < a->size1; i++)
        for (size_t j = 0; j < a->size2; j++) {
            double d = gsl_matrix_get(a, i, j) - gsl_matrix_get(b, i, j);
            s += d * d;
        }
    return sqrt(s) / frob(b);
}

static gsl_matrix **mats(size_t count, size_t rows, size_t cols)
{
    gsl_matrix **m = malloc(count * sizeof *m);
    for (size_t k = 0; k < count; k++) m[k] = gsl_matrix_calloc(rows, cols);
    return m;
}

static void mats_free(gsl_matrix **m, size_t count)
{
    for (size_t k = 0; k < count; k++) gsl_matrix_free(m[k]);
    free(m);
}

static NetConfig linear_config(size_t L, size_t n)
{
    NetConfig cfg = net_config_default();
    cfg.depth = L; cfg.width = n; cfg.hidden = n - 3; cfg.act = ACT_IDENTITY; cfg.order = ORDER_PRE;
    return cfg;
}

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

/* The dense product P = prod_{l=L..1, l != skip} (I + M_l), M_l = W2 W1 (n, n): an independent
 * implementation (matrices, not the blocks' forward pass). skip = 0 keeps every factor. */
static gsl_matrix *dense_product(const Net *net, size_t skip)
{
    size_t n = net->cfg.width;
    gsl_matrix *P = gsl_matrix_alloc(n, n), *A = gsl_matrix_alloc(n, n), *T = gsl_matrix_alloc(n, n);
    gsl_matrix_set_identity(P);
    for (size_t l = 1; l <= net->cfg.depth; l++) {
        if (l == skip) continue;
        const BlockParams *p = net->params[l - 1];
        gsl_matrix_set_identity(A);               /* A = I + W2 W1: [n x n] = [n x h][h x n] */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, p->W2, p->W1, 1.0, A);
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, A, P, 0.0, T);   /* P = A P */
        gsl_matrix_memcpy(P, T);
    }
    gsl_matrix_free(A);
    gsl_matrix_free(T);
    return P;
}

static void test_expansion_refuses_nonlinear_blocks(Check *c)
{
    char err[256] = "";
    NetConfig cfg = net_config_default();             /* ReLU, post order */
    cfg.depth = 3;
    Net *net = forward_net(cfg, 2, 1);
    gsl_matrix **v = mats(4, 2, cfg.width);
    int rc = paths_by_length(net, net_x(net, 0), v, NULL, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID, "ReLU blocks refused: %s", err);
    net_free(net);
    cfg = linear_config(3, 16);
    cfg.bias_std = 0.1;
    net = forward_net(cfg, 2, 1);
    rc = paths_enumerate(net, net_x(net, 0), v, NULL, NULL, NULL, NULL, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID, "affine blocks refused: %s", err);
    net_free(net);
    cfg = linear_config(3, 16);
    cfg.shortcut = SHORTCUT_NONE;
    net = forward_net(cfg, 2, 1);
    rc = paths_linear_check(net, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID, "plain linear net refused: %s", err);
    net_free(net);
    cfg = linear_config(3, 16);
    cfg.order = ORDER_POST;                           /* f = identity act: still exact */
    net = forward_net(cfg, 2, 1);
    check_true(c, paths_linear_check(net, err, sizeof err) == RESLAB_OK,
               "post order with the identity activation is linear");
    net_free(net);
    mats_free(v, 4);
}

static void test_paths_by_length_sum_to_forward(Check *c)
{
    size_t depths[] = {1, 2, 10, 50}, B = 8, n = 16;
    for (size_t i = 0; i < sizeof depths / sizeof *depths; i++) {
        size_t L = depths[i];
        Net *net = forward_net(linear_config(L, n), B, 10 + L);
        gsl_matrix **v = mats(L + 1, B, n), *sum = gsl_matrix_calloc(B, n);
        char err[256];
        int bad = -1, rc = paths_by_length(net, net_x(net, 0), v, &bad, err, sizeof err);
        for (size_t k = 0; k <= L; k++) gsl_matrix_add(sum, v[k]);
        char what[128];
        snprintf(what, sizeof what, "L = %zu: ||sum_k v_k - x_L|| / ||x_L|| (rc %d, nonfinite %d)",
                 L, rc, bad);
        check_below(c, what, rc == RESLAB_OK && !bad ? rel_diff(sum, net_x(net, L)) : NAN, EXACT_RTOL);
        mats_free(v, L + 1);
        gsl_matrix_free(sum);
        net_free(net);
    }
}

typedef struct {
    size_t terms, by_k[PATHS_ENUM_MAX + 1];
} Tally;

static void tally(unsigned long mask, size_t k, const gsl_matrix *term, void *ctx)
{
    Tally *t = ctx;
    t->terms++;
    t->by_k[k] += (size_t)__builtin_popcountl(mask) == k;
}

/* Prediction 4: every subset as its own product term, summed, and grouped by length. */
static void test_every_path_sums_to_x_L(Check *c, size_t L, size_t B)
{
    size_t n = 16;
    Net *net = forward_net(linear_config(L, n), B, 20 + L);
    gsl_matrix **e = mats(L + 1, B, n), **v = mats(L + 1, B, n), *sum = gsl_matrix_alloc(B, n);
    Tally t = {0};
    char err[256];
    double t0 = now();
    int rc = paths_enumerate(net, net_x(net, 0), e, sum, tally, &t, NULL, err, sizeof err);
    double secs = now() - t0;
    paths_by_length(net, net_x(net, 0), v, NULL, err, sizeof err);
    int counts_ok = t.terms == (1ul << L);
    double worst = 0.0;
    for (size_t k = 0; k <= L; k++) {
        counts_ok &= (double)t.by_k[k] == paths_length_counts(L, k);
        worst = fmax(worst, rel_diff(e[k], v[k]));
    }
    check_true(c, rc == RESLAB_OK && counts_ok, "L = %zu: %zu path terms, C(L, k) of length k", L, t.terms);
    char what[128];
    snprintf(what, sizeof what, "L = %zu: ||sum of the 2^L terms - x_L|| / ||x_L||", L);
    check_below(c, what, rel_diff(sum, net_x(net, L)), EXACT_RTOL);
    snprintf(what, sizeof what, "L = %zu: enumeration grouped by length = recursion, worst rel", L);
    check_below(c, what, worst, EXACT_RTOL);
    snprintf(what, sizeof what, "L = %zu, n = %zu, B = %zu: enumeration seconds", L, n, B);
    check_below(c, what, secs, ENUM_SECONDS);
    mats_free(e, L + 1);
    mats_free(v, L + 1);
    gsl_matrix_free(sum);
    net_free(net);
}

/* Prediction 4 on the matrices themselves: x0 = I gives rows x^T P^T, so sum = P^T. */
static void test_product_equals_sum_over_subsets(Check *c)
{
    size_t L = 10, n = 12;
    Net *net = forward_net(linear_config(L, n), 2, 30);
    gsl_matrix *I = gsl_matrix_alloc(n, n), *sum = gsl_matrix_alloc(n, n), *PT = gsl_matrix_alloc(n, n);
    gsl_matrix_set_identity(I);
    char err[256];
    paths_enumerate(net, I, NULL, sum, NULL, NULL, NULL, err, sizeof err);
    gsl_matrix *P = dense_product(net, 0);
    gsl_matrix_transpose_memcpy(PT, P);
    check_below(c, "L = 10: prod (I + W_l) = sum over 1024 subsets of prod W_l, rel", rel_diff(sum, PT),
                EXACT_RTOL);
    gsl_matrix_free(I);
    gsl_matrix_free(sum);
    gsl_matrix_free(PT);
    gsl_matrix_free(P);
    net_free(net);
}

/* Prediction 5: ResNet-110's 54 blocks. */
static void test_path_lengths_are_binomial(Check *c)
{
    double mean, sd;
    paths_length_moments(54, &mean, &sd);
    check_close(c, "L = 54: mean path length", mean, 27.0, 0.0, 1e-14);
    check_close(c, "L = 54: sd = sqrt(54)/2, printed 3.6742", sd, 3.6742, 0.5e-4, 0.0);
    check_close(c, "L = 54: sd = sqrt(54)/2", sd, sqrt(54.0) / 2.0, 0.0, 1e-13);
    check_close(c, "L = 54: fraction of paths with k = 5..17, printed 0.0045367",
                paths_length_fraction_range(54, 5, 17), 0.0045367, 0.5e-7, 0.0);
    check_close(c, "L = 54: fraction with k = 19..35, printed 0.98017",
                paths_length_fraction_range(54, 19, 35), 0.98017, 0.5e-5, 0.0);
    check_true(c, paths_length_counts(54, 27) == 1946939425648112.0 &&
                  paths_length_counts(60, 30) == (double)118264581564861424ull &&
                  paths_length_counts(67, 33) == (double)14226520737620288370ull,
               "exact integers: C(54,27), C(60,30), C(67,33) (the last needs all 64 bits)");
    check_true(c, paths_length_counts(10, 11) == 0.0 && isnan(paths_length_counts(1001, 3)) &&
                  paths_length_counts(0, 0) == 1.0, "C(10,11) = 0, C(0,0) = 1, L > 1000 refused (NaN)");
    double worst = 0.0;
    for (size_t k = 1; k < 1000; k++) {               /* Pascal: C(L,k) = C(L-1,k-1) + C(L-1,k) */
        double a = paths_length_counts(1000, k);
        double b = paths_length_counts(999, k - 1) + paths_length_counts(999, k);
        worst = fmax(worst, fabs(a - b) / a);
    }
    check_below(c, "L = 1000: Pascal's rule, worst relative error", worst, 1e-13);
    check_close(c, "L = 1000: the fractions sum to 1", paths_length_fraction_range(1000, 0, 1000),
                1.0, 0.0, 1e-13);
}

/* Every path gradient of a ReLU net, summed, is the full gradient: block Jacobians are
 * J_S + J_F, and backward is linear in the upstream gradient. */
static void test_path_gradients_sum_to_full_gradient(Check *c, BlockOrder order)
{
    size_t L = 8, B = 4, n = 10;
    NetConfig cfg = net_config_default();
    cfg.depth = L; cfg.width = n; cfg.order = order; cfg.bias_std = 0.1; cfg.param_grads = 0;
    Net *net = forward_net(cfg, B, 40);
    net_loss_backward(net);                          /* net->dx[0]: the full gradient */
    gsl_matrix *full = gsl_matrix_alloc(B, n), *sum = gsl_matrix_calloc(B, n);
    gsl_matrix_memcpy(full, net->dx[0]);
    gsl_matrix **gsum = mats(L + 1, B, n);
    PathsGradStats s[L + 1];
    PathsGradOptions o = {.enumerate = 1};
    char err[256];
    int rc = paths_grad_by_length(net, NULL, &o, NULL, s, gsum, err, sizeof err);
    int counts_ok = rc == RESLAB_OK;
    for (size_t k = 0; k <= L; k++) {
        gsl_matrix_add(sum, gsum[k]);
        counts_ok &= (double)s[k].count == paths_length_counts(L, k) && s[k].nonfinite == 0;
    }
    check_true(c, counts_ok, "%s ReLU, L = 8: every path evaluated once, C(8, k) per length",
               block_order_name(order));
    char what[128];
    snprintf(what, sizeof what, "%s ReLU: sum of the 256 path gradients = dL/dx_0, rel",
             block_order_name(order));
    check_below(c, what, rel_diff(sum, full), EXACT_RTOL);
    check_true(c, memcmp(full->data, net->dx[0]->data, B * n * sizeof(double)) == 0,
               "net->dx left alone");
    mats_free(gsum, L + 1);
    gsl_matrix_free(full);
    gsl_matrix_free(sum);
    net_free(net);
}

/* Linear blocks: the length-k path gradients sum to (x_L / B)^T P_k, P_k the length-k term of
 * prod (I + M_l); with x0 = I the recursion gives v_k = P_k^T, so G_k = (X_L / B) v_k^T. */
static void test_length_k_gradients_are_expansion_terms(Check *c)
{
    size_t L = 10, B = 5, n = 12;
    Net *net = forward_net(linear_config(L, n), B, 50);
    gsl_matrix **gsum = mats(L + 1, B, n), **v = mats(L + 1, n, n), *I = gsl_matrix_alloc(n, n);
    gsl_matrix *G = gsl_matrix_alloc(B, n);
    gsl_matrix_set_identity(I);
    PathsGradStats s[L + 1];
    PathsGradOptions o = {.enumerate = 1};
    char err[256];
    paths_grad_by_length(net, NULL, &o, NULL, s, gsum, err, sizeof err);
    paths_by_length(net, I, v, NULL, err, sizeof err);
    double worst = 0.0;
    for (size_t k = 0; k <= L; k++) {                /* [B x n] = [B x n][n x n]^T */
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0 / (double)B, net_x(net, L), v[k], 0.0, G);
        worst = fmax(worst, rel_diff(gsum[k], G));
    }
    check_below(c, "linear L = 10: sum of length-k path gradients = length-k term of "
                   "(x_L/B)^T prod (I + M_l), worst rel over k", worst, EXACT_RTOL);
    mats_free(gsum, L + 1);
    mats_free(v, L + 1);
    gsl_matrix_free(I);
    gsl_matrix_free(G);
    net_free(net);
}

static void test_sampled_paths_are_reproducible(Check *c)
{
    size_t L = 20, B = 8;
    NetConfig cfg = net_config_default();
    cfg.depth = L; cfg.param_grads = 0;
    Net *net = forward_net(cfg, B, 60);
    PathsGradStats a[21], b[21], d[21];
    PathsGradOptions o = {.samples = 50};
    char err[256];
    gsl_rng *rng = tu_rng(7);
    paths_grad_by_length(net, NULL, &o, rng, a, NULL, err, sizeof err);
    gsl_rng_set(rng, 7);
    paths_grad_by_length(net, NULL, &o, rng, b, NULL, err, sizeof err);
    gsl_rng_set(rng, 8);
    paths_grad_by_length(net, NULL, &o, rng, d, NULL, err, sizeof err);
    check_true(c, memcmp(a, b, sizeof a) == 0, "same seed (7), same bytes");
    check_true(c, memcmp(a, d, sizeof a) != 0 && a[0].mean == d[0].mean && a[L].mean == d[L].mean,
               "another seed (8) samples other paths; k = 0 and k = L have only one path");
    gsl_rng_free(rng);
    net_free(net);
}

static void test_lesion_with_F_zero_changes_nothing(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 10; cfg.order = ORDER_PRE; cfg.zero_last = 1; cfg.param_grads = 0;
    Net *net = forward_net(cfg, 4, 70);
    double rel[10], worst = 0.0;
    int bad = -1;
    char err[256];
    int rc = paths_lesion(net, NULL, rel, &bad, err, sizeof err);
    for (size_t k = 0; k < 10; k++) worst = fmax(worst, rel[k]);
    check_true(c, rc == RESLAB_OK && !bad && worst == 0.0,
               "F = 0 (zero last layer, pre order): deleting any block changes x_L by exactly 0");
    net_free(net);
}

static void test_lesion_removes_the_factor(Check *c)
{
    size_t L = 8, B = 4, n = 12;
    Net *net = forward_net(linear_config(L, n), B, 80);
    gsl_matrix *out = gsl_matrix_alloc(B, n), *want = gsl_matrix_alloc(B, n);
    double rel[8], worst = 0.0, worst_rel = 0.0;
    char err[256];
    paths_lesion(net, NULL, rel, NULL, err, sizeof err);
    for (size_t k = 1; k <= L; k++) {
        paths_lesion_one(net, k, out, err, sizeof err);
        gsl_matrix *P = dense_product(net, k);       /* x_L' = P' x_0: rows [B x n] = [B x n][n x n]^T */
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, net_x(net, 0), P, 0.0, want);
        worst = fmax(worst, rel_diff(out, want));
        gsl_matrix_sub(want, net_x(net, L));
        worst_rel = fmax(worst_rel, fabs(rel[k - 1] - frob(want) / frob(net_x(net, L))));
        gsl_matrix_free(P);
    }
    check_below(c, "linear L = 8: deleting block k = dropping the factor (I + M_k), worst rel", worst,
                EXACT_RTOL);
    check_below(c, "paths_lesion's ||x_L' - x_L|| / ||x_L|| agrees, worst abs", worst_rel, EXACT_RTOL);
    gsl_matrix_free(out);
    gsl_matrix_free(want);
    net_free(net);
}

static void test_exploding_net_is_flagged(Check *c)
{
    size_t L = 50, B = 2, n = 16;
    NetConfig cfg = linear_config(L, n);
    cfg.branch_scale = 1e8;                          /* (1e8)^50 = 1e400: overflows */
    Net *net = forward_net(cfg, B, 90);
    gsl_matrix **v = mats(L + 1, B, n);
    double rel[50];
    int bad_v = 0, bad_l = 0;
    char err[256];
    paths_by_length(net, net_x(net, 0), v, &bad_v, err, sizeof err);
    paths_lesion(net, NULL, rel, &bad_l, err, sizeof err);
    PathsGradStats s[51];
    PathsGradOptions o = {.samples = 3};
    gsl_rng *rng = tu_rng(5);
    int rc = paths_grad_by_length(net, NULL, &o, rng, s, NULL, err, sizeof err);
    check_true(c, bad_v && bad_l && rc == RESLAB_OK && s[L].nonfinite == 3,
               "branch scale 1e8, L = 50: inf/NaN flagged (expansion %d, lesion %d, "
               "gradient: %zu of 3 length-50 paths), no crash", bad_v, bad_l, s[L].nonfinite);
    gsl_rng_free(rng);
    mats_free(v, L + 1);
    net_free(net);
}

/* Not a test: Veit's Fig. 6b at init, and the lesion study, plain vs residual. */
static void report_depth_20(BlockOrder order)
{
    size_t L = 20, B = 32, S = 200;
    unsigned long seed = 2016;
    NetConfig cfg = net_config_default();            /* ReLU, He init, width 16 */
    cfg.depth = L; cfg.order = order; cfg.param_grads = 0;
    gsl_rng *rng = tu_rng(seed);
    Net *res = net_alloc(&cfg, B, rng);
    cfg.shortcut = SHORTCUT_NONE;
    Net *plain = net_alloc(&cfg, B, rng);
    net_copy_branches(plain, res);
    gsl_matrix *X = gsl_matrix_alloc(B, 16);
    tu_fill(X, rng, 1.0);
    PathsGradStats s[21];
    PathsGradOptions o = {.samples = S};
    char err[256];
    double t0 = now();
    paths_grad_by_length(res, X, &o, rng, s, NULL, err, sizeof err);
    printf("# residual ReLU %s, L = 20, n = 16, B = 32, He init, seed %lu, %zu paths per k "
           "(%.3f s)\n# k   C(20,k)    mean ||dL/dx0||  sd         min        max        total\n",
           block_order_name(order), seed, S, now() - t0);
    for (size_t k = 0; k <= L; k++)
        printf("# %2zu %9.0f  %.4e  %.3e  %.3e  %.3e  %.3e\n", k, paths_length_counts(L, k),
               s[k].mean, s[k].sd, s[k].min, s[k].max, s[k].total);
    double rr[20], rp[20];
    t0 = now();
    paths_lesion(res, X, rr, NULL, err, sizeof err);
    paths_lesion(plain, X, rp, NULL, err, sizeof err);
    printf("# lesion, %s, same branches (%.3f s): ||x_L' - x_L|| / ||x_L|| with block k deleted\n"
           "# k  residual  plain\n", block_order_name(order), now() - t0);
    for (size_t k = 0; k < L; k++) printf("# %2zu  %.4f    %.4f\n", k + 1, rr[k], rp[k]);
    gsl_matrix_free(X);
    net_free(res);
    net_free(plain);
    gsl_rng_free(rng);
}

int main(void)
{
    Check c = {0};
    test_expansion_refuses_nonlinear_blocks(&c);
    test_paths_by_length_sum_to_forward(&c);
    test_every_path_sums_to_x_L(&c, 10, 4);
    test_every_path_sums_to_x_L(&c, 16, 8);
    test_product_equals_sum_over_subsets(&c);
    test_path_lengths_are_binomial(&c);
    test_path_gradients_sum_to_full_gradient(&c, ORDER_PRE);
    test_path_gradients_sum_to_full_gradient(&c, ORDER_POST);
    test_length_k_gradients_are_expansion_terms(&c);
    test_sampled_paths_are_reproducible(&c);
    test_lesion_with_F_zero_changes_nothing(&c);
    test_lesion_removes_the_factor(&c);
    test_exploding_net_is_flagged(&c);
    report_depth_20(ORDER_POST);
    report_depth_20(ORDER_PRE);
    return check_done(&c);
}
