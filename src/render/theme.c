/* theme.c: the two built-in themes and the theme file reader (format in theme.h).
 *
 * The reader is table-driven: one row per key gives its name, kind and the field it fills, so
 * the parser, theme_diff and the docs list the same keys in the same order.
 */
#define _POSIX_C_SOURCE 200809L
#include "theme.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* Okabe & Ito (2008), "Color Universal Design": the eight colours stay distinct for the common
 * colour-vision deficiencies. reslab uses blue for the residual net and vermillion for the
 * plain net, in every theme. */
#define OI_ORANGE "#e69f00"
#define OI_SKY "#56b4e9"
#define OI_GREEN "#009e73"
#define OI_YELLOW "#f0e442"
#define OI_BLUE "#0072b2"
#define OI_VERMILLION "#d55e00"
#define OI_PURPLE "#cc79a7"

/* Overflow (NaN, inf, off-scale) is violet, the one hue neither colour map nor either net uses:
 * of all colours with contrast >= 3:1 on both backgrounds it is the farthest (OKLab distance
 * >= 0.10) from every colour of both maps and from the two nets, for normal vision and for
 * protanopia, deuteranopia and tritanopia (searched over sRGB; tests/test_render.c checks it).
 * Okabe-Ito's bluish green, the first choice, sits 0.014 from the red arm for protanopes. */
#define OVERFLOW_VIOLET "#8800ff"

static Rgb hex(const char *s)
{
    Rgb c = {0, 0, 0};
    rgb_parse_hex(s, &c);
    return c;
}

/* the fields both built-in themes share */
static Theme theme_common(void)
{
    Theme t;
    memset(&t, 0, sizeof t);
    t.plain = hex(OI_VERMILLION);
    t.residual = hex(OI_BLUE);
    t.overflow = hex(OVERFLOW_VIOLET);
    const char *pal[] = {OI_BLUE, OI_VERMILLION, OI_GREEN, OI_PURPLE, OI_ORANGE, OI_SKY};
    for (int i = 0; i < 6; i++) t.palette[i] = hex(pal[i]);
    t.palette_n = 7;
    snprintf(t.font, sizeof t.font, "%s", THEME_FONT_DEFAULT);
    return t;
}

Theme theme_light(void)
{
    Theme t = theme_common();
    t.background = hex("#ffffff");
    t.foreground = hex("#1a1a1a");
    t.grid = hex("#cccccc");
    t.muted = hex("#555555");
    t.palette[6] = hex("#1a1a1a");
    t.font_size = 20;
    t.line_width = 3;
    t.axis_width = 1.5;
    t.grid_width = 1;
    return t;
}

Theme theme_dark(void)
{
    Theme t = theme_common();
    t.background = hex("#151515");
    t.foreground = hex("#ececec");
    t.grid = hex("#404040");
    t.muted = hex("#a6a6a6");
    t.palette[6] = hex(OI_YELLOW);
    t.font_size = 20;
    t.line_width = 2.5;
    t.axis_width = 1.25;
    t.grid_width = 1;
    return t;
}

int theme_builtin(Theme *out, const char *name, char *err, size_t errlen)
{
    if (name && strcmp(name, "light") == 0) *out = theme_light();
    else if (name && strcmp(name, "dark") == 0) *out = theme_dark();
    else
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "unknown theme '%s' (built-in themes: light, dark)", name ? name : "");
    return RESLAB_OK;
}

Rgb theme_palette(const Theme *t, int i)
{
    int n = t->palette_n > 0 ? t->palette_n : 1;
    return t->palette[(i < 0 ? 0 : i) % n];
}

/* ---- the key table ---------------------------------------------------------------------- */

typedef enum { KEY_BASE, KEY_COLOUR, KEY_PALETTE, KEY_FONT, KEY_NUMBER } KeyKind;

typedef struct {
    const char *name;
    KeyKind kind;
    size_t off;            /* offsetof the field in Theme */
    double lo, hi;         /* KEY_NUMBER: accepted range */
} Key;

static const Key keys[] = {
    {"base", KEY_BASE, 0, 0, 0},
    {"background", KEY_COLOUR, offsetof(Theme, background), 0, 0},
    {"foreground", KEY_COLOUR, offsetof(Theme, foreground), 0, 0},
    {"grid", KEY_COLOUR, offsetof(Theme, grid), 0, 0},
    {"muted", KEY_COLOUR, offsetof(Theme, muted), 0, 0},
    {"plain", KEY_COLOUR, offsetof(Theme, plain), 0, 0},
    {"residual", KEY_COLOUR, offsetof(Theme, residual), 0, 0},
    {"overflow", KEY_COLOUR, offsetof(Theme, overflow), 0, 0},
    {"palette", KEY_PALETTE, offsetof(Theme, palette), 0, 0},
    {"font", KEY_FONT, offsetof(Theme, font), 0, 0},
    {"font_size", KEY_NUMBER, offsetof(Theme, font_size), 4, 200},
    {"line_width", KEY_NUMBER, offsetof(Theme, line_width), 0.1, 50},
    {"axis_width", KEY_NUMBER, offsetof(Theme, axis_width), 0.1, 50},
    {"grid_width", KEY_NUMBER, offsetof(Theme, grid_width), 0.1, 50},
};
enum { NKEYS = sizeof keys / sizeof keys[0] };

static int same_rgb(Rgb x, Rgb y)
{
    return rgb_byte(x.r) == rgb_byte(y.r) && rgb_byte(x.g) == rgb_byte(y.g) &&
           rgb_byte(x.b) == rgb_byte(y.b);
}

