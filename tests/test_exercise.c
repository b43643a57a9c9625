/* test_exercise.c: the exercise grader as a student meets it. Claims: every mistake an exercise
 * lists is recognised when reslab's own backward makes it, and the right backward gets no hint
 * (no compiler needed); every reference solution passes every tensor; every untouched skeleton
 * fails cleanly with "not implemented"; each planted classic mistake (tests/exercises/) fails
 * with its own hint; a crash, an infinite loop and a huge allocation are reported with their
 * signal and the test process survives; a file that does not compile shows the compiler's
 * file:line; a changed forward pass and an all-zero gradient never pass; the same seed gives
 * the same bytes; `reslab exercise` exits 0 / 1 / 2 as documented and prints no colour when
 * piped; `new` never overwrites. Without a C compiler ($CC or cc) only the first claim is
 * tested (it says so). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "check.h"
#include "exercise.h"
#include "status.h"

typedef struct {
    const char *lessons;     /* lessons/exercises */
    const char *planted;     /* tests/exercises */
    const char *tmp;         /* a scratch folder */
    const char *reslab;      /* the program, or NULL */
} Dirs;

static const char *path_in(char *buf, size_t n, const char *dir, const char *sub, const char *file)
{
    snprintf(buf, n, "%s/%s%s%s", dir, sub, *sub ? "/" : "", file);
    return buf;
}

/* Grades a file; returns the status of exercise_check (the report is left in rep). */
static int grade(const char *file, double time_limit, ExerciseReport *rep)
{
    ExerciseOptions o = exercise_options_default();
    o.time_limit = time_limit;
    char err[1024];
    int rc = exercise_check(file, &o, rep, err, sizeof err);
    if (rc) printf("       exercise_check(%s): %s\n", file, err);
    return rc;
}

static void test_every_solution_passes(Check *c, const Dirs *d)
{
    for (int n = 1; n <= exercise_count(); n++) {
        char f[4200];
        ExerciseReport rep;
        int rc = grade(path_in(f, sizeof f, d->lessons, "solutions", exercise_get(n)->file), 10, &rep);
        check_true(c, rc == 0 && rep.compiled && rep.ran_ok && !rep.grade.todo && rep.grade.hints == 0 &&
                   rep.grade.passed == rep.grade.ntensors && rep.grade.ntensors > 0,
                   "solution %d (%s): %d of %d tensors pass, no hint", n, exercise_get(n)->file,
                   rep.grade.passed, rep.grade.ntensors);
        exercise_report_free(&rep);
    }
}

static void test_every_skeleton_is_not_implemented(Check *c, const Dirs *d)
{
    for (int n = 1; n <= exercise_count(); n++) {
        char f[4200];
        ExerciseReport rep;
        int rc = grade(path_in(f, sizeof f, d->lessons, "", exercise_get(n)->file), 10, &rep);
        int all = rep.grade.ntensors > 0;
        for (int i = 0; i < rep.grade.ntensors; i++) all &= rep.grade.t[i].verdict == GRADE_NOT_IMPLEMENTED;
        check_true(c, rc == 0 && rep.compiled && rep.ran_ok && rep.grade.todo && all &&
                   rep.grade.passed == 0 && rep.grade.hints == 0,
                   "skeleton %d compiles, runs, and every one of its %d tensors is 'not implemented'",
                   n, rep.grade.ntensors);
        exercise_report_free(&rep);
    }
}

