/*
 * apply.c -- applying one queued write inside the group commit: the
 * idempotency record, the engine's decision, and storing its result (case,
 * history entry, inbox effects), each request in its own child transaction
 * so that a refusal changes nothing.
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

static int effects_apply(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                         const json_t *effects, int64_t now_s) {
  const char *case_id = json_string_value(json_object_get(case_, "id"));
  size_t i, k;
  json_t *e, *role;
  char now_time[32];
  int rc;
  cal_time_format(now_s, now_time, sizeof(now_time));
  json_array_foreach(effects, i, e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    if (strcmp(type, "close_tasks") == 0) {
      rc = store_inbox_close(txn, case_id, json_string_value(json_object_get(e, "kind")));
      if (rc != 0) return rc;
      continue;
    }
    json_array_foreach(json_object_get(e, "to"), k, role) {
      char recipient[AUTH_RECIPIENT_BYTES_MAX];
      json_t *item;
      if (!auth_recipient_for(chart, case_, json_string_value(role), recipient, sizeof(recipient))) continue;
      item = json_object();
      json_object_set_new(item, "type", json_string(type));
      json_object_set(item, "kind", json_object_get(e, "kind"));
      json_object_set(item, "title", json_object_get(e, "title"));
      if (json_object_get(e, "rule")) json_object_set(item, "rule", json_object_get(e, "rule"));
      json_object_set(item, "role", role);
      json_object_set_new(item, "case_id", json_string(case_id));
      json_object_set_new(item, "created", json_string(now_time));
      rc = store_inbox_add(txn, recipient, case_id, item, NULL);
      json_decref(item);
      if (rc != 0) return rc;
      api->inbox_changed = true;
    }
  }
  return 0;
}

/* Writes the case with its timers.  A bridge to the store's store_case_rec_t
 * until the API computes the case's index terms (scopes, attributes,
 * deadline, update time) for GET /v1/cases; until then the case is in no
 * list index and the list is served by store_case_scan. */
int api__case_put(store_txn_t *txn, const json_t *case_) {
  store_case_rec_t rec;
  char *s;
  int rc;
  memset(&rec, 0, sizeof(rec));
  rec.id = json_string_value(json_object_get(case_, "id"));
  rec.timers = json_object_get(case_, "timers");
  rec.deadline_s = STORE_TIME_NONE;
  rec.updated_s = STORE_TIME_NONE;
  s = core_json_dumps(case_, JSON_COMPACT);
  if (s == NULL) return CASUS_ENOMEM;
  rec.json = s;
  rec.json_bytes = strlen(s);
  rc = store_case_put(txn, &rec);
  free(s);
  return rc;
}

/* Stores an accepted engine result: the case, its history entry, its inbox effects. */
int api__result_store(api_t *api, store_txn_t *txn, const engine_chart_t *chart, engine_result_t *res,
                      int64_t now_s) {
  int rc = api__case_put(txn, res->case_);
  if (rc == 0 && res->history != NULL)
    rc = store_history_append(txn, json_string_value(json_object_get(res->case_, "id")), res->history, NULL);
  if (rc == 0) rc = effects_apply(api, txn, chart, res->case_, res->effects, now_s);
  return rc;
}

