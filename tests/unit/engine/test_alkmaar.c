/*
 * Engine tests of the chart jeugdhulp-alkmaar: the toewijzing after the
 * Alkmaar handreiking (R-TW-1/2/3/5/6/7), wijziging and verlenging
 * (R-MON-5, R-MON-4) and the regional escalatieladder with the binding
 * advice of the Regionaal Expertteam (R-ESC-9).  No loop, no store: the
 * clock is an argument, as in test_engine.c.
 */
#include <jansson.h>

#include "calendar/calendar.h"
#include "core/error.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

static engine_chart_t *alkmaar;

static void setup(void) {
  alkmaar = fx_chart("statecharts/jeugdhulp-alkmaar.json");
}

static int64_t t(const char *rfc3339) {
  return fx_t(rfc3339);
}

/* The lokaal toegangsteam of gemeente Alkmaar: its procesregisseur and a casusregisseur it employs. */
static const engine_actor_t PR = {"pr-1", "procesregisseur", "alkmaar"};
static const engine_actor_t CR = {"cr-1", "casusregisseur", "alkmaar"};
/* A casusregisseur of a GI, assigned to the case: not the lokaal toegangsteam. */
static const engine_actor_t CR_GI = {"cr-gi", "casusregisseur", "gi-jeugdbescherming"};
static const engine_actor_t TM = {"tm-1", "teammanager", "alkmaar"};
static const engine_actor_t AB = {"ab-1", "aanbieder", "zorgaanbieder-a"};
static const engine_actor_t AB_B = {"ab-2", "aanbieder", "zorgaanbieder-b"};
static const engine_actor_t ABM = {"abm-1", "aanbieder_manager", "zorgaanbieder-a"};
static const engine_actor_t CM = {"cm-1", "contractmanager", "regio-alkmaar"};

/* Creates a case from a JSON body; returns it, or NULL when the expected refusal came. */
static json_t *create(int64_t now, const engine_actor_t *a, const char *body_json, int expect_rc,
                      const char *expect_rule) {
  json_t *body = fx_json(body_json);
  json_t *c = fx_create(alkmaar, now, a, "c-000001", body, "regio-alkmaar", expect_rc, expect_rule);
  json_decref(body);
  return c;
}

#define JEUGDIGE "\"jeugdige\":{\"naam\":\"Noor Bakker\",\"geboortedatum\":\"2013-02-11\"}"
#define PRODUCT "\"product\":{\"code\":\"45A01\",\"begindatum\":\"2027-03-01\",\"einddatum\":\"2027-12-31\"}"

/* Route 1: the lokaal toegangsteam registers its own referral. */
static json_t *create_route1(int64_t now, bool spoed) {
  char body[512];
  snprintf(body, sizeof(body),
           "{\"verwijzer\":\"gemeente\",\"gemeente\":\"alkmaar\",\"casusregisseur\":\"cr-1\",\"spoed\":%"
           "s," JEUGDIGE "}",
           spoed ? "true" : "false");
  return create(now, &PR, body, 0, NULL);
}

/* Route 2: the aanbieder's verzoek om toewijzing after a referral by `verwijzer`. */
static json_t *create_route2(int64_t now, const char *verwijzer) {
  char body[512];
  snprintf(body, sizeof(body),
           "{\"verwijzer\":\"%s\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE
           "," PRODUCT "}",
           verwijzer);
  return create(now, &AB, body, 0, NULL);
}

/* Applies and returns the new case (the old one is released); asserts the expected result code. */
static json_t *apply(json_t *c, int64_t now, const engine_actor_t *a, const char *event,
                     const char *data_json, int expect_rc, const char *expect_rule) {
  return fx_apply(alkmaar, c, now, a, event, data_json, expect_rc, expect_rule);
}

/* Applies an event that must be refused with `expect_rc` (and `expect_rule`), and asserts the case is
 * unchanged. */
static void refused(json_t *c, int64_t now, const engine_actor_t *a, const char *event, const char *data_json,
                    int expect_rc, const char *expect_rule) {
  fx_refused(alkmaar, c, now, a, event, data_json, expect_rc, expect_rule);
}

/* Fires the named timer at its due instant. */
static json_t *fire(json_t *c, const char *name) {
  return fx_fire(alkmaar, c, name);
}

#define TOEWIJZEN_A                                                                                       \
  "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-03-01\",\"einddatum\":" \
  "\"2027-12-31\",\"ondersteuningsplan\":\"OP-2027-0042\"}"
#define TOEWIJZEN_B_ADVIES                                                                                \
  "{\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A07\",\"begindatum\":\"2027-06-01\",\"einddatum\":" \
  "\"2027-12-31\"}"

/* A route-1 case assigned to zorgaanbieder-a and in care since Tuesday 23 March 2027. */
static json_t *case_in_zorg(void) {
  json_t *c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", NULL, 0, NULL);
  return c;
}

/* Climbs the ladder from the start up to the RET, checking every rung; `opener` opens it. */
static json_t *ladder_to_ret(json_t *c, const engine_actor_t *opener) {
  c = apply(
      c, t("2027-05-03T09:00:00+02:00"), opener, "escalatie_openen",
      "{\"aanleiding\":\"passende_hulp_niet_beschikbaar\",\"toelichting\":\"de hulpvraag is te complex\"}", 0,
      NULL);
  ASSERT(fx_in_state(c, "bij_verwijzer"));
  ASSERT(fx_effect(NULL, "escalatie_geopend", "procesregisseur"));
  c = apply(c, t("2027-05-06T09:00:00+02:00"), &PR, "intern_bespreken",
            "{\"verslag\":\"geen passend antwoord\"}", 0, NULL);
  ASSERT(fx_in_state(c, "intern_besproken"));
  c = apply(c, t("2027-05-12T09:00:00+02:00"), &PR, "regionaal_bespreken",
            "{\"verslag\":\"ook regionaal geen antwoord\",\"anoniem\":true}", 0, NULL);
  ASSERT(fx_in_state(c, "regionaal_besproken"));
  c = apply(c, t("2027-05-18T09:00:00+02:00"), &CR, "consultatie_aanvragen",
            "{\"geconsulteerde\":\"ojep\",\"grond\":\"expertise_ontbreekt\",\"vraag\":\"welke hulp past?\"}",
            0, NULL);
  ASSERT(fx_in_state(c, "consultatie_aangevraagd"));
  c = apply(c, t("2027-05-25T09:00:00+02:00"), &CR, "consultatie_afronden",
            "{\"advies\":\"geen aanbod in de regio\"}", 0, NULL);
  ASSERT(fx_in_state(c, "consultatie_afgerond"));
  c = apply(c, t("2027-05-26T09:00:00+02:00"), &PR, "ret_voorleggen",
            "{\"hulpvraag\":\"vastgelopen complexe casus\",\"veiligheid_voorop\":false,\"crisis\":false}", 0,
            NULL);
  ASSERT(fx_in_state(c, "voorgelegd_aan_ret"));
  return c;
}

/* --- the chart itself --- */

TEST(chart_loads_and_checks_clean) {
  engine_problems_t p;
  json_t *doc = fx_load_file("statecharts/jeugdhulp-alkmaar.json");
  int i, n;
  setup();
  n = engine_chart_check(doc, &p);
  for (i = 0; i < p.count; i++) fprintf(stderr, "  %s: %s\n", p.items[i].path, p.items[i].message);
  ASSERT_EQ(n, 0);
  ASSERT_STR_EQ(engine_chart_ref(alkmaar), "jeugdhulp-alkmaar@2");
  ASSERT_STR_EQ(engine_chart_calendar(alkmaar), "nl");
  json_decref(doc);
}

static const char *const api_statuses[] = {
    "aangemeld", "verzoek_om_toewijzing", "toegewezen", "in_zorg", "opgeschort", "crisis", "beeindigd",
    "afgewezen"};

static bool rule_id(const json_t *v) {
  return json_is_string(v) && strncmp(json_string_value(v), "R-", 2) == 0 && json_string_length(v) > 4;
}

/* Every transition names its rule (R-ESC-9 throughout the ladder), every guard a rule and an English
 * sentence; every status is one of API.md; every final state closes the case. */
static void walk_state(const char *name, const json_t *st, bool in_ladder, int *finals) {
  const json_t *children = json_object_get(st, "states");
  const char *key;
  json_t *child, *tr, *g, *tm;
  size_t i, k;
  if (strcmp(name, "escalatie") == 0) in_ladder = true;
  if (json_object_get(st, "status")) {
    bool known = false;
    for (k = 0; k < sizeof(api_statuses) / sizeof(api_statuses[0]); k++)
      if (strcmp(json_string_value(json_object_get(st, "status")), api_statuses[k]) == 0) known = true;
    if (!known) fprintf(stderr, "  state %s: status not in API.md\n", name);
    ASSERT(known);
  }
  if (json_is_string(json_object_get(st, "type")) &&
      strcmp(json_string_value(json_object_get(st, "type")), "final") == 0) {
    ASSERT(json_is_true(json_object_get(st, "terminal")));
    (*finals)++;
  }
  json_array_foreach(json_object_get(st, "transitions"), i, tr) {
    if (!rule_id(json_object_get(tr, "rule"))) fprintf(stderr, "  %s.transitions[%zu]: no rule\n", name, i);
    ASSERT(rule_id(json_object_get(tr, "rule")));
    if (in_ladder) ASSERT_STR_EQ(json_string_value(json_object_get(tr, "rule")), "R-ESC-9");
    json_array_foreach(json_object_get(tr, "guards"), k, g) {
      const char *msg = json_string_value(json_object_get(g, "message"));
      ASSERT(rule_id(json_object_get(g, "rule")));
      ASSERT(msg != NULL && strlen(msg) > 10 && msg[strlen(msg) - 1] == '.');
    }
  }
  json_array_foreach(json_object_get(st, "timers"), i, tm) {
    ASSERT(rule_id(json_object_get(tm, "rule")));
  }
  json_object_foreach((json_t *)children, key, child) {
    walk_state(key, child, in_ladder, finals);
  }
}

