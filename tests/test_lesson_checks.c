/* test_lesson_checks.c: every measure of the lesson-check registry against an independent
 * computation or a closed form. Claims: F = 0 gives y = x exactly; the measures print the
 * numbers `reslab flow` and `reslab gradcheck` print for the same options (bit for bit); the
 * unrolled-sum and expansion errors match a recomputation from the block caches; the Jacobian's
 * extreme singular values bound ||J^T u|| and equal |lambda|^L when F = 0; lesions match the full
 * lesion study; path fractions and lambda^L match their closed forms; the registry's labels
 * exist in both languages; NaN never passes a check; each measure runs in well under a second at
 * lesson sizes. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>

#include "check.h"
#include "lesson_checks.h"
#include "lesson_measures.h"
#include "lesson_params.h"
#include "paths.h"
#include "scene_train.h"
#include "stats.h"
#include "status.h"

#define ROUNDING 1e-14       /* two computations of the same sums in another order, n <= 64 terms */
#define UNROLL_BOUND 1e-12   /* the bound for Eq. 4 */
#define EXACT 0.0            /* the same computation (the CLI and the measure share the code path) */
#define SLOW_SECONDS 0.5     /* the brief: measures slower than this at lesson sizes are avoided */

static SceneParams params(Check *c, SceneKind k, const char *args)
{
    SceneParams p = scene_params_default();
    char err[512] = "";
    if (lesson_params_parse(k, args, &p, err, sizeof err))
        check_true(c, 0, "scene options '%s': %s", args, err);
    return p;
}

/* The measure called name with the step options args (scene depth unless given). */
static double measure_k(Check *c, const char *name, SceneKind k, const char *args)
{
    SceneParams p = params(c, k, args);
    const LessonMeasure *m = lesson_checks_find(name);
    char err[512] = "";
    double v = NAN;
    if (!m) check_true(c, 0, "measure %s exists", name);
    else if (lesson_checks_usable(m, &p, err, sizeof err)) check_true(c, 0, "%s usable with '%s': %s", name, args, err);
    else if (m->measure(&p, &v, err, sizeof err)) check_true(c, 0, "%s with '%s': %s", name, args, err);
    return v;
}

static double measure(Check *c, const char *name, const char *args)
{
    return measure_k(c, name, SCENE_DEPTH, args);
}

/* The nets of `reslab flow` built here, for the independent computations. */
static Net *flow_net(const SceneParams *p, gsl_matrix **X, Net **plain)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, p->seed);
    NetConfig cfg = p->net;
    Net *net = net_alloc(&cfg, p->batch, rng);
    net_dropout_draw(net, rng);
    *X = gsl_matrix_alloc(p->batch, net_input_width(net));
    for (size_t i = 0; i < (*X)->size1; i++)
        for (size_t j = 0; j < (*X)->size2; j++) gsl_matrix_set(*X, i, j, gsl_ran_gaussian(rng, 1.0));
    gsl_rng_free(rng);
    net_forward(net, *X);
    if (plain) {
        *plain = net_alloc_twin(net, SHORTCUT_NONE);
        net_forward(*plain, *X);
    }
    return net;
}

static double frob_diff(const gsl_matrix *a, const gsl_matrix *b)
{
    double s = 0.0;
    for (size_t i = 0; i < a->size1 * a->size2; i++) s += (a->data[i] - b->data[i]) * (a->data[i] - b->data[i]);
    return sqrt(s);
}

/* ---- one block --------------------------------------------------------------------------- */

static void test_identity_error_is_exactly_zero_when_F_is_zero(Check *c)
{
    check_true(c, measure(c, "identity_error", "") == 0.0, "post-activation ReLU block, F = 0: max |y - x| = 0 exactly");
    check_true(c, measure(c, "identity_error", "--order pre --bn --bias-std 0.5") == 0.0,
               "pre-activation block with batch norm and biases, F = 0: max |y - x| = 0 exactly");
    /* scaled shortcut: y = lambda x, so max |y - x| = |1 - lambda| max |x| with the same x */
    double a = measure(c, "identity_error", "--shortcut scaled --lambda 0.5");
    double b = measure(c, "identity_error", "--shortcut scaled --lambda 0.25");
    check_close(c, "scaled shortcut: error(0.5) / error(0.25) = 0.5 / 0.75", a / b, 0.5 / 0.75, 0, ROUNDING);
}

