/* exdef_block.c: exercises 3 (residual block), 4 (projection shortcut) and 5 (pre-activation
 * block): one block, widths n_in -> n_out, hidden width h (exdef.h, reslab_exercise.h):
 *
 *     A = X (3, 4) or A0 = relu(X) (5);   Z1 = A W1^T + 1 b1^T;  A1 = relu(Z1);
 *     F = A1 W2^T + 1 b2^T;               Y = F + X (3, 5) or Y = F + X Ws^T (4);
 *     L = sum(dY ⊙ Y).
 *
 * Backward (docs/math.md, section 1): dW2 = dY^T A1, db2 = 1^T dY, dA1 = dY W2,
 * dZ1 = dA1 ⊙ [Z1 > 0], dW1 = dZ1^T A, db1 = 1^T dZ1, dA = dZ1 W1; X is used twice (fan-out),
 * so dX = (through F: dA, or dA ⊙ [X > 0] in 5) + (through the shortcut: dY, or dY Ws in 4),
 * and dWs = dY^T X. The two shares of dX are ADDED.
 * Dimensions: B batch, ni = n_in, no = n_out, h hidden width. */
#include "exdef.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

typedef enum { KIND_RESIDUAL = 3, KIND_PROJECTION = 4, KIND_PREACT = 5 } Kind;

/* {B, n_in, n_out, h}: a square case first (so a transposed dW still fits), then batch 1 and
 * non-square widths. */
static const int shapes[3][3][4] = {
    {{3, 4, 4, 4}, {1, 3, 3, 5}, {4, 5, 5, 3}},     /* 3: residual, n_in = n_out */
    {{3, 4, 4, 4}, {1, 3, 5, 4}, {4, 5, 3, 6}},     /* 4: projection (option C, then B) */
    {{3, 4, 4, 4}, {1, 3, 3, 5}, {4, 5, 5, 3}},     /* 5: pre-activation */
};

typedef struct {
    Kind kind;
    int B, ni, no, h;
    int X, W1, b1, W2, b2, Ws, dY;        /* inputs (Ws = -1 unless 4) */
    int A0, Z1, A1, F, Y;                 /* forward (A0 = -1 unless 5) */
    int dX, dW1, db1, dW2, db2, dWs;      /* gradients (dWs = -1 unless 4) */
} Blk;

/* The indices and sizes of a case's matrices (as *_make added them). */
static Blk blk_of(const Excase *c)
{
    Blk b;
    b.X = excase_find(c, "X"), b.W1 = excase_find(c, "W1"), b.b1 = excase_find(c, "b1");
    b.W2 = excase_find(c, "W2"), b.b2 = excase_find(c, "b2"), b.Ws = excase_find(c, "Ws");
    b.dY = excase_find(c, "dY"), b.A0 = excase_find(c, "A0"), b.Z1 = excase_find(c, "Z1");
    b.A1 = excase_find(c, "A1"), b.F = excase_find(c, "F"), b.Y = excase_find(c, "Y");
    b.dX = excase_find(c, "dX"), b.dW1 = excase_find(c, "dW1"), b.db1 = excase_find(c, "db1");
    b.dW2 = excase_find(c, "dW2"), b.db2 = excase_find(c, "db2"), b.dWs = excase_find(c, "dWs");
    b.kind = b.Ws >= 0 ? KIND_PROJECTION : b.A0 >= 0 ? KIND_PREACT : KIND_RESIDUAL;
    b.B = c->B, b.ni = c->a[b.X].cols, b.h = c->a[b.W1].rows, b.no = c->a[b.W2].rows;
    return b;
}

/* Forward at the current values into A0 (pre only), Z1, A1, F, Y; returns the matrix F reads. */
static const double *blk_forward(Excase *c, const Blk *b, double *A0, double *Z1, double *A1,
                                 double *F, double *Y)
{
    const double *X = c->a[b->X].value;
    const double *A = X;
    size_t nx = (size_t)b->B * b->ni, ny = (size_t)b->B * b->no;
    if (b->kind == KIND_PREACT) exref_relu(X, A0, nx), A = A0;          /* A0 = relu(X) */
    exref_linear(A, c->a[b->W1].value, c->a[b->b1].value, Z1, b->B, b->ni, b->h);
    exref_relu(Z1, A1, (size_t)b->B * b->h);
    exref_linear(A1, c->a[b->W2].value, c->a[b->b2].value, F, b->B, b->h, b->no);
    if (b->kind == KIND_PROJECTION) {
        exref_linear(X, c->a[b->Ws].value, NULL, Y, b->B, b->ni, b->no);    /* Y = X Ws^T */
        for (size_t i = 0; i < ny; i++) Y[i] += F[i];                       /* + F */
    } else {
        for (size_t i = 0; i < ny; i++) Y[i] = F[i] + X[i];                 /* identity */
    }
    return A;
}

