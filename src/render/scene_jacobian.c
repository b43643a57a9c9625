/* scene_jacobian.c: the Jacobian scene (scene_jacobian.h): singular values of dx_L/dx_0 and of
 * every block, plain vs residual, and how far both are from dynamical isometry.
 *
 * Legend: n width, L depth, l block 1..L, i singular value index 1..n; fs the theme's base font
 * size; r the scene's rectangle, in logical units.
 */
#include "scene_jacobian.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jacobian.h"
#include "scene_util.h"
#include "status.h"
#include "text.h"

enum {
    T_TITLE, T_DESCRIBE, T_EXAMPLE,
    T_SPEC_TITLE, T_SPEC_X, T_SPEC_Y, T_PLAIN_K, T_RES_K, T_PLAIN_OVER, T_RES_OVER, T_ONE,
    T_OFF, T_BLK_TITLE, T_BLK_X, T_BLK_Y, T_BLK_PLAIN, T_BLK_RES, T_BLK_BN,
    T_NOTE, T_NOTE_BN, T_EXPLODED, T_COUNT
};

static const char *const text[2][T_COUNT] = {
    [SCENE_LANG_EN] = {
        "Singular values of the Jacobian ∂<i>x</i><sub><i>L</i></sub>/∂<i>x</i><sub>0</sub>: "
        "plain vs residual",
        "depth %zu · width %zu · hidden %zu · %s · %s · %s init · shortcut %s%s · batch %zu "
        "· seed %lu",
        " · example %zu",
        "Whole net: ∂<i>x</i><sub><i>L</i></sub>/∂<i>x</i><sub>0</sub>",
        "index <i>i</i> (sorted, largest first)", "singular value <i>s</i><sub><i>i</i></sub>",
        "plain: κ = <i>s</i><sub>max</sub>/<i>s</i><sub>min</sub> = %s",
        "residual: κ = <i>s</i><sub>max</sub>/<i>s</i><sub>min</sub> = %s",
        "plain: overflow (inf or NaN in <i>J</i>)", "residual: overflow (inf or NaN in <i>J</i>)",
        "1 = isometry",
        "off scale: ∞, NaN, 0 or &lt; ε·<i>s</i><sub>max</sub>",
        "Each block: ∂<i>x</i><sub><i>l</i></sub>/∂<i>x</i><sub><i>l</i>−1</sub>", "block <i>l</i>",
        "singular values <i>s</i><sub>min</sub> … <i>s</i><sub>max</sub>",
        "plain: <i>s</i><sub>min</sub> … <i>s</i><sub>max</sub>",
        "residual: <i>s</i><sub>min</sub> … <i>s</i><sub>max</sub>",
        "Not defined with batch norm: it couples the examples of the batch.",
        "Dynamical isometry means every singular value of ∂<i>x</i><sub><i>L</i></sub>/∂"
        "<i>x</i><sub>0</sub> is near 1, so the gradient keeps its size in every direction on "
        "the way back (Saxe et al. 2013; Pennington et al. 2017); the condition number κ = "
        "<i>s</i><sub>max</sub>/<i>s</i><sub>min</sub> says how far a net is from it (κ = 1: "
        "perfect). An identity-shortcut block has Jacobian <i>I</i> + ∂<i>F</i>/∂<i>x</i> (in post "
        "order times the ReLU's 0/1 diagonal): with <i>F</i> = 0 (last layer zeroed, as ReZero and "
        "SkipInit start) a pre-activation block is exactly the identity, <i>J</i> = <i>I</i>, every "
        "singular value 1 and κ = 1, while the plain twin gives <i>J</i> = 0. Singular values "
        "below ε·<i>s</i><sub>max</sub> (ε = 2.2×10<sup>−16</sup>) are rounding noise of the SVD: "
        "they are drawn at the bottom edge. Weights at initialisation.",
        " With batch norm <i>J</i> is the partial derivative of <i>x</i><sub><i>L</i></sub>[<i>b</i>] "
        "by <i>x</i><sub>0</sub>[<i>b</i>] with the other examples of the batch held fixed.",
        "The Jacobian overflowed (inf or NaN): the net exploded.",
    },
    [SCENE_LANG_ZH] = {
        "雅可比矩阵 ∂<i>x</i><sub><i>L</i></sub>/∂<i>x</i><sub>0</sub> 的奇异值：普通网络与残差网络",
        "深度 %zu · 宽度 %zu · 隐藏宽度 %zu · %s · %s · %s 初始化 · 捷径 %s%s · 批量 %zu "
        "· 种子 %lu",
        " · 样本 %zu",
        "整个网络：∂<i>x</i><sub><i>L</i></sub>/∂<i>x</i><sub>0</sub>",
        "序号 <i>i</i>（从大到小排列）", "奇异值 <i>s</i><sub><i>i</i></sub>",
        "普通网络：条件数 κ = %s", "残差网络：条件数 κ = %s",
        "普通网络：溢出（<i>J</i> 含 inf 或 NaN）", "残差网络：溢出（<i>J</i> 含 inf 或 NaN）",
        "1 = 等距",
        "超出刻度：∞、NaN、0 或 &lt; ε·<i>s</i><sub>max</sub>",
        "每个块：∂<i>x</i><sub><i>l</i></sub>/∂<i>x</i><sub><i>l</i>−1</sub>", "块 <i>l</i>",
        "奇异值 <i>s</i><sub>min</sub> … <i>s</i><sub>max</sub>",
        "普通网络：<i>s</i><sub>min</sub> … <i>s</i><sub>max</sub>",
        "残差网络：<i>s</i><sub>min</sub> … <i>s</i><sub>max</sub>",
        "使用批归一化时没有定义：它把一个批次中的样本耦合在一起。",
        "动力学等距（dynamical isometry）指 ∂<i>x</i><sub><i>L</i></sub>/∂<i>x</i><sub>0</sub> "
        "的所有奇异值都接近 1，梯度在反向传播时沿每个方向都保持大小（Saxe 等 2013；Pennington 等 "
        "2017）；条件数 κ = <i>s</i><sub>max</sub>/<i>s</i><sub>min</sub> 衡量网络离它有多远"
        "（κ = 1 为理想）。恒等捷径的块的雅可比矩阵是 <i>I</i> + ∂<i>F</i>/∂<i>x</i>（后激活顺序"
        "还要乘以 ReLU 的 0/1 对角矩阵）：当 <i>F</i> = 0（最后一层置零，ReZero 和 SkipInit 即如此"
        "初始化）时，前激活的块恰好是恒等映射，<i>J</i> = <i>I</i>，所有奇异值为 1，κ = 1；"
        "而普通网络此时 <i>J</i> = 0。小于 ε·<i>s</i><sub>max</sub>（ε = 2.2×10<sup>−16</sup>）"
        "的奇异值只是 SVD 的舍入噪声，画在下边缘。权重为初始化时的值。",
        "使用批归一化时，<i>J</i> 是 <i>x</i><sub><i>L</i></sub>[<i>b</i>] 对 "
        "<i>x</i><sub>0</sub>[<i>b</i>] 的偏导数，批次中的其他样本保持不变。",
        "雅可比矩阵溢出了（inf 或 NaN）：网络爆炸了。",
    },
};

