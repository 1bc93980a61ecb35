/*
 * test_store.c -- the LMDB store: persistence, the timer index (R-TIME-3),
 * the history hash chain (R-AUD-1), child transactions, the inbox,
 * idempotency records, map growth ahead of need and after MDB_MAP_FULL,
 * injected full-disk commits and backups.
 *
 * Every test works in its own directory under /tmp and removes it at the end.
 * The secondary indexes and list queries: test_store_index.c.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

/* --- fixtures --- */

/* Opens a store in the subdirectory "db" of root, which store_open creates. */
static store_t *store_at(const char *root, uint64_t map_bytes) {
  char dir[128];
  store_t *st = NULL;
  snprintf(dir, sizeof(dir), "%s/db", root);
  ASSERT_EQ(store_open(&st, dir, map_bytes), 0);
  ASSERT_NOT_NULL(st);
  return st;
}

static json_t *json_parse(const char *text) {
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  if (j == NULL) TEST__FAIL("bad JSON in test: %s: %s", text, jerr.text);
  return j;
}

/* store_case_put of a case given as JSON: its "id", its compact text and
 * its "timers", with no index terms (tests/unit/store/test_store_index.c
 * tests those). */
static int case_put(store_txn_t *txn, const json_t *c) {
  store_case_rec_t rec;
  char *s = json_dumps(c, JSON_COMPACT);
  int rc;
  ASSERT_NOT_NULL(s);
  memset(&rec, 0, sizeof(rec));
  rec.id = json_string_value(json_object_get(c, "id"));
  rec.json = s;
  rec.json_bytes = strlen(s);
  rec.timers = json_object_get(c, "timers");
  rec.deadline_s = STORE_TIME_NONE;
  rec.updated_s = STORE_TIME_NONE;
  rc = store_case_put(txn, &rec);
  free(s);
  return rc;
}

/* Puts the case given as JSON text in its own write transaction. */
static void case_put_text(store_t *st, const char *text) {
  store_txn_t *txn;
  json_t *c = json_parse(text);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(case_put(txn, c), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(c);
}

/* The stored case's member `name` as a string ("" when absent). */
static void case_member(store_t *st, const char *id, const char *name, char *out, size_t out_size) {
  store_txn_t *txn;
  json_t *c;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_get(txn, id, &c), 0);
  snprintf(out, out_size, "%s",
           json_string_value(json_object_get(c, name)) ? json_string_value(json_object_get(c, name)) : "");
  json_decref(c);
  store_txn_abort(txn);
}

static int case_exists(store_t *st, const char *id) {
  store_txn_t *txn;
  json_t *c = NULL;
  int rc;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_case_get(txn, id, &c);
  json_decref(c);
  store_txn_commit(txn);
  if (rc == CASUS_ENOT_FOUND) return 0;
  ASSERT_EQ(rc, 0);
  return 1;
}

typedef struct {
  int64_t due_s;
  char case_id[LIMIT_ID_BYTES_MAX + 1];
  char name[LIMIT_ID_BYTES_MAX + 1];
} first_timer_t;

/* The earliest timer, or CASUS_ENOT_FOUND. */
static int timer_first(store_t *st, first_timer_t *t) {
  store_txn_t *txn;
  int rc;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_timer_first(txn, &t->due_s, t->case_id, sizeof(t->case_id), t->name, sizeof(t->name));
  store_txn_abort(txn);
  return rc;
}

/* Fires the earliest timer the way the timer module will: remove it from its
 * case and put the case back, which must drop it from the index. */
static int timer_pop(store_t *st, first_timer_t *t) {
  store_txn_t *txn;
  json_t *c;
  int rc = timer_first(st, t);
  if (rc < 0) return rc;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_get(txn, t->case_id, &c), 0);
  ASSERT_EQ(json_object_del(json_object_get(c, "timers"), t->name), 0);
  ASSERT_EQ(case_put(txn, c), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(c);
  return 0;
}

static size_t history_key(char *key, const char *case_id, uint64_t seq) {
  size_t n = strlen(case_id);
  int i;
  memcpy(key, case_id, n + 1);
  for (i = 7; i >= 0; i--) {
    key[n + 1 + (size_t)i] = (char)(seq & 0xff);
    seq >>= 8;
  }
  return n + 1 + 8;
}

/* --- open, reopen, schema --- */

/* A case id is "c-" and 16 hex digits. */
static void assert_random_id(const char *id) {
  size_t i;
  ASSERT_EQ(strlen(id), 18);
  ASSERT(id[0] == 'c' && id[1] == '-');
  for (i = 2; i < 18; i++) ASSERT(strchr("0123456789abcdef", id[i]) != NULL);
}

TEST(open_reopen_persists) {
  char root[64], id[STORE_CASE_ID_BYTES], first[STORE_CASE_ID_BYTES], got[64];
  store_t *st;
  store_txn_t *txn;
  json_t *c;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), 0);
  assert_random_id(id);
  snprintf(first, sizeof(first), "%s", id);
  c = json_pack("{s:s, s:s}", "id", id, "state", "aangemeld");
  ASSERT_EQ(case_put(txn, c), 0);
  json_decref(c);
  ASSERT_EQ(store_txn_commit(txn), 0);
  store_close(st);

  st = store_at(root, 0);
  case_member(st, first, "state", got, sizeof(got));
  ASSERT_STR_EQ(got, "aangemeld");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), 0);
  assert_random_id(id);
  ASSERT(strcmp(id, first) != 0);
  ASSERT_EQ(store_case_next_id(txn, id, STORE_CASE_ID_BYTES - 1), CASUS_EINVALID_DATA);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* Case ids are random (64 bits): they reveal no count of cases.  A drawn id
 * that a case has, committed or earlier in the same transaction, is drawn
 * again; a random source that fails, or keeps giving taken ids, is an
 * error (CASUS_EIO), never a reused id. */
TEST(case_ids_random_and_unique) {
  static const uint8_t draws[] = {0,    0,    0, 0, 0, 0, 0, 1, /* c-0000000000000001 */
                                  0,    0,    0, 0, 0, 0, 0, 1, /* taken: drawn again */
                                  0xab, 0xcd, 0, 0, 0, 0, 0, 2};
  uint8_t taken[8 * STORE_CASE_ID_ATTEMPTS_MAX];
  char root[64], id[STORE_CASE_ID_BYTES], seen[64][STORE_CASE_ID_BYTES];
  store_t *st;
  store_txn_t *txn;
  json_t *c;
  int i, j;

  tmpdir_make(root);
  st = store_at(root, 0);
  /* Without the hook: distinct random ids. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < 64; i++) {
    ASSERT_EQ(store_case_next_id(txn, seen[i], sizeof(seen[i])), 0);
    assert_random_id(seen[i]);
    for (j = 0; j < i; j++) ASSERT(strcmp(seen[i], seen[j]) != 0);
  }
  store_txn_abort(txn);
  /* With it: a taken id is drawn again. */
  store_debug_random(st, draws, sizeof(draws));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), 0);
  ASSERT_STR_EQ(id, "c-0000000000000001");
  c = json_pack("{s:s}", "id", id);
  ASSERT_EQ(case_put(txn, c), 0); /* not committed yet: the transaction sees it */
  json_decref(c);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), 0);
  ASSERT_STR_EQ(id, "c-abcd000000000002");
  /* The source runs dry: an error, and the transaction stays usable. */
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), CASUS_EIO);
  ASSERT_EQ(store_txn_commit(txn), 0);
  /* Every draw taken: an error after STORE_CASE_ID_ATTEMPTS_MAX tries. */
  for (i = 0; i < STORE_CASE_ID_ATTEMPTS_MAX; i++) memcpy(taken + 8 * i, draws, 8);
  store_debug_random(st, taken, sizeof(taken));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), CASUS_EIO);
  store_txn_abort(txn);
  store_debug_random(st, NULL, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), 0);
  assert_random_id(id);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* The pseudonym secret (R-PRIV-1) is made once and stays the same. */
