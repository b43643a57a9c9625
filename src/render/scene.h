/* scene.h: the scenes reslab draws, computed from the numeric core and drawn with cairo. The
 * same scene serves `reslab render` (PNG/SVG/PDF), the SDL viewer and lesson handouts.
 *
 * Usage:
 *     SceneParams p = scene_params_default();  p.net.depth = 50;  p.lang = SCENE_LANG_ZH;
 *     Scene *s = scene_alloc(SCENE_DEPTH, &p, err, sizeof err);      computes (may take a while)
 *     scene_draw(s, cr, (Rect){0, 0, 1280, 800}, theme);              any cairo context
 *     scene_free(s);
 *
 * Every scene module (scene_<name>.c/.h) has the same three functions over its own opaque data:
 *     SceneX *scene_x_alloc(const SceneParams *p, char *err, size_t errlen);   NULL + message
 *     void scene_x_free(SceneX *s);
 *     void scene_x_draw(const SceneX *s, cairo_t *cr, Rect r, const Theme *t, SceneLang lang);
 * alloc runs the numerics (core only, no cairo); draw keeps no state and draws only inside r,
 * in logical units, text through text.h (Chinese included), colours from the theme: plain and
 * residual always in t->plain and t->residual, inf/NaN/off-scale values in t->overflow.
 * Lesson steps name scenes by scene_name() and set SceneParams fields by their option names.
 */
#ifndef RESLAB_SCENE_H
#define RESLAB_SCENE_H

#include <stddef.h>
#include <cairo.h>

#include "layout.h"
#include "net.h"
#include "theme.h"

typedef enum {
    SCENE_DEPTH,      /* plain and residual side by side: activations (layer x unit) and ||dL/dx_l|| */
    SCENE_BLOCK,      /* the block diagram of y = F(x) + S(x) with the actual vectors */
    SCENE_UNROLL,     /* x_L as x_0 plus the contributions F(x_{l-1}), with the check of Eq. 4 */
    SCENE_PATHS,      /* path lengths, the gradient per length, lesions */
    SCENE_JACOBIAN,   /* singular values of dx_L/dx_0 and of each block */
    SCENE_SHATTER,    /* autocorrelation of dy/dx by depth */
    SCENE_VARIANCE,   /* second moment by layer, measured and predicted */
    SCENE_TRAIN,      /* a plain and a residual net training side by side: losses, decision regions */
    SCENE_COUNT
} SceneKind;

typedef enum { SCENE_LANG_EN, SCENE_LANG_ZH } SceneLang;

typedef struct {
    NetConfig net;          /* the residual net (its shortcut); the plain twin shares its F */
    size_t batch;           /* B */
    unsigned long seed;     /* weights and inputs: gsl mt19937 seeded with this */
    size_t shown_depth;     /* depth scene: how many blocks are shown (0: all, net.depth) */
    int show;               /* which nets: SCENE_SHOW_PLAIN | SCENE_SHOW_RESIDUAL */
    size_t example;         /* block and Jacobian scenes: which example of the batch */
    size_t samples;         /* paths scene: sampled paths per length */
    SceneLang lang;         /* titles, labels and notes */
    size_t epochs;          /* train scene: the training budget in epochs (0: SCENE_TRAIN_EPOCHS) */
    int untrained;          /* train scene: 1: scene_alloc stops at step 0 (the viewer trains it
                               live, scene_train.h); 0: it trains the whole budget (render) */
} SceneParams;

enum { SCENE_SHOW_PLAIN = 1, SCENE_SHOW_RESIDUAL = 2, SCENE_SHOW_BOTH = 3 };

/* net_config_default() (depth 10, width 16, ReLU, identity, post, He), batch 8, seed 1, all
 * depths shown, both nets, example 0, 100 samples, English. */
SceneParams scene_params_default(void);

/* "depth", "block", "unroll", "paths", "jacobian", "shatter", "variance", "train". */
const char *scene_name(SceneKind k);
/* RESLAB_OK or RESLAB_ERR_INVALID for an unknown name. */
int scene_parse(const char *name, SceneKind *out);

typedef struct Scene Scene;

/* Checks p (net_config_check with RESLAB_MEMORY_LIMIT, example < batch, ...) and computes the
 * scene's data. NULL with a message naming what was wrong on failure. */
Scene *scene_alloc(SceneKind k, const SceneParams *p, char *err, size_t errlen);
void scene_free(Scene *s);
SceneKind scene_kind(const Scene *s);

/* Draws the scene into r (logical units) on cr with theme t, in the params' language. */
void scene_draw(const Scene *s, cairo_t *cr, Rect r, const Theme *t);

/* The defaults a scene puts on options that were not given (render, view and lessons agree):
 * unroll: pre-activation order (as `reslab unroll`); shatter: width 200 (as `flow --shatter`,
 * Balduzzi et al.'s width); train: depth 20, width 32 (as `reslab train`) and batch norm always
 * on (there is no option to turn it off on these command lines; without it post-order residual
 * nets diverge at He init, docs/training.md). given: SCENE_GIVEN_* bits of the options the user set. */
enum { SCENE_GIVEN_ORDER = 1, SCENE_GIVEN_WIDTH = 2, SCENE_GIVEN_DEPTH = 4 };
void scene_apply_defaults(SceneKind k, SceneParams *p, unsigned given);

/* The module's own data (SceneDepth * for SCENE_DEPTH, ...), for scene-specific calls such as
 * scene_depth_step in the viewer. */
void *scene_data(Scene *s);

/* A one-line title of the scene, in the params' language (for window titles, handouts). */
const char *scene_title(SceneKind k, SceneLang lang);

#endif
