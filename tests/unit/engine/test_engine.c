/*
 * Engine tests: the chart loader's checks, the interpreter's semantics on
 * small synthetic charts, and the toewijzing part of jeugdhulp-rijnmond
 * (R-TW-*), all without a loop or a store: the clock is an argument.
 */
#include <jansson.h>

#include "calendar/calendar.h"
#include "core/error.h"
#include "core/limits.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

static engine_chart_t *rijnmond;

static void setup(void) {
  rijnmond = fx_chart("statecharts/jeugdhulp-rijnmond.json");
}

static int64_t t(const char *rfc3339) {
  return fx_t(rfc3339);
}

static const engine_actor_t PR = {"pr-1", "procesregisseur", "rotterdam"};
static const engine_actor_t CR = {"cr-1", "casusregisseur", "rotterdam"};
static const engine_actor_t AB = {"ab-1", "aanbieder", "zorgaanbieder-a"};
static const engine_actor_t CM = {"cm-1", "contractmanager", "rijnmond"};

static json_t *create_a(int64_t now, bool spoed) {
  json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente",
                           "rotterdam", "casusregisseur", "cr-1", "regie_intensiteit", "midden", "spoed",
                           spoed, "jeugdige", "naam", "Sam de Vries", "geboortedatum", "2012-05-01");
  json_t *c = fx_create(rijnmond, now, &PR, "c-000001", body, "rijnmond", 0, NULL);
  json_decref(body);
  return c;
}

/* Applies and returns the new case (the old one is released); asserts the expected result code. */
static json_t *apply(json_t *c, int64_t now, const engine_actor_t *a, const char *event,
                     const char *data_json, int expect_rc, const char *expect_rule) {
  return fx_apply(rijnmond, c, now, a, event, data_json, expect_rc, expect_rule);
}

#define TOEWIJZEN                                                                               \
  "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\"," \
  "\"begindatum\":\"2027-03-01\",\"einddatum\":"                                                \
  "\"2027-12-31\"}"

TEST(chart_loads_and_checks_clean) {
  engine_problems_t p;
  json_t *doc = fx_load_file("statecharts/jeugdhulp-rijnmond.json");
  setup();
  ASSERT_EQ(engine_chart_check(doc, &p), 0);
  ASSERT_STR_EQ(engine_chart_ref(rijnmond), "jeugdhulp-rijnmond@1");
  json_decref(doc);
}

/* A chart's "tables" (its data: R-MON-8's limits, R-TW-6's treeknorm): a guard reads a cell by a key the
 * case or event gives ({"table": {"name", "key", "column"}}), a condition may test a cell ({"value": ...}),
 * a date may add a duration from a cell, a timer's "after" may be one; an unknown table is a problem. */
TEST(chart_tables_are_looked_up) {
  engine_problems_t p;
  engine_chart_t *c;
  json_t *cs;
  const engine_actor_t A = {"a-1", "a", "o1"};
  const char *chart =
      "{\"id\":\"t\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"tables\":{\"soorten\":{\"kort\":{\"duur\":{\"weeks\":6},\"max\":10},\"lang\":{\"duur\":{\"months\":"
      "12}},"
      "\"vrij\":{}}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\","
      "\"data\":{\"o\":{\"type\":\"string\"},\"soort\":{\"type\":\"string\"},\"begin\":{\"type\":\"date\"},"
      "\"eind\":{\"type\":\"date\"},\"n\":{\"type\":\"integer\"}},"
      "\"guards\":[{\"check\":{\"any\":[{\"value\":{\"table\":{\"name\":\"soorten\",\"key\":{\"path\":"
      "\"data.soort\"},\"column\":\"duur\"}},\"exists\":false},{\"path\":\"data.eind\",\"lt\":{\"date\":{"
      "\"from\":\"data.begin\",\"after\":{\"table\":{\"name\":\"soorten\",\"key\":{\"path\":\"data.soort\"},"
      "\"column\":\"duur\"}}}}}]},\"rule\":\"R-X\",\"message\":\"te lang\"},"
      "{\"check\":{\"any\":[{\"value\":{\"table\":{\"name\":\"soorten\",\"key\":{\"path\":\"data.soort\"},"
      "\"column\":\"max\"}},\"exists\":false},{\"path\":\"data.n\",\"le\":{\"table\":{\"name\":\"soorten\","
      "\"key\":{\"path\":\"data.soort\"},\"column\":\"max\"}}}]},\"rule\":\"R-Y\",\"message\":\"te "
      "veel\"}]}],"
      "\"root\":{\"states\":{\"s1\":{\"timers\":[{\"name\":\"t1\",\"event\":\"af\",\"after\":{\"table\":{"
      "\"name\":\"soorten\",\"key\":\"kort\",\"column\":\"duur\"}}}],"
      "\"transitions\":[{\"event\":\"af\",\"roles\":[\"system\"],\"target\":\"s2\"}]},"
      "\"s2\":{\"type\":\"final\"}}}}";
  json_t *doc = fx_json(chart), *body;
  ASSERT_EQ(engine_chart_check(doc, &p), 0);
  c = fx_chart_load(doc);
  body =
      fx_json("{\"o\":\"o1\",\"soort\":\"kort\",\"begin\":\"2027-01-04\",\"eind\":\"2027-02-15\",\"n\":10}");
  fx_create(c, t("2027-01-04T09:00:00+01:00"), &A, "c-t1", body, NULL, CASUS_EGUARD_FAILED, "R-X");
  json_decref(body);
  body =
      fx_json("{\"o\":\"o1\",\"soort\":\"kort\",\"begin\":\"2027-01-04\",\"eind\":\"2027-02-14\",\"n\":11}");
  fx_create(c, t("2027-01-04T09:00:00+01:00"), &A, "c-t1", body, NULL, CASUS_EGUARD_FAILED, "R-Y");
  json_decref(body);
  body =
      fx_json("{\"o\":\"o1\",\"soort\":\"kort\",\"begin\":\"2027-01-04\",\"eind\":\"2027-02-14\",\"n\":10}");
  cs = fx_create(c, t("2027-01-04T09:00:00+01:00"), &A, "c-t1", body, NULL, 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(cs, "t1"), "2027-02-15");
  json_decref(cs);
  json_decref(body);
  body =
      fx_json("{\"o\":\"o1\",\"soort\":\"vrij\",\"begin\":\"2027-01-04\",\"eind\":\"2029-01-01\",\"n\":99}");
  cs = fx_create(c, t("2027-01-04T09:00:00+01:00"), &A, "c-t2", body, NULL, 0, NULL);
  json_decref(cs);
  json_decref(body);
  body = fx_json("{\"o\":\"o1\",\"soort\":\"onbekend\",\"begin\":\"2027-01-04\",\"eind\":\"2029-01-01\"}");
  cs = fx_create(c, t("2027-01-04T09:00:00+01:00"), &A, "c-t3", body, NULL, 0, NULL);
  json_decref(cs);
  json_decref(body);
  engine_chart_free(c);
  json_object_set_new(doc, "tables", json_object());
  ASSERT(engine_chart_check(doc, &p) > 0);
  ASSERT(strstr(p.items[0].message, "unknown table \"soorten\"") != NULL);
  json_object_set_new(doc, "tables", json_string("x"));
  ASSERT(engine_chart_check(doc, &p) > 0);
  json_decref(doc);
}

