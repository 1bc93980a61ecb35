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

/* --- a compact serialiser ---
 *
 * jansson's json_dumps writes through a callback a few bytes at a time and
 * was a fifth of the write path's instructions.  This one writes the same
 * bytes (compact separators, keys in insertion order or sorted by strcmp,
 * the same string escapes: \" \\ \b \f \n \r \t and \u00XX in upper case
 * for other control characters, UTF-8 as it is) into one growing buffer.
 * History hashes are taken over these bytes, so they must stay identical to
 * jansson's: tests/unit/core/test_jsonbody.c compares the two on many
 * documents.  Anything it does not handle the same way (reals, flags other
 * than JSON_COMPACT, JSON_SORT_KEYS and JSON_ENCODE_ANY, nesting beyond
 * JSONBODY_DUMP_DEPTH_MAX) goes to json_dumps. */

#define JSONBODY_DUMP_DEPTH_MAX 64
#define JSONBODY_DUMP_KEYS_STACK 32

typedef struct {
  char *buf;
  size_t len, cap;
  bool failed;   /* out of memory */
  bool fallback; /* a value this writer leaves to jansson */
} jsonbody_writer_t;

static void jw_reserve(jsonbody_writer_t *w, size_t n) {
  char *nb;
  size_t cap;
  if (w->failed || w->len + n + 1 <= w->cap) return;
  cap = w->cap ? w->cap : 256;
  while (cap < w->len + n + 1) cap *= 2;
  nb = realloc(w->buf, cap);
  if (nb == NULL) {
    w->failed = true;
    return;
  }
  w->buf = nb;
  w->cap = cap;
}

static void jw_put(jsonbody_writer_t *w, const char *s, size_t n) {
  jw_reserve(w, n);
  if (w->failed) return;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

static void jw_char(jsonbody_writer_t *w, char c) {
  jw_reserve(w, 1);
  if (w->failed) return;
  w->buf[w->len++] = c;
}

static void jw_string(jsonbody_writer_t *w, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i, run = 0;
  jw_char(w, '"');
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[6];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    jw_put(w, s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        esc = "\\\"";
        break;
      case '\\':
        esc = "\\\\";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      default:
        u[0] = '\\';
        u[1] = 'u';
        u[2] = '0';
        u[3] = '0';
        u[4] = hex[c >> 4];
        u[5] = hex[c & 0xf];
        jw_put(w, u, 6);
        continue;
    }
    jw_put(w, esc, 2);
  }
  jw_put(w, s + run, n - run);
  jw_char(w, '"');
}

static int jw_key_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void jw_value(jsonbody_writer_t *w, const json_t *v, size_t flags, int depth);

static void jw_object(jsonbody_writer_t *w, const json_t *v, size_t flags, int depth) {
  const char *key;
  json_t *x;
  bool first = true;
  jw_char(w, '{');
  if ((flags & JSON_SORT_KEYS) && json_object_size(v) > 1) {
    const char *stack[JSONBODY_DUMP_KEYS_STACK], **keys = stack;
    size_t n = json_object_size(v), i = 0;
    if (n > JSONBODY_DUMP_KEYS_STACK) {
      keys = malloc(n * sizeof(*keys));
      if (keys == NULL) {
        w->failed = true;
        return;
      }
    }
    json_object_foreach((json_t *)v, key, x) keys[i++] = key;
    qsort(keys, n, sizeof(*keys), jw_key_cmp);
    for (i = 0; i < n && !w->failed && !w->fallback; i++) {
      if (i > 0) jw_char(w, ',');
      jw_string(w, keys[i], strlen(keys[i]));
      jw_char(w, ':');
      jw_value(w, json_object_get(v, keys[i]), flags, depth + 1);
    }
    if (keys != stack) free(keys);
  } else {
    json_object_foreach((json_t *)v, key, x) {
      if (w->failed || w->fallback) break;
      if (!first) jw_char(w, ',');
      first = false;
      jw_string(w, key, strlen(key));
      jw_char(w, ':');
      jw_value(w, x, flags, depth + 1);
    }
  }
  jw_char(w, '}');
}

static void jw_value(jsonbody_writer_t *w, const json_t *v, size_t flags, int depth) {
  char num[32];
  size_t i;
  int n;
  if (depth > JSONBODY_DUMP_DEPTH_MAX) {
    w->fallback = true;
    return;
  }
  switch (json_typeof(v)) {
    case JSON_OBJECT:
      jw_object(w, v, flags, depth);
      break;
    case JSON_ARRAY:
      jw_char(w, '[');
      for (i = 0; i < json_array_size(v) && !w->failed && !w->fallback; i++) {
        if (i > 0) jw_char(w, ',');
        jw_value(w, json_array_get(v, i), flags, depth + 1);
      }
      jw_char(w, ']');
      break;
    case JSON_STRING:
      jw_string(w, json_string_value(v), json_string_length(v));
      break;
    case JSON_INTEGER:
      n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      jw_put(w, num, (size_t)n);
      break;
    case JSON_TRUE:
      jw_put(w, "true", 4);
      break;
    case JSON_FALSE:
      jw_put(w, "false", 5);
      break;
    case JSON_NULL:
      jw_put(w, "null", 4);
      break;
    default: /* reals: jansson's own format */
      w->fallback = true;
      break;
  }
}

char *core_json_dumps(const json_t *json, size_t flags) {
  jsonbody_writer_t w = {NULL, 0, 0, false, false};
  jsonbody_serialisations++;
  if (json == NULL || (flags & ~(size_t)(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)) != 0 ||
      !(flags & JSON_COMPACT) ||
      (!(flags & JSON_ENCODE_ANY) && !json_is_object(json) && !json_is_array(json)))
    return json_dumps(json, flags);
  jw_value(&w, json, flags, 0);
  if (w.failed || w.fallback) {
    free(w.buf);
    return w.failed ? NULL : json_dumps(json, flags);
  }
  w.buf[w.len] = '\0';
  return w.buf;
}

unsigned long long core_json_parses(void) {
  return jsonbody_parses;
}

unsigned long long core_json_serialisations(void) {
  return jsonbody_serialisations;
}
