/*
 * test_store_faults.c -- every error path of the store's writes, in
 * SQLite's manner (store_fault_arm): a representative workload runs again
 * and again, with the nth LMDB write (then the nth commit) failing, for
 * n = 1, 2, 3, ... until the workload completes without reaching n.  At
 * each n:
 *   - the step that met the fault returns the mapped error (EIO:
 *     CASUS_ESTORE, MAP_FULL: CASUS_ESTORE_FULL, ...), and its transaction
 *     is aborted;
 *   - nothing of that step is visible (the digest of every database is the
 *     one before it) and store_check (casusd verify) finds no damage;
 *   - the store closes and opens again, still clean and unchanged;
 *   - with the fault gone, the rest of the workload (the failed step again,
 *     then the others) succeeds and leaves exactly the store of a run without
 *     a fault.
 *
 * The workload: cases with timers, scopes, attributes and deadlines created
 * with their history, an inbox task and an idempotency record; updates that
 * change timers and index terms (index entries deleted and added), close
 * tasks and add notifications; a group commit of two child transactions; a
 * notification marked read; a list query and an inbox page inside a write
 * transaction; the idempotency and inbox sweeps (cursor deletions); a timer
 * consumed by a case put; a case destroyed (store_case_destroy: its record,
 * casemeta, index entries, timer keys, history, inbox items, access log and
 * an idempotency record that names it, and its tombstone in the register).
 *
 * Each run copies one base store (store_backup), so that every run starts
 * from the same bytes, the same secret included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/limits.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

#define CASES 4
#define STEPS (CASES + 7)
#define SHA0 "0000000000000000000000000000000000000000000000000000000000000000"
#define RUNS_MAX 2000 /* a workload is far smaller; more is a runaway loop */

static int noop_cb(const json_t *c, void *ud) {
  (void)c;
  (*(int *)ud)++;
  return 0;
}

/* Appends an entry to id's history and writes the case at version v:
 * timers, index terms and deadline depend on v, so that each version
 * deletes some index entries and timer keys of the last and adds others. */
static int case_write(store_txn_t *txn, const char *id, int v) {
  store_history_head_t head = {STORE_HISTORY_SEQ_UNKNOWN, ""};
  store_case_rec_t rec;
  json_t *e, *c;
  char *s;
  int rc;

  e = json_pack("{s:s, s:s, s:i}", "case_id", id, "event", v == 0 ? "aanmelden" : "wijzigen", "v", v);
  rc = store_history_append(txn, id, e, &head);
  json_decref(e);
  if (rc != 0) return rc;
  c = json_pack("{s:s, s:i, s:{s:{s:I}, s:{s:I}}, s:{s:I, s:s}}", "id", id, "v", v, "timers",
                v % 2 ? "odd" : "even", "due_s", (json_int_t)(1000 + v), "always", "due_s",
                (json_int_t)(5000 + v), "history", "seq", (json_int_t)head.seq, "hash", head.hash);
  s = json_dumps(c, JSON_COMPACT);
  memset(&rec, 0, sizeof(rec));
  rec.id = id;
  rec.json = s;
  rec.json_bytes = strlen(s);
  rec.timers = json_object_get(c, "timers");
  rec.scopes[0] = "g=a";
  rec.scopes[1] = v % 2 ? "cr=1" : "cr=2";
  rec.scopes_count = 2;
  rec.attrs[0] = (store_attr_t){"status", v == 0 ? "nieuw" : "open"};
  rec.attrs[1] = (store_attr_t){"flag", "x"};
  rec.attrs_count = 2;
  rec.deadline_s = 900 + v;
  rec.updated_s = 10 + v;
  rc = store_case_put(txn, &rec);
  free(s);
  json_decref(c);
  return rc;
}

static int inbox_item(store_txn_t *txn, const char *id, const char *kind, int64_t t, uint64_t *seq) {
  json_t *item = json_pack("{s:s, s:s}", "kind", kind, "case_id", id);
  int rc = store_inbox_add(txn, "org:a/r", id, item, t, seq);
  json_decref(item);
  return rc;
}

/* Step i of the workload in its own write transaction: 0, or the first
 * error, with every transaction of the step aborted. */
