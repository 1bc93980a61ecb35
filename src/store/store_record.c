/*
 * store_record.c -- the helpers every database's file uses: building keys,
 * reading and writing raw and JSON records, opening cursors, and the meta
 * database's decimal counters (schema_version, case_seq, inbox_seq).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "store/store_int.h"

/* Big enough for any decimal uint64 and a NUL. */
#define STORE_DECIMAL_BYTES 24

/* --- keys --- */

void store__key_init(store_key_t *k) {
  k->len = 0;
  k->overflow = false;
}

void store__key_add(store_key_t *k, const void *p, size_t n) {
  if (k->overflow || n > sizeof(k->bytes) - k->len) {
    k->overflow = true;
    return;
  }
  if (n > 0) memcpy(k->bytes + k->len, p, n);
  k->len += n;
}

void store__key_add_str(store_key_t *k, const char *s) {
  store__key_add(k, s, strlen(s));
}

/* A NUL separates a string from what follows it.  Because NUL sorts before
 * every other byte, all keys of "c-1" come before those of "c-10". */
void store__key_add_nul(store_key_t *k) {
  store__key_add(k, "", 1);
}

void store__key_add_u64(store_key_t *k, uint64_t v) {
  uint8_t b[STORE_SEQ_BYTES];
  int i;
  for (i = STORE_SEQ_BYTES - 1; i >= 0; i--) {
    b[i] = (uint8_t)v;
    v >>= 8;
  }
  store__key_add(k, b, sizeof(b));
}

MDB_val store__key_val(store_key_t *k) {
  MDB_val v;
  CASUS_ASSERT(!k->overflow && k->len > 0);
  v.mv_size = k->len;
  v.mv_data = k->bytes;
  return v;
}

uint64_t store__u64_from_be(const uint8_t *p) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < STORE_SEQ_BYTES; i++) v = (v << 8) | p[i];
  return v;
}

/* Times sort as signed numbers: flipping the sign bit maps int64 onto uint64
 * monotonically (adding 2^63 modulo 2^64), so -1 sorts before 0. */
void store__key_add_time(store_key_t *k, int64_t t) {
  store__key_add_u64(k, (uint64_t)t ^ (UINT64_C(1) << 63));
}

int64_t store__time_from_be(const uint8_t *p) {
  uint64_t u = store__u64_from_be(p) ^ (UINT64_C(1) << 63);
  /* Converting a uint64 above INT64_MAX to int64 is implementation-defined;
   * build negative values arithmetically instead. */
  if (u <= (uint64_t)INT64_MAX) return (int64_t)u;
  return -(int64_t)(~u) - 1;
}

/* Does key start with the bytes of prefix_key? */
bool store__key_has_prefix(const MDB_val *key, const store_key_t *prefix) {
  return key->mv_size >= prefix->len && memcmp(key->mv_data, prefix->bytes, prefix->len) == 0;
}

/* An id that is safe as a key part: non-empty and within the id limit. */
bool store__id_ok(const char *id) {
  size_t n;
  if (id == NULL) return false;
  n = strlen(id);
  return n > 0 && n <= LIMIT_ID_BYTES_MAX;
}

bool store__hex_ok(const char *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return false;
  return true;
}

/* --- JSON records --- */

/* Parses a stored record, which must be a JSON object. */
int store__json_load(const MDB_val *val, json_t **out) {
  json_error_t jerr;
  json_t *j = core_json_loadb(val->mv_data, val->mv_size, JSON_REJECT_DUPLICATES, &jerr);
  *out = NULL;
  if (j == NULL)
    return json_error_code(&jerr) == json_error_out_of_memory ? CASUS_ENOMEM : CASUS_ESTORE_CORRUPT;
  if (!json_is_object(j)) {
    json_decref(j);
    return CASUS_ESTORE_CORRUPT;
  }
  *out = j;
  return 0;
}

