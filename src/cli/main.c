/* main.c: the `reslab` program. Dispatches to a subcommand; the only place where a status
 * becomes an exit code (0 success, 1 a check failed, 2 bad input or error). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"

#if RESLAB_HAVE_OPENBLAS
void openblas_set_num_threads(int n);
#endif

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"flow", cmd_flow, "per-layer gradient norms, plain net vs residual twin"},
    {"unroll", cmd_unroll, "x_L = x_0 + sum F(x_{l-1}) checked; the wrong expansion shown failing"},
    {"gradcheck", cmd_gradcheck, "analytic gradients vs central differences, per tensor"},
    {"render", cmd_render, "draw a scene into a PNG, SVG or PDF figure (no window)"},
    {"view", viewer_main, "show a scene in a window; the depth scene grows block by block"},
    {"exercise", cmd_exercise, "gradient exercises: list, check FILE (grade a backward pass), new N DIR"},
    {"lesson", cmd_lesson, "step through a lesson: list, --text, --pdf FILE"},
    {"train", cmd_train, "train plain and residual classifiers; --compare: the degradation problem"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: reslab [--help | --version] [COMMAND [options]]\n"
               "reslab computes the mathematics of residual networks, y = F(x) + x, exactly.\n"
               "Without a command it opens the viewer on the depth scene (reslab view); without a\n"
               "display it says so and names the reslab render command that draws the same picture.\n"
               "\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\n'reslab COMMAND --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
#if RESLAB_HAVE_OPENBLAS
    openblas_set_num_threads(1);                 /* one thread: same bytes on every run */
#endif
    if (argc < 2) {                              /* the classroom default: the viewer */
        char *args[] = {"view", NULL};
        return viewer_main(1, args);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("reslab %s (BLAS: %s)\n", RESLAB_VERSION, RESLAB_BLAS);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "reslab: unknown command '%s' (see 'reslab --help')\n", argv[1]);
    return 2;
}
