/*
 * report.c -- verify_chart and its report: runs the exploration, judges
 * each property and built-in check, builds the traces, and renders the
 * result as JSON (verify_report_json), as a script to replay
 * (verify_report_script) and as text (verify_report_print).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "verify/verify_int.h"

struct verify_report_s {
  json_t *json;
  const json_t *script; /* borrowed from json */
  bool ok;
};

static const char *const kind_names[] = {"always", "never", "reach", "reach"};

static json_t *property_result(vexplore_t *x, const vprop_t *p, bool complete) {
  bool reach = p->kind == PROP_REACH_STATE || p->kind == PROP_REACH_EVENT;
  bool violated = reach ? p->witness == VERIFY_NONE : p->witness != VERIFY_NONE;
  json_t *r = json_pack("{s:s, s:s, s:s}", "name", p->name, "rule", p->rule, "kind", kind_names[p->kind]);
  char msg[320];
  if (r == NULL) return NULL;
  if (p->known_failing != NULL) {
    json_object_set_new(r, "result", json_string("known_failing"));
    json_object_set_new(r, "known_failing", json_string(p->known_failing));
    json_object_set_new(r, "violated", json_boolean(violated));
  } else {
    json_object_set_new(r, "result", json_string(violated ? "violated" : "ok"));
  }
  if (reach) {
    const char *what = p->kind == PROP_REACH_STATE ? x->m.states[p->state].name : p->event;
    snprintf(msg, sizeof(msg), violated ? "%s \"%s\" is not reached%s" : "%s \"%s\" is reached",
             p->kind == PROP_REACH_STATE ? "state" : "event", what, complete ? "" : " within the bound");
    json_object_set_new(r, "message", json_string(msg));
  } else if (violated) {
    json_object_set_new(r, "message",
                        json_string(p->kind == PROP_ALWAYS ? "a reachable configuration breaks it"
                                                           : "a reachable configuration has it"));
    json_object_set_new(r, "trace", trace_build(x, p->witness, NULL, NULL));
  }
  /* Found past the search's bound: a counterexample, not a shortest one. */
  if (p->witness != VERIFY_NONE && (x->cfgs[p->witness].flags & CFG_WALK))
    json_object_set_new(r, "found_by", json_string("walk"));
  return r;
}

static json_t *check_new(const char *name, bool ok, const char *message) {
  return json_pack("{s:s, s:s, s:s}", "name", name, "result", ok ? "ok" : "failed", "message", message);
}

/* A coverage check that missed something: a finding when the exploration
 * was complete, "bounded" (not a failure) when it stopped at a bound. */
static json_t *coverage_new(const char *name, size_t missed, bool complete, const char *message) {
  return json_pack("{s:s, s:s, s:s}", "name", name, "result",
                   missed == 0 ? "ok"
                   : complete  ? "failed"
                               : "bounded",
                   "message", message);
}

static json_t *finding_check(vexplore_t *x, const char *name, const vfinding_t *f, const char *ok_message) {
  json_t *c;
  char msg[400];
  if (f->count == 0) return check_new(name, true, ok_message);
  snprintf(msg, sizeof(msg), "%s (%u step%s)", f->message, f->count, f->count == 1 ? "" : "s");
  c = check_new(name, false, msg);
  json_object_set_new(c, "count", json_integer(f->count));
  json_object_set_new(c, "trace", trace_build(x, f->from, f->step, f->message));
  return c;
}

enum { FIRED_WALK = 1, FIRED_BFS = 2 };

/* What the slices found, gathered as each is explored. */
typedef struct {
  bool *reached;          /* per state: in some configuration of some slice */
  bool *region_complete;  /* per region (by state index): its slice explored completely */
  uint8_t *fired;         /* per transition: 0 never, FIRED_WALK only by a random walk, FIRED_BFS */
  json_t *props;          /* the properties' results, in the chart's order (null until judged) */
  json_t *trap;           /* the first no_trap_state finding, or NULL */
  json_t *timer, *engine; /* the first timers_handled and no_engine_error findings */
  json_t *capped;         /* object: transition path -> its entry */
  json_t *slices;         /* array: what each slice kept and explored */
  uint64_t configurations, expanded, frontier, steps, attempts, refused, clock_moves_capped;
  uint64_t walks, walk_steps;
  int walk_depth_reached;
  uint32_t traps;
  int depth_reached;
  bool complete, states_max_hit;
} vtally_t;

