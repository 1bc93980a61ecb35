/*
 * api.c -- starting and stopping the API: opens the store, loads charts,
 * regions and calendars, fires overdue timers, then listens.  Stopping ends
 * the streams, answers queued writes and closes every handle.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/log.h"
#include "core/sha256.h"

/* A test-only knob (docs/operations.md): the environment variable `name`
 * may lower a limit so that a test reaches it with a few requests, e.g. a
 * case's full history.  It can only lower: a value that is not a whole
 * number from 1 to max refuses the start.  *out is max when it is unset. */
static int test_limit_get(const char *name, int64_t max, int64_t *out, char *err, size_t err_size) {
  const char *v = getenv(name);
  char *end;
  long long n;
  *out = max;
  if (v == NULL) return 0;
  errno = 0;
  n = strtoll(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < 1 || n > max) {
    snprintf(err, err_size, "%s (a test-only knob) must be a whole number from 1 to %lld", name,
             (long long)max);
    return CASUS_ECONFIG_INVALID;
  }
  *out = n;
  core_log("warn", "test only: %s lowers the limit from %lld to %lld", name, (long long)max, n);
  return 0;
}

/* The test-only fault hook (docs/operations.md): CASUSD_TEST_FAULT, e.g.
 * "commit:3:EIO", makes the store fail its LMDB writes or commits from the
 * nth one on (store_fault_arm_spec), counted from here: after the store
 * opened, before the overdue timers fire.  Honoured only in a build with
 * CASUS_TEST_HOOKS (CMake, on by default); elsewhere, or malformed, it
 * refuses the start, so that a test never passes without its fault. */
static int test_fault_arm(store_t *st, char *err, size_t err_size) {
  const char *v = getenv("CASUSD_TEST_FAULT");
  if (v == NULL) return 0;
#ifdef CASUS_TEST_HOOKS
  if (store_fault_arm_spec(st, v) == 0) {
    core_log("warn", "test only: CASUSD_TEST_FAULT=%s: the store's LMDB operations will fail", v);
    return 0;
  }
  snprintf(
      err, err_size,
      "CASUSD_TEST_FAULT (a test-only knob) must be KIND:N:ERR[:COUNT]: KIND write or commit, N and COUNT "
      "whole numbers from 1 (COUNT may be always), ERR EIO, ENOSPC, MAP_FULL, CORRUPTED or ENOMEM");
#else
  (void)st;
  snprintf(err, err_size,
           "CASUSD_TEST_FAULT is set, but this build has no test hooks (CASUS_TEST_HOOKS off)");
#endif
  return CASUS_ECONFIG_INVALID;
}

int api_start(api_t **out, uv_loop_t *loop, const api_options_t *opt, char *err, size_t err_size) {
  api_t *api = calloc(1, sizeof(*api));
  int64_t start, chunk_max;
  int rc;
  *out = NULL;
  if (api == NULL) return CASUS_ENOMEM;
  api->loop = loop;
  rc = auth_config_load(&api->cfg, opt->config, err, err_size);
  if (rc != 0) goto fail;
  rc = test_limit_get("CASUSD_TEST_EVENTS_PER_CASE_MAX", LIMIT_EVENTS_PER_CASE_MAX, &api->events_per_case_max,
                      err, err_size);
  if (rc == 0)
    rc = test_limit_get("CASUSD_TEST_TIMER_FIRES_PER_CHUNK_MAX", LIMIT_TIMER_FIRES_PER_CHUNK_MAX, &chunk_max,
                        err, err_size);
  if (rc == 0)
    rc = test_limit_get("CASUSD_TEST_RATE_ACTORS_MAX", LIMIT_RATE_ACTORS_MAX, &api->rate_actors_max, err,
                        err_size);
  if (rc != 0) goto fail;
  api->timer_fires_per_chunk_max = (int)chunk_max;
  /* The write-rate buckets, by actor id, in memory only: a restart refills them. */
  api->regions_doc = json_incref(json_object_get(opt->config, "regions"));
  if (api__rate_init(api) != 0) {
    rc = CASUS_ENOMEM;
    snprintf(err, err_size, "%s", core_err_message(rc));
    goto fail;
  }
  rc = api__charts_load(api, opt->charts_dir, err, err_size);
  if (rc != 0) goto fail;
  rc = api__regions_prepare(api, opt->charts_dir, err, err_size);
  if (rc == 0) rc = api__charts_scopes_check(api, err, err_size);
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
  rc = test_fault_arm(api->store, err, err_size);
  if (rc != 0) goto fail;
  start = opt->manual_clock && api->cfg.has_now ? api->cfg.now_s : (int64_t)time(NULL);
  rc = timers_new(&api->timers, loop, opt->manual_clock, start, api__timers_cb, api);
  if (rc != 0) goto fail;
  uv_check_init(loop, &api->batch_check);
  api->batch_check.data = api;
  uv_check_start(&api->batch_check, api__batch_cb);
  uv_idle_init(loop, &api->batch_idle);
  api->batch_idle.data = api;
  uv_idle_init(loop, &api->fire_idle);
  api->fire_idle.data = api;
  /* A store of an older casusd gets its case indexes before anything reads them. */
  rc = api__cases_reindex(api);
  if (rc != 0) {
    snprintf(err, err_size, "building the case indexes failed: %s", core_err_message(rc));
    goto fail_handles;
  }
  /* ... and its idempotency records and inbox their orders (growth.c). */
  rc = api__growth_upgrade(api);
  if (rc != 0) {
    snprintf(err, err_size, "indexing the idempotency records and inbox failed: %s", core_err_message(rc));
    goto fail_handles;
  }
  /* ... and the counts of the metrics' gauges (store_counts.c). */
  rc = api__counts_rebuild(api);
  if (rc != 0) {
    snprintf(err, err_size, "counting the cases and tasks for the metrics failed: %s", core_err_message(rc));
    goto fail_handles;
  }
  /* R-TIME-3: what came due while we were down fires now, before serving. */
  rc = api__timers_fire_due(api);
  if (rc != 0) {
    snprintf(err, err_size, "firing overdue timers failed: %s", core_err_message(rc));
    goto fail_handles;
  }
  /* The embedded demo: its example cases, in an empty store (examples.c). */
  if (opt->examples != NULL && (rc = api__examples_seed(api, opt->examples)) != 0) {
    snprintf(err, err_size, "creating the demo's example cases failed: %s", core_err_message(rc));
    goto fail_handles;
  }
  rc = http_server_start(&api->http, loop, opt->host, opt->port, api__on_request, api);
  if (rc != 0) {
    snprintf(err, err_size, "cannot listen on %s:%d: %s", opt->host, opt->port, uv_strerror(rc));
    goto fail_handles;
  }
  http_server_on_respond(api->http, api__on_respond);
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
  api__region_tables_free(api);
  free(api->rate);
  json_decref(api->regions_doc);
  json_decref(api->access_later);
  auth_config_free(&api->cfg);
  free(api);
  return rc;
}

