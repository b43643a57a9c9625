/* test_jacobian.c: the input-output Jacobian J = d x_L / d x_0 (column convention) and its
 * singular values. Claims: F = 0 gives J = I and all singular values 1; the scaled shortcut
 * gives lambda^L I (He et al. 2016, Eq. 8); linear nets give prod (I + W2 W1) and prod W2 W1;
 * ReLU nets and batch-norm nets match central differences; the product path and the backprop
 * path agree; linear residual nets with W ~ N(0, 1/n) have the gain (1 + alpha^2)^L; an
 * exploding net is reported as overflow, never handed to the SVD. */
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>

#include <gsl/gsl_randist.h>

#include "check.h"
#include "jacobian.h"
#include "status.h"
#include "testutil.h"

#define EXACT 0.0            /* products of 0, 1 and powers of two: no rounding at all */
#define SV_OF_IDENTITY 1e-15 /* the SVD of I: a few rotations that should change nothing */
#define POWER_OF_TWO 1e-14   /* papers.md prediction 3: lambda^L I, relative */
#define CLOSED_FORM_RTOL 1e-12   /* two orders of the same products: rounding only, depth 30 */
#define PATHS_RTOL 1e-12     /* product vs backprop: the same chain rule, summed in other orders */
#define FD_H 1e-6            /* central-difference step on x_0[b, j] */
/* ReLU nets are piecewise linear, so away from kinks the difference quotient is exact but for
 * rounding: eps |x_L| / h ~ 1e-16 * 10 / 1e-6 = 1e-9 per entry; 1e-7 leaves room */
#define FD_ATOL 1e-7
/* with batch norm the net is smooth, not linear: truncation h^2 |f'''| / 6 ~ 1e-12 |f'''|, and
 * 1/sigma of a batch of 4 makes entries and third derivatives larger: relative to max |J| */
#define FD_BN_RTOL 1e-7
#define SVD_FROBENIUS 1e-12 /* sum of n = 64 squares, each to ~1e-16 s_max^2: ~n eps, with room */
#define GAIN_TOL 0.15        /* papers.md prediction 7; the derivation is in test_gradient_gain */

static Net *make_net(NetConfig cfg, size_t B, unsigned long seed, gsl_matrix **X)
{
    gsl_rng *rng = tu_rng(seed);
    Net *net = net_alloc(&cfg, B, rng);
    *X = gsl_matrix_alloc(B, net_input_width(net));
    tu_fill(*X, rng, 1.0);
    gsl_rng_free(rng);
    net_forward(net, *X);
    return net;
}

static gsl_matrix *identity(size_t n, double scale)
{
    gsl_matrix *I = gsl_matrix_alloc(n, n);
    gsl_matrix_set_identity(I);
    gsl_matrix_scale(I, scale);
    return I;
}

/* max_i |s_i - want| */
static double sv_maxdiff(const gsl_vector *s, double want)
{
    double d = 0.0;
    for (size_t i = 0; i < s->size; i++) d = fmax(d, fabs(gsl_vector_get(s, i) - want));
    return d;
}

static void test_identity_when_F_is_zero(Check *c)
{
    NetConfig cfg = net_config_default();        /* ReLU, identity shortcut, width 16 */
    cfg.depth = 50; cfg.order = ORDER_PRE; cfg.zero_last = 1; cfg.bias_std = 0.5;
    gsl_matrix *X;
    Net *net = make_net(cfg, 4, 9, &X);
    JacobianWork *w = jacobian_work_alloc(net);
    gsl_matrix *J = gsl_matrix_alloc(16, 16), *I = identity(16, 1.0);
    gsl_vector *s = gsl_vector_alloc(16);
    int rc = jacobian_net(net, 2, J, w);
    check_close(c, "F = 0, pre order, 50 blocks: J = I, max |J - I|", tu_maxdiff(J, I), 0.0, EXACT, 0);
    rc |= jacobian_backprop(net, 2, J, w);
    check_close(c, "F = 0: the backprop path gives I too, max |J - I|", tu_maxdiff(J, I), 0.0, EXACT, 0);
    rc |= jacobian_singular_values(J, s, w);
    check_below(c, "F = 0: every singular value is 1, max |s_i - 1|", sv_maxdiff(s, 1.0), SV_OF_IDENTITY);
    check_close(c, "F = 0: condition number", jacobian_condition(s), 1.0, SV_OF_IDENTITY, 0);
    check_true(c, rc == RESLAB_OK, "F = 0: every call returned RESLAB_OK");
    gsl_matrix_free(J), gsl_matrix_free(I), gsl_vector_free(s), gsl_matrix_free(X);
    jacobian_work_free(w);
    net_free(net);
}

