/*
 * step.c -- one step on a case, as the server takes it: a create (with the
 * fields the server adds, and R-AUTH-2: the creator must see the case), an
 * event, or a move of the clock that fires every timer due by then in due
 * order (ties by name) at its due time, as src/api/timers_fire.c does.
 * Each step also leaves the run record that properties read
 * (run.events.<event>, run.roles.<event>.<role>, run.last).  The explorer
 * and the trace replay both step through here, so a trace shows what the
 * exploration did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "verify/verify_int.h"

#define VERIFY_CASE_ID "verify-1"

bool step_refusal(int err) {
  return err == CASUS_EFORBIDDEN || err == CASUS_ENOT_ALLOWED_IN_STATE || err == CASUS_EINVALID_DATA ||
         err == CASUS_EGUARD_FAILED || err == CASUS_EUNKNOWN_EVENT;
}

void step_info_clear(vstep_info_t *info) {
  json_decref(info->timers);
  memset(info, 0, sizeof(*info));
}

static void taken_add(vstep_info_t *info, const json_t *t) {
  if (t != NULL && info->taken_count < VERIFY_TAKEN_MAX) info->taken[info->taken_count++] = t;
}

/* Whether a property reads the run path prefix (or something below it, or the whole of it). */
static bool run_read(const vmodel_t *m, const char *prefix) {
  size_t i;
  json_t *p;
  json_array_foreach(m->run_paths, i, p) {
    if (model_paths_overlap(json_string_value(p), prefix)) return true;
  }
  return false;
}

json_t *step_run_after(const vmodel_t *m, const json_t *run, const char *event, const char *role,
                       const json_t *case_before, const json_t *effects) {
  json_t *r = run ? json_deep_copy(run) : json_object(), *roles, *from = NULL, *events;
  bool active[LIMIT_CHART_STATES_MAX];
  int s;
  /* The record holds only what some property reads: it is part of the key. */
  if (r == NULL || json_array_size(m->run_paths) == 0) return r;
  if (run_read(m, "run.events")) {
    if ((events = json_object_get(r, "events")) == NULL)
      json_object_set_new(r, "events", events = json_object());
    json_object_set_new(events, event, json_true());
  }
  if (run_read(m, "run.roles")) {
    if ((events = json_object_get(r, "roles")) == NULL)
      json_object_set_new(r, "roles", events = json_object());
    if ((roles = json_object_get(events, event)) == NULL)
      json_object_set_new(events, event, roles = json_object());
    json_object_set_new(roles, role, json_true());
  }
  if (run_read(m, "run.tasks")) {
    /* The kinds of task open on the case: a "task" effect opens one, "close_tasks" closes them all. */
    json_t *tasks = json_object_get(r, "tasks"), *e;
    size_t i;
    if (tasks == NULL) json_object_set_new(r, "tasks", tasks = json_object());
    json_array_foreach(effects, i, e) {
      const char *type = json_string_value(json_object_get(e, "type"));
      const char *kind = json_string_value(json_object_get(e, "kind"));
      if (type == NULL || kind == NULL) continue;
      if (strcmp(type, "task") == 0) json_object_set_new(tasks, kind, json_true());
      if (strcmp(type, "close_tasks") == 0) json_object_del(tasks, kind);
    }
  }
  if (run_read(m, "run.last")) {
    json_t *last = json_pack("{s:s, s:s}", "event", event, "role", role);
    if (last != NULL && run_read(m, "run.last.from")) {
      from = json_object();
      if (case_before != NULL) {
        model_active(m, case_before, active);
        for (s = 0; s < m->states_count; s++)
          if (active[s]) json_object_set_new(from, m->states[s].name, json_true());
      }
      json_object_set_new(last, "from", from);
    }
    if (last == NULL || json_object_set_new(r, "last", last) != 0) {
      json_decref(r);
      return NULL;
    }
  }
  return r;
}

static int result_take(const vmodel_t *m, engine_result_t *res, const json_t *run, const char *event,
                       const char *role, const json_t *case_before, json_t **case_out, json_t **run_out,
                       vstep_info_t *info) {
  taken_add(info, res->transition);
  *run_out = step_run_after(m, run, event, role, case_before, res->effects);
  *case_out = json_incref(res->case_);
  engine_result_clear(res);
  if (*run_out == NULL) {
    json_decref(*case_out);
    *case_out = NULL;
    return info->err = CASUS_ENOMEM;
  }
  return 0;
}

