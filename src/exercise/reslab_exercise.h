/* reslab_exercise.h: everything an exercise file (lessons/exercises/NN-*.c) may use.
 *
 * Usage (in the student's file):
 *     #include "reslab_exercise.h"
 *     void relu_backward(const ExMat *Z, const ExMat *A, const ExMat *dA, ExMat *dZ)
 *     {
 *         for (int i = 0; i < Z->rows; i++)
 *             for (int j = 0; j < Z->cols; j++)
 *                 if (AT(Z, i, j) > 0) AT(dZ, i, j) += AT(dA, i, j);
 *     }
 * Check it with `reslab exercise check FILE`.
 *
 * Conventions (docs/math.md): a batch is a matrix with one example per row (B rows); a weight
 * matrix is stored (fan_out, fan_in), so a dense layer is Z = X W^T + 1 b^T; a bias is a
 * (1, width) row. Legend: B batch, n width of the residual stream, h hidden width inside F,
 * L number of blocks, k classes.
 *
 * Backward passes ACCUMULATE (+=), like reslab's core: the grader zeroes every gradient before
 * calling your backward, so `+=` and `=` give the same result for a gradient with one source,
 * but a gradient with two sources (the fan-out of a residual block) needs `+=`.
 *
 * The grader compiles your file together with exercise_harness.c (the `main` that reads the
 * test cases, calls your forward and backward and writes the results back), runs it in a child
 * process with a CPU-time and a memory limit, and compares your gradients with central
 * differences of its own forward pass (docs/exercises.md).
 */
#ifndef RESLAB_EXERCISE_H
#define RESLAB_EXERCISE_H

#include <stddef.h>

/* A matrix: rows x cols doubles, row-major (entry (i, j) at data[i * cols + j]). */
typedef struct {
    const char *name;   /* "dW1": used in messages */
    int rows, cols;
    double *data;
} ExMat;

/* Called by AT() when an index is out of range: prints "FILE:LINE: AT(dW, 4, 1) is out of
 * range: dW is 3 x 5" on stderr and aborts (the grader reports SIGABRT and the message). */
void ex_index_error(const ExMat *m, long i, long j, const char *file, int line)
    __attribute__((noreturn));

static inline double *ex_at(const ExMat *m, long i, long j, const char *file, int line)
{
    if (i < 0 || i >= m->rows || j < 0 || j >= m->cols) ex_index_error(m, i, j, file, line);
    return &m->data[i * m->cols + j];
}

/* AT(m, i, j): entry (i, j) of m, to read or to write (AT(dX, i, j) += ...); range-checked. */
#define AT(m, i, j) (*ex_at((m), (long)(i), (long)(j), __FILE__, __LINE__))

/* The skeletons call this where your code goes; the grader then reports "not implemented".
 * Delete the call when you write the backward pass. */
void not_implemented(void);

/* A new zeroed rows x cols matrix for your own temporaries (e.g. dA1 in exercise 3), and its
 * release. ex_new never returns NULL: out of memory, it prints a message and exits. */
ExMat *ex_new(const char *name, int rows, int cols);
void ex_delete(ExMat *m);

/* Forward helpers the later exercises use (the forward passes of exercises 1 and 2):
 * Z = X W^T + 1 b^T with X (B, in), W (out, in), b (1, out) or NULL, Z (B, out);  A = max(Z, 0). */
void ex_linear_forward(const ExMat *X, const ExMat *W, const ExMat *b, ExMat *Z);
void ex_relu_forward(const ExMat *Z, ExMat *A);

/* ---- Exercise 1: ReLU.  Z, A, dA, dZ all (B, k). */
void relu_forward(const ExMat *Z, ExMat *A);
void relu_backward(const ExMat *Z, const ExMat *A, const ExMat *dA, ExMat *dZ);

/* ---- Exercise 2: a dense layer Z = X W^T + 1 b^T.
 * X (B, in), W (out, in), b (1, out), Z and dZ (B, out); dX, dW, db shaped like X, W, b. */
void linear_forward(const ExMat *X, const ExMat *W, const ExMat *b, ExMat *Z);
void linear_backward(const ExMat *X, const ExMat *W, const ExMat *dZ, ExMat *dX, ExMat *dW,
                     ExMat *db);

