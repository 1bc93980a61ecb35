/*
 * gezin.c -- cases linked to one gezin (R-AUTH-3 "1 gezin, 1 plan, 1
 * casusregisseur"; DOMAIN 4.3), as the chart's "gezin" declaration says:
 *
 *   "gezin": {"field": "gezin", "within": "gemeente",
 *             "shared_fields": ["casusregisseur"],
 *             "events": ["casusregisseur_wijzigen"]}
 *
 * A case names its gezin in the case field "field"; gezin ids are local to
 * the value of "within" (two gemeenten may both have a gezin "G-1").  The
 * gezin's cases are filed under one more visibility-like key,
 * "g:<field>=<within value>/<gezin id>", so that they are found from the
 * index, never by a scan, and whoever asks.
 *
 *   - Joining (create): a new case takes the gezin's shared fields (its
 *     casusregisseur) when it names none, and is refused (422) when it names
 *     another; the caller must see every open case of the gezin (403
 *     otherwise: a gezin is not a way into another's cases).
 *   - An event of "events" accepted on one case is applied, in the same
 *     write transaction, to every other open case of the gezin: each gets
 *     its own history entry (with "gezin": {"id", "via"}), the same data
 *     and actor.  A sibling that refuses it fails the whole request, so the
 *     gezin never ends up with two casusregisseurs; one that already holds
 *     the shared values is left as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"

static const json_t *gezin_decl(const engine_chart_t *chart) {
  return json_object_get(engine_chart_json(chart), "gezin");
}

bool api__gezin_scope(const engine_chart_t *chart, const json_t *fields, char *out, size_t size) {
  const json_t *g = gezin_decl(chart);
  const char *field = json_string_value(json_object_get(g, "field")),
             *within = json_string_value(json_object_get(g, "within"));
  const char *id, *in;
  int n;
  if (field == NULL || within == NULL) return false;
  id = json_string_value(json_object_get(fields, field));
  in = json_string_value(json_object_get(fields, within));
  if (id == NULL || in == NULL) return false;
  n = snprintf(out, size, "g:%s=%s/%s", field, in, id);
  return n > 0 && (size_t)n < size;
}

typedef struct {
  json_t *cases;
} collect_t;

static int collect_fn(const json_t *case_, void *ud) {
  collect_t *c = ud;
  return json_array_append((json_t *)c->cases, (json_t *)case_) == 0 ? 0 : CASUS_ENOMEM;
}

/* The cases of the gezin named by fields (the gezin's scope), at most
 * LIMIT_GEZIN_CASES_MAX + 1, into *out (new reference; empty when the chart
 * has no gezin or fields name none).  0 or a store error. */
static int gezin_cases(store_txn_t *txn, const engine_chart_t *chart, const json_t *fields, json_t **out) {
  char scope[API_SCOPE_BYTES_MAX], next[STORE_CURSOR_BYTES_MAX];
  const char *scopes[1] = {scope};
  store_query_t q;
  collect_t c;
  int rc;
  *out = json_array();
  if (*out == NULL) return CASUS_ENOMEM;
  if (!api__gezin_scope(chart, fields, scope, sizeof(scope))) return 0;
  memset(&q, 0, sizeof(q));
  q.scopes = scopes;
  q.scopes_count = 1;
  q.deadline_before_s = STORE_TIME_NONE;
  q.updated_after_s = STORE_TIME_NONE;
  q.limit = LIMIT_GEZIN_CASES_MAX + 1;
  /* One index entry and one casemeta read per case, with room to spare. */
  q.examine_max = 4 * (LIMIT_GEZIN_CASES_MAX + 1) + 16;
  c.cases = *out;
  next[0] = '\0';
  rc = store_case_query(txn, &q, collect_fn, &c, next, sizeof(next));
  if (rc != 0) {
    json_decref(*out);
    *out = NULL;
  }
  return rc;
}

int api__gezin_join(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const auth_actor_t *actor,
                    json_t *data, const char **rule, char *msg, size_t msg_size) {
  const json_t *g = gezin_decl(chart), *shared = json_object_get(g, "shared_fields");
  json_t *cases = NULL, *sib, *f;
  size_t i, k;
  int rc;
  *rule = NULL;
  rc = gezin_cases(txn, chart, data, &cases);
  if (rc != 0) return rc;
  if (json_array_size(cases) >= LIMIT_GEZIN_CASES_MAX) {
    *rule = "R-AUTH-3";
    snprintf(msg, msg_size, "A gezin holds at most %d cases.", LIMIT_GEZIN_CASES_MAX);
    json_decref(cases);
    return CASUS_EINVALID_DATA;
  }
  json_array_foreach(cases, i, sib) {
    const engine_chart_t *sc = api__chart_by_ref(api, json_string_value(json_object_get(sib, "chart")));
    if (json_is_true(json_object_get(sib, "closed"))) continue;
    if (sc == NULL || !auth_case_visible(sc, actor, sib)) {
      *rule = "R-AUTH-2";
      snprintf(msg, msg_size, "This gezin holds cases you may not see; you cannot link a case to it.");
      json_decref(cases);
      return CASUS_EFORBIDDEN;
    }
    json_array_foreach(shared, k, f) {
      const char *name = json_string_value(f);
      const json_t *theirs = json_object_get(json_object_get(sib, "fields"), name),
                   *mine = json_object_get(data, name);
      if (theirs == NULL || json_is_null(theirs)) continue;
      if (mine == NULL) {
        json_object_set(data, name, (json_t *)theirs);
      } else if (!json_equal(mine, (json_t *)theirs)) {
        *rule = json_string_value(json_object_get(g, "rule")) ? json_string_value(json_object_get(g, "rule"))
                                                              : "R-AUTH-3";
        snprintf(msg, msg_size,
                 "The cases of one gezin share their \"%s\" (%s); name that one, or change it for the whole "
                 "gezin.",
                 name, json_is_string(theirs) ? json_string_value(theirs) : "set");
        json_decref(cases);
        return CASUS_EINVALID_DATA;
      }
    }
  }
  json_decref(cases);
  return 0;
}

