/* opts.c: parsing and checking of the options shared by reslab's subcommands. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

enum {
    O_DEPTH = 256, O_WIDTH, O_HIDDEN, O_BATCH, O_SEED, O_INIT, O_ACT, O_SHORTCUT, O_ORDER,
    O_LAMBDA, O_BRANCH_SCALE, O_ZERO_LAST, O_BIAS_STD, O_IN_WIDTH, O_MAX_MEMORY, O_CSV, O_NPY,
    O_STEP, O_ENTRIES, O_BLOCK, O_VERBOSE, O_HELP, O_BN, O_DROPOUT, O_GATE_BIAS,
    O_SWEEP, O_JACOBIAN, O_PATHS, O_LESION, O_SHATTER, O_STATS, O_VARIANT, O_SAMPLES, O_EXAMPLE,
    O_OUTPUT, O_SIZE, O_SCALE, O_THEME, O_LANG, O_SHOW,
};

static const struct {
    struct option opt;
    unsigned group;
    const char *help;
} table[] = {
    {{"depth", required_argument, NULL, O_DEPTH}, OPT_NET, "L      number of blocks (default 10)"},
    {{"width", required_argument, NULL, O_WIDTH}, OPT_NET, "n      width of the residual stream (default 16)"},
    {{"hidden", required_argument, NULL, O_HIDDEN}, OPT_NET, "h     hidden width inside F (default: n)"},
    {{"batch", required_argument, NULL, O_BATCH}, OPT_NET, "B      examples per batch (default 8)"},
    {{"seed", required_argument, NULL, O_SEED}, OPT_NET, "S       seed of the weights and inputs (default 1)"},
    {{"init", required_argument, NULL, O_INIT}, OPT_NET, "I       he | glorot | orthogonal (default he)"},
    {{"act", required_argument, NULL, O_ACT}, OPT_NET, "A        relu | tanh | identity (default relu)"},
    {{"shortcut", required_argument, NULL, O_SHORTCUT}, OPT_NET,
     "K   identity | zeropad (A) | project (B) | project-all (C) | scaled | gate |\n"
     "                     gate-shortcut | dropout | none (plain)"},
    {{"order", required_argument, NULL, O_ORDER}, OPT_NET, "O      post (2015) | pre (2016 pre-activation)"},
    {{"lambda", required_argument, NULL, O_LAMBDA}, OPT_NET, "X     factor of the scaled shortcut (default 0.5)"},
    {{"branch-scale", required_argument, NULL, O_BRANCH_SCALE}, OPT_NET,
     "X  multiply F's last layer by X after init (default 1)"},
    {{"zero-last", no_argument, NULL, O_ZERO_LAST}, OPT_NET, "       F's last layer starts at 0 (every block = its shortcut)"},
    {{"bias-std", required_argument, NULL, O_BIAS_STD}, OPT_NET, "X   biases ~ N(0, X^2) (default 0)"},
    {{"in-width", required_argument, NULL, O_IN_WIDTH}, OPT_NET,
     "N   input width: an input projection N -> n (net), or n_in (--block)"},
    {{"bn", no_argument, NULL, O_BN}, OPT_NET, "              batch norm inside F (training-mode statistics)"},
    {{"dropout", required_argument, NULL, O_DROPOUT}, OPT_NET, "P      drop probability of the dropout shortcut (default 0.5)"},
    {{"gate-bias", required_argument, NULL, O_GATE_BIAS}, OPT_NET, "B    initial gate bias of the gating shortcuts (default -6)"},
    {{"max-memory", required_argument, NULL, O_MAX_MEMORY}, OPT_NET, "G GiB a net may use (default 8)"},
    {{"csv", no_argument, NULL, O_CSV}, OPT_OUTPUT, "             print CSV instead of a table"},
    {{"npy", required_argument, NULL, O_NPY}, OPT_OUTPUT, "DIR          also write the arrays as NumPy .npy files into DIR"},
    {{"variant", required_argument, NULL, O_VARIANT}, OPT_FLOW, "K    the same as --shortcut (He et al. 2016, Table 1 names)"},
    {{"sweep", no_argument, NULL, O_SWEEP}, OPT_FLOW, "           depth sweep: ||dL/dx_0|| of every prefix net, depth 1..L"},
    {{"jacobian", no_argument, NULL, O_JACOBIAN}, OPT_FLOW, "        singular values of dx_L/dx_0 and of each block's Jacobian"},
    {{"paths", no_argument, NULL, O_PATHS}, OPT_FLOW, "           path lengths and the gradient carried per length (Veit et al.)"},
    {{"lesion", no_argument, NULL, O_LESION}, OPT_FLOW, "          delete one block at test time: change of the output"},
    {{"shatter", no_argument, NULL, O_SHATTER}, OPT_FLOW, "         shattered gradients: autocorrelation of dy/dx by depth\n"
     "                     (with --bn also residual + batch norm: 256x slower)"},
    {{"stats", no_argument, NULL, O_STATS}, OPT_FLOW, "           activation statistics and variance by layer"},
    {{"samples", required_argument, NULL, O_SAMPLES}, OPT_FLOW, "N      --paths: sampled paths per length (default 100)"},
    {{"example", required_argument, NULL, O_EXAMPLE}, OPT_FLOW, "b      --jacobian: which example of the batch (default 0)"},
    {{"output", required_argument, NULL, O_OUTPUT}, OPT_RENDER, "FILE, -o FILE  the figure to write: .png, .svg or .pdf"},
    {{"size", required_argument, NULL, O_SIZE}, OPT_RENDER, "WxH       size in logical units = points (default 1280x800)"},
    {{"scale", required_argument, NULL, O_SCALE}, OPT_RENDER, "S        PNG pixels per unit, e.g. 2 for HiDPI or print (default 1)"},
    {{"theme", required_argument, NULL, O_THEME}, OPT_RENDER, "T        light (projectors, default) | dark | a theme file"},
    {{"lang", required_argument, NULL, O_LANG}, OPT_RENDER, "L         en | zh (Simplified Chinese)"},
    {{"show", required_argument, NULL, O_SHOW}, OPT_RENDER, "N         both | plain | residual (default both)"},
    {{"step", required_argument, NULL, O_STEP}, OPT_GRADCHECK, "h       central-difference step (default 1e-6)"},
    {{"entries", required_argument, NULL, O_ENTRIES}, OPT_GRADCHECK, "M    check M random entries per tensor (default: all)"},
    {{"block", no_argument, NULL, O_BLOCK}, OPT_GRADCHECK, "           check one block (widths --in-width -> --width)"},
    {{"verbose", no_argument, NULL, O_VERBOSE}, OPT_GRADCHECK, "         one line per tensor"},
};
#define NTABLE (sizeof table / sizeof table[0])

void opts_defaults(CliOptions *o)
{
    memset(o, 0, sizeof *o);
    o->net = net_config_default();
    o->batch = 8;
    o->seed = 1;
    o->max_memory = RESLAB_MEMORY_LIMIT;
    o->step = 1e-6;
    o->samples = 100;
    o->width = 1280;
    o->height = 800;
    o->scale = 1.0;
    o->theme = "light";
    o->show = 3;
}

void opts_print_help(FILE *f, unsigned groups)
{
    for (size_t i = 0; i < NTABLE; i++)
        if (table[i].group & groups) fprintf(f, "  --%s %s\n", table[i].opt.name, table[i].help);
    fprintf(f, "  --help             this help\n");
}

/* A whole number in [lo, hi]: no sign, no trailing text, no overflow. */
static int parse_size(const char *cmd, const char *name, const char *s, size_t lo, size_t hi,
                      size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '\0' || s[0] == '-' || s[0] == '+' || *end != '\0' || errno == ERANGE ||
        v < lo || v > hi) {
        fprintf(stderr, "reslab %s: --%s: expected a whole number from %zu to %zu, got '%s'\n",
                cmd, name, lo, hi, s);
        return OPTS_ERROR;
    }
    *out = (size_t)v;
    return OPTS_OK;
}

