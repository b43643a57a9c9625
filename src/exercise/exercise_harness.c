/* exercise_harness.c: the `main` a student's exercise file is linked with. Not part of libreslab:
 * `reslab exercise check` compiles this file together with the student's, with the same
 * compiler and -DEXERCISE_NUMBER=N, and runs the program in a child process:
 *
 *     prog INPUT OUTPUT
 *
 * INPUT holds the test cases the grader drew (excase.h describes the format): per case a list
 * of named matrices, each an input (data follows), a forward output or a gradient. For every
 * case the harness allocates the outputs zeroed, calls the student's forward and then backward,
 * and appends one record to OUTPUT: "RXRC", the case index, flags (1 = not_implemented() was
 * called), the number of doubles, then every output matrix in order. A record is written with
 * one write() as soon as its case is done, so after a crash the grader still has the cases
 * before it. Only libc and libm: the grader never depends on how reslab itself was built.
 * Dimensions: B batch, n stream width, h hidden width, L blocks, k classes (reslab_exercise.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reslab_exercise.h"

#ifndef EXERCISE_NUMBER
#error "compile with -DEXERCISE_NUMBER=N (reslab exercise check does)"
#endif

enum { ROLE_INPUT = 0, NAME_LEN = 16 };

typedef struct {
    char name[NAME_LEN];
    int role;
    ExMat m;
} Array;

typedef struct {
    uint32_t count;
    Array *a;
} Case;

/* Set by not_implemented(); the one piece of state a skeleton can touch. */
static int todo_called;

void not_implemented(void) { todo_called = 1; }

void ex_index_error(const ExMat *m, long i, long j, const char *file, int line)
{
    fprintf(stderr, "%s:%d: AT(%s, %ld, %ld) is out of range: %s is %d x %d (rows 0..%d, columns 0..%d)\n",
            file, line, m->name, i, j, m->name, m->rows, m->cols, m->rows - 1, m->cols - 1);
    fflush(stderr);
    abort();
}

ExMat *ex_new(const char *name, int rows, int cols)
{
    ExMat *m = malloc(sizeof *m);
    double *d = rows > 0 && cols > 0 ? calloc((size_t)rows * cols, sizeof *d) : NULL;
    if (!m || !d) {
        fprintf(stderr, "ex_new(\"%s\", %d, %d): out of memory (or a size below 1)\n", name, rows, cols);
        exit(4);
    }
    *m = (ExMat){name, rows, cols, d};
    return m;
}

void ex_delete(ExMat *m)
{
    if (m) free(m->data);
    free(m);
}

/* Z = X W^T + 1 b^T:  [B x out] = [B x in][in x out] + the bias in every row. */
void ex_linear_forward(const ExMat *X, const ExMat *W, const ExMat *b, ExMat *Z)
{
    for (int i = 0; i < X->rows; i++)
        for (int o = 0; o < W->rows; o++) {
            double s = b ? AT(b, 0, o) : 0.0;
            for (int k = 0; k < X->cols; k++) s += AT(X, i, k) * AT(W, o, k);
            AT(Z, i, o) = s;
        }
}

/* A = max(Z, 0), elementwise. */
void ex_relu_forward(const ExMat *Z, ExMat *A)
{
    for (int i = 0; i < Z->rows; i++)
        for (int j = 0; j < Z->cols; j++) AT(A, i, j) = AT(Z, i, j) > 0.0 ? AT(Z, i, j) : 0.0;
}

static void die(const char *what)
{
    fprintf(stderr, "exercise harness: %s\n", what);
    exit(3);
}

static void read_exact(FILE *f, void *buf, size_t n)
{
    if (n && fread(buf, 1, n, f) != n) die("the input file is truncated");
}

