/* test_lesson.c: the lesson format, its parser, `reslab lesson`, and every lesson in lessons/.
 * Claims: a good file parses into exactly its fields in both languages, with the fallback to
 * English reported; every error class is refused with "FILE:LINE:" and what was expected; no
 * input, cut or corrupted anywhere, gives half a lesson, and the parser never prints; a step's
 * scene options mean what they mean after `reslab render` (opts.c agrees); every lesson in the
 * lessons folder (globbed at run time) parses in both languages with nothing untranslated, every
 * check passes, and every step's figure draws (not blank) in both languages; the command
 * prints, exits and writes its handout as documented. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lesson.h"
#include "lesson_dir.h"
#include "lesson_params.h"
#include "lesson_pdf.h"
#include "opts.h"
#include "status.h"

/* cairo 1.16 leaks 768 bytes per embedded CJK font when it writes a PDF (tests/test_scene.c):
 * LeakSanitizer is paused around PDF writing only. The hooks exist only in sanitizer builds. */
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

#define BLANK_FRACTION 0.02   /* a drawn figure covers far more than 2% of its area */

static int parse(const char *text, Lesson *l, char *err, size_t errlen)
{
    return lesson_parse(l, "t.lesson", text, strlen(text), err, errlen);
}

/* ---- good files -------------------------------------------------------------------------- */

static const char good[] =
    "\xef\xbb\xbf# a comment\r\n"
    "title: The block\r\n"
    "title@zh: 残差块\n"
    "summary:\n"
    "  First line\n"
    "  second line.\n"
    "\n"
    "  Second paragraph.\n"
    "\n"
    "[step]\n"
    "title: One\n"
    "scene: unroll --depth=5 --branch-scale 0.5\n"
    "text:\n"
    "  y = F(x) + x, with\n"
    "# a comment inside a block is skipped\n"
    "\tno escaping: # : [step] <b>&amp;\n"
    "text@zh:\n"
    "  第一行\n"
    "  第二行，F(x)\n"
    "  and x. 任何 x\n"
    "  都有 y，\n"
    "  于是\n"
    "ask: Why?\n"
    "ask@zh: 为什么？\n"
    "answer: Because.\n"
    "check: unroll_error < 1e-12\n"
    "check: block_residual_norm >= 0.25\n"
    "\n"
    "[step]\n"
    "title: Two\n"
    "scene: shatter --order post\n"
    "text: one line\n";

static void test_good_file_fields(Check *c)
{
    Lesson l;
    char err[512] = "";
    if (!check_true(c, parse(good, &l, err, sizeof err) == RESLAB_OK, "the good file parses (%s)", err)) return;
    int fb;
    check_true(c, strcmp(l.name, "t.lesson") == 0 && l.nsteps == 2, "name and 2 steps");
    check_true(c, strcmp(lesson_text(&l.title, LESSON_ZH, &fb), "残差块") == 0 && !fb, "title in Chinese, no fallback");
    check_true(c, strcmp(l.summary.s[LESSON_EN], "First line second line.\nSecond paragraph.") == 0,
               "summary block: lines joined by a space, paragraphs by one newline: '%s'", l.summary.s[LESSON_EN]);
    check_true(c, !l.summary.s[LESSON_ZH] && strcmp(lesson_text(&l.summary, LESSON_ZH, &fb), l.summary.s[LESSON_EN]) == 0 && fb,
               "summary@zh missing: English shown, fallback reported");
    const LessonStep *s = &l.steps[0];
    check_true(c, strcmp(s->text.s[LESSON_EN], "y = F(x) + x, with no escaping: # : [step] <b>&amp;") == 0,
               "text: comment skipped, tab indent, nothing escaped: '%s'", s->text.s[LESSON_EN]);
    check_true(c, strcmp(s->text.s[LESSON_ZH], "第一行第二行，F(x) and x. 任何 x 都有 y，于是") == 0,
               "lines join with a space, but not between Chinese characters or next to '，': '%s'",
               s->text.s[LESSON_ZH]);
    check_true(c, s->scene == SCENE_UNROLL && s->params.net.depth == 5 && s->params.net.branch_scale == 0.5 &&
               s->params.net.order == ORDER_PRE, "scene unroll, --depth=5, --branch-scale 0.5, unroll's default pre order");
    check_true(c, strcmp(s->scene_args, "--depth=5 --branch-scale 0.5") == 0 && s->scene_line == 12, "options as written, line 12");
    check_true(c, s->nchecks == 2 && s->checks[0].op == LESSON_OP_LT && s->checks[0].bound == 1e-12 &&
               strcmp(s->checks[0].bound_text, "1e-12") == 0 && s->checks[0].line == 26 &&
               s->checks[1].op == LESSON_OP_GE && strcmp(s->checks[1].measure->name, "block_residual_norm") == 0,
               "two checks: measure, comparison, bound as written, line");
    check_true(c, strcmp(s->ask.s[LESSON_ZH], "为什么？") == 0 && !s->answer.s[LESSON_ZH] &&
               strcmp(lesson_text(&s->answer, LESSON_ZH, &fb), "Because.") == 0 && fb, "answer@zh missing: fallback");
    check_true(c, l.steps[1].params.net.width == 200 && l.steps[1].params.net.order == ORDER_POST && !l.steps[1].ask.s[LESSON_EN],
               "shatter: width 200 by default, --order post kept; no question");
    check_true(c, lesson_untranslated(&l, LESSON_ZH) == 5 && lesson_untranslated(&l, LESSON_EN) == 0,
               "untranslated in Chinese: summary, answer, step 2's title and text... (%zu)", lesson_untranslated(&l, LESSON_ZH));
    check_true(c, strcmp(lesson_fallback_note(LESSON_ZH), "（暂无中文翻译，显示英文）") == 0 &&
               strcmp(lesson_fallback_note(LESSON_EN), "(no Chinese translation; English shown)") == 0, "fallback notes");
    lesson_free(&l);
    check_true(c, l.steps == NULL && l.nsteps == 0 && l.name == NULL, "lesson_free empties the lesson");
    lesson_free(&l);
}

