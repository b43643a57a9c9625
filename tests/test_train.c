/* test_train.c: the classifier, SGD and the trainer. Claims: the whole classifier (plain and
 * residual, post and pre, with and without batch norm, B = 1 and B > 1, non-square widths) passes
 * the gradient check, and the check catches a planted bug; SGD with momentum and weight decay and
 * every schedule match updates computed by hand; training learns two separable blobs over three
 * seeds; the same seed gives the same bytes; bad data and diverging runs give a message, not a
 * crash; evaluation in padded chunks equals one big batch, and its response std is the direct one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classifier.h"
#include "gradcheck.h"
#include "status.h"
#include "testutil.h"
#include "train.h"

#define HAND_TOL 1e-15        /* SGD: the same few roundings in the same order (values ~ 1) */
#define EVAL_RTOL 1e-13       /* chunked vs one batch: the same rows, sums in another order */
#define STD_RTOL 1e-12        /* Chan's merged moments vs a two-pass std over all rows */

/* Small but not square: dim 3 -> n 5 (h 4) -> k 3, depth 3, biases nonzero. */
static ClassifierConfig small_config(ShortcutKind sc, BlockOrder order, int bn)
{
    ClassifierConfig cfg = classifier_config_default();
    cfg.dim = 3; cfg.classes = 3;
    cfg.net.depth = 3; cfg.net.width = 5; cfg.net.hidden = 4;
    cfg.net.shortcut = sc; cfg.net.order = order; cfg.net.bn = bn;
    cfg.net.bias_std = 0.1;
    return cfg;
}

typedef struct {
    Classifier *c;
    const gsl_matrix *X;
    const int *y;
} LossCtx;

static double ctx_loss(void *p)
{
    LossCtx *l = p;
    classifier_forward(l->c, l->X);
    return classifier_loss(l->c, l->y);
}

static unsigned char *signs(const gsl_matrix *m, unsigned char *p)
{
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) *p++ = gsl_matrix_get(m, i, j) > 0.0;
    return p;
}

/* Every ReLU input: z1 in each block, and y (post) or the pre-order input x or BN0(x). */
static void ctx_kinks(void *p, unsigned char *pattern)
{
    LossCtx *l = p;
    const Net *net = l->c->net;
    for (size_t b = 0; b < net->cfg.depth; b++) {
        const BlockCache *c = net->cache[b];
        pattern = signs(c->z1, pattern);
        pattern = signs(net->cfg.order == ORDER_POST ? c->y : c->r0 ? c->r0 : net_x(net, b), pattern);
    }
    if (l->c->h_f)                                       /* the final s(BN_f(x_L)), pre order */
        signs(l->c->r_f ? l->c->r_f : net_x(net, net->cfg.depth), pattern);
}

/* Gradient check of every tensor; returns the worst verdict, worst rel and kinks in *out. */
static GradcheckVerdict check_classifier(Classifier *cl, const gsl_matrix *X, const int *y,
                                         double *worst, size_t *kinks)
{
    const Net *net = cl->net;
    size_t B = cl->batch, per = B * (net->block.h + net->cfg.width);
    LossCtx ctx = {cl, X, y};
    GradcheckTarget t = {ctx_loss, ctx_kinks, per * net->cfg.depth + (cl->h_f ? B * net->cfg.width : 0),
                         &ctx};
    GradcheckTensor *ts = calloc(cl->nparams, sizeof *ts);
    GradcheckResult *rs = calloc(cl->nparams, sizeof *rs);
    for (size_t i = 0; i < cl->nparams; i++)
        ts[i] = (GradcheckTensor){cl->params[i].name, cl->params[i].value, cl->params[i].grad,
                                  cl->params[i].count};
    GradcheckOptions o = gradcheck_options_default();
    char err[128];
    GradcheckVerdict v = GRADCHECK_WRONG;
    *worst = 0.0, *kinks = 0;
    if (gradcheck_run(&t, ts, cl->nparams, &o, rs, err, sizeof err) == RESLAB_OK) {
        v = GRADCHECK_OK;
        for (size_t i = 0; i < cl->nparams; i++) {
            if (rs[i].verdict != GRADCHECK_UNCHECKED && rs[i].verdict > v) v = rs[i].verdict;
            *worst = fmax(*worst, rs[i].worst_rel);
            *kinks += rs[i].kinks;
        }
    }
    free(ts), free(rs);
    return v;
}

