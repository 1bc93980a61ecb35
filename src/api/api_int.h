/*
 * api_int.h -- the API module's private header: the state every file of
 * src/api shares, and the functions they call across files.
 *
 * The files follow a request's path:
 *   routes.c       the route table (method, path, READ / WRITE / ADMIN), authentication, dispatch
 *   request.c      request helpers: body parsing, query parameters, ids, JSON replies
 *   reads.c        read handlers: /healthz, one case, its history, the inbox
 *   case_list.c    GET /v1/cases: filters served from the store's indexes
 *   write_queue.c  write handlers queue their request; group commit once per loop iteration
 *   apply.c        applying one queued write inside the batch: engine, store, inbox effects
 *   timers_fire.c  firing due timers in bounded chunks
 *   views.c        the case view and the privacy of anonymised views (R-PRIV-1)
 *   stream.c       GET /v1/stream: inbox items as Server-Sent Events
 *   inzage.c       the inzage document (AVG art. 15): casusd export and GET /v1/inzage
 *   access.c       the access log (NEN 7513): entries, reads held for the group commit, GET .../access-log
 *   retention.c    the archiefactiedatum of a closed case, and destroying a case on request
 *   growth.c       bounded growth: the sweeps of every group commit, the upgrade of older stores
 *   metrics.c      GET /metrics
 *   ui.c           GET /ui/...: the werkbank's static files (docs/ui.md)
 *   examples.c     the demo's example cases, made at start-up in an empty store
 *   registry.c     loaded charts, regions and their calendars
 *   api.c          start and stop
 * Internal names that cross files are api__<noun>_<verb>.  Loop thread only.
 */
#ifndef CASUS_API_INT_H
#define CASUS_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/api.h"
#include "auth/auth.h"
#include "calendar/calendar.h"
#include "core/limits.h"
#include "core/ratelimit.h"
#include "engine/engine.h"
#include "http/server.h"
#include "store/store.h"
#include "timers/timers.h"

/* The kinds of queued writes. */
enum { W_CREATE = 1, W_EVENT, W_CLOCK, W_INBOX_READ, W_READ, W_DESTROY };

/* One queued write request and, after the batch ran, its outcome. */
typedef struct pending_s {
  struct pending_s *next;
  http_request_t *req;
  const auth_actor_t *actor; /* &actor_copy: a reload may free the configuration's actors */
  auth_actor_t actor_copy;
  int kind;
  char case_id[LIMIT_ID_BYTES_MAX];
  json_t *body;
  char request_hash[65];
  bool retried;    /* requeued once after its child transaction found the map full */
  int read_status; /* W_READ: the reply's status; body is its JSON */
  json_t *access;  /* W_READ: the access-log entries to append before the reply leaves */
  /* the outcome, sent after the commit */
  int status;
  char *resp;
  size_t resp_len;
  int err;
  const char *rule;
  char message[ENGINE_MESSAGE_BYTES_MAX];
  char field[ENGINE_FIELD_BYTES_MAX]; /* the data field an engine refusal names, or "" */
  /* An accepted event, for the metrics once its commit is done: the chart's
   * id and the event ("" when none). */
  char m_chart[LIMIT_ID_BYTES_MAX];
  char m_event[LIMIT_ID_BYTES_MAX];
} pending_t;

/* A GET /v1/stream client: gets its new inbox items as Server-Sent Events. */
typedef struct sub_s {
  struct sub_s *next;
  http_request_t *req;
  const auth_actor_t *actor; /* &actor_copy, as pending_t's */
  auth_actor_t actor_copy;
  uint64_t last_seq;
} sub_t;

/* The request latency histogram's size (metrics.c): the route table's rows
 * at most (asserted), the status classes 1xx..5xx, the buckets. */
#define API_ROUTES_MAX 32
#define API_STATUS_CLASSES 5
#define API_LATENCY_BUCKETS_COUNT 12

