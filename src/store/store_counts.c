/*
 * store_counts.c -- the counts database: the numbers /metrics shows as
 * gauges, kept in the same write transaction as the records they count, so
 * that a scrape reads a handful of keys and never scans cases or inboxes.
 *
 *   'c' status NUL region -> n   cases per status and region
 *   't' kind              -> n   open tasks (inbox items of type "task") per kind
 *   'o' kind              -> n   open tasks a missed deadline raised, per deadline kind
 *   'L' case id           -> status NUL region   what the case is counted under
 *
 * n is 8 bytes big-endian.  A count that falls to 0 keeps its key, so that
 * its series stays at 0 instead of vanishing from a scrape; the keys are
 * bounded by the charts' statuses and kinds and the configured regions.
 *
 * One function changes each count: store_count_case (called by
 * store_case_put) and store_count_task (called by the inbox's add, close and
 * mark-read).  Whatever else creates or destroys a case or an open task
 * (casusd purge) must call them too.
 *
 * A store made before the counts existed has none: meta "counts_built" is
 * missing.  The server rebuilds them once at start-up
 * (store_counts_rebuild_begin, store_count_case per case, then
 * store_counts_rebuild_finish, which counts the inbox and sets the marker).
 * An interrupted rebuild leaves the marker unset and starts over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_int.h"

#define STORE_COUNT_VALUE_BYTES 8

static void store_count_put_u64(uint8_t *p, uint64_t v) {
  int i;
  for (i = STORE_COUNT_VALUE_BYTES - 1; i >= 0; i--) {
    p[i] = (uint8_t)(v & 0xff);
    v >>= 8;
  }
}

/* Builds the key of a count: its kind byte, then label (and, for cases,
 * NUL and label2).  Check k->overflow. */
static void store_count_key(store_key_t *k, char kind, const char *label, const char *label2) {
  store__key_init(k);
  store__key_add(k, &kind, 1);
  store__key_add_str(k, label);
  if (label2 != NULL) {
    store__key_add_nul(k);
    store__key_add_str(k, label2);
  }
}

/* Adds delta to the count under k (a missing count is 0).  A count that
 * would fall below 0 stays at 0 and is described on stderr: casusd verify
 * reports the difference. */
static int store_count_adjust(store_txn_t *txn, store_key_t *k, int64_t delta) {
  uint8_t buf[STORE_COUNT_VALUE_BYTES];
  MDB_val val;
  uint64_t n = 0;
  int rc = store__raw_get(txn, STORE_DB_COUNTS, k, &val);
  if (rc < 0 && rc != CASUS_ENOT_FOUND) return rc;
  if (rc == 0) {
    if (val.mv_size != STORE_COUNT_VALUE_BYTES) return CASUS_ESTORE_CORRUPT;
    n = store__u64_from_be(val.mv_data);
  }
  if (delta < 0 && n < (uint64_t)-delta) {
    fprintf(stderr,
            "casusd: store: a count of the metrics would fall below 0; kept at 0 (run casusd verify)\n");
    n = 0;
  } else {
    n = (uint64_t)((int64_t)n + delta);
  }
  store_count_put_u64(buf, n);
  return store__raw_put(txn, STORE_DB_COUNTS, k, buf, sizeof(buf));
}

