/* test_render.c: the renderer's claims. Themes parse and equal the built-ins; the colour maps
 * are monotone in lightness, symmetric, uniform and colour-blind distinguishable; ticks and
 * ranges survive 0, 1e-300, inf and NaN; the demo figure exports to PNG, SVG and PDF, and its
 * pixels are where plot_x / plot_y / heatmap_colour say; Chinese comes out in SC glyphs; export
 * errors leave no file behind.
 *
 * Files: the demo figure goes to $TEST_BUILD_DIR/render_demo.{png,svg,pdf} (or /tmp) and stays
 * there to be looked at; the error cases use a fresh directory that is removed at the end.
 * Theme files are read from $RESLAB_ASSETS_DIR/themes (or assets/themes below the current or a
 * parent directory).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "check.h"
#include "colormap.h"
#include "demo.h"
#include "export.h"
#include "heatmap.h"
#include "plot.h"
#include "rgb.h"
#include "status.h"
#include "text.h"
#include "theme.h"
#include "ticks.h"

/* Pixel probes: heatmap_colour gives the very LUT entry the cells use and PNG keeps 8 bits,
 * so colours should match exactly; one level of slack covers cairo's premultiply/unpremultiply
 * round trip of opaque pixels (none seen so far). */
#define PIXEL_TOL 1
/* Two colours "look different" at this OKLab distance and above (0.02 is about a JND); the
 * ends of a map should be far apart. */
#define DISTINCT_DE 0.10
#define ENDS_DE 0.20
/* Equal steps in t are equal OKLab steps to this relative accuracy (colormap.c measures arc
 * length on 512 samples per curve). */
#define UNIFORM_TOL 1e-3
/* Layout arithmetic in logical units. */
#define LAYOUT_TOL 1e-6

typedef struct {
    Check c;
    char dir[1024];       /* private scratch directory, removed at the end */
    char out[1024];       /* where the demo figures go */
    Theme th;
} Ctx;

/* cairo 1.16's PDF backend leaks 768 bytes per embedded CFF (CJK) font inside
 * cairo_surface_finish: a 15-line program (pango layout of "残差" in Noto Sans CJK SC on a
 * cairo_pdf_surface) shows it; Latin TrueType fonts do not. The one export that embeds Chinese
 * into a PDF runs with LeakSanitizer paused (ASan builds only: these hooks are weak and absent
 * otherwise); under valgrind use tests/render/valgrind.supp, which names the same stack. */
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

/* ---- helpers ---------------------------------------------------------------------------- */

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "test_render: cannot write %s\n", path);
        exit(1);
    }
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The first n bytes of path into buf (NUL-terminated); returns the count read, -1 if none. */
static long slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = '\0';
    fclose(f);
    return (long)k;
}

/* How many names in dir contain ".tmp." (left-over temporary files). */
static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* The pixel at device (x, y) of an ARGB32 surface as Rgb bytes (opaque figures only). */
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

/* Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of
 * color vision deficiency", severity 1.0, applied to linear RGB. */
static const double cvd[3][3][3] = {
    {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216},
     {-0.003882, -0.048116, 1.051998}},                                        /* protanopia */
    {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413},
     {-0.011820, 0.042940, 0.968881}},                                         /* deuteranopia */
    {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602},
     {0.004733, 0.691367, 0.303900}},                                          /* tritanopia */
};
static const char *cvd_name[3] = {"protanopia", "deuteranopia", "tritanopia"};

static Rgb simulate(Rgb c, int kind)
{
    double l[3] = {rgb_to_linear(c.r), rgb_to_linear(c.g), rgb_to_linear(c.b)}, o[3];
    for (int i = 0; i < 3; i++) {
        o[i] = cvd[kind][i][0] * l[0] + cvd[kind][i][1] * l[1] + cvd[kind][i][2] * l[2];
        o[i] = o[i] < 0 ? 0 : o[i] > 1 ? 1 : o[i];
    }
    Rgb s = {rgb_from_linear(o[0]), rgb_from_linear(o[1]), rgb_from_linear(o[2])};
    return s;
}

/* The themes directory: $RESLAB_ASSETS_DIR/themes, else assets/themes in . or a parent. */
static int themes_dir(char *buf, size_t len)
{
    const char *env = getenv("RESLAB_ASSETS_DIR");
    if (env && *env) {
        snprintf(buf, len, "%s/themes", env);
        return file_exists(buf);
    }
    const char *tries[] = {"assets/themes", "../assets/themes", "../../assets/themes"};
    for (int i = 0; i < 3; i++)
        if (file_exists(tries[i])) {
            snprintf(buf, len, "%s", tries[i]);
            return 1;
        }
    return 0;
}

/* ---- themes ----------------------------------------------------------------------------- */

static void test_builtin_themes_have_projector_contrast(Ctx *t)
{
    Theme th[2] = {theme_light(), theme_dark()};
    const char *name[2] = {"light", "dark"};
    for (int i = 0; i < 2; i++) {
        double fg = rgb_contrast(th[i].foreground, th[i].background);
        check_true(&t->c, fg >= 7, "%s: text contrast %.1f:1 >= 7:1 (WCAG AAA)", name[i], fg);
        double mu = rgb_contrast(th[i].muted, th[i].background);
        check_true(&t->c, mu >= 4.5, "%s: muted text contrast %.1f:1 >= 4.5:1", name[i], mu);
        Rgb data[3] = {th[i].plain, th[i].residual, th[i].overflow};
        for (int k = 0; k < 3; k++) {
            double cr = rgb_contrast(data[k], th[i].background);
            check_true(&t->c, cr >= 3, "%s: data colour %d contrast %.1f:1 >= 3:1 (graphics)",
                       name[i], k, cr);
        }
    }
    check_true(&t->c, th[0].line_width >= 2.5, "light: data lines %.1f >= 2.5 units wide",
               th[0].line_width);
    check_true(&t->c, strcmp(th[0].font, THEME_FONT_DEFAULT) == 0,
               "light: font is the CJK-safe family list \"%s\"", th[0].font);
}

