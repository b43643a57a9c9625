/* test_viewer.c: the viewer's state machine, run headless (SDL_VIDEODRIVER=dummy) for a few
 * frames with scripted keys, and the viewer's command-line errors. Exit 77 (skipped) if SDL
 * cannot start even with the dummy driver. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "present.h"
#include "scene.h"
#include "scene_depth.h"
#include "scene_train.h"
#include "commands.h"
#include "viewer.h"
#include "lesson.h"

enum { WIN_W = 640, WIN_H = 400 };
static const double DT = 1.0 / 60;   /* a fixed frame time: the test does not depend on speed */

static void run_frames(ViewerState *s, Present *p, int n)
{
    for (int i = 0; i < n; i++) viewer_frame(s, p, DT);
}

static void test_keys_change_state(Check *c, Present *p)
{
    SceneParams par = scene_params_default();
    par.net.depth = 20;
    par.shown_depth = 1;
    Theme th = theme_light();
    ViewerState s;
    char err[512];
    if (!check_true(c, viewer_state_init(&s, SCENE_DEPTH, &par, &th, err, sizeof err) == 0,
                    "viewer_state_init (%s)", err)) return;
    run_frames(&s, p, 30);
    check_true(c, s.shown > 1 && s.shown <= 20, "test_depth_grows_while_playing: shown %zu after 30 frames", s.shown);
    size_t shown = s.shown;
    size_t target = s.params.net.depth;
    check_true(c, viewer_handle_key(&s, '+') == 1, "test_plus_is_a_key");
    run_frames(&s, p, 1);
    check_true(c, s.params.net.depth > target && scene_depth_shown(scene_data(s.scene)) >= shown,
               "test_plus_grows_the_target: %zu -> %zu, shown kept (%zu)", target, s.params.net.depth, s.shown);
    viewer_handle_key(&s, ' ');
    check_true(c, s.paused, "test_space_pauses");
    size_t before = s.shown;
    run_frames(&s, p, 10);
    check_true(c, s.shown == before, "test_paused_depth_stays: %zu", s.shown);
    viewer_handle_key(&s, VK_RIGHT);
    run_frames(&s, p, 1);
    check_true(c, s.shown == before + 1, "test_right_adds_one_block: %zu -> %zu", before, s.shown);
    viewer_handle_key(&s, VK_LEFT);
    run_frames(&s, p, 1);
    check_true(c, s.shown == before, "test_left_removes_one_block: %zu", s.shown);
    viewer_handle_key(&s, 'p');
    run_frames(&s, p, 1);
    SceneDepth *d = scene_data(s.scene);
    check_true(c, s.params.show == SCENE_SHOW_PLAIN && scene_depth_activations(d, SCENE_DEPTH_PLAIN)
                      && !scene_depth_activations(d, SCENE_DEPTH_RESIDUAL),
               "test_p_shows_one_net: show = %d", s.params.show);
    ViewerState copy;
    memcpy(&copy, &s, sizeof s);
    int ignored = viewer_handle_key(&s, 'z') == 0 && viewer_handle_key(&s, 0x7fff) == 0 &&
                  viewer_handle_key(&s, '9') == 0;
    check_true(c, ignored && memcmp(&copy, &s, sizeof s) == 0, "test_unknown_keys_are_ignored");
    unsigned long seed = s.params.seed;
    size_t width = s.params.net.width;
    viewer_handle_key(&s, 'r');
    viewer_handle_key(&s, 'w');
    run_frames(&s, p, 1);
    check_true(c, s.built.seed == seed + 1 && s.built.net.width == 32,
               "test_r_and_w_rebuild: seed %lu, width %zu -> %zu", s.built.seed, width, s.built.net.width);
    viewer_handle_key(&s, '2');
    run_frames(&s, p, 1);
    check_true(c, scene_kind(s.scene) == SCENE_BLOCK, "test_2_switches_to_the_block_scene");
    viewer_handle_key(&s, '1');
    viewer_handle_key(&s, 'h');
    run_frames(&s, p, 1);
    check_true(c, s.help && scene_kind(s.scene) == SCENE_DEPTH, "test_h_shows_help_back_on_depth");
    viewer_handle_key(&s, 'q');
    check_true(c, viewer_frame(&s, p, DT) == 1, "test_q_quits");
    viewer_state_free(&s);
}

