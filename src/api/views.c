/*
 * views.c -- the case as one actor may see it: allowed events, deadlines,
 * and for anonymised views (R-PRIV-1) a keyed pseudonym and an age band in
 * place of the chart's identifying fields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/sha256.h"

static const char *age_band(const char *birth, int64_t now_s) {
  cal_day_t b, n = cal_local_day(now_s);
  int by, bm, bd, ny, nm, nd, age;
  if (birth == NULL || cal_day_parse(birth, &b) != 0) return "onbekend";
  cal_day_to_ymd(b, &by, &bm, &bd);
  cal_day_to_ymd(n, &ny, &nm, &nd);
  age = ny - by - ((nm < bm || (nm == bm && nd < bd)) ? 1 : 0);
  if (age < 4) return "0-3";
  if (age < 12) return "4-11";
  if (age < 16) return "12-15";
  if (age < 18) return "16-17";
  return "18+";
}

/* Replaces the chart's identifying fields of `fields` (in place) by a
 * pseudonym and an age band.  One function for every anonymised output:
 * case views, history entries and list items.  The pseudonym is derived
 * from the case's own fields (`case_fields`), not from `fields`, so that a
 * history entry whose data holds no jeugdige carries the same pseudonym as
 * the case view. */
void api__anonymise_fields(const api_t *api, const engine_chart_t *chart, json_t *fields,
                           const json_t *case_fields, const char *case_id, int64_t now_s, const char *birth) {
  const json_t *privacy = json_object_get(engine_chart_json(chart), "privacy");
  size_t i;
  json_t *f;
  uint8_t digest[32];
  char hex[65], pseudo[16];
  char *seed;
  if (!json_is_object(fields)) return;
  /* Keyed by the store's secret: the same jeugdige gets the same pseudonym
   * in every case (a contractmanager can see that escalations concern one
   * child), yet nobody without the secret can test a guessed identity. */
  seed = core_json_dumps(json_object_get(case_fields, "jeugdige"),
                         JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  if (seed == NULL || strcmp(seed, "null") == 0) {
    free(seed);
    seed = strdup(case_id ? case_id : "");
  }
  sha256_hmac(api->secret, sizeof(api->secret), seed ? seed : "", seed ? strlen(seed) : 0, digest);
  free(seed);
  sha256_to_hex(digest, hex);
  snprintf(pseudo, sizeof(pseudo), "J-%.10s", hex);
  json_array_foreach(json_object_get(privacy, "identifying_fields"), i, f) {
    json_object_del(fields, json_string_value(f));
  }
  json_object_set_new(fields, "pseudoniem", json_string(pseudo));
  json_object_set_new(fields, "leeftijdscategorie", json_string(age_band(birth, now_s)));
}

static bool kept(const json_t *keeps, const char *name) {
  size_t i;
  json_t *k;
  json_array_foreach(keeps, i, k) {
    if (strcmp(json_string_value(k), name) == 0) return true;
  }
  return false;
}

/* Keeps, at every depth, only the members named in keeps: fail-safe, so a
 * free-text field a chart adds later is withheld until someone decides it
 * may be shown.  Depth-bounded: a stored case is at most
 * LIMIT_JSON_DEPTH_MAX deep (request bodies are). */
static void withhold(const json_t *keeps, json_t *v, int depth) {
  size_t i;
  json_t *m;
  const char *name;
  void *tmp;
  if (depth > LIMIT_JSON_DEPTH_MAX) {
    if (json_is_object(v)) json_object_clear(v);
    if (json_is_array(v)) json_array_clear(v);
    return;
  }
  if (json_is_object(v)) {
    json_object_foreach_safe(v, tmp, name, m) {
      if (!kept(keeps, name))
        json_object_del(v, name);
      else
        withhold(keeps, m, depth + 1);
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, m) {
      withhold(keeps, m, depth + 1);
    }
  }
}

void api__withhold_free_text(const engine_chart_t *chart, json_t *v) {
  const json_t *privacy = json_object_get(engine_chart_json(chart), "privacy");
  withhold(json_object_get(privacy, "restricted_view_keeps"), v, 0);
}

const char *api__birthdate_of(const engine_chart_t *chart, const json_t *case_) {
  const json_t *privacy = json_object_get(engine_chart_json(chart), "privacy");
  const char *path = json_string_value(json_object_get(privacy, "birthdate_field"));
  return path ? json_string_value(engine_path_get(json_object_get(case_, "fields"), path)) : NULL;
}

json_t *api__case_view(const api_t *api, const engine_chart_t *chart, const json_t *case_,
                       const auth_actor_t *actor, const json_t *allowed) {
  int64_t now = timers_now(api->timers);
  json_t *v = json_object(), *deadlines = json_array();
  const char *name;
  json_t *t;
  /* "notified": when the case reached a role that sees only such cases (R-PRIV-1). */
  /* "archiefactiedatum": when a closed case's file is destroyed (R-RET-1). */
  /* "catalogus": the arrangement catalogue its events were checked against (apply.c). */
  static const char *const copy[] = {
      "id",       "chart",   "catalogus", "version",  "status",           "state", "closed", "flags",
      "counters", "created", "updated",   "notified", "archiefactiedatum"};
  size_t i;
  for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
    if (json_object_get(case_, copy[i]) != NULL) json_object_set(v, copy[i], json_object_get(case_, copy[i]));
  if (allowed != NULL)
    json_object_set(v, "allowed_events", (json_t *)allowed);
  else
    /* The region's catalogue, as applying an event uses (api__tables_of_case). */
    json_object_set_new(
        v, "allowed_events",
        engine_allowed_events(chart, case_, actor->role, now, api__tables_of_case(api, case_)));
  json_object_foreach(json_object_get(case_, "timers"), name, t) {
    json_t *d = json_object();
    char fires[32];
    cal_time_format(json_integer_value(json_object_get(t, "due_s")), fires, sizeof(fires));
    if (json_object_get(t, "kind") != NULL)
      json_object_set(d, "kind", json_object_get(t, "kind"));
    else
      json_object_set_new(d, "kind", json_string(name));
    json_object_set(d, "due", json_object_get(t, "due"));
    json_object_set_new(d, "fires_at", json_string(fires));
    json_object_set_new(d, "timer", json_string(name));
    json_object_set(d, "event", json_object_get(t, "event"));
    if (json_object_get(t, "rule")) json_object_set(d, "rule", json_object_get(t, "rule"));
    json_array_append_new(deadlines, d);
  }
  json_object_set_new(v, "deadlines", deadlines);
  if (auth_case_anonymised(chart, actor, case_) || auth_case_withholds_free_text(chart, actor)) {
    /* Only an anonymised view needs its own copy of the fields to change. */
    json_t *fields = json_deep_copy(json_object_get(case_, "fields"));
    if (auth_case_anonymised(chart, actor, case_)) {
      api__anonymise_fields(api, chart, fields, json_object_get(case_, "fields"),
                            json_string_value(json_object_get(case_, "id")), now,
                            api__birthdate_of(chart, case_));
      json_object_set_new(v, "anoniem", json_true());
    }
    if (auth_case_withholds_free_text(chart, actor)) {
      api__withhold_free_text(chart, fields);
      json_object_set_new(v, "vrije_tekst_achtergehouden", json_true());
    }
    json_object_set_new(v, "fields", fields);
  } else {
    json_object_set(v, "fields", json_object_get(case_, "fields"));
  }
  return v;
}
