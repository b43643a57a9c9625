/* train.c: minibatch SGD training of a classifier, evaluation over a set, layer responses.
 * Dimensions: n examples of dim inputs, B batch rows, k classes, L blocks, n_w = width, h hidden.
 * The data are the caller's row-major arrays x (n, dim) and y[n]; see train.h for the rules. */
#include "train.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>

#include "act.h"
#include "dense.h"
#include "softmax.h"
#include "status.h"

TrainConfig train_config_default(void)
{
    TrainConfig c = {.batch = 64, .epochs = 30, .seed = 1, .sgd = sgd_config_default()};
    return c;
}

static int check_data(const ClassifierConfig *model, const double *x, const int *y, size_t n,
                      char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (y[i] < 0 || (size_t)y[i] >= model->classes)
            return status_set(err, errlen, RESLAB_ERR_INVALID,
                              "label of example %zu is %d, outside 0..%zu", i, y[i],
                              model->classes - 1);
        for (size_t j = 0; j < model->dim; j++)
            if (!isfinite(x[i * model->dim + j]))
                return status_set(err, errlen, RESLAB_ERR_INVALID,
                                  "input %zu of example %zu is not finite (%g)", j, i,
                                  x[i * model->dim + j]);
    }
    return RESLAB_OK;
}

int train_check(const ClassifierConfig *model, const TrainConfig *cfg, const double *x,
                const int *y, size_t n, char *err, size_t errlen)
{
    if (cfg->batch < 1) return status_set(err, errlen, RESLAB_ERR_INVALID, "batch must be >= 1");
    if (cfg->epochs < 1) return status_set(err, errlen, RESLAB_ERR_INVALID, "epochs must be >= 1");
    if (n < cfg->batch)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the data set has %zu examples, fewer than the batch of %zu", n,
                          cfg->batch);
    if (cfg->epochs > ((size_t)1 << 40) / (n / cfg->batch))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "too many epochs (%zu)", cfg->epochs);
    int rc = classifier_config_check(model, cfg->batch, RESLAB_MEMORY_LIMIT, err, errlen);
    if (!rc) rc = sgd_config_check(&cfg->sgd, err, errlen);
    if (!rc) rc = check_data(model, x, y, n, err, errlen);
    return rc;
}

/* The optimiser over every parameter tensor of the model (weights decay, the rest not). */
static Sgd *optimiser_alloc(const SgdConfig *cfg, const Classifier *m)
{
    SgdParam *ps = malloc(m->nparams * sizeof *ps);
    if (!ps) return NULL;
    for (size_t i = 0; i < m->nparams; i++)
        ps[i] = (SgdParam){m->params[i].value, m->params[i].grad, m->params[i].count,
                           m->params[i].decay};
    Sgd *s = sgd_alloc(cfg, ps, m->nparams);
    free(ps);
    return s;
}

Trainer *trainer_alloc(const ClassifierConfig *model, const TrainConfig *cfg, const double *x,
                       const int *y, size_t n)
{
    Trainer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = *cfg;
    t->x = x, t->y = y, t->n = n;
    t->steps_per_epoch = n / cfg->batch;
    t->total_steps = t->steps_per_epoch * cfg->epochs;
    gsl_rng *init = gsl_rng_alloc(gsl_rng_mt19937);
    t->rng_shuffle = gsl_rng_alloc(gsl_rng_mt19937);
    if (init) {
        gsl_rng_set(init, cfg->seed);
        t->model = classifier_alloc(model, cfg->batch, init);
        gsl_rng_free(init);
    }
    t->order = malloc(n * sizeof *t->order);
    t->X = gsl_matrix_alloc(cfg->batch, model->dim);
    t->yb = malloc(cfg->batch * sizeof *t->yb);
    t->history = calloc(cfg->epochs, sizeof *t->history);
    if (!t->model || !t->rng_shuffle || !t->order || !t->X || !t->yb || !t->history ||
        !(t->sgd = optimiser_alloc(&cfg->sgd, t->model))) {
        trainer_free(t);
        return NULL;
    }
    gsl_rng_set(t->rng_shuffle, cfg->seed + TRAIN_SHUFFLE_SEED_OFFSET);
    for (size_t i = 0; i < n; i++) t->order[i] = i;
    return t;
}

