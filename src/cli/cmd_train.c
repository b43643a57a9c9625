/* cmd_train.c: `reslab train`: train one classifier (softmax cross-entropy, minibatch SGD) on a
 * synthetic 2-D set, the gratings or a loaded IDX / CIFAR-10 set, with a progress line per epoch,
 * a per-epoch CSV log and the final weights as .npy; with --compare, plain vs residual nets by
 * depth (train_compare.c). The options special to training are taken out of argv here; the rest
 * (depth, width, batch, seed, order, bn, ...) go through opts.c like every other subcommand's.
 * Legend: N examples, dim inputs, k classes, B batch, E epochs, L depth, n width. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "export.h"
#include "status.h"
#include "train_compare.h"

static void train_usage(FILE *f)
{
    fprintf(f, "usage: reslab train [options]\n"
               "       reslab train --compare [--depths 4,8,16,32,64] [--seeds 1,2,3] [--plot FILE]\n"
               "Trains a residual (or plain) classifier with minibatch SGD on softmax cross-entropy and\n"
               "prints one line per epoch; --compare trains plain and residual nets of every depth on\n"
               "the same data, budget and seeds and prints their final training loss and error.\n\n"
               "  --data D           spirals | rings | checkerboard | blobs | gratings (synthetic), or\n"
               "                     idx:IMAGES,LABELS (MNIST-style) or cifar:F1,F2,... (CIFAR-10 binary)\n"
               "  --n N              examples (synthetic: default 1000; files: the first N)\n"
               "  --classes K        arms, rings, blobs, orientations (default 3; checkerboard: cells\n"
               "                     per side, default 4; gratings default 4)\n"
               "  --noise X          noise of a synthetic set (default: spirals, rings 0.05, checkerboard\n"
               "                     0.02, blobs, gratings 0.3)\n"
               "  --data-seed S      seed of the synthetic set (default 1)\n"
               "  --arch A           residual | plain (default residual)\n"
               "  --no-bn            no batch norm (it is on by default: the paper's blocks)\n"
               "  --epochs E         epochs (default 30)\n"
               "  --lr X             learning rate (default 0.02)\n"
               "  --momentum X       (default 0.9)\n"
               "  --weight-decay X   L2 on the weight matrices (default 1e-4)\n"
               "  --schedule S       constant | step (x0.1 at 1/2 and 3/4 of the epochs) | cosine\n"
               "                     (default step)\n"
               "  --warmup E         linear warm-up over E epochs (default 0)\n"
               "  --csv FILE         the per-epoch log (--compare: every run's curves) as CSV\n"
               "  --save DIR         the final weights and batch-norm statistics as .npy files\n"
               "  --compare          plain vs residual at every depth of --depths, every seed of --seeds\n"
               "  --depths L1,L2,..  (default 4,8,16,32,64)\n"
               "  --seeds S1,S2,..   (default 1,2,3)\n"
               "  --plot FILE        --compare: the figure (.png, .svg or .pdf)\n"
               "Net options (defaults here: depth 20, width 32, batch 64, seed 1):\n");
    opts_print_help(f, OPT_NET);
    fprintf(f, "\nexamples: reslab train --data spirals --depth 20 --arch plain --csv log.csv\n"
               "          reslab train --compare --plot degradation.png\n"
               "          reslab train --data idx:train-images-idx3-ubyte,train-labels-idx1-ubyte "
               "--n 10000 --epochs 5\n");
}

/* ---- the training options ------------------------------------------------------------------ */

enum {
    T_DATA, T_N, T_CLASSES, T_NOISE, T_DATA_SEED, T_ARCH, T_NO_BN, T_EPOCHS, T_LR, T_MOMENTUM,
    T_WD, T_SCHEDULE, T_WARMUP, T_CSV, T_SAVE, T_COMPARE, T_DEPTHS, T_SEEDS, T_PLOT,
};

