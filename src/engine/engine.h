/*
 * engine.h -- the statechart interpreter: a pure function of
 * (chart, case, event, actor, now) that returns the new case and its
 * effects, or an error with the id of the rule that refused it.
 *
 * No I/O, no libuv, no clock: time is an argument, the working-day calendar
 * is an argument.  The chart format is documented in docs/statecharts.md;
 * in short, a chart is a tree of states (compound, parallel, final) whose
 * transitions name the event, the roles that may fire it, a data schema,
 * declarative guards (each with the rule id to report), and actions (set a
 * field, count, flag, arm or cancel a timer, put a task or notification in
 * the inbox of roles).  Timers fire "system" events.
 *
 * A case is a JSON object:
 *   {"id", "chart": "<id>@<version>", "version", "status", "state": [leaves],
 *    "fields": {...}, "counters": {...}, "flags": [...],
 *    "timers": {"<name>": {"event", "due", "due_s", "kind", "rule"}},
 *    "closed": false, "created", "updated"}
 *
 * Errors (negative casus_err_t, also in result->err with result->rule and
 * result->message filled in):
 *   CASUS_EUNKNOWN_EVENT        the chart has no such event
 *   CASUS_EFORBIDDEN            the caller's role may not fire it (R-AUTH-1)
 *   CASUS_ENOT_ALLOWED_IN_STATE no transition for it in the current state
 *   CASUS_EINVALID_DATA         event data does not match the schema
 *   CASUS_EGUARD_FAILED         a guard failed (rule id of that guard)
 *   CASUS_ENOMEM
 * A failed call leaves the input case untouched (it is never modified).
 *
 * Ownership: arguments are borrowed; result members are new references that
 * engine_result_clear releases.  Thread-safe: charts are immutable once loaded.
 */
#ifndef CASUS_ENGINE_H
#define CASUS_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "calendar/calendar.h"

#define ENGINE_MESSAGE_BYTES_MAX 320
/* A refused data field's path, e.g. "bijlagen.gespreksverslagen[1]". */
#define ENGINE_FIELD_BYTES_MAX 176
#define ENGINE_ROLE_SYSTEM "system"

typedef struct engine_chart_s engine_chart_t;

typedef struct {
  const char *id;   /* actor id, "system" for timers */
  const char *role; /* one of the chart's roles, or "system" */
  const char *org;
} engine_actor_t;

typedef struct {
  const engine_chart_t *chart;
  const calendar_t *cal; /* working days (R-TIME-1) */
  int64_t now_s;         /* the event's time, seconds since the epoch */
  /* May be NULL: an object whose members join the root that the chart's
   * paths resolve in (next to "fields", "data", ...; a member named as one
   * of the engine's own is ignored), e.g. the server's view of the case's
   * linked cases ("linked_cases", src/api/linked.c). */
  const json_t *extra;
  /* May be NULL.  Tables that take the place of the chart's tables of the
   * same name for this event (borrowed): the arrangement catalogue of the
   * case's region when its configuration names another catalogue than the
   * chart's default (engine_catalog_tables; docs/statecharts.md, "Catalogue"). */
  const json_t *tables;
} engine_ctx_t;

typedef struct {
  json_t *case_;   /* the new case */
  json_t *history; /* the history entry to append: time, actor, role, event, data, from, to, rule */
  json_t *effects; /* array of {"type": "task"|"notification", "kind", "to": [roles], "title", "rule"}
                      and {"type": "close_tasks", "kind"} */
  /* The events the acting actor's role may fire on the new case at ctx->now_s:
   * what engine_allowed_events(ctx->chart, case_, actor->role, ctx->now_s,
   * ctx->tables) returns, computed in the same call (so a case view needs no second
   * evaluation of the transitions' "when").  A new reference, set by
   * engine_case_create and engine_event_apply when they succeed; NULL
   * after a failure and for engine_timer_fire (a timer has no actor to
   * show the case to). */
  json_t *allowed_events;
  /* The transition taken (borrowed: an object of the chart document, valid
   * while the chart is loaded): a create entry for engine_case_create, the
   * chosen transition for engine_event_apply and for a timer whose event a
   * transition takes; NULL after a failure and for a timer nothing takes. */
  const json_t *transition;
  int err;
  const char *rule;                       /* rule id of a refusal (static, owned by the chart), or NULL */
  char message[ENGINE_MESSAGE_BYTES_MAX]; /* sentence for a refusal */
  char field[ENGINE_FIELD_BYTES_MAX];     /* the data field a schema refusal names ("jeugdige.naam"), or "" */
} engine_result_t;

