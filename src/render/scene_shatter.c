/* scene_shatter.c: the shattered-gradients scene (scene_shatter.h): the lag-4 autocorrelation
 * of dy/dx by depth, plain vs residual (and residual + BN), and dy/dx along the input sweep.
 *
 * Legend: N inputs x_i on [-2, 2], g_i = dy_i/dx_i, L depth, d a depth of the sweep; fs the
 * theme's base font size; r the scene's rectangle, in logical units.
 */
#include "scene_shatter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene_util.h"
#include "status.h"
#include "text.h"

enum {
    T_TITLE, T_DESCRIBE,
    T_ACF_TITLE, T_ACF_X, T_ACF_Y, T_PLAIN, T_RESIDUAL, T_RES_BN, T_SD, T_ZERO, T_OFF,
    T_HEADING, T_G_PLAIN, T_G_RES, T_G_X, T_G_Y,
    T_NOTE, T_NOTE_BN, T_COUNT
};

static const char *const text[2][T_COUNT] = {
    [SCENE_LANG_EN] = {
        "Shattered gradients: d<i>y</i>/d<i>x</i> by depth (Balduzzi et al. 2017)",
        "depth %zu · width %zu · hidden %zu · %s · %s · %s init · residual shortcut %s · "
        "%zu inputs <i>x</i> on [−2, 2] · biases N(0, %.3g²) · %zu seeds from %lu",
        "Autocorrelation of d<i>y</i>/d<i>x</i> by depth", "depth <i>L</i> (blocks, log scale)",
        "lag-4 autocorrelation <i>r</i>(4)",
        "plain (no shortcut)", "residual", "residual + BN (statistics over the sweep)",
        "bars: ± sd over %zu seeds", "0 = white noise, 1 = smooth", "off scale: ∞, NaN",
        "d<i>y</i>/d<i>x</i> along the sweep: depth %zu, seed %lu",
        "plain: <i>r</i>(4) = %s", "residual: <i>r</i>(4) = %s",
        "input <i>x</i>", "d<i>y</i>/d<i>x</i>",
        "Balduzzi et al. (2017): in a plain ReLU net the gradient d<i>y</i>/d<i>x</i> along a "
        "1-D input sweep decorrelates with depth until it looks like white noise (the gradients "
        "shatter); with skip connections it stays correlated far deeper. <i>r</i>(4) is the "
        "lag-4 autocorrelation over the %zu inputs on [−2, 2] (1: smooth; near 0: white noise), "
        "<i>y</i> = <i>w</i>·<i>x</i><sub><i>L</i></sub> with a fixed unit readout <i>w</i>, "
        "biases N(0, σ²) (zero biases cannot shatter). Left: mean ± sd over %zu nets at "
        "initialisation; right: the first of them (single nets vary a lot: see the bars).",
        " Residual + BN: batch norm takes its statistics over the %zu sweep inputs (training "
        "mode), so each unit is rescaled to unit variance along the sweep.",
    },
    [SCENE_LANG_ZH] = {
        "破碎梯度：d<i>y</i>/d<i>x</i> 随深度的变化（Balduzzi 等，2017）",
        "深度 %zu · 宽度 %zu · 隐藏宽度 %zu · %s · %s · %s 初始化 · 残差捷径 %s · "
        "[−2, 2] 上 %zu 个输入 <i>x</i> · 偏置 N(0, %.3g²) · %zu 个种子，从 %lu 起",
        "d<i>y</i>/d<i>x</i> 的自相关随深度的变化", "深度 <i>L</i>（块数，对数刻度）",
        "滞后 4 的自相关 <i>r</i>(4)",
        "普通网络（无捷径）", "残差网络", "残差网络 + BN（统计量取自扫描输入）",
        "误差线：%zu 个种子的 ± 标准差", "0 = 白噪声，1 = 平滑", "超出刻度：∞、NaN",
        "沿输入扫描的梯度：深度 %zu，种子 %lu",
        "普通网络：<i>r</i>(4) = %s", "残差网络：<i>r</i>(4) = %s",
        "输入 <i>x</i>", "d<i>y</i>/d<i>x</i>",
        "Balduzzi 等（2017）：在普通 ReLU 网络中，沿一维输入扫描的梯度 d<i>y</i>/d<i>x</i> 随深度"
        "增加而失去相关性，直到看起来像白噪声（破碎梯度）；有捷径连接时，它在深得多的网络中仍保持"
        "相关。<i>r</i>(4) 是 [−2, 2] 上 %zu 个输入的滞后 4 自相关（1：平滑；接近 0：白噪声），"
        "<i>y</i> = <i>w</i>·<i>x</i><sub><i>L</i></sub>，<i>w</i> 为固定的单位读出向量，偏置 "
        "~ N(0, σ²)（偏置为零时梯度不会破碎）。左：%zu 个初始化网络的均值 ± 标准差；"
        "右：其中第一个网络（单个网络差异很大，见误差线）。",
        "残差网络 + BN：批归一化的统计量取自这 %zu 个扫描输入（训练模式），因此每个单元沿扫描被"
        "重新缩放到单位方差。",
    },
};

