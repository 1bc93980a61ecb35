/*
 * store_idem.c -- the idem database: idempotency records per actor and
 * Idempotency-Key (actor id NUL key -> the first reply to that request),
 * and idem_time (t actor id NUL key -> ""), the same records in the order of
 * their creation, for the sweep that deletes them once they expire.
 *
 * A record is binary, so that a reply is stored and replayed byte for byte,
 * with neither a serialisation nor a parse:
 *   byte 0        STORE_IDEM_FORMAT (2)
 *   bytes 1..64   the request's SHA-256, 64 lowercase hex digits
 *   bytes 65..66  the HTTP status, big-endian
 *   bytes 67..74  the creation time, 8 bytes BE offset by 2^63 (as in keys)
 *   bytes 75..    the reply body, verbatim
 * Older stores hold format 1 (the same without the time) or the JSON object
 * {"request_sha256","status","body"} with the body as a JSON string.  Its
 * first byte is '{', never a format byte, so store_idem_get reads all
 * three; the older two have no time (STORE_TIME_NONE) and are swept by the
 * idem_time entry the growth upgrade gives them.
 *
 * The reply is kept verbatim rather than as a digest: a retry must get the
 * first reply (docs/api.md), which a digest cannot give back.  What bounds
 * the database is the sweep: a record lives its time to live (24 hours to 7
 * days, configured), then goes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

#define STORE_IDEM_FORMAT_V1 0x01
#define STORE_IDEM_FORMAT 0x02
#define STORE_IDEM_SHA_DIGITS 64
#define STORE_IDEM_HEADER_V1_BYTES (1 + STORE_IDEM_SHA_DIGITS + 2)
#define STORE_IDEM_HEADER_BYTES (STORE_IDEM_HEADER_V1_BYTES + STORE_SEQ_BYTES)

static int store_idem_key(store_key_t *k, const char *actor_id, const char *key) {
  store__key_init(k);
  store__key_add_str(k, actor_id);
  store__key_add_nul(k);
  store__key_add_str(k, key);
  return k->overflow ? CASUS_EINVALID_DATA : 0;
}

/* The idem_time key of the record under idem key ik, created at t. */
static void store_idem_time_key(store_key_t *k, int64_t t, const uint8_t *ik, size_t ik_len) {
  store__key_init(k);
  store__key_add_time(k, t);
  store__key_add(k, ik, ik_len);
}

/* The creation time of a stored record: STORE_TIME_NONE for the older
 * forms, which have none. */
static int64_t store_idem_created(const MDB_val *val) {
  const uint8_t *b = val->mv_data;
  if (val->mv_size >= STORE_IDEM_HEADER_BYTES && b[0] == STORE_IDEM_FORMAT)
    return store__time_from_be(b + STORE_IDEM_HEADER_V1_BYTES);
  return STORE_TIME_NONE;
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
                   int *status, int64_t *created_s, char **body, size_t *body_bytes) {
  const char *b;
  size_t header;
  store_key_t k;
  MDB_val val;
  int rc;

  *body = NULL;
  *body_bytes = 0;
  *status = 0;
  *created_s = STORE_TIME_NONE;
  request_sha256[0] = '\0';
  if (txn->err < 0) return txn->err;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  rc = store__raw_get(txn, STORE_DB_IDEM, &k, &val);
  if (rc < 0) return rc;
  b = val.mv_data;
  if (val.mv_size > 0 && b[0] == '{')
    return store_idem_get_json(&val, request_sha256, status, body, body_bytes);
  header =
      val.mv_size > 0 && b[0] == STORE_IDEM_FORMAT ? STORE_IDEM_HEADER_BYTES : STORE_IDEM_HEADER_V1_BYTES;
  if (val.mv_size < header || (b[0] != STORE_IDEM_FORMAT && b[0] != STORE_IDEM_FORMAT_V1) ||
      !store__hex_ok(b + 1, STORE_IDEM_SHA_DIGITS))
    return CASUS_ESTORE_CORRUPT;
  memcpy(request_sha256, b + 1, STORE_IDEM_SHA_DIGITS);
  request_sha256[STORE_IDEM_SHA_DIGITS] = '\0';
  *status = ((uint8_t)b[1 + STORE_IDEM_SHA_DIGITS] << 8) | (uint8_t)b[2 + STORE_IDEM_SHA_DIGITS];
  *created_s = store_idem_created(&val);
  *body_bytes = val.mv_size - header;
  *body = store_idem_dup(b + header, *body_bytes);
  if (*body == NULL) {
    *body_bytes = 0;
    return CASUS_ENOMEM;
  }
  return 0;
}

