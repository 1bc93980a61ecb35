/*
 * timers_fire.c -- durable timers: every timer that came due fires in due
 * order, with the due time as the event's time, so that a timer fires
 * exactly once (its consumption commits with its effects).
 *
 * Each timer fires in a child transaction of its own.  A timer whose event
 * the engine refuses, or whose result the store refuses as invalid (a full
 * history, say), is consumed as failed (timer_fail): recorded in its case's
 * history, with a task for the roles of the chart's "timer_failure", so that
 * it rolls back alone and never blocks the timers after it, in a chunk, at
 * start-up or in the catch-up before a write.  Only a failing store (or
 * memory) stops a chunk; it is then tried again later.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/log.h"
#include "core/sha256.h"

int64_t api__next_due(api_t *api) {
  store_txn_t *txn;
  int64_t due;
  char case_id[LIMIT_ID_BYTES_MAX], name[LIMIT_ID_BYTES_MAX];
  if (store_txn_begin(api->store, false, &txn) != 0) return TIMERS_NONE;
  if (store_timer_first(txn, &due, case_id, sizeof(case_id), name, sizeof(name)) != 0) due = TIMERS_NONE;
  store_txn_abort(txn);
  return due;
}

/* Whether rc says the store or the memory failed (then nothing of the
 * chunk is kept and it is tried again later), rather than that this
 * timer's event or its result was refused: any other error is the timer's
 * own, and the timer is consumed as failed (timer_fail). */
static bool fire_err_is_store(int rc) {
  return rc == CASUS_ESTORE || rc == CASUS_ESTORE_FULL || rc == CASUS_ENOMEM;
}

/* A deadline missed: the tasks its timer's event raises carry the
 * deadline's kind (the timer's "kind", else its name) as "deadline", so
 * that the metrics count each as an overdue deadline while it is open
 * (store_count_task; docs/operations.md, Metrics). */
static void deadline_mark(const json_t *case_, const char *name, json_t *effects) {
  const json_t *timer = json_object_get(json_object_get(case_, "timers"), name);
  const char *kind = json_string_value(json_object_get(timer, "kind"));
  size_t i;
  json_t *e;
  json_array_foreach(effects, i, e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    if (type != NULL && strcmp(type, "task") == 0)
      json_object_set_new(e, "deadline", json_string(kind != NULL ? kind : name));
  }
}

/* Fires timer `name` of case_ (borrowed) at its due time and stores the
 * result inside txn.  *after (may be NULL) receives the new case.  On an
 * error, reason receives a sentence for the failed-timer record. */
static int timer_fire_case(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                           const char *name, int64_t due, json_t **after, char *reason, size_t reason_size) {
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_result_t res;
  int rc;
  ctx.chart = chart;
  ctx.cal = api__calendar_of_case(api, case_);
  ctx.tables = api__tables_of_case(api, case_);
  ctx.now_s = due; /* the event happens when the timer was due, however late we are */
  ctx.extra = NULL;
  rc = engine_timer_fire(&ctx, case_, name, &res);
  if (rc != 0) {
    snprintf(reason, reason_size, "%s", res.message[0] ? res.message : core_err_message(rc));
  } else {
    deadline_mark(case_, name, res.effects);
    rc = api__result_store(api, txn, chart, &res, false, due);
    if (rc == CASUS_EINVALID_DATA && json_integer_value(json_object_get(json_object_get(case_, "history"),
                                                                        "seq")) >= api->events_per_case_max)
      snprintf(reason, reason_size, "The case's history is full (%lld entries).",
               (long long)api->events_per_case_max);
    else if (rc != 0)
      snprintf(reason, reason_size, "The result could not be stored: %s", core_err_message(rc));
  }
  if (rc == 0 && after != NULL) *after = json_incref(res.case_);
  engine_result_clear(&res);
  return rc;
}

/* The record of a failed timer, as an engine result: the case without the
 * timer and the chart's "timer_failure" task; with_history adds the history
 * entry (actor "system", the timer's event, "failed": true, the reason in
 * "data") and the version it makes.  0 or CASUS_ENOMEM. */
