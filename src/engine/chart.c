/*
 * chart.c -- loading and checking statecharts: the top layer of the chart
 * language (see problem.h for the layers).
 *
 * A chart document is validated completely before it is used: its shape,
 * every condition, value, schema and action (by the validators of the
 * layers below), and the semantic checks of `casusd statechart check`
 * (unknown targets, unreachable states, events nobody may fire, timers
 * without a handler).  The states are indexed (index.c) in pre-order so
 * that "all descendants of s" is the index range (s, end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "engine/action.h"
#include "engine/cond.h"
#include "engine/index.h"
#include "engine/problem.h"
#include "engine/property.h"
#include "engine/schema.h"
#include "engine/value.h"

typedef struct {
  engine_chart_t *c;
  engine_problems_t *p;
} loader_t;

static const char *const chart_keys[] = {
    "id",    "version",  "title",        "description",   "calendar",       "roles",  "create",
    "root",  "privacy",  "index",        "timer_failure", "properties",     "tables", "$schema",
    "gezin", "included", "linked_cases", "catalog",       "catalog_version"};
static const char *const linked_keys[] = {"by", "events", "where", "as", "collect", "rule", "description"};
/* Members of the engine's own root (engine.c): "as" may not be one of them. */
static const char *const root_reserved[] = {"fields", "counters", "case",     "data",
                                            "actor",  "now",      "now_time", "run"};
static const char *const gezin_keys[] = {"field", "within", "shared_fields", "events", "rule", "description"};
static const char *const timer_failure_keys[] = {"to", "kind", "title", "rule", "description"};
/* The parameters GET /v1/cases takes itself (docs/api.md): no list filter of a chart may be called so. */
static const char *const index_reserved[] = {"status",        "flag",   "overdue", "deadline_before",
                                             "updated_after", "cursor", "limit"};
static const char *const transition_keys[] = {"event",  "target",  "roles", "when",       "data",
                                              "guards", "actions", "rule",  "description"};
static const char *const role_keys[] = {"org_field",           "actor_field",          "view",
                                        "identity_on_opt_out", "shared_inbox",         "description",
                                        "delegate_org_field",  "visible_after_notice", "withhold_free_text"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- gezin --- */

/* "gezin" (R-AUTH-3, DOMAIN 4.3): cases linked by the value of "field"
 * (within one value of "within", e.g. one gemeente) share the values of
 * "shared_fields"; an event of "events" accepted on one of them is applied
 * to every open case of the gezin in the same write (docs/statecharts.md). */
static void gezin_validate(const engine_chart_t *c, const json_t *g, engine_problems_t *p) {
  const char *keys[] = {"field", "within"};
  size_t i, k;
  json_t *v, *e;
  if (g == NULL) return;
  if (!json_is_object(g)) {
    eng_problem_add(p, "$.gezin", "\"gezin\" must be an object {field, within, shared_fields, events}");
    return;
  }
  eng_keys_check(g, gezin_keys, COUNT(gezin_keys), "$.gezin", p);
  for (k = 0; k < 2; k++) {
    v = json_object_get(g, keys[k]);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= LIMIT_ID_BYTES_MAX ||
        strchr(json_string_value(v), '.') != NULL)
      eng_problem_add(p, "$.gezin", "\"%s\" must name a top-level case field", keys[k]);
  }
  v = json_object_get(g, "shared_fields");
  if (v != NULL && !json_is_array(v)) eng_problem_add(p, "$.gezin", "\"shared_fields\" must be an array");
  json_array_foreach(v, i, e) {
    if (!json_is_string(e) || strchr(json_string_value(e), '.') != NULL)
      eng_problem_add(p, "$.gezin.shared_fields", "each shared field names a top-level case field");
  }
  v = json_object_get(g, "events");
  if (v != NULL && !json_is_array(v)) eng_problem_add(p, "$.gezin", "\"events\" must be an array");
  json_array_foreach(v, i, e) {
    if (!json_is_string(e) || json_object_get(c->event_roles, json_string_value(e)) == NULL)
      eng_problem_add(p, "$.gezin.events", "\"%s\" is not an event of this chart",
                      json_is_string(e) ? json_string_value(e) : "?");
  }
}

