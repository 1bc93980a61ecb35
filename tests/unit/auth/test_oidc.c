/*
 * test_oidc.c -- OIDC bearer tokens in auth (oidc.c): the exact leeway of
 * "exp" and "nbf" at a fixed clock, the claims mapping with the optional
 * on-behalf-of (a string, or an RFC 8693 "act" object), the key type that
 * must fit the algorithm, and auth_bearer_check's order: static tokens
 * first, OIDC only for a JWS-shaped token and only when configured.
 * The keys are made and the tokens signed with libcjose itself.
 */
#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "core/error.h"
#include "core/sha256.h"
#include "test.h"

#define NOW_S 1800000000
#define ISS "https://idp.test/realms/casus"

static cjose_jwk_t *rsa_key, *ec_key;
static char jwks_path[256];

static void keys_make(void) {
  static const uint8_t e[] = {1, 0, 1};
  cjose_err err;
  FILE *f;
  char *rsa_json, *ec_json;
  if (rsa_key != NULL) return;
  rsa_key = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);
  ec_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
  ASSERT_NOT_NULL(rsa_key);
  ASSERT_NOT_NULL(ec_key);
  ASSERT(cjose_jwk_set_kid(rsa_key, "rsa-1", 5, &err));
  ASSERT(cjose_jwk_set_kid(ec_key, "ec-1", 4, &err));
  rsa_json = cjose_jwk_to_json(rsa_key, false, &err);
  ec_json = cjose_jwk_to_json(ec_key, false, &err);
  snprintf(jwks_path, sizeof(jwks_path), "/tmp/casus-test-oidc-%d.json", (int)getpid());
  f = fopen(jwks_path, "w");
  ASSERT_NOT_NULL(f);
  fprintf(f, "{\"keys\": [%s, %s]}", rsa_json, ec_json);
  fclose(f);
  cjose_get_dealloc()(rsa_json);
  cjose_get_dealloc()(ec_json);
}

/* The configuration with an "oidc" section (on_behalf_of: its claim, or NULL). */
static int config_load(auth_config_t *cfg, const char *on_behalf_of, char *err, size_t err_size) {
  json_t *doc;
  int rc;
  keys_make();
  doc = json_pack("{s:{s:{s:s,s:[s]}}, s:[{s:s,s:s,s:s,s:s}], s:{s:s,s:s,s:s,s:{s:s,s:s,s:s}}}", "regions",
                  "rijnmond", "chart", "c", "gemeenten", "rotterdam", "actors", "id", "pr-static", "role",
                  "procesregisseur", "org", "rotterdam", "token_sha256",
                  "4e1f4b5d1e0dc2f5b2f5a1b7a2e8b0f6f8a8f0c1d4e1d2c3b4a5968778695a4b", "oidc", "issuer", ISS,
                  "audience", "casusd", "jwks_file", jwks_path, "claims", "actor", "sub", "role", "r", "org",
                  "o");
  ASSERT_NOT_NULL(doc);
  if (on_behalf_of != NULL)
    json_object_set_new(json_object_get(json_object_get(doc, "oidc"), "claims"), "on_behalf_of",
                        json_string(on_behalf_of));
  rc = auth_config_load(cfg, doc, err, err_size);
  json_decref(doc);
  return rc;
}

/* A compact JWS of claims (a JSON text) signed by key with alg and kid; owned by the caller. */
static char *sign(cjose_jwk_t *key, const char *alg, const char *kid, const char *claims) {
  cjose_err err;
  json_t *hdr = json_pack("{s:s,s:s}", "alg", alg, "kid", kid);
  cjose_jws_t *jws =
      cjose_jws_sign(key, (cjose_header_t *)hdr, (const uint8_t *)claims, strlen(claims), &err);
  const char *compact = NULL;
  char *out;
  ASSERT_NOT_NULL(jws);
  ASSERT(cjose_jws_export(jws, &compact, &err));
  out = strdup(compact);
  cjose_jws_release(jws);
  json_decref(hdr);
  return out;
}

