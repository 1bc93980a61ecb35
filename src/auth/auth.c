/*
 * auth.c -- configuration, bearer tokens, organisation scoping.
 */
#include "auth/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/sha256.h"

static int fail(char *err, size_t err_size, const char *msg, const char *arg) {
  if (err != NULL && err_size > 0) snprintf(err, err_size, msg, arg ? arg : "");
  return CASUS_ECONFIG_INVALID;
}

static bool copy_id(char *dst, size_t size, const json_t *v) {
  const char *s = json_string_value(v);
  if (s == NULL || s[0] == '\0' || strlen(s) >= size) return false;
  memcpy(dst, s, strlen(s) + 1);
  return true;
}

static int hex_decode(const char *hex, uint8_t out[32]) {
  int i;
  if (hex == NULL || strlen(hex) != 64) return -1;
  for (i = 0; i < 64; i++) {
    char c = hex[i];
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return -1;
    if (i % 2 == 0)
      out[i / 2] = (uint8_t)(v << 4);
    else
      out[i / 2] |= (uint8_t)v;
  }
  return 0;
}

/* "rate_limit": {"writes_per_second": N, "burst": M}, each optional (the
 * LIMIT_RATE_* defaults); writes_per_second 0 switches the limit off. */
static int rate_limit_load(auth_config_t *cfg, const json_t *v, char *err, size_t err_size) {
  const json_t *rate = json_object_get(v, "writes_per_second"), *burst = json_object_get(v, "burst");
  const char *key;
  json_t *m;
  char msg[160];
  if (!json_is_object(v))
    return fail(err, err_size, "\"rate_limit\" must be an object {\"writes_per_second\": N, \"burst\": M}%s",
                NULL);
  json_object_foreach((json_t *)v, key, m) {
    if (strcmp(key, "writes_per_second") && strcmp(key, "burst") && strcmp(key, "description"))
      return fail(err, err_size, "unknown key \"%s\" in \"rate_limit\"", key);
  }
  if (rate != NULL) {
    if (!json_is_number(rate) || json_number_value(rate) < 0 ||
        json_number_value(rate) > LIMIT_RATE_WRITES_PER_SECOND_MAX) {
      snprintf(msg, sizeof(msg), "\"rate_limit.writes_per_second\" must be a number from 0 (no limit) to %d",
               LIMIT_RATE_WRITES_PER_SECOND_MAX);
      return fail(err, err_size, "%s", msg);
    }
    cfg->rate_writes_per_second = json_number_value(rate);
  }
  if (burst != NULL) {
    if (!json_is_integer(burst) || json_integer_value(burst) < 1 ||
        json_integer_value(burst) > LIMIT_RATE_BURST_MAX) {
      snprintf(msg, sizeof(msg), "\"rate_limit.burst\" must be a whole number from 1 to %d",
               LIMIT_RATE_BURST_MAX);
      return fail(err, err_size, "%s", msg);
    }
    cfg->rate_burst = (double)json_integer_value(burst);
  }
  return 0;
}

/* The roles whose organisation is a region (the charts give them "org_field":
 * "regio", which the server sets): the region's contract manager and its
 * zorgbemiddelingsteam (R-ESC-10). */
static const char *const region_roles[] = {"contractmanager", "zbt"};

bool auth_role_org_is_region(const char *role) {
  size_t i;
  for (i = 0; role != NULL && i < sizeof(region_roles) / sizeof(region_roles[0]); i++)
    if (strcmp(role, region_roles[i]) == 0) return true;
  return false;
}