static int parse_real(const char *cmd, const char *name, const char *s, double lo, double hi,
                      double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "reslab %s: --%s: expected a number from %g to %g, got '%s'\n", cmd, name,
                lo, hi, s);
        return OPTS_ERROR;
    }
    *out = v;
    return OPTS_OK;
}

/* "WxH" with whole numbers from 64 to 16384. */
static int parse_wxh(const char *cmd, const char *name, const char *s, double *w, double *h)
{
    unsigned long a, b;
    char x, end;
    if (sscanf(s, "%lu%c%lu%c", &a, &x, &b, &end) != 3 || x != 'x' || a < 64 || b < 64 ||
        a > 16384 || b > 16384 || s[0] == '-' || s[0] == '+') {
        fprintf(stderr, "reslab %s: --%s: expected WxH with whole numbers from 64 to 16384, got '%s'\n",
                cmd, name, s);
        return OPTS_ERROR;
    }
    *w = (double)a;
    *h = (double)b;
    return OPTS_OK;
}

static int bad_choice(const char *cmd, const char *name, const char *s, const char *choices)
{
    fprintf(stderr, "reslab %s: --%s: unknown value '%s' (choose %s)\n", cmd, name, s, choices);
    return OPTS_ERROR;
}

#define LIMIT_DIM ((size_t)1 << 24)   /* any one dimension; the memory check does the rest */