/* ---- one test per error class ------------------------------------------------------------ */

#define HEAD "title: T\n"
#define STEP "[step]\ntitle: S\nscene: block\ntext: x\n"          /* lines 2..5 after HEAD */
#define STEP_NO_TEXT "[step]\ntitle: S\nscene: block\n"

static const struct {
    const char *what, *text, *want;
} errors[] = {
    {"unknown key", HEAD "colour: red\n" STEP, "t.lesson:2: unknown key 'colour' (expected one of: title, title@zh, summary"},
    {"unknown key in a step", HEAD STEP "colour: red\n", "t.lesson:6: unknown key 'colour' (expected one of: title, title@zh, scene"},
    {"a step's key in the header", HEAD "scene: block\n" STEP, "t.lesson:2: 'scene' belongs in a step: start one with [step]"},
    {"a header key in a step", HEAD STEP "summary: s\n", "t.lesson:6: 'summary' belongs in the header"},
    {"key not lowercase", HEAD "Title: T\n" STEP, "t.lesson:2: keys are lowercase letters, got 'Title'"},
    {"not a directive", HEAD "just some words\n" STEP, "t.lesson:2: expected 'key: value', '[step]', a '#' comment"},
    {"unknown language", "title: T\ntitle@fr: T\n" STEP, "t.lesson:2: unknown language 'fr' in 'title@fr' (expected 'title@zh')"},
    {"check has no @zh", HEAD STEP "check@zh: unroll_error < 1\n", "t.lesson:6: 'check' has no language versions"},
    {"a key twice", HEAD "title: U\n" STEP, "t.lesson:2: second 'title' here (the first is at line 1)"},
    {"scene twice", HEAD STEP "scene: depth\n", "t.lesson:6: second 'scene' here (the first is at line 4)"},
    {"no lesson title", "summary: s\n" STEP, "t.lesson:2: the lesson has no 'title'"},
    {"step without title", HEAD "[step]\nscene: block\ntext: x\n", "t.lesson:2: step 1 has no 'title'"},
    {"step without scene", HEAD "[step]\ntitle: S\ntext: x\n", "t.lesson:2: step 1 has no 'scene'"},
    {"step without text", HEAD STEP_NO_TEXT, "t.lesson:2: step 1 has no 'text'"},
    {"ask without answer", HEAD STEP "ask: q?\n", "t.lesson:6: 'ask' needs an 'answer'"},
    {"answer without ask", HEAD STEP "answer: a\n", "t.lesson:6: 'answer' without 'ask'"},
    {"Chinese without English", HEAD STEP "ask@zh: 问？\n", "t.lesson:6: 'ask@zh' without 'ask'"},
    {"unknown scene", HEAD STEP_NO_TEXT "text: x\n[step]\ntitle: S\nscene: blocks\n",
     "t.lesson:8: unknown scene 'blocks' (expected one of: depth, block, unroll"},
    {"unknown option", HEAD "[step]\ntitle: S\nscene: block --colour red\n",
     "t.lesson:4: scene block: unknown option '--colour' (expected one of: --depth"},
    {"bad number value", HEAD "[step]\ntitle: S\nscene: depth --depth ten\n",
     "t.lesson:4: scene depth: --depth: expected a whole number from 1 to 16777216, got 'ten'"},
    {"bad choice", HEAD "[step]\ntitle: S\nscene: depth --act sigmoid\n",
     "t.lesson:4: scene depth: --act: unknown value 'sigmoid' (choose relu, tanh, identity)"},
    {"an output option", HEAD "[step]\ntitle: S\nscene: depth --lang zh\n",
     "t.lesson:4: scene depth: --lang is not a scene option in a lesson"},
    {"missing value", HEAD "[step]\ntitle: S\nscene: depth --depth\n", "t.lesson:4: scene depth: missing value for --depth"},
    {"a flag with a value", HEAD "[step]\ntitle: S\nscene: depth --bn=1\n", "t.lesson:4: scene depth: --bn takes no value"},
    {"example outside the batch", HEAD "[step]\ntitle: S\nscene: block --example 8\n",
     "t.lesson:4: scene block: --example 8 is not in the batch of 8"},
    {"a net too large", HEAD "[step]\ntitle: S\nscene: depth --depth 100000 --width 100000\n", "t.lesson:4: scene depth: "},
    {"check form", HEAD STEP "check: unroll_error<1e-12\n", "t.lesson:6: expected 'check: MEASURE OP NUMBER'"},
    {"unknown measure", HEAD STEP "check: unrol_error < 1\n", "t.lesson:6: unknown measure 'unrol_error' (expected one of: identity_error"},
    {"unknown comparison", HEAD STEP "check: unroll_error = 1\n", "t.lesson:6: unknown comparison '=' in check (expected <, <=, > or >=)"},
    {"bad bound", HEAD STEP "check: unroll_error < tiny\n", "t.lesson:6: expected a number like 1e-12 after '<', got 'tiny'"},
    {"a measure the step cannot compute", HEAD STEP "check: lambda_gain < 1\n",
     "t.lesson:6: check 'lambda_gain' needs --shortcut scaled (the step has identity)"},
    {"indented line outside a block", HEAD "  stray\n" STEP, "t.lesson:2: indented line outside a text block"},
    {"one-space indent", HEAD STEP_NO_TEXT "text:\n one space\n", "t.lesson:6: text lines are indented by at least two spaces"},
    {"empty block", HEAD STEP_NO_TEXT "text:\n\n[step]\n", "t.lesson:5: the block is empty"},
    {"title as a block", HEAD "[step]\ntitle:\n", "t.lesson:3: 'title' needs its value on the same line"},
    {"unknown section", HEAD "[stpe]\n", "t.lesson:2: unknown section '[stpe]' (expected '[step]')"},
    {"invalid UTF-8", HEAD STEP "text@zh: \xe6\x97\n", "t.lesson:6: invalid UTF-8 at byte 10 of the line"},
    {"overlong UTF-8", "title: \xc0\xaf\n", "t.lesson:1: invalid UTF-8 at byte 8 of the line"},
    {"UTF-16 surrogate", "title: \xed\xa0\x80\n", "t.lesson:1: invalid UTF-8 at byte 8"},
    {"control character", HEAD STEP "text@zh: a\x1b[31m\n", "t.lesson:6: control character U+001B at byte 11 of the line"},
    {"C1 control character", HEAD STEP "text@zh: a\xc2\x9b\n", "t.lesson:6: control character U+009B"},
    {"no steps", HEAD, "t.lesson:1: no steps (expected at least one '[step]')"},
    {"empty file", "", "t.lesson:1: the lesson has no 'title'"},
};
#define NERRORS (sizeof errors / sizeof errors[0])

