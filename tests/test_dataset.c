/* test_dataset.c: the synthetic sets have the shapes, the balanced labels and the geometry of
 * their definitions (dataset.h, docs/data.md); the same seed gives the same bytes and another
 * seed other bytes; standardisation, shuffle, slice and split keep every example intact; bad
 * arguments are refused with a message. Geometry is checked on dataset_synth_raw. */
#include "dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"
#include "status.h"
#include "testutil.h"

#define TWO_PI 6.283185307179586476925286766559

/* Sums of N ~ 1000 terms of size ~ 1 lose at most about N eps ~ 2e-13; 1e-12 leaves room. */
static const double TOL_SUM = 1e-12;
/* r = hypot(t cos a, t sin a) with correctly rounded-ish cos, sin: a few ulps of t <= 1. */
static const double TOL_ULPS = 1e-15;
/* |e| of e ~ N(0, I_2) exceeds 6 with probability exp(-18) = 1.5e-8 per point. */
static const double SIGMAS = 6.0;
/* A sample mean of n draws of sd s is off by more than 4 s / sqrt(n) with probability 6e-5. */
static const double MEAN_SIGMAS = 4.0;

static const char *const KINDS[] = {"spirals", "rings", "checkerboard", "blobs", "gratings"};
enum { NKINDS = 5 };

static int synth(Dataset *d, const char *kind, size_t n, size_t k, unsigned long seed,
                 double noise, int raw)
{
    char err[256] = "";
    int rc = raw ? dataset_synth_raw(d, kind, n, k, seed, noise, err, sizeof err)
                 : dataset_synth(d, kind, n, k, seed, noise, err, sizeof err);
    if (rc) printf("  (%s: %s)\n", kind, err);
    return rc;
}

static void test_shapes_and_balanced_labels(Check *c)
{
    static const size_t dims[NKINDS] = {2, 2, 2, 2, 64};
    for (int k = 0; k < NKINDS; k++) {
        Dataset d;
        size_t arms = 3, n = 601;                  /* 601 = 3 * 200 + 1: not divisible */
        int built = synth(&d, KINDS[k], n, arms, 7, 0.1, 0) == RESLAB_OK;
        if (!check_true(c, built, "%s builds", KINDS[k])) continue;
        size_t classes = strcmp(KINDS[k], "checkerboard") == 0 ? 2 : arms;
        size_t counts[3], lo = n, hi = 0;
        int finite = 1, inrange = 1;
        for (size_t i = 0; i < n * d.dim; i++) finite &= isfinite(d.x[i]);
        for (size_t i = 0; i < n; i++) inrange &= d.y[i] >= 0 && (size_t)d.y[i] < classes;
        dataset_class_counts(&d, counts);
        for (size_t j = 0; j < classes; j++) {
            lo = counts[j] < lo ? counts[j] : lo;
            hi = counts[j] > hi ? counts[j] : hi;
        }
        check_true(c, d.n == n && d.dim == dims[k] && d.classes == classes && d.name[0],
                   "%s: N %zu, dim %zu, classes %zu, name '%s'", KINDS[k], d.n, d.dim, d.classes,
                   d.name);
        check_true(c, finite && inrange, "%s: every x finite, every label in 0..%zu", KINDS[k],
                   classes - 1);
        check_true(c, hi - lo <= 1, "%s: class counts differ by at most 1 (%zu..%zu)", KINDS[k],
                   lo, hi);
        dataset_free(&d);
    }
}

static void test_same_seed_same_bytes(Check *c)
{
    for (int k = 0; k < NKINDS; k++) {
        Dataset a, b, o;
        if (synth(&a, KINDS[k], 200, 4, 11, 0.2, 0) || synth(&b, KINDS[k], 200, 4, 11, 0.2, 0) ||
            synth(&o, KINDS[k], 200, 4, 12, 0.2, 0)) {
            check_true(c, 0, "%s builds three times", KINDS[k]);
            continue;
        }
        size_t bytes = a.n * a.dim * sizeof *a.x;
        check_true(c, !memcmp(a.x, b.x, bytes) && !memcmp(a.y, b.y, a.n * sizeof *a.y),
                   "%s: seed 11 twice gives the same bytes", KINDS[k]);
        check_true(c, memcmp(a.x, o.x, bytes) != 0, "%s: seed 12 gives other points", KINDS[k]);
        dataset_free(&a);
        dataset_free(&b);
        dataset_free(&o);
    }
}