static void read_case(FILE *f, Case *c)
{
    read_exact(f, &c->count, sizeof c->count);
    if (c->count == 0 || c->count > 4096) die("bad array count in the input file");
    c->a = calloc(c->count, sizeof *c->a);
    if (!c->a) die("out of memory");
    for (uint32_t i = 0; i < c->count; i++) {
        Array *a = &c->a[i];
        int32_t hdr[3];
        read_exact(f, a->name, NAME_LEN);
        read_exact(f, hdr, sizeof hdr);
        a->name[NAME_LEN - 1] = '\0';
        if (hdr[0] < 1 || hdr[1] < 1 || hdr[0] > 4096 || hdr[1] > 4096) die("bad matrix shape");
        a->m = (ExMat){a->name, hdr[0], hdr[1], calloc((size_t)hdr[0] * hdr[1], sizeof(double))};
        a->role = hdr[2];
        if (!a->m.data) die("out of memory");
        if (a->role == ROLE_INPUT) read_exact(f, a->m.data, (size_t)hdr[0] * hdr[1] * sizeof(double));
    }
}

/* The matrix named by the format, e.g. get(c, "W1[%d]", l); NULL if optional and absent. */
static ExMat *find(Case *c, int required, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static ExMat *find(Case *c, int required, const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    for (uint32_t i = 0; i < c->count; i++)
        if (strcmp(c->a[i].name, name) == 0) return &c->a[i].m;
    if (required) die("a matrix is missing from the input file (grader and harness differ)");
    return NULL;
}
#define get(c, ...) find((c), 1, __VA_ARGS__)

#if EXERCISE_NUMBER >= 3 && EXERCISE_NUMBER <= 5
static void block_of(Case *c, ExBlock *b, ExBlockGrads *g)
{
    *b = (ExBlock){get(c, "X"), get(c, "W1"), get(c, "b1"), get(c, "W2"), get(c, "b2"),
                   find(c, 0, "Ws"), find(c, 0, "A0"), get(c, "Z1"), get(c, "A1"), get(c, "F"),
                   get(c, "Y")};
    *g = (ExBlockGrads){get(c, "dX"), get(c, "dW1"), get(c, "db1"), get(c, "dW2"), get(c, "db2"),
                        find(c, 0, "dWs")};
}
#endif

#if EXERCISE_NUMBER == 7
/* One of the two twins ("plain" or "resid"): shared weights and input, its own cache and grads. */
static void net_of(Case *c, const char *which, ExNet *net, ExNetGrads *g)
{
    memset(net, 0, sizeof *net);
    memset(g, 0, sizeof *g);
    int L = 0;
    while (L < EX_MAX_DEPTH && find(c, 0, "W1[%d]", L)) L++;
    net->depth = L;
    net->residual = strcmp(which, "resid") == 0;
    net->x[0] = get(c, "x[0]");
    for (int l = 0; l < L; l++) {
        net->W1[l] = get(c, "W1[%d]", l), net->b1[l] = get(c, "b1[%d]", l);
        net->W2[l] = get(c, "W2[%d]", l), net->b2[l] = get(c, "b2[%d]", l);
        net->Z1[l] = get(c, "%s.Z1[%d]", which, l), net->A1[l] = get(c, "%s.A1[%d]", which, l);
        net->Y[l] = get(c, "%s.Y[%d]", which, l), net->x[l + 1] = get(c, "%s.x[%d]", which, l + 1);
        g->dW1[l] = get(c, "%s.dW1[%d]", which, l), g->db1[l] = get(c, "%s.db1[%d]", which, l);
        g->dW2[l] = get(c, "%s.dW2[%d]", which, l), g->db2[l] = get(c, "%s.db2[%d]", which, l);
        g->dx[l] = get(c, "%s.dx[%d]", which, l);
    }
    g->dx[L] = get(c, "%s.dx[%d]", which, L);
}
#endif

/* Runs the student's forward, then backward, on one case; returns 1 if not_implemented() ran. */
static int run_case(Case *c)
{
#if EXERCISE_NUMBER == 1
    relu_forward(get(c, "Z"), get(c, "A"));
    todo_called = 0;
    relu_backward(get(c, "Z"), get(c, "A"), get(c, "dA"), get(c, "dZ"));
#elif EXERCISE_NUMBER == 2
    linear_forward(get(c, "X"), get(c, "W"), get(c, "b"), get(c, "Z"));
    todo_called = 0;
    linear_backward(get(c, "X"), get(c, "W"), get(c, "dZ"), get(c, "dX"), get(c, "dW"), get(c, "db"));
#elif EXERCISE_NUMBER >= 3 && EXERCISE_NUMBER <= 5
    ExBlock b;
    ExBlockGrads g;
    block_of(c, &b, &g);
    void (*fwd)(ExBlock *) = EXERCISE_NUMBER == 3 ? residual_forward
                           : EXERCISE_NUMBER == 4 ? projection_forward : preact_forward;
    void (*bwd)(const ExBlock *, const ExMat *, ExBlockGrads *) =
        EXERCISE_NUMBER == 3 ? residual_backward
      : EXERCISE_NUMBER == 4 ? projection_backward : preact_backward;
    fwd(&b);
    todo_called = 0;
    bwd(&b, get(c, "dY"), &g);
#elif EXERCISE_NUMBER == 6
    *get(c, "loss")->data = softmax_xent_forward(get(c, "Z"), get(c, "Y"), get(c, "P"));
    todo_called = 0;
    softmax_xent_backward(get(c, "P"), get(c, "Y"), get(c, "dZ"));
#elif EXERCISE_NUMBER == 7
    ExNet net;
    ExNetGrads g;
    int todo = 0;
    static const char *const which[] = {"plain", "resid"};
    for (int t = 0; t < 2; t++) {
        net_of(c, which[t], &net, &g);
        exnet_forward(&net);
        todo_called = 0;
        exnet_backward(&net, &g);
        todo |= todo_called;
    }
    todo_called = todo;
#else
#error "no such exercise"
#endif
    return todo_called;
}

/* Appends the case's record: magic, index, flags, count, then every output matrix. */
static void write_record(FILE *out, const Case *c, uint32_t index, uint32_t flags)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->count; i++)
        if (c->a[i].role != ROLE_INPUT) n += (uint32_t)(c->a[i].m.rows * c->a[i].m.cols);
    size_t bytes = 16 + (size_t)n * sizeof(double), at = 16;
    unsigned char *buf = malloc(bytes);
    if (!buf) die("out of memory");
    uint32_t hdr[4] = {0x43525852u /* "RXRC" */, index, flags, n};
    memcpy(buf, hdr, sizeof hdr);
    for (uint32_t i = 0; i < c->count; i++) {
        const ExMat *m = &c->a[i].m;
        if (c->a[i].role == ROLE_INPUT) continue;
        memcpy(buf + at, m->data, (size_t)m->rows * m->cols * sizeof(double));
        at += (size_t)m->rows * m->cols * sizeof(double);
    }
    if (fwrite(buf, 1, bytes, out) != bytes || fflush(out) != 0) die("cannot write the results");
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 3) die("usage: prog INPUT OUTPUT (run by reslab exercise check)");
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) die("cannot open the input or the output file");
    uint32_t hdr[3];
    read_exact(in, hdr, sizeof hdr);
    if (hdr[0] != 0x4e495852u /* "RXIN" */ || hdr[1] != EXERCISE_NUMBER || hdr[2] > 64)
        die("the input file is not for this exercise");
    for (uint32_t k = 0; k < hdr[2]; k++) {
        Case c;
        read_case(in, &c);
        int todo = run_case(&c);
        write_record(out, &c, k, todo ? 1u : 0u);
        for (uint32_t i = 0; i < c.count; i++) free(c.a[i].m.data);
        free(c.a);
    }
    fclose(in);
    fclose(out);
    return 0;
}