/* --- linked cases --- */

/* "linked_cases" (ZC, DOMAIN 4.3): the server's view of the other open
 * cases of the same jeugdige, linked by the case fields "by" (a dotted
 * path; the gezin's field links within the gezin), given to the events of
 * "events" as the root member "as": {"<name>": [the distinct values of
 * the path "collect" names, of each linked case where "where" holds]}
 * (src/api/linked.c; docs/statecharts.md). */
static void linked_validate(const engine_chart_t *c, const json_t *g, engine_problems_t *p) {
  const char *as, *name;
  size_t i, k;
  json_t *v, *e;
  if (g == NULL) return;
  if (!json_is_object(g)) {
    eng_problem_add(p, "$.linked_cases",
                    "\"linked_cases\" must be an object {by, events, where, as, collect}");
    return;
  }
  eng_keys_check(g, linked_keys, COUNT(linked_keys), "$.linked_cases", p);
  v = json_object_get(g, "by");
  if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 2)
    eng_problem_add(p, "$.linked_cases.by", "\"by\" names 1 or 2 case fields (dotted paths below fields)");
  json_array_foreach(v, i, e) {
    if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) >= LIMIT_ID_BYTES_MAX)
      eng_problem_add(p, "$.linked_cases.by", "each entry names a case field");
  }
  v = json_object_get(g, "events");
  if (!json_is_array(v) || json_array_size(v) == 0)
    eng_problem_add(p, "$.linked_cases.events", "\"events\" must be a non-empty array of events");
  json_array_foreach(v, i, e) {
    if (!json_is_string(e) || json_object_get(c->event_roles, json_string_value(e)) == NULL)
      eng_problem_add(p, "$.linked_cases.events", "\"%s\" is not an event of this chart",
                      json_is_string(e) ? json_string_value(e) : "?");
  }
  if (json_object_get(g, "where") != NULL)
    eng_cond_validate(json_object_get(g, "where"), "$.linked_cases.where", p, 0);
  as = json_string_value(json_object_get(g, "as"));
  if (as == NULL || strlen(as) == 0 || strlen(as) >= LIMIT_ID_BYTES_MAX || strchr(as, '.') != NULL)
    eng_problem_add(p, "$.linked_cases.as", "\"as\" names the member the events read (an id)");
  for (k = 0; as != NULL && k < COUNT(root_reserved); k++)
    if (strcmp(as, root_reserved[k]) == 0)
      eng_problem_add(p, "$.linked_cases.as", "\"%s\" is the engine's own; choose another name", as);
  v = json_object_get(g, "collect");
  if (!json_is_object(v) || json_object_size(v) == 0 || json_object_size(v) > 4)
    eng_problem_add(p, "$.linked_cases.collect", "\"collect\" maps 1 to 4 names to case field paths");
  json_object_foreach(v, name, e) {
    if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) >= LIMIT_ID_BYTES_MAX)
      eng_problem_add(p, "$.linked_cases.collect", "\"%s\" must name a case field path", name);
  }
}

/* --- transitions --- */

