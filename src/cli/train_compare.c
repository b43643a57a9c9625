/* train_compare.c: `reslab train --compare` (the degradation experiment: plain and residual nets
 * of several depths, the same data, budget and seeds; He et al. 2015, Fig. 1, 6 and 7) and the
 * pieces `reslab train` shares with it: the data, the configs, the progress bar, atomic files.
 * Legend: N examples, dim inputs, k classes, B batch, E epochs, S seeds, L depth, net 0 plain /
 * 1 residual. Errors are fractions in the code and percentages on the screen. */
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "dataload.h"
#include "export.h"
#include "status.h"
#include "theme.h"
#include "train_compare.h"
#include "train_plot.h"

/* ---- data and configs ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t classes;
    double noise;
} synth_defaults[] = {
    {"spirals", 3, 0.05}, {"rings", 3, 0.05}, {"checkerboard", 4, 0.02}, {"blobs", 3, 0.3},
    {"gratings", 4, 0.3},
};

/* Reads idx:IMAGES,LABELS or cifar:F1,F2,... into d (the loaders' messages name file and offset). */
static int load_files(const TrainCliOptions *o, Dataset *d, char *err, size_t errlen)
{
    char buf[4096];
    const char *files[16];
    size_t nf = 0;
    int idx = strncmp(o->data, "idx:", 4) == 0;
    if (strlen(o->data) >= sizeof buf) return status_set(err, errlen, RESLAB_ERR_INVALID, "too long");
    strcpy(buf, o->data + (idx ? 4 : 6));
    for (char *save = NULL, *f = strtok_r(buf, ",", &save); f && nf < 16; f = strtok_r(NULL, ",", &save))
        files[nf++] = f;
    if (idx && nf != 2)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "idx:IMAGES,LABELS needs two files, got '%s'", o->data);
    if (nf == 0)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "cifar:F1,F2,... needs at least one file");
    int rc = idx ? dataset_load_idx(d, files[0], files[1], err, errlen)
                 : dataset_load_cifar10(d, files, nf, err, errlen);
    if (rc || !o->n || o->n == d->n) return rc;
    if (o->n > d->n)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "--n %zu: the files hold %zu examples", o->n, d->n);
    Dataset first;
    rc = dataset_slice(d, 0, o->n, &first, err, errlen);
    dataset_free(d);
    *d = first;
    return rc;
}

/* Standardises every feature of a loaded set over its rows (the synthetic sets come so). */
static int standardise(Dataset *d, char *err, size_t errlen)
{
    double *m = malloc(2 * d->dim * sizeof *m);
    if (!m) return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    dataset_standardize(d, m, m + d->dim);
    free(m);
    return RESLAB_OK;
}

/* Draws the synthetic set o->data with the set's defaults for what was not given. */
static int synth(const TrainCliOptions *o, Dataset *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof synth_defaults / sizeof synth_defaults[0]; i++)
        if (strcmp(o->data, synth_defaults[i].name) == 0)
            return dataset_synth(d, o->data, o->n ? o->n : 1000,
                                 o->classes ? o->classes : synth_defaults[i].classes, o->data_seed,
                                 isnan(o->noise) ? synth_defaults[i].noise : o->noise, err, errlen);
    return status_set(err, errlen, RESLAB_ERR_INVALID, "unknown set '%s' (spirals, rings, checkerboard, "
                      "blobs, gratings, idx:IMAGES,LABELS, cifar:F1,F2,...)", o->data);
}

int train_cli_data(const TrainCliOptions *o, Dataset *d)
{
    char err[1024];
    int file = strncmp(o->data, "idx:", 4) == 0 || strncmp(o->data, "cifar:", 6) == 0, rc;
    memset(d, 0, sizeof *d);
    if (file && (o->classes || !isnan(o->noise))) {
        fprintf(stderr, "reslab train: --%s: only for the synthetic sets, not %s\n",
                o->classes ? "classes" : "noise", o->data);
        return 2;
    }
    rc = file ? load_files(o, d, err, sizeof err) : synth(o, d, err, sizeof err);
    if (!rc && file) rc = standardise(d, err, sizeof err);
    if (rc) {
        fprintf(stderr, "reslab train: --data: %s\n", err);
        dataset_free(d);
        return 2;
    }
    return 0;
}

