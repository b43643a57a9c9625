/* test_scene_paths.c: the paths, Jacobian and shatter scenes. Claims: each shows exactly the
 * numbers the core computes for the nets `reslab flow` builds (and, when $RESLAB_EXE names the
 * reslab program, exactly what `reslab flow --paths/--lesion/--jacobian/--shatter --csv` prints);
 * data land on the pixels plot_x / plot_y give (a bar's top, a singular value's marker, an
 * autocorrelation's marker) in the net's colour, and off-scale values as overflow marks; every
 * text parses as markup and has a glyph in both languages; a scene draws only inside its
 * rectangle, in every theme and language, with cairo reporting success; an exploding net draws
 * marks, not a crash.
 *
 * Files: with $TEST_SCENE_PNG_DIR set, every rendered figure is also written there as a PNG to
 * be looked at. Dimensions: L depth, n width, k path length, i singular value index.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
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
#include "jacobian.h"
#include "paths.h"
#include "scene_jacobian.h"
#include "scene_paths.h"
#include "scene_shatter.h"
#include "shatter.h"
#include "status.h"
#include "text.h"
#include "theme.h"

/* Pixel probes sit inside filled shapes (bars, markers), away from their antialiased edges,
 * so the colour is exact up to 8-bit rounding and cairo's premultiplied round trip. */
#define PIXEL_TOL 1
/* The scene and the core run the same code on the same bytes: equal means bitwise equal. */
#define SAME 0.0
/* --csv prints %.17g, which round-trips a double exactly. */
#define CSV_SAME 0.0
/* The figure in logical units (the size `reslab render` uses). */
#define FIG_W 1280.0
#define FIG_H 800.0

typedef struct {
    Check c;
    const char *png_dir;       /* $TEST_SCENE_PNG_DIR or NULL */
    const char *exe;           /* $RESLAB_EXE or NULL */
} Ctx;

enum { K_PATHS, K_JACOBIAN, K_SHATTER };

/* ---- helpers ---------------------------------------------------------------------------- */

/* scene_params_default() as scene.h documents it (kept here so this test does not need the
 * registry): net_config_default without parameter gradients, batch 8, seed 1, example 0,
 * 100 samples, both nets, English. */
static SceneParams params_default(void)
{
    SceneParams p;
    memset(&p, 0, sizeof p);
    p.net = net_config_default();
    p.net.param_grads = 0;
    p.batch = 8;
    p.seed = 1;
    p.show = SCENE_SHOW_BOTH;
    p.samples = 100;
    return p;
}

/* The nets of `reslab flow` (cmd_flow.c, common.c), built here independently of the scenes. */
static void flow_nets(const SceneParams *p, Net **res, Net **plain, gsl_matrix **X, gsl_rng **rng)
{
    *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(*rng, p->seed);
    *res = net_alloc(&p->net, p->batch, *rng);
    net_dropout_draw(*res, *rng);
    *X = gsl_matrix_alloc(p->batch, net_input_width(*res));
    for (size_t i = 0; i < (*X)->size1; i++)
        for (size_t j = 0; j < (*X)->size2; j++) gsl_matrix_set(*X, i, j, gsl_ran_gaussian(*rng, 1.0));
    *plain = net_alloc_twin(*res, SHORTCUT_NONE);
}

static void free_nets(Net *res, Net *plain, gsl_matrix *X, gsl_rng *rng)
{
    net_free(plain);
    net_free(res);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
}

/* bitwise-equal doubles (NaN equals NaN here: both sides computed the same NaN) */
static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static void draw_scene(int kind, const void *s, cairo_t *cr, Rect r, const Theme *t, SceneLang l)
{
    if (kind == K_PATHS) scene_paths_draw(s, cr, r, t, l);
    else if (kind == K_JACOBIAN) scene_jacobian_draw(s, cr, r, t, l);
    else scene_shatter_draw(s, cr, r, t, l);
}

/* The figure at scale 1 on an image surface (w x h pixels); its status is checked. */
static cairo_surface_t *render(Ctx *t, int kind, const void *s, const Theme *th, SceneLang lang,
                               const char *name)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)FIG_W, (int)FIG_H);
    cairo_t *cr = cairo_create(img);
    draw_scene(kind, s, cr, (Rect){0, 0, FIG_W, FIG_H}, th, lang);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(img);
    check_true(&t->c, st == CAIRO_STATUS_SUCCESS && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS,
               "%s: drawn, cairo says %s", name, cairo_status_to_string(st));
    if (t->png_dir) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s.png", t->png_dir, name);
        cairo_surface_write_to_png(img, path);
    }
    return img;
}

/* The pixel at (x, y) as 8-bit r, g, b (-1000 outside the surface). */
static void pixel_at(cairo_surface_t *s, double x, double y, int rgb[3])
{
    int ix = (int)floor(x), iy = (int)floor(y);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    rgb[0] = rgb[1] = rgb[2] = -1000;
    if (ix < 0 || iy < 0 || ix >= w || iy >= h) return;
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
           abs(got[1] - rgb_byte(want.g)) <= PIXEL_TOL && abs(got[2] - rgb_byte(want.b)) <= PIXEL_TOL;
}

