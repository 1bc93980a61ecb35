/*
 * Arrangement catalogues (engine/catalog.c): the schema check with its
 * JSON paths, a chart resolved with the catalogue it names (its tables),
 * conditions that read the catalogue ("in" a catalogue's list, a dotted
 * column), and a region's catalogue passed with the event in place of the
 * chart's (engine_ctx_t.tables).
 */
#include <jansson.h>
#include <string.h>

#include "core/error.h"
#include "engine/engine.h"
#include "fixture.h"
#include "test.h"

static bool has_problem(const engine_problems_t *p, const char *path, const char *words) {
  int i;
  for (i = 0; i < p->count; i++)
    if (strcmp(p->items[i].path, path) == 0 && strstr(p->items[i].message, words) != NULL) return true;
  return false;
}

TEST(bundled_catalogues_are_valid) {
  const char *names[] = {"catalogs/rijnmond.json", "catalogs/alkmaar.json", "catalogs/zuid-limburg.json",
                         "catalogs/westfriesland.json", "catalogs/mijov.json"};
  size_t i;
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    engine_problems_t p;
    json_t *doc = fx_load_file(names[i]);
    ASSERT_NOT_NULL(doc);
    ASSERT_EQ(engine_catalog_check(doc, &p), 0);
    json_decref(doc);
  }
}

TEST(each_problem_names_its_path) {
  engine_problems_t p;
  json_t *doc = fx_json(
      "{\"catalog\": \"Proef\", \"version\": 0, \"extra\": 1, \"arrangementen\": {"
      " \"a\": {\"naam\": \"A\", \"eenheid\": \"liters\", \"maximale_duur\": {\"years\": 1},"
      "        \"maximale_contacten\": 0, \"duurbanden\": {\"middel\": {\"months\": 3}},"
      "        \"complexiteit\": [\"laag\", \"extreem\", \"laag\"], \"niet_samen_met\": [\"a\", \"b\"],"
      "        \"niet_bij_gi\": \"ja\", \"inzet_door\": []},"
      " \"b\": {\"eenheid\": \"uren\", \"productcodes\": [\"\"]},"
      " \"Fout\": {\"naam\": \"F\", \"eenheid\": \"uren\"}}}");
  ASSERT_GT(engine_catalog_check(doc, &p), 0);
  ASSERT(has_problem(&p, "$.catalog", "the catalogue's name"));
  ASSERT(has_problem(&p, "$.version", "positive integer"));
  ASSERT(has_problem(&p, "$", "extra"));
  ASSERT(has_problem(&p, "$.arrangementen.a.eenheid", "not a unit"));
  ASSERT(has_problem(&p, "$.arrangementen.a.maximale_duur", "unknown duration unit \"years\""));
  ASSERT(has_problem(&p, "$.arrangementen.a.maximale_contacten", "from 1"));
  ASSERT(has_problem(&p, "$.arrangementen.a.duurbanden.middel", "\"kort\" or \"lang\""));
  ASSERT(has_problem(&p, "$.arrangementen.a.complexiteit[1]", "\"extreem\""));
  ASSERT(has_problem(&p, "$.arrangementen.a.complexiteit[2]", "listed twice"));
  ASSERT(has_problem(&p, "$.arrangementen.a.niet_samen_met[0]", "cannot exclude itself"));
  ASSERT(has_problem(&p, "$.arrangementen.a.niet_bij_gi", "true or false"));
  ASSERT(has_problem(&p, "$.arrangementen.a.inzet_door", "at least one role"));
  ASSERT(has_problem(&p, "$.arrangementen.b", "\"naam\""));
  ASSERT(has_problem(&p, "$.arrangementen.b.productcodes[0]", "non-empty"));
  ASSERT(has_problem(&p, "$.arrangementen.Fout", "[a-z][a-z0-9_-]*"));
  json_decref(doc);
  doc = fx_json("[]");
  ASSERT_EQ(engine_catalog_check(doc, &p), 1);
  json_decref(doc);
}

/* A chart whose "toewijzen" is refused by the catalogue: R-MON-8 (its maximale_duur), R-ARR-3 (inzet_door,
 * a list the actor's role must be "in"), R-ARR-2 (a band, read by a dotted column). */
