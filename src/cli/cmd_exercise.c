/* cmd_exercise.c: `reslab exercise list | check FILE | new N DIR`: the gradient exercises and
 * their grader (src/exercise/exercise.h, docs/exercises.md). Exit status of check: 0 when
 * every tensor passes, 1 when some do not (or the program crashed), 2 for bad usage or a file
 * that does not compile. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "exercise.h"
#include "status.h"

static void exercise_usage(FILE *f)
{
    fprintf(f, "usage: reslab exercise list\n"
               "       reslab exercise check FILE [options]\n"
               "       reslab exercise new N DIR\n"
               "Gradient exercises: write a backward pass in C, and reslab tells you, tensor by\n"
               "tensor, whether it is right (central differences, relative error below 1e-7), and\n"
               "if not, which classic mistake it looks like.\n\n"
               "  list               the exercises: number, title, file\n"
               "  check FILE         compile FILE with the system C compiler ($CC or cc), run it in a\n"
               "                     child process with limits, and grade its gradients\n"
               "  new N DIR          copy exercise N's skeleton into DIR (never overwrites)\n\n"
               "options of check:\n"
               "  --seed S           seed of the test cases (default 1)\n"
               "  --verbose          one line per tensor and case\n"
               "  --time-limit S     CPU seconds the program may use (default 10; wall clock 2S+2)\n"
               "  --memory-limit M   MiB of address space (default 1024)\n"
               "  --exercise N       which exercise FILE is (default: its 'reslab exercise N' line)\n"
               "  --help             this help\n"
               "Exit status of check: 0 every tensor passes, 1 some do not, 2 bad usage or the file\n"
               "does not compile. Colour on a terminal (not with NO_COLOR set).\n\n"
               "example: reslab exercise new 3 mywork && reslab exercise check mywork/03-residual.c\n");
}

typedef struct {
    int on;
} Colour;

static const char *col(const Colour *c, const char *code) { return c->on ? code : ""; }

static const char *verdict_colour(GradeVerdict v)
{
    return v == GRADE_CORRECT ? "\033[32m" : v == GRADE_SUSPECT || v == GRADE_NOT_CHECKED ? "\033[33m" : "\033[31m";
}

static int cmd_list(void)
{
    printf("  %2s  %-50s  %s\n", "N", "exercise", "file");
    for (int n = 1; n <= exercise_count(); n++) {
        const ExerciseDef *d = exercise_get(n);
        printf("  %2d  %-50s  %s\n", n, d->title, d->file);
    }
    char path[4200], err[512];
    if (exercise_skeleton_path(1, path, sizeof path, err, sizeof err) == RESLAB_OK) {
        char *slash = strrchr(path, '/');
        if (slash) *slash = '\0';
        printf("skeletons in %s\n", path);
    }
    printf("start one with 'reslab exercise new N DIR', grade it with 'reslab exercise check FILE'\n");
    return 0;
}

/* A whole number in [lo, hi] from an option's value; -1 (message printed) if not. */
static long parse_whole(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "reslab exercise: %s: expected a whole number from %ld to %ld, got '%s'\n",
                opt, lo, hi, s);
        return -1;
    }
    return v;
}

static int cmd_new(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "reslab exercise new: expected N DIR (e.g. 'reslab exercise new 3 mywork')\n");
        return 2;
    }
    long n = parse_whole("new N", argv[1], 1, exercise_count());
    if (n < 0) return 2;
    char out[4200], err[512];
    if (exercise_new((int)n, argv[2], out, sizeof out, err, sizeof err) != RESLAB_OK) {
        fprintf(stderr, "reslab exercise new: %s\n", err);
        return 2;
    }
    printf("wrote %s: write the backward pass where it says TODO, then\n"
           "  reslab exercise check %s\n", out, out);
    return 0;
}

/* Prints text indented, wrapped at about 92 columns. */
static void print_wrapped(const char *text, int indent)
{
    int at = 0;
    for (const char *p = text; *p;) {
        p += strspn(p, " ");
        size_t w = strcspn(p, " ");
        if (!w) break;
        if (at && at + 1 + (int)w > 92) putchar('\n'), at = 0;
        at += at ? printf(" ") : printf("%*s", indent, "");
        at += printf("%.*s", (int)w, p);
        p += w;
    }
    putchar('\n');
}

