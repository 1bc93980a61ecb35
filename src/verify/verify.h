/*
 * verify.h -- `casusd statechart verify`: an explicit-state exploration of a
 * chart with the engine the server runs, checking the properties the chart
 * declares and the checks every chart must pass.
 *
 * From every "create" entry, with every role it admits and data drawn from
 * its schema, the exploration fires every event of every role the chart
 * names, with data drawn from the event's schema (each enum value a
 * condition names and one other, booleans both ways, dates at the
 * boundaries the guards compare against and either side, one string that
 * differs from what it is compared with and each that it is compared with,
 * arrays at their minimum and maximum size; required fields present, and
 * the pairs of choices covered when their product is too large), and moves
 * the clock: to just before and at each armed timer's due time (timers fire
 * in due order at their due time, as the server fires them), to the days
 * around each date a condition compares "now" with, and to the next day.
 * Every step is engine_case_create, engine_event_apply or engine_timer_fire:
 * there is no second semantics.
 *
 * Breadth first, so that every counterexample is a shortest one.  Two
 * configurations are one when their key is equal: the SHA-256 of a
 * canonical JSON of what can influence the future (the active states,
 * counters, flags, the case fields that any condition, value or timer of
 * the chart or its properties reads, the timers and those fields' dates
 * relative to now, the weekday, and the part of the run record the
 * properties read).  See docs/statecharts.md, "Verifying a chart".
 *
 * Checked on every configuration reached: the chart's "properties"
 * (always, never, reach; run.events.<event>, run.roles.<event>.<role> and
 * run.last.{event, role, from.<state>} tell what happened before), and
 * the built-in checks: every state reachable, every transition taken in
 * some run, a terminal state reachable from every configuration (no trap),
 * a timer fires only in a state that takes its event, no engine error.
 *
 * Pure: no I/O, no clock, no libuv.  The chart and the calendar are the
 * caller's (borrowed for the call); the report owns everything in it.
 * Not thread-safe per report; separate calls share nothing.
 */
#ifndef CASUS_VERIFY_H
#define CASUS_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calendar/calendar.h"
#include "engine/engine.h"

typedef struct {
  int depth_max;       /* steps from the create, the create included; 0: LIMIT_VERIFY_DEPTH_DEFAULT */
  uint32_t states_max; /* configurations kept; 0: LIMIT_VERIFY_STATES_DEFAULT */
  int64_t start_s;     /* the clock at the create; 0: Monday 4 January 2027, 09:00 Europe/Amsterdam */
  bool whole;          /* explore the whole chart at once instead of one slice per question */
  const char
      *only;     /* NULL, or the names of the properties to check, comma-separated: then no built-in check */
  int walks;     /* random walks past the search's bound per slice; 0: LIMIT_VERIFY_WALKS_DEFAULT, <0: none */
  uint64_t seed; /* of the walks' random draws; 0: a fixed default (runs are repeatable) */
} verify_options_t;

typedef struct verify_report_s verify_report_t;

/* Explores chart (with the working days of cal, which may be NULL when the
 * chart counts no working days) within opt (may be NULL: the defaults)
 * and returns the report in *out.
 *
 * Returns 0, or with *out NULL:
 *   CASUS_EBAD_REQUEST  an option out of its range (LIMIT_VERIFY_*), with
 *                       a sentence in err (err_size bytes, may be 0)
 *   CASUS_ENOMEM        out of memory
 * A property that fails or an engine error met on the way is a finding in
 * the report, not an error of the call. */
int verify_chart(const engine_chart_t *chart, const calendar_t *cal, const verify_options_t *opt,
                 verify_report_t **out, char *err, size_t err_size);
void verify_report_free(verify_report_t *report);

/* Whether every property holds (known-failing ones excepted) and no
 * built-in check failed.  A coverage check (states reachable, transitions
 * taken) that misses something when the exploration stopped at a bound is
 * "bounded", not failed: beyond the bound it may still be reached.  A
 * "reach" property is violated when not reached within the bound. */
bool verify_report_ok(const verify_report_t *report);

/* The report's machine form (borrowed, valid until verify_report_free):
 *   {"chart", "ok", "bound": {"depth", "max_states", "start"},
 *    "figures": {"configurations", "expanded", "frontier", "steps", "attempts",
 *                "refused", "depth_reached", "complete", "states_max_hit"},
 *    "properties": [{"name", "rule", "kind", "result": "ok"|"violated"|"known_failing",
 *                    "known_failing"?, "violated"?, "message"?, "trace"?}],
 *    "checks": [{"name", "result": "ok"|"failed"|"bounded", "message", "missing"?, "count"?, "trace"?}],
 *    "capped": [{"transition", "event", "combinations", "tried", "pairs_covered"}],
 *    "clock_moves_capped"}
 * Each trace is a script: [{"step", "role", "actor": {"id", "org"}, "event",
 * "data", "now", "state", "status", "timers"?, "create"?, "clock"?,
 * "message"?}] from the create on. */
const json_t *verify_report_json(const verify_report_t *report);

/* The first counterexample as a script to replay (borrowed): the trace of
 * the first violated property in the chart's order, else of the first
 * failed built-in check that has one, else of the first known-failing
 * property that is violated.  NULL when there is none. */
const json_t *verify_report_script(const verify_report_t *report);

/* Writes the human form to out: figures, each property (ok, VIOLATED with
 * its shortest trace, known failing), each built-in check, and what was
 * capped.  elapsed_s (the caller's measure; negative: not shown) joins the
 * figures. */
void verify_report_print(const verify_report_t *report, FILE *out, double elapsed_s);

#endif
