/*
 * chart.c -- loading, indexing and checking statecharts.
 *
 * A chart document is validated completely before it is used: its shape,
 * every condition, value, schema and action, and the semantic checks of
 * `casusd statechart check` (unknown targets, unreachable states, events
 * nobody may fire, timers without a handler).  The states are indexed in
 * pre-order so that "all descendants of s" is the index range (s, end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "engine/engine_int.h"

typedef struct {
  engine_chart_t *c;
  engine_problems_t *p;
} loader_t;

static const char *const chart_keys[] = {"id",    "version", "title", "description", "calendar",
                                         "roles", "create",  "root",  "privacy",     "$schema"};
static const char *const state_keys[] = {"type",     "initial", "states", "status",      "terminal",
                                         "on_entry", "on_exit", "timers", "transitions", "description"};
static const char *const transition_keys[] = {"event",  "target",  "roles", "when",       "data",
                                              "guards", "actions", "rule",  "description"};
static const char *const timer_keys[] = {"name",  "arm",  "event", "after", "from",
                                         "fires", "kind", "rule",  "when",  "description"};
static const char *const notice_keys[] = {"kind", "to", "title", "rule"};
static const char *const role_keys[] = {"org_field", "actor_field", "view", "identity_on_opt_out",
                                        "description"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *s, const char *const *list, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(s, list[i]) == 0) return true;
  return false;
}

static void check_keys(const json_t *obj, const char *const *allowed, size_t n, const char *path,
                       engine_problems_t *p) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    (void)v;
    if (!in_list(key, allowed, n)) eng_problem_add(p, path, "unknown key \"%s\"", key);
  }
}

int eng_state_find(const engine_chart_t *chart, const char *name) {
  int i;
  if (name == NULL) return -1;
  for (i = 0; i < chart->states_count; i++)
    if (strcmp(chart->states[i].name, name) == 0) return i;
  return -1;
}

static bool is_role(const engine_chart_t *c, const char *role) {
  return strcmp(role, ENGINE_ROLE_SYSTEM) == 0 ||
         json_object_get(json_object_get(c->doc, "roles"), role) != NULL;
}

/* --- pass 1: index the states --- */

static int index_state(loader_t *l, const char *name, const json_t *st, int parent, int depth,
                       const char *path) {
  engine_chart_t *c = l->c;
  eng_state_t *s;
  const json_t *children = json_object_get(st, "states");
  const char *type = json_string_value(json_object_get(st, "type"));
  int idx;
  if (!json_is_object(st)) {
    eng_problem_add(l->p, path, "a state must be an object");
    return -1;
  }
  if (depth > LIMIT_CHART_DEPTH_MAX) {
    eng_problem_add(l->p, path, "states nest deeper than %d", LIMIT_CHART_DEPTH_MAX);
    return -1;
  }
  if (c->states_count >= LIMIT_CHART_STATES_MAX) {
    eng_problem_add(l->p, path, "more than %d states", LIMIT_CHART_STATES_MAX);
    return -1;
  }
  if (eng_state_find(c, name) >= 0) eng_problem_add(l->p, path, "state name \"%s\" is used twice", name);
  check_keys(st, state_keys, COUNT(state_keys), path, l->p);
  idx = c->states_count++;
  s = &c->states[idx];
  memset(s, 0, sizeof(*s));
  s->name = name;
  s->json = st;
  s->parent = parent;
  s->depth = depth;
  s->initial = -1;
  s->status = json_string_value(json_object_get(st, "status"));
  s->terminal = json_is_true(json_object_get(st, "terminal"));
  snprintf(s->path, sizeof(s->path), "%s", path);
  if (type == NULL)
    s->type = children ? ST_COMPOUND : ST_ATOMIC;
  else if (strcmp(type, "compound") == 0)
    s->type = ST_COMPOUND;
  else if (strcmp(type, "parallel") == 0)
    s->type = ST_PARALLEL;
  else if (strcmp(type, "atomic") == 0)
    s->type = ST_ATOMIC;
  else if (strcmp(type, "final") == 0)
    s->type = ST_FINAL;
  else
    eng_problem_add(l->p, path, "\"type\" must be compound, parallel, atomic or final");
  if (json_object_get(st, "status") && !json_is_string(json_object_get(st, "status")))
    eng_problem_add(l->p, path, "\"status\" must be a string");
  if (s->terminal && s->type != ST_FINAL) eng_problem_add(l->p, path, "only a final state can be terminal");
  if ((s->type == ST_COMPOUND || s->type == ST_PARALLEL) &&
      (!json_is_object(children) || json_object_size(children) == 0)) {
    eng_problem_add(l->p, path, "a compound or parallel state needs \"states\"");
  } else if ((s->type == ST_ATOMIC || s->type == ST_FINAL) && children) {
    eng_problem_add(l->p, path, "an atomic or final state cannot have \"states\"");
  } else if (children) {
    const char *cname;
    json_t *child;
    char sub[160];
    int dropped = 0;
    json_object_foreach((json_t *)children, cname, child) {
      int ci;
      snprintf(sub, sizeof(sub), "%s.states.%s", path, cname);
      if (strlen(cname) >= LIMIT_ID_BYTES_MAX) {
        eng_problem_add(l->p, sub, "state name too long");
        continue;
      }
      ci = index_state(l, cname, child, idx, depth + 1, sub);
      if (ci < 0) continue;
      s = &c->states[idx]; /* c->states does not move; refresh for clarity */
      /* A child left out of the list would never be entered (a region of a
       * parallel state) or entered instead of the target's ancestor: refuse. */
      if ((size_t)s->children_count < COUNT(s->children))
        s->children[s->children_count++] = ci;
      else if (++dropped == 1)
        eng_problem_add(l->p, path, "more than %zu child states", COUNT(s->children));
    }
  }
  s = &c->states[idx];
  s->end = c->states_count;
  if (s->type == ST_COMPOUND && s->children_count > 0) {
    const char *init = json_string_value(json_object_get(st, "initial"));
    int k;
    if (init == NULL) {
      s->initial = s->children[0];
    } else {
      for (k = 0; k < s->children_count; k++)
        if (strcmp(c->states[s->children[k]].name, init) == 0) s->initial = s->children[k];
      if (s->initial < 0) eng_problem_add(l->p, path, "\"initial\" names \"%s\", which is not a child", init);
    }
  }
  return idx;
}

