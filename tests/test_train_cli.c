/* test_train_cli.c: batch norm in inference mode, and `reslab train` as a user meets it.
 * Claims (core): a frozen batch-norm layer normalises each row with the given statistics alone
 * (the same row gives the same output in any batch) and its backward passes a central-difference
 * check; train_bn_freeze's statistics of the first BN layer are the closed-form column mean and
 * biased variance of W1 x_0 + b1 over the set; inference mode on the training set in padded
 * batches of 5 gives what one training-mode batch of the whole set gives (post and pre order).
 * Claims (CLI): bad options and bad data files give one line naming the option (and the file and
 * byte offset), exit 2, nothing on stdout; a small run's CSV has a header and one line per epoch
 * and the same bytes twice; --save writes the weights with their shapes; --compare prints one
 * row per depth and net and writes its CSV and a non-blank figure; a progress bar never reaches
 * a pipe; a diverging run says so. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batchnorm.h"
#include "check.h"
#include "softmax.h"
#include "testutil.h"
#include "train.h"

#define SAME_ROW 0.0          /* inference mode: a row's output depends on that row alone */
#define FD_TOL 1e-7           /* central differences, h 1e-6, on O(1) values: truncation ~1e-10 */
#define STATS_RTOL 1e-13      /* two-pass sums over 37 rows of O(1) values */
#define EVAL_TOL 1e-12        /* the same arithmetic at batch 37 and at batch 5: BLAS may sum in
                                 another order, so a few roundings, no more */

static const char *reslab, *tmpdir;

/* ---- batch norm in inference mode ---------------------------------------------------------- */

/* Two batches that share row 0 give the same output row 0 once frozen; backward passes FD. */
static void test_frozen_batchnorm(Check *c)
{
    gsl_rng *rng = tu_rng(5);
    size_t k = 3;
    gsl_matrix *x1 = gsl_matrix_alloc(4, k), *x2 = gsl_matrix_alloc(6, k), *y1 = gsl_matrix_alloc(4, k),
               *y2 = gsl_matrix_alloc(6, k), *dy = gsl_matrix_alloc(4, k), *dx = gsl_matrix_calloc(4, k);
    gsl_vector *g = gsl_vector_alloc(k), *b = gsl_vector_alloc(k), *mu = gsl_vector_alloc(k),
               *var = gsl_vector_alloc(k), *dg = gsl_vector_calloc(k), *db = gsl_vector_calloc(k);
    tu_fill(x1, rng, 1.0), tu_fill(x2, rng, 3.0), tu_fill(dy, rng, 1.0);
    for (size_t j = 0; j < k; j++) {
        gsl_matrix_set(x2, 0, j, gsl_matrix_get(x1, 0, j));
        gsl_vector_set(g, j, 1.0 + 0.3 * (double)j), gsl_vector_set(b, j, 0.1 * (double)j - 0.2);
        gsl_vector_set(mu, j, 0.5 - (double)j), gsl_vector_set(var, j, 2.0 + (double)j);
    }
    BatchnormCache *c1 = batchnorm_cache_alloc(4, k), *c2 = batchnorm_cache_alloc(6, k);
    batchnorm_cache_freeze(c1, mu, var), batchnorm_cache_freeze(c2, mu, var);
    batchnorm_forward(x1, g, b, BATCHNORM_EPS, y1, c1);
    batchnorm_forward(x2, g, b, BATCHNORM_EPS, y2, c2);
    double diff = 0.0, closed = 0.0;
    for (size_t j = 0; j < k; j++) {
        diff = fmax(diff, fabs(gsl_matrix_get(y1, 0, j) - gsl_matrix_get(y2, 0, j)));
        double want = gsl_vector_get(g, j) * (gsl_matrix_get(x1, 0, j) - gsl_vector_get(mu, j)) /
                      sqrt(gsl_vector_get(var, j) + BATCHNORM_EPS) + gsl_vector_get(b, j);
        closed = fmax(closed, fabs(gsl_matrix_get(y1, 0, j) - want));
    }
    check_true(c, diff <= SAME_ROW && closed <= 1e-15,
               "frozen BN: row 0 alone in a batch of 4 and of 6 gives the same output (diff %.3g), "
               "gamma (x - mu) / sqrt(var + eps) + beta to %.3g", diff, closed);
    /* L = sum_ij dy_ij y_ij, so dL/dy = dy; dx and dgamma against central differences */
    batchnorm_backward(dy, g, c1, dx, dg, db);
    double worst = 0.0, h = 1e-6;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < k; j++) {
            double x0 = gsl_matrix_get(x1, i, j), lp = 0, lm = 0;
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                gsl_matrix_set(x1, i, j, x0 + sgn * h);
                batchnorm_forward(x1, g, b, BATCHNORM_EPS, y1, c1);
                double l = 0;
                for (size_t q = 0; q < 4 * k; q++) l += dy->data[q] * y1->data[q];
                if (sgn < 0) lm = l; else lp = l;
            }
            gsl_matrix_set(x1, i, j, x0);
            worst = fmax(worst, fabs((lp - lm) / (2 * h) - gsl_matrix_get(dx, i, j)));
        }
    check_below(c, "frozen BN backward: dx = gamma dy / sqrt(var + eps) against central differences",
                worst, FD_TOL);
    batchnorm_cache_thaw(c1);
    batchnorm_forward(x1, g, b, BATCHNORM_EPS, y1, c1);
    check_true(c, fabs(gsl_vector_get(c1->mean, 0) - gsl_vector_get(mu, 0)) > 0.01,
               "thawed: the batch's own mean again (%.4f, not the frozen %.4f)",
               gsl_vector_get(c1->mean, 0), gsl_vector_get(mu, 0));
    batchnorm_cache_free(c1), batchnorm_cache_free(c2);
    gsl_matrix_free(x1), gsl_matrix_free(x2), gsl_matrix_free(y1), gsl_matrix_free(y2);
    gsl_matrix_free(dy), gsl_matrix_free(dx);
    gsl_vector_free(g), gsl_vector_free(b), gsl_vector_free(mu), gsl_vector_free(var);
    gsl_vector_free(dg), gsl_vector_free(db);
    gsl_rng_free(rng);
}

