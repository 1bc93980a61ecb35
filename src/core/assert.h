/*
 * assert.h -- assertions that stay on in every build type.
 *
 * Programmer errors (a broken invariant, a request answered twice) abort
 * with context; operating errors are handled and answered with a status.
 * Unlike assert(), NDEBUG does not remove these: a release build that
 * continues with broken state could corrupt the store.
 */
#ifndef CASUS_CORE_ASSERT_H
#define CASUS_CORE_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define CASUS_ASSERT(c)                                                                       \
  do {                                                                                        \
    if (!(c)) {                                                                               \
      fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__, __LINE__, __func__, #c); \
      abort();                                                                                \
    }                                                                                         \
  } while (0)

#endif