static void test_scaled_shortcut_gives_lambda_to_the_L(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 10; cfg.order = ORDER_PRE; cfg.zero_last = 1; cfg.bias_std = 0.5;
    cfg.shortcut = SHORTCUT_SCALED; cfg.lambda = 0.5;
    gsl_matrix *X;
    Net *net = make_net(cfg, 3, 11, &X);
    JacobianWork *w = jacobian_work_alloc(net);
    double want = ldexp(1.0, -10);               /* 0.5^10 = 9.765625e-4 */
    gsl_matrix *J = gsl_matrix_alloc(16, 16), *P = identity(16, want);
    gsl_vector *s = gsl_vector_alloc(16);
    int rc = jacobian_net(net, 0, J, w);
    rc |= jacobian_singular_values(J, s, w);
    check_below(c, "lambda = 0.5, F = 0, L = 10: J = 2^-10 I, max |J - 2^-10 I| / 2^-10",
                tu_maxdiff(J, P) / want, POWER_OF_TWO);
    check_below(c, "lambda = 0.5, L = 10: every singular value is 9.765625e-4, relative",
                sv_maxdiff(s, want) / want, POWER_OF_TWO);
    check_true(c, rc == RESLAB_OK, "lambda^L: every call returned RESLAB_OK");
    gsl_matrix_free(J), gsl_matrix_free(P), gsl_vector_free(s), gsl_matrix_free(X);
    jacobian_work_free(w);
    net_free(net);
}

/* Column convention: x_l = (I + W2 W1) x_{l-1} for linear residual blocks, W2 W1 x_{l-1} for
 * plain ones, so J = M_L ... M_1; built here with dgemm, independently of block_jacobian. */
static void test_linear_nets_are_products(Check *c)
{
    for (int plain = 0; plain < 2; plain++)
        for (int o = 0; o < 2; o++) {
            NetConfig cfg = net_config_default();
            cfg.depth = 30; cfg.width = 7; cfg.hidden = 4; cfg.act = ACT_IDENTITY;
            cfg.order = o ? ORDER_PRE : ORDER_POST; cfg.init = INIT_GLOROT;
            cfg.shortcut = plain ? SHORTCUT_NONE : SHORTCUT_IDENTITY;
            cfg.branch_scale = plain ? 1.5 : 0.3;
            gsl_matrix *X;
            Net *net = make_net(cfg, 5, 42 + plain + 2 * o, &X);
            size_t n = cfg.width;
            gsl_matrix *P = identity(n, 1.0), *M = gsl_matrix_alloc(n, n), *T = gsl_matrix_alloc(n, n);
            for (size_t l = 0; l < cfg.depth; l++) {
                /* M = W2 W1 (+ I): [n x n] = [n x h][h x n];  P = M P */
                gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, net->params[l]->W2, net->params[l]->W1, 0.0, M);
                if (!plain) for (size_t i = 0; i < n; i++) *gsl_matrix_ptr(M, i, i) += 1.0;
                gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, M, P, 0.0, T);
                gsl_matrix_memcpy(P, T);
            }
            JacobianWork *w = jacobian_work_alloc(net);
            int rc = jacobian_net(net, 3, T, w);
            check_true(c, rc == RESLAB_OK && tu_maxdiff(T, P) / tu_maxabs(P) <= CLOSED_FORM_RTOL,
                       "%s linear net, %s order, L = 30: J = %s, rel diff %.2e (max |J| %.3g)",
                       plain ? "plain" : "residual", block_order_name(cfg.order),
                       plain ? "prod W2 W1" : "prod (I + W2 W1)", tu_maxdiff(T, P) / tu_maxabs(P),
                       tu_maxabs(P));
            gsl_matrix_free(P), gsl_matrix_free(M), gsl_matrix_free(T), gsl_matrix_free(X);
            jacobian_work_free(w);
            net_free(net);
        }
}

