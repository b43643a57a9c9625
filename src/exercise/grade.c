/* grade.c: tensor-by-tensor grading of a student's gradients (see grade.h). */
#include "grade.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

const char *grade_verdict_name(GradeVerdict v)
{
    switch (v) {
    case GRADE_CORRECT: return "correct";
    case GRADE_NOT_CHECKED: return "not checked";
    case GRADE_SUSPECT: return "suspect";
    case GRADE_WRONG: return "wrong";
    case GRADE_NOT_IMPLEMENTED: return "not implemented";
    }
    return "?";
}

static size_t len_of(const ExcaseArray *a) { return (size_t)a->rows * a->cols; }

static int all_zero(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != 0.0) return 0;
    return 1;
}

/* max |a - b| / max(max |b|, max |ref|, DBL_MIN): how far a is from b, on ref's scale. */
static double rel_dist(const double *a, const double *b, const double *ref, size_t n)
{
    double d = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs(a[i] - b[i]));
        s = fmax(s, fmax(fabs(b[i]), fabs(ref[i])));
        if (isnan(a[i]) || isnan(b[i])) return INFINITY;
    }
    return d / fmax(s, 1e-300);
}

/* Runs d->backward with mistake m into fresh zeroed buffers (one per GRAD matrix, NULL for the
 * others); returns the buffers (free with free_grads), or NULL. *shows = 0 if m cannot show. */
static double **backward_into(const ExerciseDef *d, Excase *c, Mistake m, int *shows)
{
    double **out = calloc((size_t)c->count, sizeof *out);
    if (!out) return NULL;
    for (int i = 0; i < c->count; i++) {
        if (c->a[i].role != EXCASE_GRAD) continue;
        if (!(out[i] = calloc(len_of(&c->a[i]), sizeof(double)))) {
            for (int j = 0; j < i; j++) free(out[j]);
            free(out);
            return NULL;
        }
    }
    *shows = d->backward(c, m, out);
    return out;
}

static void free_grads(double **g, int n)
{
    if (!g) return;
    for (int i = 0; i < n; i++) free(g[i]);
    free(g);
}

int grade_draw_case(const ExerciseDef *d, Excase *c, int k, gsl_rng *rng, char *err,
                    size_t errlen)
{
    for (int tries = 0; tries < 100; tries++) {
        excase_free(c);
        int rc = d->make(c, k, rng);
        if (rc == RESLAB_ERR_INVALID) continue;             /* no kink-free draw: draw again */
        if (rc) return status_set(err, errlen, rc, "no memory for the exercise's test cases");
        d->forward(c);
        int shows, dead = 0;
        double **g = backward_into(d, c, MISTAKE_NONE, &shows);
        if (!g) return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the gradients");
        for (int i = 0; i < c->count; i++) {
            if (c->a[i].role != EXCASE_GRAD) continue;
            memcpy(c->a[i].ref, g[i], len_of(&c->a[i]) * sizeof(double));
            dead |= all_zero(g[i], len_of(&c->a[i]));
        }
        free_grads(g, c->count);
        if (!dead) return RESLAB_OK;
    }
    return status_set(err, errlen, RESLAB_ERR_INVALID,
                      "exercise %d, case %d: no draw in 100 gave a kink-free case with nonzero "
                      "gradients", d->number, k + 1);
}

void grade_init(Grade *g, const ExerciseDef *d, const Excase *c0, int ncases)
{
    memset(g, 0, sizeof *g);
    g->def = d;
    g->ncases = ncases;
    for (int i = 0; i < c0->count; i++) {
        if (c0->a[i].role != EXCASE_GRAD) continue;
        GradeTensor *t = &g->t[g->ntensors++];
        memcpy(t->name, c0->a[i].name, sizeof t->name);
        t->rows = c0->a[i].rows, t->cols = c0->a[i].cols;
        t->worst_case = -1;
    }
}

/* 1 and a message if a forward output of the student's differs from reslab's. */
static int forward_changed(Grade *g, const Excase *c, int k)
{
    for (int i = 0; i < c->count; i++) {
        const ExcaseArray *a = &c->a[i];
        if (a->role != EXCASE_FORWARD) continue;
        size_t n = len_of(a), worst = 0;
        double scale = 1.0, diff = 0.0;
        for (size_t j = 0; j < n; j++) scale = fmax(scale, fabs(a->ref[j]));
        for (size_t j = 0; j < n; j++) {
            double dj = fabs(a->value[j] - a->ref[j]);
            if (isnan(dj)) dj = INFINITY;
            if (dj > diff) diff = dj, worst = j;
        }
        if (diff > GRADE_FORWARD_TOL * scale) {
            snprintf(g->forward_msg, sizeof g->forward_msg,
                     "case %d (%s): %s(%zu, %zu) is %.10g, reslab's forward gives %.10g", k + 1,
                     c->shape, a->name, worst / a->cols, worst % a->cols, a->value[worst],
                     a->ref[worst]);
            return 1;
        }
    }
    return 0;
}

