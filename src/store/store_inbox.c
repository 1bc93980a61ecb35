/*
 * store_inbox.c -- the inbox database (recipient NUL seq -> item JSON) and
 * its indexes, each kept in the same transaction as the item:
 *   inbox_case  case id NUL seq -> recipient: every item of a case, for
 *               destroying the case's items;
 *   inbox_case_open  case id NUL kind NUL seq -> recipient: the case's open
 *               items by kind, so that closing a kind reads only the items
 *               it closes, not every notification the case ever had (a busy
 *               case holds thousands until the sweep; an event that closes
 *               a kind then cost a parse of each);
 *   inbox_open  recipient NUL section seq -> t: what a listing shows (open
 *               tasks, section 't'; unread notifications, 'n'), walked
 *               backwards so that the newest come first: a new task is on
 *               the first page however many notifications wait;
 *   inbox_time  t recipient NUL seq -> "": the sweep's order.  A
 *               notification (read or not) or a closed task is deleted once
 *               its entry is LIMIT_NOTIFICATION_AGE_DAYS old; an open task
 *               stays and is filed again, to be looked at a period later.
 * seq comes from the global meta counter inbox_seq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_int.h"

static void store_inbox_key(store_key_t *k, const char *recipient, uint64_t seq) {
  store__key_init(k);
  store__key_add_str(k, recipient);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
}

static void store_inbox_case_key(store_key_t *k, const char *case_id, uint64_t seq) {
  store__key_init(k);
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
}

/* The sections of inbox_open. */
#define STORE_INBOX_TASKS 't'
#define STORE_INBOX_NOTIFICATIONS 'n'

/* The inbox_open key of recipient's item seq in section (r NUL section seq). */
static void store_inbox_open_key(store_key_t *k, const char *recipient, size_t recipient_len, char section,
                                 uint64_t seq) {
  store__key_init(k);
  store__key_add(k, recipient, recipient_len);
  store__key_add_nul(k);
  store__key_add(k, &section, 1);
  store__key_add_u64(k, seq);
}

/* The inbox_time key (t recipient NUL seq). */
static void store_inbox_time_key(store_key_t *k, int64_t t, const char *recipient, size_t recipient_len,
                                 uint64_t seq) {
  store__key_init(k);
  store__key_add_time(k, t);
  store__key_add(k, recipient, recipient_len);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
}

/* The inbox_case_open key of case_id's open item seq of kind
 * (case id NUL kind NUL seq); check k->overflow. */
static void store_inbox_case_open_key(store_key_t *k, const char *case_id, const char *kind, uint64_t seq) {
  store__key_init(k);
  store__key_add_str(k, case_id);
  store__key_add_nul(k);
  store__key_add_str(k, kind);
  store__key_add_nul(k);
  store__key_add_u64(k, seq);
}

/* An item's kind, which store_inbox_close matches; NULL when it has none
 * (such an item is never closed, and is not in inbox_case_open). */
static const char *store_inbox_kind(const json_t *item) {
  return json_string_value(json_object_get(item, "kind"));
}

/* Files the open item seq of case_id (recipient's) in inbox_case_open. */
static int store_inbox_case_open_put(store_txn_t *txn, const char *case_id, const json_t *item, uint64_t seq,
                                     const char *recipient, size_t recipient_len) {
  store_key_t k;
  const char *kind = store_inbox_kind(item);
  if (kind == NULL) return 0;
  store_inbox_case_open_key(&k, case_id, kind, seq);
  if (k.overflow) return CASUS_EINVALID_DATA;
  return store__raw_put(txn, STORE_DB_INBOX_CASE_OPEN, &k, recipient, recipient_len);
}

/* Removes item seq, no longer open, from inbox_case_open, under the case id
 * the item names; missing is fine. */
