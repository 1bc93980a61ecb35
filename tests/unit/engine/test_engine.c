/*
 * Engine tests: the chart loader's checks, the interpreter's semantics on
 * small synthetic charts, and the toewijzing part of jeugdhulp-rijnmond
 * (R-TW-*), all without a loop or a store: the clock is an argument.
 */
#include <jansson.h>

#include "calendar/calendar.h"
#include "core/error.h"
#include "engine/engine.h"
#include "test.h"

static calendar_t cal;
static engine_chart_t *rijnmond;

static json_t *load_file(const char *rel) {
  char path[512];
  json_error_t jerr;
  json_t *doc;
  snprintf(path, sizeof(path), "%s/%s", CASUS_SOURCE_DIR, rel);
  doc = json_load_file(path, 0, &jerr);
  if (doc == NULL) fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
  return doc;
}

static void setup(void) {
  json_t *doc;
  engine_problems_t p;
  int i;
  if (rijnmond != NULL) return;
  doc = load_file("calendars/nl.json");
  ASSERT_NOT_NULL(doc);
  ASSERT_EQ(calendar_load(&cal, doc, NULL, NULL, 0), 0);
  json_decref(doc);
  doc = load_file("statecharts/jeugdhulp-rijnmond.json");
  ASSERT_NOT_NULL(doc);
  if (engine_chart_load(doc, &rijnmond, &p) != 0)
    for (i = 0; i < p.count; i++) fprintf(stderr, "  %s: %s\n", p.items[i].path, p.items[i].message);
  json_decref(doc);
  ASSERT_NOT_NULL(rijnmond);
}

static int64_t t(const char *rfc3339) {
  int64_t v = 0;
  if (cal_time_parse(rfc3339, &v) != 0) abort();
  return v;
}

static const engine_actor_t PR = {"pr-1", "procesregisseur", "rotterdam"};
static const engine_actor_t CR = {"cr-1", "casusregisseur", "rotterdam"};
static const engine_actor_t AB = {"ab-1", "aanbieder", "zorgaanbieder-a"};
static const engine_actor_t CM = {"cm-1", "contractmanager", "rijnmond"};

static json_t *create_a(int64_t now, bool spoed) {
  engine_ctx_t ctx = {rijnmond, &cal, now};
  engine_result_t res;
  json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente",
                           "rotterdam", "casusregisseur", "cr-1", "regie_intensiteit", "midden", "spoed", spoed,
                           "jeugdige", "naam", "Sam de Vries", "geboortedatum", "2012-05-01");
  json_t *extra = json_pack("{s:s}", "regio", "rijnmond");
  json_t *c;
  ASSERT_EQ(engine_case_create(&ctx, "c-000001", body, extra, &PR, &res), 0);
  json_decref(body);
  json_decref(extra);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  return c;
}

/* Applies and returns the new case (the old one is released); asserts the expected result code. */
static json_t *apply(json_t *c, int64_t now, const engine_actor_t *a, const char *event, const char *data_json,
                     int expect_rc, const char *expect_rule) {
  engine_ctx_t ctx = {rijnmond, &cal, now};
  engine_result_t res;
  json_t *data = data_json ? json_loads(data_json, 0, NULL) : NULL;
  int rc = engine_event_apply(&ctx, c, event, data, a, &res);
  json_decref(data);
  if (rc != expect_rc) {
    fprintf(stderr, "  %s: rc %d (%s: %s)\n", event, rc, core_err_code(rc), res.message);
    engine_result_clear(&res);
    ASSERT_EQ(rc, expect_rc);
  }
  if (expect_rule) ASSERT_STR_EQ(res.rule, expect_rule);
  if (rc == 0) {
    json_decref(c);
    c = json_incref(res.case_);
  }
  engine_result_clear(&res);
  return c;
}

static const char *status(const json_t *c) { return json_string_value(json_object_get(c, "status")); }

static bool has_flag(const json_t *c, const char *flag) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(c, "flags"), i, f) {
    if (strcmp(json_string_value(f), flag) == 0) return true;
  }
  return false;
}

static const char *timer_due(const json_t *c, const char *name) {
  return json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), name), "due"));
}

#define TOEWIJZEN "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-01\",\"einddatum\":\"2027-12-31\"}"

TEST(chart_loads_and_checks_clean) {
  engine_problems_t p;
  json_t *doc = load_file("statecharts/jeugdhulp-rijnmond.json");
  setup();
  ASSERT_EQ(engine_chart_check(doc, &p), 0);
  ASSERT_STR_EQ(engine_chart_ref(rijnmond), "jeugdhulp-rijnmond@1");
  json_decref(doc);
}

