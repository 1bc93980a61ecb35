/*
 * The chart's "properties" (checked by engine_chart_check, run by
 * `casusd statechart verify`) and the engine functions the verifier uses
 * to look at a case: engine_case_candidates, engine_case_cond_eval,
 * engine_case_value_eval and the transition an accepted event took.
 */
#include <jansson.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

/* Test JSON that lives until kept_free(): for arguments that are borrowed. */
static json_t *kept[32];
static int kept_count;

static const json_t *J(const char *text) {
  ASSERT_LT(kept_count, 32);
  kept[kept_count] = fx_json(text);
  return kept[kept_count++];
}

static void kept_free(void) {
  while (kept_count > 0) json_decref(kept[--kept_count]);
}

/* A small chart: a -> b (go, by "x"), b -> done (finish, by "x" or "y"), with "properties": props_json. */
static json_t *chart_with(const char *props_json) {
  static char text[16384];
  snprintf(
      text, sizeof(text),
      "{\"id\": \"p\", \"version\": 1,"
      " \"roles\": {\"x\": {\"org_field\": \"org\"}, \"y\": {\"org_field\": \"org\"}},"
      " \"create\": [{\"event\": \"open\", \"roles\": [\"x\"], \"target\": \"a\"}],"
      " \"root\": {\"states\": {"
      "   \"a\": {\"transitions\": [{\"event\": \"go\", \"roles\": [\"x\"], \"target\": \"b\","
      "           \"when\": {\"path\": \"fields.ok\", \"eq\": true}}]},"
      "   \"b\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"x\", \"y\"], \"target\": \"done\"},"
      "                             {\"event\": \"note\", \"roles\": [\"y\"]}]},"
      "   \"done\": {\"type\": \"final\", \"terminal\": true}}}%s%s}",
      props_json ? ", \"properties\": " : "", props_json ? props_json : "");
  return fx_json(text);
}

/* The number of problems of the chart with props_json; the first problem's path and message in p. */
static int props_check(const char *props_json, engine_problems_t *p) {
  json_t *doc = chart_with(props_json);
  int n = engine_chart_check(doc, p);
  json_decref(doc);
  return n;
}

/* Asserts that props_json gives exactly one problem, at `path`, whose message contains `words`. */
static void refused(const char *props_json, const char *path, const char *words) {
  engine_problems_t p;
  int n = props_check(props_json, &p);
  if (n != 1 || strcmp(p.items[0].path, path) != 0 || strstr(p.items[0].message, words) == NULL)
    fprintf(stderr, "  %s: %d problems, first %s: %s\n", props_json, n, n ? p.items[0].path : "-",
            n ? p.items[0].message : "-");
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(p.items[0].path, path);
  ASSERT(strstr(p.items[0].message, words) != NULL);
}

TEST(valid_properties_load) {
  engine_problems_t p;
  ASSERT_EQ(props_check(NULL, &p), 0);
  ASSERT_EQ(props_check("[]", &p), 0);
  ASSERT_EQ(
      props_check("[{\"name\": \"n1\", \"rule\": \"R-1\", \"never\": {\"all\": [{\"in_state\": \"done\"},"
                  " {\"path\": \"run.events.go\", \"exists\": false}]}},"
                  " {\"name\": \"n2\", \"rule\": \"R-2\", \"always\": {\"any\": ["
                  "   {\"path\": \"run.roles.finish.y\", \"exists\": false},"
                  "   {\"path\": \"run.last.from.b\", \"eq\": true}, {\"path\": \"run.last.role\", \"eq\": "
                  "\"x\"}]}},"
                  " {\"name\": \"n3\", \"rule\": \"R-3\", \"reach\": {\"state\": \"done\"},"
                  "  \"known_failing\": \"a reason\", \"description\": \"text\"},"
                  " {\"name\": \"n4\", \"rule\": \"R-4\", \"reach\": {\"event\": \"open\"}},"
                  " {\"name\": \"n5\", \"rule\": \"R-5\", \"always\": {\"path\": \"run.last.event\","
                  "  \"ne\": {\"path\": \"run.last.role\"}}}]",
                  &p),
      0);
}