static const struct {
    const char *name;
    int code, has_arg;
} train_table[] = {
    {"data", T_DATA, 1},         {"n", T_N, 1},           {"classes", T_CLASSES, 1},
    {"noise", T_NOISE, 1},       {"data-seed", T_DATA_SEED, 1}, {"arch", T_ARCH, 1},
    {"no-bn", T_NO_BN, 0},       {"epochs", T_EPOCHS, 1}, {"lr", T_LR, 1},
    {"momentum", T_MOMENTUM, 1}, {"weight-decay", T_WD, 1}, {"schedule", T_SCHEDULE, 1},
    {"warmup", T_WARMUP, 1},     {"csv", T_CSV, 1},       {"save", T_SAVE, 1},
    {"compare", T_COMPARE, 0},   {"depths", T_DEPTHS, 1}, {"seeds", T_SEEDS, 1},
    {"plot", T_PLOT, 1},
};
#define NTRAIN (sizeof train_table / sizeof train_table[0])

static int bad_value(const char *name, const char *what, const char *v)
{
    fprintf(stderr, "reslab train: --%s: expected %s, got '%s'\n", name, what, v);
    return 2;
}

static int get_size(const char *name, const char *v, size_t lo, size_t hi, size_t *out)
{
    char *end, what[96];
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    snprintf(what, sizeof what, "a whole number from %zu to %zu", lo, hi);
    if (!v[0] || v[0] == '-' || v[0] == '+' || *end || errno == ERANGE || x < lo || x > hi)
        return bad_value(name, what, v);
    *out = (size_t)x;
    return 0;
}

static int get_real(const char *name, const char *v, double lo, double hi, int open_lo, double *out)
{
    char *end, what[96];
    errno = 0;
    double x = strtod(v, &end);
    snprintf(what, sizeof what, "a number %s %g and <= %g", open_lo ? ">" : ">=", lo, hi);
    if (!v[0] || *end || errno == ERANGE || !isfinite(x) || x < lo || (open_lo && x == lo) || x > hi)
        return bad_value(name, what, v);
    *out = x;
    return 0;
}

/* "a,b,c" of whole numbers in [lo, hi], at most max of them. */
static int get_list(const char *name, const char *v, size_t lo, size_t hi, size_t max,
                    size_t *out, size_t *count)
{
    char buf[512], what[96];
    snprintf(what, sizeof what, "a comma-separated list of at most %zu whole numbers from %zu to %zu",
             max, lo, hi);
    if (strlen(v) >= sizeof buf) return bad_value(name, what, v);
    strcpy(buf, v);
    *count = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(tok, &end, 10);
        if (*count == max || !tok[0] || tok[0] == '-' || tok[0] == '+' || *end || errno || x < lo || x > hi)
            return bad_value(name, what, v);
        out[(*count)++] = (size_t)x;
    }
    if (*count == 0 || v[strlen(v) - 1] == ',' || v[0] == ',' || strstr(v, ",,"))
        return bad_value(name, what, v);
    return 0;
}

static int is_writable_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && access(path, W_OK | X_OK) == 0;
}

static int apply(TrainCliOptions *o, int code, const char *name, const char *v)
{
    size_t tmp[TRAIN_CLI_MAX_SEEDS], k;
    switch (code) {
    case T_DATA: o->data = v; return 0;
    case T_N: return get_size(name, v, 1, (size_t)1 << 26, &o->n);
    case T_CLASSES: return get_size(name, v, 2, DATASET_MAX_CLASSES, &o->classes);
    case T_NOISE: return get_real(name, v, 0.0, DATASET_MAX_NOISE, 0, &o->noise);
    case T_DATA_SEED:
        if (get_size(name, v, 0, 0xffffffffu, &k)) return 2;
        o->data_seed = (unsigned long)k;
        return 0;
    case T_ARCH:
        if (strcmp(v, "residual") && strcmp(v, "plain"))
            return bad_value(name, "residual or plain", v);
        o->arch = strcmp(v, "residual") == 0;
        return 0;
    case T_NO_BN: o->net.net.bn = 0; return 0;
    case T_EPOCHS: return get_size(name, v, 1, 100000, &o->epochs);
    case T_LR: return get_real(name, v, 0.0, 100.0, 1, &o->lr);
    case T_MOMENTUM: return get_real(name, v, 0.0, 0.999, 0, &o->momentum);
    case T_WD: return get_real(name, v, 0.0, 1.0, 0, &o->weight_decay);
    case T_SCHEDULE:
        return sgd_schedule_parse(v, &o->schedule) ? bad_value(name, "constant, step or cosine", v) : 0;
    case T_WARMUP: return get_real(name, v, 0.0, 100000.0, 0, &o->warmup);
    case T_CSV: o->csv = v; return 0;
    case T_PLOT: o->plot = v; return 0;
    case T_SAVE:
        if (!is_writable_dir(v)) return bad_value(name, "a writable directory", v);
        o->save = v;
        return 0;
    case T_COMPARE: o->compare = 1; return 0;
    case T_DEPTHS:
        o->depths_given = 1;
        return get_list(name, v, 1, 10000, TRAIN_CLI_MAX_DEPTHS, o->depths, &o->ndepths);
    case T_SEEDS:
        o->seeds_given = 1;
        if (get_list(name, v, 0, 0xffffffffu, TRAIN_CLI_MAX_SEEDS, tmp, &o->nseeds)) return 2;
        for (size_t i = 0; i < o->nseeds; i++) o->seeds[i] = (unsigned long)tmp[i];
        return 0;
    }
    return 2;
}

