/* train_plot.c: the degradation figure of `reslab train --compare` (train_plot.h).
 * Legend: d a depth index (0 .. ndepths-1), L = depths[d], E epochs, net 0 plain / 1 residual;
 * errors are fractions in the data and percentages on the axes; fs the theme's font size; the
 * layout is made in scene_util_fit's rectangle and drawn scaled into r. */
#include "train_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"
#include "scene_util.h"
#include "text.h"

#define GAP 2.2              /* between panels, in font sizes */
#define BAR_CAP 0.3          /* half width of an error bar's caps, in font sizes */
#define SPLIT 0.035          /* plain and residual bars sit this far apart on log10 depth */

static const char *TITLE = "Plain vs residual nets by depth: the degradation problem";

Rgb train_plot_depth_colour(const Theme *t, size_t i, size_t n)
{
    double f = n > 1 ? (double)i / (double)(n - 1) : 1.0;
    int dark = rgb_luminance(t->background) < 0.5;
    /* light page: shallow = orange (t 0.72), deep = dark purple (0.08); dark page: the reverse
     * end, deep = pale yellow: the deepest net is always the most contrasting curve */
    return colormap_map(COLORMAP_SEQUENTIAL, dark ? 0.35 + 0.6 * f : 0.72 - 0.64 * f);
}

static void note_text(const TrainPlot *p, char *buf, size_t len)
{
    snprintf(buf, len, "Top: training error over the whole training set after each epoch (batch norm "
             "with the set's population statistics), mean over %zu seed%s. Bottom left: the same "
             "after the last epoch, mean and [min, max] over the seeds. "
             "Bottom right: std of every layer's response (after batch norm, before the addition "
             "and ReLU; He et al. 2015, Fig. 7), mean over the seeds, log scale. Dashed: plain; "
             "solid: residual.",
             p->nseeds, p->nseeds == 1 ? "" : "s");
}

/* y from 0 to the largest finite value of v[0 .. n-1] (x 100 if pct), nicely rounded. */
static void zero_based(PlotAxis *y, const double *v, size_t n, double scale)
{
    double m = 0.0;
    for (size_t i = 0; v && i < n; i++)
        if (isfinite(v[i])) m = fmax(m, scale * v[i]);
    y->scale = PLOT_LINEAR;
    y->lo = 0.0;
    y->hi = m > 0 ? m : 1.0;
    plot_range_finish(y);
    y->lo = 0.0;
}

static void curves_axes(const TrainPlot *p, Rect outer, int net, double ymax, PlotAxes *ax)
{
    memset(ax, 0, sizeof *ax);
    ax->outer = outer;
    ax->title = net ? "Residual nets: training error" : "Plain nets: training error";
    ax->x = (PlotAxis){PLOT_LINEAR, 1, (double)(p->epochs > 1 ? p->epochs : 2), "epoch", 1, {0}};
    ax->y = (PlotAxis){PLOT_LINEAR, 0, ymax, "training error (%)", 0, {0}};
}

static double largest(const TrainPlot *p, const double *const v[2], size_t per_depth)
{
    double m = 0.0;
    for (int net = 0; net < 2; net++)
        for (size_t i = 0; v[net] && i < p->ndepths * per_depth; i++)
            if (isfinite(v[net][i])) m = fmax(m, v[net][i]);
    return m;
}

/* Tick marks at the depths themselves on the log axis of the final panel. */
static void depth_ticks(cairo_t *cr, const Theme *t, const TrainPlot *p, PlotAxes *ax)
{
    TextStyle st = text_style(t, PLOT_TICK_SCALE);
    st.markup = 1;
    Ticks *k = &ax->x.ticks;
    k->n = (int)p->ndepths;
    k->nminor = 0;
    for (size_t d = 0; d < p->ndepths; d++) {
        TextExtent e;
        k->v[d] = (double)p->depths[d];
        snprintf(k->label[d], TICKS_LABEL_MAX, "%zu", p->depths[d]);
        text_measure(cr, k->label[d], &st, &e);
        k->lw[d] = e.w, k->lh[d] = e.h;
    }
}