TEST(secret_made_once_and_stable) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  uint8_t a[STORE_SECRET_BYTES], b[STORE_SECRET_BYTES], zero[STORE_SECRET_BYTES] = {0};
  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_secret_get(txn, a), 0);
  store_txn_abort(txn);
  store_close(st);
  ASSERT(memcmp(a, zero, sizeof(a)) != 0);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_secret_get(txn, b), 0);
  store_txn_abort(txn);
  store_close(st);
  ASSERT(memcmp(a, b, sizeof(a)) == 0);
  tmpdir_remove(root);
}

TEST(open_creates_missing_parents) {
  char root[64], dir[128];
  store_t *st = NULL;
  tmpdir_make(root);
  snprintf(dir, sizeof(dir), "%s/a/b/c", root);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* Stores `value` as the schema version of a fresh store; reopening it must be refused as corrupt. */
static void assert_schema_version_refused(const char *value) {
  char root[64], dir[128];
  store_t *st;
  store_txn_t *txn;

  tmpdir_make(root);
  snprintf(dir, sizeof(dir), "%s/db", root);
  /* The current version is accepted on reopen. */
  st = store_at(root, 0);
  store_close(st);
  st = store_at(root, 0);

  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "meta", "schema_version", 14, value, strlen(value)), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  store_close(st);
  st = NULL;
  ASSERT_EQ(store_open(&st, dir, 0), CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(st);
  tmpdir_remove(root);
}

TEST(schema_version_newer_is_refused) {
  assert_schema_version_refused("3");
}

TEST(schema_version_garbage_is_refused) {
  assert_schema_version_refused("one");
}

/* --- cases --- */

typedef struct {
  char ids[16][16];
  int n;
  int stop_after;
  int error_after;
} scan_acc_t;

static int scan_cb(const json_t *c, void *ud) {
  scan_acc_t *acc = ud;
  if (acc->n < 16)
    snprintf(acc->ids[acc->n], sizeof(acc->ids[0]), "%s", json_string_value(json_object_get(c, "id")));
  acc->n++;
  if (acc->error_after && acc->n == acc->error_after) return CASUS_EINTERNAL;
  return acc->stop_after && acc->n == acc->stop_after ? 1 : 0;
}

static void scan(store_t *st, const char *after, scan_acc_t *acc, int want_rc) {
  store_txn_t *txn;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_scan(txn, after, scan_cb, acc), want_rc);
  store_txn_abort(txn);
}

TEST(case_scan_order_and_after_id) {
  char root[64];
  store_t *st;
  scan_acc_t acc;

  tmpdir_make(root);
  st = store_at(root, 0);
  /* Put out of order; the scan returns id order. */
  case_put_text(st, "{\"id\": \"c-000003\"}");
  case_put_text(st, "{\"id\": \"c-000001\"}");
  case_put_text(st, "{\"id\": \"c-000002\"}");
  case_put_text(st, "{\"id\": \"c-000010\"}");

  memset(&acc, 0, sizeof(acc));
  scan(st, NULL, &acc, 0);
  ASSERT_EQ(acc.n, 4);
  ASSERT_STR_EQ(acc.ids[0], "c-000001");
  ASSERT_STR_EQ(acc.ids[1], "c-000002");
  ASSERT_STR_EQ(acc.ids[2], "c-000003");
  ASSERT_STR_EQ(acc.ids[3], "c-000010");

  /* after_id is exclusive. */
  memset(&acc, 0, sizeof(acc));
  scan(st, "c-000002", &acc, 0);
  ASSERT_EQ(acc.n, 2);
  ASSERT_STR_EQ(acc.ids[0], "c-000003");

  /* An after_id that is not a stored case starts at the next one. */
  memset(&acc, 0, sizeof(acc));
  scan(st, "c-000004", &acc, 0);
  ASSERT_EQ(acc.n, 1);
  ASSERT_STR_EQ(acc.ids[0], "c-000010");

  memset(&acc, 0, sizeof(acc));
  scan(st, "c-000010", &acc, 0);
  ASSERT_EQ(acc.n, 0);

  memset(&acc, 0, sizeof(acc));
  scan(st, "", &acc, 0);
  ASSERT_EQ(acc.n, 4);

  /* A positive return stops quietly; a negative one is the scan's error. */
  memset(&acc, 0, sizeof(acc));
  acc.stop_after = 2;
  scan(st, NULL, &acc, 0);
  ASSERT_EQ(acc.n, 2);
  memset(&acc, 0, sizeof(acc));
  acc.error_after = 3;
  scan(st, NULL, &acc, CASUS_EINTERNAL);
  ASSERT_EQ(acc.n, 3);

  store_close(st);
  tmpdir_remove(root);
}

TEST(case_get_missing_and_corrupt) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *c = NULL;
  scan_acc_t acc;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_get(txn, "c-000001", &c), CASUS_ENOT_FOUND);
  ASSERT_NULL(c);
  ASSERT_EQ(store_debug_put_raw(txn, "cases", "c-000001", 8, "{not json", 9), 0);
  /* Valid JSON, but it names another case than its key. */
  ASSERT_EQ(store_debug_put_raw(txn, "cases", "c-000002", 8, "{\"id\":\"c-000009\"}", 17), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "cases", "c-000003", 8, "[1]", 3), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_get(txn, "c-000001", &c), CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_case_get(txn, "c-000002", &c), CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_case_get(txn, "c-000003", &c), CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(c);
  store_txn_abort(txn);
  memset(&acc, 0, sizeof(acc));
  scan(st, NULL, &acc, CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(acc.n, 0);

  /* Putting over a damaged record is refused, since its timers are unknown. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  c = json_parse("{\"id\": \"c-000001\"}");
  ASSERT_EQ(case_put(txn, c), CASUS_ESTORE_CORRUPT);
  json_decref(c);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* --- timers (R-TIME-3) --- */

TEST(timers_reindex_on_change_and_removal) {
  char root[64];
  store_t *st;
  first_timer_t t;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(timer_first(st, &t), CASUS_ENOT_FOUND);

  case_put_text(st, "{\"id\": \"c-1\", \"timers\": {\"t1\": {\"due_s\": 100}, \"t2\": {\"due_s\": 50}}}");
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_EQ(t.due_s, 50);
  ASSERT_STR_EQ(t.case_id, "c-1");
  ASSERT_STR_EQ(t.name, "t2");

  /* t2 removed and t1 moved later: the old keys must go. */
  case_put_text(st, "{\"id\": \"c-1\", \"timers\": {\"t1\": {\"due_s\": 200, \"event\": \"verlopen\"}}}");
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_EQ(t.due_s, 200);
  ASSERT_STR_EQ(t.name, "t1");

  /* A negative due time sorts before every positive one. */
  case_put_text(st, "{\"id\": \"c-2\", \"timers\": {\"x\": {\"due_s\": -5}}}");
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_EQ(t.due_s, -5);
  ASSERT_STR_EQ(t.case_id, "c-2");
  ASSERT_STR_EQ(t.name, "x");

  /* A case without "timers" (or with null) drops all its index keys. */
  case_put_text(st, "{\"id\": \"c-2\"}");
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_STR_EQ(t.case_id, "c-1");
  case_put_text(st, "{\"id\": \"c-1\", \"timers\": null}");
  ASSERT_EQ(timer_first(st, &t), CASUS_ENOT_FOUND);

  store_close(st);
  tmpdir_remove(root);
}

TEST(timers_fire_in_due_order_across_cases) {
  static const struct {
    int64_t due_s;
    const char *case_id;
    const char *name;
  } want[] = {
      {INT64_MIN, "c-b", "oldest"},
      {-3600, "c-a", "early"},
      {-1, "c-c", "m1"},
      {0, "c-b", "zero"},
      {1, "c-a", "one"},
      {7, "c-a", "same1"},
      {7, "c-c", "same2"},
      {10000000000LL, "c-b", "far"},
      {INT64_MAX, "c-c", "never"},
  };
  char root[64];
  store_t *st;
  first_timer_t t;
  size_t i;

  tmpdir_make(root);
  st = store_at(root, 0);
  case_put_text(st,
                "{\"id\": \"c-a\", \"timers\": {\"one\": {\"due_s\": 1}, \"early\": {\"due_s\": -3600},"
                " \"same1\": {\"due_s\": 7}}}");
  case_put_text(st,
                "{\"id\": \"c-b\", \"timers\": {\"far\": {\"due_s\": 10000000000}, \"zero\": {\"due_s\": 0},"
                " \"oldest\": {\"due_s\": -9223372036854775808}}}");
  case_put_text(st,
                "{\"id\": \"c-c\", \"timers\": {\"never\": {\"due_s\": 9223372036854775807},"
                " \"m1\": {\"due_s\": -1}, \"same2\": {\"due_s\": 7}}}");
  for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    ASSERT_EQ(timer_pop(st, &t), 0);
    ASSERT_EQ(t.due_s, want[i].due_s);
    ASSERT_STR_EQ(t.case_id, want[i].case_id);
    ASSERT_STR_EQ(t.name, want[i].name);
  }
  ASSERT_EQ(timer_first(st, &t), CASUS_ENOT_FOUND);
  store_close(st);
  tmpdir_remove(root);
}

