/* commands.h: the subcommands of `reslab`. Each takes argc/argv with argv[0] = its name and
 * returns the process exit status: 0 success, 1 a check failed (gradcheck), 2 bad input or an
 * error (one line on stderr). */
#ifndef RESLAB_COMMANDS_H
#define RESLAB_COMMANDS_H

int cmd_flow(int argc, char **argv);
int cmd_unroll(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_render(int argc, char **argv);
/* `reslab view` (cmd_view.c): a scene in an SDL window; exit 2 without a display. */
int viewer_main(int argc, char **argv);

#endif
