/*
 * The verifier on small charts made for one finding each: a "never"
 * violated at depth 3 with exactly the shortest trace, an unreachable
 * state, a trap state, a timer that fires where nothing takes its event,
 * a "reach" that fails, the run record (run.*), known failures, a timer
 * that re-arms at once, and deduplication bounding a chart that loops.
 */
#include <string.h>

#include "core/error.h"
#include "core/limits.h"
#include "fixture.h"
#include "test.h"

/* a --go(kind y)--> b --next--> c --finish--> done; a --detour--> d --more--> e --last--> c. */
#define ROUTES                                                                                             \
  "{\"a\": {\"transitions\": ["                                                                            \
  "   {\"event\": \"go\", \"roles\": [\"r\"], \"target\": \"b\","                                          \
  "    \"data\": {\"kind\": {\"type\": \"string\", \"required\": true, \"enum\": [\"x\", \"y\", \"z\"]}}," \
  "    \"guards\": [{\"check\": {\"path\": \"data.kind\", \"eq\": \"y\"}, \"rule\": \"R-T-1\", "           \
  "\"message\": "                                                                                          \
  "\"y only\"}]},"                                                                                         \
  "   {\"event\": \"detour\", \"roles\": [\"r\"], \"target\": \"d\"}]},"                                   \
  " \"b\": {\"transitions\": [{\"event\": \"next\", \"roles\": [\"r\"], \"target\": \"c\"}]},"             \
  " \"d\": {\"transitions\": [{\"event\": \"more\", \"roles\": [\"r\"], \"target\": \"e\"}]},"             \
  " \"e\": {\"transitions\": [{\"event\": \"last\", \"roles\": [\"r\"], \"target\": \"c\"}]},"             \
  " \"c\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"        \
  " \"done\": {\"type\": \"final\", \"terminal\": true}}"

TEST(never_violated_at_depth_3_with_the_shortest_trace) {
  const engine_chart_t *c = vx_chart(
      "a", ROUTES, "[{\"name\": \"never_c\", \"rule\": \"R-T-2\", \"never\": {\"in_state\": \"c\"}}]");
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *trace = json_object_get(vx_property("never_c"), "trace"), *step;
  char events[256];
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("never_c"), "violated");
  /* The shortest way in, not the detour: open, go with the one kind the guard takes, next. */
  ASSERT_STR_EQ(vx_trace_events(trace, events, sizeof(events)), "open go next");
  step = json_array_get(trace, 0);
  ASSERT(json_is_true(json_object_get(step, "create")));
  ASSERT_STR_EQ(json_string_value(json_object_get(step, "role")), "r");
  ASSERT_STR_EQ(json_string_value(json_object_get(step, "now")), "2027-01-04T09:00:00+01:00");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(step, "actor"), "org")),
                json_string_value(json_object_get(json_object_get(step, "data"), "org")));
  step = json_array_get(trace, 1);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(step, "data"), "kind")), "y");
  step = json_array_get(trace, 2);
  ASSERT_EQ(json_array_size(json_object_get(step, "state")), 1);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(step, "state"), 0)), "c");
  /* The first counterexample is the script to replay. */
  ASSERT(verify_report_script(r) == trace);
  /* The rest of the chart is fine and was explored completely. */
  ASSERT_STR_EQ(vx_result("states_reachable"), "ok");
  ASSERT_STR_EQ(vx_result("transitions_taken"), "ok");
  ASSERT_STR_EQ(vx_result("no_trap_state"), "ok");
  ASSERT(json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "complete")));
}

