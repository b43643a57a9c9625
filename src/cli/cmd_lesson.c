/* cmd_lesson.c: `reslab lesson`: list the lessons, step through one in the terminal (--text),
 * write its handout (--pdf FILE), or show it in the viewer (lesson_view, commands.h).
 * Exit status: 0, 1 if a check failed, 2 on bad input or an error (one line on stderr). */
#include <fontconfig/fontconfig.h>
#include <getopt.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands.h"
#include "export.h"
#include "lesson.h"
#include "lesson_dir.h"
#include "lesson_pdf.h"
#include "lesson_utf8.h"
#include "status.h"

static void lesson_usage(FILE *f)
{
    fprintf(f, "usage: reslab lesson list [--dir DIR] [--lang en|zh]\n"
               "       reslab lesson NAME [--text [--all] | --pdf FILE] [--lang en|zh] [--dir DIR]\n"
               "Lessons step through the mathematics of residual networks; each step shows a scene\n"
               "and may ask a question and check numbers (docs/lessons.md).\n\n"
               "  list             one line per lesson: name, steps, languages, title\n"
               "  NAME             01-residual-block, 01, residual-block or a path to a .lesson file;\n"
               "                   without --text or --pdf the lesson opens in the viewer\n"
               "  --text           in the terminal: Enter shows the answer and the next step\n"
               "  --all            print every step without waiting (also when stdin is not a terminal)\n"
               "  --pdf FILE       a handout: one page per step with the text, checks and figure\n"
               "  --lang L         en | zh (default: from LC_ALL, LC_MESSAGES or LANG)\n"
               "  --dir DIR        the lessons folder (default: $RESLAB_LESSONS_DIR, then the built-in)\n"
               "  --help           this help\n"
               "  in the viewer (without --text and --pdf): --size WxH --theme T --font-scale X\n"
               "                   --frames N --events FILE --screenshot FILE --sync --bench\n"
               "                   (as in reslab view); → PgDn Enter: answer, next; ← PgUp: back\n"
               "\nexamples: reslab lesson list\n"
               "          reslab lesson 01 --text --lang zh\n"
               "          reslab lesson residual-block --pdf block.pdf\n");
}

typedef struct {
    int text, all, list;
    const char *pdf, *dir, *name;
    LessonLang lang;
    char *view[24];          /* the viewer's own options, passed on to lesson_view */
    int nview;
} LessonOptions;

static int parse(int argc, char **argv, LessonOptions *o)
{
    static const struct option longopts[] = {
        {"text", no_argument, NULL, 't'}, {"all", no_argument, NULL, 'a'},
        {"pdf", required_argument, NULL, 'p'}, {"lang", required_argument, NULL, 'l'},
        {"dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        /* the viewer's (reslab view --help), passed on as written */
        {"frames", required_argument, NULL, 'V'}, {"events", required_argument, NULL, 'V'},
        {"screenshot", required_argument, NULL, 'V'}, {"font-scale", required_argument, NULL, 'V'},
        {"size", required_argument, NULL, 'V'}, {"theme", required_argument, NULL, 'V'},
        {"sync", no_argument, NULL, 'W'}, {"bench", no_argument, NULL, 'W'}, {NULL, 0, NULL, 0},
    };
    *o = (LessonOptions){.lang = lesson_lang_from_env()};
    opterr = 0;
    optind = 1;
    int c, li = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, &li)) != -1) {
        switch (c) {
        case 'V': case 'W':                      /* "--name" [value] for the viewer */
            if (o->nview + 2 >= (int)(sizeof o->view / sizeof o->view[0])) break;
            o->view[o->nview++] = (char *)argv[optind - (c == 'V' && optarg == argv[optind - 1] ? 2 : 1)];
            if (c == 'V' && optarg == argv[optind - 1]) o->view[o->nview++] = optarg;
            break;
        case 't': o->text = 1; break;
        case 'a': o->all = o->text = 1; break;
        case 'p': o->pdf = optarg; break;
        case 'd': o->dir = optarg; break;
        case 'h': lesson_usage(stdout); return 1;
        case 'l':
            if (lesson_lang_parse(optarg, &o->lang) == RESLAB_OK) break;
            fprintf(stderr, "reslab lesson: --lang: unknown value '%s' (choose en, zh)\n", optarg);
            return 2;
        default:
            fprintf(stderr, "reslab lesson: %s '%s' (see 'reslab lesson --help')\n",
                    c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) o->name = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "reslab lesson: unexpected argument '%s' (see 'reslab lesson --help')\n", argv[optind]);
        return 2;
    }
    if (!o->name) {
        fprintf(stderr, "reslab lesson: name a lesson or say 'list' (see 'reslab lesson --help')\n");
        return 2;
    }
    o->list = strcmp(o->name, "list") == 0;
    if (o->text && o->pdf) {
        fprintf(stderr, "reslab lesson: choose one of --text and --pdf\n");
        return 2;
    }
    if (o->pdf && export_format(o->pdf) != EXPORT_PDF) {
        fprintf(stderr, "reslab lesson: --pdf %s: the handout is a PDF file (name it .pdf)\n", o->pdf);
        return 2;
    }
    return 0;
}

