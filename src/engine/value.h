/*
 * value.h -- paths, durations, value expressions and type names: the
 * values a chart's conditions, schemas and actions are made of (private to
 * src/engine/).  Calls only problem.h.
 */
#ifndef CASUS_ENGINE_VALUE_H
#define CASUS_ENGINE_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "engine/engine.h"
#include "engine/problem.h"

/* The evaluation environment of conditions and values.  root holds
 * {"fields", "counters", "data", "actor", "now", "now_time", "case"}.
 * chart and active are for conditions on states (in_state). */
typedef struct {
  json_t *root;
  const engine_chart_t *chart;
  const bool *active; /* active[i] for each state, may be NULL */
  const calendar_t *cal;
  /* May be NULL: tables read before the chart's of the same name (engine_ctx_t.tables). */
  const json_t *tables;
  int64_t now_s;
  /* May be NULL.  A {"date"} value that comes out beyond the range of
   * cal_day_in_range sets *date_outside to its "from" (the path, or "now"):
   * fine to compare, never to store (the engine refuses the event then). */
  const char **date_outside;
} eng_env_t;

/* Whether path is a dotted path as engine_path_get reads it: one or more names separated by dots, each
 * non-empty and shorter than LIMIT_ID_BYTES_MAX bytes. */
bool eng_path_valid(const char *path);
/* Resolves a dotted path ("fields.product.einddatum") in env->root (borrowed result, NULL when absent). */
const json_t *eng_path_get(const eng_env_t *env, const char *path);
/* Evaluates a value expression: a literal, {"path": P}, {"date": {"from": P|"now", "after": D}} (D a
 * duration or an expression that yields one; no date when it yields none), or {"table": {"name": T,
 * "key": V, "column": C}}: the chart's tables.T[V].C, json_null() when absent.
 * Returns a new reference (json_null() when a path is absent) or NULL on error.  A date outside
 * the range is still returned (it compares correctly) and noted in env->date_outside. */
json_t *eng_value_eval(const eng_env_t *env, const json_t *expr);
/* The duration an "after" names: a duration object itself, or a value expression that yields one (a
 * {"table"} cell: the chart's data, e.g. the maximum of an arrangement).  New reference; json_null()
 * when absent.  What it yields is checked only when it is used (eng_duration_add fails on a non-duration). */
json_t *eng_duration_eval(const eng_env_t *env, const json_t *after);
/* Adds a duration {"working_days"|"days"|"weeks"|"months": n} to day d. 0 or -1 when malformed. */
int eng_duration_add(const calendar_t *cal, const json_t *duration, cal_day_t d, cal_day_t *out);
/* Whether v (may be NULL) is of the type called `type`: string, boolean, integer, number, object,
 * array, date ("YYYY-MM-DD"), datetime (RFC 3339) or any (present). */
bool eng_type_matches(const json_t *v, const char *type);

/* Load-time validators: add problems for malformed values and durations. */
void eng_value_validate(const json_t *expr, const char *path, engine_problems_t *p);
void eng_duration_validate(const json_t *d, const char *path, engine_problems_t *p);
/* An "after": a duration, or a value expression (eng_duration_eval). */
void eng_after_validate(const json_t *after, const char *path, engine_problems_t *p);

#endif
