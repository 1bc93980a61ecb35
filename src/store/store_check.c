/*
 * store_check.c -- casusd verify: every record of the store checked against
 * what the store itself knows of it, and every damaged one named.
 *
 * The store does not know a chart, so it cannot recompute a case's index
 * terms; it checks what it wrote and can read back on its own:
 *   history    every case's chain: seq, prev_hash, the hash of each entry
 *              (SHA-256 of its canonical bytes), and the head the case
 *              record keeps (its last entry's seq and hash); entries of a
 *              case that does not exist
 *   cases      each record parses and names itself; its casemeta record
 *              exists, decodes, keeps the record's digest, and lists exactly
 *              the case's "timers"; each of those is in the timer index, and
 *              every index entry its casemeta record implies is in sindex
 *   casemeta   names an existing case
 *   sindex     every entry is well formed and its case's casemeta record
 *              carries it (the scope, the attribute, the time)
 *   timers     every key names a timer of its case, with that due time
 *   inbox      every item parses and carries its key's seq; every link of
 *              inbox_case points at an item of that case; once the store
 *              keeps inbox_case_open (meta growth_indexed), every open item
 *              with a kind is in it and each of its entries names an open
 *              item of that case and kind
 *   idem       every record decodes
 *   counts     once the store keeps them (meta counts_built): every case has
 *              its record of what it is counted under and every such record
 *              names a case; each count of cases per status and region
 *              equals the cases recorded under it, each count of open tasks
 *              and overdue deadlines the open tasks the inbox holds
 *   destroyed  the register of destroyed cases: each tombstone parses, names
 *              its key and has its hash; the tombstones chain by seq (1, 2,
 *              ... and prev_hash) to the head meta keeps; nothing of a
 *              destroyed case remains (record, casemeta, history, inbox
 *              links, access log)
 * A chain that breaks is reported once, at its first broken entry.  All of
 * it runs in the caller's read transaction: one consistent snapshot, also
 * while a server writes.  The work is one pass over each database plus a
 * bounded number of lookups per record (a case's index entries: at most
 * STORE_SCOPES_MAX x (STORE_ATTRS_MAX + 3)).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

/* A problem's sentence. */
#define STORE_CHECK_PROBLEM_BYTES 512
/* The bytes of a key shown in a problem. */
#define STORE_CHECK_SHOWN_BYTES 160

typedef struct {
  store_txn_t *txn;
  store_check_fn report;
  void *ud;
  size_t report_max;
  store_check_stats_t *stats;
  bool indexed;   /* schema 2: casemeta and sindex are kept */
  bool case_open; /* growth level 2: inbox_case_open is kept */
  /* The counts (store_counts.c) the walks found, by the hex of their key;
   * NULL when the store keeps no counts yet (the server builds them). */
  json_t *expected;
} store_checker_t;

static void store_check_problem(store_checker_t *ck, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void store_check_problem(store_checker_t *ck, const char *fmt, ...) {
  char msg[STORE_CHECK_PROBLEM_BYTES];
  va_list ap;
  ck->stats->problems++;
  if (ck->stats->problems > ck->report_max) return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  ck->report(msg, ck->ud);
}

/* n bytes at p as printable text into buf: other bytes as \xNN, cut
 * (with "...") to what fits.  Returns buf. */
static const char *store_shown(const void *p, size_t n, char *buf, size_t size) {
  static const char hex[] = "0123456789abcdef";
  const uint8_t *b = p;
  size_t i, o = 0;
  CASUS_ASSERT(size >= 8);
  for (i = 0; i < n; i++) {
    if (o + 8 >= size) {
      memcpy(buf + o, "...", 4);
      return buf;
    }
    if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
      buf[o++] = (char)b[i];
    } else {
      buf[o++] = '\\';
      buf[o++] = 'x';
      buf[o++] = hex[b[i] >> 4];
      buf[o++] = hex[b[i] & 15];
    }
  }
  buf[o] = '\0';
  return buf;
}

/* An id as keys hold it: 1..LIMIT_ID_BYTES_MAX printable ASCII bytes (the
 * API's ids are letters, digits and a few marks), copied into id.  Other
 * bytes are damage, and would not print. */
static bool store_check_id(const void *p, size_t n, char id[LIMIT_ID_BYTES_MAX + 1]) {
  const uint8_t *b = p;
  size_t i;
  if (n == 0 || n > LIMIT_ID_BYTES_MAX) return false;
  for (i = 0; i < n; i++)
    if (b[i] <= 0x20 || b[i] >= 0x7f) return false;
  memcpy(id, p, n);
  id[n] = '\0';
  return true;
}

/* Walks database db from its first record, calling fn for each (key, value)
 * until fn returns an error.  Returns 0 or the error. */