/* Takes the training options (--name VALUE, --name=VALUE) out of argv; the others go into rest
 * (rest[0] = "train") for opts_parse. Returns 0 or 2 (message printed). */
static int take_train_options(int argc, char **argv, TrainCliOptions *o, char **rest, int *nrest)
{
    rest[(*nrest)++] = "train";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a), t = 0;
        while (strncmp(a, "--", 2) == 0 && t < NTRAIN &&
               !(strlen(train_table[t].name) == len - 2 && strncmp(a + 2, train_table[t].name, len - 2) == 0))
            t++;
        if (strncmp(a, "--", 2) || t == NTRAIN) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (train_table[t].has_arg && !v && i + 1 < argc) v = argv[++i];
        if (train_table[t].has_arg && !v) {
            fprintf(stderr, "reslab train: missing value for '%s' (see 'reslab train --help')\n", a);
            return 2;
        }
        if (!train_table[t].has_arg && v)
            return bad_value(train_table[t].name, "no value", v);
        if (apply(o, train_table[t].code, train_table[t].name, v)) return 2;
    }
    rest[*nrest] = NULL;
    return 0;
}

static void defaults(TrainCliOptions *o)
{
    memset(o, 0, sizeof *o);
    opts_defaults(&o->net);
    o->net.net.depth = 20;
    o->net.net.width = 32;
    o->net.net.bn = 1;
    o->net.batch = 64;
    o->data = "spirals";
    o->noise = NAN;
    o->data_seed = 1;
    o->epochs = 30;
    o->lr = 0.02;
    o->momentum = 0.9;
    o->weight_decay = 1e-4;
    o->schedule = SGD_LR_STEP;
    o->arch = -1;
    static const size_t depths[] = {4, 8, 16, 32, 64};
    memcpy(o->depths, depths, sizeof depths);
    o->ndepths = 5;
    o->seeds[0] = 1, o->seeds[1] = 2, o->seeds[2] = 3;
    o->nseeds = 3;
}

/* 1 if a file can be created at path: its directory exists and is writable. */
static int can_create(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) return is_writable_dir(".");
    if ((size_t)(slash - path) >= sizeof dir) return 0;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return is_writable_dir(slash == path ? "/" : dir);
}

/* --csv and --plot are checked before any training (minutes may be lost otherwise). */
static int check_outputs(const TrainCliOptions *o)
{
    if (o->csv && !can_create(o->csv)) return bad_value("csv", "a file in a writable directory", o->csv);
    if (o->plot && export_format(o->plot) == EXPORT_UNKNOWN)
        return bad_value("plot", "a .png, .svg or .pdf file", o->plot);
    if (o->plot && !can_create(o->plot)) return bad_value("plot", "a file in a writable directory", o->plot);
    return 0;
}

/* Options that do not go together. Returns 0 or 2 (message printed). */
static int check_combination(const TrainCliOptions *o, int bn_both)
{
    const char *bad = NULL;
    if (o->net.net.input_width) bad = "--in-width: the input width is the data's";
    else if (o->compare && o->arch >= 0) bad = "--arch: --compare trains both plain and residual nets";
    else if (o->compare && o->net.depth_given) bad = "--depth: --compare takes --depths";
    else if (o->compare && o->save) bad = "--save: only for a single run, not with --compare";
    else if (!o->compare && o->depths_given) bad = "--depths: only with --compare";
    else if (!o->compare && o->seeds_given) bad = "--seeds: only with --compare (a single run takes --seed)";
    else if (!o->compare && o->plot) bad = "--plot: only with --compare";
    else if (o->arch >= 0 && o->net.net.shortcut != SHORTCUT_IDENTITY)
        bad = "--arch and --shortcut: give one of them";
    else if (bn_both) bad = "--bn and --no-bn: give one of them";
    if (bad) fprintf(stderr, "reslab train: %s\n", bad);
    return bad ? 2 : check_outputs(o);
}

