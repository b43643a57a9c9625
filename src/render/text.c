/* text.c: Pango layouts at 72 dpi with unhinted metrics, placed by anchor and alignment.
 *
 * Legend: (x, y) anchor in logical units; (lx, ly, lw, lh) the layout's logical rectangle in
 * its own frame (Pango units / PANGO_SCALE); (dx, dy) where the layout's origin goes relative
 * to the anchor so that the requested alignment holds.
 */
#include "text.h"

#include <math.h>
#include <string.h>

#include "status.h"

/* One set of context options for every backend and scale: 1 pt = 1 logical unit, advances
 * not rounded to device pixels (so PNG at scale 1 and 2 and the PDF break lines alike). */
static void context_setup(PangoContext *ctx)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_context_set_resolution(ctx, 72.0);
    pango_context_set_round_glyph_positions(ctx, FALSE);
}

TextStyle text_style(const Theme *th, double scale)
{
    TextStyle st;
    memset(&st, 0, sizeof st);
    st.font = th->font;
    st.size = th->font_size * scale;
    st.colour = th->foreground;
    st.halign = TEXT_LEFT;
    st.valign = TEXT_TOP;
    return st;
}

static gboolean is_font_scale(PangoAttribute *a, gpointer data)
{
    (void)data;
    return a->klass->type == PANGO_ATTR_FONT_SCALE;
}

/* Pango 1.50 sizes <sup> and <sub> (the font_scale attribute) in device units: under
 * cairo_scale(2, 2) the exponent of 10<sup>−3</sup> comes out twice the size of the 10
 * (measured). Replace each font_scale by a plain relative size, which scales correctly; the
 * baseline shift that raises or lowers the text is kept. */
static void fix_font_scale(PangoAttrList *attrs)
{
    PangoAttrList *removed = pango_attr_list_filter(attrs, is_font_scale, NULL);
    if (!removed) return;
    GSList *list = pango_attr_list_get_attributes(removed);
    for (GSList *l = list; l; l = l->next) {
        PangoAttribute *old = l->data, *a = pango_attr_scale_new(TEXT_SCRIPT_SCALE);
        a->start_index = old->start_index;
        a->end_index = old->end_index;
        pango_attr_list_change(attrs, a);
        pango_attribute_destroy(old);
    }
    g_slist_free(list);
    pango_attr_list_unref(removed);
}

/* Put s into lay as markup or text; RESLAB_ERR_INVALID if the markup does not parse. */
static int set_content(PangoLayout *lay, const char *s, int markup)
{
    if (!markup) {
        pango_layout_set_text(lay, s, -1);
        return RESLAB_OK;
    }
    PangoAttrList *attrs = NULL;
    char *plain = NULL;
    GError *gerr = NULL;
    if (!pango_parse_markup(s, -1, 0, &attrs, &plain, NULL, &gerr)) {
        g_error_free(gerr);
        pango_layout_set_text(lay, s, -1);
        return RESLAB_ERR_INVALID;
    }
    fix_font_scale(attrs);
    pango_layout_set_text(lay, plain, -1);
    pango_layout_set_attributes(lay, attrs);
    pango_attr_list_unref(attrs);
    g_free(plain);
    return RESLAB_OK;
}