int auth_config_load(auth_config_t *cfg, const json_t *doc, char *err, size_t err_size) {
  const json_t *regions = json_object_get(doc, "regions"), *actors = json_object_get(doc, "actors");
  const char *name, *key;
  json_t *r, *a, *v;
  size_t i, k;
  int n = 0, rc;
  memset(cfg, 0, sizeof(*cfg));
  if (!json_is_object(doc)) return fail(err, err_size, "the configuration must be a JSON object%s", NULL);
  cfg->idempotency_ttl_s = (int64_t)LIMIT_IDEMPOTENCY_TTL_HOURS_DEFAULT * 3600;
  json_object_foreach((json_t *)doc, key, v) {
    if (strcmp(key, "idempotency_ttl_hours") == 0) continue;
    if (strcmp(key, "regions") && strcmp(key, "actors") && strcmp(key, "now") && strcmp(key, "description") &&
        strcmp(key, "rate_limit") && strcmp(key, "oidc"))
      return fail(err, err_size, "unknown configuration key \"%s\"", key);
  }
  if (!json_is_object(regions) || json_object_size(regions) == 0)
    return fail(err, err_size, "\"regions\" must name at least one region%s", NULL);
  if (!json_is_array(actors) || json_array_size(actors) > LIMIT_ACTORS_MAX)
    return fail(err, err_size, "\"actors\" must be an array (at most 10000)%s", NULL);
  cfg->regions = calloc(json_object_size(regions), sizeof(auth_region_t));
  cfg->actors = calloc(json_array_size(actors) + 1, sizeof(auth_actor_t));
  if (cfg->regions == NULL || cfg->actors == NULL) {
    auth_config_free(cfg);
    return CASUS_ENOMEM;
  }
  json_object_foreach((json_t *)regions, name, r) {
    auth_region_t *reg = &cfg->regions[n];
    json_t *g;
    if (strlen(name) >= sizeof(reg->name) || !json_is_object(r)) {
      rc = fail(err, err_size, "region \"%s\" must be an object {chart, gemeenten}", name);
      goto error;
    }
    snprintf(reg->name, sizeof(reg->name), "%s", name);
    if (!copy_id(reg->chart, sizeof(reg->chart), json_object_get(r, "chart"))) {
      rc = fail(err, err_size, "region \"%s\" needs a \"chart\" id", name);
      goto error;
    }
    v = json_object_get(r, "catalog");
    if (v != NULL && !copy_id(reg->catalog, sizeof(reg->catalog), v)) {
      rc = fail(err, err_size, "region \"%s\": \"catalog\" must name an arrangement catalogue", name);
      goto error;
    }
    g = json_object_get(r, "gemeenten");
    if (!json_is_array(g) || json_array_size(g) == 0) {
      rc = fail(err, err_size, "region \"%s\" needs a non-empty \"gemeenten\" array", name);
      goto error;
    }
    json_array_foreach(g, i, v) {
      if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= LIMIT_ID_BYTES_MAX) {
        rc = fail(err, err_size, "region \"%s\" has an invalid gemeente", name);
        goto error;
      }
      if (auth_region_of(cfg, json_string_value(v)) != NULL) {
        rc = fail(err, err_size, "gemeente \"%s\" belongs to two regions", json_string_value(v));
        goto error;
      }
    }
    reg->gemeenten = json_incref(g);
    v = json_object_get(r, "holidays");
    if (v != NULL && !json_is_array(v)) {
      rc =
          fail(err, err_size, "region \"%s\": \"holidays\" must be an array of optional holiday names", name);
      goto error;
    }
    reg->holidays = json_incref(v);
    cfg->regions_count = ++n;
    /* Retention (Jeugdwet art. 7.3.8): years after the end of care. */
    v = json_object_get(r, "bewaartermijn_jaren");
    reg->bewaartermijn_jaren = LIMIT_BEWAARTERMIJN_YEARS_DEFAULT;
    if (v != NULL) {
      if (!json_is_integer(v) || json_integer_value(v) < LIMIT_BEWAARTERMIJN_YEARS_MIN ||
          json_integer_value(v) > LIMIT_BEWAARTERMIJN_YEARS_MAX) {
        rc = fail(err, err_size,
                  "region \"%s\": \"bewaartermijn_jaren\" must be a whole number of years from 20 (Jeugdwet "
                  "art. 7.3.8) to 115",
                  name);
        goto error;
      }
      reg->bewaartermijn_jaren = (int)json_integer_value(v);
    }
    /* "gis" (R-TW-1 route C): the GIs that register and run the route C
     * cases of this region's gemeenten.  A GI is an organisation of its own:
     * not a gemeente, not a region (their actors would be scoped twice). */
    v = json_object_get(r, "gis");
    if (v != NULL && (!json_is_array(v) || json_array_size(v) > LIMIT_REGION_GIS_MAX)) {
      rc = fail(err, err_size,
                "region \"%s\": \"gis\" must be an array of GI organisation names (at most 64)", name);
      goto error;
    }
    json_array_foreach(v, i, g) {
      const char *gi = json_string_value(g);
      size_t m;
      json_t *other;
      if (gi == NULL || gi[0] == '\0' || strlen(gi) >= LIMIT_ID_BYTES_MAX) {
        rc = fail(err, err_size, "region \"%s\" has an invalid GI in \"gis\" (a non-empty organisation name)",
                  name);
        goto error;
      }
      json_array_foreach(v, m, other) {
        if (m < i && json_is_string(other) && strcmp(json_string_value(other), gi) == 0) {
          rc = fail(err, err_size, "GI \"%s\" is listed twice in its region's \"gis\"", gi);
          goto error;
        }
      }
    }
    reg->gis = v != NULL ? json_incref(v) : json_array();
  }
  /* Once every region is known: a GI's name must not be a gemeente's or a region's. */
  for (k = 0; k < (size_t)cfg->regions_count; k++) {
    json_array_foreach(cfg->regions[k].gis, i, v) {
      if (auth_region_of(cfg, json_string_value(v)) != NULL || auth_region_find(cfg, json_string_value(v))) {
        rc = fail(err, err_size, "GI \"%s\" has the name of a gemeente or a region; give it its own name",
                  json_string_value(v));
        goto error;
      }
    }
  }
  json_array_foreach(actors, i, a) {
    auth_actor_t *act = &cfg->actors[i];
    char what[48];
    snprintf(what, sizeof(what), "actors[%zu]", i);
    if (!json_is_object(a) || !copy_id(act->id, sizeof(act->id), json_object_get(a, "id")) ||
        !copy_id(act->role, sizeof(act->role), json_object_get(a, "role")) ||
        !copy_id(act->org, sizeof(act->org), json_object_get(a, "org"))) {
      rc = fail(err, err_size, "%s needs string \"id\", \"role\" and \"org\"", what);
      goto error;
    }
    if (hex_decode(json_string_value(json_object_get(a, "token_sha256")), act->token_sha256) != 0) {
      rc = fail(err, err_size, "actor \"%s\" needs \"token_sha256\": 64 hex digits (casusd hash-token)",
                act->id);
      goto error;
    }
    for (k = 0; k < i; k++) {
      if (strcmp(cfg->actors[k].id, act->id) == 0) {
        rc = fail(err, err_size, "actor id \"%s\" is used twice", act->id);
        goto error;
      }
      if (memcmp(cfg->actors[k].token_sha256, act->token_sha256, 32) == 0) {
        rc = fail(err, err_size, "actor \"%s\" has the same token as another actor", act->id);
        goto error;
      }
    }
    if (auth_role_org_is_region(act->role) && auth_region_find(cfg, act->org) == NULL) {
      if (err != NULL && err_size > 0)
        snprintf(err, err_size, "%s \"%s\": its org must be a region name", act->role, act->id);
      rc = CASUS_ECONFIG_INVALID;
      goto error;
    }
    cfg->actors_count = (int)i + 1;
  }
  v = json_object_get(doc, "now");
  if (v != NULL) {
    if (!json_is_string(v) || cal_time_parse(json_string_value(v), &cfg->now_s) != 0) {
      rc = fail(err, err_size, "\"now\" must be an RFC 3339 time, e.g. 2027-01-04T09:00:00+01:00%s", NULL);
      goto error;
    }
    cfg->has_now = true;
  }
  cfg->rate_writes_per_second = LIMIT_RATE_WRITES_PER_SECOND_DEFAULT;
  cfg->rate_burst = LIMIT_RATE_BURST_DEFAULT;
  v = json_object_get(doc, "rate_limit");
  if (v != NULL) {
    rc = rate_limit_load(cfg, v, err, err_size);
    if (rc != 0) goto error;
  }
  v = json_object_get(doc, "idempotency_ttl_hours");
  if (v != NULL) {
    if (!json_is_integer(v) || json_integer_value(v) < LIMIT_IDEMPOTENCY_TTL_HOURS_MIN ||
        json_integer_value(v) > LIMIT_IDEMPOTENCY_TTL_HOURS_MAX) {
      rc = fail(err, err_size, "\"idempotency_ttl_hours\" must be a whole number of hours from 24 to 168%s",
                NULL);
      goto error;
    }
    cfg->idempotency_ttl_s = (int64_t)json_integer_value(v) * 3600;
  }
  v = json_object_get(doc, "oidc");
  if (v != NULL) {
    rc = auth_oidc_load(&cfg->oidc, v, err, err_size);
    if (rc != 0) goto error;
  }
  return 0;
