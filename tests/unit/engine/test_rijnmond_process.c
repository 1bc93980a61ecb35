/*
 * The Rijnmond process beyond the toewijzing, on the chart itself
 * (statecharts/jeugdhulp-rijnmond.json) and the Dutch calendar: monitoring
 * (R-MON-1..8), the provider's termination procedure (R-BE-1..11) and the
 * escalation ladder (R-ESC-1..8).  No loop, no store: the clock is an
 * argument and timers are fired with engine_timer_fire at their due time.
 *
 * Every refusal is checked three ways: the error code (403 EFORBIDDEN for a
 * wrong role, 409 ENOT_ALLOWED_IN_STATE or 422 EGUARD_FAILED for a wrong
 * order, 422 EINVALID_DATA for missing data), the rule the refusal names,
 * and that the case is unchanged.
 *
 * Dates: care starts Thursday 1 April 2027 (the day after the toewijzing)
 * with einddatum 31 December 2027 unless a test says otherwise.
 */
#include <jansson.h>

#include "auth/auth.h"
#include "calendar/calendar.h"
#include "core/error.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

static engine_chart_t *chart;

static void setup(void) {
  chart = fx_chart("statecharts/jeugdhulp-rijnmond.json");
}

static int64_t t(const char *rfc3339) {
  return fx_t(rfc3339);
}

static const engine_actor_t PR = {"pr-1", "procesregisseur", "rotterdam"};
static const engine_actor_t CR = {"cr-1", "casusregisseur", "rotterdam"};
static const engine_actor_t TM = {"tm-1", "teammanager", "rotterdam"};
static const engine_actor_t AB = {"ab-1", "aanbieder", "zorgaanbieder-a"};
static const engine_actor_t AM = {"am-1", "aanbieder_manager", "zorgaanbieder-a"};
static const engine_actor_t CM = {"cm-1", "contractmanager", "rijnmond"};
static const engine_actor_t ZBT = {"zbt-1", "zbt", "rijnmond"};

/* --- helpers --- */

static const char *timer_kind(const json_t *c, const char *name) {
  return json_string_value(json_object_get(json_object_get(json_object_get(c, "timers"), name), "kind"));
}

static bool has_timer(const json_t *c, const char *name) {
  return json_object_get(json_object_get(c, "timers"), name) != NULL;
}

/* Fires the case's timer `name` at its due moment; the case must have it. */
static json_t *fire(json_t *c, const char *name) {
  return fx_fire(chart, c, name);
}

#define AT(day) t(day "T10:00:00+02:00")
/* Applies an event that must succeed: c becomes the new case. */
#define OK(c, day, actor, event, data) \
  ((c) = fx_apply(chart, (c), AT(day), (actor), (event), (data), 0, NULL))
/* Applies an event that must be refused with rc (and rule, when not NULL); the case must be unchanged. */
#define NO(c, day, actor, event, data, rc, rule) \
  fx_refused(chart, (c), AT(day), (actor), (event), (data), (rc), (rule))

typedef struct {
  const char *verwijzer;     /* "gemeente" (route A), "gi" (route C), "huisarts" (route B) */
  const char *geboortedatum; /* the jeugdige */
  const char *intensiteit;   /* NULL: none */
  bool opt_out;              /* toestemming_gegevensdeling false */
  const char *einddatum;     /* of the toewijzing; begindatum 2027-04-01 */
  const char *arrangement;   /* NULL: none */
} opts_t;

static const opts_t DEFAULTS = {"gemeente", "2012-05-01", "midden", false, "2027-12-31", NULL};

/* A case assigned on Wed 31 March 2027 (begindatum 1 April 2027), care not started. */
static json_t *toegewezen_with(opts_t o) {
  json_t *body, *c;
  char data[512];
  bool route_b = strcmp(o.verwijzer, "huisarts") == 0;
  body = json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:s}}", "verwijzer", o.verwijzer, "gemeente", "rotterdam",
                   "casusregisseur", "cr-1", "toestemming_gegevensdeling", !o.opt_out, "jeugdige", "naam",
                   "Sam de Vries", "geboortedatum", o.geboortedatum);
  if (o.intensiteit) json_object_set_new(body, "regie_intensiteit", json_string(o.intensiteit));
  if (route_b) {
    json_t *product =
        json_pack("{s:s, s:s, s:s}", "code", "45A01", "begindatum", "2027-04-01", "einddatum", o.einddatum);
    if (o.arrangement) json_object_set_new(product, "arrangement", json_string(o.arrangement));
    json_object_set_new(body, "aanbieder", json_string("zorgaanbieder-a"));
    json_object_set_new(body, "product", product);
  }
  c = fx_create(chart, AT("2027-03-31"), route_b ? &AB : &PR, "c-rijnmond", body, "rijnmond", 0, NULL);
  json_decref(body);
  if (route_b) {
    OK(c, "2027-03-31", &PR, "toewijzing_toekennen", NULL);
  } else {
    snprintf(data, sizeof(data),
             "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
             "\"begindatum\":\"2027-04-01\","
             "\"einddatum\":\"%s\"%s%s%s}",
             o.einddatum, o.arrangement ? ",\"arrangement\":\"" : "", o.arrangement ? o.arrangement : "",
             o.arrangement ? "\"" : "");
    OK(c, "2027-03-31", &PR, "toewijzen", data);
  }
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  return c;
}

/* A case in care: registered and assigned on Wed 31 March 2027, care started Thu 1 April 2027. */
static json_t *in_zorg_with(opts_t o) {
  json_t *c = toegewezen_with(o);
  OK(c, "2027-04-01", &AB, "start_zorg", NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  return c;
}

static json_t *in_zorg(void) {
  return in_zorg_with(DEFAULTS);
}

/* ================================================================== */
/* Monitoring                                                          */
/* ================================================================== */

TEST(chart_is_valid_and_in_zorg_is_parallel) {
  json_t *c;
  setup();
  c = in_zorg();
  /* the lifecycle region comes first: its leaf gives the status */
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(c, "state"), 0)), "zorg_loopt");
  ASSERT(fx_in_state(c, "monitoring"));
  ASSERT(fx_in_state(c, "geen_verlenging"));
  ASSERT(fx_in_state(c, "geen_wijziging"));
  ASSERT(fx_in_state(c, "geen_beeindiging"));
  ASSERT(fx_in_state(c, "geen_escalatie"));
  json_decref(c);
}

/* R-MON-1: first tussenevaluatie 3 months after the start; midden: every 3 months in the first year, then
 * every half year; an adjustment brings a new tussenevaluatie after 3 months. */
TEST(evaluation_schedule_midden_R_MON_1) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  o.einddatum = "2028-12-31";
  c = in_zorg_with(o);
  ASSERT_STR_EQ(fx_str(c, "fields.volgende_evaluatie"), "2027-07-01");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-07-01");
  ASSERT_STR_EQ(timer_kind(c, "evaluatie_termijn"), "evaluatie");
  OK(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-01\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-10-01");
  OK(c, "2027-10-04", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-10-04\",\"uitkomst\":\"bijgesteld\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-01-04");
  /* 1 April 2028 ends the first year of care: from then on every half year */
  OK(c, "2028-03-31", &CR, "evaluatie_vastleggen", "{\"datum\":\"2028-03-31\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-06-30");
  OK(c, "2028-04-03", &CR, "evaluatie_vastleggen", "{\"datum\":\"2028-04-03\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-10-03");
  ASSERT_EQ(json_array_size(json_object_get(json_object_get(c, "fields"), "evaluaties")), 4);
  ASSERT_STR_EQ(fx_str(c, "fields.laatste_evaluatie"), "2028-04-03");
  json_decref(c);
}

/* R-MON-1: intensief: every 6 weeks in the first year, then every 3 months. */
TEST(evaluation_schedule_intensief_R_MON_1) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  o.intensiteit = "intensief";
  o.einddatum = "2028-12-31";
  c = in_zorg_with(o);
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-07-01");
  OK(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-01\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-08-12");
  OK(c, "2027-08-12", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-08-12\",\"uitkomst\":\"bijgesteld\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-11-12");
  OK(c, "2028-03-31", &CR, "evaluatie_vastleggen", "{\"datum\":\"2028-03-31\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-05-12");
  OK(c, "2028-04-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2028-04-01\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-07-01");
  json_decref(c);
}

/* R-MON-1: licht: after a year, then yearly; no intensity recorded counts as licht; the casusregisseur can
 * change the intensity at an evaluation (WF: the intensity can be adjusted at any time). */
TEST(evaluation_schedule_licht_and_change_R_MON_1) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  o.intensiteit = "licht";
  o.einddatum = "2028-12-31";
  c = in_zorg_with(o);
  OK(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-01\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-07-01");
  OK(c, "2027-09-01", &CR, "evaluatie_vastleggen",
     "{\"datum\":\"2027-09-01\",\"uitkomst\":\"ongewijzigd\",\"regie_intensiteit\":\"intensief\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.regie_intensiteit"), "intensief");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-10-13");
  json_decref(c);
  /* DOMAIN 4.1: a case without an intensity or frequency is not silently licht: 3 months, and a task */
  o.intensiteit = NULL;
  c = in_zorg_with(o);
  ASSERT(fx_effect("task", "evaluatiefrequentie_vastleggen", "casusregisseur"));
  ASSERT(fx_effect("task", "evaluatiefrequentie_vastleggen", "procesregisseur"));
  OK(c, "2027-07-02", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-02\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-10-02");
  /* the frequency of the ondersteuningsplan or gezinsplan, recorded by the casusregisseur, wins */
  OK(c, "2027-07-03", &CR, "evaluatiefrequentie_vastleggen",
     "{\"frequentie\":\"6_maanden\",\"bron\":\"gezinsplan\"}");
  ASSERT(fx_effect("close_tasks", "evaluatiefrequentie_vastleggen", NULL));
  ASSERT_STR_EQ(fx_str(c, "fields.evaluatiefrequentie"), "6_maanden");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-01-02");
  OK(c, "2027-12-20", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-12-20\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-06-20");
  /* an adjustment still brings the next one 3 months closer */
  OK(c, "2028-01-10", &CR, "evaluatie_vastleggen", "{\"datum\":\"2028-01-10\",\"uitkomst\":\"bijgesteld\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-04-10");
  json_decref(c);
  /* route C: the JB-team's 6-weekly rhythm, not set per case */
  o.verwijzer = "gi";
  c = in_zorg_with(o);
  ASSERT_STR_EQ(fx_str(c, "fields.evaluatiefrequentie"), "6_weken");
  ASSERT(!fx_effect("task", "evaluatiefrequentie_vastleggen", NULL));
  NO(c, "2027-07-03", &CR, "evaluatiefrequentie_vastleggen",
     "{\"frequentie\":\"6_maanden\",\"bron\":\"gezinsplan\"}", CASUS_EGUARD_FAILED, "R-MON-1");
  json_decref(c);
}

/* R-MON-1 refusals: wrong role, missing or wrong data, an evaluation in the future or before the start. */
TEST(evaluation_refusals_R_MON_1) {
  json_t *c;
  setup();
  c = in_zorg();
  NO(c, "2027-07-01", &AB, "evaluatie_vastleggen", "{\"datum\":\"2027-07-01\",\"uitkomst\":\"ongewijzigd\"}",
     CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-01\"}", CASUS_EINVALID_DATA,
     "R-MON-1");
  NO(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"uitkomst\":\"ongewijzigd\"}", CASUS_EINVALID_DATA,
     "R-MON-1");
  NO(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-01\",\"uitkomst\":\"prima\"}",
     CASUS_EINVALID_DATA, "R-MON-1");
  NO(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-02\",\"uitkomst\":\"ongewijzigd\"}",
     CASUS_EGUARD_FAILED, "R-MON-1");
  NO(c, "2027-07-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-03-30\",\"uitkomst\":\"ongewijzigd\"}",
     CASUS_EGUARD_FAILED, "R-MON-1");
  json_decref(c);
  /* not before care has started */
  {
    engine_ctx_t ctx = {NULL, &fx_cal, AT("2027-03-31"), NULL, NULL};
    engine_result_t res;
    json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam",
                             "jeugdige", "naam", "X", "geboortedatum", "2012-01-01");
    ctx.chart = chart;
    ASSERT_EQ(engine_case_create(&ctx, "c-x", body, NULL, &PR, &res), 0);
    c = json_incref(res.case_);
    engine_result_clear(&res);
    json_decref(body);
    NO(c, "2027-07-01", &CR, "evaluatie_vastleggen",
       "{\"datum\":\"2027-07-01\",\"uitkomst\":\"ongewijzigd\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
    json_decref(c);
  }
}

/* R-MON-2: the end evaluation is due 8 weeks before the einddatum; recording it (not too early) meets it. */
TEST(end_evaluation_8_weeks_before_einddatum_R_MON_2) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  c = in_zorg();
  /* 31 December 2027 - 8 weeks */
  ASSERT_STR_EQ(fx_timer_due(c, "eindevaluatie_termijn"), "2027-11-05");
  ASSERT_STR_EQ(timer_kind(c, "eindevaluatie_termijn"), "eindevaluatie");
  /* 12 weeks before the einddatum is 8 October: earlier is a tussenevaluatie, not the end evaluation */
  NO(c, "2027-10-07", &CR, "evaluatie_vastleggen",
     "{\"datum\":\"2027-10-07\",\"uitkomst\":\"ongewijzigd\",\"soort\":\"eindevaluatie\"}",
     CASUS_EGUARD_FAILED, "R-MON-2");
  NO(c, "2027-10-07", &CR, "evaluatie_vastleggen",
     "{\"datum\":\"2027-10-07\",\"uitkomst\":\"ongewijzigd\",\"soort\":\"slot\"}", CASUS_EINVALID_DATA,
     "R-MON-2");
  OK(c, "2027-11-05", &CR, "evaluatie_vastleggen",
     "{\"datum\":\"2027-11-05\",\"uitkomst\":\"ongewijzigd\",\"soort\":\"eindevaluatie\"}");
  ASSERT(!has_timer(c, "eindevaluatie_termijn"));
  ASSERT_STR_EQ(fx_str(c, "fields.eindevaluatie_datum"), "2027-11-05");
  ASSERT(fx_effect("close_tasks", "eindevaluatie_te_laat", NULL));
  json_decref(c);
  /* a toewijzing with less than 8 weeks left at the start has no end-evaluation deadline */
  o.einddatum = "2027-05-20";
  c = in_zorg_with(o);
  ASSERT(!has_timer(c, "eindevaluatie_termijn"));
  ASSERT(has_timer(c, "evaluatie_termijn"));
  json_decref(c);
}

/* R-MON-3: an evaluation that is due and not recorded becomes overdue: a task for the casusregisseur and
 * a flag; recording it later closes the task and clears the flag. The same for the end evaluation. */