TEST(run_record_says_what_happened_before) {
  const engine_chart_t *c = vx_chart(
      "a", ROUTES,
      "[{\"name\": \"no_detour_to_c\", \"rule\": \"R-T-3\", \"never\": {\"all\": [{\"in_state\": \"c\"},"
      "   {\"path\": \"run.events.detour\", \"eq\": true}]}},"
      " {\"name\": \"c_entered_by_next\", \"rule\": \"R-T-4\", \"never\": {\"all\": ["
      "   {\"path\": \"run.last.from.b\", \"eq\": true}, {\"path\": \"run.roles.next.r\", \"eq\": true}]}},"
      " {\"name\": \"last_by_r\", \"rule\": \"R-T-5\", \"always\": {\"any\": [{\"path\": \"run.last.role\", "
      "\"eq\": "
      "\"r\"}, {\"path\": \"run.last.role\", \"eq\": \"system\"}]}}]");
  char events[256];
  vx_verify(c, 0, 0);
  ASSERT_STR_EQ(vx_result("no_detour_to_c"), "violated");
  ASSERT_STR_EQ(
      vx_trace_events(json_object_get(vx_property("no_detour_to_c"), "trace"), events, sizeof(events)),
      "open detour more last");
  ASSERT_STR_EQ(vx_result("c_entered_by_next"), "violated");
  ASSERT_STR_EQ(
      vx_trace_events(json_object_get(vx_property("c_entered_by_next"), "trace"), events, sizeof(events)),
      "open go next");
  ASSERT_STR_EQ(vx_result("last_by_r"), "ok");
}

TEST(known_failing_passes_exit_but_keeps_the_trace) {
  const engine_chart_t *c = vx_chart(
      "a", ROUTES,
      "[{\"name\": \"never_c\", \"rule\": \"R-T-2\", \"never\": {\"in_state\": \"c\"}, \"known_failing\": "
      "\"the next issue fixes it\"},"
      " {\"name\": \"never_f\", \"rule\": \"R-T-7\", \"never\": {\"path\": \"fields.f\", \"eq\": 1},"
      "  \"known_failing\": \"fixed since\"}]");
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *p = vx_property("never_c");
  ASSERT(verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("never_c"), "known_failing");
  ASSERT(json_is_true(json_object_get(p, "violated")));
  ASSERT_NOT_NULL(json_object_get(p, "trace"));
  /* A known failure that holds now says so. */
  ASSERT_STR_EQ(vx_result("never_f"), "known_failing");
  ASSERT(json_is_false(json_object_get(vx_property("never_f"), "violated")));
  /* With no real failure, the script is the known failure's trace. */
  ASSERT(verify_report_script(r) == json_object_get(p, "trace"));
}

/* "ghost" has a way in whose guard reads a field nothing sets. */
#define GHOST                                                                                           \
  "{\"a\": {\"transitions\": ["                                                                         \
  "   {\"event\": \"haunt\", \"roles\": [\"r\"], \"target\": \"ghost\","                                \
  "    \"guards\": [{\"check\": {\"path\": \"fields.spirit\", \"eq\": true}, \"rule\": \"R-T-8\", "     \
  "\"message\": "                                                                                       \
  "\"no\"}]},"                                                                                          \
  "   {\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"                             \
  " \"ghost\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]}," \
  " \"done\": {\"type\": \"final\", \"terminal\": true}}"

TEST(unreachable_state_and_untaken_transitions) {
  const engine_chart_t *c = vx_chart("a", GHOST, NULL);
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *missing = json_object_get(vx_check("states_reachable"), "missing");
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("states_reachable"), "failed");
  ASSERT_EQ(json_array_size(missing), 1);
  ASSERT_STR_EQ(json_string_value(json_array_get(missing, 0)), "ghost");
  ASSERT_STR_EQ(vx_result("transitions_taken"), "failed");
  missing = json_object_get(vx_check("transitions_taken"), "missing");
  ASSERT_EQ(json_array_size(missing), 2); /* haunt, and finish from ghost */
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(missing, 0), "transition")),
                "$.root.states.a.transitions[0]");
  ASSERT_STR_EQ(vx_result("no_trap_state"), "ok");
}

