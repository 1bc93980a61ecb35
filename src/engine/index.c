/*
 * index.c -- the index of a chart (see index.h): the states in pre-order,
 * each with its parent, children, initial child and the end of its
 * descendants, and the roles that may fire each event.
 */
#include "engine/index.h"

#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const state_keys[] = {"type",     "initial", "states", "status",      "terminal",
                                         "on_entry", "on_exit", "timers", "transitions", "description"};

int eng_state_find(const engine_chart_t *chart, const char *name) {
  int i;
  if (name == NULL) return -1;
  for (i = 0; i < chart->states_count; i++)
    if (strcmp(chart->states[i].name, name) == 0) return i;
  return -1;
}

bool eng_role_known(const engine_chart_t *c, const char *role) {
  return strcmp(role, ENGINE_ROLE_SYSTEM) == 0 ||
         json_object_get(json_object_get(c->doc, "roles"), role) != NULL;
}

int eng_state_index(engine_chart_t *c, const char *name, const json_t *st, int parent, int depth,
                    const char *path, engine_problems_t *p) {
  eng_state_t *s;
  const json_t *children = json_object_get(st, "states");
  const char *type = json_string_value(json_object_get(st, "type"));
  int idx;
  if (!json_is_object(st)) {
    eng_problem_add(p, path, "a state must be an object");
    return -1;
  }
  if (depth > LIMIT_CHART_DEPTH_MAX) {
    eng_problem_add(p, path, "states nest deeper than %d", LIMIT_CHART_DEPTH_MAX);
    return -1;
  }
  if (c->states_count >= LIMIT_CHART_STATES_MAX) {
    eng_problem_add(p, path, "more than %d states", LIMIT_CHART_STATES_MAX);
    return -1;
  }
  if (eng_state_find(c, name) >= 0) eng_problem_add(p, path, "state name \"%s\" is used twice", name);
  eng_keys_check(st, state_keys, COUNT(state_keys), path, p);
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
    eng_problem_add(p, path, "\"type\" must be compound, parallel, atomic or final");
  if (json_object_get(st, "status") && !json_is_string(json_object_get(st, "status")))
    eng_problem_add(p, path, "\"status\" must be a string");
  if (s->terminal && s->type != ST_FINAL) eng_problem_add(p, path, "only a final state can be terminal");
  if ((s->type == ST_COMPOUND || s->type == ST_PARALLEL) &&
      (!json_is_object(children) || json_object_size(children) == 0)) {
    eng_problem_add(p, path, "a compound or parallel state needs \"states\"");
  } else if ((s->type == ST_ATOMIC || s->type == ST_FINAL) && children) {
    eng_problem_add(p, path, "an atomic or final state cannot have \"states\"");
  } else if (children) {
    const char *cname;
    json_t *child;
    char sub[160];
    int dropped = 0;
    json_object_foreach((json_t *)children, cname, child) {
      int ci;
      snprintf(sub, sizeof(sub), "%s.states.%s", path, cname);
      if (strlen(cname) >= LIMIT_ID_BYTES_MAX) {
        eng_problem_add(p, sub, "state name too long");
        continue;
      }
      ci = eng_state_index(c, cname, child, idx, depth + 1, sub, p);
      if (ci < 0) continue;
      s = &c->states[idx]; /* c->states does not move; refresh for clarity */
      /* A child left out of the list would never be entered (a region of a
       * parallel state) or entered instead of the target's ancestor: refuse. */
      if ((size_t)s->children_count < COUNT(s->children))
        s->children[s->children_count++] = ci;
      else if (++dropped == 1)
        eng_problem_add(p, path, "more than %zu child states", COUNT(s->children));
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
      if (s->initial < 0) eng_problem_add(p, path, "\"initial\" names \"%s\", which is not a child", init);
    }
  }
  return idx;
}

void eng_event_roles_add(engine_chart_t *c, const json_t *t) {
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
