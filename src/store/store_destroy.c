/*
 * store_destroy.c -- destroying a case (retention: Jeugdwet art. 7.3.8 and
 * 7.3.9, docs/security.md "Retention") and the register of destroyed cases:
 *
 *   destroyed  case id -> the case's tombstone, canonical JSON (sorted keys):
 *              {"case_id", "seq", "prev_hash", "hash", "history": {"seq",
 *              "hash"}, "removed": {...}, and the caller's "time", "grond",
 *              "archiefactiedatum", "reden", "verzocht_door", "besloten_door"}
 *   meta       "destroyed_seq" (the register's counter) and "destroyed_head"
 *              (the last tombstone's hash)
 *
 * Why a tombstone and not crypto-shredding: each case's history is a chain
 * of its own (store_history.c), so removing all of a case leaves every other
 * chain intact and `casusd verify` has nothing to complain about -- but also
 * nothing to tell a destruction from a deletion behind casusd's back.  The
 * tombstone closes the destroyed chain (it keeps the last entry's seq and
 * hash: what the chain was when it ended), says who decided on what ground,
 * and is itself chained to the tombstone before it, with the register's head
 * in meta, so that a tombstone removed or changed afterwards is found.  It
 * holds no content of the case: the store accepts only the named string
 * members, each as short as an id.
 *
 * Everything runs in the caller's write transaction: a case is destroyed
 * whole, with its tombstone, or not at all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

/* The members a caller may give a tombstone: codes, dates and ids, never text. */
static const char *const STORE_DESTROY_MEMBERS[] = {"time",  "grond",         "archiefactiedatum",
                                                    "reden", "verzocht_door", "besloten_door"};
#define STORE_DESTROY_MEMBERS_COUNT (sizeof(STORE_DESTROY_MEMBERS) / sizeof(STORE_DESTROY_MEMBERS[0]))
#define STORE_DESTROY_MEMBER_BYTES_MAX (2 * LIMIT_ID_BYTES_MAX)
#define STORE_DESTROYED_HEAD "destroyed_head"
#define STORE_DESTROYED_SEQ "destroyed_seq"

static void store_destroyed_key(store_key_t *k, const char *id) {
  store__key_init(k);
  store__key_add_str(k, id);
}

