/* check.h: a tiny header-only test harness. No globals: the Check is passed in.
 * Each check prints one readable "OK" / "NOT OK" line (llm.c style); the exit status of the test
 * program is the verdict (return check_done(&c) from main). Exit 77 means "skipped" to meson. */
#ifndef RESLAB_CHECK_H
#define RESLAB_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct {
    int run, failed;
} Check;

/* |got - want| <= atol + rtol * |want|; NaN never passes. */
static inline int check_close(Check *c, const char *what, double got, double want,
                              double atol, double rtol)
{
    double diff = fabs(got - want);
    int ok = diff <= atol + rtol * fabs(want);
    c->run++;
    if (!ok) c->failed++;
    printf("%s %s: got %.17g want %.17g (diff %.3e)\n", ok ? "OK    " : "NOT OK", what, got, want,
           diff);
    return ok;
}

/* value <= bound; NaN never passes. */
static inline int check_below(Check *c, const char *what, double value, double bound)
{
    int ok = value <= bound;
    c->run++;
    if (!ok) c->failed++;
    printf("%s %s: %.6e <= %.3e\n", ok ? "OK    " : "NOT OK", what, value, bound);
    return ok;
}

static inline int check_true(Check *c, int cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int check_true(Check *c, int cond, const char *fmt, ...)
{
    va_list ap;
    c->run++;
    if (!cond) c->failed++;
    printf("%s ", cond ? "OK    " : "NOT OK");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return cond;
}

static inline int check_done(const Check *c)
{
    printf("%d/%d checks passed\n", c->run - c->failed, c->run);
    return c->failed ? 1 : 0;
}

#endif
