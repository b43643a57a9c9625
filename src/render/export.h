/* export.h: render a draw function into a PNG, SVG or PDF file, atomically.
 *
 * Usage:
 *     static void draw(cairo_t *cr, double w, double h, void *ctx) { ...logical units... }
 *     char err[256];
 *     if (export_render("fig.pdf", 1280, 800, 1, draw, &data, err, sizeof err) != RESLAB_OK)
 *         fprintf(stderr, "reslab: %s\n", err);
 *     export_render("fig.png", 1280, 800, 2, draw, &data, err, sizeof err);   2560 x 1600 px
 *
 * The extension (case-insensitive) picks the format:
 *     .png  an ARGB32 image of ceil(width * scale) x ceil(height * scale) pixels; draw sees
 *           cairo_scale(scale, scale), so it always draws in width x height logical units;
 *     .svg, .pdf  vector, width x height points (scale ignored; one page for PDF).
 * Anything else is RESLAB_ERR_INVALID naming the extension. The draw function is called once
 * with a fresh context; it must paint its own background (PNG pixels start transparent).
 *
 * Atomic: the file is written to PATH.tmp.XXXXXX in the same directory and renamed over path
 * only after cairo reported success and the data were flushed and synced; on any failure the
 * temporary file is removed and an existing file at path is left untouched. The new file gets
 * the mode a new file gets (0666 minus the umask).
 * Returns RESLAB_OK; RESLAB_ERR_INVALID (extension, size or scale; a PNG side above 32767 px);
 * RESLAB_ERR_IO (the directory cannot be written, a write failed: the message names the path and
 * the system's reason); RESLAB_ERR_FORMAT if cairo reported an error while drawing (the message
 * gives cairo's status string, e.g. "invalid matrix (not invertible)").
 */
#ifndef RESLAB_EXPORT_H
#define RESLAB_EXPORT_H

#include <stddef.h>

#include <cairo.h>

/* Draws a figure of w x h logical units into cr; ctx is the caller's data. */
typedef void (*ExportDraw)(cairo_t *cr, double w, double h, void *ctx);

typedef enum { EXPORT_PNG, EXPORT_SVG, EXPORT_PDF, EXPORT_UNKNOWN } ExportFormat;

/* The format path's extension asks for (EXPORT_UNKNOWN if none of the three). */
ExportFormat export_format(const char *path);

int export_render(const char *path, double width_pt, double height_pt, double scale,
                  ExportDraw draw, void *ctx, char *err, size_t errlen);

/* Draws page `page` (0-based) of w x h points into cr (the page is shown after it returns);
 * non-zero stops the document with that code, its message in err. */
typedef int (*ExportPageDraw)(cairo_t *cr, size_t page, double w, double h, void *ctx, char *err,
                              size_t errlen);

/* A PDF of npages pages of width_pt x height_pt with a title in its metadata, written as
 * export_render writes (a temporary file renamed when complete: path is never half written).
 * RESLAB_OK, draw's code, RESLAB_ERR_IO, RESLAB_ERR_NOMEM or RESLAB_ERR_FORMAT (cairo). */
int export_pdf_pages(const char *path, double width_pt, double height_pt, size_t npages,
                     const char *title, ExportPageDraw draw, void *ctx, char *err, size_t errlen);

#endif
