/*
 * test_config_rate_limit.c -- the configuration's "rate_limit" (docs/api.md):
 * the documented default when it is absent, 0 = off, fractional rates, and
 * every malformed value refused with a sentence that names it.
 */
#include <jansson.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "core/limits.h"
#include "test.h"

/* Loads a minimal configuration with `rate_limit_json` as its "rate_limit" (NULL: none). */
static int load(const char *rate_limit_json, auth_config_t *cfg, char *err, size_t err_size) {
  char text[512];
  json_t *doc;
  int rc;
  snprintf(text, sizeof(text),
           "{\"regions\": {\"r\": {\"chart\": \"c\", \"gemeenten\": [\"g\"]}}, \"actors\": []%s%s}",
           rate_limit_json ? ", \"rate_limit\": " : "", rate_limit_json ? rate_limit_json : "");
  doc = json_loads(text, 0, NULL);
  ASSERT_NOT_NULL(doc);
  err[0] = '\0';
  rc = auth_config_load(cfg, doc, err, err_size);
  json_decref(doc);
  return rc;
}

/* Asserts that rate_limit_json is refused with a message containing `says`. */
static void refused(const char *rate_limit_json, const char *says) {
  auth_config_t cfg;
  char err[256];
  ASSERT_EQ(load(rate_limit_json, &cfg, err, sizeof(err)), CASUS_ECONFIG_INVALID);
  if (strstr(err, says) == NULL) fprintf(stderr, "  %s: \"%s\"\n", rate_limit_json, err);
  ASSERT(strstr(err, says) != NULL);
}

TEST(absent_is_the_default) {
  auth_config_t cfg;
  char err[256];
  ASSERT_EQ(load(NULL, &cfg, err, sizeof(err)), 0);
  ASSERT(cfg.rate_writes_per_second == LIMIT_RATE_WRITES_PER_SECOND_DEFAULT);
  ASSERT(cfg.rate_burst == LIMIT_RATE_BURST_DEFAULT);
  ASSERT_EQ(LIMIT_RATE_WRITES_PER_SECOND_DEFAULT, 50); /* as docs/api.md says */
  ASSERT_EQ(LIMIT_RATE_BURST_DEFAULT, 200);
  auth_config_free(&cfg);
}

TEST(set_off_and_partial) {
  auth_config_t cfg;
  char err[256];
  ASSERT_EQ(load("{\"writes_per_second\": 2.5, \"burst\": 3}", &cfg, err, sizeof(err)), 0);
  ASSERT(cfg.rate_writes_per_second == 2.5 && cfg.rate_burst == 3);
  auth_config_free(&cfg);
  ASSERT_EQ(load("{\"writes_per_second\": 0}", &cfg, err, sizeof(err)), 0);
  ASSERT(cfg.rate_writes_per_second == 0); /* off */
  auth_config_free(&cfg);
  /* One key alone keeps the other's default. */
  ASSERT_EQ(load("{\"burst\": 7}", &cfg, err, sizeof(err)), 0);
  ASSERT(cfg.rate_writes_per_second == LIMIT_RATE_WRITES_PER_SECOND_DEFAULT && cfg.rate_burst == 7);
  auth_config_free(&cfg);
  ASSERT_EQ(load("{\"writes_per_second\": 1000000, \"burst\": 1000000, \"description\": \"x\"}", &cfg, err,
                 sizeof(err)),
            0);
  auth_config_free(&cfg);
}

TEST(malformed_is_refused) {
  refused("5", "\"rate_limit\" must be an object");
  refused("{\"writes\": 5}", "unknown key \"writes\" in \"rate_limit\"");
  refused("{\"writes_per_second\": -1}", "\"rate_limit.writes_per_second\" must be a number from 0");
  refused("{\"writes_per_second\": \"5\"}", "\"rate_limit.writes_per_second\" must be a number from 0");
  refused("{\"writes_per_second\": 1000001}", "to 1000000");
  refused("{\"burst\": 0}", "\"rate_limit.burst\" must be a whole number from 1 to 1000000");
  refused("{\"burst\": 2.5}", "\"rate_limit.burst\" must be a whole number");
  refused("{\"burst\": 1000001}", "\"rate_limit.burst\" must be a whole number");
  refused("{\"burst\": null}", "\"rate_limit.burst\" must be a whole number");
}

#define TEST_LIST(X)       \
  X(absent_is_the_default) \
  X(set_off_and_partial)   \
  X(malformed_is_refused)

TEST_MAIN(TEST_LIST)
