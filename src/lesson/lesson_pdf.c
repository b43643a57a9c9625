/* lesson_pdf.c: the handout: one page per step, drawn with src/render, written atomically.
 *
 * Page layout (logical units = points, A4 landscape 842 x 595):
 *     header     lesson title (muted) .................................. Step i / N
 *     title      the step's title, bold
 *     left 34%   text, question, answer (shrunk from 11 pt down to 7 pt until they fit)
 *     right      the scene's figure (aspect 1.6, framed), the checks below it
 *     footer     the command that draws the same figure: reslab render NAME OPTIONS
 */
#define _POSIX_C_SOURCE 200809L
#include "lesson_pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "export.h"
#include "scene_util.h"
#include "status.h"
#include "text.h"

#define MARGIN 30.0
#define BODY_MAX 11.0      /* largest body size, points */
#define BODY_MIN 7.0       /* smallest: below this a handout is not readable */
#define FIG_W 1100.0       /* the figure's own size: the scenes' layouts need ~55 x 35 font */
#define FIG_H 687.5        /* sizes (scene_util.h); aspect 1.6 as 1280 x 800 */

static const char *tr(LessonLang lang, const char *en, const char *zh)
{
    return lang == LESSON_ZH ? zh : en;
}

/* ---- the left column --------------------------------------------------------------------- */

/* Paragraphs of s ('\n'-separated) from y down, wrapped at w; drawn only if draw. Returns the
 * height used. */
static double paragraphs(cairo_t *cr, const char *s, TextStyle st, double x, double y, double w,
                         int draw)
{
    double y0 = y;
    st.max_width = w;
    while (s && *s) {
        size_t n = strcspn(s, "\n");
        char *p = strndup(s, n);
        TextExtent e = {0};
        if (p && draw) text_draw(cr, x, y, p, &st, &e);
        else if (p) text_measure(cr, p, &st, &e);
        free(p);
        y += e.h + 0.45 * st.size;
        s += n + (s[n] == '\n');
    }
    return y - y0;
}

/* A text field: an optional heading, the text, and the fallback note. Returns the height. */
static double field(cairo_t *cr, const Theme *t, const LessonText *f, const char *heading,
                    LessonLang lang, double size, Rect col, double y, int draw)
{
    int fb;
    const char *s = lesson_text(f, lang, &fb);
    if (!s) return 0.0;
    TextStyle st = text_style(t, 1.0);
    st.size = size;
    double y0 = y;
    if (heading) {
        TextStyle h = st;
        h.bold = 1;
        y += paragraphs(cr, heading, h, col.x, y, col.w, draw) - 0.2 * size;
    }
    if (fb) {
        TextStyle m = st;
        m.colour = t->muted;
        m.size = 0.85 * size;
        y += paragraphs(cr, lesson_fallback_note(lang), m, col.x, y, col.w, draw);
    }
    y += paragraphs(cr, s, st, col.x, y, col.w, draw);
    return y - y0 + 0.3 * size;
}

static double left_column(cairo_t *cr, const Theme *t, const LessonStep *s, LessonLang lang,
                          double size, Rect col, int hide_answer, int draw)
{
    double y = col.y;
    y += field(cr, t, &s->text, NULL, lang, size, col, y, draw);
    y += field(cr, t, &s->ask, tr(lang, "Question", "问题"), lang, size, col, y, draw);
    if (!hide_answer || !s->ask.s[LESSON_EN]) {
        y += field(cr, t, &s->answer, tr(lang, "Answer", "答案"), lang, size, col, y, draw);
    } else {                                     /* predict first: the answer on the next key */
        TextStyle m = text_style(t, 1.0);
        m.size = size;
        m.colour = t->muted;
        y += paragraphs(cr, tr(lang, "Predict, then press → for the answer.",
                               "先预测，再按 → 键看答案。"), m, col.x, y, col.w, draw);
    }
    return y - col.y;
}

/* ---- the right column -------------------------------------------------------------------- */