TEST(check_reports_unknown_target_with_path) {
  engine_problems_t p;
  json_t *doc = json_loads("{\"id\":\"x\",\"version\":1,\"roles\":{\"a\":{\"org_field\":\"o\"}},"
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
      "\"root\":{\"states\":{\"s1\":{\"timers\":[{\"name\":\"t\",\"event\":\"t_due\",\"after\":{\"days\":1}}]}}}}",
      0, NULL);
  engine_chart_check(doc, &p);
  for (i = 0; i < p.count; i++)
    if (strstr(p.items[i].message, "no handler") && strstr(p.items[i].path, "timers[0]")) unhandled = true;
  json_decref(doc);
  ASSERT(unhandled);
}

TEST(check_rejects_bad_shapes) {
  engine_problems_t p;
  json_t *doc = json_loads("{\"id\":\"x\",\"version\":0,\"roles\":{},\"create\":[],\"root\":{\"type\":\"weird\"},"
                           "\"extra\":1}",
                           0, NULL);
  ASSERT_GE(engine_chart_check(doc, &p), 4);
  json_decref(doc);
}

/* R-TW-1: route A registration, then toewijzen. */
TEST(route_a_register_and_assign_R_TW_1) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  ASSERT_STR_EQ(status(c), "aangemeld");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "route")), "A");
  ASSERT_EQ(json_integer_value(json_object_get(c, "version")), 1);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  ASSERT_STR_EQ(status(c), "toegewezen");
  ASSERT_EQ(json_integer_value(json_object_get(c, "version")), 2);
  json_decref(c);
}

/* R-TW-1: self-referral (no legal referrer) is refused; a huisarts referral is route B. */
TEST(self_referral_refused_R_TW_1) {
  engine_ctx_t ctx;
  engine_result_t res;
  json_t *body;
  setup();
  ctx.chart = rijnmond;
  ctx.cal = &cal;
  ctx.now_s = t("2027-03-22T09:00:00+01:00");
  body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "verwijzer", "zelf", "gemeente", "rotterdam", "jeugdige", "naam", "X",
                   "geboortedatum", "2012-01-01");
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
  engine_ctx_t ctx;
  engine_result_t res;
  setup();
  c = create_a(t("2027-03-25T09:00:00+01:00"), false);
  /* Thursday 25 March 2027: Fri 26, (Easter Monday 29 skipped) Tue 30, Wed 31, Thu 1, Fri 2 April. */
  c = apply(c, t("2027-03-25T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  ASSERT_STR_EQ(timer_due(c, "start_zorg_termijn"), "2027-04-02");
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(json_object_get(c, "timers"), "start_zorg_termijn"),
                                               "due_s")),
            t("2027-04-03T00:00:00+02:00"));
  ctx.chart = rijnmond;
  ctx.cal = &cal;
  ctx.now_s = t("2027-04-03T00:00:00+02:00");
  ASSERT_EQ(engine_timer_fire(&ctx, c, "start_zorg_termijn", &res), 0);
  ASSERT_NOT_NULL(res.history);
  ASSERT(has_flag(res.case_, "start_zorg_termijn_verlopen"));
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
  ASSERT_STR_EQ(timer_due(c, "start_zorg_termijn"), "2027-04-29");
  json_decref(c);
  c = create_a(t("2027-05-04T09:00:00+02:00"), false);
  c = apply(c, t("2027-05-04T10:00:00+02:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  /* Tue 4 May 2027; Wed 5 May Bevrijdingsdag, Thu 6 Hemelvaart: Fri 7, Mon 10, Tue 11, Wed 12, Thu 13. */
  ASSERT_STR_EQ(timer_due(c, "start_zorg_termijn"), "2027-05-13");
  json_decref(c);
}

/* R-TW-2: starting care cancels the deadline. */
TEST(start_zorg_cancels_deadline_R_TW_2) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", NULL, 0, NULL);
  ASSERT_STR_EQ(status(c), "in_zorg");
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
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
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{}", CASUS_EINVALID_DATA, "R-TW-3");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{\"reden\":\"te_zware_hulpvraag\"}", 0,
            NULL);
  ASSERT_STR_EQ(status(c), "aangemeld");
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  c = apply(c, t("2027-03-23T11:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, CASUS_EGUARD_FAILED, "R-TW-3");
  c = apply(c, t("2027-03-23T11:00:00+01:00"), &PR, "toewijzen",
            "{\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A01\",\"begindatum\":\"2027-04-01\","
            "\"einddatum\":\"2027-12-31\"}",
            0, NULL);
  ASSERT_STR_EQ(status(c), "toegewezen");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "aanbieder")), "zorgaanbieder-b");
  /* Tue 23 March: Wed 24, Thu 25, Fri 26, (Easter Monday 29), Tue 30, Wed 31. */
  ASSERT_STR_EQ(timer_due(c, "start_zorg_termijn"), "2027-03-31");
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
  c = apply(c, t("2027-03-30T16:00:00+02:00"), &AB, "arrangement_betwisten", "{\"toelichting\":\"te licht\"}", 0,
            NULL);
  ASSERT(!has_flag(c, "betwisting_te_laat"));
  ASSERT(json_array_size(json_object_get(c, "state")) == 2);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "state"), 1)), "ladder");
  c = apply(c, t("2027-03-30T17:00:00+02:00"), &CR, "overeenstemming_bereiken", NULL, 0, NULL);
  c = apply(c, t("2027-03-31T09:00:00+02:00"), &AB, "arrangement_betwisten", "{\"toelichting\":\"toch\"}", 0, NULL);
  ASSERT(has_flag(c, "betwisting_te_laat"));
  json_decref(c);
}

