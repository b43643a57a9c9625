/* scene_depth.c: the depth scene (scene_depth.h): a plain net and its residual twin, their
 * activations x_l (layer x unit) and gradient norms ||dL/dx_l|| as depth grows block by block.
 *
 * Legend: B batch, n width, L full depth, d the shown depth (1 .. L), l a layer 0 .. d, u a unit,
 * k a net (SCENE_DEPTH_PLAIN, SCENE_DEPTH_RESIDUAL), i a heatmap panel; fs the theme's base font
 * size; everything drawn is in logical units.
 */
#include "scene_depth.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "scene_util.h"
#include "status.h"
#include "sweep.h"
#include "text.h"

#define MAX_DEPTH 32766      /* heatmap images are at most 32767 pixels a side (heatmap.h) */
#define TITLE_SCALE 1.5      /* the figure's title */
#define PARAM_SCALE 1.2      /* the parameter line: read from the back of the room */
#define HEAT_SHARE 0.52      /* of the body's height: the heatmap row; the rest: the curves */
#define HIT_RADIUS 0.8       /* curve hit radius, in font sizes */
#define HEADER_MAX 1024
#define THIN_ABOVE 400       /* curves of more points are thinned for drawing (thin_curve) */
#define THIN_BUCKETS 250
#define NB "\u00a0"           /* no-break space */
#define SEP "   "

struct SceneDepth {
    SceneParams p;               /* p.net.param_grads = 0: only dL/dx_l is needed */
    size_t L, n, shown;          /* full depth, width, d */
    gsl_matrix *X;               /* (B, input width) ~ N(0, 1) */
    Net *res, *plain;            /* plain = twin of res (shares its weights) */
    Sweep *sweep[2];             /* [k], NULL if net k is not shown */
    double *act[2];              /* [k] (L + 1, n): x_l of example 0 */
    double *maxabs[2];           /* [k][l]: max |finite x_j[u]|, j <= l (prefix maximum) */
    unsigned char *bad[2];       /* [k][l]: 1 if x_j of example 0 has inf/NaN for some j <= l */
    double *norms[2];            /* [k][l]: the sweep's norms at the shown depth (published copy:
                                    the draw never reads the Sweep, which a compute thread may be
                                    stepping; see scene_depth_step_compute) */
    double *gplot[2];            /* [k][l]: the norms with NaN as +inf: an overflow mark */
    double *cx[2], *cy[2];       /* [k]: the curve as drawn, (l, gplot[l]) thinned (thin_curve) */
    size_t cn[2];                /* [k]: its points */
};

/* ---- numerics ----------------------------------------------------------------------------- */

/* Row 0 of x_l into act, and the prefix maximum and overflow flag of layer l. */
static void record_layer(SceneDepth *s, int k, size_t l)
{
    const gsl_matrix *x = net_x(s->sweep[k]->net, l);
    double *row = s->act[k] + l * s->n, m = l ? s->maxabs[k][l - 1] : 0;
    int bad = l ? s->bad[k][l - 1] : 0;
    for (size_t u = 0; u < s->n; u++) {
        row[u] = gsl_matrix_get(x, 0, u);
        if (!isfinite(row[u])) bad = 1;
        else if (fabs(row[u]) > m) m = fabs(row[u]);
    }
    s->maxabs[k][l] = m;
    s->bad[k][l] = (unsigned char)bad;
}

/* The curve as drawn: all points up to THIN_ABOVE, beyond that, in about THIN_BUCKETS runs of
 * consecutive layers, each run's lowest and highest point in their order: the polyline keeps
 * the envelope and every off-scale point (0, inf), and at depth 1000 (a run of 4 layers is about
 * 4 pixels wide) stroking it takes a fraction of the time. Runs are >= 2 layers long when
 * thinning, so there are never more than d + 1 points (cx, cy hold L + 1). */
static void thin_curve(SceneDepth *s, int k, size_t d)
{
    const double *g = s->gplot[k];
    size_t n = 0, run = d + 1 > THIN_ABOVE ? (d + THIN_BUCKETS) / THIN_BUCKETS : 1;
    for (size_t a = 0; a <= d; a += run) {
        size_t b = a + run - 1 < d ? a + run - 1 : d, lo = a, hi = a;
        for (size_t l = a; l <= b; l++) {
            if (g[l] < g[lo]) lo = l;
            if (g[l] > g[hi]) hi = l;
        }
        size_t first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;
        s->cx[k][n] = (double)first, s->cy[k][n++] = g[first];
        if (second != first) s->cx[k][n] = (double)second, s->cy[k][n++] = g[second];
    }
    s->cn[k] = n;
}

