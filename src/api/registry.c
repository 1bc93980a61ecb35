/*
 * registry.c -- the loaded charts (bundled or from --charts DIR), the
 * regions of the configuration and their working-day calendars, and the
 * read-only chart routes.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/embedded.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/sha256.h"

const engine_chart_t *api__chart_by_ref(const api_t *api, const char *ref) {
  int i;
  for (i = 0; ref && i < api->charts_count; i++)
    if (strcmp(engine_chart_ref(api->charts[i]), ref) == 0) return api->charts[i];
  return NULL;
}

/* The newest version of chart id. */
const engine_chart_t *api__chart_by_id(const api_t *api, const char *id) {
  const engine_chart_t *best = NULL;
  int i;
  for (i = 0; id && i < api->charts_count; i++)
    if (strcmp(engine_chart_id(api->charts[i]), id) == 0 &&
        (best == NULL || engine_chart_version(api->charts[i]) > engine_chart_version(best)))
      best = api->charts[i];
  return best;
}

/* Loads the chart doc from where, its fragments from dir/common (NULL: the bundled ones). */
static int chart_add(api_t *api, const json_t *doc, const char *where, const char *dir, char *err,
                     size_t err_size) {
  engine_problems_t p;
  engine_chart_t *c;
  json_t *resolved;
  int rc;
  if (api->charts_count >= LIMIT_CHARTS_MAX) {
    snprintf(err, err_size, "more than %d charts", LIMIT_CHARTS_MAX);
    return CASUS_ECHART_INVALID;
  }
  rc = engine_chart_resolve(doc, core_fragment_get, (void *)dir, &resolved, &p);
  if (rc == 0) {
    rc = engine_chart_load(resolved, &c, &p);
    json_decref(resolved);
  }
  if (rc != 0) {
    snprintf(err, err_size, "chart %s is invalid: %s: %s (run casusd statechart check)", where,
             p.count ? p.items[0].path : "$", p.count ? p.items[0].message : core_err_message(rc));
    return rc;
  }
  if (api__chart_by_ref(api, engine_chart_ref(c)) != NULL) {
    snprintf(err, err_size, "chart %s is loaded twice", engine_chart_ref(c));
    engine_chart_free(c);
    return CASUS_ECHART_INVALID;
  }
  api->charts[api->charts_count++] = c;
  return 0;
}

int api__charts_load(api_t *api, const char *dir, char *err, size_t err_size) {
  int rc;
  if (dir == NULL) {
    const embedded_file_t *f;
    for (f = embedded_files; f->path != NULL; f++) {
      json_t *doc;
      /* Charts, not the fragments they include (statecharts/common/). */
      if (strncmp(f->path, "statecharts/", 12) != 0 || strchr(f->path + 12, '/') != NULL) continue;
      doc = core_json_loadb(f->data, f->bytes, JSON_REJECT_DUPLICATES, NULL);
      rc = doc ? chart_add(api, doc, f->path, NULL, err, err_size) : CASUS_ECHART_INVALID;
      json_decref(doc);
      if (rc != 0) return rc;
    }
    return 0;
  }
  {
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL) {
      snprintf(err, err_size, "cannot open charts folder %s", dir);
      return CASUS_EIO;
    }
    while ((e = readdir(d)) != NULL) {
      char path[1024];
      char msg[256];
      json_t *doc;
      size_t n = strlen(e->d_name);
      if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
      snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
      doc = core_json_file_load(path, LIMIT_CHART_BYTES_MAX, "statechart", msg, sizeof(msg));
      if (doc == NULL) {
        snprintf(err, err_size, "%s: %s", path, msg);
        closedir(d);
        return CASUS_ECHART_INVALID;
      }
      rc = chart_add(api, doc, path, dir, err, err_size);
      json_decref(doc);
      if (rc != 0) {
        closedir(d);
        return rc;
      }
    }
    closedir(d);
  }
  return 0;
}

void api__region_tables_free(api_t *api) {
  int i;
  for (i = 0; api->region_tables != NULL && i < api->cfg.regions_count; i++)
    json_decref(api->region_tables[i]);
  free(api->region_tables);
  api->region_tables = NULL;
  for (i = 0; api->region_catalogs != NULL && i < api->cfg.regions_count; i++)
    json_decref(api->region_catalogs[i]);
  free(api->region_catalogs);
  api->region_catalogs = NULL;
}

/* The catalogue a region's configuration names instead of its chart's: its tables in
 * api->region_tables[i], or a sentence in err (the catalogue's first problem by JSON path). */
