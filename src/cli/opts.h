/* opts.h: the options shared by reslab's subcommands, parsed with getopt_long.
 *
 * Usage:
 *     CliOptions o;  opts_defaults(&o);
 *     int rc = opts_parse("flow", argc, argv, OPT_NET | OPT_OUTPUT, flow_usage, &o);
 *     if (rc != OPTS_OK) return rc == OPTS_HELP ? 0 : 2;
 *
 * Every bad value gets one line on stderr naming the subcommand, the option and the value:
 *     reslab flow: --depth: expected a whole number >= 1, got 'abc'
 */
#ifndef RESLAB_OPTS_H
#define RESLAB_OPTS_H

#include <stdio.h>

#include "net.h"

/* Which option groups a subcommand accepts (bit mask). */
enum {
    OPT_NET = 1,        /* --depth --width --hidden --batch --seed --init --act --shortcut
                           --order --lambda --branch-scale --zero-last --bias-std --in-width
                           --max-memory */
    OPT_OUTPUT = 2,     /* --csv --npy DIR */
    OPT_GRADCHECK = 4,  /* --step --entries --block --verbose */
    OPT_FLOW = 8,       /* --sweep --jacobian --paths --lesion --shatter --stats --variant
                           --samples --example */
    OPT_RENDER = 16,    /* --output/-o --size --scale --theme --lang --show */
};

/* What `reslab flow` shows. */
typedef enum {
    FLOW_NORMS, FLOW_SWEEP, FLOW_JACOBIAN, FLOW_PATHS, FLOW_LESION, FLOW_SHATTER, FLOW_STATS,
} FlowMode;

enum { OPTS_OK = 0, OPTS_HELP = 1, OPTS_ERROR = 2 };

typedef struct {
    NetConfig net;
    size_t batch;
    unsigned long seed;
    size_t max_memory;       /* bytes */
    int csv;
    const char *npy_dir;
    double step;
    size_t entries;          /* 0 = all */
    int block;               /* gradcheck one block instead of a net */
    int verbose;
    int order_given;         /* 1 if --order was on the command line */
    int width_given;         /* 1 if --width was on the command line */
    int depth_given;         /* 1 if --depth was on the command line */
    FlowMode mode;           /* flow: which analysis (one of the mode options; default norms) */
    int modes_given;         /* how many mode options were given (at most one is allowed) */
    size_t samples;          /* flow --paths: sampled paths per length */
    size_t example;          /* flow --jacobian: which example of the batch */
    const char *output;      /* render: the file to write */
    double width, height;    /* render: figure size in logical units (default 1280 x 800) */
    double scale;            /* render: PNG pixels per logical unit (default 1) */
    const char *theme;       /* render: "light", "dark" or a theme file (default light) */
    int lang_zh;             /* render: 1 for Simplified Chinese */
    int show;                /* render: 1 plain, 2 residual, 3 both (default) */
} CliOptions;

void opts_defaults(CliOptions *o);

/* Parses argv (argv[0] is the subcommand's name). usage prints the subcommand's help.
 * Returns OPTS_OK, OPTS_HELP (help printed on stdout) or OPTS_ERROR (message on stderr). */
int opts_parse(const char *cmd, int argc, char **argv, unsigned groups, void (*usage)(FILE *),
               CliOptions *o);

/* Prints the help lines of the option groups. */
void opts_print_help(FILE *f, unsigned groups);

/* One line describing the net: "depth 10  width 16 ... seed 1". */
void opts_describe(FILE *f, const CliOptions *o);

/* Validates the net options and the memory estimate; prints "reslab CMD: ..." on failure. */
int opts_check_net(const char *cmd, const CliOptions *o);

#endif
