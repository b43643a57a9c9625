/* heatmap.h: a rows x cols matrix of doubles drawn as coloured cells, with a colour bar.
 *
 * Usage (activations of a net: L layers x n units, signed, so the diverging map):
 *     Heatmap hm = {act, L, n, COLORMAP_DIVERGING, 0, 0, 1};   rows along x: layer l is column
 *     heatmap_auto_range(&hm, NAN);                       [-m, m], m = max |finite value|
 *     PlotAxes ax = {0};
 *     ax.outer = panel;
 *     heatmap_axes(&hm, &ax, "layer <i>l</i>", "unit");   index axes: cell centres at 0, 1, ...
 *     plot_layout(cr, th, &ax);
 *     heatmap_draw(cr, th, ax.frame, &hm);                 cells fill the frame
 *     plot_draw_axes(cr, th, &ax);                         ticks, labels, frame on top
 *     Rect bar = {x, ax.frame.y, heatmap_colorbar_width(cr, th, &hm, "activation", h),
 *                 ax.frame.h};                           beside the cells, as tall as they are
 *     heatmap_colorbar(cr, th, bar, &hm, "activation", 1);
 *
 * Drawing is one image, coloured through a 256-entry lookup table of the colour map and scaled
 * to the rectangle with nearest-neighbour filtering, so cells stay sharp rectangles; a 1000 x 512
 * matrix draws in under a millisecond. On an image surface the image has at most one pixel per
 * device pixel: each pixel shows the cell at its centre, so with more cells than pixels some
 * finite cells are skipped (sampled, not averaged: averaging would mix red and blue into a grey
 * that is in no cell), but a non-finite cell (NaN, +-inf: th->overflow) always paints every
 * pixel it touches: one NaN among 1000 layers stays visible. PDF embeds one pixel per cell with
 * /Interpolate false (sharp in viewers that honour it; 1000 x 512 is 2 MB before compression).
 * SVG viewers smooth images and cairo 1.16 cannot tell them not to, so on an SVG surface each
 * cell is repeated into a block of pixels at most half a point wide: edges stay crisp to the
 * eye, at the cost of a larger file.
 */
#ifndef RESLAB_HEATMAP_H
#define RESLAB_HEATMAP_H

#include <stddef.h>

#include <cairo.h>

#include "colormap.h"
#include "layout.h"
#include "plot.h"
#include "theme.h"

/* Colours in the lookup table (as matplotlib's 256): neighbouring entries differ by at most
 * three 8-bit levels, far below what the eye resolves in a cell. */
enum { HEATMAP_LUT_SIZE = 256 };

typedef struct {
    const double *v;       /* rows x cols, row-major: cell (i, j) is v[i * cols + j] */
    size_t rows, cols;     /* e.g. (L, n): layer x unit */
    Colormap map;
    double lo, hi;         /* value range: lo -> t = 0, hi -> t = 1 (diverging: -m, m) */
    int rows_along_x;      /* 0: row i is a horizontal band, row 0 at the top (a matrix);
                              1: row i is a vertical band, row 0 at the left (layers on x) */
} Heatmap;

/* Set hm->lo, hi from the data. Diverging: [-m, m] with m = max_abs if it is > 0 and finite,
 * else the largest |finite value| (1 if there is none or it is 0), so 0 is always the centre.
 * Sequential: [min, max] of the finite values (widened to [min, min + 1] if they are equal;
 * [0, 1] if none). */
void heatmap_auto_range(Heatmap *hm, double max_abs);

/* The colour cell value v gets: th->overflow if v is not finite, else the colour map at
 * colormap_t(v, lo, hi) as the lookup table quantises it: exactly what heatmap_draw paints. */
Rgb heatmap_colour(const Theme *th, const Heatmap *hm, double v);

/* Set ax->x and ax->y (linear, integer ticks) so that cell centres sit at whole indices and
 * index 0 is at the left and at the top, as the cells are drawn: x from -0.5 to cols - 0.5 and
 * y from rows - 0.5 (bottom) to -0.5 (top); with rows_along_x the two swap (x: rows, y: cols).
 * Labels (Pango markup) may be NULL; grid lines are switched off. Then plot_layout, and draw
 * the cells into ax->frame. */
void heatmap_axes(const Heatmap *hm, PlotAxes *ax, const char *xlabel, const char *ylabel);

/* The cells of hm filling r. Returns RESLAB_OK, RESLAB_ERR_INVALID (no data, a zero or too
 * large dimension: cairo images are at most 32767 pixels a side), or RESLAB_ERR_NOMEM. */
int heatmap_draw(cairo_t *cr, const Theme *th, Rect r, const Heatmap *hm);

/* A vertical colour bar for hm. r.x and r.w: the column it may use (heatmap_colorbar_width
 * wide); r.y and r.h: the bar itself, from hi at the top to lo at the bottom (give it the cells'
 * frame, so the two line up). Ticks and labels go right of the bar (the end labels stick out
 * half a line above and below r); label (Pango markup, may be NULL) runs bottom to top beside
 * them; show_overflow: a swatch of th->overflow below r, labelled "NaN / ±inf". */
void heatmap_colorbar(cairo_t *cr, const Theme *th, Rect r, const Heatmap *hm, const char *label,
                      int show_overflow);

/* The width a colour bar of this height needs for its bar, tick labels, label and swatch. */
double heatmap_colorbar_width(cairo_t *cr, const Theme *th, const Heatmap *hm, const char *label,
                              double height);

#endif
