/*
 * examples.c -- the demo's example cases: created at start-up in a store
 * that holds no case yet, through the write path every request takes
 * (apply.c), each step as the actor it names.
 *
 * The document (config/demo-cases.json for the embedded demo; docs/api.md,
 * "The demo's example cases"):
 *
 *   {"cases": [{"title": "...", "by": "<actor id>", "create": {<body>},
 *               "events": [{"by": "<actor id>", "event": "...", "data": {...}}]}]}
 *
 * A string value "@today", "@today+N" or "@today-N" anywhere in a body is
 * the local date (Europe/Amsterdam) N days from the service's clock, so
 * that the examples stay inside the periods the charts check (R-TW-7) on
 * whatever day the demo starts.  A step the chart refuses is logged as a
 * warning and ends that example (its case stays as far as it got); the
 * others go on: a demo that starts with one example fewer beats one that
 * does not start.  The tests require every step to be accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "calendar/calendar.h"
#include "core/error.h"
#include "core/log.h"

/* How far "@today+N" may reach: a century either way keeps every date in
 * the calendar's range. */
#define EXAMPLE_DAYS_MAX 36500

/* Replaces, in place and at any depth, the "@today[+-N]" strings of v by
 * dates from today.  0, or CASUS_EINVALID_DATA with the offending string
 * in why. */
static int dates_resolve(json_t *v, cal_day_t today, char *why, size_t why_size) {
  if (json_is_object(v)) {
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
      int rc = dates_resolve(m, today, why, why_size);
      if (rc != 0) return rc;
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
      int rc = dates_resolve(m, today, why, why_size);
      if (rc != 0) return rc;
    }
  } else if (json_is_string(v) && strncmp(json_string_value(v), "@today", 6) == 0) {
    const char *s = json_string_value(v) + 6;
    long n = 0;
    char *end = NULL, buf[16];
    if (*s != '\0') {
      if (*s != '+' && *s != '-') goto bad;
      n = strtol(s, &end, 10);
      if (end == s + 1 || *end != '\0' || n > EXAMPLE_DAYS_MAX || n < -EXAMPLE_DAYS_MAX) goto bad;
    }
    cal_day_format(today + (cal_day_t)n, buf, sizeof(buf));
    return json_string_set(v, buf) == 0 ? 0 : CASUS_ENOMEM;
  bad:
    snprintf(why, why_size, "\"%s\" is not \"@today\", \"@today+N\" or \"@today-N\" (N days, at most %d)",
             json_string_value(v), EXAMPLE_DAYS_MAX);
    return CASUS_EINVALID_DATA;
  }
  return 0;
}

static int first_case(const json_t *case_, void *ud) {
  (void)case_;
  *(bool *)ud = true;
  return 1;
}

/* Runs one step as `by` in a transaction of its own; the case's id (a
 * create) into case_id.  0, or the step's error with why it failed. */
static int step_run(api_t *api, const char *by, int kind, json_t *body, char *case_id, size_t case_id_size,
                    char *why, size_t why_size) {
  const auth_actor_t *actor = auth_actor_find(&api->cfg, by);
  store_txn_t *txn;
  pending_t *p;
  int rc;
  if (actor == NULL) {
    snprintf(why, why_size, "no actor \"%s\" in the configuration", by);
    return CASUS_EINVALID_DATA;
  }
  p = calloc(1, sizeof(*p));
  if (p == NULL) return CASUS_ENOMEM;
  p->actor_copy = *actor;
  p->actor = &p->actor_copy;
  p->kind = kind;
  p->body = body; /* borrowed: the caller frees it */
  snprintf(p->case_id, sizeof(p->case_id), "%s", case_id);
  rc = store_txn_begin(api->store, true, &txn);
  if (rc == 0) {
    api__pending_apply(api, txn, p); /* commits or aborts its child */
    if (p->err != 0) {
      store_txn_abort(txn);
      rc = p->err;
    } else {
      rc = store_txn_commit(txn);
    }
  }
  if (rc == 0) {
    if (p->m_event[0] != '\0') api__metrics_event(api, p->m_chart, p->m_event);
    if (kind == W_CREATE) snprintf(case_id, case_id_size, "%s", p->case_id);
  } else {
    snprintf(why, why_size, "%s%s%s", p->rule ? p->rule : "", p->rule ? ": " : "",
             p->err != 0 ? p->message : core_err_message(rc));
  }
  free(p->resp);
  free(p);
  return rc;
}

/* One example: its create, then its events in order.  0, or the first
 * refused step's error, logged. */
static int example_run(api_t *api, const json_t *ex, size_t index, cal_day_t today) {
  const char *title = json_string_value(json_object_get(ex, "title"));
  const json_t *events = json_object_get(ex, "events");
  char case_id[LIMIT_ID_BYTES_MAX] = "", why[ENGINE_MESSAGE_BYTES_MAX + 64];
  size_t i;
  int rc = 0;
  for (i = 0; rc == 0 && i <= json_array_size(events); i++) {
    const json_t *s = i == 0 ? ex : json_array_get(events, i - 1);
    const char *by = json_string_value(json_object_get(s, "by"));
    json_t *body;
    why[0] = '\0';
    if (i == 0) {
      body = json_deep_copy(json_object_get(ex, "create"));
    } else {
      const json_t *data = json_object_get(s, "data");
      body = json_object();
      if (body != NULL &&
          (json_object_set(body, "event", json_object_get(s, "event")) != 0 ||
           json_object_set_new(body, "data", data ? json_deep_copy(data) : json_object()) != 0)) {
        json_decref(body);
        body = NULL;
      }
    }
    if (by == NULL || !json_is_object(body) || (i > 0 && !json_is_string(json_object_get(body, "event")))) {
      snprintf(why, sizeof(why), "a step needs \"by\" (an actor id)%s",
               i == 0 ? " and \"create\" (an object)" : " and \"event\" (a string)");
      rc = CASUS_EINVALID_DATA;
    } else {
      rc = dates_resolve(body, today, why, sizeof(why));
    }
    if (rc == 0)
      rc = step_run(api, by, i == 0 ? W_CREATE : W_EVENT, body, case_id, sizeof(case_id), why, sizeof(why));
    if (rc != 0)
      core_log("warn", "demo example %zu (%s), step %zu (%s by %s) not applied: %s", index + 1,
               title ? title : "untitled", i,
               i == 0 ? "create" : json_string_value(json_object_get(s, "event")), by ? by : "?",
               why[0] ? why : core_err_message(rc));
    json_decref(body);
  }
  return rc;
}

int api__examples_seed(api_t *api, const json_t *doc) {
  const json_t *cases = json_object_get(doc, "cases"), *ex;
  store_txn_t *txn;
  bool any = false;
  size_t i, ok = 0;
  int rc = store_txn_begin(api->store, false, &txn);
  if (rc != 0) return rc;
  rc = store_case_scan(txn, NULL, first_case, &any);
  store_txn_abort(txn);
  if (rc != 0 && rc != 1) return rc;
  if (any) {
    core_log("info", "the store holds cases already: the demo's example cases are not added");
    return 0;
  }
  json_array_foreach(cases, i, ex) {
    if (example_run(api, ex, i, cal_local_day(timers_now(api->timers))) == 0) ok++;
  }
  core_log("info", "demo: %zu of %zu example cases created", ok, json_array_size(cases));
  timers_arm(api->timers, api__next_due(api));
  return 0;
}