ClassifierConfig train_cli_model(const TrainCliOptions *o, const Dataset *d, size_t depth,
                                 ShortcutKind shortcut)
{
    ClassifierConfig m = classifier_config_default();
    m.net = o->net.net;
    m.net.depth = depth;
    m.net.shortcut = shortcut;
    m.net.input_width = 0;
    m.net.param_grads = 1;
    m.dim = d->dim;
    m.classes = d->classes;
    return m;
}

TrainConfig train_cli_config(const TrainCliOptions *o, size_t n, unsigned long seed)
{
    TrainConfig t = train_config_default();
    size_t E = o->epochs, spe = o->net.batch && n >= o->net.batch ? n / o->net.batch : 1;
    t.batch = o->net.batch, t.epochs = E, t.seed = seed;
    t.sgd.lr = o->lr, t.sgd.momentum = o->momentum, t.sgd.weight_decay = o->weight_decay;
    t.sgd.schedule = o->schedule;
    if (E / 2 >= 1) t.sgd.milestones[t.sgd.n_milestones++] = E / 2;          /* x 0.1 at 1/2 of E */
    if (3 * E / 4 > E / 2) t.sgd.milestones[t.sgd.n_milestones++] = 3 * E / 4;   /* and at 3/4 */
    t.sgd.warmup_steps = (size_t)llround(o->warmup * (double)spe);
    return t;
}

void train_cli_describe(const TrainCliOptions *o, const Dataset *d, char *buf, size_t len)
{
    TrainConfig t = train_cli_config(o, d->n, 1);
    int k = snprintf(buf, len, "%s, dim %zu | B %zu, %zu epochs x %zu steps, lr %g %s", d->name,
                     d->dim, t.batch, t.epochs, d->n / t.batch, t.sgd.lr, sgd_schedule_name(t.sgd.schedule));
    for (size_t i = 0; t.sgd.schedule == SGD_LR_STEP && i < t.sgd.n_milestones && k > 0 && (size_t)k < len; i++)
        k += snprintf(buf + k, len - (size_t)k, "%s%zu%s", i ? ", " : " (x0.1 after epochs ",
                      t.sgd.milestones[i], i + 1 == t.sgd.n_milestones ? ")" : "");
    if (k > 0 && (size_t)k < len)
        k += snprintf(buf + k, len - (size_t)k, ", momentum %g, weight decay %g", t.sgd.momentum,
                      t.sgd.weight_decay);
    if (k > 0 && (size_t)k < len && t.sgd.warmup_steps)
        snprintf(buf + k, len - (size_t)k, ", warm-up %zu steps", t.sgd.warmup_steps);
}

/* ---- progress bar and files ----------------------------------------------------------------- */

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void train_cli_bar_init(TrainCliBar *b)
{
    b->on = isatty(STDOUT_FILENO);
    b->last = 0.0;
}

void train_cli_bar(TrainCliBar *b, double fraction, const char *what)
{
    double now = wall_seconds();
    if (!b->on || now - b->last < 0.1) return;
    b->last = now;
    char bar[31];
    int full = (int)lround(30.0 * fmin(fmax(fraction, 0.0), 1.0));
    for (int i = 0; i < 30; i++) bar[i] = i < full ? '#' : '.';
    bar[30] = '\0';
    printf("\r[%s] %3.0f%% %s\033[K", bar, 100.0 * fraction, what);
    fflush(stdout);
}

void train_cli_bar_clear(TrainCliBar *b)
{
    if (!b->on || b->last == 0.0) return;
    printf("\r\033[K");
    fflush(stdout);
    b->last = 0.0;
}

