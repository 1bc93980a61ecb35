/*
 * store.h -- all durable state of casusd, in LMDB.  The only module that
 * includes lmdb.h; LMDB errors are translated to casus_err_t here.
 *
 * Databases (named DBIs in one environment):
 *   meta      "schema_version" -> decimal string; "inbox_seq" -> decimal string; "case_seq" (the
 *             counter of the sequential ids stores made before ids were random); "secret";
 *             "counts_built" (1 once the counts database is kept)
 *   cases     case id -> case JSON (compact), stored verbatim as the caller serialised it
 *   casemeta  case id -> the case's index terms in a compact binary record (store_meta.c): its
 *             timers (name, due_s), scopes, attributes, deadline and update time, and a digest of
 *             the case record; what a put needs to remove the old index entries without parsing
 *             the stored case, and what a read checks the case record against
 *   sindex    the secondary indexes (MDB_DUPSORT; every key lies within one visibility scope):
 *               scope NUL 'a'                   -> case id               (every case of the scope)
 *               scope NUL 'e' attr NUL value    -> case id               (equality attributes)
 *               scope NUL 'd'                   -> t(8) case id          (earliest open deadline)
 *               scope NUL 'u'                   -> t(8) case id          (update time)
 *             t is 8 bytes BE offset by 2^63 (as in timers), so values sort by time, then id
 *   history   case id NUL seq(8 bytes big-endian) -> entry JSON, its "hash" member
 *             last; append only
 *   timers    due_s(8 bytes BE, offset by 2^63) case id NUL timer name -> "" (ordered by due time)
 *   idem      actor id NUL idempotency key -> format byte, request SHA-256 (hex),
 *             status, creation time, reply body verbatim (see store_idem.c)
 *   idem_time t(8) actor id NUL idempotency key -> ""   (t: the record's creation
 *             time; the sweep deletes records in this order once they expire)
 *   inbox     recipient NUL seq(8 bytes BE) -> item JSON
 *   inbox_case case id NUL seq(8 bytes BE) -> recipient   (to close a case's tasks)
 *   inbox_open recipient NUL section seq(8 bytes BE) -> t(8)   (section 't' for a task,
 *             'n' for a notification; t its creation time): the items a listing
 *             shows, open tasks and unread notifications.  A listing walks a
 *             recipient's tasks, then its notifications, backwards (newest first),
 *             so that a new task comes first whatever else the inbox holds.
 *   inbox_time t(8) recipient NUL seq(8 bytes BE) -> ""   (t: when the sweep next
 *             looks at the item: its creation, or for an open task, which is
 *             kept, the sweep's last look)
 *   access     case id NUL seq(8 bytes BE) -> access-log entry;  access_time t(8) seq(8) -> case id
 *   destroyed  case id -> the tombstone of a destroyed case (JSON; store_destroy.c): the register
 *             of destruction, hash-chained by its own seq, that outlives the case
 *   t is 8 bytes BE offset by 2^63, as in timers.  These orders are kept in
 *   the same write transaction as the records they index.
 *   counts    the gauges of /metrics, kept in the same transaction as what
 *             they count (store_counts.c): cases per status and region, open
 *             tasks per kind, overdue deadlines per kind; and per case what it
 *             is counted under
 *
 * Transactions: the server runs all writes of one loop iteration in one
 * write transaction (group commit) with a child transaction per request, so
 * that a failing request is rolled back alone.  Reads outside a batch use
 * their own read transaction.  Everything runs on the loop thread; at most
 * one write transaction (and its child chain) exists at a time.
 *
 * Every function returns 0 or a negative casus_err_t:
 *   CASUS_ENOT_FOUND   no such key
 *   CASUS_ESTORE_FULL  MDB_MAP_FULL (the map could not grow; see store_open)
 *   CASUS_ESTORE       any other LMDB failure (disk full, I/O error, ...)
 *   CASUS_ESTORE_CORRUPT a stored record does not parse
 *   CASUS_ENOMEM       allocation failed
 *   CASUS_EINVALID_DATA an argument breaks a limit of core/limits.h or does
 *                      not fit in a key (ids are 1..LIMIT_ID_BYTES_MAX bytes)
 *   CASUS_EBAD_REQUEST a list cursor that is malformed or belongs to another
 *                      kind of query (store_case_query only)
 * An invalid argument (CASUS_EINVALID_DATA, CASUS_EBAD_REQUEST) is refused
 * before anything is written, and leaves the transaction usable.
 * A transaction that returned an error must be aborted (LMDB's errors are sticky;
 * the store also remembers the first error, and commit returns it after aborting).
 *
 * Map growth: before a top-level write transaction begins, the map doubles
 * (up to LIMIT_MAP_BYTES_MAX) until at most half of it is used and
 * LIMIT_MAP_RESERVE_BYTES, room for the biggest batch, is free; so a batch
 * does not fail for want of growth.  As a fallback, after MDB_MAP_FULL the
 * map doubles as soon as none of the store's transactions is open, so a
 * retry of the failed batch can succeed.  LMDB cannot resize while one of
 * the process's transactions is open: a read transaction left open across
 * the start of a write transaction delays the growth.
 *
 * Caveats: never fork after store_open.  json_t results are new references
 * owned by the caller; json_t arguments are borrowed.  Not thread-safe: all
 * calls on one store_t come from one thread.  Growth and errors are also
 * described on stderr.
 */
#ifndef CASUS_STORE_H
#define CASUS_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2: the casemeta and sindex databases (store_reindex_needed upgrades a store of version 1). */
#define STORE_SCHEMA_VERSION 2
#define STORE_HASH_HEX_BYTES 65 /* 64 hex digits and a NUL */

typedef struct store_s store_t;
typedef struct store_txn_s store_txn_t;

