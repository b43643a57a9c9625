/* act.c: elementwise activations and derivatives.
 * Dimensions: every matrix is B x k (batch rows, k units); only the element count matters. */
#include "act.h"

#include <assert.h>
#include <math.h>
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

void act_forward(Activation a, const gsl_matrix *z, gsl_matrix *out)
{
    assert(z->size1 == out->size1 && z->size2 == out->size2);
    for (size_t i = 0; i < z->size1; i++) {
        const double *zr = gsl_matrix_const_ptr(z, i, 0);
        double *o = gsl_matrix_ptr(out, i, 0);
        for (size_t j = 0; j < z->size2; j++) {
            double v = zr[j];
            /* relu(z) = max(z, 0); tanh; identity */
            o[j] = a == ACT_RELU ? (v > 0.0 ? v : 0.0) : a == ACT_TANH ? tanh(v) : v;
        }
    }
}

void act_backward(Activation a, const gsl_matrix *z, const gsl_matrix *dout, gsl_matrix *dz)
{
    assert(z->size1 == dout->size1 && z->size2 == dout->size2);
    assert(z->size1 == dz->size1 && z->size2 == dz->size2);
    for (size_t i = 0; i < z->size1; i++) {
        const double *zr = gsl_matrix_const_ptr(z, i, 0);
        const double *g = gsl_matrix_const_ptr(dout, i, 0);
        double *d = gsl_matrix_ptr(dz, i, 0);
        for (size_t j = 0; j < z->size2; j++) {
            double t;
            switch (a) {
            case ACT_RELU: d[j] += zr[j] > 0.0 ? g[j] : 0.0; break;   /* relu' = [z > 0] */
            case ACT_TANH: t = tanh(zr[j]); d[j] += g[j] * (1.0 - t * t); break;
            case ACT_IDENTITY: d[j] += g[j]; break;
            }
        }
    }
}