static int failed_result(const engine_chart_t *chart, const json_t *case_, const char *name, int64_t due,
                         int err, const char *reason, bool with_history, engine_result_t *res) {
  const json_t *timer = json_object_get(json_object_get(case_, "timers"), name);
  const json_t *tf = engine_chart_timer_failure(chart);
  const char *event = json_string_value(json_object_get(timer, "event"));
  const char *rule = json_string_value(json_object_get(tf, "rule"));
  memset(res, 0, sizeof(*res));
  if (event == NULL) event = name;
  res->case_ = json_deep_copy(case_);
  res->effects = json_array();
  if (res->case_ == NULL || res->effects == NULL) return CASUS_ENOMEM;
  json_object_del(json_object_get(res->case_, "timers"), name);
  if (with_history) {
    json_int_t version = json_integer_value(json_object_get(case_, "version")) + 1;
    char time[32];
    cal_time_format(due, time, sizeof(time));
    if (json_object_set_new(res->case_, "version", json_integer(version)) != 0 ||
        json_object_set_new(res->case_, "updated", json_string(time)) != 0)
      return CASUS_ENOMEM;
    res->history =
        json_pack("{s:O, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s, s:s}, s:O, s:O, s:I, s:s}", "case_id",
                  json_object_get(case_, "id"), "time", time, "actor", ENGINE_ROLE_SYSTEM, "role",
                  ENGINE_ROLE_SYSTEM, "event", event, "failed", 1, "data", "timer", name, "error",
                  core_err_code(err), "reason", reason, "from", json_object_get(case_, "state"), "to",
                  json_object_get(case_, "state"), "version", version, "rule", rule ? rule : "R-TIME-3");
    if (res->history == NULL) return CASUS_ENOMEM;
  }
  if (tf != NULL) {
    /* The task names the failure: the timer's event and why (no data of the jeugdige). */
    char title[ENGINE_MESSAGE_BYTES_MAX];
    json_t *task;
    snprintf(title, sizeof(title), "%s: %s (%s)", json_string_value(json_object_get(tf, "title")), event,
             core_err_code(err));
    task = json_pack("{s:s, s:O, s:O, s:s}", "type", "task", "kind", json_object_get(tf, "kind"), "to",
                     json_object_get(tf, "to"), "title", title);
    if (task == NULL || json_array_append_new(res->effects, task) != 0 ||
        (rule != NULL && json_object_set_new(task, "rule", json_string(rule)) != 0))
      return CASUS_ENOMEM;
  }
  return 0;
}

/* Consumes timer `name` of case_ (borrowed) as failed, inside txn: its
 * event, or its result, was refused with err for a reason of its own, and
 * it must not block the timers after it (R-TIME-3).  Each attempt runs in a
 * child transaction of its own, so a refused one leaves nothing behind:
 *   1. the case without the timer, a history entry of the failure and the
 *      chart's "timer_failure" task;
 *   2. when that is refused too (the history is full or its head damaged):
 *      the case without the timer and the task, without a history entry;
 *   3. when even the case cannot be written: only the timer's index entry is
 *      dropped, so that it no longer comes first.
 * Every outcome is logged.  *after (may be NULL) receives the case
 * afterwards.  Returns 0, a store error, or the error of step 3 when
 * nothing could be done. */
static int timer_fail(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                      const char *name, int64_t due, int err, const char *reason, const char *where,
                      json_t **after) {
  const char *case_id = json_string_value(json_object_get(case_, "id"));
  const char *task = engine_chart_timer_failure(chart) ? "a task for the chart's timer_failure roles"
                                                       : "no task (the chart declares no timer_failure)";
  int step, rc = 0;
  for (step = 1; step <= 3; step++) {
    engine_result_t res;
    store_txn_t *child;
    memset(&res, 0, sizeof(res));
    rc = store_txn_child(txn, &child);
    if (rc != 0) return rc;
    if (step < 3) {
      rc = failed_result(chart, case_, name, due, err, reason, step == 1, &res);
      if (rc == 0) rc = api__result_store(api, child, chart, &res, false, due);
    } else {
      rc = store_timer_drop(child, due, case_id, name);
    }
    if (rc == 0) {
      rc = store_txn_commit(child);
    } else {
      store_txn_abort(child);
    }
    if (rc == 0) {
      if (step == 1)
        core_log("warn", "timer %s of case %s failed %s (%s: %s); consumed as failed: a history entry and %s",
                 name, case_id, where, core_err_code(err), reason, task);
      else if (step == 2)
        core_log("warn",
                 "timer %s of case %s failed %s (%s: %s); its history takes no entry, so it was consumed "
                 "without one, with %s",
                 name, case_id, where, core_err_code(err), reason, task);
      else
        core_log("error",
                 "timer %s of case %s failed %s (%s: %s) and its case cannot be written; its index entry was "
                 "dropped",
                 name, case_id, where, core_err_code(err), reason);
      if (after != NULL) *after = json_incref(step < 3 ? res.case_ : (json_t *)case_);
      engine_result_clear(&res);
      return 0;
    }
    engine_result_clear(&res);
    if (fire_err_is_store(rc)) return rc;
  }
  core_log("error", "timer %s of case %s failed %s (%s: %s) and cannot be consumed: %s", name, case_id, where,
           core_err_code(err), reason, core_err_message(rc));
  return rc;
}