static void tally_free(vtally_t *t) {
  free(t->reached);
  free(t->region_complete);
  free(t->fired);
  json_decref(t->props);
  json_decref(t->trap);
  json_decref(t->timer);
  json_decref(t->engine);
  json_decref(t->capped);
  json_decref(t->slices);
}

static int tally_init(vtally_t *t, const vmodel_t *m) {
  size_t i, n = json_array_size(json_object_get(m->doc, "properties"));
  memset(t, 0, sizeof(*t));
  t->reached = calloc((size_t)m->states_count + 1, sizeof(bool));
  t->region_complete = calloc((size_t)m->states_count + 1, sizeof(bool));
  t->fired = calloc((size_t)m->trans_count + 1, sizeof(uint8_t));
  t->props = json_array();
  t->capped = json_object();
  t->slices = json_array();
  t->complete = true;
  if (t->reached == NULL || t->region_complete == NULL || t->fired == NULL || t->props == NULL ||
      t->capped == NULL || t->slices == NULL)
    return CASUS_ENOMEM;
  for (i = 0; i < n; i++) json_array_append_new(t->props, json_null());
  return 0;
}

/* Gathers what slice s (explored in x, in `seconds`) found. */
static int tally_add(vtally_t *t, vexplore_t *x, const vslice_t *s, double seconds) {
  uint32_t frontier = 0, expanded = 0, i, traps, first;
  bool complete;
  int k;
  size_t j;
  json_t *v, *entry;
  char what[96];
  for (i = 0; i < x->count; i++) {
    if (x->cfgs[i].flags & CFG_WALK) continue;
    if (x->cfgs[i].flags & CFG_EXPANDED) expanded++;
    if (!(x->cfgs[i].flags & (CFG_EXPANDED | CFG_CLOSED))) frontier++;
  }
  complete = frontier == 0 && !x->states_max_hit;
  for (k = 0; k < x->props_count; k++) {
    json_t *r = property_result(x, &x->props[k], complete);
    if (r == NULL) return CASUS_ENOMEM;
    json_array_set_new(t->props, (size_t)x->props[k].index, r);
  }
  for (k = 0; k < x->m.states_count; k++)
    if (x->state_reached[k]) t->reached[k] = true;
  json_array_foreach(s->regions, j, v) {
    t->region_complete[json_integer_value(v)] = complete;
  }
  for (k = 0; k < x->m.trans_count; k++) {
    const vtrans_t *tr = &x->m.trans[k];
    json_t *c;
    if (tr->fired_bfs)
      t->fired[k] = FIRED_BFS;
    else if (tr->fired && t->fired[k] == 0)
      t->fired[k] = FIRED_WALK;
    if (!tr->capped) continue;
    c = json_object_get(t->capped, tr->path);
    if (c != NULL && json_integer_value(json_object_get(c, "combinations")) >= (json_int_t)tr->combinations)
      continue;
    json_object_set_new(t->capped, tr->path,
                        json_pack("{s:s, s:s, s:I, s:i, s:b}", "transition", tr->path, "event",
                                  tr->event ? tr->event : "", "combinations", (json_int_t)tr->combinations,
                                  "tried", (int)tr->tried, "pairs_covered", !tr->pairs_uncovered));
  }
  if (check_traps(x, &traps, &first) != 0) return CASUS_ENOMEM;
  if (traps > 0 && t->trap == NULL) {
    char msg[320];
    snprintf(msg, sizeof(msg), "%u configuration%s from which no terminal state is reachable", traps,
             traps == 1 ? "" : "s");
    t->trap = check_new("no_trap_state", false, msg);
    json_object_set_new(t->trap, "count", json_integer(traps));
    json_object_set_new(t->trap, "trace", trace_build(x, first, NULL, NULL));
  }
  t->traps += traps;
  if (x->unhandled_timer.count > 0 && t->timer == NULL)
    t->timer = finding_check(x, "timers_handled", &x->unhandled_timer, "");
  if (x->engine_error.count > 0 && t->engine == NULL)
    t->engine = finding_check(x, "no_engine_error", &x->engine_error, "");
  t->configurations += x->count - x->walk_cfgs;
  t->walks += x->walks;
  t->walk_steps += x->walk_steps;
  if (x->walk_depth_reached > t->walk_depth_reached) t->walk_depth_reached = x->walk_depth_reached;
  t->expanded += expanded;
  t->frontier += frontier;
  t->steps += x->steps;
  t->attempts += x->attempts;
  t->refused += x->refused;
  t->clock_moves_capped += x->clock_moves_capped;
  if (x->depth_reached > t->depth_reached) t->depth_reached = x->depth_reached;
  if (!complete && !x->answered) t->complete = false;
  if (x->states_max_hit) t->states_max_hit = true;
  slice_describe(&x->m, s, what, sizeof(what));
  entry = json_pack("{s:s, s:[], s:[], s:I, s:I, s:I, s:i, s:b, s:I, s:f, s:{s:I, s:I, s:i}}", "keeps", what,
                    "regions", "properties", "configurations", (json_int_t)(x->count - x->walk_cfgs),
                    "expanded", (json_int_t)expanded, "steps", (json_int_t)x->steps, "depth_reached",
                    x->depth_reached, "complete", complete, "traps", (json_int_t)traps, "time_s", seconds,
                    "walks", "count", (json_int_t)x->walks, "steps", (json_int_t)x->walk_steps,
                    "depth_reached", x->walk_depth_reached);
  if (entry == NULL) return CASUS_ENOMEM;
  json_array_foreach(s->regions, j, v) {
    json_array_append_new(json_object_get(entry, "regions"),
                          json_string(x->m.states[json_integer_value(v)].name));
  }
  for (k = 0; k < x->props_count; k++)
    json_array_append_new(json_object_get(entry, "properties"), json_string(x->props[k].name));
  json_object_set_new(entry, "cone", slice_vars(&x->m, s));
  json_object_set_new(entry, "answered", json_boolean(x->answered));
  return json_array_append_new(t->slices, entry) == 0 ? 0 : CASUS_ENOMEM;
}