/* R-TIME-3: the index is durable; a reopened store neither loses nor
 * doubles a timer. */
TEST(timers_survive_reopen) {
  char root[64];
  store_t *st;
  first_timer_t t;
  int n = 0;

  tmpdir_make(root);
  st = store_at(root, 0);
  case_put_text(st, "{\"id\": \"c-1\", \"timers\": {\"a\": {\"due_s\": 30}, \"b\": {\"due_s\": 20}}}");
  case_put_text(st, "{\"id\": \"c-2\", \"timers\": {\"c\": {\"due_s\": 10}}}");
  /* Re-putting the same case does not duplicate its timers. */
  case_put_text(st, "{\"id\": \"c-2\", \"timers\": {\"c\": {\"due_s\": 10}}}");
  store_close(st);

  st = store_at(root, 0);
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_EQ(t.due_s, 10);
  ASSERT_STR_EQ(t.case_id, "c-2");
  while (timer_pop(st, &t) == 0) n++;
  ASSERT_EQ(n, 3);
  store_close(st);
  tmpdir_remove(root);
}

TEST(timers_invalid_are_rejected) {
  char root[64], name[16];
  store_t *st;
  store_txn_t *txn;
  json_t *c, *timers;
  first_timer_t t;
  int i;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  timers = json_object();
  for (i = 0; i < LIMIT_TIMERS_PER_CASE_MAX + 1; i++) {
    snprintf(name, sizeof(name), "t%d", i);
    json_object_set_new(timers, name, json_pack("{s:I}", "due_s", (json_int_t)i));
  }
  c = json_pack("{s:s, s:o}", "id", "c-1", "timers", timers);
  ASSERT_EQ(case_put(txn, c), CASUS_EINVALID_DATA);
  /* Exactly the limit is fine, and the rejection left the txn usable. */
  json_object_del(timers, "t0");
  ASSERT_EQ(case_put(txn, c), 0);
  json_decref(c);

  c = json_parse("{\"id\": \"c-2\", \"timers\": {\"t\": {\"due_s\": \"tomorrow\"}}}");
  ASSERT_EQ(case_put(txn, c), CASUS_EINVALID_DATA);
  json_decref(c);
  c = json_parse("{\"id\": \"c-2\", \"timers\": [1]}");
  ASSERT_EQ(case_put(txn, c), CASUS_EINVALID_DATA);
  json_decref(c);
  c = json_parse("{\"id\": \"\"}");
  ASSERT_EQ(case_put(txn, c), CASUS_EINVALID_DATA);
  json_decref(c);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_EQ(t.due_s, 1);
  ASSERT_EQ(case_exists(st, "c-2"), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* --- history (R-AUD-1) --- */

/* A head for a case with no entries yet. */
static store_history_head_t head_empty(void) {
  store_history_head_t h;
  h.seq = 0;
  memset(h.hash, '0', STORE_HASH_HEX_BYTES - 1);
  h.hash[STORE_HASH_HEX_BYTES - 1] = '\0';
  return h;
}

static store_history_head_t head_unknown(void) {
  store_history_head_t h;
  memset(&h, 0, sizeof(h));
  h.seq = STORE_HISTORY_SEQ_UNKNOWN;
  return h;
}

static json_t *history_entry(int i) {
  return json_pack("{s:s, s:s, s:s, s:s, s:{s:i}, s:s, s:s}", "time", "2025-03-01T10:00:00+01:00", "actor",
                   "cr-1", "role", "casusregisseur", "event", i == 0 ? "aanmelden" : "wijzigen", "data", "n",
                   i, "from", "a", "to", "b");
}

/* Five entries, three of c-000001 and two of c-000002, interleaved; each
 * case's head is carried from one append to the next, as the API does. */
static void history_fill(store_t *st, char hashes[5][STORE_HASH_HEX_BYTES]) {
  static const char *const cases[5] = {"c-000001", "c-000002", "c-000001", "c-000001", "c-000002"};
  static const uint64_t seqs[5] = {1, 1, 2, 3, 2};
  store_history_head_t heads[2];
  store_txn_t *txn;
  int i;

  heads[0] = head_empty();
  heads[1] = head_empty();
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < 5; i++) {
    store_history_head_t *h = &heads[cases[i][7] - '1'];
    char prev[STORE_HASH_HEX_BYTES];
    json_t *e = history_entry(i);
    memcpy(prev, h->hash, sizeof(prev));
    ASSERT_EQ(store_history_append(txn, cases[i], e, h), 0);
    ASSERT_EQ(h->seq, seqs[i]);
    memcpy(hashes[i], h->hash, STORE_HASH_HEX_BYTES);
    /* The entry gained its place in the chain, not its hash. */
    ASSERT_EQ(json_integer_value(json_object_get(e, "seq")), (json_int_t)seqs[i]);
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "prev_hash")), prev);
    ASSERT_NULL(json_object_get(e, "hash"));
    json_decref(e);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
}

TEST(history_chain_list_verify) {
  char root[64], problem[256];
  char hashes[5][STORE_HASH_HEX_BYTES], hex[STORE_HASH_HEX_BYTES];
  store_t *st;
  store_txn_t *txn;
  json_t *list, *e;
  uint64_t entries = 0;
  size_t i;

  tmpdir_make(root);
  st = store_at(root, 0);
  history_fill(st, hashes);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_history_list(txn, "c-000001", 100, &list), 0);
  ASSERT_EQ(json_array_size(list), 3);
  json_array_foreach(list, i, e) {
    const char *prev = json_string_value(json_object_get(e, "prev_hash"));
    ASSERT_EQ(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "actor")), "cr-1");
    if (i == 0)
      ASSERT_STR_EQ(prev, "0000000000000000000000000000000000000000000000000000000000000000");
    else
      ASSERT_STR_EQ(prev, json_string_value(json_object_get(json_array_get(list, i - 1), "hash")));
    /* The hash is reproducible from the entry itself. */
    ASSERT_EQ(store_history_hash(e, hex), 0);
    ASSERT_STR_EQ(hex, json_string_value(json_object_get(e, "hash")));
  }
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 0), "hash")), hashes[0]);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 1), "hash")), hashes[2]);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 2), "hash")), hashes[3]);
  json_decref(list);

  ASSERT_EQ(store_history_list(txn, "c-000002", 1, &list), 0);
  ASSERT_EQ(json_array_size(list), 1);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 0), "hash")), hashes[1]);
  json_decref(list);
  /* "c-00000" is a prefix of both ids but not a case. */
  ASSERT_EQ(store_history_list(txn, "c-00000", 100, &list), 0);
  ASSERT_EQ(json_array_size(list), 0);
  json_decref(list);

  strcpy(problem, "unchanged");
  ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
  ASSERT_EQ(entries, 5);
  ASSERT_STR_EQ(problem, "");
  store_txn_abort(txn);

  /* The chain continues across a reopen. */
  store_close(st);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  e = json_pack("{s:s}", "event", "afsluiten");
  {
    /* A caller without the head: the store finds it. */
    store_history_head_t h = head_unknown();
    ASSERT_EQ(store_history_append(txn, "c-000002", e, &h), 0);
    ASSERT_EQ(h.seq, 3);
    memcpy(hex, h.hash, sizeof(hex));
  }
  json_decref(e);
  ASSERT_EQ(store_history_list(txn, "c-000002", 100, &list), 0);
  ASSERT_EQ(json_array_size(list), 3);
  ASSERT_EQ(json_integer_value(json_object_get(json_array_get(list, 2), "seq")), 3);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 2), "prev_hash")), hashes[4]);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 2), "hash")), hex);
  json_decref(list);
  ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
  ASSERT_EQ(entries, 6);
  ASSERT_EQ(store_txn_commit(txn), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* Overwrites entry (case_id, seq) with `entry` as raw bytes. */
static void history_put_raw(store_t *st, const char *case_id, uint64_t seq, const json_t *entry) {
  char key[128];
  size_t klen = history_key(key, case_id, seq);
  char *s = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
  store_txn_t *txn;
  ASSERT_NOT_NULL(s);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "history", key, klen, s, strlen(s)), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  free(s);
}