/* Fires timer `name` of case_ in a child transaction of txn; when its event
 * or its result is refused for a reason other than the store, consumes it
 * as failed instead (timer_fail), so that one poisoned timer rolls back
 * alone.  *after (may be NULL) receives the case afterwards; *failed tells
 * which way it went.  Returns 0 or a store error (or, when a failed timer
 * could not even be dropped, that error). */
static int timer_fire_contained(api_t *api, store_txn_t *txn, const engine_chart_t *chart,
                                const json_t *case_, const char *name, int64_t due, const char *where,
                                json_t **after, bool *failed) {
  char reason[ENGINE_MESSAGE_BYTES_MAX];
  store_txn_t *child;
  int rc = store_txn_child(txn, &child);
  *failed = false;
  if (rc != 0) return rc;
  rc = timer_fire_case(api, child, chart, case_, name, due, after, reason, sizeof(reason));
  if (rc == 0) {
    rc = store_txn_commit(child);
    if (rc != 0 && after != NULL) {
      json_decref(*after);
      *after = NULL;
    }
    return rc;
  }
  store_txn_abort(child);
  if (fire_err_is_store(rc)) return rc;
  *failed = true;
  return timer_fail(api, txn, chart, case_, name, due, rc, reason, where, after);
}

/* Fires one due timer, named by its index entry, inside txn.  *failed tells
 * whether it was consumed as failed. */
static int timer_fire_one(api_t *api, store_txn_t *txn, int64_t due, const char *case_id, const char *name,
                          bool *failed) {
  json_t *case_ = NULL, *t;
  const engine_chart_t *chart;
  int rc = store_case_get(txn, case_id, &case_);
  *failed = false;
  if (rc != 0 && !fire_err_is_store(rc)) {
    /* The case is missing or damaged: its timer cannot fire, and must not
     * block every timer after it.  The entry goes; the case stays as it is. */
    core_log("error", "timer %s of case %s cannot fire: the case cannot be read (%s); index entry dropped",
             name, case_id, core_err_message(rc));
    *failed = true;
    return store_timer_drop(txn, due, case_id, name);
  }
  if (rc != 0) return rc;
  chart = api__chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  t = json_object_get(json_object_get(case_, "timers"), name);
  if (chart == NULL || t == NULL || json_integer_value(json_object_get(t, "due_s")) != due) {
    /* The index entry names no timer of the case (it cannot while
     * store_case_put keeps the index), or the case's chart is not loaded:
     * drop the entry, not the case's timer, rather than loop on it. */
    if (chart == NULL)
      core_log("error", "timer %s of case %s cannot fire: its chart %s is not loaded; index entry dropped",
               name, case_id, json_string_value(json_object_get(case_, "chart")));
    else
      core_log("error", "timer %s of case %s does not match its index entry; entry dropped", name, case_id);
    json_decref(case_);
    return store_timer_drop(txn, due, case_id, name);
  }
  rc = timer_fire_contained(api, txn, chart, case_, name, due, "when it came due", NULL, failed);
  json_decref(case_);
  return rc;
}

int api__case_catch_up(api_t *api, store_txn_t *txn, const engine_chart_t *chart, json_t **case_) {
  int64_t now = timers_now(api->timers);
  int fired;
  for (fired = 0; fired <= LIMIT_TIMERS_PER_CASE_MAX; fired++) {
    const char *name, *first = NULL;
    int64_t first_due = 0;
    json_t *t, *after = NULL;
    bool failed;
    int rc;
    json_object_foreach(json_object_get(*case_, "timers"), name, t) {
      int64_t due = json_integer_value(json_object_get(t, "due_s"));
      if (due <= now && (first == NULL || due < first_due || (due == first_due && strcmp(name, first) < 0))) {
        first = name;
        first_due = due;
      }
    }
    if (first == NULL) return 0;
    rc = timer_fire_contained(api, txn, chart, *case_, first, first_due, "while catching up before a write",
                              &after, &failed);
    if (rc != 0 && fire_err_is_store(rc)) return rc;
    if (rc != 0) return 0; /* logged; the chunks keep trying, the write goes on */
    if (failed) api->m.timers_failed++;
    api->m.timers_fired++;
    /* A failed timer whose case could not be written is still on it: the
     * write goes on without it rather than try it again here. */
    t = json_object_get(json_object_get(after, "timers"), first);
    if (t != NULL && json_integer_value(json_object_get(t, "due_s")) == first_due) {
      json_decref(after);
      return 0;
    }
    json_decref(*case_);
    *case_ = after;
  }
  /* A chart that re-arms due timers without end: the rest fire in the chunks. */
  return 0;
}

