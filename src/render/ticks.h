/* ticks.h: where the tick marks of an axis go and what their labels say: 1-2-5 steps on linear
 * axes, decades on log10 axes (10<sup>−3</sup>), and fitting the count to the space available.
 *
 * Usage:
 *     Ticks t;
 *     ticks_make(&t, 0, 37, 0, 1, 5);          linear, whole numbers, about 5: 0 10 20 30
 *     ticks_make(&t, 1e-300, 1e10, 1, 0, 6);   log10: 10^-300, 10^-200, 10^-100, 10^0
 *     TextStyle st = text_style(th, PLOT_TICK_SCALE);
 *     ticks_fit(cr, &t, lo, hi, 1, 0, frame.h, 1, &st);   as many as fit on a vertical axis
 *     for (int i = 0; i < t.n; i++) draw t.label[i] (Pango markup) at ticks_frac(t.v[i], ...)
 *
 * Labels are Pango markup with a real minus sign (U+2212) and superscript exponents; linear
 * labels share one number of decimals per axis (0, 0.5, 1.0, ... becomes 0.0 0.5 1.0). Pure
 * functions of their arguments, except that ticks_fit measures text with cr (may be NULL).
 */
#ifndef RESLAB_TICKS_H
#define RESLAB_TICKS_H

#include <stddef.h>

#include <cairo.h>

#include "text.h"

enum {
    TICKS_MAX = 24,          /* major ticks */
    TICKS_MINOR_MAX = 96,    /* minor ticks */
    TICKS_LABEL_MAX = 48,    /* bytes of one label */
};

typedef struct {
    int n;                                   /* major ticks, values increasing */
    double v[TICKS_MAX];
    char label[TICKS_MAX][TICKS_LABEL_MAX];  /* Pango markup */
    double lw[TICKS_MAX], lh[TICKS_MAX];     /* label sizes, set by ticks_fit (else 0) */
    int nminor;
    double minor[TICKS_MINOR_MAX];           /* unlabelled */
} Ticks;

/* About target (>= 2) major ticks inside [min(lo, hi), max(lo, hi)]. logscale: decades, every k-th
 * decade for wide ranges (k = 1, 2, 5, 10, 20, ...), minor ticks at 2..9 x 10^d when k = 1 and at
 * the skipped decades otherwise; a log range under two decades gets 1-2-5 x 10^d ticks, and
 * linear ones if fewer than two of those fit. Linear: multiples of a 1-2-5 step (>= 1 if integer).
 * Degenerate or non-finite ranges give no ticks. */
void ticks_make(Ticks *t, double lo, double hi, int logscale, int integer, int target);

/* The smallest of 1, 2, 5 x 10^k that is >= raw (> 0 and finite; else raw itself). */
double ticks_nice_step(double raw);

/* Position of v between lo (0) and hi (1), linear in v or in log10 v; not clamped; -inf for
 * v <= 0 on a log axis, NaN for NaN. */
double ticks_frac(double v, double lo, double hi, int logscale);

/* The most ticks (ticks_make with the largest target, at most one per 1.8 label heights or 3.5
 * label sizes of space) whose labels, measured in style st, do not overlap along an axis of
 * the given length (vertical: labels stacked; else side by side). Fills lw, lh. */
void ticks_fit(cairo_t *cr, Ticks *t, double lo, double hi, int logscale, int integer,
               double length, int vertical, const TextStyle *st);

/* The widest label width and the tallest label height of t (after ticks_fit). */
double ticks_max_width(const Ticks *t);
double ticks_max_height(const Ticks *t);

#endif
