/*
 * api.c -- routes, handlers, group commit and durable timers.
 *
 * A request's life: the HTTP server hands over a complete request; the
 * route table names its handler; the caller is authenticated (401) and the
 * body parsed within the JSON limits (400).  Reads are answered at once
 * from a read transaction.  Writes are queued; once per loop iteration,
 * after I/O, batch_cb applies every queued write in one write transaction,
 * each in a child transaction so that a refused request changes nothing,
 * commits once (one fsync for the whole batch), and only then replies.
 * Timers that came due fire the same way, in due order, with the due time
 * as the event's time, so that a timer fires exactly once (its consumption
 * commits with its effects).
 */
#include "api/api.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "calendar/calendar.h"
#include "core/embedded.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "engine/engine.h"
#include "http/server.h"
#include "store/store.h"
#include "timers/timers.h"

enum { W_CREATE = 1, W_EVENT, W_CLOCK };

typedef struct pending_s {
  struct pending_s *next;
  http_request_t *req;
  const auth_actor_t *actor;
  int kind;
  char case_id[LIMIT_ID_BYTES_MAX];
  json_t *body;
  char request_hash[65];
  /* the outcome, sent after the commit */
  int status;
  char *resp;
  size_t resp_len;
  int err;
  const char *rule;
  char message[ENGINE_MESSAGE_BYTES_MAX];
} pending_t;

/* A GET /v1/stream client: gets its new inbox items as Server-Sent Events. */
typedef struct sub_s {
  struct sub_s *next;
  http_request_t *req;
  const auth_actor_t *actor;
  uint64_t last_seq;
} sub_t;

struct api_s {
  uv_loop_t *loop;
  uint8_t secret[STORE_SECRET_BYTES]; /* keys pseudonyms (R-PRIV-1) */
  sub_t *subs;
  int subs_count;
  bool inbox_changed; /* an inbox item was added since the last push to streams */
  struct {            /* for GET /metrics */
    uint64_t requests, unauthenticated, writes_ok, writes_refused, writes_failed;
    uint64_t commits, commit_failures, batch_requests_max, timers_fired;
  } m;
  store_t *store;
  http_server_t *http;
  timers_t *timers;
  uv_check_t batch_check;
  uv_idle_t batch_idle;
  auth_config_t cfg;
  calendar_t *calendars; /* one per region, in cfg.regions order */
  engine_chart_t *charts[LIMIT_CHARTS_MAX];
  int charts_count;
  pending_t *head, *tail;
  int pending_count;
  int handles_open;
};

static void api_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void api_log(const char *fmt, ...) {
  va_list ap;
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
  fprintf(stderr, "%s casusd: ", ts);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* --- charts, calendars, regions --- */

json_t *api_bundled_json(const char *rel_path) {
  const embedded_file_t *f;
  for (f = embedded_files; f->path != NULL; f++)
    if (strcmp(f->path, rel_path) == 0)
      return core_json_loadb(f->data, f->bytes, JSON_REJECT_DUPLICATES, NULL);
  return NULL;
}

static const engine_chart_t *chart_by_ref(const api_t *api, const char *ref) {
  int i;
  for (i = 0; ref && i < api->charts_count; i++)
    if (strcmp(engine_chart_ref(api->charts[i]), ref) == 0) return api->charts[i];
  return NULL;
}

/* The newest version of chart id. */
static const engine_chart_t *chart_by_id(const api_t *api, const char *id) {
  const engine_chart_t *best = NULL;
  int i;
  for (i = 0; id && i < api->charts_count; i++)
    if (strcmp(engine_chart_id(api->charts[i]), id) == 0 &&
        (best == NULL || engine_chart_version(api->charts[i]) > engine_chart_version(best)))
      best = api->charts[i];
  return best;
}

static int chart_add(api_t *api, const json_t *doc, const char *where, char *err, size_t err_size) {
  engine_problems_t p;
  engine_chart_t *c;
  int rc;
  if (api->charts_count >= LIMIT_CHARTS_MAX) {
    snprintf(err, err_size, "more than %d charts", LIMIT_CHARTS_MAX);
    return CASUS_ECHART_INVALID;
  }
  rc = engine_chart_load(doc, &c, &p);
  if (rc != 0) {
    snprintf(err, err_size, "chart %s is invalid: %s: %s (run casusd statechart check)", where,
             p.count ? p.items[0].path : "$", p.count ? p.items[0].message : core_err_message(rc));
    return rc;
  }
  if (chart_by_ref(api, engine_chart_ref(c)) != NULL) {
    snprintf(err, err_size, "chart %s is loaded twice", engine_chart_ref(c));
    engine_chart_free(c);
    return CASUS_ECHART_INVALID;
  }
  api->charts[api->charts_count++] = c;
  return 0;
}

static int charts_load(api_t *api, const char *dir, char *err, size_t err_size) {
  int rc;
  if (dir == NULL) {
    const embedded_file_t *f;
    for (f = embedded_files; f->path != NULL; f++) {
      json_t *doc;
      if (strncmp(f->path, "statecharts/", 12) != 0) continue;
      doc = core_json_loadb(f->data, f->bytes, JSON_REJECT_DUPLICATES, NULL);
      rc = doc ? chart_add(api, doc, f->path, err, err_size) : CASUS_ECHART_INVALID;
      json_decref(doc);
      if (rc != 0) return rc;
    }
    return 0;
  }
  {
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL) {
      snprintf(err, err_size, "cannot open charts folder %s", dir);
      return CASUS_EIO;
    }
    while ((e = readdir(d)) != NULL) {
      char path[1024];
      char msg[256];
      json_t *doc;
      size_t n = strlen(e->d_name);
      if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
      snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
      doc = core_json_file_load(path, LIMIT_CHART_BYTES_MAX, "statechart", msg, sizeof(msg));
      if (doc == NULL) {
        snprintf(err, err_size, "%s: %s", path, msg);
        closedir(d);
        return CASUS_ECHART_INVALID;
      }
      rc = chart_add(api, doc, path, err, err_size);
      json_decref(doc);
      if (rc != 0) {
        closedir(d);
        return rc;
      }
    }
    closedir(d);
  }
  return 0;
}

