/*
 * test_roles.c -- the chart's role declarations as auth uses them: whose
 * inbox a role's tasks go to (auth_recipient_for), with the
 * "shared_inbox": false of R-AUTH-3 (tasks never go to every casusregisseur
 * of a gemeente), and how the chart loader checks that key.
 */
#include <jansson.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "engine/engine.h"
#include "test.h"

/* A small chart whose roles are `roles_json`: create by "pr" into a, a -> done. */
static json_t *chart_doc(const char *roles_json) {
  char text[2048];
  json_t *doc;
  snprintf(text, sizeof(text),
           "{\"id\": \"r\", \"version\": 1, \"roles\": %s,"
           " \"create\": [{\"event\": \"open\", \"roles\": [\"pr\"], \"target\": \"a\"}],"
           " \"root\": {\"states\": {"
           "   \"a\": {\"transitions\": [{\"event\": \"finish\", \"roles\": [\"cr\", \"tm\"], \"target\": "
           "\"done\"}]},"
           "   \"done\": {\"type\": \"final\", \"terminal\": true}}}}",
           roles_json);
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  return doc;
}

static engine_chart_t *chart_load(const char *roles_json) {
  engine_chart_t *chart = NULL;
  engine_problems_t p;
  json_t *doc = chart_doc(roles_json);
  int rc = engine_chart_load(doc, &chart, &p);
  json_decref(doc);
  if (rc != 0)
    fprintf(stderr, "  %s: %s\n", p.count ? p.items[0].path : "", p.count ? p.items[0].message : "");
  ASSERT_EQ(rc, 0);
  return chart;
}

/* Asserts that roles_json gives a problem at $.roles.<role> whose message contains `words`. */
static void refused(const char *roles_json, const char *role, const char *words) {
  engine_problems_t p;
  char path[64];
  json_t *doc = chart_doc(roles_json);
  int n = engine_chart_check(doc, &p), i;
  bool found = false;
  json_decref(doc);
  snprintf(path, sizeof(path), "$.roles.%s", role);
  for (i = 0; i < n && i < ENGINE_PROBLEMS_MAX; i++)
    if (strcmp(p.items[i].path, path) == 0 && strstr(p.items[i].message, words) != NULL) found = true;
  if (!found) fprintf(stderr, "  %s: %d problems, first %s\n", roles_json, n, n ? p.items[0].message : "");
  ASSERT(found);
}

#define ROLES                                                                                             \
  "{\"pr\": {\"org_field\": \"gemeente\"},"                                                               \
  " \"cr\": {\"org_field\": \"gemeente\", \"actor_field\": \"casusregisseur\", \"shared_inbox\": false}," \
  " \"tm\": {\"org_field\": \"gemeente\", \"actor_field\": \"teamlead\"}}"

static bool recipient(const engine_chart_t *chart, const char *fields_json, const char *role, char *out) {
  char text[512];
  json_t *c;
  bool ok;
  snprintf(text, sizeof(text), "{\"id\": \"c-1\", \"fields\": %s}", fields_json);
  c = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(c);
  out[0] = '\0';
  ok = auth_recipient_for(chart, c, role, out, AUTH_RECIPIENT_BYTES_MAX);
  json_decref(c);
  return ok;
}

/* R-AUTH-3: a role with "shared_inbox": false gets its tasks only in the assigned person's inbox; a case
 * without one gives that role none (the chart gives the procesregisseur a task to assign one). A role
 * without the key keeps the shared inbox of its organisation when no person is assigned. */
