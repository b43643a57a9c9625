/* gradcheck.h: compare analytic gradients with central differences, tensor by tensor.
 *
 * Usage:
 *     GradcheckTarget t = {.loss = my_loss, .kinks = my_kinks, .kink_len = K, .ctx = &model};
 *     GradcheckTensor ts[] = {{"W1", W1->data, dW1->data, W1->size1 * W1->size2}, ...};
 *     GradcheckOptions o = gradcheck_options_default();
 *     GradcheckResult res[2];
 *     if (gradcheck_run(&t, ts, 2, &o, res, err, sizeof err)) ...   (only allocation can fail)
 *     ... res[i].verdict, res[i].worst_rel, res[i].worst_index ...
 *
 * For every checked entry theta_i of every tensor:
 *     numeric_i = (L(theta + h e_i) - L(theta - h e_i)) / (2h)      error O(h^2) + O(eps L / h)
 *     rel_i     = |a_i - numeric_i| / max(|a_i|, |numeric_i|, tiny_i)
 * tiny_i is the resolution floor of the central difference at this h: the rounding noise of the
 * two loss values over 2h (the larger of 4 eps (|L+| + |L-|) and 8 x twice the loss's measured
 * jitter near theta), divided by GRADCHECK_OK_BELOW. An entry smaller than
 * tiny_i cannot be resolved to 1e-7 by any difference quotient at this h, so its error is measured
 * against the floor instead (it passes iff |a - n| is below the rounding noise).
 * Verdicts (CS231n's bands, docs/math.md):  rel < 1e-7 correct;  <= 1e-4 suspect;  above: wrong.
 * Kinks: if the target reports kink inputs (e.g. the sign of every ReLU input), an entry whose
 * perturbation to +h and -h changes any of them crossed a kink; it is counted in `kinks` and left
 * out of the verdict (a difference quotient across a kink measures nothing).
 * The parameters are perturbed in place and restored exactly (bit for bit) after each entry.
 * Lesson 08.
 */
#ifndef RESLAB_GRADCHECK_H
#define RESLAB_GRADCHECK_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#define GRADCHECK_OK_BELOW 1e-7      /* CS231n: "relative error 1e-7 and less you should be happy" */
#define GRADCHECK_WRONG_ABOVE 1e-4   /* stricter than CS231n's 1e-2: we check in double, at kink-free points */
#define GRADCHECK_DEFAULT_STEP 1e-6
/* Rounding error of one computed loss value: at least a few ulps of |L| (a loss ends a chain of
 * operations), and at least the measured jitter of L near theta (loss_jitter in gradcheck.c,
 * once per tensor), which grows with the depth of the net. The safety factor covers that nine
 * samples see less than the largest deviation. Any error below this floor is invisible to a
 * difference quotient at this h. */
#define GRADCHECK_NOISE_ULPS 4.0
#define GRADCHECK_JITTER_SAFETY 8.0

typedef enum { GRADCHECK_OK, GRADCHECK_SUSPECT, GRADCHECK_WRONG, GRADCHECK_UNCHECKED } GradcheckVerdict;

typedef struct {
    double (*loss)(void *ctx);                        /* forward at the current values */
    void (*kinks)(void *ctx, unsigned char *pattern); /* after loss(): kink_len bytes, or NULL */
    size_t kink_len;
    void *ctx;
} GradcheckTarget;

typedef struct {
    const char *name;
    double *value;        /* len values, perturbed in place and restored */
    const double *grad;   /* len analytic gradients, computed by the caller beforehand */
    size_t len;
} GradcheckTensor;

typedef struct {
    double step;          /* h */
    size_t max_entries;   /* per tensor; 0 = every entry, else a seeded random sample */
    gsl_rng *rng;         /* for the sample (only if max_entries > 0) */
} GradcheckOptions;

typedef struct {
    const char *name;
    size_t len, checked, kinks;
    size_t worst_index;           /* flat index of the largest relative error */
    double worst_rel, worst_analytic, worst_numeric;
    double tiny;                  /* largest resolution floor used */
    double sum_abs_numeric;       /* sum |numeric| over checked entries (an all-zero guard) */
    GradcheckVerdict verdict;
} GradcheckResult;

GradcheckOptions gradcheck_options_default(void);

/* Verdict for one relative error: OK / SUSPECT / WRONG (NaN is WRONG). */
GradcheckVerdict gradcheck_verdict(double rel);

/* "correct", "suspect", "wrong", "unchecked". */
const char *gradcheck_verdict_name(GradcheckVerdict v);

/* Runs the check; results[i] for tensors[i]. RESLAB_OK, or RESLAB_ERR_NOMEM / INVALID. */
int gradcheck_run(const GradcheckTarget *t, const GradcheckTensor *tensors, size_t ntensors,
                  const GradcheckOptions *opt, GradcheckResult *results, char *err,
                  size_t errlen);

#endif