static json_t *checks_build(const vtally_t *t, const vmodel_t *m) {
  json_t *checks = json_array(), *missing = json_array(), *walks_only, *c;
  char msg[320];
  bool bounded = false;
  int i, n = 0;
  /* Every state reachable: a state its region's slice explored completely
   * without meeting is unreachable; otherwise it may lie beyond the bound. */
  for (i = 0; i < m->states_count; i++)
    if (!t->reached[i]) {
      json_array_append_new(missing, json_string(m->states[i].name));
      if (!t->region_complete[m->states[i].region]) bounded = true;
    }
  if (json_array_size(missing) == 0)
    snprintf(msg, sizeof(msg), "all %d states are reached", m->states_count);
  else
    snprintf(msg, sizeof(msg), "%zu of %d states are not reached%s", json_array_size(missing),
             m->states_count,
             !bounded ? ": unreachable" : " within the bound (raise --depth or --max-states)");
  c = coverage_new("states_reachable", json_array_size(missing), !bounded, msg);
  if (json_array_size(missing) > 0) json_object_set(c, "missing", missing);
  json_array_append_new(checks, c);
  json_decref(missing);
  /* Every transition taken in some run. */
  missing = json_array();
  walks_only = json_array();
  bounded = false;
  for (i = 0; i < m->trans_count; i++) {
    const vtrans_t *tr = &m->trans[i];
    if (t->fired[i] == FIRED_WALK)
      json_array_append_new(
          walks_only, json_pack("{s:s, s:s}", "transition", tr->path, "event", tr->event ? tr->event : ""));
    if (t->fired[i]) continue;
    json_array_append_new(
        missing, json_pack("{s:s, s:s}", "transition", tr->path, "event", tr->event ? tr->event : ""));
    if (tr->source < 0 ? !t->complete : !t->region_complete[m->states[tr->source].region]) bounded = true;
    n++;
  }
  if (n == 0)
    snprintf(msg, sizeof(msg), "all %d transitions are taken", m->trans_count);
  else
    snprintf(msg, sizeof(msg), "%d of %d transitions are never taken%s", n, m->trans_count,
             bounded ? " within the bound (raise --depth or --max-states)" : "");
  c = coverage_new("transitions_taken", (size_t)n, !bounded, msg);
  if (n > 0) json_object_set(c, "missing", missing);
  /* Taken, but only past the search's bound by a random walk: not every
   * configuration around them was explored. */
  if (json_array_size(walks_only) > 0) json_object_set(c, "walks_only", walks_only);
  json_array_append_new(checks, c);
  json_decref(missing);
  json_decref(walks_only);
  json_array_append_new(checks, t->trap ? json_incref(t->trap)
                                        : check_new("no_trap_state", true,
                                                    "a terminal state is reachable from every configuration "
                                                    "explored"));
  json_array_append_new(checks, t->timer ? json_incref(t->timer)
                                         : check_new("timers_handled", true,
                                                     "every timer fired in a state that takes its event"));
  json_array_append_new(checks, t->engine ? json_incref(t->engine)
                                          : check_new("no_engine_error", true, "the engine never failed"));
  return checks;
}