/* The sweep's norms at depth d, NaN drawn as +inf: a NaN norm comes from inf - inf or 0 * inf in
 * an overflowing backward pass, so it is an overflow, not a gap in the curve. */
static void record_norms(SceneDepth *s, int k)
{
    const Sweep *w = s->sweep[k];
    for (size_t l = 0; l <= w->depth; l++) {
        s->norms[k][l] = w->norms[l];
        s->gplot[k][l] = isnan(w->norms[l]) ? INFINITY : w->norms[l];
    }
    thin_curve(s, k, w->depth);
}

/* Sweeps net k from its depth to target: blocks before the last get their forward pass only
 * (what sweep_step does first, so x_l are bit for bit a sweep's), and the last a sweep_step:
 * one backward pass of the prefix instead of one per depth. Sweep.depth is its public count
 * of the blocks done. */
static void advance(SceneDepth *s, int k, size_t target)
{
    Sweep *w = s->sweep[k];
    Net *net = w->net;
    while (w->depth + 1 < target) {
        size_t l = w->depth + 1;
        block_forward(&net->block, net->params[l - 1], net_x(net, l - 1), net->cache[l - 1]);
        w->depth = l;
        record_layer(s, k, l);
    }
    if (w->depth < target && sweep_step(w) == 0) record_layer(s, k, w->depth);
    record_norms(s, k);
}

static int alloc_arrays(SceneDepth *s, int k)
{
    size_t L1 = s->L + 1;
    s->act[k] = malloc(L1 * s->n * sizeof *s->act[k]);
    s->maxabs[k] = malloc(L1 * sizeof *s->maxabs[k]);
    s->bad[k] = malloc(L1);
    s->gplot[k] = malloc(L1 * sizeof *s->gplot[k]);
    s->norms[k] = malloc(L1 * sizeof *s->norms[k]);
    s->cx[k] = malloc(L1 * sizeof *s->cx[k]);
    s->cy[k] = malloc(L1 * sizeof *s->cy[k]);
    s->sweep[k] = sweep_alloc(k == SCENE_DEPTH_PLAIN ? s->plain : s->res, s->X);
    return s->act[k] && s->maxabs[k] && s->bad[k] && s->gplot[k] && s->norms[k] && s->cx[k] && s->cy[k] &&
           s->sweep[k];
}

/* The nets as `reslab flow` builds them: residual weights, dropout mask, then X, one rng. */
static int build_nets(SceneDepth *s)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return 0;
    gsl_rng_set(rng, s->p.seed);
    s->res = net_alloc(&s->p.net, s->p.batch, rng);
    if (s->res) {
        net_dropout_draw(s->res, rng);
        size_t w = net_input_width(s->res);
        s->X = gsl_matrix_alloc(s->p.batch, w);
        for (size_t b = 0; s->X && b < s->p.batch; b++)
            for (size_t j = 0; j < w; j++) gsl_matrix_set(s->X, b, j, gsl_ran_gaussian(rng, 1.0));
    }
    gsl_rng_free(rng);
    if (s->X) s->plain = net_alloc_twin(s->res, SHORTCUT_NONE);
    return s->plain != NULL;
}

/* What scene_depth_alloc refuses beyond net_config_check. */
static int check_params(const SceneParams *p, char *err, size_t errlen)
{
    if (p->net.depth > MAX_DEPTH)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "depth scene: depth %zu is more than "
                          "the %d layers a heatmap can show", p->net.depth, MAX_DEPTH);
    if (p->shown_depth > p->net.depth)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "depth scene: shown depth %zu is more "
                          "than the depth %zu", p->shown_depth, p->net.depth);
    if (p->show < 1 || p->show > SCENE_SHOW_BOTH)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "depth scene: show must be 1 (plain), "
                          "2 (residual) or 3 (both), not %d", p->show);
    return RESLAB_OK;
}