static const char *const chart_text =
    "{\"id\": \"c\", \"version\": 1, \"catalog\": \"proef\","
    " \"roles\": {\"x\": {\"org_field\": \"org\"}, \"y\": {\"org_field\": \"org\"}},"
    " \"create\": [{\"event\": \"open\", \"roles\": [\"x\"], \"target\": \"a\"}],"
    " \"root\": {\"states\": {"
    "   \"a\": {\"transitions\": [{\"event\": \"toewijzen\", \"roles\": [\"x\", \"y\"], \"target\": \"b\","
    "     \"data\": {\"arrangement\": {\"type\": \"string\", \"required\": true},"
    "              \"begindatum\": {\"type\": \"date\", \"required\": true},"
    "              \"einddatum\": {\"type\": \"date\", \"required\": true},"
    "              \"duur\": {\"type\": \"string\", \"enum\": [\"kort\"]}},"
    "     \"guards\": ["
    "       {\"check\": {\"any\": [{\"value\": {\"table\": {\"name\": \"arrangementen\", \"key\": {\"path\": "
    "\"data.arrangement\"}, \"column\": \"maximale_duur\"}}, \"exists\": false},"
    "          {\"path\": \"data.einddatum\", \"lt\": {\"date\": {\"from\": \"data.begindatum\", \"after\": "
    "{\"table\": {\"name\": \"arrangementen\", \"key\": {\"path\": \"data.arrangement\"}, \"column\": "
    "\"maximale_duur\"}}}}}]}, \"rule\": \"R-MON-8\", \"message\": \"te lang\"},"
    "       {\"check\": {\"any\": [{\"value\": {\"table\": {\"name\": \"arrangementen\", \"key\": {\"path\": "
    "\"data.arrangement\"}, \"column\": \"inzet_door\"}}, \"exists\": false},"
    "          {\"path\": \"actor.role\", \"in\": {\"table\": {\"name\": \"arrangementen\", \"key\": "
    "{\"path\": "
    "\"data.arrangement\"}, \"column\": \"inzet_door\"}}}]}, \"rule\": \"R-ARR-3\", \"message\": \"niet door "
    "jou\"},"
    "       {\"check\": {\"any\": [{\"path\": \"data.duur\", \"exists\": false},"
    "          {\"path\": \"data.einddatum\", \"lt\": {\"date\": {\"from\": \"data.begindatum\", \"after\": "
    "{\"table\": {\"name\": \"arrangementen\", \"key\": {\"path\": \"data.arrangement\"}, \"column\": "
    "\"duurbanden.kort\"}}}}}]}, \"rule\": \"R-ARR-2\", \"message\": \"niet kort\"}]},"
    /* offered only to the roles the catalogue's regie names: a "when" that reads the catalogue */
    "     {\"event\": \"regie_inzetten\", \"roles\": [\"x\", \"y\"], \"rule\": \"R-ARR-3\","
    "      \"when\": {\"path\": \"actor.role\", \"in\": {\"table\": {\"name\": \"arrangementen\", \"key\": "
    "\"regie\", \"column\": \"inzet_door\"}}}}]},"
    "   \"b\": {\"type\": \"final\"}}}}";

static const char *const catalog_text =
    "{\"catalog\": \"proef\", \"version\": 3, \"arrangementen\": {"
    " \"crisis\": {\"naam\": \"Crisis\", \"eenheid\": \"uren\", \"maximale_duur\": {\"weeks\": 6}},"
    " \"regie\": {\"naam\": \"Regie\", \"eenheid\": \"trajecten\", \"inzet_door\": [\"x\"]},"
    " \"begeleiding\": {\"naam\": \"B\", \"eenheid\": \"uren\", \"duurbanden\": {\"kort\": {\"months\": "
    "6}}}}}";

static json_t *get_doc(void *ud, const char *kind, const char *name, char *msg, size_t msg_size) {
  (void)ud;
  if (strcmp(kind, ENGINE_DOC_CATALOG) == 0 && strcmp(name, "proef") == 0) return fx_json(catalog_text);
  if (strcmp(kind, ENGINE_DOC_CATALOG) == 0 && strcmp(name, "kapot") == 0)
    return fx_json("{\"catalog\": \"kapot\", \"version\": 1, \"arrangementen\": {\"a\": {\"naam\": \"A\"}}}");
  snprintf(msg, msg_size, "no %s %s", kind, name);
  return NULL;
}

