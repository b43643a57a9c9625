/* scene_paths.h: the unraveled view of a residual net as a figure (Veit, Wilber, Belongie 2016;
 * papers.md section 3): how many of the 2^L paths have each length, the gradient one path of
 * length k carries and all of them together, and what deleting one block does to the output.
 *
 * Usage (normally through scene.h: scene_alloc(SCENE_PATHS, &p, ...)):
 *     SceneParams p = scene_params_default();  p.net.depth = 20;
 *     ScenePaths *s = scene_paths_alloc(&p, err, sizeof err);     the numerics, no cairo
 *     scene_paths_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, SCENE_LANG_ZH);
 *     const ScenePathsData *d = scene_paths_data(s);              the numbers drawn
 *     ScenePathsLayout lay;                                       where they were drawn
 *     scene_paths_layout(cr, s, r, &theme, lang, &lay);
 *     double px = plot_x(&lay.dist, 5), py = plot_y(&lay.dist, d->fraction[5]);   a bar's top
 *     scene_paths_free(s);
 *
 * The numbers are exactly those of `reslab flow --paths` and `reslab flow --lesion` with the same
 * options: the residual net of p->net (its shortcut) with weights from gsl mt19937 seeded with
 * p->seed, then its dropout masks, then the input X (B, input width) ~ N(0, 1) from the same
 * generator; the plain twin shares every F (net_alloc_twin, SHORTCUT_NONE). The gradient per path
 * length is paths_grad_by_length with p->samples random paths per length drawn from mt19937
 * seeded with p->seed + 2; the lesion is paths_lesion of the plain twin and of the residual net.
 * Panels: (1) C(L,k)/2^L as bars, mean L/2 and sd sqrt(L)/2 marked; (2) on a log axis the mean
 * ||dL/dx_0|| through one path of length k with min..max whiskers, and the total C(L,k) x mean;
 * (3) on a log axis the relative output change with block k deleted, plain vs residual (the
 * nets p->show names, 1..3; panels 1 and 2 are the residual net's in any case). A note
 * says what Veit et al. report for trained nets, and that this net is at initialisation.
 * Dimensions: B batch, n width, L depth, k path length 0..L (or deleted block 1..L).
 */
#ifndef RESLAB_SCENE_PATHS_H
#define RESLAB_SCENE_PATHS_H

#include <stddef.h>
#include <cairo.h>

#include "layout.h"
#include "paths.h"
#include "plot.h"
#include "scene.h"
#include "theme.h"

typedef struct ScenePaths ScenePaths;

/* The numbers the figure shows (owned by the scene, valid until scene_paths_free). */
typedef struct {
    NetConfig net;                  /* the residual net's config (p->net) */
    size_t L, batch, samples;
    unsigned long seed;             /* weights and input; paths sampled with seed + 2 */
    int show;                       /* p->show: which nets the lesion panel draws */
    double mean, sd;                /* path length: paths_length_moments (L/2, sqrt(L)/2) */
    const double *count;            /* [L + 1] C(L, k), paths_length_counts */
    const double *fraction;         /* [L + 1] C(L, k) / 2^L, paths_length_fraction */
    const PathsGradStats *grad;     /* [L + 1] paths_grad_by_length of the residual net */
    const double *lesion_plain;     /* [L] rel. change with block k + 1 deleted, plain twin */
    const double *lesion_residual;  /* [L] the same for the residual net */
    int lesion_nonfinite;           /* 1 if some output held inf or NaN (either net) */
    double grad_factor;             /* (mean_L / mean_0)^(1/L): mean factor per extra branch on
                                       a path (NaN if either mean is not finite and > 0) */
    size_t total_peak;              /* the k whose total C(L,k) x mean is largest among the
                                       finite ones > 0; L + 1 if there is none */
} ScenePathsData;

/* Where scene_paths_draw puts things inside r: the title strip, the three panels (data
 * coordinates: plot_x / plot_y), their legend strips and the note. */
typedef struct {
    Rect title, note;
    PlotAxes dist, grad, lesion;
    Rect legend[3];
    int grad_empty;           /* 1: no gradient is finite and > 0 (the panel says so) */
} ScenePathsLayout;

/* Checks p (net_config_check with RESLAB_MEMORY_LIMIT, samples >= 1, show 1..3, depth <=
 * PATHS_COUNT_MAX) and computes everything. NULL with a message on failure (config, out of
 * memory). Time: about (L + 1) * samples backward passes through L blocks of batch B (depth 10,
 * width 16: ~10 ms; depth 54: ~0.5 s; depth 1000, width 4: ~45 s, as `reslab flow --paths`). */
ScenePaths *scene_paths_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_paths_free(ScenePaths *s);

const ScenePathsData *scene_paths_data(const ScenePaths *s);

/* The layout scene_paths_draw uses, in r's units (scaled as the drawing is; text measured with
 * cr, which may be NULL). */
void scene_paths_layout(cairo_t *cr, const ScenePaths *s, Rect r, const Theme *t, SceneLang lang,
                        ScenePathsLayout *out);

/* Paints r with the theme's background and draws the figure inside it (clipped to r). The
 * layout needs about 55 x 35 base font sizes (1100 x 700 at font size 20): in a smaller r the
 * whole figure is drawn scaled down, so text keeps its proportions to the plots. */
void scene_paths_draw(const ScenePaths *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);

/* Every fixed string (titles, labels, legend texts, note formats) the figure uses in lang, for
 * glyph checks; *n gets how many. Numbers are formatted into some of them at draw time. */
const char *const *scene_paths_texts(SceneLang lang, size_t *n);

#endif
