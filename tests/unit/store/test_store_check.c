/*
 * Store tests: store_check, the check of every record behind casusd verify
 * (R-AUD-1 for the history chains).  Each kind of damage is written with
 * store_debug_put_raw, bypassing every check, and must be named; an intact
 * store must pass; the number of problems reported is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

typedef struct {
  char text[16384]; /* the problems, one per line */
  size_t n;
} problems_t;

static void collect_cb(const char *problem, void *ud) {
  problems_t *p = ud;
  size_t len = strlen(p->text);
  snprintf(p->text + len, sizeof(p->text) - len, "%s\n", problem);
  p->n++;
}

static int check(store_t *st, problems_t *p, size_t report_max, store_check_stats_t *stats) {
  store_txn_t *txn;
  int rc;
  memset(p, 0, sizeof(*p));
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_check(txn, collect_cb, p, report_max, stats);
  store_txn_abort(txn);
  return rc;
}

#define ASSERT_NAMED(p, s)                                                                \
  do {                                                                                    \
    if (strstr((p)->text, (s)) == NULL) TEST__FAIL("\"%s\" not in:\n%s", (s), (p)->text); \
  } while (0)

/* A case with one scope, an attribute, a deadline, an update time, a timer,
 * one history entry (its head kept in the record), an inbox item and an
 * idempotency record: every database has a record of it. */
static void good_case(store_t *st, const char *id) {
  store_history_head_t head = {STORE_HISTORY_SEQ_UNKNOWN, ""};
  store_case_rec_t rec;
  store_txn_t *txn;
  json_t *e, *c, *item;
  char *s;

  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  e = json_pack("{s:s, s:s}", "case_id", id, "event", "aanmelden");
  ASSERT_EQ(store_history_append(txn, id, e, &head), 0);
  json_decref(e);
  c = json_pack("{s:s, s:{s:{s:I, s:s}}, s:{s:I, s:s}}", "id", id, "timers", "t1", "due_s", (json_int_t)1000,
                "due", "x", "history", "seq", (json_int_t)head.seq, "hash", head.hash);
  s = json_dumps(c, JSON_COMPACT);
  memset(&rec, 0, sizeof(rec));
  rec.id = id;
  rec.json = s;
  rec.json_bytes = strlen(s);
  rec.timers = json_object_get(c, "timers");
  rec.scopes[0] = "g=a";
  rec.scopes_count = 1;
  rec.attrs[0] = (store_attr_t){"status", "open"};
  rec.attrs_count = 1;
  rec.deadline_s = 900;
  rec.updated_s = 10;
  ASSERT_EQ(store_case_put(txn, &rec), 0);
  free(s);
  json_decref(c);
  item = json_pack("{s:s}", "kind", "k");
  ASSERT_EQ(store_inbox_add(txn, "org:a/r", id, item, 10, NULL), 0);
  json_decref(item);
  ASSERT_EQ(
      store_idem_put(txn, "actor-1", id, "0000000000000000000000000000000000000000000000000000000000000000",
                     200, 10, "{}", 2),
      0);
  ASSERT_EQ(store_txn_commit(txn), 0);
}

static void raw(store_t *st, const char *db, const void *k, size_t kn, const void *v, size_t vn) {
  store_txn_t *txn;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, db, k, kn, v, vn), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
}

static store_t *fresh(char root[64]) {
  char dir[96];
  store_t *st;
  tmpdir_make(root);
  snprintf(dir, sizeof(dir), "%s/db", root);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  return st;
}

TEST(intact_store_passes) {
  char root[64];
  problems_t p;
  store_check_stats_t stats;
  store_t *st = fresh(root);
  ASSERT_EQ(check(st, &p, 100, &stats), 0);
  ASSERT_EQ(stats.cases, 0);
  good_case(st, "c-1");
  good_case(st, "c-2");
  ASSERT_EQ(check(st, &p, 100, &stats), 0);
  ASSERT_STR_EQ(p.text, "");
  ASSERT_EQ(stats.problems, 0);
  ASSERT_EQ(stats.cases, 2);
  ASSERT_EQ(stats.history_entries, 2);
  ASSERT_EQ(stats.index_entries, 8); /* per case: all, status=open, deadline, updated */
  ASSERT_EQ(stats.timers, 2);
  ASSERT_EQ(stats.inbox_items, 2);
  ASSERT_EQ(stats.inbox_links, 2);
  ASSERT_EQ(stats.idem_records, 2);
  store_close(st);
  tmpdir_remove(root);
}