TEST(overdue_evaluations_task_and_flag_R_MON_3) {
  json_t *c;
  setup();
  c = in_zorg();
  c = fire(c, "evaluatie_termijn");
  ASSERT(fx_has_flag(c, "evaluatie_te_laat"));
  ASSERT(fx_effect("task", "evaluatie_te_laat", "casusregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "evaluatie_te_laat"), "R-MON-3");
  ASSERT(!has_timer(c, "evaluatie_termijn"));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  OK(c, "2027-07-06", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-07-05\",\"uitkomst\":\"ongewijzigd\"}");
  ASSERT(!fx_has_flag(c, "evaluatie_te_laat"));
  ASSERT(fx_effect("close_tasks", "evaluatie_te_laat", NULL));
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2027-10-05");
  c = fire(c, "eindevaluatie_termijn");
  ASSERT(fx_has_flag(c, "eindevaluatie_te_laat"));
  ASSERT(fx_effect("task", "eindevaluatie_te_laat", "casusregisseur"));
  OK(c, "2027-11-10", &CR, "evaluatie_vastleggen",
     "{\"datum\":\"2027-11-10\",\"uitkomst\":\"ongewijzigd\",\"soort\":\"eindevaluatie\"}");
  ASSERT(!fx_has_flag(c, "eindevaluatie_te_laat"));
  ASSERT(fx_effect("close_tasks", "eindevaluatie_te_laat", NULL));
  json_decref(c);
}

#define VERLENGING(product, einddatum)                                                  \
  "{\"product\":\"" product                                                             \
  "\",\"reden\":\"doelen deels behaald\",\"aanpassing_behandelplan\":\"meer sessies\"," \
  "\"nieuwe_einddatum\":\"" einddatum "\"}"

/* R-MON-4: the evaluatieformulier for a verlenging is submitted between 12 and 8 weeks before the einddatum
 * (31 December 2027: from 8 October to 5 November inclusive). */
TEST(verlenging_window_R_MON_4) {
  json_t *c;
  setup();
  c = in_zorg();
  NO(c, "2027-10-07", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"), CASUS_EGUARD_FAILED,
     "R-MON-4");
  NO(c, "2027-11-06", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"), CASUS_EGUARD_FAILED,
     "R-MON-4");
  NO(c, "2027-10-08", &PR, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"), CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-10-08", &AB, "verlenging_aanvragen",
     "{\"product\":\"45A01\",\"nieuwe_einddatum\":\"2028-06-30\"}", CASUS_EINVALID_DATA, "R-MON-4");
  NO(c, "2027-10-08", &AB, "verlenging_aanvragen", VERLENGING("45B99", "2028-06-30"), CASUS_EGUARD_FAILED,
     "R-MON-4");
  NO(c, "2027-10-08", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2027-12-31"), CASUS_EGUARD_FAILED,
     "R-MON-4");
  NO(c, "2027-10-08", &PR, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2028-06-30\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  {
    json_t *first_day = json_deep_copy(c);
    OK(first_day, "2027-10-08", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"));
    ASSERT(fx_in_state(first_day, "verlenging_aangevraagd"));
    json_decref(first_day);
  }
  OK(c, "2027-11-05", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"));
  ASSERT(fx_in_state(c, "verlenging_aangevraagd"));
  ASSERT(fx_effect("task", "verlenging_beoordelen", "procesregisseur"));
  NO(c, "2027-11-05", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"),
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
}

/* R-MON-9: the toewijzing ends. The day after the einddatum, without a granted verlenging, the case leaves
 * care (every region of in_zorg): status beeindigd in toewijzing_verlopen, not yet closed; the aanbieder
 * is asked for stop zorg, the procesregisseur to extend or let it end; an unreported stop is overdue 5
 * working days after the einddatum. Stop zorg then records JZ588 31 and closes the case. */
TEST(toewijzing_ends_at_the_einddatum_R_MON_9) {
  json_t *c;
  setup();
  c = in_zorg();
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2027-12-31");
  ASSERT_STR_EQ(timer_kind(c, "einde_toewijzing"), "einde_toewijzing");
  OK(c, "2027-12-31", &AB, "zorg_opschorten",
     "{\"reden\":\"ziekenhuisopname\"}"); /* suspended care ends too */
  c = fire(c, "einde_toewijzing");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(fx_in_state(c, "toewijzing_verlopen"));
  ASSERT(!fx_in_state(c, "in_zorg") && !fx_in_state(c, "opgeschort") && !fx_in_state(c, "monitoring"));
  ASSERT(!json_is_true(json_object_get(c, "closed")));
  ASSERT(fx_has_flag(c, "toewijzing_verlopen"));
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzing_verlopen_op"), "2028-01-01");
  ASSERT(fx_effect("task", "stop_zorg_melden", "aanbieder"));
  ASSERT(fx_effect("task", "toewijzing_verlopen", "procesregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "stop_zorg_melden"), "R-MON-9");
  ASSERT(!has_timer(c, "evaluatie_termijn") && !has_timer(c, "opschorting_termijn"));
  /* Fri 31 December 2027 + 5 working days: (Nieuwjaarsdag Sat 1) Mon 3 .. Fri 7 January 2028 */
  ASSERT_STR_EQ(fx_timer_due(c, "stop_zorg_termijn"), "2028-01-07");
  /* nothing of care any more */
  NO(c, "2028-01-03", &CR, "evaluatie_vastleggen", "{\"datum\":\"2028-01-03\",\"uitkomst\":\"ongewijzigd\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2028-01-03", &AB, "zorg_beeindigen_door_jeugdige", "{\"einddatum_zorg\":\"2027-12-20\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2028-01-03", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"),
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  /* stop zorg: JZ588 31, by the aanbieder, no care after the einddatum */
  NO(c, "2028-01-03", &PR, "zorg_afsluiten", "{}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2028-01-03", &AB, "zorg_afsluiten", "{\"reden_beeindiging\":\"33\"}", CASUS_EINVALID_DATA,
     "R-MON-9");
  NO(c, "2028-01-03", &AB, "zorg_afsluiten", "{\"einddatum_zorg\":\"2028-01-02\"}", CASUS_EGUARD_FAILED,
     "R-MON-9");
  c = fire(c, "stop_zorg_termijn");
  ASSERT(fx_has_flag(c, "stop_zorg_te_laat"));
  ASSERT(fx_effect("task", "stop_zorg_te_laat", "procesregisseur"));
  ASSERT(fx_effect("task", "stop_zorg_te_laat", "aanbieder"));
  OK(c, "2028-01-10", &AB, "zorg_afsluiten", "{\"reden_beeindiging\":\"31\"}");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "31");
  ASSERT_STR_EQ(fx_str(c, "fields.einddatum_zorg"), "2027-12-31");
  ASSERT(fx_has_flag(c, "stop_zorg_te_laat_gemeld"));
  ASSERT(fx_effect("close_tasks", "stop_zorg_melden", NULL));
  ASSERT(fx_effect("close_tasks", "toewijzing_verlopen", NULL));
  json_decref(c);
}

/* R-MON-9: the procesregisseur extends a toewijzing on its own initiative, outside the aanbieder's window,
 * with a reason (toewijzing_verlengen): at any time in care, re-arming the end and the end evaluation; after
 * the einddatum too, which puts the case back into care; never backwards or into the past; only the
 * procesregisseur. A verlenging the aanbieder asked for and the procesregisseur granted re-arms the end as
 * well. */
TEST(procesregisseur_extends_the_toewijzing_R_MON_9) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  c = in_zorg();
  NO(c, "2027-06-01", &AB, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2028-03-31\",\"reden\":\"x\"}",
     CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-01", &CR, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2028-03-31\",\"reden\":\"x\"}",
     CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-01", &PR, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2028-03-31\"}",
     CASUS_EINVALID_DATA, "R-MON-9");
  NO(c, "2027-06-01", &PR, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2027-12-31\",\"reden\":\"x\"}",
     CASUS_EGUARD_FAILED, "R-MON-9");
  OK(c, "2027-06-01", &PR, "toewijzing_verlengen",
     "{\"nieuwe_einddatum\":\"2028-03-31\",\"reden\":\"doelen vragen meer tijd\"}");
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(fx_in_state(c, "geen_verlenging"));
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2028-03-31");
  ASSERT_STR_EQ(fx_str(c, "fields.product.vorige_einddatum"), "2027-12-31");
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzing_verlengd.reden"), "doelen vragen meer tijd");
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzing_verlengd.op"), "2027-06-01");
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2028-03-31");
  ASSERT_STR_EQ(fx_timer_due(c, "eindevaluatie_termijn"), "2028-02-04"); /* 31 March 2028 - 8 weeks */
  ASSERT(fx_effect("notification", "toewijzing_verlengd", "aanbieder"));
  json_decref(c);
  /* expired, then extended: in care again until the nieuwe_einddatum */
  c = in_zorg();
  c = fire(c, "einde_toewijzing");
  NO(c, "2028-01-05", &PR, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2028-01-04\",\"reden\":\"x\"}",
     CASUS_EGUARD_FAILED, "R-MON-9");
  OK(c, "2028-01-05", &PR, "toewijzing_verlengen",
     "{\"nieuwe_einddatum\":\"2028-03-31\",\"reden\":\"alsnog\"}");
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(fx_in_state(c, "zorg_loopt") && fx_in_state(c, "geen_verlenging"));
  ASSERT(!fx_has_flag(c, "toewijzing_verlopen"));
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2028-03-31");
  ASSERT(!has_timer(c, "stop_zorg_termijn"));
  /* the schedule is kept, not restarted: the evaluation that fell due meanwhile (1 July 2027) is due today */
  ASSERT_STR_EQ(fx_str(c, "fields.volgende_evaluatie"), "2028-01-05");
  ASSERT_STR_EQ(fx_timer_due(c, "evaluatie_termijn"), "2028-01-05");
  ASSERT(fx_effect("close_tasks", "stop_zorg_melden", NULL));
  ASSERT(fx_effect("close_tasks", "toewijzing_verlopen", NULL));
  json_decref(c);
  /* R-MON-8: a verlenging of begeleiding is a new toekenning of at most 12 months */
  o.arrangement = "begeleiding_individueel";
  o.einddatum = "2027-09-30";
  c = in_zorg_with(o);
  NO(c, "2027-06-01", &PR, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2028-09-30\",\"reden\":\"x\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  OK(c, "2027-06-01", &PR, "toewijzing_verlengen", "{\"nieuwe_einddatum\":\"2028-09-29\",\"reden\":\"x\"}");
  json_decref(c);
  /* the aanbieder's verlenging (R-MON-4), granted, re-arms the end too */
  c = in_zorg();
  OK(c, "2027-10-11", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"));
  OK(c, "2027-10-12", &PR, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2028-06-30\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2028-06-30");
  json_decref(c);
}

/* R-MON-9: a start reported after the einddatum (for care that began within the toewijzing) records the
 * start but does not put the case in care: it is expired, and stop zorg is due. A start after the einddatum
 * itself is refused. */
TEST(start_after_the_einddatum_is_expired_R_MON_9) {
  json_t *c, *body;
  setup();
  body =
      json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam",
                "casusregisseur", "cr-1", "jeugdige", "naam", "Sam de Vries", "geboortedatum", "2012-05-01");
  c = fx_create(chart, AT("2027-04-01"), &PR, "c-laat", body, "rijnmond", 0, NULL);
  json_decref(body);
  OK(c, "2027-04-01", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
     "\"begindatum\":\"2027-04-01\","
     "\"einddatum\":\"2027-04-30\"}");
  NO(c, "2027-05-03", &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-MON-9");
  NO(c, "2027-05-03", &AB, "start_zorg", "{\"startdatum\":\"2027-05-01\"}", CASUS_EGUARD_FAILED, "R-MON-9");
  OK(c, "2027-05-03", &AB, "start_zorg", "{\"startdatum\":\"2027-04-20\"}");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(fx_in_state(c, "toewijzing_verlopen"));
  ASSERT_STR_EQ(fx_str(c, "fields.startdatum"), "2027-04-20");
  ASSERT(fx_has_flag(c, "start_zorg_te_laat_gemeld") && fx_has_flag(c, "toewijzing_verlopen"));
  ASSERT(fx_effect("task", "stop_zorg_melden", "aanbieder"));
  OK(c, "2027-05-03", &AB, "zorg_afsluiten", "{\"einddatum_zorg\":\"2027-04-30\"}");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  json_decref(c);
}

/* R-MON-4: granted, the einddatum moves and the end evaluation is re-armed from the new date; rejected, the
 * einddatum stays. Route B: the form states whether the parents were asked for consent and gave it. */
TEST(verlenging_granted_rearms_and_rejected_R_MON_4) {
  json_t *c, *r;
  opts_t o = DEFAULTS;
  setup();
  c = in_zorg();
  OK(c, "2027-10-11", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"));
  r = json_deep_copy(c);
  NO(c, "2027-10-12", &AB, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2028-06-30\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-10-12", &PR, "verlenging_toekennen", "{}", CASUS_EINVALID_DATA, "R-MON-4");
  NO(c, "2027-10-12", &PR, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2027-12-01\"}",
     CASUS_EGUARD_FAILED, "R-MON-4");
  OK(c, "2027-10-12", &PR, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2028-06-30\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2028-06-30");
  ASSERT_STR_EQ(fx_str(c, "fields.product.vorige_einddatum"), "2027-12-31");
  /* 30 June 2028 - 8 weeks */
  ASSERT_STR_EQ(fx_timer_due(c, "eindevaluatie_termijn"), "2028-05-05");
  ASSERT(fx_in_state(c, "geen_verlenging"));
  ASSERT(fx_effect("close_tasks", "verlenging_beoordelen", NULL));
  ASSERT(fx_effect("notification", "verlenging_toegekend", "aanbieder"));
  /* the window now follows the new einddatum */
  NO(c, "2027-11-01", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-12-31"), CASUS_EGUARD_FAILED,
     "R-MON-4");
  json_decref(c);
  NO(r, "2027-10-12", &PR, "verlenging_afwijzen", "{}", CASUS_EINVALID_DATA, "R-MON-4");
  OK(r, "2027-10-12", &PR, "verlenging_afwijzen", "{\"reden\":\"doelen behaald\"}");
  ASSERT_STR_EQ(fx_str(r, "fields.product.einddatum"), "2027-12-31");
  ASSERT_STR_EQ(fx_timer_due(r, "eindevaluatie_termijn"), "2027-11-05");
  ASSERT_STR_EQ(fx_str(r, "fields.verlenging.besluit"), "afgewezen");
  /* after a rejection a new request within the window is possible */
  OK(r, "2027-10-13", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-03-31"));
  json_decref(r);
  /* route B (the gemeente is not the verwijzer): the parents' consent must be stated */
  o.verwijzer = "huisarts";
  c = in_zorg_with(o);
  NO(c, "2027-10-11", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-06-30"), CASUS_EGUARD_FAILED,
     "R-MON-4");
  OK(c, "2027-10-11", &AB, "verlenging_aanvragen",
     "{\"product\":\"45A01\",\"reden\":\"r\",\"aanpassing_behandelplan\":\"a\",\"nieuwe_einddatum\":\"2028-"
     "06-30\","
     "\"toestemming_ouders_gevraagd\":true,\"toestemming_ouders\":false}");
  json_decref(c);
}

/* R-MON-5 (and R-TW-7): verzoek om wijziging; the municipality answers within 5 working days, asks for
 * information that the aanbieder delivers within 5 working days, and decides within 8 weeks. */
TEST(wijziging_information_deadline_R_MON_5) {
  json_t *c, *other;
  setup();
  c = in_zorg();
  NO(c, "2027-06-07", &PR, "wijziging_aanvragen", "{\"reden\":\"andere hulpvorm\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-06-07", &AB, "wijziging_aanvragen", "{}", CASUS_EINVALID_DATA, "R-MON-5");
  NO(c, "2027-06-07", &AB, "informatie_aanleveren", "{\"informatie\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE,
     NULL);
  OK(c, "2027-06-07", &AB, "wijziging_aanvragen",
     "{\"reden\":\"andere hulpvorm\",\"gewenst_product\":\"45A02\"}");
  ASSERT(fx_effect("task", "wijziging_beoordelen", "procesregisseur"));
  /* Monday 7 June 2027 + 5 working days */
  ASSERT_STR_EQ(fx_timer_due(c, "wijziging_antwoordtermijn"), "2027-06-14");
  other = json_deep_copy(c);
  other = fire(other, "wijziging_antwoordtermijn");
  ASSERT(fx_has_flag(other, "wijziging_antwoordtermijn_verlopen"));
  ASSERT(fx_effect("task", "wijziging_antwoordtermijn_verlopen", "procesregisseur"));
  json_decref(other);
  NO(c, "2027-06-08", &PR, "informatie_opvragen", "{}", CASUS_EINVALID_DATA, "R-MON-5");
  NO(c, "2027-06-08", &AB, "informatie_opvragen", "{\"vraag\":\"behandelplan\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  OK(c, "2027-06-08", &PR, "informatie_opvragen", "{\"vraag\":\"stuur het behandelplan\"}");
  ASSERT(fx_in_state(c, "wijziging_informatie_gevraagd"));
  ASSERT(!has_timer(c, "wijziging_antwoordtermijn"));
  ASSERT(fx_effect("task", "informatie_aanleveren", "aanbieder"));
  /* Tuesday 8 June + 5 working days; the decision 8 weeks after the verzoek went "in onderzoek" */
  ASSERT_STR_EQ(fx_timer_due(c, "informatietermijn"), "2027-06-15");
  ASSERT_STR_EQ(fx_str(c, "fields.wijziging.informatie_uiterlijk"), "2027-06-15");
  ASSERT_STR_EQ(fx_timer_due(c, "wijziging_beslistermijn"), "2027-08-03");
  c = fire(c, "informatietermijn");
  ASSERT(fx_has_flag(c, "informatie_te_laat"));
  ASSERT(fx_effect("task", "informatietermijn_verlopen", "aanbieder"));
  ASSERT(fx_effect("task", "informatietermijn_verlopen", "procesregisseur"));
  NO(c, "2027-06-17", &AB, "informatie_aanleveren", "{}", CASUS_EINVALID_DATA, "R-MON-5");
  OK(c, "2027-06-17", &AB, "informatie_aanleveren", "{\"informatie\":\"behandelplan v2\"}");
  ASSERT(fx_in_state(c, "wijziging_informatie_ontvangen"));
  ASSERT(fx_effect("close_tasks", "informatie_aanleveren", NULL));
  ASSERT(fx_effect("close_tasks", "informatietermijn_verlopen", NULL));
  ASSERT_STR_EQ(fx_timer_due(c, "wijziging_beslistermijn"), "2027-08-03"); /* still running */
  other = json_deep_copy(c);
  OK(other, "2027-06-18", &PR, "wijziging_afwijzen", "{\"reden\":\"past binnen het arrangement\"}");
  ASSERT(fx_in_state(other, "geen_wijziging"));
  ASSERT_STR_EQ(fx_str(other, "fields.product.code"), "45A01");
  json_decref(other);
  OK(c, "2027-06-18", &PR, "wijziging_toekennen", "{\"product\":\"45A02\"}");
  ASSERT(fx_in_state(c, "geen_wijziging"));
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A02");
  ASSERT_STR_EQ(fx_str(c, "fields.product.vorige_code"), "45A01");
  ASSERT(!has_timer(c, "wijziging_beslistermijn"));
  ASSERT(fx_effect("close_tasks", "wijziging_beoordelen", NULL));
  json_decref(c);
}

/* R-MON-5 / R-TW-7: a verzoek in onderzoek not decided within 8 weeks gives the procesregisseur a task. */
TEST(wijziging_beslistermijn_R_MON_5) {
  json_t *c;
  setup();
  c = in_zorg();
  OK(c, "2027-06-07", &AB, "wijziging_aanvragen", "{\"reden\":\"andere hulpvorm\"}");
  OK(c, "2027-06-08", &PR, "informatie_opvragen", "{\"vraag\":\"stuur het behandelplan\"}");
  OK(c, "2027-06-09", &AB, "informatie_aanleveren", "{\"informatie\":\"behandelplan\"}");
  ASSERT(!has_timer(c, "informatietermijn"));
  OK(c, "2027-06-10", &PR, "informatie_opvragen", "{\"vraag\":\"en de evaluatie\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "informatietermijn"), "2027-06-17");
  c = fire(c, "wijziging_beslistermijn");
  ASSERT(fx_has_flag(c, "wijziging_beslistermijn_verlopen"));
  ASSERT(fx_effect("task", "wijziging_beslistermijn_verlopen", "procesregisseur"));
  json_decref(c);
}

/* R-MON-6: a suspension by the jeugdige may resume within 8 weeks on route A; after that the entitlement
 * lapses and the case ends. */
TEST(suspension_lapses_after_8_weeks_route_a_R_MON_6) {
  json_t *c, *resumed;
  setup();
  c = in_zorg();
  NO(c, "2027-05-03", &CR, "zorg_opschorten", "{\"reden\":\"vakantie\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-03", &AB, "zorg_opschorten", "{}", CASUS_EINVALID_DATA, "R-MON-6");
  NO(c, "2027-05-03", &AB, "zorg_opschorten", "{\"reden\":\"x\",\"datum\":\"2027-05-04\"}",
     CASUS_EGUARD_FAILED, "R-MON-6");
  NO(c, "2027-05-03", &AB, "zorg_hervatten", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  OK(c, "2027-05-03", &AB, "zorg_opschorten", "{\"reden\":\"de jeugdige wil even pauze\"}");
  ASSERT_STR_EQ(fx_status(c), "opgeschort");
  ASSERT(fx_effect("notification", "zorg_opgeschort", "casusregisseur"));
  ASSERT_STR_EQ(fx_timer_due(c, "opschorting_termijn"), "2027-06-28");
  ASSERT_STR_EQ(fx_str(c, "fields.opschorting.hervatten_uiterlijk"), "2027-06-28");
  /* monitoring keeps running during the suspension */
  ASSERT(has_timer(c, "evaluatie_termijn"));
  resumed = json_deep_copy(c);
  OK(resumed, "2027-06-28", &AB, "zorg_hervatten", NULL);
  ASSERT_STR_EQ(fx_status(resumed), "in_zorg");
  ASSERT(!has_timer(resumed, "opschorting_termijn"));
  json_decref(resumed);
  c = fire(c, "opschorting_termijn");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT(fx_has_flag(c, "aanspraak_vervallen"));
  /* R-BE-12: each end records its JZ588 code; RIJ counts the lapse as an end by the jeugdige (32) */
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "32");
  ASSERT_STR_EQ(fx_str(c, "fields.einddatum_zorg"), "2027-05-03");
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  ASSERT(fx_effect("notification", "aanspraak_vervallen", "aanbieder"));
  ASSERT(fx_effect("notification", "aanspraak_vervallen", "casusregisseur"));
  NO(c, "2027-06-29", &AB, "zorg_hervatten", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
}

/* R-MON-6: routes B and C: 2 months (calendar), counted from the date the suspension began. */
TEST(suspension_lapses_after_2_months_routes_b_c_R_MON_6) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  o.verwijzer = "huisarts";
  c = in_zorg_with(o);
  ASSERT_STR_EQ(fx_str(c, "fields.route"), "B");
  OK(c, "2027-05-03", &AB, "zorg_opschorten", "{\"reden\":\"pauze\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "opschorting_termijn"), "2027-07-03");
  c = fire(c, "opschorting_termijn");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  json_decref(c);
  o.verwijzer = "gi";
  c = in_zorg_with(o);
  ASSERT_STR_EQ(fx_str(c, "fields.route"), "C");
  OK(c, "2027-05-03", &AB, "zorg_opschorten", "{\"reden\":\"pauze\",\"datum\":\"2027-04-30\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "opschorting_termijn"), "2027-06-30");
  OK(c, "2027-06-30", &AB, "zorg_hervatten", "{\"toelichting\":\"nieuwe start (JW305)\"}");
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  json_decref(c);
}

/* R-MON-7: when the aanbieder calls in the CIT, the arrangement is paused (status crisis); it resumes once a
 * follow-up plan and the handover exist. */
TEST(crisis_pauses_arrangement_R_MON_7) {
  json_t *c;
  setup();
  c = in_zorg();
  NO(c, "2027-05-03", &AB, "crisis_afronden", "{\"vervolgplan\":\"v\",\"overdracht\":\"o\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-05-03", &CR, "crisis_melden", "{\"toelichting\":\"CIT\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-03", &AB, "crisis_melden", "{}", CASUS_EINVALID_DATA, "R-MON-7");
  OK(c, "2027-05-03", &AB, "crisis_melden", "{\"toelichting\":\"CIT ingeschakeld\"}");
  ASSERT_STR_EQ(fx_status(c), "crisis");
  ASSERT(fx_effect("notification", "crisis_gemeld", "casusregisseur"));
  NO(c, "2027-05-03", &AB, "zorg_opschorten", "{\"reden\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-05-10", &AB, "crisis_afronden", "{\"vervolgplan\":\"v\"}", CASUS_EINVALID_DATA, "R-MON-7");
  OK(c, "2027-05-10", &AB, "crisis_afronden",
     "{\"vervolgplan\":\"vervolg hulpverleningsplan\",\"overdracht\":\"warm\"}");
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_STR_EQ(fx_str(c, "fields.crisis.vervolgplan"), "vervolg hulpverleningsplan");
  json_decref(c);
}

/* R-MON-8: the einddatum is required; a toekenning for begeleiding (and, after the ARR source, behandeling)
 * lasts at most 12 months; other arrangements (dyslexie runs ~18 months) have no such limit. */
TEST(toekenning_at_most_12_months_for_begeleiding_R_MON_8) {
  json_t *c;
  engine_ctx_t ctx = {NULL, &fx_cal, AT("2027-03-31"), NULL, NULL};
  engine_result_t res;
  json_t *body;
  setup();
  ctx.chart = chart;
  body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam", "jeugdige",
                   "naam", "X", "geboortedatum", "2012-01-01");
  ASSERT_EQ(engine_case_create(&ctx, "c-m8", body, NULL, &PR, &res), 0);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  json_decref(body);
  NO(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-"
     "01\"}",
     CASUS_EINVALID_DATA, "R-MON-8");
  NO(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-"
     "01\",\"einddatum\":\"2028-04-01\","
     "\"arrangement\":\"begeleiding_individueel\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  NO(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-"
     "01\",\"einddatum\":\"2028-04-01\","
     "\"arrangement\":\"behandeling_groep\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  NO(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-"
     "01\",\"einddatum\":\"2027-12-31\","
     "\"arrangement\":\"logeren\"}",
     CASUS_EINVALID_DATA, "R-MON-8");
  {
    json_t *d = json_deep_copy(c);
    OK(d, "2027-03-31", &PR, "toewijzen",
       "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"a\",\"product\":\"45D01\",\"begindatum\":\"2027-"
       "04-01\",\"einddatum\":\"2028-10-"
       "01\","
       "\"arrangement\":\"dyslexie_behandeling\"}");
    json_decref(d);
  }
  OK(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-"
     "01\",\"einddatum\":\"2028-03-31\","
     "\"arrangement\":\"begeleiding_groep\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.product.arrangement"), "begeleiding_groep");
  json_decref(c);
  /* route B: the verzoek om toewijzing is checked the same way */
  body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}}", "verwijzer", "huisarts",
                   "gemeente", "rotterdam", "aanbieder", "zorgaanbieder-a", "jeugdige", "naam", "X",
                   "geboortedatum", "2012-01-01", "product", "code", "45A01", "begindatum", "2027-04-01",
                   "einddatum", "2028-05-01", "arrangement", "begeleiding_individueel");
  ASSERT_EQ(engine_case_create(&ctx, "c-m8b", body, NULL, &AB, &res), CASUS_EGUARD_FAILED);
  ASSERT_STR_EQ(res.rule, "R-MON-8");
  engine_result_clear(&res);
  json_object_del(json_object_get(body, "product"), "einddatum");
  ASSERT_EQ(engine_case_create(&ctx, "c-m8b", body, NULL, &AB, &res), CASUS_EINVALID_DATA);
  ASSERT_STR_EQ(res.rule, "R-MON-8");
  engine_result_clear(&res);
  json_decref(body);
}

/* R-MON-8: a verlenging of begeleiding is a new toekenning: at most 12 months past the current einddatum. */
TEST(verlenging_of_begeleiding_at_most_12_months_R_MON_8) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  o.arrangement = "begeleiding_individueel";
  c = in_zorg_with(o);
  OK(c, "2027-10-11", &AB, "verlenging_aanvragen", VERLENGING("45A01", "2028-12-31"));
  NO(c, "2027-10-12", &PR, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2028-12-31\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  OK(c, "2027-10-12", &PR, "verlenging_toekennen", "{\"nieuwe_einddatum\":\"2028-12-30\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2028-12-30");
  json_decref(c);
  /* a wijziging into begeleiding is refused when the running toewijzing is longer than 12 months */
  o.arrangement = NULL;
  o.einddatum = "2028-06-30";
  c = in_zorg_with(o);
  OK(c, "2027-06-07", &AB, "wijziging_aanvragen", "{\"reden\":\"begeleiding past beter\"}");
  NO(c, "2027-06-08", &PR, "wijziging_toekennen", "{\"arrangement\":\"begeleiding_groep\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  OK(c, "2027-06-08", &PR, "wijziging_toekennen", "{\"arrangement\":\"pleegzorg\",\"product\":\"45A03\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.product.arrangement"), "pleegzorg");
  json_decref(c);
}

/* ================================================================== */
/* Termination by the aanbieder                                        */
/* ================================================================== */

#define GESPREK(datum, ouders)                            \
  "{\"datum\":\"" datum "\",\"verslag\":\"verslag-" datum \
  "\",\"afspraken\":\"op tijd komen\",\"ouders_aanwezig\":" ouders "}"
#define WAARSCHUWING(datum) \
  "{\"datum\":\"" datum "\",\"niet_nagekomen_afspraken\":\"op tijd komen\",\"kopie\":\"dossier/w-" datum "\"}"
#define FORMULIER                                                                                        \
  "{\"ondertekend_door\":\"M. de Manager\",\"bijlagen\":{\"gespreksverslagen\":[\"verslag-2027-05-03\"," \
  "\"verslag-2027-05-10\"],\"afspraken\":\"op tijd "                                                     \
  "komen\",\"eerste_waarschuwing\":\"dossier/w-2027-05-17\","                                            \
  "\"tweede_waarschuwing\":\"dossier/w-2027-05-24\"}}"
#define OVERWEGINGEN(d)                                                                         \
  "{\"overwegingen\":{\"a_gedrag_door_aandoening\":\"nee\",\"b_beeindiging_voorkomen\":\"ja\"," \
  "\"c_procedure_gevolgd\":\"ja\"" d "}}"
#define ALLE_OVERWEGINGEN OVERWEGINGEN(",\"d_continuering_geregeld\":\"ja, andere aanbieder\"")

/* Steps 1-6: announced, two talks, two warnings, the form: the case awaits the casusregisseur's decision. */
static json_t *form_submitted(opts_t o) {
  json_t *c = in_zorg_with(o);
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"herhaald geweld\"}");
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "true"));
  OK(c, "2027-05-10", &AB, "gesprek_vastleggen", GESPREK("2027-05-10", "true"));
  OK(c, "2027-05-17", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-17"));
  OK(c, "2027-05-24", &AB, "tweede_waarschuwing_versturen", WAARSCHUWING("2027-05-24"));
  OK(c, "2027-05-25", &AM, "toestemmingsformulier_indienen", FORMULIER);
  return c;
}

/* R-BE-1..8: the full procedure, approved, then the warm handover ends the case (reden 33). */
TEST(termination_approved_then_handover_R_BE_1_to_8) {
  json_t *c, *alt;
  setup();
  c = in_zorg();
  /* R-BE-1: the aanbieder informs the casusregisseur; this opens the procedure */
  NO(c, "2027-04-26", &CR, "beeindiging_aankondigen", "{\"redenen\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{}", CASUS_EINVALID_DATA, "R-BE-1");
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"herhaald geweld\"}");
  ASSERT(fx_in_state(c, "beeindiging_gesprekken"));
  ASSERT(fx_has_flag(c, "beeindiging_loopt"));
  ASSERT(fx_effect("notification", "beeindiging_aangekondigd", "casusregisseur"));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  /* R-BE-2, R-BE-3: two talks, each with date, report and agreements */
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "true"));
  OK(c, "2027-05-10", &AB, "gesprek_vastleggen", GESPREK("2027-05-10", "true"));
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(c, "counters"), "gesprekken")), 2);
  ASSERT_EQ(json_array_size(
                json_object_get(json_object_get(json_object_get(c, "fields"), "beeindiging"), "gesprekken")),
            2);
  ASSERT_STR_EQ(
      json_string_value(json_object_get(
          json_array_get(
              json_object_get(json_object_get(json_object_get(c, "fields"), "beeindiging"), "gesprekken"), 1),
          "verslag")),
      "verslag-2027-05-10");
  /* R-BE-4, R-BE-5 */
  OK(c, "2027-05-17", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-17"));
  ASSERT(fx_in_state(c, "beeindiging_eerste_waarschuwing"));
  OK(c, "2027-05-24", &AB, "tweede_waarschuwing_versturen", WAARSCHUWING("2027-05-24"));
  ASSERT(fx_in_state(c, "beeindiging_tweede_waarschuwing"));
  /* R-BE-6: the form, signed by the manager, a copy to the contractmanager */
  OK(c, "2027-05-25", &AM, "toestemmingsformulier_indienen", FORMULIER);
  ASSERT(fx_in_state(c, "beeindiging_ter_beoordeling"));
  ASSERT(fx_effect("notification", "beeindiging_toestemmingsformulier", "contractmanager"));
  ASSERT_STR_EQ(fx_effect_rule("notification", "beeindiging_toestemmingsformulier"), "R-BE-6");
  ASSERT(fx_effect("task", "beeindiging_beoordelen", "casusregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "beeindiging_beoordelen"), "R-BE-7");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.formulier.ingediend_door"), "am-1");
  /* R-BE-7: the decision records the four considerations */
  OK(c, "2027-05-27", &CR, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN);
  ASSERT(fx_in_state(c, "beeindiging_goedgekeurd"));
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.besluit"), "goedgekeurd");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.overwegingen.d_continuering_geregeld"), "ja, andere aanbieder");
  ASSERT(fx_effect("close_tasks", "beeindiging_beoordelen", NULL));
  ASSERT(fx_effect("notification", "beeindiging_goedgekeurd", "procesregisseur"));
  /* R-BE-8: care continues until the handover */
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(!json_is_true(json_object_get(c, "closed")));
  OK(c, "2027-06-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-06-01\",\"uitkomst\":\"ongewijzigd\"}");
  alt = json_deep_copy(c);
  NO(c, "2027-06-14", &CR, "overdracht_afronden",
     "{\"einddatum_zorg\":\"2027-06-11\",\"overdracht\":\"warm\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-14", &AB, "overdracht_afronden", "{\"einddatum_zorg\":\"2027-06-11\"}", CASUS_EINVALID_DATA,
     "R-BE-8");
  OK(c, "2027-06-14", &AB, "overdracht_afronden",
     "{\"einddatum_zorg\":\"2027-06-11\",\"overdracht\":\"warm overgedragen aan zorgaanbieder-b\"}");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "33");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.uitkomst"), "overgedragen");
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  json_decref(c);
  /* R-BE-8: or the procesregisseur judges that continuing cannot reasonably be asked */
  NO(alt, "2027-06-02", &AB, "voortzetting_niet_verlangen", "{\"motivering\":\"onveilig\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(alt, "2027-06-02", &PR, "voortzetting_niet_verlangen", "{}", CASUS_EINVALID_DATA, "R-BE-8");
  OK(alt, "2027-06-02", &PR, "voortzetting_niet_verlangen", "{\"motivering\":\"onveilig voor medewerkers\"}");
  ASSERT_STR_EQ(fx_status(alt), "beeindigd");
  ASSERT_STR_EQ(fx_str(alt, "fields.einddatum_zorg"), "2027-06-02");
  ASSERT_STR_EQ(fx_str(alt, "fields.beeindiging.uitkomst"), "voortzetting_niet_verlangd");
  json_decref(alt);
}

/* R-BE-1..6 refusals: no step can be skipped; the wrong role and missing data are refused too. */
TEST(termination_steps_cannot_be_skipped_R_BE_2_to_6) {
  json_t *c;
  setup();
  c = in_zorg();
  /* R-BE-1: nothing of the procedure before it is announced */
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "true"), CASUS_ENOT_ALLOWED_IN_STATE,
     NULL);
  NO(c, "2027-05-03", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-03"),
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-05-03", &AM, "toestemmingsformulier_indienen", FORMULIER, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-05-03", &CR, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-05-03", &AB, "overdracht_afronden", "{\"einddatum_zorg\":\"2027-05-03\",\"overdracht\":\"x\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-05-03", &AB, "beeindiging_intrekken", "{\"reden\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"herhaald geweld\"}");
  NO(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"nog eens\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  /* R-BE-3: a talk needs date, report, agreements; not in the future */
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen",
     "{\"datum\":\"2027-05-03\",\"afspraken\":\"a\",\"ouders_aanwezig\":true}", CASUS_EINVALID_DATA,
     "R-BE-3");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen",
     "{\"datum\":\"2027-05-03\",\"verslag\":\"v\",\"ouders_aanwezig\":true}", CASUS_EINVALID_DATA, "R-BE-3");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen",
     "{\"verslag\":\"v\",\"afspraken\":\"a\",\"ouders_aanwezig\":true}", CASUS_EINVALID_DATA, "R-BE-3");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-04", "true"), CASUS_EGUARD_FAILED,
     "R-BE-3");
  NO(c, "2027-05-03", &CR, "gesprek_vastleggen", GESPREK("2027-05-03", "true"), CASUS_EFORBIDDEN, "R-AUTH-1");
  /* R-BE-2: a warning or the form before two talks (API.md: "a form without two talks" is 422) */
  NO(c, "2027-05-03", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-03"), CASUS_EGUARD_FAILED,
     "R-BE-2");
  NO(c, "2027-05-03", &AM, "toestemmingsformulier_indienen", FORMULIER, CASUS_EGUARD_FAILED, "R-BE-2");
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "true"));
  NO(c, "2027-05-03", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-03"), CASUS_EGUARD_FAILED,
     "R-BE-2");
  OK(c, "2027-05-10", &AB, "gesprek_vastleggen", GESPREK("2027-05-10", "true"));
  /* R-BE-5: a second warning before the first (API.md: 422) */
  NO(c, "2027-05-17", &AB, "tweede_waarschuwing_versturen", WAARSCHUWING("2027-05-17"), CASUS_EGUARD_FAILED,
     "R-BE-5");
  /* R-BE-4: the first warning needs what was not kept and the copy in the file */
  NO(c, "2027-05-17", &AB, "eerste_waarschuwing_versturen", "{\"datum\":\"2027-05-17\",\"kopie\":\"k\"}",
     CASUS_EINVALID_DATA, "R-BE-4");
  NO(c, "2027-05-17", &AB, "eerste_waarschuwing_versturen",
     "{\"datum\":\"2027-05-17\",\"niet_nagekomen_afspraken\":\"a\"}", CASUS_EINVALID_DATA, "R-BE-4");
  NO(c, "2027-05-17", &AM, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-17"), CASUS_EFORBIDDEN,
     "R-AUTH-1");
  OK(c, "2027-05-17", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-17"));
  NO(c, "2027-05-18", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-05-18"), CASUS_EGUARD_FAILED,
     "R-BE-4");
  /* R-BE-5: the form needs both warnings */
  NO(c, "2027-05-18", &AM, "toestemmingsformulier_indienen", FORMULIER, CASUS_EGUARD_FAILED, "R-BE-5");
  NO(c, "2027-05-24", &AB, "tweede_waarschuwing_versturen", WAARSCHUWING("2027-05-16"), CASUS_EGUARD_FAILED,
     "R-BE-5");
  OK(c, "2027-05-24", &AB, "tweede_waarschuwing_versturen", WAARSCHUWING("2027-05-24"));
  NO(c, "2027-05-25", &AB, "tweede_waarschuwing_versturen", WAARSCHUWING("2027-05-25"), CASUS_EGUARD_FAILED,
     "R-BE-5");
  /* R-BE-6: only the responsible manager submits the form, with every attachment */
  NO(c, "2027-05-25", &AB, "toestemmingsformulier_indienen", FORMULIER, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-25", &CR, "toestemmingsformulier_indienen", FORMULIER, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-25", &AM, "toestemmingsformulier_indienen", "{\"bijlagen\":{}}", CASUS_EINVALID_DATA,
     "R-BE-6");
  NO(c, "2027-05-25", &AM, "toestemmingsformulier_indienen", "{\"ondertekend_door\":\"M\"}",
     CASUS_EINVALID_DATA, "R-BE-6");
  NO(c, "2027-05-25", &AM, "toestemmingsformulier_indienen",
     "{\"ondertekend_door\":\"M\",\"bijlagen\":{\"gespreksverslagen\":[\"v1\"],\"afspraken\":\"a\","
     "\"eerste_waarschuwing\":\"w1\",\"tweede_waarschuwing\":\"w2\"}}",
     CASUS_EINVALID_DATA, "R-BE-6");
  NO(c, "2027-05-25", &AM, "toestemmingsformulier_indienen",
     "{\"ondertekend_door\":\"M\",\"bijlagen\":{\"gespreksverslagen\":[\"v1\",\"v2\"],\"afspraken\":\"a\","
     "\"eerste_waarschuwing\":\"w1\"}}",
     CASUS_EINVALID_DATA, "R-BE-6");
  NO(c, "2027-05-25", &AM, "toestemmingsformulier_indienen",
     "{\"ondertekend_door\":\"M\",\"bijlagen\":{\"gespreksverslagen\":[\"v1\",\"v2\"],"
     "\"eerste_waarschuwing\":\"w1\",\"tweede_waarschuwing\":\"w2\"}}",
     CASUS_EINVALID_DATA, "R-BE-6");
  OK(c, "2027-05-25", &AM, "toestemmingsformulier_indienen", FORMULIER);
  /* after the form no more talks or warnings; the decision is the casusregisseur's */
  NO(c, "2027-05-26", &AB, "gesprek_vastleggen", GESPREK("2027-05-26", "true"), CASUS_ENOT_ALLOWED_IN_STATE,
     NULL);
  NO(c, "2027-05-26", &AB, "overdracht_afronden", "{\"einddatum_zorg\":\"2027-05-26\",\"overdracht\":\"x\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
}

/* R-BE-2: talks with the jeugdige and the parents/guardian, always when the jeugdige is under 16 (routes A
 * and B); the Rijnmond route C text names only the jeugdige. */
TEST(parents_required_under_16_R_BE_2) {
  json_t *c;
  opts_t o = DEFAULTS;
  setup();
  /* born 2012-05-01: under 16 until 2028-05-01 */
  c = in_zorg();
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"r\"}");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "false"), CASUS_EGUARD_FAILED,
     "R-BE-2");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen",
     "{\"datum\":\"2027-05-03\",\"verslag\":\"v\",\"afspraken\":\"a\"}", CASUS_EINVALID_DATA, "R-BE-2");
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "true"));
  json_decref(c);
  /* 16 on the day of the talk: the parents need not be there */
  o.geboortedatum = "2011-05-03";
  c = in_zorg_with(o);
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"r\"}");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-02", "false"), CASUS_EGUARD_FAILED,
     "R-BE-2");
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "false"));
  json_decref(c);
  /* route B follows the same rule */
  o = DEFAULTS;
  o.verwijzer = "huisarts";
  c = in_zorg_with(o);
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"r\"}");
  NO(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "false"), CASUS_EGUARD_FAILED,
     "R-BE-2");
  json_decref(c);
  /* route C (GI): the source names talks with the jeugdige only */
  o.verwijzer = "gi";
  c = in_zorg_with(o);
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"r\"}");
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "false"));
  json_decref(c);
}

