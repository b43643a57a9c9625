/* lesson_pdf.h: a lesson as a printable handout: one A4-landscape page per step with the step's
 * title, text, question and answer, the results of its checks and its scene's figure.
 *
 * Usage:
 *     size_t failed;
 *     if (lesson_pdf_write(&lesson, LESSON_ZH, NULL, "handout.pdf", &failed, err, sizeof err))
 *         fprintf(stderr, "reslab lesson: %s\n", err);
 *     ... failed: how many checks did not pass (they are printed as failed, not an error) ...
 *
 *     lesson_pdf_draw_page(cr, (Rect){0, 0, LESSON_PDF_W, LESSON_PDF_H}, &theme, &lesson, i,
 *                          LESSON_EN, scene, results);      one page on any cairo context
 *
 * This is the drawing side of the lessons (cairo, pango through src/render); the parser and the
 * checks (lesson.h, lesson_checks.h) draw nothing. The lesson's texts are drawn as plain text
 * (no markup), so any character a teacher writes shows as written.
 */
#ifndef RESLAB_LESSON_PDF_H
#define RESLAB_LESSON_PDF_H

#include <stddef.h>
#include <cairo.h>

#include "layout.h"
#include "lesson.h"
#include "scene.h"
#include "theme.h"

#define LESSON_PDF_W 842.0   /* A4 landscape in points: 297 mm x 210 mm */
#define LESSON_PDF_H 595.0

/* Draws page `step` (0-based) of l into r: the header (lesson title, "Step i / N"), the step's
 * title, its text, question and answer (with the note when a text fell back to English) in the
 * left column, the scene's figure (scene_draw; scene may be NULL: an empty frame) and below it
 * one line per check from results[0 .. nchecks - 1] (may be NULL: not run), and the command
 * that draws the same figure. Keeps no state; paints its own background. */
void lesson_pdf_draw_page(cairo_t *cr, Rect r, const Theme *t, const Lesson *l, size_t step,
                          LessonLang lang, const Scene *scene, const LessonCheckResult *results);

/* How a page is drawn: the handout's print sizes (points) or a window's (theme font sizes). */
typedef struct {
    double margin;
    double body_max, body_min;   /* the text column's size; it shrinks towards body_min to fit */
    double title_size, small_size, check_size;
    int hide_answer;             /* 1: a step with a question shows it and "press → for the
                                    answer", not the answer (the viewer's first key press) */
    int native_figure;           /* 1: scene_draw into the figure's rectangle itself, as tall as
                                    the page allows (a window), if it is at least 640 x 400;
                                    0 (or smaller): drawn at 1100 x 688 and scaled */
    int footer;                  /* 1: the `reslab render ...` command of the figure at the foot */
    double progress;             /* < 0: none; 0..1: a progress bar under the lesson title */
} LessonPageStyle;

LessonPageStyle lesson_page_style_print(void);
LessonPageStyle lesson_page_style_screen(const Theme *t);

/* lesson_pdf_draw_page with a style; *figure_out (may be NULL) gets the figure's rectangle
 * when the scene was drawn natively into it (where a viewer hit-tests the scene), else an
 * empty rectangle. */
void lesson_page_draw(cairo_t *cr, Rect r, const Theme *t, const Lesson *l, size_t step,
                      LessonLang lang, const Scene *scene, const LessonCheckResult *results,
                      const LessonPageStyle *ps, Rect *figure_out);

/* Computes every step's scene and checks and writes the handout to path atomically (a
 * temporary file in the same folder, renamed only when complete; an existing file is left
 * untouched on failure). theme: NULL for the light theme. *failed (may be NULL) gets the
 * number of checks that did not pass. RESLAB_OK; RESLAB_ERR_INVALID (a scene or a check could
 * not be computed: "FILE:LINE: ..."); RESLAB_ERR_IO; RESLAB_ERR_NOMEM; RESLAB_ERR_FORMAT
 * (cairo's error). */
int lesson_pdf_write(const Lesson *l, LessonLang lang, const Theme *theme, const char *path,
                     size_t *failed, char *err, size_t errlen);

#endif