static int regions_prepare(api_t *api, char *err, size_t err_size) {
  int i;
  api->calendars = calloc((size_t)api->cfg.regions_count, sizeof(calendar_t));
  if (api->calendars == NULL) return CASUS_ENOMEM;
  for (i = 0; i < api->cfg.regions_count; i++) {
    const auth_region_t *r = &api->cfg.regions[i];
    const engine_chart_t *c = chart_by_id(api, r->chart);
    char rel[128], cerr[160];
    json_t *doc;
    int rc;
    if (c == NULL) {
      snprintf(err, err_size, "region \"%s\" names chart \"%s\", which is not loaded", r->name, r->chart);
      return CASUS_ECONFIG_INVALID;
    }
    snprintf(rel, sizeof(rel), "calendars/%s.json", engine_chart_calendar(c));
    doc = api_bundled_json(rel);
    if (doc == NULL) {
      snprintf(err, err_size, "chart \"%s\" names calendar \"%s\", which is not bundled", r->chart,
               engine_chart_calendar(c));
      return CASUS_ECONFIG_INVALID;
    }
    rc = calendar_load(&api->calendars[i], doc, r->holidays, cerr, sizeof(cerr));
    json_decref(doc);
    if (rc != 0) {
      snprintf(err, err_size, "region \"%s\": calendar: %s", r->name, cerr);
      return rc;
    }
  }
  return 0;
}

static const calendar_t *calendar_of_case(const api_t *api, const json_t *case_) {
  const char *regio = json_string_value(json_object_get(json_object_get(case_, "fields"), "regio"));
  int i;
  for (i = 0; regio && i < api->cfg.regions_count; i++)
    if (strcmp(api->cfg.regions[i].name, regio) == 0) return &api->calendars[i];
  return api->cfg.regions_count ? &api->calendars[0] : NULL;
}

/* --- views (R-PRIV-1) --- */

static const char *age_band(const char *birth, int64_t now_s) {
  cal_day_t b, n = cal_local_day(now_s);
  int by, bm, bd, ny, nm, nd, age;
  if (birth == NULL || cal_day_parse(birth, &b) != 0) return "onbekend";
  cal_day_to_ymd(b, &by, &bm, &bd);
  cal_day_to_ymd(n, &ny, &nm, &nd);
  age = ny - by - ((nm < bm || (nm == bm && nd < bd)) ? 1 : 0);
  if (age < 4) return "0-3";
  if (age < 12) return "4-11";
  if (age < 16) return "12-15";
  if (age < 18) return "16-17";
  return "18+";
}

/* Replaces the chart's identifying fields of `fields` (in place) by a
 * pseudonym and an age band.  One function for every anonymised output:
 * case views, history entries and list items.  The pseudonym is derived
 * from the case's own fields (`case_fields`), not from `fields`, so that a
 * history entry whose data holds no jeugdige carries the same pseudonym as
 * the case view. */
