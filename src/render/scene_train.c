/* scene_train.c: the training scene (scene_train.h): a plain and a residual net training side by
 * side on the spirals; loss curves and decision regions.
 *
 * Legend: N training points (2-D), k classes, B batch, E epochs, spe steps per epoch, G grid
 * points per side, net 0 plain / 1 residual (SCENE_TRAIN_PLAIN, _RESIDUAL); fs the theme's font
 * size; the layout is made in scene_util_fit's rectangle and drawn scaled into r.
 * Two copies of every net's state: work (written by _compute only) and pub (written by _publish,
 * read by the draw and the accessors).
 */
#include "scene_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "scene_util.h"
#include "train_task.h"
#include "status.h"
#include "text.h"
#include "train.h"
#include "train_plot.h"

#define G SCENE_TRAIN_GRID
#define GRID_PAD 0.08         /* the grid extends the data's range by this share on each side */
#define LOSS_SHARE 0.32       /* of the body's width: the loss panel */
#define NB "\u00a0"

/* One net's state: what the draw needs. */
typedef struct {
    size_t step, epochs;      /* steps and epochs done */
    double err;               /* training error over the whole set at the last refresh */
    int diverged;
    char why[512];
    double *step_loss;        /* [total] */
    double *epoch_loss;       /* [E] */
    unsigned char *cls;       /* [G * G] predicted class, 255 for none */
    double *conf;             /* [G * G] largest probability */
} NetState;

struct SceneTrain {
    SceneParams p;
    Dataset d;                /* the spirals, standardised */
    size_t B, E, spe, total;
    double lo, hi;            /* the grid's range on both axes */
    double *grid;             /* (G * G, 2): row 0 of the grid at the top (largest x_2) */
    double *probs;            /* (G * G, k) scratch */
    Trainer *t[2];
    Classifier *ev[2];        /* inference twins of the models, batch TRAIN_EVAL_CHUNK */
    NetState work[2], pub[2];
    int fresh;                /* work's grids and errors are those of work's steps */
    int done;                 /* published: both nets finished or diverged */
};

/* ---- numerics ------------------------------------------------------------------------------ */

static int state_alloc(NetState *n, size_t total, size_t E)
{
    memset(n, 0, sizeof *n);
    n->err = NAN;
    n->step_loss = calloc(total + E + G * G, sizeof *n->step_loss);
    n->cls = malloc(G * G);
    if (!n->step_loss || !n->cls) return 0;
    n->epoch_loss = n->step_loss + total;
    n->conf = n->epoch_loss + E;
    memset(n->cls, 255, G * G);
    return 1;
}

static void state_free(NetState *n)
{
    free(n->step_loss);
    free(n->cls);
}

/* The grid's points and range: the larger side of the data's bounding box plus GRID_PAD. */
static int make_grid(SceneTrain *s)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < 2 * s->d.n; i++) lo = fmin(lo, s->d.x[i]), hi = fmax(hi, s->d.x[i]);
    double pad = GRID_PAD * (hi - lo), h;
    s->lo = lo - pad, s->hi = hi + pad, h = (s->hi - s->lo) / G;
    s->grid = malloc(2 * G * G * sizeof *s->grid);
    s->probs = malloc(G * G * s->d.classes * sizeof *s->probs);
    if (!s->grid || !s->probs) return 0;
    for (size_t i = 0; i < G; i++)
        for (size_t j = 0; j < G; j++) {
            s->grid[2 * (i * G + j)] = s->lo + ((double)j + 0.5) * h;       /* x_1, left to right */
            s->grid[2 * (i * G + j) + 1] = s->hi - ((double)i + 0.5) * h;   /* x_2, top to bottom */
        }
    return 1;
}

static ClassifierConfig model_config(const SceneTrain *s, int k)
{
    return train_task_model(&s->p.net, s->d.classes, k == SCENE_TRAIN_RESIDUAL);
}

static TrainConfig train_config(const SceneTrain *s)
{
    return train_task_config(s->B, s->E, s->p.seed);
}

/* Both trainers and inference twins, after checking their configs. */
static int build_nets(SceneTrain *s, char *err, size_t errlen)
{
    TrainConfig tc = train_config(s);
    for (int k = 0; k < 2; k++) {
        ClassifierConfig m = model_config(s, k);
        int rc = train_check(&m, &tc, s->d.x, s->d.y, s->d.n, err, errlen);
        if (rc) return rc;
        s->t[k] = trainer_alloc(&m, &tc, s->d.x, s->d.y, s->d.n);
        s->ev[k] = s->t[k] ? classifier_alloc_twin(s->t[k]->model, TRAIN_EVAL_CHUNK) : NULL;
        if (!s->ev[k]) return status_set(err, errlen, RESLAB_ERR_NOMEM, "train scene: out of memory");
    }
    s->spe = s->t[0]->steps_per_epoch;
    s->total = s->t[0]->total_steps;
    return RESLAB_OK;
}