TEST(check_reports_unknown_target_with_path) {
  engine_problems_t p;
  json_t *doc = json_loads(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"states\":{\"s1\":{\"transitions\":[{\"event\":\"go\",\"roles\":[\"a\"],"
      "\"target\":\"nowhere\"}]}}}}",
      0, NULL);
  ASSERT_EQ(engine_chart_check(doc, &p), 1);
  ASSERT_STR_EQ(p.items[0].path, "$.root.states.s1.transitions[0].target");
  ASSERT(strstr(p.items[0].message, "nowhere") != NULL);
  json_decref(doc);
}

TEST(check_reports_unreachable_nobody_and_unhandled_timer) {
  engine_problems_t p;
  int i;
  bool unreachable = false, nobody = false, unhandled = false;
  json_t *doc = json_loads(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"states\":{"
      "\"s1\":{\"timers\":[{\"name\":\"t\",\"event\":\"t_due\",\"after\":{\"days\":1}}],"
      "        \"transitions\":[{\"event\":\"go\",\"roles\":[],\"target\":\"s1\"}]},"
      "\"island\":{}}}}",
      0, NULL);
  engine_chart_check(doc, &p);
  for (i = 0; i < p.count; i++) {
    if (strstr(p.items[i].message, "unreachable") && strcmp(p.items[i].path, "$.root.states.island") == 0)
      unreachable = true;
    if (strstr(p.items[i].message, "nobody may fire")) nobody = true;
    if (strstr(p.items[i].message, "no handler") && strstr(p.items[i].path, "timers[0]")) unhandled = true;
  }
  json_decref(doc);
  ASSERT(unreachable);
  ASSERT(nobody);
  /* the roles problem stops the semantic pass; check the timer on its own */
  doc = json_loads(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"states\":{\"s1\":{\"timers\":[{\"name\":\"t\",\"event\":\"t_due\",\"after\":{\"days\":1}}]"
      "}}}}",
      0, NULL);
  engine_chart_check(doc, &p);
  for (i = 0; i < p.count; i++)
    if (strstr(p.items[i].message, "no handler") && strstr(p.items[i].path, "timers[0]")) unhandled = true;
  json_decref(doc);
  ASSERT(unhandled);
}

TEST(check_rejects_bad_shapes) {
  engine_problems_t p;
  json_t *doc = json_loads(
      "{\"id\":\"x\",\"version\":0,\"roles\":{},\"create\":[],\"root\":{\"type\":\"weird\"},"
      "\"extra\":1}",
      0, NULL);
  ASSERT_GE(engine_chart_check(doc, &p), 4);
  json_decref(doc);
}

/* LIMIT_CHART_TRANSITIONS_MAX and LIMIT_CHART_STATES_MAX: a chart beyond them is refused with a problem. */
TEST(check_enforces_transition_and_state_limits) {
  engine_problems_t p;
  json_t *trs = json_array(), *states = json_object(), *doc;
  char name[16];
  int i;
  bool transitions = false, states_found = false;
  for (i = 0; i <= LIMIT_CHART_TRANSITIONS_MAX; i++) {
    snprintf(name, sizeof(name), "e%d", i);
    json_array_append_new(trs, json_pack("{s:s, s:[s], s:s}", "event", name, "roles", "a", "target", "s"));
  }
  json_object_set_new(states, "s", json_pack("{s:o}", "transitions", trs));
  for (i = 0; i < LIMIT_CHART_STATES_MAX; i++) { /* with root and s: two more than the limit */
    snprintf(name, sizeof(name), "x%d", i);
    json_object_set_new(states, name, json_object());
  }
  doc = json_pack("{s:s, s:i, s:{s:{s:s}}, s:[{s:s, s:[s], s:s}], s:{s:o}}", "id", "x", "version", 1, "roles",
                  "a", "org_field", "o", "create", "event", "mk", "roles", "a", "target", "s", "root",
                  "states", states);
  ASSERT_NOT_NULL(doc);
  ASSERT_GE(engine_chart_check(doc, &p), 2);
  for (i = 0; i < p.count; i++) {
    if (strstr(p.items[i].message, "transitions in the chart")) transitions = true;
    if (strstr(p.items[i].message, "states") && strstr(p.items[i].message, "more than")) states_found = true;
  }
  json_decref(doc);
  ASSERT(transitions);
  ASSERT(states_found);
}

/* --- the list filters: top-level "index" --- */

/* Checks a minimal chart with "index": index_json (NULL: none); returns the number of problems, p filled. */
static int index_check(const char *index_json, engine_problems_t *p) {
  json_t *index = index_json ? json_loads(index_json, JSON_DECODE_ANY, NULL) : NULL, *doc;
  int n;
  ASSERT(index_json == NULL || index != NULL);
  doc = fx_json(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"states\":{\"s1\":{}}}}");
  if (index != NULL) json_object_set_new(doc, "index", index);
  n = engine_chart_check(doc, p);
  json_decref(doc);
  return n;
}

/* Asserts that "index": index_json is refused with exactly one problem at path whose message has `what`. */
static void index_refused(const char *index_json, const char *path, const char *what) {
  engine_problems_t p;
  int n = index_check(index_json, &p);
  if (n != 1 || strcmp(p.items[0].path, path) != 0 || strstr(p.items[0].message, what) == NULL)
    fprintf(stderr, "  index %s: %d problems, first %s: %s\n", index_json, n, n ? p.items[0].path : "-",
            n ? p.items[0].message : "-");
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(p.items[0].path, path);
  ASSERT(strstr(p.items[0].message, what) != NULL);
}

