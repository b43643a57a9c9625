/* plot.h: 2-D axes for curves: data -> logical units, nice ticks (linear and log10), grid,
 * labels, titles, a legend, and polylines that survive NaN, inf and values <= 0 on log axes.
 *
 * Usage (a log-scale curve of ||dL/dx_l|| over the layers l = 0 .. L):
 *     PlotAxes ax = {0};
 *     ax.outer = panel;                                    the whole panel, title and labels
 *     ax.title = "Gradient norm";                         Pango markup, or NULL
 *     ax.x = (PlotAxis){PLOT_LINEAR, 0, L, "layer <i>l</i>", 1};
 *     ax.y.scale = PLOT_LOG10;  ax.y.label = "‖∂L/∂x<sub>l</sub>‖";
 *     ax.y.lo = ax.y.hi = NAN;                             empty: widen with the data
 *     plot_range_include(&ax.y, g_plain, L + 1);
 *     plot_range_include(&ax.y, g_res, L + 1);
 *     plot_range_finish(&ax.y);                            nice bounds; default if no data
 *     plot_layout(cr, th, &ax);                            frame and ticks, room for the labels
 *     plot_draw_axes(cr, th, &ax);                         grid, frame, ticks, labels, titles
 *     plot_line(cr, th, &ax, NULL, g_plain, L + 1, th->plain, PLOT_DASHED);   x = 0, 1, 2, ...
 *     plot_line(cr, th, &ax, NULL, g_res, L + 1, th->residual, PLOT_SOLID);
 *     PlotLegendEntry e[] = {{"plain", th->plain, PLOT_DASHED, PLOT_MARKER_NONE, 0},
 *                            {"residual", th->residual, PLOT_SOLID, PLOT_MARKER_NONE, 0}};
 *     plot_legend(cr, th, &ax, e, 2, PLOT_LEGEND_NE);
 *
 * Units: everything is in logical units (see layout.h); plot_x / plot_y give the point in the
 * cairo user space the axes were laid out in. Data are doubles; x may be NULL for 0, 1, 2, ...
 * Values the axes cannot show: NaN (in x or y) breaks the line. A value outside the range,
 * +-inf, and a value <= 0 on a log axis is clamped to the nearest edge of the frame and marked
 * with a small triangle in th->overflow pointing out of the frame, so a gradient that underflows
 * to 0 or overflows to inf is visibly "off the scale", never silently dropped; cairo is never
 * handed a coordinate outside the frame. Text sizes follow th->font_size (PLOT_*_SCALE).
 */
#ifndef RESLAB_PLOT_H
#define RESLAB_PLOT_H

#include <stddef.h>

#include <cairo.h>

#include "layout.h"
#include "rgb.h"
#include "theme.h"
#include "ticks.h"

/* Text sizes relative to th->font_size: tick labels are the smallest text of a figure and
 * must still read from the back of a classroom. */
#define PLOT_TICK_SCALE 0.9
#define PLOT_LABEL_SCALE 1.0
#define PLOT_TITLE_SCALE 1.15

typedef enum { PLOT_LINEAR, PLOT_LOG10 } PlotScale;
typedef enum { PLOT_SOLID, PLOT_DASHED, PLOT_DOTTED, PLOT_DASHDOT } PlotDash;
typedef enum {
    PLOT_MARKER_NONE, PLOT_MARKER_CIRCLE, PLOT_MARKER_SQUARE, PLOT_MARKER_DIAMOND
} PlotMarker;
typedef enum { PLOT_LEGEND_NE, PLOT_LEGEND_NW, PLOT_LEGEND_SE, PLOT_LEGEND_SW } PlotCorner;

typedef struct {
    PlotScale scale;
    double lo, hi;         /* the data values at the left/bottom and the right/top edge;
                              lo > hi flips the axis (matrix rows top-down); log: both > 0 */
    const char *label;     /* axis title, Pango markup, or NULL */
    int integer;           /* 1: ticks only at whole numbers (layer and unit indices) */
    Ticks ticks;           /* set by plot_layout */
} PlotAxis;

typedef struct {
    Rect outer;            /* the panel: frame, ticks, labels and title all fit inside */
    const char *title;     /* plot title above the frame, Pango markup, or NULL */
    PlotAxis x, y;
    int hide_grid;         /* 1: no grid lines (heatmaps: they would cut the cells) */
    Rect frame;            /* the data rectangle, set by plot_layout */
} PlotAxes;