static void test_screenshot(Check *c, Present *p)
{
    SceneParams par = scene_params_default();
    par.net.depth = 30;
    Theme th = theme_light();
    ViewerState s;
    char err[512], path[] = "/tmp/test_viewer_XXXXXX.png";
    int fd = mkstemps(path, 4);
    if (fd >= 0) close(fd);
    if (viewer_state_init(&s, SCENE_DEPTH, &par, &th, err, sizeof err)) {
        check_true(c, 0, "screenshot scene: %s", err);
        return;
    }
    run_frames(&s, p, 5);
    check_true(c, present_save_png(p, path, err, sizeof err) == 0, "test_screenshot_saved: %s", path);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    check_true(c, cairo_surface_status(img) == CAIRO_STATUS_SUCCESS && w == WIN_W && h == WIN_H,
               "test_screenshot_has_the_window_size: %dx%d", w, h);
    int colours_differ = 0;
    if (w > 0 && h > 0) {
        cairo_surface_flush(img);
        const unsigned char *data = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        unsigned first = *(const unsigned *)data;
        for (int y = 0; y < h && !colours_differ; y++)
            for (int x = 0; x < w; x++)
                if (*(const unsigned *)(data + (size_t)y * stride + 4 * (size_t)x) != first) {
                    colours_differ = 1;
                    break;
                }
    }
    check_true(c, colours_differ, "test_screenshot_is_not_blank");
    cairo_surface_destroy(img);
    unlink(path);
    viewer_state_free(&s);
}

/* viewer_main's stderr into a string (first line). */
static int main_stderr(char **argv, int argc, char *msg, size_t len)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    int rc = viewer_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    msg[0] = 0;
    if (!fgets(msg, (int)len, tmp)) msg[0] = 0;
    msg[strcspn(msg, "\n")] = 0;
    fclose(tmp);
    return rc;
}

