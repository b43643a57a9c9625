/* exref.c: the grader's reference kernels on row-major arrays (see exdef.h). The linear layer
 * and the correct ReLU mask are reslab's core (dense.c, act.c) seen through GSL views; the
 * wrong masks and the finishing mistakes are written out here.
 * Dimensions: B batch rows; in, out, cols widths. */
#include "exdef.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "act.h"
#include "dense.h"

void exref_linear(const double *X, const double *W, const double *b, double *Z, int B, int in,
                  int out)
{
    gsl_matrix_const_view x = gsl_matrix_const_view_array(X, B, in);
    gsl_matrix_const_view w = gsl_matrix_const_view_array(W, out, in);
    gsl_matrix_view z = gsl_matrix_view_array(Z, B, out);
    gsl_vector_const_view bv = gsl_vector_const_view_array(b ? b : W, out);
    dense_forward(&x.matrix, &w.matrix, b ? &bv.vector : NULL, &z.matrix);   /* [B x out] */
}

void exref_linear_back(const double *X, const double *W, const double *dZ, double *dX,
                       double *dW, double *db, int B, int in, int out)
{
    gsl_matrix_const_view x = gsl_matrix_const_view_array(X, B, in);
    gsl_matrix_const_view w = gsl_matrix_const_view_array(W, out, in);
    gsl_matrix_const_view dz = gsl_matrix_const_view_array(dZ, B, out);
    gsl_matrix_view dx = gsl_matrix_view_array(dX ? dX : (double *)X, B, in);
    gsl_matrix_view dw = gsl_matrix_view_array(dW ? dW : (double *)W, out, in);
    gsl_vector_view dbv = gsl_vector_view_array(db ? db : (double *)W, out);
    dense_backward(&x.matrix, &w.matrix, &dz.matrix, dX ? &dx.matrix : NULL,
                   dW ? &dw.matrix : NULL, db ? &dbv.vector : NULL);
}

void exref_relu(const double *Z, double *A, size_t n)
{
    gsl_matrix_const_view z = gsl_matrix_const_view_array(Z, 1, n);
    gsl_matrix_view a = gsl_matrix_view_array(A, 1, n);
    act_forward(ACT_RELU, &z.matrix, &a.matrix);
}

void exref_relu_back(const double *Z, const double *dA, double *dZ, size_t n, ExrefMask m)
{
    if (m == EXREF_MASK_GT) {                   /* the right one: relu'(z) = [z > 0] */
        gsl_matrix_const_view z = gsl_matrix_const_view_array(Z, 1, n);
        gsl_matrix_const_view da = gsl_matrix_const_view_array(dA, 1, n);
        gsl_matrix_view dz = gsl_matrix_view_array(dZ, 1, n);
        act_backward(ACT_RELU, &z.matrix, &da.matrix, &dz.matrix);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double mask = m == EXREF_MASK_GE ? (Z[i] >= 0.0)
                    : m == EXREF_MASK_NONE ? 1.0 : fmax(Z[i], 0.0);
        dZ[i] += dA[i] * mask;
    }
}

void exref_signs(const double *Z, size_t n, unsigned char *pattern)
{
    for (size_t i = 0; i < n; i++) pattern[i] = Z[i] > 0.0;
}

void exref_fill(double *v, size_t n, gsl_rng *rng, double sd)
{
    for (size_t i = 0; i < n; i++) v[i] = gsl_ran_gaussian(rng, sd);
}

void exref_fill_away(double *v, size_t n, gsl_rng *rng, double sd, double margin)
{
    for (size_t i = 0; i < n; i++) do v[i] = gsl_ran_gaussian(rng, sd); while (fabs(v[i]) < margin);
}

int exref_redraw_near_kink(const double *Z, int B, int cols, double *b, gsl_rng *rng, double sd,
                           double margin)
{
    int redrawn = 0;
    for (int j = 0; j < cols; j++) {
        int near = 0;
        for (int i = 0; i < B; i++) near |= fabs(Z[(size_t)i * cols + j]) < margin;
        if (near) b[j] = gsl_ran_gaussian(rng, sd), redrawn++;
    }
    return redrawn;
}

void exref_colsum(const double *dZ, int B, int cols, double *db)
{
    for (int i = 0; i < B; i++)
        for (int j = 0; j < cols; j++) db[j] += dZ[(size_t)i * cols + j];
}

void exref_transpose_layout(double *W, int rows, int cols)
{
    double tmp[64 * 64];
    size_t n = (size_t)rows * cols;
    if (n > sizeof tmp / sizeof tmp[0]) return;         /* exercises use small matrices */
    memcpy(tmp, W, n * sizeof *W);
    for (int i = 0; i < rows; i++)                      /* W^T (cols x rows), row-major */
        for (int j = 0; j < cols; j++) W[(size_t)j * rows + i] = tmp[(size_t)i * cols + j];
}

void exref_bias_row(double *db, const double *dZ, int B, int cols, int r)
{
    (void)B;
    for (int j = 0; j < cols; j++) db[j] = dZ[(size_t)r * cols + j];
}

void exref_scale(double *v, size_t n, double s)
{
    for (size_t i = 0; i < n; i++) v[i] *= s;
}

int exref_param_kind(const char *name)
{
    const char *dot = strchr(name, '.');
    const char *base = dot ? dot + 1 : name;
    if (strncmp(base, "dW", 2) == 0) return 1;
    if (strncmp(base, "db", 2) == 0) return 2;
    return 0;
}

int exref_finish(Excase *c, Mistake m, double *const *out)
{
    if (m != MISTAKE_WEIGHT_TRANSPOSED && m != MISTAKE_BATCH_TWICE) return 0;
    for (int i = 0; i < c->count; i++) {
        const ExcaseArray *a = &c->a[i];
        int kind = a->role == EXCASE_GRAD ? exref_param_kind(a->name) : 0;
        if (m == MISTAKE_WEIGHT_TRANSPOSED && kind == 1) exref_transpose_layout(out[i], a->rows, a->cols);
        if (m == MISTAKE_BATCH_TWICE && kind) exref_scale(out[i], (size_t)a->rows * a->cols, 1.0 / c->B);
    }
    return 1;
}

void exref_linear_ext(const Ext *X, const double *W, const double *b, Ext *Z, int B, int in,
                      int out)
{
    for (int i = 0; i < B; i++)                         /* [B x out] = [B x in][in x out] + b */
        for (int o = 0; o < out; o++) {
            Ext s = b ? b[o] : 0.0L;
            for (int k = 0; k < in; k++) s += X[(size_t)i * in + k] * W[(size_t)o * in + k];
            Z[(size_t)i * out + o] = s;
        }
}

void exref_relu_ext(const Ext *Z, Ext *A, size_t n)
{
    for (size_t i = 0; i < n; i++) A[i] = Z[i] > 0.0L ? Z[i] : 0.0L;
}

void exref_widen(const double *v, Ext *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = v[i];
}

void exref_signs_ext(const Ext *Z, size_t n, unsigned char *pattern)
{
    for (size_t i = 0; i < n; i++) pattern[i] = Z[i] > 0.0L;
}
