/*
 * test_log.c -- core_log and core_log_request, the one way casusd writes a
 * log line (`casusd serve --log-format json|text`, docs/operations.md
 * "Logs"): stderr is pointed at a temporary file while a test logs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "test.h"

static char captured[8192];

/* Runs fn with stderr in a temporary file; leaves what it wrote in captured. */
static void capture(void (*fn)(void)) {
  FILE *tmp = tmpfile();
  int saved;
  size_t n;
  ASSERT_NOT_NULL(tmp);
  fflush(stderr);
  saved = dup(fileno(stderr));
  ASSERT(saved >= 0);
  ASSERT(dup2(fileno(tmp), fileno(stderr)) >= 0);
  fn();
  fflush(stderr);
  ASSERT(dup2(saved, fileno(stderr)) >= 0);
  close(saved);
  rewind(tmp);
  n = fread(captured, 1, sizeof(captured) - 1, tmp);
  captured[n] = '\0';
  fclose(tmp);
}

/* The n-th line (0-based) of captured, parsed as JSON. */
static json_t *json_line(int n) {
  const char *p = captured;
  const char *end;
  char line[4096];
  while (n-- > 0) {
    p = strchr(p, '\n');
    if (p == NULL) return NULL;
    p++;
  }
  end = strchr(p, '\n');
  if (end == NULL || (size_t)(end - p) >= sizeof(line)) return NULL;
  memcpy(line, p, (size_t)(end - p));
  line[end - p] = '\0';
  return json_loads(line, 0, NULL);
}

static void log_text_lines(void) {
  core_log_configure(CORE_LOG_TEXT, false);
  core_log("warn", "store: %s grew\n", "map");
  core_log_request("r-1", "GET", "/healthz", 200, 1.5, NULL); /* no request lines */
}

TEST(text_is_time_name_message) {
  capture(log_text_lines);
  /* "YYYY-MM-DDTHH:MM:SSZ casusd: store: map grew\n": the message's own newline dropped */
  ASSERT_EQ(strlen(captured), 20 + strlen(" casusd: store: map grew\n"));
  ASSERT_EQ(captured[19], 'Z');
  ASSERT_STR_EQ(captured + 20, " casusd: store: map grew\n");
}

static void log_json_lines(void) {
  core_log_configure(CORE_LOG_JSON, true);
  core_log("error", "a \"quoted\"\nline");
  core_log_request("abc:1", "POST", "/v1/cases", 201, 2.25, "pr-rotterdam");
  core_log_request("abc:2", "-", "-", 400, 0.0, "");
  core_log_configure(CORE_LOG_TEXT, false);
}

TEST(json_one_object_per_line) {
  json_t *o;
  capture(log_json_lines);
  o = json_line(0);
  ASSERT_NOT_NULL(o);
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "level")), "error");
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "msg")), "a \"quoted\"\nline");
  ASSERT_EQ(strlen(json_string_value(json_object_get(o, "time"))), strlen("2027-01-04T10:00:00.000Z"));
  json_decref(o);
  o = json_line(1);
  ASSERT_NOT_NULL(o);
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "msg")), "request");
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "request_id")), "abc:1");
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "method")), "POST");
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "path")), "/v1/cases");
  ASSERT_EQ(json_integer_value(json_object_get(o, "status")), 201);
  ASSERT(json_real_value(json_object_get(o, "duration_ms")) == 2.25);
  ASSERT_STR_EQ(json_string_value(json_object_get(o, "actor")), "pr-rotterdam");
  json_decref(o);
  o = json_line(2);
  ASSERT_NOT_NULL(o);
  ASSERT(json_is_null(json_object_get(o, "actor"))); /* "" is no actor */
  json_decref(o);
  ASSERT_NULL(json_line(3));
}

#define TEST_LIST(X)           \
  X(text_is_time_name_message) \
  X(json_one_object_per_line)

TEST_MAIN(TEST_LIST)
