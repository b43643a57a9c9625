/* scene_block.c: the block scene (scene_block.h): the diagram of y = F(x) + S(x) as the
 * configured block computes it, the vectors of one example as bars, and the identity that holds.
 *
 * Legend: B batch, n width (n_in = n_out = n), i an example, j a unit, e the example shown;
 * fs the theme's base font size; the figure is r (logical units). "term" means what is added at
 * the sum: F(x) (or g ⊙ F(x) for exclusive gating) and S(x).
 */
#include "scene_block.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include "heatmap.h"
#include "scene_util.h"
#include "status.h"
#include "text.h"

#define TR(lang, en, zh) ((lang) == SCENE_LANG_ZH ? (zh) : (en))
#define MINUS "\xe2\x88\x92"             /* U+2212 */
#define TITLE_SCALE 1.45
#define CHECK_SCALE 1.2
#define NOTE_SCALE 0.9
#define DIAG_SCALE 1.1                    /* text in the diagram's boxes */
#define BOX_H 2.5                         /* diagram box height, font sizes */
#define EDGE_CONTRAST 1.6                 /* bars closer than this to the page get an edge */
#define ARROW_MAX 3.6                     /* longest arrow between boxes, font sizes */

struct SceneBlock {
    NetConfig net;
    BlockConfig block;                    /* the net's first block: n -> n */
    size_t n, batch, example;
    unsigned long seed;
    double *vec[SCENE_BLOCK_VEC_COUNT];   /* n each, example e; NULL if not part of this block */
    double check;                         /* max_i,j |y - expected| */
    double naive;                         /* post order, s != id: max |y - (F + S)|; else NAN */
    double gate_mean;                     /* gates: mean g of example e; else NAN */
};

/* ---- numerics ------------------------------------------------------------------------- */

static double act1(Activation a, double z)
{
    switch (a) {
    case ACT_RELU: return z > 0.0 ? z : 0.0;
    case ACT_TANH: return tanh(z);
    case ACT_IDENTITY: break;
    }
    return z;
}

/* S(x) of row x (n) into S, and the gate g (gates only) into g: recomputed from the parameters,
 * independently of shortcut_forward. m is the dropout mask row (dropout only). */
static void shortcut_term(const BlockConfig *b, const BlockParams *p, const double *x,
                          const double *m, double *S, double *g)
{
    size_t n = b->n_in;
    for (size_t j = 0; j < n; j++) {
        double v = x[j];
        if (block_has_projection(b) || block_has_gate(b)) {   /* (Ws x)_j or (Wg x + bg)_j */
            const gsl_matrix *W = block_has_projection(b) ? p->Ws : p->Wg;
            v = 0.0;
            for (size_t k = 0; k < n; k++) v += gsl_matrix_get(W, j, k) * x[k];
        }
        if (block_has_gate(b)) {
            g[j] = 1.0 / (1.0 + exp(-(v + gsl_vector_get(p->bg, j))));   /* g = sigmoid(Wg x + bg) */
            v = (1.0 - g[j]) * x[j];
        } else if (b->shortcut == SHORTCUT_SCALED) {
            v = b->lambda * x[j];
        } else if (b->shortcut == SHORTCUT_DROPOUT) {
            v = m[j] * x[j];
        } else if (b->shortcut == SHORTCUT_NONE) {
            v = 0.0;
        }
        S[j] = v;
    }
}

/* For every example: the terms, the expected output, the largest differences; example e's
 * vectors into s->vec. c is the cache block_forward filled. */
static void block_terms(SceneBlock *s, const BlockParams *p, const gsl_matrix *x0, const BlockCache *c)
{
    const BlockConfig *b = &s->block;
    size_t n = s->n;
    double *S = malloc(n * sizeof *S), *g = malloc(n * sizeof *g);
    s->check = 0.0;
    s->naive = b->order == ORDER_POST && b->act != ACT_IDENTITY ? 0.0 : NAN;
    int finite = S && g;
    for (size_t i = 0; finite && i < s->batch; i++) {
        const double *x = gsl_matrix_const_ptr(x0, i, 0);
        shortcut_term(b, p, x, c->mask ? gsl_matrix_const_ptr(c->mask, i, 0) : NULL, S, g);
        for (size_t j = 0; j < n; j++) {
            double f = gsl_matrix_get(c->f, i, j);
            double term = b->shortcut == SHORTCUT_GATE ? g[j] * f : f, sum = term + S[j];
            double want = b->order == ORDER_POST ? act1(b->act, sum) : sum;   /* y = s(F + S) */
            double y = gsl_matrix_get(c->out, i, j), d = fabs(y - want);
            if (!isfinite(d)) finite = 0;
            s->check = fmax(s->check, d);
            if (!isnan(s->naive)) s->naive = fmax(s->naive, fabs(y - sum));
            if (i != s->example) continue;
            s->vec[SCENE_BLOCK_VEC_X][j] = x[j];
            s->vec[SCENE_BLOCK_VEC_F][j] = term;
            if (s->vec[SCENE_BLOCK_VEC_S]) s->vec[SCENE_BLOCK_VEC_S][j] = S[j];
            if (s->vec[SCENE_BLOCK_VEC_SUM]) s->vec[SCENE_BLOCK_VEC_SUM][j] = sum;
            s->vec[SCENE_BLOCK_VEC_Y][j] = y;
        }
        if (i == s->example && block_has_gate(b)) {
            s->gate_mean = 0.0;
            for (size_t j = 0; j < n; j++) s->gate_mean += g[j] / (double)n;
        }
    }
    if (!finite) s->check = s->naive = NAN;
    free(S);
    free(g);
}

