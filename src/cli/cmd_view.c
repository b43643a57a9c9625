/* view_main.c: `reslab view [SCENE] [options]`: the viewer's command line (the render options
 * of opts.h plus the viewer's own), then the frame loop. */
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "opts.h"
#include "present.h"
#include "scene.h"
#include "viewer.h"

static void view_usage(FILE *f)
{
    fprintf(f, "usage: reslab view [SCENE] [options]\n"
               "Shows a scene in a window; the depth scene (the default) grows block by block.\n"
               "Scenes:\n");
    for (int k = 0; k < SCENE_COUNT; k++)
        fprintf(f, "  %d %-9s %s\n", k + 1, scene_name((SceneKind)k), scene_title((SceneKind)k, SCENE_LANG_EN));
    fprintf(f, "\n");
    opts_print_help(f, OPT_NET | OPT_RENDER);
    fprintf(f, "  --frames N         run N frames, then exit (default: until q)\n"
               "  --events FILE      replay key presses: 'FRAME KEY' per line (KEY: a character, space,\n"
               "                     left, right, up, down, esc, plus, minus)\n"
               "  --screenshot FILE  save the last frame as a PNG at exit\n"
               "  --font-scale X     text size factor (default 1)\n"
               "\nkeys: space play/pause, left/right one block, +/- depth, w width, i init, v variant,\n"
               "b batch norm, p nets, r seed, 1..7 scene, s screenshot, f fullscreen, h help, q quit\n"
               "\nexamples: reslab view --depth 200\n"
               "          reslab view depth --frames 120 --screenshot view.png\n");
}

typedef struct {
    long frames;             /* 0: until quit */
    const char *events;
    const char *screenshot;
    double font_scale;
} ViewOptions;

