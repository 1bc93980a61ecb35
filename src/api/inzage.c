/*
 * inzage.c -- the inzage (AVG art. 15): everything casusd holds about one
 * jeugdige in one JSON document: each case record, its whole history and
 * its whole access log.  Used by `casusd export` (main.c) and by
 * GET /v1/inzage for the procesregisseur.
 *
 * The jeugdige is found by the identity the bundled charts keep in
 * fields.jeugdige (their privacy.identifying_fields; birthdate_field
 * "jeugdige.geboortedatum"): by "bsn", or by "naam" and "geboortedatum"
 * together.  Matching is exact: byte for byte, case and spaces included,
 * the date as YYYY-MM-DD; no normalisation, so that the export never
 * holds another child's case (docs/security.md, "Inzage").  Every case is
 * read (there is no index on identity): an inzage is rare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"

/* Pages read per call while collecting a case's history and access log. */
#define INZAGE_PAGE_ENTRIES 1000

typedef struct {
  store_txn_t *txn;
  const api_inzage_who_t *who;
  api_inzage_keep_fn keep;
  void *keep_ud;
  json_t *cases;
  int err;
} inzage_ctx_t;

bool api_inzage_matches(const api_inzage_who_t *who, const json_t *case_) {
  const json_t *j = json_object_get(json_object_get(case_, "fields"), "jeugdige");
  const char *bsn = json_string_value(json_object_get(j, "bsn"));
  const char *naam = json_string_value(json_object_get(j, "naam"));
  const char *geb = json_string_value(json_object_get(j, "geboortedatum"));
  if (who->bsn != NULL) return bsn != NULL && strcmp(bsn, who->bsn) == 0;
  return who->naam != NULL && who->geboortedatum != NULL && naam != NULL && geb != NULL &&
         strcmp(naam, who->naam) == 0 && strcmp(geb, who->geboortedatum) == 0;
}

/* Every entry of a paged list (history or access log) of case id. */
static int inzage_all(store_txn_t *txn, const char *id, bool access, json_t **out) {
  uint64_t after = 0, next = 0;
  json_t *all = json_array();
  if (all == NULL) return CASUS_ENOMEM;
  for (;;) {
    json_t *page = NULL;
    int rc = access ? store_access_page(txn, id, after, INZAGE_PAGE_ENTRIES, &page, &next)
                    : store_history_page(txn, id, after, INZAGE_PAGE_ENTRIES, SIZE_MAX, &page, &next);
    if (rc != 0) {
      json_decref(all);
      return rc;
    }
    json_array_extend(all, page);
    json_decref(page);
    if (next == 0) break;
    after = next;
  }
  *out = all;
  return 0;
}

static int inzage_case_cb(const json_t *case_, void *ud) {
  inzage_ctx_t *x = ud;
  const char *id = json_string_value(json_object_get(case_, "id"));
  json_t *history = NULL, *access = NULL, *one;
  int rc;
  if (id == NULL || !api_inzage_matches(x->who, case_)) return 0;
  if (x->keep != NULL && !x->keep(case_, x->keep_ud)) return 0;
  rc = inzage_all(x->txn, id, false, &history);
  if (rc == 0) rc = inzage_all(x->txn, id, true, &access);
  if (rc != 0) {
    json_decref(history);
    x->err = rc;
    return rc;
  }
  one = json_pack("{s:O, s:o, s:o}", "case", case_, "history", history, "access_log", access);
  if (one == NULL || json_array_append_new(x->cases, one) != 0) {
    x->err = CASUS_ENOMEM;
    return CASUS_ENOMEM;
  }
  return 0;
}

int api_inzage_build(store_txn_t *txn, const api_inzage_who_t *who, int64_t now_s, api_inzage_keep_fn keep,
                     void *keep_ud, json_t **out) {
  inzage_ctx_t x = {txn, who, keep, keep_ud, json_array(), 0};
  json_t *subject;
  char now[40];
  int rc;
  *out = NULL;
  if (x.cases == NULL) return CASUS_ENOMEM;
  rc = store_case_scan(txn, NULL, inzage_case_cb, &x);
  if (rc == 0) rc = x.err;
  if (rc != 0) {
    json_decref(x.cases);
    return rc < 0 ? rc : CASUS_ESTORE;
  }
  subject = who->bsn != NULL
                ? json_pack("{s:s}", "bsn", who->bsn)
                : json_pack("{s:s, s:s}", "naam", who->naam, "geboortedatum", who->geboortedatum);
  cal_time_format(now_s, now, sizeof(now));
  *out = json_pack("{s:s, s:o, s:s, s:o}", "inzage", "AVG art. 15", "jeugdige", subject, "generated", now,
                   "cases", x.cases);
  return *out ? 0 : CASUS_ENOMEM;
}