/* Records that no longer fit together: each is named. */
TEST(mismatches_named) {
  static const uint8_t stray_timer[] = {0x80, 0, 0, 0, 0, 0, 0, 5, 'c', '-', '1', 0, 's', 'p'};
  static const uint8_t stray_deadline[] = {0x80, 0, 0, 0, 0, 0, 0, 7, 'c', '-', '1'};
  char root[64], head[200];
  problems_t p;
  store_check_stats_t stats;
  store_t *st = fresh(root);
  good_case(st, "c-1");
  good_case(st, "c-2");
  good_case(st, "c-3");
  /* a sindex entry for a case that does not exist, one for a scope c-1 lacks, one at a time c-1 lacks */
  raw(st, "sindex", "g=a\0a", 5, "c-9", 3);
  raw(st, "sindex", "g=z\0a", 5, "c-1", 3);
  raw(st, "sindex", "g=a\0estatus\0shut", 16, "c-1", 3);
  raw(st, "sindex", "g=a\0d", 5, stray_deadline, sizeof(stray_deadline));
  /* a timer key c-1 does not have */
  raw(st, "timers", stray_timer, sizeof(stray_timer), "", 0);
  /* casemeta of a case that does not exist */
  raw(st, "casemeta", "c-8", 3, "\x02", 1);
  /* a history entry of a case that does not exist */
  raw(st, "history", "c-7\0\0\0\0\0\0\0\0\1", 12, "{}", 2);
  /* c-2's record: other timers (and so another digest) */
  raw(st, "cases", "c-2", 3, "{\"id\":\"c-2\",\"timers\":{}}", 24);
  /* c-3's record: a head beyond its chain */
  snprintf(head, sizeof(head), "{\"id\":\"c-3\",\"history\":{\"seq\":3,\"hash\":\"%064d\"}}", 0);
  raw(st, "cases", "c-3", 3, head, strlen(head));
  /* a case with a head but no history at all, and no casemeta */
  snprintf(head, sizeof(head), "{\"id\":\"c-4\",\"history\":{\"seq\":2,\"hash\":\"%064d\"}}", 0);
  raw(st, "cases", "c-4", 3, head, strlen(head));

  ASSERT_EQ(check(st, &p, 100, &stats), CASUS_ESTORE_CORRUPT);
  ASSERT_NAMED(&p, "index entry g=a\\x00a names case c-9, which does not exist");
  ASSERT_NAMED(&p, "index entry g=z\\x00a names case c-1, whose index record does not have it");
  ASSERT_NAMED(&p,
               "index entry g=a\\x00estatus\\x00shut names case c-1, whose index record does not have it");
  ASSERT_NAMED(&p, "index entry g=a\\x00d (time 7) names case c-1, whose index record does not have it");
  ASSERT_NAMED(&p, "timer index entry of case c-1, timer \"sp\" due_s 5: the case has no such timer");
  ASSERT_NAMED(&p, "index record of case c-8: the case does not exist");
  ASSERT_NAMED(&p, "history of case c-7: the case does not exist");
  ASSERT_NAMED(&p, "case c-2: its timers do not match the timers its index record lists");
  ASSERT_NAMED(&p, "case c-2: its record does not match the digest");
  ASSERT_NAMED(&p, "case c-3: its history head (seq 3) is not its chain's last entry (seq 1)");
  ASSERT_NAMED(&p, "case c-4: its history head names seq 2, but it has no history");
  ASSERT_NAMED(&p, "case c-4: it has no index record (casemeta)");
  ASSERT_EQ(stats.problems, p.n);
  store_close(st);
  tmpdir_remove(root);
}

/* Keys and records that do not have their database's shape. */
TEST(malformed_records_named) {
  char root[64];
  problems_t p;
  store_check_stats_t stats;
  store_t *st = fresh(root);
  good_case(st, "c-1");
  raw(st, "cases", "c-\0x", 4, "{}", 2);
  raw(st, "history", "c-1", 3, "{}", 2);
  raw(st, "history", "c-1\0\0\0\0\0\0\0\0\2", 12, "not json", 8);
  raw(st, "sindex", "g=a", 3, "c-1", 3);
  raw(st, "sindex", "g=a\0q", 5, "c-1", 3);
  raw(st, "sindex", "g=a\0d", 5, "c-1", 3); /* no time before the id */
  raw(st, "timers", "\1\2\3", 3, "", 0);
  raw(st, "inbox", "org:a/r\0\0\0\0\0\0\0\0\x09", 16, "{\"seq\":8}", 9);
  raw(st, "inbox", "x", 1, "{}", 2);
  raw(st, "inbox_case", "c-1\0\0\0\0\0\0\0\0\x07", 12, "org:a/r", 7);
  raw(st, "inbox_case", "c", 1, "r", 1);
  raw(st, "idem", "actor-1\0bad", 11, "\x09", 1);
  raw(st, "idem", "nokey", 5, "\x01", 1);
  raw(st, "casemeta", "c-\0y", 4, "\x02", 1);

  ASSERT_EQ(check(st, &p, 100, &stats), CASUS_ESTORE_CORRUPT);
  ASSERT_NAMED(&p, "case key c-\\x00x is malformed");
  ASSERT_NAMED(&p, "history key c-1 is malformed");
  ASSERT_NAMED(&p, "history of case c-1 is broken at seq 2: the entry does not parse");
  ASSERT_NAMED(&p, "index key g=a is malformed");
  ASSERT_NAMED(&p, "index entry g=a\\x00q -> c-1 is malformed");
  ASSERT_NAMED(&p, "index entry g=a\\x00d -> c-1 is malformed");
  ASSERT_NAMED(&p, "timer index key \\x01\\x02\\x03 is malformed");
  ASSERT_NAMED(&p, "inbox item 9 of org:a/r: its seq does not match its key");
  ASSERT_NAMED(&p, "inbox key x is malformed");
  ASSERT_NAMED(&p, "inbox link of case c-1: item 7 of org:a/r does not exist");
  ASSERT_NAMED(&p, "inbox link c is malformed");
  ASSERT_NAMED(&p, "idempotency record actor-1\\x00bad: it does not decode");
  ASSERT_NAMED(&p, "idempotency key nokey is malformed");
  ASSERT_NAMED(&p, "index record key c-\\x00y is malformed");
  store_close(st);
  tmpdir_remove(root);
}

