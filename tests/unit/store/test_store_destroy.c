/*
 * test_store_destroy.c -- destroying a case (store_destroy.c; retention,
 * R-RET-2 and R-RET-3): store_case_destroy removes every record of the case
 * from every database and nothing of another case, leaves a tombstone that
 * closes the case's chain, refuses what the register may not hold, and
 * store_check (casusd verify) passes afterwards -- and finds a tombstone
 * changed, a register head that no longer matches, and a destroyed case's
 * records put back.  The fault-injection workload (test_store_faults.c)
 * destroys a case too.
 *
 * Every test works in its own directory under /tmp and removes it at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

#define SHA0 "0000000000000000000000000000000000000000000000000000000000000000"
#define T0 1800000000 /* 2027-01-15T08:00:00Z */
#define T0_TEXT "2027-01-15T09:00:00+01:00"

static store_t *store_at(const char *root) {
  char dir[128];
  store_t *st = NULL;
  snprintf(dir, sizeof(dir), "%s/db", root);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  return st;
}

/* A case as the server writes one: history entries, the record with its
 * head, timers and index terms, an inbox task and notification, access-log
 * entries dated as the API dates them, and idempotency records whose replies
 * name it (and one that does not). */
static void case_make(store_t *st, const char *id, int entries) {
  store_history_head_t head = {0, STORE_HISTORY_ZERO_HASH};
  store_case_rec_t rec;
  store_txn_t *txn;
  char body[128], key[64];
  json_t *c, *e;
  char *s;
  int i;

  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < entries; i++) {
    e = json_pack("{s:s, s:i}", "event", "stap", "i", i);
    ASSERT_EQ(store_history_append(txn, id, e, &head), 0);
    json_decref(e);
  }
  c = json_pack("{s:s, s:b, s:{s:{s:I}}, s:{s:I, s:s}, s:{s:s}}", "id", id, "closed", 1, "timers", "t1",
                "due_s", (json_int_t)(T0 + 100), "history", "seq", (json_int_t)head.seq, "hash", head.hash,
                "fields", "naam", "Sam de Vries");
  s = json_dumps(c, JSON_COMPACT);
  memset(&rec, 0, sizeof(rec));
  rec.id = id;
  rec.json = s;
  rec.json_bytes = strlen(s);
  rec.timers = json_object_get(c, "timers");
  rec.scopes[0] = "o:gemeente=rotterdam";
  rec.scopes[1] = "g:gezin=rotterdam/G-1";
  rec.scopes_count = 2;
  rec.attrs[0] = (store_attr_t){"status", "beeindigd"};
  rec.attrs_count = 1;
  rec.deadline_s = T0 + 100;
  rec.updated_s = T0;
  ASSERT_EQ(store_case_put(txn, &rec), 0);
  free(s);
  json_decref(c);
  e = json_pack("{s:s, s:s, s:s}", "type", "task", "kind", "k", "created", T0_TEXT);
  ASSERT_EQ(store_inbox_add(txn, "org:rotterdam/procesregisseur", id, e, T0, NULL), 0);
  json_decref(e);
  e = json_pack("{s:s, s:s, s:s}", "type", "notification", "kind", "n", "created", T0_TEXT);
  ASSERT_EQ(store_inbox_add(txn, "actor:cr-1", id, e, T0, NULL), 0);
  json_decref(e);
  ASSERT_EQ(store_inbox_close(txn, id, "k"), 0);
  for (i = 0; i < 3; i++) {
    e = json_pack("{s:s, s:s, s:s, s:s}", "time", T0_TEXT, "actor", "cr-1", "case_id", id, "access", "view");
    ASSERT_EQ(store_access_append(txn, id, T0, e, NULL), 0);
    json_decref(e);
  }
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"status\":\"beeindigd\"}", id);
  snprintf(key, sizeof(key), "k-%s", id);
  ASSERT_EQ(store_idem_put(txn, "cr-1", key, SHA0, 200, T0, body, strlen(body)), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
}