int step_create(vmodel_t *m, const engine_ctx_t *ctx, const engine_actor_t *actor, const json_t *data,
                json_t **case_out, json_t **run_out, vstep_info_t *info) {
  engine_result_t res;
  auth_actor_t a;
  const char *event;
  int rc = engine_case_create(ctx, VERIFY_CASE_ID, data,
                              json_object_size(m->server_fields) ? m->server_fields : NULL, actor, &res);
  *case_out = *run_out = NULL;
  if (rc != 0) {
    info->err = rc;
    snprintf(info->message, sizeof(info->message), "%s", res.message[0] ? res.message : core_err_message(rc));
    engine_result_clear(&res);
    return rc;
  }
  memset(&a, 0, sizeof(a));
  snprintf(a.id, sizeof(a.id), "%s", actor->id);
  snprintf(a.role, sizeof(a.role), "%s", actor->role);
  snprintf(a.org, sizeof(a.org), "%s", actor->org);
  if (!auth_case_visible(m->chart, &a, res.case_)) {
    /* R-AUTH-2: the server refuses a case its creator would not see. */
    engine_result_clear(&res);
    info->err = CASUS_EFORBIDDEN;
    snprintf(info->message, sizeof(info->message), "You can only register cases for your own organisation.");
    return info->err;
  }
  event = json_string_value(json_object_get(res.transition, "event"));
  return result_take(m, &res, NULL, event ? event : "create", actor->role, NULL, case_out, run_out, info);
}

/* The chart's "linked_cases" (src/api/linked.c): what the server would
 * give the event about the jeugdige's other cases.  The explorer gives the
 * most permissive answer: every list names every string of the event's
 * data.  A guard that reads the list can then only pass where the server's
 * could, or refuse where it would refuse anyway, and a refusal changes
 * nothing, so no configuration the server can reach is missed.  NULL for
 * other events. */
static json_t *linked_permissive(const vmodel_t *m, const char *event, const json_t *data) {
  const json_t *g = json_object_get(m->doc, "linked_cases");
  const char *name, *key;
  json_t *e, *path, *v, *lists, *all, *out;
  size_t i;
  bool wanted = false;
  json_array_foreach(json_object_get(g, "events"), i, e) {
    if (strcmp(json_string_value(e), event) == 0) wanted = true;
  }
  if (!wanted) return NULL;
  all = json_array();
  json_object_foreach((json_t *)data, key, v) {
    if (json_is_string(v)) json_array_append(all, v);
  }
  lists = json_object();
  json_object_foreach(json_object_get(g, "collect"), name, path) {
    json_object_set(lists, name, all);
  }
  out = json_object();
  json_object_set_new(out, json_string_value(json_object_get(g, "as")), lists);
  json_decref(all);
  return out;
}

int step_event(vmodel_t *m, const engine_ctx_t *ctx, const json_t *case_, const json_t *run,
               const char *event, const json_t *data, const engine_actor_t *actor, json_t **case_out,
               json_t **run_out, vstep_info_t *info) {
  engine_result_t res;
  engine_ctx_t lctx = *ctx;
  json_t *linked = linked_permissive(m, event, data);
  int rc;
  lctx.extra = linked;
  rc = engine_event_apply(&lctx, case_, event, data, actor, &res);
  json_decref(linked);
  *case_out = *run_out = NULL;
  if (rc != 0) {
    info->err = rc;
    snprintf(info->message, sizeof(info->message), "%s", res.message[0] ? res.message : core_err_message(rc));
    engine_result_clear(&res);
    return rc;
  }
  return result_take(m, &res, run, event, actor->role, case_, case_out, run_out, info);
}

bool step_timer_due(const json_t *case_, int64_t now_s) {
  const char *name;
  json_t *t;
  json_object_foreach(json_object_get(case_, "timers"), name, t) {
    if (json_integer_value(json_object_get(t, "due_s")) <= now_s) return true;
  }
  return false;
}