static json_t *history_get(store_t *st, const char *case_id, uint64_t seq) {
  store_txn_t *txn;
  json_t *list, *e;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_history_list(txn, case_id, 100, &list), 0);
  store_txn_abort(txn);
  e = json_deep_copy(json_array_get(list, seq - 1));
  json_decref(list);
  ASSERT_NOT_NULL(e);
  return e;
}

static int verify(store_t *st, char *problem, size_t problem_size) {
  store_txn_t *txn;
  uint64_t entries;
  int rc;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_history_verify(txn, problem, problem_size, &entries);
  store_txn_abort(txn);
  return rc;
}

TEST(history_tamper_detected) {
  char root[64], problem[256], hashes[5][STORE_HASH_HEX_BYTES], hex[STORE_HASH_HEX_BYTES];
  store_t *st;
  json_t *e;

  tmpdir_make(root);
  st = store_at(root, 0);
  history_fill(st, hashes);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), 0);

  /* Change what happened in entry 2 of c-000001, keeping its hash. */
  e = history_get(st, "c-000001", 2);
  json_object_set_new(e, "actor", json_string("someone-else"));
  history_put_raw(st, "c-000001", 2, e);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000001 "));
  ASSERT_NOT_NULL(strstr(problem, "seq 2:"));
  ASSERT_NOT_NULL(strstr(problem, "hash"));

  /* A forger who also recomputes entry 2's hash breaks the link from entry 3. */
  json_object_del(e, "hash");
  ASSERT_EQ(store_history_hash(e, hex), 0);
  json_object_set_new(e, "hash", json_string(hex));
  history_put_raw(st, "c-000001", 2, e);
  json_decref(e);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000001 "));
  ASSERT_NOT_NULL(strstr(problem, "seq 3:"));
  ASSERT_NOT_NULL(strstr(problem, "prev_hash"));
  store_close(st);
  tmpdir_remove(root);
}

TEST(history_gap_and_garbage_detected) {
  char root[64], problem[256], hashes[5][STORE_HASH_HEX_BYTES], key[64];
  store_t *st;
  store_txn_t *txn;
  json_t *e;
  size_t klen;

  tmpdir_make(root);
  st = store_at(root, 0);
  history_fill(st, hashes);
  /* c-000002 has seqs 1 and 2; an inserted seq 4 leaves a gap. */
  e = history_get(st, "c-000002", 2);
  json_object_set_new(e, "seq", json_integer(4));
  history_put_raw(st, "c-000002", 4, e);
  json_decref(e);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000002 "));
  ASSERT_NOT_NULL(strstr(problem, "seq 4:"));

  /* Unparsable bytes in an earlier case are the first break. */
  klen = history_key(key, "c-000001", 1);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "history", key, klen, "garbage", 7), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000001 "));
  ASSERT_NOT_NULL(strstr(problem, "seq 1:"));

  /* A damaged last entry stops appends to its case: the chain cannot go on. */
  klen = history_key(key, "c-000001", 3);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "history", key, klen, "{\"seq\":3}", 9), 0);
  e = json_pack("{s:s}", "event", "x");
  {
    store_history_head_t h = head_unknown();
    ASSERT_EQ(store_history_append(txn, "c-000001", e, &h), CASUS_ESTORE_CORRUPT);
    ASSERT_EQ(h.seq, STORE_HISTORY_SEQ_UNKNOWN);
  }
  json_decref(e);
  store_txn_abort(txn);

  /* A key without the 8-byte seq is reported as malformed. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "history", "c-000000", 9, "{}", 2), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "c-000000"));
  ASSERT_NOT_NULL(strstr(problem, "malformed"));
  store_close(st);
  tmpdir_remove(root);
}

/* The head travels with the caller: every append starts from the head the
 * previous one returned, also across transactions, and the chain it builds
 * is the one a head-less caller (the store finds the last entry) continues. */
TEST(history_head_chaining_across_appends) {
  char root[64], problem[256], hashes[5][STORE_HASH_HEX_BYTES], hex[STORE_HASH_HEX_BYTES];
  store_history_head_t head = head_empty(), unknown = head_unknown();
  store_t *st;
  store_txn_t *txn;
  json_t *list, *e;
  uint64_t entries;
  size_t i;
  int n;

  tmpdir_make(root);
  st = store_at(root, 0);
  for (n = 0; n < 4; n++) {
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    e = history_entry(n);
    ASSERT_EQ(store_history_append(txn, "c-1", e, &head), 0);
    json_decref(e);
    ASSERT_EQ(head.seq, (uint64_t)n + 1);
    memcpy(hashes[n], head.hash, STORE_HASH_HEX_BYTES);
    ASSERT_EQ(store_txn_commit(txn), 0);
  }
  /* A caller without the head continues the same chain. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  e = history_entry(4);
  ASSERT_EQ(store_history_append(txn, "c-1", e, &unknown), 0);
  json_decref(e);
  ASSERT_EQ(unknown.seq, 5);
  memcpy(hashes[4], unknown.hash, STORE_HASH_HEX_BYTES);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_history_list(txn, "c-1", 100, &list), 0);
  ASSERT_EQ(json_array_size(list), 5);
  json_array_foreach(list, i, e) {
    /* The stored entry: the caller's members, seq, prev_hash and hash. */
    ASSERT_EQ(json_object_size(e), 7 + 3);
    ASSERT_EQ(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "hash")), hashes[i]);
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "prev_hash")),
                  i == 0 ? head_empty().hash : hashes[i - 1]);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(e, "data"), "n")), (json_int_t)i);
    /* The hash stored with the entry is the hash of the entry. */
    ASSERT_EQ(store_history_hash(e, hex), 0);
    ASSERT_STR_EQ(hex, hashes[i]);
  }
  json_decref(list);
  ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
  ASSERT_EQ(entries, 5);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* Writes entry seq of case_id as an older store did: fully key-sorted, with
 * "hash" among the other members rather than last.  Returns its hash. */
static void history_put_old_form(store_t *st, const char *case_id, uint64_t seq, const char *prev_hash,
                                 char hash[STORE_HASH_HEX_BYTES]) {
  json_t *e = history_entry((int)seq);
  json_object_set_new(e, "seq", json_integer((json_int_t)seq));
  json_object_set_new(e, "prev_hash", json_string(prev_hash));
  ASSERT_EQ(store_history_hash(e, hash), 0);
  json_object_set_new(e, "hash", json_string(hash));
  history_put_raw(st, case_id, seq, e);
  json_decref(e);
}