/* 1 if any ReLU input of any block changed sign between two forward passes (a kink crossed):
 * z1 in F; y after the sum (post order); the input of the first s (pre order). sign[] holds
 * the signs of the first pass; set = 1 records them, set = 0 compares. All rows: batch norm
 * couples them. */
static int kinks_crossed(const Net *net, signed char *sign, int set)
{
    size_t k = 0;
    int crossed = 0;
    for (size_t l = 0; l < net->cfg.depth; l++) {
        const BlockCache *bc = net->cache[l];
        const gsl_matrix *m[3] = {bc->z1, net->cfg.order == ORDER_POST ? bc->y : NULL,
                                  net->cfg.order == ORDER_PRE ? (bc->r0 ? bc->r0 : net_x(net, l)) : NULL};
        for (int q = 0; q < 3; q++)
            for (size_t i = 0; m[q] && i < m[q]->size1; i++)
                for (size_t j = 0; j < m[q]->size2; j++, k++) {
                    signed char sg = gsl_matrix_get(m[q], i, j) > 0.0;
                    if (set) sign[k] = sg;
                    else crossed |= sign[k] != sg;
                }
    }
    return crossed;
}

/* Column j of J by central differences: perturb only x_0[b, j] (the other examples and
 * entries held fixed), difference row b of x_L. Counts kink crossings into *kinks. */
static void fd_jacobian(Net *net, const gsl_matrix *X, size_t b, gsl_matrix *Jfd, size_t *kinks)
{
    size_t n = net->cfg.width, L = net->cfg.depth;
    gsl_matrix *Xp = gsl_matrix_alloc(X->size1, X->size2);
    gsl_vector *plus = gsl_vector_alloc(n);
    signed char *sign = malloc(L * X->size1 * (net->block.h + n));   /* z1, and y or the input */
    *kinks = 0;
    for (size_t j = 0; j < n; j++) {
        gsl_matrix_memcpy(Xp, X);
        *gsl_matrix_ptr(Xp, b, j) += FD_H;
        net_forward(net, Xp);
        kinks_crossed(net, sign, 1);
        gsl_matrix_get_row(plus, net_x(net, L), b);
        *gsl_matrix_ptr(Xp, b, j) -= 2.0 * FD_H;
        net_forward(net, Xp);
        *kinks += kinks_crossed(net, sign, 0);
        for (size_t i = 0; i < n; i++)          /* (x_L(x + h e_j) - x_L(x - h e_j)) / 2h */
            gsl_matrix_set(Jfd, i, j,
                           (gsl_vector_get(plus, i) - gsl_matrix_get(net_x(net, L), b, i)) / (2.0 * FD_H));
    }
    net_forward(net, X);                        /* leave the caches as they were */
    free(sign);
    gsl_vector_free(plus);
    gsl_matrix_free(Xp);
}

/* Seeds chosen so that no difference crosses a kink (the check below says so if one does). */
static void test_relu_nets_match_central_differences(Check *c)
{
    for (int o = 0; o < 2; o++) {
        NetConfig cfg = net_config_default();     /* ReLU, identity shortcut, He init */
        cfg.depth = 10; cfg.width = 12; cfg.bias_std = 0.1; cfg.branch_scale = 0.5;
        cfg.order = o ? ORDER_PRE : ORDER_POST;
        gsl_matrix *X, *J = gsl_matrix_alloc(12, 12), *Jfd = gsl_matrix_alloc(12, 12);
        Net *net = make_net(cfg, 3, 300 + o, &X);
        JacobianWork *w = jacobian_work_alloc(net);
        int rc = jacobian_net(net, 1, J, w);
        size_t kinks;
        fd_jacobian(net, X, 1, Jfd, &kinks);
        check_true(c, rc == RESLAB_OK && kinks == 0 && tu_maxdiff(J, Jfd) <= FD_ATOL,
                   "ReLU net, %s order, depth 10, biases: J vs central differences (h %.0e), "
                   "max diff %.2e, max |J| %.3g, kinks crossed %zu", block_order_name(cfg.order),
                   FD_H, tu_maxdiff(J, Jfd), tu_maxabs(J), kinks);
        gsl_matrix_free(J), gsl_matrix_free(Jfd), gsl_matrix_free(X);
        jacobian_work_free(w);
        net_free(net);
    }
}