TEST(chart_resolves_its_catalogue) {
  engine_problems_t p;
  json_t *doc = fx_json(chart_text), *out = NULL;
  ASSERT_EQ(engine_chart_resolve(doc, get_doc, NULL, &out, &p), 0);
  ASSERT_NOT_NULL(out);
  ASSERT(json_object_get(json_object_get(json_object_get(out, "tables"), "arrangementen"), "crisis") != NULL);
  ASSERT_EQ(json_integer_value(json_object_get(out, "catalog_version")), 3);
  ASSERT_EQ(engine_chart_check(out, &p), 0);
  /* Resolving the resolved chart again changes nothing (an exported chart loads as it is). */
  {
    json_t *again = NULL;
    ASSERT_EQ(engine_chart_resolve(out, get_doc, NULL, &again, &p), 0);
    ASSERT(json_equal(again, out));
    json_decref(again);
  }
  json_decref(out);
  /* An unknown catalogue, a bad one, and a chart that declares the catalogue's table itself. */
  json_object_set_new(doc, "catalog", json_string("weg"));
  ASSERT_EQ(engine_chart_resolve(doc, get_doc, NULL, &out, &p), CASUS_ECHART_INVALID);
  ASSERT(has_problem(&p, "$.catalog", "catalogue \"weg\": no catalog weg"));
  json_object_set_new(doc, "catalog", json_string("kapot"));
  ASSERT_EQ(engine_chart_resolve(doc, get_doc, NULL, &out, &p), CASUS_ECHART_INVALID);
  ASSERT(has_problem(&p, "$.catalog", "catalogue kapot: $.arrangementen.a.eenheid"));
  json_object_set_new(doc, "catalog", json_string("proef"));
  json_object_set_new(doc, "tables", fx_json("{\"arrangementen\": {}}"));
  ASSERT_EQ(engine_chart_resolve(doc, get_doc, NULL, &out, &p), CASUS_ECHART_INVALID);
  ASSERT(has_problem(&p, "$.tables", "comes from the catalogue"));
  json_decref(doc);
}

TEST(guards_read_the_catalogue_and_a_region_may_replace_it) {
  engine_problems_t p;
  engine_actor_t x = {"x1", "x", "o"}, y = {"y1", "y", "o"};
  json_t *doc = fx_json(chart_text), *resolved = NULL, *c, *kort;
  engine_chart_t *chart;
  int64_t now = fx_t("2027-04-01T09:00:00+02:00");
  ASSERT_EQ(engine_chart_resolve(doc, get_doc, NULL, &resolved, &p), 0);
  chart = fx_chart_load(resolved);
  c = fx_create(chart, now, &x, "c1", NULL, NULL, 0, NULL);
  ASSERT_NOT_NULL(c);
  fx_refused(chart, c, now, &x, "toewijzen",
             "{\"arrangement\": \"crisis\", \"begindatum\": \"2027-04-01\", \"einddatum\": \"2027-05-13\"}",
             CASUS_EGUARD_FAILED, "R-MON-8");
  fx_refused(chart, c, now, &y, "toewijzen",
             "{\"arrangement\": \"regie\", \"begindatum\": \"2027-04-01\", \"einddatum\": \"2027-05-13\"}",
             CASUS_EGUARD_FAILED, "R-ARR-3");
  fx_refused(chart, c, now, &x, "toewijzen",
             "{\"arrangement\": \"begeleiding\", \"duur\": \"kort\", \"begindatum\": \"2027-04-01\","
             " \"einddatum\": \"2027-10-01\"}",
             CASUS_EGUARD_FAILED, "R-ARR-2");
  /* The region's catalogue (engine_ctx_t.tables) takes the place of the chart's: crisis 2 weeks. */
  kort = fx_json(
      "{\"arrangementen\": {\"crisis\": {\"naam\": \"C\", \"eenheid\": \"uren\","
      " \"maximale_duur\": {\"weeks\": 2}}}}");
  {
    engine_ctx_t ctx = {chart, &fx_cal, now, NULL, kort};
    engine_result_t res;
    json_t *data = fx_json(
        "{\"arrangement\": \"crisis\", \"begindatum\": \"2027-04-01\", \"einddatum\": \"2027-04-20\"}");
    ASSERT_EQ(engine_event_apply(&ctx, c, "toewijzen", data, &x, &res), CASUS_EGUARD_FAILED);
    ASSERT_STR_EQ(res.rule, "R-MON-8");
    engine_result_clear(&res);
    ctx.tables = NULL; /* the chart's own: 6 weeks */
    ASSERT_EQ(engine_event_apply(&ctx, c, "toewijzen", data, &x, &res), 0);
    engine_result_clear(&res);
    json_decref(data);
  }
  c = fx_apply(chart, c, now, &x, "toewijzen",
               "{\"arrangement\": \"regie\", \"begindatum\": \"2027-04-01\", \"einddatum\": \"2027-05-13\"}",
               0, NULL);
  json_decref(c);
  json_decref(kort);
  engine_chart_free(chart);
  json_decref(resolved);
  json_decref(doc);
}

