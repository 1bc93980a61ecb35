/*
 * store_cases.c -- the cases database (case id -> case JSON) and the upkeep
 * of the timers index: every store_case_put replaces the index keys of the
 * case's old timers with those of its new ones, in the same transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

static void store_case_key(store_key_t *k, const char *id) {
  store__key_init(k);
  store__key_add_str(k, id);
}

/* Checks a case's "timers" member (absent, null or an object of
 * {"due_s": int, ...}) against the limits.  Returns the number of timers or
 * CASUS_EINVALID_DATA. */
static int store_timers_check(const json_t *timers, const char *case_id) {
  const char *name;
  json_t *timer;
  size_t n = 0;

  if (timers == NULL || json_is_null(timers)) return 0;
  if (!json_is_object(timers)) return CASUS_EINVALID_DATA;
  if (json_object_size(timers) > LIMIT_TIMERS_PER_CASE_MAX) return CASUS_EINVALID_DATA;
  /* jansson's iteration API takes a non-const object; it does not modify it. */
  json_object_foreach((json_t *)timers, name, timer) {
    store_key_t k;
    if (name[0] == '\0' || strlen(name) > LIMIT_ID_BYTES_MAX) return CASUS_EINVALID_DATA;
    if (!json_is_object(timer) || !json_is_integer(json_object_get(timer, "due_s")))
      return CASUS_EINVALID_DATA;
    store__timer_key(&k, 0, case_id, name);
    if (k.overflow) return CASUS_EINVALID_DATA;
    n++;
  }
  return (int)n;
}

/* Adds (insert) or removes (!insert) the index keys of a case's timers,
 * which store_timers_check accepted. */
static int store_timers_index(store_txn_t *txn, const char *case_id, const json_t *timers, bool insert) {
  const char *name;
  json_t *timer;

  if (timers == NULL || json_is_null(timers)) return 0;
  json_object_foreach((json_t *)timers, name, timer) {
    store_key_t k;
    int rc;
    int64_t due_s = (int64_t)json_integer_value(json_object_get(timer, "due_s"));
    store__timer_key(&k, due_s, case_id, name);
    if (insert) {
      rc = store__raw_put(txn, STORE_DB_TIMERS, &k, "", 0);
    } else {
      /* A missing key means the index already lacks it, which is the goal. */
      rc = store__raw_del(txn, STORE_DB_TIMERS, &k);
      if (rc == CASUS_ENOT_FOUND) rc = 0;
    }
    if (rc < 0) return rc;
  }
  return 0;
}

int store_case_next_id(store_txn_t *txn, char *id, size_t id_size) {
  uint64_t seq;
  int rc, n;

  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  rc = store__meta_next(txn, "case_seq", &seq);
  if (rc < 0) return store__txn_fail(txn, rc);
  n = snprintf(id, id_size, "c-%06" PRIu64, seq);
  if (n < 0 || (size_t)n >= id_size) return CASUS_EINVALID_DATA;
  return 0;
}

/* Reads a case and checks it names itself: the paired check of store_case_put. */
static int store_case_load(const MDB_val *key, const MDB_val *val, json_t **out) {
  const char *id;
  json_t *c;
  int rc = store__json_load(val, &c);
  *out = NULL;
  if (rc < 0) return rc;
  id = json_string_value(json_object_get(c, "id"));
  if (id == NULL || strlen(id) != key->mv_size || memcmp(id, key->mv_data, key->mv_size) != 0) {
    json_decref(c);
    return CASUS_ESTORE_CORRUPT;
  }
  *out = c;
  return 0;
}

int store_case_get(store_txn_t *txn, const char *id, json_t **out) {
  store_key_t k;
  MDB_val key, val;
  int rc;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(id)) return CASUS_ENOT_FOUND;
  store_case_key(&k, id);
  rc = store__raw_get(txn, STORE_DB_CASES, &k, &val);
  if (rc < 0) return rc;
  key = store__key_val(&k);
  return store_case_load(&key, &val, out);
}

int store_case_put(store_txn_t *txn, const json_t *case_) {
  const char *id;
  const json_t *timers;
  json_t *old = NULL;
  store_key_t k;
  char *s;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(case_));
  id = json_string_value(json_object_get(case_, "id"));
  CASUS_ASSERT(id != NULL);
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(id)) return CASUS_EINVALID_DATA;
  timers = json_object_get(case_, "timers");
  rc = store_timers_check(timers, id);
  if (rc < 0) return rc;

  /* Everything that can fail without touching the store comes first, so an
   * invalid or unserialisable case leaves the transaction usable. */
  s = core_json_dumps(case_, JSON_COMPACT);
  if (s == NULL) return CASUS_ENOMEM;
  rc = store_case_get(txn, id, &old);
  if (rc == CASUS_ENOT_FOUND) rc = 0;
  if (rc == 0 && old != NULL && store_timers_check(json_object_get(old, "timers"), id) < 0)
    rc = CASUS_ESTORE_CORRUPT;
  if (rc < 0) goto done;

  if (old != NULL) rc = store_timers_index(txn, id, json_object_get(old, "timers"), false);
  if (rc == 0) {
    store_case_key(&k, id);
    rc = store__raw_put(txn, STORE_DB_CASES, &k, s, strlen(s));
  }
  if (rc == 0) rc = store_timers_index(txn, id, timers, true);
  if (rc < 0) store__txn_fail(txn, rc);

done:
  free(s);
  json_decref(old);
  return rc;
}

int store_case_scan(store_txn_t *txn, const char *after_id, store_case_fn fn, void *ud) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t k;
  int rc, mrc;

  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_CASES, &cur);
  if (rc < 0) return rc;
  if (after_id == NULL || after_id[0] == '\0') {
    mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  } else {
    store_case_key(&k, after_id);
    if (k.overflow) {
      mdb_cursor_close(cur);
      return CASUS_EINVALID_DATA;
    }
    key = store__key_val(&k);
    mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    /* after_id itself is excluded. */
    if (mrc == 0 && key.mv_size == k.len && memcmp(key.mv_data, k.bytes, k.len) == 0)
      mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  while (mrc == 0) {
    json_t *c;
    rc = store_case_load(&key, &val, &c);
    if (rc < 0) break;
    rc = fn(c, ud);
    json_decref(c);
    if (rc != 0) break;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc > 0) return 0; /* fn asked to stop */
  if (rc < 0) return rc;
  rc = store__txn_mdb(txn, mrc, "case scan");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}
