/* test_scene_block.c: the block scene and the unroll scene draw what the numbers are.
 *
 * Claims: both scenes draw every tested config (order post/pre; shortcut identity, project-all,
 * gate, none and the rest; batch norm on/off; ReLU or identity activation; English and Chinese;
 * light and dark) into an image surface with cairo status success and only inside their
 * rectangle; the block scene's vectors are those block_forward gives for the net `reslab flow`
 * builds, its identity holds to rounding, and each bar has the colour the diverging map gives its
 * value; the unroll scene's check line prints unroll_check's number and the right verdict, its
 * cells have heatmap_colour of their values and its norm bars the net's colour; an exploding net
 * (depth 1000 and 2000) is drawn, with t->overflow where values are inf or NaN; every Chinese
 * string has a glyph for every character and no English word left in it.
 *
 * Files: a few figures go to $TEST_BUILD_DIR (or /tmp) as scene_block_*.png and
 * scene_unroll_*.png, to be looked at.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>
#include <pango/pangocairo.h>

#include "check.h"
#include "export.h"
#include "heatmap.h"
#include "scene_block.h"
#include "scene_unroll.h"
#include "status.h"
#include "text.h"
#include "unroll.h"

/* Pixel probes: heatmap_colour is the very LUT entry the bars and cells use, and the theme's
 * colours are drawn as they are; one 8-bit level covers cairo's premultiply round trip. */
#define PIXEL_TOL 1
/* The block identity y = s(F + S): one rounding of a sum of two terms of size ~10, and Ws x by
 * dgemm against the scene's own loop: a few ulps of 10. */
#define IDENTITY_TOL 1e-12
/* The check line prints 2 significant digits in scientific form ("1.1 × 10^-16") and 3 in plain
 * form ("0.869"): the printed number is within 5% of the value. */
#define SHOWN_RTOL 0.05
/* Probe bars and rows only where they are at least this many device pixels tall or wide, and
 * this far inside them (anti-aliased edges are mixed colours). */
#define PROBE_MIN_PX 6.0
#define PROBE_INSET_PX 2.0

enum { FIG_W = 1280, FIG_H = 800 };

typedef struct {
    Check c;
    Theme light, dark;
    char out[1024];     /* where the figures go */
} Ctx;

/* ---- helpers --------------------------------------------------------------------------------- */

static SceneParams params(BlockOrder order, ShortcutKind k, int bn, Activation act, size_t depth)
{
    SceneParams p;
    memset(&p, 0, sizeof p);
    p.net = net_config_default();
    p.net.param_grads = 0;
    p.net.order = order;
    p.net.shortcut = k;
    p.net.bn = bn;
    p.net.act = act;
    p.net.depth = depth;
    p.batch = 8;
    p.seed = 1;
    p.show = SCENE_SHOW_BOTH;
    p.samples = 100;
    return p;
}

static void describe(const SceneParams *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s/%s%s/L=%zu/%s", block_order_name(p->net.order),
             block_shortcut_name(p->net.shortcut), act_name(p->net.act), p->net.bn ? "/bn" : "",
             p->net.depth, p->lang == SCENE_LANG_ZH ? "zh" : "en");
}

static void pixel_at(cairo_surface_t *s, double x, double y, int rgb[3])
{
    int ix = (int)floor(x), iy = (int)floor(y);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    rgb[0] = rgb[1] = rgb[2] = -1000;
    if (ix < 0 || iy < 0 || ix >= w || iy >= h) return;
    cairo_surface_flush(s);
    const unsigned char *row = cairo_image_surface_get_data(s) +
                               (size_t)iy * cairo_image_surface_get_stride(s);
    uint32_t p = ((const uint32_t *)row)[ix];
    rgb[0] = (p >> 16) & 255;
    rgb[1] = (p >> 8) & 255;
    rgb[2] = p & 255;
}

static int pixel_is(const int got[3], Rgb want)
{
    return abs(got[0] - rgb_byte(want.r)) <= PIXEL_TOL &&
           abs(got[1] - rgb_byte(want.g)) <= PIXEL_TOL &&
           abs(got[2] - rgb_byte(want.b)) <= PIXEL_TOL;
}

typedef void (*DrawFn)(const void *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);

static void draw_block(const void *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang)
{
    scene_block_draw(s, cr, r, t, lang);
}

static void draw_unroll(const void *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang)
{
    scene_unroll_draw(s, cr, r, t, lang);
}

