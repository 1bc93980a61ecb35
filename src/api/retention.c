/*
 * retention.c -- the retention of case files (docs/security.md "Retention"):
 *
 *   - R-RET-1: a case that closes gets its "archiefactiedatum", the day its
 *     care ended (the service's clock, Europe/Amsterdam) plus its region's
 *     bewaartermijn ("bewaartermijn_jaren", default 20: Jeugdwet art.
 *     7.3.8).  It is written into the case record with the write that
 *     closes it, so that `casusd purge` needs no configuration.
 *   - R-RET-3/R-RET-4: POST /v1/cases/{id}/destroy, the early destruction on
 *     request (Jeugdwet art. 7.3.9): a procesregisseur of the case's
 *     gemeente destroys a closed case's file, stating who asked, the legal
 *     ground, and that no exception applies.  A queued write like an event
 *     (group commit).  What remains is the register's tombstone
 *     (store_case_destroy): codes, dates and ids, never the case's content.
 *
 * Why an API action and not a chart event: destruction is not a state of
 * the process -- afterwards there is no case to be in a state -- and it
 * must work alike for every chart and every chart version a case still
 * runs on (a case keeps the version it was created with, so an event added
 * to today's charts would not exist for older cases); the engine would
 * write a history entry only to destroy it in the same transaction; and
 * the verifier would explore one more event from every state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/assert.h"
#include "core/error.h"
#include "core/log.h"

/* Who may ask (Jeugdwet art. 7.3.9; the jeugdige, or for a young one the
 * parents or guardian), the legal ground, and the exceptions of art. 7.3.9
 * the procesregisseur weighed.  Codes only: the register keeps no text. */
static const char *const DESTROY_REQUESTERS[] = {"jeugdige", "ouder", "voogd", "wettelijk_vertegenwoordiger"};
static const char *const DESTROY_GROUNDS[] = {"jeugdwet_7_3_9", "avg_17"};
static const char *const DESTROY_EXCEPTIONS[] = {"geen", "aanmerkelijk_belang_ander", "wettelijke_plicht"};

static bool one_of(const json_t *v, const char *const *list, size_t n) {
  size_t i;
  if (!json_is_string(v)) return false;
  for (i = 0; i < n; i++)
    if (strcmp(json_string_value(v), list[i]) == 0) return true;
  return false;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int api__retention_mark(const api_t *api, json_t *case_, int64_t now_s) {
  const char *gemeente = json_string_value(json_object_get(json_object_get(case_, "fields"), "gemeente"));
  const auth_region_t *region = gemeente ? auth_region_of(&api->cfg, gemeente) : NULL;
  int years = region != NULL ? region->bewaartermijn_jaren : LIMIT_BEWAARTERMIJN_YEARS_DEFAULT;
  cal_day_t d;
  char day[16];
  if (!json_is_true(json_object_get(case_, "closed")) || json_object_get(case_, "archiefactiedatum") != NULL)
    return 0;
  CASUS_ASSERT(years >= LIMIT_BEWAARTERMIJN_YEARS_MIN && years <= LIMIT_BEWAARTERMIJN_YEARS_MAX);
  d = cal_day_add_months(cal_local_day(now_s), 12 * years);
  /* The calendar's range ends in 2199; a later date is kept as its last day. */
  if (!cal_day_in_range(d)) d = cal_day_from_ymd(LIMIT_DATE_YEAR_MAX, 12, 31);
  cal_day_format(d, day, sizeof(day));
  return json_object_set_new(case_, "archiefactiedatum", json_string(day)) == 0 ? 0 : CASUS_ENOMEM;
}

bool api__destroy_body_ok(http_request_t *req, const json_t *body) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)body, key, v) {
    if (strcmp(key, "verzocht_door") && strcmp(key, "reden") && strcmp(key, "uitzondering")) {
      http_respond_error(
          req, CASUS_EBAD_REQUEST,
          "The body has only \"verzocht_door\", \"reden\" and \"uitzondering\" (codes; no names "
          "or text: the register keeps none).",
          "R-RET-3");
      return false;
    }
  }
  if (!one_of(json_object_get(body, "verzocht_door"), DESTROY_REQUESTERS, N(DESTROY_REQUESTERS))) {
    http_respond_error(
        req, CASUS_EINVALID_DATA,
        "\"verzocht_door\" must be one of jeugdige, ouder, voogd, wettelijk_vertegenwoordiger.", "R-RET-3");
    return false;
  }
  if (!one_of(json_object_get(body, "reden"), DESTROY_GROUNDS, N(DESTROY_GROUNDS))) {
    http_respond_error(req, CASUS_EINVALID_DATA, "\"reden\" must be jeugdwet_7_3_9 or avg_17.", "R-RET-3");
    return false;
  }
  if (!one_of(json_object_get(body, "uitzondering"), DESTROY_EXCEPTIONS, N(DESTROY_EXCEPTIONS))) {
    http_respond_error(req, CASUS_EINVALID_DATA,
                       "\"uitzondering\" must be geen, aanmerkelijk_belang_ander or wettelijke_plicht: the "
                       "exceptions of Jeugdwet art. 7.3.9 you weighed.",
                       "R-RET-4");
    return false;
  }
  return true;
}