static void test_block_residual_norm_matches_x1_minus_x0(Check *c)
{
    SceneParams p = params(c, SCENE_BLOCK, "--order pre --depth 1 --bias-std 0.2");
    gsl_matrix *X;
    Net *net = flow_net(&p, &X, NULL);
    gsl_matrix *d = gsl_matrix_alloc(X->size1, X->size2);
    gsl_matrix_memcpy(d, net_x(net, 1));
    gsl_matrix_sub(d, net_x(net, 0));                  /* pre order: x_1 - x_0 = F(x_0) */
    double want = net_frobenius(d) / net_frobenius(net_x(net, 0));
    double got = measure_k(c, "block_residual_norm", SCENE_BLOCK, "--order pre --bias-std 0.2");
    check_close(c, "||F(x)|| / ||x|| = ||x_1 - x_0|| / ||x_0|| (pre order, depth-1 net)", got, want, 0, ROUNDING);
    gsl_matrix_free(d);
    gsl_matrix_free(X);
    net_free(net);
    double one = measure(c, "block_residual_norm", ""), tenth = measure(c, "block_residual_norm", "--branch-scale 0.1");
    check_close(c, "F is linear in W2: ratio(scale 0.1) / ratio(scale 1)", tenth / one, 0.1, 0, ROUNDING);
    check_true(c, one > 1.0 && one < 2.0, "He init, post order: ||F|| / ||x|| = %.3g near sqrt 2", one);
    check_true(c, measure(c, "block_residual_norm", "--zero-last") == 0.0, "F = 0: ratio 0 exactly");
}

static void test_projection_error_for_options_A_B_C(Check *c)
{
    const char *cases[] = {"--shortcut zeropad --in-width 3 --width 5",
                           "--shortcut project --in-width 3 --width 5 --order pre",
                           "--shortcut project-all --act tanh --bias-std 0.3",
                           "--shortcut project --width 7"};   /* option B with equal widths: identity */
    for (int i = 0; i < 4; i++) {
        double v = measure_k(c, "projection_error", SCENE_BLOCK, cases[i]);
        check_below(c, cases[i], v, ROUNDING);
    }
    SceneParams p = params(c, SCENE_BLOCK, "");
    char err[256] = "";
    check_true(c, lesson_checks_usable(lesson_checks_find("projection_error"), &p, err, sizeof err) != 0,
               "projection_error refuses the identity shortcut: %s", err);
}

/* ---- the unrolled sum and the expansions ------------------------------------------------- */

/* max |x_L - (x_0 + sum_l F_l)| / max |x_L| from the block caches. */
static double unroll_from_caches(const Net *net)
{
    size_t L = net->cfg.depth;
    gsl_matrix *s = gsl_matrix_alloc(net->batch, net->cfg.width);
    gsl_matrix_memcpy(s, net_x(net, 0));
    for (size_t l = 0; l < L; l++) gsl_matrix_add(s, net->cache[l]->f);
    double d = 0.0, m = 0.0;
    const gsl_matrix *xL = net_x(net, L);
    for (size_t i = 0; i < s->size1 * s->size2; i++) {
        d = fmax(d, fabs(xL->data[i] - s->data[i]));
        m = fmax(m, fabs(xL->data[i]));
    }
    gsl_matrix_free(s);
    return d / m;
}

static void test_unroll_error_matches_the_caches(Check *c)
{
    check_below(c, "pre order, depth 50: unroll_error", measure(c, "unroll_error", "--order pre --depth 50 --branch-scale 0.2"),
                UNROLL_BOUND);
    const char *post = "--depth 10 --bias-std 0.1";
    SceneParams p = params(c, SCENE_DEPTH, post);
    gsl_matrix *X;
    Net *net = flow_net(&p, &X, NULL);
    double want = unroll_from_caches(net), got = measure(c, "unroll_error", post);
    check_true(c, want > 1e-3, "post-activation ReLU: Eq. 4 fails visibly (%.3g)", want);
    check_close(c, "post order: unroll_error = recomputation from the caches", got, want, 0, 1e-12);
    gsl_matrix_free(X);
    net_free(net);
}

