/* test_scene_depth.c: the depth and variance scenes' claims. Their numbers are a fresh sweep's
 * and a fresh forward pass's to the bit (and `reslab flow`'s, when $RESLAB_EXE is set), also
 * after scene_depth_step and scene_depth_restart; their pixels are where the layout's axes say
 * (curves in t->residual and t->plain, cells in heatmap_colour); an exploding net and an
 * underflowing one draw overflow marks; the hit test reports the value under the cursor; every
 * text parses as markup and Chinese needs no missing glyph.
 *
 * Files: the figures go to $TEST_BUILD_DIR/scene_{depth,variance}_*.png (or /tmp) to be looked at.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <gsl/gsl_randist.h>
#include <pango/pangocairo.h>

#include "check.h"
#include "export.h"
#include "scene_depth.h"
#include "scene_variance.h"
#include "stats.h"
#include "status.h"
#include "sweep.h"
#include "text.h"

/* Curves and cells are drawn in the exact theme and LUT colours and PNG/ARGB keeps 8 bits; one
 * level of slack for cairo's premultiplied round trip (test_render.c has the same). */
#define PIXEL_TOL 1
/* A probe for a curve sits this many font sizes away from the other curve at least, so that the
 * other curve (and its markers) cannot be what it sees. */
#define APART 1.5
/* The scene against `reslab flow` in another process: OpenBLAS may sum in another order for
 * differently aligned buffers (seen with an ASan-built test against a plain reslab: the last
 * two bits differ), so across processes the claim is agreement to rounding. */
#define FLOW_RTOL 1e-13

enum { W = 1280, H = 800 };

typedef struct {
    Check c;
    Theme th;
    char out[1024];          /* where the figures go */
} Ctx;

/* ---- helpers ------------------------------------------------------------------------------ */

static void pixel_at(cairo_surface_t *s, double x, double y, int rgb[3])
{
    int ix = (int)floor(x), iy = (int)floor(y);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    rgb[0] = rgb[1] = rgb[2] = -1000;
    if (ix < 0 || iy < 0 || ix >= w || iy >= h) return;
    cairo_surface_flush(s);
    const unsigned char *row = cairo_image_surface_get_data(s) + (size_t)iy * cairo_image_surface_get_stride(s);
    uint32_t p = ((const uint32_t *)row)[ix];
    rgb[0] = (p >> 16) & 255;
    rgb[1] = (p >> 8) & 255;
    rgb[2] = p & 255;
}

static int pixel_is(const int got[3], Rgb want)
{
    return abs(got[0] - rgb_byte(want.r)) <= PIXEL_TOL && abs(got[1] - rgb_byte(want.g)) <= PIXEL_TOL &&
           abs(got[2] - rgb_byte(want.b)) <= PIXEL_TOL;
}

/* Pixels of colour c along the horizontal line y (logical) from x0 to x1, at scale s. */
static int count_row(cairo_surface_t *img, double s, double x0, double x1, double y, Rgb c)
{
    int n = 0, px[3];
    for (double x = x0; x <= x1; x += 1.0 / s) {
        pixel_at(img, x * s, y * s, px);
        n += pixel_is(px, c);
    }
    return n;
}

typedef struct {
    const void *scene;
    const Theme *th;
    SceneLang lang;
    int variance;
} Fig;

static void fig_draw(cairo_t *cr, double w, double h, void *ctx)
{
    const Fig *f = ctx;
    if (f->variance) scene_variance_draw(f->scene, cr, (Rect){0, 0, w, h}, f->th, f->lang);
    else scene_depth_draw(f->scene, cr, (Rect){0, 0, w, h}, f->th, f->lang);
}

/* The figure drawn into a fresh W*s x H*s image (what the viewer does), and also written to a
 * PNG named name to be looked at. The caller destroys the surface. */
static cairo_surface_t *render(Ctx *t, Fig f, double s, const char *name)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)(W * s), (int)(H * s));
    cairo_t *cr = cairo_create(img);
    cairo_scale(cr, s, s);
    fig_draw(cr, W, H, &f);
    check_true(&t->c, cairo_status(cr) == CAIRO_STATUS_SUCCESS, "%s: cairo reports %s", name,
               cairo_status_to_string(cairo_status(cr)));
    cairo_destroy(cr);
    if (name) {
        char path[1200], err[256];
        snprintf(path, sizeof path, "%s/%s.png", t->out, name);
        if (export_render(path, W, H, s, fig_draw, &f, err, sizeof err) != RESLAB_OK)
            printf("note: %s\n", err);
    }
    return img;
}

