/*
 * The data the explorer draws from a transition's schema (src/verify/sample.c):
 * one value of each kind of enum value, both sides of each date boundary, a
 * string that differs from what it is compared with and the value it is
 * compared with, unread optional fields left out; every combination when
 * they are few, a pairwise cover within LIMIT_VERIFY_SAMPLES_MAX when not.
 */
#include <string.h>

#include "core/limits.h"
#include "fixture.h"
#include "test.h"
#include "verify/verify_int.h"

/* The samples of the first transition of state "a" on a case in "a" whose fields.owner is "o-1". */
static json_t *draw(const engine_chart_t *c, vmodel_t *m, vtrans_t **tr_out) {
  engine_ctx_t ctx = {c, &vx_cal, cal_local_midnight(cal_day_from_ymd(2027, 1, 4)) + 9 * 3600, NULL, NULL};
  engine_actor_t actor = {"r:member", "r", "o-1"};
  json_t *case_ = json_pack("{s:{s:s, s:s}, s:{}, s:[], s:[s], s:{}, s:b}", "fields", "org", "o-1", "owner",
                            "o-1", "counters", "flags", "state", "a", "timers", "closed", 0);
  json_t *samples;
  int k;
  ASSERT_EQ(model_init(m, c, &vx_cal), 0);
  for (k = 0; k < m->trans_count; k++)
    if (m->trans[k].source >= 0) break;
  ASSERT_LT(k, m->trans_count);
  *tr_out = &m->trans[k];
  samples = sample_draw(m, *tr_out, &ctx, case_, &actor);
  json_decref(case_);
  ASSERT_NOT_NULL(samples);
  return samples;
}

/* Whether some sample has value v (JSON text) at key. */
static bool some(const json_t *samples, const char *key, const char *v_json) {
  json_t *v = json_loads(v_json, JSON_DECODE_ANY, NULL), *s;
  size_t i;
  bool found = false;
  json_array_foreach(samples, i, s) {
    if (json_equal(json_object_get(s, key), v)) found = true;
  }
  json_decref(v);
  return found;
}

TEST(choices_follow_what_the_conditions_compare) {
  const engine_chart_t *c =
      vx_chart("a",
               "{\"a\": {\"transitions\": [{\"event\": \"go\", \"roles\": [\"r\"], \"target\": \"done\","
               "   \"data\": {\"kind\": {\"type\": \"string\", \"required\": true, \"enum\": [\"a\", \"b\", "
               "\"c\", \"d\", \"e\"]},"
               "              \"day\": {\"type\": \"date\", \"required\": true},"
               "              \"note\": {\"type\": \"string\"},"
               "              \"who\": {\"type\": \"string\", \"required\": true}},"
               "   \"guards\": [{\"check\": {\"any\": [{\"path\": \"data.kind\", \"in\": [\"a\", \"b\"]},"
               "                                     {\"path\": \"data.kind\", \"eq\": \"c\"}]}, \"rule\": "
               "\"R-1\", \"message\": \"m\"},"
               "                {\"check\": {\"path\": \"data.day\", \"le\": {\"path\": \"now\"}}, \"rule\": "
               "\"R-2\", \"message\": \"m\"},"
               "                {\"check\": {\"path\": \"fields.owner\", \"ne\": {\"path\": \"data.who\"}}, "
               "\"rule\": \"R-3\","
               "                 \"message\": \"m\"}]}]},"
               " \"done\": {\"type\": \"final\", \"terminal\": true}}",
               NULL);
  vmodel_t m;
  vtrans_t *tr;
  json_t *samples = draw(c, &m, &tr), *s;
  size_t i;
  /* kind: a (for a and b, named by the same condition), c, d (for d and e, named by none);
   * day: today (le now holds) and tomorrow (it fails); who: one that differs from the owner, and the owner.
   */
  ASSERT_EQ(json_array_size(samples), 3 * 2 * 2);
  ASSERT(some(samples, "kind", "\"a\"") && some(samples, "kind", "\"c\"") && some(samples, "kind", "\"d\""));
  ASSERT(!some(samples, "kind", "\"b\"") && !some(samples, "kind", "\"e\""));
  ASSERT(some(samples, "day", "\"2027-01-04\"") && some(samples, "day", "\"2027-01-05\""));
  ASSERT(some(samples, "who", "\"who-1\"") && some(samples, "who", "\"o-1\""));
  json_array_foreach(samples, i, s) {
    ASSERT_NULL(json_object_get(s, "note")); /* nothing reads it */
  }
  ASSERT(!tr->capped);
  json_decref(samples);
  model_free(&m);
}