SceneDepth *scene_depth_alloc(const SceneParams *p, char *err, size_t errlen)
{
    NetConfig cfg = p->net;
    cfg.param_grads = 0;
    if (net_config_check(&cfg, p->batch, RESLAB_MEMORY_LIMIT, err, errlen) ||
        check_params(p, err, errlen))
        return NULL;
    SceneDepth *s = calloc(1, sizeof *s);
    int ok = s != NULL;
    if (ok) {
        s->p = *p;
        s->p.net = cfg;
        s->L = cfg.depth;
        s->n = cfg.width;
        ok = build_nets(s);
    }
    for (int k = 0; ok && k < 2; k++)
        if (p->show & (k == SCENE_DEPTH_PLAIN ? SCENE_SHOW_PLAIN : SCENE_SHOW_RESIDUAL)) {
            ok = alloc_arrays(s, k);
            if (ok) record_layer(s, k, 0);
            if (ok) advance(s, k, p->shown_depth ? p->shown_depth : s->L);
        }
    if (!ok) {
        scene_depth_free(s);
        status_set(err, errlen, RESLAB_ERR_NOMEM, "depth scene: out of memory");
        return NULL;
    }
    s->shown = p->shown_depth ? p->shown_depth : s->L;
    return s;
}

void scene_depth_free(SceneDepth *s)
{
    if (!s) return;
    for (int k = 0; k < 2; k++) {
        sweep_free(s->sweep[k]);
        free(s->act[k]);
        free(s->maxabs[k]);
        free(s->bad[k]);
        free(s->gplot[k]);
        free(s->norms[k]);
        free(s->cx[k]);
        free(s->cy[k]);
    }
    net_free(s->plain);                       /* the twin first: it borrows res's weights */
    net_free(s->res);
    gsl_matrix_free(s->X);
    free(s);
}

int scene_depth_step_compute(SceneDepth *s)
{
    if (s->shown >= s->L) return 1;
    for (int k = 0; k < 2; k++)
        if (s->sweep[k] && s->sweep[k]->depth == s->shown) sweep_step(s->sweep[k]);
    return 0;
}

void scene_depth_step_publish(SceneDepth *s)
{
    int moved = 0;
    for (int k = 0; k < 2; k++)
        if (s->sweep[k] && s->sweep[k]->depth == s->shown + 1) {
            record_layer(s, k, s->shown + 1);
            record_norms(s, k);
            moved = 1;
        }
    if (moved) s->shown++;
}

int scene_depth_step(SceneDepth *s)
{
    if (scene_depth_step_compute(s)) return 1;
    scene_depth_step_publish(s);
    return 0;
}

void scene_depth_restart(SceneDepth *s)
{
    for (int k = 0; k < 2; k++)
        if (s->sweep[k]) {
            sweep_reset(s->sweep[k]);
            record_layer(s, k, 0);
            advance(s, k, 1);
        }
    s->shown = 1;
}

size_t scene_depth_shown(const SceneDepth *s) { return s->shown; }

const double *scene_depth_activations(const SceneDepth *s, int k)
{
    return k >= 0 && k < 2 && s->sweep[k] ? s->act[k] : NULL;
}

const double *scene_depth_norms(const SceneDepth *s, int k)
{
    return k >= 0 && k < 2 && s->sweep[k] ? s->norms[k] : NULL;
}

/* ---- words -------------------------------------------------------------------------------- */

static const char *net_name(int k, SceneLang lang)
{
    static const char *names[2][2] = {{"plain", "residual"}, {"普通网络", "残差网络"}};
    return names[lang == SCENE_LANG_ZH][k];
}

static const char *shortcut_zh(ShortcutKind k)
{
    static const char *zh[] = {"无", "恒等", "补零 (A)", "投影 (B)", "全投影 (C)", "常数缩放",
                               "门控", "捷径门控", "捷径 dropout"};
    return (size_t)k < sizeof zh / sizeof zh[0] ? zh[k] : block_shortcut_name(k);
}

