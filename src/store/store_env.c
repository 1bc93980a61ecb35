/*
 * store_env.c -- the LMDB environment and its transactions.
 *
 * Holds error translation (every LMDB result passes through here), opening
 * and closing the environment (directory creation, the DBIs, the schema
 * version and the store's secret), map growth, the transactions (begin,
 * child, commit, abort, with the sticky error), and maintenance: backup,
 * fault injection and the debug writer used by tests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_int.h"

/* Named DBIs, in the order of the STORE_DB_ enum. */
static const char *const store_db_names[STORE_DB_COUNT] = {
    "meta",     "cases",     "history",         "timers",     "idem",       "inbox",  "inbox_case",
    "casemeta", "sindex",    "idem_time",       "inbox_open", "inbox_time", "access", "access_time",
    "counts",   "destroyed", "inbox_case_open",
};

/* --- errors --- */

/* Translates an LMDB (or errno) result.  Unexpected failures are described
 * on stderr because the casus_err_t alone loses LMDB's reason. */
int store__err_from_mdb(int rc, const char *what) {
  switch (rc) {
    case MDB_SUCCESS:
      return 0;
    case MDB_NOTFOUND:
      return CASUS_ENOT_FOUND;
    case MDB_MAP_FULL:
      return CASUS_ESTORE_FULL;
    case ENOMEM:
      return CASUS_ENOMEM;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      core_log("warn", "store: %s: %s\n", what, mdb_strerror(rc));
      return CASUS_ESTORE_CORRUPT;
    default:
      core_log("warn", "store: %s: %s\n", what, mdb_strerror(rc));
      return CASUS_ESTORE;
  }
}

/* Records err as the transaction's sticky error (the first one wins). */
int store__txn_fail(store_txn_t *txn, int err) {
  if (err < 0 && txn->err == 0) txn->err = err;
  return err;
}

/* Translates an LMDB result of an operation inside txn.  Anything but
 * success or "not found" poisons the transaction, as it does inside LMDB,
 * and MDB_MAP_FULL also asks for the map to grow. */
int store__txn_mdb(store_txn_t *txn, int rc, const char *what) {
  int err = store__err_from_mdb(rc, what);
  if (rc == MDB_MAP_FULL) txn->st->grow_pending = true;
  if (err < 0 && err != CASUS_ENOT_FOUND) store__txn_fail(txn, err);
  return err;
}

/* --- environment --- */