/* The net as `reslab flow` builds it; block 1 forward on x_0. RESLAB_OK or RESLAB_ERR_NOMEM. */
static int block_compute(SceneBlock *s, const SceneParams *p)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return RESLAB_ERR_NOMEM;
    gsl_rng_set(rng, p->seed);
    Net *net = net_alloc(&p->net, p->batch, rng);             /* weights first */
    gsl_matrix *X = net ? gsl_matrix_alloc(p->batch, net_input_width(net)) : NULL;
    int rc = RESLAB_ERR_NOMEM;
    if (X) {
        net_dropout_draw(net, rng);                            /* then the masks */
        for (size_t i = 0; i < X->size1; i++)                  /* then X ~ N(0, 1) */
            for (size_t j = 0; j < X->size2; j++) gsl_matrix_set(X, i, j, gsl_ran_gaussian(rng, 1.0));
        if (net->W_in)                                         /* x_0 = X W_in^T: [B x n] = [B x in][in x n] */
            gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, X, net->W_in, 0.0, net->x0);
        else
            gsl_matrix_memcpy(net->x0, X);
        s->block = net->block;
        block_forward(&net->block, net->params[0], net->x0, net->cache[0]);
        block_terms(s, net->params[0], net->x0, net->cache[0]);
        rc = RESLAB_OK;
    }
    gsl_matrix_free(X);
    net_free(net);
    gsl_rng_free(rng);
    return rc;
}

SceneBlock *scene_block_alloc(const SceneParams *p, char *err, size_t errlen)
{
    int rc = net_config_check(&p->net, p->batch, RESLAB_MEMORY_LIMIT, err, errlen);
    if (rc) return NULL;
    if (p->example >= p->batch) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "example %zu is not in the batch of %zu "
                   "(examples 0 .. %zu)", p->example, p->batch, p->batch - 1);
        return NULL;
    }
    SceneBlock *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->net = p->net;
    s->n = p->net.width;
    s->batch = p->batch;
    s->example = p->example;
    s->seed = p->seed;
    s->gate_mean = NAN;
    int has[SCENE_BLOCK_VEC_COUNT] = {1, 1, p->net.shortcut != SHORTCUT_NONE,
                                      p->net.order == ORDER_POST, 1};
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++)
        if (has[v] && !(s->vec[v] = calloc(s->n, sizeof(double)))) goto nomem;
    if (block_compute(s, p) == RESLAB_OK) return s;
nomem:
    scene_block_free(s);
    status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the block scene");
    return NULL;
}

void scene_block_free(SceneBlock *s)
{
    if (!s) return;
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++) free(s->vec[v]);
    free(s);
}

const double *scene_block_vector(const SceneBlock *s, SceneBlockVec v)
{
    return v < SCENE_BLOCK_VEC_COUNT ? s->vec[v] : NULL;
}

size_t scene_block_width(const SceneBlock *s) { return s->n; }

double scene_block_check(const SceneBlock *s) { return s->check; }

/* ---- words and formulas ----------------------------------------------------------------- */

static const char *act_label(Activation a, SceneLang lang)
{
    return a == ACT_RELU ? "ReLU" : a == ACT_TANH ? "tanh" : TR(lang, "identity", "恒等");
}

/* S(x) as a formula: "<i>x</i>", "<i>W</i><sub>s</sub><i>x</i>", ... ("" for none). */
static void s_expr(const SceneBlock *s, char *buf, size_t len)
{
    switch (s->block.shortcut) {
    case SHORTCUT_NONE: snprintf(buf, len, "%s", ""); break;
    case SHORTCUT_PROJECT_ALL: snprintf(buf, len, "<i>W</i><sub>s</sub><i>x</i>"); break;
    case SHORTCUT_SCALED:                               /* 0.5x, x for 1, (−0.5)x */
        if (s->block.lambda == 1.0) snprintf(buf, len, "<i>x</i>");
        else if (s->block.lambda < 0) snprintf(buf, len, "(" MINUS "%g)<i>x</i>", -s->block.lambda);
        else snprintf(buf, len, "%g<i>x</i>", s->block.lambda);
        break;
    case SHORTCUT_GATE:
    case SHORTCUT_GATE_SHORTCUT: snprintf(buf, len, "(1 " MINUS " <i>g</i>) \xe2\x8a\x99 <i>x</i>"); break;
    case SHORTCUT_DROPOUT: snprintf(buf, len, "<i>m</i> \xe2\x8a\x99 <i>x</i>"); break;
    default:
        snprintf(buf, len, block_has_projection(&s->block) ? "<i>W</i><sub>s</sub><i>x</i>"
                                                           : "<i>x</i>");
    }
}

static const char *f_expr(const SceneBlock *s)
{
    return s->block.shortcut == SHORTCUT_GATE ? "<i>g</i> \xe2\x8a\x99 <i>F</i>(<i>x</i>)"
                                              : "<i>F</i>(<i>x</i>)";
}

/* What y is: "ReLU(F(x) + x)", "F(x) + 0.5x", "F(x)"; paren: wrap a bare sum in ( ). */
static void y_expr(const SceneBlock *s, char *buf, size_t len, int paren, SceneLang lang)
{
    char se[96], sum[256];
    s_expr(s, se, sizeof se);
    int bare = s->block.shortcut == SHORTCUT_NONE;
    snprintf(sum, sizeof sum, "%s%s%s", f_expr(s), bare ? "" : " + ", se);
    if (s->block.order == ORDER_POST && s->block.act != ACT_IDENTITY)
        snprintf(buf, len, "%s(%s)", act_label(s->block.act, lang), sum);
    else
        snprintf(buf, len, paren && !bare ? "(%s)" : "%s", sum);
}

void scene_block_check_text(const SceneBlock *s, SceneLang lang, char *buf, size_t len)
{
    char y[320], num[64];
    y_expr(s, y, sizeof y, 1, lang);
    scene_util_fmt_num_short(num, sizeof num, s->check);
    if (isnan(s->check))
        snprintf(buf, len, TR(lang, "Check: the values overflowed (inf or NaN); no comparison possible",
                              "检验：数值溢出（inf 或 NaN），无法比较"));
    else
        snprintf(buf, len, TR(lang, "Check, all %zu examples: max |<i>y</i> " MINUS " %s| = %s",
                              "逐元素检验（全部 %zu 个样本）：max |<i>y</i> " MINUS " %s| = %s"),
                 s->batch, y, num);
}

