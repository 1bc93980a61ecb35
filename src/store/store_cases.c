/*
 * store_cases.c -- the cases database (case id -> case JSON) and the upkeep
 * of the indexes: every store_case_put writes the case, its casemeta record
 * (store_meta.c), and the difference between the case's old and new timer
 * keys (store_timers.c) and sindex entries (store_index.c), and its count
 * (store_counts.c), in the same transaction.  The old terms come from the old casemeta record, so a put
 * parses nothing; only a case written before casemeta existed (schema 1) is
 * parsed once, for its timers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

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

/* Fills m's timers from a "timers" member that store_timers_check accepted;
 * the names point into it. */
static void store_meta_timers_from_json(store_meta_t *m, const json_t *timers) {
  const char *name;
  json_t *timer;

  m->timers_count = 0;
  if (timers == NULL || json_is_null(timers)) return;
  json_object_foreach((json_t *)timers, name, timer) {
    CASUS_ASSERT(m->timers_count < LIMIT_TIMERS_PER_CASE_MAX);
    m->timers[m->timers_count].name = store__str(name);
    m->timers[m->timers_count].due_s = (int64_t)json_integer_value(json_object_get(timer, "due_s"));
    m->timers_count++;
  }
}

/* A scope, attribute name or value: 1..STORE_TERM_BYTES_MAX bytes. */
static bool store_term_ok(const char *s) {
  return s != NULL && s[0] != '\0' && strnlen(s, STORE_TERM_BYTES_MAX + 1) <= STORE_TERM_BYTES_MAX;
}

/* Checks rec against the limits and describes its index terms in m (which
 * points into rec).  CASUS_EINVALID_DATA when a limit is broken. */
static int store_meta_from_rec(const store_case_rec_t *rec, store_meta_t *m) {
  size_t i;
  int rc;

  if (!store__id_ok(rec->id)) return CASUS_EINVALID_DATA;
  /* Not parsed; but a record that cannot be an object is a caller's bug
   * that would only show when the case is read back. */
  if (rec->json == NULL || rec->json_bytes < 2 || rec->json[0] != '{' ||
      rec->json[rec->json_bytes - 1] != '}')
    return CASUS_EINVALID_DATA;
  rc = store_timers_check(rec->timers, rec->id);
  if (rc < 0) return rc;
  if (rec->scopes_count > STORE_SCOPES_MAX || rec->attrs_count > STORE_ATTRS_MAX) return CASUS_EINVALID_DATA;
  memset(m, 0, sizeof(*m));
  store_meta_timers_from_json(m, rec->timers);
  for (i = 0; i < rec->scopes_count; i++) {
    if (!store_term_ok(rec->scopes[i])) return CASUS_EINVALID_DATA;
    m->scopes[i] = store__str(rec->scopes[i]);
  }
  m->scopes_count = rec->scopes_count;
  for (i = 0; i < rec->attrs_count; i++) {
    if (!store_term_ok(rec->attrs[i].name) || !store_term_ok(rec->attrs[i].value)) return CASUS_EINVALID_DATA;
    m->attrs[i].name = store__str(rec->attrs[i].name);
    m->attrs[i].value = store__str(rec->attrs[i].value);
  }
  m->attrs_count = rec->attrs_count;
  m->deadline_s = rec->deadline_s;
  m->updated_s = rec->updated_s;
  m->has_digest = true;
  m->digest = store__digest(rec->json, rec->json_bytes);
  return 0;
}

/* Random bytes for ids: getrandom(2), or the test hook's bytes. */
static int store_random(store_t *st, uint8_t *out, size_t n) {
  size_t got = 0;
  if (st->debug_random_on) {
    if (st->debug_random_len < n) return CASUS_EIO; /* the hook's bytes ran out: a failing source */
    memcpy(out, st->debug_random, n);
    st->debug_random += n;
    st->debug_random_len -= n;
    return 0;
  }
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return CASUS_EIO;
    got += (size_t)r;
  }
  return 0;
}

void store_debug_random(store_t *st, const void *bytes, size_t n) {
  st->debug_random_on = bytes != NULL;
  st->debug_random = bytes;
  st->debug_random_len = bytes != NULL ? n : 0;
}