typedef int (*store_check_each_fn)(store_checker_t *ck, const MDB_val *key, const MDB_val *val);
static int store_check_walk(store_checker_t *ck, int db, store_check_each_fn fn) {
  MDB_cursor *cur;
  MDB_val key, val;
  int rc, mrc;
  rc = store__cursor_open(ck->txn, db, &cur);
  if (rc < 0) return rc;
  mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  while (mrc == 0) {
    rc = fn(ck, &key, &val);
    if (rc < 0) break;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc < 0) return rc;
  rc = store__txn_mdb(ck->txn, mrc, "verify walk");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* Does the case id exist?  1, 0, or an error. */
static int store_check_case_exists(store_checker_t *ck, const char *id) {
  store_key_t k;
  MDB_val val;
  int rc;
  store__key_init(&k);
  store__key_add_str(&k, id);
  rc = store__raw_get(ck->txn, STORE_DB_CASES, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return 0;
  return rc < 0 ? rc : 1;
}

/* --- history --- */

typedef struct {
  char id[LIMIT_ID_BYTES_MAX + 1]; /* the chain being walked ("" before the first) */
  uint64_t want_seq;
  char prev_hash[STORE_HASH_HEX_BYTES];
  bool broken;
} store_chain_t;

/* After the last entry of chain c: its case must exist and keep c's head. */
static int store_check_chain_end(store_checker_t *ck, const store_chain_t *c) {
  const json_t *head;
  const char *hash;
  store_key_t k;
  MDB_val val;
  uint64_t seq;
  json_t *rec;
  int rc;

  if (c->id[0] == '\0') return 0;
  store__key_init(&k);
  store__key_add_str(&k, c->id);
  rc = store__raw_get(ck->txn, STORE_DB_CASES, &k, &val);
  if (rc == CASUS_ENOT_FOUND) {
    store_check_problem(ck, "history of case %s: the case does not exist", c->id);
    return 0;
  }
  if (rc < 0) return rc;
  if (c->broken) return 0;
  rc = store__json_load(&val, &rec);
  if (rc == CASUS_ENOMEM) return rc;
  if (rc < 0) return 0; /* the walk of the cases says so */
  head = json_object_get(rec, "history");
  hash = json_string_value(json_object_get(head, "hash"));
  if (head != NULL) {
    if (!store__json_u64(head, "seq", &seq) || hash == NULL)
      store_check_problem(ck, "case %s: its history head is malformed", c->id);
    else if (seq != c->want_seq - 1)
      store_check_problem(
          ck, "case %s: its history head (seq %" PRIu64 ") is not its chain's last entry (seq %" PRIu64 ")",
          c->id, seq, c->want_seq - 1);
    else if (strcmp(hash, c->prev_hash) != 0)
      store_check_problem(
          ck, "case %s: its history head does not have the hash of its last entry (seq %" PRIu64 ")", c->id,
          seq);
  }
  json_decref(rec);
  return 0;
}

/* Checks one entry against its chain; the first break is reported. */
static const char *store_check_entry(const MDB_val *val, uint64_t key_seq, store_chain_t *c) {
  char hash[STORE_HASH_HEX_BYTES];
  const char *stored_hash, *stored_prev, *why = NULL;
  uint64_t json_seq;
  json_t *e;

  if (store__json_load(val, &e) < 0) return "the entry does not parse";
  stored_hash = json_string_value(json_object_get(e, "hash"));
  stored_prev = json_string_value(json_object_get(e, "prev_hash"));
  if (key_seq != c->want_seq)
    why = "its seq does not follow the previous entry";
  else if (!store__json_u64(e, "seq", &json_seq) || json_seq != key_seq)
    why = "the entry's seq does not match its key";
  else if (stored_prev == NULL || strcmp(stored_prev, c->prev_hash) != 0)
    why = "prev_hash does not match the previous entry's hash";
  else if (stored_hash == NULL)
    why = "the entry has no hash";
  else if (store_history_hash(e, hash) < 0)
    why = "the entry cannot be hashed";
  else if (strcmp(hash, stored_hash) != 0)
    why = "its hash does not match the entry (it was changed)";
  else
    memcpy(c->prev_hash, hash, STORE_HASH_HEX_BYTES);
  json_decref(e);
  return why;
}

static int store_check_history(store_checker_t *ck) {
  char shown[STORE_CHECK_SHOWN_BYTES];
  store_chain_t c;
  MDB_cursor *cur;
  MDB_val key, val;
  int rc = 0, mrc;

  memset(&c, 0, sizeof(c));
  rc = store__cursor_open(ck->txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) return rc;
  mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  while (mrc == 0 && rc == 0) {
    const uint8_t *kb = key.mv_data;
    const uint8_t *nul = memchr(kb, '\0', key.mv_size);
    size_t id_len = nul != NULL ? (size_t)(nul - kb) : key.mv_size;
    char id[LIMIT_ID_BYTES_MAX + 1];
    uint64_t seq;
    const char *why;

    ck->stats->history_entries++;
    if (nul == NULL || key.mv_size != id_len + 1 + STORE_SEQ_BYTES || !store_check_id(kb, id_len, id)) {
      store_check_problem(ck, "history key %s is malformed",
                          store_shown(kb, key.mv_size, shown, sizeof(shown)));
    } else {
      if (strcmp(id, c.id) != 0) {
        /* A new case starts a new chain. */
        rc = store_check_chain_end(ck, &c);
        memcpy(c.id, id, id_len + 1);
        c.want_seq = 1;
        memcpy(c.prev_hash, STORE_HISTORY_ZERO_HASH, STORE_HASH_HEX_BYTES);
        c.broken = false;
      }
      seq = store__u64_from_be(kb + id_len + 1);
      if (!c.broken && rc == 0 && (why = store_check_entry(&val, seq, &c)) != NULL) {
        store_check_problem(ck, "history of case %s is broken at seq %" PRIu64 ": %s", id, seq, why);
        c.broken = true;
      }
      c.want_seq++;
    }
    if (rc == 0) mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc < 0) return rc;
  rc = store__txn_mdb(ck->txn, mrc, "verify history");
  if (rc != CASUS_ENOT_FOUND) return rc;
  return store_check_chain_end(ck, &c);
}

/* --- cases --- */

static bool store_check_meta_has_timer(const store_meta_t *m, const char *name, int64_t due_s) {
  size_t i;
  for (i = 0; i < m->timers_count; i++)
    if (m->timers[i].due_s == due_s && store__str_eq(m->timers[i].name, store__str(name))) return true;
  return false;
}

/* Does sindex hold (scope, kind, attr) -> [t] id? */
static int store_check_index_has(store_checker_t *ck, MDB_cursor *cur, store_str_t scope, char kind,
                                 const store_meta_attr_t *attr, int64_t t, const char *id) {
  store_key_t k, v;
  MDB_val key, val;
  int mrc;
  store__index_key(&k, scope, kind, attr);
  store__key_init(&v);
  if (kind == STORE_INDEX_DEADLINE || kind == STORE_INDEX_UPDATED) store__key_add_time(&v, t);
  store__key_add_str(&v, id);
  key = store__key_val(&k);
  val = store__key_val(&v);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_GET_BOTH);
  if (mrc == MDB_NOTFOUND) return 0;
  return mrc == 0 ? 1 : store__txn_mdb(ck->txn, mrc, "verify index lookup");
}

/* Every sindex entry m implies for case id. */
static int store_check_case_index(store_checker_t *ck, const char *id, const store_meta_t *m) {
  char shown[STORE_CHECK_SHOWN_BYTES];
  MDB_cursor *cur;
  size_t i, j;
  int rc = store__cursor_open(ck->txn, STORE_DB_SINDEX, &cur);
  if (rc < 0) return rc;
  for (i = 0; i < m->scopes_count && rc >= 0; i++) {
    const char *scope = store_shown(m->scopes[i].p, m->scopes[i].n, shown, sizeof(shown));
    rc = store_check_index_has(ck, cur, m->scopes[i], STORE_INDEX_ALL, NULL, 0, id);
    if (rc == 0)
      store_check_problem(ck, "case %s: its index entry under %s (every case) is missing", id, scope);
    for (j = 0; j < m->attrs_count && rc >= 0; j++) {
      rc = store_check_index_has(ck, cur, m->scopes[i], STORE_INDEX_EQ, &m->attrs[j], 0, id);
      if (rc == 0) {
        char name[STORE_CHECK_SHOWN_BYTES], value[STORE_CHECK_SHOWN_BYTES];
        store_check_problem(ck, "case %s: its index entry under %s for %s=%s is missing", id, scope,
                            store_shown(m->attrs[j].name.p, m->attrs[j].name.n, name, sizeof(name)),
                            store_shown(m->attrs[j].value.p, m->attrs[j].value.n, value, sizeof(value)));
      }
    }
    if (rc >= 0 && m->deadline_s != STORE_TIME_NONE) {
      rc = store_check_index_has(ck, cur, m->scopes[i], STORE_INDEX_DEADLINE, NULL, m->deadline_s, id);
      if (rc == 0)
        store_check_problem(ck, "case %s: its deadline index entry under %s is missing", id, scope);
    }
    if (rc >= 0 && m->updated_s != STORE_TIME_NONE) {
      rc = store_check_index_has(ck, cur, m->scopes[i], STORE_INDEX_UPDATED, NULL, m->updated_s, id);
      if (rc == 0)
        store_check_problem(ck, "case %s: its update-time index entry under %s is missing", id, scope);
    }
  }
  mdb_cursor_close(cur);
  return rc < 0 ? rc : 0;
}

/* The case's "timers" against its casemeta record, and each in the timer index. */
static int store_check_case_timers(store_checker_t *ck, const char *id, const json_t *c,
                                   const store_meta_t *m) {
  char shown[STORE_CHECK_SHOWN_BYTES];
  const json_t *timers = json_object_get(c, "timers"), *t;
  const char *name;
  size_t n = 0, i;
  bool same = timers == NULL || json_is_null(timers) || json_is_object(timers);
  int rc;

  json_object_foreach((json_t *)timers, name, t) {
    const json_t *due = json_object_get(t, "due_s");
    n++;
    if (!json_is_integer(due) || !store_check_meta_has_timer(m, name, (int64_t)json_integer_value(due)))
      same = false;
  }
  if (!same || n != m->timers_count)
    store_check_problem(ck, "case %s: its timers do not match the timers its index record lists", id);
  for (i = 0; i < m->timers_count; i++) {
    store_key_t k;
    MDB_val val;
    store__key_init(&k);
    store__key_add_time(&k, m->timers[i].due_s);
    store__key_add_str(&k, id);
    store__key_add_nul(&k);
    store__key_add(&k, m->timers[i].name.p, m->timers[i].name.n);
    rc = store__raw_get(ck->txn, STORE_DB_TIMERS, &k, &val);
    if (rc == CASUS_ENOT_FOUND)
      store_check_problem(ck, "case %s: its timer \"%s\" (due_s %" PRId64 ") is missing from the timer index",
                          id, store_shown(m->timers[i].name.p, m->timers[i].name.n, shown, sizeof(shown)),
                          m->timers[i].due_s);
    else if (rc < 0)
      return rc;
  }
  return 0;
}

/* A case without history entries must not keep a head beyond them. */
static int store_check_case_head(store_checker_t *ck, const char *id, const json_t *c) {
  const json_t *head = json_object_get(c, "history");
  store_key_t k;
  MDB_val val;
  uint64_t seq;
  int rc;
  if (head == NULL || !store__json_u64(head, "seq", &seq) || seq == 0)
    return 0; /* or the history walk says */
  store__key_init(&k);
  store__key_add_str(&k, id);
  store__key_add_nul(&k);
  store__key_add_u64(&k, 1);
  rc = store__raw_get(ck->txn, STORE_DB_HISTORY, &k, &val);
  if (rc == CASUS_ENOT_FOUND)
    store_check_problem(ck, "case %s: its history head names seq %" PRIu64 ", but it has no history", id,
                        seq);
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

static int store_check_case(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char id[LIMIT_ID_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES];
  const char *named;
  store_meta_t m;
  json_t *c = NULL;
  int rc;

  ck->stats->cases++;
  if (!store_check_id(key->mv_data, key->mv_size, id)) {
    store_check_problem(ck, "case key %s is malformed",
                        store_shown(key->mv_data, key->mv_size, shown, sizeof(shown)));
    return 0;
  }
  rc = store__json_load(val, &c);
  if (rc == CASUS_ENOMEM) return rc;
  if (rc < 0) {
    store_check_problem(ck, "case %s: its record does not parse", id);
    rc = 0;
  } else if ((named = json_string_value(json_object_get(c, "id"))) == NULL || strcmp(named, id) != 0) {
    store_check_problem(ck, "case %s: its record names another id", id);
    json_decref(c);
    c = NULL;
  }
  if (c != NULL) rc = store_check_case_head(ck, id, c);
  if (rc >= 0 && ck->indexed) {
    rc = store__meta_peek(ck->txn, store__str(id), &m);
    if (rc == CASUS_ENOT_FOUND) {
      store_check_problem(ck, "case %s: it has no index record (casemeta)", id);
      rc = 0;
    } else if (rc == CASUS_ESTORE_CORRUPT && ck->txn->err == 0) {
      store_check_problem(ck, "case %s: its index record (casemeta) does not decode", id);
      rc = 0;
    } else if (rc == 0) {
      if (m.has_digest && m.digest != store__digest(val->mv_data, val->mv_size))
        store_check_problem(ck,
                            "case %s: its record does not match the digest its index record keeps (changed "
                            "outside casusd, or damaged)",
                            id);
      if (c != NULL) rc = store_check_case_timers(ck, id, c, &m);
      if (rc == 0) rc = store_check_case_index(ck, id, &m);
    }
  }
  json_decref(c);
  return rc < 0 ? rc : 0;
}

static int store_check_casemeta(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char id[LIMIT_ID_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES];
  int rc;
  (void)val;
  if (!store_check_id(key->mv_data, key->mv_size, id)) {
    store_check_problem(ck, "index record key %s is malformed",
                        store_shown(key->mv_data, key->mv_size, shown, sizeof(shown)));
    return 0;
  }
  rc = store_check_case_exists(ck, id);
  if (rc == 0) store_check_problem(ck, "index record of case %s: the case does not exist", id);
  return rc < 0 ? rc : 0;
}

/* --- the indexes --- */

static int store_check_sindex(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char id[LIMIT_ID_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES], vshown[STORE_CHECK_SHOWN_BYTES];
  const uint8_t *kb = key->mv_data, *nul = memchr(kb, '\0', key->mv_size);
  store_meta_attr_t attr;
  store_str_t scope;
  bool timed, ok;
  char kind;
  int64_t t = 0;
  store_meta_t m;
  size_t i, skip;
  int rc;

  ck->stats->index_entries++;
  store_shown(kb, key->mv_size, shown, sizeof(shown));
  if (nul == NULL || nul == kb || (size_t)(nul - kb) + 2 > key->mv_size) {
    store_check_problem(ck, "index key %s is malformed", shown);
    return 0;
  }
  scope.p = (const char *)kb;
  scope.n = (size_t)(nul - kb);
  kind = (char)nul[1];
  memset(&attr, 0, sizeof(attr));
  if (kind == STORE_INDEX_EQ) {
    const uint8_t *name = nul + 2, *end = kb + key->mv_size, *sep = memchr(name, '\0', (size_t)(end - name));
    ok = sep != NULL && sep > name && sep + 1 < end;
    if (ok) {
      attr.name.p = (const char *)name;
      attr.name.n = (size_t)(sep - name);
      attr.value.p = (const char *)sep + 1;
      attr.value.n = (size_t)(end - sep - 1);
    }
  } else {
    ok = (kind == STORE_INDEX_ALL || kind == STORE_INDEX_DEADLINE || kind == STORE_INDEX_UPDATED) &&
         key->mv_size == scope.n + 2;
  }
  timed = kind == STORE_INDEX_DEADLINE || kind == STORE_INDEX_UPDATED;
  skip = timed ? STORE_SEQ_BYTES : 0;
  if (ok)
    ok = val->mv_size > skip && store_check_id((const uint8_t *)val->mv_data + skip, val->mv_size - skip, id);
  if (!ok) {
    store_check_problem(ck, "index entry %s -> %s is malformed", shown,
                        store_shown(val->mv_data, val->mv_size, vshown, sizeof(vshown)));
    return 0;
  }
  if (timed) t = store__time_from_be(val->mv_data);
  rc = store__meta_peek(ck->txn, store__str(id), &m);
  if (rc == CASUS_ENOT_FOUND) {
    rc = store_check_case_exists(ck, id);
    if (rc >= 0)
      store_check_problem(ck, "index entry %s names case %s, which %s", shown, id,
                          rc == 0 ? "does not exist" : "has no index record");
    return rc < 0 ? rc : 0;
  }
  if (rc == CASUS_ESTORE_CORRUPT && ck->txn->err == 0) return 0; /* the walk of the cases says so */
  if (rc < 0) return rc;
  ok = false;
  for (i = 0; i < m.scopes_count; i++)
    if (store__str_eq(m.scopes[i], scope)) ok = true;
  if (ok && kind == STORE_INDEX_EQ) {
    ok = false;
    for (i = 0; i < m.attrs_count; i++)
      if (store__str_eq(m.attrs[i].name, attr.name) && store__str_eq(m.attrs[i].value, attr.value)) ok = true;
  }
  if (ok && kind == STORE_INDEX_DEADLINE) ok = t == m.deadline_s;
  if (ok && kind == STORE_INDEX_UPDATED) ok = t == m.updated_s;
  if (!ok) {
    if (timed)
      store_check_problem(
          ck, "index entry %s (time %" PRId64 ") names case %s, whose index record does not have it", shown,
          t, id);
    else
      store_check_problem(ck, "index entry %s names case %s, whose index record does not have it", shown, id);
  }
  return 0;
}

static int store_check_timer(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char id[LIMIT_ID_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES];
  const uint8_t *kb = key->mv_data, *nul;
  store_meta_t m;
  store_str_t name;
  int64_t due_s;
  size_t i, id_len;
  bool ok = false;
  int rc;

  (void)val;
  ck->stats->timers++;
  store_shown(kb, key->mv_size, shown, sizeof(shown));
  nul = key->mv_size > STORE_SEQ_BYTES ? memchr(kb + STORE_SEQ_BYTES, '\0', key->mv_size - STORE_SEQ_BYTES)
                                       : NULL;
  id_len = nul != NULL ? (size_t)(nul - kb) - STORE_SEQ_BYTES : 0;
  if (nul == NULL || !store_check_id(kb + STORE_SEQ_BYTES, id_len, id) || nul + 1 >= kb + key->mv_size) {
    store_check_problem(ck, "timer index key %s is malformed", shown);
    return 0;
  }
  due_s = store__time_from_be(kb);
  name.p = (const char *)nul + 1;
  name.n = key->mv_size - STORE_SEQ_BYTES - id_len - 1;
  if (!ck->indexed) return 0;
  rc = store__meta_peek(ck->txn, store__str(id), &m);
  if (rc == CASUS_ESTORE_CORRUPT && ck->txn->err == 0) return 0; /* the walk of the cases says so */
  if (rc < 0 && rc != CASUS_ENOT_FOUND) return rc;
  for (i = 0; rc == 0 && i < m.timers_count; i++)
    if (m.timers[i].due_s == due_s && store__str_eq(m.timers[i].name, name)) ok = true;
  if (!ok)
    store_check_problem(
        ck, "timer index entry of case %s, timer \"%s\" due_s %" PRId64 ": the case has no such timer", id,
        store_shown(name.p, name.n, shown, sizeof(shown)), due_s);
  return 0;
}

/* --- counts --- */

/* Adds 1 to the count of the key at p (n bytes) that the walks expect. */
static int store_check_count_expect(store_checker_t *ck, const void *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char name[2 * STORE_KEY_BYTES_MAX + 1];
  const uint8_t *b = p;
  size_t i;
  CASUS_ASSERT(n <= STORE_KEY_BYTES_MAX);
  for (i = 0; i < n; i++) {
    name[2 * i] = hex[b[i] >> 4];
    name[2 * i + 1] = hex[b[i] & 15];
  }
  name[2 * n] = '\0';
  return json_object_set_new(ck->expected, name,
                             json_integer(json_integer_value(json_object_get(ck->expected, name)) + 1)) == 0
             ? 0
             : CASUS_ENOMEM;
}

/* An open inbox item: a task counts under its kind, and its deadline's. */
static int store_check_count_item(store_checker_t *ck, const json_t *item) {
  const char *type = json_string_value(json_object_get(item, "type"));
  const char *kind = json_string_value(json_object_get(item, "kind"));
  const char *deadline = json_string_value(json_object_get(item, "deadline"));
  store_key_t k;
  char c;
  int rc;
  if (type == NULL || strcmp(type, "task") != 0) return 0;
  store__key_init(&k);
  c = STORE_COUNT_TASKS;
  store__key_add(&k, &c, 1);
  store__key_add_str(&k, kind ? kind : "");
  if (k.overflow) return 0;
  rc = store_check_count_expect(ck, k.bytes, k.len);
  if (rc < 0 || deadline == NULL) return rc;
  store__key_init(&k);
  c = STORE_COUNT_OVERDUE;
  store__key_add(&k, &c, 1);
  store__key_add_str(&k, deadline);
  return k.overflow ? 0 : store_check_count_expect(ck, k.bytes, k.len);
}

/* Each case has its record of what it is counted under. */
static int store_check_case_counted(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char shown[STORE_CHECK_SHOWN_BYTES];
  store_key_t k;
  MDB_val v;
  char c = STORE_COUNT_CASE_LABEL;
  int rc;
  store_meta_t m;
  (void)val;
  /* A case without its casemeta record was not written by store_case_put:
   * the walk of the cases reported it already. */
  rc = store__meta_peek(ck->txn, (store_str_t){key->mv_data, key->mv_size}, &m);
  if (rc == CASUS_ENOT_FOUND || (rc == CASUS_ESTORE_CORRUPT && ck->txn->err == 0)) return 0;
  if (rc < 0) return rc;
  store__key_init(&k);
  store__key_add(&k, &c, 1);
  store__key_add(&k, key->mv_data, key->mv_size);
  if (k.overflow) return 0; /* a malformed case key: the walk of the cases says so */
  rc = store__raw_get(ck->txn, STORE_DB_COUNTS, &k, &v);
  if (rc == CASUS_ENOT_FOUND)
    store_check_problem(ck, "case %s is not counted in the metrics' cases per status and region",
                        store_shown(key->mv_data, key->mv_size, shown, sizeof(shown)));
  else if (rc < 0)
    return rc;
  return 0;
}

/* A record of the counts database: a case's record of its count (which
 * must name a case, and is expected once in its count), or a count (kept to
 * compare once every walk is done). */
static int store_check_count(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char shown[STORE_CHECK_SHOWN_BYTES], label[STORE_KEY_BYTES_MAX + 1], label2[STORE_KEY_BYTES_MAX + 1];
  const char *kb = key->mv_data;
  uint64_t n;
  char kind;
  int rc;
  ck->stats->counts++;
  store_shown(kb, key->mv_size, shown, sizeof(shown));
  if (key->mv_size >= 2 && kb[0] == STORE_COUNT_CASE_LABEL) {
    store_key_t k, ck_key;
    MDB_val v;
    char c = STORE_COUNT_CASES;
    store__key_init(&k);
    store__key_add(&k, kb + 1, key->mv_size - 1);
    rc = store__raw_get(ck->txn, STORE_DB_CASES, &k, &v);
    if (rc == CASUS_ENOT_FOUND) {
      store_check_problem(ck, "metrics count record %s names no case", shown);
      return 0;
    }
    if (rc < 0) return rc;
    store__key_init(&ck_key);
    store__key_add(&ck_key, &c, 1);
    store__key_add(&ck_key, val->mv_data, val->mv_size);
    if (val->mv_size == 0 || memchr(val->mv_data, '\0', val->mv_size) == NULL || ck_key.overflow) {
      store_check_problem(ck, "metrics count record %s is malformed", shown);
      return 0;
    }
    return store_check_count_expect(ck, ck_key.bytes, ck_key.len);
  }
  rc = store__count_decode(key, val, &kind, label, sizeof(label), label2, sizeof(label2), &n);
  if (rc < 0) store_check_problem(ck, "metrics count %s is malformed", shown);
  return 0;
}

/* Compares every count with what the walks expect of it. */
static int store_check_counts_compare(store_checker_t *ck) {
  char shown[STORE_CHECK_SHOWN_BYTES], label[STORE_KEY_BYTES_MAX + 1], label2[STORE_KEY_BYTES_MAX + 1];
  MDB_cursor *cur;
  MDB_val key, val;
  const char *name;
  json_t *want;
  int rc, mrc;
  rc = store__cursor_open(ck->txn, STORE_DB_COUNTS, &cur);
  if (rc < 0) return rc;
  for (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    static const char hex[] = "0123456789abcdef";
    char hname[2 * STORE_KEY_BYTES_MAX + 1];
    const uint8_t *b = key.mv_data;
    uint64_t n, expected;
    char kind;
    size_t i;
    if (key.mv_size >= 1 && b[0] == STORE_COUNT_CASE_LABEL) continue;
    if (store__count_decode(&key, &val, &kind, label, sizeof(label), label2, sizeof(label2), &n) < 0)
      continue; /* reported by the walk */
    for (i = 0; i < key.mv_size; i++) {
      hname[2 * i] = hex[b[i] >> 4];
      hname[2 * i + 1] = hex[b[i] & 15];
    }
    hname[2 * key.mv_size] = '\0';
    expected = (uint64_t)json_integer_value(json_object_get(ck->expected, hname));
    json_object_del(ck->expected, hname);
    if (n != expected)
      store_check_problem(ck, "metrics count %s is %" PRIu64 " but the store holds %" PRIu64,
                          store_shown(b, key.mv_size, shown, sizeof(shown)), n, expected);
  }
  mdb_cursor_close(cur);
  if (mrc != MDB_NOTFOUND) return store__txn_mdb(ck->txn, mrc, "verify counts");
  /* What the walks found and no count holds. */
  json_object_foreach(ck->expected, name, want) {
    uint8_t raw[STORE_KEY_BYTES_MAX];
    size_t i, n = strlen(name) / 2;
    for (i = 0; i < n; i++) {
      unsigned v;
      sscanf(name + 2 * i, "%2x", &v);
      raw[i] = (uint8_t)v;
    }
    store_check_problem(ck, "metrics count %s is missing; the store holds %" PRId64,
                        store_shown(raw, n, shown, sizeof(shown)), (int64_t)json_integer_value(want));
  }
  return 0;
}

/* --- inbox and idempotency records --- */

/* An open item (of recipient r, r_len bytes) with a kind: its case lists it
 * in inbox_case_open, or store_inbox_close would not find it. */
static int store_check_inbox_open(store_checker_t *ck, const json_t *item, const uint8_t *r, size_t r_len,
                                  uint64_t seq, const char *shown) {
  const char *case_id = json_string_value(json_object_get(item, "case_id"));
  const char *kind = json_string_value(json_object_get(item, "kind"));
  store_key_t k;
  MDB_val val;
  int rc;
  if (kind == NULL || case_id == NULL || !store__id_ok(case_id)) return 0;
  store__key_init(&k);
  store__key_add_str(&k, case_id);
  store__key_add_nul(&k);
  store__key_add_str(&k, kind);
  store__key_add_nul(&k);
  store__key_add_u64(&k, seq);
  if (k.overflow) return 0; /* the upgrade left it unindexed, and said so */
  rc = store__raw_get(ck->txn, STORE_DB_INBOX_CASE_OPEN, &k, &val);
  if (rc == CASUS_ENOT_FOUND || (rc == 0 && (val.mv_size != r_len || memcmp(val.mv_data, r, r_len) != 0)))
    store_check_problem(ck, "inbox item %" PRIu64 " of %s is open, but case %s does not list it as open", seq,
                        shown, case_id);
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

static int store_check_inbox(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char shown[STORE_CHECK_SHOWN_BYTES];
  const uint8_t *kb = key->mv_data;
  uint64_t seq, json_seq;
  json_t *item;
  int rc;
  ck->stats->inbox_items++;
  store_shown(kb, key->mv_size > STORE_SEQ_BYTES + 1 ? key->mv_size - STORE_SEQ_BYTES - 1 : key->mv_size,
              shown, sizeof(shown));
  if (key->mv_size < STORE_SEQ_BYTES + 2 || kb[key->mv_size - STORE_SEQ_BYTES - 1] != '\0') {
    store_check_problem(ck, "inbox key %s is malformed", shown);
    return 0;
  }
  seq = store__u64_from_be(kb + key->mv_size - STORE_SEQ_BYTES);
  rc = store__json_load(val, &item);
  if (rc == CASUS_ENOMEM) return rc;
  if (rc < 0 || !store__json_u64(item, "seq", &json_seq) || json_seq != seq) {
    store_check_problem(ck, "inbox item %" PRIu64 " of %s: %s", seq, shown,
                        rc < 0 ? "it does not parse" : "its seq does not match its key");
  } else if (json_is_true(json_object_get(item, "open"))) {
    if (ck->case_open)
      rc = store_check_inbox_open(ck, item, kb, key->mv_size - STORE_SEQ_BYTES - 1, seq, shown);
    if (rc >= 0 && ck->expected != NULL) rc = store_check_count_item(ck, item);
  }
  json_decref(item);
  return rc == CASUS_ENOMEM ? rc : 0;
}

/* An entry of inbox_case_open: it names an open item of its case and kind,
 * held by the recipient it gives. */

/* The inbox key of item seq of the recipient an index entry's value names
 * (recipient NUL seq); false when it does not fit a key. */
static bool inbox_item_key(store_key_t *k, const MDB_val *recipient, uint64_t seq) {
  store__key_init(k);
  store__key_add(k, recipient->mv_data, recipient->mv_size);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
  return !k->overflow;
}

static int store_check_inbox_open_link(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char id[LIMIT_ID_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES];
  const uint8_t *kb = key->mv_data, *nul = memchr(kb, '\0', key->mv_size);
  const char *case_id, *kind;
  size_t kind_len;
  store_key_t k;
  MDB_val item_val;
  json_t *item;
  uint64_t seq;
  int rc;

  store_shown(kb, key->mv_size, shown, sizeof(shown));
  if (nul == NULL || key->mv_size < (size_t)(nul - kb) + 2 + STORE_SEQ_BYTES ||
      kb[key->mv_size - STORE_SEQ_BYTES - 1] != '\0' || !store_check_id(kb, (size_t)(nul - kb), id) ||
      val->mv_size == 0 || memchr(val->mv_data, '\0', val->mv_size) != NULL) {
    store_check_problem(ck, "open inbox entry %s is malformed", shown);
    return 0;
  }
  kind = (const char *)nul + 1;
  kind_len = key->mv_size - (size_t)(nul - kb) - 2 - STORE_SEQ_BYTES;
  seq = store__u64_from_be(kb + key->mv_size - STORE_SEQ_BYTES);
  if (!inbox_item_key(&k, val, seq)) {
    store_check_problem(ck, "open inbox entry %s names a recipient too long for a key", shown);
    return 0;
  }
  rc = store__raw_get(ck->txn, STORE_DB_INBOX, &k, &item_val);
  if (rc == CASUS_ENOT_FOUND) {
    store_check_problem(ck, "open inbox entry %s: its item does not exist", shown);
    return 0;
  }
  if (rc < 0) return rc;
  if (store__json_load(&item_val, &item) < 0) return 0; /* the walk of the inbox says so */
  case_id = json_string_value(json_object_get(item, "case_id"));
  if (case_id == NULL || strcmp(case_id, id) != 0)
    store_check_problem(ck, "open inbox entry %s: its item belongs to another case", shown);
  else if (!json_is_true(json_object_get(item, "open")))
    store_check_problem(ck, "open inbox entry %s: its item is closed", shown);
  else if (json_string_value(json_object_get(item, "kind")) == NULL ||
           strlen(json_string_value(json_object_get(item, "kind"))) != kind_len ||
           memcmp(json_string_value(json_object_get(item, "kind")), kind, kind_len) != 0)
    store_check_problem(ck, "open inbox entry %s: its item is of another kind", shown);
  json_decref(item);
  return 0;
}

static int store_check_inbox_link(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char id[LIMIT_ID_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES];
  const uint8_t *kb = key->mv_data;
  const char *case_id;
  store_key_t k;
  MDB_val item_val;
  json_t *item;
  uint64_t seq;
  int rc;

  ck->stats->inbox_links++;
  if (key->mv_size < STORE_SEQ_BYTES + 2 || kb[key->mv_size - STORE_SEQ_BYTES - 1] != '\0' ||
      !store_check_id(kb, key->mv_size - STORE_SEQ_BYTES - 1, id) || val->mv_size == 0 ||
      memchr(val->mv_data, '\0', val->mv_size) != NULL) {
    store_check_problem(ck, "inbox link %s is malformed",
                        store_shown(kb, key->mv_size, shown, sizeof(shown)));
    return 0;
  }
  seq = store__u64_from_be(kb + key->mv_size - STORE_SEQ_BYTES);
  if (!inbox_item_key(&k, val, seq)) {
    store_check_problem(ck, "inbox link of case %s (item %" PRIu64 ") names a recipient too long for a key",
                        id, seq);
    return 0;
  }
  store_shown(val->mv_data, val->mv_size, shown, sizeof(shown));
  rc = store__raw_get(ck->txn, STORE_DB_INBOX, &k, &item_val);
  if (rc == CASUS_ENOT_FOUND) {
    store_check_problem(ck, "inbox link of case %s: item %" PRIu64 " of %s does not exist", id, seq, shown);
    return 0;
  }
  if (rc < 0) return rc;
  if (store__json_load(&item_val, &item) < 0) return 0; /* the walk of the inbox says so */
  case_id = json_string_value(json_object_get(item, "case_id"));
  if (case_id == NULL || strcmp(case_id, id) != 0)
    store_check_problem(ck, "inbox link of case %s: item %" PRIu64 " of %s belongs to another case", id, seq,
                        shown);
  json_decref(item);
  return 0;
}

static int store_check_idem(store_checker_t *ck, const MDB_val *key, const MDB_val *val) {
  char actor[STORE_KEY_BYTES_MAX + 1], idem_key[STORE_KEY_BYTES_MAX + 1], shown[STORE_CHECK_SHOWN_BYTES];
  char sha[65], *body = NULL;
  const uint8_t *kb = key->mv_data, *nul = memchr(kb, '\0', key->mv_size);
  size_t body_bytes;
  int status, rc;
  int64_t created_s;

  (void)val;
  ck->stats->idem_records++;
  store_shown(kb, key->mv_size, shown, sizeof(shown));
  if (nul == NULL || nul == kb || nul + 1 >= kb + key->mv_size ||
      memchr(nul + 1, '\0', key->mv_size - (size_t)(nul - kb) - 1) != NULL) {
    store_check_problem(ck, "idempotency key %s is malformed", shown);
    return 0;
  }
  memcpy(actor, kb, (size_t)(nul - kb));
  actor[nul - kb] = '\0';
  memcpy(idem_key, nul + 1, key->mv_size - (size_t)(nul - kb) - 1);
  idem_key[key->mv_size - (size_t)(nul - kb) - 1] = '\0';
  /* Read as the server reads it, so that this check follows its format. */
  rc = store_idem_get(ck->txn, actor, idem_key, sha, &status, &created_s, &body, &body_bytes);
  free(body);
  if (rc == CASUS_ESTORE_CORRUPT && ck->txn->err == 0) {
    store_check_problem(ck, "idempotency record %s: it does not decode", shown);
    return 0;
  }
  return rc < 0 && rc != CASUS_ENOT_FOUND ? rc : 0;
}

/* --- the register of destroyed cases --- */

typedef struct {
  uint64_t seq;
  char id[LIMIT_ID_BYTES_MAX + 1];
  char prev[STORE_HASH_HEX_BYTES], hash[STORE_HASH_HEX_BYTES];
} store_tomb_t;

static int store_tomb_cmp(const void *a, const void *b) {
  const store_tomb_t *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What of destroyed case id remains in the store; each is a problem. */
static int store_check_remains(store_checker_t *ck, const char *id, uint64_t seq) {
  static const struct {
    int db;
    const char *what;
  } prefixed[] = {{STORE_DB_HISTORY, "history entries"},
                  {STORE_DB_INBOX_CASE, "inbox items"},
                  {STORE_DB_INBOX_CASE_OPEN, "open inbox items"},
                  {STORE_DB_ACCESS, "access-log entries"}};
  store_key_t k;
  MDB_val val;
  size_t i;
  int rc = store_check_case_exists(ck, id);
  if (rc < 0) return rc;
  if (rc == 1)
    store_check_problem(ck, "case %s was destroyed (register seq %" PRIu64 "), but its record remains", id,
                        seq);
  if (ck->indexed) {
    store__key_init(&k);
    store__key_add_str(&k, id);
    rc = store__raw_get(ck->txn, STORE_DB_CASEMETA, &k, &val);
    if (rc == 0)
      store_check_problem(
          ck, "case %s was destroyed (register seq %" PRIu64 "), but its index record remains", id, seq);
    else if (rc != CASUS_ENOT_FOUND)
      return rc;
  }
  for (i = 0; i < sizeof(prefixed) / sizeof(prefixed[0]); i++) {
    rc = store__prefix_first(ck->txn, prefixed[i].db, id, &k, &val);
    if (rc == 0)
      store_check_problem(ck, "case %s was destroyed (register seq %" PRIu64 "), but its %s remain", id, seq,
                          prefixed[i].what);
    else if (rc != CASUS_ENOT_FOUND)
      return rc;
  }
  return 0;
}

static int store_check_destroyed(store_checker_t *ck) {
  char shown[STORE_CHECK_SHOWN_BYTES], prev[STORE_HASH_HEX_BYTES];
  store_tomb_t *t = NULL;
  size_t n = 0, cap = 0, i;
  uint64_t meta_seq = 0;
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t k;
  int rc = 0, mrc;

  rc = store__cursor_open(ck->txn, STORE_DB_DESTROYED, &cur);
  if (rc < 0) return rc;
  for (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); mrc == 0 && rc == 0;
       mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    char id[LIMIT_ID_BYTES_MAX + 1], hash[STORE_HASH_HEX_BYTES];
    const char *named, *stored, *prev_hash;
    uint64_t seq = 0;
    json_t *e;
    ck->stats->destroyed++;
    if (!store_check_id(key.mv_data, key.mv_size, id)) {
      store_check_problem(ck, "register key %s is malformed",
                          store_shown(key.mv_data, key.mv_size, shown, sizeof(shown)));
      continue;
    }
    rc = store__json_load(&val, &e);
    if (rc == CASUS_ENOMEM) break;
    if (rc < 0) {
      rc = 0;
      store_check_problem(ck, "the register's tombstone of case %s does not parse", id);
      continue;
    }
    named = json_string_value(json_object_get(e, "case_id"));
    stored = json_string_value(json_object_get(e, "hash"));
    prev_hash = json_string_value(json_object_get(e, "prev_hash"));
    if (named == NULL || strcmp(named, id) != 0 || !store__json_u64(e, "seq", &seq) || stored == NULL ||
        prev_hash == NULL || strlen(prev_hash) != STORE_HASH_HEX_BYTES - 1) {
      store_check_problem(ck, "the register's tombstone of case %s is malformed", id);
    } else if ((rc = store_history_hash(e, hash)) == 0 && strcmp(hash, stored) != 0) {
      store_check_problem(ck, "the register's tombstone of case %s (seq %" PRIu64 ") does not match its hash",
                          id, seq);
    } else if (rc == 0) {
      if (n == cap) {
        size_t c = cap ? cap * 2 : 64;
        store_tomb_t *nt = realloc(t, c * sizeof(*nt));
        if (nt == NULL) rc = CASUS_ENOMEM;
        t = nt ? nt : t;
        cap = nt ? c : cap;
      }
      if (rc == 0) {
        t[n].seq = seq;
        memcpy(t[n].id, id, strlen(id) + 1);
        memcpy(t[n].prev, prev_hash, STORE_HASH_HEX_BYTES);
        memcpy(t[n].hash, hash, STORE_HASH_HEX_BYTES);
        n++;
      }
    }
    json_decref(e);
    if (rc == 0) rc = store_check_remains(ck, id, seq);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != MDB_NOTFOUND && mrc != 0) rc = store__txn_mdb(ck->txn, mrc, "verify register");
  if (rc == 0) rc = store__meta_u64_get(ck->txn, "destroyed_seq", &meta_seq);
  if (rc < 0) {
    free(t);
    return rc;
  }
  /* The chain in the order of destruction, from the zero hash to the head. */
  if (n > 0) qsort(t, n, sizeof(*t), store_tomb_cmp);
  memcpy(prev, STORE_HISTORY_ZERO_HASH, STORE_HASH_HEX_BYTES);
  for (i = 0; i < n; i++) {
    if (t[i].seq != i + 1 || strcmp(t[i].prev, prev) != 0) {
      store_check_problem(ck, "the register is broken at seq %" PRIu64 " (case %s): %s", t[i].seq, t[i].id,
                          t[i].seq != i + 1 ? "a tombstone before it is missing"
                                            : "prev_hash does not match the tombstone before it");
      break;
    }
    memcpy(prev, t[i].hash, STORE_HASH_HEX_BYTES);
  }
  if (i == n) {
    store__meta_key(&k, "destroyed_head");
    rc = store__raw_get(ck->txn, STORE_DB_META, &k, &val);
    if (rc == CASUS_ENOT_FOUND && n == 0 && meta_seq == 0) {
      rc = 0;
    } else if (rc == 0 || rc == CASUS_ENOT_FOUND) {
      if (meta_seq != n || rc == CASUS_ENOT_FOUND || val.mv_size != STORE_HASH_HEX_BYTES - 1 ||
          memcmp(val.mv_data, prev, val.mv_size) != 0)
        store_check_problem(ck,
                            "the register's head (meta, %" PRIu64
                            " tombstones) is not its last tombstone (%zu "
                            "found): a tombstone was removed or changed",
                            meta_seq, n);
      rc = 0;
    }
  }
  free(t);
  return rc;
}

int store_check(store_txn_t *txn, store_check_fn report, void *ud, size_t report_max,
                store_check_stats_t *stats) {
  store_checker_t ck;
  uint64_t version = 0;
  int rc;

  memset(stats, 0, sizeof(*stats));
  if (txn->err < 0) return txn->err;
  ck.txn = txn;
  ck.report = report;
  ck.ud = ud;
  ck.report_max = report_max;
  ck.stats = stats;
  rc = store__meta_u64_get(txn, "schema_version", &version);
  if (rc < 0) return rc;
  ck.indexed = version >= STORE_SCHEMA_VERSION;
  {
    uint64_t level = 0;
    rc = store__meta_u64_get(txn, STORE_GROWTH_META, &level);
    if (rc < 0) return rc;
    /* An older store gets the index when a server first opens it. */
    ck.case_open = level >= STORE_GROWTH_LEVEL;
  }
  ck.expected = NULL;
  {
    uint64_t counted = 0;
    rc = store__meta_u64_get(txn, STORE_COUNTS_META, &counted);
    if (rc < 0) return rc;
    /* A store of schema 1 has no counts either: the server builds both. */
    if (counted == 1 && ck.indexed && (ck.expected = json_object()) == NULL) return CASUS_ENOMEM;
  }
  rc = store_check_history(&ck);
  if (rc == 0) rc = store_check_walk(&ck, STORE_DB_CASES, store_check_case);
  if (rc == 0 && ck.indexed) rc = store_check_walk(&ck, STORE_DB_CASEMETA, store_check_casemeta);
  if (rc == 0 && ck.indexed) rc = store_check_walk(&ck, STORE_DB_SINDEX, store_check_sindex);
  if (rc == 0) rc = store_check_walk(&ck, STORE_DB_TIMERS, store_check_timer);
  if (rc == 0) rc = store_check_walk(&ck, STORE_DB_INBOX, store_check_inbox);
  if (rc == 0) rc = store_check_walk(&ck, STORE_DB_INBOX_CASE, store_check_inbox_link);
  if (rc == 0 && ck.case_open)
    rc = store_check_walk(&ck, STORE_DB_INBOX_CASE_OPEN, store_check_inbox_open_link);
  if (rc == 0) rc = store_check_walk(&ck, STORE_DB_IDEM, store_check_idem);
  if (rc == 0 && ck.expected != NULL) rc = store_check_walk(&ck, STORE_DB_CASES, store_check_case_counted);
  if (rc == 0 && ck.expected != NULL) rc = store_check_walk(&ck, STORE_DB_COUNTS, store_check_count);
  if (rc == 0 && ck.expected != NULL) rc = store_check_counts_compare(&ck);
  json_decref(ck.expected);
  if (rc == 0) rc = store_check_destroyed(&ck);
  if (rc < 0) return rc;
  return stats->problems > 0 ? CASUS_ESTORE_CORRUPT : 0;
}
