/* scene_paths.c: the paths scene (scene_paths.h): Veit et al.'s unraveled view of the residual
 * net: path-length distribution, gradient per path length, and the lesion study.
 *
 * Legend: L depth, k path length 0..L (lesion: the deleted block 1..L), B batch, n width;
 * fs the theme's base font size; r the scene's rectangle, in logical units.
 */
#include "scene_paths.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "scene_util.h"
#include "status.h"
#include "text.h"

enum {
    T_TITLE, T_DESCRIBE, T_SAMPLED,
    T_DIST_TITLE, T_DIST_X, T_DIST_Y, T_BARS, T_MEAN, T_SD,
    T_GRAD_TITLE, T_GRAD_X, T_GRAD_Y, T_GRAD_ONE, T_GRAD_TOTAL, T_OFF,
    T_LES_TITLE, T_LES_X, T_LES_Y, T_PLAIN, T_RESIDUAL, T_ONE,
    T_NOTE, T_NOTE_HERE, T_NOTE_DEAD, T_NO_DATA, T_COUNT
};

static const char *const text[2][T_COUNT] = {
    [SCENE_LANG_EN] = {
        "The unraveled view: 2<sup>%zu</sup> paths through %zu blocks (Veit et al. 2016)",
        "depth %zu · width %zu · hidden %zu · %s · %s · %s init · shortcut %s%s · batch %zu "
        "· seed %lu",
        " · %zu sampled paths per length (seed %lu)",
        "Path lengths", "path length <i>k</i> (branches on the path)",
        "fraction of the 2<sup><i>L</i></sup> paths",
        "C(<i>L</i>, <i>k</i>) / 2<sup><i>L</i></sup>", "mean <i>L</i>/2 = %s",
        "± sd,  sd = √<i>L</i>/2 = %s",
        "Gradient per path length", "path length <i>k</i>",
        "‖∂<i>L</i>/∂<i>x</i><sub>0</sub>‖ through the paths",
        "one path: mean,\nmin–max of %zu", "all C(<i>L</i>, <i>k</i>) paths: C × mean",
        "off scale: 0, inf, NaN",
        "Lesion: delete one block", "deleted block <i>k</i>",
        "‖<i>x</i><sub><i>L</i></sub>′ − <i>x</i><sub><i>L</i></sub>‖ / "
        "‖<i>x</i><sub><i>L</i></sub>‖ (relative)",
        "plain (no shortcut)", "residual", "1 = as large as the output",
        "This net is at initialisation (untrained, seed %lu). Veit et al. (2016) report for a "
        "trained ResNet-110 (54 blocks, CIFAR-10): deleting any one block barely changes the test "
        "error, while deleting one layer of VGG drops it to chance; and almost all of the gradient "
        "comes from paths 5–17 blocks long, 0.45%% of all paths, because the gradient through a "
        "path falls exponentially with its length.",
        " Here each extra branch on a path multiplies the gradient by ×%s on average, and the "
        "paths of length <i>k</i> = %zu carry the most in total.",
        " Here the path gradients are 0, inf or NaN: the signal overflowed or died.",
        "no value on this scale: all 0, inf or NaN",
    },
    [SCENE_LANG_ZH] = {
        "展开视角：2<sup>%zu</sup> 条路径经过 %zu 个块（Veit 等，2016）",
        "深度 %zu · 宽度 %zu · 隐藏宽度 %zu · %s · %s · %s 初始化 · 捷径 %s%s · 批量 %zu "
        "· 种子 %lu",
        " · 每个长度采样 %zu 条路径（种子 %lu）",
        "路径长度的分布", "路径长度 <i>k</i>（路径经过的分支数）",
        "占全部 2<sup><i>L</i></sup> 条路径的比例",
        "C(<i>L</i>, <i>k</i>) / 2<sup><i>L</i></sup>", "均值 <i>L</i>/2 = %s",
        "± 标准差，标准差 = √<i>L</i>/2 = %s",
        "各路径长度的梯度", "路径长度 <i>k</i>",
        "经路径的梯度 ‖∂<i>L</i>/∂<i>x</i><sub>0</sub>‖",
        "单条路径：%zu 条的均值、最小–最大", "全部 C(<i>L</i>, <i>k</i>) 条路径：C × 均值",
        "超出刻度：0、inf、NaN",
        "病损：删除一个块", "删除的块 <i>k</i>",
        "输出的相对变化 ‖<i>x</i><sub><i>L</i></sub>′ − <i>x</i><sub><i>L</i></sub>‖ / "
        "‖<i>x</i><sub><i>L</i></sub>‖",
        "普通网络（无捷径）", "残差网络", "1 = 与输出本身一样大",
        "此处的网络处于初始化状态（未训练，种子 %lu）。Veit 等（2016）对训练好的 ResNet-110"
        "（54 个块，CIFAR-10）报告：删除任意一个块（病损）几乎不改变测试错误率，而删除 VGG 的任意"
        "一层会使其降到随机猜测的水平；几乎全部梯度来自长度为 5–17 的路径，仅占全部路径的 0.45%%，"
        "因为经过一条路径的梯度随路径长度指数下降。",
        "这里路径每多经过一个分支，梯度平均乘以 ×%s；总梯度最大的路径长度为 <i>k</i> = %zu。",
        "这里路径上的梯度为 0、inf 或 NaN：信号溢出或消失了。",
        "没有可显示在此刻度上的值：全部为 0、inf 或 NaN",
    },
};