error:
  auth_config_free(cfg);
  return rc;
}

void auth_config_free(auth_config_t *cfg) {
  int i;
  for (i = 0; cfg->regions && i < cfg->regions_count; i++) {
    json_decref(cfg->regions[i].gemeenten);
    json_decref(cfg->regions[i].holidays);
    json_decref(cfg->regions[i].gis);
  }
  free(cfg->regions);
  free(cfg->actors);
  auth_oidc_free(cfg->oidc);
  memset(cfg, 0, sizeof(*cfg));
}

const auth_actor_t *auth_authenticate(const auth_config_t *cfg, const char *authorization) {
  uint8_t digest[32];
  const auth_actor_t *found = NULL;
  const char *token;
  int i, k;
  if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0) return NULL;
  token = authorization + 7;
  while (*token == ' ') token++;
  if (*token == '\0' || strlen(token) > LIMIT_TOKEN_BYTES_MAX) return NULL;
  sha256(token, strlen(token), digest);
  /* Compare against every actor without an early exit, so that timing does
   * not reveal how much of a hash matched. */
  for (i = 0; i < cfg->actors_count; i++) {
    uint8_t diff = 0;
    for (k = 0; k < 32; k++) diff |= (uint8_t)(digest[k] ^ cfg->actors[i].token_sha256[k]);
    if (diff == 0) found = &cfg->actors[i];
  }
  return found;
}

