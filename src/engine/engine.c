/*
 * engine.c -- applying events to a case.
 *
 * The semantics are a small subset of SCXML, enough for case workflows and
 * simple to reason about:
 *  - the configuration is the set of active states (leaves and ancestors);
 *  - an event selects transitions on active states, innermost first, leaves
 *    in document order; of those whose roles admit the caller, the first
 *    whose "when" holds is taken (one transition per event);
 *  - the transition's data schema and guards are checked before anything
 *    changes; a refusal leaves the case as it was;
 *  - a transition with a target exits the active states below the least
 *    common compound ancestor of source and target (innermost first: timers
 *    of the state cancelled, on_exit), runs its actions, then enters from
 *    there down to the target (on_entry, state timers armed) completing with
 *    initial children and every region of a parallel state; a transition
 *    without a target only runs its actions;
 *  - entering a "terminal" final state closes the case: every other state is
 *    exited and every timer cancelled.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "engine/cond.h"
#include "engine/index.h"
#include "engine/schema.h"
#include "engine/value.h"

/* Counters saturate at the range of json_int_t (long long wherever jansson
 * has it, as on Debian). */
_Static_assert(sizeof(json_int_t) == sizeof(long long), "json_int_t is long long");

typedef struct {
  const engine_ctx_t *ctx;
  const engine_chart_t *c;
  json_t *case_;
  json_t *effects;
  bool active[LIMIT_CHART_STATES_MAX];
  eng_env_t env;
  bool nomem;
  /* A date this run computed beyond the range every stored date keeps
   * (cal_day_in_range): the "from" it came from.  The event is refused. */
  const char *date_outside;
  const char *eval_outside; /* env.date_outside: set by any {"date"} value, guards' too */
} run_t;

static void result_fail(engine_result_t *out, int err, const char *rule, const char *fmt, const char *arg) {
  out->err = err;
  out->rule = rule;
  snprintf(out->message, sizeof(out->message), fmt, arg ? arg : "");
}

void engine_result_clear(engine_result_t *res) {
  json_decref(res->case_);
  json_decref(res->history);
  json_decref(res->effects);
  json_decref(res->allowed_events);
  memset(res, 0, sizeof(*res));
}

/* --- configuration --- */

static bool is_leaf(const eng_state_t *s) {
  return s->type == ST_ATOMIC || s->type == ST_FINAL;
}

static void activate(run_t *r, int s) {
  for (; s >= 0; s = r->c->states[s].parent) r->active[s] = true;
}

/* Loads the active configuration from the case's "state" leaves. */
static int config_load(const engine_chart_t *c, const json_t *case_, bool *active) {
  size_t i;
  json_t *leaf;
  memset(active, 0, sizeof(bool) * LIMIT_CHART_STATES_MAX);
  json_array_foreach(json_object_get(case_, "state"), i, leaf) {
    int s = eng_state_find(c, json_string_value(leaf));
    if (s < 0 || !is_leaf(&c->states[s])) return CASUS_ESTORE_CORRUPT;
    for (; s >= 0; s = c->states[s].parent) active[s] = true;
  }
  return 0;
}

static json_t *config_leaves(const engine_chart_t *c, const bool *active) {
  json_t *a = json_array();
  int s;
  for (s = 0; s < c->states_count; s++)
    if (active[s] && is_leaf(&c->states[s])) json_array_append_new(a, json_string(c->states[s].name));
  return a;
}

static const char *status_of(const engine_chart_t *c, const bool *active) {
  int s, a;
  for (s = 0; s < c->states_count; s++) {
    if (!active[s] || !is_leaf(&c->states[s])) continue;
    for (a = s; a >= 0; a = c->states[a].parent)
      if (c->states[a].status) return c->states[a].status;
  }
  return NULL;
}

/* --- environment --- */

/* Sets key of root to v (borrowed), or removes it when v is NULL, so that a
 * root made for one case can be pointed at another. */
static void root_put(json_t *root, const char *key, const json_t *v) {
  if (v != NULL)
    json_object_set(root, key, (json_t *)v);
  else
    json_object_del(root, key);
}

/* Fills an environment root (see eng_env_t) for case_ (borrowed; root keeps
 * references to it and to its fields and counters, so actions that change
 * them in place are seen), the event's data (copied; {} when NULL), the
 * actor and the day and time of now_s.  CASUS_ENOMEM when a member could
 * not be made. */
static int env_root_fill(json_t *root, const json_t *case_, const json_t *data, const engine_actor_t *actor,
                         int64_t now_s) {
  char now_date[16], now_time[32];
  json_t *act = json_object();
  int rc = 0;
  if (act == NULL) return CASUS_ENOMEM;
  cal_day_format(cal_local_day(now_s), now_date, sizeof(now_date));
  cal_time_format(now_s, now_time, sizeof(now_time));
  rc |= json_object_set_new(act, "id", json_string(actor->id ? actor->id : ""));
  rc |= json_object_set_new(act, "role", json_string(actor->role ? actor->role : ""));
  rc |= json_object_set_new(act, "org", json_string(actor->org ? actor->org : ""));
  root_put(root, "fields", json_object_get(case_, "fields"));
  root_put(root, "counters", json_object_get(case_, "counters"));
  root_put(root, "case", case_);
  rc |= json_object_set_new(root, "data", data ? json_deep_copy(data) : json_object());
  rc |= json_object_set_new(root, "actor", act);
  rc |= json_object_set_new(root, "now", json_string(now_date));
  rc |= json_object_set_new(root, "now_time", json_string(now_time));
  return rc != 0 ? CASUS_ENOMEM : 0;
}

