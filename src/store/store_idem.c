/*
 * store_idem.c -- the idem database: idempotency records per actor and
 * Idempotency-Key (actor id NUL key -> the first reply to that request).
 *
 * A record is binary, so that a reply is stored and replayed byte for byte,
 * with neither a serialisation nor a parse:
 *   byte 0        STORE_IDEM_FORMAT
 *   bytes 1..64   the request's SHA-256, 64 lowercase hex digits
 *   bytes 65..66  the HTTP status, big-endian
 *   bytes 67..    the reply body, verbatim
 * Older stores hold the JSON object {"request_sha256","status","body"} with
 * the body as a JSON string.  Its first byte is '{', never
 * STORE_IDEM_FORMAT, so store_idem_get reads both.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

#define STORE_IDEM_FORMAT 0x01
#define STORE_IDEM_SHA_DIGITS 64
#define STORE_IDEM_HEADER_BYTES (1 + STORE_IDEM_SHA_DIGITS + 2)

static int store_idem_key(store_key_t *k, const char *actor_id, const char *key) {
  store__key_init(k);
  store__key_add_str(k, actor_id);
  store__key_add_nul(k);
  store__key_add_str(k, key);
  return k->overflow ? CASUS_EINVALID_DATA : 0;
}

/* A malloc'ed, NUL-terminated copy of n bytes at p. */
static char *store_idem_dup(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s == NULL) return NULL;
  if (n > 0) memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* Reads a record in the JSON form of older stores. */
static int store_idem_get_json(const MDB_val *val, char request_sha256[65], int *status, char **body,
                               size_t *body_bytes) {
  const char *sha, *b;
  const json_t *st;
  json_t *rec;
  int rc = store__json_load(val, &rec);
  if (rc < 0) return rc;
  sha = json_string_value(json_object_get(rec, "request_sha256"));
  st = json_object_get(rec, "status");
  b = json_string_value(json_object_get(rec, "body"));
  if (sha == NULL || strlen(sha) != STORE_IDEM_SHA_DIGITS || !json_is_integer(st) || b == NULL) {
    json_decref(rec);
    return CASUS_ESTORE_CORRUPT;
  }
  memcpy(request_sha256, sha, STORE_IDEM_SHA_DIGITS + 1);
  *status = (int)json_integer_value(st);
  *body_bytes = json_string_length(json_object_get(rec, "body"));
  *body = store_idem_dup(b, *body_bytes);
  json_decref(rec);
  return *body == NULL ? CASUS_ENOMEM : 0;
}

int store_idem_get(store_txn_t *txn, const char *actor_id, const char *key, char request_sha256[65],
                   int *status, char **body, size_t *body_bytes) {
  const char *b;
  store_key_t k;
  MDB_val val;
  int rc;

  *body = NULL;
  *body_bytes = 0;
  *status = 0;
  request_sha256[0] = '\0';
  if (txn->err < 0) return txn->err;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  rc = store__raw_get(txn, STORE_DB_IDEM, &k, &val);
  if (rc < 0) return rc;
  b = val.mv_data;
  if (val.mv_size > 0 && b[0] == '{')
    return store_idem_get_json(&val, request_sha256, status, body, body_bytes);
  if (val.mv_size < STORE_IDEM_HEADER_BYTES || b[0] != STORE_IDEM_FORMAT ||
      !store__hex_ok(b + 1, STORE_IDEM_SHA_DIGITS))
    return CASUS_ESTORE_CORRUPT;
  memcpy(request_sha256, b + 1, STORE_IDEM_SHA_DIGITS);
  request_sha256[STORE_IDEM_SHA_DIGITS] = '\0';
  *status = ((uint8_t)b[1 + STORE_IDEM_SHA_DIGITS] << 8) | (uint8_t)b[2 + STORE_IDEM_SHA_DIGITS];
  *body_bytes = val.mv_size - STORE_IDEM_HEADER_BYTES;
  *body = store_idem_dup(b + STORE_IDEM_HEADER_BYTES, *body_bytes);
  if (*body == NULL) {
    *body_bytes = 0;
    return CASUS_ENOMEM;
  }
  return 0;
}

int store_idem_put(store_txn_t *txn, const char *actor_id, const char *key, const char request_sha256[65],
                   int status, const char *body, size_t body_bytes) {
  store_key_t k;
  uint8_t *rec;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(strlen(request_sha256) == STORE_IDEM_SHA_DIGITS &&
               store__hex_ok(request_sha256, STORE_IDEM_SHA_DIGITS));
  CASUS_ASSERT(status >= 100 && status <= 999);
  CASUS_ASSERT(body != NULL || body_bytes == 0);
  if (txn->err < 0) return txn->err;
  if (body_bytes > LIMIT_RESPONSE_BYTES_MAX) return CASUS_EINVALID_DATA;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  rc = store__raw_reserve(txn, STORE_DB_IDEM, &k, STORE_IDEM_HEADER_BYTES + body_bytes, false, (void **)&rec);
  if (rc < 0) return rc;
  rec[0] = STORE_IDEM_FORMAT;
  memcpy(rec + 1, request_sha256, STORE_IDEM_SHA_DIGITS);
  rec[1 + STORE_IDEM_SHA_DIGITS] = (uint8_t)(status >> 8);
  rec[2 + STORE_IDEM_SHA_DIGITS] = (uint8_t)status;
  if (body_bytes > 0) memcpy(rec + STORE_IDEM_HEADER_BYTES, body, body_bytes);
  return 0;
}
