/* train.h: minibatch training of a classifier, evaluation on a whole set, layer responses.
 *
 * Usage (the data are plain arrays: x (n, dim) row-major, y[n] in 0..k-1; the caller keeps
 * them alive while the trainer lives):
 *     TrainConfig tc = train_config_default();  tc.epochs = 30;  tc.seed = 1;
 *     if (train_check(&model, &tc, x, y, n, err, sizeof err)) ...     (message says what and where)
 *     Trainer *t = trainer_alloc(&model, &tc, x, y, n);                 NULL: out of memory
 *     if (trainer_run(t, on_epoch, ctx, err, sizeof err)) ...           or, one step at a time:
 *     while (!trainer_done(t)) { if (trainer_step(t, &ended, err, sizeof err)) ...; }
 *     TrainEval ev = {0};
 *     train_evaluate(t->model, x, y, n, &ev, err, sizeof err);          loss, accuracy on the set
 *     trainer_free(t);
 *
 * One step (B = tc.batch rows): take the next B indices of this epoch's permutation, gather
 * X (B, dim) and y (B), forward, mean cross-entropy, zero the gradients, backward, one SGD update
 * at eta_t (sgd.h). An epoch is floor(n / B) steps over a fresh permutation of 0..n-1; the n mod B
 * left-over examples of a permutation are skipped that epoch (they are in the next one's, at
 * random places): every step has exactly B rows, so batch-norm statistics never come from a
 * smaller batch.
 * Randomness: the weights come from an mt19937 seeded with tc.seed, the permutations (and dropout
 * masks) from a second one seeded with tc.seed + TRAIN_SHUFFLE_SEED_OFFSET, so the same seed
 * visits the data in the same order whatever the depth or the shortcut: plain and residual nets
 * of one seed start from the same weights and see the same batches. Same seed, same bytes.
 * Nothing is allocated in a step.
 */
#ifndef RESLAB_TRAIN_H
#define RESLAB_TRAIN_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "classifier.h"
#include "sgd.h"

#define TRAIN_SHUFFLE_SEED_OFFSET 1000003UL
/* A good batch for an evaluation twin (train_predict): rows are independent there, so any size
 * gives the same numbers up to summation order. */
#define TRAIN_EVAL_CHUNK 256

typedef struct {
    size_t batch;            /* B >= 1, at most n */
    size_t epochs;           /* >= 1 */
    unsigned long seed;
    SgdConfig sgd;
} TrainConfig;

/* The summary of one epoch. */
typedef struct {
    size_t epoch;            /* 1-based */
    size_t step;             /* steps done so far, this epoch's included */
    double loss;             /* mean of the epoch's minibatch losses (each with the weights
                              * before its own update) */
    double accuracy;         /* fraction of the epoch's B * steps examples classified right at
                              * their step */
    double lr;               /* eta of the epoch's last step */
    double seconds;          /* wall time spent in trainer_step during the epoch */
} TrainEpoch;

typedef struct {
    TrainConfig cfg;
    Classifier *model;       /* batch B; its parameters are the trained weights */
    Sgd *sgd;
    const double *x;         /* (n, dim), the caller's */
    const int *y;            /* [n], the caller's */
    size_t n, steps_per_epoch, total_steps;
    size_t step;             /* steps done */
    size_t *order;           /* [n], this epoch's permutation */
    gsl_matrix *X;           /* (B, dim) the gathered batch */
    int *yb;                 /* [B] */
    gsl_rng *rng_shuffle;
    double sum_loss, sum_seconds;   /* over the current epoch */
    size_t correct;
    TrainEpoch *history;     /* [epochs] */
    size_t epochs_done;
} Trainer;

/* B 64, 30 epochs, seed 1, sgd_config_default(). */
TrainConfig train_config_default(void);

/* Checks the model config (for batch B), the training config and the data: n >= B, every x
 * finite, every label in 0..k-1. RESLAB_OK, or RESLAB_ERR_INVALID / RESLAB_ERR_TOOBIG with a
 * message naming the field, or the example index (and column) of bad data. */
int train_check(const ClassifierConfig *model, const TrainConfig *cfg, const double *x,
                const int *y, size_t n, char *err, size_t errlen);

/* The trainer for checked inputs: draws the weights (seed), permutation generator, optimiser.
 * NULL if out of memory. */
Trainer *trainer_alloc(const ClassifierConfig *model, const TrainConfig *cfg, const double *x,
                       const int *y, size_t n);
void trainer_free(Trainer *t);

/* 1 once all epochs are done. */
int trainer_done(const Trainer *t);

