/* test_softmax.c: softmax cross-entropy. Claims: uniform logits give loss = log k exactly; every
 * row of dZ sums to 0; loss, P and dZ match a naive implementation (no max shift) and a
 * two-class closed form; huge logits neither overflow nor lose the exact answer; dZ passes the
 * gradient check; accuracy takes the first maximum; P without labels is the same P. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "gradcheck.h"
#include "softmax.h"
#include "testutil.h"

#define ROW_SUM_TOL 1e-15      /* sum_j (P_bj - Y_bj) / B: k roundings of values <= 1, k = 10 */
#define NAIVE_RTOL 1e-14       /* two orders of the same sums of exp, logits of size <= 3 */
#define CLOSED_FORM_TOL 1e-16  /* 1/4, 3/4 and log 4 - log 3 differ by at most an ulp or two */

/* The textbook form without the max shift: P = exp(z) / sum exp(z), l = -log P_y. Fine for
 * small logits, overflows for large ones (that is why softmax.c shifts). */
static double naive_loss(const gsl_matrix *Z, const int *y, gsl_matrix *P)
{
    double total = 0.0;
    for (size_t b = 0; b < Z->size1; b++) {
        double s = 0.0;
        for (size_t j = 0; j < Z->size2; j++) s += exp(gsl_matrix_get(Z, b, j));
        for (size_t j = 0; j < Z->size2; j++) gsl_matrix_set(P, b, j, exp(gsl_matrix_get(Z, b, j)) / s);
        total += -log(gsl_matrix_get(P, b, (size_t)y[b]));
    }
    return total / (double)Z->size1;
}

static void test_uniform_logits_give_log_k(Check *c)
{
    const size_t ks[] = {2, 3, 10}, bs[] = {1, 2, 4};
    const double levels[] = {0.0, 7.5, -123.25};
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 3; b++)
            for (size_t l = 0; l < 3; l++) {
                size_t k = ks[a], B = bs[b];
                gsl_matrix *Z = gsl_matrix_alloc(B, k), *P = gsl_matrix_alloc(B, k);
                gsl_matrix_set_all(Z, levels[l]);
                int y[4] = {0, (int)k - 1, 1, 0};
                double loss = softmax_xent_forward(Z, y, P);
                int exact = loss == log((double)k);      /* B a power of two: the mean is exact */
                for (size_t i = 0; i < B; i++)
                    for (size_t j = 0; j < k; j++) exact &= gsl_matrix_get(P, i, j) == 1.0 / (double)k;
                check_true(c, exact, "uniform logits %g, k %zu, B %zu: loss %.17g == log k, P = 1/k",
                           levels[l], k, B, loss);
                gsl_matrix_free(Z), gsl_matrix_free(P);
            }
}

static void test_dz_rows_sum_to_zero_and_match_naive(Check *c)
{
    gsl_rng *rng = tu_rng(11);
    size_t B = 5, k = 10;
    gsl_matrix *Z = gsl_matrix_alloc(B, k), *P = gsl_matrix_alloc(B, k), *Pn = gsl_matrix_alloc(B, k);
    gsl_matrix *dZ = gsl_matrix_alloc(B, k);
    tu_fill(Z, rng, 1.0);
    int y[5] = {3, 0, 9, 3, 7};
    double loss = softmax_xent_forward(Z, y, P), want = naive_loss(Z, y, Pn);
    softmax_xent_backward(P, y, dZ);
    double worst = 0.0, worst_p = 0.0, worst_dz = 0.0;
    for (size_t b = 0; b < B; b++) {
        double s = 0.0;
        for (size_t j = 0; j < k; j++) {
            s += gsl_matrix_get(dZ, b, j);
            double pn = gsl_matrix_get(Pn, b, j);
            worst_p = fmax(worst_p, fabs(gsl_matrix_get(P, b, j) - pn) / pn);
            double dn = (pn - ((size_t)y[b] == j)) / (double)B;   /* (P - Y) / B from the naive P */
            worst_dz = fmax(worst_dz, fabs(gsl_matrix_get(dZ, b, j) - dn) / fabs(dn));
        }
        worst = fmax(worst, fabs(s));
    }
    gsl_matrix *Pf = gsl_matrix_alloc(B, k);
    softmax_forward(Z, Pf);
    check_true(c, gsl_matrix_equal(Pf, P), "softmax_forward (no labels) = the P of softmax_xent_forward");
    gsl_matrix_free(Pf);
    check_below(c, "every row of dZ sums to 0", worst, ROW_SUM_TOL);
    check_close(c, "loss = naive -mean log(exp(z_y) / sum exp(z))", loss, want, 0.0, NAIVE_RTOL);
    check_below(c, "P = naive softmax (worst relative)", worst_p, NAIVE_RTOL);
    check_below(c, "dZ = (naive P - Y) / B (worst relative)", worst_dz, 10 * NAIVE_RTOL);
    gsl_matrix_free(Z), gsl_matrix_free(P), gsl_matrix_free(Pn), gsl_matrix_free(dZ);
    gsl_rng_free(rng);
}

