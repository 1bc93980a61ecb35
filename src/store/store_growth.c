/*
 * store_growth.c -- the one-time upgrade of a store written before the
 * sweeps existed: its idempotency records get idem_time entries and its
 * inbox items inbox_open and inbox_time entries (store_idem.c and
 * store_inbox.c file them), in steps of bounded size, each in a write
 * transaction of the caller's.  Its open inbox items also get their
 * inbox_case_open entries, in the same walk; a store upgraded before that
 * index existed (meta "growth_indexed" = 1) gets only those, in a walk of
 * its own.  "growth_indexed" = STORE_GROWTH_LEVEL records the end, so a
 * store is walked once.
 */
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_int.h"

/* The stages, in order.  STORE_GROWTH_CASE_OPEN is only for a store at
 * level 1: the walk of STORE_GROWTH_INBOX files inbox_case_open too. */
enum { STORE_GROWTH_IDEM, STORE_GROWTH_INBOX, STORE_GROWTH_CASE_OPEN, STORE_GROWTH_DONE };

bool store_growth_upgrade_needed(store_t *st) {
  store_txn_t *txn;
  uint64_t v = 0;
  int rc = store_txn_begin(st, false, &txn);
  if (rc < 0) return true;
  rc = store__meta_u64_get(txn, STORE_GROWTH_META, &v);
  store_txn_abort(txn);
  return rc < 0 || v < STORE_GROWTH_LEVEL;
}

int store_growth_upgrade_step(store_txn_t *txn, store_growth_pos_t *pos, int64_t now_s, size_t max,
                              bool *done) {
  size_t left = max, filed;
  bool end;
  int rc = 0;

  CASUS_ASSERT(txn->write);
  CASUS_ASSERT(max > 0);
  *done = false;
  if (txn->err < 0) return txn->err;
  if (pos->stage == STORE_GROWTH_IDEM && pos->key_bytes == 0) {
    /* The first step: a store at level 1 has its time orders already. */
    uint64_t level = 0;
    rc = store__meta_u64_get(txn, STORE_GROWTH_META, &level);
    if (rc == 0 && level == 1) pos->stage = STORE_GROWTH_CASE_OPEN;
  }
  while (rc == 0 && left > 0 && pos->stage != STORE_GROWTH_DONE) {
    if (pos->stage == STORE_GROWTH_IDEM)
      rc = store__idem_upgrade_step(txn, pos, now_s, left, &filed, &end);
    else
      rc = store__inbox_upgrade_step(txn, pos, now_s, left, pos->stage == STORE_GROWTH_INBOX, &filed, &end);
    if (rc < 0) break;
    left -= filed < left ? filed : left;
    if (end) {
      pos->stage = pos->stage == STORE_GROWTH_INBOX ? STORE_GROWTH_DONE : pos->stage + 1;
      pos->key_bytes = 0;
    }
  }
  if (rc == 0 && pos->stage == STORE_GROWTH_DONE) {
    rc = store__meta_u64_put(txn, STORE_GROWTH_META, STORE_GROWTH_LEVEL);
    if (rc == 0) *done = true;
  }
  return rc < 0 ? store__txn_fail(txn, rc) : 0;
}
