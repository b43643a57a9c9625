/* scene_block.h: the block scene (SCENE_BLOCK): the diagram of one block y = F(x) + S(x) as the
 * configured block computes it (order, shortcut, batch norm, activation), and the actual vectors
 * of one example drawn as bars under it, with the identity that holds numerically.
 *
 * Usage:
 *     SceneParams p = scene_params_default();  p.net.order = ORDER_PRE;  p.lang = SCENE_LANG_ZH;
 *     char err[256];
 *     SceneBlock *s = scene_block_alloc(&p, err, sizeof err);      NULL + message on failure
 *     scene_block_draw(s, cr, (Rect){0, 0, 1280, 800}, &theme, p.lang);
 *     SceneBlockLayout lay;                                        where the bars went (tests)
 *     scene_block_layout(cr, s, (Rect){0, 0, 1280, 800}, &theme, p.lang, &lay);
 *     scene_block_free(s);
 *
 * The numbers: the net is built as `reslab flow` builds it (src/cli/cmd_flow.c): gsl mt19937
 * seeded p->seed draws the residual net's weights (net_alloc), then its dropout masks
 * (net_dropout_draw), then the input X (B, input width) ~ N(0, 1). The scene runs block_forward
 * of the net's FIRST block (n_in = n_out = width) on x = x_0 (X, or X W_in^T with an input
 * projection) and keeps example p->example of x, F(x), S(x), F + S and the output y.
 * The check is computed independently of block_forward's own sum: S(x) is recomputed from the
 * parameters (Ws x, lambda x, (1 - g) x with g = sigmoid(Wg x + bg) evaluated here, m x), added to
 * F and passed through s in post order; max |y - that| over all B examples is printed.
 *
 * Drawing: title and configuration; the diagram (boxes of F in order, the shortcut in
 * t->residual labelled with what S is, the sum node, the post-activation after it in post order,
 * or "no shortcut" in t->plain for the plain net); one bar panel per vector on a shared symmetric
 * scale, each bar coloured by the diverging map (heatmap_colour with lo = -range, hi = range),
 * non-finite values as full-height bars in t->overflow; the check line.
 */
#ifndef RESLAB_SCENE_BLOCK_H
#define RESLAB_SCENE_BLOCK_H

#include <stddef.h>
#include <cairo.h>

#include "layout.h"
#include "plot.h"
#include "scene.h"
#include "theme.h"

/* The most units one bar panel shows; wider blocks show units 0 .. SCENE_BLOCK_UNITS_MAX - 1
 * (the caption says so). */
enum { SCENE_BLOCK_UNITS_MAX = 64 };

typedef enum {
    SCENE_BLOCK_VEC_X,      /* x, the block's input */
    SCENE_BLOCK_VEC_F,      /* the branch term at the sum: F(x), or g ⊙ F(x) for exclusive gating */
    SCENE_BLOCK_VEC_S,      /* the shortcut term S(x); absent for the plain net */
    SCENE_BLOCK_VEC_SUM,    /* F + S before the activation; post order only */
    SCENE_BLOCK_VEC_Y,      /* the block's output: s(F + S) (post) or F + S (pre) */
    SCENE_BLOCK_VEC_COUNT
} SceneBlockVec;

typedef struct SceneBlock SceneBlock;

typedef struct {
    Rect title;                             /* title and configuration line */
    Rect diagram;                           /* boxes, arrows, shortcut */
    PlotAxes vec[SCENE_BLOCK_VEC_COUNT];    /* bar panels: x = unit (cell centres at 0, 1, ...),
                                               y = value in [-range, range]; only if shown */
    int shown[SCENE_BLOCK_VEC_COUNT];       /* 1 if the panel is drawn */
    size_t units;                           /* bars per panel: min(width, UNITS_MAX) */
    double range;                           /* the shared symmetric scale (> 0) */
    Rect check;                             /* the check line and the notes under it */
} SceneBlockLayout;

/* Checks p (net_config_check with RESLAB_MEMORY_LIMIT, example < batch) and computes the
 * vectors and the check. NULL with a message on failure (invalid config, out of memory). */
SceneBlock *scene_block_alloc(const SceneParams *p, char *err, size_t errlen);
void scene_block_free(SceneBlock *s);

/* Draws the scene into r (logical units); keeps no state. */
void scene_block_draw(const SceneBlock *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);

/* Where scene_block_draw puts the panels for this r (text measured with cr; may be NULL). */
void scene_block_layout(cairo_t *cr, const SceneBlock *s, Rect r, const Theme *t, SceneLang lang,
                        SceneBlockLayout *out);

/* The example's vector v (width values), or NULL if this block has no such term. Owned by s. */
const double *scene_block_vector(const SceneBlock *s, SceneBlockVec v);
size_t scene_block_width(const SceneBlock *s);

/* max over the batch of |y - expected|, expected = s(F + S) (post) or F + S (pre), S recomputed
 * as above: 0 or rounding for every config (NaN if the values are not finite). */
double scene_block_check(const SceneBlock *s);

/* The check line exactly as drawn (Pango markup), e.g.
 * "max |<i>y</i> − ReLU(<i>F</i>(<i>x</i>) + <i>x</i>)| = 0", into buf (always terminated). */
void scene_block_check_text(const SceneBlock *s, SceneLang lang, char *buf, size_t len);

/* Calls f(markup, ctx) with every string the figure draws in lang, except tick labels: titles,
 * labels, notes (for tests: every glyph has a font, nothing is left untranslated). */
void scene_block_each_text(const SceneBlock *s, SceneLang lang,
                           void (*f)(const char *markup, void *ctx), void *ctx);

#endif
