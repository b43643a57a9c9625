/* ticks.c: tick positions (1-2-5 steps, decades) and their labels, and fitting the count to
 * the length of an axis without overlapping labels.
 *
 * Legend: [a, b] the range sorted (a <= b); step the linear tick spacing; d a decade exponent
 * (tick 10^d); k the decade step; target the wanted number of major ticks.
 */
#include "ticks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MINUS "\xe2\x88\x92"     /* U+2212 MINUS SIGN: as wide as '+', unlike the hyphen */
#define TIMES "\xc3\x97"         /* U+00D7 MULTIPLICATION SIGN */
#define EPS 1e-9                 /* relative slack when a tick sits on the end of the range */

double ticks_nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw)) return raw;
    double p = pow(10, floor(log10(raw)));
    if (!(p > 0) || !isfinite(p)) return raw;
    double m = raw / p;
    return (m <= 1 + EPS ? 1 : m <= 2 + EPS ? 2 : m <= 5 + EPS ? 5 : 10) * p;
}

/* Copy src into dst (TICKS_LABEL_MAX) with every '-' replaced by the minus sign. */
static void put_label(char *dst, const char *src)
{
    size_t k = 0;
    for (; *src && k + 4 < TICKS_LABEL_MAX; src++) {
        if (*src == '-') {
            memcpy(dst + k, MINUS, 3);
            k += 3;
        } else {
            dst[k++] = *src;
        }
    }
    dst[k] = '\0';
}

/* "m×10<sup>e</sup>" with the given decimals in m (m = v / 10^e). */
static void label_sci(char *dst, double v, int e, int decimals)
{
    char buf[TICKS_LABEL_MAX];
    snprintf(buf, sizeof buf, "%.*f" TIMES "10<sup>%d</sup>", decimals, v / pow(10, e), e);
    put_label(dst, buf);
}

/* A linear tick label: fixed decimals from the step, or scientific for very large or very small
 * magnitudes (amax = the largest |value| on the axis). */
static void label_linear(char *dst, double v, double step, double amax)
{
    char buf[TICKS_LABEL_MAX];
    int ls = (int)floor(log10(step) + EPS);
    if (v == 0) {
        snprintf(dst, TICKS_LABEL_MAX, "0");
    } else if (amax >= 1e5 || amax < 1e-3) {
        int e = (int)floor(log10(amax) + EPS);
        label_sci(dst, v, e, e - ls > 0 ? e - ls : 0);
    } else {
        snprintf(buf, sizeof buf, "%.*f", ls < 0 ? -ls : 0, v);
        put_label(dst, buf);
    }
}

static void add_major(Ticks *t, double v)
{
    if (t->n < TICKS_MAX) {
        t->v[t->n] = v;
        t->lw[t->n] = t->lh[t->n] = 0;
        t->n++;
    }
}

static void add_minor(Ticks *t, double v)
{
    if (t->nminor < TICKS_MINOR_MAX) t->minor[t->nminor++] = v;
}

/* Multiples of a 1-2-5 step in [a, b]. */
static void make_linear(Ticks *t, double a, double b, int integer, int target)
{
    double span = 0.5 * b - 0.5 * a;              /* halves: b - a may overflow */
    double step = ticks_nice_step(2 * (span / (target - 1)));
    if (integer && step < 1) step = 1;
    if (!(step > 0) || !isfinite(step)) return;
    double i0 = ceil(a / step - EPS), i1 = floor(b / step + EPS);
    if (i1 - i0 > TICKS_MAX - 1) i1 = i0 + TICKS_MAX - 1;
    double amax = fmax(fabs(a), fabs(b));
    for (double i = i0; i <= i1; i++) {
        double v = i * step;
        if (fabs(v) < step * EPS) v = 0;
        add_major(t, v);
        label_linear(t->label[t->n - 1], v, step, amax);
    }
}

/* Decade ticks for ranges spanning at least two decades; returns 0 if there are fewer. */
static int make_decades(Ticks *t, double e0, double e1, int target)
{
    double d0 = ceil(e0 - EPS), d1 = floor(e1 + EPS);
    if (d1 - d0 < 1) return 0;
    double k = ticks_nice_step((d1 - d0) / (target - 1));
    k = k < 1 ? 1 : round(k);
    for (double d = ceil(d0 / k) * k; d <= d1 + EPS; d += k) {
        add_major(t, pow(10, d));
        snprintf(t->label[t->n - 1], TICKS_LABEL_MAX, "10<sup>%s%d</sup>", d < 0 ? MINUS : "",
                 (int)fabs(d));
    }
    if (k == 1) {                                  /* 2..9 x 10^d */
        for (double d = floor(e0); d <= e1 && t->nminor < TICKS_MINOR_MAX; d++)
            for (int m = 2; m <= 9; m++) {
                double v = m * pow(10, d), e = log10(v);
                if (e >= e0 - EPS && e <= e1 + EPS) add_minor(t, v);
            }
        return 1;
    }
    /* wide ranges: a few unlabelled decades between labelled ones (k = 2: every decade;
     * 5, 50, 500: every k/5; 10, 100: every k/5; 20, 200: every k/4) */
    double m = k / (fmod(k / pow(10, floor(log10(k) + EPS)), 2) == 0 ? 4 : 5);
    m = m < 1 ? 1 : m;
    for (double d = ceil(e0 / m - EPS) * m; d <= e1 + EPS; d += m)
        if (fmod(d, k) != 0) add_minor(t, pow(10, d));
    return 1;
}