int train_cli_write_file(const char *option, const char *path, const char *text, size_t len)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp) {
        fprintf(stderr, "reslab train: %s: path too long\n", option);
        return 2;
    }
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fd) == 0;
    int e = errno;
    if (f) ok = (fclose(f) == 0) && ok;
    else if (fd >= 0) close(fd);
    if (ok && rename(tmp, path) == 0) return 0;
    e = ok ? errno : e;
    if (fd >= 0) unlink(tmp);
    fprintf(stderr, "reslab train: %s: cannot write %s: %s\n", option, path, strerror(e));
    return 2;
}

/* ---- the compare run ------------------------------------------------------------------------ */

typedef struct {
    size_t depth;
    int net;                 /* 0 plain, 1 residual */
    double *loss, *err;      /* [S] final, over the whole training set; NAN if the run diverged */
    double *cerr, *closs;    /* [S * E] training error and loss over the whole set after each epoch
                                (NAN after a divergence) */
    double *resp;            /* [S * 2L] response std of every layer of the trained net */
    size_t failed;
    char why[600];           /* the first divergence's message */
} Row;

typedef struct {
    const TrainCliOptions *o;
    const Dataset *d;
    TrainCliBar bar;
    size_t run, runs;        /* runs done, runs in all */
    Row *rows;               /* [ndepths * 2]: depth-major, plain before residual */
} Compare;

static const char *net_word(int net) { return net ? "residual" : "plain"; }

static ShortcutKind net_shortcut(const Compare *c, int net)
{
    return net ? c->o->net.net.shortcut : SHORTCUT_NONE;
}

/* Every config is checked before anything trains (a bad one fails in a second, not a minute). */
static int check_all(const Compare *c)
{
    char err[512];
    for (size_t i = 0; i < 2 * c->o->ndepths; i++) {
        ClassifierConfig m = train_cli_model(c->o, c->d, c->rows[i].depth, net_shortcut(c, c->rows[i].net));
        TrainConfig tc = train_cli_config(c->o, c->d->n, c->o->seeds[0]);
        int rc = classifier_config_check(&m, tc.batch, c->o->net.max_memory, err, sizeof err);
        if (!rc) rc = train_check(&m, &tc, c->d->x, c->d->y, c->d->n, err, sizeof err);
        if (rc) {
            fprintf(stderr, "reslab train: depth %zu %s: %s\n", c->rows[i].depth, net_word(c->rows[i].net), err);
            return 2;
        }
    }
    return 0;
}

/* The loss and error over the whole training set after an epoch (batch norm with the set's
 * population statistics), into entry i of r's curves. */
static int evaluate(Compare *c, const Trainer *t, Row *r, size_t i)
{
    char err[512];
    TrainEval ev = {0};
    if (train_evaluate(t->model, c->d->x, c->d->y, c->d->n, &ev, err, sizeof err)) {
        train_cli_bar_clear(&c->bar);
        fprintf(stderr, "reslab train: %s\n", err);
        return 2;
    }
    r->closs[i] = ev.loss, r->cerr[i] = 1.0 - ev.accuracy;
    return 0;
}

/* Steps run s of row r to the end, recording each epoch; 0, 1 if it diverged, 2 on an error. */
static int train_run(Compare *c, Row *r, size_t s, Trainer *t)
{
    size_t E = c->o->epochs;
    char err[512], what[96];
    snprintf(what, sizeof what, "run %zu/%zu: depth %zu %s seed %lu", c->run + 1, c->runs, r->depth,
             net_word(r->net), c->o->seeds[s]);
    while (!trainer_done(t)) {
        int ended;
        if (trainer_step(t, &ended, err, sizeof err)) {
            if (!r->failed++) snprintf(r->why, sizeof r->why, "seed %lu: %s", c->o->seeds[s], err);
            return 1;
        }
        const TrainEpoch *e = trainer_last_epoch(t);
        if (ended && evaluate(c, t, r, s * E + e->epoch - 1)) return 2;
        train_cli_bar(&c->bar, ((double)c->run + (double)t->step / (double)t->total_steps) / (double)c->runs, what);
    }
    return 0;
}