/* Opens (creating if needed) the store in directory `dir` (created if
 * missing) with an initial map of map_bytes (0: LIMIT_MAP_BYTES_DEFAULT).
 * An existing data file is checked first (store_file_check): a truncated
 * one is refused with CASUS_ESTORE_CORRUPT and the sentence on stderr.
 * An existing store that grew beyond map_bytes keeps its larger size.
 * Writes the schema version into a new store; refuses a store with a newer
 * schema (CASUS_ESTORE_CORRUPT with a message on stderr).  A store of schema 1
 * opens, but its cases must be re-put before it is queried (see
 * store_reindex_needed). */
int store_open(store_t **out, const char *dir, uint64_t map_bytes);
void store_close(store_t *st);

/* Checks, without mapping it, that DIR/data.mdb holds every page LMDB's
 * newer meta page counts in use; pages missing from a short file must all
 * be listed free (LMDB never writes a page freed in the transaction that
 * made it).  An empty file is refused too (LMDB would take it for a new
 * store).  A missing file, or one that is not LMDB's at all, passes:
 * mdb_env_open decides on those.  Returns 0, or
 * CASUS_ESTORE_CORRUPT with a sentence in why (what is wrong, and that the
 * folder must be restored from a backup).  Safe while a server writes. */
int store_file_check(const char *dir, char *why, size_t why_size);

/* The lock a server holds on its data directory: two servers on one store
 * would each miss the other's commits and both fire timers.  It is
 * DIR/casusd.lock, held with flock(2) and naming the holder's process id;
 * the kernel drops it when the process ends.  Readers of a snapshot (verify,
 * backup) do not take it. */
typedef struct store_lock_s store_lock_t;
/* Takes the lock of dir (created if missing), waiting up to wait_ms for a
 * holder to let go (a server that is stopping, or was just killed).
 * Returns 0, or CASUS_ESTORE with a sentence in why: another casusd (its
 * process id) serves dir, or the system's reason; CASUS_ENOMEM.  Blocks the
 * calling thread while it waits: for start-up only. */
int store_lock_take(const char *dir, uint32_t wait_ms, store_lock_t **out, char *why, size_t why_size);
/* Releases the lock (NULL: nothing). */
void store_lock_release(store_lock_t *lock);

/* Begins a read-only (write == false) or write transaction.  Only one write
 * transaction may exist at a time (a second one is a programming error and
 * aborts the process). */
int store_txn_begin(store_t *st, bool write, store_txn_t **out);
/* Begins a child of a write transaction; commit merges it into the parent. */
int store_txn_child(store_txn_t *parent, store_txn_t **out);
/* Commits (for a read transaction: ends it) and frees txn, even on error.
 * On MDB_MAP_FULL at commit the store grows its map for the next transaction
 * (up to LIMIT_MAP_BYTES_MAX) and returns CASUS_ESTORE_FULL. */
int store_txn_commit(store_txn_t *txn);
void store_txn_abort(store_txn_t *txn);

/* The map's current size and the bytes of it in use (LMDB's high-water
 * mark: pages freed below it count as used), for metrics and tests.
 * CASUS_ESTORE when LMDB cannot tell. */
int store_map_info(store_t *st, uint64_t *map_bytes, uint64_t *used_bytes);

/* --- cases --- */

/* A new case id: "c-" and 16 lowercase hex digits of 64 random bits
 * (getrandom), so that an id reveals nothing of how many cases exist; one
 * no case has in txn (a taken one is drawn again, at most
 * STORE_CASE_ID_ATTEMPTS_MAX times).  id needs STORE_CASE_ID_BYTES.
 * Returns 0, CASUS_EINVALID_DATA when id_size is too small, CASUS_EIO when
 * the random source fails (or keeps giving taken ids), or a store error.
 * Ids of older stores ("c-000001", from the meta counter "case_seq") stay
 * valid. */
#define STORE_CASE_ID_RANDOM_BYTES 8
#define STORE_CASE_ID_BYTES (2 + 2 * STORE_CASE_ID_RANDOM_BYTES + 1)
#define STORE_CASE_ID_ATTEMPTS_MAX 8
int store_case_next_id(store_txn_t *txn, char *id, size_t id_size);
/* Reads case id (a new reference in *out).  CASUS_ENOT_FOUND when there is
 * none (or id is not a valid id); CASUS_ESTORE_CORRUPT when its record does
 * not parse, does not name id, does not have the digest its casemeta record
 * keeps (changed outside casusd, or damaged), or its casemeta record is
 * damaged. */
int store_case_get(store_txn_t *txn, const char *id, json_t **out);
#define STORE_TIME_NONE INT64_MIN
#define STORE_SCOPES_MAX 8
#define STORE_ATTRS_MAX 40
#define STORE_QUERY_EQ_MAX 8
#define STORE_CURSOR_BYTES_MAX 192 /* next_cursor buffers */
/* A scope, an attribute name or an attribute value: 1..STORE_TERM_BYTES_MAX
 * bytes (no NUL).  Three of them and their separators fit in one LMDB key. */
#define STORE_TERM_BYTES_MAX 160

/* An index term of a case, e.g. {"status", "in_zorg"}, {"flag", "x"},
 * {"aanbieder", "horizon"}; a name may repeat (flags). */
typedef struct {
  const char *name;
  const char *value;
} store_attr_t;

/* A case to write.  The caller (the API) serialises the case once and
 * computes its index terms; the store does not look inside json. */
