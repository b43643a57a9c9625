/* test_batchnorm.c: batch normalisation in training mode, forward and backward.
 * Claims: every output column has mean beta_j and variance gamma_j^2 var_j/(var_j + eps); a
 * hand-computed 3x2 case (forward exact, backward to rounding); the backward passes a
 * central-difference gradient check for x, gamma and beta (B = 1, 2, 7; k = 1, 5; and k = 70,
 * which spans two of backward's column chunks) and catches a planted bug; the input gradient
 * is orthogonal to shifts of each column, and to scalings when eps = 0 (with eps > 0 it misses
 * by exactly the predicted amount); B = 1 gives y = beta and dx = 0; y = x in place gives the
 * same bytes; backward accumulates and its outputs may be NULL. */
#include <stdio.h>
#include <string.h>

#include "batchnorm.h"
#include "check.h"
#include "gradcheck.h"
#include "testutil.h"

#define EXACT 0.0            /* dyadic inputs chosen so that no operation rounds: bit-exact */
#define ROUNDING 1e-15       /* a handful of double operations on O(1) values */
#define STATS_TOL 1e-12      /* sums over a batch of O(1) values: far below 1e-12 relative */
#define IDENTITY_TOL 1e-12   /* a sum of B terms of size <= max|dx|, relative to max|dx| */

/* A batchnorm layer under the loss L = sum_ij c_ij y_ij^2 / 2, so dL/dy_ij = c_ij y_ij: fixed
 * random weights c of both signs make the upstream gradient differ from entry to entry. */
typedef struct {
    gsl_matrix *x, *y, *c, *dy, *dx;   /* (B, k) each */
    gsl_vector *gamma, *beta, *dgamma, *dbeta;   /* (k) each */
    BatchnormCache *cache;
    double eps;
} Problem;

static void problem_free(Problem *p)
{
    gsl_matrix *m[] = {p->x, p->y, p->c, p->dy, p->dx};
    gsl_vector *v[] = {p->gamma, p->beta, p->dgamma, p->dbeta};
    for (size_t i = 0; i < 5; i++) gsl_matrix_free(m[i]);
    for (size_t i = 0; i < 4; i++) gsl_vector_free(v[i]);
    batchnorm_cache_free(p->cache);
}

/* Column j of x is offset_j + scale_j N(0, 1), with offsets up to a few units and scales from
 * 0.5 to 2.5 (a normalisation that ignored either would show); gamma ~ 1 + N(0, 0.5^2),
 * beta and c ~ N(0, 1). */
static Problem problem_alloc(size_t B, size_t k, double eps, unsigned long seed)
{
    Problem p = {gsl_matrix_alloc(B, k), gsl_matrix_alloc(B, k), gsl_matrix_alloc(B, k),
                 gsl_matrix_alloc(B, k), gsl_matrix_alloc(B, k), gsl_vector_alloc(k),
                 gsl_vector_alloc(k), gsl_vector_alloc(k), gsl_vector_alloc(k),
                 batchnorm_cache_alloc(B, k), eps};
    gsl_rng *rng = tu_rng(seed);
    for (size_t j = 0; j < k; j++) {
        double offset = gsl_ran_gaussian(rng, 3.0), scale = 0.5 + 2.0 * gsl_rng_uniform(rng);
        for (size_t i = 0; i < B; i++)
            gsl_matrix_set(p.x, i, j, offset + scale * gsl_ran_gaussian(rng, 1.0));
        gsl_vector_set(p.gamma, j, 1.0 + gsl_ran_gaussian(rng, 0.5));
    }
    tu_fill_vec(p.beta, rng, 1.0);
    tu_fill(p.c, rng, 1.0);
    gsl_rng_free(rng);
    return p;
}

static double problem_loss(void *ctx)
{
    Problem *p = ctx;
    batchnorm_forward(p->x, p->gamma, p->beta, p->eps, p->y, p->cache);
    double L = 0.0;
    for (size_t i = 0; i < p->y->size1; i++)
        for (size_t j = 0; j < p->y->size2; j++) {
            double y = gsl_matrix_get(p->y, i, j);
            L += 0.5 * gsl_matrix_get(p->c, i, j) * y * y;
        }
    return L;
}

