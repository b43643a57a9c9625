/* paths.c: the unraveled view (Veit, Wilber, Belongie 2016): the linear path expansion by
 * length and path by path, binomial path counts, the gradient per path length, lesions.
 * Dimensions: B batch (Bx for an expansion's own input), n width, L depth, k path length
 * (number of branches a path takes); every stream matrix is (B, n) or (Bx, n).
 * Blocks are numbered l = 1..L as in the papers; net->params[l - 1] is block l. */
#include "paths.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "status.h"

/* ||m||_F without overflow for finite entries: row norms (BLAS dnrm2) combined by hypot. */
static double frob(const gsl_matrix *m)
{
    double s = 0.0;
    for (size_t i = 0; i < m->size1; i++) {
        gsl_vector_const_view r = gsl_matrix_const_row(m, i);
        s = hypot(s, gsl_blas_dnrm2(&r.vector));
    }
    return s;
}

/* ||a - b||_F; d is scratch of the same shape. */
static double frob_diff(const gsl_matrix *a, const gsl_matrix *b, gsl_matrix *d)
{
    gsl_matrix_memcpy(d, a);
    gsl_matrix_sub(d, b);
    return frob(d);
}

static int has_nonfinite(const gsl_matrix *m)
{
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++)
            if (!isfinite(gsl_matrix_get(m, i, j))) return 1;
    return 0;
}

/* RESLAB_OK if every one of the count matrices m[] is (rows, cols). */
static int check_shapes(gsl_matrix **m, size_t count, size_t rows, size_t cols, const char *what,
                        char *err, size_t errlen)
{
    for (size_t k = 0; k < count; k++)
        if (!m[k] || m[k]->size1 != rows || m[k]->size2 != cols)
            return status_set(err, errlen, RESLAB_ERR_INVALID, "%s[%zu] must be a (%zu, %zu) matrix",
                              what, k, rows, cols);
    return RESLAB_OK;
}

int paths_linear_check(const Net *net, char *err, size_t errlen)
{
    const BlockConfig *b = &net->block;
    const char *why = "the path expansion is exact only for linear blocks";
    if (b->act != ACT_IDENTITY)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: the activation is %s, not identity",
                          why, act_name(b->act));
    if (b->shortcut != SHORTCUT_IDENTITY)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: the shortcut is %s, not identity",
                          why, block_shortcut_name(b->shortcut));
    if (b->bn) return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: batch norm is on", why);
    for (size_t l = 1; l <= net->cfg.depth; l++) {
        const BlockParams *p = net->params[l - 1];
        if ((p->b1 && !gsl_vector_isnull(p->b1)) || (p->b2 && !gsl_vector_isnull(p->b2)))
            return status_set(err, errlen, RESLAB_ERR_INVALID,
                              "%s: block %zu has a nonzero bias (F is affine, not linear)", why, l);
    }
    return RESLAB_OK;
}

/* Shared argument checks of the two expansions. */
static int expansion_args(const Net *net, const gsl_matrix *x0, gsl_matrix **v, char *err,
                          size_t errlen)
{
    int rc = paths_linear_check(net, err, errlen);
    if (rc) return rc;
    if (x0->size2 != net->cfg.width)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "x0 has %zu columns, the width is %zu",
                          x0->size2, net->cfg.width);
    return v ? check_shapes(v, net->cfg.depth + 1, x0->size1, x0->size2, "v", err, errlen)
             : RESLAB_OK;
}