static json_t *capped_build(const vtally_t *t) {
  json_t *out = json_array(), *v;
  const char *k;
  json_object_foreach(t->capped, k, v) {
    json_array_append(out, v);
  }
  return out;
}

/* Monday 4 January 2027, 09:00 in Amsterdam. */
static int64_t start_default(void) {
  return cal_local_midnight(cal_day_from_ymd(2027, 1, 4)) + 9 * 3600;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether every name in only (comma-separated) is a property of the chart. */
static bool only_known(const vmodel_t *m, const char *only, char *err, size_t err_size) {
  const char *p = only;
  while (p != NULL && *p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p), k;
    const json_t *prop;
    bool found = false;
    json_array_foreach(json_object_get(m->doc, "properties"), k, prop) {
      const char *name = json_string_value(json_object_get(prop, "name"));
      if (name != NULL && strlen(name) == len && strncmp(name, p, len) == 0) found = true;
    }
    if (!found) {
      if (err_size) snprintf(err, err_size, "the chart has no property \"%.*s\"", (int)len, p);
      return false;
    }
    p = end ? end + 1 : NULL;
  }
  return true;
}

/* Explores every slice of the plan into the tally. */
static int slices_run(const engine_chart_t *chart, const calendar_t *cal, const verify_options_t *o,
                      vtally_t *t, vmodel_t *m) {
  vslice_t *slices = NULL;
  int n = 0, i, rc = slice_plan(m, o->whole, o->only, &slices, &n);
  for (i = 0; i < n && rc == 0; i++) {
    vexplore_t x;
    double t0 = cpu_seconds();
    rc = explore_init(&x, chart, cal, o, &slices[i]);
    if (rc == 0) rc = explore_run(&x);
    if (rc == 0) rc = tally_add(t, &x, &slices[i], cpu_seconds() - t0);
    explore_free(&x);
  }
  slice_plan_free(slices, n);
  return rc;
}

