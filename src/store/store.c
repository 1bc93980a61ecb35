/*
 * store.c -- casusd's durable state in one LMDB environment.
 *
 * This is the only file that includes lmdb.h.  Every LMDB result is passed
 * through store_err_from_mdb() (or store_txn_mdb(), which also records it on
 * the transaction) so that callers only ever see casus_err_t codes.
 *
 * Layout of the file: error translation and assertions; key building; the
 * environment and transactions (including map growth and fault injection);
 * then one section per database, in the order of store.h.
 *
 * Records are checked before they are written and after they are read back
 * (TIGER_STYLE's paired assertions): a case must carry its own id, a history
 * entry its seq and hash, an inbox item its seq.  A record that does not
 * parse or does not match its key is reported as CASUS_ESTORE_CORRUPT rather
 * than handed on.
 */
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "core/sha256.h"

/* Assertions that stay on in release builds: a broken invariant in the layer
 * that writes to disk must stop the process, not corrupt the store. */

/* LMDB's compiled-in maximum key size (mdb_env_get_maxkeysize() of a default
 * build).  Every key this file builds must fit; store_open checks the
 * library agrees. */
#define STORE_KEY_BYTES_MAX 511
#define STORE_SEQ_BYTES 8
#define STORE_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* Big enough for any decimal uint64 and a NUL. */
#define STORE_DECIMAL_BYTES 24

enum {
  STORE_DB_META,
  STORE_DB_CASES,
  STORE_DB_HISTORY,
  STORE_DB_TIMERS,
  STORE_DB_IDEM,
  STORE_DB_INBOX,
  STORE_DB_INBOX_CASE,
  STORE_DB_COUNT
};

static const char *const store_db_names[STORE_DB_COUNT] = {
    "meta", "cases", "history", "timers", "idem", "inbox", "inbox_case",
};

struct store_s {
  MDB_env *env;
  MDB_dbi dbi[STORE_DB_COUNT];
  store_txn_t *writer;    /* the open top-level write transaction, or NULL */
  int readers;            /* open read transactions */
  bool grow_pending;      /* MDB_MAP_FULL was seen; grow once no transaction is open */
  int fault_full_commits; /* store_fault_inject_full: commits left to fail */
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
};

/* --- errors --- */

/* Translates an LMDB (or errno) result.  Unexpected failures are described
 * on stderr because the casus_err_t alone loses LMDB's reason. */
static int store_err_from_mdb(int rc, const char *what) {
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
      fprintf(stderr, "casusd: store: %s: %s\n", what, mdb_strerror(rc));
      return CASUS_ESTORE_CORRUPT;
    default:
      fprintf(stderr, "casusd: store: %s: %s\n", what, mdb_strerror(rc));
      return CASUS_ESTORE;
  }
}

/* Records err as the transaction's sticky error (the first one wins). */
static int store_txn_fail(store_txn_t *txn, int err) {
  if (err < 0 && txn->err == 0) txn->err = err;
  return err;
}

/* Translates an LMDB result of an operation inside txn.  Anything but
 * success or "not found" poisons the transaction, as it does inside LMDB,
 * and MDB_MAP_FULL also asks for the map to grow. */
static int store_txn_mdb(store_txn_t *txn, int rc, const char *what) {
  int err = store_err_from_mdb(rc, what);
  if (rc == MDB_MAP_FULL) txn->st->grow_pending = true;
  if (err < 0 && err != CASUS_ENOT_FOUND) store_txn_fail(txn, err);
  return err;
}

/* --- keys --- */

/* A key under construction.  Appends past the end set `overflow` instead of
 * writing, so a sequence of appends needs one check at the end. */
typedef struct {
  size_t len;
  bool overflow;
  uint8_t bytes[STORE_KEY_BYTES_MAX];
} store_key_t;

static void store_key_init(store_key_t *k) {
  k->len = 0;
  k->overflow = false;
}

static void store_key_add(store_key_t *k, const void *p, size_t n) {
  if (k->overflow || n > sizeof(k->bytes) - k->len) {
    k->overflow = true;
    return;
  }
  if (n > 0) memcpy(k->bytes + k->len, p, n);
  k->len += n;
}

static void store_key_add_str(store_key_t *k, const char *s) {
  store_key_add(k, s, strlen(s));
}

/* A NUL separates a string from what follows it.  Because NUL sorts before
 * every other byte, all keys of "c-1" come before those of "c-10". */
static void store_key_add_nul(store_key_t *k) {
  store_key_add(k, "", 1);
}

