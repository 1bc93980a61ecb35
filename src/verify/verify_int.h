/*
 * verify_int.h -- the verifier's internals (private to src/verify/).
 *
 * The files, each calling only the ones above it in this list:
 *
 *   model.c    what the verifier knows of a chart: its states, transitions
 *              and roles by JSON walk, the paths its conditions read, the
 *              literals they compare with, the dates "now" is compared to
 *   slice.c    the cone of influence of a question: the part of the chart
 *              (variables, events) an exploration needs (slice_*)
 *   sample.c   event data drawn from a transition's schema (sample_*)
 *   key.c      the canonical key of a configuration and its SHA-256 (key_*)
 *   seen.c     the table of keys seen (seen_*)
 *   step.c     one step on a case: create, event, clock move, with the run
 *              record it leaves (step_*); the explorer and the trace replay
 *              both take their steps here
 *   explore.c  the breadth-first exploration and the checks made on the way
 *   check.c    the checks made afterwards (coverage, trap states)
 *   trace.c    counterexamples, replayed from the create
 *   report.c   the report (JSON, text) and verify_chart
 */
#ifndef CASUS_VERIFY_INT_H
#define CASUS_VERIFY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/sha256.h"
#include "engine/engine.h"
#include "verify/verify.h"

#define VERIFY_NONE UINT32_MAX
#define VERIFY_PATH_BYTES_MAX 192

/* --- model.c --- */

/* Walks a chart node (an object, an array, or below): on_node (may be NULL)
 * sees every object before its members, on_path every "path" and "from"
 * string, the chart's reads.  Nesting beyond VERIFY_WALK_DEPTH_MAX is not
 * walked (a chart that deep is refused at load anyway). */
#define VERIFY_WALK_DEPTH_MAX 64
typedef void (*verify_walk_node_fn)(const json_t *node, void *ud);
typedef void (*verify_walk_path_fn)(const json_t *path, void *ud);
void verify__reads_walk(const json_t *node, verify_walk_node_fn on_node, verify_walk_path_fn on_path,
                        void *ud);
/* Whether p names the event's data ("data" or "data.…"). */
bool verify__is_data_path(const char *p);
/* The values an "in" operator's argument may hold: the array itself, or
 * for a {"table": {"name", "column"}} value every element of the lists in
 * that column of the chart's table (a catalogue's "combineerbaar_met"),
 * once each.  A new array (empty for any other value). */
json_t *verify__in_items(const json_t *doc, const json_t *arg);

typedef struct {
  const char *name;
  int parent; /* -1 for the root */
  bool final, parallel;
  int region; /* its region: the nearest state, itself or above, that is the root or a child of a parallel one
               */
  char path[VERIFY_PATH_BYTES_MAX];
} vstate_t;

typedef struct vplan_s vplan_t;

typedef struct {
  const json_t *json; /* the transition (borrowed from the chart document) */
  const char *event;
  int source; /* index of its state, -1 for a create entry */
  char path[VERIFY_PATH_BYTES_MAX];
  vplan_t *plan;        /* how its data is drawn (sample.c), built on first use */
  bool fired;           /* taken in some run (breadth first or on a random walk) */
  bool fired_bfs;       /* taken by the breadth-first search */
  uint32_t walk_taken;  /* times the random walks took it: they favour the transitions taken least */
  bool when_reads_data; /* the "when" of a transition of its event reads the event's data */
  /* The largest choice of data seen, when it was more than was tried. */
  bool capped, pairs_uncovered;
  uint64_t combinations;
  uint32_t tried;
} vtrans_t;

typedef struct {
  const engine_chart_t *chart;
  const calendar_t *cal;
  const json_t *doc; /* the chart document (borrowed) */
  vstate_t *states;
  int states_count;
  vtrans_t *trans;
  int trans_count;
  const json_t **trans_by_ptr; /* the transitions sorted by address, for model_trans_find */
  int *trans_by_ptr_index;
  const char **roles; /* the chart's roles, in its order */
  int roles_count;
  json_t *kept; /* array: the case paths the chart and its properties read ("fields.a.b", "case.x"), sorted */
  bool kept_all_fields;                   /* a path reads "fields" (or the case) whole */
  json_t *run_paths;                      /* array: the run.* paths the properties read, sorted */
  json_t *counters_read;                  /* object: the counters a path reads -> true */
  json_t *flags_read;                     /* object: the flags a has_flag names -> true */
  json_t *counters_sorted, *flags_sorted; /* arrays: their names, sorted */
  bool counters_all, flags_all;           /* a path reads them whole ("counters", "case.flags") */
  json_t *literals;       /* object: every string a condition compares with -> the conditions naming it */
  int conds_count;        /* conditions numbered so far (for literals) */
  json_t *now_exprs;      /* array: the values conditions compare "now" with */
  json_t *state_reads;    /* array: the data.* paths that entry and exit actions and state timers read */
  json_t *server_fields;  /* object: case fields the server sets at create (roles' organisations) */
  bool reads_now_time;    /* a condition reads "now_time": time of day is part of the key */
  bool compares_actor_id; /* a condition reads "actor.id": two members of each role act */
  /* Set by slice_restrict (NULL: the whole chart): the states whose
   * activity is in the key, the timers in the key, the events fired. */
  bool *state_in_key;
  json_t *timers_in_key;   /* object: timer name -> true */
  json_t *events_fired;    /* object: event -> true */
  bool weekday_irrelevant; /* nothing in the slice counts working days */
} vmodel_t;

