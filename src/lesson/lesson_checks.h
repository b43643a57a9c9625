/* lesson_checks.h: the numeric checks of lesson steps: a registry of measures, each a number
 * computed by the core (src/core) from a step's scene options, with an English and a Chinese
 * label, and a comparison "MEASURE OP NUMBER" that passes or fails.
 *
 * Usage:
 *     const LessonMeasure *m = lesson_checks_find("unroll_error");      NULL if unknown
 *     if (lesson_checks_usable(m, &params, err, sizeof err)) ...          e.g. needs depth >= 2
 *     LessonCheck c = {.measure = m, .op = LESSON_OP_LT, .bound = 1e-12};
 *     LessonCheckResult r;
 *     if (lesson_checks_run(&c, &params, &r, err, sizeof err) == RESLAB_OK)
 *         ... r.value, r.passed, r.label[LESSON_ZH] ...
 *
 * A measure builds its nets as `reslab flow` does (gsl mt19937 seeded with params.seed draws the
 * weights, the dropout masks, then the input X (B, n_in) ~ N(0, 1); the plain twin shares every
 * F), so that its numbers are those `reslab flow`, `reslab unroll` and `reslab gradcheck` print
 * for the same options. Each measure's equation and what a teacher should expect are in
 * docs/lessons.md. A value that cannot be computed because the net overflowed (inf or NaN) is
 * returned as NaN with r.overflow = 1: it fails every comparison, and is printed as "overflow".
 * An infinite value is a value (a condition number with s_min = 0, lambda^L beyond 1e308).
 * Nothing here prints or draws; no cairo.
 */
#ifndef RESLAB_LESSON_CHECKS_H
#define RESLAB_LESSON_CHECKS_H

#include <stddef.h>

#include "scene.h"

/* The two languages of a lesson; the index of every per-language array. */
typedef enum { LESSON_EN = 0, LESSON_ZH = 1, LESSON_NLANG = 2 } LessonLang;

typedef enum { LESSON_OP_LT, LESSON_OP_LE, LESSON_OP_GT, LESSON_OP_GE } LessonOp;

/* A measure: value = f(params), RESLAB_OK or an error code with a message. */
typedef int (*LessonMeasureFn)(const SceneParams *p, double *value, char *err, size_t errlen);

typedef struct {
    const char *name;                  /* as written in a lesson: "unroll_error" */
    const char *label[LESSON_NLANG];   /* "unrolled sum vs x_L, max relative error", Chinese */
    /* RESLAB_OK if the measure is defined for p, else RESLAB_ERR_INVALID and the reason
     * ("needs --shortcut scaled"); NULL: defined for every p. Cheap: no nets are built. */
    int (*usable)(const SceneParams *p, char *err, size_t errlen);
    LessonMeasureFn measure;
} LessonMeasure;

/* One "check: MEASURE OP NUMBER" line of a step. */
typedef struct {
    const LessonMeasure *measure;
    LessonOp op;
    double bound;
    char bound_text[32];   /* the number as written ("1e-12"), for printing */
    int line;              /* in the lesson file */
} LessonCheck;

typedef struct {
    double value;          /* the measured value (NaN with overflow; may be inf) */
    int overflow;          /* 1: the net overflowed, no value */
    int passed;            /* value OP bound; never with NaN */
    const char *label[LESSON_NLANG];
} LessonCheckResult;

/* The registry: count, the i-th measure (NULL past the end), lookup by name (NULL if none). */
size_t lesson_checks_count(void);
const LessonMeasure *lesson_checks_at(size_t i);
const LessonMeasure *lesson_checks_find(const char *name);

/* Every measure's name, ", "-separated, into buf (always terminated; truncated if short). */
void lesson_checks_list(char *buf, size_t len);

/* m->usable(p), or RESLAB_OK if it has none. */
int lesson_checks_usable(const LessonMeasure *m, const SceneParams *p, char *err, size_t errlen);

/* "<", "<=", ">", ">=" and back; parse returns RESLAB_OK or RESLAB_ERR_INVALID. */
const char *lesson_checks_op_name(LessonOp op);
int lesson_checks_op_parse(const char *s, LessonOp *op);

/* 1 if value OP bound holds; 0 if not, and always 0 for a NaN value. */
int lesson_checks_compare(double value, LessonOp op, double bound);

/* The measured value as text into buf: "overflow" / "溢出" for NaN, "inf", else "%.2g", with
 * more digits (up to 17) while the rounded number would compare differently with bound than
 * the value does, or would print equal to a bound the value is not equal to. */
void lesson_checks_format(double value, LessonOp op, double bound, LessonLang lang, char *buf,
                          size_t len);

/* One line for a check and its result: "<label>: measured 3.1e-16 < 1e-12" (r NULL: "<label>:
 * < 1e-12, not run"), in lang; the bound as the lesson wrote it. Into buf, always terminated. */
void lesson_checks_describe(const LessonCheck *c, const LessonCheckResult *r, LessonLang lang,
                            char *buf, size_t len);

/* "passed" / "FAILED", "通过" / "未通过". Static. */
const char *lesson_checks_verdict(int passed, LessonLang lang);

/* Runs c's measure with p and compares. RESLAB_OK (r filled: a failed comparison is not an
 * error), or the measure's error code with its message (r untouched). */
int lesson_checks_run(const LessonCheck *c, const SceneParams *p, LessonCheckResult *r,
                      char *err, size_t errlen);

#endif