static void test_plain_and_residual_keep_their_colours_in_every_theme(Ctx *t)
{
    Theme a = theme_light(), b = theme_dark();
    check_true(&t->c, rgb_delta_e(a.plain, b.plain) == 0 && rgb_delta_e(a.residual, b.residual) == 0,
               "plain and residual are the same colours in light and dark");
    for (int k = 0; k < 3; k++) {
        double de = rgb_delta_e(simulate(a.plain, k), simulate(a.residual, k));
        check_true(&t->c, de >= DISTINCT_DE, "plain vs residual under %s: dE_OK %.3f >= %.2f",
                   cvd_name[k], de, DISTINCT_DE);
    }
}

static void test_theme_files_equal_the_builtins(Ctx *t)
{
    char dir[900], path[1024], err[256];
    if (!check_true(&t->c, themes_dir(dir, sizeof dir),
                    "assets/themes found (set RESLAB_ASSETS_DIR to the source's assets/)"))
        return;
    const char *names[2] = {"light", "dark"};
    for (int i = 0; i < 2; i++) {
        Theme want, got;
        theme_builtin(&want, names[i], NULL, 0);
        snprintf(path, sizeof path, "%s/%s.txt", dir, names[i]);
        int rc = theme_load(&got, path, err, sizeof err);
        if (!check_true(&t->c, rc == RESLAB_OK, "%s parses (%s)", path, rc ? err : "ok")) continue;
        const char *diff = theme_diff(&got, &want);
        check_true(&t->c, diff == NULL, "%s equals theme_%s() (first difference: %s)", path,
                   names[i], diff ? diff : "none");
    }
}

/* A malformed theme line gives RESLAB_ERR_FORMAT and a message "FILE:LINE: ..." */
static void expect_theme_error(Ctx *t, const char *claim, const char *text, int line,
                               const char *words)
{
    char path[1100], err[256], want[1200];
    snprintf(path, sizeof path, "%s/bad.txt", t->dir);
    spit(path, text);
    Theme th = theme_light();
    int rc = theme_load(&th, path, err, sizeof err);
    snprintf(want, sizeof want, "%s:%d: ", path, line);
    check_true(&t->c, rc == RESLAB_ERR_FORMAT && strstr(err, want) && strstr(err, words),
               "%s: \"%s\"", claim, err);
}

static void test_malformed_theme_lines_name_file_and_line(Ctx *t)
{
    expect_theme_error(t, "unknown key", "# c\nbackground #ffffff\ncolour #000000\n", 3,
                       "unknown key 'colour'");
    expect_theme_error(t, "short colour", "grid #12345\n", 1, "#rrggbb");
    expect_theme_error(t, "colour without #", "grid 123456\n", 1, "#rrggbb");
    expect_theme_error(t, "not a number", "\n\nfont_size big\n", 3, "not a number");
    expect_theme_error(t, "number out of range", "line_width 0\n", 1, "[0.1, 50]");
    expect_theme_error(t, "key given twice", "grid #000000\ngrid #111111\n", 2, "twice");
    expect_theme_error(t, "base after another key", "grid #000000\nbase dark\n", 2, "first");
    expect_theme_error(t, "unknown base", "base sepia\n", 1, "light or dark");
    expect_theme_error(t, "key without value", "muted   # nothing\n", 1, "no value");
    expect_theme_error(t, "palette with a bad colour", "palette #000000 red\n", 1, "#rrggbb");
}

static void test_theme_file_comments_and_partial_files(Ctx *t)
{
    char path[1100], err[256];
    snprintf(path, sizeof path, "%s/partial.txt", t->dir);
    spit(path, "\xef\xbb\xbf# a dark theme with a pink grid\r\nbase dark\r\n"
               "  grid   #ff00ff   # trailing comment\r\n\npalette #000000 #ffffff\n");
    Theme th;
    int rc = theme_load(&th, path, err, sizeof err);
    Theme want = theme_dark();
    want.grid = (Rgb){1, 0, 1};
    want.palette[0] = (Rgb){0, 0, 0};
    want.palette[1] = (Rgb){1, 1, 1};
    want.palette_n = 2;
    const char *diff = rc == RESLAB_OK ? theme_diff(&th, &want) : "(did not parse)";
    check_true(&t->c, rc == RESLAB_OK && diff == NULL,
               "BOM, CRLF, comments, 'base dark' and two keys give dark + changes (%s)",
               rc ? err : diff ? diff : "equal");
    snprintf(path, sizeof path, "%s/no-such-theme.txt", t->dir);
    rc = theme_load(&th, path, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_IO && strstr(err, "no-such-theme.txt: cannot open"),
               "a missing theme file is an I/O error naming it: \"%s\"", err);
    rc = theme_builtin(&th, "sepia", err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_INVALID && strstr(err, "light, dark"),
               "an unknown built-in theme lists the names: \"%s\"", err);
}

/* ---- colour maps ---------------------------------------------------------------------------- */

enum { SAMPLES = 400 };     /* even: t = 0.5 is a sample */

static void test_diverging_map_lightness_is_monotone_and_symmetric(Ctx *t)
{
    int mono = 1, gamut = 1;
    double asym = 0;
    for (int i = 0; i <= SAMPLES; i++) {
        double u = (double)i / SAMPLES;
        Oklab p = colormap_oklab(COLORMAP_DIVERGING, u);
        Oklab q = colormap_oklab(COLORMAP_DIVERGING, 1 - u);
        asym = fmax(asym, fabs(p.L - q.L));
        if (i > 0) {
            Oklab prev = colormap_oklab(COLORMAP_DIVERGING, (double)(i - 1) / SAMPLES);
            if (i <= SAMPLES / 2 && !(p.L > prev.L)) mono = 0;     /* rising to the centre */
            if (i > SAMPLES / 2 && !(p.L < prev.L)) mono = 0;      /* falling after it */
        }
        int in;
        rgb_from_oklab(p, &in);
        gamut &= in;
    }
    check_true(&t->c, mono, "diverging: L rises strictly on [0, 0.5] and falls on [0.5, 1]");
    check_below(&t->c, "diverging: |L(t) - L(1 - t)|", asym, 1e-12);
    check_true(&t->c, gamut, "diverging: all %d samples inside the sRGB gamut", SAMPLES + 1);
    Oklab c = colormap_oklab(COLORMAP_DIVERGING, 0.5);
    check_below(&t->c, "diverging: centre chroma (a neutral grey)", hypot(c.a, c.b), 1e-12);
    check_close(&t->c, "diverging: value 0 in [-m, m] maps to t = 0.5", colormap_t(0, -3, 3), 0.5,
                0, 0);
}

