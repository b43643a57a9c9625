/* act.h: elementwise activations s(z) and their derivatives, on batches (B x k matrices).
 *
 * Usage:
 *     act_forward(ACT_RELU, z, a);           a = relu(z)
 *     act_backward(ACT_RELU, z, da, dz);     dz += da ⊙ relu'(z)
 *
 * ReLU's derivative at exactly 0 is taken as 0 (the mask is z > 0, as in PyTorch).
 * Lessons: 01 (the residual block), 08 (gradient checking: kinks at z = 0).
 */
#ifndef RESLAB_ACT_H
#define RESLAB_ACT_H

#include <gsl/gsl_matrix.h>

typedef enum { ACT_RELU, ACT_TANH, ACT_IDENTITY } Activation;

/* "relu", "tanh", "identity". */
const char *act_name(Activation a);

/* Parses a name as act_name() prints it; returns RESLAB_OK or RESLAB_ERR_INVALID. */
int act_parse(const char *name, Activation *out);

/* out = s(z), elementwise. z and out have the same shape; out may be z. */
void act_forward(Activation a, const gsl_matrix *z, gsl_matrix *out);

/* dz += dout ⊙ s'(z), elementwise (accumulates). All three have the same shape. */
void act_backward(Activation a, const gsl_matrix *z, const gsl_matrix *dout, gsl_matrix *dz);

/* s'(z) for one value (ReLU: 1 if z > 0, else 0). */
double act_derivative(Activation a, double z);

/* 1 if the activation has a kink (a point where s' jumps): ReLU. */
int act_has_kink(Activation a);

#endif