/* The two-block expansions of blocks 1 and 2 with block_branch_forward. */
static void expansions(const Net *net, double *dropped, double *split)
{
    size_t B = net->batch, n = net->cfg.width;
    BlockCache *bc = block_cache_alloc(&net->block, B);
    gsl_matrix *x = gsl_matrix_alloc(B, n), *f1 = gsl_matrix_alloc(B, n), *x1 = gsl_matrix_alloc(B, n),
               *f2x1 = gsl_matrix_alloc(B, n), *f2x = gsl_matrix_alloc(B, n), *f2f1 = gsl_matrix_alloc(B, n),
               *x2 = gsl_matrix_alloc(B, n), *t = gsl_matrix_alloc(B, n);
    gsl_matrix_memcpy(x, net_x(net, 0));
    block_branch_forward(&net->block, net->params[0], x, bc);
    gsl_matrix_memcpy(f1, bc->f);
    gsl_matrix_memcpy(x1, x);
    gsl_matrix_add(x1, f1);
    block_branch_forward(&net->block, net->params[1], x1, bc);
    gsl_matrix_memcpy(f2x1, bc->f);
    block_branch_forward(&net->block, net->params[1], x, bc);
    gsl_matrix_memcpy(f2x, bc->f);
    block_branch_forward(&net->block, net->params[1], f1, bc);
    gsl_matrix_memcpy(f2f1, bc->f);
    gsl_matrix_memcpy(x2, x1);
    gsl_matrix_add(x2, f2x1);                               /* x + F1 + F2(x + F1) */
    gsl_matrix_memcpy(t, x1);
    gsl_matrix_add(t, f2x);                                 /* x + F1 + F2(x) */
    *dropped = frob_diff(x2, t) / net_frobenius(x2);
    gsl_matrix_memcpy(t, f2x);
    gsl_matrix_add(t, f2f1);                                /* F2(x) + F2(F1) */
    *split = frob_diff(f2x1, t) / net_frobenius(f2x1);
    gsl_matrix *m[] = {x, f1, x1, f2x1, f2x, f2f1, x2, t};
    for (int i = 0; i < 8; i++) gsl_matrix_free(m[i]);
    block_cache_free(bc);
}

static void test_expansion_errors(Check *c)
{
    const char *relu = "--depth 2 --order pre --bias-std 0.1";
    SceneParams p = params(c, SCENE_UNROLL, relu);
    gsl_matrix *X;
    Net *net = flow_net(&p, &X, NULL);
    double dropped, split;
    expansions(net, &dropped, &split);
    double w = measure_k(c, "wrong_expansion_error", SCENE_UNROLL, relu), s = measure_k(c, "split_error", SCENE_UNROLL, relu);
    check_close(c, "ReLU blocks: wrong_expansion_error = recomputed", w, dropped, 0, ROUNDING);
    check_close(c, "ReLU blocks: split_error = recomputed", s, split, 0, ROUNDING);
    check_true(c, w > 0.1 && w < 1.0, "ReLU blocks: the wrong expansion is off by %.3g (0.1 .. 1)", w);
    gsl_matrix_free(X);
    net_free(net);
    const char *lin = "--depth 2 --act identity";
    check_below(c, "linear blocks: four_path_error", measure_k(c, "four_path_error", SCENE_UNROLL, lin), ROUNDING);
    check_below(c, "linear blocks: split_error (F2 linear)", measure_k(c, "split_error", SCENE_UNROLL, lin), ROUNDING);
    double wl = measure_k(c, "wrong_expansion_error", SCENE_UNROLL, lin);
    check_true(c, wl > 1e-2, "linear blocks: dropping the cross term M2 M1 x is still wrong (%.3g)", wl);
}

/* ---- against the command line ------------------------------------------------------------ */

