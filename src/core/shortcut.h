/* shortcut.h: how a block combines its branch F with its input x, forward and backward.
 *
 * Used by block.c; the kinds are ShortcutKind in block.h. With x (B, n_in), F (B, n_out):
 *     NONE           y = F                          the plain twin
 *     IDENTITY       y = F + x
 *     ZEROPAD        y = F + [x, 0]                 option A, zeros appended after the channels
 *     PROJECT        y = F + Ws x (or + x when n_in == n_out)   option B
 *     PROJECT_ALL    y = F + Ws x                   option C;  Ws (n_out, n_in)
 *     SCALED         y = F + lambda x               He et al. 2016, Table 1 "constant scaling"
 *     GATE           y = (1 - g) ⊙ x + g ⊙ F        "exclusive gating",  g = sigmoid(Wg x + bg)
 *     GATE_SHORTCUT  y = (1 - g) ⊙ x + F            "shortcut-only gating"
 *     DROPOUT        y = F + m ⊙ x                  "dropout shortcut", m the cache's mask
 */
#ifndef RESLAB_SHORTCUT_H
#define RESLAB_SHORTCUT_H

#include "block.h"

/* c->y = the combination of c->f and x above; fills c->g for gates. */
void shortcut_forward(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                      BlockCache *c);

/* From dy = dL/dy (B, n_out): df = dL/dF (B, n_out) (overwritten; zero if the branch path is
 * not wanted), and, if the shortcut path is wanted, dx += the shortcut's share (B, n_in) and
 * the gate's / projection's parameter gradients into g (dx and g may be NULL). */
void shortcut_backward(const BlockConfig *cfg, gsl_matrix *dx, BlockParams *g,
                       const gsl_matrix *dy, const gsl_matrix *x, const BlockParams *p,
                       const BlockCache *c, gsl_matrix *df, int paths);

/* J_S + d y_b / d x_b through the combination, for example b (n_out, n_in), given the branch
 * Jacobian JF = dF_b/dx_b (n_out, n_in): J = the full Jacobian of y_b. */
void shortcut_jacobian(const BlockConfig *cfg, const BlockParams *p, const gsl_matrix *x,
                       const BlockCache *c, size_t b, const gsl_matrix *JF, gsl_matrix *J);

#endif