struct SceneJacobian {
    SceneJacobianData d;
    double *s_plain, *s_res, *b_plain, *b_res;
};

const char *const *scene_jacobian_texts(SceneLang lang, size_t *n)
{
    *n = T_COUNT;
    return text[lang == SCENE_LANG_ZH];
}

const SceneJacobianData *scene_jacobian_data(const SceneJacobian *s) { return &s->d; }

/* ---- numerics --------------------------------------------------------------------------- */

/* flow_jacobian.c's analyse(): J of example b, its singular values into s[n], overflow flag;
 * without batch norm each block's singular values into blocks[L * n] (NaN rows on failure). */
static int analyse(Net *net, const gsl_matrix *X, size_t b, double *s, double *blocks,
                   int *overflow)
{
    size_t n = net->cfg.width, L = net->cfg.depth;
    JacobianWork *w = jacobian_work_alloc(net);
    gsl_matrix *J = gsl_matrix_alloc(n, n);
    gsl_matrix **Jl = blocks ? calloc(L, sizeof *Jl) : NULL;
    int rc = w && J && (!blocks || Jl) ? RESLAB_OK : RESLAB_ERR_NOMEM;
    for (size_t l = 0; rc == RESLAB_OK && Jl && l < L; l++)
        if (!(Jl[l] = gsl_matrix_alloc(n, n))) rc = RESLAB_ERR_NOMEM;
    gsl_vector_view sv = gsl_vector_view_array(s, n);
    if (rc == RESLAB_OK) {
        net_forward(net, X);
        rc = jacobian_net(net, b, J, w);
        if (rc == RESLAB_OK) rc = jacobian_singular_values(J, &sv.vector, w);
        *overflow = rc == JACOBIAN_OVERFLOW;
        if (*overflow) {
            gsl_vector_set_all(&sv.vector, NAN);
            rc = RESLAB_OK;
        }
    }
    if (rc == RESLAB_OK && Jl) {
        int brc = jacobian_blocks(net, b, Jl);
        for (size_t l = 0; l < L; l++) {
            gsl_vector_view v = gsl_vector_view_array(blocks + l * n, n);
            if (brc != RESLAB_OK || jacobian_singular_values(Jl[l], &v.vector, w) != RESLAB_OK)
                gsl_vector_set_all(&v.vector, NAN);
        }
    }
    for (size_t l = 0; Jl && l < L; l++) gsl_matrix_free(Jl[l]);
    free(Jl);
    gsl_matrix_free(J);
    jacobian_work_free(w);
    return rc;
}

