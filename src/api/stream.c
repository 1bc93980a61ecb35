/*
 * stream.c -- GET /v1/stream: a client's new inbox items as Server-Sent
 * Events, pushed after each commit, resumable with Last-Event-ID.
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

/* Writes the subscriber's inbox items after its last seq.  Returns false when the client is gone. */
static bool sub_push(api_t *api, sub_t *sub) {
  char rec[2][AUTH_RECIPIENT_BYTES_MAX];
  const char *recs[2] = {rec[0], rec[1]};
  store_txn_t *txn;
  json_t *items = NULL, *item;
  size_t i;
  bool alive = true;
  auth_recipients_of(sub->actor, rec);
  if (store_txn_begin(api->store, false, &txn) != 0) return true;
  if (store_inbox_list(txn, recs, 2, sub->last_seq, LIMIT_INBOX_ITEMS_MAX, &items) != 0) items = NULL;
  store_txn_abort(txn);
  json_array_foreach(items, i, item) {
    char *data = core_json_dumps(item, JSON_COMPACT);
    char head[96];
    uint64_t seq = (uint64_t)json_integer_value(json_object_get(item, "seq"));
    snprintf(head, sizeof(head), "id: %llu\nevent: %s\ndata: ", (unsigned long long)seq,
             json_string_value(json_object_get(item, "type")));
    if (data == NULL || http_stream_write(sub->req, head, strlen(head)) != 0 ||
        http_stream_write(sub->req, data, strlen(data)) != 0 || http_stream_write(sub->req, "\n\n", 2) != 0)
      alive = false;
    free(data);
    if (!alive) break;
    sub->last_seq = seq;
    /* NEN 7513: what the stream sent of a case is an access; the entry is
     * written with the next group commit. */
    if (json_is_string(json_object_get(item, "case_id")))
      api__access_later(api,
                        api__access_entry(api, sub->actor, sub->req,
                                          json_string_value(json_object_get(item, "case_id")), "stream"));
  }
  json_decref(items);
  return alive;
}

/* After a commit: every stream gets what was committed for it, and nothing before the commit. */
void api__streams_push(api_t *api) {
  sub_t *s;
  if (!api->inbox_changed) return;
  api->inbox_changed = false;
  for (s = api->subs; s; s = s->next) (void)sub_push(api, s);
}

void api__sub_remove(api_t *api, http_request_t *req) {
  sub_t **pp;
  for (pp = &api->subs; *pp; pp = &(*pp)->next) {
    if ((*pp)->req == req) {
      sub_t *dead = *pp;
      *pp = dead->next;
      api->subs_count--;
      free(dead);
      return;
    }
  }
}

static void stream_close_cb(http_request_t *req, void *ud) {
  api_t *api = ud;
  api__sub_remove(api, req);
  http_stream_end(req);
}

void api__handle_stream(call_t *c) {
  api_t *api = c->api;
  sub_t *sub;
  char after[32];
  if (api->subs_count >= LIMIT_CONNECTIONS_MAX) {
    http_respond_error(c->req, CASUS_EOVERLOADED, NULL, NULL);
    return;
  }
  sub = calloc(1, sizeof(*sub));
  if (sub == NULL) {
    http_respond_error(c->req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  sub->req = c->req;
  sub->actor_copy = *c->actor;
  sub->actor = &sub->actor_copy;
  /* Resume after the last event the client saw (Last-Event-ID), or ?after=SEQ. */
  if (c->req->last_event_id != NULL)
    sub->last_seq = strtoull(c->req->last_event_id, NULL, 10);
  else if (api__query_get(c->req->query, "after", after, sizeof(after)))
    sub->last_seq = strtoull(after, NULL, 10);
  if (c->req->closed) { /* gone already: answer (dropped) and forget it */
    free(sub);
    http_respond_error(c->req, CASUS_EBAD_REQUEST, NULL, NULL);
    return;
  }
  http_stream_begin(c->req, stream_close_cb, api);
  sub->next = api->subs;
  api->subs = sub;
  api->subs_count++;
  if (!sub_push(api, sub)) {
    api__sub_remove(api, c->req);
    http_stream_end(c->req);
  }
}
