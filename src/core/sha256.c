/*
 * sha256.c -- SHA-256 after FIPS 180-4, sections 4.1.2, 4.2.2, 5.1.1, 6.2.
 *
 * Written for clarity over speed: the history chain hashes a few hundred
 * bytes per accepted event, so a straightforward block function is plenty.
 */
#include "core/sha256.h"

#include <assert.h>
#include <string.h>

/* The first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* The first 32 bits of the fractional parts of the square roots of the first
 * 8 primes (FIPS 180-4, 5.3.3). */
static const uint32_t sha256_h0[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

static uint32_t sha256_rotr(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

/* Big-endian loads and stores by bytes, so the code does not depend on the
 * host's byte order or on the alignment of the caller's buffer. */
static uint32_t sha256_load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void sha256_store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Processes one 64-byte block (FIPS 180-4, 6.2.2). */
static void sha256_block(uint32_t state[8], const uint8_t block[SHA256_BLOCK_BYTES]) {
  uint32_t w[64];
  uint32_t a, b, c, d, e, f, g, h;
  int t;

  for (t = 0; t < 16; t++) w[t] = sha256_load_be32(block + 4 * t);
  for (t = 16; t < 64; t++) {
    uint32_t s0 = sha256_rotr(w[t - 15], 7) ^ sha256_rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = sha256_rotr(w[t - 2], 17) ^ sha256_rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }

  a = state[0];
  b = state[1];
  c = state[2];
  d = state[3];
  e = state[4];
  f = state[5];
  g = state[6];
  h = state[7];
  for (t = 0; t < 64; t++) {
    uint32_t big_s1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + big_s1 + ch + sha256_k[t] + w[t];
    uint32_t big_s0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = big_s0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

void sha256_init(sha256_ctx_t *ctx) {
  memcpy(ctx->state, sha256_h0, sizeof(ctx->state));
  ctx->total_bytes = 0;
  ctx->block_bytes = 0;
}

void sha256_update(sha256_ctx_t *ctx, const void *data, size_t len) {
  const uint8_t *p = data;

  assert(ctx->block_bytes < SHA256_BLOCK_BYTES);
  /* Also keeps memcpy away from a NULL data pointer, which it may not get
   * even for zero bytes. */
  if (len == 0) return;
  ctx->total_bytes += len;
  /* Top up a partly filled block first, then hash whole blocks straight from
   * the caller's buffer, and keep the tail for the next call. */
  if (ctx->block_bytes > 0) {
    size_t take = SHA256_BLOCK_BYTES - ctx->block_bytes;
    if (take > len) take = len;
    memcpy(ctx->block + ctx->block_bytes, p, take);
    ctx->block_bytes += take;
    p += take;
    len -= take;
    if (ctx->block_bytes < SHA256_BLOCK_BYTES) return;
    sha256_block(ctx->state, ctx->block);
    ctx->block_bytes = 0;
  }
  while (len >= SHA256_BLOCK_BYTES) {
    sha256_block(ctx->state, p);
    p += SHA256_BLOCK_BYTES;
    len -= SHA256_BLOCK_BYTES;
  }
  if (len > 0) {
    memcpy(ctx->block, p, len);
    ctx->block_bytes = len;
  }
}

void sha256_final(sha256_ctx_t *ctx, uint8_t out[SHA256_DIGEST_BYTES]) {
  uint64_t total_bits = ctx->total_bytes * 8;
  int i;

  /* Padding (5.1.1): a 1 bit, zeros up to 56 bytes mod 64, then the message
   * length in bits as a 64-bit big-endian number.  When fewer than 9 bytes
   * are left in the block, the length goes into an extra block. */
  ctx->block[ctx->block_bytes++] = 0x80;
  if (ctx->block_bytes > SHA256_BLOCK_BYTES - 8) {
    memset(ctx->block + ctx->block_bytes, 0, SHA256_BLOCK_BYTES - ctx->block_bytes);
    sha256_block(ctx->state, ctx->block);
    ctx->block_bytes = 0;
  }
  memset(ctx->block + ctx->block_bytes, 0, SHA256_BLOCK_BYTES - 8 - ctx->block_bytes);
  sha256_store_be32(ctx->block + 56, (uint32_t)(total_bits >> 32));
  sha256_store_be32(ctx->block + 60, (uint32_t)total_bits);
  sha256_block(ctx->state, ctx->block);

  for (i = 0; i < 8; i++) sha256_store_be32(out + 4 * i, ctx->state[i]);
  /* Leave nothing of the message behind in the caller's context. */
  memset(ctx->block, 0, sizeof(ctx->block));
  ctx->block_bytes = 0;
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_BYTES]) {
  sha256_ctx_t ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data, len);
  sha256_final(&ctx, out);
}

void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_BYTES], char out[SHA256_HEX_BYTES]) {
  static const char digits[] = "0123456789abcdef";
  int i;
  for (i = 0; i < SHA256_DIGEST_BYTES; i++) {
    out[2 * i] = digits[digest[i] >> 4];
    out[2 * i + 1] = digits[digest[i] & 0x0f];
  }
  out[2 * SHA256_DIGEST_BYTES] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_BYTES]) {
  uint8_t digest[SHA256_DIGEST_BYTES];
  sha256(data, len, digest);
  sha256_to_hex(digest, out);
}

void sha256_hmac(const void *key, size_t key_len, const void *data, size_t len,
                 uint8_t out[SHA256_DIGEST_BYTES]) {
  uint8_t k[64], pad[64], inner[SHA256_DIGEST_BYTES];
  sha256_ctx_t ctx;
  size_t i;
  memset(k, 0, sizeof(k));
  if (key_len > sizeof(k))
    sha256(key, key_len, k); /* long keys are hashed first (RFC 2104 2.) */
  else if (key_len > 0)
    memcpy(k, key, key_len);
  for (i = 0; i < sizeof(pad); i++) pad[i] = (uint8_t)(k[i] ^ 0x36);
  sha256_init(&ctx);
  sha256_update(&ctx, pad, sizeof(pad));
  sha256_update(&ctx, data, len);
  sha256_final(&ctx, inner);
  for (i = 0; i < sizeof(pad); i++) pad[i] = (uint8_t)(k[i] ^ 0x5c);
  sha256_init(&ctx);
  sha256_update(&ctx, pad, sizeof(pad));
  sha256_update(&ctx, inner, sizeof(inner));
  sha256_final(&ctx, out);
}
