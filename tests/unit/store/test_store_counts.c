/*
 * test_store_counts.c -- the counts behind the gauges of /metrics
 * (store_counts.c): kept by store_case_put and the inbox in the same
 * transaction, rolled back with it, rebuilt for an older store, and checked
 * by store_check (casusd verify).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

static store_t *fresh(char root[64]) {
  char dir[96];
  store_t *st;
  tmpdir_make(root);
  snprintf(dir, sizeof(dir), "%s/db", root);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  return st;
}

/* Every count as "what/label/label2=n" lines. */
typedef struct {
  char text[4096];
} counts_t;

static int counts_cb(store_count_t what, const char *label, const char *label2, uint64_t n, void *ud) {
  counts_t *c = ud;
  size_t len = strlen(c->text);
  snprintf(c->text + len, sizeof(c->text) - len, "%c/%s/%s=%llu\n",
           what == STORE_COUNT_CASES_BY_STATUS ? 'c'
           : what == STORE_COUNT_TASKS_OPEN    ? 't'
                                               : 'o',
           label, label2, (unsigned long long)n);
  return 0;
}

static void counts(store_t *st, counts_t *c) {
  store_txn_t *txn;
  memset(c, 0, sizeof(*c));
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_counts_each(txn, counts_cb, c), 0);
  store_txn_abort(txn);
}

#define ASSERT_COUNT(c, s)                                                                \
  do {                                                                                    \
    if (strstr((c)->text, (s)) == NULL) TEST__FAIL("\"%s\" not in:\n%s", (s), (c)->text); \
  } while (0)

static void put(store_txn_t *txn, const char *id, const char *status, const char *region) {
  char json[128];
  store_case_rec_t rec;
  memset(&rec, 0, sizeof(rec));
  snprintf(json, sizeof(json), "{\"id\":\"%s\",\"status\":\"%s\"}", id, status);
  rec.id = id;
  rec.json = json;
  rec.json_bytes = strlen(json);
  rec.deadline_s = STORE_TIME_NONE;
  rec.updated_s = 1;
  rec.status = status;
  rec.region = region;
  ASSERT_EQ(store_case_put(txn, &rec), 0);
}

static void task(store_txn_t *txn, const char *id, const char *recipient, const char *kind,
                 const char *deadline) {
  json_t *it = json_pack("{s:s, s:s}", "type", "task", "kind", kind);
  if (deadline != NULL) json_object_set_new(it, "deadline", json_string(deadline));
  ASSERT_EQ(store_inbox_add(txn, recipient, id, it, 10, NULL), 0);
  json_decref(it);
}

static uint64_t problems(store_t *st) {
  store_check_stats_t stats;
  store_txn_t *txn;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  (void)store_check(txn, NULL, NULL, 0, &stats);
  store_txn_abort(txn);
  return stats.problems;
}

/* Cases move between statuses; tasks open and close; a missed deadline's
 * task counts under its deadline's kind too; verify agrees throughout. */
