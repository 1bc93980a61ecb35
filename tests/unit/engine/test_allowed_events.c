/*
 * engine_result_t.allowed_events: engine_case_create and engine_event_apply
 * return, with the new case, the events the acting actor's role may fire on
 * it at ctx->now_s -- exactly what engine_allowed_events returns for that
 * case, role and time -- so that the API renders the case view without
 * evaluating the chart a second time.  On the Rijnmond chart, for several
 * events and roles; a refusal and a fired timer carry none.
 *
 * (The fixture's fx_create and fx_apply check the same equality on every
 * accepted call of the other engine tests; these tests call the engine
 * directly and pin what the lists hold.)
 */
#include <jansson.h>

#include "core/error.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

static engine_chart_t *chart;

static void setup(void) {
  chart = fx_chart("statecharts/jeugdhulp-rijnmond.json");
}

static const engine_actor_t PR = {"pr-1", "procesregisseur", "rotterdam"};
static const engine_actor_t CR = {"cr-1", "casusregisseur", "rotterdam"};
static const engine_actor_t TM = {"tm-1", "teammanager", "rotterdam"};
static const engine_actor_t AB = {"ab-1", "aanbieder", "zorgaanbieder-a"};
static const engine_actor_t CM = {"cm-1", "contractmanager", "rijnmond"};

#define AT(day) fx_t(day "T10:00:00+02:00")

/* Asserts that a is exactly the events of `want` ("a,b,c"; "" for none), in this order. */
static void assert_events(const json_t *a, const char *want) {
  char got[1024] = "", *p = got;
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    p += snprintf(p, sizeof(got) - (size_t)(p - got), "%s%s", i ? "," : "", json_string_value(v));
  }
  ASSERT_STR_EQ(got, want);
}

/* Creates a case (route A by the procesregisseur, route B by the aanbieder); res keeps the result, whose
 * allowed_events must be engine_allowed_events' for the creator's role. */
static json_t *create(const engine_actor_t *a, int64_t now, engine_result_t *res) {
  engine_ctx_t ctx = {chart, &fx_cal, now, NULL, NULL};
  json_t *body =
      json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "verwijzer", a == &AB ? "huisarts" : "gemeente",
                "gemeente", "rotterdam", "casusregisseur", "cr-1", "regie_intensiteit", "midden", "jeugdige",
                "naam", "Sam de Vries", "geboortedatum", "2012-05-01");
  json_t *extra = json_pack("{s:s}", "regio", "rijnmond");
  int rc;
  if (a == &AB) {
    json_object_set_new(body, "aanbieder", json_string("zorgaanbieder-a"));
    json_object_set_new(
        body, "product",
        json_pack("{s:s, s:s, s:s}", "code", "45A01", "begindatum", "2027-03-01", "einddatum", "2027-12-31"));
  }
  rc = engine_case_create(&ctx, "c-allowed", body, extra, a, res);
  json_decref(body);
  json_decref(extra);
  if (rc != 0) fprintf(stderr, "  create by %s: %s\n", a->role, res->message);
  ASSERT_EQ(rc, 0);
  fx_allowed_check(chart, res, a->role, now);
  return json_incref(res->case_);
}

/* Applies event, which must be accepted; res keeps the result, whose allowed_events must be
 * engine_allowed_events' for the actor's role on the new case.  Returns the new case (c is released). */
static json_t *step(json_t *c, int64_t now, const engine_actor_t *a, const char *event, const char *data_json,
                    engine_result_t *res) {
  engine_ctx_t ctx = {chart, &fx_cal, now, NULL, NULL};
  json_t *data = fx_json(data_json);
  int rc = engine_event_apply(&ctx, c, event, data, a, res);
  json_decref(data);
  if (rc != 0) fprintf(stderr, "  %s by %s: %s\n", event, a->role, res->message);
  ASSERT_EQ(rc, 0);
  fx_allowed_check(chart, res, a->role, now);
  json_decref(c);
  return json_incref(res->case_);
}

