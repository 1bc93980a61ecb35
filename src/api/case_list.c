/*
 * case_list.c -- GET /v1/cases: a page of the cases the caller may see.
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

typedef struct {
  call_t *c;
  const char *status;
  json_t *items;
  size_t limit;
  bool more;
} list_ctx_t;

static int list_fn(const json_t *case_, void *ud) {
  list_ctx_t *l = ud;
  const engine_chart_t *chart =
      api__chart_by_ref(l->c->api, json_string_value(json_object_get(case_, "chart")));
  if (chart == NULL || !auth_case_visible(chart, l->c->actor, case_)) return 0;
  if (l->status) {
    const char *st = json_string_value(json_object_get(case_, "status"));
    if (st == NULL || strcmp(st, l->status) != 0) return 0;
  }
  if (json_array_size(l->items) >= l->limit) {
    l->more = true;
    return 1;
  }
  json_array_append_new(l->items, api__case_view(l->c->api, chart, case_, l->c->actor, NULL));
  return 0;
}

void api__handle_case_list(call_t *c) {
  store_txn_t *txn;
  char status[LIMIT_ID_BYTES_MAX], cursor[LIMIT_ID_BYTES_MAX], limit[16];
  list_ctx_t l;
  json_t *out;
  int rc;
  memset(&l, 0, sizeof(l));
  l.c = c;
  l.limit = LIMIT_PAGE_CASES_DEFAULT;
  if (api__query_get(c->req->query, "status", status, sizeof(status))) l.status = status;
  if (!api__query_get(c->req->query, "cursor", cursor, sizeof(cursor))) cursor[0] = '\0';
  if (api__query_get(c->req->query, "limit", limit, sizeof(limit))) {
    long n = strtol(limit, NULL, 10);
    if (n < 1 || n > LIMIT_PAGE_CASES_MAX) {
      http_respond_error(c->req, CASUS_EBAD_REQUEST, "limit must be between 1 and 100.", NULL);
      return;
    }
    l.limit = (size_t)n;
  }
  rc = store_txn_begin(c->api->store, false, &txn);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  l.items = json_array();
  rc = store_case_scan(txn, cursor, list_fn, &l);
  store_txn_abort(txn);
  if (rc != 0) {
    json_decref(l.items);
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  out = json_object();
  if (l.more && json_array_size(l.items) > 0)
    json_object_set(out, "next_cursor",
                    json_object_get(json_array_get(l.items, json_array_size(l.items) - 1), "id"));
  else
    json_object_set_new(out, "next_cursor", json_null());
  json_object_set_new(out, "cases", l.items);
  api__reply_json(c->req, 200, out);
}
