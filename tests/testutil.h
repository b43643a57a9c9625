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

/* Every parameter ~ N(0, sd^2), biases included. */
static inline void tu_fill_block(BlockParams *p, gsl_rng *rng, double sd)
{
    tu_fill(p->W1, rng, sd);
    tu_fill_vec(p->b1, rng, sd);
    tu_fill(p->W2, rng, sd);
    tu_fill_vec(p->b2, rng, sd);
    if (p->Ws) tu_fill(p->Ws, rng, sd);
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
