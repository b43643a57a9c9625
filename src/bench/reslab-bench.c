/* reslab-bench.c: how fast is one training step of a residual net, against the BLAS it runs on?
 *
 * Usage:   ninja -C build && ./build/src/bench/reslab-bench        (about 30 s; exit status 0)
 *
 * A benchmark, not a test: it prints figures and always exits 0 (speed is never a test verdict).
 * Dimensions: B batch, n width of the residual stream, h = n hidden width inside F, L depth.
 *
 * 1. The ceiling: single-thread DGEMM, C = A B with A, B, C (n, n), n = 256, through
 *    gsl_blas_dgemm; flops = 2 n^3. Each timed repetition runs dgemm until at least 0.2 s have
 *    passed; the figure is the median over DGEMM_REPS repetitions.
 * 2. The step: net_forward + net_zero_grad + net_loss_backward + net_grad_norms (net.h) on a
 *    residual net from net_config_default() (identity shortcut, ReLU, post order, He init,
 *    param_grads = 1), for n in {16, 64, 256}, L in {10, 100, 1000}, B in {1, 32, 64}. One
 *    repetition runs steps until at least REP_SECONDS have passed; repetitions go on until there
 *    are STEP_MIN_REPS of them and STEP_MIN_SECONDS have passed, stopping early (after at least
 *    3) once STEP_MAX_SECONDS are spent; the figure is the median time per step.
 *    Flops per block per step, the six matrix products only:
 *        forward   z1 = x W1^T, F = a1 W2^T                      2 x 2 B n h
 *        backward  dW2 += dy^T a1, da1 += dy W2, dW1 += dz1^T x,
 *                  dx += dz1 W1                                  4 x 2 B n h
 *                  total                                         12 B n h
 *    The elementwise work is ignored in the count, though it is timed: bias adds, ReLU forward
 *    and backward, the shortcut add, copies and zeroing of the work buffers (O(B n) per block),
 *    net_zero_grad (2 n h + h + n doubles per block), the bias gradients and the norms.
 *    A combination whose net_memory_bytes exceeds 2 GiB is skipped ("skipped: memory").
 * 3. The targets of the issue, one PASS/MISS line per depth:
 *        n = 256, B = 32:  step GFLOP/s >= 70 % of the DGEMM figure
 *        n = 16,  B = 1:   under 3 microseconds per block per step
 *
 * The BLAS runs on one thread (openblas_set_num_threads(1) when config.h says OpenBLAS); the
 * library that actually supplies cblas_dgemm is printed, so a silent fall-back to GSL's reference
 * CBLAS shows. Inputs and weights come from an mt19937 gsl_rng with the printed seed.
 * Note: with He init and the post-order identity shortcut the activations grow with depth, so at
 * L = 1000 the loss overflows to inf (the loss column shows it); x86 arithmetic on inf and NaN
 * runs at full speed (only subnormals are slow), so the timings stand.
 * The 1-minute load average is printed at the start and the end: on a shared 2-core machine the
 * figures move by 10-30 % with what else runs, most for the L3-bound rows (n = 16 and 64 at
 * L = 1000, n = 64 at L = 100).
 */
#define _GNU_SOURCE                         /* dladdr */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "config.h"
#include "net.h"
#include "jacobian.h"
#include "scene.h"
#include "sweep.h"
#include "status.h"

#if RESLAB_HAVE_OPENBLAS
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
#endif

#define BENCH_SEED 20240611UL
#define BENCH_MEMORY_LIMIT ((size_t)2 << 30)    /* skip nets above 2 GiB */
#define DGEMM_N 256
#define DGEMM_REP_SECONDS 0.2                   /* one timed DGEMM repetition lasts at least this */
#define DGEMM_REPS 7
#define REP_SECONDS 0.02                        /* one timed step repetition lasts at least this */
#define STEP_MIN_REPS 5
#define STEP_MIN_SECONDS 0.5
#define STEP_MAX_SECONDS 3.0
#define MAX_REPS 1024
#define TARGET_FRACTION 0.70                    /* n = 256, B = 32: share of the DGEMM figure */
#define TARGET_US_PER_BLOCK 3.0                 /* n = 16, B = 1: microseconds per block per step */