/* max/min of the OKLab step between neighbouring samples over [t0, t1] */
static double step_ratio(Colormap map, double t0, double t1)
{
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < SAMPLES / 2; i++) {
        double a = t0 + (t1 - t0) * i / (SAMPLES / 2), b = t0 + (t1 - t0) * (i + 1) / (SAMPLES / 2);
        Oklab p = colormap_oklab(map, a), q = colormap_oklab(map, b);
        double d = sqrt((p.L - q.L) * (p.L - q.L) + (p.a - q.a) * (p.a - q.a) + (p.b - q.b) * (p.b - q.b));
        lo = fmin(lo, d);
        hi = fmax(hi, d);
    }
    return hi / lo;
}

static void test_maps_are_perceptually_uniform(Ctx *t)
{
    check_below(&t->c, "diverging blue arm: max/min OKLab step - 1",
                step_ratio(COLORMAP_DIVERGING, 0, 0.5) - 1, UNIFORM_TOL);
    check_below(&t->c, "diverging red arm: max/min OKLab step - 1",
                step_ratio(COLORMAP_DIVERGING, 0.5, 1) - 1, UNIFORM_TOL);
    check_below(&t->c, "sequential: max/min OKLab step - 1",
                step_ratio(COLORMAP_SEQUENTIAL, 0, 1) - 1, UNIFORM_TOL);
}

static void test_sequential_map_lightness_rises(Ctx *t)
{
    int mono = 1, gamut = 1;
    for (int i = 1; i <= SAMPLES; i++) {
        Oklab p = colormap_oklab(COLORMAP_SEQUENTIAL, (double)i / SAMPLES);
        Oklab q = colormap_oklab(COLORMAP_SEQUENTIAL, (double)(i - 1) / SAMPLES);
        mono &= p.L > q.L;
        int in;
        rgb_from_oklab(p, &in);
        gamut &= in;
    }
    check_true(&t->c, mono, "sequential: L rises strictly from t = 0 to 1");
    check_true(&t->c, gamut, "sequential: all samples inside the sRGB gamut");
}

static void test_map_ends_are_distinguishable(Ctx *t)
{
    Colormap maps[2] = {COLORMAP_DIVERGING, COLORMAP_SEQUENTIAL};
    const char *name[2] = {"diverging", "sequential"};
    for (int m = 0; m < 2; m++) {
        Rgb a = colormap_map(maps[m], 0), b = colormap_map(maps[m], 1);
        double de = rgb_delta_e(a, b);
        check_true(&t->c, de >= ENDS_DE, "%s: ends dE_OK %.3f >= %.2f (normal vision)", name[m],
                   de, ENDS_DE);
        for (int k = 0; k < 3; k++) {
            de = rgb_delta_e(simulate(a, k), simulate(b, k));
            check_true(&t->c, de >= DISTINCT_DE, "%s: ends under %s dE_OK %.3f >= %.2f", name[m],
                       cvd_name[k], de, DISTINCT_DE);
        }
    }
}

/* NaN cells and off-scale marks must not pass for data: the overflow colour keeps its distance
 * from every colour of both maps and from the two nets, for normal vision and the three
 * simulated deficiencies, in both themes, and shows on both backgrounds. */
static void test_overflow_colour_is_never_mistaken_for_data(Ctx *t)
{
    Theme th[2] = {theme_light(), theme_dark()};
    for (int k = 0; k < 2; k++) {
        double nearest = INFINITY;
        for (int v = -1; v < 3; v++) {                     /* -1: normal vision */
            Rgb o = v < 0 ? th[k].overflow : simulate(th[k].overflow, v);
            Rgb nets[2] = {th[k].plain, th[k].residual};
            for (int n = 0; n < 2; n++)
                nearest = fmin(nearest, rgb_delta_e(o, v < 0 ? nets[n] : simulate(nets[n], v)));
            for (int m = 0; m < 2; m++)
                for (int i = 0; i <= SAMPLES; i++) {
                    Rgb c = colormap_map(m ? COLORMAP_SEQUENTIAL : COLORMAP_DIVERGING,
                                         (double)i / SAMPLES);
                    nearest = fmin(nearest, rgb_delta_e(o, v < 0 ? c : simulate(c, v)));
                }
        }
        check_true(&t->c, nearest >= DISTINCT_DE, "%s: overflow is dE_OK %.3f >= %.2f from both "
                   "maps and both nets, normal vision and 3 deficiencies", k ? "dark" : "light",
                   nearest, DISTINCT_DE);
    }
}

/* ---- ticks and ranges ------------------------------------------------------------------------ */

static void test_linear_ticks_use_1_2_5_steps(Ctx *t)
{
    Ticks k;
    ticks_make(&k, 0, 37, 0, 1, 5);
    check_true(&t->c, k.n == 4 && k.v[0] == 0 && k.v[3] == 30 && strcmp(k.label[1], "10") == 0,
               "[0, 37], about 5 ticks: 0 10 20 30 (got %d, last %g)", k.n, k.n ? k.v[k.n - 1] : NAN);
    ticks_make(&k, -1, 1, 0, 0, 5);
    check_true(&t->c, k.n == 5 && strcmp(k.label[0], "\xe2\x88\x92" "1.0") == 0 &&
                          strcmp(k.label[2], "0") == 0 && strcmp(k.label[3], "0.5") == 0,
               "[-1, 1]: -1.0 -0.5 0 0.5 1.0 with a real minus sign (got '%s' '%s')", k.label[0],
               k.label[3]);
    ticks_make(&k, 0, 3, 0, 1, 20);
    check_true(&t->c, k.n == 4, "integer axis [0, 3] never gets fractional ticks (%d ticks)", k.n);
}

