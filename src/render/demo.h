/* demo.h: a figure that exercises the whole renderer, for tests and for looking at: two
 * log-scale curves with 0, inf and NaN in them, a heatmap with non-finite cells and its colour
 * bar, a legend, a Chinese title and a wrapped paragraph.
 *
 * Usage:
 *     Theme th = theme_light();
 *     Demo d;
 *     demo_init(&d, &th);
 *     export_render("demo.png", DEMO_WIDTH, DEMO_HEIGHT, 1, demo_draw, &d, err, sizeof err);
 *
 *     DemoLayout lay;                                     where things went (for pixel probes)
 *     demo_layout(cr, &d, DEMO_WIDTH, DEMO_HEIGHT, &lay);
 *     double px = plot_x(&lay.curves, 3), py = plot_y(&lay.curves, d.plain[3]);
 *
 * The data are fixed formulas (no randomness): plain[l] = 10^(-l/4) with a NaN at DEMO_NAN_AT
 * and exact zeros (underflow) from DEMO_ZERO_FROM on; residual[l] = 1 + 0.4 sin(l / 3) with +inf
 * at DEMO_INF_AT; cells[l][u] a smooth signed pattern with NaN, +inf and -inf cells.
 */
#ifndef RESLAB_DEMO_H
#define RESLAB_DEMO_H

#include <cairo.h>

#include "heatmap.h"
#include "layout.h"
#include "plot.h"
#include "theme.h"

enum {
    DEMO_WIDTH = 1280, DEMO_HEIGHT = 800,     /* logical units */
    DEMO_N = 41,                              /* curve points: layers 0 .. 40 */
    DEMO_NAN_AT = 20, DEMO_ZERO_FROM = 33, DEMO_INF_AT = 35,
    DEMO_ROWS = 24, DEMO_COLS = 16,           /* heatmap: layer x unit */
};

#define DEMO_TITLE "残差网络  <i>y</i> = <i>F</i>(<i>x</i>) + <i>x</i>"
/* Demo data, not a measurement: the curves are synthetic (demo.c). The note states only what
 * holds in general: the identity term of dL/dx_l = dL/dx_{l+1} (I + dF/dx_l). */
#define DEMO_NOTE                                                                              \
    "A residual block adds its input back: <i>y</i> = <i>F</i>(<i>x</i>) + <i>x</i>, so its "    \
    "Jacobian is <i>I</i> + \u2202<i>F</i>/\u2202<i>x</i> and the gradient has a path through "  \
    "every shortcut; a plain layer multiplies it by \u2202<i>F</i>/\u2202<i>x</i> alone. "         \
    "(Synthetic demo curves.) 残差块的雅可比矩阵是 <i>I</i> + \u2202<i>F</i>/\u2202<i>x</i>："    \
    "梯度可以沿捷径直接回传。"

typedef struct {
    const Theme *theme;
    double plain[DEMO_N], residual[DEMO_N];         /* ||dL/dx_l||, l = 0 .. DEMO_N - 1 */
    double cells[DEMO_ROWS * DEMO_COLS];            /* (layer, unit), row-major */
} Demo;

typedef struct {
    Rect title, note;         /* the title strip and the paragraph */
    PlotAxes curves;          /* the log-scale curves panel */
    PlotAxes heat;            /* the heatmap's index axes; cells fill heat.frame */
    Heatmap hm;
    Rect bar;                 /* the colour bar */
} DemoLayout;

/* Fill d's data; th is kept by pointer (it must outlive d). */
void demo_init(Demo *d, const Theme *th);

/* Where demo_draw puts everything on a w x h figure (text measured with cr, may be NULL). */
void demo_layout(cairo_t *cr, const Demo *d, double w, double h, DemoLayout *out);

/* Draw the figure; ctx is a const Demo *. An ExportDraw for export_render. */
void demo_draw(cairo_t *cr, double w, double h, void *ctx);

#endif