int paths_by_length(const Net *net, const gsl_matrix *x0, gsl_matrix **v, int *nonfinite,
                    char *err, size_t errlen)
{
    size_t L = net->cfg.depth;
    int rc = expansion_args(net, x0, v, err, errlen);
    if (rc) return rc;
    BlockCache *c = block_cache_alloc(&net->block, x0->size1);
    if (!c) return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the expansion");
    if (v[0] != x0) gsl_matrix_memcpy(v[0], x0);           /* v_0 = x0: all shortcuts */
    for (size_t k = 1; k <= L; k++) gsl_matrix_set_zero(v[k]);
    /* Block l multiplies the partial product by (I + M_l): a path of length k either keeps its
     * k branches and takes the shortcut (v_k), or had k - 1 and takes the branch (M_l v_{k-1}):
     *     v_k^(l) = v_k^(l-1) + M_l v_{k-1}^(l-1).
     * k runs downwards so that v_{k-1} still holds its value before block l. */
    for (size_t l = 1; l <= L; l++)
        for (size_t k = l; k >= 1; k--) {
            block_branch_forward(&net->block, net->params[l - 1], v[k - 1], c);   /* M_l v_{k-1} */
            gsl_matrix_add(v[k], c->f);
        }
    if (nonfinite) {
        *nonfinite = 0;
        for (size_t k = 0; k <= L; k++) *nonfinite |= has_nonfinite(v[k]);
    }
    block_cache_free(c);
    return RESLAB_OK;
}

typedef struct {
    const Net *net;
    BlockCache *c;
    gsl_matrix **stack;    /* [L + 1]: stack[l] the term after block l took its branch */
    gsl_matrix **by_len;   /* [L + 1] or NULL */
    gsl_matrix *sum;       /* or NULL */
    PathsVisit visit;
    void *ctx;
} Enum;

/* Blocks 1..l are decided (branch set mask, k branches), term = their product applied to x0.
 * Block l + 1 either passes term on unchanged (shortcut) or multiplies it by M_{l+1} (branch). */
static void enum_walk(Enum *e, size_t l, const gsl_matrix *term, unsigned long mask, size_t k)
{
    if (l == e->net->cfg.depth) {                  /* a whole path: one term of the sum */
        if (e->by_len) gsl_matrix_add(e->by_len[k], term);
        if (e->sum) gsl_matrix_add(e->sum, term);
        if (e->visit) e->visit(mask, k, term, e->ctx);
        return;
    }
    enum_walk(e, l + 1, term, mask, k);                              /* shortcut of block l + 1 */
    block_branch_forward(&e->net->block, e->net->params[l], term, e->c);   /* M_{l+1} term */
    gsl_matrix_memcpy(e->stack[l + 1], e->c->f);
    enum_walk(e, l + 1, e->stack[l + 1], mask | (1ul << l), k + 1);  /* branch of block l + 1 */
}

int paths_enumerate(const Net *net, const gsl_matrix *x0, gsl_matrix **by_len, gsl_matrix *sum,
                    PathsVisit visit, void *ctx, int *nonfinite, char *err, size_t errlen)
{
    size_t L = net->cfg.depth, Bx = x0->size1, n = x0->size2;
    if (L > PATHS_ENUM_MAX)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "depth %zu: enumerating 2^L paths one by one is limited to L <= %d "
                          "(use paths_by_length)", L, PATHS_ENUM_MAX);
    int rc = expansion_args(net, x0, by_len, err, errlen);
    if (rc) return rc;
    if (sum && (rc = check_shapes(&sum, 1, Bx, n, "sum", err, errlen))) return rc;
    Enum e = {.net = net, .by_len = by_len, .sum = sum, .visit = visit, .ctx = ctx};
    e.c = block_cache_alloc(&net->block, Bx);
    e.stack = calloc(L + 1, sizeof *e.stack);
    rc = RESLAB_ERR_NOMEM;
    if (!e.c || !e.stack) goto done;
    for (size_t l = 1; l <= L; l++)
        if (!(e.stack[l] = gsl_matrix_alloc(Bx, n))) goto done;
    for (size_t k = 0; by_len && k <= L; k++) gsl_matrix_set_zero(by_len[k]);
    if (sum) gsl_matrix_set_zero(sum);
    enum_walk(&e, 0, x0, 0ul, 0);
    if (nonfinite) {
        *nonfinite = sum ? has_nonfinite(sum) : 0;
        for (size_t k = 0; by_len && k <= L; k++) *nonfinite |= has_nonfinite(by_len[k]);
    }
    rc = RESLAB_OK;
