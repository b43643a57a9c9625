/* scene_unroll.c: the unroll scene (scene_unroll.h): x_L = x_0 + sum_l F_l(x_{l-1}) for one
 * example as a written sum of heatmap rows, ||F_l|| per block, the check of Eq. 4, and the
 * correct against the wrong two-block expansion.
 *
 * Legend: B batch, n width, L depth, l a block 1 .. L, e the example shown, j a unit; rows of the
 * heatmap: 0 = x_0, l = F_l(x_{l-1}), L + 1 = x_0 + sum F, L + 2 = x_L; fs the theme's base font
 * size; the figure is r (logical units).
 */
#include "scene_unroll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "scene_util.h"
#include "status.h"
#include "text.h"
#include "ticks.h"

#define TR(lang, en, zh) ((lang) == SCENE_LANG_ZH ? (zh) : (en))
#define MINUS "\xe2\x88\x92"              /* U+2212 */
#define CHECKMARK "\xe2\x9c\x93"           /* U+2713 */
#define CROSS "\xe2\x9c\x97"               /* U+2717 */
#define TITLE_SCALE 1.45
#define CHECK_SCALE 1.35
#define NOTE_SCALE 0.9
#define ROW_MAX 2.0                        /* tallest heatmap row, font sizes */
#define ROW_MIN 1.3                        /* the x_0 and sum rows never get thinner */
#define LOG_SPAN 100.0                     /* norms spanning more than this: log axis */

/* x_L, x_0 and F_l with markup */
#define XL "<i>x</i><sub><i>L</i></sub>"
#define X0 "<i>x</i><sub>0</sub>"
#define XLM1 "<i>x</i><sub><i>l</i>" MINUS "1</sub>"
#define FL "<i>F</i><sub><i>l</i></sub>"
#define F1X "<i>F</i><sub>1</sub>(<i>x</i>)"
#define F2 "<i>F</i><sub>2</sub>"
#define PATHS4 "<i>x</i> + <i>M</i><sub>1</sub><i>x</i> + <i>M</i><sub>2</sub><i>x</i> + " \
               "<i>M</i><sub>2</sub><i>M</i><sub>1</sub><i>x</i>"

struct SceneUnroll {
    NetConfig net;
    BlockConfig block;
    size_t L, n, batch, example;
    unsigned long seed;
    double *rows;              /* (L + 3) x n */
    double *norms;             /* L */
    double norm_x0;            /* ||x_0||_F over the batch */
    UnrollReport rep;
    UnrollExpansion exp;
    int have_exp;
};

/* ---- numerics ------------------------------------------------------------------------- */

/* ||m||_F with a running scale (LAPACK's dnrm2 idea): no overflow before the norm itself does.
 * inf or NaN for a non-finite entry. */
static double norm_scaled(const gsl_matrix *m)
{
    double scale = 0.0, ssq = 1.0;
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) {
            double a = fabs(gsl_matrix_get(m, i, j));
            if (!isfinite(a)) return a;
            if (a == 0.0) continue;
            if (scale < a) {
                ssq = 1.0 + ssq * (scale / a) * (scale / a);
                scale = a;
            } else {
                ssq += (a / scale) * (a / scale);
            }
        }
    return scale * sqrt(ssq);
}

/* Rows 0 .. L + 2 of example e, and the norms. c is scratch for F. */
static void unroll_rows(SceneUnroll *s, const Net *net, BlockCache *c)
{
    size_t L = s->L, n = s->n, e = s->example;
    double *sum = s->rows + (L + 1) * n, *comp = s->rows + (L + 2) * n;   /* comp: scratch */
    memcpy(s->rows, gsl_matrix_const_ptr(net_x(net, 0), e, 0), n * sizeof(double));
    memcpy(sum, s->rows, n * sizeof(double));
    memset(comp, 0, n * sizeof(double));
    s->norm_x0 = norm_scaled(net_x(net, 0));
    for (size_t l = 1; l <= L; l++) {
        block_branch_forward(&net->block, net->params[l - 1], net_x(net, l - 1), c);   /* F_l(x_{l-1}) */
        memcpy(s->rows + l * n, gsl_matrix_const_ptr(c->f, e, 0), n * sizeof(double));
        s->norms[l - 1] = norm_scaled(c->f);
        for (size_t j = 0; j < n; j++) {            /* x_0 + sum F, Kahan-compensated */
            double y = s->rows[l * n + j] - comp[j], t = sum[j] + y;
            comp[j] = (t - sum[j]) - y;
            sum[j] = t;
        }
    }
    memcpy(s->rows + (L + 2) * n, gsl_matrix_const_ptr(net_x(net, L), e, 0), n * sizeof(double));
}

/* The net as `reslab flow` builds it, its forward pass and the checks. */
static int unroll_compute(SceneUnroll *s, const SceneParams *p)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return RESLAB_ERR_NOMEM;
    gsl_rng_set(rng, p->seed);
    Net *net = net_alloc(&p->net, p->batch, rng);             /* weights first */
    gsl_matrix *X = net ? gsl_matrix_alloc(p->batch, net_input_width(net)) : NULL;
    BlockCache *c = net ? block_cache_alloc(&net->block, p->batch) : NULL;
    int rc = RESLAB_ERR_NOMEM;
    if (X && c) {
        net_dropout_draw(net, rng);                            /* then the masks */
        for (size_t i = 0; i < X->size1; i++)                  /* then X ~ N(0, 1) */
            for (size_t j = 0; j < X->size2; j++) gsl_matrix_set(X, i, j, gsl_ran_gaussian(rng, 1.0));
        net_forward(net, X);
        s->block = net->block;
        rc = unroll_check(net, &s->rep, NULL);
        s->have_exp = rc == RESLAB_OK && s->L >= 2 && unroll_expansion(net, &s->exp) == RESLAB_OK;
        if (rc == RESLAB_OK) unroll_rows(s, net, c);
    }
    block_cache_free(c);
    gsl_matrix_free(X);
    net_free(net);
    gsl_rng_free(rng);
    return rc;
}

