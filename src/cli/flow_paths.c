/* flow_paths.c: `reslab flow --paths` (the unraveled view: path lengths and the gradient each
 * length carries, Veit et al. 2016) and `reslab flow --lesion` (delete one block at test time). */
#include <math.h>
#include <stdlib.h>

#include "common.h"
#include "flow_modes.h"
#include "status.h"
#include "paths.h"

static double frob(const gsl_matrix *m)
{
    double s = 0.0;
    for (size_t i = 0; i < m->size1 * m->size2; i++) s += m->data[i] * m->data[i];
    return sqrt(s);
}

/* ||v_k|| of the exact expansion by length, or NULL when the blocks are not linear. */
static double *linear_terms(Net *res, const gsl_matrix *X)
{
    size_t L = res->cfg.depth;
    char err[256];
    if (paths_linear_check(res, err, sizeof err) != RESLAB_OK) return NULL;
    gsl_matrix **v = calloc(L + 1, sizeof *v);
    double *norms = malloc((L + 1) * sizeof *norms);
    int ok = v && norms;
    for (size_t k = 0; ok && k <= L; k++) ok = (v[k] = gsl_matrix_alloc(res->batch, res->cfg.width)) != NULL;
    if (ok) {
        net_forward(res, X);
        ok = paths_by_length(res, net_x(res, 0), v, NULL, err, sizeof err) == RESLAB_OK;
    }
    for (size_t k = 0; ok && k <= L; k++) norms[k] = frob(v[k]);
    for (size_t k = 0; v && k <= L; k++) gsl_matrix_free(v[k]);
    free(v);
    if (!ok) {
        free(norms);
        return NULL;
    }
    return norms;
}

static void paths_print(const CliOptions *o, const PathsGradStats *st, const double *lin)
{
    size_t L = o->net.depth;
    if (o->csv) {
        printf("length,count,fraction,grad_mean,grad_sd,grad_total%s\n", lin ? ",norm_term" : "");
        for (size_t k = 0; k <= L; k++) {
            printf("%zu,%.17g,%.17g,%.17g,%.17g,%.17g", k, paths_length_counts(L, k),
                   paths_length_fraction(L, k), st[k].mean, st[k].sd, st[k].total);
            if (lin) printf(",%.17g", lin[k]);
            printf("\n");
        }
        return;
    }
    double mean, sd;
    paths_length_moments(L, &mean, &sd);
    printf("reslab flow --paths: the residual net unraveled into 2^%zu paths (Veit et al. 2016)\n", L);
    opts_describe(stdout, o);
    printf("path lengths: binomial(%zu, 1/2), mean %.4g, sd %.4g; gradient ||dL/dx_0|| through one\n"
           "path of length k, mean over %zu sampled paths (seed %lu); total = C(L,k) x mean%s\n",
           L, mean, sd, o->samples, o->seed + 2, lin ? "; ||term|| = the exact length-k part of x_L" : "");
    printf("%7s %12s %11s %14s %14s %14s%s\n", "length", "paths", "fraction", "grad mean", "grad sd",
           "grad total", lin ? "         ||term||" : "");
    for (size_t k = 0; k <= L; k++) {
        printf("%7zu %12.6g %11.4e ", k, paths_length_counts(L, k), paths_length_fraction(L, k));
        cli_print_value(stdout, 14, st[k].mean);
        printf(" ");
        cli_print_value(stdout, 14, st[k].sd);
        printf(" ");
        cli_print_value(stdout, 14, st[k].total);
        if (lin) {
            printf(" ");
            cli_print_value(stdout, 16, lin[k]);
        }
        printf("\n");
    }
}

int flow_paths(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    size_t L = o->net.depth;
    char err[256];
    PathsGradStats *st = calloc(L + 1, sizeof *st);
    gsl_rng *rng = cli_rng(o->seed + 2);
    PathsGradOptions po = {.samples = o->samples, .enumerate = 0};
    int rc = st && rng ? paths_grad_by_length(res, X, &po, rng, st, NULL, err, sizeof err)
                       : status_set(err, sizeof err, RESLAB_ERR_NOMEM, "out of memory");
    double *lin = rc ? NULL : linear_terms(res, X);
    if (rc) {
        fprintf(stderr, "reslab flow: --paths: %s\n", err);
        rc = 2;
    } else {
        paths_print(o, st, lin);
    }
    if (!rc && o->npy_dir) {
        double *m = malloc((L + 1) * sizeof *m);
        size_t shape[1] = {L + 1};
        for (size_t k = 0; m && k <= L; k++) m[k] = st[k].mean;
        rc = m ? cli_write_npy("flow", o->npy_dir, "path_grad_mean", m, shape, 1) : 2;
        if (!rc && lin) rc = cli_write_npy("flow", o->npy_dir, "path_term_norms", lin, shape, 1);
        free(m);
    }
    free(lin);
    free(st);
    gsl_rng_free(rng);
    return rc;
}

int flow_lesion(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    size_t L = o->net.depth;
    double *rp = malloc(L * sizeof *rp), *rr = malloc(L * sizeof *rr);
    int bad_p = 0, bad_r = 0, rc = 2;
    char err[256] = "out of memory";
    if (rp && rr && paths_lesion(plain, X, rp, &bad_p, err, sizeof err) == RESLAB_OK &&
        paths_lesion(res, X, rr, &bad_r, err, sizeof err) == RESLAB_OK)
        rc = 0;
    if (rc) {
        fprintf(stderr, "reslab flow: --lesion: %s\n", err);
    } else if (o->csv) {
        printf("deleted_block,plain_rel_change,residual_rel_change\n");
        for (size_t k = 0; k < L; k++) printf("%zu,%.17g,%.17g\n", k + 1, rp[k], rr[k]);
    } else {
        printf("reslab flow --lesion: delete block k at test time (x_k = x_{k-1}); relative change\n"
               "of the output ||x_L' - x_L|| / ||x_L|| (Veit et al. 2016, section 4.1)\n");
        opts_describe(stdout, o);
        printf("%7s %18s %18s\n", "deleted", "plain", "residual");
        for (size_t k = 0; k < L; k++) {
            printf("%7zu ", k + 1);
            cli_print_value(stdout, 18, rp[k]);
            printf(" ");
            cli_print_value(stdout, 18, rr[k]);
            printf("\n");
        }
        if (bad_p || bad_r) printf("overflow: some outputs held inf or NaN (shown as overflow/nan)\n");
    }
    if (!rc && o->npy_dir) {
        size_t shape[1] = {L};
        rc = cli_write_npy("flow", o->npy_dir, "lesion_plain", rp, shape, 1);
        if (!rc) rc = cli_write_npy("flow", o->npy_dir, "lesion_residual", rr, shape, 1);
    }
    free(rp);
    free(rr);
    return rc;
}