int model_init(vmodel_t *m, const engine_chart_t *chart, const calendar_t *cal);
void model_free(vmodel_t *m);
/* The index of transition t (borrowed from the chart) in m->trans, or -1. */
int model_trans_find(const vmodel_t *m, const json_t *t);
/* The index of the state called name, or -1. */
int model_state_find(const vmodel_t *m, const char *name);
/* Marks in active (m->states_count entries) the case's active states: its
 * leaves and their ancestors. */
void model_active(const vmodel_t *m, const json_t *case_, bool *active);
/* Whether the key of an open case needs what the properties say of it:
 * when one reads run.last. */
bool model_needs_holds(const vmodel_t *m);
/* Appends to out the values the conditions in node compare "now" with. */
void model_now_exprs_collect(const json_t *node, json_t *out);
/* Whether a and b are dotted paths one of which is the other or lies below it. */
bool model_paths_overlap(const char *a, const char *b);

/* The actors of `role` that see case_ (R-AUTH-2) and so may act on it: a
 * member of the organisation its org_field names, a second one when the
 * chart compares actor ids, and the person its actor_field names.  Fills
 * at most 3 actors (their strings in buf, 3 * 2 * LIMIT_ID_BYTES_MAX bytes)
 * and returns how many. */
#define VERIFY_ACTORS_MAX 3
int model_actors(const vmodel_t *m, const json_t *case_, const char *role, engine_actor_t *out,
                 char buf[VERIFY_ACTORS_MAX][2][LIMIT_ID_BYTES_MAX]);

/* --- slice.c --- */

typedef struct {
  json_t *goal, *observed; /* objects: the variables its questions need, the events they observe */
  json_t *cone;   /* object: the variables kept ("R:<region>", "F:fields.a", "C:n", "G:f", "T:t", "Z", "*") */
  json_t *events; /* object: the events fired -> true */
  json_t *props;  /* array: the indexes of the properties checked in it */
  json_t *regions; /* array: the regions whose states and transitions it covers */
  bool whole;      /* the whole chart: nothing cut */
} vslice_t;

/* The slices that answer every question on the chart: one per region,
 * and one per property that none of those covers; or, whole, one slice
 * with everything.  With only (comma-separated property names), just
 * those properties.  CASUS_ENOMEM. */
int slice_plan(const vmodel_t *m, bool whole, const char *only, vslice_t **out, int *count);
void slice_plan_free(vslice_t *slices, int count);
/* Narrows m (fresh from model_init) to s: the key keeps only the cone,
 * the explorer fires only its events, the run record holds what its
 * properties read.  CASUS_ENOMEM. */
int slice_restrict(vmodel_t *m, const vslice_t *s);
/* "k of n regions, e of m events". */
void slice_describe(const vmodel_t *m, const vslice_t *s, char *buf, size_t size);
/* What the slice keeps, by name: {"vars": [...], "events": [...]} (new). */
json_t *slice_vars(const vmodel_t *m, const vslice_t *s);

/* --- sample.c --- */

/* Draws the data samples of transition tr for actor on case_ at ctx->now_s
 * (a create entry when case_ is NULL): a new array of data objects (json
 * null for a transition without a data schema), at most
 * LIMIT_VERIFY_SAMPLES_MAX; records on tr when the choices were capped.
 * NULL when out of memory. */
json_t *sample_draw(vmodel_t *m, vtrans_t *tr, const engine_ctx_t *ctx, const json_t *case_,
                    const engine_actor_t *actor);
void sample_plan_free(vplan_t *plan);

/* --- key.c --- */