static void test_log_ticks_are_decades_with_superscripts(Ctx *t)
{
    Ticks k;
    ticks_make(&k, 1e-4, 1e1, 1, 0, 10);
    check_true(&t->c, k.n == 6 && strcmp(k.label[1], "10<sup>\xe2\x88\x92" "3</sup>") == 0 &&
                          k.nminor == 40,
               "[1e-4, 10]: six decades, 10<sup>-3</sup> style, 8 minor ticks per decade "
               "(n %d, '%s', minor %d)", k.n, k.label[1], k.nminor);
    ticks_make(&k, 1e-300, 1e10, 1, 0, 6);
    int equal = k.n >= 2;
    for (int i = 2; i < k.n; i++)
        equal &= fabs(log10(k.v[i]) - log10(k.v[i - 1]) - (log10(k.v[1]) - log10(k.v[0]))) < 1e-6;
    check_true(&t->c, k.n >= 3 && k.n <= 6 && equal && strstr(k.label[0], "300"),
               "[1e-300, 1e10]: %d evenly spaced decade ticks from '%s'", k.n, k.label[0]);
    ticks_make(&k, 2, 8, 1, 0, 6);
    check_true(&t->c, k.n == 2 && k.v[0] == 2 && k.v[1] == 5,
               "[2, 8] on log10 (under a decade): 1-2-5 ticks 2 and 5 (n %d)", k.n);
}

static void test_auto_range_ignores_what_the_axis_cannot_show(Ctx *t)
{
    double v[] = {0, -1, 1e-300, INFINITY, NAN, -INFINITY, 1e-3, 5};
    PlotAxis ax;
    plot_auto_range(&ax, PLOT_LOG10, v, 8);
    check_true(&t->c, ax.lo == 1e-300 && ax.hi == 10,
               "log range of {0, -1, 1e-300, inf, NaN, -inf, 1e-3, 5} is [1e-300, 10] (%g, %g)",
               ax.lo, ax.hi);
    plot_auto_range(&ax, PLOT_LINEAR, v, 8);
    check_true(&t->c, ax.lo == -2 && ax.hi == 6,
               "linear range of the same ignores inf and NaN: [-1, 5] widened to steps of 2: "
               "[-2, 6] (%g, %g)", ax.lo, ax.hi);
    double none[] = {0, -2, NAN, INFINITY};
    plot_auto_range(&ax, PLOT_LOG10, none, 4);
    check_true(&t->c, ax.lo == 1 && ax.hi == 10, "nothing positive on log: default [1, 10]");
    plot_auto_range(&ax, PLOT_LINEAR, none + 2, 2);
    check_true(&t->c, ax.lo == 0 && ax.hi == 1, "nothing finite on linear: default [0, 1]");
    plot_auto_range(&ax, PLOT_LINEAR, NULL, 0);
    check_true(&t->c, ax.lo == 0 && ax.hi == 1, "no data: default [0, 1]");
    double ext[] = {DBL_TRUE_MIN, DBL_MAX};
    plot_auto_range(&ax, PLOT_LOG10, ext, 2);
    check_true(&t->c, plot_range_valid(&ax) && ax.lo > 0 && isfinite(ax.hi),
               "log range of {4.9e-324, 1.8e308} stays finite and positive (%g, %g)", ax.lo, ax.hi);
    double one[] = {7, 7};
    plot_auto_range(&ax, PLOT_LINEAR, one, 2);
    check_true(&t->c, ax.lo < 7 && ax.hi > 7, "a single value gets room around it (%g, %g)", ax.lo,
               ax.hi);
}

/* Lines through hostile values: cairo stays happy and all ink stays near the frame. */
static void test_plot_line_never_leaves_the_frame(Ctx *t)
{
    double y[] = {1, 1e300, -1e300, INFINITY, -INFINITY, NAN, 0, DBL_MAX, DBL_TRUE_MIN, 1e-300, 2};
    double x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, NAN, INFINITY};
    for (int log = 0; log < 2; log++) {
        cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
        cairo_t *cr = cairo_create(rec);
        PlotAxes ax;
        memset(&ax, 0, sizeof ax);
        ax.outer = (Rect){0, 0, 600, 400};
        ax.x = (PlotAxis){PLOT_LINEAR, 0, 8, NULL, 0, {0}};
        ax.y = (PlotAxis){log ? PLOT_LOG10 : PLOT_LINEAR, log ? 1e-3 : -5, log ? 10 : 5, NULL, 0, {0}};
        plot_layout(cr, &t->th, &ax);
        plot_line(cr, &t->th, &ax, x, y, 11, t->th.plain, PLOT_DASHED);
        plot_markers(cr, &t->th, &ax, x, y, 11, t->th.plain, PLOT_MARKER_CIRCLE);
        double ex, ey, ew, eh, m = 2 * t->th.font_size;
        cairo_recording_surface_ink_extents(rec, &ex, &ey, &ew, &eh);
        Rect f = ax.frame;
        check_true(&t->c, cairo_status(cr) == CAIRO_STATUS_SUCCESS && ex >= f.x - m &&
                              ey >= f.y - m && ex + ew <= f.x + f.w + m && ey + eh <= f.y + f.h + m,
                   "%s axis: 1e300, inf, NaN, 0 drawn within the frame +- %.0f (ink %.0f,%.0f "
                   "%.0fx%.0f)", log ? "log" : "linear", m, ex, ey, ew, eh);
        cairo_destroy(cr);
        cairo_surface_destroy(rec);
    }
}