static int run_one(Compare *c, Row *r, size_t s)
{
    ClassifierConfig m = train_cli_model(c->o, c->d, r->depth, net_shortcut(c, r->net));
    TrainConfig tc = train_cli_config(c->o, c->d->n, c->o->seeds[s]);
    Trainer *t = trainer_alloc(&m, &tc, c->d->x, c->d->y, c->d->n);
    char err[512];
    if (!t) {
        train_cli_bar_clear(&c->bar);
        fprintf(stderr, "reslab train: out of memory allocating depth %zu\n", r->depth);
        return 2;
    }
    TrainEval ev = {.response_std = r->resp + s * 2 * r->depth};
    int rc = train_run(c, r, s, t);
    if (!rc && (rc = train_evaluate(t->model, c->d->x, c->d->y, c->d->n, &ev, err, sizeof err))) {
        train_cli_bar_clear(&c->bar);
        fprintf(stderr, "reslab train: %s\n", err);
        rc = 2;
    }
    if (!rc) r->loss[s] = ev.loss, r->err[s] = 1.0 - ev.accuracy;
    trainer_free(t);
    c->run++;
    return rc == 2 ? 2 : 0;
}

/* mean, min and max of the finite v[0 .. n-1]; NAN if there are none. */
static void spread(const double *v, size_t n, double *mean, double *lo, double *hi)
{
    size_t k = 0;
    *mean = 0.0, *lo = INFINITY, *hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) *mean += v[i], *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]), k++;
    if (k) *mean /= (double)k;
    else *mean = *lo = *hi = NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The response std of the median layer of each run that finished, averaged over those runs. */
static double median_response(const Row *r, size_t S)
{
    size_t L2 = 2 * r->depth, ok = 0;
    double sum = 0.0, *v = malloc(L2 * sizeof *v);
    for (size_t s = 0; v && s < S; s++) {
        if (!isfinite(r->loss[s])) continue;
        memcpy(v, r->resp + s * L2, L2 * sizeof *v);
        qsort(v, L2, sizeof *v, cmp_double);
        sum += v[L2 / 2], ok++;
    }
    free(v);
    return ok ? sum / (double)ok : NAN;
}

static void print_row(const Compare *c, const Row *r)
{
    double lm, ll, lh, em, el, eh;
    size_t S = c->o->nseeds;
    spread(r->loss, S, &lm, &ll, &lh);
    spread(r->err, S, &em, &el, &eh);
    double resp = median_response(r, S);
    if (r->failed == S) {
        printf("%6zu  %-9s all %zu runs diverged\n", r->depth, net_word(r->net), S);
        return;
    }
    printf("%6zu  %-9s %8.4f [%.4f, %.4f]  %6.2f%% [%5.2f%%, %5.2f%%]  ", r->depth, net_word(r->net),
           lm, ll, lh, 100 * em, 100 * el, 100 * eh);
    if (isfinite(resp)) printf("%10.4g", resp);
    else printf("%10s", "overflow");
    if (r->failed) printf("   %zu of %zu runs diverged", r->failed, S);
    printf("\n");
    fflush(stdout);
}

static int rows_alloc(Compare *c)
{
    size_t S = c->o->nseeds, E = c->o->epochs, nr = 2 * c->o->ndepths;
    c->rows = calloc(nr, sizeof *c->rows);
    for (size_t i = 0; c->rows && i < nr; i++) {
        Row *r = &c->rows[i];
        r->depth = c->o->depths[i / 2], r->net = (int)(i % 2);
        size_t total = 2 * S + 2 * S * E + S * 2 * r->depth;
        if (!(r->loss = malloc(total * sizeof *r->loss))) return 0;
        for (size_t j = 0; j < total; j++) r->loss[j] = NAN;
        r->err = r->loss + S, r->cerr = r->err + S, r->closs = r->cerr + S * E, r->resp = r->closs + S * E;
    }
    return c->rows != NULL;
}

