/*
 * store_int.h -- the store's private header, shared by the .c files of
 * src/store and included nowhere else.
 *
 * Together with the store's .c files this is the only place that includes
 * lmdb.h.  Every LMDB result is passed through store__err_from_mdb() (or
 * store__txn_mdb(), which also records it on the transaction) so that
 * callers only ever see casus_err_t codes.
 *
 * It holds the definitions of store_t and store_txn_t, the database
 * numbers, the key builder, and the helpers every database's file uses:
 * error translation (store_env.c), and record access and meta counters
 * (store_record.c).  Functions shared between the store's files are named
 * store__<noun>_<verb> (as libuv's uv__...); the public API is store.h.
 *
 * The files: store_env.c (environment, transactions, map growth, secret,
 * backup, fault injection), store_dir.c (the data file's check before
 * mapping, the server lock), store_check.c (casusd verify's check of every
 * record), store_record.c (keys, records, cursors, meta
 * counters), and one file per database: store_cases.c, store_meta.c
 * (casemeta), store_index.c (sindex upkeep and the schema upgrade),
 * store_query.c (list queries on sindex), store_history.c, store_timers.c,
 * store_idem.c (idem, idem_time), store_inbox.c (inbox, inbox_case,
 * inbox_open, inbox_time), store_counts.c (the counts behind the
 * metrics' gauges), store_growth.c (the upgrade of older stores to
 * idem_time and the inbox orders), store_destroy.c (destroying a case and
 * the register of destroyed cases).
 *
 * Records are checked before they are written and after they are read back
 * (TIGER_STYLE's paired assertions): a case must carry its own id, a history
 * entry its seq and hash, an inbox item its seq.  A record that does not
 * parse or does not match its key is reported as CASUS_ESTORE_CORRUPT rather
 * than handed on.
 */
#ifndef CASUS_STORE_INT_H
#define CASUS_STORE_INT_H

#include <jansson.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/assert.h"
#include "core/limits.h"
#include "store/store.h"

/* Assertions that stay on in release builds: a broken invariant in the layer
 * that writes to disk must stop the process, not corrupt the store. */

/* LMDB's compiled-in maximum key size (mdb_env_get_maxkeysize() of a default
 * build).  Every key the store builds must fit; store_open checks the
 * library agrees. */
/* meta: how far an older store's records are filed in the indexes that
 * came later (store_growth.c): 1 once the idempotency records and inbox
 * items are in their time orders, STORE_GROWTH_LEVEL once the open inbox
 * items are also in inbox_case_open.  A new store starts at the level. */
#define STORE_GROWTH_META "growth_indexed"
#define STORE_GROWTH_LEVEL 2
#define STORE_KEY_BYTES_MAX 511
#define STORE_SEQ_BYTES 8

/* The databases, indexes into store_t.dbi; their names are
 * store_db_names in store_env.c, in this order. */
enum {
  STORE_DB_META,
  STORE_DB_CASES,
  STORE_DB_HISTORY,
  STORE_DB_TIMERS,
  STORE_DB_IDEM,
  STORE_DB_INBOX,
  STORE_DB_INBOX_CASE,
  STORE_DB_CASEMETA,
  STORE_DB_SINDEX, /* MDB_DUPSORT */
  STORE_DB_IDEM_TIME,
  STORE_DB_INBOX_OPEN,
  STORE_DB_INBOX_TIME,
  STORE_DB_ACCESS,          /* case id NUL seq -> access-log entry JSON (store_access.c) */
  STORE_DB_ACCESS_TIME,     /* t seq -> case id: the access log's sweep order */
  STORE_DB_COUNTS,          /* the metrics' counts (store_counts.c) */
  STORE_DB_DESTROYED,       /* case id -> the register's tombstone of a destroyed case (store_destroy.c) */
  STORE_DB_INBOX_CASE_OPEN, /* case id NUL kind NUL seq -> recipient: a case's open items (store_inbox.c) */
  STORE_DB_COUNT
};