/* The tensor named `tensor` is wrong and carries the hint for `m`; the others are unaffected. */
static void expect_hint(Check *c, const Dirs *d, const char *file, const char *tensor, Mistake m)
{
    char f[4200];
    ExerciseReport rep;
    int rc = grade(path_in(f, sizeof f, d->planted, "", file), 10, &rep);
    int found = 0, others_clean = 1;
    for (int i = 0; i < rep.grade.ntensors; i++) {
        const GradeTensor *t = &rep.grade.t[i];
        if (strcmp(t->name, tensor) == 0)
            found = t->verdict == GRADE_WRONG && (t->hints & (1u << m));
        else
            others_clean &= t->hints == 0;
    }
    check_true(c, rc == 0 && rep.compiled && found && others_clean && rep.grade.passed < rep.grade.ntensors,
               "%s: %s is wrong with the hint '%s' (and no other tensor has a hint)", file, tensor,
               mistake_name(m));
    exercise_report_free(&rep);
}

static void test_planted_mistakes_get_their_hint(Check *c, const Dirs *d)
{
    expect_hint(c, d, "03-residual-missing.c", "dX", MISTAKE_SHORTCUT_MISSING);
    expect_hint(c, d, "03-residual-overwrite.c", "dX", MISTAKE_SHORTCUT_OVERWRITES);
    expect_hint(c, d, "01-relu-output.c", "dZ", MISTAKE_RELU_NO_MASK);
    expect_hint(c, d, "01-relu-ge.c", "dZ", MISTAKE_RELU_GE);
    expect_hint(c, d, "02-dense-bias.c", "db", MISTAKE_BIAS_LAST_ROW);
    expect_hint(c, d, "06-softmax-twice.c", "dZ", MISTAKE_BATCH_TWICE);
    /* transposed: right in the square cases' shape, then AT() stops it in the first
     * non-square one (SIGABRT, with the file:line of the bad index) */
    char f[4200];
    ExerciseReport rep;
    grade(path_in(f, sizeof f, d->planted, "", "02-dense-transposed.c"), 10, &rep);
    int dw = 0;
    for (int i = 0; i < rep.grade.ntensors; i++)
        if (strcmp(rep.grade.t[i].name, "dW") == 0) dw = rep.grade.t[i].hints & (1u << MISTAKE_WEIGHT_TRANSPOSED);
    check_true(c, dw && !rep.ran_ok && rep.run.signal == SIGABRT && rep.program_output &&
               strstr(rep.program_output, "02-dense-transposed.c:") && strstr(rep.program_output, "out of range"),
               "02-dense-transposed.c: dW gets the 'transposed' hint; AT() stops the non-square case: %s",
               rep.run_msg);
    exercise_report_free(&rep);
}

/* Grades reslab's own backward with mistake m built in, as if a student had written it. */
static void grade_imitation(const ExerciseDef *d, Mistake m, unsigned long seed, Grade *g)
{
    Excase cases[GRADE_MAX_CASES];
    memset(cases, 0, sizeof cases);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    char err[512];
    for (int k = 0; k < d->ncases; k++) {
        Excase *c = &cases[k];
        if (grade_draw_case(d, c, k, rng, err, sizeof err)) printf("       %s\n", err);
        double *out[EXCASE_MAX] = {0};
        for (int i = 0; i < c->count; i++) {
            if (c->a[i].role == EXCASE_FORWARD)
                memcpy(c->a[i].value, c->a[i].ref, sizeof(double) * c->a[i].rows * c->a[i].cols);
            if (c->a[i].role == EXCASE_GRAD) out[i] = c->a[i].value;   /* zeroed by excase_add */
        }
        d->backward(c, m, out);
        c->done = 1;
    }
    grade_init(g, d, &cases[0], d->ncases);
    for (int k = 0; k < d->ncases; k++) grade_case(g, &cases[k], k, err, sizeof err);
    grade_finish(g);
    for (int k = 0; k < d->ncases; k++) excase_free(&cases[k]);
    gsl_rng_free(rng);
}

/* Without a compiler: every mistake an exercise lists is recognised when it is made, on two
 * seeds, and reslab's right backward passes with no hint. */
