/* flow_sweep.c: `reslab flow --sweep`: the gradient reaching the input, ||dL/dx_0||, and the loss
 * of every prefix net of depth d = 1..L, plain and residual, from the incremental sweep. */
#include <math.h>
#include <stdlib.h>

#include "common.h"
#include "flow_modes.h"
#include "sweep.h"

/* Runs the sweep; rows[d - 1] gets ||dL/dx_0|| and loss; all[(d - 1) (L + 1) + l] every norm
 * (NaN for l > d). */
static int run(Net *net, const gsl_matrix *X, double *g0, double *loss, double *all)
{
    size_t L = net->cfg.depth;
    Sweep *s = sweep_alloc(net, X);
    if (!s) return 2;
    for (size_t d = 1; d <= L; d++) {
        sweep_step(s);
        g0[d - 1] = s->norms[0];
        loss[d - 1] = s->loss;
        for (size_t l = 0; l <= L; l++) all[(d - 1) * (L + 1) + l] = l <= d ? s->norms[l] : NAN;
    }
    sweep_free(s);
    return 0;
}

static void print_table(const CliOptions *o, const double *pg, const double *pl, const double *rg,
                        const double *rl)
{
    size_t L = o->net.depth;
    if (o->csv) {
        printf("depth,plain_grad_x0,residual_grad_x0,plain_loss,residual_loss\n");
        for (size_t d = 1; d <= L; d++)
            printf("%zu,%.17g,%.17g,%.17g,%.17g\n", d, pg[d - 1], rg[d - 1], pl[d - 1], rl[d - 1]);
        return;
    }
    printf("reslab flow --sweep: prefix nets of depth d = 1..%zu, loss L_d = 0.5 ||x_d||^2 / B\n", L);
    opts_describe(stdout, o);
    printf("%7s %18s %18s %18s %18s\n", "depth", "plain ||dL/dx_0||", "resid ||dL/dx_0||",
           "plain loss", "residual loss");
    for (size_t d = 1; d <= L; d++) {
        printf("%7zu ", d);
        cli_print_value(stdout, 18, pg[d - 1]);
        printf(" ");
        cli_print_value(stdout, 18, rg[d - 1]);
        printf(" ");
        cli_print_value(stdout, 18, pl[d - 1]);
        printf(" ");
        cli_print_value(stdout, 18, rl[d - 1]);
        printf("\n");
    }
}

int flow_sweep(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    size_t L = o->net.depth;
    double *buf = malloc((4 * L + 2 * L * (L + 1)) * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "reslab flow: out of memory for the sweep tables\n");
        return 2;
    }
    double *pg = buf, *pl = pg + L, *rg = pl + L, *rl = rg + L, *pall = rl + L, *rall = pall + L * (L + 1);
    int rc = run(plain, X, pg, pl, pall) || run(res, X, rg, rl, rall) ? 2 : 0;
    if (!rc) print_table(o, pg, pl, rg, rl);
    if (!rc && o->npy_dir) {
        size_t shape[2] = {L, L + 1};
        rc = cli_write_npy("flow", o->npy_dir, "sweep_plain_norms", pall, shape, 2);
        if (!rc) rc = cli_write_npy("flow", o->npy_dir, "sweep_residual_norms", rall, shape, 2);
    }
    if (rc == 2 && !o->npy_dir) fprintf(stderr, "reslab flow: out of memory in the sweep\n");
    free(buf);
    return rc;
}