SceneUnroll *scene_unroll_alloc(const SceneParams *p, char *err, size_t errlen)
{
    if (net_config_check(&p->net, p->batch, RESLAB_MEMORY_LIMIT, err, errlen)) return NULL;
    if (p->example >= p->batch) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "example %zu is not in the batch of %zu "
                   "(examples 0 .. %zu)", p->example, p->batch, p->batch - 1);
        return NULL;
    }
    SceneUnroll *s = calloc(1, sizeof *s);
    if (s) {
        s->net = p->net;
        s->L = p->net.depth;
        s->n = p->net.width;
        s->batch = p->batch;
        s->example = p->example;
        s->seed = p->seed;
        s->rows = malloc((s->L + 3) * s->n * sizeof(double));
        s->norms = malloc(s->L * sizeof(double));
        if (s->rows && s->norms && unroll_compute(s, p) == RESLAB_OK) return s;
    }
    scene_unroll_free(s);
    status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the unroll scene");
    return NULL;
}

void scene_unroll_free(SceneUnroll *s)
{
    if (!s) return;
    free(s->rows);
    free(s->norms);
    free(s);
}

const double *scene_unroll_rows(const SceneUnroll *s, size_t *rows, size_t *cols)
{
    if (rows) *rows = s->L + 3;
    if (cols) *cols = s->n;
    return s->rows;
}

const double *scene_unroll_norms(const SceneUnroll *s) { return s->norms; }

double scene_unroll_norm_x0(const SceneUnroll *s) { return s->norm_x0; }

const UnrollReport *scene_unroll_report(const SceneUnroll *s) { return &s->rep; }

const UnrollExpansion *scene_unroll_expansion(const SceneUnroll *s)
{
    return s->have_exp ? &s->exp : NULL;
}

/* ---- words ---------------------------------------------------------------------------- */

static int post_nonlinear(const SceneUnroll *s)
{
    return s->block.order == ORDER_POST && s->block.act != ACT_IDENTITY;
}

static const char *act_label(Activation a)
{
    return a == ACT_RELU ? "ReLU" : a == ACT_TANH ? "tanh" : "id";
}

/* The shortcut's term S(x_{l-1}) as this net's blocks add it, and the branch term. */
static const char *s_term(const SceneUnroll *s)
{
    switch (s->block.shortcut) {
    case SHORTCUT_NONE: return "";
    case SHORTCUT_SCALED: return s->block.lambda == 1.0 ? XLM1 : "\xce\xbb" XLM1;
    case SHORTCUT_GATE:
    case SHORTCUT_GATE_SHORTCUT: return "(1 " MINUS " <i>g</i>) \xe2\x8a\x99 " XLM1;
    case SHORTCUT_DROPOUT: return "<i>m</i> \xe2\x8a\x99 " XLM1;
    default: return block_has_projection(&s->block) ? "<i>W</i><sub>s</sub>" XLM1 : XLM1;
    }
}

static const char *kind_name(const SceneUnroll *s, SceneLang lang)
{
    switch (s->block.shortcut) {
    case SHORTCUT_NONE: return TR(lang, "plain net", "普通网络");
    case SHORTCUT_SCALED: return s->block.lambda == 1.0 ? "" : TR(lang, "scaled shortcut", "缩放捷径");
    case SHORTCUT_GATE: return TR(lang, "exclusive gating", "互斥门控");
    case SHORTCUT_GATE_SHORTCUT: return TR(lang, "shortcut-only gating", "仅捷径门控");
    case SHORTCUT_DROPOUT: return TR(lang, "dropout shortcut", "Dropout 捷径");
    default: return block_has_projection(&s->block) ? TR(lang, "projection shortcut", "投影捷径") : "";
    }
}

/* Why the form x_l = x_{l-1} + F_l(x_{l-1}) holds, or what the blocks compute instead and why
 * that breaks Eq. 4. */
static void reason_text(const SceneUnroll *s, SceneLang lang, char *buf, size_t len)
{
    const char *st = s_term(s), *name = kind_name(s, lang);
    const char *ft = s->block.shortcut == SHORTCUT_GATE ? "<i>g</i> \xe2\x8a\x99 " FL "(" XLM1 ")" : FL "(" XLM1 ")";
    int post = post_nonlinear(s);
    char expr[512], tail[512] = "";
    snprintf(expr, sizeof expr, "%s%s%s%s%s%s", post ? act_label(s->block.act) : "", post ? "(" : "", st,
             *st ? " + " : "", ft, post ? ")" : "");
    if (s->rep.exact_form) {
        snprintf(buf, len, TR(lang, "Every block is <i>x</i><sub><i>l</i></sub> = " XLM1 " + " FL "(" XLM1
                                    "): an identity shortcut and nothing after the sum (%s).",
                              "每个块都是 <i>x</i><sub><i>l</i></sub> = " XLM1 " + " FL "(" XLM1
                              ")：恒等捷径，相加之后不再变换（%s）。"),
                 s->block.order == ORDER_PRE ? TR(lang, "pre-activation", "预激活")
                                             : TR(lang, "identity activation", "恒等激活"));
    } else {
        const char *clause[3] = {NULL, NULL, NULL};
        int nc = 0;
        if (s->block.shortcut == SHORTCUT_NONE)
            clause[nc++] = TR(lang, "no shortcut carries " X0 " forward", "没有捷径把 " X0 " 传下去");
        else if (s->block.shortcut == SHORTCUT_SCALED && !post)
            clause[nc++] = TR(lang, "hence " XL " = \xce\xbb<sup><i>L</i></sup>" X0 " + \xce\xa3 \xce\xbb<sup><i>L</i>"
                                    MINUS "<i>l</i></sup>" FL,
                              "因此 " XL " = \xce\xbb<sup><i>L</i></sup>" X0 " + \xce\xa3 \xce\xbb<sup><i>L</i>"
                              MINUS "<i>l</i></sup>" FL);
        else if (*name)
            clause[nc++] = TR(lang, XLM1 " does not pass through unchanged", XLM1 " 没有原样传下去");
        if (post) clause[nc++] = TR(lang, "Eq. 4 needs the identity after the sum", "式 4 要求相加之后是恒等映射");
        for (int c = 0; c < nc; c++) {
            size_t k = strlen(tail);
            snprintf(tail + k, sizeof tail - k, "%s%s", TR(lang, "; ", "；"), clause[c]);
        }
        char who[128];
        snprintf(who, sizeof who, "%s%s%s", name, *name && post ? TR(lang, ", ", "、") : "",
                 post ? TR(lang, "post-activation", "后激活") : "");
        snprintf(buf, len, TR(lang, "%s: <i>x</i><sub><i>l</i></sub> = %s%s.", "%s：<i>x</i><sub><i>l</i></sub> = %s%s。"),
                 who, expr, tail);
        if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');   /* a sentence */
    }
    size_t k = strlen(buf);
    if (s->rep.overflow && k < len)
        snprintf(buf + k, len - k, "%s", TR(lang, " A shortcut alone does not prevent the explosion: try "
                                                  "a branch scale of 1/\xe2\x88\x9a<i>L</i> or a zero last layer.",
                                            "仅有捷径并不能防止爆炸：可将分支缩放为 1/\xe2\x88\x9a<i>L</i>，或把最后一层置零。"));
}

