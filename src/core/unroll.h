/* unroll.h: the unrolled sum x_L = x_0 + sum_l F(x_{l-1}) and the popular wrong expansion.
 *
 * Usage:
 *     net_forward(net, X);
 *     UnrollReport r;  double contrib[L];
 *     if (unroll_check(net, &r, contrib) == RESLAB_OK)  ... r.rel_diff <= 1e-12 ...
 *     UnrollExpansion e;  unroll_expansion(net, &e);     needs depth >= 2
 *
 * With identity shortcuts and f = identity after the sum (pre-activation order, or post order
 * with the identity activation), He et al. 2016, Eq. 4 holds exactly:
 *     x_L = x_0 + sum_{l=1}^{L} F_l(x_{l-1}).
 * unroll_check recomputes every F_l at the stored x_{l-1} and adds them up with compensated
 * (Kahan) summation, independently of the forward pass's running sum; the two agree to rounding
 * only if the forward really is that sum. For post-activation ReLU blocks, plain nets or scaled
 * shortcuts the difference is large, and that is the point: Eq. 4 needs f = identity, h = I.
 *
 * The wrong expansion (papers.md, "Known errors" 1). The correct two-block form is
 *     x_2 = x + F1(x) + F2(x + F1(x)).
 * Popular write-ups drop the cross term, writing x_2 = x + F1(x) + F2(x), or split
 * F2(x + F1(x)) = F2(x) + F2(F1(x)), which needs F2 linear. For linear blocks F_l(x) = M_l x
 * (identity activation, zero biases, M_l = W2 W1) the correct expansion has four paths:
 *     (I + M2)(I + M1) x = x + M1 x + M2 x + M2 M1 x.
 * Lesson 03.
 */
#ifndef RESLAB_UNROLL_H
#define RESLAB_UNROLL_H

#include "net.h"

typedef struct {
    double max_abs_diff;  /* max_ij |x_L (forward) - (x_0 + sum F) | */
    double max_abs_xL;    /* max_ij |x_L| */
    double rel_diff;      /* max_abs_diff / max_abs_xL (0 if both are 0) */
    int overflow;         /* x_L or the sum holds inf or NaN: no comparison possible */
    int exact_form;       /* 1 if the net has the form x_l = x_{l-1} + F(x_{l-1}) */
} UnrollReport;

typedef struct {
    double rel_dropped;   /* || x_2 - (x + F1(x) + F2(x)) || / ||x_2||: the dropped cross term */
    double rel_split;     /* || F2(x+F1(x)) - F2(x) - F2(F1(x)) || / ||F2(x+F1(x))||: 0 iff F2 linear */
    double rel_fourpath;  /* linear blocks: || x_2 - (x + M1x + M2x + M2M1x) || / ||x_2||; else NaN */
    double norm_cross;    /* || F2(x + F1(x)) - F2(x) ||: what the cross term is worth */
    int linear;           /* 1 if F is linear (identity activation, zero biases, no batch norm) */
} UnrollExpansion;

/* Checks Eq. 4 on the net's last forward pass. contrib (L entries, or NULL) receives
 * ||F_l(x_{l-1})||_F. Returns RESLAB_OK, or RESLAB_ERR_NOMEM (scratch allocation failed). */
int unroll_check(const Net *net, UnrollReport *r, double *contrib);

/* Evaluates the two-block expansions with blocks 1 and 2 of net and x = x_0 of its last forward
 * pass (Frobenius norms over the batch). Depth must be >= 2. RESLAB_OK or RESLAB_ERR_NOMEM. */
int unroll_expansion(const Net *net, UnrollExpansion *e);

/* 1 if the net's blocks compute x_l = x_{l-1} + F(x_{l-1}) exactly (Eq. 3). */
int unroll_exact_form(const Net *net);

#endif