struct api_s {
  uv_loop_t *loop;
  /* While a queued write is applied (api__pending_apply): its X-Request-Id,
   * recorded in the history entries it writes (not in timers' entries). */
  const char *request_id;
  uint8_t secret[STORE_SECRET_BYTES]; /* keys pseudonyms (R-PRIV-1) */
  sub_t *subs;
  int subs_count;
  bool inbox_changed; /* an inbox item was added since the last push to streams */
  struct {            /* for GET /metrics */
    uint64_t requests, unauthenticated, writes_ok, writes_refused, writes_failed;
    uint64_t commits, commit_failures, batch_requests_max, timers_fired, timer_chunks;
    uint64_t writes_rate_limited, timers_failed;
    uint64_t idem_swept, inbox_swept;                    /* entries the sweeps looked at (growth.c) */
    uint64_t reads_logged, access_entries, access_swept; /* the access log (access.c) */
  } m;
  /* The write-rate bucket of each actor that wrote, by actor id (write_queue.c):
   * static and OIDC actors alike, and kept across a reload. */
  struct api_rate_s {
    char id[LIMIT_ID_BYTES_MAX]; /* "" for a free slot */
    core_bucket_t bucket;
  } * rate;
  int rate_count;          /* used slots of the 2 x LIMIT_RATE_ACTORS_MAX */
  int64_t rate_actors_max; /* LIMIT_RATE_ACTORS_MAX, unless CASUSD_TEST_RATE_ACTORS_MAX lowered it */
  json_t *regions_doc;     /* the configuration's "regions" (a reload may not change them) */
  uint64_t reloads, reloads_refused; /* SIGHUP (api_reload) */
  /* LIMIT_EVENTS_PER_CASE_MAX and LIMIT_TIMER_FIRES_PER_CHUNK_MAX, unless a
   * test lowered them (CASUSD_TEST_* in the environment; api.c). */
  int64_t events_per_case_max;
  int timer_fires_per_chunk_max;
  store_t *store;
  http_server_t *http;
  timers_t *timers;
  uv_check_t batch_check;
  uv_idle_t batch_idle;
  uv_idle_t fire_idle;      /* fires the next chunk of due timers (timers_fire.c) */
  pending_t *clock_waiters; /* clock requests waiting until every due timer fired */
  auth_config_t cfg;
  calendar_t *calendars; /* one per region, in cfg.regions order */
  /* One per region, in cfg.regions order: the tables of the arrangement
   * catalogue its configuration names instead of its chart's default
   * (engine_catalog_tables), NULL when it names none (engine_ctx_t.tables). */
  json_t **region_tables;
  /* One per region, in cfg.regions order: "<catalogue>@<version>" of that
   * catalogue (a JSON string), NULL when it names none (the chart's default
   * is then the case's chart's "catalog"@"catalog_version"). */
  json_t **region_catalogs;
  engine_chart_t *charts[LIMIT_CHARTS_MAX];
  int charts_count;
  pending_t *head, *tail;
  json_t *access_later;  /* api__access_later's entries, for the next group commit */
  uint64_t access_batch; /* access-log entries appended since the last sweep (its budget) */
  int pending_count;
  int handles_open;
  /* The metrics that have labels (metrics.c): the latency histogram per
   * route (routes.c's row; API_ROUTES_MAX for a request no route took) and
   * status class (1xx..5xx), its buckets not cumulative (the last one is
   * +Inf); and the counters of accepted events {chart: {event: n}} and of
   * refusals {rule id: n}, whose keys come from the loaded charts. */
  struct {
    uint64_t counts[API_ROUTES_MAX + 1][API_STATUS_CLASSES][API_LATENCY_BUCKETS_COUNT + 1];
    uint64_t sum_ns[API_ROUTES_MAX + 1][API_STATUS_CLASSES];
  } latency;
  json_t *m_events;
  json_t *m_refusals;
};

/* GET /metrics' latency histogram (metrics.c). */
extern const double api__latency_buckets_s[API_LATENCY_BUCKETS_COUNT];
/* Records a response's latency (http_server_on_respond's hook). */
void api__on_respond(http_request_t *req, int status, void *ud);
/* The number of rows of the route table, and row i's method and pattern (routes.c). */
int api__routes_count(void);
void api__route_name(int i, const char **method, const char **pattern);
/* Counts an accepted event of chart, or a refusal by rule (NULL: "none"), for
 * the metrics; after the commit that kept (or would have kept) it. */