/* Whether next names the same regions as the running configuration, in the
 * same order, each with the same chart, gemeenten, holidays and GIs: the
 * calendars, the case indexes and the charts' scopes were built from them
 * at the start, so a reload may not change them. */
static bool regions_same(const api_t *api, const auth_config_t *next, const json_t *regions) {
  int i;
  if (!json_equal(api->regions_doc, (json_t *)regions) || next->regions_count != api->cfg.regions_count)
    return false;
  for (i = 0; i < next->regions_count; i++)
    if (strcmp(next->regions[i].name, api->cfg.regions[i].name) != 0) return false;
  return true;
}

int api_reload(api_t *api, const json_t *config, char *err, size_t err_size) {
  auth_config_t next;
  const json_t *regions = json_object_get(config, "regions");
  int rc;
  if (config == NULL) { /* the file did not load: counted as refused */
    api->reloads_refused++;
    return CASUS_ECONFIG_INVALID;
  }
  rc = auth_config_load(&next, config, err, err_size);
  if (rc != 0) {
    api->reloads_refused++;
    return rc;
  }
  if (!regions_same(api, &next, regions)) {
    snprintf(err, err_size,
             "\"regions\" changed; the regions (their charts, gemeenten, holidays and GIs) are read only at "
             "the start: restart casusd to change them");
    auth_config_free(&next);
    api->reloads_refused++;
    return CASUS_ECONFIG_INVALID;
  }
  /* The swap: nothing outside a request's own callback points into the old
   * configuration (queued writes and streams hold copies of their actor;
   * the rate buckets are keyed by actor id), and this runs on the loop
   * thread between callbacks, so no request sees half of each. */
  auth_config_free(&api->cfg);
  api->cfg = next;
  api->reloads++;
  /* Revocation reaches open streams too: a static actor's stream ends when
   * the new configuration no longer has that actor with the same token,
   * role and organisation.  (An OIDC stream was verified when it opened;
   * its client reconnects with a fresh token.) */
  {
    sub_t *sub = api->subs, *next_sub;
    for (; sub != NULL; sub = next_sub) {
      const auth_actor_t *now = auth_actor_find(&api->cfg, sub->actor->id);
      next_sub = sub->next;
      if (sub->actor->oidc ||
          (now != NULL && memcmp(now->token_sha256, sub->actor->token_sha256, 32) == 0 &&
           strcmp(now->role, sub->actor->role) == 0 && strcmp(now->org, sub->actor->org) == 0))
        continue;
      {
        http_request_t *req = sub->req;
        api__sub_remove(api, req);
        http_stream_end(req);
      }
    }
  }
  return 0;
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
    api__sub_remove(api, req);
    http_stream_end(req);
  }
  if (api->http) http_server_stop(api->http);
  while ((p = api->head) != NULL) {
    api->head = p->next;
    api__pending_fail(p, CASUS_EOVERLOADED, NULL, "The server is shutting down.");
    api__pending_reply(api, p);
  }
  while ((p = api->clock_waiters) != NULL) {
    api->clock_waiters = p->next;
    api__pending_fail(p, CASUS_EOVERLOADED, NULL, "The server is shutting down.");
    api__pending_reply(api, p);
  }
  timers_free(api->timers);
  store_close(api->store);
  for (i = 0; i < api->charts_count; i++) engine_chart_free(api->charts[i]);
  free(api->calendars);
  api__region_tables_free(api);
  free(api->rate);
  api->rate = NULL;
  json_decref(api->regions_doc);
  json_decref(api->access_later);
  api->access_later = NULL;
  json_decref(api->m_events);
  json_decref(api->m_refusals);
  api->m_events = api->m_refusals = NULL;
  api->regions_doc = NULL;
  auth_config_free(&api->cfg);
  api->handles_open = 3;
  uv_close((uv_handle_t *)&api->batch_check, api_handle_closed);
  uv_close((uv_handle_t *)&api->batch_idle, api_handle_closed);
  uv_close((uv_handle_t *)&api->fire_idle, api_handle_closed);
}
