/* common.c: helpers shared by reslab's subcommands. */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "npy.h"

gsl_rng *cli_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r) gsl_rng_set(r, seed);
    return r;
}

Net *cli_net(const char *cmd, const CliOptions *o, ShortcutKind shortcut, gsl_rng *rng)
{
    NetConfig cfg = o->net;
    cfg.shortcut = shortcut;
    Net *net = net_alloc(&cfg, o->batch, rng);
    if (!net) fprintf(stderr, "reslab %s: out of memory allocating the net\n", cmd);
    else net_dropout_draw(net, rng);             /* dropout shortcuts: one fixed mask */
    return net;
}

gsl_matrix *cli_input(size_t B, size_t width, gsl_rng *rng)
{
    gsl_matrix *X = gsl_matrix_alloc(B, width);
    if (!X) return NULL;
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < width; j++) gsl_matrix_set(X, i, j, gsl_ran_gaussian(rng, 1.0));
    return X;
}

void cli_print_value(FILE *f, int w, double v)
{
    if (isnan(v)) fprintf(f, "%*s", w, "nan");
    else if (isinf(v)) fprintf(f, "%*s", w, "overflow");
    else if (v == 0.0) fprintf(f, "%*s", w, "0");
    else fprintf(f, "%*.4e", w, v);
}

int cli_write_npy(const char *cmd, const char *dir, const char *name, const double *data,
                  const size_t *shape, int ndim)
{
    char path[4096], err[512];
    int n = snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "reslab %s: --npy: path too long: %s/%s.npy\n", cmd, dir, name);
        return 2;
    }
    if (npy_write(path, data, shape, ndim, err, sizeof err)) {
        fprintf(stderr, "reslab %s: --npy: %s\n", cmd, err);
        return 2;
    }
    return 0;
}

int cli_write_stream(const char *cmd, const char *dir, const char *name, const Net *net, int grads)
{
    size_t L = net->cfg.depth, B = net->batch, n = net->cfg.width;
    double *buf = malloc((L + 1) * B * n * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "reslab %s: --npy: out of memory for %s\n", cmd, name);
        return 2;
    }
    for (size_t l = 0; l <= L; l++) {
        const gsl_matrix *m = grads ? net->dx[l] : net_x(net, l);
        for (size_t i = 0; i < B; i++)
            memcpy(buf + (l * B + i) * n, gsl_matrix_const_ptr(m, i, 0), n * sizeof *buf);
    }
    size_t shape[3] = {L + 1, B, n};
    int rc = cli_write_npy(cmd, dir, name, buf, shape, 3);
    free(buf);
    return rc;
}