/* R-AUD-1 across versions: a case whose entries were written before heads
 * existed is continued by a caller without a head (or with one). */
TEST(history_unknown_head_reads_older_entries) {
  char root[64], problem[256], h1[STORE_HASH_HEX_BYTES], h2[STORE_HASH_HEX_BYTES];
  char g1[STORE_HASH_HEX_BYTES];
  store_history_head_t head;
  store_t *st;
  store_txn_t *txn;
  json_t *e, *list;
  uint64_t entries;

  tmpdir_make(root);
  st = store_at(root, 0);
  history_put_old_form(st, "c-a", 1, head_empty().hash, h1);
  history_put_old_form(st, "c-a", 2, h1, h2);
  history_put_old_form(st, "c-c", 1, head_empty().hash, g1);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), 0);

  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  head = head_unknown();
  e = history_entry(3);
  ASSERT_EQ(store_history_append(txn, "c-a", e, &head), 0);
  json_decref(e);
  ASSERT_EQ(head.seq, 3);
  /* A known head whose entry is in the older form is checked as well. */
  head.seq = 1;
  memcpy(head.hash, g1, sizeof(g1));
  e = history_entry(2);
  ASSERT_EQ(store_history_append(txn, "c-c", e, &head), 0);
  json_decref(e);
  ASSERT_EQ(head.seq, 2);
  /* c-b sorts between two cases with entries but has none itself. */
  head = head_unknown();
  e = history_entry(1);
  ASSERT_EQ(store_history_append(txn, "c-b", e, &head), 0);
  ASSERT_STR_EQ(json_string_value(json_object_get(e, "prev_hash")), head_empty().hash);
  json_decref(e);
  ASSERT_EQ(head.seq, 1);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_history_list(txn, "c-a", 100, &list), 0);
  ASSERT_EQ(json_array_size(list), 3);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 2), "prev_hash")), h2);
  json_decref(list);
  ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
  ASSERT_EQ(entries, 6);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* Appends entry n to case_id with head *h in a new transaction; returns the
 * result, and checks that a refusal left the transaction unusable. */
static int history_append_with(store_t *st, const char *case_id, store_history_head_t *h) {
  store_txn_t *txn;
  json_t *e = history_entry(9);
  int rc;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  rc = store_history_append(txn, case_id, e, h);
  if (rc == 0) {
    ASSERT_EQ(store_txn_commit(txn), 0);
  } else {
    ASSERT_EQ(store_history_append(txn, case_id, e, h), rc);
    store_txn_abort(txn);
  }
  json_decref(e);
  return rc;
}

/* A head that does not match the chain never overwrites or forks it. */
TEST(history_stale_head_refused) {
  char root[64], problem[256], hashes[5][STORE_HASH_HEX_BYTES];
  store_history_head_t h;
  store_t *st;
  store_txn_t *txn;
  json_t *list;
  uint64_t entries;

  tmpdir_make(root);
  st = store_at(root, 0);
  history_fill(st, hashes); /* c-000001: seqs 1..3 (hashes 0, 2, 3) */

  /* Behind the chain: seq 2 exists, so entry 3 would be overwritten. */
  h.seq = 2;
  memcpy(h.hash, hashes[2], STORE_HASH_HEX_BYTES);
  ASSERT_EQ(history_append_with(st, "c-000001", &h), CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(h.seq, 2); /* unchanged on error */
  ASSERT_STR_EQ(h.hash, hashes[2]);
  /* An empty head for a case that has entries. */
  h = head_empty();
  ASSERT_EQ(history_append_with(st, "c-000001", &h), CASUS_ESTORE_CORRUPT);
  /* Beyond the chain: there is no seq 5 to follow. */
  h.seq = 5;
  memcpy(h.hash, hashes[3], STORE_HASH_HEX_BYTES);
  ASSERT_EQ(history_append_with(st, "c-000001", &h), CASUS_ESTORE_CORRUPT);
  /* The right seq with another entry's hash. */
  h.seq = 3;
  memcpy(h.hash, hashes[2], STORE_HASH_HEX_BYTES);
  ASSERT_EQ(history_append_with(st, "c-000001", &h), CASUS_ESTORE_CORRUPT);
  /* Seq 0 must come with the zero hash; a hash must be 64 hex digits. */
  h.seq = 0;
  memcpy(h.hash, hashes[0], STORE_HASH_HEX_BYTES);
  ASSERT_EQ(history_append_with(st, "c-000009", &h), CASUS_ESTORE_CORRUPT);
  h.seq = 3;
  memcpy(h.hash, hashes[3], STORE_HASH_HEX_BYTES);
  h.hash[10] = 'X';
  ASSERT_EQ(history_append_with(st, "c-000001", &h), CASUS_ESTORE_CORRUPT);

  /* Nothing was written; the right head still works. */
  ASSERT_EQ(verify(st, problem, sizeof(problem)), 0);
  h.seq = 3;
  memcpy(h.hash, hashes[3], STORE_HASH_HEX_BYTES);
  ASSERT_EQ(history_append_with(st, "c-000001", &h), 0);
  ASSERT_EQ(h.seq, 4);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_history_list(txn, "c-000001", 100, &list), 0);
  ASSERT_EQ(json_array_size(list), 4);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 2), "hash")), hashes[3]);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 3), "prev_hash")), hashes[3]);
  json_decref(list);
  ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
  ASSERT_EQ(entries, 6);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* Puts case id with the head "history": head_json (NULL: no head). */
static void case_put_head(store_t *st, const char *id, const char *head_json) {
  char text[512];
  if (head_json == NULL)
    snprintf(text, sizeof(text), "{\"id\": \"%s\"}", id);
  else
    snprintf(text, sizeof(text), "{\"id\": \"%s\", \"history\": %s}", id, head_json);
  case_put_text(st, text);
}

/* R-AUD-1: the head a case record keeps must be its chain's last entry. */
TEST(history_verify_checks_case_heads) {
  char root[64], problem[256], hashes[5][STORE_HASH_HEX_BYTES], head[256];
  store_t *st;

  tmpdir_make(root);
  st = store_at(root, 0);
  history_fill(st, hashes); /* c-000001: 3 entries, c-000002: 2 */
  snprintf(head, sizeof(head), "{\"seq\": 3, \"hash\": \"%s\"}", hashes[3]);
  case_put_head(st, "c-000001", head);
  case_put_head(st, "c-000002", NULL); /* a record from before heads */
  snprintf(head, sizeof(head), "{\"seq\": 0, \"hash\": \"%s\"}", head_empty().hash);
  case_put_head(st, "c-000003", head); /* no entries yet */
  ASSERT_EQ(verify(st, problem, sizeof(problem)), 0);

  /* A head one entry behind (an entry appended without its case). */
  snprintf(head, sizeof(head), "{\"seq\": 2, \"hash\": \"%s\"}", hashes[2]);
  case_put_head(st, "c-000001", head);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000001 "));
  ASSERT_NOT_NULL(strstr(problem, "seq 2:"));
  ASSERT_NOT_NULL(strstr(problem, "head"));

  /* The right seq with a tampered hash. */
  snprintf(head, sizeof(head), "{\"seq\": 3, \"hash\": \"%s\"}", hashes[2]);
  case_put_head(st, "c-000001", head);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000001 "));
  ASSERT_NOT_NULL(strstr(problem, "hash"));

  /* A malformed head. */
  case_put_head(st, "c-000001", "{\"seq\": \"3\"}");
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "malformed"));

  /* Repaired, then a head for entries that do not exist. */
  snprintf(head, sizeof(head), "{\"seq\": 3, \"hash\": \"%s\"}", hashes[3]);
  case_put_head(st, "c-000001", head);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), 0);
  snprintf(head, sizeof(head), "{\"seq\": 1, \"hash\": \"%s\"}", hashes[0]);
  case_put_head(st, "c-000003", head);
  ASSERT_EQ(verify(st, problem, sizeof(problem)), CASUS_ESTORE_CORRUPT);
  ASSERT_NOT_NULL(strstr(problem, "case c-000003 "));
  store_close(st);
  tmpdir_remove(root);
}