/* Whether token has the shape of a compact JWS: three base64url segments. */
static bool token_is_jws(const char *token) {
  int dots = 0;
  for (; *token; token++) {
    char c = *token;
    if (c == '.')
      dots++;
    else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_'))
      return false;
  }
  return dots == 2;
}

int auth_bearer_check(const auth_config_t *cfg, const char *authorization, int64_t now_s, auth_actor_t *out,
                      char *why, size_t why_size) {
  const auth_actor_t *found = auth_authenticate(cfg, authorization);
  const char *token;
  int rc;
  if (found != NULL) {
    *out = *found;
    return 0;
  }
  if (authorization == NULL) {
    snprintf(why, why_size, "A bearer token is required.");
    return CASUS_EUNAUTHENTICATED;
  }
  token = authorization;
  if (strncasecmp(token, "Bearer ", 7) == 0) token += 7;
  while (*token == ' ') token++;
  if (cfg->oidc == NULL || !token_is_jws(token) || strncasecmp(authorization, "Bearer ", 7) != 0) {
    snprintf(why, why_size, "The bearer token is not known.");
    return CASUS_EUNAUTHENTICATED;
  }
  {
    char check[160];
    rc = auth_oidc_verify(cfg->oidc, token, now_s, out, check, sizeof(check));
    if (rc != 0) {
      snprintf(why, why_size, "The OIDC token was refused: %s.", check);
      return rc;
    }
  }
  /* An OIDC subject may not borrow the id of a static actor: R-AUTH-3 and
   * the inbox name people by id, so it would act as that actor. */
  if (auth_actor_find(cfg, out->id) != NULL) {
    memset(out, 0, sizeof(*out));
    snprintf(why, why_size, "The OIDC token was refused: its actor is the id of a static actor.");
    return CASUS_EUNAUTHENTICATED;
  }
  if (auth_role_org_is_region(out->role) && auth_region_find(cfg, out->org) == NULL) {
    snprintf(why, why_size, "The OIDC token's role \"%s\" needs an org that is a region.", out->role);
    return CASUS_EFORBIDDEN;
  }
  return 0;
}

const auth_actor_t *auth_actor_find(const auth_config_t *cfg, const char *id) {
  int i;
  for (i = 0; id && i < cfg->actors_count; i++)
    if (strcmp(cfg->actors[i].id, id) == 0) return &cfg->actors[i];
  return NULL;
}

const auth_region_t *auth_region_of(const auth_config_t *cfg, const char *gemeente) {
  int i;
  size_t k;
  json_t *g;
  for (i = 0; gemeente && i < cfg->regions_count; i++) {
    json_array_foreach(cfg->regions[i].gemeenten, k, g) {
      if (strcmp(json_string_value(g), gemeente) == 0) return &cfg->regions[i];
    }
  }
  return NULL;
}

const auth_region_t *auth_region_find(const auth_config_t *cfg, const char *name) {
  int i;
  for (i = 0; name && i < cfg->regions_count; i++)
    if (strcmp(cfg->regions[i].name, name) == 0) return &cfg->regions[i];
  return NULL;
}