static void probe(Ctx *t, cairo_surface_t *img, double x, double y, Rgb want, int expect,
                  const char *what)
{
    int px[3];
    pixel_at(img, x, y, px);
    check_true(&t->c, pixel_is(px, want) == expect, "%s at (%.1f, %.1f): %d,%d,%d %s %d,%d,%d",
               what, x, y, px[0], px[1], px[2], expect ? "is" : "is not", rgb_byte(want.r),
               rgb_byte(want.g), rgb_byte(want.b));
}

/* Runs "$RESLAB_EXE flow ARGS --csv" with the default params' net spelt out (--shatter's own
 * default width is the paper's 200; the scenes take the width they are given) and reads its rows (after the header) of up to `cols`
 * numbers into v[row * cols + col]; returns the number of rows, -1 if it could not run. */
static int csv_rows(const Ctx *t, const char *args, double *v, int cols, int maxrows)
{
    char cmd[1024], line[4096];
    SceneParams d = params_default();
    snprintf(cmd, sizeof cmd, "%s flow %s --depth %zu --width %zu --batch %zu --seed %lu --csv "
             "2>/dev/null", t->exe, args, d.net.depth, d.net.width, d.batch, d.seed);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    int rows = -1;
    while (fgets(line, sizeof line, f)) {
        if (rows++ < 0) continue;                  /* the header */
        if (rows > maxrows) break;
        char *p = line;
        for (int c = 0; c < cols; c++) {
            v[(rows - 1) * cols + c] = strtod(p, &p);
            if (*p == ',') p++;
        }
    }
    int st = pclose(f);
    return st == 0 ? rows : -1;
}

/* ---- paths ------------------------------------------------------------------------------ */

static void test_paths_show_the_cores_numbers(Ctx *t, const SceneParams *p, const ScenePaths *s,
                                              const char *name)
{
    const ScenePathsData *d = scene_paths_data(s);
    size_t L = p->net.depth;
    Net *res, *plain;
    gsl_matrix *X;
    gsl_rng *rng;
    flow_nets(p, &res, &plain, &X, &rng);
    PathsGradStats *st = calloc(L + 1, sizeof *st);
    double *rp = malloc(L * sizeof *rp), *rr = malloc(L * sizeof *rr);
    gsl_rng_set(rng, p->seed + 2);                 /* flow_paths.c: cli_rng(o->seed + 2) */
    PathsGradOptions po = {.samples = p->samples, .enumerate = 0};
    char err[256];
    int rc = paths_grad_by_length(res, X, &po, rng, st, NULL, err, sizeof err);
    int bad_p, bad_r;
    rc |= paths_lesion(plain, X, rp, &bad_p, err, sizeof err);
    rc |= paths_lesion(res, X, rr, &bad_r, err, sizeof err);
    int ok = rc == RESLAB_OK && d->L == L && d->lesion_nonfinite == (bad_p || bad_r);
    for (size_t k = 0; ok && k <= L; k++)
        ok = same(d->count[k], paths_length_counts(L, k)) &&
             same(d->fraction[k], paths_length_fraction(L, k)) && same(d->grad[k].mean, st[k].mean) &&
             same(d->grad[k].sd, st[k].sd) && same(d->grad[k].min, st[k].min) &&
             same(d->grad[k].max, st[k].max) && same(d->grad[k].total, st[k].total) &&
             d->grad[k].count == st[k].count && d->grad[k].nonfinite == st[k].nonfinite;
    for (size_t k = 0; ok && k < L; k++) ok = same(d->lesion_plain[k], rp[k]) && same(d->lesion_residual[k], rr[k]);
    double mean, sd;
    paths_length_moments(L, &mean, &sd);
    check_true(&t->c, ok && mean == d->mean && sd == d->sd, "%s: counts, fractions, moments, the "
               "gradient per length (seed + 2) and both lesions equal the core's", name);
    free(st);
    free(rp);
    free(rr);
    free_nets(res, plain, X, rng);
}

static void test_paths_equal_reslab_flow(Ctx *t, const ScenePaths *s)
{
    const ScenePathsData *d = scene_paths_data(s);
    size_t L = d->L;
    double v[6 * 64];
    int rows = csv_rows(t, "--paths", v, 6, 64);
    int ok = rows == (int)L + 1;
    for (size_t k = 0; ok && k <= L; k++)
        ok = same(v[k * 6 + 1], d->count[k]) && same(v[k * 6 + 2], d->fraction[k]) &&
             same(v[k * 6 + 3], d->grad[k].mean) && same(v[k * 6 + 4], d->grad[k].sd) &&
             same(v[k * 6 + 5], d->grad[k].total);
    check_true(&t->c, ok, "'reslab flow --paths --csv' prints the scene's numbers (%d rows)", rows);
    rows = csv_rows(t, "--lesion", v, 3, 64);
    ok = rows == (int)L;
    for (size_t k = 0; ok && k < L; k++)
        ok = same(v[k * 3 + 1], d->lesion_plain[k]) && same(v[k * 3 + 2], d->lesion_residual[k]);
    check_true(&t->c, ok, "'reslab flow --lesion --csv' prints the scene's numbers (%d rows)", rows);
}

