/*
 * fixture.c -- the shared fixture of the engine unit tests (see fixture.h):
 * calendar and chart loading, event/create/timer helpers that assert the
 * expected outcome, and lookups on cases and on the last effects.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/error.h"
#include "test.h"

#define FX_CHARTS_MAX 4

calendar_t fx_cal;
json_t *fx_effects;

static struct {
  char path[256];
  engine_chart_t *chart;
} charts[FX_CHARTS_MAX];
static int chart_count;
static bool cal_loaded;

/* A chart (statecharts/...) comes resolved, its includes filled in from the
 * fragments next to it (statecharts/common/), as the server loads it. */
json_t *fx_load_file(const char *rel_path) {
  char path[512], dir[512];
  json_error_t jerr;
  json_t *doc, *resolved = NULL;
  engine_problems_t p;
  int i;
  snprintf(path, sizeof(path), "%s/%s", CASUS_SOURCE_DIR, rel_path);
  doc = json_load_file(path, 0, &jerr);
  if (doc == NULL) fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
  if (doc == NULL || strncmp(rel_path, "statecharts/", 12) != 0) return doc;
  snprintf(dir, sizeof(dir), "%s/statecharts", CASUS_SOURCE_DIR);
  if (engine_chart_resolve(doc, core_fragment_get, dir, &resolved, &p) != 0)
    for (i = 0; i < p.count; i++) fprintf(stderr, "  %s: %s\n", p.items[i].path, p.items[i].message);
  json_decref(doc);
  return resolved;
}

json_t *fx_json(const char *text) {
  json_t *v;
  if (text == NULL) return NULL;
  v = json_loads(text, 0, NULL);
  if (v == NULL) fprintf(stderr, "  bad test JSON: %s\n", text);
  ASSERT_NOT_NULL(v);
  return v;
}

engine_chart_t *fx_chart_load(const json_t *doc) {
  engine_chart_t *chart = NULL;
  engine_problems_t p;
  int i;
  ASSERT_NOT_NULL(doc);
  if (engine_chart_load(doc, &chart, &p) != 0)
    for (i = 0; i < p.count; i++) fprintf(stderr, "  %s: %s\n", p.items[i].path, p.items[i].message);
  ASSERT_NOT_NULL(chart);
  return chart;
}

engine_chart_t *fx_chart(const char *rel_path) {
  json_t *doc;
  int i;
  if (!cal_loaded) {
    doc = fx_load_file("calendars/nl.json");
    ASSERT_NOT_NULL(doc);
    i = calendar_load(&fx_cal, doc, NULL, NULL, 0);
    json_decref(doc);
    ASSERT_EQ(i, 0);
    cal_loaded = true;
    atexit(fx_teardown);
  }
  for (i = 0; i < chart_count; i++)
    if (strcmp(charts[i].path, rel_path) == 0) return charts[i].chart;
  ASSERT_LT(chart_count, FX_CHARTS_MAX);
  doc = fx_load_file(rel_path);
  charts[chart_count].chart = fx_chart_load(doc);
  json_decref(doc);
  snprintf(charts[chart_count].path, sizeof(charts[chart_count].path), "%s", rel_path);
  return charts[chart_count++].chart;
}

void fx_teardown(void) {
  while (chart_count > 0) {
    chart_count--;
    engine_chart_free(charts[chart_count].chart);
    charts[chart_count].chart = NULL;
  }
  json_decref(fx_effects);
  fx_effects = NULL;
}

int64_t fx_t(const char *rfc3339) {
  int64_t v = 0;
  if (cal_time_parse(rfc3339, &v) != 0) abort();
  return v;
}

/* Asserts the result code and (when not NULL) the rule; on a mismatch prints the outcome and clears res. */
static void expect(const char *what, const engine_actor_t *a, int rc, engine_result_t *res, int expect_rc,
                   const char *expect_rule) {
  const char *rule = res->rule; /* static, owned by the chart */
  if (rc == expect_rc && (expect_rule == NULL || (rule != NULL && strcmp(rule, expect_rule) == 0))) return;
  fprintf(stderr, "  %s by %s: rc %d (%s: %s, rule %s), expected %d %s\n", what, a->role, rc,
          core_err_code(rc), res->message, rule ? rule : "-", expect_rc, expect_rule ? expect_rule : "");
  engine_result_clear(res);
  ASSERT_EQ(rc, expect_rc);
  ASSERT_STR_EQ(rule, expect_rule);
}

void fx_allowed_check(const engine_chart_t *chart, const engine_result_t *res, const char *role,
                      int64_t now) {
  json_t *want;
  ASSERT_NOT_NULL(res->case_);
  ASSERT_NOT_NULL(res->allowed_events);
  want = engine_allowed_events(chart, res->case_, role, now, NULL);
  if (!json_equal(res->allowed_events, want)) {
    char *got_s = json_dumps(res->allowed_events, JSON_COMPACT), *want_s = json_dumps(want, JSON_COMPACT);
    fprintf(stderr, "  allowed_events for %s: %s, engine_allowed_events: %s\n", role, got_s, want_s);
    free(got_s);
    free(want_s);
  }
  ASSERT(json_equal(res->allowed_events, want));
  json_decref(want);
}

static void keep_effects(const engine_result_t *res) {
  json_decref(fx_effects);
  fx_effects = json_incref(res->effects);
}

