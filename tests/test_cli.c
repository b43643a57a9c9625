/* test_cli.c: the reslab program as a user meets it. Claims: bad input of every kind gives one
 * line on stderr naming the option and exit status 2 (never a crash); the same seed gives the
 * same bytes; --csv and --npy write what they say; gradcheck exits 0 on a correct net. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo.h>

#include "check.h"

typedef struct {
    int status;          /* exit status, or 128 + signal */
    char out[65536], err[4096];
} Run;

static const char *reslab, *tmpdir;

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = '\0';
    if (f) fclose(f);
}

/* Runs "ENV reslab ARGS" through the shell, capturing stdout and stderr. */
static void run_env(Run *r, const char *env, const char *args)
{
    char cmd[2048], o[512], e[512];
    snprintf(o, sizeof o, "%s/cli_out.txt", tmpdir);
    snprintf(e, sizeof e, "%s/cli_err.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "%s %s %s >%s 2>%s", env, reslab, args, o, e);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(o, r->out, sizeof r->out);
    slurp(e, r->err, sizeof r->err);
}

static void run(Run *r, const char *args) { run_env(r, "", args); }

/* `reslab` alone opens the viewer; without a display: one line saying so and naming the render
 * command that draws the same picture, exit 2, nothing on stdout. */
static void test_no_args_without_display(Check *c)
{
    Run r;
    run_env(&r, "env -u DISPLAY -u WAYLAND_DISPLAY SDL_VIDEODRIVER=x11", "");
    size_t lines = 0;
    for (const char *p = r.err; *p; p++) lines += *p == '\n';
    check_true(c, r.status == 2 && lines == 1 && strstr(r.err, "no display") &&
                  strstr(r.err, "reslab render depth") && r.out[0] == '\0',
               "test_reslab_alone_without_display: exit %d, %zu lines: %s", r.status, lines, r.err);
}

static void expect_refused(Check *c, const char *args, const char *needle)
{
    Run r;
    run(&r, args);
    size_t lines = 0;
    for (const char *p = r.err; *p; p++) lines += *p == '\n';
    check_true(c, r.status == 2 && strstr(r.err, needle) && lines == 1 && r.out[0] == '\0',
               "'reslab %s' -> exit %d, one line naming '%s': %.*s", args, r.status, needle,
               (int)strcspn(r.err, "\n"), r.err);
}

static void test_bad_input_is_refused_clearly(Check *c)
{
    expect_refused(c, "flow --depth abc", "--depth");
    expect_refused(c, "flow --depth 0", "--depth");
    expect_refused(c, "flow --width -3", "--width");
    expect_refused(c, "flow --width 12x", "--width");
    expect_refused(c, "flow --batch 99999999999999999999999", "--batch");
    expect_refused(c, "flow --act sigmoid", "--act");
    expect_refused(c, "flow --shortcut bogus", "--shortcut");
    expect_refused(c, "flow --frobnicate", "--frobnicate");
    expect_refused(c, "flow --depth", "--depth");
    expect_refused(c, "flow extra", "extra");
    expect_refused(c, "flow --depth 100000 --width 4096", "GiB");
    expect_refused(c, "flow --bias-std nan", "--bias-std");
    expect_refused(c, "gradcheck --step 0", "--step");
    expect_refused(c, "gradcheck --block --in-width 3 --width 5 --shortcut identity", "equal widths");
    expect_refused(c, "unroll --npy /nonexistent/dir", "/nonexistent/dir");
    expect_refused(c, "frobnicate", "frobnicate");
}

static void test_same_seed_same_bytes(Check *c)
{
    static Run a, b, d;
    run(&a, "flow --depth 30 --seed 4 --csv");
    run(&b, "flow --depth 30 --seed 4 --csv");
    run(&d, "flow --depth 30 --seed 5 --csv");
    check_true(c, a.status == 0 && strcmp(a.out, b.out) == 0 && strcmp(a.out, d.out) != 0,
               "flow --seed 4 twice: identical bytes; --seed 5 differs");
    check_true(c, strncmp(a.out, "layer,plain,residual\n0,", 23) == 0,
               "--csv starts with the header line");
}

static void test_overflow_is_shown_not_crashed(Check *c)
{
    static Run r;
    run(&r, "flow --depth 1000 --width 16 --batch 2");
    check_true(c, r.status == 0 && strstr(r.out, "overflow"),
               "a residual net of depth 1000 without normalisation overflows and says so");
}

static void test_npy_files_are_written(Check *c)
{
    char dir[512], args[1024], path[1024];
    snprintf(dir, sizeof dir, "%s/cli_npy", tmpdir);
    mkdir(dir, 0755);
    snprintf(args, sizeof args, "flow --depth 5 --npy %s", dir);
    static Run r;
    run(&r, args);
    const char *names[] = {"plain_grad_norms", "residual_grad_norms", "plain_x", "residual_dx", "input"};
    int all = r.status == 0;
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
        all &= access(path, R_OK) == 0;
    }
    check_true(c, all, "flow --npy writes the norms, activations, gradients and input");
}

