/* test_reference.c: reslab's forward values and every gradient agree with PyTorch's autograd.
 *
 * Claim: for every block variant (6 shortcuts x post/pre x ReLU/tanh) and four depth-20 nets,
 * reslab's output, loss L = 0.5 ||out||_F^2 / B, dL/d(input), dL/d(every parameter) and, for
 * nets, every activation x_l and every dL/dx_l equal the values PyTorch computed from the same
 * weights, to 1e-12 relative. The expected values come from an implementation we did not write:
 * tests/reference/make_reference.py builds the same equations in torch and lets autograd
 * differentiate them. How the files were made and how to remake them: tests/reference/README.md.
 *
 * The data directory is $RESLAB_REFERENCE_DIR (meson sets it to tests/reference/data); unset,
 * the test is skipped (exit 77). Its cases.txt lists one case directory a line; each holds
 * case.txt, input.npy, the weights (W1.npy ... or l<k>_W1.npy ..., W_in.npy) and the torch
 * results expected_*.npy. The weights are COPIED into reslab's structures, not drawn again.
 * A missing or malformed file is one NOT OK line with the npy module's message.
 * Dimensions: B batch, n_in / n_out block widths, h hidden width, L depth, n net width.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_rng.h>

#include "block.h"
#include "check.h"
#include "net.h"
#include "npy.h"
#include "status.h"

/* Both sides compute in double but sum the same products in different orders, so they differ by
 * rounding: ~1e-16 per operation, grown at most ~100-fold through 20 blocks. A wrong term in an
 * equation (a missing shortcut gradient, a transposed W) is an O(1) relative difference. */
#define REF_RTOL 1e-12

typedef struct {
    int is_net;                          /* kind = block | net */
    size_t n_in, n_out, h, depth, batch, input_width;
    unsigned long seed;
    Activation act;
    ShortcutKind shortcut;
    BlockOrder order;
    double lambda;
} RefConfig;

/* A tensor of reslab's to fill from a file or to compare with one: a matrix or a vector. */
typedef struct {
    char name[32];
    gsl_matrix *m;
    gsl_vector *v;
} RefTensor;

/* ---- reading case.txt ----------------------------------------------------------------------- */

static const char *const ref_keys[] = {
    "kind", "n_in", "n_out", "h", "act", "shortcut", "order", "lambda", "depth", "batch",
    "input_width", "seed",
    "init", "bias_std",                  /* how dump_cases drew the weights: informational */
};
enum { REF_REQUIRED_KEYS = 12, REF_KEYS = sizeof ref_keys / sizeof ref_keys[0] };

/* Widths, batch and depth above this are refused as malformed: the cases are small, and a huge
 * number must not reach gsl_matrix_alloc, whose failure would abort instead of reporting. */
#define REF_MAX_SIZE 1024

static int ref_parse_size(const char *s, size_t *out, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max) return -1;
    *out = (size_t)v;
    return 0;
}

/* Sets the field of key number k from text; 0, or -1 for a bad value. */
static int ref_config_set(RefConfig *rc, size_t k, const char *val)
{
    size_t *sizes[] = {NULL, &rc->n_in, &rc->n_out, &rc->h, NULL, NULL, NULL, NULL, &rc->depth,
                       &rc->batch, &rc->input_width};
    size_t seed;
    char *end;
    switch (k) {
    case 0:
        rc->is_net = strcmp(val, "net") == 0;
        return rc->is_net || strcmp(val, "block") == 0 ? 0 : -1;
    case 4: return act_parse(val, &rc->act) ? -1 : 0;
    case 5: return block_shortcut_parse(val, &rc->shortcut) ? -1 : 0;
    case 6: return block_order_parse(val, &rc->order) ? -1 : 0;
    case 7:
        errno = 0;
        rc->lambda = strtod(val, &end);
        return errno || end == val || *end || !isfinite(rc->lambda) ? -1 : 0;
    case 11:
        if (ref_parse_size(val, &seed, ULONG_MAX)) return -1;
        rc->seed = (unsigned long)seed;
        return 0;
    case 12: case 13: return 0;
    default: return ref_parse_size(val, sizes[k], REF_MAX_SIZE);
    }
}

