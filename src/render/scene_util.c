/* scene_util.c: the helpers the scene modules share (scene_util.h), each moved here verbatim
 * from the scenes that carried copies of it, so that the figures do not change.
 *
 * Legend: fs the theme's base font size; B batch; n width of the residual stream.
 */
#include "scene_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "block.h"
#include "status.h"

#define MINUS "\xe2\x88\x92"             /* U+2212 */

/* ---- text ------------------------------------------------------------------------------- */

const char *scene_util_tr(SceneLang lang, const char *en, const char *zh)
{
    return lang == SCENE_LANG_ZH ? zh : en;
}

void scene_util_cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t k = strlen(buf);
    if (k + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + k, len - k, fmt, ap);
    va_end(ap);
}

void scene_util_fmt_num(char *buf, size_t n, double v)
{
    const char *sign = v < 0 ? "−" : "";
    double a = fabs(v);
    if (isnan(v)) snprintf(buf, n, "NaN");
    else if (isinf(v)) snprintf(buf, n, "%s∞", sign);
    else if (a == 0 || (a >= 1e-3 && a < 1e4)) snprintf(buf, n, "%s%.3g", sign, a);
    else {
        char m[32];
        snprintf(m, sizeof m, "%.2e", a);              /* "4.22e+48": exact to the last digit */
        char *e = strchr(m, 'e');
        int ex = atoi(e + 1);
        *e = '\0';
        snprintf(buf, n, "%s%s×10<sup>%s%d</sup>", sign, m, ex < 0 ? "−" : "", abs(ex));
    }
}

void scene_util_fmt_num_short(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (isnan(v)) snprintf(buf, len, "NaN");
    else if (isinf(v)) snprintf(buf, len, "%s\xe2\x88\x9e", v < 0 ? MINUS : "");
    else if (a == 0) snprintf(buf, len, "0");
    else if (a >= 1e-3 && a < 1e4) snprintf(buf, len, "%s%.3g", v < 0 ? MINUS : "", a);
    else {
        int e = (int)floor(log10(a));
        double m = a / pow(10, e);
        if (m >= 9.95) m /= 10, e++;
        snprintf(buf, len, "%s%.1f \xc3\x97 10<sup>%s%d</sup>", v < 0 ? MINUS : "", m,
                 e < 0 ? MINUS : "", abs(e));
    }
}

void scene_util_net_words(const NetConfig *c, int zh, const char **act, const char **order,
                          const char **init, const char **shortcut)
{
    static const char *sc_zh[] = {"无", "恒等", "补零 (A)", "投影 (B)", "全投影 (C)", "常数缩放",
                                  "门控", "捷径门控", "捷径 dropout"};
    *act = c->act == ACT_RELU ? "ReLU" : c->act == ACT_TANH ? "tanh" : zh ? "线性" : "linear";
    *order = c->order == ORDER_PRE ? (zh ? "预激活" : "pre-activation")
                                   : (zh ? "后激活" : "post-activation");
    *init = c->init == INIT_HE ? "He" : c->init == INIT_GLOROT ? "Glorot" : zh ? "正交" : "orthogonal";
    *shortcut = zh && (size_t)c->shortcut < sizeof sc_zh / sizeof sc_zh[0] ? sc_zh[c->shortcut]
                                                                         : block_shortcut_name(c->shortcut);
}

void scene_util_describe(char *buf, size_t n, const char *fmt, const NetConfig *c, size_t B,
                         unsigned long seed, int zh)
{
    char extra[160] = "";
    size_t k = 0;
    if (c->bn) k += snprintf(extra + k, sizeof extra - k, " · BN");
    if (c->zero_last) k += snprintf(extra + k, sizeof extra - k, " · <i>F</i> = 0");
    else if (c->branch_scale != 1.0) k += snprintf(extra + k, sizeof extra - k, " · <i>F</i> × %g", c->branch_scale);
    if (c->bias_std > 0) snprintf(extra + k, sizeof extra - k, " · %s %g", zh ? "偏置标准差" : "bias sd", c->bias_std);
    const char *act, *order, *init, *sc;
    scene_util_net_words(c, zh, &act, &order, &init, &sc);
    snprintf(buf, n, fmt, c->depth, c->width, c->hidden ? c->hidden : c->width, act, order, init,
             sc, extra, B, seed);
}

TextStyle scene_util_note_style(const Theme *t, double w)
{
    TextStyle st = text_style(t, 0.8);
    st.markup = 1;
    st.max_width = w;
    st.colour = t->muted;
    return st;
}

/* ---- drawing ---------------------------------------------------------------------------- */

double scene_util_header(cairo_t *cr, const Theme *t, Rect r, const char *title, const char *sub,
                         int draw)
{
    TextStyle st = text_style(t, 1.3);
    st.markup = st.bold = 1;
    st.max_width = r.w;
    TextExtent e1, e2;
    if (draw) text_draw(cr, r.x, r.y, title, &st, &e1);
    else text_measure(cr, title, &st, &e1);
    st = text_style(t, 0.8);
    st.markup = 1;
    st.max_width = r.w;
    st.colour = t->muted;
    double y = r.y + e1.h + 0.2 * t->font_size;
    if (draw) text_draw(cr, r.x, y, sub, &st, &e2);
    else text_measure(cr, sub, &st, &e2);
    return e1.h + 0.2 * t->font_size + e2.h + 0.6 * t->font_size;
}