/* Forward, dy = c ⊙ y, then dx, dgamma, dbeta from zero. */
static void problem_gradients(Problem *p)
{
    problem_loss(p);
    gsl_matrix_memcpy(p->dy, p->c);
    gsl_matrix_mul_elements(p->dy, p->y);
    gsl_matrix_set_zero(p->dx);
    gsl_vector_set_zero(p->dgamma);
    gsl_vector_set_zero(p->dbeta);
    batchnorm_backward(p->dy, p->gamma, p->cache, p->dx, p->dgamma, p->dbeta);
}

/* Checks x, gamma and beta against central differences; res[3] gets the three results. */
static void problem_gradcheck(Problem *p, GradcheckResult *res)
{
    GradcheckTarget t = {problem_loss, NULL, 0, p};
    size_t B = p->x->size1, k = p->x->size2;
    GradcheckTensor ts[] = {{"x", p->x->data, p->dx->data, B * k},
                            {"gamma", p->gamma->data, p->dgamma->data, k},
                            {"beta", p->beta->data, p->dbeta->data, k}};
    GradcheckOptions o = gradcheck_options_default();
    char err[128];
    if (gradcheck_run(&t, ts, 3, &o, res, err, sizeof err)) {
        fprintf(stderr, "gradcheck_run: %s\n", err);
        for (int i = 0; i < 3; i++) res[i].verdict = GRADCHECK_UNCHECKED;
    }
}

/* mean and biased variance of column j, two passes */
static void column_moments(const gsl_matrix *m, size_t j, double *mean, double *var)
{
    double s = 0.0, q = 0.0;
    for (size_t i = 0; i < m->size1; i++) s += gsl_matrix_get(m, i, j);
    s /= (double)m->size1;
    for (size_t i = 0; i < m->size1; i++) q += pow(gsl_matrix_get(m, i, j) - s, 2);
    *mean = s;
    *var = q / (double)m->size1;
}

static void test_columns_have_mean_beta_and_scaled_variance(Check *c)
{
    Problem p = problem_alloc(16, 5, BATCHNORM_EPS, 11);
    batchnorm_forward(p.x, p.gamma, p.beta, p.eps, p.y, p.cache);
    double worst_mean = 0.0, worst_var = 0.0;
    for (size_t j = 0; j < 5; j++) {
        double mx, vx, my, vy, g = gsl_vector_get(p.gamma, j), b = gsl_vector_get(p.beta, j);
        column_moments(p.x, j, &mx, &vx);
        column_moments(p.y, j, &my, &vy);
        double want_var = g * g * vx / (vx + p.eps);
        worst_mean = fmax(worst_mean, fabs(my - b) / fmax(fabs(g) + fabs(b), 1.0));
        worst_var = fmax(worst_var, fabs(vy - want_var) / want_var);
    }
    check_below(c, "B 16 k 5: every column's mean is beta_j (error / max(|gamma| + |beta|, 1))",
                worst_mean, STATS_TOL);
    check_below(c, "B 16 k 5: every column's variance is gamma_j^2 var/(var + eps) (relative)",
                worst_var, STATS_TOL);
    problem_free(&p);
}

/* x = [0 2; 0 -4; 3 5] with eps = 2, chosen so that var + eps is a perfect square:
 *   column 0: mu 1, deviations (-1, -1, 2), var 6/3 = 2,   sqrt(2 + 2) = 2,   xhat (-1/2, -1/2, 1)
 *   column 1: mu 1, deviations (1, -5, 4),  var 42/3 = 14, sqrt(14 + 2) = 4,  xhat (1/4, -5/4, 1)
 * gamma = (2, -1/2), beta = (1/4, 3):  y = [-3/4 23/8; -3/4 29/8; 9/4 5/2].
 * Backward with dy = [1 0; 0 0; 0 1]:
 *   column 0: gamma inv_std = 1, mean dy = 1/3, mean(dy xhat) = -1/6,
 *             dx = dy - 1/3 + xhat/6 = (7/12, -5/12, -1/6);  dgamma = -1/2, dbeta = 1
 *   column 1: gamma inv_std = -1/8, mean dy = 1/3, mean(dy xhat) = 1/3,
 *             dx = -(dy - 1/3 - xhat/3)/8 = (5/96, -1/96, -1/24);  dgamma = 1, dbeta = 1.
 * Column 0 also shows eps at work: sum_i dx xhat = -1/4, not 0, = gamma inv_std sum(dy xhat)
 * eps/(var + eps) = 1 (-1/2) (2/4). */
