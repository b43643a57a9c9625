/* excase.c: test cases as named matrices and their files (see excase.h). */
#include "excase.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define MAGIC_IN 0x4e495852u       /* "RXIN" */
#define MAGIC_RECORD 0x43525852u   /* "RXRC" */

int excase_add(Excase *c, const char *name, int rows, int cols, ExcaseRole role, int wrt)
{
    if (c->count >= EXCASE_MAX || rows < 1 || cols < 1) return -1;
    ExcaseArray *a = &c->a[c->count];
    *a = (ExcaseArray){.rows = rows, .cols = cols, .role = role, .wrt = wrt};
    snprintf(a->name, sizeof a->name, "%s", name);
    a->value = calloc((size_t)rows * cols, sizeof(double));
    a->ref = role == EXCASE_INPUT ? NULL : calloc((size_t)rows * cols, sizeof(double));
    if (!a->value || (role != EXCASE_INPUT && !a->ref)) {
        free(a->value);
        free(a->ref);
        return -1;
    }
    return c->count++;
}

int excase_find(const Excase *c, const char *name)
{
    for (int i = 0; i < c->count; i++)
        if (strcmp(c->a[i].name, name) == 0) return i;
    return -1;
}

double *excase_data(Excase *c, int i)
{
    return c->a[i].role == EXCASE_INPUT ? c->a[i].value : c->a[i].ref;
}

int excase_alloc_work(Excase *c, size_t n_pattern, size_t n_scratch)
{
    c->pattern = calloc(n_pattern ? n_pattern : 1, 1);
    c->scratch = calloc(n_scratch ? n_scratch : 1, sizeof(double));
    c->xscratch = calloc(n_scratch ? n_scratch : 1, sizeof(long double));
    c->npattern = n_pattern;
    return c->pattern && c->scratch && c->xscratch ? 0 : -1;
}

void excase_free(Excase *c)
{
    for (int i = 0; i < c->count; i++) {
        free(c->a[i].value);
        free(c->a[i].ref);
    }
    free(c->pattern);
    free(c->scratch);
    free(c->xscratch);
    memset(c, 0, sizeof *c);
}

static int put(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

static int write_case(FILE *f, const Excase *c)
{
    uint32_t count = (uint32_t)c->count;
    if (put(f, &count, sizeof count)) return -1;
    for (int i = 0; i < c->count; i++) {
        const ExcaseArray *a = &c->a[i];
        char name[EXCASE_NAME_LEN] = {0};
        memcpy(name, a->name, strlen(a->name));
        int32_t hdr[3] = {a->rows, a->cols, (int32_t)a->role};
        if (put(f, name, sizeof name) || put(f, hdr, sizeof hdr)) return -1;
        if (a->role == EXCASE_INPUT && put(f, a->value, (size_t)a->rows * a->cols * sizeof(double)))
            return -1;
    }
    return 0;
}

int excase_write(const char *path, int exercise, const Excase *cases, int n, char *err,
                 size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) return status_set(err, errlen, RESLAB_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    uint32_t hdr[3] = {MAGIC_IN, (uint32_t)exercise, (uint32_t)n};
    int bad = put(f, hdr, sizeof hdr);
    for (int k = 0; k < n && !bad; k++) bad = write_case(f, &cases[k]);
    if (fclose(f) != 0) bad = -1;
    return bad ? status_set(err, errlen, RESLAB_ERR_IO, "cannot write %s", path) : RESLAB_OK;
}

/* The doubles a record of case c carries: every matrix that is not an input. */
static size_t record_len(const Excase *c)
{
    size_t n = 0;
    for (int i = 0; i < c->count; i++)
        if (c->a[i].role != EXCASE_INPUT) n += (size_t)c->a[i].rows * c->a[i].cols;
    return n;
}

int excase_read(const char *path, Excase *cases, int n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int done = 0;
    for (int k = 0; k < n; k++) {
        Excase *c = &cases[k];
        uint32_t hdr[4];
        if (fread(hdr, sizeof hdr, 1, f) != 1) break;
        if (hdr[0] != MAGIC_RECORD || hdr[1] != (uint32_t)k || hdr[3] != record_len(c)) break;
        int ok = 1;
        for (int i = 0; i < c->count && ok; i++) {
            ExcaseArray *a = &c->a[i];
            size_t len = (size_t)a->rows * a->cols;
            if (a->role != EXCASE_INPUT) ok = fread(a->value, sizeof(double), len, f) == len;
        }
        if (!ok) break;
        c->flags = hdr[2];
        c->done = 1;
        done++;
    }
    fclose(f);
    return done;
}