/* A chart declares the case fields GET /v1/cases filters on; engine_chart_index returns them, or NULL. */
TEST(index_declares_list_filters) {
  engine_problems_t p;
  const json_t *index;
  json_t *doc;
  engine_chart_t *chart;
  setup();
  ASSERT_EQ(index_check(NULL, &p), 0);
  ASSERT_EQ(index_check("{}", &p), 0);
  ASSERT_EQ(
      index_check(
          "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"aanbieder\",\"regisseur_2\":\"casusregisseur\","
          "\"geboren\":\"jeugdige.geboortedatum\"}",
          &p),
      0);
  /* at most LIMIT_CHART_INDEXES_MAX (8) */
  ASSERT_EQ(
      index_check("{\"a\":\"a\",\"b\":\"b\",\"c\":\"c\",\"d\":\"d\",\"e\":\"e\",\"f\":\"f\",\"g\":\"g\","
                  "\"h\":\"h\"}",
                  &p),
      0);
  /* the bundled charts: the organisations that see a case, and its casusregisseur */
  index = engine_chart_index(rijnmond);
  ASSERT_NOT_NULL(index);
  ASSERT_EQ(json_object_size(index), 4);
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "aanbieder")), "aanbieder");
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "casusregisseur")), "casusregisseur");
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "gemeente")), "gemeente");
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "gezin")), "gezin"); /* R-AUTH-3 */
  index = engine_chart_index(fx_chart("statecharts/jeugdhulp-alkmaar.json"));
  ASSERT_NOT_NULL(index);
  ASSERT_EQ(json_object_size(index), 4);
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "aanbieder")), "aanbieder");
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "casusregisseur")), "casusregisseur");
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "gemeente")), "gemeente");
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "gezin")), "gezin"); /* R-AUTH-3 */
  /* engine_chart_index: the declaration (borrowed), or NULL when there is none */
  doc = fx_json(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"states\":{\"s1\":{}}}}");
  chart = fx_chart_load(doc);
  ASSERT_NULL(engine_chart_index(chart));
  engine_chart_free(chart);
  json_object_set_new(doc, "index",
                      fx_json("{\"gemeente\":\"gemeente\",\"geboren\":\"jeugdige.geboortedatum\"}"));
  chart = fx_chart_load(doc);
  index = engine_chart_index(chart);
  ASSERT_NOT_NULL(index);
  ASSERT_EQ(json_object_size(index), 2);
  ASSERT_STR_EQ(json_string_value(json_object_get(index, "geboren")), "jeugdige.geboortedatum");
  engine_chart_free(chart);
  json_decref(doc);
}

TEST(index_not_an_object_refused) {
  index_refused("[\"aanbieder\"]", "$.index", "must be an object");
  index_refused("\"aanbieder\"", "$.index", "must be an object");
  index_refused("null", "$.index", "must be an object");
}

TEST(index_too_many_refused) {
  index_refused(
      "{\"a\":\"a\",\"b\":\"b\",\"c\":\"c\",\"d\":\"d\",\"e\":\"e\",\"f\":\"f\",\"g\":\"g\",\"h\":\"h\","
      "\"i\":\"i\"}",
      "$.index", "more than 8 list filters");
}

/* The parameters GET /v1/cases takes itself cannot name a chart's filter. */
TEST(index_reserved_name_refused) {
  static const char *const reserved[] = {"status",        "flag",   "overdue", "deadline_before",
                                         "updated_after", "cursor", "limit"};
  char json[64], path[64];
  size_t i;
  for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
    snprintf(json, sizeof(json), "{\"%s\":\"aanbieder\"}", reserved[i]);
    snprintf(path, sizeof(path), "$.index.%s", reserved[i]);
    index_refused(json, path, "reserved");
  }
}

/* A filter's name is a query parameter: [a-z][a-z0-9_]*, shorter than LIMIT_ID_BYTES_MAX. */
TEST(index_bad_name_refused) {
  char json[256], path[128], name[LIMIT_ID_BYTES_MAX + 1];
  index_refused("{\"Aanbieder\":\"aanbieder\"}", "$.index.Aanbieder", "[a-z][a-z0-9_]*");
  index_refused("{\"1e\":\"aanbieder\"}", "$.index.1e", "[a-z][a-z0-9_]*");
  index_refused("{\"_x\":\"aanbieder\"}", "$.index._x", "[a-z][a-z0-9_]*");
  index_refused("{\"aan-bieder\":\"aanbieder\"}", "$.index.aan-bieder", "[a-z][a-z0-9_]*");
  index_refused("{\"aan bieder\":\"aanbieder\"}", "$.index.aan bieder", "[a-z][a-z0-9_]*");
  index_refused("{\"\":\"aanbieder\"}", "$.index.", "[a-z][a-z0-9_]*");
  memset(name, 'a', LIMIT_ID_BYTES_MAX);
  name[LIMIT_ID_BYTES_MAX] = '\0';
  snprintf(json, sizeof(json), "{\"%s\":\"aanbieder\"}", name);
  snprintf(path, sizeof(path), "$.index.%s", name);
  index_refused(json, path, "[a-z][a-z0-9_]*");
  name[LIMIT_ID_BYTES_MAX - 1] = '\0'; /* the longest name that fits */
  snprintf(json, sizeof(json), "{\"%s\":\"aanbieder\"}", name);
  {
    engine_problems_t p;
    ASSERT_EQ(index_check(json, &p), 0);
  }
}

/* A filter's value is a dotted path below the case's fields, as engine_path_get reads it. */
TEST(index_bad_path_refused) {
  char json[256], segment[LIMIT_ID_BYTES_MAX + 1];
  index_refused("{\"aanbieder\":1}", "$.index.aanbieder", "a dotted path below \"fields\" (a string)");
  index_refused("{\"aanbieder\":null}", "$.index.aanbieder", "a dotted path below \"fields\" (a string)");
  index_refused("{\"aanbieder\":[\"aanbieder\"]}", "$.index.aanbieder",
                "a dotted path below \"fields\" (a string)");
  index_refused("{\"aanbieder\":{\"path\":\"fields.aanbieder\"}}", "$.index.aanbieder",
                "a dotted path below \"fields\" (a string)");
  index_refused("{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"\"}", "$.index.aanbieder",
                "not a dotted path");
  index_refused("{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"jeugdige..naam\"}", "$.index.aanbieder",
                "not a dotted path");
  index_refused("{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\".aanbieder\"}", "$.index.aanbieder",
                "not a dotted path");
  index_refused("{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"aanbieder.\"}", "$.index.aanbieder",
                "not a dotted path");
  memset(segment, 'a', LIMIT_ID_BYTES_MAX);
  segment[LIMIT_ID_BYTES_MAX] = '\0';
  snprintf(json, sizeof(json), "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"x.%s\"}", segment);
  index_refused(json, "$.index.aanbieder", "not a dotted path");
}