static void test_hand_computed_3x2(Check *c)
{
    double xv[] = {0, 2, 0, -4, 3, 5}, dyv[] = {1, 0, 0, 0, 0, 1}, gv[] = {2, -0.5}, bv[] = {0.25, 3};
    double yw[] = {-0.75, 2.875, -0.75, 3.625, 2.25, 2.5};
    double dxw[] = {7.0 / 12, 5.0 / 96, -5.0 / 12, -1.0 / 96, -1.0 / 6, -1.0 / 24};
    gsl_matrix_view x = gsl_matrix_view_array(xv, 3, 2), dy = gsl_matrix_view_array(dyv, 3, 2);
    gsl_matrix_view yw_m = gsl_matrix_view_array(yw, 3, 2), dxw_m = gsl_matrix_view_array(dxw, 3, 2);
    gsl_vector_view gamma = gsl_vector_view_array(gv, 2), beta = gsl_vector_view_array(bv, 2);
    BatchnormCache *cache = batchnorm_cache_alloc(3, 2);
    gsl_matrix *y = gsl_matrix_alloc(3, 2), *dx = gsl_matrix_calloc(3, 2);
    gsl_vector *dgamma = gsl_vector_calloc(2), *dbeta = gsl_vector_calloc(2);
    batchnorm_forward(&x.matrix, &gamma.vector, &beta.vector, 2.0, y, cache);
    check_close(c, "3x2 by hand: y exactly", tu_maxdiff(y, &yw_m.matrix), 0.0, EXACT, 0);
    double *m = cache->mean->data, *v = cache->var->data, *s = cache->inv_std->data;
    check_true(c, m[0] == 1 && m[1] == 1 && v[0] == 2 && v[1] == 14 && s[0] == 0.5 && s[1] == 0.25,
               "3x2 by hand: mean (1, 1), var (2, 14), inv_std (1/2, 1/4) exactly");
    batchnorm_backward(&dy.matrix, &gamma.vector, cache, dx, dgamma, dbeta);
    check_close(c, "3x2 by hand: dx", tu_maxdiff(dx, &dxw_m.matrix), 0.0, ROUNDING, 0);
    check_true(c, gsl_vector_get(dgamma, 0) == -0.5 && gsl_vector_get(dgamma, 1) == 1.0 &&
                  gsl_vector_get(dbeta, 0) == 1.0 && gsl_vector_get(dbeta, 1) == 1.0,
               "3x2 by hand: dgamma (-1/2, 1), dbeta (1, 1) exactly");
    batchnorm_cache_free(cache);
    gsl_matrix_free(y);
    gsl_matrix_free(dx);
    gsl_vector_free(dgamma);
    gsl_vector_free(dbeta);
}

static void test_backward_passes_gradcheck(Check *c)
{
    unsigned long seed = 100;
    /* the grid B in {1, 2, 7} x k in {1, 5}, plus B 3, k 70 (two column chunks in backward) */
    const size_t cases[][2] = {{1, 1}, {1, 5}, {2, 1}, {2, 5}, {7, 1}, {7, 5}, {3, 70}};
    for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++) {
        size_t B = cases[n][0], k = cases[n][1];
        Problem p = problem_alloc(B, k, BATCHNORM_EPS, seed++);
        GradcheckResult r[3];
        problem_gradients(&p);
        problem_gradcheck(&p, r);
        int ok = r[0].verdict == GRADCHECK_OK && r[1].verdict == GRADCHECK_OK &&
                 r[2].verdict == GRADCHECK_OK;
        check_true(c, ok, "gradcheck B %zu k %zu: x %s (worst rel %.2e), gamma %s (%.2e), beta %s (%.2e)",
                   B, k, gradcheck_verdict_name(r[0].verdict), r[0].worst_rel,
                   gradcheck_verdict_name(r[1].verdict), r[1].worst_rel,
                   gradcheck_verdict_name(r[2].verdict), r[2].worst_rel);
        problem_free(&p);
    }
}