TEST(reach_that_fails_and_reach_that_holds) {
  const engine_chart_t *c =
      vx_chart("a", GHOST,
               "[{\"name\": \"ghost_seen\", \"rule\": \"R-T-9\", \"reach\": {\"state\": \"ghost\"}},"
               " {\"name\": \"haunted\", \"rule\": \"R-T-9\", \"reach\": {\"event\": \"haunt\"}},"
               " {\"name\": \"ends\", \"rule\": \"R-T-10\", \"reach\": {\"state\": \"done\"}},"
               " {\"name\": \"finishes\", \"rule\": \"R-T-10\", \"reach\": {\"event\": \"finish\"}}]");
  const verify_report_t *r = vx_verify(c, 0, 0);
  ASSERT_STR_EQ(vx_result("ghost_seen"), "violated");
  ASSERT_STR_EQ(vx_result("haunted"), "violated");
  ASSERT_STR_EQ(vx_result("ends"), "ok");
  ASSERT_STR_EQ(vx_result("finishes"), "ok");
  /* Within a bound too small to get there, a reach fails and coverage is only bounded. */
  r = vx_verify(c, 1, 0);
  ASSERT_STR_EQ(vx_result("ends"), "violated");
  ASSERT(strstr(json_string_value(json_object_get(vx_property("ends"), "message")), "within the bound") !=
         NULL);
  ASSERT_STR_EQ(vx_result("states_reachable"), "bounded");
  ASSERT_STR_EQ(vx_result("transitions_taken"), "bounded");
  ASSERT(!json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "complete")));
}

TEST(trap_state) {
  const engine_chart_t *c =
      vx_chart("a",
               "{\"a\": {\"transitions\": [{\"event\": \"jam\", \"roles\": [\"r\"], \"target\": \"stuck\"},"
               "                         {\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"
               " \"stuck\": {\"status\": \"vast\"},"
               " \"done\": {\"type\": \"final\", \"terminal\": true}}",
               NULL);
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *check = vx_check("no_trap_state"), *trace = json_object_get(check, "trace");
  char events[128];
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("no_trap_state"), "failed");
  ASSERT_GE(json_integer_value(json_object_get(check, "count")), 1);
  ASSERT_STR_EQ(vx_trace_events(trace, events, sizeof(events)), "open jam");
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(json_array_get(trace, 1), "state"), 0)),
                "stuck");
}

TEST(timer_fires_where_nothing_takes_its_event) {
  const engine_chart_t *c = vx_chart(
      "a",
      "{\"a\": {\"transitions\": ["
      "   {\"event\": \"go\", \"roles\": [\"r\"], \"target\": \"b\","
      "    \"actions\": [{\"arm\": \"t1\", \"event\": \"ping\", \"after\": {\"days\": 2}}]},"
      "   {\"event\": \"ping\", \"roles\": [\"system\"]}]},"
      " \"b\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"
      " \"done\": {\"type\": \"final\", \"terminal\": true}}",
      NULL);
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *check = vx_check("timers_handled"), *trace = json_object_get(check, "trace"), *last;
  char events[128];
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("timers_handled"), "failed");
  ASSERT(strstr(json_string_value(json_object_get(check, "message")), "\"ping\"") != NULL);
  /* open, go, then the clock: the last step fires the timer, at 00:00 after its due day. */
  ASSERT_STR_EQ(vx_trace_events(trace, events, sizeof(events)), "open go (clock)");
  last = json_array_get(trace, 2);
  ASSERT(json_is_true(json_object_get(last, "clock")));
  ASSERT_STR_EQ(
      json_string_value(json_object_get(json_array_get(json_object_get(last, "timers"), 0), "timer")), "t1");
  ASSERT(json_is_false(json_object_get(json_array_get(json_object_get(last, "timers"), 0), "taken")));
  ASSERT_NOT_NULL(json_object_get(last, "message"));
}