/* R-TW-1: route A registration, then toewijzen. */
TEST(route_a_register_and_assign_R_TW_1) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "route")), "A");
  ASSERT_EQ(json_integer_value(json_object_get(c, "version")), 1);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_EQ(json_integer_value(json_object_get(c, "version")), 2);
  json_decref(c);
}

/* R-TW-1: self-referral (no legal referrer) is refused; a huisarts referral is route B. */
TEST(self_referral_refused_R_TW_1) {
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_result_t res;
  json_t *body;
  setup();
  ctx.chart = rijnmond;
  ctx.cal = &fx_cal;
  ctx.tables = NULL;
  ctx.now_s = t("2027-03-22T09:00:00+01:00");
  body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "verwijzer", "zelf", "gemeente", "rotterdam", "jeugdige",
                   "naam", "X", "geboortedatum", "2012-01-01");
  ASSERT_EQ(engine_case_create(&ctx, "c-1", body, NULL, &PR, &res), CASUS_EINVALID_DATA);
  ASSERT_STR_EQ(res.rule, "R-TW-1");
  engine_result_clear(&res);
  json_object_set_new(body, "verwijzer", json_string("huisarts"));
  ASSERT_EQ(engine_case_create(&ctx, "c-1", body, NULL, &PR, &res), CASUS_EGUARD_FAILED);
  ASSERT_STR_EQ(res.rule, "R-TW-1");
  engine_result_clear(&res);
  ASSERT_EQ(engine_case_create(&ctx, "c-1", body, NULL, &CM, &res), CASUS_EFORBIDDEN);
  engine_result_clear(&res);
  json_decref(body);
}

/* R-TW-2: start zorg within 5 working days; the deadline crosses Easter 2027. */
TEST(start_zorg_deadline_crosses_easter_R_TW_2) {
  json_t *c;
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_result_t res;
  setup();
  c = create_a(t("2027-03-25T09:00:00+01:00"), false);
  /* Thursday 25 March 2027: Fri 26, (Easter Monday 29 skipped) Tue 30, Wed 31, Thu 1, Fri 2 April. */
  c = apply(c, t("2027-03-25T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-04-02");
  ASSERT_EQ(json_integer_value(json_object_get(
                json_object_get(json_object_get(c, "timers"), "start_zorg_termijn"), "due_s")),
            t("2027-04-03T00:00:00+02:00"));
  ctx.chart = rijnmond;
  ctx.cal = &fx_cal;
  ctx.tables = NULL;
  ctx.now_s = t("2027-04-03T00:00:00+02:00");
  ASSERT_EQ(engine_timer_fire(&ctx, c, "start_zorg_termijn", &res), 0);
  ASSERT_NOT_NULL(res.history);
  ASSERT(fx_has_flag(res.case_, "start_zorg_termijn_verlopen"));
  ASSERT_NULL(json_object_get(json_object_get(res.case_, "timers"), "start_zorg_termijn"));
  ASSERT_EQ(json_array_size(res.effects), 1);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(res.effects, 0), "kind")),
                "start_zorg_termijn_verlopen");
  engine_result_clear(&res);
  /* the timer is consumed: firing it again is refused */
  json_decref(c);
}

/* R-TW-2 spoed: 2 working days; Koningsdag and Bevrijdingsdag skipped. */
TEST(spoed_two_working_days_R_TW_2) {
  json_t *c;
  setup();
  c = create_a(t("2027-04-26T09:00:00+02:00"), true);
  c = apply(c, t("2027-04-26T10:00:00+02:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  /* Mon 26 April 2027; Tue 27 is Koningsdag: Wed 28, Thu 29. */
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-04-29");
  json_decref(c);
  c = create_a(t("2027-05-04T09:00:00+02:00"), false);
  c = apply(c, t("2027-05-04T10:00:00+02:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  /* Tue 4 May 2027; Wed 5 May Bevrijdingsdag, Thu 6 Hemelvaart: Fri 7, Mon 10, Tue 11, Wed 12, Thu 13. */
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-05-13");
  json_decref(c);
}

/* R-TW-2: starting care cancels the deadline. */
TEST(start_zorg_cancels_deadline_R_TW_2) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_NULL(json_object_get(json_object_get(c, "timers"), "start_zorg_termijn"));
  /* what remains are the monitoring deadlines of in_zorg (R-MON-1, R-MON-2) */
  ASSERT_NOT_NULL(json_object_get(json_object_get(c, "timers"), "evaluatie_termijn"));
  json_decref(c);
}

/* R-TW-3: refusal needs one of three reasons; re-assignment to another provider. */
TEST(refusal_and_reassignment_R_TW_3) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{\"reden\":\"geen_zin\"}",
            CASUS_EINVALID_DATA, "R-TW-3");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{}", CASUS_EINVALID_DATA,
            "R-TW-3");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren",
            "{\"reden\":\"te_zware_hulpvraag\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  c = apply(c, t("2027-03-23T11:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, CASUS_EGUARD_FAILED, "R-TW-3");
  c = apply(c, t("2027-03-23T11:00:00+01:00"), &PR, "toewijzen",
            "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A01\","
            "\"begindatum\":\"2027-03-01\","
            "\"einddatum\":\"2027-12-31\"}",
            0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "aanbieder")),
                "zorgaanbieder-b");
  /* Tue 23 March: Wed 24, Thu 25, Fri 26, (Easter Monday 29), Tue 30, Wed 31. */
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-03-31");
  json_decref(c);
}

