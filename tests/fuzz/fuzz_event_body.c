/*
 * fuzz_event_body.c -- libFuzzer harness for event bodies: the bytes of a
 * POST /v1/cases/{id}/events (or POST /v1/cases) body, through the same
 * decoding the API uses (core_json_body_parse) and, when they decode, the
 * real engine on the bundled Rijnmond chart, so that data schemas
 * (eng_schema_check), guards, actions and timers see fuzzed data.
 *
 * Set up once: the Dutch calendar and statecharts/jeugdhulp-rijnmond.json
 * (from the embedded copies, so the harness runs from any folder), and a
 * handful of cases driven through the real process into different states
 * (aangemeld, toegewezen, in zorg, termination announced, a change
 * requested, escalation, route B's verzoek).  Per input:
 *   1. core_json_body_parse: 0 with an object, or an error with a sentence;
 *      what it accepts must survive the store's round trip (dump + reload
 *      with duplicate keys refused) unchanged;
 *   2. the API's event-body rules (keys event/data/expected_version, event a
 *      string, data an object);
 *   3. engine_event_apply on every prepared case as every role: the result
 *      is either one of the documented refusals with the case untouched, or
 *      a new case whose version went up by one, whose allowed_events are
 *      engine_allowed_events' for the actor's role, whose state loads again
 *      (engine_case_status, engine_allowed_events) and that survives the
 *      store's round trip; the timers it arms are fired at their due time
 *      (with no allowed_events: a timer has no actor);
 *   4. the whole body as a create body (engine_case_create) for every role.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "core/embedded.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "engine/engine.h"

#define FUZZ_CHECK(c, ...)                                                                   \
  do {                                                                                       \
    if (!(c)) {                                                                              \
      fprintf(stderr, "fuzz_event_body: %s:%d: check failed: %s: ", __FILE__, __LINE__, #c); \
      fprintf(stderr, __VA_ARGS__);                                                          \
      fprintf(stderr, "\n");                                                                 \
      abort();                                                                               \
    }                                                                                        \
  } while (0)

#define CASES_MAX 10
#define ROLES_MAX 8

static calendar_t cal;
static engine_chart_t *chart;
static struct {
  const char *name;
  json_t *case_;    /* the prepared case (never changed) */
  json_t *pristine; /* a deep copy, to prove the engine did not change it */
  int64_t now_s;
} cases[CASES_MAX];
static int cases_count;
static engine_actor_t actors[ROLES_MAX];
static int actors_count;