/* The key of a configuration: case_ with its run record at now_s.  holds
 * (explore_holds) is what the properties say of it; it is needed (and
 * used) for a closed case, which has no future, and when a property reads
 * run.last (model_needs_holds), and is NULL otherwise. */
int key_digest(const vmodel_t *m, const json_t *case_, const json_t *run, int64_t now_s, const json_t *holds,
               uint8_t out[SHA256_DIGEST_BYTES]);

/* --- seen.c --- */

typedef struct {
  uint32_t *slots; /* config ids, VERIFY_NONE when empty */
  uint32_t mask;
  uint32_t used;
} vseen_t;

int seen_init(vseen_t *s);
void seen_free(vseen_t *s);
/* The id of the configuration whose digest (digest_of(ud, id)) is digest,
 * or VERIFY_NONE. */
typedef const uint8_t *(*seen_digest_fn)(void *ud, uint32_t id);
uint32_t seen_find(const vseen_t *s, const uint8_t digest[SHA256_DIGEST_BYTES], seen_digest_fn digest_of,
                   void *ud);
/* Adds id (whose digest is digest; not yet in the table).  CASUS_ENOMEM. */
int seen_add(vseen_t *s, const uint8_t digest[SHA256_DIGEST_BYTES], uint32_t id, seen_digest_fn digest_of,
             void *ud);

/* --- step.c --- */

#define VERIFY_TAKEN_MAX 64

/* What one step did, beyond the case it left. */
typedef struct {
  int err;              /* 0, a refusal (CASUS_EFORBIDDEN ...), or an engine error */
  char message[320];    /* the engine's sentence for err, or the finding (a timer without handler) */
  bool unhandled_timer; /* a timer fired in a state where no transition takes its event */
  json_t *timers;       /* array of the timers a clock move fired: {"timer", "event", "due", "taken"} */
  const json_t *taken[VERIFY_TAKEN_MAX]; /* transitions the step took (the event's, the timers'), */
  int taken_count;                       /* the first VERIFY_TAKEN_MAX of them */
} vstep_info_t;

void step_info_clear(vstep_info_t *info);
/* A new run record: run (borrowed; NULL: the empty one) after `event` was
 * taken by `role` on case_before (borrowed: its active states are last.from)
 * with the engine's effects (borrowed, may be NULL: the tasks opened and closed). */
json_t *step_run_after(const vmodel_t *m, const json_t *run, const char *event, const char *role,
                       const json_t *case_before, const json_t *effects);
/* Creates the case with actor and data at ctx->now_s (the server's extra
 * fields added) and checks that the actor sees it.  0 with *case_out and
 * *run_out (new references), or the refusal in info->err. */
int step_create(vmodel_t *m, const engine_ctx_t *ctx, const engine_actor_t *actor, const json_t *data,
                json_t **case_out, json_t **run_out, vstep_info_t *info);
/* Applies event with data by actor. */
int step_event(vmodel_t *m, const engine_ctx_t *ctx, const json_t *case_, const json_t *run,
               const char *event, const json_t *data, const engine_actor_t *actor, json_t **case_out,
               json_t **run_out, vstep_info_t *info);
/* Moves the clock to to_s: fires every timer due by then in due order
 * (ties by name) at its due time, then stands at to_s. */
int step_clock(vmodel_t *m, const json_t *case_, const json_t *run, int64_t to_s, json_t **case_out,
               json_t **run_out, vstep_info_t *info);
/* Whether case_ has a timer due at or before now_s. */
bool step_timer_due(const json_t *case_, int64_t now_s);
/* Whether a refusal: the server answers it with 4xx and nothing changes. */
bool step_refusal(int err);

/* --- explore.c --- */

enum {
  CFG_CLOSED = 1,
  CFG_EXPANDED = 2,
  CFG_CUT = 4, /* a successor was dropped at the states bound */
  CFG_WALK = 8 /* a step of a random walk kept for its trace (walk.c): not in the seen table */
};

typedef struct {
  uint8_t digest[SHA256_DIGEST_BYTES];
  uint32_t parent; /* VERIFY_NONE for a created case */
  uint16_t depth;  /* steps from the create, which is 1 */
  uint8_t flags;
  int64_t now_s;
  char *step;    /* the step that made it (compact JSON: see trace.c) */
  char *pending; /* {"case", "run"} until expanded (compact JSON), or NULL */
  uint32_t *succ;
  uint32_t succ_count, succ_cap;
} vcfg_t;

/* A finding made on one step: the configuration it was taken from and the
 * step, replayed by the trace. */
