/*
 * test_store_growth.c -- bounded reads and bounded growth in the store:
 * history pages (R-AUD-1: every entry exactly once, in order, by cursor
 * seeks), idempotency records that expire (idem_time and its sweep), the
 * inbox's listing order (open tasks first, newest first), marking read,
 * the inbox sweep, and the upgrade of a store written before these
 * orders existed.
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

#define DAY_S (24 * 3600)
#define T0 1800000000 /* 2027-01-15, a time for the tests' clocks */

static store_t *store_at(const char *root) {
  char dir[128];
  store_t *st = NULL;
  snprintf(dir, sizeof(dir), "%s/db", root);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  return st;
}

static uint64_t entries_of(store_t *st, const char *db) {
  store_txn_t *txn;
  uint64_t n = 0;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_debug_db_entries(txn, db, &n), 0);
  store_txn_abort(txn);
  return n;
}

/* --- history pages (R-AUD-1) --- */

/* Appends n entries to case_id, each with a "note" of note_bytes bytes. */
static void history_add(store_t *st, const char *case_id, int n, size_t note_bytes) {
  store_history_head_t head = {STORE_HISTORY_SEQ_UNKNOWN, STORE_HISTORY_ZERO_HASH};
  store_txn_t *txn;
  char *note = malloc(note_bytes + 1);
  int i;
  ASSERT_NOT_NULL(note);
  memset(note, 'x', note_bytes);
  note[note_bytes] = '\0';
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < n; i++) {
    json_t *e = json_pack("{s:s, s:s, s:{s:s}}", "event", "note", "actor", "cr-1", "data", "note", note);
    ASSERT_EQ(store_history_append(txn, case_id, e, &head), 0);
    json_decref(e);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  free(note);
}

/* Reads the whole chain of case_id in pages of at most limit entries and
 * max_bytes; checks every entry comes once, in order, and that each page
 * holds at least one entry.  Returns the number of pages. */
static int history_read_paged(store_t *st, const char *case_id, size_t limit, size_t max_bytes,
                              uint64_t want_entries) {
  uint64_t after = 0, next, want_seq = 1;
  int pages = 0;
  do {
    store_txn_t *txn;
    json_t *page, *e;
    size_t i;
    ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
    ASSERT_EQ(store_history_page(txn, case_id, after, limit, max_bytes, &page, &next), 0);
    store_txn_abort(txn);
    ASSERT_LE(json_array_size(page), limit);
    if (next != 0) ASSERT_GE(json_array_size(page), 1);
    json_array_foreach(page, i, e) {
      ASSERT_EQ(json_integer_value(json_object_get(e, "seq")), (json_int_t)want_seq);
      want_seq++;
    }
    if (next != 0) ASSERT_EQ(next, want_seq - 1); /* the page's last seq */
    json_decref(page);
    after = next;
    pages++;
    ASSERT_LE(pages, 100000);
  } while (next != 0);
  ASSERT_EQ(want_seq - 1, want_entries);
  return pages;
}

