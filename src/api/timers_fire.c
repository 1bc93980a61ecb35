/*
 * timers_fire.c -- durable timers: every timer that came due fires in due
 * order, with the due time as the event's time, so that a timer fires
 * exactly once (its consumption commits with its effects).
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

/* Fires timer `name` of case_ (borrowed) at its due time and stores the
 * result inside txn.  *after (may be NULL) receives the new case. */
static int timer_fire_case(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                           const char *name, int64_t due, json_t **after) {
  engine_ctx_t ctx;
  engine_result_t res;
  int rc;
  ctx.chart = chart;
  ctx.cal = api__calendar_of_case(api, case_);
  ctx.now_s = due; /* the event happens when the timer was due, however late we are */
  rc = engine_timer_fire(&ctx, case_, name, &res);
  if (rc == 0) rc = api__result_store(api, txn, chart, &res, false, due);
  if (rc == 0 && after != NULL) *after = json_incref(res.case_);
  engine_result_clear(&res);
  return rc;
}

/* Fires one due timer, named by its index entry, inside txn. */
static int timer_fire_one(api_t *api, store_txn_t *txn, int64_t due, const char *case_id, const char *name) {
  json_t *case_ = NULL, *t;
  const engine_chart_t *chart;
  int rc = store_case_get(txn, case_id, &case_);
  if (rc != 0) return rc;
  chart = api__chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  t = json_object_get(json_object_get(case_, "timers"), name);
  if (chart == NULL || t == NULL || json_integer_value(json_object_get(t, "due_s")) != due) {
    /* The index entry names no timer of the case (it cannot while
     * store_case_put keeps the index), or the case's chart is not loaded:
     * drop the entry, not the case's timer, rather than loop on it. */
    if (chart == NULL)
      api__log("timer %s of case %s cannot fire: its chart %s is not loaded; index entry dropped", name,
               case_id, json_string_value(json_object_get(case_, "chart")));
    else
      api__log("timer %s of case %s does not match its index entry; entry dropped", name, case_id);
    json_decref(case_);
    return store_timer_drop(txn, due, case_id, name);
  }
  rc = timer_fire_case(api, txn, chart, case_, name, due, NULL);
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
    int rc;
    json_object_foreach(json_object_get(*case_, "timers"), name, t) {
      int64_t due = json_integer_value(json_object_get(t, "due_s"));
      if (due <= now && (first == NULL || due < first_due || (due == first_due && strcmp(name, first) < 0))) {
        first = name;
        first_due = due;
      }
    }
    if (first == NULL) return 0;
    rc = timer_fire_case(api, txn, chart, *case_, first, first_due, &after);
    if (rc != 0) return rc;
    json_decref(*case_);
    *case_ = after;
    api->m.timers_fired++;
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
  int fired = 0, rc;
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
    if (rc == 0 && (fired >= LIMIT_TIMER_FIRES_PER_CHUNK_MAX ||
                    uv_hrtime() - started_ns >= (uint64_t)LIMIT_TIMER_CHUNK_US_MAX * 1000)) {
      *more = true;
      break;
    }
    if (rc == 0) rc = timer_fire_one(api, txn, due, case_id, name);
    if (rc != 0) break;
    fired++;
  }
  if (rc != 0) {
    store_txn_abort(txn);
    api->inbox_changed = false;
    api__log("firing timers failed: %s", core_err_message(rc));
    return rc;
  }
  rc = store_txn_commit(txn);
  if (rc != 0) {
    api->inbox_changed = false;
    api__log("committing fired timers failed: %s", core_err_message(rc));
    return rc;
  }
  api->m.timers_fired += (uint64_t)fired;
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
