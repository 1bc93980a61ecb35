/*
 * test_jsonbody.c -- core_json_body_parse: a request body as a JSON object
 * within the limits of core/limits.h (the decoding every write request of
 * the API goes through; tests/fuzz/fuzz_event_body.c fuzzes it), and
 * core_json_file_load, the operator's files within their byte limits.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "test.h"

/* Parses s; returns the error and leaves the message in msg. */
static int parse(const char *s, size_t len, json_t **out, char *msg, size_t msg_size) {
  return core_json_body_parse(s, len, out, msg, msg_size);
}

/* Nested objects {"a":{"a":...1...}} with `levels` levels below the top object. */
static char *nested(int levels) {
  size_t cap = (size_t)levels * 6 + 16, n = 0;
  char *s = malloc(cap);
  int i;
  n += (size_t)snprintf(s + n, cap - n, "{\"x\":");
  for (i = 0; i < levels; i++) n += (size_t)snprintf(s + n, cap - n, "{\"a\":");
  n += (size_t)snprintf(s + n, cap - n, "1");
  for (i = 0; i < levels + 1; i++) n += (size_t)snprintf(s + n, cap - n, "}");
  return s;
}

TEST(object_ok) {
  static const char body[] = "{\"event\":\"start_zorg\",\"data\":{\"datum\":\"2027-04-01\"}}";
  json_t *doc = NULL;
  char msg[320];
  ASSERT_EQ(parse(body, sizeof body - 1, &doc, msg, sizeof msg), 0);
  ASSERT(json_is_object(doc));
  ASSERT_STR_EQ(json_string_value(json_object_get(doc, "event")), "start_zorg");
  ASSERT_STR_EQ(msg, "");
  json_decref(doc);
}

TEST(not_nul_terminated) {
  /* The HTTP body is a (pointer, length) pair: bytes after it are not read. */
  static const char body[] = "{\"a\":1}garbage";
  json_t *doc = NULL;
  ASSERT_EQ(parse(body, 7, &doc, NULL, 0), 0);
  json_decref(doc);
}

TEST(empty_and_invalid_json) {
  json_t *doc = (json_t *)1;
  char msg[320];
  ASSERT_EQ(parse("", 0, &doc, msg, sizeof msg), CASUS_EBAD_JSON);
  ASSERT_NULL(doc);
  ASSERT(strstr(msg, "needs a JSON object") != NULL);
  ASSERT_EQ(parse(NULL, 0, &doc, msg, sizeof msg), CASUS_EBAD_JSON);
  ASSERT_EQ(parse("{\"a\":", 5, &doc, msg, sizeof msg), CASUS_EBAD_JSON);
  ASSERT(strstr(msg, "not valid JSON") != NULL && strstr(msg, "at byte") != NULL);
  ASSERT_EQ(parse("{} {}", 5, &doc, msg, sizeof msg), CASUS_EBAD_JSON);
  ASSERT_EQ(parse("{\"a\":1,\"a\":2}", 13, &doc, msg, sizeof msg), CASUS_EBAD_JSON);    /* duplicate keys */
  ASSERT_EQ(parse("{\"a\":\"\xc3\x28\"}", 10, &doc, msg, sizeof msg), CASUS_EBAD_JSON); /* invalid UTF-8 */
  ASSERT_EQ(parse("{\"a\":\"\\u0000\"}", 14, &doc, msg, sizeof msg), CASUS_EBAD_JSON);  /* NUL */
  ASSERT_NULL(doc);
}

TEST(not_an_object) {
  json_t *doc = NULL;
  char msg[320];
  ASSERT_EQ(parse("[1]", 3, &doc, msg, sizeof msg), CASUS_EBAD_REQUEST);
  ASSERT(strstr(msg, "must be a JSON object") != NULL);
  /* jansson itself wants an array or object at the top (no JSON_DECODE_ANY). */
  ASSERT_EQ(parse("null", 4, &doc, msg, sizeof msg), CASUS_EBAD_JSON);
  ASSERT_EQ(parse("\"s\"", 3, &doc, msg, sizeof msg), CASUS_EBAD_JSON);
  ASSERT_NULL(doc);
}

TEST(depth_limit) {
  json_t *doc = NULL;
  char msg[320];
  char *ok = nested(LIMIT_JSON_DEPTH_MAX - 1), *deep = nested(LIMIT_JSON_DEPTH_MAX);
  ASSERT_EQ(parse(ok, strlen(ok), &doc, msg, sizeof msg), 0);
  json_decref(doc);
  ASSERT_EQ(parse(deep, strlen(deep), &doc, msg, sizeof msg), CASUS_EBAD_REQUEST);
  ASSERT(strstr(msg, "nests deeper") != NULL);
  ASSERT_NULL(doc);
  free(ok);
  free(deep);
}