static void test_layout_keeps_tick_labels_apart(Ctx *t, const DemoLayout *L)
{
    const PlotAxes *axs[2] = {&L->curves, &L->heat};
    for (int a = 0; a < 2; a++) {
        const Ticks *k = &axs[a]->x.ticks;
        int apart = k->n >= 2;
        for (int i = 0; i + 1 < k->n; i++)
            apart &= plot_x(axs[a], k->v[i + 1]) - plot_x(axs[a], k->v[i]) >=
                     (k->lw[i] + k->lw[i + 1]) / 2;
        const Ticks *ky = &axs[a]->y.ticks;
        for (int i = 0; i + 1 < ky->n; i++)
            apart &= fabs(plot_y(axs[a], ky->v[i + 1]) - plot_y(axs[a], ky->v[i])) >=
                     (ky->lh[i] + ky->lh[i + 1]) / 2;
        Rect o = axs[a]->outer, f = axs[a]->frame;
        int inside = f.x >= o.x && f.y >= o.y && f.x + f.w <= o.x + o.w + LAYOUT_TOL &&
                     f.y + f.h <= o.y + o.h + LAYOUT_TOL;
        check_true(&t->c, apart && inside, "demo panel %d: %d x and %d y tick labels do not "
                   "overlap; frame inside the panel", a, k->n, ky->n);
    }
}

/* ---- heatmaps -------------------------------------------------------------------------------- */

static void test_heatmap_range_is_symmetric_about_zero(Ctx *t)
{
    double v[6] = {-0.5, 2, NAN, -INFINITY, 1, 0};
    Heatmap hm = {v, 2, 3, COLORMAP_DIVERGING, 0, 0, 0};
    heatmap_auto_range(&hm, NAN);
    check_true(&t->c, hm.lo == -2 && hm.hi == 2, "diverging range is [-m, m], m = max |finite| "
               "= 2, ignoring NaN and -inf (%g, %g)", hm.lo, hm.hi);
    heatmap_auto_range(&hm, 5);
    check_true(&t->c, hm.lo == -5 && hm.hi == 5, "a given m = 5 is used as is");
    double bad[2] = {NAN, INFINITY};
    Heatmap hb = {bad, 1, 2, COLORMAP_DIVERGING, 0, 0, 0};
    heatmap_auto_range(&hb, NAN);
    check_true(&t->c, hb.lo == -1 && hb.hi == 1, "no finite value: [-1, 1]");
    Heatmap hs = {v, 2, 3, COLORMAP_SEQUENTIAL, 0, 0, 0};
    heatmap_auto_range(&hs, NAN);
    check_true(&t->c, hs.lo == -0.5 && hs.hi == 2, "sequential range is [min, max] of the finite "
               "values (%g, %g)", hs.lo, hs.hi);
}

/* A 2 x 3 matrix drawn both ways round: every cell's pixel has heatmap_colour of its value,
 * row 0 at the top (matrix) or at the left (rows along x). */
static void test_heatmap_cells_land_where_the_axes_say(Ctx *t)
{
    double v[6] = {-1, -0.25, 0, 0.5, INFINITY, 1};
    for (int along = 0; along < 2; along++) {
        Heatmap hm = {v, 2, 3, COLORMAP_DIVERGING, -1, 1, along};
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 300, 200);
        cairo_t *cr = cairo_create(img);
        Rect r = {10, 20, 270, 160};
        int rc = heatmap_draw(cr, &t->th, r, &hm);
        PlotAxes ax;
        memset(&ax, 0, sizeof ax);
        ax.frame = r;
        heatmap_axes(&hm, &ax, NULL, NULL);
        int ok = rc == RESLAB_OK && cairo_status(cr) == CAIRO_STATUS_SUCCESS;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) {
                double x = along ? i : j, y = along ? j : i;    /* index along x and along y */
                int px[3];
                pixel_at(img, plot_x(&ax, x), plot_y(&ax, y), px);
                ok &= pixel_is(px, heatmap_colour(&t->th, &hm, v[i * 3 + j]));
            }
        check_true(&t->c, ok, "%s: all 6 cells at plot_x/plot_y of their indices have their colour",
                   along ? "rows along x" : "matrix layout");
        cairo_destroy(cr);
        cairo_surface_destroy(img);
    }
    /* 1000 layers into 100 pixels: one NaN must not fall between the sampled columns */
    enum { LAYERS = 1000, UNITS = 4 };
    static double big[LAYERS * UNITS];
    for (int k = 0; k < LAYERS * UNITS; k++) big[k] = 0.5;
    big[(LAYERS / 2 + 3) * UNITS + 1] = NAN;                 /* layer 503, unit 1 */
    Heatmap hb = {big, LAYERS, UNITS, COLORMAP_DIVERGING, -1, 1, 1};
    for (int s2 = 1; s2 <= 2; s2++) {
        cairo_surface_t *im = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 120 * s2, 60 * s2);
        cairo_t *c2 = cairo_create(im);
        cairo_scale(c2, s2, s2);
        Rect rb = {10, 10, 100, 40};
        heatmap_draw(c2, &t->th, rb, &hb);
        int found = 0, px[3];
        for (int x = 10 * s2; x < 110 * s2; x++) {
            pixel_at(im, x, (10 + 15) * s2, px);               /* the middle of unit 1's band */
            found |= pixel_is(px, t->th.overflow);
        }
        check_true(&t->c, found, "scale %d: one NaN among %d layers drawn %d px wide is visible",
                   s2, LAYERS, 100 * s2);
        cairo_destroy(c2);
        cairo_surface_destroy(im);
    }

    Heatmap empty = {v, 0, 3, COLORMAP_DIVERGING, -1, 1, 0};
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
    cairo_t *cr = cairo_create(img);
    Rect r = {0, 0, 10, 10};
    check_true(&t->c, heatmap_draw(cr, &t->th, r, &empty) == RESLAB_ERR_INVALID &&
                          cairo_status(cr) == CAIRO_STATUS_SUCCESS,
               "a 0 x 3 matrix is refused without upsetting cairo");
    cairo_destroy(cr);
    cairo_surface_destroy(img);
}