static const size_t widths[] = {16, 64, 256}, depths[] = {10, 100, 1000}, batches[] = {1, 32, 64};
#define NW (sizeof widths / sizeof widths[0])
#define ND (sizeof depths / sizeof depths[0])
#define NB (sizeof batches / sizeof batches[0])

typedef struct {
    size_t n, L, B;
    int skipped;       /* 1: above the memory limit; 2: invalid config or allocation failed */
    double ms, us_per_block, gflops, pct;
} Result;

typedef void (*UnitFn)(void *ctx);   /* one unit of timed work: one dgemm, or one step */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t k)
{
    qsort(v, k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

/* One repetition: runs the unit until at least min_seconds have passed; seconds per unit. */
static double time_repetition(UnitFn fn, void *ctx, double min_seconds)
{
    size_t count = 0;
    double t0 = now_seconds(), t;
    do {
        fn(ctx);
        count++;
        t = now_seconds();
    } while (t - t0 < min_seconds);
    return (t - t0) / (double)count;
}

/* Median seconds per unit over repetitions of at least rep_seconds each: at least min_reps of
 * them and min_total seconds, but no more once max_total is spent (and at least 3). One unit
 * runs first, untimed, to touch the memory. */
static double time_median(UnitFn fn, void *ctx, double rep_seconds, size_t min_reps,
                          double min_total, double max_total, size_t *reps_out)
{
    double per_unit[MAX_REPS];
    size_t reps = 0;
    fn(ctx);
    double t0 = now_seconds();
    for (;;) {
        double spent = now_seconds() - t0;
        if (reps >= MAX_REPS || (reps >= 3 && spent >= max_total)) break;
        if (reps >= min_reps && spent >= min_total) break;
        per_unit[reps++] = time_repetition(fn, ctx, rep_seconds);
    }
    *reps_out = reps;
    return median(per_unit, reps);
}

typedef struct { gsl_matrix *A, *B, *C; } DgemmCtx;

static void dgemm_unit(void *ctx)
{
    DgemmCtx *d = ctx;
    /* [n x n] = [n x n][n x n] */
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, d->A, d->B, 0.0, d->C);
}

/* The single-thread DGEMM ceiling in GFLOP/s, or 0 if out of memory. */
static double bench_dgemm(gsl_rng *rng)
{
    size_t n = DGEMM_N, reps;
    DgemmCtx d = {gsl_matrix_alloc(n, n), gsl_matrix_alloc(n, n), gsl_matrix_alloc(n, n)};
    double gflops = 0.0;
    if (d.A && d.B && d.C) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                gsl_matrix_set(d.A, i, j, gsl_ran_gaussian(rng, 1.0));
                gsl_matrix_set(d.B, i, j, gsl_ran_gaussian(rng, 1.0));
            }
        double s = time_median(dgemm_unit, &d, DGEMM_REP_SECONDS, DGEMM_REPS, 0.0, 1e9, &reps);
        gflops = 2.0 * n * n * n / s * 1e-9;
        printf("DGEMM  n = %zu, C = A B, flops 2 n^3 = %.1f M, median of %zu repetitions "
               "of >= %.1f s\n", n, 2e-6 * n * n * n, reps, DGEMM_REP_SECONDS);
        printf("       %.3f ms per dgemm, %.2f GFLOP/s   <- the 100 %% line below\n\n", s * 1e3,
               gflops);
    }
    gsl_matrix_free(d.A);
    gsl_matrix_free(d.B);
    gsl_matrix_free(d.C);
    return gflops;
}

typedef struct {
    Net *net;
    gsl_matrix *X;     /* (B, n) */
    double *norms;     /* [L + 1] */
    double loss;
} StepCtx;

/* One training step's worth of numerics (no update): what the issue times. */
static void step_unit(void *ctx)
{
    StepCtx *s = ctx;
    net_forward(s->net, s->X);
    net_zero_grad(s->net);
    s->loss = net_loss_backward(s->net);
    net_grad_norms(s->net, s->norms);
}

