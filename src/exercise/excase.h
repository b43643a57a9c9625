/* excase.h: one test case of an exercise, as named matrices, and the files that carry it to and
 * from the harness (exercise_harness.c) in the child process.
 *
 * Usage:
 *     Excase c = {0};
 *     int X = excase_add(&c, "X", B, n, EXCASE_INPUT, -1);       an input the grader draws
 *     int Y = excase_add(&c, "Y", B, n, EXCASE_FORWARD, -1);     the student's forward fills it
 *     excase_add(&c, "dX", B, n, EXCASE_GRAD, X);                the gradient of X
 *     ... excase_write(path, number, cases, n) ... run the harness ... excase_read(path, cases, n)
 *     excase_free(&c);
 *
 * Every matrix is rows x cols doubles, row-major. An INPUT's `value` is what the harness gets;
 * a FORWARD or GRAD matrix's `value` is what the student's code returned and its `ref` is
 * reslab's own (the reference forward, or the correct gradient).
 *
 * Files (native byte order; the grader and the harness run on the same machine):
 *     input:  "RXIN" u32 exercise, u32 ncases; per case: u32 count; per matrix: name[16],
 *             i32 rows, i32 cols, i32 role, then rows*cols doubles if role is INPUT
 *     output: per case a record "RXRC" u32 case, u32 flags, u32 n, then n doubles: every
 *             non-INPUT matrix of the case in order (flags: 1 = not_implemented() was called)
 */
#ifndef RESLAB_EXCASE_H
#define RESLAB_EXCASE_H

#include <stddef.h>

#define EXCASE_MAX 96            /* matrices per case (exercise 7 needs 69) */
#define EXCASE_NAME_LEN 16
#define EXCASE_FLAG_TODO 1u

typedef enum { EXCASE_INPUT = 0, EXCASE_FORWARD = 1, EXCASE_GRAD = 2 } ExcaseRole;

typedef struct {
    char name[EXCASE_NAME_LEN];
    int rows, cols;
    ExcaseRole role;
    int wrt;             /* GRAD: index of the matrix this is the gradient of; else -1 */
    int group;           /* GRAD: handed to the loss (exercise 7: which net, from which block) */
    double *value;       /* INPUT: the values; FORWARD, GRAD: the student's results */
    double *ref;         /* FORWARD, GRAD: reslab's values; INPUT: NULL */
} ExcaseArray;

typedef struct {
    int count;
    ExcaseArray a[EXCASE_MAX];
    char shape[48];            /* "B=3 n=4 h=5": for messages */
    int B;                     /* batch size */
    unsigned char *pattern;    /* signs of every ReLU input at the last loss evaluation */
    size_t npattern;
    double *scratch;           /* work space of the reference backward */
    long double *xscratch;     /* work space of the loss, in extended precision (exdef.h) */
    unsigned flags;            /* from the harness's record */
    int done;                  /* 1 once the harness's record for this case was read */
} Excase;

/* Adds a zeroed rows x cols matrix; returns its index, or -1 if out of memory or full. */
int excase_add(Excase *c, const char *name, int rows, int cols, ExcaseRole role, int wrt);

/* The index of the matrix called name, or -1. */
int excase_find(const Excase *c, const char *name);

/* Values of a matrix as the reference computation reads them: `value` for an INPUT, `ref`
 * otherwise. */
double *excase_data(Excase *c, int i);

/* Allocates the kink pattern (n bytes) and n_scratch entries of each work space; 0 or -1. */
int excase_alloc_work(Excase *c, size_t n_pattern, size_t n_scratch);

void excase_free(Excase *c);

/* Writes the input file for n cases; RESLAB_OK or RESLAB_ERR_IO (err names the file). */
int excase_write(const char *path, int exercise, const Excase *cases, int n, char *err,
                 size_t errlen);

/* Reads the records the harness wrote, in order, into the cases' `value`s, `flags` and `done`.
 * Stops at the first missing, short or malformed record; returns the number of complete ones. */
int excase_read(const char *path, Excase *cases, int n);

#endif