/* dataset_synth = dataset_synth_raw + dataset_standardize, and the result has mean 0, sd 1. */
static void test_standardised_per_feature(Check *c)
{
    for (int k = 0; k < NKINDS; k++) {
        Dataset s, r;
        if (synth(&s, KINDS[k], 999, 5, 3, 0.1, 0) || synth(&r, KINDS[k], 999, 5, 3, 0.1, 1)) {
            check_true(c, 0, "%s builds", KINDS[k]);
            continue;
        }
        double *ms = malloc(2 * r.dim * sizeof *ms), worst_m = 0.0, worst_s = 0.0;
        dataset_standardize(&r, ms, ms + r.dim);
        check_true(c, !memcmp(s.x, r.x, s.n * s.dim * sizeof *s.x),
                   "%s: synth is exactly raw then standardize", KINDS[k]);
        for (size_t j = 0; j < s.dim; j++) {
            double m = 0.0, v = 0.0;
            for (size_t i = 0; i < s.n; i++) m += s.x[i * s.dim + j];
            m /= (double)s.n;
            for (size_t i = 0; i < s.n; i++) v += pow(s.x[i * s.dim + j] - m, 2);
            worst_m = fmax(worst_m, fabs(m));
            worst_s = fmax(worst_s, fabs(sqrt(v / (double)s.n) - 1.0));
        }
        check_below(c, "standardised: max |mean_j|", worst_m, TOL_SUM);
        check_below(c, "standardised: max |sd_j - 1|", worst_s, TOL_SUM);
        free(ms);
        dataset_free(&s);
        dataset_free(&r);
    }
}

/* Noise-free: point j of arm a sits at radius t = (j + 1/2) / m and angle 2 pi (1.5 t + a / k).
 * With noise: p = p_0 + noise e, the same e for every noise (one seed), so |r - t| <= 6 noise. */
static void test_spiral_radius_grows_with_t(Check *c)
{
    enum { N = 301, K = 3 };
    const double noise = 0.03;
    Dataset d0, dn;
    if (synth(&d0, "spirals", N, K, 5, 0.0, 1) || synth(&dn, "spirals", N, K, 5, noise, 1)) {
        check_true(c, 0, "spirals build");
        return;
    }
    double worst_r = 0.0, worst_a = 0.0, worst_n = 0.0;
    int grows = 1, thirds = 1;
    for (size_t a = 0; a < K; a++) {
        size_t m = (N - a + K - 1) / K;
        double prev = -1.0, third[3] = {0, 0, 0};
        for (size_t j = 0; j < m; j++) {
            size_t i = a + j * K;
            double t = (j + 0.5) / m, r = hypot(d0.x[2 * i], d0.x[2 * i + 1]);
            double want = fmod(TWO_PI * (DATASET_SPIRAL_TURNS * t + (double)a / K), TWO_PI);
            double got = fmod(atan2(d0.x[2 * i + 1], d0.x[2 * i]) + TWO_PI, TWO_PI);
            double da = fabs(got - want);
            worst_r = fmax(worst_r, fabs(r - t));
            worst_a = fmax(worst_a, fmin(da, TWO_PI - da));
            grows &= r > prev && d0.y[i] == (int)a;
            prev = r;
            double rn = hypot(dn.x[2 * i], dn.x[2 * i + 1]);
            worst_n = fmax(worst_n, fabs(rn - t));
            third[3 * j / m] += rn / (m / 3.0);
        }
        thirds &= third[0] < third[1] && third[1] < third[2];
    }
    check_below(c, "spirals, noise 0: max |r - t|", worst_r, TOL_ULPS);
    check_below(c, "spirals, noise 0: max angle error (rad)", worst_a, 1e-12);
    check_true(c, grows, "spirals, noise 0: radius strictly grows along every arm (label = arm)");
    check_below(c, "spirals, noise 0.03: max |r - t|", worst_n, SIGMAS * noise);
    check_true(c, thirds, "spirals, noise 0.03: mean radius grows over each arm's thirds");
    dataset_free(&d0);
    dataset_free(&dn);
}