static void final_axes(cairo_t *cr, const Theme *t, const TrainPlot *p, Rect outer, PlotAxes *ax)
{
    memset(ax, 0, sizeof *ax);
    ax->outer = outer;
    ax->title = "Final training error by depth";
    double lo = (double)p->depths[0], hi = (double)p->depths[p->ndepths - 1];
    ax->x = (PlotAxis){PLOT_LOG10, lo / 1.5, hi * 1.5, "depth <i>L</i> (blocks; log scale)", 0, {0}};
    const double *hv[2] = {p->final_hi[0], p->final_hi[1]};
    double m = 100.0 * largest(p, hv, 1);
    zero_based(&ax->y, &m, 1, 1.0);
    ax->y.label = "training error (%)";
    plot_layout(cr, t, ax);
    depth_ticks(cr, t, p, ax);
}

static void resp_axes(cairo_t *cr, const Theme *t, const TrainPlot *p, Rect outer, PlotAxes *ax)
{
    memset(ax, 0, sizeof *ax);
    ax->outer = outer;
    ax->title = "Layer responses of the trained nets (Fig. 7)";
    ax->x = (PlotAxis){PLOT_LINEAR, 0.5, 2.0 * (double)p->depths[p->ndepths - 1] + 0.5,
                       "layer index (2 per block)", 1, {0}};
    ax->y = (PlotAxis){PLOT_LOG10, NAN, NAN, "std of the response", 0, {0}};
    for (int net = 0; net < 2; net++)
        for (size_t d = 0; p->resp[net] && d < p->ndepths; d++)
            if (p->resp[net][d]) plot_range_include(&ax->y, p->resp[net][d], 2 * p->depths[d]);
    plot_range_finish(&ax->y);
    plot_layout(cr, t, ax);
}

/* The layout in the fitted rectangle fig (scene_util_fit). */
static void layout_fig(cairo_t *cr, const Theme *t, const TrainPlot *p, Rect fig, TrainPlotLayout *L)
{
    char note[1024];
    note_text(p, note, sizeof note);
    Rect title, nrect, body = scene_util_page(cr, t, fig, TITLE, p->subtitle ? p->subtitle : "", note,
                                              &title, &nrect);
    Rect rows[2], top[2], bottom[2];
    layout_split_rows(body, 2, GAP * t->font_size, rows);
    layout_split_cols(rows[0], 2, GAP * t->font_size, top);
    layout_split_cols(rows[1], 2, GAP * t->font_size, bottom);
    double ymax = 100.0 * largest(p, p->curve, p->epochs);
    PlotAxis y = {0};
    zero_based(&y, &ymax, 1, 1.0);
    for (int net = 0; net < 2; net++) {
        curves_axes(p, top[net], net, y.hi, &L->curves[net]);
        plot_layout(cr, t, &L->curves[net]);
    }
    final_axes(cr, t, p, bottom[0], &L->final);
    resp_axes(cr, t, p, bottom[1], &L->resp);
}

void train_plot_layout(cairo_t *cr, Rect r, const Theme *t, const TrainPlot *p, TrainPlotLayout *out)
{
    Rect fig;
    double k = scene_util_fit(r, t, &fig);
    layout_fig(cr, t, p, fig, out);
    for (int i = 0; i < 2; i++) scene_util_axes_to_caller(&out->curves[i], r, k);
    scene_util_axes_to_caller(&out->final, r, k);
    scene_util_axes_to_caller(&out->resp, r, k);
}

/* ---- drawing -------------------------------------------------------------------------------- */