struct SceneShatter {
    SceneShatterData d;
    size_t depths[SCENE_SHATTER_DEPTHS_MAX];
    ShatterDepth *out[3];
    double *x, *g[2];
};

const char *const *scene_shatter_texts(SceneLang lang, size_t *n)
{
    *n = T_COUNT;
    return text[lang == SCENE_LANG_ZH];
}

const SceneShatterData *scene_shatter_data(const SceneShatter *s) { return &s->d; }

/* ---- numerics --------------------------------------------------------------------------- */

/* Depths 1, 2, 5, 10, 20, 50, ... below L, and L itself (flow_stats.c). */
static size_t sweep_depths(size_t L, size_t *d)
{
    static const size_t steps[] = {1, 2, 5};
    size_t k = 0;
    for (size_t dec = 1; dec <= L; dec *= 10)
        for (size_t i = 0; i < 3; i++)
            if (steps[i] * dec < L) d[k++] = steps[i] * dec;
    d[k++] = L;
    return k;
}

/* The sweep's net k (0 plain, 1 residual, 2 residual + BN) as `reslab flow --shatter` builds it. */
static NetConfig sweep_config(const NetConfig *net, int k)
{
    NetConfig cfg = *net;
    cfg.input_width = 1;
    cfg.param_grads = 0;
    cfg.shortcut = k == 0 ? SHORTCUT_NONE : net->shortcut == SHORTCUT_NONE ? SHORTCUT_IDENTITY
                                                                           : net->shortcut;
    cfg.bn = k == 2;                     /* statistics over the sweep's inputs themselves */
    if (cfg.bias_std == 0.0) cfg.bias_std = SHATTER_BIAS_STD;   /* zero biases cannot shatter */
    return cfg;
}

static int compute(SceneShatter *s, int nets, char *err, size_t errlen)
{
    SceneShatterData *d = &s->d;
    ShatterOptions so = shatter_options_default();
    so.seed = d->seed;
    for (int k = 0; k < nets; k++) {
        NetConfig cfg = sweep_config(&d->net, k);
        int rc = shatter_sweep(&cfg, &so, s->depths, d->ndepths, s->out[k], err, errlen);
        if (rc) return rc;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the sweep");
    int rc = RESLAB_OK;
    for (int k = 0; k < 2 && rc == RESLAB_OK; k++) {
        gsl_rng_set(rng, d->seed);              /* the sweep's first net at depth L */
        NetConfig cfg = k ? d->cfg_residual : d->cfg_plain;
        rc = shatter_gradients(&cfg, d->points, rng, s->g[k], err, errlen);
    }
    gsl_rng_free(rng);
    for (size_t i = 0; i < d->points; i++) s->x[i] = -2.0 + 4.0 * (double)i / (double)(d->points - 1);
    d->r4_plain = shatter_autocorr(s->g[0], d->points, SHATTER_LAG);
    d->r4_residual = shatter_autocorr(s->g[1], d->points, SHATTER_LAG);
    return rc;
}

SceneShatter *scene_shatter_alloc(const SceneParams *p, char *err, size_t errlen)
{
    ShatterOptions so = shatter_options_default();
    if (p->show < 1 || p->show > SCENE_SHOW_BOTH) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "shatter scene: show must be 1 (plain), 2 "
                   "(residual) or 3 (both), not %d", p->show);
        return NULL;
    }
    int nets = p->net.bn ? 3 : 2;        /* batch norm: one backward pass per input */
    for (int k = 0; k < nets; k++) {
        NetConfig cfg = sweep_config(&p->net, k);
        if (cfg.shortcut == SHORTCUT_DROPOUT) {
            status_set(err, errlen, RESLAB_ERR_INVALID, "the dropout shortcut draws a mask per "
                       "example: the sweep would measure the masks, not the net");
            return NULL;
        }
        if (net_config_check(&cfg, so.points, RESLAB_MEMORY_LIMIT, err, errlen)) return NULL;
    }
    SceneShatter *s = calloc(1, sizeof *s);
    size_t N = so.points, nd = s ? sweep_depths(p->net.depth, s->depths) : 0;
    int ok = s != NULL;
    for (int k = 0; ok && k < nets; k++) ok = (s->out[k] = calloc(nd, sizeof *s->out[k])) != NULL;
    if (ok) {
        s->x = malloc(N * sizeof *s->x);
        s->g[0] = malloc(N * sizeof *s->g[0]);
        s->g[1] = malloc(N * sizeof *s->g[1]);
        ok = s->x && s->g[0] && s->g[1];
    }
    if (!ok) {
        scene_shatter_free(s);
        status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the shatter scene");
        return NULL;
    }
    s->d = (SceneShatterData){.net = p->net, .show = p->show,
                              .cfg_plain = sweep_config(&p->net, 0),
                              .cfg_residual = sweep_config(&p->net, 1), .L = p->net.depth,
                              .points = N, .seeds = so.seeds, .seed = p->seed, .ndepths = nd,
                              .depths = s->depths, .plain = s->out[0], .residual = s->out[1],
                              .residual_bn = s->out[2], .x = s->x, .g_plain = s->g[0],
                              .g_residual = s->g[1]};
    if (compute(s, nets, err, errlen)) {
        scene_shatter_free(s);
        return NULL;
    }
    return s;
}

