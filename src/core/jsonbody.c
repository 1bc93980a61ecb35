/*
 * jsonbody.c -- a request body as a JSON object within the limits.
 */
#include "core/jsonbody.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"

/* Whether v and everything below it keep the limits; depth counts the
 * levels above v (the body's top object is 0).  Recursion is bounded by
 * the depth limit, which is checked before descending. */
static bool jsonbody_within_limits(const json_t *v, int depth) {
  const char *k;
  json_t *x;
  size_t i;
  if (depth > LIMIT_JSON_DEPTH_MAX) return false;
  if (json_is_string(v)) return json_string_length(v) <= LIMIT_STRING_BYTES_MAX;
  if (json_is_object(v)) {
    json_object_foreach((json_t *)v, k, x) {
      if (strlen(k) > LIMIT_ID_BYTES_MAX || !jsonbody_within_limits(x, depth + 1)) return false;
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, x) {
      if (!jsonbody_within_limits(x, depth + 1)) return false;
    }
  }
  return true;
}

/* Writes the client's sentence when the caller gave room for one; returns err. */
static int jsonbody_fail(int err, char *msg, size_t msg_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int jsonbody_fail(int err, char *msg, size_t msg_size, const char *fmt, ...) {
  va_list ap;
  if (msg == NULL || msg_size == 0) return err;
  va_start(ap, fmt);
  vsnprintf(msg, msg_size, fmt, ap);
  va_end(ap);
  return err;
}

int core_json_body_parse(const char *buf, size_t len, json_t **out, char *msg, size_t msg_size) {
  json_error_t jerr;
  json_t *doc;
  *out = NULL;
  if (msg != NULL && msg_size > 0) msg[0] = '\0';
  if (len == 0 || buf == NULL)
    return jsonbody_fail(CASUS_EBAD_JSON, msg, msg_size, "The request needs a JSON object body.");
  if (len > LIMIT_BODY_BYTES_MAX)
    return jsonbody_fail(CASUS_ETOO_LARGE, msg, msg_size, "The request body is larger than %d bytes.",
                         LIMIT_BODY_BYTES_MAX);
  doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
  if (doc == NULL) {
    if (json_error_code(&jerr) == json_error_out_of_memory)
      return jsonbody_fail(CASUS_ENOMEM, msg, msg_size, "Out of memory while parsing the body.");
    return jsonbody_fail(CASUS_EBAD_JSON, msg, msg_size, "The body is not valid JSON: %s (at byte %d).",
                         jerr.text, jerr.position);
  }
  if (!json_is_object(doc)) {
    json_decref(doc);
    return jsonbody_fail(CASUS_EBAD_REQUEST, msg, msg_size, "The body must be a JSON object.");
  }
  if (!jsonbody_within_limits(doc, 0)) {
    json_decref(doc);
    return jsonbody_fail(CASUS_EBAD_REQUEST, msg, msg_size,
                         "The body nests deeper than %d, or holds a string longer than %d bytes or a key "
                         "longer than %d bytes.",
                         LIMIT_JSON_DEPTH_MAX, LIMIT_STRING_BYTES_MAX, LIMIT_ID_BYTES_MAX);
  }
  *out = doc;
  return 0;
}
