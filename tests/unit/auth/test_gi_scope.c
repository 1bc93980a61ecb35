/*
 * test_gi_scope.c -- issue 10's scoping in auth: a region's "gis"
 * (R-TW-1 route C), the roles' "delegate_org_field" and "identity_on_opt_out":
 * "delegate" (the GI sees its route C cases and keeps the identity on
 * opt-out, R-PRIV-1), and "visible_after_notice" (the contractmanager sees
 * only the cases that notified it, R-PRIV-1), with the engine writing the
 * marker it reads.
 */
#include <jansson.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "engine/engine.h"
#include "test.h"

/* --- configuration: "gis" --- */

static int load(const char *regions_json, auth_config_t *cfg, char *err, size_t err_size) {
  char text[1024];
  json_t *doc;
  int rc;
  snprintf(text, sizeof(text), "{\"regions\": %s, \"actors\": []}", regions_json);
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  err[0] = '\0';
  rc = auth_config_load(cfg, doc, err, err_size);
  json_decref(doc);
  return rc;
}

static void refused(const char *regions_json, const char *says) {
  auth_config_t cfg;
  char err[256];
  ASSERT_EQ(load(regions_json, &cfg, err, sizeof(err)), CASUS_ECONFIG_INVALID);
  if (strstr(err, says) == NULL) fprintf(stderr, "  %s: \"%s\"\n", regions_json, err);
  ASSERT(strstr(err, says) != NULL);
}

/* R-TW-1: a region lists the GIs that work for its gemeenten; a GI may serve two regions; a bad list is
 * refused with a sentence that names the problem. */
TEST(region_gis_R_TW_1) {
  auth_config_t cfg;
  char err[256];
  ASSERT_EQ(
      load("{\"rijnmond\": {\"chart\": \"c\", \"gemeenten\": [\"rotterdam\"], \"gis\": [\"jbrr\", \"ldh\"]},"
           " \"zh\": {\"chart\": \"c\", \"gemeenten\": [\"delft\"], \"gis\": [\"ldh\"]},"
           " \"nh\": {\"chart\": \"c\", \"gemeenten\": [\"alkmaar\"]}}",
           &cfg, err, sizeof(err)),
      0);
  ASSERT(auth_region_has_gi(auth_region_of(&cfg, "rotterdam"), "jbrr"));
  ASSERT(auth_region_has_gi(auth_region_of(&cfg, "delft"), "ldh"));
  ASSERT(!auth_region_has_gi(auth_region_of(&cfg, "delft"), "jbrr"));
  ASSERT(!auth_region_has_gi(auth_region_of(&cfg, "alkmaar"), "jbrr")); /* none listed */
  ASSERT(!auth_region_has_gi(NULL, "jbrr"));
  auth_config_free(&cfg);
  refused("{\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"], \"gis\": \"jbrr\"}}",
          "\"gis\" must be an array");
  refused("{\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"], \"gis\": [\"\"]}}", "has an invalid GI");
  refused("{\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"], \"gis\": [7]}}", "has an invalid GI");
  refused("{\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"], \"gis\": [\"a\", \"a\"]}}", "listed twice");
  refused("{\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"], \"gis\": [\"g\"]}}", "the name of a gemeente");
  refused("{\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"], \"gis\": [\"r\"]}}", "or a region");
}

/* --- scoping by the chart's roles --- */

#define CHART                                                                                                \
  "{\"id\": \"r\", \"version\": 1,"                                                                          \
  " \"privacy\": {\"consent_field\": \"ok\", \"identifying_fields\": [\"who\"]},"                            \
  " \"roles\": {\"pr\": {\"org_field\": \"g\", \"delegate_org_field\": \"gi\", \"identity_on_opt_out\": "    \
  "\"delegate\"},"                                                                                           \
  "            \"cm\": {\"org_field\": \"regio\", \"view\": \"anoniem\", \"visible_after_notice\": true,"    \
  "                     \"withhold_free_text\": true}},"                                                     \
  " \"create\": [{\"event\": \"open\", \"roles\": [\"pr\"], \"target\": \"a\", \"data\": {\"g\": "           \
  "{\"type\": \"string\"}}}],"                                                                               \
  " \"root\": {\"states\": {"                                                                                \
  "   \"a\": {\"transitions\": [{\"event\": \"escalate\", \"roles\": [\"pr\"], \"target\": \"b\","           \
  "                              \"actions\": [{\"notify\": {\"kind\": \"k\", \"to\": [\"cm\"], \"title\": " \
  "\"t\"}}]}]},"                                                                                             \
  "   \"b\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"cm\"], \"target\": \"done\"}]},"       \
  "   \"done\": {\"type\": \"final\", \"terminal\": true}}}}"