/* Batch norm couples the batch: J = d x_L[b] / d x_0[b] with the other examples held fixed,
 * so the differences perturb only row b of x_0 and read only row b of x_L. */
static void test_batchnorm_nets_match_central_differences(Check *c)
{
    for (int o = 0; o < 2; o++) {
        NetConfig cfg = net_config_default();
        cfg.depth = 6; cfg.width = 8; cfg.bias_std = 0.1; cfg.bn = 1;
        cfg.order = o ? ORDER_PRE : ORDER_POST;
        gsl_matrix *X, *J = gsl_matrix_alloc(8, 8), *Jfd = gsl_matrix_alloc(8, 8);
        Net *net = make_net(cfg, 4, 400 + o, &X);
        JacobianWork *w = jacobian_work_alloc(net);
        int refused = jacobian_product(net, 2, J, w) == RESLAB_ERR_INVALID;
        int rc = jacobian_net(net, 2, J, w);
        size_t kinks;
        fd_jacobian(net, X, 2, Jfd, &kinks);
        double scale = tu_maxabs(J);
        check_true(c, rc == RESLAB_OK && refused && kinks == 0 && tu_maxdiff(J, Jfd) <= FD_BN_RTOL * scale,
                   "batch-norm ReLU net, %s order, depth 6, batch 4: backprop J vs central "
                   "differences of row b only, max diff %.2e, max |J| %.3g, kinks crossed %zu; "
                   "the product path refuses", block_order_name(cfg.order), tu_maxdiff(J, Jfd),
                   scale, kinks);
        gsl_matrix_free(J), gsl_matrix_free(Jfd), gsl_matrix_free(X);
        jacobian_work_free(w);
        net_free(net);
    }
}

/* Both paths on every shortcut the net offers; also: backprop leaves net->dx alone. */
static void test_product_and_backprop_paths_agree(Check *c)
{
    const ShortcutKind sc[] = {SHORTCUT_IDENTITY, SHORTCUT_NONE, SHORTCUT_PROJECT_ALL,
                               SHORTCUT_SCALED, SHORTCUT_GATE, SHORTCUT_GATE_SHORTCUT, SHORTCUT_DROPOUT};
    for (size_t s = 0; s < sizeof sc / sizeof sc[0]; s++)
        for (int a = 0; a < 2; a++) {
            NetConfig cfg = net_config_default();
            cfg.depth = 12; cfg.width = 10; cfg.hidden = 7; cfg.bias_std = 0.1;
            cfg.shortcut = sc[s]; cfg.act = a ? ACT_TANH : ACT_RELU; cfg.order = a ? ORDER_POST : ORDER_PRE;
            cfg.branch_scale = 0.5; cfg.lambda = 0.9; cfg.gate_bias = -1.0;
            gsl_matrix *X, *J1 = gsl_matrix_alloc(10, 10), *J2 = gsl_matrix_alloc(10, 10);
            Net *net = make_net(cfg, 3, 500 + 2 * s + a, &X);
            gsl_rng *rng = tu_rng(600 + s);
            net_dropout_draw(net, rng);
            net_forward(net, X);
            net_loss_backward(net);
            gsl_matrix *dx0 = gsl_matrix_alloc(3, 10);
            gsl_matrix_memcpy(dx0, net->dx[0]);
            JacobianWork *w = jacobian_work_alloc(net);
            int rc = jacobian_product(net, 0, J1, w) | jacobian_backprop(net, 0, J2, w);
            double rel = tu_maxdiff(J1, J2) / tu_maxabs(J1);
            int same_dx = memcmp(dx0->data, net->dx[0]->data, 30 * sizeof(double)) == 0;
            check_true(c, rc == RESLAB_OK && rel <= PATHS_RTOL && same_dx,
                       "%s/%s/%s: product vs backprop, rel diff %.2e (max |J| %.3g); net->dx untouched",
                       block_shortcut_name(cfg.shortcut), act_name(cfg.act),
                       block_order_name(cfg.order), rel, tu_maxabs(J1));
            gsl_matrix_free(J1), gsl_matrix_free(J2), gsl_matrix_free(dx0), gsl_matrix_free(X);
            gsl_rng_free(rng);
            jacobian_work_free(w);
            net_free(net);
        }
}