static void anonymise_fields(const api_t *api, const engine_chart_t *chart, json_t *fields,
                             const json_t *case_fields, const char *case_id, int64_t now_s,
                             const char *birth) {
  const json_t *privacy = json_object_get(engine_chart_json(chart), "privacy");
  size_t i;
  json_t *f;
  uint8_t digest[32];
  char hex[65], pseudo[16];
  char *seed;
  if (!json_is_object(fields)) return;
  /* Keyed by the store's secret: the same jeugdige gets the same pseudonym
   * in every case (a contractmanager can see that escalations concern one
   * child), yet nobody without the secret can test a guessed identity. */
  seed = core_json_dumps(json_object_get(case_fields, "jeugdige"),
                         JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  if (seed == NULL || strcmp(seed, "null") == 0) {
    free(seed);
    seed = strdup(case_id ? case_id : "");
  }
  sha256_hmac(api->secret, sizeof(api->secret), seed ? seed : "", seed ? strlen(seed) : 0, digest);
  free(seed);
  sha256_to_hex(digest, hex);
  snprintf(pseudo, sizeof(pseudo), "J-%.10s", hex);
  json_array_foreach(json_object_get(privacy, "identifying_fields"), i, f) {
    json_object_del(fields, json_string_value(f));
  }
  json_object_set_new(fields, "pseudoniem", json_string(pseudo));
  json_object_set_new(fields, "leeftijdscategorie", json_string(age_band(birth, now_s)));
}

static const char *birthdate_of(const engine_chart_t *chart, const json_t *case_) {
  const json_t *privacy = json_object_get(engine_chart_json(chart), "privacy");
  const char *path = json_string_value(json_object_get(privacy, "birthdate_field"));
  return path ? json_string_value(engine_path_get(json_object_get(case_, "fields"), path)) : NULL;
}

static json_t *case_view(const api_t *api, const engine_chart_t *chart, const json_t *case_,
                         const auth_actor_t *actor) {
  int64_t now = timers_now(api->timers);
  json_t *v = json_object(), *deadlines = json_array(),
         *fields = json_deep_copy(json_object_get(case_, "fields"));
  const char *name;
  json_t *t;
  static const char *const copy[] = {"id",     "chart", "version",  "status",  "state",
                                     "closed", "flags", "counters", "created", "updated"};
  size_t i;
  for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
    json_object_set(v, copy[i], json_object_get(case_, copy[i]));
  json_object_set_new(v, "allowed_events", engine_allowed_events(chart, case_, actor->role, now));
  json_object_foreach(json_object_get(case_, "timers"), name, t) {
    json_t *d = json_object();
    char fires[32];
    cal_time_format(json_integer_value(json_object_get(t, "due_s")), fires, sizeof(fires));
    json_object_set(d, "kind", json_object_get(t, "kind") ? json_object_get(t, "kind") : json_string(name));
    json_object_set(d, "due", json_object_get(t, "due"));
    json_object_set_new(d, "fires_at", json_string(fires));
    json_object_set_new(d, "timer", json_string(name));
    json_object_set(d, "event", json_object_get(t, "event"));
    if (json_object_get(t, "rule")) json_object_set(d, "rule", json_object_get(t, "rule"));
    json_array_append_new(deadlines, d);
  }
  json_object_set_new(v, "deadlines", deadlines);
  if (auth_case_anonymised(chart, actor, case_)) {
    anonymise_fields(api, chart, fields, json_object_get(case_, "fields"),
                     json_string_value(json_object_get(case_, "id")), now, birthdate_of(chart, case_));
    json_object_set_new(v, "anoniem", json_true());
  }
  json_object_set_new(v, "fields", fields);
  return v;
}

/* --- replies --- */

static void reply_json(http_request_t *req, int status, json_t *body) {
  char *s = core_json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (s == NULL) {
    http_respond_error(req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  http_respond(req, status, NULL, s, strlen(s), NULL);
  free(s);
}

/* --- request parsing --- */

/* Parses the body as a JSON object within the limits (core/jsonbody.h); replies 400 (or 413, 503) and
 * returns NULL otherwise. */
static json_t *body_parse(http_request_t *req) {
  json_t *doc = NULL;
  char msg[320];
  int rc = core_json_body_parse(req->body, req->body_len, &doc, msg, sizeof(msg));
  if (rc != 0) {
    http_respond_error(req, rc, msg, NULL);
    return NULL;
  }
  return doc;
}

/* Returns the value of query parameter name (URL-decoding not needed for our ids) into out. */
static bool query_get(const char *query, const char *name, char *out, size_t out_size) {
  size_t n = strlen(name);
  const char *p = query;
  while (p && *p) {
    if (strncmp(p, name, n) == 0 && p[n] == '=') {
      const char *v = p + n + 1, *end = strchr(v, '&');
      size_t len = end ? (size_t)(end - v) : strlen(v);
      if (len >= out_size) return false;
      memcpy(out, v, len);
      out[len] = '\0';
      return true;
    }
    p = strchr(p, '&');
    if (p) p++;
  }
  return false;
}

static bool id_valid(const char *s, size_t len) {
  size_t i;
  if (len == 0 || len >= LIMIT_ID_BYTES_MAX) return false;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '@'))
      return false;
  }
  return true;
}

/* --- effects: inbox --- */

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

/* Stores an accepted engine result: the case, its history entry, its inbox effects. */
static int result_store(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const engine_result_t *res,
                        int64_t now_s) {
  int rc = store_case_put(txn, res->case_);
  if (rc == 0 && res->history != NULL)
    rc = store_history_append(txn, json_string_value(json_object_get(res->case_, "id")), res->history, NULL);
  if (rc == 0) rc = effects_apply(api, txn, chart, res->case_, res->effects, now_s);
  return rc;
}

/* --- writes, applied inside the batch --- */

static void pending_fail(pending_t *p, int err, const char *rule, const char *message) {
  p->err = err;
  p->rule = rule;
  snprintf(p->message, sizeof(p->message), "%s", message ? message : core_err_message(err));
}