TEST(each_refusal_names_its_path) {
  refused("{}", "$.properties", "must be an array");
  refused("[1]", "$.properties[0]", "a property is an object");
  refused("[{\"rule\": \"R-1\", \"reach\": {\"state\": \"a\"}}]", "$.properties[0]", "needs a \"name\"");
  refused("[{\"name\": \"n\", \"reach\": {\"state\": \"a\"}}]", "$.properties[0]", "\"rule\"");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\"}]", "$.properties[0]", "exactly one of");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"state\": \"a\"}, \"never\": true}]",
          "$.properties[0]", "exactly one of");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"state\": \"a\"}, \"extra\": 1}]",
          "$.properties[0]", "unknown key \"extra\"");
  refused(
      "[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"state\": \"a\"}},"
      " {\"name\": \"n\", \"rule\": \"R-2\", \"reach\": {\"state\": \"b\"}}]",
      "$.properties[1]", "used twice");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"state\": \"a\"}, \"known_failing\": \"\"}]",
          "$.properties[0]", "known_failing");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"state\": \"nowhere\"}}]",
          "$.properties[0].reach", "unknown state nowhere");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"event\": \"fly\"}}]", "$.properties[0].reach",
          "unknown event fly");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"reach\": {\"state\": \"a\", \"event\": \"go\"}}]",
          "$.properties[0].reach", "is {\"state\"");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"fields.x\", \"like\": 1}}]",
          "$.properties[0].never.like", "unknown operator");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"always\": {\"in_state\": \"nowhere\"}}]",
          "$.properties[0].always", "unknown state \"nowhere\"");
  refused(
      "[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"run.events.fly\", \"exists\": true}}]",
      "$.properties[0].never", "run.events takes an event");
  refused(
      "[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"run.roles.go.z\", \"exists\": true}}]",
      "$.properties[0].never", "\"z\" is not a role");
  refused(
      "[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"run.last.from.q\", \"exists\": true}}]",
      "$.properties[0].never", "run.last has");
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"run.count\", \"gt\": 1}}]",
          "$.properties[0].never", "the run record has");
  /* run.tasks names a kind of task the chart opens (its fixture opens none). */
  refused("[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"run.tasks.judge\", \"eq\": true}}]",
          "$.properties[0].never", "run.tasks takes a kind of task");
  refused(
      "[{\"name\": \"n\", \"rule\": \"R-1\", \"never\": {\"path\": \"fields.a\", \"eq\": {\"path\": "
      "\"run.events.nope\"}}}]",
      "$.properties[0].never", "run.events takes an event");
}

TEST(too_many_properties) {
  engine_problems_t p;
  char buf[16384];
  size_t len = 0;
  int i;
  len += (size_t)snprintf(buf + len, sizeof(buf) - len, "[");
  for (i = 0; i <= LIMIT_CHART_PROPERTIES_MAX; i++)
    len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                            "%s{\"name\": \"p%d\", \"rule\": \"R-1\", \"reach\": {\"state\": \"b\"}}",
                            i ? "," : "", i);
  snprintf(buf + len, sizeof(buf) - len, "]");
  ASSERT_EQ(props_check(buf, &p), 1);
  ASSERT_STR_EQ(p.items[0].path, "$.properties");
  ASSERT(strstr(p.items[0].message, "more than") != NULL);
}