/* The members of extra (may be NULL) join root; the engine's own keep their meaning. */
static int root_extra(json_t *root, const json_t *extra) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)extra, key, v) {
    if (json_object_get(root, key) == NULL && json_object_set(root, key, v) != 0) return CASUS_ENOMEM;
  }
  return 0;
}

static int env_init(run_t *r, const json_t *data, const engine_actor_t *actor) {
  int rc;
  r->env.root = json_object();
  if (r->env.root == NULL) return CASUS_ENOMEM;
  r->env.chart = r->c;
  r->env.active = r->active;
  r->env.cal = r->ctx->cal;
  r->env.tables = r->ctx->tables;
  r->env.now_s = r->ctx->now_s;
  r->env.date_outside = &r->eval_outside;
  rc = env_root_fill(r->env.root, r->case_, data, actor, r->ctx->now_s);
  return rc != 0 ? rc : root_extra(r->env.root, r->ctx->extra);
}

static int run_init(run_t *r, const engine_ctx_t *ctx, const json_t *case_, const json_t *data,
                    const engine_actor_t *actor) {
  memset(r, 0, sizeof(*r));
  r->ctx = ctx;
  r->c = ctx->chart;
  r->case_ = json_deep_copy(case_);
  r->effects = json_array();
  if (r->case_ == NULL || r->effects == NULL) return CASUS_ENOMEM;
  if (config_load(r->c, r->case_, r->active) != 0) return CASUS_ESTORE_CORRUPT;
  return env_init(r, data, actor);
}

static void run_free(run_t *r) {
  json_decref(r->case_);
  json_decref(r->effects);
  json_decref(r->env.root);
}

/* --- actions --- */

/* Walks the dotted path a.b.c from root to the object that holds its last
 * key, which is copied to key.  With create, missing or non-object
 * intermediates become empty objects; without, NULL is returned for them.
 * NULL too for an empty segment or one of LIMIT_ID_BYTES_MAX bytes or more. */
static json_t *field_parent(json_t *root, const char *path, bool create, char key[LIMIT_ID_BYTES_MAX]) {
  json_t *cur = root;
  const char *p = path;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0 || n >= LIMIT_ID_BYTES_MAX) return NULL;
    memcpy(key, p, n);
    key[n] = '\0';
    if (dot == NULL) return cur;
    if (!json_is_object(json_object_get(cur, key))) {
      if (!create) return NULL;
      json_object_set_new(cur, key, json_object());
    }
    cur = json_object_get(cur, key);
    p = dot + 1;
  }
}

/* Sets fields.a.b.c = v, creating intermediate objects; v NULL removes the
 * key (creating nothing); v is stolen. */
static void field_set(run_t *r, const char *path, json_t *v) {
  char key[LIMIT_ID_BYTES_MAX];
  json_t *parent = field_parent(r->case_, path, v != NULL, key);
  if (parent != NULL && v == NULL) json_object_del(parent, key);
  if (parent != NULL && v != NULL) json_object_set(parent, key, v);
  json_decref(v);
}

/* Appends v to the array at fields.a.b (creating it, and intermediate
 * objects, when absent; a non-array value there is replaced); v is stolen.
 * The array keeps its newest LIMIT_FIELD_ITEMS_MAX items: the oldest one
 * is dropped first (the history still holds every event's data). */
static void field_append(run_t *r, const char *path, json_t *v) {
  char key[LIMIT_ID_BYTES_MAX];
  json_t *parent = field_parent(r->case_, path, true, key), *arr;
  if (parent != NULL) {
    arr = json_object_get(parent, key);
    if (!json_is_array(arr)) {
      arr = json_array();
      json_object_set_new(parent, key, arr);
    }
    while (json_array_size(arr) >= LIMIT_FIELD_ITEMS_MAX) json_array_remove(arr, 0);
    json_array_append(arr, v);
  }
  json_decref(v);
}

