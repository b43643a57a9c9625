/* lesson_measures.c: the numbers lesson checks compare, each computed by the core.
 *
 * Legend: B batch, n width of the stream, n_in input width of one block, h hidden width inside
 * F, L depth. x_0 (B, n) is the stream after the input projection; x_l (B, n) after block l.
 * The nets are those of `reslab flow` (flow_nets): same seed, same weights, same input, so a
 * measure prints what the CLI prints for the same options. The other measures:
 * lesson_measures_flow.c.
 */
#include "lesson_measures.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>

#include "jacobian.h"
#include "netcheck.h"
#include "paths.h"
#include "stats.h"
#include "status.h"
#include "unroll.h"

void measure_flow_free(MeasureNets *f)
{
    net_free(f->plain);
    net_free(f->res);
    gsl_matrix_free(f->X);
    *f = (MeasureNets){NULL, NULL, NULL};
}

int measure_flow_nets(const NetConfig *cfg, size_t B, unsigned long seed, int plain,
                      MeasureNets *f, char *err, size_t errlen)
{
    *f = (MeasureNets){NULL, NULL, NULL};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng) gsl_rng_set(rng, seed);
    f->res = rng ? net_alloc(cfg, B, rng) : NULL;
    if (f->res) net_dropout_draw(f->res, rng);
    f->X = f->res ? gsl_matrix_alloc(B, net_input_width(f->res)) : NULL;
    for (size_t i = 0; f->X && i < f->X->size1; i++)      /* row by row, as cli_input */
        for (size_t j = 0; j < f->X->size2; j++) gsl_matrix_set(f->X, i, j, gsl_ran_gaussian(rng, 1.0));
    if (f->X && plain) f->plain = net_alloc_twin(f->res, SHORTCUT_NONE);
    gsl_rng_free(rng);
    if (!f->X || (plain && !f->plain)) {
        measure_flow_free(f);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory building the nets");
    }
    net_forward(f->res, f->X);
    if (plain) net_forward(f->plain, f->X);
    return RESLAB_OK;
}

NetConfig measure_step_net(const SceneParams *p)
{
    NetConfig c = p->net;
    c.param_grads = 0;
    return c;
}

double measure_max_abs_diff(const gsl_matrix *a, const gsl_matrix *b)
{
    double d = 0.0;
    for (size_t i = 0; i < a->size1; i++)
        for (size_t j = 0; j < a->size2; j++) {
            double e = fabs(gsl_matrix_get(a, i, j) - gsl_matrix_get(b, i, j));
            d = isnan(e) ? NAN : fmax(d, e);          /* fmax would drop a NaN */
            if (isnan(d)) return NAN;
        }
    return d;
}

/* ---- one block ------------------------------------------------------------------------- */

/* max_ij |y_ij - x_ij|, y = F(x) + S(x) the block's sum (before a post-activation), of the
 * step's block with F's last layer zeroed (zero_last): F = 0, so y = S(x), and y = x exactly
 * for the identity shortcut. */
int measure_identity_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    c.depth = 1;
    c.zero_last = 1;
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    if (rc) return rc;
    *v = measure_max_abs_diff(f.res->cache[0]->y, net_x(f.res, 0));
    measure_flow_free(&f);
    return RESLAB_OK;
}

/* ||F(x_0)||_F / ||x_0||_F for block 1 of a one-block net with the step's options. */
int measure_block_residual_norm(const SceneParams *p, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    c.depth = 1;
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    if (rc) return rc;
    *v = net_frobenius(f.res->cache[0]->f) / net_frobenius(net_x(f.res, 0));
    measure_flow_free(&f);
    return RESLAB_OK;
}

static double act_value(Activation a, double z)
{
    return a == ACT_RELU ? (z > 0 ? z : 0.0) : a == ACT_TANH ? tanh(z) : z;
}

/* y_ref = F(x) + S(x) by plain loops, independent of block.c and BLAS: the branch
 * F = W2 s(W1 a + b1) + b2 with a = x (post) or s(x) (pre), and S = [x, 0] (A), W_s x (B when
 * n_in != n_out, C), x (B when n_in == n_out). x (B, n_in), y_ref (B, n_out). No batch norm. */
