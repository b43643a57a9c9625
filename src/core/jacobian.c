/* jacobian.c: the input-output Jacobian J = d x_L / d x_0 of a net for one example, two ways
 * (the product of block Jacobians, and backprop of unit vectors), and its singular values.
 * Dimensions: B batch, n width of the residual stream, h hidden width in F, L depth.
 * Column convention (J_ij = d x_L[i] / d x_0[j]); the equations are in jacobian.h. */
#include "jacobian.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "status.h"

JacobianWork *jacobian_work_alloc(const Net *net)
{
    JacobianWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t n = net->cfg.width, B = net->batch;
    w->n = n;
    w->B = B;
    int ok = (w->T = gsl_matrix_alloc(n, n)) &&
             (w->Jl = gsl_matrix_alloc(n, n)) && (w->ga = gsl_matrix_alloc(B, n)) &&
             (w->gb = gsl_matrix_alloc(B, n)) && (w->bw = block_work_alloc(&net->block, B)) &&
             (w->A = gsl_matrix_alloc(n, n)) && (w->V = gsl_matrix_alloc(n, n)) &&
             (w->svd_work = gsl_vector_alloc(n));
    if (!ok) {
        jacobian_work_free(w);
        return NULL;
    }
    return w;
}

void jacobian_work_free(JacobianWork *w)
{
    if (!w) return;
    gsl_matrix_free(w->T), gsl_matrix_free(w->Jl);
    gsl_matrix_free(w->ga), gsl_matrix_free(w->gb), block_work_free(w->bw);
    gsl_matrix_free(w->A), gsl_matrix_free(w->V), gsl_vector_free(w->svd_work);
    free(w);
}

int jacobian_is_finite(const gsl_matrix *m)
{
    for (size_t i = 0; i < m->size1; i++) {
        const double *r = gsl_matrix_const_ptr(m, i, 0);
        for (size_t j = 0; j < m->size2; j++)
            if (!isfinite(r[j])) return 0;
    }
    return 1;
}

/* The checks every entry point shares: example index and J's shape. */
static int check_args(const Net *net, size_t b, const gsl_matrix *J, const JacobianWork *w)
{
    size_t n = net->cfg.width;
    if (b >= net->batch || J->size1 != n || J->size2 != n) return RESLAB_ERR_INVALID;
    if (w && (w->n != n || w->B != net->batch)) return RESLAB_ERR_INVALID;
    return RESLAB_OK;
}

int jacobian_product(const Net *net, size_t b, gsl_matrix *J, JacobianWork *w)
{
    int rc = check_args(net, b, J, w);
    if (rc) return rc;
    if (net->cfg.bn) return RESLAB_ERR_INVALID;        /* batch norm couples the examples */
    /* J = J_L ... J_1, built left to right in time: P_l = J_l P_{l-1}, P_0 = I */
    for (size_t l = 1; l <= net->cfg.depth; l++) {
        gsl_matrix *Jl = l == 1 ? J : w->Jl;           /* P_1 = J_1: no product needed */
        rc = block_jacobian(&net->block, net->params[l - 1], net_x(net, l - 1),
                            net->cache[l - 1], b, Jl);
        if (rc) return rc;
        if (l == 1) continue;
        /* P_l = J_l P_{l-1}: [n x n] = [n x n][n x n] */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->Jl, J, 0.0, w->T);
        gsl_matrix_memcpy(J, w->T);
    }
    return jacobian_is_finite(J) ? RESLAB_OK : JACOBIAN_OVERFLOW;
}

/* ga = dL/dx_L (B, n) in, dL/dx_0 out (in ga), through every block, from the last to the first.
 * Only input gradients (g = NULL); the net's dx[] and gradients are left alone. */
static void backprop_rows(const Net *net, JacobianWork *w)
{
    for (size_t l = net->cfg.depth; l >= 1; l--) {
        gsl_matrix_set_zero(w->gb);                    /* block_backward accumulates */
        block_backward(&net->block, w->gb, NULL, w->ga, net_x(net, l - 1), net->params[l - 1],
                       net->cache[l - 1], w->bw);
        gsl_matrix *t = w->ga;                         /* dL/dx_{l-1} becomes the upstream */
        w->ga = w->gb;
        w->gb = t;
    }
}