typedef enum { PLOT_LEGEND_LINE, PLOT_LEGEND_OVERFLOW } PlotLegendKind;

typedef struct {
    const char *label;     /* Pango markup */
    Rgb colour;
    PlotDash dash;
    PlotMarker marker;
    PlotLegendKind kind;   /* LINE: a line sample; OVERFLOW: the overflow triangle (colour
                              unused: th->overflow) to explain what the marks mean */
} PlotLegendEntry;

/* ---- ranges ---- */

/* Widen [ax->lo, ax->hi] to include the values of v[0 .. n-1] the axis can show: finite values,
 * and on a log axis only those > 0. NaN bounds mean "empty" (start with lo = hi = NAN). */
void plot_range_include(PlotAxis *ax, const double *v, size_t n);

/* Make the range presentable: log axes widen outwards to whole decades, linear axes to the
 * nearest 1-2-5 step (about five steps; integer axes keep whole numbers); a single value gets
 * room around it; an empty range (nothing finite, or nothing > 0 on a log axis) becomes the
 * default [0, 1] (linear) or [1, 10] (log). Flipped ranges (lo > hi) stay flipped. */
void plot_range_finish(PlotAxis *ax);

/* Both of the above for one array: scale is set, the range is v's. */
void plot_auto_range(PlotAxis *ax, PlotScale scale, const double *v, size_t n);

/* 1 if the axis can map values: lo, hi finite and different, and > 0 on a log axis. */
int plot_range_valid(const PlotAxis *ax);

/* ---- layout and mapping ---- */

/* Choose ticks and the frame: the largest rectangle inside ax->outer that leaves room for the
 * title, the axis titles and the tick labels (measured with cr's fonts; cr may be NULL). Tick
 * counts follow the frame size so labels never overlap. Call again after changing outer, a
 * range or a label. Returns RESLAB_OK, or RESLAB_ERR_INVALID if an axis range was invalid (it
 * is replaced by the default range, so drawing still works and shows an empty plot). */
int plot_layout(cairo_t *cr, const Theme *th, PlotAxes *ax);

/* Where data value v sits along the axis: 0 at lo, 1 at hi, linear in v or log10 v. Not
 * clamped: outside [0, 1] for values out of range, -inf for v <= 0 on a log axis, +-inf for
 * +-inf, NaN for NaN. */
double plot_axis_frac(const PlotAxis *ax, double v);

/* The x (y) coordinate, in logical units, of data value v in the frame; y grows upwards in data
 * and downwards in cairo. Not clamped (see plot_axis_frac): for points inside the range. */
double plot_x(const PlotAxes *ax, double x);
double plot_y(const PlotAxes *ax, double y);

/* ---- drawing ---- */

/* Grid lines at the major ticks, the frame, tick marks (outside the frame), tick labels, the axis
 * titles and the plot title. */
void plot_draw_axes(cairo_t *cr, const Theme *th, const PlotAxes *ax);

/* A polyline through (x[i], y[i]), i < n (x NULL: x[i] = i), th->line_width wide, dashed per
 * dash. NaN breaks it; out-of-range points are clamped to the frame and marked (see above). */
void plot_line(cairo_t *cr, const Theme *th, const PlotAxes *ax, const double *x,
               const double *y, size_t n, Rgb colour, PlotDash dash);

/* A marker at every point inside the range (NaN and out-of-range points get none: plot_line
 * marks those). */
void plot_markers(cairo_t *cr, const Theme *th, const PlotAxes *ax, const double *x,
                  const double *y, size_t n, Rgb colour, PlotMarker marker);

/* The overflow mark: a filled triangle in th->overflow with its tip at (px, py) on the frame,
 * pointing in direction (dx, dy) (one of (0, -1) up, (0, 1) down, (-1, 0), (1, 0)). */
void plot_overflow_mark(cairo_t *cr, const Theme *th, double px, double py, double dx, double dy);

/* A legend box in a corner of the frame, inside it: per entry (at most 16) a line sample in its
 * colour, dash and marker, or the overflow triangle, and its label (Pango markup). The box has
 * a nearly opaque background, so put it in a corner the data leave free. */
void plot_legend(cairo_t *cr, const Theme *th, const PlotAxes *ax, const PlotLegendEntry *e,
                 int n, PlotCorner corner);

#endif