static int compute(SceneJacobian *s, char *err, size_t errlen)
{
    SceneJacobianData *d = &s->d;
    Net *res = NULL, *plain = NULL;
    gsl_matrix *X = NULL;
    int rc = scene_util_make_nets(&d->net, d->batch, d->seed, &res, &plain, &X);
    if (!rc) rc = analyse(plain, X, d->example, s->s_plain, s->b_plain, &d->overflow_plain);
    if (!rc) rc = analyse(res, X, d->example, s->s_res, s->b_res, &d->overflow_residual);
    if (rc) status_set(err, errlen, rc, "%s for the Jacobians",
                       rc == RESLAB_ERR_NOMEM ? "out of memory" : "the SVD did not converge");
    gsl_vector_const_view vp = gsl_vector_const_view_array(s->s_plain, d->n);
    gsl_vector_const_view vr = gsl_vector_const_view_array(s->s_res, d->n);
    d->cond_plain = jacobian_condition(&vp.vector);
    d->cond_residual = jacobian_condition(&vr.vector);
    net_free(plain);
    net_free(res);
    gsl_matrix_free(X);
    return rc;
}

SceneJacobian *scene_jacobian_alloc(const SceneParams *p, char *err, size_t errlen)
{
    NetConfig cfg = p->net;
    cfg.param_grads = 0;
    if (net_config_check(&cfg, p->batch, RESLAB_MEMORY_LIMIT, err, errlen)) return NULL;
    if (p->show < 1 || p->show > SCENE_SHOW_BOTH) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "jacobian scene: show must be 1 (plain), 2 "
                   "(residual) or 3 (both), not %d", p->show);
        return NULL;
    }
    if (p->example >= p->batch) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "example %zu: the batch has %zu examples "
                   "(0..%zu)", p->example, p->batch, p->batch - 1);
        return NULL;
    }
    size_t n = cfg.width, L = cfg.depth;
    SceneJacobian *s = calloc(1, sizeof *s);
    int ok = s != NULL;
    if (ok) {
        s->s_plain = malloc(n * sizeof *s->s_plain);
        s->s_res = malloc(n * sizeof *s->s_res);
        s->b_plain = cfg.bn ? NULL : malloc(L * n * sizeof *s->b_plain);
        s->b_res = cfg.bn ? NULL : malloc(L * n * sizeof *s->b_res);
        ok = s->s_plain && s->s_res && (cfg.bn || (s->b_plain && s->b_res));
    }
    if (!ok) {
        scene_jacobian_free(s);
        status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the Jacobian scene");
        return NULL;
    }
    s->d = (SceneJacobianData){.net = cfg, .n = n, .L = L, .batch = p->batch,
                               .show = p->show,
                               .example = p->example, .seed = p->seed, .s_plain = s->s_plain,
                               .s_residual = s->s_res, .blocks_plain = s->b_plain,
                               .blocks_residual = s->b_res};
    if (compute(s, err, errlen)) {
        scene_jacobian_free(s);
        return NULL;
    }
    return s;
}

