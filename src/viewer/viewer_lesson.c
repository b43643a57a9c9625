/* viewer_lesson.c: lesson mode of the viewer (viewer.h): steps, reveal, the checks of each step
 * computed once (on the compute thread when async), and the lesson page drawn by
 * src/lesson/lesson_pdf.c in its screen style. */
#include "viewer_lesson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "lesson_pdf.h"
#include "worker.h"

typedef struct {
    const LessonStep *step;
    SceneParams params;
    LessonCheckResult *out;      /* [step->nchecks] */
} CheckJob;

struct ViewerLesson {
    const Lesson *l;
    LessonLang lang;
    size_t step;
    int revealed;
    LessonCheckResult *results;  /* all steps' checks, step i from off[i] */
    size_t *off;
    int *done;                   /* [nsteps]: set (under the worker's lock when async) once
                                    the step's results are written */
    int *posted;                 /* [nsteps]: asked for and not yet seen done */
    CheckJob *jobs;              /* [nsteps] */
    Rect figure;
};

/* Runs every check of one step; a check that cannot be computed counts as failed. */
static void run_checks(void *ctx)
{
    CheckJob *j = ctx;
    for (size_t k = 0; k < j->step->nchecks; k++) {
        char err[256];
        LessonCheckResult *r = &j->out[k];
        const LessonCheck *c = &j->step->checks[k];
        if (lesson_checks_run(c, &j->params, r, err, sizeof err) != 0) {
            r->value = NAN;
            r->overflow = 0;
            r->passed = 0;
            r->label[LESSON_EN] = c->measure->label[LESSON_EN];
            r->label[LESSON_ZH] = c->measure->label[LESSON_ZH];
        }
    }
}

/* The step's scene as the viewer builds it: its params in the lesson's language, the depth
 * scene growing from depth 1. */
static void go_to(ViewerState *s, size_t i)
{
    ViewerLesson *v = s->lesson;
    const LessonStep *st = &v->l->steps[i];
    v->step = i;
    v->revealed = 0;
    s->kind = st->scene;
    s->params = st->params;
    s->params.lang = v->lang == LESSON_ZH ? SCENE_LANG_ZH : SCENE_LANG_EN;
    s->shown = 1;
    s->paused = 0;
    s->rebuild = 1;
}

int viewer_lesson_begin(ViewerState *s, const Lesson *l, int lang, char *err, size_t errlen)
{
    ViewerLesson *v = calloc(1, sizeof *v);
    size_t total = 0;
    for (size_t i = 0; i < l->nsteps; i++) total += l->steps[i].nchecks;
    if (v) {
        v->results = calloc(total ? total : 1, sizeof *v->results);
        v->off = calloc(l->nsteps, sizeof *v->off);
        v->done = calloc(l->nsteps, sizeof *v->done);
        v->posted = calloc(l->nsteps, sizeof *v->posted);
        v->jobs = calloc(l->nsteps, sizeof *v->jobs);
    }
    if (!v || !v->results || !v->off || !v->done || !v->posted || !v->jobs) {
        if (v) {
            free(v->results), free(v->off), free(v->done), free(v->posted), free(v->jobs);
            free(v);
        }
        snprintf(err, errlen, "out of memory for the lesson");
        return -1;
    }
    v->l = l;
    v->lang = lang == LESSON_ZH ? LESSON_ZH : LESSON_EN;
    for (size_t i = 0, k = 0; i < l->nsteps; k += l->steps[i].nchecks, i++) {
        v->off[i] = k;
        v->jobs[i] = (CheckJob){&l->steps[i], l->steps[i].params, v->results + k};
    }
    s->lesson = v;
    go_to(s, 0);
    return 0;
}

void viewer_lesson_free(ViewerState *s)
{
    ViewerLesson *v = s->lesson;
    if (!v) return;
    free(v->results), free(v->off), free(v->done), free(v->posted), free(v->jobs);
    free(v);
    s->lesson = NULL;
}

