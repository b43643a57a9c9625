/* export.c: one draw function, three cairo backends, one atomic write path.
 *
 * Legend: (w, h) the figure in logical units (= points); scale PNG pixels per logical unit;
 * tmp the temporary file next to path; the surface writes into it through write_cb.
 */
#define _POSIX_C_SOURCE 200809L
#include "export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "status.h"

#define MAX_PIXELS 32767      /* cairo's image surface limit per side */

/* The temporary file being written, and the first write error. */
typedef struct {
    FILE *f;
    int err;
} Sink;

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
    Sink *s = closure;
    if (s->err) return CAIRO_STATUS_WRITE_ERROR;
    if (fwrite(data, 1, len, s->f) != len) {
        s->err = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

ExportFormat export_format(const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash)) return EXPORT_UNKNOWN;
    if (strcasecmp(dot, ".png") == 0) return EXPORT_PNG;
    if (strcasecmp(dot, ".svg") == 0) return EXPORT_SVG;
    if (strcasecmp(dot, ".pdf") == 0) return EXPORT_PDF;
    return EXPORT_UNKNOWN;
}

/* 0666 minus the umask: the mode fopen() would have given a new file. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Create PATH.tmp.XXXXXX; *tmp is malloc'ed. */
static int open_temp(const char *path, Sink *s, char **tmp, char *err, size_t errlen)
{
    *tmp = malloc(strlen(path) + sizeof ".tmp.XXXXXX");
    if (!*tmp) return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: out of memory", path);
    strcpy(*tmp, path);
    strcat(*tmp, ".tmp.XXXXXX");
    int fd = mkstemp(*tmp), e = 0;
    s->f = NULL;
    s->err = 0;
    if (fd < 0) {
        e = errno;
    } else if (fchmod(fd, new_file_mode()) != 0 || !(s->f = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        remove(*tmp);
    }
    if (!e) return RESLAB_OK;
    free(*tmp);
    *tmp = NULL;
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    return status_set(err, errlen, RESLAB_ERR_IO,
                      "%s: cannot create a file in directory '%.*s': %s", path, dirlen,
                      slash ? (slash == path ? "/" : path) : ".", strerror(e));
}

/* Close the sink and rename tmp over path if all went well (rc == OK); else remove tmp. */
static int finish(Sink *s, char *tmp, const char *path, int rc, char *err, size_t errlen)
{
    int e = s->err;
    if (rc == RESLAB_OK && !e && (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0)) e = errno;
    if (fclose(s->f) != 0 && !e) e = errno;
    if (rc == RESLAB_OK && e)
        rc = status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    if (rc == RESLAB_OK && rename(tmp, path) != 0)
        rc = status_set(err, errlen, RESLAB_ERR_IO,
                        "%s: cannot rename the temporary file over it: %s", path, strerror(errno));
    if (rc != RESLAB_OK) remove(tmp);
    free(tmp);
    return rc;
}

/* cairo's status as our error, or RESLAB_OK. A write error is an I/O error. */
static int cairo_rc(cairo_status_t st, const Sink *s, const char *path, char *err, size_t errlen)
{
    if (st == CAIRO_STATUS_SUCCESS) return RESLAB_OK;
    if (st == CAIRO_STATUS_WRITE_ERROR)
        return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot write: %s", path,
                          strerror(s->err ? s->err : EIO));
    if (st == CAIRO_STATUS_NO_MEMORY)
        return status_set(err, errlen, RESLAB_ERR_NOMEM, "%s: cairo: out of memory", path);
    return status_set(err, errlen, RESLAB_ERR_FORMAT, "%s: cairo: %s", path,
                      cairo_status_to_string(st));
}

/* Run draw on surface and finish it; the first cairo error wins. */
static cairo_status_t draw_on(cairo_surface_t *sf, double scale, double w, double h,
                              ExportDraw draw, void *ctx)
{
    cairo_status_t st = cairo_surface_status(sf);
    if (st != CAIRO_STATUS_SUCCESS) return st;
    cairo_t *cr = cairo_create(sf);
    if (scale != 1) cairo_scale(cr, scale, scale);
    draw(cr, w, h, ctx);
    st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(sf);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(sf);
    return st;
}

