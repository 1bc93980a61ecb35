/*
 * store_history.c -- the history database (case id NUL seq -> entry JSON):
 * an append-only, hash-chained log per case.  Each entry carries its seq,
 * the hash of the previous entry and its own hash; store_history_verify
 * walks every chain, then checks the head each case record keeps, and names
 * the first break.
 *
 * The write path serialises an entry once.  The caller hands in the case's
 * head (the last entry's seq and hash, kept in the case record), so the
 * previous entry is neither looked up by a scan nor parsed; without a head
 * the last entry's hash is read from the end of its stored bytes, where
 * store_history_append puts it.  Only entries of an older store, whose
 * "hash" sits in the middle of the key-sorted member list, are parsed.
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
#define STORE_HASH_HEX_DIGITS (STORE_HASH_HEX_BYTES - 1)

/* The stored form of an entry ends with its hash as the last member:
 *   <canonical bytes without their final '}'>,"hash":"<64 hex digits>"}
 * so that the hash of the previous entry can be read at a known place,
 * without parsing the entry. */
#define STORE_HASH_OPEN ",\"hash\":\""
#define STORE_HASH_OPEN_BYTES (sizeof(STORE_HASH_OPEN) - 1)
#define STORE_HASH_CLOSE "\"}"
#define STORE_HASH_CLOSE_BYTES (sizeof(STORE_HASH_CLOSE) - 1)
#define STORE_HASH_TAIL_BYTES (STORE_HASH_OPEN_BYTES + STORE_HASH_HEX_DIGITS + STORE_HASH_CLOSE_BYTES)

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

/* The stored hash of the entry in val, whose key holds key_seq.  An entry
 * written by store_history_append has it in its last bytes; an entry of an
 * older store (fully key-sorted, "hash" in the middle) is parsed, and must
 * name key_seq as its seq.  CASUS_ESTORE_CORRUPT when neither form holds a
 * hash. */
static int store_history_entry_hash(const MDB_val *val, uint64_t key_seq, char hash[STORE_HASH_HEX_BYTES]) {
  const char *b = val->mv_data;
  size_t n = val->mv_size;
  const char *h;
  uint64_t json_seq;
  json_t *e;
  int rc;

  if (n > STORE_HASH_TAIL_BYTES && b[0] == '{' &&
      memcmp(b + n - STORE_HASH_TAIL_BYTES, STORE_HASH_OPEN, STORE_HASH_OPEN_BYTES) == 0 &&
      memcmp(b + n - STORE_HASH_CLOSE_BYTES, STORE_HASH_CLOSE, STORE_HASH_CLOSE_BYTES) == 0 &&
      store__hex_ok(b + n - STORE_HASH_CLOSE_BYTES - STORE_HASH_HEX_DIGITS, STORE_HASH_HEX_DIGITS)) {
    memcpy(hash, b + n - STORE_HASH_CLOSE_BYTES - STORE_HASH_HEX_DIGITS, STORE_HASH_HEX_DIGITS);
    hash[STORE_HASH_HEX_DIGITS] = '\0';
    return 0;
  }
  rc = store__json_load(val, &e);
  if (rc < 0) return rc;
  h = json_string_value(json_object_get(e, "hash"));
  if (h == NULL || strlen(h) != STORE_HASH_HEX_DIGITS || !store__hex_ok(h, STORE_HASH_HEX_DIGITS) ||
      !store__json_u64(e, "seq", &json_seq) || json_seq != key_seq) {
    json_decref(e);
    return CASUS_ESTORE_CORRUPT;
  }
  memcpy(hash, h, STORE_HASH_HEX_BYTES);
  json_decref(e);
  return 0;
}

/* The head of the case's chain, read from its last entry: seq 0 and 64
 * zeros when the case has none yet. */
int store__history_last(store_txn_t *txn, const char *case_id, store_history_head_t *head) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, seek;
  uint64_t seq;
  int rc, mrc;

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
  if (mrc == MDB_NOTFOUND || (mrc == 0 && !store__key_has_prefix(&key, &prefix))) {
    /* No entries at all, or the last key belongs to another case. */
    mdb_cursor_close(cur);
    head->seq = 0;
    memcpy(head->hash, STORE_HISTORY_ZERO_HASH, STORE_HASH_HEX_BYTES);
    return 0;
  }
  if (mrc != 0) {
    mdb_cursor_close(cur);
    return store__txn_mdb(txn, mrc, "history seek");
  }
  if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
    mdb_cursor_close(cur);
    return CASUS_ESTORE_CORRUPT;
  }
  seq = store__u64_from_be((const uint8_t *)key.mv_data + prefix.len);
  /* val points into the map while the cursor's transaction lives. */
  rc = store_history_entry_hash(&val, seq, head->hash);
  mdb_cursor_close(cur);
  if (rc < 0) return rc;
  head->seq = seq;
  return 0;
}

/* Checks a caller's head against the chain: its entry exists and has its
 * hash.  (That no entry follows it is checked by the put, MDB_NOOVERWRITE.) */