/* Verifies a token of the claims "iss, aud, sub, r, o" plus extra (",..." JSON members) at NOW_S. */
static int verify(const auth_config_t *cfg, const char *extra, auth_actor_t *out, char *why,
                  size_t why_size) {
  char claims[1024], auth[4096];
  char *tok;
  int rc;
  snprintf(claims, sizeof(claims),
           "{\"iss\": \"" ISS
           "\", \"aud\": \"casusd\", \"sub\": \"u-1\", \"r\": \"casusregisseur\", \"o\": "
           "\"rotterdam\"%s}",
           extra);
  tok = sign(rsa_key, "RS256", "rsa-1", claims);
  snprintf(auth, sizeof(auth), "Bearer %s", tok);
  free(tok);
  why[0] = '\0';
  rc = auth_bearer_check(cfg, auth, NOW_S, out, why, why_size);
  return rc;
}

TEST(leeway_is_exactly_sixty_seconds) {
  auth_config_t cfg;
  auth_actor_t a;
  char err[256], why[256], extra[128];
  ASSERT_EQ(config_load(&cfg, NULL, err, sizeof(err)), 0);
  ASSERT_EQ(LIMIT_OIDC_LEEWAY_S, 60);
  snprintf(extra, sizeof(extra), ", \"exp\": %d", NOW_S - LIMIT_OIDC_LEEWAY_S);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), 0);
  snprintf(extra, sizeof(extra), ", \"exp\": %d", NOW_S - LIMIT_OIDC_LEEWAY_S - 1);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "The OIDC token was refused: token expired.");
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"nbf\": %d", NOW_S + 600, NOW_S + LIMIT_OIDC_LEEWAY_S);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), 0);
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"nbf\": %d", NOW_S + 600, NOW_S + LIMIT_OIDC_LEEWAY_S + 1);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "The OIDC token was refused: token not yet valid.");
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"nbf\": \"soon\"", NOW_S + 600);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT(strstr(why, "malformed nbf") != NULL);
  auth_config_free(&cfg);
}

TEST(claims_mapped_with_on_behalf_of) {
  auth_config_t cfg;
  auth_actor_t a;
  char err[256], why[256], extra[128];
  ASSERT_EQ(config_load(&cfg, "act", err, sizeof(err)), 0);
  snprintf(extra, sizeof(extra), ", \"exp\": %d", NOW_S + 600);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), 0);
  ASSERT_STR_EQ(a.id, "u-1");
  ASSERT_STR_EQ(a.role, "casusregisseur");
  ASSERT_STR_EQ(a.org, "rotterdam");
  ASSERT_STR_EQ(a.on_behalf_of, "");
  ASSERT(a.oidc);
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"act\": \"parent-7\"", NOW_S + 600);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), 0);
  ASSERT_STR_EQ(a.on_behalf_of, "parent-7");
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"act\": {\"sub\": \"colleague-3\"}", NOW_S + 600);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), 0);
  ASSERT_STR_EQ(a.on_behalf_of, "colleague-3");
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"act\": {\"iss\": \"x\"}", NOW_S + 600);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(
      why, "The OIDC token was refused: missing claim \"act\" (a non-empty string of at most 63 bytes).");
  ASSERT_STR_EQ(a.id, ""); /* nothing of a refused token is left in out */
  auth_config_free(&cfg);
  /* without an on_behalf_of claim configured, "act" is not read */
  ASSERT_EQ(config_load(&cfg, NULL, err, sizeof(err)), 0);
  snprintf(extra, sizeof(extra), ", \"exp\": %d, \"act\": 5", NOW_S + 600);
  ASSERT_EQ(verify(&cfg, extra, &a, why, sizeof(why)), 0);
  ASSERT_STR_EQ(a.on_behalf_of, "");
  auth_config_free(&cfg);
}

