/* dataset.c: the Dataset type, the seeded synthetic sets, standardisation, shuffle and split.
 * Dimensions: N examples (rows), dim features per example, k classes (arms, rings, blobs,
 * orientations; cells per side for the checkerboard). x is (N, dim) row-major, y is (N).
 * Every synthetic example i has class i mod k (checkerboard: i mod 2), and its random draws
 * come in a fixed order from one mt19937, so the same seed gives the same bytes.
 */
#include "dataset.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "net.h"
#include "status.h"

#define TWO_PI 6.283185307179586476925286766559

enum { GRATING_MAX_CLASSES = 16 };

/* One synthetic kind: its name, feature count, class count for k, the largest k, the drawing. */
typedef struct {
    const char *name;
    size_t dim;
    int two_classes;                  /* 1: classes = 2 whatever k is (checkerboard) */
    size_t kmax;
    void (*draw)(Dataset *d, size_t k, double noise, gsl_rng *rng);
} SynthKind;

/* ---- the sets ----------------------------------------------------------------------------- */

/* Point i of a 2-D set: p = c + noise * e, e ~ N(0, I_2), always drawn (so that one seed gives
 * the same e for every noise level). */
static void put_point(Dataset *d, size_t i, double cx, double cy, double noise, gsl_rng *rng)
{
    double ex = gsl_ran_gaussian(rng, 1.0), ey = gsl_ran_gaussian(rng, 1.0);
    d->x[2 * i] = cx + noise * ex;
    d->x[2 * i + 1] = cy + noise * ey;
}

/* Arm a = i mod k, point j = i div k of the m_a points of that arm:
 *     t = (j + 1/2) / m_a,   r = t,   angle = 2 pi (TURNS t + a / k)
 * so along each arm the radius grows evenly from near 0 to near 1. */
static void draw_spirals(Dataset *d, size_t k, double noise, gsl_rng *rng)
{
    for (size_t i = 0; i < d->n; i++) {
        size_t a = i % k, j = i / k, m = (d->n - a + k - 1) / k;
        double t = ((double)j + 0.5) / (double)m;
        double ang = TWO_PI * (DATASET_SPIRAL_TURNS * t + (double)a / (double)k);
        d->y[i] = (int)a;
        put_point(d, i, t * cos(ang), t * sin(ang), noise, rng);
    }
}

/* Ring c = i mod k: radius r_c = (c + 1) / k, angle phi ~ U[0, 2 pi). */
static void draw_rings(Dataset *d, size_t k, double noise, gsl_rng *rng)
{
    for (size_t i = 0; i < d->n; i++) {
        size_t c = i % k;
        double r = (double)(c + 1) / (double)k, phi = TWO_PI * gsl_rng_uniform(rng);
        d->y[i] = (int)c;
        put_point(d, i, r * cos(phi), r * sin(phi), noise, rng);
    }
}

/* Class y = i mod 2. A cell (cx, cy) of the k x k grid on [-1, 1]^2 is drawn uniformly among
 * those with (cx + cy) mod 2 = y (rejection), then a point uniformly inside it:
 *     x = -1 + 2 (cx + u) / k,  y = -1 + 2 (cy + v) / k,  u, v ~ U[0, 1).
 * So the label of the noise-free point is the parity of
 *     floor((x + 1) k / 2) + floor((y + 1) k / 2). */
static void draw_checkerboard(Dataset *d, size_t k, double noise, gsl_rng *rng)
{
    for (size_t i = 0; i < d->n; i++) {
        size_t cell, cx, cy, y = i % 2;
        do {
            cell = gsl_rng_uniform_int(rng, (unsigned long)(k * k));
            cx = cell % k;
            cy = cell / k;
        } while ((cx + cy) % 2 != y);
        double u = gsl_rng_uniform(rng), v = gsl_rng_uniform(rng);
        d->y[i] = (int)y;
        put_point(d, i, -1.0 + 2.0 * ((double)cx + u) / (double)k,
                  -1.0 + 2.0 * ((double)cy + v) / (double)k, noise, rng);
    }
}

/* Blob c = i mod k: centre (cos 2 pi c / k, sin 2 pi c / k) on the unit circle, sd = noise. */
static void draw_blobs(Dataset *d, size_t k, double noise, gsl_rng *rng)
{
    for (size_t i = 0; i < d->n; i++) {
        size_t c = i % k;
        double ang = TWO_PI * (double)c / (double)k;
        d->y[i] = (int)c;
        put_point(d, i, cos(ang), sin(ang), noise, rng);
    }
}