done:
    for (size_t l = 0; e.stack && l <= L; l++) gsl_matrix_free(e.stack[l]);
    free(e.stack);
    block_cache_free(e.c);
    return rc == RESLAB_OK ? rc : status_set(err, errlen, rc, "no memory for %zu path terms", L);
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

double paths_length_counts(size_t L, size_t k)
{
    if (L > PATHS_COUNT_MAX) return NAN;
    if (k > L) return 0.0;
    if (k > L - k) k = L - k;
    /* C(L-k+i, i) = C(L-k+i-1, i-1) (L-k+i) / i is an integer at every step. With g = gcd(c, i)
     * and t = i / g coprime to c / g, t divides (L-k+i), so the division is exact first. */
    uint64_t c = 1;
    size_t i = 1;
    for (; i <= k; i++) {
        uint64_t g = gcd_u64(c, i), m = (uint64_t)(L - k + i) / (i / g);
        if (c / g > UINT64_MAX / m) break;       /* would overflow: continue in double */
        c = c / g * m;
    }
    double d = (double)c;
    for (; i <= k; i++) d = d * (double)(L - k + i) / (double)i;
    return d;
}

double paths_length_fraction(size_t L, size_t k)
{
    return ldexp(paths_length_counts(L, k), -(int)(L <= PATHS_COUNT_MAX ? L : 0));   /* / 2^L */
}

double paths_length_fraction_range(size_t L, size_t k0, size_t k1)
{
    double s = 0.0;
    for (size_t k = k0; k <= k1 && k <= L; k++) s += paths_length_fraction(L, k);
    return s;
}

void paths_length_moments(size_t L, double *mean, double *sd)
{
    double m = 0.0, v = 0.0;
    for (size_t k = 0; k <= L; k++) m += (double)k * paths_length_fraction(L, k);
    for (size_t k = 0; k <= L; k++) v += ((double)k - m) * ((double)k - m) * paths_length_fraction(L, k);
    *mean = m;
    *sd = sqrt(v);
}

/* ---- gradient per path length ---- */

typedef struct {
    Net *net;
    BlockWork *w;
    gsl_matrix **stack;     /* [L + 1] (B, n): stack[l] = the path's dL/dx_l; stack[L] = x_L / B */
    gsl_matrix *spare;      /* (B, n): the second buffer of a sampled path */
    PathsGradStats *stats;  /* [L + 1]; while running, sd holds the sum of squared deviations */
    gsl_matrix **gsum;      /* [L + 1] or NULL */
} Grad;

/* One block of one path backwards: dprev = dL/dx_{l-1} from d = dL/dx_l through block l's
 * branch only (dF/dx) or its shortcut only (dS/dx), from what the forward pass saved. */
static void grad_step(Grad *G, size_t l, gsl_matrix *dprev, const gsl_matrix *d, int branch)
{
    const Net *net = G->net;
    gsl_matrix_set_zero(dprev);
    block_backward_paths(&net->block, dprev, NULL, d, net_x(net, l - 1), net->params[l - 1],
                         net->cache[l - 1], G->w, branch ? BLOCK_PATH_BRANCH : BLOCK_PATH_SHORTCUT);
}

/* Records one path of length k with input gradient d0 (Welford's running mean). */
static void grad_record(Grad *G, size_t k, const gsl_matrix *d0)
{
    PathsGradStats *s = &G->stats[k];
    double x = frob(d0);
    if (G->gsum) gsl_matrix_add(G->gsum[k], d0);
    s->count++;
    if (!isfinite(x)) {
        s->nonfinite++;
        return;
    }
    double nf = (double)(s->count - s->nonfinite), delta = x - s->mean;
    s->mean += delta / nf;
    s->sd += delta * (x - s->mean);
    s->min = fmin(s->min, x);
    s->max = fmax(s->max, x);
}

/* Blocks L..l+1 are decided; stack[l] holds the path's dL/dx_l. Depth first, so the paths that
 * share their top blocks share those backward steps. */
