/* worker.c: the viewer's compute thread (worker.h). One mutex guards everything below; the
 * expensive parts (a depth step's compute, a scene build) run with it released. Only this thread
 * changes w->scene, so it may use the scene unlocked while the drawing thread only reads the
 * published parts under the lock. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scene_depth.h"
#include "scene_train.h"
#include "status.h"

struct Worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;         /* the worker waits on it for work */
    pthread_cond_t idle;         /* broadcast whenever the worker goes idle */
    Scene *scene;                /* on screen */
    SceneKind kind;
    size_t full;                 /* the depth scene's full depth L (0 for other scenes) */
    int stop;
    int pending;                 /* a rebuild waits in req */
    WorkerRequest req;
    int restart;
    size_t want;
    int play, step;               /* the training scene: train on / one epoch asked for */
    void (*job)(void *);          /* pending job, or NULL */
    void *job_ctx;
    int *job_done;
    int building, is_idle;
    WorkerStatus out;            /* build result fields and counters */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t shown_of(const Worker *w)
{
    return w->kind == SCENE_DEPTH ? scene_depth_shown(scene_data(w->scene)) : 0;
}

static int has_work(const Worker *w)
{
    if (w->kind == SCENE_TRAIN && (w->play || w->step) && !scene_train_done(scene_data(w->scene)))
        return 1;
    return w->stop || w->pending || w->job || (w->kind == SCENE_DEPTH && (w->restart ||
           (shown_of(w) < w->want && shown_of(w) < w->full)));
}

/* Builds the pending request with the lock released, then swaps it in (or reports why not). */
static void do_build(Worker *w)
{
    WorkerRequest r = w->req;
    w->pending = 0;
    w->building = 1;
    status_cancel(0);
    pthread_mutex_unlock(&w->mu);
    char err[512] = "";
    double t0 = now_ms();
    Scene *ns = scene_alloc(r.kind, &r.params, err, sizeof err);
    double ms = now_ms() - t0;
    Scene *old = NULL;
    pthread_mutex_lock(&w->mu);
    w->building = 0;
    if (w->pending || w->stop) {           /* superseded (and maybe cancelled): say nothing */
        old = ns;
    } else if (ns) {
        old = w->scene;
        w->scene = ns;
        w->kind = r.kind;
        w->full = r.kind == SCENE_DEPTH ? r.params.net.depth : 0;
        w->restart = 0;
        w->step = 0;
        w->out.built = 1;
        w->out.build_failed = 0;
        w->out.params = r.params;
        w->out.error[0] = 0;
        w->out.build_ms = ms;
    } else {
        w->out.built = 1;
        w->out.build_failed = 1;
        snprintf(w->out.error, sizeof w->out.error, "%s", err);
        w->out.build_ms = ms;
    }
    if (old) {                              /* freeing can take a while: not under the lock */
        pthread_mutex_unlock(&w->mu);
        scene_free(old);
        pthread_mutex_lock(&w->mu);
    }
}

/* One epoch more of both nets of the training scene: compute unlocked, publish locked. */
static void do_epoch(Worker *w)
{
    SceneTrain *t = scene_data(w->scene);
    w->step = 0;
    pthread_mutex_unlock(&w->mu);
    double t0 = now_ms();
    int done = scene_train_step_compute(t, scene_train_steps_per_epoch(t));
    double ms = now_ms() - t0;
    pthread_mutex_lock(&w->mu);
    if (!done) {
        scene_train_step_publish(t);
        w->out.steps++;
        w->out.step_ms_sum += ms;
        w->out.last_step_ms = ms;
    }
}

/* One block more: compute unlocked, publish locked. */
static void do_step(Worker *w)
{
    SceneDepth *d = scene_data(w->scene);
    pthread_mutex_unlock(&w->mu);
    double t0 = now_ms();
    int done = scene_depth_step_compute(d);
    double ms = now_ms() - t0;
    pthread_mutex_lock(&w->mu);
    if (!done) {
        scene_depth_step_publish(d);
        w->out.steps++;
        w->out.step_ms_sum += ms;
        w->out.last_step_ms = ms;
    }
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!has_work(w)) {
            w->is_idle = 1;
            pthread_cond_broadcast(&w->idle);
            pthread_cond_wait(&w->wake, &w->mu);
        }
        w->is_idle = 0;
        if (w->stop) break;
        if (w->pending) {
            do_build(w);
        } else if (w->job) {
            void (*job)(void *) = w->job;
            void *ctx = w->job_ctx;
            int *done = w->job_done;
            w->job = NULL;
            if (done && *done) continue;   /* done already (posted again): never rewrite what
                                              the drawing thread may be reading */
            pthread_mutex_unlock(&w->mu);
            job(ctx);
            pthread_mutex_lock(&w->mu);
            if (done) *done = 1;
        } else if (w->kind == SCENE_TRAIN) {
            do_epoch(w);
        } else if (w->restart) {
            w->restart = 0;
            scene_depth_restart(scene_data(w->scene));   /* one block: cheap, under the lock */
        } else {
            do_step(w);
        }
    }
    w->is_idle = 1;
    pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

Worker *worker_start(Scene *scene, SceneKind kind, const SceneParams *params, char *err,
                     size_t errlen)
{
    Worker *w = calloc(1, sizeof *w);
    if (!w) {
        status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory for the compute thread");
        return NULL;
    }
    w->scene = scene;
    w->kind = kind;
    w->full = kind == SCENE_DEPTH ? params->net.depth : 0;
    w->want = shown_of(w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->idle, NULL);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc) {
        status_set(err, errlen, RESLAB_ERR_NOMEM, "cannot start the compute thread: %s", strerror(rc));
        pthread_cond_destroy(&w->idle);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void worker_post(Worker *w, const WorkerRequest *r)
{
    pthread_mutex_lock(&w->mu);
    if (r->rebuild) {
        w->req = *r;
        w->pending = 1;
        w->restart = 0;
        if (w->building) status_cancel(1);      /* the build in progress is superseded */
    }
    if (r->restart) w->restart = 1;
    w->play = r->play;
    if (r->step) w->step = 1;
    if (r->job) {
        w->job = r->job;
        w->job_ctx = r->job_ctx;
        w->job_done = r->job_done;
    }
    w->want = r->want;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

void worker_status(Worker *w, WorkerStatus *st)
{
    pthread_mutex_lock(&w->mu);
    *st = w->out;
    st->shown = shown_of(w);
    st->kind = w->kind;
    st->building = w->building || w->pending;
    w->out.built = 0;
    pthread_mutex_unlock(&w->mu);
}

Scene *worker_lock_scene(Worker *w)
{
    pthread_mutex_lock(&w->mu);
    return w->scene;
}

void worker_unlock_scene(Worker *w) { pthread_mutex_unlock(&w->mu); }

int worker_wait_idle(Worker *w, double timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ns = until.tv_nsec + (long)(timeout_ms * 1e6);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (has_work(w) || !w->is_idle) {
        /* the worker may not have woken yet for work posted just now */
        pthread_cond_signal(&w->wake);
        rc = pthread_cond_timedwait(&w->idle, &w->mu, &until);
        if (rc == ETIMEDOUT) break;
    }
    int idle = !has_work(w) && w->is_idle;
    pthread_mutex_unlock(&w->mu);
    return idle;
}

void worker_stop(Worker *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    if (w->building) status_cancel(1);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    status_cancel(0);
    scene_free(w->scene);
    pthread_cond_destroy(&w->idle);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