/* R-TW-4: disputing within 2 working days opens the ladder; late is accepted but recorded. */
TEST(dispute_on_time_and_late_R_TW_4) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-25T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-25T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  /* Thursday 25 March: two working days are Fri 26 and Tue 30 (Easter Monday). */
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "betwisten_uiterlijk")),
                "2027-03-30");
  c = apply(c, t("2027-03-30T16:00:00+02:00"), &AB, "arrangement_betwisten", "{\"toelichting\":\"te licht\"}",
            0, NULL);
  ASSERT(!fx_has_flag(c, "betwisting_te_laat"));
  ASSERT(json_array_size(json_object_get(c, "state")) == 2);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "state"), 1)), "ladder");
  c = apply(c, t("2027-03-30T17:00:00+02:00"), &CR, "overeenstemming_bereiken", NULL, 0, NULL);
  c = apply(c, t("2027-03-31T09:00:00+02:00"), &AB, "arrangement_betwisten", "{\"toelichting\":\"toch\"}", 0,
            NULL);
  ASSERT(fx_has_flag(c, "betwisting_te_laat"));
  json_decref(c);
}

/* R-TW-5: one casusregisseur at a time; a change is recorded and notified. */
TEST(casusregisseur_change_R_TW_5) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen",
            "{\"casusregisseur\":\"cr-1\"}", CASUS_EGUARD_FAILED, "R-TW-5");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &CR, "casusregisseur_wijzigen",
            "{\"casusregisseur\":\"cr-2\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen",
            "{\"casusregisseur\":\"cr-2\"}", 0, NULL);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "casusregisseur")), "cr-2");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "vorige_casusregisseur")),
                "cr-1");
  json_decref(c);
}

/* R-TW-7: stop zorg with a JZ588 reason code; late reports are flagged; the case closes. */
TEST(stop_zorg_R_TW_7) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", "{\"startdatum\":\"2027-03-23\"}", 0, NULL);
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
            "{\"reden_beeindiging\":\"77\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EINVALID_DATA,
            "R-TW-7");
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
            "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(fx_has_flag(c, "stop_zorg_te_laat_gemeld"));
  ASSERT(json_is_true(json_object_get(c, "closed")));
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "arrangement_betwisten", "{\"toelichting\":\"x\"}",
            CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
}

/* R-AUTH-1: a role that may not fire an event gets 403; the input case is unchanged. */
TEST(wrong_role_forbidden_case_unchanged_R_AUTH_1) {
  json_t *c, *before;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  before = json_deep_copy(c);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &AB, "toewijzen", TOEWIJZEN, CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &CM, "start_zorg", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &AB, "start_zorg", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &AB, "no_such_event", NULL, CASUS_EUNKNOWN_EVENT, NULL);
  ASSERT(json_equal(c, before));
  json_decref(before);
  json_decref(c);
}

TEST(allowed_events_per_role) {
  json_t *c, *ev;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  ev = engine_allowed_events(rijnmond, c, "procesregisseur", t("2027-03-22T09:00:00+01:00"), NULL);
  /* casusregisseur_wijzigen, the four safety events of R-SAFE-1, toewijzen */
  ASSERT_EQ(json_array_size(ev), 6);
  json_decref(ev);
  ev = engine_allowed_events(rijnmond, c, "aanbieder", t("2027-03-22T09:00:00+01:00"), NULL);
  ASSERT_EQ(json_array_size(ev), 3); /* R-SAFE-1: risicotaxatie, Meldcode melding, calamiteit */
  json_decref(ev);
  json_decref(c);
}

/* A fired timer whose event no transition takes now is consumed and changes nothing else. */
TEST(timer_ignored_when_not_applicable) {
  json_t *c;
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_result_t res;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  json_object_set_new(json_object_get(c, "timers"), "stray",
                      json_pack("{s:s, s:s, s:I}", "event", "beslistermijn_verlopen", "due", "2027-03-23",
                                "due_s", (json_int_t)t("2027-03-24T00:00:00+01:00")));
  ctx.chart = rijnmond;
  ctx.cal = &fx_cal;
  ctx.tables = NULL;
  ctx.now_s = t("2027-03-24T00:00:00+01:00");
  ASSERT_EQ(engine_timer_fire(&ctx, c, "stray", &res), 0);
  ASSERT_NULL(res.history);
  ASSERT_NULL(json_object_get(json_object_get(res.case_, "timers"), "stray"));
  ASSERT_EQ(json_integer_value(json_object_get(res.case_, "version")), 2);
  engine_result_clear(&res);
  ASSERT_EQ(engine_timer_fire(&ctx, c, "nope", &res), CASUS_ENOT_FOUND);
  engine_result_clear(&res);
  json_decref(c);
}

/* --- generic mechanisms on small synthetic charts --- */

static engine_chart_t *mini_chart_root(const char *root_type, const char *root_states) {
  char buf[4096];
  engine_chart_t *c;
  json_t *doc;
  snprintf(buf, sizeof(buf),
           "{\"id\":\"mini\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
           "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
           "\"root\":{\"type\":\"%s\",\"states\":{%s}}}",
           root_type, root_states);
  doc = json_loads(buf, 0, NULL);
  c = fx_chart_load(doc);
  json_decref(doc);
  return c;
}

static engine_chart_t *mini_chart(const char *root_states) {
  return mini_chart_root("compound", root_states);
}

static const engine_actor_t A = {"a-1", "a", "o"};

static json_t *mini_create(engine_chart_t *mc, int64_t now) {
  engine_ctx_t ctx = {NULL, &fx_cal, now, NULL, NULL};
  engine_result_t res;
  json_t *c;
  ctx.chart = mc;
  ASSERT_EQ(engine_case_create(&ctx, "m-1", NULL, NULL, &A, &res), 0);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  return c;
}

static int mini_apply(engine_chart_t *mc, json_t **c, int64_t now, const char *event, const char *data_json,
                      engine_result_t *res) {
  engine_ctx_t ctx = {NULL, &fx_cal, now, NULL, NULL};
  json_t *data = data_json ? json_loads(data_json, 0, NULL) : NULL;
  int rc;
  ctx.chart = mc;
  rc = engine_event_apply(&ctx, *c, event, data, &A, res);
  json_decref(data);
  if (rc == 0) {
    json_decref(*c);
    *c = json_incref(res->case_);
  }
  return rc;
}

/* "append" adds a value to a list field, creating it; the list keeps its newest LIMIT_FIELD_ITEMS_MAX items.
 */
