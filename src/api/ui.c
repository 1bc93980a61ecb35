/*
 * ui.c -- GET /ui/...: the werkbank, casusd's web UI (docs/ui.md), served
 * from the files compiled into the binary (core/embedded.h).
 *
 * The UI is a set of static files: HTML, ES modules and CSS from src/ui/,
 * and the chart diagrams docs/charts/<chart id>.svg as /ui/charts/<id>.svg.
 * They hold no data: everything a user sees comes from the public API
 * (/v1/...) with the user's bearer token, so the files themselves are
 * served without authentication.  A path whose last segment has no dot is
 * a page of the UI (/ui/, /ui/casus/c-..., /ui/werkvoorraad) and gets
 * index.html; the module router (src/ui/app.js) draws the page.
 *
 * Every reply carries a strict Content-Security-Policy: scripts, styles,
 * images and connections from this origin only, no inline scripts or
 * styles, no framing, no plugins, forms only to this origin.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/embedded.h"
#include "core/error.h"

#define UI_PREFIX "/ui/"
#define UI_PATH_BYTES_MAX 128

/* The headers of every file of the UI.  no-cache: the browser revalidates,
 * so a new binary's UI is seen at once (the files are small). */
#define UI_HEADERS                                                                                     \
  "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'\r\n"                \
  "X-Content-Type-Options: nosniff\r\n"                                                                \
  "Referrer-Policy: no-referrer\r\n"                                                                   \
  "X-Frame-Options: DENY\r\n"                                                                          \
  "Cache-Control: no-cache\r\n"

typedef struct {
  const char *ext;
  const char *content_type;
} ui_type_t;

static const ui_type_t ui_types[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
    {".json", "application/json"},         {".txt", "text/plain; charset=utf-8"},
};

/* The Content-Type of a file name by its extension; NULL when not served. */
static const char *ui_content_type(const char *name) {
  size_t i, n = strlen(name);
  for (i = 0; i < sizeof(ui_types) / sizeof(ui_types[0]); i++) {
    size_t e = strlen(ui_types[i].ext);
    if (n > e && strcmp(name + n - e, ui_types[i].ext) == 0) return ui_types[i].content_type;
  }
  return NULL;
}

/* The embedded file at rel_path ("src/ui/index.html"), or NULL.  Borrowed:
 * the table is static. */
static const embedded_file_t *ui_file_find(const char *rel_path) {
  const embedded_file_t *f;
  for (f = embedded_files; f->path != NULL; f++)
    if (strcmp(f->path, rel_path) == 0) return f;
  return NULL;
}

/* A path below /ui/ of letters, digits, '-', '_', '.' and '/' only, without
 * "..": everything else is no file of the UI. */
static bool ui_path_valid(const char *rest) {
  const char *p;
  if (strstr(rest, "..") != NULL || strstr(rest, "//") != NULL) return false;
  for (p = rest; *p; p++) {
    char ch = *p;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
          ch == '_' || ch == '.' || ch == '/'))
      return false;
  }
  return true;
}

void api__handle_ui(call_t *c) {
  const char *path = c->req->path;
  const char *rest, *last;
  char rel[UI_PATH_BYTES_MAX + 16];
  const embedded_file_t *f;
  const char *type;
  if (strcmp(path, "/ui") == 0) {
    http_respond(c->req, 301, "text/plain; charset=utf-8", "/ui/\n", 5, "Location: /ui/\r\n" UI_HEADERS);
    return;
  }
  rest = path + strlen(UI_PREFIX);
  if (strlen(rest) > UI_PATH_BYTES_MAX || !ui_path_valid(rest)) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "No such file of the UI.", NULL);
    return;
  }
  last = strrchr(rest, '/');
  last = last ? last + 1 : rest;
  if (strchr(last, '.') == NULL) /* a page: the router in app.js draws it */
    snprintf(rel, sizeof(rel), "src/ui/index.html");
  else if (strncmp(rest, "charts/", 7) == 0 && strchr(rest + 7, '/') == NULL)
    snprintf(rel, sizeof(rel), "docs/charts/%s", rest + 7);
  else
    snprintf(rel, sizeof(rel), "src/ui/%s", rest);
  type = ui_content_type(rel);
  f = type ? ui_file_find(rel) : NULL;
  if (f == NULL) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "No such file of the UI.", NULL);
    return;
  }
  http_respond(c->req, 200, type, f->data, f->bytes, UI_HEADERS);
}

/* GET /v1/openapi.json: docs/openapi.json as compiled into the binary
 * (scripts/openapi.py writes it; lint/openapi-drift keeps it in step with
 * the charts). */
void api__handle_openapi(call_t *c) {
  const embedded_file_t *f = ui_file_find("docs/openapi.json");
  if (f == NULL) {
    http_respond_error(c->req, CASUS_ENOT_FOUND, "No OpenAPI document is compiled in.", NULL);
    return;
  }
  http_respond(c->req, 200, "application/json", f->data, f->bytes,
               "X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n");
}