static void store_key_add_u64(store_key_t *k, uint64_t v) {
  uint8_t b[STORE_SEQ_BYTES];
  int i;
  for (i = STORE_SEQ_BYTES - 1; i >= 0; i--) {
    b[i] = (uint8_t)v;
    v >>= 8;
  }
  store_key_add(k, b, sizeof(b));
}

static MDB_val store_key_val(store_key_t *k) {
  MDB_val v;
  CASUS_ASSERT(!k->overflow && k->len > 0);
  v.mv_size = k->len;
  v.mv_data = k->bytes;
  return v;
}

static uint64_t store_u64_from_be(const uint8_t *p) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < STORE_SEQ_BYTES; i++) v = (v << 8) | p[i];
  return v;
}

/* Timer keys order signed due times: flipping the sign bit maps int64 onto
 * uint64 monotonically (adding 2^63 modulo 2^64), so -1 sorts before 0. */
static uint64_t store_due_to_key(int64_t due_s) {
  return (uint64_t)due_s ^ (UINT64_C(1) << 63);
}

static int64_t store_due_from_key(uint64_t k) {
  uint64_t u = k ^ (UINT64_C(1) << 63);
  /* Converting a uint64 above INT64_MAX to int64 is implementation-defined;
   * build negative values arithmetically instead. */
  if (u <= (uint64_t)INT64_MAX) return (int64_t)u;
  return -(int64_t)(~u) - 1;
}

/* Does key start with the bytes of prefix_key? */
static bool store_key_has_prefix(const MDB_val *key, const store_key_t *prefix) {
  return key->mv_size >= prefix->len && memcmp(key->mv_data, prefix->bytes, prefix->len) == 0;
}

/* An id that is safe as a key part: non-empty and within the id limit. */
static bool store_id_ok(const char *id) {
  size_t n;
  if (id == NULL) return false;
  n = strlen(id);
  return n > 0 && n <= LIMIT_ID_BYTES_MAX;
}

/* --- JSON records --- */

/* Parses a stored record, which must be a JSON object. */
static int store_json_load(const MDB_val *val, json_t **out) {
  json_error_t jerr;
  json_t *j = core_json_loadb(val->mv_data, val->mv_size, JSON_REJECT_DUPLICATES, &jerr);
  *out = NULL;
  if (j == NULL)
    return json_error_code(&jerr) == json_error_out_of_memory ? CASUS_ENOMEM : CASUS_ESTORE_CORRUPT;
  if (!json_is_object(j)) {
    json_decref(j);
    return CASUS_ESTORE_CORRUPT;
  }
  *out = j;
  return 0;
}

static int store_raw_put(store_txn_t *txn, int db, store_key_t *key, const void *data, size_t len) {
  MDB_val k = store_key_val(key);
  MDB_val v;
  v.mv_size = len;
  v.mv_data = (void *)data; /* LMDB copies it; the cast only drops const */
  return store_txn_mdb(txn, mdb_put(txn->txn, txn->st->dbi[db], &k, &v, 0), "put");
}

/* Writes record as compact JSON; sort_keys gives a canonical form. */
static int store_json_put(store_txn_t *txn, int db, store_key_t *key, const json_t *record, bool sort_keys) {
  char *s = core_json_dumps(record, JSON_COMPACT | (sort_keys ? JSON_SORT_KEYS : 0));
  int rc;
  if (s == NULL) return CASUS_ENOMEM;
  rc = store_raw_put(txn, db, key, s, strlen(s));
  free(s);
  return rc;
}

static int store_raw_get(store_txn_t *txn, int db, store_key_t *key, MDB_val *val) {
  MDB_val k = store_key_val(key);
  return store_txn_mdb(txn, mdb_get(txn->txn, txn->st->dbi[db], &k, val), "get");
}

static int store_raw_del(store_txn_t *txn, int db, store_key_t *key) {
  MDB_val k = store_key_val(key);
  return store_txn_mdb(txn, mdb_del(txn->txn, txn->st->dbi[db], &k, NULL), "del");
}

static int store_json_get(store_txn_t *txn, int db, store_key_t *key, json_t **out) {
  MDB_val val;
  int rc = store_raw_get(txn, db, key, &val);
  *out = NULL;
  if (rc < 0) return rc;
  return store_json_load(&val, out);
}

static int store_cursor_open(store_txn_t *txn, int db, MDB_cursor **cur) {
  return store_txn_mdb(txn, mdb_cursor_open(txn->txn, txn->st->dbi[db], cur), "cursor_open");
}