/* ---- list -------------------------------------------------------------------------------- */

static int list(const LessonOptions *o)
{
    const char *dir = lesson_dir(o->dir);
    char err[1024], **names;
    size_t n;
    if (lesson_dir_list(dir, &names, &n, err, sizeof err)) {
        fprintf(stderr, "reslab lesson: %s\n", err);
        return 2;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        Lesson l;
        if (lesson_load(&l, path, err, sizeof err)) {
            fprintf(stderr, "reslab lesson: %s\n", err);
            rc = 2;
            continue;
        }
        size_t missing = lesson_untranslated(&l, LESSON_ZH);
        int any_zh = l.title.s[LESSON_ZH] != NULL;
        for (size_t k = 0; k < l.nsteps && !any_zh; k++) any_zh = l.steps[k].text.s[LESSON_ZH] != NULL;
        char langs[64];
        snprintf(langs, sizeof langs, any_zh ? (missing ? "en zh (%zu untranslated)" : "en zh") : "en", missing);
        printf("%-28.*s %3zu %-6s %-8s %s\n", (int)(strlen(names[i]) - strlen(".lesson")), names[i],
               l.nsteps, o->lang == LESSON_ZH ? "步" : (l.nsteps == 1 ? "step" : "steps"), langs,
               lesson_text(&l.title, o->lang, NULL));
        lesson_free(&l);
    }
    if (n == 0) fprintf(stderr, "reslab lesson: no .lesson files in %s\n", dir);
    lesson_dir_list_free(names, n);
    return rc;
}

/* ---- the terminal ------------------------------------------------------------------------ */

typedef struct {
    int width, colour, wait;
    LessonLang lang;
} Term;

static const char *sgr(const Term *t, const char *code) { return t->colour ? code : ""; }

static int is_closing(uint32_t c)
{
    return strchr(",.;:!?)]}", c < 128 ? (int)c : 0x7f) != NULL ||
           c == 0xff0c || c == 0x3002 || c == 0x3001 || c == 0xff1b || c == 0xff1a || c == 0xff1f ||
           c == 0xff01 || c == 0xff09 || c == 0x300d || c == 0x300f || c == 0x3011 || c == 0x300b;
}

static int is_opening(uint32_t c)
{
    return c == '(' || c == 0xff08 || c == 0x300c || c == 0x300e || c == 0x3010 || c == 0x300a;
}

/* The end of the unit starting at i: a word (no spaces, no wide characters) or one wide
 * character, with opening brackets kept to what follows and closing punctuation to what
 * precedes (no line starts with "，" or ends with "（"). */
