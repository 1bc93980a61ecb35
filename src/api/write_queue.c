/*
 * write_queue.c -- the write path's queue and group commit.
 *
 * Write handlers check the request and queue it.  Once per loop iteration,
 * after I/O, api__batch_cb applies every queued write in one write
 * transaction (apply.c), commits once (one fsync for the whole batch), and
 * only then replies.  Clock changes run after the batch's commit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/assert.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/log.h"
#include "core/sha256.h"

void api__pending_fail(pending_t *p, int err, const char *rule, const char *message) {
  p->err = err;
  p->rule = rule;
  snprintf(p->message, sizeof(p->message), "%s", message ? message : core_err_message(err));
}

void api__pending_ok(pending_t *p, int status, json_t *body) {
  p->status = status;
  p->resp = core_json_dumps(body, JSON_COMPACT);
  p->resp_len = p->resp ? strlen(p->resp) : 0;
  json_decref(body);
  if (p->resp == NULL) api__pending_fail(p, CASUS_ENOMEM, NULL, NULL);
}

void api__pending_reply(api_t *api, pending_t *p) {
  if (p->kind == W_READ)
    api->m.reads_logged++;
  else if (p->err == CASUS_ESTORE || p->err == CASUS_ESTORE_FULL || p->err == CASUS_ENOMEM)
    api->m.writes_failed++;
  else if (p->err != 0)
    api->m.writes_refused++;
  else
    api->m.writes_ok++;
  if (p->kind == W_CREATE || p->kind == W_EVENT || p->kind == W_INBOX_READ) {
    /* After the commit: a refused request's rule, an accepted one's event
     * (an idempotent replay, which changed nothing, has none). */
    if (p->err != 0 && p->err != CASUS_ESTORE && p->err != CASUS_ESTORE_FULL && p->err != CASUS_ENOMEM)
      api__metrics_refusal(api, p->rule);
    else if (p->err == 0 && p->m_event[0] != '\0')
      api__metrics_event(api, p->m_chart, p->m_event);
  }
  if (p->err != 0)
    http_respond_error_field(p->req, p->err, p->message, p->rule, p->field);
  else
    http_respond(p->req, p->status, NULL, p->resp, p->resp_len, NULL);
  free(p->resp);
  json_decref(p->body);
  json_decref(p->access);
  free(p);
}

/* Sets the manual clock and hands the request to the timers: it is
 * answered once every timer due by the new time has fired (timers_fire.c),
 * chunk by chunk, while the loop keeps serving others.  Returns whether the
 * request is answered already (a refusal). */
static bool clock_apply(api_t *api, pending_t *p) {
  const char *now = json_string_value(json_object_get(p->body, "now"));
  int64_t t;
  int rc;
  if (now == NULL || cal_time_parse(now, &t) != 0 || json_object_size(p->body) != 1) {
    api__pending_fail(p, CASUS_EBAD_REQUEST, "R-TIME-4", "The body must be {\"now\": \"<RFC 3339 time>\"}.");
    return true;
  }
  rc = timers_set_now(api->timers, t);
  if (rc != 0) {
    api__pending_fail(p, rc, "R-TIME-4", NULL);
    return true;
  }
  p->next = api->clock_waiters;
  api->clock_waiters = p;
  api__timers_step(api);
  return false;
}

void api__batch_idle_cb(uv_idle_t *h) {
  (void)h;
}
#define batch_idle_cb api__batch_idle_cb

/* Forgets an outcome, so that the request can be applied again. */
static void pending_reset(pending_t *p) {
  free(p->resp);
  p->resp = NULL;
  p->resp_len = 0;
  p->status = 0;
  p->err = 0;
  p->rule = NULL;
  p->message[0] = '\0';
  p->field[0] = '\0';
  p->m_chart[0] = '\0';
  p->m_event[0] = '\0';
}

/* Applies the batch in one write transaction and commits it; when the
 * commit fails, every request that had succeeded gets its error.  Returns
 * 0 or the error of the begin or the commit. */