/* --- transactions --- */

TEST(child_abort_keeps_parent_writes) {
  char root[64];
  store_t *st;
  store_txn_t *parent, *child;
  json_t *c;
  first_timer_t t;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &parent), 0);
  c = json_parse("{\"id\": \"c-a\", \"timers\": {\"t\": {\"due_s\": 50}}}");
  ASSERT_EQ(case_put(parent, c), 0);
  json_decref(c);

  /* A failing request: its case and timer vanish with its child. */
  ASSERT_EQ(store_txn_child(parent, &child), 0);
  c = json_parse("{\"id\": \"c-b\", \"timers\": {\"t\": {\"due_s\": 10}}}");
  ASSERT_EQ(case_put(child, c), 0);
  json_decref(c);
  store_txn_abort(child);

  /* A succeeding request. */
  ASSERT_EQ(store_txn_child(parent, &child), 0);
  c = json_parse("{\"id\": \"c-c\"}");
  ASSERT_EQ(case_put(child, c), 0);
  json_decref(c);
  ASSERT_EQ(store_txn_commit(child), 0);

  /* The parent sees the committed child's write before its own commit. */
  ASSERT_EQ(store_case_get(parent, "c-c", &c), 0);
  json_decref(c);
  ASSERT_EQ(store_txn_commit(parent), 0);

  ASSERT_EQ(case_exists(st, "c-a"), 1);
  ASSERT_EQ(case_exists(st, "c-b"), 0);
  ASSERT_EQ(case_exists(st, "c-c"), 1);
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_STR_EQ(t.case_id, "c-a");
  ASSERT_EQ(t.due_s, 50);

  /* Aborting a parent also ends an open child. */
  ASSERT_EQ(store_txn_begin(st, true, &parent), 0);
  ASSERT_EQ(store_txn_child(parent, &child), 0);
  c = json_parse("{\"id\": \"c-d\"}");
  ASSERT_EQ(case_put(child, c), 0);
  json_decref(c);
  store_txn_abort(parent);
  ASSERT_EQ(case_exists(st, "c-d"), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* --- idempotency keys --- */

#define SHA_A "a3f1c2d4e5b6a7980112233445566778899aabbccddeeff00112233445566778"
#define SHA_B "00000000000000000000000000000000000000000000000000000000000000ff"

/* Reads (actor, key) and checks it against the expected record. */
static void idem_expect(store_txn_t *txn, const char *actor, const char *key, const char *sha, int status,
                        const char *body, size_t body_bytes) {
  char got_sha[65];
  int got_status;
  int64_t got_created;
  char *got_body;
  size_t got_bytes;
  ASSERT_EQ(store_idem_get(txn, actor, key, got_sha, &got_status, &got_created, &got_body, &got_bytes), 0);
  ASSERT_STR_EQ(got_sha, sha);
  ASSERT_EQ(got_status, status);
  ASSERT_EQ(got_bytes, body_bytes);
  ASSERT(memcmp(got_body, body, body_bytes) == 0);
  ASSERT_EQ(got_body[got_bytes], '\0');
  free(got_body);
}

TEST(idempotency_get_put) {
  /* The reply verbatim: quotes, backslashes, UTF-8, a newline and a NUL. */
  static const char reply[] = "{\"id\":\"c-000001\",\"naam\":\"Zo\xc3\xab \\\"Sam\\\"\"}\n\0tail";
  char root[64], sha[65];
  store_t *st;
  store_txn_t *txn;
  int status = -1;
  int64_t created = 0;
  char *body = (char *)"untouched";
  size_t body_bytes = 99;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "k-1", sha, &status, &created, &body, &body_bytes), CASUS_ENOT_FOUND);
  ASSERT_NULL(body);
  ASSERT_EQ(body_bytes, 0);
  ASSERT_EQ(store_idem_put(txn, "cr-1", "k-1", SHA_A, 201, 1000, reply, sizeof(reply) - 1), 0);
  ASSERT_EQ(store_idem_put(txn, "cr-1", "k-empty", SHA_B, 204, 1000, NULL, 0), 0);
  ASSERT_EQ(store_idem_put(txn, "cr-1", "k-2", SHA_A, 200, 1000, "first", 5), 0);
  ASSERT_EQ(store_idem_put(txn, "cr-1", "k-2", SHA_B, 409, 1000, "second", 6), 0); /* replaced */
  ASSERT_EQ(
      store_idem_put(txn, "cr-1", "k-big", SHA_A, 200, 1000, reply, (size_t)LIMIT_RESPONSE_BYTES_MAX + 1),
      CASUS_EINVALID_DATA);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  idem_expect(txn, "cr-1", "k-1", SHA_A, 201, reply, sizeof(reply) - 1);
  idem_expect(txn, "cr-1", "k-empty", SHA_B, 204, "", 0);
  idem_expect(txn, "cr-1", "k-2", SHA_B, 409, "second", 6);
  /* Keys are per actor, and the NUL separator keeps ("cr-1","k-1") apart
   * from ("cr-1k", "-1"). */
  ASSERT_EQ(store_idem_get(txn, "cr-2", "k-1", sha, &status, &created, &body, &body_bytes), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_idem_get(txn, "cr-1k", "-1", sha, &status, &created, &body, &body_bytes), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "k-big", sha, &status, &created, &body, &body_bytes),
            CASUS_ENOT_FOUND);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* A store written before the binary form holds the JSON record with the
 * reply as an escaped JSON string; it is still replayed byte for byte. */
TEST(idempotency_reads_older_json_records) {
  static const char old_rec[] = "{\"request_sha256\":\"" SHA_A
                                "\",\"status\":201,\"body\":\"{\\\"id\\\":\\\"c-000001\\\",\\\"naam\\\":"
                                "\\\"Zo\\u00eb\\\"}\"}";
  static const char want[] = "{\"id\":\"c-000001\",\"naam\":\"Zo\xc3\xab\"}";
  static const char key[] = "cr-1\0old";
  char root[64], sha[65];
  store_t *st;
  store_txn_t *txn;
  int status;
  int64_t created;
  char *body;
  size_t body_bytes;

  tmpdir_make(root);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "idem", key, sizeof(key) - 1, old_rec, sizeof(old_rec) - 1), 0);
  /* Damaged records in either form. */
  ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0bad1", 9, "{\"status\":200,\"body\":\"x\"}", 25), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0bad2", 9, "{not json", 9), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0bad3", 9, "\x01" SHA_A, 65), 0); /* no status */
  ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0bad4", 9, "\x02" SHA_A "\x00\xc8", 67), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0bad5", 9, "", 0), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  idem_expect(txn, "cr-1", "old", SHA_A, 201, want, sizeof(want) - 1);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "bad1", sha, &status, &created, &body, &body_bytes),
            CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "bad2", sha, &status, &created, &body, &body_bytes),
            CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "bad3", sha, &status, &created, &body, &body_bytes),
            CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "bad4", sha, &status, &created, &body, &body_bytes),
            CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_idem_get(txn, "cr-1", "bad5", sha, &status, &created, &body, &body_bytes),
            CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(body);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* --- inbox --- */

static json_t *inbox_list(store_t *st, const char *const *recipients, size_t n, uint64_t after, size_t max) {
  store_txn_t *txn;
  json_t *list;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_inbox_list(txn, recipients, n, after, max, &list), 0);
  store_txn_abort(txn);
  return list;
}

static uint64_t item_seq(const json_t *list, size_t i) {
  return (uint64_t)json_integer_value(json_object_get(json_array_get(list, i), "seq"));
}