static void rows_free(Compare *c)
{
    for (size_t i = 0; c->rows && i < 2 * c->o->ndepths; i++) free(c->rows[i].loss);
    free(c->rows);
}

/* --csv: depth,net,seed,epoch,loss,error: one row per epoch of every run, the loss and error
 * over the whole training set after that epoch (the last epoch's row is the table's final value). */
static int write_compare_csv(const Compare *c)
{
    size_t S = c->o->nseeds, E = c->o->epochs, cap = 64 + 2 * c->o->ndepths * S * E * 96, len;
    char *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "reslab train: --csv: out of memory\n");
        return 2;
    }
    len = (size_t)snprintf(buf, cap, "depth,net,seed,epoch,loss,error\n");
    for (size_t i = 0; i < 2 * c->o->ndepths; i++) {
        const Row *r = &c->rows[i];
        for (size_t s = 0; s < S; s++)
            for (size_t e = 0; e < E; e++)
                len += (size_t)snprintf(buf + len, cap - len, "%zu,%s,%lu,%zu,%.17g,%.17g\n", r->depth,
                                        net_word(r->net), c->o->seeds[s], e + 1, r->closs[s * E + e],
                                        r->cerr[s * E + e]);
    }
    int rc = train_cli_write_file("--csv", c->o->csv, buf, len);
    free(buf);
    return rc;
}

/* What the plot draws: means over the seeds that did not diverge. */
typedef struct {
    double *curve[2], *mean[2], *lo[2], *hi[2];
    double *resp_mem;
    const double *resp[2][TRAIN_PLOT_MAX_DEPTHS];
} PlotData;

static void mean_over_seeds(const double *v, size_t S, size_t per, const double *ok, double *out)
{
    for (size_t j = 0; j < per; j++) {
        double sum = 0.0;
        size_t k = 0;
        for (size_t s = 0; s < S; s++)
            if (isfinite(ok[s]) && isfinite(v[s * per + j])) sum += v[s * per + j], k++;
        out[j] = k ? sum / (double)k : NAN;
    }
}

static int plot_data(const Compare *c, PlotData *pd)
{
    size_t D = c->o->ndepths, S = c->o->nseeds, E = c->o->epochs, rl = 0;
    for (size_t d = 0; d < D; d++) rl += 2 * c->o->depths[d];
    double *mem = malloc((2 * D * (E + 3) + 2 * rl) * sizeof *mem), *m = mem;
    if (!mem) return 0;
    for (int net = 0; net < 2; net++) {
        pd->curve[net] = m, m += D * E;
        pd->mean[net] = m, pd->lo[net] = m + D, pd->hi[net] = m + 2 * D, m += 3 * D;
        for (size_t d = 0; d < D; d++) {
            const Row *r = &c->rows[2 * d + (size_t)net];
            mean_over_seeds(r->cerr, S, E, r->cerr, pd->curve[net] + d * E);   /* epochs before a divergence count */
            spread(r->err, S, &pd->mean[net][d], &pd->lo[net][d], &pd->hi[net][d]);
            mean_over_seeds(r->resp, S, 2 * r->depth, r->loss, m);
            pd->resp[net][d] = m, m += 2 * r->depth;
        }
    }
    pd->resp_mem = mem;
    return 1;
}

typedef struct {
    const TrainPlot *p;
    Theme theme;
} PlotCtx;

static void draw_plot(cairo_t *cr, double w, double h, void *ctx)
{
    const PlotCtx *pc = ctx;
    train_plot_draw(cr, (Rect){0, 0, w, h}, &pc->theme, pc->p);
}