/* 1 if field k of a and b are equal */
static int key_equal(const Key *k, const Theme *a, const Theme *b)
{
    const char *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;
    switch (k->kind) {
    case KEY_COLOUR: return same_rgb(*(const Rgb *)pa, *(const Rgb *)pb);
    case KEY_NUMBER: return *(const double *)pa == *(const double *)pb;
    case KEY_FONT: return strcmp(pa, pb) == 0;
    case KEY_PALETTE:
        if (a->palette_n != b->palette_n) return 0;
        for (int i = 0; i < a->palette_n; i++)
            if (!same_rgb(a->palette[i], b->palette[i])) return 0;
        return 1;
    case KEY_BASE: return 1;
    }
    return 1;
}

const char *theme_diff(const Theme *a, const Theme *b)
{
    for (int i = 0; i < NKEYS; i++)
        if (!key_equal(&keys[i], a, b)) return keys[i].name;
    return NULL;
}

/* ---- the reader ------------------------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Cut the comment off line (see theme.h for what a comment is) and trailing blanks. */
static void strip_comment(char *line)
{
    for (char *p = line; *p; p++)
        if (*p == '#' && (p == line || is_blank(p[-1])) && (p[1] == '\0' || is_blank(p[1]))) {
            *p = '\0';
            break;
        }
    size_t n = strlen(line);
    while (n > 0 && (is_blank(line[n - 1]) || line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = '\0';
}

/* Parse value v (trimmed, non-empty) of key k into *t. Returns NULL or what is wrong. */
static const char *parse_value(const Key *k, char *v, Theme *t, char *why, size_t whylen)
{
    char *field = (char *)t + k->off, *end;
    switch (k->kind) {
    case KEY_BASE:
        if (strcmp(v, "light") == 0) *t = theme_light();
        else if (strcmp(v, "dark") == 0) *t = theme_dark();
        else return "base must be light or dark";
        return NULL;
    case KEY_COLOUR:
        return rgb_parse_hex(v, (Rgb *)field) == 0 ? NULL : "a colour must be #rrggbb";
    case KEY_FONT:
        if (strlen(v) >= THEME_FONT_MAX) return "font family list too long";
        snprintf(field, THEME_FONT_MAX, "%s", v);
        return NULL;
    case KEY_NUMBER: {
        errno = 0;
        double x = strtod(v, &end);
        if (end == v || *end != '\0' || errno || !isfinite(x)) return "not a number";
        if (x < k->lo || x > k->hi) {
            snprintf(why, whylen, "%s must be in [%g, %g]", k->name, k->lo, k->hi);
            return why;
        }
        *(double *)field = x;
        return NULL;
    }
    case KEY_PALETTE: {
        int n = 0;
        for (char *tok = strtok_r(v, " \t", &end); tok; tok = strtok_r(NULL, " \t", &end)) {
            if (n == THEME_PALETTE_MAX) return "palette has more than 8 colours";
            if (rgb_parse_hex(tok, &t->palette[n++]) != 0) return "a colour must be #rrggbb";
        }
        t->palette_n = n;
        return NULL;
    }
    }
    return NULL;
}

/* Parse one line (comment already stripped). seen[] marks keys given so far. */
static int parse_line(char *line, int lineno, const char *path, Theme *t, int *seen, char *err,
                      size_t errlen)
{
    char *p = line;
    while (is_blank(*p)) p++;
    if (*p == '\0') return RESLAB_OK;
    char *key = p;
    while (*p && !is_blank(*p)) p++;
    if (*p) *p++ = '\0';
    while (is_blank(*p)) p++;
    int k = 0;
    while (k < NKEYS && strcmp(keys[k].name, key) != 0) k++;
    if (k == NKEYS)
        return status_set(err, errlen, RESLAB_ERR_FORMAT, "%s:%d: unknown key '%s'", path, lineno,
                          key);
    if (seen[k])
        return status_set(err, errlen, RESLAB_ERR_FORMAT, "%s:%d: key '%s' given twice", path,
                          lineno, key);
    int any = 0;
    for (int i = 0; i < NKEYS; i++) any |= seen[i];
    if (keys[k].kind == KEY_BASE && any)
        return status_set(err, errlen, RESLAB_ERR_FORMAT, "%s:%d: 'base' must be the first key",
                          path, lineno);
    seen[k] = 1;
    if (*p == '\0')
        return status_set(err, errlen, RESLAB_ERR_FORMAT, "%s:%d: key '%s' has no value", path,
                          lineno, key);
    char why[96];
    const char *bad = parse_value(&keys[k], p, t, why, sizeof why);
    if (bad)
        return status_set(err, errlen, RESLAB_ERR_FORMAT, "%s:%d: %s: %s", path, lineno, key, bad);
    return RESLAB_OK;
}

int theme_load(Theme *out, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot open: %s", path,
                          strerror(errno));
    Theme t = theme_light();
    int seen[NKEYS] = {0}, lineno = 0, rc = RESLAB_OK;
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    while (rc == RESLAB_OK && getline(&line, &cap, f) != -1) {
        lineno++;
        char *s = line;
        if (lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0) s += 3;     /* UTF-8 BOM */
        strip_comment(s);
        rc = parse_line(s, lineno, path, &t, seen, err, errlen);
    }
    if (rc == RESLAB_OK && ferror(f))
        rc = status_set(err, errlen, RESLAB_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    free(line);
    fclose(f);
    if (rc == RESLAB_OK) *out = t;
    return rc;
}
