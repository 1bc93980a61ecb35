/*
 * jsonbody.c -- a request body as a JSON object within the limits.
 */
#include "core/jsonbody.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
  doc = core_json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
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

json_t *core_json_file_load(const char *path, size_t max_bytes, const char *what, char *msg,
                            size_t msg_size) {
  FILE *f = fopen(path, "rb");
  struct stat st;
  json_error_t jerr;
  json_t *doc = NULL;
  char *buf;
  size_t n;
  if (msg != NULL && msg_size > 0) msg[0] = '\0';
  if (f == NULL) {
    jsonbody_fail(0, msg, msg_size, "cannot open: %s", strerror(errno));
    return NULL;
  }
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    jsonbody_fail(0, msg, msg_size, "not a regular file");
    fclose(f);
    return NULL;
  }
  if (st.st_size < 0 || (unsigned long long)st.st_size > max_bytes) {
    jsonbody_fail(0, msg, msg_size, "%lld bytes is more than a %s may have (%zu bytes)",
                  (long long)st.st_size, what, max_bytes);
    fclose(f);
    return NULL;
  }
  buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL) {
    jsonbody_fail(0, msg, msg_size, "out of memory");
    fclose(f);
    return NULL;
  }
  n = fread(buf, 1, (size_t)st.st_size + 1, f); /* one byte more: a file that grew is caught */
  if (ferror(f)) {
    jsonbody_fail(0, msg, msg_size, "cannot read: %s", strerror(errno));
  } else if (n > (size_t)st.st_size) {
    jsonbody_fail(0, msg, msg_size, "the file changed while it was read");
  } else {
    doc = core_json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
      jsonbody_fail(0, msg, msg_size, "line %d, column %d: not valid JSON: %s", jerr.line, jerr.column,
                    jerr.text);
  }
  free(buf);
  fclose(f);
  return doc;
}

static unsigned long long jsonbody_parses, jsonbody_serialisations;

json_t *core_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err) {
  jsonbody_parses++;
  return json_loadb(buf, len, flags, err);
}

char *core_json_dumps(const json_t *json, size_t flags) {
  jsonbody_serialisations++;
  return json_dumps(json, flags);
}

unsigned long long core_json_parses(void) {
  return jsonbody_parses;
}

unsigned long long core_json_serialisations(void) {
  return jsonbody_serialisations;
}
