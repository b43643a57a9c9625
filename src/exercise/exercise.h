/* exercise.h: the gradient exercises and their grader (lessons/exercises/, docs/exercises.md).
 *
 * Usage:
 *     for (int n = 1; n <= exercise_count(); n++) exercise_get(n)->title ...
 *     ExerciseOptions o = exercise_options_default();   seed 1, 10 s CPU, 1 GiB
 *     ExerciseReport rep;
 *     if (exercise_check("03-residual.c", &o, &rep, err, sizeof err)) ...  (bad file, no cc ...)
 *     ... rep.compiled, rep.run, rep.grade.t[i].verdict, rep.grade.passed ...
 *     exercise_report_free(&rep);
 *     exercise_new(3, "mywork", path, sizeof path, err, sizeof err);        copies the skeleton
 *
 * exercise_check: identifies the exercise (--exercise, else a "reslab exercise N" line in the
 * file's first 4 KiB, else the file name's leading number), draws the cases (seeded, so the
 * same seed gives the same cases), compiles the file with the harness
 *     $CC (or cc) -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I INCLUDE
 *         -DEXERCISE_NUMBER=N -x c FILE LIB/exercise_harness.c -lm -o TMP/prog
 * runs TMP/prog in a child with the limits (sandbox.h), and grades what it wrote (grade.h).
 * Every file lives in a private temporary directory, removed at the end.
 *
 * Where the files are found, in this order:
 *     reslab_exercise.h     $RESLAB_EXERCISE_INCLUDE, the installed copy, this source tree
 *     exercise_harness.c    $RESLAB_EXERCISE_LIB, the installed copy, this source tree
 *     the skeletons         $RESLAB_EXERCISES_DIR, the installed copy, lessons/exercises/
 */
#ifndef RESLAB_EXERCISE_H
#define RESLAB_EXERCISE_H

#include <stddef.h>

#include "exdef.h"
#include "grade.h"
#include "sandbox.h"

typedef struct {
    unsigned long seed;        /* of the cases (default 1) */
    double time_limit;         /* CPU seconds of the student's program (default 10) */
    size_t memory_limit;       /* its address space in bytes (default 1 GiB) */
    int number;                /* the exercise; 0 = tell from the file */
    const char *cc;            /* the compiler; NULL = $CC, else "cc" */
} ExerciseOptions;

typedef struct {
    const ExerciseDef *def;
    int compiled;              /* 0: the file does not compile (compile_log says why) */
    char *compile_log;         /* the compiler's messages, warnings included (malloc'd or NULL) */
    char *program_output;      /* what the student's program printed, first 8 KiB (or NULL) */
    int output_truncated;
    int ran_ok;                /* the program finished every case and exited with 0 */
    SandboxResult run;
    SandboxLimits limits;
    char run_msg[400];         /* how it ended, if not well: "SIGSEGV (...) in case 2 of 3" */
    int cases_done, ncases;
    char shapes[GRADE_MAX_CASES][48];
    Grade grade;               /* per-tensor verdicts, hints, passed */
} ExerciseReport;

int exercise_count(void);

/* Exercise n (1-based), or NULL. */
const ExerciseDef *exercise_get(int n);

ExerciseOptions exercise_options_default(void);

/* The exercise a file is for (see above). RESLAB_OK, RESLAB_ERR_IO (cannot read it) or
 * RESLAB_ERR_INVALID (no way to tell: err says how to fix it). */
int exercise_identify(const char *path, int *number, char *err, size_t errlen);

/* Compiles, runs and grades a student's file into rep. RESLAB_OK whenever a verdict was
 * reached, including "does not compile" (rep->compiled = 0) and a crash (rep->ran_ok = 0);
 * an error code for bad input (unreadable file, unknown exercise, bad limits) or when the
 * compiler cannot be run. Free rep with exercise_report_free in every case. */
int exercise_check(const char *path, const ExerciseOptions *o, ExerciseReport *rep, char *err,
                   size_t errlen);

void exercise_report_free(ExerciseReport *rep);

/* The path of exercise n's skeleton into out. RESLAB_OK, or RESLAB_ERR_INVALID / IO. */
int exercise_skeleton_path(int n, char *out, size_t len, char *err, size_t errlen);

/* Copies exercise n's skeleton into DIR (created if missing, one level) under its own name;
 * never overwrites: RESLAB_ERR_IO if the file exists. The copy appears whole or not at all.
 * The written path goes into out. */
int exercise_new(int n, const char *dir, char *out, size_t len, char *err, size_t errlen);

#endif