static void checks(cairo_t *cr, const Theme *t, const LessonStep *s, LessonLang lang,
                   const LessonCheckResult *res, double size, Rect r)
{
    double y = r.y, indent = 0.0;
    TextStyle st = text_style(t, 1.0);
    st.size = size;
    for (int ok = 0; ok < 2; ok++) {                 /* the verdict column: its widest word */
        char mark[64];
        TextStyle v = st;
        v.bold = 1;
        TextExtent e;
        snprintf(mark, sizeof mark, "✗ %s", lesson_checks_verdict(ok, lang));
        text_measure(cr, mark, &v, &e);
        if (e.w > indent) indent = e.w;
    }
    indent += 0.8 * st.size;
    for (size_t i = 0; i < s->nchecks; i++) {
        char line[512], mark[64];
        lesson_checks_describe(&s->checks[i], res ? &res[i] : NULL, lang, line, sizeof line);
        TextStyle v = st;
        v.bold = 1;
        int ok = res && res[i].passed;
        Rgb c = {0.0, 0.62, 0.45};                        /* Okabe-Ito bluish green */
        if (!ok) c = (Rgb){0.84, 0.37, 0.0};              /* Okabe-Ito vermillion */
        v.colour = res ? scene_util_text_colour(t, c) : t->muted;
        if (res) snprintf(mark, sizeof mark, "%s %s", ok ? "✓" : "✗", lesson_checks_verdict(ok, lang));
        else snprintf(mark, sizeof mark, "%s", tr(lang, "… running", "… 计算中"));
        TextExtent e = {0};
        text_draw(cr, r.x, y, mark, &v, &e);
        st.max_width = r.w - indent;
        TextExtent e2 = {0};
        text_draw(cr, r.x + indent, y, line, &st, &e2);
        y += (e2.h > e.h ? e2.h : e.h) + 0.35 * st.size;
    }
}

/* The scene drawn at FIG_W x FIG_H logical units (where every scene lays out as in
 * `reslab render --size 1100x688`), scaled as a whole into f; or (native) into f itself. */
static void figure(cairo_t *cr, const Theme *t, const Scene *scene, Rect f, int native)
{
    if (scene && native && f.w > 0 && f.h > 0) {
        cairo_save(cr);
        cairo_rectangle(cr, f.x, f.y, f.w, f.h);
        cairo_clip(cr);
        scene_draw(scene, cr, f, t);
        cairo_restore(cr);
    } else if (scene && f.w > 0 && f.h > 0) {
        double k = f.w / FIG_W < f.h / FIG_H ? f.w / FIG_W : f.h / FIG_H;
        cairo_save(cr);
        cairo_translate(cr, f.x + 0.5 * (f.w - k * FIG_W), f.y + 0.5 * (f.h - k * FIG_H));
        cairo_scale(cr, k, k);
        scene_draw(scene, cr, (Rect){0, 0, FIG_W, FIG_H}, t);
        cairo_restore(cr);
    }
    rgb_set_source(cr, t->grid);
    cairo_set_line_width(cr, 0.75);
    cairo_rectangle(cr, f.x, f.y, f.w, f.h);
    cairo_stroke(cr);
}

/* ---- the page ---------------------------------------------------------------------------- */

