/* exercise.c: the list of exercises, and `check` and `new` (see exercise.h): finds the files,
 * compiles the student's file with the harness, runs it in a sandbox, grades the results.
 * Dimensions: see exdef.h. */
#define _GNU_SOURCE
#include "exercise.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

#ifndef EXERCISE_SRC_DIR             /* set by src/exercise/meson.build */
#define EXERCISE_SRC_DIR "."
#define EXERCISE_INSTALL_DIR "."
#define EXERCISES_SRC_DIR "."
#define EXERCISES_INSTALL_DIR "."
#endif

static const ExerciseDef *const all[] = {&exdef_relu, &exdef_linear, &exdef_residual,
                                         &exdef_projection, &exdef_preact, &exdef_softmax,
                                         &exdef_net};
#define NEXERCISES ((int)(sizeof all / sizeof all[0]))

int exercise_count(void) { return NEXERCISES; }

const ExerciseDef *exercise_get(int n) { return n >= 1 && n <= NEXERCISES ? all[n - 1] : NULL; }

ExerciseOptions exercise_options_default(void)
{
    ExerciseOptions o = {.seed = 1, .time_limit = 10.0, .memory_limit = (size_t)1 << 30,
                         .number = 0, .cc = NULL};
    return o;
}

/* The first of $env, the installed folder, the source folder that holds `probe`; NULL if none. */
static const char *find_dir(const char *env, const char *installed, const char *source,
                            const char *probe)
{
    const char *cand[3] = {getenv(env), installed, source};
    char path[4096];
    for (int i = 0; i < 3; i++) {
        if (!cand[i] || !*cand[i]) continue;
        snprintf(path, sizeof path, "%s/%s", cand[i], probe);
        if (access(path, R_OK) == 0) return cand[i];
        if (i == 0) return NULL;               /* an explicit setting that is wrong: say so */
    }
    return NULL;
}

int exercise_identify(const char *path, int *number, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return status_set(err, errlen, RESLAB_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    char head[4097];
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    for (size_t i = 0; i < n; i++) if (head[i] == '\0') head[i] = ' ';
    const char *tag = strstr(head, "reslab exercise ");
    if (tag && isdigit((unsigned char)tag[16])) {
        *number = atoi(tag + 16);
        return RESLAB_OK;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (isdigit((unsigned char)base[0])) {
        *number = atoi(base);
        return RESLAB_OK;
    }
    return status_set(err, errlen, RESLAB_ERR_INVALID,
                      "%s: cannot tell which exercise this is (no 'reslab exercise N' line near "
                      "the top, no number at the start of the name): add --exercise N", path);
}

/* Splits a compiler command ("ccache gcc") into argv; returns the count. */
static int split_words(char *s, char **argv, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t")) argv[n++] = tok;
    return n;
}

typedef struct {
    char dir[4096];
    char input[4200], output[4200], prog[4200], cclog[4200], runlog[4200];
} Paths;

static int compile(const ExerciseOptions *o, const char *file, const char *inc, const char *lib,
                   const Paths *p, int number, ExerciseReport *rep, char *err, size_t errlen)
{
    char cmd[512], incflag[4200], harness[4200], numflag[64], fileref[4200], *argv[48];
    const char *cc = o->cc ? o->cc : getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    snprintf(cmd, sizeof cmd, "%s", cc);
    int n = split_words(cmd, argv, 16);
    if (n == 0) return status_set(err, errlen, RESLAB_ERR_INVALID, "the compiler command ($CC) is empty");
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    snprintf(harness, sizeof harness, "%s/exercise_harness.c", lib);
    snprintf(numflag, sizeof numflag, "-DEXERCISE_NUMBER=%d", number);
    snprintf(fileref, sizeof fileref, "%s%s", file[0] == '-' ? "./" : "", file);
    const char *rest[] = {"-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter",
                          incflag, numflag, "-x", "c", fileref, harness, "-lm", "-o", p->prog};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) argv[n++] = (char *)rest[i];
    argv[n] = NULL;
    SandboxLimits lim = {.cpu_seconds = 120, .wall_seconds = 240, .address_space = 0,
                         .file_size = (size_t)64 << 20, .output = p->cclog};
    SandboxResult r;
    int rc = sandbox_run(argv, &lim, &r, err, errlen);
    if (rc) return rc;
    int trunc;
    rep->compile_log = sandbox_read_text(p->cclog, 16384, &trunc);
    rep->compiled = sandbox_ok(&r);
    return RESLAB_OK;
}

/* Runs the compiled program on the cases and records how it ended. */
static int run(const ExerciseOptions *o, const Paths *p, ExerciseReport *rep, Excase *cases,
               char *err, size_t errlen)
{
    char *argv[] = {(char *)p->prog, (char *)p->input, (char *)p->output, NULL};
    rep->limits = (SandboxLimits){.cpu_seconds = o->time_limit,
                                  .wall_seconds = 2.0 * o->time_limit + 2.0,
                                  .address_space = o->memory_limit,
                                  .file_size = (size_t)64 << 20, .output = p->runlog};
    int rc = sandbox_run(argv, &rep->limits, &rep->run, err, errlen);
    if (rc) return rc;
    rep->program_output = sandbox_read_text(p->runlog, 8192, &rep->output_truncated);
    rep->cases_done = excase_read(p->output, cases, rep->ncases);
    rep->ran_ok = sandbox_ok(&rep->run) && rep->cases_done == rep->ncases;
    if (rep->ran_ok) return RESLAB_OK;
    char how[200];
    sandbox_describe(&rep->run, &rep->limits, how, sizeof how);
    if (rep->cases_done < rep->ncases)
        snprintf(rep->run_msg, sizeof rep->run_msg, "%s in case %d of %d (%s)", how,
                 rep->cases_done + 1, rep->ncases, cases[rep->cases_done].shape);
    else
        snprintf(rep->run_msg, sizeof rep->run_msg, "%s after the last case", how);
    return RESLAB_OK;
}

static int check_limits(const ExerciseOptions *o, char *err, size_t errlen)
{
    if (!(o->time_limit >= 1.0 && o->time_limit <= 3600.0))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "the time limit must be 1 to 3600 s");
    if (o->memory_limit < ((size_t)64 << 20))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "the memory limit must be at least 64 MiB");
    return RESLAB_OK;
}