void trainer_free(Trainer *t)
{
    if (!t) return;
    classifier_free(t->model);
    sgd_free(t->sgd);
    gsl_rng_free(t->rng_shuffle);
    free(t->order);
    gsl_matrix_free(t->X);
    free(t->yb);
    free(t->history);
    free(t);
}

int trainer_done(const Trainer *t) { return t->step >= t->total_steps; }

const TrainEpoch *trainer_last_epoch(const Trainer *t)
{
    return t->epochs_done ? &t->history[t->epochs_done - 1] : NULL;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* X, yb = rows order[first .. first + B - 1] of the data. */
static void gather(Trainer *t, size_t first)
{
    size_t dim = t->X->size2;
    for (size_t i = 0; i < t->cfg.batch; i++) {
        size_t r = t->order[first + i];
        memcpy(gsl_matrix_ptr(t->X, i, 0), t->x + r * dim, dim * sizeof *t->x);
        t->yb[i] = t->y[r];
    }
}

/* Closes the epoch that the step just finished: its summary into the history. */
static void end_epoch(Trainer *t, double lr)
{
    TrainEpoch *e = &t->history[t->epochs_done++];
    double steps = (double)t->steps_per_epoch;
    *e = (TrainEpoch){.epoch = t->epochs_done, .step = t->step, .loss = t->sum_loss / steps,
                      .accuracy = (double)t->correct / (steps * (double)t->cfg.batch), .lr = lr,
                      .seconds = t->sum_seconds};
    t->sum_loss = t->sum_seconds = 0.0;
    t->correct = 0;
}

int trainer_step(Trainer *t, int *epoch_ended, char *err, size_t errlen)
{
    if (epoch_ended) *epoch_ended = 0;
    if (trainer_done(t))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "training is done (%zu steps)", t->step);
    double t0 = now_seconds();
    size_t in_epoch = t->step % t->steps_per_epoch;
    if (in_epoch == 0)                                   /* a fresh permutation each epoch */
        gsl_ran_shuffle(t->rng_shuffle, t->order, t->n, sizeof *t->order);
    if (t->model->cfg.net.shortcut == SHORTCUT_DROPOUT) net_dropout_draw(t->model->net, t->rng_shuffle);
    gather(t, in_epoch * t->cfg.batch);
    double lr = sgd_lr(&t->cfg.sgd, t->step, t->steps_per_epoch, t->total_steps);
    classifier_forward(t->model, t->X);
    double loss = classifier_loss(t->model, t->yb);
    if (!isfinite(loss))
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "the training loss became %g at epoch %zu, step %zu (learning rate %g): "
                          "lower the learning rate", loss, t->step / t->steps_per_epoch + 1,
                          t->step + 1, lr);
    t->correct += softmax_correct(t->model->logits, t->yb);
    classifier_zero_grad(t->model);
    classifier_backward(t->model, t->yb);
    sgd_update(t->sgd, lr);                              /* w -= eta_t v */
    t->step++;
    t->sum_loss += loss;
    t->sum_seconds += now_seconds() - t0;
    if (t->step % t->steps_per_epoch == 0) {
        end_epoch(t, lr);
        if (epoch_ended) *epoch_ended = 1;
    }
    return RESLAB_OK;
}

int trainer_run(Trainer *t, void (*on_epoch)(const TrainEpoch *e, void *ctx), void *ctx,
                char *err, size_t errlen)
{
    while (!trainer_done(t)) {
        int ended;
        int rc = trainer_step(t, &ended, err, errlen);
        if (rc) return rc;
        if (ended && on_epoch) on_epoch(trainer_last_epoch(t), ctx);
    }
    return RESLAB_OK;
}

/* Running population statistics of many values, merged batch by batch (Chan et al. 1979):
 * count, mean and M2 = sum of squared deviations; std = sqrt(M2 / count). */
typedef struct {
    double count, mean, m2;
} Moments;

/* Merges the rows 0..rows-1 of m into s: two passes over the batch, then Chan's update. */
static void moments_add(Moments *s, const gsl_matrix *m, size_t rows)
{
    double cnt = (double)(rows * m->size2), sum = 0.0, m2 = 0.0;
    for (size_t i = 0; i < rows; i++) {
        const double *r = gsl_matrix_const_ptr(m, i, 0);
        for (size_t j = 0; j < m->size2; j++) sum += r[j];
    }
    double mean = sum / cnt;
    for (size_t i = 0; i < rows; i++) {
        const double *r = gsl_matrix_const_ptr(m, i, 0);
        for (size_t j = 0; j < m->size2; j++) m2 += (r[j] - mean) * (r[j] - mean);
    }
    double total = s->count + cnt, delta = mean - s->mean;
    s->m2 += m2 + delta * delta * s->count * cnt / total;
    s->mean += delta * cnt / total;
    s->count = total;
}

