/* grade.h: judge a student's gradients, tensor by tensor, over the cases of an exercise.
 *
 * Usage:
 *     Grade g;
 *     grade_draw_case(d, &cases[k], k, rng, err, sizeof err);   for every case, before the run
 *     grade_init(&g, d, &cases[0]);
 *     ... the harness runs; excase_read() fills the student's results ...
 *     for (k ...) grade_case(&g, &cases[k], k, err, sizeof err);
 *     grade_finish(&g);            g.t[i].verdict, g.t[i].hints, g.passed of g.ntensors
 *
 * For every case and every gradient tensor:
 *   1. the student's forward outputs must equal reslab's (GRADE_FORWARD_TOL), else the case is
 *      not graded ("the forward pass was changed");
 *   2. not_implemented() called, or an all-zero tensor whose right value is not zero:
 *      "not implemented" (an untouched gradient never passes);
 *   3. gradcheck_run (gradcheck.h) compares the student's tensor with central differences of
 *      reslab's loss, h = 1e-6: relative error below 1e-7 correct, up to 1e-4 suspect, above
 *      wrong. Entries whose step crosses a ReLU kink (only where the case planted z = 0 on
 *      purpose) are compared with reslab's value instead: the convention relu'(0) = 0;
 *   4. each classic mistake the exercise lists is imitated (ExerciseDef.backward with the
 *      mistake); where the imitation differs from the right gradient, the student's tensor is
 *      compared with it (GRADE_MATCH_TOL).
 * A tensor passes when it is correct in every case. A mistake's hint is given for a tensor when
 * the student's tensor matched the imitation in every case where the imitation differs from
 * the right gradient (and there is at least one such case).
 */
#ifndef RESLAB_GRADE_H
#define RESLAB_GRADE_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "exdef.h"
#include "gradcheck.h"

#define GRADE_MAX_CASES 8
/* The student's forward runs the same formulas as reslab's, summed in another order: they
 * agree to ~1e-15 relative. 1e-9 leaves room for that and for FMA, and catches any edit. */
#define GRADE_FORWARD_TOL 1e-9
/* Two analytic gradients computed in a different order agree to ~1e-15 relative; every
 * imitated mistake differs from the right gradient by far more than 1e-6 where it shows. */
#define GRADE_MATCH_TOL 1e-8
#define GRADE_DIFFER_TOL 1e-6
/* At a planted kink the right value is exact (0 times something, or a copy): 1e-12 of the
 * tensor's scale is rounding, anything more is a different convention. */
#define GRADE_KINK_TOL 1e-12

typedef enum {
    GRADE_CORRECT = 0,        /* below 1e-7 in every case */
    GRADE_NOT_CHECKED,        /* correct where checked, but a case did not run */
    GRADE_SUSPECT,            /* 1e-7 .. 1e-4 somewhere */
    GRADE_WRONG,              /* above 1e-4, NaN, a kink convention broken, or a known mistake */
    GRADE_NOT_IMPLEMENTED,    /* not_implemented() called, or all zero */
} GradeVerdict;

typedef struct {
    int run;                  /* 1 if this case was graded for this tensor */
    GradeVerdict verdict;
    GradcheckResult r;        /* worst entry of the central-difference check (or the kink) */
    int at_kink;              /* r's worst entry is a kink: r.worst_numeric is reslab's value */
} GradeCase;

typedef struct {
    char name[EXCASE_NAME_LEN];
    int rows, cols;
    GradeVerdict verdict;
    int worst_case;           /* case of the worst entry; -1 if none was checked */
    GradeCase cases[GRADE_MAX_CASES];
    int differ[MISTAKE_COUNT];   /* cases where mistake m's imitation differs from the right one */
    int match[MISTAKE_COUNT];    /* ... and the student's tensor matched it */
    unsigned hints;           /* bit m: the tensor looks like mistake m */
} GradeTensor;

typedef struct {
    const ExerciseDef *def;
    int ncases;
    int ntensors;
    GradeTensor t[EXCASE_MAX];
    int todo;                 /* not_implemented() was called */
    int forward_changed;      /* the student's forward disagrees with reslab's */
    char forward_msg[240];    /* where: "case 1 (B=3 n=4 h=4): Y(0, 2) is 0.31, reslab's 0.72" */
    unsigned hints;           /* union of the tensors' hints */
    int passed;               /* tensors that are correct in every case */
} Grade;

/* Draws case k (ExerciseDef.make), computes reslab's forward and gradients into the refs, and
 * redraws while some right gradient is all zero (dead ReLUs), so that an all-zero student
 * tensor is always wrong. RESLAB_OK, RESLAB_ERR_NOMEM, or RESLAB_ERR_INVALID (err says). */
int grade_draw_case(const ExerciseDef *d, Excase *c, int k, gsl_rng *rng, char *err,
                    size_t errlen);

/* The tensors are case 0's gradient matrices, in order (every case has the same names). */
void grade_init(Grade *g, const ExerciseDef *d, const Excase *c0, int ncases);

/* Grades case k (a case the harness did not finish counts as not checked). Only allocation can
 * fail: RESLAB_OK or RESLAB_ERR_NOMEM. */
int grade_case(Grade *g, Excase *c, int k, char *err, size_t errlen);

/* The verdict of every tensor over all cases, the hints, and g->passed. */
void grade_finish(Grade *g);

/* "correct", "not checked", "suspect", "wrong", "not implemented". */
const char *grade_verdict_name(GradeVerdict v);

/* A short name ("shortcut missing") and the hint a student reads, for a mistake. */
const char *mistake_name(Mistake m);
const char *mistake_hint(Mistake m);

#endif