typedef struct {
  const char *id;
  const char *json; /* the case record, stored verbatim: a JSON object */
  size_t json_bytes;
  /* The case's "timers" object (borrowed): {"<name>": {"due_s": int, ...}};
   * NULL (or JSON null) = none. */
  const json_t *timers;
  /* Visibility keys, e.g. "gemeente=rotterdam", "casusregisseur=cr-1",
   * "aanbieder=horizon", "regio=rijnmond"; 0 keys: the case is in no list. */
  const char *scopes[STORE_SCOPES_MAX];
  size_t scopes_count;
  store_attr_t attrs[STORE_ATTRS_MAX]; /* equality attributes */
  size_t attrs_count;
  int64_t deadline_s; /* earliest open deadline (s since epoch), STORE_TIME_NONE when none */
  int64_t updated_s;  /* last change; STORE_TIME_NONE leaves the case out of "updated after" lists */
  /* What the case is counted under in the metrics' gauge of cases per status
   * and region (store_count_case); NULL counts as "". */
  const char *status;
  const char *region;
} store_case_rec_t;

/* Writes the case and keeps in step, in the same transaction, the timer
 * index (R-TIME-3) and the secondary indexes.  The store does not parse the
 * stored case: the case's previous terms come from its casemeta record and
 * only the difference is written (old-minus-new deleted, new-minus-old
 * inserted).  A case written by an older store (schema 1) has no casemeta
 * record yet; then, and only then, the stored case is parsed for its timers,
 * so that an upgraded store keeps a correct timer index.
 *
 * Returns 0 or:
 *   CASUS_EINVALID_DATA  an id that is empty or longer than LIMIT_ID_BYTES_MAX;
 *                        json that is not an object; "timers" that is not an
 *                        object, has more than LIMIT_TIMERS_PER_CASE_MAX
 *                        members, a member without an integer "due_s", or a
 *                        name of more than LIMIT_ID_BYTES_MAX bytes; more than
 *                        STORE_SCOPES_MAX scopes or STORE_ATTRS_MAX attributes;
 *                        a scope, name or value that is NULL, empty or longer
 *                        than STORE_TERM_BYTES_MAX.  The transaction stays usable.
 *   CASUS_ESTORE_CORRUPT the stored case has no casemeta record and does not
 *                        parse, or its casemeta record is damaged
 *   and the store errors above (after which the transaction must be aborted). */
int store_case_put(store_txn_t *txn, const store_case_rec_t *rec);

/* A list query: the cases visible through one of `scopes` that match every
 * condition.  Each condition is answered from an index; the store never scans
 * cases outside the caller's scopes. */
typedef struct {
  /* The caller's visibility keys (1..STORE_SCOPES_MAX): a case matches when
   * it carries one of them. */
  const char *const *scopes;
  size_t scopes_count;
  store_attr_t eq[STORE_QUERY_EQ_MAX]; /* all must hold */
  size_t eq_count;
  int64_t deadline_before_s; /* earliest open deadline < this; STORE_TIME_NONE: no filter */
  int64_t updated_after_s;   /* updated_s > this; STORE_TIME_NONE: no filter */
  /* NULL or "" for the first page, else a next_cursor of an earlier page of
   * the same query. */
  const char *cursor;
  size_t limit;       /* cases to return, >= 1 */
  size_t examine_max; /* index entries to look at, at most (bounds the time of one call), >= 1 */
} store_query_t;

/* Calls fn for each matching case (parsed; borrowed for the call), at most
 * q->limit, in the query's stable order, and writes into next_cursor (at
 * least STORE_CURSOR_BYTES_MAX bytes) the cursor of the next page, or ""
 * when there are no more.  next_cursor may be the buffer q->cursor points
 * into.
 *
 * The order: with deadline_before_s, by (earliest open deadline, id); else
 * with updated_after_s, by (update time, id); else by id.  A query with both
 * ranges is driven by the deadline.  The cursor is a printable string
 * (letters, digits, ':') that names that order; a case that changes between
 * pages is seen per its new state, and a case never appears twice on one
 * page.
 *
 * examine_max bounds the work of one call: every index entry read, every
 * index seek and every casemeta record read counts one.  (Each of the
 * caller's scopes may do one step beyond it, so that every call makes
 * progress: at most examine_max + scopes_count * (eq_count + 2).)  When it
 * runs out, the page may hold fewer than limit cases (even none) with a
 * non-empty next_cursor: the client continues with the cursor.  A case
 * carrying two of the caller's scopes appears once.
 *
 * fn returns 0 to go on; a positive value stops after this case (next_cursor
 * then continues after it); a negative value stops and is returned.  fn must
 * not write through txn.
 *
 * Returns 0 or:
 *   CASUS_EBAD_REQUEST   a cursor that is malformed or was made by a query of
 *                        another order (the caller words the message)
 *   CASUS_EINVALID_DATA  0 or more than STORE_SCOPES_MAX scopes, more than
 *                        STORE_QUERY_EQ_MAX conditions, a NULL, empty or
 *                        over-long scope, name or value, limit or examine_max
 *                        0, or next_cursor_size < STORE_CURSOR_BYTES_MAX (fn
 *                        is not called)
 *   CASUS_ESTORE_CORRUPT an index entry that is malformed
 *   and the store errors above.  A case that is damaged (its record does not
 *   parse or match its digest, its casemeta record is missing or damaged) or
 *   missing is left out and said on stderr: one damaged case never fails a
 *   list. */
typedef int (*store_query_fn)(const json_t *case_, void *ud);
int store_case_query(store_txn_t *txn, const store_query_t *q, store_query_fn fn, void *ud, char *next_cursor,
                     size_t next_cursor_size);

/* Whether case id is filed under one of scopes (1) or none (0): its
 * entries in the 'a' index, which lists walk, so without reading the case.
 * What decides who may learn that a case whose record is damaged exists
 * (store_case_get: CASUS_ESTORE_CORRUPT): a caller with one of its scopes
 * gets 500 store_corrupt, others 404 as for an unknown id.  Errors:
 * CASUS_EINVALID_DATA for an invalid id, more than STORE_SCOPES_MAX scopes or
 * an empty or over-long scope; the store's errors. */
int store_case_scoped(store_txn_t *txn, const char *id, const char *const *scopes, size_t scopes_count);

