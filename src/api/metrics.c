/*
 * metrics.c -- GET /metrics in the Prometheus text format, for the admin
 * role's bearer token only: a loopback check would admit anyone behind a
 * proxy on the same host (docs/operations.md shows Prometheus' config).
 *
 * The metrics without labels are one table: name, type, help and value, so
 * that a new one is a row.  Then come the ones with labels, each bounded:
 *   - casusd_request_duration_seconds, a histogram per route (the route
 *     table's method and pattern, never the raw path) and status class, over
 *     api__latency_buckets_s;
 *   - casusd_build_info (version, git commit at configure time, the loaded
 *     charts as one label) and casusd_chart_info (a series per chart);
 *   - the gauges the store keeps as counts (store_counts.c): cases per
 *     status and region, open tasks per kind, overdue deadlines per kind;
 *     and LMDB's own: pending timers, idempotency keys, the map's size and
 *     use; the lag of the earliest due timer;
 *   - counters of accepted events per chart and event and of refusals per
 *     rule id, whose label values come from the loaded charts.
 * docs/operations.md (Metrics) lists them all and what to watch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"

#ifndef CASUS_VERSION
#define CASUS_VERSION "unknown"
#endif
#ifndef CASUS_GIT_COMMIT
#define CASUS_GIT_COMMIT "unknown"
#endif

/* The request latency histogram's upper bounds, in seconds: from a read
 * answered from the map (well under a millisecond) to a group commit that
 * waited on a slow disk; beyond 10 s is +Inf. */
const double api__latency_buckets_s[API_LATENCY_BUCKETS_COUNT] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                  0.05,   0.1,   0.25,   0.5,   1,    10};

void api__on_respond(http_request_t *req, int status, void *ud) {
  api_t *api = ud;
  uint64_t ns = uv_hrtime() - req->start_ns;
  double s = (double)ns / 1e9;
  int route = req->route >= 0 && req->route < API_ROUTES_MAX ? req->route : API_ROUTES_MAX;
  int cls = status / 100 - 1, b;
  if (cls < 0) cls = 0;
  if (cls >= API_STATUS_CLASSES) cls = API_STATUS_CLASSES - 1;
  for (b = 0; b < API_LATENCY_BUCKETS_COUNT && s > api__latency_buckets_s[b]; b++) {
  }
  api->latency.counts[route][cls][b]++;
  api->latency.sum_ns[route][cls] += ns;
}

/* Adds 1 under key of the object *obj (made on first use), inside the
 * object named sub when sub is not NULL. */
static void metrics_count(json_t **obj, const char *sub, const char *key) {
  json_t *o;
  if (*obj == NULL && (*obj = json_object()) == NULL) return;
  o = *obj;
  if (sub != NULL) {
    json_t *inner = json_object_get(o, sub);
    if (inner == NULL) {
      inner = json_object();
      if (inner == NULL || json_object_set_new(o, sub, inner) != 0) return;
    }
    o = inner;
  }
  json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + 1));
}

void api__metrics_event(api_t *api, const char *chart, const char *event) {
  metrics_count(&api->m_events, chart, event);
}

void api__metrics_refusal(api_t *api, const char *rule) {
  metrics_count(&api->m_refusals, NULL, rule != NULL ? rule : "none");
}

/* The text of a scrape, grown as needed (a failed allocation sets failed). */
typedef struct {
  char *p;
  size_t len, cap;
  bool failed;
} mbuf_t;

