/* scene_shatter.h: shattered gradients (Balduzzi et al. 2017; papers.md section 4) as a figure:
 * the lag-4 autocorrelation of dy/dx along a sweep of a scalar input, by depth, plain vs
 * residual, and the gradient itself along the sweep at the deepest depth.
 *
 * Usage (normally through scene.h: scene_alloc(SCENE_SHATTER, &p, ...)):
 *     SceneParams p = scene_params_default();  p.net.depth = 50;
 *     SceneShatter *s = scene_shatter_alloc(&p, err, sizeof err);
 *     scene_shatter_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, SCENE_LANG_EN);
 *     const SceneShatterData *d = scene_shatter_data(s);
 *     SceneShatterLayout lay;
 *     scene_shatter_layout(cr, s, r, &theme, lang, &lay);
 *     double px = plot_x(&lay.acf, d->depths[0]), py = plot_y(&lay.acf, d->plain[0].acf4);
 *     scene_shatter_free(s);
 *
 * The numbers are exactly those of `reslab flow --shatter` with the same options: depths 1, 2, 5,
 * 10, 20, 50, ... below L, and L; for the plain net (shortcut none) and the residual net (p->net's
 * shortcut, identity if that is none), each with input width 1 and biases N(0, bias_std^2)
 * (SHATTER_BIAS_STD if p->net.bias_std is 0: zero biases cannot shatter) and without batch norm,
 * shatter_sweep with shatter_options_default() and seed p->seed: SHATTER_POINTS inputs on
 * [-2, 2], 8 seeds p->seed .. p->seed + 7, one readout. Only when p->net.bn is set, a third net,
 * residual + BN, whose batch statistics are taken over the sweep's inputs themselves (one
 * backward pass per input: SHATTER_POINTS times the cost). The right panels are dy/dx of the
 * plain and the residual net at depth L for seed p->seed (shatter_gradients; the first net of
 * the sweep at that depth) with their own lag-4 autocorrelation. Every net is computed; p->show
 * picks the ones drawn, and a net not shown has no gradient panel (its PlotAxes in the layout
 * stay zero).
 * Dimensions: N inputs (SHATTER_POINTS), L depth, n width.
 */
#ifndef RESLAB_SCENE_SHATTER_H
#define RESLAB_SCENE_SHATTER_H

#include <stddef.h>
#include <cairo.h>

#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "shatter.h"
#include "theme.h"

typedef struct SceneShatter SceneShatter;

enum { SCENE_SHATTER_DEPTHS_MAX = 64 };

/* The numbers the figure shows (owned by the scene, valid until scene_shatter_free). */
typedef struct {
    NetConfig net;                   /* p->net as given */
    NetConfig cfg_plain, cfg_residual;   /* the sweep's nets at depth L (input width 1, biases) */
    size_t L, points, seeds;
    unsigned long seed;
    int show;                        /* p->show: the nets drawn (BN counts as residual) */
    size_t ndepths;
    const size_t *depths;            /* [ndepths] 1, 2, 5, 10, ... , L */
    const ShatterDepth *plain;       /* [ndepths] shatter_sweep of the plain net */
    const ShatterDepth *residual;    /* [ndepths] of the residual net */
    const ShatterDepth *residual_bn; /* [ndepths] of residual + BN, or NULL (p->net.bn not set) */
    const double *x;                 /* [points] the inputs, -2 .. 2 */
    const double *g_plain, *g_residual;   /* [points] dy/dx at depth L, seed p->seed */
    double r4_plain, r4_residual;    /* shatter_autocorr(g, points, SHATTER_LAG) of those */
} SceneShatterData;

/* Where scene_shatter_draw puts things inside r: the autocorrelation by depth (x: depth, log
 * axis), its legend, and dy/dx along the sweep for the plain net (top) and the residual (bottom).
 * The two gradient panels' titles point into grad_title: use the struct where it was filled. */
typedef struct {
    Rect title, note, legend, heading;
    PlotAxes acf, grad_plain, grad_residual;
    char grad_title[2][128];
} SceneShatterLayout;

/* Checks p (net_config_check of the sweep's nets, no dropout shortcut, show 1..3) and computes. NULL with
 * a message on failure. Time: 2 x 8 nets per depth, one forward and one backward pass of
 * SHATTER_POINTS inputs each (depth 10, width 16: ~0.1 s); with p->net.bn also the residual +
 * BN sweep, SHATTER_POINTS backward passes per net (depth 10, width 16: ~3 s). */
SceneShatter *scene_shatter_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_shatter_free(SceneShatter *s);

const SceneShatterData *scene_shatter_data(const SceneShatter *s);

/* The layout scene_shatter_draw uses, in r's units (scaled as the drawing is; text measured with
 * cr, which may be NULL). */
void scene_shatter_layout(cairo_t *cr, const SceneShatter *s, Rect r, const Theme *t,
                          SceneLang lang, SceneShatterLayout *out);

/* Paints r with the theme's background and draws the figure inside it (clipped to r). The
 * layout needs about 55 x 35 base font sizes (1100 x 700 at font size 20): in a smaller r the
 * whole figure is drawn scaled down, so text keeps its proportions to the plots. */
void scene_shatter_draw(const SceneShatter *s, cairo_t *cr, Rect r, const Theme *t,
                        SceneLang lang);

/* Every fixed string the figure uses in lang (for glyph checks); *n gets how many. */
const char *const *scene_shatter_texts(SceneLang lang, size_t *n);

#endif