/* A w x h image with the scene drawn over all of it; *ok gets cairo's verdict. */
static cairo_surface_t *render(DrawFn f, const void *s, const Theme *t, SceneLang lang, int w,
                               int h, int *ok)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(img);
    f(s, cr, (Rect){0, 0, w, h}, t, lang);
    *ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS &&
          cairo_surface_status(img) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    return img;
}

/* The plain text of markup (NULL if it does not parse); g_free it. */
static char *plain_text(const char *markup)
{
    char *plain = NULL;
    if (!pango_parse_markup(markup, -1, 0, NULL, &plain, NULL, NULL)) return NULL;
    return plain;
}

/* The number after the last "= " of a check line: "0", "0.869", "4.4 × 10−16", "∞", "NaN". */
static double shown_number(const char *markup)
{
    char *plain = plain_text(markup);
    if (!plain) return NAN;
    const char *p = NULL;
    for (const char *q = strstr(plain, "= "); q; q = strstr(q + 1, "= ")) p = q + 2;
    double v = NAN;
    if (p) {
        int neg = strncmp(p, "\xe2\x88\x92", 3) == 0;
        if (neg) p += 3;
        char *end;
        v = strncmp(p, "\xe2\x88\x9e", 3) == 0 ? INFINITY : strtod(p, &end);
        if (isfinite(v) && strncmp(end, " \xc3\x97 10", 6) == 0) {   /* " × 10" then the exponent */
            const char *e = end + 6;
            int eneg = strncmp(e, "\xe2\x88\x92", 3) == 0;
            v *= pow(10, (eneg ? -1 : 1) * strtod(eneg ? e + 3 : e, NULL));
        }
        if (neg) v = -v;
    }
    g_free(plain);
    return v;
}

/* The net as `reslab flow` builds it, written out again here: weights, dropout masks, X. */
static Net *flow_net(const SceneParams *p, gsl_matrix **X)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, p->seed);
    Net *net = net_alloc(&p->net, p->batch, rng);
    net_dropout_draw(net, rng);
    *X = gsl_matrix_alloc(p->batch, net_input_width(net));
    for (size_t i = 0; i < p->batch; i++)
        for (size_t j = 0; j < net_input_width(net); j++)
            gsl_matrix_set(*X, i, j, gsl_ran_gaussian(rng, 1.0));
    gsl_rng_free(rng);
    return net;
}

static void save_png(Ctx *t, DrawFn f, const void *s, const Theme *th, SceneLang lang,
                     const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", t->out, name);
    int ok;
    cairo_surface_t *img = render(f, s, th, lang, FIG_W, FIG_H, &ok);
    check_true(&t->c, ok && cairo_surface_write_to_png(img, path) == CAIRO_STATUS_SUCCESS,
               "wrote %s", path);
    cairo_surface_destroy(img);
}

/* ---- the block scene ------------------------------------------------------------------------ */

/* Every bar at least PROBE_MIN_PX tall has heatmap_colour of its value at its middle. */
static void block_bar_probes(Ctx *t, const SceneBlock *s, const Theme *th, SceneLang lang,
                             cairo_surface_t *img, const char *what)
{
    SceneBlockLayout L;
    scene_block_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, lang, &L);
    Heatmap hm = {NULL, 0, 0, COLORMAP_DIVERGING, -L.range, L.range, 0};
    int probes = 0, bad = 0;
    for (int v = 0; v < SCENE_BLOCK_VEC_COUNT; v++) {
        const double *x = scene_block_vector(s, (SceneBlockVec)v);
        if (!L.shown[v] || !x) continue;
        const PlotAxes *ax = &L.vec[v];
        for (size_t j = 0; j < L.units; j++) {
            double y0 = plot_y(ax, 0), y1 = plot_y(ax, x[j]);
            if (fabs(y1 - y0) < PROBE_MIN_PX) continue;
            int px[3];
            pixel_at(img, plot_x(ax, (double)j), (y0 + y1) / 2, px);
            probes++;
            if (!pixel_is(px, heatmap_colour(th, &hm, x[j]))) {
                if (!bad++)
                    printf("    vector %d unit %zu = %g: pixel (%d, %d, %d)\n", v, j, x[j], px[0],
                           px[1], px[2]);
            }
        }
    }
    check_true(&t->c, probes > 10 && bad == 0,
               "%s: %d bars have the colour of their value (%d wrong)", what, probes, bad);
}