static int region_catalog_load(api_t *api, int i, const engine_chart_t *c, const char *dir, char *err,
                               size_t err_size) {
  const auth_region_t *r = &api->cfg.regions[i];
  const char *dflt = json_string_value(json_object_get(engine_chart_json(c), "catalog"));
  engine_problems_t p;
  char msg[256];
  json_t *doc;
  if (r->catalog[0] == '\0' || (dflt != NULL && strcmp(dflt, r->catalog) == 0)) return 0;
  if (!engine_fragment_name_ok(r->catalog)) {
    snprintf(err, err_size, "region \"%s\": \"catalog\" must be a name ([a-z][a-z0-9_-]*)", r->name);
    return CASUS_ECONFIG_INVALID;
  }
  msg[0] = '\0';
  doc = core_catalog_load(dir, r->catalog, msg, sizeof(msg));
  if (doc == NULL) {
    snprintf(err, err_size, "region \"%s\": catalogue \"%s\": %s", r->name, r->catalog, msg);
    return CASUS_ECONFIG_INVALID;
  }
  if (engine_catalog_check(doc, &p) > 0) {
    snprintf(err, err_size, "region \"%s\": catalogue \"%s\" is invalid: %s: %s (run casusd catalog check)",
             r->name, r->catalog, p.items[0].path, p.items[0].message);
    json_decref(doc);
    return CASUS_ECONFIG_INVALID;
  }
  api->region_tables[i] = engine_catalog_tables(doc);
  api->region_catalogs[i] =
      json_sprintf("%s@%lld", r->catalog, (long long)json_integer_value(json_object_get(doc, "version")));
  json_decref(doc);
  return api->region_tables[i] && api->region_catalogs[i] ? 0 : CASUS_ENOMEM;
}

const char *api__catalog_of_case(const api_t *api, const engine_chart_t *chart, const json_t *case_,
                                 char *out, size_t out_size) {
  const char *regio = json_string_value(json_object_get(json_object_get(case_, "fields"), "regio"));
  const json_t *doc = engine_chart_json(chart);
  const char *dflt = json_string_value(json_object_get(doc, "catalog"));
  int i;
  for (i = 0; regio && api->region_catalogs && i < api->cfg.regions_count; i++)
    if (strcmp(api->cfg.regions[i].name, regio) == 0 && api->region_catalogs[i] != NULL) {
      snprintf(out, out_size, "%s", json_string_value(api->region_catalogs[i]));
      return out;
    }
  if (dflt != NULL)
    snprintf(out, out_size, "%s@%lld", dflt,
             (long long)json_integer_value(json_object_get(doc, "catalog_version")));
  else
    snprintf(out, out_size, "%s", "");
  return out;
}

const json_t *api__tables_of_case(const api_t *api, const json_t *case_) {
  const char *regio = json_string_value(json_object_get(json_object_get(case_, "fields"), "regio"));
  int i;
  for (i = 0; regio && api->region_tables && i < api->cfg.regions_count; i++)
    if (strcmp(api->cfg.regions[i].name, regio) == 0) return api->region_tables[i];
  return NULL;
}

int api__regions_prepare(api_t *api, const char *charts_dir, char *err, size_t err_size) {
  int i;
  api->calendars = calloc((size_t)api->cfg.regions_count, sizeof(calendar_t));
  if (api->calendars == NULL) return CASUS_ENOMEM;
  api->region_tables = calloc((size_t)api->cfg.regions_count, sizeof(json_t *));
  if (api->region_tables == NULL) return CASUS_ENOMEM;
  api->region_catalogs = calloc((size_t)api->cfg.regions_count, sizeof(json_t *));
  if (api->region_catalogs == NULL) return CASUS_ENOMEM;
  for (i = 0; i < api->cfg.regions_count; i++) {
    const auth_region_t *r = &api->cfg.regions[i];
    const engine_chart_t *c = api__chart_by_id(api, r->chart);
    char rel[128], cerr[160];
    json_t *doc;
    int rc;
    if (c == NULL) {
      snprintf(err, err_size, "region \"%s\" names chart \"%s\", which is not loaded", r->name, r->chart);
      return CASUS_ECONFIG_INVALID;
    }
    snprintf(rel, sizeof(rel), "calendars/%s.json", engine_chart_calendar(c));
    doc = core_bundled_json(rel);
    if (doc == NULL) {
      snprintf(err, err_size, "chart \"%s\" names calendar \"%s\", which is not bundled", r->chart,
               engine_chart_calendar(c));
      return CASUS_ECONFIG_INVALID;
    }
    rc = calendar_load(&api->calendars[i], doc, r->holidays, cerr, sizeof(cerr));
    json_decref(doc);
    if (rc != 0) {
      snprintf(err, err_size, "region \"%s\": calendar: %s", r->name, cerr);
      return rc;
    }
    rc = region_catalog_load(api, i, c, charts_dir, err, err_size);
    if (rc != 0) return rc;
  }
  return 0;
}