TEST(timer_that_comes_due_again_at_once_is_an_engine_finding) {
  const engine_chart_t *c = vx_chart(
      "a",
      "{\"a\": {\"timers\": [{\"name\": \"tick\", \"event\": \"tick\", \"after\": {\"days\": 0},"
      "                     \"fires\": \"start_of_day\"}],"
      "        \"transitions\": [{\"event\": \"tick\", \"roles\": [\"system\"], \"target\": \"a\"},"
      "                          {\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"
      " \"done\": {\"type\": \"final\", \"terminal\": true}}",
      NULL);
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *check = vx_check("no_engine_error");
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("no_engine_error"), "failed");
  ASSERT(strstr(json_string_value(json_object_get(check, "message")), "timers keep coming due") != NULL);
  ASSERT_EQ(json_array_size(json_object_get(check, "trace")),
            2); /* open, then the clock that never settles */
}

TEST(dedup_bounds_a_chart_that_loops) {
  /* Back and forth for ever, counting on the way: nothing reads the counter,
   * so the configurations are a, b and the closed case. */
  const engine_chart_t *c = vx_chart(
      "a",
      "{\"a\": {\"transitions\": [{\"event\": \"flip\", \"roles\": [\"r\"], \"target\": \"b\","
      "                           \"actions\": [{\"count\": \"flips\"}, {\"flag\": \"flipped\"}]},"
      "                          {\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"
      " \"b\": {\"transitions\": [{\"event\": \"flop\", \"roles\": [\"r\"], \"target\": \"a\","
      "                           \"actions\": [{\"unflag\": \"flipped\"}]}]},"
      " \"done\": {\"type\": \"final\", \"terminal\": true}}",
      NULL);
  const verify_report_t *r = vx_verify(c, LIMIT_VERIFY_DEPTH_MAX, 0);
  ASSERT(verify_report_ok(r));
  ASSERT(json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "complete")));
  /* a at 09:00, b, done; and each of a and b a day later (only tomorrow is ahead of a case without timers),
   * which is the same configuration but for the weekday: at most a week of them. */
  ASSERT_LE(vx_figure("configurations"), 1 + 2 * 7);
  ASSERT_LT(vx_figure("depth_reached"), 20);
  /* A counter a condition reads is part of the key: then the loop is cut by the depth. */
  c = vx_chart("a",
               "{\"a\": {\"transitions\": [{\"event\": \"flip\", \"roles\": [\"r\"], \"target\": \"b\","
               "                           \"actions\": [{\"count\": \"flips\"}]},"
               "                          {\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\","
               "                           \"when\": {\"path\": \"counters.flips\", \"ge\": 0}}]},"
               " \"b\": {\"transitions\": [{\"event\": \"flop\", \"roles\": [\"r\"], \"target\": \"a\"}]},"
               " \"done\": {\"type\": \"final\", \"terminal\": true}}",
               NULL);
  r = vx_verify(c, 8, 0);
  ASSERT(!json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "complete")));
  ASSERT_EQ(vx_figure("depth_reached"), 8);
}

/* Three regions: A steps a0 -> a1 -> a2 -> a3 (then done); C's gate opens
 * only while A is in a2; B flips for ever with a value of four that only B
 * reads.  The property is about A and C, so its slice leaves B out. */
