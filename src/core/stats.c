/* stats.c: moments of the stream x_l, and the variance-propagation prediction for them.
 * Dimensions: B batch, n width of the stream, h hidden width inside F, L depth.
 *
 * The prediction (papers.md section 6, worked out for reslab's blocks). q = E x^2 per entry of
 * a block's input x; c = branch_scale; for one layer W (fan_out, fan_in)
 *     gamma = fan_in Var(W_ij),   so   E[(W a)_i^2 | a] = gamma mean_j(a_j^2)        (exact)
 * He: gamma = 2 (ReLU layers), 1 (linear layers); Glorot: 2 fan_in / (fan_in + fan_out);
 * orthogonal: gain^2 min(1, fan_in / fan_out) (exact in expectation over the Haar Q).
 * A ReLU halves a symmetric input: E relu(z)^2 = E z^2 / 2 when z and -z have the same law,
 * which holds for z = W a whatever a is, since W's law is symmetric.
 *
 * Branch F(a) = c W2 relu(W1 a), zero biases:  E F_i^2 = c^2 gamma2 gamma1 mean(a^2) / 2.
 * Shortcut S(x) adds sS q: sS = 1 (identity; zeropad and project at equal widths), lambda^2
 * (scaled), 0 (none), 1 (project-all: Ws is a linear layer, gamma = 1). The cross term
 * E[S_i F_i] = 0: W2 has mean zero and is independent of S and of a. Let G = c^2 gamma1 gamma2
 * (He: 4 c^2).
 *
 * pre order, out = y = S(x) + F(relu(x)). W1 sees relu(x), and E relu(x)^2 = q/2 when the
 *     entries of x are symmetric. They are in the wide limit: x_0's are, and each block adds
 *     F_i, which given the past is Gaussian with mean 0, a fresh row of W2 times a1, independent
 *     across units and of x_i. So f = sS + G/4; He with the identity shortcut: 1 + c^2. That is
 *     2, not the 3 of papers.md's x + W2 relu(W1 x): the ReLU in front of W1 halves what W1
 *     sees. This branch preserves variance (E F^2 = c^2 q), so c = 1/sqrt(L) gives
 *     q_L / q_0 = (1 + 1/L)^L.
 * post order, out = relu(y), y = S(x) + F(x): W1 sees x itself, E F^2 = (G/2) q.
 *     none, project-all: y_i given x is symmetric (flip W2, Ws): f = (sS + G/2)/2 exactly.
 *         Plain He: c^2 (1 at c = 1). Project-all He: (1 + 2 c^2)/2.
 *     identity, scaled: block 1 is symmetric as well ((x_0, W1, W2) -> -(x_0, W1, W2) maps y
 *         to -y): f_1 = (lambda^2 + G/2)/2, 1.5 for He. From block 2 on the stream
 *         x = relu(y_prev) is >= 0, y = lambda x + F is not symmetric, and f depends on the whole
 *         law of x, not only on q: (lambda^2 + G/2)/2 <= f <= lambda^2 + G/2 (1.5 to 3 for He).
 *         No closed form. In the wide limit, per example, F_i given the past is
 *         N(0, (G/2) q) and independent of x_i, so one unit's law evolves by
 *             u -> relu(lambda u + sqrt(G q / 2) g),   g ~ N(0, 1),
 *         a 1-D recursion (an atom at 0 plus a density on a grid) computed below. He, c = 1:
 *         f = 1.5, 2.318, 2.381, 2.394, ... -> 2.399.
 * identity activation: nothing halves, order does not matter: f = sS + G (exact).
 * zero_last: F = 0 exactly (W2 = 0, b2 = 0; other biases do not matter). Pre order: f = sS (the
 *     identity shortcut gives x_L = x_0 bit for bit). Post order: x_l = relu(S(x_{l-1})); block
 *     1 halves (f = sS/2), after it relu(lambda x) = lambda x for x >= 0: f = lambda^2
 *     (project-all: sS/2 in every block; negative lambda: 0).
 * Biases add sigma_b^2 terms that do not scale with q, so the ratio is no constant: NaN.
 * Batch norm (bn) fixes the branch's output scale instead of letting it follow q: in pre order
 *     BN1 makes z1 unit-variance, E F^2 = c^2 gamma2 / 2 (c^2 for He), so q grows by a constant
 *     c^2 per block (UDL 11.4: linear growth), not by a factor: NaN here (test_stats checks the
 *     additive law). zero_last still gives F = 0 with bn (W2, b2 or gamma2, beta2 zeroed).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#define MF_TMAX 12.0   /* the grid spans [0, 12] sqrt(q); the law's mass beyond is < 1e-20 */
