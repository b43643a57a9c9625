/* layout.h: rectangles in logical units, and cutting a figure into panels.
 *
 * Usage:
 *     Rect fig = {0, 0, w, h};
 *     Rect title = layout_cut_top(&fig, 40);          title strip; fig is what is left
 *     Rect panel[2];
 *     layout_split_cols(layout_inset(fig, 16), 2, 24, panel);   two panels side by side
 *
 * Logical units: what a draw function sees after the caller's cairo_scale. On PDF and SVG one
 * logical unit is one point; on a PNG exported at scale s it is s pixels (export.h). y grows
 * downwards, as in cairo. Header-only: these are a few lines of arithmetic each.
 */
#ifndef RESLAB_LAYOUT_H
#define RESLAB_LAYOUT_H

/* A rectangle: top-left corner (x, y), width w and height h (both >= 0), logical units. */
typedef struct {
    double x, y, w, h;
} Rect;

/* r shrunk by d on every side (never to a negative size: it collapses to its centre). */
static inline Rect layout_inset(Rect r, double d)
{
    double dx = d * 2 > r.w ? r.w / 2 : d, dy = d * 2 > r.h ? r.h / 2 : d;
    Rect o = {r.x + dx, r.y + dy, r.w - 2 * dx, r.h - 2 * dy};
    return o;
}

/* Cut a strip of height h (clamped to r->h) off the top of *r and return it; *r keeps the rest. */
static inline Rect layout_cut_top(Rect *r, double h)
{
    if (h > r->h) h = r->h;
    Rect o = {r->x, r->y, r->w, h};
    r->y += h;
    r->h -= h;
    return o;
}

/* The same off the bottom, the left and the right. */
static inline Rect layout_cut_bottom(Rect *r, double h)
{
    if (h > r->h) h = r->h;
    r->h -= h;
    Rect o = {r->x, r->y + r->h, r->w, h};
    return o;
}

static inline Rect layout_cut_left(Rect *r, double w)
{
    if (w > r->w) w = r->w;
    Rect o = {r->x, r->y, w, r->h};
    r->x += w;
    r->w -= w;
    return o;
}

static inline Rect layout_cut_right(Rect *r, double w)
{
    if (w > r->w) w = r->w;
    r->w -= w;
    Rect o = {r->x + r->w, r->y, w, r->h};
    return o;
}

/* n >= 1 equal columns of r with gap between them, left to right, into out[0..n-1]. */
static inline void layout_split_cols(Rect r, int n, double gap, Rect *out)
{
    double w = (r.w - gap * (n - 1)) / n;
    if (w < 0) w = 0;
    for (int i = 0; i < n; i++) {
        Rect o = {r.x + i * (w + gap), r.y, w, r.h};
        out[i] = o;
    }
}

/* n >= 1 equal rows of r with gap between them, top to bottom, into out[0..n-1]. */
static inline void layout_split_rows(Rect r, int n, double gap, Rect *out)
{
    double h = (r.h - gap * (n - 1)) / n;
    if (h < 0) h = 0;
    for (int i = 0; i < n; i++) {
        Rect o = {r.x, r.y + i * (h + gap), r.w, h};
        out[i] = o;
    }
}

#endif