/* One option with its argument. */
static int opts_apply(const char *cmd, int code, const char *name, const char *a, CliOptions *o)
{
    NetConfig *n = &o->net;
    size_t v = 0;
    double g = 0;
    int rc = OPTS_OK;
    switch (code) {
    case O_DEPTH:
        rc = parse_size(cmd, name, a, 1, LIMIT_DIM, &n->depth);
        o->depth_given = 1;
        break;
    case O_WIDTH:
        rc = parse_size(cmd, name, a, 1, LIMIT_DIM, &n->width);
        o->width_given = 1;
        break;
    case O_HIDDEN: rc = parse_size(cmd, name, a, 1, LIMIT_DIM, &n->hidden); break;
    case O_BATCH: rc = parse_size(cmd, name, a, 1, LIMIT_DIM, &o->batch); break;
    case O_IN_WIDTH: rc = parse_size(cmd, name, a, 1, LIMIT_DIM, &n->input_width); break;
    case O_ENTRIES: rc = parse_size(cmd, name, a, 1, LIMIT_DIM, &o->entries); break;
    case O_SEED:
        rc = parse_size(cmd, name, a, 0, (size_t)0xffffffffu, &v);
        o->seed = (unsigned long)v;
        break;
    case O_MAX_MEMORY:
        rc = parse_real(cmd, name, a, 0.001, 1024.0, &g);
        o->max_memory = (size_t)(g * (double)(1u << 30));
        break;
    case O_LAMBDA: rc = parse_real(cmd, name, a, -1e3, 1e3, &n->lambda); break;
    case O_BRANCH_SCALE: rc = parse_real(cmd, name, a, -1e3, 1e3, &n->branch_scale); break;
    case O_BIAS_STD: rc = parse_real(cmd, name, a, 0.0, 1e3, &n->bias_std); break;
    case O_STEP: rc = parse_real(cmd, name, a, 1e-12, 1.0, &o->step); break;
    case O_INIT:
        if (init_parse(a, &n->init)) rc = bad_choice(cmd, name, a, "he, glorot, orthogonal");
        break;
    case O_ACT:
        if (act_parse(a, &n->act)) rc = bad_choice(cmd, name, a, "relu, tanh, identity");
        break;
    case O_SHORTCUT:
        if (block_shortcut_parse(a, &n->shortcut))
            rc = bad_choice(cmd, name, a, "identity, zeropad, project, project-all, scaled, gate, gate-shortcut, dropout, none");
        break;
    case O_ORDER:
        if (block_order_parse(a, &n->order)) rc = bad_choice(cmd, name, a, "post, pre");
        o->order_given = 1;
        break;
    case O_ZERO_LAST: n->zero_last = 1; break;
    case O_BN: n->bn = 1; break;
    case O_VARIANT:
        if (block_shortcut_parse(a, &n->shortcut))
            rc = bad_choice(cmd, name, a, "identity, scaled, gate, gate-shortcut, project-all, dropout, none");
        break;
    case O_SWEEP: case O_JACOBIAN: case O_PATHS: case O_LESION: case O_SHATTER: case O_STATS:
        o->mode = (FlowMode)(FLOW_SWEEP + (code - O_SWEEP));
        o->modes_given++;
        break;
    case O_SAMPLES: rc = parse_size(cmd, name, a, 1, 1000000, &o->samples); break;
    case O_OUTPUT: o->output = a; break;
    case O_SIZE: rc = parse_wxh(cmd, name, a, &o->width, &o->height); break;
    case O_SCALE: rc = parse_real(cmd, name, a, 0.1, 8.0, &o->scale); break;
    case O_THEME: o->theme = a; break;
    case O_LANG:
        if (strcmp(a, "en") == 0) o->lang_zh = 0;
        else if (strcmp(a, "zh") == 0) o->lang_zh = 1;
        else rc = bad_choice(cmd, name, a, "en, zh");
        break;
    case O_SHOW:
        if (strcmp(a, "plain") == 0) o->show = 1;
        else if (strcmp(a, "residual") == 0) o->show = 2;
        else if (strcmp(a, "both") == 0) o->show = 3;
        else rc = bad_choice(cmd, name, a, "both, plain, residual");
        break;
    case O_EXAMPLE: rc = parse_size(cmd, name, a, 0, LIMIT_DIM, &o->example); break;
    case O_DROPOUT: rc = parse_real(cmd, name, a, 0.0, 0.99, &n->dropout_p); break;
    case O_GATE_BIAS: rc = parse_real(cmd, name, a, -1e3, 1e3, &n->gate_bias); break;
    case O_CSV: o->csv = 1; break;
    case O_NPY: o->npy_dir = a; break;
    case O_BLOCK: o->block = 1; break;
    case O_VERBOSE: o->verbose = 1; break;
    }
    return rc;
}