void scene_shatter_free(SceneShatter *s)
{
    if (!s) return;
    for (int k = 0; k < 3; k++) free(s->out[k]);
    free(s->x);
    free(s->g[0]);
    free(s->g[1]);
    free(s);
}

/* ---- text helpers (the same in scene_paths.c and scene_jacobian.c) ------------------------ */

/* ---- layout -------------------------------------------------------------------------------- */

/* 1 if some ACF mean is not finite (an exploded net: NaN gradients) */
static int acf_off(const ShatterDepth *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        if (!isfinite(a[i].acf4)) return 1;
    return 0;
}

typedef struct {
    char title[256], sub[640], note[2400], sd[96], heading[160], gp[96], gr[96];
    PlotLegendEntry leg[6];
    int n;
} Labels;

static void labels(const SceneShatter *s, const Theme *t, SceneLang lang, Labels *b)
{
    const char *const *T = text[lang == SCENE_LANG_ZH];
    const SceneShatterData *d = &s->d;
    const NetConfig *c = &d->cfg_residual;
    char v[64];
    snprintf(b->title, sizeof b->title, "%s", T[T_TITLE]);
    const char *act, *order, *init, *sc;
    scene_util_net_words(c, lang == SCENE_LANG_ZH, &act, &order, &init, &sc);
    snprintf(b->sub, sizeof b->sub, T[T_DESCRIBE], c->depth, c->width, c->hidden ? c->hidden : c->width,
             act, order, init, sc, d->points, c->bias_std, d->seeds, d->seed);
    int k = snprintf(b->note, sizeof b->note, T[T_NOTE], d->points, d->seeds);
    if (d->residual_bn) snprintf(b->note + k, sizeof b->note - k, T[T_NOTE_BN], d->points);
    snprintf(b->sd, sizeof b->sd, T[T_SD], d->seeds);
    snprintf(b->heading, sizeof b->heading, T[T_HEADING], d->L, d->seed);
    scene_util_fmt_num(v, sizeof v, d->r4_plain);
    snprintf(b->gp, sizeof b->gp, T[T_G_PLAIN], v);
    scene_util_fmt_num(v, sizeof v, d->r4_residual);
    snprintf(b->gr, sizeof b->gr, T[T_G_RES], v);
    int n = 0, sp = d->show & SCENE_SHOW_PLAIN, sr = d->show & SCENE_SHOW_RESIDUAL;
    if (sp) b->leg[n++] = (PlotLegendEntry){T[T_PLAIN], t->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE, 0};
    if (sr) b->leg[n++] = (PlotLegendEntry){T[T_RESIDUAL], t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, 0};
    if (sr && d->residual_bn)
        b->leg[n++] = (PlotLegendEntry){T[T_RES_BN], t->residual, PLOT_DOTTED, PLOT_MARKER_DIAMOND, 0};
    b->leg[n++] = (PlotLegendEntry){b->sd, t->muted, PLOT_SOLID, PLOT_MARKER_NONE, 0};
    b->leg[n++] = (PlotLegendEntry){T[T_ZERO], t->muted, PLOT_DOTTED, PLOT_MARKER_NONE, 0};
    if ((sp && acf_off(d->plain, d->ndepths)) ||
        (sr && (acf_off(d->residual, d->ndepths) || acf_off(d->residual_bn, d->ndepths))))
        b->leg[n++] = (PlotLegendEntry){T[T_OFF], t->overflow, PLOT_SOLID, PLOT_MARKER_NONE,
                                        PLOT_LEGEND_OVERFLOW};
    b->n = n;
}

