/*
 * slice.c -- cutting the exploration down to what a question needs (the
 * cone of influence of a goal), so that the deep steps of a chart are
 * reached within the bound.
 *
 * A chart's case is a set of variables: the activity of each region (the
 * root, and each child of a parallel state: "R:<state>"), each case field
 * ("F:fields.a.b"), counter ("C:n"), flag ("G:f") and timer ("T:t"), the
 * kinds of task open on it ("K:kind", as the run record keeps them), and
 * whether the case is closed ("Z").  Every event reads some of them (the
 * states its transitions leave from, what their "when", guards, actions
 * and timers read, the fields that decide who may act) and writes some
 * (the regions it leaves and enters, what its actions and those of the
 * states it leaves and enters change, the timers they arm and cancel).
 * All transitions of one event count as one, as the engine chooses among
 * them.  A timer's firing is its event: the event reads the timer.
 *
 * The cone of a goal (a set of variables) is the least set C that holds
 * the goal and everything read by every event that writes into C; the
 * kept events are those that write into C, plus the events the goal
 * observes (a property's run.last.event, run.events.X; a region's own
 * transitions, for coverage).  Then every event that is not kept changes
 * nothing in C, and whether a kept event applies and what it does to C
 * depends only on C: the runs of the kept events, seen through C, are
 * exactly the runs of the whole chart seen through C.  So the explorer
 * fires only the kept events and keys configurations by C alone
 * (slice_restrict), and what it finds about C is what the whole chart
 * would give, with far fewer configurations: the termination procedure
 * does not multiply with the four other regions of "in_zorg".
 *
 * slice_plan makes one slice per region (its states reached, its
 * transitions taken, and traps: "Z" is in every goal, so closing events
 * are always kept) and gives each property the first region slice whose
 * cone covers the property's, or a slice of its own.  The whole chart is
 * one slice with everything kept (--whole).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "verify/verify_int.h"

static void timers_collect_at(json_t *out, const json_t *node, int depth, bool defs);

/* --- sets of variables --- */

static bool var_covers(const char *big, const char *small) {
  if (strcmp(big, "*") == 0 || strcmp(big, small) == 0) return true;
  if (big[0] != small[0] || big[1] != ':' || small[1] != ':') return false;
  if (strcmp(big + 2, "*") == 0) return true;
  if (big[0] != 'F') return false;
  return strncmp(small + 2, big + 2, strlen(big + 2)) == 0 && small[2 + strlen(big + 2)] == '.';
}

static bool vars_overlap(const char *a, const char *b) {
  return var_covers(a, b) || var_covers(b, a);
}

static bool set_intersects(const json_t *a, const json_t *b) {
  const char *x, *y;
  json_t *v, *w;
  json_object_foreach((json_t *)a, x, v) {
    json_object_foreach((json_t *)b, y, w) {
      if (vars_overlap(x, y)) return true;
    }
  }
  return false;
}

/* Adds the keys of src to dst: how many were new. */
static int set_merge(json_t *dst, const json_t *src) {
  const char *k;
  json_t *v;
  int added = 0;
  json_object_foreach((json_t *)src, k, v) {
    if (json_object_get(dst, k) == NULL) {
      json_object_set_new(dst, k, json_true());
      added++;
    }
  }
  return added;
}

static void set_add(json_t *set, const char *fmt, const char *arg) {
  char name[VERIFY_PATH_BYTES_MAX + 8];
  snprintf(name, sizeof(name), fmt, arg);
  json_object_set_new(set, name, json_true());
}

static void region_add(const vmodel_t *m, json_t *set, int state) {
  char name[24];
  if (state < 0) return;
  snprintf(name, sizeof(name), "R:%d", m->states[state].region);
  json_object_set_new(set, name, json_true());
}

/* The variable a read path names, into set ("now", "actor.…", "data.…",
 * "run.…" are none: the clock is every slice's, the rest is the step's). */
static void path_var_add(json_t *set, const char *p) {
  if (strcmp(p, "case.status") == 0 || strcmp(p, "case.state") == 0 || strcmp(p, "case.closed") == 0) {
    set_add(set, "%s", "R:*"); /* what the active states say */
  } else if (strcmp(p, "case") == 0 ||
             (strncmp(p, "case.", 5) == 0 && strncmp(p, "case.fields", 11) != 0 &&
              strncmp(p, "case.counters", 13) != 0 && strncmp(p, "case.flags", 10) != 0)) {
    set_add(set, "%s", "*"); /* the case whole */
  } else if (strcmp(p, "fields") == 0 || strcmp(p, "case.fields") == 0) {
    set_add(set, "%s", "F:*");
  } else if (strncmp(p, "fields.", 7) == 0 || strncmp(p, "case.fields.", 12) == 0) {
    set_add(set, "F:%s", strncmp(p, "case.", 5) == 0 ? p + 5 : p);
  } else if (strcmp(p, "counters") == 0 || strcmp(p, "case.counters") == 0) {
    set_add(set, "%s", "C:*");
  } else if (strncmp(p, "counters.", 9) == 0 || strncmp(p, "case.counters.", 14) == 0) {
    char name[LIMIT_ID_BYTES_MAX];
    const char *rest = strncmp(p, "counters.", 9) == 0 ? p + 9 : p + 14, *dot = strchr(rest, '.');
    snprintf(name, sizeof(name), "%.*s", dot ? (int)(dot - rest) : (int)strlen(rest), rest);
    set_add(set, "C:%s", name);
  } else if (strncmp(p, "case.flags", 10) == 0) {
    set_add(set, "%s", "G:*");
  }
}

