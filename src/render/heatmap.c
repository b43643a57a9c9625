/* heatmap.c: matrix cells as one nearest-neighbour-scaled image, and a colour bar.
 *
 * Legend: (i, j) a cell, row i < rows, column j < cols, value v[i * cols + j]; (W, H) the image
 * in pixels, one pixel per cell: (cols, rows), or (rows, cols) when rows run along x; t the
 * position in the colour map; lut the map sampled at HEATMAP_LUT_SIZE points.
 */
#include "heatmap.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "status.h"
#include "text.h"
#include "ticks.h"

#define BAR_WIDTH 0.9        /* colour bar width, in font sizes */
#define TICK_LEN 0.35
#define PAD 0.4
#define MAX_SIDE 32767       /* cairo's largest image surface side */
#define OVERFLOW_LABEL "NaN / \xc2\xb1inf"

void heatmap_auto_range(Heatmap *hm, double max_abs)
{
    size_t n = hm->rows * hm->cols;
    double a = INFINITY, b = -INFINITY, m = 0;
    for (size_t k = 0; k < n; k++) {
        double x = hm->v[k];
        if (!isfinite(x)) continue;
        a = x < a ? x : a;
        b = x > b ? x : b;
        m = fabs(x) > m ? fabs(x) : m;
    }
    if (hm->map == COLORMAP_DIVERGING) {
        if (max_abs > 0 && isfinite(max_abs)) m = max_abs;
        if (!(m > 0)) m = 1;
        hm->lo = -m;
        hm->hi = m;
    } else if (a > b) {                     /* no finite value */
        hm->lo = 0;
        hm->hi = 1;
    } else {
        hm->lo = a;
        hm->hi = b > a ? b : a + 1;
    }
}

/* t = (v - lo) / (hi - lo) = v * scale + shift, computed in halves so that hi - lo cannot
 * overflow; the one formula behind heatmap_colour and the cells, so they agree to the bit. */
static void t_affine(const Heatmap *hm, double *scale, double *shift)
{
    double span = 0.5 * hm->hi - 0.5 * hm->lo;
    *scale = span != 0 && isfinite(span) ? 0.5 / span : 0;
    *shift = *scale != 0 ? -0.5 * hm->lo / span : 0.5;
}

/* The lookup-table entry of t (colormap_lut_index, inlined in the cell loop below). */
static inline int lut_index(double t)
{
    return t <= 0 ? 0 : t >= 1 ? HEATMAP_LUT_SIZE - 1 : (int)(t * (HEATMAP_LUT_SIZE - 1) + 0.5);
}

Rgb heatmap_colour(const Theme *th, const Heatmap *hm, double v)
{
    if (!isfinite(v)) return th->overflow;
    double scale, shift;
    t_affine(hm, &scale, &shift);
    int k = lut_index(v * scale + shift);
    return colormap_map(hm->map, (double)k / (HEATMAP_LUT_SIZE - 1));
}

void heatmap_axes(const Heatmap *hm, PlotAxes *ax, const char *xlabel, const char *ylabel)
{
    double nx = (double)(hm->rows_along_x ? hm->rows : hm->cols);
    double ny = (double)(hm->rows_along_x ? hm->cols : hm->rows);
    PlotAxis x = {PLOT_LINEAR, -0.5, nx - 0.5, xlabel, 1, {0}};
    PlotAxis y = {PLOT_LINEAR, ny - 0.5, -0.5, ylabel, 1, {0}};
    ax->x = x;
    ax->y = y;
    ax->hide_grid = 1;
}

/* Pixels [*p0, *p1] of an n-pixel axis that cell k of N covers (at least one). */
static void cell_span(size_t k, size_t N, size_t n, size_t *p0, size_t *p1)
{
    *p0 = k * n / N;
    size_t end = ((k + 1) * n + N - 1) / N;             /* ceil((k + 1) n / N) */
    *p1 = end > *p0 + 1 ? end - 1 : *p0;
}

/* The W x H cells as an OW x OH image: each pixel shows the cell at its centre (nearest), and
 * when cells are narrower than pixels a non-finite cell still paints every pixel it touches,
 * so a single NaN among 1000 layers cannot vanish between pixels. NULL if out of memory. */