void api__metrics_event(api_t *api, const char *chart, const char *event);
void api__metrics_refusal(api_t *api, const char *rule);
/* What the gauge of cases per status and region counts a case under:
 * its "status" and its region (fields.regio).  Borrowed from case_. */
void api__case_count_labels(const json_t *case_, const char **status, const char **region);
/* A store made before the metrics' counts existed gets them, at start-up
 * (case_record.c).  0 or a store error. */
int api__counts_rebuild(api_t *api);

/* One routed request: what a handler gets. */
typedef struct {
  api_t *api;
  http_request_t *req;
  const auth_actor_t *actor; /* NULL for unauthenticated routes; else &actor_copy */
  auth_actor_t actor_copy;
  char param[LIMIT_ID_BYTES_MAX]; /* the {id} of the path */
} call_t;

/* registry.c: charts, regions, calendars */
/* The loaded chart "<id>@<version>", or NULL. */
const engine_chart_t *api__chart_by_ref(const api_t *api, const char *ref);
/* The newest loaded version of chart id, or NULL. */
const engine_chart_t *api__chart_by_id(const api_t *api, const char *id);
/* Loads the bundled charts (dir NULL) or every *.json of dir; a sentence in err. */
int api__charts_load(api_t *api, const char *dir, char *err, size_t err_size);
/* Checks every region's chart and loads its calendar and, when its
 * configuration names one ("catalog"), its arrangement catalogue (from
 * charts_dir's catalogs/ or ../catalogs/, else the bundled ones). */
int api__regions_prepare(api_t *api, const char *charts_dir, char *err, size_t err_size);
/* The tables of the case's region's catalogue when its configuration
 * overrides the chart's (borrowed), else NULL (the chart's own tables). */
const json_t *api__tables_of_case(const api_t *api, const json_t *case_);
/* "<catalogue>@<version>" of the arrangement catalogue the case's events
 * are checked against: its region's override, else its chart's default; ""
 * when there is none.  Written to out (out_size bytes), which is returned. */
const char *api__catalog_of_case(const api_t *api, const engine_chart_t *chart, const json_t *case_,
                                 char *out, size_t out_size);
/* Frees api->region_tables and api->region_catalogs (may be NULL). */
void api__region_tables_free(api_t *api);
/* The calendar of the case's region (the first region's when it names none). */
const calendar_t *api__calendar_of_case(const api_t *api, const json_t *case_);
void api__handle_charts(call_t *c);
void api__handle_chart(call_t *c);
/* GET /v1/me: who the token is, and the charts whose cases its role may create. */
void api__handle_me(call_t *c);

/* access.c: the access log (NEN 7513) */
/* An access-log entry (new reference, NULL when memory runs out) of actor's
 * access of kind `what` ("view", "history", "list", "stream", "export",
 * "event") to case_id, dated by the service's clock, with req's id. */
json_t *api__access_entry(const api_t *api, const auth_actor_t *actor, const http_request_t *req,
                          const char *case_id, const char *what);
/* Appends every entry of the array entries (borrowed; each names its
 * "case_id") to the store.  0 or the store's error. */
int api__access_append(api_t *api, store_txn_t *txn, const json_t *entries);
/* Answers a read whose access-log entries (stolen array, may be empty) must
 * be committed first: the reply (body stolen) waits for the next group
 * commit, which carries them with the writes: no commit, and no fsync, of
 * its own.  An empty array replies at once. */
void api__access_reply(call_t *c, int status, json_t *body, json_t *entries);
/* Entries to write with the next group commit that no reply waits for
 * (a stream's pushes); stolen. */
void api__access_later(api_t *api, json_t *entry);
void api__handle_access_log(call_t *c);
/* retention.c (R-RET-1, R-RET-3, R-RET-4) */
/* Gives a closed case (in place) its "archiefactiedatum": the local day of
 * now_s plus its region's bewaartermijn; a case that has one keeps it.
 * 0 or CASUS_ENOMEM. */