typedef struct {
  const vmodel_t *m;
  json_t *set;
} reads_ud_t;

static void reads_node(const json_t *node, void *ud) {
  reads_ud_t *r = ud;
  const char *s = json_string_value(json_object_get(node, "in_state"));
  if (s != NULL) region_add(r->m, r->set, model_state_find(r->m, s));
  if ((s = json_string_value(json_object_get(node, "has_flag"))) != NULL) set_add(r->set, "G:%s", s);
}

static void reads_path(const json_t *path, void *ud) {
  path_var_add(((reads_ud_t *)ud)->set, json_string_value(path));
}

static void reads_add(const vmodel_t *m, json_t *set, const json_t *node) {
  reads_ud_t r = {m, set};
  verify__reads_walk(node, reads_node, reads_path, &r);
}

/* --- what each event reads and writes ---
 *
 * An event is {"en": the variables that decide whether it applies (and
 * which of its transitions), "deps": {written variable: the variables its
 * new value is computed from}}: a write whose variable the cone does not
 * hold needs nothing of the cone. */

static void dep_add(json_t *deps, const char *var, const json_t *reads) {
  json_t *r = json_object_get(deps, var);
  if (r == NULL) {
    r = json_object();
    json_object_set_new(deps, var, r);
  }
  if (reads != NULL) set_merge(r, reads);
}

static void dep_add_fmt(json_t *deps, const char *fmt, const char *arg, const json_t *reads) {
  char name[VERIFY_PATH_BYTES_MAX + 8];
  snprintf(name, sizeof(name), fmt, arg);
  dep_add(deps, name, reads);
}

/* The writes of an action list (or one action), each with what it reads
 * and ctx (the conditions of the "if"s around it). */
static void actions_note(const vmodel_t *m, json_t *deps, const json_t *node, const json_t *ctx, int depth) {
  static const char *const field_ops[] = {"set", "unset", "append"};
  static const char *const counter_ops[] = {"count", "reset"};
  static const char *const flag_ops[] = {"flag", "unflag"};
  const char *s;
  json_t *v, *reads;
  size_t i;
  if (depth > VERIFY_WALK_DEPTH_MAX) return;
  if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      actions_note(m, deps, v, ctx, depth + 1);
    }
    return;
  }
  if (!json_is_object(node)) return;
  reads = json_deep_copy(ctx);
  if (reads == NULL) return;
  if (json_object_get(node, "if") != NULL) {
    reads_add(m, reads, json_object_get(node, "if"));
    actions_note(m, deps, json_object_get(node, "then"), reads, depth + 1);
    actions_note(m, deps, json_object_get(node, "else"), reads, depth + 1);
    json_decref(reads);
    return;
  }
  for (i = 0; i < sizeof(field_ops) / sizeof(field_ops[0]); i++)
    if ((s = json_string_value(json_object_get(node, field_ops[i]))) != NULL) {
      json_t *one = json_object();
      reads_add(m, reads, json_object_get(node, "value"));
      if (one != NULL) {
        path_var_add(one, s);
        {
          const char *var;
          json_t *x;
          json_object_foreach(one, var, x) {
            dep_add(deps, var, reads);
          }
        }
        json_decref(one);
      }
    }
  for (i = 0; i < 2; i++) {
    if ((s = json_string_value(json_object_get(node, counter_ops[i]))) != NULL)
      dep_add_fmt(deps, "C:%s", s, reads);
    if ((s = json_string_value(json_object_get(node, flag_ops[i]))) != NULL)
      dep_add_fmt(deps, "G:%s", s, reads);
  }
  if ((s = json_string_value(json_object_get(node, "arm"))) != NULL) {
    reads_add(m, reads, node); /* from, after, when */
    dep_add_fmt(deps, "T:%s", s, reads);
  }
  if ((s = json_string_value(json_object_get(node, "cancel"))) != NULL) dep_add_fmt(deps, "T:%s", s, reads);
  /* Open tasks, as the run record keeps them (run.tasks.<kind>). */
  if ((s = json_string_value(json_object_get(json_object_get(node, "task"), "kind"))) != NULL)
    dep_add_fmt(deps, "K:%s", s, reads);
  if ((s = json_string_value(json_object_get(node, "close_tasks"))) != NULL)
    dep_add_fmt(deps, "K:%s", s, reads);
  json_decref(reads);
}

