/*
 * store_query.c -- list queries answered from the secondary indexes
 * (store_index.c), never by scanning cases.
 *
 * The plan.  A query with a range is driven by that range's index, in the
 * order (time, id): "deadline before D" reads the scope's deadline entries
 * from the lowest up to D, "updated after T" the update entries from T up.
 * Conditions the driving index cannot answer (equality attributes, the other
 * range) are checked against the case's casemeta record, which is binary:
 * no JSON is parsed for a case that does not match.  A query without a range
 * is answered in id order by a leapfrog join of its equality streams (each
 * stream seeks, with MDB_GET_BOTH_RANGE, to the highest id any other stream
 * has reached, until all agree on one id), or by the scope's 'a' stream when
 * it has no condition.
 *
 * Scopes.  The plan runs once per caller scope (a "run", each on its own
 * LMDB cursor) and the runs are merged by their order key, smallest first;
 * a case that two runs reach with the same key is emitted once.  A run only
 * ever reads keys of its own scope, so a case the caller cannot see is never
 * touched.
 *
 * Positions and cursors.  A position is an order key: the id, or the 8-byte
 * time and the id, as in the index's values.  A run that is searching holds
 * its frontier -- every key below it is emitted or known not to match -- and
 * a run that found its next match holds that key.  The position just after a
 * key k is k followed by a NUL, which sorts before every longer key (ids
 * hold no NUL).  The next page starts at the lowest position of all runs;
 * the cursor is that position in hex, after the plan's letter: "i:", "d:" or
 * "u:".
 *
 * Damaged cases.  A case whose record or casemeta record is damaged, or
 * that an index entry names but does not exist, is left out of the page
 * and said on stderr (once per case, of the last few), so that one damaged
 * case does not fail every list that would show it; `casusd verify` names
 * them all.  A malformed index entry itself still fails the query: the
 * order it was read in cannot be kept past it.
 *
 * Bounded work.  Every index entry read, seek and casemeta read counts
 * against examine_max.  A run checks the budget only after it has made
 * progress in this call (its frontier moved, or it found a match), so every
 * call moves the cursor forward and a client that follows cursors always
 * reaches the end, even with examine_max 1.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_int.h"

/* The longest position: time, id and the NUL of "just after". */
#define STORE_POS_BYTES_MAX (STORE_SEQ_BYTES + LIMIT_ID_BYTES_MAX + 1)
_Static_assert(2 + 2 * STORE_POS_BYTES_MAX + 1 <= STORE_CURSOR_BYTES_MAX, "cursors fit their buffer");

/* The plans, named by their cursor letter. */
#define STORE_PLAN_ID 'i'
#define STORE_PLAN_DEADLINE 'd'
#define STORE_PLAN_UPDATED 'u'

enum { STORE_RUN_SEARCH, STORE_RUN_HEAD, STORE_RUN_DONE };

/* The plan run for one of the caller's scopes. */
typedef struct {
  store_str_t scope;
  MDB_cursor *cur;
  int state;
  /* Moved forward in this call; only then may it stop for the budget. */
  bool progressed;
  /* Scans: cur is on the entry just below pos (or at it, for a match). */
  bool positioned;
  uint8_t pos[STORE_POS_BYTES_MAX];
  size_t pos_len;
} store_run_t;

typedef struct {
  store_txn_t *txn;
  const store_query_t *q;
  char plan;
  /* The index key kind the plan reads (for STORE_PLAN_ID with one stream). */
  char scan_kind;
  /* Equality streams of STORE_PLAN_ID: 0 (the 'a' stream), 1 (scanned) or
   * more (joined). */
  size_t streams;
  store_meta_attr_t eq[STORE_QUERY_EQ_MAX];
  bool check_meta; /* scans: conditions beyond the driving index */
  size_t examined;
  store_run_t runs[STORE_SCOPES_MAX];
  size_t runs_count;
} store_plan_t;

static uint64_t store_query_examined_total;

uint64_t store_debug_examined_total(void) {
  return store_query_examined_total;
}

/* Order keys compare bytewise, a prefix first, as LMDB orders the values. */
static int store_pos_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c != 0) return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

