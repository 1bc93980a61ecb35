/*
 * store_timers.c -- the timers database: an index of every case's pending
 * timers, ordered by due time (due_s as 8 bytes BE, offset by 2^63; case id
 * NUL timer name -> "").
 * Its keys are written by store_cases.c, which keeps the index in step with
 * each case's "timers" member; this file defines the key and reads the
 * earliest timer back.
 */
#include <string.h>

#include "core/error.h"
#include "store/store.h"
#include "store/store_int.h"

/* Timer keys order signed due times: flipping the sign bit maps int64 onto
 * uint64 monotonically (adding 2^63 modulo 2^64), so -1 sorts before 0. */
static uint64_t store_due_to_key(int64_t due_s) {
  return (uint64_t)due_s ^ (UINT64_C(1) << 63);
}

static int64_t store_due_from_key(uint64_t k) {
  uint64_t u = k ^ (UINT64_C(1) << 63);
  /* Converting a uint64 above INT64_MAX to int64 is implementation-defined;
   * build negative values arithmetically instead. */
  if (u <= (uint64_t)INT64_MAX) return (int64_t)u;
  return -(int64_t)(~u) - 1;
}

void store__timer_key(store_key_t *k, int64_t due_s, const char *case_id, const char *name) {
  store__key_init(k);
  store__key_add_u64(k, store_due_to_key(due_s));
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add_str(k, name);
}

int store_timer_first(store_txn_t *txn, int64_t *due_s, char *case_id, size_t case_id_size, char *name,
                      size_t name_size) {
  MDB_cursor *cur;
  MDB_val key, val;
  const uint8_t *kb, *nul;
  size_t id_len, name_len;
  int rc, mrc;

  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_TIMERS, &cur);
  if (rc < 0) return rc;
  mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  mdb_cursor_close(cur);
  if (mrc != 0) return store__txn_mdb(txn, mrc, "timer first");

  /* The key read back must have the shape store__timer_key wrote. */
  kb = key.mv_data;
  if (key.mv_size < STORE_SEQ_BYTES + 2) return CASUS_ESTORE_CORRUPT;
  nul = memchr(kb + STORE_SEQ_BYTES, '\0', key.mv_size - STORE_SEQ_BYTES);
  if (nul == NULL) return CASUS_ESTORE_CORRUPT;
  id_len = (size_t)(nul - (kb + STORE_SEQ_BYTES));
  name_len = key.mv_size - STORE_SEQ_BYTES - id_len - 1;
  if (id_len == 0 || name_len == 0) return CASUS_ESTORE_CORRUPT;
  if (id_len >= case_id_size || name_len >= name_size) return CASUS_EINVALID_DATA;

  *due_s = store_due_from_key(store__u64_from_be(kb));
  memcpy(case_id, kb + STORE_SEQ_BYTES, id_len);
  case_id[id_len] = '\0';
  memcpy(name, nul + 1, name_len);
  name[name_len] = '\0';
  return 0;
}
