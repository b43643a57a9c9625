/* bench_train.c: how fast reslab trains, against PyTorch; and plain vs residual nets by depth.
 *
 * Usage:   ninja -C build && ./build/src/bench/bench_train [speed|compare|all] [key=value ...]
 *          (all: about 2 minutes on one core; exit status 0, or 2 for a bad option)
 *
 * A benchmark, not a test: it prints figures (speed is never a test verdict).
 * Dimensions: B batch, n width, h = n hidden width inside F, L depth, N data set size, k classes.
 *
 * 1. speed: one training step (trainer_step: gather B rows, forward, softmax cross-entropy,
 *    backward, SGD with momentum 0.9 and weight decay 1e-4) of the classifier dim 2 -> n -> k 3
 *    with residual post-activation blocks (He 2015's CIFAR nets: Linear-BN-ReLU-Linear-BN, add,
 *    ReLU; and the same without BN), n = 32, B = 64, L in {20, 56, 110}. A repetition runs steps
 *    for at least REP_SECONDS of process CPU time (not wall time: the machine is shared, and CPU
 *    time counts only the time we ran); the figure is the median steps per second over repetitions
 *    filling speed_seconds. In the same run, if /usr/bin/python3 can import torch, the same net
 *    and step in PyTorch on one thread in float64 (bench_train_torch.py, timed the same way;
 *    reslab is timed before and after it and the two figures averaged), and the ratio
 *    reslab / PyTorch. Target (issue 8): ratio >= 5.
 * 2. compare: the degradation experiment. Spirals with 3 arms and N = 1000 points (generated
 *    here, seeded), plain and residual nets of depths 4, 8, 16, 32, 64, the same data, batch
 *    order, budget (epochs) and seeds; prints the final training loss and accuracy (evaluated
 *    over the whole set after training) per depth as mean, min and max over the seeds, the
 *    per-layer response std summary of the trained nets (Fig. 7) and the wall time of the whole
 *    run. Target: under a minute on one core for the default settings.
 *
 * Options (key=value): depths=4,8,16,32,64 seeds=3 epochs=30 batch=64 width=32 lr=0.05 bn=1
 * order=post schedule=step|cosine|constant wd=1e-4 warmup=0 (steps) noise=0.2 torch=1
 * speed_seconds=1.5 speed_bn=2 (speed rows: 1 with BN only, 0 without, 2 both) branch_scale=1
 * zero_last=0 (net.h). The step schedule divides the rate by 10 at 1/2 and 3/4 of the epochs.
 * Why lr 0.05 and not the paper's 0.1: at 0.1 without warm-up, residual nets of depth 32 and 64
 * diverge on some seeds here (the paper warms ResNet-110 up at 0.01 for the same reason).
 * Without batch norm, post-order residual nets with He init explode with depth (each block
 * multiplies the stream's second moment by about 3, stats.h) unless branch_scale or zero_last
 * tame F; those options then act on the plain nets too. The BLAS runs on one thread (OpenBLAS built for it is asked to).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "config.h"
#include "train.h"

#if RESLAB_HAVE_OPENBLAS
void openblas_set_num_threads(int);
char *openblas_get_config(void);
#endif

#ifndef BENCH_TORCH_SCRIPT
#define BENCH_TORCH_SCRIPT "src/bench/bench_train_torch.py"
#endif
#define PYTHON "/usr/bin/python3"
#define REP_SECONDS 0.2
#define SPIRAL_N 1000
#define SPIRAL_ARMS 3
#define DATA_SEED 20240811UL
#define MAX_DEPTHS 16
#define MAX_SEEDS 32

typedef struct {
    size_t depths[MAX_DEPTHS], ndepths, seeds, epochs, batch, width, warmup;
    double lr, wd, noise, speed_seconds, branch_scale;
    int zero_last;
    int bn, torch, speed_bn;   /* speed_bn: 1 only with BN, 0 only without, 2 both */
    BlockOrder order;
    SgdSchedule schedule;
} Options;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the process (all threads): on a shared machine it counts only the time we ran,
 * which wall time does not when other jobs take the cores. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Spirals, k arms of N / k points (the CS231n form): for arm j, point i of m,
 * r = i / m, t = 4 (j + r) + noise * N(0, 1), x = r (sin t, cos t), label j. */