struct ScenePaths {
    ScenePathsData d;
    double *count, *fraction, *lesion_plain, *lesion_res;
    PathsGradStats *grad;
};

const char *const *scene_paths_texts(SceneLang lang, size_t *n)
{
    *n = T_COUNT;
    return text[lang == SCENE_LANG_ZH];
}

const ScenePathsData *scene_paths_data(const ScenePaths *s) { return &s->d; }

/* ---- numerics --------------------------------------------------------------------------- */

static void summarise(ScenePathsData *d)
{
    size_t L = d->L;
    double m0 = d->grad[0].mean, mL = d->grad[L].mean, best = 0;
    d->total_peak = L + 1;
    d->grad_factor = m0 > 0 && mL > 0 && isfinite(m0) && isfinite(mL) ? pow(mL / m0, 1.0 / L) : NAN;
    for (size_t k = 0; k <= L; k++)
        if (isfinite(d->grad[k].total) && d->grad[k].total > best) {   /* > 0 */
            best = d->grad[k].total;
            d->total_peak = k;
        }
}

static int compute(ScenePaths *s, const SceneParams *p, char *err, size_t errlen)
{
    ScenePathsData *d = &s->d;
    size_t L = d->L;
    for (size_t k = 0; k <= L; k++) {
        s->count[k] = paths_length_counts(L, k);
        s->fraction[k] = paths_length_fraction(L, k);
    }
    paths_length_moments(L, &d->mean, &d->sd);
    Net *res = NULL, *plain = NULL;
    gsl_matrix *X = NULL;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = rng ? scene_util_make_nets(&d->net, d->batch, d->seed, &res, &plain, &X) : RESLAB_ERR_NOMEM;
    if (rc) status_set(err, errlen, rc, "out of memory for the nets");
    if (!rc) {
        gsl_rng_set(rng, p->seed + 2);                 /* as `reslab flow --paths` */
        PathsGradOptions po = {.samples = p->samples, .enumerate = 0};
        rc = paths_grad_by_length(res, X, &po, rng, s->grad, NULL, err, errlen);
    }
    int bad_p = 0, bad_r = 0;
    if (!rc) rc = paths_lesion(plain, X, s->lesion_plain, &bad_p, err, errlen);
    if (!rc) rc = paths_lesion(res, X, s->lesion_res, &bad_r, err, errlen);
    d->lesion_nonfinite = bad_p || bad_r;
    if (!rc) summarise(d);
    net_free(plain);
    net_free(res);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
    return rc;
}

