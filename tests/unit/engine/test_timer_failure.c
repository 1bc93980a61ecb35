/*
 * test_timer_failure.c -- the chart's "timer_failure" declaration
 * (docs/statecharts.md): who gets a task when a timer's event cannot be
 * applied and the timer is consumed as failed (R-TIME-3; the server's side
 * is tests/api/test_poison.py).  The bundled charts declare it for the
 * procesregisseur; a declaration that names unknown roles, "system", or
 * lacks its kind or title is a problem at its JSON path.
 */
#include <jansson.h>
#include <string.h>

#include "core/error.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

/* The rijnmond chart with "timer_failure" replaced by tf_json (NULL: removed); returns the problems. */
static int check_with(const char *tf_json, engine_problems_t *p) {
  json_t *doc = fx_load_file("statecharts/jeugdhulp-rijnmond.json");
  int n;
  ASSERT_NOT_NULL(doc);
  if (tf_json == NULL)
    json_object_del(doc, "timer_failure");
  else
    json_object_set_new(doc, "timer_failure", fx_json(tf_json));
  n = engine_chart_check(doc, p);
  json_decref(doc);
  return n;
}

/* Asserts that tf_json is refused with a problem at `path` whose message contains `says`. */
static void refused(const char *tf_json, const char *path, const char *says) {
  engine_problems_t p;
  int i, n = check_with(tf_json, &p);
  bool found = false;
  for (i = 0; i < p.count; i++)
    if (strcmp(p.items[i].path, path) == 0 && strstr(p.items[i].message, says) != NULL) found = true;
  if (!found)
    for (i = 0; i < p.count; i++)
      fprintf(stderr, "  %s: %s: %s\n", tf_json, p.items[i].path, p.items[i].message);
  ASSERT_GE(n, 1);
  ASSERT(found);
}

TEST(bundled_charts_declare_the_procesregisseur) {
  static const char *const charts[] = {"statecharts/jeugdhulp-rijnmond.json",
                                       "statecharts/jeugdhulp-alkmaar.json"};
  size_t i;
  for (i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
    const json_t *tf = engine_chart_timer_failure(fx_chart(charts[i]));
    ASSERT_NOT_NULL(tf);
    ASSERT_EQ(json_array_size(json_object_get(tf, "to")), 1);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(tf, "to"), 0)), "procesregisseur");
    ASSERT_STR_EQ(json_string_value(json_object_get(tf, "kind")), "termijn_mislukt");
    ASSERT_STR_EQ(json_string_value(json_object_get(tf, "rule")), "R-TIME-3");
    ASSERT_NOT_NULL(json_string_value(json_object_get(tf, "title")));
  }
}

TEST(optional) {
  engine_problems_t p;
  json_t *doc = fx_load_file("statecharts/jeugdhulp-rijnmond.json");
  engine_chart_t *chart;
  ASSERT_EQ(check_with(NULL, &p), 0);
  ASSERT_EQ(check_with(
                "{\"to\": [\"procesregisseur\", \"casusregisseur\"], \"kind\": \"k\", \"title\": \"t\"}", &p),
            0);
  json_object_del(doc, "timer_failure");
  chart = fx_chart_load(doc);
  ASSERT_NULL(engine_chart_timer_failure(chart));
  engine_chart_free(chart);
  json_decref(doc);
}

TEST(malformed_is_a_problem) {
  refused("[]", "$.timer_failure", "must be an object");
  refused("{\"to\": [\"nobody\"], \"kind\": \"k\", \"title\": \"t\"}", "$.timer_failure.to[0]",
          "unknown role nobody");
  refused("{\"to\": [\"system\"], \"kind\": \"k\", \"title\": \"t\"}", "$.timer_failure.to[0]",
          "unknown role system");
  refused("{\"to\": [5], \"kind\": \"k\", \"title\": \"t\"}", "$.timer_failure.to[0]", "(not a string)");
  refused("{\"to\": [], \"kind\": \"k\", \"title\": \"t\"}", "$.timer_failure.to", "must list the roles");
  refused("{\"kind\": \"k\", \"title\": \"t\"}", "$.timer_failure.to", "must list the roles");
  refused("{\"to\": [\"procesregisseur\"], \"title\": \"t\"}", "$.timer_failure.kind", "the task's kind");
  refused(
      "{\"to\": [\"procesregisseur\"], \"kind\": "
      "\"0123456789012345678901234567890123456789012345678901234567890123\", "
      "\"title\": \"t\"}",
      "$.timer_failure.kind", "1 to 63 bytes");
  refused("{\"to\": [\"procesregisseur\"], \"kind\": \"k\"}", "$.timer_failure.title", "the task's title");
  refused("{\"to\": [\"procesregisseur\"], \"kind\": \"k\", \"title\": \"\"}", "$.timer_failure.title",
          "the task's title");
  refused("{\"to\": [\"procesregisseur\"], \"kind\": \"k\", \"title\": \"t\", \"rule\": 5}",
          "$.timer_failure.rule", "rule id");
  refused("{\"to\": [\"procesregisseur\"], \"kind\": \"k\", \"title\": \"t\", \"notify\": true}",
          "$.timer_failure", "notify");
}

#define TEST_LIST(X)                            \
  X(bundled_charts_declare_the_procesregisseur) \
  X(optional)                                   \
  X(malformed_is_a_problem)

TEST_MAIN(TEST_LIST)