static engine_chart_t *chart_load(void) {
  engine_chart_t *chart = NULL;
  engine_problems_t p;
  json_t *doc = json_loads(CHART, 0, NULL);
  int rc;
  ASSERT_NOT_NULL(doc);
  rc = engine_chart_load(doc, &chart, &p);
  json_decref(doc);
  if (rc != 0)
    fprintf(stderr, "  %s: %s\n", p.count ? p.items[0].path : "", p.count ? p.items[0].message : "");
  ASSERT_EQ(rc, 0);
  return chart;
}

static auth_actor_t actor(const char *id, const char *role, const char *org) {
  auth_actor_t a;
  memset(&a, 0, sizeof(a));
  snprintf(a.id, sizeof(a.id), "%s", id);
  snprintf(a.role, sizeof(a.role), "%s", role);
  snprintf(a.org, sizeof(a.org), "%s", org);
  return a;
}

/* R-TW-1, R-AUTH-2, R-PRIV-1: the organisation a case is delegated to (its "gi") sees it besides the
 * gemeente, gets the role's tasks, and keeps the identity on opt-out, which the gemeente (the Toegang)
 * does not. */
TEST(delegate_org_sees_gets_tasks_keeps_identity_R_TW_1) {
  engine_chart_t *chart = chart_load();
  json_t *c = json_loads(
      "{\"id\": \"c-1\", \"fields\": {\"g\": \"rotterdam\", \"gi\": \"jbrr\", \"ok\": false}}", 0, NULL);
  json_t *route_a =
      json_loads("{\"id\": \"c-2\", \"fields\": {\"g\": \"rotterdam\", \"ok\": false}}", 0, NULL);
  auth_actor_t gi = actor("pr-gi", "pr", "jbrr"), toegang = actor("pr-r", "pr", "rotterdam"),
               other = actor("pr-x", "pr", "ldh");
  char out[AUTH_RECIPIENT_BYTES_MAX];
  ASSERT(auth_case_visible(chart, &gi, c) && auth_case_visible(chart, &toegang, c));
  ASSERT(!auth_case_visible(chart, &other, c));
  ASSERT(!auth_case_visible(chart, &gi, route_a)); /* no gi: the GI does not see it */
  ASSERT(!auth_case_anonymised(chart, &gi, c));
  ASSERT(auth_case_anonymised(chart, &toegang, c));
  ASSERT(auth_recipient_for(chart, c, "pr", out, sizeof(out)));
  ASSERT_STR_EQ(out, "org:jbrr/pr");
  ASSERT(auth_recipient_for(chart, route_a, "pr", out, sizeof(out)));
  ASSERT_STR_EQ(out, "org:rotterdam/pr");
  json_decref(c);
  json_decref(route_a);
  engine_chart_free(chart);
}

/* R-PRIV-1: a role with "visible_after_notice" does not see its organisation's cases until the engine
 * records that the case notified it ("notified".<role>, written with the transition that notifies);
 * its view withholds free text. */