TEST(append_action_builds_a_list) {
  engine_chart_t *mc;
  engine_result_t res;
  json_t *c, *list;
  int i;
  setup();
  mc = mini_chart(
      "\"s1\":{\"transitions\":[{\"event\":\"note\",\"roles\":[\"a\"],"
      "\"data\":{\"n\":{\"type\":\"integer\",\"required\":true}},"
      "\"actions\":[{\"append\":\"fields.log.items\",\"value\":{\"path\":\"data\"}}]}]}");
  c = mini_create(mc, t("2027-03-22T09:00:00+01:00"));
  for (i = 0; i < LIMIT_FIELD_ITEMS_MAX + 2; i++) {
    char data[32];
    snprintf(data, sizeof(data), "{\"n\":%d}", i);
    ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T10:00:00+01:00"), "note", data, &res), 0);
    engine_result_clear(&res);
  }
  list = json_object_get(json_object_get(json_object_get(c, "fields"), "log"), "items");
  ASSERT(json_is_array(list));
  ASSERT_EQ(json_array_size(list), LIMIT_FIELD_ITEMS_MAX);
  ASSERT_EQ(json_integer_value(json_object_get(json_array_get(list, 0), "n")), 2);
  ASSERT_EQ(json_integer_value(json_object_get(json_array_get(list, LIMIT_FIELD_ITEMS_MAX - 1), "n")),
            LIMIT_FIELD_ITEMS_MAX + 1);
  json_decref(c);
  engine_chart_free(mc);
}

/* ZC (R-ZC-3, R-ZC-5): a guard reads what the server supplies (engine_ctx_t.extra) with "in" a value
 * that yields a list, and a "sum" adds numbers; the engine's own root members keep their meaning. */
TEST(extra_in_value_and_sum) {
  engine_chart_t *mc;
  engine_result_t res;
  engine_ctx_t ctx = {NULL, &fx_cal, 0, NULL, NULL};
  json_t *c, *extra, *data;
  setup();
  mc = mini_chart(
      "\"s1\":{\"transitions\":["
      "{\"event\":\"zet\",\"roles\":[\"a\"],\"data\":{\"wie\":{\"type\":\"string\",\"required\":true},"
      "\"uren\":{\"type\":\"number\",\"required\":true}},"
      "\"guards\":[{\"check\":{\"path\":\"data.wie\",\"in\":{\"path\":\"gekoppeld.wie\"}},\"rule\":\"R-ZC-"
      "3\","
      "\"message\":\"niet gekoppeld\"},"
      "{\"check\":{\"value\":{\"sum\":[{\"path\":\"fields.uren\"},{\"path\":\"data.uren\"}]},\"le\":52},"
      "\"rule\":\"R-ZC-5\",\"message\":\"te veel\"}],"
      "\"actions\":[{\"set\":\"fields.uren\",\"value\":{\"sum\":[{\"path\":\"fields.uren\"},{\"path\":\"data."
      "uren\"}]}}]},"
      "{\"event\":\"begin\",\"roles\":[\"a\"],\"actions\":[{\"set\":\"fields.uren\",\"value\":0}]}]}");
  ASSERT(mc != NULL);
  c = mini_create(mc, t("2027-03-22T09:00:00+01:00"));
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "begin", NULL, &res), 0);
  engine_result_clear(&res);
  ctx.chart = mc;
  ctx.now_s = t("2027-03-22T10:00:00+01:00");
  data = json_loads("{\"wie\":\"x\",\"uren\":40.5}", 0, NULL);
  /* Without the server's list, and with a list that does not name "x": refused by R-ZC-3. */
  ASSERT(engine_event_apply(&ctx, c, "zet", data, &A, &res) != 0);
  ASSERT_STR_EQ(res.rule, "R-ZC-3");
  engine_result_clear(&res);
  extra = json_loads("{\"gekoppeld\":{\"wie\":[\"y\"]},\"fields\":{\"uren\":-100}}", 0, NULL);
  ctx.extra = extra;
  ASSERT(engine_event_apply(&ctx, c, "zet", data, &A, &res) != 0);
  ASSERT_STR_EQ(res.rule, "R-ZC-3");
  engine_result_clear(&res);
  json_decref(extra);
  extra = json_loads("{\"gekoppeld\":{\"wie\":[\"y\",\"x\"]},\"fields\":{\"uren\":-100}}", 0, NULL);
  ctx.extra = extra;
  ASSERT_EQ(engine_event_apply(&ctx, c, "zet", data, &A, &res), 0);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  ASSERT(json_number_value(json_object_get(json_object_get(c, "fields"), "uren")) == 40.5);
  /* 40.5 + 11.5 = 52 holds; then 52 + 0.5 does not (the extra's "fields" is not the case's). */
  json_decref(data);
  data = json_loads("{\"wie\":\"x\",\"uren\":11.5}", 0, NULL);
  ASSERT_EQ(engine_event_apply(&ctx, c, "zet", data, &A, &res), 0);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  json_decref(data);
  data = json_loads("{\"wie\":\"x\",\"uren\":0.5}", 0, NULL);
  ASSERT(engine_event_apply(&ctx, c, "zet", data, &A, &res) != 0);
  ASSERT_STR_EQ(res.rule, "R-ZC-5");
  engine_result_clear(&res);
  json_decref(data);
  json_decref(extra);
  json_decref(c);
  engine_chart_free(mc);
}

/* Arrays in a data schema: min_items, max_items and an "items" spec checked for every element. */
TEST(schema_array_items_and_counts) {
  engine_chart_t *mc;
  engine_result_t res;
  json_t *c, *before;
  setup();
  mc = mini_chart(
      "\"s1\":{\"transitions\":[{\"event\":\"send\",\"roles\":[\"a\"],\"rule\":\"R-X\","
      "\"data\":{\"refs\":{\"type\":\"array\",\"required\":true,\"min_items\":2,\"max_items\":3,"
      "\"rule\":\"R-REFS\",\"items\":{\"type\":\"string\",\"max_length\":4}}}}]}");
  c = mini_create(mc, t("2027-03-22T09:00:00+01:00"));
  before = json_deep_copy(c);
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T10:00:00+01:00"), "send", "{\"refs\":[\"a\"]}", &res),
            CASUS_EINVALID_DATA);
  ASSERT_STR_EQ(res.rule, "R-REFS");
  ASSERT(strstr(res.message, "between 2 and 3 items") != NULL);
  engine_result_clear(&res);
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T10:00:00+01:00"), "send", "{\"refs\":[\"a\",\"b\",\"c\",\"d\"]}",
                       &res),
            CASUS_EINVALID_DATA);
  engine_result_clear(&res);
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T10:00:00+01:00"), "send", "{\"refs\":[\"a\",7]}", &res),
            CASUS_EINVALID_DATA);
  ASSERT(strstr(res.message, "refs[1]") != NULL);
  ASSERT_STR_EQ(res.rule, "R-REFS");
  engine_result_clear(&res);
  ASSERT_EQ(
      mini_apply(mc, &c, t("2027-03-22T10:00:00+01:00"), "send", "{\"refs\":[\"a\",\"toolong\"]}", &res),
      CASUS_EINVALID_DATA);
  engine_result_clear(&res);
  ASSERT(json_equal(c, before));
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T10:00:00+01:00"), "send", "{\"refs\":[\"a\",\"b\"]}", &res), 0);
  engine_result_clear(&res);
  json_decref(before);
  json_decref(c);
  engine_chart_free(mc);
}