static void expect_error(Check *c, const char *what, const char *text, size_t len, const char *want, int code)
{
    Lesson l;
    char err[1024] = "";
    int rc = lesson_parse(&l, "t.lesson", text, len, err, sizeof err);
    int empty = !l.name && !l.steps && !l.nsteps && !l.title.s[0] && !l.summary.s[0];
    check_true(c, rc == code && empty && strncmp(err, want, strlen(want)) == 0, "%s: %s", what, err);
    lesson_free(&l);
}

static void test_every_error_class_names_file_and_line(Check *c)
{
    for (size_t i = 0; i < NERRORS; i++)
        expect_error(c, errors[i].what, errors[i].text, strlen(errors[i].text), errors[i].want, RESLAB_ERR_FORMAT);
    /* the limits */
    const char *pre = HEAD STEP "text@zh: ";
    size_t k = strlen(pre), n = strlen(HEAD STEP) + LESSON_MAX_LINE + 1;   /* line 6: 4097 bytes */
    char *t = malloc(n + 2);
    if (!t) return;
    memcpy(t, pre, k);
    memset(t + k, 'a', n - k);
    t[n] = '\n';
    t[n + 1] = '\0';
    expect_error(c, "a line too long", t, strlen(t), "t.lesson:6: line longer than 4096 bytes", RESLAB_ERR_FORMAT);
    free(t);
    size_t big = (size_t)LESSON_MAX_BYTES + 1;
    t = malloc(big);
    memset(t, '#', big);
    expect_error(c, "a file too large", t, big, "t.lesson: 1048577 bytes is larger than a lesson may be", RESLAB_ERR_TOOBIG);
    free(t);
    t = malloc(strlen(HEAD) + 101 * strlen(STEP) + 1);
    strcpy(t, HEAD);
    for (int i = 0; i < 101; i++) strcat(t, STEP);
    expect_error(c, "101 steps", t, strlen(t), "t.lesson:402: more than 100 steps", RESLAB_ERR_FORMAT);
    free(t);
    Lesson l;
    char err[256] = "";
    check_true(c, lesson_load(&l, "/nonexistent/x.lesson", err, sizeof err) == RESLAB_ERR_IO &&
               strstr(err, "/nonexistent/x.lesson: cannot open") != NULL, "a missing file: %s", err);
}