#define REGIONS                                                                                           \
  "{\"A\": {\"initial\": \"a0\", \"states\": {"                                                           \
  "   \"a0\": {\"transitions\": [{\"event\": \"step1\", \"roles\": [\"r\"], \"target\": \"a1\"}]},"       \
  "   \"a1\": {\"transitions\": [{\"event\": \"step2\", \"roles\": [\"r\"], \"target\": \"a2\"}]},"       \
  "   \"a2\": {\"transitions\": [{\"event\": \"step3\", \"roles\": [\"r\"], \"target\": \"a3\"}]},"       \
  "   \"a3\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"    \
  "   \"done\": {\"type\": \"final\", \"terminal\": true}}},"                                             \
  " \"B\": {\"initial\": \"b0\", \"states\": {"                                                           \
  "   \"b0\": {\"transitions\": [{\"event\": \"noise\", \"roles\": [\"r\"], \"target\": \"b1\","          \
  "     \"data\": {\"n\": {\"type\": \"string\", \"required\": true, \"enum\": [\"v1\", \"v2\", \"v3\", " \
  "\"v4\"]}},"                                                                                            \
  "     \"actions\": [{\"set\": \"fields.n\", \"value\": {\"path\": \"data.n\"}}]}]},"                    \
  "   \"b1\": {\"transitions\": [{\"event\": \"back\", \"roles\": [\"r\"], \"target\": \"b0\","           \
  "     \"when\": {\"path\": \"fields.n\", \"in\": [\"v1\", \"v2\"]}},"                                   \
  "                                {\"event\": \"back\", \"roles\": [\"r\"], \"target\": \"b0\"}]}}},"    \
  " \"C\": {\"initial\": \"c0\", \"states\": {"                                                           \
  "   \"c0\": {\"transitions\": [{\"event\": \"gate\", \"roles\": [\"r\"], \"target\": \"c1\","           \
  "     \"when\": {\"in_state\": \"a2\"}}]},"                                                             \
  "   \"c1\": {}}}}"

/* What both ways of exploring REGIONS must say. */
static void regions_verdicts(const verify_report_t *r) {
  char events[256];
  ASSERT_STR_EQ(vx_result("a3_only_through_the_gate"), "violated");
  ASSERT_STR_EQ(vx_trace_events(json_object_get(vx_property("a3_only_through_the_gate"), "trace"), events,
                                sizeof(events)),
                "open step1 step2 step3");
  ASSERT_STR_EQ(vx_result("b_flips"), "ok");
  ASSERT_STR_EQ(vx_result("states_reachable"), "ok");
  ASSERT_STR_EQ(vx_result("transitions_taken"), "ok");
  ASSERT_STR_EQ(vx_result("no_trap_state"), "ok");
  ASSERT(json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "complete")));
}

TEST(slices_leave_out_what_cannot_matter_and_agree_with_the_whole) {
  const engine_chart_t *c = vx_chart_parallel(
      "A", REGIONS,
      "[{\"name\": \"a3_only_through_the_gate\", \"rule\": \"R-T-9\","
      "  \"never\": {\"all\": [{\"in_state\": \"a3\"}, {\"not\": {\"in_state\": \"c1\"}}]}},"
      " {\"name\": \"b_flips\", \"rule\": \"R-T-10\", \"reach\": {\"event\": \"back\"}}]");
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *slices = json_object_get(verify_report_json(r), "slices"), *s;
  json_int_t sliced, whole;
  size_t i;
  bool found = false;
  ASSERT(!verify_report_ok(r));
  regions_verdicts(r);
  /* The property's slice keeps A and C and fires none of B's events. */
  json_array_foreach(slices, i, s) {
    const json_t *props = json_object_get(s, "properties"),
                 *ev = json_object_get(json_object_get(s, "cone"), "events");
    size_t k;
    json_t *e;
    if (json_array_size(props) == 0 ||
        strcmp(json_string_value(json_array_get(props, 0)), "a3_only_through_the_gate") != 0)
      continue;
    found = true;
    json_array_foreach(ev, k, e) {
      ASSERT(strcmp(json_string_value(e), "noise") != 0 && strcmp(json_string_value(e), "back") != 0);
    }
  }
  ASSERT(found);
  sliced = vx_figure("configurations");
  /* The whole chart at once finds the same, with B's flips multiplying every configuration. */
  r = vx_verify_whole(c, 0, 0);
  regions_verdicts(r);
  ASSERT_EQ(json_array_size(json_object_get(verify_report_json(r), "slices")), 1);
  whole = vx_figure("configurations");
  ASSERT_LT(sliced, whole);
}