void scene_unroll_check_text(const SceneUnroll *s, SceneLang lang, char *buf, size_t len)
{
    char num[64];
    const UnrollReport *r = &s->rep;
    if (r->overflow) {
        snprintf(buf, len, TR(lang, CROSS " " XL " overflowed (inf or NaN): the activations exploded, "
                                    "so Eq. 4 cannot be checked",
                              CROSS " " XL " 溢出（inf 或 NaN）：激活值爆炸，无法检验式 4"));
        return;
    }
    scene_util_fmt_num_short(num, sizeof num, r->rel_diff);
    int holds = r->rel_diff <= SCENE_UNROLL_BOUND;
    const char *verdict = holds && r->exact_form ? TR(lang, "Eq. 4 holds", "式 4 成立")
                        : holds ? TR(lang, "Eq. 4 holds for these values", "式 4 对这些数值成立")
                        : r->exact_form ? TR(lang, "more than rounding", "超出了舍入误差")
                        : TR(lang, "Eq. 4 does not hold", "式 4 不成立");
    snprintf(buf, len, "%s max |" XL " " MINUS " (" X0 " + \xce\xa3<i>F</i>)| / max |" XL "| = %s%s%s",
             holds ? CHECKMARK : CROSS, num, TR(lang, ": ", "："), verdict);
}

static void title_text(SceneLang lang, char *buf, size_t len)
{
    snprintf(buf, len, "%s" XL " = " X0 " + \xce\xa3<sub><i>l</i></sub> " FL "(" XLM1 ")%s",
             TR(lang, "The unrolled sum:  ", "展开和："),
             TR(lang, "  (He et al. 2016, Eq. 4)", "（He 等，2016，式 4）"));
}

static const char *shortcut_words(ShortcutKind k, SceneLang lang)
{
    switch (k) {
    case SHORTCUT_NONE: return TR(lang, "no shortcut (plain net)", "无捷径（普通网络）");
    case SHORTCUT_IDENTITY: return TR(lang, "identity shortcut", "恒等捷径");
    case SHORTCUT_ZEROPAD: return TR(lang, "zero-padding shortcut (A)", "零填充捷径（方案 A）");
    case SHORTCUT_PROJECT: return TR(lang, "projection where widths change (B)", "宽度变化处投影（方案 B）");
    case SHORTCUT_PROJECT_ALL: return TR(lang, "projection shortcut (C)", "投影捷径（方案 C）");
    case SHORTCUT_SCALED: return TR(lang, "scaled shortcut", "缩放捷径");
    case SHORTCUT_GATE: return TR(lang, "exclusive gating", "互斥门控");
    case SHORTCUT_GATE_SHORTCUT: return TR(lang, "shortcut-only gating", "仅捷径门控");
    case SHORTCUT_DROPOUT: return TR(lang, "dropout shortcut", "Dropout 捷径");
    }
    return "?";
}

static void config_text(const SceneUnroll *s, SceneLang lang, char *buf, size_t len)
{
    char lam[48] = "";
    if (s->block.shortcut == SHORTCUT_SCALED) snprintf(lam, sizeof lam, " \xce\xbb = %g", s->block.lambda);
    snprintf(buf, len,
             TR(lang, "depth %zu · width %zu · %s · %s%s · activation %s%s · example %zu of %zu · seed %lu",
                "深度 %zu · 宽度 %zu · %s · %s%s · 激活 %s%s · 第 %zu 个样本（共 %zu 个）· 种子 %lu"),
             s->L, s->n,
             s->block.order == ORDER_POST ? TR(lang, "post-activation", "后激活") : TR(lang, "pre-activation", "预激活"),
             shortcut_words(s->block.shortcut, lang), lam,
             s->block.act == ACT_IDENTITY ? TR(lang, "identity", "恒等") : act_label(s->block.act),
             s->block.bn ? TR(lang, " · batch norm", " · 批归一化") : "", s->example, s->batch, s->seed);
}

/* ---- layout ---------------------------------------------------------------------------- */

static double text_h(cairo_t *cr, const char *s, const TextStyle *st)
{
    TextExtent e;
    text_measure(cr, s, st, &e);
    return e.h;
}

static double text_w(cairo_t *cr, const char *s, const TextStyle *st)
{
    TextExtent e;
    text_measure(cr, s, st, &e);
    return e.w;
}