/* ---- never half, never printing ---------------------------------------------------------- */

typedef struct {
    size_t ok, refused, half, badmsg;
} Tally;

static void one(const char *text, size_t len, Tally *t)
{
    Lesson l;
    char err[1024] = "";
    if (lesson_parse(&l, "p.lesson", text, len, err, sizeof err) == RESLAB_OK) {
        int whole = l.title.s[LESSON_EN] && l.nsteps >= 1;
        for (size_t i = 0; i < l.nsteps; i++)
            whole &= l.steps[i].title.s[LESSON_EN] && l.steps[i].text.s[LESSON_EN] && l.steps[i].scene_args &&
                     !l.steps[i].ask.s[LESSON_EN] == !l.steps[i].answer.s[LESSON_EN];
        t->ok++;
        t->half += !whole;
    } else {
        t->refused++;
        t->half += l.name || l.steps || l.nsteps || l.title.s[0] || l.title.s[1] || l.summary.s[0];
        t->badmsg += strncmp(err, "p.lesson", 8) != 0;
    }
    lesson_free(&l);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(LESSON_MAX_BYTES + 1);
    *n = f && buf ? fread(buf, 1, LESSON_MAX_BYTES, f) : 0;
    if (f) fclose(f);
    return buf;
}

static void test_never_half_and_never_prints(Check *c)
{
    char path[4096];
    size_t n;
    snprintf(path, sizeof path, "%s/01-residual-block.lesson", lesson_dir(NULL));
    char *base = slurp(path, &n), *buf = malloc(n + 1);
    if (!check_true(c, n > 0, "read %s", path)) return;
    fflush(stdout);
    char tmpl[] = "/tmp/test_lesson_quiet_XXXXXX";
    int fd = mkstemp(tmpl), out = dup(1), errfd = dup(2);
    dup2(fd, 1);                                   /* anything the parser printed would land here */
    dup2(fd, 2);
    Tally t = {0, 0, 0, 0};
    for (size_t k = 0; k <= n; k += 7) one(base, k, &t);                  /* every cut */
    static const char flips[] = {'\0', '\n', ' ', ':', '@', '[', '\xff', '\t', '-'};
    for (size_t k = 0; k < n; k += 13)                                    /* deletions and flips */
        for (size_t f = 0; f <= sizeof flips; f++) {
            memcpy(buf, base, n);
            size_t len = n;
            if (f == sizeof flips) memmove(buf + k, buf + k + 1, n - k - 1), len--;
            else buf[k] = flips[f];
            one(buf, len, &t);
        }
    fflush(stdout);
    dup2(out, 1);
    dup2(errfd, 2);
    close(out);
    close(errfd);
    struct stat st;
    fstat(fd, &st);
    close(fd);
    unlink(tmpl);
    check_true(c, t.half == 0 && t.badmsg == 0 && t.ok > 0 && t.refused > 0,
               "%zu cut or corrupted inputs: %zu whole lessons, %zu refused, %zu half, %zu messages without the file name",
               t.ok + t.refused, t.ok, t.refused, t.half, t.badmsg);
    check_true(c, st.st_size == 0, "the parser printed nothing (%lld bytes on stdout/stderr)", (long long)st.st_size);
    free(base);
    free(buf);
}