/* A JSON integer member as uint64; false when missing, not an integer or
 * negative. */
static bool store_json_u64(const json_t *obj, const char *name, uint64_t *out) {
  const json_t *v = json_object_get(obj, name);
  if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
  *out = (uint64_t)json_integer_value(v);
  return true;
}

/* --- meta counters --- */

static void store_meta_key(store_key_t *k, const char *name) {
  store_key_init(k);
  store_key_add_str(k, name);
}

/* Reads a decimal meta value; a missing one reads as 0. */
static int store_meta_u64_get(store_txn_t *txn, const char *name, uint64_t *out) {
  store_key_t k;
  MDB_val val;
  char buf[STORE_DECIMAL_BYTES];
  char *end;
  unsigned long long v;
  int rc;

  *out = 0;
  store_meta_key(&k, name);
  rc = store_raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return 0;
  if (rc < 0) return rc;
  if (val.mv_size == 0 || val.mv_size >= sizeof(buf)) return CASUS_ESTORE_CORRUPT;
  memcpy(buf, val.mv_data, val.mv_size);
  buf[val.mv_size] = '\0';
  if (buf[0] < '0' || buf[0] > '9') return CASUS_ESTORE_CORRUPT;
  errno = 0;
  v = strtoull(buf, &end, 10);
  if (errno != 0 || *end != '\0') return CASUS_ESTORE_CORRUPT;
  *out = (uint64_t)v;
  return 0;
}

static int store_meta_u64_put(store_txn_t *txn, const char *name, uint64_t v) {
  store_key_t k;
  char buf[STORE_DECIMAL_BYTES];
  int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
  CASUS_ASSERT(n > 0 && (size_t)n < sizeof(buf));
  store_meta_key(&k, name);
  return store_raw_put(txn, STORE_DB_META, &k, buf, (size_t)n);
}

/* Increments a meta counter and returns its new value. */
static int store_meta_next(store_txn_t *txn, const char *name, uint64_t *out) {
  uint64_t v;
  int rc = store_meta_u64_get(txn, name, &v);
  if (rc < 0) return rc;
  CASUS_ASSERT(v < UINT64_MAX);
  rc = store_meta_u64_put(txn, name, v + 1);
  if (rc < 0) return rc;
  *out = v + 1;
  return 0;
}

/* --- environment --- */

/* mkdir -p: creates dir and missing parents.  An existing directory is fine. */
static int store_mkdir_p(const char *dir) {
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

/* Grows the map after MDB_MAP_FULL, at a moment when LMDB allows it: with no
 * transaction of ours open, since remapping moves every page a reader may
 * still point into.  The size doubles, up to LIMIT_MAP_BYTES_MAX. */
static void store_grow_maybe(store_t *st) {
  MDB_envinfo info;
  uint64_t size;
  int rc;

  if (!st->grow_pending || st->writer != NULL || st->readers > 0) return;
  st->grow_pending = false;
  rc = mdb_env_info(st->env, &info);
  if (rc != 0) {
    store_err_from_mdb(rc, "env_info");
    return;
  }
  size = info.me_mapsize;
  if (size >= LIMIT_MAP_BYTES_MAX) {
    fprintf(stderr, "casusd: store: the map is full at its maximum of %" PRIu64 " bytes\n", size);
    return;
  }
  size = size > LIMIT_MAP_BYTES_MAX / 2 ? LIMIT_MAP_BYTES_MAX : size * 2;
  CASUS_ASSERT(size <= SIZE_MAX);
  rc = mdb_env_set_mapsize(st->env, (size_t)size);
  if (rc != 0) {
    store_err_from_mdb(rc, "grow map");
    return;
  }
  fprintf(stderr, "casusd: store: map grown to %" PRIu64 " bytes\n", size);
}

/* After a commit: when the map is more than STORE_GROW_AHEAD_PERCENT used,
 * ask for it to grow now (at the next moment with no transaction open), so
 * that writers rarely meet MDB_MAP_FULL and its 503 at all. */
#define STORE_GROW_AHEAD_PERCENT 75
static void store_grow_ahead(store_t *st) {
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0) return;
  if ((uint64_t)(info.me_last_pgno + 1) * stat.ms_psize >
      (uint64_t)info.me_mapsize / 100 * STORE_GROW_AHEAD_PERCENT)
    st->grow_pending = true;
}

/* Reads the store's 32-byte secret (see store_secret_get), creating it from
 * /dev/urandom the first time. */