void scene_util_legend_size(cairo_t *cr, const Theme *t, const PlotLegendEntry *e, int n,
                            double margin, double *w, double *h)
{
    TextStyle st = text_style(t, PLOT_LABEL_SCALE);
    st.markup = 1;
    double fs = t->font_size, lw = 0;
    *h = 0.8 * fs + margin;
    for (int i = 0; i < n; i++) {
        TextExtent te;
        text_measure(cr, e[i].label, &st, &te);
        *h += fmax(te.h, fs) + 0.2 * fs;
        lw = fmax(lw, te.w);
    }
    *w = 4.1 * fs + lw;
}

void scene_util_legend_in(cairo_t *cr, const Theme *t, Rect strip, double x0,
                          const PlotLegendEntry *e, int n)
{
    double w, h;
    scene_util_legend_size(cr, t, e, n, 0.5 * t->font_size, &w, &h);
    PlotAxes box = {0};
    box.frame = strip;
    box.frame.x = fmax(strip.x, fmin(x0, strip.x + strip.w - w)) - 0.5 * t->font_size;
    plot_legend(cr, t, &box, e, n, PLOT_LEGEND_NW);
}

void scene_util_empty_note(cairo_t *cr, const Theme *t, const PlotAxes *ax, const char *msg)
{
    TextStyle st = text_style(t, 0.9);
    st.colour = t->muted;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_MIDDLE;
    st.max_width = 0.8 * ax->frame.w;
    double cx = ax->frame.x + ax->frame.w / 2, cy = ax->frame.y + ax->frame.h / 2, pad = 0.3 * t->font_size;
    TextExtent e;
    text_measure(cr, msg, &st, &e);
    cairo_save(cr);
    cairo_rectangle(cr, cx + e.x - pad, cy + e.y - pad, e.w + 2 * pad, e.h + 2 * pad);
    rgb_set_source(cr, t->background);
    cairo_fill(cr);
    cairo_restore(cr);
    text_draw(cr, cx, cy, msg, &st, NULL);
}

Rgb scene_util_text_colour(const Theme *t, Rgb c)
{
    for (double k = 0; k <= 1.0; k += 0.05)
        if (rgb_contrast(rgb_mix(c, t->foreground, k), t->background) >= 4.5)
            return rgb_mix(c, t->foreground, k);
    return t->foreground;
}

/* ---- scaling a layout into the caller's rectangle --------------------------------------- */

double scene_util_fit(Rect r, const Theme *t, Rect *d)
{
    double k = fmin(1.0, fmin(r.w / (55 * t->font_size), r.h / (35 * t->font_size)));
    if (!(k > 0)) k = 1;
    *d = (Rect){0, 0, r.w / k, r.h / k};
    return k;
}

Rect scene_util_to_caller(Rect a, Rect r, double k)
{
    Rect o = {r.x + k * a.x, r.y + k * a.y, k * a.w, k * a.h};
    return o;
}

void scene_util_axes_to_caller(PlotAxes *ax, Rect r, double k)
{
    ax->outer = scene_util_to_caller(ax->outer, r, k);
    ax->frame = scene_util_to_caller(ax->frame, r, k);
}

/* ---- numerics --------------------------------------------------------------------------- */

int scene_util_make_nets(const NetConfig *cfg, size_t B, unsigned long seed, Net **res,
                         Net **plain, gsl_matrix **X)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng) gsl_rng_set(rng, seed);
    *res = rng ? net_alloc(cfg, B, rng) : NULL;
    if (*res) net_dropout_draw(*res, rng);
    *X = *res ? gsl_matrix_alloc(B, net_input_width(*res)) : NULL;
    for (size_t i = 0; *X && i < (*X)->size1 * (*X)->size2; i++)   /* row-major, as cli_input */
        (*X)->data[i] = gsl_ran_gaussian(rng, 1.0);
    *plain = *X ? net_alloc_twin(*res, SHORTCUT_NONE) : NULL;
    gsl_rng_free(rng);
    return *plain ? RESLAB_OK : RESLAB_ERR_NOMEM;
}

void scene_util_open(cairo_t *cr, Rect r, const Theme *t)
{
    cairo_save(cr);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_clip(cr);
    rgb_set_source(cr, t->background);
    cairo_paint(cr);
}

double scene_util_begin(cairo_t *cr, Rect r, const Theme *t, Rect *fig)
{
    double k = scene_util_fit(r, t, fig);
    scene_util_open(cr, r, t);
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, k, k);
    return k;
}

Rect scene_util_page(cairo_t *cr, const Theme *t, Rect r, const char *title, const char *sub,
                     const char *note, Rect *title_out, Rect *note_out)
{
    double fs = t->font_size;
    Rect page = layout_inset(r, 0.8 * fs);
    *title_out = layout_cut_top(&page, scene_util_header(cr, t, page, title, sub, 0));
    TextStyle st = scene_util_note_style(t, page.w);
    TextExtent e;
    text_measure(cr, note, &st, &e);
    *note_out = layout_cut_bottom(&page, e.h + 0.6 * fs);   /* a gap of 0.6 fs above the note */
    note_out->y += 0.6 * fs;
    note_out->h -= 0.6 * fs;
    return page;
}
