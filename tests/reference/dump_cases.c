/* dump_cases.c: writes the inputs of the PyTorch reference cases (tests/reference/README.md).
 *
 *     build/tests/reference-dump tests/reference/data
 *
 * For each case of a fixed list it draws weights and an input from a gsl_rng seeded with the
 * case's seed, the way reslab draws them (init_fill for the matrices, N(0, bias_std^2) biases,
 * net_alloc for whole nets), and writes into DIR/<case>/:
 *     case.txt        key = value lines: the configuration (read by make_reference.py and
 *                     tests/test_reference.c)
 *     input.npy       (B, n_in) the input x (block) or X (net)
 *     block:  W1.npy (h, n_in), b1.npy (h), W2.npy (n_out, h), b2.npy (n_out), Ws.npy (n_out, n_in)
 *             only if the shortcut has a projection
 *     net:    l<k>_W1.npy, l<k>_b1.npy, l<k>_W2.npy, l<k>_b2.npy (l<k>_Ws.npy) for block k = 1..L,
 *             W_in.npy (n, input_width) only if the net has an input projection
 * and DIR/cases.txt, the list of case names, one a line. Nothing here computes a forward or
 * backward pass: the expected values come from PyTorch (make_reference.py), and the comparison
 * is tests/test_reference.c. Same build, same bytes: every draw comes from the case's seed.
 * Dimensions: B batch, n_in / n_out block widths, h hidden width in F, L depth, n net width.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "block.h"
#include "init.h"
#include "net.h"
#include "npy.h"
#include "status.h"

enum {
    REF_BATCH = 3,        /* B: small, but more than 1 so that batch sums are exercised */
    REF_DEPTH = 20,       /* L of the net cases: deep enough for gradients to grow or fade */
    REF_SEED = 20240,     /* block case i draws from seed REF_SEED + i; nets list their own */
};
#define REF_BLOCK_BIAS_STD 0.5   /* non-zero biases, so that db1 and db2 are compared too */
#define REF_NET_BIAS_STD 0.2     /* smaller in nets: 20 blocks of biases add up */

typedef struct {
    char name[64];
    int is_net;
    BlockConfig block;   /* block cases */
    NetConfig net;       /* net cases */
    unsigned long seed;
} RefCase;

/* The 24 block cases: 6 shortcut shapes x 2 orders x 2 activations. */
static size_t ref_block_cases(RefCase *out)
{
    static const struct { ShortcutKind s; size_t n_in, n_out, h; double lambda; } shapes[] = {
        {SHORTCUT_NONE, 4, 4, 5, 1.0},     {SHORTCUT_IDENTITY, 4, 4, 5, 1.0},
        {SHORTCUT_ZEROPAD, 3, 5, 4, 1.0},  {SHORTCUT_PROJECT, 3, 5, 4, 1.0},
        {SHORTCUT_PROJECT_ALL, 5, 3, 4, 1.0}, {SHORTCUT_SCALED, 4, 4, 5, 0.5},
    };
    static const BlockOrder orders[] = {ORDER_POST, ORDER_PRE};
    static const Activation acts[] = {ACT_RELU, ACT_TANH};
    size_t k = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t o = 0; o < 2; o++)
            for (size_t a = 0; a < 2; a++, k++) {
                RefCase *c = &out[k];
                memset(c, 0, sizeof *c);
                c->block = (BlockConfig){shapes[s].n_in, shapes[s].n_out, shapes[s].h, acts[a],
                                         shapes[s].s, orders[o], shapes[s].lambda, 0, 0.0};
                snprintf(c->name, sizeof c->name, "block-%s-%s-%s",
                         block_shortcut_name(shapes[s].s), block_order_name(orders[o]),
                         act_name(acts[a]));
            }
    return k;
}

/* The 4 net cases, depth 20. Their seeds were picked by trying a few: with the first ones tried,
 * a ReLU net had a block whose hidden units were all off for the whole batch, so some gradients
 * were exactly zero and the comparison would have been 0 = 0, which teaches nothing. */
static size_t ref_net_cases(RefCase *out)
{
    static const struct {
        const char *name;
        ShortcutKind s;
        BlockOrder o;
        Activation a;
        size_t width, hidden, input_width;
        unsigned long seed;
    } nets[] = {
        {"net-residual-identity-post-relu", SHORTCUT_IDENTITY, ORDER_POST, ACT_RELU, 4, 5, 0,
         20269},
        {"net-plain-post-relu", SHORTCUT_NONE, ORDER_POST, ACT_RELU, 4, 5, 0, 20268},
        {"net-residual-identity-pre-tanh-input4", SHORTCUT_IDENTITY, ORDER_PRE, ACT_TANH, 6, 5, 4,
         20266},
        {"net-project-all-pre-relu", SHORTCUT_PROJECT_ALL, ORDER_PRE, ACT_RELU, 5, 4, 0, 20267},
    };
    size_t k = 0;
    for (; k < sizeof nets / sizeof nets[0]; k++) {
        RefCase *c = &out[k];
        memset(c, 0, sizeof *c);
        c->is_net = 1;
        c->net = net_config_default();
        c->net.depth = REF_DEPTH;
        c->net.width = nets[k].width;
        c->net.hidden = nets[k].hidden;
        c->net.input_width = nets[k].input_width;
        c->net.act = nets[k].a;
        c->net.shortcut = nets[k].s;
        c->net.order = nets[k].o;
        c->net.lambda = 1.0;
        c->net.bias_std = REF_NET_BIAS_STD;
        c->seed = nets[k].seed;
        snprintf(c->name, sizeof c->name, "%s", nets[k].name);
    }
    return k;
}