static void transition_validate(loader_t *l, const json_t *t, const char *path, bool create) {
  const json_t *roles = json_object_get(t, "roles"), *guards = json_object_get(t, "guards");
  const char *event = json_string_value(json_object_get(t, "event"));
  const char *target = json_string_value(json_object_get(t, "target"));
  size_t i;
  json_t *r, *g;
  char sub[176];
  if (!json_is_object(t)) {
    eng_problem_add(l->p, path, "a transition must be an object");
    return;
  }
  eng_keys_check(t, transition_keys, COUNT(transition_keys), path, l->p);
  if (event == NULL || strlen(event) == 0 || strlen(event) >= LIMIT_ID_BYTES_MAX)
    eng_problem_add(l->p, path, "a transition needs an \"event\" name");
  if (json_object_get(t, "target") && target == NULL)
    eng_problem_add(l->p, path, "\"target\" must be a state name");
  if (target && eng_state_find(l->c, target) < 0) {
    snprintf(sub, sizeof(sub), "%s.target", path);
    eng_problem_add(l->p, sub, "unknown target state \"%s\"", target);
  }
  if (create && target == NULL) eng_problem_add(l->p, path, "a create transition needs a \"target\"");
  if (!json_is_array(roles) || json_array_size(roles) == 0) {
    snprintf(sub, sizeof(sub), "%s.roles", path);
    eng_problem_add(l->p, sub, "event \"%s\" has no roles: nobody may fire it", event ? event : "?");
  }
  json_array_foreach(roles, i, r) {
    snprintf(sub, sizeof(sub), "%s.roles[%zu]", path, i);
    if (!json_is_string(r) || !eng_role_known(l->c, json_string_value(r)))
      eng_problem_add(l->p, sub, "unknown role %s",
                      json_is_string(r) ? json_string_value(r) : "(not a string)");
  }
  if (json_object_get(t, "when")) {
    snprintf(sub, sizeof(sub), "%s.when", path);
    eng_cond_validate(json_object_get(t, "when"), sub, l->p, 0);
  }
  if (json_object_get(t, "data")) {
    snprintf(sub, sizeof(sub), "%s.data", path);
    eng_schema_validate(json_object_get(t, "data"), sub, l->p, 0);
  }
  if (guards && !json_is_array(guards)) eng_problem_add(l->p, path, "\"guards\" must be an array");
  json_array_foreach(guards, i, g) {
    snprintf(sub, sizeof(sub), "%s.guards[%zu]", path, i);
    if (!json_is_object(g) || !json_object_get(g, "check") || !json_is_string(json_object_get(g, "rule")) ||
        !json_is_string(json_object_get(g, "message"))) {
      eng_problem_add(l->p, sub,
                      "a guard is {\"check\": condition, \"rule\": \"R-...\", \"message\": \"...\"}");
      continue;
    }
    strncat(sub, ".check", sizeof(sub) - strlen(sub) - 1);
    eng_cond_validate(json_object_get(g, "check"), sub, l->p, 0);
  }
  if (json_object_get(t, "rule") && !json_is_string(json_object_get(t, "rule")))
    eng_problem_add(l->p, path, "\"rule\" must be a rule id string");
  snprintf(sub, sizeof(sub), "%s.actions", path);
  eng_actions_validate(l->c, json_object_get(t, "actions"), sub, l->p, 0);
}

/* --- list filters --- */

/* Whether s can name a list filter (a query parameter): [a-z][a-z0-9_]*, shorter than LIMIT_ID_BYTES_MAX. */
static bool is_filter_name(const char *s) {
  size_t i;
  if (s[0] < 'a' || s[0] > 'z') return false;
  for (i = 1; s[i] != '\0'; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return false;
  return i < LIMIT_ID_BYTES_MAX;
}

/* The chart's data, "tables": {"<table>": {"<row key>": {"<column>": <any JSON>}}}: values the chart's
 * conditions and timers look up with {"table": {"name", "key", "column"}} (e.g. the maximum duration of
 * an arrangement, a region's treeknorm), so that such limits are data in one place, not literals in
 * guards. */
static void tables_validate(const json_t *tables, engine_problems_t *p) {
  const char *name, *key;
  json_t *table, *row;
  char sub[160];
  if (tables == NULL) return;
  if (!json_is_object(tables)) {
    eng_problem_add(p, "$.tables", "\"tables\" must be an object of tables");
    return;
  }
  if (json_object_size(tables) > LIMIT_CHART_TABLES_MAX)
    eng_problem_add(p, "$.tables", "at most %d tables", LIMIT_CHART_TABLES_MAX);
  json_object_foreach((json_t *)tables, name, table) {
    snprintf(sub, sizeof(sub), "$.tables.%.64s", name);
    if (!json_is_object(table)) {
      eng_problem_add(p, sub, "a table is an object of rows, each an object of columns");
      continue;
    }
    if (json_object_size(table) > LIMIT_CHART_TABLE_ROWS_MAX)
      eng_problem_add(p, sub, "at most %d rows in a table", LIMIT_CHART_TABLE_ROWS_MAX);
    json_object_foreach(table, key, row) {
      if (!json_is_object(row)) {
        snprintf(sub, sizeof(sub), "$.tables.%.64s.%.64s", name, key);
        eng_problem_add(p, sub, "a row is an object of columns");
      }
    }
  }
}

/* Every {"table": {"name": T, ...}} value below node names a table of the chart. */
static void table_refs_check(const json_t *tables, const json_t *node, engine_problems_t *p, int depth) {
  const char *key;
  json_t *v;
  size_t i;
  if (depth > 64) return;
  if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      table_refs_check(tables, v, p, depth + 1);
    }
    return;
  }
  if (!json_is_object(node)) return;
  v = json_object_get(node, "table");
  if (json_is_object(v) && json_is_string(json_object_get(v, "name")) &&
      !json_is_object(json_object_get(tables, json_string_value(json_object_get(v, "name")))))
    eng_problem_add(p, "$", "unknown table \"%.64s\" (declare it in \"tables\")",
                    json_string_value(json_object_get(v, "name")));
  json_object_foreach((json_t *)node, key, v) {
    table_refs_check(tables, v, p, depth + 1);
  }
}

