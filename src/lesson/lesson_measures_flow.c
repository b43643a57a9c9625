/* lesson_measures_flow.c: the measures of whole nets: gradient flow, the Jacobian, the scaled
 * shortcut, paths and lesions, gradient checks, variance. (One block and the unrolled sum:
 * lesson_measures.c.)
 *
 * Legend: B batch, n width, L depth; x_l (B, n) the stream after block l; g_l = ||dL/dx_l||_F
 * with the analysis loss L = 0.5 ||x_L||^2 / B (net.h), as `reslab flow` prints them.
 */
#include <math.h>
#include <stdlib.h>

#include "jacobian.h"
#include "lesson_measures.h"
#include "netcheck.h"
#include "paths.h"
#include "stats.h"
#include "scene_variance.h"
#include "status.h"

/* ---- gradient flow ---------------------------------------------------------------------- */

/* g_0 and g_L of the residual net and its plain twin (backward after the forward pass). */
typedef struct {
    double res0, resL, plain0, plainL;
} Grads;

static int flow_grads(const SceneParams *p, Grads *g, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    MeasureNets f;
    size_t L = c.depth;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 1, &f, err, errlen);
    double *n = rc ? NULL : malloc((L + 1) * sizeof *n);
    if (!rc && !n) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    if (!rc) {
        net_loss_backward(f.res);
        net_grad_norms(f.res, n);
        g->res0 = n[0], g->resL = n[L];
        net_loss_backward(f.plain);
        net_grad_norms(f.plain, n);
        g->plain0 = n[0], g->plainL = n[L];
    }
    free(n);
    measure_flow_free(&f);
    return rc;
}

/* A quotient of two norms; NaN when either overflowed (inf or NaN). */
static double ratio(double a, double b)
{
    return isfinite(a) && isfinite(b) ? a / b : NAN;
}

/* g_0 of the plain twin: ||dL/dx_0||. */
int measure_plain_grad0(const SceneParams *p, double *v, char *err, size_t errlen)
{
    Grads g;
    int rc = flow_grads(p, &g, err, errlen);
    if (!rc) *v = isfinite(g.plain0) ? g.plain0 : NAN;
    return rc;
}

/* g_0 of the residual net. */
int measure_residual_grad0(const SceneParams *p, double *v, char *err, size_t errlen)
{
    Grads g;
    int rc = flow_grads(p, &g, err, errlen);
    if (!rc) *v = isfinite(g.res0) ? g.res0 : NAN;
    return rc;
}

/* g_0(plain) / g_0(residual). */
int measure_grad0_ratio(const SceneParams *p, double *v, char *err, size_t errlen)
{
    Grads g;
    int rc = flow_grads(p, &g, err, errlen);
    if (!rc) *v = ratio(g.plain0, g.res0);
    return rc;
}

/* g_0 / g_L of the plain twin (the gain line of `reslab flow`). */
int measure_plain_gain(const SceneParams *p, double *v, char *err, size_t errlen)
{
    Grads g;
    int rc = flow_grads(p, &g, err, errlen);
    if (!rc) *v = ratio(g.plain0, g.plainL);
    return rc;
}

/* g_0 / g_L of the residual net. */
int measure_residual_gain(const SceneParams *p, double *v, char *err, size_t errlen)
{
    Grads g;
    int rc = flow_grads(p, &g, err, errlen);
    if (!rc) *v = ratio(g.res0, g.resL);
    return rc;
}

/* ---- the Jacobian ----------------------------------------------------------------------- */

/* The singular values of J into s as jacobian_singular_values; if GSL's SVD does not converge
 * (it fails on J = dx_L/dx_0 of an exploding net, max |J_ij| ~ 1e158), again on J scaled by a
 * power of two near 1 / max |J_ij| (exact), with s scaled back. */
static int singular_values(gsl_matrix *J, gsl_vector *s, JacobianWork *w)
{
    int rc = jacobian_singular_values(J, s, w);
    if (rc != RESLAB_ERR_INVALID) return rc;
    double m = 0.0;
    for (size_t i = 0; i < J->size1; i++)
        for (size_t j = 0; j < J->size2; j++) m = fmax(m, fabs(gsl_matrix_get(J, i, j)));
    int e;
    frexp(m, &e);                                            /* m = f 2^e, 0.5 <= f < 1 */
    gsl_matrix_scale(J, ldexp(1.0, -e));
    rc = jacobian_singular_values(J, s, w);
    gsl_vector_scale(s, ldexp(1.0, e));
    return rc;
}

/* The singular values s (n, descending) of J = dx_L/dx_0 for example p->example of the residual
 * net (jacobian.h); which = 0 smallest, 1 largest, 2 s_max / s_min. NaN on overflow. */