/* Image i of class c = i mod k, S = DATASET_GRATING_SIDE, pixel (row, col) at
 * u = col - (S - 1)/2 (right), v = (S - 1)/2 - row (up):
 *     I(u, v) = a cos(2 pi f (u cos theta + v sin theta) / S + phi) + b + noise * e_uv
 * theta = pi c / k + U(-1, 1) pi / (4k)    (the wave vector's angle; the bars are across it)
 * f ~ U(1, 2.5) cycles per image, phi ~ U[0, 2 pi), a ~ U(0.5, 1), b ~ U(-0.5, 0.5), e ~ N(0, 1).
 * The random phase makes every class's mean image zero: only the oriented energy separates them. */
static void draw_gratings(Dataset *d, size_t k, double noise, gsl_rng *rng)
{
    const int S = DATASET_GRATING_SIDE;
    for (size_t i = 0; i < d->n; i++) {
        size_t c = i % k;
        double jitter = (2.0 * gsl_rng_uniform(rng) - 1.0) * M_PI / (4.0 * (double)k);
        double th = M_PI * (double)c / (double)k + jitter;
        double f = 1.0 + 1.5 * gsl_rng_uniform(rng), phi = TWO_PI * gsl_rng_uniform(rng);
        double a = 0.5 + 0.5 * gsl_rng_uniform(rng), b = gsl_rng_uniform(rng) - 0.5;
        double wu = TWO_PI * f * cos(th) / S, wv = TWO_PI * f * sin(th) / S;
        double *row = d->x + i * d->dim;
        for (int r = 0; r < S; r++)
            for (int col = 0; col < S; col++) {
                double u = col - 0.5 * (S - 1), v = 0.5 * (S - 1) - r;
                double e = gsl_ran_gaussian(rng, 1.0);
                row[r * S + col] = a * cos(wu * u + wv * v + phi) + b + noise * e;
            }
        d->y[i] = (int)c;
    }
}

static const SynthKind kinds[] = {
    {"spirals", 2, 0, DATASET_MAX_CLASSES, draw_spirals},
    {"rings", 2, 0, DATASET_MAX_CLASSES, draw_rings},
    {"checkerboard", 2, 1, DATASET_MAX_CLASSES, draw_checkerboard},
    {"blobs", 2, 0, DATASET_MAX_CLASSES, draw_blobs},
    {"gratings", DATASET_GRATING_SIDE * DATASET_GRATING_SIDE, 0, GRATING_MAX_CLASSES,
     draw_gratings},
};

/* ---- the type ----------------------------------------------------------------------------- */

void dataset_free(Dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

double dataset_memory_bytes(size_t n, size_t dim)
{
    return (double)n * ((double)dim * sizeof(double) + sizeof(int));
}

int dataset_alloc(Dataset *d, size_t n, size_t dim, size_t classes, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (n < 1 || dim < 1)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "a data set needs N >= 1 examples of "
                          ">= 1 features (got N %zu, dim %zu)", n, dim);
    double bytes = dataset_memory_bytes(n, dim);
    if (bytes > (double)RESLAB_MEMORY_LIMIT)
        return status_set(err, errlen, RESLAB_ERR_TOOBIG, "%zu examples x %zu features need "
                          "about %.2f GiB, more than the limit of %.2f GiB", n, dim,
                          bytes / (1u << 30), (double)RESLAB_MEMORY_LIMIT / (1u << 30));
    d->x = calloc(n * dim, sizeof *d->x);        /* n * dim * 8 <= the limit: no overflow */
    d->y = calloc(n, sizeof *d->y);
    if (!d->x || !d->y) {
        dataset_free(d);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for %zu x %zu data",
                          n, dim);
    }
    d->n = n;
    d->dim = dim;
    d->classes = classes;
    return RESLAB_OK;
}

/* ---- synthetic sets ----------------------------------------------------------------------- */

static int synth_check(const SynthKind *sk, const char *kind, size_t n, size_t k, double noise,
                       char *err, size_t errlen)
{
    if (!sk) {
        return status_set(err, errlen, RESLAB_ERR_INVALID, "unknown data set '%s' (known: "
                          "spirals, rings, checkerboard, blobs, gratings)", kind ? kind : "(null)");
    }
    if (k < 2 || k > sk->kmax)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: %s must be in 2..%zu (got %zu)",
                          sk->name, sk->two_classes ? "cells per side" : "classes", sk->kmax, k);
    size_t classes = sk->two_classes ? 2 : k;
    if (n < classes)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: N = %zu examples is fewer than "
                          "the %zu classes", sk->name, n, classes);
    if (!(noise >= 0.0 && noise <= DATASET_MAX_NOISE))     /* also refuses NaN */
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: noise must be in 0..%g (got %g)",
                          sk->name, DATASET_MAX_NOISE, noise);
    return RESLAB_OK;
}