/* The mean cross-entropy of logits Z (B, k) with labels y, as softmax.h computes it:
 * l_b = log sum_j exp(Z_bj - m_b) - (Z_{b,y_b} - m_b), m_b = max_j Z_bj (finite for any finite Z). */
static double batch_loss(const gsl_matrix *Z, const int *y)
{
    double sum = 0.0;
    for (size_t b = 0; b < Z->size1; b++) {
        const double *z = gsl_matrix_const_ptr(Z, b, 0);
        double m = z[0], e = 0.0;
        for (size_t j = 1; j < Z->size2; j++) m = fmax(m, z[j]);
        for (size_t j = 0; j < Z->size2; j++) e += exp(z[j] - m);
        sum += log(e) - (z[y[b]] - m);
    }
    return sum / (double)Z->size1;
}

/* One step of net k: the step's minibatch loss, and the epoch's mean loss when it ends one. */
static void step_net(SceneTrain *s, int k)
{
    Trainer *t = s->t[k];
    NetState *w = &s->work[k];
    int ended;
    if (trainer_step(t, &ended, w->why, sizeof w->why)) {
        w->diverged = 1;
        return;
    }
    w->step_loss[w->step] = batch_loss(t->model->logits, t->yb);
    w->step = t->step;
    if (ended) w->epoch_loss[w->epochs++] = trainer_last_epoch(t)->loss;
}

/* Net k on the training set (its error; batch norm frozen with the set's statistics) and on the
 * grid (class and confidence of every point). */
static void refresh(SceneTrain *s, int k)
{
    NetState *w = &s->work[k];
    TrainEval ev = {0};
    char err[256];
    size_t nk = s->d.classes;
    int rc = train_bn_freeze(s->ev[k], s->d.x, s->d.y, s->d.n, &ev, err, sizeof err);
    if (!rc) rc = train_predict(s->ev[k], s->grid, G * G, s->probs, err, sizeof err);
    w->err = rc ? NAN : 1.0 - ev.accuracy;
    for (size_t i = 0; i < G * G; i++) {
        const double *p = s->probs + i * nk;
        size_t best = 0;
        for (size_t c = 1; c < nk; c++) best = p[c] > p[best] ? c : best;
        w->cls[i] = rc || !isfinite(p[best]) ? 255 : (unsigned char)best;
        w->conf[i] = rc ? NAN : p[best];
    }
}

static int finished(const SceneTrain *s, int k)
{
    return s->work[k].diverged || trainer_done(s->t[k]);
}

int scene_train_step_compute(SceneTrain *s, size_t nsteps)
{
    if (finished(s, 0) && finished(s, 1) && s->fresh) return 1;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < nsteps && !finished(s, k); i++) step_net(s, k);
    for (int k = 0; k < 2; k++) refresh(s, k);
    s->fresh = 1;
    return 0;
}

static void copy_state(NetState *to, const NetState *from, size_t total, size_t E)
{
    to->step = from->step, to->epochs = from->epochs, to->err = from->err;
    to->diverged = from->diverged;
    memcpy(to->why, from->why, sizeof to->why);
    memcpy(to->step_loss, from->step_loss, (total + E + G * G) * sizeof *to->step_loss);
    memcpy(to->cls, from->cls, G * G);
}

void scene_train_step_publish(SceneTrain *s)
{
    for (int k = 0; k < 2; k++) copy_state(&s->pub[k], &s->work[k], s->total, s->E);
    s->done = finished(s, 0) && finished(s, 1) && s->fresh;
}

int scene_train_done(const SceneTrain *s) { return s->done; }
size_t scene_train_steps_per_epoch(const SceneTrain *s) { return s->spe; }
size_t scene_train_total_steps(const SceneTrain *s) { return s->total; }

static const NetState *pub(const SceneTrain *s, int k)
{
    return &s->pub[k == SCENE_TRAIN_PLAIN ? 0 : 1];
}