static void test_block_configs_draw_and_hold(Ctx *t)
{
    const ShortcutKind kinds[] = {SHORTCUT_IDENTITY, SHORTCUT_PROJECT_ALL, SHORTCUT_GATE, SHORTCUT_NONE};
    const Activation acts[] = {ACT_RELU, ACT_IDENTITY};
    int n = 0;
    for (int o = 0; o < 2; o++)
        for (int k = 0; k < 4; k++)
            for (int bn = 0; bn < 2; bn++)
                for (int a = 0; a < 2; a++) {
                    SceneParams p = params((BlockOrder)o, kinds[k], bn, acts[a], 10);
                    p.lang = n % 2 ? SCENE_LANG_ZH : SCENE_LANG_EN;
                    const Theme *th = n % 3 == 2 ? &t->dark : &t->light;
                    char what[128], err[256];
                    describe(&p, what, sizeof what);
                    SceneBlock *s = scene_block_alloc(&p, err, sizeof err);
                    if (!check_true(&t->c, s != NULL, "block %s: alloc (%s)", what, s ? "ok" : err))
                        continue;
                    int ok;
                    cairo_surface_t *img = render(draw_block, s, th, p.lang, FIG_W, FIG_H, &ok);
                    check_true(&t->c, ok, "block %s: drawn with cairo status success", what);
                    check_below(&t->c, what, scene_block_check(s), IDENTITY_TOL);
                    block_bar_probes(t, s, th, p.lang, img, what);
                    cairo_surface_destroy(img);
                    scene_block_free(s);
                    n++;
                }
}

static void test_block_every_shortcut_draws(Ctx *t)
{
    const ShortcutKind kinds[] = {SHORTCUT_ZEROPAD, SHORTCUT_PROJECT, SHORTCUT_SCALED,
                                  SHORTCUT_GATE_SHORTCUT, SHORTCUT_DROPOUT};
    for (int k = 0; k < 5; k++)
        for (int o = 0; o < 2; o++) {
            SceneParams p = params((BlockOrder)o, kinds[k], k % 2, ACT_RELU, 10);
            p.lang = o ? SCENE_LANG_ZH : SCENE_LANG_EN;
            char what[128], err[256];
            describe(&p, what, sizeof what);
            SceneBlock *s = scene_block_alloc(&p, err, sizeof err);
            if (!check_true(&t->c, s != NULL, "block %s: alloc (%s)", what, s ? "ok" : err)) continue;
            int ok;
            cairo_surface_t *img = render(draw_block, s, o ? &t->dark : &t->light, p.lang, FIG_W, FIG_H, &ok);
            check_true(&t->c, ok, "block %s: drawn with cairo status success", what);
            check_below(&t->c, what, scene_block_check(s), IDENTITY_TOL);
            cairo_surface_destroy(img);
            scene_block_free(s);
        }
}

/* The scene's vectors against block_forward of the first block of an independently built net,
 * example 3, and the identities written out by hand. */
static void test_block_vectors_are_block_forward(Ctx *t)
{
    for (int o = 0; o < 2; o++) {
        SceneParams p = params((BlockOrder)o, SHORTCUT_IDENTITY, 0, ACT_RELU, 10);
        p.example = 3;
        char err[256];
        SceneBlock *s = scene_block_alloc(&p, err, sizeof err);
        gsl_matrix *X;
        Net *net = flow_net(&p, &X);
        block_forward(&net->block, net->params[0], X, net->cache[0]);
        const double *x = scene_block_vector(s, SCENE_BLOCK_VEC_X);
        const double *f = scene_block_vector(s, SCENE_BLOCK_VEC_F);
        const double *sc = scene_block_vector(s, SCENE_BLOCK_VEC_S);
        const double *y = scene_block_vector(s, SCENE_BLOCK_VEC_Y);
        double dx = 0, df = 0, dy = 0, dsum = 0;
        for (size_t j = 0; j < p.net.width; j++) {
            dx = fmax(dx, fabs(x[j] - gsl_matrix_get(X, 3, j)));
            df = fmax(df, fabs(f[j] - gsl_matrix_get(net->cache[0]->f, 3, j)));
            dy = fmax(dy, fabs(y[j] - gsl_matrix_get(net->cache[0]->out, 3, j)));
            double sum = f[j] + x[j];                       /* S = x: identity */
            dsum = fmax(dsum, fabs(y[j] - (o == ORDER_POST ? fmax(sum, 0.0) : sum)) +
                                  fabs(sc[j] - x[j]));
        }
        check_true(&t->c, dx == 0 && df == 0 && dy == 0,
                   "%s: x, F(x), y of example 3 are block_forward's, bit for bit (%g %g %g)",
                   block_order_name(p.net.order), dx, df, dy);
        check_true(&t->c, dsum == 0, "%s: y = %s exactly, S(x) = x", block_order_name(p.net.order),
                   o == ORDER_POST ? "relu(F(x) + x)" : "F(x) + x");
        check_true(&t->c, (o == ORDER_PRE) == (scene_block_vector(s, SCENE_BLOCK_VEC_SUM) == NULL),
                   "%s: the separate sum panel exists in post order only", block_order_name(p.net.order));
        gsl_matrix_free(X);
        net_free(net);
        scene_block_free(s);
    }
}

