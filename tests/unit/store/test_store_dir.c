/*
 * Store tests: the data directory around LMDB (store_dir.c): the check of
 * data.mdb before it is mapped (a truncated file is refused with a
 * sentence, never a SIGBUS; a file that is short only by pages LMDB lists
 * free is fine), and the lock one server holds on its directory.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

#define BIG_BYTES 200000

static long data_size(const char *dir) {
  char path[128];
  struct stat sb;
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  ASSERT_EQ(stat(path, &sb), 0);
  return (long)sb.st_size;
}

static void data_truncate(const char *dir, long size) {
  char path[128];
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  ASSERT_EQ(truncate(path, size), 0);
}

/* The first keep bytes of orig become the whole data.mdb. */
static void data_write(const char *dir, const char *orig, long keep) {
  char path[128];
  FILE *f;
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(fwrite(orig, 1, (size_t)keep, f), (size_t)keep);
  ASSERT_EQ(fclose(f), 0);
}

/* A copy of data.mdb in memory (free it). */
static char *data_read(const char *dir, long size) {
  char path[128];
  char *buf = malloc((size_t)size);
  FILE *f;
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  f = fopen(path, "rb");
  ASSERT_NOT_NULL(f);
  ASSERT_NOT_NULL(buf);
  ASSERT_EQ(fread(buf, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  return buf;
}

static void raw_commit(store_t *st, const char *key, const void *val, size_t n) {
  store_txn_t *txn;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "meta", key, strlen(key), val, n), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
}

/* A store with records in pages throughout the file. */
static void store_with_records(const char *dir, int n) {
  store_t *st;
  store_txn_t *txn;
  char key[32], val[600];
  int i;
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  memset(val, 'v', sizeof(val));
  for (i = 0; i < n; i++) {
    if (i % 50 == 0) ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    snprintf(key, sizeof(key), "k%06d", i);
    ASSERT_EQ(store_debug_put_raw(txn, "cases", key, strlen(key), val, sizeof(val)), 0);
    if (i % 50 == 49 || i == n - 1) ASSERT_EQ(store_txn_commit(txn), 0);
  }
  store_close(st);
}

/* A truncated data.mdb (a partial copy, a failed restore) is refused by
 * store_file_check and store_open with a sentence that says what happened
 * and what to do, however much is missing. */
TEST(truncated_file_refused) {
  char dir[64], why[1024];
  long size, psize = sysconf(_SC_PAGESIZE);
  store_t *st;
  static const struct {
    long keep; /* bytes kept; negative: the full size minus this */
    const char *says;
  } cuts[] = {
      {-4096, "truncated"},          {-1, "truncated"},   {1 << 17, "truncated"},
      {4096 + 10, "two meta pages"}, {100, "first page"}, {0, "is empty"},
  };
  size_t i;
  tmpdir_make(dir);
  store_with_records(dir, 2000);
  size = data_size(dir);
  ASSERT_GT(size, 1 << 20);
  ASSERT_EQ(store_file_check(dir, why, sizeof(why)), 0);
  ASSERT_STR_EQ(why, "");
  for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    long keep = cuts[i].keep < 0 ? size + cuts[i].keep : cuts[i].keep;
    if (cuts[i].keep == 4096 + 10) keep = psize + 10;
    data_truncate(dir, keep);
    if (store_file_check(dir, why, sizeof(why)) != CASUS_ESTORE_CORRUPT)
      TEST__FAIL("cut to %ld passed", keep);
    if (strstr(why, cuts[i].says) == NULL || strstr(why, "restore it from a backup") == NULL ||
        strstr(why, "data.mdb") == NULL)
      TEST__FAIL("cut to %ld: \"%s\"", keep, why);
    ASSERT_EQ(store_open(&st, dir, 0), CASUS_ESTORE_CORRUPT);
    ASSERT_NULL(st);
  }
  tmpdir_remove(dir);
}

/* A page allocated and freed before it was written never reaches the file:
 * LMDB's header may count pages beyond the file's end, and that is healthy
 * when every one of them is listed free.  Here a big value's overflow pages
 * (at the file's end) are freed and two more transactions move the roots
 * into reused pages, so the file's tail is free: cut off, it still opens,
 * reads and grows again; one page more is a page in use, and refused. */