size_t scene_train_step(const SceneTrain *s, int k) { return pub(s, k)->step; }
size_t scene_train_epochs_done(const SceneTrain *s, int k) { return pub(s, k)->epochs; }
const double *scene_train_epoch_loss(const SceneTrain *s, int k) { return pub(s, k)->epoch_loss; }
const double *scene_train_step_loss(const SceneTrain *s, int k) { return pub(s, k)->step_loss; }
double scene_train_error(const SceneTrain *s, int k) { return pub(s, k)->err; }
const unsigned char *scene_train_grid_class(const SceneTrain *s, int k) { return pub(s, k)->cls; }
const double *scene_train_grid_conf(const SceneTrain *s, int k) { return pub(s, k)->conf; }

int scene_train_diverged(const SceneTrain *s, int k, const char **why)
{
    if (why) *why = pub(s, k)->diverged ? pub(s, k)->why : "";
    return pub(s, k)->diverged;
}

SceneTrain *scene_train_alloc(const SceneParams *p, char *err, size_t errlen)
{
    SceneTrain *s = calloc(1, sizeof *s);
    if (!s) {
        status_set(err, errlen, RESLAB_ERR_NOMEM, "train scene: out of memory");
        return NULL;
    }
    s->p = *p;
    s->B = p->batch > SCENE_TRAIN_MIN_BATCH ? p->batch : SCENE_TRAIN_MIN_BATCH;
    s->E = p->epochs ? p->epochs : SCENE_TRAIN_EPOCHS;
    int rc = train_task_data(&s->d, err, errlen);
    if (!rc && s->E > 100000) rc = status_set(err, errlen, RESLAB_ERR_INVALID, "train scene: at most "
                                              "100000 epochs, not %zu", s->E);
    if (!rc) rc = build_nets(s, err, errlen);
    int ok = !rc && make_grid(s);
    for (int k = 0; ok && k < 2; k++)
        ok = state_alloc(&s->work[k], s->total, s->E) && state_alloc(&s->pub[k], s->total, s->E);
    if (!rc && !ok) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "train scene: out of memory");
    if (!rc) {                              /* all steps (render), or none: the grids of step 0 */
        scene_train_step_compute(s, p->untrained ? 0 : s->total);
        scene_train_step_publish(s);
    }
    if (rc) {
        scene_train_free(s);
        return NULL;
    }
    return s;
}

void scene_train_free(SceneTrain *s)
{
    if (!s) return;
    for (int k = 0; k < 2; k++) {
        classifier_free(s->ev[k]);          /* the twin first: it borrows the model's weights */
        trainer_free(s->t[k]);
        state_free(&s->work[k]);
        state_free(&s->pub[k]);
    }
    dataset_free(&s->d);
    free(s->grid);
    free(s->probs);
    free(s);
}

/* ---- words --------------------------------------------------------------------------------- */

static const char *title_text(SceneLang lang)
{
    return scene_util_tr(lang, "Training a plain and a residual net side by side",
                         "普通网络与残差网络并排训练");
}

/* The parameter line under the title (Pango markup). */
static void sub_text(const SceneTrain *s, SceneLang lang, char *buf, size_t len)
{
    const NetConfig *c = &s->p.net;
    size_t step = s->pub[0].step > s->pub[1].step ? s->pub[0].step : s->pub[1].step;
    size_t epoch = s->pub[0].epochs > s->pub[1].epochs ? s->pub[0].epochs : s->pub[1].epochs;
    int zh = lang == SCENE_LANG_ZH;
    snprintf(buf, len, zh ? "深度" NB "<b>%zu</b>   宽度" NB "%zu   %s   批归一化" NB "%s   螺旋数据"
                            "（<i>N</i>" NB "=" NB "%zu，%d" NB "臂）   <i>B</i>" NB "=" NB "%zu   学习率"
                            NB "%g   种子" NB "%lu   第" NB "<b>%zu</b>" NB "/" NB "%zu" NB "轮   第" NB
                            "<b>%zu</b>" NB "/" NB "%zu" NB "步"
                          : "depth" NB "<b>%zu</b>   width" NB "%zu   %s   batch" NB "norm" NB "%s   "
                            "spirals" NB "(<i>N</i>" NB "=" NB "%zu," NB "%d" NB "arms)   <i>B</i>" NB "="
                            NB "%zu   lr" NB "%g   seed" NB "%lu   epoch" NB "<b>%zu</b>" NB "/" NB "%zu"
                            "   step" NB "<b>%zu</b>" NB "/" NB "%zu",
             c->depth, c->width, zh ? (c->order == ORDER_PRE ? "预激活" : "后激活")
                                    : (c->order == ORDER_PRE ? "pre" NB "order" : "post" NB "order"),
             c->bn ? (zh ? "开" : "on") : (zh ? "关" : "off"), s->d.n, SCENE_TRAIN_ARMS, s->B,
             SCENE_TRAIN_LR, s->p.seed, epoch, s->E, step, s->total);
}