struct store_s {
  MDB_env *env;
  MDB_dbi dbi[STORE_DB_COUNT];
  store_txn_t *writer;    /* the open top-level write transaction, or NULL */
  int readers;            /* open read transactions */
  bool grow_pending;      /* MDB_MAP_FULL was seen; grow once no transaction is open */
  bool grow_ahead;        /* grow before write transactions (off while opening, or by a test) */
  uint64_t reserve_bytes; /* the free map growth ahead keeps: LIMIT_MAP_RESERVE_BYTES */
  uint64_t page_bytes;    /* LMDB's page size */
  int fault_full_commits; /* store_fault_inject_full: commits left to fail */
  /* store_fault_arm: the LMDB-level fault hook (store_env.c). */
  struct {
    store_fault_kind_t kind; /* which operations count */
    int mdb_rc;              /* what an injected failure returns (an LMDB or errno code) */
    uint64_t nth;            /* the first failing operation, counted from the arming; 0: off */
    uint64_t failures_left;  /* failures still to inject (UINT64_MAX: persistent) */
    uint64_t seen, fired;    /* operations counted and failures injected since the arming */
  } fault;
  /* store_debug_random: ids drawn from these bytes instead of getrandom. */
  bool debug_random_on;
  const uint8_t *debug_random;
  size_t debug_random_len;
};

struct store_txn_s {
  store_t *st;
  MDB_txn *txn;
  store_txn_t *parent; /* NULL for a top-level transaction */
  store_txn_t *child;  /* the open child, if any */
  bool write;
  /* The first error that left the transaction unusable.  LMDB's own errors
   * are sticky; remembering ours too lets commit report the real cause
   * (e.g. CASUS_ESTORE_FULL) instead of LMDB's generic MDB_BAD_TXN. */
  int err;
  /* The fault hook failed an operation of this transaction: later writes
   * fail with MDB_BAD_TXN, as LMDB's own failures leave a transaction. */
  bool faulted;
};

/* --- the environment (store_env.c) --- */

/* mkdir -p: creates dir and missing parents; an existing directory is fine.
 * 0, or -1 with errno set. */
int store__dir_make(const char *dir);

/* --- errors (store_env.c) --- */

/* Translates an LMDB (or errno) result; unexpected failures are described on stderr. */
int store__err_from_mdb(int rc, const char *what);
/* Records err as the transaction's sticky error (the first one wins); returns err. */
int store__txn_fail(store_txn_t *txn, int err);
/* Translates an LMDB result inside txn; a failure poisons txn, MDB_MAP_FULL asks for growth. */
int store__txn_mdb(store_txn_t *txn, int rc, const char *what);

/* --- LMDB writes, through the fault hook (store_env.c) ---
 *
 * Every LMDB write operation of the store goes through one of these, so that
 * store_fault_arm sees them all: they return LMDB's result, or the injected
 * failure (nothing is written then).  Pass the result to store__txn_mdb. */
int store__mdb_put(store_txn_t *txn, int db, MDB_val *key, MDB_val *val, unsigned flags);
int store__mdb_del(store_txn_t *txn, int db, MDB_val *key, MDB_val *val);
int store__mdb_cursor_del(store_txn_t *txn, MDB_cursor *cur, unsigned flags);

/* --- keys (store_record.c) --- */

/* A key under construction.  Appends past the end set `overflow` instead of
 * writing, so a sequence of appends needs one check at the end. */
typedef struct {
  size_t len;
  bool overflow;
  uint8_t bytes[STORE_KEY_BYTES_MAX];
} store_key_t;