ScenePaths *scene_paths_alloc(const SceneParams *p, char *err, size_t errlen)
{
    NetConfig cfg = p->net;
    cfg.param_grads = 0;                               /* only dL/dx_l is needed */
    if (net_config_check(&cfg, p->batch, RESLAB_MEMORY_LIMIT, err, errlen)) return NULL;
    if (p->show < 1 || p->show > SCENE_SHOW_BOTH) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "paths scene: show must be 1 (plain), 2 "
                   "(residual) or 3 (both), not %d", p->show);
        return NULL;
    }
    if (p->samples < 1) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "paths scene: samples must be >= 1");
        return NULL;
    }
    if (cfg.depth > PATHS_COUNT_MAX) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "paths scene: depth %zu: path counts need "
                   "depth <= %d", cfg.depth, PATHS_COUNT_MAX);
        return NULL;
    }
    size_t L = cfg.depth;
    ScenePaths *s = calloc(1, sizeof *s);
    if (s) {
        s->count = malloc((L + 1) * sizeof *s->count);
        s->fraction = malloc((L + 1) * sizeof *s->fraction);
        s->lesion_plain = malloc(L * sizeof *s->lesion_plain);
        s->lesion_res = malloc(L * sizeof *s->lesion_res);
        s->grad = malloc((L + 1) * sizeof *s->grad);
    }
    if (!s || !s->count || !s->fraction || !s->lesion_plain || !s->lesion_res || !s->grad) {
        scene_paths_free(s);
        status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the paths scene");
        return NULL;
    }
    s->d = (ScenePathsData){.net = cfg, .L = L, .batch = p->batch, .samples = p->samples,
                            .seed = p->seed, .show = p->show,
                            .count = s->count, .fraction = s->fraction,
                            .grad = s->grad, .lesion_plain = s->lesion_plain,
                            .lesion_residual = s->lesion_res};
    if (compute(s, p, err, errlen)) {
        scene_paths_free(s);
        return NULL;
    }
    return s;
}

void scene_paths_free(ScenePaths *s)
{
    if (!s) return;
    free(s->count);
    free(s->fraction);
    free(s->lesion_plain);
    free(s->lesion_res);
    free(s->grad);
    free(s);
}

/* ---- text helpers (the same in scene_jacobian.c and scene_shatter.c) ----------------------- */

/* ---- layout -------------------------------------------------------------------------------- */

typedef struct {
    char note[1600], title[256], sub[512];
    char mean[96], sd[96], one[96];
    PlotLegendEntry dist[3], grad[3], lesion[4];
    int n[3];                 /* entries per legend: the overflow entry only if a mark is drawn */
} Labels;

/* 1 if v (n values) has one a log axis cannot show: 0, inf, NaN */
static int off_log_scale(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(v[i] > 0) || !isfinite(v[i])) return 1;
    return 0;
}

static int grad_off_scale(const ScenePathsData *d)
{
    for (size_t k = 0; k <= d->L; k++) {
        const PathsGradStats *g = &d->grad[k];
        double v[4] = {g->mean, g->min, g->max, g->total};
        if (g->nonfinite > 0 || off_log_scale(v, 4)) return 1;
    }
    return 0;
}

static void labels(const ScenePaths *s, const Theme *t, SceneLang lang, Labels *b)
{
    const char *const *T = text[lang == SCENE_LANG_ZH];
    const ScenePathsData *d = &s->d;
    char v[64], w[64];
    snprintf(b->title, sizeof b->title, T[T_TITLE], d->L, d->L);
    char samp[160];
    scene_util_describe(b->sub, sizeof b->sub - sizeof samp, T[T_DESCRIBE], &d->net, d->batch, d->seed,
                        lang == SCENE_LANG_ZH);
    snprintf(samp, sizeof samp, T[T_SAMPLED], d->samples, d->seed + 2);
    strcat(b->sub, samp);
    scene_util_fmt_num(v, sizeof v, d->mean);
    snprintf(b->mean, sizeof b->mean, T[T_MEAN], v);
    scene_util_fmt_num(v, sizeof v, d->sd);
    snprintf(b->sd, sizeof b->sd, T[T_SD], v);
    snprintf(b->one, sizeof b->one, T[T_GRAD_ONE], d->samples);
    int k = snprintf(b->note, sizeof b->note, T[T_NOTE], d->seed);
    scene_util_fmt_num(w, sizeof w, d->grad_factor);
    if (isfinite(d->grad_factor) && d->total_peak <= d->L)
        snprintf(b->note + k, sizeof b->note - k, T[T_NOTE_HERE], w, d->total_peak);
    else
        snprintf(b->note + k, sizeof b->note - k, "%s", T[T_NOTE_DEAD]);
    PlotLegendEntry off = {T[T_OFF], t->overflow, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_OVERFLOW};
    b->dist[0] = (PlotLegendEntry){T[T_BARS], t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, 0};
    b->dist[1] = (PlotLegendEntry){b->mean, t->foreground, PLOT_DASHED, PLOT_MARKER_NONE, 0};
    b->dist[2] = (PlotLegendEntry){b->sd, t->foreground, PLOT_SOLID, PLOT_MARKER_NONE, 0};
    b->grad[0] = (PlotLegendEntry){b->one, t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, 0};
    b->grad[1] = (PlotLegendEntry){T[T_GRAD_TOTAL], t->residual, PLOT_DOTTED, PLOT_MARKER_DIAMOND, 0};
    b->grad[2] = off;
    int n = 0, sp = d->show & SCENE_SHOW_PLAIN, sr = d->show & SCENE_SHOW_RESIDUAL;
    if (sp) b->lesion[n++] = (PlotLegendEntry){T[T_PLAIN], t->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE, 0};
    if (sr) b->lesion[n++] = (PlotLegendEntry){T[T_RESIDUAL], t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, 0};
    b->lesion[n++] = (PlotLegendEntry){T[T_ONE], t->muted, PLOT_DOTTED, PLOT_MARKER_NONE, 0};
    if ((sp && off_log_scale(d->lesion_plain, d->L)) || (sr && off_log_scale(d->lesion_residual, d->L)))
        b->lesion[n++] = off;
    b->n[0] = 3;
    b->n[1] = 2 + grad_off_scale(d);
    b->n[2] = n;
}