/* B = 1: the only example is its own mean, so xhat = 0: y = beta and dx = 0, bit for bit. */
static void test_batch_of_one_gives_beta_and_no_input_gradient(Check *c)
{
    Problem p = problem_alloc(1, 5, BATCHNORM_EPS, 3);
    problem_gradients(&p);
    gsl_vector_view y0 = gsl_matrix_row(p.y, 0), dx0 = gsl_matrix_row(p.dx, 0);
    check_true(c, gsl_vector_equal(&y0.vector, p.beta) && gsl_vector_isnull(&dx0.vector) &&
                  gsl_vector_isnull(p.dgamma),
               "B 1: y = beta, dx = 0 and dgamma = 0 exactly");
    problem_free(&p);
}

/* Worst |sum_i dx_ij| and |sum_i dx_ij xhat_ij - want_j| over the columns, over max |dx|;
 * want_j = gamma_j inv_std_j (sum_i dy_ij xhat_ij) eps / (var_j + eps), 0 when eps = 0. */
static void identity_errors(const Problem *p, double *shift, double *scale, double *scale_raw)
{
    double mx = tu_maxabs(p->dx);
    *shift = *scale = *scale_raw = 0.0;
    for (size_t j = 0; j < p->x->size2; j++) {
        double s = 0.0, sx = 0.0, sdyx = 0.0;
        for (size_t i = 0; i < p->x->size1; i++) {
            double h = gsl_matrix_get(p->cache->xhat, i, j);
            s += gsl_matrix_get(p->dx, i, j);
            sx += gsl_matrix_get(p->dx, i, j) * h;
            sdyx += gsl_matrix_get(p->dy, i, j) * h;
        }
        double var = gsl_vector_get(p->cache->var, j);
        double want = gsl_vector_get(p->gamma, j) * gsl_vector_get(p->cache->inv_std, j) * sdyx *
                      p->eps / (var + p->eps);
        *shift = fmax(*shift, fabs(s) / mx);
        *scale = fmax(*scale, fabs(sx - want) / mx);
        *scale_raw = fmax(*scale_raw, fabs(sx) / mx);
    }
}

static void test_input_gradient_orthogonal_to_shift_and_scale(Check *c)
{
    double shift, scale, raw;
    Problem p = problem_alloc(7, 150, 0.0, 21);       /* k 150: three column chunks */
    problem_gradients(&p);
    identity_errors(&p, &shift, &scale, &raw);
    check_below(c, "eps 0, B 7 k 150: max_j |sum_i dx_ij| / max|dx| (shift invariance)", shift,
                IDENTITY_TOL);
    check_below(c, "eps 0, B 7 k 150: max_j |sum_i dx_ij xhat_ij| / max|dx| (scale invariance)",
                scale, IDENTITY_TOL);
    problem_free(&p);
    p = problem_alloc(7, 150, BATCHNORM_EPS, 21);
    problem_gradients(&p);
    identity_errors(&p, &shift, &scale, &raw);
    check_below(c, "eps 1e-5, B 7 k 150: max_j |sum_i dx_ij| / max|dx| (still exact)", shift,
                IDENTITY_TOL);
    check_true(c, raw > 1e3 * IDENTITY_TOL,
               "eps 1e-5: sum_i dx_ij xhat_ij is not 0 (up to %.2e max|dx|): eps breaks scale invariance",
               raw);
    check_below(c, "eps 1e-5: it equals gamma inv_std sum(dy xhat) eps/(var + eps) (error / max|dx|)",
                scale, IDENTITY_TOL);
    problem_free(&p);
}

/* The bug: dx without its third term, gamma inv_std (dy - mean dy). Made from the correct dx
 * by adding the term back: dx_bug = dx + gamma_j inv_std_j xhat_ij mean_i(dy_ij xhat_ij). */
static void test_planted_bug_is_caught(Check *c)
{
    Problem p = problem_alloc(7, 5, BATCHNORM_EPS, 31);
    problem_gradients(&p);
    size_t B = 7;
    for (size_t j = 0; j < 5; j++) {
        double m = gsl_vector_get(p.dgamma, j) / (double)B;   /* dgamma_j = sum_i dy xhat */
        double s = gsl_vector_get(p.gamma, j) * gsl_vector_get(p.cache->inv_std, j);
        for (size_t i = 0; i < B; i++)
            *gsl_matrix_ptr(p.dx, i, j) += s * gsl_matrix_get(p.cache->xhat, i, j) * m;
    }
    GradcheckResult r[3];
    problem_gradcheck(&p, r);
    check_true(c, r[0].verdict == GRADCHECK_WRONG,
               "planted bug (third term dropped) caught: x %s, worst rel %.2e at entry %zu",
               gradcheck_verdict_name(r[0].verdict), r[0].worst_rel, r[0].worst_index);
    problem_free(&p);
}