/* Widen ax by the mean and mean - sd of each finite depth of a (may be NULL). Not by mean + sd:
 * r(4) <= 1, so the axis stops at 1 and a whisker above it is cut at the frame. */
static void include_acf(PlotAxis *ax, const ShatterDepth *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        double v[2] = {a[i].acf4, a[i].acf4 - a[i].acf4_sd};
        plot_range_include(ax, v, 2);
    }
}

/* x ticks at the sweep's depths (1, 2, 5, 10, ..., L) labelled as whole numbers; a label that
 * would touch the one before becomes a minor tick (the last depth, L, keeps its label). */
static void depth_ticks(cairo_t *cr, const Theme *t, PlotAxes *ax, const size_t *depths, size_t n)
{
    Ticks *tk = &ax->x.ticks;
    TextStyle st = text_style(t, PLOT_TICK_SCALE);
    st.markup = 1;
    double right = -INFINITY, gap = 0.5 * t->font_size;
    tk->n = tk->nminor = 0;
    for (size_t i = 0; i < n && tk->n < TICKS_MAX; i++) {
        char lab[TICKS_LABEL_MAX];
        snprintf(lab, sizeof lab, "%zu", depths[i]);
        TextExtent e;
        text_measure(cr, lab, &st, &e);
        double px = plot_x(ax, (double)depths[i]);
        if (px - e.w / 2 < right + gap) {
            if (i + 1 < n || tk->n == 0) {
                if (tk->nminor < TICKS_MINOR_MAX) tk->minor[tk->nminor++] = (double)depths[i];
                continue;
            }
            tk->n--;                                 /* L replaces its left neighbour's label */
            if (tk->nminor < TICKS_MINOR_MAX) tk->minor[tk->nminor++] = tk->v[tk->n];
        }
        tk->v[tk->n] = (double)depths[i];
        snprintf(tk->label[tk->n], TICKS_LABEL_MAX, "%s", lab);
        tk->lw[tk->n] = e.w;
        tk->lh[tk->n] = e.h;
        tk->n++;
        right = px + e.w / 2;
    }
}

static void layout_axes(const SceneShatter *s, SceneLang lang, SceneShatterLayout *o,
                        const Labels *b)
{
    const char *const *T = text[lang == SCENE_LANG_ZH];
    const SceneShatterData *d = &s->d;
    o->acf.title = T[T_ACF_TITLE];
    /* depths 1 .. L with a little room on both sides; ticks at the depths (depth_ticks) */
    o->acf.x = (PlotAxis){PLOT_LOG10, 0.8, 1.25 * (double)d->L, T[T_ACF_X], 0, {0}};
    o->acf.y = (PlotAxis){PLOT_LINEAR, 0, 1, T[T_ACF_Y], 0, {0}};    /* white noise .. smooth */
    if (d->show & SCENE_SHOW_PLAIN) include_acf(&o->acf.y, d->plain, d->ndepths);
    if (d->show & SCENE_SHOW_RESIDUAL) {
        include_acf(&o->acf.y, d->residual, d->ndepths);
        include_acf(&o->acf.y, d->residual_bn, d->ndepths);
    }
    plot_range_finish(&o->acf.y);
    PlotAxes *g[2] = {&o->grad_plain, &o->grad_residual};
    const double *gv[2] = {d->g_plain, d->g_residual};
    for (int k = 0; k < 2; k++) {
        snprintf(o->grad_title[k], sizeof o->grad_title[k], "%s", k ? b->gr : b->gp);
        g[k]->title = o->grad_title[k];
        g[k]->x = (PlotAxis){PLOT_LINEAR, -2, 2, k ? T[T_G_X] : NULL, 0, {0}};
        plot_auto_range(&g[k]->y, PLOT_LINEAR, gv[k], d->points);
        g[k]->y.label = T[T_G_Y];
    }
}