/* Ring c has radius (c + 1) / k; with noise 0.015 (6 sigma = 0.09 < half the gap 0.125), the
 * rings do not overlap: max radius of ring c < min radius of ring c + 1. */
static void test_ring_radii_separated(Check *c)
{
    enum { N = 800, K = 4 };
    const double noise = 0.015;
    Dataset d;
    if (synth(&d, "rings", N, K, 9, noise, 1)) {
        check_true(c, 0, "rings build");
        return;
    }
    double lo[K], hi[K], worst = 0.0;
    for (int k = 0; k < K; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
    for (size_t i = 0; i < N; i++) {
        int y = d.y[i];
        double r = hypot(d.x[2 * i], d.x[2 * i + 1]);
        lo[y] = fmin(lo[y], r);
        hi[y] = fmax(hi[y], r);
        worst = fmax(worst, fabs(r - (y + 1.0) / K));
    }
    check_below(c, "rings: max |r - (c + 1)/k|", worst, SIGMAS * noise);
    for (int k = 0; k + 1 < K; k++)
        check_true(c, hi[k] < lo[k + 1], "rings: ring %d (r <= %.4f) inside ring %d (r >= %.4f)",
                   k, hi[k], k + 1, lo[k + 1]);
    dataset_free(&d);
}

/* Noise-free: the label is exactly the parity of the cell indices floor((x + 1) k / 2). */
static void test_checkerboard_parity_rule(Check *c)
{
    for (size_t k = 4; k <= 5; k++) {
        Dataset d;
        if (synth(&d, "checkerboard", 1000, k, 13, 0.0, 1)) {
            check_true(c, 0, "checkerboard builds");
            continue;
        }
        size_t bad = 0, outside = 0, counts[2];
        for (size_t i = 0; i < d.n; i++) {
            double x = d.x[2 * i], y = d.x[2 * i + 1];
            outside += !(x >= -1.0 && x < 1.0 && y >= -1.0 && y < 1.0);
            long cx = (long)floor((x + 1.0) * (double)k / 2.0);
            long cy = (long)floor((y + 1.0) * (double)k / 2.0);
            bad += (cx + cy) % 2 != d.y[i];
        }
        dataset_class_counts(&d, counts);
        check_true(c, bad == 0 && outside == 0, "checkerboard %zu x %zu: %zu of %zu labels "
                   "break the parity rule, %zu points outside [-1, 1)^2", k, k, bad, d.n, outside);
        check_true(c, counts[0] == 500 && counts[1] == 500, "checkerboard: 500 / 500 per class "
                   "(%zu / %zu)", counts[0], counts[1]);
        dataset_free(&d);
    }
}

/* Blob c's sample mean is within 4 sd / sqrt(n_c) of (cos 2 pi c / k, sin 2 pi c / k). */
static void test_blob_means_at_centres(Check *c)
{
    enum { N = 5000, K = 5 };
    const double sd = 0.3;
    Dataset d;
    if (synth(&d, "blobs", N, K, 17, sd, 1)) {
        check_true(c, 0, "blobs build");
        return;
    }
    double sum[K][2] = {{0}}, worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        sum[d.y[i]][0] += d.x[2 * i];
        sum[d.y[i]][1] += d.x[2 * i + 1];
    }
    for (int k = 0; k < K; k++) {
        double nc = N / K, ang = TWO_PI * k / K;
        worst = fmax(worst, fabs(sum[k][0] / nc - cos(ang)) / (sd / sqrt(nc)));
        worst = fmax(worst, fabs(sum[k][1] / nc - sin(ang)) / (sd / sqrt(nc)));
    }
    check_below(c, "blobs: max |mean - centre| in units of sd / sqrt(n_c)", worst, MEAN_SIGMAS);
    dataset_free(&d);
}

