/* viewer.c: the viewer's plain state, its keys, the fixed-step update and the overlays. */
#include "viewer.h"

#include <ctype.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "present.h"
#include "scene_depth.h"
#include "scene_train.h"
#include "viewer_lesson.h"
#include "worker.h"

enum { BUDGET_MS_DEFAULT = 12 };
static const size_t widths[] = {16, 32, 64};
static const size_t depths[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
static const ShortcutKind variants[] = {SHORTCUT_IDENTITY, SHORTCUT_SCALED, SHORTCUT_GATE,
                                        SHORTCUT_GATE_SHORTCUT, SHORTCUT_PROJECT_ALL,
                                        SHORTCUT_DROPOUT};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Growth rate: a depth fills in about 4 s, but no slower than 20 and no faster than 200 blocks/s. */
static double rate_for(size_t depth)
{
    double r = depth / 4.0;
    return r < 20 ? 20 : r > 200 ? 200 : r;
}

static int is_depth(const ViewerState *s) { return s->scene && s->kind == SCENE_DEPTH; }

/* The scene on screen, locked against the compute thread's publishes (async) until unlock. */
static Scene *lock_scene(ViewerState *s)
{
    return s->worker ? worker_lock_scene(s->worker) : s->scene;
}

static void unlock_scene(ViewerState *s)
{
    if (s->worker) worker_unlock_scene(s->worker);
}

static Scene *build(ViewerState *s, SceneKind kind, SceneParams *p, char *err, size_t errlen)
{
    if (kind == SCENE_DEPTH) {
        size_t shown = s->shown ? s->shown : 1;
        if (shown > p->net.depth) shown = p->net.depth;
        p->shown_depth = shown;
    } else {
        p->shown_depth = 0;
    }
    if (kind == SCENE_TRAIN) p->untrained = 1;   /* the viewer trains it, live */
    return scene_alloc(kind, p, err, errlen);
}

static int is_train(const ViewerState *s) { return s->scene && s->kind == SCENE_TRAIN; }

/* The training scene has trained its whole budget (read under the lock when async). */
static int train_done(ViewerState *s)
{
    Scene *sc = lock_scene(s);
    int done = sc && scene_kind(sc) == SCENE_TRAIN && scene_train_done(scene_data(sc));
    unlock_scene(s);
    return done;
}

int viewer_state_init(ViewerState *s, SceneKind kind, const SceneParams *p, const Theme *t,
                      char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->params = *p;
    s->params.net.param_grads = 0;
    s->theme = *t;
    s->shown = p->shown_depth ? p->shown_depth : 1;
    s->budget_ms = BUDGET_MS_DEFAULT;
    s->rate = rate_for(p->net.depth);
    s->scene = build(s, kind, &s->params, err, errlen);
    if (!s->scene) return -1;
    s->built = s->params;
    for (int k = 0; k < SCENE_COUNT; k++) {
        s->per_scene[k] = s->params;
        scene_apply_defaults((SceneKind)k, &s->per_scene[k], 0);
    }
    s->per_scene[kind] = s->params;
    if (kind == SCENE_DEPTH) s->shown = scene_depth_shown(scene_data(s->scene));
    s->want = s->shown;
    return 0;
}

void viewer_state_free(ViewerState *s)
{
    if (s->worker) {
        worker_stop(s->worker);                  /* frees the scene it owns */
        s->worker = NULL;
    } else {
        scene_free(s->scene);
    }
    s->scene = NULL;
    viewer_lesson_free(s);
}

int viewer_go_async(ViewerState *s, char *err, size_t errlen)
{
    if (s->worker) return 0;
    s->worker = worker_start(s->scene, s->kind, &s->built, err, errlen);
    if (!s->worker) return -1;
    s->want = s->shown;
    return 0;
}

int viewer_wait_idle(ViewerState *s, double timeout_ms)
{
    return s->worker ? worker_wait_idle(s->worker, timeout_ms) : 1;
}

static size_t next_depth(size_t d, int dir)
{
    if (dir > 0) {
        for (size_t i = 0; i < COUNT(depths); i++)
            if (depths[i] > d) return depths[i];
        return d;
    }
    for (size_t i = COUNT(depths); i-- > 0;)
        if (depths[i] < d) return depths[i];
    return d;
}

int viewer_handle_key(ViewerState *s, int key)
{
    if (s->lesson && viewer_lesson_key(s, key)) return 1;
    NetConfig *n = &s->params.net;
    switch (key) {
    case ' ':
        if (is_train(s) && train_done(s)) {           /* again, from step 0 */
            s->rebuild = 1;
            s->paused = 0;
        } else if (is_depth(s) && s->shown >= n->depth) {
            s->restart_req = 1;
            s->paused = 0;
        } else {
            s->paused = !s->paused;
            if (s->paused) s->want = s->shown;   /* async: stop after the step under way */
        }
        return 1;
    case VK_LEFT: s->step_req = -1; s->paused = 1; return 1;
    case VK_RIGHT: s->step_req = +1; s->paused = 1; return 1;
    case '+': case '=': case VK_UP: {
        size_t d = next_depth(n->depth, +1);
        if (d != n->depth) { n->depth = d; s->rebuild = 1; }
        return 1;
    }
    case '-': case VK_DOWN: {
        size_t d = next_depth(n->depth, -1);
        if (d != n->depth) { n->depth = d; s->rebuild = 1; }
        return 1;
    }
    case 'w': {
        size_t i = 0;
        while (i < COUNT(widths) && widths[i] != n->width) i++;
        n->width = widths[i < COUNT(widths) ? (i + 1) % COUNT(widths) : 0];
        s->rebuild = 1;
        return 1;
    }
    case 'i': n->init = (InitKind)((n->init + 1) % 3); s->rebuild = 1; return 1;
    case 'v': {
        size_t i = 0;
        while (i < COUNT(variants) && variants[i] != n->shortcut) i++;
        n->shortcut = variants[i < COUNT(variants) ? (i + 1) % COUNT(variants) : 0];
        s->rebuild = 1;
        return 1;
    }
    case 'b': n->bn = !n->bn; s->rebuild = 1; return 1;
    case 'p':
        /* both -> plain -> residual -> both */
        s->params.show = s->params.show == SCENE_SHOW_BOTH ? SCENE_SHOW_PLAIN
                         : s->params.show == SCENE_SHOW_PLAIN ? SCENE_SHOW_RESIDUAL : SCENE_SHOW_BOTH;
        s->rebuild = 1;
        return 1;
    case 'r': s->params.seed++; s->rebuild = 1; return 1;
    case 's': s->screenshot_req = 1; return 1;
    case 'f': s->fullscreen_req = 1; return 1;
    case 'h': case '?': s->help = !s->help; return 1;
    case 'q': case VK_ESCAPE: s->quit = 1; return 1;
    default:
        if (key >= '1' && key < '1' + SCENE_COUNT) {
            SceneKind k = (SceneKind)(key - '1');
            if (k != s->kind) {              /* each scene keeps its own settings */
                s->per_scene[s->kind] = s->params;
                s->params = s->per_scene[k];
                s->params.lang = s->per_scene[s->kind].lang;
                s->params.show = s->per_scene[s->kind].show;
                s->kind = k;
                s->rebuild = 1;
            }
            return 1;
        }
        return 0;
    }
}

int viewer_key_parse(const char *name)
{
    static const struct { const char *name; int key; } names[] = {
        {"space", ' '}, {"left", VK_LEFT}, {"right", VK_RIGHT}, {"up", VK_UP}, {"down", VK_DOWN},
        {"esc", VK_ESCAPE}, {"escape", VK_ESCAPE}, {"plus", '+'}, {"minus", '-'},
    };
    for (size_t i = 0; i < COUNT(names); i++)
        if (strcmp(name, names[i].name) == 0) return names[i].key;
    if (name[0] && !name[1] && isgraph((unsigned char)name[0])) return (unsigned char)name[0];
    return -1;
}

int viewer_events_load(const char *path, ViewerEvent **out, size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    ViewerEvent *ev = NULL;
    size_t count = 0, cap = 0;
    char line[256];
    int lineno = 0, rc = 0;
    long last = -1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        char fr[64], key[64], extra[8];
        int k = sscanf(p, "%63s %63s %7s", fr, key, extra);
        char *end;
        errno = 0;
        long frame = strtol(fr, &end, 10);
        if (k < 2) {
            snprintf(err, errlen, "%s:%d: expected 'FRAME KEY', got '%.*s'", path, lineno,
                     (int)strcspn(p, "\r\n"), p);
            rc = -1;
            break;
        }
        if (*end || errno || frame < 0) {
            snprintf(err, errlen, "%s:%d: FRAME must be a whole number >= 0, got '%s'", path, lineno, fr);
            rc = -1;
            break;
        }
        if (k > 2) {
            snprintf(err, errlen, "%s:%d: unexpected '%s' after the key", path, lineno, extra);
            rc = -1;
            break;
        }
        if (frame < last) {
            snprintf(err, errlen, "%s:%d: frame %ld comes after frame %ld (frames must ascend)", path,
                     lineno, frame, last);
            rc = -1;
            break;
        }
        int kc = viewer_key_parse(key);
        if (kc < 0) {
            snprintf(err, errlen, "%s:%d: unknown key '%s' (one character, or space, left, right, "
                     "up, down, esc, plus, minus)", path, lineno, key);
            rc = -1;
            break;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            ViewerEvent *nev = realloc(ev, cap * sizeof *ev);
            if (!nev) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = -1;
                break;
            }
            ev = nev;
        }
        ev[count++] = (ViewerEvent){frame, kc};
        last = frame;
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    if (rc) {
        free(ev);
        return -1;
    }
    *out = ev;
    *n = count;
    return 0;
}

