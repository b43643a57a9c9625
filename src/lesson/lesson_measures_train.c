/* lesson_measures_train.c: the measures of training (the degradation problem, lesson 09): the
 * final training error of the plain and the residual net of the step's options on the task of
 * train_task.h (the train scene's spirals and budget), so a step's checks and its figure train
 * the same nets. A diverged net (non-finite loss) gives NaN, shown as overflow. */
#include "lesson_measures.h"
#include "train_task.h"

static int train_error(const SceneParams *p, int residual, double *v, char *err, size_t errlen)
{
    return train_task_error(&p->net, p->batch, p->epochs, p->seed, residual, v, err, errlen);
}

int measure_train_error_plain(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return train_error(p, 0, v, err, errlen);
}

int measure_train_error_residual(const SceneParams *p, double *v, char *err, size_t errlen)
{
    return train_error(p, 1, v, err, errlen);
}
