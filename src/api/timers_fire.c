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

/* Fires one due timer inside txn. */
static int timer_fire_one(api_t *api, store_txn_t *txn, int64_t due, const char *case_id, const char *name) {
  json_t *case_ = NULL, *t;
  const engine_chart_t *chart;
  engine_ctx_t ctx;
  engine_result_t res;
  int rc = store_case_get(txn, case_id, &case_);
  if (rc != 0) return rc;
  chart = api__chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  t = json_object_get(json_object_get(case_, "timers"), name);
  if (chart == NULL || t == NULL || json_integer_value(json_object_get(t, "due_s")) != due) {
    /* Cannot happen while store_case_put keeps the index; drop the timer rather than loop on it. */
    api__log("timer %s of case %s does not match its index entry; dropped", name, case_id);
    json_object_del(json_object_get(case_, "timers"), name);
    rc = api__case_put(txn, case_);
    json_decref(case_);
    return rc;
  }
  ctx.chart = chart;
  ctx.cal = api__calendar_of_case(api, case_);
  ctx.now_s = due; /* the event happens when the timer was due, however late we are */
  rc = engine_timer_fire(&ctx, case_, name, &res);
  json_decref(case_);
  if (rc == 0) rc = api__result_store(api, txn, chart, &res, due);
  engine_result_clear(&res);
  return rc;
}

/* Fires every timer due at the clock's now, in due order, in transactions
 * of at most LIMIT_TIMER_FIRES_PER_TICK_MAX.  Returns 0 or a store error. */
int api__timers_fire_due(api_t *api) {
  int64_t now = timers_now(api->timers);
  for (;;) {
    store_txn_t *txn;
    int fired = 0, rc;
    rc = store_txn_begin(api->store, true, &txn);
    if (rc != 0) return rc;
    while (fired < LIMIT_TIMER_FIRES_PER_TICK_MAX) {
      int64_t due;
      char case_id[LIMIT_ID_BYTES_MAX], name[LIMIT_ID_BYTES_MAX];
      rc = store_timer_first(txn, &due, case_id, sizeof(case_id), name, sizeof(name));
      if (rc == CASUS_ENOT_FOUND || (rc == 0 && due > now)) {
        rc = 0;
        break;
      }
      if (rc == 0) rc = timer_fire_one(api, txn, due, case_id, name);
      if (rc != 0) break;
      fired++;
      api->m.timers_fired++;
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
    api__streams_push(api);
    if (fired < LIMIT_TIMER_FIRES_PER_TICK_MAX) break;
  }
  timers_arm(api->timers, api__next_due(api));
  return 0;
}

void api__timers_cb(timers_t *t, void *ud) {
  api_t *api = ud;
  (void)t;
  if (api__timers_fire_due(api) != 0) {
    /* The store refused; try again in a while rather than spin. */
    timers_arm(api->timers, timers_now(api->timers) + 5);
  }
}
