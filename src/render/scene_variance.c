/* scene_variance.c: the variance scene (scene_variance.h): q_l = E x_l^2 by layer, measured and
 * predicted, for a plain net and its residual twin; the response std per block; a theory note.
 *
 * Legend: B batch (at least SCENE_VARIANCE_MIN_BATCH), n width, L depth, l a layer 0..L (block l
 * makes x_l), k a net (SCENE_VARIANCE_PLAIN, _RESIDUAL), f_l the predicted factor
 * E q_l / E q_{l-1}; fs the theme's base font size; drawing in logical units.
 */
#include "scene_variance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "scene_depth.h"
#include "scene_util.h"
#include "status.h"
#include "text.h"

#define TITLE_SCALE 1.5
#define PARAM_SCALE 1.2
#define NOTE_SCALE 0.9
#define LEFT_SHARE 0.58      /* of the body's width: the q panel */
#define MARKERS 26           /* at most this many markers per measured curve */
#define TEXT_MAX 2048

struct SceneVariance {
    SceneParams p;           /* p.batch: the batch used */
    size_t L, nm;            /* depth; markers per curve */
    StatsLayer *layers[2];   /* [k][L + 1], NULL if net k is not shown */
    double *q[2];            /* [k][L + 1] q_l as drawn: NaN (overflow) as +inf */
    double *pred[2];         /* [k][L + 1] q_0 f_1 .. f_l, NaN where the theory has none */
    double *f[2];            /* [k][L] f_l in [l - 1] */
    double *resp[2];         /* [k][L] std of F of block l in [l - 1] */
    double *rplot[2];        /* [k][L] the same as drawn: NaN as +inf */
    double *rx;              /* [L] 1 .. L */
    double *mx[2], *mq[2];   /* [k][nm] the markers of q: layer, value */
    double *mrx[2], *mr[2];  /* [k][nm] the markers of the response: block, value */
};

/* ---- numerics ----------------------------------------------------------------------------- */

static int alloc_net_arrays(SceneVariance *s, int k)
{
    size_t L = s->L, nm = s->nm;
    s->layers[k] = calloc(L + 1, sizeof *s->layers[k]);
    s->q[k] = calloc(2 * (L + 1) + 3 * L + 4 * nm, sizeof *s->q[k]);   /* one block for the rest */
    if (!s->layers[k] || !s->q[k]) return 0;
    s->pred[k] = s->q[k] + L + 1;
    s->f[k] = s->pred[k] + L + 1;
    s->resp[k] = s->f[k] + L;
    s->rplot[k] = s->resp[k] + L;
    s->mx[k] = s->rplot[k] + L;
    s->mq[k] = s->mx[k] + nm;
    s->mrx[k] = s->mq[k] + nm;
    s->mr[k] = s->mrx[k] + nm;
    return 1;
}

/* Net k's statistics after its forward pass on X, and what the theory predicts for it. */
static void measure(SceneVariance *s, int k, Net *net, const gsl_matrix *X)
{
    size_t L = s->L;
    net_forward(net, X);
    stats_layers(net, s->layers[k]);
    stats_response_std(net, s->resp[k]);
    NetConfig cfg = s->p.net;
    if (k == SCENE_VARIANCE_PLAIN) cfg.shortcut = SHORTCUT_NONE;   /* the twin's law */
    stats_predicted_factors(&cfg, s->f[k]);
    s->pred[k][0] = s->layers[k][0].q;
    for (size_t l = 1; l <= L; l++) s->pred[k][l] = s->pred[k][l - 1] * s->f[k][l - 1];
    for (size_t l = 0; l <= L; l++)
        s->q[k][l] = isnan(s->layers[k][l].q) ? INFINITY : s->layers[k][l].q;
    for (size_t l = 0; l < L; l++) s->rplot[k][l] = isnan(s->resp[k][l]) ? INFINITY : s->resp[k][l];
    /* evenly spread markers; the plain net's half a step later, so that where the two curves
     * coincide (batch norm fixes std F = 1 in both) circles and squares alternate */
    double step = s->nm > 1 ? (double)L / (double)(s->nm - 1) : 0;
    double phase = k == SCENE_VARIANCE_PLAIN && s->nm < L + 1 ? 0.5 : 0;
    for (size_t i = 0; i < s->nm; i++) {
        size_t l = (size_t)fmin((double)L, floor((i + phase) * step + 0.5)), b = l ? l : 1;
        s->mx[k][i] = (double)l, s->mq[k][i] = s->q[k][l];
        s->mrx[k][i] = (double)b, s->mr[k][i] = s->rplot[k][b - 1];
    }
}

