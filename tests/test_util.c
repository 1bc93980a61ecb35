/* Shared helpers for unit tests live here; the harness itself is test.h. */
#include "test.h"
