/* scene_train.h: the training scene (SCENE_TRAIN): a plain and a residual net of the same depth
 * training side by side on a 2-D set (He et al. 2015, Fig. 1, live): both loss curves (log y)
 * and both nets' decision regions on a grid over the data's range, with the training points on
 * top; a header with depth, width, data, epoch and step.
 *
 * Usage (a render: scene_alloc trains the whole budget, then draw):
 *     SceneParams p = scene_params_default();  scene_apply_defaults(SCENE_TRAIN, &p, 0);
 *     SceneTrain *s = scene_train_alloc(&p, err, sizeof err);      NULL + message
 *     scene_train_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, p.lang);
 *     scene_train_free(s);
 * Usage (the viewer, with p.untrained = 1: the scene starts at step 0; src/viewer/worker.c):
 *     while (!scene_train_done(s)) {
 *         scene_train_step_compute(s, scene_train_steps_per_epoch(s));   unlocked: the cost
 *         lock; scene_train_step_publish(s); unlock;                      microseconds
 *     }
 * _compute runs up to nsteps trainer steps of each net and then evaluates both nets on the grid
 * and on the training set into the scene's private arrays; it touches nothing the draw reads.
 * _publish copies those arrays into the drawn ones. So the drawing thread may draw concurrently
 * with _compute and must hold the same lock as _publish. The refresh at the end of every _compute
 * costs about 3.5 epochs of training of both nets (measured, width 32, one thread: depth 20,
 * 119 ms against 35 ms per epoch; depth 56, 355 ms against 111 ms; _publish 15 us): call
 * _compute with an epoch of steps or more, not one step per frame.
 *
 * Numbers (the task and settings of `reslab train`'s default, docs/training.md): spirals, N 1000,
 * 3 arms, noise 0.05, data seed 1 (dataset_synth, standardised); B = max(p->batch, 64) (at least
 * 64, so that batch norm's statistics are not noise); p->epochs epochs (0: 30); lr 0.02, x0.1
 * after 1/2 and 3/4 of the epochs, momentum 0.9, weight decay 1e-4; weights and batch order from
 * p->seed (train.h), the same for both nets. The model is p->net with depth, width, order and
 * batch norm as given: the residual net with p->net.shortcut (identity if that is none), the
 * plain net with none. Each net's trainer is exactly a Trainer of train.h with that config: the
 * published losses equal those of trainer_step run directly, bit for bit.
 * Decision regions: SCENE_TRAIN_GRID^2 points on a square grid over the data's range (its
 * larger side plus 8 % on each side), probabilities by train_predict in inference mode with the
 * training set's population statistics (train_bn_freeze), which also gives each net's training
 * error over the whole set. A net whose loss becomes NaN or inf stops there (its last good
 * state stays on screen, the header says where it diverged); the other goes on.
 */
#ifndef RESLAB_SCENE_TRAIN_H
#define RESLAB_SCENE_TRAIN_H

#include <stddef.h>

#include <cairo.h>

#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "theme.h"
#include "train_task.h"

enum {
    SCENE_TRAIN_GRID = 96,          /* decision-region grid points per side */
    SCENE_TRAIN_N = TRAIN_TASK_N,   /* the task of train_task.h: spirals, arms, data seed */
    SCENE_TRAIN_ARMS = TRAIN_TASK_ARMS,
    SCENE_TRAIN_DATA_SEED = TRAIN_TASK_DATA_SEED,
    SCENE_TRAIN_MIN_BATCH = TRAIN_TASK_MIN_BATCH,
    SCENE_TRAIN_EPOCHS = TRAIN_TASK_EPOCHS,
    SCENE_TRAIN_PLAIN = 0,          /* net indices of the accessors */
    SCENE_TRAIN_RESIDUAL = 1,
};
#define SCENE_TRAIN_NOISE TRAIN_TASK_NOISE
#define SCENE_TRAIN_LR TRAIN_TASK_LR

typedef struct SceneTrain SceneTrain;

/* Checks p (classifier_config_check and train_check of both nets, show is ignored: both are
 * always shown), draws the data, builds both trainers and, unless p->untrained, trains the
 * whole budget and publishes. NULL with a message on failure. */
SceneTrain *scene_train_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_train_free(SceneTrain *s);

/* Draws the published state into r (logical units) with theme t in language lang (scaled down as
 * a whole in an r smaller than 55 x 35 font sizes, scene_util_fit). Paints r's background and
 * draws nothing outside r. Keeps no state. */
void scene_train_draw(const SceneTrain *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);

/* ---- live training (the viewer) ---- */

/* Up to nsteps more steps of each net that has neither finished nor diverged, then the grid and
 * training-set evaluation of both (private arrays). Returns 1 (nothing done) if both nets are
 * finished or diverged and that state is already computed, else 0. */
int scene_train_step_compute(SceneTrain *s, size_t nsteps);
/* Copies the computed state into the drawn arrays (loss histories, grids, step, errors). */
void scene_train_step_publish(SceneTrain *s);
/* 1 once both nets are finished (or diverged) and that is published. */
int scene_train_done(const SceneTrain *s);
/* Steps of one epoch (N / B), and of the whole budget. */
size_t scene_train_steps_per_epoch(const SceneTrain *s);
size_t scene_train_total_steps(const SceneTrain *s);

/* ---- the published state (what the draw shows; for tests and captions) ---- */

/* Steps net k has done (as published). */
size_t scene_train_step(const SceneTrain *s, int k);
/* Net k's epochs completed, and their mean minibatch losses [epochs] (TrainEpoch.loss). */
size_t scene_train_epochs_done(const SceneTrain *s, int k);
const double *scene_train_epoch_loss(const SceneTrain *s, int k);
/* Net k's minibatch loss of every step [steps]: the mean cross-entropy of the step's batch
 * before its update, from its logits as softmax.h computes it (the loss trainer_step saw). */
const double *scene_train_step_loss(const SceneTrain *s, int k);
/* Net k's training error over the whole set at the last refresh (NAN before the first). */
double scene_train_error(const SceneTrain *s, int k);
/* Net k's predicted class (255: none) and largest probability on the grid, row 0 at the top:
 * [SCENE_TRAIN_GRID^2]. */
const unsigned char *scene_train_grid_class(const SceneTrain *s, int k);
const double *scene_train_grid_conf(const SceneTrain *s, int k);
/* 1 if net k diverged; its message then (else ""). */
int scene_train_diverged(const SceneTrain *s, int k, const char **why);

/* Where scene_train_draw puts things (in r's units). */
typedef struct {
    Rect header;
    PlotAxes loss;            /* loss against epoch, log10 y */
    PlotAxes map[2];          /* [k]: the grid's range on both axes, square frames */
} SceneTrainLayout;

void scene_train_layout(const SceneTrain *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang,
                        SceneTrainLayout *out);

#endif