static void apply_rebuild(ViewerState *s)
{
    char err[512];
    SceneParams p = s->params;
    Scene *sc = build(s, s->kind, &p, err, sizeof err);
    s->rebuild = 0;
    if (!sc) {
        /* keep the old scene and its params */
        snprintf(s->message, sizeof s->message, "%s", err);
        fprintf(stderr, "reslab view: %s\n", err);
        s->params = s->built;
        s->kind = scene_kind(s->scene);
        return;
    }
    scene_free(s->scene);
    s->scene = sc;
    s->params = p;
    s->built = p;
    s->message[0] = 0;
    s->rate = rate_for(p.net.depth);
    s->acc = 0;
    if (s->kind == SCENE_DEPTH) s->shown = scene_depth_shown(scene_data(sc));
}

/* The request for a rebuild of s->kind with s->params, keeping the shown depth where it can. */
static void post_rebuild(ViewerState *s, WorkerRequest *r)
{
    r->rebuild = 1;
    r->kind = s->kind;
    r->params = s->params;
    if (s->kind == SCENE_DEPTH) {
        size_t shown = s->shown ? s->shown : 1;
        if (shown > s->params.net.depth) shown = s->params.net.depth;
        r->params.shown_depth = shown;
        s->want = shown;
    } else {
        r->params.shown_depth = 0;
    }
    if (s->kind == SCENE_TRAIN) r->params.untrained = 1;
    s->rebuild = 0;
    s->building = 1;
    s->acc = 0;
}