static void pending_ok(pending_t *p, int status, json_t *body) {
  p->status = status;
  p->resp = core_json_dumps(body, JSON_COMPACT);
  p->resp_len = p->resp ? strlen(p->resp) : 0;
  json_decref(body);
  if (p->resp == NULL) pending_fail(p, CASUS_ENOMEM, NULL, NULL);
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
    pending_fail(p, CASUS_EINVALID_DATA, "R-TW-1",
                 gemeente ? "The gemeente is not part of any configured region."
                          : "The field \"gemeente\" is required.");
    return p->err;
  }
  chart = chart_by_id(api, region->chart);
  rc = store_case_next_id(txn, id, sizeof(id));
  if (rc != 0) {
    pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  ctx.chart = chart;
  ctx.cal = &api->calendars[region - api->cfg.regions];
  ctx.now_s = timers_now(api->timers);
  extra = json_pack("{s:s}", "regio", region->name);
  rc = engine_case_create(&ctx, id, p->body, extra, &actor, &res);
  json_decref(extra);
  if (rc != 0) {
    pending_fail(p, rc, res.rule, res.message);
    engine_result_clear(&res);
    return rc;
  }
  /* R-AUTH-2: a caller can only create a case its own organisation will see. */
  if (!auth_case_visible(chart, p->actor, res.case_)) {
    pending_fail(p, CASUS_EFORBIDDEN, "R-AUTH-2", "You can only register cases for your own organisation.");
    engine_result_clear(&res);
    return p->err;
  }
  rc = result_store(api, txn, chart, &res, ctx.now_s);
  if (rc != 0) {
    pending_fail(p, rc, NULL, NULL);
  } else {
    pending_ok(p, 201, case_view(api, chart, res.case_, p->actor));
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
      pending_fail(p, CASUS_EBAD_REQUEST, NULL,
                   "The event body has only \"event\", \"data\" and \"expected_version\".");
      return p->err;
    }
  }
  if (event == NULL || !id_valid(event, strlen(event))) {
    pending_fail(p, CASUS_EBAD_REQUEST, NULL, "\"event\" must be an event name.");
    return p->err;
  }
  if (data != NULL && !json_is_object(data)) {
    pending_fail(p, CASUS_EINVALID_DATA, NULL, "\"data\" must be a JSON object.");
    return p->err;
  }
  if (expected != NULL && !json_is_integer(expected)) {
    pending_fail(p, CASUS_EBAD_REQUEST, NULL, "\"expected_version\" must be an integer.");
    return p->err;
  }
  rc = store_case_get(txn, p->case_id, &case_);
  if (rc != 0) {
    pending_fail(p, rc, rc == CASUS_ENOT_FOUND ? "R-AUTH-2" : NULL, NULL);
    return rc;
  }
  chart = chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  if (chart == NULL || !auth_case_visible(chart, p->actor, case_)) {
    json_decref(case_);
    pending_fail(p, CASUS_ENOT_FOUND, "R-AUTH-2", NULL);
    return p->err;
  }
  if (expected != NULL &&
      json_integer_value(expected) != json_integer_value(json_object_get(case_, "version"))) {
    char msg[160];
    snprintf(msg, sizeof(msg), "The case is at version %lld, not %lld; reload it and decide again.",
             (long long)json_integer_value(json_object_get(case_, "version")),
             (long long)json_integer_value(expected));
    json_decref(case_);
    pending_fail(p, CASUS_EVERSION_MISMATCH, NULL, msg);
    return p->err;
  }
  ctx.chart = chart;
  ctx.cal = calendar_of_case(api, case_);
  ctx.now_s = timers_now(api->timers);
  rc = engine_event_apply(&ctx, case_, event, data, &actor, &res);
  json_decref(case_);
  if (rc != 0) {
    pending_fail(p, rc, res.rule, res.message);
    engine_result_clear(&res);
    return rc;
  }
  rc = result_store(api, txn, chart, &res, ctx.now_s);
  if (rc != 0)
    pending_fail(p, rc, NULL, NULL);
  else
    pending_ok(p, 200, case_view(api, chart, res.case_, p->actor));
  engine_result_clear(&res);
  return rc;
}

/* Applies one queued write in its own child transaction. */
static void pending_apply(api_t *api, store_txn_t *parent, pending_t *p) {
  store_txn_t *txn;
  const char *idem_key = p->req->idempotency_key;
  json_t *record = NULL;
  int rc = store_txn_child(parent, &txn);
  if (rc != 0) {
    pending_fail(p, rc, NULL, NULL);
    return;
  }
  if (idem_key != NULL) {
    rc = store_idem_get(txn, p->actor->id, idem_key, &record);
    if (rc == 0) {
      store_txn_abort(txn);
      if (strcmp(json_string_value(json_object_get(record, "request_sha256")), p->request_hash) != 0) {
        pending_fail(p, CASUS_EIDEMPOTENCY_REUSED, NULL, NULL);
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
      pending_fail(p, rc, NULL, NULL);
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
      pending_fail(p, rc, NULL, NULL);
    }
  }
  if (rc == 0) {
    rc = store_txn_commit(txn);
    if (rc != 0) {
      free(p->resp);
      p->resp = NULL;
      pending_fail(p, rc, NULL, NULL);
    }
  } else {
    store_txn_abort(txn);
  }
}

/* --- live stream (SSE) --- */

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
  }
  json_decref(items);
  return alive;
}

/* After a commit: every stream gets what was committed for it, and nothing before the commit. */
static void streams_push(api_t *api) {
  sub_t *s;
  if (!api->inbox_changed) return;
  api->inbox_changed = false;
  for (s = api->subs; s; s = s->next) (void)sub_push(api, s);
}

static void sub_remove(api_t *api, http_request_t *req) {
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
  sub_remove(api, req);
  http_stream_end(req);
}

/* --- timers --- */

static int64_t next_due(api_t *api) {
  store_txn_t *txn;
  int64_t due;
  char case_id[LIMIT_ID_BYTES_MAX], name[LIMIT_ID_BYTES_MAX];
  if (store_txn_begin(api->store, false, &txn) != 0) return TIMERS_NONE;
  if (store_timer_first(txn, &due, case_id, sizeof(case_id), name, sizeof(name)) != 0) due = TIMERS_NONE;
  store_txn_abort(txn);
  return due;
}

/* Fires one due timer inside txn. */
static int timer_fire_one(api_t *api, store_txn_t *txn, int64_t due, const char *case_id, const char *name) {
  json_t *case_ = NULL, *t;
  const engine_chart_t *chart;
  engine_ctx_t ctx;
  engine_result_t res;
  int rc = store_case_get(txn, case_id, &case_);
  if (rc != 0) return rc;
  chart = chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
  t = json_object_get(json_object_get(case_, "timers"), name);
  if (chart == NULL || t == NULL || json_integer_value(json_object_get(t, "due_s")) != due) {
    /* Cannot happen while store_case_put keeps the index; drop the timer rather than loop on it. */
    api_log("timer %s of case %s does not match its index entry; dropped", name, case_id);
    json_object_del(json_object_get(case_, "timers"), name);
    rc = store_case_put(txn, case_);
    json_decref(case_);
    return rc;
  }
  ctx.chart = chart;
  ctx.cal = calendar_of_case(api, case_);
  ctx.now_s = due; /* the event happens when the timer was due, however late we are */
  rc = engine_timer_fire(&ctx, case_, name, &res);
  json_decref(case_);
  if (rc == 0) rc = result_store(api, txn, chart, &res, due);
  engine_result_clear(&res);
  return rc;
}

