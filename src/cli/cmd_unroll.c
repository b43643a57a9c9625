/* cmd_unroll.c: `reslab unroll`: x_L by stepping through the blocks against the unrolled sum
 * x_0 + sum_l F(x_{l-1}) (He et al. 2016, Eq. 4), and the popular wrong two-block expansion. */
#include <math.h>
#include <stdlib.h>

#include "commands.h"
#include "common.h"
#include "status.h"
#include "unroll.h"

#define UNROLL_BOUND 1e-12   /* the bound reslab promises where Eq. 4 applies */

static void unroll_usage(FILE *f)
{
    fprintf(f, "usage: reslab unroll [options]\n"
               "Checks x_L = x_0 + sum_{l=1}^{L} F(x_{l-1}) (He et al. 2016, Eq. 4) and evaluates\n"
               "the popular wrong expansion x_2 = x + F1(x) + F2(x) against the correct\n"
               "x_2 = x + F1(x) + F2(x + F1(x)). Default order: pre (f = identity, where Eq. 4 holds).\n\n");
    opts_print_help(f, OPT_NET | OPT_OUTPUT);
    fprintf(f, "\nexamples: reslab unroll --depth 1000 --width 32 --branch-scale 0.0316\n"
               "          reslab unroll --order post      (Eq. 4 fails: f = ReLU after the sum)\n"
               "          reslab unroll --act identity    (linear blocks: four paths)\n");
}

static const char *why_not_exact(const Net *net)
{
    if (net->block.shortcut == SHORTCUT_NONE) return "no: a plain net has no shortcut";
    if (net->block.shortcut == SHORTCUT_SCALED) return "no: scaled shortcut, x_l = lambda x_{l-1} + F (Eq. 6)";
    if (block_has_projection(&net->block)) return "no: projection shortcut, x_l = Ws x_{l-1} + F";
    if (block_has_gate(&net->block)) return "no: gated shortcut, x_l = (1 - g) x_{l-1} + ...";
    if (net->block.shortcut == SHORTCUT_DROPOUT) return "no: dropout shortcut, x_l = m x_{l-1} + F";
    return "no: post-activation, x_l = s(x_{l-1} + F) with s not the identity";
}

static void unroll_print(const CliOptions *o, const Net *net, const UnrollReport *r,
                         const UnrollExpansion *e, int have_e)
{
    printf("reslab unroll: x_L stepped through the blocks vs x_0 + sum_l F(x_{l-1})  "
           "(He et al. 2016, Eq. 4)\n");
    opts_describe(stdout, o);
    printf("  form x_l = x_{l-1} + F(x_{l-1}):  %s\n",
           r->exact_form ? "yes (identity shortcut, f = identity)" : why_not_exact(net));
    if (r->overflow) {
        printf("  x_L overflowed (inf or NaN): the activations exploded; a shortcut alone does\n"
               "  not prevent that. Try --branch-scale 1/sqrt(L) or --zero-last.\n");
    } else {
        printf("  max |x_L - (x_0 + sum F)| = %.3e\n  max |x_L|                 = %.3e\n",
               r->max_abs_diff, r->max_abs_xL);
        printf("  relative difference       = %.3e  (%s)\n", r->rel_diff,
               r->rel_diff <= UNROLL_BOUND ? "Eq. 4 holds to 1e-12"
                                           : "Eq. 4 does not hold for this net");
    }
    if (!have_e) return;
    printf("two blocks, x = x_0 (Frobenius norms over the batch):\n"
           "  correct     x_2 = x + F1(x) + F2(x + F1(x))\n");
    printf("  wrong       x + F1(x) + F2(x)                   rel error %.3e  (drops the cross "
           "term, ||F2(x+F1(x)) - F2(x)|| = %.3e)\n", e->rel_dropped, e->norm_cross);
    printf("  split       F2(x + F1(x)) = F2(x) + F2(F1(x))   rel error %.3e  (%s)\n",
           e->rel_split, e->linear ? "F2 linear: holds" : "F2 not linear: fails");
    if (e->linear)
        printf("  four paths  x + M1 x + M2 x + M2 M1 x           rel error %.3e  (M = W2 W1)\n",
               e->rel_fourpath);
    else
        printf("  four paths  only for linear blocks (--act identity, --bias-std 0)\n");
}

int cmd_unroll(int argc, char **argv)
{
    CliOptions o;
    opts_defaults(&o);
    o.net.param_grads = 0;
    int rc = opts_parse("unroll", argc, argv, OPT_NET | OPT_OUTPUT, unroll_usage, &o);
    if (rc) return rc == OPTS_HELP ? 0 : 2;
    if (!o.order_given) o.net.order = ORDER_PRE;
    if (opts_check_net("unroll", &o)) return 2;
    gsl_rng *rng = cli_rng(o.seed);
    Net *net = rng ? cli_net("unroll", &o, o.net.shortcut, rng) : NULL;
    gsl_matrix *X = net ? cli_input(o.batch, net_input_width(net), rng) : NULL;
    double *contrib = calloc(o.net.depth, sizeof *contrib);
    UnrollReport r;
    UnrollExpansion e;
    rc = 2;
    if (!X || !contrib) {
        fprintf(stderr, "reslab unroll: out of memory\n");
        goto done;
    }
    net_forward(net, X);
    if (unroll_check(net, &r, contrib)) {
        fprintf(stderr, "reslab unroll: out of memory for the unrolled sum\n");
        goto done;
    }
    int have_e = o.net.depth >= 2 && unroll_expansion(net, &e) == RESLAB_OK;
    if (o.csv) {
        printf("layer,norm_F\n");
        for (size_t l = 0; l < o.net.depth; l++) printf("%zu,%.17g\n", l + 1, contrib[l]);
    } else {
        unroll_print(&o, net, &r, &e, have_e);
    }
    rc = 0;
    if (o.npy_dir) {
        size_t shape[1] = {o.net.depth};
        rc = cli_write_npy("unroll", o.npy_dir, "branch_norms", contrib, shape, 1);
        if (!rc) rc = cli_write_stream("unroll", o.npy_dir, "x", net, 0);
    }
done:
    free(contrib);
    gsl_matrix_free(X);
    net_free(net);
    gsl_rng_free(rng);
    return rc;
}