static int batch_run(api_t *api, pending_t *batch, int n) {
  store_txn_t *txn = NULL;
  pending_t *p;
  int rc = store_txn_begin(api->store, true, &txn);
  if (rc != 0) {
    for (p = batch; p; p = p->next) api__pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  for (p = batch; p; p = p->next) api__pending_apply(api, txn, p);
  /* The entries no reply waits for (a stream's pushes), in a child
   * transaction: when they fail they are rolled back alone, and tried again. */
  if (json_array_size(api->access_later) > 0) {
    store_txn_t *child = NULL;
    int lrc = store_txn_child(txn, &child);
    if (lrc == 0) lrc = api__access_append(api, child, api->access_later);
    if (lrc == 0)
      lrc = store_txn_commit(child);
    else if (child != NULL)
      store_txn_abort(child);
    if (lrc == 0) json_array_clear(api->access_later);
  }
  api__growth_sweep(api, txn, n);
  rc = store_txn_commit(txn);
  api->m.commits++;
  if ((uint64_t)n > api->m.batch_requests_max) api->m.batch_requests_max = (uint64_t)n;
  if (rc != 0) {
    api->m.commit_failures++;
    api->inbox_changed = false;
    core_log("error", "group commit of %d requests failed: %s", n, core_err_message(rc));
    for (p = batch; p; p = p->next) {
      if (p->err == 0) {
        free(p->resp);
        p->resp = NULL;
        api__pending_fail(p, rc, NULL, NULL);
      }
    }
  }
  return rc;
}

void api__batch_cb(uv_check_t *h) {
  api_t *api = h->data;
  pending_t *batch = NULL, **tailp = &batch, *p, *clocks = NULL, **ctail = &clocks;
  int n = 0, rc;
  bool later = json_array_size(api->access_later) > 0;
  if (api->head == NULL && !later) {
    uv_idle_stop(&api->batch_idle);
    return;
  }
  /* Take at most one batch's worth; clock requests run after the commit. */
  while (api->head != NULL && n < LIMIT_EVENTS_PER_BATCH_MAX) {
    p = api->head;
    api->head = p->next;
    api->pending_count--;
    p->next = NULL;
    if (p->kind == W_CLOCK) {
      *ctail = p;
      ctail = &p->next;
    } else {
      *tailp = p;
      tailp = &p->next;
      n++;
    }
  }
  if (api->head == NULL) api->tail = NULL;
  if (batch != NULL || later) {
    rc = batch_run(api, batch, n);
    if (rc == CASUS_ESTORE_FULL) {
      /* The commit found the map full; the store has grown it now that no
       * transaction is open.  Nothing of the batch was kept and no reply
       * left: run it once more rather than fail every request of it. */
      core_log("warn", "group commit of %d requests hit the map's end; retrying after growth", n);
      for (p = batch; p; p = p->next) pending_reset(p);
      (void)batch_run(api, batch, n);
    }
    /* Only now, after the commit, do the replies leave.  A request whose own
     * child transaction found the map full was rolled back alone while the
     * rest committed: it goes to the front of the queue, once, for the next
     * batch, which runs in a grown map. */
    while (batch) {
      p = batch;
      batch = p->next;
      if (p->err == CASUS_ESTORE_FULL && !p->retried) {
        pending_reset(p);
        p->retried = true;
        p->next = api->head;
        api->head = p;
        if (api->tail == NULL) api->tail = p;
        api->pending_count++;
        continue;
      }
      api__pending_reply(api, p);
    }
    api__streams_push(api);
    timers_arm(api->timers, api__next_due(api));
  }
  while (clocks) {
    p = clocks;
    clocks = p->next;
    if (clock_apply(api, p)) api__pending_reply(api, p);
  }
  /* More queued than one batch takes: keep the loop from blocking in poll. */
  if (api->head != NULL) uv_idle_start(&api->batch_idle, batch_idle_cb);
}

/* The actor's write-rate bucket: an open-addressed table of
 * 2 x LIMIT_RATE_ACTORS_MAX slots keyed by actor id, so that a bucket
 * outlives a reload and OIDC actors, who are in no list, have one too.
 * When LIMIT_RATE_ACTORS_MAX actors (CASUSD_TEST_RATE_ACTORS_MAX, a
 * test-only knob, may lower it) have buckets the table is emptied:
 * every bucket refills, at most once per that many distinct actors, and
 * only authenticated actors make one. */
#define RATE_SLOTS (2 * LIMIT_RATE_ACTORS_MAX)
static core_bucket_t *rate_bucket(api_t *api, const char *id) {
  uint32_t h = 2166136261u;
  const char *s;
  size_t i, n = 0;
  for (s = id; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  CASUS_ASSERT(id[0] != '\0' && strlen(id) < LIMIT_ID_BYTES_MAX);
  for (;;) {
    for (i = h % RATE_SLOTS, n = 0; n < RATE_SLOTS; i = (i + 1) % RATE_SLOTS, n++) {
      struct api_rate_s *r = &api->rate[i];
      if (strcmp(r->id, id) == 0) return &r->bucket;
      if (r->id[0] != '\0') continue;
      if (api->rate_count >= api->rate_actors_max) break;
      memset(r, 0, sizeof(*r));
      snprintf(r->id, sizeof(r->id), "%s", id);
      api->rate_count++;
      return &r->bucket;
    }
    memset(api->rate, 0, RATE_SLOTS * sizeof(*api->rate));
    api->rate_count = 0;
  }
}

int api__rate_init(api_t *api) {
  api->rate = calloc(RATE_SLOTS, sizeof(*api->rate));
  api->rate_count = 0;
  return api->rate ? 0 : CASUS_ENOMEM;
}

/* Appends p to the queue of the next group commit.  A request parsed
 * outside the poll phase (the HTTP server resumes pipelined input from a
 * 0 ms timer) must not wait for unrelated I/O: an active idle handle keeps
 * the next poll from blocking, so api__batch_cb runs in this loop iteration. */
static void pending_append(api_t *api, pending_t *p) {
  if (api->tail)
    api->tail->next = p;
  else
    api->head = p;
  api->tail = p;
  api->pending_count++;
  uv_idle_start(&api->batch_idle, batch_idle_cb);
}

/* The write-rate limit: one token of the actor's bucket per case write
 * (docs/api.md, "rate_limit").  The buckets run on the monotonic clock
 * (uv_hrtime), never on the case clock, which a manual clock moves at will;
 * they live in memory, so a restart refills them.  Returns false after
 * answering 429 with Retry-After. */
static bool rate_admit(call_t *c) {
  api_t *api = c->api;
  uint32_t retry_s = 1;
  char headers[48], *body;
  size_t len = 0;
  if (api->cfg.rate_writes_per_second == 0) return true;
  if (core_bucket_take(rate_bucket(api, c->actor->id), api->cfg.rate_writes_per_second, api->cfg.rate_burst,
                       uv_hrtime(), &retry_s))
    return true;
  api->m.writes_rate_limited++;
  snprintf(headers, sizeof(headers), "Retry-After: %u\r\n", (unsigned)retry_s);
  body = core_errbody_new(CASUS_ERATE_LIMITED, NULL, NULL, NULL, &len);
  http_respond(c->req, core_err_http_status(CASUS_ERATE_LIMITED), NULL, body ? body : "", body ? len : 0,
               headers);
  free(body);
  return false;
}

static void enqueue(call_t *c, int kind, json_t *body) {
  api_t *api = c->api;
  pending_t *p;
  if (kind != W_CLOCK && c->req->idempotency_key != NULL) {
    size_t n = strlen(c->req->idempotency_key);
    if (n == 0 || n > LIMIT_IDEMPOTENCY_KEY_BYTES_MAX) {
      char msg[96];
      json_decref(body);
      snprintf(msg, sizeof(msg), "The Idempotency-Key must be 1 to %d bytes long.",
               LIMIT_IDEMPOTENCY_KEY_BYTES_MAX);
      http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
      return;
    }
  }
  /* Case writes only: the clock is the admin's, and only with --clock manual. */
  if (kind != W_CLOCK && !rate_admit(c)) {
    json_decref(body);
    return;
  }
  if (api->pending_count >= LIMIT_PENDING_REQUESTS_MAX) {
    json_decref(body);
    http_respond_error(c->req, CASUS_EOVERLOADED, NULL, NULL);
    return;
  }
  p = calloc(1, sizeof(*p));
  if (p == NULL) {
    json_decref(body);
    http_respond_error(c->req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  p->req = c->req;
  p->actor_copy = *c->actor;
  p->actor = &p->actor_copy;
  p->kind = kind;
  p->body = body;
  snprintf(p->case_id, sizeof(p->case_id), "%s", c->param);
  /* The idempotency fingerprint: method, path and the body's canonical
   * JSON; only a request with an Idempotency-Key needs one. */
  if (kind != W_CLOCK && c->req->idempotency_key != NULL) {
    sha256_ctx_t h;
    uint8_t d[32];
    char *canon = core_json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    sha256_init(&h);
    sha256_update(&h, c->req->method, strlen(c->req->method));
    sha256_update(&h, " ", 1);
    sha256_update(&h, c->req->path, strlen(c->req->path));
    sha256_update(&h, "\n", 1);
    if (canon) sha256_update(&h, canon, strlen(canon));
    sha256_final(&h, d);
    sha256_to_hex(d, p->request_hash);
    free(canon);
  }
  pending_append(api, p);
}

void api__access_reply(call_t *c, int status, json_t *body, json_t *entries) {
  api_t *api = c->api;
  pending_t *p;
  if (body == NULL || entries == NULL) {
    json_decref(body);
    json_decref(entries);
    http_respond_error(c->req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  if (json_array_size(entries) == 0) {
    json_decref(entries);
    api__reply_json(c->req, status, body);
    return;
  }
  /* Reads are not refused for a full queue: they cost the batch only their
   * entries.  (LIMIT_PENDING_REQUESTS_MAX bounds the writes.) */
  p = calloc(1, sizeof(*p));
  if (p == NULL) {
    json_decref(body);
    json_decref(entries);
    http_respond_error(c->req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  p->req = c->req;
  p->actor_copy = *c->actor;
  p->actor = &p->actor_copy;
  p->kind = W_READ;
  p->body = body;
  p->read_status = status;
  p->access = entries;
  snprintf(p->case_id, sizeof(p->case_id), "%s", c->param);
  pending_append(api, p);
}

void api__handle_case_create(call_t *c) {
  json_t *body = api__body_parse(c->req);
  if (body) enqueue(c, W_CREATE, body);
}

/* The event body's shape, checked before it is queued: {"event": name,
 * "data": {...}?, "expected_version": int?}.  Replies itself and returns
 * false when it does not hold. */
static bool event_body_ok(call_t *c, const json_t *body) {
  const json_t *event = json_object_get(body, "event"), *data = json_object_get(body, "data"),
               *expected = json_object_get(body, "expected_version");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)body, key, v) {
    if (strcmp(key, "event") && strcmp(key, "data") && strcmp(key, "expected_version")) {
      http_respond_error(c->req, CASUS_EBAD_REQUEST,
                         "The event body has only \"event\", \"data\" and \"expected_version\".", NULL);
      return false;
    }
  }
  if (!json_is_string(event) || !api__id_valid(json_string_value(event), json_string_length(event))) {
    http_respond_error(c->req, CASUS_EBAD_REQUEST, "\"event\" must be an event name.", NULL);
    return false;
  }
  if (data != NULL && !json_is_object(data)) {
    http_respond_error(c->req, CASUS_EINVALID_DATA, "\"data\" must be a JSON object.", NULL);
    return false;
  }
  if (expected != NULL && !json_is_integer(expected)) {
    http_respond_error(c->req, CASUS_EBAD_REQUEST, "\"expected_version\" must be an integer.", NULL);
    return false;
  }
  return true;
}

void api__handle_event(call_t *c) {
  json_t *body = api__body_parse(c->req);
  if (body == NULL) return;
  if (!event_body_ok(c, body)) {
    json_decref(body);
    return;
  }
  enqueue(c, W_EVENT, body);
}

/* POST /v1/cases/{id}/destroy (retention.c): a write like an event. */
void api__handle_case_destroy(call_t *c) {
  json_t *body = api__body_parse(c->req);
  if (body == NULL) return;
  if (!api__destroy_body_ok(c->req, body)) {
    json_decref(body);
    return;
  }
  enqueue(c, W_DESTROY, body);
}

/* POST /v1/inbox/{seq}/read: a write like an event (group commit); no body. */
void api__handle_inbox_read(call_t *c) {
  uint64_t seq;
  if (!api__query_u64(c->param, 1, UINT64_MAX, &seq)) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "You have no inbox item with that number.", "R-AUTH-2");
    return;
  }
  enqueue(c, W_INBOX_READ, json_object());
}

void api__handle_clock(call_t *c) {
  json_t *body;
  if (strcmp(c->actor->role, AUTH_ROLE_ADMIN) != 0) {
    http_respond_error(c->req, CASUS_EFORBIDDEN, "Only an admin may set the clock.", "R-TIME-4");
    return;
  }
  if (!timers_manual(c->api->timers)) {
    http_respond_error(c->req, CASUS_ECLOCK_NOT_MANUAL, NULL, "R-TIME-4");
    return;
  }
  body = api__body_parse(c->req);
  if (body) enqueue(c, W_CLOCK, body);
}