/* Fires due timers in one write transaction until none is due, or
 * LIMIT_TIMER_FIRES_PER_CHUNK_MAX fired, or LIMIT_TIMER_CHUNK_US_MAX passed,
 * then commits.  *more tells whether due timers remain.  Returns 0 or a
 * store error (nothing of the chunk is kept then). */
static int fire_chunk(api_t *api, bool *more) {
  int64_t now = timers_now(api->timers);
  uint64_t started_ns = uv_hrtime();
  store_txn_t *txn;
  int fired = 0, failed_count = 0, rc;
  *more = false;
  rc = store_txn_begin(api->store, true, &txn);
  if (rc != 0) return rc;
  for (;;) {
    int64_t due;
    char case_id[LIMIT_ID_BYTES_MAX], name[LIMIT_ID_BYTES_MAX];
    rc = store_timer_first(txn, &due, case_id, sizeof(case_id), name, sizeof(name));
    if (rc == CASUS_ENOT_FOUND || (rc == 0 && due > now)) {
      rc = 0;
      break;
    }
    if (rc == 0 && (fired >= api->timer_fires_per_chunk_max ||
                    uv_hrtime() - started_ns >= (uint64_t)LIMIT_TIMER_CHUNK_US_MAX * 1000)) {
      *more = true;
      break;
    }
    if (rc == 0) {
      bool failed;
      rc = timer_fire_one(api, txn, due, case_id, name, &failed);
      if (failed) failed_count++;
    }
    if (rc != 0) break;
    fired++;
  }
  if (rc != 0) {
    store_txn_abort(txn);
    api->inbox_changed = false;
    core_log("error", "firing timers failed: %s", core_err_message(rc));
    return rc;
  }
  rc = store_txn_commit(txn);
  if (rc != 0) {
    api->inbox_changed = false;
    core_log("error", "committing fired timers failed: %s", core_err_message(rc));
    return rc;
  }
  api->m.timers_fired += (uint64_t)fired;
  api->m.timers_failed += (uint64_t)failed_count;
  api->m.timer_chunks++;
  api__streams_push(api);
  return 0;
}

int api__timers_fire_due(api_t *api) {
  bool more = true;
  int rc = 0;
  while (more && rc == 0) rc = fire_chunk(api, &more);
  if (rc == 0) timers_arm(api->timers, api__next_due(api));
  return rc;
}

/* Answers every clock request waiting for the due timers (rc 0: all fired). */
static void clock_waiters_reply(api_t *api, int rc) {
  while (api->clock_waiters != NULL) {
    pending_t *p = api->clock_waiters;
    api->clock_waiters = p->next;
    if (rc != 0) {
      api__pending_fail(p, rc, "R-TIME-3", NULL);
    } else {
      /* The time this request set (a later request may have moved it on). */
      int64_t t = timers_now(api->timers);
      char buf[32];
      (void)cal_time_parse(json_string_value(json_object_get(p->body, "now")), &t);
      cal_time_format(t, buf, sizeof(buf));
      api__pending_ok(p, 200, json_pack("{s:s, s:b}", "now", buf, "manual", 1));
    }
    api__pending_reply(api, p);
  }
}

static void fire_idle_cb(uv_idle_t *h) {
  api__timers_step(h->data);
}

void api__timers_step(api_t *api) {
  bool more;
  int rc = fire_chunk(api, &more);
  if (rc != 0) {
    uv_idle_stop(&api->fire_idle);
    clock_waiters_reply(api, rc);
    /* The store refused; try again in a while rather than spin. */
    timers_arm(api->timers, timers_now(api->timers) + 5);
    return;
  }
  if (more) {
    /* The rest fires in the next loop iteration, after the loop has served
     * whatever I/O arrived meanwhile (an active idle handle keeps poll from
     * blocking). */
    uv_idle_start(&api->fire_idle, fire_idle_cb);
    return;
  }
  uv_idle_stop(&api->fire_idle);
  timers_arm(api->timers, api__next_due(api));
  clock_waiters_reply(api, 0);
}

void api__timers_cb(timers_t *t, void *ud) {
  (void)t;
  api__timers_step(ud);
}
