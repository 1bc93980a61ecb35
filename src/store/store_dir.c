/*
 * store_dir.c -- the data directory around the LMDB environment: the check
 * of data.mdb before LMDB maps it, and the lock one server holds on it.
 *
 * The file check.  LMDB maps data.mdb and reads its pages through the map;
 * a page beyond the end of the file (a partial copy, a failed restore)
 * kills the process with SIGBUS at the first read that touches it, with no
 * message.  So before mdb_env_open the store reads LMDB's two meta pages
 * itself (pread: nothing mapped) and compares the file's size with the
 * pages the newer meta counts in use, (mm_last_pg + 1) x page size.
 *
 * LMDB's own comment on mm_last_pg warns that "the file may be shorter if
 * the freeDB lists the final pages": a page allocated and freed within one
 * transaction is never written.  So a short file is not damaged by itself:
 * it is when a missing page is not free.  Only then (a rare case, and a
 * cheap one: only the free-page database is read) this file walks LMDB's
 * free-page B-tree, again with pread, and checks that every missing page is
 * listed free and that the tree itself lies within the file.  The on-disk
 * layout read here is LMDB 0.9's (mdb.c: MDB_page, MDB_meta, MDB_node;
 * native byte order, 64-bit page numbers); anything that does not look like
 * it is left to mdb_env_open to refuse (MDB_INVALID), except inside a short
 * file, where a free-page tree that cannot be read counts as damage.
 *
 * The lock.  Two servers on one store would each miss the other's commits
 * (their streams, their timer clocks) and both fire timers.  A server takes
 * an exclusive flock(2) on DIR/casusd.lock and writes its process id into
 * it, so a second one can say who holds it.  The kernel drops the lock when
 * the process ends, however it ends.  verify and backup only read a
 * consistent snapshot and do not take it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

/* LMDB 0.9's on-disk layout (mdb.c), for a 64-bit build. */
_Static_assert(sizeof(size_t) == 8, "LMDB page numbers are 8 bytes here");
#define STORE_MDB_MAGIC 0xBEEFC0DEu
#define STORE_MDB_DATA_VERSION 1u
#define STORE_MDB_PAGEHDR_BYTES 16 /* pgno 8, pad 2, flags 2, lower 2, upper 2 */
#define STORE_MDB_P_BRANCH 0x01
#define STORE_MDB_P_LEAF 0x02
#define STORE_MDB_P_OVERFLOW 0x04
#define STORE_MDB_P_META 0x08
#define STORE_MDB_F_BIGDATA 0x01
#define STORE_MDB_NODE_BYTES 8 /* lo 2, hi 2, flags 2, ksize 2 */
#define STORE_MDB_DEPTH_MAX 32 /* CURSOR_STACK */
#define STORE_MDB_PAGE_BYTES_MIN 512
#define STORE_MDB_PAGE_BYTES_MAX 65536
/* MDB_meta after the page header: magic 4, version 4, address 8, mapsize 8,
 * two MDB_db of 48 bytes (root at 40), last_pg 8, txnid 8. */
#define STORE_MDB_META_BYTES 136
#define STORE_MDB_DB_BYTES 48
#define STORE_MDB_DB_ROOT_AT 40
#define STORE_MDB_META_DBS_AT 24
#define STORE_MDB_META_LAST_PG_AT 120
#define STORE_MDB_META_TXNID_AT 128
#define STORE_MDB_P_INVALID UINT64_MAX

#define STORE_LOCK_FILE "casusd.lock"
#define STORE_RESTORE_ADVICE                                                                             \
  "Do not serve it: stop, move the data folder aside and restore it from a backup (docs/operations.md, " \
  "\"Backup and restore\")"

/* --- reading LMDB's file --- */

typedef struct {
  uint32_t magic, version, psize;
  uint64_t free_root, main_root, last_pg, txnid;
} store_mdb_meta_t;