TEST(check_rejects_bad_array_schema_and_append) {
  engine_problems_t p;
  int i;
  bool items_on_string = false, bad_min = false, append_path = false;
  json_t *doc = json_loads(
      "{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"states\":{\"s1\":{\"transitions\":[{\"event\":\"go\",\"roles\":[\"a\"],"
      "\"data\":{\"x\":{\"type\":\"string\",\"items\":{\"type\":\"string\"}},"
      "\"y\":{\"type\":\"array\",\"min_items\":-1,\"items\":{\"type\":\"nope\"}}},"
      "\"actions\":[{\"append\":\"counters.x\",\"value\":1}]}]}}}}",
      0, NULL);
  ASSERT_NOT_NULL(doc);
  engine_chart_check(doc, &p);
  for (i = 0; i < p.count; i++) {
    if (strstr(p.items[i].message, "apply to type array only")) items_on_string = true;
    if (strstr(p.items[i].message, "min_items")) bad_min = true;
    if (strstr(p.items[i].message, "\"append\" takes a path below")) append_path = true;
  }
  ASSERT(items_on_string && bad_min && append_path);
  ASSERT_GE(p.count, 4); /* and the unknown item type */
  json_decref(doc);
}

/* A transition whose target is an ancestor of its source leaves that state and enters it again: its
 * initial child becomes active and its timers are re-armed (the root is not re-entered). */
TEST(transition_to_an_ancestor_reenters_it) {
  engine_chart_t *mc;
  engine_result_t res;
  json_t *c;
  setup();
  /* root is parallel: region r1 holds s1 (a1, a2), region r2 counts its entries */
  mc = mini_chart_root(
      "parallel",
      "\"r1\":{\"states\":{\"s1\":{\"initial\":\"a1\","
      "\"timers\":[{\"name\":\"tick\",\"event\":\"tick\",\"after\":{\"days\":3}}],"
      "\"states\":{\"a1\":{\"transitions\":[{\"event\":\"next\",\"roles\":[\"a\"],\"target\":\"a2\"}]},"
      "\"a2\":{\"transitions\":[{\"event\":\"restart\",\"roles\":[\"a\"],\"target\":\"s1\"}]}},"
      "\"transitions\":[{\"event\":\"tick\",\"roles\":[\"system\"]}]}}},"
      "\"r2\":{\"on_entry\":[{\"count\":\"r2_entered\"}]}");
  c = mini_create(mc, t("2027-03-22T09:00:00+01:00"));
  ASSERT_STR_EQ(
      json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), "tick"), "due")),
      "2027-03-25");
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-23T09:00:00+01:00"), "next", NULL, &res), 0);
  engine_result_clear(&res);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "state"), 0)), "a2");
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-24T09:00:00+01:00"), "restart", NULL, &res), 0);
  engine_result_clear(&res);
  ASSERT_EQ(json_array_size(json_object_get(c, "state")), 2);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "state"), 0)), "a1");
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "state"), 1)), "r2");
  /* the other region was not left and entered again */
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(c, "counters"), "r2_entered")), 1);
  ASSERT_STR_EQ(
      json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), "tick"), "due")),
      "2027-03-27");
  json_decref(c);
  engine_chart_free(mc);
}

/* A transition declared on a region of a parallel state, to a state inside
 * that region, moves only that region; the sibling region keeps its state. */
TEST(region_transition_keeps_sibling_regions) {
  static const char chart_json[] =
      "{\"id\":\"p\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
      "\"create\":[{\"event\":\"mk\",\"roles\":[\"a\"],\"target\":\"s1\"}],"
      "\"root\":{\"type\":\"parallel\",\"states\":{"
      "\"A\":{\"transitions\":[{\"event\":\"jump\",\"roles\":[\"a\"],\"target\":\"s2\"}],"
      "      \"states\":{\"s1\":{},\"s2\":{}}},"
      "\"B\":{\"states\":{\"q1\":{\"transitions\":[{\"event\":\"next\",\"roles\":[\"a\"],\"target\":\"q2\"}]}"
      ","
      "      \"q2\":{\"transitions\":[{\"event\":\"cross\",\"roles\":[\"a\"],\"target\":\"s1\"}]}}}}}}";
  engine_actor_t a = {"x", "a", "o"};
  engine_problems_t p;
  engine_chart_t *chart;
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_result_t res;
  json_t *doc = json_loads(chart_json, 0, NULL), *c;
  setup();
  ASSERT_NOT_NULL(doc);
  ASSERT_EQ(engine_chart_load(doc, &chart, &p), 0);
  json_decref(doc);
  ctx.chart = chart;
  ctx.cal = &fx_cal;
  ctx.tables = NULL;
  ctx.now_s = t("2027-03-22T09:00:00+01:00");
  ASSERT_EQ(engine_case_create(&ctx, "c-1", NULL, NULL, &a, &res), 0);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  ASSERT_EQ(engine_event_apply(&ctx, c, "next", NULL, &a, &res), 0);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  ASSERT_EQ(engine_event_apply(&ctx, c, "jump", NULL, &a, &res), 0);
  ASSERT_EQ(json_array_size(json_object_get(res.case_, "state")), 2);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(res.case_, "state"), 0)), "s2");
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(res.case_, "state"), 1)), "q2");
  engine_result_clear(&res);
  /* Across regions of the root: every region is left and entered again. */
  ASSERT_EQ(engine_event_apply(&ctx, c, "cross", NULL, &a, &res), 0);
  ASSERT_EQ(json_array_size(json_object_get(res.case_, "state")), 2);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(res.case_, "state"), 0)), "s1");
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(res.case_, "state"), 1)), "q1");
  engine_result_clear(&res);
  json_decref(c);
  engine_chart_free(chart);
}