int store_idem_put(store_txn_t *txn, const char *actor_id, const char *key, const char request_sha256[65],
                   int status, int64_t created_s, const char *body, size_t body_bytes) {
  store_key_t k, tk, old_tk;
  MDB_val old;
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
  /* Both keys must fit before anything is written. */
  store_idem_time_key(&tk, created_s, k.bytes, k.len);
  if (tk.overflow) return CASUS_EINVALID_DATA;
  /* A record replaced takes its idem_time entry with it, so that the entry
   * cannot later sweep the new record. */
  rc = store__raw_get(txn, STORE_DB_IDEM, &k, &old);
  if (rc == 0) {
    int64_t t = store_idem_created(&old);
    if (t != STORE_TIME_NONE) {
      store_idem_time_key(&old_tk, t, k.bytes, k.len);
      rc = store__raw_del(txn, STORE_DB_IDEM_TIME, &old_tk);
      if (rc == CASUS_ENOT_FOUND) rc = 0;
    }
  } else if (rc == CASUS_ENOT_FOUND) {
    rc = 0;
  }
  if (rc < 0) return store__txn_fail(txn, rc);
  rc = store__raw_reserve(txn, STORE_DB_IDEM, &k, STORE_IDEM_HEADER_BYTES + body_bytes, false, (void **)&rec);
  if (rc < 0) return rc;
  rec[0] = STORE_IDEM_FORMAT;
  memcpy(rec + 1, request_sha256, STORE_IDEM_SHA_DIGITS);
  rec[1 + STORE_IDEM_SHA_DIGITS] = (uint8_t)(status >> 8);
  rec[2 + STORE_IDEM_SHA_DIGITS] = (uint8_t)status;
  {
    /* The time as in keys, so that one decoder reads both. */
    store_key_t t;
    store__key_init(&t);
    store__key_add_time(&t, created_s);
    memcpy(rec + STORE_IDEM_HEADER_V1_BYTES, t.bytes, STORE_SEQ_BYTES);
  }
  if (body_bytes > 0) memcpy(rec + STORE_IDEM_HEADER_BYTES, body, body_bytes);
  return store__raw_put(txn, STORE_DB_IDEM_TIME, &tk, "", 0);
}

int store_idem_sweep(store_txn_t *txn, int64_t created_before_s, size_t max, size_t *swept) {
  MDB_cursor *cur;
  MDB_val key, val;
  size_t n = 0;
  int rc = 0, mrc = 0;

  CASUS_ASSERT(txn->write);
  if (swept != NULL) *swept = 0;
  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_IDEM_TIME, &cur);
  if (rc < 0) return rc;
  /* Each pass takes the oldest entry, which the previous pass deleted. */
  while (n < max && (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST)) == 0) {
    store_key_t ik;
    MDB_val rec;
    int64_t t;
    if (key.mv_size > STORE_SEQ_BYTES) {
      t = store__time_from_be(key.mv_data);
      if (t >= created_before_s) break;
      /* Copy the record's key out of the map before writing. */
      store__key_init(&ik);
      store__key_add(&ik, (const uint8_t *)key.mv_data + STORE_SEQ_BYTES, key.mv_size - STORE_SEQ_BYTES);
      rc = store__raw_get(txn, STORE_DB_IDEM, &ik, &rec);
      if (rc == 0) {
        int64_t created = store_idem_created(&rec);
        /* An entry of a replaced record names an older time: it goes alone. */
        if (created == t || created == STORE_TIME_NONE) rc = store__raw_del(txn, STORE_DB_IDEM, &ik);
      }
      if (rc == CASUS_ENOT_FOUND) rc = 0;
      if (rc < 0) break;
    }
    /* A malformed entry indexes nothing: it goes too. */
    rc = store__txn_mdb(txn, store__mdb_cursor_del(txn, cur, 0), "idem sweep");
    if (rc < 0) break;
    n++;
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "idem sweep");
  if (swept != NULL) *swept = n;
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