TEST(history_pages_cover_the_chain_once_R_AUD_1) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page;
  uint64_t next = 99;

  tmpdir_make(root);
  st = store_at(root);
  history_add(st, "c-1", 250, 10);
  history_add(st, "c-10", 3, 10); /* "c-1" NUL ... sorts before "c-10": no mixing */
  ASSERT_EQ(history_read_paged(st, "c-1", 1, LIMIT_HISTORY_PAGE_BYTES_MAX, 250), 250);
  ASSERT_EQ(history_read_paged(st, "c-1", 7, LIMIT_HISTORY_PAGE_BYTES_MAX, 250), 36);
  ASSERT_EQ(history_read_paged(st, "c-1", 100, LIMIT_HISTORY_PAGE_BYTES_MAX, 250), 3);
  ASSERT_EQ(history_read_paged(st, "c-1", 250, LIMIT_HISTORY_PAGE_BYTES_MAX, 250), 1);
  ASSERT_EQ(history_read_paged(st, "c-1", 1000, LIMIT_HISTORY_PAGE_BYTES_MAX, 250), 1);
  ASSERT_EQ(history_read_paged(st, "c-10", 2, LIMIT_HISTORY_PAGE_BYTES_MAX, 3), 2);
  ASSERT_EQ(history_read_paged(st, "c-2", 10, LIMIT_HISTORY_PAGE_BYTES_MAX, 0), 1); /* no entries */

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  /* After the end, and at the largest after: an empty last page. */
  ASSERT_EQ(store_history_page(txn, "c-1", 250, 10, 1000, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 0);
  ASSERT_EQ(next, 0);
  json_decref(page);
  ASSERT_EQ(store_history_page(txn, "c-1", UINT64_MAX, 10, 1000, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 0);
  ASSERT_EQ(next, 0);
  json_decref(page);
  /* Starting in the middle. */
  ASSERT_EQ(store_history_page(txn, "c-1", 240, 5, LIMIT_HISTORY_PAGE_BYTES_MAX, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 5);
  ASSERT_EQ(json_integer_value(json_object_get(json_array_get(page, 0), "seq")), 241);
  ASSERT_EQ(next, 245);
  json_decref(page);
  /* Invalid arguments. */
  ASSERT_EQ(store_history_page(txn, "c-1", 0, 0, 1000, &page, &next), CASUS_EINVALID_DATA);
  ASSERT_NULL(page);
  ASSERT_EQ(store_history_page(txn, "", 0, 10, 1000, &page, &next), CASUS_EINVALID_DATA);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

TEST(history_pages_stop_at_the_byte_bound) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page;
  uint64_t next;

  tmpdir_make(root);
  st = store_at(root);
  history_add(st, "c-1", 40, 10000); /* each entry some 10 KB */
  /* 100 KB a page: about nine entries, never more than the bound, and every
   * entry exactly once over the pages. */
  ASSERT_GE(history_read_paged(st, "c-1", 1000, 100000, 40), 4);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_history_page(txn, "c-1", 0, 1000, 100000, &page, &next), 0);
  ASSERT_GE(json_array_size(page), 8);
  ASSERT_LE(json_array_size(page), 9);
  ASSERT_EQ(next, json_array_size(page));
  json_decref(page);
  /* A bound below one entry: one entry a page, still progressing. */
  ASSERT_EQ(store_history_page(txn, "c-1", 3, 1000, 10, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 1);
  ASSERT_EQ(next, 4);
  json_decref(page);
  store_txn_abort(txn);
  ASSERT_EQ(history_read_paged(st, "c-1", 1000, 0, 40), 40);
  store_close(st);
  tmpdir_remove(root);
}

TEST(history_page_damaged_entry_is_corrupt) {
  static const char key[] = "c-1\0\0\0\0\0\0\0\0\x02";
  static const char wrong_seq[] = "{\"seq\":7,\"hash\":\"x\"}";
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page;
  uint64_t next;

  tmpdir_make(root);
  st = store_at(root);
  history_add(st, "c-1", 3, 10);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "history", key, sizeof(key) - 1, wrong_seq, sizeof(wrong_seq) - 1), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  /* The page before it is fine; the page that holds it is not. */
  ASSERT_EQ(store_history_page(txn, "c-1", 0, 1, 1000, &page, &next), 0);
  ASSERT_EQ(next, 1);
  json_decref(page);
  ASSERT_EQ(store_history_page(txn, "c-1", 1, 10, 1000, &page, &next), CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(page);
  ASSERT_EQ(next, 0);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* --- idempotency records that expire --- */

#define SHA_A "a3f1c2d4e5b6a7980112233445566778899aabbccddeeff00112233445566778"
#define SHA_B "00000000000000000000000000000000000000000000000000000000000000ff"

static int idem_get(store_t *st, const char *actor, const char *key, int64_t *created, char **body) {
  store_txn_t *txn;
  char sha[65];
  int status, rc;
  size_t n;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_idem_get(txn, actor, key, sha, &status, created, body, &n);
  store_txn_abort(txn);
  return rc;
}

static size_t idem_sweep(store_t *st, int64_t before, size_t max) {
  store_txn_t *txn;
  size_t swept = 99;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_idem_sweep(txn, before, max, &swept), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  return swept;
}

TEST(idempotency_records_carry_their_time_and_are_swept) {
  char root[64], key[32];
  store_t *st;
  store_txn_t *txn;
  int64_t created = 0;
  char *body = NULL;
  int i;

  tmpdir_make(root);
  st = store_at(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < 10; i++) {
    snprintf(key, sizeof(key), "k-%d", i);
    ASSERT_EQ(store_idem_put(txn, "cr-1", key, SHA_A, 200, T0 + i * 3600, "{\"id\":1}", 8), 0);
  }
  /* A key that fits idem but not idem_time (8 bytes longer) is refused, before anything is written. */
  {
    char actor[65], longkey[450];
    memset(actor, 'a', 64);
    actor[64] = '\0';
    memset(longkey, 'k', 440);
    longkey[440] = '\0';
    ASSERT_EQ(store_idem_put(txn, actor, longkey, SHA_A, 200, T0, "x", 1), CASUS_EINVALID_DATA);
  }
  /* Replaced: the new record's time is what counts, and one time entry remains. */
  ASSERT_EQ(store_idem_put(txn, "cr-1", "k-0", SHA_B, 201, T0 + 20 * 3600, "{\"id\":2}", 8), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(entries_of(st, "idem"), 10);
  ASSERT_EQ(entries_of(st, "idem_time"), 10);
  ASSERT_EQ(idem_get(st, "cr-1", "k-3", &created, &body), 0);
  ASSERT_EQ(created, T0 + 3 * 3600);
  ASSERT_STR_EQ(body, "{\"id\":1}");
  free(body);

  /* Nothing is older than T0: nothing goes. */
  ASSERT_EQ(idem_sweep(st, T0, 100), 0);
  ASSERT_EQ(entries_of(st, "idem"), 10);
  /* Created before T0 + 5 h: k-1..k-4 (k-0 was made again at T0 + 20 h);
   * at most 3 per sweep. */
  ASSERT_EQ(idem_sweep(st, T0 + 5 * 3600, 3), 3);
  ASSERT_EQ(entries_of(st, "idem"), 7);
  ASSERT_EQ(idem_sweep(st, T0 + 5 * 3600, 3), 1);
  ASSERT_EQ(entries_of(st, "idem"), 6);
  ASSERT_EQ(entries_of(st, "idem_time"), 6);
  ASSERT_EQ(idem_get(st, "cr-1", "k-4", &created, &body), CASUS_ENOT_FOUND);
  ASSERT_EQ(idem_get(st, "cr-1", "k-5", &created, &body), 0);
  free(body);
  ASSERT_EQ(idem_get(st, "cr-1", "k-0", &created, &body), 0);
  ASSERT_EQ(created, T0 + 20 * 3600);
  free(body);
  /* Everything. */
  ASSERT_EQ(idem_sweep(st, T0 + 100 * 3600, 100), 6);
  ASSERT_EQ(entries_of(st, "idem"), 0);
  ASSERT_EQ(entries_of(st, "idem_time"), 0);
  ASSERT_EQ(idem_sweep(st, T0 + 100 * 3600, 100), 0);
  store_close(st);
  tmpdir_remove(root);
}

TEST(idempotency_stale_time_entry_spares_a_newer_record) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  store_growth_pos_t pos;
  int64_t created;
  char *body = NULL;
  uint8_t stale[8 + 9];
  bool done = false;

  tmpdir_make(root);
  st = store_at(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_idem_put(txn, "cr-1", "k-1", SHA_A, 200, T0 + 50, "x", 1), 0);
  /* A time entry at T0 for the same key (as a crash between versions could
   * leave): the sweep drops it and keeps the record made at T0 + 50. */
  memset(stale, 0, sizeof(stale));
  stale[0] = 0x80;
  stale[4] = (uint8_t)(T0 >> 24);
  stale[5] = (uint8_t)(T0 >> 16);
  stale[6] = (uint8_t)(T0 >> 8);
  stale[7] = (uint8_t)T0;
  memcpy(stale + 8, "cr-1\0k-1", 8);
  ASSERT_EQ(store_debug_put_raw(txn, "idem_time", stale, 16, "", 0), 0);
  /* An entry too short to name a record goes alone. */
  ASSERT_EQ(store_debug_put_raw(txn, "idem_time", "\x01", 1, "", 0), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(idem_sweep(st, T0 + 10, 100), 2);
  ASSERT_EQ(idem_get(st, "cr-1", "k-1", &created, &body), 0);
  ASSERT_EQ(created, T0 + 50);
  free(body);
  ASSERT_EQ(entries_of(st, "idem_time"), 1);

  /* A record of an older store (JSON form, no time): read with no time,
   * dated by the upgrade, swept when that date comes due. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  {
    static const char old_rec[] = "{\"request_sha256\":\"" SHA_A "\",\"status\":201,\"body\":\"{}\"}";
    static const char v1_rec[] = "\x01" SHA_A "\x00\xc8{}";
    ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0old", 8, old_rec, sizeof(old_rec) - 1), 0);
    ASSERT_EQ(store_debug_put_raw(txn, "idem", "cr-1\0v1", 7, v1_rec, sizeof(v1_rec) - 1), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(idem_get(st, "cr-1", "old", &created, &body), 0);
  ASSERT_EQ(created, STORE_TIME_NONE);
  free(body);
  ASSERT_EQ(idem_get(st, "cr-1", "v1", &created, &body), 0);
  ASSERT_EQ(created, STORE_TIME_NONE);
  ASSERT_STR_EQ(body, "{}");
  free(body);
  memset(&pos, 0, sizeof(pos));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_growth_upgrade_step(txn, &pos, T0 + 100, 100, &done), 0);
  ASSERT(done);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(entries_of(st, "idem_time"), 3);
  ASSERT_EQ(idem_sweep(st, T0 + 51, 100), 1);  /* k-1 */
  ASSERT_EQ(idem_sweep(st, T0 + 100, 100), 0); /* not before their date */
  ASSERT_EQ(idem_sweep(st, T0 + 101, 100), 2);
  ASSERT_EQ(entries_of(st, "idem"), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* --- the inbox: pages, read, sweep --- */

static const char *const ME[] = {"actor:cr-1", "org:rotterdam/casusregisseur"};

static uint64_t inbox_add(store_t *st, const char *recipient, const char *type, const char *case_id,
                          int64_t created) {
  store_txn_t *txn;
  uint64_t seq;
  json_t *it = json_pack("{s:s, s:s, s:s}", "type", type, "kind", type[0] == 't' ? "beoordelen" : "melding",
                         "title", "t");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_add(txn, recipient, case_id, it, created, &seq), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(it);
  return seq;
}

/* One page; its seqs into seqs (at most 64), its next cursor into next. */
static int inbox_page(store_t *st, const store_inbox_query_t *q, uint64_t *seqs, size_t *n, char *next) {
  store_txn_t *txn;
  json_t *list, *it;
  size_t i;
  int rc;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_inbox_page(txn, q, &list, next, STORE_INBOX_CURSOR_BYTES_MAX);
  store_txn_abort(txn);
  if (rc != 0) return rc;
  *n = json_array_size(list);
  ASSERT_LE(*n, 64);
  json_array_foreach(list, i, it) seqs[i] = (uint64_t)json_integer_value(json_object_get(it, "seq"));
  json_decref(list);
  return 0;
}

static store_inbox_query_t query_all(void) {
  store_inbox_query_t q;
  memset(&q, 0, sizeof(q));
  q.recipients = ME;
  q.recipients_count = 2;
  q.tasks = q.notifications = true;
  q.notifications_since_s = STORE_TIME_NONE;
  q.limit = 64;
  q.examine_max = 1000;
  return q;
}

TEST(inbox_lists_open_tasks_first_newest_first) {
  char root[64], next[STORE_INBOX_CURSOR_BYTES_MAX];
  uint64_t s[10], got[64], all[64];
  size_t n, total;
  store_inbox_query_t q;
  store_t *st;
  int i, pages;

  tmpdir_make(root);
  st = store_at(root);
  s[0] = inbox_add(st, ME[0], "notification", "c-1", T0);
  s[1] = inbox_add(st, ME[1], "task", "c-1", T0);
  s[2] = inbox_add(st, "actor:someone-else", "task", "c-1", T0);
  s[3] = inbox_add(st, ME[1], "notification", "c-2", T0);
  s[4] = inbox_add(st, ME[0], "task", "c-2", T0);
  s[5] = inbox_add(st, ME[0], "notification", "c-3", T0 - 40 * DAY_S); /* old */
  s[6] = inbox_add(st, ME[1], "task", "c-3", T0 - 40 * DAY_S);         /* old, but a task */

  q = query_all();
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  /* Tasks newest first (6, 4, 1), then notifications newest first (5, 3, 0). */
  ASSERT_EQ(n, 6);
  ASSERT_EQ(got[0], s[6]);
  ASSERT_EQ(got[1], s[4]);
  ASSERT_EQ(got[2], s[1]);
  ASSERT_EQ(got[3], s[5]);
  ASSERT_EQ(got[4], s[3]);
  ASSERT_EQ(got[5], s[0]);
  ASSERT_STR_EQ(next, "");
  /* The age limit hides old notifications, never tasks. */
  q.notifications_since_s = T0 - 30 * DAY_S;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 5);
  ASSERT_EQ(got[3], s[3]);
  /* Only one section. */
  q.notifications = false;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 3);
  q.notifications = true;
  q.tasks = false;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 2);
  ASSERT_EQ(got[0], s[3]);
  /* after_seq keeps the newer items only. */
  q = query_all();
  q.after_seq = s[3];
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 3);
  ASSERT_EQ(got[0], s[6]);
  ASSERT_EQ(got[1], s[4]);
  ASSERT_EQ(got[2], s[5]);

  /* Pages of 1, 2 and 4, and a budget of 1 entry a call: every item once, in the same order. */
  for (i = 0; i < 4; i++) {
    q = query_all();
    q.limit = i == 3 ? 64 : (size_t)1 << i;
    q.examine_max = i == 3 ? 1 : 1000;
    total = 0;
    pages = 0;
    next[0] = '\0';
    do {
      char cursor[STORE_INBOX_CURSOR_BYTES_MAX];
      size_t k;
      snprintf(cursor, sizeof(cursor), "%s", next);
      q.cursor = cursor;
      ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
      for (k = 0; k < n; k++) all[total++] = got[k];
      ASSERT_LE(++pages, 40);
    } while (next[0] != '\0');
    ASSERT_EQ(total, 6);
    ASSERT_EQ(all[0], s[6]);
    ASSERT_EQ(all[2], s[1]);
    ASSERT_EQ(all[3], s[5]);
    ASSERT_EQ(all[5], s[0]);
  }
  /* Cursors: malformed, or of a section the query does not list. */
  q = query_all();
  q.cursor = "x12";
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EBAD_REQUEST);
  q.cursor = "t";
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EBAD_REQUEST);
  q.cursor = "t1a";
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EBAD_REQUEST);
  q.cursor = "n99999999999999999999";
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EBAD_REQUEST);
  q.cursor = "n0";
  q.tasks = false;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  q.cursor = "t5";
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EBAD_REQUEST);
  /* Invalid queries. */
  q = query_all();
  q.limit = 0;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EINVALID_DATA);
  q = query_all();
  q.tasks = q.notifications = false;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EINVALID_DATA);
  q = query_all();
  q.recipients_count = 0;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), CASUS_EINVALID_DATA);
  store_close(st);
  tmpdir_remove(root);
}