/* Fires every timer due at the clock's now, in due order, in transactions
 * of at most LIMIT_TIMER_FIRES_PER_TICK_MAX.  Returns 0 or a store error. */
static int timers_fire_due(api_t *api) {
  int64_t now = timers_now(api->timers);
  for (;;) {
    store_txn_t *txn;
    int fired = 0, rc;
    rc = store_txn_begin(api->store, true, &txn);
    if (rc != 0) return rc;
    while (fired < LIMIT_TIMER_FIRES_PER_TICK_MAX) {
      int64_t due;
      char case_id[LIMIT_ID_BYTES_MAX], name[LIMIT_ID_BYTES_MAX];
      rc = store_timer_first(txn, &due, case_id, sizeof(case_id), name, sizeof(name));
      if (rc == CASUS_ENOT_FOUND || (rc == 0 && due > now)) {
        rc = 0;
        break;
      }
      if (rc == 0) rc = timer_fire_one(api, txn, due, case_id, name);
      if (rc != 0) break;
      fired++;
      api->m.timers_fired++;
    }
    if (rc != 0) {
      store_txn_abort(txn);
      api->inbox_changed = false;
      api_log("firing timers failed: %s", core_err_message(rc));
      return rc;
    }
    rc = store_txn_commit(txn);
    if (rc != 0) {
      api->inbox_changed = false;
      api_log("committing fired timers failed: %s", core_err_message(rc));
      return rc;
    }
    streams_push(api);
    if (fired < LIMIT_TIMER_FIRES_PER_TICK_MAX) break;
  }
  timers_arm(api->timers, next_due(api));
  return 0;
}

static void api_timers_cb(timers_t *t, void *ud) {
  api_t *api = ud;
  (void)t;
  if (timers_fire_due(api) != 0) {
    /* The store refused; try again in a while rather than spin. */
    timers_arm(api->timers, timers_now(api->timers) + 5);
  }
}

/* --- the batch --- */

static void pending_reply(api_t *api, pending_t *p) {
  if (p->err == CASUS_ESTORE || p->err == CASUS_ESTORE_FULL || p->err == CASUS_ENOMEM)
    api->m.writes_failed++;
  else if (p->err != 0)
    api->m.writes_refused++;
  else
    api->m.writes_ok++;
  if (p->err != 0)
    http_respond_error(p->req, p->err, p->message, p->rule);
  else
    http_respond(p->req, p->status, NULL, p->resp, p->resp_len, NULL);
  free(p->resp);
  json_decref(p->body);
  free(p);
}

static void clock_apply(api_t *api, pending_t *p) {
  const char *now = json_string_value(json_object_get(p->body, "now"));
  int64_t t;
  char buf[32];
  int rc;
  if (now == NULL || cal_time_parse(now, &t) != 0 || json_object_size(p->body) != 1) {
    pending_fail(p, CASUS_EBAD_REQUEST, "R-TIME-4", "The body must be {\"now\": \"<RFC 3339 time>\"}.");
    return;
  }
  rc = timers_set_now(api->timers, t);
  if (rc != 0) {
    pending_fail(p, rc, "R-TIME-4", NULL);
    return;
  }
  rc = timers_fire_due(api);
  if (rc != 0) {
    pending_fail(p, rc, "R-TIME-3", NULL);
    return;
  }
  cal_time_format(t, buf, sizeof(buf));
  pending_ok(p, 200, json_pack("{s:s, s:b}", "now", buf, "manual", 1));
}

static void batch_idle_cb(uv_idle_t *h) {
  (void)h;
}