static void timer_arm(run_t *r, const char *name, const json_t *spec) {
  const char *from = json_string_value(json_object_get(spec, "from"));
  const char *fires = json_string_value(json_object_get(spec, "fires"));
  json_t *timers = json_object_get(r->case_, "timers"), *t;
  cal_day_t base, due;
  char buf[16];
  int64_t due_s;
  if (json_object_get(spec, "when") && !eng_cond_eval(&r->env, json_object_get(spec, "when"))) return;
  if (from == NULL || strcmp(from, "now") == 0) {
    base = cal_local_day(r->ctx->now_s);
  } else {
    const json_t *v = eng_path_get(&r->env, from);
    /* A timer relative to a date the case does not have yet is not armed. */
    if (!json_is_string(v) || cal_day_parse(json_string_value(v), &base) != 0) return;
  }
  {
    /* "after" may name a cell of the chart's tables (a region's term): resolved now. */
    json_t *after = eng_duration_eval(&r->env, json_object_get(spec, "after"));
    int rc = after ? eng_duration_add(r->ctx->cal, after, base, &due) : -1;
    json_decref(after);
    if (rc != 0) return;
  }
  if (!cal_day_in_range(due)) {
    /* A deadline the store could not keep: the event is refused (result_finish). */
    if (r->date_outside == NULL) r->date_outside = from != NULL ? from : "now";
    return;
  }
  /* A deadline is met during its whole due day: it fires when the day has passed. */
  if (fires != NULL && strcmp(fires, "start_of_day") == 0)
    due_s = cal_local_midnight(due);
  else
    due_s = cal_local_midnight(due + 1);
  cal_day_format(due, buf, sizeof(buf));
  t = json_object();
  json_object_set(t, "event", json_object_get(spec, "event"));
  json_object_set_new(t, "due", json_string(buf));
  json_object_set_new(t, "due_s", json_integer(due_s));
  if (json_object_get(spec, "kind")) json_object_set(t, "kind", json_object_get(spec, "kind"));
  if (json_object_get(spec, "rule")) json_object_set(t, "rule", json_object_get(spec, "rule"));
  json_object_set_new(timers, name, t);
}

static void flag_set(run_t *r, const char *name, bool on) {
  json_t *flags = json_object_get(r->case_, "flags"), *f;
  size_t i;
  json_array_foreach(flags, i, f) {
    if (strcmp(json_string_value(f), name) == 0) {
      if (!on) json_array_remove(flags, i);
      return;
    }
  }
  if (on) json_array_append_new(flags, json_string(name));
}

static void notice_add(run_t *r, const char *type, const json_t *n) {
  json_t *e = json_deep_copy(n);
  json_object_set_new(e, "type", json_string(type));
  json_array_append_new(r->effects, e);
}

/* cur + by, saturating: a chart may count by any integer ("by" is not
 * bounded at load), and signed overflow is undefined behaviour. */
static json_int_t counter_add(json_int_t cur, json_int_t by) {
  json_int_t sum;
  if (__builtin_add_overflow(cur, by, &sum)) return by > 0 ? LLONG_MAX : LLONG_MIN;
  return sum;
}

static void actions_run(run_t *r, const json_t *actions, int depth) {
  size_t i;
  json_t *a, *v;
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) return;
  json_array_foreach(actions, i, a) {
    if ((v = json_object_get(a, "set")) != NULL || (v = json_object_get(a, "append")) != NULL) {
      json_t *val;
      r->eval_outside = NULL;
      val = eng_value_eval(&r->env, json_object_get(a, "value"));
      if (val == NULL) {
        r->nomem = true;
        return;
      }
      /* A date outside the range may be compared, never stored. */
      if (r->eval_outside != NULL && r->date_outside == NULL) r->date_outside = r->eval_outside;
      if (json_object_get(a, "set") != NULL)
        field_set(r, json_string_value(v), val);
      else
        field_append(r, json_string_value(v), val);
    } else if ((v = json_object_get(a, "unset")) != NULL) {
      field_set(r, json_string_value(v), NULL);
    } else if ((v = json_object_get(a, "count")) != NULL) {
      json_t *counters = json_object_get(r->case_, "counters");
      json_int_t by = json_object_get(a, "by") ? json_integer_value(json_object_get(a, "by")) : 1;
      json_int_t cur = json_integer_value(json_object_get(counters, json_string_value(v)));
      json_object_set_new(counters, json_string_value(v), json_integer(counter_add(cur, by)));
    } else if ((v = json_object_get(a, "reset")) != NULL) {
      json_object_set_new(json_object_get(r->case_, "counters"), json_string_value(v), json_integer(0));
    } else if ((v = json_object_get(a, "flag")) != NULL) {
      flag_set(r, json_string_value(v), true);
    } else if ((v = json_object_get(a, "unflag")) != NULL) {
      flag_set(r, json_string_value(v), false);
    } else if ((v = json_object_get(a, "arm")) != NULL) {
      timer_arm(r, json_string_value(v), a);
    } else if ((v = json_object_get(a, "cancel")) != NULL) {
      json_object_del(json_object_get(r->case_, "timers"), json_string_value(v));
    } else if ((v = json_object_get(a, "task")) != NULL) {
      notice_add(r, "task", v);
    } else if ((v = json_object_get(a, "notify")) != NULL) {
      notice_add(r, "notification", v);
    } else if ((v = json_object_get(a, "close_tasks")) != NULL) {
      json_t *e = json_object();
      json_object_set_new(e, "type", json_string("close_tasks"));
      json_object_set(e, "kind", v);
      json_array_append_new(r->effects, e);
    } else if ((v = json_object_get(a, "if")) != NULL) {
      actions_run(r, json_object_get(a, eng_cond_eval(&r->env, v) ? "then" : "else"), depth + 1);
    }
  }
}

