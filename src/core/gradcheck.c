/* gradcheck.c: central-difference gradient checking with kink detection (see gradcheck.h). */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

GradcheckOptions gradcheck_options_default(void)
{
    GradcheckOptions o = {.step = GRADCHECK_DEFAULT_STEP, .max_entries = 0, .rng = NULL};
    return o;
}

GradcheckVerdict gradcheck_verdict(double rel)
{
    if (rel < GRADCHECK_OK_BELOW) return GRADCHECK_OK;
    if (rel <= GRADCHECK_WRONG_ABOVE) return GRADCHECK_SUSPECT;
    return GRADCHECK_WRONG;                             /* also NaN */
}

const char *gradcheck_verdict_name(GradcheckVerdict v)
{
    switch (v) {
    case GRADCHECK_OK: return "correct";
    case GRADCHECK_SUSPECT: return "suspect";
    case GRADCHECK_WRONG: return "wrong";
    case GRADCHECK_UNCHECKED: return "unchecked";
    }
    return "?";
}

typedef struct {
    unsigned char *plus, *minus;   /* kink patterns at theta + h and theta - h */
    double jitter;                 /* measured rounding noise of the loss near theta */
} KinkScratch;

/* The loss's rounding noise near theta, measured: L at value[i] + k delta, k = -4..4, with
 * delta = 1e-9 max(|value[i]|, 1) (small enough that L is a parabola in k to far below eps |L|,
 * large enough to change the low bits of every intermediate); the largest deviation of the nine
 * values from their least-squares parabola a + b k + c k^2 (sums over k: k^2 60, k^4 708). */
static double loss_jitter(const GradcheckTarget *t, const GradcheckTensor *ts, size_t i)
{
    double saved = ts->value[i], delta = 1e-9 * fmax(fabs(saved), 1.0), L[9];
    double s0 = 0, s1 = 0, s2 = 0, dev = 0;
    for (int k = -4; k <= 4; k++) {
        ts->value[i] = saved + k * delta;
        L[k + 4] = t->loss(t->ctx);
    }
    ts->value[i] = saved;
    for (int k = -4; k <= 4; k++) s0 += L[k + 4], s1 += k * L[k + 4], s2 += k * k * L[k + 4];
    double b = s1 / 60.0, c = (9.0 * s2 - 60.0 * s0) / (9.0 * 708.0 - 60.0 * 60.0);
    double a = (s0 - 60.0 * c) / 9.0;
    for (int k = -4; k <= 4; k++) dev = fmax(dev, fabs(L[k + 4] - (a + b * k + c * k * k)));
    return isfinite(dev) ? dev : 0.0;
}

/* Checks one entry: perturbs value[i] to +h and -h, restores it, updates r. */
static void check_entry(const GradcheckTarget *t, const GradcheckTensor *ts, size_t i, double h,
                        KinkScratch *k, GradcheckResult *r)
{
    double saved = ts->value[i];
    ts->value[i] = saved + h;
    double lp = t->loss(t->ctx);
    if (t->kinks) t->kinks(t->ctx, k->plus);
    ts->value[i] = saved - h;
    double lm = t->loss(t->ctx);
    if (t->kinks) t->kinks(t->ctx, k->minus);
    ts->value[i] = saved;                               /* restored exactly */
    if (t->kinks && memcmp(k->plus, k->minus, t->kink_len) != 0) {
        r->kinks++;                                     /* a kink lies within the step */
        return;
    }
    double num = (lp - lm) / (2.0 * h), a = ts->grad[i];
    /* resolution floor: rounding noise of the two loss values over 2h, at 1e-7; the noise is
     * the larger of a few ulps of L and the measured jitter (which grows with depth) */
    double noise = fmax(GRADCHECK_NOISE_ULPS * DBL_EPSILON * (fabs(lp) + fabs(lm)),
                        GRADCHECK_JITTER_SAFETY * 2.0 * k->jitter);
    double tiny = noise / (2.0 * h) / GRADCHECK_OK_BELOW;
    double den = fmax(fmax(fabs(a), fabs(num)), fmax(tiny, DBL_MIN));
    double rel = fabs(a - num) / den;
    if (isnan(rel)) rel = INFINITY;                     /* inf/NaN gradients are wrong */
    r->checked++;
    r->sum_abs_numeric += fabs(num);
    if (tiny > r->tiny) r->tiny = tiny;
    if (r->checked == 1 || rel > r->worst_rel) {
        r->worst_rel = rel;
        r->worst_index = i;
        r->worst_analytic = a;
        r->worst_numeric = num;
    }
}

/* Indices to check: all, or a sample of m drawn without replacement (gsl_rng, Knuth's S). */
static void check_tensor(const GradcheckTarget *t, const GradcheckTensor *ts,
                         const GradcheckOptions *o, KinkScratch *k, GradcheckResult *r)
{
    *r = (GradcheckResult){.name = ts->name, .len = ts->len};
    size_t m = o->max_entries && o->max_entries < ts->len ? o->max_entries : ts->len;
    size_t chosen = 0;
    k->jitter = ts->len ? loss_jitter(t, ts, 0) : 0.0;
    for (size_t i = 0; i < ts->len && chosen < m; i++) {
        if (m < ts->len && gsl_rng_uniform(o->rng) * (double)(ts->len - i) >= (double)(m - chosen))
            continue;                                   /* selection sampling */
        chosen++;
        check_entry(t, ts, i, o->step, k, r);
    }
    r->verdict = r->checked ? gradcheck_verdict(r->worst_rel) : GRADCHECK_UNCHECKED;
}

int gradcheck_run(const GradcheckTarget *t, const GradcheckTensor *tensors, size_t ntensors,
                  const GradcheckOptions *opt, GradcheckResult *results, char *err,
                  size_t errlen)
{
    if (!(opt->step > 0.0) || !isfinite(opt->step))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "the step h must be positive and finite");
    if (opt->max_entries && !opt->rng)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "sampling entries needs an rng");
    KinkScratch k = {NULL, NULL, 0.0};
    if (t->kinks) {
        k.plus = malloc(t->kink_len ? t->kink_len : 1);
        k.minus = malloc(t->kink_len ? t->kink_len : 1);
        if (!k.plus || !k.minus) {
            free(k.plus);
            free(k.minus);
            return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for %zu kink flags",
                              t->kink_len);
        }
    }
    for (size_t i = 0; i < ntensors; i++) check_tensor(t, &tensors[i], opt, &k, &results[i]);
    free(k.plus);
    free(k.minus);
    t->loss(t->ctx);                                    /* leave the target at theta */
    return RESLAB_OK;
}