/* --- pass 2: transitions, timers, actions --- */

static void timer_validate(loader_t *l, const json_t *t, const char *path, bool named_by_arm);

static void notice_validate(loader_t *l, const json_t *n, const char *path) {
  const json_t *to = json_object_get(n, "to");
  size_t i;
  json_t *r;
  if (!json_is_object(n)) {
    eng_problem_add(l->p, path, "a task or notification is an object {kind, to, title, rule}");
    return;
  }
  check_keys(n, notice_keys, COUNT(notice_keys), path, l->p);
  if (!json_is_string(json_object_get(n, "kind"))) eng_problem_add(l->p, path, "\"kind\" is required");
  if (!json_is_string(json_object_get(n, "title"))) eng_problem_add(l->p, path, "\"title\" is required");
  if (!json_is_array(to) || json_array_size(to) == 0)
    eng_problem_add(l->p, path, "\"to\" must be a non-empty array of roles");
  json_array_foreach(to, i, r) {
    if (!json_is_string(r) || !is_role(l->c, json_string_value(r)) ||
        strcmp(json_string_value(r), ENGINE_ROLE_SYSTEM) == 0)
      eng_problem_add(l->p, path, "\"to\" names an unknown role");
  }
}

static void actions_validate(loader_t *l, const json_t *actions, const char *path, int depth) {
  size_t i;
  json_t *a, *v;
  char sub[160], sub2[176];
  if (actions == NULL) return;
  if (!json_is_array(actions)) {
    eng_problem_add(l->p, path, "actions must be an array");
    return;
  }
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) {
    eng_problem_add(l->p, path, "actions nest deeper than %d", LIMIT_ACTIONS_DEPTH_MAX);
    return;
  }
  json_array_foreach(actions, i, a) {
    snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
    if (!json_is_object(a)) {
      eng_problem_add(l->p, sub, "an action must be an object");
      continue;
    }
    if ((v = json_object_get(a, "set")) != NULL || (v = json_object_get(a, "append")) != NULL) {
      const char *op = json_object_get(a, "set") ? "set" : "append";
      if (!json_is_string(v) || strncmp(json_string_value(v), "fields.", 7) != 0)
        eng_problem_add(l->p, sub, "\"%s\" takes a path below \"fields.\"", op);
      if (json_object_get(a, "value") == NULL) eng_problem_add(l->p, sub, "\"%s\" needs a \"value\"", op);
      snprintf(sub2, sizeof(sub2), "%s.value", sub);
      eng_value_validate(json_object_get(a, "value"), sub2, l->p);
    } else if ((v = json_object_get(a, "unset")) != NULL) {
      if (!json_is_string(v) || strncmp(json_string_value(v), "fields.", 7) != 0)
        eng_problem_add(l->p, sub, "\"unset\" takes a path below \"fields.\"");
    } else if ((v = json_object_get(a, "count")) != NULL || (v = json_object_get(a, "reset")) != NULL ||
               (v = json_object_get(a, "flag")) != NULL || (v = json_object_get(a, "unflag")) != NULL ||
               (v = json_object_get(a, "cancel")) != NULL ||
               (v = json_object_get(a, "close_tasks")) != NULL) {
      if (!json_is_string(v)) eng_problem_add(l->p, sub, "this action takes a name");
      if (json_object_get(a, "by") && !json_is_integer(json_object_get(a, "by")))
        eng_problem_add(l->p, sub, "\"by\" must be an integer");
    } else if (json_object_get(a, "arm") != NULL) {
      timer_validate(l, a, sub, true);
    } else if ((v = json_object_get(a, "task")) != NULL || (v = json_object_get(a, "notify")) != NULL) {
      snprintf(sub2, sizeof(sub2), "%s.%s", sub, json_object_get(a, "task") ? "task" : "notify");
      notice_validate(l, v, sub2);
    } else if ((v = json_object_get(a, "if")) != NULL) {
      snprintf(sub2, sizeof(sub2), "%s.if", sub);
      eng_cond_validate(v, sub2, l->p, 0);
      snprintf(sub2, sizeof(sub2), "%s.then", sub);
      actions_validate(l, json_object_get(a, "then"), sub2, depth + 1);
      snprintf(sub2, sizeof(sub2), "%s.else", sub);
      actions_validate(l, json_object_get(a, "else"), sub2, depth + 1);
    } else {
      eng_problem_add(l->p, sub,
                      "unknown action (set, append, unset, count, reset, flag, unflag, arm, cancel, "
                      "task, notify, close_tasks, if)");
    }
  }
}