int store__dir_make(const char *dir) {
  char path[4096];
  size_t n = strlen(dir);
  size_t i;
  struct stat sb;

  if (n == 0 || n >= sizeof(path)) return -1;
  memcpy(path, dir, n + 1);
  for (i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    path[i] = '\0';
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
    path[i] = i == n ? '\0' : '/';
  }
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* --- map growth ---
 *
 * LMDB resizes the map only while no transaction of this process is open,
 * since remapping moves every page a reader may still point into.  All of
 * the store's transactions run on one thread and the store counts them
 * (writer, readers), so it knows such moments: in store_txn_begin, before
 * the new transaction begins, and in store_txn_free, after the last one
 * ended.
 *
 * Ahead of need (the rule): before a top-level write transaction begins,
 * the map doubles (up to LIMIT_MAP_BYTES_MAX) until at most half of it is
 * used and LIMIT_MAP_RESERVE_BYTES, room for the biggest batch, is free.
 * "Used" is LMDB's high-water mark, (last page number + 1) x page size;
 * freed pages below it count as used, which errs on the safe side.  A
 * request therefore never meets MDB_MAP_FULL because the map had not grown
 * yet.
 *
 * After MDB_MAP_FULL (the fallback: a batch beyond the reserve, or growth
 * held back by an open read transaction): the map doubles as soon as no
 * transaction is open, so that a retry of the failed batch can succeed. */

/* The map's size and its used bytes. */
static int store_map_get(store_t *st, uint64_t *map_bytes, uint64_t *used_bytes) {
  MDB_envinfo info;
  int rc = mdb_env_info(st->env, &info);
  *map_bytes = *used_bytes = 0;
  if (rc != 0) return store__err_from_mdb(rc, "env_info");
  *map_bytes = info.me_mapsize;
  *used_bytes = ((uint64_t)info.me_last_pgno + 1) * st->page_bytes;
  return 0;
}

int store_map_info(store_t *st, uint64_t *map_bytes, uint64_t *used_bytes) {
  return store_map_get(st, map_bytes, used_bytes);
}

static uint64_t store_map_double(uint64_t size) {
  return size > LIMIT_MAP_BYTES_MAX / 2 ? LIMIT_MAP_BYTES_MAX : size * 2;
}

/* Does a map of size bytes, used bytes of it, keep the rule's headroom? */
static bool store_map_roomy(const store_t *st, uint64_t size, uint64_t used) {
  return used <= size / 2 && used + st->reserve_bytes <= size;
}

/* Grows the map if it is time: after MDB_MAP_FULL, or ahead of need when a
 * write transaction is about to begin (write_begins).  Only with none of
 * the store's transactions open.  A failure to grow is described on stderr
 * and left to MDB_MAP_FULL. */
static void store_grow_maybe(store_t *st, bool write_begins) {
  uint64_t size, old = 0, used = 0;
  bool ahead = write_begins && st->grow_ahead;
  const char *why = "ahead of need";
  int rc;

  if (st->writer != NULL || st->readers > 0) return;
  if (!st->grow_pending && !ahead) return;
  if (store_map_get(st, &old, &used) != 0) return;
  size = old;
  if (st->grow_pending) {
    st->grow_pending = false;
    if (size >= LIMIT_MAP_BYTES_MAX)
      core_log("warn", "store: the map is full at its maximum of %" PRIu64 " bytes\n", size);
    size = store_map_double(size);
    why = "after MDB_MAP_FULL";
  }
  if (ahead)
    while (size < LIMIT_MAP_BYTES_MAX && !store_map_roomy(st, size, used)) size = store_map_double(size);
  if (size <= old) return;
  CASUS_ASSERT(size <= SIZE_MAX);
  rc = mdb_env_set_mapsize(st->env, (size_t)size);
  if (rc != 0) {
    store__err_from_mdb(rc, "grow map");
    return;
  }
  core_log("warn", "store: map grown to %" PRIu64 " bytes (%s; %" PRIu64 " bytes used)\n", size, why, used);
}

void store_debug_grow_ahead(store_t *st, bool on, uint64_t reserve_bytes) {
  st->grow_ahead = on;
  st->reserve_bytes = reserve_bytes;
}

/* Reads the store's 32-byte secret (see store_secret_get), creating it from
 * /dev/urandom the first time. */
static int store_secret_ensure(store_txn_t *txn) {
  store_key_t k;
  MDB_val val;
  uint8_t secret[STORE_SECRET_BYTES];
  FILE *f;
  int rc;
  store__meta_key(&k, "secret");
  rc = store__raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == 0) return val.mv_size == STORE_SECRET_BYTES ? 0 : CASUS_ESTORE_CORRUPT;
  if (rc != CASUS_ENOT_FOUND) return rc;
  f = fopen("/dev/urandom", "rb");
  if (f == NULL) return CASUS_EIO;
  if (fread(secret, 1, sizeof(secret), f) != sizeof(secret)) {
    fclose(f);
    return CASUS_EIO;
  }
  fclose(f);
  return store__raw_put(txn, STORE_DB_META, &k, secret, sizeof(secret));
}

int store_secret_get(store_txn_t *txn, uint8_t out[STORE_SECRET_BYTES]) {
  store_key_t k;
  MDB_val val;
  int rc;
  store__meta_key(&k, "secret");
  rc = store__raw_get(txn, STORE_DB_META, &k, &val);
  if (rc < 0) return rc;
  if (val.mv_size != STORE_SECRET_BYTES) return CASUS_ESTORE_CORRUPT;
  memcpy(out, val.mv_data, STORE_SECRET_BYTES);
  return 0;
}

/* Opens every DBI and checks or writes the schema version, in one write
 * transaction; the DBI handles then stay valid for the life of the env. */