static void note_text(SceneLang lang, char *buf, size_t len)
{
    snprintf(buf, len, scene_util_tr(lang,
        "Loss: the minibatch loss of every step (thin) and its mean over each epoch (thick), log scale. "
        "Maps: the class each net predicts on a %d × %d grid (batch norm with the training set's "
        "population statistics), paler where it is less sure; dots: the training points in their "
        "class's colour.",
        "损失：每一步的小批量损失（细线）及每轮的平均（粗线），对数刻度。图：每个网络在 %d × %d "
        "网格上预测的类别（批归一化使用训练集的总体统计量），越淡表示越不确定；圆点：训练点，颜色为其类别。"),
        G, G);
}

static const char *map_name(int k, SceneLang lang)
{
    return k == SCENE_TRAIN_PLAIN ? scene_util_tr(lang, "Plain net", "普通网络")
                                  : scene_util_tr(lang, "Residual net", "残差网络");
}

/* The second line of a map's title: the net's training error, or where it diverged. */
static void map_status(const SceneTrain *s, int k, SceneLang lang, char *buf, size_t len)
{
    const NetState *n = &s->pub[k];
    if (n->diverged)
        snprintf(buf, len, scene_util_tr(lang, "diverged at step %zu", "第 %zu 步发散"), n->step + 1);
    else if (isnan(n->err))
        snprintf(buf, len, "%s", scene_util_tr(lang, "training error: –", "训练误差：–"));
    else
        snprintf(buf, len, scene_util_tr(lang, "training error %.1f %%", "训练误差 %.1f%%"), 100.0 * n->err);
}

/* ---- layout -------------------------------------------------------------------------------- */

static void loss_axes(const SceneTrain *s, SceneLang lang, Rect outer, PlotAxes *ax)
{
    memset(ax, 0, sizeof *ax);
    ax->outer = outer;
    ax->title = scene_util_tr(lang, "Training loss", "训练损失");
    ax->x = (PlotAxis){PLOT_LINEAR, 0, (double)s->E, scene_util_tr(lang, "epoch", "轮"), 0, {0}};
    ax->y = (PlotAxis){PLOT_LOG10, NAN, NAN, scene_util_tr(lang, "cross-entropy", "交叉熵"), 0, {0}};
    for (int k = 0; k < 2; k++) plot_range_include(&ax->y, s->pub[k].step_loss, s->pub[k].step);
    plot_range_finish(&ax->y);
}

/* A square frame: shrink the panel along its longer side until plot_layout's frame is square. */
static void square_map(cairo_t *cr, const Theme *t, PlotAxes *ax)
{
    plot_layout(cr, t, ax);
    double d = ax->frame.w - ax->frame.h;
    if (d > 0) ax->outer.x += d / 2, ax->outer.w -= d;
    else ax->outer.h += d;
    plot_layout(cr, t, ax);
}

static void map_axes(const SceneTrain *s, cairo_t *cr, const Theme *t, Rect outer, PlotAxes *ax)
{
    memset(ax, 0, sizeof *ax);
    ax->outer = outer;
    ax->title = NB "\n" NB;                 /* room for two lines, drawn by hand (they change) */
    ax->hide_grid = 1;
    ax->x = (PlotAxis){PLOT_LINEAR, s->lo, s->hi, "<i>x</i><sub>1</sub>", 0, {0}};
    ax->y = (PlotAxis){PLOT_LINEAR, s->lo, s->hi, "<i>x</i><sub>2</sub>", 0, {0}};
    double h = outer.h;
    square_map(cr, t, ax);
    ax->outer.y += (h - ax->outer.h) / 2;  /* centred in the column */
    plot_layout(cr, t, ax);
}

/* The layout in the fitted rectangle fig; *note gets the note's rectangle. */
static void layout_fig(const SceneTrain *s, cairo_t *cr, Rect fig, const Theme *t, SceneLang lang,
                       SceneTrainLayout *L, Rect *note)
{
    char sub[1024], nt[1024];
    sub_text(s, lang, sub, sizeof sub);
    note_text(lang, nt, sizeof nt);
    Rect body = scene_util_page(cr, t, fig, title_text(lang), sub, nt, &L->header, note);
    double fs = t->font_size;
    Rect left = layout_cut_left(&body, body.w * LOSS_SHARE), maps[2];
    layout_cut_left(&body, 1.5 * fs);
    layout_split_cols(body, 2, 1.5 * fs, maps);
    loss_axes(s, lang, left, &L->loss);
    plot_layout(cr, t, &L->loss);
    for (int k = 0; k < 2; k++) map_axes(s, cr, t, maps[k], &L->map[k]);
}