TEST(inbox_add_list_close) {
  static const char *const both[] = {"org:rotterdam/procesregisseur", "actor:cr-1"};
  static const char *const twice[] = {"actor:cr-1", "actor:cr-1"};
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *task, *note, *list;
  uint64_t seq[4];

  tmpdir_make(root);
  st = store_at(root, 0);
  task = json_pack("{s:s, s:s}", "kind", "beoordelen", "title", "Aanmelding beoordelen");
  note = json_pack("{s:s, s:s}", "kind", "melding", "title", "Termijn verlopen");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_add(txn, both[0], "c-000001", task, 1000, &seq[0]), 0);
  ASSERT_EQ(store_inbox_add(txn, both[1], "c-000001", note, 1000, &seq[1]), 0);
  ASSERT_EQ(store_inbox_add(txn, both[0], "c-000002", task, 1000, &seq[2]), 0);
  ASSERT_EQ(store_inbox_add(txn, "actor:other", "c-000001", task, 1000, &seq[3]), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(seq[0], 1);
  ASSERT_EQ(seq[1], 2);
  ASSERT_EQ(seq[2], 3);
  ASSERT_EQ(seq[3], 4);
  /* The caller's item is not changed. */
  ASSERT_NULL(json_object_get(task, "seq"));

  /* Merged across recipients in seq order; others' items are not shown. */
  list = inbox_list(st, both, 2, 0, 100);
  ASSERT_EQ(json_array_size(list), 3);
  ASSERT_EQ(item_seq(list, 0), 1);
  ASSERT_EQ(item_seq(list, 1), 2);
  ASSERT_EQ(item_seq(list, 2), 3);
  ASSERT(json_is_true(json_object_get(json_array_get(list, 0), "open")));
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 0), "case_id")), "c-000001");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 1), "recipient")), "actor:cr-1");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(list, 1), "title")), "Termijn verlopen");
  json_decref(list);

  list = inbox_list(st, both, 2, 1, 100);
  ASSERT_EQ(json_array_size(list), 2);
  ASSERT_EQ(item_seq(list, 0), 2);
  json_decref(list);
  list = inbox_list(st, both, 2, 0, 2);
  ASSERT_EQ(json_array_size(list), 2);
  ASSERT_EQ(item_seq(list, 1), 2);
  json_decref(list);
  list = inbox_list(st, twice, 2, 0, 100);
  ASSERT_EQ(json_array_size(list), 1);
  json_decref(list);
  list = inbox_list(st, both, 0, 0, 100);
  ASSERT_EQ(json_array_size(list), 0);
  json_decref(list);

  /* Closing c-000001's "beoordelen" tasks closes seqs 1 and 4 only. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-000001", "beoordelen"), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-000009", "beoordelen"), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  list = inbox_list(st, both, 2, 0, 100);
  ASSERT_EQ(json_array_size(list), 2);
  ASSERT_EQ(item_seq(list, 0), 2);
  ASSERT_EQ(item_seq(list, 1), 3);
  json_decref(list);
  {
    static const char *const other[] = {"actor:other"};
    list = inbox_list(st, other, 1, 0, 100);
    ASSERT_EQ(json_array_size(list), 0);
    json_decref(list);
  }

  /* The seq counter is global and durable. */
  store_close(st);
  st = store_at(root, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_add(txn, both[1], "c-000002", note, 1000, &seq[0]), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(seq[0], 5);
  json_decref(task);
  json_decref(note);
  store_close(st);
  tmpdir_remove(root);
}

/* --- full disk and map growth --- */

TEST(fault_inject_full_writes_nothing) {
  char root[64];
  store_t *st;
  store_txn_t *txn, *child;
  json_t *c;

  tmpdir_make(root);
  st = store_at(root, 0);
  store_fault_inject_full(st, 1);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  c = json_parse("{\"id\": \"c-1\", \"timers\": {\"t\": {\"due_s\": 1}}}");
  ASSERT_EQ(case_put(txn, c), 0);
  /* Child commits are not counted; only the top-level commit fails. */
  ASSERT_EQ(store_txn_child(txn, &child), 0);
  {
    store_history_head_t h = head_empty();
    json_t *e = json_deep_copy(c);
    ASSERT_EQ(store_history_append(child, "c-1", e, &h), 0);
    json_decref(e);
  }
  ASSERT_EQ(store_txn_commit(child), 0);
  ASSERT_EQ(store_txn_commit(txn), CASUS_ESTORE_FULL);
  ASSERT_EQ(case_exists(st, "c-1"), 0);
  {
    first_timer_t t;
    char problem[128];
    uint64_t entries = 99;
    ASSERT_EQ(timer_first(st, &t), CASUS_ENOT_FOUND);
    ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
    ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
    ASSERT_EQ(entries, 0);
    store_txn_abort(txn);
  }

  /* The injection is used up: the retry commits. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(case_put(txn, c), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(case_exists(st, "c-1"), 1);

  /* n commits fail, then it is off; 0 turns it off early. */
  store_fault_inject_full(st, 2);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_txn_commit(txn), CASUS_ESTORE_FULL);
  store_fault_inject_full(st, 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(c);
  store_close(st);
  tmpdir_remove(root);
}

/* Writes case c-<i> with a 2 KiB payload in its own transaction. */
static int put_big_case(store_t *st, int i) {
  char id[32], pad[2049];
  store_txn_t *txn;
  json_t *c;
  int rc;

  snprintf(id, sizeof(id), "c-%06d", i);
  memset(pad, 'x', sizeof(pad) - 1);
  pad[sizeof(pad) - 1] = '\0';
  c = json_pack("{s:s, s:s, s:{s:{s:I}}}", "id", id, "pad", pad, "timers", "t", "due_s", (json_int_t)i);
  ASSERT_NOT_NULL(c);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  rc = case_put(txn, c);
  if (rc < 0) {
    /* The failed transaction is sticky: later calls report the same error. */
    ASSERT_EQ(case_put(txn, c), rc);
    json_decref(c);
    store_txn_abort(txn);
    return rc;
  }
  json_decref(c);
  return store_txn_commit(txn);
}

/* The fallback: with growth ahead of need turned off, writers meet
 * MDB_MAP_FULL; the map grows after each, so a retry succeeds. */