/* A store written by an older casusd (schema 1) has no secondary indexes.
 * After store_open, the server asks this; when true it re-puts every case
 * (store_case_scan + store_case_put, in transactions of bounded size) and
 * then calls store_reindex_finish, which records the new schema version
 * (STORE_SCHEMA_VERSION).  Until then list queries see only the cases
 * re-put so far.  Re-putting is idempotent, so an interrupted reindex is
 * simply run again at the next start.  (On a store error this returns true:
 * the reindex then meets the error.) */
bool store_reindex_needed(store_t *st);
int store_reindex_finish(store_txn_t *txn);

/* Calls fn for each case with id > after_id (NULL or "" for the first), in
 * id order, until fn returns non-zero (stop) or the cases run out.  It reads
 * (and parses) every case: for the reindex and for tools, never for a list
 * request (store_case_query).  fn's
 * case_ argument is borrowed for the call.  Returns 0 or an error; a
 * negative value from fn stops the scan and is returned as the error. */
typedef int (*store_case_fn)(const json_t *case_, void *ud);
int store_case_scan(store_txn_t *txn, const char *after_id, store_case_fn fn, void *ud);

/* --- history (R-AUD-1): append-only, hash-chained per case --- */

/* A case's chain head: the seq and hash of its last entry (seq 0 and 64
 * zeros when it has none).  The API keeps it in the case record as
 * "history": {"seq": N, "hash": "..."}, so that an append needs neither a
 * lookup nor a parse of the previous entry. */
typedef struct {
  uint64_t seq;
  char hash[STORE_HASH_HEX_BYTES];
} store_history_head_t;
/* head.seq when the caller does not know the head (a case record written
 * before heads existed): the store then finds the case's last entry. */
#define STORE_HISTORY_SEQ_UNKNOWN UINT64_MAX
/* The prev_hash of a case's first entry, and the head of a case without entries. */
#define STORE_HISTORY_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Appends entry as the case's next entry.  entry (borrowed) is modified in
 * place: it gains "seq" (1, 2, ...) and "prev_hash" (the previous entry's
 * hash or 64 zeros), and loses any "hash" member.  The entry is serialised
 * once: its canonical bytes (compact, key-sorted, without "hash") are
 * hashed with SHA-256, and the stored record is those bytes with
 * ,"hash":"<hex>" added as the last member (store_history_hash of the
 * stored entry gives the same hash).
 *
 * head: in, the case's current head, or seq STORE_HISTORY_SEQ_UNKNOWN
 * (then the store reads the last entry's key and, at the end of its stored
 * bytes, its hash); out, the new entry's seq and hash.  A known head is
 * checked against the chain: its entry must exist with that hash, and the
 * new entry's key must be free (MDB_NOOVERWRITE), so an entry is never
 * overwritten.  On error head is unchanged.
 *
 * Errors: CASUS_ESTORE_CORRUPT when the head does not match the chain (a
 * stale or damaged head; the transaction is then unusable) or the last
 * entry is damaged; CASUS_EINVALID_DATA when the case already has
 * LIMIT_EVENTS_PER_CASE_MAX entries or case_id is not a valid id; and the
 * store's usual errors. */
int store_history_append(store_txn_t *txn, const char *case_id, json_t *entry, store_history_head_t *head);
/* The case's entries in order, as a new JSON array (at most max entries). */
int store_history_list(store_txn_t *txn, const char *case_id, size_t max, json_t **out);
/* One page of the case's entries: those with seq > after_seq, in order, at
 * most max_entries, and after the first only while the entries' stored
 * bytes stay within max_bytes (a page holds at least one entry, whatever its
 * size, so that paging always moves on).  A cursor seek in the history's key
 * order (case id NUL seq): it reads the page's entries and the one key after
 * them, never the rest of the chain.  *out is a new JSON array; *next_seq is
 * the seq of the page's last entry when the chain goes on after it (the next
 * page is after_seq = *next_seq), else 0.  Errors: CASUS_EINVALID_DATA for
 * an invalid case id or max_entries 0; CASUS_ESTORE_CORRUPT for an entry
 * that does not parse or does not carry its key's seq; and the store's
 * usual errors. */
int store_history_page(store_txn_t *txn, const char *case_id, uint64_t after_seq, size_t max_entries,
                       size_t max_bytes, json_t **out, uint64_t *next_seq);
/* Verifies every case's chain, then every case record's head ("history":
 * {"seq", "hash"}, when present) against its chain's last entry.  Returns 0
 * when intact; CASUS_ESTORE_CORRUPT when not, with the first problem
 * described in problem (case id and seq).  `entries_out` (may be NULL)
 * receives the number of entries checked. */
int store_history_verify(store_txn_t *txn, char *problem, size_t problem_size, uint64_t *entries_out);
/* Computes the hash of an entry (without its "hash" member) as store_history_append does. */
int store_history_hash(const json_t *entry, char hex[STORE_HASH_HEX_BYTES]);

/* --- timers (R-TIME-3) --- */

/* The earliest indexed timer.  CASUS_ENOT_FOUND when there is none;
 * CASUS_EINVALID_DATA when case_id or name does not fit its buffer. */
int store_timer_first(store_txn_t *txn, int64_t *due_s, char *case_id, size_t case_id_size, char *name,
                      size_t name_size);
/* Removes one timer index entry without touching its case: the repair of an
 * entry that names no timer of its case, or a case whose chart is not
 * loaded, so that it does not come first for ever.  CASUS_ENOT_FOUND when
 * there is no such entry. */
int store_timer_drop(store_txn_t *txn, int64_t due_s, const char *case_id, const char *name);

/* --- idempotency keys --- */