/* Off-scale lesions (0, inf, NaN on the log axis): overflow marks on the bottom or top edge. */
static void test_paths_overflow_marks(Ctx *t, const ScenePaths *s, const Theme *th,
                                      cairo_surface_t *img, const char *name)
{
    const ScenePathsData *d = scene_paths_data(s);
    ScenePathsLayout lay;
    scene_paths_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, SCENE_LANG_EN, &lay);
    Rect f = lay.lesion.frame;
    double depth = 0.3 * th->font_size;
    int top = 0, bottom = 0;
    char what[160];
    for (size_t j = 0; j < d->L; j++) {
        double v = d->lesion_residual[j];
        if (!top && !isfinite(v)) {
            snprintf(what, sizeof what, "%s: overflow mark on the top edge, residual block %zu "
                     "deleted (%g)", name, j + 1, v);
            probe(t, img, plot_x(&lay.lesion, j + 1.0), f.y + depth, th->overflow, 1, what);
            top = 1;
        }
        v = d->lesion_plain[j];
        if (!bottom && v == 0) {
            snprintf(what, sizeof what, "%s: overflow mark on the bottom edge, plain block %zu "
                     "deleted (0)", name, j + 1);
            probe(t, img, plot_x(&lay.lesion, j + 1.0), f.y + f.h - depth, th->overflow, 1, what);
            bottom = 1;
        }
    }
    check_true(&t->c, top || bottom || !d->lesion_nonfinite, "%s: an overflowed lesion was probed",
               name);
}

static void test_paths_pixels(Ctx *t, const ScenePaths *s, const Theme *th, cairo_surface_t *img,
                              const char *name)
{
    const ScenePathsData *d = scene_paths_data(s);
    ScenePathsLayout lay;
    scene_paths_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, SCENE_LANG_EN, &lay);
    size_t k = d->L / 2 + 1;                       /* a tall bar beside the mean line */
    double x = plot_x(&lay.dist, k + 0.2), top = plot_y(&lay.dist, d->fraction[k]);
    char what[160];
    snprintf(what, sizeof what, "%s: just below the top of bar k = %zu (C(L,k)/2^L = %g)", name, k,
             d->fraction[k]);
    probe(t, img, x, top + 3, th->residual, 1, what);
    snprintf(what, sizeof what, "%s: just above it, no bar", name);
    probe(t, img, x, top - 3, th->residual, 0, what);
    /* the mean gradient through one path of length k: the residual's square marker */
    for (size_t j = 0; j <= d->L; j += d->L / 2) {
        double m = d->grad[j].mean;
        if (!(m > 0) || !isfinite(m)) continue;
        snprintf(what, sizeof what, "%s: marker of the mean gradient at k = %zu (%g)", name, j, m);
        probe(t, img, plot_x(&lay.grad, j), plot_y(&lay.grad, m), th->residual, 1, what);
    }
    /* a lesion where the plain marker stands clear of the residual curve */
    for (size_t j = 0; j < d->L; j++) {
        double yp = plot_y(&lay.lesion, d->lesion_plain[j]), yr = plot_y(&lay.lesion, d->lesion_residual[j]);
        if (!isfinite(yp) || !isfinite(yr) || fabs(yp - yr) < 30) continue;
        snprintf(what, sizeof what, "%s: plain marker, block %zu deleted (%g)", name, j + 1,
                 d->lesion_plain[j]);
        probe(t, img, plot_x(&lay.lesion, j + 1.0), yp, th->plain, 1, what);
        break;
    }
}

/* ---- Jacobian --------------------------------------------------------------------------- */

/* flow_jacobian.c's numbers for one net, computed here: s (n), cond, blocks (L * n) or NULL. */
static int jacobian_core(Net *net, const gsl_matrix *X, size_t b, double *s, double *cond,
                         double *blocks)
{
    size_t n = net->cfg.width, L = net->cfg.depth;
    JacobianWork *w = jacobian_work_alloc(net);
    gsl_matrix *J = gsl_matrix_alloc(n, n);
    gsl_vector_view sv = gsl_vector_view_array(s, n);
    net_forward(net, X);
    int rc = jacobian_net(net, b, J, w);
    if (rc == RESLAB_OK) rc = jacobian_singular_values(J, &sv.vector, w);
    if (rc == JACOBIAN_OVERFLOW) gsl_vector_set_all(&sv.vector, NAN);
    *cond = jacobian_condition(&sv.vector);
    int overflow = rc == JACOBIAN_OVERFLOW;
    if (blocks) {
        gsl_matrix **Jl = calloc(L, sizeof *Jl);
        for (size_t l = 0; l < L; l++) Jl[l] = gsl_matrix_alloc(n, n);
        int brc = jacobian_blocks(net, b, Jl);
        for (size_t l = 0; l < L; l++) {
            gsl_vector_view v = gsl_vector_view_array(blocks + l * n, n);
            if (brc != RESLAB_OK || jacobian_singular_values(Jl[l], &v.vector, w) != RESLAB_OK)
                gsl_vector_set_all(&v.vector, NAN);
            gsl_matrix_free(Jl[l]);
        }
        free(Jl);
    }
    gsl_matrix_free(J);
    jacobian_work_free(w);
    return overflow;
}

