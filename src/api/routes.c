/*
 * routes.c -- the route table and dispatch.
 *
 * Every route is one row: method, path pattern, handler, and its kind:
 * READ (answered at once from a read transaction), WRITE (queued for the
 * next group commit) or ADMIN.  The caller is authenticated before the
 * handler runs (401 otherwise).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/assert.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/sha256.h"

/* READ: answered at once from its own read transaction.  WRITE: queued and
 * answered after the next group commit.  ADMIN: an operator's route, for
 * the admin role only (the clock is also a queued write). */
typedef enum { ROUTE_READ, ROUTE_WRITE, ROUTE_ADMIN } route_kind_t;

typedef struct {
  const char *method;
  const char *pattern; /* "{}" matches one id segment; a final "*" the rest of the path */
  route_kind_t kind;
  bool authenticated;
  void (*handler)(call_t *c);
} route_t;

static const route_t routes[] = {
    {"GET", "/healthz", ROUTE_READ, false, api__handle_healthz},
    {"GET", "/metrics", ROUTE_ADMIN, true, api__handle_metrics},
    {"POST", "/v1/cases", ROUTE_WRITE, true, api__handle_case_create},
    {"GET", "/v1/cases", ROUTE_READ, true, api__handle_case_list},
    {"GET", "/v1/cases/{}", ROUTE_READ, true, api__handle_case_get},
    {"POST", "/v1/cases/{}/events", ROUTE_WRITE, true, api__handle_event},
    {"GET", "/v1/cases/{}/history", ROUTE_READ, true, api__handle_history},
    {"GET", "/v1/cases/{}/access-log", ROUTE_READ, true, api__handle_access_log},
    {"POST", "/v1/cases/{}/destroy", ROUTE_WRITE, true, api__handle_case_destroy},
    {"GET", "/v1/me", ROUTE_READ, true, api__handle_me},
    {"GET", "/v1/inzage", ROUTE_READ, true, api__handle_inzage},
    {"GET", "/v1/inbox", ROUTE_READ, true, api__handle_inbox},
    {"POST", "/v1/inbox/{}/read", ROUTE_WRITE, true, api__handle_inbox_read},
    {"GET", "/v1/stream", ROUTE_READ, true, api__handle_stream},
    {"GET", "/v1/statecharts", ROUTE_READ, true, api__handle_charts},
    {"GET", "/v1/statecharts/{}", ROUTE_READ, true, api__handle_chart},
    {"PUT", "/v1/admin/clock", ROUTE_ADMIN, true, api__handle_clock},
    /* The werkbank's static files (ui.c): no data, so no token; the UI
     * sends the user's token with every /v1 request it makes. */
    {"GET", "/ui", ROUTE_READ, false, api__handle_ui},
    {"GET", "/ui/*", ROUTE_READ, false, api__handle_ui},
};

int api__routes_count(void) {
  return (int)(sizeof(routes) / sizeof(routes[0]));
}

void api__route_name(int i, const char **method, const char **pattern) {
  CASUS_ASSERT(i >= 0 && i < api__routes_count());
  *method = routes[i].method;
  *pattern = routes[i].pattern;
}

/* The latency histogram has a row per route (api_int.h). */
_Static_assert(sizeof(routes) / sizeof(routes[0]) <= API_ROUTES_MAX, "API_ROUTES_MAX holds every route");

/* Matches path against pattern, capturing the "{}" segment into param. */
static bool route_match(const char *pattern, const char *path, char *param, size_t param_size) {
  while (*pattern && *path) {
    if (pattern[0] == '*' && pattern[1] == '\0') return true; /* the handler checks the rest */
    if (pattern[0] == '{' && pattern[1] == '}') {
      const char *end = strchr(path, '/');
      size_t len = end ? (size_t)(end - path) : strlen(path);
      if (!api__id_valid(path, len) || len >= param_size) return false;
      memcpy(param, path, len);
      param[len] = '\0';
      path += len;
      pattern += 2;
      continue;
    }
    if (*pattern != *path) return false;
    pattern++;
    path++;
  }
  if (pattern[0] == '*' && pattern[1] == '\0') return true; /* "/ui/" matches "/ui/" and a star */
  return *pattern == '\0' && *path == '\0';
}

bool api__role_known(const api_t *api, const char *role) {
  int i;
  if (strcmp(role, AUTH_ROLE_ADMIN) == 0) return true;
  for (i = 0; i < api->charts_count; i++)
    if (engine_chart_role(api->charts[i], role) != NULL) return true;
  return false;
}

void api__on_request(http_request_t *req, void *ud) {
  api_t *api = ud;
  call_t c;
  size_t i;
  bool path_known = false;
  memset(&c, 0, sizeof(c));
  c.api = api;
  c.req = req;
  api->m.requests++;
  for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    const route_t *r = &routes[i];
    if (!route_match(r->pattern, req->path, c.param, sizeof(c.param))) continue;
    path_known = true;
    if (strcmp(r->method, req->method) != 0) continue;
    req->route = (int)i; /* the latency histogram's row (metrics.c) */
    if (r->authenticated) {
      char why[256];
      /* R-AUTH-1: a static token or an OIDC token, on the real clock (a
       * token's lifetime is not case time); the reason names the check
       * that failed, never the token. */
      int rc = auth_bearer_check(&api->cfg, req->authorization, (int64_t)time(NULL), &c.actor_copy, why,
                                 sizeof(why));
      if (rc == 0 && c.actor_copy.oidc && !api__role_known(api, c.actor_copy.role)) {
        snprintf(why, sizeof(why), "The OIDC token's role \"%s\" is not a role of casusd.",
                 c.actor_copy.role);
        rc = CASUS_EFORBIDDEN;
      }
      if (rc != 0) {
        if (rc == CASUS_EUNAUTHENTICATED) api->m.unauthenticated++;
        http_respond_error(req, rc, why, "R-AUTH-1");
        return;
      }
      c.actor = &c.actor_copy;
    }
    r->handler(&c);
    return;
  }
  if (path_known)
    http_respond_error(req, CASUS_EMETHOD_NOT_ALLOWED, NULL, NULL);
  else
    http_respond_error(req, CASUS_ENOT_FOUND, "No such path.", NULL);
}