static void test_every_listed_mistake_is_recognised(Check *c)
{
    static Grade g;
    for (int n = 1; n <= exercise_count(); n++) {
        const ExerciseDef *d = exercise_get(n);
        grade_imitation(d, MISTAKE_NONE, 1, &g);
        check_true(c, g.passed == g.ntensors && g.hints == 0,
                   "exercise %d: reslab's own backward, graded as a student's: %d of %d pass, no hint",
                   n, g.passed, g.ntensors);
        for (const Mistake *m = d->mistakes; *m != MISTAKE_NONE; m++) {
            int ok = 1;
            for (unsigned long seed = 1; seed <= 2; seed++) {
                grade_imitation(d, *m, seed, &g);
                ok &= (g.hints & (1u << *m)) && g.passed < g.ntensors;
            }
            check_true(c, ok, "exercise %d: the imitated mistake '%s' fails and gets its hint (seeds 1, 2)",
                       n, mistake_name(*m));
        }
    }
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void test_crash_loop_and_huge_allocation_are_reported(Check *c, const Dirs *d)
{
    char f[4200];
    ExerciseReport rep;
    int rc = grade(path_in(f, sizeof f, d->planted, "", "crash.c"), 10, &rep);
    check_true(c, rc == 0 && rep.compiled && !rep.ran_ok && rep.run.signal == SIGSEGV &&
               strstr(rep.run_msg, "SIGSEGV") && rep.grade.passed == 0,
               "crash.c is reported as '%s', and this process lives on", rep.run_msg);
    exercise_report_free(&rep);

    /* 2 s of CPU, then SIGXCPU; the wall clock would kill it at 2 * 2 + 2 = 6 s. 8 s leaves
     * 2 s for the compile on a loaded machine; without the limit it would never return. */
    double t0 = seconds();
    rc = grade(path_in(f, sizeof f, d->planted, "", "loop.c"), 2, &rep);
    double took = seconds() - t0;
    check_true(c, rc == 0 && !rep.ran_ok && (rep.run.signal == SIGXCPU || rep.run.timed_out) &&
               took < 8.0 && rep.grade.passed == 0,
               "loop.c is stopped by the 2 s limit in %.1f s (< 8 s with the compile): '%s'", took,
               rep.run_msg);
    exercise_report_free(&rep);

    rc = grade(path_in(f, sizeof f, d->planted, "", "alloc.c"), 10, &rep);
    check_true(c, rc == 0 && !rep.ran_ok && rep.run.signal != 0 && rep.grade.passed == 0,
               "alloc.c (4 GiB under a 1 GiB limit) is reported: '%s'", rep.run_msg);
    exercise_report_free(&rep);
}

static void test_compile_errors_and_changed_forward(Check *c, const Dirs *d)
{
    char f[4200];
    ExerciseReport rep;
    int rc = grade(path_in(f, sizeof f, d->planted, "", "syntax.c"), 10, &rep);
    check_true(c, rc == 0 && !rep.compiled && rep.compile_log && strstr(rep.compile_log, "syntax.c:19") &&
               strstr(rep.compile_log, "error"),
               "syntax.c does not compile, and the compiler's message names syntax.c:19");
    exercise_report_free(&rep);

    rc = grade(path_in(f, sizeof f, d->planted, "", "03-residual-forward.c"), 10, &rep);
    check_true(c, rc == 0 && rep.ran_ok && rep.grade.forward_changed && rep.grade.passed == 0 &&
               strstr(rep.grade.forward_msg, "Y("),
               "a changed forward pass is caught, none of its gradients pass: %s", rep.grade.forward_msg);
    exercise_report_free(&rep);
}

/* A backward that returns without touching dZ (and without not_implemented()). */
static void test_all_zero_gradient_never_passes(Check *c, const Dirs *d)
{
    char src[4200], dst[4200];
    path_in(src, sizeof src, d->lessons, "", "06-softmax.c");
    path_in(dst, sizeof dst, d->tmp, "", "06-softmax-empty.c");
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char line[1024];
    while (in && out && fgets(line, sizeof line, in))
        if (!strstr(line, "not_implemented();")) fputs(line, out);
    if (in) fclose(in);
    if (out) fclose(out);
    ExerciseReport rep;
    int rc = grade(dst, 10, &rep);
    check_true(c, rc == 0 && rep.ran_ok && !rep.grade.todo && rep.grade.ntensors == 1 &&
               rep.grade.t[0].verdict == GRADE_NOT_IMPLEMENTED,
               "an untouched (all-zero) dZ without the marker is 'not implemented', never correct");
    exercise_report_free(&rep);
}

static void test_identify(Check *c, const Dirs *d)
{
    char f[4200], err[512];
    int n = 0;
    int rc = exercise_identify(path_in(f, sizeof f, d->planted, "", "crash.c"), &n, err, sizeof err);
    check_true(c, rc == 0 && n == 1, "crash.c is exercise 1 by its 'reslab exercise 1' line");
    path_in(f, sizeof f, d->tmp, "", "5-anything.c");
    FILE *w = fopen(f, "w");
    if (w) fputs("int x;\n", w), fclose(w);
    rc = exercise_identify(f, &n, err, sizeof err);
    check_true(c, rc == 0 && n == 5, "5-anything.c is exercise 5 by its name");
    path_in(f, sizeof f, d->tmp, "", "mine.c");
    if ((w = fopen(f, "w"))) fputs("int x;\n", w), fclose(w);
    rc = exercise_identify(f, &n, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_INVALID && strstr(err, "--exercise"),
               "mine.c: no way to tell, and the message says --exercise N: %s", err);
}

static void test_sandbox(Check *c)
{
    SandboxLimits lim = sandbox_limits_default();
    SandboxResult r;
    char err[512];
    char *segv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    int rc = sandbox_run(segv, &lim, &r, err, sizeof err);
    check_true(c, rc == 0 && r.signal == SIGSEGV && !sandbox_ok(&r), "a child killed by SIGSEGV is reported as %s",
               sandbox_signal_name(r.signal));
    lim.wall_seconds = 0.3;
    char *sleeper[] = {"sleep", "30", NULL};
    double t0 = seconds();
    rc = sandbox_run(sleeper, &lim, &r, err, sizeof err);
    check_true(c, rc == 0 && r.timed_out && seconds() - t0 < 5.0,
               "a sleeping child (no CPU used) is killed by the wall clock in %.2f s", seconds() - t0);
    char *missing[] = {"reslab-no-such-program", NULL};
    rc = sandbox_run(missing, &lim, &r, err, sizeof err);
    check_true(c, rc == RESLAB_ERR_IO && strstr(err, "reslab-no-such-program"),
               "a program that does not exist: an error naming it: %s", err);
}

typedef struct {
    int status;
    char out[65536], err[8192];
} Run;

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = '\0';
    if (f) fclose(f);
}