static int blk_add_all(Excase *c, Kind kind, int B, int ni, int no, int h)
{
    int X = excase_add(c, "X", B, ni, EXCASE_INPUT, -1);
    int W1 = excase_add(c, "W1", h, ni, EXCASE_INPUT, -1), b1 = excase_add(c, "b1", 1, h, EXCASE_INPUT, -1);
    int W2 = excase_add(c, "W2", no, h, EXCASE_INPUT, -1), b2 = excase_add(c, "b2", 1, no, EXCASE_INPUT, -1);
    int Ws = kind == KIND_PROJECTION ? excase_add(c, "Ws", no, ni, EXCASE_INPUT, -1) : 0;
    int ok = X >= 0 && W1 >= 0 && b1 >= 0 && W2 >= 0 && b2 >= 0 && Ws >= 0 &&
             excase_add(c, "dY", B, no, EXCASE_INPUT, -1) >= 0 &&
             (kind != KIND_PREACT || excase_add(c, "A0", B, ni, EXCASE_FORWARD, -1) >= 0) &&
             excase_add(c, "Z1", B, h, EXCASE_FORWARD, -1) >= 0 &&
             excase_add(c, "A1", B, h, EXCASE_FORWARD, -1) >= 0 &&
             excase_add(c, "F", B, no, EXCASE_FORWARD, -1) >= 0 &&
             excase_add(c, "Y", B, no, EXCASE_FORWARD, -1) >= 0 &&
             excase_add(c, "dX", B, ni, EXCASE_GRAD, X) >= 0 &&
             excase_add(c, "dW1", h, ni, EXCASE_GRAD, W1) >= 0 &&
             excase_add(c, "db1", 1, h, EXCASE_GRAD, b1) >= 0 &&
             excase_add(c, "dW2", no, h, EXCASE_GRAD, W2) >= 0 &&
             excase_add(c, "db2", 1, no, EXCASE_GRAD, b2) >= 0 &&
             (kind != KIND_PROJECTION || excase_add(c, "dWs", no, ni, EXCASE_GRAD, Ws) >= 0);
    /* pattern: Z1 and (pre) X; scratch: A0, Z1, A1, F, Y of the draw, dA1, dZ1, dA of the
     * backward; the loss's: X, A0, Z1, A1, F, Y */
    size_t np = (size_t)B * h + (kind == KIND_PREACT ? (size_t)B * ni : 0);
    return ok && excase_alloc_work(c, np, (size_t)B * (2 * ni + 2 * h + 2 * no)) == 0 ? 0 : -1;
}

static int blk_make(Excase *c, int k, gsl_rng *rng, Kind kind)
{
    const int *s = shapes[kind - 3][k];
    if (blk_add_all(c, kind, s[0], s[1], s[2], s[3])) return RESLAB_ERR_NOMEM;
    c->B = s[0];
    if (kind == KIND_PROJECTION) snprintf(c->shape, sizeof c->shape, "B=%d n_in=%d n_out=%d h=%d", s[0], s[1], s[2], s[3]);
    else snprintf(c->shape, sizeof c->shape, "B=%d n=%d h=%d", s[0], s[1], s[3]);
    Blk b = blk_of(c);
    if (kind == KIND_PREACT) exref_fill_away(c->a[b.X].value, (size_t)b.B * b.ni, rng, 1.0, EXREF_KINK_MARGIN);
    else exref_fill(c->a[b.X].value, (size_t)b.B * b.ni, rng, 1.0);
    exref_fill(c->a[b.W1].value, (size_t)b.h * b.ni, rng, 1.0 / sqrt(b.ni));
    exref_fill(c->a[b.b1].value, (size_t)b.h, rng, 0.5);
    exref_fill(c->a[b.W2].value, (size_t)b.no * b.h, rng, 1.0 / sqrt(b.h));
    exref_fill(c->a[b.b2].value, (size_t)b.no, rng, 0.5);
    if (b.Ws >= 0) exref_fill(c->a[b.Ws].value, (size_t)b.no * b.ni, rng, 1.0 / sqrt(b.ni));
    exref_fill(c->a[b.dY].value, (size_t)b.B * b.no, rng, 1.0);
    double *w = c->scratch, *A0 = w, *Z1 = A0 + b.B * b.ni, *A1 = Z1 + b.B * b.h;
    double *F = A1 + b.B * b.h, *Y = F + b.B * b.no;
    for (int tries = 0; tries < 1000; tries++) {        /* keep every Z1 away from the kink */
        blk_forward(c, &b, A0, Z1, A1, F, Y);
        if (!exref_redraw_near_kink(Z1, b.B, b.h, c->a[b.b1].value, rng, 0.5, EXREF_KINK_MARGIN))
            return RESLAB_OK;
    }
    return RESLAB_ERR_INVALID;
}

