/* fuzz_dataload.c: libFuzzer over both data loaders (dataload.h), through their in-memory entry
 * points, so no temporary files are needed.
 *
 * One input is  [split: 2 bytes, little-endian][body]  and is tried three ways:
 *     IDX       images = body[0 .. s), labels = body[s .. end)     s = min(split, |body|)
 *     CIFAR-10  body as one batch
 *     CIFAR-10  body[0 .. s) and body[s .. end) as two batches
 * Each call must either succeed with a consistent Dataset (every label in 0..classes-1, every
 * x in [0, 1], N * dim bytes accounted for by the input) or fail with a message that starts
 * with the buffer's name and a zeroed Dataset; anything else aborts (a crash for libFuzzer).
 * The seeds are in tests/corpus/dataload/ (docs/data.md says how they were made).
 *
 * Build: CC=clang meson setup build-clang -Db_sanitize=address,undefined -Db_lundef=false
 *        ninja -C build-clang tests/fuzz_dataload
 * Run:   build-clang/tests/fuzz_dataload NEW_DIR tests/corpus/dataload -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataload.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *err)
{
    fprintf(stderr, "fuzz_dataload: %s (%s)\n", what, err);
    abort();
}

/* The outcome of one call: a consistent Dataset, or a message and a zeroed one. */
static void verdict(int rc, Dataset *d, const char *name, size_t body, const char *err)
{
    if (rc != RESLAB_OK) {
        if (d->x || d->y || d->n || d->dim || d->classes) fail("failed but not zeroed", err);
        if (strncmp(err, name, strlen(name)) != 0)
            fail("message does not start with the name", err);
        return;
    }
    if (d->n == 0 || d->dim == 0 || !d->x || !d->y) fail("empty success", d->name);
    if (d->n * d->dim > body) fail("more pixels than input bytes", d->name);
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] < 0 || (size_t)d->y[i] >= d->classes) fail("label out of range", d->name);
    for (size_t i = 0; i < d->n * d->dim; i++)
        if (!(d->x[i] >= 0.0 && d->x[i] <= 1.0)) fail("x outside [0, 1]", d->name);
    dataset_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    Dataset d;
    if (size < 2) return 0;
    size_t n = size - 2, s = (size_t)data[0] | (size_t)data[1] << 8;
    const unsigned char *body = data + 2;
    if (s > n) s = n;

    DataloadBuffer im = {"images", body, s}, lb = {"labels", body + s, n - s};
    err[0] = '\0';
    int rc = dataset_load_idx_mem(&d, &im, &lb, err, sizeof err);
    /* the message names whichever file was wrong: check it names one of them */
    verdict(rc, &d, strncmp(err, "labels", 6) == 0 ? "labels" : "images", n, err);

    DataloadBuffer one = {"batch", body, n};
    err[0] = '\0';
    rc = dataset_load_cifar10_mem(&d, &one, 1, err, sizeof err);
    verdict(rc, &d, "batch", n, err);

    DataloadBuffer two[2] = {{"batch1", body, s}, {"batch2", body + s, n - s}};
    err[0] = '\0';
    rc = dataset_load_cifar10_mem(&d, two, 2, err, sizeof err);
    verdict(rc, &d, "batch", n, err);
    return 0;
}