/* Reads case.txt: "key = value" lines, '#' comments, blank lines; every required key once. */
static int ref_read_config(const char *dir, RefConfig *rc, char *err, size_t errlen)
{
    char path[4096], line[256], key[32], val[64], extra;
    if (npy_path(path, sizeof path, dir, "case.txt"))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: path too long", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    memset(rc, 0, sizeof *rc);
    unsigned seen = 0;
    int st = RESLAB_OK;
    for (int lineno = 1; !st && fgets(line, sizeof line, f); lineno++) {
        size_t k = 0;
        if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#') continue;
        if (sscanf(line, "%31s = %63s %c", key, val, &extra) != 2) {
            st = status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: line %d: expected key = value",
                            path, lineno);
            break;
        }
        while (k < REF_KEYS && strcmp(key, ref_keys[k]) != 0) k++;
        if (k == REF_KEYS || (seen & (1u << k)))
            st = status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: line %d: %s key '%s'", path,
                            lineno, k == REF_KEYS ? "unknown" : "repeated", key);
        else if (ref_config_set(rc, k, val))
            st = status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: line %d: bad value '%s' for %s",
                            path, lineno, val, key);
        else
            seen |= 1u << k;
    }
    fclose(f);
    for (size_t k = 0; !st && k < REF_REQUIRED_KEYS; k++)
        if (!(seen & (1u << k)))
            st = status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: no %s", path, ref_keys[k]);
    return st;
}

/* ---- loading tensors ------------------------------------------------------------------------ */

/* The tensors of one block's parameters (or gradients), named prefix + W1, b1, W2, b2 (, Ws). */
static size_t ref_block_tensors(BlockParams *p, const char *prefix, RefTensor t[5])
{
    const char *names[] = {"W1", "b1", "W2", "b2", "Ws"};
    gsl_matrix *ms[] = {p->W1, NULL, p->W2, NULL, p->Ws};
    gsl_vector *vs[] = {NULL, p->b1, NULL, p->b2, NULL};
    size_t count = p->Ws ? 5 : 4;
    for (size_t i = 0; i < count; i++) {
        snprintf(t[i].name, sizeof t[i].name, "%s%s", prefix, names[i]);
        t[i].m = ms[i];
        t[i].v = vs[i];
    }
    return count;
}

/* Reads dir/file into a new matrix or vector (as t is one), refusing a shape other than t's. */
static int ref_read_like(const char *dir, const char *file, const RefTensor *t, RefTensor *out,
                         char *err, size_t errlen)
{
    char path[4096];
    memset(out, 0, sizeof *out);
    if (npy_path(path, sizeof path, dir, file))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s/%s: path too long", dir, file);
    int rc = t->m ? npy_read_matrix(path, &out->m, err, errlen)
                  : npy_read_vector(path, &out->v, err, errlen);
    if (rc) return rc;
    if (t->m && (out->m->size1 != t->m->size1 || out->m->size2 != t->m->size2))
        rc = status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: shape (%zu, %zu), expected (%zu, %zu)",
                        path, out->m->size1, out->m->size2, t->m->size1, t->m->size2);
    if (t->v && out->v->size != t->v->size)
        rc = status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: shape (%zu,), expected (%zu,)", path,
                        out->v->size, t->v->size);
    if (rc) {
        gsl_matrix_free(out->m);
        gsl_vector_free(out->v);
        out->m = NULL;
        out->v = NULL;
    }
    return rc;
}

/* Copies dir/<t.name>.npy into t (the weights reslab will use). */
static int ref_load(const char *dir, RefTensor *t, char *err, size_t errlen)
{
    char file[64];
    RefTensor in;
    snprintf(file, sizeof file, "%s.npy", t->name);
    int rc = ref_read_like(dir, file, t, &in, err, errlen);
    if (rc) return rc;
    if (t->m) gsl_matrix_memcpy(t->m, in.m);
    else gsl_vector_memcpy(t->v, in.v);
    gsl_matrix_free(in.m);
    gsl_vector_free(in.v);
    return RESLAB_OK;
}

static int ref_load_block(const char *dir, BlockParams *p, const char *prefix, char *err,
                          size_t errlen)
{
    RefTensor t[5];
    size_t count = ref_block_tensors(p, prefix, t);
    for (size_t i = 0; i < count; i++) {
        int rc = ref_load(dir, &t[i], err, errlen);
        if (rc) return rc;
    }
    return RESLAB_OK;
}

/* ---- comparing ------------------------------------------------------------------------------ */