/* ---- scene options as `reslab render` reads them ----------------------------------------- */

static void usage(FILE *f) { (void)f; }

static int same_params(const SceneParams *p, const CliOptions *o)
{
    const NetConfig *a = &p->net, *b = &o->net;
    return a->depth == b->depth && a->width == b->width && a->hidden == b->hidden &&
           a->input_width == b->input_width && a->act == b->act && a->shortcut == b->shortcut &&
           a->order == b->order && a->lambda == b->lambda && a->init == b->init &&
           a->branch_scale == b->branch_scale && a->zero_last == b->zero_last && a->bias_std == b->bias_std &&
           a->bn == b->bn && a->dropout_p == b->dropout_p && a->gate_bias == b->gate_bias &&
           p->batch == o->batch && p->seed == o->seed && p->samples == o->samples &&
           p->example == o->example && p->show == o->show;
}

static void test_scene_options_agree_with_reslab_render(Check *c)
{
    static const char *cases[] = {
        "--depth 50 --width 32 --hidden 8 --batch 4 --seed 9 --init glorot --act tanh",
        "--shortcut project --in-width 3 --order pre --lambda 0.25 --branch-scale -0.5",
        "--variant gate --gate-bias -3 --bn --zero-last --bias-std 0.1 --show plain",
        "--shortcut dropout --dropout 0.3 --samples 17 --example 3 --show residual",
        "--shortcut scaled --lambda=0.5 --depth=7", "--depth 0", "--lambda 1e4", "--dropout 1", "--seed -1",
        "--act sigmoid", "--show none", "--batch 1x", "--width 99999999999", "--order sideways",
    };
    int agree = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char words[256], *argv[32] = {"render"}, err[512] = "";
        int argc = 1;
        strcpy(words, cases[i]);
        for (char *w = strtok(words, " "); w && argc < 31; w = strtok(NULL, " ")) argv[argc++] = w;
        CliOptions o;
        opts_defaults(&o);
        int cli = opts_parse("render", argc, argv, OPT_NET | OPT_RENDER | OPT_FLOW, usage, &o);
        SceneParams p;
        int ours = lesson_params_parse(SCENE_DEPTH, cases[i], &p, err, sizeof err);
        int ok = (cli == OPTS_OK) == (ours == RESLAB_OK) && (ours || same_params(&p, &o));
        if (!ok) printf("  differs: '%s' (cli %d, lesson %d: %s)\n", cases[i], cli, ours, ours ? err : "");
        agree &= ok;
    }
    check_true(c, agree, "scene options: the lesson parser and opts.c accept the same words with the same values");
}

/* ---- the lessons folder ------------------------------------------------------------------ */

/* The fraction of pixels of the surface that differ from the background. */
static double drawn_fraction(cairo_surface_t *sf, Rgb bg)
{
    cairo_surface_flush(sf);
    int w = cairo_image_surface_get_width(sf), h = cairo_image_surface_get_height(sf);
    int stride = cairo_image_surface_get_stride(sf);
    const unsigned char *d = cairo_image_surface_get_data(sf);
    uint32_t b = rgb_argb32(bg);
    size_t n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) n += ((const uint32_t *)(d + y * stride))[x] != b;
    return (double)n / ((double)w * h);
}