/* The nets as `reslab flow --stats` builds them (weights, dropout mask, X from one rng), and
 * the statistics of the shown ones. 0 if out of memory. */
static int compute(SceneVariance *s)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 0;
    gsl_rng_set(rng, s->p.seed);
    Net *res = net_alloc(&s->p.net, s->p.batch, rng), *plain = NULL;
    gsl_matrix *X = NULL;
    if (res) {
        net_dropout_draw(res, rng);
        X = gsl_matrix_alloc(s->p.batch, net_input_width(res));
        for (size_t b = 0; X && b < X->size1; b++)
            for (size_t j = 0; j < X->size2; j++) gsl_matrix_set(X, b, j, gsl_ran_gaussian(rng, 1.0));
    }
    if (X) plain = net_alloc_twin(res, SHORTCUT_NONE);
    if (plain)
        for (int k = 0; k < 2; k++)
            if (s->layers[k]) measure(s, k, k == SCENE_VARIANCE_PLAIN ? plain : res, X);
    int ok = plain != NULL;
    net_free(plain);                            /* the twin first: it borrows res's weights */
    net_free(res);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
    return ok;
}

SceneVariance *scene_variance_alloc(const SceneParams *p, char *err, size_t errlen)
{
    NetConfig cfg = p->net;
    cfg.param_grads = 0;
    size_t B = p->batch > SCENE_VARIANCE_MIN_BATCH ? p->batch : SCENE_VARIANCE_MIN_BATCH;
    if (net_config_check(&cfg, B, RESLAB_MEMORY_LIMIT, err, errlen)) return NULL;
    if (p->show < 1 || p->show > SCENE_SHOW_BOTH) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "variance scene: show must be 1 (plain), 2 "
                   "(residual) or 3 (both), not %d", p->show);
        return NULL;
    }
    SceneVariance *s = calloc(1, sizeof *s);
    int ok = s != NULL;
    if (ok) {
        s->p = *p;
        s->p.net = cfg;
        s->p.batch = B;
        s->L = cfg.depth;
        s->nm = s->L + 1 < MARKERS ? s->L + 1 : MARKERS;
        s->rx = malloc(s->L * sizeof *s->rx);
        ok = s->rx != NULL;
        for (size_t l = 0; ok && l < s->L; l++) s->rx[l] = (double)(l + 1);
    }
    for (int k = 0; ok && k < 2; k++)
        if (p->show & (k == SCENE_VARIANCE_PLAIN ? SCENE_SHOW_PLAIN : SCENE_SHOW_RESIDUAL))
            ok = alloc_net_arrays(s, k);
    if (ok) ok = compute(s);
    if (!ok) {
        scene_variance_free(s);
        status_set(err, errlen, RESLAB_ERR_NOMEM, "variance scene: out of memory");
        return NULL;
    }
    return s;
}

void scene_variance_free(SceneVariance *s)
{
    if (!s) return;
    for (int k = 0; k < 2; k++) {
        free(s->layers[k]);
        free(s->q[k]);
    }
    free(s->rx);
    free(s);
}

size_t scene_variance_batch(const SceneVariance *s) { return s->p.batch; }

const StatsLayer *scene_variance_layers(const SceneVariance *s, int k)
{
    return k >= 0 && k < 2 ? s->layers[k] : NULL;
}

