/*
 * store_inbox.c -- the inbox database (recipient NUL seq -> item JSON) and
 * its inbox_case index (case id NUL seq -> recipient), which lets a case's
 * open tasks be closed without scanning every recipient.  seq comes from
 * the global meta counter inbox_seq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/jsonbody.h"
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
                    uint64_t *seq_out) {
  store_key_t k, kc;
  uint64_t seq;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(item));
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  /* Check the key fits before the counter moves. */
  store_inbox_key(&k, recipient, 0);
  if (k.overflow) return CASUS_EINVALID_DATA;

  rc = store__meta_next(txn, "inbox_seq", &seq);
  if (rc == 0) {
    store_inbox_key(&k, recipient, seq);
    rc = store_inbox_put_item(txn, &k, item, seq, case_id, recipient);
  }
  if (rc == 0) {
    store_inbox_case_key(&kc, case_id, seq);
    rc = store__raw_put(txn, STORE_DB_INBOX_CASE, &kc, recipient, strlen(recipient));
  }
  if (rc < 0) return store__txn_fail(txn, rc);
  if (seq_out != NULL) *seq_out = seq;
  return 0;
}

/* Closes the inbox item (recipient, seq) when it is open and of `kind`. */
static int store_inbox_close_one(store_txn_t *txn, const MDB_val *recipient, uint64_t seq, const char *kind) {
  char rbuf[STORE_KEY_BYTES_MAX + 1];
  store_key_t k;
  MDB_val val;
  json_t *it;
  const char *it_kind;
  int rc;

  if (recipient->mv_size >= sizeof(rbuf) || memchr(recipient->mv_data, '\0', recipient->mv_size) != NULL)
    return CASUS_ESTORE_CORRUPT;
  memcpy(rbuf, recipient->mv_data, recipient->mv_size);
  rbuf[recipient->mv_size] = '\0';
  store_inbox_key(&k, rbuf, seq);
  if (k.overflow) return CASUS_ESTORE_CORRUPT;
  rc = store__raw_get(txn, STORE_DB_INBOX, &k, &val);
  if (rc == CASUS_ENOT_FOUND) return CASUS_ESTORE_CORRUPT; /* the case index points nowhere */
  if (rc < 0) return rc;
  rc = store_inbox_load(&val, seq, &it);
  if (rc < 0) return rc;
  it_kind = json_string_value(json_object_get(it, "kind"));
  if (json_is_true(json_object_get(it, "open")) && it_kind != NULL && strcmp(it_kind, kind) == 0) {
    rc = json_object_set_new(it, "open", json_false()) == 0 ? 0 : CASUS_ENOMEM;
    if (rc == 0) rc = store__json_put(txn, STORE_DB_INBOX, &k, it, false);
  }
  json_decref(it);
  return rc;
}

int store_inbox_close(store_txn_t *txn, const char *case_id, const char *kind) {
  MDB_cursor *cur;
  MDB_val key, val;
  store_key_t prefix;
  int rc = 0, mrc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(kind != NULL);
  if (txn->err < 0) return txn->err;
  if (!store__id_ok(case_id)) return CASUS_EINVALID_DATA;
  store__key_init(&prefix);
  store__key_add_str(&prefix, case_id);
  store__key_add_nul(&prefix);
  rc = store__cursor_open(txn, STORE_DB_INBOX_CASE, &cur);
  if (rc < 0) return rc;
  key = store__key_val(&prefix);
  /* Writing to the inbox DBI does not disturb this cursor on inbox_case. */
  mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (mrc == 0 && store__key_has_prefix(&key, &prefix)) {
    if (key.mv_size != prefix.len + STORE_SEQ_BYTES) {
      rc = CASUS_ESTORE_CORRUPT;
      break;
    }
    rc =
        store_inbox_close_one(txn, &val, store__u64_from_be((const uint8_t *)key.mv_data + prefix.len), kind);
    if (rc < 0) break;
    mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
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