void scene_train_layout(const SceneTrain *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang,
                        SceneTrainLayout *out)
{
    Rect fig, note;
    double k = scene_util_fit(r, t, &fig);
    layout_fig(s, cr, fig, t, lang, out, &note);
    out->header = scene_util_to_caller(out->header, r, k);
    scene_util_axes_to_caller(&out->loss, r, k);
    for (int i = 0; i < 2; i++) scene_util_axes_to_caller(&out->map[i], r, k);
}

/* ---- drawing ------------------------------------------------------------------------------- */

static void draw_loss(const SceneTrain *s, cairo_t *cr, const Theme *t, SceneLang lang, const PlotAxes *ax)
{
    plot_draw_axes(cr, t, ax);
    Theme thin = *t;
    thin.line_width = 0.3 * t->line_width;
    double *x = malloc((s->total + s->E) * sizeof *x), *xe = x ? x + s->total : NULL;
    for (size_t i = 0; x && i < s->total; i++) x[i] = (double)(i + 1) / (double)s->spe;
    for (size_t e = 0; x && e < s->E; e++) xe[e] = (double)(e + 1);
    for (int k = 1; x && k >= 0; k--) {
        const NetState *n = &s->pub[k];
        Rgb c = k == SCENE_TRAIN_PLAIN ? t->plain : t->residual;
        plot_line(cr, &thin, ax, x, n->step_loss, n->step, rgb_mix(c, t->background, 0.35), PLOT_SOLID);
        plot_line(cr, t, ax, xe, n->epoch_loss, n->epochs, c, k == SCENE_TRAIN_PLAIN ? PLOT_DASHED : PLOT_SOLID);
        plot_markers(cr, t, ax, xe, n->epoch_loss, n->epochs, c,
                     k == SCENE_TRAIN_PLAIN ? PLOT_MARKER_CIRCLE : PLOT_MARKER_SQUARE);
    }
    free(x);
    PlotLegendEntry e[2] = {
        {scene_util_tr(lang, "plain", "普通网络"), t->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE, PLOT_LEGEND_LINE},
        {scene_util_tr(lang, "residual", "残差网络"), t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, PLOT_LEGEND_LINE}};
    plot_legend(cr, t, ax, e, 2, PLOT_LEGEND_SW);
}

static void draw_map(const SceneTrain *s, cairo_t *cr, const Theme *t, SceneLang lang, const PlotAxes *ax, int k)
{
    char status[256];
    const NetState *n = &s->pub[k];
    train_plot_regions(cr, t, ax, n->cls, n->conf, G, s->d.classes, s->d.x, s->d.y, s->d.n);
    plot_draw_axes(cr, t, ax);
    map_status(s, k, lang, status, sizeof status);
    double cx = ax->frame.x + ax->frame.w / 2;
    TextStyle st = text_style(t, 1.0);
    st.halign = TEXT_CENTER;
    st.valign = TEXT_BOTTOM;
    st.max_width = ax->outer.w;
    TextExtent e;
    text_draw(cr, cx, ax->frame.y - 0.4 * t->font_size, status, &st, &e);
    st = text_style(t, PLOT_TITLE_SCALE);
    st.bold = 1;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_BOTTOM;
    st.max_width = ax->outer.w;
    st.colour = scene_util_text_colour(t, k == SCENE_TRAIN_PLAIN ? t->plain : t->residual);
    text_draw(cr, cx, e.y - 0.1 * t->font_size, map_name(k, lang), &st, NULL);
}

void scene_train_draw(const SceneTrain *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang)
{
    Rect fig, note;
    char sub[1024], nt[1024];
    scene_util_begin(cr, r, t, &fig);
    SceneTrainLayout L;
    layout_fig(s, cr, fig, t, lang, &L, &note);
    sub_text(s, lang, sub, sizeof sub);
    note_text(lang, nt, sizeof nt);
    scene_util_header(cr, t, L.header, title_text(lang), sub, 1);
    TextStyle st = scene_util_note_style(t, note.w);
    text_draw(cr, note.x, note.y, nt, &st, NULL);
    draw_loss(s, cr, t, lang, &L.loss);
    for (int k = 0; k < 2; k++) draw_map(s, cr, t, lang, &L.map[k], k);
    cairo_restore(cr);
}
