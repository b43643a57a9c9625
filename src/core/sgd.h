/* sgd.h: stochastic gradient descent with momentum and weight decay; learning-rate schedules.
 *
 * Usage:
 *     SgdConfig cfg = sgd_config_default();           lr 0.1, momentum 0.9, weight decay 1e-4
 *     if (sgd_config_check(&cfg, err, sizeof err)) ...
 *     SgdParam ps[] = {{W, dW, count, 1}, {b, db, count_b, 0}, ...};
 *     Sgd *opt = sgd_alloc(&cfg, ps, nps);            velocities start at 0
 *     for (t = 0; t < T; t++) {
 *         ... gradients into dW, db ...
 *         sgd_update(opt, sgd_lr(&cfg, t, steps_per_epoch, T));
 *     }
 *     sgd_free(opt);
 *
 * The update of one parameter w with gradient g, momentum mu, weight decay lambda, rate eta_t:
 *     d = g + lambda w         (weight decay as L2 added to the gradient, weights only: it is
 *                               applied where SgdParam.decay = 1, i.e. the weight matrices, and
 *                               not to biases or batch-norm scales and shifts)
 *     v = mu v + d
 *     w = w - eta_t v
 * This is torch.optim.SGD's form (dampening 0, no Nesterov); the 2015 paper's Caffe/Torch form
 * v = mu v - eta (g + lambda w), w = w + v is the same while eta is constant.
 * Schedules of eta_t, at step t (0-based), epoch e = floor(t / steps_per_epoch), T steps in all:
 *     constant   eta_t = eta_0
 *     step       eta_t = eta_0 * factor^m,  m = the number of milestones <= e   (factor 0.1: the
 *                paper divides by 10 at 32k and 48k of 64k iterations, papers.md section 1)
 *     cosine     eta_t = eta_0 * (1 + cos(pi t / T)) / 2   (Loshchilov & Hutter 2016, no restarts)
 * with an optional linear warm-up over the first W steps: eta_t *= (t + 1) / W for t < W.
 */
#ifndef RESLAB_SGD_H
#define RESLAB_SGD_H

#include <stddef.h>

#define SGD_MAX_MILESTONES 8

typedef enum { SGD_LR_CONSTANT, SGD_LR_STEP, SGD_LR_COSINE } SgdSchedule;

typedef struct {
    double lr;               /* eta_0 > 0 */
    double momentum;         /* mu in [0, 1) */
    double weight_decay;     /* lambda >= 0, on weights only */
    SgdSchedule schedule;
    double step_factor;      /* the step schedule's factor, in (0, 1] */
    size_t milestones[SGD_MAX_MILESTONES];   /* step schedule: epochs, ascending */
    size_t n_milestones;
    size_t warmup_steps;     /* W; 0: no warm-up */
} SgdConfig;

/* One tensor the optimiser updates: count contiguous values and their gradients. */
typedef struct {
    double *value;
    const double *grad;
    size_t count;
    int decay;               /* 1: weight decay applies */
} SgdParam;

typedef struct {
    SgdConfig cfg;
    SgdParam *params;        /* [count], a copy of the caller's list */
    size_t count;
    double *velocity;        /* one v per value, tensor after tensor */
} Sgd;

/* lr 0.1, momentum 0.9, weight decay 1e-4 (the paper's CIFAR settings), constant schedule,
 * step factor 0.1, no milestones, no warm-up. */
SgdConfig sgd_config_default(void);

/* RESLAB_OK or RESLAB_ERR_INVALID naming the field and its value. */
int sgd_config_check(const SgdConfig *cfg, char *err, size_t errlen);

/* "constant", "step", "cosine". */
const char *sgd_schedule_name(SgdSchedule s);
/* RESLAB_OK or RESLAB_ERR_INVALID. */
int sgd_schedule_parse(const char *name, SgdSchedule *out);

/* eta_t as above. steps_per_epoch >= 1; total_steps >= 1 (cosine). */
double sgd_lr(const SgdConfig *cfg, size_t step, size_t steps_per_epoch, size_t total_steps);

/* The optimiser for count tensors (the list is copied; the tensors stay the caller's). Velocities
 * are zero. NULL if out of memory. */
Sgd *sgd_alloc(const SgdConfig *cfg, const SgdParam *params, size_t count);
void sgd_free(Sgd *s);

/* One update of every tensor with rate lr (see above). Reads the gradients, writes values and
 * velocities. */
void sgd_update(Sgd *s, double lr);

#endif
