/*
 * test.h -- the tiny unit-test harness (after libuv's test runner).
 *
 * A test file defines TEST(name) functions and lists them once in
 * TEST_LIST(X); TEST_MAIN runs them all (or the one named in argv[1]) and
 * prints "N passed, N failed".  Assertions print both sides and abort the
 * current test via longjmp.
 */
#ifndef CASUS_TESTS_TEST_H
#define CASUS_TESTS_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern jmp_buf test__jmp;
extern int test__failed;

#define TEST(name) static void test_##name(void)

#define TEST__FAIL(...)                               \
  do {                                                \
    fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__);                     \
    fprintf(stderr, "\n");                            \
    longjmp(test__jmp, 1);                            \
  } while (0)

#define ASSERT(c)                                     \
  do {                                                \
    if (!(c)) TEST__FAIL("assertion failed: %s", #c); \
  } while (0)

#define ASSERT_INT_OP(a, op, b)                                                            \
  do {                                                                                     \
    int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                          \
    if (!(a_ op b_)) TEST__FAIL("%s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b, a_, b_); \
  } while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                                     \
  do {                                                                                          \
    const char *a_ = (a), *b_ = (b);                                                            \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                        \
      TEST__FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
  } while (0)

#define ASSERT_NULL(a) ASSERT((a) == NULL)
#define ASSERT_NOT_NULL(a) ASSERT((a) != NULL)

#define TEST__RUN(name)                           \
  if (only == NULL || strcmp(only, #name) == 0) { \
    ran++;                                        \
    if (setjmp(test__jmp) == 0) {                 \
      test_##name();                              \
      passed++;                                   \
      if (verbose) printf("ok   %s\n", #name);    \
    } else {                                      \
      failed++;                                   \
      printf("FAIL %s\n", #name);                 \
    }                                             \
  }

#define TEST_MAIN(LIST)                               \
  jmp_buf test__jmp;                                  \
  int test__failed;                                   \
  int main(int argc, char **argv) {                   \
    const char *only = argc > 1 ? argv[1] : NULL;     \
    int verbose = getenv("TEST_VERBOSE") != NULL;     \
    volatile int passed = 0, failed = 0, ran = 0;     \
    LIST(TEST__RUN)                                   \
    if (only != NULL && ran == 0) {                   \
      printf("no test named %s\n", only);             \
      return 2;                                       \
    }                                                 \
    printf("%d passed, %d failed\n", passed, failed); \
    return failed ? 1 : 0;                            \
  }

#endif