/* The fixed words of the figure. */
typedef enum { UW_UNIT, UW_VALUE, UW_BLOCK, UW_NORM, UW_OFFSCALE, UW_EXP_TITLE, UW_EXP_FOOT, UW_COUNT } UnrollWord;

static const char *word(UnrollWord w, SceneLang lang)
{
    switch (w) {
    case UW_UNIT: return TR(lang, "unit", "单元");
    case UW_VALUE: return TR(lang, "value", "数值");
    case UW_BLOCK: return TR(lang, "block <i>l</i>", "块 <i>l</i>");
    case UW_NORM: return "\xe2\x80\x96" FL "\xe2\x80\x96";
    case UW_OFFSCALE: return TR(lang, "off scale (0, inf, NaN)", "超出刻度（0、inf、NaN）");
    case UW_EXP_TITLE: return TR(lang, "Two blocks: the correct and the wrong expansion", "两个块：正确的展开与错误的展开");
    case UW_EXP_FOOT:
        return TR(lang, "Blocks of the form <i>x</i><sub><i>l</i></sub> = " XLM1 " + " FL "(" XLM1 "), with this "
                        "net's <i>F</i><sub>1</sub> and " F2 " at <i>x</i> = " X0 "; errors are norms over the batch.",
                  "针对形如 <i>x</i><sub><i>l</i></sub> = " XLM1 " + " FL "(" XLM1 ") 的块，用本网络的 "
                  "<i>F</i><sub>1</sub>、" F2 " 在 <i>x</i> = " X0 " 处计算；误差按整批的范数计算。");
    case UW_COUNT: break;
    }
    return "";
}

static void norms_title(const SceneUnroll *s, SceneLang lang, char *buf, size_t len)
{
    snprintf(buf, len, TR(lang, "\xe2\x80\x96" FL "\xe2\x80\x96 per block, all %zu examples",
                          "每个块的贡献 \xe2\x80\x96" FL "\xe2\x80\x96（全部 %zu 个样本）"), s->batch);
}

static const char *row_label(int which, SceneLang lang)
{
    switch (which) {
    case 0: return X0;
    case 1: return X0 " + \xce\xa3<i>F</i>";
    default: return TR(lang, XL " (forward)", XL "（前向）");
    }
}

static void heat_title(const SceneUnroll *s, SceneLang lang, char *buf, size_t len)
{
    snprintf(buf, len, TR(lang, "Example %zu: " X0 " and each block's contribution " FL "(" XLM1 ")",
                          "样本 %zu：" X0 " 与每个块的贡献 " FL "(" XLM1 ")"), s->example);
}

/* A note under the heatmap's title when the scale hides small rows ("" if it does not): the
 * largest |x_0| below 1% of the colour range. */
static void heat_note(const SceneUnroll *s, const Heatmap *hm, SceneLang lang, char *buf, size_t len)
{
    double m0 = 0;
    for (size_t j = 0; j < s->n; j++)
        if (isfinite(s->rows[j])) m0 = fmax(m0, fabs(s->rows[j]));
    buf[0] = '\0';
    if (!(hm->hi > 100 * m0)) return;
    char num[64];
    scene_util_fmt_num_short(num, sizeof num, hm->hi);
    snprintf(buf, len, TR(lang, "The colours span \xc2\xb1%s: rows far smaller, " X0 " among them, look "
                                "neutral; their sizes are in the chart at right.",
                          "色标范围为 \xc2\xb1%s：远小于它的行（包括 " X0 "）接近中性色；它们的大小见右图。"), num);
}