static void make_spirals(size_t n, size_t arms, double noise, unsigned long seed, double *x, int *y)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    size_t m = n / arms;
    for (size_t i = 0; i < n; i++) {
        size_t j = i / m < arms ? i / m : arms - 1, p = i - j * m;
        double r = (double)p / (double)m, t = 4.0 * ((double)j + r) + noise * gsl_ran_gaussian(rng, 1.0);
        x[2 * i] = r * sin(t);
        x[2 * i + 1] = r * cos(t);
        y[i] = (int)j;
    }
    gsl_rng_free(rng);
}

static ClassifierConfig model_config(const Options *o, size_t depth, ShortcutKind sc)
{
    ClassifierConfig m = classifier_config_default();
    m.dim = 2, m.classes = SPIRAL_ARMS;
    m.net.depth = depth, m.net.width = o->width, m.net.shortcut = sc;
    m.net.bn = o->bn, m.net.order = o->order;
    m.net.branch_scale = o->branch_scale, m.net.zero_last = o->zero_last;
    return m;
}

static TrainConfig train_config(const Options *o, unsigned long seed)
{
    TrainConfig t = train_config_default();
    t.batch = o->batch, t.epochs = o->epochs, t.seed = seed;
    t.sgd.lr = o->lr, t.sgd.weight_decay = o->wd, t.sgd.schedule = o->schedule;
    t.sgd.warmup_steps = o->warmup;
    t.sgd.milestones[0] = o->epochs / 2, t.sgd.milestones[1] = 3 * o->epochs / 4;
    t.sgd.n_milestones = 2;
    return t;
}

/* Median steps per second of trainer_step; 0 on failure. */
static double reslab_speed(const Options *o, size_t depth, int bn, const double *x, const int *y)
{
    Options s = *o;
    s.branch_scale = 1.0, s.zero_last = 0;
    s.bn = bn, s.order = ORDER_POST, s.width = 32, s.batch = 64, s.epochs = 100000, s.lr = 0.01;
    ClassifierConfig m = model_config(&s, depth, SHORTCUT_IDENTITY);
    TrainConfig tc = train_config(&s, 1);
    tc.sgd.schedule = SGD_LR_CONSTANT;
    char err[256];
    if (train_check(&m, &tc, x, y, SPIRAL_N, err, sizeof err)) {
        fprintf(stderr, "bench_train: %s\n", err);
        return 0.0;
    }
    Trainer *t = trainer_alloc(&m, &tc, x, y, SPIRAL_N);
    if (!t) return 0.0;
    for (int i = 0; i < 5; i++) trainer_step(t, NULL, err, sizeof err);      /* warm-up */
    double rates[256], end = cpu_seconds() + o->speed_seconds;
    size_t nr = 0;
    while (nr < 256 && (nr < 3 || cpu_seconds() < end)) {
        double t0 = cpu_seconds();
        size_t steps = 0;
        while (cpu_seconds() - t0 < REP_SECONDS) {
            trainer_step(t, NULL, err, sizeof err);
            steps++;
        }
        rates[nr++] = (double)steps / (cpu_seconds() - t0);
    }
    trainer_free(t);
    qsort(rates, nr, sizeof *rates, cmp_double);
    return rates[nr / 2];
}

/* PyTorch's steps per second from bench_train_torch.py; NAN if it cannot run. */
static double torch_speed(const Options *o, size_t depth, int bn)
{
    char cmd[1024], line[256];
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
             "%s '%s' %zu 32 64 %d float64 %g 2>/dev/null", PYTHON,
             BENCH_TORCH_SCRIPT, depth, bn, o->speed_seconds);
    FILE *p = popen(cmd, "r");
    if (!p) return NAN;
    double r = NAN;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "steps_per_second %lf", &r) == 1) break;
    pclose(p);
    return r;
}

static int torch_available(void)
{
    return system(PYTHON " -c 'import torch' >/dev/null 2>&1") == 0;
}

static void run_speed(const Options *o, const double *x, const int *y)
{
    static const size_t depths[] = {20, 56, 110};
    int torch = o->torch && torch_available();
    printf("== speed: training steps per second, n 32, B 64, residual post, dim 2, k 3, 1 thread\n");
    if (!torch) printf("   (PyTorch: %s cannot import torch, or torch=0: not compared)\n", PYTHON);
    printf("%6s %4s %14s %14s %8s %s\n", "depth", "bn", "reslab step/s", "torch f64 /s", "ratio", "target >= 5");
    for (int bn = 1; bn >= 0; bn--)
        for (size_t i = 0; i < 3 && (o->speed_bn == 2 || o->speed_bn == bn); i++) {
            /* reslab before and after PyTorch, averaged: the load of a shared machine drifts */
            double r = reslab_speed(o, depths[i], bn, x, y);
            double t = torch ? torch_speed(o, depths[i], bn) : NAN;
            if (torch) r = 0.5 * (r + reslab_speed(o, depths[i], bn, x, y));
            printf("%6zu %4s %14.1f %14.1f %8.2f %s\n", depths[i], bn ? "yes" : "no", r, t, r / t,
                   isnan(t) ? "-" : r / t >= 5.0 ? "PASS" : "MISS");
            fflush(stdout);
        }
}