/* Times one (n, L, B) combination and prints its table row. */
static Result bench_step(size_t n, size_t L, size_t B, double dgemm_gflops, gsl_rng *rng)
{
    Result r = {.n = n, .L = L, .B = B};
    NetConfig cfg = net_config_default();
    cfg.depth = L;
    cfg.width = n;
    size_t bytes = net_memory_bytes(&cfg, B);
    printf("%5zu %5zu %4zu %9.1f ", n, L, B, (double)bytes / (1 << 20));
    char err[256];
    if (bytes > BENCH_MEMORY_LIMIT) {
        r.skipped = 1;
        printf("  skipped: memory (above %.0f GiB)\n", (double)BENCH_MEMORY_LIMIT / (1 << 30));
        return r;
    }
    if (net_config_check(&cfg, B, BENCH_MEMORY_LIMIT, err, sizeof err) != RESLAB_OK) {
        r.skipped = 2;
        printf("  skipped: %s\n", err);
        return r;
    }
    StepCtx s = {net_alloc(&cfg, B, rng), gsl_matrix_alloc(B, n),
                 malloc((L + 1) * sizeof(double)), 0.0};
    if (s.net && s.X && s.norms) {
        for (size_t i = 0; i < B; i++)
            for (size_t j = 0; j < n; j++) gsl_matrix_set(s.X, i, j, gsl_ran_gaussian(rng, 1.0));
        size_t reps;
        double sec = time_median(step_unit, &s, REP_SECONDS, STEP_MIN_REPS, STEP_MIN_SECONDS,
                                 STEP_MAX_SECONDS, &reps);
        double flops = 12.0 * (double)B * n * n * L;      /* 12 B n h per block, h = n */
        r.ms = sec * 1e3;
        r.us_per_block = sec * 1e6 / (double)L;
        r.gflops = flops / sec * 1e-9;
        r.pct = dgemm_gflops > 0.0 ? 100.0 * r.gflops / dgemm_gflops : 0.0;
        printf("%5zu %10.3f %9.3f %8.2f %7.1f %10.3g\n", reps, r.ms, r.us_per_block, r.gflops,
               r.pct, s.loss);
    } else {
        r.skipped = 2;
        printf("  skipped: out of memory\n");
    }
    net_free(s.net);
    gsl_matrix_free(s.X);
    free(s.norms);
    return r;
}

/* The machine is shared: the 1-minute load average says how much else was running. */
static void print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double load;
    if (f && fscanf(f, "%lf", &load) == 1)
        printf("load     %.2f (1-minute average, %s)\n", load, when);
    if (f) fclose(f);
}

static void print_cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    const char *model = "(unknown: /proc/cpuinfo not readable)";
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            char *v = strchr(line, ':') + 1;
            v += strspn(v, " \t");
            v[strcspn(v, "\n")] = '\0';
            model = v;
            break;
        }
    printf("cpu      %s (%ld online)\n", model, sysconf(_SC_NPROCESSORS_ONLN));
    if (f) fclose(f);
}

/* Pins the BLAS to one thread and says which BLAS it is and where cblas_dgemm comes from. */
static void print_blas(void)
{
    int threads = 1;
#if RESLAB_HAVE_OPENBLAS
    openblas_set_num_threads(1);
    threads = openblas_get_num_threads();
    printf("blas     %s (%s)\n", RESLAB_BLAS, openblas_get_config());
#else
    printf("blas     %s\n", RESLAB_BLAS);
#endif
    Dl_info info;
    if (dladdr((void *)cblas_dgemm, &info) && info.dli_fname)
        printf("         cblas_dgemm from %s\n", info.dli_fname);
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    printf("threads  %d (BLAS; OPENBLAS_NUM_THREADS=%s), this program single-threaded\n", threads,
           env ? env : "unset");
}

