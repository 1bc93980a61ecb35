/*
 * test_store_index.c -- the secondary indexes and list queries of the store
 * (store_case_put's index upkeep, store_case_query, the schema-1 upgrade).
 *
 * Cases are written from a compact spec: scopes and attributes as
 * space-separated words ("gemeente=a regio=r", "status=open flag=x"), a
 * deadline and an update time.  A model-based test checks random queries
 * against a brute-force evaluation of the same model, page by page.
 *
 * Every test works in its own directory under /tmp and removes it at the end.
 * CASUS_INDEX_BENCH_CASES=N makes index_bytes_per_case measure N cases
 * (default 5000) and print bytes per case and query costs.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"
#include "fixture.h"
#include "store/store.h"
#include "test.h"

#define NONE STORE_TIME_NONE

/* --- fixtures --- */

static store_t *store_at(const char *root, const char *sub) {
  char dir[128];
  store_t *st = NULL;
  snprintf(dir, sizeof(dir), "%s/%s", root, sub);
  ASSERT_EQ(store_open(&st, dir, 0), 0);
  return st;
}

/* --- writing cases from a spec --- */

typedef struct {
  const char *id;
  const char *scopes; /* space-separated */
  const char *attrs;  /* space-separated name=value */
  int64_t deadline_s, updated_s;
  const char *timers; /* JSON object text, or NULL */
} spec_t;

/* Splits s (copied into buf) at spaces into at most max words. */
static size_t split(const char *s, char *buf, size_t buf_size, char **words, size_t max) {
  size_t n = 0;
  char *save = NULL, *w;
  snprintf(buf, buf_size, "%s", s ? s : "");
  for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
    if (n == max) return max + 1;
    words[n++] = w;
  }
  return n;
}

/* store_case_put of the spec; the stored JSON records the spec, so a test
 * can see which version of a case it got. */
static int put_spec(store_txn_t *txn, const spec_t *sp) {
  char sbuf[4096], abuf[4096], *words[64];
  store_case_rec_t rec;
  json_t *c, *timers = NULL;
  char *json;
  size_t i, n;
  int rc;

  memset(&rec, 0, sizeof(rec));
  rec.id = sp->id;
  n = split(sp->scopes, sbuf, sizeof(sbuf), words, 64);
  for (i = 0; i < n && i < STORE_SCOPES_MAX; i++) rec.scopes[i] = words[i];
  rec.scopes_count = n;
  if (n > STORE_SCOPES_MAX) rec.scopes_count = STORE_SCOPES_MAX + 1; /* to test the limit */
  n = split(sp->attrs, abuf, sizeof(abuf), words, 64);
  ASSERT_LE(n, STORE_ATTRS_MAX);
  for (i = 0; i < n; i++) {
    char *eq = strchr(words[i], '=');
    ASSERT_NOT_NULL(eq);
    *eq = '\0';
    rec.attrs[i].name = words[i];
    rec.attrs[i].value = eq + 1;
  }
  rec.attrs_count = n;
  rec.deadline_s = sp->deadline_s;
  rec.updated_s = sp->updated_s;
  if (sp->timers != NULL) {
    json_error_t jerr;
    timers = json_loads(sp->timers, 0, &jerr);
    ASSERT_NOT_NULL(timers);
  }
  rec.timers = timers;
  c = json_pack("{s:s, s:s, s:s}", "id", sp->id ? sp->id : "", "scopes", sp->scopes ? sp->scopes : "",
                "attrs", sp->attrs ? sp->attrs : "");
  if (timers != NULL) json_object_set(c, "timers", timers);
  json = json_dumps(c, JSON_COMPACT);
  rec.json = json;
  rec.json_bytes = strlen(json);
  rc = store_case_put(txn, &rec);
  free(json);
  json_decref(c);
  json_decref(timers);
  return rc;
}

static void put1(store_t *st, const char *id, const char *scopes, const char *attrs, int64_t deadline_s,
                 int64_t updated_s) {
  store_txn_t *txn;
  spec_t sp = {id, scopes, attrs, deadline_s, updated_s, NULL};
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(put_spec(txn, &sp), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
}

/* --- querying --- */

typedef struct {
  char ids[8192]; /* the ids seen, each followed by a space */
  size_t n;
  size_t stop_after; /* return 1 after this many (0: never) */
  size_t fail_after; /* return CASUS_EINTERNAL after this many (0: never) */
} got_t;

static int got_cb(const json_t *c, void *ud) {
  got_t *g = ud;
  size_t len = strlen(g->ids);
  snprintf(g->ids + len, sizeof(g->ids) - len, "%s ", json_string_value(json_object_get(c, "id")));
  g->n++;
  if (g->fail_after && g->n == g->fail_after) return CASUS_EINTERNAL;
  return g->stop_after && g->n == g->stop_after ? 1 : 0;
}

typedef struct {
  const char *scopes; /* space-separated */
  const char *eq;     /* space-separated name=value */
  int64_t deadline_before_s, updated_after_s;
  size_t limit, examine_max;
} qspec_t;

/* One page of the query; got->ids gets the ids, next the cursor. */
static int query_page(store_t *st, const qspec_t *qs, const char *cursor, got_t *got, char *next) {
  char sbuf[1024], ebuf[1024], *scopes[16], *words[16];
  store_query_t q;
  store_txn_t *txn;
  size_t i, n;
  int rc;

  memset(&q, 0, sizeof(q));
  q.scopes_count = split(qs->scopes, sbuf, sizeof(sbuf), scopes, 16);
  q.scopes = (const char *const *)scopes;
  n = split(qs->eq, ebuf, sizeof(ebuf), words, 16);
  ASSERT_LE(n, STORE_QUERY_EQ_MAX);
  for (i = 0; i < n; i++) {
    char *eq = strchr(words[i], '=');
    ASSERT_NOT_NULL(eq);
    *eq = '\0';
    q.eq[i].name = words[i];
    q.eq[i].value = eq + 1;
  }
  q.eq_count = n;
  q.deadline_before_s = qs->deadline_before_s;
  q.updated_after_s = qs->updated_after_s;
  q.cursor = cursor;
  q.limit = qs->limit;
  q.examine_max = qs->examine_max;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_case_query(txn, &q, got_cb, got, next, STORE_CURSOR_BYTES_MAX);
  store_txn_abort(txn);
  return rc;
}

/* Every page of the query from the start: the ids in order into out.  Asserts
 * that no id comes twice and that the pages end; returns the page count. */
static int query_all(store_t *st, const qspec_t *qs, char *out, size_t out_size) {
  char cursor[STORE_CURSOR_BYTES_MAX] = "", next[STORE_CURSOR_BYTES_MAX];
  int pages = 0;
  out[0] = '\0';
  for (;;) {
    got_t got;
    char *w, *save = NULL;
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, qs, cursor, &got, next), 0);
    ASSERT_LE(got.n, qs->limit);
    pages++;
    ASSERT_LT(pages, 100000);
    for (w = strtok_r(got.ids, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
      char word[80];
      snprintf(word, sizeof(word), " %s ", w);
      {
        /* No duplicates: out holds " id1 id2 ... " style words. */
        char probe[8200];
        snprintf(probe, sizeof(probe), " %s", out);
        if (strstr(probe, word) != NULL) TEST__FAIL("%s appears twice", w);
      }
      ASSERT_LT(strlen(out) + strlen(w) + 2, out_size);
      strcat(out, w);
      strcat(out, " ");
    }
    if (next[0] == '\0') break;
    /* A cursor is printable and fits. */
    ASSERT_LT(strlen(next), STORE_CURSOR_BYTES_MAX);
    ASSERT(strspn(next, "iud:0123456789abcdef") == strlen(next));
    /* Every call moves forward. */
    ASSERT(strcmp(next, cursor) != 0);
    snprintf(cursor, sizeof(cursor), "%s", next);
  }
  return pages;
}