int verify_chart(const engine_chart_t *chart, const calendar_t *cal, const verify_options_t *opt,
                 verify_report_t **out, char *err, size_t err_size) {
  verify_options_t o = {0, 0, 0, false, NULL, 0, 0};
  vmodel_t m;
  vtally_t t;
  verify_report_t *r;
  json_t *checks, *figures, *bound;
  char start[32];
  int rc;
  *out = NULL;
  if (opt != NULL) o = *opt;
  if (o.depth_max == 0) o.depth_max = LIMIT_VERIFY_DEPTH_DEFAULT;
  if (o.states_max == 0) o.states_max = LIMIT_VERIFY_STATES_DEFAULT;
  if (o.walks == 0) o.walks = LIMIT_VERIFY_WALKS_DEFAULT;
  if (o.walks > LIMIT_VERIFY_WALKS_MAX) {
    if (err_size) snprintf(err, err_size, "at most %d walks", LIMIT_VERIFY_WALKS_MAX);
    return CASUS_EBAD_REQUEST;
  }
  if (o.start_s == 0) o.start_s = start_default();
  if (o.depth_max < 1 || o.depth_max > LIMIT_VERIFY_DEPTH_MAX) {
    if (err_size) snprintf(err, err_size, "the depth must be 1 to %d", LIMIT_VERIFY_DEPTH_MAX);
    return CASUS_EBAD_REQUEST;
  }
  if (o.states_max > LIMIT_VERIFY_STATES_MAX) {
    if (err_size) snprintf(err, err_size, "at most %d configurations", LIMIT_VERIFY_STATES_MAX);
    return CASUS_EBAD_REQUEST;
  }
  memset(&m, 0, sizeof(m));
  memset(&t, 0, sizeof(t));
  r = calloc(1, sizeof(*r));
  rc = r == NULL ? CASUS_ENOMEM : model_init(&m, chart, cal);
  if (rc == 0 && o.only != NULL && !only_known(&m, o.only, err, err_size)) {
    /* A property the chart does not have: said before anything is explored. */
    model_free(&m);
    free(r);
    return CASUS_EBAD_REQUEST;
  }
  if (rc == 0) rc = tally_init(&t, &m);
  if (rc == 0) rc = slices_run(chart, cal, &o, &t, &m);
  if (rc != 0) {
    tally_free(&t);
    model_free(&m);
    free(r);
    if (err_size) snprintf(err, err_size, "%s", core_err_message(rc));
    return rc;
  }
  checks = o.only ? json_array() : checks_build(&t, &m);
  {
    /* Only the named properties: the others have no result. */
    size_t j;
    json_t *p;
    json_array_foreach(t.props, j, p) {
      if (json_is_null(p)) json_array_remove(t.props, j--);
    }
  }
  cal_time_format(o.start_s, start, sizeof(start));
  bound = json_pack("{s:i, s:I, s:s, s:i, s:I}", "depth", o.depth_max, "max_states", (json_int_t)o.states_max,
                    "start", start, "walks", o.walks < 0 ? 0 : o.walks, "seed", (json_int_t)o.seed);
  figures =
      json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b, s:I}", "configurations",
                (json_int_t)t.configurations, "expanded", (json_int_t)t.expanded, "frontier",
                (json_int_t)t.frontier, "steps", (json_int_t)t.steps, "attempts", (json_int_t)t.attempts,
                "refused", (json_int_t)t.refused, "depth_reached", t.depth_reached, "complete", t.complete,
                "states_max_hit", t.states_max_hit, "slices", (json_int_t)json_array_size(t.slices));
  if (figures != NULL)
    json_object_set_new(figures, "walks",
                        json_pack("{s:I, s:I, s:i}", "count", (json_int_t)t.walks, "steps",
                                  (json_int_t)t.walk_steps, "depth_reached", t.walk_depth_reached));
  r->json =
      json_pack("{s:s, s:o, s:o, s:O, s:o, s:o, s:I, s:O}", "chart", engine_chart_ref(chart), "bound", bound,
                "figures", figures, "properties", t.props, "checks", checks, "capped", capped_build(&t),
                "clock_moves_capped", (json_int_t)t.clock_moves_capped, "slices", t.slices);
  tally_free(&t);
  model_free(&m);
  if (r->json == NULL) {
    free(r);
    return CASUS_ENOMEM;
  }
  /* The verdict, and the first counterexample. */
  {
    const json_t *first_known = NULL, *p, *c;
    size_t j;
    r->ok = true;
    json_array_foreach(json_object_get(r->json, "properties"), j, p) {
      const char *result = json_string_value(json_object_get(p, "result"));
      if (strcmp(result, "violated") == 0) {
        r->ok = false;
        if (r->script == NULL) r->script = json_object_get(p, "trace");
      }
      if (strcmp(result, "known_failing") == 0 && json_is_true(json_object_get(p, "violated")) &&
          first_known == NULL)
        first_known = json_object_get(p, "trace");
    }
    json_array_foreach(json_object_get(r->json, "checks"), j, c) {
      if (strcmp(json_string_value(json_object_get(c, "result")), "failed") == 0) {
        r->ok = false;
        if (r->script == NULL) r->script = json_object_get(c, "trace");
      }
    }
    if (r->script == NULL) r->script = first_known;
  }
  json_object_set_new(r->json, "ok", json_boolean(r->ok));
  *out = r;
  return 0;
}

void verify_report_free(verify_report_t *report) {
  if (report == NULL) return;
  json_decref(report->json);
  free(report);
}

bool verify_report_ok(const verify_report_t *report) {
  return report->ok;
}

const json_t *verify_report_json(const verify_report_t *report) {
  return report->json;
}

const json_t *verify_report_script(const verify_report_t *report) {
  return report->script;
}

/* --- text --- */