static int store_open_dbs(store_t *st, const char *dir) {
  store_txn_t *txn;
  store_key_t k;
  MDB_val val;
  uint64_t version;
  int rc, i;

  rc = store_txn_begin(st, true, &txn);
  if (rc < 0) return rc;
  for (i = 0; i < STORE_DB_COUNT; i++) {
    unsigned flags = MDB_CREATE | (i == STORE_DB_SINDEX ? MDB_DUPSORT : 0);
    rc = store__txn_mdb(txn, mdb_dbi_open(txn->txn, store_db_names[i], flags, &st->dbi[i]), "dbi_open");
    if (rc < 0) goto fail;
  }
  store__meta_key(&k, "schema_version");
  rc = store__raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == CASUS_ENOT_FOUND) {
    /* A new store: record the schema it is written in; it has nothing of an
     * older store to file in the growth orders. */
    rc = store__meta_u64_put(txn, "schema_version", STORE_SCHEMA_VERSION);
    if (rc == 0) rc = store__meta_u64_put(txn, STORE_GROWTH_META, STORE_GROWTH_LEVEL);
    if (rc == 0) rc = store__meta_u64_put(txn, STORE_COUNTS_META, 1);
    if (rc == 0) rc = store_secret_ensure(txn);
    if (rc < 0) goto fail;
    return store_txn_commit(txn);
  }
  if (rc < 0) goto fail;
  rc = store__meta_u64_get(txn, "schema_version", &version);
  if (rc == 0 && version == 0) rc = CASUS_ESTORE_CORRUPT;
  if (rc == CASUS_ESTORE_CORRUPT) core_log("warn", "store: %s: unreadable schema version\n", dir);
  if (rc < 0) goto fail;
  if (version > STORE_SCHEMA_VERSION) {
    /* Its records may mean something this build does not know; writing to
     * it could destroy them. */
    core_log("warn",
             "store: %s has schema version %" PRIu64
             " but this casusd supports at most %d; "
             "use a newer casusd\n",
             dir, version, STORE_SCHEMA_VERSION);
    rc = CASUS_ESTORE_CORRUPT;
    goto fail;
  }
  /* Stores made before the secret existed get one now. */
  rc = store_secret_ensure(txn);
  if (rc < 0) goto fail;
  return store_txn_commit(txn);

fail:
  store_txn_abort(txn);
  return rc;
}

int store_open(store_t **out, const char *dir, uint64_t map_bytes) {
  store_t *st;
  char data_path[4096];
  struct stat sb;
  bool is_new;
  int rc;

  *out = NULL;
  if (map_bytes == 0) map_bytes = LIMIT_MAP_BYTES_DEFAULT;
  if (map_bytes > LIMIT_MAP_BYTES_MAX) map_bytes = LIMIT_MAP_BYTES_MAX;
  if (store__dir_make(dir) != 0) {
    core_log("warn", "store: cannot create directory %s: %s\n", dir, strerror(errno));
    return CASUS_ESTORE;
  }
  if ((size_t)snprintf(data_path, sizeof(data_path), "%s/data.mdb", dir) >= sizeof(data_path)) {
    core_log("warn", "store: path too long: %s\n", dir);
    return CASUS_ESTORE;
  }
  is_new = stat(data_path, &sb) != 0;
  if (!is_new) {
    /* Before anything maps it: a page beyond the file's end would be a
     * SIGBUS at its first read, with no message. */
    char why[1024];
    rc = store_file_check(dir, why, sizeof(why));
    if (rc < 0) {
      core_log("warn", "store: %s\n", why);
      return rc;
    }
  }

  st = calloc(1, sizeof(*st));
  if (st == NULL) return CASUS_ENOMEM;
  rc = mdb_env_create(&st->env);
  if (rc != 0) {
    free(st);
    return store__err_from_mdb(rc, "env_create");
  }
  rc = mdb_env_set_maxdbs(st->env, STORE_DB_COUNT);
  /* A new store starts at map_bytes.  An existing one keeps the size
   * recorded in its file when that is larger (it grew), and is enlarged to
   * map_bytes after opening otherwise. */
  if (rc == 0 && is_new) rc = mdb_env_set_mapsize(st->env, (size_t)map_bytes);
  /* MDB_NOTLS: read transactions are not tied to the thread that began them
   * (libuv callbacks and the backup may hold them). */
  if (rc == 0) rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
  if (rc != 0) {
    rc = store__err_from_mdb(rc, dir);
    goto fail;
  }
  CASUS_ASSERT(mdb_env_get_maxkeysize(st->env) >= STORE_KEY_BYTES_MAX);
  {
    MDB_stat stat;
    rc = mdb_env_stat(st->env, &stat);
    if (rc != 0) {
      rc = store__err_from_mdb(rc, "env_stat");
      goto fail;
    }
    st->page_bytes = stat.ms_psize;
  }
  if (!is_new) {
    MDB_envinfo info;
    rc = mdb_env_info(st->env, &info);
    if (rc == 0 && info.me_mapsize < map_bytes) rc = mdb_env_set_mapsize(st->env, (size_t)map_bytes);
    if (rc != 0) {
      rc = store__err_from_mdb(rc, "set_mapsize");
      goto fail;
    }
  }
  rc = store_open_dbs(st, dir);
  if (rc < 0) goto fail;
  /* From the first write on (the opening transaction is small, and a test
   * may want to turn it off before it starts). */
  st->grow_ahead = true;
  st->reserve_bytes = LIMIT_MAP_RESERVE_BYTES;
  *out = st;
  return 0;

fail:
  mdb_env_close(st->env);
  free(st);
  return rc;
}

