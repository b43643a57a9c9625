/* lesson_measures.h: the measures behind lesson_checks.c's registry (internal to src/lesson).
 *
 * Every function is a LessonMeasureFn: value = f(p), RESLAB_OK or an error code with a message.
 * Equations and expectations: docs/lessons.md, "The checks". Nets are built as `reslab flow`
 * builds them (lesson_checks.h). Legend: B batch, n width, h hidden width, L depth.
 */
#ifndef RESLAB_LESSON_MEASURES_H
#define RESLAB_LESSON_MEASURES_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>

#include "net.h"
#include "scene.h"

/* The nets of `reslab flow` for cfg: mt19937(seed) draws the residual net's weights, its dropout
 * masks, then X (B, input width) ~ N(0, 1) row by row; plain = 1 also makes the plain twin
 * (shares every F). Both have run forward on X. RESLAB_OK, or RESLAB_ERR_NOMEM with nothing
 * left allocated. Free with measure_flow_free. */
typedef struct {
    Net *res, *plain;
    gsl_matrix *X;
} MeasureNets;
int measure_flow_nets(const NetConfig *cfg, size_t B, unsigned long seed, int plain,
                      MeasureNets *f, char *err, size_t errlen);
void measure_flow_free(MeasureNets *f);

/* The step's net config with param_grads = 0 (only dL/dx is needed). */
NetConfig measure_step_net(const SceneParams *p);

/* max_ij |a_ij - b_ij|; NaN if any difference is NaN. Same shapes. */
double measure_max_abs_diff(const gsl_matrix *a, const gsl_matrix *b);

/* one block */
/* Training (lesson_measures_train.c): the final training error (fraction misclassified) of the
 * plain / residual net of p on the task of train_task.h, after p->epochs (0: 30) epochs. */
int measure_train_error_plain(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_train_error_residual(const SceneParams *p, double *v, char *err, size_t errlen);

int measure_identity_error(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_block_residual_norm(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_projection_error(const SceneParams *p, double *v, char *err, size_t errlen);
/* the unrolled sum and the two-block expansions */
int measure_unroll_error(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_wrong_expansion_error(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_split_error(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_four_path_error(const SceneParams *p, double *v, char *err, size_t errlen);
/* gradient flow, plain twin vs residual net */
int measure_plain_grad0(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_residual_grad0(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_grad0_ratio(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_plain_gain(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_residual_gain(const SceneParams *p, double *v, char *err, size_t errlen);
/* the Jacobian dx_L/dx_0 */
int measure_jacobian_min_sv(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_jacobian_max_sv(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_jacobian_condition(const SceneParams *p, double *v, char *err, size_t errlen);
/* the scaled shortcut */
int measure_lambda_power(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_lambda_gain(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_lambda_gain_error(const SceneParams *p, double *v, char *err, size_t errlen);
/* paths and lesions */
int measure_path_fraction_short(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_lesion_error(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_plain_lesion_error(const SceneParams *p, double *v, char *err, size_t errlen);
/* gradient checking */
int measure_gradcheck_max_error(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_gradcheck_kinks(const SceneParams *p, double *v, char *err, size_t errlen);
/* variance */
int measure_variance_growth(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_variance_growth_predicted(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_variance_growth_ratio(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_activation_overflow(const SceneParams *p, double *v, char *err, size_t errlen);
int measure_residual_overflow(const SceneParams *p, double *v, char *err, size_t errlen);

/* The entries per tensor the gradient check samples (as `reslab gradcheck --entries 20`). */
#define LESSON_GRADCHECK_ENTRIES 20

/* Which lesion: the middle block k = (L + 1) / 2 (integer division; 1-based). */
size_t measure_middle_block(size_t L);

#endif
