/* train_compare.h: what `reslab train` (cmd_train.c) and its --compare mode (train_compare.c)
 * share: the options, the data, the model and training configs built from them, the progress
 * bar, and atomic text files.
 *
 * Usage (cmd_train.c):
 *     TrainCliOptions o;  ... parsed ...
 *     Dataset d;  if (train_cli_data(&o, &d)) return 2;          message printed
 *     if (o.compare) rc = train_compare_run(&o, &d);
 *
 * Defaults (the task where the degradation problem shows, docs/training.md): spirals, N 1000,
 * 3 arms, noise 0.05, data seed 1; depth 20, width 32, post order, batch norm on; B 64,
 * 30 epochs, lr 0.02 with the step schedule (x 0.1 at 1/2 and 3/4 of the epochs), momentum 0.9,
 * weight decay 1e-4, seed 1; --compare: depths 4,8,16,32,64, seeds 1,2,3.
 */
#ifndef RESLAB_TRAIN_COMPARE_H
#define RESLAB_TRAIN_COMPARE_H

#include <stdio.h>

#include "dataset.h"
#include "opts.h"
#include "train.h"

enum { TRAIN_CLI_MAX_DEPTHS = 16, TRAIN_CLI_MAX_SEEDS = 32 };

typedef struct {
    CliOptions net;             /* opts.c's net options: depth, width, batch, seed, order, bn, ... */
    const char *data;           /* --data: a synthetic kind, idx:IMAGES,LABELS or cifar:F1,F2,... */
    size_t n, classes;          /* --n, --classes (0: the set's default) */
    double noise;               /* --noise (NAN: the set's default) */
    unsigned long data_seed;    /* --data-seed */
    size_t epochs;
    double lr, momentum, weight_decay, warmup;   /* warmup in epochs */
    SgdSchedule schedule;
    int arch;                   /* --arch: -1 not given, 0 plain, 1 residual */
    const char *csv, *save, *plot;
    int compare, depths_given, seeds_given;
    size_t depths[TRAIN_CLI_MAX_DEPTHS], ndepths;
    unsigned long seeds[TRAIN_CLI_MAX_SEEDS];
    size_t nseeds;
} TrainCliOptions;

/* Loads or draws the set of o->data (standardised per feature); prints "reslab train: --data:
 * ..." (the loaders name the file and byte offset) and returns 2 on failure, else 0. */
int train_cli_data(const TrainCliOptions *o, Dataset *d);

/* The classifier of the options for data d at the given depth and shortcut. */
ClassifierConfig train_cli_model(const TrainCliOptions *o, const Dataset *d, size_t depth,
                                 ShortcutKind shortcut);

/* The training config of the options for a set of n rows and the given seed. */
TrainConfig train_cli_config(const TrainCliOptions *o, size_t n, unsigned long seed);

/* "spirals (N 1000, k 3, noise 0.05, data seed 1) | B 64, 30 epochs x 15 steps, lr 0.02 step
 * (x0.1 after epochs 15, 22), momentum 0.9, weight decay 0.0001" into buf. */
void train_cli_describe(const TrainCliOptions *o, const Dataset *d, char *buf, size_t len);

/* A progress bar on stdout when it is a terminal (nothing when piped): "\r[#####     ] what",
 * redrawn at most every 0.1 s; train_cli_bar_clear erases it before a normal line. */
typedef struct {
    int on;
    double last;
} TrainCliBar;
void train_cli_bar_init(TrainCliBar *b);
void train_cli_bar(TrainCliBar *b, double fraction, const char *what);
void train_cli_bar_clear(TrainCliBar *b);

/* Writes text (len bytes) to path atomically (PATH.tmp.XXXXXX, then rename); prints
 * "reslab train: OPTION: ..." and returns 2 on failure, else 0. */
int train_cli_write_file(const char *option, const char *path, const char *text, size_t len);

/* --compare: plain and residual nets of every depth and seed, the table, --csv and --plot.
 * Returns the exit status. */
int train_compare_run(const TrainCliOptions *o, const Dataset *d);

#endif