static void draw_curves(cairo_t *cr, const Theme *t, const TrainPlot *p, const PlotAxes *ax, int net)
{
    size_t E = p->epochs;
    double *x = malloc(E * sizeof *x), *y = malloc(E * sizeof *y);
    plot_draw_axes(cr, t, ax);
    for (size_t d = 0; x && y && p->curve[net] && d < p->ndepths; d++) {
        for (size_t e = 0; e < E; e++) x[e] = (double)(e + 1), y[e] = 100.0 * p->curve[net][d * E + e];
        plot_line(cr, t, ax, x, y, E, train_plot_depth_colour(t, d, p->ndepths), net ? PLOT_SOLID : PLOT_DASHED);
    }
    free(x), free(y);
}

/* The legend of the depths (colour) in the residual panel's top right corner. */
static void depth_legend(cairo_t *cr, const Theme *t, const TrainPlot *p, const PlotAxes *ax)
{
    static char labels[TRAIN_PLOT_MAX_DEPTHS][32];
    PlotLegendEntry e[TRAIN_PLOT_MAX_DEPTHS];
    size_t n = p->ndepths < TRAIN_PLOT_MAX_DEPTHS ? p->ndepths : TRAIN_PLOT_MAX_DEPTHS;
    for (size_t d = 0; d < n; d++) {
        snprintf(labels[d], sizeof labels[d], "<i>L</i> = %zu", p->depths[d]);
        e[d] = (PlotLegendEntry){labels[d], train_plot_depth_colour(t, d, p->ndepths), PLOT_SOLID,
                                 PLOT_MARKER_NONE, PLOT_LEGEND_LINE};
    }
    plot_legend(cr, t, ax, e, (int)n, PLOT_LEGEND_NE);
}

