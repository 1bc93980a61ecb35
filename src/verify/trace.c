/*
 * trace.c -- counterexamples.  The path from a create to a configuration
 * is rebuilt from the parent links, then every step on it is replayed with
 * the engine (step.c) to show the clock, the state after and the timers
 * that fired; the replayed configuration's key must equal the one the
 * exploration stored (asserted: a trace that shows something else than
 * what was explored would be worse than none).
 *
 * A step in a trace, as in the stored step texts plus what the replay saw:
 *   {"step": n, "role", "actor": {"id", "org"}, "event", "data", "now",
 *    "state": [leaves after], "status", "flags", "counters", "create": true,
 *    "chart": "id@version", "server_fields": {...} (the first step)}
 *   {"step": n, "role": "system", "actor": null, "event": null, "data": null,
 *    "now", "clock": true, "timers": [{"timer", "event", "due", "taken"}], "state", "status"}
 * and "message" on a step that ends the trace with a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "verify/verify_int.h"

static json_t *time_text(int64_t t) {
  char buf[32];
  cal_time_format(t, buf, sizeof(buf));
  return json_string(buf);
}

/* Replays `step` (compact JSON) on *case_ and *run (NULL before a create)
 * at now_s; on success they are replaced.  Returns the trace entry (new
 * reference), with `message` (may be NULL) or the step's own finding. */
static json_t *replay(vexplore_t *x, const char *step, int64_t now_s, int n, json_t **case_, json_t **run,
                      const char *message, bool *ok) {
  json_t *s = core_json_loadb(step, strlen(step), 0, NULL), *entry = json_object(), *nc = NULL, *nr = NULL;
  engine_ctx_t ctx = {x->m.chart, x->m.cal, now_s, NULL, NULL};
  vstep_info_t info;
  int rc;
  memset(&info, 0, sizeof(info));
  *ok = false;
  if (s == NULL || entry == NULL) {
    json_decref(s);
    json_decref(entry);
    return NULL;
  }
  json_object_set_new(entry, "step", json_integer(n));
  if (json_object_get(s, "clock") != NULL) {
    int64_t to_s = json_integer_value(json_object_get(s, "clock"));
    rc = step_clock(&x->m, *case_, *run, to_s, &nc, &nr, &info);
    json_object_set_new(entry, "role", json_string(ENGINE_ROLE_SYSTEM));
    json_object_set_new(entry, "actor", json_null());
    json_object_set_new(entry, "event", json_null());
    json_object_set_new(entry, "data", json_null());
    json_object_set_new(entry, "now", time_text(to_s));
    json_object_set_new(entry, "clock", json_true());
    json_object_set(entry, "timers", info.timers ? info.timers : json_array());
  } else {
    const json_t *actor = json_object_get(s, "actor"), *data = json_object_get(s, "data");
    if (json_is_null(data)) data = NULL;
    engine_actor_t a = {json_string_value(json_object_get(actor, "id")),
                        json_string_value(json_object_get(s, "role")),
                        json_string_value(json_object_get(actor, "org"))};
    const char *event = json_string_value(json_object_get(s, "event"));
    bool create = json_is_true(json_object_get(s, "create"));
    if (create)
      rc = step_create(&x->m, &ctx, &a, data, &nc, &nr, &info);
    else
      rc = step_event(&x->m, &ctx, *case_, *run, event, data, &a, &nc, &nr, &info);
    json_object_set(entry, "role", json_object_get(s, "role"));
    json_object_set(entry, "actor", (json_t *)actor);
    json_object_set(entry, "event", json_object_get(s, "event"));
    json_object_set_new(entry, "data", data ? json_incref((json_t *)data) : json_object());
    json_object_set_new(entry, "now", time_text(now_s));
    if (create) {
      /* What a replay needs to set up the server: the chart, and the fields the server adds. */
      json_object_set_new(entry, "create", json_true());
      json_object_set_new(entry, "chart", json_string(engine_chart_ref(x->m.chart)));
      json_object_set(entry, "server_fields", x->m.server_fields);
    }
  }
  if (rc == 0) {
    json_decref(*case_);
    json_decref(*run);
    *case_ = nc;
    *run = nr;
    *ok = true;
  }
  if (*case_ != NULL) {
    json_t *flags = json_object_get(*case_, "flags"), *counters = json_object_get(*case_, "counters");
    json_object_set(entry, "state", json_object_get(*case_, "state"));
    json_object_set(entry, "status", json_object_get(*case_, "status"));
    /* What the case carries besides its states, to compare a replay with. */
    json_object_set_new(entry, "flags", flags ? json_incref(flags) : json_array());
    json_object_set_new(entry, "counters", counters ? json_incref(counters) : json_object());
  } else {
    json_object_set_new(entry, "state", json_array());
    json_object_set_new(entry, "status", json_null());
  }
  if (message != NULL)
    json_object_set_new(entry, "message", json_string(message));
  else if (rc != 0 || info.unhandled_timer)
    json_object_set_new(entry, "message", json_string(info.message));
  step_info_clear(&info);
  json_decref(s);
  return entry;
}

/* The key of a replayed configuration, as successor() made it. */
static int trace_digest(vexplore_t *x, const json_t *case_, const json_t *run, int64_t now_s,
                        uint8_t out[SHA256_DIGEST_BYTES]) {
  json_t *holds = json_is_true(json_object_get(case_, "closed")) || model_needs_holds(&x->m)
                      ? explore_holds(x, case_, run, now_s)
                      : NULL;
  int rc = key_digest(&x->m, case_, run, now_s, holds, out);
  json_decref(holds);
  return rc;
}

json_t *trace_build(vexplore_t *x, uint32_t id, const char *last, const char *last_message) {
  json_t *out = json_array(), *case_ = NULL, *run = NULL, *entry;
  uint32_t *path = NULL, n = 0, c, k;
  bool ok = true;
  if (out == NULL) return NULL;
  for (c = id; c != VERIFY_NONE; c = x->cfgs[c].parent) n++;
  path = calloc((size_t)n + 1, sizeof(uint32_t));
  if (path == NULL) {
    json_decref(out);
    return NULL;
  }
  k = n;
  for (c = id; c != VERIFY_NONE; c = x->cfgs[c].parent) path[--k] = c;
  for (k = 0; k < n && ok; k++) {
    const vcfg_t *cfg = &x->cfgs[path[k]];
    uint8_t digest[SHA256_DIGEST_BYTES];
    entry = replay(x, cfg->step, cfg->now_s, (int)k + 1, &case_, &run, NULL, &ok);
    if (entry == NULL) break;
    json_array_append_new(out, entry);
    /* The replay must reach the configuration the exploration stored. */
    CASUS_ASSERT(ok);
    CASUS_ASSERT(trace_digest(x, case_, run, cfg->now_s, digest) == 0);
    CASUS_ASSERT(memcmp(digest, cfg->digest, sizeof(digest)) == 0);
  }
  if (last != NULL && ok) {
    int64_t now_s = id != VERIFY_NONE ? x->cfgs[id].now_s : x->opt.start_s;
    entry = replay(x, last, now_s, (int)n + 1, &case_, &run, last_message, &ok);
    if (entry != NULL) json_array_append_new(out, entry);
  }
  free(path);
  json_decref(case_);
  json_decref(run);
  return out;
}
