/*
 * oidc.c -- OIDC bearer tokens: a compact JWS from the identity provider,
 * verified with libcjose against the keys of a JWKS file, its claims mapped
 * to an actor (docs/security.md, "OIDC").
 *
 * Every check is ours to order, so that each failure names itself: the
 * header is decoded and its "alg" held to the allow-list (RS256, ES256)
 * before libcjose sees the token, so that "none" and the HMACs (with the
 * public key as the secret: the classic confusion) never reach a verifier;
 * the "kid" must name a key of the JWKS whose type fits the algorithm; only
 * then does libcjose check the signature.  The claims come last.
 *
 * The only place that includes cjose.
 */
#include <cjose/cjose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"

typedef enum { OIDC_ALG_RS256 = 1, OIDC_ALG_ES256 } oidc_alg_t;

typedef struct {
  char kid[LIMIT_ID_BYTES_MAX * 2];
  oidc_alg_t alg; /* the one algorithm the key verifies */
  cjose_jwk_t *jwk;
} oidc_key_t;

/* The claims names of "claims": where the actor, role, org and, optionally,
 * the on-behalf-of are read. */
enum { CLAIM_ACTOR, CLAIM_ROLE, CLAIM_ORG, CLAIM_ON_BEHALF_OF, CLAIM_COUNT };
static const char *const claim_keys[CLAIM_COUNT] = {"actor", "role", "org", "on_behalf_of"};

struct auth_oidc_s {
  char *issuer;
  char *audience;
  char claims[CLAIM_COUNT][LIMIT_ID_BYTES_MAX]; /* "" for an absent optional one */
  oidc_key_t keys[LIMIT_JWKS_KEYS_MAX];
  int keys_count;
};

static int fail(char *err, size_t err_size, const char *fmt, const char *arg) {
  if (err != NULL && err_size > 0) snprintf(err, err_size, fmt, arg ? arg : "");
  return CASUS_ECONFIG_INVALID;
}

static const char *str_member(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s != NULL && s[0] != '\0' ? s : NULL;
}

/* One key of the JWKS: 1 loaded, 0 skipped (not for signing, or of a type
 * we do not verify with), or an error. */
static int key_load(auth_oidc_t *o, json_t *k, char *err, size_t err_size) {
  const char *kid = str_member(k, "kid"), *kty = str_member(k, "kty"), *use = str_member(k, "use");
  const char *alg = str_member(k, "alg"), *crv = str_member(k, "crv");
  oidc_key_t *key;
  cjose_err cerr;
  int i;
  if (!json_is_object(k)) return fail(err, err_size, "the JWKS's \"keys\" must hold objects%s", NULL);
  if (use != NULL && strcmp(use, "sig") != 0) return 0;
  if (kty == NULL) return fail(err, err_size, "a key of the JWKS has no \"kty\"%s", NULL);
  if (strcmp(kty, "RSA") != 0 && !(strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0))
    return 0;
  if (alg != NULL && strcmp(alg, strcmp(kty, "RSA") == 0 ? "RS256" : "ES256") != 0) return 0;
  if (kid == NULL || strlen(kid) >= sizeof(key->kid))
    return fail(err, err_size, "a signing key of the JWKS has no \"kid\" (or one of 128 bytes or more)%s",
                NULL);
  for (i = 0; i < o->keys_count; i++)
    if (strcmp(o->keys[i].kid, kid) == 0)
      return fail(err, err_size, "the JWKS has two keys with \"kid\" \"%s\"", kid);
  if (o->keys_count >= LIMIT_JWKS_KEYS_MAX)
    return fail(err, err_size, "the JWKS holds more than 64 signing keys%s", NULL);
  key = &o->keys[o->keys_count];
  key->jwk = cjose_jwk_import_json((cjose_header_t *)k, &cerr);
  if (key->jwk == NULL) return fail(err, err_size, "the JWKS key \"%s\" is not a valid key", kid);
  snprintf(key->kid, sizeof(key->kid), "%s", kid);
  key->alg = strcmp(kty, "RSA") == 0 ? OIDC_ALG_RS256 : OIDC_ALG_ES256;
  o->keys_count++;
  return 1;
}

static int jwks_load(auth_oidc_t *o, const char *path, char *err, size_t err_size) {
  char msg[256];
  json_t *doc = core_json_file_load(path, LIMIT_JWKS_BYTES_MAX, "JWKS", msg, sizeof(msg)), *keys, *k;
  size_t i;
  int rc = 0;
  if (doc == NULL) {
    if (err != NULL && err_size > 0) snprintf(err, err_size, "oidc.jwks_file %s: %s", path, msg);
    return CASUS_ECONFIG_INVALID;
  }
  keys = json_object_get(doc, "keys");
  if (!json_is_array(keys))
    rc = fail(err, err_size, "oidc.jwks_file %s: a JWKS needs a \"keys\" array", path);
  json_array_foreach(keys, i, k) {
    if (rc != 0) break;
    rc = key_load(o, k, err, err_size);
    if (rc > 0) rc = 0;
  }
  if (rc == 0 && o->keys_count == 0)
    rc = fail(err, err_size, "oidc.jwks_file %s: no RS256 or ES256 signing key in the JWKS", path);
  json_decref(doc);
  return rc;
}

