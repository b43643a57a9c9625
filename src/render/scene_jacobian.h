/* scene_jacobian.h: the singular values of the input-output Jacobian dx_L/dx_0 of one example,
 * plain net vs residual twin, and of every block's Jacobian dx_l/dx_{l-1} (papers.md section 6:
 * dynamical isometry means every singular value near 1).
 *
 * Usage (normally through scene.h: scene_alloc(SCENE_JACOBIAN, &p, ...)):
 *     SceneParams p = scene_params_default();  p.example = 3;
 *     SceneJacobian *s = scene_jacobian_alloc(&p, err, sizeof err);
 *     scene_jacobian_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, SCENE_LANG_EN);
 *     const SceneJacobianData *d = scene_jacobian_data(s);
 *     SceneJacobianLayout lay;
 *     scene_jacobian_layout(cr, s, r, &theme, lang, &lay);
 *     double px = plot_x(&lay.spectrum, 1), py = plot_y(&lay.spectrum, d->s_residual[0]);
 *     scene_jacobian_free(s);
 *
 * The numbers are exactly those of `reslab flow --jacobian --example b` with the same options:
 * the nets and input as in `reslab flow` (residual net of p->net from mt19937 seeded p->seed, its
 * dropout masks, X ~ N(0, 1), the plain twin); for each net, forward, jacobian_net for example b,
 * jacobian_singular_values (JACOBIAN_OVERFLOW: the net exploded, the values are NaN), the
 * condition number jacobian_condition, and without batch norm jacobian_blocks and each block's
 * singular values (a block whose SVD fails is all NaN, as the CLI prints it).
 * Panels: (1) s_i against i (sorted, largest first) on a log axis, 1 (isometry) and each net's
 * rounding floor eps * s_max marked, zeros and overflow as overflow marks, kappa in the legend;
 * (2) per block l, the band from s_min to s_max of dx_l/dx_{l-1} for both nets on a log axis
 * (with batch norm: a message, the block Jacobians couple the examples). A note on dynamical
 * isometry and on F = 0 (the identity). Both nets are computed; p->show picks the ones
 * drawn.
 * Dimensions: n width, L depth, l block 1..L, i singular value index 1..n.
 */
#ifndef RESLAB_SCENE_JACOBIAN_H
#define RESLAB_SCENE_JACOBIAN_H

#include <stddef.h>
#include <cairo.h>

#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "theme.h"

typedef struct SceneJacobian SceneJacobian;

/* The numbers the figure shows (owned by the scene, valid until scene_jacobian_free). */
typedef struct {
    NetConfig net;                  /* the residual net's config (p->net) */
    size_t n, L, batch, example;
    unsigned long seed;
    int show;                       /* p->show: the nets drawn */
    const double *s_plain;          /* [n] singular values of dx_L/dx_0, descending; NaN if */
    const double *s_residual;       /*     that net's Jacobian overflowed */
    int overflow_plain, overflow_residual;   /* JACOBIAN_OVERFLOW: inf or NaN in J */
    double cond_plain, cond_residual;        /* s_max / s_min: inf if s_min = 0, NaN on overflow */
    const double *blocks_plain;     /* [L * n]: row l - 1 the singular values of dx_l/dx_{l-1}, */
    const double *blocks_residual;  /*     descending; NULL with batch norm */
} SceneJacobianData;

/* Where scene_jacobian_draw puts things inside r. */
typedef struct {
    Rect title, note;
    PlotAxes spectrum, blocks;
    Rect legend[2];
} SceneJacobianLayout;

/* Checks p (net_config_check with RESLAB_MEMORY_LIMIT, example < batch, show 1..3) and
 * computes. NULL with a message on failure. Time: two n x n SVDs and, without batch norm, 2 L block Jacobians and
 * SVDs (depth 10, width 16: ~2 ms); with batch norm n backward passes per net. */
SceneJacobian *scene_jacobian_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_jacobian_free(SceneJacobian *s);

const SceneJacobianData *scene_jacobian_data(const SceneJacobian *s);

/* The layout scene_jacobian_draw uses, in r's units (scaled as the drawing is; text measured with
 * cr, which may be NULL). */
void scene_jacobian_layout(cairo_t *cr, const SceneJacobian *s, Rect r, const Theme *t,
                           SceneLang lang, SceneJacobianLayout *out);

/* Paints r with the theme's background and draws the figure inside it (clipped to r). The
 * layout needs about 55 x 35 base font sizes (1100 x 700 at font size 20): in a smaller r the
 * whole figure is drawn scaled down, so text keeps its proportions to the plots. */
void scene_jacobian_draw(const SceneJacobian *s, cairo_t *cr, Rect r, const Theme *t,
                         SceneLang lang);

/* Every fixed string the figure uses in lang (for glyph checks); *n gets how many. */
const char *const *scene_jacobian_texts(SceneLang lang, size_t *n);

#endif
