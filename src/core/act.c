/* act.c: elementwise activations and derivatives.
 * Dimensions: every matrix is B x k (batch rows, k units); only the element count matters. */
#include "act.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "status.h"

const char *act_name(Activation a)
{
    switch (a) {
    case ACT_RELU: return "relu";
    case ACT_TANH: return "tanh";
    case ACT_IDENTITY: return "identity";
    }
    return "?";
}

int act_parse(const char *name, Activation *out)
{
    static const Activation all[] = {ACT_RELU, ACT_TANH, ACT_IDENTITY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, act_name(all[i])) == 0) {
            *out = all[i];
            return RESLAB_OK;
        }
    return RESLAB_ERR_INVALID;
}

int act_has_kink(Activation a) { return a == ACT_RELU; }

double act_derivative(Activation a, double z)
{
    double t;
    switch (a) {
    case ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case ACT_TANH: t = tanh(z); return 1.0 - t * t;
    case ACT_IDENTITY: return 1.0;
    }
    return NAN;
}

/* keep if z > 0, else +0.0, without a branch: the sign pattern of z is random, so a branch
 * would be mispredicted half the time. Bit for bit the same as z > 0.0 ? keep : 0.0. */
static inline double relu_select(double z, double keep)
{
    uint64_t bits;
    memcpy(&bits, &keep, sizeof bits);
    bits &= -(uint64_t)(z > 0.0);
    memcpy(&keep, &bits, sizeof keep);
    return keep;
}

/* The activation's loop is chosen once per matrix, not per element: this runs on every
 * layer of every step. */
void act_forward(Activation a, const gsl_matrix *z, gsl_matrix *out)
{
    assert(z->size1 == out->size1 && z->size2 == out->size2);
    size_t n = z->size2;
    for (size_t i = 0; i < z->size1; i++) {
        const double *zr = gsl_matrix_const_ptr(z, i, 0);
        double *o = gsl_matrix_ptr(out, i, 0);
        if (a == ACT_RELU)
            for (size_t j = 0; j < n; j++) o[j] = relu_select(zr[j], zr[j]);   /* max(z, 0) */
        else if (a == ACT_TANH)
            for (size_t j = 0; j < n; j++) o[j] = tanh(zr[j]);
        else if (o != zr)
            for (size_t j = 0; j < n; j++) o[j] = zr[j];
    }
}

void act_backward(Activation a, const gsl_matrix *z, const gsl_matrix *dout, gsl_matrix *dz)
{
    assert(z->size1 == dout->size1 && z->size2 == dout->size2);
    assert(z->size1 == dz->size1 && z->size2 == dz->size2);
    size_t n = z->size2;
    for (size_t i = 0; i < z->size1; i++) {
        const double *zr = gsl_matrix_const_ptr(z, i, 0);
        const double *g = gsl_matrix_const_ptr(dout, i, 0);
        double *d = gsl_matrix_ptr(dz, i, 0);
        if (a == ACT_RELU)                                   /* relu' = [z > 0] */
            for (size_t j = 0; j < n; j++) d[j] += relu_select(zr[j], g[j]);
        else if (a == ACT_TANH)                              /* tanh' = 1 - tanh^2 */
            for (size_t j = 0; j < n; j++) {
                double t = tanh(zr[j]);
                d[j] += g[j] * (1.0 - t * t);
            }
        else
            for (size_t j = 0; j < n; j++) d[j] += g[j];
    }
}
