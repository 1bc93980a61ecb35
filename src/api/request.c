/*
 * request.c -- small request helpers shared by the handlers: the JSON body
 * within the limits, query parameters, ids, JSON replies.
 */
#include <ctype.h>
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

/* Decodes %XX escapes of src[0..len) into out (a '+' stays a '+'); false
 * when an escape is malformed or decodes to NUL, or out is too small. */
static bool url_decode(const char *src, size_t len, char *out, size_t out_size) {
  static const char digits[] = "0123456789abcdef";
  size_t i, n = 0;
  for (i = 0; i < len; i++) {
    char ch = src[i];
    if (ch == '%') {
      const char *hi, *lo;
      if (i + 2 >= len || src[i + 1] == '\0' || src[i + 2] == '\0') return false;
      hi = strchr(digits, tolower((unsigned char)src[i + 1]));
      lo = strchr(digits, tolower((unsigned char)src[i + 2]));
      if (hi == NULL || lo == NULL) return false;
      ch = (char)((hi - digits) << 4 | (lo - digits));
      if (ch == '\0') return false;
      i += 2;
    }
    if (n + 1 >= out_size) return false;
    out[n++] = ch;
  }
  out[n] = '\0';
  return true;
}

static bool query_refuse(call_t *c, const char *fmt, int len, const char *text) {
  char msg[200];
  snprintf(msg, sizeof(msg), fmt, len, text);
  http_respond_error(c->req, CASUS_EBAD_REQUEST, msg, NULL);
  return false;
}

bool api__query_parse(call_t *c, api_query_param_t *params, size_t max, size_t *count) {
  const char *p = c->req->query;
  size_t i;
  *count = 0;
  while (p != NULL && *p != '\0') {
    const char *amp = strchr(p, '&'), *eq = strchr(p, '=');
    size_t len = amp ? (size_t)(amp - p) : strlen(p), klen;
    api_query_param_t *q;
    if (len == 0) {
      p = amp ? amp + 1 : NULL;
      continue;
    }
    if (eq == NULL || eq > p + len)
      return query_refuse(c, "The query parameter \"%.*s\" has no value.", (int)(len > 64 ? 64 : len), p);
    klen = (size_t)(eq - p);
    if (*count >= max) return query_refuse(c, "More than %d query parameters%s.", (int)max, "");
    if (klen == 0 || klen >= sizeof(q->name))
      return query_refuse(c, "The query parameter \"%.*s\" is not a name.", (int)(klen > 64 ? 64 : klen), p);
    q = &params[*count];
    memcpy(q->name, p, klen);
    q->name[klen] = '\0';
    if (!url_decode(eq + 1, len - klen - 1, q->value, sizeof(q->value)))
      return query_refuse(c, "The value of \"%.*s\" is malformed or too long.", (int)klen, q->name);
    for (i = 0; i < *count; i++)
      if (strcmp(params[i].name, q->name) == 0)
        return query_refuse(c, "The query parameter \"%.*s\" is given twice.", (int)klen, q->name);
    (*count)++;
    p = amp ? amp + 1 : NULL;
  }
  return true;
}

bool api__query_params(call_t *c, const char *const *names, size_t count,
                       char (*values)[API_QUERY_VALUE_BYTES_MAX], bool *present) {
  api_query_param_t params[LIMIT_LIST_PARAMS_MAX];
  size_t n, i, j;
  for (i = 0; i < count; i++) {
    present[i] = false;
    values[i][0] = '\0';
  }
  if (!api__query_parse(c, params, LIMIT_LIST_PARAMS_MAX, &n)) return false;
  for (j = 0; j < n; j++) {
    for (i = 0; i < count; i++)
      if (strcmp(names[i], params[j].name) == 0) break;
    if (i == count)
      return query_refuse(c, "Unknown query parameter \"%.*s\".", (int)strlen(params[j].name),
                          params[j].name);
    memcpy(values[i], params[j].value, API_QUERY_VALUE_BYTES_MAX);
    present[i] = true;
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