TEST(inbox_new_task_is_first_among_thousands_of_notifications) {
  char root[64], next[STORE_INBOX_CURSOR_BYTES_MAX];
  uint64_t got[64], task;
  size_t n;
  store_t *st;
  store_txn_t *txn;
  store_inbox_query_t q;
  json_t *it = json_pack("{s:s, s:s}", "type", "notification", "kind", "melding");
  int i;

  tmpdir_make(root);
  st = store_at(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < 5000; i++) ASSERT_EQ(store_inbox_add(txn, ME[i % 2], "c-1", it, T0, NULL), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(it);
  task = inbox_add(st, ME[1], "task", "c-2", T0 + 60);
  q = query_all();
  q.limit = 10;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 10);
  ASSERT_EQ(got[0], task);
  ASSERT_EQ(got[1], task - 1); /* then the newest notification */
  ASSERT_EQ(next[0], 'n');
  store_close(st);
  tmpdir_remove(root);
}

TEST(inbox_mark_read_and_close_unlist) {
  char root[64], next[STORE_INBOX_CURSOR_BYTES_MAX];
  uint64_t got[64], note, task, other;
  size_t n;
  store_t *st;
  store_txn_t *txn;
  store_inbox_query_t q = query_all();
  json_t *it;

  tmpdir_make(root);
  st = store_at(root);
  note = inbox_add(st, ME[0], "notification", "c-1", T0);
  task = inbox_add(st, ME[1], "task", "c-1", T0);
  other = inbox_add(st, "actor:cr-2", "notification", "c-1", T0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_mark_read(txn, ME[0], note), 0);
  ASSERT_EQ(store_inbox_mark_read(txn, ME[0], note), 0); /* again: no change */
  ASSERT_EQ(store_inbox_mark_read(txn, ME[0], other), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_inbox_mark_read(txn, ME[0], 999), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 1);
  ASSERT_EQ(got[0], task);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_inbox_get(txn, ME[0], note, &it), 0);
  ASSERT(json_is_false(json_object_get(it, "open")));
  json_decref(it);
  ASSERT_EQ(store_inbox_get(txn, ME[1], note, &it), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_inbox_get(txn, "", note, &it), CASUS_ENOT_FOUND);
  store_txn_abort(txn);
  /* A damaged item: get says so; a listing index entry that names no item is damage too. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", "actor:cr-9\0\0\0\0\0\0\0\0\x07", 19, "{\"seq\":8}", 9), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_inbox_get(txn, "actor:cr-9", 7, &it), CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(it);
  store_txn_abort(txn);
  {
    static const char *const cr9[] = {"actor:cr-9"};
    store_inbox_query_t q9 = query_all();
    q9.recipients = cr9;
    q9.recipients_count = 1;
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    ASSERT_EQ(store_debug_put_raw(txn, "inbox_open", "actor:cr-9\0n\0\0\0\0\0\0\0\x09", 20,
                                  "\x80\0\0\0\0\0\0\0", 8),
              0);
    ASSERT_EQ(store_txn_commit(txn), 0);
    ASSERT_EQ(inbox_page(st, &q9, got, &n, next), CASUS_ESTORE_CORRUPT);
  }
  /* The stream's replay (by seq) no longer carries the read one either. */
  {
    json_t *list;
    ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
    ASSERT_EQ(store_inbox_list(txn, ME, 2, 0, 100, &list), 0);
    store_txn_abort(txn);
    ASSERT_EQ(json_array_size(list), 1);
    json_decref(list);
  }
  /* Closing the case's task unlists it. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "beoordelen"), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 0);
  ASSERT_EQ(entries_of(st, "inbox_open"), 2);      /* cr-2's notification, and the entry of no item */
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 1); /* cr-2's notification */
  store_close(st);
  tmpdir_remove(root);
}