int store__raw_put(store_txn_t *txn, int db, store_key_t *key, const void *data, size_t len) {
  MDB_val k = store__key_val(key);
  MDB_val v;
  v.mv_size = len;
  v.mv_data = (void *)data; /* LMDB copies it; the cast only drops const */
  return store__txn_mdb(txn, store__mdb_put(txn, db, &k, &v, 0), "put");
}

int store__raw_reserve(store_txn_t *txn, int db, store_key_t *key, size_t len, bool no_overwrite,
                       void **data) {
  MDB_val k = store__key_val(key);
  MDB_val v;
  int mrc;
  *data = NULL;
  v.mv_size = len;
  v.mv_data = NULL;
  mrc = store__mdb_put(txn, db, &k, &v, MDB_RESERVE | (no_overwrite ? MDB_NOOVERWRITE : 0));
  /* LMDB itself leaves the transaction usable after MDB_KEYEXIST; the store
   * does not, since a caller that meets it has a wrong idea of the data. */
  if (mrc == MDB_KEYEXIST) return store__txn_fail(txn, CASUS_ESTORE_CORRUPT);
  if (mrc != 0) return store__txn_mdb(txn, mrc, "put");
  CASUS_ASSERT(v.mv_size == len);
  *data = v.mv_data;
  return 0;
}

/* Writes record as compact JSON; sort_keys gives a canonical form. */
int store__json_put(store_txn_t *txn, int db, store_key_t *key, const json_t *record, bool sort_keys) {
  char *s = core_json_dumps(record, JSON_COMPACT | (sort_keys ? JSON_SORT_KEYS : 0));
  int rc;
  if (s == NULL) return CASUS_ENOMEM;
  rc = store__raw_put(txn, db, key, s, strlen(s));
  free(s);
  return rc;
}

int store__raw_get(store_txn_t *txn, int db, store_key_t *key, MDB_val *val) {
  MDB_val k = store__key_val(key);
  return store__txn_mdb(txn, mdb_get(txn->txn, txn->st->dbi[db], &k, val), "get");
}

int store__raw_del(store_txn_t *txn, int db, store_key_t *key) {
  MDB_val k = store__key_val(key);
  return store__txn_mdb(txn, store__mdb_del(txn, db, &k, NULL), "del");
}

int store__json_get(store_txn_t *txn, int db, store_key_t *key, json_t **out) {
  MDB_val val;
  int rc = store__raw_get(txn, db, key, &val);
  *out = NULL;
  if (rc < 0) return rc;
  return store__json_load(&val, out);
}

int store__cursor_open(store_txn_t *txn, int db, MDB_cursor **cur) {
  return store__txn_mdb(txn, mdb_cursor_open(txn->txn, txn->st->dbi[db], cur), "cursor_open");
}

/* A JSON integer member as uint64; false when missing, not an integer or
 * negative. */
bool store__json_u64(const json_t *obj, const char *name, uint64_t *out) {
  const json_t *v = json_object_get(obj, name);
  if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
  *out = (uint64_t)json_integer_value(v);
  return true;
}

/* --- meta counters --- */

void store__meta_key(store_key_t *k, const char *name) {
  store__key_init(k);
  store__key_add_str(k, name);
}

/* Reads a decimal meta value; a missing one reads as 0. */
int store__meta_u64_get(store_txn_t *txn, const char *name, uint64_t *out) {
  store_key_t k;
  MDB_val val;
  char buf[STORE_DECIMAL_BYTES];
  char *end;
  unsigned long long v;
  int rc;

  *out = 0;
  store__meta_key(&k, name);
  rc = store__raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return 0;
  if (rc < 0) return rc;
  if (val.mv_size == 0 || val.mv_size >= sizeof(buf)) return CASUS_ESTORE_CORRUPT;
  memcpy(buf, val.mv_data, val.mv_size);
  buf[val.mv_size] = '\0';
  if (buf[0] < '0' || buf[0] > '9') return CASUS_ESTORE_CORRUPT;
  errno = 0;
  v = strtoull(buf, &end, 10);
  if (errno != 0 || *end != '\0') return CASUS_ESTORE_CORRUPT;
  *out = (uint64_t)v;
  return 0;
}