/* max |a - b| / max |b| over a whole tensor: the difference measured against the tensor's
 * largest entry, so an entry near 0 does not need 12 digits of its own. NaN if any difference
 * is not finite. A torch tensor that is exactly 0 (none is, in the committed cases) requires
 * reslab's to be exactly 0 as well. */
static double ref_rel_tensor(const RefTensor *got, const RefTensor *want)
{
    size_t rows = got->m ? got->m->size1 : 1, cols = got->m ? got->m->size2 : got->v->size;
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double a = got->m ? gsl_matrix_get(got->m, i, j) : gsl_vector_get(got->v, j);
            double b = want->m ? gsl_matrix_get(want->m, i, j) : gsl_vector_get(want->v, j);
            if (!isfinite(a - b)) return NAN;
            diff = fmax(diff, fabs(a - b));
            scale = fmax(scale, fabs(b));
        }
    return scale > 0.0 ? diff / scale : (diff == 0.0 ? 0.0 : INFINITY);
}

/* *rel = ref_rel_tensor of got against torch's dir/file, which must have got's shape. */
static int ref_rel_file(const char *dir, const char *file, const RefTensor *got, double *rel,
                        char *err, size_t errlen)
{
    RefTensor want;
    int rc = ref_read_like(dir, file, got, &want, err, errlen);
    if (rc) return rc;
    *rel = ref_rel_tensor(got, &want);
    gsl_matrix_free(want.m);
    gsl_vector_free(want.v);
    return RESLAB_OK;
}

/* One line: reslab's tensor got against torch's dir/file. */
static void ref_compare(Check *c, const char *case_name, const char *dir, const char *file,
                        const RefTensor *got)
{
    char err[512], what[256];
    double rel;
    if (ref_rel_file(dir, file, got, &rel, err, sizeof err)) {
        check_true(c, 0, "%s: %s", case_name, err);
        return;
    }
    snprintf(what, sizeof what, "%s %s vs torch: max|diff| / max|torch|", case_name, got->name);
    check_below(c, what, rel, REF_RTOL);
}

static void ref_compare_grads(Check *c, const char *case_name, const char *dir, BlockParams *g,
                              const char *prefix)
{
    RefTensor t[5];
    char file[64];
    size_t count = ref_block_tensors(g, prefix, t);
    for (size_t i = 0; i < count; i++) {
        RefTensor d = t[i];                                   /* "l3_W1" -> "dl3_W1" */
        snprintf(d.name, sizeof d.name, "d%.30s", t[i].name);
        snprintf(file, sizeof file, "expected_%.31s.npy", d.name);
        ref_compare(c, case_name, dir, file, &d);
    }
}

static void ref_compare_loss(Check *c, const char *case_name, const char *dir, double loss)
{
    gsl_vector_view v = gsl_vector_view_array(&loss, 1);
    RefTensor t = {"loss", NULL, &v.vector};
    ref_compare(c, case_name, dir, "expected_loss.npy", &t);
}

static void ref_compare_matrix(Check *c, const char *case_name, const char *dir,
                               const char *file, const char *name, const gsl_matrix *m)
{
    RefTensor t = {"", (gsl_matrix *)m, NULL};   /* only read */
    snprintf(t.name, sizeof t.name, "%s", name);
    ref_compare(c, case_name, dir, file, &t);
}

/* One line for all layers: x_0..x_L (or dL/dx_0..dL/dx_L) against torch's (L+1, B, n) stack,
 * each layer measured against its own largest entry (activations grow and gradients fade with
 * depth, so one scale for the whole stack would let the small layers off). */