int store__destroyed_has(store_txn_t *txn, const char *id) {
  store_key_t k;
  MDB_val val;
  int rc;
  store_destroyed_key(&k, id);
  if (k.overflow) return 0;
  rc = store__raw_get(txn, STORE_DB_DESTROYED, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return 0;
  return rc < 0 ? rc : 1;
}

/* The caller's members, checked before anything is written. */
static int store_destroy_entry_check(const json_t *entry) {
  const char *name;
  json_t *v;
  size_t i;
  if (!json_is_object(entry)) return CASUS_EINVALID_DATA;
  json_object_foreach((json_t *)entry, name, v) {
    for (i = 0; i < STORE_DESTROY_MEMBERS_COUNT; i++)
      if (strcmp(name, STORE_DESTROY_MEMBERS[i]) == 0) break;
    if (i == STORE_DESTROY_MEMBERS_COUNT || !json_is_string(v) ||
        json_string_length(v) > STORE_DESTROY_MEMBER_BYTES_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
      return CASUS_EINVALID_DATA;
  }
  return 0;
}

/* The register's head: the last tombstone's hash, 64 zeros before the first. */
static int store_destroyed_head(store_txn_t *txn, char hash[STORE_HASH_HEX_BYTES]) {
  store_key_t k;
  MDB_val val;
  int rc;
  store__meta_key(&k, STORE_DESTROYED_HEAD);
  rc = store__raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == CASUS_ENOT_FOUND) {
    memcpy(hash, STORE_HISTORY_ZERO_HASH, STORE_HASH_HEX_BYTES);
    return 0;
  }
  if (rc < 0) return rc;
  if (val.mv_size != STORE_HASH_HEX_BYTES - 1 || !store__hex_ok(val.mv_data, val.mv_size))
    return CASUS_ESTORE_CORRUPT;
  memcpy(hash, val.mv_data, val.mv_size);
  hash[val.mv_size] = '\0';
  return 0;
}

/* Removes the case record, its casemeta record, its timer keys and sindex
 * entries (with their counts in c). */
static int store_destroy_case_record(store_txn_t *txn, const char *id, store_destroy_counts_t *c) {
  store_meta_t m, none;
  const store_meta_t *old;
  json_t *legacy = NULL;
  void *buf = NULL;
  store_key_t k;
  int rc;

  rc = store__case_old_terms(txn, id, &m, &old, &buf, &legacy);
  if (rc == 0 && old == NULL) rc = CASUS_ENOT_FOUND;
  if (rc == 0) {
    memset(&none, 0, sizeof(none));
    none.deadline_s = STORE_TIME_NONE;
    none.updated_s = STORE_TIME_NONE;
    c->timers = old->timers_count;
    c->index_terms = old->scopes_count * (1 + old->attrs_count + (old->deadline_s != STORE_TIME_NONE) +
                                          (old->updated_s != STORE_TIME_NONE));
    rc = store__timers_update(txn, id, old, &none);
    if (rc == 0) rc = store__index_update(txn, id, old, &none);
  }
  if (rc == 0 && legacy == NULL) {
    store__key_init(&k);
    store__key_add_str(&k, id);
    rc = store__raw_del(txn, STORE_DB_CASEMETA, &k);
  }
  if (rc == 0) {
    store__key_init(&k);
    store__key_add_str(&k, id);
    rc = store__raw_del(txn, STORE_DB_CASES, &k);
  }
  free(buf);
  json_decref(legacy);
  return rc;
}

/* The tombstone: the caller's members and the store's, hashed and chained. */
static int store_destroy_tombstone(store_txn_t *txn, const char *id, const json_t *entry,
                                   const store_history_head_t *head, const store_destroy_counts_t *c,
                                   json_t **out) {
  char prev[STORE_HASH_HEX_BYTES], hash[STORE_HASH_HEX_BYTES];
  store_key_t k;
  uint64_t seq;
  json_t *rec;
  int rc;

  *out = NULL;
  rc = store_destroyed_head(txn, prev);
  if (rc == 0) rc = store__meta_next(txn, STORE_DESTROYED_SEQ, &seq);
  if (rc < 0) return rc;
  rec = json_deep_copy(entry);
  if (rec == NULL || json_object_set_new(rec, "case_id", json_string(id)) != 0 ||
      json_object_set_new(rec, "seq", json_integer((json_int_t)seq)) != 0 ||
      json_object_set_new(rec, "prev_hash", json_string(prev)) != 0 ||
      json_object_set_new(rec, "history",
                          json_pack("{s:I, s:s}", "seq", (json_int_t)head->seq, "hash", head->hash)) != 0 ||
      json_object_set_new(
          rec, "removed",
          json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "history", (json_int_t)c->history_entries, "inbox",
                    (json_int_t)c->inbox_items, "access_log", (json_int_t)c->access_entries, "idempotency",
                    (json_int_t)c->idem_records, "timers", (json_int_t)c->timers, "index",
                    (json_int_t)c->index_terms)) != 0) {
    json_decref(rec);
    return CASUS_ENOMEM;
  }
  rc = store_history_hash(rec, hash);
  if (rc == 0) rc = json_object_set_new(rec, "hash", json_string(hash)) == 0 ? 0 : CASUS_ENOMEM;
  if (rc == 0) {
    store_destroyed_key(&k, id);
    rc = store__json_put(txn, STORE_DB_DESTROYED, &k, rec, true);
  }
  if (rc == 0) {
    store__meta_key(&k, STORE_DESTROYED_HEAD);
    rc = store__raw_put(txn, STORE_DB_META, &k, hash, STORE_HASH_HEX_BYTES - 1);
  }
  if (rc < 0) {
    json_decref(rec);
    return rc;
  }
  *out = rec;
  return 0;
}

