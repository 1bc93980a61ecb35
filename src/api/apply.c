/*
 * apply.c -- applying one queued write inside the group commit: the
 * idempotency record, the engine's decision, and storing its result (case,
 * history entry, inbox effects), or marking an inbox item read, each
 * request in its own child transaction so that a refusal changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/assert.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/sha256.h"

/* Notes an accepted event for the metrics, counted once its commit is done. */
static void pending_note_event(pending_t *p, const engine_chart_t *chart, const char *event) {
  snprintf(p->m_chart, sizeof(p->m_chart), "%s", engine_chart_id(chart));
  snprintf(p->m_event, sizeof(p->m_event), "%s", event != NULL ? event : "");
}

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
      /* A task a missed deadline raised names the deadline's kind: the
       * metrics count it as an overdue deadline while it is open. */
      if (json_object_get(e, "deadline")) json_object_set(item, "deadline", json_object_get(e, "deadline"));
      json_object_set(item, "role", role);
      json_object_set_new(item, "created", json_string(now_time));
      rc = store_inbox_add(txn, recipient, case_id, item, now_s, NULL);
      json_decref(item);
      if (rc != 0) return rc;
      api->inbox_changed = true;
    }
  }
  return 0;
}

/* The case records the arrangement catalogue its events were checked
 * against ("catalogus": "<catalogue>@<version>"), and the history entry
 * that first used it says so too: a later catalogue (a new version, or the
 * region's configuration naming another) shows in the case's history at
 * the event where it took effect, not silently.  0 or CASUS_ENOMEM. */
static int catalog_note(const api_t *api, const engine_chart_t *chart, engine_result_t *res) {
  char ref[2 * LIMIT_ID_BYTES_MAX];
  const char *now = api__catalog_of_case(api, chart, res->case_, ref, sizeof(ref));
  const char *had = json_string_value(json_object_get(res->case_, "catalogus"));
  if (now[0] == '\0' || (had != NULL && strcmp(had, now) == 0)) return 0;
  if (json_object_set_new(res->case_, "catalogus", json_string(now)) != 0) return CASUS_ENOMEM;
  if (res->history != NULL && json_object_set_new(res->history, "catalogus", json_string(now)) != 0)
    return CASUS_ENOMEM;
  return 0;
}

/* Stores an accepted engine result: the case, its history entry, its inbox
 * effects.  CASUS_EINVALID_DATA, before anything is written, when the case's
 * history is full. */
int api__result_store(api_t *api, store_txn_t *txn, const engine_chart_t *chart, engine_result_t *res,
                      bool is_new, int64_t now_s) {
  const char *id = json_string_value(json_object_get(res->case_, "id"));
  int rc = catalog_note(api, chart, res);
  if (rc != 0) return rc;
  if (res->history != NULL && api->request_id != NULL && api->request_id[0] != '\0') {
    const char *who = json_string_value(json_object_get(res->history, "actor"));
    if (who != NULL && strcmp(who, "system") != 0 &&
        json_object_set_new(res->history, "request_id", json_string(api->request_id)) != 0)
      return CASUS_ENOMEM;
  }
  if (res->history != NULL) {
    /* The chain's head travels in the case record, so the append reads no
     * earlier entry; a case written before heads existed lets the store look. */
    store_history_head_t head = {is_new ? 0 : STORE_HISTORY_SEQ_UNKNOWN, STORE_HISTORY_ZERO_HASH};
    const json_t *h = json_object_get(res->case_, "history");
    const char *hash = json_string_value(json_object_get(h, "hash"));
    if (!is_new && json_is_integer(json_object_get(h, "seq")) && hash != NULL &&
        strlen(hash) == STORE_HASH_HEX_BYTES - 1) {
      head.seq = (uint64_t)json_integer_value(json_object_get(h, "seq"));
      memcpy(head.hash, hash, STORE_HASH_HEX_BYTES);
    }
    /* The store refuses an entry beyond LIMIT_EVENTS_PER_CASE_MAX; the same
     * limit is checked here first, where a test may have lowered it (api.c). */
    if (head.seq != STORE_HISTORY_SEQ_UNKNOWN && head.seq >= (uint64_t)api->events_per_case_max)
      return CASUS_EINVALID_DATA;
    rc = store_history_append(txn, id, res->history, &head);
    if (rc == 0)
      rc = json_object_set_new(res->case_, "history",
                               json_pack("{s:I, s:s}", "seq", (json_int_t)head.seq, "hash", head.hash)) == 0
               ? 0
               : CASUS_ENOMEM;
  }
  /* R-RET-1: the write that closes a case dates its file's destruction. */
  if (rc == 0) rc = api__retention_mark(api, res->case_, now_s);
  if (rc == 0) rc = api__case_put(api, txn, chart, res->case_);
  if (rc == 0) rc = effects_apply(api, txn, chart, res->case_, res->effects, now_s);
  return rc;
}