static void test_block_check_text_prints_the_check(Ctx *t)
{
    const ShortcutKind kinds[] = {SHORTCUT_IDENTITY, SHORTCUT_PROJECT_ALL, SHORTCUT_SCALED};
    for (int k = 0; k < 3; k++) {
        SceneParams p = params(ORDER_POST, kinds[k], 1, ACT_TANH, 10);
        char err[256], buf[1024];
        SceneBlock *s = scene_block_alloc(&p, err, sizeof err);
        scene_block_check_text(s, SCENE_LANG_EN, buf, sizeof buf);
        double want = scene_block_check(s), got = shown_number(buf);
        check_true(&t->c, want == 0 ? got == 0 : fabs(got - want) <= SHOWN_RTOL * want,
                   "%s: the check line prints %g for the check %g", block_shortcut_name(kinds[k]),
                   got, want);
        scene_block_free(s);
    }
}

/* ---- the unroll scene ----------------------------------------------------------------------- */

/* The cells of x_0, every F_l, the sum and x_L have heatmap_colour of their values. */
static void unroll_cell_probes(Ctx *t, const SceneUnroll *s, const Theme *th, SceneLang lang,
                               cairo_surface_t *img, const char *what)
{
    SceneUnrollLayout L;
    scene_unroll_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, lang, &L);
    size_t rows, n;
    const double *v = scene_unroll_rows(s, &rows, &n);
    size_t depth = rows - 3;
    int probes = 0, bad = 0;
    for (size_t i = 0; i < rows; i++) {
        Rect r = i == 0 ? L.x0_row : i <= depth ? L.f_rows : i == depth + 1 ? L.sum_row : L.xL_row;
        double rh = i >= 1 && i <= depth ? r.h / (double)depth : r.h;
        double y = i >= 1 && i <= depth ? r.y + ((double)i - 0.5) * rh : r.y + r.h / 2;
        if (rh < PROBE_MIN_PX) continue;
        for (size_t j = 0; j < n; j++) {
            int px[3];
            pixel_at(img, r.x + r.w * ((double)j + 0.5) / (double)n, y, px);
            probes++;
            if (!pixel_is(px, heatmap_colour(th, &L.hm, v[i * n + j])) && !bad++)
                printf("    row %zu unit %zu = %g: pixel (%d, %d, %d)\n", i, j, v[i * n + j], px[0],
                       px[1], px[2]);
        }
    }
    check_true(&t->c, probes >= 4 * (int)n && bad == 0,
               "%s: %d cells have heatmap_colour of their value (%d wrong)", what, probes, bad);
}

/* Bars of ||F_l||: low in each bar (the legend sits at the top), away from the ||x_0|| line. */
static void unroll_bar_probes(Ctx *t, const SceneUnroll *s, const Theme *th, SceneLang lang,
                              cairo_surface_t *img, Rgb colour, const char *what)
{
    SceneUnrollLayout L;
    scene_unroll_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, lang, &L);
    const PlotAxes *ax = &L.norms;
    const double *nm = scene_unroll_norms(s);
    size_t rows;
    scene_unroll_rows(s, &rows, NULL);
    double base = ax->y.scale == PLOT_LOG10 ? ax->frame.y + ax->frame.h : plot_y(ax, 0);
    double yref = plot_y(ax, scene_unroll_norm_x0(s));        /* the dashed ||x_0|| line */
    int probes = 0, bad = 0;
    for (size_t l = 1; l <= rows - 3; l++) {
        double top = plot_y(ax, nm[l - 1]), y = base - 0.25 * (base - top);
        if (base - top < 4 * PROBE_MIN_PX) continue;
        if (fabs(y - yref) < th->line_width + PROBE_INSET_PX)   /* step off the line */
            y = y > yref ? yref + th->line_width + PROBE_INSET_PX : yref - th->line_width - PROBE_INSET_PX;
        if (!(y < base - PROBE_INSET_PX && y > top + PROBE_INSET_PX)) continue;
        int px[3];
        pixel_at(img, plot_x(ax, (double)l), y, px);
        probes++;
        if (!pixel_is(px, colour) && !bad++)
            printf("    block %zu: pixel (%d, %d, %d)\n", l, px[0], px[1], px[2]);
    }
    check_true(&t->c, probes >= 3 && bad == 0, "%s: %d norm bars in the net's colour (%d wrong)",
               what, probes, bad);
}