int dataset_synth_raw(Dataset *d, const char *kind, size_t n, size_t classes_or_arms,
                      unsigned long seed, double noise, char *err, size_t errlen)
{
    const SynthKind *sk = NULL;
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i].name) == 0) sk = &kinds[i];
    memset(d, 0, sizeof *d);
    int rc = synth_check(sk, kind, n, classes_or_arms, noise, err, errlen);
    if (rc) return rc;
    size_t k = classes_or_arms;
    if ((rc = dataset_alloc(d, n, sk->dim, sk->two_classes ? 2 : k, err, errlen))) return rc;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        dataset_free(d);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the generator");
    }
    gsl_rng_set(rng, seed);
    sk->draw(d, k, noise, rng);
    gsl_rng_free(rng);
    snprintf(d->name, sizeof d->name, "%s k=%zu N=%zu seed=%lu noise=%g", sk->name, k, n, seed,
             noise);
    return RESLAB_OK;
}

int dataset_synth(Dataset *d, const char *kind, size_t n, size_t classes_or_arms,
                  unsigned long seed, double noise, char *err, size_t errlen)
{
    int rc = dataset_synth_raw(d, kind, n, classes_or_arms, seed, noise, err, errlen);
    if (rc) return rc;
    double *ms = malloc(2 * d->dim * sizeof *ms);              /* mean (dim), sd (dim) */
    if (!ms) {
        dataset_free(d);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    }
    dataset_standardize(d, ms, ms + d->dim);
    free(ms);
    return RESLAB_OK;
}

/* ---- standardisation ---------------------------------------------------------------------- */

void dataset_standardize(Dataset *d, double *mean, double *sd)
{
    size_t n = d->n, dim = d->dim;
    for (size_t j = 0; j < dim; j++) mean[j] = sd[j] = 0.0;
    /* row by row (cache-friendly); feature j's sum still runs over i = 0..N-1 in order */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++) mean[j] += d->x[i * dim + j];
    for (size_t j = 0; j < dim; j++) mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++) {
            double e = d->x[i * dim + j] - mean[j];
            sd[j] += e * e;
        }
    for (size_t j = 0; j < dim; j++) {
        sd[j] = sqrt(sd[j] / (double)n);
        if (sd[j] <= 1e-12 * (1.0 + fabs(mean[j]))) sd[j] = 1.0;    /* constant: only centre */
    }
    dataset_apply_standardize(d, mean, sd);
}

void dataset_apply_standardize(Dataset *d, const double *mean, const double *sd)
{
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < d->dim; j++) {
            double *v = &d->x[i * d->dim + j];
            *v = (*v - mean[j]) / sd[j];
        }
}

/* ---- shuffle, slice, split ---------------------------------------------------------------- */

void dataset_shuffle(Dataset *d, gsl_rng *rng)
{
    /* Fisher-Yates: for i = N-1 .. 1 swap row i with a uniform row j in 0..i. N < 2^32 holds:
     * dataset_alloc's limit caps N at 2^30. */
    for (size_t i = d->n; i-- > 1;) {
        size_t j = gsl_rng_uniform_int(rng, (unsigned long)i + 1);
        if (j == i) continue;
        double *a = d->x + i * d->dim, *b = d->x + j * d->dim;
        for (size_t c = 0; c < d->dim; c++) {
            double t = a[c];
            a[c] = b[c];
            b[c] = t;
        }
        int t = d->y[i];
        d->y[i] = d->y[j];
        d->y[j] = t;
    }
}

int dataset_slice(const Dataset *src, size_t start, size_t count, Dataset *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (count < 1 || start > src->n || count > src->n - start)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: rows %zu..%zu+%zu do not exist "
                          "(N = %zu; need count >= 1)", src->name, start, start, count, src->n);
    int rc = dataset_alloc(out, count, src->dim, src->classes, err, errlen);
    if (rc) return rc;
    memcpy(out->x, src->x + start * src->dim, count * src->dim * sizeof *out->x);
    memcpy(out->y, src->y + start, count * sizeof *out->y);
    snprintf(out->name, sizeof out->name, "%.40s [%zu:%zu]", src->name, start, start + count);
    return RESLAB_OK;
}

int dataset_split(const Dataset *src, size_t n_first, Dataset *first, Dataset *second,
                  char *err, size_t errlen)
{
    memset(second, 0, sizeof *second);
    if (n_first < 1 || n_first >= src->n) {
        memset(first, 0, sizeof *first);
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: cannot split %zu examples after "
                          "row %zu (need 1 <= n_first < N)", src->name, src->n, n_first);
    }
    int rc = dataset_slice(src, 0, n_first, first, err, errlen);
    if (!rc) rc = dataset_slice(src, n_first, src->n - n_first, second, err, errlen);
    if (rc) dataset_free(first);
    return rc;
}

void dataset_class_counts(const Dataset *d, size_t *counts)
{
    for (size_t c = 0; c < d->classes; c++) counts[c] = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] >= 0 && (size_t)d->y[i] < d->classes) counts[d->y[i]]++;
}