static bool is_below(const vmodel_t *m, int s, int above) {
  for (; s >= 0; s = m->states[s].parent)
    if (s == above) return true;
  return false;
}

static const json_t *state_json(const vmodel_t *m, int s) {
  return engine_path_get(m->doc, m->states[s].path + 2); /* "$.root..." -> "root..." */
}

/* A state left or entered: its region changes, its entry and exit actions
 * run, its timers are armed or cancelled. */
static void state_touch(const vmodel_t *m, int s, json_t *deps, const json_t *none) {
  const json_t *st = state_json(m, s), *t;
  size_t i;
  char region[24];
  snprintf(region, sizeof(region), "R:%d", m->states[s].region);
  dep_add(deps, region, none);
  actions_note(m, deps, json_object_get(st, "on_entry"), none, 0);
  actions_note(m, deps, json_object_get(st, "on_exit"), none, 0);
  json_array_foreach(json_object_get(st, "timers"), i, t) {
    const char *name = json_string_value(json_object_get(t, "name"));
    json_t *reads = json_object();
    if (name == NULL || reads == NULL) {
      json_decref(reads);
      continue;
    }
    reads_add(m, reads, t);
    dep_add_fmt(deps, "T:%s", name, reads);
    json_decref(reads);
  }
}

static int lca(const vmodel_t *m, int a, int b) {
  for (; a >= 0; a = m->states[a].parent)
    if (is_below(m, b, a)) return a;
  return 0;
}

static void trans_note(const vmodel_t *m, const vtrans_t *tr, json_t *en, json_t *deps) {
  const char *target = json_string_value(json_object_get(tr->json, "target"));
  int tgt = model_state_find(m, target), s;
  size_t i;
  json_t *role, *none = json_object();
  if (none == NULL) return;
  region_add(m, en, tr->source);
  reads_add(m, en, json_object_get(tr->json, "when"));
  reads_add(m, en, json_object_get(tr->json, "guards"));
  actions_note(m, deps, json_object_get(tr->json, "actions"), none, 0);
  /* Who may act: the organisation and the person of each role. */
  json_array_foreach(json_object_get(tr->json, "roles"), i, role) {
    const json_t *decl = engine_chart_role(m->chart, json_string_value(role));
    const char *f;
    if ((f = json_string_value(json_object_get(decl, "org_field"))) != NULL) set_add(en, "F:fields.%s", f);
    if ((f = json_string_value(json_object_get(decl, "actor_field"))) != NULL) set_add(en, "F:fields.%s", f);
  }
  if (tgt >= 0 && m->states[tgt].final && json_is_true(json_object_get(state_json(m, tgt), "terminal"))) {
    dep_add(deps, "*", none); /* closes the case: everything ends */
  } else if (tgt >= 0) {
    /* The states below the transition's domain are left and entered (a
     * target at or above the source is left and entered too). */
    int d = lca(m, tr->source, tgt);
    if (d == tr->source || d == tgt) d = m->states[d].parent >= 0 ? m->states[d].parent : 0;
    for (s = 0; s < m->states_count; s++)
      if (s != d && is_below(m, s, d)) state_touch(m, s, deps, none);
  }
  json_decref(none);
}

/* The timers of the chart: name -> event (or, with defs, name -> [their
 * definitions]), from the states' timers and the "arm" actions. */
static void timers_collect_at(json_t *out, const json_t *node, int depth, bool defs) {
  const char *key;
  json_t *v;
  size_t i;
  if (depth > VERIFY_WALK_DEPTH_MAX) return;
  if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      timers_collect_at(out, v, depth + 1, defs);
    }
    return;
  }
  if (!json_is_object(node)) return;
  {
    const char *name = json_string_value(json_object_get(node, "arm"));
    const char *event = json_string_value(json_object_get(node, "event"));
    if (name == NULL && event != NULL && json_object_get(node, "after") != NULL)
      name = json_string_value(json_object_get(node, "name"));
    if (name != NULL && event != NULL && !defs) json_object_set_new(out, name, json_string(event));
    if (name != NULL && event != NULL && defs) {
      json_t *list = json_object_get(out, name);
      if (list == NULL) json_object_set_new(out, name, list = json_array());
      json_array_append(list, (json_t *)node);
    }
  }
  json_object_foreach((json_t *)node, key, v) {
    if (json_is_array(v) || json_is_object(v)) timers_collect_at(out, v, depth + 1, defs);
  }
}

static void timers_collect(json_t *out, const json_t *node, int depth) {
  timers_collect_at(out, node, depth, false);
}

static bool counts_working_days(const json_t *node) {
  char *text = json_dumps(node, JSON_COMPACT);
  bool hit = text != NULL && strstr(text, "\"working_days\"") != NULL;
  free(text);
  return hit;
}

