/* scene_variance.h: the variance scene (SCENE_VARIANCE): the second moment q_l = E x_l^2 of the
 * residual stream by layer, measured, for a plain net and its residual twin, with what
 * variance propagation predicts (stats.h), a small panel of the response std per block (He et
 * al. 2015, Fig. 7) and a note of what the theory says about this configuration.
 *
 * Usage:
 *     SceneParams p = scene_params_default();  p.net.depth = 50;  p.net.order = ORDER_PRE;
 *     SceneVariance *s = scene_variance_alloc(&p, err, sizeof err);   NULL + message
 *     scene_variance_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, p.lang);
 *     scene_variance_free(s);
 *
 * Numbers: as the depth scene (and `reslab flow --stats`): the residual net's weights from gsl
 * mt19937 seeded with p->seed, its dropout mask, then X ~ N(0, 1) from the same generator, the
 * plain net its twin (net_alloc_twin(res, SHORTCUT_NONE), the same F). The batch is
 * B = max(p->batch, SCENE_VARIANCE_MIN_BATCH) so that q_l, a mean over B n entries, is smooth:
 * the figure says so, and `reslab flow --stats --batch B` gives the same values.
 * Measured: stats_layers (q_l), stats_response_std (std of F per block). Predicted:
 * q_0 prod_{j <= l} f_j with f = stats_predicted_factors of each net's config (the residual
 * net's, and the same with shortcut NONE for the plain one); NaN (not drawn) where the theory
 * has no closed form. Non-finite or zero values are drawn as overflow marks in t->overflow.
 * Only the nets selected by p->show are drawn (both by default).
 */
#ifndef RESLAB_SCENE_VARIANCE_H
#define RESLAB_SCENE_VARIANCE_H

#include <stddef.h>

#include <cairo.h>

#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "stats.h"
#include "theme.h"

enum {
    SCENE_VARIANCE_MIN_BATCH = 64,       /* the smallest batch the statistics are taken over */
    SCENE_VARIANCE_PLAIN = 0,            /* net indices of the accessors */
    SCENE_VARIANCE_RESIDUAL = 1,
};

typedef struct SceneVariance SceneVariance;

/* Checks p (net_config_check for the batch used, with RESLAB_MEMORY_LIMIT; show in 1..3), runs
 * one forward pass of each net and takes the statistics. NULL with a message on failure. */
SceneVariance *scene_variance_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_variance_free(SceneVariance *s);

/* Draws the scene into r (logical units) with theme t in language lang (text scaled down in an r
 * smaller than 1280 x 800: scene_depth_fit_theme); paints r's background and nothing outside r.
 * Keeps no state. */
void scene_variance_draw(const SceneVariance *s, cairo_t *cr, Rect r, const Theme *t,
                         SceneLang lang);

/* The batch the statistics were taken over. */
size_t scene_variance_batch(const SceneVariance *s);

/* Net k's statistics of x_0..x_L ([L + 1]), its predicted q_l ([L + 1], NaN where none) and its
 * response std per block ([L], block l in [l - 1]). NULL if net k is not shown. Owned by s. */
const StatsLayer *scene_variance_layers(const SceneVariance *s, int k);
const double *scene_variance_predicted(const SceneVariance *s, int k);
const double *scene_variance_response(const SceneVariance *s, int k);

/* Where scene_variance_draw puts things. */
typedef struct {
    Rect header;              /* title and parameter line */
    PlotAxes q;               /* q_l against l, log10; x from -0.5 to L + 0.5 */
    Rect legend;              /* the legend box (right of q's frame) */
    PlotAxes resp;            /* response std against block l = 1..L, log10 */
    Rect note;                /* the theory note */
} SceneVarianceLayout;

/* The layout of scene_variance_draw (text measured with cr, which may be NULL; the theme fitted
 * to r by scene_depth_fit_theme). */
void scene_variance_layout(const SceneVariance *s, cairo_t *cr, Rect r, const Theme *t,
                           SceneLang lang, SceneVarianceLayout *out);

/* Every text the scene draws in lang (Pango markup; tick labels aside), one per line, into buf:
 * RESLAB_OK, or RESLAB_ERR_INVALID if buf was too small (truncated). */
int scene_variance_texts(const SceneVariance *s, SceneLang lang, char *buf, size_t len);

#endif