static void grad_walk(Grad *G, size_t l, size_t k)
{
    if (l == 0) {
        grad_record(G, k, G->stack[0]);
        return;
    }
    grad_step(G, l, G->stack[l - 1], G->stack[l], 0);     /* shortcut of block l */
    grad_walk(G, l - 1, k);
    grad_step(G, l, G->stack[l - 1], G->stack[l], 1);     /* branch of block l */
    grad_walk(G, l - 1, k + 1);
}

/* S random paths of each length: k blocks chosen uniformly without replacement. */
static void grad_sample(Grad *G, size_t S, gsl_rng *rng, size_t *all, size_t *pick,
                        unsigned char *on)
{
    size_t L = G->net->cfg.depth;
    for (size_t k = 0; k <= L; k++)
        for (size_t s = 0; s < S; s++) {
            for (size_t l = 0; l < L; l++) on[l] = 0;
            if (k > 0) gsl_ran_choose(rng, pick, k, all, L, sizeof *all);
            for (size_t j = 0; j < k; j++) on[pick[j]] = 1;
            const gsl_matrix *d = G->stack[L];            /* dL/dx_L = x_L / B */
            gsl_matrix *a = G->stack[0], *b = G->spare;
            for (size_t l = L; l >= 1; l--) {
                grad_step(G, l, a, d, on[l - 1]);
                d = a;
                a = a == G->stack[0] ? b : G->stack[0];
            }
            grad_record(G, k, d);
        }
}

static int grad_args(const Net *net, const gsl_matrix *X, const PathsGradOptions *opt,
                     const gsl_rng *rng, gsl_matrix **gsum, char *err, size_t errlen)
{
    size_t L = net->cfg.depth;
    if (X && (X->size1 != net->batch || X->size2 != net_input_width(net)))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "X must be (%zu, %zu)", net->batch,
                          net_input_width(net));
    if (opt->enumerate && L > PATHS_ENUM_MAX)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "depth %zu: enumerating every path needs L <= %d; sample instead", L,
                          PATHS_ENUM_MAX);
    if (!opt->enumerate && (opt->samples == 0 || !rng))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "sampling paths needs samples >= 1 and a gsl_rng");
    return gsum ? check_shapes(gsum, L + 1, net->batch, net->cfg.width, "gsum", err, errlen)
                : RESLAB_OK;
}

int paths_grad_by_length(Net *net, const gsl_matrix *X, const PathsGradOptions *opt,
                         gsl_rng *rng, PathsGradStats *stats, gsl_matrix **gsum, char *err,
                         size_t errlen)
{
    size_t L = net->cfg.depth, B = net->batch, n = net->cfg.width;
    int rc = grad_args(net, X, opt, rng, gsum, err, errlen);
    if (rc) return rc;
    if (X) net_forward(net, X);
    Grad G = {.net = net, .stats = stats, .gsum = gsum};
    G.w = block_work_alloc(&net->block, B);
    G.stack = calloc(L + 1, sizeof *G.stack);
    G.spare = gsl_matrix_alloc(B, n);
    size_t *all = malloc(L * sizeof *all), *pick = malloc(L * sizeof *pick);
    unsigned char *on = malloc(L);
    rc = RESLAB_ERR_NOMEM;
    if (!G.w || !G.stack || !G.spare || !all || !pick || !on) goto done;
    for (size_t l = 0; l <= L; l++)
        if (!(G.stack[l] = gsl_matrix_alloc(B, n))) goto done;
    for (size_t k = 0; k <= L; k++) {
        stats[k] = (PathsGradStats){.min = INFINITY, .max = -INFINITY};
        if (gsum) gsl_matrix_set_zero(gsum[k]);
    }
    for (size_t l = 0; l < L; l++) all[l] = l;
    /* L = 0.5 ||x_L||^2 / B, so dL/dx_L = x_L / B: where every path's backward pass starts */
    gsl_matrix_memcpy(G.stack[L], net_x(net, L));
    gsl_matrix_scale(G.stack[L], 1.0 / (double)B);
    if (opt->enumerate) grad_walk(&G, L, 0);
    else grad_sample(&G, opt->samples, rng, all, pick, on);
    for (size_t k = 0; k <= L; k++) {
        PathsGradStats *s = &stats[k];
        size_t nf = s->count - s->nonfinite;
        s->sd = nf > 0 ? sqrt(s->sd / (double)nf) : NAN;   /* population sd over the paths */
        if (nf == 0) s->mean = s->min = s->max = NAN;
        s->total = paths_length_counts(L, k) * s->mean;
    }
    rc = RESLAB_OK;
done:
    for (size_t l = 0; G.stack && l <= L; l++) gsl_matrix_free(G.stack[l]);
    free(G.stack);
    gsl_matrix_free(G.spare);
    block_work_free(G.w);
    free(all);
    free(pick);
    free(on);
    return rc == RESLAB_OK ? rc : status_set(err, errlen, rc, "no memory for the path gradients");
}