static bool store_plan_timed(const store_plan_t *p) {
  return p->plan != STORE_PLAN_ID;
}

/* Checks an index value read back: an id of 1..LIMIT_ID_BYTES_MAX bytes
 * without NUL, after 8 bytes of time for the range indexes. */
static bool store_value_ok(const store_plan_t *p, const MDB_val *val) {
  size_t skip = store_plan_timed(p) ? STORE_SEQ_BYTES : 0;
  if (val->mv_size <= skip || val->mv_size - skip > LIMIT_ID_BYTES_MAX) return false;
  return memchr((const uint8_t *)val->mv_data + skip, '\0', val->mv_size - skip) == NULL;
}

static bool store_budget_out(const store_plan_t *p) {
  return p->examined >= p->q->examine_max;
}

/* Says on stderr that a list left out the case id, once per case of the
 * last STORE_SKIPS_REMEMBERED (a client that polls a list would otherwise
 * repeat it every time). */
#define STORE_SKIPS_REMEMBERED 16
static void store_skip_log(store_str_t id, const char *why, bool entry_only) {
  static char seen[STORE_SKIPS_REMEMBERED][LIMIT_ID_BYTES_MAX + 1];
  static size_t next;
  size_t i;
  CASUS_ASSERT(id.n <= LIMIT_ID_BYTES_MAX);
  for (i = 0; i < STORE_SKIPS_REMEMBERED; i++)
    if (strlen(seen[i]) == id.n && memcmp(seen[i], id.p, id.n) == 0) return;
  memcpy(seen[next], id.p, id.n);
  seen[next][id.n] = '\0';
  next = (next + 1) % STORE_SKIPS_REMEMBERED;
  core_log("warn", "store: case %.*s %s; lists leave %s out (run casusd verify)\n", (int)id.n, id.p, why,
           entry_only ? "that entry" : "it");
}

/* A read of a case or its casemeta record failed with rc: a damaged (or
 * missing) record of that one case, which the list skips, or a failing
 * store (the transaction is then unusable), which stops the query. */
static bool store_case_skippable(const store_plan_t *p, int rc) {
  return (rc == CASUS_ESTORE_CORRUPT || rc == CASUS_ENOT_FOUND) && p->txn->err == 0;
}

/* --- the checks a scan makes against casemeta --- */

static bool store_meta_has_attr(const store_meta_t *m, const store_meta_attr_t *a) {
  size_t i;
  for (i = 0; i < m->attrs_count; i++)
    if (store__str_eq(m->attrs[i].name, a->name) && store__str_eq(m->attrs[i].value, a->value)) return true;
  return false;
}

/* Does the case of a range index entry (val) match the rest of the query? */
static int store_scan_check(store_plan_t *p, const MDB_val *val, bool *match) {
  const uint8_t *v = val->mv_data;
  int64_t t = store__time_from_be(v);
  store_str_t id;
  store_meta_t m;
  size_t i;
  int rc;

  *match = false;
  id.p = (const char *)v + STORE_SEQ_BYTES;
  id.n = val->mv_size - STORE_SEQ_BYTES;
  p->examined++;
  rc = store__meta_peek(p->txn, id, &m);
  if (rc < 0 && store_case_skippable(p, rc)) {
    store_skip_log(id,
                   rc == CASUS_ENOT_FOUND ? "is named by an index entry but has no index record"
                                          : "has a damaged index record",
                   false);
    return 0;
  }
  if (rc < 0) return rc;
  /* The paired check: the entry and the case's record agree on its time. */
  if (t != (p->plan == STORE_PLAN_DEADLINE ? m.deadline_s : m.updated_s)) {
    store_skip_log(id, "has an index entry whose time its index record does not have", true);
    return 0;
  }
  for (i = 0; i < p->q->eq_count; i++)
    if (!store_meta_has_attr(&m, &p->eq[i])) return 0;
  if (p->plan == STORE_PLAN_DEADLINE && p->q->updated_after_s != STORE_TIME_NONE &&
      (m.updated_s == STORE_TIME_NONE || m.updated_s <= p->q->updated_after_s))
    return 0;
  *match = true;
  return 0;
}

