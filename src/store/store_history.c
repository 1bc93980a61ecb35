/*
 * store_history.c -- the history database (case id NUL seq -> entry JSON):
 * an append-only, hash-chained log per case.  Each entry carries its seq,
 * the hash of the previous entry and its own hash; store_history_verify
 * walks every chain and names the first break.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "store/store.h"
#include "store/store_int.h"

/* The prev_hash of a case's first entry. */
#define STORE_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void store_history_key(store_key_t *k, const char *case_id, uint64_t seq) {
  store__key_init(k);
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
}

int store_history_hash(const json_t *entry, char hex[STORE_HASH_HEX_BYTES]) {
  json_t *copy = NULL;
  const json_t *subject = entry;
  char *s;

  CASUS_ASSERT(json_is_object(entry));
  if (json_object_get(entry, "hash") != NULL) {
    copy = json_copy((json_t *)entry); /* shallow; only the copy is changed */
    if (copy == NULL) return CASUS_ENOMEM;
    json_object_del(copy, "hash");
    subject = copy;
  }
  s = core_json_dumps(subject, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(copy);
  if (s == NULL) return CASUS_ENOMEM;
  sha256_hex(s, strlen(s), hex);
  free(s);
  return 0;
}

/* The seq and hash of the case's last entry; seq 0 and 64 zeros when the
 * case has none yet. */
static int store_history_last(store_txn_t *txn, const char *case_id, uint64_t *seq,
                              char hash[STORE_HASH_HEX_BYTES]) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, seek;
  json_t *last;
  const char *h;
  uint64_t json_seq;
  int rc, mrc;

  *seq = 0;
  memcpy(hash, STORE_ZERO_HASH, STORE_HASH_HEX_BYTES);
  store__key_init(&prefix);
  store__key_add_str(&prefix, case_id);
  store__key_add_nul(&prefix);
  /* Seek just past the case's largest possible key and step back one. */
  store_history_key(&seek, case_id, UINT64_MAX);
  rc = store__cursor_open(txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) return rc;
  key = store__key_val(&seek);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  if (mrc == 0)
    mrc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
  else if (mrc == MDB_NOTFOUND)
    mrc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
  mdb_cursor_close(cur);
  if (mrc == MDB_NOTFOUND) return 0;
  if (mrc != 0) return store__txn_mdb(txn, mrc, "history seek");
  if (!store__key_has_prefix(&key, &prefix)) return 0; /* the last key belongs to another case */
  if (key.mv_size != prefix.len + STORE_SEQ_BYTES) return CASUS_ESTORE_CORRUPT;

  *seq = store__u64_from_be((const uint8_t *)key.mv_data + prefix.len);
  rc = store__json_load(&val, &last);
  if (rc < 0) return rc;
  h = json_string_value(json_object_get(last, "hash"));
  if (h == NULL || strlen(h) != STORE_HASH_HEX_BYTES - 1 || !store__json_u64(last, "seq", &json_seq) ||
      json_seq != *seq) {
    json_decref(last);
    return CASUS_ESTORE_CORRUPT;
  }
  memcpy(hash, h, STORE_HASH_HEX_BYTES);
  json_decref(last);
  return 0;
}

int store_history_append(store_txn_t *txn, const char *case_id, const json_t *entry, char *hash_out) {
  char prev_hash[STORE_HASH_HEX_BYTES], hash[STORE_HASH_HEX_BYTES];
  store_key_t k;
  json_t *e;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(entry));
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  rc = store_history_last(txn, case_id, &seq, prev_hash);
  if (rc < 0) return rc;
  if (seq >= LIMIT_EVENTS_PER_CASE_MAX) return CASUS_EINVALID_DATA;
  seq++;

  e = json_deep_copy(entry);
  if (e == NULL) return CASUS_ENOMEM;
  json_object_del(e, "hash");
  rc = json_object_set_new(e, "seq", json_integer((json_int_t)seq));
  if (rc == 0) rc = json_object_set_new(e, "prev_hash", json_string(prev_hash));
  if (rc != 0) {
    json_decref(e);
    return CASUS_ENOMEM;
  }
  rc = store_history_hash(e, hash);
  if (rc == 0 && json_object_set_new(e, "hash", json_string(hash)) != 0) rc = CASUS_ENOMEM;
  if (rc == 0) {
    store_history_key(&k, case_id, seq);
    /* Key-sorted, like the hashed form, so a reader sees the canonical order. */
    rc = store__json_put(txn, STORE_DB_HISTORY, &k, e, true);
    if (rc < 0) store__txn_fail(txn, rc);
  }
  json_decref(e);
  if (rc == 0 && hash_out != NULL) memcpy(hash_out, hash, STORE_HASH_HEX_BYTES);
  return rc;
}