static void test_option_errors(Check *c)
{
    char msg[1024];
    char *a1[] = {"view", "--frames", "abc", NULL};
    int rc = main_stderr(a1, 3, msg, sizeof msg);
    check_true(c, rc == 2 && strstr(msg, "--frames") && strstr(msg, "'abc'"),
               "test_bad_frames_is_named: rc %d, \"%s\"", rc, msg);
    char *a2[] = {"view", "--frames", NULL};
    rc = main_stderr(a2, 2, msg, sizeof msg);
    check_true(c, rc == 2 && strstr(msg, "missing value"), "test_missing_frames_value: \"%s\"", msg);

    char path[] = "/tmp/test_viewer_ev_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# frame key\n3 +\n5 space\n7 nosuchkey\n");
    fclose(f);
    char *a3[] = {"view", "--events", path, "--frames", "2", NULL};
    rc = main_stderr(a3, 5, msg, sizeof msg);
    char want[128];
    snprintf(want, sizeof want, "%s:4: unknown key 'nosuchkey'", path);
    check_true(c, rc == 2 && strstr(msg, want), "test_bad_event_names_file_and_line: \"%s\"", msg);
    f = fopen(path, "w");
    fprintf(f, "x q\n");
    fclose(f);
    rc = main_stderr(a3, 5, msg, sizeof msg);
    snprintf(want, sizeof want, "%s:1: FRAME", path);
    check_true(c, rc == 2 && strstr(msg, want), "test_bad_event_frame_names_file_and_line: \"%s\"", msg);
    f = fopen(path, "w");
    fprintf(f, "5 a\n2 b\n");
    fclose(f);
    rc = main_stderr(a3, 5, msg, sizeof msg);
    snprintf(want, sizeof want, "%s:2:", path);
    check_true(c, rc == 2 && strstr(msg, want), "test_events_must_ascend: \"%s\"", msg);
    unlink(path);
    char *a4[] = {"view", "--events", "/nonexistent/ev.txt", NULL};
    rc = main_stderr(a4, 3, msg, sizeof msg);
    check_true(c, rc == 2 && strstr(msg, "/nonexistent/ev.txt: cannot open"), "test_missing_events_file: \"%s\"", msg);

    ViewerEvent *ev;
    size_t n;
    char err[256];
    f = fopen(path, "w");
    fprintf(f, "\n0 p\n  2 left # comment is not allowed here\n");
    fclose(f);
    check_true(c, viewer_events_load(path, &ev, &n, err, sizeof err) != 0 && strstr(err, ":3:"),
               "test_trailing_words_rejected: \"%s\"", err);
    unlink(path);
}

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs frames until cond(s) or `limit` seconds: 1 if cond came true. */
static int frames_until(ViewerState *s, Present *p, int (*cond)(const ViewerState *), double limit)
{
    double t0 = secs();
    while (!cond(s) && secs() - t0 < limit) {
        viewer_frame(s, p, DT);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return cond(s);
}

static int past_40(const ViewerState *s) { return s->shown >= 40 && !s->building; }
static int built(const ViewerState *s) { return !s->building; }

/* The compute thread: the depth grows while frames only draw, the published numbers are bit for
 * bit those of a scene built directly at the same depth, rebuilds and scene switches arrive, the
 * per-scene defaults apply, and quitting cancels a build that would take minutes. */
static void test_async(Check *c, Present *p)
{
    SceneParams par = scene_params_default();
    par.net.depth = 300;
    par.shown_depth = 1;
    Theme th = theme_light();
    ViewerState s;
    char err[512];
    if (!check_true(c, viewer_state_init(&s, SCENE_DEPTH, &par, &th, err, sizeof err) == 0 &&
                        viewer_go_async(&s, err, sizeof err) == 0, "async init (%s)", err)) return;
    int grew = frames_until(&s, p, past_40, 20);   /* (called before check_true's arguments) */
    check_true(c, grew, "test_async_depth_grows: shown %zu", s.shown);
    viewer_handle_key(&s, ' ');                       /* pause, let the thread finish its step */
    viewer_wait_idle(&s, 5000);
    run_frames(&s, p, 1);
    check_true(c, s.paused && viewer_wait_idle(&s, 5000), "test_async_idle_when_paused");
    size_t d = s.shown;
    SceneParams q = par;
    q.shown_depth = d;
    Scene *ref = scene_alloc(SCENE_DEPTH, &q, err, sizeof err);
    Scene *sc = s.scene;                              /* idle and paused: nothing publishes */
    int same = ref && sc && scene_depth_shown(scene_data(sc)) == d;
    for (int k = 0; same && k < 2; k++) {
        const double *a = scene_depth_norms(scene_data(sc), k), *b = scene_depth_norms(scene_data(ref), k);
        const double *x = scene_depth_activations(scene_data(sc), k);
        const double *y = scene_depth_activations(scene_data(ref), k);
        same = a && b && memcmp(a, b, (d + 1) * sizeof *a) == 0 &&
               memcmp(x, y, (d + 1) * par.net.width * sizeof *x) == 0;
    }
    check_true(c, same, "test_async_numbers_bit_identical: depth %zu", d);
    scene_free(ref);
    viewer_handle_key(&s, 'w');                       /* width 16 -> 32: a rebuild on the thread */
    run_frames(&s, p, 1);
    int done = frames_until(&s, p, built, 20);
    check_true(c, done && s.built.net.width == 32 && s.shown == d,
               "test_async_rebuild: width %zu, shown %zu (was %zu)", s.built.net.width, s.shown, d);
    viewer_handle_key(&s, '3');
    run_frames(&s, p, 1);
    frames_until(&s, p, built, 20);
    check_true(c, s.scene && scene_kind(s.scene) == SCENE_UNROLL && s.params.net.order == ORDER_PRE,
               "test_unroll_scene_defaults_to_pre_order: order %d", s.params.net.order);
    viewer_handle_key(&s, '1');
    run_frames(&s, p, 1);
    frames_until(&s, p, built, 20);
    check_true(c, s.scene && scene_kind(s.scene) == SCENE_DEPTH && s.params.net.depth == 300 &&
                  s.params.net.width == 32,
               "test_depth_scene_keeps_its_settings: depth %zu width %zu", s.params.net.depth,
               s.params.net.width);
    /* shatter with batch norm at depth 100, width 200: minutes of work; q must not wait for it */
    s.per_scene[SCENE_SHATTER].net.depth = 100;
    s.per_scene[SCENE_SHATTER].net.bn = 1;
    viewer_handle_key(&s, '6');
    run_frames(&s, p, 3);
    check_true(c, s.building && s.params.net.width == 200, "test_shatter_builds_off_thread: "
               "building %d width %zu", s.building, s.params.net.width);
    double t0 = secs();
    viewer_handle_key(&s, 'q');
    check_true(c, viewer_frame(&s, p, DT) == 1, "test_q_quits_while_building");
    viewer_state_free(&s);
    double t = secs() - t0;
    check_true(c, t < 3.0, "test_quit_cancels_the_build: %.2f s (limit 3 s: one backward pass of "
               "256 examples at depth 100 is ~0.1 s)", t);
}

/* The fraction of pixels that differ from the top-left one (the background). */
static double ink(cairo_surface_t *img)
{
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) return 0;
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    cairo_surface_flush(img);
    const unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    unsigned first = *(const unsigned *)data;
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) n += *(const unsigned *)(data + (size_t)y * stride + 4 * (size_t)x) != first;
    return w > 0 && h > 0 ? (double)n / ((double)w * h) : 0;
}