/* The whole-set pass: all n rows go through the net as one batch, block by block through one
 * block cache, so the memory is that of one block for n rows whatever the depth. In training
 * mode every BN layer then normalises with the statistics of all n rows, i.e. with the
 * population statistics of the set. */
typedef struct {
    gsl_matrix *a;           /* (n, w): x_0, x_1, ..., x_L, then the head's input h */
    BlockCache *c;           /* one block's cache for n rows */
    BatchnormCache *cf;      /* BN_f for n rows (pre order with batch norm), else NULL */
    gsl_matrix *Z;           /* (n, k) logits, then probabilities */
} Pass;

static void pass_free(Pass *p)
{
    gsl_matrix_free(p->a);
    block_cache_free(p->c);
    batchnorm_cache_free(p->cf);
    gsl_matrix_free(p->Z);
}

/* RESLAB_OK, RESLAB_ERR_TOOBIG (over RESLAB_MEMORY_LIMIT) or RESLAB_ERR_NOMEM. */
static int pass_alloc(Pass *p, const Classifier *m, size_t n, char *err, size_t errlen)
{
    const Net *net = m->net;
    size_t w = net->cfg.width, k = m->cfg.classes;
    double bytes = 8.0 * ((double)n * (double)(2 * w + k) + (double)block_cache_count(&net->block, n));
    memset(p, 0, sizeof *p);
    if (bytes > (double)RESLAB_MEMORY_LIMIT)
        return status_set(err, errlen, RESLAB_ERR_TOOBIG, "evaluating %zu rows needs about %.2f GiB, "
                          "more than the limit of %.2f GiB", n, bytes / (1u << 30),
                          (double)RESLAB_MEMORY_LIMIT / (1u << 30));
    p->a = gsl_matrix_alloc(n, w);
    p->c = block_cache_alloc(&net->block, n);
    p->cf = m->bn_f ? batchnorm_cache_alloc(n, w) : NULL;
    p->Z = gsl_matrix_alloc(n, k);
    if (!p->a || !p->c || (m->bn_f && !p->cf) || !p->Z) {
        pass_free(p);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory to evaluate %zu rows", n);
    }
    return RESLAB_OK;
}

/* Freezes the BN layers of eval's block l with the statistics the pass left in c. */
static void freeze_block(Classifier *eval, size_t l, const BlockCache *c)
{
    BlockCache *d = eval->net->cache[l];
    BatchnormCache *src[3] = {c->bn0, c->bn1, c->bn2}, *dst[3] = {d->bn0, d->bn1, d->bn2};
    for (int j = 0; j < 3; j++)
        if (src[j]) batchnorm_cache_freeze(dst[j], src[j]->mean, src[j]->var);
}

/* x_0 = X W_in^T, then x_l = block_l(x_{l-1}) for all n rows (x_l kept in p->a between blocks),
 * then h = x_L (post), s(BN_f(x_L)) or s(x_L) (pre), and Z = h W_head^T + b_head. Along the way:
 * freeze (may be NULL) gets every BN layer's statistics, mom (may be NULL) the moments of every
 * block's z1 and F. */
static void pass_run(const Classifier *m, const gsl_matrix *X, Pass *p, Classifier *freeze,
                     Moments *mom)
{
    const Net *net = m->net;
    size_t n = X->size1;
    dense_forward(X, net->W_in, NULL, p->a);             /* x_0: [n x w] = [n x dim][dim x w] */
    for (size_t l = 0; l < net->cfg.depth; l++) {
        block_forward(&net->block, net->params[l], p->a, p->c);
        if (freeze) freeze_block(freeze, l, p->c);
        if (mom) moments_add(&mom[2 * l], p->c->z1, n), moments_add(&mom[2 * l + 1], p->c->f, n);
        gsl_matrix_memcpy(p->a, p->c->out);              /* x_{l+1}: the next block's input */
    }
    if (m->h_f) {                                        /* pre order: h = s(BN_f(x_L)) or s(x_L) */
        if (p->cf) batchnorm_forward(p->a, m->gamma_f, m->beta_f, BATCHNORM_EPS, p->a, p->cf);
        if (freeze && p->cf) batchnorm_cache_freeze(freeze->bn_f, p->cf->mean, p->cf->var);
        act_forward(m->cfg.net.act, p->a, p->a);
    }
    dense_forward(p->a, m->W_head, m->b_head, p->Z);     /* Z: [n x k] = [n x w][w x k] */
}