void scene_jacobian_free(SceneJacobian *s)
{
    if (!s) return;
    free(s->s_plain);
    free(s->s_res);
    free(s->b_plain);
    free(s->b_res);
    free(s);
}

/* ---- layout -------------------------------------------------------------------------------- */

/* Singular values v[0..n-1] (descending) as drawn on the log axes: an overflowed net's NaN as
 * +inf (top mark); a value below the SVD's rounding floor eps * v[0] as 0 (bottom mark: it is
 * noise, jacobian.h), so the axes span what the SVD resolves. */
static void shown(const double *v, size_t n, int overflow, double *out)
{
    double floor = DBL_EPSILON * v[0];
    for (size_t i = 0; i < n; i++)
        out[i] = overflow && isnan(v[i]) ? INFINITY : v[i] < floor ? 0.0 : v[i];
}

/* 1 if some of the n values would be drawn off the log scale */
static int any_off(const double *v, size_t n, int overflow)
{
    for (size_t i = 0; i < n; i++)
        if (overflow || !(v[i] >= DBL_EPSILON * v[0]) || !isfinite(v[i]) || v[i] == 0) return 1;
    return 0;
}

/* the same over every block's row */
static int blocks_off(const double *b, size_t L, size_t n)
{
    for (size_t l = 0; l < L; l++)
        if (any_off(b + l * n, n, 0)) return 1;
    return 0;
}

/* Widen ax's range by v (n) as shown */
static void include_shown(PlotAxis *ax, const double *v, size_t n, int overflow)
{
    double buf[64];
    for (size_t i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < m; j++) buf[j] = overflow ? NAN : v[i + j] < DBL_EPSILON * v[0] ? 0 : v[i + j];
        plot_range_include(ax, buf, m);
    }
}

typedef struct {
    char title[512], sub[512], note[2400], kp[128], kr[128];
    PlotLegendEntry spec[4], blk[4];
    int n[2];
} Labels;