bool auth_region_has_gi(const auth_region_t *region, const char *org) {
  size_t i;
  json_t *g;
  if (region == NULL || org == NULL) return false;
  json_array_foreach(region->gis, i, g) {
    if (strcmp(json_string_value(g), org) == 0) return true;
  }
  return false;
}

static const char *field_str(const json_t *case_, const char *field) {
  return field ? json_string_value(json_object_get(json_object_get(case_, "fields"), field)) : NULL;
}

static const char *decl_str(const json_t *decl, const char *key) {
  return json_string_value(json_object_get(decl, key));
}

bool auth_case_visible(const engine_chart_t *chart, const auth_actor_t *actor, const json_t *case_) {
  const json_t *decl = engine_chart_role(chart, actor->role);
  const char *org, *who;
  if (decl == NULL) return false; /* admin and unknown roles see no cases */
  who = field_str(case_, decl_str(decl, "actor_field"));
  if (who != NULL && strcmp(who, actor->id) == 0) return true;
  org = field_str(case_, decl_str(decl, "delegate_org_field"));
  if (org != NULL && strcmp(org, actor->org) == 0) return true;
  org = field_str(case_, decl_str(decl, "org_field"));
  if (org == NULL || strcmp(org, actor->org) != 0) return false;
  /* R-PRIV-1: only the cases that reached the role, by the engine's marker. */
  if (json_is_true(json_object_get(decl, "visible_after_notice")))
    return json_object_get(json_object_get(case_, "notified"), actor->role) != NULL;
  return true;
}

bool auth_case_anonymised(const engine_chart_t *chart, const auth_actor_t *actor, const json_t *case_) {
  const json_t *decl = engine_chart_role(chart, actor->role);
  const json_t *privacy = json_object_get(engine_chart_json(chart), "privacy");
  const char *consent = json_string_value(json_object_get(privacy, "consent_field"));
  const json_t *given;
  if (decl == NULL) return true;
  if (json_is_string(json_object_get(decl, "view")) &&
      strcmp(json_string_value(json_object_get(decl, "view")), "anoniem") == 0)
    return true;
  given = consent ? json_object_get(json_object_get(case_, "fields"), consent) : NULL;
  if (json_is_false(given)) {
    const json_t *keep = json_object_get(decl, "identity_on_opt_out");
    const char *delegate = field_str(case_, decl_str(decl, "delegate_org_field"));
    if (json_is_true(keep)) return false;
    /* "delegate": the organisation the case is delegated to (route C's GI)
     * is not the Toegang; its actors keep the identity (RIJ route C step 9). */
    if (json_is_string(keep) && strcmp(json_string_value(keep), "delegate") == 0 && delegate != NULL &&
        strcmp(delegate, actor->org) == 0)
      return false;
    return true;
  }
  return false;
}

bool auth_case_withholds_free_text(const engine_chart_t *chart, const auth_actor_t *actor) {
  const json_t *decl = engine_chart_role(chart, actor->role);
  return decl == NULL || json_is_true(json_object_get(decl, "withhold_free_text"));
}

bool auth_recipient_for(const engine_chart_t *chart, const json_t *case_, const char *role, char *out,
                        size_t out_size) {
  const json_t *decl = engine_chart_role(chart, role);
  const char *who, *org;
  if (decl == NULL) return false;
  who = field_str(case_, json_string_value(json_object_get(decl, "actor_field")));
  if (who != NULL) {
    snprintf(out, out_size, "actor:%s", who);
    return true;
  }
  /* "shared_inbox": false (R-AUTH-3): only the assigned person gets the role's
   * items, never everyone of the role in the organisation. */
  if (json_is_false(json_object_get(decl, "shared_inbox"))) return false;
  /* A case delegated to an organisation (route C's GI, R-TW-1) gives the
   * role's tasks to it: it runs the case, not the Toegang. */
  org = field_str(case_, decl_str(decl, "delegate_org_field"));
  if (org == NULL) org = field_str(case_, decl_str(decl, "org_field"));
  if (org == NULL) return false;
  snprintf(out, out_size, "org:%s/%s", org, role);
  return true;
}

void auth_recipients_of(const auth_actor_t *actor, char out[2][AUTH_RECIPIENT_BYTES_MAX]) {
  snprintf(out[0], AUTH_RECIPIENT_BYTES_MAX, "actor:%s", actor->id);
  snprintf(out[1], AUTH_RECIPIENT_BYTES_MAX, "org:%s/%s", actor->org, actor->role);
}