static void assert_query(store_t *st, const qspec_t *qs, const char *want) {
  char out[8192];
  query_all(st, qs, out, sizeof(out));
  ASSERT_STR_EQ(out, want);
}

static uint64_t db_entries(store_t *st, const char *db) {
  store_txn_t *txn;
  uint64_t n;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_debug_db_entries(txn, db, &n), 0);
  store_txn_abort(txn);
  return n;
}

/* --- filters --- */

/* Six cases in scope g=a (one also in g=b), one in g=b only. */
static store_t *filters_fixture(const char *root) {
  store_t *st = store_at(root, "db");
  put1(st, "c-1", "g=a", "status=open aanbieder=h flag=x", 100, 10);
  put1(st, "c-2", "g=a", "status=closed aanbieder=h", NONE, 20);
  put1(st, "c-3", "g=a g=b", "status=open aanbieder=k flag=x flag=y", 50, 30);
  put1(st, "c-4", "g=a", "status=open aanbieder=h flag=y", 100, 40);
  put1(st, "c-5", "g=a", "status=open", -20, 50);
  put1(st, "c-6", "g=b", "status=open aanbieder=h flag=x", 10, 60);
  return st;
}

TEST(each_filter_alone_and_combined) {
  char root[64];
  store_t *st;
  tmpdir_make(root);
  st = filters_fixture(root);
  {
    qspec_t q = {"g=a", "", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-2 c-3 c-4 c-5 ");
  }
  {
    qspec_t q = {"g=a", "status=open", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-3 c-4 c-5 ");
  }
  {
    qspec_t q = {"g=a", "aanbieder=h", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-2 c-4 ");
  }
  {
    qspec_t q = {"g=a", "flag=x", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-3 ");
  }
  {
    /* Two values of one repeated name: both must hold. */
    qspec_t q = {"g=a", "flag=x flag=y", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-3 ");
  }
  {
    qspec_t q = {"g=a", "status=open aanbieder=h flag=y", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-4 ");
  }
  {
    qspec_t q = {"g=a", "status=gone", NONE, NONE, 10, 1000};
    assert_query(st, &q, "");
  }
  {
    qspec_t q = {"g=a", "nosuchattr=x", NONE, NONE, 10, 1000};
    assert_query(st, &q, "");
  }
  {
    /* Overdue at 60: by deadline, then id; a case without deadline never. */
    qspec_t q = {"g=a", "", 60, NONE, 10, 1000};
    assert_query(st, &q, "c-5 c-3 ");
  }
  {
    qspec_t q = {"g=a", "", NONE, 25, 10, 1000};
    assert_query(st, &q, "c-3 c-4 c-5 ");
  }
  {
    qspec_t q = {"g=a", "aanbieder=h", 1000, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-4 ");
  }
  {
    qspec_t q = {"g=a", "flag=x", NONE, 15, 10, 1000};
    assert_query(st, &q, "c-3 ");
  }
  {
    /* Both ranges: driven by the deadline, the update time checked. */
    qspec_t q = {"g=a", "", 1000, 35, 10, 1000};
    assert_query(st, &q, "c-5 c-4 ");
  }
  {
    qspec_t q = {"g=a", "status=open flag=x", 1000, 5, 10, 1000};
    assert_query(st, &q, "c-3 c-1 ");
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(scoping) {
  char root[64];
  store_t *st;
  tmpdir_make(root);
  st = filters_fixture(root);
  {
    /* c-6 matches every filter but lies in g=b only. */
    qspec_t q = {"g=a", "aanbieder=h flag=x", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 ");
  }
  {
    qspec_t q = {"g=b", "", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-3 c-6 ");
  }
  {
    /* c-3 carries both of the caller's scopes: once, in every plan. */
    qspec_t q = {"g=a g=b", "", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-2 c-3 c-4 c-5 c-6 ");
  }
  {
    qspec_t q = {"g=a g=b", "flag=x", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-3 c-6 ");
  }
  {
    qspec_t q = {"g=b g=a", "status=open flag=x", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-1 c-3 c-6 ");
  }
  {
    qspec_t q = {"g=a g=b", "", 1000, NONE, 10, 1000};
    assert_query(st, &q, "c-5 c-6 c-3 c-1 c-4 ");
  }
  {
    qspec_t q = {"g=b g=a", "", NONE, 0, 10, 1000};
    assert_query(st, &q, "c-1 c-2 c-3 c-4 c-5 c-6 ");
  }
  {
    /* Paged one by one, the merge still emits c-3 once. */
    qspec_t q = {"g=a g=b", "", NONE, NONE, 1, 1000};
    assert_query(st, &q, "c-1 c-2 c-3 c-4 c-5 c-6 ");
  }
  {
    /* A repeated caller scope, and scopes nobody has. */
    qspec_t q = {"g=b g=b g=zz", "", NONE, NONE, 10, 1000};
    assert_query(st, &q, "c-3 c-6 ");
  }
  {
    qspec_t q = {"g=zz", "", NONE, NONE, 10, 1000};
    assert_query(st, &q, "");
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(range_boundaries) {
  char root[64];
  store_t *st;
  tmpdir_make(root);
  st = store_at(root, "db");
  put1(st, "c-1", "s", "", 99, 199);
  put1(st, "c-2", "s", "", 100, 200);
  put1(st, "c-3", "s", "", 101, 201);
  put1(st, "c-4", "s", "", INT64_MIN + 1, INT64_MAX);
  put1(st, "c-5", "s", "", -1, -1);
  {
    /* deadline < 100: 100 itself is not before. */
    qspec_t q = {"s", "", 100, NONE, 10, 1000};
    assert_query(st, &q, "c-4 c-5 c-1 ");
  }
  {
    qspec_t q = {"s", "", 101, NONE, 10, 1000};
    assert_query(st, &q, "c-4 c-5 c-1 c-2 ");
  }
  {
    /* updated > 200: 200 itself is not after. */
    qspec_t q = {"s", "", NONE, 200, 10, 1000};
    assert_query(st, &q, "c-3 c-4 ");
  }
  {
    qspec_t q = {"s", "", NONE, 199, 10, 1000};
    assert_query(st, &q, "c-2 c-3 c-4 ");
  }
  {
    qspec_t q = {"s", "", NONE, INT64_MAX, 10, 1000};
    assert_query(st, &q, "");
  }
  {
    qspec_t q = {"s", "", NONE, INT64_MAX - 1, 10, 1000};
    assert_query(st, &q, "c-4 ");
  }
  {
    /* Negative times sort below positive ones. */
    qspec_t q = {"s", "", NONE, -2, 10, 1000};
    assert_query(st, &q, "c-5 c-1 c-2 c-3 c-4 ");
  }
  {
    /* Both ranges: the update time, checked against casemeta, is exclusive too. */
    qspec_t q = {"s", "", INT64_MAX, 200, 10, 1000};
    assert_query(st, &q, "c-4 c-3 ");
  }
  {
    qspec_t q = {"s", "", INT64_MIN + 1, NONE, 10, 1000};
    assert_query(st, &q, "");
  }
  {
    qspec_t q = {"s", "", INT64_MAX, NONE, 10, 1000};
    assert_query(st, &q, "c-4 c-5 c-1 c-2 c-3 ");
  }
  store_close(st);
  tmpdir_remove(root);
}

/* --- paging --- */

TEST(paging_every_match_once_in_order) {
  char root[64], want[4096] = "", id[16];
  store_t *st;
  store_txn_t *txn;
  int i, pages;
  tmpdir_make(root);
  st = store_at(root, "db");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < 120; i++) {
    spec_t sp = {id, i % 2 ? "s t" : "s", i % 3 ? "status=open" : "status=closed", 1000 - i % 7, i / 4, NULL};
    snprintf(id, sizeof(id), "c-%04d", i);
    ASSERT_EQ(put_spec(txn, &sp), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  for (i = 0; i < 120; i++)
    if (i % 3) {
      snprintf(id, sizeof(id), "c-%04d ", i);
      strcat(want, id);
    }
  {
    char out[8192];
    qspec_t q = {"t s", "status=open", NONE, NONE, 7, 1000};
    pages = query_all(st, &q, out, sizeof(out));
    ASSERT_STR_EQ(out, want);
    /* 80 matches in pages of 7. */
    ASSERT_EQ(pages, 12);
  }
  {
    /* Paged by deadline: in (deadline, id) order, each once. */
    char out[8192], expect[4096] = "";
    int d;
    qspec_t q = {"s t", "status=open", 2000, NONE, 9, 1000};
    for (d = 994; d <= 1000; d++)
      for (i = 0; i < 120; i++)
        if (i % 3 && 1000 - i % 7 == d) {
          snprintf(id, sizeof(id), "c-%04d ", i);
          strcat(expect, id);
        }
    query_all(st, &q, out, sizeof(out));
    ASSERT_STR_EQ(out, expect);
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(paging_while_cases_change) {
  char root[64], cursor[STORE_CURSOR_BYTES_MAX], next[STORE_CURSOR_BYTES_MAX], all[8192] = "";
  store_t *st;
  int i;
  tmpdir_make(root);
  st = store_at(root, "db");
  for (i = 0; i < 20; i++) {
    char id[16];
    snprintf(id, sizeof(id), "c-%04d", i);
    put1(st, id, "s", "status=open", NONE, i);
  }
  {
    qspec_t q = {"s", "status=open", NONE, NONE, 5, 1000};
    got_t got;
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-0000 c-0001 c-0002 c-0003 c-0004 ");
    strcat(all, got.ids);
    /* Between pages: an emitted case and a later one close, a new one opens. */
    put1(st, "c-0002", "s", "status=closed", NONE, 100);
    put1(st, "c-0018", "s", "status=closed", NONE, 101);
    put1(st, "c-0030", "s", "status=open", NONE, 102);
    for (;;) {
      memset(&got, 0, sizeof(got));
      ASSERT_EQ(query_page(st, &q, cursor, &got, next), 0);
      strcat(all, got.ids);
      if (next[0] == '\0') break;
      snprintf(cursor, sizeof(cursor), "%s", next);
    }
    ASSERT_STR_EQ(all,
                  "c-0000 c-0001 c-0002 c-0003 c-0004 c-0005 c-0006 c-0007 c-0008 c-0009 c-0010 c-0011 "
                  "c-0012 c-0013 c-0014 c-0015 c-0016 c-0017 c-0019 c-0030 ");
  }
  {
    /* By update time: a case updated after it was listed comes again, per its
     * new state; the unchanged ones come once. */
    qspec_t q = {"s", "", NONE, -1, 4, 1000};
    got_t got;
    all[0] = '\0';
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-0000 c-0001 c-0003 c-0004 ");
    strcat(all, got.ids);
    put1(st, "c-0001", "s", "status=open", NONE, 200);
    put1(st, "c-0010", "s", "status=open", NONE, 201);
    for (;;) {
      memset(&got, 0, sizeof(got));
      ASSERT_EQ(query_page(st, &q, cursor, &got, next), 0);
      strcat(all, got.ids);
      if (next[0] == '\0') break;
      snprintf(cursor, sizeof(cursor), "%s", next);
    }
    ASSERT_STR_EQ(all,
                  "c-0000 c-0001 c-0003 c-0004 c-0005 c-0006 c-0007 c-0008 c-0009 c-0011 c-0012 c-0013 "
                  "c-0014 c-0015 c-0016 c-0017 c-0019 c-0002 c-0018 c-0030 c-0001 c-0010 ");
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(examine_max_stops_early_and_continues) {
  char root[64], cursor[STORE_CURSOR_BYTES_MAX], out[8192];
  store_t *st;
  store_txn_t *txn;
  int i;
  tmpdir_make(root);
  st = store_at(root, "db");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < 200; i++) {
    char id[16];
    spec_t sp = {id, "s", i % 50 == 7 ? "status=open flag=rare" : "status=open", i, i, NULL};
    snprintf(id, sizeof(id), "c-%04d", i);
    ASSERT_EQ(put_spec(txn, &sp), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  {
    /* 200 entries to read for 4 matches by update time: a budget of 20
     * stops early with a cursor, and an empty page is possible. */
    qspec_t q = {"s", "flag=rare", NONE, -1, 10, 20};
    got_t got;
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-0007 ");
    ASSERT(cursor[0] != '\0');
    ASSERT(strncmp(cursor, "u:", 2) == 0);
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &q, cursor, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "");
    ASSERT(cursor[0] != '\0');
    /* Continuing yields the rest. */
    query_all(st, &q, out, sizeof(out));
    ASSERT_STR_EQ(out, "c-0007 c-0057 c-0107 c-0157 ");
  }
  {
    /* examine_max 1: every call still moves forward. */
    qspec_t q = {"s", "flag=rare", 1000, NONE, 10, 1};
    query_all(st, &q, out, sizeof(out));
    ASSERT_STR_EQ(out, "c-0007 c-0057 c-0107 c-0157 ");
  }
  {
    qspec_t q = {"s", "status=open flag=rare", NONE, NONE, 3, 1};
    query_all(st, &q, out, sizeof(out));
    ASSERT_STR_EQ(out, "c-0007 c-0057 c-0107 c-0157 ");
  }
  {
    qspec_t q = {"s t u v", "", NONE, NONE, 3, 1};
    int pages = query_all(st, &q, out, sizeof(out));
    ASSERT_EQ(strlen(out), 200 * 7);
    ASSERT_GE(pages, 67);
  }
  {
    /* The join skips: a rare stream leads, so few entries are examined. */
    qspec_t q = {"s", "status=open flag=rare", NONE, NONE, 10, 16};
    got_t got;
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-0007 c-0057 c-0107 c-0157 ");
    ASSERT_STR_EQ(cursor, "");
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(fn_stops_or_fails) {
  char root[64], cursor[STORE_CURSOR_BYTES_MAX];
  store_t *st;
  tmpdir_make(root);
  st = filters_fixture(root);
  {
    qspec_t q = {"g=a", "", NONE, NONE, 10, 1000};
    got_t got;
    memset(&got, 0, sizeof(got));
    got.stop_after = 2;
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-1 c-2 ");
    /* The cursor continues after the case that stopped. */
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &q, cursor, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-3 c-4 c-5 ");
    ASSERT_STR_EQ(cursor, "");
    memset(&got, 0, sizeof(got));
    got.fail_after = 3;
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), CASUS_EINTERNAL);
    ASSERT_EQ(got.n, 3);
    ASSERT_STR_EQ(cursor, "");
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(bad_and_foreign_cursors) {
  static const char *const bad[] = {
      "x",
      "i",
      "i-",
      "x:00",
      "i:0",
      "i:zz",
      "i:4A",     /* upper case is not ours */
      "i:630063", /* a NUL inside the id */
      "d:00",     /* a time cut short */
      "u:0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000",
  };
  char root[64], cursor[STORE_CURSOR_BYTES_MAX], next[STORE_CURSOR_BYTES_MAX];
  store_t *st;
  size_t i;
  got_t got;
  tmpdir_make(root);
  st = filters_fixture(root);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    qspec_t q = {"g=a", "", NONE, NONE, 10, 1000};
    qspec_t qd = {"g=a", "", 1000, NONE, 10, 1000};
    memset(&got, 0, sizeof(got));
    if (query_page(st, &q, bad[i], &got, next) != CASUS_EBAD_REQUEST &&
        query_page(st, &qd, bad[i], &got, next) != CASUS_EBAD_REQUEST)
      TEST__FAIL("cursor %s accepted", bad[i]);
    ASSERT_EQ(got.n, 0);
  }
  {
    /* A cursor of an id-ordered query is refused by a deadline query and the
     * other way round, and an update-time cursor by both. */
    qspec_t qi = {"g=a", "", NONE, NONE, 2, 1000};
    qspec_t qd = {"g=a", "", 1000, NONE, 2, 1000};
    qspec_t qu = {"g=a", "", NONE, 0, 2, 1000};
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &qi, NULL, &got, cursor), 0);
    ASSERT(strncmp(cursor, "i:", 2) == 0);
    ASSERT_EQ(query_page(st, &qd, cursor, &got, next), CASUS_EBAD_REQUEST);
    ASSERT_EQ(query_page(st, &qu, cursor, &got, next), CASUS_EBAD_REQUEST);
    ASSERT_EQ(query_page(st, &qi, cursor, &got, next), 0);
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &qd, NULL, &got, cursor), 0);
    ASSERT(strncmp(cursor, "d:", 2) == 0);
    ASSERT_EQ(query_page(st, &qi, cursor, &got, next), CASUS_EBAD_REQUEST);
    memset(&got, 0, sizeof(got));
    ASSERT_EQ(query_page(st, &qu, NULL, &got, cursor), 0);
    ASSERT(strncmp(cursor, "u:", 2) == 0);
    ASSERT_EQ(query_page(st, &qi, cursor, &got, next), CASUS_EBAD_REQUEST);
    ASSERT_EQ(query_page(st, &qd, cursor, &got, next), CASUS_EBAD_REQUEST);
  }
  store_close(st);
  tmpdir_remove(root);
}

TEST(invalid_queries_and_records) {
  char root[64], next[STORE_CURSOR_BYTES_MAX], long_term[STORE_TERM_BYTES_MAX + 2];
  const char *scopes[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  store_t *st;
  store_txn_t *txn;
  store_query_t q;
  got_t got;

  tmpdir_make(root);
  st = store_at(root, "db");
  memset(long_term, 'x', sizeof(long_term) - 1);
  long_term[sizeof(long_term) - 1] = '\0';
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  {
    spec_t sp = {"c-1", "a b c d e f g h i", "", NONE, NONE, NULL};
    ASSERT_EQ(put_spec(txn, &sp), CASUS_EINVALID_DATA);
  }
  {
    /* Exactly STORE_TERM_BYTES_MAX is fine; one more is not. */
    char ok[STORE_TERM_BYTES_MAX + 1], spec[STORE_TERM_BYTES_MAX + 8];
    spec_t sp = {"c-1", spec, "", NONE, NONE, NULL};
    memcpy(ok, long_term, STORE_TERM_BYTES_MAX);
    ok[STORE_TERM_BYTES_MAX] = '\0';
    snprintf(spec, sizeof(spec), "%s", long_term);
    ASSERT_EQ(put_spec(txn, &sp), CASUS_EINVALID_DATA);
    sp.scopes = "s";
    snprintf(spec, sizeof(spec), "s=%s", long_term);
    sp.attrs = spec;
    ASSERT_EQ(put_spec(txn, &sp), CASUS_EINVALID_DATA);
    snprintf(spec, sizeof(spec), "%s=v", long_term);
    ASSERT_EQ(put_spec(txn, &sp), CASUS_EINVALID_DATA);
    sp.attrs = "status=";
    ASSERT_EQ(put_spec(txn, &sp), CASUS_EINVALID_DATA);
    sp.attrs = "=open";
    ASSERT_EQ(put_spec(txn, &sp), CASUS_EINVALID_DATA);
    snprintf(spec, sizeof(spec), "n=%s", ok);
    sp.attrs = spec;
    sp.scopes = ok;
    ASSERT_EQ(put_spec(txn, &sp), 0);
  }
  {
    store_case_rec_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.id = "c-2";
    rec.json = "{}";
    rec.json_bytes = 2;
    rec.deadline_s = rec.updated_s = NONE;
    rec.attrs_count = STORE_ATTRS_MAX + 1;
    ASSERT_EQ(store_case_put(txn, &rec), CASUS_EINVALID_DATA);
    rec.attrs_count = 1; /* a NULL name */
    ASSERT_EQ(store_case_put(txn, &rec), CASUS_EINVALID_DATA);
    rec.attrs_count = 0;
    rec.json = "[1]";
    rec.json_bytes = 3;
    ASSERT_EQ(store_case_put(txn, &rec), CASUS_EINVALID_DATA);
    rec.json = NULL;
    ASSERT_EQ(store_case_put(txn, &rec), CASUS_EINVALID_DATA);
    rec.json = "{\"id\":\"c-2\"}";
    rec.json_bytes = strlen(rec.json);
    rec.id = "";
    ASSERT_EQ(store_case_put(txn, &rec), CASUS_EINVALID_DATA);
    rec.id = "c-2";
    /* The refusals left the transaction usable. */
    ASSERT_EQ(store_case_put(txn, &rec), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);

  memset(&q, 0, sizeof(q));
  q.scopes = scopes;
  q.scopes_count = 1;
  q.limit = 10;
  q.examine_max = 10;
  q.deadline_before_s = q.updated_after_s = NONE;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  memset(&got, 0, sizeof(got));
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), 0);
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, STORE_CURSOR_BYTES_MAX - 1), CASUS_EINVALID_DATA);
  q.scopes_count = 0;
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  q.scopes_count = 9;
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  q.scopes_count = 1;
  q.limit = 0;
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  q.limit = 1;
  q.examine_max = 0;
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  q.examine_max = 1;
  q.eq_count = 1;
  q.eq[0].name = "status";
  q.eq[0].value = "";
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  q.eq[0].value = long_term;
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  q.eq_count = STORE_QUERY_EQ_MAX + 1;
  ASSERT_EQ(store_case_query(txn, &q, got_cb, &got, next, sizeof(next)), CASUS_EINVALID_DATA);
  ASSERT_EQ(got.n, 0);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

/* --- exactness: a model of the cases, checked against the store --- */

#define MODEL_CASES 60
#define MODEL_SCOPES 5

typedef struct {
  bool exists;
  unsigned scopes; /* bit i: scope "s<i>" */
  int status;      /* 0..2 */
  int aanbieder;   /* 0..2, 3 = none */
  unsigned flags;  /* bit i: flag "f<i>", 0..2 */
  int64_t deadline_s, updated_s;
  int timers; /* timers t0..t<timers-1>, due at deadline_s + i */
} mcase_t;

static const char *const statuses[3] = {"open", "zorg", "closed"};
static const char *const aanbieders[3] = {"horizon", "lindenhout", "parlan"};

static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 1103515245u + 12345u;
  return (rng_state >> 8) % n;
}

static void model_id(int i, char *id) {
  snprintf(id, 16, "c-%04d", i);
}

static void model_random(mcase_t *m) {
  m->exists = true;
  m->scopes = rnd(1u << MODEL_SCOPES);
  m->status = (int)rnd(3);
  m->aanbieder = (int)rnd(4);
  m->flags = rnd(8);
  m->deadline_s = rnd(4) == 0 ? NONE : (int64_t)rnd(20) - 5;
  m->updated_s = rnd(10) == 0 ? NONE : (int64_t)rnd(30);
  m->timers = m->deadline_s == NONE ? 0 : (int)rnd(3);
}

static int model_put(store_txn_t *txn, int i, const mcase_t *m) {
  char id[16], scopes[128] = "", attrs[256] = "", timers[256] = "{";
  spec_t sp;
  int b;
  model_id(i, id);
  for (b = 0; b < MODEL_SCOPES; b++)
    if (m->scopes & (1u << b)) sprintf(scopes + strlen(scopes), "s%d ", b);
  sprintf(attrs, "status=%s ", statuses[m->status]);
  if (m->aanbieder < 3) sprintf(attrs + strlen(attrs), "aanbieder=%s ", aanbieders[m->aanbieder]);
  for (b = 0; b < 3; b++)
    if (m->flags & (1u << b)) sprintf(attrs + strlen(attrs), "flag=f%d ", b);
  for (b = 0; b < m->timers; b++)
    sprintf(timers + strlen(timers), "%s\"t%d\": {\"due_s\": %lld}", b ? ", " : "", b,
            (long long)(m->deadline_s + b));
  strcat(timers, "}");
  sp.id = id;
  sp.scopes = scopes;
  sp.attrs = attrs;
  sp.deadline_s = m->deadline_s;
  sp.updated_s = m->updated_s;
  sp.timers = timers;
  return put_spec(txn, &sp);
}

/* The index entries the model's cases should have, and their timers. */
static void model_counts(const mcase_t *cases, uint64_t *entries, uint64_t *timers) {
  int i, b;
  *entries = 0;
  *timers = 0;
  for (i = 0; i < MODEL_CASES; i++) {
    const mcase_t *m = &cases[i];
    uint64_t per_scope;
    int nflags = 0;
    if (!m->exists) continue;
    for (b = 0; b < 3; b++) nflags += (m->flags >> b) & 1;
    per_scope =
        1 + 1 + (m->aanbieder < 3) + (uint64_t)nflags + (m->deadline_s != NONE) + (m->updated_s != NONE);
    for (b = 0; b < MODEL_SCOPES; b++)
      if (m->scopes & (1u << b)) *entries += per_scope;
    *timers += (uint64_t)m->timers;
  }
}

typedef struct {
  int idx;
  int64_t key;
} mhit_t;

static int mhit_cmp(const void *a, const void *b) {
  const mhit_t *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->idx - y->idx;
}

/* Runs a random query against the store (paged) and the model (brute force). */
static void model_query_check(store_t *st, const mcase_t *cases) {
  char scopes[64] = "", eq[128] = "", want[8192] = "", out[8192];
  unsigned qscopes = 0, qflags = rnd(8);
  int qstatus = rnd(2) ? (int)rnd(3) : -1, qaanb = rnd(2) ? (int)rnd(3) : -1, i, b, n = 0;
  int64_t before = rnd(2) ? (int64_t)rnd(20) - 5 : NONE, after = rnd(3) == 0 ? (int64_t)rnd(30) - 1 : NONE;
  mhit_t hits[MODEL_CASES];
  qspec_t q;

  if (rnd(2)) qflags = 0;
  while (qscopes == 0) qscopes = rnd(1u << (MODEL_SCOPES + 1)); /* s5 holds no case */
  for (b = 0; b < MODEL_SCOPES + 1; b++)
    if (qscopes & (1u << b)) sprintf(scopes + strlen(scopes), "s%d ", b);
  if (qstatus >= 0) sprintf(eq + strlen(eq), "status=%s ", statuses[qstatus]);
  if (qaanb >= 0) sprintf(eq + strlen(eq), "aanbieder=%s ", aanbieders[qaanb]);
  for (b = 0; b < 3; b++)
    if (qflags & (1u << b)) sprintf(eq + strlen(eq), "flag=f%d ", b);

  for (i = 0; i < MODEL_CASES; i++) {
    const mcase_t *m = &cases[i];
    if (!m->exists || (m->scopes & qscopes) == 0) continue;
    if (qstatus >= 0 && m->status != qstatus) continue;
    if (qaanb >= 0 && m->aanbieder != qaanb) continue;
    if ((m->flags & qflags) != qflags) continue;
    if (before != NONE && (m->deadline_s == NONE || m->deadline_s >= before)) continue;
    if (after != NONE && (m->updated_s == NONE || m->updated_s <= after)) continue;
    hits[n].idx = i;
    hits[n].key = before != NONE ? m->deadline_s : after != NONE ? m->updated_s : 0;
    n++;
  }
  qsort(hits, (size_t)n, sizeof(hits[0]), mhit_cmp);
  for (i = 0; i < n; i++) {
    char id[16];
    model_id(hits[i].idx, id);
    strcat(want, id);
    strcat(want, " ");
  }
  q.scopes = scopes;
  q.eq = eq;
  q.deadline_before_s = before;
  q.updated_after_s = after;
  q.limit = 1 + rnd(8);
  q.examine_max = 1 + rnd(rnd(2) ? 5 : 200);
  query_all(st, &q, out, sizeof(out));
  if (strcmp(out, want) != 0)
    TEST__FAIL("scopes [%s] eq [%s] before %lld after %lld limit %zu examine %zu:\n   got  %s\n   want %s",
               scopes, eq, (long long)before, (long long)after, q.limit, q.examine_max, out, want);
}

static void model_check_counts(store_t *st, const mcase_t *cases) {
  uint64_t entries, timers;
  model_counts(cases, &entries, &timers);
  ASSERT_EQ(db_entries(st, "sindex"), entries);
  ASSERT_EQ(db_entries(st, "timers"), timers);
}

TEST(index_exact_after_updates_and_aborts) {
  char root[64];
  store_t *st;
  store_txn_t *txn, *child;
  mcase_t cases[MODEL_CASES], shadow[MODEL_CASES];
  int round, i, k;

  tmpdir_make(root);
  st = store_at(root, "db");
  memset(cases, 0, sizeof(cases));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  for (i = 0; i < MODEL_CASES; i++) {
    model_random(&cases[i]);
    ASSERT_EQ(model_put(txn, i, &cases[i]), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  model_check_counts(st, cases);
  for (k = 0; k < 40; k++) model_query_check(st, cases);

  for (round = 0; round < 30; round++) {
    /* Some updates commit; a child transaction's are aborted. */
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    for (k = 0; k < 8; k++) {
      mcase_t m = cases[i = (int)rnd(MODEL_CASES)];
      switch (rnd(5)) {
        case 0:
          m.status = (int)rnd(3);
          break;
        case 1:
          m.flags = rnd(8);
          break;
        case 2:
          m.deadline_s = rnd(3) == 0 ? NONE : (int64_t)rnd(20) - 5;
          m.timers = m.deadline_s == NONE ? 0 : (int)rnd(3);
          break;
        case 3:
          m.scopes = rnd(1u << MODEL_SCOPES);
          break;
        default:
          model_random(&m);
          break;
      }
      m.updated_s = rnd(10) == 0 ? NONE : (int64_t)rnd(30);
      ASSERT_EQ(model_put(txn, i, &m), 0);
      cases[i] = m;
    }
    memcpy(shadow, cases, sizeof(cases));
    ASSERT_EQ(store_txn_child(txn, &child), 0);
    for (k = 0; k < 5; k++) {
      i = (int)rnd(MODEL_CASES);
      model_random(&shadow[i]);
      ASSERT_EQ(model_put(child, i, &shadow[i]), 0);
    }
    store_txn_abort(child);
    ASSERT_EQ(store_txn_commit(txn), 0);
    model_check_counts(st, cases);
    for (k = 0; k < 10; k++) model_query_check(st, cases);
  }
  store_close(st);

  /* And after a reopen. */
  st = store_at(root, "db");
  model_check_counts(st, cases);
  for (k = 0; k < 20; k++) model_query_check(st, cases);
  store_close(st);
  tmpdir_remove(root);
}

/* --- schema 1 --- */

typedef struct {
  int64_t due_s;
  char case_id[LIMIT_ID_BYTES_MAX + 1];
  char name[LIMIT_ID_BYTES_MAX + 1];
} first_timer_t;

static int timer_first(store_t *st, first_timer_t *t) {
  store_txn_t *txn;
  int rc;
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  rc = store_timer_first(txn, &t->due_s, t->case_id, sizeof(t->case_id), t->name, sizeof(t->name));
  store_txn_abort(txn);
  return rc;
}

/* The timers key of schema 1 (and 2): due_s BE offset by 2^63, id NUL name. */
static size_t legacy_timer_key(uint8_t *key, int64_t due_s, const char *id, const char *name) {
  uint64_t u = (uint64_t)due_s ^ (UINT64_C(1) << 63);
  size_t n = 0;
  int i;
  for (i = 7; i >= 0; i--) key[n++] = (uint8_t)(u >> (8 * i));
  memcpy(key + n, id, strlen(id) + 1);
  n += strlen(id) + 1;
  memcpy(key + n, name, strlen(name));
  return n + strlen(name);
}

/* Writes a case as schema 1 did: the JSON and its timer keys, no casemeta. */
static void legacy_put(store_txn_t *txn, const char *id, const char *json, int64_t due_s, const char *timer) {
  uint8_t key[200];
  size_t n;
  ASSERT_EQ(store_debug_put_raw(txn, "cases", id, strlen(id), json, strlen(json)), 0);
  if (timer != NULL) {
    n = legacy_timer_key(key, due_s, id, timer);
    ASSERT_EQ(store_debug_put_raw(txn, "timers", key, n, "", 0), 0);
  }
}

TEST(legacy_case_reput_fixes_timer_index) {
  char root[64];
  store_t *st;
  store_txn_t *txn;
  first_timer_t t;

  tmpdir_make(root);
  st = store_at(root, "db");
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  legacy_put(txn, "c-1", "{\"id\":\"c-1\",\"timers\":{\"old\":{\"due_s\":5}}}", 5, "old");
  legacy_put(txn, "c-2", "{\"id\":\"c-2\",\"timers\":{\"keep\":{\"due_s\":7}}}", 7, "keep");
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(db_entries(st, "timers"), 2);
  ASSERT_EQ(db_entries(st, "casemeta"), 0);

  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  {
    /* c-1's old timer goes; its new one comes. */
    spec_t sp = {"c-1", "s", "status=open", 40, 1, "{\"new\": {\"due_s\": 40}}"};
    ASSERT_EQ(put_spec(txn, &sp), 0);
  }
  {
    /* c-2 keeps its timer: the key stays, once. */
    spec_t sp = {"c-2", "s", "status=open", 7, 2, "{\"keep\": {\"due_s\": 7}}"};
    ASSERT_EQ(put_spec(txn, &sp), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(db_entries(st, "timers"), 2);
  ASSERT_EQ(db_entries(st, "casemeta"), 2);
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_STR_EQ(t.case_id, "c-2");
  ASSERT_EQ(t.due_s, 7);
  {
    qspec_t q = {"s", "status=open", 10, NONE, 10, 100};
    assert_query(st, &q, "c-2 ");
  }

  /* A second put reads the casemeta record, not the case: a damaged case
   * record does not matter to it any more. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "cases", "c-2", 3, "{garbage", 8), 0);
  {
    spec_t sp = {"c-2", "s", "status=closed", NONE, 3, NULL};
    ASSERT_EQ(put_spec(txn, &sp), 0);
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(timer_first(st, &t), 0);
  ASSERT_STR_EQ(t.case_id, "c-1");
  ASSERT_STR_EQ(t.name, "new");
  ASSERT_EQ(db_entries(st, "timers"), 1);

  /* A legacy record that does not parse cannot be re-put: its timers are unknown. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  legacy_put(txn, "c-3", "{broken", 0, NULL);
  {
    spec_t sp = {"c-3", "s", "", NONE, NONE, NULL};
    ASSERT_EQ(put_spec(txn, &sp), CASUS_ESTORE_CORRUPT);
  }
  /* Nor can a case over a damaged casemeta record. */
  ASSERT_EQ(store_debug_put_raw(txn, "casemeta", "c-1", 3, "\x07", 1), 0);
  {
    spec_t sp = {"c-1", "s", "", NONE, NONE, NULL};
    ASSERT_EQ(put_spec(txn, &sp), CASUS_ESTORE_CORRUPT);
  }
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

TEST(reindex_of_a_schema_1_store) {
  char root[64], id[16];
  store_t *st;
  store_txn_t *txn;
  int i;

  tmpdir_make(root);
  st = store_at(root, "db");
  /* A new store is current. */
  ASSERT(!store_reindex_needed(st));
  /* Make it a store of schema 1 with three cases and their timers. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "meta", "schema_version", 14, "1", 1), 0);
  for (i = 1; i <= 3; i++) {
    char json[128];
    snprintf(id, sizeof(id), "c-%d", i);
    snprintf(json, sizeof(json), "{\"id\":\"%s\",\"timers\":{\"t\":{\"due_s\":%d}}}", id, i);
    legacy_put(txn, id, json, i, "t");
  }
  ASSERT_EQ(store_txn_commit(txn), 0);
  store_close(st);

  st = store_at(root, "db");
  ASSERT(store_reindex_needed(st));
  {
    /* Nothing is listed before the reindex. */
    qspec_t q = {"s", "", NONE, NONE, 10, 100};
    assert_query(st, &q, "");
  }
  /* The server's reindex: scan and re-put, in bounded transactions. */
  for (i = 1; i <= 3; i++) {
    json_t *c;
    ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    snprintf(id, sizeof(id), "c-%d", i);
    ASSERT_EQ(store_case_get(txn, id, &c), 0);
    {
      spec_t sp = {id, "s", "status=open", NONE, i, "{\"t\": {\"due_s\": 100}}"};
      ASSERT_EQ(put_spec(txn, &sp), 0);
    }
    json_decref(c);
    ASSERT_EQ(store_txn_commit(txn), 0);
  }
  ASSERT(store_reindex_needed(st));
  /* An aborted finish changes nothing. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_reindex_finish(txn), 0);
  store_txn_abort(txn);
  ASSERT(store_reindex_needed(st));
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_reindex_finish(txn), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT(!store_reindex_needed(st));
  /* The old timer keys went with the re-put. */
  ASSERT_EQ(db_entries(st, "timers"), 3);
  store_close(st);

  st = store_at(root, "db");
  ASSERT(!store_reindex_needed(st));
  {
    qspec_t q = {"s", "status=open", NONE, NONE, 10, 100};
    assert_query(st, &q, "c-1 c-2 c-3 ");
  }
  store_close(st);
  tmpdir_remove(root);
}

/* --- many cases: the work of a query follows its matches, not the store --- */

TEST(rare_filters_examine_few_entries_of_many) {
  enum { N = 50000 };
  char root[64], cursor[STORE_CURSOR_BYTES_MAX], id[16];
  store_t *st;
  store_txn_t *txn;
  uint64_t before;
  int i;

  tmpdir_make(root);
  st = store_at(root, "db");
  for (i = 0; i < N; i++) {
    bool rare = i % 10000 == 4321;
    spec_t sp = {id,
                 i % 7 == 0 ? "big small" : "big",
                 rare ? "status=open aanbieder=rare flag=x" : "status=open aanbieder=common",
                 rare ? 5 : 1000 + i % 100,
                 i,
                 NULL};
    if (i % 5000 == 0) ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    snprintf(id, sizeof(id), "c-%06d", i);
    if (i == 17) sp.scopes = "tiny";
    ASSERT_EQ(put_spec(txn, &sp), 0);
    if (i % 5000 == 4999) ASSERT_EQ(store_txn_commit(txn), 0);
  }
  {
    /* A rare value: 5 matches among 50k, found with a budget of 12. */
    qspec_t q = {"big", "aanbieder=rare", NONE, NONE, 10, 12};
    got_t got;
    memset(&got, 0, sizeof(got));
    before = store_debug_examined_total();
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-004321 c-014321 c-024321 c-034321 c-044321 ");
    ASSERT_STR_EQ(cursor, "");
    ASSERT_LE(store_debug_examined_total() - before, 12);
  }
  {
    /* A join of a common and a rare stream leapfrogs over the common one. */
    qspec_t q = {"big", "status=open flag=x", NONE, NONE, 10, 30};
    got_t got;
    memset(&got, 0, sizeof(got));
    before = store_debug_examined_total();
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_EQ(got.n, 5);
    ASSERT_STR_EQ(cursor, "");
    ASSERT_LE(store_debug_examined_total() - before, 30);
  }
  {
    /* Overdue: the deadline index reaches only the overdue cases. */
    qspec_t q = {"big", "", 1000, NONE, 10, 12};
    got_t got;
    memset(&got, 0, sizeof(got));
    before = store_debug_examined_total();
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_EQ(got.n, 5);
    ASSERT_STR_EQ(cursor, "");
    ASSERT_LE(store_debug_examined_total() - before, 12);
  }
  {
    /* Updated after the last 3: three entries and the end. */
    qspec_t q = {"big", "", NONE, N - 4, 10, 10};
    got_t got;
    memset(&got, 0, sizeof(got));
    before = store_debug_examined_total();
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-049997 c-049998 c-049999 ");
    ASSERT_STR_EQ(cursor, "");
    ASSERT_LE(store_debug_examined_total() - before, 4);
  }
  {
    /* A caller of a small scope never reads the big one. */
    qspec_t q = {"tiny", "", NONE, NONE, 10, 3};
    got_t got;
    memset(&got, 0, sizeof(got));
    before = store_debug_examined_total();
    ASSERT_EQ(query_page(st, &q, NULL, &got, cursor), 0);
    ASSERT_STR_EQ(got.ids, "c-000017 ");
    ASSERT_STR_EQ(cursor, "");
    ASSERT_LE(store_debug_examined_total() - before, 2);
  }
  {
    /* A page of 50 from a big scope costs about 50 entries, wherever it starts. */
    qspec_t q = {"big small", "status=open", NONE, NONE, 50, 1000};
    got_t got;
    memset(&got, 0, sizeof(got));
    before = store_debug_examined_total();
    ASSERT_EQ(query_page(st, &q, "i:632d303430303030", &got, cursor), 0);
    ASSERT_EQ(got.n, 50);
    ASSERT(strncmp(got.ids, "c-040000 c-040001 ", 18) == 0);
    ASSERT_LE(store_debug_examined_total() - before, 2 * 51 + 2);
  }
  store_close(st);
  tmpdir_remove(root);
}

/* --- bytes per case (printed; asserted only loosely) --- */

static uint64_t file_bytes(const char *path) {
  struct stat sb;
  ASSERT_EQ(stat(path, &sb), 0);
  return (uint64_t)sb.st_size;
}

/* Writes n realistic cases into store dir sub (with or without index terms)
 * and returns the bytes of its compacted copy. */
static uint64_t fill_and_measure(const char *root, const char *sub, int n, bool indexed) {
  char copy[128], path[160], id[16], scopes[160], attrs[256], timers[160];
  store_t *st = store_at(root, sub);
  store_txn_t *txn;
  uint64_t bytes;
  int i;
  for (i = 0; i < n; i++) {
    spec_t sp;
    snprintf(id, sizeof(id), "c-%06d", i);
    snprintf(scopes, sizeof(scopes),
             "gemeente=gemeente-%d casusregisseur=cr-%d aanbieder=aanbieder-%d regio=rijnmond", i % 9,
             i % 400, i % 25);
    snprintf(attrs, sizeof(attrs),
             "status=%s aanbieder=aanbieder-%d casusregisseur=cr-%d gemeente=gemeente-%d flag=%s%s",
             i % 3 ? "in_zorg" : "aangemeld", i % 25, i % 400, i % 9, i % 5 ? "spoed" : "herindicatie",
             i % 11 ? "" : " flag=escalatie");
    snprintf(timers, sizeof(timers), "{\"beschikking\": {\"due_s\": %d}, \"evaluatie\": {\"due_s\": %d}}",
             1700000000 + i % 86400, 1710000000 + i);
    sp.id = id;
    sp.scopes = indexed ? scopes : "";
    sp.attrs = indexed ? attrs : "";
    sp.deadline_s = indexed ? 1700000000 + i % 86400 : NONE;
    sp.updated_s = indexed ? 1690000000 + i : NONE;
    sp.timers = timers;
    if (i % 1000 == 0) ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
    ASSERT_EQ(put_spec(txn, &sp), 0);
    if (i % 1000 == 999 || i == n - 1) ASSERT_EQ(store_txn_commit(txn), 0);
  }
  snprintf(copy, sizeof(copy), "%s/%s-copy", root, sub);
  ASSERT_EQ(mkdir(copy, 0700), 0);
  ASSERT_EQ(store_backup(st, copy), 0);
  snprintf(path, sizeof(path), "%s/data.mdb", copy);
  bytes = file_bytes(path);
  if (indexed) {
    /* Query costs at this size, for the report (not asserted: times vary). */
    static const qspec_t qs[] = {
        {"gemeente=gemeente-3", "", NONE, NONE, 50, 5000},
        {"gemeente=gemeente-3", "status=aangemeld flag=escalatie", NONE, NONE, 50, 5000},
        {"casusregisseur=cr-7 aanbieder=aanbieder-7", "", NONE, NONE, 50, 5000},
        {"gemeente=gemeente-3", "", 1700000000 + 3600, NONE, 50, 5000},
        {"regio=rijnmond", "flag=escalatie", NONE, 1690000000, 50, 5000},
        /* The worst case: the whole budget spent on entries that do not match. */
        {"regio=rijnmond", "flag=nergens", NONE, 1690000000, 50, 5000},
        {"regio=rijnmond", "flag=nergens", 1800000000, NONE, 50, 5000},
        {"regio=rijnmond gemeente=gemeente-1 gemeente=gemeente-2", "status=in_zorg flag=escalatie", NONE,
         NONE, 100, 5000},
    };
    size_t k;
    for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
      char next[STORE_CURSOR_BYTES_MAX];
      got_t got;
      struct timespec t0, t1;
      uint64_t ex = store_debug_examined_total();
      memset(&got, 0, sizeof(got));
      clock_gettime(CLOCK_MONOTONIC, &t0);
      ASSERT_EQ(query_page(st, &qs[k], NULL, &got, next), 0);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      printf("  query %zu: %zu cases, %llu examined, %.3f ms%s\n", k, got.n,
             (unsigned long long)(store_debug_examined_total() - ex),
             (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
             next[0] ? " (more)" : "");
    }
  }
  store_close(st);
  return bytes;
}

TEST(index_bytes_per_case) {
  const char *env = getenv("CASUS_INDEX_BENCH_CASES");
  int n = env ? atoi(env) : 5000;
  char root[64];
  uint64_t plain, indexed;
  if (n < 100) n = 100;
  tmpdir_make(root);
  plain = fill_and_measure(root, "plain", n, false);
  indexed = fill_and_measure(root, "indexed", n, true);
  printf("  %d cases: %.0f bytes/case without index terms, %.0f with (index and casemeta: %.0f)\n", n,
         (double)plain / n, (double)indexed / n, (double)(indexed - plain) / n);
  /* 4 scopes x (1 + 6 or 7 attributes + 2 ranges) = ~38 entries per case. */
  ASSERT_LT((indexed - plain) / (uint64_t)n, 2000);
  tmpdir_remove(root);
}

/* Writes t as the store does in keys and casemeta: 8 bytes big-endian, offset by 2^63. */
static void be_time(uint8_t *p, int64_t t) {
  uint64_t u = (uint64_t)t ^ (UINT64_C(1) << 63);
  int i;
  for (i = 7; i >= 0; i--) {
    p[i] = (uint8_t)(u & 0xff);
    u >>= 8;
  }
}

/* One damaged case makes only that case unavailable: a record changed
 * outside casusd (it still parses, but its digest is not the one casemeta
 * keeps), a damaged casemeta record, or an index entry that names a case
 * that is not there is left out of every list, whatever its plan, and the
 * other cases are listed; store_case_get refuses the damaged case
 * (CASUS_ESTORE_CORRUPT) and store_case_scoped says from the index, without
 * the record, who may know it exists.  A casemeta record of the first
 * format (no digest) is still read. */
TEST(damaged_case_left_out_of_lists) {
  static const char changed[] = "{\"id\":\"c-3\",\"scopes\":\"g=a g=b\",\"attrs\":\"status=closed\"}";
  const char *ga[] = {"g=a"}, *gc[] = {"g=c"}, *gbc[] = {"g=c", "g=b"}, *empty[] = {""};
  char root[64];
  uint8_t v1[64], dv[16];
  store_t *st;
  store_txn_t *txn;
  json_t *c;
  size_t n = 0;

  tmpdir_make(root);
  st = filters_fixture(root);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "cases", "c-3", 3, changed, sizeof(changed) - 1), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);

  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_get(txn, "c-3", &c), CASUS_ESTORE_CORRUPT);
  ASSERT_NULL(c);
  ASSERT_EQ(store_case_get(txn, "c-1", &c), 0);
  json_decref(c);
  ASSERT_EQ(store_case_scoped(txn, "c-3", ga, 1), 1);
  ASSERT_EQ(store_case_scoped(txn, "c-3", gbc, 2), 1);
  ASSERT_EQ(store_case_scoped(txn, "c-3", gc, 1), 0);
  ASSERT_EQ(store_case_scoped(txn, "c-6", ga, 1), 0);
  ASSERT_EQ(store_case_scoped(txn, "c-9", ga, 1), 0);
  ASSERT_EQ(store_case_scoped(txn, "c-3", ga, 0), 0);
  ASSERT_EQ(store_case_scoped(txn, "", ga, 1), CASUS_EINVALID_DATA);
  ASSERT_EQ(store_case_scoped(txn, "c-3", empty, 1), CASUS_EINVALID_DATA);
  ASSERT_EQ(store_case_scoped(txn, "c-3", ga, STORE_SCOPES_MAX + 1), CASUS_EINVALID_DATA);
  store_txn_abort(txn);
  {
    qspec_t all = {"g=a", "", NONE, NONE, 2, 100}, open = {"g=a g=b", "status=open", NONE, NONE, 10, 100},
            deadline = {"g=a", "", 1000, NONE, 10, 100}, updated = {"g=a", "status=open", NONE, 0, 10, 100};
    assert_query(st, &all, "c-1 c-2 c-4 c-5 ");
    assert_query(st, &open, "c-1 c-4 c-5 c-6 ");
    assert_query(st, &deadline, "c-5 c-1 c-4 ");
    assert_query(st, &updated, "c-1 c-4 c-5 ");
  }

  /* c-4's casemeta record is damaged; the index names c-7 (in the id
   * order) and c-8 (by deadline), which do not exist. */
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "casemeta", "c-4", 3, "\x02", 1), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "sindex", "g=a\0a", 5, "c-7", 3), 0);
  be_time(dv, 60);
  memcpy(dv + 8, "c-8", 3);
  ASSERT_EQ(store_debug_put_raw(txn, "sindex", "g=a\0d", 5, dv, 11), 0);
  /* by update time: an entry naming c-9 (no casemeta), and one for c-1 at a time it does not have */
  be_time(dv, 55);
  memcpy(dv + 8, "c-9", 3);
  ASSERT_EQ(store_debug_put_raw(txn, "sindex", "g=a\0u", 5, dv, 11), 0);
  be_time(dv, 57);
  memcpy(dv + 8, "c-1", 3);
  ASSERT_EQ(store_debug_put_raw(txn, "sindex", "g=a\0u", 5, dv, 11), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_get(txn, "c-4", &c), CASUS_ESTORE_CORRUPT);
  ASSERT_EQ(store_case_scoped(txn, "c-4", ga, 1), 1); /* the index still knows */
  store_txn_abort(txn);
  {
    qspec_t all = {"g=a", "", NONE, NONE, 1, 100}, deadline = {"g=a", "", 1000, NONE, 10, 100},
            flag = {"g=a", "flag=y", NONE, NONE, 10, 100};
    assert_query(st, &all, "c-1 c-2 c-5 ");
    assert_query(st, &deadline, "c-5 c-1 ");
    assert_query(st, &flag, "");
  }
  {
    /* status=open with updated_after reads casemeta for each entry: c-4's
     * is damaged, c-9 has none, c-1's stray entry disagrees with it. */
    qspec_t updated = {"g=a", "status=open", NONE, 0, 10, 100};
    assert_query(st, &updated, "c-1 c-5 ");
  }

  /* c-5's casemeta record in the first format (no digest): read as before. */
  v1[n++] = 1;
  be_time(v1 + n, -20);
  be_time(v1 + n + 8, 50);
  n += 16;
  v1[n++] = 0; /* timers */
  v1[n++] = 1; /* scopes */
  v1[n++] = 1; /* attrs */
  v1[n++] = 3;
  memcpy(v1 + n, "g=a", 3);
  n += 3;
  v1[n++] = 6;
  memcpy(v1 + n, "status", 6);
  n += 6;
  v1[n++] = 4;
  memcpy(v1 + n, "open", 4);
  n += 4;
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "casemeta", "c-5", 3, v1, n), 0);
  ASSERT_EQ(store_txn_commit(txn), 0);
  ASSERT_EQ(store_txn_begin(st, false, &txn), 0);
  ASSERT_EQ(store_case_get(txn, "c-5", &c), 0);
  json_decref(c);
  store_txn_abort(txn);
  {
    qspec_t deadline = {"g=a", "status=open", 1000, NONE, 10, 100};
    assert_query(st, &deadline, "c-5 c-1 ");
  }
  /* and a write replaces it with one that keeps the digest */
  put1(st, "c-5", "g=a", "status=open", -20, 70);
  ASSERT_EQ(store_txn_begin(st, true, &txn), 0);
  ASSERT_EQ(store_debug_put_raw(txn, "cases", "c-5", 3, "{\"id\":\"c-5\"}", 12), 0);
  ASSERT_EQ(store_case_get(txn, "c-5", &c), CASUS_ESTORE_CORRUPT);
  store_txn_abort(txn);
  store_close(st);
  tmpdir_remove(root);
}

#define TEST_LIST(X)                          \
  X(each_filter_alone_and_combined)           \
  X(scoping)                                  \
  X(range_boundaries)                         \
  X(paging_every_match_once_in_order)         \
  X(paging_while_cases_change)                \
  X(examine_max_stops_early_and_continues)    \
  X(fn_stops_or_fails)                        \
  X(bad_and_foreign_cursors)                  \
  X(invalid_queries_and_records)              \
  X(index_exact_after_updates_and_aborts)     \
  X(legacy_case_reput_fixes_timer_index)      \
  X(reindex_of_a_schema_1_store)              \
  X(rare_filters_examine_few_entries_of_many) \
  X(index_bytes_per_case)                     \
  X(damaged_case_left_out_of_lists)

TEST_MAIN(TEST_LIST)
