/* scene_opts.h: the command-line options as a scene's parameters (render, view, lesson). */
#ifndef RESLAB_SCENE_OPTS_H
#define RESLAB_SCENE_OPTS_H

#include "opts.h"
#include "scene.h"

/* o's net, batch, seed, example, samples, show and language, with the scene's defaults for the
 * options o did not give (scene_apply_defaults: unroll pre order, shatter width 200). */
SceneParams cli_scene_params(const CliOptions *o, SceneKind kind);

/* The SCENE_GIVEN_* bits of the options o gave. */
unsigned cli_scene_given(const CliOptions *o);

#endif