static SceneDepthLayout depth_layout(const SceneDepth *s, const Theme *th, SceneLang lang)
{
    SceneDepthLayout L;
    scene_depth_layout(s, NULL, (Rect){0, 0, W, H}, th, lang, &L);
    return L;
}

/* The nets `reslab flow` builds (src/cli/cmd_flow.c): residual weights, dropout mask, X. */
typedef struct {
    Net *res, *plain;
    gsl_matrix *X;
} Ref;

static Ref ref_build(const SceneParams *p, size_t batch)
{
    Ref r = {0};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, p->seed);
    NetConfig cfg = p->net;
    cfg.param_grads = 0;
    r.res = net_alloc(&cfg, batch, rng);
    net_dropout_draw(r.res, rng);
    r.X = gsl_matrix_alloc(batch, net_input_width(r.res));
    for (size_t b = 0; b < batch; b++)
        for (size_t j = 0; j < r.X->size2; j++) gsl_matrix_set(r.X, b, j, gsl_ran_gaussian(rng, 1.0));
    r.plain = net_alloc_twin(r.res, SHORTCUT_NONE);
    gsl_rng_free(rng);
    return r;
}

static void ref_free(Ref *r)
{
    net_free(r->plain);
    net_free(r->res);
    gsl_matrix_free(r->X);
}

/* ---- depth scene: numbers ----------------------------------------------------------------- */

/* Scene numbers at its shown depth d against a Sweep stepped d times and net_forward on fresh
 * nets: exact equality, every layer l <= d, every unit. */
static int matches_fresh(const SceneDepth *s, const SceneParams *p, Ref *r)
{
    size_t d = scene_depth_shown(s), n = p->net.width;
    int ok = 1;
    for (int k = 0; k < 2; k++) {
        Net *net = k == SCENE_DEPTH_PLAIN ? r->plain : r->res;
        net_forward(net, r->X);
        const double *act = scene_depth_activations(s, k), *norms = scene_depth_norms(s, k);
        for (size_t l = 0; l <= d; l++)
            for (size_t u = 0; u < n; u++) ok &= act[l * n + u] == gsl_matrix_get(net_x(net, l), 0, u);
        Sweep *w = sweep_alloc(net, r->X);
        for (size_t j = 0; j < d; j++) sweep_step(w);
        for (size_t l = 0; l <= d; l++) ok &= norms[l] == w->norms[l] || (isnan(norms[l]) && isnan(w->norms[l]));
        sweep_free(w);
    }
    return ok;
}

static void test_step_equals_a_fresh_sweep(Ctx *t)
{
    SceneParams cases[2] = {scene_params_default(), scene_params_default()};
    cases[0].net.depth = 30;
    cases[0].shown_depth = 5;
    cases[1].net.depth = 20;                       /* rng order: weights, dropout mask, then X */
    cases[1].net.shortcut = SHORTCUT_DROPOUT;
    cases[1].net.order = ORDER_PRE;
    cases[1].net.bn = 1;
    cases[1].shown_depth = 3;
    for (int c = 0; c < 2; c++) {
        const SceneParams *p = &cases[c];
        char err[256];
        SceneDepth *s = scene_depth_alloc(p, err, sizeof err);
        if (!check_true(&t->c, s != NULL, "case %d: alloc (%s)", c, s ? "ok" : err)) continue;
        Ref r = ref_build(p, p->batch);
        check_true(&t->c, scene_depth_shown(s) == p->shown_depth && matches_fresh(s, p, &r),
                   "case %d: at alloc (depth %zu) x_l and ||dL/dx_l|| equal a fresh sweep's to the "
                   "bit", c, scene_depth_shown(s));
        int rc = scene_depth_step(s);
        rc |= scene_depth_step(s);
        check_true(&t->c, rc == 0 && scene_depth_shown(s) == p->shown_depth + 2 && matches_fresh(s, p, &r),
                   "case %d: two steps later (depth %zu) too", c, scene_depth_shown(s));
        scene_depth_restart(s);
        check_true(&t->c, scene_depth_shown(s) == 1 && matches_fresh(s, p, &r),
                   "case %d: restart goes back to depth 1, numbers fresh", c);
        while (scene_depth_step(s) == 0) {}
        check_true(&t->c, scene_depth_shown(s) == p->net.depth && scene_depth_step(s) == 1 &&
                   scene_depth_shown(s) == p->net.depth && matches_fresh(s, p, &r),
                   "case %d: stepping stops at the full depth %zu, numbers fresh", c, p->net.depth);
        ref_free(&r);
        scene_depth_free(s);
    }
}