/* ---- lesions ---- */

/* x_L' with block k deleted, into out: x_k = x_{k-1}, then blocks k+1..L on two alternating
 * scratch caches c[0], c[1]. */
static void lesion_run(const Net *net, size_t k, BlockCache **c, gsl_matrix *out)
{
    const gsl_matrix *x = net_x(net, k - 1);      /* the lesion: x_k = x_{k-1}, block k skipped */
    for (size_t l = k + 1; l <= net->cfg.depth; l++) {
        BlockCache *cc = c[l & 1];
        if (cc->mask) gsl_matrix_memcpy(cc->mask, net->cache[l - 1]->mask);   /* same dropout */
        block_forward(&net->block, net->params[l - 1], x, cc);
        x = cc->out;
    }
    gsl_matrix_memcpy(out, x);
}

static int lesion_alloc(const Net *net, BlockCache **c, char *err, size_t errlen)
{
    c[0] = block_cache_alloc(&net->block, net->batch);
    c[1] = block_cache_alloc(&net->block, net->batch);
    if (c[0] && c[1]) return RESLAB_OK;
    block_cache_free(c[0]);
    block_cache_free(c[1]);
    return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the lesion's forward pass");
}

int paths_lesion_one(const Net *net, size_t k, gsl_matrix *out, char *err, size_t errlen)
{
    if (k < 1 || k > net->cfg.depth)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "block %zu: blocks are 1..%zu", k,
                          net->cfg.depth);
    int rc = check_shapes(&out, 1, net->batch, net->cfg.width, "out", err, errlen);
    BlockCache *c[2];
    if (rc || (rc = lesion_alloc(net, c, err, errlen))) return rc;
    lesion_run(net, k, c, out);
    block_cache_free(c[0]);
    block_cache_free(c[1]);
    return RESLAB_OK;
}

int paths_lesion(Net *net, const gsl_matrix *X, double *rel, int *nonfinite, char *err,
                 size_t errlen)
{
    size_t L = net->cfg.depth;
    if (X && (X->size1 != net->batch || X->size2 != net_input_width(net)))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "X must be (%zu, %zu)", net->batch,
                          net_input_width(net));
    BlockCache *c[2];
    int rc = lesion_alloc(net, c, err, errlen);
    if (rc) return rc;
    gsl_matrix *out = gsl_matrix_alloc(net->batch, net->cfg.width);
    gsl_matrix *d = gsl_matrix_alloc(net->batch, net->cfg.width);
    if (!out || !d) {
        rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the lesion's forward pass");
        goto done;
    }
    if (X) net_forward(net, X);
    const gsl_matrix *xL = net_x(net, L);
    double norm = frob(xL);
    int bad = has_nonfinite(xL);
    for (size_t k = 1; k <= L; k++) {
        lesion_run(net, k, c, out);
        bad |= has_nonfinite(out);
        double diff = frob_diff(out, xL, d);
        rel[k - 1] = norm > 0.0 ? diff / norm : diff;    /* ||x_L' - x_L|| / ||x_L|| */
    }
    if (nonfinite) *nonfinite = bad;
done:
    gsl_matrix_free(out);
    gsl_matrix_free(d);
    block_cache_free(c[0]);
    block_cache_free(c[1]);
    return rc;
}