/* The first line of `reslab ARGS` output whose start is prefix, into line; 0 if none. */
static int cli_line(const char *args, const char *prefix, char *line, size_t len)
{
    const char *exe = getenv("RESLAB_EXE");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", exe, args);
    FILE *f = popen(cmd, "r");
    int found = 0;
    while (f && !found && fgets(line, (int)len, f)) found = strncmp(line, prefix, strlen(prefix)) == 0;
    if (f) pclose(f);
    return found;
}

static void test_gradient_measures_print_what_reslab_flow_prints(Check *c)
{
    if (!getenv("RESLAB_EXE")) {
        printf("SKIP the flow comparison: RESLAB_EXE is not set\n");
        return;
    }
    const char *opts = "--depth 30 --act tanh --init glorot --branch-scale 0.5 --seed 7";
    char args[256], l0[256], lL[256];
    snprintf(args, sizeof args, "flow --csv %s", opts);
    int ok = cli_line(args, "0,", l0, sizeof l0) && cli_line(args, "30,", lL, sizeof lL);
    if (!check_true(c, ok, "reslab flow --csv printed layers 0 and 30")) return;
    double p0, r0, pL, rL;
    sscanf(l0, "0,%lf,%lf", &p0, &r0);
    sscanf(lL, "30,%lf,%lf", &pL, &rL);
    check_close(c, "plain_grad0 = reslab flow's plain ||dL/dx_0||", measure(c, "plain_grad0", opts), p0, 0, EXACT);
    check_close(c, "residual_grad0 = reslab flow's residual ||dL/dx_0||", measure(c, "residual_grad0", opts), r0, 0, EXACT);
    check_close(c, "grad0_ratio = plain / residual", measure(c, "grad0_ratio", opts), p0 / r0, 0, EXACT);
    check_close(c, "plain_gain = ||dL/dx_0|| / ||dL/dx_L||", measure(c, "plain_gain", opts), p0 / pL, 0, EXACT);
    check_close(c, "residual_gain", measure(c, "residual_gain", opts), r0 / rL, 0, EXACT);
    check_true(c, measure(c, "residual_gain", "--zero-last --order pre") == 1.0,
               "F = 0, pre order: the residual gain is exactly 1 (dL/dx_0 = dL/dx_L)");
    check_true(c, measure(c, "plain_grad0", "--zero-last") == 0.0, "F = 0: the plain twin passes no gradient (0)");
}

/* max worst_rel and the sum of kinks over the CSV rows of `reslab gradcheck --csv`. */
static int gradcheck_cli(const char *opts, double *worst, double *kinks)
{
    char cmd[1024], line[512];
    snprintf(cmd, sizeof cmd, "%s gradcheck --csv --entries %d %s", getenv("RESLAB_EXE"),
             LESSON_GRADCHECK_ENTRIES, opts);
    FILE *f = popen(cmd, "r");
    int rows = 0;
    *worst = *kinks = 0.0;
    while (f && fgets(line, sizeof line, f)) {
        char *p = strchr(line, ',');
        size_t e, ch, k;
        double w;
        if (!p || sscanf(p + 1, "%zu,%zu,%zu,%lf", &e, &ch, &k, &w) != 4) continue;
        if (ch) *worst = fmax(*worst, w);
        *kinks += (double)k;
        rows++;
    }
    if (f) pclose(f);
    return rows;
}

static void test_gradcheck_measures_print_what_reslab_gradcheck_prints(Check *c)
{
    if (!getenv("RESLAB_EXE")) return;
    const char *opts = "--depth 6 --width 16 --batch 8 --seed 3 --bias-std 0.1";
    double worst, kinks;
    if (!check_true(c, gradcheck_cli(opts, &worst, &kinks) > 0, "reslab gradcheck --csv printed tensors")) return;
    check_close(c, "gradcheck_max_error = reslab gradcheck's worst", measure(c, "gradcheck_max_error", opts), worst, 0, EXACT);
    check_close(c, "gradcheck_kinks = reslab gradcheck's kinks", measure(c, "gradcheck_kinks", opts), kinks, 0, EXACT);
    check_below(c, "ReLU net, kinks left out: worst relative error below 1e-7",
                measure(c, "gradcheck_max_error", opts), 1e-7);
}