/* --- advancing one run --- */

/* Positions cur on the first value >= pos of key k (the first value when
 * pos is empty). */
static int store_seek(MDB_cursor *cur, store_key_t *k, const uint8_t *pos, size_t pos_len, MDB_val *val) {
  MDB_val key = store__key_val(k);
  if (pos_len == 0) return mdb_cursor_get(cur, &key, val, MDB_SET_KEY);
  val->mv_data = (void *)pos; /* an input; LMDB does not write through it */
  val->mv_size = pos_len;
  return mdb_cursor_get(cur, &key, val, MDB_GET_BOTH_RANGE);
}

/* A scan: reads the driving key's values in order from r->pos until one
 * matches (HEAD), the values or the range end (DONE), or the budget is used
 * (SEARCH, r->pos just after the last value read). */
static int store_run_scan(store_plan_t *p, store_run_t *r) {
  store_key_t k;
  MDB_val val;
  int mrc, rc;

  for (;;) {
    bool match = true;
    if (r->progressed && store_budget_out(p)) return 0;
    if (!r->positioned) {
      store__index_key(&k, r->scope, p->scan_kind, p->streams == 1 ? &p->eq[0] : NULL);
      mrc = store_seek(r->cur, &k, r->pos, r->pos_len, &val);
      r->positioned = true;
    } else {
      MDB_val key;
      mrc = mdb_cursor_get(r->cur, &key, &val, MDB_NEXT_DUP);
    }
    p->examined++;
    r->progressed = true;
    if (mrc == MDB_NOTFOUND) {
      r->state = STORE_RUN_DONE;
      return 0;
    }
    if (mrc != 0) return store__txn_mdb(p->txn, mrc, "query scan");
    if (!store_value_ok(p, &val)) return CASUS_ESTORE_CORRUPT;
    CASUS_ASSERT(store_pos_cmp(val.mv_data, val.mv_size, r->pos, r->pos_len) >= 0);
    if (p->plan == STORE_PLAN_DEADLINE && store__time_from_be(val.mv_data) >= p->q->deadline_before_s) {
      r->state = STORE_RUN_DONE;
      return 0;
    }
    memcpy(r->pos, val.mv_data, val.mv_size);
    r->pos_len = val.mv_size;
    if (p->check_meta) {
      rc = store_scan_check(p, &val, &match);
      if (rc < 0) return rc;
    }
    if (match) {
      r->state = STORE_RUN_HEAD;
      return 0;
    }
    r->pos[r->pos_len++] = '\0';
  }
}

/* A leapfrog join of the equality streams: each stream in turn seeks to the
 * candidate id c; a stream that lands above c makes its id the candidate;
 * when every stream lands on c, c matches.  The budget is checked only when
 * the candidate moved, so between checks at most `streams` seeks happen and
 * each check follows progress. */
static int store_run_join(store_plan_t *p, store_run_t *r) {
  uint8_t c[STORE_POS_BYTES_MAX];
  size_t c_len = r->pos_len, agree = 0, j = 0;
  bool check = true;
  store_key_t k;
  MDB_val val;
  int mrc;

  memcpy(c, r->pos, c_len);
  for (;;) {
    if (check && r->progressed && store_budget_out(p)) break;
    check = false;
    store__index_key(&k, r->scope, STORE_INDEX_EQ, &p->eq[j]);
    mrc = store_seek(r->cur, &k, c, c_len, &val);
    p->examined++;
    if (mrc == MDB_NOTFOUND) {
      r->state = STORE_RUN_DONE;
      return 0;
    }
    if (mrc != 0) return store__txn_mdb(p->txn, mrc, "query join");
    if (!store_value_ok(p, &val)) return CASUS_ESTORE_CORRUPT;
    if (store_pos_cmp(val.mv_data, val.mv_size, c, c_len) == 0) {
      agree++;
    } else {
      CASUS_ASSERT(store_pos_cmp(val.mv_data, val.mv_size, c, c_len) > 0);
      memcpy(c, val.mv_data, val.mv_size);
      c_len = val.mv_size;
      agree = 1;
      r->progressed = true;
      check = true;
    }
    if (agree == p->streams) {
      r->state = STORE_RUN_HEAD;
      r->progressed = true;
      break;
    }
    j = (j + 1) % p->streams;
  }
  memcpy(r->pos, c, c_len);
  r->pos_len = c_len;
  return 0;
}