/* The chart's list filters, "index": {"<query parameter>": "<dotted path below the case's fields>"}: the
 * case fields GET /v1/cases can select on, each from an index of the store. */
static void index_validate(const json_t *index, engine_problems_t *p) {
  const char *name;
  json_t *path;
  char sub[176];
  size_t k;
  if (index == NULL) return;
  if (!json_is_object(index)) {
    eng_problem_add(
        p, "$.index",
        "\"index\" must be an object {\"<query parameter>\": \"<path below the case's fields>\"}");
    return;
  }
  if (json_object_size(index) > LIMIT_CHART_INDEXES_MAX)
    eng_problem_add(p, "$.index", "more than %d list filters", LIMIT_CHART_INDEXES_MAX);
  json_object_foreach((json_t *)index, name, path) {
    snprintf(sub, sizeof(sub), "$.index.%s", name);
    if (!is_filter_name(name)) {
      eng_problem_add(p, sub,
                      "a list filter's name is a query parameter: [a-z][a-z0-9_]*, at most %d characters",
                      LIMIT_ID_BYTES_MAX - 1);
    } else {
      for (k = 0; k < COUNT(index_reserved); k++)
        if (strcmp(name, index_reserved[k]) == 0)
          eng_problem_add(p, sub, "\"%s\" is reserved: GET /v1/cases takes it itself", name);
    }
    if (!json_is_string(path))
      eng_problem_add(p, sub, "a list filter names a case field: a dotted path below \"fields\" (a string)");
    else if (!eng_path_valid(json_string_value(path)))
      eng_problem_add(p, sub, "\"%s\" is not a dotted path (names of 1 to %d bytes separated by dots)",
                      json_string_value(path), LIMIT_ID_BYTES_MAX - 1);
  }
}

/* --- failed timers --- */

/* "timer_failure": {"to": [roles], "kind", "title", "rule"?}: who gets a task
 * when a timer's event cannot be applied and the timer is consumed as failed
 * (engine_chart_timer_failure).  Optional. */
static void timer_failure_validate(const engine_chart_t *c, const json_t *tf, engine_problems_t *p) {
  const json_t *to = json_object_get(tf, "to"), *kind = json_object_get(tf, "kind"),
               *title = json_object_get(tf, "title"), *rule = json_object_get(tf, "rule");
  json_t *r;
  size_t i;
  char sub[176];
  if (tf == NULL) return;
  if (!json_is_object(tf)) {
    eng_problem_add(p, "$.timer_failure",
                    "\"timer_failure\" must be an object {\"to\", \"kind\", \"title\"}");
    return;
  }
  eng_keys_check(tf, timer_failure_keys, COUNT(timer_failure_keys), "$.timer_failure", p);
  if (!json_is_array(to) || json_array_size(to) == 0)
    eng_problem_add(p, "$.timer_failure.to", "\"to\" must list the roles that get the task");
  json_array_foreach(to, i, r) {
    snprintf(sub, sizeof(sub), "$.timer_failure.to[%zu]", i);
    if (!json_is_string(r) || strcmp(json_string_value(r), ENGINE_ROLE_SYSTEM) == 0 ||
        !eng_role_known(c, json_string_value(r)))
      eng_problem_add(p, sub, "unknown role %s", json_is_string(r) ? json_string_value(r) : "(not a string)");
  }
  if (!json_is_string(kind) || json_string_length(kind) == 0 ||
      json_string_length(kind) >= LIMIT_ID_BYTES_MAX)
    eng_problem_add(p, "$.timer_failure.kind", "\"kind\" must be the task's kind: 1 to %d bytes",
                    LIMIT_ID_BYTES_MAX - 1);
  if (!json_is_string(title) || json_string_length(title) == 0)
    eng_problem_add(p, "$.timer_failure.title", "\"title\" must be the task's title");
  if (rule != NULL && !json_is_string(rule))
    eng_problem_add(p, "$.timer_failure.rule", "\"rule\" must be a rule id string");
}