size_t viewer_lesson_step(const ViewerState *s) { return s->lesson ? s->lesson->step : 0; }

int viewer_lesson_revealed(const ViewerState *s) { return s->lesson && s->lesson->revealed; }

int viewer_lesson_checks_done(ViewerState *s, size_t *passed, size_t *failed)
{
    ViewerLesson *v = s->lesson;
    if (!v) return 0;
    if (s->worker) worker_lock_scene(s->worker);
    int done = v->done[v->step];
    if (s->worker) worker_unlock_scene(s->worker);
    size_t np = 0, nf = 0;
    for (size_t k = 0; done && k < v->l->steps[v->step].nchecks; k++)
        v->results[v->off[v->step] + k].passed ? np++ : nf++;
    if (passed) *passed = np;
    if (failed) *failed = nf;
    return done;
}

int viewer_lesson_key(ViewerState *s, int key)
{
    ViewerLesson *v = s->lesson;
    const LessonStep *st = &v->l->steps[v->step];
    switch (key) {
    case VK_RIGHT: case VK_PAGEDOWN: case VK_RETURN: case 'n':
        if (st->ask.s[LESSON_EN] && !v->revealed) v->revealed = 1;
        else if (v->step + 1 < v->l->nsteps) go_to(s, v->step + 1);
        return 1;
    case VK_LEFT: case VK_PAGEUP:
        if (v->step > 0) {
            go_to(s, v->step - 1);
            v->revealed = 1;                  /* seen already: question and answer */
        }
        return 1;
    default:
        return 0;
    }
}

void viewer_lesson_update(ViewerState *s)
{
    ViewerLesson *v = s->lesson;
    size_t i = v->step;
    if (v->l->steps[i].nchecks == 0) {
        v->done[i] = 1;
        return;
    }
    if (!s->worker) {                         /* sync: now, on this thread */
        if (!v->done[i]) {
            run_checks(&v->jobs[i]);
            v->done[i] = 1;
        }
        return;
    }
    worker_lock_scene(s->worker);
    int done = v->done[i];
    worker_unlock_scene(s->worker);
    if (done || v->posted[i]) return;
    for (size_t j = 0; j < v->l->nsteps; j++) v->posted[j] = 0;   /* a newer job replaces them */
    v->posted[i] = 1;
    WorkerRequest r = {0};
    r.want = s->want;
    r.job = run_checks;
    r.job_ctx = &v->jobs[i];
    r.job_done = &v->done[i];
    worker_post(s->worker, &r);
}

void viewer_lesson_draw(ViewerState *s, const Scene *sc, cairo_t *cr, Rect r, Rect *figure)
{
    ViewerLesson *v = s->lesson;
    LessonPageStyle ps = lesson_page_style_screen(&s->theme);
    ps.hide_answer = !v->revealed;
    ps.progress = (double)(v->step + 1) / (double)v->l->nsteps;
    const LessonCheckResult *res = v->done[v->step] ? v->results + v->off[v->step] : NULL;
    lesson_page_draw(cr, r, &s->theme, v->l, v->step, v->lang, sc, res, &ps, figure);
}

void viewer_lesson_status(const ViewerState *s, char *buf, size_t len)
{
    const ViewerLesson *v = s->lesson;
    const LessonStep *st = &v->l->steps[v->step];
    int zh = v->lang == LESSON_ZH;
    const char *next = st->ask.s[LESSON_EN] && !v->revealed ? (zh ? "→ 答案" : "→ answer")
                       : v->step + 1 < v->l->nsteps ? (zh ? "→ 下一步" : "→ next")
                                                    : (zh ? "最后一步" : "last step");
    int n = snprintf(buf, len, zh ? "第 %zu / %zu 步   %s   ← 上一步   h 帮助" : "step %zu / %zu   %s   ← back   h: help",
                     v->step + 1, v->l->nsteps, next);
    if (s->kind == SCENE_DEPTH && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, zh ? "   深度 %zu / %zu" : "   depth %zu / %zu", s->shown,
                 s->params.net.depth);
}