/* Whether the weekday can matter to the slice: one of its events, or the
 * definition of one of its timers, counts working days. */
static bool slice_counts_working_days(const vmodel_t *m, const vslice_t *s, const json_t *timers_in_key) {
  json_t *defs = json_object(), *list;
  const char *name;
  bool hit = defs == NULL;
  int k;
  for (k = 0; !hit && k < m->trans_count; k++)
    if (m->trans[k].event != NULL && json_object_get(s->events, m->trans[k].event) != NULL &&
        counts_working_days(m->trans[k].json))
      hit = true;
  if (!hit) timers_collect_at(defs, m->doc, 0, true);
  json_object_foreach(defs, name, list) {
    if (!hit && json_object_get(timers_in_key, name) != NULL && counts_working_days(list)) hit = true;
  }
  json_decref(defs);
  return hit;
}

struct vslicer_s {
  const vmodel_t *m;
  json_t *events; /* event -> {"r": set, "w": set} (creates not included: they always happen) */
  json_t *timers; /* timer -> event */
};

static void slicer_free(struct vslicer_s *sl) {
  json_decref(sl->events);
  json_decref(sl->timers);
}

static int slicer_init(struct vslicer_s *sl, const vmodel_t *m) {
  int k;
  const char *name;
  json_t *ev;
  sl->m = m;
  sl->events = json_object();
  sl->timers = json_object();
  if (sl->events == NULL || sl->timers == NULL) return CASUS_ENOMEM;
  timers_collect(sl->timers, m->doc, 0);
  for (k = 0; k < m->trans_count; k++) {
    const vtrans_t *tr = &m->trans[k];
    json_t *e;
    if (tr->source < 0 || tr->event == NULL) continue;
    if ((e = json_object_get(sl->events, tr->event)) == NULL) {
      e = json_pack("{s:o, s:o}", "en", json_object(), "deps", json_object());
      if (e == NULL || json_object_set_new(sl->events, tr->event, e) != 0) return CASUS_ENOMEM;
    }
    trans_note(m, tr, json_object_get(e, "en"), json_object_get(e, "deps"));
  }
  /* A timer's firing is its event, which so reads the timer. */
  json_object_foreach(sl->timers, name, ev) {
    json_t *e = json_object_get(sl->events, json_string_value(ev));
    if (e != NULL) set_add(json_object_get(e, "en"), "T:%s", name);
  }
  return 0;
}

/* The cone of goal with the observed events: into s->cone and s->events. */
static int cone_close(const struct vslicer_s *sl, const json_t *goal, const json_t *observed, vslice_t *s) {
  const char *name;
  json_t *e;
  bool changed = true;
  s->cone = json_deep_copy(goal);
  s->events = json_object();
  if (s->cone == NULL || s->events == NULL) return CASUS_ENOMEM;
  json_object_set_new(s->cone, "Z", json_true());
  json_object_foreach((json_t *)observed, name, e) {
    if (json_object_get(sl->events, name) != NULL) json_object_set_new(s->events, name, json_true());
  }
  while (changed) {
    changed = false;
    json_object_foreach(sl->events, name, e) {
      const char *var;
      json_t *reads;
      if (json_object_get(s->events, name) == NULL && set_intersects(json_object_get(e, "deps"), s->cone))
        json_object_set_new(s->events, name, json_true());
      if (json_object_get(s->events, name) == NULL) continue;
      if (set_merge(s->cone, json_object_get(e, "en")) > 0) changed = true;
      json_object_foreach(json_object_get(e, "deps"), var, reads) {
        json_t *one = json_pack("{s:b}", var, 1);
        if (one != NULL && set_intersects(one, s->cone) && set_merge(s->cone, reads) > 0) changed = true;
        json_decref(one);
      }
    }
  }
  return 0;
}

/* --- properties --- */

typedef struct {
  const vmodel_t *m;
  json_t *goal, *observed;
  bool all_events;
} prop_ud_t;

static void prop_path(const json_t *path, void *ud) {
  prop_ud_t *p = ud;
  const char *s = json_string_value(path);
  if (strncmp(s, "run.events.", 11) == 0 || strncmp(s, "run.roles.", 10) == 0) {
    char event[LIMIT_ID_BYTES_MAX];
    const char *rest = s + (s[4] == 'e' ? 11 : 10), *dot = strchr(rest, '.');
    snprintf(event, sizeof(event), "%.*s", dot ? (int)(dot - rest) : (int)strlen(rest), rest);
    json_object_set_new(p->observed, event, json_true());
  } else if (strncmp(s, "run.tasks.", 10) == 0) {
    set_add(p->goal, "K:%s", s + 10);
  } else if (strncmp(s, "run.last.from.", 14) == 0) {
    region_add(p->m, p->goal, model_state_find(p->m, s + 14));
  } else if (strncmp(s, "run.", 4) == 0) {
    /* run.last.event and run.last.role: see prop_goal. */
  } else {
    path_var_add(p->goal, s);
  }
}

