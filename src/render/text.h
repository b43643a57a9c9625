/* text.h: draw and measure strings and Pango markup with an anchor point and alignment, so the
 * rest of the renderer never touches Pango directly.
 *
 * Usage:
 *     TextStyle st = text_style(th, 1.0);                  the theme's font, base size, colour
 *     st.halign = TEXT_CENTER;  st.valign = TEXT_BASELINE;
 *     text_draw(cr, x, y, "y = F(x) + x", &st, NULL);      centred on x, baseline at y
 *
 *     st.markup = 1;                                       Pango markup: <i>, <b>, <sup>, <sub>,
 *     text_draw(cr, x, y, "10<sup>−3</sup>", &st, NULL);   <span foreground="#d55e00">...
 *
 *     st.max_width = 300;                                  wrap at words; Chinese wraps too
 *     TextExtent e;
 *     text_measure(cr, paragraph, &st, &e);                 e.w, e.h without drawing
 *
 * Sizes are in logical units (1 logical unit = 1 pt on PDF/SVG; export.h). Internally the Pango
 * context is set to 72 dpi, hint metrics off and unrounded glyph positions, so a layout has the
 * same size at every export scale and on every backend: what fits on the screen fits in the PDF.
 * The font is the theme's family list ("DejaVu Sans, Noto Sans CJK SC"): Latin from DejaVu, Han
 * characters from Noto Sans CJK SC in their Simplified Chinese forms.
 * Markup must be well formed: escape &, < and > in user text (g_markup_escape_text).
 */
#ifndef RESLAB_TEXT_H
#define RESLAB_TEXT_H

#include <cairo.h>
#include <pango/pangocairo.h>

#include "rgb.h"
#include "theme.h"

/* Size of <sup> and <sub> text relative to its surroundings (see text.c: Pango's own
 * superscript size is wrong under a scaled cairo context). */
#define TEXT_SCRIPT_SCALE 0.7

typedef enum { TEXT_LEFT, TEXT_CENTER, TEXT_RIGHT } TextHAlign;

/* Which line of the text sits at the anchor's y: the top of the first line, the middle of the
 * whole block, the first line's baseline, or the bottom of the last line. */
typedef enum { TEXT_TOP, TEXT_MIDDLE, TEXT_BASELINE, TEXT_BOTTOM } TextVAlign;

typedef struct {
    const char *font;      /* Pango family list; NULL: THEME_FONT_DEFAULT */
    double size;           /* font size, logical units (> 0) */
    Rgb colour;
    TextHAlign halign;     /* also aligns the lines of wrapped text */
    TextVAlign valign;
    double max_width;      /* > 0: wrap at words (or between Han characters) to this width */
    int markup;            /* 1: the string is Pango markup */
    int bold;
    double angle;          /* radians, counter-clockwise; M_PI / 2 reads bottom to top and is
                              aligned in its own (rotated) frame */
} TextStyle;

/* A box in logical units: where the text was (or would be) drawn, axis-aligned (for rotated
 * text, the box around it). baseline: y of the first baseline (unrotated text only). */
typedef struct {
    double x, y, w, h;
    double baseline;
    int lines;
} TextExtent;

/* The theme's family, colour and foreground, at th->font_size * scale; left, top, no wrap. */
TextStyle text_style(const Theme *th, double scale);

/* A Pango layout of s in style st, set up as text_draw uses it (font, size, wrap, markup,
 * 72 dpi), for callers that need Pango itself (font checks, cursor positions). cr may be NULL:
 * the layout then uses the default font map with the same options. *status (may be NULL) gets
 * RESLAB_OK, or RESLAB_ERR_INVALID if the markup did not parse (the layout then shows s as
 * plain text). The caller owns the layout: g_object_unref it. */
PangoLayout *text_layout(cairo_t *cr, const char *s, const TextStyle *st, int *status);

/* The box s would occupy if drawn with its anchor at (0, 0); nothing is drawn. cr may be NULL.
 * Returns RESLAB_OK or RESLAB_ERR_INVALID (bad markup; measured as plain text). */
int text_measure(cairo_t *cr, const char *s, const TextStyle *st, TextExtent *ext);

/* Draw s anchored at (x, y) per st's alignment; *ext (may be NULL) gets the box drawn.
 * NULL or "" draws nothing. Returns RESLAB_OK or RESLAB_ERR_INVALID (bad markup: drawn as plain
 * text, so the mistake is visible). The cairo state is restored afterwards, except the current
 * point (Pango draws from it): do not build a path across a text_draw call. */
int text_draw(cairo_t *cr, double x, double y, const char *s, const TextStyle *st,
              TextExtent *ext);

#endif