static void layout_in(cairo_t *cr, const SceneShatter *s, Rect r, const Theme *t,
                          SceneLang lang, SceneShatterLayout *out)
{
    double fs = t->font_size;
    Labels b;
    labels(s, t, lang, &b);
    memset(out, 0, sizeof *out);
    Rect page = scene_util_page(cr, t, r, b.title, b.sub, b.note, &out->title, &out->note);
    Rect col[2];
    layout_split_cols(page, 2, 2 * fs, col);
    double w, h;
    scene_util_legend_size(cr, t, b.leg, b.n, 0.5 * t->font_size, &w, &h);
    out->legend = layout_cut_bottom(&col[0], h);
    layout_axes(s, lang, out, &b);
    out->acf.outer = col[0];
    plot_layout(cr, t, &out->acf);
    depth_ticks(cr, t, &out->acf, s->d.depths, s->d.ndepths);
    TextStyle st = text_style(t, PLOT_TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = col[1].w;
    TextExtent e;
    text_measure(cr, b.heading, &st, &e);
    out->heading = layout_cut_top(&col[1], e.h + 0.5 * fs);
    /* one panel per net shown, stacked: plain on top */
    PlotAxes *g[2] = {&out->grad_plain, &out->grad_residual};
    int on[2] = {s->d.show & SCENE_SHOW_PLAIN, s->d.show & SCENE_SHOW_RESIDUAL}, rows = !!on[0] + !!on[1];
    Rect row[2];
    layout_split_rows(col[1], rows, 0.8 * fs, row);
    if (!on[1]) out->grad_plain.x.label = out->grad_residual.x.label;   /* the bottom panel's */
    for (int k = 0, i = 0; k < 2; k++)
        if (on[k]) {
            g[k]->outer = row[i++];
            plot_layout(cr, t, g[k]);
        }
    /* the frames share their left edge, so the x axes line up */
    double x0 = fmax(on[0] ? g[0]->frame.x : 0, on[1] ? g[1]->frame.x : 0);
    for (int k = 0; k < 2; k++)
        if (on[k]) {
            g[k]->frame.w -= x0 - g[k]->frame.x;
            g[k]->frame.x = x0;
        }

}

/* ---- fitting the figure into r ------------------------------------------------------------ */

void scene_shatter_layout(cairo_t *cr, const SceneShatter *s, Rect r, const Theme *t,
                          SceneLang lang, SceneShatterLayout *out)
{
    Rect d;
    double k = scene_util_fit(r, t, &d);
    layout_in(cr, s, d, t, lang, out);
    out->title = scene_util_to_caller(out->title, r, k);
    out->note = scene_util_to_caller(out->note, r, k);
    out->legend = scene_util_to_caller(out->legend, r, k);
    out->heading = scene_util_to_caller(out->heading, r, k);
    scene_util_axes_to_caller(&out->acf, r, k);
    scene_util_axes_to_caller(&out->grad_plain, r, k);
    scene_util_axes_to_caller(&out->grad_residual, r, k);
}

/* ---- drawing ------------------------------------------------------------------------------- */

/* mean +- sd whiskers of a, moved dx logical units sideways; clamped to the frame */
static void whiskers(cairo_t *cr, const Theme *t, const PlotAxes *ax, const size_t *depths,
                     const ShatterDepth *a, size_t n, double dx, Rgb c)
{
    Rect f = ax->frame;
    double cap = 0.25 * t->font_size;
    cairo_save(cr);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i].acf4) || !isfinite(a[i].acf4_sd)) continue;
        double px = plot_x(ax, (double)depths[i]) + dx;
        double y0 = fmin(fmax(plot_y(ax, a[i].acf4 - a[i].acf4_sd), f.y), f.y + f.h);
        double y1 = fmin(fmax(plot_y(ax, a[i].acf4 + a[i].acf4_sd), f.y), f.y + f.h);
        cairo_move_to(cr, px, y0);
        cairo_line_to(cr, px, y1);
        cairo_move_to(cr, px - cap, y0);
        cairo_line_to(cr, px + cap, y0);
        cairo_move_to(cr, px - cap, y1);
        cairo_line_to(cr, px + cap, y1);
    }
    rgb_set_source(cr, c);
    cairo_set_line_width(cr, 0.6 * t->line_width);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* one net's ACF curve: whiskers, line (NaN: an exploded net, shown as +inf) and markers */