void store_close(store_t *st) {
  if (st == NULL) return;
  CASUS_ASSERT(st->writer == NULL && st->readers == 0);
  mdb_env_close(st->env);
  free(st);
}

/* --- the fault hook (store_fault_arm) ---
 *
 * One countdown, as SQLite's sqlite3_test_control faults: the store counts
 * the operations of the armed kind and fails the nth and the count - 1 after
 * it.  store__mdb_put, store__mdb_del and store__mdb_cursor_del are the only
 * places the store writes through LMDB, and store_txn_commit the only place
 * it commits, so the hook sees every one. */

/* The injected result of the next operation of kind: 0 (go on) or an
 * LMDB/errno code to return instead of doing it. */
static int store_fault_hit(store_t *st, store_fault_kind_t kind) {
  if (st->fault.nth == 0 || st->fault.kind != kind) return 0;
  st->fault.seen++;
  if (st->fault.seen < st->fault.nth || st->fault.failures_left == 0) return 0;
  if (st->fault.failures_left != STORE_FAULT_PERSISTENT) st->fault.failures_left--;
  st->fault.fired++;
  return st->fault.mdb_rc;
}

/* A write operation: refused like LMDB refuses one in a failed transaction
 * once the hook failed this one, else counted. */
static int store_fault_write(store_txn_t *txn) {
  int rc;
  if (txn->faulted) return MDB_BAD_TXN;
  rc = store_fault_hit(txn->st, STORE_FAULT_WRITE);
  if (rc != 0) txn->faulted = true;
  return rc;
}

int store__mdb_put(store_txn_t *txn, int db, MDB_val *key, MDB_val *val, unsigned flags) {
  int rc = store_fault_write(txn);
  return rc != 0 ? rc : mdb_put(txn->txn, txn->st->dbi[db], key, val, flags);
}

int store__mdb_del(store_txn_t *txn, int db, MDB_val *key, MDB_val *val) {
  int rc = store_fault_write(txn);
  return rc != 0 ? rc : mdb_del(txn->txn, txn->st->dbi[db], key, val);
}

int store__mdb_cursor_del(store_txn_t *txn, MDB_cursor *cur, unsigned flags) {
  int rc = store_fault_write(txn);
  return rc != 0 ? rc : mdb_cursor_del(cur, flags);
}

void store_fault_arm(store_t *st, store_fault_kind_t kind, uint64_t nth, store_fault_err_t err,
                     uint64_t count) {
  static const int codes[] = {EIO, ENOSPC, MDB_MAP_FULL, MDB_CORRUPTED, ENOMEM};
  CASUS_ASSERT((unsigned)err < sizeof(codes) / sizeof(codes[0]));
  memset(&st->fault, 0, sizeof(st->fault));
  st->fault.kind = kind;
  st->fault.nth = nth;
  st->fault.mdb_rc = codes[err];
  st->fault.failures_left = count;
}

/* A whole number 1..10^9 of the n bytes at p. */
static bool store_fault_number(const char *p, size_t n, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0 || n > 10) return false;
  for (i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (uint64_t)(p[i] - '0');
  }
  if (v < 1 || v > 1000000000) return false;
  *out = v;
  return true;
}

static bool store_fault_word(const char *p, size_t n, const char *word) {
  return strlen(word) == n && memcmp(p, word, n) == 0;
}