/* v[i] for a log axis: a NaN that stands for an overflow (exploded net) shown as +inf */
static void overflow_as_inf(const double *v, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = isnan(v[i]) ? INFINITY : v[i];
}

static void layout_axes(const ScenePaths *s, SceneLang lang, ScenePathsLayout *o)
{
    const char *const *T = text[lang == SCENE_LANG_ZH];
    const ScenePathsData *d = &s->d;
    double L = (double)d->L;
    o->dist.title = T[T_DIST_TITLE];
    o->dist.x = (PlotAxis){PLOT_LINEAR, -0.5, L + 0.5, T[T_DIST_X], 1, {0}};
    o->dist.y = (PlotAxis){PLOT_LINEAR, 0, NAN, T[T_DIST_Y], 0, {0}};
    plot_range_include(&o->dist.y, d->fraction, d->L + 1);
    plot_range_finish(&o->dist.y);
    o->grad.title = T[T_GRAD_TITLE];
    o->grad.x = (PlotAxis){PLOT_LINEAR, -0.5, L + 0.5, T[T_GRAD_X], 1, {0}};
    o->grad.y = (PlotAxis){PLOT_LOG10, NAN, NAN, T[T_GRAD_Y], 0, {0}};
    for (size_t k = 0; k <= d->L; k++) {
        const PathsGradStats *g = &d->grad[k];
        double v[4] = {g->mean, g->min, g->max, g->total};
        plot_range_include(&o->grad.y, v, 4);
    }
    o->grad_empty = isnan(o->grad.y.lo);
    plot_range_finish(&o->grad.y);
    o->lesion.title = T[T_LES_TITLE];
    o->lesion.x = (PlotAxis){PLOT_LINEAR, 0.5, L + 0.5, T[T_LES_X], 1, {0}};
    o->lesion.y = (PlotAxis){PLOT_LOG10, 1, 1, T[T_LES_Y], 0, {0}};   /* 1 always shown */
    if (d->show & SCENE_SHOW_PLAIN) plot_range_include(&o->lesion.y, d->lesion_plain, d->L);
    if (d->show & SCENE_SHOW_RESIDUAL) plot_range_include(&o->lesion.y, d->lesion_residual, d->L);
    plot_range_finish(&o->lesion.y);
}

static void layout_in(cairo_t *cr, const ScenePaths *s, Rect r, const Theme *t, SceneLang lang,
                        ScenePathsLayout *out)
{
    double fs = t->font_size;
    Labels b;
    labels(s, t, lang, &b);
    memset(out, 0, sizeof *out);
    Rect page = scene_util_page(cr, t, r, b.title, b.sub, b.note, &out->title, &out->note);
    const PlotLegendEntry *leg[3] = {b.dist, b.grad, b.lesion};
    double lh = 0, w, h;
    for (int i = 0; i < 3; i++) {
        scene_util_legend_size(cr, t, leg[i], b.n[i], 0.5 * t->font_size, &w, &h);
        lh = fmax(lh, h);
    }
    Rect col[3];
    layout_split_cols(page, 3, 1.5 * fs, col);
    PlotAxes *ax[3] = {&out->dist, &out->grad, &out->lesion};
    layout_axes(s, lang, out);
    for (int i = 0; i < 3; i++) {
        out->legend[i] = layout_cut_bottom(&col[i], lh);
        ax[i]->outer = col[i];
        plot_layout(cr, t, ax[i]);
    }
}