static uint64_t entries_of(store_t *st, const char *db) {
  store_txn_t *txn;
  uint64_t n = 0;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_debug_db_entries(txn, db, &n), 0);
  store_txn_abort(txn);
  return n;
}

static const char *const DBS[] = {"cases",       "casemeta",   "sindex",     "history",        "timers",
                                  "inbox",       "inbox_case", "inbox_open", "inbox_time",     "access",
                                  "access_time", "idem",       "idem_time",  "inbox_case_open"};
#define DBS_COUNT (sizeof(DBS) / sizeof(DBS[0]))

static void counts_of(store_t *st, uint64_t out[DBS_COUNT]) {
  size_t i;
  for (i = 0; i < DBS_COUNT; i++) out[i] = entries_of(st, DBS[i]);
}

static void report_cb(const char *problem, void *ud) {
  json_t *list = ud;
  if (getenv("TEST_VERBOSE")) fprintf(stderr, "  verify: %s\n", problem);
  if (list != NULL) json_array_append_new(list, json_string(problem));
}

/* store_check's problems as a new array; *rc its result. */
static json_t *check(store_t *st, store_check_stats_t *stats, int *rc) {
  store_txn_t *txn;
  json_t *problems = json_array();
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  *rc = store_check(txn, report_cb, problems, 50, stats);
  store_txn_abort(txn);
  return problems;
}

static bool any_contains(const json_t *problems, const char *what) {
  size_t i;
  json_t *p;
  json_array_foreach(problems, i, p) if (strstr(json_string_value(p), what) != NULL) return true;
  return false;
}

static int destroy(store_t *st, const char *id, const char *grond, store_destroy_counts_t *n, json_t **rec) {
  store_txn_t *txn;
  json_t *entry = json_pack("{s:s, s:s, s:s}", "time", "2047-06-01T00:00:00+02:00", "grond", grond,
                            "besloten_door", "casusd purge");
  int rc;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  rc = store_case_destroy(txn, id, entry, n, rec);
  json_decref(entry);
  if (rc == 0)
    ASSERT_EQ(store_txn_commit(txn), 0);
  else
    store_txn_abort(txn);
  return rc;
}

/* R-RET-2: everything of the case goes, nothing of the other; the tombstone
 * closes the chain; verify passes. */