static int store_history_head_check(store_txn_t *txn, const char *case_id, const store_history_head_t *head) {
  char stored[STORE_HASH_HEX_BYTES];
  store_key_t k;
  MDB_val val;
  int rc;

  if (memchr(head->hash, '\0', STORE_HASH_HEX_BYTES) != head->hash + STORE_HASH_HEX_DIGITS ||
      !store__hex_ok(head->hash, STORE_HASH_HEX_DIGITS))
    return CASUS_ESTORE_CORRUPT;
  if (head->seq == 0) return strcmp(head->hash, STORE_HISTORY_ZERO_HASH) == 0 ? 0 : CASUS_ESTORE_CORRUPT;
  store_history_key(&k, case_id, head->seq);
  rc = store__raw_get(txn, STORE_DB_HISTORY, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return CASUS_ESTORE_CORRUPT; /* a head beyond the chain */
  if (rc < 0) return rc;
  rc = store_history_entry_hash(&val, head->seq, stored);
  if (rc < 0) return rc;
  return strcmp(stored, head->hash) == 0 ? 0 : CASUS_ESTORE_CORRUPT;
}

int store_history_append(store_txn_t *txn, const char *case_id, json_t *entry, store_history_head_t *head) {
  char hash[STORE_HASH_HEX_BYTES];
  store_history_head_t prev;
  store_key_t k;
  char *s, *rec;
  size_t n;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(entry));
  CASUS_ASSERT(head != NULL);
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  if (head->seq == STORE_HISTORY_SEQ_UNKNOWN) {
    rc = store__history_last(txn, case_id, &prev);
  } else {
    prev = *head;
    rc = store_history_head_check(txn, case_id, &prev);
    if (rc == CASUS_ESTORE_CORRUPT) {
      /* As for an existing key below: the caller's idea of the case is wrong. */
      fprintf(stderr,
              "casusd: store: history of case %s: the head (seq %" PRIu64 ") does not match the chain\n",
              case_id, prev.seq);
      store__txn_fail(txn, rc);
    }
  }
  if (rc < 0) return rc;
  if (prev.seq >= LIMIT_EVENTS_PER_CASE_MAX) return CASUS_EINVALID_DATA;
  seq = prev.seq + 1;

  json_object_del(entry, "hash");
  if (json_object_set_new(entry, "seq", json_integer((json_int_t)seq)) != 0 ||
      json_object_set_new(entry, "prev_hash", json_string(prev.hash)) != 0)
    return CASUS_ENOMEM;
  /* The one serialisation: the canonical bytes, hashed as they are and
   * stored with the hash spliced in before the final '}'. */
  s = core_json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
  if (s == NULL) return CASUS_ENOMEM;
  n = strlen(s);
  /* seq and prev_hash are members, so the object is not empty. */
  CASUS_ASSERT(n > 2 && s[0] == '{' && s[n - 1] == '}' && s[n - 2] != '{');
  sha256_hex(s, n, hash);

  store_history_key(&k, case_id, seq);
  rc = store__raw_reserve(txn, STORE_DB_HISTORY, &k, n - 1 + STORE_HASH_TAIL_BYTES, true, (void **)&rec);
  if (rc == 0) {
    memcpy(rec, s, n - 1);
    rec += n - 1;
    memcpy(rec, STORE_HASH_OPEN, STORE_HASH_OPEN_BYTES);
    memcpy(rec + STORE_HASH_OPEN_BYTES, hash, STORE_HASH_HEX_DIGITS);
    memcpy(rec + STORE_HASH_OPEN_BYTES + STORE_HASH_HEX_DIGITS, STORE_HASH_CLOSE, STORE_HASH_CLOSE_BYTES);
    head->seq = seq;
    memcpy(head->hash, hash, STORE_HASH_HEX_BYTES);
  } else if (rc == CASUS_ESTORE_CORRUPT) {
    fprintf(stderr, "casusd: store: history of case %s: entry %" PRIu64 " exists already (a stale head)\n",
            case_id, seq);
  }
  free(s);
  return rc;
}

int store_history_list(store_txn_t *txn, const char *case_id, size_t max, json_t **out) {
  uint64_t next_seq;
  *out = NULL;
  if (max == 0) return CASUS_EINVALID_DATA;
  return store_history_page(txn, case_id, 0, max, SIZE_MAX, out, &next_seq);
}