static void labels(const SceneJacobian *s, const Theme *t, SceneLang lang, Labels *b)
{
    const char *const *T = text[lang == SCENE_LANG_ZH];
    const SceneJacobianData *d = &s->d;
    char v[64], ex[64];
    snprintf(b->title, sizeof b->title, "%s", T[T_TITLE]);
    scene_util_describe(b->sub, sizeof b->sub - sizeof ex, T[T_DESCRIBE], &d->net, d->batch, d->seed,
                        lang == SCENE_LANG_ZH);
    snprintf(ex, sizeof ex, T[T_EXAMPLE], d->example);
    strcat(b->sub, ex);
    snprintf(b->note, sizeof b->note, "%s%s", T[T_NOTE], d->net.bn ? T[T_NOTE_BN] : "");
    scene_util_fmt_num(v, sizeof v, d->cond_plain);
    snprintf(b->kp, sizeof b->kp, T[T_PLAIN_K], v);
    scene_util_fmt_num(v, sizeof v, d->cond_residual);
    snprintf(b->kr, sizeof b->kr, T[T_RES_K], v);
    PlotLegendEntry off = {T[T_OFF], t->overflow, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_OVERFLOW};
    PlotLegendEntry one = {T[T_ONE], t->muted, PLOT_DOTTED, PLOT_MARKER_NONE, 0};
    int sp = d->show & SCENE_SHOW_PLAIN, sr = d->show & SCENE_SHOW_RESIDUAL, n = 0, m = 0;
    if (sp) b->spec[n++] = (PlotLegendEntry){d->overflow_plain ? T[T_PLAIN_OVER] : b->kp, t->plain,
                                             PLOT_DASHED, PLOT_MARKER_CIRCLE, 0};
    if (sr) b->spec[n++] = (PlotLegendEntry){d->overflow_residual ? T[T_RES_OVER] : b->kr,
                                             t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, 0};
    b->spec[n++] = one;
    if ((sp && any_off(d->s_plain, d->n, d->overflow_plain)) ||
        (sr && any_off(d->s_residual, d->n, d->overflow_residual)))
        b->spec[n++] = off;
    if (sp) b->blk[m++] = (PlotLegendEntry){T[T_BLK_PLAIN], t->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE, 0};
    if (sr) b->blk[m++] = (PlotLegendEntry){T[T_BLK_RES], t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, 0};
    b->blk[m++] = one;
    if (d->blocks_plain && ((sp && blocks_off(d->blocks_plain, d->L, d->n)) ||
                            (sr && blocks_off(d->blocks_residual, d->L, d->n))))
        b->blk[m++] = off;
    b->n[0] = n;
    b->n[1] = d->blocks_plain ? m : 0;
}

static void layout_axes(const SceneJacobian *s, SceneLang lang, SceneJacobianLayout *o)
{
    const char *const *T = text[lang == SCENE_LANG_ZH];
    const SceneJacobianData *d = &s->d;
    o->spectrum.title = T[T_SPEC_TITLE];
    o->spectrum.x = (PlotAxis){PLOT_LINEAR, 0.5, d->n + 0.5, T[T_SPEC_X], 1, {0}};
    o->spectrum.y = (PlotAxis){PLOT_LOG10, 1, 1, T[T_SPEC_Y], 0, {0}};     /* 1 always shown */
    int sp = d->show & SCENE_SHOW_PLAIN, sr = d->show & SCENE_SHOW_RESIDUAL;
    if (sp) include_shown(&o->spectrum.y, d->s_plain, d->n, d->overflow_plain);
    if (sr) include_shown(&o->spectrum.y, d->s_residual, d->n, d->overflow_residual);
    plot_range_finish(&o->spectrum.y);
    o->blocks.title = T[T_BLK_TITLE];
    o->blocks.x = (PlotAxis){PLOT_LINEAR, 0.5, d->L + 0.5, T[T_BLK_X], 1, {0}};
    o->blocks.y = (PlotAxis){PLOT_LOG10, 1, 1, T[T_BLK_Y], 0, {0}};
    if (d->blocks_plain) {
        for (size_t l = 0; l < d->L; l++) {
            if (sp) include_shown(&o->blocks.y, d->blocks_plain + l * d->n, d->n, 0);
            if (sr) include_shown(&o->blocks.y, d->blocks_residual + l * d->n, d->n, 0);
        }
    }
    plot_range_finish(&o->blocks.y);
}

static void layout_in(cairo_t *cr, const SceneJacobian *s, Rect r, const Theme *t,
                           SceneLang lang, SceneJacobianLayout *out)
{
    double fs = t->font_size;
    Labels b;
    labels(s, t, lang, &b);
    memset(out, 0, sizeof *out);
    Rect page = scene_util_page(cr, t, r, b.title, b.sub, b.note, &out->title, &out->note);
    const PlotLegendEntry *leg[2] = {b.spec, b.blk};
    double lh = 0, w, h;
    for (int i = 0; i < 2; i++) {
        scene_util_legend_size(cr, t, leg[i], b.n[i], 0.5 * t->font_size, &w, &h);
        lh = fmax(lh, h);
    }
    Rect col[2];
    layout_split_cols(page, 2, 2 * fs, col);
    PlotAxes *ax[2] = {&out->spectrum, &out->blocks};
    layout_axes(s, lang, out);
    for (int i = 0; i < 2; i++) {
        out->legend[i] = layout_cut_bottom(&col[i], lh);
        ax[i]->outer = col[i];
        plot_layout(cr, t, ax[i]);
    }
}