static void print_targets(const Result *res, size_t count, double dgemm_gflops)
{
    printf("\ntargets\n");
    printf("  n = 256, B = 32: step GFLOP/s >= %.0f %% of DGEMM (%.2f GFLOP/s, so >= %.2f)\n",
           100.0 * TARGET_FRACTION, dgemm_gflops, TARGET_FRACTION * dgemm_gflops);
    for (size_t i = 0; i < count; i++) {
        const Result *r = &res[i];
        if (r->n != 256 || r->B != 32) continue;
        if (r->skipped) printf("    L = %4zu   skipped                         SKIP\n", r->L);
        else
            printf("    L = %4zu   %8.2f GFLOP/s = %5.1f %%      %s\n", r->L, r->gflops, r->pct,
                   r->pct >= 100.0 * TARGET_FRACTION ? "PASS" : "MISS");
    }
    printf("  (for comparison, not a target) n = 256, B = 64: with twice the rows, OpenBLAS's\n"
           "  packing of the weights is shared by more work\n");
    for (size_t i = 0; i < count; i++) {
        const Result *r = &res[i];
        if (r->n != 256 || r->B != 64 || r->skipped) continue;
        printf("    L = %4zu   %8.2f GFLOP/s = %5.1f %%\n", r->L, r->gflops, r->pct);
    }
    printf("  n = 16, B = 1: under %.1f us per block per step\n", TARGET_US_PER_BLOCK);
    for (size_t i = 0; i < count; i++) {
        const Result *r = &res[i];
        if (r->n != 16 || r->B != 1) continue;
        if (r->skipped) printf("    L = %4zu   skipped                         SKIP\n", r->L);
        else
            printf("    L = %4zu   %8.3f us per block              %s\n", r->L, r->us_per_block,
                   r->us_per_block < TARGET_US_PER_BLOCK ? "PASS" : "MISS");
    }
}

/* The depth sweep of sweep.h at width 64, batch 8, depth 1..1000, for the residual net and its
 * plain twin: the time of the whole sweep and the time per new depth near d = 1000 (the cost
 * of a step grows like d: one block forward, d block backwards). Target: under 10 ms per new
 * depth for the pair, so the viewer can grow the depth at 60 frames per second. */
#define SWEEP_TARGET_MS 10.0
static void bench_sweep(gsl_rng *rng)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 1000, cfg.width = 64, cfg.param_grads = 0, cfg.branch_scale = 1.0 / sqrt(1000.0);
    size_t B = 8;
    Net *res = net_alloc(&cfg, B, rng);
    cfg.shortcut = SHORTCUT_NONE;
    Net *plain = net_alloc(&cfg, B, rng);
    gsl_matrix *X = gsl_matrix_alloc(B, cfg.width);
    if (!res || !plain || !X) {
        printf("depth sweep: skipped (out of memory)\n");
        goto done;
    }
    net_copy_branches(plain, res);
    for (size_t i = 0; i < B * cfg.width; i++) X->data[i] = gsl_ran_gaussian(rng, 1.0);
    Sweep *sr = sweep_alloc(res, X), *sp = sweep_alloc(plain, X);
    double t0 = now_seconds(), t_last = 0.0;
    for (size_t d = 1; d <= cfg.depth; d++) {
        double t = now_seconds();
        sweep_step(sr);
        sweep_step(sp);
        if (d > cfg.depth - 10) t_last += now_seconds() - t;
    }
    double total = now_seconds() - t0, per = 1e3 * t_last / 10.0;
    printf("\ndepth sweep (sweep.h): width 64, batch 8, depths 1..1000, residual (branch scale "
           "1/sqrt(L)) and plain twin\n");
    printf("  whole sweep %.2f s; per new depth near d = 1000: %.2f ms for the pair   %s "
           "(target < %.0f ms)\n", total, per, per < SWEEP_TARGET_MS ? "PASS" : "MISS",
           SWEEP_TARGET_MS);
    sweep_free(sr);
    sweep_free(sp);
done:
    net_free(res);
    net_free(plain);
    gsl_matrix_free(X);
}

/* The input-output Jacobian and its singular values (jacobian.h) at width 64, depth 100,
 * batch 8, residual net without batch norm (product of block Jacobians). Target 20 ms. */