static size_t inbox_sweep(store_t *st, int64_t now, size_t max) {
  store_txn_t *txn;
  size_t swept = 99;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_sweep(txn, now, 30 * DAY_S, max, &swept), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  return swept;
}

TEST(inbox_sweep_deletes_all_but_open_tasks) {
  char root[64], next[STORE_INBOX_CURSOR_BYTES_MAX];
  uint64_t got[64], read, unread, open_task, closed_task, young;
  size_t n;
  store_t *st;
  store_txn_t *txn;
  store_inbox_query_t q = query_all();
  json_t *it;

  tmpdir_make(root);
  st = store_at(root);
  read = inbox_add(st, ME[0], "notification", "c-1", T0);
  unread = inbox_add(st, ME[0], "notification", "c-1", T0);
  open_task = inbox_add(st, ME[1], "task", "c-2", T0);
  it = json_pack("{s:s, s:s}", "type", "task", "kind", "sluiten");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_add(txn, ME[1], "c-3", it, T0, &closed_task), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-3", "sluiten"), 0);
  ASSERT_EQ(store_inbox_mark_read(txn, ME[0], read), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(it);
  young = inbox_add(st, ME[0], "notification", "c-1", T0 + 20 * DAY_S);
  ASSERT_EQ(entries_of(st, "inbox"), 5);
  /* Damage the sweep meets later: an entry for a damaged item (which stays, for verify to
   * report) and an entry for an item that is not there (which goes alone). */
  {
    uint8_t k[8 + 11 + 8];
    memset(k, 0, sizeof(k));
    k[0] = 0x80;
    k[4] = (uint8_t)((T0 - DAY_S) >> 24);
    k[5] = (uint8_t)((T0 - DAY_S) >> 16);
    k[6] = (uint8_t)((T0 - DAY_S) >> 8);
    k[7] = (uint8_t)(T0 - DAY_S);
    memcpy(k + 8, "actor:cr-9", 10);
    k[26] = 7;
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    ASSERT_EQ(store_debug_put_raw(txn, "inbox", "actor:cr-9\0\0\0\0\0\0\0\0\x07", 19, "{damaged", 8), 0);
    ASSERT_EQ(store_debug_put_raw(txn, "inbox_time", k, sizeof(k), "", 0), 0);
    k[26] = 8;
    ASSERT_EQ(store_debug_put_raw(txn, "inbox_time", k, sizeof(k), "", 0), 0);
    ASSERT_EQ(store_txn_commit(txn), 0);
    ASSERT_EQ(inbox_sweep(st, T0 + 29 * DAY_S, 100), 2);
    ASSERT_EQ(entries_of(st, "inbox"), 6);
    ASSERT_EQ(entries_of(st, "inbox_time"), 5);
  }

  /* Not yet 30 days: nothing. */
  ASSERT_EQ(inbox_sweep(st, T0 + 30 * DAY_S - 1, 100), 0);
  ASSERT_EQ(entries_of(st, "inbox"), 6);
  /* At most 2 entries a sweep; then the rest.  The young one stays. */
  ASSERT_EQ(inbox_sweep(st, T0 + 31 * DAY_S, 2), 2);
  ASSERT_EQ(inbox_sweep(st, T0 + 31 * DAY_S, 100), 2);
  ASSERT_EQ(entries_of(st, "inbox"), 3); /* with the damaged one */
  ASSERT_EQ(entries_of(st, "inbox_case"), 2);
  ASSERT_EQ(entries_of(st, "inbox_time"), 2);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_inbox_get(txn, ME[0], read, &it), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_inbox_get(txn, ME[0], unread, &it), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_inbox_get(txn, ME[1], closed_task, &it), CASUS_ENOT_FOUND);
  ASSERT_EQ(store_inbox_get(txn, ME[1], open_task, &it), 0);
  json_decref(it);
  store_txn_abort(txn);
  q.notifications_since_s = T0 + DAY_S;
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 2);
  ASSERT_EQ(got[0], open_task);
  ASSERT_EQ(got[1], young);
  /* The open task was filed again: looked at 30 days later, kept again. */
  ASSERT_EQ(inbox_sweep(st, T0 + 45 * DAY_S, 100), 0);
  ASSERT_EQ(inbox_sweep(st, T0 + 62 * DAY_S, 100), 2);
  ASSERT_EQ(entries_of(st, "inbox"), 2);
  /* Closing its case's tasks still works after the sweep removed items of the case. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "melding"), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-2", "beoordelen"), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(inbox_sweep(st, T0 + 93 * DAY_S, 100), 1);
  ASSERT_EQ(entries_of(st, "inbox"), 1);
  ASSERT_EQ(entries_of(st, "inbox_open"), 0);
  ASSERT_EQ(entries_of(st, "inbox_time"), 0);
  ASSERT_EQ(entries_of(st, "inbox_case"), 0);
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 0);
  store_close(st);
  tmpdir_remove(root);
}

/* Closing a kind reads the case's open items of that kind only: not its
 * notifications, however many, nor a damaged item of the case (which would
 * otherwise fail every close).  Closing a notification's kind still closes
 * it, as before the index. */