static void trace_print(const json_t *trace, FILE *out) {
  size_t i, k;
  json_t *s, *leaf;
  fprintf(out, "      %-4s %-25s %-18s %-32s %s\n", "step", "clock", "role", "event", "data -> state after");
  json_array_foreach(trace, i, s) {
    const json_t *data = json_object_get(s, "data");
    char *d = json_is_object(data) && json_object_size(data) > 0 ? core_json_dumps(data, JSON_COMPACT) : NULL;
    char event[96];
    if (json_is_true(json_object_get(s, "clock"))) {
      size_t n = json_array_size(json_object_get(s, "timers"));
      snprintf(event, sizeof(event), "(clock%s%zu timer%s)", n ? ": " : "", n, n == 1 ? "" : "s");
      if (n == 0) snprintf(event, sizeof(event), "(clock)");
    } else {
      snprintf(event, sizeof(event), "%s%s", json_string_value(json_object_get(s, "event")),
               json_is_true(json_object_get(s, "create")) ? " (create)" : "");
    }
    fprintf(out, "      %-4lld %-25s %-18s %-32s ", (long long)json_integer_value(json_object_get(s, "step")),
            json_string_value(json_object_get(s, "now")), json_string_value(json_object_get(s, "role")),
            event);
    if (d != NULL) fprintf(out, "%.200s%s ", d, strlen(d) > 200 ? "..." : "");
    fprintf(out, "->");
    json_array_foreach(json_object_get(s, "state"), k, leaf) {
      fprintf(out, "%s%s", k ? ", " : " ", json_string_value(leaf));
    }
    fprintf(out, "\n");
    json_array_foreach(json_object_get(s, "timers"), k, leaf) {
      fprintf(out, "           timer %s (due %s) fired %s: %s\n",
              json_string_value(json_object_get(leaf, "timer")),
              json_string_value(json_object_get(leaf, "due")),
              json_string_value(json_object_get(leaf, "event")),
              json_is_true(json_object_get(leaf, "taken")) ? "taken" : "not taken");
    }
    if (json_object_get(s, "message"))
      fprintf(out, "           ! %s\n", json_string_value(json_object_get(s, "message")));
    free(d);
  }
}

