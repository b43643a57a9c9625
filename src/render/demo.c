/* demo.c: the renderer's test figure (see demo.h): every module on one page.
 *
 * Legend: l a layer 0 .. DEMO_N - 1 (curves) or 0 .. DEMO_ROWS - 1 (heatmap rows), u a unit;
 * fs the theme's base font size; the figure is w x h logical units.
 */
#include "demo.h"

#include <math.h>
#include <string.h>

#include "text.h"

#define TITLE_SCALE 1.6

void demo_init(Demo *d, const Theme *th)
{
    memset(d, 0, sizeof *d);
    d->theme = th;
    for (int l = 0; l < DEMO_N; l++) {
        d->plain[l] = l >= DEMO_ZERO_FROM ? 0.0 : pow(10, -l / 4.0);
        d->residual[l] = 1 + 0.4 * sin(l / 3.0);
    }
    d->plain[DEMO_NAN_AT] = NAN;
    d->residual[DEMO_INF_AT] = INFINITY;
    for (int l = 0; l < DEMO_ROWS; l++)
        for (int u = 0; u < DEMO_COLS; u++)
            d->cells[l * DEMO_COLS + u] = (0.3 + l / 12.0) * sin(0.7 * u + 0.45 * l) * cos(0.2 * u);
    d->cells[5 * DEMO_COLS + 3] = NAN;
    d->cells[10 * DEMO_COLS + 7] = INFINITY;
    d->cells[15 * DEMO_COLS + 12] = -INFINITY;
}

void demo_layout(cairo_t *cr, const Demo *d, double w, double h, DemoLayout *out)
{
    const Theme *th = d->theme;
    double fs = th->font_size, margin = fs;
    memset(out, 0, sizeof *out);
    Rect page = layout_inset((Rect){0, 0, w, h}, margin);

    TextStyle st = text_style(th, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = page.w;
    TextExtent e;
    text_measure(cr, DEMO_TITLE, &st, &e);
    out->title = layout_cut_top(&page, e.h + fs);
    st = text_style(th, 1.0);
    st.markup = 1;
    st.max_width = page.w;
    text_measure(cr, DEMO_NOTE, &st, &e);
    out->note = layout_cut_bottom(&page, e.h + fs);

    Rect panel[2];
    layout_split_cols(page, 2, 2 * fs, panel);
    PlotAxes *c = &out->curves;
    c->outer = panel[0];
    c->title = "Gradient norm by layer";
    c->x = (PlotAxis){PLOT_LINEAR, 0, DEMO_N - 1, "layer <i>l</i>", 1, {0}};
    c->y = (PlotAxis){PLOT_LOG10, NAN, NAN, "‖∂<i>L</i>/∂<i>x</i><sub><i>l</i></sub>‖", 0, {0}};
    plot_range_include(&c->y, d->plain, DEMO_N);
    plot_range_include(&c->y, d->residual, DEMO_N);
    plot_range_finish(&c->y);
    plot_layout(cr, th, c);

    Heatmap hm = {d->cells, DEMO_ROWS, DEMO_COLS, COLORMAP_DIVERGING, 0, 0, 1};
    heatmap_auto_range(&hm, NAN);
    out->hm = hm;
    Rect hp = panel[1];
    double bw = heatmap_colorbar_width(cr, th, &hm, "activation", hp.h);
    out->bar = layout_cut_right(&hp, bw);
    layout_cut_right(&hp, fs);                              /* gap between cells and bar */
    out->heat.outer = hp;
    out->heat.title = "Activations (layer × unit)";
    heatmap_axes(&hm, &out->heat, "layer <i>l</i>", "unit");
    plot_layout(cr, th, &out->heat);
    out->bar.y = out->heat.frame.y;                        /* the bar spans the cells */
    out->bar.h = out->heat.frame.h;
}

void demo_draw(cairo_t *cr, double w, double h, void *ctx)
{
    const Demo *d = ctx;
    const Theme *th = d->theme;
    DemoLayout L;
    demo_layout(cr, d, w, h, &L);

    cairo_save(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    rgb_set_source(cr, th->background);
    cairo_paint(cr);
    cairo_restore(cr);

    TextStyle st = text_style(th, TITLE_SCALE);
    st.markup = st.bold = 1;
    st.max_width = L.title.w;
    text_draw(cr, L.title.x, L.title.y, DEMO_TITLE, &st, NULL);

    plot_draw_axes(cr, th, &L.curves);
    plot_line(cr, th, &L.curves, NULL, d->plain, DEMO_N, th->plain, PLOT_DASHED);
    plot_markers(cr, th, &L.curves, NULL, d->plain, DEMO_N, th->plain, PLOT_MARKER_CIRCLE);
    plot_line(cr, th, &L.curves, NULL, d->residual, DEMO_N, th->residual, PLOT_SOLID);
    plot_markers(cr, th, &L.curves, NULL, d->residual, DEMO_N, th->residual, PLOT_MARKER_SQUARE);
    PlotLegendEntry e[] = {
        {"plain", th->plain, PLOT_DASHED, PLOT_MARKER_CIRCLE, PLOT_LEGEND_LINE},
        {"residual", th->residual, PLOT_SOLID, PLOT_MARKER_SQUARE, PLOT_LEGEND_LINE},
        {"off scale: 0, ±inf", th->overflow, PLOT_SOLID, PLOT_MARKER_NONE, PLOT_LEGEND_OVERFLOW},
    };
    plot_legend(cr, th, &L.curves, e, 3, PLOT_LEGEND_SW);

    heatmap_draw(cr, th, L.heat.frame, &L.hm);
    plot_draw_axes(cr, th, &L.heat);
    heatmap_colorbar(cr, th, L.bar, &L.hm, "activation", 1);

    st = text_style(th, 1.0);
    st.markup = 1;
    st.max_width = L.note.w;
    st.valign = TEXT_BOTTOM;
    text_draw(cr, L.note.x, L.note.y + L.note.h, DEMO_NOTE, &st, NULL);
}
