/*
 * access.c -- the access log (NEN 7513): every read and write of case data
 * leaves an entry in the store (store_access.c), in the same group commit
 * as the writes (write_queue.c).
 *
 * A read is answered from its own read transaction as before, but its
 * reply waits for the next group commit, which appends the read's entries
 * together with the batch's writes: a read never causes an fsync of its
 * own, and an answered read is always logged (it survives a crash).  When
 * the log cannot be written the read fails with the store's error rather
 * than leave data unlogged.
 *
 * An entry: {"seq", "time", "actor", "role", "org", "on_behalf_of"?,
 * "case_id", "access", "request_id"}; docs/security.md maps them to
 * NEN 7513 and the Logboek Dataverwerkingen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"
#include "core/log.h"

json_t *api__access_entry(const api_t *api, const auth_actor_t *actor, const http_request_t *req,
                          const char *case_id, const char *what) {
  char now[40];
  json_t *e;
  cal_time_format(timers_now(api->timers), now, sizeof(now));
  e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", now, "actor", actor->id, "role", actor->role,
                "org", actor->org, "case_id", case_id, "access", what, "request_id",
                req != NULL ? req->request_id : "");
  if (e != NULL && actor->on_behalf_of[0] != '\0')
    json_object_set_new(e, "on_behalf_of", json_string(actor->on_behalf_of));
  return e;
}

int api__access_append(api_t *api, store_txn_t *txn, const json_t *entries) {
  size_t i;
  json_t *e;
  int64_t now = timers_now(api->timers);
  json_array_foreach(entries, i, e) {
    int rc = store_access_append(txn, json_string_value(json_object_get(e, "case_id")), now, e, NULL);
    if (rc != 0) return rc;
    api->m.access_entries++;
    api->access_batch++;
  }
  return 0;
}

void api__access_later(api_t *api, json_t *entry) {
  if (entry == NULL) return;
  if (api->access_later == NULL) api->access_later = json_array();
  if (api->access_later == NULL || json_array_append_new(api->access_later, entry) != 0) {
    core_log("error", "an access-log entry was lost: out of memory");
    return;
  }
  uv_idle_start(&api->batch_idle, api__batch_idle_cb);
}

/* Whether the actor may read the case's access log: the case's own
 * casusregisseur (fields.casusregisseur is the actor), or a procesregisseur
 * of the case's gemeente (fields.gemeente is the actor's organisation). */
static bool access_log_allowed(const auth_actor_t *actor, const json_t *case_) {
  const json_t *fields = json_object_get(case_, "fields");
  const char *cr = json_string_value(json_object_get(fields, "casusregisseur"));
  const char *gemeente = json_string_value(json_object_get(fields, "gemeente"));
  if (strcmp(actor->role, "casusregisseur") == 0) return cr != NULL && strcmp(cr, actor->id) == 0;
  if (strcmp(actor->role, "procesregisseur") == 0)
    return gemeente != NULL && strcmp(gemeente, actor->org) == 0;
  return false;
}

/* GET /v1/cases/{id}/access-log?after=SEQ&limit=N: a page of the case's
 * access log, oldest first; "next" is the after of the next page, null at
 * the end.  404 for a case the caller may not see, 403 for one it may see
 * but whose log is not its to read. */
void api__handle_access_log(call_t *c) {
  static const char *const names[] = {"after", "limit"};
  char values[2][API_QUERY_VALUE_BYTES_MAX];
  bool present[2];
  store_txn_t *txn = NULL;
  const engine_chart_t *chart;
  json_t *case_, *entries = NULL, *out;
  uint64_t after = 0, limit = LIMIT_ACCESS_PAGE_ENTRIES_DEFAULT, next = 0;
  int rc;
  if (!api__query_params(c, names, 2, values, present)) return;
  if (present[0] && !api__query_u64(values[0], 0, UINT64_MAX, &after)) {
    http_respond_error(c->req, CASUS_EBAD_REQUEST, "after must be the seq of an access-log entry (a number).",
                       NULL);
    return;
  }
  if (present[1] && !api__query_u64(values[1], 1, LIMIT_ACCESS_PAGE_ENTRIES_MAX, &limit)) {
    char msg[96];
    snprintf(msg, sizeof(msg), "limit must be between 1 and %d.", LIMIT_ACCESS_PAGE_ENTRIES_MAX);
    http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
    return;
  }
  case_ = api__case_open(c, &txn, &chart);
  if (case_ == NULL) return;
  if (!access_log_allowed(c->actor, case_)) {
    store_txn_abort(txn);
    json_decref(case_);
    http_respond_error(
        c->req, CASUS_EFORBIDDEN,
        "Only the case's casusregisseur and the procesregisseur of its gemeente read its access log.",
        "R-AUTH-2");
    return;
  }
  rc = store_access_page(txn, c->param, after, (size_t)limit, &entries, &next);
  store_txn_abort(txn);
  json_decref(case_);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  out = json_pack("{s:s, s:o}", "case_id", c->param, "entries", entries);
  json_object_set_new(out, "next", next > 0 ? json_integer((json_int_t)next) : json_null());
  api__reply_json(c->req, 200, out);
}