int api__retention_mark(const api_t *api, json_t *case_, int64_t now_s);
/* The body of POST /v1/cases/{id}/destroy ({"verzocht_door", "reden",
 * "uitzondering"}: codes): replies itself (400/422) and returns false when
 * it does not hold. */
bool api__destroy_body_ok(http_request_t *req, const json_t *body);
/* Destroys the case of a queued destroy request inside the batch, or fails p. */
int api__destroy_process(api_t *api, store_txn_t *txn, pending_t *p);
void api__handle_case_destroy(call_t *c);
/* inzage.c: GET /v1/inzage for the procesregisseur */
void api__handle_inzage(call_t *c);
/* write_queue.c: keeps the loop from blocking until the batch ran. */
void api__batch_idle_cb(uv_idle_t *h);
/* Begins a read transaction (*txn, for the caller to end) and reads the
 * case of the path when the caller may see it; otherwise replies (404) and
 * returns NULL (reads.c). */
json_t *api__case_open(call_t *c, store_txn_t **txn, const engine_chart_t **chart);

/* views.c */
/* Replaces the chart's identifying fields of `fields` (in place) by a pseudonym and an age band. */
void api__anonymise_fields(const api_t *api, const engine_chart_t *chart, json_t *fields,
                           const json_t *case_fields, const char *case_id, int64_t now_s, const char *birth);
/* The jeugdige's birth date of the case, from the chart's privacy declaration, or NULL. */
const char *api__birthdate_of(const engine_chart_t *chart, const json_t *case_);
/* R-PRIV-1: keeps (in place), at any depth of v, only the members the
 * chart's privacy.restricted_view_keeps names (codes, dates, the escalation
 * addressed to the role), withholding every other (talk reports, facts,
 * agreements, toelichtingen): for roles that declare "withhold_free_text". */
void api__withhold_free_text(const engine_chart_t *chart, json_t *v);
/* The case as `actor` may see it (new reference).  allowed (borrowed, may be
 * NULL) is the actor's allowed events when the caller already has them;
 * NULL asks the engine. */
json_t *api__case_view(const api_t *api, const engine_chart_t *chart, const json_t *case_,
                       const auth_actor_t *actor, const json_t *allowed);

/* request.c */
/* Replies status with body (stolen) as compact JSON. */
void api__reply_json(http_request_t *req, int status, json_t *body);
/* The body as a JSON object within the limits, or NULL after replying 400/413/503. */
json_t *api__body_parse(http_request_t *req);
/* The value of query parameter name into out; false when absent or too long. */
bool api__query_get(const char *query, const char *name, char *out, size_t out_size);
/* Whether s[0..len) is an id: 1..LIMIT_ID_BYTES_MAX-1 of [A-Za-z0-9-_.@]. */
bool api__id_valid(const char *s, size_t len);
#define API_QUERY_VALUE_BYTES_MAX 256 /* a decoded query value (a list's cursor is the longest) */
/* One query parameter, %XX-decoded ('+' stays '+'). */
typedef struct {
  char name[LIMIT_ID_BYTES_MAX];
  char value[API_QUERY_VALUE_BYTES_MAX];
} api_query_param_t;
/* The query's parameters in order, each name at most once, at most max.
 * A valueless, nameless, repeated or malformed one, a value that does not
 * fit, or more than max: replies 400 and returns false. */
bool api__query_parse(call_t *c, api_query_param_t *params, size_t max, size_t *count);
/* The query's parameters, each one of names[0..count) at most once:
 * values[i] and present[i] for names[i] (decoded as api__query_parse
 * does).  Any other parameter, or one api__query_parse refuses: replies
 * 400 and returns false. */
bool api__query_params(call_t *c, const char *const *names, size_t count,
                       char (*values)[API_QUERY_VALUE_BYTES_MAX], bool *present);
/* s as a decimal number in min..max (digits only) into *out; false otherwise. */
bool api__query_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* case_record.c */
/* A visibility scope "<a|o>:<field>=<value>", NUL included. */
#define API_SCOPE_BYTES_MAX (STORE_TERM_BYTES_MAX + 1)
/* Cases re-indexed per transaction when an older store is upgraded. */
#define API_REINDEX_CHUNK 1000
/* Writes case_ (borrowed) with its index terms: serialised once, here.
 * CASUS_EINVALID_DATA when a term does not fit the store's limits. */