static void test_gradcheck_and_unroll_report(Check *c)
{
    static Run r;
    run(&r, "gradcheck --depth 20 --act tanh --init glorot");
    check_true(c, r.status == 0 && strstr(r.out, "): correct"), "gradcheck of a depth-20 tanh net: correct, exit 0");
    run(&r, "gradcheck --block --in-width 3 --width 5 --shortcut project --order pre");
    check_true(c, r.status == 0 && strstr(r.out, "Ws"), "gradcheck of a projection block checks Ws");
    run(&r, "unroll --depth 1000 --width 32 --branch-scale 0.0316 --bias-std 0.1");
    check_true(c, r.status == 0 && strstr(r.out, "Eq. 4 holds to 1e-12"), "unroll at depth 1000 holds to 1e-12");
    run(&r, "unroll --order post");
    check_true(c, r.status == 0 && strstr(r.out, "does not hold"), "unroll --order post: Eq. 4 does not hold");
    run(&r, "unroll --act identity");
    check_true(c, r.status == 0 && strstr(r.out, "four paths  x + M1 x"), "unroll --act identity shows the four paths");
    run(&r, "--version");
    check_true(c, r.status == 0 && strncmp(r.out, "reslab ", 7) == 0, "--version prints the version");
    run(&r, "flow --help");
    check_true(c, r.status == 0 && strstr(r.out, "--depth"), "flow --help lists its options");
}

static void test_flow_modes(Check *c)
{
    static Run r;
    run(&r, "flow --sweep --depth 5 --csv");
    check_true(c, r.status == 0 && strncmp(r.out, "depth,plain_grad_x0,residual_grad_x0", 36) == 0,
               "flow --sweep --csv: one row per prefix depth");
    run(&r, "flow --jacobian --depth 4 --width 5 --order pre --zero-last");
    check_true(c, r.status == 0 && strstr(r.out, "residual  s_max 1.0000e+00  s_min 1.0000e+00  condition 1.0000e+00"),
               "flow --jacobian with F = 0: the residual Jacobian is I (all singular values 1)");
    run(&r, "flow --jacobian --depth 4 --bn --batch 4");
    check_true(c, r.status == 0 && strstr(r.out, "not defined with batch norm"),
               "flow --jacobian --bn: backprop Jacobian, no per-block table");
    run(&r, "flow --paths --depth 6 --samples 10");
    check_true(c, r.status == 0 && strstr(r.out, "binomial(6, 1/2), mean 3"), "flow --paths: binomial path lengths");
    run(&r, "flow --lesion --depth 5 --csv");
    check_true(c, r.status == 0 && strncmp(r.out, "deleted_block,plain_rel_change,residual_rel_change\n1,", 53) == 0,
               "flow --lesion --csv: one row per deleted block");
    run(&r, "flow --variant gate --depth 3");
    check_true(c, r.status == 0 && strstr(r.out, "gate-bias -6"), "flow --variant gate runs with the paper's gate bias");
    run(&r, "flow --stats --depth 4 --order pre --zero-last --csv");
    check_true(c, r.status == 0 && strstr(r.out, "residual,4,") && strstr(r.out, "net,layer,mean,std,q"),
               "flow --stats --csv: rows for both nets");
    run(&r, "flow --shatter --depth 3 --width 8");
    check_true(c, r.status == 0 && strstr(r.out, "lag-4") && !strstr(r.out, "residual + BN"),
               "flow --shatter: plain and residual columns (BN only with --bn)");
    expect_refused(c, "flow --sweep --jacobian", "choose one of");
    expect_refused(c, "flow --jacobian --example 8", "--example 8");
    expect_refused(c, "flow --variant bogus", "--variant");
    expect_refused(c, "flow --dropout 1", "--dropout");
}

static void test_render(Check *c)
{
    static Run r;
    char args[1024], path[512];
    snprintf(path, sizeof path, "%s/cli_render.png", tmpdir);
    snprintf(args, sizeof args, "render depth --depth 4 --size 640x400 --scale 2 -o %s", path);
    run(&r, args);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    check_true(c, r.status == 0 && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS &&
               cairo_image_surface_get_width(img) == 1280 && cairo_image_surface_get_height(img) == 800,
               "render depth --size 640x400 --scale 2 writes a 1280x800 PNG");
    cairo_surface_destroy(img);
    expect_refused(c, "render bogus -o x.png", "bogus");
    expect_refused(c, "render depth -o x.jpg", ".jpg");
    expect_refused(c, "render depth", "-o FILE");
    expect_refused(c, "render depth -o /nonexistent/x.png", "/nonexistent");
    expect_refused(c, "render depth --theme /nonexistent.txt -o x.png", "nonexistent.txt");
    expect_refused(c, "render depth --lang fr -o x.png", "--lang");
    expect_refused(c, "render jacobian --example 8 -o x.png", "example");
}

int main(void)
{
    Check c = {0};
    reslab = getenv("RESLAB_EXE");
    tmpdir = getenv("TEST_BUILD_DIR") ? getenv("TEST_BUILD_DIR") : "/tmp";
    if (!reslab) {
        printf("SKIP: RESLAB_EXE is not set\n");
        return 77;
    }
    test_bad_input_is_refused_clearly(&c);
    test_no_args_without_display(&c);
    test_same_seed_same_bytes(&c);
    test_overflow_is_shown_not_crashed(&c);
    test_npy_files_are_written(&c);
    test_gradcheck_and_unroll_report(&c);
    test_flow_modes(&c);
    test_render(&c);
    return check_done(&c);
}