static void prop_node(const json_t *node, void *ud) {
  prop_ud_t *p = ud;
  reads_ud_t r = {p->m, p->goal};
  reads_node(node, &r);
}

/* Whether a "never" condition can hold only right after one of a set of
 * events, which it then adds to out: a conjunct {"path": "run.last.event",
 * "eq"/"in": …} names them, {"path": "run.last.role", "eq": R} means the
 * events R may fire; an "all" needs one such conjunct, an "any" needs one
 * in each of its members. */
static bool last_events(const vmodel_t *m, const json_t *cond, json_t *out) {
  const char *p = json_string_value(json_object_get(cond, "path"));
  const json_t *eq = json_object_get(cond, "eq"), *c;
  size_t i;
  if (p != NULL && strcmp(p, "run.last.event") == 0 &&
      (json_is_string(eq) || json_is_array(json_object_get(cond, "in")))) {
    if (json_is_string(eq)) json_object_set_new(out, json_string_value(eq), json_true());
    json_array_foreach(json_object_get(cond, "in"), i, c) {
      if (json_is_string(c)) json_object_set_new(out, json_string_value(c), json_true());
    }
    return true;
  }
  if (p != NULL && strcmp(p, "run.last.role") == 0 && json_is_string(eq)) {
    int k;
    for (k = 0; k < m->trans_count; k++) {
      const json_t *role;
      json_array_foreach(json_object_get(m->trans[k].json, "roles"), i, role) {
        if (m->trans[k].event != NULL && json_equal(role, eq))
          json_object_set_new(out, m->trans[k].event, json_true());
      }
    }
    return true;
  }
  if (json_is_array(json_object_get(cond, "all"))) {
    json_array_foreach(json_object_get(cond, "all"), i, c) {
      json_t *mine = json_object();
      if (mine != NULL && last_events(m, c, mine)) {
        set_merge(out, mine);
        json_decref(mine);
        return true;
      }
      json_decref(mine);
    }
    return false;
  }
  if (json_array_size(json_object_get(cond, "any")) > 0) {
    json_array_foreach(json_object_get(cond, "any"), i, c) {
      if (!last_events(m, c, out)) return false;
    }
    return true;
  }
  return false;
}

static bool reads_run_last(const json_t *node) {
  char *text = json_dumps(node, JSON_COMPACT);
  bool hit = text != NULL && (strstr(text, "\"run.last.event\"") || strstr(text, "\"run.last.role\"") ||
                              strstr(text, "\"run.last\""));
  free(text);
  return hit;
}

/* What property p needs kept: the variables its condition or reach reads
 * (goal) and the events it observes. */
static int prop_goal(const vmodel_t *m, const json_t *p, json_t **goal, json_t **observed, bool *all_events) {
  prop_ud_t u = {m, json_object(), json_object(), false};
  const json_t *reach = json_object_get(p, "reach"), *cond = json_object_get(p, "always");
  bool never = false;
  if (cond == NULL && (cond = json_object_get(p, "never")) != NULL) never = true;
  *goal = u.goal;
  *observed = u.observed;
  if (u.goal == NULL || u.observed == NULL) return CASUS_ENOMEM;
  if (reach != NULL) {
    const char *st = json_string_value(json_object_get(reach, "state"));
    const char *ev = json_string_value(json_object_get(reach, "event"));
    if (st != NULL) region_add(m, u.goal, model_state_find(m, st));
    if (ev != NULL) json_object_set_new(u.observed, ev, json_true());
  }
  if (cond != NULL) {
    verify__reads_walk(cond, prop_node, prop_path, &u);
    if (reads_run_last(cond)) {
      /* The last step matters: only the events a "never" requires of it,
       * or every event. */
      json_t *events = json_object();
      if (events == NULL) return CASUS_ENOMEM;
      if (never && last_events(m, cond, events))
        set_merge(u.observed, events);
      else
        u.all_events = true;
      json_decref(events);
    }
  }
  *all_events = u.all_events;
  return 0;
}

/* --- the plan --- */

void slice_plan_free(vslice_t *slices, int count) {
  int i;
  for (i = 0; slices != NULL && i < count; i++) {
    json_decref(slices[i].goal);
    json_decref(slices[i].observed);
    json_decref(slices[i].cone);
    json_decref(slices[i].events);
    json_decref(slices[i].props);
    json_decref(slices[i].regions);
  }
  free(slices);
}

/* The regions a cone keeps, as "R:n" -> true; a parallel state's own
 * region (the root's, when it is parallel) holds no choice and is left out. */