/* ---- the Jacobian, the scaled shortcut, paths and lesions --------------------------------- */

static void test_jacobian_extremes_bound_the_gradient(Check *c)
{
    const char *opts = "--depth 5 --order pre --example 2";
    double lo = measure(c, "jacobian_min_sv", opts), hi = measure(c, "jacobian_max_sv", opts);
    check_close(c, "condition = max / min", measure(c, "jacobian_condition", opts), hi / lo, 0, ROUNDING);
    /* ||J^T u|| / ||u|| lies in [s_min, s_max] for any u: J^T u is the gradient at x_0 of example
     * 2 when dL/dx_L is u in row 2 and 0 elsewhere (net_backward). */
    SceneParams p = params(c, SCENE_JACOBIAN, opts);
    gsl_matrix *X;
    Net *net = flow_net(&p, &X, NULL);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *u = gsl_matrix_calloc(X->size1, p.net.width);
    int inside = 1;
    for (int trial = 0; trial < 20; trial++) {
        double nu = 0.0, ng = 0.0;
        for (size_t j = 0; j < u->size2; j++) {
            double v = gsl_ran_gaussian(rng, 1.0);
            gsl_matrix_set(u, 2, j, v);
            nu += v * v;
        }
        net_backward(net, u);
        for (size_t j = 0; j < u->size2; j++) ng += gsl_matrix_get(net->dx[0], 2, j) * gsl_matrix_get(net->dx[0], 2, j);
        double r = sqrt(ng / nu);
        inside &= r >= lo * (1 - ROUNDING) && r <= hi * (1 + ROUNDING);
    }
    check_true(c, inside, "20 random u: s_min %.4g <= ||J^T u|| / ||u|| <= s_max %.4g", lo, hi);
    gsl_matrix_free(u);
    gsl_rng_free(rng);
    gsl_matrix_free(X);
    net_free(net);
}

static void test_scaled_shortcut_with_F_zero_is_lambda_to_the_L(Check *c)
{
    const char *opts = "--depth 10 --shortcut scaled --lambda 0.5 --order pre --zero-last";
    check_close(c, "lambda_power: 0.5^10 = 9.765625e-4 (papers.md, prediction 3)", measure(c, "lambda_power", opts),
                9.765625e-4, 0, 0);
    check_close(c, "lambda_gain = 1", measure(c, "lambda_gain", opts), 1.0, 0, UNROLL_BOUND);
    check_below(c, "lambda_gain_error", measure(c, "lambda_gain_error", opts), UNROLL_BOUND);
    check_close(c, "F = 0: J = lambda^L I, smallest singular value", measure(c, "jacobian_min_sv", opts), 9.765625e-4, 0, ROUNDING);
    check_close(c, "F = 0: J = lambda^L I, largest singular value", measure(c, "jacobian_max_sv", opts), 9.765625e-4, 0, ROUNDING);
    check_close(c, "lambda -0.8, depth 7: the gain is |lambda|^L",
                measure(c, "lambda_gain", "--depth 7 --shortcut scaled --lambda -0.8 --act identity"), 1.0, 0, UNROLL_BOUND);
    SceneParams p = params(c, SCENE_DEPTH, "--shortcut scaled");
    char err[256] = "";
    check_true(c, lesson_checks_usable(lesson_checks_find("lambda_gain"), &p, err, sizeof err) != 0,
               "lambda_gain refuses post-activation ReLU (the shortcut is masked): %s", err);
}

static void test_path_fraction_closed_form(Check *c)
{
    /* even L: 1/2 + C(L, L/2) / 2^(L+1); odd L: exactly 1/2 (the binomial is symmetric) */
    check_close(c, "L = 10: 1/2 + 252/2048", measure(c, "path_fraction_short", "--depth 10"), 0.5 + 252.0 / 2048.0, 0, ROUNDING);
    check_close(c, "L = 11: 1/2", measure(c, "path_fraction_short", "--depth 11"), 0.5, 0, ROUNDING);
}