/* The whole-set pass over x and what train_evaluate reports about it; freeze (may be NULL) gets
 * the population statistics on the way. */
static int evaluate_pass(const Classifier *m, const double *x, const int *y, size_t n,
                         Classifier *freeze, TrainEval *out, char *err, size_t errlen)
{
    if (n == 0) return status_set(err, errlen, RESLAB_ERR_INVALID, "nothing to evaluate (n = 0)");
    size_t L = m->net->cfg.depth, k = m->cfg.classes;
    Pass p;
    int rc = pass_alloc(&p, m, n, err, errlen);
    if (rc) return rc;
    Moments *mom = out && out->response_std ? calloc(2 * L, sizeof *mom) : NULL;
    if (out && out->response_std && !mom) {
        pass_free(&p);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the evaluation");
    }
    gsl_matrix_const_view X = gsl_matrix_const_view_array(x, n, m->cfg.dim);
    pass_run(m, &X.matrix, &p, freeze, mom);
    if (out) {
        out->loss = out->accuracy = NAN;
        if (y) {
            out->accuracy = (double)softmax_correct(p.Z, y) / (double)n;
            out->loss = softmax_xent_forward(p.Z, y, p.Z);  /* P = softmax(Z) in place */
        } else if (out->probs) {
            softmax_forward(p.Z, p.Z);
        }
        if (out->probs) memcpy(out->probs, p.Z->data, n * k * sizeof *out->probs);
        for (size_t i = 0; mom && i < 2 * L; i++) out->response_std[i] = sqrt(mom[i].m2 / mom[i].count);
    }
    free(mom);
    pass_free(&p);
    return RESLAB_OK;
}

int train_evaluate(const Classifier *model, const double *x, const int *y, size_t n,
                   TrainEval *out, char *err, size_t errlen)
{
    return evaluate_pass(model, x, y, n, NULL, out, err, errlen);
}

int train_bn_freeze(Classifier *eval, const double *x, const int *y, size_t n, TrainEval *out,
                    char *err, size_t errlen)
{
    if (!eval->cfg.net.bn && !out) return RESLAB_OK;
    return evaluate_pass(eval, x, y, n, eval->cfg.net.bn ? eval : NULL, out, err, errlen);
}

/* The rows first .. first + rows - 1 into the batch X; zero rows after them. */
static void load_rows(gsl_matrix *X, const double *x, size_t first, size_t rows)
{
    size_t dim = X->size2;
    memcpy(X->data, x + first * dim, rows * dim * sizeof *x);
    if (rows < X->size1) memset(X->data + rows * dim, 0, (X->size1 - rows) * dim * sizeof *x);
}

int train_predict(Classifier *eval, const double *x, size_t n, double *probs, char *err,
                  size_t errlen)
{
    size_t B = eval->batch, k = eval->cfg.classes;
    assert(classifier_bn_count(eval) == 0 || classifier_bn_layer(eval, 0, NULL, 0)->frozen);
    gsl_matrix *X = gsl_matrix_alloc(B, eval->cfg.dim);
    if (!X) return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the prediction");
    for (size_t first = 0; first < n; first += B) {
        size_t rows = n - first < B ? n - first : B;
        load_rows(X, x, first, rows);
        classifier_forward(eval, X);
        gsl_matrix_const_view z = gsl_matrix_const_submatrix(eval->logits, 0, 0, rows, k);
        gsl_matrix_view p = gsl_matrix_submatrix(eval->probs, 0, 0, rows, k);
        softmax_forward(&z.matrix, &p.matrix);           /* P = softmax(Z), row by row */
        memcpy(probs + first * k, eval->probs->data, rows * k * sizeof *probs);
    }
    gsl_matrix_free(X);
    return RESLAB_OK;
}
