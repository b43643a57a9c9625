/* commands.h: the subcommands of `reslab`. Each takes argc/argv with argv[0] = its name and
 * returns the process exit status: 0 success, 1 a check failed (gradcheck), 2 bad input or an
 * error (one line on stderr). */
#ifndef RESLAB_COMMANDS_H
#define RESLAB_COMMANDS_H

int cmd_flow(int argc, char **argv);
int cmd_unroll(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_render(int argc, char **argv);
/* `reslab exercise` (cmd_exercise.c): list | check FILE | new N DIR; check exits 1 if a tensor fails. */
int cmd_exercise(int argc, char **argv);
/* `reslab lesson` (cmd_lesson.c): list, --text, --pdf FILE; without those, lesson_view. */
int cmd_lesson(int argc, char **argv);
/* Shows a parsed lesson (lesson.h) in the viewer (cmd_view.c), lang 0 English, 1 Chinese
 * (LessonLang); argv[0 .. argc-1]: the viewer's own options (--size, --theme, --frames, ...).
 * Returns the exit status (2 without a display, as reslab view). */
struct Lesson;
int lesson_view(const struct Lesson *l, int lang, int argc, char **argv);
/* `reslab train` (cmd_train.c, train_compare.c): one run, or --compare plain vs residual by depth. */
int cmd_train(int argc, char **argv);
/* `reslab view` (cmd_view.c): a scene in an SDL window; exit 2 without a display. */
int viewer_main(int argc, char **argv);

#endif
