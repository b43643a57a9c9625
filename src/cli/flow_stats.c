/* flow_stats.c: `reslab flow --stats` (activation statistics by layer and the variance growth
 * the theory predicts) and `reslab flow --shatter` (shattered gradients by depth). */
#include <math.h>
#include <stdlib.h>

#include "common.h"
#include "flow_modes.h"
#include "shatter.h"
#include "stats.h"
#include "status.h"

typedef struct {
    StatsLayer *layers;      /* [L + 1] */
    double *response;        /* [L] std of F per block */
    double *pred;            /* [L] predicted factor per block, NaN where unknown */
} NetStats;

static int measure(Net *net, const gsl_matrix *X, NetStats *s)
{
    size_t L = net->cfg.depth;
    s->layers = calloc(L + 1, sizeof *s->layers);
    s->response = calloc(L, sizeof *s->response);
    s->pred = calloc(L, sizeof *s->pred);
    if (!s->layers || !s->response || !s->pred) return 2;
    net_forward(net, X);
    stats_layers(net, s->layers);
    stats_response_std(net, s->response);
    stats_predicted_factors(&net->cfg, s->pred);
    return 0;
}

static void stats_free(NetStats *s)
{
    free(s->layers);
    free(s->response);
    free(s->pred);
}

/* One net's rows: layer, mean, std, q, q_l / q_{l-1}, predicted, dead, response std. */
static void print_net(const char *name, size_t L, const NetStats *s)
{
    printf("%s\n%7s %12s %12s %12s %10s %10s %8s %12s\n", name, "layer", "mean", "std",
           "q = E x^2", "q ratio", "predicted", "dead", "resp. std");
    for (size_t l = 0; l <= L; l++) {
        const StatsLayer *x = &s->layers[l];
        printf("%7zu ", l);
        cli_print_value(stdout, 12, x->mean);
        printf(" ");
        cli_print_value(stdout, 12, x->std);
        printf(" ");
        cli_print_value(stdout, 12, x->q);
        if (l == 0) {
            printf(" %10s %10s %8s %12s\n", "", "", "", "");
            continue;
        }
        printf(" ");
        cli_print_value(stdout, 10, x->q / s->layers[l - 1].q);
        printf(" %10.4g %8.3f ", s->pred[l - 1], x->dead_hidden);
        cli_print_value(stdout, 12, s->response[l - 1]);
        printf("%s\n", x->overflow ? "  overflow" : "");
    }
}

int flow_stats(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    size_t L = o->net.depth;
    NetStats p = {0}, r = {0};
    int rc = measure(plain, X, &p) || measure(res, X, &r) ? 2 : 0;
    if (rc) {
        fprintf(stderr, "reslab flow: out of memory for the statistics\n");
    } else if (o->csv) {
        printf("net,layer,mean,std,q,dead_hidden,response_std,predicted_factor\n");
        for (int k = 0; k < 2; k++)
            for (size_t l = 0; l <= L; l++) {
                const NetStats *s = k ? &r : &p;
                printf("%s,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", k ? "residual" : "plain", l,
                       s->layers[l].mean, s->layers[l].std, s->layers[l].q, s->layers[l].dead_hidden,
                       l ? s->response[l - 1] : NAN, l ? s->pred[l - 1] : NAN);
            }
    } else {
        printf("reslab flow --stats: the stream x_l by layer; q ratio = q_l / q_{l-1} measured,\n"
               "predicted = mean-field theory (nan where none is known); dead = fraction of hidden\n"
               "ReLU units off for the whole batch; resp. std = std of the branch output F (He et al.\n"
               "2015, Fig. 7, which plots it after training)\n");
        opts_describe(stdout, o);
        print_net("plain", L, &p);
        print_net("residual", L, &r);
    }
    if (!rc && o->npy_dir) {
        double *q = malloc(2 * (L + 1) * sizeof *q);
        size_t shape[2] = {2, L + 1};
        for (size_t l = 0; q && l <= L; l++) q[l] = p.layers[l].q, q[L + 1 + l] = r.layers[l].q;
        rc = q ? cli_write_npy("flow", o->npy_dir, "second_moment_plain_residual", q, shape, 2) : 2;
        free(q);
    }
    stats_free(&p);
    stats_free(&r);
    return rc;
}

