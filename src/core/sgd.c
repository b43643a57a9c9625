/* sgd.c: SGD with momentum and weight decay, and the learning-rate schedules (sgd.h).
 * Dimensions: every tensor is a flat run of count doubles; t is the step, e the epoch. */
#include "sgd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

SgdConfig sgd_config_default(void)
{
    SgdConfig c = {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4, .schedule = SGD_LR_CONSTANT,
                   .step_factor = 0.1, .n_milestones = 0, .warmup_steps = 0};
    return c;
}

int sgd_config_check(const SgdConfig *cfg, char *err, size_t errlen)
{
    if (!(isfinite(cfg->lr) && cfg->lr > 0.0))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the learning rate must be finite and > 0, got %g", cfg->lr);
    if (!(cfg->momentum >= 0.0 && cfg->momentum < 1.0))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "momentum must be in [0, 1), got %g",
                          cfg->momentum);
    if (!(isfinite(cfg->weight_decay) && cfg->weight_decay >= 0.0))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "weight decay must be finite and >= 0, got %g", cfg->weight_decay);
    if (!(cfg->step_factor > 0.0 && cfg->step_factor <= 1.0))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the step factor must be in (0, 1], got %g", cfg->step_factor);
    if (cfg->n_milestones > SGD_MAX_MILESTONES)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "at most %d milestones, got %zu",
                          SGD_MAX_MILESTONES, cfg->n_milestones);
    for (size_t i = 1; i < cfg->n_milestones; i++)
        if (cfg->milestones[i] <= cfg->milestones[i - 1])
            return status_set(err, errlen, RESLAB_ERR_INVALID,
                              "milestones must ascend: milestone %zu (%zu) <= milestone %zu (%zu)",
                              i + 1, cfg->milestones[i], i, cfg->milestones[i - 1]);
    if (cfg->schedule != SGD_LR_CONSTANT && cfg->schedule != SGD_LR_STEP &&
        cfg->schedule != SGD_LR_COSINE)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "unknown schedule %d", (int)cfg->schedule);
    return RESLAB_OK;
}

static const char *const schedule_names[] = {"constant", "step", "cosine"};

const char *sgd_schedule_name(SgdSchedule s)
{
    return (unsigned)s < 3 ? schedule_names[s] : "?";
}

int sgd_schedule_parse(const char *name, SgdSchedule *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, schedule_names[i]) == 0) {
            *out = (SgdSchedule)i;
            return RESLAB_OK;
        }
    return RESLAB_ERR_INVALID;
}

double sgd_lr(const SgdConfig *cfg, size_t step, size_t steps_per_epoch, size_t total_steps)
{
    double lr = cfg->lr;
    if (cfg->schedule == SGD_LR_STEP) {           /* eta_0 factor^m, m milestones passed */
        size_t e = step / (steps_per_epoch ? steps_per_epoch : 1);
        for (size_t i = 0; i < cfg->n_milestones; i++)
            if (cfg->milestones[i] <= e) lr *= cfg->step_factor;
    } else if (cfg->schedule == SGD_LR_COSINE) {  /* eta_0 (1 + cos(pi t / T)) / 2 */
        double T = (double)(total_steps ? total_steps : 1);
        lr = cfg->lr * 0.5 * (1.0 + cos(M_PI * (double)step / T));
    }
    if (step < cfg->warmup_steps)                 /* linear warm-up: (t + 1) / W */
        lr *= (double)(step + 1) / (double)cfg->warmup_steps;
    return lr;
}

Sgd *sgd_alloc(const SgdConfig *cfg, const SgdParam *params, size_t count)
{
    Sgd *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    s->count = count;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += params[i].count;
    s->params = malloc((count ? count : 1) * sizeof *s->params);
    s->velocity = calloc(total ? total : 1, sizeof *s->velocity);
    if (!s->params || !s->velocity) {
        sgd_free(s);
        return NULL;
    }
    if (count) memcpy(s->params, params, count * sizeof *params);
    return s;
}

void sgd_free(Sgd *s)
{
    if (!s) return;
    free(s->params);
    free(s->velocity);
    free(s);
}

void sgd_update(Sgd *s, double lr)
{
    double mu = s->cfg.momentum, lambda = s->cfg.weight_decay;
    double *v = s->velocity;
    for (size_t i = 0; i < s->count; i++) {
        const SgdParam *p = &s->params[i];
        double *w = p->value;
        const double *g = p->grad;
        if (p->decay && lambda != 0.0) {
            for (size_t j = 0; j < p->count; j++) {   /* d = g + lambda w; v = mu v + d; w -= eta v */
                v[j] = mu * v[j] + (g[j] + lambda * w[j]);
                w[j] -= lr * v[j];
            }
        } else {
            for (size_t j = 0; j < p->count; j++) {   /* no decay: d = g */
                v[j] = mu * v[j] + g[j];
                w[j] -= lr * v[j];
            }
        }
        v += p->count;
    }
}
