/*
 * report.c -- verify_chart and its report: runs the exploration, judges
 * each property and built-in check, builds the traces, and renders the
 * result as JSON (verify_report_json), as a script to replay
 * (verify_report_script) and as text (verify_report_print).
 */
#include <stdlib.h>
#include <string.h>

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

static json_t *checks_build(vexplore_t *x, bool complete) {
  json_t *checks = json_array(), *missing = json_array(), *c;
  char msg[320];
  uint32_t traps, first;
  int i, n = 0;
  /* Every state reachable. */
  for (i = 0; i < x->m.states_count; i++)
    if (!x->state_reached[i]) json_array_append_new(missing, json_string(x->m.states[i].name));
  if (json_array_size(missing) == 0)
    snprintf(msg, sizeof(msg), "all %d states are reached", x->m.states_count);
  else
    snprintf(msg, sizeof(msg), "%zu of %d states are not reached%s", json_array_size(missing),
             x->m.states_count,
             complete ? ": unreachable" : " within the bound (raise --depth or --max-states)");
  c = coverage_new("states_reachable", json_array_size(missing), complete, msg);
  if (json_array_size(missing) > 0) json_object_set(c, "missing", missing);
  json_array_append_new(checks, c);
  json_decref(missing);
  /* Every transition taken in some run. */
  missing = json_array();
  for (i = 0; i < x->m.trans_count; i++) {
    if (x->m.trans[i].fired) continue;
    json_array_append_new(missing, json_pack("{s:s, s:s}", "transition", x->m.trans[i].path, "event",
                                             x->m.trans[i].event ? x->m.trans[i].event : ""));
    n++;
  }
  if (n == 0)
    snprintf(msg, sizeof(msg), "all %d transitions are taken", x->m.trans_count);
  else
    snprintf(msg, sizeof(msg), "%d of %d transitions are never taken%s", n, x->m.trans_count,
             complete ? "" : " within the bound (raise --depth or --max-states)");
  c = coverage_new("transitions_taken", (size_t)n, complete, msg);
  if (n > 0) json_object_set(c, "missing", missing);
  json_array_append_new(checks, c);
  json_decref(missing);
  /* No trap states. */
  if (check_traps(x, &traps, &first) != 0) {
    json_decref(checks);
    return NULL;
  }
  if (traps == 0) {
    c = check_new("no_trap_state", true, "a terminal state is reachable from every configuration explored");
  } else {
    snprintf(msg, sizeof(msg), "%u configuration%s from which no terminal state is reachable", traps,
             traps == 1 ? "" : "s");
    c = check_new("no_trap_state", false, msg);
    json_object_set_new(c, "count", json_integer(traps));
    json_object_set_new(c, "trace", trace_build(x, first, NULL, NULL));
  }
  json_array_append_new(checks, c);
  json_array_append_new(checks, finding_check(x, "timers_handled", &x->unhandled_timer,
                                              "every timer fired in a state that takes its event"));
  json_array_append_new(checks,
                        finding_check(x, "no_engine_error", &x->engine_error, "the engine never failed"));
  return checks;
}

static json_t *capped_build(const vexplore_t *x) {
  json_t *out = json_array();
  int i;
  for (i = 0; i < x->m.trans_count; i++) {
    const vtrans_t *t = &x->m.trans[i];
    if (!t->capped) continue;
    json_array_append_new(
        out, json_pack("{s:s, s:s, s:I, s:i, s:b}", "transition", t->path, "event", t->event ? t->event : "",
                       "combinations", (json_int_t)t->combinations, "tried", (int)t->tried, "pairs_covered",
                       !t->pairs_uncovered));
  }
  return out;
}

/* Monday 4 January 2027, 09:00 in Amsterdam. */
static int64_t start_default(void) {
  return cal_local_midnight(cal_day_from_ymd(2027, 1, 4)) + 9 * 3600;
}

