/*
 * bundled.c -- looking up the files compiled into the binary (see
 * embedded.h): the server's registry and the statechart verifier both load
 * calendars from here, so neither depends on the other for it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/embedded.h"
#include "core/jsonbody.h"
#include "core/limits.h"

json_t *core_bundled_json(const char *rel_path) {
  const embedded_file_t *f;
  for (f = embedded_files; f->path != NULL; f++)
    if (strcmp(f->path, rel_path) == 0)
      return core_json_loadb(f->data, f->bytes, JSON_REJECT_DUPLICATES, NULL);
  return NULL;
}

json_t *core_fragment_load(const char *dir, const char *name, char *msg, size_t msg_size) {
  char path[1024];
  json_t *doc;
  if (dir != NULL) {
    snprintf(path, sizeof(path), "%s/common/%s.json", dir, name);
    if (access(path, F_OK) == 0)
      return core_json_file_load(path, LIMIT_CHART_BYTES_MAX, "fragment", msg, msg_size);
  }
  snprintf(path, sizeof(path), "statecharts/common/%s.json", name);
  doc = core_bundled_json(path);
  if (doc == NULL)
    snprintf(msg, msg_size, "no %s/common/%s.json and none bundled", dir ? dir : "statecharts", name);
  return doc;
}

json_t *core_catalog_load(const char *dir, const char *name, char *msg, size_t msg_size) {
  char path[1024];
  json_t *doc;
  if (dir != NULL) {
    /* A charts folder with its own catalogs/, or the repository's layout (statecharts/ beside catalogs/). */
    snprintf(path, sizeof(path), "%s/catalogs/%s.json", dir, name);
    if (access(path, F_OK) == 0)
      return core_json_file_load(path, LIMIT_CHART_BYTES_MAX, "catalogue", msg, msg_size);
    snprintf(path, sizeof(path), "%s/../catalogs/%s.json", dir, name);
    if (access(path, F_OK) == 0)
      return core_json_file_load(path, LIMIT_CHART_BYTES_MAX, "catalogue", msg, msg_size);
  }
  snprintf(path, sizeof(path), "catalogs/%s.json", name);
  doc = core_bundled_json(path);
  if (doc == NULL) snprintf(msg, msg_size, "no %s/catalogs/%s.json and none bundled", dir ? dir : ".", name);
  return doc;
}

json_t *core_fragment_get(void *dir, const char *kind, const char *name, char *msg, size_t msg_size) {
  if (strcmp(kind, "catalog") == 0) return core_catalog_load(dir, name, msg, msg_size);
  return core_fragment_load(dir, name, msg, msg_size);
}