int store_case_destroy(store_txn_t *txn, const char *id, const json_t *entry, store_destroy_counts_t *counts,
                       json_t **record_out) {
  store_destroy_counts_t c;
  store_history_head_t head;
  store_key_t k;
  MDB_val val;
  json_t *rec = NULL;
  int rc;

  CASUS_ASSERT(txn->write);
  if (record_out != NULL) *record_out = NULL;
  if (counts != NULL) memset(counts, 0, sizeof(*counts));
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(id)) return CASUS_EINVALID_DATA;
  rc = store_destroy_entry_check(entry);
  if (rc < 0) return rc;
  store__key_init(&k);
  store__key_add_str(&k, id);
  rc = store__raw_get(txn, STORE_DB_CASES, &k, &val);
  if (rc < 0) return rc; /* CASUS_ENOT_FOUND: nothing to destroy, nothing written */

  memset(&c, 0, sizeof(c));
  rc = store__history_destroy(txn, id, &head, &c.history_entries);
  if (rc == 0) rc = store_destroy_case_record(txn, id, &c);
  if (rc == 0) rc = store_count_case(txn, id, NULL, NULL); /* the case leaves the metrics' counts */
  if (rc == 0) rc = store__inbox_destroy(txn, id, &c.inbox_items);
  if (rc == 0) rc = store__access_destroy(txn, id, &c.access_entries);
  if (rc == 0) rc = store__idem_destroy(txn, id, &c.idem_records);
  if (rc == 0) rc = store_destroy_tombstone(txn, id, entry, &head, &c, &rec);
  if (rc < 0) {
    if (rc == CASUS_ESTORE_CORRUPT)
      fprintf(stderr,
              "casusd: store: case %s could not be destroyed: a record of it is damaged (casusd verify)\n",
              id);
    return store__txn_fail(txn, rc);
  }
  if (counts != NULL) *counts = c;
  if (record_out != NULL)
    *record_out = rec;
  else
    json_decref(rec);
  return 0;
}

int store_destroyed_get(store_txn_t *txn, const char *id, json_t **out) {
  store_key_t k;
  *out = NULL;
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(id)) return CASUS_ENOT_FOUND;
  store_destroyed_key(&k, id);
  return store__json_get(txn, STORE_DB_DESTROYED, &k, out);
}

static int store_destroyed_seq_cmp(const void *a, const void *b) {
  uint64_t x = (uint64_t)json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
  uint64_t y = (uint64_t)json_integer_value(json_object_get(*(json_t *const *)b, "seq"));
  return x < y ? -1 : x > y;
}

int store_destroyed_list(store_txn_t *txn, uint64_t after_seq, size_t max, json_t **out) {
  MDB_cursor *cur;
  MDB_val key, val;
  json_t *all, *list;
  json_t **v = NULL;
  size_t n, i;
  int rc = 0, mrc;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  all = json_array();
  if (all == NULL) return CASUS_ENOMEM;
  /* Keyed by case id; the register's order is its seq.  It holds a few
   * hundred bytes per destroyed case, so it is read whole. */
  rc = store__cursor_open(txn, STORE_DB_DESTROYED, &cur);
  if (rc < 0) {
    json_decref(all);
    return rc;
  }
  for (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); mrc == 0 && rc == 0;
       mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    json_t *e;
    uint64_t seq;
    rc = store__json_load(&val, &e);
    if (rc < 0) break;
    if (!store__json_u64(e, "seq", &seq)) {
      json_decref(e);
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    if (seq > after_seq)
      rc = json_array_append_new(all, e) == 0 ? 0 : CASUS_ENOMEM;
    else
      json_decref(e);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != MDB_NOTFOUND && mrc != 0) rc = store__txn_mdb(txn, mrc, "destroyed list");
  n = json_array_size(all);
  list = rc == 0 ? json_array() : NULL;
  if (rc == 0 && list == NULL) rc = CASUS_ENOMEM;
  if (rc == 0 && n > 0) {
    v = malloc(n * sizeof(*v));
    if (v == NULL) rc = CASUS_ENOMEM;
  }
  if (rc == 0) {
    for (i = 0; i < n; i++) v[i] = json_array_get(all, i);
    if (n > 0) qsort(v, n, sizeof(*v), store_destroyed_seq_cmp);
    for (i = 0; i < n && i < max && rc == 0; i++) rc = json_array_append(list, v[i]) == 0 ? 0 : CASUS_ENOMEM;
  }
  free(v);
  json_decref(all);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  *out = list;
  return 0;
}