/* The heatmap column: title, labels left, cells, colour bar right, unit ticks below. */
static void heat_layout(cairo_t *cr, const SceneUnroll *s, Rect a, const Theme *t, SceneLang lang,
                        SceneUnrollLayout *o)
{
    double fs = t->font_size;
    TextStyle st = text_style(t, PLOT_TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = a.w;
    char title[256];
    heat_title(s, lang, title, sizeof title);
    layout_cut_top(&a, text_h(cr, title, &st) + 0.6 * fs);
    char note[512];
    heat_note(s, &o->hm, lang, note, sizeof note);
    st = text_style(t, 0.8);
    st.markup = 1;
    st.max_width = a.w;
    if (note[0]) layout_cut_top(&a, text_h(cr, note, &st) + 0.5 * fs);
    layout_cut_bottom(&a, 2.9 * fs);                          /* unit ticks and "unit" */
    st = text_style(t, 1.0);
    st.markup = 1;
    double lw = 0;
    for (int k = 0; k < 3; k++) lw = fmax(lw, text_w(cr, row_label(k, lang), &st));
    char lab[64];
    snprintf(lab, sizeof lab, "<i>F</i><sub>%zu</sub>", s->L);
    lw = fmax(lw, text_w(cr, lab, &st));
    layout_cut_left(&a, lw + 0.8 * fs);
    o->bar = layout_cut_right(&a, heatmap_colorbar_width(cr, t, &o->hm, word(UW_VALUE, lang), a.h));
    layout_cut_right(&a, 1.0 * fs);
    double g0 = 0.5 * fs, g1 = 1.1 * fs, g2 = 0.3 * fs, H = a.h - g0 - g1 - g2;
    double rh = fmin(H / (double)(s->L + 3), ROW_MAX * fs), rs = fmax(rh, ROW_MIN * fs);
    double fh = fmin(rh * (double)s->L, H - 3 * rs);
    double y = a.y;
    o->x0_row = (Rect){a.x, y, a.w, rs};
    y += rs + g0;
    o->f_rows = (Rect){a.x, y, a.w, fh};
    y += fh + g1;
    o->sum_row = (Rect){a.x, y, a.w, rs};
    y += rs + g2;
    o->xL_row = (Rect){a.x, y, a.w, rs};
    o->bar.y = o->x0_row.y;
    o->bar.h = o->xL_row.y + rs - o->x0_row.y;
}

/* 1 if some ||F_l|| cannot be shown on this axis (inf, NaN, or 0 on a log axis): the legend then
 * explains the overflow mark. */
static int norms_off_scale(const SceneUnroll *s, int logy)
{
    for (size_t l = 0; l < s->L; l++)
        if (!isfinite(s->norms[l]) || (logy && !(s->norms[l] > 0))) return 1;
    return 0;
}

/* The largest norm among blocks [a, b) (non-finite counts as infinite). */
static double norms_max(const SceneUnroll *s, size_t a, size_t b)
{
    double m = 0;
    for (size_t l = a; l < b && l < s->L; l++) m = fmax(m, isfinite(s->norms[l]) ? s->norms[l] : INFINITY);
    return m;
}

/* The legend goes into the upper corner over the lower bars: left unless the first quarter of
 * the blocks has the taller ones. */
static int legend_left(const SceneUnroll *s)
{
    size_t q = s->L / 4 + 1;
    return !(norms_max(s, 0, q) > norms_max(s, s->L > q ? s->L - q : 0, s->L));
}

/* The norm chart's axes: log10 if the norms span more than LOG_SPAN, and headroom above the
 * bars under the legend (its height as plot_legend makes it: rows of ~1.3 fs, padding). */
static void norms_layout(cairo_t *cr, const SceneUnroll *s, Rect a, const Theme *t, SceneLang lang,
                         PlotAxes *ax)
{
    double fs = t->font_size, lo = INFINITY, hi = 0;
    for (size_t l = 0; l < s->L; l++)
        if (isfinite(s->norms[l]) && s->norms[l] > 0) lo = fmin(lo, s->norms[l]), hi = fmax(hi, s->norms[l]);
    if (isfinite(s->norm_x0) && s->norm_x0 > 0) lo = fmin(lo, s->norm_x0), hi = fmax(hi, s->norm_x0);
    int logy = hi > 0 && hi / lo > LOG_SPAN;
    memset(ax, 0, sizeof *ax);
    ax->x = (PlotAxis){PLOT_LINEAR, 0.5, (double)s->L + 0.5, word(UW_BLOCK, lang), 1, {0}};
    double legend_h = (1.6 + 1.3 * (2 + norms_off_scale(s, logy))) * fs, free_frac = 0;
    for (int pass = 0; pass < 2; pass++) {
        ax->y = (PlotAxis){logy ? PLOT_LOG10 : PLOT_LINEAR, NAN, NAN, word(UW_NORM, lang), 0, {0}};
        plot_range_include(&ax->y, s->norms, s->L);
        plot_range_include(&ax->y, &s->norm_x0, 1);
        double zero = 0.0;
        if (!logy) plot_range_include(&ax->y, &zero, 1);
        double under = legend_left(s) ? norms_max(s, 0, (s->L + 1) / 2) : norms_max(s, s->L / 2, s->L);
        if (plot_range_valid(&ax->y) && free_frac > 0 && isfinite(under) && under > ax->y.lo) {
            double k = 1.0 / (1.0 - free_frac);             /* the bars under the legend stay below it */
            if (logy) under = pow(10, fmin(308, log10(ax->y.lo) + k * log10(under / ax->y.lo)));
            else under = ax->y.lo + k * (under - ax->y.lo);
            ax->y.hi = fmax(ax->y.hi, under);
        }
        plot_range_finish(&ax->y);
        ax->outer = a;
        ax->outer.y += 1.6 * fs;                             /* room for the title */
        ax->outer.h -= 1.6 * fs;
        plot_layout(cr, t, ax);
        free_frac = fmin(0.6, legend_h / ax->frame.h);
    }
    ax->outer = a;
}

void scene_unroll_layout(cairo_t *cr, const SceneUnroll *s, Rect r, const Theme *t, SceneLang lang,
                         SceneUnrollLayout *o)
{
    double fs = t->font_size;
    char buf[1024];
    memset(o, 0, sizeof *o);
    Rect page = layout_inset(r, fs);
    TextStyle st = text_style(t, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = page.w;
    title_text(lang, buf, sizeof buf);
    double h = text_h(cr, buf, &st) + 0.2 * fs;
    st = text_style(t, NOTE_SCALE);
    st.max_width = page.w;
    config_text(s, lang, buf, sizeof buf);
    h += text_h(cr, buf, &st);
    o->title = layout_cut_top(&page, h + 0.5 * fs);
    st = text_style(t, CHECK_SCALE);
    st.markup = st.bold = 1;
    st.max_width = page.w;
    scene_unroll_check_text(s, lang, buf, sizeof buf);
    h = text_h(cr, buf, &st) + 0.2 * fs;
    st = text_style(t, 1.0);
    st.markup = 1;
    st.max_width = page.w;
    reason_text(s, lang, buf, sizeof buf);
    h += text_h(cr, buf, &st);
    o->check = layout_cut_top(&page, h + 0.8 * fs);

    size_t rows = s->L + 3;
    o->hm = (Heatmap){s->rows, rows, s->n, COLORMAP_DIVERGING, 0, 0, 0};
    heatmap_auto_range(&o->hm, NAN);
    o->heat = layout_cut_left(&page, 0.55 * page.w);
    layout_cut_left(&page, 1.5 * fs);
    heat_layout(cr, s, o->heat, t, lang, o);
    Rect right = page;
    Rect top = layout_cut_top(&right, 0.5 * right.h);
    layout_cut_top(&right, 0.6 * fs);
    norms_layout(cr, s, top, t, lang, &o->norms);
    o->expansion = right;
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void frame(cairo_t *cr, const Theme *t, Rect f)
{
    cairo_new_path(cr);
    cairo_rectangle(cr, f.x, f.y, f.w, f.h);
    rgb_set_source(cr, t->foreground);
    cairo_set_line_width(cr, t->axis_width);
    cairo_stroke(cr);
}

/* Rows [r0, r0 + k) of hm into f, framed. */
static void heat_part(cairo_t *cr, const Theme *t, const Heatmap *hm, size_t r0, size_t k, Rect f)
{
    Heatmap part = *hm;
    part.v = hm->v + r0 * hm->cols;
    part.rows = k;
    heatmap_draw(cr, t, f, &part);
    frame(cr, t, f);
}

static void heat_labels(cairo_t *cr, const SceneUnroll *s, const Theme *t, SceneLang lang,
                        const SceneUnrollLayout *o)
{
    double fs = t->font_size, gap = 0.5 * fs;
    TextStyle st = text_style(t, 1.0);
    st.markup = 1;
    st.halign = TEXT_RIGHT;
    st.valign = TEXT_MIDDLE;
    const Rect *r3[3] = {&o->x0_row, &o->sum_row, &o->xL_row};
    for (int k = 0; k < 3; k++)
        text_draw(cr, r3[k]->x - gap, r3[k]->y + r3[k]->h / 2, row_label(k, lang), &st, NULL);
    Ticks tk;                                             /* F_l: one label per fitting tick */
    TextStyle ts = text_style(t, PLOT_TICK_SCALE);
    Rect f = o->f_rows;
    ticks_fit(cr, &tk, 1, (double)s->L, 0, 1, f.h, 1, &ts);
    if (s->L == 1) tk.n = 1, tk.v[0] = 1;                 /* a one-value range has no ticks */
    char lab[64];
    st.size = ts.size;
    for (int i = 0; i < tk.n; i++) {
        double y = f.y + f.h * (tk.v[i] - 0.5) / (double)s->L;
        snprintf(lab, sizeof lab, "<i>F</i><sub>%.0f</sub>", tk.v[i]);
        text_draw(cr, f.x - gap, y, lab, &st, NULL);
    }
    cairo_new_path(cr);                                   /* the rule of the written sum */
    rgb_set_source(cr, t->foreground);
    double yr = (f.y + f.h + o->sum_row.y) / 2;
    cairo_move_to(cr, f.x - 0.3 * fs, yr);
    cairo_line_to(cr, f.x + f.w, yr);
    cairo_set_line_width(cr, 2 * t->axis_width);
    cairo_stroke(cr);
    Ticks tx;                                             /* units along the bottom */
    Rect b = o->xL_row;
    ticks_fit(cr, &tx, 0, (double)s->n - 1, 0, 1, b.w, 0, &ts);
    if (s->n == 1) tx.n = 1, tx.v[0] = 0, snprintf(tx.label[0], TICKS_LABEL_MAX, "0");
    ts.markup = 1;
    ts.halign = TEXT_CENTER;
    ts.valign = TEXT_TOP;
    for (int i = 0; i < tx.n; i++) {
        double x = b.x + b.w * (tx.v[i] + 0.5) / (double)s->n;
        cairo_move_to(cr, x, b.y + b.h);
        cairo_line_to(cr, x, b.y + b.h + 0.4 * fs);
        cairo_set_line_width(cr, t->axis_width);
        cairo_stroke(cr);
        text_draw(cr, x, b.y + b.h + 0.6 * fs, tx.label[i], &ts, NULL);
    }
    st = text_style(t, 1.0);
    st.halign = TEXT_CENTER;
    st.valign = TEXT_TOP;
    text_draw(cr, b.x + b.w / 2, b.y + b.h + 1.7 * fs, word(UW_UNIT, lang), &st, NULL);
}

static int any_nonfinite(const double *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k])) return 1;
    return 0;
}