static void test_jacobian_shows_the_cores_numbers(Ctx *t, const SceneParams *p,
                                                  const SceneJacobian *s, const char *name)
{
    const SceneJacobianData *d = scene_jacobian_data(s);
    size_t n = p->net.width, L = p->net.depth;
    Net *res, *plain;
    gsl_matrix *X;
    gsl_rng *rng;
    flow_nets(p, &res, &plain, &X, &rng);
    double *sp = malloc(n * sizeof *sp), *sr = malloc(n * sizeof *sr), kp, kr;
    double *bp = p->net.bn ? NULL : malloc(L * n * sizeof *bp), *br = p->net.bn ? NULL : malloc(L * n * sizeof *br);
    int op = jacobian_core(plain, X, p->example, sp, &kp, bp);
    int orr = jacobian_core(res, X, p->example, sr, &kr, br);
    int ok = d->n == n && d->L == L && op == d->overflow_plain && orr == d->overflow_residual &&
             same(kp, d->cond_plain) && same(kr, d->cond_residual) &&
             (bp == NULL) == (d->blocks_plain == NULL);
    for (size_t i = 0; ok && i < n; i++) ok = same(sp[i], d->s_plain[i]) && same(sr[i], d->s_residual[i]);
    for (size_t i = 0; ok && bp && i < L * n; i++)
        ok = same(bp[i], d->blocks_plain[i]) && same(br[i], d->blocks_residual[i]);
    check_true(&t->c, ok, "%s: singular values, condition numbers (plain %g, residual %g) and "
               "per-block values equal the core's", name, kp, kr);
    free(sp);
    free(sr);
    free(bp);
    free(br);
    free_nets(res, plain, X, rng);
}

static void test_jacobian_equals_reslab_flow(Ctx *t, const SceneJacobian *s)
{
    const SceneJacobianData *d = scene_jacobian_data(s);
    size_t n = d->n;
    double v[5 * 64];
    int rows = csv_rows(t, "--jacobian", v, 5, 64);
    int ok = rows == (int)d->L;
    for (size_t l = 0; ok && l < d->L; l++)
        ok = same(v[l * 5 + 1], d->blocks_plain[l * n]) && same(v[l * 5 + 2], d->blocks_plain[l * n + n - 1]) &&
             same(v[l * 5 + 3], d->blocks_residual[l * n]) &&
             same(v[l * 5 + 4], d->blocks_residual[l * n + n - 1]);
    check_true(&t->c, ok, "'reslab flow --jacobian --csv' prints the scene's per-block s_max, "
               "s_min (%d rows)", rows);
}

static void test_jacobian_pixels(Ctx *t, const SceneJacobian *s, const Theme *th,
                                 cairo_surface_t *img, const char *name)
{
    const SceneJacobianData *d = scene_jacobian_data(s);
    SceneJacobianLayout lay;
    scene_jacobian_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, SCENE_LANG_EN, &lay);
    char what[160];
    /* the largest singular values: the residual's square, the plain's circle */
    double yr = plot_y(&lay.spectrum, d->s_residual[0]), yp = plot_y(&lay.spectrum, d->s_plain[0]);
    snprintf(what, sizeof what, "%s: residual colour at s_1 = %g", name, d->s_residual[0]);
    if (isfinite(yr)) probe(t, img, plot_x(&lay.spectrum, 1), yr, th->residual, 1, what);
    snprintf(what, sizeof what, "%s: plain colour at s_1 = %g", name, d->s_plain[0]);
    if (isfinite(yp) && !(fabs(yp - yr) <= 12))
        probe(t, img, plot_x(&lay.spectrum, 1), yp, th->plain, 1, what);
    /* a zero (or sub-rounding) singular value of the plain net: the overflow mark on the bottom
     * edge, at an index where the residual's marker is not drawn on top of it */
    size_t n = d->n;
    double fs = th->font_size;
    Rect f = lay.spectrum.frame;
    for (size_t i = 0; !d->overflow_plain && i < n; i++) {
        double r = d->s_residual[i];
        int res_low = r >= DBL_EPSILON * d->s_residual[0] && f.y + f.h - plot_y(&lay.spectrum, r) < 15;
        if (d->s_plain[i] >= DBL_EPSILON * d->s_plain[0] || res_low) continue;
        snprintf(what, sizeof what, "%s: overflow mark on the bottom edge for plain s_%zu = %g",
                 name, i + 1, d->s_plain[i]);
        probe(t, img, plot_x(&lay.spectrum, i + 1.0), f.y + f.h - 0.3 * fs, th->overflow, 1, what);
        break;
    }
    if (d->overflow_residual) {
        snprintf(what, sizeof what, "%s: overflow mark on the top edge for the exploded residual", name);
        probe(t, img, plot_x(&lay.spectrum, 1), f.y + 0.3 * fs, th->overflow, 1, what);
    }
    if (d->blocks_residual && d->blocks_residual[0] > 0 && isfinite(d->blocks_residual[0])) {
        snprintf(what, sizeof what, "%s: residual s_max of block 1 (%g)", name, d->blocks_residual[0]);
        probe(t, img, plot_x(&lay.blocks, 1), plot_y(&lay.blocks, d->blocks_residual[0]),
              th->residual, 1, what);
    }
}