/* R-BE-7: all four considerations are required for either decision, only the casusregisseur decides;
 * R-BE-10: a rejection returns the case to normal care, recorded; the procedure can start again. */
TEST(termination_rejected_returns_to_normal_care_R_BE_7_R_BE_10) {
  json_t *c;
  setup();
  c = form_submitted(DEFAULTS);
  NO(c, "2027-05-27", &CR, "beeindiging_goedkeuren", OVERWEGINGEN(""), CASUS_EINVALID_DATA, "R-BE-7");
  NO(c, "2027-05-27", &CR, "beeindiging_afwijzen", OVERWEGINGEN(""), CASUS_EINVALID_DATA, "R-BE-7");
  NO(c, "2027-05-27", &CR, "beeindiging_goedkeuren", "{}", CASUS_EINVALID_DATA, "R-BE-7");
  NO(c, "2027-05-27", &CR, "beeindiging_goedkeuren",
     "{\"overwegingen\":{\"a_gedrag_door_aandoening\":\"nee\",\"b_beeindiging_voorkomen\":\"ja\","
     "\"c_procedure_gevolgd\":\"\",\"d_continuering_geregeld\":\"ja\"}}",
     CASUS_EINVALID_DATA, "R-BE-7");
  NO(c, "2027-05-27", &AB, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-27", &PR, "beeindiging_afwijzen", ALLE_OVERWEGINGEN, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-27", &CM, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN, CASUS_EFORBIDDEN, "R-AUTH-1");
  OK(c, "2027-05-27", &CR, "beeindiging_afwijzen", ALLE_OVERWEGINGEN);
  ASSERT(fx_in_state(c, "geen_beeindiging"));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.besluit"), "afgewezen");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.overwegingen.a_gedrag_door_aandoening"), "nee");
  ASSERT(!fx_has_flag(c, "beeindiging_loopt"));
  ASSERT(fx_effect("close_tasks", "beeindiging_beoordelen", NULL));
  ASSERT(fx_effect("notification", "beeindiging_afgewezen", "aanbieder"));
  ASSERT_STR_EQ(fx_effect_rule("notification", "beeindiging_afgewezen"), "R-BE-10");
  NO(c, "2027-05-28", &AB, "overdracht_afronden", "{\"einddatum_zorg\":\"2027-05-28\",\"overdracht\":\"x\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  /* a new procedure starts from the beginning: the earlier talks do not count */
  OK(c, "2027-06-01", &AB, "beeindiging_aankondigen", "{\"redenen\":\"opnieuw\"}");
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(c, "counters"), "gesprekken")), 0);
  NO(c, "2027-06-01", &AB, "eerste_waarschuwing_versturen", WAARSCHUWING("2027-06-01"), CASUS_EGUARD_FAILED,
     "R-BE-2");
  json_decref(c);
}