/* ---- text ------------------------------------------------------------------------------------ */

static void test_chinese_uses_simplified_glyphs(Ctx *t)
{
    TextStyle st = text_style(&t->th, 1.0);
    st.markup = 1;
    int rc;
    PangoLayout *lay = text_layout(NULL, DEMO_TITLE, &st, &rc);
    int unknown = pango_layout_get_unknown_glyphs_count(lay);
    check_true(&t->c, rc == RESLAB_OK && unknown == 0, "title markup parses, %d unknown glyphs "
               "(no tofu)", unknown);
    char family[128] = "";
    PangoLayoutIter *it = pango_layout_get_iter(lay);
    do {
        PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
        if (run && run->item->offset == 0) {       /* the run with 残 */
            PangoFontDescription *fd = pango_font_describe(run->item->analysis.font);
            snprintf(family, sizeof family, "%s", pango_font_description_get_family(fd));
            pango_font_description_free(fd);
        }
    } while (pango_layout_iter_next_run(it));
    pango_layout_iter_free(it);
    g_object_unref(lay);
    check_true(&t->c, strcmp(family, "Noto Sans CJK SC") == 0,
               "Han characters are set in Noto Sans CJK SC, not JP (got '%s')", family);
}

static void test_text_wraps_and_aligns(Ctx *t)
{
    TextStyle st = text_style(&t->th, 1.0);
    st.markup = 1;
    st.max_width = 500;
    TextExtent e;
    text_measure(NULL, DEMO_NOTE, &st, &e);
    check_true(&t->c, e.lines >= 4 && e.w <= 500 + LAYOUT_TOL,
               "the note wraps into %d lines within 500 units (widest %.1f)", e.lines, e.w);
    st.markup = 0;
    st.max_width = 100;
    text_measure(NULL, "残差连接让梯度沿捷径直接流回浅层", &st, &e);
    check_true(&t->c, e.lines >= 2 && e.w <= 100 + LAYOUT_TOL,
               "Chinese without spaces wraps too: %d lines", e.lines);
    st.max_width = 0;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_MIDDLE;
    text_measure(NULL, "Hg", &st, &e);
    check_true(&t->c, fabs(e.x + e.w / 2) < LAYOUT_TOL && fabs(e.y + e.h / 2) < LAYOUT_TOL,
               "centre/middle puts the box's centre on the anchor (%.2f, %.2f)", e.x + e.w / 2,
               e.y + e.h / 2);
    TextExtent r;
    st.angle = M_PI / 2;
    text_measure(NULL, "Hg", &st, &r);
    check_true(&t->c, fabs(r.w - e.h) < 1e-6 && fabs(r.h - e.w) < 1e-6,
               "a quarter turn swaps the box's width and height");
    st.angle = 0;
    st.markup = 1;
    int rc = text_measure(NULL, "a < b", &st, &e);
    check_true(&t->c, rc == RESLAB_ERR_INVALID && e.w > 0,
               "bad markup is reported and measured as plain text");
}

/* Sizes in logical units must not depend on the export scale (they did for <sup> in Pango
 * 1.50: the exponent doubled under cairo_scale(2, 2)). */
static void test_text_size_is_the_same_at_every_scale(Ctx *t)
{
    TextStyle st = text_style(&t->th, 1.0);
    st.markup = 1;
    double w[2];
    for (int s = 1; s <= 2; s++) {
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
        cairo_t *cr = cairo_create(img);
        cairo_scale(cr, s, s);
        TextExtent e;
        text_measure(cr, "10<sup>\xe2\x88\x92" "300</sup> <i>x</i><sub>l</sub>", &st, &e);
        w[s - 1] = e.w;
        cairo_destroy(cr);
        cairo_surface_destroy(img);
    }
    check_close(&t->c, "width of 10<sup>-300</sup> x<sub>l</sub> at scale 2 vs 1", w[1], w[0],
                0.5, 0);
}

/* ---- the demo figure ------------------------------------------------------------------------- */

static void demo_probes(Ctx *t, cairo_surface_t *img, double scale, const Demo *d)
{
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    DemoLayout L;
    demo_layout(cr, d, DEMO_WIDTH, DEMO_HEIGHT, &L);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    const Theme *th = d->theme;
    int px[3];
    int l = 3;
    pixel_at(img, plot_x(&L.curves, l) * scale, plot_y(&L.curves, d->plain[l]) * scale, px);
    check_true(&t->c, pixel_is(px, th->plain), "scale %g: plain colour at plot_x/plot_y of "
               "(%d, %g): %d,%d,%d", scale, l, d->plain[l], px[0], px[1], px[2]);
    pixel_at(img, plot_x(&L.curves, l) * scale, plot_y(&L.curves, 3e-6) * scale, px);
    check_true(&t->c, !pixel_is(px, th->plain) && pixel_is(px, th->background),
               "scale %g: background, not plain, where there are no data (%d, 3e-6)", scale, l);
    double depth = 0.3 * th->font_size;       /* inside the mark (size >= 0.6 font sizes) */
    Rect f = L.curves.frame;
    pixel_at(img, plot_x(&L.curves, DEMO_INF_AT) * scale, (f.y + depth) * scale, px);
    check_true(&t->c, pixel_is(px, th->overflow), "scale %g: overflow mark at the top edge for "
               "residual[%d] = inf: %d,%d,%d", scale, DEMO_INF_AT, px[0], px[1], px[2]);
    pixel_at(img, plot_x(&L.curves, DEMO_ZERO_FROM + 3) * scale, (f.y + f.h - depth) * scale, px);
    check_true(&t->c, pixel_is(px, th->overflow), "scale %g: overflow mark at the bottom edge for "
               "plain[%d] = 0 on the log axis", scale, DEMO_ZERO_FROM + 3);
    /* cells: rows (layers) run along x, units down from the top */
    Rect hf = L.heat.frame;
    int cells[3][2] = {{2, 5}, {17, 9}, {5, 3}};          /* the last one is NaN */
    for (int k = 0; k < 3; k++) {
        int li = cells[k][0], u = cells[k][1];
        double v = d->cells[li * DEMO_COLS + u];
        double cx = hf.x + (li + 0.5) * hf.w / DEMO_ROWS, cy = hf.y + (u + 0.5) * hf.h / DEMO_COLS;
        pixel_at(img, cx * scale, cy * scale, px);
        Rgb want = heatmap_colour(th, &L.hm, v);
        check_true(&t->c, pixel_is(px, want), "scale %g: cell (layer %d, unit %d) = %g has "
                   "heatmap_colour: got %d,%d,%d want %d,%d,%d", scale, li, u, v, px[0], px[1],
                   px[2], rgb_byte(want.r), rgb_byte(want.g), rgb_byte(want.b));
    }
}