static void test_unroll_configs_draw_and_check(Ctx *t)
{
    const ShortcutKind kinds[] = {SHORTCUT_IDENTITY, SHORTCUT_PROJECT_ALL, SHORTCUT_GATE, SHORTCUT_NONE};
    const Activation acts[] = {ACT_RELU, ACT_IDENTITY};
    int n = 0;
    for (int o = 0; o < 2; o++)
        for (int k = 0; k < 4; k++)
            for (int bn = 0; bn < 2; bn++)
                for (int a = 0; a < 2; a++) {
                    SceneParams p = params((BlockOrder)o, kinds[k], bn, acts[a], 10);
                    p.lang = n % 2 ? SCENE_LANG_ZH : SCENE_LANG_EN;
                    const Theme *th = n % 3 == 1 ? &t->dark : &t->light;
                    char what[128], err[256], buf[1024];
                    describe(&p, what, sizeof what);
                    n++;
                    SceneUnroll *s = scene_unroll_alloc(&p, err, sizeof err);
                    if (!check_true(&t->c, s != NULL, "unroll %s: alloc (%s)", what, s ? "ok" : err))
                        continue;
                    int ok;
                    cairo_surface_t *img = render(draw_unroll, s, th, p.lang, FIG_W, FIG_H, &ok);
                    check_true(&t->c, ok, "unroll %s: drawn with cairo status success", what);
                    gsl_matrix *X;                          /* unroll_check, independently */
                    Net *net = flow_net(&p, &X);
                    net_forward(net, X);
                    UnrollReport r;
                    unroll_check(net, &r, NULL);
                    scene_unroll_check_text(s, p.lang, buf, sizeof buf);
                    double got = shown_number(buf);
                    int close = r.rel_diff == 0 ? got == 0 : fabs(got - r.rel_diff) <= SHOWN_RTOL * r.rel_diff;
                    int holds = r.rel_diff <= SCENE_UNROLL_BOUND;
                    char *plain = plain_text(buf);
                    int says_holds = plain && strstr(plain, p.lang == SCENE_LANG_ZH ? "式 4 成立" : "Eq. 4 holds");
                    check_true(&t->c, close && holds == (says_holds != 0),
                               "unroll %s: the check line prints unroll_check's %.3g (%g) and says %s",
                               what, r.rel_diff, got, holds ? "it holds" : "it does not");
                    check_true(&t->c, r.exact_form == unroll_exact_form(net) &&
                                          (!r.exact_form || holds),
                               "unroll %s: exact form %d, and Eq. 4 holds where it must", what, r.exact_form);
                    g_free(plain);
                    unroll_cell_probes(t, s, th, p.lang, img, what);
                    unroll_bar_probes(t, s, th, p.lang, img,
                                      kinds[k] == SHORTCUT_NONE ? th->plain : th->residual, what);
                    gsl_matrix_free(X);
                    net_free(net);
                    cairo_surface_destroy(img);
                    scene_unroll_free(s);
                }
}

/* The expansion panel's numbers are unroll_expansion's, and linear blocks give four paths. */
static void test_unroll_expansion_numbers(Ctx *t)
{
    SceneParams p = params(ORDER_PRE, SHORTCUT_IDENTITY, 0, ACT_IDENTITY, 4);
    char err[256];
    SceneUnroll *s = scene_unroll_alloc(&p, err, sizeof err);
    const UnrollExpansion *e = scene_unroll_expansion(s);
    check_true(&t->c, e && e->linear && e->rel_fourpath < 1e-12 && e->rel_split < 1e-12 &&
                          e->rel_dropped > 1e-3,
               "linear blocks: four paths and the split hold (%.2g, %.2g), dropping the cross term "
               "does not (%.2g)", e ? e->rel_fourpath : NAN, e ? e->rel_split : NAN,
               e ? e->rel_dropped : NAN);
    scene_unroll_free(s);
    p = params(ORDER_PRE, SHORTCUT_IDENTITY, 0, ACT_RELU, 1);
    s = scene_unroll_alloc(&p, err, sizeof err);
    int ok = 0;
    if (s) {
        cairo_surface_t *img = render(draw_unroll, s, &t->light, SCENE_LANG_EN, FIG_W, FIG_H, &ok);
        cairo_surface_destroy(img);
    }
    check_true(&t->c, s && !scene_unroll_expansion(s) && ok,
               "depth 1: no expansion, and the figure still draws");
    scene_unroll_free(s);
}

