/* test_gradcheck.c: the gradient checker itself. Claims: it passes a correct gradient, catches
 * a planted bug (and says where), detects kinks instead of counting them, restores every
 * parameter bit for bit, and samples reproducibly. */
#include <string.h>

#include "check.h"
#include "gradcheck.h"
#include "testutil.h"

#define N 6

/* f(t) = sum_i sin(t_i) t_{i+1} + 0.5 t_0^2, smooth, with a known gradient. */
static double smooth_loss(void *ctx)
{
    const double *t = ctx;
    double s = 0.5 * t[0] * t[0];
    for (int i = 0; i + 1 < N; i++) s += sin(t[i]) * t[i + 1];
    return s;
}

static void smooth_grad(const double *t, double *g)
{
    memset(g, 0, N * sizeof *g);
    g[0] = t[0];
    for (int i = 0; i + 1 < N; i++) {
        g[i] += cos(t[i]) * t[i + 1];
        g[i + 1] += sin(t[i]);
    }
}

/* f(t) = sum relu(t_i); kinks: the sign of every t_i. */
static double relu_loss(void *ctx)
{
    const double *t = ctx;
    double s = 0.0;
    for (int i = 0; i < N; i++) s += t[i] > 0 ? t[i] : 0.0;
    return s;
}

static void relu_kinks(void *ctx, unsigned char *p)
{
    const double *t = ctx;
    for (int i = 0; i < N; i++) p[i] = t[i] > 0;
}

static GradcheckResult check_smooth(double *t, const double *g)
{
    GradcheckTarget target = {smooth_loss, NULL, 0, t};
    GradcheckTensor ts = {"t", t, g, N};
    GradcheckOptions o = gradcheck_options_default();
    GradcheckResult r;
    char err[128];
    gradcheck_run(&target, &ts, 1, &o, &r, err, sizeof err);
    return r;
}

static void test_correct_gradient_passes(Check *c)
{
    double t[N] = {0.3, -1.2, 0.7, 2.0, -0.4, 1.1}, g[N];
    smooth_grad(t, g);
    GradcheckResult r = check_smooth(t, g);
    check_true(c, r.verdict == GRADCHECK_OK && r.checked == N,
               "correct gradient of a smooth function: %s, worst rel %.2e", gradcheck_verdict_name(r.verdict), r.worst_rel);
}

static void test_planted_sign_flip_is_caught(Check *c)
{
    double t[N] = {0.3, -1.2, 0.7, 2.0, -0.4, 1.1}, g[N];
    smooth_grad(t, g);
    g[3] = -g[3];                                    /* the planted bug */
    GradcheckResult r = check_smooth(t, g);
    check_true(c, r.verdict == GRADCHECK_WRONG && r.worst_index == 3,
               "sign flip at index 3 caught: %s at index %zu (rel %.2e)", gradcheck_verdict_name(r.verdict), r.worst_index, r.worst_rel);
    smooth_grad(t, g);
    g[1] *= 1.0 + 1e-6;                              /* a small error: suspect, not correct */
    r = check_smooth(t, g);
    check_true(c, r.verdict == GRADCHECK_SUSPECT, "a 1e-6 relative error is suspect: %s (rel %.2e)",
               gradcheck_verdict_name(r.verdict), r.worst_rel);
    smooth_grad(t, g);
    g[2] = NAN;
    r = check_smooth(t, g);
    check_true(c, r.verdict == GRADCHECK_WRONG, "a NaN gradient is wrong: %s", gradcheck_verdict_name(r.verdict));
}

static void test_parameters_restored_bit_for_bit(Check *c)
{
    double t[N] = {0.1, 1.0 / 3.0, -2.7, 1e-300, 5e10, -0.0}, copy[N], g[N];
    memcpy(copy, t, sizeof t);
    smooth_grad(t, g);
    check_smooth(t, g);
    check_true(c, memcmp(t, copy, sizeof t) == 0, "parameters identical after the check (memcmp)");
}

static void test_kinks_are_detected_not_counted(Check *c)
{
    /* t_1 = 3e-7 lies within h = 1e-6 of relu's kink; t_4 = 0 sits on it */
    double t[N] = {0.5, 3e-7, -0.8, 1.5, 0.0, -2.0};
    double g[N] = {1, 1, 0, 1, 0, 0};
    GradcheckTarget target = {relu_loss, relu_kinks, N, t};
    GradcheckTensor ts = {"t", t, g, N};
    GradcheckOptions o = gradcheck_options_default();
    GradcheckResult r;
    char err[128];
    gradcheck_run(&target, &ts, 1, &o, &r, err, sizeof err);
    check_true(c, r.kinks == 2 && r.checked == 4 && r.verdict == GRADCHECK_OK,
               "two kink crossings reported (%zu), four entries checked (%zu), verdict %s", r.kinks, r.checked,
               gradcheck_verdict_name(r.verdict));
    GradcheckTarget blind = {relu_loss, NULL, 0, t};
    gradcheck_run(&blind, &ts, 1, &o, &r, err, sizeof err);
    check_true(c, r.verdict == GRADCHECK_WRONG, "without kink detection the same check reports %s (rel %.2e): kinks matter",
               gradcheck_verdict_name(r.verdict), r.worst_rel);
    double z[N] = {-1, -2, -3, -4, -5, -6}, gz[N] = {0};
    GradcheckTensor tz = {"z", z, gz, N};
    GradcheckTarget tgt = {relu_loss, relu_kinks, N, z};
    gradcheck_run(&tgt, &tz, 1, &o, &r, err, sizeof err);
    check_true(c, r.verdict == GRADCHECK_OK && r.worst_rel == 0.0, "both-zero gradients pass");
}

static void test_sampling_is_reproducible(Check *c)
{
    double t[N] = {0.3, -1.2, 0.7, 2.0, -0.4, 1.1}, g[N];
    smooth_grad(t, g);
    g[5] = 0.0;                                      /* wrong only at index 5 */
    GradcheckTarget target = {smooth_loss, NULL, 0, t};
    GradcheckTensor ts = {"t", t, g, N};
    GradcheckOptions o = gradcheck_options_default();
    GradcheckResult r1, r2;
    char err[128];
    o.max_entries = 3;
    o.rng = tu_rng(5);
    gradcheck_run(&target, &ts, 1, &o, &r1, err, sizeof err);
    gsl_rng_set(o.rng, 5);
    gradcheck_run(&target, &ts, 1, &o, &r2, err, sizeof err);
    check_true(c, r1.checked == 3 && r1.worst_rel == r2.worst_rel && r1.worst_index == r2.worst_index,
               "a seeded sample of 3 entries is the same twice");
    o.step = -1.0;
    check_true(c, gradcheck_run(&target, &ts, 1, &o, &r1, err, sizeof err) != 0, "a negative step is refused: %s", err);
    gsl_rng_free(o.rng);
}

int main(void)
{
    Check c = {0};
    test_correct_gradient_passes(&c);
    test_planted_sign_flip_is_caught(&c);
    test_parameters_restored_bit_for_bit(&c);
    test_kinks_are_detected_not_counted(&c);
    test_sampling_is_reproducible(&c);
    return check_done(&c);
}