static void ref_compare_stack(Check *c, const char *case_name, const char *dir, const Net *net,
                              int grads)
{
    const char *file = grads ? "expected_dx.npy" : "expected_x.npy";
    char path[4096], err[512], what[256];
    size_t L = net->cfg.depth, B = net->batch, n = net->cfg.width, shape[NPY_MAX_DIMS];
    double *data = NULL, worst = 0.0;
    int ndim = 0;
    size_t worst_l = 0;
    int rc = npy_path(path, sizeof path, dir, file)
                 ? status_set(err, sizeof err, RESLAB_ERR_INVALID, "%s/%s: path too long", dir,
                              file)
                 : npy_read(path, &data, shape, &ndim, err, sizeof err);
    if (!rc && (ndim != 3 || shape[0] != L + 1 || shape[1] != B || shape[2] != n))
        rc = status_set(err, sizeof err, RESLAB_ERR_FORMAT,
                        "%s: %d axes (%zu, %zu, %zu, ...), expected (%zu, %zu, %zu)", path, ndim,
                        shape[0], shape[1], shape[2], L + 1, B, n);
    for (size_t l = 0; !rc && l <= L; l++) {
        gsl_matrix_const_view want = gsl_matrix_const_view_array(data + l * B * n, B, n);
        RefTensor g = {"", (gsl_matrix *)(grads ? net->dx[l] : net_x(net, l)), NULL};  /* read */
        RefTensor w = {"", (gsl_matrix *)&want.matrix, NULL};
        double r = ref_rel_tensor(&g, &w);
        if (isnan(r) || r > worst) {
            worst = r;
            worst_l = l;
            if (isnan(r)) break;             /* NaN is the verdict: keep it */
        }
    }
    if (rc) check_true(c, 0, "%s: %s", case_name, err);
    else {
        snprintf(what, sizeof what, "%s %s_l, l = 0..%zu, vs torch: worst layer (l = %zu)",
                 case_name, grads ? "dx" : "x", L, worst_l);
        check_below(c, what, worst, REF_RTOL);
    }
    free(data);
}

/* ---- the cases ------------------------------------------------------------------------------ */

/* One block's run: its tensors, loaded from a case directory, and what forward and backward
 * made of them. */
typedef struct {
    BlockConfig cfg;
    BlockParams *p, *g;      /* parameters (from the files), their gradients */
    BlockCache *k;
    BlockWork *w;
    gsl_matrix *x, *dx;      /* (B, n_in) input and dL/dx */
    gsl_matrix *dout;        /* (B, n_out) dL/dout = out / B */
    double loss;             /* L = 0.5 ||out||^2 / B */
} RefBlockRun;

static void ref_block_run_free(RefBlockRun *r)
{
    block_params_free(r->p);
    block_params_free(r->g);
    block_cache_free(r->k);
    block_work_free(r->w);
    gsl_matrix_free(r->x);
    gsl_matrix_free(r->dx);
    gsl_matrix_free(r->dout);
}

/* Loads input.npy and the weights of dir, runs forward, L = 0.5 ||out||^2 / B, and backward
 * from dL/dout = out / B. Backward uses back_cfg: the same as cfg, except in the planted bug. */
static int ref_block_run(RefBlockRun *r, const char *dir, const BlockConfig *cfg,
                         const BlockConfig *back_cfg, size_t B, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    int rc = block_config_check(cfg, err, errlen);
    if (rc) return rc;
    if (B < 1) return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: batch must be >= 1", dir);
    r->p = block_params_alloc(cfg);
    r->g = block_grads_alloc(cfg);
    r->k = block_cache_alloc(cfg, B);
    r->w = block_work_alloc(cfg, B);
    r->x = gsl_matrix_alloc(B, cfg->n_in);
    r->dx = gsl_matrix_calloc(B, cfg->n_in);
    r->dout = gsl_matrix_alloc(B, cfg->n_out);
    if (!r->p || !r->g || !r->k || !r->w || !r->x || !r->dx || !r->dout)
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", dir);
    RefTensor input = {"input", r->x, NULL};
    if ((rc = ref_load(dir, &input, err, errlen)) ||
        (rc = ref_load_block(dir, r->p, "", err, errlen)))
        return rc;
    block_forward(cfg, r->p, r->x, r->k);
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < cfg->n_out; j++) {
            double o = gsl_matrix_get(r->k->out, i, j);
            r->loss += o * o;
        }
    r->loss *= 0.5 / (double)B;                          /* L = 0.5 ||out||^2 / B */
    gsl_matrix_memcpy(r->dout, r->k->out);               /* dL/dout = out / B */
    gsl_matrix_scale(r->dout, 1.0 / (double)B);
    block_params_zero(r->g);
    block_backward(back_cfg, r->dx, r->g, r->dout, r->x, r->p, r->k, r->w);
    return RESLAB_OK;
}

static BlockConfig ref_block_config(const RefConfig *rc)
{
    BlockConfig cfg = {rc->n_in, rc->n_out, rc->h, rc->act, rc->shortcut, rc->order, rc->lambda, 0, 0.0};
    return cfg;
}