static json_t *cone_regions(const vmodel_t *m, const json_t *cone) {
  json_t *out = json_object(), *v;
  const char *k;
  if (out == NULL) return NULL;
  json_object_foreach((json_t *)cone, k, v) {
    if (strcmp(k, "*") == 0) {
      int r;
      for (r = 0; r < m->states_count; r++)
        if (m->states[r].region == r && !m->states[r].parallel) {
          char var[24];
          snprintf(var, sizeof(var), "R:%d", r);
          json_object_set_new(out, var, json_true());
        }
    } else if (strncmp(k, "R:", 2) == 0 && !m->states[atoi(k + 2)].parallel) {
      json_object_set_new(out, k, json_true());
    }
  }
  return out;
}

/* Slice s takes the question (goal, observed) when that keeps the regions
 * of s: the regions are what multiply configurations, so a question that
 * needs no other region costs little more there than alone, and one that
 * would add a region gets a slice of its own rather than slow down the
 * questions of s.  Returns 1 when merged, 0 when not, or an error. */
static int slice_try_merge(const struct vslicer_s *sl, vslice_t *s, const json_t *goal,
                           const json_t *observed, const json_t *alone_regions) {
  vslice_t u;
  json_t *ur, *sr;
  bool fits;
  memset(&u, 0, sizeof(u));
  u.goal = json_deep_copy(s->goal);
  u.observed = json_deep_copy(s->observed);
  if (u.goal == NULL || u.observed == NULL) goto oom;
  set_merge(u.goal, goal);
  set_merge(u.observed, observed);
  if (cone_close(sl, u.goal, u.observed, &u) != 0) goto oom;
  ur = cone_regions(sl->m, u.cone);
  sr = cone_regions(sl->m, s->cone);
  fits = ur != NULL && sr != NULL && json_equal(ur, sr);
  (void)alone_regions;
  json_decref(ur);
  json_decref(sr);
  if (!fits) {
    json_decref(u.goal);
    json_decref(u.observed);
    json_decref(u.cone);
    json_decref(u.events);
    return 0;
  }
  json_decref(s->goal);
  json_decref(s->observed);
  json_decref(s->cone);
  json_decref(s->events);
  s->goal = u.goal;
  s->observed = u.observed;
  s->cone = u.cone;
  s->events = u.events;
  return 1;
oom:
  json_decref(u.goal);
  json_decref(u.observed);
  json_decref(u.cone);
  json_decref(u.events);
  return CASUS_ENOMEM;
}

/* Puts the question (goal, observed; for region `region` or property
 * `prop`, the other -1) into a slice of the plan: one it fits, or a new one. */
static int plan_add(const struct vslicer_s *sl, vslice_t **slices, int *n, const json_t *goal,
                    const json_t *observed, int region, int prop) {
  vslice_t alone, *s = NULL;
  json_t *regions;
  int i, rc = 0;
  memset(&alone, 0, sizeof(alone));
  if (cone_close(sl, goal, observed, &alone) != 0 || (regions = cone_regions(sl->m, alone.cone)) == NULL) {
    json_decref(alone.cone);
    json_decref(alone.events);
    return CASUS_ENOMEM;
  }
  for (i = 0; i < *n && rc == 0; i++)
    if ((rc = slice_try_merge(sl, &(*slices)[i], goal, observed, regions)) == 1) s = &(*slices)[i];
  json_decref(regions);
  if (rc < 0) {
    json_decref(alone.cone);
    json_decref(alone.events);
    return rc;
  }
  if (s == NULL) {
    vslice_t *more = realloc(*slices, sizeof(**slices) * (size_t)(*n + 1));
    if (more == NULL) {
      json_decref(alone.cone);
      json_decref(alone.events);
      return CASUS_ENOMEM;
    }
    *slices = more;
    s = &more[(*n)++];
    memset(s, 0, sizeof(*s));
    s->goal = json_deep_copy(goal);
    s->observed = json_deep_copy(observed);
    s->cone = alone.cone;
    s->events = alone.events;
    s->props = json_array();
    s->regions = json_array();
    if (s->goal == NULL || s->observed == NULL || s->props == NULL || s->regions == NULL) return CASUS_ENOMEM;
  } else {
    json_decref(alone.cone);
    json_decref(alone.events);
  }
  if (region >= 0) json_array_append_new(s->regions, json_integer(region));
  if (prop >= 0) json_array_append_new(s->props, json_integer(prop));
  return 0;
}