static int jacobian_measure(const SceneParams *p, int which, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    if (rc) return rc;
    size_t n = c.width;
    JacobianWork *w = jacobian_work_alloc(f.res);
    gsl_matrix *J = gsl_matrix_alloc(n, n);
    gsl_vector *s = gsl_vector_alloc(n);
    if (!w || !J || !s) {
        rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the Jacobian");
    } else {
        int jr = jacobian_net(f.res, p->example, J, w);
        if (jr == RESLAB_OK) jr = singular_values(J, s, w);
        if (jr == JACOBIAN_OVERFLOW) *v = NAN;
        else if (jr) rc = status_set(err, errlen, jr, "the SVD of dx_L/dx_0 did not converge");
        else *v = which == 0 ? gsl_vector_get(s, n - 1) : which == 1 ? gsl_vector_get(s, 0)
                                                                      : jacobian_condition(s);
    }
    gsl_vector_free(s);
    gsl_matrix_free(J);
    jacobian_work_free(w);
    measure_flow_free(&f);
    return rc;
}

int measure_jacobian_min_sv(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return jacobian_measure(p, 0, v, err, errlen);
}

int measure_jacobian_max_sv(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return jacobian_measure(p, 1, v, err, errlen);
}

int measure_jacobian_condition(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return jacobian_measure(p, 2, v, err, errlen);
}

/* ---- the scaled shortcut ---------------------------------------------------------------- */

/* lambda^L, the shortcut factor of He et al. 2016, Eq. 8 (a closed form). */
int measure_lambda_power(const SceneParams *p, double *v, char *err, size_t errlen)
{
    *v = pow(p->net.lambda, (double)p->net.depth);
    return RESLAB_OK;
}

/* With F = 0 (zero_last) and f = identity, x_L = lambda^L x_0 and dL/dx_0 = lambda^L dL/dx_L,
 * so the measured gain g_0 / g_L divided by |lambda|^L is 1 up to rounding. */
int measure_lambda_gain(const SceneParams *p, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    c.zero_last = 1;
    MeasureNets f;
    size_t L = c.depth;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    double *n = rc ? NULL : malloc((L + 1) * sizeof *n);
    if (!rc && !n) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    if (!rc) {
        net_loss_backward(f.res);
        net_grad_norms(f.res, n);
        *v = ratio(ratio(n[0], n[L]), pow(fabs(c.lambda), (double)L));
    }
    free(n);
    measure_flow_free(&f);
    return rc;
}

/* |lambda_gain - 1|. */
int measure_lambda_gain_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    int rc = measure_lambda_gain(p, v, err, errlen);
    if (!rc) *v = fabs(*v - 1.0);
    return rc;
}

/* ---- paths and lesions ------------------------------------------------------------------ */

/* sum_{k=0}^{floor(L/2)} C(L, k) / 2^L: the share of the 2^L paths that pass through at most
 * half of the branches (Veit et al. 2016; binomial path lengths). */
int measure_path_fraction_short(const SceneParams *p, double *v, char *err, size_t errlen)
{
    size_t L = p->net.depth;
    if (L > PATHS_COUNT_MAX)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "path counts need depth <= %d", PATHS_COUNT_MAX);
    *v = paths_length_fraction_range(L, 0, L / 2);
    return RESLAB_OK;
}

size_t measure_middle_block(size_t L) { return (L + 1) / 2; }

/* ||x_L' - x_L||_F / ||x_L||_F with the middle block k deleted (x_k = x_{k-1}), of the residual
 * net (plain = 0) or of its plain twin (plain = 1); paths_lesion's quantity for one k. */
static int lesion(const SceneParams *p, int plain, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, plain, &f, err, errlen);
    if (rc) return rc;
    const Net *net = plain ? f.plain : f.res;
    gsl_matrix *out = gsl_matrix_alloc(p->batch, c.width);
    if (!out) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    else rc = paths_lesion_one(net, measure_middle_block(c.depth), out, err, errlen);
    if (!rc) {
        const gsl_matrix *xL = net_x(net, c.depth);
        double base = net_frobenius(xL);
        gsl_matrix_sub(out, xL);                             /* x_L' - x_L */
        double d = net_frobenius(out);
        *v = !isfinite(base) || !isfinite(d) ? NAN : base > 0 ? d / base : d;
    }
    gsl_matrix_free(out);
    measure_flow_free(&f);
    return rc;
}

int measure_lesion_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return lesion(p, 0, v, err, errlen);
}

int measure_plain_lesion_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return lesion(p, 1, v, err, errlen);
}

/* ---- gradient checking ------------------------------------------------------------------ */

/* `reslab gradcheck --entries 20` with the step's options: mt19937(seed) draws the net and X,
 * mt19937(seed + 1) samples the entries, h = 1e-6. which = 0: the worst relative error over
 * every tensor (kinks left out); 1: the number of entries left out at kinks. */
