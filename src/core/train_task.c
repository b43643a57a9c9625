/* train_task.c: the degradation task (train_task.h). */
#include "train_task.h"

#include <math.h>

#include "status.h"

int train_task_data(Dataset *d, char *err, size_t errlen)
{
    return dataset_synth(d, "spirals", TRAIN_TASK_N, TRAIN_TASK_ARMS, TRAIN_TASK_DATA_SEED,
                         TRAIN_TASK_NOISE, err, errlen);
}

ClassifierConfig train_task_model(const NetConfig *net, size_t classes, int residual)
{
    ClassifierConfig m = classifier_config_default();
    m.net = *net;
    m.net.shortcut = !residual ? SHORTCUT_NONE
                     : net->shortcut == SHORTCUT_NONE ? SHORTCUT_IDENTITY : net->shortcut;
    m.net.input_width = 0;
    m.net.param_grads = 1;
    m.dim = 2;
    m.classes = classes;
    return m;
}

TrainConfig train_task_config(size_t batch, size_t epochs, unsigned long seed)
{
    TrainConfig tc = train_config_default();
    size_t E = epochs ? epochs : TRAIN_TASK_EPOCHS;
    tc.batch = batch > TRAIN_TASK_MIN_BATCH ? batch : TRAIN_TASK_MIN_BATCH;
    tc.epochs = E;
    tc.seed = seed;
    tc.sgd.lr = TRAIN_TASK_LR, tc.sgd.schedule = SGD_LR_STEP;        /* momentum 0.9, wd 1e-4 */
    if (E / 2 >= 1) tc.sgd.milestones[tc.sgd.n_milestones++] = E / 2;
    if (3 * E / 4 > E / 2) tc.sgd.milestones[tc.sgd.n_milestones++] = 3 * E / 4;
    return tc;
}

int train_task_error(const NetConfig *net, size_t batch, size_t epochs, unsigned long seed,
                     int residual, double *error, char *err, size_t errlen)
{
    Dataset d;
    int rc = train_task_data(&d, err, errlen);
    if (rc) return rc;
    ClassifierConfig m = train_task_model(net, d.classes, residual);
    TrainConfig tc = train_task_config(batch, epochs, seed);
    rc = train_check(&m, &tc, d.x, d.y, d.n, err, errlen);
    Trainer *t = rc ? NULL : trainer_alloc(&m, &tc, d.x, d.y, d.n);
    if (!rc && !t) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the trainer");
    if (!rc) {
        char why[256];
        if (trainer_run(t, NULL, NULL, why, sizeof why)) {
            *error = NAN;                                 /* diverged: a non-finite loss */
        } else {
            TrainEval ev = {0};
            rc = train_evaluate(t->model, d.x, d.y, d.n, &ev, err, errlen);
            if (!rc) *error = isfinite(ev.loss) ? 1.0 - ev.accuracy : NAN;
        }
    }
    trainer_free(t);
    dataset_free(&d);
    return rc;
}