/* A problem found while loading or checking a chart: the JSON path of the
 * offending node and a sentence. */
typedef struct {
  char path[160];
  char message[200];
} engine_problem_t;

#define ENGINE_PROBLEMS_MAX 64

typedef struct {
  int count;
  engine_problem_t items[ENGINE_PROBLEMS_MAX];
} engine_problems_t;

/* --- charts --- */

/* Loads and validates a chart (doc is borrowed; the chart keeps its own
 * reference).  Structural errors and the semantic checks of
 * engine_chart_check are problems; any problem fails the load with
 * CASUS_ECHART_INVALID.  problems may be NULL. */
int engine_chart_load(const json_t *doc, engine_chart_t **out, engine_problems_t *problems);
void engine_chart_free(engine_chart_t *chart);
/* Chart composition (include.c; docs/statecharts.md, "Composition").
 * Fetches the document `name` (a checked id: engine_fragment_name_ok) of
 * kind ENGINE_DOC_FRAGMENT (a fragment) or ENGINE_DOC_CATALOG (an
 * arrangement catalogue): a new reference to it, or NULL with why in msg. */
#define ENGINE_DOC_FRAGMENT "fragment"
#define ENGINE_DOC_CATALOG "catalog"
typedef json_t *(*engine_fragment_fn)(void *ud, const char *kind, const char *name, char *msg,
                                      size_t msg_size);
/* Whether name may name a fragment: [a-z][a-z0-9_-]*, shorter than LIMIT_ID_BYTES_MAX. */
bool engine_fragment_name_ok(const char *name);
/* doc with every {"include": "<fragment>", "with": {...}} state replaced by
 * the fragment's state (its {"param": p} placeholders filled in), the
 * fragments' properties appended, and "included" listing what came from
 * which fragment at which version.  A chart that names a catalogue
 * ("catalog": "<name>") gets the catalogue's tables in its "tables"
 * (engine_catalog_tables) and "catalog_version".  A chart without includes
 * or catalogue comes back as itself.  0 and *out (new reference), or CASUS_ECHART_INVALID with
 * problems (may be NULL), CASUS_ENOMEM.  Load the result with
 * engine_chart_load. */
int engine_chart_resolve(const json_t *doc, engine_fragment_fn get, void *ud, json_t **out,
                         engine_problems_t *problems);
/* Arrangement catalogues (catalog.c; docs/statecharts.md, "Catalogue").
 * Checks doc against the catalogue schema: each problem with the JSON
 * path of the offending node.  Returns the number of problems. */
int engine_catalog_check(const json_t *doc, engine_problems_t *problems);
/* The tables a valid catalogue gives a chart: {"arrangementen": {...}}
 * (new reference), NULL when out of memory. */
json_t *engine_catalog_tables(const json_t *doc);

/* Runs every check on doc without keeping the chart: structure, unknown
 * targets, unreachable states, events nobody may fire, timers whose event
 * no transition handles, unknown roles, the list filters ("index").
 * Returns the number of problems. */
int engine_chart_check(const json_t *doc, engine_problems_t *problems);

const char *engine_chart_id(const engine_chart_t *chart);
int engine_chart_version(const engine_chart_t *chart);
/* "<id>@<version>" */
const char *engine_chart_ref(const engine_chart_t *chart);
/* The calendar id the chart's working days use (default "nl"). */
const char *engine_chart_calendar(const engine_chart_t *chart);
/* The chart document (borrowed). */
const json_t *engine_chart_json(const engine_chart_t *chart);
/* The value at a dotted path of a chart ("jeugdige.geboortedatum") below
 * root (borrowed), or NULL when absent, when a step is not an object, or
 * for an empty or too long (LIMIT_ID_BYTES_MAX) segment. */
const json_t *engine_path_get(const json_t *root, const char *path);
/* The chart's list filters, its top-level "index" (borrowed), or NULL when it declares none: an object
 * {"<query parameter>": "<dotted path below the case's fields>"} of at most LIMIT_CHART_INDEXES_MAX
 * entries, each name an id ([a-z][a-z0-9_]*) that GET /v1/cases does not take itself, each path one that
 * engine_path_get reads (below the case's "fields", without the "fields." prefix). */
const json_t *engine_chart_index(const engine_chart_t *chart);
/* The chart's "timer_failure" declaration (borrowed), or NULL when it has none:
 * {"to": [roles], "kind", "title", "rule"?}, the task the server puts in those
 * roles' inboxes when a timer's event cannot be applied and the timer is
 * consumed as failed (R-TIME-3; docs/statecharts.md).  Checked at load: "to"
 * names known roles (not "system"), "kind" is 1..LIMIT_ID_BYTES_MAX-1 bytes. */
