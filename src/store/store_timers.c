/*
 * store_timers.c -- the timers database: an index of every case's pending
 * timers, ordered by due time (due_s as 8 bytes BE, offset by 2^63; case id
 * NUL timer name -> "").
 * store_case_put keeps it in step with each case's "timers" member through
 * store__timers_update, which writes only the difference between the old
 * and the new timers; this file also reads the earliest timer back.
 */
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_int.h"

void store__timer_key(store_key_t *k, int64_t due_s, const char *case_id, const char *name) {
  store__key_init(k);
  store__key_add_time(k, due_s);
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add_str(k, name);
}

/* Does m hold the timer t (same name, same due time)? */
static bool store_timers_has(const store_meta_t *m, const store_meta_timer_t *t) {
  size_t i;
  for (i = 0; i < m->timers_count; i++)
    if (m->timers[i].due_s == t->due_s && store__str_eq(m->timers[i].name, t->name)) return true;
  return false;
}

/* The timer key of t; the names were checked against LIMIT_ID_BYTES_MAX, so it fits. */
static void store_timers_key(store_key_t *k, const char *case_id, const store_meta_timer_t *t) {
  store__key_init(k);
  store__key_add_time(k, t->due_s);
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add(k, t->name.p, t->name.n);
  CASUS_ASSERT(!k->overflow);
}

int store__timers_update(store_txn_t *txn, const char *case_id, const store_meta_t *old,
                         const store_meta_t *new_) {
  store_key_t k;
  size_t i;
  int rc;

  if (old != NULL) {
    for (i = 0; i < old->timers_count; i++) {
      if (store_timers_has(new_, &old->timers[i])) continue;
      store_timers_key(&k, case_id, &old->timers[i]);
      /* A missing key means the index already lacks it, which is the goal. */
      rc = store__raw_del(txn, STORE_DB_TIMERS, &k);
      if (rc < 0 && rc != CASUS_ENOT_FOUND) return rc;
    }
  }
  for (i = 0; i < new_->timers_count; i++) {
    if (old != NULL && store_timers_has(old, &new_->timers[i])) continue;
    store_timers_key(&k, case_id, &new_->timers[i]);
    rc = store__raw_put(txn, STORE_DB_TIMERS, &k, "", 0);
    if (rc < 0) return rc;
  }
  return 0;
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

  *due_s = store__time_from_be(kb);
  memcpy(case_id, kb + STORE_SEQ_BYTES, id_len);
  case_id[id_len] = '\0';
  memcpy(name, nul + 1, name_len);
  name[name_len] = '\0';
  return 0;
}

int store_timer_drop(store_txn_t *txn, int64_t due_s, const char *case_id, const char *name) {
  store_key_t k;
  int rc;
  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  store__timer_key(&k, due_s, case_id, name);
  if (k.overflow) return CASUS_EINVALID_DATA;
  rc = store__raw_del(txn, STORE_DB_TIMERS, &k);
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}