static void test_demo_png(Ctx *t, const Demo *d, double scale)
{
    char path[1100], err[256];
    snprintf(path, sizeof path, "%s/render_demo%s.png", t->out, scale == 1 ? "" : "@2x");
    int rc = export_render(path, DEMO_WIDTH, DEMO_HEIGHT, scale, demo_draw, (void *)d, err,
                           sizeof err);
    if (!check_true(&t->c, rc == RESLAB_OK, "export %s (%s)", path, rc ? err : "ok")) return;
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    check_true(&t->c, cairo_surface_status(img) == CAIRO_STATUS_SUCCESS &&
                          w == (int)(DEMO_WIDTH * scale) && h == (int)(DEMO_HEIGHT * scale),
               "%s decodes at %d x %d (asked %g x %g at scale %g)", path, w, h, (double)DEMO_WIDTH,
               (double)DEMO_HEIGHT, scale);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) demo_probes(t, img, scale, d);
    cairo_surface_destroy(img);
}

/* Count "/Type /Page" not followed by 's' (the page objects, not the /Pages tree). */
static int pdf_pages(const char *buf, long n)
{
    int pages = 0;
    const char *key = "/Type /Page";
    size_t k = strlen(key);
    for (long i = 0; i + (long)k < n; i++)
        if (memcmp(buf + i, key, k) == 0 && buf[i + k] != 's') pages++;
    return pages;
}

static void test_demo_svg_and_pdf(Ctx *t, const Demo *d)
{
    static char buf[1 << 22];
    char path[1100], err[256];
    snprintf(path, sizeof path, "%s/render_demo.svg", t->out);
    int rc = export_render(path, DEMO_WIDTH, DEMO_HEIGHT, 1, demo_draw, (void *)d, err, sizeof err);
    long n = rc == RESLAB_OK ? slurp(path, buf, sizeof buf) : -1;
    check_true(&t->c, rc == RESLAB_OK && n > 0 && strncmp(buf, "<?xml", 5) == 0 &&
                          strstr(buf, "<svg") && strstr(buf, "width=\"1280pt\""),
               "%s: starts with <?xml, has <svg, 1280pt wide (%s)", path, rc ? err : "ok");
    snprintf(path, sizeof path, "%s/render_demo.pdf", t->out);
    if (__lsan_disable) __lsan_disable();          /* see the note at the top */
    rc = export_render(path, DEMO_WIDTH, DEMO_HEIGHT, 1, demo_draw, (void *)d, err, sizeof err);
    if (__lsan_enable) __lsan_enable();
    n = rc == RESLAB_OK ? slurp(path, buf, sizeof buf) : -1;
    check_true(&t->c, rc == RESLAB_OK && n > 0 && strncmp(buf, "%PDF-", 5) == 0 &&
                          pdf_pages(buf, n) == 1 && n < (long)sizeof buf - 1,
               "%s: starts with %%PDF-, exactly one page (%d) (%s)", path,
               n > 0 ? pdf_pages(buf, n) : -1, rc ? err : "ok");
}

/* Drawing straight into an image surface: cairo status stays success. */
static void test_demo_draws_without_cairo_errors(Ctx *t)
{
    Theme th[2] = {theme_light(), theme_dark()};
    for (int k = 0; k < 2; k++) {
        Demo d;
        demo_init(&d, &th[k]);
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 640, 400);
        cairo_t *cr = cairo_create(img);
        cairo_scale(cr, 0.5, 0.5);
        demo_draw(cr, DEMO_WIDTH, DEMO_HEIGHT, &d);
        check_true(&t->c, cairo_status(cr) == CAIRO_STATUS_SUCCESS &&
                              cairo_surface_status(img) == CAIRO_STATUS_SUCCESS,
                   "demo_draw, %s theme, scale 0.5: cairo status %s", k ? "dark" : "light",
                   cairo_status_to_string(cairo_status(cr)));
        cairo_destroy(cr);
        cairo_surface_destroy(img);
    }
}

/* ---- export errors --------------------------------------------------------------------------- */

static void draw_nothing(cairo_t *cr, double w, double h, void *ctx)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
}

/* Puts cairo into an error state halfway: a singular matrix. */
static void draw_broken(cairo_t *cr, double w, double h, void *ctx)
{
    cairo_paint(cr);
    cairo_scale(cr, 0, 0);
}

static void test_unknown_extension_fails_cleanly(Ctx *t)
{
    char path[1100], err[256];
    snprintf(path, sizeof path, "%s/fig.jpg", t->dir);
    int rc = export_render(path, 100, 100, 1, draw_nothing, NULL, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_INVALID && strstr(err, "'.jpg'") && !file_exists(path),
               "unknown extension is refused by name, no file: \"%s\"", err);
    snprintf(path, sizeof path, "%s/figure", t->dir);
    rc = export_render(path, 100, 100, 1, draw_nothing, NULL, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_INVALID && strstr(err, "no file extension"),
               "no extension is refused: \"%s\"", err);
    snprintf(path, sizeof path, "%s/fig.png", t->dir);
    rc = export_render(path, 100, 100, 0, draw_nothing, NULL, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_INVALID && !file_exists(path), "scale 0 is refused: \"%s\"",
               err);
    rc = export_render(path, 40000, 100, 1, draw_nothing, NULL, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_INVALID && !file_exists(path),
               "a PNG wider than 32767 px is refused: \"%s\"", err);
}

