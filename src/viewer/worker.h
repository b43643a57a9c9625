/* worker.h: the viewer's compute thread. It owns the scene the window shows; the drawing thread
 * posts requests (grow the depth scene to d, restart it, build a new scene) and draws the scene
 * under the worker's lock, so the numerics never stall a frame:
 *   - a depth step (scene_depth_step_compute: ~27 ms at depth 1000, width 64, both nets) runs
 *     without the lock; only its publish (microseconds) takes it;
 *   - a scene build (scene_alloc: 0.2 s, or minutes for shatter with batch norm) runs without the
 *     lock; the old scene stays on screen until the new one is swapped in.
 * No SDL, no drawing: plain pthreads over scene.h.
 *
 * Usage (the drawing thread, once per frame):
 *     Worker *w = worker_start(scene, kind, &params, err, sizeof err);   takes the scene
 *     worker_post(w, &req);             what the frame wants (see WorkerRequest)
 *     worker_status(w, &st);            the depth shown now, whether a build runs, its result
 *     Scene *sc = worker_lock_scene(w); draw sc ...; worker_unlock_scene(w);
 *     worker_stop(w);                   cancels a running build (status_cancel), joins, frees
 */
#ifndef RESLAB_WORKER_H
#define RESLAB_WORKER_H

#include <stddef.h>

#include "scene.h"

typedef struct Worker Worker;

typedef struct {
    int rebuild;            /* 1: build (kind, params) and show it when done; supersedes (and
                               cancels) a build in progress */
    SceneKind kind;
    SceneParams params;     /* params.shown_depth: the depth scene's first shown depth */
    int restart;            /* 1: the depth scene back to depth 1 */
    size_t want;            /* the depth scene grows one block at a time while shown < want
                               (the drawing thread raises it at the animation's pace) */
    int play;               /* the training scene trains an epoch at a time while play is 1
                               (scene_train_step_compute off the lock, _publish under it) */
    int step;               /* the training scene: one more epoch even when not playing */
    void (*job)(void *ctx); /* non-NULL: run job(job_ctx) on the thread (after a pending build),
                               then set *job_done = 1 under the lock: read what the job wrote
                               only once *job_done reads 1 under the lock (worker_lock_scene).
                               A newer job replaces one not yet started (its flag stays 0); a
                               job whose flag is already 1 is not run again. */
    void *job_ctx;
    int *job_done;
} WorkerRequest;

typedef struct {
    size_t shown;           /* the depth scene's shown depth (0 for other scenes) */
    SceneKind kind;         /* the kind of the scene on screen */
    int building;           /* 1 while a build runs */
    int built;              /* 1 once after a build finished (ok or not): read params/error */
    int build_failed;       /* with built: the build failed; error says why, the old scene stays */
    char error[512];
    SceneParams params;     /* with built and not failed: the params of the new scene */
    double build_ms;        /* with built: how long the build took */
    long steps;             /* depth steps done so far (all scenes) */
    double step_ms_sum;     /* their compute time (without the publish) */
    double last_step_ms;
} WorkerStatus;

/* Starts the thread with the scene already built (taken over: freed by worker_stop). NULL with
 * a message if the thread could not start (the scene is then still the caller's). */
Worker *worker_start(Scene *scene, SceneKind kind, const SceneParams *params, char *err,
                     size_t errlen);

/* Merges r into the pending request (a rebuild replaces a pending one; want is taken as is). */
void worker_post(Worker *w, const WorkerRequest *r);

/* The state now; clears the "built" flag it reports. */
void worker_status(Worker *w, WorkerStatus *st);

/* The scene on screen, locked against publishes and swaps until worker_unlock_scene. */
Scene *worker_lock_scene(Worker *w);
void worker_unlock_scene(Worker *w);

/* Waits until the worker is idle (no build, shown >= want or at full depth, no restart) or
 * timeout_ms passed: 1 if idle. For tests and scripted runs. */
int worker_wait_idle(Worker *w, double timeout_ms);

/* Cancels a build in progress, stops the thread and frees the scene. NULL is a no-op. */
void worker_stop(Worker *w);

#endif