static void test_classifier_passes_gradcheck(Check *c)
{
    const ShortcutKind sc[] = {SHORTCUT_NONE, SHORTCUT_IDENTITY};
    const size_t batches[] = {1, 4};
    for (int s = 0; s < 2; s++)
        for (int o = 0; o < 2; o++)
            for (int bn = 0; bn < 2; bn++)
                for (int b = 0; b < 2; b++) {
                    ClassifierConfig cfg = small_config(sc[s], o ? ORDER_PRE : ORDER_POST, bn);
                    size_t B = batches[b];
                    gsl_rng *rng = tu_rng(300 + 8 * s + 4 * o + 2 * bn + b);
                    Classifier *cl = classifier_alloc(&cfg, B, rng);
                    gsl_matrix *X = gsl_matrix_alloc(B, cfg.dim);
                    tu_fill(X, rng, 1.0);
                    for (size_t i = 0; cl->params && i < cl->nparams; i++)   /* BN scales, shifts off 1, 0 */
                        if (!cl->params[i].decay)
                            for (size_t j = 0; j < cl->params[i].count; j++)
                                cl->params[i].value[j] += gsl_ran_gaussian(rng, 0.1);
                    int y[4] = {0, 2, 1, 2};
                    classifier_forward(cl, X);
                    classifier_loss(cl, y);
                    classifier_zero_grad(cl);
                    classifier_backward(cl, y);
                    double worst;
                    size_t kinks;
                    GradcheckVerdict v = check_classifier(cl, X, y, &worst, &kinks);
                    check_true(c, v == GRADCHECK_OK,
                               "classifier %s/%s/%s B=%zu: %zu tensors, worst rel %.2e, %zu kinks",
                               s ? "residual" : "plain", o ? "pre" : "post", bn ? "bn" : "no-bn",
                               B, cl->nparams, worst, kinks);
                    classifier_free(cl);
                    gsl_matrix_free(X);
                    gsl_rng_free(rng);
                }
}

/* A wrong head gradient (1e-5 relative, a typical scale bug) must not pass. */
static void test_gradcheck_catches_planted_bug(Check *c)
{
    ClassifierConfig cfg = small_config(SHORTCUT_IDENTITY, ORDER_POST, 1);
    gsl_rng *rng = tu_rng(77);
    Classifier *cl = classifier_alloc(&cfg, 4, rng);
    gsl_matrix *X = gsl_matrix_alloc(4, cfg.dim);
    tu_fill(X, rng, 1.0);
    int y[4] = {1, 0, 2, 1};
    classifier_forward(cl, X);
    classifier_loss(cl, y);
    classifier_zero_grad(cl);
    classifier_backward(cl, y);
    gsl_matrix_scale(cl->dW_head, 1.0 + 1e-5);
    double worst;
    size_t kinks;
    GradcheckVerdict v = check_classifier(cl, X, y, &worst, &kinks);
    check_true(c, v != GRADCHECK_OK, "planted bug (dW_head x (1 + 1e-5)) is caught: %s, worst rel %.2e",
               gradcheck_verdict_name(v), worst);
    classifier_free(cl);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
}

/* Two tensors: w (decays) and b (does not); mu = 0.9, lambda = 0.01, eta = 0.5 then 0.25:
 *   step 1: v_w = g + lambda w;           w1 = w - eta1 v_w;   v_b = g_b;  b1 = b - eta1 v_b
 *   step 2: v_w' = mu v_w + g' + lambda w1;  w2 = w1 - eta2 v_w'  (and likewise for b) */