void scene_depth_params_text(const SceneParams *p, size_t shown, size_t batch, SceneLang lang,
                             char *buf, size_t len)
{
    const NetConfig *c = &p->net;
    int zh = lang == SCENE_LANG_ZH;
    const char *init = c->init == INIT_HE ? "He" : c->init == INIT_GLOROT ? "Glorot" :
                       zh ? "正交" : "orthogonal";
    const char *order = zh ? (c->order == ORDER_PRE ? "预激活" : "后激活") : block_order_name(c->order);
    if (!buf || len == 0) return;
    buf[0] = '\0';
    /* items joined by three spaces; inside an item NB (no-break spaces), so lines wrap only
     * between items */
    if (shown)
        scene_util_cat(buf, len, zh ? "深度" NB "<b>%zu</b>" NB "/" NB "%zu" : "depth" NB "<b>%zu</b>" NB "/" NB "%zu",
            shown, c->depth);
    else
        scene_util_cat(buf, len, zh ? "深度" NB "<b>%zu</b>" : "depth" NB "<b>%zu</b>", c->depth);
    scene_util_cat(buf, len, zh ? SEP "宽度" NB "<b>%zu</b>" SEP "初始化" NB "<b>%s</b>" SEP "捷径" NB
                                  "<b>%s</b>（%s）" SEP "批归一化" NB "<b>%s</b>" SEP "种子" NB "<b>%lu</b>"
                                  SEP "<i>B</i>" NB "=" NB "%zu"
                                : SEP "width" NB "<b>%zu</b>" SEP "init" NB "<b>%s</b>" SEP "shortcut" NB
                                  "<b>%s</b>" NB "(%s)" SEP "batch" NB "norm" NB "<b>%s</b>" SEP "seed" NB
                                  "<b>%lu</b>" SEP "<i>B</i>" NB "=" NB "%zu",
        c->width, init, zh ? shortcut_zh(c->shortcut) : block_shortcut_name(c->shortcut), order,
        c->bn ? (zh ? "开" : "on") : (zh ? "关" : "off"), p->seed, batch);
    if (c->act != ACT_RELU)
        scene_util_cat(buf, len, zh ? SEP "激活函数" NB "%s" : SEP "activation" NB "%s", act_name(c->act));
    if (c->hidden && c->hidden != c->width)
        scene_util_cat(buf, len, zh ? SEP "隐藏宽度" NB "%zu" : SEP "hidden" NB "%zu", c->hidden);
    if (c->input_width)
        scene_util_cat(buf, len, zh ? SEP "输入宽度" NB "%zu" : SEP "input" NB "width" NB "%zu", c->input_width);
    if (c->branch_scale != 1.0)
        scene_util_cat(buf, len, zh ? SEP "分支缩放" NB "<b>%.3g</b>" : SEP "branch" NB "scale" NB "<b>%.3g</b>",
            c->branch_scale);
    if (c->zero_last)
        scene_util_cat(buf, len, zh ? SEP "<i>F</i>" NB "初始为" NB "0" : SEP "<i>F</i>" NB "=" NB "0" NB "at" NB "init");
    if (c->bias_std > 0)
        scene_util_cat(buf, len, zh ? SEP "偏置标准差" NB "%.3g" : SEP "bias" NB "std" NB "%.3g", c->bias_std);
    if (c->shortcut == SHORTCUT_SCALED) scene_util_cat(buf, len, SEP "λ" NB "%.3g", c->lambda);
    if (c->shortcut == SHORTCUT_DROPOUT)
        scene_util_cat(buf, len, zh ? SEP "丢弃率" NB "%.3g" : SEP "drop" NB "p" NB "%.3g", c->dropout_p);
    if (c->shortcut == SHORTCUT_GATE || c->shortcut == SHORTCUT_GATE_SHORTCUT)
        scene_util_cat(buf, len, zh ? SEP "门控偏置" NB "%.3g" : SEP "gate" NB "bias" NB "%.3g", c->gate_bias);
}

/* ---- layout ------------------------------------------------------------------------------- */

#define HEAT_REST_EN ": activations"
#define HEAT_REST_ZH "：激活"
static const char *heat_name[2][2] = {{"Plain net", "Residual net"}, {"普通网络", "残差网络"}};
static const char *heat_title[2][2] = {{"Plain net" HEAT_REST_EN, "Residual net" HEAT_REST_EN},
                                       {"普通网络" HEAT_REST_ZH, "残差网络" HEAT_REST_ZH}};

static const char *bar_label(SceneLang lang)
{
    return scene_util_tr(lang, "<i>x</i><sub><i>l</i></sub>[<i>u</i>] of example 0",
                         "样本 0 的 <i>x</i><sub><i>l</i></sub>[<i>u</i>]");
}