static void acf_curve(cairo_t *cr, const Theme *t, const PlotAxes *ax, const SceneShatterData *d,
                      const ShatterDepth *a, double dx, Rgb c, PlotDash dash, PlotMarker m)
{
    double x[SCENE_SHATTER_DEPTHS_MAX], y[SCENE_SHATTER_DEPTHS_MAX];
    for (size_t i = 0; i < d->ndepths; i++) {
        x[i] = (double)d->depths[i];
        y[i] = isnan(a[i].acf4) ? INFINITY : a[i].acf4;
    }
    whiskers(cr, t, ax, d->depths, a, d->ndepths, dx, c);
    plot_line(cr, t, ax, x, y, d->ndepths, c, dash);
    plot_markers(cr, t, ax, x, y, d->ndepths, c, m);
}

static void draw_acf(cairo_t *cr, const Theme *t, const PlotAxes *ax, const SceneShatterData *d)
{
    double zx[2] = {ax->x.lo, ax->x.hi}, zy[2] = {0, 0}, off = 0.35 * t->font_size;
    plot_line(cr, t, ax, zx, zy, 2, t->muted, PLOT_DOTTED);
    int sp = d->show & SCENE_SHOW_PLAIN, sr = d->show & SCENE_SHOW_RESIDUAL;
    if (sp) acf_curve(cr, t, ax, d, d->plain, sr ? -off : 0, t->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE);
    if (sr && d->residual_bn)
        acf_curve(cr, t, ax, d, d->residual_bn, off, t->residual, PLOT_DOTTED, PLOT_MARKER_DIAMOND);
    if (sr) acf_curve(cr, t, ax, d, d->residual, 0, t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE);
}

static void draw_gradient(cairo_t *cr, const Theme *t, const PlotAxes *ax, const double *x,
                          const double *g, size_t N, Rgb c)
{
    double *y = malloc(N * sizeof *y);
    if (!y) return;
    for (size_t i = 0; i < N; i++) y[i] = isnan(g[i]) ? INFINITY : g[i];   /* overflowed */
    double zx[2] = {-2, 2}, zy[2] = {0, 0};
    if (plot_axis_frac(&ax->y, 0) >= 0 && plot_axis_frac(&ax->y, 0) <= 1)
        plot_line(cr, t, ax, zx, zy, 2, t->muted, PLOT_DOTTED);
    Theme thin = *t;
    thin.line_width = 0.7 * t->line_width;          /* 256 points: a thick line fills in */
    plot_line(cr, &thin, ax, x, y, N, c, PLOT_SOLID);
    free(y);
}

void scene_shatter_draw(const SceneShatter *s, cairo_t *cr, Rect r, const Theme *t,
                        SceneLang lang)
{
    SceneShatterLayout o;
    Rect fig;
    double k = scene_util_fit(r, t, &fig);
    Labels b;
    labels(s, t, lang, &b);
    const SceneShatterData *d = &s->d;
    scene_util_open(cr, r, t);             /* save, clip to r, background; cairo_restore at the end */
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, k, k);
    layout_in(cr, s, fig, t, lang, &o);
    scene_util_header(cr, t, o.title, b.title, b.sub, 1);
    plot_draw_axes(cr, t, &o.acf);
    draw_acf(cr, t, &o.acf, d);
    scene_util_legend_in(cr, t, o.legend, o.acf.frame.x, b.leg, b.n);
    TextStyle st = text_style(t, PLOT_TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = o.heading.w;
    text_draw(cr, o.heading.x, o.heading.y, b.heading, &st, NULL);
    if (d->show & SCENE_SHOW_PLAIN) {
        plot_draw_axes(cr, t, &o.grad_plain);
        draw_gradient(cr, t, &o.grad_plain, d->x, d->g_plain, d->points, t->plain);
    }
    if (d->show & SCENE_SHOW_RESIDUAL) {
        plot_draw_axes(cr, t, &o.grad_residual);
        draw_gradient(cr, t, &o.grad_residual, d->x, d->g_residual, d->points, t->residual);
    }
    st = scene_util_note_style(t, o.note.w);
    text_draw(cr, o.note.x, o.note.y, b.note, &st, NULL);
    cairo_restore(cr);
}