static int step_body(store_t *st, store_txn_t *txn, int i) {
  char id[16];
  int rc = 0;
  if (i < CASES) {
    /* A new case: history, case, casemeta, indexes, timers, a task, a key. */
    snprintf(id, sizeof(id), "c-%d", i);
    rc = case_write(txn, id, 0);
    if (rc == 0) rc = inbox_item(txn, id, "task", 10, NULL);
    if (rc == 0) rc = store_idem_put(txn, "actor-1", id, SHA0, 201, 10 + i, "{}", 2);
    return rc;
  }
  switch (i - CASES) {
    case 0: /* an update: terms and timers change, the task closes, a notification */
      rc = case_write(txn, "c-0", 1);
      if (rc == 0) rc = store_inbox_close(txn, "c-0", "task");
      if (rc == 0) rc = inbox_item(txn, "c-0", "note", 20, NULL);
      return rc;
    case 1: { /* a group commit: two requests, each in a child transaction */
      const char *ids[2] = {"c-1", "c-2"};
      int k;
      for (k = 0; k < 2 && rc == 0; k++) {
        store_txn_t *child;
        rc = store_txn_child(txn, &child);
        if (rc != 0) break;
        rc = case_write(child, ids[k], 1);
        if (rc == 0) rc = store_idem_put(child, "actor-2", ids[k], SHA0, 200, 30, "{\"ok\":1}", 8);
        if (rc == 0)
          rc = store_txn_commit(child);
        else
          store_txn_abort(child);
      }
      return rc;
    }
    case 2: { /* reads in a write transaction, then a notification marked read */
      const char *scopes[1] = {"g=a"};
      store_query_t q = {scopes, 1, {{"flag", "x"}}, 1, STORE_TIME_NONE, STORE_TIME_NONE, NULL, 10, 100};
      char cursor[STORE_CURSOR_BYTES_MAX];
      int seen = 0;
      uint64_t seq;
      rc = store_case_query(txn, &q, noop_cb, &seen, cursor, sizeof(cursor));
      if (rc == 0 && seen != CASES) return CASUS_EINTERNAL;
      if (rc == 0) rc = inbox_item(txn, "c-3", "note", 40, &seq);
      if (rc == 0) rc = store_inbox_mark_read(txn, "org:a/r", seq);
      return rc;
    }
    case 3: { /* a timer "fires": its case is written without it */
      int64_t due;
      char cid[32], name[32];
      rc = store_timer_first(txn, &due, cid, sizeof(cid), name, sizeof(name));
      if (rc == 0) rc = case_write(txn, cid, 2);
      return rc;
    }
    case 4: { /* the sweeps: cursor deletions and re-filed tasks */
      size_t swept;
      rc = store_idem_sweep(txn, 12, 100, &swept);
      if (rc == 0) rc = store_inbox_sweep(txn, 100, 5, 100, &swept);
      return rc;
    }
    case 5: /* a case written twice in one transaction, and another created */
      rc = case_write(txn, "c-3", 1);
      if (rc == 0) rc = case_write(txn, "c-3", 2);
      if (rc == 0) rc = case_write(txn, "c-9", 0);
      return rc;
    case 6: { /* retention: a case destroyed with everything it holds */
      json_t *e = json_pack("{s:s, s:s}", "time", "1970-01-01T01:00:50+01:00", "access", "view");
      rc = store_access_append(txn, "c-2", 50, e, NULL);
      json_decref(e);
      if (rc == 0) rc = store_idem_put(txn, "actor-3", "k", SHA0, 200, 50, "{\"id\":\"c-2\"}", 12);
      if (rc == 0) {
        e = json_pack("{s:s, s:s}", "grond", "bewaartermijn", "besloten_door", "test");
        rc = store_case_destroy(txn, "c-2", e, NULL, NULL);
        json_decref(e);
      }
      return rc;
    }
  }
  (void)st;
  return CASUS_EINTERNAL;
}

static int step(store_t *st, int i) {
  store_txn_t *txn;
  int rc = store_txn_begin(st, true, &txn);
  if (rc != 0) return rc;
  rc = step_body(st, txn, i);
  if (rc != 0) {
    store_txn_abort(txn);
    return rc;
  }
  return store_txn_commit(txn);
}

static uint64_t digest_of(store_t *st) {
  store_txn_t *txn;
  uint64_t d;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_debug_digest(txn, &d), 0);
  store_txn_abort(txn);
  return d;
}

static void report_cb(const char *problem, void *ud) {
  (void)ud;
  fprintf(stderr, "  verify: %s\n", problem);
}

static void assert_clean(store_t *st) {
  store_txn_t *txn;
  store_check_stats_t stats;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_check(txn, report_cb, NULL, 20, &stats), 0);
  store_txn_abort(txn);
  ASSERT_EQ(stats.problems, 0);
}

typedef struct {
  char root[64], base[96];
  store_t *base_st;
  uint64_t final_digest; /* the store after the workload without a fault */
  int runs;
} bench_t;

/* A fresh copy of the base store in root/run<n>. */
static store_t *copy_open(bench_t *b, char dir[128]) {
  store_t *st;
  snprintf(dir, 128, "%s/run%d", b->root, b->runs++);
  ASSERT_EQ(mkdir(dir, 0700), 0);
  ASSERT_EQ(store_backup(b->base_st, dir), 0);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  return st;
}

