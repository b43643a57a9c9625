/* scene.c: the registry of scenes: names, titles, and dispatch to the scene modules. */
#include "scene.h"

#include <stdlib.h>
#include <string.h>

#include "scene_block.h"
#include "scene_depth.h"
#include "scene_jacobian.h"
#include "scene_paths.h"
#include "scene_shatter.h"
#include "scene_train.h"
#include "scene_unroll.h"
#include "scene_variance.h"
#include "status.h"

struct Scene {
    SceneKind kind;
    SceneLang lang;
    void *data;               /* the module's own SceneX */
};

static const struct {
    const char *name, *en, *zh;
} scene_info[SCENE_COUNT] = {
    [SCENE_DEPTH] = {"depth", "Plain vs residual as depth grows", "随深度增加：普通网络与残差网络"},
    [SCENE_BLOCK] = {"block", "The residual block y = F(x) + S(x)", "残差块 y = F(x) + S(x)"},
    [SCENE_UNROLL] = {"unroll", "The unrolled sum x_L = x_0 + \u03a3 F(x_{l-1})", "展开和 x_L = x_0 + \u03a3 F(x_{l-1})"},
    [SCENE_PATHS] = {"paths", "Paths, path lengths and lesions", "路径、路径长度与删除块"},
    [SCENE_JACOBIAN] = {"jacobian", "Singular values of the Jacobian", "雅可比矩阵的奇异值"},
    [SCENE_SHATTER] = {"shatter", "Shattered gradients", "破碎梯度"},
    [SCENE_VARIANCE] = {"variance", "Variance by depth", "方差随深度的变化"},
    [SCENE_TRAIN] = {"train", "Plain and residual nets training side by side", "普通网络与残差网络并排训练"},
};

SceneParams scene_params_default(void)
{
    SceneParams p = {
        .net = net_config_default(), .batch = 8, .seed = 1, .shown_depth = 0,
        .show = SCENE_SHOW_BOTH, .example = 0, .samples = 100, .lang = SCENE_LANG_EN,
    };
    p.net.param_grads = 0;
    return p;
}

void scene_apply_defaults(SceneKind k, SceneParams *p, unsigned given)
{
    if (k == SCENE_UNROLL && !(given & SCENE_GIVEN_ORDER)) p->net.order = ORDER_PRE;
    if (k == SCENE_SHATTER && !(given & SCENE_GIVEN_WIDTH)) p->net.width = 200;
    if (k == SCENE_TRAIN && !(given & SCENE_GIVEN_DEPTH)) p->net.depth = 20;
    if (k == SCENE_TRAIN && !(given & SCENE_GIVEN_WIDTH)) p->net.width = 32;
    if (k == SCENE_TRAIN) p->net.bn = 1;
}

const char *scene_name(SceneKind k) { return k < SCENE_COUNT ? scene_info[k].name : "?"; }

const char *scene_title(SceneKind k, SceneLang lang)
{
    if (k >= SCENE_COUNT) return "?";
    return lang == SCENE_LANG_ZH ? scene_info[k].zh : scene_info[k].en;
}

int scene_parse(const char *name, SceneKind *out)
{
    for (int k = 0; k < SCENE_COUNT; k++)
        if (strcmp(name, scene_info[k].name) == 0) {
            *out = (SceneKind)k;
            return RESLAB_OK;
        }
    return RESLAB_ERR_INVALID;
}

Scene *scene_alloc(SceneKind k, const SceneParams *p, char *err, size_t errlen)
{
    if (k >= SCENE_COUNT) {
        status_set(err, errlen, RESLAB_ERR_INVALID, "unknown scene %d", (int)k);
        return NULL;
    }
    Scene *s = calloc(1, sizeof *s);
    if (!s) {
        status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->kind = k;
    s->lang = p->lang;
    switch (k) {
    case SCENE_DEPTH: s->data = scene_depth_alloc(p, err, errlen); break;
    case SCENE_BLOCK: s->data = scene_block_alloc(p, err, errlen); break;
    case SCENE_UNROLL: s->data = scene_unroll_alloc(p, err, errlen); break;
    case SCENE_PATHS: s->data = scene_paths_alloc(p, err, errlen); break;
    case SCENE_JACOBIAN: s->data = scene_jacobian_alloc(p, err, errlen); break;
    case SCENE_SHATTER: s->data = scene_shatter_alloc(p, err, errlen); break;
    case SCENE_VARIANCE: s->data = scene_variance_alloc(p, err, errlen); break;
    case SCENE_TRAIN: s->data = scene_train_alloc(p, err, errlen); break;
    case SCENE_COUNT: break;
    }
    if (!s->data) {
        free(s);
        return NULL;
    }
    return s;
}

void scene_free(Scene *s)
{
    if (!s) return;
    switch (s->kind) {
    case SCENE_DEPTH: scene_depth_free(s->data); break;
    case SCENE_BLOCK: scene_block_free(s->data); break;
    case SCENE_UNROLL: scene_unroll_free(s->data); break;
    case SCENE_PATHS: scene_paths_free(s->data); break;
    case SCENE_JACOBIAN: scene_jacobian_free(s->data); break;
    case SCENE_SHATTER: scene_shatter_free(s->data); break;
    case SCENE_VARIANCE: scene_variance_free(s->data); break;
    case SCENE_TRAIN: scene_train_free(s->data); break;
    case SCENE_COUNT: break;
    }
    free(s);
}

SceneKind scene_kind(const Scene *s) { return s->kind; }

void *scene_data(Scene *s) { return s->data; }

void scene_draw(const Scene *s, cairo_t *cr, Rect r, const Theme *t)
{
    switch (s->kind) {
    case SCENE_DEPTH: scene_depth_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_BLOCK: scene_block_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_UNROLL: scene_unroll_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_PATHS: scene_paths_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_JACOBIAN: scene_jacobian_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_SHATTER: scene_shatter_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_VARIANCE: scene_variance_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_TRAIN: scene_train_draw(s->data, cr, r, t, s->lang); break;
    case SCENE_COUNT: break;
    }
}