/* --- semantic checks --- */

/* Calls fn on every action of the chart: create transitions, state entry/exit, transitions. */
static void chart_actions_walk(loader_t *l, eng_action_fn fn, void *ud) {
  size_t i;
  json_t *t;
  int s;
  json_array_foreach(json_object_get(l->c->doc, "create"), i, t) {
    eng_actions_walk(json_object_get(t, "actions"), fn, ud, 0);
  }
  for (s = 0; s < l->c->states_count; s++) {
    const json_t *st = l->c->states[s].json;
    eng_actions_walk(json_object_get(st, "on_entry"), fn, ud, 0);
    eng_actions_walk(json_object_get(st, "on_exit"), fn, ud, 0);
    json_array_foreach(json_object_get(st, "transitions"), i, t) {
      eng_actions_walk(json_object_get(t, "actions"), fn, ud, 0);
    }
  }
}

/* Every timer of the chart (state timers and arm actions) must name an event
 * some transition handles, and every event only "system" fires must be the
 * event of some timer. */
static void collect_armed(const json_t *a, void *ud) {
  if (json_object_get(a, "arm") && json_is_string(json_object_get(a, "event")))
    json_array_append((json_t *)ud, json_object_get(a, "event"));
}

static void check_timers_and_events(loader_t *l) {
  json_t *armed = json_array();
  int s;
  size_t i;
  json_t *t, *ev;
  const char *event;
  chart_actions_walk(l, collect_armed, armed);
  for (s = 0; s < l->c->states_count; s++) {
    json_array_foreach(json_object_get(l->c->states[s].json, "timers"), i, t) {
      char sub[176];
      json_t *e = json_object_get(t, "event");
      snprintf(sub, sizeof(sub), "%s.timers[%zu]", l->c->states[s].path, i);
      if (json_is_string(e)) json_array_append(armed, e);
      if (json_is_string(e) && json_object_get(l->c->event_roles, json_string_value(e)) == NULL)
        eng_problem_add(l->p, sub, "timer event \"%s\" has no handler: no transition takes it",
                        json_string_value(e));
    }
  }
  /* arm actions: find their paths again for a precise report */
  json_array_foreach(armed, i, ev) {
    if (json_object_get(l->c->event_roles, json_string_value(ev)) == NULL)
      eng_problem_add(l->p, "$", "timer event \"%s\" has no handler: no transition takes it",
                      json_string_value(ev));
  }
  json_object_foreach(l->c->event_roles, event, t) {
    bool system_only =
        json_array_size(t) == 1 && strcmp(json_string_value(json_array_get(t, 0)), ENGINE_ROLE_SYSTEM) == 0;
    bool is_armed = false;
    json_array_foreach(armed, i, ev) {
      if (strcmp(json_string_value(ev), event) == 0) is_armed = true;
    }
    if (system_only && !is_armed)
      eng_problem_add(l->p, "$",
                      "event \"%s\" is only for \"system\" but no timer fires it: nobody may fire it", event);
  }
  json_decref(armed);
}