/* Whether an active state of case_ has a transition of "system" for event. */
static bool timer_handled(const vmodel_t *m, const json_t *case_, const char *event) {
  const json_t *cands[128];
  int n = engine_case_candidates(m->chart, case_, ENGINE_ROLE_SYSTEM, cands, 128), i;
  for (i = 0; i < n && i < 128; i++) {
    const char *e = json_string_value(json_object_get(cands[i], "event"));
    if (e != NULL && strcmp(e, event) == 0) return true;
  }
  return false;
}

static void leaves_text(const json_t *case_, char *buf, size_t size) {
  size_t i, len = 0;
  json_t *leaf;
  buf[0] = '\0';
  json_array_foreach(json_object_get(case_, "state"), i, leaf) {
    int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", json_string_value(leaf));
    if (n < 0 || (size_t)n >= size - len) break;
    len += (size_t)n;
  }
}

int step_clock(vmodel_t *m, const json_t *case_, const json_t *run, int64_t to_s, json_t **case_out,
               json_t **run_out, vstep_info_t *info) {
  json_t *cur = json_incref((json_t *)case_), *r = json_incref((json_t *)run);
  int fires = 0, rc = 0;
  *case_out = *run_out = NULL;
  info->timers = json_array();
  if (info->timers == NULL) rc = CASUS_ENOMEM;
  while (rc == 0) {
    const char *name, *first = NULL, *event;
    int64_t first_due = 0;
    json_t *t;
    engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
    engine_result_t res;
    json_object_foreach(json_object_get(cur, "timers"), name, t) {
      int64_t due = json_integer_value(json_object_get(t, "due_s"));
      if (due <= to_s &&
          (first == NULL || due < first_due || (due == first_due && strcmp(name, first) < 0))) {
        first = name;
        first_due = due;
      }
    }
    if (first == NULL) break;
    if (++fires > LIMIT_VERIFY_TIMER_FIRES_MAX) {
      rc = CASUS_EINTERNAL;
      snprintf(info->message, sizeof(info->message),
               "timers keep coming due at once: %d fired in one move of the clock (timer \"%s\")",
               LIMIT_VERIFY_TIMER_FIRES_MAX, first);
      break;
    }
    t = json_object_get(json_object_get(cur, "timers"), first);
    event = json_string_value(json_object_get(t, "event"));
    if (event != NULL && !timer_handled(m, cur, event) && !info->unhandled_timer) {
      char states[256];
      leaves_text(cur, states, sizeof(states));
      info->unhandled_timer = true;
      snprintf(info->message, sizeof(info->message),
               "timer \"%s\" fired its event \"%s\" in %s, where no transition takes it", first, event,
               states);
    }
    ctx.chart = m->chart;
    ctx.cal = m->cal;
    ctx.tables = NULL;
    ctx.now_s = first_due; /* the event happens when the timer was due, as on the server */
    rc = engine_timer_fire(&ctx, cur, first, &res);
    if (rc != 0) {
      snprintf(info->message, sizeof(info->message), "timer \"%s\": %.200s", first,
               res.message[0] ? res.message : core_err_message(rc));
      engine_result_clear(&res);
      break;
    }
    {
      char fires_at[32];
      cal_time_format(first_due, fires_at, sizeof(fires_at));
      json_array_append_new(
          info->timers,
          json_pack("{s:s, s:O, s:O, s:s, s:b}", "timer", first, "event", json_object_get(t, "event"), "due",
                    json_object_get(t, "due"), "fires_at", fires_at, "taken", res.transition != NULL));
    }
    if (res.transition != NULL) {
      json_t *r2 = step_run_after(m, r, event, ENGINE_ROLE_SYSTEM, cur, res.effects);
      taken_add(info, res.transition);
      json_decref(r);
      r = r2;
      if (r == NULL) rc = CASUS_ENOMEM;
    }
    json_decref(cur);
    cur = json_incref(res.case_);
    engine_result_clear(&res);
  }
  if (rc != 0) {
    info->err = rc;
    json_decref(cur);
    json_decref(r);
    return rc;
  }
  *case_out = cur;
  *run_out = r;
  return 0;
}
