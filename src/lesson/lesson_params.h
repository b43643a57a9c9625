/* lesson_params.h: the words after a step's scene name ("--depth 50 --bn") -> SceneParams.
 *
 * Usage:
 *     SceneParams p;
 *     char err[256];
 *     if (lesson_params_parse(SCENE_DEPTH, "--depth 50 --act tanh", &p, err, sizeof err))
 *         ... err: "--act: unknown value 'sigmoid' (choose relu, tanh, identity)"
 *
 * The options are the scene options of `reslab render` (src/cli/opts.c, cmd_render.c), with the
 * same names, value ranges and per-scene defaults, so that a teacher can paste a step's words
 * after `reslab render NAME` and get the same figure:
 *     --depth --width --hidden --batch --seed --init --act --shortcut --variant --order --lambda
 *     --branch-scale --zero-last --bias-std --in-width --bn --dropout --gate-bias
 *     --show --samples --example
 * Both `--opt value` and `--opt=value` are accepted; a repeated option takes the last value
 * (as getopt does). Output options of `reslab render` (--output/-o, --size, --scale, --theme,
 * --lang, --max-memory) and the analyses of `reslab flow` (--sweep, ...) are refused with the
 * reason; anything else is an unknown option. Defaults: scene_params_default(), then as
 * `reslab render`: the unroll scene uses --order pre unless --order is given, the shatter scene
 * --width 200 unless --width is given. The result is checked as scene_alloc checks it
 * (net_config_check with RESLAB_MEMORY_LIMIT, --example below --batch).
 * Nothing is printed: errors go into err (one line naming the option and the value).
 */
#ifndef RESLAB_LESSON_PARAMS_H
#define RESLAB_LESSON_PARAMS_H

#include <stddef.h>

#include "scene.h"

/* The params of `reslab render NAME` with no options: scene_params_default() plus the scene's
 * own defaults (see above). */
SceneParams lesson_params_defaults(SceneKind kind);

/* Parses the whitespace-separated words in args (NUL-terminated; may be empty) into *p, from
 * lesson_params_defaults(kind). RESLAB_OK, or RESLAB_ERR_INVALID with a message; *p is written
 * only on success. */
int lesson_params_parse(SceneKind kind, const char *args, SceneParams *p, char *err,
                        size_t errlen);

/* A comma-separated list of the accepted option names ("--depth, --width, ..."), static. */
const char *lesson_params_names(void);

#endif