/* ---- shatter ---------------------------------------------------------------------------- */

static void test_shatter_shows_the_cores_numbers(Ctx *t, const SceneParams *p,
                                                 const SceneShatter *s, const char *name)
{
    const SceneShatterData *d = scene_shatter_data(s);
    ShatterOptions so = shatter_options_default();
    so.seed = p->seed;
    ShatterDepth out[SCENE_SHATTER_DEPTHS_MAX];
    char err[256];
    int ok = d->depths[d->ndepths - 1] == p->net.depth && d->depths[0] == 1;
    for (int k = 0; ok && k < (p->net.bn ? 3 : 2); k++) {
        NetConfig cfg = p->net;                    /* flow_stats.c's flow_shatter */
        cfg.input_width = 1;
        cfg.param_grads = 0;
        cfg.shortcut = k == 0 ? SHORTCUT_NONE : p->net.shortcut == SHORTCUT_NONE ? SHORTCUT_IDENTITY : p->net.shortcut;
        cfg.bn = k == 2;
        if (cfg.bias_std == 0.0) cfg.bias_std = SHATTER_BIAS_STD;
        ok = shatter_sweep(&cfg, &so, d->depths, d->ndepths, out, err, sizeof err) == RESLAB_OK;
        const ShatterDepth *mine = k == 0 ? d->plain : k == 1 ? d->residual : d->residual_bn;
        for (size_t i = 0; ok && i < d->ndepths; i++)
            ok = same(out[i].acf4, mine[i].acf4) && same(out[i].acf4_sd, mine[i].acf4_sd);
        if (k < 2 && ok) {
            double *g = malloc(d->points * sizeof *g);
            gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(rng, p->seed);
            ok = shatter_gradients(&cfg, d->points, rng, g, err, sizeof err) == RESLAB_OK;
            const double *sg = k ? d->g_residual : d->g_plain;
            for (size_t i = 0; ok && i < d->points; i++) ok = same(g[i], sg[i]);
            ok = ok && same(shatter_autocorr(g, d->points, SHATTER_LAG), k ? d->r4_residual : d->r4_plain);
            free(g);
            gsl_rng_free(rng);
        }
    }
    check_true(&t->c, ok && (d->residual_bn != NULL) == (p->net.bn != 0),
               "%s: lag-4 ACF by depth (%zu depths%s) and dy/dx at depth %zu equal the core's",
               name, d->ndepths, p->net.bn ? ", with residual + BN" : "", p->net.depth);
}

static void test_shatter_equals_reslab_flow(Ctx *t, const SceneShatter *s)
{
    const SceneShatterData *d = scene_shatter_data(s);
    double v[7 * 64];
    int rows = csv_rows(t, "--shatter", v, 7, 64);
    int ok = rows == (int)d->ndepths;
    for (size_t i = 0; ok && i < d->ndepths; i++)
        ok = v[i * 7] == (double)d->depths[i] && same(v[i * 7 + 1], d->plain[i].acf4) &&
             same(v[i * 7 + 2], d->plain[i].acf4_sd) && same(v[i * 7 + 3], d->residual[i].acf4) &&
             same(v[i * 7 + 4], d->residual[i].acf4_sd);
    check_true(&t->c, ok, "'reslab flow --shatter --csv' prints the scene's depths and ACFs "
               "(%d rows)", rows);
}

static void test_shatter_pixels(Ctx *t, const SceneShatter *s, const Theme *th,
                                cairo_surface_t *img, const char *name)
{
    const SceneShatterData *d = scene_shatter_data(s);
    SceneShatterLayout lay;
    scene_shatter_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, th, SCENE_LANG_EN, &lay);
    char what[160];
    for (size_t i = 0; i < d->ndepths; i++) {
        double x = plot_x(&lay.acf, (double)d->depths[i]), yr = plot_y(&lay.acf, d->residual[i].acf4);
        double yp = plot_y(&lay.acf, d->plain[i].acf4);
        if (isnan(d->residual[i].acf4)) {
            snprintf(what, sizeof what, "%s: overflow mark on the top edge at depth %zu (r(4) NaN: "
                     "the net exploded)", name, d->depths[i]);
            probe(t, img, x, lay.acf.frame.y + 0.3 * th->font_size, th->overflow, 1, what);
        }
        if (!isfinite(yr) || !isfinite(yp)) continue;
        snprintf(what, sizeof what, "%s: residual marker at depth %zu (r(4) = %.3f)", name,
                 d->depths[i], d->residual[i].acf4);
        probe(t, img, x, yr, th->residual, 1, what);
        if (fabs(yp - yr) > 12 && (d->plain[i].acf4 > d->residual[i].acf4 + d->residual[i].acf4_sd ||
                                   d->plain[i].acf4 < d->residual[i].acf4 - d->residual[i].acf4_sd)) {
            snprintf(what, sizeof what, "%s: plain marker at depth %zu (r(4) = %.3f)", name,
                     d->depths[i], d->plain[i].acf4);
            probe(t, img, x, yp, th->plain, 1, what);
        }
    }
}

/* ---- every scene ------------------------------------------------------------------------ */