static const char *figure_title(SceneLang lang)
{
    return scene_util_tr(lang, "Depth: a plain net and its residual twin (the same <i>F</i> in every block)",
                         "深度：普通网络与残差网络（每个块的 <i>F</i> 相同）");
}

static TextStyle header_style(const Theme *t, double scale, double width)
{
    TextStyle st = text_style(t, scale);
    st.markup = 1;
    st.max_width = width;
    return st;
}

/* 1 if a shown curve has a point off the top edge (inf, NaN) (edge > 0) or the bottom (0). */
static int edge_marks(const SceneDepth *s, int edge)
{
    for (int k = 0; k < 2; k++)
        for (size_t l = 0; s->sweep[k] && l <= s->shown; l++)
            if (edge > 0 ? isinf(s->gplot[k][l]) : !(s->gplot[k][l] > 0)) return 1;
    return 0;
}

/* The curves in drawing order, residual (solid) first so that the dashed plain curve stays
 * visible on top of it, and the overflow mark if a curve has one. Returns the count. */
static int legend_entries(const SceneDepth *s, const Theme *t, SceneLang lang, PlotLegendEntry *e)
{
    int n = 0, few = s->shown <= 40;                   /* markers while they stay apart */
    if (s->sweep[SCENE_DEPTH_RESIDUAL])
        e[n++] = (PlotLegendEntry){scene_util_tr(lang, "residual net", "残差网络"), t->residual, PLOT_SOLID,
                                   few ? PLOT_MARKER_SQUARE : PLOT_MARKER_NONE, PLOT_LEGEND_LINE};
    if (s->sweep[SCENE_DEPTH_PLAIN])
        e[n++] = (PlotLegendEntry){scene_util_tr(lang, "plain net", "普通网络"), t->plain, PLOT_DASHED,
                                   few ? PLOT_MARKER_CIRCLE : PLOT_MARKER_NONE, PLOT_LEGEND_LINE};
    if (edge_marks(s, 1) || edge_marks(s, -1))
        e[n++] = (PlotLegendEntry){scene_util_tr(lang, "off scale: 0, ±inf, NaN", "超出范围：0、±inf、NaN"),
                                   t->overflow, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_OVERFLOW};
    return n;
}

/* Heatmap panel i in col: its colour bar on the right, layers 0..L along x, the cells 0..d. */
static void heat_panel(const SceneDepth *s, cairo_t *cr, const Theme *t, SceneLang lang, Rect col,
                       int i, SceneDepthLayout *out)
{
    int k = out->heat_net[i];
    size_t d = s->shown;
    Heatmap hm = {s->act[k], d + 1, s->n, COLORMAP_DIVERGING, 0, 0, 1};
    double m = s->maxabs[k][d];
    if (m > 0) hm.lo = -m, hm.hi = m;           /* what heatmap_auto_range gives, without a scan */
    else heatmap_auto_range(&hm, NAN);
    const char *label = bar_label(lang);
    Rect p = col;
    out->bar[i] = layout_cut_right(&p, heatmap_colorbar_width(cr, t, &hm, label, p.h));
    layout_cut_right(&p, 0.4 * t->font_size);
    PlotAxes *ax = &out->heat[i];
    ax->outer = p;
    ax->title = heat_title[lang == SCENE_LANG_ZH][k];
    heatmap_axes(&hm, ax, scene_util_tr(lang, "layer <i>l</i>", "层 <i>l</i>"), scene_util_tr(lang, "unit", "单元"));
    ax->x.hi = (double)s->L + 0.5;            /* the full depth: the picture grows rightwards */
    plot_layout(cr, t, ax);
    Rect f = ax->frame;
    out->cells[i] = (Rect){f.x, f.y, plot_x(ax, (double)d + 0.5) - f.x, f.h};
    out->bar[i].y = f.y;
    out->bar[i].h = f.h;
    out->hm[i] = hm;
}