static int store_run_advance(store_plan_t *p, store_run_t *r) {
  CASUS_ASSERT(r->state == STORE_RUN_SEARCH);
  return p->streams >= 2 ? store_run_join(p, r) : store_run_scan(p, r);
}

/* --- cursors --- */

static int store_hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

/* Decodes a cursor of the plan into pos.  CASUS_EBAD_REQUEST unless it is
 * one this file could have written for such a query. */
static int store_cursor_decode(const store_plan_t *p, const char *cursor, uint8_t *pos, size_t *pos_len) {
  size_t n = strnlen(cursor, STORE_CURSOR_BYTES_MAX), i, skip, id_len;
  const uint8_t *nul;

  if (n >= STORE_CURSOR_BYTES_MAX || n < 2 || cursor[0] != p->plan || cursor[1] != ':' || n % 2 != 0)
    return CASUS_EBAD_REQUEST;
  *pos_len = (n - 2) / 2;
  if (*pos_len > STORE_POS_BYTES_MAX) return CASUS_EBAD_REQUEST;
  for (i = 0; i < *pos_len; i++) {
    int hi = store_hex_digit(cursor[2 + 2 * i]), lo = store_hex_digit(cursor[3 + 2 * i]);
    if (hi < 0 || lo < 0) return CASUS_EBAD_REQUEST;
    pos[i] = (uint8_t)(hi << 4 | lo);
  }
  if (*pos_len == 0) return 0;
  skip = store_plan_timed(p) ? STORE_SEQ_BYTES : 0;
  if (*pos_len < skip) return CASUS_EBAD_REQUEST;
  /* The id part: no NUL but a last one ("just after"), within the id limit. */
  nul = memchr(pos + skip, '\0', *pos_len - skip);
  if (nul != NULL && nul != pos + *pos_len - 1) return CASUS_EBAD_REQUEST;
  id_len = *pos_len - skip - (nul != NULL ? 1 : 0);
  return id_len > LIMIT_ID_BYTES_MAX ? CASUS_EBAD_REQUEST : 0;
}

static void store_cursor_encode(const store_plan_t *p, const uint8_t *pos, size_t pos_len, char *out) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  CASUS_ASSERT(pos_len <= STORE_POS_BYTES_MAX);
  out[0] = p->plan;
  out[1] = ':';
  for (i = 0; i < pos_len; i++) {
    out[2 + 2 * i] = hex[pos[i] >> 4];
    out[3 + 2 * i] = hex[pos[i] & 15];
  }
  out[2 + 2 * pos_len] = '\0';
}

/* --- the query --- */

static bool store_term_ok(const char *s) {
  return s != NULL && s[0] != '\0' && strnlen(s, STORE_TERM_BYTES_MAX + 1) <= STORE_TERM_BYTES_MAX;
}