void verify_report_print(const verify_report_t *report, FILE *out, double elapsed_s) {
  const json_t *j = report->json, *f = json_object_get(j, "figures"), *b = json_object_get(j, "bound"), *p;
  size_t i;
  fprintf(out, "%s: %s\n", json_string_value(json_object_get(j, "chart")), report->ok ? "ok" : "FAILED");
  fprintf(out,
          "  explored %lld configurations (%lld expanded, %lld left at the bound), %lld steps taken of %lld "
          "tried, ",
          (long long)json_integer_value(json_object_get(f, "configurations")),
          (long long)json_integer_value(json_object_get(f, "expanded")),
          (long long)json_integer_value(json_object_get(f, "frontier")),
          (long long)json_integer_value(json_object_get(f, "steps")),
          (long long)json_integer_value(json_object_get(f, "attempts")));
  fprintf(out, "depth %lld of %lld", (long long)json_integer_value(json_object_get(f, "depth_reached")),
          (long long)json_integer_value(json_object_get(b, "depth")));
  if (elapsed_s >= 0) fprintf(out, ", %.1f s", elapsed_s);
  if (json_integer_value(json_object_get(json_object_get(f, "walks"), "count")) > 0)
    fprintf(out, "\n  then %lld random walks past the bound: %lld steps, depth %lld (a search, not a proof)",
            (long long)json_integer_value(json_object_get(json_object_get(f, "walks"), "count")),
            (long long)json_integer_value(json_object_get(json_object_get(f, "walks"), "steps")),
            (long long)json_integer_value(json_object_get(json_object_get(f, "walks"), "depth_reached")));
  fprintf(out, "\n  %s; start %s\n",
          json_is_true(json_object_get(f, "states_max_hit")) ? "stopped at the configurations bound"
          : json_is_true(json_object_get(f, "complete"))     ? "explored completely"
                                                             : "stopped at the depth bound",
          json_string_value(json_object_get(b, "start")));
  if (json_array_size(json_object_get(j, "slices")) > 1) {
    size_t k;
    json_t *sl, *name;
    fprintf(out, "  %zu slices (each question on the part of the chart that can influence it):\n",
            json_array_size(json_object_get(j, "slices")));
    json_array_foreach(json_object_get(j, "slices"), i, sl) {
      fprintf(out, "    %s: %lld configurations, depth %lld%s; for",
              json_string_value(json_object_get(sl, "keeps")),
              (long long)json_integer_value(json_object_get(sl, "configurations")),
              (long long)json_integer_value(json_object_get(sl, "depth_reached")),
              json_is_true(json_object_get(sl, "complete"))   ? ", complete"
              : json_is_true(json_object_get(sl, "answered")) ? ", stopped: every property answered"
                                                              : "");
      json_array_foreach(json_object_get(sl, "regions"), k, name) {
        fprintf(out, "%s region %s", k ? "," : "", json_string_value(name));
      }
      json_array_foreach(json_object_get(sl, "properties"), k, name) {
        fprintf(out, "%s %s", k || json_array_size(json_object_get(sl, "regions")) ? "," : "",
                json_string_value(name));
      }
      fprintf(out, "\n");
    }
  }
  fprintf(out, "  properties:\n");
  if (json_array_size(json_object_get(j, "properties")) == 0) fprintf(out, "    (none declared)\n");
  json_array_foreach(json_object_get(j, "properties"), i, p) {
    const char *result = json_string_value(json_object_get(p, "result"));
    const char *label = strcmp(result, "ok") == 0         ? "ok"
                        : strcmp(result, "violated") == 0 ? "VIOLATED"
                                                          : "known";
    fprintf(out, "    %-9s %-10s %s (%s)", label, json_string_value(json_object_get(p, "rule")),
            json_string_value(json_object_get(p, "name")), json_string_value(json_object_get(p, "kind")));
    if (json_object_get(p, "message")) fprintf(out, ": %s", json_string_value(json_object_get(p, "message")));
    if (json_object_get(p, "found_by")) fprintf(out, " (found by a random walk: not a shortest trace)");
    fprintf(out, "\n");
    if (json_object_get(p, "known_failing"))
      fprintf(out, "              known failing (%s): %s\n",
              json_is_true(json_object_get(p, "violated")) ? "still violated" : "holds now: remove the mark?",
              json_string_value(json_object_get(p, "known_failing")));
    if (json_object_get(p, "trace")) trace_print(json_object_get(p, "trace"), out);
  }
  fprintf(out, "  built-in checks:%s\n",
          json_array_size(json_object_get(j, "checks")) == 0 ? " not run (only the named properties)" : "");
  json_array_foreach(json_object_get(j, "checks"), i, p) {
    const json_t *missing = json_object_get(p, "missing"), *m;
    size_t k;
    const char *result = json_string_value(json_object_get(p, "result"));
    fprintf(out, "    %-9s %-18s %s\n",
            strcmp(result, "ok") == 0        ? "ok"
            : strcmp(result, "bounded") == 0 ? "bounded"
                                             : "FAILED",
            json_string_value(json_object_get(p, "name")), json_string_value(json_object_get(p, "message")));
    json_array_foreach(missing, k, m) {
      if (json_is_string(m))
        fprintf(out, "              %s\n", json_string_value(m));
      else
        fprintf(out, "              %s (%s)\n", json_string_value(json_object_get(m, "transition")),
                json_string_value(json_object_get(m, "event")));
    }
    if (json_object_get(p, "trace")) trace_print(json_object_get(p, "trace"), out);
  }
  if (json_array_size(json_object_get(j, "capped")) > 0 ||
      json_integer_value(json_object_get(j, "clock_moves_capped")))
    fprintf(out, "  capped:\n");
  json_array_foreach(json_object_get(j, "capped"), i, p) {
    fprintf(out, "    %s (%s): %lld combinations of data, %lld tried, %s\n",
            json_string_value(json_object_get(p, "transition")),
            json_string_value(json_object_get(p, "event")),
            (long long)json_integer_value(json_object_get(p, "combinations")),
            (long long)json_integer_value(json_object_get(p, "tried")),
            json_is_true(json_object_get(p, "pairs_covered")) ? "every pair of choices covered"
                                                              : "NOT every pair of choices covered");
  }
  if (json_integer_value(json_object_get(j, "clock_moves_capped")))
    fprintf(out,
            "    clock moves: %lld configurations had more than %d instants to move to; the latest were left "
            "out\n",
            (long long)json_integer_value(json_object_get(j, "clock_moves_capped")),
            LIMIT_VERIFY_CLOCK_MOVES_MAX);
}