/* Starts an empty key. */
void store__key_init(store_key_t *k);
/* Appends n bytes of p, or sets k->overflow when they do not fit. */
void store__key_add(store_key_t *k, const void *p, size_t n);
/* Appends the bytes of s, without its NUL. */
void store__key_add_str(store_key_t *k, const char *s);
/* Appends a NUL separator, which sorts before every other byte. */
void store__key_add_nul(store_key_t *k);
/* Appends v as STORE_SEQ_BYTES big-endian bytes, so keys sort by number. */
void store__key_add_u64(store_key_t *k, uint64_t v);
/* The finished key as an MDB_val pointing into k; asserts it did not overflow. */
MDB_val store__key_val(store_key_t *k);
/* Reads STORE_SEQ_BYTES big-endian bytes at p. */
uint64_t store__u64_from_be(const uint8_t *p);
/* Appends a time as STORE_SEQ_BYTES big-endian bytes offset by 2^63, so that
 * signed times sort in order (-1 before 0). */
void store__key_add_time(store_key_t *k, int64_t t);
/* Reads a time that store__key_add_time wrote at p. */
int64_t store__time_from_be(const uint8_t *p);
/* Does key start with the bytes of prefix? */
bool store__key_has_prefix(const MDB_val *key, const store_key_t *prefix);
/* An id that is safe as a key part: non-empty and within LIMIT_ID_BYTES_MAX. */
bool store__id_ok(const char *id);
/* Are the n bytes at p lowercase hex digits, as sha256_hex writes them? */
bool store__hex_ok(const char *p, size_t n);

/* --- a case's index terms (store_meta.c) --- */

/* A string that need not be NUL-terminated (e.g. inside a casemeta record). */
typedef struct {
  const char *p;
  size_t n;
} store_str_t;

typedef struct {
  store_str_t name;
  int64_t due_s;
} store_meta_timer_t;

typedef struct {
  store_str_t name, value;
} store_meta_attr_t;

/* Everything the indexes hold of one case: what store_case_put must know of
 * the old version to remove its entries, and what a query checks against
 * a range index's entries.  The strings point into a store_case_rec_t, a
 * json_t, or a casemeta record; each was checked against its limit. */
typedef struct {
  int64_t deadline_s, updated_s; /* STORE_TIME_NONE when absent */
  /* store__digest of the case record it was written with (has_digest false:
   * a record of the first format, which kept none) */
  bool has_digest;
  uint64_t digest;
  size_t timers_count, scopes_count, attrs_count;
  store_meta_timer_t timers[LIMIT_TIMERS_PER_CASE_MAX];
  store_str_t scopes[STORE_SCOPES_MAX];
  store_meta_attr_t attrs[STORE_ATTRS_MAX];
} store_meta_t;

/* A 64-bit digest of n bytes, kept in casemeta for the case record: not a
 * cryptographic hash (the history's SHA-256 chain is the tamper evidence),
 * but any change within 8 aligned bytes always changes it, and others
 * almost always. */
uint64_t store__digest(const void *p, size_t n);
/* Are a and b the same bytes? */
bool store__str_eq(store_str_t a, store_str_t b);
/* s as a store_str_t. */
store_str_t store__str(const char *s);
/* Decodes the casemeta record of n bytes at p into m (pointing into p).
 * CASUS_ESTORE_CORRUPT unless it is exactly what store__meta_put writes. */
int store__meta_decode(const void *p, size_t n, store_meta_t *m);
/* Reads id's casemeta record into m; *buf (free it) holds a copy of the
 * record that m points into, since a later write may move the original.
 * CASUS_ENOT_FOUND when the case has none. */
int store__meta_get(store_txn_t *txn, const char *id, store_meta_t *m, void **buf);
/* Reads the casemeta record of the case id (id.n bytes) into m, pointing
 * into the map: valid until the next write in txn.  CASUS_ENOT_FOUND when
 * the case has none. */
int store__meta_peek(store_txn_t *txn, store_str_t id, store_meta_t *m);
/* Writes m as id's casemeta record. */
int store__meta_put(store_txn_t *txn, const char *id, const store_meta_t *m);

