/* plot_data.c: what goes on the axes of plot.c: polylines that break at NaN and clamp
 * off-scale points to the frame with an overflow mark, markers, and the legend (plot.h).
 *
 * Legend: frac position along an axis (0 at lo, 1 at hi); (px, py) logical units in the
 * frame; (ox, oy) -1 / 0 / +1 for below / inside / above the range; w the line width; fs the
 * theme's base font size; s the overflow mark's size.
 */
#include "plot.h"

#include <math.h>

#include "text.h"

#define MARK_SIZE 0.6         /* overflow triangle, in font sizes (at least MARK_LINES widths) */
#define MARK_LINES 3.2

static void set_dash(cairo_t *cr, PlotDash dash, double w)
{
    /* with round caps a dash of length d shows as d + w and a gap g as g - w */
    double dashed[] = {4 * w, 3 * w}, dotted[] = {0, 2.2 * w}, dashdot[] = {4 * w, 2.2 * w, 0, 2.2 * w};
    switch (dash) {
    case PLOT_DASHED: cairo_set_dash(cr, dashed, 2, 0); break;
    case PLOT_DOTTED: cairo_set_dash(cr, dotted, 2, 0); break;
    case PLOT_DASHDOT: cairo_set_dash(cr, dashdot, 4, 0); break;
    case PLOT_SOLID: cairo_set_dash(cr, NULL, 0, 0); break;
    }
}

static double mark_size(const Theme *th)
{
    return fmax(MARK_SIZE * th->font_size, MARK_LINES * th->line_width);
}

/* The triangle path (no fill) of plot_overflow_mark. */
static void mark_path(cairo_t *cr, double s, double px, double py, double dx, double dy)
{
    double bx = px - dx * s, by = py - dy * s, hw = 0.6 * s;   /* base centre, half width */
    cairo_move_to(cr, px, py);
    cairo_line_to(cr, bx - dy * hw, by + dx * hw);
    cairo_line_to(cr, bx + dy * hw, by - dx * hw);
    cairo_close_path(cr);
}