TEST(string_and_key_limits) {
  size_t n = LIMIT_STRING_BYTES_MAX + 16;
  char *s = malloc(n + 1);
  json_t *doc = NULL;
  char msg[320];
  /* {"a":"xxx..."} with exactly the maximum, then one byte more */
  memset(s, 'x', n);
  memcpy(s, "{\"a\":\"", 6);
  memcpy(s + 6 + LIMIT_STRING_BYTES_MAX, "\"}", 2);
  ASSERT_EQ(parse(s, 6 + LIMIT_STRING_BYTES_MAX + 2, &doc, msg, sizeof msg), 0);
  json_decref(doc);
  memset(s + 6, 'x', LIMIT_STRING_BYTES_MAX + 1);
  memcpy(s + 6 + LIMIT_STRING_BYTES_MAX + 1, "\"}", 2);
  ASSERT_EQ(parse(s, 6 + LIMIT_STRING_BYTES_MAX + 3, &doc, msg, sizeof msg), CASUS_EBAD_REQUEST);
  /* a key of LIMIT_ID_BYTES_MAX + 1 bytes, in an array */
  memset(s, 'k', n);
  memcpy(s, "{\"a\":[{\"", 8);
  memcpy(s + 8 + LIMIT_ID_BYTES_MAX + 1, "\":1}]}", 6);
  ASSERT_EQ(parse(s, 8 + LIMIT_ID_BYTES_MAX + 1 + 6, &doc, msg, sizeof msg), CASUS_EBAD_REQUEST);
  ASSERT(strstr(msg, "key longer") != NULL);
  ASSERT_NULL(doc);
  free(s);
}

TEST(too_large_and_short_message_buffer) {
  json_t *doc = NULL;
  char msg[8];
  ASSERT_EQ(parse("{}", (size_t)LIMIT_BODY_BYTES_MAX + 1, &doc, msg, sizeof msg), CASUS_ETOO_LARGE);
  ASSERT_EQ(strlen(msg), sizeof msg - 1); /* truncated, terminated */
  ASSERT_EQ(parse("[", 1, &doc, msg, 1), CASUS_EBAD_JSON);
  ASSERT_STR_EQ(msg, "");
  ASSERT_NULL(doc);
}

/* Writes n bytes: the JSON object {} padded with spaces. */
static void write_padded(const char *path, size_t n) {
  FILE *f = fopen(path, "wb");
  size_t i;
  ASSERT_NOT_NULL(f);
  fputs("{}", f);
  for (i = 2; i < n; i++) fputc(' ', f);
  ASSERT_EQ(fclose(f), 0);
}

TEST(file_load_limits_and_errors) {
  char dir[] = "/tmp/casus-jsonfile-XXXXXX", path[64], msg[128];
  json_t *doc;
  FILE *f;
  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/a.json", dir);
  write_padded(path, 100); /* at the limit */
  doc = core_json_file_load(path, 100, "statechart", msg, sizeof(msg));
  ASSERT(json_is_object(doc));
  json_decref(doc);
  write_padded(path, 101); /* one byte over */
  ASSERT_NULL(core_json_file_load(path, 100, "statechart", msg, sizeof(msg)));
  ASSERT_STR_EQ(msg, "101 bytes is more than a statechart may have (100 bytes)");
  f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  fputs("{\"a\":1,\"a\":2}", f); /* duplicate keys */
  fclose(f);
  ASSERT_NULL(core_json_file_load(path, 100, "configuration", msg, sizeof(msg)));
  ASSERT(strncmp(msg, "line 1, column ", 15) == 0 && strstr(msg, "not valid JSON") != NULL);
  ASSERT_NULL(core_json_file_load(dir, 100, "configuration", msg, sizeof(msg)));
  ASSERT_STR_EQ(msg, "not a regular file");
  ASSERT_EQ(unlink(path), 0);
  ASSERT_NULL(core_json_file_load(path, 100, "configuration", msg, sizeof(msg)));
  ASSERT(strncmp(msg, "cannot open", 11) == 0);
  ASSERT_NULL(core_json_file_load(path, 100, "configuration", NULL, 0)); /* no room for a message */
  ASSERT_EQ(rmdir(dir), 0);
}

/* core_json_dumps writes exactly what jansson's json_dumps writes: the
 * history hashes are taken over these bytes. */
