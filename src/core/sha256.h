/*
 * sha256.h -- SHA-256 (FIPS 180-4), used for the history hash chain
 * (R-AUD-1) and for fingerprinting requests under an idempotency key.
 *
 * Two ways to use it: the one-shot sha256()/sha256_hex(), or the incremental
 * sha256_init(), sha256_update() (any number of times, any chunk sizes) and
 * sha256_final().  Both give the same digest for the same bytes.
 *
 * Caveats: a sha256_ctx_t is a plain value owned by the caller; it holds no
 * heap memory and needs no cleanup.  The functions keep no global state and
 * are safe to call from any thread.  This is not a constant-time
 * implementation for secret keys (HMAC); it hashes public data.
 */
#ifndef CASUS_CORE_SHA256_H
#define CASUS_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_BYTES 32
#define SHA256_BLOCK_BYTES 64
#define SHA256_HEX_BYTES 65 /* 64 lowercase hex digits and a NUL */

typedef struct {
  uint32_t state[8];
  uint64_t total_bytes;              /* message bytes consumed so far */
  uint8_t block[SHA256_BLOCK_BYTES]; /* a partly filled block */
  size_t block_bytes;                /* bytes used in block, always < SHA256_BLOCK_BYTES */
} sha256_ctx_t;

/* Starts a new digest in ctx. */
void sha256_init(sha256_ctx_t *ctx);
/* Adds len bytes at data (data may be NULL when len is 0). */
void sha256_update(sha256_ctx_t *ctx, const void *data, size_t len);
/* Finishes the digest into out.  ctx must be re-initialised before reuse. */
void sha256_final(sha256_ctx_t *ctx, uint8_t out[SHA256_DIGEST_BYTES]);

/* The digest of len bytes at data. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_BYTES]);
/* The digest of len bytes at data as 64 lowercase hex digits, NUL-terminated. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_BYTES]);
/* HMAC-SHA-256 (RFC 2104) of len bytes at data under a key of key_len bytes. */
void sha256_hmac(const void *key, size_t key_len, const void *data, size_t len,
                 uint8_t out[SHA256_DIGEST_BYTES]);
/* Writes the 32-byte digest as 64 lowercase hex digits and a NUL. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_BYTES], char out[SHA256_HEX_BYTES]);

#endif