static void mbuf_printf(mbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mbuf_printf(mbuf_t *b, const char *fmt, ...) {
  va_list ap;
  int w;
  if (b->failed) return;
  for (;;) {
    va_start(ap, fmt);
    w = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    CASUS_ASSERT(w >= 0);
    if ((size_t)w < b->cap - b->len) break;
    {
      size_t cap = (b->cap + (size_t)w + 1) * 2;
      char *p = realloc(b->p, cap);
      if (p == NULL) {
        b->failed = true;
        return;
      }
      b->p = p;
      b->cap = cap;
    }
  }
  b->len += (size_t)w;
}

/* A label value as the text format wants it: backslash, quote and newline
 * escaped; cut to fit out (label values come from charts and the
 * configuration, and are short). */
static const char *label_esc(const char *s, char *out, size_t size) {
  size_t o = 0;
  for (; *s && o + 3 < size; s++) {
    if (*s == '\\' || *s == '"') {
      out[o++] = '\\';
      out[o++] = *s;
    } else if (*s == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else {
      out[o++] = *s;
    }
  }
  out[o] = '\0';
  return out;
}

static void metric_head(mbuf_t *b, const char *name, const char *type, const char *help) {
  mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A route pattern as its label shows it: "{}" (one id segment) as "{id}". */
static void route_label(const char *pattern, char *out, size_t size) {
  size_t o = 0;
  for (; *pattern && o + 5 < size; pattern++) {
    if (pattern[0] == '{' && pattern[1] == '}') {
      memcpy(out + o, "{id}", 4);
      o += 4;
      pattern++;
    } else {
      out[o++] = *pattern;
    }
  }
  out[o] = '\0';
}

/* casusd_request_duration_seconds: the series of every (route, class) that saw a request. */
static void metrics_latency(api_t *api, mbuf_t *b) {
  static const char *const classes[API_STATUS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  int r, c, i;
  metric_head(b, "casusd_request_duration_seconds", "histogram",
              "Time from a complete request to its response (a stream: to its start), by route pattern and "
              "status class.");
  for (r = 0; r <= API_ROUTES_MAX; r++) {
    const char *method = "", *pattern = "unmatched";
    if (r < API_ROUTES_MAX) {
      if (r >= api__routes_count()) continue;
      api__route_name(r, &method, &pattern);
    }
    for (c = 0; c < API_STATUS_CLASSES; c++) {
      uint64_t cum = 0, total = 0;
      char labels[256], route[128];
      for (i = 0; i <= API_LATENCY_BUCKETS_COUNT; i++) total += api->latency.counts[r][c][i];
      if (total == 0) continue;
      route_label(pattern, route, sizeof(route));
      snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\",status=\"%s\"", method, route, classes[c]);
      for (i = 0; i < API_LATENCY_BUCKETS_COUNT; i++) {
        cum += api->latency.counts[r][c][i];
        mbuf_printf(b, "casusd_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
                    api__latency_buckets_s[i], (unsigned long long)cum);
      }
      mbuf_printf(b, "casusd_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                  (unsigned long long)total);
      mbuf_printf(b, "casusd_request_duration_seconds_sum{%s} %.9f\n", labels,
                  (double)api->latency.sum_ns[r][c] / 1e9);
      mbuf_printf(b, "casusd_request_duration_seconds_count{%s} %llu\n", labels, (unsigned long long)total);
    }
  }
}

/* casusd_build_info and casusd_chart_info. */
static void metrics_build(api_t *api, mbuf_t *b) {
  char charts[1024], esc[1024];
  size_t n = 0;
  int i;
  charts[0] = '\0';
  for (i = 0; i < api->charts_count; i++) {
    int w = snprintf(charts + n, sizeof(charts) - n, "%s%s", i ? "," : "", engine_chart_ref(api->charts[i]));
    if (w < 0 || (size_t)w >= sizeof(charts) - n) break;
    n += (size_t)w;
  }
  metric_head(b, "casusd_build_info", "gauge",
              "Always 1: the version, the git commit it was built from, and the loaded charts (id@version, "
              "comma-separated).");
  mbuf_printf(b, "casusd_build_info{version=\"%s\",commit=\"%s\",charts=\"%s\"} 1\n", CASUS_VERSION,
              CASUS_GIT_COMMIT, label_esc(charts, esc, sizeof(esc)));
  metric_head(b, "casusd_chart_info", "gauge", "Always 1: one series per loaded chart and its version.");
  for (i = 0; i < api->charts_count; i++) {
    char id[256];
    mbuf_printf(b, "casusd_chart_info{chart=\"%s\",version=\"%d\"} 1\n",
                label_esc(engine_chart_id(api->charts[i]), id, sizeof(id)),
                engine_chart_version(api->charts[i]));
  }
}

/* The gauges of store counts, one metric at a time (store_counts_each's callback). */
typedef struct {
  mbuf_t *b;
  store_count_t what;
} gauge_walk_t;

static int gauge_each(store_count_t what, const char *label, const char *label2, uint64_t n, void *ud) {
  gauge_walk_t *g = ud;
  char e1[256], e2[256];
  if (what != g->what) return 0;
  if (what == STORE_COUNT_CASES_BY_STATUS)
    mbuf_printf(g->b, "casusd_cases{status=\"%s\",region=\"%s\"} %llu\n", label_esc(label, e1, sizeof(e1)),
                label_esc(label2, e2, sizeof(e2)), (unsigned long long)n);
  else
    mbuf_printf(g->b, "%s{kind=\"%s\"} %llu\n",
                what == STORE_COUNT_TASKS_OPEN ? "casusd_tasks_open" : "casusd_deadlines_overdue",
                label_esc(label, e1, sizeof(e1)), (unsigned long long)n);
  return 0;
}

/* The gauges the store keeps.  A store error leaves them out (the scrape
 * still answers, with casusd_store_readable 0). */
static void metrics_store(api_t *api, mbuf_t *b) {
  static const struct {
    store_count_t what;
    const char *name, *help;
  } counted[] = {
      {STORE_COUNT_CASES_BY_STATUS, "casusd_cases", "Cases per status and region (counted by the store)."},
      {STORE_COUNT_TASKS_OPEN, "casusd_tasks_open", "Open tasks (one per recipient's inbox item) per kind."},
      {STORE_COUNT_DEADLINES_OVERDUE, "casusd_deadlines_overdue",
       "Open tasks raised by a missed deadline (its timer fired), per deadline kind."},
  };
  store_txn_t *txn;
  uint64_t timers = 0, idem = 0, map = 0, used = 0;
  int64_t lag = 0;
  size_t i;
  int rc = store_txn_begin(api->store, false, &txn);
  if (rc == 0) {
    int64_t due;
    char case_id[LIMIT_ID_BYTES_MAX], name[LIMIT_ID_BYTES_MAX];
    for (i = 0; rc == 0 && i < sizeof(counted) / sizeof(counted[0]); i++) {
      gauge_walk_t g = {b, counted[i].what};
      metric_head(b, counted[i].name, "gauge", counted[i].help);
      rc = store_counts_each(txn, gauge_each, &g);
    }
    if (rc == 0) rc = store_counts_entries(txn, &timers, &idem);
    if (rc == 0) {
      int frc = store_timer_first(txn, &due, case_id, sizeof(case_id), name, sizeof(name));
      if (frc == 0 && due < timers_now(api->timers)) lag = timers_now(api->timers) - due;
      if (frc != 0 && frc != CASUS_ENOT_FOUND) rc = frc;
    }
    store_txn_abort(txn);
  }
  if (rc == 0) rc = store_map_info(api->store, &map, &used);
  metric_head(b, "casusd_store_readable", "gauge", "1 when the store answered this scrape's gauges.");
  mbuf_printf(b, "casusd_store_readable %d\n", rc == 0);
  if (rc != 0) return;
  metric_head(b, "casusd_timers_pending", "gauge",
              "Durable timers waiting to fire (deadlines of open cases).");
  mbuf_printf(b, "casusd_timers_pending %llu\n", (unsigned long long)timers);
  metric_head(
      b, "casusd_timer_lag_seconds", "gauge",
      "How long ago the earliest pending timer came due (0 when none is due): timers are not firing.");
  mbuf_printf(b, "casusd_timer_lag_seconds %lld\n", (long long)lag);
  metric_head(b, "casusd_idempotency_keys", "gauge",
              "Idempotency records kept (until the sweep expires them).");
  mbuf_printf(b, "casusd_idempotency_keys %llu\n", (unsigned long long)idem);
  metric_head(b, "casusd_store_used_bytes", "gauge", "Bytes of the LMDB map in use (its high-water mark).");
  mbuf_printf(b, "casusd_store_used_bytes %llu\n", (unsigned long long)used);
  metric_head(b, "casusd_store_map_bytes", "gauge",
              "Size of the LMDB map (it grows up to LIMIT_MAP_BYTES_MAX).");
  mbuf_printf(b, "casusd_store_map_bytes %llu\n", (unsigned long long)map);
  metric_head(b, "casusd_store_map_use_ratio", "gauge", "Used bytes over the map's size.");
  mbuf_printf(b, "casusd_store_map_use_ratio %.6f\n", map ? (double)used / (double)map : 0.0);
}

/* casusd_events_total and casusd_refusals_total. */
static void metrics_events(api_t *api, mbuf_t *b) {
  const char *chart, *event, *rule;
  json_t *events, *n;
  metric_head(b, "casusd_events_total", "counter",
              "Events accepted through the API (creations included), per chart and event.");
  json_object_foreach(api->m_events, chart, events) {
    json_object_foreach(events, event, n) {
      char e1[256], e2[256];
      mbuf_printf(b, "casusd_events_total{chart=\"%s\",event=\"%s\"} %lld\n",
                  label_esc(chart, e1, sizeof(e1)), label_esc(event, e2, sizeof(e2)),
                  (long long)json_integer_value(n));
    }
  }
  metric_head(
      b, "casusd_refusals_total", "counter",
      "Write requests refused, per rule id of the guard or check that refused (\"none\" without one).");
  json_object_foreach(api->m_refusals, rule, n) {
    char e1[256];
    mbuf_printf(b, "casusd_refusals_total{rule=\"%s\"} %lld\n", label_esc(rule, e1, sizeof(e1)),
                (long long)json_integer_value(n));
  }
}

typedef struct {
  const char *name;
  const char *type;
  const char *help;
  const char *labels; /* "" or "{...}" */
  unsigned long long value;
} metric_t;

void api__handle_metrics(call_t *c) {
  api_t *api = c->api;
  const metric_t metrics[] = {
      {"casusd_requests_total", "counter", "HTTP requests routed.", "", api->m.requests},
      {"casusd_unauthenticated_total", "counter", "Requests refused with 401.", "", api->m.unauthenticated},
      {"casusd_writes_total", "counter", "Write requests by outcome.", "{outcome=\"ok\"}", api->m.writes_ok},
      {"casusd_writes_total", NULL, NULL, "{outcome=\"refused\"}", api->m.writes_refused},
      {"casusd_writes_total", NULL, NULL, "{outcome=\"failed\"}", api->m.writes_failed},
      {"casusd_writes_total", NULL, NULL, "{outcome=\"rate_limited\"}", api->m.writes_rate_limited},
      {"casusd_commits_total", "counter", "Group commits.", "", api->m.commits},
      {"casusd_commit_failures_total", "counter", "Group commits that failed.", "", api->m.commit_failures},
      {"casusd_batch_requests_max", "gauge", "Most requests in one group commit.", "",
       api->m.batch_requests_max},
      {"casusd_timers_fired_total", "counter", "Durable timers fired.", "", api->m.timers_fired},
      {"casusd_timers_failed_total", "counter",
       "Due timers whose event could not be applied, consumed as failed (a history entry and a task).", "",
       api->m.timers_failed},
      {"casusd_timer_chunks_total", "counter",
       "Transactions of due timers (each at most LIMIT_TIMER_CHUNK_US_MAX).", "", api->m.timer_chunks},
      {"casusd_connections", "gauge", "Open HTTP connections.", "",
       (unsigned long long)http_server_connections(api->http)},
      {"casusd_streams", "gauge", "Open event streams.", "", (unsigned long long)api->subs_count},
      {"casusd_pending_writes", "gauge",
       "Writes (and reads held for their access-log entries) waiting for the next group commit.", "",
       (unsigned long long)api->pending_count},
      {"casusd_swept_total", "counter",
       "Entries the sweeps of expired records looked at (docs/operations.md).", "{db=\"idem\"}",
       api->m.idem_swept},
      {"casusd_swept_total", NULL, NULL, "{db=\"inbox\"}", api->m.inbox_swept},
      {"casusd_swept_total", NULL, NULL, "{db=\"access\"}", api->m.access_swept},
      {"casusd_reads_logged_total", "counter",
       "Reads answered after the group commit that carried their access-log entries.", "",
       api->m.reads_logged},
      {"casusd_access_entries_total", "counter", "Access-log entries appended (NEN 7513).", "",
       api->m.access_entries},
      {"casusd_config_reloads_total", "counter", "SIGHUP reloads of the configuration by outcome.",
       "{outcome=\"ok\"}", api->reloads},
      {"casusd_config_reloads_total", NULL, NULL, "{outcome=\"refused\"}", api->reloads_refused},
      {"casusd_json_parses_total", "counter", "JSON documents parsed (requests and stored records).", "",
       core_json_parses()},
      {"casusd_json_serialisations_total", "counter", "JSON documents serialised (records and replies).", "",
       core_json_serialisations()},
  };
  mbuf_t b = {NULL, 0, 0, false};
  size_t i;
  if (strcmp(c->actor->role, AUTH_ROLE_ADMIN) != 0) {
    http_respond_error(c->req, CASUS_EFORBIDDEN, "Only an admin may read the metrics.", NULL);
    return;
  }
  b.cap = 16384;
  b.p = malloc(b.cap);
  if (b.p == NULL) {
    http_respond_error(c->req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  for (i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
    const metric_t *m = &metrics[i];
    if (m->help != NULL) metric_head(&b, m->name, m->type, m->help);
    mbuf_printf(&b, "%s%s %llu\n", m->name, m->labels, m->value);
  }
  metrics_build(api, &b);
  metrics_store(api, &b);
  metrics_events(api, &b);
  metrics_latency(api, &b);
  if (b.failed)
    http_respond_error(c->req, CASUS_ENOMEM, NULL, NULL);
  else
    http_respond(c->req, 200, "text/plain; version=0.0.4", b.p, b.len, NULL);
  free(b.p);
}