const calendar_t *api__calendar_of_case(const api_t *api, const json_t *case_) {
  const char *regio = json_string_value(json_object_get(json_object_get(case_, "fields"), "regio"));
  int i;
  for (i = 0; regio && i < api->cfg.regions_count; i++)
    if (strcmp(api->cfg.regions[i].name, regio) == 0) return &api->calendars[i];
  return api->cfg.regions_count ? &api->calendars[0] : NULL;
}

void api__handle_charts(call_t *c) {
  json_t *list = json_array();
  int i;
  for (i = 0; i < c->api->charts_count; i++) {
    const engine_chart_t *ch = c->api->charts[i];
    json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:O?}", "id", engine_chart_id(ch), "version",
                                          engine_chart_version(ch), "ref", engine_chart_ref(ch), "title",
                                          json_object_get(engine_chart_json(ch), "title")));
  }
  api__reply_json(c->req, 200, json_pack("{s:o}", "statecharts", list));
}

/* Whether a create entry of chart admits role. */
static bool chart_creates_for(const engine_chart_t *ch, const char *role) {
  const json_t *entry, *r;
  size_t i, j;
  json_array_foreach(json_object_get(engine_chart_json(ch), "create"), i, entry) {
    json_array_foreach(json_object_get(entry, "roles"), j, r) {
      if (json_is_string(r) && strcmp(json_string_value(r), role) == 0) return true;
    }
  }
  return false;
}

/* Whether org works in region: one of its gemeenten, the region itself (a
 * contractmanager's, a zbt's org) or one of its GIs. */
static bool region_is_home(const auth_config_t *cfg, const auth_region_t *r, const char *org) {
  return strcmp(r->name, org) == 0 || auth_region_has_gi(r, org) || auth_region_of(cfg, org) == r;
}

/* GET /v1/me's "creates": the charts new cases get in the regions the
 * caller works in (its gemeente's, its GI's, its own region's), whose
 * create entries admit its role; an organisation that is none of those (an
 * aanbieder, which may ask for a toewijzing in any region) gets every
 * region's.  Each chart once, in the configuration's order.  "now" is the
 * service's clock. */
void api__handle_me(call_t *c) {
  const auth_config_t *cfg = &c->api->cfg;
  json_t *creates = json_array();
  char now[32];
  bool home_only = false;
  int i;
  for (i = 0; i < cfg->regions_count; i++)
    home_only = home_only || region_is_home(cfg, &cfg->regions[i], c->actor->org);
  for (i = 0; creates != NULL && i < cfg->regions_count; i++) {
    const auth_region_t *r = &cfg->regions[i];
    const engine_chart_t *ch = api__chart_by_id(c->api, r->chart);
    const json_t *seen;
    size_t j;
    bool dup = false;
    if (ch == NULL || (home_only && !region_is_home(cfg, r, c->actor->org)) ||
        !chart_creates_for(ch, c->actor->role))
      continue;
    json_array_foreach(creates, j, seen) {
      dup = dup || strcmp(json_string_value(seen), r->chart) == 0;
    }
    if (!dup) json_array_append_new(creates, json_string(r->chart));
  }
  /* The service's clock, which --clock manual may set apart from the
   * caller's: the werkbank counts days left from it. */
  cal_time_format(timers_now(c->api->timers), now, sizeof(now));
  api__reply_json(c->req, 200,
                  json_pack("{s:s, s:s, s:s, s:o*, s:s}", "id", c->actor->id, "role", c->actor->role, "org",
                            c->actor->org, "creates", creates, "now", now));
}

void api__handle_chart(call_t *c) {
  const engine_chart_t *ch =
      strchr(c->param, '@') ? api__chart_by_ref(c->api, c->param) : api__chart_by_id(c->api, c->param);
  if (ch == NULL) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "No chart of that id is loaded.", NULL);
    return;
  }
  api__reply_json(c->req, 200, json_deep_copy(engine_chart_json(ch)));
}