int store__meta_u64_put(store_txn_t *txn, const char *name, uint64_t v) {
  store_key_t k;
  char buf[STORE_DECIMAL_BYTES];
  int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
  CASUS_ASSERT(n > 0 && (size_t)n < sizeof(buf));
  store__meta_key(&k, name);
  return store__raw_put(txn, STORE_DB_META, &k, buf, (size_t)n);
}

/* Increments a meta counter and returns its new value. */
int store__meta_next(store_txn_t *txn, const char *name, uint64_t *out) {
  uint64_t v;
  int rc = store__meta_u64_get(txn, name, &v);
  if (rc < 0) return rc;
  CASUS_ASSERT(v < UINT64_MAX);
  rc = store__meta_u64_put(txn, name, v + 1);
  if (rc < 0) return rc;
  *out = v + 1;
  return 0;
}

int store__cursor_after(MDB_cursor *cur, const void *after, size_t after_bytes, MDB_val *key, MDB_val *val) {
  int mrc;
  if (after_bytes == 0) return mdb_cursor_get(cur, key, val, MDB_FIRST);
  key->mv_size = after_bytes;
  key->mv_data = (void *)after;
  mrc = mdb_cursor_get(cur, key, val, MDB_SET_RANGE);
  if (mrc == 0 && key->mv_size == after_bytes && memcmp(key->mv_data, after, after_bytes) == 0)
    mrc = mdb_cursor_get(cur, key, val, MDB_NEXT);
  return mrc;
}

/* --- helpers for destroying a case (store_destroy.c and each database's file) --- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil, written out for int64). */
static int64_t store_days_from_civil(int64_t y, int64_t m, int64_t d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* n decimal digits at p, or -1. */
static int64_t store_digits(const char *p, size_t n) {
  int64_t v = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

bool store__time_parse(const char *s, size_t n, int64_t *out) {
  int64_t y, mo, d, h, mi, sec, off = 0;
  size_t i = 19;
  if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return false;
  y = store_digits(s, 4);
  mo = store_digits(s + 5, 2);
  d = store_digits(s + 8, 2);
  h = store_digits(s + 11, 2);
  mi = store_digits(s + 14, 2);
  sec = store_digits(s + 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
      sec > 60)
    return false;
  if (s[i] == '.')
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    }
  if (i + 1 == n && s[i] == 'Z') {
    off = 0;
  } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int64_t oh = store_digits(s + i + 1, 2), om = store_digits(s + i + 4, 2);
    if (oh < 0 || om < 0) return false;
    off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
  } else {
    return false;
  }
  *out = store_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
  return true;
}

int store__prefix_first(store_txn_t *txn, int db, const char *id, store_key_t *key_out, MDB_val *val) {
  MDB_cursor *cur;
  MDB_val key;
  store_key_t prefix;
  int rc, mrc;
  store__key_init(&prefix);
  store__key_add_str(&prefix, id);
  store__key_add_nul(&prefix);
  if (prefix.overflow) return CASUS_EINVALID_DATA;
  rc = store__cursor_open(txn, db, &cur);
  if (rc < 0) return rc;
  key = store__key_val(&prefix);
  mrc = mdb_cursor_get(cur, &key, val, MDB_SET_RANGE);
  if (mrc == 0 && !store__key_has_prefix(&key, &prefix)) mrc = MDB_NOTFOUND;
  if (mrc == 0) {
    store__key_init(key_out);
    store__key_add(key_out, key.mv_data, key.mv_size);
    if (key_out->overflow) mrc = MDB_CORRUPTED; /* no stored key is longer than a key */
  }
  mdb_cursor_close(cur);
  if (mrc == MDB_NOTFOUND) return CASUS_ENOT_FOUND;
  return mrc == 0 ? 0 : store__txn_mdb(txn, mrc, "prefix seek");
}
