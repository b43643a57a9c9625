/* scene_util.h: helpers the scene modules share (scene_*.c): number formatting, the words and
 * one-line description of a net, the figure header, legend sizing and placement, scaling a
 * layout made at a fixed size into the caller's rectangle, and the nets of `reslab flow`.
 *
 * Usage:
 *     Rect d;
 *     double k = scene_util_fit(r, t, &d);               lay out in d, at the origin
 *     ... layout in d ...
 *     out->title = scene_util_to_caller(out->title, r, k);  back to r's units
 *     char v[64];
 *     scene_util_fmt_num(v, sizeof v, 4.2e48);           "4.20×10<sup>48</sup>"
 *
 * Everything here is plain functions of their arguments: no globals, no state kept between
 * calls, nothing allocated except by scene_util_make_nets (which says who owns what).
 */
#ifndef RESLAB_SCENE_UTIL_H
#define RESLAB_SCENE_UTIL_H

#include <stddef.h>

#include <cairo.h>
#include <gsl/gsl_matrix.h>

#include "layout.h"
#include "net.h"
#include "plot.h"
#include "rgb.h"
#include "scene.h"
#include "text.h"
#include "theme.h"

/* ---- text ------------------------------------------------------------------------------- */

/* en, or zh when lang is SCENE_LANG_ZH. */
const char *scene_util_tr(SceneLang lang, const char *en, const char *zh);

/* Append printf-style text to the NUL-terminated string in buf (len bytes in all); does
 * nothing when buf is already full, truncates what does not fit. */
void scene_util_cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* v as Pango markup into buf (n bytes): 3 significant digits, "m×10<sup>e</sup>" with a
 * 3-digit mantissa outside [1e-3, 1e4), "∞" and "NaN" spelled, U+2212 for minus
 * (the jacobian, paths and shatter scenes). */
void scene_util_fmt_num(char *buf, size_t n, double v);

/* v as Pango markup into buf (len bytes): "0", "0.25", "2.2 × 10<sup>−16</sup>", "∞", "NaN":
 * 3 significant digits in [1e-3, 1e4), else a 1-decimal mantissa (the block and unroll
 * scenes). */
void scene_util_fmt_num_short(char *buf, size_t len, double v);

/* The names of the net's activation, order, init and shortcut, in Chinese when zh is
 * non-zero (the depth scene's words: 后激活 / 预激活, 恒等, ...). The strings are static. */
void scene_util_net_words(const NetConfig *c, int zh, const char **act, const char **order,
                          const char **init, const char **shortcut);

/* The net in one line, the options `reslab flow` prints, into buf (n bytes): fmt takes, in
 * this order, depth %zu, width %zu, hidden %zu, act, order, init, shortcut, extra (%s each:
 * " · BN", " · F = 0", ...), B %zu and seed %lu. */
void scene_util_describe(char *buf, size_t n, const char *fmt, const NetConfig *c, size_t B,
                         unsigned long seed, int zh);

/* The note's text style: 0.8 font sizes, markup, muted, wrapped at w. */
TextStyle scene_util_note_style(const Theme *t, double w);

/* ---- drawing ---------------------------------------------------------------------------- */

/* Title (bold, markup) and one muted line below it, top-left of r, wrapped at r.w; drawn only
 * when draw is non-zero, else just measured. Returns the height they take, with 0.6 font
 * sizes of space below. */
double scene_util_header(cairo_t *cr, const Theme *t, Rect r, const char *title, const char *sub,
                         int draw);

/* The size *w x *h of the box plot_legend draws for entries e[0 .. n-1] (its geometry,
 * plot_data.c), with margin added to the height (0.5 font sizes: the margin plot_legend keeps
 * from the frame's edge; 0 for the box alone). */
void scene_util_legend_size(cairo_t *cr, const Theme *t, const PlotLegendEntry *e, int n,
                            double margin, double *w, double *h);

/* plot_legend at the top of a strip outside the plot: left-aligned with x0, moved left as far
 * as the strip allows if it would stick out on the right. */
void scene_util_legend_in(cairo_t *cr, const Theme *t, Rect strip, double x0,
                          const PlotLegendEntry *e, int n);

/* A muted message in the middle of ax's frame (one that has nothing on its scale), on a patch
 * of background so that grid and reference lines do not run through it. */
void scene_util_empty_note(cairo_t *cr, const Theme *t, const PlotAxes *ax, const char *msg);

/* c itself if it reads on the background (contrast >= 4.5), else mixed towards the foreground
 * in steps of 0.05 until it does; the foreground if nothing does. */
Rgb scene_util_text_colour(const Theme *t, Rgb c);

/* ---- scaling a layout into the caller's rectangle --------------------------------------- */

/* The layout of the flow scenes needs about 55 x 35 base font sizes (1100 x 700 at the
 * built-in 20): in a smaller r the figure is drawn scaled down as a whole, so that text keeps
 * its proportions to the plots. Returns the factor k (<= 1; 1 if r is empty) and the
 * rectangle *d, at the origin, the layout is made in. */
double scene_util_fit(Rect r, const Theme *t, Rect *d);

/* The page of a scene laid out in r: an inset margin, the header (title and subtitle) cut off
 * the top into *title, the note (wrapped to the page's width) cut off the bottom into *note.
 * Returns what is left for the plots. */
Rect scene_util_page(cairo_t *cr, const Theme *t, Rect r, const char *title, const char *sub,
                     const char *note, Rect *title_out, Rect *note_out);

/* The opening of a scene's draw that lays out in r itself: cairo_save, clip to r, paint the
 * theme's background. The caller ends with cairo_restore. */
void scene_util_open(cairo_t *cr, Rect r, const Theme *t);

/* The opening of a scene's draw: cairo_save, clip to r, paint the background, then translate
 * and scale so that the figure laid out in *fig (scene_util_fit) lands in r. Returns the
 * factor. The caller ends with cairo_restore. */
double scene_util_begin(cairo_t *cr, Rect r, const Theme *t, Rect *fig);

/* a, a rectangle in scene_util_fit's rectangle, in the caller's units (r's) at factor k. */
Rect scene_util_to_caller(Rect a, Rect r, double k);

/* scene_util_to_caller of ax's outer and frame rectangles, in place. */
void scene_util_axes_to_caller(PlotAxes *ax, Rect r, double k);

/* ---- numerics --------------------------------------------------------------------------- */

/* The nets and input of `reslab flow` (cmd_flow.c): the residual net of cfg for batch B with
 * weights from mt19937 seeded with seed, its dropout masks, then *X (B, input width) ~ N(0, 1)
 * row-major, then the plain twin *plain sharing every F. Returns RESLAB_OK, or
 * RESLAB_ERR_NOMEM with whatever was made before the failure left in *res, *X, *plain (NULL
 * from there on). The caller owns and frees *res, *plain (net_free) and *X. */
int scene_util_make_nets(const NetConfig *cfg, size_t B, unsigned long seed, Net **res,
                         Net **plain, gsl_matrix **X);

#endif