/* Only the first report_max problems are reported; all are counted. */
TEST(reports_bounded_counts_all) {
  char root[64], id[16];
  problems_t p;
  store_check_stats_t stats;
  store_t *st = fresh(root);
  int i;
  for (i = 0; i < 30; i++) {
    snprintf(id, sizeof(id), "c-%02d", i);
    raw(st, "cases", id, strlen(id), "{broken", 7);
  }
  ASSERT_EQ(check(st, &p, 5, &stats), CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(p.n, 5);
  ASSERT_EQ(stats.problems, 60); /* each: does not parse, and has no casemeta */
  ASSERT_EQ(stats.cases, 30);
  store_close(st);
  tmpdir_remove(root);
}

/* A store of schema 1 has no casemeta or sindex yet (the server builds
 * them at its first start): only what it has is checked. */
TEST(schema_1_store_checked_without_indexes) {
  char root[64];
  problems_t p;
  store_check_stats_t stats;
  store_t *st = fresh(root);
  raw(st, "meta", "schema_version", 14, "1", 1);
  raw(st, "cases", "c-1", 3, "{\"id\":\"c-1\"}", 12);
  raw(st, "timers", "\x80\0\0\0\0\0\0\5c-1\0t", 14, "", 0);
  ASSERT_EQ(check(st, &p, 100, &stats), 0);
  ASSERT_EQ(stats.cases, 1);
  raw(st, "cases", "c-2", 3, "{\"id\":\"c-3\"}", 12);
  ASSERT_EQ(check(st, &p, 100, &stats), CASUS_ESTORE_CORRUPT);
  ASSERT_NAMED(&p, "case c-2: its record names another id");
  ASSERT_EQ(p.n, 1);
  store_close(st);
  tmpdir_remove(root);
}

/* inbox_case_open lists exactly the open items (with a kind) of each case:
 * an open item it lacks would never be closed, an entry of no open item
 * is damage.  A store upgraded before the index existed (growth level 1)
 * is not held to it: the server files it at its next start. */
TEST(open_inbox_items_listed_by_case) {
  static const char unlisted[] = "{\"kind\":\"k\",\"seq\":32,\"open\":true,\"case_id\":\"c-1\"}";
  char root[64];
  problems_t p;
  store_check_stats_t stats;
  store_txn_t *txn;
  store_t *st = fresh(root);
  json_t *item = json_pack("{s:s, s:s}", "type", "task", "kind", "sluiten");
  uint64_t closed;
  good_case(st, "c-1");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_add(txn, "org:a/r", "c-1", item, 10, &closed), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "sluiten"), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(item);
  ASSERT_EQ(closed, 2);
  ASSERT_EQ(check(st, &p, 100, &stats), 0);

  raw(st, "inbox", "org:a/r\0\0\0\0\0\0\0\0\x20", 16, unlisted, sizeof(unlisted) - 1);
  raw(st, "inbox_case_open", "c-1\0sluiten\0\0\0\0\0\0\0\0\x02", 20, "org:a/r", 7);
  raw(st, "inbox_case_open", "c-1\0k\0\0\0\0\0\0\0\0\x21", 14, "org:a/r", 7);
  raw(st, "inbox_case_open", "c-1\0m\0\0\0\0\0\0\0\0\x01", 14, "org:a/r", 7);
  raw(st, "inbox_case_open", "x", 1, "org:a/r", 7);
  ASSERT_EQ(check(st, &p, 100, &stats), CASUS_ESTORE_CORRUPT);
  ASSERT_NAMED(&p, "inbox item 32 of org:a/r is open, but case c-1 does not list it as open");
  ASSERT_NAMED(&p, "open inbox entry c-1\\x00sluiten\\x00");
  ASSERT_NAMED(&p, ": its item is closed");
  ASSERT_NAMED(&p, ": its item does not exist");
  ASSERT_NAMED(&p, ": its item is of another kind");
  ASSERT_NAMED(&p, "open inbox entry x is malformed");
  ASSERT_EQ(p.n, 5);

  raw(st, "meta", "growth_indexed", 14, "1", 1);
  ASSERT_EQ(check(st, &p, 100, &stats), 0);
  store_close(st);
  tmpdir_remove(root);
}

#define TEST_LIST(X)                        \
  X(intact_store_passes)                    \
  X(mismatches_named)                       \
  X(malformed_records_named)                \
  X(reports_bounded_counts_all)             \
  X(schema_1_store_checked_without_indexes) \
  X(open_inbox_items_listed_by_case)

TEST_MAIN(TEST_LIST)