int auth_oidc_load(auth_oidc_t **out, const json_t *section, char *err, size_t err_size) {
  const json_t *claims = json_object_get(section, "claims");
  const char *key, *issuer, *audience, *jwks;
  json_t *v;
  auth_oidc_t *o;
  int i, rc;
  *out = NULL;
  if (!json_is_object(section))
    return fail(err, err_size, "\"oidc\" must be an object {issuer, audience, jwks_file, claims}%s", NULL);
  json_object_foreach((json_t *)section, key, v) {
    if (strcmp(key, "issuer") && strcmp(key, "audience") && strcmp(key, "jwks_file") &&
        strcmp(key, "claims") && strcmp(key, "description"))
      return fail(err, err_size, "unknown key \"%s\" in \"oidc\"", key);
  }
  issuer = str_member(section, "issuer");
  audience = str_member(section, "audience");
  jwks = str_member(section, "jwks_file");
  if (issuer == NULL || audience == NULL || jwks == NULL)
    return fail(err, err_size,
                "\"oidc\" needs non-empty strings \"issuer\", \"audience\" and \"jwks_file\"%s", NULL);
  if (!json_is_object(claims))
    return fail(err, err_size,
                "\"oidc.claims\" must be an object naming the claims of \"actor\", \"role\" and \"org\"%s",
                NULL);
  json_object_foreach((json_t *)claims, key, v) {
    for (i = 0; i < CLAIM_COUNT; i++)
      if (strcmp(key, claim_keys[i]) == 0) break;
    if (i == CLAIM_COUNT) return fail(err, err_size, "unknown key \"%s\" in \"oidc.claims\"", key);
  }
  o = calloc(1, sizeof(*o));
  if (o == NULL) return CASUS_ENOMEM;
  o->issuer = strdup(issuer);
  o->audience = strdup(audience);
  if (o->issuer == NULL || o->audience == NULL) {
    auth_oidc_free(o);
    return CASUS_ENOMEM;
  }
  for (i = 0; i < CLAIM_COUNT; i++) {
    const json_t *c = json_object_get(claims, claim_keys[i]);
    const char *name = json_string_value(c);
    if (c == NULL && i == CLAIM_ON_BEHALF_OF) continue;
    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(o->claims[i])) {
      auth_oidc_free(o);
      return fail(err, err_size,
                  "\"oidc.claims.%s\" must name a claim (a non-empty string of at most 63 bytes)",
                  claim_keys[i]);
    }
    snprintf(o->claims[i], sizeof(o->claims[i]), "%s", name);
  }
  rc = jwks_load(o, jwks, err, err_size);
  if (rc != 0) {
    auth_oidc_free(o);
    return rc;
  }
  *out = o;
  return 0;
}

void auth_oidc_free(auth_oidc_t *o) {
  int i;
  if (o == NULL) return;
  for (i = 0; i < o->keys_count; i++) cjose_jwk_release(o->keys[i].jwk);
  free(o->issuer);
  free(o->audience);
  free(o);
}

int auth_oidc_keys_count(const auth_oidc_t *o) {
  return o ? o->keys_count : 0;
}

static int refuse(char *why, size_t why_size, const char *fmt, const char *arg) {
  if (why != NULL && why_size > 0) snprintf(why, why_size, fmt, arg ? arg : "");
  return CASUS_EUNAUTHENTICATED;
}

/* The protected header of the compact JWS token (its first segment), as
 * JSON: a new reference, or NULL when it does not decode. */
static json_t *header_decode(const char *token) {
  const char *dot = strchr(token, '.');
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  cjose_err cerr;
  json_t *hdr;
  if (dot == NULL || dot == token) return NULL;
  if (!cjose_base64url_decode(token, (size_t)(dot - token), &raw, &raw_len, &cerr)) return NULL;
  hdr = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
  cjose_get_dealloc()(raw);
  if (!json_is_object(hdr)) {
    json_decref(hdr);
    return NULL;
  }
  return hdr;
}

/* The claim `name` of claims as an id into out: a non-empty string of
 * fewer than LIMIT_ID_BYTES_MAX bytes.  For the on-behalf-of claim, an
 * RFC 8693 "act" object gives its "sub". */
static bool claim_copy(const json_t *claims, const char *name, bool act_object, char *out, size_t out_size) {
  const json_t *v = json_object_get(claims, name);
  const char *s;
  if (act_object && json_is_object(v)) v = json_object_get(v, "sub");
  s = json_string_value(v);
  if (s == NULL || s[0] == '\0' || strlen(s) >= out_size || strlen(s) != json_string_length(v)) return false;
  memcpy(out, s, strlen(s) + 1);
  return true;
}