static int store_inbox_case_open_del(store_txn_t *txn, const json_t *item, uint64_t seq) {
  store_key_t k;
  const char *case_id = json_string_value(json_object_get(item, "case_id"));
  const char *kind = store_inbox_kind(item);
  int rc;
  if (case_id == NULL || kind == NULL || !store__id_ok(case_id)) return 0;
  store_inbox_case_open_key(&k, case_id, kind, seq);
  if (k.overflow) return 0; /* never filed */
  rc = store__raw_del(txn, STORE_DB_INBOX_CASE_OPEN, &k);
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* An item's section: tasks are listed first, everything else is a notification. */
static char store_inbox_section(const json_t *item) {
  const char *type = json_string_value(json_object_get(item, "type"));
  return type != NULL && strcmp(type, "task") == 0 ? STORE_INBOX_TASKS : STORE_INBOX_NOTIFICATIONS;
}

/* Files recipient's item seq in inbox_open (as listed, dated t). */
static int store_inbox_open_put(store_txn_t *txn, const char *recipient, size_t recipient_len, char section,
                                uint64_t seq, int64_t t) {
  store_key_t k, tv;
  store_inbox_open_key(&k, recipient, recipient_len, section, seq);
  store__key_init(&tv);
  store__key_add_time(&tv, t);
  return store__raw_put(txn, STORE_DB_INBOX_OPEN, &k, tv.bytes, tv.len);
}

/* Removes recipient's item seq from inbox_open (no longer listed); missing is fine. */
static int store_inbox_open_del(store_txn_t *txn, const char *recipient, size_t recipient_len, char section,
                                uint64_t seq) {
  store_key_t k;
  int rc;
  store_inbox_open_key(&k, recipient, recipient_len, section, seq);
  rc = store__raw_del(txn, STORE_DB_INBOX_OPEN, &k);
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* Files recipient's item seq in inbox_time under t. */
static int store_inbox_time_put(store_txn_t *txn, int64_t t, const char *recipient, size_t recipient_len,
                                uint64_t seq) {
  store_key_t k;
  store_inbox_time_key(&k, t, recipient, recipient_len, seq);
  return store__raw_put(txn, STORE_DB_INBOX_TIME, &k, "", 0);
}

/* Loads an inbox item and checks it carries the seq of its key. */
static int store_inbox_load(const MDB_val *val, uint64_t seq, json_t **out) {
  uint64_t json_seq;
  int rc = store__json_load(val, out);
  if (rc < 0) return rc;
  if (!store__json_u64(*out, "seq", &json_seq) || json_seq != seq ||
      !json_is_boolean(json_object_get(*out, "open"))) {
    json_decref(*out);
    *out = NULL;
    return CASUS_ESTORE_CORRUPT;
  }
  return 0;
}

/* Whether s can stand in a JSON string as it is (no quote, backslash or control character). */
static bool store_inbox_json_plain(const char *s) {
  for (; *s; s++)
    if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) return false;
  return true;
}

/* Writes item (borrowed) with the members the store adds: "seq", "open",
 * "case_id", "recipient".  The item is serialised once and the members are
 * appended to its text, rather than copied into a new document first. */
static int store_inbox_put_item(store_txn_t *txn, store_key_t *k, const json_t *item, uint64_t seq,
                                const char *case_id, const char *recipient) {
  static const char *const added[] = {"seq", "open", "case_id", "recipient"};
  char *s, *rec;
  size_t n, i;
  int w, rc;
  bool plain = store_inbox_json_plain(recipient) && store_inbox_json_plain(case_id);
  for (i = 0; i < sizeof(added) / sizeof(added[0]); i++)
    if (json_object_get(item, added[i]) != NULL) plain = false;
  if (!plain) {
    /* The item names a member the store sets, or an id needs escaping:
     * the store's values replace the item's, in a copy. */
    json_t *it = json_deep_copy(item);
    if (it == NULL) return CASUS_ENOMEM;
    if (json_object_set_new(it, "seq", json_integer((json_int_t)seq)) != 0 ||
        json_object_set_new(it, "open", json_true()) != 0 ||
        json_object_set_new(it, "case_id", json_string(case_id)) != 0 ||
        json_object_set_new(it, "recipient", json_string(recipient)) != 0)
      rc = CASUS_ENOMEM;
    else
      rc = store__json_put(txn, STORE_DB_INBOX, k, it, false);
    json_decref(it);
    return rc;
  }
  s = core_json_dumps(item, JSON_COMPACT);
  if (s == NULL) return CASUS_ENOMEM;
  n = strlen(s);
  CASUS_ASSERT(n >= 2 && s[n - 1] == '}');
  rec = malloc(n + strlen(case_id) + strlen(recipient) + 96);
  if (rec == NULL) {
    free(s);
    return CASUS_ENOMEM;
  }
  memcpy(rec, s, n - 1);
  w = sprintf(rec + n - 1, "%s\"seq\":%llu,\"open\":true,\"case_id\":\"%s\",\"recipient\":\"%s\"}",
              n > 2 ? "," : "", (unsigned long long)seq, case_id, recipient);
  free(s);
  rc = store__raw_put(txn, STORE_DB_INBOX, k, rec, n - 1 + (size_t)w);
  free(rec);
  return rc;
}

int store_inbox_add(store_txn_t *txn, const char *recipient, const char *case_id, const json_t *item,
                    int64_t created_s, uint64_t *seq_out) {
  store_key_t k, kc;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(item));
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id) || recipient[0] == '\0') return CASUS_EINVALID_DATA;
  /* Check the keys fit before the counter moves (the inbox_time key is the
   * longest but for inbox_case_open's, whose kind comes from a chart). */
  store_inbox_time_key(&k, created_s, recipient, strlen(recipient), 0);
  if (k.overflow) return CASUS_EINVALID_DATA;
  if (store_inbox_kind(item) != NULL) {
    store_inbox_case_open_key(&k, case_id, store_inbox_kind(item), 0);
    if (k.overflow) return CASUS_EINVALID_DATA;
  }

  rc = store__meta_next(txn, "inbox_seq", &seq);
  if (rc == 0) {
    store_inbox_key(&k, recipient, seq);
    rc = store_inbox_put_item(txn, &k, item, seq, case_id, recipient);
  }
  if (rc == 0) {
    store_inbox_case_key(&kc, case_id, seq);
    rc = store__raw_put(txn, STORE_DB_INBOX_CASE, &kc, recipient, strlen(recipient));
  }
  if (rc == 0) rc = store_inbox_case_open_put(txn, case_id, item, seq, recipient, strlen(recipient));
  if (rc == 0)
    rc = store_inbox_open_put(txn, recipient, strlen(recipient), store_inbox_section(item), seq, created_s);
  if (rc == 0) rc = store_inbox_time_put(txn, created_s, recipient, strlen(recipient), seq);
  /* A task is open from the start: the metrics count it. */
  if (rc == 0) rc = store__count_item(txn, item, 1);
  if (rc < 0) return store__txn_fail(txn, rc);
  if (seq_out != NULL) *seq_out = seq;
  return 0;
}