/* --- entering and exiting --- */

static void state_exit(run_t *r, int s) {
  const json_t *st = r->c->states[s].json;
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(st, "timers"), i, t) {
    json_object_del(json_object_get(r->case_, "timers"), json_string_value(json_object_get(t, "name")));
  }
  actions_run(r, json_object_get(st, "on_exit"), 0);
  r->active[s] = false;
}

/* Exits every active proper descendant of `domain`, innermost (last in pre-order) first. */
static void exit_below(run_t *r, int domain) {
  int s;
  for (s = r->c->states[domain].end - 1; s > domain; s--)
    if (r->active[s]) state_exit(r, s);
}

static bool is_ancestor_or_self(const engine_chart_t *c, int a, int s) {
  return s >= a && s < c->states[a].end;
}

/* Enters s, then its descendants: towards `target` when it lies below s,
 * otherwise the default (initial child; every region of a parallel). */
static void state_enter(run_t *r, int s, int target) {
  const eng_state_t *st = &r->c->states[s];
  size_t i;
  json_t *t;
  int k;
  r->active[s] = true;
  actions_run(r, json_object_get(st->json, "on_entry"), 0);
  json_array_foreach(json_object_get(st->json, "timers"), i, t) {
    timer_arm(r, json_string_value(json_object_get(t, "name")), t);
  }
  if (st->type == ST_COMPOUND) {
    int next = st->initial;
    for (k = 0; k < st->children_count; k++)
      if (target > s && is_ancestor_or_self(r->c, st->children[k], target)) next = st->children[k];
    if (next >= 0) state_enter(r, next, target);
  } else if (st->type == ST_PARALLEL) {
    for (k = 0; k < st->children_count; k++) state_enter(r, st->children[k], target);
  }
}

/* The least common compound ancestor of a and b, strictly above both (the
 * root if none).  "Strictly above b" matters when the target b is an
 * ancestor of the source a: the transition then leaves b and enters it
 * again (its timers re-armed, its initial child entered), as an external
 * transition does in SCXML. */
static int lcca(const engine_chart_t *c, int a, int b) {
  int x;
  for (x = c->states[a].parent; x >= 0; x = c->states[x].parent)
    if (c->states[x].type == ST_COMPOUND && x != b && is_ancestor_or_self(c, x, b)) return x;
  return 0;
}

static void close_if_terminal(run_t *r) {
  int s, term = -1;
  for (s = 0; s < r->c->states_count; s++)
    if (r->active[s] && r->c->states[s].terminal) term = s;
  if (term < 0) return;
  for (s = r->c->states_count - 1; s >= 0; s--)
    if (r->active[s] && !is_ancestor_or_self(r->c, s, term)) state_exit(r, s);
  json_object_clear(json_object_get(r->case_, "timers"));
  json_object_set_new(r->case_, "closed", json_true());
}

static void transition_take(run_t *r, int source, const json_t *t) {
  int target = eng_state_find(r->c, json_string_value(json_object_get(t, "target")));
  if (target < 0) {
    actions_run(r, json_object_get(t, "actions"), 0);
    return;
  }
  {
    /* A transition from a compound state to one of its own descendants
     * stays inside it (the source is not left), so that a region of a
     * parallel state can move within itself without disturbing its siblings. */
    int domain =
        (target > source && target < r->c->states[source].end && r->c->states[source].type == ST_COMPOUND)
            ? source
            : lcca(r->c, source, target);
    int top = target, k;
    exit_below(r, domain);
    actions_run(r, json_object_get(t, "actions"), 0);
    activate(r, domain);
    if (r->c->states[domain].type == ST_PARALLEL) {
      /* Only when no compound ancestor contains both (source and target in
       * different regions of the root): every region was left, so every
       * region is entered again, the target's towards the target. */
      for (k = 0; k < r->c->states[domain].children_count; k++)
        state_enter(r, r->c->states[domain].children[k], target);
    } else {
      while (r->c->states[top].parent != domain && r->c->states[top].parent >= 0)
        top = r->c->states[top].parent;
      if (top != domain) state_enter(r, top, target);
    }
  }
  close_if_terminal(r);
}

/* --- selecting a transition --- */

static bool roles_admit(const json_t *roles, const char *role) {
  size_t i;
  json_t *r;
  json_array_foreach(roles, i, r) {
    if (role && strcmp(json_string_value(r), role) == 0) return true;
  }
  return false;
}

typedef struct {
  int source;
  const json_t *t;
} cand_t;

#define CANDIDATES_MAX 64

/* Candidate transitions for event on the active states: leaves in document
 * order, each from the leaf up to the root, every state once. */
