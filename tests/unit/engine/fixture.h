/*
 * fixture.h -- the shared fixture of the engine unit tests: the Dutch
 * calendar, charts loaded from the source tree, and helpers that apply
 * events, create cases and fire timers with an expected outcome, plus
 * lookups on a case and on the effects of the last accepted event.
 *
 * The helpers assert with test.h's macros (a failure ends the current
 * test).  Everything the fixture loads or keeps is freed by fx_teardown,
 * which the first fx_chart registers with atexit, so valgrind sees no leak.
 */
#ifndef CASUS_TESTS_UNIT_ENGINE_FIXTURE_H
#define CASUS_TESTS_UNIT_ENGINE_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "engine/engine.h"

/* calendars/nl.json, loaded by the first fx_chart. */
extern calendar_t fx_cal;
/* The effects of the last accepted event or fired timer (owned by the fixture), or NULL. */
extern json_t *fx_effects;

/* A JSON file below CASUS_SOURCE_DIR (new reference), or NULL with the parse error printed. */
json_t *fx_load_file(const char *rel_path);
/* Parses test JSON; a bad text fails the test.  NULL for NULL.  New reference. */
json_t *fx_json(const char *text);
/* The chart in `rel_path` below CASUS_SOURCE_DIR, loaded once (and fx_cal with it); owned by the fixture. */
engine_chart_t *fx_chart(const char *rel_path);
/* Loads a chart from doc (borrowed), printing its problems; a failure fails the test.  The caller frees it.
 */
engine_chart_t *fx_chart_load(const json_t *doc);
/* Frees the charts fx_chart loaded and fx_effects (registered with atexit; may be called again). */
void fx_teardown(void);

/* An RFC 3339 time in seconds since the epoch; aborts on a bad text. */
int64_t fx_t(const char *rfc3339);

/* Creates case `id` from body (borrowed; may be NULL) with the extra field "regio" (when not NULL); asserts
 * the result code and, when not NULL, the rule.  Returns the case (new reference) and keeps the effects in
 * fx_effects, or NULL after a refusal.
 */
json_t *fx_create(const engine_chart_t *chart, int64_t now, const engine_actor_t *a, const char *id,
                  const json_t *body, const char *regio, int expect_rc, const char *expect_rule);
/* Applies `event` with data_json (may be NULL) and asserts the result code and, when not NULL, the rule.
 * Accepted: returns the new case (c is released) and keeps the effects in fx_effects.  Refused: returns c. */
json_t *fx_apply(const engine_chart_t *chart, json_t *c, int64_t now, const engine_actor_t *a,
                 const char *event, const char *data_json, int expect_rc, const char *expect_rule);
/* Applies an event that must be refused with expect_rc (and expect_rule, when not NULL); asserts that the
 * refusal yields no case and leaves c unchanged. */
void fx_refused(const engine_chart_t *chart, const json_t *c, int64_t now, const engine_actor_t *a,
                const char *event, const char *data_json, int expect_rc, const char *expect_rule);
/* Fires the case's timer `name` at its due_s; a transition of the system must take its event.  Returns the
 * new case (c is released) and keeps the effects in fx_effects. */
json_t *fx_fire(const engine_chart_t *chart, json_t *c, const char *name);

/* Asserts that res, the result of an engine_case_create or engine_event_apply that succeeded for an actor of
 * `role` at now, carries in allowed_events what engine_allowed_events(chart, res->case_, role, now) returns.
 * fx_create and fx_apply check every accepted call with it (and that a refusal or a timer has none). */
void fx_allowed_check(const engine_chart_t *chart, const engine_result_t *res, const char *role, int64_t now);

/* --- lookups on a case --- */

/* The value at a dotted path ("fields.product.code") below v (borrowed), or NULL. */
const json_t *fx_get(const json_t *v, const char *dotted);
/* The string at a dotted path below v, or NULL. */
const char *fx_str(const json_t *v, const char *dotted);
const char *fx_status(const json_t *c);
bool fx_has_flag(const json_t *c, const char *flag);
/* Whether `state` is one of the case's active leaves. */
bool fx_in_state(const json_t *c, const char *state);
/* The due date ("YYYY-MM-DD") of the case's timer `name`, or NULL. */
const char *fx_timer_due(const json_t *c, const char *name);

/* --- lookups on fx_effects --- */

/* Whether fx_effects hold one of `type` ("task", "notification", "close_tasks"; NULL: any) and `kind`,
 * addressed to `role` (NULL: any). */
bool fx_effect(const char *type, const char *kind, const char *role);
/* The rule of the first effect of `type` and `kind` in fx_effects, or NULL. */
const char *fx_effect_rule(const char *type, const char *kind);

#endif
