/* lesson.c: the lesson file parser (format: docs/lessons.md) and the text accessors.
 *
 * One pass over the lines. A line is a comment ('#' in column 0), blank, indented (a text line
 * of the open block), "[step]", or a directive "key: value" / "key@zh: value". A directive
 * with an empty value opens a block (text, summary, ask, answer); the block's paragraphs are
 * collected in a Buf and stored in the field when a non-indented line (or the end) closes it.
 * Everything made is attached to the Lesson at once, so one lesson_free cleans up any error.
 */
#include "lesson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson_params.h"
#include "lesson_utf8.h"
#include "status.h"

/* A growing string. */
typedef struct {
    char *p;
    size_t n, cap;
} Buf;

typedef struct {
    Lesson *l;
    const char *name;
    int line;
    LessonStep *step;          /* the open step, or NULL in the header */
    LessonText *block;         /* the field whose block is open, or NULL */
    LessonLang block_lang;
    Buf buf;                   /* the open block's text so far */
    int gap;                   /* a blank line since the last text line: new paragraph */
    char *err;
    size_t errlen;
} Parser;

/* "FILE:LINE: message" into the error buffer; returns RESLAB_ERR_FORMAT. */
static int fail(Parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Parser *ps, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return status_set(ps->err, ps->errlen, RESLAB_ERR_FORMAT, "%s:%d: %s", ps->name, ps->line, msg);
}

static int nomem(Parser *ps)
{
    return status_set(ps->err, ps->errlen, RESLAB_ERR_NOMEM, "%s:%d: out of memory", ps->name, ps->line);
}

static int buf_add(Buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return RESLAB_ERR_NOMEM;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return RESLAB_OK;
}

/* The last code point of a non-empty buffer. */
static uint32_t last_cp(const Buf *b)
{
    size_t i = b->n - 1, k;
    while (i > 0 && ((unsigned char)b->p[i] & 0xc0) == 0x80) i--;
    return lesson_utf8_decode(b->p + i, b->n - i, &k);
}

/* ---- the keys --------------------------------------------------------------------------- */

enum { IN_HEADER = 1, IN_STEP = 2 };

