/* scene_depth.h: the depth scene (SCENE_DEPTH), the viewer's main scene and the README picture:
 * a plain net and its residual twin (the same F in every block, the same input) side by side,
 * as an activation heatmap of x_0..x_d of example 0 (layer x unit) for each net, and the
 * gradient norms ||dL/dx_l||, l = 0..d, of both on one log axis, where d is the shown depth and
 * L_d = 0.5 ||x_d||^2 / B is the loss of the prefix net of the first d blocks (sweep.h).
 *
 * Usage (a render):
 *     SceneParams p = scene_params_default();  p.net.depth = 50;
 *     SceneDepth *s = scene_depth_alloc(&p, err, sizeof err);     NULL + message on failure
 *     scene_depth_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, p.lang);
 *     scene_depth_free(s);
 * Usage (the viewer's animation, one block per tick):
 *     scene_depth_restart(s);                                      back to depth 1
 *     if (scene_depth_step(s) == 1) ...                            the full depth was reached
 *     if (scene_depth_hit(s, r, mx, my, buf, sizeof buf)) show(buf);   "plain x_12[5] = ..."
 *
 * Numbers: the residual net's weights are drawn from gsl mt19937 seeded with p->seed, then its
 * dropout mask (dropout shortcuts), then the input X (B x input width) ~ N(0, 1) from the same
 * generator, exactly as `reslab flow` does (src/cli/cmd_flow.c, common.c), so the figure and
 * `reslab flow --seed S ...` print the same values. The plain net is net_alloc_twin(res,
 * SHORTCUT_NONE): it shares every weight. Only the nets selected by p->show are swept.
 * At every shown depth d the activations x_0..x_d and the norms are exactly those of a Sweep
 * stepped d times from depth 0 (and x_l those of net_forward on the full net).
 *
 * Drawing: layer l runs along x from 0 to the full depth L in every panel (the picture grows to
 * the right as blocks are added); units run down. Heatmaps use the diverging map centred at 0,
 * range +-max |x_l| over the shown layers of that net, with a colour bar each; non-finite cells
 * and curve points that are inf, NaN or 0 (off a log axis) are drawn as overflow marks in
 * t->overflow. scene_depth_draw allocates nothing itself (cairo and Pango do, per text and per
 * heatmap image): at depth 1000 x width 64, 1280 x 800, it takes about 3 ms.
 */
#ifndef RESLAB_SCENE_DEPTH_H
#define RESLAB_SCENE_DEPTH_H

#include <stddef.h>

#include <cairo.h>

#include "heatmap.h"
#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "theme.h"

typedef struct SceneDepth SceneDepth;

/* The two nets, as indices of the accessors below. */
enum { SCENE_DEPTH_PLAIN = 0, SCENE_DEPTH_RESIDUAL = 1 };

/* Checks p (net_config_check with RESLAB_MEMORY_LIMIT, depth <= 32766 (a heatmap image side),
 * shown_depth <= depth, show in 1..3), builds the nets and the input, and sweeps to the shown
 * depth (p->shown_depth, 0: the full depth): a forward pass of each block and one backward pass,
 * milliseconds even at depth 1000. NULL with a message on failure. */
SceneDepth *scene_depth_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_depth_free(SceneDepth *s);

/* Draws the scene into r (logical units) with theme t in language lang (text scaled down in an r
 * smaller than 1280 x 800: scene_depth_fit_theme). Paints r's background and draws nothing
 * outside r. Keeps no state. */
void scene_depth_draw(const SceneDepth *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);

/* ---- animation (the viewer) ---- */

/* Adds block d + 1 to both nets (sweep_step: one block forward, one backward of the prefix).
 * Returns 0, or 1 (nothing changed) if the full depth was already shown. At depth d it costs d
 * block backwards per net: ~10 ms per net at depth 1000, width 64, batch 8. */
int scene_depth_step(SceneDepth *s);

/* scene_depth_step in two halves, for a compute thread (src/viewer/worker.c):
 *     scene_depth_step_compute(s);     the sweeps' block forward and backward (the cost); touches
 *                                      only the nets and Sweeps, nothing the draw or hit-test reads
 *     lock; scene_depth_step_publish(s); unlock;   copies x_{d+1} and the norms into the drawn
 *                                      arrays and sets shown = d + 1 (microseconds)
 * so the drawing thread may draw, hit-test and read the accessors below (all of which read only
 * the published arrays) concurrently with _compute, and must hold the same lock as _publish.
 * _compute returns 1 (nothing done) at the full depth; calling it twice without a _publish does
 * nothing the second time. */