static int candidates_find(const engine_chart_t *c, const bool *active, const char *event, cand_t *out) {
  bool seen[LIMIT_CHART_STATES_MAX] = {false};
  int n = 0, leaf, s;
  size_t i;
  json_t *t;
  for (leaf = 0; leaf < c->states_count; leaf++) {
    if (!active[leaf] || !is_leaf(&c->states[leaf])) continue;
    for (s = leaf; s >= 0; s = c->states[s].parent) {
      if (seen[s]) continue;
      seen[s] = true;
      json_array_foreach(json_object_get(c->states[s].json, "transitions"), i, t) {
        const char *e = json_string_value(json_object_get(t, "event"));
        if (e && strcmp(e, event) == 0 && n < CANDIDATES_MAX) {
          out[n].source = s;
          out[n].t = t;
          n++;
        }
      }
    }
  }
  return n;
}

/* Checks schema and guards of t against the run's data. */
static int transition_check(run_t *r, const json_t *t, engine_result_t *out) {
  const char *rule = NULL;
  size_t i;
  json_t *g;
  int rc = eng_schema_check(json_object_get(t, "data"), json_object_get(r->env.root, "data"), out->message,
                            sizeof(out->message), &rule, out->field, sizeof(out->field));
  if (rc != 0) {
    out->err = rc;
    out->rule = rule ? rule : json_string_value(json_object_get(t, "rule"));
    return rc;
  }
  json_array_foreach(json_object_get(t, "guards"), i, g) {
    if (!eng_cond_eval(&r->env, json_object_get(g, "check"))) {
      result_fail(out, CASUS_EGUARD_FAILED, json_string_value(json_object_get(g, "rule")), "%s",
                  json_string_value(json_object_get(g, "message")));
      return out->err;
    }
  }
  return 0;
}

/* R-PRIV-1: a role declaring "visible_after_notice" sees a case only once
 * the case has addressed it (a task or notification to the role: a
 * termination copy, an escalation).  The case records the first such
 * moment in "notified".<role>, a marker the server can check and index
 * without reading the history.  Written here, where the notices are made,
 * so that the server, `statechart verify` and a replay agree. */
static void notified_mark(run_t *r, const char *now_time) {
  size_t i, k;
  json_t *e, *role, *marks;
  json_array_foreach(r->effects, i, e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    if (type == NULL || (strcmp(type, "task") != 0 && strcmp(type, "notification") != 0)) continue;
    json_array_foreach(json_object_get(e, "to"), k, role) {
      const json_t *decl = engine_chart_role(r->c, json_string_value(role));
      if (!json_is_true(json_object_get(decl, "visible_after_notice"))) continue;
      marks = json_object_get(r->case_, "notified");
      if (!json_is_object(marks)) {
        marks = json_object();
        if (marks == NULL || json_object_set_new(r->case_, "notified", marks) != 0) {
          r->nomem = true;
          return;
        }
      }
      if (json_object_get(marks, json_string_value(role)) == NULL &&
          json_object_set_new(marks, json_string_value(role), json_string(now_time)) != 0)
        r->nomem = true;
    }
  }
}

static int result_finish(run_t *r, const json_t *from, const char *event, const json_t *data,
                         const engine_actor_t *actor, const json_t *t, engine_result_t *out) {
  char now_time[32];
  json_t *h, *leaves;
  const char *status;
  if (r->date_outside != NULL) {
    /* Name the field as the schema does: a request field without "data.". */
    const char *field = strncmp(r->date_outside, "data.", 5) == 0 ? r->date_outside + 5 : r->date_outside;
    out->err = CASUS_EINVALID_DATA;
    out->rule = json_string_value(json_object_get(t, "rule"));
    snprintf(out->message, sizeof(out->message),
             "a date computed from \"%s\" would fall outside %d-01-01 .. %d-12-31; give a date that keeps it "
             "inside",
             field, LIMIT_DATE_YEAR_MIN, LIMIT_DATE_YEAR_MAX);
    return out->err;
  }
  cal_time_format(r->ctx->now_s, now_time, sizeof(now_time));
  notified_mark(r, now_time);
  leaves = config_leaves(r->c, r->active);
  status = status_of(r->c, r->active);
  if (leaves == NULL || r->nomem) {
    json_decref(leaves);
    return CASUS_ENOMEM;
  }
  json_object_set(r->case_, "state", leaves);
  json_object_set_new(r->case_, "status", status ? json_string(status) : json_null());
  json_object_set_new(r->case_, "version",
                      json_integer(json_integer_value(json_object_get(r->case_, "version")) + 1));
  json_object_set_new(r->case_, "updated", json_string(now_time));
  h = json_object();
  json_object_set(h, "case_id", json_object_get(r->case_, "id"));
  json_object_set_new(h, "time", json_string(now_time));
  json_object_set_new(h, "actor", json_string(actor->id ? actor->id : ""));
  json_object_set_new(h, "role", json_string(actor->role ? actor->role : ""));
  json_object_set_new(h, "event", json_string(event));
  json_object_set_new(h, "data", data ? json_deep_copy(data) : json_object());
  json_object_set(h, "from", (json_t *)from);
  json_object_set_new(h, "to", leaves);
  json_object_set(h, "version", json_object_get(r->case_, "version"));
  if (json_object_get(t, "rule")) json_object_set(h, "rule", json_object_get(t, "rule"));
  out->case_ = r->case_;
  out->effects = r->effects;
  out->history = h;
  out->transition = t;
  r->case_ = NULL;
  r->effects = NULL;
  return 0;
}