/* The printf conversions of s in order ("%zu%s", "%%" left out) into out. */
static void conversions(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (const char *c = s; *c && k + 4 < n; c++) {
        if (*c != '%') continue;
        if (c[1] == '%') {
            c++;
            continue;
        }
        out[k++] = '%';
        while (*++c && !strchr("diouxXeEfgGsc", *c))
            if (k + 2 < n) out[k++] = *c;
        if (*c) out[k++] = *c;
        else break;
    }
    out[k] = '\0';
}

static void test_texts_have_glyphs(Ctx *t)
{
    const char *const *(*texts[3])(SceneLang, size_t *) = {scene_paths_texts, scene_jacobian_texts,
                                                          scene_shatter_texts};
    const char *names[3] = {"paths", "jacobian", "shatter"};
    Theme th = theme_light();
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < 2; l++) {
            size_t n;
            const char *const *s = texts[k]((SceneLang)l, &n);
            int bad_markup = 0, unknown = 0, han = 0;
            for (size_t i = 0; i < n; i++) {
                TextStyle st = text_style(&th, 1.0);
                st.markup = 1;
                int rc;
                PangoLayout *lay = text_layout(NULL, s[i], &st, &rc);
                bad_markup += rc != RESLAB_OK;
                unknown += pango_layout_get_unknown_glyphs_count(lay);
                g_object_unref(lay);
                for (const unsigned char *c = (const unsigned char *)s[i]; *c; c++)
                    han += *c >= 0xe4 && *c <= 0xe9;     /* lead bytes of U+4E00..U+9FFF */
            }
            check_true(&t->c, bad_markup == 0 && unknown == 0 && (l == 0 || han > 0),
                       "%s, %s: %zu texts parse as markup, %d unknown glyphs, Chinese present: %d",
                       names[k], l ? "zh" : "en", n, unknown, han > 0);
        }
    for (int k = 0; k < 3; k++) {              /* one argument list serves both languages */
        size_t ne, nz;
        const char *const *en = texts[k](SCENE_LANG_EN, &ne), *const *zh = texts[k](SCENE_LANG_ZH, &nz);
        int same_args = ne == nz;
        for (size_t i = 0; same_args && i < ne; i++) {
            char a[64], b[64];
            conversions(en[i], a, sizeof a);
            conversions(zh[i], b, sizeof b);
            if (strcmp(a, b) != 0) {
                printf("  text %zu: en '%s' zh '%s'\n", i, a, b);
                same_args = 0;
            }
        }
        check_true(&t->c, same_args, "%s: English and Chinese texts take the same printf "
                   "arguments in the same order", names[k]);
    }
}

/* Draws into a rectangle inside a surface painted with a sentinel colour: the scene must leave
 * every pixel outside its rectangle alone, and keep cairo happy at a small size. */
static void test_draws_only_inside_its_rectangle(Ctx *t, int kind, const void *s, const char *name)
{
    Theme th = theme_dark();
    int W = 900, H = 600;
    Rect r = {50, 40, 800, 500};
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
    cairo_t *cr = cairo_create(img);
    cairo_set_source_rgb(cr, 1, 0, 1);
    cairo_paint(cr);
    draw_scene(kind, s, cr, r, &th, SCENE_LANG_ZH);
    int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    cairo_surface_flush(img);
    int outside = 0, inside_bg = 0;
    Rgb magenta = {1, 0, 1};
    for (int y = 0; y < H; y += 3)
        for (int x = 0; x < W; x += 3) {
            int px[3];
            pixel_at(img, x + 0.5, y + 0.5, px);
            int in = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
            if (!in && !pixel_is(px, magenta)) outside++;
            if (in && pixel_is(px, th.background)) inside_bg++;
        }
    check_true(&t->c, ok && outside == 0 && inside_bg > 1000, "%s at 800 x 500 inside 900 x 600: "
               "cairo ok, %d pixels touched outside the rectangle, background painted inside",
               name, outside);
    /* the figure is scaled down to fit: the layout, in r's units, still says where data are */
    char what[160];
    if (kind == K_PATHS) {
        const ScenePathsData *d = scene_paths_data(s);
        ScenePathsLayout lay;
        scene_paths_layout(NULL, s, r, &th, SCENE_LANG_ZH, &lay);
        size_t k = d->L / 2 + 1;                   /* beside the mean line */
        double top = plot_y(&lay.dist, d->fraction[k]);
        snprintf(what, sizeof what, "%s, scaled: inside bar k = %zu, 3 px below its top", name, k);
        probe(t, img, plot_x(&lay.dist, k + 0.2), top + 3, th.residual, 1, what);
        snprintf(what, sizeof what, "%s, scaled: 3 px above it", name);
        probe(t, img, plot_x(&lay.dist, k + 0.2), top - 3, th.residual, 0, what);
    } else if (kind == K_JACOBIAN) {
        const SceneJacobianData *d = scene_jacobian_data(s);
        SceneJacobianLayout lay;
        scene_jacobian_layout(NULL, s, r, &th, SCENE_LANG_ZH, &lay);
        snprintf(what, sizeof what, "%s, scaled: the residual's s_1 marker", name);
        probe(t, img, plot_x(&lay.spectrum, 1), plot_y(&lay.spectrum, d->s_residual[0]), th.residual,
              1, what);
    }
    cairo_surface_destroy(img);
}