/* R-BE-10: the aanbieder may withdraw at any step; only the aanbieder; it is recorded. */
TEST(termination_withdrawn_at_any_step_R_BE_10) {
  json_t *c;
  setup();
  /* during the talks */
  c = in_zorg();
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"r\"}");
  OK(c, "2027-05-03", &AB, "gesprek_vastleggen", GESPREK("2027-05-03", "true"));
  NO(c, "2027-05-04", &AB, "beeindiging_intrekken", "{}", CASUS_EINVALID_DATA, "R-BE-10");
  NO(c, "2027-05-04", &CR, "beeindiging_intrekken", "{\"reden\":\"x\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  OK(c, "2027-05-04", &AB, "beeindiging_intrekken", "{\"reden\":\"afspraken worden nagekomen\"}");
  ASSERT(fx_in_state(c, "geen_beeindiging"));
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.uitkomst"), "ingetrokken");
  ASSERT(!fx_has_flag(c, "beeindiging_loopt"));
  ASSERT(fx_effect("notification", "beeindiging_ingetrokken", "casusregisseur"));
  json_decref(c);
  /* with the form under review: the casusregisseur's task closes */
  c = form_submitted(DEFAULTS);
  OK(c, "2027-05-26", &AB, "beeindiging_intrekken", "{\"reden\":\"toch niet\"}");
  ASSERT(fx_in_state(c, "geen_beeindiging"));
  ASSERT(fx_effect("close_tasks", "beeindiging_beoordelen", NULL));
  NO(c, "2027-05-27", &CR, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
  /* after approval, while care continues */
  c = form_submitted(DEFAULTS);
  OK(c, "2027-05-27", &CR, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN);
  OK(c, "2027-06-01", &AB, "beeindiging_intrekken", "{\"reden\":\"het gaat weer goed\"}");
  ASSERT(fx_in_state(c, "geen_beeindiging"));
  ASSERT(!fx_has_flag(c, "beeindiging_goedgekeurd"));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  json_decref(c);
}

/* R-BE-9: with opt-out (no consent to share data with the municipality) the request is presented
 * anonymised: the casusregisseur and the contractmanager get the anonymised view; the aanbieder keeps
 * the identity. */
TEST(opt_out_presented_anonymised_R_BE_9) {
  json_t *c;
  opts_t o = DEFAULTS;
  auth_actor_t cr = {"cr-1", "casusregisseur", "rotterdam", {0}, {0}, false};
  auth_actor_t cm = {"cm-1", "contractmanager", "rijnmond", {0}, {0}, false};
  auth_actor_t ab = {"ab-1", "aanbieder", "zorgaanbieder-a", {0}, {0}, false};
  setup();
  o.opt_out = true;
  c = form_submitted(o);
  ASSERT(fx_has_flag(c, "beeindiging_geanonimiseerd"));
  ASSERT_STR_EQ(fx_effect_rule("task", "beeindiging_beoordelen"), "R-BE-9");
  ASSERT(auth_case_anonymised(chart, &cr, c));
  ASSERT(auth_case_anonymised(chart, &cm, c));
  ASSERT(!auth_case_anonymised(chart, &ab, c));
  json_decref(c);
  /* with consent the casusregisseur sees the identity; the contractmanager never does (R-PRIV-1) */
  c = form_submitted(DEFAULTS);
  ASSERT(!fx_has_flag(c, "beeindiging_geanonimiseerd"));
  ASSERT(!auth_case_anonymised(chart, &cr, c));
  ASSERT(auth_case_anonymised(chart, &cm, c));
  json_decref(c);
}

/* R-BE-11: termination by the jeugdige stops the arrangement; the aanbieder informs the lokaal team. */
TEST(termination_by_jeugdige_R_BE_11) {
  json_t *c;
  setup();
  c = in_zorg();
  NO(c, "2027-06-01", &CR, "zorg_beeindigen_door_jeugdige", "{\"einddatum_zorg\":\"2027-05-31\"}",
     CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-01", &AB, "zorg_beeindigen_door_jeugdige", "{}", CASUS_EINVALID_DATA, "R-BE-11");
  NO(c, "2027-06-01", &AB, "zorg_beeindigen_door_jeugdige", "{\"einddatum_zorg\":\"2027-06-02\"}",
     CASUS_EGUARD_FAILED, "R-TW-7");
  OK(c, "2027-06-01", &AB, "zorg_opschorten", "{\"reden\":\"twijfel\"}");
  OK(c, "2027-06-08", &AB, "zorg_beeindigen_door_jeugdige", "{\"einddatum_zorg\":\"2027-06-07\"}");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "32");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindigd_door"), "jeugdige");
  ASSERT(fx_effect("notification", "zorg_beeindigd_door_jeugdige", "casusregisseur"));
  ASSERT(fx_effect("notification", "zorg_beeindigd_door_jeugdige", "procesregisseur"));
  ASSERT_EQ(json_object_size(json_object_get(c, "timers")), 0);
  json_decref(c);
}

/* R-BE-12 (and R-TW-7): no bypass. Outside a termination procedure zorg_afsluiten records its JZ588 code,
 * but an early end "door de aanbieder" (33) is refused: it exists only as the outcome of an approved
 * procedure (overdracht_afronden). While the procedure is open, and after its approval until the
 * handover, the aanbieder cannot end the case another way: no regular end (31), no other code, no end by
 * the jeugdige of its own (it is reported and the casusregisseur confirms it), no suspension whose lapse
 * would end it. After a withdrawal the regular end is possible again. */
TEST(no_bypass_of_the_termination_procedure_R_BE_12) {
  json_t *c, *alt;
  static const engine_actor_t CR2 = {"cr-2", "casusregisseur", "rotterdam"};
  setup();
  /* outside the procedure: 33 refused, 31 accepted */
  c = in_zorg();
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"33\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"99\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EINVALID_DATA, "R-TW-7");
  NO(c, "2027-06-01", &AB, "einde_door_jeugdige_melden",
     "{\"einddatum_zorg\":\"2027-06-01\",\"toelichting\":\"t\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  alt = json_deep_copy(c);
  OK(alt, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}");
  ASSERT_STR_EQ(fx_status(alt), "beeindigd");
  ASSERT_STR_EQ(fx_str(alt, "fields.reden_beeindiging"), "31");
  json_decref(alt);
  /* a suspended case: no procedure is announced (its lapse would end the case during it) */
  alt = json_deep_copy(c);
  OK(alt, "2027-05-03", &AB, "zorg_opschorten", "{\"reden\":\"pauze\"}");
  NO(alt, "2027-05-04", &AB, "beeindiging_aankondigen", "{\"redenen\":\"x\"}", CASUS_EGUARD_FAILED,
     "R-BE-12");
  json_decref(alt);
  /* the procedure is open: every other end is refused with the rule */
  OK(c, "2027-04-26", &AB, "beeindiging_aankondigen", "{\"redenen\":\"herhaald geweld\"}");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"33\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"34\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_beeindigen_door_jeugdige", "{\"einddatum_zorg\":\"2027-06-01\"}",
     CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_opschorten", "{\"reden\":\"pauze\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  /* the end by the jeugdige: reported by the aanbieder, confirmed (or not) by the assigned casusregisseur */
  NO(c, "2027-06-01", &CR, "einde_door_jeugdige_bevestigen", NULL, CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &CR, "einde_door_jeugdige_melden",
     "{\"einddatum_zorg\":\"2027-06-01\",\"toelichting\":\"t\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-01", &AB, "einde_door_jeugdige_melden",
     "{\"einddatum_zorg\":\"2027-06-02\",\"toelichting\":\"t\"}", CASUS_EGUARD_FAILED, "R-TW-7");
  OK(c, "2027-06-01", &AB, "einde_door_jeugdige_melden",
     "{\"einddatum_zorg\":\"2027-05-31\",\"toelichting\":\"de jeugdige komt niet meer\"}");
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(fx_has_flag(c, "einde_door_jeugdige_gemeld"));
  ASSERT(fx_effect("task", "einde_door_jeugdige_bevestigen", "casusregisseur"));
  NO(c, "2027-06-01", &AB, "einde_door_jeugdige_melden",
     "{\"einddatum_zorg\":\"2027-05-31\",\"toelichting\":\"t\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-02", &AB, "einde_door_jeugdige_bevestigen", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-02", &CR2, "einde_door_jeugdige_bevestigen", NULL, CASUS_EGUARD_FAILED, "R-AUTH-3");
  alt = json_deep_copy(c);
  OK(alt, "2027-06-02", &CR, "einde_door_jeugdige_niet_bevestigen", "{\"reden\":\"de jeugdige komt wel\"}");
  ASSERT(!fx_has_flag(alt, "einde_door_jeugdige_gemeld"));
  ASSERT(fx_in_state(alt, "beeindiging_gesprekken"));
  ASSERT(fx_effect("close_tasks", "einde_door_jeugdige_bevestigen", NULL));
  ASSERT_STR_EQ(fx_str(alt, "fields.beeindiging.einde_door_jeugdige.besluit"), "niet_bevestigd");
  NO(alt, "2027-06-02", &CR, "einde_door_jeugdige_bevestigen", NULL, CASUS_EGUARD_FAILED, "R-BE-12");
  /* withdrawn: the procedure is no longer open and the regular end is possible again */
  OK(alt, "2027-06-03", &AB, "beeindiging_intrekken", "{\"reden\":\"het gaat beter\"}");
  OK(alt, "2027-06-03", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-03\"}");
  ASSERT_STR_EQ(fx_status(alt), "beeindigd");
  json_decref(alt);
  OK(c, "2027-06-02", &CR, "einde_door_jeugdige_bevestigen", "{\"toelichting\":\"bevestigd met de ouders\"}");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  ASSERT(json_is_true(json_object_get(c, "closed")));
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "32");
  ASSERT_STR_EQ(fx_str(c, "fields.einddatum_zorg"), "2027-05-31");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindigd_door"), "jeugdige");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.uitkomst"), "beeindigd_door_jeugdige");
  ASSERT_STR_EQ(fx_str(c, "fields.beeindiging.einde_door_jeugdige.bevestigd_door"), "cr-1");
  ASSERT(!fx_has_flag(c, "einde_door_jeugdige_gemeld"));
  ASSERT(fx_effect("notification", "zorg_beeindigd_door_jeugdige", "procesregisseur"));
  json_decref(c);
  /* approved, until the handover: still no other end; the handover records 33 */
  c = form_submitted(DEFAULTS);
  OK(c, "2027-05-27", &CR, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN);
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"33\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-06-01\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  NO(c, "2027-06-01", &AB, "zorg_beeindigen_door_jeugdige", "{\"einddatum_zorg\":\"2027-06-01\"}",
     CASUS_EGUARD_FAILED, "R-BE-12");
  OK(c, "2027-06-01", &AB, "overdracht_afronden",
     "{\"einddatum_zorg\":\"2027-06-01\",\"overdracht\":\"warme overdracht aan aanbieder B\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), "33");
  json_decref(c);
}

/* ================================================================== */
/* Escalation ladder                                                   */
/* ================================================================== */

#define GESPREK_AANBIEDER                                                                                    \
  "{\"datum\":\"2027-04-12\",\"argumenten\":\"nieuwe argumenten\",\"samenwerkingsafspraken\":\"wekelijks\"," \
  "\"evaluatieafspraken\":\"na 6 weken\"}"

/* A dispute opened on the day of the toewijzing (R-TW-4); the case is in care. */
static json_t *ladder_open(void) {
  json_t *c = in_zorg();
  OK(c, "2027-04-01", &AB, "arrangement_betwisten", "{\"toelichting\":\"te licht arrangement\"}");
  ASSERT(fx_in_state(c, "ladder"));
  return c;
}

/* Steps 1-3 done: the ladder waits for step 4 (optional) or 5. */
static json_t *ladder_after_talk(void) {
  json_t *c = ladder_open();
  OK(c, "2027-04-05", &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}");
  OK(c, "2027-04-06", &CR, "intern_afstemmen", "{\"afstemming\":\"met het CDT\"}");
  OK(c, "2027-04-12", &CR, "gesprek_aanbieder_voeren", GESPREK_AANBIEDER);
  return c;
}

/* R-ESC-1..7: the whole ladder in order, with the optional vraagverheldering, up to the contractmanager;
 * the missed feedback date gives the teammanager a task; feedback and informing the jeugdige close it. */
TEST(ladder_up_to_contractmanager_and_missed_feedback_R_ESC_1_to_7) {
  json_t *c;
  setup();
  c = ladder_open();
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.aanleiding"), "betwisting");
  /* R-ESC-1 */
  NO(c, "2027-04-05", &AB, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}",
     CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-04-05", &CR, "feiten_vastleggen", "{\"feiten\":\"f\"}", CASUS_EINVALID_DATA, "R-ESC-1");
  OK(c, "2027-04-05", &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}");
  ASSERT(fx_in_state(c, "ladder_intern_afstemmen"));
  /* R-ESC-2 */
  NO(c, "2027-04-06", &CR, "intern_afstemmen", "{}", CASUS_EINVALID_DATA, "R-ESC-2");
  OK(c, "2027-04-06", &CR, "intern_afstemmen",
     "{\"afstemming\":\"met het CDT\",\"expertise_betrokken\":true}");
  ASSERT(fx_in_state(c, "ladder_gesprek_aanbieder"));
  /* R-ESC-3: the conversation records cooperation and evaluation agreements */
  NO(c, "2027-04-12", &CR, "gesprek_aanbieder_voeren",
     "{\"datum\":\"2027-04-12\",\"argumenten\":\"a\",\"samenwerkingsafspraken\":\"s\"}", CASUS_EINVALID_DATA,
     "R-ESC-3");
  NO(c, "2027-04-11", &CR, "gesprek_aanbieder_voeren", GESPREK_AANBIEDER, CASUS_EGUARD_FAILED, "R-ESC-3");
  OK(c, "2027-04-12", &CR, "gesprek_aanbieder_voeren", GESPREK_AANBIEDER);
  ASSERT(fx_in_state(c, "ladder_na_gesprek"));
  ASSERT(fx_effect("notification", "escalatie_teammanager", "teammanager"));
  /* R-ESC-4: a bounded period of vraagverheldering: a deadline */
  NO(c, "2027-04-13", &CR, "vraagverheldering_starten", "{\"opdracht\":\"o\"}", CASUS_EINVALID_DATA,
     "R-ESC-4");
  NO(c, "2027-04-13", &CR, "vraagverheldering_starten", "{\"opdracht\":\"o\",\"tot\":\"2027-04-13\"}",
     CASUS_EGUARD_FAILED, "R-ESC-4");
  OK(c, "2027-04-13", &CR, "vraagverheldering_starten",
     "{\"opdracht\":\"diagnostiek\",\"tot\":\"2027-05-11\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "vraagverheldering_termijn"), "2027-05-11");
  ASSERT_STR_EQ(timer_kind(c, "vraagverheldering_termijn"), "vraagverheldering");
  NO(c, "2027-04-14", &TM, "teammanagers_inschakelen", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  c = fire(c, "vraagverheldering_termijn");
  ASSERT(fx_has_flag(c, "vraagverheldering_verlopen"));
  ASSERT(fx_effect("task", "vraagverheldering_verlopen", "casusregisseur"));
  NO(c, "2027-05-12", &CR, "vraagverheldering_afronden",
     "{\"bevindingen\":\"b\",\"besluit_arrangement\":\"zwaarder\",\"in_overleg_met_jeugdige\":false}",
     CASUS_EGUARD_FAILED, "R-ESC-4");
  OK(c, "2027-05-12", &CR, "vraagverheldering_afronden",
     "{\"bevindingen\":\"b\",\"besluit_arrangement\":\"zwaarder\",\"in_overleg_met_jeugdige\":true}");
  ASSERT(fx_in_state(c, "ladder_na_vraagverheldering"));
  ASSERT(!has_timer(c, "vraagverheldering_termijn"));
  ASSERT(fx_effect("close_tasks", "vraagverheldering_verlopen", NULL));
  /* R-ESC-5: the teammanager contacts the provider's teammanager */
  NO(c, "2027-05-13", &CR, "teammanagers_inschakelen", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-13", &TM, "contractmanager_inschakelen",
     "{\"jeugdige_geraadpleegd\":true,\"verschil_van_inzicht\":\"v\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  OK(c, "2027-05-13", &TM, "teammanagers_inschakelen", "{\"teammanager_aanbieder\":\"T. Aanbieder\"}");
  ASSERT(fx_in_state(c, "ladder_teammanagers"));
  ASSERT(fx_effect("notification", "escalatie_teammanagers", "aanbieder_manager"));
  /* R-ESC-6: to the contractmanager, only by the teammanager, only after consulting the jeugdige */
  NO(c, "2027-05-20", &CR, "contractmanager_inschakelen",
     "{\"jeugdige_geraadpleegd\":true,\"verschil_van_inzicht\":\"v\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-20", &TM, "contractmanager_inschakelen", "{\"jeugdige_geraadpleegd\":true}",
     CASUS_EINVALID_DATA, "R-ESC-6");
  NO(c, "2027-05-20", &TM, "contractmanager_inschakelen", "{\"verschil_van_inzicht\":\"v\"}",
     CASUS_EINVALID_DATA, "R-ESC-6");
  NO(c, "2027-05-20", &TM, "contractmanager_inschakelen",
     "{\"jeugdige_geraadpleegd\":false,\"verschil_van_inzicht\":\"v\"}", CASUS_EGUARD_FAILED, "R-ESC-6");
  OK(c, "2027-05-20", &TM, "contractmanager_inschakelen",
     "{\"jeugdige_geraadpleegd\":true,\"verschil_van_inzicht\":\"zwaarte van het arrangement\"}");
  ASSERT(fx_in_state(c, "ladder_contractmanager"));
  /* the consultation of the jeugdige is recorded on the case */
  ASSERT(json_is_true(
      json_object_get(json_object_get(json_object_get(c, "fields"), "escalatie"), "jeugdige_geraadpleegd")));
  ASSERT(fx_effect("notification", "escalatie_contractmanager", "contractmanager"));
  ASSERT_STR_EQ(fx_effect_rule("notification", "escalatie_contractmanager"), "R-ESC-6");
  NO(c, "2027-05-24", &TM, "afspraken_vastleggen",
     "{\"acties\":\"a\",\"terugkoppeling_uiterlijk\":\"2027-06-07\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-24", &CM, "afspraken_vastleggen", "{\"acties\":\"a\"}", CASUS_EINVALID_DATA, "R-ESC-6");
  NO(c, "2027-05-24", &CM, "afspraken_vastleggen",
     "{\"acties\":\"a\",\"terugkoppeling_uiterlijk\":\"2027-05-23\"}", CASUS_EGUARD_FAILED, "R-ESC-6");
  NO(c, "2027-05-24", &CM, "terugkoppeling_geven", "{\"terugkoppeling\":\"t\"}", CASUS_ENOT_ALLOWED_IN_STATE,
     NULL);
  OK(c, "2027-05-24", &CM, "afspraken_vastleggen",
     "{\"acties\":\"gesprek met de aanbieder\",\"terugkoppeling_uiterlijk\":\"2027-06-07\"}");
  ASSERT(fx_in_state(c, "ladder_terugkoppeling"));
  ASSERT_STR_EQ(fx_timer_due(c, "terugkoppeling_termijn"), "2027-06-07");
  ASSERT_STR_EQ(timer_kind(c, "terugkoppeling_termijn"), "terugkoppeling_contractmanager");
  ASSERT_EQ(json_integer_value(json_object_get(
                json_object_get(json_object_get(c, "timers"), "terugkoppeling_termijn"), "due_s")),
            t("2027-06-08T00:00:00+02:00"));
  /* the feedback date passes: the teammanager gets a task */
  c = fire(c, "terugkoppeling_termijn");
  ASSERT(fx_has_flag(c, "terugkoppeling_verlopen"));
  ASSERT(fx_effect("task", "terugkoppeling_verlopen", "teammanager"));
  ASSERT_STR_EQ(fx_effect_rule("task", "terugkoppeling_verlopen"), "R-ESC-6");
  ASSERT(fx_in_state(c, "ladder_terugkoppeling"));
  NO(c, "2027-06-09", &CM, "terugkoppeling_geven", "{}", CASUS_EINVALID_DATA, "R-ESC-6");
  OK(c, "2027-06-09", &CM, "terugkoppeling_geven", "{\"terugkoppeling\":\"aanbieder past het plan aan\"}");
  ASSERT(fx_effect("close_tasks", "terugkoppeling_verlopen", NULL));
  ASSERT(fx_in_state(c, "ladder_jeugdige_informeren"));
  /* R-ESC-7: the lokaal team informs the jeugdige, with bridging care if needed; the ladder closes */
  NO(c, "2027-06-10", &TM, "jeugdige_informeren", "{\"toelichting\":\"t\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-06-10", &CR, "jeugdige_informeren", "{}", CASUS_EINVALID_DATA, "R-ESC-7");
  OK(c, "2027-06-10", &CR, "jeugdige_informeren", "{\"toelichting\":\"gebeld\",\"overbrugging\":true}");
  ASSERT(fx_in_state(c, "geen_escalatie"));
  ASSERT(fx_has_flag(c, "escalatie_overbrugging"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.uitkomst"), "afgerond");
  ASSERT(fx_effect("close_tasks", "arrangement_betwist", NULL));
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  json_decref(c);
}

/* R-ESC-1..5: steps in order; step 4 is optional (step 5 directly after step 3). */
TEST(ladder_steps_in_order_step_4_optional_R_ESC_1_to_5) {
  json_t *c;
  setup();
  c = ladder_open();
  NO(c, "2027-04-05", &CR, "intern_afstemmen", "{\"afstemming\":\"a\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &CR, "gesprek_aanbieder_voeren", GESPREK_AANBIEDER, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &CR, "vraagverheldering_starten", "{\"opdracht\":\"o\",\"tot\":\"2027-05-01\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &TM, "teammanagers_inschakelen", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &TM, "contractmanager_inschakelen",
     "{\"jeugdige_geraadpleegd\":true,\"verschil_van_inzicht\":\"v\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &CM, "afspraken_vastleggen",
     "{\"acties\":\"a\",\"terugkoppeling_uiterlijk\":\"2027-06-07\"}", CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &CR, "jeugdige_informeren", "{\"toelichting\":\"t\"}", CASUS_ENOT_ALLOWED_IN_STATE,
     NULL);
  OK(c, "2027-04-05", &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}");
  NO(c, "2027-04-05", &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  NO(c, "2027-04-05", &CR, "gesprek_aanbieder_voeren", GESPREK_AANBIEDER, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
  c = ladder_after_talk();
  NO(c, "2027-04-13", &CR, "vraagverheldering_afronden",
     "{\"bevindingen\":\"b\",\"besluit_arrangement\":\"a\",\"in_overleg_met_jeugdige\":true}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  OK(c, "2027-04-13", &TM, "teammanagers_inschakelen", NULL);
  ASSERT(fx_in_state(c, "ladder_teammanagers"));
  NO(c, "2027-04-13", &CR, "vraagverheldering_starten", "{\"opdracht\":\"o\",\"tot\":\"2027-05-01\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);
}

/* R-TW-4 / DOMAIN 2.4: agreement (overeenstemming_bereiken, casusregisseur or teammanager) closes the
 * ladder at any step, with its deadlines and tasks; the aanbieder and the contractmanager cannot. */
TEST(agreement_closes_the_ladder_at_any_step_R_TW_4) {
  json_t *c;
  setup();
  c = ladder_after_talk();
  OK(c, "2027-04-13", &TM, "teammanagers_inschakelen", NULL);
  OK(c, "2027-04-20", &TM, "contractmanager_inschakelen",
     "{\"jeugdige_geraadpleegd\":true,\"verschil_van_inzicht\":\"v\"}");
  OK(c, "2027-04-21", &CM, "afspraken_vastleggen",
     "{\"acties\":\"a\",\"terugkoppeling_uiterlijk\":\"2027-05-05\"}");
  ASSERT(has_timer(c, "terugkoppeling_termijn"));
  NO(c, "2027-04-22", &AB, "overeenstemming_bereiken", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-04-22", &CM, "overeenstemming_bereiken", NULL, CASUS_EFORBIDDEN, "R-AUTH-1");
  OK(c, "2027-04-22", &TM, "overeenstemming_bereiken",
     "{\"afspraken\":\"arrangement blijft, extra evaluatie\"}");
  ASSERT(fx_in_state(c, "geen_escalatie"));
  ASSERT(!has_timer(c, "terugkoppeling_termijn"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.uitkomst"), "overeenstemming");
  ASSERT(fx_effect("close_tasks", "arrangement_betwist", NULL));
  ASSERT(fx_effect("close_tasks", "terugkoppeling_verlopen", NULL));
  json_decref(c);
  c = ladder_open();
  OK(c, "2027-04-02", &CR, "overeenstemming_bereiken", NULL);
  ASSERT(fx_in_state(c, "geen_escalatie"));
  json_decref(c);
}

/* R-ESC-8, R-ESC-10: stagnation reported by the zorgbemiddelingsteam goes straight to the contractmanager
 * (from no escalation, or from any step before it): the ZBT's step, not the casusregisseur's; the
 * casusregisseur and the procesregisseur can open the ladder at step 1. */
TEST(stagnation_escalated_to_contractmanager_R_ESC_8_R_ESC_10) {
  json_t *c;
  setup();
  c = in_zorg();
  NO(c, "2027-05-03", &AB, "stagnatie_opschalen", "{\"melding_zbt\":\"geen plek\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-05-03", &TM, "stagnatie_opschalen", "{\"melding_zbt\":\"geen plek\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-05-03", &CR, "stagnatie_opschalen", "{\"melding_zbt\":\"geen plek\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-05-03", &PR, "stagnatie_opschalen", "{\"melding_zbt\":\"geen plek\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  NO(c, "2027-05-03", &ZBT, "stagnatie_opschalen", "{}", CASUS_EINVALID_DATA, "R-ESC-8");
  OK(c, "2027-05-03", &ZBT, "stagnatie_opschalen",
     "{\"melding_zbt\":\"traject stagneert: geen vervolgplek\"}");
  ASSERT(fx_in_state(c, "ladder_contractmanager"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.aanleiding"), "stagnatie_zbt");
  ASSERT(fx_effect("notification", "escalatie_contractmanager", "contractmanager"));
  ASSERT(fx_effect("notification", "escalatie_contractmanager", "casusregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("notification", "escalatie_contractmanager"), "R-ESC-8");
  NO(c, "2027-05-04", &ZBT, "stagnatie_opschalen", "{\"melding_zbt\":\"nog eens\"}",
     CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  OK(c, "2027-05-04", &CM, "afspraken_vastleggen",
     "{\"acties\":\"a\",\"terugkoppeling_uiterlijk\":\"2027-05-18\"}");
  ASSERT_STR_EQ(fx_timer_due(c, "terugkoppeling_termijn"), "2027-05-18");
  json_decref(c);
  /* from a step of the ladder */
  c = ladder_open();
  OK(c, "2027-04-05", &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}");
  NO(c, "2027-04-06", &CR, "stagnatie_opschalen", "{\"melding_zbt\":\"stagnatie\"}", CASUS_EFORBIDDEN,
     "R-AUTH-1");
  OK(c, "2027-04-06", &ZBT, "stagnatie_opschalen", "{\"melding_zbt\":\"stagnatie\"}");
  ASSERT(fx_in_state(c, "ladder_contractmanager"));
  json_decref(c);
  /* the casusregisseur opens the ladder on stagnation at step 1 */
  c = in_zorg();
  NO(c, "2027-05-03", &AB, "stagnatie_melden", "{\"toelichting\":\"t\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-03", &ZBT, "stagnatie_melden", "{\"toelichting\":\"t\"}", CASUS_EFORBIDDEN, "R-AUTH-1");
  NO(c, "2027-05-03", &CR, "stagnatie_melden", "{}", CASUS_EINVALID_DATA, "R-ESC-1");
  OK(c, "2027-05-03", &CR, "stagnatie_melden", "{\"toelichting\":\"geen voortgang\"}");
  ASSERT(fx_in_state(c, "ladder"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.aanleiding"), "stagnatie");
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.geopend_door"), "casusregisseur");
  ASSERT(fx_effect("notification", "escalatie_geopend", "procesregisseur"));
  NO(c, "2027-05-03", &AB, "arrangement_betwisten", "{\"toelichting\":\"x\"}", CASUS_ENOT_ALLOWED_IN_STATE,
     NULL);
  json_decref(c);
  /* R-ESC-10: so does the procesregisseur, when agreements are not kept; step 1 stays the casusregisseur's */
  c = in_zorg();
  OK(c, "2027-05-03", &PR, "stagnatie_melden", "{\"toelichting\":\"afspraken niet nagekomen\"}");
  ASSERT(fx_in_state(c, "ladder"));
  ASSERT_STR_EQ(fx_str(c, "fields.escalatie.geopend_door"), "procesregisseur");
  ASSERT(fx_effect("notification", "escalatie_geopend", "casusregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("notification", "escalatie_geopend"), "R-ESC-10");
  NO(c, "2027-05-04", &PR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}",
     CASUS_EFORBIDDEN, "R-AUTH-1");
  OK(c, "2027-05-04", &CR, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}");
  json_decref(c);
}

/* R-AUTH-3: only the assigned casusregisseur acts. A case without one gives the procesregisseur a task to
 * assign one, and no casusregisseur acts on it; once assigned, a colleague of the same gemeente still does
 * not. */
TEST(only_the_assigned_casusregisseur_acts_R_AUTH_3) {
  json_t *body, *c;
  static const engine_actor_t CR2 = {"cr-2", "casusregisseur", "rotterdam"};
  setup();
  body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam", "jeugdige",
                   "naam", "Sam de Vries", "geboortedatum", "2012-05-01");
  c = fx_create(chart, AT("2027-03-31"), &PR, "c-zonder-cr", body, "rijnmond", 0, NULL);
  json_decref(body);
  ASSERT(fx_effect("task", "casusregisseur_toewijzen", "procesregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "casusregisseur_toewijzen"), "R-AUTH-3");
  OK(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
     "\"begindatum\":\"2027-04-01\",\"einddatum\":"
     "\"2027-12-31\"}");
  NO(c, "2027-04-01", &CR, "stagnatie_melden", "{\"toelichting\":\"t\"}", CASUS_EGUARD_FAILED, "R-AUTH-3");
  OK(c, "2027-04-01", &PR, "casusregisseur_wijzigen", "{\"casusregisseur\":\"cr-1\"}");
  ASSERT(fx_effect("close_tasks", "casusregisseur_toewijzen", NULL));
  NO(c, "2027-04-01", &CR2, "stagnatie_melden", "{\"toelichting\":\"t\"}", CASUS_EGUARD_FAILED, "R-AUTH-3");
  OK(c, "2027-04-01", &CR, "stagnatie_melden", "{\"toelichting\":\"t\"}");
  NO(c, "2027-04-02", &CR2, "feiten_vastleggen", "{\"feiten\":\"f\",\"doorlopen_stappen\":\"s\"}",
     CASUS_EGUARD_FAILED, "R-AUTH-3");
  NO(c, "2027-04-02", &CR2, "overeenstemming_bereiken", NULL, CASUS_EGUARD_FAILED, "R-AUTH-3");
  OK(c, "2027-04-02", &TM, "overeenstemming_bereiken", NULL);
  json_decref(c);
  /* a case created with one gives no such task */
  c = in_zorg();
  NO(c, "2027-06-01", &CR2, "evaluatie_vastleggen", "{\"datum\":\"2027-06-01\",\"uitkomst\":\"ongewijzigd\"}",
     CASUS_EGUARD_FAILED, "R-AUTH-3");
  OK(c, "2027-06-01", &CR, "evaluatie_vastleggen", "{\"datum\":\"2027-06-01\",\"uitkomst\":\"ongewijzigd\"}");
  json_decref(c);
}

/* R-PRIV-1 with R-ESC-6: what the contractmanager receives is anonymised. */
TEST(contractmanager_view_is_anonymised_R_ESC_6) {
  json_t *c;
  auth_actor_t cm = {"cm-1", "contractmanager", "rijnmond", {0}, {0}, false};
  setup();
  c = ladder_after_talk();
  ASSERT(auth_case_anonymised(chart, &cm, c));
  json_decref(c);
}

/* Every event the chart names is fireable, and allowed_events reflects the regions of in_zorg. */
TEST(allowed_events_in_care) {
  json_t *c, *ev;
  size_t i;
  json_t *e;
  bool evaluatie = false, opschorten = false, aankondigen = false, afsluiten = false;
  setup();
  c = in_zorg();
  ev = engine_allowed_events(chart, c, "aanbieder", AT("2027-05-03"), NULL);
  json_array_foreach(ev, i, e) {
    if (strcmp(json_string_value(e), "zorg_opschorten") == 0) opschorten = true;
    if (strcmp(json_string_value(e), "beeindiging_aankondigen") == 0) aankondigen = true;
    if (strcmp(json_string_value(e), "zorg_afsluiten") == 0) afsluiten = true;
    ASSERT(strcmp(json_string_value(e), "evaluatie_vastleggen") != 0);
  }
  json_decref(ev);
  ev = engine_allowed_events(chart, c, "casusregisseur", AT("2027-05-03"), NULL);
  json_array_foreach(ev, i, e) {
    if (strcmp(json_string_value(e), "evaluatie_vastleggen") == 0) evaluatie = true;
  }
  json_decref(ev);
  ASSERT(opschorten && aankondigen && afsluiten && evaluatie);
  json_decref(c);
}

/* ================================================================== */
/* Toewijzing: screening, refusal, overbrugging, start date            */
/* ================================================================== */

/* R-TW-3 (DOMAIN 4.1, ALK 3.1): screening happens at start; the aanbieder may refuse for one of the three
 * reasons until it records that screening is done, before or after start zorg. R-TW-2: a start is not an
 * acceptance. Care already delivered stays recorded. Not inside a termination procedure (R-BE-12). */
TEST(refusal_until_screening_even_after_start_R_TW_3_R_TW_2) {
  json_t *c;
  const json_t *g;
  setup();
  /* refused after start: the care delivered stays recorded, the case goes back for another provider */
  c = in_zorg();
  NO(c, "2027-04-20", &AB, "toewijzing_weigeren", "{\"reden\":\"geen_plek\"}", CASUS_EINVALID_DATA, "R-TW-3");
  NO(c, "2027-04-20", &AB, "toewijzing_weigeren",
     "{\"reden\":\"te_zware_hulpvraag\",\"einddatum_zorg\":\"2027-04-21\"}", CASUS_EGUARD_FAILED, "R-TW-7");
  NO(c, "2027-04-20", &PR, "toewijzing_weigeren", "{\"reden\":\"te_zware_hulpvraag\"}", CASUS_EFORBIDDEN,
     NULL);
  OK(c, "2027-04-20", &AB, "toewijzing_weigeren",
     "{\"reden\":\"te_zware_hulpvraag\",\"einddatum_zorg\":\"2027-04-19\",\"alternatief\":\"zorgaanbieder-"
     "b\"}");
  ASSERT_STR_EQ(fx_status(c), "aangemeld");
  ASSERT(fx_in_state(c, "opnieuw_toewijzen"));
  ASSERT(fx_effect("task", "opnieuw_toewijzen", "procesregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "opnieuw_toewijzen"), "R-TW-3");
  g = json_array_get(fx_get(c, "fields.geleverde_zorg"), 0);
  ASSERT_STR_EQ(fx_str(g, "aanbieder"), "zorgaanbieder-a");
  ASSERT_STR_EQ(fx_str(g, "startdatum"), "2027-04-01");
  ASSERT_STR_EQ(fx_str(g, "einddatum_zorg"), "2027-04-19");
  ASSERT(fx_get(c, "fields.startdatum") == NULL);
  ASSERT(!has_timer(c, "einde_toewijzing") && !has_timer(c, "evaluatie_termijn"));
  /* another provider; the refusing one is not assigned again */
  NO(c, "2027-04-21", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
     "\"begindatum\":\"2027-04-01\",\"einddatum\":"
     "\"2027-12-31\"}",
     CASUS_EGUARD_FAILED, "R-TW-3");
  OK(c, "2027-04-21", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-b\",\"product\":\"45A01\","
     "\"begindatum\":\"2027-04-21\",\"einddatum\":"
     "\"2027-12-31\"}");
  ASSERT_STR_EQ(fx_status(c), "toegewezen");
  json_decref(c);

  /* screening recorded after the start: the toewijzing is accepted and can no longer be refused */
  c = in_zorg();
  OK(c, "2027-04-08", &AB, "screening_afronden", "{\"toelichting\":\"past bij de hulpvraag\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.geaccepteerd_op"), "2027-04-08");
  NO(c, "2027-04-09", &AB, "screening_afronden", NULL, CASUS_EGUARD_FAILED, "R-TW-3");
  NO(c, "2027-04-09", &AB, "toewijzing_weigeren", "{\"reden\":\"gewichtige_redenen\"}", CASUS_EGUARD_FAILED,
     "R-TW-3");
  json_decref(c);

  /* screening before the start: the same */
  c = toegewezen_with(DEFAULTS);
  NO(c, "2027-03-31", &CR, "screening_afronden", NULL, CASUS_EFORBIDDEN, NULL);
  OK(c, "2027-03-31", &AB, "screening_afronden", NULL);
  NO(c, "2027-03-31", &AB, "toewijzing_weigeren", "{\"reden\":\"te_lichte_hulpvraag\"}", CASUS_EGUARD_FAILED,
     "R-TW-3");
  OK(c, "2027-04-01", &AB, "start_zorg", NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  json_decref(c);

  /* no refusal out of an open termination procedure (R-BE-12) */
  c = in_zorg();
  OK(c, "2027-04-12", &AB, "beeindiging_aankondigen", "{\"redenen\":\"ernstige incidenten\"}");
  NO(c, "2027-04-13", &AB, "toewijzing_weigeren", "{\"reden\":\"gewichtige_redenen\"}", CASUS_EGUARD_FAILED,
     "R-BE-12");
  json_decref(c);
}

/* R-TW-6 (DOMAIN 4.1, ALK 5.2): overbrugging starts after the acceptance, within one week of it, before the
 * required care starts; it ends when the care starts; it lasts no longer than the treeknorm (10 weeks in
 * Rijnmond). Bridging in time is not a late start (R-TW-2's deadline is lifted). */
TEST(overbrugging_from_acceptance_until_start_R_TW_6) {
  json_t *c;
  setup();
  c = toegewezen_with(DEFAULTS);
  NO(c, "2027-04-01", &AB, "overbrugging_starten", NULL, CASUS_EGUARD_FAILED, "R-TW-6");
  OK(c, "2027-04-01", &AB, "screening_afronden", NULL);
  ASSERT_STR_EQ(fx_timer_due(c, "start_zorg_termijn"), "2027-04-07");
  NO(c, "2027-04-07", &PR, "overbrugging_starten", NULL, CASUS_EFORBIDDEN, NULL);
  OK(c, "2027-04-07", &AB, "overbrugging_starten",
     "{\"toelichting\":\"wachtlijst\",\"verwachte_startdatum\":\"2027-05-03\"}");
  ASSERT(fx_has_flag(c, "overbrugging") && !fx_has_flag(c, "overbrugging_te_laat"));
  ASSERT_STR_EQ(fx_str(c, "fields.overbrugging.gestart_op"), "2027-04-07");
  ASSERT(fx_effect("notification", "overbrugging_gestart", "casusregisseur"));
  /* in time: no late start zorg; the treeknorm runs */
  ASSERT(!has_timer(c, "start_zorg_termijn"));
  ASSERT_STR_EQ(fx_timer_due(c, "overbrugging_termijn"), "2027-06-16");
  ASSERT_STR_EQ(timer_kind(c, "overbrugging_termijn"), "overbrugging_treeknorm");
  NO(c, "2027-04-08", &AB, "overbrugging_starten", NULL, CASUS_EGUARD_FAILED, "R-TW-6");
  /* the required care starts: the overbrugging ends */
  OK(c, "2027-05-03", &AB, "start_zorg", NULL);
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT(!fx_has_flag(c, "overbrugging"));
  ASSERT_STR_EQ(fx_str(c, "fields.overbrugging.beeindigd_op"), "2027-05-03");
  ASSERT(fx_effect("notification", "overbrugging_beeindigd", "casusregisseur"));
  ASSERT(!has_timer(c, "overbrugging_termijn"));
  NO(c, "2027-05-04", &AB, "overbrugging_starten", NULL, CASUS_ENOT_ALLOWED_IN_STATE, NULL);
  json_decref(c);

  /* more than a week after the acceptance: accepted, flagged late, the start deadline stays */
  c = toegewezen_with(DEFAULTS);
  OK(c, "2027-04-01", &AB, "screening_afronden", NULL);
  OK(c, "2027-04-09", &AB, "overbrugging_starten", NULL);
  ASSERT(fx_has_flag(c, "overbrugging_te_laat"));
  ASSERT(has_timer(c, "start_zorg_termijn"));
  /* longer than the treeknorm: flagged, procesregisseur and casusregisseur get a task */
  c = fire(c, "overbrugging_termijn");
  ASSERT(fx_has_flag(c, "overbrugging_te_lang"));
  ASSERT(fx_effect("task", "overbrugging_te_lang", "procesregisseur"));
  ASSERT(fx_effect("task", "overbrugging_te_lang", "casusregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "overbrugging_te_lang"), "R-TW-6");
  OK(c, "2027-06-21", &AB, "start_zorg", NULL);
  ASSERT(fx_effect("close_tasks", "overbrugging_te_lang", NULL));
  json_decref(c);

  /* the start deadline passed, then bridging within a week of the acceptance: not late after all */
  c = toegewezen_with(DEFAULTS);
  OK(c, "2027-04-06", &AB, "screening_afronden", NULL);
  c = fire(c, "start_zorg_termijn");
  ASSERT(fx_has_flag(c, "start_zorg_termijn_verlopen"));
  OK(c, "2027-04-09", &AB, "overbrugging_starten", NULL);
  ASSERT(!fx_has_flag(c, "start_zorg_termijn_verlopen") && !fx_has_flag(c, "overbrugging_te_laat"));
  ASSERT(fx_effect("close_tasks", "start_zorg_termijn_verlopen", NULL));
  json_decref(c);
}

/* R-TW-7 (DOMAIN 4.1): the start date lies inside the toewijzing's period; JZ588 is exactly 02, 20, 31-39
 * (99 refused; 02 and 36-39 accepted; 33 only through the procedure, R-BE-12). */
TEST(start_inside_the_period_and_jz588_R_TW_7) {
  json_t *c;
  const char *codes[] = {"02", "20", "31", "32", "34", "35", "36", "37", "38", "39"};
  size_t i;
  setup();
  c = toegewezen_with(DEFAULTS); /* begindatum 2027-04-01 */
  NO(c, "2027-03-31", &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-TW-7");
  NO(c, "2027-04-02", &AB, "start_zorg", "{\"startdatum\":\"2027-03-31\"}", CASUS_EGUARD_FAILED, "R-TW-7");
  NO(c, "2027-04-02", &AB, "start_zorg", "{\"startdatum\":\"2027-04-03\"}", CASUS_EGUARD_FAILED, "R-TW-7");
  OK(c, "2027-04-02", &AB, "start_zorg", "{\"startdatum\":\"2027-04-01\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.startdatum"), "2027-04-01");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"99\",\"einddatum_zorg\":\"2027-05-31\"}", CASUS_EINVALID_DATA, "R-TW-7");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"33\",\"einddatum_zorg\":\"2027-05-31\"}", CASUS_EGUARD_FAILED, "R-BE-12");
  json_decref(c);
  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    char data[128];
    c = in_zorg();
    snprintf(data, sizeof(data), "{\"reden_beeindiging\":\"%s\",\"einddatum_zorg\":\"2027-05-31\"}",
             codes[i]);
    OK(c, "2027-06-01", &AB, "zorg_afsluiten", data);
    ASSERT_STR_EQ(fx_str(c, "fields.reden_beeindiging"), codes[i]);
    json_decref(c);
  }
  /* a late start (after the einddatum) also lies inside the period */
  c = toegewezen_with(DEFAULTS);
  NO(c, "2028-01-05", &AB, "start_zorg", "{\"startdatum\":\"2027-03-30\"}", CASUS_EGUARD_FAILED, "R-TW-7");
  OK(c, "2028-01-05", &AB, "start_zorg", "{\"startdatum\":\"2027-12-01\"}");
  ASSERT(fx_in_state(c, "toewijzing_verlopen"));
  json_decref(c);
}

/* R-MON-8 (DOMAIN 4.1, ARR): the limits are the region's catalogue (catalogs/rijnmond.json, the table
 * arrangementen): crisishulp ambulant and crisisverblijf at most 6 weeks; behandeling (individueel, start,
 * groep) and begeleiding at most 12 months; behandeling start at most 10 contacts; an arrangement without a
 * maximum has none. */
TEST(crisishulp_6_weeks_and_behandeling_start_10_contacts_R_MON_8) {
  json_t *c, *d;
  const char *crisis[] = {"crisishulp_ambulant", "crisishulp_verblijf"};
  size_t i;
  char data[256];
  opts_t o = DEFAULTS;
  setup();
  for (i = 0; i < 2; i++) {
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam",
                  "casusregisseur", "cr-1", "jeugdige", "naam", "X", "geboortedatum", "2012-01-01");
    c = fx_create(chart, AT("2027-03-31"), &PR, "c-m8c", body, "rijnmond", 0, NULL);
    json_decref(body);
    /* begindatum Thu 1 April + 6 weeks = Thu 13 May: the last day is 12 May */
    snprintf(data, sizeof(data),
             "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45C01\","
             "\"begindatum\":\"2027-04-01\","
             "\"einddatum\":\"2027-05-13\",\"arrangement\":\"%s\"}",
             crisis[i]);
    NO(c, "2027-03-31", &PR, "toewijzen", data, CASUS_EGUARD_FAILED, "R-MON-8");
    snprintf(data, sizeof(data),
             "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45C01\","
             "\"begindatum\":\"2027-04-01\","
             "\"einddatum\":\"2027-11-30\",\"arrangement\":\"%s\"}",
             crisis[i]);
    NO(c, "2027-03-31", &PR, "toewijzen", data, CASUS_EGUARD_FAILED, "R-MON-8");
    snprintf(data, sizeof(data),
             "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45C01\","
             "\"begindatum\":\"2027-04-01\","
             "\"einddatum\":\"2027-05-12\",\"arrangement\":\"%s\"}",
             crisis[i]);
    OK(c, "2027-03-31", &PR, "toewijzen", data);
    OK(c, "2027-04-01", &AB, "start_zorg", NULL);
    /* crisishulp is 6 weeks in all (the catalogue's "verlengbaar": false; ARR: then the help that
     * fits): no extension, neither past 6 weeks more nor by a day */
    NO(c, "2027-05-03", &PR, "toewijzing_verlengen",
       "{\"nieuwe_einddatum\":\"2027-06-23\",\"reden\":\"nog nodig\"}", CASUS_EGUARD_FAILED, "R-MON-8");
    NO(c, "2027-05-03", &PR, "toewijzing_verlengen",
       "{\"nieuwe_einddatum\":\"2027-05-13\",\"reden\":\"nog nodig\"}", CASUS_EGUARD_FAILED, "R-MON-8");
    json_decref(c);
  }
  /* behandeling start: at most 10 contacts, the number is required */
  {
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam",
                  "casusregisseur", "cr-1", "jeugdige", "naam", "X", "geboortedatum", "2012-01-01");
    c = fx_create(chart, AT("2027-03-31"), &PR, "c-m8s", body, "rijnmond", 0, NULL);
    json_decref(body);
  }
#define START_DATA(extra)                                                                       \
  "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\"," \
  "\"begindatum\":\"2027-04-01\",\"einddatum\":"                                                \
  "\"2027-09-30\",\"arrangement\":\"behandeling_start\"" extra "}"
  NO(c, "2027-03-31", &PR, "toewijzen", START_DATA(""), CASUS_EGUARD_FAILED, "R-MON-8");
  NO(c, "2027-03-31", &PR, "toewijzen", START_DATA(",\"aantal_contacten\":11"), CASUS_EGUARD_FAILED,
     "R-MON-8");
  NO(c, "2027-03-31", &PR, "toewijzen", START_DATA(",\"aantal_contacten\":0"), CASUS_EINVALID_DATA,
     "R-MON-8");
  d = json_deep_copy(c);
  NO(d, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
     "\"begindatum\":\"2027-04-01\",\"einddatum\":"
     "\"2028-04-01\",\"arrangement\":\"behandeling_start\",\"aantal_contacten\":10}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  json_decref(d);
  OK(c, "2027-03-31", &PR, "toewijzen", START_DATA(",\"aantal_contacten\":10"));
  ASSERT_EQ(json_integer_value(fx_get(c, "fields.product.aantal_contacten")), 10);
#undef START_DATA
  json_decref(c);
  /* an arrangement with a maximum of 12 months takes no contact limit */
  o.arrangement = "behandeling_individueel";
  o.einddatum = "2028-03-31";
  c = in_zorg_with(o);
  ASSERT_STR_EQ(fx_str(c, "fields.product.arrangement"), "behandeling_individueel");
  json_decref(c);
}

/* R-MON-10 (DOMAIN 4.2, RIJ stap 2 backoffice): the procesregisseur starts an aanpassing, op- or afschaling
 * of the toewijzing, recorded with a JZ002 reason; the arrangement's limits still hold (R-MON-8); a later
 * einddatum is a verlenging, not an aanpassing. */
TEST(procesregisseur_adjusts_the_toewijzing_R_MON_10) {
  json_t *c;
  setup();
  c = in_zorg();
  NO(c, "2027-05-03", &CR, "toewijzing_aanpassen", "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\"}",
     CASUS_EFORBIDDEN, NULL);
  NO(c, "2027-05-03", &AB, "toewijzing_aanpassen", "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\"}",
     CASUS_EFORBIDDEN, NULL);
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen", "{\"soort\":\"afschaling\",\"einddatum\":\"2027-09-30\"}",
     CASUS_EINVALID_DATA, "R-MON-10");
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"afschaling\",\"reden_wijziging\":\"99\",\"einddatum\":\"2027-09-30\"}",
     CASUS_EINVALID_DATA, "R-MON-10");
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen", "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\"}",
     CASUS_EGUARD_FAILED, "R-MON-10");
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"opschaling\",\"reden_wijziging\":\"03\",\"einddatum\":\"2028-01-31\"}",
     CASUS_EGUARD_FAILED, "R-MON-10");
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\",\"einddatum\":\"2027-05-02\"}",
     CASUS_EGUARD_FAILED, "R-MON-10");
  /* a crisishulp arrangement needs an einddatum within its 6 weeks (R-MON-8) */
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"opschaling\",\"reden_wijziging\":\"03\",\"arrangement\":\"crisishulp_ambulant\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  NO(c, "2027-05-03", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"aanpassing\",\"reden_wijziging\":\"02\",\"arrangement\":\"behandeling_start\","
     "\"aantal_contacten\":11,\"einddatum\":\"2027-09-30\"}",
     CASUS_EGUARD_FAILED, "R-MON-8");
  OK(c, "2027-05-03", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"afschaling\",\"reden_wijziging\":\"04\",\"einddatum\":\"2027-09-30\",\"product\":"
     "\"45A02\","
     "\"toelichting\":\"doelen eerder bereikt\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.product.einddatum"), "2027-09-30");
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A02");
  ASSERT_STR_EQ(fx_str(c, "fields.product.vorige_code"), "45A01");
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzing_aanpassing.soort"), "afschaling");
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzing_aanpassing.reden_wijziging"), "04");
  ASSERT_STR_EQ(fx_str(c, "fields.reden_wijziging"), "04");
  ASSERT_STR_EQ(fx_timer_due(c, "einde_toewijzing"), "2027-09-30");
  ASSERT_STR_EQ(fx_timer_due(c, "eindevaluatie_termijn"), "2027-08-05");
  ASSERT(fx_effect("notification", "toewijzing_aangepast", "aanbieder"));
  ASSERT(fx_effect("notification", "toewijzing_aangepast", "casusregisseur"));
  OK(c, "2027-05-10", &PR, "toewijzing_aanpassen",
     "{\"soort\":\"aanpassing\",\"reden_wijziging\":\"02\",\"arrangement\":\"behandeling_start\","
     "\"aantal_contacten\":10}");
  ASSERT_EQ(json_integer_value(fx_get(c, "fields.product.aantal_contacten")), 10);
  ASSERT_EQ(json_array_size(fx_get(c, "fields.aanpassingen")), 2);
  json_decref(c);
}

/* R-SAFE-1 (DOMAIN 4.2; RIJ stap 1 "Beoordelen van de veiligheid (risicotaxatie)", "Warme overdracht bij
 * veiligheidsrisico's", calamiteit, Meldcode, route C crisis): a risicotaxatie before or at the start
 * (routes A and C); a Meldcode melding and a calamiteit give the casusregisseur and procesregisseur a task at
 * once; with a safety risk the handover is warm (the new aanbieder confirms); route C: when the crisis team
 * takes over, the aanbieder sends stop zorg. */
TEST(safety_risicotaxatie_meldcode_calamiteit_warm_handover_R_SAFE_1) {
  static const engine_actor_t CR2 = {"cr-2", "casusregisseur", "rotterdam"};
  json_t *c, *body;
  setup();
  body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam",
                   "casusregisseur", "cr-1", "jeugdige", "naam", "X", "geboortedatum", "2012-01-01");
  c = fx_create(chart, AT("2027-03-31"), &PR, "c-safe", body, "rijnmond", 0, NULL);
  OK(c, "2027-03-31", &PR, "toewijzen",
     "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-01\",\"einddatum\":"
     "\"2027-12-31\"}");
  /* route A: no start without a risicotaxatie */
  NO(c, "2027-04-01", &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-SAFE-1");
  NO(c, "2027-04-01", &CR2, "risicotaxatie_vastleggen", "{\"uitkomst\":\"risico\"}", CASUS_EGUARD_FAILED,
     "R-AUTH-3");
  OK(c, "2027-04-01", &CR, "risicotaxatie_vastleggen",
     "{\"uitkomst\":\"risico\",\"toelichting\":\"huiselijk geweld\"}");
  ASSERT(fx_has_flag(c, "veiligheidsrisico"));
  ASSERT_STR_EQ(fx_str(c, "fields.risicotaxatie.door"), "casusregisseur");
  /* a safety risk: the handover is warm, the new aanbieder confirms it */
  NO(c, "2027-04-01", &AB, "start_zorg", NULL, CASUS_EGUARD_FAILED, "R-SAFE-1");
  OK(c, "2027-04-01", &AB, "start_zorg", "{\"warme_overdracht_bevestigd\":true}");
  ASSERT_STR_EQ(fx_status(c), "in_zorg");
  ASSERT_STR_EQ(fx_str(c, "fields.warme_overdracht_bevestigd"), "2027-04-01");
  /* a Meldcode melding: recorded, tasks for casusregisseur and procesregisseur at once */
  NO(c, "2027-04-12", &AB, "meldcode_melding_doen", "{\"gemeld_bij\":\"veilig_thuis\"}", CASUS_EINVALID_DATA,
     "R-SAFE-1");
  OK(c, "2027-04-12", &AB, "meldcode_melding_doen",
     "{\"gemeld_bij\":\"veilig_thuis\",\"toelichting\":\"signalen\"}");
  ASSERT(fx_effect("task", "meldcode_melding", "casusregisseur"));
  ASSERT(fx_effect("task", "meldcode_melding", "procesregisseur"));
  ASSERT_STR_EQ(fx_effect_rule("task", "meldcode_melding"), "R-SAFE-1");
  OK(c, "2027-04-13", &AB, "calamiteit_melden", "{\"toelichting\":\"ernstig incident\"}");
  ASSERT(fx_effect("task", "calamiteit", "casusregisseur") &&
         fx_effect("task", "calamiteit", "procesregisseur"));
  ASSERT(fx_has_flag(c, "calamiteit"));
  ASSERT_EQ(json_array_size(fx_get(c, "fields.veiligheidsmeldingen")), 2);
  NO(c, "2027-04-14", &AB, "veiligheidsmelding_afhandelen", "{\"afspraken\":\"x\"}", CASUS_EFORBIDDEN, NULL);
  OK(c, "2027-04-14", &CR, "veiligheidsmelding_afhandelen", "{\"afspraken\":\"veiligheidsplan opgesteld\"}");
  ASSERT(fx_effect("close_tasks", "meldcode_melding", NULL) && fx_effect("close_tasks", "calamiteit", NULL));
  ASSERT(!fx_has_flag(c, "calamiteit") && fx_has_flag(c, "veiligheidsrisico"));
  json_decref(c);

  /* the risicotaxatie may come with the toewijzing or at the start */
  c = fx_create(chart, AT("2027-03-31"), &PR, "c-safe2", body, "rijnmond", 0, NULL);
  OK(c, "2027-03-31", &PR, "toewijzen",
     "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-01\",\"einddatum\":"
     "\"2027-12-31\"}");
  OK(c, "2027-04-01", &AB, "start_zorg", "{\"risicotaxatie\":\"geen_risico\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.risicotaxatie.door"), "aanbieder");
  json_decref(c);
  json_decref(body);

  /* after an approved termination with a safety risk: the handover is warm, the new aanbieder confirms */
  c = form_submitted(DEFAULTS);
  OK(c, "2027-05-26", &AB, "meldcode_melding_doen",
     "{\"gemeld_bij\":\"jeugdbeschermingsplein\",\"toelichting\":\"zorgen\"}");
  OK(c, "2027-05-27", &CR, "beeindiging_goedkeuren", ALLE_OVERWEGINGEN);
  NO(c, "2027-06-14", &AB, "overdracht_afronden",
     "{\"einddatum_zorg\":\"2027-06-11\",\"overdracht\":\"bericht\"}", CASUS_EGUARD_FAILED, "R-SAFE-1");
  OK(c, "2027-06-14", &AB, "overdracht_afronden",
     "{\"einddatum_zorg\":\"2027-06-11\",\"overdracht\":\"persoonlijk overgedragen\",\"nieuwe_aanbieder\":"
     "\"zorgaanbieder-b\",\"warme_overdracht_bevestigd\":true}");
  ASSERT_STR_EQ(fx_status(c), "beeindigd");
  json_decref(c);

  /* route C: the crisis team takes over, the aanbieder sends stop zorg before the crisis is closed */
  {
    opts_t o = DEFAULTS;
    o.verwijzer = "gi";
    c = in_zorg_with(o);
  }
  OK(c, "2027-05-03", &AB, "crisis_melden", "{\"toelichting\":\"CIT ingeschakeld\"}");
  ASSERT(fx_effect("task", "stop_zorg_na_crisis", "aanbieder"));
  NO(c, "2027-05-10", &AB, "crisis_afronden", "{\"vervolgplan\":\"v\",\"overdracht\":\"o\"}",
     CASUS_EGUARD_FAILED, "R-SAFE-1");
  OK(c, "2027-05-04", &AB, "stop_zorg_na_crisis_melden", "{\"einddatum_zorg\":\"2027-05-03\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.crisis.stop_zorg.reden_beeindiging"), "20");
  ASSERT(fx_effect("close_tasks", "stop_zorg_na_crisis", NULL));
  NO(c, "2027-05-05", &AB, "stop_zorg_na_crisis_melden", NULL, CASUS_EGUARD_FAILED, "R-SAFE-1");
  OK(c, "2027-05-10", &AB, "crisis_afronden", "{\"vervolgplan\":\"v\",\"overdracht\":\"o\"}");
  json_decref(c);
  /* route A: no stop zorg for a crisis */
  c = in_zorg();
  OK(c, "2027-05-03", &AB, "crisis_melden", "{\"toelichting\":\"CIT ingeschakeld\"}");
  ASSERT(!fx_effect("task", "stop_zorg_na_crisis", NULL));
  NO(c, "2027-05-04", &AB, "stop_zorg_na_crisis_melden", NULL, CASUS_EGUARD_FAILED, "R-SAFE-1");
  json_decref(c);
}

/* iJw keys (issue 10; R-TW-7, R-MON-10): the toewijzing carries its toewijzingnummer (default: the case id)
 * and the productcategorie with the productcode; start and stop echo the number (another is 422 R-TW-7);
 * changes record a JZ002 reason, refusals of a verzoek a WJ758 code, a verzoek om wijziging a WJ759 code. */
TEST(ijw_keys_R_TW_7) {
  json_t *c, *body;
  setup();
  body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "verwijzer", "gemeente", "gemeente", "rotterdam",
                   "casusregisseur", "cr-1", "jeugdige", "naam", "X", "geboortedatum", "2012-01-01");
  c = fx_create(chart, AT("2027-03-31"), &PR, "c-ijw", body, "rijnmond", 0, NULL);
  json_decref(body);
  NO(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
     "\"productcategorie\":\"450\",\"begindatum\":\"2027-04-01\",\"einddatum\":\"2027-12-31\"}",
     CASUS_EINVALID_DATA, "R-TW-7");
  OK(c, "2027-03-31", &PR, "toewijzen",
     "{\"risicotaxatie\":\"geen_risico\",\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\","
     "\"productcategorie\":\"45\",\"toewijzingnummer\":\"TW-2027-0001\",\"begindatum\":\"2027-04-01\","
     "\"einddatum\":\"2027-12-31\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.toewijzingnummer"), "TW-2027-0001");
  ASSERT_STR_EQ(fx_str(c, "fields.product.categorie"), "45");
  ASSERT_STR_EQ(fx_str(c, "fields.product.code"), "45A01");
  NO(c, "2027-04-01", &AB, "start_zorg", "{\"toewijzingnummer\":\"TW-2027-0002\"}", CASUS_EGUARD_FAILED,
     "R-TW-7");
  OK(c, "2027-04-01", &AB, "start_zorg", "{\"toewijzingnummer\":\"TW-2027-0001\"}");
  OK(c, "2027-04-20", &AB, "wijziging_aanvragen",
     "{\"reden\":\"meer uren nodig\",\"reden_verzoek\":\"03\",\"gewenst_product\":\"45A02\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.reden_verzoek"), "03");
  OK(c, "2027-04-21", &PR, "wijziging_afwijzen", "{\"reden\":\"niet nodig\",\"reden_afwijzing\":\"04\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.reden_afwijzing"), "04");
  OK(c, "2027-05-03", &PR, "toewijzing_verlengen",
     "{\"nieuwe_einddatum\":\"2028-01-31\",\"reden\":\"nodig\"}");
  ASSERT_STR_EQ(fx_str(c, "fields.reden_wijziging"), "05");
  NO(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-05-31\",\"toewijzingnummer\":\"x\"}",
     CASUS_EGUARD_FAILED, "R-TW-7");
  OK(c, "2027-06-01", &AB, "zorg_afsluiten",
     "{\"reden_beeindiging\":\"31\",\"einddatum_zorg\":\"2027-05-31\",\"toewijzingnummer\":\"TW-2027-"
     "0001\"}");
  json_decref(c);
  /* without a number the toewijzing has none to echo: any start is accepted */
  c = in_zorg();
  ASSERT(fx_get(c, "fields.toewijzingnummer") == NULL);
  json_decref(c);
}

#define TEST_LIST(X)                                                 \
  X(chart_is_valid_and_in_zorg_is_parallel)                          \
  X(refusal_until_screening_even_after_start_R_TW_3_R_TW_2)          \
  X(overbrugging_from_acceptance_until_start_R_TW_6)                 \
  X(start_inside_the_period_and_jz588_R_TW_7)                        \
  X(toewijzing_ends_at_the_einddatum_R_MON_9)                        \
  X(procesregisseur_extends_the_toewijzing_R_MON_9)                  \
  X(start_after_the_einddatum_is_expired_R_MON_9)                    \
  X(evaluation_schedule_midden_R_MON_1)                              \
  X(evaluation_schedule_intensief_R_MON_1)                           \
  X(evaluation_schedule_licht_and_change_R_MON_1)                    \
  X(evaluation_refusals_R_MON_1)                                     \
  X(end_evaluation_8_weeks_before_einddatum_R_MON_2)                 \
  X(overdue_evaluations_task_and_flag_R_MON_3)                       \
  X(verlenging_window_R_MON_4)                                       \
  X(verlenging_granted_rearms_and_rejected_R_MON_4)                  \
  X(wijziging_information_deadline_R_MON_5)                          \
  X(wijziging_beslistermijn_R_MON_5)                                 \
  X(suspension_lapses_after_8_weeks_route_a_R_MON_6)                 \
  X(suspension_lapses_after_2_months_routes_b_c_R_MON_6)             \
  X(crisis_pauses_arrangement_R_MON_7)                               \
  X(toekenning_at_most_12_months_for_begeleiding_R_MON_8)            \
  X(verlenging_of_begeleiding_at_most_12_months_R_MON_8)             \
  X(crisishulp_6_weeks_and_behandeling_start_10_contacts_R_MON_8)    \
  X(procesregisseur_adjusts_the_toewijzing_R_MON_10)                 \
  X(safety_risicotaxatie_meldcode_calamiteit_warm_handover_R_SAFE_1) \
  X(ijw_keys_R_TW_7)                                                 \
  X(termination_approved_then_handover_R_BE_1_to_8)                  \
  X(termination_steps_cannot_be_skipped_R_BE_2_to_6)                 \
  X(parents_required_under_16_R_BE_2)                                \
  X(termination_rejected_returns_to_normal_care_R_BE_7_R_BE_10)      \
  X(termination_withdrawn_at_any_step_R_BE_10)                       \
  X(opt_out_presented_anonymised_R_BE_9)                             \
  X(termination_by_jeugdige_R_BE_11)                                 \
  X(no_bypass_of_the_termination_procedure_R_BE_12)                  \
  X(ladder_up_to_contractmanager_and_missed_feedback_R_ESC_1_to_7)   \
  X(ladder_steps_in_order_step_4_optional_R_ESC_1_to_5)              \
  X(agreement_closes_the_ladder_at_any_step_R_TW_4)                  \
  X(stagnation_escalated_to_contractmanager_R_ESC_8_R_ESC_10)        \
  X(only_the_assigned_casusregisseur_acts_R_AUTH_3)                  \
  X(contractmanager_view_is_anonymised_R_ESC_6)                      \
  X(allowed_events_in_care)

TEST_MAIN(TEST_LIST)
