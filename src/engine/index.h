/*
 * index.h -- the index of a loaded chart (private to src/engine/): its
 * states in pre-order, so that "all descendants of s" is the index range
 * (s, end), and the roles that may fire each event.  Built by the chart
 * loader (chart.c); read by everything above it.  Calls only problem.h.
 */
#ifndef CASUS_ENGINE_INDEX_H
#define CASUS_ENGINE_INDEX_H

#include <stdbool.h>

#include "core/limits.h"
#include "engine/engine.h"
#include "engine/problem.h"

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

/* Indexes state `name` (st, borrowed from c->doc) and its descendants below
 * parent (-1 for the root) at depth, adding problems for malformed states.
 * c->states must have room for LIMIT_CHART_STATES_MAX states.  Returns the
 * state's index, or -1 when it could not be indexed. */
int eng_state_index(engine_chart_t *c, const char *name, const json_t *st, int parent, int depth,
                    const char *path, engine_problems_t *p);
/* The index of the state called name, or -1 (also for NULL). */
int eng_state_find(const engine_chart_t *chart, const char *name);
/* Records the roles of transition t's event in c->event_roles (strings only). */
void eng_event_roles_add(engine_chart_t *c, const json_t *t);
/* Whether role is one of the chart's roles or "system". */
bool eng_role_known(const engine_chart_t *c, const char *role);

#endif