#define MF_BAND 8.0    /* Gaussian kernels are cut at 8 sd: the rest weighs < 1e-14 */
#define MF_STEADY 1e-10   /* relative change below which the recursion counts as converged */
#define MF_MIN_G 1e-6     /* below (c below 5e-4 for He) the grid (dt = s/6) gets too fine: NaN */

/* ---- statistics of a measured stream ---- */

/* mean, std, q of x. Entries are scaled by a power of two (exact) before summing, so finite
 * entries never overflow the sums; two passes (mean, then deviations) keep std accurate. */
static void layer_moments(const gsl_matrix *x, StatsLayer *s)
{
    size_t B = x->size1, n = x->size2, bad = 0;
    double N = (double)(B * n), amax = 0.0;
    for (size_t i = 0; i < B; i++) {
        const double *r = gsl_matrix_const_ptr(x, i, 0);
        for (size_t j = 0; j < n; j++) {
            if (!isfinite(r[j])) bad++;
            else amax = fmax(amax, fabs(r[j]));
        }
    }
    s->nonfinite = bad;
    s->overflow = bad > 0;
    if (bad || amax == 0.0) {                    /* inf/NaN: no number would be honest */
        s->mean = s->std = s->q = bad ? NAN : 0.0;
        return;
    }
    int e = ilogb(amax);                         /* amax = m 2^e, 1 <= m < 2 */
    double sum = 0.0, sq = 0.0, dev = 0.0;
    for (size_t i = 0; i < B; i++) {
        const double *r = gsl_matrix_const_ptr(x, i, 0);
        for (size_t j = 0; j < n; j++) {
            double t = ldexp(r[j], -e);
            sum += t;
            sq += t * t;
        }
    }
    double mean = sum / N;
    for (size_t i = 0; i < B; i++) {
        const double *r = gsl_matrix_const_ptr(x, i, 0);
        for (size_t j = 0; j < n; j++) {
            double d = ldexp(r[j], -e) - mean;
            dev += d * d;
        }
    }
    s->mean = ldexp(mean, e);
    s->q = ldexp(sq / N, 2 * e);                 /* inf only if q itself exceeds DBL_MAX */
    s->std = ldexp(sqrt(dev / N), e);
    s->overflow = !isfinite(s->q) || !isfinite(s->std);
}

/* The fraction of columns of z (B, k) that are <= 0 in every row (NaN counts as alive). */
static double dead_fraction(const gsl_matrix *z)
{
    size_t dead = 0;
    for (size_t j = 0; j < z->size2; j++) {
        size_t i = 0;
        while (i < z->size1 && z->data[i * z->tda + j] <= 0.0) i++;
        dead += i == z->size1;
    }
    return (double)dead / (double)z->size2;
}

void stats_layers(const Net *net, StatsLayer *out)
{
    for (size_t l = 0; l <= net->cfg.depth; l++) {
        layer_moments(net_x(net, l), &out[l]);
        out[l].dead_hidden = out[l].dead_stream = NAN;
        if (l == 0 || net->cfg.act != ACT_RELU) continue;
        const BlockCache *c = net->cache[l - 1];
        out[l].dead_hidden = dead_fraction(c->z1);          /* z1: the input of relu inside F */
        if (net->cfg.order == ORDER_POST) out[l].dead_stream = dead_fraction(c->y);
    }
}

/* ---- the prediction ---- */

/* gamma = fan_in Var(W) of a layer drawn by init_fill(k, act, W (fan_out, fan_in)). */
static double layer_gain(InitKind k, Activation act, double fan_in, double fan_out)
{
    switch (k) {
    case INIT_HE: return act == ACT_IDENTITY ? 1.0 : 2.0;
    case INIT_GLOROT: return 2.0 * fan_in / (fan_in + fan_out);
    case INIT_ORTHOGONAL: return (act == ACT_RELU ? 2.0 : 1.0) * fmin(1.0, fan_in / fan_out);
    }
    return NAN;
}