/* Checks the query against the limits and chooses its plan. */
static int store_plan_init(store_plan_t *p, store_txn_t *txn, const store_query_t *q) {
  size_t i, j;

  memset(p, 0, sizeof(*p));
  p->txn = txn;
  p->q = q;
  if (q->scopes == NULL || q->scopes_count == 0 || q->scopes_count > STORE_SCOPES_MAX ||
      q->eq_count > STORE_QUERY_EQ_MAX || q->limit == 0 || q->examine_max == 0)
    return CASUS_EINVALID_DATA;
  for (i = 0; i < q->eq_count; i++) {
    if (!store_term_ok(q->eq[i].name) || !store_term_ok(q->eq[i].value)) return CASUS_EINVALID_DATA;
    p->eq[i].name = store__str(q->eq[i].name);
    p->eq[i].value = store__str(q->eq[i].value);
  }
  for (i = 0; i < q->scopes_count; i++) {
    store_str_t s;
    if (!store_term_ok(q->scopes[i])) return CASUS_EINVALID_DATA;
    s = store__str(q->scopes[i]);
    for (j = 0; j < p->runs_count; j++)
      if (store__str_eq(p->runs[j].scope, s)) break;
    if (j == p->runs_count) p->runs[p->runs_count++].scope = s;
  }
  if (q->deadline_before_s != STORE_TIME_NONE) {
    p->plan = STORE_PLAN_DEADLINE;
    p->scan_kind = STORE_INDEX_DEADLINE;
    p->check_meta = q->eq_count > 0 || q->updated_after_s != STORE_TIME_NONE;
  } else if (q->updated_after_s != STORE_TIME_NONE) {
    p->plan = STORE_PLAN_UPDATED;
    p->scan_kind = STORE_INDEX_UPDATED;
    p->check_meta = q->eq_count > 0;
  } else {
    p->plan = STORE_PLAN_ID;
    p->streams = q->eq_count;
    p->scan_kind = q->eq_count == 0 ? STORE_INDEX_ALL : STORE_INDEX_EQ;
  }
  return 0;
}

/* Reads the case at order key pos and hands it to fn; *skipped when the
 * case is damaged or missing (fn is not called). */
static int store_query_emit(store_plan_t *p, const uint8_t *pos, size_t pos_len, store_query_fn fn, void *ud,
                            bool *skipped) {
  char id[LIMIT_ID_BYTES_MAX + 1];
  size_t skip = store_plan_timed(p) ? STORE_SEQ_BYTES : 0;
  json_t *c;
  int rc;

  CASUS_ASSERT(pos_len > skip && pos_len - skip <= LIMIT_ID_BYTES_MAX);
  memcpy(id, pos + skip, pos_len - skip);
  id[pos_len - skip] = '\0';
  *skipped = false;
  rc = store_case_get(p->txn, id, &c);
  if (rc < 0 && store_case_skippable(p, rc)) {
    store_skip_log(store__str(id),
                   rc == CASUS_ENOT_FOUND
                       ? "is named by an index entry but does not exist"
                       : "is damaged (its record does not parse, or does not match its index "
                         "record)",
                   false);
    *skipped = true;
    return 0;
  }
  if (rc < 0) return rc;
  rc = fn(c, ud);
  json_decref(c);
  return rc;
}

/* Merges the runs: emits the lowest head while no searching run could still
 * find a lower one, and stops at the limit, at the end, or when the budget
 * leaves a run searching. */
static int store_query_merge(store_plan_t *p, store_query_fn fn, void *ud, char *next_cursor) {
  size_t emitted = 0, i;

  for (;;) {
    store_run_t *head = NULL, *front = NULL;
    uint8_t m[STORE_POS_BYTES_MAX];
    size_t m_len;
    bool skipped;
    int rc;

    for (i = 0; i < p->runs_count; i++) {
      store_run_t *r = &p->runs[i];
      if (r->state == STORE_RUN_SEARCH) {
        rc = store_run_advance(p, r);
        if (rc < 0) return rc;
      }
      if (r->state == STORE_RUN_HEAD &&
          (head == NULL || store_pos_cmp(r->pos, r->pos_len, head->pos, head->pos_len) < 0))
        head = r;
      if (r->state == STORE_RUN_SEARCH &&
          (front == NULL || store_pos_cmp(r->pos, r->pos_len, front->pos, front->pos_len) < 0))
        front = r;
    }
    if (head == NULL && front == NULL) return 0; /* every run is done: no more pages */
    if (head == NULL ||
        (front != NULL && store_pos_cmp(front->pos, front->pos_len, head->pos, head->pos_len) <= 0)) {
      /* The budget ran out while a run may still find something lower. */
      store_cursor_encode(p, front->pos, front->pos_len, next_cursor);
      return 0;
    }
    if (emitted == p->q->limit) {
      store_cursor_encode(p, head->pos, head->pos_len, next_cursor);
      return 0;
    }
    m_len = head->pos_len;
    memcpy(m, head->pos, m_len);
    /* Every run at m moves past it, so a case seen through two scopes is emitted once. */
    for (i = 0; i < p->runs_count; i++) {
      store_run_t *r = &p->runs[i];
      if (r->state != STORE_RUN_HEAD || store_pos_cmp(r->pos, r->pos_len, m, m_len) != 0) continue;
      r->pos[r->pos_len++] = '\0';
      r->state = STORE_RUN_SEARCH;
    }
    rc = store_query_emit(p, m, m_len, fn, ud, &skipped);
    if (rc < 0) return rc;
    if (skipped) continue;
    emitted++;
    if (rc > 0) {
      m[m_len++] = '\0';
      store_cursor_encode(p, m, m_len, next_cursor);
      return 0;
    }
  }
}

