/* init.c: weight initialisations. A weight matrix W is (fan_out, fan_in): row i holds the
 * weights into output unit i, so fan_in = W->size2 and fan_out = W->size1. */
#include "init.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "status.h"

const char *init_name(InitKind k)
{
    switch (k) {
    case INIT_HE: return "he";
    case INIT_GLOROT: return "glorot";
    case INIT_ORTHOGONAL: return "orthogonal";
    }
    return "?";
}

int init_parse(const char *name, InitKind *out)
{
    static const InitKind all[] = {INIT_HE, INIT_GLOROT, INIT_ORTHOGONAL};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, init_name(all[i])) == 0) {
            *out = all[i];
            return RESLAB_OK;
        }
    return RESLAB_ERR_INVALID;
}

/* W = gain * Q: draw A (m x k) Gaussian, m = max(out, in), k = min(out, in); A = QR; the first k
 * columns of Q, each multiplied by sign(R_jj), are Haar-orthonormal. W takes them as columns
 * (out >= in) or as rows (out < in). */
static int init_orthogonal(gsl_matrix *W, double gain, gsl_rng *rng)
{
    size_t out = W->size1, in = W->size2;
    size_t m = out >= in ? out : in, k = out >= in ? in : out;
    gsl_matrix *A = gsl_matrix_alloc(m, k), *Q = gsl_matrix_alloc(m, m), *R = gsl_matrix_alloc(m, k);
    gsl_vector *tau = gsl_vector_alloc(k);
    int rc = RESLAB_ERR_NOMEM;
    if (!A || !Q || !R || !tau) goto done;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) gsl_matrix_set(A, i, j, gsl_ran_gaussian(rng, 1.0));
    gsl_linalg_QR_decomp(A, tau);
    gsl_linalg_QR_unpack(A, tau, Q, R);
    for (size_t j = 0; j < k; j++) {
        double s = gsl_matrix_get(R, j, j) < 0.0 ? -gain : gain;
        for (size_t i = 0; i < m; i++) {
            double q = s * gsl_matrix_get(Q, i, j);
            if (out >= in) gsl_matrix_set(W, i, j, q);
            else gsl_matrix_set(W, j, i, q);
        }
    }
    rc = RESLAB_OK;
done:
    gsl_matrix_free(A);
    gsl_matrix_free(Q);
    gsl_matrix_free(R);
    gsl_vector_free(tau);
    return rc;
}

int init_fill(InitKind k, Activation act, gsl_matrix *W, gsl_rng *rng)
{
    double fan_out = (double)W->size1, fan_in = (double)W->size2;
    if (k == INIT_ORTHOGONAL) return init_orthogonal(W, act == ACT_RELU ? sqrt(2.0) : 1.0, rng);
    double he_gain2 = act == ACT_IDENTITY ? 1.0 : 2.0;   /* no rectifier halves a linear layer's input */
    for (size_t i = 0; i < W->size1; i++)
        for (size_t j = 0; j < W->size2; j++) {
            double w;
            if (k == INIT_HE) {                                         /* Var = gain^2 / fan_in */
                w = gsl_ran_gaussian(rng, sqrt(he_gain2 / fan_in));
            } else {
                double a = sqrt(6.0 / (fan_in + fan_out));              /* Var = a^2 / 3 */
                w = gsl_ran_flat(rng, -a, a);
            }
            gsl_matrix_set(W, i, j, w);
        }
    return RESLAB_OK;
}