/* The list of another role on the same case: the result holds the acting role's, not a merge of all. */
static void assert_role_events(const json_t *c, const engine_actor_t *a, int64_t now, const char *want) {
  json_t *ev = engine_allowed_events(chart, c, a->role, now, NULL);
  assert_events(ev, want);
  json_decref(ev);
}

#define TOEWIJZEN                                                                               \
  "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\"," \
  "\"begindatum\":\"2027-03-01\",\"einddatum\":"                                                \
  "\"2027-12-31\"}"
/* R-SAFE-1: the safety events of the whole traject (casusregisseur and procesregisseur also follow them up).
 */
#define SAFE_AB "risicotaxatie_vastleggen,meldcode_melding_doen,calamiteit_melden"
#define SAFE_CR SAFE_AB ",veiligheidsmelding_afhandelen"
#define AANBIEDER_IN_ZORG                                                                      \
  SAFE_AB                                                                                      \
  ",screening_afronden,toewijzing_weigeren,zorg_afsluiten,zorg_beeindigen_door_jeugdige,zorg_" \
  "opschorten,"                                                                                \
  "crisis_melden,"                                                                             \
  "verlenging_aanvragen,wijziging_aanvragen,beeindiging_aankondigen"

/* Both ways of creating a case: each returns its creator's events. */
TEST(create_returns_the_creators_events) {
  engine_result_t res;
  json_t *c;
  setup();
  c = create(&PR, AT("2027-03-31"), &res);
  assert_events(res.allowed_events, "casusregisseur_wijzigen," SAFE_CR ",toewijzen");
  assert_role_events(c, &AB, AT("2027-03-31"), SAFE_AB);
  engine_result_clear(&res);
  json_decref(c);
  /* route B: the aanbieder's request waits for the procesregisseur */
  c = create(&AB, AT("2027-03-31"), &res);
  assert_events(res.allowed_events, SAFE_AB);
  assert_role_events(c, &PR, AT("2027-03-31"),
                     "casusregisseur_wijzigen," SAFE_CR
                     ",toewijzing_toekennen,toewijzing_afwijzen,verzoek_in_onderzoek");
  engine_result_clear(&res);
  json_decref(c);
}

/* A case through toewijzing, care and the escalation ladder up to the contractmanager, and closed: after
 * every event by procesregisseur, aanbieder, casusregisseur, teammanager and contractmanager, the result
 * lists that role's events on the new case. */