/* Records the reply to the request an actor sent under an Idempotency-Key:
 * the request's SHA-256 (64 hex digits), the HTTP status, the time it was
 * made (created_s, the service's clock) and the body's body_bytes bytes
 * (body may be NULL when body_bytes is 0), stored verbatim in a small binary
 * record, without JSON, and filed under created_s in idem_time for the
 * sweep.  A record under the same key is replaced (with its idem_time
 * entry).  CASUS_EINVALID_DATA when actor_id NUL key does not fit in a key
 * or body_bytes > LIMIT_RESPONSE_BYTES_MAX.  A request_sha256 that is not 64
 * hex digits or a status outside 100..999 is a programming error. */
int store_idem_put(store_txn_t *txn, const char *actor_id, const char *key, const char request_sha256[65],
                   int status, int64_t created_s, const char *body, size_t body_bytes);
/* Reads the record store_idem_put wrote (or one in a form of older stores:
 * binary without a time, or the JSON {"request_sha256","status","body"};
 * their *created_s is STORE_TIME_NONE).  Whether the record has expired is
 * the caller's to judge from *created_s.  *body is malloc'ed (the caller
 * frees it) and NUL-terminated for convenience; body_bytes excludes the NUL.
 * CASUS_ENOT_FOUND when the actor never used `key` (or its record was
 * swept); CASUS_ESTORE_CORRUPT when the record is in no known form. */
int store_idem_get(store_txn_t *txn, const char *actor_id, const char *key, char request_sha256[65],
                   int *status, int64_t *created_s, char **body, size_t *body_bytes);
/* The sweep: deletes the records created before created_before_s, oldest
 * first (idem_time's order), looking at no more than max idem_time entries;
 * *swept (may be NULL) is how many it looked at and removed.  An entry whose
 * record was replaced since, or is gone, is removed alone.  A record of an
 * older store (no time) goes when the entry the upgrade gave it comes due.
 * Returns 0 or the store's errors. */
int store_idem_sweep(store_txn_t *txn, int64_t created_before_s, size_t max, size_t *swept);

/* --- inbox --- */

/* Adds item (borrowed) for `recipient` (e.g. "org:rotterdam/procesregisseur" or
 * "actor:cr-1"), linked to case_id, made at created_s (the service's clock:
 * it dates the item for the listing's age limit and for the sweep).  The
 * store sets "seq" (global, increasing), "open": true, "case_id" and
 * "recipient" (so a merged list shows whose item it is).  An item whose
 * "type" is "task" is listed as a task, any other as a notification.
 * seq_out may be NULL.  CASUS_EINVALID_DATA when a key would not fit (a
 * recipient, or case id and "kind", of some hundreds of bytes). */
int store_inbox_add(store_txn_t *txn, const char *recipient, const char *case_id, const json_t *item,
                    int64_t created_s, uint64_t *seq_out);
/* Marks every open item of case_id whose "kind" equals kind as closed ("open": false).
 * Closed items stay stored, no longer listed, until the sweep deletes them.
 * Reads only those items (an index of the case's open items by kind). */
int store_inbox_close(store_txn_t *txn, const char *case_id, const char *kind);
/* The open items of all `recipients` with seq > after_seq, in seq order, at most max,
 * as a new JSON array.  An item reached through two listed recipients appears once.
 * (For /v1/stream, which replays by seq; a listing is store_inbox_page.) */
int store_inbox_list(store_txn_t *txn, const char *const *recipients, size_t recipients_count,
                     uint64_t after_seq, size_t max, json_t **out);
/* Recipient's item seq as a new reference in *out, open or not.
 * CASUS_ENOT_FOUND when recipient has no item seq; CASUS_ESTORE_CORRUPT
 * when it does not parse or carries another seq. */
int store_inbox_get(store_txn_t *txn, const char *recipient, uint64_t seq, json_t **out);
/* Marks recipient's item seq read: "open": false, and no longer listed (the
 * sweep deletes it in time).  An item that is not open stays as it is (0).
 * CASUS_ENOT_FOUND when recipient has no item seq. */
int store_inbox_mark_read(store_txn_t *txn, const char *recipient, uint64_t seq);

#define STORE_INBOX_RECIPIENTS_MAX 4
#define STORE_INBOX_CURSOR_BYTES_MAX 32 /* next_cursor buffers of store_inbox_page */

/* A page of an inbox: open tasks first, then unread notifications, each
 * newest first (by seq, the order the store made them), merged over the
 * recipients.  A new item therefore always comes first in its section. */
typedef struct {
  const char *const *recipients; /* 1..STORE_INBOX_RECIPIENTS_MAX */
  size_t recipients_count;
  bool tasks, notifications; /* the sections to list (at least one) */
  uint64_t after_seq;        /* only items with seq > after_seq (0: all) */
  /* Notifications made before this are not listed (expired; the sweep
   * deletes them); STORE_TIME_NONE: no age limit. */
  int64_t notifications_since_s;
  const char *cursor; /* NULL or "" for the first page, else a next_cursor of the same query */
  size_t limit;       /* items to return, >= 1 */
  size_t examine_max; /* index entries to look at, >= 1: bounds one call; a page may come back short */
} store_inbox_query_t;

/* Lists a page as a new JSON array in *out, and writes into next_cursor (at
 * least STORE_INBOX_CURSOR_BYTES_MAX bytes) the cursor of the next page, or
 * "" at the end.  The cursor is letters and digits ("t<seq>" or "n<seq>":
 * the section and the seq to continue below; "n0", the notifications from
 * the newest).  Every index entry looked at counts against examine_max; when
 * it runs out the page may be short (even empty) with a cursor to continue.
 * Errors: CASUS_EBAD_REQUEST for a malformed cursor or one of a section the
 * query does not list; CASUS_EINVALID_DATA for no or too many recipients,
 * an empty or over-long recipient, no section, limit or examine_max 0, or a
 * small next_cursor buffer; CASUS_ESTORE_CORRUPT for an index entry whose
 * item is missing or damaged; and the store's usual errors. */
int store_inbox_page(store_txn_t *txn, const store_inbox_query_t *q, json_t **out, char *next_cursor,
                     size_t next_cursor_size);