void plot_overflow_mark(cairo_t *cr, const Theme *th, double px, double py, double dx, double dy)
{
    cairo_save(cr);
    mark_path(cr, mark_size(th), px, py, dx, dy);
    rgb_set_source(cr, th->overflow);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* Point i clamped into the frame: (px, py); *ox, *oy = -1, 0, +1 for below, inside, above the
 * range along x, y. Returns 0 for a NaN point (a break in the line). */
static int clamped(const PlotAxes *ax, const double *x, const double *y, size_t i, double *px,
                   double *py, int *ox, int *oy)
{
    double xv = x ? x[i] : (double)i, fx = plot_axis_frac(&ax->x, xv);
    double fy = plot_axis_frac(&ax->y, y[i]);
    if (isnan(xv) || isnan(y[i]) || isnan(fx) || isnan(fy)) return 0;
    *ox = fx < 0 ? -1 : fx > 1 ? 1 : 0;
    *oy = fy < 0 ? -1 : fy > 1 ? 1 : 0;
    fx = fx < 0 ? 0 : fx > 1 ? 1 : fx;
    fy = fy < 0 ? 0 : fy > 1 ? 1 : fy;
    *px = ax->frame.x + ax->frame.w * fx;
    *py = ax->frame.y + ax->frame.h * (1 - fy);
    return 1;
}

/* Overflow marks of the clamped points, one filled path; a mark closer than 0.4 s to the
 * previous one on the same edge is left out (a run of zeros on a log axis is a row of marks). */
static void overflow_marks(cairo_t *cr, const Theme *th, const PlotAxes *ax, const double *x,
                           const double *y, size_t n)
{
    double s = mark_size(th), last[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        double px, py;
        int ox, oy;
        if (!clamped(ax, x, y, i, &px, &py, &ox, &oy) || (!ox && !oy)) continue;
        /* edges: 0 bottom, 1 top, 2 left, 3 right; the position along the edge */
        int edge[2] = {oy < 0 ? 0 : oy > 0 ? 1 : -1, ox < 0 ? 2 : ox > 0 ? 3 : -1};
        for (int k = 0; k < 2; k++) {
            if (edge[k] < 0) continue;
            double along = edge[k] < 2 ? px : py;
            if (fabs(along - last[edge[k]]) < 0.4 * s) continue;
            last[edge[k]] = along;
            mark_path(cr, s, px, py, k == 1 ? ox : 0, k == 0 ? -oy : 0);
            any = 1;
        }
    }
    if (!any) return;
    rgb_set_source(cr, th->overflow);
    cairo_fill(cr);
}

void plot_line(cairo_t *cr, const Theme *th, const PlotAxes *ax, const double *x,
               const double *y, size_t n, Rgb colour, PlotDash dash)
{
    cairo_save(cr);
    cairo_new_path(cr);
    int pen = 0;
    for (size_t i = 0; i < n; i++) {
        double px, py;
        int ox, oy;
        if (!clamped(ax, x, y, i, &px, &py, &ox, &oy)) {
            pen = 0;
            continue;
        }
        if (pen) cairo_line_to(cr, px, py);
        else cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_set_line_width(cr, th->line_width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    set_dash(cr, dash, th->line_width);
    rgb_set_source(cr, colour);
    cairo_stroke(cr);
    overflow_marks(cr, th, ax, x, y, n);
    cairo_restore(cr);
}

static void marker_path(cairo_t *cr, PlotMarker m, double px, double py, double r)
{
    switch (m) {
    case PLOT_MARKER_CIRCLE:
        cairo_new_sub_path(cr);
        cairo_arc(cr, px, py, r, 0, 2 * M_PI);
        break;
    case PLOT_MARKER_SQUARE: cairo_rectangle(cr, px - r * 0.85, py - r * 0.85, 1.7 * r, 1.7 * r); break;
    case PLOT_MARKER_DIAMOND:
        cairo_move_to(cr, px, py - 1.2 * r);
        cairo_line_to(cr, px + 1.2 * r, py);
        cairo_line_to(cr, px, py + 1.2 * r);
        cairo_line_to(cr, px - 1.2 * r, py);
        cairo_close_path(cr);
        break;
    case PLOT_MARKER_NONE: break;
    }
}

void plot_markers(cairo_t *cr, const Theme *th, const PlotAxes *ax, const double *x,
                  const double *y, size_t n, Rgb colour, PlotMarker marker)
{
    if (marker == PLOT_MARKER_NONE) return;
    cairo_save(cr);
    cairo_new_path(cr);
    for (size_t i = 0; i < n; i++) {
        double px, py;
        int ox, oy;
        if (clamped(ax, x, y, i, &px, &py, &ox, &oy) && !ox && !oy)
            marker_path(cr, marker, px, py, 1.6 * th->line_width);
    }
    rgb_set_source(cr, colour);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* ---- legend --------------------------------------------------------------------------- */

static void legend_sample(cairo_t *cr, const Theme *th, const PlotLegendEntry *e, double x,
                          double cy, double w)
{
    if (e->kind == PLOT_LEGEND_OVERFLOW) {
        double s = mark_size(th);
        plot_overflow_mark(cr, th, x + w / 2, cy - s / 2, 0, -1);
        return;
    }
    cairo_move_to(cr, x, cy);
    cairo_line_to(cr, x + w, cy);
    cairo_set_line_width(cr, th->line_width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    set_dash(cr, e->dash, th->line_width);
    rgb_set_source(cr, e->colour);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    marker_path(cr, e->marker, x + w / 2, cy, 1.6 * th->line_width);
    cairo_fill(cr);
}

void plot_legend(cairo_t *cr, const Theme *th, const PlotAxes *ax, const PlotLegendEntry *e,
                 int n, PlotCorner corner)
{
    if (n <= 0) return;
    double fs = th->font_size, pad = 0.5 * fs, sample = 2.6 * fs, lw = 0, h = pad;
    TextStyle st = text_style(th, PLOT_LABEL_SCALE);
    st.markup = 1;
    st.valign = TEXT_MIDDLE;
    double rowh[16];
    if (n > 16) n = 16;
    for (int i = 0; i < n; i++) {
        TextExtent te;
        text_measure(cr, e[i].label, &st, &te);
        lw = fmax(lw, te.w);
        rowh[i] = fmax(te.h, fs) + 0.2 * fs;
        h += rowh[i];
    }
    h += pad - 0.2 * fs;
    double w = pad + sample + pad + lw + pad, m = 0.5 * fs;
    Rect f = ax->frame;
    double x = corner == PLOT_LEGEND_NW || corner == PLOT_LEGEND_SW ? f.x + m : f.x + f.w - m - w;
    double y = corner == PLOT_LEGEND_NE || corner == PLOT_LEGEND_NW ? f.y + m : f.y + f.h - m - h;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    rgb_set_source_alpha(cr, th->background, 0.9);
    cairo_fill_preserve(cr);
    rgb_set_source(cr, th->grid);
    cairo_set_line_width(cr, th->grid_width);
    cairo_stroke(cr);
    double cy = y + pad;
    for (int i = 0; i < n; i++) {
        cy += rowh[i] / 2;
        legend_sample(cr, th, &e[i], x + pad, cy, sample);
        text_draw(cr, x + pad + sample + pad, cy, e[i].label, &st, NULL);
        cy += rowh[i] / 2;
    }
    cairo_restore(cr);
}
