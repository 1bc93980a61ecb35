/*
 * schema.h -- data schemas: what an event's (or a create body's) "data"
 * may hold (private to src/engine/).  Calls value.h and problem.h.
 */
#ifndef CASUS_ENGINE_SCHEMA_H
#define CASUS_ENGINE_SCHEMA_H

#include <stddef.h>

#include "engine/problem.h"

/* Checks data against a schema {"field": {"type", "required", "enum", "properties", "rule"}}.
 * Returns 0 or CASUS_EINVALID_DATA with a sentence in msg, the field's rule
 * in *rule and its path in field ("jeugdige.naam", "bijlagen[1]"; "" when
 * the failure is the data as a whole). */
int eng_schema_check(const json_t *schema, const json_t *data, char *msg, size_t msg_size, const char **rule,
                     char *field, size_t field_size);
/* Load-time validator: adds problems for a malformed schema at path (depth: its nesting so far). */
void eng_schema_validate(const json_t *schema, const char *path, engine_problems_t *p, int depth);

#endif