/* The sweep: looks at the items whose inbox_time entry lies at or before
 * now_s - age_s (age_s old or older), oldest first, at most max of them: an open task is kept
 * and filed again under now_s (looked at again age_s later); any other item
 * (a notification, read or not, or a closed task) is deleted with its index
 * entries.  *swept (may be NULL) is how many entries it looked at.  Returns
 * 0 or the store's errors. */
int store_inbox_sweep(store_txn_t *txn, int64_t now_s, int64_t age_s, size_t max, size_t *swept);

/* --- the access log (NEN 7513; store_access.c) --- */

/* Appends entry (borrowed, a JSON object) to case_id's access log, dated
 * at_s (the service's clock: the sweep's order).  For a case in the
 * register of destroyed cases nothing is appended (0, *seq_out 0): a read
 * answered from a snapshot before the case was destroyed leaves no log of
 * a case that no longer exists.  Only its string members
 * "time", "actor", "role", "org", "on_behalf_of", "case_id", "access" and
 * "request_id" are kept (binary, no JSON), each optional; the store adds
 * "seq" (global, increasing; *seq_out, may be NULL).  CASUS_EINVALID_DATA
 * for an invalid case id, an entry that is not an object, or one of those
 * members that is not a string, holds a NUL or is longer than
 * 2 x LIMIT_ID_BYTES_MAX. */
int store_access_append(store_txn_t *txn, const char *case_id, int64_t at_s, const json_t *entry,
                        uint64_t *seq_out);
/* A page of case_id's access log: the entries with seq > after_seq, oldest
 * first, at most max_entries, as a new JSON array; *next_seq is the
 * after_seq of the next page, 0 at the end.  An entry lists the members
 * it was appended with (empty ones left out) and "seq".  CASUS_EINVALID_DATA
 * for an invalid id or max_entries 0; CASUS_ESTORE_CORRUPT for a damaged
 * entry. */
int store_access_page(store_txn_t *txn, const char *case_id, uint64_t after_seq, size_t max_entries,
                      json_t **out, uint64_t *next_seq);
/* The sweep: deletes the entries dated before before_s, oldest first,
 * looking at no more than max; *swept (may be NULL) is how many it removed. */
int store_access_sweep(store_txn_t *txn, int64_t before_s, size_t max, size_t *swept);

/* --- destroying a case, and the register of destroyed cases (store_destroy.c) --- */

/* What store_case_destroy removed (or, in a transaction the caller aborts,
 * would remove) of one case. */
typedef struct {
  uint64_t history_entries, inbox_items, access_entries, idem_records, timers, index_terms;
} store_destroy_counts_t;

/* Destroys case id with everything the store holds of it, in txn: its
 * record, its casemeta record, its index entries (lists, gezin, notified
 * scopes) and timer keys, every history entry, every inbox item addressed
 * about it (with its inbox_case, inbox_open and, where its time is known,
 * inbox_time entries), its whole access log (access and access_time), and
 * every idempotency record whose stored reply names the case (with its
 * idem_time entry).  In the same transaction it appends the case's
 * tombstone to the register (database "destroyed", key the case id): the
 * string members of entry (borrowed) named "time", "grond",
 * "archiefactiedatum", "reden", "verzocht_door" and "besloten_door" -- no
 * other member is accepted, so no content of the case can enter it -- and
 * the store's own: "case_id", "history" {"seq", "hash"} (the destroyed
 * chain's last entry: the tombstone closes the chain), "removed" (counts),
 * "seq" (the register's own counter), "prev_hash" (the previous
 * tombstone's hash) and "hash" (SHA-256 of the canonical record without
 * "hash", as a history entry's).  The register's head is kept in meta
 * ("destroyed_seq", "destroyed_head") so that store_check can tell a
 * missing tombstone.  A destroyed case's id is never drawn again
 * (store_case_next_id) and collects no access log (store_access_append).
 *
 * The one function for a case's end: whatever else a case comes to hold
 * (counts kept per case, new indexes) is removed here too.  Bounded by the
 * case's own records, plus one pass over the idempotency records (which
 * their sweep keeps to a few days of writes).
 *
 * *record_out (may be NULL) is the tombstone as written (new reference);
 * counts (may be NULL) what was removed.  Errors: CASUS_ENOT_FOUND when
 * there is no case id (nothing written); CASUS_EINVALID_DATA for an
 * invalid id or an entry that is not an object, has another member, or one
 * that is not a string, holds a NUL or is longer than 2 x
 * LIMIT_ID_BYTES_MAX (nothing written; txn stays usable);
 * CASUS_ESTORE_CORRUPT for a damaged casemeta record, history or inbox
 * link; and the store's errors (after which txn must be aborted). */
int store_case_destroy(store_txn_t *txn, const char *id, const json_t *entry, store_destroy_counts_t *counts,
                       json_t **record_out);
/* The tombstone of destroyed case id (new reference).  CASUS_ENOT_FOUND
 * when it was not destroyed; CASUS_ESTORE_CORRUPT when it does not parse. */
int store_destroyed_get(store_txn_t *txn, const char *id, json_t **out);
/* The register in the order of destruction (seq), at most max tombstones
 * with seq > after_seq, as a new JSON array. */
int store_destroyed_list(store_txn_t *txn, uint64_t after_seq, size_t max, json_t **out);

/* --- the upgrade of an older store's idempotency records and inbox --- */

/* A store written before idem_time, inbox_open and inbox_time existed holds
 * records without entries there: its inbox items would not be listed and
 * its idempotency records never swept; one written before inbox_case_open
 * existed has open items no close_tasks would find.  After store_open the server asks
 * store_growth_upgrade_needed; when true it calls store_growth_upgrade_step
 * in write transactions of its own until *done.  A step files at most max
 * records, each dated now_s (so they expire a full period after the
 * upgrade); the last one records in meta ("growth_indexed") that the store
 * is upgraded.  Filing a record twice is harmless, so an interrupted upgrade
 * simply runs again at the next start.  pos carries the position from one
 * step to the next: zero it before the first.  (On a store error _needed
 * returns true: the upgrade then meets the error.)  Errors: those of the
 * store; CASUS_ESTORE_CORRUPT for an inbox item that does not parse. */