TEST(a_guard_across_regions_keeps_the_other_region_in_the_slice) {
  /* Without the gate's guard on A, C would be alone; with it, a property
   * about C alone still sees A move, and a planted bypass in C is found. */
  const engine_chart_t *c = vx_chart_parallel(
      "A", REGIONS,
      "[{\"name\": \"gate_only_in_a2\", \"rule\": \"R-T-11\","
      "  \"never\": {\"all\": [{\"path\": \"run.last.event\", \"eq\": \"gate\"},"
      "                          {\"not\": {\"path\": \"run.last.from.a2\", \"eq\": true}}]}}]");
  const verify_report_t *r = vx_verify(c, 0, 0);
  const json_t *s = NULL, *v;
  size_t i;
  bool a_kept = false, b_kept = false;
  ASSERT(verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("gate_only_in_a2"), "ok");
  ASSERT(json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "complete")));
  json_array_foreach(json_object_get(verify_report_json(r), "slices"), i, v) {
    if (json_array_size(json_object_get(v, "properties")) > 0) s = v;
  }
  ASSERT_NOT_NULL(s);
  json_array_foreach(json_object_get(json_object_get(s, "cone"), "vars"), i, v) {
    if (strcmp(json_string_value(v), "R:A") == 0) a_kept = true;
    if (strcmp(json_string_value(v), "R:B") == 0) b_kept = true;
  }
  ASSERT(a_kept && !b_kept);
}

#define TASKS(CLOSE)                                                                                \
  "{\"a\": {\"transitions\": [{\"event\": \"go\", \"roles\": [\"r\"], \"target\": \"b\","           \
  "  \"actions\": [{\"task\": {\"kind\": \"judge\", \"to\": [\"r\"], \"title\": \"Judge\"}}]}]},"   \
  " \"b\": {\"transitions\": [{\"event\": \"decide\", \"roles\": [\"r\"], \"target\": \"c\","       \
  "  \"actions\": [" CLOSE                                                                          \
  "]}]},"                                                                                           \
  " \"c\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]}," \
  " \"done\": {\"type\": \"final\", \"terminal\": true}}"
#define DECIDED_CLOSES_TASK                                                     \
  "[{\"name\": \"decision_closes_task\", \"rule\": \"R-T-12\","                 \
  "  \"never\": {\"all\": [{\"path\": \"run.last.event\", \"eq\": \"decide\"}," \
  "                          {\"path\": \"run.tasks.judge\", \"eq\": true}]}}]"

TEST(run_tasks_see_a_task_left_open) {
  /* The run record keeps the kinds of task open on the case: a dropped close_tasks is seen. */
  const verify_report_t *r =
      vx_verify(vx_chart("a", TASKS("{\"close_tasks\": \"judge\"}"), DECIDED_CLOSES_TASK), 0, 0);
  char events[128];
  ASSERT(verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("decision_closes_task"), "ok");
  r = vx_verify(vx_chart("a", TASKS(""), DECIDED_CLOSES_TASK), 0, 0);
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("decision_closes_task"), "violated");
  ASSERT_STR_EQ(
      vx_trace_events(json_object_get(vx_property("decision_closes_task"), "trace"), events, sizeof(events)),
      "open go decide");
}