/* The step's figure at 0.4 of 1100 x 688 (as on the handout), and its whole page. */
static int step_draws(Check *c, const Lesson *l, size_t i, LessonLang lang, const Theme *t, double *fraction)
{
    const LessonStep *s = &l->steps[i];
    SceneParams p = s->params;
    p.lang = lang == LESSON_ZH ? SCENE_LANG_ZH : SCENE_LANG_EN;
    char err[512] = "";
    Scene *scene = scene_alloc(s->scene, &p, err, sizeof err);
    if (!scene) {
        check_true(c, 0, "%s step %zu: scene: %s", l->name, i + 1, err);
        return 0;
    }
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 440, 275);
    cairo_t *cr = cairo_create(sf);
    cairo_scale(cr, 0.4, 0.4);
    rgb_set_source(cr, t->background);
    cairo_paint(cr);
    scene_draw(scene, cr, (Rect){0, 0, 1100, 687.5}, t);
    int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    *fraction = drawn_fraction(sf, t->background);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 421, 298);
    cr = cairo_create(sf);
    cairo_scale(cr, 0.5, 0.5);
    lesson_pdf_draw_page(cr, (Rect){0, 0, LESSON_PDF_W, LESSON_PDF_H}, t, l, i, lang, scene, NULL);
    ok &= cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    scene_free(scene);
    return ok;
}

static void check_lesson(Check *c, const char *dir, const char *file, const Theme *t)
{
    char path[4096], err[1024] = "";
    snprintf(path, sizeof path, "%s/%s", dir, file);
    Lesson l;
    if (!check_true(c, lesson_load(&l, path, err, sizeof err) == RESLAB_OK, "%s parses (%s)", file, err)) return;
    check_true(c, lesson_untranslated(&l, LESSON_ZH) == 0, "%s: every text has its Chinese version (%zu missing)",
               file, lesson_untranslated(&l, LESSON_ZH));
    size_t checks = 0, failed = 0, drawn = 0;
    for (size_t i = 0; i < l.nsteps; i++) {
        const LessonStep *s = &l.steps[i];
        for (size_t k = 0; k < s->nchecks; k++, checks++) {
            LessonCheckResult r;
            char line[512];
            if (lesson_checks_run(&s->checks[k], &s->params, &r, err, sizeof err)) {
                check_true(c, 0, "%s:%d: check runs: %s", file, s->checks[k].line, err);
                failed++;
                continue;
            }
            lesson_checks_describe(&s->checks[k], &r, LESSON_EN, line, sizeof line);
            if (!r.passed) printf("  %s:%d: %s FAILED\n", file, s->checks[k].line, line);
            failed += !r.passed;
        }
        for (int lang = 0; lang < LESSON_NLANG; lang++) {
            double f = 0;
            if (step_draws(c, &l, i, (LessonLang)lang, t, &f) && f > BLANK_FRACTION) drawn++;
            else printf("  %s step %zu (%s): figure blank or cairo error (%.3f drawn)\n", file, i + 1, lang ? "zh" : "en", f);
        }
    }
    check_true(c, failed == 0, "%s: all %zu checks pass", file, checks);
    check_true(c, drawn == 2 * l.nsteps, "%s: all %zu steps draw in English and Chinese (%zu of %zu figures not blank)",
               file, l.nsteps, drawn, 2 * l.nsteps);
    lesson_free(&l);
}

static void test_every_lesson_in_the_folder(Check *c)
{
    const char *dir = lesson_dir(NULL);
    char **names, err[512] = "";
    size_t n;
    int rc = lesson_dir_list(dir, &names, &n, err, sizeof err);
    if (!check_true(c, rc == RESLAB_OK && n > 0, "lessons in %s: %zu (%s)", dir, rc ? 0 : n, rc ? err : "ok")) return;
    Theme t = theme_light();
    for (size_t i = 0; i < n; i++) check_lesson(c, dir, names[i], &t);
    lesson_dir_list_free(names, n);
}