static void test_lesions_match_the_lesion_study(Check *c)
{
    const char *opts = "--depth 9 --order pre --branch-scale 0.5";
    SceneParams p = params(c, SCENE_PATHS, opts);
    gsl_matrix *X;
    Net *plain, *net = flow_net(&p, &X, &plain);
    double rel[9], relp[9];
    char err[256] = "";
    paths_lesion(net, X, rel, NULL, err, sizeof err);
    paths_lesion(plain, X, relp, NULL, err, sizeof err);
    size_t k = measure_middle_block(9);
    check_true(c, k == 5, "the middle of 9 blocks is block 5");
    check_close(c, "lesion_error = paths_lesion's rel[k - 1]", measure(c, "lesion_error", opts), rel[k - 1], 0, ROUNDING);
    check_close(c, "plain_lesion_error = the plain twin's", measure(c, "plain_lesion_error", opts), relp[k - 1], 0, ROUNDING);
    check_true(c, measure(c, "lesion_error", "--order pre --zero-last") == 0.0,
               "F = 0: deleting a block changes nothing (0 exactly)");
    gsl_matrix_free(X);
    net_free(plain);
    net_free(net);
}

/* ---- variance ---------------------------------------------------------------------------- */

static void test_variance_growth(Check *c)
{
    const char *opts = "--depth 6 --width 64 --batch 64 --order pre";
    SceneParams p = params(c, SCENE_VARIANCE, opts);
    gsl_matrix *X;
    Net *net = flow_net(&p, &X, NULL);
    double q[7];
    for (size_t l = 0; l <= 6; l++) {
        const gsl_matrix *x = net_x(net, l);
        double s = 0.0;
        for (size_t i = 0; i < x->size1 * x->size2; i++) s += x->data[i] * x->data[i];
        q[l] = s / (double)(x->size1 * x->size2);
    }
    check_close(c, "variance_growth = (q_6 / q_1)^(1/5) from x_l", measure(c, "variance_growth", opts),
                pow(q[6] / q[1], 0.2), 0, 1e-12);
    check_close(c, "predicted, pre order, He: 1 + c^2 = 2 (stats.h)", measure(c, "variance_growth_predicted", opts), 2.0, 0, 1e-12);
    check_close(c, "predicted, plain twin alone: c^2 = 1", measure(c, "variance_growth_predicted", "--shortcut none --order pre"),
                1.0, 0, 1e-12);
    double r = measure(c, "variance_growth_ratio", opts);
    check_true(c, fabs(r - 1.0) < 0.25, "measured / predicted = %.3f within 0.25 of 1 (finite-width scatter, n = B = 64)", r);
    gsl_matrix_free(X);
    net_free(net);
    check_true(c, measure(c, "residual_overflow", "--depth 1000") == 1.0,
               "depth 1000, He, post order: the residual stream overflows (README: from depth ~600)");
    check_true(c, measure(c, "activation_overflow", "--depth 1000") == 0.0, "the plain twin does not overflow");
    check_true(c, measure(c, "residual_overflow", "--depth 50") == 0.0, "depth 50: no overflow");
}

/* ---- the registry ------------------------------------------------------------------------ */

