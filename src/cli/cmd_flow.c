/* cmd_flow.c: `reslab flow`: per-layer gradient norms ||dL/dx_l|| of a plain net and its
 * residual twin (same F in every block, same input), side by side. */
#include <stdlib.h>

#include "commands.h"
#include "common.h"
#include "flow_modes.h"

static void flow_usage(FILE *f)
{
    fprintf(f, "usage: reslab flow [options]\n"
               "Per-layer gradient norms ||dL/dx_l||_F, l = 0..L, for a plain net and its residual\n"
               "twin with the same branches F and the same input, loss L = 0.5 ||x_L||^2 / B.\n"
               "Residual: dL/dx_l = dL/dx_{l+1} (I + dF/dx_l); plain: dL/dx_{l+1} dF/dx_l.\n\n");
    opts_print_help(f, OPT_NET | OPT_OUTPUT | OPT_FLOW);
    fprintf(f, "\nexamples: reslab flow --depth 50 --width 32 --seed 3 --csv\n"
               "          reslab flow --sweep --depth 200 --bn\n");
}

static void flow_table(const CliOptions *o, const char *res_name, const double *plain,
                       const double *res)
{
    size_t L = o->net.depth;
    if (o->csv) {
        printf("layer,plain,%s\n", res_name);
        for (size_t l = 0; l <= L; l++) printf("%zu,%.17g,%.17g\n", l, plain[l], res[l]);
        return;
    }
    printf("reslab flow: per-layer gradient norms ||dL/dx_l||, loss L = 0.5 ||x_L||^2 / B\n");
    opts_describe(stdout, o);
    printf("%7s %18s %18s %14s\n", "layer", "plain", res_name, "ratio");
    for (size_t l = 0; l <= L; l++) {
        printf("%7zu ", l);
        cli_print_value(stdout, 18, plain[l]);
        printf(" ");
        cli_print_value(stdout, 18, res[l]);
        printf(" ");
        cli_print_value(stdout, 14, res[l] / plain[l]);
        printf("\n");
    }
    printf("gain ||dL/dx_0|| / ||dL/dx_L||:  plain ");
    cli_print_value(stdout, 0, plain[0] / plain[L]);
    printf("   %s ", res_name);
    cli_print_value(stdout, 0, res[0] / res[L]);
    printf("\n");
}

static int flow_npy(const CliOptions *o, const Net *plain, const Net *res, const double *pn,
                    const double *rn, const gsl_matrix *X)
{
    size_t n1[1] = {o->net.depth + 1}, xs[2] = {X->size1, X->size2};
    int rc = cli_write_npy("flow", o->npy_dir, "plain_grad_norms", pn, n1, 1);
    if (!rc) rc = cli_write_npy("flow", o->npy_dir, "residual_grad_norms", rn, n1, 1);
    if (!rc) rc = cli_write_stream("flow", o->npy_dir, "plain_x", plain, 0);
    if (!rc) rc = cli_write_stream("flow", o->npy_dir, "residual_x", res, 0);
    if (!rc) rc = cli_write_stream("flow", o->npy_dir, "plain_dx", plain, 1);
    if (!rc) rc = cli_write_stream("flow", o->npy_dir, "residual_dx", res, 1);
    if (!rc) rc = cli_write_npy("flow", o->npy_dir, "input", X->data, xs, 2);
    return rc;
}

static int flow_mode(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    switch (o->mode) {                         /* FLOW_NORMS is the table in cmd_flow */
    case FLOW_SWEEP: return flow_sweep(o, res, plain, X);
    case FLOW_JACOBIAN: return flow_jacobian(o, res, plain, X);
    case FLOW_PATHS: return flow_paths(o, res, plain, X);
    case FLOW_LESION: return flow_lesion(o, res, plain, X);
    case FLOW_STATS: return flow_stats(o, res, plain, X);
    case FLOW_SHATTER: return flow_shatter(o, res, plain, X);
    case FLOW_NORMS: break;
    }
    return 2;
}

int cmd_flow(int argc, char **argv)
{
    CliOptions o;
    opts_defaults(&o);
    o.net.param_grads = 0;                       /* only dL/dx_l is needed */
    int rc = opts_parse("flow", argc, argv, OPT_NET | OPT_OUTPUT | OPT_FLOW, flow_usage, &o);
    if (rc) return rc == OPTS_HELP ? 0 : 2;
    if (opts_check_net("flow", &o)) return 2;
    gsl_rng *rng = cli_rng(o.seed);
    Net *res = rng ? cli_net("flow", &o, o.net.shortcut, rng) : NULL;
    gsl_matrix *X = res ? cli_input(o.batch, net_input_width(res), rng) : NULL;
    Net *plain = X ? net_alloc_twin(res, SHORTCUT_NONE) : NULL;   /* same F, no shortcut */
    double *pn = calloc(o.net.depth + 1, sizeof *pn), *rn = calloc(o.net.depth + 1, sizeof *rn);
    rc = 2;
    if (plain && pn && rn) {
        if (o.mode != FLOW_NORMS) {
            rc = flow_mode(&o, res, plain, X);
            goto done;
        }
        net_forward(res, X);
        net_loss_backward(res);
        net_forward(plain, X);
        net_loss_backward(plain);
        net_grad_norms(plain, pn);
        net_grad_norms(res, rn);
        flow_table(&o, o.net.shortcut == SHORTCUT_NONE ? "plain (again)" : "residual", pn, rn);
        rc = o.npy_dir ? flow_npy(&o, plain, res, pn, rn, X) : 0;
    } else {
        fprintf(stderr, "reslab flow: out of memory\n");
    }
done:
    free(pn);
    free(rn);
    net_free(plain);
    net_free(res);
    gsl_matrix_free(X);
    gsl_rng_free(rng);
    return rc;
}