static const char *shortcut_words(const SceneBlock *s, SceneLang lang)
{
    switch (s->block.shortcut) {
    case SHORTCUT_NONE: return TR(lang, "no shortcut (plain block)", "无捷径（普通块）");
    case SHORTCUT_IDENTITY: return TR(lang, "identity shortcut", "恒等捷径");
    case SHORTCUT_ZEROPAD: return TR(lang, "zero-padding shortcut (option A)", "零填充捷径（方案 A）");
    case SHORTCUT_PROJECT: return TR(lang, "option B: projection only where widths change",
                                     "方案 B：仅在宽度变化处投影");
    case SHORTCUT_PROJECT_ALL: return TR(lang, "projection shortcut (option C)", "投影捷径（方案 C）");
    case SHORTCUT_SCALED: return TR(lang, "scaled shortcut", "缩放捷径");
    case SHORTCUT_GATE: return TR(lang, "exclusive gating", "互斥门控");
    case SHORTCUT_GATE_SHORTCUT: return TR(lang, "shortcut-only gating", "仅捷径门控");
    case SHORTCUT_DROPOUT: return TR(lang, "dropout shortcut", "Dropout 捷径");
    }
    return "?";
}

/* The label of the shortcut line in the diagram. */
static void pill_text(const SceneBlock *s, SceneLang lang, char *buf, size_t len)
{
    char se[96];
    s_expr(s, se, sizeof se);
    const char *what;
    switch (s->block.shortcut) {
    case SHORTCUT_ZEROPAD: what = TR(lang, "zero pad: [<i>x</i>, 0] =", "零填充：[<i>x</i>, 0] ="); break;
    case SHORTCUT_PROJECT:
        what = block_has_projection(&s->block) ? TR(lang, "projection:", "投影：")
                                               : TR(lang, "option B, equal widths:", "方案 B，宽度相同：");
        break;
    case SHORTCUT_PROJECT_ALL: what = TR(lang, "projection:", "投影："); break;
    case SHORTCUT_SCALED: what = TR(lang, "scaled by \xce\xbb:", "按 \xce\xbb 缩放："); break;
    case SHORTCUT_GATE:
    case SHORTCUT_GATE_SHORTCUT: what = TR(lang, "gate:", "门控："); break;
    case SHORTCUT_DROPOUT: what = TR(lang, "mask:", "掩码："); break;
    default: what = TR(lang, "identity:", "恒等："); break;
    }
    snprintf(buf, len, lang == SCENE_LANG_ZH ? "%s%s" : "%s %s", what, se);   /* "：" needs no space */
}

static void title_text(const SceneBlock *s, SceneLang lang, char *buf, size_t len)
{
    char y[320];
    y_expr(s, y, sizeof y, 0, lang);
    if (s->block.shortcut == SHORTCUT_NONE)
        snprintf(buf, len, TR(lang, "A plain block (no shortcut):  <i>y</i> = %s",
                              "普通块（没有捷径）：<i>y</i> = %s"), y);
    else
        snprintf(buf, len, TR(lang, "The residual block:  <i>y</i> = %s", "残差块：<i>y</i> = %s"), y);
}

static void config_text(const SceneBlock *s, SceneLang lang, char *buf, size_t len)
{
    const char *order = s->block.order == ORDER_POST
                            ? TR(lang, "post-activation (He et al. 2015)", "后激活（He 等，2015）")
                            : TR(lang, "pre-activation (He et al. 2016)", "预激活（He 等，2016）");
    const char *bn = s->block.bn ? TR(lang, "batch norm", "批归一化")
                                 : TR(lang, "no batch norm", "无批归一化");
    snprintf(buf, len, TR(lang, "%s · %s · activation %s · %s · width %zu · example %zu of %zu · seed %lu",
                          "%s · %s · 激活 %s · %s · 宽度 %zu · 第 %zu 个样本（共 %zu 个）· 种子 %lu"),
             order, shortcut_words(s, lang), act_label(s->block.act, lang), bn, s->n, s->example,
             s->batch, s->seed);
}