static int residual_make(Excase *c, int k, gsl_rng *rng) { return blk_make(c, k, rng, KIND_RESIDUAL); }
static int projection_make(Excase *c, int k, gsl_rng *rng) { return blk_make(c, k, rng, KIND_PROJECTION); }
static int preact_make(Excase *c, int k, gsl_rng *rng) { return blk_make(c, k, rng, KIND_PREACT); }

static void block_forward(Excase *c)
{
    Blk b = blk_of(c);
    blk_forward(c, &b, b.A0 >= 0 ? c->a[b.A0].ref : NULL, c->a[b.Z1].ref, c->a[b.A1].ref,
                c->a[b.F].ref, c->a[b.Y].ref);
}

/* dX from the branch's share dA and the shortcut's, combined as mistake m says. */
static int blk_dx(Excase *c, const Blk *b, Mistake m, double *dA, double *dX)
{
    const double *X = c->a[b->X].value, *dY = c->a[b->dY].value;
    size_t nx = (size_t)b->B * b->ni;
    if (m == MISTAKE_SHORTCUT_IDENTITY && (b->kind != KIND_PROJECTION || b->ni != b->no)) return 0;
    if (m == MISTAKE_PREACT_MASKS_SHORTCUT) {
        if (b->kind != KIND_PREACT) return 0;
        for (size_t i = 0; i < nx; i++) dA[i] += dY[i];
        exref_relu_back(X, dA, dX, nx, EXREF_MASK_GT);         /* (dA + dY) ⊙ [X > 0]: wrong */
        return 1;
    }
    if (m != MISTAKE_SHORTCUT_OVERWRITES) {                     /* through F */
        if (b->kind == KIND_PREACT)
            exref_relu_back(X, dA, dX, nx, m == MISTAKE_RELU_OUTER_NO_MASK ? EXREF_MASK_NONE : EXREF_MASK_GT);
        else
            for (size_t i = 0; i < nx; i++) dX[i] += dA[i];
    }
    if (m == MISTAKE_SHORTCUT_MISSING) return 1;
    if (b->kind == KIND_PROJECTION && m != MISTAKE_SHORTCUT_IDENTITY)     /* dX += dY Ws */
        exref_linear_back(X, c->a[b->Ws].value, dY, dX, NULL, NULL, b->B, b->ni, b->no);
    else
        for (size_t i = 0; i < nx; i++) dX[i] += dY[i];               /* identity: dX += dY */
    return 1;
}

static int block_backward(Excase *c, Mistake m, double *const *out)
{
    Blk b = blk_of(c);
    const double *dY = c->a[b.dY].value, *Z1 = c->a[b.Z1].ref;
    const double *A = b.kind == KIND_PREACT ? c->a[b.A0].ref : c->a[b.X].value;
    double *dA1 = c->scratch, *dZ1 = dA1 + b.B * b.h, *dA = dZ1 + b.B * b.h;
    memset(c->scratch, 0, sizeof(double) * (size_t)b.B * (2 * b.h + b.ni));
    /* dW2 += dY^T A1, db2 += 1^T dY, dA1 = dY W2 (dF = dY: Y is F plus the shortcut) */
    exref_linear_back(c->a[b.A1].ref, c->a[b.W2].value, dY, dA1, out[b.dW2], out[b.db2], b.B, b.h, b.no);
    ExrefMask mask = m == MISTAKE_RELU_NO_MASK ? EXREF_MASK_NONE
                   : m == MISTAKE_RELU_OUTPUT_VALUE ? EXREF_MASK_VALUE : EXREF_MASK_GT;
    exref_relu_back(Z1, dA1, dZ1, (size_t)b.B * b.h, mask);           /* dZ1 = dA1 ⊙ [Z1 > 0] */
    exref_linear_back(A, c->a[b.W1].value, dZ1, dA, out[b.dW1], out[b.db1], b.B, b.ni, b.h);
    if (b.kind == KIND_PROJECTION)                                      /* dWs += dY^T X */
        exref_linear_back(c->a[b.X].value, c->a[b.Ws].value, dY, NULL, out[b.dWs], NULL, b.B, b.ni, b.no);
    if (!blk_dx(c, &b, m, dA, out[b.dX])) return 0;
    if (m == MISTAKE_BIAS_FIRST_ROW || m == MISTAKE_BIAS_LAST_ROW) {
        int r = m == MISTAKE_BIAS_FIRST_ROW ? 0 : b.B - 1;
        exref_bias_row(out[b.db2], dY, b.B, b.no, r);
        exref_bias_row(out[b.db1], dZ1, b.B, b.h, r);
    }
    exref_finish(c, m, out);
    return 1;
}