static void run(const Dirs *d, Run *r, const char *args)
{
    char cmd[20000], o[4200], e[4200];
    path_in(o, sizeof o, d->tmp, "", "ex_out.txt");
    path_in(e, sizeof e, d->tmp, "", "ex_err.txt");
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", d->reslab, args, o, e);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(o, r->out, sizeof r->out);
    slurp(e, r->err, sizeof r->err);
}

static void test_cli(Check *c, const Dirs *d)
{
    static Run a, b;
    char args[8192];
    snprintf(args, sizeof args, "exercise check --seed 5 %s/solutions/02-dense.c", d->lessons);
    run(d, &a, args);
    run(d, &b, args);
    check_true(c, a.status == 0 && strstr(a.out, "3 of 3 tensors pass") && !strchr(a.out, '\033') &&
               strcmp(a.out, b.out) == 0,
               "check on a solution: exit 0, '3 of 3 tensors pass', no colour when piped, the same "
               "bytes twice with --seed 5");
    snprintf(args, sizeof args, "exercise check %s/03-residual-missing.c", d->planted);
    run(d, &a, args);
    check_true(c, a.status == 1 && strstr(a.out, "4 of 5 tensors pass") && strstr(a.out, "hint"),
               "check on a planted bug: exit 1, '4 of 5 tensors pass', a hint");
    snprintf(args, sizeof args, "exercise check %s/syntax.c", d->planted);
    run(d, &a, args);
    check_true(c, a.status == 2 && strstr(a.err, "syntax.c:19") && strstr(a.err, "does not compile"),
               "check on a file that does not compile: exit 2, the compiler's syntax.c:19 on stderr");
    run(d, &a, "exercise check --seed x nothing.c");
    size_t lines = 0;
    for (const char *p = a.err; *p; p++) lines += *p == '\n';
    check_true(c, a.status == 2 && strstr(a.err, "--seed") && lines == 1,
               "a bad --seed: exit 2, one line naming --seed");
    run(d, &a, "exercise check no-such-file.c");
    check_true(c, a.status == 2 && strstr(a.err, "no-such-file.c"), "a missing file: exit 2, named");
    run(d, &a, "exercise list");
    check_true(c, a.status == 0 && strstr(a.out, "07-net.c") && strstr(a.out, "01-relu.c"),
               "list names all seven files");
    char dir[4200], made[4200], skel[4200];
    path_in(dir, sizeof dir, d->tmp, "", "student");
    path_in(made, sizeof made, dir, "", "03-residual.c");
    unlink(made);
    snprintf(args, sizeof args, "exercise new 3 %s", dir);
    run(d, &a, args);
    static char x[65536], y[65536];
    slurp(made, x, sizeof x);
    slurp(path_in(skel, sizeof skel, d->lessons, "", "03-residual.c"), y, sizeof y);
    int copied = a.status == 0 && strcmp(x, y) == 0 && x[0];
    FILE *f = fopen(made, "a");
    if (f) fputs("/* the student's work */\n", f), fclose(f);
    run(d, &b, args);
    slurp(made, y, sizeof y);
    check_true(c, copied && b.status == 2 && strstr(b.err, "not overwritten") && strstr(y, "student's work"),
               "new 3 DIR copies the skeleton; a second time it refuses (exit 2) and keeps the work");
}

