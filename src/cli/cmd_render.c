/* cmd_render.c: `reslab render SCENE [options] -o FILE`: a scene as a PNG, SVG or PDF figure,
 * with no window. The file is written to a temporary name and renamed, so an error never
 * leaves a half-written figure. */
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "commands.h"
#include "export.h"
#include "opts.h"
#include "scene.h"
#include "scene_opts.h"
#include "status.h"

static void render_usage(FILE *f)
{
    fprintf(f, "usage: reslab render SCENE [options] -o FILE\n"
               "Draws a scene into FILE; its extension picks the format: .png, .svg or .pdf.\n"
               "Scenes:\n");
    for (int k = 0; k < SCENE_COUNT; k++)
        fprintf(f, "  %-9s %s\n", scene_name((SceneKind)k), scene_title((SceneKind)k, SCENE_LANG_EN));
    fprintf(f, "\n");
    opts_print_help(f, OPT_NET | OPT_RENDER);
    fprintf(f, "  --example b        block, jacobian: which example of the batch (default 0)\n"
               "  --samples N        paths: sampled paths per length (default 100)\n"
               "\nexamples: reslab render depth --depth 50 -o depth.png\n"
               "          reslab render block --order pre --lang zh -o block.pdf\n"
               "          reslab render depth --theme dark --size 1920x1080 --scale 2 -o big.png\n");
}

typedef struct {
    const Scene *scene;
    const Theme *theme;
} DrawCtx;

static void draw(cairo_t *cr, double w, double h, void *ctx)
{
    const DrawCtx *d = ctx;
    cairo_set_source_rgb(cr, d->theme->background.r, d->theme->background.g, d->theme->background.b);
    cairo_paint(cr);
    scene_draw(d->scene, cr, (Rect){0, 0, w, h}, d->theme);
}

static int load_theme(const char *name, Theme *t, char *err, size_t errlen)
{
    if (strcmp(name, "light") == 0 || strcmp(name, "dark") == 0) return theme_builtin(t, name, err, errlen);
    return theme_load(t, name, err, errlen);
}

/* Frees pango's, cairo's and fontconfig's global caches, so leak checkers see a clean exit. */
static void render_cleanup(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}

static int render(const CliOptions *o, SceneKind kind)
{
    char err[512];
    Theme theme;
    if (load_theme(o->theme, &theme, err, sizeof err)) {
        fprintf(stderr, "reslab render: --theme: %s\n", err);
        return 2;
    }
    SceneParams p = cli_scene_params(o, kind);
    Scene *s = scene_alloc(kind, &p, err, sizeof err);
    if (!s) {
        fprintf(stderr, "reslab render: %s\n", err);
        return 2;
    }
    DrawCtx ctx = {s, &theme};
    int rc = export_render(o->output, o->width, o->height, o->scale, draw, &ctx, err, sizeof err);
    scene_free(s);
    if (rc) {
        fprintf(stderr, "reslab render: %s\n", err);
        return 2;
    }
    printf("reslab render: wrote %s (%s scene, %.0fx%.0f", o->output, scene_name(kind), o->width, o->height);
    if (export_format(o->output) == EXPORT_PNG) printf(" at scale %g: %.0fx%.0f pixels", o->scale,
                                                      o->width * o->scale, o->height * o->scale);
    printf(")\n");
    return 0;
}

int cmd_render(int argc, char **argv)
{
    CliOptions o;
    opts_defaults(&o);
    o.samples = 100;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        render_usage(stdout);
        return 0;
    }
    SceneKind kind;
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "reslab render: name a scene first (see 'reslab render --help')\n");
        return 2;
    }
    if (scene_parse(argv[1], &kind)) {
        fprintf(stderr, "reslab render: unknown scene '%s' (see 'reslab render --help')\n", argv[1]);
        return 2;
    }
    int rc = opts_parse("render", argc - 1, argv + 1, OPT_NET | OPT_RENDER | OPT_FLOW, render_usage, &o);
    if (rc) return rc == OPTS_HELP ? 0 : 2;
    if (o.modes_given) {
        fprintf(stderr, "reslab render: --sweep, --jacobian, ... belong to 'reslab flow'; name a scene instead\n");
        return 2;
    }
    if (!o.output) {
        fprintf(stderr, "reslab render: missing -o FILE (.png, .svg or .pdf)\n");
        return 2;
    }
    if (export_format(o.output) == EXPORT_UNKNOWN) {
        fprintf(stderr, "reslab render: -o %s: unknown extension (use .png, .svg or .pdf)\n", o.output);
        return 2;
    }
    rc = render(&o, kind);
    render_cleanup();
    return rc;
}
