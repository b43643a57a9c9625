/* sandbox.c: a child process with limits (see sandbox.h). Between fork() and exec() the child
 * only makes async-signal-safe calls (setrlimit, setpgid, open, dup2, write, _exit): the parent
 * may have threads (OpenBLAS) or run under a sanitizer. */
#define _GNU_SOURCE
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "status.h"

SandboxLimits sandbox_limits_default(void)
{
    SandboxLimits l = {.cpu_seconds = 10, .wall_seconds = 22, .address_space = (size_t)1 << 30,
                       .file_size = (size_t)64 << 20, .output = NULL};
    return l;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit r = {soft, hard};
    setrlimit(resource, &r);
}

/* In the child: limits, own process group, redirections, exec. Reports errno through fd on
 * failure (the pipe is close-on-exec, so a successful exec closes it silently). */
static void child(char *const argv[], const SandboxLimits *lim, int report)
{
    setpgid(0, 0);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);                  /* dies if reslab dies (Ctrl-C) */
#endif
    set_limit(RLIMIT_CORE, 0, 0);
    if (lim->cpu_seconds > 0) {
        rlim_t s = (rlim_t)ceil(lim->cpu_seconds);
        set_limit(RLIMIT_CPU, s, s + 1);               /* SIGXCPU at s, SIGKILL at s + 1 */
    }
    if (lim->address_space) set_limit(RLIMIT_AS, lim->address_space, lim->address_space);
    if (lim->file_size) set_limit(RLIMIT_FSIZE, lim->file_size, lim->file_size);
    int in = open("/dev/null", O_RDONLY);
    int out = lim->output ? open(lim->output, O_WRONLY | O_CREAT | O_TRUNC, 0600)
                          : open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
        int e = errno;
        (void)!write(report, &e, sizeof e);
        _exit(127);
    }
    execvp(argv[0], argv);
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Waits for pid, polling every 5 ms; kills its group when the wall-clock limit passes. */
static int wait_child(pid_t pid, double wall, SandboxResult *res)
{
    double start = now();
    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, wall > 0 ? WNOHANG : 0);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) return -1;
        if (wall > 0 && now() - start > wall) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            res->timed_out = 1;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
            break;
        }
        struct timespec ms5 = {0, 5000000};
        nanosleep(&ms5, NULL);
    }
    if (WIFEXITED(st)) res->exited = 1, res->exit_code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) res->signal = WTERMSIG(st);
    return 0;
}

int sandbox_run(char *const argv[], const SandboxLimits *lim, SandboxResult *res, char *err,
                size_t errlen)
{
    *res = (SandboxResult){0};
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot create a pipe: %s", strerror(errno));
    fflush(NULL);                                      /* no stdio buffer is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(argv, lim, fds[1]);
    }
    close(fds[1]);
    setpgid(pid, pid);                                 /* no race with the child's own call */
    int child_errno = 0;
    ssize_t got;
    while ((got = read(fds[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {}
    close(fds[0]);
    if (wait_child(pid, lim->wall_seconds, res) != 0)
        return status_set(err, errlen, RESLAB_ERR_IO, "waiting for '%s' failed: %s", argv[0],
                          strerror(errno));
    if (got == (ssize_t)sizeof child_errno)
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot run '%s': %s", argv[0],
                          strerror(child_errno));
    return RESLAB_OK;
}

int sandbox_ok(const SandboxResult *r) { return r->exited && r->exit_code == 0 && !r->timed_out; }

const char *sandbox_signal_name(int sig)
{
    static const struct { int sig; const char *name; } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGFPE, "SIGFPE"}, {SIGBUS, "SIGBUS"},
        {SIGILL, "SIGILL"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGKILL, "SIGKILL"},
        {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"}, {SIGPIPE, "SIGPIPE"}, {SIGTRAP, "SIGTRAP"},
        {SIGSYS, "SIGSYS"}, {SIGHUP, "SIGHUP"}, {SIGALRM, "SIGALRM"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig) return names[i].name;
    return "an unusual signal";
}

/* What a signal usually means in a student's backward pass. */
static const char *signal_meaning(int sig)
{
    switch (sig) {
    case SIGSEGV: return "segmentation fault: a bad pointer, a NULL from a failed malloc, or an "
                         "index far out of range";
    case SIGABRT: return "aborted: an index out of range (AT) or a failed assert";
    case SIGFPE: return "arithmetic exception: an integer division by zero";
    case SIGBUS: return "bus error: a misaligned or unmapped address";
    case SIGXCPU: return "CPU time limit exceeded: an infinite loop?";
    case SIGXFSZ: return "output too large: printing in a loop?";
    case SIGKILL: return "killed: it went past the CPU time or the memory limit";
    default: return "killed by a signal";
    }
}

void sandbox_describe(const SandboxResult *r, const SandboxLimits *lim, char *out, size_t len)
{
    if (r->timed_out)
        snprintf(out, len, "timeout: still running after %.0f s of wall-clock time, killed "
                           "(an infinite loop, or waiting for input?)", lim->wall_seconds);
    else if (r->signal == SIGXCPU || (r->signal == SIGKILL && lim->cpu_seconds > 0))
        snprintf(out, len, "%s (%s; the limit is %.0f s of CPU time)", sandbox_signal_name(r->signal),
                 signal_meaning(r->signal), lim->cpu_seconds);
    else if (r->signal)
        snprintf(out, len, "%s (%s)", sandbox_signal_name(r->signal), signal_meaning(r->signal));
    else
        snprintf(out, len, "exit status %d", r->exit_code);
}

int sandbox_tempdir(char *out, size_t len, char *err, size_t errlen)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    if ((size_t)snprintf(out, len, "%s/reslab-exercise-XXXXXX", base) >= len)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "TMPDIR is too long");
    if (!mkdtemp(out))
        return status_set(err, errlen, RESLAB_ERR_IO, "cannot create a temporary directory in %s: %s",
                          base, strerror(errno));
    return RESLAB_OK;
}

void sandbox_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4096];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path) unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

char *sandbox_read_text(const char *path, size_t max, int *truncated)
{
    *truncated = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, max, f);
    *truncated = n == max && fgetc(f) != EOF;
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0') buf[i] = ' ';                 /* keep it printable as a string */
    fclose(f);
    return buf;
}