TEST(events_return_the_actors_events_on_the_new_case) {
  engine_result_t res;
  json_t *c;
  setup();
  c = create(&PR, AT("2027-03-31"), &res);
  engine_result_clear(&res);
  c = step(c, AT("2027-03-31"), &PR, "toewijzen", TOEWIJZEN, &res);
  /* R-ESC-10: the procesregisseur may open the ladder once the case has an aanbieder */
  assert_events(res.allowed_events, "casusregisseur_wijzigen," SAFE_CR ",stagnatie_melden");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-01"), &AB, "start_zorg", NULL, &res);
  assert_events(res.allowed_events, AANBIEDER_IN_ZORG ",arrangement_betwisten");
  engine_result_clear(&res);
  /* evaluated on the new configuration: the dispute left geen_escalatie (whose transition it is) for the
   * ladder, so there is no second dispute */
  c = step(c, AT("2027-04-01"), &AB, "arrangement_betwisten", "{\"toelichting\":\"te licht arrangement\"}",
           &res);
  assert_events(res.allowed_events, AANBIEDER_IN_ZORG);
  assert_role_events(
      c, &CR, AT("2027-04-01"),
      SAFE_CR
      ",evaluatie_vastleggen,evaluatiefrequentie_vastleggen,overeenstemming_bereiken,feiten_vastleggen");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-05"), &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}",
           &res);
  assert_events(
      res.allowed_events, SAFE_CR
      ",evaluatie_vastleggen,evaluatiefrequentie_vastleggen,overeenstemming_bereiken,intern_afstemmen");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-06"), &CR, "intern_afstemmen", "{\"afstemming\":\"met het CDT\"}", &res);
  assert_events(res.allowed_events, SAFE_CR
                ",evaluatie_vastleggen,evaluatiefrequentie_vastleggen,overeenstemming_bereiken,gesprek_"
                "aanbieder_voeren");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-12"), &CR, "gesprek_aanbieder_voeren",
           "{\"datum\":\"2027-04-12\",\"argumenten\":\"nieuwe argumenten\",\"samenwerkingsafspraken\":"
           "\"wekelijks\",\"evaluatieafspraken\":\"na 6 weken\"}",
           &res);
  assert_events(res.allowed_events, SAFE_CR
                ",evaluatie_vastleggen,evaluatiefrequentie_vastleggen,overeenstemming_bereiken,"
                "vraagverheldering_starten");
  assert_role_events(c, &TM, AT("2027-04-12"), "overeenstemming_bereiken,teammanagers_inschakelen");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-13"), &TM, "teammanagers_inschakelen",
           "{\"teammanager_aanbieder\":\"T. Aanbieder\"}", &res);
  assert_events(res.allowed_events, "overeenstemming_bereiken,contractmanager_inschakelen");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-20"), &TM, "contractmanager_inschakelen",
           "{\"jeugdige_geraadpleegd\":true,\"verschil_van_inzicht\":\"v\"}", &res);
  assert_events(res.allowed_events, "overeenstemming_bereiken");
  assert_role_events(c, &CM, AT("2027-04-20"), "afspraken_vastleggen");
  engine_result_clear(&res);
  c = step(c, AT("2027-04-21"), &CM, "afspraken_vastleggen",
           "{\"acties\":\"a\",\"terugkoppeling_uiterlijk\":\"2027-05-05\"}", &res);
  assert_events(res.allowed_events, "terugkoppeling_geven");
  engine_result_clear(&res);
  /* a closed case: nothing more for anyone */
  c = step(c, AT("2027-06-01"), &AB, "zorg_afsluiten",
           "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}", &res);
  ASSERT(json_is_true(json_object_get(c, "closed")));
  assert_events(res.allowed_events, "");
  engine_result_clear(&res);
  json_decref(c);
}

/* A refused create or event and a fired timer carry no allowed_events. */
TEST(refusals_and_timers_carry_none) {
  engine_ctx_t ctx = {NULL, &fx_cal, 0, NULL, NULL};
  engine_result_t res;
  json_t *c;
  setup();
  ctx.chart = chart;
  ctx.now_s = AT("2027-03-31");
  ASSERT_EQ(engine_case_create(&ctx, "c-refused", NULL, NULL, &CM, &res), CASUS_EFORBIDDEN);
  ASSERT_NULL(res.allowed_events);
  engine_result_clear(&res);
  c = create(&PR, AT("2027-03-31"), &res);
  engine_result_clear(&res);
  ASSERT_EQ(engine_event_apply(&ctx, c, "start_zorg", NULL, &AB, &res), CASUS_ENOT_ALLOWED_IN_STATE);
  ASSERT_NULL(res.allowed_events);
  engine_result_clear(&res);
  ASSERT_EQ(engine_event_apply(&ctx, c, "toewijzen", NULL, &PR, &res), CASUS_EINVALID_DATA);
  ASSERT_NULL(res.allowed_events);
  engine_result_clear(&res);
  c = step(c, AT("2027-03-31"), &PR, "toewijzen", TOEWIJZEN, &res);
  engine_result_clear(&res);
  c = step(c, AT("2027-04-01"), &AB, "start_zorg", NULL, &res);
  engine_result_clear(&res);
  /* a timer has no actor to show the case to */
  ASSERT_NOT_NULL(json_object_get(json_object_get(c, "timers"), "evaluatie_termijn"));
  ctx.now_s = json_integer_value(fx_get(c, "timers.evaluatie_termijn.due_s"));
  ASSERT_EQ(engine_timer_fire(&ctx, c, "evaluatie_termijn", &res), 0);
  ASSERT_NOT_NULL(res.case_);
  ASSERT_NULL(res.allowed_events);
  engine_result_clear(&res);
  json_decref(c);
}

#define TEST_LIST(X)                                 \
  X(create_returns_the_creators_events)              \
  X(events_return_the_actors_events_on_the_new_case) \
  X(refusals_and_timers_carry_none)

TEST_MAIN(TEST_LIST)
