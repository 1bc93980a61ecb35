/*
 * ratelimit.h -- a token bucket: at most `burst` events at once, then
 * `rate_per_s` a second.  The server keeps one per actor for its writes
 * (write_queue.c; "rate_limit" in the configuration, docs/api.md).
 *
 * Pure: the caller passes a monotonic time, so that the bucket never sees a
 * clock that jumps (the manual case clock, a wall-clock change) and tests
 * need no clock at all.  A bucket is plain memory; zeroed, it starts full.
 */
#ifndef CASUS_CORE_RATELIMIT_H
#define CASUS_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  double tokens;    /* available at last_ns */
  uint64_t last_ns; /* the time of the last call */
  bool started;     /* false: never used, full */
} core_bucket_t;

/* Takes one token from b at now_ns (monotonic nanoseconds).  rate_per_s 0
 * means no limit: always true, and b is not touched.  Otherwise burst must
 * be >= 1; the bucket refills at rate_per_s tokens a second up to burst.
 * Returns true when a token was taken.  False when none is left: then
 * *retry_after_s (may be NULL) receives the whole seconds, rounded up and at
 * least 1, until the next token is there.  A now_ns earlier than the last
 * call's counts as no time passed. */
bool core_bucket_take(core_bucket_t *b, double rate_per_s, double burst, uint64_t now_ns,
                      uint32_t *retry_after_s);

#endif