const double *scene_variance_predicted(const SceneVariance *s, int k)
{
    return k >= 0 && k < 2 && s->layers[k] ? s->pred[k] : NULL;
}

const double *scene_variance_response(const SceneVariance *s, int k)
{
    return k >= 0 && k < 2 && s->layers[k] ? s->resp[k] : NULL;
}

/* ---- words -------------------------------------------------------------------------------- */

/* 1 if the theory predicts net k's growth (its factors are NaN otherwise). */
static int predicts(const SceneVariance *s, int k)
{
    return s->layers[k] && !isnan(s->f[k][s->L - 1]);
}

/* v as Pango markup with three significant digits: 3.77, 2.4×10<sup>12</sup>, ∞. */
static const char *num(double v, char buf[64])
{
    if (isinf(v)) return v > 0 ? "∞" : "−∞";
    if (isnan(v)) return "NaN";
    if (v == 0 || (fabs(v) >= 1e-3 && fabs(v) < 1e5)) {
        snprintf(buf, 64, fabs(v) < 1000 ? "%.3g" : "%.0f", v);    /* 3768, not 3.77e+03 */
        return buf;
    }
    int e = (int)floor(log10(fabs(v)));
    double m = v / pow(10, e);
    if (fabs(m) >= 9.995) m /= 10, e++;          /* 9.999e12 prints as 1.00×10^13, not 10.0 */
    snprintf(buf, 64, "%.3g×10<sup>%s%d</sup>", m, e < 0 ? "−" : "", abs(e));
    return buf;
}

static const char *figure_title(SceneLang lang)
{
    return scene_util_tr(lang, "Variance by depth: measured and predicted", "方差随深度的变化：测得与预测");
}

/* What the theory says about the residual net of this config (one or two sentences). */
static void note_residual(const SceneVariance *s, SceneLang lang, char *buf, size_t len)
{
    const NetConfig *c = &s->p.net;
    double f1 = s->f[SCENE_VARIANCE_RESIDUAL][0], fL = s->f[SCENE_VARIANCE_RESIDUAL][s->L - 1];
    char a[64], b[64];
    if (isnan(fL) && c->bn)
        scene_util_cat(buf, len, "%s ", scene_util_tr(lang, "Batch norm fixes the scale of <i>F</i>, so <i>q</i> grows by "
            "about a constant per block: linear growth, not exponential (no factor to predict).",
            "批归一化固定了 <i>F</i> 的尺度，<i>q</i> 每块大约增加一个常数：线性增长，而非指数增长"
            "（没有可预测的倍数）。"));
    else if (isnan(fL))
        scene_util_cat(buf, len, "%s ", scene_util_tr(lang, "No closed-form prediction for this configuration (tanh, "
            "biases, gates or dropout).", "此配置没有闭式预测（tanh、偏置、门控或 dropout）。"));
    else if (c->zero_last)
        scene_util_cat(buf, len, scene_util_tr(lang, "<i>F</i> = 0 at init: every block is its shortcut, <i>q</i> ×\u00a0%s "
            "per block. ", "<i>F</i> 初始为 0：每个块就是它的捷径，<i>q</i> 每块 ×%s。"), num(fL, a));
    else if (c->shortcut == SHORTCUT_IDENTITY && c->order == ORDER_PRE && c->branch_scale == 1.0)
        scene_util_cat(buf, len, scene_util_tr(lang, "Pre order: <i>q</i> ×\u00a0%s per block (1 + <i>c</i>²), so a shortcut "
            "alone does not stop the growth; a branch scale <i>c</i> = 1/√<i>L</i> or batch norm "
            "does. ", "预激活：<i>q</i> 每块 ×%s（1 + <i>c</i>²），所以仅有捷径并不能阻止增长；"
            "分支缩放 <i>c</i> = 1/√<i>L</i> 或批归一化可以。"), num(fL, a));
    else if (c->shortcut == SHORTCUT_IDENTITY && c->order == ORDER_PRE)
        scene_util_cat(buf, len, scene_util_tr(lang, "Pre order: <i>q</i> ×\u00a0%s per block (1 + <i>c</i>², <i>c</i> = %s); "
            "with <i>c</i> = 1/√<i>L</i> the whole net multiplies <i>q</i> by (1 + 1/<i>L</i>)"
            "<sup><i>L</i></sup> &lt; e. ", "预激活：<i>q</i> 每块 ×%s（1 + <i>c</i>²，<i>c</i> = %s）；"
            "取 <i>c</i> = 1/√<i>L</i> 时，整个网络使 <i>q</i> 乘以 (1 + 1/<i>L</i>)<sup><i>L</i></sup>"
            " &lt; e。"), num(fL, a), num(c->branch_scale, b));
    else if (c->shortcut == SHORTCUT_IDENTITY)
        scene_util_cat(buf, len, scene_util_tr(lang, "Post order: <i>q</i> ×\u00a0%s in block 1, then about ×\u00a0%s per block "
            "(the ReLU after the sum keeps the stream non-negative). ", "后激活：<i>q</i> 在第 1 块"
            " ×%s，之后每块约 ×%s（相加之后的 ReLU 使残差流保持非负）。"), num(f1, a), num(fL, b));
    else
        scene_util_cat(buf, len, scene_util_tr(lang, "Residual net: <i>q</i> ×\u00a0%s per block. ", "残差网络：<i>q</i> "
            "每块 ×%s。"), num(fL, a));
    double total = s->pred[SCENE_VARIANCE_RESIDUAL][s->L] / s->pred[SCENE_VARIANCE_RESIDUAL][0];
    if (isinf(total))
        scene_util_cat(buf, len, scene_util_tr(lang, "Over %zu blocks the predicted <i>q</i><sub><i>L</i></sub> is more "
            "than a double holds. ", "%zu 个块后，预测的 <i>q</i><sub><i>L</i></sub> 超出了双精度"
            "浮点数的范围。"), s->L);
    else if (!isnan(total))
        scene_util_cat(buf, len, scene_util_tr(lang, "Over %zu blocks: <i>q</i><sub><i>L</i></sub> / <i>q</i><sub>0</sub>"
            " = %s. ", "%zu 个块后：<i>q</i><sub><i>L</i></sub> / <i>q</i><sub>0</sub> = %s。"),
            s->L, num(total, a));
}