/* Prints the program's output, each line prefixed, at most 30 lines. */
static void print_output(const char *what, const char *text, int truncated)
{
    if (!text || !*text) return;
    printf("%s\n", what);
    int lines = 0;
    for (const char *p = text; *p && lines < 30; lines++) {
        size_t w = strcspn(p, "\n");
        printf("  | %.*s\n", (int)w, p);
        p += w + (p[w] == '\n');
    }
    if (truncated || lines == 30) printf("  | ... (more left out)\n");
}

static void print_case_row(const Colour *c, const char *label, GradeVerdict v, const GradeCase *gc,
                           int cols, int k)
{
    int numbers = gc && v != GRADE_NOT_IMPLEMENTED && (gc->r.checked || gc->at_kink);
    printf("  %-14s %s%-*s%s", label, col(c, verdict_colour(v)), numbers ? 15 : 0,
           grade_verdict_name(v), col(c, "\033[0m"));
    if (!numbers) {
        printf("\n");
        return;
    }
    char idx[32];
    snprintf(idx, sizeof idx, "(%zu, %zu)", gc->r.worst_index / cols, gc->r.worst_index % cols);
    printf(" %10.3e  %4d  %-9s % .9e  % .9e%s\n", gc->r.worst_rel, k + 1, idx, gc->r.worst_analytic,
           gc->r.worst_numeric, gc->at_kink ? "  (a kink: reslab's value)" : "");
}

static void print_table(const Colour *c, const ExerciseReport *rep, int verbose)
{
    const Grade *g = &rep->grade;
    printf("  %-14s %-15s %10s  %4s  %-9s %16s  %16s\n", "tensor", "verdict", "worst rel", "case",
           "index", "yours", "numeric");
    for (int i = 0; i < g->ntensors; i++) {
        const GradeTensor *t = &g->t[i];
        const GradeCase *worst = t->worst_case >= 0 ? &t->cases[t->worst_case] : NULL;
        print_case_row(c, t->name, t->verdict, worst, t->cols, t->worst_case);
        for (int k = 0; verbose && k < rep->ncases; k++) {
            char label[32];
            snprintf(label, sizeof label, "  case %d", k + 1);
            const GradeCase *gc = &t->cases[k];
            print_case_row(c, label, gc->run ? gc->verdict : GRADE_NOT_CHECKED, gc->run ? gc : NULL,
                           t->cols, k);
        }
    }
}

static void print_hints(const ExerciseReport *rep)
{
    const Grade *g = &rep->grade;
    for (int m = 1; m < MISTAKE_COUNT; m++) {
        if (!(g->hints & (1u << m))) continue;
        char names[256] = "";
        for (int i = 0; i < g->ntensors; i++)
            if (g->t[i].hints & (1u << m) && strlen(names) + strlen(g->t[i].name) + 3 < sizeof names)
                strcat(strcat(names, names[0] ? ", " : ""), g->t[i].name);
        printf("hint (%s: %s):\n", mistake_name((Mistake)m), names);
        print_wrapped(mistake_hint((Mistake)m), 2);
    }
}