/* Whether name is one of the comma-separated names of only (NULL: all). */
static bool named_in(const char *only, const char *name) {
  size_t n = strlen(name);
  const char *p = only;
  if (only == NULL) return true;
  while (p != NULL && *p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

int slice_plan(const vmodel_t *m, bool whole, const char *only, vslice_t **out, int *count) {
  struct vslicer_s sl;
  const json_t *props = json_object_get(m->doc, "properties");
  vslice_t *slices = NULL;
  int n = 0, rc, i, r;
  size_t k;
  json_t *p;
  *out = NULL;
  *count = 0;
  if (whole) {
    slices = calloc(1, sizeof(*slices));
    if (slices == NULL) return CASUS_ENOMEM;
    n = 1;
    slices->whole = true;
    slices->cone = json_pack("{s:b}", "*", 1);
    slices->events = json_object();
    slices->props = json_array();
    slices->regions = json_array();
    if (slices->cone == NULL || slices->events == NULL || slices->props == NULL || slices->regions == NULL) {
      slice_plan_free(slices, n);
      return CASUS_ENOMEM;
    }
    for (i = 0; i < m->states_count; i++)
      if (m->states[i].region == i) json_array_append_new(slices->regions, json_integer(i));
    json_array_foreach(props, k, p) {
      if (named_in(only, json_string_value(json_object_get(p, "name"))))
        json_array_append_new(slices->props, json_integer((json_int_t)k));
    }
    *out = slices;
    *count = n;
    return 0;
  }
  memset(&sl, 0, sizeof(sl));
  rc = slicer_init(&sl, m);
  /* One question per region: its states, its transitions, and traps. */
  for (r = 0; r < m->states_count && rc == 0 && only == NULL; r++) {
    json_t *goal, *observed;
    if (m->states[r].region != r) continue;
    goal = json_object();
    observed = json_object();
    if (goal == NULL || observed == NULL) {
      rc = CASUS_ENOMEM;
    } else {
      region_add(m, goal, r);
      for (i = 0; i < m->trans_count; i++)
        if (m->trans[i].source >= 0 && m->trans[i].event != NULL && m->states[m->trans[i].source].region == r)
          json_object_set_new(observed, m->trans[i].event, json_true());
      rc = plan_add(&sl, &slices, &n, goal, observed, r, -1);
    }
    json_decref(goal);
    json_decref(observed);
  }
  /* One per property. */
  json_array_foreach(props, k, p) {
    json_t *goal = NULL, *observed = NULL;
    bool all_events = false;
    if (rc != 0) break;
    if (!named_in(only, json_string_value(json_object_get(p, "name")))) continue;
    rc = prop_goal(m, p, &goal, &observed, &all_events);
    if (rc == 0 && all_events) {
      const char *e;
      json_t *v;
      json_object_foreach(sl.events, e, v) {
        json_object_set_new(observed, e, json_true());
      }
    }
    if (rc == 0) rc = plan_add(&sl, &slices, &n, goal, observed, -1, (int)k);
    json_decref(goal);
    json_decref(observed);
  }
  slicer_free(&sl);
  if (rc != 0) {
    slice_plan_free(slices, n);
    return rc;
  }
  *out = slices;
  *count = n;
  return 0;
}

/* --- narrowing a model to a slice --- */

static bool cone_has(const json_t *cone, const char *var) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)cone, k, v) {
    if (var_covers(k, var)) return true;
  }
  return false;
}

/* Keeps the strings of arr whose variable (fmt % string) overlaps one the
 * cone holds (a field read whole stays when the cone holds a part of it). */
static void array_narrow(json_t *arr, const json_t *cone, const char *fmt) {
  size_t i = 0;
  while (i < json_array_size(arr)) {
    char var[VERIFY_PATH_BYTES_MAX + 8];
    const char *k;
    json_t *v;
    bool keep = false;
    snprintf(var, sizeof(var), fmt, json_string_value(json_array_get(arr, i)));
    json_object_foreach((json_t *)cone, k, v) {
      if (vars_overlap(k, var)) keep = true;
    }
    if (keep)
      i++;
    else
      json_array_remove(arr, i);
  }
}

/* The run.* paths of the properties checked in s. */
static void run_paths_collect(const json_t *path, void *ud) {
  if (strncmp(json_string_value(path), "run.", 4) == 0) json_array_append((json_t *)ud, (json_t *)path);
}