typedef struct {
  uint32_t from; /* VERIFY_NONE: found on a create */
  char *step;    /* compact JSON of the step */
  char message[320];
  uint32_t count; /* how many steps found it */
} vfinding_t;

enum { PROP_ALWAYS, PROP_NEVER, PROP_REACH_STATE, PROP_REACH_EVENT };

typedef struct {
  const json_t *json;
  const char *name, *rule, *known_failing;
  int index; /* in the chart's "properties" */
  int kind;
  const json_t *cond;
  int state;         /* PROP_REACH_STATE */
  const char *event; /* PROP_REACH_EVENT */
  uint32_t witness;  /* the first configuration that violates (always, never) or reaches (reach) */
} vprop_t;

typedef struct {
  vmodel_t m;
  verify_options_t opt;
  vprop_t *props;
  int props_count;
  vcfg_t *cfgs;
  uint32_t count, cap;
  vseen_t seen;
  bool *state_reached;
  json_t *events_taken; /* object: event -> true */
  vfinding_t unhandled_timer, engine_error;
  uint64_t steps, attempts, refused;
  uint32_t clock_moves_capped;
  int depth_reached;
  bool states_max_hit;
  bool coverage; /* the slice answers for regions: explore it to the bound */
  bool answered; /* stopped early: every property of the slice has its witness */
  /* The random walks (walk.c) after the breadth-first search. */
  bool walking;               /* a walk is taking steps: taken_note marks transitions as walked */
  uint32_t walks, walk_steps; /* walks run, steps they took */
  uint32_t walk_cfgs;         /* configurations kept for a walk's trace (CFG_WALK) */
  uint32_t clock_walk_taken;  /* clock moves the walks took (weighted like a transition) */
  int walk_depth_reached;
  uint64_t walk_rng; /* xorshift64* state, seeded from verify_options_t.seed */
} vexplore_t;

/* An exploration of slice (its model narrowed, its properties loaded). */
int explore_init(vexplore_t *x, const engine_chart_t *chart, const calendar_t *cal,
                 const verify_options_t *opt, const vslice_t *slice);
int explore_run(vexplore_t *x);
/* Whether the condition of each "always" and "never" property holds on
 * case_ with run at now_s (null for the other properties): a new array,
 * NULL when out of memory. */
json_t *explore_holds(vexplore_t *x, const json_t *case_, const json_t *run, int64_t now_s);
void explore_free(vexplore_t *x);
/* Shared with walk.c: a finding on a step from `from`; the properties on a
 * configuration met for the first time (holds from explore_holds, active
 * from model_active); what a step took; a step's compact JSON (new); the
 * instants the clock may move to (at most LIMIT_VERIFY_CLOCK_MOVES_MAX). */
void explore_finding_note(vfinding_t *f, uint32_t from, const char *step, const char *message);
void explore_props_check(vexplore_t *x, uint32_t id, const json_t *holds, const bool *active);
void explore_taken_note(vexplore_t *x, const vstep_info_t *info, uint32_t id);
char *explore_step_text(bool create, const engine_actor_t *a, const char *event, const json_t *data);
int explore_clock_moves(vexplore_t *x, const json_t *case_, int64_t now_s, int64_t *out);
/* A new configuration slot (grown past the states bound for walk steps):
 * its index, or VERIFY_NONE when out of memory. */
uint32_t explore_cfg_new(vexplore_t *x, uint32_t limit);
/* Whether every question of a slice without coverage duties is answered
 * (each property has its witness): the search and the walks stop there. */
bool explore_answered(const vexplore_t *x);

/* --- walk.c --- */

/* Random walks from the configurations the breadth-first search left at
 * its bound (its frontier), down to the depth bound: x->opt.walks walks, each
 * step drawn among what the case allows, favouring the transitions taken
 * least.  What they find joins the search's findings; a walk that finds
 * something keeps its steps (CFG_WALK) for the trace.  0 or CASUS_ENOMEM. */
int walk_run(vexplore_t *x);

/* --- check.c --- */

/* The configurations from which no closed case is reachable within what
 * was explored (configurations not expanded count as able to): their
 * number, and the first in *first (VERIFY_NONE when none).  CASUS_ENOMEM. */
int check_traps(const vexplore_t *x, uint32_t *count, uint32_t *first);

/* --- trace.c --- */

/* The trace from the create to configuration id, then `last` (a step
 * JSON, may be NULL) taken from it, each step replayed with the engine:
 * a new array (see verify_report_json), or NULL when out of memory. */
json_t *trace_build(vexplore_t *x, uint32_t id, const char *last, const char *last_message);

#endif