/* The full-depth norms against `reslab flow --csv` for the same options (its %.17g round-trips;
 * in a normal build they agree to the bit). */
static void test_numbers_agree_with_reslab_flow(Ctx *t)
{
    const char *exe = getenv("RESLAB_EXE");
    if (!exe) {
        printf("SKIP: RESLAB_EXE is not set (the comparison with `reslab flow`)\n");
        return;
    }
    SceneParams p = scene_params_default();
    p.net.depth = 12;
    p.net.width = 8;
    p.seed = 7;
    char err[256], cmd[1400], line[256];
    SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);
    snprintf(cmd, sizeof cmd, "'%s' flow --depth 12 --width 8 --seed 7 --csv", exe);
    FILE *f = popen(cmd, "r");
    int rows = 0, ok = s && f;
    const double *pn = s ? scene_depth_norms(s, SCENE_DEPTH_PLAIN) : NULL;
    const double *rn = s ? scene_depth_norms(s, SCENE_DEPTH_RESIDUAL) : NULL;
    while (ok && fgets(line, sizeof line, f)) {
        unsigned l;
        double a, b;
        if (sscanf(line, "%u,%lf,%lf", &l, &a, &b) != 3) continue;
        ok &= l <= 12 && fabs(a - pn[l]) <= FLOW_RTOL * fabs(pn[l]) &&
              fabs(b - rn[l]) <= FLOW_RTOL * fabs(rn[l]);
        rows++;
    }
    if (f) pclose(f);
    check_true(&t->c, ok && rows == 13, "the scene's ||dL/dx_l|| are `reslab flow`'s (%d rows, rtol %g)", rows,
               FLOW_RTOL);
    scene_depth_free(s);
}

static void test_bad_params_are_refused(Ctx *t)
{
    SceneParams p = scene_params_default();
    char err[256] = "";
    p.shown_depth = 11;
    SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);
    check_true(&t->c, !s && strstr(err, "shown depth"), "shown depth beyond the depth: '%s'", err);
    p.shown_depth = 0;
    p.show = 0;
    s = scene_depth_alloc(&p, err, sizeof err);
    check_true(&t->c, !s && strstr(err, "show"), "show 0: '%s'", err);
    SceneVariance *v = scene_variance_alloc(&p, err, sizeof err);
    check_true(&t->c, !v && strstr(err, "show"), "variance, show 0: '%s'", err);
    p.show = SCENE_SHOW_BOTH;
    p.net.width = 0;
    s = scene_depth_alloc(&p, err, sizeof err);
    check_true(&t->c, !s && strstr(err, "width"), "width 0 (net_config_check): '%s'", err);
}

/* ---- depth scene: pixels ------------------------------------------------------------------ */

/* A layer where the residual point and the plain point are APART font sizes apart on screen. */
static size_t apart_layer(const SceneDepth *s, const PlotAxes *ax, double fs)
{
    const double *rn = scene_depth_norms(s, SCENE_DEPTH_RESIDUAL), *pn = scene_depth_norms(s, SCENE_DEPTH_PLAIN);
    for (size_t l = scene_depth_shown(s); l > 0; l--)
        if (fabs(plot_y(ax, rn[l]) - plot_y(ax, pn[l])) > APART * fs && rn[l] > 0 && isfinite(rn[l]))
            return l;
    return 0;
}

