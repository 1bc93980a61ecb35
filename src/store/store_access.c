/*
 * store_access.c -- the access log (NEN 7513): who read or wrote which case.
 *
 *   access       case id NUL seq -> the entry as compact JSON, "seq" included
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
  json_t *rec;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id) || !json_is_object(entry)) return CASUS_EINVALID_DATA;
  rc = store__meta_next(txn, "access_seq", &seq);
  if (rc < 0) return rc;
  store_access_key(&k, case_id, seq);
  store_access_time_key(&tk, at_s, seq);
  if (k.overflow || tk.overflow) return CASUS_EINVALID_DATA;
  rec = json_deep_copy(entry);
  if (rec == NULL) return CASUS_ENOMEM;
  json_object_set_new(rec, "seq", json_integer((json_int_t)seq));
  rc = store__json_put(txn, STORE_DB_ACCESS, &k, rec, false);
  json_decref(rec);
  if (rc == 0) rc = store__raw_put(txn, STORE_DB_ACCESS_TIME, &tk, case_id, strlen(case_id));
  if (rc == 0 && seq_out != NULL) *seq_out = seq;
  return rc;
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
    rc = store__json_load(&val, &e);
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