static int write_plot(const Compare *c)
{
    PlotData pd;
    char err[512], sub[768], desc[512];
    if (!plot_data(c, &pd)) {
        fprintf(stderr, "reslab train: --plot: out of memory\n");
        return 2;
    }
    train_cli_describe(c->o, c->d, desc, sizeof desc);
    snprintf(sub, sizeof sub, "%s | width %zu, %s order, batch norm %s, seeds %zu", desc,
             c->o->net.net.width, block_order_name(c->o->net.net.order), c->o->net.net.bn ? "on" : "off",
             c->o->nseeds);
    char *esc = g_markup_escape_text(sub, -1);
    TrainPlot p = {.ndepths = c->o->ndepths, .depths = c->o->depths, .epochs = c->o->epochs,
                   .nseeds = c->o->nseeds, .subtitle = esc};
    for (int net = 0; net < 2; net++) {
        p.curve[net] = pd.curve[net], p.final_mean[net] = pd.mean[net];
        p.final_lo[net] = pd.lo[net], p.final_hi[net] = pd.hi[net], p.resp[net] = pd.resp[net];
    }
    PlotCtx pc = {&p, theme_light()};
    int rc = export_render(c->o->plot, 1280, 960, 1.0, draw_plot, &pc, err, sizeof err);
    if (rc) fprintf(stderr, "reslab train: --plot: %s\n", err);
    else printf("wrote %s\n", c->o->plot);
    g_free(esc);
    free(pd.resp_mem);
    pango_cairo_font_map_set_default(NULL);          /* clean exit for leak checkers */
    cairo_debug_reset_static_data();
    FcFini();
    return rc ? 2 : 0;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_all(Compare *c)
{
    double t0 = wall_seconds(), c0 = cpu_seconds();
    for (size_t i = 0; i < 2 * c->o->ndepths; i++) {
        for (size_t s = 0; s < c->o->nseeds; s++)
            if (run_one(c, &c->rows[i], s)) return 2;
        train_cli_bar_clear(&c->bar);
        print_row(c, &c->rows[i]);
    }
    printf("* std of the median layer's response after training (He et al. 2015, Fig. 7)\n");
    printf("compare run: %.1f s wall, %.1f s CPU (%zu runs, one thread)\n", wall_seconds() - t0,
           cpu_seconds() - c0, c->runs);
    for (size_t i = 0; i < 2 * c->o->ndepths; i++)
        if (c->rows[i].failed)
            printf("  depth %zu %s diverged: %s\n", c->rows[i].depth, net_word(c->rows[i].net), c->rows[i].why);
    return 0;
}

int train_compare_run(const TrainCliOptions *o, const Dataset *d)
{
    Compare c = {.o = o, .d = d, .runs = 2 * o->ndepths * o->nseeds};
    char desc[512];
    train_cli_bar_init(&c.bar);
    if (!rows_alloc(&c)) {
        rows_free(&c);
        fprintf(stderr, "reslab train: out of memory\n");
        return 2;
    }
    int rc = check_all(&c);
    if (!rc) {
        train_cli_describe(o, d, desc, sizeof desc);
        printf("reslab train --compare: plain vs residual, width %zu, %s order, batch norm %s, seeds",
               o->net.net.width, block_order_name(o->net.net.order), o->net.net.bn ? "on" : "off");
        for (size_t s = 0; s < o->nseeds; s++) printf("%s%lu", s ? "," : " ", o->seeds[s]);
        printf("\n  %s\n", desc);
        printf("%6s  %-9s %26s  %27s  %10s\n", "depth", "net", "train loss mean [min, max]",
               "train error mean [min, max]", "resp. std*");
        rc = compare_all(&c);
    }
    if (!rc && o->csv) rc = write_compare_csv(&c);
    if (!rc && o->csv) printf("wrote %s\n", o->csv);
    if (!rc && o->plot) rc = write_plot(&c);
    rows_free(&c);
    return rc;
}