static int parse(int argc, char **argv, TrainCliOptions *o)
{
    char **rest = malloc(((size_t)argc + 2) * sizeof *rest);
    int nrest = 0, rc = rest ? take_train_options(argc, argv, o, rest, &nrest) : 2;
    if (!rest) fprintf(stderr, "reslab train: out of memory\n");
    if (!rc) {
        int no_bn = !o->net.net.bn;
        o->net.net.bn = 0;                  /* set by opts_parse only if --bn was given */
        rc = opts_parse("train", nrest, rest, OPT_NET, train_usage, &o->net);
        int bn_flag = o->net.net.bn;
        o->net.net.bn = !no_bn;
        if (rc == OPTS_OK) rc = check_combination(o, bn_flag && no_bn);
        else rc = rc == OPTS_HELP ? -1 : 2;
    }
    free(rest);
    return rc;
}

/* ---- one run ------------------------------------------------------------------------------- */

static void print_epoch(const TrainEpoch *e, size_t epochs)
{
    char ep[48];
    snprintf(ep, sizeof ep, "%zu/%zu", e->epoch, epochs);
    printf("%11s %11.5g %10.4f %11.4g %8.2f s\n", ep, e->loss, e->accuracy, e->lr, e->seconds);
    fflush(stdout);
}

/* The per-epoch log: epoch,step,loss,accuracy,lr (no time column: the same seed, the same bytes). */
static int write_csv(const char *path, const Trainer *t)
{
    size_t cap = 64 + 96 * t->epochs_done, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "reslab train: --csv: out of memory\n");
        return 2;
    }
    len += (size_t)snprintf(buf, cap, "epoch,step,loss,accuracy,lr\n");
    for (size_t i = 0; i < t->epochs_done; i++) {
        const TrainEpoch *e = &t->history[i];
        len += (size_t)snprintf(buf + len, cap - len, "%zu,%zu,%.17g,%.17g,%.17g\n", e->epoch,
                                e->step, e->loss, e->accuracy, e->lr);
    }
    int rc = train_cli_write_file("--csv", path, buf, len);
    free(buf);
    return rc;
}

/* The shape of parameter p: (rows, cols) for weight matrices, (count) for the rest. */
static int param_shape(const Classifier *c, const ClassifierParam *p, size_t *shape)
{
    size_t n = c->cfg.net.width, h = c->net->block.h, len = strlen(p->name);
    size_t rows = strcmp(p->name, "input.W") == 0 ? n : strcmp(p->name, "head.W") == 0 ? c->cfg.classes
                : len > 3 && strcmp(p->name + len - 3, ".W1") == 0 ? h
                : len > 3 && p->name[len - 3] == '.' && p->name[len - 2] == 'W' ? n : 0;
    shape[0] = rows ? rows : p->count;
    shape[1] = rows ? p->count / rows : 0;
    return rows ? 2 : 1;
}

/* --save: every parameter as DIR/<name>.npy, and each BN layer's population statistics over
 * the training set as DIR/<layer>.mean.npy and .var.npy. */
static int save_weights(const char *dir, const Classifier *model, const Classifier *eval)
{
    char name[64];
    for (size_t i = 0; i < model->nparams; i++) {
        size_t shape[2];
        int nd = param_shape(model, &model->params[i], shape);
        if (cli_write_npy("train", dir, model->params[i].name, model->params[i].value, shape, nd)) return 2;
    }
    for (size_t i = 0; i < classifier_bn_count(eval); i++) {
        const BatchnormCache *bc = classifier_bn_layer(eval, i, name, 40);
        size_t len = strlen(name), k = bc->mean->size;
        strcpy(name + len, ".mean");
        if (cli_write_npy("train", dir, name, bc->mean->data, &k, 1)) return 2;
        strcpy(name + len, ".var");
        if (cli_write_npy("train", dir, name, bc->var->data, &k, 1)) return 2;
    }
    return 0;
}