/* Takes the viewer's own options out of argv (in place); the rest goes to opts_parse. */
static int take_view_options(int *argc, char **argv, ViewOptions *v)
{
    static const char *names[] = {"--frames", "--events", "--screenshot", "--font-scale"};
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *val = NULL;
        int which = -1;
        for (int k = 0; k < 4; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(a, names[k], n) == 0 && (a[n] == 0 || a[n] == '=')) {
                which = k;
                if (a[n] == '=') val = a + n + 1;
                break;
            }
        }
        if (strcmp(a, "--") == 0) {   /* keep the rest for opts_parse */
            while (i < *argc) argv[out++] = argv[i++];
            break;
        }
        if (which < 0) {
            argv[out++] = argv[i];
            continue;
        }
        if (!val) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "reslab view: missing value for '%s' (see 'reslab view --help')\n", names[which]);
                return -1;
            }
            val = argv[++i];
        }
        char *end;
        errno = 0;
        if (which == 0) {
            long n = strtol(val, &end, 10);
            if (!*val || *end || errno || n < 1) {
                fprintf(stderr, "reslab view: --frames: expected a whole number >= 1, got '%s'\n", val);
                return -1;
            }
            v->frames = n;
        } else if (which == 1) {
            v->events = val;
        } else if (which == 2) {
            v->screenshot = val;
        } else {
            double x = strtod(val, &end);
            if (!*val || *end || errno || !(x >= 0.25 && x <= 4)) {
                fprintf(stderr, "reslab view: --font-scale: expected a number in 0.25 .. 4, got '%s'\n", val);
                return -1;
            }
            v->font_scale = x;
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

static void cleanup_caches(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(const CliOptions *o, SceneKind kind, const ViewOptions *v)
{
    char err[512];
    Theme theme;
    int trc = (strcmp(o->theme, "light") == 0 || strcmp(o->theme, "dark") == 0)
                  ? theme_builtin(&theme, o->theme, err, sizeof err)
                  : theme_load(&theme, o->theme, err, sizeof err);
    if (trc) {
        fprintf(stderr, "reslab view: --theme: %s\n", err);
        return 2;
    }
    theme.font_size *= v->font_scale;
    ViewerEvent *events = NULL;
    size_t nevents = 0;
    if (v->events && viewer_events_load(v->events, &events, &nevents, err, sizeof err)) {
        fprintf(stderr, "reslab view: --events: %s\n", err);
        return 2;
    }
    SceneParams p = scene_params_default();
    p.net = o->net;
    p.batch = o->batch;
    p.seed = o->seed;
    p.example = o->example;
    p.samples = o->samples;
    p.show = o->show;
    p.lang = o->lang_zh ? SCENE_LANG_ZH : SCENE_LANG_EN;
    p.shown_depth = 1;
    ViewerState s;
    if (viewer_state_init(&s, kind, &p, &theme, err, sizeof err)) {
        fprintf(stderr, "reslab view: %s\n", err);
        free(events);
        return 2;
    }
    s.events = events;
    s.nevents = nevents;
    char title[256];
    snprintf(title, sizeof title, "reslab: %s", scene_title(kind, p.lang));
    Present *pr = present_open(title, (int)o->width, (int)o->height, err, sizeof err);
    if (!pr) {
        fprintf(stderr, "reslab view: no display (SDL: %s); draw the same picture without a window: "
                        "reslab render depth -o depth.png\n", err);
        viewer_state_free(&s);
        free(events);
        return 2;
    }
    int rc = 0;
    double last = mono();
    const double frame_s = 1.0 / 60;
    for (;;) {
        double t = mono(), dt = t - last;
        last = t;
        if (dt > 0.25) dt = 0.25;
        if (viewer_frame(&s, pr, s.frame == 0 ? frame_s : dt)) break;
        if (v->frames && s.frame >= v->frames) break;
        double spent = mono() - t;
        if (spent < frame_s) {   /* the software renderer has no vsync: throttle to 60 fps */
            struct timespec ts = {0, (long)((frame_s - spent) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    if (v->screenshot) {
        if (present_save_png(pr, v->screenshot, err, sizeof err)) {
            fprintf(stderr, "reslab view: --screenshot: %s\n", err);
            rc = 2;
        } else {
            int w, h;
            present_pixel_size(pr, &w, &h);
            printf("reslab view: wrote %s (%dx%d pixels)\n", v->screenshot, w, h);
        }
    }
    if (s.frame > 0)
        printf("reslab view: %ld frames, mean ms per frame: compute %.2f (%.2f steps, max %.1f), "
               "draw %.2f, upload %.2f, present %.2f; last step %.1f ms at depth %zu\n",
               s.frame, s.sum.compute_ms / s.frame, (double)s.sum.steps / s.frame, s.max_compute_ms,
               s.sum.draw_ms / s.frame, s.sum.upload_ms / s.frame, s.sum.present_ms / s.frame,
               s.step_ms, s.shown);
    viewer_state_free(&s);
    present_close(pr);
    free(events);
    return rc;
}

int viewer_main(int argc, char **argv)
{
    ViewOptions v = {0, NULL, NULL, 1.0};
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        view_usage(stdout);
        return 0;
    }
    char **args = malloc((size_t)(argc + 2) * sizeof *args);
    if (!args) return 2;
    int n = 0;
    args[n++] = argv[0];
    SceneKind kind = SCENE_DEPTH;
    int first = 1;
    if (argc >= 2 && argv[1][0] != '-') {
        if (scene_parse(argv[1], &kind)) {
            fprintf(stderr, "reslab view: unknown scene '%s' (see 'reslab view --help')\n", argv[1]);
            free(args);
            return 2;
        }
        first = 2;
    }
    for (int i = first; i < argc; i++) args[n++] = argv[i];
    args[n] = NULL;
    int rc = 2;
    CliOptions o;
    opts_defaults(&o);
    o.samples = 100;
    o.net.depth = 100;
    if (take_view_options(&n, args, &v) == 0) {
        int prc = opts_parse("view", n, args, OPT_NET | OPT_RENDER | OPT_FLOW, view_usage, &o);
        if (prc == OPTS_HELP) rc = 0;
        else if (prc == OPTS_OK) {
            if (kind == SCENE_UNROLL && !o.order_given) o.net.order = ORDER_PRE;
            if (kind == SCENE_SHATTER && !o.width_given) o.net.width = 200;
            if (o.modes_given)
                fprintf(stderr, "reslab view: --sweep, --jacobian, ... belong to 'reslab flow'; name a scene instead\n");
            else if (o.output)
                fprintf(stderr, "reslab view: -o belongs to 'reslab render'; use --screenshot FILE\n");
            else
                rc = run(&o, kind, &v);
        }
    }
    free(args);
    cleanup_caches();
    return rc;
}