/* Async update: read what the compute thread did, then post what this frame wants. */
static void update_async(ViewerState *s, double dt)
{
    WorkerStatus st;
    worker_status(s->worker, &st);
    if (st.built) {
        if (st.build_failed) {            /* keep the scene on screen and its params */
            snprintf(s->message, sizeof s->message, "%s", st.error);
            fprintf(stderr, "reslab view: %s\n", st.error);
            s->params = s->built;
            s->kind = st.kind;
        } else {
            s->built = st.params;
            s->message[0] = 0;
            s->rate = rate_for(st.params.net.depth);
            s->acc = 0;
        }
    }
    s->building = st.building;
    s->worker_steps = st.steps;
    s->worker_step_ms_sum = st.step_ms_sum;
    s->worker_last_step_ms = st.last_step_ms;
    s->scene = NULL;                      /* only under the lock (lock_scene) */
    {
        Scene *sc = worker_lock_scene(s->worker);
        s->scene = sc;
        worker_unlock_scene(s->worker);
    }
    s->shown = st.shown;
    WorkerRequest r = {0};
    if (s->rebuild) post_rebuild(s, &r);
    if (!s->building && st.kind == SCENE_TRAIN && s->kind == SCENE_TRAIN) {
        r.play = !s->paused;
        r.step = s->step_req > 0;
    }
    int depth_on_screen = !s->building && st.kind == SCENE_DEPTH && s->kind == SCENE_DEPTH;
    if (depth_on_screen) {
        size_t L = s->params.net.depth;
        if (s->restart_req) {
            r.restart = 1;
            s->want = 1;
            s->acc = 0;
        } else if (s->step_req > 0) {
            s->want = s->shown + 1 <= L ? s->shown + 1 : L;
        } else if (s->step_req < 0 && s->shown > 1) {
            s->shown--;
            post_rebuild(s, &r);
        } else if (!s->paused && s->shown < L) {
            s->acc += dt * s->rate;
            if (s->want < s->shown) s->want = s->shown;
            while (s->acc >= 1 && s->want < L) {
                s->want++;
                s->acc -= 1;
            }
            /* compute-bound: at most 2 blocks ahead of the screen; the backlog is dropped */
            if (s->want > s->shown + 2) s->want = s->shown + 2, s->acc = 0;
            if (s->acc > 1) s->acc = 1;
        }
    }
    r.want = s->want;
    worker_post(s->worker, &r);
    s->restart_req = 0;
    s->step_req = 0;
}