/* One block: output, loss, dL/dx and every parameter gradient against torch's. */
static void ref_block_case(Check *c, const char *name, const char *dir, const RefConfig *rc)
{
    char err[512];
    RefBlockRun r;
    BlockConfig cfg = ref_block_config(rc);
    if (rc->depth != 1) {
        check_true(c, 0, "%s: a block case has depth 1, not %zu", name, rc->depth);
        return;
    }
    if (ref_block_run(&r, dir, &cfg, &cfg, rc->batch, err, sizeof err)) {
        check_true(c, 0, "%s: %s", name, err);
    } else {
        ref_compare_matrix(c, name, dir, "expected_out.npy", "out", r.k->out);
        ref_compare_loss(c, name, dir, r.loss);
        ref_compare_matrix(c, name, dir, "expected_dinput.npy", "dinput", r.dx);
        ref_compare_grads(c, name, dir, r.g, "");
    }
    ref_block_run_free(&r);
}

static NetConfig ref_net_config(const RefConfig *rc)
{
    NetConfig cfg = net_config_default();
    cfg.depth = rc->depth;
    cfg.width = rc->n_out;
    cfg.hidden = rc->h;
    cfg.input_width = rc->input_width;
    cfg.act = rc->act;
    cfg.shortcut = rc->shortcut;
    cfg.order = rc->order;
    cfg.lambda = rc->lambda;
    return cfg;
}

/* Copies input.npy, W_in.npy and l<k>_*.npy into the net and X. */
static int ref_load_net(const char *dir, Net *net, gsl_matrix *X, char *err, size_t errlen)
{
    RefTensor input = {"input", X, NULL}, w_in = {"W_in", net->W_in, NULL};
    int rc = ref_load(dir, &input, err, errlen);
    if (!rc && net->W_in) rc = ref_load(dir, &w_in, err, errlen);
    for (size_t l = 1; !rc && l <= net->cfg.depth; l++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "l%zu_", l);
        rc = ref_load_block(dir, net->params[l - 1], prefix, err, errlen);
    }
    return rc;
}

static void ref_compare_net(Check *c, const char *name, const char *dir, Net *net, gsl_matrix *dX,
                            double loss)
{
    size_t L = net->cfg.depth;
    ref_compare_matrix(c, name, dir, "expected_out.npy", "out = x_L", net_x(net, L));
    ref_compare_loss(c, name, dir, loss);
    ref_compare_stack(c, name, dir, net, 0);
    ref_compare_stack(c, name, dir, net, 1);
    ref_compare_matrix(c, name, dir, "expected_dinput.npy", "dinput", dX);
    if (net->W_in) ref_compare_matrix(c, name, dir, "expected_dW_in.npy", "dW_in", net->dW_in);
    for (size_t l = 1; l <= L; l++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "l%zu_", l);
        ref_compare_grads(c, name, dir, net->grads[l - 1], prefix);
    }
}

/* A net: forward, L = 0.5 ||x_L||^2 / B and backward by net_loss_backward; the data gradient is
 * dL/dX = dL/dx_0 W_in (x_0 = X W_in^T), or dL/dx_0 itself without an input projection. */
static void ref_net_case(Check *c, const char *name, const char *dir, const RefConfig *rc_)
{
    char err[512];
    NetConfig cfg = ref_net_config(rc_);
    size_t B = rc_->batch, in = rc_->input_width ? rc_->input_width : rc_->n_out;
    if (net_config_check(&cfg, B, RESLAB_MEMORY_LIMIT, err, sizeof err) || rc_->n_in != in) {
        check_true(c, 0, "%s: bad net configuration: %s", name,
                   rc_->n_in != in ? "n_in differs from the input width" : err);
        return;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, rc_->seed);                  /* net_alloc draws; the files overwrite it all */
    Net *net = rng ? net_alloc(&cfg, B, rng) : NULL;
    gsl_matrix *X = gsl_matrix_alloc(B, in), *dX = gsl_matrix_calloc(B, in);
    if (!net || !X || !dX) {
        check_true(c, 0, "%s: out of memory", name);
    } else if (ref_load_net(dir, net, X, err, sizeof err)) {
        check_true(c, 0, "%s: %s", name, err);
    } else {
        net_forward(net, X);
        net_zero_grad(net);
        double loss = net_loss_backward(net);
        if (net->W_in)                            /* dX = dx_0 W_in: [B x in] = [B x n][n x in] */
            gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, net->dx[0], net->W_in, 0.0, dX);
        else
            gsl_matrix_memcpy(dX, net->dx[0]);
        ref_compare_net(c, name, dir, net, dX, loss);
    }
    net_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(dX);
    gsl_rng_free(rng);
}