/* The notes under the check: why post order needs its activation, what g, m, Ws and BN are. */
static void notes_text(const SceneBlock *s, SceneLang lang, char *buf, size_t len)
{
    char num[64], se[96];
    size_t k = 0;
    buf[0] = '\0';
    s_expr(s, se, sizeof se);
#define ADD(...) do { if (k < len) { int w_ = snprintf(buf + k, len - k, __VA_ARGS__); k += w_ > 0 ? (size_t)w_ : 0; } } while (0)
    if (!isnan(s->naive) && s->block.shortcut != SHORTCUT_NONE) {
        scene_util_fmt_num_short(num, sizeof num, s->naive);
        if (s->naive > 0)
            ADD(TR(lang, "Without the %s after the sum it fails: max |<i>y</i> " MINUS " (%s%s%s)| = %s.\n",
                   "去掉相加之后的 %s 就不成立：max |<i>y</i> " MINUS " (%s%s%s)| = %s。\n"),
                act_label(s->block.act, lang), f_expr(s), *se ? " + " : "", se, num);
    }
    if (block_has_gate(&s->block)) {
        scene_util_fmt_num_short(num, sizeof num, s->gate_mean);
        char bg[64];
        scene_util_fmt_num_short(bg, sizeof bg, s->net.gate_bias);
        ADD(TR(lang, "<i>g</i> = \xcf\x83(<i>W</i><sub>g</sub><i>x</i> + <i>b</i><sub>g</sub>), "
                     "<i>b</i><sub>g</sub> = %s at the start: mean <i>g</i> = %s%s.\n",
               "<i>g</i> = \xcf\x83(<i>W</i><sub>g</sub><i>x</i> + <i>b</i><sub>g</sub>)，初始 "
               "<i>b</i><sub>g</sub> = %s：<i>g</i> 的均值 = %s%s。\n"), bg, num,
            s->gate_mean < 0.05 ? TR(lang, ", so 1 " MINUS " <i>g</i> \xe2\x89\x88 1", "，所以 1 " MINUS " <i>g</i> \xe2\x89\x88 1") : "");
    }
    if (s->block.shortcut == SHORTCUT_DROPOUT)
        ADD(TR(lang, "<i>m</i>: each unit kept with probability 1 " MINUS " <i>p</i> = %g and scaled "
                     "by 1/(1 " MINUS " <i>p</i>) = %g, or dropped (0); one fixed mask.\n",
               "<i>m</i>：每个单元以概率 1 " MINUS " <i>p</i> = %g 保留并乘以 1/(1 " MINUS
               " <i>p</i>) = %g，否则置 0；掩码固定。\n"), 1.0 - s->block.dropout_p,
            1.0 / (1.0 - s->block.dropout_p));
    if (block_has_projection(&s->block))
        ADD(TR(lang, "<i>W</i><sub>s</sub>: a learned %zu × %zu matrix.\n",
               "<i>W</i><sub>s</sub>：可学习的 %zu × %zu 矩阵。\n"), s->n, s->n);
    if (s->block.shortcut == SHORTCUT_ZEROPAD || (s->block.shortcut == SHORTCUT_PROJECT &&
                                                  !block_has_projection(&s->block)))
        ADD(TR(lang, "Input and output widths are equal (%zu), so this shortcut is the identity.\n",
               "输入与输出宽度相同（%zu），所以这个捷径就是恒等映射。\n"), s->n);
    if (s->block.bn)
        ADD(TR(lang, "BN normalises with the statistics of the batch of %zu (training mode).",
               "BN 使用这一批 %zu 个样本的统计量（训练模式）。"), s->batch);
#undef ADD
    if (k > 0 && k < len && buf[k - 1] == '\n') buf[k - 1] = '\0';     /* no empty last line */
}

/* ---- layout ---------------------------------------------------------------------------- */

/* The gap after panel v (before the next shown one): its operator and its width. */
typedef struct {
    const char *op;      /* "+", "=", the activation name (drawn over an arrow), or "" */
    int arrow;
    double w;
} Gap;

static Gap panel_gap(const SceneBlock *s, SceneBlockVec v, SceneLang lang, double fs)
{
    Gap g = {"", 0, 2.0 * fs};
    int post = s->block.order == ORDER_POST;
    if (v == SCENE_BLOCK_VEC_F && s->vec[SCENE_BLOCK_VEC_S]) g = (Gap){"+", 0, 2.4 * fs};
    else if ((v == SCENE_BLOCK_VEC_F || v == SCENE_BLOCK_VEC_S) && !post) g = (Gap){"=", 0, 2.4 * fs};
    else if (v == SCENE_BLOCK_VEC_S) g = (Gap){"=", 0, 2.4 * fs};
    else if (v == SCENE_BLOCK_VEC_SUM || (v == SCENE_BLOCK_VEC_F && post))
        g = (Gap){act_label(s->block.act, lang), 1, 4.6 * fs};
    return g;
}

/* Panel v after the F panel in post order without a shortcut goes straight to y: no SUM panel
 * is drawn then (F + 0 = F). */
static int panel_shown(const SceneBlock *s, SceneBlockVec v)
{
    if (v == SCENE_BLOCK_VEC_SUM && s->block.shortcut == SHORTCUT_NONE) return 0;
    return s->vec[v] != NULL;
}

static const char *panel_title(const SceneBlock *s, SceneBlockVec v, SceneLang lang, char *buf,
                               size_t len)
{
    char se[96];
    switch (v) {
    case SCENE_BLOCK_VEC_X: return TR(lang, "input <i>x</i>", "输入 <i>x</i>");
    case SCENE_BLOCK_VEC_F: return f_expr(s);
    case SCENE_BLOCK_VEC_S:
        s_expr(s, se, sizeof se);
        snprintf(buf, len, "<i>S</i>(<i>x</i>) = %s", se);
        return buf;
    case SCENE_BLOCK_VEC_SUM: return TR(lang, "the sum <i>F</i> + <i>S</i>", "和 <i>F</i> + <i>S</i>");
    case SCENE_BLOCK_VEC_Y: return TR(lang, "output <i>y</i>", "输出 <i>y</i>");
    case SCENE_BLOCK_VEC_COUNT: break;
    }
    return "";
}

static double text_height(cairo_t *cr, const char *s, const TextStyle *st)
{
    TextExtent e;
    text_measure(cr, s, st, &e);
    return e.h;
}

/* The smallest of {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8} x 10^k that is >= m (1 if m is 0 or not
 * finite): a scale that wastes at most a quarter of the panel. */
static double nice_ceil(double m)
{
    static const double steps[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    if (!(m > 0) || !isfinite(m)) return 1.0;
    double p = pow(10, floor(log10(m)));
    if (!(p > 0) || !isfinite(p)) return m;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * p >= m * (1 - 1e-12)) return steps[i] * p;
    return 10 * p;
}

/* The largest |finite value| of the shown units of every shown vector. */
static double shown_max(const SceneBlock *s, size_t units)
{
    double m = 0.0;
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++)
        for (size_t j = 0; panel_shown(s, (SceneBlockVec)v) && j < units; j++)
            if (isfinite(s->vec[v][j])) m = fmax(m, fabs(s->vec[v][j]));
    return m;
}