/* R-TW-1 route C: a GI of the region ("gis" in the configuration) registers
 * the case for itself: the case's "gi" names it, which the chart's roles
 * read as their "delegate_org_field".  Another caller (the ZBT) may name
 * the GI; a name that is no GI of the region is refused.  The chart's
 * guards decide which routes a case with a GI may take.  0, or fails p. */
static int create_gi(pending_t *p, const auth_region_t *region, json_t *data) {
  const json_t *named = json_object_get(data, "gi");
  bool is_gi = auth_region_has_gi(region, p->actor->org);
  if (json_is_string(named) && !auth_region_has_gi(region, json_string_value(named))) {
    api__pending_fail(p, CASUS_EINVALID_DATA, "R-TW-1",
                      "\"gi\" names no GI of this region (the configuration's \"gis\").");
    return p->err;
  }
  if (!is_gi) return 0;
  if (json_is_string(named) && strcmp(json_string_value(named), p->actor->org) != 0) {
    api__pending_fail(p, CASUS_EFORBIDDEN, "R-AUTH-2",
                      "A GI registers cases for itself, not for another GI.");
    return p->err;
  }
  if (json_object_set_new(data, "gi", json_string(p->actor->org)) != 0) {
    api__pending_fail(p, CASUS_ENOMEM, NULL, NULL);
    return p->err;
  }
  return 0;
}

/* Fails p with the engine's refusal: its rule, sentence and data field;
 * the result is cleared. */
static void pending_fail_engine(pending_t *p, int rc, engine_result_t *res) {
  api__pending_fail(p, rc, res->rule, res->message);
  snprintf(p->field, sizeof(p->field), "%s", res->field);
  engine_result_clear(res);
}