int scene_depth_step_compute(SceneDepth *s);
void scene_depth_step_publish(SceneDepth *s);

/* Back to depth 1 (one block: the smallest prefix net with a block in it). */
void scene_depth_restart(SceneDepth *s);

/* The shown depth d, 1 .. net.depth. */
size_t scene_depth_shown(const SceneDepth *s);

/* If (x, y) (logical units, the same r as drawn) is over a heatmap cell or within about 0.8 font
 * sizes of a curve point (the nearest wins), writes what is there into buf (len bytes, always
 * NUL-terminated), e.g. "residual x_12[5] = -3.2104e+01" or "plain ||dL/dx_7|| = 1.2000e-05"
 * (values as %.4e, or "inf", "-inf", "nan"; Chinese names in Chinese), and returns 1; else
 * returns 0 and leaves buf alone. The layout is that of the built-in themes (light and dark have
 * the same fonts and sizes, which is all the layout depends on) in the params' language. */
int scene_depth_hit(const SceneDepth *s, Rect r, double x, double y, char *buf, size_t len);

/* The same for any theme and language (a theme file with another font or font size). */
int scene_depth_hit_theme(const SceneDepth *s, Rect r, const Theme *t, SceneLang lang, double x,
                          double y, char *buf, size_t len);

/* ---- data and layout (for tests and for callers that label things themselves) ---- */

/* x_l of example 0 of net k (SCENE_DEPTH_PLAIN / _RESIDUAL) as a (net.depth + 1) x n row-major
 * array; rows 0 .. shown are valid. NULL if that net is not shown (p->show). Owned by s. */
const double *scene_depth_activations(const SceneDepth *s, int k);

/* ||dL/dx_l||, l = 0 .. shown, of net k's prefix net at the shown depth (a copy of the Sweep's
 * norms made when the depth was published, NaN and inf as computed). NULL if that net is not
 * shown. Owned by s. */
const double *scene_depth_norms(const SceneDepth *s, int k);

/* Where scene_depth_draw puts things. */
typedef struct {
    Rect header;              /* the title and the parameter line */
    int nheat;                /* heatmaps drawn: 1 or 2 */
    int heat_net[2];          /* the net heatmap i shows: SCENE_DEPTH_PLAIN or _RESIDUAL */
    PlotAxes heat[2];         /* index axes: layer l at x = l (0 .. L), unit u at y = u (down) */
    Heatmap hm[2];            /* rows x_0..x_d of example 0 and their colour range */
    Rect cells[2];            /* where the cells are drawn: the layers 0 .. d of heat[i].frame */
    Rect bar[2];              /* the colour bars */
    PlotAxes grad;            /* ||dL/dx_l|| against l, log10 */
    Rect legend;              /* grad's legend box, right of its frame (it hides no data) */
} SceneDepthLayout;

/* Computes the layout of scene_depth_draw (text measured with cr, which may be NULL: sizes are
 * the same on every surface; the theme fitted to r by scene_depth_fit_theme). Axis titles and
 * labels point to static strings. */
void scene_depth_layout(const SceneDepth *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang,
                        SceneDepthLayout *out);

/* Every text the scene draws in lang (Pango markup; tick labels aside), one per line, into buf
 * (len bytes): for checking fonts and translations. RESLAB_OK, or RESLAB_ERR_INVALID if buf was
 * too small (the list is truncated). */
int scene_depth_texts(const SceneDepth *s, SceneLang lang, char *buf, size_t len);

/* The size the scenes are designed for, and how far their text shrinks in a smaller r. */
#define SCENE_DEPTH_REF_W 1280.0
#define SCENE_DEPTH_REF_H 800.0
#define SCENE_DEPTH_MIN_TEXT 0.6

/* t with its font size scaled by k = min(r.w / 1280, r.h / 800) if k < 1 (but by no less than
 * 0.6), so that a small window keeps room for its data; at 1280 x 800 and above, t itself.
 * The depth and variance scenes draw and lay out with it. */
Theme scene_depth_fit_theme(const Theme *t, Rect r);

/* The parameter line the scenes show under their titles (Pango markup, items separated by three
 * spaces and no-break spaces inside an item, so it wraps only between items): "depth d / L"
 * (just "depth L" if shown is 0), width, init, shortcut (order), batch norm, seed, B = batch,
 * and the options that differ from the defaults (activation, hidden width, input width, branch
 * scale, F = 0 at init, bias std, lambda, dropout p, gate bias). Into buf, len bytes, truncated
 * and NUL-terminated. */
void scene_depth_params_text(const SceneParams *p, size_t shown, size_t batch, SceneLang lang,
                             char *buf, size_t len);

#endif