static void bars_caption(const SceneBlock *s, size_t units, SceneLang lang, char *buf, size_t len)
{
    char of[64] = "";
    if (units < s->n) snprintf(of, sizeof of, TR(lang, " of %zu", "（共 %zu 个）"), s->n);
    char which[64];
    if (units == 1) snprintf(which, sizeof which, "%s", TR(lang, "unit 0", "单元 0"));
    else snprintf(which, sizeof which, TR(lang, "units 0\xe2\x80\x93%zu", "单元 0\xe2\x80\x93%zu"), units - 1);
    if (lang == SCENE_LANG_ZH)
        snprintf(buf, len, "柱：第 %zu 个样本的%s%s，各面板刻度相同；高度和颜色都表示数值。", s->example, which, of);
    else
        snprintf(buf, len, "Bars: %s%s of example %zu, every panel on one scale; "
                           "height and colour both show the value.", which, of, s->example);
}

void scene_block_layout(cairo_t *cr, const SceneBlock *s, Rect r, const Theme *t, SceneLang lang,
                        SceneBlockLayout *o)
{
    double fs = t->font_size;
    char buf[1024], buf2[1024];
    memset(o, 0, sizeof *o);
    Rect page = layout_inset(r, fs);
    TextStyle st = text_style(t, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = page.w;
    title_text(s, lang, buf, sizeof buf);
    double h = text_height(cr, buf, &st) + 0.3 * fs;
    st = text_style(t, NOTE_SCALE);
    st.markup = 1;
    st.max_width = page.w;
    config_text(s, lang, buf, sizeof buf);
    h += text_height(cr, buf, &st);
    o->title = layout_cut_top(&page, h + 0.6 * fs);

    st = text_style(t, CHECK_SCALE);
    st.markup = st.bold = 1;
    st.max_width = page.w;
    scene_block_check_text(s, lang, buf, sizeof buf);
    h = text_height(cr, buf, &st);
    notes_text(s, lang, buf2, sizeof buf2);
    st = text_style(t, NOTE_SCALE);
    st.markup = 1;
    st.max_width = page.w;
    if (buf2[0]) h += 0.3 * fs + text_height(cr, buf2, &st);
    o->check = layout_cut_bottom(&page, h + 0.4 * fs);

    o->units = s->n < SCENE_BLOCK_UNITS_MAX ? s->n : SCENE_BLOCK_UNITS_MAX;
    bars_caption(s, o->units, lang, buf, sizeof buf);
    st = text_style(t, NOTE_SCALE);
    st.max_width = page.w;
    layout_cut_bottom(&page, text_height(cr, buf, &st) + 0.3 * fs);   /* the caption */
    double dh = fmin(8.6 * fs, 0.5 * page.h);
    o->diagram = layout_cut_top(&page, dh);
    layout_cut_top(&page, 0.6 * fs);

    o->range = nice_ceil(shown_max(s, o->units));
    int k = 0;
    double gaps = 0;
    SceneBlockVec last = SCENE_BLOCK_VEC_X;
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++)
        if ((o->shown[v] = panel_shown(s, (SceneBlockVec)v))) {
            if (k++) gaps += panel_gap(s, last, lang, fs).w;
            last = (SceneBlockVec)v;
        }
    double pw = (page.w - gaps) / k, x = page.x;
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++) {
        if (!o->shown[v]) continue;
        PlotAxes *ax = &o->vec[v];
        ax->outer = (Rect){x, page.y, pw, page.h};
        ax->title = NULL;                       /* drawn by scene_block_draw (needs a buffer) */
        ax->x = (PlotAxis){PLOT_LINEAR, -0.5, (double)o->units - 0.5, NULL, 1, {0}};
        ax->y = (PlotAxis){PLOT_LINEAR, -o->range, o->range, NULL, 0, {0}};
        ax->hide_grid = 1;
        Rect outer = ax->outer;                 /* leave room for the title above */
        ax->outer.y += 1.5 * fs;
        ax->outer.h -= 1.5 * fs;
        plot_layout(cr, t, ax);
        ax->outer = outer;
        x += pw + panel_gap(s, (SceneBlockVec)v, lang, fs).w;
    }
}

/* ---- the diagram ------------------------------------------------------------------------ */

/* The fixed words of the diagram. */
typedef enum { DW_SHORTCUT, DW_BRACE, DW_NO_SHORTCUT, DW_ACT_CAPTION, DW_COUNT } DiagramWord;

static const char *diagram_word(const SceneBlock *s, DiagramWord w, SceneLang lang)
{
    int plain = s->block.shortcut == SHORTCUT_NONE;
    switch (w) {
    case DW_SHORTCUT: return TR(lang, "shortcut <i>S</i>(<i>x</i>)", "捷径 <i>S</i>(<i>x</i>)");
    case DW_BRACE:
        return plain ? TR(lang, "<i>F</i>(<i>x</i>): the layers", "<i>F</i>(<i>x</i>)：各层")
                     : TR(lang, "<i>F</i>(<i>x</i>): the residual branch", "<i>F</i>(<i>x</i>)：残差分支");
    case DW_NO_SHORTCUT:
        return TR(lang, "no shortcut: nothing carries <i>x</i> past <i>F</i>", "没有捷径：<i>x</i> 只能经过 <i>F</i>");
    case DW_ACT_CAPTION:
        return plain ? TR(lang, "last activation", "最后的激活") : TR(lang, "after the sum", "相加之后");
    case DW_COUNT: break;
    }
    return "";
}

typedef enum { IT_IN, IT_BOX, IT_GATE, IT_SUM, IT_ACT, IT_OUT } ItemKind;

typedef struct {
    ItemKind kind;
    char label[64];
    double x, w;          /* left edge and width, logical units */
} Item;

enum { ITEMS_MAX = 12 };

static int add_item(Item *it, int n, ItemKind k, const char *label)
{
    it[n].kind = k;
    snprintf(it[n].label, sizeof it[n].label, "%s", label);
    return n + 1;
}