typedef struct {
    double loss, acc, resp_median, first_loss;
    int failed;
} RunResult;

/* One training run and its evaluation on the training set. */
static RunResult run_one(const Options *o, size_t depth, ShortcutKind sc, unsigned long seed,
                         const double *x, const int *y)
{
    RunResult r = {NAN, NAN, NAN, NAN, 1};
    ClassifierConfig m = model_config(o, depth, sc);
    TrainConfig tc = train_config(o, seed);
    char err[256];
    if (train_check(&m, &tc, x, y, SPIRAL_N, err, sizeof err)) {
        fprintf(stderr, "bench_train: %s\n", err);
        return r;
    }
    Trainer *t = trainer_alloc(&m, &tc, x, y, SPIRAL_N);
    if (!t) return r;
    double *std = malloc(2 * depth * sizeof *std);
    TrainEval ev = {.response_std = std};
    if (!trainer_run(t, NULL, NULL, err, sizeof err) &&
        !train_evaluate(t->model, x, y, SPIRAL_N, &ev, err, sizeof err)) {
        r.loss = ev.loss, r.acc = ev.accuracy, r.failed = 0, r.first_loss = t->history[0].loss;
        qsort(std, 2 * depth, sizeof *std, cmp_double);
        r.resp_median = std[depth];                      /* median over the 2 L layers */
    } else {
        printf("   depth %zu %s seed %lu: %s\n", depth, block_shortcut_name(sc), seed, err);
    }
    free(std);
    trainer_free(t);
    return r;
}

static void stats3(const double *v, size_t n, double *mean, double *lo, double *hi)
{
    *mean = 0.0, *lo = INFINITY, *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        *mean += v[i] / (double)n;
        *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]);
    }
}

static void run_compare(const Options *o, const double *x, const int *y)
{
    printf("== compare: spirals %d arms, N %d, noise %g (data seed %lu); width %zu, B %zu, "
           "%zu epochs, lr %g (%s), wd %g, warm-up %zu steps, %s order, bn %s, branch scale %g%s; "
           "seeds 1..%zu\n", SPIRAL_ARMS, SPIRAL_N, o->noise, DATA_SEED, o->width, o->batch,
           o->epochs, o->lr, sgd_schedule_name(o->schedule), o->wd, o->warmup,
           block_order_name(o->order), o->bn ? "on" : "off", o->branch_scale,
           o->zero_last ? ", zero last layer" : "", o->seeds);
    printf("%6s %-9s %26s %26s %10s\n", "depth", "net", "train loss mean [min,max]",
           "train error mean [min,max]", "resp std");   /* median layer, mean over seeds */
    double t0 = now_seconds(), c0 = cpu_seconds();
    for (size_t d = 0; d < o->ndepths; d++)
        for (int res = 0; res < 2; res++) {
            double loss[MAX_SEEDS], err[MAX_SEEDS], resp[MAX_SEEDS];
            size_t ok = 0;
            for (size_t s = 0; s < o->seeds; s++) {
                RunResult r = run_one(o, o->depths[d], res ? SHORTCUT_IDENTITY : SHORTCUT_NONE,
                                      s + 1, x, y);
                if (r.failed) continue;
                loss[ok] = r.loss, err[ok] = 1.0 - r.acc, resp[ok++] = r.resp_median;
            }
            if (!ok) {
                printf("%6zu %-9s all %zu runs failed\n", o->depths[d], res ? "residual" : "plain",
                       o->seeds);
                continue;
            }
            double lm, ll, lh, em, el, eh, rm, rl, rh;
            stats3(loss, ok, &lm, &ll, &lh);
            stats3(err, ok, &em, &el, &eh);
            stats3(resp, ok, &rm, &rl, &rh);
            printf("%6zu %-9s %8.4f [%6.4f,%6.4f] %8.4f [%6.4f,%6.4f] %10.4f%s\n", o->depths[d],
                   res ? "residual" : "plain", lm, ll, lh, em, el, eh, rm,
                   ok < o->seeds ? " (some runs failed)" : "");
            fflush(stdout);
        }
    printf("   compare run: %.1f s wall, %.1f s CPU (%zu runs, one thread)\n", now_seconds() - t0,
           cpu_seconds() - c0, 2 * o->ndepths * o->seeds);
}