/* Draws every case (cases must hold def->ncases zeroed Excases). */
static int draw_cases(const ExerciseDef *d, unsigned long seed, Excase *cases, ExerciseReport *rep,
                      char *err, size_t errlen)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the generator");
    gsl_rng_set(rng, seed);
    int rc = RESLAB_OK;
    for (int k = 0; k < d->ncases && !rc; k++) {
        rc = grade_draw_case(d, &cases[k], k, rng, err, errlen);
        snprintf(rep->shapes[k], sizeof rep->shapes[k], "%s", cases[k].shape);
    }
    gsl_rng_free(rng);
    return rc;
}

/* The folder holding `probe` (find_dir's order), or an error naming where it looked. */
static int locate_one(const char *env, const char *probe, const char **dir, char *err, size_t errlen)
{
    *dir = find_dir(env, EXERCISE_INSTALL_DIR, EXERCISE_SRC_DIR, probe);
    if (*dir) return RESLAB_OK;
    const char *set = getenv(env);
    if (set && *set)
        return status_set(err, errlen, RESLAB_ERR_IO, "$%s is %s, which has no %s", env, set, probe);
    return status_set(err, errlen, RESLAB_ERR_IO, "cannot find %s (in $%s, %s or %s)", probe, env,
                      EXERCISE_INSTALL_DIR, EXERCISE_SRC_DIR);
}

static int locate(const char **inc, const char **lib, char *err, size_t errlen)
{
    int rc = locate_one("RESLAB_EXERCISE_INCLUDE", "reslab_exercise.h", inc, err, errlen);
    return rc ? rc : locate_one("RESLAB_EXERCISE_LIB", "exercise_harness.c", lib, err, errlen);
}

/* Compiles, runs and grades, in the temporary directory p->dir. */
static int check_in(const char *path, const ExerciseOptions *o, ExerciseReport *rep, Excase *cases,
                    const Paths *p, char *err, size_t errlen)
{
    const char *inc, *lib;
    int rc = locate(&inc, &lib, err, errlen);
    if (!rc) rc = excase_write(p->input, rep->def->number, cases, rep->ncases, err, errlen);
    if (!rc) rc = compile(o, path, inc, lib, p, rep->def->number, rep, err, errlen);
    if (rc || !rep->compiled) return rc;
    rc = run(o, p, rep, cases, err, errlen);
    for (int k = 0; k < rep->ncases && !rc; k++) rc = grade_case(&rep->grade, &cases[k], k, err, errlen);
    grade_finish(&rep->grade);
    return rc;
}