json_t *fx_create(const engine_chart_t *chart, int64_t now, const engine_actor_t *a, const char *id,
                  const json_t *body, const char *regio, int expect_rc, const char *expect_rule) {
  engine_ctx_t ctx = {chart, &fx_cal, now, NULL, NULL};
  engine_result_t res;
  json_t *extra = regio ? json_pack("{s:s}", "regio", regio) : NULL, *c = NULL;
  int rc = engine_case_create(&ctx, id, body, extra, a, &res);
  json_decref(extra);
  expect("create", a, rc, &res, expect_rc, expect_rule);
  if (rc == 0) {
    fx_allowed_check(chart, &res, a->role, now);
    keep_effects(&res);
    c = json_incref(res.case_);
    keep_effects(&res);
  } else {
    ASSERT_NULL(res.allowed_events);
  }
  engine_result_clear(&res);
  return c;
}

/* Applies event with data_json to c; returns the result code, res filled. */
static int apply(const engine_chart_t *chart, const json_t *c, int64_t now, const engine_actor_t *a,
                 const char *event, const char *data_json, engine_result_t *res) {
  engine_ctx_t ctx = {chart, &fx_cal, now, NULL, NULL};
  json_t *data = fx_json(data_json);
  int rc = engine_event_apply(&ctx, c, event, data, a, res);
  json_decref(data);
  return rc;
}

json_t *fx_apply(const engine_chart_t *chart, json_t *c, int64_t now, const engine_actor_t *a,
                 const char *event, const char *data_json, int expect_rc, const char *expect_rule) {
  engine_result_t res;
  int rc = apply(chart, c, now, a, event, data_json, &res);
  expect(event, a, rc, &res, expect_rc, expect_rule);
  if (rc == 0) {
    fx_allowed_check(chart, &res, a->role, now);
    json_decref(c);
    c = json_incref(res.case_);
    keep_effects(&res);
  } else {
    ASSERT_NULL(res.allowed_events);
  }
  engine_result_clear(&res);
  return c;
}

void fx_refused(const engine_chart_t *chart, const json_t *c, int64_t now, const engine_actor_t *a,
                const char *event, const char *data_json, int expect_rc, const char *expect_rule) {
  engine_result_t res;
  json_t *before = json_deep_copy(c);
  int rc = apply(chart, c, now, a, event, data_json, &res);
  expect(event, a, rc, &res, expect_rc, expect_rule);
  ASSERT_NULL(res.case_);
  ASSERT_NULL(res.allowed_events);
  engine_result_clear(&res);
  ASSERT(json_equal(c, before)); /* a refusal changes nothing */
  json_decref(before);
}

json_t *fx_fire(const engine_chart_t *chart, json_t *c, const char *name) {
  const json_t *timer = json_object_get(json_object_get(c, "timers"), name);
  engine_ctx_t ctx = {chart, &fx_cal, 0, NULL, NULL};
  engine_result_t res;
  ASSERT_NOT_NULL(timer);
  ctx.now_s = json_integer_value(json_object_get(timer, "due_s"));
  ASSERT_EQ(engine_timer_fire(&ctx, c, name, &res), 0);
  ASSERT_NOT_NULL(res.history); /* a transition took the timer's event */
  ASSERT_STR_EQ(fx_str(res.history, "actor"), ENGINE_ROLE_SYSTEM);
  ASSERT_NULL(res.allowed_events); /* a timer has no actor to show the case to */
  keep_effects(&res);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  return c;
}

const json_t *fx_get(const json_t *v, const char *dotted) {
  return engine_path_get(v, dotted);
}

const char *fx_str(const json_t *v, const char *dotted) {
  return json_string_value(fx_get(v, dotted));
}

const char *fx_status(const json_t *c) {
  return json_string_value(json_object_get(c, "status"));
}

/* Whether the array `name` of c holds the string s. */
static bool holds(const json_t *c, const char *name, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(c, name), i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
  }
  return false;
}

bool fx_has_flag(const json_t *c, const char *flag) {
  return holds(c, "flags", flag);
}

bool fx_in_state(const json_t *c, const char *state) {
  return holds(c, "state", state);
}

const char *fx_timer_due(const json_t *c, const char *name) {
  return json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), name), "due"));
}

/* The first effect in fx_effects from index *from on of `type` (NULL: any) and `kind`, or NULL. */
static const json_t *next_effect(size_t *from, const char *type, const char *kind) {
  for (; *from < json_array_size(fx_effects); (*from)++) {
    const json_t *e = json_array_get(fx_effects, *from);
    const char *t = fx_str(e, "type"), *k = fx_str(e, "kind");
    if (k == NULL || strcmp(k, kind) != 0) continue;
    if (type != NULL && (t == NULL || strcmp(t, type) != 0)) continue;
    return e;
  }
  return NULL;
}

bool fx_effect(const char *type, const char *kind, const char *role) {
  const json_t *e;
  size_t i = 0;
  for (; (e = next_effect(&i, type, kind)) != NULL; i++) {
    if (role == NULL || holds(e, "to", role)) return true;
  }
  return false;
}

const char *fx_effect_rule(const char *type, const char *kind) {
  size_t i = 0;
  return fx_str(next_effect(&i, type, kind), "rule");
}