static cairo_surface_t *cells_image(const Theme *th, const Heatmap *hm, size_t OW, size_t OH)
{
    size_t W = hm->rows_along_x ? hm->rows : hm->cols, H = hm->rows_along_x ? hm->cols : hm->rows;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)OW, (int)OH);
    size_t *cx = malloc((OW + OH) * sizeof *cx), *cy = cx + OW;
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS || !cx) {
        cairo_surface_destroy(img);
        free(cx);
        return NULL;
    }
    for (size_t o = 0; o < OW; o++) cx[o] = (2 * o + 1) * W / (2 * OW);   /* centre's cell */
    for (size_t o = 0; o < OH; o++) cy[o] = (2 * o + 1) * H / (2 * OH);
    uint32_t lut[HEATMAP_LUT_SIZE], bad = rgb_argb32(th->overflow);
    colormap_lut(hm->map, lut, HEATMAP_LUT_SIZE);
    double scale, shift;
    t_affine(hm, &scale, &shift);
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    size_t stride = (size_t)cairo_image_surface_get_stride(img);
    /* the outer loop runs over the matrix's rows, so the reads go along memory */
    size_t n_out = hm->rows_along_x ? OW : OH, n_in = hm->rows_along_x ? OH : OW;
    const size_t *ci = hm->rows_along_x ? cx : cy, *cj = hm->rows_along_x ? cy : cx;
    for (size_t a = 0; a < n_out; a++) {
        const double *row = hm->v + ci[a] * hm->cols;
        for (size_t b = 0; b < n_in; b++) {
            double v = row[cj[b]];
            size_t ox = hm->rows_along_x ? a : b, oy = hm->rows_along_x ? b : a;
            ((uint32_t *)(data + oy * stride))[ox] =
                isfinite(v) ? lut[lut_index(v * scale + shift)] : bad;
        }
    }
    if (OW < W || OH < H)                      /* downsampled: let no non-finite cell vanish */
        for (size_t k = 0; k < hm->rows * hm->cols; k++) {
            if (isfinite(hm->v[k])) continue;
            size_t i = k / hm->cols, j = k % hm->cols, x0, x1, y0, y1;
            cell_span(hm->rows_along_x ? i : j, W, OW, &x0, &x1);
            cell_span(hm->rows_along_x ? j : i, H, OH, &y0, &y1);
            for (size_t py = y0; py <= y1; py++)
                for (size_t px = x0; px <= x1; px++) ((uint32_t *)(data + py * stride))[px] = bad;
        }
    cairo_surface_mark_dirty(img);
    free(cx);
    return img;
}

/* Paint img (W x H) into r, each pixel a sharp rectangle. */
static void paint_scaled(cairo_t *cr, cairo_surface_t *img, Rect r)
{
    int W = cairo_image_surface_get_width(img), H = cairo_image_surface_get_height(img);
    cairo_save(cr);
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, r.w / W, r.h / H);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, W, H);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* Image size for drawing W x H cells into r on cr's surface (see heatmap_draw). */
static void image_size(cairo_t *cr, Rect r, size_t W, size_t H, size_t *OW, size_t *OH)
{
    *OW = W;
    *OH = H;
    cairo_surface_type_t type = cairo_surface_get_type(cairo_get_target(cr));
    if (type == CAIRO_SURFACE_TYPE_SVG) {
        /* SVG viewers (rsvg, browsers) smooth embedded images and cairo 1.16 writes no
         * image-rendering hint: make each cell a block of pixels <= half a point, so the
         * smoothing only softens a sub-point rim */
        size_t mx = (size_t)ceil(2 * r.w / W), my = (size_t)ceil(2 * r.h / H);
        *OW = W * (mx < 1 ? 1 : mx);
        *OH = H * (my < 1 ? 1 : my);
    } else if (type == CAIRO_SURFACE_TYPE_IMAGE) {
        /* pixels: no more image columns (rows) than device pixels, so that cairo never drops
         * a column; cells_image keeps non-finite cells visible */
        double dx = r.w, dy = 0, ex = 0, ey = r.h;
        cairo_user_to_device_distance(cr, &dx, &dy);
        cairo_user_to_device_distance(cr, &ex, &ey);
        double pw = floor(hypot(dx, dy)), ph = floor(hypot(ex, ey));
        if (pw < W) *OW = pw < 1 ? 1 : (size_t)pw;
        if (ph < H) *OH = ph < 1 ? 1 : (size_t)ph;
    }                                         /* PDF, recordings: one pixel per cell */
    if (*OW > MAX_SIDE) *OW = W;
    if (*OH > MAX_SIDE) *OH = H;
}

int heatmap_draw(cairo_t *cr, const Theme *th, Rect r, const Heatmap *hm)
{
    if (!hm->v || hm->rows == 0 || hm->cols == 0 || hm->rows > MAX_SIDE || hm->cols > MAX_SIDE)
        return RESLAB_ERR_INVALID;
    if (!(r.w > 0) || !(r.h > 0)) return RESLAB_OK;        /* nothing to fill */
    size_t W = hm->rows_along_x ? hm->rows : hm->cols, H = hm->rows_along_x ? hm->cols : hm->rows;
    size_t OW, OH;
    image_size(cr, r, W, H, &OW, &OH);
    cairo_surface_t *img = cells_image(th, hm, OW, OH);
    if (!img) return RESLAB_ERR_NOMEM;
    paint_scaled(cr, img, r);
    cairo_surface_destroy(img);
    return RESLAB_OK;
}

