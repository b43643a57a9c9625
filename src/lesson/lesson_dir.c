/* lesson_dir.c: the lessons folder, its *.lesson files, and resolving a lesson's name. */
#include "lesson_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#ifndef RESLAB_LESSONS_SOURCE_DIR
#define RESLAB_LESSONS_SOURCE_DIR "lessons"
#endif

#define SUFFIX ".lesson"

const char *lesson_dir(const char *opt)
{
    if (opt) return opt;
    const char *env = getenv("RESLAB_LESSONS_DIR");
    return env && *env ? env : RESLAB_LESSONS_SOURCE_DIR;
}

static int has_suffix(const char *s)
{
    size_t n = strlen(s), k = strlen(SUFFIX);
    return n > k && strcmp(s + n - k, SUFFIX) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void lesson_dir_list_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

int lesson_dir_list(const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return status_set(err, errlen, RESLAB_ERR_IO, "lessons folder '%s': %s (set it with --dir "
                          "or RESLAB_LESSONS_DIR)", dir, strerror(errno));
    char **v = NULL;
    size_t k = 0;
    int rc = RESLAB_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name)) continue;
        char **w = realloc(v, (k + 1) * sizeof *w);
        if (w) v = w;
        if (!w || !(v[k] = strdup(e->d_name))) rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
        else k++;
    }
    closedir(d);
    if (rc) {
        lesson_dir_list_free(v, k);
        return rc;
    }
    if (k) qsort(v, k, sizeof *v, by_name);
    *names = v;
    *n = k;
    return RESLAB_OK;
}

/* 1 if the file "NN-name.lesson" answers to q: the whole name, the name without the suffix,
 * the leading number NN, or the part after the first '-'. */
static int matches(const char *file, const char *q)
{
    size_t stem = strlen(file) - strlen(SUFFIX), qn = strlen(q);
    if (strcmp(file, q) == 0 || (qn == stem && strncmp(file, q, stem) == 0)) return 1;
    const char *dash = memchr(file, '-', stem);
    if (!dash) return 0;
    size_t num = (size_t)(dash - file), rest = stem - num - 1;
    return (qn == num && strncmp(file, q, num) == 0) || (qn == rest && strncmp(dash + 1, q, rest) == 0);
}

/* "a, b, c" of the names into buf. */
static void join(char *buf, size_t len, char **names, size_t n, const size_t *pick, size_t npick)
{
    buf[0] = '\0';
    size_t count = pick ? npick : n;
    for (size_t i = 0; i < count; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, len - k, "%s%s", i ? ", " : "", names[pick ? pick[i] : i]);
    }
}

int lesson_dir_resolve(const char *dir, const char *name, char **path, char *err, size_t errlen)
{
    *path = NULL;
    if (strchr(name, '/')) return (*path = strdup(name)) ? RESLAB_OK : RESLAB_ERR_NOMEM;
    char **names;
    size_t n, hits[8], nhits = 0;
    int rc = lesson_dir_list(dir, &names, &n, err, errlen);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++)
        if (matches(names[i], name) && nhits < 8) hits[nhits++] = i;
    char list[1024];
    if (nhits == 1) {
        size_t len = strlen(dir) + strlen(names[hits[0]]) + 2;
        *path = malloc(len);
        if (*path) snprintf(*path, len, "%s/%s", dir, names[hits[0]]);
        else rc = status_set(err, errlen, RESLAB_ERR_NOMEM, "out of memory");
    } else if (nhits == 0) {
        join(list, sizeof list, names, n, NULL, 0);
        rc = status_set(err, errlen, RESLAB_ERR_INVALID, "no lesson '%s' in %s (%s%s)", name, dir,
                        n ? "there are: " : "it has no .lesson files", list);
    } else {
        join(list, sizeof list, names, n, hits, nhits);
        rc = status_set(err, errlen, RESLAB_ERR_INVALID, "'%s' names more than one lesson: %s", name, list);
    }
    lesson_dir_list_free(names, n);
    return rc;
}
