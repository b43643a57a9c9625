/* unroll.c: the unrolled sum (He et al. 2016, Eq. 4) and the two-block expansions.
 * Dimensions: B batch, n width, L depth; every stream matrix is (B, n). */
#include "unroll.h"

#include <math.h>
#include <gsl/gsl_blas.h>

#include "status.h"

int unroll_exact_form(const Net *net)
{
    const BlockConfig *b = &net->block;
    int f_identity = b->order == ORDER_PRE || b->act == ACT_IDENTITY;
    int h_identity = b->shortcut == SHORTCUT_IDENTITY || b->shortcut == SHORTCUT_ZEROPAD ||
                     (b->shortcut == SHORTCUT_SCALED && b->lambda == 1.0) ||
                     (b->shortcut == SHORTCUT_PROJECT && !block_has_projection(b));
    return f_identity && h_identity;
}

static double frob(const gsl_matrix *m)
{
    double s = 0.0;
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) s += gsl_matrix_get(m, i, j) * gsl_matrix_get(m, i, j);
    return sqrt(s);
}

/* ||a - b||_F */
static double frob_diff(const gsl_matrix *a, const gsl_matrix *b)
{
    double s = 0.0;
    for (size_t i = 0; i < a->size1; i++)
        for (size_t j = 0; j < a->size2; j++) {
            double d = gsl_matrix_get(a, i, j) - gsl_matrix_get(b, i, j);
            s += d * d;
        }
    return sqrt(s);
}

int unroll_check(const Net *net, UnrollReport *r, double *contrib)
{
    size_t L = net->cfg.depth, B = net->batch, n = net->cfg.width;
    BlockCache *scratch = block_cache_alloc(&net->block, B);
    gsl_matrix *sum = gsl_matrix_calloc(B, n), *comp = gsl_matrix_calloc(B, n);
    if (!scratch || !sum || !comp) {
        block_cache_free(scratch);
        gsl_matrix_free(sum);
        gsl_matrix_free(comp);
        return RESLAB_ERR_NOMEM;
    }
    /* sum = sum_l F_l(x_{l-1}), each F recomputed at the stored input, Kahan-compensated */
    for (size_t l = 1; l <= L; l++) {
        block_branch_forward(&net->block, net->params[l - 1], net_x(net, l - 1), scratch);
        if (contrib) contrib[l - 1] = net_frobenius(scratch->f);
        for (size_t i = 0; i < B; i++)
            for (size_t j = 0; j < n; j++) {
                double y = gsl_matrix_get(scratch->f, i, j) - gsl_matrix_get(comp, i, j);
                double s = gsl_matrix_get(sum, i, j), t = s + y;
                gsl_matrix_set(comp, i, j, (t - s) - y);
                gsl_matrix_set(sum, i, j, t);
            }
    }
    /* x_L = x_0 + sum */
    gsl_matrix_add(sum, net_x(net, 0));
    const gsl_matrix *xL = net_x(net, L);
    *r = (UnrollReport){.exact_form = unroll_exact_form(net)};
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < n; j++) {
            double a = gsl_matrix_get(xL, i, j), b = gsl_matrix_get(sum, i, j);
            if (!isfinite(a) || !isfinite(b)) r->overflow = 1;
            if (fabs(a - b) > r->max_abs_diff) r->max_abs_diff = fabs(a - b);
            if (fabs(a) > r->max_abs_xL) r->max_abs_xL = fabs(a);
        }
    if (r->overflow) r->max_abs_diff = r->rel_diff = NAN;
    else r->rel_diff = r->max_abs_xL > 0.0 ? r->max_abs_diff / r->max_abs_xL : r->max_abs_diff;
    block_cache_free(scratch);
    gsl_matrix_free(sum);
    gsl_matrix_free(comp);
    return RESLAB_OK;
}

