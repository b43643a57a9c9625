/* viewer.h: the state of `reslab view` and one frame of it. Plain data, no SDL (present.h is
 * the glue), so tests run N frames headless.
 *
 * Usage:
 *     ViewerState s;  char err[512];
 *     if (viewer_state_init(&s, SCENE_DEPTH, &params, &theme, err, sizeof err)) ...error...
 *     Present *p = present_open("reslab", 1280, 800, err, sizeof err);
 *     while (!viewer_frame(&s, p, 1.0 / 60)) {}          input, fixed-step update, draw, present
 *     viewer_state_free(&s);  present_close(p);
 *
 * The depth scene grows at s.rate blocks per second (not per frame). One step of both nets costs
 * up to ~27 ms at depth 1000, so:
 *   - async (viewer_go_async, what `reslab view` does): a compute thread steps and builds; a frame
 *     only raises the depth it asks for (at most 2 ahead of the shown one: a slow step drops the
 *     backlog) and draws the published state under the thread's lock. A scene build runs there
 *     too, with the old scene on screen and "computing" in the status line; a newer request or
 *     quitting cancels it (status_cancel).
 *   - sync (tests, `--sync`): a frame runs steps only while its compute time stays under
 *     s.budget_ms (at least one step when one is due); the backlog is dropped. A step dearer than
 *     the budget is paid off by skipping steps in the next frames (debt_ms).
 * Keys (viewer_handle_key; codes are ASCII or VK_*): space pause/play (restart at the target),
 * left/right one block down/up, +/- target depth, w width 16/32/64, i init, v shortcut variant,
 * b batch norm, p plain/residual/both, r new seed, 1..7 scene, s screenshot, f fullscreen,
 * h or ? help, q or Esc quit. Anything else is ignored (returns 0).
 */
#ifndef RESLAB_VIEWER_H
#define RESLAB_VIEWER_H

#include <stddef.h>

#include "scene.h"
#include "theme.h"

/* Key codes of non-printable keys (printable keys are their ASCII code). */
enum { VK_RETURN = 13, VK_ESCAPE = 27, VK_LEFT = 0x101, VK_RIGHT, VK_UP, VK_DOWN, VK_PAGEUP,
       VK_PAGEDOWN };

typedef struct { long frame; int key; } ViewerEvent;

typedef struct {
    double compute_ms, draw_ms, upload_ms, present_ms;
    int steps;
} ViewerTimes;

typedef struct Present Present;
typedef struct Worker Worker;
typedef struct ViewerLesson ViewerLesson;
struct Lesson;

typedef struct {
    SceneKind kind;           /* the scene asked for (keys 1..7); the one on screen may still be
                                 building (async) */
    SceneParams params;       /* params.net.depth is the target depth (edited by keys) */
    SceneParams per_scene[SCENE_COUNT];   /* what each scene starts with when switched to, and
                                 keeps while another is shown (init: params with each scene's
                                 defaults, scene_apply_defaults; the caller may change them) */
    SceneParams built;        /* the params the current scene was built with */
    Scene *scene;
    Theme theme;
    size_t shown;             /* depth scene: blocks shown now (1 .. target) */
    int paused, help, quit;
    int rebuild;              /* a key changed params: rebuild the scene in the next frame */
    int step_req;             /* -1 / +1: one block down / up requested */
    int restart_req;
    int screenshot_req, fullscreen_req;
    double rate;              /* blocks per second */
    double acc;               /* blocks due, not yet stepped */
    double budget_ms;         /* compute time allowed per frame */
    double step_ms;           /* what the last scene_depth_step cost */
    double debt_ms;           /* compute over budget, paid off by skipping steps in later frames */
    double mx, my;            /* mouse, logical units; mouse_in: inside the window */
    int mouse_in;
    char hover[256];          /* scene_depth_hit text under the mouse ("" if none) */
    char message[512];        /* last status message (errors, screenshot path) */
    long frame;               /* frames drawn */
    const ViewerEvent *events;/* scripted keys, sorted by frame (not owned) */
    size_t nevents, next_event;
    double last_w, last_h;    /* logical size of the last frame's scene area (above the status
                                 line: what hit-testing uses) */
    double win_w, win_h;      /* logical size of the last frame */
    Rect scene_rect;          /* where the last frame drew the scene (hit-testing) */
    ViewerTimes last, sum;    /* the last frame's times and their sums over all frames */
    double max_compute_ms;
    Worker *worker;           /* non-NULL: the numerics run on a compute thread (viewer_go_async) */
    int building;             /* async: a scene is being built (the old one is shown) */
    size_t want;              /* async: the depth the animation asks the worker for */
    ViewerLesson *lesson;     /* non-NULL: lesson mode (viewer_lesson.c) */
    long worker_steps;        /* async: depth steps the worker did, and their compute time */
    double worker_step_ms_sum, worker_last_step_ms;
} ViewerState;

