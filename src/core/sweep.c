/* sweep.c: the incremental depth sweep (see sweep.h).
 * Dimensions: B batch, n width, L full depth, d current depth. */
#include "sweep.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_blas.h>

#include "dense.h"

Sweep *sweep_alloc(Net *net, const gsl_matrix *X)
{
    Sweep *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->norms = calloc(net->cfg.depth + 1, sizeof *s->norms);
    if (!s->norms) {
        free(s);
        return NULL;
    }
    s->net = net;
    s->X = X;
    sweep_reset(s);
    return s;
}

void sweep_free(Sweep *s)
{
    if (!s) return;
    free(s->norms);
    free(s);
}

size_t sweep_depth(const Sweep *s) { return s->depth; }

void sweep_reset(Sweep *s)
{
    Net *net = s->net;
    if (net->W_in) {
        gsl_matrix_memcpy(net->input, s->X);
        dense_forward(s->X, net->W_in, NULL, net->x0);      /* x_0 = X W_in^T */
    } else {
        gsl_matrix_memcpy(net->x0, s->X);
    }
    s->depth = 0;
    s->loss = NAN;
}

int sweep_step(Sweep *s)
{
    Net *net = s->net;
    size_t d = s->depth + 1;
    if (d > net->cfg.depth) return 1;
    /* forward: only the new block; x_0..x_{d-1} are unchanged from the previous depth */
    block_forward(&net->block, net->params[d - 1], net_x(net, d - 1), net->cache[d - 1]);
    s->depth = d;
    /* L_d = 0.5 ||x_d||^2 / B, dL/dx_d = x_d / B, then back through all d blocks */
    const gsl_matrix *xd = net_x(net, d);
    double nx = net_frobenius(xd);
    s->loss = 0.5 * nx * nx / (double)net->batch;
    gsl_matrix_memcpy(net->dx[d], xd);
    gsl_matrix_scale(net->dx[d], 1.0 / (double)net->batch);
    for (size_t l = d; l >= 1; l--) {
        gsl_matrix_set_zero(net->dx[l - 1]);
        block_backward(&net->block, net->dx[l - 1], NULL, net->dx[l], net_x(net, l - 1),
                       net->params[l - 1], net->cache[l - 1], net->work);
    }
    for (size_t l = 0; l <= d; l++) s->norms[l] = net_frobenius(net->dx[l]);
    return 0;
}
