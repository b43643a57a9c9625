/* bench_depth.c: how long one "depth" figure takes to draw: 1280 x 800 logical units into an
 * ARGB32 image surface at scale 1, with two 1000 x 64 activation heatmaps (layer x unit, layers
 * along x), their colour bars, and two 1000-point log-scale gradient-norm curves (with 0, inf
 * and NaN in them), titles, labels and a legend: the shape of the depth scene to come.
 * Prints the median and the 10th/90th percentiles over RUNS draws after WARMUP draws (the first
 * draw loads fonts: ~20 ms), and writes the last frame to $1 if given (to look at).
 *
 * Build by hand (not part of the test suite; the draw-time target is <= 8 ms):
 *     gcc -std=gnu11 -O2 -Isrc/render -Isrc/core tests/render/bench_depth.c src/render/[a-z]*.c \
 *         src/core/status.c -o /tmp/bench_depth $(pkg-config --cflags --libs cairo pangocairo) -lm
 *     /tmp/bench_depth /tmp/depth.png
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heatmap.h"
#include "layout.h"
#include "plot.h"
#include "text.h"
#include "theme.h"

enum { L = 1000, N = 64, W = 1280, H = 800, WARMUP = 5, RUNS = 50 };

typedef struct {
    const Theme *th;
    double act[2][L * N];        /* (L, n): plain, residual */
    double grad[2][L + 1];       /* ||dL/dx_l||, l = 0 .. L */
} Depth;

static void depth_init(Depth *d, const Theme *th)
{
    d->th = th;
    unsigned s = 12345;          /* a fixed LCG: the same figure every run */
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < L * N; i++) {
            s = s * 1103515245u + 12345u;
            double u = (double)(s >> 8) / (1u << 24) - 0.5;
            int l = i / N;
            d->act[k][i] = k == 0 ? u * exp(-l / 150.0) * 4 : u * (1 + l / 250.0);
        }
    for (int l = 0; l <= L; l++) {
        d->grad[0][l] = pow(10, -0.31 * (L - l));          /* underflows to 0 near the input */
        d->grad[1][l] = 1 + 0.3 * sin(l / 40.0);
    }
    d->grad[0][500] = NAN;
    d->grad[1][700] = INFINITY;
    d->act[1][123 * N + 7] = NAN;
}

static void depth_draw(cairo_t *cr, double w, double h, const Depth *d)
{
    const Theme *th = d->th;
    double fs = th->font_size;
    cairo_save(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    rgb_set_source(cr, th->background);
    cairo_paint(cr);
    cairo_restore(cr);
    Rect page = layout_inset((Rect){0, 0, w, h}, fs);
    TextStyle st = text_style(th, 1.4);
    st.bold = st.markup = 1;
    text_draw(cr, page.x, page.y, "Depth: plain vs residual, <i>L</i> = 1000", &st, NULL);
    layout_cut_top(&page, 2.2 * fs);
    Rect rows[2], top[2];
    layout_split_rows(page, 2, fs, rows);
    layout_split_cols(rows[0], 2, 2 * fs, top);
    const char *names[2] = {"plain", "residual"};
    for (int k = 0; k < 2; k++) {
        Heatmap hm = {d->act[k], L, N, COLORMAP_DIVERGING, 0, 0, 1};
        heatmap_auto_range(&hm, NAN);
        Rect p = top[k];
        Rect bar = layout_cut_right(&p, heatmap_colorbar_width(cr, th, &hm, NULL, p.h));
        layout_cut_right(&p, fs * 0.5);
        PlotAxes ax;
        memset(&ax, 0, sizeof ax);
        ax.outer = p;
        ax.title = names[k];
        heatmap_axes(&hm, &ax, "layer", "unit");
        plot_layout(cr, th, &ax);
        heatmap_draw(cr, th, ax.frame, &hm);
        plot_draw_axes(cr, th, &ax);
        bar.y = ax.frame.y;
        bar.h = ax.frame.h;
        heatmap_colorbar(cr, th, bar, &hm, NULL, 1);
    }
    PlotAxes ax;
    memset(&ax, 0, sizeof ax);
    ax.outer = rows[1];
    ax.title = "Gradient norm ‖∂<i>L</i>/∂<i>x</i><sub><i>l</i></sub>‖";
    ax.x = (PlotAxis){PLOT_LINEAR, 0, L, "layer <i>l</i>", 1, {0}};
    ax.y = (PlotAxis){PLOT_LOG10, NAN, NAN, NULL, 0, {0}};
    plot_range_include(&ax.y, d->grad[0], L + 1);
    plot_range_include(&ax.y, d->grad[1], L + 1);
    plot_range_finish(&ax.y);
    plot_layout(cr, th, &ax);
    plot_draw_axes(cr, th, &ax);
    plot_line(cr, th, &ax, NULL, d->grad[0], L + 1, th->plain, PLOT_DASHED);
    plot_line(cr, th, &ax, NULL, d->grad[1], L + 1, th->residual, PLOT_SOLID);
    PlotLegendEntry e[] = {{"plain", th->plain, PLOT_DASHED, PLOT_MARKER_NONE, PLOT_LEGEND_LINE},
                           {"residual", th->residual, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_LINE}};
    plot_legend(cr, th, &ax, e, 2, PLOT_LEGEND_NW);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    Theme th = theme_light();
    Depth *d = malloc(sizeof *d);
    depth_init(d, &th);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
    cairo_t *cr = cairo_create(s);
    double t[RUNS];
    for (int i = 0; i < WARMUP + RUNS; i++) {
        double t0 = now_ms();
        cairo_save(cr);
        depth_draw(cr, W, H, d);
        cairo_restore(cr);
        cairo_surface_flush(s);
        if (i >= WARMUP) t[i - WARMUP] = now_ms() - t0;
    }
    qsort(t, RUNS, sizeof t[0], cmp);
    printf("depth figure %dx%d: median %.2f ms (p10 %.2f, p90 %.2f) over %d draws; cairo: %s\n",
           W, H, t[RUNS / 2], t[RUNS / 10], t[RUNS * 9 / 10], RUNS,
           cairo_status_to_string(cairo_status(cr)));
    if (argc > 1) cairo_surface_write_to_png(s, argv[1]);
    /* one 1000 x 512 heatmap (the largest the depth scene shows) into 600 x 400 */
    double *big = malloc(sizeof(double) * L * 512);
    for (int i = 0; i < L * 512; i++) big[i] = sin(i * 0.37) * (i % 7);
    Heatmap hm = {big, L, 512, COLORMAP_DIVERGING, 0, 0, 1};
    heatmap_auto_range(&hm, NAN);
    for (int i = 0; i < WARMUP + RUNS; i++) {
        double t0 = now_ms();
        heatmap_draw(cr, &th, (Rect){40, 40, 600, 400}, &hm);
        cairo_surface_flush(s);
        if (i >= WARMUP) t[i - WARMUP] = now_ms() - t0;
    }
    qsort(t, RUNS, sizeof t[0], cmp);
    printf("heatmap 1000 x 512 into 600 x 400: median %.2f ms (p10 %.2f, p90 %.2f)\n",
           t[RUNS / 2], t[RUNS / 10], t[RUNS * 9 / 10]);
    free(big);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    free(d);
    return 0;
}