/* Closes the inbox item (recipient, seq), which inbox_case_open listed
 * under kind, when it is open and of `kind` (the item decides, as it did
 * before the index). */
static int store_inbox_close_one(store_txn_t *txn, const char *recipient, uint64_t seq, const char *kind) {
  store_key_t k;
  MDB_val val;
  json_t *it;
  const char *it_kind;
  int rc;

  store_inbox_key(&k, recipient, seq);
  if (k.overflow) return CASUS_ESTORE_CORRUPT;
  rc = store__raw_get(txn, STORE_DB_INBOX, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return CASUS_ESTORE_CORRUPT; /* the case index points nowhere */
  if (rc < 0) return rc;
  rc = store_inbox_load(&val, seq, &it);
  if (rc < 0) return rc;
  it_kind = store_inbox_kind(it);
  if (json_is_true(json_object_get(it, "open")) && it_kind != NULL && strcmp(it_kind, kind) == 0) {
    rc = json_object_set_new(it, "open", json_false()) == 0 ? 0 : CASUS_ENOMEM;
    if (rc == 0) rc = store__json_put(txn, STORE_DB_INBOX, &k, it, false);
    if (rc == 0) rc = store_inbox_open_del(txn, recipient, strlen(recipient), store_inbox_section(it), seq);
    if (rc == 0) rc = store__count_item(txn, it, -1);
  }
  json_decref(it);
  return rc;
}

int store_inbox_close(store_txn_t *txn, const char *case_id, const char *kind) {
  char rbuf[STORE_KEY_BYTES_MAX + 1];
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, k;
  int rc = 0, mrc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(kind != NULL);
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  store__key_init(&prefix);
  store__key_add_str(&prefix, case_id);
  store__key_add_nul(&prefix);
  store__key_add_str(&prefix, kind);
  store__key_add_nul(&prefix);
  /* store_inbox_add refuses an item whose key would not fit: none is open. */
  if (prefix.overflow) return 0;
  rc = store__cursor_open(txn, STORE_DB_INBOX_CASE_OPEN, &cur);
  if (rc < 0) return rc;
  /* Each pass takes the first entry of the kind, which the previous pass
   * removed: the entries are exactly the items to close. */
  for (;;) {
    uint64_t seq;
    key = store__key_val(&prefix);
    mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    if (mrc != 0 || !store__key_has_prefix(&key, &prefix)) break;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES || val.mv_size == 0 || val.mv_size >= sizeof(rbuf) ||
        memchr(val.mv_data, '\0', val.mv_size) != NULL) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    seq = store__u64_from_be((const uint8_t *)key.mv_data + prefix.len);
    memcpy(rbuf, val.mv_data, val.mv_size);
    rbuf[val.mv_size] = '\0';
    store__key_init(&k);
    store__key_add(&k, key.mv_data, key.mv_size);
    rc = store__raw_del(txn, STORE_DB_INBOX_CASE_OPEN, &k);
    if (rc == 0) rc = store_inbox_close_one(txn, rbuf, seq, kind);
    if (rc < 0) break;
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "inbox close");
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

/* Collects at most max open items of one recipient with seq > after_seq
 * into list.  Taking max from each recipient is enough for the merged first
 * max. */
static int store_inbox_collect(store_txn_t *txn, const char *recipient, uint64_t after_seq, size_t max,
                               json_t *list) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix, seek;
  size_t taken = 0;
  int rc = 0, mrc;

  store__key_init(&prefix);
  store__key_add_str(&prefix, recipient);
  store__key_add_nul(&prefix);
  if (prefix.overflow) return 0; /* no such key can exist */
  store_inbox_key(&seek, recipient, after_seq + 1);
  rc = store__cursor_open(txn, STORE_DB_INBOX, &cur);
  if (rc < 0) return rc;
  key = store__key_val(&seek);
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && taken < max && store__key_has_prefix(&key, &prefix)) {
    json_t *it;
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    rc = store_inbox_load(&val, store__u64_from_be((const uint8_t *)key.mv_data + prefix.len), &it);
    if (rc < 0) break;
    if (json_is_true(json_object_get(it, "open"))) {
      if (json_array_append_new(list, it) != 0) {
        rc = CASUS_ENOMEM;
        break;
      }
      taken++;
    } else {
      json_decref(it);
    }
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "inbox list");
  return rc;
}

