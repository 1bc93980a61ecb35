/*
 * request.c -- small request helpers shared by the handlers: the JSON body
 * within the limits, query parameters, ids, JSON replies.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/sha256.h"

void api__reply_json(http_request_t *req, int status, json_t *body) {
  char *s = core_json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (s == NULL) {
    http_respond_error(req, CASUS_ENOMEM, NULL, NULL);
    return;
  }
  http_respond(req, status, NULL, s, strlen(s), NULL);
  free(s);
}

/* Parses the body as a JSON object within the limits (core/jsonbody.h); replies 400 (or 413, 503) and
 * returns NULL otherwise. */
json_t *api__body_parse(http_request_t *req) {
  json_t *doc = NULL;
  char msg[320];
  int rc = core_json_body_parse(req->body, req->body_len, &doc, msg, sizeof(msg));
  if (rc != 0) {
    http_respond_error(req, rc, msg, NULL);
    return NULL;
  }
  return doc;
}

/* Returns the value of query parameter name (URL-decoding not needed for our ids) into out. */
bool api__query_get(const char *query, const char *name, char *out, size_t out_size) {
  size_t n = strlen(name);
  const char *p = query;
  while (p && *p) {
    if (strncmp(p, name, n) == 0 && p[n] == '=') {
      const char *v = p + n + 1, *end = strchr(v, '&');
      size_t len = end ? (size_t)(end - v) : strlen(v);
      if (len >= out_size) return false;
      memcpy(out, v, len);
      out[len] = '\0';
      return true;
    }
    p = strchr(p, '&');
    if (p) p++;
  }
  return false;
}

bool api__id_valid(const char *s, size_t len) {
  size_t i;
  if (len == 0 || len >= LIMIT_ID_BYTES_MAX) return false;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '@'))
      return false;
  }
  return true;
}

bool api__query_params(call_t *c, const char *const *names, size_t count,
                       char (*values)[API_QUERY_VALUE_BYTES_MAX], bool *present) {
  const char *p = c->req->query;
  char msg[160];
  size_t i;
  for (i = 0; i < count; i++) {
    present[i] = false;
    values[i][0] = '\0';
  }
  while (p != NULL && *p != '\0') {
    const char *amp = strchr(p, '&'), *eq = strchr(p, '=');
    size_t len = amp ? (size_t)(amp - p) : strlen(p), klen;
    if (len == 0) {
      p = amp ? amp + 1 : NULL;
      continue;
    }
    if (eq == NULL || eq > p + len) {
      snprintf(msg, sizeof(msg), "The query parameter \"%.*s\" has no value.", (int)(len > 64 ? 64 : len), p);
      http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
      return false;
    }
    klen = (size_t)(eq - p);
    for (i = 0; i < count; i++)
      if (strlen(names[i]) == klen && strncmp(names[i], p, klen) == 0) break;
    if (i == count) {
      snprintf(msg, sizeof(msg), "Unknown query parameter \"%.*s\".", (int)(klen > 64 ? 64 : klen), p);
      http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
      return false;
    }
    if (present[i]) {
      snprintf(msg, sizeof(msg), "The query parameter \"%s\" is given twice.", names[i]);
      http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
      return false;
    }
    if (len - klen - 1 >= API_QUERY_VALUE_BYTES_MAX) {
      snprintf(msg, sizeof(msg), "The value of \"%s\" is too long.", names[i]);
      http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
      return false;
    }
    memcpy(values[i], eq + 1, len - klen - 1);
    values[i][len - klen - 1] = '\0';
    present[i] = true;
    p = amp ? amp + 1 : NULL;
  }
  return true;
}

bool api__query_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  size_t i, n = strlen(s);
  if (n == 0 || n > 20) return false;
  for (i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}
