/*
 * Regressions for what fuzzing the chart loader found (tests/fuzz/fuzz_chart.c,
 * docs/fuzzing.md): each test is the smallest chart that showed the bug.
 */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "calendar/calendar.h"
#include "core/error.h"
#include "engine/engine.h"
#include "test.h"

static bool has_problem(const engine_problems_t *p, const char *text) {
  int i;
  for (i = 0; i < p->count; i++)
    if (strstr(p->items[i].message, text) != NULL) return true;
  return false;
}

/* A role that is not a string (here 1) made the semantic pass call strcmp on
 * NULL: a crash of `casusd statechart check` instead of a problem report. */
TEST(role_not_a_string_is_a_problem_not_a_crash) {
  engine_problems_t p;
  engine_chart_t *c = NULL;
  json_t *doc = json_loads(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s\"}],"
      "\"root\":{\"states\":{\"s\":{\"transitions\":[{\"event\":\"e\",\"roles\":[1],\"target\":\"s\"}]}}}}",
      0, NULL);
  ASSERT_NOT_NULL(doc);
  ASSERT_GE(engine_chart_check(doc, &p), 1);
  ASSERT(has_problem(&p, "unknown role (not a string)"));
  ASSERT_EQ(engine_chart_load(doc, &c, &p), CASUS_ECHART_INVALID);
  ASSERT_NULL(c);
  json_decref(doc);
}

/* A state keeps at most 64 children in its index; the 65th was dropped
 * silently, so a parallel state never entered that region.  Now a problem. */
TEST(more_than_64_children_is_a_problem) {
  engine_problems_t p;
  json_t *states = json_object(), *doc;
  char name[16];
  int i;
  for (i = 0; i < 65; i++) {
    snprintf(name, sizeof(name), "r%d", i);
    json_object_set_new(states, name, json_pack("{s:s}", "type", "atomic"));
  }
  doc = json_pack("{s:s, s:i, s:{s:{s:s}}, s:[{s:s, s:[s], s:s}], s:{s:s, s:o}}", "id", "x", "version", 1,
                  "roles", "a", "org_field", "o", "create", "event", "mk", "roles", "a", "target", "r0",
                  "root", "type", "parallel", "states", states);
  ASSERT_NOT_NULL(doc);
  ASSERT_GE(engine_chart_check(doc, &p), 1);
  ASSERT(has_problem(&p, "more than 64 child states"));
  json_decref(doc);
}

/* "count" with a large "by" overflowed a signed integer (undefined
 * behaviour); counters now saturate. */
TEST(count_saturates_instead_of_overflowing) {
  engine_chart_t *c = NULL;
  engine_problems_t p;
  engine_ctx_t ctx = {NULL, NULL, 1806537600, NULL, NULL};
  engine_actor_t a = {"a-1", "a", "o"};
  engine_result_t res;
  json_t *doc = json_loads(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s\",\"actions\":["
      "{\"count\":\"up\",\"by\":9223372036854775807},{\"count\":\"up\",\"by\":1},"
      "{\"count\":\"down\",\"by\":-9223372036854775807},{\"count\":\"down\",\"by\":-2}]}],"
      "\"root\":{\"states\":{\"s\":{}}}}",
      0, NULL);
  ASSERT_NOT_NULL(doc);
  ASSERT_EQ(engine_chart_load(doc, &c, &p), 0);
  json_decref(doc);
  ctx.chart = c;
  ASSERT_EQ(engine_case_create(&ctx, "c-1", NULL, NULL, &a, &res), 0);
  ASSERT(json_integer_value(json_object_get(json_object_get(res.case_, "counters"), "up")) == LLONG_MAX);
  ASSERT(json_integer_value(json_object_get(json_object_get(res.case_, "counters"), "down")) == LLONG_MIN);
  engine_result_clear(&res);
  engine_chart_free(c);
}

#define TEST_LIST(X)                            \
  X(role_not_a_string_is_a_problem_not_a_crash) \
  X(more_than_64_children_is_a_problem)         \
  X(count_saturates_instead_of_overflowing)

TEST_MAIN(TEST_LIST)
