/* lesson_dir.h: where the lessons are, and which file a lesson's name means.
 *
 * Usage:
 *     const char *dir = lesson_dir(opt_dir);              --dir, $RESLAB_LESSONS_DIR, built-in
 *     char **names;  size_t n;
 *     if (lesson_dir_list(dir, &names, &n, err, sizeof err) == RESLAB_OK) {
 *         ... names[i] = "01-residual-block.lesson", sorted ...
 *         lesson_dir_list_free(names, n);
 *     }
 *     char *path;
 *     if (lesson_dir_resolve(dir, "01", &path, err, sizeof err) == RESLAB_OK) ... free(path);
 *
 * The search order (DESIGN.md, Meson): the command-line option, then the environment variable
 * RESLAB_LESSONS_DIR (set by the tests), then the lessons/ folder of the source tree, compiled
 * in. A lesson file is "NN-name.lesson"; it answers to "NN-name.lesson", "NN-name", "NN" and
 * "name". A name with a '/' in it is a path and is used as it is.
 */
#ifndef RESLAB_LESSON_DIR_H
#define RESLAB_LESSON_DIR_H

#include <stddef.h>

/* opt if not NULL, else $RESLAB_LESSONS_DIR if set and not empty, else the built-in folder. */
const char *lesson_dir(const char *opt);

/* The names of the *.lesson files in dir, sorted bytewise. *names is a malloc'ed array of n
 * malloc'ed strings (free with lesson_dir_list_free). RESLAB_OK, RESLAB_ERR_IO (the folder
 * cannot be read; the message names it) or RESLAB_ERR_NOMEM. */
int lesson_dir_list(const char *dir, char ***names, size_t *n, char *err, size_t errlen);
void lesson_dir_list_free(char **names, size_t n);

/* The path of the lesson called name in dir, malloc'ed into *path. RESLAB_OK;
 * RESLAB_ERR_INVALID if no lesson or more than one answers to name (the message lists the
 * lessons there are, or the candidates); RESLAB_ERR_IO / RESLAB_ERR_NOMEM as above. */
int lesson_dir_resolve(const char *dir, const char *name, char **path, char *err, size_t errlen);

#endif