static void test_sgd_matches_hand_computed_updates(Check *c)
{
    double w[2] = {1.5, -2.0}, b[1] = {0.5}, gw[2] = {0.25, -1.0}, gb[1] = {2.0};
    SgdConfig cfg = sgd_config_default();
    cfg.momentum = 0.9; cfg.weight_decay = 0.01;
    SgdParam ps[2] = {{w, gw, 2, 1}, {b, gb, 1, 0}};
    Sgd *s = sgd_alloc(&cfg, ps, 2);
    sgd_update(s, 0.5);
    double vw0 = 0.25 + 0.01 * 1.5, vw1 = -1.0 + 0.01 * -2.0, vb = 2.0;
    double w0 = 1.5 - 0.5 * vw0, w1 = -2.0 - 0.5 * vw1, b0 = 0.5 - 0.5 * vb;
    int ok1 = fabs(w[0] - w0) <= HAND_TOL && fabs(w[1] - w1) <= HAND_TOL && fabs(b[0] - b0) <= HAND_TOL;
    /* and as plain numbers: w0 = 1.5 - 0.5 (0.25 + 0.015) = 1.3675, b = 0.5 - 0.5 * 2 = -0.5 */
    check_close(c, "first update of w0, by hand", w[0], 1.3675, HAND_TOL, 0.0);
    check_close(c, "first update of b (no decay), by hand", b[0], -0.5, 0.0, 0.0);
    gw[0] = -0.5, gw[1] = 0.125, gb[0] = -1.0;
    sgd_update(s, 0.25);
    vw0 = 0.9 * vw0 + (-0.5 + 0.01 * w0), vw1 = 0.9 * vw1 + (0.125 + 0.01 * w1), vb = 0.9 * vb + -1.0;
    w0 -= 0.25 * vw0, w1 -= 0.25 * vw1, b0 -= 0.25 * vb;
    int ok2 = fabs(w[0] - w0) <= HAND_TOL && fabs(w[1] - w1) <= HAND_TOL && fabs(b[0] - b0) <= HAND_TOL;
    check_true(c, ok1 && ok2, "SGD momentum 0.9, weight decay 0.01 on w only: two steps by hand "
               "(w = %.17g %.17g, b = %.17g)", w[0], w[1], b[0]);
    sgd_free(s);
}

static void test_schedules_match_hand_computed(Check *c)
{
    SgdConfig cfg = sgd_config_default();
    cfg.lr = 0.2;
    double worst = 0.0;
    cfg.schedule = SGD_LR_STEP;                  /* milestones at epochs 2 and 4, 3 steps each */
    cfg.milestones[0] = 2, cfg.milestones[1] = 4, cfg.n_milestones = 2;
    for (size_t t = 0; t < 18; t++) {
        double want = t < 6 ? 0.2 : t < 12 ? 0.2 * 0.1 : 0.2 * 0.1 * 0.1;
        worst = fmax(worst, fabs(sgd_lr(&cfg, t, 3, 18) - want));
    }
    check_below(c, "step schedule: 0.2, x0.1 at epochs 2 and 4 (steps 6, 12)", worst, HAND_TOL);
    cfg.schedule = SGD_LR_COSINE;
    double a = sgd_lr(&cfg, 0, 3, 12), m = sgd_lr(&cfg, 6, 3, 12), q = sgd_lr(&cfg, 3, 3, 12);
    check_true(c, a == 0.2 && fabs(m - 0.1) <= HAND_TOL && fabs(q - 0.1 * (1 + sqrt(0.5))) <= HAND_TOL,
               "cosine: eta(0) = 0.2, eta(T/2) = 0.1, eta(T/4) = 0.1 (1 + cos(pi/4)): %.17g %.17g %.17g",
               a, m, q);
    cfg.schedule = SGD_LR_CONSTANT;
    cfg.warmup_steps = 4;
    double w0 = sgd_lr(&cfg, 0, 3, 12), w3 = sgd_lr(&cfg, 3, 3, 12), w4 = sgd_lr(&cfg, 4, 3, 12);
    check_true(c, fabs(w0 - 0.05) <= HAND_TOL && w3 == 0.2 && w4 == 0.2,
               "warm-up over 4 steps: eta(0) = 0.2 / 4, eta(3) = eta(4) = 0.2: %.17g %.17g %.17g",
               w0, w3, w4);
}

