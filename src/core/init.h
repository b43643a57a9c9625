/* init.h: weight initialisations, each drawing from a caller's gsl_rng.
 *
 * Usage:
 *     if (init_fill(INIT_HE, ACT_RELU, W, rng) != RESLAB_OK) ...    W is (fan_out, fan_in)
 *
 *   he          W_ij ~ N(0, 2 / fan_in)                   (He et al. 2015, fan-in form);
 *               N(0, 1 / fan_in) for a linear layer (act = identity: input and shortcut
 *               projections, linear nets), where no rectifier halves the second moment
 *   glorot      W_ij ~ U[-a, a], a = sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio, Eq. 16:
 *               variance 2 / (fan_in + fan_out))
 *   orthogonal  W = gain * Q, Q with orthonormal rows or columns from the QR decomposition of a
 *               Gaussian matrix (signs fixed by diag R, so Q is Haar-distributed);
 *               gain = sqrt(2) for ReLU, 1 otherwise (like He, this keeps the second moment
 *               when fan_out <= fan_in; with more outputs than inputs each unit gets
 *               fan_in / fan_out of it)
 * Same rng state, same weights, bit for bit.
 */
#ifndef RESLAB_INIT_H
#define RESLAB_INIT_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "act.h"

typedef enum { INIT_HE, INIT_GLOROT, INIT_ORTHOGONAL } InitKind;

/* "he", "glorot", "orthogonal". */
const char *init_name(InitKind k);

/* RESLAB_OK or RESLAB_ERR_INVALID for an unknown name. */
int init_parse(const char *name, InitKind *out);

/* Fills W (fan_out, fan_in) as above. act only sets the orthogonal gain. Returns RESLAB_OK, or
 * RESLAB_ERR_NOMEM if the orthogonal init could not allocate its scratch matrices. */
int init_fill(InitKind k, Activation act, gsl_matrix *W, gsl_rng *rng);

#endif