/* The terms the stored version of case id was indexed with (store_cases.c):
 * *old points at m (filled from its casemeta record, copied into *buf, or
 * for a case of schema 1 from the stored case, kept in *legacy) or is NULL
 * when the case does not exist.  Free *buf and decref *legacy after use. */
int store__case_old_terms(store_txn_t *txn, const char *id, store_meta_t *m, const store_meta_t **old,
                          void **buf, json_t **legacy);

/* --- history (store_history.c) --- */

/* The head of the case's chain, read from its last entry: seq 0 and 64
 * zeros when it has none. */
int store__history_last(store_txn_t *txn, const char *case_id, store_history_head_t *head);

/* --- the register of destroyed cases (store_destroy.c) --- */

/* 1 when case id is in the register (destroyed), 0 when not, or an error. */
int store__destroyed_has(store_txn_t *txn, const char *id);
/* Each database's part of store_case_destroy, in its own file: every record
 * of case id removed, *count how many.  History: *head gets the chain's last
 * entry first.  Idem: the records whose reply names the case. */
int store__history_destroy(store_txn_t *txn, const char *case_id, store_history_head_t *head,
                           uint64_t *count);
int store__inbox_destroy(store_txn_t *txn, const char *case_id, uint64_t *count);
int store__access_destroy(store_txn_t *txn, const char *case_id, uint64_t *count);
int store__idem_destroy(store_txn_t *txn, const char *case_id, uint64_t *count);

/* --- timers (store_timers.c) --- */

/* Builds the timers key of (due_s, case_id, name); check k->overflow. */
void store__timer_key(store_key_t *k, int64_t due_s, const char *case_id, const char *name);
/* Removes the timer keys of old (NULL: none) that new lacks and adds those
 * of new that old lacks. */
int store__timers_update(store_txn_t *txn, const char *case_id, const store_meta_t *old,
                         const store_meta_t *new_);

/* --- secondary indexes (store_index.c) --- */

/* The kinds of sindex keys (see store.h): scope NUL kind ... */
#define STORE_INDEX_ALL 'a'
#define STORE_INDEX_EQ 'e'
#define STORE_INDEX_DEADLINE 'd'
#define STORE_INDEX_UPDATED 'u'

/* Builds the sindex key of a scope and kind; attr only for STORE_INDEX_EQ. */
void store__index_key(store_key_t *k, store_str_t scope, char kind, const store_meta_attr_t *attr);
/* Removes the sindex entries of old (NULL: none) that new lacks and adds
 * those of new that old lacks. */
int store__index_update(store_txn_t *txn, const char *case_id, const store_meta_t *old,
                        const store_meta_t *new_);

/* --- the growth upgrade (store_idem.c, store_inbox.c; driven by store_growth.c) --- */

/* Files at most max records of an older store, after pos->key (its last
 * key filed), each dated now_s; sets *end when the database has no more.
 * *filed counts the records looked at.  The inbox's step files each open
 * item in inbox_case_open, and with `orders` also in inbox_open and
 * inbox_time (false for a store that has those already: filing them again
 * would date its items anew). */
int store__idem_upgrade_step(store_txn_t *txn, store_growth_pos_t *pos, int64_t now_s, size_t max,
                             size_t *filed, bool *end);
int store__inbox_upgrade_step(store_txn_t *txn, store_growth_pos_t *pos, int64_t now_s, size_t max,
                              bool orders, size_t *filed, bool *end);

/* --- records (store_record.c) --- */

/* Parses a stored record, which must be a JSON object; *out is a new reference. */
int store__json_load(const MDB_val *val, json_t **out);
/* Writes len bytes of data under key in database db. */
int store__raw_put(store_txn_t *txn, int db, store_key_t *key, const void *data, size_t len);
/* Reserves len bytes under key in database db (MDB_RESERVE) and points
 * *data at them: the caller writes the value there, before any other call
 * on txn, without a copy of its own.  With no_overwrite an existing key is
 * refused with CASUS_ESTORE_CORRUPT (for records that must be new, such as
 * history entries), which also makes txn unusable. */