/* ---- fitting the figure into r ------------------------------------------------------------ */

void scene_jacobian_layout(cairo_t *cr, const SceneJacobian *s, Rect r, const Theme *t,
                           SceneLang lang, SceneJacobianLayout *out)
{
    Rect d;
    double k = scene_util_fit(r, t, &d);
    layout_in(cr, s, d, t, lang, out);
    out->title = scene_util_to_caller(out->title, r, k);
    out->note = scene_util_to_caller(out->note, r, k);
    out->legend[0] = scene_util_to_caller(out->legend[0], r, k);
    out->legend[1] = scene_util_to_caller(out->legend[1], r, k);
    scene_util_axes_to_caller(&out->spectrum, r, k);
    scene_util_axes_to_caller(&out->blocks, r, k);
}

/* ---- drawing ------------------------------------------------------------------------------- */

/* A horizontal reference line at y = v across the frame. */
static void hline(cairo_t *cr, const Theme *t, const PlotAxes *ax, double v, Rgb c, PlotDash dash)
{
    double x[2] = {ax->x.lo, ax->x.hi}, y[2] = {v, v};
    plot_line(cr, t, ax, x, y, 2, c, dash);
}

static void draw_spectrum(cairo_t *cr, const Theme *t, const PlotAxes *ax, const SceneJacobianData *d)
{
    size_t n = d->n;
    double *i1 = malloc(n * sizeof *i1), *vp = malloc(n * sizeof *vp), *vr = malloc(n * sizeof *vr);
    if (i1 && vp && vr) {
        for (size_t i = 0; i < n; i++) i1[i] = (double)(i + 1);
        shown(d->s_plain, n, d->overflow_plain, vp);
        shown(d->s_residual, n, d->overflow_residual, vr);
        hline(cr, t, ax, 1, t->muted, PLOT_DOTTED);
        int marks = n <= 64;
        if (d->show & SCENE_SHOW_PLAIN) {
            plot_line(cr, t, ax, i1, vp, n, t->plain, PLOT_DASHED);
            if (marks) plot_markers(cr, t, ax, i1, vp, n, t->plain, PLOT_MARKER_CIRCLE);
        }
        if (d->show & SCENE_SHOW_RESIDUAL) {
            plot_line(cr, t, ax, i1, vr, n, t->residual, PLOT_SOLID);
            if (marks) plot_markers(cr, t, ax, i1, vr, n, t->residual, PLOT_MARKER_SQUARE);
        }
    }
    free(i1);
    free(vp);
    free(vr);
}

/* Per block a bar from s_min to s_max (values clamped to the frame), translucent, shifted by dx
 * blocks so that the two nets stand side by side. */