typedef struct {
    const ExerciseDef *d;
    Excase *c;
    int group;
} LossCtx;

static double loss_fn(void *ctx)
{
    LossCtx *l = ctx;
    return l->d->loss(l->c, l->group);
}

static void kinks_fn(void *ctx, unsigned char *pattern)
{
    LossCtx *l = ctx;
    memcpy(pattern, l->c->pattern, l->c->npattern);
}

/* Entries whose +-h step crosses a kink: the student's value must be reslab's (the convention
 * relu'(0) = 0). Returns 1 if one breaks it; the worst such entry becomes r's worst entry if it
 * is worse than what the central differences found. */
static int check_kinks(LossCtx *lc, double *value, const ExcaseArray *a, GradeCase *gc,
                       unsigned char *plus)
{
    Excase *c = lc->c;
    size_t n = len_of(a);
    double scale = 0.0;
    int broken = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(a->ref[i]));
    for (size_t i = 0; i < n; i++) {
        double saved = value[i];
        value[i] = saved + GRADCHECK_DEFAULT_STEP;
        lc->d->loss(c, lc->group);
        memcpy(plus, c->pattern, c->npattern);
        value[i] = saved - GRADCHECK_DEFAULT_STEP;
        lc->d->loss(c, lc->group);
        value[i] = saved;                                   /* restored exactly */
        if (memcmp(plus, c->pattern, c->npattern) == 0) continue;
        double s = a->value[i], r = a->ref[i], diff = fabs(s - r);
        if (diff <= GRADE_KINK_TOL * scale) continue;
        double rel = isnan(diff) ? INFINITY : diff / fmax(fmax(fabs(s), fabs(r)), 1e-300);
        broken = 1;
        if (rel > gc->r.worst_rel || gc->r.checked == 0) {
            gc->at_kink = 1;
            gc->r.worst_rel = rel, gc->r.worst_index = i;
            gc->r.worst_analytic = s, gc->r.worst_numeric = r;
        }
    }
    lc->d->loss(c, lc->group);
    return broken;
}

/* Grades one tensor (matrix index i of c, tensor t) in case k. */
static int grade_tensor(Grade *g, Excase *c, int k, int i, GradeTensor *t, char *err, size_t errlen)
{
    ExcaseArray *a = &c->a[i];
    GradeCase *gc = &t->cases[k];
    gc->run = 1;
    if (all_zero(a->value, len_of(a))) {                /* the right gradient is never zero */
        gc->verdict = GRADE_NOT_IMPLEMENTED;
        return RESLAB_OK;
    }
    LossCtx lc = {g->def, c, a->group};
    GradcheckTarget tg = {loss_fn, c->npattern ? kinks_fn : NULL, c->npattern, &lc};
    GradcheckTensor ts = {a->name, excase_data(c, a->wrt), a->value, len_of(a)};
    GradcheckOptions o = gradcheck_options_default();
    int rc = gradcheck_run(&tg, &ts, 1, &o, &gc->r, err, errlen);
    if (rc) return rc;
    int broken = 0;
    if (gc->r.kinks) {
        unsigned char *plus = malloc(c->npattern ? c->npattern : 1);
        if (!plus) return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for kink flags");
        broken = check_kinks(&lc, excase_data(c, a->wrt), a, gc, plus);
        free(plus);
    }
    gc->verdict = broken ? GRADE_WRONG
                : gc->r.verdict == GRADCHECK_OK ? GRADE_CORRECT
                : gc->r.verdict == GRADCHECK_SUSPECT ? GRADE_SUSPECT : GRADE_WRONG;
    return RESLAB_OK;
}