/* Two Gaussian blobs, means (+-3, 1), sd 0.5, labels by side: separable with margin unless a
 * point strays 6 sd, which the test verifies for the drawn sample. */
static void make_blobs(size_t n, unsigned long seed, double *x, int *y, double *margin)
{
    gsl_rng *rng = tu_rng(seed);
    *margin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        y[i] = (int)(i % 2);
        x[2 * i] = (y[i] ? 3.0 : -3.0) + gsl_ran_gaussian(rng, 0.5);
        x[2 * i + 1] = 1.0 + gsl_ran_gaussian(rng, 0.5);
        *margin = fmin(*margin, (y[i] ? 1.0 : -1.0) * x[2 * i]);
    }
    gsl_rng_free(rng);
}

/* On a sample separated by the line x1 = 0 with margin m, the linear logit difference
 * a x1 gives every example a loss of at most log(1 + e^{-a m}); a net that contains this
 * (the head of a linear stream) can reach any loss above 0. Bound: 0.05 = 7 % of chance
 * (log 2), reached within 10 epochs of 10 steps; accuracy must be 1 (the sample is separable). */
#define BLOB_LOSS_BOUND 0.05
static void test_training_learns_two_blobs(Check *c)
{
    const ShortcutKind sc[] = {SHORTCUT_IDENTITY, SHORTCUT_NONE, SHORTCUT_IDENTITY};
    const int bn[] = {1, 0, 0};
    const BlockOrder ord[] = {ORDER_POST, ORDER_POST, ORDER_PRE};
    size_t n = 200;
    double *x = malloc(2 * n * sizeof *x);
    int *y = malloc(n * sizeof *y);
    for (unsigned long seed = 1; seed <= 3; seed++) {
        double margin;
        make_blobs(n, 1000 + seed, x, y, &margin);
        for (int v = 0; v < 3; v++) {
            ClassifierConfig m = classifier_config_default();
            m.dim = 2, m.classes = 2, m.net.depth = 4, m.net.width = 8;
            m.net.shortcut = sc[v], m.net.bn = bn[v], m.net.order = ord[v];
            TrainConfig tc = train_config_default();
            tc.batch = 20, tc.epochs = 10, tc.seed = seed, tc.sgd.lr = 0.05;
            char err[256];
            int rc = train_check(&m, &tc, x, y, n, err, sizeof err);
            Trainer *t = rc ? NULL : trainer_alloc(&m, &tc, x, y, n);
            if (t) rc = trainer_run(t, NULL, NULL, err, sizeof err);
            TrainEval ev = {0};
            if (t && !rc) rc = train_evaluate(t->model, x, y, n, &ev, err, sizeof err);
            check_true(c, t && !rc && margin > 0 && ev.loss < BLOB_LOSS_BOUND && ev.accuracy == 1.0,
                       "blobs seed %lu (margin %.2f), %s %s%s: loss %.2e -> %.2e < %.2f, accuracy %.3f",
                       seed, margin, block_shortcut_name(sc[v]), block_order_name(ord[v]),
                       bn[v] ? " bn" : "", t ? t->history[0].loss : NAN, ev.loss,
                       BLOB_LOSS_BOUND, ev.accuracy);
            trainer_free(t);
        }
    }
    free(x), free(y);
}

