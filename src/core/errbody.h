/*
 * errbody.h -- the one place that builds the JSON error body of API.md:
 *   {"error": {"code": "...", "message": "...", "rule": "R-...", "field": "..."}}
 */
#ifndef CASUS_CORE_ERRBODY_H
#define CASUS_CORE_ERRBODY_H

#include <stddef.h>

/* Returns a malloc'ed, NUL-terminated body for err (a casus_err_t);
 * message NULL uses the default sentence, rule NULL omits "rule", field
 * NULL or "" omits "field" (the data field a 422 refused).
 * *len receives the length.  Returns NULL only when out of memory. */
char *core_errbody_new(int err, const char *message, const char *rule, const char *field, size_t *len);

#endif