int api__case_put(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_);
/* The visibility scopes of actor (into scopes, backed by buf): what a case
 * must carry for the actor to see it.  Returns their number (0: sees none). */
size_t api__actor_scopes(const api_t *api, const auth_actor_t *actor, const char **scopes,
                         char (*buf)[API_SCOPE_BYTES_MAX]);
/* After store_case_get found case id damaged (CASUS_ESTORE_CORRUPT): what
 * actor is told.  CASUS_ESTORE_CORRUPT (500 store_corrupt, logged) when
 * the case is filed under one of actor's scopes (store_case_scoped: those
 * who may see it); CASUS_ENOT_FOUND (404, as an unknown id, R-AUTH-2) for
 * everyone else. */
int api__case_damaged(api_t *api, store_txn_t *txn, const auth_actor_t *actor, const char *id);
/* apply.c: the case a queued request names and its chart, when its actor may see it; else p failed. */
int api__pending_case_load(api_t *api, store_txn_t *txn, pending_t *p, json_t **case_out,
                           const engine_chart_t **chart_out);
#define API_CASE_DAMAGED_MESSAGE \
  "This case's stored record is damaged; it is unavailable until it is restored (casusd verify names it)."
/* Refuses charts whose roles name more visibility fields than a case or a
 * caller can carry scopes (STORE_SCOPES_MAX); a sentence in err. */
int api__charts_scopes_check(const api_t *api, char *err, size_t err_size);
/* A store from an older casusd has no case indexes: builds them, in
 * transactions of API_REINDEX_CHUNK cases, before the server listens. */
int api__cases_reindex(api_t *api);

/* apply.c */
/* Stores an accepted engine result: its history entry (whose new head goes
 * into the case record), the case, its inbox effects.  is_new: the case has
 * no history yet.  CASUS_EINVALID_DATA, with nothing written, when the case
 * already has events_per_case_max history entries. */
int api__result_store(api_t *api, store_txn_t *txn, const engine_chart_t *chart, engine_result_t *res,
                      bool is_new, int64_t now_s);
/* Applies one queued write in its own child transaction of parent. */
void api__pending_apply(api_t *api, store_txn_t *parent, pending_t *p);

/* examples.c */
/* Creates the example cases of doc ({"cases": [...]}, borrowed) when the
 * store holds no case, each step through api__pending_apply as its actor;
 * a refused step is logged and ends its example.  0 or a store error. */
int api__examples_seed(api_t *api, const json_t *doc);

/* write_queue.c */
/* Allocates the empty write-rate table (api->rate); 0 or CASUS_ENOMEM. */
int api__rate_init(api_t *api);
void api__pending_fail(pending_t *p, int err, const char *rule, const char *message);
/* Serialises body (stolen) as the reply to send after the commit. */
void api__pending_ok(pending_t *p, int status, json_t *body);
/* Sends the outcome and frees p. */
void api__pending_reply(api_t *api, pending_t *p);
/* Once per loop iteration: applies the queued writes in one transaction, commits, replies. */
void api__batch_cb(uv_check_t *h);
void api__handle_case_create(call_t *c);
void api__handle_event(call_t *c);
void api__handle_clock(call_t *c);
void api__handle_inbox_read(call_t *c);

/* timers_fire.c */
/* The due time of the earliest timer in the store, or TIMERS_NONE. */
int64_t api__next_due(api_t *api);
/* Fires every timer due at the clock's now, chunk after chunk, without
 * returning to the loop (start-up only); 0 or a store error. */
int api__timers_fire_due(api_t *api);
/* Fires one chunk of due timers; when more are due, the next chunk runs in
 * the next loop iteration, so that other clients are served in between.
 * When none is left it re-arms the clock and answers api->clock_waiters. */
void api__timers_step(api_t *api);
void api__timers_cb(timers_t *t, void *ud);
/* Before a write on a case: fires, in due order and inside txn, those of
 * its timers that are due but wait in a later chunk, so that no event is
 * applied to a case whose deadline has passed unseen.  *case_ (owned) is
 * replaced by the case after them.  0 or an error. */
