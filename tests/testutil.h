/* testutil.h: small helpers shared by the core tests (header-only, no globals). */
#ifndef RESLAB_TESTUTIL_H
#define RESLAB_TESTUTIL_H

#include <math.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "block.h"

/* m_ij ~ N(0, sd^2) */
static inline void tu_fill(gsl_matrix *m, gsl_rng *rng, double sd)
{
    for (size_t i = 0; i < m->size1; i++)
        for (size_t j = 0; j < m->size2; j++) gsl_matrix_set(m, i, j, gsl_ran_gaussian(rng, sd));
}

static inline void tu_fill_vec(gsl_vector *v, gsl_rng *rng, double sd)
{
    for (size_t i = 0; i < v->size; i++) gsl_vector_set(v, i, gsl_ran_gaussian(rng, sd));
}

typedef struct {
    gsl_rng *rng;
    double sd;
} TuFill;

static inline void tu_fill_one(const char *name, double *v, double *g, size_t n, void *ctx)
{
    TuFill *f = ctx;
    int scale = name[0] == 'g' && name[1] == 'a';        /* BN scales around 1 */
    for (size_t i = 0; i < n; i++) v[i] = (scale ? 1.0 : 0.0) + gsl_ran_gaussian(f->rng, f->sd);
}

/* Every parameter ~ N(0, sd^2), biases included (BN scales ~ N(1, sd^2)). */
static inline void tu_fill_block(BlockParams *p, gsl_rng *rng, double sd)
{
    TuFill f = {rng, sd};
    block_params_each(p, NULL, tu_fill_one, &f);
}

/* max_ij |a_ij - b_ij| */
static inline double tu_maxdiff(const gsl_matrix *a, const gsl_matrix *b)
{
    double d = 0.0;
    for (size_t i = 0; i < a->size1; i++)
        for (size_t j = 0; j < a->size2; j++) d = fmax(d, fabs(gsl_matrix_get(a, i, j) - gsl_matrix_get(b, i, j)));
    return d;
}

static inline double tu_maxabs(const gsl_matrix *a)
{
    double d = 0.0;
    for (size_t i = 0; i < a->size1; i++)
        for (size_t j = 0; j < a->size2; j++) d = fmax(d, fabs(gsl_matrix_get(a, i, j)));
    return d;
}

static inline gsl_rng *tu_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

#endif