TEST(destroy_removes_every_record_of_the_case_and_only_those) {
  char root[64];
  uint64_t alone[DBS_COUNT], both[DBS_COUNT], after[DBS_COUNT];
  store_destroy_counts_t n;
  store_check_stats_t stats;
  store_history_head_t head;
  json_t *rec = NULL, *got, *problems, *list;
  store_txn_t *txn;
  size_t i;
  int rc;
  store_t *st;

  tmpdir_make(root);
  st = store_at(root);
  case_make(st, "c-keep", 2);
  counts_of(st, alone);
  case_make(st, "c-gone", 4);
  counts_of(st, both);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_get(txn, "c-gone", &got), 0);
  head.seq = (uint64_t)json_integer_value(json_object_get(json_object_get(got, "history"), "seq"));
  snprintf(head.hash, sizeof(head.hash), "%s",
           json_string_value(json_object_get(json_object_get(got, "history"), "hash")));
  json_decref(got);
  store_txn_abort(txn);

  ASSERT_EQ(destroy(st, "c-gone", "bewaartermijn", &n, &rec), 0);
  ASSERT_EQ(n.history_entries, 4);
  ASSERT_EQ(n.inbox_items, 2);
  ASSERT_EQ(n.access_entries, 3);
  ASSERT_EQ(n.idem_records, 1);
  ASSERT_EQ(n.timers, 1);
  ASSERT_EQ(n.index_terms, 2 * (1 + 1 + 1 + 1));
  counts_of(st, after);
  for (i = 0; i < DBS_COUNT; i++) {
    if (after[i] != alone[i])
      TEST__FAIL("%s: %llu entries left, want %llu", DBS[i], (unsigned long long)after[i],
                 (unsigned long long)alone[i]);
    ASSERT(both[i] >= alone[i]);
  }
  ASSERT_EQ(entries_of(st, "destroyed"), 1);
  /* The tombstone: the caller's codes and the store's members, no content. */
  ASSERT_STR_EQ(json_string_value(json_object_get(rec, "case_id")), "c-gone");
  ASSERT_STR_EQ(json_string_value(json_object_get(rec, "grond")), "bewaartermijn");
  ASSERT_EQ(json_integer_value(json_object_get(rec, "seq")), 1);
  ASSERT_STR_EQ(json_string_value(json_object_get(rec, "prev_hash")), STORE_HISTORY_ZERO_HASH);
  ASSERT_EQ(json_integer_value(json_object_get(json_object_get(rec, "history"), "seq")),
            (json_int_t)head.seq);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(rec, "history"), "hash")), head.hash);
  {
    char *text = json_dumps(rec, 0);
    ASSERT(strstr(text, "Sam de Vries") == NULL);
    free(text);
  }
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_destroyed_get(txn, "c-gone", &got), 0);
  ASSERT(json_equal(got, rec));
  json_decref(got);
  ASSERT_EQ(store_destroyed_get(txn, "c-keep", &got), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_case_get(txn, "c-gone", &got), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_case_get(txn, "c-keep", &got), 0);
  json_decref(got);
  ASSERT_EQ(store_destroyed_list(txn, 0, 10, &list), 0);
  ASSERT_EQ(json_array_size(list), 1);
  json_decref(list);
  store_txn_abort(txn);
  json_decref(rec);

  problems = check(st, &stats, &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(stats.problems, 0);
  ASSERT_EQ(stats.destroyed, 1);
  json_decref(problems);
  /* Gone is gone: a second destruction finds nothing, and writes nothing. */
  ASSERT_EQ(destroy(st, "c-gone", "verzoek", &n, NULL), CASUS_ENOT_FOUND);
  ASSERT_EQ(entries_of(st, "destroyed"), 1);
  store_close(st);
  tmpdir_remove(root);
}