/* A bank of quadrature filters exp(i w . p), theta in 2-degree steps, f = 1, 1.1, .., 2.5. */
enum { BANK_ANGLES = 90, BANK_FREQS = 16, BANK_PIX = DATASET_GRATING_SIDE * DATASET_GRATING_SIDE };
typedef struct {
    double re[BANK_ANGLES][BANK_FREQS][BANK_PIX], im[BANK_ANGLES][BANK_FREQS][BANK_PIX];
} Bank;

static void bank_fill(Bank *b)
{
    const int S = DATASET_GRATING_SIDE;
    for (int a = 0; a < BANK_ANGLES; a++)
        for (int fi = 0; fi < BANK_FREQS; fi++)
            for (int p = 0; p < BANK_PIX; p++) {
                double th = a * M_PI / BANK_ANGLES, f = 1.0 + 0.1 * fi;
                double u = p % S - 0.5 * (S - 1), v = 0.5 * (S - 1) - p / S;
                double ph = TWO_PI * f * (u * cos(th) + v * sin(th)) / S;
                b->re[a][fi][p] = cos(ph);
                b->im[a][fi][p] = sin(ph);
            }
}

/* The estimated orientation of a grating: the theta of the filter of largest quadrature energy
 * |sum_p (I_p - mean I) exp(-i w . p)|^2. */
static double grating_angle(const Bank *b, const double *img)
{
    double mean = 0.0, best = -1.0, best_th = 0.0;
    for (int p = 0; p < BANK_PIX; p++) mean += img[p] / BANK_PIX;
    for (int a = 0; a < BANK_ANGLES; a++)
        for (int fi = 0; fi < BANK_FREQS; fi++) {
            double re = 0.0, im = 0.0;
            for (int p = 0; p < BANK_PIX; p++) {
                re += (img[p] - mean) * b->re[a][fi][p];
                im += (img[p] - mean) * b->im[a][fi][p];
            }
            if (re * re + im * im > best)
                best = re * re + im * im, best_th = a * M_PI / BANK_ANGLES;
        }
    return best_th;
}

/* Phase is uniform, so every class's mean image is 0: no linear read-out of the mean separates
 * the classes. The oriented energy does: an energy detector recovers the class. */
static void test_gratings_need_oriented_energy(Check *c)
{
    enum { N = 400, K = 4, P = DATASET_GRATING_SIDE * DATASET_GRATING_SIDE };
    Dataset d;
    if (synth(&d, "gratings", N, K, 21, 0.0, 1)) {
        check_true(c, 0, "gratings build");
        return;
    }
    double worst = 0.0;
    for (int k = 0; k < K; k++)
        for (int p = 0; p < P; p++) {
            double m = 0.0, v = 0.0, nc = N / K;
            for (size_t i = k; i < N; i += K) m += d.x[i * P + p] / nc;
            for (size_t i = k; i < N; i += K) v += pow(d.x[i * P + p] - m, 2) / nc;
            worst = fmax(worst, fabs(m) / sqrt(v / nc));
        }
    /* 256 class-pixel means: 5 sigma keeps the chance of a false alarm near 1e-4 */
    check_below(c, "gratings: max |class mean pixel| in units of its standard error", worst, 5.0);
    size_t right = 0;
    Bank *bank = malloc(sizeof *bank);
    bank_fill(bank);
    for (size_t i = 0; i < 100; i++) {
        double th = grating_angle(bank, d.x + i * P);
        right += (size_t)lround(th / (M_PI / K)) % K == (size_t)d.y[i];
    }
    /* the 8 x 8 window biases the estimate by a few degrees; classes are 45 deg apart, with
     * +-11.25 deg of jitter: at least 90 of 100 should land in their class (chance: 25) */
    check_true(c, right >= 90, "gratings: the energy detector finds the class of %zu / 100", right);
    free(bank);
    dataset_free(&d);
}