void viewer_update(ViewerState *s, double dt)
{
    double t0 = now_ms();
    int steps = 0;
    if (s->worker) {
        long before = s->worker_steps;
        update_async(s, dt);
        if (s->lesson) viewer_lesson_update(s);
        s->last.steps = (int)(s->worker_steps - before);
        s->last.compute_ms = now_ms() - t0;
        if (s->last.compute_ms > s->max_compute_ms) s->max_compute_ms = s->last.compute_ms;
        return;
    }
    if (s->rebuild) apply_rebuild(s);
    if (is_train(s) && (!s->paused || s->step_req > 0)) {   /* sync: one epoch per frame */
        SceneTrain *tr = scene_data(s->scene);
        if (!scene_train_step_compute(tr, scene_train_steps_per_epoch(tr))) {
            scene_train_step_publish(tr);
            steps++;
        }
    }
    if (is_depth(s)) {
        SceneDepth *d = scene_data(s->scene);
        if (s->restart_req) {
            scene_depth_restart(d);
            s->acc = 0;
        }
        if (s->step_req > 0) {
            scene_depth_step(d);
        } else if (s->step_req < 0 && s->shown > 1) {
            s->shown--;
            s->rebuild = 1;
            apply_rebuild(s);
        }
        s->shown = scene_depth_shown(d = scene_data(s->scene));
        /* compute debt: a step dearer than the budget (~27 ms at depth 1000, width 64) is paid
         * off over the following frames, so the mean compute per frame stays under the budget */
        s->debt_ms = s->debt_ms > s->budget_ms ? s->debt_ms - s->budget_ms : 0;
        if (!s->paused && s->shown < s->params.net.depth) {
            s->acc += dt * s->rate;
            if (s->debt_ms > 0 && s->acc > 1) s->acc = 1;
            while (s->acc >= 1 && s->shown < s->params.net.depth && s->debt_ms <= 0) {
                /* the next step would cost about as much as the last one: stop before the budget */
                if (steps > 0 && now_ms() - t0 + s->step_ms > s->budget_ms) {
                    s->acc = s->acc > 1 ? 1 : s->acc;   /* drop the backlog */
                    break;
                }
                double ts = now_ms();
                scene_depth_step(d);
                s->step_ms = now_ms() - ts;
                if (s->step_ms > s->budget_ms) s->debt_ms += s->step_ms - s->budget_ms;
                s->acc -= 1;
                steps++;
                s->shown = scene_depth_shown(d);
            }
            if (s->shown >= s->params.net.depth) s->acc = 0;
        }
    }
    s->restart_req = 0;
    s->step_req = 0;
    if (s->lesson) viewer_lesson_update(s);
    s->last.steps = steps;
    s->last.compute_ms = now_ms() - t0;
    if (s->last.compute_ms > s->max_compute_ms) s->max_compute_ms = s->last.compute_ms;
}

/* A text box with a translucent background at (x, y) (top-left), clamped into (w, h); returns
 * its height. With draw = 0 it only measures. */
static double text_box(cairo_t *cr, const Theme *t, double x, double y, double w, double h,
                       const char *markup, double size, double tab, int draw)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(t->font);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(lay, fd);
    pango_font_description_free(fd);
    pango_layout_set_markup(lay, markup, -1);
    if (tab > 0) {
        PangoTabArray *tabs = pango_tab_array_new_with_positions(1, TRUE, PANGO_TAB_LEFT, (int)tab);
        pango_layout_set_tabs(lay, tabs);
        pango_tab_array_free(tabs);
    }
    int lw, lh;
    pango_layout_get_pixel_size(lay, &lw, &lh);
    double pad = size * 0.5;
    double bw = lw + 2 * pad, bh = lh + 2 * pad;
    if (x + bw > w) x = w - bw;
    if (y + bh > h) y = h - bh;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (!draw) {
        g_object_unref(lay);
        return bh;
    }
    cairo_save(cr);
    cairo_set_source_rgba(cr, t->background.r, t->background.g, t->background.b, 0.96);
    cairo_rectangle(cr, x, y, bw, bh);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, t->grid.r, t->grid.g, t->grid.b);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, t->foreground.r, t->foreground.g, t->foreground.b);
    cairo_move_to(cr, x + pad, y + pad);
    pango_cairo_show_layout(cr, lay);
    cairo_restore(cr);
    g_object_unref(lay);
    return bh;
}

