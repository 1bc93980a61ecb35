/*
 * store_meta.c -- the casemeta database: case id -> the case's index terms
 * in a compact binary record.
 *
 * store_case_put reads the old record to learn which timer and sindex keys
 * the previous version of the case has (instead of parsing the stored case)
 * and writes the new one; a range query reads it to check the conditions its
 * index cannot answer; a read of the case checks the case record's digest
 * against it (a record changed outside casusd, or damaged, is refused
 * rather than served).  The record:
 *
 *   u8  format (STORE_META_FORMAT)
 *   8   deadline_s, 8 updated_s    (as store__key_add_time; STORE_TIME_NONE as itself)
 *   8   digest of the case record  (store__digest; from format 2 on, absent in format 1)
 *   u8  timers, u8 scopes, u8 attrs (counts)
 *   per timer:  8 due_s, u8 n, name[n]
 *   per scope:  u8 n, scope[n]
 *   per attr:   u8 n, name[n], u8 m, value[m]
 *
 * Every count and length is within its limit (LIMIT_TIMERS_PER_CASE_MAX,
 * STORE_SCOPES_MAX, STORE_ATTRS_MAX, LIMIT_ID_BYTES_MAX for timer names,
 * STORE_TERM_BYTES_MAX for terms), strings are non-empty and hold no NUL;
 * a record that breaks any of this, or has bytes left over, is damaged.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

/* 2: with the case record's digest.  Records of format 1 (without) are
 * still read, and replaced at the case's next write. */
#define STORE_META_FORMAT 2
#define STORE_META_FORMAT_NO_DIGEST 1
#define STORE_META_DIGEST_BYTES 8
#define STORE_META_HEAD_BYTES (1 + 2 * STORE_SEQ_BYTES + STORE_META_DIGEST_BYTES + 3)
#define STORE_META_BYTES_MAX                                                                        \
  (STORE_META_HEAD_BYTES + LIMIT_TIMERS_PER_CASE_MAX * (STORE_SEQ_BYTES + 1 + LIMIT_ID_BYTES_MAX) + \
   STORE_SCOPES_MAX * (1 + STORE_TERM_BYTES_MAX) + STORE_ATTRS_MAX * 2 * (1 + STORE_TERM_BYTES_MAX))

/* The lengths are stored in one byte. */
_Static_assert(STORE_TERM_BYTES_MAX <= 255 && LIMIT_ID_BYTES_MAX <= 255, "lengths fit a byte");
_Static_assert(LIMIT_TIMERS_PER_CASE_MAX <= 255 && STORE_ATTRS_MAX <= 255, "counts fit a byte");

/* One step of the digest: bijective in h for every w and in w for every h,
 * so that two inputs that differ in one 8-byte word always differ in the
 * digest; a final mix spreads the bits. */
static uint64_t store_digest_step(uint64_t h, uint64_t w) {
  h ^= w * 0x87c37b91114253d5ULL;
  h = (h << 31 | h >> 33) * 0x4cf5ad432745937fULL;
  return h;
}

