/*
 * store_idem.c -- the idem database: idempotency records per actor and
 * Idempotency-Key (actor id NUL key -> {"request_sha256","status","body"}).
 */
#include "core/assert.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_int.h"

static int store_idem_key(store_key_t *k, const char *actor_id, const char *key) {
  store__key_init(k);
  store__key_add_str(k, actor_id);
  store__key_add_nul(k);
  store__key_add_str(k, key);
  return k->overflow ? CASUS_EINVALID_DATA : 0;
}

int store_idem_get(store_txn_t *txn, const char *actor_id, const char *key, json_t **out) {
  store_key_t k;
  int rc;

  *out = NULL;
  if (txn->err < 0) return txn->err;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  return store__json_get(txn, STORE_DB_IDEM, &k, out);
}

int store_idem_put(store_txn_t *txn, const char *actor_id, const char *key, const json_t *record) {
  store_key_t k;
  int rc;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(json_is_object(record));
  if (txn->err < 0) return txn->err;
  rc = store_idem_key(&k, actor_id, key);
  if (rc < 0) return rc;
  rc = store__json_put(txn, STORE_DB_IDEM, &k, record, false);
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}
