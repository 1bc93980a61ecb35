/*
 * fixture.h -- the shared fixture of the verifier's unit tests: small
 * charts written for one finding each, verified with the Dutch calendar,
 * and lookups in the report's JSON.  Everything it keeps is freed by
 * vx_teardown, registered with atexit, so valgrind sees no leak.
 */
#ifndef CASUS_TESTS_UNIT_VERIFY_FIXTURE_H
#define CASUS_TESTS_UNIT_VERIFY_FIXTURE_H

#include <jansson.h>

#include "calendar/calendar.h"
#include "engine/engine.h"
#include "verify/verify.h"

extern calendar_t vx_cal;

/* A chart with one role "r" (org_field "org"), a create entry "open" by r
 * into `initial` whose body is {"org": string}, the states (a JSON object
 * text: the root's "states") and the properties (a JSON array text, or
 * NULL).  Loaded (a failure fails the test); owned by the fixture. */
engine_chart_t *vx_chart(const char *initial, const char *states_json, const char *properties_json);
/* The same with a parallel root: each member of states_json is a region. */
engine_chart_t *vx_chart_parallel(const char *initial, const char *states_json, const char *properties_json);
/* Verifies chart with depth_max and states_max (0: the defaults); the
 * report is owned by the fixture (freed at the next vx_verify or at exit). */
const verify_report_t *vx_verify(const engine_chart_t *chart, int depth_max, uint32_t states_max);
/* The same, as one exploration of the whole chart (--whole). */
const verify_report_t *vx_verify_whole(const engine_chart_t *chart, int depth_max, uint32_t states_max);
/* vx_verify with walks random walks past the bound (negative: none) seeded with seed (0: the default). */
const verify_report_t *vx_verify_walks(const engine_chart_t *chart, int depth_max, uint32_t states_max,
                                       int walks, uint64_t seed);

/* The property or check called name in the report's JSON (borrowed), or NULL. */
const json_t *vx_property(const char *name);
const json_t *vx_check(const char *name);
/* The result ("ok", "violated", "failed", ...) of the property or check called name. */
const char *vx_result(const char *name);
/* A member of the report's "figures". */
json_int_t vx_figure(const char *name);
/* The events of a trace, joined by spaces ("(clock)" for a move of the clock), in buf. */
const char *vx_trace_events(const json_t *trace, char *buf, size_t size);

void vx_teardown(void);

#endif
