/* cmd_gradcheck.c: `reslab gradcheck`: every analytic gradient of a net (or of one block)
 * against central differences, with the verdict by the documented thresholds. */
#include <string.h>

#include "commands.h"
#include "common.h"
#include "status.h"
#include "netcheck.h"

static void gradcheck_usage(FILE *f)
{
    fprintf(f, "usage: reslab gradcheck [options]\n"
               "Checks every parameter gradient and dL/dX of a net (or, with --block, of one block)\n"
               "against central differences (f(t+h) - f(t-h)) / 2h, loss L = 0.5 ||x_L||^2 / B.\n"
               "Relative error |a - n| / max(|a|, |n|, tiny): below 1e-7 correct, up to 1e-4\n"
               "suspect, above wrong (docs/math.md). Entries whose step crosses a ReLU kink are\n"
               "reported and left out. Exit status 0 if every tensor is correct, 1 if not.\n\n");
    opts_print_help(f, OPT_NET | OPT_OUTPUT | OPT_GRADCHECK);
    fprintf(f, "\nexamples: reslab gradcheck --depth 20 --act tanh --init glorot\n"
               "          reslab gradcheck --block --in-width 3 --width 5 --shortcut project\n");
}

static void print_row(const GradcheckResult *r)
{
    printf("  %-14s %7zu %7zu %5zu  %10.3e %7zu  % .9e  % .9e  %s\n", r->name, r->len, r->checked,
           r->kinks, r->worst_rel, r->worst_index, r->worst_analytic, r->worst_numeric,
           gradcheck_verdict_name(r->verdict));
}

/* The kind of a tensor: the part after "blockN.", or the whole name ("input", "input.W"). */
static const char *kind_of(const NetcheckReport *rep, size_t i)
{
    const char *dot = strchr(rep->names[i], '.');
    return rep->layer[i] && dot ? dot + 1 : rep->names[i];
}

/* One row per kind, in order of first appearance: totals over the blocks and the worst entry. */
static void print_grouped(const NetcheckReport *rep)
{
    for (size_t k = 0; k < rep->count; k++) {
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++) seen = strcmp(kind_of(rep, j), kind_of(rep, k)) == 0;
        if (seen) continue;
        GradcheckResult agg = rep->results[k];
        agg.len = agg.checked = agg.kinks = 0;
        agg.verdict = GRADCHECK_UNCHECKED;
        for (size_t i = k; i < rep->count; i++) {
            const GradcheckResult *r = &rep->results[i];
            if (strcmp(kind_of(rep, i), kind_of(rep, k)) != 0) continue;
            agg.len += r->len, agg.checked += r->checked, agg.kinks += r->kinks;
            if (r->worst_rel > agg.worst_rel) {
                GradcheckResult keep = agg;
                agg = *r;
                agg.len = keep.len, agg.checked = keep.checked, agg.kinks = keep.kinks;
                agg.verdict = keep.verdict;
            }
            if (r->verdict != GRADCHECK_UNCHECKED && (agg.verdict == GRADCHECK_UNCHECKED || r->verdict > agg.verdict))
                agg.verdict = r->verdict;
        }
        print_row(&agg);
    }
}

static int report(const CliOptions *o, const NetcheckReport *rep)
{
    GradcheckVerdict v = netcheck_worst(rep);
    if (o->csv) {
        printf("tensor,entries,checked,kinks,worst_rel,worst_index,analytic,numeric,verdict\n");
        for (size_t i = 0; i < rep->count; i++) {
            const GradcheckResult *r = &rep->results[i];
            printf("%s,%zu,%zu,%zu,%.17g,%zu,%.17g,%.17g,%s\n", rep->names[i], r->len, r->checked,
                   r->kinks, r->worst_rel, r->worst_index, r->worst_analytic, r->worst_numeric,
                   gradcheck_verdict_name(r->verdict));
        }
        return v == GRADCHECK_OK ? 0 : 1;
    }
    printf("  %-14s %7s %7s %5s  %10s %7s  %16s  %16s  %s\n", "tensor", "entries", "checked",
           "kinks", "worst rel", "index", "analytic", "numeric", "verdict");
    if (o->verbose || o->block)
        for (size_t i = 0; i < rep->count; i++) print_row(&rep->results[i]);
    else
        print_grouped(rep);
    size_t checked = 0, kinks = 0, wi = 0;
    for (size_t i = 0; i < rep->count; i++) {
        checked += rep->results[i].checked, kinks += rep->results[i].kinks;
        if (rep->results[i].worst_rel > rep->results[wi].worst_rel) wi = i;
    }
    printf("summary: %zu tensors, %zu entries checked, %zu kink crossings left out, worst %.3e "
           "(%s[%zu]): %s\n", rep->count, checked, kinks, rep->results[wi].worst_rel,
           rep->names[wi], rep->results[wi].worst_index, gradcheck_verdict_name(v));
    printf("thresholds: below %.0e correct, up to %.0e suspect, above wrong (docs/math.md)\n",
           GRADCHECK_OK_BELOW, GRADCHECK_WRONG_ABOVE);
    return v == GRADCHECK_OK ? 0 : 1;
}