int jacobian_backprop(const Net *net, size_t b, gsl_matrix *J, JacobianWork *w)
{
    int rc = check_args(net, b, J, w);
    if (rc) return rc;
    for (size_t i = 0; i < w->n; i++) {
        /* dL/dx_L = e_i in row b, zero elsewhere: L = x_L[b, i], the other examples held fixed
         * (their outputs are not in L, their inputs are not perturbed) */
        gsl_matrix_set_zero(w->ga);
        gsl_matrix_set(w->ga, b, i, 1.0);
        backprop_rows(net, w);
        /* row b of dL/dx_0 = d x_L[b, i] / d x_0[b, :] = row i of J */
        gsl_vector_const_view src = gsl_matrix_const_row(w->ga, b);
        gsl_matrix_set_row(J, i, &src.vector);
    }
    return jacobian_is_finite(J) ? RESLAB_OK : JACOBIAN_OVERFLOW;
}

int jacobian_net(const Net *net, size_t b, gsl_matrix *J, JacobianWork *w)
{
    return net->cfg.bn ? jacobian_backprop(net, b, J, w) : jacobian_product(net, b, J, w);
}

int jacobian_blocks(const Net *net, size_t b, gsl_matrix **Jl)
{
    if (net->cfg.bn) return RESLAB_ERR_INVALID;
    int overflow = 0;
    for (size_t l = 1; l <= net->cfg.depth; l++) {
        int rc = check_args(net, b, Jl[l - 1], NULL);
        if (!rc) rc = block_jacobian(&net->block, net->params[l - 1], net_x(net, l - 1),
                                     net->cache[l - 1], b, Jl[l - 1]);
        if (rc) return rc;
        overflow |= !jacobian_is_finite(Jl[l - 1]);
    }
    return overflow ? JACOBIAN_OVERFLOW : RESLAB_OK;
}

int jacobian_singular_values(const gsl_matrix *J, gsl_vector *s, JacobianWork *w)
{
    assert(J->size1 == w->n && J->size2 == w->n && s->size == w->n);
    if (!jacobian_is_finite(J)) {                      /* never hand inf/NaN to the SVD */
        gsl_vector_set_all(s, NAN);
        return JACOBIAN_OVERFLOW;
    }
    /* J = U diag(s) V^T; GSL overwrites its input with U, so it works on a copy, scaled by a
     * power of two 2^-e so that max |J_ij| is in [1, 2): exact (no rounding), and GSL's
     * iteration, which does not converge on entries near 1e158, sees a well-scaled matrix.
     * The singular values of 2^-e J are 2^-e s, scaled back exactly (or to inf: a value). */
    gsl_matrix_memcpy(w->A, J);
    double m = 0;
    for (size_t i = 0; i < w->n; i++)
        for (size_t j = 0; j < w->n; j++) {
            double a = fabs(gsl_matrix_get(J, i, j));
            if (a > m) m = a;
        }
    if (m == 0) {
        gsl_vector_set_zero(s);
        return RESLAB_OK;
    }
    int e = ilogb(m);
    for (size_t i = 0; i < w->n; i++)
        for (size_t j = 0; j < w->n; j++) gsl_matrix_set(w->A, i, j, ldexp(gsl_matrix_get(J, i, j), -e));
    gsl_error_handler_t *old = gsl_set_error_handler_off();   /* may legitimately fail */
    int status = gsl_linalg_SV_decomp(w->A, w->V, s, w->svd_work);
    gsl_set_error_handler(old);
    if (status) {
        gsl_vector_set_all(s, NAN);
        return RESLAB_ERR_INVALID;
    }
    for (size_t i = 0; i < w->n; i++) gsl_vector_set(s, i, ldexp(gsl_vector_get(s, i), e));
    return RESLAB_OK;
}

double jacobian_condition(const gsl_vector *s)
{
    double smax = gsl_vector_get(s, 0), smin = gsl_vector_get(s, s->size - 1);
    if (isnan(smax) || isnan(smin)) return NAN;
    return smin == 0.0 ? INFINITY : smax / smin;       /* kappa = s_max / s_min */
}