/* The chain from x to y in the order the block computes it. */
static int diagram_items(const SceneBlock *s, SceneLang lang, Item *it)
{
    const BlockConfig *b = &s->block;
    const char *a = act_label(b->act, lang);
    int n = add_item(it, 0, IT_IN, "<i>x</i>");
    if (b->order == ORDER_PRE) {               /* F(x) = W2 s(BN1(W1 s(BN0(x)) + b1)) + b2 */
        if (b->bn) n = add_item(it, n, IT_BOX, "BN");
        n = add_item(it, n, IT_BOX, a);
    }
    n = add_item(it, n, IT_BOX, "<i>W</i><sub>1</sub>, <i>b</i><sub>1</sub>");
    if (b->bn) n = add_item(it, n, IT_BOX, "BN");
    n = add_item(it, n, IT_BOX, a);
    n = add_item(it, n, IT_BOX, "<i>W</i><sub>2</sub>, <i>b</i><sub>2</sub>");
    if (b->bn && b->order == ORDER_POST) n = add_item(it, n, IT_BOX, "BN");
    if (b->shortcut == SHORTCUT_GATE) n = add_item(it, n, IT_GATE, "\xe2\x8a\x99 <i>g</i>");
    if (b->shortcut != SHORTCUT_NONE) n = add_item(it, n, IT_SUM, "+");
    if (b->order == ORDER_POST) n = add_item(it, n, IT_ACT, a);
    return add_item(it, n, IT_OUT, "<i>y</i>");
}

static void arrow_head(cairo_t *cr, double x, double y, double dx, double dy, double fs)
{
    double l = 0.55 * fs, w = 0.25 * fs;
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x - dx * l - dy * w, y - dy * l + dx * w);
    cairo_line_to(cr, x - dx * l + dy * w, y - dy * l - dx * w);
    cairo_close_path(cr);
    cairo_fill(cr);
}