/* jacobian_blocks gives J_1..J_L; their product (same order) is jacobian_net's J. */
static void test_block_jacobians_multiply_to_J(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 8; cfg.width = 6; cfg.bias_std = 0.1; cfg.branch_scale = 0.5;
    gsl_matrix *X, *J = gsl_matrix_alloc(6, 6), *P = identity(6, 1.0), *T = gsl_matrix_alloc(6, 6);
    Net *net = make_net(cfg, 2, 700, &X);
    JacobianWork *w = jacobian_work_alloc(net);
    gsl_matrix *Jl[8];
    for (size_t l = 0; l < 8; l++) Jl[l] = gsl_matrix_alloc(6, 6);
    int rc = jacobian_blocks(net, 1, Jl) | jacobian_net(net, 1, J, w);
    for (size_t l = 0; l < 8; l++) {             /* P = J_l P: [6 x 6] = [6 x 6][6 x 6] */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, Jl[l], P, 0.0, T);
        gsl_matrix_memcpy(P, T);
    }
    check_true(c, rc == RESLAB_OK && tu_maxdiff(J, P) <= PATHS_RTOL * tu_maxabs(P),
               "J_8 ... J_1 from jacobian_blocks = jacobian_net's J, max diff %.2e", tu_maxdiff(J, P));
    for (size_t l = 0; l < 8; l++) gsl_matrix_free(Jl[l]);
    gsl_matrix_free(J), gsl_matrix_free(P), gsl_matrix_free(T), gsl_matrix_free(X);
    jacobian_work_free(w);
    net_free(net);
}

/* A unit vector, uniform on the sphere: a normalised Gaussian. */
static void random_unit(gsl_vector *v, gsl_rng *rng)
{
    for (size_t i = 0; i < v->size; i++) gsl_vector_set(v, i, gsl_ran_gaussian(rng, 1.0));
    gsl_vector_scale(v, 1.0 / gsl_blas_dnrm2(v));
}

/* J = prod_{l=L..1} (I + alpha W_l), W_l ~ N(0, 1/n): a linear pre-order net with h = n whose
 * W1 is set to I and W2 to alpha W_l after net_alloc. E||Jv||^2 = (1 + alpha^2)^L ||v||^2
 * exactly (papers.md section 6): given the product so far, E||(I + alpha W) u||^2
 * = ||u||^2 + alpha^2 E||W u||^2 = (1 + alpha^2) ||u||^2, the cross term having mean 0.
 * The bound, with a = alpha and P the product so far, Q = P P^T, r = n ||Q||_F^2 / tr(Q)^2
 * (1 for Q = I, at most n; here it grows from 1 to about 3 by block 20, so take r <= 5):
 * - one block's ||(I + a W) P||_F^2 has variance (4 a^2 + 2 a^4) ||Q||_F^2 / n, a relative
 *   variance (4 a^2 + 2 a^4) / (1 + a^2)^2 * r / n^2 <= 2.3e-4 (a^2 = 1/20, n = 64);
 *   20 blocks: relative sd <= 7% per seed for the sphere average sum s_i^2 / n = ||J||_F^2 / n;
 *   the mean of 16 seeds: <= 1.7%;
 * - one random unit v: ||Jv||^2 has relative variance 2 (r - 1) / (n + 2) <= 0.12 about that
 *   average; 16 v per seed, 16 seeds: <= 2.2% more.
 * So +-15% is at least 5 standard deviations: it does not fail by chance, and it catches
 * (1 + alpha)^L (x21) or 1 + L alpha^2 (-25%), but cannot tell (1 + 1/L)^L = 2.653 from e. */
