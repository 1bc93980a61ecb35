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