/* Marks s and what entering it enters by default (initial children, all regions of a parallel). */
static void reach_enter(const engine_chart_t *c, int s, bool *reached) {
  const eng_state_t *st = &c->states[s];
  int k;
  reached[s] = true;
  if (st->type == ST_COMPOUND && st->initial >= 0) reach_enter(c, st->initial, reached);
  if (st->type == ST_PARALLEL)
    for (k = 0; k < st->children_count; k++) reach_enter(c, st->children[k], reached);
}

/* Marks target, its ancestors, and its default entry. */
static void reach_target(const engine_chart_t *c, int target, bool *reached) {
  int a, k;
  for (a = c->states[target].parent; a >= 0; a = c->states[a].parent) {
    reached[a] = true;
    if (c->states[a].type == ST_PARALLEL)
      for (k = 0; k < c->states[a].children_count; k++)
        if (!reached[c->states[a].children[k]] &&
            !(target > c->states[a].children[k] && target < c->states[c->states[a].children[k]].end))
          reach_enter(c, c->states[a].children[k], reached);
  }
  reach_enter(c, target, reached);
}

static void check_reachable(loader_t *l) {
  engine_chart_t *c = l->c;
  bool reached[LIMIT_CHART_STATES_MAX] = {false};
  bool changed = true;
  size_t i;
  json_t *t;
  int s;
  json_array_foreach(json_object_get(c->doc, "create"), i, t) {
    int target = eng_state_find(c, json_string_value(json_object_get(t, "target")));
    if (target >= 0) reach_target(c, target, reached);
  }
  while (changed) {
    changed = false;
    for (s = 0; s < c->states_count; s++) {
      if (!reached[s]) continue;
      json_array_foreach(json_object_get(c->states[s].json, "transitions"), i, t) {
        int target = eng_state_find(c, json_string_value(json_object_get(t, "target")));
        if (target >= 0 && !reached[target]) {
          reach_target(c, target, reached);
          changed = true;
        }
      }
    }
  }
  for (s = 0; s < c->states_count; s++)
    if (!reached[s])
      eng_problem_add(l->p, c->states[s].path, "state \"%s\" is unreachable", c->states[s].name);
}

static void check_in_state(loader_t *l, const json_t *node, const char *path, int depth) {
  const char *key;
  json_t *v;
  size_t i;
  if (depth > 32) return;
  if (json_is_object(node)) {
    const json_t *s = json_object_get(node, "in_state");
    if (json_is_string(s) && eng_state_find(l->c, json_string_value(s)) < 0)
      eng_problem_add(l->p, path, "\"in_state\" names unknown state \"%s\"", json_string_value(s));
    json_object_foreach((json_t *)node, key, v) {
      if (strcmp(key, "states") == 0) continue; /* each state is visited on its own */
      check_in_state(l, v, path, depth + 1);
    }
  } else if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      check_in_state(l, v, path, depth + 1);
    }
  }
}

