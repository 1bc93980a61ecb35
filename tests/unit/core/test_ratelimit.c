/*
 * test_ratelimit.c -- core_bucket_take, the token bucket behind the
 * per-actor write-rate limit (docs/api.md, "rate_limit"): a burst, then the
 * refill rate, Retry-After rounded up, the cap at the burst, a clock that
 * does not move forward, and 0 = no limit.  Time is an argument: no sleeps.
 */
#include <stdint.h>

#include "core/ratelimit.h"
#include "test.h"

#define S(x) ((uint64_t)((x)*1e9)) /* seconds to nanoseconds */

TEST(zero_rate_is_no_limit) {
  core_bucket_t b = {0};
  uint32_t retry = 77;
  int i;
  for (i = 0; i < 100000; i++) ASSERT(core_bucket_take(&b, 0, 1, S(1), &retry));
  ASSERT_EQ(retry, 77); /* never refused, never told to wait */
  ASSERT(!b.started);   /* and the bucket is not touched */
}

TEST(burst_then_refused_with_retry_after) {
  core_bucket_t b = {0};
  uint32_t retry = 0;
  /* 2 a second, a burst of 3: three at once, the fourth waits half a second, told as 1 s. */
  ASSERT(core_bucket_take(&b, 2, 3, S(100), &retry));
  ASSERT(core_bucket_take(&b, 2, 3, S(100), &retry));
  ASSERT(core_bucket_take(&b, 2, 3, S(100), &retry));
  ASSERT(!core_bucket_take(&b, 2, 3, S(100), &retry));
  ASSERT_EQ(retry, 1);
  ASSERT(!core_bucket_take(&b, 2, 3, S(100.4), &retry)); /* 0.8 of a token */
  ASSERT_EQ(retry, 1);
  ASSERT(core_bucket_take(&b, 2, 3, S(100.5), NULL)); /* one whole token after 0.5 s */
  ASSERT(!core_bucket_take(&b, 2, 3, S(100.5), NULL));
}

TEST(refill_is_capped_at_the_burst) {
  core_bucket_t b = {0};
  int i;
  for (i = 0; i < 3; i++) ASSERT(core_bucket_take(&b, 2, 3, S(1), NULL));
  ASSERT(!core_bucket_take(&b, 2, 3, S(1), NULL));
  /* An hour idle refills 3, not 7200. */
  for (i = 0; i < 3; i++) ASSERT(core_bucket_take(&b, 2, 3, S(3601), NULL));
  ASSERT(!core_bucket_take(&b, 2, 3, S(3601), NULL));
}

TEST(retry_after_rounds_up_and_suffices) {
  core_bucket_t b = {0};
  uint32_t retry = 0;
  /* One write every 4 s: after 1 s a quarter token is there; 3 more seconds are needed. */
  ASSERT(core_bucket_take(&b, 0.25, 1, S(10), &retry));
  ASSERT(!core_bucket_take(&b, 0.25, 1, S(11), &retry));
  ASSERT_EQ(retry, 3);
  ASSERT(!core_bucket_take(&b, 0.25, 1, S(13.9), &retry));
  ASSERT_EQ(retry, 1);
  ASSERT(core_bucket_take(&b, 0.25, 1, S(11) + S(3), &retry)); /* waiting exactly Retry-After is enough */
  /* 3 a second: a third of a second, told as 1 s, and 1 s is enough. */
  b = (core_bucket_t){0};
  ASSERT(core_bucket_take(&b, 3, 1, S(5), &retry));
  ASSERT(!core_bucket_take(&b, 3, 1, S(5), &retry));
  ASSERT_EQ(retry, 1);
  ASSERT(core_bucket_take(&b, 3, 1, S(6), &retry));
}

TEST(clock_that_goes_back_refills_nothing) {
  core_bucket_t b = {0};
  ASSERT(core_bucket_take(&b, 1, 1, S(50), NULL));
  ASSERT(!core_bucket_take(&b, 1, 1, S(10), NULL)); /* earlier: no time passed */
  ASSERT(!core_bucket_take(&b, 1, 1, S(50.5), NULL));
  ASSERT(core_bucket_take(&b, 1, 1, S(51), NULL)); /* from the last time that moved forward */
}

TEST(buckets_are_independent) {
  core_bucket_t a = {0}, b = {0};
  ASSERT(core_bucket_take(&a, 1, 1, S(1), NULL));
  ASSERT(!core_bucket_take(&a, 1, 1, S(1), NULL));
  ASSERT(core_bucket_take(&b, 1, 1, S(1), NULL));
}

#define TEST_LIST(X)                      \
  X(zero_rate_is_no_limit)                \
  X(burst_then_refused_with_retry_after)  \
  X(refill_is_capped_at_the_burst)        \
  X(retry_after_rounds_up_and_suffices)   \
  X(clock_that_goes_back_refills_nothing) \
  X(buckets_are_independent)

TEST_MAIN(TEST_LIST)