int verify_chart(const engine_chart_t *chart, const calendar_t *cal, const verify_options_t *opt,
                 verify_report_t **out, char *err, size_t err_size) {
  verify_options_t o = {0, 0, 0};
  vexplore_t x;
  verify_report_t *r;
  json_t *props, *checks, *figures, *bound;
  char start[32];
  uint32_t frontier = 0, expanded = 0, i;
  bool complete;
  int k, rc;
  *out = NULL;
  if (opt != NULL) o = *opt;
  if (o.depth_max == 0) o.depth_max = LIMIT_VERIFY_DEPTH_DEFAULT;
  if (o.states_max == 0) o.states_max = LIMIT_VERIFY_STATES_DEFAULT;
  if (o.start_s == 0) o.start_s = start_default();
  if (o.depth_max < 1 || o.depth_max > LIMIT_VERIFY_DEPTH_MAX) {
    if (err_size) snprintf(err, err_size, "the depth must be 1 to %d", LIMIT_VERIFY_DEPTH_MAX);
    return CASUS_EBAD_REQUEST;
  }
  if (o.states_max > LIMIT_VERIFY_STATES_MAX) {
    if (err_size) snprintf(err, err_size, "at most %d configurations", LIMIT_VERIFY_STATES_MAX);
    return CASUS_EBAD_REQUEST;
  }
  r = calloc(1, sizeof(*r));
  if (r == NULL) return CASUS_ENOMEM;
  rc = explore_init(&x, chart, cal, &o);
  if (rc == 0) rc = explore_run(&x);
  if (rc != 0) {
    explore_free(&x);
    free(r);
    if (err_size) snprintf(err, err_size, "%s", core_err_message(rc));
    return rc;
  }
  for (i = 0; i < x.count; i++) {
    if (x.cfgs[i].flags & CFG_EXPANDED) expanded++;
    if (!(x.cfgs[i].flags & (CFG_EXPANDED | CFG_CLOSED))) frontier++;
  }
  complete = frontier == 0 && !x.states_max_hit;
  props = json_array();
  for (k = 0; k < x.props_count; k++)
    json_array_append_new(props, property_result(&x, &x.props[k], complete));
  checks = checks_build(&x, complete);
  cal_time_format(o.start_s, start, sizeof(start));
  bound = json_pack("{s:i, s:I, s:s}", "depth", o.depth_max, "max_states", (json_int_t)o.states_max, "start",
                    start);
  figures =
      json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b}", "configurations", (json_int_t)x.count,
                "expanded", (json_int_t)expanded, "frontier", (json_int_t)frontier, "steps",
                (json_int_t)x.steps, "attempts", (json_int_t)x.attempts, "refused", (json_int_t)x.refused,
                "depth_reached", x.depth_reached, "complete", complete, "states_max_hit", x.states_max_hit);
  r->json = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:I}", "chart", engine_chart_ref(chart), "bound", bound,
                      "figures", figures, "properties", props, "checks", checks, "capped", capped_build(&x),
                      "clock_moves_capped", (json_int_t)x.clock_moves_capped);
  explore_free(&x);
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
  fprintf(out, "\n  %s; start %s\n",
          json_is_true(json_object_get(f, "complete"))         ? "explored completely"
          : json_is_true(json_object_get(f, "states_max_hit")) ? "stopped at the configurations bound"
                                                               : "stopped at the depth bound",
          json_string_value(json_object_get(b, "start")));
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
    fprintf(out, "\n");
    if (json_object_get(p, "known_failing"))
      fprintf(out, "              known failing (%s): %s\n",
              json_is_true(json_object_get(p, "violated")) ? "still violated" : "holds now: remove the mark?",
              json_string_value(json_object_get(p, "known_failing")));
    if (json_object_get(p, "trace")) trace_print(json_object_get(p, "trace"), out);
  }
  fprintf(out, "  built-in checks:\n");
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