TEST(visible_after_notice_by_the_engines_marker_R_PRIV_1) {
  engine_chart_t *chart = chart_load();
  engine_ctx_t ctx = {NULL, NULL, 0, NULL, NULL};
  engine_actor_t pr = {"pr-r", "pr", "rotterdam"};
  engine_result_t res;
  auth_actor_t cm = actor("cm-1", "cm", "rijnmond"), cm_other = actor("cm-2", "cm", "elders");
  json_t *body = json_loads("{\"g\": \"rotterdam\"}", 0, NULL),
         *extra = json_loads("{\"regio\": \"rijnmond\"}", 0, NULL), *c;
  memset(&ctx, 0, sizeof(ctx));
  ctx.chart = chart;
  ctx.now_s = 1800000000;
  if (engine_case_create(&ctx, "c-1", body, extra, &pr, &res) != 0) fprintf(stderr, "  %s\n", res.message);
  ASSERT_EQ(res.err, 0);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  ASSERT(json_object_get(c, "notified") == NULL);
  ASSERT(!auth_case_visible(chart, &cm, c));
  ASSERT_EQ(engine_event_apply(&ctx, c, "escalate", NULL, &pr, &res), 0);
  json_decref(c);
  c = json_incref(res.case_);
  engine_result_clear(&res);
  ASSERT(json_is_string(json_object_get(json_object_get(c, "notified"), "cm")));
  ASSERT(auth_case_visible(chart, &cm, c));
  ASSERT(!auth_case_visible(chart, &cm_other, c));
  ASSERT(auth_case_anonymised(chart, &cm, c) && auth_case_withholds_free_text(chart, &cm));
  ASSERT(!auth_case_withholds_free_text(chart, &(auth_actor_t){"pr-r", "pr", "rotterdam", {0}, {0}, false}));
  json_decref(c);
  json_decref(body);
  json_decref(extra);
  engine_chart_free(chart);
}

/* R-AUTH-3: the chart's "gezin" declaration is checked at load: top-level fields, and events of the
 * chart; a good one loads. */
static int gezin_problems(const char *gezin_json, const char *words) {
  char text[2048];
  engine_problems_t p;
  json_t *doc;
  int n, i, found = 0;
  snprintf(
      text, sizeof(text),
      "{\"id\": \"r\", \"version\": 1, \"roles\": {\"pr\": {\"org_field\": \"g\"}}, \"gezin\": %s,"
      " \"create\": [{\"event\": \"open\", \"roles\": [\"pr\"], \"target\": \"a\"}],"
      " \"root\": {\"states\": {\"a\": {\"transitions\": [{\"event\": \"wissel\", \"roles\": [\"pr\"]}]}}}}",
      gezin_json);
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  n = engine_chart_check(doc, &p);
  json_decref(doc);
  for (i = 0; i < n && i < ENGINE_PROBLEMS_MAX; i++)
    if (strncmp(p.items[i].path, "$.gezin", 7) == 0 && words != NULL && strstr(p.items[i].message, words))
      found++;
  if (words != NULL && !found)
    fprintf(stderr, "  %s: %d problems, first %s\n", gezin_json, n, n ? p.items[0].message : "");
  return words == NULL ? n : found;
}

TEST(gezin_declaration_checked_R_AUTH_3) {
  ASSERT_EQ(
      gezin_problems(
          "{\"field\": \"gezin\", \"within\": \"g\", \"shared_fields\": [\"cr\"], \"events\": [\"wissel\"]}",
          NULL),
      0);
  ASSERT(gezin_problems("[]", "must be an object") > 0);
  ASSERT(gezin_problems("{\"within\": \"g\"}", "\"field\" must name a top-level case field") > 0);
  ASSERT(gezin_problems("{\"field\": \"a.b\", \"within\": \"g\"}", "\"field\" must name") > 0);
  ASSERT(gezin_problems("{\"field\": \"f\", \"within\": \"g\", \"events\": [\"nope\"]}",
                        "not an event of this chart") > 0);
  ASSERT(gezin_problems("{\"field\": \"f\", \"within\": \"g\", \"shared_fields\": \"cr\"}",
                        "must be an array") > 0);
}

#define TEST_LIST(X)                                     \
  X(region_gis_R_TW_1)                                   \
  X(delegate_org_sees_gets_tasks_keeps_identity_R_TW_1)  \
  X(visible_after_notice_by_the_engines_marker_R_PRIV_1) \
  X(gezin_declaration_checked_R_AUTH_3)

TEST_MAIN(TEST_LIST)