/* One net's final errors: a bar from lo to hi at each depth, the mean as a line with markers. */
static void draw_final_net(cairo_t *cr, const Theme *t, const TrainPlot *p, const PlotAxes *ax, int net)
{
    double x[TRAIN_PLOT_MAX_DEPTHS], y[TRAIN_PLOT_MAX_DEPTHS], cap = BAR_CAP * t->font_size;
    size_t n = p->ndepths < TRAIN_PLOT_MAX_DEPTHS ? p->ndepths : TRAIN_PLOT_MAX_DEPTHS;
    Rgb c = net ? t->residual : t->plain;
    cairo_save(cr);
    rgb_set_source(cr, c);
    cairo_set_line_width(cr, 0.6 * t->line_width);
    for (size_t d = 0; d < n; d++) {
        x[d] = (double)p->depths[d] * pow(10.0, net ? SPLIT : -SPLIT);
        y[d] = 100.0 * p->final_mean[net][d];
        double lo = 100.0 * p->final_lo[net][d], hi = 100.0 * p->final_hi[net][d];
        if (!isfinite(lo) || !isfinite(hi)) continue;
        double px = plot_x(ax, x[d]), y0 = plot_y(ax, lo), y1 = plot_y(ax, hi);
        cairo_move_to(cr, px, y0), cairo_line_to(cr, px, y1);
        cairo_move_to(cr, px - cap, y0), cairo_line_to(cr, px + cap, y0);
        cairo_move_to(cr, px - cap, y1), cairo_line_to(cr, px + cap, y1);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
    plot_line(cr, t, ax, x, y, n, c, net ? PLOT_SOLID : PLOT_DASHED);
    plot_markers(cr, t, ax, x, y, n, c, net ? PLOT_MARKER_SQUARE : PLOT_MARKER_CIRCLE);
}

static void draw_final(cairo_t *cr, const Theme *t, const TrainPlot *p, const PlotAxes *ax)
{
    plot_draw_axes(cr, t, ax);
    for (int net = 0; net < 2; net++)
        if (p->final_mean[net] && p->final_lo[net] && p->final_hi[net]) draw_final_net(cr, t, p, ax, net);
    PlotLegendEntry e[2] = {
        {"plain", t->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE, PLOT_LEGEND_LINE},
        {"residual", t->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, PLOT_LEGEND_LINE}};
    plot_legend(cr, t, ax, e, 2, PLOT_LEGEND_NW);
}

static void draw_resp(cairo_t *cr, const Theme *t, const TrainPlot *p, const PlotAxes *ax)
{
    plot_draw_axes(cr, t, ax);
    size_t Lmax = p->depths[p->ndepths - 1];
    double *x = malloc(2 * Lmax * sizeof *x);
    for (size_t j = 0; x && j < 2 * Lmax; j++) x[j] = (double)(j + 1);
    for (int net = 0; x && net < 2; net++)
        for (size_t d = 0; p->resp[net] && d < p->ndepths; d++)
            if (p->resp[net][d])
                plot_line(cr, t, ax, x, p->resp[net][d], 2 * p->depths[d],
                          train_plot_depth_colour(t, d, p->ndepths), net ? PLOT_SOLID : PLOT_DASHED);
    free(x);
}

void train_plot_draw(cairo_t *cr, Rect r, const Theme *t, const TrainPlot *p)
{
    Rect fig, title, nrect;
    char note[1024];
    if (p->ndepths < 1 || p->ndepths > TRAIN_PLOT_MAX_DEPTHS || p->epochs < 1) return;
    scene_util_begin(cr, r, t, &fig);
    TrainPlotLayout L;
    layout_fig(cr, t, p, fig, &L);
    note_text(p, note, sizeof note);
    scene_util_page(cr, t, fig, TITLE, p->subtitle ? p->subtitle : "", note, &title, &nrect);
    scene_util_header(cr, t, title, TITLE, p->subtitle ? p->subtitle : "", 1);
    TextStyle st = scene_util_note_style(t, nrect.w);
    text_draw(cr, nrect.x, nrect.y, note, &st, NULL);
    for (int net = 0; net < 2; net++) draw_curves(cr, t, p, &L.curves[net], net);
    depth_legend(cr, t, p, &L.curves[TRAIN_PLOT_RESIDUAL]);
    draw_final(cr, t, p, &L.final);
    draw_resp(cr, t, p, &L.resp);
    cairo_restore(cr);
}

/* ---- decision regions ---------------------------------------------------------------------- */

Rgb train_plot_class_colour(const Theme *t, int c) { return theme_palette(t, 2 + c); }

static unsigned int argb(Rgb c)
{
    unsigned int r = (unsigned int)lround(255 * fmin(fmax(c.r, 0), 1));
    unsigned int g = (unsigned int)lround(255 * fmin(fmax(c.g, 0), 1));
    unsigned int b = (unsigned int)lround(255 * fmin(fmax(c.b, 0), 1));
    return 0xff000000u | r << 16 | g << 8 | b;
}

/* The G x G image of the regions, one pixel per cell. NULL if out of memory. */
static cairo_surface_t *regions_image(const Theme *t, const unsigned char *cls, const double *conf,
                                      size_t G, size_t k)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)G, (int)G);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return NULL;
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    double floor_k = 1.0 / (double)(k > 1 ? k : 2);
    for (size_t i = 0; i < G; i++) {
        unsigned int *row = (unsigned int *)(void *)(data + (size_t)stride * i);
        for (size_t j = 0; j < G; j++) {
            unsigned char c = cls[i * G + j];
            double sure = (conf[i * G + j] - floor_k) / (1.0 - floor_k);   /* 0 at chance, 1 sure */
            Rgb col = c == 255 ? t->overflow
                               : rgb_mix(t->background, train_plot_class_colour(t, c),
                                         0.2 + 0.45 * fmin(fmax(sure, 0.0), 1.0));
            row[j] = argb(col);
        }
    }
    cairo_surface_mark_dirty(img);
    return img;
}

