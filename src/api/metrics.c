/*
 * metrics.c -- GET /metrics in the Prometheus text format, for the admin
 * role's bearer token only: a loopback check would admit anyone behind a
 * proxy on the same host (docs/operations.md shows Prometheus' config).
 *
 * The metrics are one table: name, type, help and value, so that a new one
 * is a row.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"

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
  char buf[8192];
  size_t i, n = 0;
  if (strcmp(c->actor->role, AUTH_ROLE_ADMIN) != 0) {
    http_respond_error(c->req, CASUS_EFORBIDDEN, "Only an admin may read the metrics.", NULL);
    return;
  }
  for (i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
    const metric_t *m = &metrics[i];
    int w;
    if (m->help != NULL) {
      w = snprintf(buf + n, sizeof(buf) - n, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                   m->type);
      CASUS_ASSERT(w > 0 && (size_t)w < sizeof(buf) - n);
      n += (size_t)w;
    }
    w = snprintf(buf + n, sizeof(buf) - n, "%s%s %llu\n", m->name, m->labels, m->value);
    CASUS_ASSERT(w > 0 && (size_t)w < sizeof(buf) - n);
    n += (size_t)w;
  }
  http_respond(c->req, 200, "text/plain; version=0.0.4", buf, n, NULL);
}
