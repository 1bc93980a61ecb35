/*
 * catalog.c -- arrangement catalogues: a region's arrangements and their
 * limits as data (catalogs/<name>.json; docs/statecharts.md, "Catalogue").
 *
 *   {"catalog": "<name>", "version": 1, "title": "...", "source": "...",
 *    "arrangementen": {
 *      "<arrangement>": {
 *        "naam": "Begeleiding individueel",     the source's name
 *        "productcodes": ["..."],               codes a toewijzing may carry ([] when the source names none)
 *        "eenheid": "contactmomenten",          the unit its volume is counted in
 *        "maximale_duur": {"months": 12},       a toekenning ends before begindatum + this
 *        "verlengbaar": false,                  no verlenging (ARR crisishulp: 6 weeks in all); absent: true
 *        "maximale_omvang": 52,                 at most this many units per toekenning
 *        "maximale_contacten": 10,              at most this many contacts per toekenning
 *        "duurbanden": {"kort": {"months": 6}, "lang": {"months": 12}},  the length bands, each an upper
 * bound "complexiteit": ["laag", "midden", "hoog"],                      the complexity levels it has
 *        "varianten": ["..."],                  named variants (pleegzorg plus/basis/voogdij)
 *        "inzet_door": ["procesregisseur"],     the roles that may deploy it (absent: whoever may fire the
 * event) "niet_bij_gi": true,                   not when a GI is involved in the case "niet_samen_met":
 * ["..."],             arrangements of the catalogue it may not run alongside "bron": "..."}}} where the
 * source says so
 *
 * The engine does not interpret any of this: a chart that names a
 * catalogue ("catalog": "<name>") gets its arrangements as the table
 * "arrangementen" (engine_chart_resolve), and the chart's guards read the
 * cells with {"table": {"name": "arrangementen", "key": ..., "column": ...}}.
 * A region's configuration may name another catalogue: the server then
 * passes that catalogue's tables with each event (engine_ctx_t.tables).
 */
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "engine/problem.h"
#include "engine/value.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const catalog_keys[] = {"$schema",     "catalog", "version",      "title",
                                           "description", "source",  "arrangementen"};
static const char *const arrangement_keys[] = {
    "naam",       "productcodes", "eenheid",    "maximale_duur", "maximale_omvang", "maximale_contacten",
    "duurbanden", "complexiteit", "varianten",  "inzet_door",    "niet_bij_gi",     "niet_samen_met",
    "bron",       "description",  "verlengbaar"};
static const char *const units[] = {"uren", "minuten", "dagdelen", "etmalen", "contactmomenten", "trajecten"};
static const char *const bands[] = {"kort", "lang"};
static const char *const levels[] = {"laag", "midden", "hoog"};

static bool one_of(const char *s, const char *const *list, size_t n) {
  size_t i;
  for (i = 0; s != NULL && i < n; i++)
    if (strcmp(s, list[i]) == 0) return true;
  return false;
}

/* An array of distinct strings (each one of allowed when allowed is not NULL): a problem at path otherwise.
 */
static void strings_check(const json_t *v, const char *path, const char *const *allowed, size_t n,
                          engine_problems_t *p) {
  size_t i, j;
  json_t *item, *other;
  if (!json_is_array(v) || json_array_size(v) > LIMIT_CHART_TABLE_ROWS_MAX) {
    eng_problem_add(p, path, "must be an array of at most %d strings", LIMIT_CHART_TABLE_ROWS_MAX);
    return;
  }
  json_array_foreach(v, i, item) {
    char sub[200];
    snprintf(sub, sizeof(sub), "%.96s[%zu]", path, i);
    if (!json_is_string(item) || json_string_length(item) == 0 ||
        json_string_length(item) >= LIMIT_ID_BYTES_MAX) {
      eng_problem_add(p, sub, "must be a non-empty string shorter than %d bytes", LIMIT_ID_BYTES_MAX);
      continue;
    }
    if (allowed != NULL && !one_of(json_string_value(item), allowed, n))
      eng_problem_add(p, sub, "\"%s\" is not one of the allowed values", json_string_value(item));
    json_array_foreach(v, j, other) {
      if (j < i && json_equal(item, other))
        eng_problem_add(p, sub, "\"%s\" is listed twice", json_string_value(item));
    }
  }
}

static void count_check(const json_t *v, const char *path, engine_problems_t *p) {
  if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
    eng_problem_add(p, path, "must be an integer from 1 to 100000");
}