/* Picks and takes the transition for event; shared by events and timers. */
static int event_run(run_t *r, const char *event, const json_t *data, const engine_actor_t *actor,
                     engine_result_t *out) {
  cand_t cands[CANDIDATES_MAX];
  const json_t *roles_anywhere = json_object_get(r->c->event_roles, event);
  json_t *from;
  int n, i, chosen = -1;
  bool role_ok = false;
  int rc;
  if (roles_anywhere == NULL) {
    result_fail(out, CASUS_EUNKNOWN_EVENT, NULL, "The chart has no event \"%s\".", event);
    return out->err;
  }
  /* R-AUTH-1 first: a role that may never fire this event is told so (403)
   * whatever the case's state, even when the case is closed. */
  if (!roles_admit(roles_anywhere, actor->role)) {
    result_fail(out, CASUS_EFORBIDDEN, "R-AUTH-1", "Your role may not fire \"%s\".", event);
    return out->err;
  }
  if (json_is_true(json_object_get(r->case_, "closed"))) {
    result_fail(out, CASUS_ENOT_ALLOWED_IN_STATE, NULL, "The case is closed; \"%s\" is no longer possible.",
                event);
    return out->err;
  }
  n = candidates_find(r->c, r->active, event, cands);
  for (i = 0; i < n; i++) {
    if (!roles_admit(json_object_get(cands[i].t, "roles"), actor->role)) continue;
    role_ok = true;
    if (eng_cond_eval(&r->env, json_object_get(cands[i].t, "when"))) {
      chosen = i;
      break;
    }
  }
  if (chosen < 0) {
    /* R-AUTH-1: a role that may not fire this event here, or anywhere, gets 403. */
    if (!role_ok && (n > 0 || !roles_admit(roles_anywhere, actor->role))) {
      result_fail(out, CASUS_EFORBIDDEN, "R-AUTH-1", "Your role may not fire \"%s\".", event);
      return out->err;
    }
    result_fail(out, CASUS_ENOT_ALLOWED_IN_STATE, NULL, "\"%s\" is not allowed in the case's current state.",
                event);
    return out->err;
  }
  rc = transition_check(r, cands[chosen].t, out);
  if (rc != 0) return rc;
  from = config_leaves(r->c, r->active);
  transition_take(r, cands[chosen].source, cands[chosen].t);
  rc = result_finish(r, from, event, data, actor, cands[chosen].t, out);
  json_decref(from);
  if (rc != 0) out->err = rc;
  return rc;
}

/* --- allowed events --- */

/* The environment in which engine_allowed_events evaluates the "when" of
 * transitions: case_, the role alone as the actor (no id, no organisation),
 * no data, no calendar, at now_s, with tables (the region's catalogue, or
 * NULL for the chart's own).  root is an environment root to fill (a new
 * one, or a run's, which is then pointed at case_). */
static int allowed_env_init(eng_env_t *env, json_t *root, const engine_chart_t *chart, const json_t *case_,
                            const char *role, int64_t now_s, const json_t *tables) {
  engine_actor_t actor = {"", role, ""};
  env->root = root;
  env->chart = chart;
  env->active = NULL; /* allowed_collect's, from the case */
  env->cal = NULL;
  /* The tables the event itself is applied with: a "when" reading the
   * catalogue must offer what applying the event would see. */
  env->tables = tables;
  env->now_s = now_s;
  env->date_outside = NULL;
  return env_root_fill(root, case_, NULL, &actor, now_s);
}

/* The events `role` may fire on case_ in env (from allowed_env_init): the
 * events, in chart order and each once, of the transitions of the case's
 * active states whose roles admit the role and whose "when" holds.  None
 * for a closed case or one in a state the chart does not have.  New array,
 * or NULL when out of memory. */
static json_t *allowed_collect(const engine_chart_t *chart, const json_t *case_, const char *role,
                               const eng_env_t *env) {
  bool active[LIMIT_CHART_STATES_MAX];
  eng_env_t e = *env;
  json_t *out = json_array(), *t, *have;
  int s;
  size_t i, k;
  if (out == NULL || json_is_true(json_object_get(case_, "closed"))) return out;
  if (config_load(chart, case_, active) != 0) return out;
  e.active = active;
  for (s = 0; s < chart->states_count; s++) {
    if (!active[s]) continue;
    json_array_foreach(json_object_get(chart->states[s].json, "transitions"), i, t) {
      const json_t *ev = json_object_get(t, "event");
      bool dup = false;
      if (!roles_admit(json_object_get(t, "roles"), role)) continue;
      if (!eng_cond_eval(&e, json_object_get(t, "when"))) continue;
      json_array_foreach(out, k, have) {
        if (json_equal(have, ev)) dup = true;
      }
      if (!dup && json_array_append(out, (json_t *)ev) != 0) {
        json_decref(out);
        return NULL;
      }
    }
  }
  return out;
}