int store_history_list(store_txn_t *txn, const char *case_id, size_t max, json_t **out) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix;
  json_t *list;
  int rc = 0, mrc;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  list = json_array();
  if (list == NULL) return CASUS_ENOMEM;
  store__key_init(&prefix);
  store__key_add_str(&prefix, case_id);
  store__key_add_nul(&prefix);
  rc = store__cursor_open(txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  key = store__key_val(&prefix);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && json_array_size(list) < max && store__key_has_prefix(&key, &prefix)) {
    json_t *e;
    uint64_t seq;
    rc = store__json_load(&val, &e);
    if (rc < 0) break;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES || !store__json_u64(e, "seq", &seq) ||
        seq != store__u64_from_be((const uint8_t *)key.mv_data + prefix.len)) {
      json_decref(e);
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    if (json_array_append_new(list, e) != 0) {
      rc = CASUS_ENOMEM;
      break;
    }
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "history list");
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  *out = list;
  return 0;
}

/* Checks one history record against what the chain expects: the caller's
 * running case, seq and previous hash.  Describes a break in problem. */
static int store_history_check(const MDB_val *val, const char *case_id, uint64_t key_seq, uint64_t want_seq,
                               const char *prev_hash, char next_hash[STORE_HASH_HEX_BYTES], char *problem,
                               size_t problem_size) {
  char hash[STORE_HASH_HEX_BYTES];
  const char *why = NULL;
  const char *stored_hash, *stored_prev;
  uint64_t json_seq;
  json_t *e;
  int rc;

  rc = store__json_load(val, &e);
  if (rc == CASUS_ENOMEM) return rc;
  if (rc < 0) {
    why = "entry does not parse";
    goto broken;
  }
  stored_hash = json_string_value(json_object_get(e, "hash"));
  stored_prev = json_string_value(json_object_get(e, "prev_hash"));
  if (key_seq != want_seq) {
    why = "seq does not follow the previous entry";
  } else if (!store__json_u64(e, "seq", &json_seq) || json_seq != key_seq) {
    why = "entry's seq does not match its key";
  } else if (stored_prev == NULL || strcmp(stored_prev, prev_hash) != 0) {
    why = "prev_hash does not match the previous entry's hash";
  } else if (stored_hash == NULL) {
    why = "entry has no hash";
  } else {
    rc = store_history_hash(e, hash);
    if (rc < 0) {
      json_decref(e);
      return rc;
    }
    if (strcmp(hash, stored_hash) != 0) why = "hash does not match the entry";
  }
  if (why == NULL) {
    memcpy(next_hash, hash, STORE_HASH_HEX_BYTES);
    json_decref(e);
    return 0;
  }
  json_decref(e);

broken:
  if (problem != NULL && problem_size > 0)
    snprintf(problem, problem_size, "history of case %s is broken at seq %" PRIu64 ": %s", case_id, key_seq,
             why);
  return CASUS_ESTORE_CORRUPT;
}

int store_history_verify(store_txn_t *txn, char *problem, size_t problem_size, uint64_t *entries_out) {
  /* Room for the longest case id a key can hold. */
  char case_id[STORE_KEY_BYTES_MAX + 1] = "";
  char prev_hash[STORE_HASH_HEX_BYTES];
  uint64_t want_seq = 1, entries = 0;
  MDB_cursor *cur;
  MDB_val key, val;
  int rc = 0, mrc;

  if (problem != NULL && problem_size > 0) problem[0] = '\0';
  if (entries_out != NULL) *entries_out = 0;
  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) return rc;
  mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  while (mrc == 0) {
    const uint8_t *kb = key.mv_data;
    const uint8_t *nul = memchr(kb, '\0', key.mv_size);
    size_t id_len = nul != NULL ? (size_t)(nul - kb) : key.mv_size;
    uint64_t key_seq;

    if (nul == NULL || key.mv_size != id_len + 1 + STORE_SEQ_BYTES || id_len == 0) {
      if (problem != NULL && problem_size > 0)
        snprintf(problem, problem_size, "history key of case %.*s (%zu bytes) is malformed", (int)id_len,
                 (const char *)kb, key.mv_size);
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    /* A new case starts a new chain. */
    if (strlen(case_id) != id_len || memcmp(case_id, kb, id_len) != 0) {
      memcpy(case_id, kb, id_len);
      case_id[id_len] = '\0';
      want_seq = 1;
      memcpy(prev_hash, STORE_ZERO_HASH, STORE_HASH_HEX_BYTES);
    }
    key_seq = store__u64_from_be(kb + id_len + 1);
    entries++;
    rc = store_history_check(&val, case_id, key_seq, want_seq, prev_hash, prev_hash, problem, problem_size);
    if (rc < 0) break;
    want_seq++;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (entries_out != NULL) *entries_out = entries;
  if (rc < 0) return rc;
  rc = store__txn_mdb(txn, mrc, "history verify");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}