bool api__gezin_event(const engine_chart_t *chart, const json_t *case_, const char *event) {
  const json_t *g = gezin_decl(chart);
  const char *field = json_string_value(json_object_get(g, "field"));
  size_t i;
  json_t *e;
  if (field == NULL || json_object_get(json_object_get(case_, "fields"), field) == NULL) return false;
  json_array_foreach(json_object_get(g, "events"), i, e) {
    if (strcmp(json_string_value(e), event) == 0) return true;
  }
  return false;
}

/* Whether sib already holds every shared field as case_ now does. */
static bool shares_all(const json_t *g, const json_t *case_, const json_t *sib) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(g, "shared_fields"), i, f) {
    const json_t *a = json_object_get(json_object_get(case_, "fields"), json_string_value(f)),
                 *b = json_object_get(json_object_get(sib, "fields"), json_string_value(f));
    if (a == NULL ? b != NULL : (b == NULL || !json_equal((json_t *)a, (json_t *)b))) return false;
  }
  return true;
}

int api__gezin_apply(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                     const char *event, const json_t *data, const auth_actor_t *actor, json_t *history,
                     const char **rule, char *msg, size_t msg_size) {
  const json_t *g = gezin_decl(chart);
  const char *id = json_string_value(json_object_get(case_, "id"));
  const char *field = json_string_value(json_object_get(g, "field"));
  json_t *cases = NULL, *sib, *changed = json_array();
  engine_actor_t eactor = {actor->id, actor->role, actor->org};
  size_t i;
  int rc;
  *rule = NULL;
  if (changed == NULL) return CASUS_ENOMEM;
  rc = gezin_cases(txn, chart, json_object_get(case_, "fields"), &cases);
  json_array_foreach(cases, i, sib) {
    const char *sid = json_string_value(json_object_get(sib, "id"));
    const engine_chart_t *sc;
    engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
    engine_result_t res;
    json_t *cur;
    if (rc != 0) break;
    if (strcmp(sid, id) == 0 || json_is_true(json_object_get(sib, "closed"))) continue;
    sc = api__chart_by_ref(api, json_string_value(json_object_get(sib, "chart")));
    /* R-AUTH-2 for the gezin: who changes the gezin's casusregisseur must
     * be able to act on every case of it. */
    if (sc == NULL || !auth_case_visible(sc, actor, sib)) {
      *rule = "R-AUTH-2";
      snprintf(msg, msg_size, "This gezin holds cases you may not see; its %s cannot change from here.",
               event);
      rc = CASUS_EFORBIDDEN;
      break;
    }
    cur = json_deep_copy(sib);
    if (cur == NULL) {
      rc = CASUS_ENOMEM;
      break;
    }
    rc = api__case_catch_up(api, txn, sc, &cur);
    if (rc != 0) {
      json_decref(cur);
      break;
    }
    if (shares_all(g, case_, cur)) {
      json_decref(cur);
      continue;
    }
    ctx.chart = sc;
    ctx.cal = api__calendar_of_case(api, cur);
    ctx.tables = api__tables_of_case(api, cur);
    ctx.now_s = timers_now(api->timers);
    ctx.extra = NULL;
    rc = engine_event_apply(&ctx, cur, event, data, &eactor, &res);
    json_decref(cur);
    if (rc != 0) {
      *rule = res.rule ? res.rule : json_string_value(json_object_get(g, "rule"));
      snprintf(msg, msg_size, "Case %s of the same gezin refuses %s: %s", sid, event, res.message);
      engine_result_clear(&res);
      break;
    }
    json_object_set_new(
        res.history, "gezin",
        json_pack("{s:O, s:s}", "id", json_object_get(json_object_get(case_, "fields"), field), "via", id));
    rc = api__result_store(api, txn, sc, &res, false, ctx.now_s);
    engine_result_clear(&res);
    if (rc == 0) rc = json_array_append_new(changed, json_string(sid)) == 0 ? 0 : CASUS_ENOMEM;
  }
  json_decref(cases);
  /* The case the event was fired on records which others it changed. */
  if (rc == 0 && history != NULL)
    json_object_set_new(
        history, "gezin",
        json_pack("{s:O, s:O}", "id", json_object_get(json_object_get(case_, "fields"), field), "cases",
                  changed));
  json_decref(changed);
  return rc;
}