/* R-TW-5: one casusregisseur at a time; a change is recorded and notified. */
TEST(casusregisseur_change_R_TW_5) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-1\"}",
            CASUS_EGUARD_FAILED, "R-TW-5");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &CR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-2\"}",
            CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-2\"}", 0,
            NULL);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "casusregisseur")), "cr-2");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(c, "fields"), "vorige_casusregisseur")), "cr-1");
  json_decref(c);
}

/* R-TW-6: bridging care within a week of acceptance; later is recorded. */
TEST(overbrugging_R_TW_6) {
  json_t *c;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "overbrugging_starten", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", NULL, 0, NULL);
  c = apply(c, t("2027-04-01T10:00:00+02:00"), &AB, "overbrugging_starten", NULL, 0, NULL);
  ASSERT(has_flag(c, "overbrugging"));
  ASSERT(has_flag(c, "overbrugging_te_laat"));
  c = apply(c, t("2027-04-01T10:00:00+02:00"), &AB, "overbrugging_starten", NULL, CASUS_EGUARD_FAILED, "R-TW-6");
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
            "{\"reden_beeindiging\":\"77\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EINVALID_DATA, "R-TW-7");
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
            "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}", 0, NULL);
  ASSERT_STR_EQ(status(c), "beeindigd");
  ASSERT(has_flag(c, "stop_zorg_te_laat_gemeld"));
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
  ev = engine_allowed_events(rijnmond, c, "procesregisseur", t("2027-03-22T09:00:00+01:00"));
  ASSERT_EQ(json_array_size(ev), 2); /* casusregisseur_wijzigen, toewijzen */
  json_decref(ev);
  ev = engine_allowed_events(rijnmond, c, "aanbieder", t("2027-03-22T09:00:00+01:00"));
  ASSERT_EQ(json_array_size(ev), 0);
  json_decref(ev);
  json_decref(c);
}

/* A fired timer whose event no transition takes now is consumed and changes nothing else. */
TEST(timer_ignored_when_not_applicable) {
  json_t *c;
  engine_ctx_t ctx;
  engine_result_t res;
  setup();
  c = create_a(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN, 0, NULL);
  json_object_set_new(json_object_get(c, "timers"), "stray",
                      json_pack("{s:s, s:s, s:I}", "event", "beslistermijn_verlopen", "due", "2027-03-23", "due_s",
                                (json_int_t)t("2027-03-24T00:00:00+01:00")));
  ctx.chart = rijnmond;
  ctx.cal = &cal;
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

#define TEST_LIST(X)                                   \
  X(chart_loads_and_checks_clean)                      \
  X(check_reports_unknown_target_with_path)            \
  X(check_reports_unreachable_nobody_and_unhandled_timer) \
  X(check_rejects_bad_shapes)                          \
  X(route_a_register_and_assign_R_TW_1)                \
  X(self_referral_refused_R_TW_1)                      \
  X(start_zorg_deadline_crosses_easter_R_TW_2)         \
  X(spoed_two_working_days_R_TW_2)                     \
  X(start_zorg_cancels_deadline_R_TW_2)                \
  X(refusal_and_reassignment_R_TW_3)                   \
  X(dispute_on_time_and_late_R_TW_4)                   \
  X(casusregisseur_change_R_TW_5)                      \
  X(overbrugging_R_TW_6)                               \
  X(stop_zorg_R_TW_7)                                  \
  X(wrong_role_forbidden_case_unchanged_R_AUTH_1)      \
  X(allowed_events_per_role)                           \
  X(timer_ignored_when_not_applicable)

TEST_MAIN(TEST_LIST)