typedef struct {
  int stage;        /* 0: idem, 1: inbox, 2: inbox_case_open alone, 3: done */
  size_t key_bytes; /* the last key filed, to continue after (0: from the start) */
  unsigned char key[512];
} store_growth_pos_t;
bool store_growth_upgrade_needed(store_t *st);
int store_growth_upgrade_step(store_txn_t *txn, store_growth_pos_t *pos, int64_t now_s, size_t max,
                              bool *done);

/* --- counts for the metrics' gauges (store_counts.c) ---
 *
 * The gauges of /metrics are counts the store keeps in the same write
 * transaction as the records they count, so that a scrape reads a few keys
 * and never scans.  Each count has ONE function that changes it; the store
 * calls it where it writes what is counted, and anything else that creates
 * or destroys such records (casusd purge) must call it too:
 *   - cases per (status, region): store_count_case.  store_case_put calls it
 *     with rec->status and rec->region; destroying a case calls it with
 *     status NULL.
 *   - open tasks per kind, and overdue deadlines per kind: store_count_task.
 *     The inbox calls it when a task is added (+1) and when an open task
 *     closes or is marked read (-1); destroying an open task calls it with
 *     -1, its "kind" and its "deadline" member (the sweep never deletes an
 *     open task).
 * Pending timers and idempotency records are counted by LMDB itself (the
 * entries of their databases: store_counts_entries). */

typedef enum {
  STORE_COUNT_CASES_BY_STATUS,   /* label: status, label2: region */
  STORE_COUNT_TASKS_OPEN,        /* label: the task's kind */
  STORE_COUNT_DEADLINES_OVERDUE, /* label: the deadline's kind */
} store_count_t;

/* Counts case_id under (status, region) from now on: it leaves the count it
 * was under (the store remembers it per case) and joins the new one; the
 * same pair again changes nothing.  status NULL: the case is gone (purge),
 * it leaves its count and the store forgets it.  region NULL counts as "".
 * Returns 0, CASUS_EINVALID_DATA (an invalid id, or labels that do not fit
 * a key; the transaction stays usable), CASUS_ESTORE_CORRUPT (the case's
 * record of its count is damaged) or a store error. */
int store_count_case(store_txn_t *txn, const char *case_id, const char *status, const char *region);
/* Adds delta (+1 or -1) to the open tasks of kind (NULL counts as ""), and,
 * when deadline is not NULL, to the overdue deadlines of that kind.  A count
 * never falls below 0 (it stays at 0; casusd verify reports the
 * difference).  Returns 0, CASUS_EINVALID_DATA (a label that does not fit a
 * key) or a store error. */
int store_count_task(store_txn_t *txn, const char *kind, const char *deadline, int delta);
/* Calls fn with every count (label2 is "" but for cases), in key order,
 * reading the counts only (a handful of keys per status, region and kind,
 * however many cases there are); fn
 * returns 0 to go on, a positive value to stop (0 is returned), a negative
 * one to stop and have it returned.  CASUS_ESTORE_CORRUPT for a damaged
 * count. */
typedef int (*store_count_fn)(store_count_t what, const char *label, const char *label2, uint64_t n,
                              void *ud);
int store_counts_each(store_txn_t *txn, store_count_fn fn, void *ud);
/* The pending timers (entries of the timers database) and the idempotency
 * records kept (entries of idem): LMDB's own counts, no walk. */
int store_counts_entries(store_txn_t *txn, uint64_t *timers, uint64_t *idem);
/* A store made before the counts existed has none (meta "counts_built"
 * missing): the server then rebuilds them once at start-up, in write
 * transactions of its own: store_counts_rebuild_begin (drops every count),
 * store_count_case for every case (in as many transactions as it likes),
 * then store_counts_rebuild_finish (counts the open tasks of the inbox and
 * sets the marker).  An interrupted rebuild leaves the marker unset, so the
 * next start begins again.  (On a store error _needed returns true.) */
bool store_counts_needed(store_t *st);
int store_counts_rebuild_begin(store_txn_t *txn);
int store_counts_rebuild_finish(store_txn_t *txn);

/* --- verification (casusd verify) --- */

/* What store_check looked at, and the problems it found. */
typedef struct {
  uint64_t cases, history_entries, index_entries, timers, inbox_items, inbox_links, idem_records;
  uint64_t counts;    /* the counts of the metrics compared with what they count */
  uint64_t destroyed; /* tombstones in the register */
  uint64_t problems;  /* all found; at most report_max of them were reported */
} store_check_stats_t;
/* Called with each problem: a sentence that names the damaged record (a
 * case id, a history seq, an index or timer key, an inbox item, an
 * idempotency key), e.g. "case c-…: its record does not parse". */
typedef void (*store_check_fn)(const char *problem, void *ud);
/* Checks every record of the store in one read transaction (a consistent
 * snapshot, also beside a running server) against what the store knows of
 * it without a chart: each history chain (seq, links, every entry's hash)
 * and the head its case record keeps; each case record parses, names
 * itself and matches its casemeta record (the digest, the timers), which in
 * turn has every timer key and index entry it implies; every casemeta
 * record, index entry and timer key names a case that has it; every inbox
 * item parses and every inbox_case link points at an item of its case;
 * every idempotency record decodes; once the store keeps the metrics'
 * counts, every case is counted and every count equals what a walk of the
 * cases and the inbox finds; the register of destroyed cases is an
 * unbroken hash chain (seq 1.., prev_hash, hash) ending at the head meta
 * keeps, and nothing of a destroyed case remains (its record, casemeta
 * record, history, inbox links or access log).  A broken chain is reported
 * once, at its first broken entry.  report gets the first report_max problems; all
 * are counted in stats.  Returns 0 when nothing is wrong,
 * CASUS_ESTORE_CORRUPT when problems were found, or a store error (the
 * store could not be read: LMDB's own structure is damaged, or memory ran
 * out). */