int store_fault_arm_spec(store_t *st, const char *spec) {
  static const char *const errs[] = {"EIO", "ENOSPC", "MAP_FULL", "CORRUPTED", "ENOMEM"};
  const char *part[4];
  size_t len[4], parts = 0, i;
  const char *p = spec;
  store_fault_kind_t kind;
  uint64_t nth, count = 1;
  for (;;) {
    const char *colon = strchr(p, ':');
    if (parts == 4) return CASUS_EINVALID_DATA;
    part[parts] = p;
    len[parts] = colon ? (size_t)(colon - p) : strlen(p);
    parts++;
    if (colon == NULL) break;
    p = colon + 1;
  }
  if (parts < 3) return CASUS_EINVALID_DATA;
  if (store_fault_word(part[0], len[0], "write"))
    kind = STORE_FAULT_WRITE;
  else if (store_fault_word(part[0], len[0], "commit"))
    kind = STORE_FAULT_COMMIT;
  else
    return CASUS_EINVALID_DATA;
  if (!store_fault_number(part[1], len[1], &nth)) return CASUS_EINVALID_DATA;
  for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
    if (store_fault_word(part[2], len[2], errs[i])) break;
  if (i == sizeof(errs) / sizeof(errs[0])) return CASUS_EINVALID_DATA;
  if (parts == 4 && store_fault_word(part[3], len[3], "always"))
    count = STORE_FAULT_PERSISTENT;
  else if (parts == 4 && !store_fault_number(part[3], len[3], &count))
    return CASUS_EINVALID_DATA;
  store_fault_arm(st, kind, nth, (store_fault_err_t)i, count);
  return 0;
}

void store_fault_counts(store_t *st, uint64_t *seen, uint64_t *fired) {
  if (seen != NULL) *seen = st->fault.seen;
  if (fired != NULL) *fired = st->fault.fired;
}

/* --- transactions --- */

int store_txn_begin(store_t *st, bool write, store_txn_t **out) {
  store_txn_t *txn;
  unsigned flags = write ? 0 : MDB_RDONLY;
  int rc;

  *out = NULL;
  /* A second write transaction would wait forever for the writer lock that
   * this very thread holds. */
  CASUS_ASSERT(!write || st->writer == NULL);
  store_grow_maybe(st, write);
  txn = calloc(1, sizeof(*txn));
  if (txn == NULL) return CASUS_ENOMEM;
  rc = mdb_txn_begin(st->env, NULL, flags, &txn->txn);
  if (rc == MDB_MAP_RESIZED && st->writer == NULL && st->readers == 0) {
    /* Another process (an operator tool) grew the map; adopt its size.  Only
     * possible with none of our transactions open, like store_grow_maybe. */
    rc = mdb_env_set_mapsize(st->env, 0);
    if (rc == 0) rc = mdb_txn_begin(st->env, NULL, flags, &txn->txn);
  }
  if (rc != 0) {
    free(txn);
    return store__err_from_mdb(rc, "txn_begin");
  }
  txn->st = st;
  txn->write = write;
  if (write)
    st->writer = txn;
  else
    st->readers++;
  *out = txn;
  return 0;
}

int store_txn_child(store_txn_t *parent, store_txn_t **out) {
  store_txn_t *txn;
  int rc;

  *out = NULL;
  CASUS_ASSERT(parent->write && parent->child == NULL);
  if (parent->err < 0) return parent->err;
  txn = calloc(1, sizeof(*txn));
  if (txn == NULL) return CASUS_ENOMEM;
  rc = mdb_txn_begin(parent->st->env, parent->txn, 0, &txn->txn);
  if (rc != 0) {
    free(txn);
    return store__err_from_mdb(rc, "txn_begin child");
  }
  txn->st = parent->st;
  txn->parent = parent;
  txn->write = true;
  parent->child = txn;
  *out = txn;
  return 0;
}

/* Forgets txn after LMDB has ended it, and grows the map if this was the
 * last transaction open and MDB_MAP_FULL asked for it. */