/* The note under the response panel (Pango markup). */
static void note_text(const SceneVariance *s, SceneLang lang, char *buf, size_t len)
{
    buf[0] = '\0';
    scene_util_cat(buf, len, scene_util_tr(lang, "Statistics over a batch of <i>B</i> = %zu (at least %d, for smooth "
        "curves). ", "统计量取自批量 <i>B</i> = %zu（至少 %d，曲线才平滑）。"), s->p.batch,
        SCENE_VARIANCE_MIN_BATCH);
    if (predicts(s, SCENE_VARIANCE_PLAIN) || predicts(s, SCENE_VARIANCE_RESIDUAL))
        scene_util_cat(buf, len, scene_util_tr(lang, "Dashed: the mean-field prediction, an expectation over the weights; "
            "at width %zu a measured ratio <i>q</i><sub><i>l</i></sub> / <i>q</i><sub><i>l</i>−1</sub>"
            " scatters by about 1/√<i>n</i>, and averaged over seeds log <i>q</i> runs a little below it. ", "虚线："
            "平均场预测，即对权重的期望；宽度为 %zu 时，测得的比值 <i>q</i><sub><i>l</i></sub> / "
            "<i>q</i><sub><i>l</i>−1</sub> 约有 1/√<i>n</i> 的波动，对多个种子平均，log <i>q</i> 略低于预测。"),
            s->p.net.width);
    char a[64];
    if (s->layers[SCENE_VARIANCE_RESIDUAL]) note_residual(s, lang, buf, len);
    double fp = s->layers[SCENE_VARIANCE_PLAIN] ? s->f[SCENE_VARIANCE_PLAIN][s->L - 1] : NAN;
    if (fp == 1.0)
        scene_util_cat(buf, len, "%s ", scene_util_tr(lang, "Plain twin: ×\u00a01 per block, He init keeps <i>q</i>.",
                                                      "普通网络：每块 ×1，He 初始化使 <i>q</i> 保持不变。"));
    else if (!isnan(fp))
        scene_util_cat(buf, len, scene_util_tr(lang, "Plain twin: <i>q</i> ×\u00a0%s per block. ",
                                               "普通网络：<i>q</i> 每块 ×%s。"), num(fp, a));
    scene_util_cat(buf, len, "%s", scene_util_tr(lang, "Response std: He et al. (2015, Fig. 7) plot it after training; "
        "here it is at initialisation.", "响应标准差：He 等人（2015，图 7）画的是训练后的值，"
        "这里是初始化时的值。"));
}

