/* plot.c: axes: ranges, layout, data -> logical units, grid, ticks and titles. The data drawn
 * on them (polylines, overflow marks, markers, legend) is in plot_data.c; plot.h is the manual
 * for both.
 *
 * Legend: frac position along an axis (0 at lo, 1 at hi, see ticks_frac); (px, py) logical
 * units in the frame; fs the theme's base font size.
 */
#include "plot.h"

#include <float.h>
#include <math.h>

#include "status.h"
#include "text.h"

/* Spacing, as fractions of the base font size fs. */
#define TICK_LEN 0.4          /* major tick length; minor ticks are half */
#define PAD 0.4               /* between tick, tick label, axis title and title */

/* ---- ranges --------------------------------------------------------------------------- */

int plot_range_valid(const PlotAxis *ax)
{
    if (!isfinite(ax->lo) || !isfinite(ax->hi) || ax->lo == ax->hi) return 0;
    return ax->scale != PLOT_LOG10 || (ax->lo > 0 && ax->hi > 0);
}

void plot_range_include(PlotAxis *ax, const double *v, size_t n)
{
    int flip = ax->lo > ax->hi;
    double a = flip ? ax->hi : ax->lo, b = flip ? ax->lo : ax->hi;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]) || (ax->scale == PLOT_LOG10 && !(v[i] > 0))) continue;
        if (isnan(a) || v[i] < a) a = v[i];
        if (isnan(b) || v[i] > b) b = v[i];
    }
    ax->lo = flip ? b : a;
    ax->hi = flip ? a : b;
}

/* [a, b] (a <= b, both finite, > 0) widened outwards to whole decades, within doubles */
static void finish_log(double *a, double *b)
{
    double la = floor(log10(*a)), lb = ceil(log10(*b));
    if (la == lb) {
        la -= 1;
        lb += 1;
    }
    *a = pow(10, la);
    *b = pow(10, lb);
    if (!(*a > 0)) *a = DBL_TRUE_MIN;             /* 10^-324 underflows to 0 */
    if (!isfinite(*b)) *b = DBL_MAX;              /* 10^309 overflows */
}

static void finish_linear(double *a, double *b, int integer)
{
    if (*a == *b) {
        double d = *a == 0 ? 1 : fabs(*a) * 0.1;
        if (integer && d < 1) d = 1;
        *a -= d;
        *b += d;
    }
    double step = ticks_nice_step(2 * ((0.5 * *b - 0.5 * *a) / 5));
    if (integer && step < 1) step = 1;
    double na = floor(*a / step) * step, nb = ceil(*b / step) * step;
    if (isfinite(na) && isfinite(nb)) {
        *a = na;
        *b = nb;
    }
}

void plot_range_finish(PlotAxis *ax)
{
    int flip = ax->lo > ax->hi;
    double a = flip ? ax->hi : ax->lo, b = flip ? ax->lo : ax->hi;
    int log = ax->scale == PLOT_LOG10;
    if (!isfinite(a) || !isfinite(b) || (log && !(a > 0))) {
        ax->lo = log ? 1 : 0;                      /* nothing to show: the default range */
        ax->hi = log ? 10 : 1;
        return;
    }
    if (log) finish_log(&a, &b);
    else finish_linear(&a, &b, ax->integer);
    ax->lo = flip ? b : a;
    ax->hi = flip ? a : b;
}

void plot_auto_range(PlotAxis *ax, PlotScale scale, const double *v, size_t n)
{
    ax->scale = scale;
    ax->lo = ax->hi = NAN;
    plot_range_include(ax, v, n);
    plot_range_finish(ax);
}

/* ---- mapping ------------------------------------------------------------------------ */

double plot_axis_frac(const PlotAxis *ax, double v)
{
    return ticks_frac(v, ax->lo, ax->hi, ax->scale == PLOT_LOG10);
}

double plot_x(const PlotAxes *ax, double x)
{
    return ax->frame.x + ax->frame.w * plot_axis_frac(&ax->x, x);
}

double plot_y(const PlotAxes *ax, double y)
{
    return ax->frame.y + ax->frame.h * (1 - plot_axis_frac(&ax->y, y));
}

/* ---- layout ------------------------------------------------------------------------- */

/* Room the decorations need around the frame, from measured sizes. */
typedef struct {
    double left, right, top, bottom;
} Margins;