/* Compares every tensor with every imitated mistake of case k. */
static int grade_mistakes(Grade *g, Excase *c, int k, char *err, size_t errlen)
{
    for (const Mistake *m = g->def->mistakes; *m != MISTAKE_NONE; m++) {
        int shows = 0;
        double **v = backward_into(g->def, c, *m, &shows);
        if (!v) return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the hints");
        for (int i = 0, ti = 0; i < c->count && shows; i++) {
            const ExcaseArray *a = &c->a[i];
            if (a->role != EXCASE_GRAD) continue;
            GradeTensor *t = &g->t[ti++];
            if (t->cases[k].verdict == GRADE_NOT_IMPLEMENTED) continue;
            if (rel_dist(v[i], a->ref, a->ref, len_of(a)) <= GRADE_DIFFER_TOL) continue;
            t->differ[*m]++;
            if (rel_dist(a->value, v[i], a->ref, len_of(a)) <= GRADE_MATCH_TOL) t->match[*m]++;
        }
        free_grads(v, c->count);
    }
    return RESLAB_OK;
}

int grade_case(Grade *g, Excase *c, int k, char *err, size_t errlen)
{
    if (!c->done || k >= GRADE_MAX_CASES) return RESLAB_OK;        /* the run stopped before it */
    if (c->flags & EXCASE_FLAG_TODO) {
        g->todo = 1;
        for (int ti = 0; ti < g->ntensors; ti++)
            g->t[ti].cases[k] = (GradeCase){.run = 1, .verdict = GRADE_NOT_IMPLEMENTED};
        return RESLAB_OK;
    }
    if (g->forward_changed || forward_changed(g, c, k)) {
        g->forward_changed = 1;
        return RESLAB_OK;
    }
    for (int i = 0, ti = 0; i < c->count; i++) {
        if (c->a[i].role != EXCASE_GRAD) continue;
        int rc = grade_tensor(g, c, k, i, &g->t[ti++], err, errlen);
        if (rc) return rc;
    }
    return grade_mistakes(g, c, k, err, errlen);
}

void grade_finish(Grade *g)
{
    g->passed = 0;
    g->hints = 0;
    for (int ti = 0; ti < g->ntensors; ti++) {
        GradeTensor *t = &g->t[ti];
        GradeVerdict v = GRADE_CORRECT;
        double worst = -1.0;
        for (int k = 0; k < g->ncases && k < GRADE_MAX_CASES; k++) {
            const GradeCase *gc = &t->cases[k];
            GradeVerdict vk = gc->run ? gc->verdict : GRADE_NOT_CHECKED;
            if (vk > v) v = vk;
            if (gc->run && gc->verdict != GRADE_NOT_IMPLEMENTED && gc->r.checked + gc->at_kink > 0 &&
                gc->r.worst_rel > worst)
                worst = gc->r.worst_rel, t->worst_case = k;
        }
        t->hints = 0;
        for (int m = 1; m < MISTAKE_COUNT; m++)
            if (t->differ[m] > 0 && t->match[m] == t->differ[m]) t->hints |= 1u << m;
        if (t->hints && v < GRADE_WRONG) v = GRADE_WRONG;      /* it IS a known mistake */
        if (g->forward_changed && v == GRADE_CORRECT) v = GRADE_NOT_CHECKED;
        t->verdict = v;
        g->hints |= t->hints;
        g->passed += v == GRADE_CORRECT;
    }
}

const char *mistake_name(Mistake m)
{
    static const char *const names[MISTAKE_COUNT] = {
        [MISTAKE_NONE] = "none",
        [MISTAKE_SHORTCUT_MISSING] = "shortcut gradient missing",
        [MISTAKE_SHORTCUT_OVERWRITES] = "shortcut overwrote the branch",
        [MISTAKE_SHORTCUT_IDENTITY] = "identity instead of the projection",
        [MISTAKE_SHORTCUT_SKIPS_MASK] = "shortcut skips the ReLU after the sum",
        [MISTAKE_PREACT_MASKS_SHORTCUT] = "pre-activation mask on the shortcut",
        [MISTAKE_WEIGHT_TRANSPOSED] = "transposed weight gradient",
        [MISTAKE_RELU_GE] = "ReLU mask with >=",
        [MISTAKE_RELU_NO_MASK] = "ReLU mask from the output with >= (no mask)",
        [MISTAKE_RELU_OUTER_NO_MASK] = "outer ReLU not masked",
        [MISTAKE_RELU_OUTPUT_VALUE] = "ReLU output used as its derivative",
        [MISTAKE_BIAS_FIRST_ROW] = "bias gradient not summed over the batch (first row)",
        [MISTAKE_BIAS_LAST_ROW] = "bias gradient not summed over the batch (last row)",
        [MISTAKE_BATCH_TWICE] = "scaled by the batch size twice",
        [MISTAKE_BATCH_MISSING] = "mean over the batch missing",
        [MISTAKE_ONEHOT_MISSING] = "one-hot term missing",
        [MISTAKE_SIGN] = "wrong sign",
    };
    return m > MISTAKE_NONE && m < MISTAKE_COUNT ? names[m] : "none";
}