static void store_txn_free(store_txn_t *txn) {
  store_t *st = txn->st;
  CASUS_ASSERT(txn->child == NULL);
  if (txn->parent != NULL) {
    CASUS_ASSERT(txn->parent->child == txn);
    txn->parent->child = NULL;
  } else if (txn->write) {
    CASUS_ASSERT(st->writer == txn);
    st->writer = NULL;
  } else {
    CASUS_ASSERT(st->readers > 0);
    st->readers--;
  }
  free(txn);
  store_grow_maybe(st, false);
}

int store_txn_commit(store_txn_t *txn) {
  store_t *st = txn->st;
  int rc;

  /* Committing a parent would silently commit its open child too. */
  CASUS_ASSERT(txn->child == NULL);
  if (txn->err < 0) {
    mdb_txn_abort(txn->txn);
    rc = txn->err;
  } else if (txn->write && txn->parent == NULL && st->fault_full_commits > 0) {
    /* Injected failure: behave as a commit that found the disk full, which
     * leaves the store as it was. */
    st->fault_full_commits--;
    mdb_txn_abort(txn->txn);
    rc = CASUS_ESTORE_FULL;
  } else {
    /* mdb_txn_commit ends the transaction whether or not it succeeds; so
     * does an injected failure (store_fault_arm), which aborts it. */
    int mrc = txn->write ? store_fault_hit(st, STORE_FAULT_COMMIT) : 0;
    if (mrc != 0)
      mdb_txn_abort(txn->txn);
    else
      mrc = mdb_txn_commit(txn->txn);
    if (mrc == MDB_MAP_FULL) st->grow_pending = true;
    rc = store__err_from_mdb(mrc, "commit");
  }
  store_txn_free(txn);
  return rc;
}

void store_txn_abort(store_txn_t *txn) {
  if (txn == NULL) return;
  /* LMDB aborts open children with their parent; free our handles too. */
  if (txn->child != NULL) store_txn_abort(txn->child);
  mdb_txn_abort(txn->txn);
  store_txn_free(txn);
}

/* --- maintenance --- */

int store_backup(store_t *st, const char *out_dir) {
  /* Compaction copies through a read transaction of its own, so the live
   * store keeps working while the copy runs. */
  return store__err_from_mdb(mdb_env_copy2(st->env, out_dir, MDB_CP_COMPACT), "backup");
}

void store_fault_inject_full(store_t *st, int n) {
  st->fault_full_commits = n > 0 ? n : 0;
}

int store_debug_put_raw(store_txn_t *txn, const char *dbname, const void *key, size_t klen, const void *val,
                        size_t vlen) {
  store_key_t k;
  int db;

  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  for (db = 0; db < STORE_DB_COUNT; db++)
    if (strcmp(store_db_names[db], dbname) == 0) break;
  if (db == STORE_DB_COUNT) return CASUS_EINVALID_DATA;
  store__key_init(&k);
  store__key_add(&k, key, klen);
  if (k.overflow || klen == 0) return CASUS_EINVALID_DATA;
  return store__raw_put(txn, db, &k, val, vlen);
}

int store_debug_digest(store_txn_t *txn, uint64_t *digest) {
  uint64_t d = 0;
  int db, rc = 0;
  *digest = 0;
  if (txn->err < 0) return txn->err;
  for (db = 0; db < STORE_DB_COUNT && rc == 0; db++) {
    MDB_cursor *cur;
    MDB_val k, v;
    int mrc;
    rc = store__cursor_open(txn, db, &cur);
    if (rc < 0) break;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      uint64_t h[3] = {d, store__digest(k.mv_data, k.mv_size), store__digest(v.mv_data, v.mv_size)};
      h[0] ^= (uint64_t)db * 0x9e3779b97f4a7c15u;
      d = store__digest(h, sizeof(h));
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "digest");
  }
  if (rc == 0) *digest = d;
  return rc;
}

int store_debug_db_entries(store_txn_t *txn, const char *dbname, uint64_t *entries) {
  MDB_stat stat;
  int db, rc;

  *entries = 0;
  if (txn->err < 0) return txn->err;
  for (db = 0; db < STORE_DB_COUNT; db++)
    if (strcmp(store_db_names[db], dbname) == 0) break;
  if (db == STORE_DB_COUNT) return CASUS_EINVALID_DATA;
  rc = store__txn_mdb(txn, mdb_stat(txn->txn, txn->st->dbi[db], &stat), "stat");
  if (rc == 0) *entries = stat.ms_entries;
  return rc;
}