PangoLayout *text_layout(cairo_t *cr, const char *s, const TextStyle *st, int *status)
{
    PangoLayout *lay;
    if (cr) {
        lay = pango_cairo_create_layout(cr);
    } else {
        PangoContext *ctx = pango_font_map_create_context(pango_cairo_font_map_get_default());
        lay = pango_layout_new(ctx);
        g_object_unref(ctx);
    }
    context_setup(pango_layout_get_context(lay));
    pango_layout_context_changed(lay);

    PangoFontDescription *fd = pango_font_description_new();
    pango_font_description_set_family(fd, st->font && st->font[0] ? st->font : THEME_FONT_DEFAULT);
    pango_font_description_set_absolute_size(fd, (st->size > 0 ? st->size : 1) * PANGO_SCALE);
    if (st->bold) pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(lay, fd);
    pango_font_description_free(fd);

    if (st->max_width > 0) {
        pango_layout_set_width(lay, (int)(st->max_width * PANGO_SCALE));
        pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_alignment(lay, st->halign == TEXT_CENTER  ? PANGO_ALIGN_CENTER
                                    : st->halign == TEXT_RIGHT ? PANGO_ALIGN_RIGHT
                                                               : PANGO_ALIGN_LEFT);
    int rc = set_content(lay, s ? s : "", st->markup);
    if (status) *status = rc;
    return lay;
}

/* Offset (dx, dy) of the layout origin from the anchor, and the unrotated box at the anchor. */
static void place(PangoLayout *lay, const TextStyle *st, double *dx, double *dy, TextExtent *box)
{
    PangoRectangle log;
    pango_layout_get_extents(lay, NULL, &log);
    double lx = (double)log.x / PANGO_SCALE, ly = (double)log.y / PANGO_SCALE;
    double lw = (double)log.width / PANGO_SCALE, lh = (double)log.height / PANGO_SCALE;
    double base = (double)pango_layout_get_baseline(lay) / PANGO_SCALE;
    *dx = st->halign == TEXT_CENTER ? -(lx + lw / 2) : st->halign == TEXT_RIGHT ? -(lx + lw) : -lx;
    *dy = st->valign == TEXT_MIDDLE     ? -(ly + lh / 2)
          : st->valign == TEXT_BASELINE ? -base
          : st->valign == TEXT_BOTTOM   ? -(ly + lh)
                                        : -ly;
    box->x = *dx + lx;
    box->y = *dy + ly;
    box->w = lw;
    box->h = lh;
    box->baseline = *dy + base;
    box->lines = pango_layout_get_line_count(lay);
}

/* The axis-aligned box around box rotated by angle (counter-clockwise on screen) about the
 * anchor, then moved to (x, y). */
static TextExtent box_at(TextExtent box, double x, double y, double angle)
{
    TextExtent o = box;
    if (angle != 0) {
        double c = cos(angle), s = sin(angle), x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY,
               y1 = -INFINITY;
        for (int k = 0; k < 4; k++) {
            double px = box.x + (k & 1 ? box.w : 0), py = box.y + (k & 2 ? box.h : 0);
            double rx = c * px + s * py, ry = -s * px + c * py;     /* cairo_rotate(-angle) */
            x0 = fmin(x0, rx);
            x1 = fmax(x1, rx);
            y0 = fmin(y0, ry);
            y1 = fmax(y1, ry);
        }
        o.x = x0;
        o.y = y0;
        o.w = x1 - x0;
        o.h = y1 - y0;
        o.baseline = NAN;
    }
    o.x += x;
    o.y += y;
    o.baseline += y;
    return o;
}

int text_measure(cairo_t *cr, const char *s, const TextStyle *st, TextExtent *ext)
{
    int rc = RESLAB_OK;
    if (!s || !s[0]) {
        memset(ext, 0, sizeof *ext);
        return rc;
    }
    PangoLayout *lay = text_layout(cr, s, st, &rc);
    double dx, dy;
    TextExtent box;
    place(lay, st, &dx, &dy, &box);
    *ext = box_at(box, 0, 0, st->angle);
    g_object_unref(lay);
    return rc;
}

int text_draw(cairo_t *cr, double x, double y, const char *s, const TextStyle *st,
              TextExtent *ext)
{
    int rc = RESLAB_OK;
    if (!s || !s[0]) {
        if (ext) memset(ext, 0, sizeof *ext);
        return rc;
    }
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (st->angle != 0) cairo_rotate(cr, -st->angle);
    PangoLayout *lay = text_layout(cr, s, st, &rc);
    double dx, dy;
    TextExtent box;
    place(lay, st, &dx, &dy, &box);
    cairo_move_to(cr, dx, dy);
    rgb_set_source(cr, st->colour);
    pango_cairo_show_layout(cr, lay);
    g_object_unref(lay);
    cairo_restore(cr);
    if (ext) *ext = box_at(box, x, y, st->angle);
    return rc;
}