int slice_restrict(vmodel_t *m, const vslice_t *s) {
  const json_t *props = json_object_get(m->doc, "properties");
  json_t *runs = json_array(), *idx, *sorted;
  size_t i;
  int k;
  if (runs == NULL) return CASUS_ENOMEM;
  json_array_foreach(s->props, i, idx) {
    verify__reads_walk(json_array_get(props, (size_t)json_integer_value(idx)), NULL, run_paths_collect, runs);
  }
  sorted = json_array();
  if (sorted == NULL) {
    json_decref(runs);
    return CASUS_ENOMEM;
  }
  /* Sorted and each once, as the model keeps them. */
  for (i = 0; i < json_array_size(runs); i++) {
    size_t j, at = json_array_size(sorted);
    const char *p = json_string_value(json_array_get(runs, i));
    bool dup = false;
    for (j = 0; j < json_array_size(sorted); j++) {
      int c = strcmp(p, json_string_value(json_array_get(sorted, j)));
      if (c == 0) dup = true;
      if (c < 0 && at == json_array_size(sorted)) at = j;
    }
    if (!dup) json_array_insert_new(sorted, at, json_string(p));
  }
  json_decref(runs);
  json_decref(m->run_paths);
  m->run_paths = sorted;
  if (s->whole) return 0;
  array_narrow(m->kept, s->cone, "F:%s");
  {
    /* A path below "case." other than the fields: kept only with everything. */
    size_t j = 0;
    while (j < json_array_size(m->kept)) {
      const char *p = json_string_value(json_array_get(m->kept, j));
      if (strncmp(p, "case.", 5) == 0 && !cone_has(s->cone, "*"))
        json_array_remove(m->kept, j);
      else
        j++;
    }
  }
  m->kept_all_fields = m->kept_all_fields && cone_has(s->cone, "F:*");
  array_narrow(m->counters_sorted, s->cone, "C:%s");
  m->counters_all = m->counters_all && cone_has(s->cone, "C:*");
  array_narrow(m->flags_sorted, s->cone, "G:%s");
  m->flags_all = m->flags_all && cone_has(s->cone, "G:*");
  m->state_in_key = calloc((size_t)m->states_count + 1, sizeof(bool));
  m->timers_in_key = json_object();
  m->events_fired = json_deep_copy(s->events);
  if (m->state_in_key == NULL || m->timers_in_key == NULL || m->events_fired == NULL) return CASUS_ENOMEM;
  for (k = 0; k < m->states_count; k++) {
    char var[24];
    snprintf(var, sizeof(var), "R:%d", m->states[k].region);
    m->state_in_key[k] = cone_has(s->cone, var);
  }
  {
    /* The clock moves to what the slice's conditions compare "now" with. */
    json_t *now = json_array();
    const json_t *st;
    if (now == NULL) return CASUS_ENOMEM;
    for (k = 0; k < m->trans_count; k++)
      if (m->trans[k].event != NULL && json_object_get(s->events, m->trans[k].event) != NULL)
        model_now_exprs_collect(m->trans[k].json, now);
    for (k = 0; k < m->states_count; k++) {
      st = state_json(m, k);
      model_now_exprs_collect(json_object_get(st, "on_entry"), now);
      model_now_exprs_collect(json_object_get(st, "on_exit"), now);
      model_now_exprs_collect(json_object_get(st, "timers"), now);
    }
    json_array_foreach(s->props, i, idx) {
      model_now_exprs_collect(json_array_get(props, (size_t)json_integer_value(idx)), now);
    }
    json_decref(m->now_exprs);
    m->now_exprs = now;
  }
  {
    json_t *timers = json_object();
    const char *name;
    json_t *ev;
    if (timers == NULL) return CASUS_ENOMEM;
    timers_collect(timers, m->doc, 0);
    json_object_foreach(timers, name, ev) {
      char var[LIMIT_ID_BYTES_MAX + 4];
      snprintf(var, sizeof(var), "T:%s", name);
      if (cone_has(s->cone, var)) json_object_set_new(m->timers_in_key, name, json_true());
    }
    json_decref(timers);
  }
  m->weekday_irrelevant = !slice_counts_working_days(m, s, m->timers_in_key);
  return 0;
}

/* A line on what the slice keeps: "3 of 7 regions, 21 of 58 events". */
void slice_describe(const vmodel_t *m, const vslice_t *s, char *buf, size_t size) {
  int regions = 0, kept = 0, k, events = 0;
  const char *e;
  json_t *v;
  for (k = 0; k < m->states_count; k++) {
    char var[24];
    if (m->states[k].region != k) continue;
    regions++;
    snprintf(var, sizeof(var), "R:%d", k);
    if (s->whole || cone_has(s->cone, var)) kept++;
  }
  {
    json_t *all = json_object();
    for (k = 0; all != NULL && k < m->trans_count; k++)
      if (m->trans[k].source >= 0 && m->trans[k].event)
        json_object_set_new(all, m->trans[k].event, json_true());
    json_object_foreach(all, e, v) {
      events++;
    }
    json_decref(all);
  }
  snprintf(buf, size, "%d of %d regions, %d of %d events", kept, regions,
           s->whole ? events : (int)json_object_size(s->events), events);
}

/* The slice's variables and events, by name, sorted: {"vars": [...], "events": [...]}. */
json_t *slice_vars(const vmodel_t *m, const vslice_t *s) {
  json_t *vars = json_array(), *events = json_array(), *v;
  const char *k;
  json_object_foreach(s->cone, k, v) {
    char name[VERIFY_PATH_BYTES_MAX + 8];
    if (strncmp(k, "R:", 2) == 0 && k[2] >= '0' && k[2] <= '9')
      snprintf(name, sizeof(name), "R:%s", m->states[atoi(k + 2)].name);
    else
      snprintf(name, sizeof(name), "%s", k);
    json_array_append_new(vars, json_string(name));
  }
  json_object_foreach(s->events, k, v) {
    json_array_append_new(events, json_string(k));
  }
  return json_pack("{s:o, s:o}", "vars", vars, "events", events);
}