static void draw_heat(cairo_t *cr, const SceneUnroll *s, const Theme *t, SceneLang lang,
                      const SceneUnrollLayout *o, Rect col)
{
    TextStyle st = text_style(t, PLOT_TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = col.w;
    TextExtent e;
    char title[256];
    heat_title(s, lang, title, sizeof title);
    text_draw(cr, col.x, col.y, title, &st, &e);
    char note[512];
    heat_note(s, &o->hm, lang, note, sizeof note);
    st = text_style(t, 0.8);
    st.markup = 1;
    st.colour = t->muted;
    st.max_width = col.w;
    text_draw(cr, col.x, e.y + e.h + 0.2 * t->font_size, note, &st, NULL);
    size_t L = s->L;
    heat_part(cr, t, &o->hm, 0, 1, o->x0_row);
    heat_part(cr, t, &o->hm, 1, L, o->f_rows);
    heat_part(cr, t, &o->hm, L + 1, 1, o->sum_row);
    heat_part(cr, t, &o->hm, L + 2, 1, o->xL_row);
    heat_labels(cr, s, t, lang, o);
    heatmap_colorbar(cr, t, o->bar, &o->hm, word(UW_VALUE, lang),
                     any_nonfinite(s->rows, (L + 3) * s->n));
}

/* The bars of ||F_l||: one path per colour (neighbours merge without seams at depth 1000);
 * inf, NaN and 0 on a log axis as full bars in t->overflow with a mark. Returns 1 if any. */
static int norm_bars(cairo_t *cr, const SceneUnroll *s, const Theme *t, const PlotAxes *ax, Rgb colour)
{
    Rect f = ax->frame;
    double base = ax->y.scale == PLOT_LOG10 ? f.y + f.h : plot_y(ax, 0.0);
    double half = s->L > 100 ? 0.5 : 0.4;
    int over = 0;
    cairo_save(cr);
    cairo_rectangle(cr, f.x, f.y, f.w, f.h);
    cairo_clip(cr);
    cairo_new_path(cr);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t l = 1; l <= s->L; l++) {
            double v = s->norms[l - 1], fr = plot_axis_frac(&ax->y, v);
            int off = !(fr >= 0 && fr <= 1);              /* inf, NaN, or <= 0 on a log axis */
            if (off != pass) continue;
            double x0 = plot_x(ax, (double)l - half), x1 = plot_x(ax, (double)l + half);
            double y = off ? (isnan(fr) || fr > 1 ? f.y : f.y + f.h) : plot_y(ax, v);
            over |= off;
            cairo_rectangle(cr, x0, fmin(y, base), x1 - x0, fabs(base - y));
        }
        rgb_set_source(cr, pass ? t->overflow : colour);
        cairo_fill(cr);
    }
    cairo_restore(cr);
    for (size_t l = 1; l <= s->L; l++) {
        double fr = plot_axis_frac(&ax->y, s->norms[l - 1]);
        if (!(fr >= 0 && fr <= 1))
            plot_overflow_mark(cr, t, plot_x(ax, (double)l), fr < 0 ? f.y + f.h : f.y, 0, fr < 0 ? 1 : -1);
    }
    return over;
}