static void timer_validate(loader_t *l, const json_t *t, const char *path, bool named_by_arm) {
  const char *fires = json_string_value(json_object_get(t, "fires"));
  char sub[176];
  check_keys(t, timer_keys, COUNT(timer_keys), path, l->p);
  if (!json_is_string(json_object_get(t, named_by_arm ? "arm" : "name")))
    eng_problem_add(l->p, path, "a timer needs a %s", named_by_arm ? "name in \"arm\"" : "\"name\"");
  if (!json_is_string(json_object_get(t, "event"))) eng_problem_add(l->p, path, "a timer needs an \"event\"");
  if (json_object_get(t, "after") == NULL) {
    eng_problem_add(l->p, path, "a timer needs \"after\" (a duration)");
  } else {
    snprintf(sub, sizeof(sub), "%s.after", path);
    eng_duration_validate(json_object_get(t, "after"), sub, l->p);
  }
  if (json_object_get(t, "from") && !json_is_string(json_object_get(t, "from")))
    eng_problem_add(l->p, path, "\"from\" must be \"now\" or a path to a date field");
  if (fires && strcmp(fires, "end_of_day") != 0 && strcmp(fires, "start_of_day") != 0)
    eng_problem_add(l->p, path, "\"fires\" must be end_of_day or start_of_day");
  if (json_object_get(t, "when")) {
    snprintf(sub, sizeof(sub), "%s.when", path);
    eng_cond_validate(json_object_get(t, "when"), sub, l->p, 0);
  }
}

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
  check_keys(t, transition_keys, COUNT(transition_keys), path, l->p);
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
    if (!json_is_string(r) || !is_role(l->c, json_string_value(r)))
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
  actions_validate(l, json_object_get(t, "actions"), sub, 0);
}

