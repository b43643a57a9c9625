/* fuzz_lesson.c: libFuzzer over the lesson parser (lesson.h), on the bytes as they come, under
 * the fake file name "fuzz.lesson".
 *
 * Each input must either parse into a complete lesson (a title, 1..LESSON_MAX_STEPS steps,
 * each with title, scene options and text in English, an answer exactly when there is a
 * question, checks with a known measure) or fail with a message that starts with "fuzz.lesson"
 * and an empty Lesson (nothing half-made). Anything else aborts: a crash for libFuzzer. The
 * sanitizers find the rest (leaks, out-of-bounds reads, undefined behaviour). The checks are
 * not run (they compute nets); parsing alone validates every option and measure.
 * The seeds are in tests/corpus/lesson/ (valid lessons and one file per error class).
 *
 * Build: CC=clang meson setup build-clang -Db_sanitize=address,undefined -Db_lundef=false
 *        ninja -C build-clang tests/fuzz_lesson
 * Run:   build-clang/tests/fuzz_lesson NEW_DIR tests/corpus/lesson -runs=1000000
 *        (NEW_DIR first: libFuzzer writes new inputs into the first folder only)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.lesson"

static void fail(const char *what, const char *err)
{
    fprintf(stderr, "fuzz_lesson: %s (%s)\n", what, err);
    abort();
}

static int empty_text(const LessonText *t)
{
    return !t->s[LESSON_EN] && !t->s[LESSON_ZH];
}

/* A lesson the parser accepted must be whole. */
static void whole(const Lesson *l)
{
    if (!l->name || !l->title.s[LESSON_EN] || l->nsteps < 1 || l->nsteps > LESSON_MAX_STEPS)
        fail("accepted a lesson without a title or steps", "");
    for (size_t i = 0; i < l->nsteps; i++) {
        const LessonStep *s = &l->steps[i];
        if (!s->title.s[LESSON_EN] || !s->text.s[LESSON_EN] || !s->scene_args)
            fail("accepted a step without title, scene or text", "");
        if (!s->ask.s[LESSON_EN] != !s->answer.s[LESSON_EN]) fail("a question without an answer", "");
        if (s->nchecks && !s->checks) fail("checks counted but missing", "");
        for (size_t k = 0; k < s->nchecks; k++)
            if (!s->checks[k].measure || s->checks[k].bound != s->checks[k].bound) fail("a check without a measure", "");
        if (s->params.example >= s->params.batch) fail("an example outside the batch", "");
        if (strchr(s->text.s[LESSON_EN], '\n') && s->text.s[LESSON_EN][0] == '\n') fail("an empty paragraph", "");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Lesson l;
    char err[1024] = "";
    int rc = lesson_parse(&l, NAME, (const char *)data, size, err, sizeof err);
    if (rc == RESLAB_OK) {
        whole(&l);
    } else {
        if (l.name || l.steps || l.nsteps || !empty_text(&l.title) || !empty_text(&l.summary))
            fail("failed but the lesson is not empty", err);
        if (strncmp(err, NAME, strlen(NAME)) != 0) fail("the message does not start with the file name", err);
    }
    lesson_free(&l);
    return 0;
}
