/*
 * store_access.c -- the access log (NEN 7513): who read or wrote which case.
 *
 *   access       case id NUL seq -> the entry, binary: a format byte (1), then
 *                the string members of STORE_ACCESS_MEMBERS in that order,
 *                each NUL-terminated ("" for an absent one); no JSON, so that
 *                logging costs a write no serialisation
 *   access_time  t seq -> case id: the entries in the order of their time,
 *                for the sweep that deletes them once kept long enough
 *
 * seq comes from the global meta counter access_seq, so that one case's
 * entries list in the order they were made.  The entries are appended in
 * the server's group commit (docs/architecture.md): never a transaction of
 * their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

#define STORE_ACCESS_FORMAT 0x01
static const char *const STORE_ACCESS_MEMBERS[] = {"time",         "actor",   "role",   "org",
                                                   "on_behalf_of", "case_id", "access", "request_id"};
#define STORE_ACCESS_MEMBERS_COUNT (sizeof(STORE_ACCESS_MEMBERS) / sizeof(STORE_ACCESS_MEMBERS[0]))

static void store_access_key(store_key_t *k, const char *case_id, uint64_t seq) {
  store__key_init(k);
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
}

static void store_access_time_key(store_key_t *k, int64_t t, uint64_t seq) {
  store__key_init(k);
  store__key_add_time(k, t);
  store__key_add_u64(k, seq);
}

int store_access_append(store_txn_t *txn, const char *case_id, int64_t at_s, const json_t *entry,
                        uint64_t *seq_out) {
  store_key_t k, tk;
  const char *v[STORE_ACCESS_MEMBERS_COUNT];
  size_t len[STORE_ACCESS_MEMBERS_COUNT], total = 1, i;
  uint8_t *rec;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  if (seq_out != NULL) *seq_out = 0;
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id) || !json_is_object(entry)) return CASUS_EINVALID_DATA;
  for (i = 0; i < STORE_ACCESS_MEMBERS_COUNT; i++) {
    const json_t *m = json_object_get(entry, STORE_ACCESS_MEMBERS[i]);
    if (m != NULL && !json_is_string(m)) return CASUS_EINVALID_DATA;
    v[i] = m ? json_string_value(m) : "";
    len[i] = strlen(v[i]);
    /* a string with a NUL inside would not decode as written */
    if (m != NULL && len[i] != json_string_length(m)) return CASUS_EINVALID_DATA;
    if (len[i] > LIMIT_ID_BYTES_MAX * 2) return CASUS_EINVALID_DATA;
    total += len[i] + 1;
  }
  /* A destroyed case keeps no log: a read answered from a snapshot taken
   * before its destruction (or beside a purge) appends nothing. */
  rc = store__destroyed_has(txn, case_id);
  if (rc != 0) return rc < 0 ? rc : 0;
  rc = store__meta_next(txn, "access_seq", &seq);
  if (rc < 0) return rc;
  store_access_key(&k, case_id, seq);
  store_access_time_key(&tk, at_s, seq);
  if (k.overflow || tk.overflow) return CASUS_EINVALID_DATA;
  rc = store__raw_reserve(txn, STORE_DB_ACCESS, &k, total, false, (void **)&rec);
  if (rc < 0) return rc;
  *rec++ = STORE_ACCESS_FORMAT;
  for (i = 0; i < STORE_ACCESS_MEMBERS_COUNT; i++) {
    memcpy(rec, v[i], len[i] + 1);
    rec += len[i] + 1;
  }
  if (rc == 0) rc = store__raw_put(txn, STORE_DB_ACCESS_TIME, &tk, case_id, strlen(case_id));
  if (rc == 0 && seq_out != NULL) *seq_out = seq;
  return rc;
}

/* Decodes a stored entry into a new JSON object with "seq"; absent
 * (empty) members are left out.  CASUS_ESTORE_CORRUPT unless it is exactly
 * what store_access_append writes. */
static int store_access_decode(const MDB_val *val, uint64_t seq, json_t **out) {
  const char *p = val->mv_data, *end = p + val->mv_size;
  json_t *e;
  size_t i;
  *out = NULL;
  if (val->mv_size < 1 || (uint8_t)p[0] != STORE_ACCESS_FORMAT) return CASUS_ESTORE_CORRUPT;
  p++;
  e = json_object();
  if (e == NULL) return CASUS_ENOMEM;
  json_object_set_new(e, "seq", json_integer((json_int_t)seq));
  for (i = 0; i < STORE_ACCESS_MEMBERS_COUNT; i++) {
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    json_t *s;
    if (nul == NULL) {
      json_decref(e);
      return CASUS_ESTORE_CORRUPT;
    }
    if (nul > p) {
      s = json_stringn(p, (size_t)(nul - p));
      if (s == NULL) { /* not UTF-8 */
        json_decref(e);
        return CASUS_ESTORE_CORRUPT;
      }
      json_object_set_new(e, STORE_ACCESS_MEMBERS[i], s);
    }
    p = nul + 1;
  }
  if (p != end) {
    json_decref(e);
    return CASUS_ESTORE_CORRUPT;
  }
  *out = e;
  return 0;
}

