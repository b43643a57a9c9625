/* scene_opts.c: the command-line options as a scene's parameters (scene_opts.h). */
#include "scene_opts.h"

unsigned cli_scene_given(const CliOptions *o)
{
    return (o->order_given ? SCENE_GIVEN_ORDER : 0u) | (o->width_given ? SCENE_GIVEN_WIDTH : 0u) |
           (o->depth_given ? SCENE_GIVEN_DEPTH : 0u);
}

SceneParams cli_scene_params(const CliOptions *o, SceneKind kind)
{
    SceneParams p = scene_params_default();
    p.net = o->net;
    p.net.param_grads = 0;
    p.batch = o->batch;
    p.seed = o->seed;
    p.example = o->example;
    p.samples = o->samples;
    p.show = o->show;
    p.lang = o->lang_zh ? SCENE_LANG_ZH : SCENE_LANG_EN;
    scene_apply_defaults(kind, &p, cli_scene_given(o));
    return p;
}