static void draw_norms(cairo_t *cr, const SceneUnroll *s, const Theme *t, SceneLang lang,
                       const PlotAxes *ax)
{
    char title[256];
    norms_title(s, lang, title, sizeof title);
    plot_draw_axes(cr, t, ax);
    TextStyle st = text_style(t, PLOT_TITLE_SCALE);
    st.markup = st.bold = 1;
    st.halign = TEXT_CENTER;
    st.max_width = ax->outer.w;
    TextExtent te;
    text_measure(cr, title, &st, &te);
    double cx = te.w <= ax->frame.w ? ax->frame.x + ax->frame.w / 2 : ax->outer.x + ax->outer.w / 2;
    text_draw(cr, cx, ax->outer.y, title, &st, NULL);
    Rgb colour = s->block.shortcut == SHORTCUT_NONE ? t->plain : t->residual;
    int over = norm_bars(cr, s, t, ax, colour);
    double xr[2] = {0.5, (double)s->L + 0.5}, yr[2] = {s->norm_x0, s->norm_x0};
    plot_line(cr, t, ax, xr, yr, 2, t->muted, PLOT_DASHED);
    PlotLegendEntry e[3] = {
        {"\xe2\x80\x96" FL "(" XLM1 ")\xe2\x80\x96", colour, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_LINE},
        {"\xe2\x80\x96" X0 "\xe2\x80\x96", t->muted, PLOT_DASHED, PLOT_MARKER_NONE, PLOT_LEGEND_LINE},
        {word(UW_OFFSCALE, lang), t->overflow, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_OVERFLOW},
    };
    plot_legend(cr, t, ax, e, over ? 3 : 2, legend_left(s) ? PLOT_LEGEND_NW : PLOT_LEGEND_NE);
}

/* The two-block panel: the correct expansion, the wrong one, the split, the four paths. */
static void expansion_text(const SceneUnroll *s, SceneLang lang, char *buf, size_t len)
{
    const UnrollExpansion *e = s->have_exp ? &s->exp : NULL;
    char a[64], b[64], c[64];
    if (!e) {
        snprintf(buf, len, "%s", TR(lang, "Needs at least two blocks (depth \xe2\x89\xa5 2).",
                                    "需要至少两个块（深度 \xe2\x89\xa5 2）。"));
        return;
    }
    scene_util_fmt_num_short(a, sizeof a, e->rel_dropped);
    scene_util_fmt_num_short(b, sizeof b, e->rel_split);
    scene_util_fmt_num_short(c, sizeof c, e->rel_fourpath);
    int split_ok = e->rel_split <= SCENE_UNROLL_BOUND, four_ok = e->rel_fourpath <= SCENE_UNROLL_BOUND;
    size_t k = (size_t)snprintf(buf, len,
        TR(lang, CHECKMARK " correct:  <i>x</i><sub>2</sub> = <i>x</i> + " F1X " + " F2 "(<i>x</i> + " F1X ")\n"
                 CROSS " wrong:  <i>x</i><sub>2</sub> \xe2\x89\xa0 <i>x</i> + " F1X " + " F2 "(<i>x</i>): relative error %s\n",
           CHECKMARK " 正确的展开：<i>x</i><sub>2</sub> = <i>x</i> + " F1X " + " F2 "(<i>x</i> + " F1X ")\n"
           CROSS " 错误的展开：<i>x</i><sub>2</sub> \xe2\x89\xa0 <i>x</i> + " F1X " + " F2 "(<i>x</i>)：相对误差 %s\n"), a);
    if (k >= len) return;
    if (split_ok)
        k += (size_t)snprintf(buf + k, len - k,
            TR(lang, CHECKMARK " " F2 "(<i>x</i> + " F1X ") = " F2 "(<i>x</i>) + " F2 "(" F1X "), as " F2
                     " is linear here: relative error %s\n",
               CHECKMARK " " F2 "(<i>x</i> + " F1X ") = " F2 "(<i>x</i>) + " F2 "(" F1X ")，因为这里 " F2
               " 是线性的：相对误差 %s\n"), b);
    else
        k += (size_t)snprintf(buf + k, len - k,
            TR(lang, CROSS " " F2 "(<i>x</i> + " F1X ") \xe2\x89\xa0 " F2 "(<i>x</i>) + " F2 "(" F1X "), unless "
                     F2 " is linear: relative error %s\n",
               CROSS " " F2 "(<i>x</i> + " F1X ") \xe2\x89\xa0 " F2 "(<i>x</i>) + " F2 "(" F1X ")，除非 " F2
               " 是线性的：相对误差 %s\n"), b);
    if (k >= len) return;
    /* unroll_expansion calls blocks with identity activation and zero biases linear; with batch
     * norm they are not (it divides by the batch's spread), so the measured error decides. */
    if (e->linear && four_ok)
        snprintf(buf + k, len - k,
                 TR(lang, CHECKMARK " linear blocks " FL "(<i>x</i>) = <i>M</i><sub><i>l</i></sub><i>x</i>: "
                          "(<i>I</i> + <i>M</i><sub>2</sub>)(<i>I</i> + <i>M</i><sub>1</sub>)<i>x</i> = " PATHS4
                          ", four paths: relative error %s",
                    CHECKMARK " 线性块 " FL "(<i>x</i>) = <i>M</i><sub><i>l</i></sub><i>x</i>："
                    "(<i>I</i> + <i>M</i><sub>2</sub>)(<i>I</i> + <i>M</i><sub>1</sub>)<i>x</i> = " PATHS4
                    "，四条路径：相对误差 %s"), c);
    else if (e->linear)
        snprintf(buf + k, len - k,
                 TR(lang, CROSS " four paths " PATHS4 ": relative error %s; batch norm makes <i>F</i> "
                          "nonlinear even with the identity activation",
                    CROSS " 四条路径 " PATHS4 "：相对误差 %s；即使激活是恒等的，批归一化也使 <i>F</i> 非线性"), c);
    else
        snprintf(buf + k, len - k, "%s",
                 TR(lang, "Four paths " PATHS4 " only for linear blocks (identity activation, zero biases, "
                          "no batch norm); even then the cross term <i>M</i><sub>2</sub><i>M</i><sub>1</sub><i>x</i> stays.",
                    "四条路径 " PATHS4 " 只对线性块成立（恒等激活、零偏置、无批归一化）；"
                    "即便如此，交叉项 <i>M</i><sub>2</sub><i>M</i><sub>1</sub><i>x</i> 也不能丢。"));
}

