/* colormap.h: two colour maps, computed (not copied) in OKLab: a diverging one centred at 0 for
 * signed values (activations, weights) and a sequential one for magnitudes.
 *
 * Usage:
 *     double m = 2.5;                                      values in [-m, m]
 *     Rgb c = colormap_map(COLORMAP_DIVERGING, colormap_t(v, -m, m));   v = 0 -> the centre
 *     Rgb d = colormap_map(COLORMAP_SEQUENTIAL, colormap_t(g, 0, gmax));
 *     if (!isfinite(v)) c = theme->overflow;               non-finite: the caller's business
 *
 * COLORMAP_DIVERGING: t = 0 dark blue, t = 0.5 a neutral light grey (0 in a symmetric range),
 * t = 1 dark red. Each arm keeps a constant hue (OKLCh h = 258 deg blue, 28 deg red) and follows
 * the same smooth curve in (lightness, chroma): a quadratic B-spline from the neutral centre
 * (L 0.97, C 0) past (0.62, 0.16) to the end (0.40, 0.14). It is walked at constant speed (arc
 * length in OKLab), so equal steps in t are equal perceived steps; lightness falls
 * monotonically from the centre outwards, and the two arms are mirror images in lightness:
 * L(t) = L(1 - t). Blue against red stays apart for the common colour-vision deficiencies
 * (they differ on the blue-yellow axis, and the lightness ramp alone still shows |v|).
 * COLORMAP_SEQUENTIAL: t = 0 dark purple (L 0.25) through red and orange to pale yellow
 * (L 0.97), the same construction through five points: lightness rises monotonically, so large
 * magnitudes are bright on any background and the map reads in greyscale.
 * The control points are this file's own choice, not a copy of another project's table.
 * All colours are inside the sRGB gamut (checked by tests/test_render.c).
 */
#ifndef RESLAB_COLORMAP_H
#define RESLAB_COLORMAP_H

#include "rgb.h"

typedef enum {
    COLORMAP_DIVERGING,      /* signed values, 0 at t = 0.5 */
    COLORMAP_SEQUENTIAL,     /* magnitudes, small = dark */
} Colormap;

/* The colour for t in [0, 1] (t is clamped; NaN gives the map's middle colour: pass
 * non-finite values to the theme's overflow colour instead). */
Rgb colormap_map(Colormap map, double t);

/* The same as an OKLab point (for tests and for building lookup tables). */
Oklab colormap_oklab(Colormap map, double t);

/* Where v falls in [lo, hi]: (v - lo) / (hi - lo) clamped to [0, 1]; 0.5 if hi == lo or v is
 * NaN; 0 or 1 for -inf / +inf. For a diverging map pass lo = -m, hi = m so that 0 maps to 0.5. */
double colormap_t(double v, double lo, double hi);

/* Fill lut[0 .. n-1] (n >= 2) with opaque CAIRO_FORMAT_ARGB32 pixels of map at t = i / (n - 1),
 * for drawing many cells fast: the cell for t is lut[colormap_lut_index(t, n)]. */
void colormap_lut(Colormap map, unsigned int *lut, int n);
int colormap_lut_index(double t, int n);

#endif