static engine_chart_t *chart_build(const json_t *doc, engine_problems_t *p) {
  engine_chart_t *c = calloc(1, sizeof(*c));
  loader_t l;
  const json_t *v, *roles, *create;
  const char *key;
  json_t *t;
  size_t i, transitions;
  int s;
  char sub[176];
  if (c == NULL) return NULL;
  c->states = calloc(LIMIT_CHART_STATES_MAX, sizeof(eng_state_t));
  c->event_roles = json_object();
  c->doc = json_incref((json_t *)doc);
  if (c->states == NULL || c->event_roles == NULL) {
    engine_chart_free(c);
    return NULL;
  }
  l.c = c;
  l.p = p;
  if (!json_is_object(doc)) {
    eng_problem_add(p, "$", "a chart must be a JSON object");
    return c;
  }
  eng_keys_check(doc, chart_keys, COUNT(chart_keys), "$", p);
  v = json_object_get(doc, "id");
  if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof(c->id))
    eng_problem_add(p, "$.id", "\"id\" must be a non-empty string");
  else
    snprintf(c->id, sizeof(c->id), "%s", json_string_value(v));
  v = json_object_get(doc, "version");
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    eng_problem_add(p, "$.version", "\"version\" must be a positive integer");
  else
    c->version = (int)json_integer_value(v);
  snprintf(c->ref, sizeof(c->ref), "%s@%d", c->id, c->version);
  v = json_object_get(doc, "calendar");
  snprintf(c->calendar, sizeof(c->calendar), "%s", json_is_string(v) ? json_string_value(v) : "nl");
  roles = json_object_get(doc, "roles");
  if (!json_is_object(roles) || json_object_size(roles) == 0)
    eng_problem_add(p, "$.roles", "\"roles\" is required");
  json_object_foreach((json_t *)roles, key, t) {
    snprintf(sub, sizeof(sub), "$.roles.%s", key);
    if (strcmp(key, ENGINE_ROLE_SYSTEM) == 0) eng_problem_add(p, sub, "\"system\" is reserved for timers");
    if (!json_is_object(t) || !json_is_string(json_object_get(t, "org_field"))) {
      eng_problem_add(p, sub,
                      "a role needs \"org_field\" (the case field holding the organisation that sees it)");
      continue;
    }
    eng_keys_check(t, role_keys, COUNT(role_keys), sub, p);
    v = json_object_get(t, "view");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "volledig") != 0 &&
                                     strcmp(json_string_value(v), "anoniem") != 0)))
      eng_problem_add(p, sub, "\"view\" must be volledig or anoniem");
    v = json_object_get(t, "shared_inbox");
    if (v && !json_is_boolean(v)) eng_problem_add(p, sub, "\"shared_inbox\" must be true or false");
    if (json_is_false(v) && !json_is_string(json_object_get(t, "actor_field")))
      eng_problem_add(p, sub,
                      "\"shared_inbox\": false needs \"actor_field\" (the person who gets the role's tasks)");
    v = json_object_get(t, "identity_on_opt_out");
    if (v && !json_is_boolean(v) && !(json_is_string(v) && strcmp(json_string_value(v), "delegate") == 0))
      eng_problem_add(p, sub, "\"identity_on_opt_out\" must be true, false or \"delegate\"");
    if (json_is_string(v) && !json_is_string(json_object_get(t, "delegate_org_field")))
      eng_problem_add(p, sub, "\"identity_on_opt_out\": \"delegate\" needs \"delegate_org_field\"");
    v = json_object_get(t, "delegate_org_field");
    if (v &&
        (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= LIMIT_ID_BYTES_MAX))
      eng_problem_add(p, sub, "\"delegate_org_field\" must name a case field");
    v = json_object_get(t, "visible_after_notice");
    if (v && !json_is_boolean(v)) eng_problem_add(p, sub, "\"visible_after_notice\" must be true or false");
    v = json_object_get(t, "withhold_free_text");
    if (v && !json_is_boolean(v)) eng_problem_add(p, sub, "\"withhold_free_text\" must be true or false");
  }
  index_validate(json_object_get(doc, "index"), p);
  tables_validate(json_object_get(doc, "tables"), p);
  table_refs_check(json_object_get(doc, "tables"), json_object_get(doc, "root"), p, 0);
  table_refs_check(json_object_get(doc, "tables"), json_object_get(doc, "create"), p, 0);
  table_refs_check(json_object_get(doc, "tables"), json_object_get(doc, "properties"), p, 0);
  timer_failure_validate(c, json_object_get(doc, "timer_failure"), p);
  v = json_object_get(doc, "root");
  if (!json_is_object(v)) {
    eng_problem_add(p, "$.root", "\"root\" (the top state) is required");
    return c;
  }
  eng_state_index(c, "root", v, -1, 0, "$.root", p);
  create = json_object_get(doc, "create");
  if (!json_is_array(create) || json_array_size(create) == 0)
    eng_problem_add(p, "$.create", "\"create\" must list at least one transition that creates a case");
  json_array_foreach(create, i, t) {
    snprintf(sub, sizeof(sub), "$.create[%zu]", i);
    transition_validate(&l, t, sub, true);
    eng_event_roles_add(c, t);
  }
  transitions = json_array_size(create);
  for (s = 0; s < c->states_count; s++) {
    transitions += json_array_size(json_object_get(c->states[s].json, "transitions"));
    if (transitions > LIMIT_CHART_TRANSITIONS_MAX) {
      eng_problem_add(p, c->states[s].path, "more than %d transitions in the chart",
                      LIMIT_CHART_TRANSITIONS_MAX);
      break;
    }
  }
  for (s = 0; s < c->states_count; s++) {
    const eng_state_t *st = &c->states[s];
    const json_t *trs = json_object_get(st->json, "transitions"),
                 *timers = json_object_get(st->json, "timers");
    if (trs && !json_is_array(trs)) eng_problem_add(p, st->path, "\"transitions\" must be an array");
    if (st->type == ST_FINAL && json_array_size(trs) > 0)
      eng_problem_add(p, st->path, "a final state has no transitions");
    json_array_foreach(trs, i, t) {
      snprintf(sub, sizeof(sub), "%s.transitions[%zu]", st->path, i);
      transition_validate(&l, t, sub, false);
      eng_event_roles_add(c, t);
    }
    if (timers && !json_is_array(timers)) eng_problem_add(p, st->path, "\"timers\" must be an array");
    json_array_foreach(timers, i, t) {
      snprintf(sub, sizeof(sub), "%s.timers[%zu]", st->path, i);
      if (!json_is_object(t)) {
        eng_problem_add(p, sub, "a timer must be an object");
        continue;
      }
      eng_timer_validate(t, sub, p, false);
    }
    snprintf(sub, sizeof(sub), "%s.on_entry", st->path);
    eng_actions_validate(c, json_object_get(st->json, "on_entry"), sub, p, 0);
    snprintf(sub, sizeof(sub), "%s.on_exit", st->path);
    eng_actions_validate(c, json_object_get(st->json, "on_exit"), sub, p, 0);
    check_in_state(&l, st->json, st->path, 0);
  }
  check_in_state(&l, create, "$.create", 0);
  /* The semantic checks only follow names that resolve, so they run even
   * when structural problems were found: a user sees everything at once. */
  check_timers_and_events(&l);
  check_reachable(&l);
  gezin_validate(c, json_object_get(doc, "gezin"), p);
  linked_validate(c, json_object_get(doc, "linked_cases"), p);
  eng_properties_validate(c, json_object_get(doc, "properties"), p);
  return c;
}