static void grad_panel(const SceneDepth *s, cairo_t *cr, const Theme *t, SceneLang lang, Rect p,
                       SceneDepthLayout *out)
{
    PlotAxes *ax = &out->grad;
    PlotLegendEntry e[3];
    double w, h, fs = t->font_size;
    scene_util_legend_size(cr, t, e, legend_entries(s, t, lang, e), 0, &w, &h);
    out->legend = layout_cut_right(&p, w + 0.6 * fs);     /* beside the frame: hides no data */
    out->legend.x += 0.6 * fs;
    out->legend.w = w;
    out->legend.h = h;
    ax->outer = p;
    ax->title = scene_util_tr(lang, "Gradient norm by layer, loss <i>L</i> = ½‖<i>x</i><sub><i>d</i></sub>‖² / "
                                    "<i>B</i> of the first <i>d</i> blocks",
                              "各层的梯度范数，损失 <i>L</i> = ½‖<i>x</i><sub><i>d</i></sub>‖² / <i>B</i>"
                              "（前 <i>d</i> 个块）");
    /* cell centres of the heatmaps sit at whole layers too: -0.5 .. L + 0.5 on every x axis */
    ax->x = (PlotAxis){PLOT_LINEAR, -0.5, (double)s->L + 0.5, scene_util_tr(lang, "layer <i>l</i>", "层 <i>l</i>"),
                       1, {0}};
    ax->y = (PlotAxis){PLOT_LOG10, NAN, NAN, "‖∂<i>L</i>/∂<i>x</i><sub><i>l</i></sub>‖", 0, {0}};
    for (int k = 0; k < 2; k++)
        if (s->sweep[k]) plot_range_include(&ax->y, s->gplot[k], s->shown + 1);
    if (plot_range_valid(&ax->y)) {           /* room above and below the curves: 4% of the decades */
        double pad = pow(10, fmax(0.3, 0.04 * (log10(ax->y.hi) - log10(ax->y.lo))));
        double lo = ax->y.lo / pad, hi = ax->y.hi * pad;
        ax->y.lo = lo > 0 ? lo : ax->y.lo;
        ax->y.hi = isfinite(hi) ? hi : ax->y.hi;
    }
    plot_range_finish(&ax->y);
    plot_layout(cr, t, ax);
    out->legend.y = ax->frame.y;
}

/* One heatmap above the curves: the same frame width, so layer l's cells sit above point l. */
static void align_frames(const SceneDepth *s, SceneDepthLayout *out)
{
    Rect *h = &out->heat[0].frame, *g = &out->grad.frame;
    double x0 = fmax(h->x, g->x), x1 = fmin(h->x + h->w, g->x + g->w);
    if (!(x1 - x0 > 1)) return;
    h->x = g->x = x0;
    h->w = g->w = x1 - x0;
    out->cells[0].x = x0;
    out->cells[0].w = plot_x(&out->heat[0], (double)s->shown + 0.5) - x0;
}

Theme scene_depth_fit_theme(const Theme *t, Rect r)
{
    Theme f = *t;
    double k = fmin(r.w / SCENE_DEPTH_REF_W, r.h / SCENE_DEPTH_REF_H);
    if (k < 1) f.font_size *= fmax(k, SCENE_DEPTH_MIN_TEXT);
    return f;
}

/* The layout for a theme already fitted to r. */
static void layout_fitted(const SceneDepth *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang,
                          SceneDepthLayout *out)
{
    double fs = t->font_size;
    memset(out, 0, sizeof *out);
    Rect page = layout_inset(r, 0.8 * fs);
    char head[HEADER_MAX];
    /* at full depth: the same height all along the animation */
    scene_depth_params_text(&s->p, s->L, s->p.batch, lang, head, sizeof head);
    TextExtent a, b;
    TextStyle st = header_style(t, TITLE_SCALE, page.w);
    st.bold = 1;
    text_measure(cr, figure_title(lang), &st, &a);
    st = header_style(t, PARAM_SCALE, page.w);
    text_measure(cr, head, &st, &b);
    out->header = layout_cut_top(&page, a.h + 0.25 * fs + b.h + 0.6 * fs);
    Rect top = layout_cut_top(&page, page.h * HEAT_SHARE);
    layout_cut_top(&page, 0.6 * fs);
    for (int k = 0; k < 2; k++)
        if (s->sweep[k]) out->heat_net[out->nheat++] = k;
    Rect col[2];
    layout_split_cols(top, out->nheat, 2 * fs, col);
    for (int i = 0; i < out->nheat; i++) heat_panel(s, cr, t, lang, col[i], i, out);
    grad_panel(s, cr, t, lang, page, out);
    if (out->nheat == 1) align_frames(s, out);
}