static int process_create(api_t *api, store_txn_t *txn, pending_t *p) {
  const char *gemeente = json_string_value(json_object_get(p->body, "gemeente"));
  const auth_region_t *region = auth_region_of(&api->cfg, gemeente);
  const engine_chart_t *chart;
  engine_ctx_t ctx;
  engine_actor_t actor = {p->actor->id, p->actor->role, p->actor->org};
  engine_result_t res;
  json_t *extra;
  char id[32];
  int rc;
  if (region == NULL) {
    api__pending_fail(p, CASUS_EINVALID_DATA, "R-TW-1",
                      gemeente ? "The gemeente is not part of any configured region."
                               : "The field \"gemeente\" is required.");
    return p->err;
  }
  chart = api__chart_by_id(api, region->chart);
  rc = store_case_next_id(txn, id, sizeof(id));
  if (rc != 0) {
    api__pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  ctx.chart = chart;
  ctx.cal = &api->calendars[region - api->cfg.regions];
  ctx.now_s = timers_now(api->timers);
  extra = json_pack("{s:s}", "regio", region->name);
  rc = engine_case_create(&ctx, id, p->body, extra, &actor, &res);
  json_decref(extra);
  if (rc != 0) {
    api__pending_fail(p, rc, res.rule, res.message);
    engine_result_clear(&res);
    return rc;
  }
  /* R-AUTH-2: a caller can only create a case its own organisation will see. */
  if (!auth_case_visible(chart, p->actor, res.case_)) {
    api__pending_fail(p, CASUS_EFORBIDDEN, "R-AUTH-2",
                      "You can only register cases for your own organisation.");
    engine_result_clear(&res);
    return p->err;
  }
  rc = api__result_store(api, txn, chart, &res, ctx.now_s);
  if (rc != 0) {
    api__pending_fail(p, rc, NULL, NULL);
  } else {
    api__pending_ok(p, 201, api__case_view(api, chart, res.case_, p->actor, NULL));
  }
  engine_result_clear(&res);
  return rc ? rc : p->err;
}

static int process_event(api_t *api, store_txn_t *txn, pending_t *p) {
  const char *key, *event = json_string_value(json_object_get(p->body, "event"));
  const json_t *data = json_object_get(p->body, "data"),
               *expected = json_object_get(p->body, "expected_version");
  const engine_chart_t *chart;
  engine_ctx_t ctx;
  engine_actor_t actor = {p->actor->id, p->actor->role, p->actor->org};
  engine_result_t res;
  json_t *case_ = NULL, *v;
  int rc;
  json_object_foreach(p->body, key, v) {
    if (strcmp(key, "event") && strcmp(key, "data") && strcmp(key, "expected_version")) {
      api__pending_fail(p, CASUS_EBAD_REQUEST, NULL,
                        "The event body has only \"event\", \"data\" and \"expected_version\".");
      return p->err;
    }
  }
  if (event == NULL || !api__id_valid(event, strlen(event))) {
    api__pending_fail(p, CASUS_EBAD_REQUEST, NULL, "\"event\" must be an event name.");
    return p->err;
  }
  if (data != NULL && !json_is_object(data)) {
    api__pending_fail(p, CASUS_EINVALID_DATA, NULL, "\"data\" must be a JSON object.");
    return p->err;
  }
  if (expected != NULL && !json_is_integer(expected)) {
    api__pending_fail(p, CASUS_EBAD_REQUEST, NULL, "\"expected_version\" must be an integer.");
    return p->err;
  }
  rc = store_case_get(txn, p->case_id, &case_);
  if (rc != 0) {
    api__pending_fail(p, rc, rc == CASUS_ENOT_FOUND ? "R-AUTH-2" : NULL, NULL);
    return rc;
  }
  chart = api__chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  if (chart == NULL || !auth_case_visible(chart, p->actor, case_)) {
    json_decref(case_);
    api__pending_fail(p, CASUS_ENOT_FOUND, "R-AUTH-2", NULL);
    return p->err;
  }
  if (expected != NULL &&
      json_integer_value(expected) != json_integer_value(json_object_get(case_, "version"))) {
    char msg[160];
    snprintf(msg, sizeof(msg), "The case is at version %lld, not %lld; reload it and decide again.",
             (long long)json_integer_value(json_object_get(case_, "version")),
             (long long)json_integer_value(expected));
    json_decref(case_);
    api__pending_fail(p, CASUS_EVERSION_MISMATCH, NULL, msg);
    return p->err;
  }
  ctx.chart = chart;
  ctx.cal = api__calendar_of_case(api, case_);
  ctx.now_s = timers_now(api->timers);
  rc = engine_event_apply(&ctx, case_, event, data, &actor, &res);
  json_decref(case_);
  if (rc != 0) {
    api__pending_fail(p, rc, res.rule, res.message);
    engine_result_clear(&res);
    return rc;
  }
  rc = api__result_store(api, txn, chart, &res, ctx.now_s);
  if (rc != 0)
    api__pending_fail(p, rc, NULL, NULL);
  else
    api__pending_ok(p, 200, api__case_view(api, chart, res.case_, p->actor, NULL));
  engine_result_clear(&res);
  return rc;
}

/* Applies one queued write in its own child transaction. */
void api__pending_apply(api_t *api, store_txn_t *parent, pending_t *p) {
  store_txn_t *txn;
  const char *idem_key = p->req->idempotency_key;
  json_t *record = NULL;
  int rc = store_txn_child(parent, &txn);
  if (rc != 0) {
    api__pending_fail(p, rc, NULL, NULL);
    return;
  }
  if (idem_key != NULL) {
    rc = store_idem_get(txn, p->actor->id, idem_key, &record);
    if (rc == 0) {
      store_txn_abort(txn);
      if (strcmp(json_string_value(json_object_get(record, "request_sha256")), p->request_hash) != 0) {
        api__pending_fail(p, CASUS_EIDEMPOTENCY_REUSED, NULL, NULL);
      } else {
        /* The same request again: the first reply, and nothing changes. */
        p->status = (int)json_integer_value(json_object_get(record, "status"));
        p->resp = strdup(json_string_value(json_object_get(record, "body")));
        p->resp_len = p->resp ? strlen(p->resp) : 0;
      }
      json_decref(record);
      return;
    }
    if (rc != CASUS_ENOT_FOUND) {
      store_txn_abort(txn);
      api__pending_fail(p, rc, NULL, NULL);
      return;
    }
  }
  rc = p->kind == W_CREATE ? process_create(api, txn, p) : process_event(api, txn, p);
  if (rc == 0 && idem_key != NULL) {
    record =
        json_pack("{s:s, s:i, s:s}", "request_sha256", p->request_hash, "status", p->status, "body", p->resp);
    rc = record ? store_idem_put(txn, p->actor->id, idem_key, record) : CASUS_ENOMEM;
    json_decref(record);
    if (rc != 0) {
      free(p->resp);
      p->resp = NULL;
      api__pending_fail(p, rc, NULL, NULL);
    }
  }
  if (rc == 0) {
    rc = store_txn_commit(txn);
    if (rc != 0) {
      free(p->resp);
      p->resp = NULL;
      api__pending_fail(p, rc, NULL, NULL);
    }
  } else {
    store_txn_abort(txn);
  }
}
