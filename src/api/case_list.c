/*
 * case_list.c -- GET /v1/cases: a page of the cases the caller may see,
 * served from the store's indexes, never by a scan.
 *
 * Query parameters (each at most once; any other is 400):
 *   status, flag                  the case's status, one of its flags
 *   <name> of a chart's "index"   e.g. aanbieder, casusregisseur, gemeente
 *   overdue=true                  the earliest open deadline's day is before today
 *   deadline_before=YYYY-MM-DD    the earliest open deadline's day is before that day
 *   updated_after=RFC3339         changed after that instant ('+' is literal, or %2B)
 *   cursor, limit                 paging (1..LIMIT_PAGE_CASES_MAX, default LIMIT_PAGE_CASES_DEFAULT)
 * Every filter is combinable.  One request looks at no more than
 * LIMIT_LIST_EXAMINE_MAX index entries; a page may then hold fewer cases
 * than asked for, with a next_cursor to go on from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"

typedef struct {
  call_t *c;
  json_t *items;
  json_t *access; /* the access-log entries, one per case listed */
} list_ctx_t;

static int list_fn(const json_t *case_, void *ud) {
  list_ctx_t *l = ud;
  const engine_chart_t *chart =
      api__chart_by_ref(l->c->api, json_string_value(json_object_get(case_, "chart")));
  /* The index scoped the query; this is the pair assertion on the way out. */
  if (chart == NULL || !auth_case_visible(chart, l->c->actor, case_)) return 0;
  json_array_append_new(l->items, api__case_view(l->c->api, chart, case_, l->c->actor, NULL));
  /* NEN 7513: one access-log entry per case returned. */
  json_array_append_new(l->access,
                        api__access_entry(l->c->api, l->c->actor, l->c->req,
                                          json_string_value(json_object_get(case_, "id")), "list"));
  return 0;
}

/* Whether some loaded chart declares list filter `name` in its "index". */
static bool index_filter_known(const api_t *api, const char *name) {
  int i;
  for (i = 0; i < api->charts_count; i++)
    if (json_object_get(engine_chart_index(api->charts[i]), name) != NULL) return true;
  return false;
}

static void bad_request(call_t *c, const char *fmt, const char *arg) {
  char msg[256];
  snprintf(msg, sizeof(msg), fmt, arg);
  http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
}

void api__handle_case_list(call_t *c) {
  char scope_buf[STORE_SCOPES_MAX][API_SCOPE_BYTES_MAX];
  const char *scopes[STORE_SCOPES_MAX];
  api_query_param_t params[LIMIT_LIST_PARAMS_MAX];
  char next[STORE_CURSOR_BYTES_MAX];
  const char *cursor = NULL;
  store_query_t q;
  store_txn_t *txn;
  list_ctx_t l;
  size_t count = 0, i;
  json_t *out;
  int rc;
  memset(&q, 0, sizeof(q));
  q.deadline_before_s = STORE_TIME_NONE;
  q.updated_after_s = STORE_TIME_NONE;
  q.limit = LIMIT_PAGE_CASES_DEFAULT;
  q.examine_max = LIMIT_LIST_EXAMINE_MAX;
  if (!api__query_parse(c, params, LIMIT_LIST_PARAMS_MAX, &count)) return;
  for (i = 0; i < count; i++) {
    const char *name = params[i].name, *value = params[i].value;
    if (strcmp(name, "cursor") == 0) {
      cursor = value;
    } else if (strcmp(name, "limit") == 0) {
      char *end;
      long n = strtol(value, &end, 10);
      if (*end != '\0' || n < 1 || n > LIMIT_PAGE_CASES_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "limit must be between 1 and %d.", LIMIT_PAGE_CASES_MAX);
        http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
        return;
      }
      q.limit = (size_t)n;
    } else if (strcmp(name, "overdue") == 0) {
      if (strcmp(value, "true") != 0) {
        bad_request(c, "overdue takes only the value true, not \"%.64s\".", value);
        return;
      }
      q.deadline_before_s = cal_local_midnight(cal_local_day(timers_now(c->api->timers)));
    } else if (strcmp(name, "deadline_before") == 0) {
      cal_day_t d;
      int64_t s;
      if (cal_day_parse(value, &d) != 0) {
        bad_request(c, "deadline_before must be a date YYYY-MM-DD, not \"%.64s\".", value);
        return;
      }
      s = cal_local_midnight(d);
      /* With overdue as well, the earlier bound holds. */
      if (q.deadline_before_s == STORE_TIME_NONE || s < q.deadline_before_s) q.deadline_before_s = s;
    } else if (strcmp(name, "updated_after") == 0) {
      if (cal_time_parse(value, &q.updated_after_s) != 0) {
        bad_request(c, "updated_after must be an RFC 3339 time, not \"%.64s\".", value);
        return;
      }
    } else if (strcmp(name, "status") == 0 || strcmp(name, "flag") == 0 || index_filter_known(c->api, name)) {
      if (q.eq_count >= sizeof(q.eq) / sizeof(q.eq[0])) {
        http_respond_error(c->req, CASUS_EBAD_REQUEST, "Too many filters.", NULL);
        return;
      }
      q.eq[q.eq_count++] = (store_attr_t){name, value};
    } else {
      bad_request(c, "Unknown query parameter \"%.64s\".", name);
      return;
    }
  }
  /* R-AUTH-2: the caller's scopes; a role that sees no cases gets none. */
  q.scopes_count = api__actor_scopes(c->api, c->actor, scopes, scope_buf);
  q.scopes = scopes;
  q.cursor = cursor;
  l.c = c;
  l.items = json_array();
  l.access = json_array();
  next[0] = '\0';
  if (q.scopes_count > 0) {
    rc = store_txn_begin(c->api->store, false, &txn);
    if (rc == 0) {
      rc = store_case_query(txn, &q, list_fn, &l, next, sizeof(next));
      store_txn_abort(txn);
    }
    if (rc != 0) {
      json_decref(l.items);
      json_decref(l.access);
      http_respond_error(c->req, rc,
                         rc == CASUS_EBAD_REQUEST ? "The cursor does not belong to this query." : NULL, NULL);
      return;
    }
  }
  out = json_object();
  json_object_set_new(out, "cases", l.items);
  json_object_set_new(out, "next_cursor", next[0] ? json_string(next) : json_null());
  api__access_reply(c, 200, out, l.access);
}