static void bench_init(bench_t *b) {
  char dir[128];
  store_t *st;
  struct stat sb;
  int i;
  memset(b, 0, sizeof(*b));
  /* Hundreds of stores, each synced a dozen times: in memory when the
   * system has a tmpfs, so that the loops take seconds, not minutes. */
  if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode)) {
    snprintf(b->root, sizeof(b->root), "/dev/shm/casus-faults-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(b->root));
  } else {
    tmpdir_make(b->root);
  }
  snprintf(b->base, sizeof(b->base), "%s/base", b->root);
  ASSERT_EQ(store_open(&b->base_st, b->base, 0), 0);
  st = copy_open(b, dir);
  for (i = 0; i < STEPS; i++) ASSERT_EQ(step(st, i), 0);
  assert_clean(st);
  b->final_digest = digest_of(st);
  store_close(st);
  tmpdir_remove(dir);
}

static void bench_done(bench_t *b) {
  store_close(b->base_st);
  tmpdir_remove(b->root);
}

/* Runs the workload with the nth operation of kind failing with err (count
 * times), checks everything the file's opening promises, and returns
 * whether the fault was reached. */
static bool run_once(bench_t *b, store_fault_kind_t kind, uint64_t nth, store_fault_err_t err, uint64_t count,
                     int want, int *failed_step) {
  char dir[128];
  store_t *st = copy_open(b, dir);
  uint64_t before = 0, fired = 0;
  int i, rc = 0;

  store_fault_arm(st, kind, nth, err, count);
  for (i = 0; i < STEPS; i++) {
    before = digest_of(st);
    rc = step(st, i);
    if (rc != 0) break;
  }
  store_fault_counts(st, NULL, &fired);
  *failed_step = i;
  if (fired == 0) {
    /* Beyond the workload's last operation: it ran whole. */
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(digest_of(st), b->final_digest);
  } else {
    if (rc != want)
      TEST__FAIL("fault %d at operation %d: step %d returned %d, not %d", (int)kind, (int)nth, i, rc, want);
    store_fault_arm(st, kind, 0, err, 0);
    /* Nothing of the failed step is visible; the store is whole. */
    ASSERT_EQ(digest_of(st), before);
    assert_clean(st);
    store_close(st);
    ASSERT_EQ(store_open(&st, dir, 0), 0);
    ASSERT_EQ(digest_of(st), before);
    assert_clean(st);
    /* The fault is gone: the failed step and the rest succeed, and the
     * store is the one a run without the fault leaves. */
    for (; i < STEPS; i++) ASSERT_EQ(step(st, i), 0);
    ASSERT_EQ(digest_of(st), b->final_digest);
    assert_clean(st);
  }
  store_close(st);
  tmpdir_remove(dir);
  return fired > 0;
}

/* n = 1, 2, ... until the workload no longer reaches the fault; returns the
 * number of injection points, each of which was reached and checked. */
static int loop_all(bench_t *b, store_fault_kind_t kind, store_fault_err_t err, int want, uint64_t stride) {
  uint64_t nth;
  int failed_step, points = 0, steps_hit[STEPS + 1] = {0}, i;
  for (nth = 1; nth <= RUNS_MAX; nth += stride) {
    if (!run_once(b, kind, nth, err, 1, want, &failed_step)) break;
    points++;
    steps_hit[failed_step]++;
  }
  ASSERT_LT(nth, RUNS_MAX);
  /* Every step of the workload met the fault at least once. */
  for (i = 0; i < STEPS && stride == 1; i++)
    if (steps_hit[i] == 0) TEST__FAIL("kind %d: step %d never met the fault", (int)kind, i);
  if (getenv("TEST_VERBOSE")) printf("  kind %d err %d: %d injection points\n", (int)kind, (int)err, points);
  return points;
}

/* Every LMDB write of the workload, failing with EIO: CASUS_ESTORE. */
TEST(every_write_fails_once_with_eio) {
  bench_t b;
  bench_init(&b);
  ASSERT_GE(loop_all(&b, STORE_FAULT_WRITE, STORE_FAULT_EIO, CASUS_ESTORE, 1), 50);
  bench_done(&b);
}

/* Every commit (top-level and child), failing with EIO. */
TEST(every_commit_fails_once_with_eio) {
  bench_t b;
  bench_init(&b);
  ASSERT_EQ(loop_all(&b, STORE_FAULT_COMMIT, STORE_FAULT_EIO, CASUS_ESTORE, 1), STEPS + 2);
  bench_done(&b);
}