/* A horizontal arrow from x0 to x1 at y, its head touching x1. */
static void harrow(cairo_t *cr, double x0, double x1, double y, double lw, double fs)
{
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1 - 0.4 * fs, y);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
    arrow_head(cr, x1, y, 1, 0, fs);
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double rad)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - rad, y + rad, rad, -M_PI / 2, 0);
    cairo_arc(cr, x + w - rad, y + h - rad, rad, 0, M_PI / 2);
    cairo_arc(cr, x + rad, y + h - rad, rad, M_PI / 2, M_PI);
    cairo_arc(cr, x + rad, y + rad, rad, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

/* Widths of the items and their left edges, centred in d; returns the arrow length. */
static double place_items(cairo_t *cr, const Theme *t, Item *it, int n, Rect d)
{
    double fs = t->font_size, total = 0;
    for (int i = 0; i < n; i++) {
        TextStyle st = text_style(t, it[i].kind == IT_IN || it[i].kind == IT_OUT ? 1.5 : DIAG_SCALE);
        st.markup = 1;
        TextExtent e;
        text_measure(cr, it[i].label, &st, &e);
        it[i].w = it[i].kind == IT_SUM ? 1.8 * fs
                : it[i].kind == IT_IN || it[i].kind == IT_OUT ? e.w + 0.3 * fs
                : fmax(e.w + 1.3 * fs, 3.0 * fs);
        total += it[i].w;
    }
    double a = fmin((d.w - total) / (n - 1), ARROW_MAX * fs);
    if (a < 1.0 * fs) a = 1.0 * fs;
    double x = d.x + (d.w - total - a * (n - 1)) / 2;
    for (int i = 0; i < n; i++) {
        it[i].x = x;
        x += it[i].w + a;
    }
    return a;
}

static void draw_item(cairo_t *cr, const Theme *t, const Item *it, double yb)
{
    double fs = t->font_size, bh = BOX_H * fs;
    TextStyle st = text_style(t, it->kind == IT_IN || it->kind == IT_OUT ? 1.5 : DIAG_SCALE);
    st.markup = 1;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_MIDDLE;
    double cx = it->x + it->w / 2;
    cairo_set_line_width(cr, 1.3 * t->axis_width);
    cairo_new_path(cr);                                     /* text_draw leaves a current point */
    if (it->kind == IT_SUM) {
        cairo_arc(cr, cx, yb, it->w / 2, 0, 2 * M_PI);
        rgb_set_source(cr, t->background);
        cairo_fill_preserve(cr);
        rgb_set_source(cr, t->foreground);
        cairo_stroke(cr);
        cairo_move_to(cr, cx - 0.45 * fs, yb);             /* a drawn plus: centred exactly */
        cairo_line_to(cr, cx + 0.45 * fs, yb);
        cairo_move_to(cr, cx, yb - 0.45 * fs);
        cairo_line_to(cr, cx, yb + 0.45 * fs);
        cairo_set_line_width(cr, 0.12 * fs);
        cairo_stroke(cr);
        return;
    }
    if (it->kind != IT_IN && it->kind != IT_OUT) {
        rounded_rect(cr, it->x, yb - bh / 2, it->w, bh, 0.35 * fs);
        rgb_set_source(cr, rgb_mix(t->background, t->foreground, it->kind == IT_BOX ? 0.07 : 0.14));
        cairo_fill_preserve(cr);
        rgb_set_source(cr, t->foreground);
        cairo_stroke(cr);
    }
    text_draw(cr, cx, yb, it->label, &st, NULL);
}

/* The shortcut: from the split point down, along, and up into the sum node, labelled. */
static void draw_shortcut(cairo_t *cr, const SceneBlock *s, const Theme *t, SceneLang lang,
                          double x0, double x1, double yb, double ys)
{
    double fs = t->font_size, rad = 0.7 * fs, r_sum = 0.9 * fs;   /* r_sum: the sum node (IT_SUM is 1.8 fs wide) */
    char buf[256];
    cairo_save(cr);
    cairo_new_path(cr);
    rgb_set_source(cr, t->residual);
    cairo_arc(cr, x0, yb, 0.22 * fs, 0, 2 * M_PI);          /* the split point */
    cairo_fill(cr);
    cairo_move_to(cr, x0, yb);
    cairo_arc_negative(cr, x0 + rad, ys - rad, rad, M_PI, M_PI / 2);
    cairo_arc_negative(cr, x1 - rad, ys - rad, rad, M_PI / 2, 0);
    cairo_line_to(cr, x1, yb + r_sum + 0.4 * fs);
    cairo_set_line_width(cr, t->line_width);
    cairo_stroke(cr);
    arrow_head(cr, x1, yb + r_sum, 0, -1, fs);
    pill_text(s, lang, buf, sizeof buf);
    TextStyle st = text_style(t, DIAG_SCALE);
    st.markup = 1;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_MIDDLE;
    TextExtent e;
    text_measure(cr, buf, &st, &e);
    double pw = e.w + 1.4 * fs, ph = e.h + 0.6 * fs, cx = (x0 + x1) / 2;
    rounded_rect(cr, cx - pw / 2, ys - ph / 2, pw, ph, ph / 2);
    rgb_set_source(cr, t->background);
    cairo_fill_preserve(cr);
    rgb_set_source(cr, t->residual);
    cairo_set_line_width(cr, t->line_width);
    cairo_stroke(cr);
    text_draw(cr, cx, ys, buf, &st, NULL);
    st = text_style(t, NOTE_SCALE);
    st.colour = scene_util_text_colour(t, t->residual);
    st.bold = st.markup = 1;
    st.halign = TEXT_LEFT;
    st.valign = TEXT_MIDDLE;
    text_draw(cr, x0 + rad + 0.4 * fs, ys + 0.9 * fs, diagram_word(s, DW_SHORTCUT, lang), &st, NULL);
    cairo_restore(cr);
}

/* The bracket over the branch boxes, labelled F(x). */
static void draw_brace(cairo_t *cr, const SceneBlock *s, const Theme *t, SceneLang lang,
                       double x0, double x1, double y)
{
    double fs = t->font_size;
    cairo_save(cr);
    rgb_set_source(cr, t->muted);
    cairo_move_to(cr, x0, y + 0.5 * fs);
    cairo_line_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
    cairo_line_to(cr, x1, y + 0.5 * fs);
    cairo_set_line_width(cr, t->axis_width);
    cairo_stroke(cr);
    TextStyle st = text_style(t, DIAG_SCALE);
    st.markup = 1;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_BOTTOM;
    text_draw(cr, (x0 + x1) / 2, y - 0.2 * fs, diagram_word(s, DW_BRACE, lang), &st, NULL);
    cairo_restore(cr);
}

static void draw_diagram(cairo_t *cr, const SceneBlock *s, const Theme *t, SceneLang lang, Rect d)
{
    double fs = t->font_size, bh = BOX_H * fs;
    Item it[ITEMS_MAX];
    int n = diagram_items(s, lang, it);
    double a = place_items(cr, t, it, n, d);
    double need = 8.2 * fs, top = d.y + fmax(0, (d.h - need) / 2);
    double yb = top + 2.1 * fs + bh / 2, ys = yb + bh / 2 + 1.9 * fs;
    int first = 1, last = 0, sum = -1;
    for (int i = 0; i < n; i++) {
        if (it[i].kind == IT_BOX) last = i;
        if (it[i].kind == IT_SUM) sum = i;
    }
    cairo_save(cr);
    rgb_set_source(cr, t->foreground);
    for (int i = 0; i + 1 < n; i++) {                       /* the main line, left to right */
        double x0 = it[i].x + it[i].w, x1 = it[i + 1].x;
        harrow(cr, x0 + 0.1 * fs, x1 - 0.1 * fs, yb, t->axis_width * 1.3, fs);
    }
    draw_brace(cr, s, t, lang, it[first].x, it[last].x + it[last].w, yb - bh / 2 - 0.6 * fs);
    for (int i = 0; i < n; i++) draw_item(cr, t, &it[i], yb);
    if (sum >= 0) {
        draw_shortcut(cr, s, t, lang, it[0].x + it[0].w + a / 2, it[sum].x + it[sum].w / 2, yb, ys);
    } else {                                                /* the plain block: say what is missing */
        TextStyle st = text_style(t, 1.0);
        st.bold = st.markup = 1;
        st.colour = scene_util_text_colour(t, t->plain);
        st.halign = TEXT_CENTER;
        st.valign = TEXT_MIDDLE;
        text_draw(cr, (it[first].x + it[last].x + it[last].w) / 2, ys,
                  diagram_word(s, DW_NO_SHORTCUT, lang), &st, NULL);
    }
    for (int i = 0; i < n; i++)
        if (it[i].kind == IT_ACT) {                         /* post order: after the sum */
            TextStyle st = text_style(t, 0.8);
            st.colour = t->muted;
            st.halign = TEXT_CENTER;
            st.valign = TEXT_TOP;
            text_draw(cr, it[i].x + it[i].w / 2, yb + bh / 2 + 0.3 * fs,
                      diagram_word(s, DW_ACT_CAPTION, lang), &st, NULL);
        }
    cairo_restore(cr);
}

/* ---- bars and text ---------------------------------------------------------------------- */

static void draw_bars(cairo_t *cr, const Theme *t, const PlotAxes *ax, const double *v,
                      size_t units, double range)
{
    Heatmap hm = {NULL, 0, 0, COLORMAP_DIVERGING, -range, range, 0};
    Rect f = ax->frame;
    double y0 = plot_y(ax, 0.0);
    cairo_save(cr);
    cairo_rectangle(cr, f.x, f.y, f.w, f.h);
    cairo_clip(cr);
    for (size_t j = 0; j < units; j++) {
        double xl = plot_x(ax, (double)j - 0.4), xr = plot_x(ax, (double)j + 0.4);
        double val = v[j], y1 = isfinite(val) ? plot_y(ax, val) : val < 0 ? f.y + f.h : f.y;
        Rgb c = heatmap_colour(t, &hm, val);
        rgb_set_source(cr, c);
        cairo_rectangle(cr, xl, fmin(y0, y1), xr - xl, fabs(y1 - y0));
        if (rgb_contrast(c, t->background) >= EDGE_CONTRAST) {
            cairo_fill(cr);
            continue;
        }
        cairo_fill_preserve(cr);                           /* a bar close to the page colour: */
        rgb_set_source(cr, t->muted);                      /* give it an edge */
        cairo_set_line_width(cr, t->grid_width);
        cairo_stroke(cr);
    }
    rgb_set_source(cr, t->muted);                          /* the zero line */
    cairo_move_to(cr, f.x, y0);
    cairo_line_to(cr, f.x + f.w, y0);
    cairo_set_line_width(cr, t->grid_width);
    cairo_stroke(cr);
    cairo_restore(cr);
    for (size_t j = 0; j < units; j++)
        if (!isfinite(v[j]))
            plot_overflow_mark(cr, t, plot_x(ax, (double)j), v[j] < 0 ? f.y + f.h : f.y, 0,
                               v[j] < 0 ? 1 : -1);
}

static void draw_panels(cairo_t *cr, const SceneBlock *s, const Theme *t, SceneLang lang,
                        const SceneBlockLayout *L)
{
    double fs = t->font_size;
    char buf[256];
    int prev = -1;
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++) {
        if (!L->shown[v]) continue;
        const PlotAxes *ax = &L->vec[v];
        plot_draw_axes(cr, t, ax);
        draw_bars(cr, t, ax, s->vec[v], L->units, L->range);
        TextStyle st = text_style(t, PLOT_TITLE_SCALE);
        st.markup = st.bold = 1;
        st.halign = TEXT_CENTER;
        st.valign = TEXT_BASELINE;                          /* one baseline, Han or not */
        text_draw(cr, ax->frame.x + ax->frame.w / 2, ax->outer.y + 1.1 * fs,
                  panel_title(s, (SceneBlockVec)v, lang, buf, sizeof buf), &st, NULL);
        if (prev >= 0) {                                    /* the operator between two panels */
            Gap g = panel_gap(s, (SceneBlockVec)prev, lang, fs);
            const PlotAxes *pa = &L->vec[prev];
            double x0 = pa->outer.x + pa->outer.w, x1 = ax->outer.x;
            double cx = (x0 + x1) / 2, cy = ax->frame.y + ax->frame.h / 2;
            st = text_style(t, g.arrow ? 0.9 : 1.8);
            st.halign = TEXT_CENTER;
            st.valign = g.arrow ? TEXT_BOTTOM : TEXT_MIDDLE;
            st.bold = !g.arrow;
            if (g.arrow) {
                rgb_set_source(cr, t->foreground);
                harrow(cr, x0, x1 - 0.2 * fs, cy, t->axis_width * 1.3, fs);
                text_draw(cr, cx, cy - 0.3 * fs, g.op, &st, NULL);
            } else if (g.op[0]) {
                text_draw(cr, cx, cy, g.op, &st, NULL);
            }
        }
        prev = v;
    }
}