/* Default nets at depth 1000 reach 1e159 (finite) and at depth 2000 overflow to inf / NaN. */
static void test_exploding_nets_draw_overflow(Ctx *t)
{
    SceneParams p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 1000);
    char err[256], buf[1024];
    SceneUnroll *s = scene_unroll_alloc(&p, err, sizeof err);
    int ok;
    cairo_surface_t *img = render(draw_unroll, s, &t->light, SCENE_LANG_EN, FIG_W, FIG_H, &ok);
    gsl_matrix *X;
    Net *net = flow_net(&p, &X);
    net_forward(net, X);
    double *contrib = malloc(p.net.depth * sizeof *contrib);
    UnrollReport r;
    unroll_check(net, &r, contrib);
    const double *nm = scene_unroll_norms(s);
    int inf_there = 0, finite_here = 1;
    for (size_t l = 0; l < p.net.depth; l++) {
        inf_there |= isinf(contrib[l]);
        finite_here &= isfinite(nm[l]) && (isinf(contrib[l]) || fabs(nm[l] - contrib[l]) <= 1e-9 * contrib[l]);
    }
    check_true(&t->c, ok && !r.overflow, "depth 1000: drawn; x_L is finite (max |x_L| = %.2g)",
               r.max_abs_xL);
    check_true(&t->c, finite_here,
               "depth 1000: the scene's ||F_l|| stay finite up to 1e159 and equal unroll_check's "
               "where that is finite (unroll_check's %s)",
               inf_there ? "squares overflow to inf from ~1e154" : "are finite too");
    free(contrib);
    gsl_matrix_free(X);
    net_free(net);
    cairo_surface_destroy(img);
    scene_unroll_free(s);

    p.net.depth = 2000;
    s = scene_unroll_alloc(&p, err, sizeof err);
    SceneUnrollLayout L;
    scene_unroll_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, &t->dark, SCENE_LANG_ZH, &L);
    img = render(draw_unroll, s, &t->dark, SCENE_LANG_ZH, FIG_W, FIG_H, &ok);
    scene_unroll_check_text(s, SCENE_LANG_EN, buf, sizeof buf);
    check_true(&t->c, ok && scene_unroll_report(s)->overflow && strstr(buf, "overflowed"),
               "depth 2000: drawn; the check line says x_L overflowed");
    size_t rows, n;
    const double *v = scene_unroll_rows(s, &rows, &n);
    int found = 0, probed = 0;
    for (size_t j = 0; j < n; j++) {
        if (isfinite(v[(rows - 2) * n + j])) continue;      /* a non-finite cell of x_0 + sum F */
        int px[3];
        pixel_at(img, L.sum_row.x + L.sum_row.w * ((double)j + 0.5) / (double)n,
                 L.sum_row.y + L.sum_row.h / 2, px);
        probed++;
        found += pixel_is(px, t->dark.overflow);
    }
    check_true(&t->c, probed > 0 && found == probed,
               "depth 2000: %d of %d non-finite cells of x_0 + sum F are in the overflow colour",
               found, probed);
    const double *nm2 = scene_unroll_norms(s);
    found = probed = 0;
    for (size_t l = 1; l <= rows - 3; l++)
        if (isinf(nm2[l - 1])) {
            int px[3];
            pixel_at(img, plot_x(&L.norms, (double)l), L.norms.frame.y + 0.5 * L.norms.frame.h, px);
            probed++;
            found += pixel_is(px, t->dark.overflow);
        }
    check_true(&t->c, probed > 0 && found > 0,
               "depth 2000: infinite ||F_l|| drawn as overflow bars (%d of %d probed)", found, probed);
    cairo_surface_destroy(img);
    scene_unroll_free(s);

    SceneBlock *b = scene_block_alloc(&p, err, sizeof err);         /* its first block is fine */
    img = b ? render(draw_block, b, &t->light, SCENE_LANG_EN, FIG_W, FIG_H, &ok) : NULL;
    check_true(&t->c, b && ok && scene_block_check(b) <= IDENTITY_TOL,
               "depth 2000: the block scene draws its first block");
    if (img) cairo_surface_destroy(img);
    scene_block_free(b);
}

/* ---- contract: only inside r, any size, bad params ------------------------------------------ */

static int outside_untouched(cairo_surface_t *img, Rect r)
{
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    cairo_surface_flush(img);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(cairo_image_surface_get_data(img) +
                                                 (size_t)y * cairo_image_surface_get_stride(img));
        for (int x = 0; x < w; x++) {
            int inside = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
            if (!inside && row[x] != 0xff00ff00u) return 0;
        }
    }
    return 1;
}