int store__raw_reserve(store_txn_t *txn, int db, store_key_t *key, size_t len, bool no_overwrite,
                       void **data);
/* Writes record as compact JSON; sort_keys gives a canonical form. */
int store__json_put(store_txn_t *txn, int db, store_key_t *key, const json_t *record, bool sort_keys);
/* Reads the value under key; val points into the map until txn ends. */
int store__raw_get(store_txn_t *txn, int db, store_key_t *key, MDB_val *val);
/* Deletes key; CASUS_ENOT_FOUND when it is missing. */
int store__raw_del(store_txn_t *txn, int db, store_key_t *key);
/* Reads and parses the JSON object under key; *out is a new reference. */
int store__json_get(store_txn_t *txn, int db, store_key_t *key, json_t **out);
/* Opens a cursor on database db; the caller closes it with mdb_cursor_close. */
int store__cursor_open(store_txn_t *txn, int db, MDB_cursor **cur);
/* Positions cur on the first key after `after` (after_bytes 0: on the first
 * key of its database), for a walk resumed where an earlier transaction
 * stopped.  Returns LMDB's result (MDB_NOTFOUND at the end). */
int store__cursor_after(MDB_cursor *cur, const void *after, size_t after_bytes, MDB_val *key, MDB_val *val);
/* A JSON integer member as uint64; false when missing, not an integer or negative. */
bool store__json_u64(const json_t *obj, const char *name, uint64_t *out);

/* --- helpers for destroying a case (store_record.c) --- */

/* Parses an RFC 3339 instant of n bytes ("2027-01-04T09:00:00+01:00",
 * "...Z", fractional seconds ignored), as the API dates records, into
 * seconds since the epoch.  False when it is not one. */
bool store__time_parse(const char *s, size_t n, int64_t *out);
/* The first record of db whose key starts with id NUL: its key copied into
 * key_out, its value in val (pointing into the map until the next write).
 * CASUS_ENOT_FOUND when there is none; CASUS_EINVALID_DATA when id does not
 * fit in a key. */
int store__prefix_first(store_txn_t *txn, int db, const char *id, store_key_t *key_out, MDB_val *val);

/* --- meta counters (store_record.c) --- */

/* The meta key of name. */
void store__meta_key(store_key_t *k, const char *name);
/* Reads a decimal meta value; a missing one reads as 0. */
int store__meta_u64_get(store_txn_t *txn, const char *name, uint64_t *out);
/* Writes v as a decimal meta value. */
int store__meta_u64_put(store_txn_t *txn, const char *name, uint64_t v);
/* Increments a meta counter and returns its new value in *out. */
int store__meta_next(store_txn_t *txn, const char *name, uint64_t *out);

/* --- counts (store_counts.c) --- */

/* meta: 1 once the counts are kept (a new store starts with it; an older
 * one gets them from the server's rebuild at start-up). */
#define STORE_COUNTS_META "counts_built"
/* The kind bytes of the counts database's keys (store_counts.c). */
#define STORE_COUNT_CASES 'c'
#define STORE_COUNT_TASKS 't'
#define STORE_COUNT_OVERDUE 'o'
#define STORE_COUNT_CASE_LABEL 'L'
/* Counts an inbox item (borrowed) with delta (+1: it is now open; -1: it
 * closed or went): only a task counts, under its "kind", and also under its
 * "deadline" when it has one (store_count_task). */
int store__count_item(store_txn_t *txn, const json_t *item, int delta);
/* Decodes a count's key and value (not an 'L' record): *kind is one of the
 * kind bytes, label (and for cases label2) NUL-terminated.
 * CASUS_ESTORE_CORRUPT when they are not what store_counts.c writes. */
int store__count_decode(const MDB_val *key, const MDB_val *val, char *kind, char *label, size_t label_size,
                        char *label2, size_t label2_size, uint64_t *n);

#endif /* CASUS_STORE_INT_H */