uint64_t store__digest(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n * 0xc2b2ae3d27d4eb4fULL, w;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    memcpy(&w, b + i, 8);
    h = store_digest_step(h, w);
  }
  if (i < n) {
    w = 0;
    memcpy(&w, b + i, n - i);
    h = store_digest_step(h, w);
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool store__str_eq(store_str_t a, store_str_t b) {
  return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

store_str_t store__str(const char *s) {
  store_str_t r;
  r.p = s;
  r.n = strlen(s);
  return r;
}

static void store_meta_key(store_key_t *k, store_str_t id) {
  store__key_init(k);
  store__key_add(k, id.p, id.n);
}

/* --- encoding --- */

typedef struct {
  uint8_t *p;
  size_t len, cap;
} store_meta_out_t;

static void store_meta_add(store_meta_out_t *o, const void *p, size_t n) {
  CASUS_ASSERT(n <= o->cap - o->len);
  memcpy(o->p + o->len, p, n);
  o->len += n;
}

static void store_meta_add_u8(store_meta_out_t *o, size_t v) {
  uint8_t b = (uint8_t)v;
  CASUS_ASSERT(v <= 255);
  store_meta_add(o, &b, 1);
}

static void store_meta_add_time(store_meta_out_t *o, int64_t t) {
  store_key_t k;
  store__key_init(&k);
  store__key_add_time(&k, t);
  store_meta_add(o, k.bytes, k.len);
}

static void store_meta_add_str(store_meta_out_t *o, store_str_t s, size_t max) {
  CASUS_ASSERT(s.n >= 1 && s.n <= max && memchr(s.p, '\0', s.n) == NULL);
  store_meta_add_u8(o, s.n);
  store_meta_add(o, s.p, s.n);
}

/* The size of m's record. */
static size_t store_meta_size(const store_meta_t *m) {
  size_t i, n = STORE_META_HEAD_BYTES;
  for (i = 0; i < m->timers_count; i++) n += STORE_SEQ_BYTES + 1 + m->timers[i].name.n;
  for (i = 0; i < m->scopes_count; i++) n += 1 + m->scopes[i].n;
  for (i = 0; i < m->attrs_count; i++) n += 2 + m->attrs[i].name.n + m->attrs[i].value.n;
  return n;
}

int store__meta_put(store_txn_t *txn, const char *id, const store_meta_t *m) {
  store_key_t k;
  store_meta_out_t o;
  MDB_val key, val;
  size_t i;
  int rc;

  CASUS_ASSERT(m->timers_count <= LIMIT_TIMERS_PER_CASE_MAX && m->scopes_count <= STORE_SCOPES_MAX &&
               m->attrs_count <= STORE_ATTRS_MAX && m->has_digest);
  store_meta_key(&k, store__str(id));
  key = store__key_val(&k);
  val.mv_size = store_meta_size(m);
  val.mv_data = NULL;
  CASUS_ASSERT(val.mv_size <= STORE_META_BYTES_MAX);
  /* MDB_RESERVE: LMDB makes room and we encode straight into the page. */
  rc = store__txn_mdb(txn, store__mdb_put(txn, STORE_DB_CASEMETA, &key, &val, MDB_RESERVE), "casemeta put");
  if (rc < 0) return rc;
  o.p = val.mv_data;
  o.len = 0;
  o.cap = val.mv_size;
  store_meta_add_u8(&o, STORE_META_FORMAT);
  store_meta_add_time(&o, m->deadline_s);
  store_meta_add_time(&o, m->updated_s);
  store_meta_add(&o, &m->digest, STORE_META_DIGEST_BYTES);
  store_meta_add_u8(&o, m->timers_count);
  store_meta_add_u8(&o, m->scopes_count);
  store_meta_add_u8(&o, m->attrs_count);
  for (i = 0; i < m->timers_count; i++) {
    store_meta_add_time(&o, m->timers[i].due_s);
    store_meta_add_str(&o, m->timers[i].name, LIMIT_ID_BYTES_MAX);
  }
  for (i = 0; i < m->scopes_count; i++) store_meta_add_str(&o, m->scopes[i], STORE_TERM_BYTES_MAX);
  for (i = 0; i < m->attrs_count; i++) {
    store_meta_add_str(&o, m->attrs[i].name, STORE_TERM_BYTES_MAX);
    store_meta_add_str(&o, m->attrs[i].value, STORE_TERM_BYTES_MAX);
  }
  CASUS_ASSERT(o.len == o.cap);
  return 0;
}

/* --- decoding --- */

typedef struct {
  const uint8_t *p;
  size_t len, pos;
  bool bad;
} store_meta_in_t;

static size_t store_meta_u8(store_meta_in_t *in) {
  if (in->bad || in->pos >= in->len) {
    in->bad = true;
    return 0;
  }
  return in->p[in->pos++];
}

static int64_t store_meta_time(store_meta_in_t *in) {
  int64_t t;
  if (in->bad || in->len - in->pos < STORE_SEQ_BYTES) {
    in->bad = true;
    return 0;
  }
  t = store__time_from_be(in->p + in->pos);
  in->pos += STORE_SEQ_BYTES;
  return t;
}

static store_str_t store_meta_str(store_meta_in_t *in, size_t max) {
  store_str_t s = {"", 0};
  size_t n = store_meta_u8(in);
  if (in->bad || n == 0 || n > max || in->len - in->pos < n || memchr(in->p + in->pos, '\0', n) != NULL) {
    in->bad = true;
    return s;
  }
  s.p = (const char *)in->p + in->pos;
  s.n = n;
  in->pos += n;
  return s;
}

int store__meta_decode(const void *p, size_t n, store_meta_t *m) {
  store_meta_in_t in;
  size_t i;

  in.p = p;
  in.len = n;
  in.pos = 0;
  in.bad = false;
  switch (store_meta_u8(&in)) {
    case STORE_META_FORMAT:
      m->has_digest = true;
      break;
    case STORE_META_FORMAT_NO_DIGEST:
      m->has_digest = false;
      break;
    default:
      return CASUS_ESTORE_CORRUPT;
  }
  m->deadline_s = store_meta_time(&in);
  m->updated_s = store_meta_time(&in);
  m->digest = 0;
  if (m->has_digest) {
    if (in.bad || in.len - in.pos < STORE_META_DIGEST_BYTES) return CASUS_ESTORE_CORRUPT;
    memcpy(&m->digest, in.p + in.pos, STORE_META_DIGEST_BYTES);
    in.pos += STORE_META_DIGEST_BYTES;
  }
  m->timers_count = store_meta_u8(&in);
  m->scopes_count = store_meta_u8(&in);
  m->attrs_count = store_meta_u8(&in);
  if (in.bad || m->timers_count > LIMIT_TIMERS_PER_CASE_MAX || m->scopes_count > STORE_SCOPES_MAX ||
      m->attrs_count > STORE_ATTRS_MAX)
    return CASUS_ESTORE_CORRUPT;
  for (i = 0; i < m->timers_count; i++) {
    m->timers[i].due_s = store_meta_time(&in);
    m->timers[i].name = store_meta_str(&in, LIMIT_ID_BYTES_MAX);
  }
  for (i = 0; i < m->scopes_count; i++) m->scopes[i] = store_meta_str(&in, STORE_TERM_BYTES_MAX);
  for (i = 0; i < m->attrs_count; i++) {
    m->attrs[i].name = store_meta_str(&in, STORE_TERM_BYTES_MAX);
    m->attrs[i].value = store_meta_str(&in, STORE_TERM_BYTES_MAX);
  }
  return in.bad || in.pos != in.len ? CASUS_ESTORE_CORRUPT : 0;
}

/* Reads id's casemeta record, checking only its size. */
static int store_meta_raw(store_txn_t *txn, store_str_t id, MDB_val *val) {
  store_key_t k;
  int rc;
  store_meta_key(&k, id);
  if (k.overflow || id.n == 0) return CASUS_ESTORE_CORRUPT;
  rc = store__raw_get(txn, STORE_DB_CASEMETA, &k, val);
  if (rc < 0) return rc;
  return val->mv_size == 0 || val->mv_size > STORE_META_BYTES_MAX ? CASUS_ESTORE_CORRUPT : 0;
}

int store__meta_peek(store_txn_t *txn, store_str_t id, store_meta_t *m) {
  MDB_val val;
  int rc = store_meta_raw(txn, id, &val);
  if (rc < 0) return rc;
  return store__meta_decode(val.mv_data, val.mv_size, m);
}

int store__meta_get(store_txn_t *txn, const char *id, store_meta_t *m, void **buf) {
  MDB_val val;
  int rc;

  *buf = NULL;
  rc = store_meta_raw(txn, store__str(id), &val);
  if (rc < 0) return rc;
  *buf = malloc(val.mv_size);
  if (*buf == NULL) return CASUS_ENOMEM;
  memcpy(*buf, val.mv_data, val.mv_size);
  rc = store__meta_decode(*buf, val.mv_size, m);
  if (rc < 0) {
    free(*buf);
    *buf = NULL;
  }
  return rc;
}
