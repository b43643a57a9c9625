/* lesson_file.c: reading a lesson file, freeing a lesson, and the per-language accessors
 * (the parser itself is lesson.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "status.h"

static void text_free(LessonText *t)
{
    for (int k = 0; k < LESSON_NLANG; k++) free(t->s[k]);
}

void lesson_free(Lesson *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->nsteps; i++) {
        LessonStep *s = &l->steps[i];
        text_free(&s->title);
        text_free(&s->text);
        text_free(&s->ask);
        text_free(&s->answer);
        free(s->scene_args);
        free(s->checks);
    }
    free(l->steps);
    text_free(&l->title);
    text_free(&l->summary);
    free(l->name);
    memset(l, 0, sizeof *l);
}

/* The whole file into a malloc'ed buffer; at most LESSON_MAX_BYTES + 1 bytes are read, so a
 * larger file is refused by lesson_parse without reading all of it. */
static int slurp(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = malloc((size_t)LESSON_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, (size_t)LESSON_MAX_BYTES + 1, f) : 0;
    int bad = buf ? ferror(f) : 0, e = errno;
    fclose(f);
    if (!buf) return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    *data = buf;
    *len = n;
    return RESLAB_OK;
}

int lesson_load(Lesson *out, const char *path, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *data = NULL;
    size_t len = 0;
    int rc = slurp(path, &data, &len, err, errlen);
    if (rc) return rc;
    const char *slash = strrchr(path, '/');
    rc = lesson_parse(out, slash ? slash + 1 : path, data, len, err, errlen);
    free(data);
    return rc;
}

const char *lesson_text(const LessonText *t, LessonLang lang, int *fallback)
{
    int fb = lang != LESSON_EN && t->s[LESSON_EN] && !t->s[lang];
    if (fallback) *fallback = fb;
    return fb ? t->s[LESSON_EN] : t->s[lang];
}

static size_t missing(const LessonText *t, LessonLang lang)
{
    int fb;
    lesson_text(t, lang, &fb);
    return (size_t)fb;
}

size_t lesson_untranslated(const Lesson *l, LessonLang lang)
{
    size_t n = missing(&l->title, lang) + missing(&l->summary, lang);
    for (size_t i = 0; i < l->nsteps; i++) {
        const LessonStep *s = &l->steps[i];
        n += missing(&s->title, lang) + missing(&s->text, lang) + missing(&s->ask, lang) +
             missing(&s->answer, lang);
    }
    return n;
}

const char *lesson_fallback_note(LessonLang lang)
{
    return lang == LESSON_ZH ? "（暂无中文翻译，显示英文）" : "(no Chinese translation; English shown)";
}

int lesson_lang_parse(const char *s, LessonLang *out)
{
    if (strcmp(s, "en") == 0) *out = LESSON_EN;
    else if (strcmp(s, "zh") == 0) *out = LESSON_ZH;
    else return RESLAB_ERR_INVALID;
    return RESLAB_OK;
}

LessonLang lesson_lang_from_env(void)
{
    const char *names[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return strncmp(v, "zh", 2) == 0 ? LESSON_ZH : LESSON_EN;
    }
    return LESSON_EN;
}
