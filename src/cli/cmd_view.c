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
#include "scene_opts.h"
#include "lesson.h"
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
               "  --sync             compute on the drawing thread (frames then depend on nothing but\n"
               "                     the frame count: reproducible scripted runs; default: a compute\n"
               "                     thread, so the window never waits for the numerics)\n"
               "  --bench            at exit, print each frame part's median and 99th percentile\n"
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
    int sync, bench;
} ViewOptions;

/* Takes the viewer's own options out of argv (in place); the rest goes to opts_parse. */
static int take_view_options(int *argc, char **argv, ViewOptions *v)
{
    static const char *names[] = {"--frames", "--events", "--screenshot", "--font-scale"};
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *val = NULL;
        int which = -1;
        if (strcmp(a, "--sync") == 0 || strcmp(a, "--bench") == 0) {
            *(a[2] == 's' ? &v->sync : &v->bench) = 1;
            continue;
        }
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

/* The viewer's params for scene k: the options with the scene's defaults (scene_opts.h); the
 * depth scene grows to 100 blocks unless --depth says otherwise, the others use reslab render's
 * depth (10), so that the window shows what `reslab render` draws. */
static SceneParams view_params(const CliOptions *o, SceneKind k)
{
    CliOptions c = *o;
    if (!o->depth_given) c.net.depth = k == SCENE_DEPTH ? 100 : 10;
    SceneParams p = cli_scene_params(&c, k);
    p.shown_depth = k == SCENE_DEPTH ? 1 : 0;
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of v[0..n-1] (sorted in place), nearest rank. */
static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(q * (double)n + 0.5);
    return v[i >= n ? n - 1 : i > 0 ? i - 1 : 0];
}

enum { PART_UPDATE, PART_DRAW, PART_UPLOAD, PART_PRESENT, PART_TOTAL, PARTS };

static void print_bench(double *t[PARTS], size_t n, const ViewerState *s)
{
    static const char *names[PARTS] = {"update (drawing thread)", "draw (cairo)", "upload (texture)",
                                       "present (SDL)", "frame total"};
    char depth[64];
    if (s->kind == SCENE_DEPTH) snprintf(depth, sizeof depth, "depth %zu of %zu", s->shown, s->params.net.depth);
    else snprintf(depth, sizeof depth, "depth %zu", s->params.net.depth);
    printf("reslab view --bench: %zu frames at %.0fx%.0f, scene %s, %s, width %zu, %s\n",
           n, s->win_w, s->win_h, scene_name(s->kind), depth,
           s->params.net.width, s->worker ? "compute thread" : "compute on the drawing thread (--sync)");
    printf("  %-24s %9s %9s %9s\n", "part (ms per frame)", "median", "p99", "max");
    for (int k = 0; k < PARTS; k++) {
        double med = quantile(t[k], n, 0.5), p99 = quantile(t[k], n, 0.99);
        printf("  %-24s %9.2f %9.2f %9.2f\n", names[k], med, p99, t[k][n - 1]);
    }
    if (s->worker && s->worker_steps > 0)
        printf("  compute thread: %ld %s, mean %.2f ms each (last %.2f ms), %.1f per second while "
               "computing\n", s->worker_steps, s->kind == SCENE_TRAIN ? "epochs" : "depth steps",
               s->worker_step_ms_sum / (double)s->worker_steps, s->worker_last_step_ms,
               1e3 * (double)s->worker_steps / s->worker_step_ms_sum);
    double *tot = t[PART_TOTAL];
    size_t over = 0;
    for (size_t i = 0; i < n; i++) over += tot[i] > 1e3 / 60;
    printf("  frames over 16.7 ms: %zu of %zu (median total %s the 60 fps budget)\n", over, n,
           quantile(tot, n, 0.5) <= 1e3 / 60 ? "within" : "OVER");
}

/* The window's loop for a scene (lesson NULL) or a lesson (lang: LessonLang). */
static int run(const CliOptions *o, SceneKind kind, const ViewOptions *v, const Lesson *lesson,
               int lang)
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
    SceneParams p = view_params(o, kind);
    if (lesson) {                      /* the first step's scene, as viewer_lesson_begin sets it */
        p = lesson->steps[0].params;
        p.lang = lang ? SCENE_LANG_ZH : SCENE_LANG_EN;
        p.shown_depth = kind == SCENE_DEPTH ? 1 : 0;
    }
    char title[256];
    snprintf(title, sizeof title, "reslab: %s",
             lesson ? lesson_text(&lesson->title, lang ? LESSON_ZH : LESSON_EN, NULL)
                    : scene_title(kind, p.lang));
    /* the window first: without a display there is nothing to compute for */
    Present *pr = present_open(title, (int)o->width, (int)o->height, err, sizeof err);
    if (!pr) {
        if (lesson)
            fprintf(stderr, "reslab lesson: no display (SDL: %s); step through the lesson in a "
                            "terminal with --text, or print it with --pdf FILE\n", err);
        else
            fprintf(stderr, "reslab view: no display (SDL: %s); draw the same picture without a "
                            "window: reslab render %s -o %s.png\n", err, scene_name(kind), scene_name(kind));
        free(events);
        return 2;
    }
    ViewerState s;
    if (viewer_state_init(&s, kind, &p, &theme, err, sizeof err)) {
        fprintf(stderr, "reslab view: %s\n", err);
        present_close(pr);
        free(events);
        return 2;
    }
    for (int k = 0; k < SCENE_COUNT && !lesson; k++)
        if (k != (int)kind) s.per_scene[k] = view_params(o, (SceneKind)k);
    if (lesson) {
        if (viewer_lesson_begin(&s, lesson, lang, err, sizeof err)) {
            fprintf(stderr, "reslab lesson: %s\n", err);
            viewer_state_free(&s);
            present_close(pr);
            free(events);
            return 2;
        }
        s.rebuild = 0;                 /* step 1's scene is the one just built */
        s.built = s.params;
    }
    s.events = events;
    s.nevents = nevents;
    if (!v->sync && viewer_go_async(&s, err, sizeof err))
        fprintf(stderr, "reslab view: %s; computing on the drawing thread\n", err);
    size_t cap = v->bench ? (v->frames ? (size_t)v->frames : 36000) : 0, nb = 0;
    double *bt[PARTS] = {0};
    for (int k = 0; k < PARTS && cap; k++)
        if (!(bt[k] = malloc(cap * sizeof(double)))) cap = 0;
    int rc = 0;
    double last = mono();
    const double frame_s = 1.0 / 60;
    for (;;) {
        double t = mono(), dt = t - last;
        last = t;
        if (dt > 0.25) dt = 0.25;
        int quit = viewer_frame(&s, pr, s.frame == 0 ? frame_s : dt);
        if (!quit && nb < cap) {
            bt[PART_UPDATE][nb] = s.last.compute_ms;
            bt[PART_DRAW][nb] = s.last.draw_ms;
            bt[PART_UPLOAD][nb] = s.last.upload_ms;
            bt[PART_PRESENT][nb] = s.last.present_ms;
            bt[PART_TOTAL][nb] = (mono() - t) * 1e3;
            nb++;
        }
        if (quit) break;
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
    if (nb > 0) print_bench(bt, nb, &s);
    else if (s.frame > 0)
        printf("reslab view: %ld frames, mean ms per frame: update %.2f, draw %.2f, upload %.2f, "
               "present %.2f; depth %zu\n", s.frame, s.sum.compute_ms / s.frame,
               s.sum.draw_ms / s.frame, s.sum.upload_ms / s.frame, s.sum.present_ms / s.frame, s.shown);
    for (int k = 0; k < PARTS; k++) free(bt[k]);
    viewer_state_free(&s);
    present_close(pr);
    free(events);
    return rc;
}

int viewer_main(int argc, char **argv)
{
    ViewOptions v = {0, NULL, NULL, 1.0, 0, 0};
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
    if (take_view_options(&n, args, &v) == 0) {
        int prc = opts_parse("view", n, args, OPT_NET | OPT_RENDER | OPT_FLOW, view_usage, &o);
        if (prc == OPTS_HELP) rc = 0;
        else if (prc == OPTS_OK) {
            if (o.modes_given)
                fprintf(stderr, "reslab view: --sweep, --jacobian, ... belong to 'reslab flow'; name a scene instead\n");
            else if (o.output)
                fprintf(stderr, "reslab view: -o belongs to 'reslab render'; use --screenshot FILE\n");
            else
                rc = run(&o, kind, &v, NULL, 0);
        }
    }
    free(args);
    cleanup_caches();
    return rc;
}

static void lesson_view_usage(FILE *f)
{
    fprintf(f, "usage: reslab lesson NAME [--lang en|zh] [viewer options]: see 'reslab lesson --help'\n");
}

int lesson_view(const struct Lesson *l, int lang, int argc, char **argv)
{
    ViewOptions v = {0, NULL, NULL, 1.0, 0, 0};
    char **args = malloc((size_t)(argc + 2) * sizeof *args);
    if (!args) return 2;
    int n = 0;
    args[n++] = "lesson";
    for (int i = 0; i < argc; i++) args[n++] = argv[i];
    args[n] = NULL;
    int rc = 2;
    CliOptions o;
    opts_defaults(&o);
    if (take_view_options(&n, args, &v) == 0) {
        int prc = opts_parse("lesson", n, args, OPT_RENDER, lesson_view_usage, &o);
        if (prc == OPTS_HELP) rc = 0;
        else if (prc == OPTS_OK) rc = run(&o, l->steps[0].scene, &v, l, lang);
    }
    free(args);
    cleanup_caches();
    return rc;
}