static void test_unwritable_path_fails_cleanly(Ctx *t)
{
    char path[1100], err[256];
    const char *ext[3] = {"png", "svg", "pdf"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/no/such/dir/fig.%s", t->dir, ext[i]);
        int rc = export_render(path, 100, 100, 1, draw_nothing, NULL, err, sizeof err);
        check_true(&t->c, rc == RESLAB_ERR_IO && strstr(err, "No such file or directory") &&
                              strstr(err, "no/such/dir"),
                   "missing directory (.%s): \"%s\"", ext[i], err);
    }
    char file[1100];
    snprintf(file, sizeof file, "%s/plainfile", t->dir);
    spit(file, "x");
    snprintf(path, sizeof path, "%s/plainfile/fig.pdf", t->dir);
    int rc = export_render(path, 100, 100, 1, draw_nothing, NULL, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_IO && strstr(err, "Not a directory"),
               "a file where the directory should be: \"%s\"", err);
    /* a target that is a directory: everything is written, then the rename fails */
    snprintf(path, sizeof path, "%s/adir.png", t->dir);
    mkdir(path, 0755);
    rc = export_render(path, 100, 100, 1, draw_nothing, NULL, err, sizeof err);
    check_true(&t->c, rc == RESLAB_ERR_IO && strstr(err, "rename") && count_temps(t->dir) == 0,
               "rename over a directory fails and removes the temporary: \"%s\"", err);
    rmdir(path);
}

static void test_failed_draw_leaves_the_old_file(Ctx *t)
{
    const char *ext[3] = {"png", "svg", "pdf"};
    for (int i = 0; i < 3; i++) {
        char path[1100], err[256], buf[16];
        snprintf(path, sizeof path, "%s/keep.%s", t->dir, ext[i]);
        spit(path, "old");
        int rc = export_render(path, 100, 100, 1, draw_broken, NULL, err, sizeof err);
        check_true(&t->c, rc == RESLAB_ERR_FORMAT && strstr(err, "invalid matrix") &&
                              slurp(path, buf, sizeof buf) == 3 && strcmp(buf, "old") == 0,
                   ".%s: a cairo error is reported and the old file is untouched: \"%s\"", ext[i],
                   err);
    }
    check_true(&t->c, count_temps(t->dir) == 0, "no temporary files are left behind");
}

static void test_export_replaces_an_existing_file(Ctx *t)
{
    char path[1100], err[256];
    snprintf(path, sizeof path, "%s/replace.png", t->dir);
    spit(path, "old");
    int rc = export_render(path, 64, 32, 1.5, draw_nothing, NULL, err, sizeof err);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    check_true(&t->c, rc == RESLAB_OK && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS &&
                          cairo_image_surface_get_width(img) == 96 &&
                          cairo_image_surface_get_height(img) == 48,
               "a 64 x 32 figure at scale 1.5 replaces the old file with a 96 x 48 PNG");
    cairo_surface_destroy(img);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);     /* every line reaches the log, even if LSan aborts */
    Ctx t;
    memset(&t, 0, sizeof t);
    t.th = theme_light();
    const char *base = getenv("TEST_BUILD_DIR");
    snprintf(t.out, sizeof t.out, "%s", base && *base ? base : "/tmp");
    snprintf(t.dir, sizeof t.dir, "%.900s/test_render.XXXXXX", t.out);
    if (!mkdtemp(t.dir)) {
        fprintf(stderr, "test_render: cannot create %s: %s\n", t.dir, strerror(errno));
        return 1;
    }
    test_builtin_themes_have_projector_contrast(&t);
    test_plain_and_residual_keep_their_colours_in_every_theme(&t);
    test_theme_files_equal_the_builtins(&t);
    test_malformed_theme_lines_name_file_and_line(&t);
    test_theme_file_comments_and_partial_files(&t);
    test_diverging_map_lightness_is_monotone_and_symmetric(&t);
    test_maps_are_perceptually_uniform(&t);
    test_sequential_map_lightness_rises(&t);
    test_map_ends_are_distinguishable(&t);
    test_overflow_colour_is_never_mistaken_for_data(&t);
    test_linear_ticks_use_1_2_5_steps(&t);
    test_log_ticks_are_decades_with_superscripts(&t);
    test_auto_range_ignores_what_the_axis_cannot_show(&t);
    test_plot_line_never_leaves_the_frame(&t);
    test_heatmap_range_is_symmetric_about_zero(&t);
    test_heatmap_cells_land_where_the_axes_say(&t);
    test_chinese_uses_simplified_glyphs(&t);
    test_text_wraps_and_aligns(&t);
    test_text_size_is_the_same_at_every_scale(&t);

    Demo d;
    demo_init(&d, &t.th);
    DemoLayout L;
    demo_layout(NULL, &d, DEMO_WIDTH, DEMO_HEIGHT, &L);
    test_layout_keeps_tick_labels_apart(&t, &L);
    test_demo_draws_without_cairo_errors(&t);
    test_demo_png(&t, &d, 1);
    test_demo_png(&t, &d, 2);
    test_demo_svg_and_pdf(&t, &d);

    test_unknown_extension_fails_cleanly(&t);
    test_unwritable_path_fails_cleanly(&t);
    test_failed_draw_leaves_the_old_file(&t);
    test_export_replaces_an_existing_file(&t);
    nftw(t.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);

    /* Pango, cairo and fontconfig keep caches for the process: free them so that valgrind and
     * LeakSanitizer see no leaks (research/feasibility.md: this order, after everything else). */
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&t.c);
}