/* Builds the scene (kind, p; the depth scene starts at depth 1 unless p->shown_depth is set)
 * and sets the defaults (playing, 12 ms budget). 0, or -1 with a message. */
int viewer_state_init(ViewerState *s, SceneKind kind, const SceneParams *p, const Theme *t,
                      char *err, size_t errlen);
void viewer_state_free(ViewerState *s);

/* Moves the numerics to a compute thread (worker.h): from now on depth steps and scene builds
 * never run in viewer_frame, which only posts requests and draws the latest published state.
 * Without it (tests, --sync) everything runs in viewer_frame, deterministically per frame.
 * 0, or -1 with a message (the viewer then stays synchronous). */
int viewer_go_async(ViewerState *s, char *err, size_t errlen);

/* Async: waits until the compute thread has done everything asked so far (or timeout_ms):
 * 1 if it has. Sync: 1. For tests and scripted runs. */
int viewer_wait_idle(ViewerState *s, double timeout_ms);

/* Lesson mode: the window shows lesson l (not owned; it must outlive s) step by step, the
 * step's text in a panel beside its scene, a progress bar, and its numeric checks (computed on
 * the compute thread when async). Right, Page Down or Enter: the answer of a step's question,
 * then the next step; Left or Page Up: the step before. The other keys work on the scene as
 * usual. lang: 0 English, 1 Chinese (LessonLang). Call after viewer_state_init (any scene: the
 * first step replaces it) and before viewer_go_async. 0, or -1 with a message. */
int viewer_lesson_begin(ViewerState *s, const struct Lesson *l, int lang, char *err, size_t errlen);

/* Lesson mode: the step shown (0-based), whether its answer is shown, and whether its checks
 * are done (then *passed / *failed count them; either may be NULL). */
size_t viewer_lesson_step(const ViewerState *s);
int viewer_lesson_revealed(const ViewerState *s);
int viewer_lesson_checks_done(ViewerState *s, size_t *passed, size_t *failed);

/* Applies one key to the plain state. 1 if the key means something, 0 if it was ignored. */
int viewer_handle_key(ViewerState *s, int key);

/* A key name of an events file ("space", "left", "right", "up", "down", "esc", "plus", "minus",
 * or one printable character) as a key code, or -1. */
int viewer_key_parse(const char *name);

/* Reads an events file: "FRAME KEY" per line ('#' comments and blank lines skipped; frames
 * ascending). 0 and a malloc'd array, or -1 with "path:LINE: ..." in err. */
int viewer_events_load(const char *path, ViewerEvent **out, size_t *n, char *err, size_t errlen);

/* Applies pending rebuild/step requests and the fixed-step growth for dt seconds (budgeted). */
void viewer_update(ViewerState *s, double dt);

/* Draws the scene and the overlays (status line, hover text, help) into (0, 0, w, h). */
void viewer_draw(ViewerState *s, cairo_t *cr, double w, double h);

/* One frame: events (window and scripted), update, draw, upload, present. 1 when the viewer
 * should quit, else 0. p may be NULL (no window: update only). */
int viewer_frame(ViewerState *s, Present *p, double dt);


#endif