/* Whether s is a date YYYY-MM-DD that the calendar accepts. */
static bool inzage_date_ok(const char *s) {
  cal_day_t d;
  return strlen(s) == 10 && cal_day_parse(s, &d) == 0;
}

int api_inzage_who_check(const api_inzage_who_t *who, char *why, size_t why_size) {
  if (who->bsn != NULL && (who->naam != NULL || who->geboortedatum != NULL)) {
    snprintf(why, why_size, "Give either a bsn, or a jeugdige's name and birth date, not both.");
    return CASUS_EBAD_REQUEST;
  }
  if (who->bsn != NULL) {
    if (who->bsn[0] == '\0' || strlen(who->bsn) > 16) {
      snprintf(why, why_size, "The bsn must be 1 to 16 characters.");
      return CASUS_EBAD_REQUEST;
    }
    return 0;
  }
  if (who->naam == NULL || who->geboortedatum == NULL || who->naam[0] == '\0') {
    snprintf(why, why_size, "Give a bsn, or the jeugdige's name and birth date together.");
    return CASUS_EBAD_REQUEST;
  }
  if (!inzage_date_ok(who->geboortedatum)) {
    snprintf(why, why_size, "The birth date must be a date YYYY-MM-DD.");
    return CASUS_EBAD_REQUEST;
  }
  return 0;
}

/* The API's inzage: only the cases the procesregisseur may see and whose
 * access log it may read (its gemeente's). */
typedef struct {
  call_t *c;
  json_t *entries;
} inzage_api_t;

static bool inzage_keep(const json_t *case_, void *ud) {
  inzage_api_t *a = ud;
  const engine_chart_t *chart =
      api__chart_by_ref(a->c->api, json_string_value(json_object_get(case_, "chart")));
  const char *gemeente = json_string_value(json_object_get(json_object_get(case_, "fields"), "gemeente"));
  if (chart == NULL || !auth_case_visible(chart, a->c->actor, case_)) return false;
  if (gemeente == NULL || strcmp(gemeente, a->c->actor->org) != 0) return false;
  json_array_append_new(a->entries,
                        api__access_entry(a->c->api, a->c->actor, a->c->req,
                                          json_string_value(json_object_get(case_, "id")), "export"));
  return true;
}

/* GET /v1/inzage?bsn=B or ?naam=N&geboortedatum=YYYY-MM-DD: the inzage
 * document of the jeugdige's cases of the procesregisseur's gemeente;
 * each case exported leaves an "export" access-log entry. */
void api__handle_inzage(call_t *c) {
  static const char *const names[] = {"bsn", "naam", "geboortedatum"};
  char values[3][API_QUERY_VALUE_BYTES_MAX], why[160];
  bool present[3];
  api_inzage_who_t who;
  inzage_api_t a;
  store_txn_t *txn = NULL;
  json_t *doc = NULL;
  int rc;
  if (strcmp(c->actor->role, "procesregisseur") != 0) {
    http_respond_error(c->req, CASUS_EFORBIDDEN, "Only a procesregisseur may ask for an inzage.", "R-AUTH-2");
    return;
  }
  if (!api__query_params(c, names, 3, values, present)) return;
  who.bsn = present[0] ? values[0] : NULL;
  who.naam = present[1] ? values[1] : NULL;
  who.geboortedatum = present[2] ? values[2] : NULL;
  rc = api_inzage_who_check(&who, why, sizeof(why));
  if (rc != 0) {
    http_respond_error(c->req, rc, why, NULL);
    return;
  }
  a.c = c;
  a.entries = json_array();
  rc = store_txn_begin(c->api->store, false, &txn);
  if (rc == 0) rc = api_inzage_build(txn, &who, timers_now(c->api->timers), inzage_keep, &a, &doc);
  if (txn != NULL) store_txn_abort(txn);
  if (rc != 0) {
    json_decref(a.entries);
    http_respond_error(c->req, rc, NULL, NULL);
    return;
  }
  api__access_reply(c, 200, doc, a.entries);
}
