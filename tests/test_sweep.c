/* test_sweep.c: the incremental depth sweep. Claim: at every depth d it gives exactly the loss
 * and the gradient norms of a separately built net of depth d with the same first d blocks. */
#include <string.h>

#include "check.h"
#include "sweep.h"
#include "testutil.h"

#define SWEEP_RTOL 1e-13     /* the same operations in the same order: equal up to rounding */

typedef struct {
    double *dst[BLOCK_MAX_TENSORS];
    size_t k;
} Collect;

static void collect(const char *name, double *v, double *g, size_t n, void *ctx)
{
    Collect *c = ctx;
    c->dst[c->k++] = v;
}

static void copy_params(const BlockParams *src, BlockParams *dst)
{
    Collect a = {{0}, 0}, b = {{0}, 0};
    block_params_each(src, NULL, collect, &a);
    block_params_each(dst, NULL, collect, &b);
    size_t sizes[BLOCK_MAX_TENSORS] = {src->W1->size1 * src->W1->size2, src->b1->size,
                                       src->W2->size1 * src->W2->size2, src->b2->size};
    for (size_t i = 0; i < 4; i++) memcpy(b.dst[i], a.dst[i], sizes[i] * sizeof(double));
}

static void check_config(Check *c, NetConfig cfg, const char *what)
{
    size_t L = cfg.depth, B = 4;
    cfg.param_grads = 0;
    gsl_rng *rng = tu_rng(17);
    Net *full = net_alloc(&cfg, B, rng);
    gsl_matrix *X = gsl_matrix_alloc(B, net_input_width(full));
    tu_fill(X, rng, 1.0);
    Sweep *s = sweep_alloc(full, X);
    double worst = 0.0;
    for (size_t d = 1; d <= L; d++) {
        sweep_step(s);
        NetConfig cd = cfg;
        cd.depth = d;
        Net *ref = net_alloc(&cd, B, rng);
        for (size_t l = 0; l < d; l++) copy_params(full->params[l], ref->params[l]);
        if (full->W_in) gsl_matrix_memcpy(ref->W_in, full->W_in);
        net_forward(ref, X);
        double loss = net_loss_backward(ref), norms[64];
        net_grad_norms(ref, norms);
        worst = fmax(worst, fabs(loss - s->loss) / fabs(loss));
        for (size_t l = 0; l <= d; l++) worst = fmax(worst, fabs(norms[l] - s->norms[l]) / norms[l]);
        net_free(ref);
    }
    check_below(c, what, worst, SWEEP_RTOL);
    check_true(c, sweep_step(s) == 1, "%s: a step past the full depth is refused", what);
    sweep_free(s);
    net_free(full);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
}

int main(void)
{
    Check c = {0};
    NetConfig cfg = net_config_default();
    cfg.depth = 30; cfg.width = 8; cfg.bias_std = 0.1;
    check_config(&c, cfg, "sweep = fresh nets, depths 1..30, residual post relu: worst rel");
    cfg.shortcut = SHORTCUT_NONE; cfg.order = ORDER_PRE; cfg.input_width = 3;
    check_config(&c, cfg, "sweep = fresh nets, depths 1..30, plain pre relu + input projection: worst rel");
    cfg.shortcut = SHORTCUT_IDENTITY; cfg.bn = 1; cfg.act = ACT_TANH;
    check_config(&c, cfg, "sweep = fresh nets, depths 1..30, residual pre tanh with bn: worst rel");
    return check_done(&c);
}