static void arrangement_check(const json_t *all, const char *name, const json_t *a, const char *path,
                              engine_problems_t *p) {
  const json_t *v;
  char sub[200];
  size_t i;
  json_t *item;
  if (!json_is_object(a)) {
    eng_problem_add(p, path, "an arrangement is an object (naam, eenheid, ...)");
    return;
  }
  eng_keys_check(a, arrangement_keys, COUNT(arrangement_keys), path, p);
  if (!json_is_string(json_object_get(a, "naam")))
    eng_problem_add(p, path, "\"naam\" (the source's name of the arrangement) is required");
  v = json_object_get(a, "eenheid");
  snprintf(sub, sizeof(sub), "%.96s.eenheid", path);
  if (!one_of(json_string_value(v), units, COUNT(units)))
    eng_problem_add(p, sub, "%s: uren, minuten, dagdelen, etmalen, contactmomenten or trajecten",
                    v == NULL ? "\"eenheid\" is required" : "not a unit");
  if ((v = json_object_get(a, "productcodes")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.productcodes", path);
    strings_check(v, sub, NULL, 0, p);
  }
  if ((v = json_object_get(a, "maximale_duur")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.maximale_duur", path);
    eng_duration_validate(v, sub, p);
  }
  if ((v = json_object_get(a, "maximale_omvang")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.maximale_omvang", path);
    count_check(v, sub, p);
  }
  if ((v = json_object_get(a, "maximale_contacten")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.maximale_contacten", path);
    count_check(v, sub, p);
  }
  if ((v = json_object_get(a, "duurbanden")) != NULL) {
    const char *band;
    json_t *d;
    snprintf(sub, sizeof(sub), "%.96s.duurbanden", path);
    if (!json_is_object(v) || json_object_size(v) == 0)
      eng_problem_add(p, sub, "\"duurbanden\" is {\"kort\": <duration>, \"lang\": <duration>}");
    json_object_foreach((json_t *)v, band, d) {
      snprintf(sub, sizeof(sub), "%.96s.duurbanden.%.32s", path, band);
      if (!one_of(band, bands, COUNT(bands)))
        eng_problem_add(p, sub, "a length band is \"kort\" or \"lang\"");
      else
        eng_duration_validate(d, sub, p);
    }
  }
  if ((v = json_object_get(a, "complexiteit")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.complexiteit", path);
    strings_check(v, sub, levels, COUNT(levels), p);
  }
  if ((v = json_object_get(a, "varianten")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.varianten", path);
    strings_check(v, sub, NULL, 0, p);
  }
  if ((v = json_object_get(a, "inzet_door")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.inzet_door", path);
    strings_check(v, sub, NULL, 0, p);
    if (json_array_size(v) == 0)
      eng_problem_add(p, sub, "name at least one role (or leave \"inzet_door\" out)");
  }
  if ((v = json_object_get(a, "verlengbaar")) != NULL && !json_is_boolean(v)) {
    snprintf(sub, sizeof(sub), "%.96s.verlengbaar", path);
    eng_problem_add(p, sub, "must be true or false");
  }
  if ((v = json_object_get(a, "niet_bij_gi")) != NULL && !json_is_boolean(v)) {
    snprintf(sub, sizeof(sub), "%.96s.niet_bij_gi", path);
    eng_problem_add(p, sub, "must be true or false");
  }
  if ((v = json_object_get(a, "niet_samen_met")) != NULL) {
    snprintf(sub, sizeof(sub), "%.96s.niet_samen_met", path);
    strings_check(v, sub, NULL, 0, p);
    json_array_foreach(v, i, item) {
      snprintf(sub, sizeof(sub), "%.96s.niet_samen_met[%zu]", path, i);
      if (json_is_string(item) && json_object_get(all, json_string_value(item)) == NULL)
        eng_problem_add(p, sub, "\"%s\" is not an arrangement of this catalogue", json_string_value(item));
      else if (json_is_string(item) && strcmp(json_string_value(item), name) == 0)
        eng_problem_add(p, sub, "an arrangement cannot exclude itself");
    }
  }
  if ((v = json_object_get(a, "bron")) != NULL && !json_is_string(v)) {
    snprintf(sub, sizeof(sub), "%.96s.bron", path);
    eng_problem_add(p, sub, "must be a string (where the source says so)");
  }
}

int engine_catalog_check(const json_t *doc, engine_problems_t *problems) {
  engine_problems_t local;
  engine_problems_t *p = problems ? problems : &local;
  const json_t *v, *all;
  const char *name;
  json_t *a;
  p->count = 0;
  if (!json_is_object(doc)) {
    eng_problem_add(p, "$", "a catalogue is a JSON object");
    return p->count;
  }
  eng_keys_check(doc, catalog_keys, COUNT(catalog_keys), "$", p);
  v = json_object_get(doc, "catalog");
  if (!json_is_string(v) || !engine_fragment_name_ok(json_string_value(v)))
    eng_problem_add(p, "$.catalog",
                    "\"catalog\" is required: the catalogue's name ([a-z][a-z0-9_-]*, its file name)");
  v = json_object_get(doc, "version");
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    eng_problem_add(p, "$.version", "\"version\" must be a positive integer");
  all = json_object_get(doc, "arrangementen");
  if (!json_is_object(all) || json_object_size(all) == 0) {
    eng_problem_add(p, "$.arrangementen", "\"arrangementen\" is required: an object of arrangements");
    return p->count;
  }
  if (json_object_size(all) > LIMIT_CHART_TABLE_ROWS_MAX)
    eng_problem_add(p, "$.arrangementen", "at most %d arrangements", LIMIT_CHART_TABLE_ROWS_MAX);
  json_object_foreach((json_t *)all, name, a) {
    char sub[200];
    snprintf(sub, sizeof(sub), "$.arrangementen.%.64s", name);
    if (!engine_fragment_name_ok(name))
      eng_problem_add(p, sub, "an arrangement's key is [a-z][a-z0-9_-]*, shorter than %d bytes",
                      LIMIT_ID_BYTES_MAX);
    arrangement_check(all, name, a, sub, p);
  }
  return p->count;
}

json_t *engine_catalog_tables(const json_t *doc) {
  return json_pack("{s:O}", "arrangementen", json_object_get(doc, "arrangementen"));
}