static int is_writable_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && access(path, W_OK | X_OK) == 0;
}

int opts_parse(const char *cmd, int argc, char **argv, unsigned groups, void (*usage)(FILE *),
               CliOptions *o)
{
    struct option longopts[NTABLE + 2];
    size_t k = 0;
    for (size_t i = 0; i < NTABLE; i++)
        if (table[i].group & groups) longopts[k++] = table[i].opt;
    longopts[k++] = (struct option){"help", no_argument, NULL, O_HELP};
    longopts[k] = (struct option){0};
    opterr = 0;
    optind = 1;
    for (;;) {
        int idx = -1, c = getopt_long(argc, argv, (groups & OPT_RENDER) ? ":o:" : ":", longopts, &idx);
        if (c == -1) break;
        if (c == 'o') {
            o->output = optarg;
            continue;
        }
        if (c == O_HELP) {
            usage(stdout);
            return OPTS_HELP;
        }
        if (c == '?' || c == ':') {
            const char *what = argv[optind - 1];
            fprintf(stderr, "reslab %s: %s '%s' (see 'reslab %s --help')\n", cmd,
                    c == ':' ? "missing value for" : "unknown option", what, cmd);
            return OPTS_ERROR;
        }
        if (opts_apply(cmd, c, longopts[idx].name, optarg, o)) return OPTS_ERROR;
    }
    if (o->modes_given > 1) {
        fprintf(stderr, "reslab %s: choose one of --sweep, --jacobian, --paths, --lesion, --shatter, "
                        "--stats\n", cmd);
        return OPTS_ERROR;
    }
    if (o->npy_dir && !is_writable_dir(o->npy_dir)) {
        fprintf(stderr, "reslab %s: --npy: '%s' is not a writable directory\n", cmd, o->npy_dir);
        return OPTS_ERROR;
    }
    if (optind < argc) {
        fprintf(stderr, "reslab %s: unexpected argument '%s' (see 'reslab %s --help')\n", cmd,
                argv[optind], cmd);
        return OPTS_ERROR;
    }
    return OPTS_OK;
}

void opts_describe(FILE *f, const CliOptions *o)
{
    const NetConfig *n = &o->net;
    fprintf(f, "depth %zu  width %zu  hidden %zu  batch %zu  act %s  order %s  init %s  seed %lu",
            n->depth, n->width, n->hidden ? n->hidden : n->width, o->batch, act_name(n->act),
            block_order_name(n->order), init_name(n->init), o->seed);
    if (n->input_width) fprintf(f, "  in-width %zu", n->input_width);
    if (n->branch_scale != 1.0) fprintf(f, "  branch-scale %g", n->branch_scale);
    if (n->zero_last) fprintf(f, "  zero-last");
    if (n->bias_std > 0.0) fprintf(f, "  bias-std %g", n->bias_std);
    if (n->shortcut == SHORTCUT_SCALED) fprintf(f, "  lambda %g", n->lambda);
    if (n->bn) fprintf(f, "  bn");
    if (n->shortcut == SHORTCUT_DROPOUT) fprintf(f, "  dropout %g", n->dropout_p);
    if (n->shortcut == SHORTCUT_GATE || n->shortcut == SHORTCUT_GATE_SHORTCUT)
        fprintf(f, "  gate-bias %g", n->gate_bias);
    fprintf(f, "\n");
}

int opts_check_net(const char *cmd, const CliOptions *o)
{
    char err[256];
    /* the residual net and its plain twin (which shares the weights, not the caches) */
    size_t twin = net_twin_memory_bytes(&o->net, o->batch);
    size_t limit = o->max_memory > twin ? o->max_memory - twin : 0;
    if (net_config_check(&o->net, o->batch, limit, err, sizeof err)) {
        fprintf(stderr, "reslab %s: %s%s\n", cmd, err,
                strstr(err, "GiB") ? " (raise it with --max-memory)" : "");
        return OPTS_ERROR;
    }
    return OPTS_OK;
}