int engine_chart_check(const json_t *doc, engine_problems_t *problems) {
  engine_chart_t *c;
  problems->count = 0;
  c = chart_build(doc, problems);
  if (c == NULL) {
    eng_problem_add(problems, "$", "out of memory");
    return problems->count;
  }
  engine_chart_free(c);
  return problems->count;
}

int engine_chart_load(const json_t *doc, engine_chart_t **out, engine_problems_t *problems) {
  engine_problems_t local;
  engine_problems_t *p = problems ? problems : &local;
  engine_chart_t *c;
  p->count = 0;
  *out = NULL;
  c = chart_build(doc, p);
  if (c == NULL) return CASUS_ENOMEM;
  if (p->count > 0) {
    engine_chart_free(c);
    return CASUS_ECHART_INVALID;
  }
  *out = c;
  return 0;
}

void engine_chart_free(engine_chart_t *chart) {
  if (chart == NULL) return;
  json_decref(chart->doc);
  json_decref(chart->event_roles);
  free(chart->states);
  free(chart);
}

const char *engine_chart_id(const engine_chart_t *chart) {
  return chart->id;
}
int engine_chart_version(const engine_chart_t *chart) {
  return chart->version;
}
const char *engine_chart_ref(const engine_chart_t *chart) {
  return chart->ref;
}
const char *engine_chart_calendar(const engine_chart_t *chart) {
  return chart->calendar;
}
const json_t *engine_chart_json(const engine_chart_t *chart) {
  return chart->doc;
}
const json_t *engine_chart_index(const engine_chart_t *chart) {
  return json_object_get(chart->doc, "index");
}
const json_t *engine_chart_timer_failure(const engine_chart_t *chart) {
  return json_object_get(chart->doc, "timer_failure");
}
const json_t *engine_chart_role(const engine_chart_t *chart, const char *role) {
  return json_object_get(json_object_get(chart->doc, "roles"), role);
}