static void test_names_resolve(Check *c)
{
    const char *dir = lesson_dir(NULL), *names[] = {"01", "residual-block", "01-residual-block", "01-residual-block.lesson"};
    char *path, err[512] = "";
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        ok &= lesson_dir_resolve(dir, names[i], &path, err, sizeof err) == RESLAB_OK && strstr(path, "/01-residual-block.lesson");
        free(path);
    }
    check_true(c, ok, "01, residual-block, 01-residual-block(.lesson) all name lessons/01-residual-block.lesson");
    check_true(c, lesson_dir_resolve(dir, "residual", &path, err, sizeof err) == RESLAB_ERR_INVALID &&
               strstr(err, "no lesson 'residual'") && strstr(err, "01-residual-block.lesson"), "unknown name: %s", err);
    char tmp[] = "/tmp/test_lesson_dir_XXXXXX", f[256];
    mkdtemp(tmp);
    for (int i = 0; i < 2; i++) {
        snprintf(f, sizeof f, "%s/01-%s.lesson", tmp, i ? "b" : "a");
        fclose(fopen(f, "w"));
    }
    check_true(c, lesson_dir_resolve(tmp, "01", &path, err, sizeof err) == RESLAB_ERR_INVALID &&
               strstr(err, "names more than one lesson: 01-a.lesson, 01-b.lesson"), "ambiguous name: %s", err);
    for (int i = 0; i < 2; i++) {
        snprintf(f, sizeof f, "%s/01-%s.lesson", tmp, i ? "b" : "a");
        unlink(f);
    }
    rmdir(tmp);
}

/* ---- the handout ------------------------------------------------------------------------- */

static int pdf_pages(const char *path)
{
    size_t n;
    char *buf = slurp(path, &n);
    int pages = 0;
    for (size_t i = 0; i + 11 < n; i++)
        if (memcmp(buf + i, "/Type /Page", 11) == 0 && buf[i + 11] != 's') pages++;
    free(buf);
    return pages;
}

static void test_handout_is_written_whole_or_not_at_all(Check *c, const char *tmpdir)
{
    char path[4096], err[1024] = "";
    snprintf(path, sizeof path, "%s/01-residual-block.lesson", lesson_dir(NULL));
    Lesson l;
    if (lesson_load(&l, path, err, sizeof err)) return;
    snprintf(path, sizeof path, "%s/lesson_handout.pdf", tmpdir);
    if (__lsan_disable) __lsan_disable();
    size_t failed = 99;
    int rc = lesson_pdf_write(&l, LESSON_ZH, NULL, path, &failed, err, sizeof err);
    check_true(c, rc == RESLAB_OK && failed == 0 && pdf_pages(path) == (int)l.nsteps,
               "handout: %zu pages, one per step, no check failed (%s)", l.nsteps, rc ? err : "ok");
    struct stat before, after;
    stat(path, &before);
    l.steps[1].params.example = 1000;                 /* a step whose scene cannot be computed */
    rc = lesson_pdf_write(&l, LESSON_EN, NULL, path, &failed, err, sizeof err);
    stat(path, &after);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "01-residual-block.lesson:") && before.st_size == after.st_size &&
               before.st_mtime == after.st_mtime, "a step that fails leaves the old handout untouched: %s", err);
    rc = lesson_pdf_write(&l, LESSON_EN, NULL, "/nonexistent/dir/h.pdf", &failed, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_IO, "an unwritable folder: %s", err);
    if (__lsan_enable) __lsan_enable();
    unlink(path);
    lesson_free(&l);
}

/* ---- the command ------------------------------------------------------------------------- */

typedef struct {
    int status;
    char out[65536], err[4096];
} Run;