static void block_reference(const BlockConfig *cfg, const BlockParams *bp, const gsl_matrix *x,
                            gsl_matrix *yref, double *z)
{
    for (size_t b = 0; b < x->size1; b++) {
        for (size_t k = 0; k < cfg->h; k++) {               /* z = s(W1 a + b1), (h) */
            double s = gsl_vector_get(bp->b1, k);
            for (size_t j = 0; j < cfg->n_in; j++) {
                double a = gsl_matrix_get(x, b, j);
                s += gsl_matrix_get(bp->W1, k, j) * (cfg->order == ORDER_PRE ? act_value(cfg->act, a) : a);
            }
            z[k] = act_value(cfg->act, s);
        }
        for (size_t i = 0; i < cfg->n_out; i++) {
            double y = gsl_vector_get(bp->b2, i);
            for (size_t k = 0; k < cfg->h; k++) y += gsl_matrix_get(bp->W2, i, k) * z[k];
            if (bp->Ws)                                     /* shortcut: the projection */
                for (size_t j = 0; j < cfg->n_in; j++) y += gsl_matrix_get(bp->Ws, i, j) * gsl_matrix_get(x, b, j);
            else if (i < cfg->n_in)                         /* shortcut: identity or zero padding */
                y += gsl_matrix_get(x, b, i);
            gsl_matrix_set(yref, b, i, y);
        }
    }
}

/* max_ij |y - (F(x) + S(x))| for one block n_in -> n (n_in = --in-width, else n) with a
 * projection shortcut (A, B or C): block_forward against block_reference. x is drawn first,
 * then the weights, as `reslab gradcheck --block`. */
int measure_projection_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    const NetConfig *n = &p->net;
    BlockConfig cfg = {n->input_width ? n->input_width : n->width, n->width,
                       n->hidden ? n->hidden : n->width, n->act, n->shortcut, n->order, n->lambda,
                       n->bn, n->dropout_p};
    if (block_config_check(&cfg, err, errlen)) return RESLAB_ERR_INVALID;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    BlockParams *bp = block_params_alloc(&cfg);
    BlockCache *c = block_cache_alloc(&cfg, p->batch);
    gsl_matrix *x = gsl_matrix_alloc(p->batch, cfg.n_in), *yref = gsl_matrix_alloc(p->batch, cfg.n_out);
    double *z = malloc(cfg.h * sizeof *z);
    int rc = RESLAB_ERR_NOMEM;
    if (rng && bp && c && x && yref && z) {
        gsl_rng_set(rng, p->seed);
        for (size_t i = 0; i < x->size1; i++)
            for (size_t j = 0; j < x->size2; j++) gsl_matrix_set(x, i, j, gsl_ran_gaussian(rng, 1.0));
        if (net_draw_block(n, bp, rng) == RESLAB_OK) {
            block_forward(&cfg, bp, x, c);
            block_reference(&cfg, bp, x, yref, z);
            *v = measure_max_abs_diff(c->y, yref);
            rc = RESLAB_OK;
        }
    }
    if (rc) status_set(err, errlen, rc, "out of memory building the block");
    free(z);
    gsl_matrix_free(yref);
    gsl_matrix_free(x);
    block_cache_free(c);
    block_params_free(bp);
    gsl_rng_free(rng);
    return rc;
}

/* ---- the unrolled sum ------------------------------------------------------------------ */

/* max |x_L - (x_0 + sum_l F_l(x_{l-1}))| / max |x_L| (unroll_check); NaN on overflow. */
int measure_unroll_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    if (rc) return rc;
    UnrollReport r;
    rc = unroll_check(f.res, &r, NULL);
    if (rc) status_set(err, errlen, rc, "out of memory in the unroll check");
    else *v = r.overflow ? NAN : r.rel_diff;
    measure_flow_free(&f);
    return rc;
}

/* unroll_expansion with blocks 1 and 2 of the step's net; which = 0 dropped, 1 split, 2 four
 * paths. */
static int expansion(const SceneParams *p, int which, double *v, char *err, size_t errlen)
{
    NetConfig c = measure_step_net(p);
    MeasureNets f;
    int rc = measure_flow_nets(&c, p->batch, p->seed, 0, &f, err, errlen);
    if (rc) return rc;
    UnrollExpansion e;
    rc = unroll_expansion(f.res, &e);
    if (rc) status_set(err, errlen, rc, "the two-block expansion needs depth >= 2 and memory");
    else *v = which == 0 ? e.rel_dropped : which == 1 ? e.rel_split : e.rel_fourpath;
    measure_flow_free(&f);
    return rc;
}

/* ||x_2 - (x + F1(x) + F2(x))|| / ||x_2||, x_2 = x + F1(x) + F2(x + F1(x)): the cross term. */
int measure_wrong_expansion_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return expansion(p, 0, v, err, errlen);
}

/* ||F2(x + F1(x)) - F2(x) - F2(F1(x))|| / ||F2(x + F1(x))||: zero iff F2 is linear. */
int measure_split_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return expansion(p, 1, v, err, errlen);
}

/* Linear blocks F = M x: ||x_2 - (x + M1 x + M2 x + M2 M1 x)|| / ||x_2||. */
int measure_four_path_error(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return expansion(p, 2, v, err, errlen);
}