TEST(map_full_grows_and_retry_succeeds) {
  char root[64];
  store_t *st;
  uint64_t map0, map1, used;
  int i, fulls = 0;

  tmpdir_make(root);
  st = store_at(root, 64 * 1024);
  store_debug_grow_ahead(st, false, 0);
  ASSERT_EQ(store_map_info(st, &map0, &used), 0);
  for (i = 1; i <= 400; i++) {
    int rc = put_big_case(st, i);
    if (rc == CASUS_ESTORE_FULL) {
      fulls++;
      /* The map grew after the failed transaction ended: retry once. */
      rc = put_big_case(st, i);
    }
    ASSERT_EQ(rc, 0);
  }
  /* 400 cases of 2 KiB cannot fit in 64 KiB without growing. */
  ASSERT_GE(fulls, 1);
  ASSERT_EQ(store_map_info(st, &map1, &used), 0);
  ASSERT_GE(map1, 16 * map0);
  for (i = 1; i <= 400; i += 37) {
    char id[32];
    snprintf(id, sizeof(id), "c-%06d", i);
    ASSERT_EQ(case_exists(st, id), 1);
  }
  store_close(st);

  /* Reopened with the small size, the store keeps its grown map. */
  st = store_at(root, 64 * 1024);
  ASSERT_EQ(store_map_info(st, &map0, &used), 0);
  ASSERT_EQ(map0, map1);
  ASSERT_EQ(case_exists(st, "c-000400"), 1);
  ASSERT_EQ(put_big_case(st, 401), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* One write transaction as a request batch makes it: per request, a 2 KiB
 * case and a history entry.  Returns the commit's result. */
static int put_batch(store_t *st, int batch, int requests) {
  char id[32], pad[2049];
  store_txn_t *txn;
  int i;
  memset(pad, 'z', sizeof(pad) - 1);
  pad[sizeof(pad) - 1] = '\0';
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < requests; i++) {
    store_history_head_t h = head_empty();
    json_t *c, *e;
    snprintf(id, sizeof(id), "c-%04d-%03d", batch, i);
    c = json_pack("{s:s, s:s}", "id", id, "pad", pad);
    e = json_pack("{s:s, s:s}", "event", "aanmelden", "note", pad + 1024);
    ASSERT_EQ(case_put(txn, c), 0);
    ASSERT_EQ(store_history_append(txn, id, e, &h), 0);
    json_decref(c);
    json_decref(e);
  }
  return store_txn_commit(txn);
}

/* The rule: before each write transaction the map grows until half of it
 * (and the reserve) is free, so that a store started with a small map and
 * written to well beyond it never fails a commit. */
TEST(map_grows_ahead_by_half) {
  const uint64_t initial = 1024 * 1024;
  char root[64];
  store_t *st;
  uint64_t map, used, prev_map, growths = 0;
  int b;

  tmpdir_make(root);
  st = store_at(root, initial);
  store_debug_grow_ahead(st, true, 0); /* the half rule alone */
  ASSERT_EQ(store_map_info(st, &prev_map, &used), 0);
  ASSERT_EQ(prev_map, initial);
  for (b = 0; b < 200; b++) {
    ASSERT_EQ(put_batch(st, b, 10), 0); /* not one failed commit */
    ASSERT_EQ(store_map_info(st, &map, &used), 0);
    ASSERT_LE(used, map);
    if (map > prev_map) growths++;
    prev_map = map;
  }
  /* Several times the initial map was written; it grew step by step and
   * half of it is free for the next batch. */
  ASSERT_GE(used, 4 * initial);
  ASSERT_GE(growths, 2);
  ASSERT_GE(map, 8 * initial);
  ASSERT_LE(used, map);
  store_close(st);
  tmpdir_remove(root);
}

/* With the real reserve (room for the biggest batch), a small map grows
 * before the first write; no commit fails either. */
TEST(map_grows_ahead_with_reserve) {
  const uint64_t initial = 1024 * 1024;
  char root[64];
  store_t *st;
  uint64_t map, used;
  int b;

  tmpdir_make(root);
  st = store_at(root, initial);
  ASSERT_EQ(store_map_info(st, &map, &used), 0);
  ASSERT_EQ(map, initial);
  for (b = 0; b < 100; b++) ASSERT_EQ(put_batch(st, b, 20), 0);
  ASSERT_EQ(store_map_info(st, &map, &used), 0);
  ASSERT_GE(used, 4 * initial);
  ASSERT_GE(map, 4 * initial); /* grew at least twice */
  ASSERT_GE(map - used, LIMIT_MAP_RESERVE_BYTES);
  ASSERT_LE(map, LIMIT_MAP_BYTES_MAX);
  store_close(st);
  tmpdir_remove(root);
}

/* One transaction larger than the whole map meets MDB_MAP_FULL; each
 * failure doubles the map, so retrying the same transaction succeeds. */
TEST(map_full_in_one_big_transaction_then_retry) {
  char root[64];
  store_t *st;
  int attempt, fulls = 0, rc = -1;

  tmpdir_make(root);
  st = store_at(root, 64 * 1024);
  store_debug_grow_ahead(st, false, 0);
  for (attempt = 0; attempt < 10 && rc != 0; attempt++) {
    store_txn_t *txn;
    int i;
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    rc = 0;
    for (i = 1; i <= 120 && rc == 0; i++) {
      char id[32], pad[2048];
      json_t *c;
      snprintf(id, sizeof(id), "c-%06d", i);
      memset(pad, 'y', sizeof(pad) - 1);
      pad[sizeof(pad) - 1] = '\0';
      c = json_pack("{s:s, s:s}", "id", id, "pad", pad);
      rc = case_put(txn, c);
      json_decref(c);
    }
    if (rc == 0) {
      rc = store_txn_commit(txn);
    } else {
      store_txn_abort(txn);
    }
    if (rc == CASUS_ESTORE_FULL)
      fulls++;
    else
      ASSERT_EQ(rc, 0);
  }
  ASSERT_EQ(rc, 0);
  ASSERT_GE(fulls, 1);
  ASSERT_EQ(case_exists(st, "c-000120"), 1);
  store_close(st);
  tmpdir_remove(root);
}

/* --- backup --- */

TEST(backup_copy_opens_with_same_data) {
  char root[64], copy_root[64], copy_dir[128], problem[128], hashes[5][STORE_HASH_HEX_BYTES], got[64];
  store_t *st, *copy = NULL;
  store_txn_t *txn;
  first_timer_t t;
  uint64_t entries;

  tmpdir_make(root);
  tmpdir_make(copy_root);
  st = store_at(root, 0);
  case_put_text(st, "{\"id\": \"c-000001\", \"state\": \"open\", \"timers\": {\"t\": {\"due_s\": 42}}}");
  case_put_text(st, "{\"id\": \"c-000002\", \"state\": \"dicht\"}");
  history_fill(st, hashes);
  /* A backup taken while a read transaction is open. */
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  snprintf(copy_dir, sizeof(copy_dir), "%s/db", copy_root);
  ASSERT_EQ(mkdir(copy_dir, 0700), 0);
  ASSERT_EQ(store_backup(st, copy_dir), 0);
  store_txn_abort(txn);
  /* Later writes to the original are not in the copy. */
  case_put_text(st, "{\"id\": \"c-000003\"}");

  copy = store_at(copy_root, 0);
  case_member(copy, "c-000001", "state", got, sizeof(got));
  ASSERT_STR_EQ(got, "open");
  case_member(copy, "c-000002", "state", got, sizeof(got));
  ASSERT_STR_EQ(got, "dicht");
  ASSERT_EQ(case_exists(copy, "c-000003"), 0);
  ASSERT_EQ(timer_first(copy, &t), 0);
  ASSERT_EQ(t.due_s, 42);
  ASSERT_EQ(store_txn_begin(copy, false, &txn), 0);
  ASSERT_EQ(store_history_verify(txn, problem, sizeof(problem), &entries), 0);
  ASSERT_EQ(entries, 5);
  store_txn_abort(txn);
  store_close(copy);
  store_close(st);
  tmpdir_remove(root);
  tmpdir_remove(copy_root);
}

#define TEST_LIST(X)                            \
  X(open_reopen_persists)                       \
  X(case_ids_random_and_unique)                 \
  X(secret_made_once_and_stable)                \
  X(open_creates_missing_parents)               \
  X(schema_version_newer_is_refused)            \
  X(schema_version_garbage_is_refused)          \
  X(case_scan_order_and_after_id)               \
  X(case_get_missing_and_corrupt)               \
  X(timers_reindex_on_change_and_removal)       \
  X(timers_fire_in_due_order_across_cases)      \
  X(timers_survive_reopen)                      \
  X(timers_invalid_are_rejected)                \
  X(history_chain_list_verify)                  \
  X(history_tamper_detected)                    \
  X(history_gap_and_garbage_detected)           \
  X(history_head_chaining_across_appends)       \
  X(history_unknown_head_reads_older_entries)   \
  X(history_stale_head_refused)                 \
  X(history_verify_checks_case_heads)           \
  X(child_abort_keeps_parent_writes)            \
  X(idempotency_get_put)                        \
  X(idempotency_reads_older_json_records)       \
  X(inbox_add_list_close)                       \
  X(fault_inject_full_writes_nothing)           \
  X(map_full_grows_and_retry_succeeds)          \
  X(map_grows_ahead_by_half)                    \
  X(map_grows_ahead_with_reserve)               \
  X(map_full_in_one_big_transaction_then_retry) \
  X(backup_copy_opens_with_same_data)

TEST_MAIN(TEST_LIST)