static int store_inbox_seq_cmp(const void *a, const void *b) {
  uint64_t sa = 0, sb = 0;
  store__json_u64(*(json_t *const *)a, "seq", &sa);
  store__json_u64(*(json_t *const *)b, "seq", &sb);
  return sa < sb ? -1 : sa > sb;
}

int store_inbox_list(store_txn_t *txn, const char *const *recipients, size_t recipients_count,
                     uint64_t after_seq, size_t max, json_t **out) {
  json_t *all, *list;
  json_t **items = NULL;
  size_t i, n;
  uint64_t last_seq = 0;
  int rc = 0;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  all = json_array();
  list = json_array();
  if (all == NULL || list == NULL) {
    rc = CASUS_ENOMEM;
    goto done;
  }
  if (after_seq == UINT64_MAX || max == 0) goto done;
  for (i = 0; i < recipients_count && rc == 0; i++)
    rc = store_inbox_collect(txn, recipients[i], after_seq, max, all);
  if (rc < 0) goto done;

  /* Merge by seq.  seq is global, so equal seqs are the same item reached
   * through a recipient listed twice. */
  n = json_array_size(all);
  if (n > 0) {
    items = malloc(n * sizeof(*items));
    if (items == NULL) {
      rc = CASUS_ENOMEM;
      goto done;
    }
    for (i = 0; i < n; i++) items[i] = json_array_get(all, i);
    qsort(items, n, sizeof(*items), store_inbox_seq_cmp);
  }
  for (i = 0; i < n && json_array_size(list) < max; i++) {
    uint64_t seq = 0;
    store__json_u64(items[i], "seq", &seq);
    if (seq == last_seq) continue;
    last_seq = seq;
    if (json_array_append(list, items[i]) != 0) {
      rc = CASUS_ENOMEM;
      goto done;
    }
  }

done:
  free(items);
  json_decref(all);
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  *out = list;
  return 0;
}

/* --- one item: read it, mark it read --- */

/* A recipient that fits every inbox key (the inbox_time key is the longest). */
static bool store_inbox_recipient_ok(const char *recipient) {
  return recipient != NULL && recipient[0] != '\0' &&
         strlen(recipient) + 1 + 2 * STORE_SEQ_BYTES <= STORE_KEY_BYTES_MAX;
}

int store_inbox_get(store_txn_t *txn, const char *recipient, uint64_t seq, json_t **out) {
  store_key_t k;
  MDB_val val;
  int rc;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  if (!store_inbox_recipient_ok(recipient)) return CASUS_ENOT_FOUND; /* no such key can exist */
  store_inbox_key(&k, recipient, seq);
  rc = store__raw_get(txn, STORE_DB_INBOX, &k, &val);
  if (rc < 0) return rc;
  return store_inbox_load(&val, seq, out);
}