/* Records the roles of every transition's event in c->event_roles. */
static void event_roles_add(engine_chart_t *c, const json_t *t) {
  const char *event = json_string_value(json_object_get(t, "event"));
  json_t *list, *r;
  size_t i, k;
  if (event == NULL) return;
  list = json_object_get(c->event_roles, event);
  if (list == NULL) {
    list = json_array();
    json_object_set_new(c->event_roles, event, list);
  }
  json_array_foreach(json_object_get(t, "roles"), i, r) {
    bool seen = false;
    json_t *have;
    /* A role that is not a string is a problem transition_validate reports;
     * the map keeps strings only, which the later checks rely on. */
    if (!json_is_string(r)) continue;
    json_array_foreach(list, k, have) {
      if (json_equal(have, r)) seen = true;
    }
    if (!seen) json_array_append(list, r);
  }
}

/* Walks every action list (recursing into "if") and calls fn on each action. */
typedef void (*action_fn)(loader_t *l, const json_t *action, void *ud);
static void actions_walk(loader_t *l, const json_t *actions, action_fn fn, void *ud, int depth) {
  size_t i;
  json_t *a;
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) return;
  json_array_foreach(actions, i, a) {
    fn(l, a, ud);
    if (json_object_get(a, "if")) {
      actions_walk(l, json_object_get(a, "then"), fn, ud, depth + 1);
      actions_walk(l, json_object_get(a, "else"), fn, ud, depth + 1);
    }
  }
}

/* Calls fn on every action of the chart: create transitions, state entry/exit, transitions. */
static void chart_actions_walk(loader_t *l, action_fn fn, void *ud) {
  size_t i;
  json_t *t;
  int s;
  json_array_foreach(json_object_get(l->c->doc, "create"), i, t) {
    actions_walk(l, json_object_get(t, "actions"), fn, ud, 0);
  }
  for (s = 0; s < l->c->states_count; s++) {
    const json_t *st = l->c->states[s].json;
    actions_walk(l, json_object_get(st, "on_entry"), fn, ud, 0);
    actions_walk(l, json_object_get(st, "on_exit"), fn, ud, 0);
    json_array_foreach(json_object_get(st, "transitions"), i, t) {
      actions_walk(l, json_object_get(t, "actions"), fn, ud, 0);
    }
  }
}

/* Every timer of the chart (state timers and arm actions) must name an event
 * some transition handles, and every event only "system" fires must be the
 * event of some timer. */
static void collect_armed(loader_t *l, const json_t *a, void *ud) {
  (void)l;
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
  check_keys(doc, chart_keys, COUNT(chart_keys), "$", p);
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
    check_keys(t, role_keys, COUNT(role_keys), sub, p);
    v = json_object_get(t, "view");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "volledig") != 0 &&
                                     strcmp(json_string_value(v), "anoniem") != 0)))
      eng_problem_add(p, sub, "\"view\" must be volledig or anoniem");
  }
  v = json_object_get(doc, "root");
  if (!json_is_object(v)) {
    eng_problem_add(p, "$.root", "\"root\" (the top state) is required");
    return c;
  }
  index_state(&l, "root", v, -1, 0, "$.root");
  create = json_object_get(doc, "create");
  if (!json_is_array(create) || json_array_size(create) == 0)
    eng_problem_add(p, "$.create", "\"create\" must list at least one transition that creates a case");
  json_array_foreach(create, i, t) {
    snprintf(sub, sizeof(sub), "$.create[%zu]", i);
    transition_validate(&l, t, sub, true);
    event_roles_add(c, t);
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
      event_roles_add(c, t);
    }
    if (timers && !json_is_array(timers)) eng_problem_add(p, st->path, "\"timers\" must be an array");
    json_array_foreach(timers, i, t) {
      snprintf(sub, sizeof(sub), "%s.timers[%zu]", st->path, i);
      if (!json_is_object(t)) {
        eng_problem_add(p, sub, "a timer must be an object");
        continue;
      }
      timer_validate(&l, t, sub, false);
    }
    snprintf(sub, sizeof(sub), "%s.on_entry", st->path);
    actions_validate(&l, json_object_get(st->json, "on_entry"), sub, 0);
    snprintf(sub, sizeof(sub), "%s.on_exit", st->path);
    actions_validate(&l, json_object_get(st->json, "on_exit"), sub, 0);
    check_in_state(&l, st->json, st->path, 0);
  }
  check_in_state(&l, create, "$.create", 0);
  /* The semantic checks only follow names that resolve, so they run even
   * when structural problems were found: a user sees everything at once. */
  check_timers_and_events(&l);
  check_reachable(&l);
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
const json_t *engine_chart_role(const engine_chart_t *chart, const char *role) {
  return json_object_get(json_object_get(chart->doc, "roles"), role);
}