TEST(candidates_cond_value_and_the_transition_taken) {
  json_t *doc = chart_with(NULL), *c, *fields, *extra, *v;
  engine_chart_t *chart = fx_chart_load(doc);
  engine_actor_t x = {"x-1", "x", "o"}, y = {"y-1", "y", "o"};
  engine_ctx_t ctx = {chart, NULL, fx_t("2027-01-04T09:00:00+01:00"), NULL, NULL};
  engine_result_t res;
  const json_t *cands[4];
  json_decref(doc);
  ASSERT_EQ(engine_case_create(&ctx, "c1", NULL, NULL, &x, &res), 0);
  ASSERT(res.transition == json_array_get(json_object_get(engine_chart_json(chart), "create"), 0));
  c = json_incref(res.case_);
  engine_result_clear(&res);
  /* a: "go" is a candidate for x although its "when" does not hold; none for y. */
  ASSERT_EQ(engine_case_candidates(chart, c, "x", cands, 4), 1);
  ASSERT_STR_EQ(json_string_value(json_object_get(cands[0], "event")), "go");
  ASSERT_EQ(engine_case_candidates(chart, c, "y", cands, 4), 0);
  ASSERT_EQ(engine_event_apply(&ctx, c, "go", NULL, &x, &res), CASUS_ENOT_ALLOWED_IN_STATE);
  ASSERT_NULL(res.transition);
  engine_result_clear(&res);
  fields = json_object_get(c, "fields");
  json_object_set_new(fields, "ok", json_true());
  ASSERT_EQ(engine_event_apply(&ctx, c, "go", NULL, &x, &res), 0);
  ASSERT(res.transition == cands[0]);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  /* b: two for y (finish, note), one for x; only out_max are written. */
  ASSERT_EQ(engine_case_candidates(chart, c, "y", cands, 1), 2);
  ASSERT_EQ(engine_case_candidates(chart, c, "x", cands, 4), 1);
  /* Conditions and values over the case, with data, actor and extra members. */
  extra = fx_json("{\"run\": {\"events\": {\"go\": true}}, \"fields\": {\"ok\": false}}");
  ASSERT(engine_case_cond_eval(&ctx, c, NULL, NULL, extra, J("{\"in_state\": \"b\"}")));
  ASSERT(engine_case_cond_eval(&ctx, c, NULL, NULL, extra, J("{\"path\": \"run.events.go\", \"eq\": true}")));
  /* The case's own fields win over an extra member of the same name. */
  ASSERT(engine_case_cond_eval(&ctx, c, NULL, NULL, extra, J("{\"path\": \"fields.ok\", \"eq\": true}")));
  ASSERT(engine_case_cond_eval(&ctx, c, J("{\"n\": 2}"), &y, NULL,
                               J("{\"all\": [{\"path\": \"data.n\", \"gt\": 1},"
                                 " {\"path\": \"actor.role\", \"eq\": \"y\"}]}")));
  ASSERT(!engine_case_cond_eval(&ctx, c, NULL, NULL, NULL, J("{\"in_state\": \"a\"}")));
  v = engine_case_value_eval(&ctx, c, NULL, NULL, NULL,
                             J("{\"date\": {\"from\": \"now\", \"after\": {\"days\": 3}}}"));
  ASSERT_STR_EQ(json_string_value(v), "2027-01-07");
  json_decref(v);
  v = engine_case_value_eval(&ctx, c, NULL, NULL, NULL, J("{\"path\": \"fields.none\"}"));
  ASSERT(json_is_null(v));
  json_decref(v);
  json_decref(extra);
  /* A closed case has no candidates. */
  ASSERT_EQ(engine_event_apply(&ctx, c, "finish", NULL, &y, &res), 0);
  ASSERT_EQ(engine_case_candidates(chart, res.case_, "y", cands, 4), 0);
  engine_result_clear(&res);
  json_decref(c);
  engine_chart_free(chart);
  kept_free();
}

#define TEST_LIST(X)             \
  X(valid_properties_load)       \
  X(each_refusal_names_its_path) \
  X(too_many_properties)         \
  X(candidates_cond_value_and_the_transition_taken)

TEST_MAIN(TEST_LIST)
