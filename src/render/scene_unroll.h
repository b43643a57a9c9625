/* scene_unroll.h: the unroll scene (SCENE_UNROLL): x_L as x_0 plus the contribution F_l(x_{l-1})
 * of every block (He et al. 2016, Eq. 4), for one example, with the numerical check of Eq. 4 and
 * the popular wrong two-block expansion next to the correct one (papers.md, Known errors 1).
 *
 * Usage:
 *     SceneParams p = scene_params_default();  p.net.order = ORDER_PRE;
 *     char err[256];
 *     SceneUnroll *s = scene_unroll_alloc(&p, err, sizeof err);     NULL + message on failure
 *     scene_unroll_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, p.lang);
 *     const UnrollReport *r = scene_unroll_report(s);               what the check line prints
 *     scene_unroll_free(s);
 *
 * The numbers: the net is built as `reslab flow` builds it (src/cli/cmd_flow.c): gsl mt19937
 * seeded p->seed draws the weights (net_alloc), the dropout masks (net_dropout_draw), then the
 * input X (B, input width) ~ N(0, 1); net_forward, then unroll_check and (depth >= 2)
 * unroll_expansion on that pass. For example e = p->example the scene keeps the rows
 *     row 0        x_0
 *     row l        F_l(x_{l-1}), l = 1 .. L   (recomputed at the stored x_{l-1}, as unroll_check)
 *     row L + 1    x_0 + sum_l F_l, summed in order
 *     row L + 2    x_L of the forward pass
 * and ||F_l(x_{l-1})||_F over the whole batch per block (scaled sums of squares, so values near
 * 1e154 do not overflow the norm; unroll_check's contrib squares directly).
 *
 * Drawing: title and configuration; the check of Eq. 4 in large type ("max |x_L - (x_0 + sum F)|
 * / max |x_L| = 1.1 x 10^-16: Eq. 4 holds", or the difference and the reason: post-activation,
 * plain, scaled, projection, gating, dropout; or the overflow); left, the rows as a heatmap
 * (diverging map, one symmetric scale for all rows, colour bar; inf/NaN in t->overflow) laid out
 * like a written sum: x_0, the contributions, a rule, x_0 + sum F and x_L; right, a bar chart of
 * ||F_l|| per block (t->residual, or t->plain for the plain net; ||x_0|| as a dashed reference;
 * log scale when the norms span more than two decades) and the two-block expansion panel:
 * the correct x_2 = x + F1(x) + F2(x + F1(x)), the wrong x + F1(x) + F2(x) with its relative error,
 * the split F2(x + F1(x)) = F2(x) + F2(F1(x)) (needs F2 linear), and for linear blocks the four
 * paths x + M1 x + M2 x + M2 M1 x with their error.
 */
#ifndef RESLAB_SCENE_UNROLL_H
#define RESLAB_SCENE_UNROLL_H

#include <stddef.h>
#include <cairo.h>

#include "heatmap.h"
#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "theme.h"
#include "unroll.h"

/* Eq. 4 "holds" when the relative difference is at most this (the CLI's bound: rounding of a
 * sum of L terms in double is far below it). */
#define SCENE_UNROLL_BOUND 1e-12

typedef struct SceneUnroll SceneUnroll;

typedef struct {
    Rect title;                 /* title and configuration line */
    Rect check;                 /* the check of Eq. 4 and its reason */
    Rect heat;                  /* the heatmap column: its title, labels, cells and colour bar */
    Rect x0_row, f_rows, sum_row, xL_row;   /* heatmap cells: x_0, F_1 .. F_L, the two sums */
    Rect bar;                   /* the colour bar */
    Heatmap hm;                 /* all L + 3 rows with their colour range (lo = -m, hi = m) */
    PlotAxes norms;             /* ||F_l||: x = block l (1 .. L), y linear or log10 */
    Rect expansion;             /* the two-block expansion panel */
} SceneUnrollLayout;

/* Checks p (net_config_check with RESLAB_MEMORY_LIMIT, example < batch), builds the net, runs
 * the forward pass and the checks. NULL with a message on failure. */
SceneUnroll *scene_unroll_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_unroll_free(SceneUnroll *s);

/* Draws the scene into r (logical units); keeps no state. */
void scene_unroll_draw(const SceneUnroll *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);

/* Where scene_unroll_draw puts things for this r (text measured with cr; may be NULL). */
void scene_unroll_layout(cairo_t *cr, const SceneUnroll *s, Rect r, const Theme *t,
                         SceneLang lang, SceneUnrollLayout *out);

/* The rows above: (L + 3) x n, row-major; *rows and *cols get the shape. Owned by s. */
const double *scene_unroll_rows(const SceneUnroll *s, size_t *rows, size_t *cols);
/* ||F_l(x_{l-1})||_F over the batch, l = 1 .. L, at index l - 1 (L values). Owned by s. */
const double *scene_unroll_norms(const SceneUnroll *s);
/* ||x_0||_F over the batch: the dashed reference line of the norm chart. */
double scene_unroll_norm_x0(const SceneUnroll *s);
/* unroll_check's report of the forward pass. */
const UnrollReport *scene_unroll_report(const SceneUnroll *s);
/* unroll_expansion's result, or NULL for depth 1. */
const UnrollExpansion *scene_unroll_expansion(const SceneUnroll *s);

/* The check line exactly as drawn (Pango markup) into buf (always terminated), e.g.
 * "max |<i>x</i><sub><i>L</i></sub> − (...)| / max |...| = 1.1 × 10<sup>−16</sup>: Eq. 4 holds". */
void scene_unroll_check_text(const SceneUnroll *s, SceneLang lang, char *buf, size_t len);

/* Calls f(markup, ctx) with every string the figure draws in lang, except tick labels and the
 * legend's line labels (for tests: every glyph has a font, nothing is left untranslated). */
void scene_unroll_each_text(const SceneUnroll *s, SceneLang lang,
                            void (*f)(const char *markup, void *ctx), void *ctx);

#endif