static void test_draws_only_inside_r_at_any_size(Ctx *t)
{
    SceneParams p = params(ORDER_POST, SHORTCUT_GATE, 1, ACT_RELU, 10);
    char err[256];
    SceneBlock *b = scene_block_alloc(&p, err, sizeof err);
    SceneUnroll *u = scene_unroll_alloc(&p, err, sizeof err);
    const Rect rs[] = {{100, 60, 1000, 640}, {10, 10, 640, 400}, {5, 5, 60, 40}, {0, 0, 1, 1}};
    for (int k = 0; k < 4; k++)
        for (int which = 0; which < 2; which++) {
            cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1200, 760);
            cairo_t *cr = cairo_create(img);
            cairo_set_source_rgb(cr, 0, 1, 0);
            cairo_paint(cr);
            if (which) scene_unroll_draw(u, cr, rs[k], &t->light, SCENE_LANG_ZH);
            else scene_block_draw(b, cr, rs[k], &t->light, SCENE_LANG_ZH);
            int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
            cairo_destroy(cr);
            check_true(&t->c, ok && outside_untouched(img, rs[k]),
                       "%s scene in %gx%g at (%g, %g): cairo status success, nothing drawn outside",
                       which ? "unroll" : "block", rs[k].w, rs[k].h, rs[k].x, rs[k].y);
            cairo_surface_destroy(img);
        }
    scene_block_free(b);
    scene_unroll_free(u);
}

static void test_bad_params_are_refused(Ctx *t)
{
    char err[256] = "";
    SceneParams p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 10);
    p.example = 8;
    SceneBlock *b = scene_block_alloc(&p, err, sizeof err);
    check_true(&t->c, !b && strstr(err, "example 8"), "example 8 of a batch of 8: refused (%s)", err);
    err[0] = '\0';
    SceneUnroll *u = scene_unroll_alloc(&p, err, sizeof err);
    check_true(&t->c, !u && strstr(err, "example 8"), "unroll: the same (%s)", err);
    p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 0);
    err[0] = '\0';
    b = scene_block_alloc(&p, err, sizeof err);
    check_true(&t->c, !b && err[0], "depth 0: refused (%s)", err);
    p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 1u << 20);
    p.net.width = 4096;
    err[0] = '\0';
    u = scene_unroll_alloc(&p, err, sizeof err);
    check_true(&t->c, !u && err[0], "a net above the memory limit: refused (%s)", err);
}

/* ---- words ---------------------------------------------------------------------------------- */

typedef struct {
    const Theme *th;
    SceneLang lang;
    int strings, bad_markup, unknown, english, han_in_en;
    char first_bad[256];
} TextStats;

static int allowed_word(const char *w, size_t n)
{
    static const char *ok[] = {"ReLU", "tanh", "Dropout"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strlen(ok[i]) == n && strncmp(ok[i], w, n) == 0) return 1;
    return 0;
}

static void text_stats(const char *markup, void *ctx)
{
    TextStats *st = ctx;
    if (!markup || !markup[0]) return;
    st->strings++;
    TextStyle ts = text_style(st->th, 1.0);
    ts.markup = 1;
    int rc;
    PangoLayout *lay = text_layout(NULL, markup, &ts, &rc);
    int unknown = pango_layout_get_unknown_glyphs_count(lay);
    g_object_unref(lay);
    st->bad_markup += rc != RESLAB_OK;
    st->unknown += unknown;
    char *plain = g_strdup(markup);                          /* tags become blanks: <sub> splits words */
    int in_tag = 0;
    for (char *q = plain; *q; q++) {
        if (*q == '<') in_tag = 1;
        if (in_tag) {
            if (*q == '>') in_tag = 0;
            *q = ' ';
        }
    }
    for (const char *q = plain; q && *q;) {                  /* ASCII words of 4+ letters */
        size_t k = 0;
        while (isalpha((unsigned char)q[k])) k++;
        if (k >= 4 && st->lang == SCENE_LANG_ZH && !allowed_word(q, k)) {
            if (!st->english++) snprintf(st->first_bad, sizeof st->first_bad, "%.*s", (int)k, q);
        }
        if ((unsigned char)*q >= 0xe4 && (unsigned char)*q <= 0xe9 && st->lang == SCENE_LANG_EN)
            st->han_in_en++;                                  /* a CJK ideograph's lead byte */
        q += k ? k : 1;
    }
    if ((rc != RESLAB_OK || unknown) && !st->first_bad[0]) snprintf(st->first_bad, sizeof st->first_bad, "%s", markup);
    g_free(plain);
}