/* Final loss and error over the training set (batch norm with its population statistics), then
 * --csv and --save. */
static int finish(const TrainCliOptions *o, const Dataset *d, const Trainer *t)
{
    char err[512];
    TrainEval e = {0};
    if (train_evaluate(t->model, d->x, d->y, d->n, &e, err, sizeof err)) {
        fprintf(stderr, "reslab train: %s\n", err);
        return 2;
    }
    printf("final, over the whole training set%s: loss %.4f, error %.2f%% (accuracy %.4f)\n",
           t->model->cfg.net.bn ? " (batch norm with its population statistics)" : "", e.loss,
           100.0 * (1.0 - e.accuracy), e.accuracy);
    int rc = o->csv ? write_csv(o->csv, t) : 0;
    if (!rc && o->csv) printf("wrote %s\n", o->csv);
    if (rc || !o->save) return rc;
    Classifier *ev = classifier_alloc_twin(t->model, 1);     /* holds the statistics */
    rc = ev ? train_bn_freeze(ev, d->x, d->y, d->n, NULL, err, sizeof err) : RESLAB_ERR_NOMEM;
    if (rc) fprintf(stderr, "reslab train: --save: %s\n", ev ? err : "out of memory");
    else rc = save_weights(o->save, t->model, ev);
    if (!rc) printf("wrote the weights to %s/\n", o->save);
    classifier_free(ev);
    return rc ? 2 : 0;
}

static int train_steps(const TrainCliOptions *o, Trainer *t)
{
    TrainCliBar bar;
    train_cli_bar_init(&bar);
    char err[512], what[64];
    while (!trainer_done(t)) {
        int ended;
        if (trainer_step(t, &ended, err, sizeof err)) {
            train_cli_bar_clear(&bar);
            fflush(stdout);
            fprintf(stderr, "reslab train: %s\n", err);
            return 2;
        }
        if (ended) {
            train_cli_bar_clear(&bar);
            print_epoch(trainer_last_epoch(t), o->epochs);
        }
        snprintf(what, sizeof what, "step %zu/%zu", t->step, t->total_steps);
        train_cli_bar(&bar, (double)t->step / (double)t->total_steps, what);
    }
    train_cli_bar_clear(&bar);
    return 0;
}

static int train_one(const TrainCliOptions *o, const Dataset *d)
{
    ShortcutKind sc = o->arch == 0 ? SHORTCUT_NONE : o->net.net.shortcut;
    ClassifierConfig m = train_cli_model(o, d, o->net.net.depth, sc);
    TrainConfig tc = train_cli_config(o, d->n, o->net.seed);
    char err[512], desc[512];
    int rc = classifier_config_check(&m, tc.batch, o->net.max_memory, err, sizeof err);
    if (!rc) rc = train_check(&m, &tc, d->x, d->y, d->n, err, sizeof err);
    if (rc) {
        fprintf(stderr, "reslab train: %s\n", err);
        return 2;
    }
    Trainer *t = trainer_alloc(&m, &tc, d->x, d->y, d->n);
    if (!t) {
        fprintf(stderr, "reslab train: out of memory allocating the net\n");
        return 2;
    }
    train_cli_describe(o, d, desc, sizeof desc);
    printf("reslab train: %s net (%s shortcut), depth %zu, width %zu, %s order, batch norm %s, "
           "seed %lu\n  %s\n", sc == SHORTCUT_NONE ? "plain" : "residual", block_shortcut_name(sc),
           m.net.depth, m.net.width,
           block_order_name(m.net.order), m.net.bn ? "on" : "off", tc.seed, desc);
    printf("%11s %11s %10s %11s %10s\n", "epoch", "loss", "accuracy", "lr", "time");
    rc = train_steps(o, t);
    if (!rc) rc = finish(o, d, t);
    trainer_free(t);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    TrainCliOptions o;
    defaults(&o);
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    Dataset d;
    if (train_cli_data(&o, &d)) return 2;
    rc = o.compare ? train_compare_run(&o, &d) : train_one(&o, &d);
    dataset_free(&d);
    return rc;
}