static size_t unit_end(const char *s, size_t n, size_t i)
{
    size_t k;
    uint32_t c = lesson_utf8_decode(s + i, n - i, &k);
    while (is_opening(c) && i + k < n && s[i + k] != ' ') {
        i += k;
        c = lesson_utf8_decode(s + i, n - i, &k);
    }
    if (lesson_utf8_is_wide(c)) {
        i += k;
    } else {
        while (i < n && s[i] != ' ' && !lesson_utf8_is_wide(lesson_utf8_decode(s + i, n - i, &k))) i += k;
    }
    while (i < n && is_closing(c = lesson_utf8_decode(s + i, n - i, &k))) i += k;
    return i;
}

/* One paragraph s[0..n), wrapped at the terminal's width after an indent. */
static void wrap(const Term *t, const char *s, size_t n, int indent)
{
    int col = printf("%*s", indent, "");
    size_t i = 0;
    while (i < n) {
        int space = 0;
        while (i < n && s[i] == ' ') i++, space = 1;
        if (i >= n) break;
        size_t e = unit_end(s, n, i);
        int w = lesson_utf8_width(s + i, e - i);
        if (col > indent && col + space + w > t->width) col = printf("\n%*s", indent, "") - 1;
        else if (space && col > indent) col += printf(" ");
        printf("%.*s", (int)(e - i), s + i);
        col += w;
        i = e;
    }
    printf("\n");
}

/* A text field's paragraphs, a blank line between them; the fallback note first. */
static void print_text(const Term *t, const LessonText *f, const char *head)
{
    int fb;
    const char *s = lesson_text(f, t->lang, &fb);
    if (!s) return;
    if (head) printf("%s%s%s\n", sgr(t, "\033[1;36m"), head, sgr(t, "\033[0m"));
    if (fb) printf("  %s%s%s\n", sgr(t, "\033[2m"), lesson_fallback_note(t->lang), sgr(t, "\033[0m"));
    while (*s) {
        size_t n = strcspn(s, "\n");
        wrap(t, s, n, 2);
        s += n + (s[n] == '\n');
        if (*s) printf("\n");
    }
}

/* Waits for Enter when interactive; 1 if the reader typed q. */
static int pause_for(const Term *t, const char *en, const char *zh)
{
    if (!t->wait) return 0;
    printf("%s%s%s", sgr(t, "\033[2m"), t->lang == LESSON_ZH ? zh : en, sgr(t, "\033[0m"));
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 1;
    return line[0] == 'q';
}

/* Runs and prints the step's checks; 2 on an error, else the number failed via *failed. */
static int run_checks(const Term *t, const Lesson *l, const LessonStep *s, size_t *failed)
{
    for (size_t k = 0; k < s->nchecks; k++) {
        LessonCheckResult r;
        char err[512], line[512];
        if (lesson_checks_run(&s->checks[k], &s->params, &r, err, sizeof err)) {
            fflush(stdout);
            fprintf(stderr, "reslab lesson: %s:%d: check '%s': %s\n", l->name, s->checks[k].line,
                    s->checks[k].measure->name, err);
            return 2;
        }
        lesson_checks_describe(&s->checks[k], &r, t->lang, line, sizeof line);
        printf("%s%s  %s%s%s\n", t->lang == LESSON_ZH ? "检查：" : "check: ", line,
               sgr(t, r.passed ? "\033[1;32m" : "\033[1;31m"), lesson_checks_verdict(r.passed, t->lang),
               sgr(t, "\033[0m"));
        *failed += !r.passed;
    }
    return 0;
}