static void test_gradient_gain_of_linear_residual_nets(Check *c)
{
    const size_t n = 64, L = 20, seeds = 16, K = 16;
    const double alpha = 1.0 / sqrt((double)L), want = pow(1.0 + alpha * alpha, (double)L);
    NetConfig cfg = net_config_default();
    cfg.depth = L; cfg.width = n; cfg.act = ACT_IDENTITY; cfg.order = ORDER_PRE;
    gsl_matrix *J = gsl_matrix_alloc(n, n);
    gsl_vector *s = gsl_vector_alloc(n), *v = gsl_vector_alloc(n), *Jv = gsl_vector_alloc(n);
    double sphere = 0.0, sampled = 0.0, sq = 0.0, frob_err = 0.0;
    for (size_t seed = 1; seed <= seeds; seed++) {
        gsl_matrix *X;
        Net *net = make_net(cfg, 1, 800 + seed, &X);
        gsl_rng *rng = tu_rng(900 + seed);
        for (size_t l = 0; l < L; l++) {
            gsl_matrix_set_identity(net->params[l]->W1);
            tu_fill(net->params[l]->W2, rng, alpha / sqrt((double)n));   /* alpha W, W ~ N(0, 1/n) */
        }
        net_forward(net, X);
        JacobianWork *w = jacobian_work_alloc(net);
        jacobian_net(net, 0, J, w);
        jacobian_singular_values(J, s, w);
        double g = 0.0;
        for (size_t i = 0; i < n; i++) g += gsl_vector_get(s, i) * gsl_vector_get(s, i) / (double)n;
        double fro = 0.0;                           /* sum s_i^2 = ||J||_F^2: the SVD's check */
        for (size_t i = 0; i < n * n; i++) fro += J->data[i] * J->data[i] / (double)n;
        frob_err = fmax(frob_err, fabs(g - fro) / fro);
        for (size_t k = 0; k < K; k++) {
            random_unit(v, rng);
            gsl_blas_dgemv(CblasNoTrans, 1.0, J, v, 0.0, Jv);       /* [n] = [n x n][n] */
            double jv = gsl_blas_dnrm2(Jv);
            sampled += jv * jv / (double)(K * seeds);
        }
        sphere += g / (double)seeds;
        sq += g * g / (double)seeds;
        gsl_rng_free(rng), gsl_matrix_free(X);
        jacobian_work_free(w);
        net_free(net);
    }
    double sd = sqrt(fmax(sq - sphere * sphere, 0.0)) / sphere;
    check_below(c, "sum s_i^2 = ||J||_F^2 (the SVD keeps the Frobenius norm), rel", frob_err, SVD_FROBENIUS);
    check_true(c, fabs(sphere / want - 1.0) <= GAIN_TOL,
               "L = 20, n = 64, alpha = 1/sqrt(L): mean sum s_i^2 / n over 16 seeds = %.4f, "
               "(1 + alpha^2)^L = %.4f, ratio %.4f (per-seed relative sd %.3f)",
               sphere, want, sphere / want, sd);
    check_true(c, fabs(sampled / want - 1.0) <= GAIN_TOL,
               "the same from ||J v||^2, 16 random unit v per seed: %.4f, ratio %.4f",
               sampled, sampled / want);
    gsl_matrix_free(J), gsl_vector_free(s), gsl_vector_free(v), gsl_vector_free(Jv);
}

/* lambda = 1e30 over 20 blocks: x_L and J reach 1e600, past the largest double (1.8e308). */
static void test_overflow_is_reported_not_decomposed(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 20; cfg.width = 5; cfg.order = ORDER_PRE; cfg.zero_last = 1;
    cfg.shortcut = SHORTCUT_SCALED; cfg.lambda = 1e30;
    gsl_matrix *X, *J = gsl_matrix_alloc(5, 5);
    gsl_vector *s = gsl_vector_alloc(5);
    Net *net = make_net(cfg, 2, 13, &X);
    JacobianWork *w = jacobian_work_alloc(net);
    int rc1 = jacobian_net(net, 0, J, w), rc2 = jacobian_singular_values(J, s, w);
    check_true(c, rc1 == JACOBIAN_OVERFLOW && rc2 == JACOBIAN_OVERFLOW && isnan(gsl_vector_get(s, 0)) &&
               isnan(jacobian_condition(s)),
               "lambda^L = 1e600: jacobian_net and jacobian_singular_values say overflow (%d, %d), "
               "s and the condition number are NaN", rc1, rc2);
    gsl_matrix_set_identity(J);
    gsl_matrix_set(J, 3, 1, NAN);
    check_true(c, jacobian_singular_values(J, s, w) == JACOBIAN_OVERFLOW,
               "one NaN entry: overflow, no SVD");
    gsl_matrix_free(J), gsl_vector_free(s), gsl_matrix_free(X);
    jacobian_work_free(w);
    net_free(net);
}

/* Huge but finite Jacobians (a post-activation He net at depth 1000 reaches 1e158): the SVD runs
 * on J scaled by a power of two, so s(1e158 A) = 1e158 s(A). Tolerance 1e-13 relative: the SVD's
 * backward error is ~1e-16 s_max, and the scaling itself is exact. */