static void test_bad_arguments_refused(Check *c)
{
    static const struct {
        const char *kind;
        size_t n, k;
        double noise;
        int rc;
        const char *says;
    } cases[] = {
        {"spiral", 100, 3, 0.1, RESLAB_ERR_INVALID, "unknown data set 'spiral'"},
        {NULL, 100, 3, 0.1, RESLAB_ERR_INVALID, "unknown data set"},
        {"rings", 100, 1, 0.1, RESLAB_ERR_INVALID, "in 2..256"},
        {"gratings", 100, 17, 0.1, RESLAB_ERR_INVALID, "in 2..16"},
        {"blobs", 2, 3, 0.1, RESLAB_ERR_INVALID, "fewer than the 3 classes"},
        {"blobs", 100, 3, -0.5, RESLAB_ERR_INVALID, "noise must be"},
        {"blobs", 100, 3, NAN, RESLAB_ERR_INVALID, "noise must be"},
        {"spirals", (size_t)1 << 40, 3, 0.1, RESLAB_ERR_TOOBIG, "GiB, more than the limit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Dataset d;
        char err[256] = "";
        memset(&d, 0xab, sizeof d);
        int rc = dataset_synth(&d, cases[i].kind, cases[i].n, cases[i].k, 1, cases[i].noise, err,
                               sizeof err);
        check_true(c, rc == cases[i].rc && strstr(err, cases[i].says) && !d.x && !d.y && d.n == 0,
                   "refused (%s), d zeroed: %s", status_name(rc), err);
    }
}

/* Shuffle permutes whole rows (x with its y); split and slice copy rows; the training set's
 * standardisation carries over to a validation set. */
static void test_shuffle_split_keep_examples(Check *c)
{
    Dataset d, s, a, b;
    char err[256] = "";
    if (synth(&d, "spirals", 300, 3, 4, 0.1, 0) || synth(&s, "spirals", 300, 3, 4, 0.1, 0)) {
        check_true(c, 0, "spirals build");
        return;
    }
    gsl_rng *rng = tu_rng(8);
    dataset_shuffle(&s, rng);
    int *used = calloc(d.n, sizeof *used), perm = 1, moved = 0;
    for (size_t i = 0; i < s.n; i++) {
        size_t j = 0;
        while (j < d.n && (used[j] || memcmp(d.x + 2 * j, s.x + 2 * i, 2 * sizeof *d.x) ||
                           d.y[j] != s.y[i]))
            j++;
        perm &= j < d.n;
        if (j < d.n) used[j] = 1, moved += j != i;
    }
    check_true(c, perm && moved > 250, "shuffle: a permutation of the rows, %d of 300 moved",
               moved);
    int rc = dataset_split(&s, 200, &a, &b, err, sizeof err);
    check_true(c, rc == RESLAB_OK && a.n == 200 && b.n == 100 && a.classes == 3 &&
               !memcmp(a.x, s.x, 400 * sizeof *a.x) && !memcmp(b.x, s.x + 400, 200 * sizeof *b.x) &&
               !memcmp(b.y, s.y + 200, 100 * sizeof *b.y), "split 200 | 100 copies the rows");
    double ms[4];
    dataset_standardize(&a, ms, ms + 2);
    double bx0 = b.x[0];
    dataset_apply_standardize(&b, ms, ms + 2);
    check_close(c, "val x_00 standardised with the train mean and sd", b.x[0],
                (bx0 - ms[0]) / ms[2], 0, 0);                    /* the same operations: exact */
    dataset_free(&a);
    dataset_free(&b);
    rc = dataset_split(&s, 300, &a, &b, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && !a.x && !b.x, "split after the last row refused: %s",
               err);
    rc = dataset_slice(&s, 290, 11, &a, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && !a.x, "slice past the end refused: %s", err);
    free(used);
    gsl_rng_free(rng);
    dataset_free(&d);
    dataset_free(&s);
}

int main(void)
{
    Check c = {0, 0};
    test_shapes_and_balanced_labels(&c);
    test_same_seed_same_bytes(&c);
    test_standardised_per_feature(&c);
    test_spiral_radius_grows_with_t(&c);
    test_ring_radii_separated(&c);
    test_checkerboard_parity_rule(&c);
    test_blob_means_at_centres(&c);
    test_gratings_need_oriented_energy(&c);
    test_bad_arguments_refused(&c);
    test_shuffle_split_keep_examples(&c);
    return check_done(&c);
}
