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
json_t *api__case_open(call_t *c, store_txn_t **txn, const engine_chart_t **chart) {
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
  json_t *case_ = api__case_open(c, &txn, &chart);
  if (case_ == NULL) return;
  store_txn_abort(txn);
  api__access_reply(c, 200, api__case_view(c->api, chart, case_, c->actor, NULL),
                    json_pack("[o]", api__access_entry(c->api, c->actor, c->req, c->param, "view")));
  json_decref(case_);
}

/* A history page's reply stays far below the server's cap: its entries'
 * stored bytes are at most LIMIT_HISTORY_PAGE_BYTES_MAX, or one entry (at
 * most about a request body), and anonymising adds a few dozen bytes to each. */
_Static_assert(LIMIT_HISTORY_PAGE_BYTES_MAX + 2 * LIMIT_BODY_BYTES_MAX +
                       LIMIT_HISTORY_PAGE_ENTRIES_MAX * 256 <
                   LIMIT_RESPONSE_BYTES_MAX,
               "a history page must fit in a reply");

/* GET /v1/cases/{id}/history?after=SEQ&limit=N: one page of the chain,
 * entries with seq > after in order, at most limit (default and maximum in
 * limits.h) and no more than LIMIT_HISTORY_PAGE_BYTES_MAX of stored entries;
 * "next" is the after of the next page, null at the end. */
void api__handle_history(call_t *c) {
  static const char *const names[] = {"after", "limit"};
  char values[2][API_QUERY_VALUE_BYTES_MAX];
  bool present[2];
  store_txn_t *txn = NULL;
  const engine_chart_t *chart;
  json_t *case_, *entries = NULL, *e, *out;
  uint64_t after = 0, limit = LIMIT_HISTORY_PAGE_ENTRIES_DEFAULT, next = 0;
  size_t i;
  int rc;
  if (!api__query_params(c, names, 2, values, present)) return;
  if (present[0] && !api__query_u64(values[0], 0, UINT64_MAX, &after)) {
    http_respond_error(c->req, CASUS_EBAD_REQUEST, "after must be the seq of a history entry (a number).",
                       NULL);
    return;
  }
  if (present[1] && !api__query_u64(values[1], 1, LIMIT_HISTORY_PAGE_ENTRIES_MAX, &limit)) {
    char msg[96];
    snprintf(msg, sizeof(msg), "limit must be between 1 and %d.", LIMIT_HISTORY_PAGE_ENTRIES_MAX);
    http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
    return;
  }
  case_ = api__case_open(c, &txn, &chart);
  if (case_ == NULL) return;
  rc = store_history_page(txn, c->param, after, (size_t)limit, LIMIT_HISTORY_PAGE_BYTES_MAX, &entries, &next);
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
    /* R-PRIV-1: the free text of every entry's data, as in the case view. */
    if (auth_case_withholds_free_text(chart, c->actor)) {
      json_array_foreach(entries, i, e) {
        api__withhold_free_text(chart, json_object_get(e, "data"));
      }
    }
    out = json_pack("{s:s, s:o}", "case_id", c->param, "entries", entries);
    json_object_set_new(out, "next", next > 0 ? json_integer((json_int_t)next) : json_null());
    api__access_reply(c, 200, out,
                      json_pack("[o]", api__access_entry(c->api, c->actor, c->req, c->param, "history")));
  }
  json_decref(case_);
}

/* GET /v1/inbox?kind=task|notification&cursor=C&limit=N&after=SEQ: open
 * tasks first, then unread notifications younger than
 * LIMIT_NOTIFICATION_AGE_DAYS, each newest first; "next_cursor" continues,
 * null at the end.  after=SEQ keeps only items newer than SEQ. */
void api__handle_inbox(call_t *c) {
  static const char *const names[] = {"kind", "cursor", "limit", "after"};
  char values[4][API_QUERY_VALUE_BYTES_MAX];
  bool present[4];
  char rec[2][AUTH_RECIPIENT_BYTES_MAX], next[STORE_INBOX_CURSOR_BYTES_MAX];
  const char *recs[2] = {rec[0], rec[1]};
  store_inbox_query_t q;
  store_txn_t *txn = NULL;
  json_t *items = NULL, *out;
  uint64_t limit = LIMIT_INBOX_PAGE_ITEMS_DEFAULT;
  int rc;
  if (!api__query_params(c, names, 4, values, present)) return;
  memset(&q, 0, sizeof(q));
  q.tasks = q.notifications = true;
  if (present[0]) {
    if (strcmp(values[0], "task") == 0) {
      q.notifications = false;
    } else if (strcmp(values[0], "notification") == 0) {
      q.tasks = false;
    } else {
      http_respond_error(c->req, CASUS_EBAD_REQUEST, "kind must be task or notification.", NULL);
      return;
    }
  }
  if (present[2] && !api__query_u64(values[2], 1, LIMIT_INBOX_ITEMS_MAX, &limit)) {
    char msg[96];
    snprintf(msg, sizeof(msg), "limit must be between 1 and %d.", LIMIT_INBOX_ITEMS_MAX);
    http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
    return;
  }
  if (present[3] && !api__query_u64(values[3], 0, UINT64_MAX, &q.after_seq)) {
    http_respond_error(c->req, CASUS_EBAD_REQUEST, "after must be the seq of an inbox item (a number).",
                       NULL);
    return;
  }
  auth_recipients_of(c->actor, rec);
  q.recipients = recs;
  q.recipients_count = 2;
  /* Listed while younger than LIMIT_NOTIFICATION_AGE_DAYS. */
  q.notifications_since_s = timers_now(c->api->timers) - (int64_t)LIMIT_NOTIFICATION_AGE_DAYS * 24 * 3600 + 1;
  q.cursor = present[1] ? values[1] : NULL;
  q.limit = (size_t)limit;
  q.examine_max = LIMIT_INBOX_EXAMINE_MAX;
  rc = store_txn_begin(c->api->store, false, &txn);
  if (rc == 0) rc = store_inbox_page(txn, &q, &items, next, sizeof(next));
  if (txn) store_txn_abort(txn);
  if (rc != 0) {
    http_respond_error(c->req, rc,
                       rc == CASUS_EBAD_REQUEST ? "The cursor does not belong to this query." : NULL, NULL);
    return;
  }
  out = json_pack("{s:o}", "items", items);
  json_object_set_new(out, "next_cursor", next[0] ? json_string(next) : json_null());
  api__reply_json(c->req, 200, out);
}