int store_history_page(store_txn_t *txn, const char *case_id, uint64_t after_seq, size_t max_entries,
                       size_t max_bytes, json_t **out, uint64_t *next_seq) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, seek;
  size_t bytes = 0;
  uint64_t last = 0;
  json_t *list;
  int rc = 0, mrc;

  *out = NULL;
  *next_seq = 0;
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id) || max_entries == 0) return CASUS_EINVALID_DATA;
  list = json_array();
  if (list == NULL) return CASUS_ENOMEM;
  if (after_seq == UINT64_MAX) { /* nothing can follow */
    *out = list;
    return 0;
  }
  store__key_init(&prefix);
  store__key_add_str(&prefix, case_id);
  store__key_add_nul(&prefix);
  store_history_key(&seek, case_id, after_seq + 1);
  rc = store__cursor_open(txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  /* One seek to the first entry after after_seq; then only this page's
   * entries, and one key more to know whether the chain goes on. */
  key = store__key_val(&seek);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && store__key_has_prefix(&key, &prefix)) {
    json_t *e;
    uint64_t seq;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    seq = store__u64_from_be((const uint8_t *)key.mv_data + prefix.len);
    if (json_array_size(list) >= max_entries ||
        (json_array_size(list) > 0 && (val.mv_size > max_bytes || bytes > max_bytes - val.mv_size))) {
      *next_seq = last; /* the page is full; the chain goes on */
      break;
    }
    rc = store__json_load(&val, &e);
    if (rc < 0) break;
    {
      uint64_t json_seq;
      if (!store__json_u64(e, "seq", &json_seq) || json_seq != seq) {
        json_decref(e);
        rc = CASUS_ESTORE_CORRUPT;
        break;
      }
    }
    if (json_array_append_new(list, e) != 0) {
      rc = CASUS_ENOMEM;
      break;
    }
    bytes += val.mv_size;
    last = seq;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "history page");
  if (rc < 0) {
    json_decref(list);
    *next_seq = 0;
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

/* Checks one case record's head ("history": {"seq", "hash"}; a record
 * without it, written before heads existed, passes) against the last entry
 * of its chain, which store_history_verify has checked already.  Describes
 * a mismatch in problem. */
static int store_history_head_verify(store_txn_t *txn, const MDB_val *key, const MDB_val *val, char *problem,
                                     size_t problem_size) {
  char case_id[STORE_KEY_BYTES_MAX + 1];
  store_history_head_t last;
  const json_t *head;
  const char *hash;
  const char *why = NULL;
  uint64_t seq = 0;
  json_t *c;
  int rc;

  CASUS_ASSERT(key->mv_size < sizeof(case_id));
  memcpy(case_id, key->mv_data, key->mv_size);
  case_id[key->mv_size] = '\0';
  rc = store__json_load(val, &c);
  if (rc == CASUS_ENOMEM) return rc;
  if (rc < 0) {
    why = "the case record does not parse";
    goto broken;
  }
  head = json_object_get(c, "history");
  if (head == NULL) {
    json_decref(c);
    return 0;
  }
  hash = json_string_value(json_object_get(head, "hash"));
  if (!store__json_u64(head, "seq", &seq) || hash == NULL || strlen(hash) != STORE_HASH_HEX_DIGITS) {
    why = "the case record's history head is malformed";
  } else if (!store__id_ok(case_id)) {
    why = "the case id is not a valid id";
  } else {
    rc = store__history_last(txn, case_id, &last);
    if (rc == CASUS_ENOMEM || (rc < 0 && rc != CASUS_ESTORE_CORRUPT)) {
      json_decref(c);
      return rc;
    }
    if (rc < 0)
      why = "the last entry is damaged";
    else if (last.seq != seq)
      why = "the case record's history head is not the chain's last entry";
    else if (strcmp(last.hash, hash) != 0)
      why = "the case record's history head does not have the last entry's hash";
  }
  json_decref(c);
  if (why == NULL) return 0;

broken:
  if (problem != NULL && problem_size > 0)
    snprintf(problem, problem_size, "history of case %s is broken at seq %" PRIu64 ": %s", case_id, seq, why);
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
      memcpy(prev_hash, STORE_HISTORY_ZERO_HASH, STORE_HASH_HEX_BYTES);
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
  if (rc != CASUS_ENOT_FOUND) return rc;

  /* Every chain is intact: now the heads the case records keep. */
  rc = store__cursor_open(txn, STORE_DB_CASES, &cur);
  if (rc < 0) return rc;
  mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  while (mrc == 0) {
    rc = store_history_head_verify(txn, &key, &val, problem, problem_size);
    if (rc < 0) break;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc < 0) return rc;
  rc = store__txn_mdb(txn, mrc, "history verify heads");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

int store__history_destroy(store_txn_t *txn, const char *case_id, store_history_head_t *head,
                           uint64_t *count) {
  store_key_t k;
  MDB_val val;
  int rc;

  CASUS_ASSERT(txn->write);
  *count = 0;
  /* The last entry's seq and hash, for the tombstone that closes the chain. */
  rc = store__history_last(txn, case_id, head);
  /* One seek per entry, from the first: a chain is at most
   * LIMIT_EVENTS_PER_CASE_MAX entries. */
  while (rc == 0 && (rc = store__prefix_first(txn, STORE_DB_HISTORY, case_id, &k, &val)) == 0) {
    rc = store__raw_del(txn, STORE_DB_HISTORY, &k);
    if (rc == 0) (*count)++;
  }
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}