/* dim 2 -> width 5 -> k 3, depth 3, batch norm, BN scales and shifts moved off 1 and 0. */
static Classifier *bn_model(BlockOrder order, gsl_rng *rng)
{
    ClassifierConfig m = classifier_config_default();
    m.dim = 2, m.classes = 3, m.net.depth = 3, m.net.width = 5, m.net.bn = 1, m.net.order = order;
    m.net.bias_std = 0.2;
    Classifier *cl = classifier_alloc(&m, 4, rng);
    for (size_t i = 0; cl && i < cl->nparams; i++)
        if (!cl->params[i].decay)
            for (size_t j = 0; j < cl->params[i].count; j++) cl->params[i].value[j] += gsl_ran_gaussian(rng, 0.3);
    return cl;
}

static void test_population_statistics(Check *c)
{
    enum { N = 37 };
    gsl_rng *rng = tu_rng(11);
    double x[2 * N];
    for (size_t i = 0; i < 2 * N; i++) x[i] = gsl_ran_gaussian(rng, 1.5) + 0.3;
    int y[N];
    for (size_t i = 0; i < N; i++) y[i] = (int)(i % 3);
    for (int o = 0; o < 2; o++) {
        BlockOrder order = o ? ORDER_PRE : ORDER_POST;
        Classifier *m = bn_model(order, rng), *ev = classifier_alloc_twin(m, 5), *big = classifier_alloc_twin(m, N);
        char err[256];
        int rc = train_bn_freeze(ev, x, y, N, NULL, err, sizeof err);
        /* closed form, post order: BN1 of block 1 sees u = W1 x_0 + b1 with x_0 = W_in x (no BN
         * before it); its population mean and biased variance over the N rows, two passes */
        double worst = 0.0;
        const BatchnormCache *bn = classifier_bn_layer(ev, o ? 1 : 0, NULL, 0);
        for (size_t h = 0; !o && h < 5; h++) {
            double u[N], mean = 0, var = 0;
            for (size_t i = 0; i < N; i++) {
                u[i] = gsl_vector_get(m->net->params[0]->b1, h);
                for (size_t q = 0; q < 5; q++) {
                    double x0 = gsl_matrix_get(m->net->W_in, q, 0) * x[2 * i] + gsl_matrix_get(m->net->W_in, q, 1) * x[2 * i + 1];
                    u[i] += gsl_matrix_get(m->net->params[0]->W1, h, q) * x0;
                }
                mean += u[i] / N;
            }
            for (size_t i = 0; i < N; i++) var += (u[i] - mean) * (u[i] - mean) / N;
            worst = fmax(worst, fabs(gsl_vector_get(bn->mean, h) - mean) / fmax(fabs(mean), 1.0));
            worst = fmax(worst, fabs(gsl_vector_get(bn->var, h) - var) / var);
        }
        if (!o) check_below(c, "post: block 1's BN1 statistics = the column mean and biased variance of "
                               "W1 x_0 + b1 over the 37 rows (relative)", rc ? INFINITY : worst, STATS_RTOL);
        /* inference mode in batches of 5 (the last padded) = one training-mode batch of 37 */
        double probs[3 * N], want = 0.0;
        gsl_matrix_const_view X = gsl_matrix_const_view_array(x, N, 2);
        classifier_forward(big, &X.matrix);
        double lw = classifier_loss(big, y);
        if (!rc) rc = train_predict(ev, x, N, probs, err, sizeof err);
        for (size_t i = 0; i < 3 * N; i++) want = fmax(want, fabs(probs[i] - big->probs->data[i]));
        TrainEval e = {0};
        if (!rc) rc = train_evaluate(m, x, y, N, &e, err, sizeof err);
        check_true(c, !rc && want <= EVAL_TOL && fabs(e.loss - lw) <= EVAL_TOL,
                   "%s: inference mode with the population statistics, batches of 5 + padding = one "
                   "training-mode batch of all 37 rows (probabilities to %.2g; train_evaluate's loss "
                   "%.15f = %.15f); %zu BN layers", o ? "pre" : "post", want, e.loss, lw,
                   classifier_bn_count(ev));
        classifier_free(big), classifier_free(ev), classifier_free(m);
    }
    gsl_rng_free(rng);
}

