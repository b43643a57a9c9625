/* netcheck.h: gradient checks of a whole net or a single block, every tensor, by gradcheck.h.
 *
 * Usage:
 *     NetcheckReport rep;
 *     if (netcheck_net(net, X, &opt, &rep, err, sizeof err)) ...
 *     for (size_t i = 0; i < rep.count; i++)  rep.names[i], rep.results[i].verdict ...
 *     netcheck_report_free(&rep);
 *
 * The loss is the analysis loss L = 0.5 ||out||_F^2 / B. Tensors are named "block<l>.W1",
 * "block<l>.b1", "block<l>.W2", "block<l>.b2", "block<l>.Ws" (l = 1..L), "input.W" (the input
 * projection) and "input" (dL/dX, the gradient with respect to the data). Kinks are every ReLU
 * input: z1 in each block, and y (post order) or x (pre order).
 */
#ifndef RESLAB_NETCHECK_H
#define RESLAB_NETCHECK_H

#include "gradcheck.h"
#include "net.h"

typedef struct {
    size_t count;
    GradcheckResult *results;   /* [count] */
    char (*names)[32];          /* [count] */
    size_t *layer;              /* [count]: block 1..L, 0 for the input and its projection */
} NetcheckReport;

/* Runs backward at X (B, input width) for the analytic gradients, then checks every tensor.
 * X is perturbed and restored. The net must have parameter gradients (cfg.param_grads).
 * RESLAB_OK, RESLAB_ERR_INVALID (no parameter gradients) or RESLAB_ERR_NOMEM. */
int netcheck_net(Net *net, gsl_matrix *X, const GradcheckOptions *opt, NetcheckReport *rep,
                 char *err, size_t errlen);

/* The same for one block (any shortcut and widths): L = 0.5 ||out||^2 / B at input x (B, n_in);
 * tensors as block_params_each names them, then "input". A dropout shortcut's mask is drawn
 * once from an mt19937 generator seeded with 1 and held fixed during the check. */
int netcheck_block(const BlockConfig *cfg, BlockParams *p, gsl_matrix *x,
                   const GradcheckOptions *opt, NetcheckReport *rep, char *err, size_t errlen);

/* The worst verdict over all tensors (UNCHECKED only if nothing was checked). */
GradcheckVerdict netcheck_worst(const NetcheckReport *rep);

void netcheck_report_free(NetcheckReport *rep);

#endif