int api__case_catch_up(api_t *api, store_txn_t *txn, const engine_chart_t *chart, json_t **case_);

/* stream.c */
/* After a commit: every stream gets what was committed for it. */
void api__streams_push(api_t *api);
void api__sub_remove(api_t *api, http_request_t *req);
void api__handle_stream(call_t *c);

/* growth.c */
/* In a group commit, after its requests (batch_requests of them): sweeps
 * expired idempotency records and inbox items, at most
 * LIMIT_SWEEP_PER_COMMIT_BASE + LIMIT_SWEEP_PER_WRITE x batch_requests of
 * each, in a child transaction of parent, so that a failing sweep costs the
 * batch nothing. */
void api__growth_sweep(api_t *api, store_txn_t *parent, int batch_requests);
/* A store of an older casusd gets its idempotency and inbox orders, in
 * transactions of LIMIT_GROWTH_UPGRADE_CHUNK records, before the server
 * listens.  0 or a store error. */
int api__growth_upgrade(api_t *api);

/* metrics.c */
void api__handle_metrics(call_t *c);

/* reads.c */
void api__handle_healthz(call_t *c);
void api__handle_case_get(call_t *c);
void api__handle_history(call_t *c);
void api__handle_inbox(call_t *c);

/* linked.c (the chart's "linked_cases": the other open cases of the same jeugdige) */
/* The key a case is filed under for the "by" path (the gezin's key for the
 * gezin's field, else "l:<path>=<value>"); false when fields hold none. */
bool api__linked_scope(const engine_chart_t *chart, const json_t *fields, const char *path, char *out,
                       size_t size);
/* How many keys of its own "linked_cases" adds to a case of chart (the gezin's is counted there). */
size_t api__linked_scopes_count(const engine_chart_t *chart);
/* For an event of "linked_cases.events": *out = {"<as>": {"<name>": [values]}}
 * (new reference) to give the engine as ctx.extra; NULL for other events or
 * charts.  0 or a store error / CASUS_ENOMEM. */
int api__linked_context(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                        const char *event, const auth_actor_t *actor, json_t **out);

/* gezin.c (R-AUTH-3 for a gezin; the chart's "gezin" declaration) */
/* The key "g:<field>=<within>/<gezin>" the cases of fields' gezin are filed
 * under; false when the chart declares no gezin or fields name none. */
bool api__gezin_scope(const engine_chart_t *chart, const json_t *fields, char *out, size_t size);
/* Before a case is created with data (owned by the caller, may be
 * changed): takes the gezin's shared fields into data where it names none.
 * 0; CASUS_EINVALID_DATA (another value of a shared field, a full gezin) or
 * CASUS_EFORBIDDEN (the gezin holds a case the actor may not see), with
 * *rule and msg; or a store error. */
int api__gezin_join(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const auth_actor_t *actor,
                    json_t *data, const char **rule, char *msg, size_t msg_size);
/* Whether event, accepted on case_, applies to its whole gezin. */
bool api__gezin_event(const engine_chart_t *chart, const json_t *case_, const char *event);
/* Applies event to every other open case of case_'s gezin (case_ is the
 * case after the event), storing each in txn, and records the ids changed
 * in history (case_'s entry, not yet stored).  0, the engine's refusal of a
 * sibling (with *rule and msg), CASUS_EFORBIDDEN, or a store error; on an
 * error the caller aborts txn. */
int api__gezin_apply(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_,
                     const char *event, const json_t *data, const auth_actor_t *actor, json_t *history,
                     const char **rule, char *msg, size_t msg_size);

/* case_list.c */
void api__handle_case_list(call_t *c);

/* ui.c */
/* GET /ui and /ui/...: the werkbank's files, compiled into the binary. */
void api__handle_ui(call_t *c);
void api__handle_openapi(call_t *c);

/* routes.c */
/* Whether role is admin or declared by a loaded chart (an OIDC token's role must be). */
bool api__role_known(const api_t *api, const char *role);
/* The HTTP server's request callback: route, authenticate, dispatch. */
void api__on_request(http_request_t *req, void *ud);

#endif
