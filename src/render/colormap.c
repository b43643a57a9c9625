/* colormap.c: diverging and sequential colour maps as smooth curves in OKLab, walked at
 * constant speed (arc length), converted to sRGB on demand.
 *
 * Legend: t in [0, 1] the position in the map; s in [0, 1] the fraction of a curve's length;
 * u in [0, 1] the curve's own parameter; L, C, h are OKLCh lightness, chroma and hue (degrees),
 * a = C cos h, b = C sin h. A curve is the quadratic B-spline of its control points: it starts
 * at the first and ends at the last, is smooth (no kinks, so no Mach bands in a gradient), and
 * its lightness is monotone when the control points' lightness is (B-splines do not overshoot).
 */
#include "colormap.h"

#include <math.h>
#include <stddef.h>

enum {
    MAX_CTRL = 8,
    TABLE = 512,             /* arc length samples per curve: steps uniform to ~1e-5 */
};

typedef struct {
    double L, C, h;
} Lch;

typedef struct {
    Oklab p[MAX_CTRL];
    int n;                   /* 3 .. MAX_CTRL control points */
    double len[TABLE + 1];   /* arc length from u = 0 to u = i / TABLE */
} Curve;

/* The diverging map's arm in (L, C), from the neutral centre outwards; both arms share it and
 * differ only in hue, so they have equal lengths and mirror-image lightness. */
static const Lch arm_ctrl[] = {{0.97, 0.00, 0}, {0.62, 0.16, 0}, {0.40, 0.14, 0}};
#define HUE_BLUE 258.0
#define HUE_RED 28.0

/* The sequential map, dark to light. */
static const Lch seq_ctrl[] = {
    {0.25, 0.09, 300}, {0.42, 0.14, 350}, {0.62, 0.17, 35}, {0.80, 0.13, 70}, {0.97, 0.05, 100},
};

static Oklab lab_of(Lch p)
{
    double h = p.h * M_PI / 180.0;
    Oklab o = {p.L, p.C * cos(h), p.C * sin(h)};
    return o;
}

static Oklab lerp(Oklab x, Oklab y, double u)
{
    Oklab o = {x.L + u * (y.L - x.L), x.a + u * (y.a - x.a), x.b + u * (y.b - x.b)};
    return o;
}

static double dist(Oklab p, Oklab q)
{
    return sqrt((p.L - q.L) * (p.L - q.L) + (p.a - q.a) * (p.a - q.a) + (p.b - q.b) * (p.b - q.b));
}

/* The point at parameter u: segment k of n - 2 is the quadratic Bezier from the midpoint of
 * edge k (or p0) over p[k+1] to the midpoint of edge k+1 (or the last point). */
static Oklab curve_at(const Curve *c, double u)
{
    int segs = c->n - 2;
    double x = u * segs;
    int k = (int)x;
    if (k >= segs) k = segs - 1;
    if (k < 0) k = 0;
    double v = x - k;
    Oklab a = k == 0 ? c->p[0] : lerp(c->p[k], c->p[k + 1], 0.5);
    Oklab m = c->p[k + 1];
    Oklab b = k == segs - 1 ? c->p[c->n - 1] : lerp(c->p[k + 1], c->p[k + 2], 0.5);
    return lerp(lerp(a, m, v), lerp(m, b, v), v);
}

static void curve_init(Curve *c, const Lch *ctrl, int n, double hue_override)
{
    c->n = n;
    for (int i = 0; i < n; i++) {
        Lch p = ctrl[i];
        if (!isnan(hue_override)) p.h = hue_override;
        c->p[i] = lab_of(p);
    }
    c->len[0] = 0;
    Oklab prev = curve_at(c, 0);
    for (int i = 1; i <= TABLE; i++) {
        Oklab q = curve_at(c, (double)i / TABLE);
        c->len[i] = c->len[i - 1] + dist(prev, q);
        prev = q;
    }
}

/* The point at fraction s of the curve's length. */
static Oklab curve_at_length(const Curve *c, double s)
{
    double want = s * c->len[TABLE];
    int lo = 0, hi = TABLE;
    while (hi - lo > 1) {                          /* len[lo] <= want < len[hi] */
        int mid = (lo + hi) / 2;
        if (c->len[mid] <= want) lo = mid;
        else hi = mid;
    }
    double seg = c->len[hi] - c->len[lo], f = seg > 0 ? (want - c->len[lo]) / seg : 0;
    if (f > 1) f = 1;
    return curve_at(c, (lo + f) / TABLE);
}

/* Map map's curve for side (diverging: 0 blue arm, 1 red arm) into c. */
static void map_curve(Curve *c, Colormap map, int side)
{
    if (map == COLORMAP_DIVERGING) curve_init(c, arm_ctrl, 3, side ? HUE_RED : HUE_BLUE);
    else curve_init(c, seq_ctrl, 5, NAN);
}

/* t on the map -> (side, s) on a curve */
static double map_s(Colormap map, double t, int *side)
{
    if (isnan(t)) t = 0.5;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    *side = 0;
    if (map != COLORMAP_DIVERGING) return t;
    *side = t > 0.5;                   /* the centre (s = 0) is the same grey on both arms */
    return fabs(t - 0.5) * 2;
}

Oklab colormap_oklab(Colormap map, double t)
{
    Curve c;
    int side;
    double s = map_s(map, t, &side);
    map_curve(&c, map, side);
    return curve_at_length(&c, s);
}

Rgb colormap_map(Colormap map, double t)
{
    return rgb_from_oklab(colormap_oklab(map, t), NULL);
}

double colormap_t(double v, double lo, double hi)
{
    /* halves, so that hi - lo and v - lo cannot overflow for finite inputs near DBL_MAX */
    double span = 0.5 * hi - 0.5 * lo, t = (0.5 * v - 0.5 * lo) / span;
    if (isnan(v)) return 0.5;
    if (!(span != 0) || !isfinite(span)) return v == INFINITY ? 1 : v == -INFINITY ? 0 : 0.5;
    if (isnan(t)) return 0.5;
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

void colormap_lut(Colormap map, unsigned int *lut, int n)
{
    Curve c[2];
    map_curve(&c[0], map, 0);
    if (map == COLORMAP_DIVERGING) map_curve(&c[1], map, 1);
    for (int i = 0; i < n; i++) {
        int side;
        double s = map_s(map, (double)i / (n - 1), &side);
        lut[i] = rgb_argb32(rgb_from_oklab(curve_at_length(&c[side], s), NULL));
    }
}

int colormap_lut_index(double t, int n)
{
    if (!(t > 0)) return 0;          /* also NaN */
    if (t >= 1) return n - 1;
    return (int)(t * (n - 1) + 0.5);
}