TEST(key_must_fit_algorithm) {
  auth_config_t cfg;
  auth_actor_t a;
  char err[256], why[256], auth[4096], claims[256];
  char *tok;
  ASSERT_EQ(config_load(&cfg, NULL, err, sizeof(err)), 0);
  ASSERT_EQ(auth_oidc_keys_count(cfg.oidc), 2);
  snprintf(claims, sizeof(claims),
           "{\"iss\": \"" ISS
           "\", \"aud\": \"casusd\", \"sub\": \"u\", \"r\": \"x\", \"o\": \"y\", \"exp\": %d}",
           NOW_S + 60);
  tok = sign(ec_key, "ES256", "ec-1", claims);
  snprintf(auth, sizeof(auth), "Bearer %s", tok);
  free(tok);
  ASSERT_EQ(auth_bearer_check(&cfg, auth, NOW_S, &a, why, sizeof(why)), 0);
  tok = sign(ec_key, "ES256", "rsa-1", claims);
  snprintf(auth, sizeof(auth), "Bearer %s", tok);
  free(tok);
  ASSERT_EQ(auth_bearer_check(&cfg, auth, NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT(strstr(why, "does not fit the algorithm") != NULL);
  tok = sign(rsa_key, "RS256", "ec-1", claims);
  snprintf(auth, sizeof(auth), "Bearer %s", tok);
  free(tok);
  ASSERT_EQ(auth_bearer_check(&cfg, auth, NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT(strstr(why, "does not fit the algorithm") != NULL);
  auth_config_free(&cfg);
}

TEST(static_first_and_oidc_only_when_configured) {
  auth_config_t cfg;
  auth_actor_t a;
  char err[256], why[256], auth[256];
  json_t *doc;
  ASSERT_EQ(config_load(&cfg, NULL, err, sizeof(err)), 0);
  ASSERT_EQ(auth_bearer_check(&cfg, NULL, NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "A bearer token is required.");
  ASSERT_EQ(auth_bearer_check(&cfg, "Bearer not-a-jws", NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "The bearer token is not known.");
  ASSERT_EQ(auth_bearer_check(&cfg, "Basic a.b.c", NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "The bearer token is not known.");
  ASSERT_EQ(auth_bearer_check(&cfg, "Bearer a.b.c", NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT(strstr(why, "malformed token") != NULL);
  auth_config_free(&cfg);
  /* without "oidc" a JWS-shaped token is just an unknown token */
  doc = json_pack("{s:{s:{s:s,s:[s]}}, s:[]}", "regions", "rijnmond", "chart", "c", "gemeenten", "rotterdam",
                  "actors");
  ASSERT_EQ(auth_config_load(&cfg, doc, err, sizeof(err)), 0);
  json_decref(doc);
  ASSERT_NULL(cfg.oidc);
  snprintf(auth, sizeof(auth), "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
  ASSERT_EQ(auth_bearer_check(&cfg, auth, NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "The bearer token is not known.");
  auth_config_free(&cfg);
}

TEST(static_token_beside_oidc) {
  auth_config_t cfg;
  auth_actor_t a;
  char err[256], why[256];
  uint8_t d[32];
  char hex[65], text[1024];
  json_t *doc;
  int i;
  keys_make();
  sha256("tok-static", strlen("tok-static"), d);
  for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
  snprintf(
      text, sizeof(text),
      "{\"regions\": {\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"]}}, \"actors\": [{\"id\": \"s-1\", "
      "\"role\": \"procesregisseur\", \"org\": \"g\", \"token_sha256\": \"%s\"}], \"oidc\": {\"issuer\": "
      "\"i\", \"audience\": \"a\", \"jwks_file\": \"%s\", \"claims\": {\"actor\": \"sub\", \"role\": \"r\", "
      "\"org\": \"o\"}}}",
      hex, jwks_path);
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  ASSERT_EQ(auth_config_load(&cfg, doc, err, sizeof(err)), 0);
  json_decref(doc);
  ASSERT_EQ(auth_bearer_check(&cfg, "Bearer tok-static", NOW_S, &a, why, sizeof(why)), 0);
  ASSERT_STR_EQ(a.id, "s-1");
  ASSERT(!a.oidc);
  auth_config_free(&cfg);
}

TEST(oidc_subject_may_not_be_a_static_actor) {
  auth_config_t cfg;
  auth_actor_t a;
  char err[256], why[256], auth[4096], claims[256];
  char *tok;
  ASSERT_EQ(config_load(&cfg, NULL, err, sizeof(err)), 0);
  snprintf(claims, sizeof(claims),
           "{\"iss\": \"" ISS
           "\", \"aud\": \"casusd\", \"sub\": \"pr-static\", \"r\": \"x\", \"o\": \"y\", "
           "\"exp\": %d}",
           NOW_S + 60);
  tok = sign(rsa_key, "RS256", "rsa-1", claims);
  snprintf(auth, sizeof(auth), "Bearer %s", tok);
  free(tok);
  ASSERT_EQ(auth_bearer_check(&cfg, auth, NOW_S, &a, why, sizeof(why)), CASUS_EUNAUTHENTICATED);
  ASSERT_STR_EQ(why, "The OIDC token was refused: its actor is the id of a static actor.");
  ASSERT_STR_EQ(a.id, "");
  auth_config_free(&cfg);
}

static void config_refused(const char *oidc_json, const char *phrase) {
  auth_config_t cfg;
  char text[2048], err[512];
  json_t *doc;
  snprintf(text, sizeof(text),
           "{\"regions\": {\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"]}}, \"actors\": [], "
           "\"oidc\": %s}",
           oidc_json);
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  err[0] = '\0';
  ASSERT_EQ(auth_config_load(&cfg, doc, err, sizeof(err)), CASUS_ECONFIG_INVALID);
  json_decref(doc);
  if (strstr(err, phrase) == NULL) {
    fprintf(stderr, "want \"%s\" in \"%s\"\n", phrase, err);
    ASSERT(false);
  }
  ASSERT_NULL(cfg.oidc);
}

/* A JWKS file of content refuses the configuration with phrase. */
static void jwks_refused(const char *content, const char *phrase) {
  char bad[128], text[512];
  FILE *f;
  snprintf(bad, sizeof(bad), "/tmp/casus-test-oidc-bad-%d.json", (int)getpid());
  f = fopen(bad, "w");
  ASSERT_NOT_NULL(f);
  fputs(content, f);
  fclose(f);
  snprintf(text, sizeof(text),
           "{\"issuer\": \"i\", \"audience\": \"a\", \"jwks_file\": \"%s\", \"claims\": {\"actor\": \"s\", "
           "\"role\": \"r\", \"org\": \"o\"}}",
           bad);
  config_refused(text, phrase);
  unlink(bad);
}

TEST(oidc_section_refused) {
  char text[1024];
  keys_make();
  config_refused("[]", "\"oidc\" must be an object");
  config_refused("{\"issuer\": \"i\", \"audience\": \"a\", \"claims\": {}}", "needs non-empty strings");
  snprintf(text, sizeof(text), "{\"issuer\": \"i\", \"audience\": \"a\", \"jwks_file\": \"%s\"}", jwks_path);
  config_refused(text, "\"oidc.claims\" must be an object");
  snprintf(text, sizeof(text),
           "{\"issuer\": \"i\", \"audience\": \"a\", \"jwks_file\": \"%s\", \"claims\": {\"actor\": \"\", "
           "\"role\": \"r\", \"org\": \"o\"}}",
           jwks_path);
  config_refused(text, "\"oidc.claims.actor\" must name a claim");
  /* JWKS files: no keys array, a key that is no object, a signing key without kid, one without kty,
   * a bad key, two keys with one kid */
  jwks_refused("{\"keys\": {}}", "a JWKS needs a \"keys\" array");
  jwks_refused("{\"keys\": [5]}", "must hold objects");
  jwks_refused("{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQAB\", \"e\": \"AQAB\"}]}", "has no \"kid\"");
  jwks_refused("{\"keys\": [{\"kid\": \"k\"}]}", "has no \"kty\"");
  jwks_refused("{\"keys\": [{\"kid\": \"k\", \"kty\": \"RSA\", \"n\": 5}]}", "is not a valid key");
  jwks_refused("{\"keys\": [{\"kid\": \"k\", \"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}",
               "no RS256 or ES256 signing key");
  jwks_refused("[1]", "a JWKS needs a \"keys\" array");
  unlink(jwks_path);
}

#define TEST_LIST(X)                            \
  X(leeway_is_exactly_sixty_seconds)            \
  X(claims_mapped_with_on_behalf_of)            \
  X(key_must_fit_algorithm)                     \
  X(static_first_and_oidc_only_when_configured) \
  X(static_token_beside_oidc)                   \
  X(oidc_subject_may_not_be_a_static_actor)     \
  X(oidc_section_refused)

TEST_MAIN(TEST_LIST)