static int cache_equal(const BatchnormCache *a, const BatchnormCache *b)
{
    return gsl_matrix_equal(a->xhat, b->xhat) && gsl_vector_equal(a->mean, b->mean) &&
           gsl_vector_equal(a->var, b->var) && gsl_vector_equal(a->inv_std, b->inv_std);
}

static void test_in_place_gives_the_same_bytes(Check *c)
{
    Problem p = problem_alloc(9, 6, BATCHNORM_EPS, 41);
    BatchnormCache *c2 = batchnorm_cache_alloc(9, 6);
    gsl_matrix *inplace = gsl_matrix_alloc(9, 6);
    gsl_matrix_memcpy(inplace, p.x);
    batchnorm_forward(p.x, p.gamma, p.beta, p.eps, p.y, p.cache);
    batchnorm_forward(inplace, p.gamma, p.beta, p.eps, inplace, c2);
    check_true(c, memcmp(inplace->data, p.y->data, 9 * 6 * sizeof(double)) == 0 && cache_equal(p.cache, c2),
               "y = x (in place) gives the same bytes as separate buffers, and the same cache");
    gsl_matrix_free(inplace);
    batchnorm_cache_free(c2);
    problem_free(&p);
}

/* A second call adds the same values again (v + v = 2v exactly), and leaving an output out
 * (NULL) does not change the others. */
static void test_backward_accumulates_and_allows_null(Check *c)
{
    Problem p = problem_alloc(5, 4, BATCHNORM_EPS, 51);
    problem_gradients(&p);
    gsl_matrix *dx1 = gsl_matrix_alloc(5, 4);
    gsl_vector *dg1 = gsl_vector_alloc(4), *db1 = gsl_vector_alloc(4);
    gsl_matrix_memcpy(dx1, p.dx);
    gsl_vector_memcpy(dg1, p.dgamma);
    gsl_vector_memcpy(db1, p.dbeta);
    batchnorm_backward(p.dy, p.gamma, p.cache, p.dx, p.dgamma, p.dbeta);
    gsl_matrix_scale(dx1, 2.0);
    gsl_vector_scale(dg1, 2.0);
    gsl_vector_scale(db1, 2.0);
    check_true(c, gsl_matrix_equal(dx1, p.dx) && gsl_vector_equal(dg1, p.dgamma) && gsl_vector_equal(db1, p.dbeta),
               "a second backward doubles dx, dgamma and dbeta exactly (it accumulates)");
    gsl_matrix_memcpy(dx1, p.dx);
    gsl_vector_memcpy(dg1, p.dgamma);
    batchnorm_backward(p.dy, p.gamma, p.cache, NULL, NULL, p.dbeta);
    batchnorm_backward(p.dy, p.gamma, p.cache, NULL, p.dgamma, NULL);
    batchnorm_backward(p.dy, p.gamma, p.cache, p.dx, NULL, NULL);
    gsl_vector_scale(db1, 1.5);
    gsl_matrix_scale(dx1, 1.5);
    gsl_vector_scale(dg1, 1.5);
    check_true(c, gsl_matrix_equal(dx1, p.dx) && gsl_vector_equal(dg1, p.dgamma) && gsl_vector_equal(db1, p.dbeta),
               "with the other outputs NULL, each output still gets exactly its own share");
    gsl_matrix_free(dx1);
    gsl_vector_free(dg1);
    gsl_vector_free(db1);
    problem_free(&p);
}

int main(void)
{
    Check c = {0};
    test_columns_have_mean_beta_and_scaled_variance(&c);
    test_hand_computed_3x2(&c);
    test_backward_passes_gradcheck(&c);
    test_batch_of_one_gives_beta_and_no_input_gradient(&c);
    test_input_gradient_orthogonal_to_shift_and_scale(&c);
    test_planted_bug_is_caught(&c);
    test_in_place_gives_the_same_bytes(&c);
    test_backward_accumulates_and_allows_null(&c);
    return check_done(&c);
}