int store_count_case(store_txn_t *txn, const char *case_id, const char *status, const char *region) {
  store_key_t lk, ck;
  MDB_val val;
  uint8_t old[STORE_KEY_BYTES_MAX];
  size_t old_len = 0, new_len = 0;
  bool had;
  int rc;

  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  if (status != NULL) {
    if (region == NULL) region = "";
    store_count_key(&ck, STORE_COUNT_CASES, status, region);
    if (ck.overflow) return CASUS_EINVALID_DATA;
    new_len = ck.len - 1;
  }
  store_count_key(&lk, STORE_COUNT_CASE_LABEL, case_id, NULL);
  if (lk.overflow) return CASUS_EINVALID_DATA;

  rc = store__raw_get(txn, STORE_DB_COUNTS, &lk, &val);
  if (rc < 0 && rc != CASUS_ENOT_FOUND) return store__txn_fail(txn, rc);
  had = rc == 0;
  if (had) {
    if (val.mv_size == 0 || val.mv_size >= sizeof(old)) return store__txn_fail(txn, CASUS_ESTORE_CORRUPT);
    old_len = val.mv_size;
    memcpy(old, val.mv_data, old_len);
    /* Counted as it is already: nothing changes (most events keep the status). */
    if (status != NULL && old_len == new_len && memcmp(old, ck.bytes + 1, new_len) == 0) return 0;
  }
  if (!had && status == NULL) return 0;
  if (had) {
    store_key_t ok;
    char kind = STORE_COUNT_CASES;
    store__key_init(&ok);
    store__key_add(&ok, &kind, 1);
    store__key_add(&ok, old, old_len);
    if (ok.overflow) return store__txn_fail(txn, CASUS_ESTORE_CORRUPT);
    rc = store_count_adjust(txn, &ok, -1);
    if (rc < 0) return store__txn_fail(txn, rc);
  }
  if (status != NULL) {
    rc = store_count_adjust(txn, &ck, 1);
    if (rc == 0) rc = store__raw_put(txn, STORE_DB_COUNTS, &lk, ck.bytes + 1, new_len);
  } else {
    rc = store__raw_del(txn, STORE_DB_COUNTS, &lk);
  }
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

int store_count_task(store_txn_t *txn, const char *kind, const char *deadline, int delta) {
  store_key_t k, d;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(delta == 1 || delta == -1);
  if (txn->err < 0) return txn->err;
  store_count_key(&k, STORE_COUNT_TASKS, kind != NULL ? kind : "", NULL);
  if (deadline != NULL) store_count_key(&d, STORE_COUNT_OVERDUE, deadline, NULL);
  if (k.overflow || (deadline != NULL && d.overflow)) return CASUS_EINVALID_DATA;
  rc = store_count_adjust(txn, &k, delta);
  if (rc == 0 && deadline != NULL) rc = store_count_adjust(txn, &d, delta);
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

int store__count_decode(const MDB_val *key, const MDB_val *val, char *kind, char *label, size_t label_size,
                        char *label2, size_t label2_size, uint64_t *n) {
  const char *p = key->mv_data, *nul;
  size_t len;
  if (key->mv_size < 1 || val->mv_size != STORE_COUNT_VALUE_BYTES) return CASUS_ESTORE_CORRUPT;
  *kind = p[0];
  *n = store__u64_from_be(val->mv_data);
  p++;
  len = key->mv_size - 1;
  label2[0] = '\0';
  nul = memchr(p, '\0', len);
  if (*kind == STORE_COUNT_CASES) {
    size_t l1, l2;
    if (nul == NULL) return CASUS_ESTORE_CORRUPT;
    l1 = (size_t)(nul - p);
    l2 = len - l1 - 1;
    if (l1 >= label_size || l2 >= label2_size || memchr(nul + 1, '\0', l2) != NULL)
      return CASUS_ESTORE_CORRUPT;
    memcpy(label, p, l1);
    label[l1] = '\0';
    memcpy(label2, nul + 1, l2);
    label2[l2] = '\0';
    return 0;
  }
  if ((*kind != STORE_COUNT_TASKS && *kind != STORE_COUNT_OVERDUE) || nul != NULL || len >= label_size)
    return CASUS_ESTORE_CORRUPT;
  memcpy(label, p, len);
  label[len] = '\0';
  return 0;
}

int store_counts_each(store_txn_t *txn, store_count_fn fn, void *ud) {
  char label[STORE_KEY_BYTES_MAX + 1], label2[STORE_KEY_BYTES_MAX + 1];
  MDB_cursor *cur;
  MDB_val key, val;
  int rc = 0, mrc;

  if (txn->err < 0) return txn->err;
  _Static_assert(STORE_COUNT_CASE_LABEL < STORE_COUNT_CASES && STORE_COUNT_CASES < STORE_COUNT_OVERDUE &&
                     STORE_COUNT_OVERDUE < STORE_COUNT_TASKS,
                 "the per-case records sort before every count");
  rc = store__cursor_open(txn, STORE_DB_COUNTS, &cur);
  if (rc < 0) return rc;
  /* From the first count on: the per-case records, one per case, sort
   * before them, so a scrape never walks them. */
  {
    char first = STORE_COUNT_CASES;
    key.mv_data = &first;
    key.mv_size = 1;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  }
  for (; mrc == 0; mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    char kind;
    uint64_t n;
    store_count_t what;
    if (key.mv_size >= 1 && ((const char *)key.mv_data)[0] == STORE_COUNT_CASE_LABEL) {
      continue; /* a case's record of what it is counted under, not a count */
    }
    rc = store__count_decode(&key, &val, &kind, label, sizeof(label), label2, sizeof(label2), &n);
    if (rc < 0) break;
    what = kind == STORE_COUNT_CASES   ? STORE_COUNT_CASES_BY_STATUS
           : kind == STORE_COUNT_TASKS ? STORE_COUNT_TASKS_OPEN
                                       : STORE_COUNT_DEADLINES_OVERDUE;
    rc = fn(what, label, label2, n, ud);
    if (rc != 0) break;
  }
  mdb_cursor_close(cur);
  if (rc > 0) return 0;
  if (rc < 0) return rc;
  rc = store__txn_mdb(txn, mrc, "counts walk");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

int store_counts_entries(store_txn_t *txn, uint64_t *timers, uint64_t *idem) {
  MDB_stat s;
  int rc;
  if (txn->err < 0) return txn->err;
  rc = store__txn_mdb(txn, mdb_stat(txn->txn, txn->st->dbi[STORE_DB_TIMERS], &s), "stat timers");
  if (rc < 0) return rc;
  *timers = s.ms_entries;
  rc = store__txn_mdb(txn, mdb_stat(txn->txn, txn->st->dbi[STORE_DB_IDEM], &s), "stat idem");
  if (rc < 0) return rc;
  *idem = s.ms_entries;
  return 0;
}

bool store_counts_needed(store_t *st) {
  store_txn_t *txn;
  uint64_t built = 0;
  int rc = store_txn_begin(st, false, &txn);
  if (rc < 0) return true; /* the rebuild meets the error */
  rc = store__meta_u64_get(txn, STORE_COUNTS_META, &built);
  store_txn_abort(txn);
  return rc < 0 || built != 1;
}

int store_counts_rebuild_begin(store_txn_t *txn) {
  store_key_t k;
  int rc;
  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  /* An interrupted rebuild left some counts: start from none. */
  rc = store__txn_mdb(txn, mdb_drop(txn->txn, txn->st->dbi[STORE_DB_COUNTS], 0), "counts drop");
  if (rc < 0) return rc;
  store__meta_key(&k, STORE_COUNTS_META);
  rc = store__raw_del(txn, STORE_DB_META, &k);
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* The count an inbox item contributes: an open task counts under its kind,
 * and under its deadline's kind when a missed deadline raised it. */
int store__count_item(store_txn_t *txn, const json_t *item, int delta) {
  const char *type = json_string_value(json_object_get(item, "type"));
  if (type == NULL || strcmp(type, "task") != 0) return 0;
  return store_count_task(txn, json_string_value(json_object_get(item, "kind")),
                          json_string_value(json_object_get(item, "deadline")), delta);
}

int store_counts_rebuild_finish(store_txn_t *txn) {
  MDB_cursor *cur;
  MDB_val key, val;
  int rc = 0, mrc;
  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_INBOX, &cur);
  if (rc < 0) return rc;
  /* Writing to the counts DBI does not disturb this cursor on inbox. */
  for (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); mrc == 0;
       mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    json_t *it;
    rc = store__json_load(&val, &it);
    if (rc == CASUS_ESTORE_CORRUPT) { /* a damaged item counts for nothing; verify reports it */
      rc = 0;
      continue;
    }
    if (rc < 0) break;
    if (json_is_true(json_object_get(it, "open"))) rc = store__count_item(txn, it, 1);
    json_decref(it);
    if (rc < 0) break;
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "counts rebuild");
  if (rc == 0) rc = store__meta_u64_put(txn, STORE_COUNTS_META, 1);
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}