static void batch_cb(uv_check_t *h) {
  api_t *api = h->data;
  pending_t *batch = NULL, **tailp = &batch, *p, *clocks = NULL, **ctail = &clocks;
  store_txn_t *txn = NULL;
  int n = 0, rc;
  if (api->head == NULL) {
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
  if (batch != NULL) {
    rc = store_txn_begin(api->store, true, &txn);
    if (rc != 0) {
      for (p = batch; p; p = p->next) pending_fail(p, rc, NULL, NULL);
    } else {
      for (p = batch; p; p = p->next) pending_apply(api, txn, p);
      rc = store_txn_commit(txn);
      api->m.commits++;
      if ((uint64_t)n > api->m.batch_requests_max) api->m.batch_requests_max = (uint64_t)n;
      if (rc != 0) api->m.commit_failures++;
      if (rc != 0) api->inbox_changed = false;
      if (rc != 0) {
        api_log("group commit of %d requests failed: %s", n, core_err_message(rc));
        for (p = batch; p; p = p->next) {
          if (p->err == 0) {
            free(p->resp);
            p->resp = NULL;
            pending_fail(p, rc, NULL, NULL);
          }
        }
      }
    }
    /* Only now, after the commit, do the replies leave. */
    while (batch) {
      p = batch;
      batch = p->next;
      pending_reply(api, p);
    }
    streams_push(api);
    timers_arm(api->timers, next_due(api));
  }
  while (clocks) {
    p = clocks;
    clocks = p->next;
    clock_apply(api, p);
    pending_reply(api, p);
  }
  /* More queued than one batch takes: keep the loop from blocking in poll. */
  if (api->head != NULL) uv_idle_start(&api->batch_idle, batch_idle_cb);
}

/* --- handlers --- */

typedef struct {
  api_t *api;
  http_request_t *req;
  const auth_actor_t *actor;
  char param[LIMIT_ID_BYTES_MAX]; /* the {id} of the path */
} call_t;

static void enqueue(call_t *c, int kind, json_t *body) {
  api_t *api = c->api;
  pending_t *p;
  char *canon;
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
  p->actor = c->actor;
  p->kind = kind;
  p->body = body;
  snprintf(p->case_id, sizeof(p->case_id), "%s", c->param);
  /* The idempotency fingerprint: method, path and the body's canonical JSON. */
  canon = core_json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
  {
    sha256_ctx_t h;
    uint8_t d[32];
    sha256_init(&h);
    sha256_update(&h, c->req->method, strlen(c->req->method));
    sha256_update(&h, " ", 1);
    sha256_update(&h, c->req->path, strlen(c->req->path));
    sha256_update(&h, "\n", 1);
    if (canon) sha256_update(&h, canon, strlen(canon));
    sha256_final(&h, d);
    sha256_to_hex(d, p->request_hash);
  }
  free(canon);
  if (api->tail)
    api->tail->next = p;
  else
    api->head = p;
  api->tail = p;
  api->pending_count++;
  /* A request parsed outside the poll phase (the HTTP server resumes
   * pipelined input from a 0 ms timer) must not wait for unrelated I/O:
   * an active idle handle keeps the next poll from blocking, so batch_cb
   * runs in this loop iteration. */
  uv_idle_start(&api->batch_idle, batch_idle_cb);
}

static void h_metrics(call_t *c) {
  api_t *api = c->api;
  char buf[2048];
  int n;
  if (!c->req->peer_loopback) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "No such path.", NULL);
    return;
  }
  n = snprintf(
      buf, sizeof(buf),
      "# HELP casusd_requests_total HTTP requests routed.\n# TYPE casusd_requests_total counter\n"
      "casusd_requests_total %llu\n"
      "# HELP casusd_unauthenticated_total Requests refused with 401.\n# TYPE casusd_unauthenticated_total "
      "counter\n"
      "casusd_unauthenticated_total %llu\n"
      "# HELP casusd_writes_total Write requests by outcome.\n# TYPE casusd_writes_total counter\n"
      "casusd_writes_total{outcome=\"ok\"} %llu\ncasusd_writes_total{outcome=\"refused\"} %llu\n"
      "casusd_writes_total{outcome=\"failed\"} %llu\n"
      "# HELP casusd_commits_total Group commits.\n# TYPE casusd_commits_total counter\ncasusd_commits_total "
      "%llu\n"
      "# HELP casusd_commit_failures_total Group commits that failed.\n# TYPE casusd_commit_failures_total "
      "counter\n"
      "casusd_commit_failures_total %llu\n"
      "# HELP casusd_batch_requests_max Most requests in one group commit.\n# TYPE casusd_batch_requests_max "
      "gauge\n"
      "casusd_batch_requests_max %llu\n"
      "# HELP casusd_timers_fired_total Durable timers fired.\n# TYPE casusd_timers_fired_total counter\n"
      "casusd_timers_fired_total %llu\n"
      "# HELP casusd_connections Open HTTP connections.\n# TYPE casusd_connections gauge\ncasusd_connections "
      "%d\n"
      "# HELP casusd_streams Open event streams.\n# TYPE casusd_streams gauge\ncasusd_streams %d\n"
      "# HELP casusd_pending_writes Writes waiting for the next group commit.\n# TYPE casusd_pending_writes "
      "gauge\n"
      "casusd_pending_writes %d\n",
      (unsigned long long)api->m.requests, (unsigned long long)api->m.unauthenticated,
      (unsigned long long)api->m.writes_ok, (unsigned long long)api->m.writes_refused,
      (unsigned long long)api->m.writes_failed, (unsigned long long)api->m.commits,
      (unsigned long long)api->m.commit_failures, (unsigned long long)api->m.batch_requests_max,
      (unsigned long long)api->m.timers_fired, http_server_connections(api->http), api->subs_count,
      api->pending_count);
  http_respond(c->req, 200, "text/plain; version=0.0.4", buf,
               (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, NULL);
}

static void h_healthz(call_t *c) {
  (void)c->api;
  reply_json(c->req, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_case_create(call_t *c) {
  json_t *body = body_parse(c->req);
  if (body) enqueue(c, W_CREATE, body);
}

static void h_event(call_t *c) {
  json_t *body = body_parse(c->req);
  if (body) enqueue(c, W_EVENT, body);
}

static void h_clock(call_t *c) {
  json_t *body;
  if (strcmp(c->actor->role, AUTH_ROLE_ADMIN) != 0) {
    http_respond_error(c->req, CASUS_EFORBIDDEN, "Only an admin may set the clock.", "R-TIME-4");
    return;
  }
  if (!timers_manual(c->api->timers)) {
    http_respond_error(c->req, CASUS_ECLOCK_NOT_MANUAL, NULL, "R-TIME-4");
    return;
  }
  body = body_parse(c->req);
  if (body) enqueue(c, W_CLOCK, body);
}

/* Reads a visible case in a read transaction; replies 404 itself. */
static json_t *case_read(call_t *c, store_txn_t *txn, const engine_chart_t **chart) {
  json_t *case_ = NULL;
  int rc = store_case_get(txn, c->param, &case_);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, rc == CASUS_ENOT_FOUND ? "R-AUTH-2" : NULL);
    return NULL;
  }
  *chart = chart_by_ref(c->api, json_string_value(json_object_get(case_, "chart")));
  if (*chart == NULL || !auth_case_visible(*chart, c->actor, case_)) {
    json_decref(case_);
    http_respond_error(c->req, CASUS_ENOT_FOUND, NULL, "R-AUTH-2");
    return NULL;
  }
  return case_;
}

static void h_case_get(call_t *c) {
  store_txn_t *txn;
  const engine_chart_t *chart;
  json_t *case_;
  int rc = store_txn_begin(c->api->store, false, &txn);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  case_ = case_read(c, txn, &chart);
  if (case_) {
    reply_json(c->req, 200, case_view(c->api, chart, case_, c->actor));
    json_decref(case_);
  }
  store_txn_abort(txn);
}