TEST(shared_inbox_false_only_the_assigned_person_R_AUTH_3) {
  char out[AUTH_RECIPIENT_BYTES_MAX];
  engine_chart_t *chart = chart_load(ROLES);
  ASSERT(recipient(chart, "{\"gemeente\": \"rotterdam\", \"casusregisseur\": \"cr-7\"}", "cr", out));
  ASSERT_STR_EQ(out, "actor:cr-7");
  ASSERT(!recipient(chart, "{\"gemeente\": \"rotterdam\"}", "cr", out));
  ASSERT(recipient(chart, "{\"gemeente\": \"rotterdam\"}", "tm", out));
  ASSERT_STR_EQ(out, "org:rotterdam/tm");
  ASSERT(recipient(chart, "{\"gemeente\": \"rotterdam\", \"teamlead\": \"tm-2\"}", "tm", out));
  ASSERT_STR_EQ(out, "actor:tm-2");
  ASSERT(recipient(chart, "{\"gemeente\": \"rotterdam\"}", "pr", out));
  ASSERT_STR_EQ(out, "org:rotterdam/pr");
  engine_chart_free(chart);
}

TEST(shared_inbox_is_checked) {
  refused(
      "{\"pr\": {\"org_field\": \"g\"}, \"cr\": {\"org_field\": \"g\", \"actor_field\": \"c\", "
      "\"shared_inbox\": 0},"
      " \"tm\": {\"org_field\": \"g\"}}",
      "cr", "\"shared_inbox\" must be true or false");
  refused(
      "{\"pr\": {\"org_field\": \"g\"}, \"cr\": {\"org_field\": \"g\", \"shared_inbox\": false},"
      " \"tm\": {\"org_field\": \"g\"}}",
      "cr", "needs \"actor_field\"");
  engine_chart_free(
      chart_load("{\"pr\": {\"org_field\": \"g\"}, \"cr\": {\"org_field\": \"g\", \"shared_inbox\": true},"
                 " \"tm\": {\"org_field\": \"g\"}}"));
}

/* Loads a configuration with one region "rijnmond" (gemeente rotterdam) and one actor of `role` in `org`. */
static int config_with(const char *role, const char *org, char *err, size_t err_size) {
  auth_config_t cfg;
  char text[512];
  json_t *doc;
  int rc;
  snprintf(
      text, sizeof(text),
      "{\"regions\": {\"rijnmond\": {\"chart\": \"c\", \"gemeenten\": [\"rotterdam\"]}},"
      " \"actors\": [{\"id\": \"a-1\", \"role\": \"%s\", \"org\": \"%s\", \"token_sha256\": \"%064d\"}]}",
      role, org, 1);
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  err[0] = '\0';
  rc = auth_config_load(&cfg, doc, err, err_size);
  json_decref(doc);
  if (rc == 0) auth_config_free(&cfg);
  return rc;
}

/* R-ESC-10: the zorgbemiddelingsteam belongs to a region, like the contractmanager (its chart role has
 * "org_field": "regio"): an actor of either role whose org is not a region is refused at load. */
TEST(zbt_and_contractmanager_belong_to_a_region_R_ESC_10) {
  char err[256];
  ASSERT(auth_role_org_is_region("zbt") && auth_role_org_is_region("contractmanager"));
  ASSERT(!auth_role_org_is_region("casusregisseur") && !auth_role_org_is_region(NULL));
  ASSERT_EQ(config_with("zbt", "rijnmond", err, sizeof(err)), 0);
  ASSERT_EQ(config_with("contractmanager", "rijnmond", err, sizeof(err)), 0);
  ASSERT_EQ(config_with("zbt", "rotterdam", err, sizeof(err)), CASUS_ECONFIG_INVALID);
  ASSERT_STR_EQ(err, "zbt \"a-1\": its org must be a region name");
  ASSERT_EQ(config_with("contractmanager", "jbrr", err, sizeof(err)), CASUS_ECONFIG_INVALID);
  ASSERT_STR_EQ(err, "contractmanager \"a-1\": its org must be a region name");
  ASSERT_EQ(config_with("casusregisseur", "rotterdam", err, sizeof(err)), 0);
}

#define TEST_LIST(X)                                      \
  X(shared_inbox_false_only_the_assigned_person_R_AUTH_3) \
  X(shared_inbox_is_checked)                              \
  X(zbt_and_contractmanager_belong_to_a_region_R_ESC_10)

TEST_MAIN(TEST_LIST)