static int gradcheck(const SceneParams *p, int which, double *v, char *err, size_t errlen)
{
    NetConfig c = p->net;
    c.param_grads = 1;
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    if (rc) return rc;
    gsl_rng *sample = gsl_rng_alloc(gsl_rng_mt19937);
    NetcheckReport rep;
    if (!sample) {
        rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    } else {
        gsl_rng_set(sample, p->seed + 1);
        GradcheckOptions o = {GRADCHECK_DEFAULT_STEP, LESSON_GRADCHECK_ENTRIES, sample};
        rc = netcheck_net(f.res, f.X, &o, &rep, err, errlen);
    }
    if (!rc) {
        double worst = 0.0, kinks = 0.0;
        for (size_t i = 0; i < rep.count; i++) {
            if (rep.results[i].checked && !(rep.results[i].worst_rel <= worst))
                worst = rep.results[i].worst_rel;          /* a NaN error wins */
            kinks += (double)rep.results[i].kinks;
        }
        *v = which == 0 ? worst : kinks;
        netcheck_report_free(&rep);
    }
    gsl_rng_free(sample);
    measure_flow_free(&f);
    return rc;
}

int measure_gradcheck_max_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return gradcheck(p, 0, v, err, errlen);
}

int measure_gradcheck_kinks(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return gradcheck(p, 1, v, err, errlen);
}

/* ---- variance --------------------------------------------------------------------------- */

/* The layer statistics of the residual net (plain = 0) or the plain twin, into *s (L + 1). */
static int layer_stats(const SceneParams *p, int plain, StatsLayer **s, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    MeasureNets f;
    /* the batch the variance scene uses (at least SCENE_VARIANCE_MIN_BATCH), so that the step's
     * figure and its checks describe the same nets */
    size_t B = p->batch > SCENE_VARIANCE_MIN_BATCH ? p->batch : SCENE_VARIANCE_MIN_BATCH;
    int rc = measure_flow_nets(&c, B, p->seed, plain, &f, err, errlen);
    if (rc) return rc;
    *s = malloc((c.depth + 1) * sizeof **s);
    if (!*s) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    else stats_layers(plain ? f.plain : f.res, *s);
    measure_flow_free(&f);
    return rc;
}

/* The measured growth of the second moment q_l = mean(x_l^2) per block: (q_L / q_1)^(1/(L-1))
 * (the geometric mean over blocks 2..L, which share one predicted factor; block 1 may differ),
 * or q_1 / q_0 for L = 1. NaN on overflow. */
int measure_variance_growth(const SceneParams *p, double *v, char *err, size_t errlen)
{
    StatsLayer *s;
    size_t L = p->net.depth;
    int rc = layer_stats(p, 0, &s, err, errlen);
    if (rc) return rc;
    double a = L == 1 ? s[0].q : s[1].q, b = s[L].q;
    int bad = s[L].overflow || s[L > 1].overflow || !(a > 0) || !(b > 0);
    *v = bad ? NAN : exp((log(b) - log(a)) / (double)(L == 1 ? 1 : L - 1));
    free(s);
    return RESLAB_OK;
}

/* stats_predicted_factor: E q_l / E q_{l-1} by variance propagation (stats.h). */
int measure_variance_growth_predicted(const SceneParams *p, double *v, char *err, size_t errlen)
{
    *v = stats_predicted_factor(&p->net);
    if (isnan(*v))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "variance propagation has no prediction for these options (stats.h)");
    return RESLAB_OK;
}

/* measured / predicted growth per block: near 1 (finite-width scatter O(1/sqrt(n B))). */
int measure_variance_growth_ratio(const SceneParams *p, double *v, char *err, size_t errlen)
{
    double m, q;
    int rc = measure_variance_growth_predicted(p, &q, err, errlen);
    if (!rc) rc = measure_variance_growth(p, &m, err, errlen);
    if (!rc) *v = ratio(m, q);
    return rc;
}

/* 1 if some x_l, l = 0..L, holds inf or NaN or has a second moment beyond the largest double
 * (stats_layers), else 0. */
static int overflow(const SceneParams *p, int plain, double *v, char *err, size_t errlen)
{
    StatsLayer *s;
    int rc = layer_stats(p, plain, &s, err, errlen);
    if (rc) return rc;
    *v = 0.0;
    for (size_t l = 0; l <= p->net.depth; l++)
        if (s[l].overflow) *v = 1.0;
    free(s);
    return RESLAB_OK;
}

int measure_activation_overflow(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return overflow(p, 1, v, err, errlen);
}

int measure_residual_overflow(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return overflow(p, 0, v, err, errlen);
}