static uint16_t store_u16_at(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

static uint32_t store_u32_at(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

static uint64_t store_u64_at(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* Reads exactly n bytes at off; false when the file ends first or on an error. */
static bool store_pread_all(int fd, void *buf, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

/* Reads the meta page at off into m.  False when the file is too short for it. */
static bool store_meta_read(int fd, uint64_t off, store_mdb_meta_t *m) {
  uint8_t b[STORE_MDB_PAGEHDR_BYTES + STORE_MDB_META_BYTES];
  const uint8_t *meta = b + STORE_MDB_PAGEHDR_BYTES;
  if (!store_pread_all(fd, b, sizeof(b), off)) return false;
  memset(m, 0, sizeof(*m));
  if ((store_u16_at(b + 10) & STORE_MDB_P_META) == 0) return true; /* magic stays 0: not LMDB's */
  m->magic = store_u32_at(meta);
  m->version = store_u32_at(meta + 4);
  m->psize = store_u32_at(meta + STORE_MDB_META_DBS_AT); /* mm_dbs[FREE_DBI].md_pad */
  m->free_root = store_u64_at(meta + STORE_MDB_META_DBS_AT + STORE_MDB_DB_ROOT_AT);
  m->main_root = store_u64_at(meta + STORE_MDB_META_DBS_AT + STORE_MDB_DB_BYTES + STORE_MDB_DB_ROOT_AT);
  m->last_pg = store_u64_at(meta + STORE_MDB_META_LAST_PG_AT);
  m->txnid = store_u64_at(meta + STORE_MDB_META_TXNID_AT);
  return true;
}

static bool store_meta_ok(const store_mdb_meta_t *m) {
  return m->magic == STORE_MDB_MAGIC && m->version == STORE_MDB_DATA_VERSION;
}

/* The free-page walk of a short file: which of the pages from `have` to
 * last_pg (those missing) LMDB lists as free. */
typedef struct {
  int fd;
  uint32_t psize;
  uint64_t have;    /* whole pages in the file */
  uint64_t last_pg; /* the meta's last page */
  uint8_t *missing; /* bit per page have..last_pg: set once seen free */
  uint8_t *page;    /* one page buffer per tree level */
  bool bad;         /* the tree does not read as LMDB writes it */
} store_free_walk_t;

static void store_free_mark(store_free_walk_t *w, uint64_t pgno) {
  if (pgno >= w->have && pgno <= w->last_pg) {
    uint64_t i = pgno - w->have;
    w->missing[i / 8] |= (uint8_t)(1u << (i % 8));
  }
}

/* Marks the page numbers of one free-list record (an IDL: a count, then the
 * page numbers, 8 bytes each) of n bytes at p. */
static void store_free_idl(store_free_walk_t *w, const uint8_t *p, size_t n) {
  uint64_t count, i;
  if (n < 8) {
    w->bad = true;
    return;
  }
  count = store_u64_at(p);
  if (count > (n - 8) / 8) {
    w->bad = true;
    return;
  }
  for (i = 0; i < count; i++) store_free_mark(w, store_u64_at(p + 8 + 8 * i));
}

/* A big free-list record lives on overflow pages from pgno on: its pages
 * must be in the file, and its bytes follow the first page's header. */
static void store_free_overflow(store_free_walk_t *w, uint64_t pgno, size_t n) {
  uint8_t hdr[STORE_MDB_PAGEHDR_BYTES];
  uint64_t pages = ((uint64_t)STORE_MDB_PAGEHDR_BYTES - 1 + n) / w->psize + 1;
  uint8_t *buf;
  if (pgno >= w->have || pages > w->have - pgno ||
      !store_pread_all(w->fd, hdr, sizeof(hdr), pgno * (uint64_t)w->psize) ||
      (store_u16_at(hdr + 10) & STORE_MDB_P_OVERFLOW) == 0 || store_u32_at(hdr + 12) < pages) {
    w->bad = true;
    return;
  }
  buf = malloc(n);
  if (buf == NULL || !store_pread_all(w->fd, buf, n, pgno * (uint64_t)w->psize + STORE_MDB_PAGEHDR_BYTES))
    w->bad = true;
  else
    store_free_idl(w, buf, n);
  free(buf);
}

/* Walks the free-page tree below pgno (depth levels down so far). */
static void store_free_walk(store_free_walk_t *w, uint64_t pgno, int depth) {
  uint8_t *p = w->page + (size_t)depth * w->psize;
  uint16_t flags, lower, upper, i, n;

  if (w->bad) return;
  if (depth >= STORE_MDB_DEPTH_MAX || pgno >= w->have ||
      !store_pread_all(w->fd, p, w->psize, pgno * (uint64_t)w->psize)) {
    w->bad = true; /* a page of the tree itself is missing */
    return;
  }
  flags = store_u16_at(p + 10);
  lower = store_u16_at(p + 12);
  upper = store_u16_at(p + 14);
  if ((flags & (STORE_MDB_P_BRANCH | STORE_MDB_P_LEAF)) == 0 || lower < STORE_MDB_PAGEHDR_BYTES ||
      lower > upper || upper > w->psize) {
    w->bad = true;
    return;
  }
  n = (uint16_t)((lower - STORE_MDB_PAGEHDR_BYTES) >> 1);
  for (i = 0; i < n && !w->bad; i++) {
    uint16_t at = store_u16_at(p + STORE_MDB_PAGEHDR_BYTES + 2 * i);
    const uint8_t *node = p + at;
    uint16_t lo, hi, nflags, ksize;
    if (at < upper || (size_t)at + STORE_MDB_NODE_BYTES > w->psize) {
      w->bad = true;
      return;
    }
    lo = store_u16_at(node);
    hi = store_u16_at(node + 2);
    nflags = store_u16_at(node + 4);
    ksize = store_u16_at(node + 6);
    if ((size_t)at + STORE_MDB_NODE_BYTES + ksize > w->psize) {
      w->bad = true;
      return;
    }
    if (flags & STORE_MDB_P_BRANCH) {
      /* NODEPGNO: lo | hi << 16 | flags << 32 */
      store_free_walk(w, (uint64_t)lo | (uint64_t)hi << 16 | (uint64_t)nflags << 32, depth + 1);
    } else {
      const uint8_t *data = node + STORE_MDB_NODE_BYTES + ksize;
      size_t dsize = (size_t)lo | (size_t)hi << 16;
      if (nflags & STORE_MDB_F_BIGDATA) {
        if ((size_t)(data - p) + 8 > w->psize) {
          w->bad = true;
          return;
        }
        store_free_overflow(w, store_u64_at(data), dsize);
      } else if ((size_t)(data - p) + dsize > w->psize) {
        w->bad = true;
      } else {
        store_free_idl(w, data, dsize);
      }
    }
  }
}

/* A short file: are all its missing pages free, and the free tree whole? */
static bool store_free_tail_ok(int fd, const store_mdb_meta_t *m, uint64_t have) {
  store_free_walk_t w;
  uint64_t missing = m->last_pg + 1 - have, i;
  bool ok;

  if (m->free_root == STORE_MDB_P_INVALID) return false; /* nothing is free */
  memset(&w, 0, sizeof(w));
  w.fd = fd;
  w.psize = m->psize;
  w.have = have;
  w.last_pg = m->last_pg;
  w.missing = calloc((size_t)(missing / 8 + 1), 1);
  w.page = malloc((size_t)STORE_MDB_DEPTH_MAX * m->psize);
  if (w.missing == NULL || w.page == NULL) {
    w.bad = true;
  } else {
    store_free_walk(&w, m->free_root, 0);
  }
  ok = !w.bad;
  for (i = 0; ok && i < missing; i++)
    if ((w.missing[i / 8] & (1u << (i % 8))) == 0) ok = false;
  free(w.missing);
  free(w.page);
  return ok;
}

int store_file_check(const char *dir, char *why, size_t why_size) {
  char path[4096];
  store_mdb_meta_t m0, m1;
  const store_mdb_meta_t *m;
  struct stat sb;
  uint64_t need, have;
  int fd, rc = 0;

  if (why_size > 0) why[0] = '\0';
  if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >= sizeof(path))
    return 0; /* store_open says */
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0; /* a new store, or one store_open cannot open either: it says why */
  /* The metas first, then the size: a server writing meanwhile writes its
   * pages before the meta that counts them, so the size read second is
   * never too small for the meta read first. */
  if (fstat(fd, &sb) != 0) goto done;
  if (sb.st_size == 0) {
    /* LMDB would make it a new, empty store; but LMDB never leaves one
     * behind (it writes both meta pages as it creates the file), a failed
     * copy does. */
    snprintf(why, why_size, "%s is empty (a failed copy or restore?). " STORE_RESTORE_ADVICE, path);
    rc = CASUS_ESTORE_CORRUPT;
    goto done;
  }
  if (!store_meta_read(fd, 0, &m0)) {
    snprintf(why, why_size,
             "%s is truncated: it holds only %lld bytes, less than LMDB's first page. " STORE_RESTORE_ADVICE,
             path, (long long)sb.st_size);
    rc = CASUS_ESTORE_CORRUPT;
    goto done;
  }
  if (!store_meta_ok(&m0) || m0.psize < STORE_MDB_PAGE_BYTES_MIN || m0.psize > STORE_MDB_PAGE_BYTES_MAX ||
      (m0.psize & (m0.psize - 1)) != 0)
    goto done; /* not LMDB's: mdb_env_open refuses it (MDB_INVALID) */
  if (!store_meta_read(fd, m0.psize, &m1)) {
    snprintf(
        why, why_size,
        "%s is truncated: it holds only %lld bytes, less than LMDB's two meta pages. " STORE_RESTORE_ADVICE,
        path, (long long)sb.st_size);
    rc = CASUS_ESTORE_CORRUPT;
    goto done;
  }
  if (!store_meta_ok(&m1)) goto done;
  m = m1.txnid > m0.txnid ? &m1 : &m0; /* as LMDB picks */
  if (fstat(fd, &sb) != 0) goto done;
  if (m->last_pg >= UINT64_MAX / m0.psize) goto done; /* nonsense: LMDB refuses it */
  need = (m->last_pg + 1) * m0.psize;
  if ((uint64_t)sb.st_size >= need) goto done;
  have = (uint64_t)sb.st_size / m0.psize;
  if ((m->main_root == STORE_MDB_P_INVALID || m->main_root < have) &&
      (m->free_root == STORE_MDB_P_INVALID || m->free_root < have) && store_free_tail_ok(fd, m, have))
    goto done; /* only free pages are missing (never written) */
  snprintf(why, why_size,
           "%s is truncated: it holds %lld bytes, but LMDB's header counts %" PRIu64
           " bytes in use (a partial copy or a failed restore?). " STORE_RESTORE_ADVICE,
           path, (long long)sb.st_size, need);
  rc = CASUS_ESTORE_CORRUPT;
done:
  close(fd);
  return rc;
}

/* --- the server lock --- */

struct store_lock_s {
  int fd;
};

/* flock(LOCK_EX | LOCK_NB), tried again every STORE_LOCK_POLL_MS for up to
 * wait_ms: a server that was just killed, or is stopping, lets go of the
 * lock when its process has ended, which a restart need not wait for. */
#define STORE_LOCK_POLL_MS 50
static int store_flock_wait(int fd, uint32_t wait_ms) {
  uint32_t waited = 0;
  for (;;) {
    struct timespec ts = {0, STORE_LOCK_POLL_MS * 1000000L};
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK || waited >= wait_ms) return -1;
    nanosleep(&ts, NULL);
    waited += STORE_LOCK_POLL_MS;
  }
}

int store_lock_take(const char *dir, uint32_t wait_ms, store_lock_t **out, char *why, size_t why_size) {
  char path[4096], pid[32];
  store_lock_t *lock;
  int fd, n;

  *out = NULL;
  if (why_size > 0) why[0] = '\0';
  if (store__dir_make(dir) != 0) {
    snprintf(why, why_size, "cannot create directory %s: %s", dir, strerror(errno));
    return CASUS_ESTORE;
  }
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_LOCK_FILE) >= sizeof(path)) {
    snprintf(why, why_size, "path too long: %s", dir);
    return CASUS_ESTORE;
  }
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
    return CASUS_ESTORE;
  }
  if (store_flock_wait(fd, wait_ms) != 0) {
    int err = errno;
    ssize_t r = err == EWOULDBLOCK ? pread(fd, pid, sizeof(pid) - 1, 0) : -1;
    close(fd);
    if (err != EWOULDBLOCK) {
      snprintf(why, why_size, "cannot lock %s: %s", path, strerror(err));
      return CASUS_ESTORE;
    }
    pid[r > 0 ? r : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    snprintf(why, why_size,
             "another casusd (process %s) is serving %s; stop it first, or give this one another --data "
             "(%s is locked)",
             pid[0] ? pid : "unknown", dir, path);
    return CASUS_ESTORE;
  }
  /* Ours: say who holds it, for the next one that tries. */
  n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
    snprintf(why, why_size, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    return CASUS_ESTORE;
  }
  lock = malloc(sizeof(*lock));
  if (lock == NULL) {
    close(fd);
    return CASUS_ENOMEM;
  }
  lock->fd = fd;
  *out = lock;
  return 0;
}

void store_lock_release(store_lock_t *lock) {
  if (lock == NULL) return;
  /* Closing the descriptor drops the lock; the file stays, with a stale id
   * that nobody reads unless the lock is held. */
  close(lock->fd);
  free(lock);
}