/* L = sum(dY ⊙ Y), the forward again in extended precision (exdef.h). */
static double block_loss(Excase *c, int group)
{
    (void)group;
    Blk b = blk_of(c);
    size_t nx = (size_t)b.B * b.ni, nh = (size_t)b.B * b.h, ny = (size_t)b.B * b.no;
    Ext *X = c->xscratch, *A0 = X + nx, *Z1 = A0 + nx, *A1 = Z1 + nh, *F = A1 + nh, *S = F + ny;
    exref_widen(c->a[b.X].value, X, nx);
    const Ext *A = X;
    if (b.kind == KIND_PREACT) exref_relu_ext(X, A0, nx), A = A0;     /* A0 = relu(X) */
    exref_linear_ext(A, c->a[b.W1].value, c->a[b.b1].value, Z1, b.B, b.ni, b.h);
    exref_relu_ext(Z1, A1, nh);
    exref_linear_ext(A1, c->a[b.W2].value, c->a[b.b2].value, F, b.B, b.h, b.no);
    if (b.kind == KIND_PROJECTION) exref_linear_ext(X, c->a[b.Ws].value, NULL, S, b.B, b.ni, b.no);
    else for (size_t i = 0; i < ny; i++) S[i] = X[i];                /* the shortcut S(X) = X */
    const double *G = c->a[b.dY].value;
    Ext L = 0.0L;
    for (size_t i = 0; i < ny; i++) L += G[i] * (S[i] + F[i]);       /* sum(dY ⊙ Y), Y = S(X) + F */
    exref_signs_ext(Z1, nh, c->pattern);
    if (b.kind == KIND_PREACT) exref_signs_ext(X, nx, c->pattern + nh);
    return (double)L;
}

static const Mistake residual_mistakes[] = {
    MISTAKE_SHORTCUT_MISSING, MISTAKE_SHORTCUT_OVERWRITES, MISTAKE_WEIGHT_TRANSPOSED,
    MISTAKE_RELU_NO_MASK, MISTAKE_RELU_OUTPUT_VALUE, MISTAKE_BIAS_FIRST_ROW,
    MISTAKE_BIAS_LAST_ROW, MISTAKE_BATCH_TWICE, MISTAKE_NONE};
static const Mistake projection_mistakes[] = {
    MISTAKE_SHORTCUT_MISSING, MISTAKE_SHORTCUT_OVERWRITES, MISTAKE_SHORTCUT_IDENTITY,
    MISTAKE_WEIGHT_TRANSPOSED, MISTAKE_RELU_NO_MASK, MISTAKE_RELU_OUTPUT_VALUE,
    MISTAKE_BIAS_FIRST_ROW, MISTAKE_BIAS_LAST_ROW, MISTAKE_BATCH_TWICE, MISTAKE_NONE};
static const Mistake preact_mistakes[] = {
    MISTAKE_SHORTCUT_MISSING, MISTAKE_SHORTCUT_OVERWRITES, MISTAKE_PREACT_MASKS_SHORTCUT,
    MISTAKE_RELU_OUTER_NO_MASK, MISTAKE_WEIGHT_TRANSPOSED, MISTAKE_RELU_NO_MASK,
    MISTAKE_RELU_OUTPUT_VALUE, MISTAKE_BIAS_FIRST_ROW, MISTAKE_BIAS_LAST_ROW,
    MISTAKE_BATCH_TWICE, MISTAKE_NONE};

const ExerciseDef exdef_residual = {3, "residual block backward: y = F(x) + x", "03-residual.c",
                                    "residual_backward", 3, residual_make, block_forward,
                                    block_backward, block_loss, residual_mistakes};
const ExerciseDef exdef_projection = {4, "projection shortcut backward: y = F(x) + x Ws^T",
                                      "04-projection.c", "projection_backward", 3, projection_make,
                                      block_forward, block_backward, block_loss, projection_mistakes};
const ExerciseDef exdef_preact = {5, "pre-activation block backward: y = x + F(relu(x))",
                                  "05-preact.c", "preact_backward", 3, preact_make, block_forward,
                                  block_backward, block_loss, preact_mistakes};