/* Lesson mode (sync): keys step and reveal, each step shows its scene, its checks run and pass,
 * and the page is drawn (the frame is not blank). */
static void test_lesson_mode(Check *c, Present *p)
{
    const char *dir = getenv("RESLAB_LESSONS_DIR");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/01-residual-block.lesson", dir ? dir : "lessons");
    Lesson l;
    if (!check_true(c, lesson_load(&l, path, err, sizeof err) == 0, "lesson_load %s (%s)", path, err))
        return;
    Theme th = theme_light();
    SceneParams par = l.steps[0].params;
    ViewerState s;
    int ok = viewer_state_init(&s, l.steps[0].scene, &par, &th, err, sizeof err) == 0 &&
             viewer_lesson_begin(&s, &l, 0, err, sizeof err) == 0;
    if (!check_true(c, ok, "lesson mode begins (%s)", err)) {
        lesson_free(&l);
        return;
    }
    run_frames(&s, p, 2);
    size_t np = 0, nf = 0;
    int done = viewer_lesson_checks_done(&s, &np, &nf);
    check_true(c, viewer_lesson_step(&s) == 0 && done && nf == 0 && np == l.steps[0].nchecks,
               "test_lesson_first_step_checks_pass: step %zu, %zu passed, %zu failed",
               viewer_lesson_step(&s), np, nf);
    int asks = l.steps[0].ask.s[0] != NULL;
    viewer_handle_key(&s, VK_RIGHT);
    run_frames(&s, p, 1);
    check_true(c, asks ? (viewer_lesson_step(&s) == 0 && viewer_lesson_revealed(&s))
                       : viewer_lesson_step(&s) == 1,
               "test_lesson_right_reveals_the_answer_first: step %zu revealed %d",
               viewer_lesson_step(&s), viewer_lesson_revealed(&s));
    size_t guard = 0;
    while (viewer_lesson_step(&s) + 1 < l.nsteps && guard++ < 4 * l.nsteps) {
        viewer_handle_key(&s, VK_PAGEDOWN);
        run_frames(&s, p, 1);
        size_t i = viewer_lesson_step(&s);
        done = viewer_lesson_checks_done(&s, &np, &nf);
        check_true(c, s.scene && scene_kind(s.scene) == l.steps[i].scene && done && nf == 0,
                   "test_lesson_step_%zu_scene_and_checks: scene %s, %zu failed", i + 1,
                   s.scene ? scene_name(scene_kind(s.scene)) : "-", nf);
    }
    check_true(c, viewer_lesson_step(&s) + 1 == l.nsteps, "test_lesson_reaches_the_last_step");
    viewer_handle_key(&s, VK_PAGEUP);
    run_frames(&s, p, 1);
    check_true(c, viewer_lesson_step(&s) + 2 == l.nsteps && viewer_lesson_revealed(&s),
               "test_lesson_back_shows_the_step_before_answered");
    char png[] = "/tmp/test_viewer_lesson_XXXXXX.png";
    int fd = mkstemps(png, 4);
    if (fd >= 0) close(fd);
    int saved = present_save_png(p, png, err, sizeof err) == 0;
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    double f = saved ? ink(img) : 0;   /* text, a figure and a progress bar: several percent */
    check_true(c, saved && f > 0.03, "test_lesson_page_drawn: %.1f %% of the pixels inked", 100 * f);
    cairo_surface_destroy(img);
    unlink(png);
    viewer_state_free(&s);
    lesson_free(&l);
}