/* The other mapped errors, at every commit and a sample of the writes. */
TEST(every_write_and_commit_with_each_error) {
  static const struct {
    store_fault_err_t err;
    int want;
  } errs[] = {{STORE_FAULT_MAP_FULL, CASUS_ESTORE_FULL},
              {STORE_FAULT_ENOSPC, CASUS_ESTORE},
              {STORE_FAULT_CORRUPTED, CASUS_ESTORE_CORRUPT},
              {STORE_FAULT_ENOMEM, CASUS_ENOMEM}};
  bench_t b;
  size_t i;
  bench_init(&b);
  for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
    /* Every write failed with EIO above; here every 7th, a different
     * sample for each error, which keeps the test fast under valgrind. */
    loop_all(&b, STORE_FAULT_WRITE, errs[i].err, errs[i].want, 7 + i);
    loop_all(&b, STORE_FAULT_COMMIT, errs[i].err, errs[i].want, 1);
  }
  bench_done(&b);
}

/* A persistent fault fails every write transaction until it is disarmed;
 * a count of 3 fails three operations in a row, then the store works. */
TEST(persistent_and_counted_faults) {
  bench_t b;
  char dir[128];
  store_t *st;
  uint64_t before, seen, fired;
  int i;
  bench_init(&b);
  st = copy_open(&b, dir);
  before = digest_of(st);
  store_fault_arm(st, STORE_FAULT_WRITE, 1, STORE_FAULT_EIO, STORE_FAULT_PERSISTENT);
  for (i = 0; i < CASES; i++) ASSERT_EQ(step(st, i), CASUS_ESTORE);
  store_fault_counts(st, &seen, &fired);
  ASSERT_EQ(fired, CASES); /* one per step: the first failure ends its transaction */
  ASSERT_EQ(digest_of(st), before);
  assert_clean(st);
  store_fault_arm(st, STORE_FAULT_COMMIT, 2, STORE_FAULT_EIO, 3);
  ASSERT_EQ(step(st, 0), 0);
  ASSERT_EQ(step(st, 1), CASUS_ESTORE);
  ASSERT_EQ(step(st, 1), CASUS_ESTORE);
  ASSERT_EQ(step(st, 1), CASUS_ESTORE);
  for (i = 1; i < STEPS; i++) ASSERT_EQ(step(st, i), 0);
  store_fault_counts(st, &seen, &fired);
  ASSERT_EQ(fired, 3);
  ASSERT_EQ(digest_of(st), b.final_digest);
  assert_clean(st);
  store_close(st);
  tmpdir_remove(dir);
  bench_done(&b);
}

/* The spec of CASUSD_TEST_FAULT. */
TEST(fault_spec_parses_and_refuses_nonsense) {
  static const char *const bad[] = {"",
                                    "write",
                                    "write:1",
                                    "write:0:EIO",
                                    "read:1:EIO",
                                    "write:x:EIO",
                                    "write:1:EPERM",
                                    "write:1:EIO:0",
                                    "write:1:EIO:1:2",
                                    "write:-1:EIO",
                                    "write:1:eio",
                                    "write:99999999999:EIO",
                                    "commit:1:EIO:never",
                                    "write:1:EIO:"};
  bench_t b;
  char dir[128];
  store_t *st;
  uint64_t fired;
  size_t i;
  bench_init(&b);
  st = copy_open(&b, dir);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (store_fault_arm_spec(st, bad[i]) != CASUS_EINVALID_DATA) TEST__FAIL("accepted \"%s\"", bad[i]);
  ASSERT_EQ(step(st, 0), 0); /* nothing was armed */
  ASSERT_EQ(store_fault_arm_spec(st, "commit:2:MAP_FULL"), 0);
  ASSERT_EQ(step(st, 1), 0);
  ASSERT_EQ(step(st, 2), CASUS_ESTORE_FULL);
  ASSERT_EQ(step(st, 2), 0);
  ASSERT_EQ(store_fault_arm_spec(st, "write:1:ENOSPC:always"), 0);
  ASSERT_EQ(step(st, 3), CASUS_ESTORE);
  ASSERT_EQ(step(st, 3), CASUS_ESTORE);
  store_fault_counts(st, NULL, &fired);
  ASSERT_EQ(fired, 2);
  ASSERT_EQ(store_fault_arm_spec(st, "write:5:CORRUPTED:2"), 0);
  store_fault_arm(st, STORE_FAULT_WRITE, 0, STORE_FAULT_EIO, 0); /* disarmed */
  for (i = 3; i < STEPS; i++) ASSERT_EQ(step(st, (int)i), 0);
  ASSERT_EQ(digest_of(st), b.final_digest);
  store_close(st);
  tmpdir_remove(dir);
  bench_done(&b);
}

#define TEST_LIST(X)                        \
  X(every_write_fails_once_with_eio)        \
  X(every_commit_fails_once_with_eio)       \
  X(every_write_and_commit_with_each_error) \
  X(persistent_and_counted_faults)          \
  X(fault_spec_parses_and_refuses_nonsense)

TEST_MAIN(TEST_LIST)
