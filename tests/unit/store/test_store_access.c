/*
 * test_store_access.c -- the access log in the store (NEN 7513,
 * store_access.c): appended entries carry an increasing seq, page per case
 * in order, are swept by time and only by time, and fail cleanly.
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
#define T0 1800000000

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

static uint64_t add(store_t *st, const char *case_id, int64_t t, const char *what) {
  store_txn_t *txn;
  uint64_t seq = 0;
  json_t *e = json_pack("{s:s, s:s, s:s}", "actor", "cr-1", "case_id", case_id, "access", what);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_access_append(txn, case_id, t, e, &seq), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_decref(e);
  return seq;
}

static size_t sweep(store_t *st, int64_t before, size_t max) {
  store_txn_t *txn;
  size_t n = 0;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_access_sweep(txn, before, max, &n), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  return n;
}

TEST(access_entries_page_per_case_in_order) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page = NULL;
  uint64_t next = 0, seqs[10], after = 0;
  int i, seen = 0;
  tmpdir_make(root);
  st = store_at(root);
  for (i = 0; i < 10; i++) {
    seqs[i] = add(st, "c-a", T0 + i, "view");
    (void)add(st, "c-b", T0 + i, "list"); /* interleaved with another case */
    if (i > 0) ASSERT_GT(seqs[i], seqs[i - 1]);
  }
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  for (;;) {
    size_t k;
    json_t *e;
    ASSERT_EQ(store_access_page(txn, "c-a", after, 3, &page, &next), 0);
    json_array_foreach(page, k, e) {
      ASSERT_EQ(json_integer_value(json_object_get(e, "seq")), seqs[seen]);
      ASSERT_STR_EQ(json_string_value(json_object_get(e, "case_id")), "c-a");
      seen++;
    }
    json_decref(page);
    if (next == 0) break;
    ASSERT_EQ(next, seqs[seen - 1]);
    after = next;
  }
  ASSERT_EQ(seen, 10);
  /* an unknown case: empty; after the end: empty */
  ASSERT_EQ(store_access_page(txn, "c-none", 0, 3, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 0);
  ASSERT_EQ(next, 0);
  json_decref(page);
  ASSERT_EQ(store_access_page(txn, "c-a", UINT64_MAX, 3, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 0);
  json_decref(page);
  /* refused arguments */
  ASSERT_EQ(store_access_page(txn, "c-a", 0, 0, &page, &next), CASUS_EINVALID_DATA);
  ASSERT_EQ(store_access_page(txn, "", 0, 3, &page, &next), CASUS_EINVALID_DATA);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

TEST(access_entry_round_trips_its_members) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page = NULL, *e, *want;
  uint64_t next, seq;
  tmpdir_make(root);
  st = store_at(root);
  want = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", "2027-01-04T09:00:00+01:00", "actor",
                   "pr-1", "role", "procesregisseur", "org", "rotterdam", "on_behalf_of", "mw-42", "case_id",
                   "c-a", "access", "view", "request_id", "0123456789abcdef0123456789abcdef");
  e = json_deep_copy(want);
  json_object_set_new(e, "ignored", json_integer(5)); /* not a member: not kept */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_access_append(txn, "c-a", T0, e, &seq), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  json_object_set_new(want, "seq", json_integer((json_int_t)seq));
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_access_page(txn, "c-a", 0, 10, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 1);
  ASSERT(json_equal(json_array_get(page, 0), want));
  store_txn_abort(txn);
  json_decref(page);
  json_decref(e);
  json_decref(want);
  store_close(st);
  tmpdir_remove(root);
}

TEST(access_append_refuses_bad_input) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *arr = json_array(), *obj = json_object();
  tmpdir_make(root);
  st = store_at(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_access_append(txn, "c-a", T0, arr, NULL), CASUS_EINVALID_DATA);
  ASSERT_EQ(store_access_append(txn, "", T0, obj, NULL), CASUS_EINVALID_DATA);
  json_object_set_new(obj, "actor", json_integer(1));
  ASSERT_EQ(store_access_append(txn, "c-a", T0, obj, NULL), CASUS_EINVALID_DATA);
  json_object_set_new(obj, "actor", json_stringn("a\0b", 3));
  ASSERT_EQ(store_access_append(txn, "c-a", T0, obj, NULL), CASUS_EINVALID_DATA);
  {
    char big[2 * LIMIT_ID_BYTES_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_object_set_new(obj, "actor", json_string(big));
    ASSERT_EQ(store_access_append(txn, "c-a", T0, obj, NULL), CASUS_EINVALID_DATA);
  }
  store_txn_abort(txn);
  ASSERT_EQ(entries_of(st, "access"), 0);
  json_decref(arr);
  json_decref(obj);
  store_close(st);
  tmpdir_remove(root);
}

TEST(access_sweep_goes_by_time_and_is_bounded) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page = NULL;
  uint64_t next;
  tmpdir_make(root);
  st = store_at(root);
  (void)add(st, "c-a", T0, "view");
  (void)add(st, "c-b", T0 + DAY_S, "view");
  (void)add(st, "c-a", T0 + 2 * DAY_S, "history");
  (void)add(st, "c-a", T0 - DAY_S, "event"); /* a clock set back: dated earlier, seq later */
  ASSERT_EQ(entries_of(st, "access"), 4);
  ASSERT_EQ(sweep(st, T0 - DAY_S, 100), 0);   /* strictly before */
  ASSERT_EQ(sweep(st, T0 + DAY_S + 1, 1), 1); /* bounded by max */
  ASSERT_EQ(sweep(st, T0 + DAY_S + 1, 100), 2);
  ASSERT_EQ(entries_of(st, "access"), 1);
  ASSERT_EQ(entries_of(st, "access_time"), 1);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_access_page(txn, "c-a", 0, 10, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 1);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(page, 0), "access")), "history");
  json_decref(page);
  ASSERT_EQ(store_access_page(txn, "c-b", 0, 10, &page, &next), 0);
  ASSERT_EQ(json_array_size(page), 0);
  json_decref(page);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

TEST(access_sweep_removes_a_malformed_time_entry) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  tmpdir_make(root);
  st = store_at(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "access_time", "\x01", 1, "c-x", 3), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(sweep(st, T0, 100), 1);
  ASSERT_EQ(entries_of(st, "access_time"), 0);
  store_close(st);
  tmpdir_remove(root);
}

TEST(access_page_of_a_damaged_entry_is_corrupt) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  json_t *page = NULL;
  uint64_t next;
  static const char key[] = "c-a\0\0\0\0\0\0\0\0\x09";
  tmpdir_make(root);
  st = store_at(root);
  (void)add(st, "c-a", T0, "view");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "access", key, sizeof(key) - 1, "{not json", 9), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_access_page(txn, "c-a", 0, 10, &page, &next), CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(page);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

#define TEST_LIST(X)                             \
  X(access_entries_page_per_case_in_order)       \
  X(access_entry_round_trips_its_members)        \
  X(access_append_refuses_bad_input)             \
  X(access_sweep_goes_by_time_and_is_bounded)    \
  X(access_sweep_removes_a_malformed_time_entry) \
  X(access_page_of_a_damaged_entry_is_corrupt)

TEST_MAIN(TEST_LIST)
