/* rgb.c: sRGB parsing and formatting, cairo sources, sRGB <-> OKLab, WCAG contrast.
 *
 * Legend: r, g, b are gamma-encoded sRGB in [0, 1]; R, G, B (lr, lg, lb) are linear light;
 * l, m, s are OKLab's cone-like responses. The OKLab matrices are the published ones
 * (B. Ottosson, "A perceptual color space for image processing", 2020): formulas, not tables.
 */
#include "rgb.h"

#include <math.h>
#include <stdio.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int rgb_parse_hex(const char *s, Rgb *out)
{
    int v[6];
    if (!s || s[0] != '#') return -1;
    for (int i = 0; i < 6; i++)
        if ((v[i] = hex_digit(s[1 + i])) < 0) return -1;
    if (s[7] != '\0') return -1;
    out->r = (v[0] * 16 + v[1]) / 255.0;
    out->g = (v[2] * 16 + v[3]) / 255.0;
    out->b = (v[4] * 16 + v[5]) / 255.0;
    return 0;
}

int rgb_byte(double x)
{
    if (!(x > 0)) return 0;                     /* also NaN */
    if (x >= 1) return 255;
    return (int)lround(x * 255.0);
}

char *rgb_format_hex(Rgb c, char buf[8])
{
    snprintf(buf, 8, "#%02x%02x%02x", rgb_byte(c.r), rgb_byte(c.g), rgb_byte(c.b));
    return buf;
}

uint32_t rgb_argb32(Rgb c)
{
    return 0xff000000u | (uint32_t)rgb_byte(c.r) << 16 | (uint32_t)rgb_byte(c.g) << 8 |
           (uint32_t)rgb_byte(c.b);
}

void rgb_set_source(cairo_t *cr, Rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

void rgb_set_source_alpha(cairo_t *cr, Rgb c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

double rgb_to_linear(double x)
{
    return x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4);
}

double rgb_from_linear(double x)
{
    return x <= 0.0031308 ? 12.92 * x : 1.055 * pow(x, 1.0 / 2.4) - 0.055;
}

Oklab rgb_to_oklab(Rgb c)
{
    double lr = rgb_to_linear(c.r), lg = rgb_to_linear(c.g), lb = rgb_to_linear(c.b);
    double l = cbrt(0.4122214708 * lr + 0.5363325363 * lg + 0.0514459929 * lb);
    double m = cbrt(0.2119034982 * lr + 0.6806995451 * lg + 0.1073969566 * lb);
    double s = cbrt(0.0883024619 * lr + 0.2817188376 * lg + 0.6299787005 * lb);
    Oklab o = {0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
               1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
               0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s};
    return o;
}

/* clamp x to [0, 1]; *moved |= it moved by more than 1e-6 */
static double clamp01(double x, int *moved)
{
    double y = x < 0 ? 0 : x > 1 ? 1 : x;
    if (fabs(y - x) > 1e-6) *moved = 1;
    return y;
}

Rgb rgb_from_oklab(Oklab o, int *in_gamut)
{
    double l = o.L + 0.3963377774 * o.a + 0.2158037573 * o.b;
    double m = o.L - 0.1055613458 * o.a - 0.0638541728 * o.b;
    double s = o.L - 0.0894841775 * o.a - 1.2914855480 * o.b;
    l = l * l * l;
    m = m * m * m;
    s = s * s * s;
    int moved = 0;
    double lr = clamp01(+4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s, &moved);
    double lg = clamp01(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s, &moved);
    double lb = clamp01(-0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s, &moved);
    if (in_gamut) *in_gamut = !moved;
    Rgb c = {rgb_from_linear(lr), rgb_from_linear(lg), rgb_from_linear(lb)};
    return c;
}

double rgb_delta_e(Rgb x, Rgb y)
{
    Oklab p = rgb_to_oklab(x), q = rgb_to_oklab(y);
    return sqrt((p.L - q.L) * (p.L - q.L) + (p.a - q.a) * (p.a - q.a) + (p.b - q.b) * (p.b - q.b));
}

double rgb_luminance(Rgb c)
{
    return 0.2126 * rgb_to_linear(c.r) + 0.7152 * rgb_to_linear(c.g) +
           0.0722 * rgb_to_linear(c.b);
}

double rgb_contrast(Rgb x, Rgb y)
{
    double a = rgb_luminance(x) + 0.05, b = rgb_luminance(y) + 0.05;
    return a > b ? a / b : b / a;
}

Rgb rgb_mix(Rgb x, Rgb y, double t)
{
    Rgb c = {x.r + (y.r - x.r) * t, x.g + (y.g - x.g) * t, x.b + (y.b - x.b) * t};
    return c;
}