int store_inbox_mark_read(store_txn_t *txn, const char *recipient, uint64_t seq) {
  store_key_t k;
  json_t *it;
  int rc;

  CASUS_ASSERT(txn->write);
  rc = store_inbox_get(txn, recipient, seq, &it);
  if (rc < 0) return rc;
  if (json_is_true(json_object_get(it, "open"))) {
    store_inbox_key(&k, recipient, seq);
    rc = json_object_set_new(it, "open", json_false()) == 0 ? 0 : CASUS_ENOMEM;
    if (rc == 0) rc = store__json_put(txn, STORE_DB_INBOX, &k, it, false);
    if (rc == 0) rc = store_inbox_open_del(txn, recipient, strlen(recipient), store_inbox_section(it), seq);
    if (rc == 0) rc = store_inbox_case_open_del(txn, it, seq);
    if (rc == 0) rc = store__count_item(txn, it, -1);
  }
  json_decref(it);
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

/* --- a page: open tasks, then unread notifications, newest first --- */

/* One recipient's entries of one section of inbox_open, walked backwards. */
typedef struct {
  MDB_cursor *cur;
  store_key_t prefix; /* recipient NUL section */
  bool live;          /* seq and t hold the current entry */
  uint64_t seq;
  int64_t t;
} store_inbox_walk_t;

/* Reads the walk's current entry after a cursor move (mrc): live when it is
 * one of the walk's entries with seq > after_seq. */
static int store_inbox_walk_read(store_txn_t *txn, store_inbox_walk_t *w, int mrc, const MDB_val *key,
                                 const MDB_val *val, uint64_t after_seq) {
  w->live = false;
  if (mrc == MDB_NOTFOUND) return 0;
  if (mrc != 0) return store__txn_mdb(txn, mrc, "inbox page");
  if (!store__key_has_prefix(key, &w->prefix)) return 0;
  if (key->mv_size != w->prefix.len + STORE_SEQ_BYTES || val->mv_size != STORE_SEQ_BYTES)
    return CASUS_ESTORE_CORRUPT;
  w->seq = store__u64_from_be((const uint8_t *)key->mv_data + w->prefix.len);
  w->t = store__time_from_be(val->mv_data);
  w->live = w->seq > after_seq;
  return 0;
}

/* Positions the walk on its newest entry with seq < below (0: the newest of all). */
static int store_inbox_walk_seek(store_txn_t *txn, store_inbox_walk_t *w, uint64_t below,
                                 uint64_t after_seq) {
  store_key_t seek = w->prefix;
  MDB_val key, val;
  int mrc;
  store__key_add_u64(&seek, below == 0 ? UINT64_MAX : below);
  key = store__key_val(&seek);
  mrc = mdb_cursor_get(w->cur, &key, &val, MDB_SET_RANGE);
  if (mrc == 0)
    mrc = mdb_cursor_get(w->cur, &key, &val, MDB_PREV);
  else if (mrc == MDB_NOTFOUND)
    mrc = mdb_cursor_get(w->cur, &key, &val, MDB_LAST);
  return store_inbox_walk_read(txn, w, mrc, &key, &val, after_seq);
}

static int store_inbox_walk_prev(store_txn_t *txn, store_inbox_walk_t *w, uint64_t after_seq) {
  MDB_val key, val;
  int mrc = mdb_cursor_get(w->cur, &key, &val, MDB_PREV);
  return store_inbox_walk_read(txn, w, mrc, &key, &val, after_seq);
}

/* Parses a cursor "t<seq>" or "n<seq>". */
static bool store_inbox_cursor_parse(const char *s, char *section, uint64_t *below) {
  uint64_t v = 0;
  size_t i, n = strlen(s);
  if (n < 2 || n > 21 || (s[0] != STORE_INBOX_TASKS && s[0] != STORE_INBOX_NOTIFICATIONS)) return false;
  for (i = 1; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *section = s[0];
  *below = v;
  return true;
}

int store_inbox_page(store_txn_t *txn, const store_inbox_query_t *q, json_t **out, char *next_cursor,
                     size_t next_cursor_size) {
  store_inbox_walk_t w[STORE_INBOX_RECIPIENTS_MAX];
  size_t i, examined = 0, processed = 0;
  uint64_t below = 0;
  char section;
  json_t *list;
  int rc = 0;
  bool full = false;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  if (q->recipients_count == 0 || q->recipients_count > STORE_INBOX_RECIPIENTS_MAX ||
      (!q->tasks && !q->notifications) || q->limit == 0 || q->examine_max == 0 ||
      next_cursor_size < STORE_INBOX_CURSOR_BYTES_MAX)
    return CASUS_EINVALID_DATA;
  for (i = 0; i < q->recipients_count; i++)
    if (!store_inbox_recipient_ok(q->recipients[i])) return CASUS_EINVALID_DATA;
  section = q->tasks ? STORE_INBOX_TASKS : STORE_INBOX_NOTIFICATIONS;
  if (q->cursor != NULL && q->cursor[0] != '\0') {
    if (!store_inbox_cursor_parse(q->cursor, &section, &below) ||
        (section == STORE_INBOX_TASKS && !q->tasks) ||
        (section == STORE_INBOX_NOTIFICATIONS && !q->notifications))
      return CASUS_EBAD_REQUEST;
  }
  next_cursor[0] = '\0';
  list = json_array();
  if (list == NULL) return CASUS_ENOMEM;
  memset(w, 0, sizeof(w));

  for (;;) {
    /* One section: every recipient's walk from below, merged newest first. */
    for (i = 0; i < q->recipients_count && rc == 0; i++) {
      store__key_init(&w[i].prefix);
      store__key_add_str(&w[i].prefix, q->recipients[i]);
      store__key_add_nul(&w[i].prefix);
      store__key_add(&w[i].prefix, &section, 1);
      rc = store__cursor_open(txn, STORE_DB_INBOX_OPEN, &w[i].cur);
      if (rc == 0) rc = store_inbox_walk_seek(txn, &w[i], below, q->after_seq);
      examined++;
    }
    while (rc == 0) {
      store_inbox_walk_t *top = NULL;
      for (i = 0; i < q->recipients_count; i++)
        if (w[i].live && (top == NULL || w[i].seq > top->seq)) top = &w[i];
      if (top == NULL) break; /* the section is done */
      if (json_array_size(list) >= q->limit || (processed > 0 && examined >= q->examine_max)) {
        full = true;
        break;
      }
      if (section == STORE_INBOX_TASKS || q->notifications_since_s == STORE_TIME_NONE ||
          top->t >= q->notifications_since_s) {
        json_t *it;
        rc = store_inbox_get(txn, q->recipients[top - w], top->seq, &it);
        if (rc == CASUS_ENOT_FOUND) rc = CASUS_ESTORE_CORRUPT; /* the index names no item */
        if (rc == 0 && json_array_append_new(list, it) != 0) rc = CASUS_ENOMEM;
        if (rc < 0) break;
      }
      below = top->seq;
      processed++;
      /* The same item reached through a recipient listed twice appears once. */
      for (i = 0; i < q->recipients_count && rc == 0; i++) {
        if (w[i].live && w[i].seq == below) {
          rc = store_inbox_walk_prev(txn, &w[i], q->after_seq);
          examined++;
        }
      }
    }
    for (i = 0; i < q->recipients_count; i++) {
      if (w[i].cur != NULL) mdb_cursor_close(w[i].cur);
      w[i].cur = NULL;
    }
    if (rc < 0 || full) break;
    if (section == STORE_INBOX_TASKS && q->notifications) {
      section = STORE_INBOX_NOTIFICATIONS;
      below = 0;
      continue;
    }
    break;
  }
  if (rc < 0) {
    json_decref(list);
    return rc;
  }
  if (full) snprintf(next_cursor, next_cursor_size, "%c%llu", section, (unsigned long long)below);
  *out = list;
  return 0;
}

/* --- the sweep --- */

int store_inbox_sweep(store_txn_t *txn, int64_t now_s, int64_t age_s, size_t max, size_t *swept) {
  char rbuf[STORE_KEY_BYTES_MAX + 1];
  MDB_cursor *cur;
  MDB_val key, val;
  size_t n = 0;
  int rc = 0, mrc = 0;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(age_s >= 0);
  if (swept != NULL) *swept = 0;
  if (txn->err < 0) return txn->err;
  rc = store__cursor_open(txn, STORE_DB_INBOX_TIME, &cur);
  if (rc < 0) return rc;
  /* Each pass takes the oldest entry, which the previous pass removed. */
  while (n < max && (mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST)) == 0) {
    const uint8_t *kb = key.mv_data;
    size_t rlen = key.mv_size > 2 * STORE_SEQ_BYTES + 1 ? key.mv_size - 2 * STORE_SEQ_BYTES - 1 : 0;
    bool valid =
        rlen > 0 && kb[STORE_SEQ_BYTES + rlen] == '\0' && memchr(kb + STORE_SEQ_BYTES, '\0', rlen) == NULL;
    uint64_t seq = 0;
    if (valid) {
      if (store__time_from_be(kb) > now_s - age_s) break;
      memcpy(rbuf, kb + STORE_SEQ_BYTES, rlen);
      rbuf[rlen] = '\0';
      seq = store__u64_from_be(kb + STORE_SEQ_BYTES + rlen + 1);
    }
    /* The entry goes in every case (a malformed one indexes nothing). */
    rc = store__txn_mdb(txn, store__mdb_cursor_del(txn, cur, 0), "inbox sweep");
    if (rc < 0) break;
    n++;
    if (!valid) continue;
    {
      store_key_t ok, ik, ck;
      MDB_val v;
      json_t *it;
      const char *case_id;
      store_inbox_open_key(&ok, rbuf, rlen, STORE_INBOX_TASKS, seq);
      rc = store__raw_get(txn, STORE_DB_INBOX_OPEN, &ok, &v);
      if (rc == 0) {
        /* An open task stays; the sweep looks at it again a period later. */
        rc = store_inbox_time_put(txn, now_s, rbuf, rlen, seq);
        if (rc < 0) break;
        continue;
      }
      if (rc != CASUS_ENOT_FOUND) break;
      rc = store_inbox_get(txn, rbuf, seq, &it);
      if (rc == CASUS_ENOT_FOUND) { /* deleted already: a second entry of the item */
        rc = 0;
        continue;
      }
      if (rc == CASUS_ESTORE_CORRUPT) {
        /* Without its case id the item cannot leave inbox_case with it:
         * a damaged item stays, for verify to report. */
        core_log("warn", "store: inbox item %s/%llu is damaged; the sweep leaves it\n", rbuf,
                 (unsigned long long)seq);
        rc = 0;
        continue;
      }
      if (rc < 0) break;
      case_id = json_string_value(json_object_get(it, "case_id"));
      store_inbox_key(&ik, rbuf, seq);
      rc = store__raw_del(txn, STORE_DB_INBOX, &ik);
      if (rc == 0 && case_id != NULL && store__id_ok(case_id)) {
        store_inbox_case_key(&ck, case_id, seq);
        rc = store__raw_del(txn, STORE_DB_INBOX_CASE, &ck);
        if (rc == CASUS_ENOT_FOUND) rc = 0;
      }
      if (rc == 0) rc = store_inbox_open_del(txn, rbuf, rlen, STORE_INBOX_NOTIFICATIONS, seq);
      /* An unread notification goes while open. */
      if (rc == 0 && json_is_true(json_object_get(it, "open"))) rc = store_inbox_case_open_del(txn, it, seq);
      json_decref(it);
      if (rc < 0) break;
    }
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__txn_mdb(txn, mrc, "inbox sweep");
  if (swept != NULL) *swept = n;
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}

/* --- the upgrade of an older store --- */

int store__inbox_upgrade_step(store_txn_t *txn, store_growth_pos_t *pos, int64_t now_s, size_t max,
                              bool orders, size_t *filed, bool *end) {
  char rbuf[STORE_KEY_BYTES_MAX + 1];
  MDB_cursor *cur;
  MDB_val key, val;
  size_t n = 0;
  int rc = 0, mrc;

  *filed = 0;
  *end = false;
  rc = store__cursor_open(txn, STORE_DB_INBOX, &cur);
  if (rc < 0) return rc;
  mrc = store__cursor_after(cur, pos->key, pos->key_bytes, &key, &val);
  while (mrc == 0 && n < max) {
    const uint8_t *kb = key.mv_data;
    size_t rlen = key.mv_size > STORE_SEQ_BYTES + 1 ? key.mv_size - STORE_SEQ_BYTES - 1 : 0;
    uint64_t seq;
    json_t *it;
    CASUS_ASSERT(key.mv_size <= sizeof(pos->key));
    memcpy(pos->key, key.mv_data, key.mv_size);
    pos->key_bytes = key.mv_size;
    n++;
    if (rlen == 0 || kb[rlen] != '\0' || memchr(kb, '\0', rlen) != NULL) {
      core_log("warn", "store: an inbox key of %zu bytes is malformed; not indexed\n", key.mv_size);
      mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
      continue;
    }
    memcpy(rbuf, kb, rlen);
    rbuf[rlen] = '\0';
    seq = store__u64_from_be(kb + rlen + 1);
    rc = store_inbox_load(&val, seq, &it);
    if (rc == CASUS_ESTORE_CORRUPT) {
      /* One damaged item does not keep the server from starting; verify names it. */
      core_log("warn", "store: inbox item %s/%llu is damaged; not indexed\n", rbuf, (unsigned long long)seq);
      rc = 0;
      mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
      continue;
    }
    if (rc < 0) break;
    /* The item's own bytes are not needed past here: writes may move them. */
    if (json_is_true(json_object_get(it, "open"))) {
      const char *case_id = json_string_value(json_object_get(it, "case_id"));
      if (orders) rc = store_inbox_open_put(txn, rbuf, rlen, store_inbox_section(it), seq, now_s);
      if (rc == 0 && case_id != NULL && store__id_ok(case_id)) {
        rc = store_inbox_case_open_put(txn, case_id, it, seq, rbuf, rlen);
        if (rc == CASUS_EINVALID_DATA) {
          /* A kind too long for a key (no casusd wrote one): it stays open. */
          core_log("warn", "store: inbox item %s/%llu has a kind too long to index; it is not closed\n", rbuf,
                   (unsigned long long)seq);
          rc = 0;
        }
      }
    }
    json_decref(it);
    if (rc == 0 && orders) rc = store_inbox_time_put(txn, now_s, rbuf, rlen, seq);
    if (rc < 0) break;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  *filed = n;
  if (rc < 0) return rc;
  if (mrc == MDB_NOTFOUND) {
    *end = true;
    return 0;
  }
  return mrc == 0 ? 0 : store__txn_mdb(txn, mrc, "inbox upgrade");
}

/* --- destroying a case's items (store_destroy.c) --- */

/* Removes recipient's item seq from inbox_open's section, and its
 * inbox_time entry under the time inbox_open kept.  Missing is fine. */
static int store_inbox_destroy_open(store_txn_t *txn, const char *recipient, char section, uint64_t seq) {
  store_key_t k, tk;
  MDB_val v;
  int rc;
  store_inbox_open_key(&k, recipient, strlen(recipient), section, seq);
  rc = store__raw_get(txn, STORE_DB_INBOX_OPEN, &k, &v);
  if (rc == CASUS_ENOT_FOUND) return 0;
  if (rc < 0) return rc;
  if (v.mv_size == STORE_SEQ_BYTES) {
    store_inbox_time_key(&tk, store__time_from_be(v.mv_data), recipient, strlen(recipient), seq);
    rc = store__raw_del(txn, STORE_DB_INBOX_TIME, &tk);
    if (rc < 0 && rc != CASUS_ENOT_FOUND) return rc;
  }
  rc = store__raw_del(txn, STORE_DB_INBOX_OPEN, &k);
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

int store__inbox_destroy(store_txn_t *txn, const char *case_id, uint64_t *count) {
  char rbuf[STORE_KEY_BYTES_MAX + 1];
  store_key_t k, ik, tk;
  MDB_val val;
  int rc;

  CASUS_ASSERT(txn->write);
  *count = 0;
  while ((rc = store__prefix_first(txn, STORE_DB_INBOX_CASE, case_id, &k, &val)) == 0) {
    uint64_t seq;
    json_t *it = NULL;
    if (k.len < STORE_SEQ_BYTES || val.mv_size == 0 || val.mv_size >= sizeof(rbuf) ||
        memchr(val.mv_data, '\0', val.mv_size) != NULL)
      return store__txn_fail(txn, CASUS_ESTORE_CORRUPT);
    seq = store__u64_from_be(k.bytes + k.len - STORE_SEQ_BYTES);
    memcpy(rbuf, val.mv_data, val.mv_size);
    rbuf[val.mv_size] = '\0';
    /* The link goes first; then the item, wherever it is listed. */
    rc = store__raw_del(txn, STORE_DB_INBOX_CASE, &k);
    if (rc == 0) rc = store_inbox_destroy_open(txn, rbuf, STORE_INBOX_TASKS, seq);
    if (rc == 0) rc = store_inbox_destroy_open(txn, rbuf, STORE_INBOX_NOTIFICATIONS, seq);
    if (rc < 0) return rc;
    rc = store_inbox_get(txn, rbuf, seq, &it);
    if (rc == CASUS_ENOT_FOUND) continue; /* swept already */
    if (rc == 0) {
      /* A closed item's inbox_time entry is dated its creation, which the
       * item carries ("created", by the service's clock); one the sweep
       * filed again is left to it, and names no case. */
      const json_t *created = json_object_get(it, "created");
      int64_t t;
      /* An open task leaves the metrics' counts with it. */
      if (json_is_true(json_object_get(it, "open"))) rc = store__count_item(txn, it, -1);
      if (rc == 0 && json_is_string(created) &&
          store__time_parse(json_string_value(created), json_string_length(created), &t)) {
        store_inbox_time_key(&tk, t, rbuf, strlen(rbuf), seq);
        rc = store__raw_del(txn, STORE_DB_INBOX_TIME, &tk);
        if (rc == CASUS_ENOT_FOUND) rc = 0;
      }
      json_decref(it);
    } else if (rc == CASUS_ESTORE_CORRUPT && txn->err == 0) {
      rc = 0; /* a damaged item of the case goes all the same */
    }
    if (rc == 0) {
      store_inbox_key(&ik, rbuf, seq);
      rc = store__raw_del(txn, STORE_DB_INBOX, &ik);
    }
    if (rc < 0) return rc;
    (*count)++;
  }
  if (rc != CASUS_ENOT_FOUND) return rc;
  /* The open items' entries go by the case's prefix: a damaged item above
   * could not name its kind. */
  while ((rc = store__prefix_first(txn, STORE_DB_INBOX_CASE_OPEN, case_id, &k, &val)) == 0) {
    rc = store__raw_del(txn, STORE_DB_INBOX_CASE_OPEN, &k);
    if (rc < 0) return rc;
  }
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}
