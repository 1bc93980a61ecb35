/*
 * auth.h -- who is calling and what they may see.
 *
 * The configuration (API.md "Config") names the regions with their chart
 * and gemeenten, and the actors with the SHA-256 of their bearer token
 * (tokens are never stored in clear).  This module authenticates a bearer
 * token (R-AUTH-1's "who"), scopes cases to organisations (R-AUTH-2) using
 * the roles' "org_field"/"actor_field" declared in the case's chart, and
 * names the inbox recipients of tasks.
 *
 * It also reads the per-actor write-rate limit ("rate_limit"); the buckets
 * themselves are the API's (they are state, the config is not).
 *
 * Errors: auth_config_load returns 0 or CASUS_ECONFIG_INVALID with a reason.
 * Ownership: the config owns everything it returns; json_t arguments are
 * borrowed.  Not thread-safe; immutable after loading.
 */
#ifndef CASUS_AUTH_H
#define CASUS_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/limits.h"
#include "engine/engine.h"

#define AUTH_ROLE_ADMIN "admin"
#define AUTH_RECIPIENT_BYTES_MAX (2 * LIMIT_ID_BYTES_MAX + 16)

typedef struct {
  char id[LIMIT_ID_BYTES_MAX];
  char role[LIMIT_ID_BYTES_MAX];
  char org[LIMIT_ID_BYTES_MAX];
  uint8_t token_sha256[32];
} auth_actor_t;

typedef struct {
  char name[LIMIT_ID_BYTES_MAX];
  char chart[LIMIT_ID_BYTES_MAX];
  json_t *gemeenten; /* array of strings */
  json_t *holidays;  /* optional holidays switched on (array), may be NULL */
  json_t *gis;       /* "gis": the GI organisations working for its gemeenten (array, may be empty) */
} auth_region_t;

typedef struct {
  auth_actor_t *actors;
  int actors_count;
  auth_region_t *regions;
  int regions_count;
  bool has_now;
  int64_t now_s; /* the config's "now", for --clock manual */
  /* "rate_limit": each actor's writes, a token bucket (LIMIT_RATE_* when absent). */
  double rate_writes_per_second; /* refill per second; 0: no limit */
  double rate_burst;             /* writes at once, >= 1 */
  /* "idempotency_ttl_hours" (LIMIT_IDEMPOTENCY_TTL_HOURS_MIN..MAX, default
   * LIMIT_IDEMPOTENCY_TTL_HOURS_DEFAULT) in seconds: how long a reply is kept
   * for a retry under its Idempotency-Key. */
  int64_t idempotency_ttl_s;
} auth_config_t;

int auth_config_load(auth_config_t *cfg, const json_t *doc, char *err, size_t err_size);
/* Whether an actor of `role` belongs to a region (its "org" must name one of
 * the configuration's regions): contractmanager and zbt. */
bool auth_role_org_is_region(const char *role);
void auth_config_free(auth_config_t *cfg);

/* The actor whose token matches "Bearer <token>", or NULL (401).  The
 * comparison is constant-time in the token. */
const auth_actor_t *auth_authenticate(const auth_config_t *cfg, const char *authorization);
const auth_actor_t *auth_actor_find(const auth_config_t *cfg, const char *id);
/* The region a gemeente belongs to, or NULL. */
const auth_region_t *auth_region_of(const auth_config_t *cfg, const char *gemeente);
const auth_region_t *auth_region_find(const auth_config_t *cfg, const char *name);
/* Whether org is one of the region's GIs ("gis", R-TW-1 route C). */
bool auth_region_has_gi(const auth_region_t *region, const char *org);

/* R-AUTH-2: whether actor may see case_ at all (404 otherwise): the case's
 * "actor_field" names the actor, or its "org_field" or "delegate_org_field"
 * (the organisation the work is delegated to: route C's GI) names the
 * actor's org.  A role declaring "visible_after_notice": true (R-PRIV-1's
 * contractmanager) sees a case only once the case has addressed it a task
 * or notification (the engine's marker "notified".<role>), never the rest
 * of its organisation's caseload. */
bool auth_case_visible(const engine_chart_t *chart, const auth_actor_t *actor, const json_t *case_);
/* R-PRIV-1: whether actor must get the anonymised view of case_: roles
 * whose chart declaration says "view": "anoniem", and, when the case's
 * consent field is false (opt-out), every role without "identity_on_opt_out"
 * (true; or "delegate": only an actor of the case's delegate organisation,
 * the GI, keeps the identity, not the Toegang). */
bool auth_case_anonymised(const engine_chart_t *chart, const auth_actor_t *actor, const json_t *case_);
/* R-PRIV-1: whether actor's view withholds free text (the role declares
 * "withhold_free_text": true; privacy.restricted_view_keeps says what stays). */
bool auth_case_withholds_free_text(const engine_chart_t *chart, const auth_actor_t *actor);

/* The inbox recipient key for tasks `role` of case_: "actor:<id>" when the
 * role has an actor_field set on the case, else "org:<org>/<role>" (the
 * organisation's shared inbox of the role; the case's delegate organisation,
 * route C's GI, when it names one).  Returns false when the case
 * names no organisation for the role, and when the role declares
 * "shared_inbox": false and the case names no person for it (R-AUTH-3:
 * tasks never go to everyone of the role). */
bool auth_recipient_for(const engine_chart_t *chart, const json_t *case_, const char *role, char *out,
                        size_t out_size);
/* The recipient keys an actor reads: "actor:<id>" and "org:<org>/<role>". */
void auth_recipients_of(const auth_actor_t *actor, char out[2][AUTH_RECIPIENT_BYTES_MAX]);

#endif