static void h_history(call_t *c) {
  store_txn_t *txn;
  const engine_chart_t *chart;
  json_t *case_, *entries = NULL, *e;
  size_t i;
  int rc = store_txn_begin(c->api->store, false, &txn);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  case_ = case_read(c, txn, &chart);
  if (case_) {
    rc = store_history_list(txn, c->param, LIMIT_HISTORY_ENTRIES_MAX, &entries);
    if (rc != 0) {
      http_respond_error(c->req, rc, NULL, NULL);
    } else {
      if (auth_case_anonymised(chart, c->actor, case_)) {
        json_array_foreach(entries, i, e) {
          anonymise_fields(c->api, chart, json_object_get(e, "data"), json_object_get(case_, "fields"),
                           c->param, timers_now(c->api->timers), birthdate_of(chart, case_));
        }
      }
      reply_json(c->req, 200, json_pack("{s:s, s:o}", "case_id", c->param, "entries", entries));
    }
    json_decref(case_);
  }
  store_txn_abort(txn);
}

typedef struct {
  call_t *c;
  const char *status;
  json_t *items;
  size_t limit;
  bool more;
} list_ctx_t;

static int list_fn(const json_t *case_, void *ud) {
  list_ctx_t *l = ud;
  const engine_chart_t *chart = chart_by_ref(l->c->api, json_string_value(json_object_get(case_, "chart")));
  if (chart == NULL || !auth_case_visible(chart, l->c->actor, case_)) return 0;
  if (l->status) {
    const char *st = json_string_value(json_object_get(case_, "status"));
    if (st == NULL || strcmp(st, l->status) != 0) return 0;
  }
  if (json_array_size(l->items) >= l->limit) {
    l->more = true;
    return 1;
  }
  json_array_append_new(l->items, case_view(l->c->api, chart, case_, l->c->actor));
  return 0;
}

static void h_case_list(call_t *c) {
  store_txn_t *txn;
  char status[LIMIT_ID_BYTES_MAX], cursor[LIMIT_ID_BYTES_MAX], limit[16];
  list_ctx_t l;
  json_t *out;
  int rc;
  memset(&l, 0, sizeof(l));
  l.c = c;
  l.limit = LIMIT_PAGE_CASES_DEFAULT;
  if (query_get(c->req->query, "status", status, sizeof(status))) l.status = status;
  if (!query_get(c->req->query, "cursor", cursor, sizeof(cursor))) cursor[0] = '\0';
  if (query_get(c->req->query, "limit", limit, sizeof(limit))) {
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
  reply_json(c->req, 200, out);
}

static void h_inbox(call_t *c) {
  char rec[2][AUTH_RECIPIENT_BYTES_MAX], after[32];
  const char *recs[2] = {rec[0], rec[1]};
  store_txn_t *txn;
  json_t *items = NULL;
  uint64_t after_seq = 0;
  int rc;
  auth_recipients_of(c->actor, rec);
  if (query_get(c->req->query, "after", after, sizeof(after))) after_seq = strtoull(after, NULL, 10);
  rc = store_txn_begin(c->api->store, false, &txn);
  if (rc == 0) rc = store_inbox_list(txn, recs, 2, after_seq, LIMIT_INBOX_ITEMS_MAX, &items);
  if (txn) store_txn_abort(txn);
  if (rc != 0) {
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  reply_json(c->req, 200, json_pack("{s:o}", "items", items));
}

static void h_stream(call_t *c) {
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
  sub->actor = c->actor;
  /* Resume after the last event the client saw (Last-Event-ID), or ?after=SEQ. */
  if (c->req->last_event_id != NULL)
    sub->last_seq = strtoull(c->req->last_event_id, NULL, 10);
  else if (query_get(c->req->query, "after", after, sizeof(after)))
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
    sub_remove(api, c->req);
    http_stream_end(c->req);
  }
}

static void h_charts(call_t *c) {
  json_t *list = json_array();
  int i;
  for (i = 0; i < c->api->charts_count; i++) {
    const engine_chart_t *ch = c->api->charts[i];
    json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:O?}", "id", engine_chart_id(ch), "version",
                                          engine_chart_version(ch), "ref", engine_chart_ref(ch), "title",
                                          json_object_get(engine_chart_json(ch), "title")));
  }
  reply_json(c->req, 200, json_pack("{s:o}", "statecharts", list));
}

static void h_chart(call_t *c) {
  const engine_chart_t *ch =
      strchr(c->param, '@') ? chart_by_ref(c->api, c->param) : chart_by_id(c->api, c->param);
  if (ch == NULL) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "No chart of that id is loaded.", NULL);
    return;
  }
  reply_json(c->req, 200, json_deep_copy(engine_chart_json(ch)));
}

/* --- the route table --- */

typedef struct {
  const char *method;
  const char *pattern; /* "{}" matches one id segment */
  void (*handler)(call_t *c);
  bool authenticated;
} route_t;

static const route_t routes[] = {
    {"GET", "/healthz", h_healthz, false},
    {"GET", "/metrics", h_metrics, false},
    {"POST", "/v1/cases", h_case_create, true},
    {"GET", "/v1/cases", h_case_list, true},
    {"GET", "/v1/cases/{}", h_case_get, true},
    {"POST", "/v1/cases/{}/events", h_event, true},
    {"GET", "/v1/cases/{}/history", h_history, true},
    {"GET", "/v1/inbox", h_inbox, true},
    {"GET", "/v1/stream", h_stream, true},
    {"GET", "/v1/statecharts", h_charts, true},
    {"GET", "/v1/statecharts/{}", h_chart, true},
    {"PUT", "/v1/admin/clock", h_clock, true},
};

