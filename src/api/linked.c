/*
 * linked.c -- the other open cases of the same jeugdige, as the chart's
 * "linked_cases" declaration says (ZC; DOMAIN 4.3: zorgcoördinatie only
 * for an aanbieder that is deployed for another product of the client):
 *
 *   "linked_cases": {"by": ["jeugdige.bsn", "gezin"], "events": ["toewijzen"],
 *                    "where": {"path": "case.status", "in": ["toegewezen", "in_zorg"]},
 *                    "as": "gekoppeld", "collect": {"aanbieders": "aanbieder"}}
 *
 * The engine decides one case at a time; what holds across cases is the
 * server's to supply.  A case is filed under one more index key per "by"
 * path, "l:<path>=<value>" (the gezin's field uses the gezin's own key,
 * gezin.c), so linked cases are found from the index, never by a scan.
 * For an event of "events" the server gives the engine the root member
 * "as": {"<name>": [the distinct string values at the path "collect"
 * names, of each other open case linked by any "by" path, that the actor
 * may see (R-AUTH-2) and on which "where" holds, evaluated with that
 * case's own chart]}.  The rule stays in the chart: a guard reads the
 * list ({"path": "data.aanbieder", "in": {"path": "gekoppeld.aanbieders"}}).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"

static const json_t *linked_decl(const engine_chart_t *chart) {
  return json_object_get(engine_chart_json(chart), "linked_cases");
}

bool api__linked_scope(const engine_chart_t *chart, const json_t *fields, const char *path, char *out,
                       size_t size) {
  const char *gezin_field =
      json_string_value(json_object_get(json_object_get(engine_chart_json(chart), "gezin"), "field"));
  const char *v;
  int n;
  if (gezin_field != NULL && strcmp(path, gezin_field) == 0)
    return api__gezin_scope(chart, fields, out, size);
  v = json_string_value(engine_path_get(fields, path));
  if (v == NULL || v[0] == '\0') return false;
  n = snprintf(out, size, "l:%s=%s", path, v);
  return n > 0 && (size_t)n < size;
}

size_t api__linked_scopes_count(const engine_chart_t *chart) {
  const json_t *g = linked_decl(chart);
  const char *gezin_field =
      json_string_value(json_object_get(json_object_get(engine_chart_json(chart), "gezin"), "field"));
  size_t i, n = 0;
  json_t *p;
  json_array_foreach(json_object_get(g, "by"), i, p) {
    if (gezin_field == NULL || strcmp(json_string_value(p), gezin_field) != 0) n++;
  }
  return n;
}

typedef struct {
  api_t *api;
  const auth_actor_t *actor;
  const json_t *decl;
  const char *self;
  int64_t now_s;
  json_t *seen;  /* case ids already looked at */
  json_t *lists; /* {"<name>": [values]} */
  int rc;
} linked_t;

static void list_add(json_t *list, const json_t *v) {
  size_t i;
  json_t *x;
  if (!json_is_string(v)) return;
  json_array_foreach(list, i, x) {
    if (json_equal(x, (json_t *)v)) return;
  }
  json_array_append(list, (json_t *)v);
}

static int linked_fn(const json_t *case_, void *ud) {
  linked_t *l = ud;
  const char *id = json_string_value(json_object_get(case_, "id")), *name;
  const engine_chart_t *sc;
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  json_t *path;
  if (id == NULL || strcmp(id, l->self) == 0 || json_object_get(l->seen, id) != NULL) return 0;
  if (json_object_set_new(l->seen, id, json_true()) != 0) return CASUS_ENOMEM;
  if (json_is_true(json_object_get(case_, "closed"))) return 0;
  sc = api__chart_by_ref(l->api, json_string_value(json_object_get(case_, "chart")));
  if (sc == NULL || !auth_case_visible(sc, l->actor, case_)) return 0;
  ctx.chart = sc;
  ctx.cal = api__calendar_of_case(l->api, case_);
  ctx.now_s = l->now_s;
  ctx.extra = NULL;
  if (json_object_get(l->decl, "where") != NULL &&
      !engine_case_cond_eval(&ctx, case_, NULL, NULL, NULL, json_object_get(l->decl, "where")))
    return 0;
  json_object_foreach((json_t *)json_object_get(l->decl, "collect"), name, path) {
    list_add(json_object_get(l->lists, name),
             engine_path_get(json_object_get(case_, "fields"), json_string_value(path)));
  }
  return 0;
}

int api__linked_context(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                        const char *event, const auth_actor_t *actor, json_t **out) {
  const json_t *g = linked_decl(chart);
  const char *name;
  bool wanted = false;
  linked_t l;
  size_t i;
  json_t *e, *path;
  int rc = 0;
  *out = NULL;
  json_array_foreach(json_object_get(g, "events"), i, e) {
    if (strcmp(json_string_value(e), event) == 0) wanted = true;
  }
  if (!wanted) return 0;
  memset(&l, 0, sizeof(l));
  l.api = api;
  l.actor = actor;
  l.decl = g;
  l.self = json_string_value(json_object_get(case_, "id"));
  l.now_s = timers_now(api->timers);
  l.seen = json_object();
  l.lists = json_object();
  if (l.seen == NULL || l.lists == NULL) rc = CASUS_ENOMEM;
  json_object_foreach((json_t *)json_object_get(g, "collect"), name, path) {
    if (rc == 0 && json_object_set_new(l.lists, name, json_array()) != 0) rc = CASUS_ENOMEM;
  }
  json_array_foreach(json_object_get(g, "by"), i, path) {
    char scope[API_SCOPE_BYTES_MAX], next[STORE_CURSOR_BYTES_MAX];
    const char *scopes[1] = {scope};
    store_query_t q;
    if (rc != 0) break;
    if (!api__linked_scope(chart, json_object_get(case_, "fields"), json_string_value(path), scope,
                           sizeof(scope)))
      continue;
    memset(&q, 0, sizeof(q));
    q.scopes = scopes;
    q.scopes_count = 1;
    q.deadline_before_s = STORE_TIME_NONE;
    q.updated_after_s = STORE_TIME_NONE;
    q.limit = LIMIT_GEZIN_CASES_MAX + 1;
    q.examine_max = 4 * (LIMIT_GEZIN_CASES_MAX + 1) + 16;
    next[0] = '\0';
    rc = store_case_query(txn, &q, linked_fn, &l, next, sizeof(next));
  }
  if (rc == 0) {
    *out = json_object();
    if (*out == NULL || json_object_set(*out, json_string_value(json_object_get(g, "as")), l.lists) != 0)
      rc = CASUS_ENOMEM;
  }
  if (rc != 0) {
    json_decref(*out);
    *out = NULL;
  }
  json_decref(l.seen);
  json_decref(l.lists);
  return rc;
}