/* z = (0, log 3): P = (1/4, 3/4); label 0: loss = log 4, dZ = (1/4 - 1, 3/4) / B. */
static void test_two_class_closed_form(Check *c)
{
    gsl_matrix *Z = gsl_matrix_alloc(1, 2), *P = gsl_matrix_alloc(1, 2), *dZ = gsl_matrix_alloc(1, 2);
    gsl_matrix_set(Z, 0, 0, 0.0);
    gsl_matrix_set(Z, 0, 1, log(3.0));
    int y = 0;
    double loss = softmax_xent_forward(Z, &y, P);
    softmax_xent_backward(P, &y, dZ);
    check_close(c, "two classes: loss = log 4", loss, log(4.0), 4 * CLOSED_FORM_TOL, 0.0);
    check_close(c, "two classes: P_0 = 1/4", gsl_matrix_get(P, 0, 0), 0.25, CLOSED_FORM_TOL, 0.0);
    check_close(c, "two classes: dZ_0 = -3/4", gsl_matrix_get(dZ, 0, 0), -0.75, CLOSED_FORM_TOL, 0.0);
    check_close(c, "two classes: dZ_1 = 3/4", gsl_matrix_get(dZ, 0, 1), 0.75, CLOSED_FORM_TOL, 0.0);
    gsl_matrix_free(Z), gsl_matrix_free(P), gsl_matrix_free(dZ);
}

/* z = (1000, 0, -1000): exp(1000) overflows, the shifted form does not. Label 1: the loss is
 * 1000 + log(1 + e^-1000 + e^-2000), which is 1000 in double; label 0: log(1 + e^-1000) = 0. */
static void test_huge_logits_stay_finite(Check *c)
{
    gsl_matrix *Z = gsl_matrix_alloc(2, 3), *P = gsl_matrix_alloc(2, 3);
    for (size_t b = 0; b < 2; b++) {
        gsl_matrix_set(Z, b, 0, 1000.0);
        gsl_matrix_set(Z, b, 1, 0.0);
        gsl_matrix_set(Z, b, 2, -1000.0);
    }
    int y[2] = {1, 0};
    double loss = softmax_xent_forward(Z, y, P);
    check_true(c, loss == 500.0 && gsl_matrix_get(P, 0, 0) == 1.0 && gsl_matrix_get(P, 1, 1) == 0.0,
               "logits +-1000: loss %.17g == (1000 + 0) / 2, P finite (1, 0, 0)", loss);
    gsl_matrix_free(Z), gsl_matrix_free(P);
}

typedef struct {
    gsl_matrix *Z, *P;
    const int *y;
} SoftCtx;

static double soft_loss(void *ctx)
{
    SoftCtx *s = ctx;
    return softmax_xent_forward(s->Z, s->y, s->P);
}

static void test_dz_passes_gradcheck(Check *c)
{
    gsl_rng *rng = tu_rng(5);
    size_t B = 4, k = 7;
    gsl_matrix *Z = gsl_matrix_alloc(B, k), *P = gsl_matrix_alloc(B, k), *dZ = gsl_matrix_alloc(B, k);
    tu_fill(Z, rng, 2.0);
    int y[4] = {0, 6, 2, 2};
    softmax_xent_forward(Z, y, P);
    softmax_xent_backward(P, y, dZ);
    for (int planted = 0; planted < 2; planted++) {
        if (planted) gsl_matrix_set(dZ, 2, 3, gsl_matrix_get(dZ, 2, 3) * (1.0 + 1e-5));  /* a bug */
        SoftCtx ctx = {Z, P, y};
        GradcheckTarget t = {soft_loss, NULL, 0, &ctx};
        GradcheckTensor ts = {"Z", Z->data, dZ->data, B * k};
        GradcheckOptions o = gradcheck_options_default();
        GradcheckResult r;
        char err[128];
        int rc = gradcheck_run(&t, &ts, 1, &o, &r, err, sizeof err);
        GradcheckVerdict want = planted ? GRADCHECK_SUSPECT : GRADCHECK_OK;
        check_true(c, rc == 0 && r.verdict == want, "%s: dZ vs central differences: %s, worst rel %.2e",
                   planted ? "planted 1e-5 error is caught" : "dZ = (P - Y) / B",
                   gradcheck_verdict_name(r.verdict), r.worst_rel);
    }
    gsl_matrix_free(Z), gsl_matrix_free(P), gsl_matrix_free(dZ);
    gsl_rng_free(rng);
}

static void test_accuracy_takes_first_maximum(Check *c)
{
    const double z[4][3] = {{1, 2, 3}, {5, 5, 1}, {0, 0, 0}, {-1, -3, -2}};
    gsl_matrix *Z = gsl_matrix_alloc(4, 3);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 3; j++) gsl_matrix_set(Z, i, j, z[i][j]);
    int y[4] = {2, 1, 0, 0};           /* right, wrong (tie goes to 0), right (tie), right */
    size_t right = softmax_correct(Z, y);
    check_true(c, right == 3 && softmax_argmax(Z, 1) == 0,
               "argmax ties go to the lowest index: %zu of 4 right (want 3)", right);
    gsl_matrix_free(Z);
}

int main(void)
{
    Check c = {0};
    test_uniform_logits_give_log_k(&c);
    test_dz_rows_sum_to_zero_and_match_naive(&c);
    test_two_class_closed_form(&c);
    test_huge_logits_stay_finite(&c);
    test_dz_passes_gradcheck(&c);
    test_accuracy_takes_first_maximum(&c);
    return check_done(&c);
}