TEST(inbox_close_reads_only_the_open_items_of_its_kind) {
  char root[64], next[STORE_INBOX_CURSOR_BYTES_MAX];
  uint64_t got[64], task, other_case;
  size_t n;
  store_t *st;
  store_txn_t *txn;
  store_inbox_query_t q = query_all();
  json_t *it;
  int i;

  tmpdir_make(root);
  st = store_at(root);
  for (i = 0; i < 1000; i++) inbox_add(st, ME[0], "notification", "c-1", T0);
  task = inbox_add(st, ME[1], "task", "c-1", T0);
  other_case = inbox_add(st, ME[1], "task", "c-2", T0);
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 1002);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", "actor:cr-1\0\0\0\0\0\0\0\x10\0", 19, "{damaged", 8), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox_case", "c-1\0\0\0\0\0\0\0\x10\0", 12, "actor:cr-1", 10), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "beoordelen"), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "beoordelen"), 0); /* again: nothing left */
  ASSERT_EQ(store_inbox_close(txn, "c-1", "onbekend"), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 1001);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_inbox_get(txn, ME[1], task, &it), 0);
  ASSERT(json_is_false(json_object_get(it, "open")));
  json_decref(it);
  ASSERT_EQ(store_inbox_get(txn, ME[1], other_case, &it), 0);
  ASSERT(json_is_true(json_object_get(it, "open")));
  json_decref(it);
  store_txn_abort(txn);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "melding"), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 1);
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 1);
  ASSERT_EQ(got[0], other_case);
  store_close(st);
  tmpdir_remove(root);
}