/* ---- fitting the figure into r ------------------------------------------------------------ */

void scene_paths_layout(cairo_t *cr, const ScenePaths *s, Rect r, const Theme *t, SceneLang lang,
                        ScenePathsLayout *out)
{
    Rect d;
    double k = scene_util_fit(r, t, &d);
    layout_in(cr, s, d, t, lang, out);
    out->title = scene_util_to_caller(out->title, r, k);
    out->note = scene_util_to_caller(out->note, r, k);
    out->legend[0] = scene_util_to_caller(out->legend[0], r, k);
    out->legend[1] = scene_util_to_caller(out->legend[1], r, k);
    out->legend[2] = scene_util_to_caller(out->legend[2], r, k);
    scene_util_axes_to_caller(&out->dist, r, k);
    scene_util_axes_to_caller(&out->grad, r, k);
    scene_util_axes_to_caller(&out->lesion, r, k);
}

/* ---- drawing ------------------------------------------------------------------------------- */

static void draw_dist(cairo_t *cr, const Theme *t, const PlotAxes *ax, const ScenePathsData *d)
{
    double peak = 0;
    cairo_save(cr);
    rgb_set_source(cr, t->residual);
    for (size_t k = 0; k <= d->L; k++) {
        double x0 = plot_x(ax, k - 0.4), x1 = plot_x(ax, k + 0.4), y = plot_y(ax, d->fraction[k]);
        cairo_rectangle(cr, x0, y, x1 - x0, plot_y(ax, 0) - y);
        peak = fmax(peak, d->fraction[k]);
    }
    cairo_fill(cr);
    Rect f = ax->frame;
    double w = t->line_width, dash[] = {4 * w, 3 * w}, x = plot_x(ax, d->mean);
    rgb_set_source(cr, t->foreground);
    cairo_set_line_width(cr, w);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, x, f.y);
    cairo_line_to(cr, x, f.y + f.h);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    /* the sd bracket where a normal curve of this peak is at exp(-1/2) of it: at mean +- sd */
    double y = plot_y(ax, peak * exp(-0.5)), xa = plot_x(ax, d->mean - d->sd);
    double xb = plot_x(ax, d->mean + d->sd), c = 0.4 * t->font_size;
    cairo_move_to(cr, xa, y);
    cairo_line_to(cr, xb, y);
    cairo_move_to(cr, xa, y - c);
    cairo_line_to(cr, xa, y + c);
    cairo_move_to(cr, xb, y - c);
    cairo_line_to(cr, xb, y + c);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* A vertical min..max whisker at x, clamped to the frame; an end off the log scale (0, inf)
 * gets the overflow mark. */
static void whisker(cairo_t *cr, const Theme *t, const PlotAxes *ax, double x, double lo,
                    double hi, Rgb colour)
{
    if (isnan(lo) || isnan(hi)) return;
    Rect f = ax->frame;
    double fl = plot_axis_frac(&ax->y, lo), fh = plot_axis_frac(&ax->y, hi);
    double yl = f.y + f.h * (1 - fmin(fmax(fl, 0), 1)), yh = f.y + f.h * (1 - fmin(fmax(fh, 0), 1));
    double px = plot_x(ax, x), c = 0.25 * t->font_size;
    cairo_save(cr);
    rgb_set_source(cr, colour);
    cairo_set_line_width(cr, 0.6 * t->line_width);
    cairo_move_to(cr, px, yl);
    cairo_line_to(cr, px, yh);
    cairo_move_to(cr, px - c, yl);
    cairo_line_to(cr, px + c, yl);
    cairo_move_to(cr, px - c, yh);
    cairo_line_to(cr, px + c, yh);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (fl < 0) plot_overflow_mark(cr, t, px, f.y + f.h, 0, 1);
    if (fh > 1) plot_overflow_mark(cr, t, px, f.y, 0, -1);
}

