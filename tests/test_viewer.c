/* test_viewer.c: the viewer's state machine, run headless (SDL_VIDEODRIVER=dummy) for a few
 * frames with scripted keys, and the viewer's command-line errors. Exit 77 (skipped) if SDL
 * cannot start even with the dummy driver. */
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "present.h"
#include "scene.h"
#include "scene_depth.h"
#include "commands.h"
#include "viewer.h"

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
    present_close(p);
    test_option_errors(&c);
    test_main_runs(&c);
    return check_done(&c);
}