static void themes_and_languages(Ctx *t, int kind, const void *s, const char *name)
{
    Theme th[2] = {theme_light(), theme_dark()};
    for (int k = 0; k < 2; k++)
        for (int l = 0; l < 2; l++) {
            char nm[128];
            snprintf(nm, sizeof nm, "%s_%s_%s", name, l ? "zh" : "en", k ? "dark" : "light");
            cairo_surface_destroy(render(t, kind, s, &th[k], (SceneLang)l, nm));
        }
}

/* ---- the configurations ------------------------------------------------------------------ */

static void run_paths(Ctx *t, const SceneParams *p, const char *name, int pixels, int cli)
{
    char err[256];
    ScenePaths *s = scene_paths_alloc(p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "%s: scene_paths_alloc (%s)", name, s ? "ok" : err)) return;
    test_paths_show_the_cores_numbers(t, p, s, name);
    if (cli && t->exe) test_paths_equal_reslab_flow(t, s);
    Theme th = theme_light();
    cairo_surface_t *img = render(t, K_PATHS, s, &th, SCENE_LANG_EN, name);
    if (pixels) test_paths_pixels(t, s, &th, img, name);
    test_paths_overflow_marks(t, s, &th, img, name);
    cairo_surface_destroy(img);
    if (cli) {
        themes_and_languages(t, K_PATHS, s, name);
        test_draws_only_inside_its_rectangle(t, K_PATHS, s, name);
    }
    scene_paths_free(s);
}

static void run_jacobian(Ctx *t, const SceneParams *p, const char *name, int cli)
{
    char err[256];
    SceneJacobian *s = scene_jacobian_alloc(p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "%s: scene_jacobian_alloc (%s)", name, s ? "ok" : err)) return;
    test_jacobian_shows_the_cores_numbers(t, p, s, name);
    if (cli && t->exe) test_jacobian_equals_reslab_flow(t, s);
    Theme th = theme_light();
    cairo_surface_t *img = render(t, K_JACOBIAN, s, &th, SCENE_LANG_EN, name);
    test_jacobian_pixels(t, s, &th, img, name);
    cairo_surface_destroy(img);
    if (cli) {
        themes_and_languages(t, K_JACOBIAN, s, name);
        test_draws_only_inside_its_rectangle(t, K_JACOBIAN, s, name);
    }
    scene_jacobian_free(s);
}

static void run_shatter(Ctx *t, const SceneParams *p, const char *name, int cli)
{
    char err[256];
    SceneShatter *s = scene_shatter_alloc(p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "%s: scene_shatter_alloc (%s)", name, s ? "ok" : err)) return;
    test_shatter_shows_the_cores_numbers(t, p, s, name);
    if (cli && t->exe) test_shatter_equals_reslab_flow(t, s);
    Theme th = theme_light();
    cairo_surface_t *img = render(t, K_SHATTER, s, &th, SCENE_LANG_EN, name);
    test_shatter_pixels(t, s, &th, img, name);
    cairo_surface_destroy(img);
    if (cli) {
        themes_and_languages(t, K_SHATTER, s, name);
        test_draws_only_inside_its_rectangle(t, K_SHATTER, s, name);
    }
    scene_shatter_free(s);
}

static void test_the_identity_when_F_is_zero(Ctx *t)
{
    SceneParams p = params_default();
    p.net.order = ORDER_PRE;
    p.net.zero_last = 1;
    char err[256];
    SceneJacobian *s = scene_jacobian_alloc(&p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "F = 0: scene_jacobian_alloc (%s)", s ? "ok" : err)) return;
    const SceneJacobianData *d = scene_jacobian_data(s);
    int ones = 1, zeros = 1;
    for (size_t i = 0; i < d->n; i++) {
        ones = ones && fabs(d->s_residual[i] - 1) < 1e-15;      /* J = I exactly, up to the SVD */
        zeros = zeros && d->s_plain[i] == 0;
    }
    check_true(&t->c, ones && zeros && fabs(d->cond_residual - 1) < 1e-15,
               "F = 0, pre-activation: the residual's J = I (all s = 1, kappa = %g), the plain "
               "twin's J = 0", d->cond_residual);
    scene_jacobian_free(s);
}