int store_access_page(store_txn_t *txn, const char *case_id, uint64_t after_seq, size_t max_entries,
                      json_t **out, uint64_t *next_seq) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, seek;
  uint64_t last = 0;
  size_t n = 0;
  json_t *list;
  int rc = 0, mrc;

  *out = NULL;
  *next_seq = 0;
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id) || max_entries == 0) return CASUS_EINVALID_DATA;
  list = json_array();
  if (list == NULL) return CASUS_ENOMEM;
  if (after_seq == UINT64_MAX) {
    *out = list;
    return 0;
  }
  store__key_init(&prefix);
  store__key_add_str(&prefix, case_id);
  store__key_add_nul(&prefix);
  store_access_key(&seek, case_id, after_seq + 1);
  rc = store__cursor_open(txn, STORE_DB_ACCESS, &cur);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  key = store__key_val(&seek);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && store__key_has_prefix(&key, &prefix)) {
    json_t *e;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    if (n == max_entries) {
      *next_seq = last; /* one more exists: the next page starts after the last listed */
      break;
    }
    last = store__u64_from_be((const uint8_t *)key.mv_data + prefix.len);
    rc = store_access_decode(&val, last, &e);
    if (rc < 0) break;
    json_array_append_new(list, e);
    n++;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "access page");
  if (rc < 0) {
    json_decref(list);
    *next_seq = 0;
    return rc;
  }
  *out = list;
  return 0;
}

int store_access_sweep(store_txn_t *txn, int64_t before_s, size_t max, size_t *swept) {
  MDB_cursor *cur;
  MDB_val key, val;
  size_t n = 0;
  int rc = 0, mrc = 0;

  CASUS_ASSERT(txn->write);
  if (swept != NULL) *swept = 0;
  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_ACCESS_TIME, &cur);
  if (rc < 0) return rc;
  /* Each pass takes the oldest entry, which the previous pass deleted. */
  while (n < max && (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST)) == 0) {
    if (key.mv_size == 2 * STORE_SEQ_BYTES) {
      store_key_t k;
      char id[LIMIT_ID_BYTES_MAX];
      int64_t t = store__time_from_be(key.mv_data);
      uint64_t seq = store__u64_from_be((const uint8_t *)key.mv_data + STORE_SEQ_BYTES);
      if (t >= before_s) break;
      if (val.mv_size > 0 && val.mv_size < sizeof(id)) {
        memcpy(id, val.mv_data, val.mv_size);
        id[val.mv_size] = '\0';
        store_access_key(&k, id, seq);
        if (!k.overflow) rc = store__raw_del(txn, STORE_DB_ACCESS, &k);
        if (rc == CASUS_ENOT_FOUND) rc = 0;
        if (rc < 0) break;
      }
    }
    /* A malformed entry indexes nothing: it goes too. */
    rc = store__txn_mdb(txn, store__mdb_cursor_del(txn, cur, 0), "access sweep");
    if (rc < 0) break;
    n++;
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "access sweep");
  if (swept != NULL) *swept = n;
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

int store__access_destroy(store_txn_t *txn, const char *case_id, uint64_t *count) {
  store_key_t k, tk;
  MDB_val val;
  int rc;

  CASUS_ASSERT(txn->write);
  *count = 0;
  while ((rc = store__prefix_first(txn, STORE_DB_ACCESS, case_id, &k, &val)) == 0) {
    uint64_t seq;
    int64_t t;
    const char *when = (const char *)val.mv_data + 1;
    size_t n;
    if (k.len < STORE_SEQ_BYTES) return store__txn_fail(txn, CASUS_ESTORE_CORRUPT);
    seq = store__u64_from_be(k.bytes + k.len - STORE_SEQ_BYTES);
    /* Its access_time entry: the API dates an entry's "time" (the first
     * member) by the same clock as its key, so it is found without a scan.
     * An entry dated otherwise leaves its access_time entry (time, seq, the
     * case id) to the sweep, which deletes it when it comes due. */
    if (val.mv_size > 1 && ((const uint8_t *)val.mv_data)[0] == STORE_ACCESS_FORMAT &&
        (n = strnlen(when, val.mv_size - 1)) < val.mv_size - 1 && store__time_parse(when, n, &t)) {
      store_access_time_key(&tk, t, seq);
      rc = store__raw_del(txn, STORE_DB_ACCESS_TIME, &tk);
      if (rc < 0 && rc != CASUS_ENOT_FOUND) return rc;
    }
    rc = store__raw_del(txn, STORE_DB_ACCESS, &k);
    if (rc < 0) return rc;
    (*count)++;
  }
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}
