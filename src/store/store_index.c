/*
 * store_index.c -- the sindex database: the secondary indexes that answer
 * list queries (store_query.c), kept in step by store_case_put, and the
 * upgrade of a store written before they existed (schema 1).
 *
 * Every key lies within one visibility scope, so that a query reads only
 * entries of cases its caller may see (see the layout in store.h):
 *
 *   scope NUL 'a'                 -> id        every case of the scope
 *   scope NUL 'e' name NUL value  -> id        one equality attribute
 *   scope NUL 'd'                 -> t(8) id   earliest open deadline
 *   scope NUL 'u'                 -> t(8) id   update time
 *
 * The database is MDB_DUPSORT: a key is stored once and its values (the
 * case ids, or time and id) sort below it in a B-tree of their own.  So an
 * index entry costs the bytes of the id (and time), not those of scope and
 * attribute, which would otherwise be repeated ~30 times per case.  Because
 * values sort bytewise, the values of one key come in id order (or time,
 * then id), which the query's merge and cursors rely on.
 *
 * A case's entries are derived from its store_meta_t alone; an update
 * removes those of the old version that the new one lacks and adds the new
 * ones the old one lacked, so an unchanged term costs nothing.
 */
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_int.h"

/* The longest key, scope NUL 'e' name NUL value, fits an LMDB key; the
 * longest value, t(8) id, too. */
_Static_assert(3 * STORE_TERM_BYTES_MAX + 4 <= STORE_KEY_BYTES_MAX, "index keys fit");
_Static_assert(STORE_SEQ_BYTES + LIMIT_ID_BYTES_MAX <= STORE_KEY_BYTES_MAX, "index values fit");

void store__index_key(store_key_t *k, store_str_t scope, char kind, const store_meta_attr_t *attr) {
  CASUS_ASSERT((kind == STORE_INDEX_EQ) == (attr != NULL));
  store__key_init(k);
  store__key_add(k, scope.p, scope.n);
  store__key_add_nul(k);
  store__key_add(k, &kind, 1);
  if (attr != NULL) {
    store__key_add(k, attr->name.p, attr->name.n);
    store__key_add_nul(k);
    store__key_add(k, attr->value.p, attr->value.n);
  }
  CASUS_ASSERT(!k->overflow);
}

/* The value of an entry: the id, after the time for the range kinds. */
static void store_index_value(store_key_t *v, char kind, int64_t t, const char *case_id) {
  store__key_init(v);
  if (kind == STORE_INDEX_DEADLINE || kind == STORE_INDEX_UPDATED) store__key_add_time(v, t);
  store__key_add_str(v, case_id);
  CASUS_ASSERT(!v->overflow);
}

static bool store_index_has_scope(const store_meta_t *m, store_str_t scope) {
  size_t i;
  for (i = 0; i < m->scopes_count; i++)
    if (store__str_eq(m->scopes[i], scope)) return true;
  return false;
}

static bool store_index_has_attr(const store_meta_t *m, const store_meta_attr_t *a) {
  size_t i;
  for (i = 0; i < m->attrs_count; i++)
    if (store__str_eq(m->attrs[i].name, a->name) && store__str_eq(m->attrs[i].value, a->value)) return true;
  return false;
}

/* Adds (insert) or removes one entry.  Adding an entry that exists, or
 * removing one that does not, changes nothing: terms may repeat. */
static int store_index_write(store_txn_t *txn, store_str_t scope, char kind, const store_meta_attr_t *attr,
                             int64_t t, const char *case_id, bool insert) {
  store_key_t k, v;
  MDB_val key, val;
  int rc;

  store__index_key(&k, scope, kind, attr);
  store_index_value(&v, kind, t, case_id);
  key = store__key_val(&k);
  val = store__key_val(&v);
  if (insert) return store__txn_mdb(txn, store__mdb_put(txn, STORE_DB_SINDEX, &key, &val, 0), "sindex put");
  rc = store__txn_mdb(txn, store__mdb_del(txn, STORE_DB_SINDEX, &key, &val), "sindex del");
  return rc == CASUS_ENOT_FOUND ? 0 : rc;
}

/* Writes (insert) or removes (!insert) every entry of `from` that `other`
 * (NULL: nothing) lacks. */
static int store_index_apply(store_txn_t *txn, const char *case_id, const store_meta_t *from,
                             const store_meta_t *other, bool insert) {
  size_t i, j;
  int rc;

  for (i = 0; i < from->scopes_count; i++) {
    store_str_t scope = from->scopes[i];
    bool both = other != NULL && store_index_has_scope(other, scope);
    rc = 0;
    if (!both) rc = store_index_write(txn, scope, STORE_INDEX_ALL, NULL, 0, case_id, insert);
    for (j = 0; j < from->attrs_count && rc == 0; j++)
      if (!both || !store_index_has_attr(other, &from->attrs[j]))
        rc = store_index_write(txn, scope, STORE_INDEX_EQ, &from->attrs[j], 0, case_id, insert);
    if (rc == 0 && from->deadline_s != STORE_TIME_NONE && (!both || other->deadline_s != from->deadline_s))
      rc = store_index_write(txn, scope, STORE_INDEX_DEADLINE, NULL, from->deadline_s, case_id, insert);
    if (rc == 0 && from->updated_s != STORE_TIME_NONE && (!both || other->updated_s != from->updated_s))
      rc = store_index_write(txn, scope, STORE_INDEX_UPDATED, NULL, from->updated_s, case_id, insert);
    if (rc < 0) return rc;
  }
  return 0;
}

int store__index_update(store_txn_t *txn, const char *case_id, const store_meta_t *old,
                        const store_meta_t *new_) {
  int rc = 0;
  if (old != NULL) rc = store_index_apply(txn, case_id, old, new_, false);
  if (rc == 0) rc = store_index_apply(txn, case_id, new_, old, true);
  return rc;
}

/* --- the upgrade from schema 1 --- */

bool store_reindex_needed(store_t *st) {
  store_txn_t *txn;
  uint64_t version = 0;
  int rc = store_txn_begin(st, false, &txn);
  if (rc < 0) return true;
  rc = store__meta_u64_get(txn, "schema_version", &version);
  store_txn_abort(txn);
  return rc < 0 || version < STORE_SCHEMA_VERSION;
}

int store_reindex_finish(store_txn_t *txn) {
  int rc;
  CASUS_ASSERT(txn->write);
  if (txn->err < 0) return txn->err;
  rc = store__meta_u64_put(txn, "schema_version", STORE_SCHEMA_VERSION);
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}
