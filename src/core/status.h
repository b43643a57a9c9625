/* status.h: the error codes of every reslab function that can fail at run time.
 *
 * Usage:
 *     char err[256];
 *     if (npy_write_matrix(path, m, err, sizeof err) != RESLAB_OK)
 *         fprintf(stderr, "reslab: %s\n", err);
 *
 * Functions that can fail (files, parsing, configuration) return one of these codes and write a
 * one-line message, naming what was wrong and where, into a caller's buffer. Math kernels return
 * void and assert their shapes; constructors return NULL. Only main() turns a code into an exit
 * status (the CLI maps every code except RESLAB_OK to exit status 2).
 */
#ifndef RESLAB_STATUS_H
#define RESLAB_STATUS_H

#include <stddef.h>

enum {
    RESLAB_OK = 0,
    RESLAB_ERR_INVALID = 1,   /* a bad argument or configuration value */
    RESLAB_ERR_NOMEM = 2,     /* an allocation failed */
    RESLAB_ERR_TOOBIG = 3,    /* the memory estimate exceeds the limit; the message gives it */
    RESLAB_ERR_IO = 4,        /* a file could not be opened, read or written */
    RESLAB_ERR_FORMAT = 5,    /* a file's contents are not what was expected */
    RESLAB_ERR_CANCELLED = 6, /* status_cancel asked a long computation to stop */
};

/* A short name for a code ("invalid argument", ...); never NULL. */
const char *status_name(int code);

/* printf into err (if err is not NULL and errlen > 0), always NUL-terminated; returns code, so a
 * failing function can end with `return status_set(err, errlen, RESLAB_ERR_IO, "...", ...);`. */
int status_set(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Cancelling long computations from another thread (the viewer's compute thread builds scenes
 * that take seconds: shatter with batch norm, large path expansions). status_cancel(1) asks every
 * computation that polls status_cancelled() to stop at its next check and return
 * RESLAB_ERR_CANCELLED; status_cancel(0) clears the request. Process-wide (one atomic flag);
 * the polls cost one relaxed load each. Polled by: shatter_sweep (per example and readout). */
void status_cancel(int on);
int status_cancelled(void);

#endif
