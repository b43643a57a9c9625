/* flow_jacobian.c: `reslab flow --jacobian`: the singular values of the input-output Jacobian
 * dx_L/dx_0 of one example and of every block's Jacobian, plain net vs residual twin. */
#include <math.h>
#include <stdlib.h>

#include "common.h"
#include "flow_modes.h"
#include "jacobian.h"
#include "status.h"

typedef struct {
    gsl_matrix *J;
    gsl_vector *s;           /* singular values of J, descending */
    double *blocks;          /* [L * n]: singular values of each J_l, or NULL (batch norm) */
    int overflow;
} JacResult;

/* Jacobian, its singular values and the per-block ones for net at example b. */
static int analyse(const CliOptions *o, Net *net, const gsl_matrix *X, JacResult *r)
{
    size_t n = o->net.width, L = o->net.depth;
    JacobianWork *w = jacobian_work_alloc(net);
    r->J = gsl_matrix_alloc(n, n);
    r->s = gsl_vector_alloc(n);
    gsl_matrix **Jl = net->cfg.bn ? NULL : calloc(L, sizeof *Jl);
    int rc = w && r->J && r->s && (net->cfg.bn || Jl) ? RESLAB_OK : RESLAB_ERR_NOMEM;
    for (size_t l = 0; rc == RESLAB_OK && Jl && l < L; l++)
        if (!(Jl[l] = gsl_matrix_alloc(n, n))) rc = RESLAB_ERR_NOMEM;
    if (rc == RESLAB_OK) {
        net_forward(net, X);
        rc = jacobian_net(net, o->example, r->J, w);
        if (rc == RESLAB_OK) rc = jacobian_singular_values(r->J, r->s, w);
        r->overflow = rc == JACOBIAN_OVERFLOW;
        if (r->overflow) rc = RESLAB_OK;
    }
    if (rc == RESLAB_OK && Jl && (r->blocks = malloc(L * n * sizeof *r->blocks))) {
        int brc = jacobian_blocks(net, o->example, Jl);
        for (size_t l = 0; l < L; l++) {
            gsl_vector_view v = gsl_vector_view_array(r->blocks + l * n, n);
            if (brc != RESLAB_OK || jacobian_singular_values(Jl[l], &v.vector, w) != RESLAB_OK)
                gsl_vector_set_all(&v.vector, NAN);
        }
    }
    for (size_t l = 0; Jl && l < L; l++) gsl_matrix_free(Jl[l]);
    free(Jl);
    jacobian_work_free(w);
    return rc;
}

static void print_spectrum(const char *name, const JacResult *r, size_t n)
{
    printf("  %-9s", name);
    if (r->overflow) {
        printf(" overflow: dx_L/dx_0 has inf or NaN entries (the net exploded)\n");
        return;
    }
    printf(" s_max ");
    cli_print_value(stdout, 0, gsl_vector_get(r->s, 0));
    printf("  s_min ");
    cli_print_value(stdout, 0, gsl_vector_get(r->s, n - 1));
    printf("  condition ");
    double kappa = jacobian_condition(r->s);
    if (isinf(kappa)) printf("inf (singular: s_min = 0)");
    else cli_print_value(stdout, 0, kappa);
    printf("\n            all:");
    for (size_t i = 0; i < n; i++) printf(" %.3g", gsl_vector_get(r->s, i));
    printf("\n");
}

static void print_tables(const CliOptions *o, const JacResult *p, const JacResult *r)
{
    size_t n = o->net.width, L = o->net.depth;
    if (o->csv) {
        printf("block,plain_smax,plain_smin,residual_smax,residual_smin\n");
        for (size_t l = 0; p->blocks && r->blocks && l < L; l++)
            printf("%zu,%.17g,%.17g,%.17g,%.17g\n", l + 1, p->blocks[l * n], p->blocks[l * n + n - 1],
                   r->blocks[l * n], r->blocks[l * n + n - 1]);
        return;
    }
    printf("reslab flow --jacobian: J = dx_L/dx_0 of example %zu, its singular values\n", o->example);
    opts_describe(stdout, o);
    print_spectrum("plain", p, n);
    print_spectrum("residual", r, n);
    if (!p->blocks || !r->blocks) {
        printf("per-block Jacobians: not defined with batch norm (it couples the examples)\n");
        return;
    }
    printf("per-block Jacobians J_l = dx_l/dx_{l-1}:\n%7s %14s %14s %14s %14s\n", "block",
           "plain s_max", "plain s_min", "resid s_max", "resid s_min");
    for (size_t l = 0; l < L; l++) {
        printf("%7zu ", l + 1);
        const double v[4] = {p->blocks[l * n], p->blocks[l * n + n - 1], r->blocks[l * n],
                             r->blocks[l * n + n - 1]};
        for (int k = 0; k < 4; k++) {
            cli_print_value(stdout, 14, v[k]);
            printf(" ");
        }
        printf("\n");
    }
}

static int write_npy(const CliOptions *o, const JacResult *p, const JacResult *r)
{
    size_t n = o->net.width, L = o->net.depth, sq[2] = {n, n}, one[1] = {n}, bl[2] = {L, n};
    int rc = cli_write_npy("flow", o->npy_dir, "jacobian_plain", p->J->data, sq, 2);
    if (!rc) rc = cli_write_npy("flow", o->npy_dir, "jacobian_residual", r->J->data, sq, 2);
    if (!rc) rc = cli_write_npy("flow", o->npy_dir, "singular_values_plain", p->s->data, one, 1);
    if (!rc) rc = cli_write_npy("flow", o->npy_dir, "singular_values_residual", r->s->data, one, 1);
    if (!rc && p->blocks) rc = cli_write_npy("flow", o->npy_dir, "block_singular_values_plain", p->blocks, bl, 2);
    if (!rc && r->blocks) rc = cli_write_npy("flow", o->npy_dir, "block_singular_values_residual", r->blocks, bl, 2);
    return rc;
}

static void result_free(JacResult *r)
{
    gsl_matrix_free(r->J);
    gsl_vector_free(r->s);
    free(r->blocks);
}

int flow_jacobian(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X)
{
    if (o->example >= o->batch) {
        fprintf(stderr, "reslab flow: --example %zu: the batch has %zu examples (0..%zu)\n",
                o->example, o->batch, o->batch - 1);
        return 2;
    }
    JacResult p = {0}, r = {0};
    int arc = analyse(o, plain, X, &p);
    if (arc == RESLAB_OK) arc = analyse(o, res, X, &r);
    int rc = arc ? 2 : 0;
    if (arc == RESLAB_ERR_NOMEM) fprintf(stderr, "reslab flow: out of memory for the Jacobians\n");
    else if (arc) fprintf(stderr, "reslab flow: the SVD of dx_L/dx_0 did not converge (%s)\n", status_name(arc));
    else print_tables(o, &p, &r);
    if (!rc && o->npy_dir) rc = write_npy(o, &p, &r);
    result_free(&p);
    result_free(&r);
    return rc;
}