TEST(a_timer_outside_the_slice_that_comes_due_at_once_does_not_stop_it) {
  /* Entering a1 arms a timer due at once whose event only B takes: outside
   * the slice of the property on A.  It fires first, changing nothing the
   * slice keeps; the exploration must still go on to a2. */
  const engine_chart_t *c = vx_chart_parallel(
      "A",
      "{\"A\": {\"initial\": \"a0\", \"states\": {"
      "   \"a0\": {\"transitions\": [{\"event\": \"s1\", \"roles\": [\"r\"], \"target\": \"a1\"}]},"
      "   \"a1\": {\"timers\": [{\"name\": \"t\", \"event\": \"tick\", \"after\": {\"days\": 0},"
      "                          \"fires\": \"start_of_day\"}],"
      "          \"transitions\": [{\"event\": \"s2\", \"roles\": [\"r\"], \"target\": \"a2\"}]},"
      "   \"a2\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"r\"], \"target\": \"done\"}]},"
      "   \"done\": {\"type\": \"final\", \"terminal\": true}}},"
      " \"B\": {\"initial\": \"b0\", \"states\": {"
      "   \"b0\": {\"transitions\": [{\"event\": \"tick\", \"roles\": [\"system\"],"
      "                            \"actions\": [{\"set\": \"fields.ticked\", \"value\": true}]}]}}}}",
      "[{\"name\": \"never_a2\", \"rule\": \"R-T-13\", \"never\": {\"in_state\": \"a2\"}}]");
  const verify_report_t *r = vx_verify(c, 0, 0);
  char events[128];
  ASSERT_STR_EQ(vx_result("never_a2"), "violated");
  ASSERT_STR_EQ(vx_trace_events(json_object_get(vx_property("never_a2"), "trace"), events, sizeof(events)),
                "open s1 (clock) s2");
  ASSERT_STR_EQ(vx_result("no_trap_state"), "ok");
  ASSERT_STR_EQ(vx_result("states_reachable"), "ok");
  (void)r;
}

TEST(states_bound_stops_the_exploration) {
  const engine_chart_t *c = vx_chart("a", ROUTES, NULL);
  const verify_report_t *r = vx_verify(c, 0, 3);
  ASSERT_EQ(vx_figure("configurations"), 3);
  ASSERT(json_is_true(json_object_get(json_object_get(verify_report_json(r), "figures"), "states_max_hit")));
  ASSERT(verify_report_ok(r)); /* only bounded */
}

/* a --s1--> b --s2--> ... --s9--> j --s10--> deep; in every state "noise" adds one to a counter that
 * s10's guard reads (so it is in the key): breadth first meets a configuration per (state, count) and
 * stops at its bound a few levels down. */
#define NOISE                                                                                \
  "{\"event\": \"noise\", \"roles\": [\"r\"], \"data\": {\"kind\": {\"type\": \"integer\", " \
  "\"required\": true, \"min\": 0, \"max\": 11}}, \"actions\": [{\"count\": \"n\", \"by\": 1}]}"
#define STEP(from, event, to)                                                                         \
  "\"" from "\": {\"transitions\": [{\"event\": \"" event "\", \"roles\": [\"r\"], \"target\": \"" to \
  "\"}, " NOISE "]}, "
#define LADDER \
  "{" STEP("a", "s1", "b") STEP("b", "s2", "c") STEP("c", "s3", "d") STEP("d", "s4", "e") \
      STEP("e", "s5", "f") STEP("f", "s6", "g") STEP("g", "s7", "h") STEP("h", "s8", "i") \
          STEP("i", "s9", "j")                                                            \
              "\"j\": {\"transitions\": [{\"event\": \"s10\", \"roles\": [\"r\"], \"target\": \"deep\", "           \
          "\"guards\": [{\"check\": {\"path\": \"counters.n\", \"le\": 1000}, \"rule\": \"R-T-8\", "          \
          "\"message\": \"n\"}]}, " NOISE "]}, \"deep\": {\"type\": \"final\", \"terminal\": true}}"