/* Header and step title; returns the rectangle left for the body. */
static Rect header(cairo_t *cr, const Theme *t, const Lesson *l, size_t step, LessonLang lang,
                   Rect page, const LessonPageStyle *ps)
{
    TextStyle st = text_style(t, 1.0);
    st.size = ps->small_size;
    st.colour = t->muted;
    char count[64];
    snprintf(count, sizeof count, lang == LESSON_ZH ? "第 %zu / %zu 步" : "Step %zu / %zu", step + 1, l->nsteps);
    TextStyle right = st;
    right.halign = TEXT_RIGHT;
    TextExtent ce = {0}, le = {0};
    text_draw(cr, page.x + page.w, page.y, count, &right, &ce);
    st.max_width = page.w - ce.w - 20;
    text_draw(cr, page.x, page.y, lesson_text(&l->title, lang, NULL), &st, &le);
    layout_cut_top(&page, (le.h > ce.h ? le.h : ce.h) + 0.9 * ps->small_size);
    if (ps->progress >= 0) {                         /* a progress bar under the lesson title */
        double bh = 0.5 * ps->small_size, k = ps->progress > 1 ? 1 : ps->progress;
        rgb_set_source(cr, t->grid);
        cairo_rectangle(cr, page.x, page.y, page.w, bh);
        cairo_fill(cr);
        rgb_set_source(cr, t->residual);
        cairo_rectangle(cr, page.x, page.y, page.w * k, bh);
        cairo_fill(cr);
        layout_cut_top(&page, bh + 0.9 * ps->small_size);
    }
    TextStyle ti = text_style(t, 1.0);
    ti.size = ps->title_size;
    ti.bold = 1;
    ti.max_width = page.w;
    TextExtent te = {0};
    int fb;
    text_draw(cr, page.x, page.y, lesson_text(&l->steps[step].title, lang, &fb), &ti, &te);
    layout_cut_top(&page, te.h + 6);
    if (fb) {                                        /* the title fell back to English */
        st.max_width = page.w;
        text_draw(cr, page.x, page.y, lesson_fallback_note(lang), &st, &te);
        layout_cut_top(&page, te.h + 4);
    }
    rgb_set_source(cr, t->grid);
    cairo_set_line_width(cr, 0.75);
    cairo_move_to(cr, page.x, page.y);
    cairo_line_to(cr, page.x + page.w, page.y);
    cairo_stroke(cr);
    layout_cut_top(&page, 12);
    return page;
}

static double footer(cairo_t *cr, const Theme *t, const LessonStep *s, Rect page, double size,
                     int draw)
{
    char cmd[LESSON_MAX_LINE + 64];
    snprintf(cmd, sizeof cmd, "reslab render %s %s", scene_name(s->scene), s->scene_args);
    TextStyle st = text_style(t, 1.0);
    st.font = "DejaVu Sans Mono, Noto Sans CJK SC";
    st.size = size;
    st.colour = t->muted;
    st.max_width = page.w;
    st.valign = TEXT_BOTTOM;
    TextExtent e = {0};
    if (draw) text_draw(cr, page.x, page.y + page.h, cmd, &st, &e);
    else text_measure(cr, cmd, &st, &e);
    return e.h;
}

LessonPageStyle lesson_page_style_print(void)
{
    return (LessonPageStyle){.margin = MARGIN, .body_max = BODY_MAX, .body_min = BODY_MIN,
                             .title_size = 17, .small_size = 9, .check_size = 9.5,
                             .hide_answer = 0, .native_figure = 0, .footer = 1, .progress = -1};
}

LessonPageStyle lesson_page_style_screen(const Theme *t)
{
    double f = t->font_size;                         /* 20 by default: read from the back */
    return (LessonPageStyle){.margin = 0.9 * f, .body_max = 1.0 * f, .body_min = 0.6 * f,
                             .title_size = 1.35 * f, .small_size = 0.75 * f, .check_size = 0.8 * f,
                             .hide_answer = 1, .native_figure = 1, .footer = 0, .progress = 0};
}

