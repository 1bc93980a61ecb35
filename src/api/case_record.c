/*
 * case_record.c -- writing a case: the record and its index terms.
 */
#include "api/api_int.h"

int api__case_put(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_) {
  (void)api;
  (void)chart;
  return store_case_put(txn, case_);
}