static void depth_probes(Ctx *t, const SceneDepth *s, cairo_surface_t *img, double sc, SceneLang lang)
{
    const Theme *th = &t->th;
    SceneDepthLayout L = depth_layout(s, th, lang);
    const double *rn = scene_depth_norms(s, SCENE_DEPTH_RESIDUAL), *pn = scene_depth_norms(s, SCENE_DEPTH_PLAIN);
    size_t l = apart_layer(s, &L.grad, th->font_size);
    int px[3];
    pixel_at(img, plot_x(&L.grad, (double)l) * sc, plot_y(&L.grad, rn[l]) * sc, px);
    check_true(&t->c, l > 0 && pixel_is(px, th->residual), "scale %g: t->residual at plot_x/plot_y "
               "of (%zu, %.4g): %d,%d,%d", sc, l, rn[l], px[0], px[1], px[2]);
    pixel_at(img, plot_x(&L.grad, (double)l) * sc, plot_y(&L.grad, pn[l]) * sc, px);
    check_true(&t->c, pixel_is(px, th->plain), "scale %g: t->plain at (%zu, %.4g): %d,%d,%d", sc, l,
               pn[l], px[0], px[1], px[2]);
    size_t d = scene_depth_shown(s), n = 16;
    int cells[3][2] = {{0, 3}, {(int)d / 2, 9}, {(int)d, 15}};
    for (int i = 0; i < L.nheat; i++) {
        const double *act = scene_depth_activations(s, L.heat_net[i]);
        int ok = 1;
        for (int c = 0; c < 3; c++) {
            size_t cl = (size_t)cells[c][0], u = (size_t)cells[c][1];
            Rect r = L.cells[i];
            double x = r.x + (cl + 0.5) * r.w / (d + 1), y = r.y + (u + 0.5) * r.h / n;
            pixel_at(img, x * sc, y * sc, px);
            ok &= pixel_is(px, heatmap_colour(th, &L.hm[i], act[cl * n + u]));
        }
        check_true(&t->c, ok, "scale %g: heatmap %d: cells (0,3), (%zu,9), (%zu,15) have "
                   "heatmap_colour of their values", sc, i, d / 2, d);
    }
}

static void test_depth_pixels_are_where_the_layout_says(Ctx *t)
{
    SceneParams p = scene_params_default();         /* depth 10, width 16: the README picture */
    char err[256];
    SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "default params: alloc (%s)", s ? "ok" : err)) return;
    for (int sc = 1; sc <= 2; sc++) {
        cairo_surface_t *img = render(t, (Fig){s, &t->th, SCENE_LANG_EN, 0}, sc,
                                      sc == 1 ? "scene_depth_default" : "scene_depth_default@2x");
        depth_probes(t, s, img, sc, SCENE_LANG_EN);
        cairo_surface_destroy(img);
    }
    /* one net only: its heatmap takes the top row; layer l's cells above point l */
    p.show = SCENE_SHOW_RESIDUAL;
    p.net.depth = 40;
    p.shown_depth = 12;
    SceneDepth *one = scene_depth_alloc(&p, err, sizeof err);
    SceneDepthLayout L = depth_layout(one, &t->th, SCENE_LANG_EN);
    check_true(&t->c, L.nheat == 1 && L.heat_net[0] == SCENE_DEPTH_RESIDUAL &&
               fabs(plot_x(&L.heat[0], 7) - plot_x(&L.grad, 7)) < 1e-9 &&
               !scene_depth_norms(one, SCENE_DEPTH_PLAIN),
               "show residual: one heatmap, x of layer 7 the same in both panels, plain not swept");
    cairo_surface_destroy(render(t, (Fig){one, &t->th, SCENE_LANG_EN, 0}, 1, "scene_depth_residual_only"));
    scene_depth_free(one);
    scene_depth_free(s);
}

/* Default post-order ReLU at depth 1000: the stream reaches 1e158 and ||x||^2 overflows, so the
 * residual norms are inf/NaN: marks along the top edge. Pre order with branch scale 1/sqrt(L):
 * the plain stream shrinks by c per block and its gradient underflows to 0: marks at the bottom. */
