/* sweep.h: the depth sweep. Grows a net one block at a time and, at every depth d, gives the
 * per-layer gradient norms ||dL/dx_l||, l = 0..d, of the prefix net of the first d blocks with
 * the analysis loss L_d = 0.5 ||x_d||^2 / B.
 *
 * Usage:
 *     Sweep *s = sweep_alloc(net, X);        net with param_grads = 0 (only dL/dx is needed)
 *     while (sweep_depth(s) < net->cfg.depth) {
 *         sweep_step(s);                      one more block
 *         ... s->norms[0..d], d = sweep_depth(s) ...
 *     }
 *     sweep_free(s);
 *
 * Reuse between depths: the activations x_0..x_{d-1} of the prefix net are those of the
 * previous depth, so a step runs the forward pass of block d only; the backward pass must start
 * again from the new loss at x_d and costs d block backwards (no parameter gradients).
 * Lesson 05 and the viewer's depth animation.
 */
#ifndef RESLAB_SWEEP_H
#define RESLAB_SWEEP_H

#include "net.h"

typedef struct {
    Net *net;               /* borrowed; its caches and dx[] are used */
    const gsl_matrix *X;    /* borrowed: the input (B, input width) */
    size_t depth;           /* d: blocks done so far */
    double *norms;          /* [L + 1]: ||dL/dx_l|| of the prefix net, l = 0..d */
    double loss;            /* L_d */
} Sweep;

/* Starts at depth 0 (x_0 computed). NULL if out of memory. */
Sweep *sweep_alloc(Net *net, const gsl_matrix *X);
void sweep_free(Sweep *s);

size_t sweep_depth(const Sweep *s);

/* Adds block d + 1: its forward, then the backward of the prefix net and the norms. Returns 0,
 * or 1 if the net's full depth was already reached. */
int sweep_step(Sweep *s);

/* Back to depth 0 (for a new seed or input, call after changing the net or X). */
void sweep_reset(Sweep *s);

#endif