static int report(const Colour *c, const char *file, const ExerciseOptions *o,
                  const ExerciseReport *rep, int verbose)
{
    const ExerciseDef *d = rep->def;
    if (!rep->compiled) {
        if (rep->compile_log) fputs(rep->compile_log, stderr);
        fprintf(stderr, "reslab exercise check: %s does not compile (the compiler's messages are above)\n", file);
        if (rep->compile_log && strstr(rep->compile_log, "undefined reference"))
            fprintf(stderr, "  (exercise %d needs %s() and the given forward, with their names and "
                    "arguments unchanged; is this the right exercise?)\n", d->number, d->function);
        return 2;
    }
    printf("%sexercise %d: %s%s   (%s in %s)\n", col(c, "\033[1m"), d->number, d->title,
           col(c, "\033[0m"), d->function, file);
    printf("%d cases, seed %lu:", rep->ncases, o->seed);
    for (int k = 0; k < rep->ncases; k++) printf("%s %s", k ? " |" : "", rep->shapes[k]);
    printf("\n");
    if (rep->compile_log && *rep->compile_log) print_output("compiler warnings:", rep->compile_log, 0);
    if (!rep->ran_ok) {
        printf("%sthe program stopped: %s%s\n", col(c, "\033[31m"), rep->run_msg, col(c, "\033[0m"));
        if (rep->run.timed_out || rep->run.signal)
            printf("  (limits: %.0f s of CPU time, %zu MiB of memory; the grader is unharmed)\n",
                   rep->limits.cpu_seconds, rep->limits.address_space >> 20);
    }
    print_output(rep->ran_ok ? "your program printed:" : "its output:", rep->program_output,
                 rep->output_truncated);
    if (rep->grade.forward_changed)
        printf("%sthe forward pass was changed: %s%s\n  (the check differentiates reslab's forward: "
               "restore the given one)\n", col(c, "\033[31m"), rep->grade.forward_msg, col(c, "\033[0m"));
    print_table(c, rep, verbose);
    if (rep->grade.todo)
        printf("%s still calls not_implemented(): write the backward pass, then delete that call.\n",
               d->function);
    print_hints(rep);
    const Grade *g = &rep->grade;
    int all = g->passed == g->ntensors && rep->ran_ok && !g->forward_changed;
    printf("%s%d of %d tensors pass%s\n", col(c, all ? "\033[1;32m" : "\033[1;31m"), g->passed,
           g->ntensors, col(c, "\033[0m"));
    return all ? 0 : 1;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option longs[] = {
        {"seed", required_argument, NULL, 's'}, {"verbose", no_argument, NULL, 'v'},
        {"time-limit", required_argument, NULL, 't'}, {"memory-limit", required_argument, NULL, 'm'},
        {"exercise", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ExerciseOptions o = exercise_options_default();
    int verbose = 0, ch;
    long v;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
        switch (ch) {
        case 's': if ((v = parse_whole("--seed", optarg, 0, 2147483647L)) < 0) return 2;
                  o.seed = (unsigned long)v; break;
        case 't': if ((v = parse_whole("--time-limit", optarg, 1, 3600)) < 0) return 2;
                  o.time_limit = (double)v; break;
        case 'm': if ((v = parse_whole("--memory-limit", optarg, 64, 1 << 20)) < 0) return 2;
                  o.memory_limit = (size_t)v << 20; break;
        case 'e': if ((v = parse_whole("--exercise", optarg, 1, exercise_count())) < 0) return 2;
                  o.number = (int)v; break;
        case 'v': verbose = 1; break;
        case 'h': exercise_usage(stdout); return 0;
        case ':': fprintf(stderr, "reslab exercise check: %s needs a value\n", argv[optind - 1]); return 2;
        default: fprintf(stderr, "reslab exercise check: unknown option '%s' (see 'reslab exercise --help')\n",
                         argv[optind - 1]); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "reslab exercise check: expected one FILE, got %d\n", argc - optind);
        return 2;
    }
    const char *file = argv[optind];
    ExerciseReport rep;
    char err[1024];
    int rc = exercise_check(file, &o, &rep, err, sizeof err);
    if (rc) {
        fprintf(stderr, "reslab exercise check: %s\n", err);
        exercise_report_free(&rep);
        return 2;
    }
    Colour c = {isatty(STDOUT_FILENO) && !getenv("NO_COLOR")};
    rc = report(&c, file, &o, &rep, verbose);
    exercise_report_free(&rep);
    return rc;
}

int cmd_exercise(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        exercise_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "list") == 0) {
        if (argc != 2) {
            fprintf(stderr, "reslab exercise list: takes no arguments\n");
            return 2;
        }
        return cmd_list();
    }
    if (strcmp(argv[1], "check") == 0) return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "new") == 0) return cmd_new(argc - 1, argv + 1);
    fprintf(stderr, "reslab exercise: unknown subcommand '%s' (list, check or new)\n", argv[1]);
    return 2;
}