static int text_step(const Term *t, const Lesson *l, size_t i, size_t *failed)
{
    const LessonStep *s = &l->steps[i];
    const char *zh = t->lang == LESSON_ZH ? "zh" : NULL;
    printf("\n%s", sgr(t, "\033[1m"));
    printf(zh ? "第 %zu / %zu 步：" : "Step %zu / %zu: ", i + 1, l->nsteps);
    printf("%s%s\n", lesson_text(&s->title, t->lang, NULL), sgr(t, "\033[0m"));
    print_text(t, &s->text, NULL);
    printf("%s%s reslab render %s%s%s%s\n", sgr(t, "\033[2m"), zh ? "图：" : "figure:",
           scene_name(s->scene), *s->scene_args ? " " : "", s->scene_args, sgr(t, "\033[0m"));
    if (s->ask.s[LESSON_EN]) {
        print_text(t, &s->ask, zh ? "问题：" : "Question:");
        if (pause_for(t, "(Enter: show the answer, q: quit) ", "（回车：显示答案，q：退出）")) return -1;
        print_text(t, &s->answer, zh ? "答案：" : "Answer:");
    }
    if (run_checks(t, l, s, failed)) return 2;
    if (i + 1 < l->nsteps && pause_for(t, "(Enter: next step, q: quit) ", "（回车：下一步，q：退出）")) return -1;
    return 0;
}

static int terminal_width(void)
{
    struct winsize ws;
    int w = 80;
    const char *cols = getenv("COLUMNS");
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) w = ws.ws_col;
    else if (cols && atoi(cols) > 0) w = atoi(cols);
    return w < 40 ? 40 : w > 100 ? 100 : w;
}

static int text_mode(const LessonOptions *o, const Lesson *l)
{
    Term t = {terminal_width() - 1, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
              isatty(STDIN_FILENO) && !o->all, o->lang};
    printf("%s%s%s\n", sgr(&t, "\033[1m"), lesson_text(&l->title, t.lang, NULL), sgr(&t, "\033[0m"));
    print_text(&t, &l->summary, NULL);
    size_t failed = 0;
    for (size_t i = 0; i < l->nsteps; i++) {
        int rc = text_step(&t, l, i, &failed);
        if (rc == 2) return 2;
        if (rc < 0) break;                                  /* q: stop here */
    }
    if (failed)
        printf("\n%s%zu %s%s\n", sgr(&t, "\033[1;31m"), failed,
               t.lang == LESSON_ZH ? "项检查未通过" : (failed == 1 ? "check failed" : "checks failed"),
               sgr(&t, "\033[0m"));
    return failed ? 1 : 0;
}

/* ---- the command ------------------------------------------------------------------------- */

static int pdf_mode(const LessonOptions *o, const Lesson *l)
{
    char err[1024];
    size_t failed = 0;
    int rc = lesson_pdf_write(l, o->lang, NULL, o->pdf, &failed, err, sizeof err);
    pango_cairo_font_map_set_default(NULL);                 /* clean exit for leak checkers */
    cairo_debug_reset_static_data();
    FcFini();
    if (rc) {
        fprintf(stderr, "reslab lesson: %s\n", err);
        return 2;
    }
    printf("reslab lesson: wrote %s (%zu pages, %s)\n", o->pdf, l->nsteps, o->lang == LESSON_ZH ? "zh" : "en");
    if (failed) fprintf(stderr, "reslab lesson: %zu check%s failed (marked in the handout)\n", failed,
                        failed == 1 ? "" : "s");
    return failed ? 1 : 0;
}

int cmd_lesson(int argc, char **argv)
{
    LessonOptions o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : 2;
    if (o.list) return list(&o);
    char err[1024], *path;
    Lesson l;
    if (lesson_dir_resolve(lesson_dir(o.dir), o.name, &path, err, sizeof err)) {
        fprintf(stderr, "reslab lesson: %s\n", err);
        return 2;
    }
    rc = lesson_load(&l, path, err, sizeof err);
    free(path);
    if (rc) {
        fprintf(stderr, "reslab lesson: %s\n", err);
        return 2;
    }
    rc = o.text ? text_mode(&o, &l) : o.pdf ? pdf_mode(&o, &l)
                : lesson_view(&l, (int)o.lang, o.nview, o.view);
    lesson_free(&l);
    return rc;
}