static int check_block(const CliOptions *o, const GradcheckOptions *go, gsl_rng *rng,
                       NetcheckReport *rep, char *err, size_t errlen)
{
    const NetConfig *n = &o->net;
    BlockConfig cfg = {n->input_width ? n->input_width : n->width, n->width,
                       n->hidden ? n->hidden : n->width, n->act, n->shortcut, n->order, n->lambda,
                       n->bn, n->dropout_p};
    if (block_config_check(&cfg, err, errlen)) return 2;
    BlockParams *p = block_params_alloc(&cfg);
    gsl_matrix *x = p ? cli_input(o->batch, cfg.n_in, rng) : NULL;
    int rc = !x || net_draw_block(n, p, rng) ? RESLAB_ERR_NOMEM
                                         : netcheck_block(&cfg, p, x, go, rep, err, errlen);
    if (rc == RESLAB_ERR_NOMEM) status_set(err, errlen, rc, "out of memory");
    block_params_free(p);
    gsl_matrix_free(x);
    return rc ? 2 : 0;
}

static int check_net(const CliOptions *o, const GradcheckOptions *go, gsl_rng *rng,
                     NetcheckReport *rep, char *err, size_t errlen)
{
    if (net_config_check(&o->net, o->batch, o->max_memory, err, errlen)) return 2;
    Net *net = cli_net("gradcheck", o, o->net.shortcut, rng);
    gsl_matrix *X = net ? cli_input(o->batch, net_input_width(net), rng) : NULL;
    int rc = X ? netcheck_net(net, X, go, rep, err, errlen) : status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    net_free(net);
    gsl_matrix_free(X);
    return rc ? 2 : 0;
}

static void print_header(const CliOptions *o)
{
    if (!o->csv) {
        printf("reslab gradcheck: central differences, h = %g, loss L = 0.5 ||x_L||^2 / B\n", o->step);
        if (o->block) printf("one block: in-width %zu  ", o->net.input_width ? o->net.input_width : o->net.width);
        printf("shortcut %s  ", block_shortcut_name(o->net.shortcut));
        opts_describe(stdout, o);
    }
}

int cmd_gradcheck(int argc, char **argv)
{
    CliOptions o;
    opts_defaults(&o);
    o.net.depth = 20;
    o.net.width = 8;
    o.batch = 3;
    int rc = opts_parse("gradcheck", argc, argv, OPT_NET | OPT_OUTPUT | OPT_GRADCHECK,
                        gradcheck_usage, &o);
    if (rc) return rc == OPTS_HELP ? 0 : 2;
    gsl_rng *rng = cli_rng(o.seed), *sample = cli_rng(o.seed + 1);
    GradcheckOptions go = {o.step, o.entries, sample};
    NetcheckReport rep;
    char err[256] = "";
    rc = o.block ? check_block(&o, &go, rng, &rep, err, sizeof err)
                 : check_net(&o, &go, rng, &rep, err, sizeof err);
    if (rc) {
        fprintf(stderr, "reslab gradcheck: %s\n", err);
    } else {
        print_header(&o);
        rc = report(&o, &rep);
        netcheck_report_free(&rep);
    }
    gsl_rng_free(rng);
    gsl_rng_free(sample);
    return rc;
}