static int parse_depths(const char *v, Options *o)
{
    o->ndepths = 0;
    for (const char *p = v; *p && o->ndepths < MAX_DEPTHS;) {
        char *end;
        unsigned long d = strtoul(p, &end, 10);
        if (end == p || d < 1) return 1;
        o->depths[o->ndepths++] = d;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 1;
    }
    return o->ndepths == 0;
}

/* key=value into o; 0, or 1 (the message is printed). */
static int parse_option(const char *arg, Options *o)
{
    const char *eq = strchr(arg, '=');
    if (!eq) goto bad;
    const char *v = eq + 1;
    size_t k = (size_t)(eq - arg);
    char *end = NULL;
#define KEY(s) (k == strlen(s) && strncmp(arg, s, k) == 0)
    if (KEY("depths")) return parse_depths(v, o) ? (fprintf(stderr, "bench_train: bad depths '%s'\n", v), 1) : 0;
    if (KEY("order")) return block_order_parse(v, &o->order) ? (fprintf(stderr, "bench_train: bad order '%s'\n", v), 1) : 0;
    if (KEY("schedule")) return sgd_schedule_parse(v, &o->schedule) ? (fprintf(stderr, "bench_train: bad schedule '%s'\n", v), 1) : 0;
    double d = strtod(v, &end);
    if (end == v || *end || !isfinite(d) || d < 0) goto bad;
    if (KEY("seeds") && d >= 1 && d <= MAX_SEEDS) o->seeds = (size_t)d;
    else if (KEY("epochs") && d >= 1) o->epochs = (size_t)d;
    else if (KEY("batch") && d >= 1) o->batch = (size_t)d;
    else if (KEY("width") && d >= 1) o->width = (size_t)d;
    else if (KEY("warmup")) o->warmup = (size_t)d;
    else if (KEY("lr") && d > 0) o->lr = d;
    else if (KEY("wd")) o->wd = d;
    else if (KEY("noise")) o->noise = d;
    else if (KEY("branch_scale")) o->branch_scale = d;
    else if (KEY("zero_last")) o->zero_last = d != 0;
    else if (KEY("bn")) o->bn = d != 0;
    else if (KEY("torch")) o->torch = d != 0;
    else if (KEY("speed_bn") && d <= 2) o->speed_bn = (int)d;
    else if (KEY("speed_seconds") && d > 0) o->speed_seconds = d;
    else goto bad;
    return 0;
#undef KEY
bad:
    fprintf(stderr, "bench_train: bad option '%s' (see the comment at the top of bench_train.c)\n", arg);
    return 1;
}

int main(int argc, char **argv)
{
    Options o = {.depths = {4, 8, 16, 32, 64}, .ndepths = 5, .seeds = 3, .epochs = 30, .batch = 64,
                 .width = 32, .lr = 0.05, .wd = 1e-4, .noise = 0.2, .bn = 1, .torch = 1, .speed_bn = 2,
                 .order = ORDER_POST, .schedule = SGD_LR_STEP, .speed_seconds = 1.5,
                 .branch_scale = 1.0};
    const char *mode = "all";
    for (int i = 1; i < argc; i++) {
        if (!strchr(argv[i], '=')) mode = argv[i];
        else if (parse_option(argv[i], &o)) return 2;
    }
    if (strcmp(mode, "all") && strcmp(mode, "speed") && strcmp(mode, "compare")) {
        fprintf(stderr, "bench_train: unknown mode '%s' (speed, compare or all)\n", mode);
        return 2;
    }
#if RESLAB_HAVE_OPENBLAS
    openblas_set_num_threads(1);
    printf("BLAS: %s, 1 thread\n", openblas_get_config());
#endif
    double *x = malloc(2 * SPIRAL_N * sizeof *x);
    int *y = malloc(SPIRAL_N * sizeof *y);
    make_spirals(SPIRAL_N, SPIRAL_ARMS, o.noise, DATA_SEED, x, y);
    if (strcmp(mode, "compare")) run_speed(&o, x, y);
    if (strcmp(mode, "speed")) run_compare(&o, x, y);
    free(x), free(y);
    return 0;
}