static void test_registry(Check *c)
{
    size_t n = lesson_checks_count(), bad = 0;
    for (size_t i = 0; i < n; i++) {
        const LessonMeasure *m = lesson_checks_at(i);
        int zh_has_han = 0;
        for (const unsigned char *s = (const unsigned char *)m->label[LESSON_ZH]; *s; s++) zh_has_han |= *s >= 0xe4;
        bad += !m->measure || !*m->label[LESSON_EN] || !zh_has_han || strcmp(m->label[LESSON_EN], m->label[LESSON_ZH]) == 0 ||
               lesson_checks_find(m->name) != m;
    }
    check_true(c, n >= 24 && bad == 0, "%zu measures, each with an English and a Chinese label and a unique name", n);
    check_true(c, lesson_checks_find("no_such_measure") == NULL, "an unknown name is not found");
    check_true(c, !lesson_checks_compare(NAN, LESSON_OP_LT, 1.0) && !lesson_checks_compare(NAN, LESSON_OP_GE, 1.0),
               "NaN passes no comparison");
    char buf[64];
    lesson_checks_format(0.99999999999999, LESSON_OP_LT, 1.0, LESSON_EN, buf, sizeof buf);
    check_true(c, strcmp(buf, "1") != 0, "0.99999999999999 < 1 is not printed as '1 < 1' (printed '%s')", buf);
    lesson_checks_format(3.14159e-16, LESSON_OP_LT, 1e-12, LESSON_EN, buf, sizeof buf);
    check_true(c, strcmp(buf, "3.1e-16") == 0, "3.14159e-16 prints as 3.1e-16 ('%s')", buf);
    lesson_checks_format(NAN, LESSON_OP_LT, 1e-12, LESSON_ZH, buf, sizeof buf);
    check_true(c, strcmp(buf, "溢出") == 0, "NaN prints as 溢出 in Chinese ('%s')", buf);
}

/* The training measures train the nets the train scene trains: the same final training errors,
 * bit for bit (the scene's come from its own trainers and population-statistics pass). */
static void test_training_measures_match_the_train_scene(Check *c)
{
    SceneParams p = params(c, SCENE_TRAIN, "--depth 4 --seed 2");
    p.epochs = 3;
    char err[512];
    double plain = NAN, res = NAN;
    int rc = measure_train_error_plain(&p, &plain, err, sizeof err) ||
             measure_train_error_residual(&p, &res, err, sizeof err);
    SceneTrain *s = rc ? NULL : scene_train_alloc(&p, err, sizeof err);
    double sp = s ? scene_train_error(s, SCENE_TRAIN_PLAIN) : NAN;
    double sr = s ? scene_train_error(s, SCENE_TRAIN_RESIDUAL) : NAN;
    check_true(c, !rc && s && plain == sp && res == sr && plain >= 0 && plain <= 1,
               "train_error_plain / _residual = the train scene's errors: %.17g = %.17g, %.17g = %.17g (%s)",
               plain, sp, res, sr, rc ? err : "ok");
    scene_train_free(s);
}

static void test_every_measure_is_fast_at_lesson_sizes(Check *c)
{
    double worst = 0.0;
    const char *slowest = "";
    for (size_t i = 0; i < lesson_checks_count(); i++) {
        const LessonMeasure *m = lesson_checks_at(i);
        const char *opts = strstr(m->name, "lambda") ? "--shortcut scaled --order pre"
                         : strstr(m->name, "projection") ? "--shortcut project --in-width 8"
                         : strstr(m->name, "four_path") ? "--act identity" : "";
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        measure(c, m->name, opts);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double t = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        if (t > worst) worst = t, slowest = m->name;
    }
    /* under valgrind everything is ~50x slower: the bound is then only reported */
    int valgrind = getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload");
    check_true(c, valgrind || worst < SLOW_SECONDS, "slowest measure at the default sizes (depth 10, width 16, batch 8): "
               "%s, %.3f s (bound %.1f s)", slowest, worst, SLOW_SECONDS);
}

int main(void)
{
    Check c = {0};
    test_identity_error_is_exactly_zero_when_F_is_zero(&c);
    test_block_residual_norm_matches_x1_minus_x0(&c);
    test_projection_error_for_options_A_B_C(&c);
    test_unroll_error_matches_the_caches(&c);
    test_expansion_errors(&c);
    test_gradient_measures_print_what_reslab_flow_prints(&c);
    test_gradcheck_measures_print_what_reslab_gradcheck_prints(&c);
    test_jacobian_extremes_bound_the_gradient(&c);
    test_scaled_shortcut_with_F_zero_is_lambda_to_the_L(&c);
    test_path_fraction_closed_form(&c);
    test_lesions_match_the_lesion_study(&c);
    test_variance_growth(&c);
    test_registry(&c);
    test_training_measures_match_the_train_scene(&c);
    test_every_measure_is_fast_at_lesson_sizes(&c);
    return check_done(&c);
}