static void dumps_same(const json_t *v, size_t flags) {
  char *ours = core_json_dumps(v, flags), *theirs = json_dumps(v, flags);
  if (theirs == NULL) /* a bare value without JSON_ENCODE_ANY: refused by both */
    ASSERT_NULL(ours);
  else
    ASSERT_STR_EQ(ours, theirs);
  free(ours);
  free(theirs);
}

static void dumps_same_all_flags(const json_t *v) {
  dumps_same(v, JSON_COMPACT);
  dumps_same(v, JSON_COMPACT | JSON_SORT_KEYS);
  dumps_same(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  dumps_same(v, JSON_INDENT(2)); /* left to jansson */
}

/* A random value (deterministic: a fixed LCG) of every kind and many strings. */
static json_t *random_value(uint32_t *seed, int depth) {
  static const char *const pieces[] = {"a",   "é", "\"", "\\", "\n", "\t", "\x01", "\x1f", "/",
                                       "ü€𝄞", " ", "z",  "\b", "\f", "\r", "0",    "key"};
  uint32_t r;
  *seed = *seed * 1103515245u + 12345u;
  r = (*seed >> 8) % (depth > 4 ? 6 : 8);
  switch (r) {
    case 0:
      return json_integer((json_int_t)(*seed % 2000001) - 1000000);
    case 1:
      return json_true();
    case 2:
      return json_false();
    case 3:
      return json_null();
    case 4:
      return json_integer(r == 4 ? INT64_MIN + (*seed % 3) : 0);
    case 5: {
      char buf[128] = "";
      int n = (int)(*seed % 8), i;
      for (i = 0; i < n; i++) strcat(buf, pieces[(*seed >> (i + 3)) % (sizeof(pieces) / sizeof(pieces[0]))]);
      return json_string(buf);
    }
    case 6: {
      json_t *a = json_array();
      int n = (int)(*seed % 5), i;
      for (i = 0; i < n; i++) json_array_append_new(a, random_value(seed, depth + 1));
      return a;
    }
    default: {
      json_t *o = json_object();
      int n = (int)(*seed % 6), i;
      for (i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%c%u", "zAbm\"_"[(*seed >> 4) % 6], (unsigned)((*seed >> 9) % 50));
        json_object_set_new(o, key, random_value(seed, depth + 1));
      }
      return o;
    }
  }
}

TEST(dumps_like_jansson) {
  uint32_t seed = 42;
  int i;
  json_t *doc;
  char path[1024], msg[128];
  for (i = 0; i < 3000; i++) {
    json_t *v = random_value(&seed, 0);
    dumps_same_all_flags(v);
    json_decref(v);
  }
  /* the bundled charts: big, nested, every escape the process uses */
  snprintf(path, sizeof(path), "%s/statecharts/jeugdhulp-rijnmond.json", CASUS_SOURCE_DIR);
  doc = core_json_file_load(path, 1 << 22, "statechart", msg, sizeof(msg));
  ASSERT_NOT_NULL(doc);
  dumps_same_all_flags(doc);
  json_decref(doc);
  /* reals and deep nesting go to jansson, and still come out the same */
  doc = json_pack("{s:f, s:[f]}", "x", 0.1, "y", 1e300);
  dumps_same_all_flags(doc);
  json_decref(doc);
  doc = json_array();
  {
    json_t *inner = doc;
    for (i = 0; i < 100; i++) {
      json_t *next = json_array();
      json_array_append_new(inner, next);
      inner = next;
    }
  }
  dumps_same_all_flags(doc);
  json_decref(doc);
  /* without JSON_ENCODE_ANY a bare value is refused, as by jansson */
  doc = json_string("x");
  ASSERT_NULL(core_json_dumps(doc, JSON_COMPACT));
  json_decref(doc);
}

TEST(dumps_counts) {
  unsigned long long before = core_json_serialisations(), parses = core_json_parses();
  json_t *doc = json_object();
  char *s = core_json_dumps(doc, JSON_COMPACT);
  json_t *back = core_json_loadb(s, strlen(s), 0, NULL);
  ASSERT_EQ(core_json_serialisations(), before + 1);
  ASSERT_EQ(core_json_parses(), parses + 1);
  ASSERT_NOT_NULL(back);
  free(s);
  json_decref(back);
  json_decref(doc);
}

#define TEST_LIST(X)                    \
  X(object_ok)                          \
  X(not_nul_terminated)                 \
  X(empty_and_invalid_json)             \
  X(not_an_object)                      \
  X(depth_limit)                        \
  X(string_and_key_limits)              \
  X(too_large_and_short_message_buffer) \
  X(file_load_limits_and_errors)        \
  X(dumps_like_jansson)                 \
  X(dumps_counts)

TEST_MAIN(TEST_LIST)
