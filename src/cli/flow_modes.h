/* flow_modes.h: the analyses of `reslab flow` besides the default per-layer norms table. Each
 * takes the residual net, its plain twin (same branches, no shortcut) and the input, prints a
 * table (or CSV with --csv), writes .npy files with --npy, and returns an exit status. */
#ifndef RESLAB_FLOW_MODES_H
#define RESLAB_FLOW_MODES_H

#include "opts.h"

int flow_sweep(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X);
int flow_jacobian(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X);
int flow_paths(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X);
int flow_lesion(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X);
int flow_stats(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X);
int flow_shatter(const CliOptions *o, Net *res, Net *plain, const gsl_matrix *X);

#endif