/* ---- layout ------------------------------------------------------------------------------- */

static int any_offscale(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(v[i] > 0) || isinf(v[i])) return 1;
    return 0;
}


/* Legend entries: per shown net, measured (solid, markers) and predicted (dashed, if any), then
 * the overflow mark if a curve has one. Returns the count (at most 5). */
static int legend_entries(const SceneVariance *s, const Theme *t, SceneLang lang, PlotLegendEntry *e)
{
    static const char *label[2][2][2] = {
        {{"plain, measured", "plain, predicted"}, {"residual, measured", "residual, predicted"}},
        {{"普通网络，测得", "普通网络，预测"}, {"残差网络，测得", "残差网络，预测"}}};
    int n = 0, off = 0, zh = lang == SCENE_LANG_ZH;
    for (int k = 1; k >= 0; k--) {
        if (!s->layers[k]) continue;
        Rgb c = k == SCENE_VARIANCE_PLAIN ? t->plain : t->residual;
        PlotMarker m = k == SCENE_VARIANCE_PLAIN ? PLOT_MARKER_CIRCLE : PLOT_MARKER_SQUARE;
        e[n++] = (PlotLegendEntry){label[zh][k][0], c, PLOT_SOLID, m, PLOT_LEGEND_LINE};
        if (predicts(s, k))
            e[n++] = (PlotLegendEntry){label[zh][k][1], c, PLOT_DASHED, PLOT_MARKER_NONE,
                                       PLOT_LEGEND_LINE};
        off |= any_offscale(s->q[k], s->L + 1) || any_offscale(s->rplot[k], s->L);
    }
    if (off)
        e[n++] = (PlotLegendEntry){scene_util_tr(lang, "off scale: 0, ±inf, NaN", "超出范围：0、±inf、NaN"),
                                   t->overflow, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_OVERFLOW};
    return n;
}

/* A log axis over v[k][0 .. n-1] and (if w is not NULL) w[k][0 .. n-1] of the shown nets k,
 * with a little room above and below. */
static void log_range(PlotAxis *y, const SceneVariance *s, double *const v[2], double *const w[2],
                      size_t n)
{
    y->scale = PLOT_LOG10;
    y->lo = y->hi = NAN;
    for (int k = 0; k < 2; k++) {
        if (!s->layers[k]) continue;
        plot_range_include(y, v[k], n);
        if (w) plot_range_include(y, w[k], n);
    }
    if (plot_range_valid(y)) {
        double pad = pow(10, fmax(0.2, 0.03 * (log10(y->hi) - log10(y->lo))));
        y->lo = y->lo / pad > 0 ? y->lo / pad : y->lo;
        y->hi = isfinite(y->hi * pad) ? y->hi * pad : y->hi;
    }
    plot_range_finish(y);
}

static TextStyle note_style(const Theme *t, double width)
{
    TextStyle st = text_style(t, NOTE_SCALE);
    st.markup = 1;
    st.max_width = width;
    st.colour = t->foreground;
    return st;
}

