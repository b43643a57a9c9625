/* rgb.h: one colour type for the whole renderer, and the colour science the colour maps and
 * the tests need (sRGB <-> OKLab, WCAG contrast).
 *
 * Usage:
 *     Rgb c;
 *     if (rgb_parse_hex("#0072b2", &c) != 0) ...          not a colour
 *     rgb_set_source(cr, c);                              cairo_set_source_rgb
 *     Oklab lab = rgb_to_oklab(c);                         lab.L is perceived lightness
 *     double cr_ = rgb_contrast(fg, bg);                  7.0 and more: fine on a projector
 *
 * Rgb holds gamma-encoded sRGB channels in [0, 1] (what cairo_set_source_rgb takes and what a
 * PNG stores). OKLab is Bjoern Ottosson's perceptual space (2020): L is lightness in [0, 1],
 * a (green-red) and b (blue-yellow) are near 0 for greys; Euclidean distance in OKLab is a
 * perceptual colour difference ("delta E OK", 0.02 is about a just noticeable difference).
 */
#ifndef RESLAB_RGB_H
#define RESLAB_RGB_H

#include <stdint.h>

#include <cairo.h>

typedef struct {
    double r, g, b;     /* sRGB, gamma-encoded, each in [0, 1] */
} Rgb;

typedef struct {
    double L, a, b;     /* OKLab: lightness, green-red, blue-yellow */
} Oklab;

/* Parse "#rrggbb" (exactly: '#' and six hex digits, either case). Returns 0, or -1 (and leaves
 * *out untouched) if s is anything else. */
int rgb_parse_hex(const char *s, Rgb *out);

/* Format c as "#rrggbb" (lower case) into buf, which must hold 8 bytes. Returns buf. */
char *rgb_format_hex(Rgb c, char buf[8]);

/* c as an 8-bit channel value 0..255 of each of r, g, b: round(255 * clamp(x, 0, 1)). */
int rgb_byte(double x);

/* c as an opaque CAIRO_FORMAT_ARGB32 pixel (0xffRRGGBB, native endian, as cairo stores it). */
uint32_t rgb_argb32(Rgb c);

/* cairo_set_source_rgb / _rgba with c. */
void rgb_set_source(cairo_t *cr, Rgb c);
void rgb_set_source_alpha(cairo_t *cr, Rgb c, double alpha);

/* sRGB <-> linear light, per channel (IEC 61966-2-1). */
double rgb_to_linear(double x);
double rgb_from_linear(double x);

/* sRGB -> OKLab, and back. rgb_from_oklab clamps each channel to [0, 1]; *in_gamut (may be NULL)
 * tells whether clamping moved any channel by more than 1e-6. */
Oklab rgb_to_oklab(Rgb c);
Rgb rgb_from_oklab(Oklab lab, int *in_gamut);

/* Euclidean distance in OKLab ("delta E OK") between two colours. */
double rgb_delta_e(Rgb x, Rgb y);

/* WCAG 2 relative luminance of c (0 black .. 1 white), and the contrast ratio (1 .. 21) of two
 * colours: (Lhi + 0.05) / (Llo + 0.05). WCAG asks 4.5 for text, 3 for large text and graphics. */
double rgb_luminance(Rgb c);
double rgb_contrast(Rgb x, Rgb y);

/* Linear interpolation in sRGB, (1 - t) x + t y; for blending a colour with a background. */
Rgb rgb_mix(Rgb x, Rgb y, double t);

#endif