TEST(every_transition_has_a_rule_and_guards_a_sentence_R_ESC_9) {
  json_t *doc = fx_load_file("statecharts/jeugdhulp-alkmaar.json"), *tr, *g;
  size_t i, k;
  int finals = 0;
  setup();
  json_array_foreach(json_object_get(doc, "create"), i, tr) {
    ASSERT_STR_EQ(json_string_value(json_object_get(tr, "rule")), "R-TW-1");
    json_array_foreach(json_object_get(tr, "guards"), k, g) {
      ASSERT(rule_id(json_object_get(g, "rule")));
      ASSERT(json_is_string(json_object_get(g, "message")));
    }
  }
  walk_state("root", json_object_get(doc, "root"), false, &finals);
  ASSERT_EQ(finals, 2); /* afgewezen, beeindigd */
  json_decref(doc);
}

/* --- toewijzing (ALK §2, §3.1, §5) --- */

/* R-TW-1: route 1, the lokaal toegangsteam registers and assigns after the ondersteuningsplan. */
TEST(route1_register_and_assign_R_TW_1) {
  json_t *c;
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  ASSERT_STR_EQ(fx_str(c, "fields.route"), "lokaal_toegangsteam");
  ASSERT_STR_EQ(fx_str(c, "fields.regio"), "regio-alkmaar");
  ASSERT(fx_in_state(c, "geen_escalatie") && fx_in_state(c, "geen_aanpassing"));
  /* ALK §2.3.2: the toewijzing follows the ondersteuningsplan */
  refused(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen",
          "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-03-01\","
          "\"einddatum\":\"2027-12-31\"}",
          CASUS_EINVALID_DATA, "R-TW-1");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_STR_EQ(fx_str(c, "fields.ondersteuningsplan"), "OP-2027-0042");
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A01");
  ASSERT(fx_effect(NULL, "toewijzing_ontvangen", "aanbieder"));
  json_decref(c);
}

/* R-TW-1: self-referral (Zelfverwijzer/Geen verwijzer) is refused in regio Alkmaar (ALK §2.3.1). */
TEST(self_referral_refused_R_TW_1) {
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_result_t res;
  setup();
  create(
      t("2027-03-22T09:00:00+01:00"), &AB,
      "{\"verwijzer\":\"zelfverwijzer\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE
      "," PRODUCT "}",
      CASUS_EGUARD_FAILED, "R-TW-1");
  create(
      t("2027-03-22T09:00:00+01:00"), &AB,
      "{\"verwijzer\":\"geen_verwijzer\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE
      "," PRODUCT "}",
      CASUS_EGUARD_FAILED, "R-TW-1");
  create(t("2027-03-22T09:00:00+01:00"), &PR,
         "{\"verwijzer\":\"zelfverwijzer\",\"gemeente\":\"alkmaar\"," JEUGDIGE "}", CASUS_EGUARD_FAILED,
         "R-TW-1");
  /* anything that is no verwijzer at all fails the schema, with the same rule */
  create(t("2027-03-22T09:00:00+01:00"), &AB,
         "{\"verwijzer\":\"zelf\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE
         "," PRODUCT "}",
         CASUS_EINVALID_DATA, "R-TW-1");
  /* the message says why, in a sentence */
  ctx.chart = alkmaar;
  ctx.cal = &fx_cal;
  ctx.now_s = t("2027-03-22T09:00:00+01:00");
  {
    json_t *body =
        json_loads("{\"verwijzer\":\"zelfverwijzer\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"x\"," JEUGDIGE
                   "," PRODUCT "}",
                   0, NULL);
    ASSERT_EQ(engine_case_create(&ctx, "c-1", body, NULL, &AB, &res), CASUS_EGUARD_FAILED);
    ASSERT(strstr(res.message, "self-referral") != NULL || strstr(res.message, "Zelfverwijzer") != NULL);
    engine_result_clear(&res);
    ASSERT_EQ(engine_case_create(&ctx, "c-1", body, NULL, &CM, &res), CASUS_EFORBIDDEN);
    engine_result_clear(&res);
    json_decref(body);
  }
}

/* R-TW-1: the legal referrers (ALK §2.2) and the two routes (§2.3): GI and rechter go through the
 * aanbieder's verzoek om toewijzing, like the medical circuit (§2.3.4); a medisch specialist may not
 * refer to his own organisation. */
TEST(legal_referrers_and_routes_R_TW_1) {
  json_t *c;
  const char *referrers[] = {"huisarts", "jeugdarts", "gi", "rechter"};
  size_t i;
  setup();
  /* the lokaal toegangsteam registers only its own referrals */
  create(t("2027-03-22T09:00:00+01:00"), &PR, "{\"verwijzer\":\"gi\",\"gemeente\":\"alkmaar\"," JEUGDIGE "}",
         CASUS_EGUARD_FAILED, "R-TW-1");
  create(t("2027-03-22T09:00:00+01:00"), &PR,
         "{\"verwijzer\":\"huisarts\",\"gemeente\":\"alkmaar\"," JEUGDIGE "}", CASUS_EGUARD_FAILED, "R-TW-1");
  /* the aanbieder does not file a verzoek for the gemeente's own referral */
  create(t("2027-03-22T09:00:00+01:00"), &AB,
         "{\"verwijzer\":\"gemeente\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE
         "," PRODUCT "}",
         CASUS_EGUARD_FAILED, "R-TW-1");
  for (i = 0; i < sizeof(referrers) / sizeof(referrers[0]); i++) {
    c = create_route2(t("2027-03-22T09:00:00+01:00"), referrers[i]);
    ASSERT_STR_EQ(fx_status(c), "verzoek_om_toewijzing");
    ASSERT_STR_EQ(fx_str(c, "fields.route"), "andere_verwijzer");
    json_decref(c);
  }
  /* medisch specialist: the organisation is required and must not be the aanbieder */
  create(t("2027-03-22T09:00:00+01:00"), &AB,
         "{\"verwijzer\":\"medisch_specialist\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-"
         "a\"," JEUGDIGE "," PRODUCT "}",
         CASUS_EGUARD_FAILED, "R-TW-1");
  create(t("2027-03-22T09:00:00+01:00"), &AB,
         "{\"verwijzer\":\"medisch_specialist\",\"verwijzer_organisatie\":\"zorgaanbieder-a\",\"gemeente\":"
         "\"alkmaar\","
         "\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE "," PRODUCT "}",
         CASUS_EGUARD_FAILED, "R-TW-1");
  c = create(t("2027-03-22T09:00:00+01:00"), &AB,
             "{\"verwijzer\":\"medisch_specialist\",\"verwijzer_organisatie\":\"nwz-ziekenhuis\","
             "\"gemeente\":\"alkmaar\","
             "\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE "," PRODUCT "}",
             0, NULL);
  ASSERT_STR_EQ(fx_status(c), "verzoek_om_toewijzing");
  c = apply(c, t("2027-03-23T09:00:00+01:00"), &PR, "toewijzing_toekennen", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 1); /* start_zorg_termijn only */
  json_decref(c);
  /* a rejected verzoek ends the case */
  c = create_route2(t("2027-03-22T09:00:00+01:00"), "huisarts");
  c = apply(c, t("2027-03-23T09:00:00+01:00"), &PR, "toewijzing_afwijzen",
            "{\"reden\":\"geen jeugdhulp nodig\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "afgewezen");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  json_decref(c);
}