/* Matches path against pattern, capturing the "{}" segment into param. */
static bool route_match(const char *pattern, const char *path, char *param, size_t param_size) {
  while (*pattern && *path) {
    if (pattern[0] == '{' && pattern[1] == '}') {
      const char *end = strchr(path, '/');
      size_t len = end ? (size_t)(end - path) : strlen(path);
      if (!id_valid(path, len) || len >= param_size) return false;
      memcpy(param, path, len);
      param[len] = '\0';
      path += len;
      pattern += 2;
      continue;
    }
    if (*pattern != *path) return false;
    pattern++;
    path++;
  }
  return *pattern == '\0' && *path == '\0';
}

static void on_request(http_request_t *req, void *ud) {
  api_t *api = ud;
  call_t c;
  size_t i;
  bool path_known = false;
  memset(&c, 0, sizeof(c));
  c.api = api;
  c.req = req;
  api->m.requests++;
  for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    const route_t *r = &routes[i];
    if (!route_match(r->pattern, req->path, c.param, sizeof(c.param))) continue;
    path_known = true;
    if (strcmp(r->method, req->method) != 0) continue;
    if (r->authenticated) {
      c.actor = auth_authenticate(&api->cfg, req->authorization);
      if (c.actor == NULL) {
        api->m.unauthenticated++;
        http_respond_error(
            req, CASUS_EUNAUTHENTICATED,
            req->authorization ? "The bearer token is not known." : "A bearer token is required.",
            "R-AUTH-1");
        return;
      }
    }
    r->handler(&c);
    return;
  }
  if (path_known)
    http_respond_error(req, CASUS_EMETHOD_NOT_ALLOWED, NULL, NULL);
  else
    http_respond_error(req, CASUS_ENOT_FOUND, "No such path.", NULL);
}

/* --- start and stop --- */

int api_start(api_t **out, uv_loop_t *loop, const api_options_t *opt, char *err, size_t err_size) {
  api_t *api = calloc(1, sizeof(*api));
  int64_t start;
  int rc;
  *out = NULL;
  if (api == NULL) return CASUS_ENOMEM;
  api->loop = loop;
  rc = auth_config_load(&api->cfg, opt->config, err, err_size);
  if (rc != 0) goto fail;
  rc = charts_load(api, opt->charts_dir, err, err_size);
  if (rc != 0) goto fail;
  rc = regions_prepare(api, err, err_size);
  if (rc != 0) goto fail;
  rc = store_open(&api->store, opt->data_dir, opt->map_bytes);
  if (rc != 0) {
    snprintf(err, err_size, "cannot open the store in %s: %s", opt->data_dir, core_err_message(rc));
    goto fail;
  }
  {
    store_txn_t *txn;
    rc = store_txn_begin(api->store, false, &txn);
    if (rc == 0) {
      rc = store_secret_get(txn, api->secret);
      store_txn_abort(txn);
    }
    if (rc != 0) {
      snprintf(err, err_size, "cannot read the store's secret: %s", core_err_message(rc));
      goto fail;
    }
  }
  start = opt->manual_clock && api->cfg.has_now ? api->cfg.now_s : (int64_t)time(NULL);
  rc = timers_new(&api->timers, loop, opt->manual_clock, start, api_timers_cb, api);
  if (rc != 0) goto fail;
  uv_check_init(loop, &api->batch_check);
  api->batch_check.data = api;
  uv_check_start(&api->batch_check, batch_cb);
  uv_idle_init(loop, &api->batch_idle);
  api->batch_idle.data = api;
  /* R-TIME-3: what came due while we were down fires now, before serving. */
  rc = timers_fire_due(api);
  if (rc != 0) {
    snprintf(err, err_size, "firing overdue timers failed: %s", core_err_message(rc));
    goto fail_handles;
  }
  rc = http_server_start(&api->http, loop, opt->host, opt->port, on_request, api);
  if (rc != 0) {
    snprintf(err, err_size, "cannot listen on %s:%d: %s", opt->host, opt->port, uv_strerror(rc));
    goto fail_handles;
  }
  *out = api;
  return 0;
fail_handles:
  api->http = NULL;
  api_stop(api);
  return rc;
fail:
  if (api->store) store_close(api->store);
  if (api->timers) timers_free(api->timers);
  {
    int i;
    for (i = 0; i < api->charts_count; i++) engine_chart_free(api->charts[i]);
  }
  free(api->calendars);
  auth_config_free(&api->cfg);
  free(api);
  return rc;
}

int api_port(const api_t *api) {
  return http_server_port(api->http);
}

static void api_handle_closed(uv_handle_t *h) {
  api_t *api = h->data;
  if (--api->handles_open == 0) free(api);
}

void api_stop(api_t *api) {
  pending_t *p;
  int i;
  if (api == NULL) return;
  /* End the streams first: after this the server calls no stream callback into us. */
  while (api->subs != NULL) {
    http_request_t *req = api->subs->req;
    sub_remove(api, req);
    http_stream_end(req);
  }
  if (api->http) http_server_stop(api->http);
  while ((p = api->head) != NULL) {
    api->head = p->next;
    pending_fail(p, CASUS_EOVERLOADED, NULL, "The server is shutting down.");
    pending_reply(api, p);
  }
  timers_free(api->timers);
  store_close(api->store);
  for (i = 0; i < api->charts_count; i++) engine_chart_free(api->charts[i]);
  free(api->calendars);
  auth_config_free(&api->cfg);
  api->handles_open = 2;
  uv_close((uv_handle_t *)&api->batch_check, api_handle_closed);
  uv_close((uv_handle_t *)&api->batch_idle, api_handle_closed);
}