int exercise_check(const char *path, const ExerciseOptions *o, ExerciseReport *rep, char *err,
                   size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    int number = o->number, rc = check_limits(o, err, errlen);
    if (rc) return rc;
    if (access(path, R_OK) != 0)
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    if (!number && (rc = exercise_identify(path, &number, err, errlen))) return rc;
    if (!(rep->def = exercise_get(number)))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: there is no exercise %d (1 to %d)",
                          path, number, NEXERCISES);
    rep->ncases = rep->def->ncases;
    Excase *cases = calloc((size_t)rep->ncases, sizeof *cases);
    Paths *p = calloc(1, sizeof *p);
    if (!cases || !p) {
        free(cases);
        free(p);
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "no memory for the cases");
    }
    rc = draw_cases(rep->def, o->seed, cases, rep, err, errlen);
    if (!rc) grade_init(&rep->grade, rep->def, &cases[0], rep->ncases);
    if (!rc) rc = sandbox_tempdir(p->dir, sizeof p->dir, err, errlen);
    if (!rc) {
        snprintf(p->input, sizeof p->input, "%s/cases.bin", p->dir);
        snprintf(p->output, sizeof p->output, "%s/results.bin", p->dir);
        snprintf(p->prog, sizeof p->prog, "%s/exercise", p->dir);
        snprintf(p->cclog, sizeof p->cclog, "%s/cc.log", p->dir);
        snprintf(p->runlog, sizeof p->runlog, "%s/run.log", p->dir);
        rc = check_in(path, o, rep, cases, p, err, errlen);
        sandbox_remove_dir(p->dir);
    }
    for (int k = 0; k < rep->ncases; k++) excase_free(&cases[k]);
    free(cases);
    free(p);
    return rc;
}

void exercise_report_free(ExerciseReport *rep)
{
    free(rep->compile_log);
    free(rep->program_output);
    rep->compile_log = rep->program_output = NULL;
}

int exercise_skeleton_path(int n, char *out, size_t len, char *err, size_t errlen)
{
    const ExerciseDef *d = exercise_get(n);
    if (!d) return status_set(err, errlen, RESLAB_ERR_INVALID, "there is no exercise %d (1 to %d)", n, NEXERCISES);
    const char *dir = find_dir("RESLAB_EXERCISES_DIR", EXERCISES_INSTALL_DIR, EXERCISES_SRC_DIR, d->file);
    const char *set = getenv("RESLAB_EXERCISES_DIR");
    if (!dir && set && *set)
        return status_set(err, errlen, RESLAB_ERR_IO, "$RESLAB_EXERCISES_DIR is %s, which has no %s",
                          set, d->file);
    if (!dir)
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot find %s (in $RESLAB_EXERCISES_DIR, %s "
                          "or %s)", d->file, EXERCISES_INSTALL_DIR, EXERCISES_SRC_DIR);
    if ((size_t)snprintf(out, len, "%s/%s", dir, d->file) >= len)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "the path of %s is too long", d->file);
    return RESLAB_OK;
}

/* Writes text (n bytes) to a temporary file in dir and links it to dest, which must not exist. */
static int write_new(const char *dir, const char *dest, const char *text, size_t n, char *err,
                     size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/.reslab-new-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0) return status_set(err, errlen, RESLAB_ERR_IO, "cannot write in %s: %s", dir, strerror(errno));
    FILE *f = fdopen(fd, "wb");
    int ok = f && fwrite(text, 1, n, f) == n;
    if (f ? fclose(f) != 0 : close(fd) != 0) ok = 0;
    if (ok && link(tmp, dest) != 0) {
        if (errno == EEXIST) ok = -1;
        else if (access(dest, F_OK) == 0) ok = -1;          /* no hard links here: check, rename */
        else ok = rename(tmp, dest) == 0;
    }
    unlink(tmp);
    if (ok == -1) return status_set(err, errlen, RESLAB_ERR_IO, "%s already exists: not overwritten", dest);
    return ok ? RESLAB_OK : status_set(err, errlen, RESLAB_ERR_IO, "cannot write %s", dest);
}

int exercise_new(int n, const char *dir, char *out, size_t len, char *err, size_t errlen)
{
    char src[4200];
    int rc = exercise_skeleton_path(n, src, sizeof src, err, errlen);
    if (rc) return rc;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    if ((size_t)snprintf(out, len, "%s/%s", dir, exercise_get(n)->file) >= len)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "the path %s is too long", dir);
    if (access(out, F_OK) == 0)
        return status_set(err, errlen, RESLAB_ERR_IO, "%s already exists: not overwritten", out);
    int trunc;
    char *text = sandbox_read_text(src, (size_t)1 << 20, &trunc);
    if (!text) return status_set(err, errlen, RESLAB_ERR_IO, "cannot read %s", src);
    rc = write_new(dir, out, text, strlen(text), err, errlen);
    free(text);
    return rc;
}
