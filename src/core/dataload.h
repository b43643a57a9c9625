/* dataload.h: read the standard files users already have into a Dataset: MNIST-style IDX
 * (images and labels) and CIFAR-10 binary batches. docs/data.md describes both formats.
 *
 * Usage:
 *     Dataset d;
 *     if (dataset_load_idx(&d, "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
 *                          err, sizeof err) != RESLAB_OK)
 *         fprintf(stderr, "reslab: %s\n", err);   e.g. "labels.idx: offset 4: 59999 labels,
 *                                                  but images.idx holds 60000 images"
 *     const char *batches[] = {"data_batch_1.bin", "data_batch_2.bin"};
 *     dataset_load_cifar10(&d2, batches, 2, err, sizeof err);
 *     ... d.x (N, dim) in [0, 1], d.y (N)
 *     dataset_free(&d);
 *
 * IDX (LeCun's MNIST format; Fashion-MNIST, KMNIST, EMNIST use it too): a 4-byte magic
 * 00 00 08 0D (0x08: unsigned bytes, D dimensions), then D big-endian uint32 sizes, then the
 * bytes in C order. Images: magic 0x00000803, sizes N, rows, cols; labels: 0x00000801, size N.
 * CIFAR-10 binary: records of 3073 bytes, one label byte 0..9, then the 32 x 32 red plane, the
 * green plane, the blue plane (each row after row); a file is a whole number of records.
 *
 * What the Dataset holds: x_ij = byte_ij / 255, so every feature is in [0, 1] (no mean
 * subtraction: call dataset_standardize for the per-pixel standardisation, with the training
 * set's mean and sd for a test set); dim = rows * cols (IDX) or 3072 = 3 x 32 x 32 in the file's
 * order (CIFAR-10, planes R, G, B). Classes: CIFAR-10 10; IDX 1 + the largest label (any byte
 * is a valid IDX label: EMNIST letters use 1..26). Name: the images file's base name.
 *
 * Checks (each failure is one line "FILE: offset N: what is wrong", nothing is allocated until
 * the file lengths, known from fstat before any data is read, match the headers): an empty file,
 * a wrong magic (with a hint for gzip-compressed files, for the other IDX kind: "swapped?", and
 * for CIFAR-100's 3074-byte records), sizes that are zero, a file shorter or longer than its
 * header says, image and label counts that differ, a CIFAR-10 label above 9, and a total over
 * RESLAB_MEMORY_LIMIT (net.h; RESLAB_ERR_TOOBIG with the estimate). Only regular files are read.
 *
 * Errors: RESLAB_ERR_IO (cannot open or read; not a regular file), RESLAB_ERR_FORMAT (the
 * contents), RESLAB_ERR_TOOBIG, RESLAB_ERR_NOMEM, RESLAB_ERR_INVALID (NULL arguments, no
 * files). On failure *d is zeroed and everything the call allocated is freed.
 */
#ifndef RESLAB_DATALOAD_H
#define RESLAB_DATALOAD_H

#include <stddef.h>

#include "dataset.h"

#define DATALOAD_IDX_IMAGES 0x00000803u     /* unsigned bytes, 3 dimensions: N, rows, cols */
#define DATALOAD_IDX_LABELS 0x00000801u     /* unsigned bytes, 1 dimension: N */
#define DATALOAD_CIFAR_RECORD 3073          /* 1 label byte + 3 x 32 x 32 pixel bytes */
#define DATALOAD_CIFAR_DIM 3072

/* A file's bytes already in memory, and the name messages give it. */
typedef struct {
    const char *name;
    const unsigned char *data;
    size_t len;
} DataloadBuffer;

/* Reads an IDX image file and its label file into *d (N, rows * cols). */
int dataset_load_idx(Dataset *d, const char *images_path, const char *labels_path, char *err,
                     size_t errlen);

/* Reads npaths >= 1 CIFAR-10 binary batches, in order, into one *d (N, 3072), N the total of
 * their records. */
int dataset_load_cifar10(Dataset *d, const char **paths, size_t npaths, char *err,
                         size_t errlen);

/* The same parsers on bytes in memory (the fuzzer's entry points; also handy for tests).
 * The results and the messages are those of the file versions for files with these bytes. */
int dataset_load_idx_mem(Dataset *d, const DataloadBuffer *images, const DataloadBuffer *labels,
                         char *err, size_t errlen);
int dataset_load_cifar10_mem(Dataset *d, const DataloadBuffer *batches, size_t nbatches,
                             char *err, size_t errlen);

#endif