static const struct {
    const char *key;
    int where;      /* IN_HEADER | IN_STEP */
    int block;      /* may be a block of paragraphs */
    int zh;         /* has a @zh version */
} keys[] = {
    {"title", IN_HEADER | IN_STEP, 0, 1}, {"summary", IN_HEADER, 1, 1}, {"scene", IN_STEP, 0, 0},
    {"text", IN_STEP, 1, 1}, {"ask", IN_STEP, 1, 1}, {"answer", IN_STEP, 1, 1},
    {"check", IN_STEP, 0, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *expected_keys(int where)
{
    return where == IN_HEADER ? "title, title@zh, summary, summary@zh, or [step] to start a step"
                              : "title, title@zh, scene, text, text@zh, ask, ask@zh, answer, "
                                "answer@zh, check, or [step]";
}

/* The field a key names in the current section. */
static LessonText *field(Parser *ps, const char *key)
{
    LessonStep *s = ps->step;
    if (!s) return strcmp(key, "title") == 0 ? &ps->l->title : &ps->l->summary;
    if (strcmp(key, "title") == 0) return &s->title;
    if (strcmp(key, "text") == 0) return &s->text;
    if (strcmp(key, "ask") == 0) return &s->ask;
    return &s->answer;
}

/* ---- blocks ------------------------------------------------------------------------------ */

/* One text line (indentation and trailing blanks already stripped) into the open block. */
static int block_line(Parser *ps, const char *s, size_t n)
{
    Buf *b = &ps->buf;
    int rc = RESLAB_OK;
    if (b->n > 0 && ps->gap) {
        rc = buf_add(b, "\n", 1);                           /* a new paragraph */
    } else if (b->n > 0) {                                  /* the same paragraph: join */
        size_t k;
        uint32_t a = last_cp(b), z = lesson_utf8_decode(s, n, &k);
        int tight = (lesson_utf8_is_wide(a) && lesson_utf8_is_wide(z)) ||  /* 汉字 + 汉字 */
                    lesson_utf8_is_cjk_punct(a) || lesson_utf8_is_cjk_punct(z);  /* next to "，" */
        if (!tight) rc = buf_add(b, " ", 1);
    }
    ps->gap = 0;
    if (!rc) rc = buf_add(b, s, n);
    return rc ? nomem(ps) : RESLAB_OK;
}

/* Closes the open block: its text goes into the field. */
static int block_close(Parser *ps)
{
    if (!ps->block) return RESLAB_OK;
    LessonText *t = ps->block;
    LessonLang lang = ps->block_lang;
    ps->block = NULL;
    if (ps->buf.n == 0) {
        int line = ps->line;
        ps->line = t->line[lang];
        fail(ps, "the block is empty (expected its paragraphs on the following lines, indented "
                 "by two spaces or a tab)");
        ps->line = line;
        return RESLAB_ERR_FORMAT;
    }
    t->s[lang] = ps->buf.p;                                 /* the field owns it now */
    ps->buf = (Buf){NULL, 0, 0};
    return RESLAB_OK;
}

/* ---- steps ------------------------------------------------------------------------------- */

static int check_pair(Parser *ps, LessonText *t, const char *key)
{
    if (t->s[LESSON_ZH] && !t->s[LESSON_EN]) {
        ps->line = t->line[LESSON_ZH];
        return fail(ps, "'%s@zh' without '%s' (English is required, Chinese optional)", key, key);
    }
    return RESLAB_OK;
}

/* The checks of step s can be computed with its scene's options. */
static int step_checks(Parser *ps, LessonStep *s)
{
    char why[256];
    for (size_t i = 0; i < s->nchecks; i++)
        if (lesson_checks_usable(s->checks[i].measure, &s->params, why, sizeof why)) {
            ps->line = s->checks[i].line;
            return fail(ps, "check '%s' %s", s->checks[i].measure->name, why);
        }
    return RESLAB_OK;
}

/* What a finished step must have. */
static int step_close(Parser *ps)
{
    LessonStep *s = ps->step;
    if (!s) return RESLAB_OK;
    int at = ps->line, rc;
    const char *names[] = {"title", "text", "ask", "answer"};
    LessonText *f[] = {&s->title, &s->text, &s->ask, &s->answer};
    for (int i = 0; i < 4; i++)
        if ((rc = check_pair(ps, f[i], names[i]))) return rc;
    ps->line = s->line;
    size_t k = (size_t)(s - ps->l->steps) + 1;
    if (!s->title.s[LESSON_EN]) return fail(ps, "step %zu has no 'title' (every step needs title, scene and text)", k);
    if (!s->scene_args) return fail(ps, "step %zu has no 'scene' (every step needs title, scene and text)", k);
    if (!s->text.s[LESSON_EN]) return fail(ps, "step %zu has no 'text' (every step needs title, scene and text)", k);
    if (s->ask.s[LESSON_EN] && !s->answer.s[LESSON_EN]) {
        ps->line = s->ask.line[LESSON_EN];
        return fail(ps, "'ask' needs an 'answer' in the same step (shown on the next key press)");
    }
    if (s->answer.s[LESSON_EN] && !s->ask.s[LESSON_EN]) {
        ps->line = s->answer.line[LESSON_EN];
        return fail(ps, "'answer' without 'ask' (an answer belongs to a question)");
    }
    if ((rc = step_checks(ps, s))) return rc;
    ps->line = at;
    return RESLAB_OK;
}

static int header_close(Parser *ps)
{
    int rc = check_pair(ps, &ps->l->title, "title");
    if (!rc) rc = check_pair(ps, &ps->l->summary, "summary");
    if (!rc && !ps->l->title.s[LESSON_EN])
        rc = fail(ps, "the lesson has no 'title' (expected 'title: ...' before the first [step])");
    return rc;
}

static int step_open(Parser *ps)
{
    int rc = ps->step ? step_close(ps) : header_close(ps);
    if (rc) return rc;
    Lesson *l = ps->l;
    if (l->nsteps == LESSON_MAX_STEPS) return fail(ps, "more than %d steps", LESSON_MAX_STEPS);
    LessonStep *steps = realloc(l->steps, (l->nsteps + 1) * sizeof *steps);
    if (!steps) return nomem(ps);
    l->steps = steps;
    ps->step = &steps[l->nsteps++];
    memset(ps->step, 0, sizeof *ps->step);
    ps->step->line = ps->line;
    return RESLAB_OK;
}

/* ---- directives -------------------------------------------------------------------------- */

/* "scene: NAME --opt value ..." */
static int scene_value(Parser *ps, const char *v)
{
    LessonStep *s = ps->step;
    char name[32] = "", why[512];
    size_t k = strcspn(v, " \t");
    if (k < sizeof name) {
        memcpy(name, v, k);
        name[k] = '\0';
    }
    if (k >= sizeof name || scene_parse(name, &s->scene))
        return fail(ps, "unknown scene '%.*s' (expected one of: depth, block, unroll, paths, "
                        "jacobian, shatter, variance)", (int)(k < 64 ? k : 64), v);
    const char *args = v + k + strspn(v + k, " \t");
    if (lesson_params_parse(s->scene, args, &s->params, why, sizeof why))
        return fail(ps, "scene %s: %s", name, why);
    s->scene_args = strdup(args);
    s->scene_line = ps->line;
    return s->scene_args ? RESLAB_OK : nomem(ps);
}

/* "check: MEASURE OP NUMBER" */
static int check_value(Parser *ps, const char *v)
{
    char w[3][64], extra[2], list[1024];
    int n = sscanf(v, "%63s %63s %63s %1s", w[0], w[1], w[2], extra);
    if (n != 3)
        return fail(ps, "expected 'check: MEASURE OP NUMBER', e.g. 'check: unroll_error < 1e-12'");
    LessonCheck c = {.line = ps->line};
    if (!(c.measure = lesson_checks_find(w[0]))) {
        lesson_checks_list(list, sizeof list);
        return fail(ps, "unknown measure '%s' (expected one of: %s)", w[0], list);
    }
    if (lesson_checks_op_parse(w[1], &c.op))
        return fail(ps, "unknown comparison '%s' in check (expected <, <=, > or >=)", w[1]);
    char *end;
    errno = 0;
    c.bound = strtod(w[2], &end);
    if (*end || errno == ERANGE || !isfinite(c.bound) || strlen(w[2]) >= sizeof c.bound_text)
        return fail(ps, "expected a number like 1e-12 after '%s', got '%s'", w[1], w[2]);
    strcpy(c.bound_text, w[2]);
    LessonStep *s = ps->step;
    LessonCheck *cs = realloc(s->checks, (s->nchecks + 1) * sizeof *cs);
    if (!cs) return nomem(ps);
    s->checks = cs;
    cs[s->nchecks++] = c;
    return RESLAB_OK;
}

/* A text field: one line now, or (empty value) a block that follows. */
static int text_value(Parser *ps, int i, LessonLang lang, const char *v)
{
    LessonText *t = field(ps, keys[i].key);
    const char *suffix = lang == LESSON_ZH ? "@zh" : "";
    if (t->line[lang])
        return fail(ps, "second '%s%s' here (the first is at line %d)", keys[i].key, suffix, t->line[lang]);
    t->line[lang] = ps->line;
    if (*v) return (t->s[lang] = strdup(v)) ? RESLAB_OK : nomem(ps);
    if (!keys[i].block)
        return fail(ps, "'%s%s' needs its value on the same line", keys[i].key, suffix);
    ps->block = t, ps->block_lang = lang, ps->gap = 0;
    return RESLAB_OK;
}

/* The key part "key" or "key@zh" of a directive into its index and language. */
static int parse_key(Parser *ps, const char *k, size_t n, int *idx, LessonLang *lang)
{
    const char *at = memchr(k, '@', n);
    size_t kn = at ? (size_t)(at - k) : n;
    *lang = LESSON_EN;
    for (size_t i = 0; i < NKEYS; i++) {
        if (strlen(keys[i].key) != kn || strncmp(keys[i].key, k, kn) != 0) continue;
        int where = ps->step ? IN_STEP : IN_HEADER;
        if (!(keys[i].where & where))
            return fail(ps, where == IN_HEADER ? "'%s' belongs in a step: start one with [step]"
                                               : "'%s' belongs in the header, before the first [step]",
                        keys[i].key);
        if (at && !(n - kn == 3 && strncmp(at, "@zh", 3) == 0))
            return fail(ps, "unknown language '%.*s' in '%.*s' (expected '%s@zh')", (int)(n - kn - 1),
                        at + 1, (int)n, k, keys[i].key);
        if (at && !keys[i].zh)
            return fail(ps, "'%s' has no language versions (%s)", keys[i].key,
                        strcmp(keys[i].key, "check") == 0 ? "its label comes from the registry in both languages"
                                                          : "options are the same in every language");
        *idx = (int)i;
        *lang = at ? LESSON_ZH : LESSON_EN;
        return RESLAB_OK;
    }
    return fail(ps, "unknown key '%.*s' (expected one of: %s)", (int)n, k,
                expected_keys(ps->step ? IN_STEP : IN_HEADER));
}

static int directive(Parser *ps, const char *s, size_t n)
{
    size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz@");
    if (k == 0 || k >= n || s[k] != ':') {
        size_t w = strcspn(s, ": \t");
        if (w < n && s[w] == ':' && w > 0)
            return fail(ps, "keys are lowercase letters, got '%.*s'", (int)w, s);
        return fail(ps, "expected 'key: value', '[step]', a '#' comment or a text line indented by "
                        "two spaces; got '%.40s%s'", s, n > 40 ? "..." : "");
    }
    int i = 0;
    LessonLang lang;
    int rc = parse_key(ps, s, k, &i, &lang);
    if (rc) return rc;
    const char *v = s + k + 1;
    v += strspn(v, " \t");
    if (strcmp(keys[i].key, "scene") == 0) {
        if (ps->step->scene_args)
            return fail(ps, "second 'scene' here (the first is at line %d)", ps->step->scene_line);
        return *v ? scene_value(ps, v) : fail(ps, "'scene' needs a scene name, e.g. 'scene: block --depth 1'");
    }
    if (strcmp(keys[i].key, "check") == 0) return check_value(ps, v);
    return text_value(ps, i, lang, v);
}

/* ---- lines ------------------------------------------------------------------------------- */

/* Bytes a lesson may not contain: invalid UTF-8 and control characters. */
static int check_bytes(Parser *ps, const char *s, size_t n)
{
    size_t at;
    if (lesson_utf8_invalid(s, n, &at))
        return fail(ps, "invalid UTF-8 at byte %zu of the line (save the file as UTF-8)", at + 1);
    for (size_t i = 0, k; i < n; i += k) {
        uint32_t cp = lesson_utf8_decode(s + i, n - i, &k);
        if (lesson_utf8_is_control(cp))
            return fail(ps, "control character U+%04X at byte %zu of the line", (unsigned)cp, i + 1);
    }
    return RESLAB_OK;
}

static int one_line(Parser *ps, const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;   /* trailing blanks */
    if (n > 0 && s[0] == '#') return RESLAB_OK;                   /* a comment */
    if (n == 0) {                                                 /* blank */
        ps->gap = 1;
        return RESLAB_OK;
    }
    if (s[0] == ' ' || s[0] == '\t') {                            /* indented: a text line */
        if (!ps->block)
            return fail(ps, "indented line outside a text block (a block starts with 'text:' and "
                            "nothing after the colon)");
        size_t k = strspn(s, " \t");
        if (s[0] == ' ' && k < 2)
            return fail(ps, "text lines are indented by at least two spaces or a tab, not one space");
        return block_line(ps, s + k, n - k);
    }
    int rc = block_close(ps);
    if (rc) return rc;
    if (n == 6 && memcmp(s, "[step]", 6) == 0) return step_open(ps);
    if (s[0] == '[') return fail(ps, "unknown section '%.*s' (expected '[step]')", (int)(n < 40 ? n : 40), s);
    char line[LESSON_MAX_LINE + 1];                               /* NUL-terminated copy */
    memcpy(line, s, n);
    line[n] = '\0';
    return directive(ps, line, n);
}

static int parse_lines(Parser *ps, const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) i = 3;  /* a byte order mark */
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
        ps->line++;
        const char *s = data + i;
        i += n + (nl != NULL);
        if (n > 0 && s[n - 1] == '\r') n--;                        /* CRLF */
        if (n > LESSON_MAX_LINE)
            return fail(ps, "line longer than %d bytes", LESSON_MAX_LINE);
        int rc = check_bytes(ps, s, n);
        if (!rc) rc = one_line(ps, s, n);
        if (rc) return rc;
    }
    return RESLAB_OK;
}

int lesson_parse(Lesson *out, const char *name, const char *data, size_t len, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > LESSON_MAX_BYTES)
        return status_set(err, errlen, RESLAB_ERR_TOOBIG, "%s: %zu bytes is larger than a lesson "
                          "may be (%d bytes)", name, len, LESSON_MAX_BYTES);
    Lesson l = {0};
    Parser ps = {.l = &l, .name = name, .err = err, .errlen = errlen};
    int rc = (l.name = strdup(name)) ? parse_lines(&ps, data, len) : nomem(&ps);
    if (ps.line == 0) ps.line = 1;                                /* an empty file: line 1 */
    if (!rc) rc = block_close(&ps);
    if (!rc) rc = ps.step ? step_close(&ps) : header_close(&ps);
    if (!rc && l.nsteps == 0) rc = fail(&ps, "no steps (expected at least one '[step]')");
    free(ps.buf.p);
    if (rc) {
        lesson_free(&l);
        return rc;
    }
    *out = l;
    return RESLAB_OK;
}