const char *mistake_hint(Mistake m)
{
    static const char *const hints[MISTAKE_COUNT] = {
        [MISTAKE_NONE] = "",
        [MISTAKE_SHORTCUT_MISSING] =
            "dX has only the gradient through F: the shortcut's term is missing. X is used twice "
            "(y = F(x) + x), so dL/dX is the SUM of the two paths: dX += dY through an identity "
            "shortcut (dY Ws through a projection), plus what flows back through F. If you did "
            "write it, a later `=` overwrote it: accumulate with +=.",
        [MISTAKE_SHORTCUT_OVERWRITES] =
            "dX has only the shortcut's term: the gradient through F was overwritten (a `dX = dY` "
            "after the branch's loop, or the branch never reached dX). The two contributions are "
            "ADDED: dX += ...",
        [MISTAKE_SHORTCUT_IDENTITY] =
            "dX's shortcut term is dY, as if the shortcut were the identity. Through the "
            "projection S(X) = X Ws^T it is dY Ws (and dWs = dY^T X).",
        [MISTAKE_SHORTCUT_SKIPS_MASK] =
            "the shortcut's term skips the ReLU after the sum. In post order x_{l+1} = relu(F + x_l): "
            "first dY = dx_{l+1} * [Y > 0], then dx_l = dY (shortcut) + the branch's share of dY.",
        [MISTAKE_PREACT_MASKS_SHORTCUT] =
            "the pre-activation mask [X > 0] was applied to the shortcut's term too. relu(X) is "
            "inside F; the shortcut reads the raw X, so dX = dY + (dA * [X > 0]) where dA is what "
            "comes back through W1.",
        [MISTAKE_WEIGHT_TRANSPOSED] =
            "a weight gradient is transposed: dW must have W's shape (fan_out, fan_in): "
            "dW = dZ^T X, entry (o, i) = sum over b of dZ[b][o] * X[b][i], not X^T dZ.",
        [MISTAKE_RELU_GE] =
            "the ReLU mask uses >=. At z = 0 exactly, reslab (like PyTorch) takes relu'(0) = 0, so "
            "the mask is [z > 0]: a unit sitting exactly at the kink passes no gradient.",
        [MISTAKE_RELU_NO_MASK] =
            "the ReLU passed every entry through: the mask is missing. A mask taken from the "
            "output with >= does that (relu(z) >= 0 always). Use [z > 0] on the input (on the "
            "output, only > 0 works).",
        [MISTAKE_RELU_OUTER_NO_MASK] =
            "the outer ReLU was not masked: the pre-activation relu(X) (exercise 5) or the ReLU "
            "after the sum (exercise 7) needs its mask [X > 0] / [Y > 0] too.",
        [MISTAKE_RELU_OUTPUT_VALUE] =
            "the ReLU's output was used as its derivative (dZ = dA * A). The derivative of "
            "relu is the 0/1 mask [z > 0], not relu(z).",
        [MISTAKE_BIAS_FIRST_ROW] =
            "the bias gradient is one example's (the first row of dZ), not summed over the "
            "batch: every example adds to it, db[j] = sum over b of dZ[b][j].",
        [MISTAKE_BIAS_LAST_ROW] =
            "the bias gradient is the last example's: `db[j] = dZ[b][j]` inside the loop over b "
            "overwrites instead of summing. db[j] = sum over b of dZ[b][j] (use +=).",
        [MISTAKE_BATCH_TWICE] =
            "the gradient is divided by the batch size B once too often. The loss's mean over "
            "the batch already put 1/B into the upstream gradient (dZ = (P - Y) / B in exercise "
            "6): every other gradient is a plain sum over the batch.",
        [MISTAKE_BATCH_MISSING] =
            "dZ is B times too large: the loss is the MEAN over the batch, so dZ = (P - Y) / B.",
        [MISTAKE_ONEHOT_MISSING] =
            "dZ = P / B: the -Y term from -log p[y] is missing. dZ = (P - Y) / B.",
        [MISTAKE_SIGN] = "dZ has the wrong sign: dZ = (P - Y) / B, not (Y - P) / B.",
    };
    return m > MISTAKE_NONE && m < MISTAKE_COUNT ? hints[m] : "";
}