void lesson_page_draw(cairo_t *cr, Rect r, const Theme *t, const Lesson *l, size_t step,
                      LessonLang lang, const Scene *scene, const LessonCheckResult *results,
                      const LessonPageStyle *ps, Rect *figure_out)
{
    const LessonStep *s = &l->steps[step];
    cairo_save(cr);
    rgb_set_source(cr, t->background);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_fill(cr);
    Rect page = layout_inset(r, ps->margin);
    Rect body = header(cr, t, l, step, lang, page, ps);
    if (ps->footer) layout_cut_bottom(&body, footer(cr, t, s, page, 0.9 * ps->small_size, 1) + 10);
    Rect col = layout_cut_left(&body, 0.34 * body.w);
    layout_cut_left(&body, 0.6 * ps->title_size);
    double size = ps->body_max;
    while (size > ps->body_min && left_column(cr, t, s, lang, size, col, ps->hide_answer, 0) > col.h)
        size -= 0.05 * ps->body_max;
    cairo_save(cr);
    cairo_rectangle(cr, col.x, col.y, col.w, col.h);
    cairo_clip(cr);
    left_column(cr, t, s, lang, size, col, ps->hide_answer, 1);
    cairo_restore(cr);
    double fh = body.w * FIG_H / FIG_W, room = body.h - 1.9 * ps->check_size * (double)s->nchecks - 8;
    if (ps->native_figure) fh = room;                /* a window: all the height there is */
    Rect fig = layout_cut_top(&body, fh < room ? fh : (room > 0 ? room : 0));
    /* natively only where the scenes' layouts have room (about 640 x 400); smaller: scaled */
    int native = ps->native_figure && fig.w >= 640 && fig.h >= 400;
    figure(cr, t, scene, fig, native);
    if (figure_out) *figure_out = native ? fig : (Rect){0, 0, 0, 0};
    layout_cut_top(&body, 0.5 * ps->title_size);
    checks(cr, t, s, lang, results, ps->check_size, body);
    cairo_restore(cr);
}

void lesson_pdf_draw_page(cairo_t *cr, Rect r, const Theme *t, const Lesson *l, size_t step,
                          LessonLang lang, const Scene *scene, const LessonCheckResult *results)
{
    LessonPageStyle ps = lesson_page_style_print();
    lesson_page_draw(cr, r, t, l, step, lang, scene, results, &ps, NULL);
}

/* ---- the file ---------------------------------------------------------------------------- */

/* The scene and check results of one step, then its page. */
static int page(cairo_t *cr, const Theme *t, const Lesson *l, size_t i, LessonLang lang,
                size_t *failed, char *err, size_t errlen)
{
    const LessonStep *s = &l->steps[i];
    SceneParams p = s->params;
    p.lang = lang == LESSON_ZH ? SCENE_LANG_ZH : SCENE_LANG_EN;
    char why[512];
    Scene *scene = scene_alloc(s->scene, &p, why, sizeof why);
    if (!scene)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s:%d: scene %s: %s", l->name,
                          s->scene_line, scene_name(s->scene), why);
    LessonCheckResult *res = calloc(s->nchecks ? s->nchecks : 1, sizeof *res);
    int rc = res ? RESLAB_OK : status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; !rc && k < s->nchecks; k++) {
        if (lesson_checks_run(&s->checks[k], &s->params, &res[k], why, sizeof why))
            rc = status_set(err, errlen, RESLAB_ERR_INVALID, "%s:%d: check '%s': %s", l->name,
                            s->checks[k].line, s->checks[k].measure->name, why);
        else if (!res[k].passed && failed)
            (*failed)++;
    }
    if (!rc) lesson_pdf_draw_page(cr, (Rect){0, 0, LESSON_PDF_W, LESSON_PDF_H}, t, l, i, lang, scene, res);
    free(res);
    scene_free(scene);
    return rc;
}

typedef struct {
    const Lesson *l;
    const Theme *t;
    LessonLang lang;
    size_t failed;
} Handout;

static int handout_page(cairo_t *cr, size_t i, double w, double h, void *ctx, char *err,
                        size_t errlen)
{
    (void)w, (void)h;
    Handout *o = ctx;
    return page(cr, o->t, o->l, i, o->lang, &o->failed, err, errlen);
}

int lesson_pdf_write(const Lesson *l, LessonLang lang, const Theme *theme, const char *path,
                     size_t *failed, char *err, size_t errlen)
{
    Theme light = theme_light();
    Handout o = {l, theme ? theme : &light, lang, 0};
    int rc = export_pdf_pages(path, LESSON_PDF_W, LESSON_PDF_H, l->nsteps,
                              lesson_text(&l->title, lang, NULL), handout_page, &o, err, errlen);
    if (failed) *failed = o.failed;
    return rc;
}