static json_t *embedded_json(const char *path) {
  const embedded_file_t *f;
  json_error_t jerr;
  for (f = embedded_files; f->path != NULL; f++) {
    if (strcmp(f->path, path) != 0) continue;
    json_t *doc = json_loadb(f->data, f->bytes, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(doc != NULL, "%s: %s", path, jerr.text);
    return doc;
  }
  FUZZ_CHECK(0, "%s is not embedded", path);
  return NULL;
}

static int64_t at(const char *rfc3339) {
  int64_t t = 0;
  FUZZ_CHECK(cal_time_parse(rfc3339, &t) == 0, "%s", rfc3339);
  return t;
}

static const engine_actor_t *actor_of(const char *role) {
  int i;
  for (i = 0; i < actors_count; i++)
    if (strcmp(actors[i].role, role) == 0) return &actors[i];
  FUZZ_CHECK(0, "no role %s", role);
  return NULL;
}

/* Keeps a prepared case: name, the case, the moment events are applied. */
static void case_keep(const char *name, json_t *c, const char *now) {
  FUZZ_CHECK(cases_count < CASES_MAX, "too many cases");
  cases[cases_count].name = name;
  cases[cases_count].case_ = json_incref(c);
  cases[cases_count].pristine = json_deep_copy(c);
  cases[cases_count].now_s = at(now);
  cases_count++;
}

static json_t *create(const char *role, const char *now, const char *body_json) {
  engine_ctx_t ctx = {chart, &cal, at(now), NULL, NULL};
  engine_result_t res;
  json_t *body = json_loads(body_json, 0, NULL), *extra = json_pack("{s:s}", "regio", "rijnmond"), *c;
  int rc;
  FUZZ_CHECK(body != NULL, "bad seed JSON %s", body_json);
  rc = engine_case_create(&ctx, "c-fuzz", body, extra, actor_of(role), &res);
  FUZZ_CHECK(rc == 0, "create: %s %s", core_err_code(rc), res.message);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  json_decref(body);
  json_decref(extra);
  return c;
}

/* Applies a scripted event that must succeed; returns the new case (c is released). */
static json_t *step(json_t *c, const char *role, const char *now, const char *event, const char *data_json) {
  engine_ctx_t ctx = {chart, &cal, at(now), NULL, NULL};
  engine_result_t res;
  json_t *data = data_json ? json_loads(data_json, 0, NULL) : NULL;
  int rc;
  FUZZ_CHECK(data_json == NULL || data != NULL, "bad seed JSON %s", data_json);
  rc = engine_event_apply(&ctx, c, event, data, actor_of(role), &res);
  FUZZ_CHECK(rc == 0, "%s: %s %s", event, core_err_code(rc), res.message);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  json_decref(data);
  return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  static const char route_a[] =
      "{\"verwijzer\":\"gemeente\",\"gemeente\":\"rotterdam\",\"casusregisseur\":\"cr-1\","
      "\"toestemming_gegevensdeling\":true,\"regie_intensiteit\":\"midden\","
      "\"jeugdige\":{\"naam\":\"Sam de Vries\",\"geboortedatum\":\"2012-05-01\"}}";
  static const char route_b[] =
      "{\"verwijzer\":\"huisarts\",\"gemeente\":\"rotterdam\",\"casusregisseur\":\"cr-1\","
      "\"toestemming_gegevensdeling\":false,\"aanbieder\":\"zorgaanbieder-a\","
      "\"jeugdige\":{\"naam\":\"Sam de Vries\",\"geboortedatum\":\"2012-05-01\"},"
      "\"product\":{\"code\":\"45A01\",\"begindatum\":\"2027-04-01\",\"einddatum\":\"2027-12-31\"}}";
  static const char toewijzing[] =
      "{\"aanbieder\":\"zorgaanbieder-a\",\"product\":\"45A01\",\"begindatum\":\"2027-04-01\","
      "\"einddatum\":\"2027-12-31\",\"risicotaxatie\":\"geen_risico\"}"; /* R-SAFE-1 */
  json_t *doc, *raw, *c, *zorg;
  const char *role;
  json_t *v;
  engine_problems_t p;
  int rc;
  (void)argc;
  (void)argv;
  doc = embedded_json("calendars/nl.json");
  FUZZ_CHECK(calendar_load(&cal, doc, NULL, NULL, 0) == 0, "calendar");
  json_decref(doc);
  /* The chart as the server runs it: its fragments and catalogue resolved (bundled). */
  raw = embedded_json("statecharts/jeugdhulp-rijnmond.json");
  rc = engine_chart_resolve(raw, core_fragment_get, NULL, &doc, &p);
  json_decref(raw);
  FUZZ_CHECK(rc == 0, "resolve: %d problems, first %s", p.count, p.count ? p.items[0].message : "-");
  rc = engine_chart_load(doc, &chart, &p);
  FUZZ_CHECK(rc == 0, "chart: %d problems, first %s", p.count, p.count ? p.items[0].message : "-");
  json_object_foreach(json_object_get(doc, "roles"), role, v) {
    FUZZ_CHECK(actors_count < ROLES_MAX - 1, "too many roles");
    actors[actors_count].id = "fuzz-actor";
    actors[actors_count].role = role; /* borrowed from doc, which the chart keeps */
    actors[actors_count].org = strcmp(role, "aanbieder") == 0 || strcmp(role, "aanbieder_manager") == 0
                                   ? "zorgaanbieder-a"
                                   : "rotterdam";
    actors_count++;
  }
  actors[actors_count++] = (engine_actor_t){ENGINE_ROLE_SYSTEM, ENGINE_ROLE_SYSTEM, ""};
  json_decref(doc);

  c = create("procesregisseur", "2027-03-31T10:00:00+02:00", route_a);
  case_keep("aangemeld", c, "2027-03-31T11:00:00+02:00");
  c = step(c, "procesregisseur", "2027-03-31T11:00:00+02:00", "toewijzen", toewijzing);
  case_keep("toegewezen", c, "2027-04-01T10:00:00+02:00");
  c = step(c, "aanbieder", "2027-04-01T10:00:00+02:00", "start_zorg", NULL);
  case_keep("in_zorg", c, "2027-06-01T10:00:00+02:00");
  zorg = json_incref(c);
  c = step(c, "aanbieder", "2027-04-26T10:00:00+02:00", "beeindiging_aankondigen",
           "{\"redenen\":\"herhaald geweld\"}");
  case_keep("beeindiging", c, "2027-05-03T10:00:00+02:00");
  json_decref(c);
  c = step(json_incref(zorg), "aanbieder", "2027-06-07T10:00:00+02:00", "wijziging_aanvragen",
           "{\"reden\":\"andere hulpvorm\"}");
  case_keep("wijziging", c, "2027-06-08T10:00:00+02:00");
  json_decref(c);
  c = step(json_incref(zorg), "aanbieder", "2027-04-02T10:00:00+02:00", "arrangement_betwisten",
           "{\"toelichting\":\"te licht arrangement\"}");
  case_keep("escalatie", c, "2027-04-05T10:00:00+02:00");
  json_decref(c);
  c = step(json_incref(zorg), "aanbieder", "2027-10-11T10:00:00+02:00", "verlenging_aanvragen",
           "{\"product\":\"45A01\",\"reden\":\"doelen deels behaald\",\"aanpassing_behandelplan\":\"meer "
           "sessies\",\"nieuwe_einddatum\":\"2028-06-30\"}");
  case_keep("verlenging", c, "2027-10-12T10:00:00+02:00");
  json_decref(c);
  json_decref(zorg);
  c = create("aanbieder", "2027-03-30T10:00:00+02:00", route_b);
  case_keep("verzoek", c, "2027-03-31T10:00:00+02:00");
  json_decref(c);
  return 0;
}

/* The store writes json_dumps and reads json_loadb with duplicates refused:
 * whatever the API accepts or the engine produces must come back equal. */
static void roundtrip_check(const json_t *v, const char *what) {
  char *s = json_dumps(v, JSON_COMPACT);
  json_error_t jerr;
  json_t *back;
  FUZZ_CHECK(s != NULL, "%s: json_dumps failed", what);
  back = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
  FUZZ_CHECK(back != NULL, "%s: does not reload: %s in %.200s", what, jerr.text, s);
  FUZZ_CHECK(json_equal(back, v), "%s: reloads different: %.200s", what, s);
  json_decref(back);
  free(s);
}

static bool is_refusal(int rc) {
  return rc == CASUS_EUNKNOWN_EVENT || rc == CASUS_EFORBIDDEN || rc == CASUS_ENOT_ALLOWED_IN_STATE ||
         rc == CASUS_EINVALID_DATA || rc == CASUS_EGUARD_FAILED;
}

/* What must hold of every successful result, old being the case before, of a call by role at now_s. */
static void result_check(const json_t *old, const engine_result_t *res, const char *role, int64_t now_s,
                         const char *what) {
  json_t *allowed;
  FUZZ_CHECK(res->err == 0 && res->case_ != NULL && res->effects != NULL, "%s: incomplete result", what);
  /* The result's allowed events are engine_allowed_events' for the actor's role on the new case. */
  allowed = engine_allowed_events(chart, res->case_, role, now_s, NULL);
  FUZZ_CHECK(json_equal(res->allowed_events, allowed), "%s: allowed_events differ from engine_allowed_events",
             what);
  json_decref(allowed);
  FUZZ_CHECK(json_integer_value(json_object_get(res->case_, "version")) ==
                 json_integer_value(json_object_get(old, "version")) + 1,
             "%s: version", what);
  FUZZ_CHECK(json_array_size(json_object_get(res->case_, "state")) > 0 ||
                 json_is_true(json_object_get(res->case_, "closed")),
             "%s: no state", what);
  FUZZ_CHECK(json_is_array(res->effects), "%s: effects", what);
  /* The new state must load again (a broken one would be CASUS_ESTORE_CORRUPT later). */
  allowed = engine_allowed_events(chart, res->case_, "procesregisseur", 0, NULL);
  FUZZ_CHECK(json_is_array(allowed), "%s: allowed events", what);
  json_decref(allowed);
  (void)engine_case_status(chart, res->case_);
  roundtrip_check(res->case_, what);
  if (res->history != NULL) roundtrip_check(res->history, what);
}

/* Fires every timer of c at its due moment, as the timer wheel would. */
static void timers_fire(const json_t *c) {
  const char *name;
  json_t *t;
  json_object_foreach(json_object_get(c, "timers"), name, t) {
    engine_ctx_t ctx = {chart, &cal, json_integer_value(json_object_get(t, "due_s")), NULL, NULL};
    engine_result_t res;
    int rc = engine_timer_fire(&ctx, c, name, &res);
    FUZZ_CHECK(rc == 0, "timer %s: %s %s", name, core_err_code(rc), res.message);
    FUZZ_CHECK(res.case_ != NULL && res.effects != NULL, "timer %s: no result", name);
    FUZZ_CHECK(res.allowed_events == NULL, "timer %s: allowed_events", name);
    roundtrip_check(res.case_, "timer");
    engine_result_clear(&res);
  }
}

static void event_apply_all(const char *event, const json_t *data) {
  int i, k;
  for (i = 0; i < cases_count; i++) {
    for (k = 0; k < actors_count; k++) {
      engine_ctx_t ctx = {chart, &cal, cases[i].now_s, NULL, NULL};
      engine_result_t res;
      int rc = engine_event_apply(&ctx, cases[i].case_, event, data, &actors[k], &res);
      FUZZ_CHECK(rc == res.err, "rc %d, err %d", rc, res.err);
      if (rc != 0) {
        FUZZ_CHECK(is_refusal(rc), "%s on %s as %s: unexpected %s (%s)", event, cases[i].name, actors[k].role,
                   core_err_code(rc), res.message);
        FUZZ_CHECK(res.case_ == NULL && res.history == NULL && res.allowed_events == NULL,
                   "a refusal with a result");
      } else {
        result_check(cases[i].case_, &res, actors[k].role, cases[i].now_s, event);
        timers_fire(res.case_);
      }
      engine_result_clear(&res);
    }
    FUZZ_CHECK(json_equal(cases[i].case_, cases[i].pristine), "the engine changed case %s", cases[i].name);
  }
}

static void case_create_all(const json_t *body) {
  json_t *extra = json_pack("{s:s}", "regio", "rijnmond");
  int k;
  for (k = 0; k < actors_count; k++) {
    engine_ctx_t ctx = {chart, &cal, at("2027-03-31T10:00:00+02:00"), NULL, NULL};
    engine_result_t res;
    int rc = engine_case_create(&ctx, "c-fuzz-new", body, extra, &actors[k], &res);
    FUZZ_CHECK(rc == res.err, "rc %d, err %d", rc, res.err);
    if (rc != 0) {
      FUZZ_CHECK(is_refusal(rc), "create as %s: unexpected %s (%s)", actors[k].role, core_err_code(rc),
                 res.message);
      FUZZ_CHECK(res.case_ == NULL && res.allowed_events == NULL, "a refused create with a result");
    } else {
      json_t *skel = json_pack("{s:i}", "version", 0);
      result_check(skel, &res, actors[k].role, ctx.now_s, "create");
      json_decref(skel);
      timers_fire(res.case_);
    }
    engine_result_clear(&res);
  }
  json_decref(extra);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *body = NULL, *v;
  const json_t *event, *event_data, *expected;
  const char *key;
  char msg[320];
  bool event_body = true;
  int rc;
  if (size > LIMIT_BODY_BYTES_MAX) return -1; /* the HTTP edge answers 413 first */
  rc = core_json_body_parse((const char *)data, size, &body, msg, sizeof(msg));
  if (rc != 0) {
    FUZZ_CHECK(body == NULL, "an error with a document");
    FUZZ_CHECK(rc == CASUS_EBAD_JSON || rc == CASUS_EBAD_REQUEST, "unexpected %s", core_err_code(rc));
    FUZZ_CHECK(msg[0] != '\0' && strlen(msg) < sizeof(msg), "no message");
    return 0;
  }
  FUZZ_CHECK(json_is_object(body), "not an object");
  roundtrip_check(body, "body");

  /* The API's rules for an event body (api.c, process_event). */
  event = json_object_get(body, "event");
  event_data = json_object_get(body, "data");
  expected = json_object_get(body, "expected_version");
  json_object_foreach(body, key, v) {
    if (strcmp(key, "event") != 0 && strcmp(key, "data") != 0 && strcmp(key, "expected_version") != 0)
      event_body = false;
  }
  if (!json_is_string(event) || json_string_length(event) == 0 ||
      json_string_length(event) >= LIMIT_ID_BYTES_MAX)
    event_body = false;
  if (event_data != NULL && !json_is_object(event_data)) event_body = false;
  if (expected != NULL && !json_is_integer(expected)) event_body = false;
  if (event_body) event_apply_all(json_string_value(event), event_data);
  case_create_all(body);
  json_decref(body);
  return 0;
}
