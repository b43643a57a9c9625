/* sandbox.h: run a program in a child process with a CPU-time, memory, file-size and wall-clock
 * limit, its output captured into a file; report how it ended. The grader runs the compiler and
 * the student's program through it, so a crash, an infinite loop or a huge allocation in a
 * student's code is reported and never takes reslab down.
 *
 * Usage:
 *     SandboxLimits lim = sandbox_limits_default();     10 s CPU, 1 GiB, 64 MiB files, 22 s wall
 *     lim.output = "/tmp/x/run.log";
 *     SandboxResult r;
 *     if (sandbox_run(argv, &lim, &r, err, sizeof err)) ...   (could not start it: err says why)
 *     sandbox_describe(&r, &lim, msg, sizeof msg);          "SIGSEGV (segmentation fault: ...)"
 *
 * The child gets its own process group (the wall-clock timeout kills the whole group), stdin from
 * /dev/null, stdout and stderr into `output`, no core file, and (on Linux) dies with its parent.
 * argv[0] is looked up in PATH. Nothing here prints.
 */
#ifndef RESLAB_SANDBOX_H
#define RESLAB_SANDBOX_H

#include <stddef.h>

typedef struct {
    double cpu_seconds;      /* RLIMIT_CPU (SIGXCPU when reached); 0 = no limit */
    double wall_seconds;     /* the parent kills the child's group after this; 0 = no limit */
    size_t address_space;    /* RLIMIT_AS in bytes; 0 = no limit */
    size_t file_size;        /* RLIMIT_FSIZE in bytes (SIGXFSZ); 0 = no limit */
    const char *output;      /* file for stdout + stderr (created, truncated); NULL = /dev/null */
} SandboxLimits;

typedef struct {
    int exited;              /* 1: ended by exit(); exit_code holds its status */
    int exit_code;
    int signal;              /* the signal that ended it (0 if none) */
    int timed_out;           /* 1: killed by the wall-clock limit */
} SandboxResult;

SandboxLimits sandbox_limits_default(void);

/* Runs argv (NULL-terminated) and waits for it. RESLAB_OK when the program ran (whatever its
 * end: see res), RESLAB_ERR_IO if it could not be started (not found, fork failed: err says). */
int sandbox_run(char *const argv[], const SandboxLimits *lim, SandboxResult *res, char *err,
                size_t errlen);

/* 1 if the program exited with status 0. */
int sandbox_ok(const SandboxResult *r);

/* "SIGSEGV", "SIGXCPU", ... or "signal N". */
const char *sandbox_signal_name(int sig);

/* One line: "exit status 3", "SIGSEGV (segmentation fault: a bad pointer, ...)", "timeout: ...". */
void sandbox_describe(const SandboxResult *r, const SandboxLimits *lim, char *out, size_t len);

/* A private temporary directory "$TMPDIR/reslab-exercise-XXXXXX" into out. */
int sandbox_tempdir(char *out, size_t len, char *err, size_t errlen);

/* Removes the files in dir (not recursing) and dir itself; ignores errors. */
void sandbox_remove_dir(const char *dir);

/* The first max bytes of a file as a NUL-terminated string (malloc'd; NULL if unreadable);
 * *truncated is set to 1 if the file was longer. */
char *sandbox_read_text(const char *path, size_t max, int *truncated);

#endif