/* show = one net: the other net's data are computed but not drawn. */
static void test_show_draws_only_the_nets_asked_for(Ctx *t)
{
    SceneParams p = params_default();
    p.show = SCENE_SHOW_RESIDUAL;
    char err[256];
    Theme th = theme_light();
    SceneJacobian *j = scene_jacobian_alloc(&p, err, sizeof err);
    if (check_true(&t->c, j != NULL, "show residual: scene_jacobian_alloc (%s)", j ? "ok" : err)) {
        const SceneJacobianData *d = scene_jacobian_data(j);
        cairo_surface_t *img = render(t, K_JACOBIAN, j, &th, SCENE_LANG_EN, "jacobian_show_residual");
        SceneJacobianLayout lay;
        scene_jacobian_layout(NULL, j, (Rect){0, 0, FIG_W, FIG_H}, &th, SCENE_LANG_EN, &lay);
        double x = plot_x(&lay.spectrum, 1);
        probe(t, img, x, plot_y(&lay.spectrum, d->s_residual[0]), th.residual, 1,
              "show residual: the residual's s_1 is drawn");
        probe(t, img, x, plot_y(&lay.spectrum, d->s_plain[0]), th.plain, 0,
              "show residual: the plain net's s_1 is not");
        cairo_surface_destroy(img);
        scene_jacobian_free(j);
    }
    p.show = SCENE_SHOW_PLAIN;
    SceneShatter *s = scene_shatter_alloc(&p, err, sizeof err);
    if (check_true(&t->c, s != NULL, "show plain: scene_shatter_alloc (%s)", s ? "ok" : err)) {
        const SceneShatterData *d = scene_shatter_data(s);
        cairo_surface_t *img = render(t, K_SHATTER, s, &th, SCENE_LANG_EN, "shatter_show_plain");
        SceneShatterLayout lay;
        scene_shatter_layout(NULL, s, (Rect){0, 0, FIG_W, FIG_H}, &th, SCENE_LANG_EN, &lay);
        size_t i = d->ndepths - 1;
        double x = plot_x(&lay.acf, (double)d->depths[i]);
        probe(t, img, x, plot_y(&lay.acf, d->plain[i].acf4), th.plain, 1,
              "show plain: the plain net's r(4) at depth L is drawn");
        probe(t, img, x, plot_y(&lay.acf, d->residual[i].acf4), th.residual, 0,
              "show plain: the residual's is not");
        check_true(&t->c, lay.grad_residual.frame.w == 0 && lay.grad_plain.frame.h > 0.5 * FIG_H,
                   "show plain: one gradient panel, the plain net's, %.0f high", lay.grad_plain.frame.h);
        cairo_surface_destroy(img);
        scene_shatter_free(s);
    }
}

static void test_bad_params_are_refused(Ctx *t)
{
    char err[256] = "";
    SceneParams p = params_default();
    p.example = p.batch;
    SceneJacobian *j = scene_jacobian_alloc(&p, err, sizeof err);
    check_true(&t->c, j == NULL && strstr(err, "example"), "example = batch is refused: \"%s\"", err);
    p = params_default();
    p.samples = 0;
    ScenePaths *s = scene_paths_alloc(&p, err, sizeof err);
    check_true(&t->c, s == NULL && strstr(err, "samples"), "0 samples are refused: \"%s\"", err);
    p = params_default();
    p.net.shortcut = SHORTCUT_DROPOUT;
    SceneShatter *h = scene_shatter_alloc(&p, err, sizeof err);
    check_true(&t->c, h == NULL && strstr(err, "dropout"), "the dropout shortcut is refused for "
               "the sweep: \"%s\"", err);
    p = params_default();
    p.show = 0;
    j = scene_jacobian_alloc(&p, err, sizeof err);
    check_true(&t->c, j == NULL && strstr(err, "show"), "show 0 is refused: \"%s\"", err);
    p = params_default();
    p.net.depth = 0;
    s = scene_paths_alloc(&p, err, sizeof err);
    check_true(&t->c, s == NULL && strstr(err, "depth"), "depth 0 is refused: \"%s\"", err);
}

int main(void)
{
    Ctx t;
    memset(&t, 0, sizeof t);
    t.png_dir = getenv("TEST_SCENE_PNG_DIR");
    t.exe = getenv("RESLAB_EXE");
    if (!t.exe) printf("(RESLAB_EXE not set: the comparisons with 'reslab flow --csv' are skipped)\n");

    test_texts_have_glyphs(&t);              /* first: a wrong format would crash the drawing */

    SceneParams def = params_default();
    run_paths(&t, &def, "paths_default", 1, 1);
    run_jacobian(&t, &def, "jacobian_default", 1);
    run_shatter(&t, &def, "shatter_default", 1);

    SceneParams pre = params_default();                /* falling gradient per path, full rank */
    pre.net.depth = 24;
    pre.net.order = ORDER_PRE;
    pre.samples = 20;
    pre.seed = 7;
    pre.example = 5;
    run_paths(&t, &pre, "paths_pre24", 1, 0);
    run_jacobian(&t, &pre, "jacobian_pre24", 0);
    pre.net.depth = 12;
    pre.net.width = 8;
    pre.net.bias_std = 0.2;
    run_shatter(&t, &pre, "shatter_pre12", 0);

    SceneParams bn = params_default();                 /* batch norm: no block Jacobians, BN sweep */
    bn.net.bn = 1;
    bn.net.depth = 3;
    bn.net.width = 8;
    run_jacobian(&t, &bn, "jacobian_bn", 0);
    run_shatter(&t, &bn, "shatter_bn", 0);

    SceneParams boom = params_default();               /* every branch x1000: overflow */
    boom.net.branch_scale = 1000;
    boom.net.depth = 120;
    boom.samples = 5;
    run_paths(&t, &boom, "paths_exploding", 0, 0);
    run_jacobian(&t, &boom, "jacobian_exploding", 0);
    boom.net.depth = 110;
    run_shatter(&t, &boom, "shatter_exploding", 0);

    test_the_identity_when_F_is_zero(&t);
    test_show_draws_only_the_nets_asked_for(&t);
    test_bad_params_are_refused(&t);

    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&t.c);
}