void scene_depth_layout(const SceneDepth *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang,
                        SceneDepthLayout *out)
{
    Theme f = scene_depth_fit_theme(t, r);
    layout_fitted(s, cr, r, &f, lang, out);
}

/* ---- drawing ------------------------------------------------------------------------------ */

static void draw_header(const SceneDepth *s, cairo_t *cr, const Theme *t, SceneLang lang, Rect h)
{
    char head[HEADER_MAX];
    scene_depth_params_text(&s->p, s->shown, s->p.batch, lang, head, sizeof head);
    TextStyle st = header_style(t, TITLE_SCALE, h.w);
    st.bold = 1;
    TextExtent e;
    text_draw(cr, h.x, h.y, figure_title(lang), &st, &e);
    st = header_style(t, PARAM_SCALE, h.w);
    text_draw(cr, h.x, h.y + e.h + 0.25 * t->font_size, head, &st, NULL);
}

static void draw_heat(const SceneDepth *s, cairo_t *cr, const Theme *t, SceneLang lang,
                      const SceneDepthLayout *L, int i)
{
    int k = L->heat_net[i], zh = lang == SCENE_LANG_ZH;
    heatmap_draw(cr, t, L->cells[i], &L->hm[i]);
    char title[256], hex[8];
    snprintf(title, sizeof title, "<span foreground=\"%s\">%s</span>%s",
             rgb_format_hex(k == SCENE_DEPTH_PLAIN ? t->plain : t->residual, hex),
             heat_name[zh][k], zh ? HEAT_REST_ZH : HEAT_REST_EN);  /* same text as the layout's */
    PlotAxes ax = L->heat[i];
    ax.title = title;
    plot_draw_axes(cr, t, &ax);
    heatmap_colorbar(cr, t, L->bar[i], &L->hm[i], bar_label(lang),
                     s->bad[k][s->shown]);
}

static void draw_grad(const SceneDepth *s, cairo_t *cr, const Theme *t, SceneLang lang,
                      const SceneDepthLayout *L)
{
    const PlotAxes *ax = &L->grad;
    PlotLegendEntry e[3];
    int ne = legend_entries(s, t, lang, e);
    plot_draw_axes(cr, t, ax);
    for (int i = 0; i < ne && e[i].kind == PLOT_LEGEND_LINE; i++) {   /* residual first */
        int k = i == 0 && s->sweep[SCENE_DEPTH_RESIDUAL] ? SCENE_DEPTH_RESIDUAL : SCENE_DEPTH_PLAIN;
        plot_line(cr, t, ax, s->cx[k], s->cy[k], s->cn[k], e[i].colour, e[i].dash);
        if (e[i].marker != PLOT_MARKER_NONE)
            plot_markers(cr, t, ax, NULL, s->gplot[k], s->shown + 1, e[i].colour, e[i].marker);
    }
    double m = 0.5 * t->font_size;                      /* plot_legend's inset in a frame */
    PlotAxes box = {.frame = {L->legend.x - m, L->legend.y - m, L->legend.w + 2 * m, L->legend.h + 2 * m}};
    plot_legend(cr, t, &box, e, ne, PLOT_LEGEND_NW);
}

void scene_depth_draw(const SceneDepth *s, cairo_t *cr, Rect r, const Theme *theme, SceneLang lang)
{
    Theme fitted = scene_depth_fit_theme(theme, r);
    const Theme *t = &fitted;
    SceneDepthLayout L;
    layout_fitted(s, cr, r, t, lang, &L);
    scene_util_open(cr, r, t);             /* save, clip to r, background; cairo_restore at the end */
    draw_header(s, cr, t, lang, L.header);
    for (int i = 0; i < L.nheat; i++) draw_heat(s, cr, t, lang, &L, i);
    draw_grad(s, cr, t, lang, &L);
    cairo_restore(cr);
}

/* ---- hit test ----------------------------------------------------------------------------- */

/* Where point l of a curve is drawn: clamped to the frame as plot_line clamps it. */
static void curve_point(const PlotAxes *ax, size_t l, double v, double *px, double *py)
{
    double fx = plot_axis_frac(&ax->x, (double)l), fy = plot_axis_frac(&ax->y, v);
    fx = fx < 0 ? 0 : fx > 1 ? 1 : fx;
    fy = isnan(fy) ? 1 : fy < 0 ? 0 : fy > 1 ? 1 : fy;
    *px = ax->frame.x + ax->frame.w * fx;
    *py = ax->frame.y + ax->frame.h * (1 - fy);
}