static void test_every_string_has_glyphs_and_is_translated(Ctx *t)
{
    const ShortcutKind kinds[] = {SHORTCUT_NONE, SHORTCUT_IDENTITY, SHORTCUT_ZEROPAD, SHORTCUT_PROJECT,
                                  SHORTCUT_PROJECT_ALL, SHORTCUT_SCALED, SHORTCUT_GATE,
                                  SHORTCUT_GATE_SHORTCUT, SHORTCUT_DROPOUT};
    for (int lang = 0; lang < 2; lang++) {
        TextStats st = {&t->light, (SceneLang)lang, 0, 0, 0, 0, 0, ""};
        for (int k = 0; k < 9; k++)
            for (int o = 0; o < 2; o++) {
                SceneParams p = params((BlockOrder)o, kinds[k], o, k % 3 ? ACT_RELU : ACT_IDENTITY, 10);
                char err[256];
                SceneBlock *b = scene_block_alloc(&p, err, sizeof err);
                SceneUnroll *u = scene_unroll_alloc(&p, err, sizeof err);
                if (b) scene_block_each_text(b, (SceneLang)lang, text_stats, &st);
                if (u) scene_unroll_each_text(u, (SceneLang)lang, text_stats, &st);
                scene_block_free(b);
                scene_unroll_free(u);
            }
        SceneParams p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 2000);   /* overflow words */
        char err[256];
        SceneUnroll *u = scene_unroll_alloc(&p, err, sizeof err);
        if (u) scene_unroll_each_text(u, (SceneLang)lang, text_stats, &st);
        scene_unroll_free(u);
        const char *name = lang ? "Chinese" : "English";
        check_true(&t->c, st.strings > 100 && st.bad_markup == 0 && st.unknown == 0,
                   "%s: %d strings, all markup parses, %d unknown glyphs%s%s", name, st.strings,
                   st.unknown, st.first_bad[0] ? ", first: " : "", st.first_bad);
        if (lang)
            check_true(&t->c, st.english == 0, "Chinese: no English word left (%d; first '%s')",
                       st.english, st.first_bad);
        else
            check_true(&t->c, st.han_in_en == 0, "English: no Chinese characters (%d)", st.han_in_en);
    }
}

/* ---- figures to look at ----------------------------------------------------------------------- */

static void test_write_figures(Ctx *t)
{
    char err[256];
    SceneParams p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 10);
    SceneBlock *b = scene_block_alloc(&p, err, sizeof err);
    save_png(t, draw_block, b, &t->light, SCENE_LANG_EN, "scene_block_post_en.png");
    scene_block_free(b);
    p = params(ORDER_PRE, SHORTCUT_GATE, 1, ACT_RELU, 10);
    b = scene_block_alloc(&p, err, sizeof err);
    save_png(t, draw_block, b, &t->dark, SCENE_LANG_ZH, "scene_block_pre_gate_bn_zh_dark.png");
    scene_block_free(b);
    p = params(ORDER_PRE, SHORTCUT_IDENTITY, 0, ACT_RELU, 10);
    SceneUnroll *u = scene_unroll_alloc(&p, err, sizeof err);
    save_png(t, draw_unroll, u, &t->light, SCENE_LANG_EN, "scene_unroll_pre_en.png");
    scene_unroll_free(u);
    p = params(ORDER_POST, SHORTCUT_IDENTITY, 0, ACT_RELU, 10);
    u = scene_unroll_alloc(&p, err, sizeof err);
    save_png(t, draw_unroll, u, &t->dark, SCENE_LANG_ZH, "scene_unroll_post_zh_dark.png");
    scene_unroll_free(u);
}

int main(void)
{
    Ctx t;
    memset(&t, 0, sizeof t);
    t.light = theme_light();
    t.dark = theme_dark();
    const char *dir = getenv("TEST_BUILD_DIR");
    snprintf(t.out, sizeof t.out, "%s", dir && dir[0] ? dir : "/tmp");

    test_block_configs_draw_and_hold(&t);
    test_block_every_shortcut_draws(&t);
    test_block_vectors_are_block_forward(&t);
    test_block_check_text_prints_the_check(&t);
    test_unroll_configs_draw_and_check(&t);
    test_unroll_expansion_numbers(&t);
    test_exploding_nets_draw_overflow(&t);
    test_draws_only_inside_r_at_any_size(&t);
    test_bad_params_are_refused(&t);
    test_every_string_has_glyphs_and_is_translated(&t);
    test_write_figures(&t);

    pango_cairo_font_map_set_default(NULL);                 /* for leak checkers */
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&t.c);
}