/* 1-2-5 x 10^d ticks for log ranges under two decades; returns 0 if fewer than two fit. */
static int make_125(Ticks *t, double e0, double e1)
{
    static const int mant[] = {1, 2, 5};
    for (double d = floor(e0); d <= ceil(e1); d++)
        for (int j = 0; j < 3; j++) {
            double v = mant[j] * pow(10, d), e = log10(v);
            if (e < e0 - EPS || e > e1 + EPS) continue;
            add_major(t, v);
            char *dst = t->label[t->n - 1];
            if (v >= 1e-3 && v < 1e5) {
                char buf[TICKS_LABEL_MAX];
                snprintf(buf, sizeof buf, "%.*f", d < 0 ? (int)-d : 0, v);
                put_label(dst, buf);
            } else {
                label_sci(dst, v, (int)d, 0);
            }
        }
    if (t->n >= 2) return 1;
    t->n = 0;
    return 0;
}

void ticks_make(Ticks *t, double lo, double hi, int logscale, int integer, int target)
{
    double a = fmin(lo, hi), b = fmax(lo, hi);
    t->n = t->nminor = 0;
    if (target < 2) target = 2;
    if (!isfinite(a) || !isfinite(b) || !(b > a)) return;
    if (logscale && a > 0) {
        double e0 = log10(a), e1 = log10(b);
        if (make_decades(t, e0, e1, target)) return;
        if (make_125(t, e0, e1)) return;
    }
    make_linear(t, a, b, integer, target);
}

double ticks_frac(double v, double lo, double hi, int logscale)
{
    if (logscale) {
        if (isnan(v)) return NAN;
        if (!(v > 0)) return -INFINITY;
        double l0 = log10(lo);
        return (log10(v) - l0) / (log10(hi) - l0);
    }
    return (0.5 * v - 0.5 * lo) / (0.5 * hi - 0.5 * lo);
}

/* 1 if neighbouring labels of t (sizes lw, lh) keep a gap along an axis of this length */
static int labels_fit(const Ticks *t, double lo, double hi, int logscale, double length,
                      int vertical, double gap)
{
    for (int i = 0; i + 1 < t->n; i++) {
        double dist = length * fabs(ticks_frac(t->v[i + 1], lo, hi, logscale) -
                                    ticks_frac(t->v[i], lo, hi, logscale));
        double need = vertical ? (t->lh[i] + t->lh[i + 1]) / 2 : (t->lw[i] + t->lw[i + 1]) / 2;
        if (need + gap > dist) return 0;
    }
    return 1;
}

void ticks_fit(cairo_t *cr, Ticks *t, double lo, double hi, int logscale, int integer,
               double length, int vertical, const TextStyle *st)
{
    double per = vertical ? 1.8 * st->size : 3.5 * st->size;
    double gap = vertical ? 0.3 * st->size : 0.8 * st->size;
    int target = (int)(length / per) + 1;
    if (target > TICKS_MAX) target = TICKS_MAX;
    if (target < 2) target = 2;
    for (;; target = target * 3 / 4 < target - 1 ? target * 3 / 4 : target - 1) {
        if (target < 2) target = 2;
        ticks_make(t, lo, hi, logscale, integer, target);
        for (int i = 0; i < t->n; i++) {
            TextExtent e;
            TextStyle s = *st;
            s.markup = 1;
            text_measure(cr, t->label[i], &s, &e);
            t->lw[i] = e.w;
            t->lh[i] = e.h;
        }
        if (target == 2 || labels_fit(t, lo, hi, logscale, length, vertical, gap)) return;
    }
}

double ticks_max_width(const Ticks *t)
{
    double w = 0;
    for (int i = 0; i < t->n; i++) w = fmax(w, t->lw[i]);
    return w;
}

double ticks_max_height(const Ticks *t)
{
    double h = 0;
    for (int i = 0; i < t->n; i++) h = fmax(h, t->lh[i]);
    return h;
}