static void test_exploding_and_vanishing_nets_draw_overflow_marks(Ctx *t)
{
    SceneParams p = scene_params_default();
    p.net.depth = 1000;
    char err[256];
    SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "depth 1000: alloc (%s)", s ? "ok" : err)) return;
    const double *rn = scene_depth_norms(s, SCENE_DEPTH_RESIDUAL);
    int bad = 0;
    for (size_t l = 0; l <= 1000; l++) bad += !isfinite(rn[l]);
    cairo_surface_t *img = render(t, (Fig){s, &t->th, SCENE_LANG_EN, 0}, 1, "scene_depth_explode");
    SceneDepthLayout L = depth_layout(s, &t->th, SCENE_LANG_EN);
    Rect f = L.grad.frame;
    int marks = count_row(img, 1, f.x, f.x + f.w, f.y + 0.3 * t->th.font_size, t->th.overflow);
    check_true(&t->c, bad > 0 && marks > 0, "exploding: %d non-finite norms, %d overflow pixels "
               "along the top edge", bad, marks);
    check_true(&t->c, isfinite(L.hm[1].hi) && L.hm[1].hi > 1e100, "exploding: the residual "
               "heatmap's range is finite (+-%.3g)", L.hm[1].hi);
    cairo_surface_destroy(img);
    scene_depth_free(s);

    p.net.depth = 200;
    p.net.order = ORDER_PRE;
    p.net.branch_scale = 1 / sqrt(200.0);
    s = scene_depth_alloc(&p, err, sizeof err);
    const double *pn = scene_depth_norms(s, SCENE_DEPTH_PLAIN);
    img = render(t, (Fig){s, &t->th, SCENE_LANG_EN, 0}, 1, "scene_depth_underflow");
    L = depth_layout(s, &t->th, SCENE_LANG_EN);
    f = L.grad.frame;
    marks = count_row(img, 1, f.x, f.x + f.w, f.y + f.h - 0.3 * t->th.font_size, t->th.overflow);
    check_true(&t->c, pn[0] == 0 && marks > 0, "vanishing: ||dL/dx_0|| of the plain net = %g, %d "
               "overflow pixels along the bottom edge", pn[0], marks);
    cairo_surface_destroy(img);
    scene_depth_free(s);
}

/* ---- depth scene: hit test ---------------------------------------------------------------- */

static void test_hit_reports_the_value_under_the_cursor(Ctx *t)
{
    SceneParams p = scene_params_default();
    char err[256], buf[128], want[128];
    for (int zh = 0; zh <= 1; zh++) {
        p.lang = zh ? SCENE_LANG_ZH : SCENE_LANG_EN;
        SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);
        Theme light = theme_light();                 /* the metrics scene_depth_hit assumes */
        SceneDepthLayout L = depth_layout(s, &light, p.lang);
        Rect c = L.cells[1];
        const double *act = scene_depth_activations(s, L.heat_net[1]);
        double x = c.x + 3.5 * c.w / 11, y = c.y + 5.5 * c.h / 16;
        snprintf(want, sizeof want, "%s x_3[5] = %.4e", zh ? "残差网络" : "residual", act[3 * 16 + 5]);
        int hit = scene_depth_hit(s, (Rect){0, 0, W, H}, x, y, buf, sizeof buf);
        check_true(&t->c, hit && strcmp(buf, want) == 0, "%s: cell (3, 5): '%s'", zh ? "zh" : "en",
                   hit ? buf : "(no hit)");
        size_t l = apart_layer(s, &L.grad, light.font_size);
        const double *pn = scene_depth_norms(s, SCENE_DEPTH_PLAIN);
        snprintf(want, sizeof want, "%s ||dL/dx_%zu|| = %.4e", zh ? "普通网络" : "plain", l, pn[l]);
        hit = scene_depth_hit(s, (Rect){0, 0, W, H}, plot_x(&L.grad, (double)l) + 3,
                              plot_y(&L.grad, pn[l]) - 2, buf, sizeof buf);
        check_true(&t->c, hit && strcmp(buf, want) == 0, "%s: near plain point %zu: '%s'",
                   zh ? "zh" : "en", l, hit ? buf : "(no hit)");
        strcpy(buf, "untouched");
        hit = scene_depth_hit(s, (Rect){0, 0, W, H}, 2, 2, buf, sizeof buf);
        check_true(&t->c, !hit && strcmp(buf, "untouched") == 0, "%s: nothing at (2, 2)",
                   zh ? "zh" : "en");
        scene_depth_free(s);
    }
}