/* One point: a disc of radius rad in class colour c with a thin outline, centred at (px, py). */
static void dot(cairo_t *cr, const Theme *t, int c, double px, double py, double rad)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, px, py, rad, 0, 2 * M_PI);
    rgb_set_source(cr, train_plot_class_colour(t, c));
    cairo_fill_preserve(cr);
    rgb_set_source(cr, t->foreground);
    cairo_stroke(cr);
}

enum { SPRITE_CLASSES = 16 };

/* The training points. On an image surface (the viewer, PNG) each class's dot is drawn once
 * into a small sprite and copied to every point: 1000 points then cost ~2 ms instead of ~14 ms
 * of path filling and stroking. On vector surfaces (PDF, SVG) every dot is a path. */
static void draw_points(cairo_t *cr, const Theme *t, const PlotAxes *ax, const double *x,
                        const int *y, size_t n, size_t k)
{
    double rad = 0.14 * t->font_size, lw = 0.25 * t->axis_width;
    cairo_set_line_width(cr, lw);
    cairo_surface_t *target = cairo_get_target(cr), *spr[SPRITE_CLASSES] = {0};
    int raster = cairo_surface_get_type(target) == CAIRO_SURFACE_TYPE_IMAGE && k <= SPRITE_CLASSES;
    double side = ceil(2 * rad + lw + 2), half = 0.5 * side;
    for (size_t c = 0; raster && c < k; c++) {
        double sx = 1, sy = 0;                        /* the sprite at the context's scale */
        cairo_user_to_device_distance(cr, &sx, &sy);
        double scale = fabs(sx) > 0 ? fabs(sx) : 1;
        spr[c] = cairo_surface_create_similar_image(target, CAIRO_FORMAT_ARGB32,
                                                    (int)ceil(side * scale), (int)ceil(side * scale));
        if (cairo_surface_status(spr[c]) != CAIRO_STATUS_SUCCESS) raster = 0;
        else {
            cairo_surface_set_device_scale(spr[c], scale, scale);
            cairo_t *sc = cairo_create(spr[c]);
            cairo_set_line_width(sc, lw);
            dot(sc, t, (int)c, half, half, rad);
            cairo_destroy(sc);
        }
    }
    for (size_t i = 0; i < n; i++) {
        double px = plot_x(ax, x[2 * i]), py = plot_y(ax, x[2 * i + 1]);
        if (!isfinite(px) || !isfinite(py)) continue;
        if (raster && y[i] >= 0 && (size_t)y[i] < k) {
            /* at whole device pixels: an integer translation composites without filtering */
            double dx = px - half, dy = py - half;
            cairo_user_to_device(cr, &dx, &dy);
            dx = floor(dx + 0.5), dy = floor(dy + 0.5);
            cairo_device_to_user(cr, &dx, &dy);
            cairo_set_source_surface(cr, spr[y[i]], dx, dy);
            cairo_rectangle(cr, dx, dy, side, side);
            cairo_fill(cr);
        } else {
            dot(cr, t, y[i], px, py, rad);
        }
    }
    for (size_t c = 0; c < SPRITE_CLASSES; c++)
        if (spr[c]) cairo_surface_destroy(spr[c]);
}

void train_plot_regions(cairo_t *cr, const Theme *t, const PlotAxes *ax, const unsigned char *cls,
                        const double *conf, size_t G, size_t k, const double *x, const int *y,
                        size_t n)
{
    Rect f = ax->frame;
    if (G == 0 || !(f.w > 0) || !(f.h > 0)) return;
    cairo_surface_t *img = regions_image(t, cls, conf, G, k);
    cairo_save(cr);
    cairo_rectangle(cr, f.x, f.y, f.w, f.h);
    cairo_clip(cr);
    if (img) {
        cairo_save(cr);
        cairo_translate(cr, f.x, f.y);
        cairo_scale(cr, f.w / (double)G, f.h / (double)G);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(img);
    }
    draw_points(cr, t, ax, x, y, n, k);
    cairo_restore(cr);
}