static void draw_grad(cairo_t *cr, const Theme *t, const PlotAxes *ax, const ScenePathsData *d)
{
    size_t n = d->L + 1;
    double *k = malloc(n * sizeof *k), *mean = malloc(n * sizeof *mean), *tot = malloc(n * sizeof *tot);
    if (!k || !mean || !tot) goto done;
    for (size_t i = 0; i < n; i++) {
        const PathsGradStats *g = &d->grad[i];
        k[i] = (double)i;
        mean[i] = g->count > 0 && g->nonfinite == g->count ? INFINITY : g->mean;   /* exploded */
        tot[i] = g->count > 0 && g->nonfinite == g->count ? INFINITY : g->total;
        whisker(cr, t, ax, k[i], g->min, g->max, t->residual);
        if (g->nonfinite > 0) plot_overflow_mark(cr, t, plot_x(ax, k[i]), ax->frame.y, 0, -1);
    }
    int marks = d->L <= 60;
    plot_line(cr, t, ax, k, tot, n, t->residual, PLOT_DOTTED);
    if (marks) plot_markers(cr, t, ax, k, tot, n, t->residual, PLOT_MARKER_DIAMOND);
    plot_line(cr, t, ax, k, mean, n, t->residual, PLOT_SOLID);
    if (marks) plot_markers(cr, t, ax, k, mean, n, t->residual, PLOT_MARKER_SQUARE);
done:
    free(k);
    free(mean);
    free(tot);
}

static void draw_lesion(cairo_t *cr, const Theme *t, const PlotAxes *ax, const ScenePathsData *d)
{
    size_t L = d->L;
    double *k = malloc(L * sizeof *k), *vp = malloc(L * sizeof *vp), *vr = malloc(L * sizeof *vr);
    if (k && vp && vr) {
        for (size_t i = 0; i < L; i++) k[i] = (double)(i + 1);
        overflow_as_inf(d->lesion_plain, vp, L);
        overflow_as_inf(d->lesion_residual, vr, L);
        double one[2] = {1, 1}, ends[2] = {ax->x.lo, ax->x.hi};
        plot_line(cr, t, ax, ends, one, 2, t->muted, PLOT_DOTTED);
        int marks = L <= 60;
        if (d->show & SCENE_SHOW_PLAIN) {
            plot_line(cr, t, ax, k, vp, L, t->plain, PLOT_DASHED);
            if (marks) plot_markers(cr, t, ax, k, vp, L, t->plain, PLOT_MARKER_CIRCLE);
        }
        if (d->show & SCENE_SHOW_RESIDUAL) {
            plot_line(cr, t, ax, k, vr, L, t->residual, PLOT_SOLID);
            if (marks) plot_markers(cr, t, ax, k, vr, L, t->residual, PLOT_MARKER_SQUARE);
        }
    }
    free(k);
    free(vp);
    free(vr);
}

void scene_paths_draw(const ScenePaths *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang)
{
    ScenePathsLayout o;
    Rect fig;
    Labels b;
    labels(s, t, lang, &b);
    scene_util_begin(cr, r, t, &fig);   /* clip, background, fit; cairo_restore at the end */
    layout_in(cr, s, fig, t, lang, &o);
    scene_util_header(cr, t, o.title, b.title, b.sub, 1);
    plot_draw_axes(cr, t, &o.dist);
    draw_dist(cr, t, &o.dist, &s->d);
    plot_draw_axes(cr, t, &o.grad);
    draw_grad(cr, t, &o.grad, &s->d);
    if (o.grad_empty) scene_util_empty_note(cr, t, &o.grad, text[lang == SCENE_LANG_ZH][T_NO_DATA]);
    plot_draw_axes(cr, t, &o.lesion);
    draw_lesion(cr, t, &o.lesion, &s->d);
    scene_util_legend_in(cr, t, o.legend[0], o.dist.frame.x, b.dist, b.n[0]);
    scene_util_legend_in(cr, t, o.legend[1], o.grad.frame.x, b.grad, b.n[1]);
    scene_util_legend_in(cr, t, o.legend[2], o.lesion.frame.x, b.lesion, b.n[2]);
    TextStyle st = scene_util_note_style(t, o.note.w);
    text_draw(cr, o.note.x, o.note.y, b.note, &st, NULL);
    cairo_restore(cr);
}