int main(void)
{
    Check c = {0, 0};
    Dirs d = {getenv("RESLAB_EXERCISES_DIR"), getenv("RESLAB_TEST_EXERCISES"),
              getenv("TEST_BUILD_DIR") ? getenv("TEST_BUILD_DIR") : "/tmp", getenv("RESLAB_EXE")};
    if (!d.lessons || !d.planted) {
        printf("SKIP: RESLAB_EXERCISES_DIR or RESLAB_TEST_EXERCISES is not set\n");
        return 77;
    }
    test_every_listed_mistake_is_recognised(&c);
    SandboxLimits lim = sandbox_limits_default();
    SandboxResult r;
    char err[512], *ccv[] = {getenv("CC") && *getenv("CC") ? getenv("CC") : "cc", "--version", NULL};
    if (sandbox_run(ccv, &lim, &r, err, sizeof err) != 0 || !sandbox_ok(&r)) {
        printf("(no C compiler (%s): the checks that compile exercises are left out)\n", ccv[0]);
        return check_done(&c);
    }
    test_sandbox(&c);
    test_identify(&c, &d);
    test_every_solution_passes(&c, &d);
    test_every_skeleton_is_not_implemented(&c, &d);
    test_planted_mistakes_get_their_hint(&c, &d);
    test_crash_loop_and_huge_allocation_are_reported(&c, &d);
    test_compile_errors_and_changed_forward(&c, &d);
    test_all_zero_gradient_never_passes(&c, &d);
    if (d.reslab) test_cli(&c, &d);
    else printf("(RESLAB_EXE not set: the command-line checks are left out)\n");
    return check_done(&c);
}