static void draw_texts(cairo_t *cr, const SceneBlock *s, const Theme *t, SceneLang lang,
                       const SceneBlockLayout *L)
{
    double fs = t->font_size;
    char buf[1024];
    TextStyle st = text_style(t, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = L->title.w;
    TextExtent e;
    title_text(s, lang, buf, sizeof buf);
    text_draw(cr, L->title.x, L->title.y, buf, &st, &e);
    st = text_style(t, NOTE_SCALE);
    st.markup = 1;
    st.colour = t->muted;
    st.max_width = L->title.w;
    config_text(s, lang, buf, sizeof buf);
    text_draw(cr, L->title.x, e.y + e.h + 0.3 * fs, buf, &st, NULL);

    bars_caption(s, L->units, lang, buf, sizeof buf);
    st.valign = TEXT_BOTTOM;
    text_draw(cr, L->title.x, L->check.y, buf, &st, NULL);

    st = text_style(t, CHECK_SCALE);
    st.markup = st.bold = 1;
    st.max_width = L->check.w;
    st.valign = TEXT_TOP;
    scene_block_check_text(s, lang, buf, sizeof buf);
    text_draw(cr, L->check.x, L->check.y + 0.4 * fs, buf, &st, &e);
    notes_text(s, lang, buf, sizeof buf);
    st = text_style(t, NOTE_SCALE);
    st.markup = 1;
    st.max_width = L->check.w;
    text_draw(cr, L->check.x, e.y + e.h + 0.3 * fs, buf, &st, NULL);
}

void scene_block_draw(const SceneBlock *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang)
{
    SceneBlockLayout L;
    scene_block_layout(cr, s, r, t, lang, &L);
    scene_util_open(cr, r, t);             /* save, clip to r, background; cairo_restore at the end */
    draw_texts(cr, s, t, lang, &L);
    draw_diagram(cr, s, t, lang, L.diagram);
    draw_panels(cr, s, t, lang, &L);
    cairo_restore(cr);
}

void scene_block_each_text(const SceneBlock *s, SceneLang lang,
                           void (*f)(const char *markup, void *ctx), void *ctx)
{
    char buf[2048];
    title_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    config_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    scene_block_check_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    notes_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    bars_caption(s, s->n < SCENE_BLOCK_UNITS_MAX ? s->n : SCENE_BLOCK_UNITS_MAX, lang, buf, sizeof buf);
    f(buf, ctx);
    pill_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    for (int w = 0; w < DW_COUNT; w++) f(diagram_word(s, (DiagramWord)w, lang), ctx);
    Item it[ITEMS_MAX];
    int n = diagram_items(s, lang, it);
    for (int i = 0; i < n; i++) f(it[i].label, ctx);
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++) {
        if (!panel_shown(s, (SceneBlockVec)v)) continue;
        f(panel_title(s, (SceneBlockVec)v, lang, buf, sizeof buf), ctx);
        f(panel_gap(s, (SceneBlockVec)v, lang, 20).op, ctx);
    }
}
