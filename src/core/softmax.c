/* softmax.c: softmax cross-entropy (see softmax.h for the equations).
 * Dimensions: B batch rows, k classes. One row of Z holds one example's k logits. */
#include "softmax.h"

#include <assert.h>
#include <math.h>

/* One row: p = softmax(z) over k entries; returns s = sum_j exp(z_j - m) and sets *m = max z.
 * p may be z. */
static double softmax_row(const double *z, double *p, size_t k, double *m)
{
    double mx = z[0];                                        /* m_b = max_j Z_bj */
    for (size_t j = 1; j < k; j++) mx = z[j] > mx ? z[j] : mx;
    double s = 0.0;                                          /* s_b = sum_j exp(Z_bj - m_b) */
    for (size_t j = 0; j < k; j++) {
        p[j] = exp(z[j] - mx);
        s += p[j];
    }
    for (size_t j = 0; j < k; j++) p[j] /= s;                /* P_bj = exp(Z_bj - m_b) / s_b */
    *m = mx;
    return s;
}

double softmax_xent_forward(const gsl_matrix *Z, const int *y, gsl_matrix *P)
{
    size_t B = Z->size1, k = Z->size2;
    assert(P->size1 == B && P->size2 == k && k >= 1);
    double total = 0.0;
    for (size_t b = 0; b < B; b++) {
        const double *z = gsl_matrix_const_ptr(Z, b, 0);
        assert(y[b] >= 0 && (size_t)y[b] < k);
        double zy = z[y[b]], m;                              /* read before P may overwrite Z */
        double s = softmax_row(z, gsl_matrix_ptr(P, b, 0), k, &m);
        total += log(s) - (zy - m);                          /* l_b = log s_b - (Z_{b,y_b} - m_b) */
    }
    return total / (double)B;
}

void softmax_forward(const gsl_matrix *Z, gsl_matrix *P)
{
    assert(P->size1 == Z->size1 && P->size2 == Z->size2 && Z->size2 >= 1);
    double m;
    for (size_t b = 0; b < Z->size1; b++)
        softmax_row(gsl_matrix_const_ptr(Z, b, 0), gsl_matrix_ptr(P, b, 0), Z->size2, &m);
}

void softmax_xent_backward(const gsl_matrix *P, const int *y, gsl_matrix *dZ)
{
    size_t B = P->size1, k = P->size2;
    assert(dZ->size1 == B && dZ->size2 == k);
    for (size_t b = 0; b < B; b++) {
        const double *p = gsl_matrix_const_ptr(P, b, 0);
        double *d = gsl_matrix_ptr(dZ, b, 0);
        assert(y[b] >= 0 && (size_t)y[b] < k);
        for (size_t j = 0; j < k; j++) {                     /* dZ_bj = (P_bj - [j = y_b]) / B */
            double t = p[j] - ((size_t)y[b] == j ? 1.0 : 0.0);
            d[j] = t / (double)B;
        }
    }
}

size_t softmax_argmax(const gsl_matrix *Z, size_t b)
{
    const double *z = gsl_matrix_const_ptr(Z, b, 0);
    size_t best = 0;
    for (size_t j = 1; j < Z->size2; j++)
        if (z[j] > z[best]) best = j;
    return best;
}

size_t softmax_correct(const gsl_matrix *Z, const int *y)
{
    size_t right = 0;
    for (size_t b = 0; b < Z->size1; b++) right += softmax_argmax(Z, b) == (size_t)y[b];
    return right;
}