TEST(free_tail_short_file_accepted) {
  char dir[64], why[1024];
  static char big[BIG_BYTES];
  long size, psize = sysconf(_SC_PAGESIZE), pages, cut;
  store_t *st;
  store_txn_t *txn;
  uint64_t entries;
  char *orig;
  tmpdir_make(dir);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  memset(big, 'x', sizeof(big));
  raw_commit(st, "big", big, sizeof(big));
  raw_commit(st, "big", "s", 1);
  raw_commit(st, "s0", "v", 1);
  raw_commit(st, "s1", "v", 1);
  store_close(st);
  size = data_size(dir);
  orig = data_read(dir, size);
  pages = (16 - 1 + BIG_BYTES) / psize + 1; /* LMDB's OVPAGES */
  /* The whole overflow run is free: the file may end before it. */
  for (cut = 1; cut <= pages; cut++) {
    data_write(dir, orig, size - cut * psize);
    if (store_file_check(dir, why, sizeof(why)) != 0) TEST__FAIL("%ld free pages cut: \"%s\"", cut, why);
  }
  /* Somewhere below the free tail the pages in use begin: cutting goes on
   * passing until then, and is refused from then on. */
  while (store_file_check(dir, why, sizeof(why)) == 0) {
    cut++;
    ASSERT_LT(cut * psize, size);
    data_write(dir, orig, size - cut * psize);
  }
  ASSERT(strstr(why, "truncated") != NULL);
  data_write(dir, orig, size - (cut - 1) * psize); /* the shortest healthy file */
  free(orig);
  if (store_file_check(dir, why, sizeof(why)) != 0) TEST__FAIL("after writing: %s", why);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_debug_db_entries(txn, "meta", &entries), 0);
  ASSERT_GE(entries, 4); /* schema_version, secret, big, s0, s1 */
  store_txn_abort(txn);
  /* Writing reuses the free pages beyond the end, and writes them. */
  raw_commit(st, "big2", big, sizeof(big));
  raw_commit(st, "s2", "v", 1);
  store_close(st);
  ASSERT_EQ(store_file_check(dir, why, sizeof(why)), 0);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  store_close(st);
  tmpdir_remove(dir);
}

/* A file that is not LMDB's is left to LMDB, which refuses it. */
TEST(not_lmdb_left_to_lmdb) {
  char dir[64], path[128], why[1024], junk[8192];
  store_t *st;
  FILE *f;
  tmpdir_make(dir);
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  memset(junk, 'j', sizeof(junk));
  ASSERT_EQ(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
  fclose(f);
  ASSERT_EQ(store_file_check(dir, why, sizeof(why)), 0);
  ASSERT_EQ(store_open(&st, dir, 0), CASUS_ESTORE_CORRUPT);
  /* No data.mdb at all: a new store. */
  unlink(path);
  ASSERT_EQ(store_file_check(dir, why, sizeof(why)), 0);
  tmpdir_remove(dir);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Releases the lock after 100 ms, on another thread. */
static void *release_later(void *lock) {
  struct timespec ts = {0, 100 * 1000000L};
  nanosleep(&ts, NULL);
  store_lock_release(lock);
  return NULL;
}

/* One server per store: the lock is exclusive, names its holder's process
 * id, is waited for as long as asked, and is free again once released. */
TEST(lock_is_exclusive_and_names_its_holder) {
  char dir[64], sub[96], why[1024], want[160], got[64] = "";
  store_lock_t *a, *b;
  pthread_t th;
  int64_t t0;
  FILE *f;
  tmpdir_make(dir);
  snprintf(sub, sizeof(sub), "%s/new/data", dir); /* made when missing */
  ASSERT_EQ(store_lock_take(sub, 0, &a, why, sizeof(why)), 0);
  ASSERT_NOT_NULL(a);
  snprintf(want, sizeof(want), "%s/casusd.lock", sub);
  f = fopen(want, "r");
  ASSERT_NOT_NULL(f);
  ASSERT_NOT_NULL(fgets(got, sizeof(got), f));
  fclose(f);
  snprintf(want, sizeof(want), "%ld\n", (long)getpid());
  ASSERT_STR_EQ(got, want);
  ASSERT_EQ(store_lock_take(sub, 0, &b, why, sizeof(why)), CASUS_ESTORE);
  ASSERT_NULL(b);
  snprintf(want, sizeof(want), "another casusd (process %ld) is serving", (long)getpid());
  if (strstr(why, want) == NULL) TEST__FAIL("\"%s\"", why);
  /* Waiting: it gives up after the time given ... */
  t0 = now_ms();
  ASSERT_EQ(store_lock_take(sub, 200, &b, why, sizeof(why)), CASUS_ESTORE);
  ASSERT_GE(now_ms() - t0, 200);
  /* ... and takes the lock once its holder let go meanwhile. */
  ASSERT_EQ(pthread_create(&th, NULL, release_later, a), 0);
  ASSERT_EQ(store_lock_take(sub, 5000, &b, why, sizeof(why)), 0);
  ASSERT_EQ(pthread_join(th, NULL), 0);
  store_lock_release(b);
  store_lock_release(NULL);
  /* A directory that cannot be made is a sentence, not a crash. */
  snprintf(sub, sizeof(sub), "%s/new/data/casusd.lock/x", dir);
  ASSERT_EQ(store_lock_take(sub, 0, &b, why, sizeof(why)), CASUS_ESTORE);
  ASSERT(strstr(why, "cannot create directory") != NULL);
  tmpdir_remove(dir);
}

#define TEST_LIST(X)               \
  X(truncated_file_refused)        \
  X(free_tail_short_file_accepted) \
  X(not_lmdb_left_to_lmdb)         \
  X(lock_is_exclusive_and_names_its_holder)

TEST_MAIN(TEST_LIST)
