/*
 * fixture.c -- the shared fixture of the verifier's unit tests (see fixture.h).
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define VX_CHARTS_MAX 32

calendar_t vx_cal;

static engine_chart_t *charts[VX_CHARTS_MAX];
static int charts_count;
static verify_report_t *report;
static bool cal_loaded;

void vx_teardown(void) {
  while (charts_count > 0) engine_chart_free(charts[--charts_count]);
  verify_report_free(report);
  report = NULL;
}

static void cal_load(void) {
  char path[512];
  json_t *doc;
  if (cal_loaded) return;
  snprintf(path, sizeof(path), "%s/calendars/nl.json", CASUS_SOURCE_DIR);
  doc = json_load_file(path, 0, NULL);
  ASSERT_NOT_NULL(doc);
  ASSERT_EQ(calendar_load(&vx_cal, doc, NULL, NULL, 0), 0);
  json_decref(doc);
  cal_loaded = true;
  atexit(vx_teardown);
}

static engine_chart_t *chart_make(const char *initial, const char *root_type, const char *states_json,
                                  const char *properties_json) {
  static char text[16384];
  engine_problems_t p;
  engine_chart_t *chart = NULL;
  json_error_t jerr;
  json_t *doc;
  int i;
  cal_load();
  snprintf(text, sizeof(text),
           "{\"id\": \"t\", \"version\": 1, \"roles\": {\"r\": {\"org_field\": \"org\"}},"
           " \"create\": [{\"event\": \"open\", \"roles\": [\"r\"], \"target\": \"%s\","
           "              \"data\": {\"org\": {\"type\": \"string\", \"required\": true}}}],"
           " \"root\": {%s\"states\": %s}%s%s}",
           initial, root_type, states_json, properties_json ? ", \"properties\": " : "",
           properties_json ? properties_json : "");
  doc = json_loads(text, 0, &jerr);
  if (doc == NULL) fprintf(stderr, "  bad chart JSON (%s): %s\n", jerr.text, text);
  ASSERT_NOT_NULL(doc);
  if (engine_chart_load(doc, &chart, &p) != 0)
    for (i = 0; i < p.count; i++) fprintf(stderr, "  %s: %s\n", p.items[i].path, p.items[i].message);
  json_decref(doc);
  ASSERT_NOT_NULL(chart);
  ASSERT_LT(charts_count, VX_CHARTS_MAX);
  charts[charts_count++] = chart;
  return chart;
}

engine_chart_t *vx_chart(const char *initial, const char *states_json, const char *properties_json) {
  return chart_make(initial, "", states_json, properties_json);
}

engine_chart_t *vx_chart_parallel(const char *initial, const char *states_json, const char *properties_json) {
  return chart_make(initial, "\"type\": \"parallel\", ", states_json, properties_json);
}

static const verify_report_t *verify_with(const engine_chart_t *chart, int depth_max, uint32_t states_max,
                                          bool whole, int walks, uint64_t seed) {
  verify_options_t opt = {depth_max, states_max, 0, whole, NULL, walks, seed};
  char err[128];
  verify_report_free(report);
  report = NULL;
  ASSERT_EQ(verify_chart(chart, &vx_cal, &opt, &report, err, sizeof(err)), 0);
  if (getenv("TEST_VERBOSE")) verify_report_print(report, stderr, -1);
  return report;
}

const verify_report_t *vx_verify(const engine_chart_t *chart, int depth_max, uint32_t states_max) {
  return verify_with(chart, depth_max, states_max, false, 0, 0);
}

const verify_report_t *vx_verify_whole(const engine_chart_t *chart, int depth_max, uint32_t states_max) {
  return verify_with(chart, depth_max, states_max, true, 0, 0);
}

const verify_report_t *vx_verify_walks(const engine_chart_t *chart, int depth_max, uint32_t states_max,
                                       int walks, uint64_t seed) {
  return verify_with(chart, depth_max, states_max, false, walks, seed);
}

static const json_t *named(const char *list, const char *name) {
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(verify_report_json(report), list), i, p) {
    if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0) return p;
  }
  return NULL;
}

const json_t *vx_property(const char *name) {
  return named("properties", name);
}

const json_t *vx_check(const char *name) {
  return named("checks", name);
}

const char *vx_result(const char *name) {
  const json_t *p = vx_property(name);
  if (p == NULL) p = vx_check(name);
  return p ? json_string_value(json_object_get(p, "result")) : NULL;
}

json_int_t vx_figure(const char *name) {
  return json_integer_value(json_object_get(json_object_get(verify_report_json(report), "figures"), name));
}

const char *vx_trace_events(const json_t *trace, char *buf, size_t size) {
  size_t i, len = 0;
  json_t *s;
  buf[0] = '\0';
  json_array_foreach(trace, i, s) {
    const char *e = json_string_value(json_object_get(s, "event"));
    int n = snprintf(buf + len, size - len, "%s%s", i ? " " : "", e ? e : "(clock)");
    if (n < 0 || (size_t)n >= size - len) break;
    len += (size_t)n;
  }
  return buf;
}