/* Depths 1, 2, 5, 10, 20, 50, ... up to L, and L itself. */
static size_t shatter_depths(size_t L, size_t *d)
{
    static const size_t steps[] = {1, 2, 5};
    size_t k = 0;
    for (size_t dec = 1; dec <= L; dec *= 10)
        for (size_t i = 0; i < 3; i++)
            if (steps[i] * dec < L) d[k++] = steps[i] * dec;
    d[k++] = L;
    return k;
}

int flow_shatter(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    const char *names[] = {"plain", "residual", "residual + BN"};
    size_t depths[64], nd = shatter_depths(o->net.depth, depths);
    ShatterDepth out[3][64];
    ShatterOptions so = shatter_options_default();
    so.seed = o->seed;
    char err[256];
    int nets = o->net.bn ? 3 : 2;   /* batch norm: one backward pass per input, 256x the cost */
    for (int k = 0; k < nets; k++) {
        NetConfig cfg = o->net;
        cfg.input_width = 1;
        cfg.param_grads = 0;
        if (!o->width_given) cfg.width = shatter_config_default().width;   /* 200, as the paper */
        cfg.shortcut = k == 0 ? SHORTCUT_NONE : o->net.shortcut == SHORTCUT_NONE ? SHORTCUT_IDENTITY : o->net.shortcut;
        cfg.bn = k == 2;                 /* statistics over the 256 sweep inputs themselves */
        if (cfg.bias_std == 0.0) cfg.bias_std = SHATTER_BIAS_STD;   /* zero biases cannot shatter */
        if (shatter_sweep(&cfg, &so, depths, nd, out[k], err, sizeof err)) {
            fprintf(stderr, "reslab flow: --shatter: %s\n", err);
            return 2;
        }
    }
    if (o->csv) {
        printf("depth,plain_acf4,plain_acf4_sd,residual_acf4,residual_acf4_sd,residual_bn_acf4,residual_bn_acf4_sd\n");
        for (size_t i = 0; i < nd; i++)
            printf("%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", depths[i], out[0][i].acf4, out[0][i].acf4_sd,
                   out[1][i].acf4, out[1][i].acf4_sd, nets > 2 ? out[2][i].acf4 : NAN,
                   nets > 2 ? out[2][i].acf4_sd : NAN);
        return 0;
    }
    printf("reslab flow --shatter: dy/dx along %zu inputs on [-2, 2], y = w . x_L; its lag-%d\n"
           "autocorrelation (1: smooth; near 0: white noise), mean +- sd over %zu seeds from %lu\n",
           so.points, SHATTER_LAG, so.seeds, so.seed);
    opts_describe(stdout, o);
    printf("(input width 1, width %zu, batch %zu; biases N(0, %.3g^2))\n%7s",
           o->width_given ? o->net.width : shatter_config_default().width, so.points,
           o->net.bias_std > 0 ? o->net.bias_std : SHATTER_BIAS_STD, "depth");
    for (int k = 0; k < nets; k++) printf(" %22s", names[k]);
    printf("\n");
    for (size_t i = 0; i < nd; i++) {
        printf("%7zu", depths[i]);
        for (int k = 0; k < nets; k++) printf("   %9.4f +- %8.4f", out[k][i].acf4, out[k][i].acf4_sd);
        printf("\n");
    }
    if (nets > 2)
        printf("batch norm here takes its statistics over the sweep's inputs (training mode), so\n"
               "each unit is rescaled to unit variance along the sweep\n");
    return 0;
}