/* ---- texts -------------------------------------------------------------------------------- */

/* Every line of texts parses as markup and has no glyph that no font could draw. */
static void check_texts(Ctx *t, const char *what, char *texts)
{
    int lines = 0, bad_markup = 0, unknown = 0;
    TextStyle st = text_style(&t->th, 1.0);
    st.markup = 1;
    for (char *line = strtok(texts, "\n"); line; line = strtok(NULL, "\n")) {
        int rc;
        PangoLayout *lay = text_layout(NULL, line, &st, &rc);
        int u = pango_layout_get_unknown_glyphs_count(lay);
        if (rc != RESLAB_OK || u) printf("    '%s': markup %s, %d unknown glyphs\n", line, status_name(rc), u);
        bad_markup += rc != RESLAB_OK;
        unknown += u;
        lines++;
        g_object_unref(lay);
    }
    check_true(&t->c, lines >= 8 && !bad_markup && !unknown, "%s: %d texts, %d bad markup, %d "
               "unknown glyphs", what, lines, bad_markup, unknown);
}

static void test_texts_parse_and_chinese_has_every_glyph(Ctx *t)
{
    SceneParams p = scene_params_default();
    p.net.order = ORDER_PRE;
    p.net.branch_scale = 0.5;                  /* the longest notes and parameter lines */
    p.net.zero_last = 0;
    char err[256], buf[8192];
    SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);
    SceneVariance *v = scene_variance_alloc(&p, err, sizeof err);
    for (int zh = 0; zh <= 1; zh++) {
        SceneLang lang = zh ? SCENE_LANG_ZH : SCENE_LANG_EN;
        char what[64];
        int rc = scene_depth_texts(s, lang, buf, sizeof buf);
        snprintf(what, sizeof what, "depth scene, %s", zh ? "zh" : "en");
        if (check_true(&t->c, rc == RESLAB_OK, "%s: texts fit", what)) check_texts(t, what, buf);
        rc = scene_variance_texts(v, lang, buf, sizeof buf);
        snprintf(what, sizeof what, "variance scene, %s", zh ? "zh" : "en");
        if (check_true(&t->c, rc == RESLAB_OK, "%s: texts fit", what)) check_texts(t, what, buf);
    }
    Theme dark = theme_dark();
    cairo_surface_destroy(render(t, (Fig){s, &dark, SCENE_LANG_ZH, 0}, 1, "scene_depth_zh_dark"));
    cairo_surface_destroy(render(t, (Fig){v, &dark, SCENE_LANG_ZH, 1}, 1, "scene_variance_zh_dark"));
    scene_variance_free(v);
    scene_depth_free(s);
}

/* ---- variance scene ----------------------------------------------------------------------- */