/* Completes a successful create or event with out->allowed_events: what
 * engine_allowed_events(chart, out->case_, actor->role, now_s, ctx->tables) returns,
 * evaluated in the run's environment root pointed at the new case.  When
 * that fails (CASUS_ENOMEM) the whole result is released. */
static int result_allowed(run_t *r, const engine_actor_t *actor, engine_result_t *out) {
  eng_env_t env;
  int rc = allowed_env_init(&env, r->env.root, r->c, out->case_, actor->role, r->ctx->now_s, r->ctx->tables);
  if (rc == 0) out->allowed_events = allowed_collect(r->c, out->case_, actor->role, &env);
  if (rc == 0 && out->allowed_events == NULL) rc = CASUS_ENOMEM;
  if (rc != 0) {
    engine_result_clear(out);
    out->err = rc;
  }
  return rc;
}

int engine_event_apply(const engine_ctx_t *ctx, const json_t *case_, const char *event, const json_t *data,
                       const engine_actor_t *actor, engine_result_t *out) {
  run_t r;
  int rc;
  memset(out, 0, sizeof(*out));
  rc = run_init(&r, ctx, case_, data, actor);
  if (rc == 0) {
    rc = event_run(&r, event, data, actor, out);
    if (rc == 0) rc = result_allowed(&r, actor, out);
  } else {
    out->err = rc;
  }
  run_free(&r);
  return rc;
}

int engine_timer_fire(const engine_ctx_t *ctx, const json_t *case_, const char *name, engine_result_t *out) {
  engine_actor_t system = {ENGINE_ROLE_SYSTEM, ENGINE_ROLE_SYSTEM, ""};
  const json_t *timer = json_object_get(json_object_get(case_, "timers"), name);
  json_t *consumed;
  char event[LIMIT_ID_BYTES_MAX];
  run_t r;
  int rc;
  memset(out, 0, sizeof(*out));
  if (timer == NULL) {
    result_fail(out, CASUS_ENOT_FOUND, NULL, "The case has no timer \"%s\".", name);
    return out->err;
  }
  snprintf(event, sizeof(event), "%s", json_string_value(json_object_get(timer, "event")));
  consumed = json_deep_copy(case_);
  if (consumed == NULL) return out->err = CASUS_ENOMEM;
  /* The timer is consumed before its event runs: the event may re-arm it. */
  json_object_del(json_object_get(consumed, "timers"), name);
  rc = run_init(&r, ctx, consumed, NULL, &system);
  if (rc == 0) {
    rc = event_run(&r, event, NULL, &system, out);
    if (rc == CASUS_ENOT_ALLOWED_IN_STATE || rc == CASUS_EGUARD_FAILED || rc == CASUS_EFORBIDDEN) {
      /* Nothing takes the event now: only the consumption is kept. */
      memset(out, 0, sizeof(*out));
      out->case_ = json_incref(consumed);
      out->effects = json_array();
      rc = 0;
    }
  } else {
    out->err = rc;
  }
  run_free(&r);
  json_decref(consumed);
  return rc;
}

int engine_case_create(const engine_ctx_t *ctx, const char *id, const json_t *data,
                       const json_t *extra_fields, const engine_actor_t *actor, engine_result_t *out) {
  const engine_chart_t *c = ctx->chart;
  char now_time[32];
  json_t *skel = json_object(), *t, *from;
  run_t r;
  size_t i;
  int rc, chosen = -1;
  bool role_ok = false;
  memset(out, 0, sizeof(*out));
  if (skel == NULL) return out->err = CASUS_ENOMEM;
  cal_time_format(ctx->now_s, now_time, sizeof(now_time));
  json_object_set_new(skel, "id", json_string(id));
  json_object_set_new(skel, "chart", json_string(c->ref));
  json_object_set_new(skel, "version", json_integer(0));
  json_object_set_new(skel, "status", json_null());
  json_object_set_new(skel, "state", json_array());
  json_object_set_new(skel, "fields", json_object());
  json_object_set_new(skel, "counters", json_object());
  json_object_set_new(skel, "flags", json_array());
  json_object_set_new(skel, "timers", json_object());
  json_object_set_new(skel, "closed", json_false());
  json_object_set_new(skel, "created", json_string(now_time));
  rc = run_init(&r, ctx, skel, data, actor);
  json_decref(skel);
  if (rc != 0) {
    run_free(&r);
    return out->err = rc;
  }
  json_array_foreach(json_object_get(c->doc, "create"), i, t) {
    if (!roles_admit(json_object_get(t, "roles"), actor->role)) continue;
    role_ok = true;
    if (eng_cond_eval(&r.env, json_object_get(t, "when"))) {
      chosen = (int)i;
      break;
    }
  }
  if (chosen < 0) {
    if (!role_ok)
      result_fail(out, CASUS_EFORBIDDEN, "R-AUTH-1", "Your role may not create cases%s.", "");
    else
      result_fail(out, CASUS_EINVALID_DATA, NULL, "No way to create a case fits this request%s.", "");
    run_free(&r);
    return out->err;
  }
  t = json_array_get(json_object_get(c->doc, "create"), (size_t)chosen);
  rc = transition_check(&r, t, out);
  if (rc != 0) {
    run_free(&r);
    return rc;
  }
  /* The validated create body becomes the case's fields. */
  json_object_update(json_object_get(r.case_, "fields"), json_object_get(r.env.root, "data"));
  if (extra_fields) json_object_update(json_object_get(r.case_, "fields"), (json_t *)extra_fields);
  from = json_array();
  actions_run(&r, json_object_get(t, "actions"), 0);
  state_enter(&r, 0, eng_state_find(c, json_string_value(json_object_get(t, "target"))));
  close_if_terminal(&r);
  rc = result_finish(&r, from, json_string_value(json_object_get(t, "event")), data, actor, t, out);
  json_decref(from);
  if (rc == 0) rc = result_allowed(&r, actor, out);
  run_free(&r);
  if (rc != 0) out->err = rc;
  return rc;
}