int store_case_query(store_txn_t *txn, const store_query_t *q, store_query_fn fn, void *ud, char *next_cursor,
                     size_t next_cursor_size) {
  store_plan_t p;
  uint8_t start[STORE_POS_BYTES_MAX];
  size_t start_len = 0, i;
  int rc;

  if (next_cursor == NULL || next_cursor_size < STORE_CURSOR_BYTES_MAX) return CASUS_EINVALID_DATA;
  rc = store_plan_init(&p, txn, q);
  /* Decoded before next_cursor is written: the caller may pass one buffer for both. */
  if (rc == 0 && q->cursor != NULL && q->cursor[0] != '\0')
    rc = store_cursor_decode(&p, q->cursor, start, &start_len);
  next_cursor[0] = '\0';
  if (rc < 0) return rc;
  if (txn->err < 0) return txn->err;
  if (p.plan == STORE_PLAN_UPDATED) {
    /* updated_s > T: start at T + 1, or at the cursor when that is later. */
    store_key_t k;
    if (q->updated_after_s == INT64_MAX) return 0;
    store__key_init(&k);
    store__key_add_time(&k, q->updated_after_s + 1);
    if (store_pos_cmp(start, start_len, k.bytes, k.len) < 0) {
      memcpy(start, k.bytes, k.len);
      start_len = k.len;
    }
  }

  for (i = 0; i < p.runs_count && rc == 0; i++) {
    p.runs[i].state = STORE_RUN_SEARCH;
    memcpy(p.runs[i].pos, start, start_len);
    p.runs[i].pos_len = start_len;
    rc = store__cursor_open(txn, STORE_DB_SINDEX, &p.runs[i].cur);
  }
  if (rc == 0) rc = store_query_merge(&p, fn, ud, next_cursor);
  for (i = 0; i < p.runs_count; i++)
    if (p.runs[i].cur != NULL) mdb_cursor_close(p.runs[i].cur);
  store_query_examined_total += p.examined;
  if (rc < 0) next_cursor[0] = '\0';
  return rc;
}

int store_case_scoped(store_txn_t *txn, const char *id, const char *const *scopes, size_t scopes_count) {
  MDB_cursor *cur;
  store_key_t k;
  size_t i;
  int rc, mrc = MDB_NOTFOUND;

  if (txn->err < 0) return txn->err;
  if (!store__id_ok(id) || scopes_count > STORE_SCOPES_MAX) return CASUS_EINVALID_DATA;
  for (i = 0; i < scopes_count; i++)
    if (!store_term_ok(scopes[i])) return CASUS_EINVALID_DATA;
  rc = store__cursor_open(txn, STORE_DB_SINDEX, &cur);
  if (rc < 0) return rc;
  for (i = 0; i < scopes_count && mrc == MDB_NOTFOUND; i++) {
    MDB_val key, val;
    store__index_key(&k, store__str(scopes[i]), STORE_INDEX_ALL, NULL);
    key = store__key_val(&k);
    val.mv_data = (void *)id; /* an input; LMDB does not write through it */
    val.mv_size = strlen(id);
    mrc = mdb_cursor_get(cur, &key, &val, MDB_GET_BOTH);
  }
  mdb_cursor_close(cur);
  if (mrc == MDB_NOTFOUND) return 0;
  rc = store__txn_mdb(txn, mrc, "case scoped");
  return rc < 0 ? rc : 1;
}
