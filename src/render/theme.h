/* theme.h: the colours, fonts and line widths every figure takes, and the theme file reader.
 *
 * Usage:
 *     Theme th = theme_light();                           the default: for projectors
 *     char err[256];
 *     if (theme_load(&th, "assets/themes/dark.txt", err, sizeof err) != RESLAB_OK)
 *         fprintf(stderr, "reslab: %s\n", err);           "dark.txt:7: unknown key 'colour'"
 *     rgb_set_source(cr, th.residual);
 *
 * A Theme is a plain value (copy it freely; it owns no memory). Every draw function takes a
 * const Theme *. The plain net and the residual net keep the same two colours in every theme,
 * so a student who learnt "blue = residual" on one slide can rely on it on the next; the
 * colours come from Okabe & Ito's colour-blind safe palette, and scenes draw the two nets
 * with different line styles too, so colour is never the only cue.
 *
 * Theme file: UTF-8 text, one "key value" per line. Blank lines are ignored; '#' starts a
 * comment when it begins a line or follows a blank and is followed by a blank or the end of the
 * line (so "#0072b2" is a colour, "# note" a comment). Keys (all optional; a missing key keeps
 * the value of the base theme):
 *     base        light | dark    start from this built-in theme (default light); must come first
 *     background  #rrggbb         the page
 *     foreground  #rrggbb         text, axes and ticks
 *     grid        #rrggbb         grid lines, legend and colour-bar frames
 *     muted       #rrggbb         secondary text (notes, captions)
 *     plain       #rrggbb         the plain net (no shortcut)
 *     residual    #rrggbb         the residual net
 *     overflow    #rrggbb         non-finite and off-scale values (heatmap cells, curve marks)
 *     palette     #rrggbb ...     1 to THEME_PALETTE_MAX colours for other categories
 *     font        family list     Pango families, e.g. "DejaVu Sans, Noto Sans CJK SC"
 *     font_size   number          base text size in points (logical units), 4 .. 200
 *     line_width  number          data curves, 0.1 .. 50
 *     axis_width  number          axes, ticks and frames, 0.1 .. 50
 *     grid_width  number          grid lines, 0.1 .. 50
 * An unknown key, a key given twice, or a bad value is an error naming file:line.
 * assets/themes/light.txt and dark.txt are the two built-in themes written out.
 */
#ifndef RESLAB_THEME_H
#define RESLAB_THEME_H

#include <stddef.h>

#include "rgb.h"

enum {
    THEME_PALETTE_MAX = 8,   /* colours in Theme.palette */
    THEME_FONT_MAX = 128,    /* bytes in Theme.font, including the NUL */
};

/* The family list that makes Han characters come out in Simplified Chinese forms: with plain
 * "Sans" or "DejaVu Sans" fontconfig falls back to Noto Sans CJK JP (research/feasibility.md). */
#define THEME_FONT_DEFAULT "DejaVu Sans, Noto Sans CJK SC"

typedef struct {
    Rgb background, foreground, grid, muted;
    Rgb plain, residual;            /* the two nets, the same in every built-in theme */
    Rgb overflow;                   /* NaN, inf and off-scale values */
    Rgb palette[THEME_PALETTE_MAX]; /* other categories, palette[0 .. palette_n - 1] */
    int palette_n;                  /* 1 .. THEME_PALETTE_MAX */
    char font[THEME_FONT_MAX];      /* Pango family list, NUL-terminated */
    double font_size;               /* base text size, points = logical units */
    double line_width;              /* data curves, logical units */
    double axis_width;              /* axes, ticks, frames */
    double grid_width;              /* grid lines */
} Theme;

/* The built-in themes. light: white page, near-black text, thick lines: high contrast for a
 * projector in a lit room. dark: near-black page, light text, for dimmed rooms and screens. */
Theme theme_light(void);
Theme theme_dark(void);

/* The built-in theme called name ("light" or "dark") into *out. Returns RESLAB_OK, or
 * RESLAB_ERR_INVALID with a message listing the names. */
int theme_builtin(Theme *out, const char *name, char *err, size_t errlen);

/* Read a theme file (format above) into *out. Returns RESLAB_OK; RESLAB_ERR_IO if the file
 * cannot be opened or read ("path: cannot open: No such file or directory"); RESLAB_ERR_FORMAT
 * for the first bad line ("path:LINE: unknown key 'colour'"). *out is written only on success. */
int theme_load(Theme *out, const char *path, char *err, size_t errlen);

/* The name of the first key (in the order of the list above) whose values differ between a and
 * b, or NULL if they are equal (colours compared as 8-bit #rrggbb, numbers exactly). */
const char *theme_diff(const Theme *a, const Theme *b);

/* palette[i mod palette_n], for i >= 0. */
Rgb theme_palette(const Theme *t, int i);

#endif