static void ref_run_case(Check *c, const char *root, const char *name)
{
    char dir[4096], err[512];
    RefConfig rc;
    int st = npy_path(dir, sizeof dir, root, name)
                 ? status_set(err, sizeof err, RESLAB_ERR_INVALID, "%s/%s: path too long", root,
                              name)
                 : ref_read_config(dir, &rc, err, sizeof err);
    if (st) {
        check_true(c, 0, "%s: %s", name, err);
        return;
    }
    printf("# %s: %s %s %s %s, %zu -> %zu, h %zu, depth %zu, batch %zu, seed %lu\n", name,
           rc.is_net ? "net" : "block", block_shortcut_name(rc.shortcut),
           block_order_name(rc.order), act_name(rc.act), rc.n_in, rc.n_out, rc.h, rc.depth,
           rc.batch, rc.seed);
    if (rc.is_net) ref_net_case(c, name, dir, &rc);
    else ref_block_case(c, name, dir, &rc);
}

/* Runs every case listed in root/cases.txt (one name a line; '#' comments). */
static void test_reslab_agrees_with_torch(Check *c, const char *root)
{
    char path[4096], line[256];
    errno = ENAMETOOLONG;
    FILE *f = npy_path(path, sizeof path, root, "cases.txt") ? NULL : fopen(path, "r");
    if (!f) {
        check_true(c, 0, "%s/cases.txt: cannot open: %s", root, strerror(errno));
        return;
    }
    size_t cases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        if (line[0] == '#' || sscanf(line, "%127s", name) != 1) continue;
        ref_run_case(c, root, name);
        cases++;
    }
    fclose(f);
    check_true(c, cases > 0, "%s/cases.txt lists %zu cases", root, cases);
}

/* The comparison can fail: the residual forward followed by the plain twin's backward leaves out
 * the shortcut's gradient (dL/dx = dL/dy (I + dF/dx) loses its I). Torch's dL/dx must then be
 * missed by far more than REF_RTOL: this is the bug the reference exists to catch. */
static void test_missing_shortcut_gradient_is_caught(Check *c, const char *root)
{
    const char *name = "block-identity-pre-tanh";
    char dir[4096], err[512];
    RefConfig rc;
    RefBlockRun r;
    double rel = 0.0;
    memset(&rc, 0, sizeof rc);
    memset(&r, 0, sizeof r);                             /* freed below whatever happened */
    int st = npy_path(dir, sizeof dir, root, name)
                 ? status_set(err, sizeof err, RESLAB_ERR_INVALID, "%s: path too long", root)
                 : ref_read_config(dir, &rc, err, sizeof err);
    BlockConfig cfg = ref_block_config(&rc), planted = cfg;
    planted.shortcut = SHORTCUT_NONE;                    /* the bug: backward without "+ x" */
    if (!st) st = ref_block_run(&r, dir, &cfg, &planted, rc.batch, err, sizeof err);
    RefTensor dx = {"dinput", st ? NULL : r.dx, NULL};
    if (!st) st = ref_rel_file(dir, "expected_dinput.npy", &dx, &rel, err, sizeof err);
    if (st) check_true(c, 0, "planted bug: %s: %s", name, err);
    else check_true(c, rel > 1e3 * REF_RTOL, "planted bug caught: %s with the shortcut's gradient "
                    "left out misses torch's dL/dx by %.2e relative (> 1e3 x %.0e)", name, rel,
                    REF_RTOL);
    ref_block_run_free(&r);
}

int main(void)
{
    const char *root = getenv("RESLAB_REFERENCE_DIR");
    if (!root || !*root) {
        printf("SKIP: RESLAB_REFERENCE_DIR is not set "
               "(meson test sets it to tests/reference/data)\n");
        return 77;
    }
    Check c = {0, 0};
    printf("# reslab against PyTorch autograd, data in %s, tolerance %.0e relative\n", root,
           REF_RTOL);
    test_reslab_agrees_with_torch(&c, root);
    test_missing_shortcut_gradient_is_caught(&c, root);
    return check_done(&c);
}