static int process_create(api_t *api, store_txn_t *txn, pending_t *p) {
  const char *gemeente = json_string_value(json_object_get(p->body, "gemeente"));
  const auth_region_t *region = auth_region_of(&api->cfg, gemeente);
  const engine_chart_t *chart;
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_actor_t actor = {p->actor->id, p->actor->role, p->actor->org};
  engine_result_t res;
  json_t *extra, *data;
  const char *rule = NULL;
  char id[32], msg[ENGINE_MESSAGE_BYTES_MAX];
  int rc;
  if (region == NULL) {
    api__pending_fail(p, CASUS_EINVALID_DATA, "R-TW-1",
                      gemeente ? "The gemeente is not part of any configured region."
                               : "The field \"gemeente\" is required.");
    return p->err;
  }
  chart = api__chart_by_id(api, region->chart);
  /* The body as the engine gets it: the server may add the GI and the
   * gezin's shared fields; the request hash stays that of the body sent. */
  data = json_deep_copy(p->body);
  if (data == NULL) {
    api__pending_fail(p, CASUS_ENOMEM, NULL, NULL);
    return p->err;
  }
  if (create_gi(p, region, data) != 0) {
    json_decref(data);
    return p->err;
  }
  rc = api__gezin_join(api, txn, chart, p->actor, data, &rule, msg, sizeof(msg));
  if (rc != 0) {
    json_decref(data);
    api__pending_fail(p, rc, rule, rule ? msg : NULL);
    return p->err;
  }
  rc = store_case_next_id(txn, id, sizeof(id));
  if (rc != 0) {
    json_decref(data);
    api__pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  snprintf(p->case_id, sizeof(p->case_id), "%s", id); /* for the access log */
  ctx.chart = chart;
  ctx.cal = &api->calendars[region - api->cfg.regions];
  ctx.tables = api->region_tables[region - api->cfg.regions];
  ctx.now_s = timers_now(api->timers);
  ctx.extra = NULL;
  extra = json_pack("{s:s}", "regio", region->name);
  rc = engine_case_create(&ctx, id, data, extra, &actor, &res);
  json_decref(extra);
  json_decref(data);
  if (rc != 0) {
    pending_fail_engine(p, rc, &res);
    return rc;
  }
  /* R-AUTH-2: a caller can only create a case its own organisation will see. */
  if (!auth_case_visible(chart, p->actor, res.case_)) {
    api__pending_fail(p, CASUS_EFORBIDDEN, "R-AUTH-2",
                      "You can only register cases for your own organisation.");
    engine_result_clear(&res);
    return p->err;
  }
  rc = api__result_store(api, txn, chart, &res, true, ctx.now_s);
  if (rc != 0) {
    api__pending_fail(p, rc, NULL, NULL);
  } else {
    api__pending_ok(p, 201, api__case_view(api, chart, res.case_, p->actor, res.allowed_events));
    pending_note_event(p, chart, json_string_value(json_object_get(res.transition, "event")));
  }
  engine_result_clear(&res);
  return rc ? rc : p->err;
}

/* The case a queued request names, with its chart, when the actor may see
 * it (R-AUTH-2): 0 with *case_out (a new reference) and *chart_out, or p
 * failed (404 for a case that is not there or not the actor's to see; a
 * damaged record is reported as such) and its error returned. */
int api__pending_case_load(api_t *api, store_txn_t *txn, pending_t *p, json_t **case_out,
                           const engine_chart_t **chart_out) {
  json_t *case_ = NULL;
  const engine_chart_t *chart;
  int rc = store_case_get(txn, p->case_id, &case_);
  *case_out = NULL;
  if (rc == CASUS_ESTORE_CORRUPT) rc = api__case_damaged(api, txn, p->actor, p->case_id);
  if (rc != 0) {
    api__pending_fail(p, rc, rc == CASUS_ENOT_FOUND ? "R-AUTH-2" : NULL,
                      rc == CASUS_ESTORE_CORRUPT ? API_CASE_DAMAGED_MESSAGE : NULL);
    return rc;
  }
  chart = api__chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  if (chart == NULL || !auth_case_visible(chart, p->actor, case_)) {
    json_decref(case_);
    api__pending_fail(p, CASUS_ENOT_FOUND, "R-AUTH-2", NULL);
    return p->err;
  }
  *case_out = case_;
  *chart_out = chart;
  return 0;
}

static int process_event(api_t *api, store_txn_t *txn, pending_t *p) {
  const char *event = json_string_value(json_object_get(p->body, "event"));
  const json_t *data = json_object_get(p->body, "data"),
               *expected = json_object_get(p->body, "expected_version");
  const engine_chart_t *chart;
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_actor_t actor = {p->actor->id, p->actor->role, p->actor->org};
  engine_result_t res;
  json_t *case_ = NULL, *linked = NULL;
  int rc;
  /* The body's shape was checked before the request was queued (write_queue.c). */
  rc = api__pending_case_load(api, txn, p, &case_, &chart);
  if (rc != 0) return rc;
  /* R-TIME-3: deadlines that passed fire before the event, even while a
   * storm of due timers is still being worked off chunk by chunk. */
  rc = api__case_catch_up(api, txn, chart, &case_);
  if (rc != 0) {
    json_decref(case_);
    api__pending_fail(p, rc, NULL, NULL);
    return rc;
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
  /* What holds across cases (the chart's "linked_cases", linked.c). */
  rc = api__linked_context(api, txn, chart, case_, event, p->actor, &linked);
  if (rc != 0) {
    json_decref(case_);
    api__pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  ctx.chart = chart;
  ctx.cal = api__calendar_of_case(api, case_);
  ctx.tables = api__tables_of_case(api, case_);
  ctx.now_s = timers_now(api->timers);
  ctx.extra = linked;
  rc = engine_event_apply(&ctx, case_, event, data, &actor, &res);
  json_decref(linked);
  json_decref(case_);
  if (rc != 0) {
    pending_fail_engine(p, rc, &res);
    return rc;
  }
  /* A gezin-wide event (R-AUTH-3): every other open case of the gezin in
   * this same transaction, or none (the caller aborts it on an error). */
  if (api__gezin_event(chart, res.case_, event)) {
    const char *rule = NULL;
    char msg[ENGINE_MESSAGE_BYTES_MAX];
    rc = api__gezin_apply(api, txn, chart, res.case_, event, data, p->actor, res.history, &rule, msg,
                          sizeof(msg));
    if (rc != 0) {
      api__pending_fail(p, rc, rule, rule ? msg : NULL);
      engine_result_clear(&res);
      return rc;
    }
  }
  rc = api__result_store(api, txn, chart, &res, false, ctx.now_s);
  if (rc == CASUS_EINVALID_DATA && json_integer_value(json_object_get(json_object_get(res.case_, "history"),
                                                                      "seq")) >= api->events_per_case_max) {
    char msg[128];
    snprintf(msg, sizeof(msg), "The case's history is full (%lld entries); it takes no more events.",
             (long long)api->events_per_case_max);
    api__pending_fail(p, rc, "R-AUD-1", msg);
  } else if (rc != 0)
    api__pending_fail(p, rc, NULL, NULL);
  else {
    api__pending_ok(p, 200, api__case_view(api, chart, res.case_, p->actor, res.allowed_events));
    pending_note_event(p, chart, event);
  }
  engine_result_clear(&res);
  return rc;
}

/* POST /v1/inbox/{seq}/read: marks one of the caller's own notifications
 * read (R-AUTH-2: another's item, or none, is 404).  A task is refused: it
 * closes when its case's process does (409). */
static int process_inbox_read(store_txn_t *txn, pending_t *p) {
  char rec[2][AUTH_RECIPIENT_BYTES_MAX];
  const char *type;
  json_t *it = NULL;
  uint64_t seq = 0;
  int i, rc = CASUS_ENOT_FOUND;
  /* The seq was checked before the request was queued (write_queue.c). */
  bool seq_ok = api__query_u64(p->case_id, 1, UINT64_MAX, &seq);
  CASUS_ASSERT(seq_ok);
  auth_recipients_of(p->actor, rec);
  for (i = 0; i < 2; i++) {
    rc = store_inbox_get(txn, rec[i], seq, &it);
    if (rc != CASUS_ENOT_FOUND) break;
  }
  if (rc != 0) {
    api__pending_fail(p, rc, rc == CASUS_ENOT_FOUND ? "R-AUTH-2" : NULL,
                      rc == CASUS_ENOT_FOUND ? "You have no inbox item with that number." : NULL);
    return rc;
  }
  type = json_string_value(json_object_get(it, "type"));
  if (type != NULL && strcmp(type, "task") == 0) {
    json_decref(it);
    api__pending_fail(p, CASUS_ENOT_ALLOWED_IN_STATE, NULL,
                      "A task closes when its case's process does; it cannot be marked read.");
    return p->err;
  }
  rc = store_inbox_mark_read(txn, rec[i], seq);
  if (rc != 0) {
    json_decref(it);
    api__pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  json_object_set_new(it, "open", json_false());
  api__pending_ok(p, 200, it);
  return p->err;
}

/* Applies one queued write in its own child transaction. */
void api__pending_apply(api_t *api, store_txn_t *parent, pending_t *p) {
  store_txn_t *txn;
  /* No request: a demo example's step (examples.c). */
  const char *idem_key = p->req != NULL ? p->req->idempotency_key : NULL;
  int rc = store_txn_child(parent, &txn);
  if (rc != 0) {
    api__pending_fail(p, rc, NULL, NULL);
    return;
  }
  if (idem_key != NULL) {
    char request_sha256[65];
    int status;
    char *body;
    size_t body_bytes;
    int64_t created;
    rc = store_idem_get(txn, p->actor->id, idem_key, request_sha256, &status, &created, &body, &body_bytes);
    if (rc == 0 && created != STORE_TIME_NONE &&
        timers_now(api->timers) - created >= api->cfg.idempotency_ttl_s) {
      /* Expired (the sweep has not reached it yet): the key is free again. */
      free(body);
      rc = CASUS_ENOT_FOUND;
    }
    if (rc == 0) {
      store_txn_abort(txn);
      if (strcmp(request_sha256, p->request_hash) != 0) {
        free(body);
        api__pending_fail(p, CASUS_EIDEMPOTENCY_REUSED, NULL, NULL);
      } else {
        /* The same request again: the first reply, and nothing changes. */
        p->status = status;
        p->resp = body;
        p->resp_len = body_bytes;
      }
      return;
    }
    if (rc != CASUS_ENOT_FOUND) {
      store_txn_abort(txn);
      api__pending_fail(p, rc, NULL, NULL);
      return;
    }
  }
  if (p->kind == W_READ) {
    /* A read's access-log entries, in this batch's commit (access.c). */
    rc = api__access_append(api, txn, p->access);
    if (rc != 0) {
      store_txn_abort(txn);
      api__pending_fail(p, rc, NULL, NULL);
      return;
    }
    rc = store_txn_commit(txn);
    if (rc != 0) {
      api__pending_fail(p, rc, NULL, NULL);
      return;
    }
    /* The body stays for a retry after the map grew; the reply is a copy. */
    api__pending_ok(p, p->read_status, json_incref(p->body));
    return;
  }
  /* The history entries this request writes carry its X-Request-Id. */
  api->request_id = p->req != NULL ? p->req->request_id : NULL;
  rc = p->kind == W_CREATE       ? process_create(api, txn, p)
       : p->kind == W_INBOX_READ ? process_inbox_read(txn, p)
       : p->kind == W_DESTROY    ? api__destroy_process(api, txn, p)
                                 : process_event(api, txn, p);
  api->request_id = NULL;
  /* A case written: its access-log entry, in the same child transaction. */
  if (rc == 0 && p->err == 0 && (p->kind == W_CREATE || p->kind == W_EVENT)) {
    json_t *e = api__access_entry(api, p->actor, p->req, p->case_id, "event");
    json_t *one = json_array();
    json_array_append_new(one, e);
    rc = e ? api__access_append(api, txn, one) : CASUS_ENOMEM;
    json_decref(one);
    if (rc != 0) {
      free(p->resp);
      p->resp = NULL;
      api__pending_fail(p, rc, NULL, NULL);
    }
  }
  if (rc == 0 && idem_key != NULL) {
    /* No reply (it could not be serialised): nothing to record, the request fails. */
    rc = p->resp == NULL ? CASUS_ENOMEM
                         : store_idem_put(txn, p->actor->id, idem_key, p->request_hash, p->status,
                                          timers_now(api->timers), p->resp, p->resp_len);
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