/* --- the upgrade of an older store --- */

TEST(growth_upgrade_indexes_an_older_inbox) {
  static const char task[] =
      "{\"type\":\"task\",\"kind\":\"k\",\"seq\":1,\"open\":true,\"case_id\":\"c-1\",\"recipient\":\"actor:"
      "cr-1\"}";
  static const char note[] =
      "{\"type\":\"notification\",\"kind\":\"m\",\"seq\":2,\"open\":true,\"case_id\":\"c-1\","
      "\"recipient\":\"actor:cr-1\"}";
  static const char closed[] =
      "{\"type\":\"task\",\"kind\":\"k\",\"seq\":3,\"open\":false,\"case_id\":\"c-1\","
      "\"recipient\":\"actor:cr-1\"}";
  static const char k1[] = "actor:cr-1\0\0\0\0\0\0\0\0\x01", k2[] = "actor:cr-1\0\0\0\0\0\0\0\0\x02",
                    k3[] = "actor:cr-1\0\0\0\0\0\0\0\0\x03", k4[] = "actor:cr-1\0\0\0\0\0\0\0\0\x04";
  char root[64], next[STORE_INBOX_CURSOR_BYTES_MAX];
  uint64_t got[64];
  size_t n;
  store_t *st;
  store_txn_t *txn;
  store_inbox_query_t q = query_all();
  store_growth_pos_t pos;
  bool done = false;
  int steps = 0;

  tmpdir_make(root);
  st = store_at(root);
  ASSERT(!store_growth_upgrade_needed(st)); /* a new store has nothing to file */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  /* as an older store: without the marker (0 reads as not filed) */
  ASSERT_EQ(store_debug_put_raw(txn, "meta", "growth_indexed", 14, "0", 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", k1, sizeof(k1) - 1, task, sizeof(task) - 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", k2, sizeof(k2) - 1, note, sizeof(note) - 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", k3, sizeof(k3) - 1, closed, sizeof(closed) - 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", k4, sizeof(k4) - 1, "{damaged", 8), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", "zz", 2, note, sizeof(note) - 1), 0); /* a malformed key */
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 0); /* not indexed yet */

  /* One record a step: five steps, the damaged ones skipped; the fifth meets the end. */
  memset(&pos, 0, sizeof(pos));
  while (!done) {
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    ASSERT_EQ(store_growth_upgrade_step(txn, &pos, T0, 1, &done), 0);
    ASSERT_EQ(store_txn_commit(txn), 0);
    ASSERT_LE(++steps, 6);
  }
  ASSERT_EQ(steps, 5);
  ASSERT(!store_growth_upgrade_needed(st));
  ASSERT_EQ(inbox_page(st, &q, got, &n, next), 0);
  ASSERT_EQ(n, 2);
  ASSERT_EQ(got[0], 1); /* the task */
  ASSERT_EQ(got[1], 2);
  ASSERT_EQ(entries_of(st, "inbox_time"), 3);
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 2); /* the open ones: closing their kind finds them */
  /* Dated at the upgrade: swept a period after it. */
  ASSERT_EQ(inbox_sweep(st, T0 + 30 * DAY_S - 1, 100), 0);
  ASSERT_EQ(inbox_sweep(st, T0 + 30 * DAY_S, 100), 3);
  ASSERT_EQ(entries_of(st, "inbox"), 3); /* the open task and the damaged items */
  store_close(st);
  tmpdir_remove(root);
}

