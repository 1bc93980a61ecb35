/*
 * engine_int.h -- internals shared by the engine's files (chart.c, expr.c,
 * engine.c).  Not a public header: only src/engine/ includes it.
 */
#ifndef CASUS_ENGINE_INT_H
#define CASUS_ENGINE_INT_H

#include <stdbool.h>

#include "core/limits.h"
#include "engine/engine.h"

enum { ST_ATOMIC, ST_COMPOUND, ST_PARALLEL, ST_FINAL };

typedef struct {
  const char *name;
  const json_t *json; /* borrowed from the chart document */
  int parent;         /* -1 for the root */
  int depth;
  int type;
  int end;     /* one past the last descendant (states are in pre-order) */
  int initial; /* the initial child of a compound state, -1 otherwise */
  int children_count;
  int children[LIMIT_CHART_STATES_MAX / 4];
  const char *status; /* own "status" or NULL */
  bool terminal;      /* a final state that ends the whole case */
  char path[128];     /* JSON path, for problems */
} eng_state_t;

struct engine_chart_s {
  json_t *doc;
  char id[LIMIT_ID_BYTES_MAX];
  char ref[LIMIT_ID_BYTES_MAX + 16];
  char calendar[LIMIT_ID_BYTES_MAX];
  int version;
  int states_count;
  eng_state_t *states; /* states[0] is the root */
  json_t *event_roles; /* event name -> array of roles that may fire it somewhere */
};

/* The evaluation environment of conditions and values.  root holds
 * {"fields", "counters", "data", "actor", "now", "now_time", "case"}. */
typedef struct {
  json_t *root;
  const engine_chart_t *chart;
  const bool *active; /* active[i] for each state, may be NULL */
  const calendar_t *cal;
  int64_t now_s;
} eng_env_t;

int eng_state_find(const engine_chart_t *chart, const char *name);

/* Resolves a dotted path ("fields.product.einddatum") in env->root (borrowed result, NULL when absent). */
const json_t *eng_path_get(const eng_env_t *env, const char *path);
/* Evaluates a value expression: a literal, {"path": P}, or {"date": {"from": P|"now", "after": D}}.
 * Returns a new reference (json_null() when a path is absent) or NULL on error. */
json_t *eng_value_eval(const eng_env_t *env, const json_t *expr);
/* Evaluates a condition; a malformed condition is false (charts are validated at load). */
bool eng_cond_eval(const eng_env_t *env, const json_t *cond);
/* Adds a duration {"working_days"|"days"|"weeks"|"months": n} to day d. 0 or -1 when malformed. */
int eng_duration_add(const calendar_t *cal, const json_t *duration, cal_day_t d, cal_day_t *out);
/* Checks data against a schema {"field": {"type", "required", "enum", "properties", "rule"}}.
 * Returns 0 or CASUS_EINVALID_DATA with a sentence in msg and the field's rule in *rule. */
int eng_schema_check(const json_t *schema, const json_t *data, char *msg, size_t msg_size, const char **rule);

/* Load-time validators: add problems for malformed conditions, values, schemas, actions. */
void eng_problem_add(engine_problems_t *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void eng_cond_validate(const json_t *cond, const char *path, engine_problems_t *p, int depth);
void eng_value_validate(const json_t *expr, const char *path, engine_problems_t *p);
void eng_schema_validate(const json_t *schema, const char *path, engine_problems_t *p, int depth);
void eng_duration_validate(const json_t *d, const char *path, engine_problems_t *p);

#endif