static bool lists(const json_t *events, const char *event) {
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) {
    if (strcmp(json_string_value(e), event) == 0) return true;
  }
  return false;
}

/* allowed_events evaluates "when" with the tables the event is applied with: a region whose catalogue
 * lets role y deploy regie is offered regie_inzetten, the chart's default catalogue (x only) is not;
 * applying the event agrees, and the result's allowed_events are engine_allowed_events' with the same
 * tables. */
TEST(allowed_events_see_the_region_catalogue) {
  engine_problems_t p;
  engine_actor_t x = {"x1", "x", "o"}, y = {"y1", "y", "o"};
  json_t *doc = fx_json(chart_text), *resolved = NULL, *c, *ruim, *ev, *want;
  engine_chart_t *chart;
  engine_result_t res;
  int64_t now = fx_t("2027-04-01T09:00:00+02:00");
  ASSERT_EQ(engine_chart_resolve(doc, get_doc, NULL, &resolved, &p), 0);
  chart = fx_chart_load(resolved);
  c = fx_create(chart, now, &x, "c1", NULL, NULL, 0, NULL);
  ASSERT_NOT_NULL(c);
  ruim = fx_json(
      "{\"arrangementen\": {\"regie\": {\"naam\": \"R\", \"eenheid\": \"trajecten\","
      " \"inzet_door\": [\"x\", \"y\"]}}}");
  ev = engine_allowed_events(chart, c, "y", now, NULL);
  ASSERT(!lists(ev, "regie_inzetten"));
  ASSERT(lists(ev, "toewijzen"));
  json_decref(ev);
  ev = engine_allowed_events(chart, c, "y", now, ruim);
  ASSERT(lists(ev, "regie_inzetten"));
  json_decref(ev);
  {
    engine_ctx_t ctx = {chart, &fx_cal, now, NULL, NULL};
    json_t *data = json_object();
    ASSERT(engine_event_apply(&ctx, c, "regie_inzetten", data, &y, &res) != 0);
    engine_result_clear(&res);
    ctx.tables = ruim;
    ASSERT_EQ(engine_event_apply(&ctx, c, "regie_inzetten", data, &y, &res), 0);
    want = engine_allowed_events(chart, res.case_, "y", now, ruim);
    ASSERT(json_equal(res.allowed_events, want));
    ASSERT(lists(res.allowed_events, "regie_inzetten"));
    json_decref(want);
    engine_result_clear(&res);
    json_decref(data);
  }
  json_decref(c);
  json_decref(ruim);
  engine_chart_free(chart);
  json_decref(resolved);
  json_decref(doc);
}

#define TEST_LIST(X)                                       \
  X(bundled_catalogues_are_valid)                          \
  X(each_problem_names_its_path)                           \
  X(chart_resolves_its_catalogue)                          \
  X(guards_read_the_catalogue_and_a_region_may_replace_it) \
  X(allowed_events_see_the_region_catalogue)

TEST_MAIN(TEST_LIST)