static bool audience_holds(const json_t *aud, const char *audience) {
  size_t i;
  json_t *a;
  if (json_is_string(aud)) return strcmp(json_string_value(aud), audience) == 0;
  json_array_foreach(aud, i, a) {
    if (json_is_string(a) && strcmp(json_string_value(a), audience) == 0) return true;
  }
  return false;
}

/* The claims after the signature: issuer, audience, lifetime, mapping. */
static int claims_check(const auth_oidc_t *o, const json_t *claims, int64_t now_s, auth_actor_t *out,
                        char *why, size_t why_size) {
  const json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
  const char *iss = json_string_value(json_object_get(claims, "iss"));
  char *fields[CLAIM_COUNT] = {out->id, out->role, out->org, out->on_behalf_of};
  int i;
  if (iss == NULL || strcmp(iss, o->issuer) != 0) return refuse(why, why_size, "wrong issuer%s", NULL);
  if (!audience_holds(json_object_get(claims, "aud"), o->audience))
    return refuse(why, why_size, "wrong audience%s", NULL);
  if (!json_is_number(exp)) return refuse(why, why_size, "token has no expiry (exp)%s", NULL);
  if ((double)now_s > json_number_value(exp) + LIMIT_OIDC_LEEWAY_S)
    return refuse(why, why_size, "token expired%s", NULL);
  if (nbf != NULL && !json_is_number(nbf)) return refuse(why, why_size, "token has a malformed nbf%s", NULL);
  if (nbf != NULL && (double)now_s + LIMIT_OIDC_LEEWAY_S < json_number_value(nbf))
    return refuse(why, why_size, "token not yet valid%s", NULL);
  for (i = 0; i < CLAIM_COUNT; i++) {
    if (o->claims[i][0] == '\0') continue; /* the optional on-behalf-of, not configured */
    if (claim_copy(claims, o->claims[i], i == CLAIM_ON_BEHALF_OF, fields[i], LIMIT_ID_BYTES_MAX)) continue;
    if (i == CLAIM_ON_BEHALF_OF && json_object_get(claims, o->claims[i]) == NULL) continue;
    return refuse(why, why_size, "missing claim \"%s\" (a non-empty string of at most 63 bytes)",
                  o->claims[i]);
  }
  out->oidc = true;
  return 0;
}

int auth_oidc_verify(const auth_oidc_t *o, const char *token, int64_t now_s, auth_actor_t *out, char *why,
                     size_t why_size) {
  size_t len = strlen(token);
  const char *alg_name, *kid;
  const oidc_key_t *key = NULL;
  oidc_alg_t alg;
  json_t *hdr, *claims;
  cjose_jws_t *jws;
  cjose_err cerr;
  uint8_t *plain = NULL;
  size_t plain_len = 0;
  int i, rc;
  CASUS_ASSERT(o != NULL);
  memset(out, 0, sizeof(*out));
  if (len > LIMIT_OIDC_TOKEN_BYTES_MAX)
    return refuse(why, why_size, "token too long (at most 8192 bytes)%s", NULL);
  hdr = header_decode(token);
  if (hdr == NULL) return refuse(why, why_size, "malformed token (not a compact JWS)%s", NULL);
  alg_name = json_string_value(json_object_get(hdr, "alg"));
  if (alg_name != NULL && strcmp(alg_name, "RS256") == 0)
    alg = OIDC_ALG_RS256;
  else if (alg_name != NULL && strcmp(alg_name, "ES256") == 0)
    alg = OIDC_ALG_ES256;
  else {
    json_decref(hdr);
    return refuse(why, why_size, "algorithm not allowed (RS256 or ES256 only)%s", NULL);
  }
  kid = json_string_value(json_object_get(hdr, "kid"));
  for (i = 0; kid != NULL && i < o->keys_count; i++)
    if (strcmp(o->keys[i].kid, kid) == 0) key = &o->keys[i];
  json_decref(hdr);
  if (kid == NULL) return refuse(why, why_size, "token has no kid%s", NULL);
  if (key == NULL) return refuse(why, why_size, "unknown kid%s", NULL);
  if (key->alg != alg) return refuse(why, why_size, "the kid's key does not fit the algorithm%s", NULL);
  jws = cjose_jws_import(token, len, &cerr);
  if (jws == NULL) return refuse(why, why_size, "malformed token (not a compact JWS)%s", NULL);
  if (!cjose_jws_verify(jws, key->jwk, &cerr)) {
    cjose_jws_release(jws);
    return refuse(why, why_size, "bad signature%s", NULL);
  }
  if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &cerr)) {
    cjose_jws_release(jws);
    return refuse(why, why_size, "malformed token (no claims)%s", NULL);
  }
  claims = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
  cjose_jws_release(jws); /* owns plain */
  if (!json_is_object(claims)) {
    json_decref(claims);
    return refuse(why, why_size, "malformed token (its claims are not a JSON object)%s", NULL);
  }
  rc = claims_check(o, claims, now_s, out, why, why_size);
  json_decref(claims);
  if (rc != 0) memset(out, 0, sizeof(*out));
  return rc;
}