/* A store upgraded before inbox_case_open existed (level 1) gets only that
 * index: its time orders are not filed again (which would date its items
 * anew). */
TEST(growth_upgrade_from_level_1_files_the_open_items_by_case) {
  static const char task[] =
      "{\"type\":\"task\",\"kind\":\"k\",\"seq\":1,\"open\":true,\"case_id\":\"c-1\",\"recipient\":\"actor:"
      "cr-1\"}";
  static const char closed[] =
      "{\"type\":\"task\",\"kind\":\"k\",\"seq\":2,\"open\":false,\"case_id\":\"c-1\","
      "\"recipient\":\"actor:cr-1\"}";
  static const char k1[] = "actor:cr-1\0\0\0\0\0\0\0\0\x01", k2[] = "actor:cr-1\0\0\0\0\0\0\0\0\x02";
  char root[64];
  store_t *st;
  store_txn_t *txn;
  store_growth_pos_t pos;
  bool done = false;
  json_t *it;
  int steps = 0;

  tmpdir_make(root);
  st = store_at(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "meta", "growth_indexed", 14, "1", 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", k1, sizeof(k1) - 1, task, sizeof(task) - 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "inbox", k2, sizeof(k2) - 1, closed, sizeof(closed) - 1), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT(store_growth_upgrade_needed(st));
  memset(&pos, 0, sizeof(pos));
  while (!done) {
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    ASSERT_EQ(store_growth_upgrade_step(txn, &pos, T0, 1, &done), 0);
    ASSERT_EQ(store_txn_commit(txn), 0);
    ASSERT_LE(++steps, 4);
  }
  ASSERT(!store_growth_upgrade_needed(st));
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 1);
  ASSERT_EQ(entries_of(st, "inbox_time"), 0);
  ASSERT_EQ(entries_of(st, "inbox_open"), 0);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_inbox_close(txn, "c-1", "k"), 0);
  ASSERT_EQ(store_inbox_get(txn, "actor:cr-1", 1, &it), 0);
  ASSERT(json_is_false(json_object_get(it, "open")));
  json_decref(it);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(entries_of(st, "inbox_case_open"), 0);
  store_close(st);
  tmpdir_remove(root);
}

#define TEST_LIST(X)                                          \
  X(history_pages_cover_the_chain_once_R_AUD_1)               \
  X(history_pages_stop_at_the_byte_bound)                     \
  X(history_page_damaged_entry_is_corrupt)                    \
  X(idempotency_records_carry_their_time_and_are_swept)       \
  X(idempotency_stale_time_entry_spares_a_newer_record)       \
  X(inbox_lists_open_tasks_first_newest_first)                \
  X(inbox_new_task_is_first_among_thousands_of_notifications) \
  X(inbox_mark_read_and_close_unlist)                         \
  X(inbox_sweep_deletes_all_but_open_tasks)                   \
  X(inbox_close_reads_only_the_open_items_of_its_kind)        \
  X(growth_upgrade_indexes_an_older_inbox)                    \
  X(growth_upgrade_from_level_1_files_the_open_items_by_case)

TEST_MAIN(TEST_LIST)