static void test_variance_numbers_are_fresh_statistics(Ctx *t)
{
    SceneParams p = scene_params_default();
    p.net.depth = 20;
    p.net.order = ORDER_PRE;
    char err[256];
    SceneVariance *v = scene_variance_alloc(&p, err, sizeof err);
    if (!check_true(&t->c, v != NULL, "variance: alloc (%s)", v ? "ok" : err)) return;
    size_t B = scene_variance_batch(v), L = p.net.depth;
    check_true(&t->c, B == SCENE_VARIANCE_MIN_BATCH, "batch %zu lifted to %zu for smooth statistics",
               p.batch, B);
    Ref r = ref_build(&p, B);
    int ok = 1;
    StatsLayer st[21];
    double resp[20], f[20];
    for (int k = 0; k < 2; k++) {
        Net *net = k == SCENE_VARIANCE_PLAIN ? r.plain : r.res;
        net_forward(net, r.X);
        stats_layers(net, st);
        stats_response_std(net, resp);
        NetConfig cfg = p.net;
        if (k == SCENE_VARIANCE_PLAIN) cfg.shortcut = SHORTCUT_NONE;
        stats_predicted_factors(&cfg, f);
        const StatsLayer *sl = scene_variance_layers(v, k);
        const double *pred = scene_variance_predicted(v, k), *rs = scene_variance_response(v, k);
        double want = st[0].q;
        for (size_t l = 0; l <= L; l++) {
            if (l) want *= f[l - 1];
            ok &= sl[l].q == st[l].q && pred[l] == want && (l == 0 || rs[l - 1] == resp[l - 1]);
        }
    }
    check_true(&t->c, ok, "q_l, q_0 prod f_j and std F are fresh stats_* values, bit for bit");
    const double *pr = scene_variance_predicted(v, SCENE_VARIANCE_RESIDUAL);
    check_close(&t->c, "pre order: predicted q_20 / q_0 = 2^20", pr[L] / pr[0], pow(2, 20), 0, 1e-12);
    ref_free(&r);

    SceneVarianceLayout lay;
    scene_variance_layout(v, NULL, (Rect){0, 0, W, H}, &t->th, SCENE_LANG_EN, &lay);
    cairo_surface_t *img = render(t, (Fig){v, &t->th, SCENE_LANG_EN, 1}, 1, "scene_variance_pre");
    const StatsLayer *sl = scene_variance_layers(v, SCENE_VARIANCE_RESIDUAL);
    int px[3];
    pixel_at(img, plot_x(&lay.q, 16), plot_y(&lay.q, sl[16].q), px);    /* a marker (every layer) */
    check_true(&t->c, pixel_is(px, t->th.residual), "t->residual at plot_x/plot_y of the measured "
               "q_16 = %.4g: %d,%d,%d", sl[16].q, px[0], px[1], px[2]);
    cairo_surface_destroy(img);
    scene_variance_free(v);
}

static void test_variance_overflow_and_no_prediction(Ctx *t)
{
    SceneParams p = scene_params_default();
    p.net.depth = 1000;                         /* q ~ 2.4^l overflows a double near l = 800 */
    char err[256], buf[8192];
    SceneVariance *v = scene_variance_alloc(&p, err, sizeof err);
    if (!check_true(&t->c, v != NULL, "variance depth 1000: alloc (%s)", v ? "ok" : err)) return;
    SceneVarianceLayout lay;
    scene_variance_layout(v, NULL, (Rect){0, 0, W, H}, &t->th, SCENE_LANG_EN, &lay);
    cairo_surface_t *img = render(t, (Fig){v, &t->th, SCENE_LANG_EN, 1}, 1, "scene_variance_explode");
    Rect f = lay.q.frame;
    int marks = count_row(img, 1, f.x, f.x + f.w, f.y + 0.3 * t->th.font_size, t->th.overflow);
    check_true(&t->c, marks > 0, "exploding: %d overflow pixels along the top of the q panel", marks);
    cairo_surface_destroy(img);
    scene_variance_free(v);

    p.net.depth = 30;
    p.net.bn = 1;                               /* additive growth: no factor to predict */
    v = scene_variance_alloc(&p, err, sizeof err);
    const double *pr = scene_variance_predicted(v, SCENE_VARIANCE_RESIDUAL);
    scene_variance_texts(v, SCENE_LANG_EN, buf, sizeof buf);
    check_true(&t->c, isnan(pr[1]) && strstr(buf, "linear growth") && !strstr(buf, "Dashed:"),
               "batch norm: no predicted curve, and the note says the growth is linear");
    cairo_surface_destroy(render(t, (Fig){v, &t->th, SCENE_LANG_EN, 1}, 1, "scene_variance_bn"));
    scene_variance_free(v);
}

int main(void)
{
    Ctx t = {{0, 0}, theme_light(), ""};
    const char *dir = getenv("TEST_BUILD_DIR");
    snprintf(t.out, sizeof t.out, "%s", dir ? dir : "/tmp");
    test_step_equals_a_fresh_sweep(&t);
    test_numbers_agree_with_reslab_flow(&t);
    test_bad_params_are_refused(&t);
    test_depth_pixels_are_where_the_layout_says(&t);
    test_exploding_and_vanishing_nets_draw_overflow_marks(&t);
    test_hit_reports_the_value_under_the_cursor(&t);
    test_texts_parse_and_chinese_has_every_glyph(&t);
    test_variance_numbers_are_fresh_statistics(&t);
    test_variance_overflow_and_no_prediction(&t);
    pango_cairo_font_map_set_default(NULL);          /* for leak checkers (DESIGN.md) */
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&t.c);
}