int store_check(store_txn_t *txn, store_check_fn report, void *ud, size_t report_max,
                store_check_stats_t *stats);

/* --- the store's secret --- */

#define STORE_SECRET_BYTES 32
/* A random 32-byte secret made when the store was created (meta "secret").
 * It keys the pseudonyms of anonymised views (R-PRIV-1), so that nobody
 * without the store can confirm a guess of a jeugdige's identity from a
 * pseudonym.  It travels with backups, so pseudonyms stay stable. */
int store_secret_get(store_txn_t *txn, uint8_t out[STORE_SECRET_BYTES]);

/* --- maintenance --- */

/* Copies the store to directory out_dir (must exist and be empty) with
 * compaction, consistently, while the store is in use. */
int store_backup(store_t *st, const char *out_dir);

/* --- test hooks: not for production code --- */

/* Test hook: make the next n top-level write commits fail as if the disk
 * were full (CASUS_ESTORE_FULL); the transaction is aborted, so nothing is
 * written.  The map does not grow for an injected failure.  0 turns it off. */
void store_fault_inject_full(store_t *st, int n);
/* Test hook: LMDB-level fault injection, in SQLite's manner.  Once armed,
 * the store counts the operations of one kind -- STORE_FAULT_WRITE: every
 * LMDB write operation (mdb_put, mdb_del, mdb_cursor_del: each record,
 * index entry, timer key, counter and sweep deletion), or STORE_FAULT_COMMIT:
 * every commit of a write transaction, top-level or child -- and makes the
 * nth of them, and the count - 1 after it (count STORE_FAULT_PERSISTENT:
 * every one after it), fail with err as if LMDB had returned it: nothing is
 * written by a failed operation, the transaction is then unusable (later
 * writes fail too, the commit aborts it and returns the error), and a failed
 * commit has ended its transaction with nothing of it kept.  The errors map
 * as every LMDB result does (store.h's list): EIO and ENOSPC to CASUS_ESTORE,
 * MAP_FULL to CASUS_ESTORE_FULL (which also asks the map to grow, as a real
 * one does), CORRUPTED to CASUS_ESTORE_CORRUPT, ENOMEM to CASUS_ENOMEM.
 * Arming resets the counts; nth 0 disarms.  Opening a store does not count
 * (arm after store_open). */
typedef enum { STORE_FAULT_WRITE, STORE_FAULT_COMMIT } store_fault_kind_t;
typedef enum {
  STORE_FAULT_EIO,
  STORE_FAULT_ENOSPC,
  STORE_FAULT_MAP_FULL,
  STORE_FAULT_CORRUPTED,
  STORE_FAULT_ENOMEM,
} store_fault_err_t;
#define STORE_FAULT_PERSISTENT UINT64_MAX
void store_fault_arm(store_t *st, store_fault_kind_t kind, uint64_t nth, store_fault_err_t err,
                     uint64_t count);
/* Test hook: arms the fault from a spec "KIND:N:ERR[:COUNT]" (the test-only
 * CASUSD_TEST_FAULT of docs/operations.md): KIND "write" or "commit", N
 * 1..10^9, ERR "EIO", "ENOSPC", "MAP_FULL", "CORRUPTED" or "ENOMEM", COUNT
 * 1..10^9 or "always" (default 1).  CASUS_EINVALID_DATA for anything else
 * (nothing is armed then). */
int store_fault_arm_spec(store_t *st, const char *spec);
/* Test hook: the operations of the armed kind counted, and the failures
 * injected, since the arming (either pointer may be NULL). */
void store_fault_counts(store_t *st, uint64_t *seen, uint64_t *fired);
/* Test hook: a 64-bit digest of every key and value of every database, in
 * order: two equal digests mean (almost surely) equal stores, so that a test
 * can show a failed transaction left nothing behind. */
int store_debug_digest(store_txn_t *txn, uint64_t *digest);
/* Test hook: on (the default after store_open, with reserve_bytes
 * LIMIT_MAP_RESERVE_BYTES), the map grows ahead of need before each write
 * transaction, keeping half of it and reserve_bytes free; off, it grows only
 * after MDB_MAP_FULL, so that tests can reach that fallback. */
void store_debug_grow_ahead(store_t *st, bool on, uint64_t reserve_bytes);
/* Test hook: writes raw bytes under a raw key into the database named dbname
 * ("meta", "cases", "history", ...), bypassing every check and index, so that
 * tests can simulate tampering and damage (R-AUD-1).  CASUS_EINVALID_DATA for
 * an unknown name or a key that is empty or too long. */
int store_debug_put_raw(store_txn_t *txn, const char *dbname, const void *key, size_t klen, const void *val,
                        size_t vlen);

/* Test hook: case ids are drawn from the n bytes at bytes (borrowed; they
 * must outlive their use) instead of getrandom; once they run out, a draw
 * fails as a broken random source would (CASUS_EIO).  NULL: getrandom again. */
void store_debug_random(store_t *st, const void *bytes, size_t n);

/* Test hook: the number of entries (for a DUPSORT database: of values) in
 * the database named dbname.  CASUS_EINVALID_DATA for an unknown name. */
int store_debug_db_entries(store_txn_t *txn, const char *dbname, uint64_t *entries);
/* Test hook: the index entries, seeks and casemeta reads all queries of this
 * process have counted against examine_max (loop thread only). */
uint64_t store_debug_examined_total(void);

#endif