static void header_rect(const SceneVariance *s, cairo_t *cr, const Theme *t, SceneLang lang,
                        Rect *page, SceneVarianceLayout *out)
{
    char head[TEXT_MAX];
    scene_depth_params_text(&s->p, 0, s->p.batch, lang, head, sizeof head);
    TextStyle st = text_style(t, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = page->w;
    TextExtent a, b;
    text_measure(cr, figure_title(lang), &st, &a);
    st = text_style(t, PARAM_SCALE);
    st.markup = 1;
    st.max_width = page->w;
    text_measure(cr, head, &st, &b);
    out->header = layout_cut_top(page, a.h + 0.25 * t->font_size + b.h + 0.6 * t->font_size);
}

/* The layout for a theme already fitted to r (scene_depth_fit_theme). */
static void layout_fitted(const SceneVariance *s, cairo_t *cr, Rect r, const Theme *t,
                          SceneLang lang, SceneVarianceLayout *out)
{
    double fs = t->font_size;
    memset(out, 0, sizeof *out);
    Rect page = layout_inset(r, 0.8 * fs);
    header_rect(s, cr, t, lang, &page, out);
    Rect col = page, left = layout_cut_left(&col, page.w * LEFT_SHARE);
    layout_cut_left(&col, 1.5 * fs);
    char note[TEXT_MAX];
    note_text(s, lang, note, sizeof note);
    TextStyle st = note_style(t, col.w);
    TextExtent e;
    text_measure(cr, note, &st, &e);
    out->note = layout_cut_bottom(&col, e.h);
    layout_cut_bottom(&col, 0.8 * fs);
    PlotLegendEntry le[5];
    double w, h;
    scene_util_legend_size(cr, t, le, legend_entries(s, t, lang, le), 0, &w, &h);
    out->legend = layout_cut_top(&col, h);
    out->legend.w = w;
    layout_cut_top(&col, 0.8 * fs);

    PlotAxes *q = &out->q;
    q->outer = left;
    q->title = scene_util_tr(lang, "Second moment <i>q</i><sub><i>l</i></sub> = E <i>x</i><sub><i>l</i></sub>² "
                             "by layer", "各层的二阶矩 <i>q</i><sub><i>l</i></sub> = E <i>x</i><sub><i>l</i></sub>²");
    q->x = (PlotAxis){PLOT_LINEAR, -0.5, (double)s->L + 0.5, scene_util_tr(lang, "layer <i>l</i>", "层 <i>l</i>"),
                      1, {0}};
    log_range(&q->y, s, s->q, s->pred, s->L + 1);
    q->y.label = "<i>q</i><sub><i>l</i></sub>";
    plot_layout(cr, t, q);

    PlotAxes *rp = &out->resp;
    rp->outer = col;
    rp->title = scene_util_tr(lang, "Response std (He et al. 2015, Fig. 7)", "响应标准差（He 等人 2015，图 7）");
    rp->x = (PlotAxis){PLOT_LINEAR, 0.5, (double)s->L + 0.5, scene_util_tr(lang, "block <i>l</i>", "块 <i>l</i>"),
                       1, {0}};
    log_range(&rp->y, s, s->rplot, NULL, s->L);
    rp->y.label = "std(<i>F</i>)";
    plot_layout(cr, t, rp);
}

void scene_variance_layout(const SceneVariance *s, cairo_t *cr, Rect r, const Theme *t,
                           SceneLang lang, SceneVarianceLayout *out)
{
    Theme f = scene_depth_fit_theme(t, r);
    layout_fitted(s, cr, r, &f, lang, out);
}

/* ---- drawing ------------------------------------------------------------------------------ */

static void draw_header(const SceneVariance *s, cairo_t *cr, const Theme *t, SceneLang lang,
                        Rect h)
{
    char head[TEXT_MAX];
    scene_depth_params_text(&s->p, 0, s->p.batch, lang, head, sizeof head);
    TextStyle st = text_style(t, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = h.w;
    TextExtent e;
    text_draw(cr, h.x, h.y, figure_title(lang), &st, &e);
    st = text_style(t, PARAM_SCALE);
    st.markup = 1;
    st.max_width = h.w;
    text_draw(cr, h.x, h.y + e.h + 0.25 * t->font_size, head, &st, NULL);
}

/* Predicted (dashed, full width) under measured (a thin solid line and markers), so that where
 * the two agree the markers sit on the dashes. */
static void draw_curves(const SceneVariance *s, cairo_t *cr, const Theme *t, const PlotAxes *q,
                        const PlotAxes *rp)
{
    Theme thin = *t;
    thin.line_width = 0.5 * t->line_width;
    plot_draw_axes(cr, t, q);
    plot_draw_axes(cr, t, rp);
    for (int k = 1; k >= 0; k--) {
        if (!s->layers[k]) continue;
        Rgb c = k == SCENE_VARIANCE_PLAIN ? t->plain : t->residual;
        PlotMarker m = k == SCENE_VARIANCE_PLAIN ? PLOT_MARKER_CIRCLE : PLOT_MARKER_SQUARE;
        plot_line(cr, t, q, NULL, s->pred[k], s->L + 1, c, PLOT_DASHED);
        plot_line(cr, &thin, q, NULL, s->q[k], s->L + 1, c, PLOT_SOLID);
        plot_markers(cr, t, q, s->mx[k], s->mq[k], s->nm, c, m);
        plot_line(cr, &thin, rp, s->rx, s->rplot[k], s->L, c, PLOT_SOLID);
        plot_markers(cr, t, rp, s->mrx[k], s->mr[k], s->nm, c, m);
    }
}

void scene_variance_draw(const SceneVariance *s, cairo_t *cr, Rect r, const Theme *theme,
                         SceneLang lang)
{
    Theme fitted = scene_depth_fit_theme(theme, r);
    const Theme *t = &fitted;
    SceneVarianceLayout L;
    layout_fitted(s, cr, r, t, lang, &L);
    scene_util_open(cr, r, t);             /* save, clip to r, background; cairo_restore at the end */
    draw_header(s, cr, t, lang, L.header);
    draw_curves(s, cr, t, &L.q, &L.resp);
    PlotLegendEntry e[5];
    int ne = legend_entries(s, t, lang, e);
    double m = 0.5 * t->font_size;                       /* plot_legend's inset in a frame */
    PlotAxes box = {.frame = {L.legend.x - m, L.legend.y - m, L.legend.w + 2 * m, L.legend.h + 2 * m}};
    plot_legend(cr, t, &box, e, ne, PLOT_LEGEND_NW);
    char note[TEXT_MAX];
    note_text(s, lang, note, sizeof note);
    TextStyle st = note_style(t, L.note.w);
    text_draw(cr, L.note.x, L.note.y, note, &st, NULL);
    cairo_restore(cr);
}

int scene_variance_texts(const SceneVariance *s, SceneLang lang, char *buf, size_t len)
{
    if (!buf || len == 0) return RESLAB_ERR_INVALID;
    Theme t = theme_light();
    SceneVarianceLayout L;
    scene_variance_layout(s, NULL, (Rect){0, 0, 1280, 800}, &t, lang, &L);
    char head[TEXT_MAX], note[TEXT_MAX];
    scene_depth_params_text(&s->p, 0, s->p.batch, lang, head, sizeof head);
    note_text(s, lang, note, sizeof note);
    PlotLegendEntry e[5];
    int ne = legend_entries(s, &t, lang, e);
    buf[0] = '\0';
    scene_util_cat(buf, len, "%s\n%s\n%s\n", figure_title(lang), head, note);
    scene_util_cat(buf, len, "%s\n%s\n%s\n", L.q.title, L.q.x.label, L.q.y.label);
    scene_util_cat(buf, len, "%s\n%s\n%s\n", L.resp.title, L.resp.x.label, L.resp.y.label);
    for (int i = 0; i < ne; i++) scene_util_cat(buf, len, "%s\n", e[i].label);
    return strlen(buf) + 1 < len ? RESLAB_OK : RESLAB_ERR_INVALID;
}
