/* lesson.h: a lesson file, parsed: a title and summary, then steps, each with a scene, its
 * options, narrative text, an optional question and answer, and numeric checks; every text in
 * English and, optionally, simplified Chinese. The format is docs/lessons.md.
 *
 * Usage:
 *     Lesson l;
 *     char err[512];
 *     if (lesson_load(&l, "lessons/01-residual-block.lesson", err, sizeof err) != RESLAB_OK) {
 *         fprintf(stderr, "reslab lesson: %s\n", err);     "01-residual-block.lesson:12: ..."
 *         return 2;
 *     }
 *     for (size_t i = 0; i < l.nsteps; i++) {
 *         const LessonStep *s = &l.steps[i];
 *         int fallback;
 *         const char *title = lesson_text(&s->title, LESSON_ZH, &fallback);
 *         if (fallback) ... show lesson_fallback_note(LESSON_ZH) ...
 *         Scene *sc = scene_alloc(s->scene, &s->params, err, sizeof err);      (render)
 *         ... lesson_checks_run(&s->checks[k], &s->params, &r, err, sizeof err) ...
 *     }
 *     lesson_free(&l);
 *
 * All or nothing: on any error the parser frees everything it made and leaves *out empty
 * (lesson_free on it is harmless); a lesson is never returned half. Every message names
 * "FILE:LINE:" (and ":COLUMN:" for bad bytes) and what was expected. The parser never prints.
 * Texts: UTF-8, paragraphs separated by one '\n' (no '\n' inside a paragraph: the lines of a
 * paragraph are joined with a space, or with nothing between two Chinese characters and next
 * to Chinese punctuation, so "任何 x" + "都有" gives "任何 x 都有", "零，" + "于是" "零，于是").
 */
#ifndef RESLAB_LESSON_H
#define RESLAB_LESSON_H

#include <stddef.h>

#include "lesson_checks.h"
#include "scene.h"

enum {
    LESSON_MAX_BYTES = 1 << 20,   /* a lesson file is at most 1 MiB */
    LESSON_MAX_STEPS = 100,
    LESSON_MAX_LINE = 4096,       /* bytes per line, without the line break */
};

/* One text field in both languages. s[LESSON_EN] is NULL only for an absent optional field
 * (summary, ask, answer); s[LESSON_ZH] is NULL when not translated. line: where each was
 * written (0: absent). Owned by the lesson. */
typedef struct {
    char *s[LESSON_NLANG];
    int line[LESSON_NLANG];
} LessonText;

typedef struct {
    int line;                           /* of its "[step]" */
    LessonText title, text;             /* required */
    LessonText ask, answer;             /* optional, both or neither */
    SceneKind scene;
    SceneParams params;                 /* the scene's defaults, then the options; lang English */
    char *scene_args;                   /* the options as written ("--depth 50 --bn"), maybe "" */
    int scene_line;
    LessonCheck *checks;                /* [nchecks], in file order */
    size_t nchecks;
} LessonStep;

typedef struct Lesson {
    char *name;                         /* the file name the parser was given */
    LessonText title;                   /* required */
    LessonText summary;                 /* optional */
    LessonStep *steps;                  /* [nsteps], 1 <= nsteps <= LESSON_MAX_STEPS */
    size_t nsteps;
} Lesson;

/* Parses len bytes of data (need not be NUL-terminated); name is used in messages ("FILE").
 * RESLAB_OK with *out filled (free with lesson_free); RESLAB_ERR_FORMAT for any mistake in
 * the text, RESLAB_ERR_TOOBIG above LESSON_MAX_BYTES, RESLAB_ERR_NOMEM; *out is then empty. */
int lesson_parse(Lesson *out, const char *name, const char *data, size_t len, char *err,
                 size_t errlen);

/* Reads and parses the file at path (messages name its base name). RESLAB_ERR_IO if it cannot
 * be read; otherwise as lesson_parse. */
int lesson_load(Lesson *out, const char *path, char *err, size_t errlen);

/* Frees everything the lesson owns and empties it. NULL or an empty lesson is fine. */
void lesson_free(Lesson *l);

/* The text in lang, or in English when it has no such translation (then *fallback = 1, else 0;
 * fallback may be NULL). NULL for an absent optional field. */
const char *lesson_text(const LessonText *t, LessonLang lang, int *fallback);

/* How many present text fields of the lesson fall back to English in lang (0 for English). */
size_t lesson_untranslated(const Lesson *l, LessonLang lang);

/* The note to show beside a text that fell back to English, in the words of lang (the
 * language of the surrounding interface): "（暂无中文翻译，显示英文）" for LESSON_ZH,
 * "(no Chinese translation; English shown)" for LESSON_EN. Static. */
const char *lesson_fallback_note(LessonLang lang);

/* "en" or "zh" -> RESLAB_OK; anything else RESLAB_ERR_INVALID. */
int lesson_lang_parse(const char *s, LessonLang *out);

/* The language the locale asks for: the first set of LC_ALL, LC_MESSAGES, LANG starting with
 * "zh" gives Chinese; anything else English. */
LessonLang lesson_lang_from_env(void);

#endif