static void draw_box(cairo_t *cr, const Theme *t, double x, double y, double w, double h,
                     const char *markup, double size, double tab)
{
    text_box(cr, t, x, y, w, h, markup, size, tab, 1);
}

static const char help_text[] =
    "<b>reslab view: keys</b>\n"
    "space\tpause / play (restart at the end)\n"
    "← →\tone block down / up (train: → one epoch)\n"
    "+ −\ttarget depth up / down\n"
    "w\twidth 16, 32, 64\n"
    "i\tinit: he, glorot, orthogonal\n"
    "v\tshortcut variant\n"
    "b\tbatch norm on / off\n"
    "p\tboth nets / plain / residual\n"
    "r\tnew seed\n"
    "1..8\tscene: depth block unroll paths jacobian shatter variance train\n"
    "s\tscreenshot (PNG, path printed)\n"
    "f\tfullscreen\n"
    "h ?\tthis help\n"
    "q Esc\tquit\n"
    "mouse\tthe value under the cursor (depth scene)\n"
    "<b>in a lesson</b>\n"
    "→ PgDn Enter\tthe answer, then the next step\n"
    "← PgUp\tthe step before";

void viewer_draw(ViewerState *s, cairo_t *cr, double w, double h)
{
    const Theme *t = &s->theme;
    double fs = t->font_size * 0.9;
    char line[768];
    SceneKind shown_kind = s->kind;
    {
        Scene *sc = lock_scene(s);
        if (sc) shown_kind = scene_kind(sc);
        unlock_scene(s);
    }
    if (s->building)
        snprintf(line, sizeof line, "computing the %s scene …   (keys still work; q quits)%s%s",
                 scene_name(s->kind), s->message[0] ? "   " : "", s->message);
    else if (s->lesson)
        viewer_lesson_status(s, line, sizeof line);
    else if (shown_kind == SCENE_TRAIN) {
        Scene *tsc = lock_scene(s);
        const SceneTrain *tr = tsc && scene_kind(tsc) == SCENE_TRAIN ? scene_data(tsc) : NULL;
        size_t e = tr ? scene_train_epochs_done(tr, SCENE_TRAIN_RESIDUAL) : 0;
        size_t E = tr ? scene_train_total_steps(tr) / scene_train_steps_per_epoch(tr) : 0;
        int done = tr && scene_train_done(tr);
        unlock_scene(s);
        snprintf(line, sizeof line, "epoch %zu / %zu   %s   →: one epoch   h: help%s%s", e, E,
                 done ? "done (space: again)" : s->paused ? "paused" : "training",
                 s->message[0] ? "   " : "", s->message);
    }
    else if (shown_kind == SCENE_DEPTH) {
        /* the pace: the animation's rate, or what the compute thread manages if that is less */
        double rate = s->rate;
        int bound = s->worker && s->worker_last_step_ms > 0 && 1e3 / s->worker_last_step_ms < rate;
        if (bound) rate = 1e3 / s->worker_last_step_ms;
        snprintf(line, sizeof line, "depth %zu / %zu   %s   %.0f blocks/s%s   h: help%s%s", s->shown,
                 s->params.net.depth, s->paused ? "paused" : (s->shown >= s->params.net.depth ? "done (space: again)" : "playing"),
                 rate, bound ? " (compute-bound)" : "", s->message[0] ? "   " : "", s->message);
    } else {
        snprintf(line, sizeof line, "%s   h: help%s%s", scene_name(s->kind), s->message[0] ? "   " : "",
                 s->message);
    }
    char *esc = g_markup_escape_text(line, -1);
    /* the status line has a strip of its own under the scene: it hides no axis */
    double strip = text_box(cr, t, 0, 0, w, h, esc, fs, 0, 0);
    if (strip > h / 3) strip = h / 3;
    s->last_w = w;
    s->last_h = h - strip;
    s->win_w = w;
    s->win_h = h;
    cairo_set_source_rgb(cr, t->background.r, t->background.g, t->background.b);
    cairo_paint(cr);
    Scene *sc = lock_scene(s);
    s->scene_rect = (Rect){0, 0, w, h - strip};
    if (s->lesson) viewer_lesson_draw(s, sc, cr, (Rect){0, 0, w, h - strip}, &s->scene_rect);
    else if (sc) scene_draw(sc, cr, s->scene_rect, t);
    unlock_scene(s);
    draw_box(cr, t, 0, h, w, h, esc, fs, 0);   /* clamped to the bottom-left corner */
    g_free(esc);
    if (s->mouse_in && s->hover[0]) {
        esc = g_markup_escape_text(s->hover, -1);
        draw_box(cr, t, s->mx + 14, s->my + 14, w, h, esc, fs, 0);
        g_free(esc);
    }
    if (s->help) {
        /* 20 lines at 1.1 font sizes, kept inside 90 % of a small window's height */
        double hs = t->font_size * 1.1, fit = 0.9 * h / (20 * 1.25);
        if (hs > fit) hs = fit;
        draw_box(cr, t, w * 0.25, h * 0.08, w, h, help_text, hs, hs * 5.5);
    }
}