/* ---- Exercises 3, 4, 5: one block, widths n_in -> n_out, hidden width h.
 * The branch F reads A (A = X in exercises 3 and 4, A = A0 = relu(X) in exercise 5):
 *     Z1 = A W1^T + 1 b1^T,  A1 = relu(Z1),  F = A1 W2^T + 1 b2^T
 * and the output is Y = F + X (3, 5) or Y = F + X Ws^T (4). */
typedef struct {
    ExMat *X;           /* (B, n_in)  the input */
    ExMat *W1, *b1;     /* (h, n_in), (1, h) */
    ExMat *W2, *b2;     /* (n_out, h), (1, n_out) */
    ExMat *Ws;          /* (n_out, n_in) the projection shortcut; NULL except in exercise 4 */
    /* filled by the forward pass: */
    ExMat *A0;          /* (B, n_in) relu(X), the pre-activation; NULL except in exercise 5 */
    ExMat *Z1, *A1;     /* (B, h) */
    ExMat *F, *Y;       /* (B, n_out) */
} ExBlock;

/* The gradients of the loss with respect to the block's input and parameters. */
typedef struct {
    ExMat *dX;          /* (B, n_in) */
    ExMat *dW1, *db1;   /* (h, n_in), (1, h) */
    ExMat *dW2, *db2;   /* (n_out, h), (1, n_out) */
    ExMat *dWs;         /* (n_out, n_in); NULL except in exercise 4 */
} ExBlockGrads;

/* Exercise 3: Y = F(X) + X (identity shortcut, n_in = n_out = n). */
void residual_forward(ExBlock *b);
void residual_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g);

/* Exercise 4: Y = F(X) + X Ws^T (projection shortcut, n_in and n_out may differ). */
void projection_forward(ExBlock *b);
void projection_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g);

/* Exercise 5: Y = X + F(relu(X)) (He et al. 2016's pre-activation order, without batch norm). */
void preact_forward(ExBlock *b);
void preact_backward(const ExBlock *b, const ExMat *dY, ExBlockGrads *g);

/* ---- Exercise 6: softmax cross-entropy, mean over the batch.
 * Z (B, k) logits, Y (B, k) one-hot labels, P (B, k) softmax(Z) row by row, dZ (B, k).
 * Returns L = -(1/B) sum_i log P[i][y_i]. */
double softmax_xent_forward(const ExMat *Z, const ExMat *Y, ExMat *P);
void softmax_xent_backward(const ExMat *P, const ExMat *Y, ExMat *dZ);

/* ---- Exercise 7: a whole net of L blocks (post order, He et al. 2015), plain or residual:
 *     Z1 = x_l W1^T + 1 b1^T,  A1 = relu(Z1),  F = A1 W2^T + 1 b2^T,
 *     Y = F + x_l (residual) or Y = F (plain),  x_{l+1} = relu(Y),   l = 0 .. L-1. */
#define EX_MAX_DEPTH 8

typedef struct {
    int depth;                      /* L */
    int residual;                   /* 1: with the identity shortcut; 0: the plain twin */
    ExMat *W1[EX_MAX_DEPTH];        /* (h, n) */
    ExMat *b1[EX_MAX_DEPTH];        /* (1, h) */
    ExMat *W2[EX_MAX_DEPTH];        /* (n, h) */
    ExMat *b2[EX_MAX_DEPTH];        /* (1, n) */
    ExMat *x[EX_MAX_DEPTH + 1];     /* (B, n): x[0] the input, x[l + 1] block l's output */
    /* filled by the forward pass, per block: */
    ExMat *Z1[EX_MAX_DEPTH], *A1[EX_MAX_DEPTH];   /* (B, h) */
    ExMat *Y[EX_MAX_DEPTH];                       /* (B, n) the sum before the last ReLU */
} ExNet;

typedef struct {
    ExMat *dW1[EX_MAX_DEPTH], *db1[EX_MAX_DEPTH], *dW2[EX_MAX_DEPTH], *db2[EX_MAX_DEPTH];
    ExMat *dx[EX_MAX_DEPTH + 1];    /* (B, n): dx[L] = dL/dx_L is given; compute dx[L-1] .. dx[0] */
} ExNetGrads;

void exnet_forward(ExNet *net);
void exnet_backward(const ExNet *net, ExNetGrads *g);

#endif