/* Trains the residual BN net on blobs for 3 epochs; copies every parameter into buf. */
static size_t train_and_dump(unsigned long seed, int stepwise, double *buf, double *losses)
{
    size_t n = 120;
    double x[240], margin;
    int y[120];
    make_blobs(n, 9, x, y, &margin);
    ClassifierConfig m = classifier_config_default();
    m.dim = 2, m.classes = 2, m.net.depth = 5, m.net.width = 6, m.net.bn = 1;
    TrainConfig tc = train_config_default();
    tc.batch = 16, tc.epochs = 3, tc.seed = seed, tc.sgd.schedule = SGD_LR_COSINE;
    Trainer *t = trainer_alloc(&m, &tc, x, y, n);
    char err[128];
    if (stepwise)
        while (!trainer_done(t)) trainer_step(t, NULL, err, sizeof err);
    else
        trainer_run(t, NULL, NULL, err, sizeof err);
    size_t k = 0;
    for (size_t i = 0; i < t->model->nparams; i++)
        for (size_t j = 0; j < t->model->params[i].count; j++) buf[k++] = t->model->params[i].value[j];
    for (size_t e = 0; e < 3; e++) losses[e] = t->history[e].loss;
    trainer_free(t);
    return k;
}

static void test_same_seed_same_bytes(Check *c)
{
    double *a = calloc(4096, sizeof *a), *b = calloc(4096, sizeof *b), *d = calloc(4096, sizeof *d);
    double la[3], lb[3], ld[3];
    size_t na = train_and_dump(5, 0, a, la), nb = train_and_dump(5, 1, b, lb);
    size_t nd = train_and_dump(6, 0, d, ld);
    check_true(c, na == nb && memcmp(a, b, na * sizeof *a) == 0 && memcmp(la, lb, sizeof la) == 0,
               "seed 5 twice (trainer_run, then trainer_step): %zu weights and 3 epoch losses "
               "identical bytes", na);
    check_true(c, nd == na && memcmp(a, d, na * sizeof *a) != 0,
               "seed 6 gives other weights (the comparison can fail)");
    free(a), free(b), free(d);
}

static void test_plain_and_residual_start_alike(Check *c)
{
    ClassifierConfig m = small_config(SHORTCUT_IDENTITY, ORDER_POST, 1);
    gsl_rng *r1 = tu_rng(4), *r2 = tu_rng(4);
    Classifier *res = classifier_alloc(&m, 2, r1);
    m.net.shortcut = SHORTCUT_NONE;
    Classifier *pl = classifier_alloc(&m, 2, r2);
    int same = res->nparams == pl->nparams;
    for (size_t i = 0; same && i < res->nparams; i++)
        same = memcmp(res->params[i].value, pl->params[i].value, res->params[i].count * sizeof(double)) == 0;
    check_true(c, same, "one seed: the plain and the residual net start from the same weights");
    classifier_free(res), classifier_free(pl);
    gsl_rng_free(r1), gsl_rng_free(r2);
}

static void test_bad_input_gives_a_message(Check *c)
{
    double x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int y[4] = {0, 1, 0, 1};
    ClassifierConfig m = classifier_config_default();
    m.dim = 2, m.classes = 2;
    TrainConfig tc = train_config_default();
    tc.batch = 2;
    char err[256] = "";
    y[2] = 2;
    int rc = train_check(&m, &tc, x, y, 4, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "example 2"), "label out of range: %s", err);
    y[2] = 0, x[7] = NAN;
    rc = train_check(&m, &tc, x, y, 4, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "input 1 of example 3"), "NaN input: %s", err);
    x[7] = 7, tc.batch = 5;
    rc = train_check(&m, &tc, x, y, 4, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "batch"), "batch > n: %s", err);
    tc.batch = 2, tc.sgd.lr = -1;
    rc = train_check(&m, &tc, x, y, 4, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "learning rate"), "negative lr: %s", err);
    tc.sgd.lr = 0.1, m.classes = 1;
    rc = train_check(&m, &tc, x, y, 4, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "classes"), "one class: %s", err);
}

/* eta = 1e200 blows the weights up within a step or two: a message, weights of the bad step
 * untouched, no crash. */