/* Tick labels of both axes for the frame f; returns the margins they need. */
static Margins fit_ticks(cairo_t *cr, const Theme *th, PlotAxes *ax, Rect f, double title_h,
                         double xlab_h, double ylab_w)
{
    double fs = th->font_size, gap = (TICK_LEN + PAD / 2) * fs;
    TextStyle st = text_style(th, PLOT_TICK_SCALE);
    ticks_fit(cr, &ax->x.ticks, ax->x.lo, ax->x.hi, ax->x.scale == PLOT_LOG10, ax->x.integer,
              f.w, 0, &st);
    ticks_fit(cr, &ax->y.ticks, ax->y.lo, ax->y.hi, ax->y.scale == PLOT_LOG10, ax->y.integer,
              f.h, 1, &st);
    Margins m = {ylab_w + ticks_max_width(&ax->y.ticks) + gap, PAD * fs,
                 title_h + ticks_max_height(&ax->y.ticks) / 2,
                 gap + ticks_max_height(&ax->x.ticks) + xlab_h};
    for (int i = 0; i < ax->x.ticks.n; i++) {           /* labels sticking out on the right */
        double fr = plot_axis_frac(&ax->x, ax->x.ticks.v[i]);
        m.right = fmax(m.right, ax->x.ticks.lw[i] / 2 - (1 - fr) * f.w);
    }
    return m;
}

static Rect frame_in(Rect o, Margins m)
{
    Rect f = {o.x + m.left, o.y + m.top, o.w - m.left - m.right, o.h - m.top - m.bottom};
    if (f.w < 1) f.w = 1;
    if (f.h < 1) f.h = 1;
    return f;
}

int plot_layout(cairo_t *cr, const Theme *th, PlotAxes *ax)
{
    int rc = RESLAB_OK;
    PlotAxis *axis[2] = {&ax->x, &ax->y};
    for (int k = 0; k < 2; k++)
        if (!plot_range_valid(axis[k])) {
            axis[k]->lo = axis[k]->hi = NAN;
            plot_range_finish(axis[k]);
            rc = RESLAB_ERR_INVALID;
        }
    double fs = th->font_size;
    TextExtent e;
    TextStyle st = text_style(th, PLOT_TITLE_SCALE);
    st.bold = st.markup = 1;
    st.max_width = ax->outer.w;
    double title_h = ax->title ? (text_measure(cr, ax->title, &st, &e), e.h + PAD * fs) : 0;
    st = text_style(th, PLOT_LABEL_SCALE);
    st.markup = 1;
    double xlab_h = ax->x.label ? (text_measure(cr, ax->x.label, &st, &e), e.h + PAD * fs) : 0;
    double ylab_w = ax->y.label ? (text_measure(cr, ax->y.label, &st, &e), e.h + PAD * fs) : 0;
    /* first guess, then refit until the reserved room holds the labels the frame gets */
    Margins m = {ylab_w + 3 * fs, PAD * fs, title_h + fs / 2, 2 * fs + xlab_h};
    for (int pass = 0; pass < 4; pass++) {
        ax->frame = frame_in(ax->outer, m);
        Margins need = fit_ticks(cr, th, ax, ax->frame, title_h, xlab_h, ylab_w);
        if (need.left <= m.left && need.right <= m.right && need.top <= m.top &&
            need.bottom <= m.bottom && pass > 0)
            break;
        m.left = fmax(need.left, pass > 1 ? m.left : 0);   /* from pass 2 on, only grow */
        m.right = fmax(need.right, pass > 1 ? m.right : 0);
        m.top = fmax(need.top, pass > 1 ? m.top : 0);
        m.bottom = fmax(need.bottom, pass > 1 ? m.bottom : 0);
    }
    return rc;
}

/* ---- decoration --------------------------------------------------------------------- */

/* v moved so that a line of this width along it is crisp on the device pixel grid */
static double snap(cairo_t *cr, double v, double width, int vertical_line)
{
    double x = vertical_line ? v : 0, y = vertical_line ? 0 : v, w = width, z = 0;
    cairo_user_to_device(cr, &x, &y);
    cairo_user_to_device_distance(cr, &w, &z);
    double d = vertical_line ? x : y, wd = fabs(w) > 0 ? fabs(w) : fabs(z);
    double odd = fmod(round(wd), 2) == 1 || round(wd) < 1 ? 0.5 : 0;
    double s = floor(d) + odd;
    if (vertical_line) x = s; else y = s;
    cairo_device_to_user(cr, &x, &y);
    return vertical_line ? x : y;
}

