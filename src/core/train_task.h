/* train_task.h: the classroom task on which the degradation problem shows (He et al. 2015,
 * Fig. 1 at classroom scale; docs/training.md): 3-arm spirals of 1000 points, noise 0.05, data
 * seed 1, standardised; B = max(batch, 64); 30 epochs (or as asked) of SGD, lr 0.02, x0.1 after
 * 1/2 and 3/4 of the epochs, momentum 0.9, weight decay 1e-4; weights and batch order from the
 * seed. One definition for the train scene (src/render/scene_train.c) and the lesson checks
 * (src/lesson), so that a lesson's figure and its checks train the same nets.
 *
 * Usage:
 *     double err_plain, err_res;
 *     train_task_error(&net, 8, 0, 1, 0, &err_plain, err, sizeof err);   plain, 30 epochs
 *     train_task_error(&net, 8, 0, 1, 1, &err_res, err, sizeof err);     residual twin
 */
#ifndef RESLAB_TRAIN_TASK_H
#define RESLAB_TRAIN_TASK_H

#include <stddef.h>

#include "classifier.h"
#include "dataset.h"
#include "train.h"

enum {
    TRAIN_TASK_N = 1000,          /* the spirals: points, arms, data seed */
    TRAIN_TASK_ARMS = 3,
    TRAIN_TASK_DATA_SEED = 1,
    TRAIN_TASK_MIN_BATCH = 64,    /* batch norm's statistics over fewer rows are noise */
    TRAIN_TASK_EPOCHS = 30,
};
#define TRAIN_TASK_NOISE 0.05
#define TRAIN_TASK_LR 0.02

/* The spirals, standardised per feature. RESLAB_OK or the dataset's error. */
int train_task_data(Dataset *d, char *err, size_t errlen);

/* The classifier for 2-D inputs and `classes` classes with the blocks of net: residual with
 * net->shortcut (identity if that is none), or plain (no shortcut). */
ClassifierConfig train_task_model(const NetConfig *net, size_t classes, int residual);

/* B = max(batch, 64), epochs (0: 30), the schedule above, seed. */
TrainConfig train_task_config(size_t batch, size_t epochs, unsigned long seed);

/* Trains the plain (residual 0) or residual net of net on the task and writes its final
 * training error over the whole set (batch norm with the population statistics) into *error:
 * NaN if the training diverged (a non-finite loss). RESLAB_OK, or the error of a bad config
 * (RESLAB_ERR_INVALID, TOOBIG) or RESLAB_ERR_NOMEM. Seconds at depth 20-30 on one core. */
int train_task_error(const NetConfig *net, size_t batch, size_t epochs, unsigned long seed,
                     int residual, double *error, char *err, size_t errlen);

#endif