static void update_hover(ViewerState *s)
{
    s->hover[0] = 0;
    if (!is_depth(s) || !s->mouse_in || s->scene_rect.w <= 0) return;
    char buf[256];
    Scene *sc = lock_scene(s);
    int hit = sc && scene_kind(sc) == SCENE_DEPTH &&
              scene_depth_hit_theme(scene_data(sc), s->scene_rect, &s->theme,
                                    s->params.lang, s->mx, s->my, buf, sizeof buf);
    unlock_scene(s);
    if (hit) snprintf(s->hover, sizeof s->hover, "%s", buf);
}

static void take_screenshot(ViewerState *s, Present *p)
{
    char path[128], err[256];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t k = strftime(path, sizeof path, "reslab-%Y%m%d-%H%M%S", &tm);
    snprintf(path + k, sizeof path - k, "-%ld.png", s->frame);
    if (present_save_png(p, path, err, sizeof err)) {
        snprintf(s->message, sizeof s->message, "screenshot failed: %s", err);
        fprintf(stderr, "reslab view: screenshot failed: %s\n", err);
    } else {
        snprintf(s->message, sizeof s->message, "saved %s", path);
        printf("reslab view: saved %s\n", path);
        fflush(stdout);
    }
}

int viewer_frame(ViewerState *s, Present *p, double dt)
{
    /* input: window events, then the scripted keys of this frame */
    int moved = 0;
    if (p) {
        PresentEvent ev;
        while (present_poll(p, &ev)) {
            switch (ev.type) {
            case PRESENT_QUIT: s->quit = 1; break;
            case PRESENT_KEY: if (ev.key) viewer_handle_key(s, ev.key); break;
            case PRESENT_MOTION: s->mx = ev.x; s->my = ev.y; s->mouse_in = 1; moved = 1; break;
            case PRESENT_LEAVE: s->mouse_in = 0; s->hover[0] = 0; break;
            default: break;
            }
        }
    }
    while (s->next_event < s->nevents && s->events[s->next_event].frame <= s->frame)
        viewer_handle_key(s, s->events[s->next_event++].key);
    if (s->quit) return 1;
    size_t before = s->shown;
    SceneKind kind_before = s->kind;
    viewer_update(s, dt);
    if (moved || before != s->shown || kind_before != s->kind) update_hover(s);
    if (p) {
        if (s->fullscreen_req) present_toggle_fullscreen(p);
        s->fullscreen_req = 0;
        double w, h;
        cairo_t *cr = present_begin(p, &w, &h);
        double t0 = now_ms();
        viewer_draw(s, cr, w, h);
        s->last.draw_ms = now_ms() - t0;
        present_end(p, &s->last.upload_ms, &s->last.present_ms);
        if (s->screenshot_req) take_screenshot(s, p);
    }
    s->screenshot_req = 0;
    s->sum.compute_ms += s->last.compute_ms;
    s->sum.draw_ms += s->last.draw_ms;
    s->sum.upload_ms += s->last.upload_ms;
    s->sum.present_ms += s->last.present_ms;
    s->sum.steps += s->last.steps;
    s->frame++;
    return 0;
}