TEST(random_walks_find_what_lies_past_the_bound) {
  const engine_chart_t *c = vx_chart(
      "a", LADDER, "[{\"name\": \"never_deep\", \"rule\": \"R-T-9\", \"never\": {\"in_state\": \"deep\"}}]");
  const verify_report_t *r = vx_verify_walks(c, 0, 40, -1, 0);
  const json_t *f, *trace;
  char events[2048];
  /* Without walks the bound hides it: "ok" within the bound. */
  ASSERT(verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("never_deep"), "ok");
  ASSERT_LT(vx_figure("depth_reached"), 11);
  /* With them a walk from the frontier gets there; its trace replays (checked by trace_build) and
   * is marked as a walk's, not a shortest one. */
  r = vx_verify_walks(c, 0, 40, 200, 0);
  ASSERT(!verify_report_ok(r));
  ASSERT_STR_EQ(vx_result("never_deep"), "violated");
  ASSERT_STR_EQ(json_string_value(json_object_get(vx_property("never_deep"), "found_by")), "walk");
  trace = json_object_get(vx_property("never_deep"), "trace");
  ASSERT(json_array_size(trace) >= 11);
  ASSERT_STR_EQ(
      json_string_value(json_object_get(json_array_get(trace, json_array_size(trace) - 1), "event")), "s10");
  f = json_object_get(json_object_get(verify_report_json(r), "figures"), "walks");
  ASSERT(json_integer_value(json_object_get(f, "count")) >= 1);
  ASSERT(json_integer_value(json_object_get(f, "depth_reached")) >= 11);
  /* The breadth-first figures stay the search's own. */
  ASSERT_EQ(vx_figure("configurations"), 40);
  /* The same seed, the same walks. */
  {
    char again[2048];
    json_t *first = json_deep_copy(trace);
    r = vx_verify_walks(c, 0, 40, 200, 0);
    ASSERT_STR_EQ(vx_trace_events(json_object_get(vx_property("never_deep"), "trace"), again, sizeof(again)),
                  vx_trace_events(first, events, sizeof(events)));
    json_decref(first);
  }
  (void)r;
}

TEST(options_out_of_range) {
  const engine_chart_t *c = vx_chart("a", ROUTES, NULL);
  verify_options_t opt = {LIMIT_VERIFY_DEPTH_MAX + 1, 0, 0, false, NULL, 0, 0};
  verify_report_t *r = NULL;
  char err[128];
  ASSERT_EQ(verify_chart(c, &vx_cal, &opt, &r, err, sizeof(err)), CASUS_EBAD_REQUEST);
  ASSERT_NULL(r);
  ASSERT(strstr(err, "depth") != NULL);
  opt.depth_max = 0;
  opt.states_max = LIMIT_VERIFY_STATES_MAX + 1;
  ASSERT_EQ(verify_chart(c, &vx_cal, &opt, &r, err, sizeof(err)), CASUS_EBAD_REQUEST);
  ASSERT_NULL(r);
  opt.states_max = 0;
  opt.walks = LIMIT_VERIFY_WALKS_MAX + 1;
  ASSERT_EQ(verify_chart(c, &vx_cal, &opt, &r, err, sizeof(err)), CASUS_EBAD_REQUEST);
  ASSERT_NULL(r);
  ASSERT(strstr(err, "walks") != NULL);
}

#define TEST_LIST(X)                                                   \
  X(never_violated_at_depth_3_with_the_shortest_trace)                 \
  X(run_record_says_what_happened_before)                              \
  X(known_failing_passes_exit_but_keeps_the_trace)                     \
  X(unreachable_state_and_untaken_transitions)                         \
  X(reach_that_fails_and_reach_that_holds)                             \
  X(trap_state)                                                        \
  X(timer_fires_where_nothing_takes_its_event)                         \
  X(timer_that_comes_due_again_at_once_is_an_engine_finding)           \
  X(dedup_bounds_a_chart_that_loops)                                   \
  X(slices_leave_out_what_cannot_matter_and_agree_with_the_whole)      \
  X(a_guard_across_regions_keeps_the_other_region_in_the_slice)        \
  X(run_tasks_see_a_task_left_open)                                    \
  X(a_timer_outside_the_slice_that_comes_due_at_once_does_not_stop_it) \
  X(states_bound_stops_the_exploration)                                \
  X(random_walks_find_what_lies_past_the_bound)                        \
  X(options_out_of_range)

TEST_MAIN(TEST_LIST)