int store_case_next_id(store_txn_t *txn, char *id, size_t id_size) {
  static const char hex[] = "0123456789abcdef";
  uint8_t r[STORE_CASE_ID_RANDOM_BYTES];
  store_key_t k;
  MDB_val val;
  int rc, attempt;
  size_t i;

  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  if (id_size < STORE_CASE_ID_BYTES) return CASUS_EINVALID_DATA;
  /* A random id tells its reader nothing about how many cases exist.  A
   * collision (one in 2^64 per pair) takes the next draw; a case created
   * earlier in this transaction is seen, so two new cases never share one. */
  for (attempt = 0; attempt < STORE_CASE_ID_ATTEMPTS_MAX; attempt++) {
    rc = store_random(txn->st, r, sizeof(r));
    if (rc < 0) return rc;
    id[0] = 'c';
    id[1] = '-';
    for (i = 0; i < sizeof(r); i++) {
      id[2 + 2 * i] = hex[r[i] >> 4];
      id[3 + 2 * i] = hex[r[i] & 15];
    }
    id[2 + 2 * sizeof(r)] = '\0';
    store_case_key(&k, id);
    rc = store__raw_get(txn, STORE_DB_CASES, &k, &val);
    /* Nor one of a destroyed case: the register names it for ever, and its
     * access log must not grow again (store_destroy.c). */
    if (rc == CASUS_ENOT_FOUND) {
      rc = store__destroyed_has(txn, id);
      if (rc == 0) return 0;
    }
    if (rc < 0) return rc;
  }
  fprintf(stderr, "casusd: store: %d random case ids in a row were taken; is the random source broken?\n",
          STORE_CASE_ID_ATTEMPTS_MAX);
  return CASUS_EIO;
}

/* Reads a case and checks it is what store_case_put wrote (the paired
 * check): its bytes have the digest its casemeta record keeps (when there
 * is one that keeps it: schema 1 stores and format 1 records have none),
 * and it parses and names itself. */
static int store_case_load(store_txn_t *txn, const MDB_val *key, const MDB_val *val, json_t **out) {
  store_meta_t m;
  store_str_t id_str;
  const char *id;
  json_t *c;
  int rc;
  *out = NULL;
  id_str.p = key->mv_data;
  id_str.n = key->mv_size;
  rc = store__meta_peek(txn, id_str, &m);
  if (rc < 0 && rc != CASUS_ENOT_FOUND) return rc;
  if (rc == 0 && m.has_digest && m.digest != store__digest(val->mv_data, val->mv_size))
    return CASUS_ESTORE_CORRUPT;
  rc = store__json_load(val, &c);
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
  return store_case_load(txn, &key, &val, out);
}

/* The terms the stored version of id was indexed with, into *old (NULL for
 * a new case).  They come from its casemeta record (*buf holds the copy they
 * point into) or, for a case written by schema 1, from the stored case
 * itself (*legacy holds it): such a case has timer keys but no sindex
 * entries yet. */
int store__case_old_terms(store_txn_t *txn, const char *id, store_meta_t *m, const store_meta_t **old,
                          void **buf, json_t **legacy) {
  const json_t *timers;
  int rc = store__meta_get(txn, id, m, buf);

  *old = NULL;
  *legacy = NULL;
  if (rc == 0) *old = m;
  if (rc != CASUS_ENOT_FOUND) return rc;
  rc = store_case_get(txn, id, legacy);
  if (rc == CASUS_ENOT_FOUND) return 0;
  if (rc < 0) return rc;
  timers = json_object_get(*legacy, "timers");
  if (store_timers_check(timers, id) < 0) return CASUS_ESTORE_CORRUPT;
  memset(m, 0, sizeof(*m));
  store_meta_timers_from_json(m, timers);
  m->deadline_s = STORE_TIME_NONE;
  m->updated_s = STORE_TIME_NONE;
  *old = m;
  return 0;
}

int store_case_put(store_txn_t *txn, const store_case_rec_t *rec) {
  store_meta_t new_, old_terms;
  const store_meta_t *old;
  json_t *legacy = NULL;
  void *buf = NULL;
  store_key_t k;
  int rc;

  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  /* Everything that can fail without touching the store comes first, so an
   * invalid case leaves the transaction usable. */
  rc = store_meta_from_rec(rec, &new_);
  if (rc < 0) return rc;
  rc = store__case_old_terms(txn, rec->id, &old_terms, &old, &buf, &legacy);
  if (rc < 0) goto done;

  rc = store__timers_update(txn, rec->id, old, &new_);
  if (rc == 0) rc = store__index_update(txn, rec->id, old, &new_);
  if (rc == 0) {
    store_case_key(&k, rec->id);
    rc = store__raw_put(txn, STORE_DB_CASES, &k, rec->json, rec->json_bytes);
  }
  if (rc == 0) rc = store__meta_put(txn, rec->id, &new_);
  /* The metrics' count of cases per status and region, in the same transaction. */
  if (rc == 0) rc = store_count_case(txn, rec->id, rec->status ? rec->status : "", rec->region);
  if (rc < 0) store__txn_fail(txn, rc);

done:
  free(buf);
  json_decref(legacy);
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
    rc = store_case_load(txn, &key, &val, &c);
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