static int render_png(const char *path, double w, double h, double scale, ExportDraw draw,
                      void *ctx, char *err, size_t errlen)
{
    double pw = fmax(1, ceil(w * scale - 1e-9)), ph = fmax(1, ceil(h * scale - 1e-9));
    if (pw > MAX_PIXELS || ph > MAX_PIXELS)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "%s: %.0f x %.0f pixels is too large (at most %d a side)", path, pw, ph,
                          MAX_PIXELS);
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)pw, (int)ph);
    Sink s = {NULL, 0};
    int rc = cairo_rc(draw_on(sf, scale, w, h, draw, ctx), &s, path, err, errlen);
    char *tmp = NULL;
    if (rc == RESLAB_OK) rc = open_temp(path, &s, &tmp, err, errlen);
    if (rc == RESLAB_OK) {
        rc = cairo_rc(cairo_surface_write_to_png_stream(sf, write_cb, &s), &s, path, err, errlen);
        rc = finish(&s, tmp, path, rc, err, errlen);
    }
    cairo_surface_destroy(sf);
    return rc;
}

static int render_vector(const char *path, ExportFormat fmt, double w, double h,
                         ExportDraw draw, void *ctx, char *err, size_t errlen)
{
    Sink s;
    char *tmp = NULL;
    int rc = open_temp(path, &s, &tmp, err, errlen);
    if (rc != RESLAB_OK) return rc;
    cairo_surface_t *sf = fmt == EXPORT_SVG ? cairo_svg_surface_create_for_stream(write_cb, &s, w, h)
                                            : cairo_pdf_surface_create_for_stream(write_cb, &s, w, h);
    if (fmt == EXPORT_PDF && cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS)
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, "reslab");
    cairo_status_t st = draw_on(sf, 1, w, h, draw, ctx);
    cairo_surface_finish(sf);                       /* writes the rest of the file */
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(sf);
    cairo_surface_destroy(sf);
    rc = cairo_rc(st, &s, path, err, errlen);
    return finish(&s, tmp, path, rc, err, errlen);
}

int export_render(const char *path, double width_pt, double height_pt, double scale,
                  ExportDraw draw, void *ctx, char *err, size_t errlen)
{
    if (!path || !path[0] || !draw)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "export: no path or no draw function");
    ExportFormat fmt = export_format(path);
    if (fmt == EXPORT_UNKNOWN) {
        const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
        if (!dot || (slash && dot < slash))
            return status_set(err, errlen, RESLAB_ERR_INVALID,
                              "%s: no file extension (use .png, .svg or .pdf)", path);
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "%s: unknown extension '%s' (use .png, .svg or .pdf)", path, dot);
    }
    if (!(width_pt > 0) || !(height_pt > 0) || !isfinite(width_pt) || !isfinite(height_pt))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: bad size %g x %g", path, width_pt,
                          height_pt);
    if (fmt == EXPORT_PNG && (!(scale > 0) || !isfinite(scale)))
        return status_set(err, errlen, RESLAB_ERR_INVALID, "%s: bad scale %g", path, scale);
    if (fmt == EXPORT_PNG) return render_png(path, width_pt, height_pt, scale, draw, ctx, err, errlen);
    return render_vector(path, fmt, width_pt, height_pt, draw, ctx, err, errlen);
}

int export_pdf_pages(const char *path, double width_pt, double height_pt, size_t npages,
                     const char *title, ExportPageDraw draw, void *ctx, char *err, size_t errlen)
{
    if (!path || !path[0] || !draw)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "export: no path or no draw function");
    Sink s;
    char *tmp = NULL;
    int rc = open_temp(path, &s, &tmp, err, errlen);
    if (rc != RESLAB_OK) return rc;
    cairo_surface_t *sf = cairo_pdf_surface_create_for_stream(write_cb, &s, width_pt, height_pt);
    cairo_status_t st = cairo_surface_status(sf);
    if (st == CAIRO_STATUS_SUCCESS) {
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, "reslab");
        if (title) cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, title);
        cairo_t *cr = cairo_create(sf);
        for (size_t i = 0; rc == RESLAB_OK && i < npages; i++) {
            cairo_save(cr);
            rc = draw(cr, i, width_pt, height_pt, ctx, err, errlen);
            cairo_restore(cr);
            if (rc == RESLAB_OK) cairo_show_page(cr);
        }
        st = cairo_status(cr);
        cairo_destroy(cr);
    }
    cairo_surface_finish(sf);                       /* writes the rest of the file */
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(sf);
    cairo_surface_destroy(sf);
    if (rc == RESLAB_OK) rc = cairo_rc(st, &s, path, err, errlen);
    return finish(&s, tmp, path, rc, err, errlen);
}