static int store_secret_ensure(store_txn_t *txn) {
  store_key_t k;
  MDB_val val;
  uint8_t secret[STORE_SECRET_BYTES];
  FILE *f;
  int rc;
  store_meta_key(&k, "secret");
  rc = store_raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == 0) return val.mv_size == STORE_SECRET_BYTES ? 0 : CASUS_ESTORE_CORRUPT;
  if (rc != CASUS_ENOT_FOUND) return rc;
  f = fopen("/dev/urandom", "rb");
  if (f == NULL) return CASUS_EIO;
  if (fread(secret, 1, sizeof(secret), f) != sizeof(secret)) {
    fclose(f);
    return CASUS_EIO;
  }
  fclose(f);
  return store_raw_put(txn, STORE_DB_META, &k, secret, sizeof(secret));
}

int store_secret_get(store_txn_t *txn, uint8_t out[STORE_SECRET_BYTES]) {
  store_key_t k;
  MDB_val val;
  int rc;
  store_meta_key(&k, "secret");
  rc = store_raw_get(txn, STORE_DB_META, &k, &val);
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
    rc = store_txn_mdb(txn, mdb_dbi_open(txn->txn, store_db_names[i], MDB_CREATE, &st->dbi[i]), "dbi_open");
    if (rc < 0) goto fail;
  }
  store_meta_key(&k, "schema_version");
  rc = store_raw_get(txn, STORE_DB_META, &k, &val);
  if (rc == CASUS_ENOT_FOUND) {
    /* A new store: record the schema it is written in. */
    rc = store_meta_u64_put(txn, "schema_version", STORE_SCHEMA_VERSION);
    if (rc == 0) rc = store_secret_ensure(txn);
    if (rc < 0) goto fail;
    return store_txn_commit(txn);
  }
  if (rc < 0) goto fail;
  rc = store_meta_u64_get(txn, "schema_version", &version);
  if (rc == 0 && version == 0) rc = CASUS_ESTORE_CORRUPT;
  if (rc == CASUS_ESTORE_CORRUPT) fprintf(stderr, "casusd: store: %s: unreadable schema version\n", dir);
  if (rc < 0) goto fail;
  if (version > STORE_SCHEMA_VERSION) {
    /* Its records may mean something this build does not know; writing to
     * it could destroy them. */
    fprintf(stderr,
            "casusd: store: %s has schema version %" PRIu64
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
  if (store_mkdir_p(dir) != 0) {
    fprintf(stderr, "casusd: store: cannot create directory %s: %s\n", dir, strerror(errno));
    return CASUS_ESTORE;
  }
  if ((size_t)snprintf(data_path, sizeof(data_path), "%s/data.mdb", dir) >= sizeof(data_path)) {
    fprintf(stderr, "casusd: store: path too long: %s\n", dir);
    return CASUS_ESTORE;
  }
  is_new = stat(data_path, &sb) != 0;

  st = calloc(1, sizeof(*st));
  if (st == NULL) return CASUS_ENOMEM;
  rc = mdb_env_create(&st->env);
  if (rc != 0) {
    free(st);
    return store_err_from_mdb(rc, "env_create");
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
    rc = store_err_from_mdb(rc, dir);
    goto fail;
  }
  CASUS_ASSERT(mdb_env_get_maxkeysize(st->env) >= STORE_KEY_BYTES_MAX);
  if (!is_new) {
    MDB_envinfo info;
    rc = mdb_env_info(st->env, &info);
    if (rc == 0 && info.me_mapsize < map_bytes) rc = mdb_env_set_mapsize(st->env, (size_t)map_bytes);
    if (rc != 0) {
      rc = store_err_from_mdb(rc, "set_mapsize");
      goto fail;
    }
  }
  rc = store_open_dbs(st, dir);
  if (rc < 0) goto fail;
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

/* --- transactions --- */

int store_txn_begin(store_t *st, bool write, store_txn_t **out) {
  store_txn_t *txn;
  unsigned flags = write ? 0 : MDB_RDONLY;
  int rc;

  *out = NULL;
  /* A second write transaction would wait forever for the writer lock that
   * this very thread holds. */
  CASUS_ASSERT(!write || st->writer == NULL);
  store_grow_maybe(st);
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
    return store_err_from_mdb(rc, "txn_begin");
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
    return store_err_from_mdb(rc, "txn_begin child");
  }
  txn->st = parent->st;
  txn->parent = parent;
  txn->write = true;
  parent->child = txn;
  *out = txn;
  return 0;
}

/* Forgets txn after LMDB has ended it, and grows the map if this was the
 * last transaction open and a grow is pending. */
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
  store_grow_maybe(st);
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
    /* mdb_txn_commit ends the transaction whether or not it succeeds. */
    int mrc = mdb_txn_commit(txn->txn);
    if (mrc == MDB_MAP_FULL) st->grow_pending = true;
    rc = store_err_from_mdb(mrc, "commit");
    if (mrc == 0 && txn->write && txn->parent == NULL) store_grow_ahead(st);
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

/* --- cases --- */

static void store_case_key(store_key_t *k, const char *id) {
  store_key_init(k);
  store_key_add_str(k, id);
}

static void store_timer_key(store_key_t *k, int64_t due_s, const char *case_id, const char *name) {
  store_key_init(k);
  store_key_add_u64(k, store_due_to_key(due_s));
  store_key_add_str(k, case_id);
  store_key_add_nul(k);
  store_key_add_str(k, name);
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
    store_timer_key(&k, 0, case_id, name);
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
    store_timer_key(&k, due_s, case_id, name);
    if (insert) {
      rc = store_raw_put(txn, STORE_DB_TIMERS, &k, "", 0);
    } else {
      /* A missing key means the index already lacks it, which is the goal. */
      rc = store_raw_del(txn, STORE_DB_TIMERS, &k);
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
  rc = store_meta_next(txn, "case_seq", &seq);
  if (rc < 0) return store_txn_fail(txn, rc);
  n = snprintf(id, id_size, "c-%06" PRIu64, seq);
  if (n < 0 || (size_t)n >= id_size) return CASUS_EINVALID_DATA;
  return 0;
}

/* Reads a case and checks it names itself: the paired check of store_case_put. */
static int store_case_load(const MDB_val *key, const MDB_val *val, json_t **out) {
  const char *id;
  json_t *c;
  int rc = store_json_load(val, &c);
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
  if (!store_id_ok(id)) return CASUS_ENOT_FOUND;
  store_case_key(&k, id);
  rc = store_raw_get(txn, STORE_DB_CASES, &k, &val);
  if (rc < 0) return rc;
  key = store_key_val(&k);
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
  if (!store_id_ok(id)) return CASUS_EINVALID_DATA;
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
    rc = store_raw_put(txn, STORE_DB_CASES, &k, s, strlen(s));
  }
  if (rc == 0) rc = store_timers_index(txn, id, timers, true);
  if (rc < 0) store_txn_fail(txn, rc);

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
  rc = store_cursor_open(txn, STORE_DB_CASES, &cur);
  if (rc < 0) return rc;
  if (after_id == NULL || after_id[0] == '\0') {
    mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  } else {
    store_case_key(&k, after_id);
    if (k.overflow) {
      mdb_cursor_close(cur);
      return CASUS_EINVALID_DATA;
    }
    key = store_key_val(&k);
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
  rc = store_txn_mdb(txn, mrc, "case scan");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* --- history --- */

static void store_history_key(store_key_t *k, const char *case_id, uint64_t seq) {
  store_key_init(k);
  store_key_add_str(k, case_id);
  store_key_add_nul(k);
  store_key_add_u64(k, seq);
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
  store_key_init(&prefix);
  store_key_add_str(&prefix, case_id);
  store_key_add_nul(&prefix);
  /* Seek just past the case's largest possible key and step back one. */
  store_history_key(&seek, case_id, UINT64_MAX);
  rc = store_cursor_open(txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) return rc;
  key = store_key_val(&seek);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  if (mrc == 0)
    mrc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
  else if (mrc == MDB_NOTFOUND)
    mrc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
  mdb_cursor_close(cur);
  if (mrc == MDB_NOTFOUND) return 0;
  if (mrc != 0) return store_txn_mdb(txn, mrc, "history seek");
  if (!store_key_has_prefix(&key, &prefix)) return 0; /* the last key belongs to another case */
  if (key.mv_size != prefix.len + STORE_SEQ_BYTES) return CASUS_ESTORE_CORRUPT;

  *seq = store_u64_from_be((const uint8_t *)key.mv_data + prefix.len);
  rc = store_json_load(&val, &last);
  if (rc < 0) return rc;
  h = json_string_value(json_object_get(last, "hash"));
  if (h == NULL || strlen(h) != STORE_HASH_HEX_BYTES - 1 || !store_json_u64(last, "seq", &json_seq) ||
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
  if (!store_id_ok(case_id)) return CASUS_EINVALID_DATA;
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
    rc = store_json_put(txn, STORE_DB_HISTORY, &k, e, true);
    if (rc < 0) store_txn_fail(txn, rc);
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
  if (!store_id_ok(case_id)) return CASUS_EINVALID_DATA;
  list = json_array();
  if (list == NULL) return CASUS_ENOMEM;
  store_key_init(&prefix);
  store_key_add_str(&prefix, case_id);
  store_key_add_nul(&prefix);
  rc = store_cursor_open(txn, STORE_DB_HISTORY, &cur);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  key = store_key_val(&prefix);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && json_array_size(list) < max && store_key_has_prefix(&key, &prefix)) {
    json_t *e;
    uint64_t seq;
    rc = store_json_load(&val, &e);
    if (rc < 0) break;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES || !store_json_u64(e, "seq", &seq) ||
        seq != store_u64_from_be((const uint8_t *)key.mv_data + prefix.len)) {
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
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store_txn_mdb(txn, mrc, "history list");
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

  rc = store_json_load(val, &e);
  if (rc == CASUS_ENOMEM) return rc;
  if (rc < 0) {
    why = "entry does not parse";
    goto broken;
  }
  stored_hash = json_string_value(json_object_get(e, "hash"));
  stored_prev = json_string_value(json_object_get(e, "prev_hash"));
  if (key_seq != want_seq) {
    why = "seq does not follow the previous entry";
  } else if (!store_json_u64(e, "seq", &json_seq) || json_seq != key_seq) {
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
  rc = store_cursor_open(txn, STORE_DB_HISTORY, &cur);
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
    key_seq = store_u64_from_be(kb + id_len + 1);
    entries++;
    rc = store_history_check(&val, case_id, key_seq, want_seq, prev_hash, prev_hash, problem, problem_size);
    if (rc < 0) break;
    want_seq++;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (entries_out != NULL) *entries_out = entries;
  if (rc < 0) return rc;
  rc = store_txn_mdb(txn, mrc, "history verify");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* --- timers --- */

int store_timer_first(store_txn_t *txn, int64_t *due_s, char *case_id, size_t case_id_size, char *name,
                      size_t name_size) {
  MDB_cursor *cur;
  MDB_val key, val;
  const uint8_t *kb, *nul;
  size_t id_len, name_len;
  int rc, mrc;

  if (txn->err < 0) return txn->err;
  rc = store_cursor_open(txn, STORE_DB_TIMERS, &cur);
  if (rc < 0) return rc;
  mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  mdb_cursor_close(cur);
  if (mrc != 0) return store_txn_mdb(txn, mrc, "timer first");

  /* The key read back must have the shape store_timer_key wrote. */
  kb = key.mv_data;
  if (key.mv_size < STORE_SEQ_BYTES + 2) return CASUS_ESTORE_CORRUPT;
  nul = memchr(kb + STORE_SEQ_BYTES, '\0', key.mv_size - STORE_SEQ_BYTES);
  if (nul == NULL) return CASUS_ESTORE_CORRUPT;
  id_len = (size_t)(nul - (kb + STORE_SEQ_BYTES));
  name_len = key.mv_size - STORE_SEQ_BYTES - id_len - 1;
  if (id_len == 0 || name_len == 0) return CASUS_ESTORE_CORRUPT;
  if (id_len >= case_id_size || name_len >= name_size) return CASUS_EINVALID_DATA;

  *due_s = store_due_from_key(store_u64_from_be(kb));
  memcpy(case_id, kb + STORE_SEQ_BYTES, id_len);
  case_id[id_len] = '\0';
  memcpy(name, nul + 1, name_len);
  name[name_len] = '\0';
  return 0;
}

/* --- idempotency keys --- */

static int store_idem_key(store_key_t *k, const char *actor_id, const char *key) {
  store_key_init(k);
  store_key_add_str(k, actor_id);
  store_key_add_nul(k);
  store_key_add_str(k, key);
  return k->overflow ? CASUS_EINVALID_DATA : 0;
}

int store_idem_get(store_txn_t *txn, const char *actor_id, const char *key, json_t **out) {
  store_key_t k;
  int rc;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  return store_json_get(txn, STORE_DB_IDEM, &k, out);
}

int store_idem_put(store_txn_t *txn, const char *actor_id, const char *key, const json_t *record) {
  store_key_t k;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(record));
  if (txn->err < 0) return txn->err;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  rc = store_json_put(txn, STORE_DB_IDEM, &k, record, false);
  return rc < 0 ? store_txn_fail(txn, rc) : 0;
}

/* --- inbox --- */

static void store_inbox_key(store_key_t *k, const char *recipient, uint64_t seq) {
  store_key_init(k);
  store_key_add_str(k, recipient);
  store_key_add_nul(k);
  store_key_add_u64(k, seq);
}

static void store_inbox_case_key(store_key_t *k, const char *case_id, uint64_t seq) {
  store_key_init(k);
  store_key_add_str(k, case_id);
  store_key_add_nul(k);
  store_key_add_u64(k, seq);
}

/* Loads an inbox item and checks it carries the seq of its key. */
static int store_inbox_load(const MDB_val *val, uint64_t seq, json_t **out) {
  uint64_t json_seq;
  int rc = store_json_load(val, out);
  if (rc < 0) return rc;
  if (!store_json_u64(*out, "seq", &json_seq) || json_seq != seq ||
      !json_is_boolean(json_object_get(*out, "open"))) {
    json_decref(*out);
    *out = NULL;
    return CASUS_ESTORE_CORRUPT;
  }
  return 0;
}

int store_inbox_add(store_txn_t *txn, const char *recipient, const char *case_id, const json_t *item,
                    uint64_t *seq_out) {
  store_key_t k, kc;
  json_t *it;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(item));
  if (txn->err < 0) return txn->err;
  if (!store_id_ok(case_id)) return CASUS_EINVALID_DATA;
  /* Check the key fits before the counter moves. */
  store_inbox_key(&k, recipient, 0);
  if (k.overflow) return CASUS_EINVALID_DATA;

  it = json_deep_copy(item);
  if (it == NULL) return CASUS_ENOMEM;
  rc = store_meta_next(txn, "inbox_seq", &seq);
  if (rc == 0 && (json_object_set_new(it, "seq", json_integer((json_int_t)seq)) != 0 ||
                  json_object_set_new(it, "open", json_true()) != 0 ||
                  json_object_set_new(it, "case_id", json_string(case_id)) != 0 ||
                  json_object_set_new(it, "recipient", json_string(recipient)) != 0))
    rc = CASUS_ENOMEM;
  if (rc == 0) {
    store_inbox_key(&k, recipient, seq);
    rc = store_json_put(txn, STORE_DB_INBOX, &k, it, false);
  }
  if (rc == 0) {
    store_inbox_case_key(&kc, case_id, seq);
    rc = store_raw_put(txn, STORE_DB_INBOX_CASE, &kc, recipient, strlen(recipient));
  }
  json_decref(it);
  if (rc < 0) return store_txn_fail(txn, rc);
  if (seq_out != NULL) *seq_out = seq;
  return 0;
}

/* Closes the inbox item (recipient, seq) when it is open and of `kind`. */
static int store_inbox_close_one(store_txn_t *txn, const MDB_val *recipient, uint64_t seq, const char *kind) {
  char rbuf[STORE_KEY_BYTES_MAX + 1];
  store_key_t k;
  MDB_val val;
  json_t *it;
  const char *it_kind;
  int rc;

  if (recipient->mv_size >= sizeof(rbuf) || memchr(recipient->mv_data, '\0', recipient->mv_size) != NULL)
    return CASUS_ESTORE_CORRUPT;
  memcpy(rbuf, recipient->mv_data, recipient->mv_size);
  rbuf[recipient->mv_size] = '\0';
  store_inbox_key(&k, rbuf, seq);
  if (k.overflow) return CASUS_ESTORE_CORRUPT;
  rc = store_raw_get(txn, STORE_DB_INBOX, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return CASUS_ESTORE_CORRUPT; /* the case index points nowhere */
  if (rc < 0) return rc;
  rc = store_inbox_load(&val, seq, &it);
  if (rc < 0) return rc;
  it_kind = json_string_value(json_object_get(it, "kind"));
  if (json_is_true(json_object_get(it, "open")) && it_kind != NULL && strcmp(it_kind, kind) == 0) {
    rc = json_object_set_new(it, "open", json_false()) == 0 ? 0 : CASUS_ENOMEM;
    if (rc == 0) rc = store_json_put(txn, STORE_DB_INBOX, &k, it, false);
  }
  json_decref(it);
  return rc;
}

int store_inbox_close(store_txn_t *txn, const char *case_id, const char *kind) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix;
  int rc = 0, mrc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(kind != NULL);
  if (txn->err < 0) return txn->err;
  if (!store_id_ok(case_id)) return CASUS_EINVALID_DATA;
  store_key_init(&prefix);
  store_key_add_str(&prefix, case_id);
  store_key_add_nul(&prefix);
  rc = store_cursor_open(txn, STORE_DB_INBOX_CASE, &cur);
  if (rc < 0) return rc;
  key = store_key_val(&prefix);
  /* Writing to the inbox DBI does not disturb this cursor on inbox_case. */
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && store_key_has_prefix(&key, &prefix)) {
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    rc = store_inbox_close_one(txn, &val, store_u64_from_be((const uint8_t *)key.mv_data + prefix.len), kind);
    if (rc < 0) break;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store_txn_mdb(txn, mrc, "inbox close");
  return rc < 0 ? store_txn_fail(txn, rc) : 0;
}

/* Collects at most max open items of one recipient with seq > after_seq
 * into list.  Taking max from each recipient is enough for the merged first
 * max. */
static int store_inbox_collect(store_txn_t *txn, const char *recipient, uint64_t after_seq, size_t max,
                               json_t *list) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, seek;
  size_t taken = 0;
  int rc = 0, mrc;

  store_key_init(&prefix);
  store_key_add_str(&prefix, recipient);
  store_key_add_nul(&prefix);
  if (prefix.overflow) return 0; /* no such key can exist */
  store_inbox_key(&seek, recipient, after_seq + 1);
  rc = store_cursor_open(txn, STORE_DB_INBOX, &cur);
  if (rc < 0) return rc;
  key = store_key_val(&seek);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && taken < max && store_key_has_prefix(&key, &prefix)) {
    json_t *it;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    rc = store_inbox_load(&val, store_u64_from_be((const uint8_t *)key.mv_data + prefix.len), &it);
    if (rc < 0) break;
    if (json_is_true(json_object_get(it, "open"))) {
      if (json_array_append_new(list, it) != 0) {
        rc = CASUS_ENOMEM;
        break;
      }
      taken++;
    } else {
      json_decref(it);
    }
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store_txn_mdb(txn, mrc, "inbox list");
  return rc;
}

static int store_inbox_seq_cmp(const void *a, const void *b) {
  uint64_t sa = 0, sb = 0;
  store_json_u64(*(json_t *const *)a, "seq", &sa);
  store_json_u64(*(json_t *const *)b, "seq", &sb);
  return sa < sb ? -1 : sa > sb;
}

int store_inbox_list(store_txn_t *txn, const char *const *recipients, size_t recipients_count,
                     uint64_t after_seq, size_t max, json_t **out) {
  json_t *all, *list;
  json_t **items = NULL;
  size_t i, n;
  uint64_t last_seq = 0;
  int rc = 0;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  all = json_array();
  list = json_array();
  if (all == NULL || list == NULL) {
    rc = CASUS_ENOMEM;
    goto done;
  }
  if (after_seq == UINT64_MAX || max == 0) goto done;
  for (i = 0; i < recipients_count && rc == 0; i++)
    rc = store_inbox_collect(txn, recipients[i], after_seq, max, all);
  if (rc < 0) goto done;

  /* Merge by seq.  seq is global, so equal seqs are the same item reached
   * through a recipient listed twice. */
  n = json_array_size(all);
  if (n > 0) {
    items = malloc(n * sizeof(*items));
    if (items == NULL) {
      rc = CASUS_ENOMEM;
      goto done;
    }
    for (i = 0; i < n; i++) items[i] = json_array_get(all, i);
    qsort(items, n, sizeof(*items), store_inbox_seq_cmp);
  }
  for (i = 0; i < n && json_array_size(list) < max; i++) {
    uint64_t seq = 0;
    store_json_u64(items[i], "seq", &seq);
    if (seq == last_seq) continue;
    last_seq = seq;
    if (json_array_append(list, items[i]) != 0) {
      rc = CASUS_ENOMEM;
      goto done;
    }
  }

done:
  free(items);
  json_decref(all);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  *out = list;
  return 0;
}

/* --- maintenance --- */

int store_backup(store_t *st, const char *out_dir) {
  /* Compaction copies through a read transaction of its own, so the live
   * store keeps working while the copy runs. */
  return store_err_from_mdb(mdb_env_copy2(st->env, out_dir, MDB_CP_COMPACT), "backup");
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
  store_key_init(&k);
  store_key_add(&k, key, klen);
  if (k.overflow || klen == 0) return CASUS_EINVALID_DATA;
  return store_raw_put(txn, db, &k, val, vlen);
}
