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
 * OIDC (oidc.c, docs/security.md): with an "oidc" section, a bearer token
 * may also be a JWS from the identity provider, verified against the keys
 * of its JWKS file; its claims name the actor, role and organisation.
 *
 * Errors: auth_config_load returns 0 or CASUS_ECONFIG_INVALID with a reason.
 * Ownership: the config owns everything it returns; json_t arguments are
 * borrowed.  Not thread-safe; immutable after loading (a reload loads a new
 * one and frees the old: auth_actor_t values are copied, never pointed at,
 * by whatever outlives a request).
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
  uint8_t token_sha256[32];              /* static actors; zero for OIDC ones */
  char on_behalf_of[LIMIT_ID_BYTES_MAX]; /* OIDC: the "on_behalf_of" claim; "" when absent */
  bool oidc;                             /* authenticated by an OIDC token, not the actors list */
} auth_actor_t;

/* The "oidc" section, its JWKS loaded (oidc.c). */
typedef struct auth_oidc_s auth_oidc_t;

typedef struct {
  char name[LIMIT_ID_BYTES_MAX];
  char chart[LIMIT_ID_BYTES_MAX];
  char catalog[LIMIT_ID_BYTES_MAX]; /* "catalog": the arrangement catalogue, "" for the chart's default */
  json_t *gemeenten;                /* array of strings */
  json_t *holidays;                 /* optional holidays switched on (array), may be NULL */
  json_t *gis;             /* "gis": the GI organisations working for its gemeenten (array, may be empty) */
  int bewaartermijn_jaren; /* retention after the end of care (Jeugdwet art. 7.3.8; default 20) */
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
  auth_oidc_t *oidc; /* "oidc": NULL when the configuration has none */
} auth_config_t;

/* Loads doc into cfg; with an "oidc" section it also reads the JWKS file
 * (jwks_file: absolute, or relative to the working directory).  0, or
 * CASUS_ECONFIG_INVALID / CASUS_ENOMEM with a sentence in err; cfg is then
 * left empty. */
int auth_config_load(auth_config_t *cfg, const json_t *doc, char *err, size_t err_size);
/* Whether an actor of `role` belongs to a region (its "org" must name one of
 * the configuration's regions): contractmanager and zbt. */
bool auth_role_org_is_region(const char *role);
void auth_config_free(auth_config_t *cfg);

/* The actor whose token matches "Bearer <token>", or NULL (401).  The
 * comparison is constant-time in the token. */
const auth_actor_t *auth_authenticate(const auth_config_t *cfg, const char *authorization);
/* Authenticates an Authorization header at now_s (UTC seconds, the real
 * clock: a token's lifetime is not case time): a static token first, then,
 * when cfg has an "oidc" section and the token has the shape of a compact
 * JWS, an OIDC token.  On success *out is a copy of the actor (for OIDC its
 * claims mapped; out->oidc set).  Returns 0, or CASUS_EUNAUTHENTICATED with
 * the check that failed in why ("token expired", "unknown kid", ...), never
 * the token itself.  The role of an OIDC actor is not checked here (the
 * caller knows the charts' roles); an OIDC actor of a region role whose org
 * is not a region is CASUS_EFORBIDDEN; one whose id is a static actor's is
 * CASUS_EUNAUTHENTICATED. */
int auth_bearer_check(const auth_config_t *cfg, const char *authorization, int64_t now_s, auth_actor_t *out,
                      char *why, size_t why_size);

/* oidc.c */
/* Loads the "oidc" section (borrowed) and its JWKS file into a new *out
 * (free with auth_oidc_free).  0, or CASUS_ECONFIG_INVALID / CASUS_ENOMEM
 * with a sentence in err. */
int auth_oidc_load(auth_oidc_t **out, const json_t *section, char *err, size_t err_size);
void auth_oidc_free(auth_oidc_t *o);
/* The number of signing keys loaded from the JWKS (keys for encryption, or
 * of another type than RSA or EC P-256, are skipped). */
int auth_oidc_keys_count(const auth_oidc_t *o);
/* Verifies token (NUL-terminated, the part after "Bearer ") at now_s:
 * at most LIMIT_OIDC_TOKEN_BYTES_MAX bytes; "alg" RS256 or ES256 (never
 * "none", never an HMAC); "kid" one of the JWKS's keys, of the algorithm's
 * type; the signature; "iss" the issuer; "aud" the audience (or an array
 * holding it); "exp" present and not passed, "nbf" (when present) reached,
 * each with LIMIT_OIDC_LEEWAY_S; the claims of "claims" present as
 * non-empty strings shorter than LIMIT_ID_BYTES_MAX.  0 with *out filled,
 * or CASUS_EUNAUTHENTICATED with a fixed phrase in why (no token content,
 * except the configured claim names). */
int auth_oidc_verify(const auth_oidc_t *o, const char *token, int64_t now_s, auth_actor_t *out, char *why,
                     size_t why_size);
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