/* One block's parameters, in net.c's order: W1, W2 (He), Ws (He, linear), then b1, b2. */
static int ref_draw_block(const BlockConfig *cfg, BlockParams *p, gsl_rng *rng)
{
    int rc = init_fill(INIT_HE, cfg->act, p->W1, rng);
    if (!rc) rc = init_fill(INIT_HE, cfg->act, p->W2, rng);
    if (!rc && p->Ws) rc = init_fill(INIT_HE, ACT_IDENTITY, p->Ws, rng);
    for (size_t i = 0; i < p->b1->size; i++)
        gsl_vector_set(p->b1, i, gsl_ran_gaussian(rng, REF_BLOCK_BIAS_STD));
    for (size_t i = 0; i < p->b2->size; i++)
        gsl_vector_set(p->b2, i, gsl_ran_gaussian(rng, REF_BLOCK_BIAS_STD));
    return rc;
}

static void ref_fill_input(gsl_matrix *x, gsl_rng *rng)   /* x_ij ~ N(0, 1) */
{
    for (size_t i = 0; i < x->size1; i++)
        for (size_t j = 0; j < x->size2; j++) gsl_matrix_set(x, i, j, gsl_ran_gaussian(rng, 1.0));
}

static int ref_write_matrix(const char *dir, const char *name, const gsl_matrix *m, char *err,
                            size_t errlen)
{
    char path[4096];
    int rc = npy_path(path, sizeof path, dir, name);
    if (rc) return status_set(err, errlen, rc, "%s/%s: path too long", dir, name);
    return npy_write_matrix(path, m, err, errlen);
}

static int ref_write_vector(const char *dir, const char *name, const gsl_vector *v, char *err,
                            size_t errlen)
{
    char path[4096];
    int rc = npy_path(path, sizeof path, dir, name);
    if (rc) return status_set(err, errlen, rc, "%s/%s: path too long", dir, name);
    return npy_write_vector(path, v, err, errlen);
}

/* W1.npy ... (prefix "" for a block, "l<k>_" for block k of a net). */
static int ref_write_params(const char *dir, const char *prefix, const BlockParams *p, char *err,
                            size_t errlen)
{
    char name[64];
    int rc;
    snprintf(name, sizeof name, "%sW1.npy", prefix);
    if ((rc = ref_write_matrix(dir, name, p->W1, err, errlen))) return rc;
    snprintf(name, sizeof name, "%sb1.npy", prefix);
    if ((rc = ref_write_vector(dir, name, p->b1, err, errlen))) return rc;
    snprintf(name, sizeof name, "%sW2.npy", prefix);
    if ((rc = ref_write_matrix(dir, name, p->W2, err, errlen))) return rc;
    snprintf(name, sizeof name, "%sb2.npy", prefix);
    if ((rc = ref_write_vector(dir, name, p->b2, err, errlen))) return rc;
    if (!p->Ws) return RESLAB_OK;
    snprintf(name, sizeof name, "%sWs.npy", prefix);
    return ref_write_matrix(dir, name, p->Ws, err, errlen);
}

/* case.txt: the configuration, one "key = value" a line. For a net, n_in is the width of its
 * input X and n_out = n; for a block, depth is 1 and input_width 0. */
static int ref_write_config(const char *dir, const RefCase *c, size_t n_in, char *err,
                            size_t errlen)
{
    char path[4096];
    if (npy_path(path, sizeof path, dir, "case.txt"))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: path too long", dir);
    const BlockConfig *b = &c->block;
    const NetConfig *n = &c->net;
    FILE *f = fopen(path, "w");
    if (!f) return status_set(err, errlen, RESLAB_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f, "# %s: written by tests/reference/dump_cases.c\n", c->name);
    fprintf(f, "kind = %s\n", c->is_net ? "net" : "block");
    fprintf(f, "n_in = %zu\n", n_in);
    fprintf(f, "n_out = %zu\n", c->is_net ? n->width : b->n_out);
    fprintf(f, "h = %zu\n", c->is_net ? (n->hidden ? n->hidden : n->width) : b->h);
    fprintf(f, "act = %s\n", act_name(c->is_net ? n->act : b->act));
    fprintf(f, "shortcut = %s\n", block_shortcut_name(c->is_net ? n->shortcut : b->shortcut));
    fprintf(f, "order = %s\n", block_order_name(c->is_net ? n->order : b->order));
    fprintf(f, "lambda = %.17g\n", c->is_net ? n->lambda : b->lambda);
    fprintf(f, "depth = %zu\n", c->is_net ? n->depth : (size_t)1);
    fprintf(f, "batch = %d\n", REF_BATCH);
    fprintf(f, "input_width = %zu\n", c->is_net ? n->input_width : (size_t)0);
    fprintf(f, "seed = %lu\n", c->seed);
    fprintf(f, "init = he\n");
    fprintf(f, "bias_std = %g\n", c->is_net ? n->bias_std : REF_BLOCK_BIAS_STD);
    if (ferror(f) | fclose(f))
        return status_set(err, errlen, RESLAB_ERR_IO, "%s: write failed", path);
    return RESLAB_OK;
}