/* ---- the command line ---------------------------------------------------------------------- */

typedef struct {
    int status;
    char out[65536], err[4096];
} Run;

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = '\0';
    if (f) fclose(f);
}

static void run(Run *r, const char *args)
{
    char cmd[4096], o[512], e[512];
    snprintf(o, sizeof o, "%s/tcli_out.txt", tmpdir);
    snprintf(e, sizeof e, "%s/tcli_err.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "cd %s && %s %s >%s 2>%s", tmpdir, reslab, args, o, e);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(o, r->out, sizeof r->out);
    slurp(e, r->err, sizeof r->err);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void expect_refused(Check *c, const char *args, const char *needle)
{
    static Run r;
    run(&r, args);
    check_true(c, r.status == 2 && strstr(r.err, needle) && count_lines(r.err) == 1 && r.out[0] == '\0',
               "'reslab %s' -> exit %d, one line naming '%s': %.*s", args, r.status, needle,
               (int)strcspn(r.err, "\n"), r.err);
}

static void test_bad_options(Check *c)
{
    expect_refused(c, "train --epochs 0", "--epochs");
    expect_refused(c, "train --epochs 3x", "'3x'");
    expect_refused(c, "train --lr -1", "--lr");
    expect_refused(c, "train --lr 0", "--lr");
    expect_refused(c, "train --momentum 1", "--momentum");
    expect_refused(c, "train --noise nan", "--noise");
    expect_refused(c, "train --arch resnet", "resnet");
    expect_refused(c, "train --schedule linear", "--schedule");
    expect_refused(c, "train --data moons", "moons");
    expect_refused(c, "train --classes 1", "--classes");
    expect_refused(c, "train --depth 0", "--depth");
    expect_refused(c, "train --frobnicate", "--frobnicate");
    expect_refused(c, "train --epochs", "--epochs");
    expect_refused(c, "train --compare --depths 4,,8", "--depths");
    expect_refused(c, "train --compare --seeds 1,-2", "--seeds");
    expect_refused(c, "train --depths 4,8", "--depths");
    expect_refused(c, "train --compare --arch plain", "--arch");
    expect_refused(c, "train --compare --plot fig.gif", "fig.gif");
    expect_refused(c, "train --compare --plot /nonexistent/fig.png", "/nonexistent/fig.png");
    expect_refused(c, "train --csv /nonexistent/log.csv", "/nonexistent/log.csv");
    expect_refused(c, "train --save /nonexistent", "/nonexistent");
    expect_refused(c, "train --bn --no-bn", "--no-bn");
    expect_refused(c, "train --in-width 3", "--in-width");
    expect_refused(c, "train --batch 2000", "fewer than the batch");
    expect_refused(c, "train --data idx:a.idx,b.idx --noise 0.1", "--noise");
    expect_refused(c, "train --data idx:onlyone", "two files");
    static Run r;
    run(&r, "train --help");
    check_true(c, r.status == 0 && strstr(r.out, "--compare") && strstr(r.out, "--depth"),
               "train --help: exit 0, lists the training and the net options");
}

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16), b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

static void write_file(const char *name, const unsigned char *b, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (f) fwrite(b, 1, n, f), fclose(f);
}

/* 40 images 2 x 2 of two classes (bright left or bright right), and their labels. */
static void write_idx(int bad_magic, int short_labels)
{
    static unsigned char im[16 + 160], lb[8 + 40];
    put_be32(im, bad_magic ? 0x00000801u : 0x00000803u), put_be32(im + 4, 40), put_be32(im + 8, 2);
    put_be32(im + 12, 2);
    put_be32(lb, 0x00000801u), put_be32(lb + 4, 40);
    for (int i = 0; i < 40; i++) {
        lb[8 + i] = (unsigned char)(i % 2);
        for (int p = 0; p < 4; p++) im[16 + 4 * i + p] = (unsigned char)((p % 2 == i % 2) ? 200 + i : 20 + i);
    }
    write_file("im.idx", im, sizeof im);
    write_file("lb.idx", lb, short_labels ? sizeof lb - 3 : sizeof lb);
}

static void test_data_files(Check *c)
{
    write_idx(1, 0);
    expect_refused(c, "train --data idx:im.idx,lb.idx", "im.idx: offset 0");
    write_idx(0, 1);
    expect_refused(c, "train --data idx:im.idx,lb.idx", "lb.idx: offset");
    static unsigned char rec[2 * 3073];
    rec[0] = 3, rec[3073] = 12;                          /* the second record's label is 12 */
    write_file("b.bin", rec, sizeof rec);
    expect_refused(c, "train --data cifar:b.bin", "b.bin: offset 3073");
    write_idx(0, 0);
    static Run r;
    run(&r, "train --data idx:im.idx,lb.idx --batch 8 --epochs 2 --depth 2 --width 4");
    check_true(c, r.status == 0 && strstr(r.out, "final"), "a small IDX pair trains: exit %d %s", r.status,
               r.err);
}

static void test_csv_same_bytes(Check *c)
{
    static Run r1, r2, r3;
    static char a[8192], b[8192], d[8192];
    char path[1024];
    run(&r1, "train --n 300 --depth 3 --width 8 --epochs 4 --csv a.csv");
    run(&r2, "train --n 300 --depth 3 --width 8 --epochs 4 --csv b.csv");
    run(&r3, "train --n 300 --depth 3 --width 8 --epochs 4 --seed 2 --csv d.csv");
    snprintf(path, sizeof path, "%s/a.csv", tmpdir), slurp(path, a, sizeof a);
    snprintf(path, sizeof path, "%s/b.csv", tmpdir), slurp(path, b, sizeof b);
    snprintf(path, sizeof path, "%s/d.csv", tmpdir), slurp(path, d, sizeof d);
    check_true(c, r1.status == 0 && count_lines(a) == 5 && strncmp(a, "epoch,step,loss,accuracy,lr\n1,4,", 32) == 0,
               "--csv: a header and one line per epoch (4), 4 steps an epoch");
    check_true(c, a[0] && strcmp(a, b) == 0 && strcmp(a, d) != 0, "the same seed twice: the same bytes; seed 2 differs");
    check_true(c, strchr(r1.out, '\r') == NULL && count_lines(r1.out) == 9,
               "piped: no progress bar (no carriage return), 2 header lines, 4 epoch lines, final, "
               "header of the table, 'wrote' (%zu lines)", count_lines(r1.out));
}

static void test_save(Check *c)
{
    char dir[1024], path[1200], head[256];
    snprintf(dir, sizeof dir, "%s/saved", tmpdir);
    mkdir(dir, 0755);
    static Run r;
    char args[1400];
    snprintf(args, sizeof args, "train --n 200 --depth 2 --width 8 --epochs 1 --save %s", dir);
    run(&r, args);
    snprintf(path, sizeof path, "%s/head.W.npy", dir);
    slurp(path, head, sizeof head);
    snprintf(path, sizeof path, "%s/block2.bn2.var.npy", dir);
    check_true(c, r.status == 0 && strstr(head + 10, "'shape': (3, 8)") && access(path, R_OK) == 0,
               "--save: head.W.npy has shape (3, 8); block2.bn2.var.npy (population statistics) exists");
}

static void test_compare(Check *c)
{
    static Run r;
    static char csv[65536];
    char path[1024];
    run(&r, "train --compare --depths 2,3 --seeds 1,2 --epochs 2 --n 200 --width 8 --csv cmp.csv "
            "--plot cmp.png");
    size_t rows = 0;
    for (const char *p = r.out; (p = strstr(p, "\n     ")); p++) rows += strstr(p, "plain") == p + 9 || strstr(p, "residual") == p + 9;
    snprintf(path, sizeof path, "%s/cmp.csv", tmpdir);
    slurp(path, csv, sizeof csv);
    check_true(c, r.status == 0 && rows == 4 && strstr(r.out, "     2  plain") && strstr(r.out, "     3  residual"),
               "--compare: a table row per depth and net (%zu rows)", rows);
    check_true(c, count_lines(csv) == 1 + 2 * 2 * 2 * 2 && strncmp(csv, "depth,net,seed,epoch,loss,error\n", 32) == 0,
               "--compare --csv: header + depths x nets x seeds x epochs = 16 rows (%zu lines)", count_lines(csv));
    snprintf(path, sizeof path, "%s/cmp.png", tmpdir);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    int ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS && cairo_image_surface_get_width(img) == 1280 &&
             cairo_image_surface_get_height(img) == 960;
    size_t colours = 0;
    static unsigned char seen[1 << 24];
    for (int y = 0; ok && y < 960; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(cairo_image_surface_get_data(img) +
                                                               (size_t)y * (size_t)cairo_image_surface_get_stride(img));
        for (int x = 0; x < 1280; x++) colours += !seen[row[x] & 0xffffff]++;
    }
    cairo_surface_destroy(img);
    check_true(c, ok && colours > 200, "--plot: a 1280 x 960 PNG with %zu colours (not blank)", colours);
}

static void test_divergence(Check *c)
{
    static Run r;
    run(&r, "train --no-bn --depth 32 --epochs 1");
    check_true(c, r.status == 2 && strstr(r.err, "lower the learning rate") && count_lines(r.err) == 1,
               "residual depth 32 without batch norm diverges: exit %d: %.*s", r.status,
               (int)strcspn(r.err, "\n"), r.err);
}

int main(void)
{
    Check c = {0};
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_frozen_batchnorm(&c);
    test_population_statistics(&c);
    reslab = getenv("RESLAB_EXE");
    tmpdir = getenv("TEST_BUILD_DIR") ? getenv("TEST_BUILD_DIR") : "/tmp";
    if (!reslab || !reslab[0]) {
        printf("RESLAB_EXE not set: the command-line tests are skipped\n");
        return check_done(&c);
    }
    test_bad_options(&c);
    test_data_files(&c);
    test_csv_same_bytes(&c);
    test_save(&c);
    test_compare(&c);
    test_divergence(&c);
    return check_done(&c);
}