#define JACOBIAN_TARGET_MS 20.0
static void bench_jacobian(gsl_rng *rng)
{
    NetConfig cfg = net_config_default();
    cfg.depth = 100, cfg.width = 64, cfg.param_grads = 0, cfg.branch_scale = 0.1;
    size_t B = 8;
    Net *net = net_alloc(&cfg, B, rng);
    gsl_matrix *X = gsl_matrix_alloc(B, cfg.width), *J = gsl_matrix_alloc(64, 64);
    gsl_vector *s = gsl_vector_alloc(64);
    JacobianWork *w = net ? jacobian_work_alloc(net) : NULL;
    if (!net || !X || !J || !s || !w) {
        printf("jacobian: skipped (out of memory)\n");
        goto done;
    }
    for (size_t i = 0; i < B * cfg.width; i++) X->data[i] = gsl_ran_gaussian(rng, 1.0);
    net_forward(net, X);
    double times[31];
    for (int r = 0; r < 31; r++) {
        double t = now_seconds();
        jacobian_net(net, 0, J, w);
        jacobian_singular_values(J, s, w);
        times[r] = now_seconds() - t;
    }
    qsort(times, 31, sizeof times[0], cmp_double);
    printf("jacobian (jacobian.h): width 64, depth 100, dx_L/dx_0 + singular values: median "
           "%.2f ms   %s (target < %.0f ms)\n", 1e3 * times[15],
           1e3 * times[15] < JACOBIAN_TARGET_MS ? "PASS" : "MISS", JACOBIAN_TARGET_MS);
done:
    jacobian_work_free(w);
    net_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(J);
    gsl_vector_free(s);
}

/* The depth scene (scene_depth.h) at depth 1000, width 64, drawn into a 1280x800 ARGB32
 * surface, as the viewer draws every frame: median over 50 draws after 5 warm-up draws (the
 * first loads the fonts). Target: at most 8 ms. */
#define DRAW_TARGET_MS 8.0
static void bench_draw(void)
{
    SceneParams p = scene_params_default();
    p.net.depth = 1000, p.net.width = 64;
    char err[256];
    Scene *s = scene_alloc(SCENE_DEPTH, &p, err, sizeof err);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1280, 800);
    cairo_t *cr = cairo_create(surf);
    if (!s || cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        printf("depth scene draw: skipped (%s)\n", s ? "cairo" : err);
        goto done;
    }
    Theme t = theme_light();
    double times[55];
    for (int r = 0; r < 55; r++) {
        double t0 = now_seconds();
        rgb_set_source(cr, t.background);
        cairo_paint(cr);
        scene_draw(s, cr, (Rect){0, 0, 1280, 800}, &t);
        cairo_surface_flush(surf);
        times[r] = now_seconds() - t0;
    }
    qsort(times + 5, 50, sizeof times[0], cmp_double);
    printf("depth scene draw (render): depth 1000, width 64, 1280x800: median %.2f ms   %s "
           "(target <= %.0f ms)\n", 1e3 * times[30], 1e3 * times[30] <= DRAW_TARGET_MS ? "PASS" : "MISS",
           DRAW_TARGET_MS);
done:
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    scene_free(s);
}

int main(void)
{
    double t_start = now_seconds();
    printf("reslab-bench %s: one step = forward + zero_grad + loss_backward + grad_norms\n\n",
           RESLAB_VERSION);
    print_cpu_model();
    print_blas();
    print_load("at start");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 0;
    gsl_rng_set(rng, BENCH_SEED);
    printf("seed     %lu (mt19937)\n\n", BENCH_SEED);

    double dgemm_gflops = bench_dgemm(rng);
    printf("residual net: identity shortcut, relu, post order, he init, h = n, param grads on\n");
    printf("flops per block per step = 12 B n h (6 matrix products; elementwise work not "
           "counted)\n");
    printf("median over repetitions of >= %.2f s; per row at least %d repetitions and %.1f s, "
           "at most ~%.0f s\n\n", REP_SECONDS, STEP_MIN_REPS, STEP_MIN_SECONDS, STEP_MAX_SECONDS);
    printf("%5s %5s %4s %9s %5s %10s %9s %8s %7s %10s\n", "n", "L", "B", "mem MiB", "reps",
           "ms/step", "us/block", "GFLOP/s", "%DGEMM", "loss");
    Result res[NW * ND * NB];
    size_t count = 0;
    for (size_t i = 0; i < NW; i++)
        for (size_t j = 0; j < ND; j++)
            for (size_t k = 0; k < NB; k++) {
                res[count++] = bench_step(widths[i], depths[j], batches[k], dgemm_gflops, rng);
                fflush(stdout);
            }
    print_targets(res, count, dgemm_gflops);
    bench_sweep(rng);
    bench_jacobian(rng);
    bench_draw();
    printf("\n");
    print_load("at end");
    printf("total run time %.1f s\n", now_seconds() - t_start);
    gsl_rng_free(rng);
    return 0;
}