enum { SC_UNKNOWN, SC_NONE, SC_LAMBDA, SC_PROJECT };

/* Classifies the shortcut of an n -> n block; *lambda and *sS as in the comment at the top. */
static int shortcut_class(const NetConfig *cfg, double *lambda, double *sS)
{
    *lambda = 0.0;
    *sS = 0.0;
    switch (cfg->shortcut) {
    case SHORTCUT_NONE: return SC_NONE;
    case SHORTCUT_IDENTITY:
    case SHORTCUT_ZEROPAD:                       /* at equal widths both are S(x) = x */
    case SHORTCUT_PROJECT: *lambda = *sS = 1.0; return SC_LAMBDA;
    case SHORTCUT_SCALED:
        *lambda = cfg->lambda;
        *sS = cfg->lambda * cfg->lambda;
        return cfg->lambda == 0.0 ? SC_NONE : SC_LAMBDA;
    case SHORTCUT_PROJECT_ALL: *sS = 1.0; return SC_PROJECT;
    default: return SC_UNKNOWN;                  /* gates, dropout, ...: no prediction */
    }
}

/* E relu(mu + s g)^2, g ~ N(0, 1): (mu^2 + s^2) Phi(mu/s) + mu s phi(mu/s). */
static double relu_sq_mean(double mu, double s)
{
    return (mu * mu + s * s) * gsl_cdf_ugaussian_P(mu / s) + mu * s * gsl_ran_ugaussian_pdf(mu / s);
}

/* One post-order block in the wide limit. The law of u (atom *p0 at 0, density p on t_k = k dt,
 * E u^2 about 1) goes to that of u' = relu(lam u + s sqrt(E u^2) g) / sqrt(R), R = E relu(.)^2,
 * written to (*p0, pn). Returns the block's factor R / E u^2. w is scratch [K]. */
static double meanfield_step(double lam, double s, double dt, size_t K, double *p0,
                             const double *p, double *pn, double *w)
{
    double mass = *p0, m2 = 0.0;
    for (size_t k = 0; k < K; k++) {             /* trapezoid weights */
        w[k] = (k == 0 || k == K - 1 ? 0.5 : 1.0) * dt * p[k];
        mass += w[k];
    }
    *p0 /= mass;                                 /* renormalise the grid's small leaks */
    for (size_t k = 0; k < K; k++) {
        w[k] /= mass;
        m2 += w[k] * (k * dt) * (k * dt);
    }
    double su = s * sqrt(m2), R = *p0 * su * su / 2.0, atom = *p0 / 2.0;
    for (size_t k = 0; k < K; k++) {
        R += w[k] * relu_sq_mean(lam * k * dt, su);
        atom += w[k] * gsl_cdf_ugaussian_P(-lam * k * dt / su);      /* P(y <= 0) */
    }
    double a = sqrt(R);
    for (size_t k = 0; k < K; k++) {             /* density of y at a t_k, only |y - lam t_j| < 8 su */
        double y = a * k * dt, d = *p0 * gsl_ran_gaussian_pdf(y, su);
        double lo = (y - MF_BAND * su) / (lam * dt), hi = (y + MF_BAND * su) / (lam * dt);
        if (lo > hi) { double t = lo; lo = hi; hi = t; }
        lo = fmax(lo, 0.0);
        hi = fmin(hi, (double)(K - 1));
        for (double jd = ceil(lo); jd <= hi; jd++) {
            size_t j = (size_t)jd;
            d += w[j] * gsl_ran_gaussian_pdf(y - lam * j * dt, su);
        }
        pn[k] = a * d;                           /* u' = relu(y) / a */
    }
    *p0 = atom;
    return R / m2;
}

