/* common.h: pieces the subcommands share: building nets and inputs from the options, printing
 * values that may have overflowed, writing arrays as .npy. */
#ifndef RESLAB_CLI_COMMON_H
#define RESLAB_CLI_COMMON_H

#include <stdio.h>
#include <gsl/gsl_rng.h>

#include "opts.h"

/* The net of the options with the given shortcut, weights from rng; NULL (message printed) if
 * out of memory. */
Net *cli_net(const char *cmd, const CliOptions *o, ShortcutKind shortcut, gsl_rng *rng);

/* A (B, width) input with entries ~ N(0, 1) from rng; NULL if out of memory. */
gsl_matrix *cli_input(size_t B, size_t width, gsl_rng *rng);

/* A seeded mt19937 generator; NULL if out of memory. */
gsl_rng *cli_rng(unsigned long seed);

/* Writes v as "%.4e", or as "overflow" (inf), "nan", or "0 (underflow)" in a field of width w. */
void cli_print_value(FILE *f, int w, double v);

/* Writes data (shape[ndim]) as DIR/NAME.npy; prints "reslab CMD: ..." and returns 2 on failure. */
int cli_write_npy(const char *cmd, const char *dir, const char *name, const double *data,
                  const size_t *shape, int ndim);

/* Stacks x_0..x_L (or dL/dx_0..dL/dx_L with grads = 1) of net into (L + 1, B, n) and writes it. */
int cli_write_stream(const char *cmd, const char *dir, const char *name, const Net *net, int grads);

#endif