static int ref_dump_block(const char *dir, const RefCase *c, gsl_rng *rng, char *err,
                          size_t errlen)
{
    int rc = block_config_check(&c->block, err, errlen);
    if (rc) return rc;
    BlockParams *p = block_params_alloc(&c->block);
    gsl_matrix *x = gsl_matrix_alloc(REF_BATCH, c->block.n_in);   /* (B, n_in) */
    if (!p || !x) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", c->name);
    if (!rc) rc = ref_draw_block(&c->block, p, rng);
    if (!rc) {
        ref_fill_input(x, rng);
        rc = ref_write_config(dir, c, c->block.n_in, err, errlen);
    }
    if (!rc) rc = ref_write_matrix(dir, "input.npy", x, err, errlen);
    if (!rc) rc = ref_write_params(dir, "", p, err, errlen);
    block_params_free(p);
    gsl_matrix_free(x);
    return rc;
}

static int ref_dump_net(const char *dir, const RefCase *c, gsl_rng *rng, char *err, size_t errlen)
{
    int rc = net_config_check(&c->net, REF_BATCH, RESLAB_MEMORY_LIMIT, err, errlen);
    if (rc) return rc;
    Net *net = net_alloc(&c->net, REF_BATCH, rng);               /* weights from rng */
    gsl_matrix *X = net ? gsl_matrix_alloc(REF_BATCH, net_input_width(net)) : NULL;
    if (!net || !X) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", c->name);
    if (!rc) {
        ref_fill_input(X, rng);                                  /* X (B, input width) */
        rc = ref_write_config(dir, c, net_input_width(net), err, errlen);
    }
    if (!rc) rc = ref_write_matrix(dir, "input.npy", X, err, errlen);
    if (!rc && net->W_in) rc = ref_write_matrix(dir, "W_in.npy", net->W_in, err, errlen);
    for (size_t l = 1; !rc && l <= c->net.depth; l++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "l%zu_", l);
        rc = ref_write_params(dir, prefix, net->params[l - 1], err, errlen);
    }
    net_free(net);
    gsl_matrix_free(X);
    return rc;
}

static int ref_mkdir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return RESLAB_OK;
    return status_set(err, errlen, RESLAB_ERR_IO, "%s: %s", path, strerror(errno));
}

static int ref_dump_all(const char *root, char *err, size_t errlen)
{
    RefCase cases[32];
    size_t count = ref_block_cases(cases);
    count += ref_net_cases(cases + count);
    char path[4096];
    int rc = ref_mkdir(root, err, errlen);
    if (!rc && npy_path(path, sizeof path, root, "cases.txt"))
        rc = status_set(err, errlen, RESLAB_ERR_INVALID, "%s: path too long", root);
    FILE *index = rc ? NULL : fopen(path, "w");
    if (!rc && !index) rc = status_set(err, errlen, RESLAB_ERR_IO, "%s: %s", path, strerror(errno));
    if (index) fprintf(index, "# the reference cases, one directory a line (dump_cases.c)\n");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; !rc && i < count; i++) {
        if (!cases[i].is_net) cases[i].seed = REF_SEED + i;
        gsl_rng_set(rng, cases[i].seed);
        if (npy_path(path, sizeof path, root, cases[i].name))
            rc = status_set(err, errlen, RESLAB_ERR_INVALID, "%s: path too long", root);
        if (!rc) rc = ref_mkdir(path, err, errlen);
        if (!rc) rc = cases[i].is_net ? ref_dump_net(path, &cases[i], rng, err, errlen)
                                      : ref_dump_block(path, &cases[i], rng, err, errlen);
        if (!rc) {
            fprintf(index, "%s\n", cases[i].name);
            printf("wrote %s (seed %lu)\n", path, cases[i].seed);
        }
    }
    gsl_rng_free(rng);
    if (index && (ferror(index) | fclose(index)) && !rc)
        rc = status_set(err, errlen, RESLAB_ERR_IO, "%s/cases.txt: write failed", root);
    return rc;
}

int main(int argc, char **argv)
{
    char err[512] = "";
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR   (writes DIR/cases.txt and DIR/<case>/)\n", argv[0]);
        return 2;
    }
    int rc = ref_dump_all(argv[1], err, sizeof err);
    if (rc) fprintf(stderr, "reference-dump: %s\n", err);
    return rc ? 2 : 0;
}