/* Tick marks (major, minor) or grid lines of one axis. */
static void axis_lines(cairo_t *cr, const PlotAxes *ax, int is_x, double len, double width,
                       int grid)
{
    const PlotAxis *a = is_x ? &ax->x : &ax->y;
    Rect f = ax->frame;
    int n = grid ? a->ticks.n : a->ticks.n + a->ticks.nminor;
    for (int i = 0; i < n; i++) {
        int minor = i >= a->ticks.n;
        double v = minor ? a->ticks.minor[i - a->ticks.n] : a->ticks.v[i];
        double fr = plot_axis_frac(a, v), l = minor ? len / 2 : len;
        if (!(fr >= -1e-9 && fr <= 1 + 1e-9)) continue;
        if (grid && (fr < 1e-3 || fr > 1 - 1e-3)) continue;     /* the frame is drawn there */
        if (is_x) {
            double px = snap(cr, f.x + f.w * fr, width, 1);
            cairo_move_to(cr, px, grid ? f.y : f.y + f.h);
            cairo_line_to(cr, px, grid ? f.y + f.h : f.y + f.h + l);
        } else {
            double py = snap(cr, f.y + f.h * (1 - fr), width, 0);
            cairo_move_to(cr, grid ? f.x + f.w : f.x, py);
            cairo_line_to(cr, f.x - (grid ? 0 : l), py);
        }
    }
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
}

static void tick_labels(cairo_t *cr, const Theme *th, const PlotAxes *ax)
{
    double fs = th->font_size, gap = (TICK_LEN + PAD / 2) * fs;
    TextStyle st = text_style(th, PLOT_TICK_SCALE);
    st.markup = 1;
    Rect f = ax->frame;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_TOP;
    for (int i = 0; i < ax->x.ticks.n; i++)
        text_draw(cr, plot_x(ax, ax->x.ticks.v[i]), f.y + f.h + gap, ax->x.ticks.label[i], &st,
                  NULL);
    st.halign = TEXT_RIGHT;
    st.valign = TEXT_MIDDLE;
    for (int i = 0; i < ax->y.ticks.n; i++)
        text_draw(cr, f.x - gap, plot_y(ax, ax->y.ticks.v[i]), ax->y.ticks.label[i], &st, NULL);
}

static void titles(cairo_t *cr, const Theme *th, const PlotAxes *ax)
{
    Rect f = ax->frame, o = ax->outer;
    TextStyle st = text_style(th, PLOT_LABEL_SCALE);
    st.markup = 1;
    st.halign = TEXT_CENTER;
    st.valign = TEXT_BOTTOM;
    text_draw(cr, f.x + f.w / 2, o.y + o.h, ax->x.label, &st, NULL);
    st.valign = TEXT_TOP;
    st.angle = M_PI / 2;                     /* reads bottom to top, its top facing left */
    text_draw(cr, o.x, f.y + f.h / 2, ax->y.label, &st, NULL);
    if (!ax->title) return;
    st = text_style(th, PLOT_TITLE_SCALE);
    st.markup = st.bold = 1;
    st.halign = TEXT_CENTER;
    st.max_width = o.w;
    TextExtent e;
    text_measure(cr, ax->title, &st, &e);
    double cx = e.w <= f.w ? f.x + f.w / 2 : o.x + o.w / 2;    /* over the frame if it fits */
    text_draw(cr, cx, o.y, ax->title, &st, NULL);
}

void plot_draw_axes(cairo_t *cr, const Theme *th, const PlotAxes *ax)
{
    double len = TICK_LEN * th->font_size;
    cairo_save(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    if (!ax->hide_grid) {
        rgb_set_source(cr, th->grid);
        axis_lines(cr, ax, 1, len, th->grid_width, 1);
        axis_lines(cr, ax, 0, len, th->grid_width, 1);
    }
    rgb_set_source(cr, th->foreground);
    axis_lines(cr, ax, 1, len, th->axis_width, 0);
    axis_lines(cr, ax, 0, len, th->axis_width, 0);
    Rect f = ax->frame;
    double x0 = snap(cr, f.x, th->axis_width, 1), x1 = snap(cr, f.x + f.w, th->axis_width, 1);
    double y0 = snap(cr, f.y, th->axis_width, 0), y1 = snap(cr, f.y + f.h, th->axis_width, 0);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_set_line_width(cr, th->axis_width);
    cairo_stroke(cr);
    tick_labels(cr, th, ax);
    titles(cr, th, ax);
    cairo_restore(cr);
}
