/*
 * ratelimit.c -- the token bucket of ratelimit.h.
 */
#include "core/ratelimit.h"

#include <math.h>

#include "core/assert.h"

/* Refills are sums of products of doubles: a client that waited exactly the
 * time it was told may find 0.9999999999 tokens; that counts as one. */
#define BUCKET_TOKEN_EPSILON 1e-9

bool core_bucket_take(core_bucket_t *b, double rate_per_s, double burst, uint64_t now_ns,
                      uint32_t *retry_after_s) {
  double wait_s;
  if (rate_per_s <= 0) return true;
  CASUS_ASSERT(burst >= 1);
  if (!b->started) {
    b->started = true;
    b->tokens = burst;
    b->last_ns = now_ns;
  } else if (now_ns > b->last_ns) {
    b->tokens += (double)(now_ns - b->last_ns) / 1e9 * rate_per_s;
    if (b->tokens > burst) b->tokens = burst;
    b->last_ns = now_ns;
  }
  if (b->tokens >= 1 - BUCKET_TOKEN_EPSILON) {
    b->tokens = b->tokens >= 1 ? b->tokens - 1 : 0;
    return true;
  }
  /* The seconds until one whole token is there, rounded up, so that a client
   * that waits that long is let through. */
  wait_s = ceil((1 - b->tokens) / rate_per_s);
  if (retry_after_s != NULL)
    *retry_after_s = wait_s < 1 ? 1 : wait_s > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)wait_s;
  return false;
}