static void test_huge_jacobians_decompose(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 2; cfg.width = 16;
    gsl_matrix *X, *A = gsl_matrix_alloc(16, 16), *J = gsl_matrix_alloc(16, 16);
    gsl_vector *sa = gsl_vector_alloc(16), *sj = gsl_vector_alloc(16);
    Net *net = make_net(cfg, 2, 5, &X);
    JacobianWork *w = jacobian_work_alloc(net);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    for (size_t i = 0; i < 16; i++)
        for (size_t j = 0; j < 16; j++) {
            double a = gsl_ran_gaussian(rng, 1.0);
            gsl_matrix_set(A, i, j, a);
            gsl_matrix_set(J, i, j, 1e158 * a);
        }
    int ra = jacobian_singular_values(A, sa, w), rj = jacobian_singular_values(J, sj, w);
    double worst = 0;
    for (size_t i = 0; i < 16; i++) {
        double e = fabs(gsl_vector_get(sj, i) / 1e158 - gsl_vector_get(sa, i)) / gsl_vector_get(sa, 0);
        if (!(e <= worst)) worst = e;
    }
    check_true(c, ra == RESLAB_OK && rj == RESLAB_OK && worst < 1e-13,
               "s(1e158 A) = 1e158 s(A): status %d %d, worst relative error %.2g (tolerance 1e-13)",
               ra, rj, worst);
    gsl_rng_free(rng);
    gsl_matrix_free(A), gsl_matrix_free(J), gsl_vector_free(sa), gsl_vector_free(sj), gsl_matrix_free(X);
    jacobian_work_free(w);
    net_free(net);
}

/* A plain net with F = 0 passes nothing: J = 0, s_min = 0, kappa = inf. A diagonal J's singular
 * values are its |diagonal|, sorted. */
static void test_condition_number(Check *c)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 3; cfg.width = 4; cfg.shortcut = SHORTCUT_NONE; cfg.zero_last = 1;
    gsl_matrix *X, *J = gsl_matrix_alloc(4, 4);
    gsl_vector *s = gsl_vector_alloc(4);
    Net *net = make_net(cfg, 2, 14, &X);
    JacobianWork *w = jacobian_work_alloc(net);
    int rc = jacobian_net(net, 0, J, w) | jacobian_singular_values(J, s, w);
    check_true(c, rc == RESLAB_OK && tu_maxabs(J) == 0.0 && isinf(jacobian_condition(s)),
               "plain net with F = 0: J = 0, condition number %g", jacobian_condition(s));
    gsl_matrix_set_zero(J);
    const double d[4] = {0.5, -3.0, 2.0, 1.0};
    for (size_t i = 0; i < 4; i++) gsl_matrix_set(J, i, (i + 1) % 4, d[i]);   /* a permuted diagonal */
    rc = jacobian_singular_values(J, s, w);
    const double want[4] = {3.0, 2.0, 1.0, 0.5};
    double diff = 0.0;
    for (size_t i = 0; i < 4; i++) diff = fmax(diff, fabs(gsl_vector_get(s, i) - want[i]));
    check_true(c, rc == RESLAB_OK && diff <= SV_OF_IDENTITY * 3.0,
               "permuted diag(0.5, -3, 2, 1): s = (3, 2, 1, 0.5) descending, max diff %.2e", diff);
    check_close(c, "its condition number 3 / 0.5", jacobian_condition(s), 6.0, 0.0, SV_OF_IDENTITY * 4);
    gsl_matrix_free(J), gsl_vector_free(s), gsl_matrix_free(X);
    jacobian_work_free(w);
    net_free(net);
}

int main(void)
{
    Check c = {0, 0};
    test_identity_when_F_is_zero(&c);
    test_scaled_shortcut_gives_lambda_to_the_L(&c);
    test_linear_nets_are_products(&c);
    test_relu_nets_match_central_differences(&c);
    test_batchnorm_nets_match_central_differences(&c);
    test_product_and_backprop_paths_agree(&c);
    test_block_jacobians_multiply_to_J(&c);
    test_gradient_gain_of_linear_residual_nets(&c);
    test_overflow_is_reported_not_decomposed(&c);
    test_huge_jacobians_decompose(&c);
    test_condition_number(&c);
    return check_done(&c);
}
