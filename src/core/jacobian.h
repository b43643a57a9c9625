/* jacobian.h: the input-output Jacobian J = d x_L / d x_0 of a net for one example, its
 * singular values and condition number (dynamical isometry: are all singular values near 1?).
 *
 * Usage:
 *     JacobianWork *w = jacobian_work_alloc(net);          once, with the net
 *     gsl_matrix *J = gsl_matrix_alloc(n, n);  gsl_vector *s = gsl_vector_alloc(n);
 *     net_forward(net, X);
 *     int rc = jacobian_net(net, b, J, w);                 J for example b (row b of X)
 *     if (rc == RESLAB_OK) rc = jacobian_singular_values(J, s, w);
 *     if (rc == JACOBIAN_OVERFLOW) ...                     the net exploded: J has inf or NaN
 *     double kappa = jacobian_condition(s);                s_max / s_min
 *     jacobian_work_free(w);
 *
 * Column convention: x is a column vector (n), so J_ij = d x_L[i] / d x_0[j], and a net of L
 * blocks has the chain rule in the order the blocks run, right to left:
 *     J = J_L ... J_2 J_1,        J_l = d x_l / d x_{l-1}  (n, n)  (block_jacobian)
 * For linear residual blocks J_l = I + W2_l W1_l, so J = prod_{l=L..1} (I + W2_l W1_l); with the
 * scaled shortcut and F = 0, J = lambda^L I (He et al. 2016, Eq. 8: the shortcut factor).
 * J is taken at x_0, after the input projection (if any): d x_L / d X would be J W_in.
 * Gates and dropout masks enter at their values in the last forward (the mask is held fixed).
 * Backprop computes rows of J: dL/dx_0 = dL/dx_L J for a row vector dL/dx_L, so dL/dx_L = e_i^T
 * gives row i. Batch norm couples the examples of the batch: then J is the Jacobian of x_L[b]
 * with respect to x_0[b] with every other example held fixed (a partial derivative; moving
 * x_0[b] moves the batch statistics, and through them every x_L[b'], which J does not show).
 * Dimensions: B batch, n width, L depth. Lesson 04 (gradient flow); papers.md section 6.
 */
#ifndef RESLAB_JACOBIAN_H
#define RESLAB_JACOBIAN_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "net.h"

/* Returned (instead of RESLAB_OK) when a Jacobian has an inf or NaN entry: not a mistake of the
 * caller's (status.h), a fact about the net, whose signal or gradient overflowed a double.
 * Outside the range of the RESLAB_ codes, so status_name() calls it "unknown error". */
enum { JACOBIAN_OVERFLOW = 64 };

/* Scratch for one net's shape (n, h, B): the product, backprop rows and the SVD. */
typedef struct {
    size_t n, B;
    gsl_matrix *T;           /* (n, n) the next value of the running product */
    gsl_matrix *Jl;          /* (n, n) one block's Jacobian */
    gsl_matrix *ga, *gb;     /* (B, n) dL/dx_l and dL/dx_{l-1} in the backprop path */
    BlockWork *bw;           /* block_backward's scratch (the net's own stays untouched) */
    gsl_matrix *A, *V;       /* (n, n) the SVD's copy of J (becomes U) and V */
    gsl_vector *svd_work;    /* (n) */
} JacobianWork;

/* For nets of net's width, hidden width and batch. NULL if out of memory. Free with
 * jacobian_work_free (NULL is fine). */
JacobianWork *jacobian_work_alloc(const Net *net);
void jacobian_work_free(JacobianWork *w);

/* J = d x_L[b] / d x_0[b] (n, n), valid after net_forward. Without batch norm the product of the
 * block Jacobians (jacobian_product); with it, backprop (jacobian_backprop). RESLAB_OK;
 * RESLAB_ERR_INVALID if b >= B or J is not (n, n); RESLAB_ERR_NOMEM (block_jacobian allocates
 * two small scratch matrices per block); JACOBIAN_OVERFLOW if J has an inf or NaN (J is filled
 * all the same). Reads the net's caches only: net->dx and the gradients are not disturbed. */
int jacobian_net(const Net *net, size_t b, gsl_matrix *J, JacobianWork *w);

/* J = J_L ... J_1 from block_jacobian, one (n x n)(n x n) product per block. Nets without batch
 * norm only: RESLAB_ERR_INVALID with it. Otherwise as jacobian_net. */
int jacobian_product(const Net *net, size_t b, gsl_matrix *J, JacobianWork *w);

/* J row by row by backprop, for any net (batch norm included): for i = 1..n, dL/dx_L = e_i in
 * row b and zero in the others, sent through every block with block_backward into w's scratch;
 * row b of the resulting dL/dx_0 is row i of J. n backward passes of the whole batch: about
 * B times the work of the product path (a reference, and the batch norm path). */
int jacobian_backprop(const Net *net, size_t b, gsl_matrix *J, JacobianWork *w);

/* Each block's Jacobian J_l = d x_l[b] / d x_{l-1}[b] into Jl[l - 1], l = 1..L, each (n, n):
 * for per-block singular values. Nets without batch norm only (RESLAB_ERR_INVALID with it);
 * otherwise as jacobian_net. */
int jacobian_blocks(const Net *net, size_t b, gsl_matrix **Jl);

/* The singular values of J (n, n) into s (n), descending, by GSL's Golub-Reinsch SVD
 * (gsl_linalg_SV_decomp) on a copy in w scaled exactly by a power of two (max |entry| in
 * [1, 2), so exploding Jacobians of 1e158 converge; s scaled back exactly); J is not modified. Their absolute accuracy is about
 * 1e-16 s_max, so singular values below that (condition numbers above ~1e15) are noise.
 * RESLAB_OK; JACOBIAN_OVERFLOW if J has an inf or NaN (s is then all NaN and no SVD is run:
 * GSL's iteration is not defined on such input); RESLAB_ERR_INVALID if the SVD reports a
 * failure to converge. Shapes are asserted: J and s of w's width n. Nothing is allocated. */
int jacobian_singular_values(const gsl_matrix *J, gsl_vector *s, JacobianWork *w);

/* s_max / s_min of descending singular values s: inf when s_min = 0, NaN if s has a NaN. */
double jacobian_condition(const gsl_vector *s);

/* 1 if every entry of m is finite. */
int jacobian_is_finite(const gsl_matrix *m);

#endif
