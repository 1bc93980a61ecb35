/*
 * reads.c -- read handlers: each answers at once from its own read
 * transaction, never waiting for the write queue.
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

void api__handle_healthz(call_t *c) {
  (void)c->api;
  api__reply_json(c->req, 200, json_pack("{s:s}", "status", "ok"));
}

/* Begins a read transaction (*txn, for the caller to end) and reads the
 * case of the path when the caller may see it.  Otherwise replies itself
 * (404 as for an unknown id, R-AUTH-2; 500 store_corrupt when the case is
 * damaged and filed under the caller's scopes; or the store's error), ends
 * the transaction and returns NULL. */
static json_t *case_open(call_t *c, store_txn_t **txn, const engine_chart_t **chart) {
  json_t *case_ = NULL;
  int rc = store_txn_begin(c->api->store, false, txn);
  if (rc == 0) rc = store_case_get(*txn, c->param, &case_);
  /* One damaged case is unavailable, to those who may see it (500), and as
   * unknown as ever to others (404). */
  if (rc == CASUS_ESTORE_CORRUPT && *txn != NULL) rc = api__case_damaged(c->api, *txn, c->actor, c->param);
  if (rc != 0) {
    if (*txn != NULL) store_txn_abort(*txn);
    *txn = NULL;
    http_respond_error(c->req, rc, rc == CASUS_ESTORE_CORRUPT ? API_CASE_DAMAGED_MESSAGE : NULL,
                       rc == CASUS_ENOT_FOUND ? "R-AUTH-2" : NULL);
    return NULL;
  }
  *chart = api__chart_by_ref(c->api, json_string_value(json_object_get(case_, "chart")));
  if (*chart == NULL || !auth_case_visible(*chart, c->actor, case_)) {
    json_decref(case_);
    store_txn_abort(*txn);
    *txn = NULL;
    http_respond_error(c->req, CASUS_ENOT_FOUND, NULL, "R-AUTH-2");
    return NULL;
  }
  return case_;
}

void api__handle_case_get(call_t *c) {
  store_txn_t *txn = NULL;
  const engine_chart_t *chart;
  json_t *case_ = case_open(c, &txn, &chart);
  if (case_ == NULL) return;
  store_txn_abort(txn);
  api__reply_json(c->req, 200, api__case_view(c->api, chart, case_, c->actor, NULL));
  json_decref(case_);
}

void api__handle_history(call_t *c) {
  store_txn_t *txn = NULL;
  const engine_chart_t *chart;
  json_t *case_ = case_open(c, &txn, &chart), *entries = NULL, *e;
  size_t i;
  int rc;
  if (case_ == NULL) return;
  rc = store_history_list(txn, c->param, LIMIT_HISTORY_ENTRIES_MAX, &entries);
  store_txn_abort(txn);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
  } else {
    if (auth_case_anonymised(chart, c->actor, case_)) {
      json_array_foreach(entries, i, e) {
        api__anonymise_fields(c->api, chart, json_object_get(e, "data"), json_object_get(case_, "fields"),
                              c->param, timers_now(c->api->timers), api__birthdate_of(chart, case_));
      }
    }
    api__reply_json(c->req, 200, json_pack("{s:s, s:o}", "case_id", c->param, "entries", entries));
  }
  json_decref(case_);
}

void api__handle_inbox(call_t *c) {
  char rec[2][AUTH_RECIPIENT_BYTES_MAX], after[32];
  const char *recs[2] = {rec[0], rec[1]};
  store_txn_t *txn = NULL;
  json_t *items = NULL;
  uint64_t after_seq = 0;
  int rc;
  auth_recipients_of(c->actor, rec);
  if (api__query_get(c->req->query, "after", after, sizeof(after))) after_seq = strtoull(after, NULL, 10);
  rc = store_txn_begin(c->api->store, false, &txn);
  if (rc == 0) rc = store_inbox_list(txn, recs, 2, after_seq, LIMIT_INBOX_ITEMS_MAX, &items);
  if (txn) store_txn_abort(txn);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  api__reply_json(c->req, 200, json_pack("{s:o}", "items", items));
}