int store__idem_upgrade_step(store_txn_t *txn, store_growth_pos_t *pos, int64_t now_s, size_t max,
                             size_t *filed, bool *end) {
  MDB_cursor *cur;
  MDB_val key, val;
  size_t n = 0;
  int rc = 0, mrc;

  *filed = 0;
  *end = false;
  rc = store__cursor_open(txn, STORE_DB_IDEM, &cur);
  if (rc < 0) return rc;
  mrc = store__cursor_after(cur, pos->key, pos->key_bytes, &key, &val);
  while (mrc == 0 && n < max) {
    CASUS_ASSERT(key.mv_size <= sizeof(pos->key));
    memcpy(pos->key, key.mv_data, key.mv_size);
    pos->key_bytes = key.mv_size;
    /* A record with a time is filed under it (again: the same key); the
     * older forms, which have none, under now. */
    {
      int64_t t = store_idem_created(&val);
      store_key_t tk;
      store_idem_time_key(&tk, t == STORE_TIME_NONE ? now_s : t, key.mv_data, key.mv_size);
      if (!tk.overflow) rc = store__raw_put(txn, STORE_DB_IDEM_TIME, &tk, "", 0);
      if (rc < 0) break;
    }
    n++;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  *filed = n;
  if (rc < 0) return rc;
  if (mrc == MDB_NOTFOUND) {
    *end = true;
    return 0;
  }
  return mrc == 0 ? 0 : store__txn_mdb(txn, mrc, "idem upgrade");
}

/* Does the stored record in val name case id: the id between quotes (a
 * reply's JSON), or between escaped quotes (the body of the oldest form,
 * a JSON string)?  Ids are letters, digits and marks, so the quotes make a
 * match exact: "c-01" does not match inside "c-012". */
static bool store_idem_names(const MDB_val *val, const char *id, size_t id_len) {
  const char *b = val->mv_data, *end = b + val->mv_size, *p = b;
  while (p < end && (size_t)(end - p) >= id_len) {
    const char *hit = memchr(p, id[0], (size_t)(end - p) - id_len + 1);
    if (hit == NULL) return false;
    if (memcmp(hit, id, id_len) == 0 && hit > b && hit[-1] == '"' && hit + id_len < end &&
        (hit[id_len] == '"' || hit[id_len] == '\\'))
      return true;
    p = hit + 1;
  }
  return false;
}

int store__idem_destroy(store_txn_t *txn, const char *case_id, uint64_t *count) {
  size_t id_len = strlen(case_id), n = 0, cap = 0, i;
  store_key_t *doomed = NULL;
  MDB_cursor *cur;
  MDB_val key, val;
  int rc = 0, mrc;

  CASUS_ASSERT(txn->write);
  *count = 0;
  /* One pass over the records (the sweep keeps them to a few days of
   * writes), collecting the keys; then the deletions. */
  rc = store__cursor_open(txn, STORE_DB_IDEM, &cur);
  if (rc < 0) return rc;
  for (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    if (!store_idem_names(&val, case_id, id_len)) continue;
    if (n == cap) {
      size_t c = cap ? cap * 2 : 8;
      store_key_t *d = realloc(doomed, c * sizeof(*d));
      if (d == NULL) {
        rc = CASUS_ENOMEM;
        break;
      }
      doomed = d;
      cap = c;
    }
    store__key_init(&doomed[n]);
    store__key_add(&doomed[n], key.mv_data, key.mv_size);
    if (!doomed[n].overflow) n++;
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "idem destroy");
  for (i = 0; rc == 0 && i < n; i++) {
    MDB_val rec;
    rc = store__raw_get(txn, STORE_DB_IDEM, &doomed[i], &rec);
    if (rc == 0) {
      int64_t t = store_idem_created(&rec);
      if (t != STORE_TIME_NONE) {
        store_key_t tk;
        store_idem_time_key(&tk, t, doomed[i].bytes, doomed[i].len);
        rc = store__raw_del(txn, STORE_DB_IDEM_TIME, &tk);
        if (rc == CASUS_ENOT_FOUND) rc = 0;
      }
    }
    if (rc == 0) rc = store__raw_del(txn, STORE_DB_IDEM, &doomed[i]);
    if (rc == 0) (*count)++;
  }
  free(doomed);
  return rc;
}