/* Every date a case stores or a timer arms lies in 1900-01-01 .. 2199-12-31
 * (core/limits.h): a date field outside is refused by the schema with the
 * field named; a deadline or a "date" value that a transition would compute
 * beyond the range refuses the event (422, the source field named) and
 * changes nothing; a comparison with such a date (a guard) still works. */
TEST(dates_stay_within_range) {
  engine_chart_t *mc;
  engine_result_t res;
  json_t *c;
  setup();
  mc = mini_chart(
      "\"s1\":{\"transitions\":["
      "{\"event\":\"arm\",\"roles\":[\"a\"],\"data\":{\"d\":{\"type\":\"date\",\"required\":true}},"
      " \"actions\":[{\"arm\":\"t\",\"event\":\"t_due\",\"from\":\"data.d\",\"after\":{\"months\":1}}]},"
      "{\"event\":\"keep\",\"roles\":[\"a\"],\"data\":{\"d\":{\"type\":\"date\",\"required\":true}},"
      " \"actions\":[{\"set\":\"fields.next\",\"value\":{\"date\":{\"from\":\"data.d\",\"after\":{\"weeks\":"
      "1}}}}]},"
      "{\"event\":\"check\",\"roles\":[\"a\"],\"data\":{\"d\":{\"type\":\"date\",\"required\":true}},"
      " \"guards\":[{\"check\":{\"path\":\"data.d\",\"lt\":{\"date\":{\"from\":\"data.d\",\"after\":{"
      "\"months\":"
      "12}}}},\"rule\":\"R-X\",\"message\":\"never\"}],\"actions\":[{\"set\":\"fields.checked\",\"value\":{"
      "\"path\":\"data.d\"}}]},"
      "{\"event\":\"t_due\",\"roles\":[\"system\"]},"
      "{\"event\":\"at\",\"roles\":[\"a\"],\"data\":{\"when\":{\"type\":\"datetime\"}}}]}");
  c = mini_create(mc, t("2027-03-22T09:00:00+01:00"));
  /* The schema: the field is named, with the range. */
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "arm", "{\"d\":\"9999-12-31\"}", &res),
            CASUS_EINVALID_DATA);
  ASSERT(strstr(res.message, "\"d\"") != NULL && strstr(res.message, "1900-01-01 to 2199-12-31") != NULL);
  engine_result_clear(&res);
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "arm", "{\"d\":\"1899-12-31\"}", &res),
            CASUS_EINVALID_DATA);
  engine_result_clear(&res);
  ASSERT_EQ(
      mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "at", "{\"when\":\"2200-01-01T00:00:00Z\"}", &res),
      CASUS_EINVALID_DATA);
  ASSERT(strstr(res.message, "\"when\"") != NULL && strstr(res.message, "datetime") != NULL);
  engine_result_clear(&res);
  /* At the bound: a deadline a month after 2199-11-30 is the last day; after 2199-12-01 it is not. */
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "arm", "{\"d\":\"2199-11-30\"}", &res), 0);
  engine_result_clear(&res);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), "t"), "due")),
                "2199-12-30");
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "arm", "{\"d\":\"2199-12-01\"}", &res),
            CASUS_EINVALID_DATA);
  ASSERT_NULL(res.case_);
  ASSERT(strstr(res.message, "\"d\"") != NULL && strstr(res.message, "2199-12-31") != NULL);
  engine_result_clear(&res);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), "t"), "due")),
                "2199-12-30"); /* unchanged */
  /* A stored "date" value: 2199-12-24 + 1 week is the last day; 2199-12-25 + 1 week is not. */
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "keep", "{\"d\":\"2199-12-24\"}", &res), 0);
  engine_result_clear(&res);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "next")), "2199-12-31");
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "keep", "{\"d\":\"2199-12-25\"}", &res),
            CASUS_EINVALID_DATA);
  ASSERT(strstr(res.message, "\"d\"") != NULL);
  engine_result_clear(&res);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "next")), "2199-12-31");
  /* Compared only (a guard): 2199-06-01 + 12 months lies beyond, and the guard still holds. */
  ASSERT_EQ(mini_apply(mc, &c, t("2027-03-22T09:00:00+01:00"), "check", "{\"d\":\"2199-06-01\"}", &res), 0);
  engine_result_clear(&res);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "checked")), "2199-06-01");
  json_decref(c);
  engine_chart_free(mc);
}

#define TEST_LIST(X)                                      \
  X(chart_tables_are_looked_up)                           \
  X(chart_loads_and_checks_clean)                         \
  X(check_reports_unknown_target_with_path)               \
  X(check_reports_unreachable_nobody_and_unhandled_timer) \
  X(check_rejects_bad_shapes)                             \
  X(check_enforces_transition_and_state_limits)           \
  X(index_declares_list_filters)                          \
  X(index_not_an_object_refused)                          \
  X(index_too_many_refused)                               \
  X(index_reserved_name_refused)                          \
  X(index_bad_name_refused)                               \
  X(index_bad_path_refused)                               \
  X(route_a_register_and_assign_R_TW_1)                   \
  X(self_referral_refused_R_TW_1)                         \
  X(start_zorg_deadline_crosses_easter_R_TW_2)            \
  X(spoed_two_working_days_R_TW_2)                        \
  X(start_zorg_cancels_deadline_R_TW_2)                   \
  X(refusal_and_reassignment_R_TW_3)                      \
  X(dispute_on_time_and_late_R_TW_4)                      \
  X(casusregisseur_change_R_TW_5)                         \
  X(stop_zorg_R_TW_7)                                     \
  X(wrong_role_forbidden_case_unchanged_R_AUTH_1)         \
  X(allowed_events_per_role)                              \
  X(timer_ignored_when_not_applicable)                    \
  X(append_action_builds_a_list)                          \
  X(extra_in_value_and_sum)                               \
  X(schema_array_items_and_counts)                        \
  X(check_rejects_bad_array_schema_and_append)            \
  X(transition_to_an_ancestor_reenters_it)                \
  X(region_transition_keeps_sibling_regions)              \
  X(dates_stay_within_range)

TEST_MAIN(TEST_LIST)