/* f[0..L-1] for post order with shortcut lambda x and branch variance s2 q (s2 = G/2). */
static void meanfield_post(double lam, double s2, size_t L, double *f)
{
    double s = sqrt(s2), dt = fmin(0.02, s / 6.0);
    size_t K = (size_t)(MF_TMAX / dt) + 1;
    double *p = malloc(K * sizeof *p), *pn = malloc(K * sizeof *pn), *w = malloc(K * sizeof *w);
    if (p && pn && w) {
        /* block 1: y = lam x_0 + F ~ N(0, v), v = lam^2 + s2, so f_1 = v/2 and x_1 / sqrt(f_1)
         * is an atom 1/2 at 0 plus half of N(0, v / f_1) */
        double v = lam * lam + s2, p0 = 0.5, sd = sqrt(v / (v / 2.0));
        f[0] = v / 2.0;
        for (size_t k = 0; k < K; k++) p[k] = gsl_ran_gaussian_pdf(k * dt, sd);
        for (size_t l = 1; l < L; l++) {
            f[l] = meanfield_step(lam, s, dt, K, &p0, p, pn, w);
            double *t = p; p = pn; pn = t;
            if (fabs(f[l] - f[l - 1]) <= MF_STEADY * f[l]) {      /* converged: constant from here */
                for (size_t m = l + 1; m < L; m++) f[m] = f[l];
                break;
            }
        }
    }
    free(p);
    free(pn);
    free(w);
}

static void fill(double *f, size_t L, double v)
{
    for (size_t l = 0; l < L; l++) f[l] = v;
}

/* zero_last: F = 0, so only the shortcut (and, post order, the ReLU after it) acts. */
static void zero_last_factors(const NetConfig *cfg, int sc, double lam, double sS, double *f)
{
    size_t L = cfg->depth;
    if (cfg->order == ORDER_PRE || cfg->act == ACT_IDENTITY) {
        fill(f, L, sS);
    } else if (cfg->act == ACT_RELU) {
        fill(f, L, sc == SC_LAMBDA ? (lam > 0.0 ? sS : 0.0) : sS / 2.0);
        f[0] = sS / 2.0;                         /* relu(S(x_0)) halves a symmetric x_0 */
    }
}

void stats_predicted_factors(const NetConfig *cfg, double *f)
{
    size_t L = cfg->depth;
    double lam, sS;
    int sc = shortcut_class(cfg, &lam, &sS);
    fill(f, L, NAN);
    if (sc == SC_UNKNOWN) return;
    if (cfg->zero_last || cfg->branch_scale == 0.0) {      /* F = 0 either way */
        zero_last_factors(cfg, sc, lam, sS, f);
        return;
    }
    if (cfg->bn || cfg->bias_std != 0.0 || cfg->act == ACT_TANH) return;
    double n = (double)cfg->width, h = cfg->hidden ? (double)cfg->hidden : n, c = cfg->branch_scale;
    double G = c * c * layer_gain(cfg->init, cfg->act, n, h) * layer_gain(cfg->init, cfg->act, h, n);
    if (cfg->act == ACT_IDENTITY) fill(f, L, sS + G);
    else if (cfg->order == ORDER_PRE) fill(f, L, sS + G / 4.0);
    else if (sc != SC_LAMBDA) fill(f, L, (sS + G / 2.0) / 2.0);
    else if (G >= MF_MIN_G) meanfield_post(lam, G / 2.0, L, f);
}

double stats_predicted_factor(const NetConfig *cfg)
{
    size_t L = cfg->depth;
    double *f = L ? malloc(L * sizeof *f) : NULL, r;
    if (!f) return NAN;
    stats_predicted_factors(cfg, f);
    size_t same = 1;
    while (same < L && f[same] == f[L - 1]) same++;
    if (L == 1 || same == L) {                   /* one value: return it unrounded */
        r = f[L - 1];
    } else {                                     /* (prod f_2..f_L)^(1/(L-1)), via logs */
        double lg = 0.0;
        for (size_t l = 1; l < L; l++) lg += log(f[l]);
        r = exp(lg / (double)(L - 1));
    }
    free(f);
    return r;
}

void stats_response_std(const Net *net, double *out)
{
    for (size_t l = 0; l < net->cfg.depth; l++) {
        const gsl_matrix *f = net->cache[l]->f;
        double sum = 0.0, dev = 0.0, n = (double)(f->size1 * f->size2);
        for (size_t i = 0; i < f->size1; i++)
            for (size_t j = 0; j < f->size2; j++) sum += gsl_matrix_get(f, i, j);
        double mean = sum / n;                              /* two passes: no cancellation */
        for (size_t i = 0; i < f->size1; i++)
            for (size_t j = 0; j < f->size2; j++) {
                double d = gsl_matrix_get(f, i, j) - mean;
                dev += d * d;
            }
        out[l] = isfinite(dev) ? sqrt(dev / n) : NAN;       /* population std */
    }
}