/* F_l(x) into out; c is scratch. */
static void branch(const Net *net, size_t l, const gsl_matrix *x, BlockCache *c, gsl_matrix *out)
{
    block_branch_forward(&net->block, net->params[l], x, c);
    gsl_matrix_memcpy(out, c->f);
}

static int params_linear(const Net *net, size_t l)
{
    const BlockParams *p = net->params[l];
    return gsl_vector_isnull(p->b1) && gsl_vector_isnull(p->b2);
}

/* x + M1 x + M2 x + M2 M1 x with M_l x = F_l(x) for linear blocks; t is scratch. */
static void fourpath(const Net *net, const gsl_matrix *x, BlockCache *c, gsl_matrix *out,
                     gsl_matrix *t, gsl_matrix *t2)
{
    gsl_matrix_memcpy(out, x);                       /* path through both shortcuts */
    branch(net, 0, x, c, t);                         /* M1 x */
    gsl_matrix_add(out, t);
    branch(net, 1, t, c, t2);                        /* M2 M1 x: through both branches */
    gsl_matrix_add(out, t2);
    branch(net, 1, x, c, t);                         /* M2 x */
    gsl_matrix_add(out, t);
}

int unroll_expansion(const Net *net, UnrollExpansion *e)
{
    size_t B = net->batch, n = net->cfg.width;
    const gsl_matrix *x = net_x(net, 0);
    if (net->cfg.depth < 2) return RESLAB_ERR_INVALID;
    BlockCache *c = block_cache_alloc(&net->block, B);
    gsl_matrix *f1 = gsl_matrix_alloc(B, n), *x1 = gsl_matrix_alloc(B, n),
               *f2x1 = gsl_matrix_alloc(B, n), *f2x = gsl_matrix_alloc(B, n),
               *f2f1 = gsl_matrix_alloc(B, n), *x2 = gsl_matrix_alloc(B, n),
               *t = gsl_matrix_alloc(B, n);
    int rc = RESLAB_ERR_NOMEM;
    if (!c || !f1 || !x1 || !f2x1 || !f2x || !f2f1 || !x2 || !t) goto done;
    branch(net, 0, x, c, f1);                        /* F1(x) */
    gsl_matrix_memcpy(x1, x);
    gsl_matrix_add(x1, f1);                          /* x1 = x + F1(x) */
    branch(net, 1, x1, c, f2x1);                     /* F2(x + F1(x)) */
    branch(net, 1, x, c, f2x);                       /* F2(x) */
    branch(net, 1, f1, c, f2f1);                     /* F2(F1(x)) */
    gsl_matrix_memcpy(x2, x1);
    gsl_matrix_add(x2, f2x1);                        /* correct: x2 = x + F1(x) + F2(x + F1(x)) */
    e->norm_cross = frob_diff(f2x1, f2x);
    gsl_matrix_memcpy(t, x1);
    gsl_matrix_add(t, f2x);                          /* wrong: x + F1(x) + F2(x) */
    e->rel_dropped = frob_diff(x2, t) / frob(x2);
    gsl_matrix_memcpy(t, f2x);
    gsl_matrix_add(t, f2f1);                         /* split: F2(x) + F2(F1(x)) */
    e->rel_split = frob_diff(f2x1, t) / frob(f2x1);
    e->linear = net->block.act == ACT_IDENTITY && !net->block.bn && params_linear(net, 0) &&
                params_linear(net, 1);            /* batch norm makes F nonlinear */
    e->rel_fourpath = NAN;
    if (e->linear) {
        fourpath(net, x, c, f2x, t, f2f1);           /* reuse f2x as the result */
        e->rel_fourpath = frob_diff(x2, f2x) / frob(x2);
    }
    rc = RESLAB_OK;
done:
    block_cache_free(c);
    gsl_matrix_free(f1);
    gsl_matrix_free(x1);
    gsl_matrix_free(f2x1);
    gsl_matrix_free(f2x);
    gsl_matrix_free(f2f1);
    gsl_matrix_free(x2);
    gsl_matrix_free(t);
    return rc;
}