int api__destroy_process(api_t *api, store_txn_t *txn, pending_t *p) {
  const char *exception = json_string_value(json_object_get(p->body, "uitzondering"));
  const json_t *fields;
  const char *gemeente, *archief;
  const engine_chart_t *chart;
  store_destroy_counts_t counts;
  char now[40];
  json_t *case_ = NULL, *entry, *rec = NULL;
  int rc;

  rc = api__pending_case_load(api, txn, p, &case_, &chart);
  if (rc != 0) return rc;
  fields = json_object_get(case_, "fields");
  gemeente = json_string_value(json_object_get(fields, "gemeente"));
  if (strcmp(p->actor->role, "procesregisseur") != 0 || gemeente == NULL ||
      strcmp(gemeente, p->actor->org) != 0) {
    json_decref(case_);
    api__pending_fail(p, CASUS_EFORBIDDEN, "R-RET-3",
                      "Only a procesregisseur of the case's gemeente decides on destroying its file.");
    return p->err;
  }
  if (!json_is_true(json_object_get(case_, "closed"))) {
    json_decref(case_);
    api__pending_fail(p, CASUS_ENOT_ALLOWED_IN_STATE, "R-RET-3",
                      "The case is still open: its care and toewijzing need the file.  End the case first; "
                      "then its file can be destroyed.");
    return p->err;
  }
  if (strcmp(exception, "geen") != 0) {
    json_decref(case_);
    api__pending_fail(p, CASUS_EGUARD_FAILED, "R-RET-4",
                      strcmp(exception, "wettelijke_plicht") == 0
                          ? "A legal duty to keep the file opposes its destruction (Jeugdwet art. 7.3.9): it "
                            "is kept; nothing was destroyed."
                          : "Keeping the file is of substantial interest to another than the jeugdige "
                            "(Jeugdwet art. 7.3.9): it is kept; nothing was destroyed.");
    return p->err;
  }
  cal_time_format(timers_now(api->timers), now, sizeof(now));
  archief = json_string_value(json_object_get(case_, "archiefactiedatum"));
  entry = json_pack("{s:s, s:s, s:O, s:O, s:s}", "time", now, "grond", "verzoek", "reden",
                    json_object_get(p->body, "reden"), "verzocht_door",
                    json_object_get(p->body, "verzocht_door"), "besloten_door", p->actor->id);
  if (entry != NULL && archief != NULL) json_object_set_new(entry, "archiefactiedatum", json_string(archief));
  json_decref(case_);
  rc = entry != NULL ? store_case_destroy(txn, p->case_id, entry, &counts, &rec) : CASUS_ENOMEM;
  json_decref(entry);
  if (rc != 0) {
    api__pending_fail(p, rc, NULL, NULL);
    return rc;
  }
  core_log(
      "info",
      "case %s destroyed on request (%s, asked by %s) by %s: %llu history entries, %llu inbox items, %llu "
      "access-log entries",
      p->case_id, json_string_value(json_object_get(p->body, "reden")),
      json_string_value(json_object_get(p->body, "verzocht_door")), p->actor->id,
      (unsigned long long)counts.history_entries, (unsigned long long)counts.inbox_items,
      (unsigned long long)counts.access_entries);
  api__pending_ok(p, 200, json_pack("{s:o}", "destroyed", rec));
  return 0;
}