/* ---- colour bar ---------------------------------------------------------------------- */

/* The bar: the left BAR_WIDTH font sizes of r, its full height. */
static Rect bar_rect(const Theme *th, Rect r)
{
    Rect b = {r.x, r.y, BAR_WIDTH * th->font_size, r.h > 1 ? r.h : 1};
    return b;
}

double heatmap_colorbar_width(cairo_t *cr, const Theme *th, const Heatmap *hm, const char *label,
                              double height)
{
    double fs = th->font_size;
    Ticks t;
    TextStyle st = text_style(th, PLOT_TICK_SCALE);
    ticks_fit(cr, &t, hm->lo, hm->hi, 0, 0, height, 1, &st);
    double w = (BAR_WIDTH + TICK_LEN + PAD / 2) * fs + ticks_max_width(&t);
    TextExtent e;
    if (label) {
        TextStyle ls = text_style(th, PLOT_LABEL_SCALE);
        ls.markup = 1;
        text_measure(cr, label, &ls, &e);
        w += PAD * fs + e.h;
    }
    st.markup = 1;
    text_measure(cr, OVERFLOW_LABEL, &st, &e);                /* the swatch label */
    return fmax(w, (BAR_WIDTH + PAD) * fs + e.w);
}

/* The map from t = 0 (bottom) to 1 (top) as a 1 x 256 image stretched over b. */
static void bar_gradient(cairo_t *cr, Rect b, Colormap map)
{
    enum { N = 256 };
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, N);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(img);
        unsigned char *data = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        uint32_t lut[N];
        colormap_lut(map, lut, N);
        for (int k = 0; k < N; k++) *(uint32_t *)(data + (size_t)k * stride) = lut[N - 1 - k];
        cairo_surface_mark_dirty(img);
        paint_scaled(cr, img, b);
    }
    cairo_surface_destroy(img);
}

void heatmap_colorbar(cairo_t *cr, const Theme *th, Rect r, const Heatmap *hm, const char *label,
                      int show_overflow)
{
    double fs = th->font_size;
    Rect b = bar_rect(th, r);
    cairo_save(cr);
    bar_gradient(cr, b, hm->map);
    Ticks t;
    TextStyle st = text_style(th, PLOT_TICK_SCALE);
    ticks_fit(cr, &t, hm->lo, hm->hi, 0, 0, b.h, 1, &st);
    st.markup = 1;
    st.valign = TEXT_MIDDLE;
    double x1 = b.x + b.w, lx = x1 + (TICK_LEN + PAD / 2) * fs;
    for (int i = 0; i < t.n; i++) {
        double y = b.y + b.h * (1 - ticks_frac(t.v[i], hm->lo, hm->hi, 0));
        cairo_move_to(cr, x1, y);
        cairo_line_to(cr, x1 + TICK_LEN * fs, y);
    }
    cairo_rectangle(cr, b.x, b.y, b.w, b.h);
    rgb_set_source(cr, th->foreground);
    cairo_set_line_width(cr, th->grid_width);
    cairo_stroke(cr);
    for (int i = 0; i < t.n; i++)
        text_draw(cr, lx, b.y + b.h * (1 - ticks_frac(t.v[i], hm->lo, hm->hi, 0)), t.label[i], &st,
                  NULL);
    if (show_overflow) {
        Rect s = {b.x, b.y + b.h + 1.2 * fs, b.w, b.w};
        cairo_rectangle(cr, s.x, s.y, s.w, s.h);
        rgb_set_source(cr, th->overflow);
        cairo_fill_preserve(cr);
        rgb_set_source(cr, th->foreground);
        cairo_stroke(cr);
        text_draw(cr, s.x + s.w + PAD * fs, s.y + s.h / 2, OVERFLOW_LABEL, &st, NULL);
    }
    if (label) {
        st = text_style(th, PLOT_LABEL_SCALE);
        st.markup = 1;
        st.halign = TEXT_CENTER;
        st.valign = TEXT_TOP;                 /* rotated: the top of the text faces left */
        st.angle = M_PI / 2;
        text_draw(cr, lx + ticks_max_width(&t) + PAD * fs, b.y + b.h / 2, label, &st, NULL);
    }
    cairo_restore(cr);
}