/* R-RET-3: the register holds codes, dates and ids only. */
TEST(destroy_refuses_a_tombstone_with_content) {
  static const char *const bad[] = {
      "{\"naam\": \"Sam de Vries\"}", "{\"reden\": 31}",
      "{\"reden\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
      "[]"};
  char root[64];
  store_txn_t *txn;
  json_t *entry, *got;
  uint64_t before[DBS_COUNT], after[DBS_COUNT];
  size_t i, k;
  store_t *st;

  tmpdir_make(root);
  st = store_at(root);
  case_make(st, "c-1", 2);
  counts_of(st, before);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    entry = json_loads(bad[i], 0, NULL);
    ASSERT_NOT_NULL(entry);
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    ASSERT_EQ(store_case_destroy(txn, "c-1", entry, NULL, NULL), CASUS_EINVALID_DATA);
    /* the transaction stays usable, nothing was written */
    ASSERT_EQ(store_case_get(txn, "c-1", &got), 0);
    json_decref(got);
    ASSERT_EQ(store_txn_commit(txn), 0);
    json_decref(entry);
  }
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  entry = json_object();
  ASSERT_EQ(store_case_destroy(txn, "", entry, NULL, NULL), CASUS_EINVALID_DATA);
  ASSERT_EQ(store_case_destroy(txn, "c-none", entry, NULL, NULL), CASUS_ENOT_FOUND);
  json_decref(entry);
  ASSERT_EQ(store_txn_commit(txn), 0);
  counts_of(st, after);
  for (k = 0; k < DBS_COUNT; k++) ASSERT_EQ(after[k], before[k]);
  ASSERT_EQ(entries_of(st, "destroyed"), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* R-RET-2: a destroyed case's id is never drawn again, and a read answered
 * from an older snapshot adds nothing to its access log. */
TEST(a_destroyed_id_is_not_reused_and_collects_no_log) {
  static const uint8_t draws[16] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};
  char root[64], id[STORE_CASE_ID_BYTES];
  store_txn_t *txn;
  json_t *e;
  uint64_t seq = 99;
  store_t *st;

  tmpdir_make(root);
  st = store_at(root);
  case_make(st, "c-0000000000000001", 1);
  ASSERT_EQ(destroy(st, "c-0000000000000001", "verzoek", NULL, NULL), 0);
  store_debug_random(st, draws, sizeof(draws));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_case_next_id(txn, id, sizeof(id)), 0);
  ASSERT_STR_EQ(id, "c-0000000000000002");
  e = json_pack("{s:s, s:s}", "time", T0_TEXT, "access", "view");
  ASSERT_EQ(store_access_append(txn, "c-0000000000000001", T0, e, &seq), 0);
  ASSERT_EQ(seq, 0);
  json_decref(e);
  ASSERT_EQ(store_txn_commit(txn), 0);
  store_debug_random(st, NULL, 0);
  ASSERT_EQ(entries_of(st, "access"), 0);
  ASSERT_EQ(entries_of(st, "access_time"), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* R-RET-2: the register is tamper-evident, and verify names what of a
 * destroyed case came back. */
TEST(verify_finds_a_changed_register_and_a_destroyed_case_put_back) {
  char root[64], hist_key[64];
  store_check_stats_t stats;
  store_txn_t *txn;
  json_t *problems, *rec = NULL;
  char *text;
  int rc;
  store_t *st;

  tmpdir_make(root);
  st = store_at(root);
  case_make(st, "c-1", 2);
  case_make(st, "c-2", 2);
  case_make(st, "c-3", 2);
  ASSERT_EQ(destroy(st, "c-1", "bewaartermijn", NULL, NULL), 0);
  ASSERT_EQ(destroy(st, "c-2", "verzoek", NULL, &rec), 0);
  problems = check(st, &stats, &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(stats.destroyed, 2);
  json_decref(problems);

  /* A tombstone changed: its hash no longer matches. */
  json_object_set_new(rec, "grond", json_string("bewaartermijn"));
  text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "destroyed", "c-2", 3, text, strlen(text)), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  free(text);
  problems = check(st, &stats, &rc);
  ASSERT_EQ(rc, CASUS_ESTORE_CORRUPT);
  ASSERT(any_contains(problems, "tombstone of case c-2 (seq 2) does not match its hash"));
  json_decref(problems);

  /* The register's head moved back one (the last tombstone "removed"), and
   * a history entry of a destroyed case put back. */
  json_decref(rec);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "meta", "destroyed_seq", 13, "1", 1), 0);
  memcpy(hist_key, "c-1\0\0\0\0\0\0\0\0\1", 12);
  ASSERT_EQ(store_debug_put_raw(txn, "history", hist_key, 12, "{}", 2), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  problems = check(st, &stats, &rc);
  ASSERT_EQ(rc, CASUS_ESTORE_CORRUPT);
  ASSERT(any_contains(problems, "case c-1 was destroyed (register seq 1), but its history entries remain"));
  ASSERT(any_contains(problems, "the register's head"));
  json_decref(problems);
  store_close(st);
  tmpdir_remove(root);
}

#define TEST_LIST(X)                                         \
  X(destroy_removes_every_record_of_the_case_and_only_those) \
  X(destroy_refuses_a_tombstone_with_content)                \
  X(a_destroyed_id_is_not_reused_and_collects_no_log)        \
  X(verify_finds_a_changed_register_and_a_destroyed_case_put_back)

TEST_MAIN(TEST_LIST)