const json_t *engine_chart_timer_failure(const engine_chart_t *chart);
/* The role's declaration {"org_field", "actor_field", "view"} (borrowed), NULL if unknown. */
const json_t *engine_chart_role(const engine_chart_t *chart, const char *role);

/* Renders the chart as a diagram: format "dot" (Graphviz; parallel and
 * compound states as clusters) or "mermaid" (stateDiagram-v2).  Returns a
 * malloc'ed NUL-terminated text in *out, or CASUS_EBAD_REQUEST for an
 * unknown format, CASUS_ENOMEM. */
int engine_chart_export(const engine_chart_t *chart, const char *format, char **out);

/* --- cases --- */

/* Creates case `id` from the create body `data` through the first of the
 * chart's "create" transitions whose roles include the actor's role and
 * whose "when" holds.  extra_fields (may be NULL) are set on the case
 * before the transition's actions run (e.g. the region). */
int engine_case_create(const engine_ctx_t *ctx, const char *id, const json_t *data,
                       const json_t *extra_fields, const engine_actor_t *actor, engine_result_t *out);
/* Applies `event` with `data` (may be NULL) by `actor` to case_. */
int engine_event_apply(const engine_ctx_t *ctx, const json_t *case_, const char *event, const json_t *data,
                       const engine_actor_t *actor, engine_result_t *out);
/* Fires the case's timer `name` as a system event at ctx->now_s (the caller
 * passes the timer's due_s).  The timer is consumed even when no transition
 * takes its event (then out->history is NULL and only the case changes).
 * CASUS_ENOT_FOUND when the case has no such timer. */
int engine_timer_fire(const engine_ctx_t *ctx, const json_t *case_, const char *name, engine_result_t *out);
void engine_result_clear(engine_result_t *res);

/* The events `role` may fire on case_ now (new array of strings, chart order):
 * those of the transitions of the case's active states whose roles include
 * `role` and whose "when" holds, evaluated with the role alone as the actor
 * (no id or organisation), no data and no calendar.  Empty for a closed
 * case.  tables (may be NULL: the chart's own) take the place of the
 * chart's tables of the same name, as engine_ctx_t.tables does for an event:
 * pass the case's region's catalogue so that a "when" reading it offers
 * what applying the event would allow.  engine_case_create and
 * engine_event_apply return the same array (with ctx->tables) for the
 * actor's role in engine_result_t.allowed_events. */
json_t *engine_allowed_events(const engine_chart_t *chart, const json_t *case_, const char *role,
                              int64_t now_s, const json_t *tables);
/* The transitions that could take an event fired by `role` on case_ now:
 * those of the case's active states whose roles include `role`, in the
 * order engine_event_apply considers them (leaves in document order, each
 * from the leaf up to the root), without evaluating "when", data or guards:
 * a superset of what engine_event_apply can take for the role (for timers,
 * role "system").  Writes at most out_max of them (borrowed objects of the
 * chart document) to out and returns how many there are, which may be more
 * than out_max; 0 for a closed case or one in a state the chart lacks. */
int engine_case_candidates(const engine_chart_t *chart, const json_t *case_, const char *role,
                           const json_t **out, int out_max);

/* Evaluates a condition of the chart's language (docs/statecharts.md,
 * "Conditions") over case_ at ctx->now_s, as the engine evaluates a "when"
 * or a guard: with the event's data (may be NULL: {}), the actor (may be
 * NULL: empty id, role and organisation) and extra (may be NULL), an object
 * whose members join the root that paths resolve in, next to "fields",
 * "counters", "data", "actor", "now", "now_time" and "case" (a member named
 * as one of those is ignored).  cond must be valid (engine_chart_check);
 * false when it does not hold, and when out of memory. */
bool engine_case_cond_eval(const engine_ctx_t *ctx, const json_t *case_, const json_t *data,
                           const engine_actor_t *actor, const json_t *extra, const json_t *cond);
/* Evaluates a value expression (a literal, {"path"}, {"literal"}, {"date"})
 * in the same scope as engine_case_cond_eval.  New reference: json_null()
 * when a path is absent, NULL when out of memory. */
json_t *engine_case_value_eval(const engine_ctx_t *ctx, const json_t *case_, const json_t *data,
                               const engine_actor_t *actor, const json_t *extra, const json_t *expr);

/* The case's status: the "status" of its first active leaf (or ancestor) that has one. */
const char *engine_case_status(const engine_chart_t *chart, const json_t *case_);

#endif