TEST(many_choices_are_covered_pairwise_within_the_limit) {
  char states[8192], guards[4096];
  size_t len = 0, glen = 0;
  int f, g, v, w;
  const char *vals[] = {"p", "q", "r", "s"};
  vmodel_t m;
  vtrans_t *tr;
  json_t *samples, *s;
  size_t i;
  len += (size_t)snprintf(
      states + len, sizeof(states) - len,
      "{\"a\": {\"transitions\": [{\"event\": \"go\", \"roles\": [\"r\"], \"target\": \"done\", "
      "\"data\": {");
  for (f = 0; f < 7; f++) {
    len += (size_t)snprintf(
        states + len, sizeof(states) - len,
        "%s\"f%d\": {\"type\": \"string\", \"required\": true, \"enum\": [\"p\", \"q\", \"r\", "
        "\"s\"]}",
        f ? ", " : "", f);
    for (v = 0; v < 3; v++)
      glen += (size_t)snprintf(guards + glen, sizeof(guards) - glen,
                               "%s{\"path\": \"data.f%d\", \"eq\": \"%s\"}", f || v ? ", " : "", f, vals[v]);
  }
  snprintf(states + len, sizeof(states) - len,
           "}, \"guards\": [{\"check\": {\"any\": [%s]}, \"rule\": \"R-1\", \"message\": \"m\"}]}]},"
           " \"done\": {\"type\": \"final\", \"terminal\": true}}",
           guards);
  samples = draw(vx_chart("a", states, NULL), &m, &tr);
  /* 4^7 combinations: too many; a pairwise cover is far fewer. */
  ASSERT(tr->capped);
  ASSERT(!tr->pairs_uncovered);
  ASSERT_EQ(tr->combinations, 16384);
  ASSERT_LE(json_array_size(samples), LIMIT_VERIFY_SAMPLES_MAX);
  ASSERT_EQ(tr->tried, json_array_size(samples));
  for (f = 0; f < 7; f++)
    for (g = f + 1; g < 7; g++)
      for (v = 0; v < 4; v++)
        for (w = 0; w < 4; w++) {
          char kf[8], kg[8];
          bool found = false;
          snprintf(kf, sizeof(kf), "f%d", f);
          snprintf(kg, sizeof(kg), "f%d", g);
          json_array_foreach(samples, i, s) {
            if (strcmp(json_string_value(json_object_get(s, kf)), vals[v]) == 0 &&
                strcmp(json_string_value(json_object_get(s, kg)), vals[w]) == 0)
              found = true;
          }
          if (!found) fprintf(stderr, "  pair f%d=%s f%d=%s not covered\n", f, vals[v], g, vals[w]);
          ASSERT(found);
        }
  json_decref(samples);
  model_free(&m);
}

TEST(optional_objects_arrays_and_the_create_body) {
  const engine_chart_t *c = vx_chart(
      "a",
      "{\"a\": {\"transitions\": [{\"event\": \"go\", \"roles\": [\"r\"], \"target\": \"done\","
      "   \"data\": {\"plan\": {\"type\": \"object\", \"properties\": {"
      "                 \"end\": {\"type\": \"date\", \"required\": true},"
      "                 \"label\": {\"type\": \"string\", \"required\": true}}},"
      "              \"talks\": {\"type\": \"array\", \"required\": true, \"min_items\": 2, \"max_items\": 5,"
      "                          \"items\": {\"type\": \"string\", \"max_length\": 3}}},"
      "   \"actions\": [{\"set\": \"fields.plan\", \"value\": {\"path\": \"data.plan\"}},"
      "                 {\"set\": \"fields.talks\", \"value\": {\"path\": \"data.talks\"}}]},"
      "  {\"event\": \"check\", \"roles\": [\"r\"], \"when\": {\"path\": \"fields.plan.end\", \"exists\": "
      "true}}]},"
      " \"done\": {\"type\": \"final\", \"terminal\": true}}",
      NULL);
  vmodel_t m;
  vtrans_t *tr;
  json_t *samples = draw(c, &m, &tr), *s;
  size_t i;
  bool absent = false, present = false, two = false, five = false;
  /* plan is copied into a field a condition reads: present (with its required fields) and absent;
   * talks is copied into a field nothing reads: one value, at its minimum size. */
  json_array_foreach(samples, i, s) {
    const json_t *plan = json_object_get(s, "plan"), *talks = json_object_get(s, "talks");
    if (plan == NULL) absent = true;
    if (plan != NULL && json_is_string(json_object_get(plan, "end")) &&
        json_is_string(json_object_get(plan, "label")))
      present = true;
    if (json_array_size(talks) == 2) two = true;
    if (json_array_size(talks) == 5) five = true;
    ASSERT(json_string_length(json_array_get(talks, 0)) <= 3);
  }
  ASSERT(absent && present && two && !five);
  json_decref(samples);
  model_free(&m);
}

#define TEST_LIST(X)                                    \
  X(choices_follow_what_the_conditions_compare)         \
  X(many_choices_are_covered_pairwise_within_the_limit) \
  X(optional_objects_arrays_and_the_create_body)

TEST_MAIN(TEST_LIST)
