/* dataset.h: the data a classifier trains on (N examples, each a row of dim doubles and a class
 * label), the seeded synthetic sets of issue 8, and helpers to shuffle, split and standardise.
 *
 * Usage:
 *     Dataset d;
 *     if (dataset_synth(&d, "spirals", 600, 3, 1, 0.05, err, sizeof err) != RESLAB_OK) ...
 *     ... d.x[i * d.dim + j] is feature j of example i, d.y[i] its class in 0..d.classes-1
 *     gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);  gsl_rng_set(rng, seed);
 *     dataset_shuffle(&d, rng);
 *     Dataset train, val;
 *     dataset_split(&d, 500, &train, &val, err, sizeof err);     rows 0..499 | 500..599
 *     dataset_free(&d);  dataset_free(&train);  dataset_free(&val);
 *
 * The synthetic sets (docs/data.md has each definition with its equation). Example i has class
 * y_i = i mod k (checkerboard: i mod 2), so the rows interleave the classes: every class has
 * floor(N/k) or ceil(N/k) examples, and every prefix of the rows is balanced to within one.
 *     spirals       k arms of r = t, angle = 2 pi (turns t + arm / k), t in (0, 1), 2-D
 *     rings         k concentric circles of radius (c + 1) / k, 2-D
 *     checkerboard  k x k cells on [-1, 1]^2, 2 classes by the parity of the cell, 2-D
 *     blobs         k Gaussian blobs of sd = noise centred on the unit circle, 2-D
 *     gratings      8 x 8 images (64-D) of sinusoidal gratings in k orientations with random
 *                   phase, frequency, contrast and offset: the class means are all zero, so a
 *                   linear read-out cannot tell the classes apart; a net must compute the
 *                   oriented energy (a product of inputs), which needs depth
 * In the 2-D sets noise adds noise * e, e ~ N(0, I_2), to each point (the sets fit in the unit
 * disc or square, so noise is in units of the outer radius); in gratings it adds
 * noise * N(0, 1) to every pixel (the grating's amplitude is 0.5..1).
 * dataset_synth then standardises every feature (dataset_standardize); dataset_synth_raw does not.
 * All draws come from one gsl mt19937 seeded with seed: same seed, same bytes.
 *
 * Errors: functions that can fail return RESLAB_OK or a status.h code and write a one-line
 * message into err (errlen bytes, may be NULL/0). A Dataset that a function fills is zeroed on
 * failure, so dataset_free is always safe on it; its previous contents are not freed.
 */
#ifndef RESLAB_DATASET_H
#define RESLAB_DATASET_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#define DATASET_MAX_CLASSES 256         /* k above this is refused (a byte label's range) */
#define DATASET_MAX_NOISE 10.0          /* noise above this is refused: it is all noise there */
#define DATASET_SPIRAL_TURNS 1.5        /* turns of every spiral arm as t runs over (0, 1) */
#define DATASET_GRATING_SIDE 8          /* gratings are SIDE x SIDE images */

typedef struct {
    size_t n, dim, classes;   /* N examples of dim features, labels 0..classes-1 */
    double *x;                /* (N, dim) row-major: x[i * dim + j] */
    int *y;                   /* (N) labels */
    char name[64];            /* what it is, for messages and logs ("spirals k=3 seed=1 ...") */
} Dataset;

/* Fills d with N examples of the synthetic set kind ("spirals", "rings", "checkerboard",
 * "blobs", "gratings") with k = classes_or_arms (for checkerboard the cells per side; it
 * always has 2 classes), drawn from mt19937 seeded with seed, then standardised per feature.
 * Needs 2 <= k <= DATASET_MAX_CLASSES (gratings: k <= 16), N >= the number of classes,
 * 0 <= noise <= DATASET_MAX_NOISE. Returns RESLAB_OK, RESLAB_ERR_INVALID (unknown kind, bad k,
 * N or noise), RESLAB_ERR_TOOBIG (over RESLAB_MEMORY_LIMIT) or RESLAB_ERR_NOMEM. */
int dataset_synth(Dataset *d, const char *kind, size_t n, size_t classes_or_arms,
                  unsigned long seed, double noise, char *err, size_t errlen);

/* The same set before standardisation, in the raw coordinates of the definitions above
 * (spiral radius r = t, ring radii (c + 1) / k, ...): what the tests check geometry on.
 * dataset_synth is exactly dataset_synth_raw followed by dataset_standardize. */
int dataset_synth_raw(Dataset *d, const char *kind, size_t n, size_t classes_or_arms,
                      unsigned long seed, double noise, char *err, size_t errlen);

/* Frees d's arrays and zeroes it. Safe on a zeroed Dataset; d may be NULL. */
void dataset_free(Dataset *d);

/* The bytes a set of N x dim takes (x and y), as a double so that it cannot overflow. */
double dataset_memory_bytes(size_t n, size_t dim);

/* Allocates d with N >= 1 rows of dim >= 1 features, x and y zeroed, name "". RESLAB_OK,
 * RESLAB_ERR_INVALID, RESLAB_ERR_TOOBIG (over RESLAB_MEMORY_LIMIT: the message states the
 * estimate and the limit) or RESLAB_ERR_NOMEM. */
int dataset_alloc(Dataset *d, size_t n, size_t dim, size_t classes, char *err, size_t errlen);

/* Standardises each feature j over the N rows: x_ij <- (x_ij - mean_j) / sd_j with
 *     mean_j = (1/N) sum_i x_ij,   sd_j = sqrt((1/N) sum_i (x_ij - mean_j)^2)
 * (two passes; the population sd). A constant feature (sd_j <= 1e-12 (1 + |mean_j|)) is only
 * centred (sd_j taken as 1). mean and sd (dim entries each, caller's) receive the values used,
 * so that a test set can be given the training set's transform (dataset_apply_standardize). */
void dataset_standardize(Dataset *d, double *mean, double *sd);

/* x_ij <- (x_ij - mean_j) / sd_j with the given (dim) vectors; sd_j must be > 0. */
void dataset_apply_standardize(Dataset *d, const double *mean, const double *sd);

/* Permutes the rows (x and y together) uniformly at random (Fisher-Yates, draws from rng). */
void dataset_shuffle(Dataset *d, gsl_rng *rng);

/* Copies rows start .. start + count - 1 of src into a new *out (same dim and classes).
 * RESLAB_ERR_INVALID unless count >= 1 and the rows exist; RESLAB_ERR_NOMEM. */
int dataset_slice(const Dataset *src, size_t start, size_t count, Dataset *out, char *err,
                  size_t errlen);

/* Rows 0 .. n_first - 1 into *first, the rest into *second; 1 <= n_first < N. Shuffle first
 * for a random split (the synthetic sets interleave the classes, so any split of them is
 * balanced to within one per class). On failure both are zeroed. */
int dataset_split(const Dataset *src, size_t n_first, Dataset *first, Dataset *second,
                  char *err, size_t errlen);

/* counts[c] = number of rows of class c, c = 0 .. classes-1 (counts has classes entries). */
void dataset_class_counts(const Dataset *d, size_t *counts);

#endif