static void test_divergence_is_reported(Check *c)
{
    double x[8] = {-1, 0, 1, 0, -2, 1, 2, 1};
    int y[4] = {0, 1, 0, 1};
    ClassifierConfig m = classifier_config_default();
    m.dim = 2, m.classes = 2, m.net.depth = 2, m.net.width = 4;
    TrainConfig tc = train_config_default();
    tc.batch = 2, tc.epochs = 20, tc.sgd.lr = 1e200;
    Trainer *t = trainer_alloc(&m, &tc, x, y, 4);
    char err[256] = "";
    int rc = trainer_run(t, NULL, NULL, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "loss became") && t->step < 40,
               "divergence stops at step %zu: %s", t->step + 1, err);
    trainer_free(t);
}

/* The direct population std of a matrix's entries (two passes). */
static double direct_std(const gsl_matrix *m)
{
    double s = 0.0, q = 0.0, cnt = (double)(m->size1 * m->size2);
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) s += gsl_matrix_get(m, i, j);
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) q += pow(gsl_matrix_get(m, i, j) - s / cnt, 2);
    return sqrt(q / cnt);
}

static void test_evaluate_chunks_equal_one_batch(Check *c)
{
    size_t n = 300, L = 3;                 /* 256 + 44: the last chunk is padded */
    double *x = malloc(2 * n * sizeof *x), margin;
    int *y = malloc(n * sizeof *y);
    make_blobs(n, 21, x, y, &margin);
    ClassifierConfig m = small_config(SHORTCUT_IDENTITY, ORDER_POST, 0);
    m.dim = 2, m.classes = 2;
    gsl_rng *rng = tu_rng(8);
    Classifier *cl = classifier_alloc(&m, 4, rng), *big = classifier_alloc_twin(cl, n);
    gsl_matrix_view X = gsl_matrix_view_array(x, n, 2);
    classifier_forward(big, &X.matrix);
    double want = classifier_loss(big, y);
    double std[6], *probs = malloc(n * 2 * sizeof *probs);
    TrainEval ev = {.probs = probs, .response_std = std};
    char err[128];
    int rc = train_evaluate(cl, x, y, n, &ev, err, sizeof err);
    check_close(c, "evaluation in chunks of 256 (+ padding) = one batch of 300: loss", rc ? NAN : ev.loss,
                want, 0.0, EVAL_RTOL);
    double worst = 0.0;
    for (size_t l = 0; l < L; l++) {
        worst = fmax(worst, fabs(std[2 * l] - direct_std(big->net->cache[l]->z1)) / std[2 * l]);
        worst = fmax(worst, fabs(std[2 * l + 1] - direct_std(big->net->cache[l]->f)) / std[2 * l + 1]);
    }
    check_below(c, "response std (z1, F of every block) = direct two-pass std", worst, STD_RTOL);
    check_close(c, "probabilities of the last row", probs[2 * n - 1],
                gsl_matrix_get(big->probs, n - 1, 1), 0.0, EVAL_RTOL);
    classifier_free(big), classifier_free(cl);
    /* batch norm at init (gamma 1, beta 0): every z1 column has std sqrt(var / (var + eps)),
     * so the layer's std is just below 1 (Fig. 7 means something only after training) */
    m.net.bn = 1;
    cl = classifier_alloc(&m, 4, rng);
    rc = train_evaluate(cl, x, y, n, &ev, err, sizeof err);
    check_true(c, rc == 0 && std[0] < 1.0 && std[0] > 1.0 - 1e-3 && std[4] < 1.0 && std[4] > 1.0 - 1e-3,
               "batch norm at init: z1 response std %.9f, %.9f in (1 - 1e-3, 1)", std[0], std[4]);
    classifier_free(cl);
    gsl_rng_free(rng);
    free(x), free(y), free(probs);
}

int main(void)
{
    Check c = {0};
    test_classifier_passes_gradcheck(&c);
    test_gradcheck_catches_planted_bug(&c);
    test_sgd_matches_hand_computed_updates(&c);
    test_schedules_match_hand_computed(&c);
    test_training_learns_two_blobs(&c);
    test_same_seed_same_bytes(&c);
    test_plain_and_residual_start_alike(&c);
    test_bad_input_gives_a_message(&c);
    test_divergence_is_reported(&c);
    test_evaluate_chunks_equal_one_batch(&c);
    return check_done(&c);
}