/* The expansion panel (title, the expansions, the foot note) at text scale k: its height, and
 * drawn only if draw. */
static double expansion_panel(cairo_t *cr, const Theme *t, SceneLang lang, Rect a, const char *buf,
                              double k, int draw)
{
    double fs = t->font_size * k;
    TextStyle st = text_style(t, PLOT_TITLE_SCALE * k);
    st.markup = st.bold = 1;
    st.max_width = a.w;
    TextExtent e = {0}, f = {0};
    if (draw) text_draw(cr, a.x, a.y, word(UW_EXP_TITLE, lang), &st, &e);
    else text_measure(cr, word(UW_EXP_TITLE, lang), &st, &e), e.y = a.y;
    double y = e.y + e.h + 0.4 * fs;
    st = text_style(t, 0.95 * k);
    st.markup = 1;
    st.max_width = a.w;
    if (draw) text_draw(cr, a.x, y, buf, &st, &f);
    else text_measure(cr, buf, &st, &f);
    y += f.h + 0.4 * fs;
    st = text_style(t, 0.8 * k);
    st.markup = 1;
    st.colour = t->muted;
    st.max_width = a.w;
    if (draw) text_draw(cr, a.x, y, word(UW_EXP_FOOT, lang), &st, &f);
    else text_measure(cr, word(UW_EXP_FOOT, lang), &st, &f);
    return y + f.h - a.y;
}

/* The panel's text shrinks (to 0.6 of its size at most) until it fits a's height. */
static void draw_expansion(cairo_t *cr, const SceneUnroll *s, const Theme *t, SceneLang lang, Rect a)
{
    char buf[3072];
    expansion_text(s, lang, buf, sizeof buf);
    double k = 1.0;
    while (k > 0.6 && expansion_panel(cr, t, lang, a, buf, k, 0) > a.h) k -= 0.05;
    expansion_panel(cr, t, lang, a, buf, k, 1);
}

static void draw_top(cairo_t *cr, const SceneUnroll *s, const Theme *t, SceneLang lang,
                     const SceneUnrollLayout *o)
{
    double fs = t->font_size;
    char buf[1024];
    TextStyle st = text_style(t, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = o->title.w;
    TextExtent e;
    title_text(lang, buf, sizeof buf);
    text_draw(cr, o->title.x, o->title.y, buf, &st, &e);
    st = text_style(t, NOTE_SCALE);
    st.colour = t->muted;
    st.max_width = o->title.w;
    config_text(s, lang, buf, sizeof buf);
    text_draw(cr, o->title.x, e.y + e.h + 0.2 * fs, buf, &st, NULL);
    st = text_style(t, CHECK_SCALE);
    st.markup = st.bold = 1;
    st.max_width = o->check.w;
    if (s->rep.overflow) st.colour = scene_util_text_colour(t, t->overflow);
    scene_unroll_check_text(s, lang, buf, sizeof buf);
    text_draw(cr, o->check.x, o->check.y, buf, &st, &e);
    st = text_style(t, 1.0);
    st.markup = 1;
    st.max_width = o->check.w;
    reason_text(s, lang, buf, sizeof buf);
    text_draw(cr, o->check.x, e.y + e.h + 0.2 * fs, buf, &st, NULL);
}

void scene_unroll_draw(const SceneUnroll *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang)
{
    SceneUnrollLayout o;
    scene_unroll_layout(cr, s, r, t, lang, &o);
    scene_util_open(cr, r, t);             /* save, clip to r, background; cairo_restore at the end */
    draw_top(cr, s, t, lang, &o);
    draw_heat(cr, s, t, lang, &o, o.heat);
    draw_norms(cr, s, t, lang, &o.norms);
    draw_expansion(cr, s, t, lang, o.expansion);
    cairo_restore(cr);
}

void scene_unroll_each_text(const SceneUnroll *s, SceneLang lang,
                            void (*f)(const char *markup, void *ctx), void *ctx)
{
    char buf[3072];
    Heatmap hm = {s->rows, s->L + 3, s->n, COLORMAP_DIVERGING, 0, 0, 0};
    heatmap_auto_range(&hm, NAN);
    title_text(lang, buf, sizeof buf);
    f(buf, ctx);
    config_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    scene_unroll_check_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    reason_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    heat_title(s, lang, buf, sizeof buf);
    f(buf, ctx);
    heat_note(s, &hm, lang, buf, sizeof buf);
    f(buf, ctx);
    for (int k = 0; k < 3; k++) f(row_label(k, lang), ctx);
    norms_title(s, lang, buf, sizeof buf);
    f(buf, ctx);
    expansion_text(s, lang, buf, sizeof buf);
    f(buf, ctx);
    for (int w = 0; w < UW_COUNT; w++) f(word((UnrollWord)w, lang), ctx);
}