static void run(Run *r, const char *env, const char *args, const char *tmpdir)
{
    char cmd[4096], o[512], e[512];
    snprintf(o, sizeof o, "%s/lesson_out.txt", tmpdir);
    snprintf(e, sizeof e, "%s/lesson_err.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "%s %s %s </dev/null >%s 2>%s", env, getenv("RESLAB_EXE"), args, o, e);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    size_t n;
    char *b = slurp(o, &n);
    n = n < sizeof r->out - 1 ? n : sizeof r->out - 1;
    memcpy(r->out, b, n);
    r->out[n] = '\0';
    free(b);
    b = slurp(e, &n);
    n = n < sizeof r->err - 1 ? n : sizeof r->err - 1;
    memcpy(r->err, b, n);
    r->err[n] = '\0';
    free(b);
}

static void test_command(Check *c, const char *tmpdir)
{
    if (!getenv("RESLAB_EXE")) {
        printf("SKIP the command: RESLAB_EXE is not set\n");
        return;
    }
    static Run r;
    run(&r, "", "lesson list", tmpdir);
    check_true(c, r.status == 0 && strstr(r.out, "01-residual-block") && strstr(r.out, "4 steps") &&
               strstr(r.out, "en zh") && strstr(r.out, "The residual block"), "lesson list: %s", r.out);
    run(&r, "LANG=C", "lesson 01 --text", tmpdir);
    check_true(c, r.status == 0 && strstr(r.out, "Step 4 / 4: The shortcut carries the gradient") &&
               strstr(r.out, "check: one block with F = 0: max |y − x|: measured 0 <= 0  passed") &&
               strstr(r.out, "figure: reslab render block --order pre --zero-last") && !strchr(r.out, '\033'),
               "--text, piped: every step, checks as 'check: LABEL: measured V OP B  passed', no colour (status %d)", r.status);
    run(&r, "LANG=zh_CN.UTF-8 LC_ALL= LC_MESSAGES=", "lesson residual-block --all", tmpdir);
    check_true(c, r.status == 0 && strstr(r.out, "第 1 / 4 步：一个块：y = F(x) + x") && strstr(r.out, "检查：") &&
               strstr(r.out, "通过"), "LANG=zh_CN: Chinese without --lang (status %d)", r.status);
    run(&r, "", "lesson nope --text", tmpdir);
    check_true(c, r.status == 2 && strstr(r.err, "reslab lesson: no lesson 'nope'"), "unknown lesson: %s", r.err);
    run(&r, "", "lesson 01 --lang fr", tmpdir);
    check_true(c, r.status == 2 && strstr(r.err, "--lang: unknown value 'fr' (choose en, zh)"), "bad --lang: %s", r.err);
    run(&r, "", "lesson 01 --text --pdf x.pdf", tmpdir);
    check_true(c, r.status == 2 && strstr(r.err, "choose one of --text and --pdf"), "--text with --pdf: %s", r.err);
    char args[1024], path[512];
    snprintf(path, sizeof path, "%s/failing.lesson", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("title: F\n[step]\ntitle: S\nscene: block\ntext: x\ncheck: block_residual_norm < 0.001\n", f);
    fclose(f);
    snprintf(args, sizeof args, "lesson %s --text", path);
    run(&r, "", args, tmpdir);
    check_true(c, r.status == 1 && strstr(r.out, "FAILED") && strstr(r.out, "1 check failed"),
               "a failing check: exit 1 and FAILED (a path as NAME)");
    snprintf(path, sizeof path, "%s/broken.lesson", tmpdir);
    f = fopen(path, "w");
    fputs("title: F\n[step]\ntitle: S\nscene: block --depht 3\ntext: x\n", f);
    fclose(f);
    snprintf(args, sizeof args, "lesson %s --text", path);
    run(&r, "", args, tmpdir);
    check_true(c, r.status == 2 && strstr(r.err, "broken.lesson:4: scene block: unknown option '--depht'") && !r.out[0],
               "a broken lesson: exit 2, FILE:LINE on stderr, nothing shown: %s", r.err);
    snprintf(path, sizeof path, "%s/cli_handout.pdf", tmpdir);
    snprintf(args, sizeof args, "lesson 01 --pdf %s", path);
    run(&r, "ASAN_OPTIONS=detect_leaks=0", args, tmpdir);   /* cairo's PDF font leak, see above */
    check_true(c, r.status == 0 && pdf_pages(path) == 4, "--pdf: a 4-page handout (status %d: %s)", r.status, r.err);
    unlink(path);
}

int main(void)
{
    Check c = {0};
    const char *tmpdir = getenv("TEST_BUILD_DIR") ? getenv("TEST_BUILD_DIR") : "/tmp";
    test_good_file_fields(&c);
    test_every_error_class_names_file_and_line(&c);
    test_never_half_and_never_prints(&c);
    test_scene_options_agree_with_reslab_render(&c);
    test_names_resolve(&c);
    test_every_lesson_in_the_folder(&c);
    test_handout_is_written_whole_or_not_at_all(&c, tmpdir);
    test_command(&c, tmpdir);
    pango_cairo_font_map_set_default(NULL);        /* clean exit for leak checkers */
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&c);
}
