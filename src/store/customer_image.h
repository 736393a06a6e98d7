/*
 * A customer's image: what the journal of customers' images (customer_journal.h) keeps of a
 * customer, as bytes. Pure: no database.
 */
#ifndef FIDELE_STORE_CUSTOMER_IMAGE_H
#define FIDELE_STORE_CUSTOMER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct customer;

/* An image: the merchant, the customer (its state columns, next_due_at, its profile and where
 * its row is), its stamp balances' text (or none: the row's stand) and its order periods. A fold
 * writes the state; the profile, which a writer writes into the row at once, spares the owner
 * reading the row of a customer it holds. */
#define CUSTOMER_IMAGE_MAX (32 * 1024) /* texts < 1 KiB, stamps < 24 KiB (256 cards), periods */

/* Encodes c (with stamps, NULL for none) into out; returns the size, 0 when it does not fit. */
size_t customer_image_encode(int64_t merchant_id, const struct customer *c, const char *stamps,
                             unsigned char *out, size_t capacity);
/* Decodes an image into c; *stamps points into image (stamps_size bytes, not terminated) or is
 * NULL. False when the bytes are not an image. */
bool customer_image_decode(const unsigned char *image, size_t size, int64_t *merchant_id,
                           struct customer *c, const char **stamps, size_t *stamps_size);

/* The size before each image in a journal row (4 bytes, little-endian). */
void customer_image_put_u32(unsigned char out[4], uint32_t value);
uint32_t customer_image_get_u32(const unsigned char in[4]);

#endif