static void range_bars(cairo_t *cr, const PlotAxes *ax, const double *lo, const double *hi,
                       size_t L, double dx, Rgb c)
{
    Rect f = ax->frame;
    cairo_save(cr);
    for (size_t l = 0; l < L; l++) {
        double fl = plot_axis_frac(&ax->y, lo[l]), fh = plot_axis_frac(&ax->y, hi[l]);
        if (isnan(fl) || isnan(fh)) continue;
        double yl = f.y + f.h * (1 - fmin(fmax(fl, 0), 1)), yh = f.y + f.h * (1 - fmin(fmax(fh, 0), 1));
        double x0 = plot_x(ax, l + 1 + dx - 0.17), x1 = plot_x(ax, l + 1 + dx + 0.17);
        cairo_rectangle(cr, x0, yh, x1 - x0, yl - yh);
    }
    rgb_set_source_alpha(cr, c, 0.3);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* One net's per-block s_max and s_min (as shown) into mx[L], mn[L]. */
static int block_extremes(const double *blocks, size_t L, size_t n, double *mx, double *mn)
{
    double *row = malloc(n * sizeof *row);
    if (!row) return 0;
    for (size_t l = 0; l < L; l++) {
        shown(blocks + l * n, n, 1, row);      /* a NaN row: that block's J_l overflowed */
        mx[l] = row[0];
        mn[l] = row[n - 1];
    }
    free(row);
    return 1;
}

static void draw_blocks(cairo_t *cr, const Theme *t, const PlotAxes *ax, const SceneJacobianData *d)
{
    size_t L = d->L, n = d->n;
    double *x = malloc(L * sizeof *x), *v = malloc(4 * L * sizeof *v);
    if (x && v) {
        double *p[2] = {v, v + L}, *r[2] = {v + 2 * L, v + 3 * L};   /* {s_max, s_min} */
        for (size_t l = 0; l < L; l++) x[l] = (double)(l + 1);
        if (block_extremes(d->blocks_plain, L, n, p[0], p[1]) &&
            block_extremes(d->blocks_residual, L, n, r[0], r[1])) {
            int sp = d->show & SCENE_SHOW_PLAIN, sr = d->show & SCENE_SHOW_RESIDUAL;
            double off = L <= 60 && sp && sr ? 0.2 : 0;
            if (sp) range_bars(cr, ax, p[1], p[0], L, -off, t->plain);
            if (sr) range_bars(cr, ax, r[1], r[0], L, off, t->residual);
            hline(cr, t, ax, 1, t->muted, PLOT_DOTTED);
            int marks = L <= 60;
            for (int k = 0; sp && k < 2; k++) {
                plot_line(cr, t, ax, x, p[k], L, t->plain, PLOT_DASHED);
                if (marks) plot_markers(cr, t, ax, x, p[k], L, t->plain, PLOT_MARKER_CIRCLE);
            }
            for (int k = 0; sr && k < 2; k++) {
                plot_line(cr, t, ax, x, r[k], L, t->residual, PLOT_SOLID);
                if (marks) plot_markers(cr, t, ax, x, r[k], L, t->residual, PLOT_MARKER_SQUARE);
            }
        }
    }
    free(x);
    free(v);
}

void scene_jacobian_draw(const SceneJacobian *s, cairo_t *cr, Rect r, const Theme *t,
                         SceneLang lang)
{
    SceneJacobianLayout o;
    Rect fig;
    Labels b;
    labels(s, t, lang, &b);
    scene_util_begin(cr, r, t, &fig);   /* clip, background, fit; cairo_restore at the end */
    layout_in(cr, s, fig, t, lang, &o);
    scene_util_header(cr, t, o.title, b.title, b.sub, 1);
    plot_draw_axes(cr, t, &o.spectrum);
    draw_spectrum(cr, t, &o.spectrum, &s->d);
    if ((s->d.overflow_plain || !(s->d.show & SCENE_SHOW_PLAIN)) &&
        (s->d.overflow_residual || !(s->d.show & SCENE_SHOW_RESIDUAL)))
        scene_util_empty_note(cr, t, &o.spectrum, text[lang == SCENE_LANG_ZH][T_EXPLODED]);
    scene_util_legend_in(cr, t, o.legend[0], o.spectrum.frame.x, b.spec, b.n[0]);
    plot_draw_axes(cr, t, &o.blocks);
    if (s->d.blocks_plain) {
        draw_blocks(cr, t, &o.blocks, &s->d);
        scene_util_legend_in(cr, t, o.legend[1], o.blocks.frame.x, b.blk, b.n[1]);
    } else {
        scene_util_empty_note(cr, t, &o.blocks, text[lang == SCENE_LANG_ZH][T_BLK_BN]);
    }
    TextStyle st = scene_util_note_style(t, o.note.w);
    text_draw(cr, o.note.x, o.note.y, b.note, &st, NULL);
    cairo_restore(cr);
}