static int train_finished(const ViewerState *s)
{
    return s->scene && scene_kind(s->scene) == SCENE_TRAIN && !s->building &&
           scene_train_done(scene_data(s->scene));
}

/* The train scene trains live: sync, one epoch per frame while playing, → one epoch when
 * paused; async, on the compute thread until the budget is done (4 epochs here). */
static void test_train_scene(Check *c, Present *p)
{
    SceneParams par = scene_params_default();
    scene_apply_defaults(SCENE_TRAIN, &par, 0);
    par.net.depth = 4;
    par.epochs = 4;
    Theme th = theme_light();
    ViewerState s;
    char err[512];
    if (!check_true(c, viewer_state_init(&s, SCENE_TRAIN, &par, &th, err, sizeof err) == 0,
                    "train scene (%s)", err)) return;
    const SceneTrain *tr = scene_data(s.scene);
    check_true(c, scene_train_epochs_done(tr, SCENE_TRAIN_RESIDUAL) == 0,
               "test_viewer_train_scene_starts_untrained");
    run_frames(&s, p, 2);
    tr = scene_data(s.scene);
    check_true(c, scene_train_epochs_done(tr, SCENE_TRAIN_RESIDUAL) == 2,
               "test_train_one_epoch_per_frame: %zu", scene_train_epochs_done(tr, SCENE_TRAIN_RESIDUAL));
    viewer_handle_key(&s, ' ');
    run_frames(&s, p, 3);
    size_t e = scene_train_epochs_done(scene_data(s.scene), SCENE_TRAIN_RESIDUAL);
    viewer_handle_key(&s, VK_RIGHT);
    run_frames(&s, p, 1);
    size_t e2 = scene_train_epochs_done(scene_data(s.scene), SCENE_TRAIN_RESIDUAL);
    check_true(c, e == 2 && e2 == 3, "test_train_paused_then_one_epoch: %zu then %zu", e, e2);
    viewer_state_free(&s);
    if (viewer_state_init(&s, SCENE_TRAIN, &par, &th, err, sizeof err) ||
        viewer_go_async(&s, err, sizeof err)) {
        check_true(c, 0, "async train scene (%s)", err);
        return;
    }
    int done = frames_until(&s, p, train_finished, 60);
    double er = done ? scene_train_error(scene_data(s.scene), SCENE_TRAIN_RESIDUAL) : NAN;
    check_true(c, done && er >= 0 && er <= 1, "test_async_train_runs_the_budget: done %d, residual "
               "training error %.3f", done, er);
    viewer_state_free(&s);
}

/* The whole command: a scripted run writes a screenshot of the requested size. */
static void test_main_runs(Check *c)
{
    char ev[] = "/tmp/test_viewer_ev_XXXXXX", png[] = "/tmp/test_viewer_main_XXXXXX.png";
    int fd = mkstemp(ev);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "1 plus\n2 p\n3 h\n4 h\n");
    fclose(f);
    fd = mkstemps(png, 4);
    if (fd >= 0) close(fd);
    char *a[] = {"view", "depth", "--depth", "20", "--size", "480x300", "--frames", "6", "--events", ev,
                 "--screenshot", png, NULL};
    fflush(stdout);
    int rc = viewer_main(12, a);
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    check_true(c, rc == 0 && w == 480 && h == 300, "test_view_main_screenshot: rc %d, %dx%d", rc, w, h);
    cairo_surface_destroy(img);
    unlink(ev);
    unlink(png);
}

int main(void)
{
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    setenv("SDL_FRAMEBUFFER_ACCELERATION", "0", 1);
    Check c = {0, 0};
    char err[256];
    Present *p = present_open("test_viewer", WIN_W, WIN_H, err, sizeof err);
    if (!p) {
        printf("SKIP test_viewer: SDL cannot start with the dummy video driver: %s\n", err);
        return 77;
    }
    test_keys_change_state(&c, p);
    test_screenshot(&c, p);
    test_async(&c, p);
    test_lesson_mode(&c, p);
    test_train_scene(&c, p);
    present_close(p);
    test_option_errors(&c);
    test_main_runs(&c);
    return check_done(&c);
}