json_t *engine_allowed_events(const engine_chart_t *chart, const json_t *case_, const char *role,
                              int64_t now_s, const json_t *tables) {
  eng_env_t env;
  json_t *root = json_object(), *out = NULL;
  if (root != NULL && allowed_env_init(&env, root, chart, case_, role, now_s, tables) == 0)
    out = allowed_collect(chart, case_, role, &env);
  json_decref(root);
  return out != NULL ? out : json_array();
}

int engine_case_candidates(const engine_chart_t *chart, const json_t *case_, const char *role,
                           const json_t **out, int out_max) {
  bool active[LIMIT_CHART_STATES_MAX], seen[LIMIT_CHART_STATES_MAX] = {false};
  int n = 0, leaf, s;
  size_t i;
  json_t *t;
  if (json_is_true(json_object_get(case_, "closed")) || config_load(chart, case_, active) != 0) return 0;
  for (leaf = 0; leaf < chart->states_count; leaf++) {
    if (!active[leaf] || !is_leaf(&chart->states[leaf])) continue;
    for (s = leaf; s >= 0 && !seen[s]; s = chart->states[s].parent) {
      seen[s] = true;
      json_array_foreach(json_object_get(chart->states[s].json, "transitions"), i, t) {
        if (!roles_admit(json_object_get(t, "roles"), role)) continue;
        if (n < out_max) out[n] = t;
        n++;
      }
    }
  }
  return n;
}

/* An environment over case_ (see engine_case_cond_eval) in env, with root
 * (a new object the caller releases) and active (the case's states). */
static int scope_env_init(eng_env_t *env, bool *active, const engine_ctx_t *ctx, const json_t *case_,
                          const json_t *data, const engine_actor_t *actor, const json_t *extra) {
  engine_actor_t none = {"", "", ""};
  int rc;
  env->root = json_object();
  env->chart = ctx->chart;
  env->active = active;
  env->cal = ctx->cal;
  env->tables = ctx->tables;
  env->now_s = ctx->now_s;
  if (env->root == NULL) return CASUS_ENOMEM;
  if (config_load(ctx->chart, case_, active) != 0) memset(active, 0, sizeof(bool) * LIMIT_CHART_STATES_MAX);
  rc = env_root_fill(env->root, case_, data, actor ? actor : &none, ctx->now_s);
  if (rc == 0) rc = root_extra(env->root, extra);
  if (rc == 0) rc = root_extra(env->root, ctx->extra);
  return rc;
}

bool engine_case_cond_eval(const engine_ctx_t *ctx, const json_t *case_, const json_t *data,
                           const engine_actor_t *actor, const json_t *extra, const json_t *cond) {
  bool active[LIMIT_CHART_STATES_MAX];
  eng_env_t env;
  bool holds = false;
  if (scope_env_init(&env, active, ctx, case_, data, actor, extra) == 0) holds = eng_cond_eval(&env, cond);
  json_decref(env.root);
  return holds;
}

json_t *engine_case_value_eval(const engine_ctx_t *ctx, const json_t *case_, const json_t *data,
                               const engine_actor_t *actor, const json_t *extra, const json_t *expr) {
  bool active[LIMIT_CHART_STATES_MAX];
  eng_env_t env;
  json_t *v = NULL;
  if (scope_env_init(&env, active, ctx, case_, data, actor, extra) == 0) v = eng_value_eval(&env, expr);
  json_decref(env.root);
  return v;
}

const char *engine_case_status(const engine_chart_t *chart, const json_t *case_) {
  bool active[LIMIT_CHART_STATES_MAX];
  if (config_load(chart, case_, active) != 0) return NULL;
  return status_of(chart, active);
}