static void value_text(char *buf, size_t len, double v)
{
    if (isnan(v)) snprintf(buf, len, "nan");
    else snprintf(buf, len, "%.4e", v);
}

static int hit_cells(const SceneDepth *s, const SceneDepthLayout *L, SceneLang lang, double x,
                     double y, char *buf, size_t len)
{
    for (int i = 0; i < L->nheat; i++) {
        Rect c = L->cells[i];
        if (!(x >= c.x && x < c.x + c.w && y >= c.y && y < c.y + c.h)) continue;
        int k = L->heat_net[i];
        size_t l = (size_t)((x - c.x) / c.w * (double)(s->shown + 1));
        size_t u = (size_t)((y - c.y) / c.h * (double)s->n);
        l = l > s->shown ? s->shown : l;
        u = u >= s->n ? s->n - 1 : u;
        char v[32];
        value_text(v, sizeof v, s->act[k][l * s->n + u]);
        snprintf(buf, len, "%s x_%zu[%zu] = %s", net_name(k, lang), l, u, v);
        return 1;
    }
    return 0;
}

static int hit_curves(const SceneDepth *s, const PlotAxes *ax, double radius, SceneLang lang,
                      double x, double y, char *buf, size_t len)
{
    double best = radius * radius;
    int bk = -1;
    size_t bl = 0;
    for (int k = 0; k < 2; k++)
        for (size_t l = 0; s->sweep[k] && l <= s->shown; l++) {
            double px, py;
            curve_point(ax, l, s->gplot[k][l], &px, &py);
            double d2 = (px - x) * (px - x) + (py - y) * (py - y);
            if (d2 < best) best = d2, bk = k, bl = l;
        }
    if (bk < 0) return 0;
    char v[32];
    value_text(v, sizeof v, s->norms[bk][bl]);
    snprintf(buf, len, "%s ||dL/dx_%zu|| = %s", net_name(bk, lang), bl, v);
    return 1;
}

int scene_depth_hit_theme(const SceneDepth *s, Rect r, const Theme *t, SceneLang lang, double x,
                          double y, char *buf, size_t len)
{
    if (!buf || len == 0) return 0;
    Theme f = scene_depth_fit_theme(t, r);
    SceneDepthLayout L;
    layout_fitted(s, NULL, r, &f, lang, &L);
    return hit_cells(s, &L, lang, x, y, buf, len) ||
           hit_curves(s, &L.grad, HIT_RADIUS * f.font_size, lang, x, y, buf, len);
}

int scene_depth_hit(const SceneDepth *s, Rect r, double x, double y, char *buf, size_t len)
{
    Theme t = theme_light();
    return scene_depth_hit_theme(s, r, &t, s->p.lang, x, y, buf, len);
}

/* ---- texts -------------------------------------------------------------------------------- */

int scene_depth_texts(const SceneDepth *s, SceneLang lang, char *buf, size_t len)
{
    if (!buf || len == 0) return RESLAB_ERR_INVALID;
    Theme t = theme_light();
    SceneDepthLayout L;
    scene_depth_layout(s, NULL, (Rect){0, 0, 1280, 800}, &t, lang, &L);
    char head[HEADER_MAX];
    scene_depth_params_text(&s->p, s->shown, s->p.batch, lang, head, sizeof head);
    PlotLegendEntry e[3];
    int ne = legend_entries(s, &t, lang, e);
    buf[0] = '\0';
    scene_util_cat(buf, len, "%s\n%s\n%s\n", figure_title(lang), head, bar_label(lang));
    for (int i = 0; i < L.nheat; i++)
        scene_util_cat(buf, len, "%s\n%s\n%s\n", L.heat[i].title, L.heat[i].x.label, L.heat[i].y.label);
    scene_util_cat(buf, len, "%s\n%s\n%s\n", L.grad.title, L.grad.x.label, L.grad.y.label);
    for (int i = 0; i < ne; i++) scene_util_cat(buf, len, "%s\n", e[i].label);
    return strlen(buf) + 1 < len ? RESLAB_OK : RESLAB_ERR_INVALID;
}