/* R-TW-2: start zorg within 5 working days; the deadline crosses Easter 2027 and flags the case. */
TEST(start_zorg_five_working_days_R_TW_2) {
  json_t *c;
  setup();
  c = create_route1(t("2027-03-25T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-25T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  /* Thursday 25 March 2027: Fri 26, (Easter Monday 29) Tue 30, Wed 31, Thu 1, Fri 2 April */
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-04-02");
  c = fire(c, "start_zorg_termijn");
  ASSERT(fx_has_flag(c, "start_zorg_termijn_verlopen"));
  ASSERT(fx_effect(NULL, "start_zorg_termijn_verlopen", "procesregisseur"));
  ASSERT(fx_effect(NULL, "start_zorg_termijn_verlopen", "casusregisseur"));
  ASSERT_NULL(json_object_get(json_object_get(c, "timers"), "start_zorg_termijn"));
  json_decref(c);
}

/* R-TW-2 spoed (ALK §5.1): the care starts within 2 working days; Koningsdag is skipped. */
TEST(spoed_two_working_days_R_TW_2) {
  json_t *c;
  setup();
  c = create_route1(t("2027-04-26T09:00:00+02:00"), true);
  c = apply(c, t("2027-04-26T10:00:00+02:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  /* Mon 26 April 2027; Tue 27 is Koningsdag: Wed 28, Thu 29 */
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-04-29");
  c = apply(c, t("2027-04-28T10:00:00+02:00"), &AB, "start_zorg", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  /* the start deadline is gone; the end of the toewijzing runs (R-MON-9), and so do the evaluations: the
   * first 3 months after the start, the end evaluation 8 weeks before the einddatum (R-MON-1, R-MON-2) */
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 3);
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2027-12-31");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-07-28");
  ASSERT_STR_EQ(fx_timer_due(c, "eindevaluatie_termijn"), "2027-11-05");
  json_decref(c);
  /* spoed set on a route-2 verzoek carries over; Tue 4 May: (Bevrijdingsdag 5, Hemelvaart 6) Fri 7, Mon 10 */
  c = create(t("2027-05-04T09:00:00+02:00"), &AB,
             "{\"verwijzer\":\"huisarts\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\","
             "\"spoed\":true," JEUGDIGE "," PRODUCT "}",
             0, NULL);
  c = apply(c, t("2027-05-04T10:00:00+02:00"), &PR, "toewijzing_toekennen", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-05-10");
  json_decref(c);
  /* without spoed: Tue 4 May: Fri 7, Mon 10, Tue 11, Wed 12, Thu 13 */
  c = create_route1(t("2027-05-04T09:00:00+02:00"), false);
  c = apply(c, t("2027-05-04T10:00:00+02:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-05-13");
  json_decref(c);
}

/* R-TW-3 (ALK §3.1): refusal after screening for exactly one of three reasons; re-assignment elsewhere. */
TEST(refusal_and_reassignment_R_TW_3) {
  json_t *c;
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  refused(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{\"reden\":\"wachtlijst\"}",
          CASUS_EINVALID_DATA, "R-TW-3");
  refused(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{}", CASUS_EINVALID_DATA, "R-TW-3");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "toewijzing_weigeren",
            "{\"reden\":\"te_lichte_hulpvraag\",\"alternatief\":\"zorgaanbieder-b\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  ASSERT(fx_in_state(c, "opnieuw_toewijzen"));
  ASSERT(fx_effect(NULL, "opnieuw_toewijzen", "procesregisseur"));
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  refused(c, t("2027-03-23T11:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, CASUS_EGUARD_FAILED, "R-TW-3");
  c = apply(c, t("2027-03-23T11:00:00+01:00"), &PR, "toewijzen",
            "{\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A01\",\"begindatum\":\"2027-03-01\","
            "\"einddatum\":\"2027-12-31\"}",
            0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_STR_EQ(fx_str(c, "fields.aanbieder"), "zorgaanbieder-b");
  json_decref(c);
}

/* R-TW-5 (ALK §4.1.3): one casusregisseur; a change reaches the lokaal toegangsteam, also when the
 * aanbieder (which usually holds the casusregie in Alkmaar) reports it; with several organisations
 * a casusregisseur is a condition for the toewijzing. */
TEST(casusregisseur_R_TW_5) {
  json_t *c;
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  refused(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-1\"}",
          CASUS_EGUARD_FAILED, "R-TW-5");
  refused(c, t("2027-03-22T10:00:00+01:00"), &TM, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-2\"}",
          CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &AB, "casusregisseur_wijzigen",
            "{\"casusregisseur\":\"cr-ab\"}", 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.casusregisseur"), "cr-ab");
  ASSERT_STR_EQ(fx_str(c, "fields.vorige_casusregisseur"), "cr-1");
  ASSERT(fx_effect(NULL, "casusregisseur_gewijzigd", "procesregisseur"));
  json_decref(c);
  /* no casusregisseur yet, several organisations: no toewijzing */
  c = create(t("2027-03-22T09:00:00+01:00"), &PR,
             "{\"verwijzer\":\"gemeente\",\"gemeente\":\"alkmaar\"," JEUGDIGE "}", 0, NULL);
  refused(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen",
          "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-03-01\","
          "\"einddatum\":\"2027-12-31\",\"ondersteuningsplan\":\"OP-1\",\"meerdere_aanbieders\":true}",
          CASUS_EGUARD_FAILED, "R-TW-5");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen",
            "{\"casusregisseur\":\"cr-1\"}", 0, NULL);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen",
            "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-03-01\","
            "\"einddatum\":\"2027-12-31\",\"ondersteuningsplan\":\"OP-1\",\"meerdere_aanbieders\":true}",
            0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  json_decref(c);
}

/* R-TW-6 (DOMAIN 4.1, ALK §5.2): overbrugging after the acceptance (screening recorded), within one week of
 * it, before the required care starts; it ends at start zorg and lasts no longer than the treeknorm. */
TEST(overbrugging_R_TW_6) {
  json_t *c;
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  refused(c, t("2027-03-23T10:00:00+01:00"), &AB, "overbrugging_starten", NULL, CASUS_EGUARD_FAILED,
          "R-TW-6");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "screening_afronden", NULL, 0, NULL);
  c = apply(c, t("2027-03-29T10:00:00+02:00"), &AB, "overbrugging_starten", NULL, 0, NULL);
  ASSERT(fx_has_flag(c, "overbrugging"));
  ASSERT(!fx_has_flag(c, "overbrugging_te_laat"));
  ASSERT(fx_effect("notification", "overbrugging_gestart", "procesregisseur"));
  ASSERT(fx_timer_due(c, "start_zorg_termijn") == NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "overbrugging_termijn"), "2027-06-07");
  refused(c, t("2027-03-29T10:00:00+02:00"), &AB, "overbrugging_starten", NULL, CASUS_EGUARD_FAILED,
          "R-TW-6");
  c = fire(c, "overbrugging_termijn");
  ASSERT(fx_has_flag(c, "overbrugging_te_lang"));
  ASSERT(fx_effect("task", "overbrugging_te_lang", "procesregisseur"));
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "start_zorg", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(!fx_has_flag(c, "overbrugging"));
  ASSERT_STR_EQ(fx_str(c, "fields.overbrugging.beeindigd_op"), "2027-06-10");
  refused(c, t("2027-06-10T10:00:00+02:00"), &AB, "overbrugging_starten", NULL, CASUS_ENOT_ALLOWED_IN_STATE,
          NULL);
  json_decref(c);
  /* more than a week after the acceptance: flagged late */
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  c = apply(c, t("2027-03-22T11:00:00+01:00"), &AB, "screening_afronden", NULL, 0, NULL);
  c = apply(c, t("2027-04-01T10:00:00+02:00"), &AB, "overbrugging_starten", NULL, 0, NULL);
  ASSERT(fx_has_flag(c, "overbrugging_te_laat"));
  json_decref(c);
}

/* R-TW-3 (DOMAIN 4.1, ALK §3.1): screening at start; refusal possible until the aanbieder records that
 * screening is done, also after start zorg (R-TW-2: a start is not an acceptance); care delivered stays
 * recorded. R-TW-7: the start date lies inside the toewijzing's period; JZ588 is exactly 02, 20, 31-39. */
TEST(refusal_until_screening_and_start_in_period_R_TW_3_R_TW_7) {
  json_t *c;
  setup();
  c = create_route1(t("2027-02-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-02-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL); /* begindatum 03-01 */
  refused(c, t("2027-02-23T10:00:00+01:00"), &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-TW-7");
  refused(c, t("2027-03-02T10:00:00+01:00"), &AB, "start_zorg", "{\"startdatum\":\"2027-02-26\"}",
          CASUS_EGUARD_FAILED, "R-TW-7");
  c = apply(c, t("2027-03-02T10:00:00+01:00"), &AB, "start_zorg", "{\"startdatum\":\"2027-03-01\"}", 0, NULL);
  c = apply(c, t("2027-03-15T10:00:00+01:00"), &AB, "toewijzing_weigeren",
            "{\"reden\":\"te_zware_hulpvraag\",\"alternatief\":\"zorgaanbieder-b\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  ASSERT(fx_effect("task", "opnieuw_toewijzen", "procesregisseur"));
  ASSERT_STR_EQ(fx_str(json_array_get(fx_get(c, "fields.geleverde_zorg"), 0), "startdatum"), "2027-03-01");
  ASSERT_STR_EQ(fx_str(json_array_get(fx_get(c, "fields.geleverde_zorg"), 0), "einddatum_zorg"),
                "2027-03-15");
  json_decref(c);
  c = case_in_zorg();
  c = apply(c, t("2027-03-24T10:00:00+01:00"), &AB, "screening_afronden", NULL, 0, NULL);
  refused(c, t("2027-03-25T10:00:00+01:00"), &AB, "toewijzing_weigeren", "{\"reden\":\"gewichtige_redenen\"}",
          CASUS_EGUARD_FAILED, "R-TW-3");
  refused(c, t("2027-03-25T10:00:00+01:00"), &AB, "screening_afronden", NULL, CASUS_EGUARD_FAILED, "R-TW-3");
  refused(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
          "{\"reden_beeindiging\":\"99\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EINVALID_DATA, "R-TW-7");
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
            "{\"reden_beeindiging\":\"36\",\"einddatum_zorg\":\"2027-06-01\"}", 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "36");
  json_decref(c);
  c = case_in_zorg();
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
            "{\"reden_beeindiging\":\"02\",\"einddatum_zorg\":\"2027-06-01\"}", 0, NULL);
  json_decref(c);
}

/* R-TW-7: the gemeente answers a verzoek within 5 working days and, in onderzoek, decides within 8 weeks;
 * stop zorg with a JZ588 code ends the case. */
TEST(answer_terms_and_stop_zorg_R_TW_7) {
  json_t *c;
  setup();
  c = create_route2(t("2027-03-22T09:00:00+01:00"), "huisarts");
  /* Mon 22 March: Tue 23, Wed 24, Thu 25, Fri 26, (Easter Monday 29) Tue 30 */
  ASSERT_STR_EQ(fx_timer_due(c, "antwoordtermijn"), "2027-03-30");
  c = fire(c, "antwoordtermijn");
  ASSERT(fx_has_flag(c, "antwoordtermijn_verlopen"));
  c = apply(c, t("2027-03-31T09:00:00+02:00"), &PR, "verzoek_in_onderzoek", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "beslistermijn"), "2027-05-26");
  json_decref(c);
  c = case_in_zorg();
  refused(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
          "{\"reden_beeindiging\":\"77\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EINVALID_DATA, "R-TW-7");
  refused(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
          "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-30\"}", CASUS_EGUARD_FAILED, "R-TW-7");
  c = apply(c, t("2027-06-10T10:00:00+02:00"), &AB, "zorg_afsluiten",
            "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(fx_has_flag(c, "stop_zorg_te_laat_gemeld"));
  ASSERT(json_is_true(json_object_get(c, "closed")));
  refused(c, t("2027-06-10T10:00:00+02:00"), &AB, "escalatie_openen",
          "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
}

/* --- aanpassingen (ALK §3.2, §2.3.2) --- */

/* R-MON-5: a verzoek om wijziging names another product, is aligned with an external verwijzer, and
 * the aanbieder delivers requested information within 5 working days. */
TEST(wijziging_R_MON_5) {
  json_t *c;
  setup();
  c = case_in_zorg();
  refused(c, t("2027-03-24T10:00:00+01:00"), &AB, "wijziging_aanvragen",
          "{\"product\":\"45A01\",\"reden\":\"zwaarder nodig\"}", CASUS_EGUARD_FAILED, "R-MON-5");
  c = apply(c, t("2027-03-24T10:00:00+01:00"), &AB, "wijziging_aanvragen",
            "{\"product\":\"45A05\",\"reden\":\"een wezenlijk andere aanpak is nodig\"}", 0, NULL);
  ASSERT(fx_in_state(c, "wijziging_ingediend"));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(fx_effect(NULL, "wijziging_beoordelen", "procesregisseur"));
  /* the gemeente answers within 5 working days (R-TW-7): Wed 24 March: Thu 25, Fri 26, (Easter Monday 29)
   * Tue 30, Wed 31, Thu 1 April */
  ASSERT_STR_EQ(fx_timer_due(c, "wijziging_antwoordtermijn"), "2027-04-01");
  c = apply(c, t("2027-03-25T10:00:00+01:00"), &PR, "informatie_opvragen",
            "{\"vraag\":\"onderbouwing graag\"}", 0, NULL);
  ASSERT(fx_in_state(c, "wijziging_informatie_opgevraagd"));
  ASSERT(fx_effect(NULL, "informatie_aanleveren", "aanbieder"));
  ASSERT_NULL(json_object_get(json_object_get(c, "timers"), "wijziging_antwoordtermijn"));
  /* Thu 25 March: Fri 26, (Easter Monday 29) Tue 30, Wed 31, Thu 1, Fri 2 April */
  ASSERT_STR_EQ(fx_timer_due(c, "informatie_aanlevertermijn"), "2027-04-02");
  c = fire(c, "informatie_aanlevertermijn");
  ASSERT(fx_has_flag(c, "informatie_te_laat"));
  ASSERT(fx_effect(NULL, "informatie_aanlevertermijn_verlopen", "procesregisseur"));
  c = apply(c, t("2027-04-05T10:00:00+02:00"), &AB, "informatie_aanleveren",
            "{\"formulier\":\"format-2027-17\"}", 0, NULL);
  ASSERT(fx_in_state(c, "wijziging_in_behandeling"));
  refused(c, t("2027-04-05T11:00:00+02:00"), &AB, "wijziging_toekennen", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, t("2027-04-05T11:00:00+02:00"), &PR, "wijziging_toekennen", NULL, 0, NULL);
  ASSERT(fx_in_state(c, "geen_aanpassing"));
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A05");
  ASSERT_STR_EQ(fx_str(c, "fields.vorig_product"), "45A01");
  json_decref(c);
  /* route 2: align with the initial verwijzer first */
  c = create_route2(t("2027-03-22T09:00:00+01:00"), "huisarts");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzing_toekennen", NULL, 0, NULL);
  refused(c, t("2027-03-23T10:00:00+01:00"), &AB, "wijziging_aanvragen",
          "{\"product\":\"45A05\",\"reden\":\"andere aanpak\"}", CASUS_EGUARD_FAILED, "R-MON-5");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "wijziging_aanvragen",
            "{\"product\":\"45A05\",\"reden\":\"andere aanpak\",\"afgestemd_met_verwijzer\":true}", 0, NULL);
  c = apply(c, t("2027-03-24T10:00:00+01:00"), &PR, "wijziging_afwijzen", "{\"reden\":\"past binnen 45A01\"}",
            0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A01");
  ASSERT_STR_EQ(fx_str(c, "fields.wijziging.besluit"), "afgewezen");
  json_decref(c);
}

/* R-MON-4 (ALK §2.3.2): the evaluatieformulier comes between 8 and 12 weeks before the einddatum;
 * granting moves the einddatum. */
TEST(verlenging_R_MON_4) {
  json_t *c;
  const char *form =
      "{\"product\":\"45A01\",\"reden\":\"doelen nog niet behaald\",\"aanpassing_behandelplan\":\"meer "
      "gezinsgesprekken\",\"nieuwe_einddatum\":\"2028-06-30\",\"toestemming_ouders_gevraagd\":true,"
      "\"toestemming_ouders\":true}";
  setup();
  c = case_in_zorg();
  /* einddatum 31 December 2027: twelve weeks before is 8 October, eight weeks before 5 November */
  refused(c, t("2027-10-07T10:00:00+02:00"), &AB, "verlenging_aanvragen", form, CASUS_EGUARD_FAILED,
          "R-MON-4");
  refused(c, t("2027-10-08T10:00:00+02:00"), &AB, "verlenging_aanvragen",
          "{\"product\":\"45A01\",\"reden\":\"x\",\"aanpassing_behandelplan\":\"y\",\"nieuwe_einddatum\":"
          "\"2028-06-30\"}",
          CASUS_EINVALID_DATA, "R-MON-4");
  c = apply(c, t("2027-10-08T10:00:00+02:00"), &AB, "verlenging_aanvragen", form, 0, NULL);
  ASSERT(fx_in_state(c, "verlenging_aangevraagd"));
  ASSERT(!fx_has_flag(c, "evaluatieformulier_te_laat"));
  ASSERT(fx_effect(NULL, "verlenging_beoordelen", "procesregisseur"));
  c = apply(c, t("2027-10-12T10:00:00+02:00"), &PR, "verlenging_toekennen", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2028-06-30");
  ASSERT(fx_in_state(c, "geen_aanpassing"));
  json_decref(c);
  /* Later than eight weeks before the einddatum the form is refused (ALK §2.3.2: "tussen acht en twaalf
   * weken"); the lokaal toegangsteam may still extend on its own initiative (R-MON-9). */
  c = case_in_zorg();
  refused(c, t("2027-11-06T10:00:00+01:00"), &AB, "verlenging_aanvragen", form, CASUS_EGUARD_FAILED,
          "R-MON-4");
  c = apply(c, t("2027-11-05T10:00:00+01:00"), &AB, "verlenging_aanvragen", form, 0, NULL);
  c = apply(c, t("2027-11-22T10:00:00+01:00"), &PR, "verlenging_afwijzen", "{\"reden\":\"afschalen\"}", 0,
            NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2027-12-31");
  json_decref(c);
}

/* R-MON-9: the toewijzing ends the day after its einddatum without a granted verlenging; the lokaal
 * toegangsteam may extend it on its own initiative (toewijzing_verlengen), also once it has expired (ALK
 * §2.3.2: a verlenging "terwijl de einddatum van de toewijzing is bereikt"); the aanbieder's pending
 * aanvraag cannot be granted on an expired toewijzing; stop zorg records JZ588 31. */
TEST(toewijzing_ends_and_is_extended_R_MON_9) {
  json_t *c;
  const char *form =
      "{\"product\":\"45A01\",\"reden\":\"doelen nog niet behaald\",\"aanpassing_behandelplan\":\"meer "
      "gezinsgesprekken\",\"nieuwe_einddatum\":\"2028-06-30\",\"toestemming_ouders_gevraagd\":true,"
      "\"toestemming_ouders\":true}";
  setup();
  c = case_in_zorg();
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2027-12-31");
  c = apply(c, t("2027-10-08T10:00:00+02:00"), &AB, "verlenging_aanvragen", form, 0, NULL);
  c = fire(c, "einde_toewijzing");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(fx_in_state(c, "toewijzing_verlopen") && fx_in_state(c, "verlenging_aangevraagd"));
  ASSERT(!json_is_true(json_object_get(c, "closed")));
  ASSERT(fx_effect("task", "stop_zorg_melden", "aanbieder"));
  ASSERT(fx_effect("task", "toewijzing_verlopen", "procesregisseur"));
  ASSERT(fx_effect("notification", "toewijzing_verlopen", "casusregisseur"));
  ASSERT_STR_EQ(fx_timer_due(c, "stop_zorg_termijn"), "2028-01-07");
  refused(c, t("2028-01-04T10:00:00+01:00"), &PR, "verlenging_toekennen", NULL, CASUS_EGUARD_FAILED,
          "R-MON-9");
  refused(c, t("2028-01-04T10:00:00+01:00"), &AB, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2028-06-30\",\"reden\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, t("2028-01-04T10:00:00+01:00"), &CR, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2028-06-30\",\"reden\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, t("2028-01-04T10:00:00+01:00"), &PR, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2028-06-30\"}", CASUS_EINVALID_DATA, "R-MON-9");
  refused(c, t("2028-01-04T10:00:00+01:00"), &PR, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2028-01-03\",\"reden\":\"x\"}", CASUS_EGUARD_FAILED, "R-MON-9");
  c = apply(c, t("2028-01-04T10:00:00+01:00"), &PR, "toewijzing_verlengen",
            "{\"nieuwe_einddatum\":\"2028-06-30\",\"reden\":\"evaluatieformulier te laat beoordeeld\"}", 0,
            NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2028-06-30");
  ASSERT_STR_EQ(fx_str(c, "fields.product.vorige_einddatum"), "2027-12-31");
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2028-06-30");
  ASSERT(fx_effect("close_tasks", "stop_zorg_melden", NULL));
  /* the aanbieder's aanvraag asked for the same date: granting it now would not move the einddatum */
  refused(c, t("2028-01-05T10:00:00+01:00"), &PR, "verlenging_toekennen", NULL, CASUS_EGUARD_FAILED,
          "R-MON-4");
  c = apply(c, t("2028-01-05T10:00:00+01:00"), &PR, "verlenging_afwijzen", "{\"reden\":\"al verlengd\"}", 0,
            NULL);
  /* in care, again at any time, no earlier than the current einddatum */
  refused(c, t("2028-02-01T10:00:00+01:00"), &PR, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2028-06-30\",\"reden\":\"x\"}", CASUS_EGUARD_FAILED, "R-MON-9");
  c = apply(c, t("2028-02-01T10:00:00+01:00"), &PR, "toewijzing_verlengen",
            "{\"nieuwe_einddatum\":\"2028-07-31\",\"reden\":\"zomer overbruggen\"}", 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2028-07-31");
  /* a wijziging may move the einddatum, not into the past, and re-arms the end */
  c = apply(c, t("2028-02-02T10:00:00+01:00"), &AB, "wijziging_aanvragen",
            "{\"product\":\"45A05\",\"reden\":\"andere aanpak\"}", 0, NULL);
  refused(c, t("2028-02-03T10:00:00+01:00"), &PR, "wijziging_toekennen", "{\"einddatum\":\"2028-02-02\"}",
          CASUS_EGUARD_FAILED, "R-MON-9");
  c = apply(c, t("2028-02-03T10:00:00+01:00"), &PR, "wijziging_toekennen", "{\"einddatum\":\"2028-05-31\"}",
            0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2028-05-31");
  c = fire(c, "einde_toewijzing");
  ASSERT(fx_in_state(c, "toewijzing_verlopen"));
  refused(c, t("2028-06-02T10:00:00+02:00"), &AB, "zorg_afsluiten", "{\"reden_beeindiging\":\"32\"}",
          CASUS_EINVALID_DATA, "R-MON-9");
  c = apply(c, t("2028-06-02T10:00:00+02:00"), &AB, "zorg_afsluiten", "{}", 0, NULL);
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "31");
  ASSERT_STR_EQ(fx_str(c, "fields.einddatum_zorg"), "2028-05-31");
  json_decref(c);
}

/* R-AUTH-3 (ALK §4.1.3): a casusregisseur is always assigned: a case registered without one gives the
 * lokaal toegangsteam a task; care does not start without one, and when the case has none the aanbieder
 * supplies it at the start. Only the assigned casusregisseur acts; a colleague of the gemeente is refused,
 * and on a case without one no casusregisseur acts at all. Tasks never go to every casusregisseur. */
TEST(casusregisseur_always_assigned_and_only_that_one_acts_R_AUTH_3) {
  json_t *c;
  const char *open = "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}";
  setup();
  c = create_route2(t("2027-03-22T09:00:00+01:00"), "huisarts");
  ASSERT(fx_effect("task", "casusregisseur_aanwijzen", "procesregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "casusregisseur_aanwijzen"), "R-AUTH-3");
  refused(c, t("2027-03-22T10:00:00+01:00"), &CR, "escalatie_openen", open, CASUS_EGUARD_FAILED, "R-AUTH-3");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzing_toekennen", NULL, 0, NULL);
  /* the start deadline passes: the task goes to the procesregisseur only, not to every casusregisseur */
  c = fire(c, "start_zorg_termijn");
  ASSERT(fx_effect("task", "start_zorg_termijn_verlopen", "procesregisseur"));
  ASSERT(!fx_effect("task", "start_zorg_termijn_verlopen", "casusregisseur"));
  refused(c, t("2027-03-31T10:00:00+02:00"), &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-AUTH-3");
  c = apply(c, t("2027-03-31T10:00:00+02:00"), &AB, "start_zorg", "{\"casusregisseur\":\"cr-ab\"}", 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_STR_EQ(fx_str(c, "fields.casusregisseur"), "cr-ab");
  ASSERT_STR_EQ(fx_str(c, "fields.casusregisseur_sinds"), "2027-03-31");
  ASSERT(fx_effect("close_tasks", "casusregisseur_aanwijzen", NULL));
  ASSERT(fx_effect("notification", "casusregisseur_gewijzigd", "procesregisseur"));
  /* the gemeente's casusregisseur is not this case's: it sees, it does not act */
  refused(c, t("2027-04-01T10:00:00+02:00"), &CR, "escalatie_openen", open, CASUS_EGUARD_FAILED, "R-AUTH-3");
  {
    static const engine_actor_t CR_AB = {"cr-ab", "casusregisseur", "zorgaanbieder-a"};
    c = apply(
        c, t("2027-04-01T10:00:00+02:00"), &CR_AB, "escalatie_openen",
        "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\",\"overleg_verwijzer\":\"huisarts\"}", 0,
        NULL);
    /* the assigned one, at the aanbieder, is not the lokaal toegangsteam */
    refused(c, t("2027-04-02T10:00:00+02:00"), &CR_AB, "intern_bespreken", "{\"verslag\":\"x\"}",
            CASUS_EGUARD_FAILED, "R-ESC-9");
    refused(c, t("2027-04-02T10:00:00+02:00"), &CR, "intern_bespreken", "{\"verslag\":\"x\"}",
            CASUS_EGUARD_FAILED, "R-AUTH-3");
  }
  json_decref(c);
  /* a case that has its casusregisseur: the aanbieder names no other at the start */
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  ASSERT(!fx_effect("task", "casusregisseur_aanwijzen", NULL));
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  refused(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", "{\"casusregisseur\":\"cr-ab\"}",
          CASUS_EGUARD_FAILED, "R-TW-5");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", "{\"casusregisseur\":\"cr-1\"}", 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.casusregisseur"), "cr-1");
  json_decref(c);
}

/* --- the escalatieladder (ALK §4.3) --- */

/* R-ESC-9: verwijzer -> intern -> regionaal (anoniem) -> consultatie (OJEP or aanbieder) -> RET, in order;
 * each rung is recorded and the aanbieder is involved in every step. */
TEST(ladder_in_order_R_ESC_9) {
  json_t *c;
  setup();
  c = case_in_zorg();
  c = ladder_to_ret(c, &AB);
  ASSERT(fx_effect(NULL, "ret_voorgelegd", "contractmanager"));
  ASSERT(fx_effect(NULL, "escalatie_stap", "aanbieder"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.aanleiding"), "passende_hulp_niet_beschikbaar");
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.geopend_door"), "aanbieder");
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.intern_besproken"), "2027-05-06");
  ASSERT(json_is_true(fx_get(c, "fields.escalatie.regionaal_anoniem")));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.geconsulteerde"), "ojep");
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.ojep_grond"), "expertise_ontbreekt");
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.ret_voorgelegd"), "2027-05-26");
  ASSERT_STR_EQ(fx_status(c), "in_zorg"); /* the ladder runs beside the care */
  c = apply(c, t("2027-06-02T09:00:00+02:00"), &PR, "ret_advies_vastleggen",
            "{\"advies\":\"huidige hulp voortzetten, schuldhulp via de gemeente\",\"bindend\":true}", 0,
            NULL);
  ASSERT(fx_in_state(c, "ret_advies_uitvoeren"));
  ASSERT(json_is_true(fx_get(c, "fields.ret_advies.bindend")));
  ASSERT(fx_effect(NULL, "ret_advies_uitvoeren", "procesregisseur"));
  c = apply(c, t("2027-06-03T09:00:00+02:00"), &CR, "overeenstemming_bereiken",
            "{\"afspraken\":\"conform advies\"}", 0, NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.opgevolgd"), "2027-06-03");
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.gesloten"), "2027-06-03");
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(c, "counters"), "escalaties")), 1);
  json_decref(c);
}

/* R-ESC-9: a rung cannot be skipped, and a refused skip changes nothing. */
TEST(skipping_a_step_refused_R_ESC_9) {
  json_t *c;
  const char *regionaal = "{\"verslag\":\"x\",\"anoniem\":true}";
  const char *consult = "{\"geconsulteerde\":\"aanbieder\",\"naam\":\"zorgaanbieder-c\",\"vraag\":\"x\"}";
  const char *ret = "{\"hulpvraag\":\"x\",\"veiligheid_voorop\":false,\"crisis\":false}";
  int64_t now = t("2027-05-03T10:00:00+02:00");
  setup();
  c = case_in_zorg();
  /* no rung before the ladder is opened */
  refused(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "ret_voorleggen", ret, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "escalatie_openen",
            "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"vastgelopen\"}", 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.geopend_door"), "procesregisseur");
  refused(c, now, &PR, "escalatie_openen", "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}",
          CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "regionaal_bespreken", regionaal, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "consultatie_aanvragen", consult, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "ret_voorleggen", ret, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "ret_advies_vastleggen", "{\"advies\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", 0, NULL);
  refused(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "consultatie_aanvragen", consult, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "ret_voorleggen", ret, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "regionaal_bespreken", regionaal, 0, NULL);
  refused(c, now, &PR, "ret_voorleggen", ret, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  refused(c, now, &PR, "consultatie_afronden", "{\"advies\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "consultatie_aanvragen", consult, 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.geconsulteerde_naam"), "zorgaanbieder-c");
  /* the consultation has to come back before the RET */
  refused(c, now, &PR, "ret_voorleggen", ret, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "consultatie_afronden", "{\"advies\":\"x\"}", 0, NULL);
  refused(c, now, &PR, "ret_advies_vastleggen", "{\"advies\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "ret_voorleggen", ret, 0, NULL);
  ASSERT(fx_in_state(c, "voorgelegd_aan_ret"));
  json_decref(c);
}

/* R-ESC-9: only the lokaal toegangsteam brings a case to the RET: other roles get 403 (R-AUTH-1), a
 * casusregisseur of a GI is refused by rule; the RET takes no safety or crisis cases. */
TEST(ret_only_by_lokaal_toegangsteam_R_ESC_9) {
  json_t *c;
  const char *ret = "{\"hulpvraag\":\"vastgelopen\",\"veiligheid_voorop\":false,\"crisis\":false}";
  int64_t now = t("2027-05-26T10:00:00+02:00");
  setup();
  c = case_in_zorg();
  c = apply(c, now, &PR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-gi\"}", 0, NULL);
  c = apply(c, now, &PR, "escalatie_openen", "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}",
            0, NULL);
  c = apply(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", 0, NULL);
  c = apply(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":true}", 0, NULL);
  c = apply(c, now, &PR, "consultatie_aanvragen",
            "{\"geconsulteerde\":\"ojep\",\"grond\":\"second_opinion\",\"vraag\":\"x\"}", 0, NULL);
  c = apply(c, now, &PR, "consultatie_afronden", "{\"advies\":\"x\"}", 0, NULL);
  refused(c, now, &AB, "ret_voorleggen", ret, CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, now, &ABM, "ret_voorleggen", ret, CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, now, &TM, "ret_voorleggen", ret, CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, now, &CM, "ret_voorleggen", ret, CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, now, &CR_GI, "ret_voorleggen", ret, CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "ret_voorleggen", "{\"hulpvraag\":\"x\",\"veiligheid_voorop\":true,\"crisis\":false}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "ret_voorleggen", "{\"hulpvraag\":\"x\",\"veiligheid_voorop\":false,\"crisis\":true}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "ret_voorleggen", "{\"hulpvraag\":\"x\"}", CASUS_EINVALID_DATA, "R-ESC-9");
  /* an aanbieder asks the lokaal toegangsteam instead */
  c = apply(c, now, &AB, "ret_aanvragen", "{\"toelichting\":\"graag het RET\"}", 0, NULL);
  ASSERT(fx_effect(NULL, "ret_gevraagd", "procesregisseur"));
  ASSERT(fx_in_state(c, "consultatie_afgerond"));
  /* a casusregisseur employed by the gemeente is the lokaal toegangsteam, once it is the case's own
   * (R-AUTH-3: 1 gezin, 1 plan, 1 casusregisseur) */
  refused(c, now, &CR, "ret_voorleggen", ret, CASUS_EGUARD_FAILED, "R-AUTH-3");
  c = apply(c, now, &PR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-1\"}", 0, NULL);
  c = apply(c, now, &CR, "ret_voorleggen", ret, 0, NULL);
  ASSERT(fx_in_state(c, "voorgelegd_aan_ret"));
  refused(c, now, &CR_GI, "ret_advies_vastleggen", "{\"advies\":\"x\",\"bindend\":true}", CASUS_EGUARD_FAILED,
          "R-AUTH-3");
  refused(c, now, &AB, "ret_advies_vastleggen", "{\"advies\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  json_decref(c);
}

/* R-ESC-9: the lower rungs have their own conditions: the aanbieder consults an external verwijzer
 * first, the regional discussion is anonymous, a consultation names its consultant and an OJEP its grond. */
TEST(rung_conditions_R_ESC_9) {
  json_t *c;
  int64_t now = t("2027-05-03T10:00:00+02:00");
  setup();
  c = create_route2(t("2027-03-22T09:00:00+01:00"), "huisarts");
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzing_toekennen", NULL, 0, NULL);
  /* R-AUTH-3: the case has no casusregisseur, so the aanbieder supplies one at the start (a GI's) */
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", "{\"casusregisseur\":\"cr-gi\"}", 0, NULL);
  refused(c, now, &AB, "escalatie_openen", "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &AB, "escalatie_openen", "{\"aanleiding\":\"boos\",\"toelichting\":\"x\"}",
          CASUS_EINVALID_DATA, "R-ESC-9");
  refused(c, now, &CM, "escalatie_openen", "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}",
          CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(
      c, now, &AB, "escalatie_openen",
      "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\",\"overleg_verwijzer\":\"huisarts: naar "
      "toegang\"}",
      0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.overleg_verwijzer"), "huisarts: naar toegang");
  refused(c, now, &AB, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, now, &CR_GI, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_EGUARD_FAILED, "R-ESC-9");
  c = apply(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", 0, NULL);
  refused(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":false}", CASUS_EGUARD_FAILED,
          "R-ESC-9");
  refused(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\"}", CASUS_EINVALID_DATA, "R-ESC-9");
  c = apply(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":true}", 0, NULL);
  refused(c, now, &PR, "consultatie_aanvragen", "{\"geconsulteerde\":\"aanbieder\",\"vraag\":\"x\"}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "consultatie_aanvragen", "{\"geconsulteerde\":\"ojep\",\"vraag\":\"x\"}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "consultatie_aanvragen", "{\"geconsulteerde\":\"buurman\",\"vraag\":\"x\"}",
          CASUS_EINVALID_DATA, "R-ESC-9");
  refused(c, now, &AB, "consultatie_aanvragen",
          "{\"geconsulteerde\":\"ojep\",\"grond\":\"second_opinion\",\"vraag\":\"x\"}", CASUS_EFORBIDDEN,
          "R-AUTH-1");
  c = apply(c, now, &PR, "consultatie_aanvragen",
            "{\"geconsulteerde\":\"ojep\",\"grond\":\"second_opinion\",\"vraag\":\"x\"}", 0, NULL);
  ASSERT(fx_in_state(c, "consultatie_aangevraagd"));
  json_decref(c);
}

/* R-ESC-9: agreement closes the ladder at any rung: at the verwijzer the aanbieder may record it,
 * afterwards only the lokaal toegangsteam; the ladder can be opened again. */
TEST(agreement_closes_the_ladder_R_ESC_9) {
  json_t *c;
  int64_t now = t("2027-05-03T10:00:00+02:00");
  const char *open = "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}";
  setup();
  c = case_in_zorg();
  refused(c, now, &PR, "overeenstemming_bereiken", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &AB, "escalatie_openen", open, 0, NULL);
  c = apply(c, now, &AB, "overeenstemming_bereiken", "{\"afspraken\":\"opgelost met de verwijzer\"}", 0,
            NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.afspraken"), "opgelost met de verwijzer");
  c = apply(c, now, &AB, "escalatie_openen", open, 0, NULL);
  ASSERT_NULL(fx_get(c, "fields.escalatie.afspraken")); /* a new ladder starts clean */
  c = apply(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", 0, NULL);
  c = apply(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":true}", 0, NULL);
  refused(c, now, &AB, "overeenstemming_bereiken", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  refused(c, now, &TM, "overeenstemming_bereiken", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  /* a GI casusregisseur that is not the case's own may not act at all (R-AUTH-3) */
  refused(c, now, &CR_GI, "overeenstemming_bereiken", NULL, CASUS_EGUARD_FAILED, "R-AUTH-3");
  c = apply(c, now, &CR, "overeenstemming_bereiken", NULL, 0, NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(c, "counters"), "escalaties")), 2);
  json_decref(c);
}

/* R-ESC-9: the RET's advice is binding: the case records it, every next step must follow it, and the
 * ladder closes only once it is carried out. */
TEST(ret_advice_is_binding_R_ESC_9) {
  json_t *c;
  int64_t now = t("2027-06-02T10:00:00+02:00");
  setup();
  c = case_in_zorg();
  c = ladder_to_ret(c, &AB);
  refused(c, now, &PR, "ret_advies_vastleggen",
          "{\"advies\":\"naar b\",\"bindend\":true,\"aanbieder\":\"zorgaanbieder-b\"}", CASUS_EGUARD_FAILED,
          "R-ESC-9");
  c = apply(c, now, &PR, "ret_advies_vastleggen",
            "{\"advies\":\"specialistische hulp bij "
            "zorgaanbieder-b\",\"bindend\":true,\"aanbieder\":\"zorgaanbieder-b\","
            "\"product\":\"45A07\"}",
            0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.aanbieder"), "zorgaanbieder-b");
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.product"), "45A07");
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.datum"), "2027-06-02");
  ASSERT(fx_effect(NULL, "ret_advies", "aanbieder"));
  /* the ladder cannot close before the advice is carried out */
  refused(c, now, &PR, "overeenstemming_bereiken", NULL, CASUS_EGUARD_FAILED, "R-ESC-9");
  /* nor can the case drift away from it */
  refused(c, now, &AB, "zorg_afsluiten", "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  /* an early end by the aanbieder (33) is only the outcome of an approved termination procedure (R-BE-12) */
  refused(c, now, &AB, "zorg_afsluiten", "{\"reden_beeindiging\":\"33\",\"einddatum_zorg\":\"2027-06-01\"}",
          CASUS_EGUARD_FAILED, "R-BE-12");
  c = apply(c, now, &AB, "wijziging_aanvragen", "{\"product\":\"45A05\",\"reden\":\"x\"}", 0, NULL);
  refused(c, now, &PR, "wijziging_toekennen", NULL, CASUS_EGUARD_FAILED, "R-ESC-9");
  c = apply(c, now, &PR, "wijziging_afwijzen", "{\"reden\":\"RET-advies gaat voor\"}", 0, NULL);
  refused(c, now, &PR, "toewijzen",
          "{\"aanbieder\":\"zorgaanbieder-c\",\"product\":\"45A07\",\"begindatum\":\"2027-06-01\","
          "\"einddatum\":\"2027-12-31\"}",
          CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &AB, "toewijzen", TOEWIJZEN_B_ADVIES, CASUS_EFORBIDDEN, "R-AUTH-1");
  /* the lokaal toegangsteam assigns the advised toewijzing */
  c = apply(c, now, &PR, "toewijzen", TOEWIJZEN_B_ADVIES, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_STR_EQ(fx_str(c, "fields.aanbieder"), "zorgaanbieder-b");
  ASSERT_STR_EQ(fx_str(c, "fields.vorige_aanbieder"), "zorgaanbieder-a");
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A07");
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.toegewezen"), "2027-06-02");
  ASSERT_NOT_NULL(fx_timer_due(c, "start_zorg_termijn"));
  ASSERT(fx_in_state(c, "ret_advies_uitvoeren"));
  /* the advice binds the aanbieders too */
  refused(c, now, &AB_B, "toewijzing_weigeren", "{\"reden\":\"gewichtige_redenen\"}", CASUS_EGUARD_FAILED,
          "R-ESC-9");
  /* done: the advised toewijzing is in place, the ladder closes */
  refused(c, now, &AB_B, "overeenstemming_bereiken", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &PR, "overeenstemming_bereiken", "{\"afspraken\":\"RET-advies uitgevoerd\"}", 0, NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.opgevolgd"), "2027-06-02");
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.aanbieder"), "zorgaanbieder-b"); /* the advice stays on record */
  c = apply(c, t("2027-06-03T10:00:00+02:00"), &AB_B, "start_zorg", NULL, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  json_decref(c);
}

/* R-ESC-9 (DOMAIN 4.1): the advice binds only when the RET says so. A toewijzing named by an advice that
 * is not binding is a proposal: the ladder closes without it, another toewijzing and a refusal are
 * allowed; the advice is recorded with bindend false. */
TEST(ret_advice_binds_only_when_the_ret_says_so_R_ESC_9) {
  json_t *c;
  int64_t now = t("2027-06-02T10:00:00+02:00");
  setup();
  c = case_in_zorg();
  c = ladder_to_ret(c, &AB);
  /* whether it binds is part of the advice */
  refused(c, now, &PR, "ret_advies_vastleggen", "{\"advies\":\"naar b\"}", CASUS_EINVALID_DATA, "R-ESC-9");
  c = apply(c, now, &PR, "ret_advies_vastleggen",
            "{\"advies\":\"overweeg zorgaanbieder-b\",\"bindend\":false,\"aanbieder\":\"zorgaanbieder-b\","
            "\"product\":\"45A07\"}",
            0, NULL);
  ASSERT(json_is_false(fx_get(c, "fields.ret_advies.bindend")));
  ASSERT_NULL(fx_get(c, "fields.ret_advies.aanbieder"));
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.voorstel.aanbieder"), "zorgaanbieder-b");
  ASSERT_STR_EQ(fx_str(c, "fields.ret_advies.voorstel.product"), "45A07");
  ASSERT(fx_effect(NULL, "ret_advies_uitvoeren", "procesregisseur"));
  /* nothing is bound: the ladder closes without carrying it out (a binding advice refuses that until
   * the advised toewijzing is in place: ret_advice_is_binding_R_ESC_9) */
  c = apply(c, now, &PR, "overeenstemming_bereiken",
            "{\"afspraken\":\"advies gewogen, huidige hulp blijft\"}", 0, NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  json_decref(c);
}

/* R-ESC-9: binding advice when no care could be found yet (passende hulp niet beschikbaar): the next
 * toewijzing must be the advised one. */
TEST(ret_advice_binds_the_first_toewijzing_R_ESC_9) {
  json_t *c;
  int64_t now = t("2027-06-02T10:00:00+02:00");
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = ladder_to_ret(c, &PR);
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  c = apply(c, now, &CR, "ret_advies_vastleggen",
            "{\"advies\":\"maatwerk bij "
            "zorgaanbieder-b\",\"bindend\":true,\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A07\"}",
            0, NULL);
  refused(c, now, &PR, "overeenstemming_bereiken", NULL, CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "toewijzen", TOEWIJZEN_A, CASUS_EGUARD_FAILED, "R-ESC-9");
  c = apply(c, now, &PR, "toewijzen",
            "{\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A07\",\"begindatum\":\"2027-06-07\","
            "\"einddatum\":\"2027-12-31\",\"ondersteuningsplan\":\"OP-2027-0042\"}",
            0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  c = apply(c, now, &PR, "overeenstemming_bereiken", NULL, 0, NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  json_decref(c);
  /* route 2: a verzoek for another provider cannot be granted, nor rejected; the advised one is assigned */
  c = create_route2(t("2027-03-22T09:00:00+01:00"), "gi");
  ASSERT(fx_effect(NULL, "casusregisseur_aanwijzen", "procesregisseur")); /* R-AUTH-3 */
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "casusregisseur_wijzigen",
            "{\"casusregisseur\":\"cr-1\"}", 0, NULL);
  ASSERT(fx_effect("close_tasks", "casusregisseur_aanwijzen", NULL));
  c = ladder_to_ret(c, &PR);
  c = apply(c, now, &PR, "ret_advies_vastleggen",
            "{\"advies\":\"zorgaanbieder-b\",\"bindend\":true,\"aanbieder\":\"zorgaanbieder-b\",\"product\":"
            "\"45A07\"}",
            0, NULL);
  refused(c, now, &PR, "toewijzing_toekennen", NULL, CASUS_EGUARD_FAILED, "R-ESC-9");
  refused(c, now, &PR, "toewijzing_afwijzen", "{\"reden\":\"x\"}", CASUS_EGUARD_FAILED, "R-ESC-9");
  c = apply(c, now, &PR, "toewijzen", TOEWIJZEN_B_ADVIES, 0, NULL);
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  ASSERT_STR_EQ(fx_str(c, "fields.aanbieder"), "zorgaanbieder-b");
  json_decref(c);
}

/* R-AUTH-1 with R-ESC-9: the wrong roles get 403 throughout the ladder, and no refusal changes the case. */
TEST(wrong_roles_forbidden_and_case_unchanged_R_ESC_9) {
  json_t *c, *before;
  int64_t now = t("2027-05-03T10:00:00+02:00");
  setup();
  c = case_in_zorg();
  c = apply(c, now, &AB, "escalatie_openen", "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}",
            0, NULL);
  before = json_deep_copy(c);
  c = apply(c, now, &AB, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &TM, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &CM, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &ABM, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":true}", CASUS_EFORBIDDEN,
            "R-AUTH-1");
  c = apply(c, now, &AB, "consultatie_aanvragen", "{\"geconsulteerde\":\"ojep\",\"vraag\":\"x\"}",
            CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &AB, "ret_voorleggen", "{\"hulpvraag\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &AB, "ret_advies_vastleggen", "{\"advies\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &CM, "overeenstemming_bereiken", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &PR, "ret_aanvragen", "{\"toelichting\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  c = apply(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":true}",
            CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = apply(c, now, &PR, "intern_bespreken", "{}", CASUS_EINVALID_DATA, "R-ESC-9");
  c = apply(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\",\"extra\":1}", CASUS_EINVALID_DATA, NULL);
  c = apply(c, now, &CR_GI, "intern_bespreken", "{\"verslag\":\"x\"}", CASUS_EGUARD_FAILED, "R-AUTH-3");
  c = apply(c, now, &PR, "no_such_event", NULL, CASUS_EUNKNOWN_EVENT, NULL);
  c = apply(c, now, &AB, "arrangement_betwisten", "{\"toelichting\":\"x\"}", CASUS_EUNKNOWN_EVENT, NULL);
  ASSERT(json_equal(c, before));
  json_decref(before);
  json_decref(c);
}

/* What a role may do at a rung of the ladder. */
TEST(allowed_events_on_the_ladder) {
  json_t *c, *ev;
  size_t i;
  json_t *e;
  bool ret = false, aanvragen = false;
  int64_t now = t("2027-05-26T09:00:00+02:00");
  setup();
  c = case_in_zorg();
  c = apply(c, now, &PR, "escalatie_openen", "{\"aanleiding\":\"complexe_situatie\",\"toelichting\":\"x\"}",
            0, NULL);
  c = apply(c, now, &PR, "intern_bespreken", "{\"verslag\":\"x\"}", 0, NULL);
  c = apply(c, now, &PR, "regionaal_bespreken", "{\"verslag\":\"x\",\"anoniem\":true}", 0, NULL);
  c = apply(c, now, &PR, "consultatie_aanvragen",
            "{\"geconsulteerde\":\"aanbieder\",\"naam\":\"zorgaanbieder-c\",\"vraag\":\"x\"}", 0, NULL);
  c = apply(c, now, &PR, "consultatie_afronden", "{\"advies\":\"x\"}", 0, NULL);
  ev = engine_allowed_events(alkmaar, c, "procesregisseur", now, NULL);
  json_array_foreach(ev, i, e) {
    if (strcmp(json_string_value(e), "ret_voorleggen") == 0) ret = true;
  }
  json_decref(ev);
  ASSERT(ret);
  ret = false;
  ev = engine_allowed_events(alkmaar, c, "aanbieder", now, NULL);
  json_array_foreach(ev, i, e) {
    if (strcmp(json_string_value(e), "ret_voorleggen") == 0) ret = true;
    if (strcmp(json_string_value(e), "ret_aanvragen") == 0) aanvragen = true;
  }
  json_decref(ev);
  ASSERT(!ret);
  ASSERT(aanvragen);
  json_decref(c);
}

/* R-MON-8 (DOMAIN 4.1, ARR): the catalogue catalogs/alkmaar.json (the table arrangementen) holds the limits:
 * begeleiding and behandeling at most 12 months, crisishulp ambulant and crisisverblijf at most 6 weeks,
 * behandeling start at most 10 contacts; checked at the toewijzing, the verzoek om toewijzing, and every
 * verlenging. */
TEST(arrangement_limits_R_MON_8) {
  json_t *c;
  int64_t at = t("2027-03-22T10:00:00+01:00");
#define TW(arr, eind, extra)                                                                              \
  "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-03-22\",\"einddatum\":" \
  "\"" eind "\",\"ondersteuningsplan\":\"OP-1\",\"arrangement\":\"" arr "\"" extra "}"
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  /* 22 March + 6 weeks = 3 May: the last day is 2 May */
  refused(c, at, &PR, "toewijzen", TW("crisishulp_ambulant", "2027-05-03", ""), CASUS_EGUARD_FAILED,
          "R-MON-8");
  refused(c, at, &PR, "toewijzen", TW("crisishulp_verblijf", "2027-09-30", ""), CASUS_EGUARD_FAILED,
          "R-MON-8");
  refused(c, at, &PR, "toewijzen", TW("begeleiding_groep", "2028-03-22", ""), CASUS_EGUARD_FAILED, "R-MON-8");
  refused(c, at, &PR, "toewijzen", TW("behandeling_individueel", "2028-03-22", ""), CASUS_EGUARD_FAILED,
          "R-MON-8");
  refused(c, at, &PR, "toewijzen", TW("behandeling_start", "2027-06-30", ""), CASUS_EGUARD_FAILED, "R-MON-8");
  refused(c, at, &PR, "toewijzen", TW("behandeling_start", "2027-06-30", ",\"aantal_contacten\":11"),
          CASUS_EGUARD_FAILED, "R-MON-8");
  refused(c, at, &PR, "toewijzen", TW("logeren", "2027-06-30", ""), CASUS_EINVALID_DATA, "R-MON-8");
  c = apply(c, at, &PR, "toewijzen", TW("crisishulp_ambulant", "2027-05-02", ""), 0, NULL);
  ASSERT_STR_EQ(fx_str(c, "fields.product.arrangement"), "crisishulp_ambulant");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", NULL, 0, NULL);
  /* crisishulp is 6 weeks in all (the catalogue's "verlengbaar": false; ARR: then the help that fits):
   * no extension, not past 6 weeks more and not by a day */
  refused(c, t("2027-04-20T10:00:00+02:00"), &PR, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2027-06-13\",\"reden\":\"nog nodig\"}", CASUS_EGUARD_FAILED, "R-MON-8");
  refused(c, t("2027-04-20T10:00:00+02:00"), &PR, "toewijzing_verlengen",
          "{\"nieuwe_einddatum\":\"2027-05-03\",\"reden\":\"nog nodig\"}", CASUS_EGUARD_FAILED, "R-MON-8");
  json_decref(c);
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, at, &PR, "toewijzen", TW("behandeling_start", "2027-06-30", ",\"aantal_contacten\":10"), 0,
            NULL);
  ASSERT_EQ(json_integer_value(fx_get(c, "fields.product.aantal_contacten")), 10);
  json_decref(c);
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, at, &PR, "toewijzen", TW("dyslexie_behandeling", "2028-09-30", ""), 0, NULL);
  json_decref(c);
  /* the verzoek om toewijzing (route 2) is checked the same way */
  create(at, &AB,
         "{\"verwijzer\":\"huisarts\",\"gemeente\":\"alkmaar\",\"aanbieder\":\"zorgaanbieder-a\"," JEUGDIGE
         ",\"product\":{\"code\":\"45A01\",\"begindatum\":\"2027-04-01\",\"einddatum\":\"2028-04-01\","
         "\"arrangement\":\"begeleiding_individueel\"}}",
         CASUS_EGUARD_FAILED, "R-MON-8");
#undef TW
}

/* R-MON-10 (DOMAIN 4.2): the lokaal toegangsteam (procesregisseur) adjusts the toewijzing on its own
 * initiative, with a JZ002 reason; the end of the toewijzing is re-armed. */
TEST(toewijzing_aanpassen_R_MON_10) {
  json_t *c;
  setup();
  c = case_in_zorg();
  refused(c, t("2027-05-03T10:00:00+02:00"), &AB, "toewijzing_aanpassen",
          "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\",\"einddatum\":\"2027-06-30\"}",
          CASUS_EFORBIDDEN, NULL);
  refused(c, t("2027-05-03T10:00:00+02:00"), &PR, "toewijzing_aanpassen",
          "{\"soort\":\"afschaling\",\"einddatum\":\"2027-06-30\"}", CASUS_EINVALID_DATA, "R-MON-10");
  refused(c, t("2027-05-03T10:00:00+02:00"), &PR, "toewijzing_aanpassen",
          "{\"soort\":\"opschaling\",\"reden_wijziging\":\"03\",\"einddatum\":\"2028-06-30\"}",
          CASUS_EGUARD_FAILED, "R-MON-10");
  c = apply(c, t("2027-05-03T10:00:00+02:00"), &PR, "toewijzing_aanpassen",
            "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\",\"einddatum\":\"2027-06-30\"}", 0, NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2027-06-30");
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzing_aanpassing.reden_wijziging"), "04");
  ASSERT(fx_effect("notification", "toewijzing_aangepast", "aanbieder"));
  json_decref(c);
}

/* R-SAFE-1 (DOMAIN 4.2): a Meldcode melding and a calamiteit give the casusregisseur and the lokaal
 * toegangsteam a task at once; a recorded safety risk makes the handover at the start warm (the aanbieder
 * confirms). ALK requires no risicotaxatie at the start: it is recorded when done. */
TEST(safety_R_SAFE_1) {
  json_t *c;
  setup();
  c = create_route1(t("2027-03-22T09:00:00+01:00"), false);
  c = apply(c, t("2027-03-22T10:00:00+01:00"), &PR, "toewijzen", TOEWIJZEN_A, 0, NULL);
  c = apply(c, t("2027-03-22T11:00:00+01:00"), &PR, "risicotaxatie_vastleggen", "{\"uitkomst\":\"risico\"}",
            0, NULL);
  refused(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-SAFE-1");
  c = apply(c, t("2027-03-23T10:00:00+01:00"), &AB, "start_zorg", "{\"warme_overdracht_bevestigd\":true}", 0,
            NULL);
  c = apply(c, t("2027-03-24T10:00:00+01:00"), &AB, "meldcode_melding_doen",
            "{\"gemeld_bij\":\"veilig_thuis\",\"toelichting\":\"signalen\"}", 0, NULL);
  ASSERT(fx_effect("task", "meldcode_melding", "casusregisseur") &&
         fx_effect("task", "meldcode_melding", "procesregisseur"));
  c = apply(c, t("2027-03-25T10:00:00+01:00"), &AB, "calamiteit_melden", "{\"toelichting\":\"incident\"}", 0,
            NULL);
  ASSERT(fx_effect("task", "calamiteit", "procesregisseur"));
  c = apply(c, t("2027-03-26T10:00:00+01:00"), &CR, "veiligheidsmelding_afhandelen",
            "{\"afspraken\":\"plan\"}", 0, NULL);
  ASSERT(fx_effect("close_tasks", "calamiteit", NULL));
  json_decref(c);
  /* without a recorded risk, no risicotaxatie is required at the start in Alkmaar */
  c = case_in_zorg();
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  json_decref(c);
}

#define TEST_LIST(X)                                                \
  X(chart_loads_and_checks_clean)                                   \
  X(every_transition_has_a_rule_and_guards_a_sentence_R_ESC_9)      \
  X(route1_register_and_assign_R_TW_1)                              \
  X(self_referral_refused_R_TW_1)                                   \
  X(legal_referrers_and_routes_R_TW_1)                              \
  X(start_zorg_five_working_days_R_TW_2)                            \
  X(spoed_two_working_days_R_TW_2)                                  \
  X(refusal_and_reassignment_R_TW_3)                                \
  X(casusregisseur_R_TW_5)                                          \
  X(overbrugging_R_TW_6)                                            \
  X(arrangement_limits_R_MON_8)                                     \
  X(toewijzing_aanpassen_R_MON_10)                                  \
  X(safety_R_SAFE_1)                                                \
  X(refusal_until_screening_and_start_in_period_R_TW_3_R_TW_7)      \
  X(answer_terms_and_stop_zorg_R_TW_7)                              \
  X(wijziging_R_MON_5)                                              \
  X(verlenging_R_MON_4)                                             \
  X(toewijzing_ends_and_is_extended_R_MON_9)                        \
  X(casusregisseur_always_assigned_and_only_that_one_acts_R_AUTH_3) \
  X(ladder_in_order_R_ESC_9)                                        \
  X(skipping_a_step_refused_R_ESC_9)                                \
  X(ret_only_by_lokaal_toegangsteam_R_ESC_9)                        \
  X(rung_conditions_R_ESC_9)                                        \
  X(agreement_closes_the_ladder_R_ESC_9)                            \
  X(ret_advice_is_binding_R_ESC_9)                                  \
  X(ret_advice_binds_only_when_the_ret_says_so_R_ESC_9)             \
  X(ret_advice_binds_the_first_toewijzing_R_ESC_9)                  \
  X(wrong_roles_forbidden_and_case_unchanged_R_ESC_9) X(allowed_events_on_the_ladder)

TEST_MAIN(TEST_LIST)
