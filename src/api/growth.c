/*
 * growth.c -- bounded growth of the databases that grow with use
 * (docs/operations.md, "Growth").
 *
 * Every group commit sweeps, in a child transaction of its own, what has
 * expired by the service's clock: idempotency records older than the
 * configured time to live ("idempotency_ttl_hours") and inbox items older
 * than LIMIT_NOTIFICATION_AGE_DAYS that are not open tasks.  Each sweep
 * looks at no more than LIMIT_SWEEP_PER_COMMIT_BASE + LIMIT_SWEEP_PER_WRITE
 * x (requests in the batch) entries of each: a request adds at most one
 * idempotency record and a few inbox items, so the sweep outpaces the
 * writes and the backlog cannot grow while writes continue, and a batch
 * never waits for an unbounded sweep.  The sweep shares the batch's commit
 * (no fsync of its own); a failing sweep is rolled back alone.
 *
 * A store of an older casusd is upgraded once at start (store.h,
 * store_growth_upgrade_step), so that its inbox items are listed and its
 * records swept.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"
#include "core/log.h"

#define API_DAY_S ((int64_t)24 * 3600)

void api__growth_sweep(api_t *api, store_txn_t *parent, int batch_requests) {
  int64_t now = timers_now(api->timers);
  size_t max =
      LIMIT_SWEEP_PER_COMMIT_BASE + LIMIT_SWEEP_PER_WRITE * (size_t)(batch_requests > 0 ? batch_requests : 0);
  size_t idem = 0, inbox = 0, access = 0;
  store_txn_t *txn;
  int rc = store_txn_child(parent, &txn);
  if (rc == 0) rc = store_idem_sweep(txn, now - api->cfg.idempotency_ttl_s, max, &idem);
  if (rc == 0)
    rc = store_inbox_sweep(txn, now, (int64_t)LIMIT_NOTIFICATION_AGE_DAYS * API_DAY_S, max, &inbox);
  /* NEN 7513: access-log entries older than the retention go.  A read may
   * append many entries (a list page: one per case), so this sweep may look
   * at twice as many as the batch appended, besides the usual budget: it
   * outpaces the appends as the other sweeps outpace the writes. */
  if (rc == 0)
    rc = store_access_sweep(txn, now - (int64_t)LIMIT_ACCESS_LOG_RETENTION_DAYS * API_DAY_S,
                            max + 2 * (size_t)api->access_batch, &access);
  api->access_batch = 0;
  if (rc == 0) {
    rc = store_txn_commit(txn);
  } else if (txn != NULL) {
    store_txn_abort(txn);
  }
  if (rc != 0) {
    core_log("warn", "sweep of expired records failed (tried again at the next commit): %s",
             core_err_message(rc));
    return;
  }
  api->m.idem_swept += idem;
  api->m.inbox_swept += inbox;
  api->m.access_swept += access;
}

int api__growth_upgrade(api_t *api) {
  static store_growth_pos_t pos; /* start-up only, loop thread */
  int64_t now = timers_now(api->timers);
  bool done = false;
  int rc = 0;
  if (!store_growth_upgrade_needed(api->store)) return 0;
  core_log("info", "indexing the idempotency records and inbox of an older store");
  memset(&pos, 0, sizeof(pos));
  while (rc == 0 && !done) {
    store_txn_t *txn;
    rc = store_txn_begin(api->store, true, &txn);
    if (rc != 0) break;
    rc = store_growth_upgrade_step(txn, &pos, now, LIMIT_GROWTH_UPGRADE_CHUNK, &done);
    if (rc == 0)
      rc = store_txn_commit(txn);
    else
      store_txn_abort(txn);
  }
  return rc;
}
