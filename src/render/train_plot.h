/* train_plot.h: the figure of `reslab train --compare --plot FILE`: plain and residual nets
 * trained at several depths on the same data, budget and seeds (He et al. 2015: Fig. 1 and 6,
 * the degradation problem; Fig. 7, the layer responses). Plain data in, cairo out.
 *
 * Usage:
 *     TrainPlot p = {.ndepths = 5, .depths = depths, .epochs = 30, .nseeds = 3, ...};
 *     train_plot_draw(cr, (Rect){0, 0, 1280, 960}, &theme, &p);       e.g. inside export_render
 *
 * Four panels:
 *   top left     plain nets: training error (%) over the whole set after each epoch, one dashed
 *                curve per depth
 *   top right    residual nets: the same, solid; both panels share one y range. Colour = depth, a
 *                ramp of the sequential colour map (shallow light, deep dark on a light page)
 *   bottom left  final training error (%) against depth (log axis, ticks at the depths): plain
 *                (dashed, circles) and residual (solid, squares), the mean over seeds with a bar
 *                from the lowest to the highest seed
 *   bottom right response std by layer index (Fig. 7), log scale: the std of every layer's
 *                response (after BN, before the addition and ReLU) of the trained nets, mean over
 *                seeds, same colours and dashes as the top panels
 * NaN values (runs that diverged for every seed) are left out (the lines break there).
 * Draws only inside r, paints r's background, keeps no state.
 */
#ifndef RESLAB_TRAIN_PLOT_H
#define RESLAB_TRAIN_PLOT_H

#include <stddef.h>

#include <cairo.h>

#include "layout.h"
#include "plot.h"
#include "theme.h"

enum { TRAIN_PLOT_PLAIN = 0, TRAIN_PLOT_RESIDUAL = 1, TRAIN_PLOT_MAX_DEPTHS = 16 };

typedef struct {
    size_t ndepths;                       /* 1 .. TRAIN_PLOT_MAX_DEPTHS */
    const size_t *depths;                 /* [ndepths] L, ascending */
    size_t epochs, nseeds;                /* E >= 1; S (for the captions) */
    const double *curve[2];               /* [net][d * E + e]: training error (fraction) over the
                                             whole training set after epoch e + 1, mean over seeds */
    const double *final_mean[2];          /* [net][d]: final training error (fraction) over the
                                             whole set, mean over seeds */
    const double *final_lo[2], *final_hi[2];   /* [net][d]: its lowest and highest seed */
    const double *const *resp[2];         /* [net][d] -> [2 depths[d]] response std by layer, mean
                                             over seeds (an entry may be NULL) */
    const char *subtitle;                 /* the settings (Pango markup), or NULL */
} TrainPlot;

/* Where train_plot_draw puts the panels (in r's units). */
typedef struct {
    PlotAxes curves[2];                   /* [net]: error (%) against epoch */
    PlotAxes final;                       /* final error (%) against depth, log x */
    PlotAxes resp;                        /* response std against layer index */
} TrainPlotLayout;

/* Draws the figure into r with theme t. */
void train_plot_draw(cairo_t *cr, Rect r, const Theme *t, const TrainPlot *p);

/* The layout train_plot_draw uses (cr may be NULL). */
void train_plot_layout(cairo_t *cr, Rect r, const Theme *t, const TrainPlot *p, TrainPlotLayout *out);

/* ---- decision regions (the training scene, scene_train.h) ---- */

/* The colour of class c on theme t: theme_palette(t, 2 + c), so that the plain and residual
 * colours (palette 0 and 1 in the built-in themes) keep meaning the two nets. */
Rgb train_plot_class_colour(const Theme *t, int c);

/* The decision regions of a classifier on a G x G grid that fills ax's frame (ax: linear axes
 * over the grid's range, laid out): cell (i, j), row i from the top, column j from the left,
 * gets the colour of class cls[i * G + j] mixed with the background, the more the surer the
 * net is: conf[i * G + j] in [1/k, 1] (the largest probability) runs from 20 % to 65 % of the
 * class colour; cls 255 (no prediction: NaN) is t->overflow. Then the n points (x[2i], x[2i+1])
 * with labels y[i] as dots of their class colour with a thin foreground ring, clipped to the
 * frame. Nothing is drawn if G is 0. */
void train_plot_regions(cairo_t *cr, const Theme *t, const PlotAxes *ax, const unsigned char *cls,
                        const double *conf, size_t G, size_t k, const double *x, const int *y,
                        size_t n);

/* The colour of depth i of n in the ramp train_plot_draw uses on theme t. */
Rgb train_plot_depth_colour(const Theme *t, size_t i, size_t n);

#endif