/* One minibatch step (see above). *epoch_ended (may be NULL) is set to 1 if the step ended an
 * epoch (its summary is then trainer_last_epoch), else 0. RESLAB_ERR_INVALID if the loss is not
 * finite (the message gives epoch, step and learning rate; the weights are left as before the
 * step), or if training is already done. */
int trainer_step(Trainer *t, int *epoch_ended, char *err, size_t errlen);

/* The summary of the last completed epoch, or NULL before the first ends. */
const TrainEpoch *trainer_last_epoch(const Trainer *t);

/* Steps until done, calling on_epoch (may be NULL) after each epoch. The first failing step's
 * code and message, else RESLAB_OK. */
int trainer_run(Trainer *t, void (*on_epoch)(const TrainEpoch *e, void *ctx), void *ctx,
                char *err, size_t errlen);

/* What train_evaluate reports; the arrays are the caller's, each optional (NULL). */
typedef struct {
    double loss;             /* mean cross-entropy over the n rows */
    double accuracy;         /* fraction of rows with argmax = label */
    double *probs;           /* (n, k) row-major: the softmax of every row, or NULL */
    double *response_std;    /* [2 L], or NULL: the population std over all rows and units of
                              * each layer's response "after BN and before other nonlinearity
                              * (ReLU/addition)" (He 2015, Fig. 7): for block l, entry 2(l-1) is
                              * z1 (the first layer: BN1(W1 a + b1), or W1 a + b1 without BN) and
                              * entry 2(l-1)+1 is F (the second: BN2(W2 a1 + b2) in post order
                              * with BN, else W2 a1 + b2) */
} TrainEval;

/* Forward over x (n, dim) with the model's current weights; y may be NULL (then loss and accuracy
 * are NaN, probs are still filled). All n rows go through the net as one batch, block by block
 * through one block's cache, so the memory is that of one block for n rows whatever the depth
 * (n 1000, width 32: about 3 MB). With batch norm every BN layer thus normalises with the
 * statistics of the whole set: exactly inference mode with the population statistics of x
 * (train_bn_freeze below), whatever B the model trained with. RESLAB_OK, or RESLAB_ERR_TOOBIG
 * (over RESLAB_MEMORY_LIMIT), RESLAB_ERR_NOMEM, RESLAB_ERR_INVALID (n = 0). */
int train_evaluate(const Classifier *model, const double *x, const int *y, size_t n,
                   TrainEval *out, char *err, size_t errlen);

/* ---- batch norm in inference mode: evaluating a trained net on arbitrary points ----
 * Usage (the decision regions of a trained model on a grid of G points):
 *     Classifier *ev = classifier_alloc_twin(t->model, 256);        shares the weights
 *     if (train_bn_freeze(ev, x, y, n, NULL, err, sizeof err)) ...  x, y: the training set
 *     train_predict(ev, grid, G, probs, err, sizeof err);           probs (G, k)
 *     classifier_free(ev);
 *
 * Statistics: exact population statistics of the training set, computed after training (not
 * running averages): for every BN layer in forward order, mu_j and the biased var_j of its input
 * over all n rows, where every earlier BN layer already normalises with its own population
 * statistics. A training-mode forward pass of all n rows as one batch computes exactly these
 * (train_evaluate's pass), so on the training set inference mode reproduces train_evaluate. */

/* Freezes every BN layer of eval (a twin of the trained model, classifier_alloc_twin, any batch
 * size: it shares the weights, not the caches, so the model itself keeps training in batch
 * mode) with the population statistics of x (n, dim) under eval's current weights: one pass as
 * train_evaluate's, and out (may be NULL) gets what train_evaluate(eval, x, y, n, out) reports,
 * at no extra cost. Without batch norm and without out it does nothing. Call it again after
 * more training. RESLAB_OK, RESLAB_ERR_INVALID (n = 0), RESLAB_ERR_TOOBIG, RESLAB_ERR_NOMEM. */
int train_bn_freeze(Classifier *eval, const double *x, const int *y, size_t n, TrainEval *out,
                    char *err, size_t errlen);

/* The softmax probabilities of the n rows of x (n, dim) into probs (n, k) row-major, forward in
 * batches of eval->batch rows (the last one padded with zero rows, whose outputs are dropped).
 * eval must have no batch norm or be frozen (train_bn_freeze): rows are independent then.
 * RESLAB_OK or RESLAB_ERR_NOMEM (one batch of inputs). */
int train_predict(Classifier *eval, const double *x, size_t n, double *probs, char *err,
                  size_t errlen);

#endif