TEST(counts_follow_the_records) {
  char root[64];
  counts_t c;
  store_txn_t *txn;
  uint64_t seq, timers, idem;
  store_t *st = fresh(root);

  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  put(txn, "c-1", "aangemeld", "rijnmond");
  put(txn, "c-2", "aangemeld", "rijnmond");
  put(txn, "c-3", "aangemeld", "holland-noord");
  put(txn, "c-1", "toegewezen", "rijnmond");
  put(txn, "c-1", "toegewezen", "rijnmond"); /* the same again: no change */
  task(txn, "c-1", "org:a/pr", "start_zorg_termijn_verlopen", "start_zorg");
  task(txn, "c-1", "org:a/cr", "start_zorg_termijn_verlopen", "start_zorg");
  task(txn, "c-2", "org:a/pr", "casusregisseur_toewijzen", NULL);
  {
    json_t *n = json_pack("{s:s, s:s}", "type", "notification", "kind", "x");
    ASSERT_EQ(store_inbox_add(txn, "org:a/pr", "c-2", n, 10, &seq), 0);
    json_decref(n);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  counts(st, &c);
  ASSERT_COUNT(&c, "c/aangemeld/rijnmond=1\n");
  ASSERT_COUNT(&c, "c/toegewezen/rijnmond=1\n");
  ASSERT_COUNT(&c, "c/aangemeld/holland-noord=1\n");
  ASSERT_COUNT(&c, "t/start_zorg_termijn_verlopen/=2\n");
  ASSERT_COUNT(&c, "t/casusregisseur_toewijzen/=1\n");
  ASSERT_COUNT(&c, "o/start_zorg/=2\n");
  ASSERT(strstr(c.text, "t/x/") == NULL); /* a notification is no task */
  ASSERT_EQ(problems(st), 0);

  /* Closing the missed deadline's tasks; marking the notification read. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "start_zorg_termijn_verlopen"), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "start_zorg_termijn_verlopen"), 0); /* closed already */
  ASSERT_EQ(store_inbox_mark_read(txn, "org:a/pr", seq), 0);
  ASSERT_EQ(store_counts_entries(txn, &timers, &idem), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(timers, 0);
  ASSERT_EQ(idem, 0);
  counts(st, &c);
  ASSERT_COUNT(&c, "t/start_zorg_termijn_verlopen/=0\n"); /* kept at 0, not gone */
  ASSERT_COUNT(&c, "o/start_zorg/=0\n");
  ASSERT_COUNT(&c, "t/casusregisseur_toewijzen/=1\n");
  ASSERT_EQ(problems(st), 0);

  /* A rolled-back transaction leaves the counts as they were. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  put(txn, "c-2", "beeindigd", "rijnmond");
  task(txn, "c-2", "org:a/pr", "other", NULL);
  store_txn_abort(txn);
  counts(st, &c);
  ASSERT_COUNT(&c, "c/aangemeld/rijnmond=1\n");
  ASSERT(strstr(c.text, "beeindigd") == NULL && strstr(c.text, "t/other") == NULL);

  /* What purge does when it destroys a case: it leaves its count. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_count_case(txn, "c-3", NULL, NULL), 0);
  ASSERT_EQ(store_count_case(txn, "c-3", NULL, NULL), 0); /* gone already: nothing */
  ASSERT_EQ(store_count_task(txn, "casusregisseur_toewijzen", NULL, -1), 0);
  ASSERT_EQ(store_count_task(txn, "casusregisseur_toewijzen", NULL, -1), 0); /* stays at 0 */
  ASSERT_EQ(store_txn_commit(txn), 0);
  counts(st, &c);
  ASSERT_COUNT(&c, "c/aangemeld/holland-noord=0\n");
  ASSERT_COUNT(&c, "t/casusregisseur_toewijzen/=0\n");
  /* The case c-3 and c-2's task still exist: verify names both differences. */
  ASSERT_EQ(problems(st), 2);
  store_close(st);
  tmpdir_remove(root);
}

/* A count changed behind the store's back is reported by verify. */
TEST(verify_names_a_wrong_count) {
  char root[64];
  store_txn_t *txn;
  store_check_stats_t stats;
  store_t *st = fresh(root);
  static const unsigned char nine[8] = {0, 0, 0, 0, 0, 0, 0, 9};
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  put(txn, "c-1", "aangemeld", "r");
  ASSERT_EQ(store_debug_put_raw(txn, "counts", "caangemeld\0r", 12, nine, 8), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_check(txn, NULL, NULL, 0, &stats), CASUS_ESTORE_CORRUPT);
  store_txn_abort(txn);
  ASSERT_EQ(stats.problems, 1);
  store_close(st);
  tmpdir_remove(root);
}

/* A store without counts (made before they existed) is rebuilt: the cases
 * counted again one by one, the inbox's open tasks in one walk. */
TEST(rebuild_counts_an_older_store) {
  char root[64];
  counts_t c;
  store_txn_t *txn;
  store_t *st = fresh(root);
  ASSERT(!store_counts_needed(st));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  put(txn, "c-1", "aangemeld", "r");
  task(txn, "c-1", "org:a/pr", "k", "d");
  ASSERT_EQ(store_counts_rebuild_begin(txn), 0); /* as a store without counts */
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT(store_counts_needed(st));
  counts(st, &c);
  ASSERT_STR_EQ(c.text, "");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_count_case(txn, "c-1", "aangemeld", "r"), 0);
  ASSERT_EQ(store_counts_rebuild_finish(txn), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT(!store_counts_needed(st));
  counts(st, &c);
  ASSERT_STR_EQ(c.text, "c/aangemeld/r=1\no/d/=1\nt/k/=1\n");
  ASSERT_EQ(problems(st), 0);
  store_close(st);
  tmpdir_remove(root);
}

#define TEST_LIST(X)            \
  X(counts_follow_the_records)  \
  X(verify_names_a_wrong_count) \
  X(rebuild_counts_an_older_store)

TEST_MAIN(TEST_LIST)
