/*
 * embedded.h -- files compiled into the binary (charts, calendars, demo config).
 *
 * The table is generated at build time by cmake/embed.cmake from
 * the JSON files in statecharts/, calendars/ and config/demo.json, and the
 * werkbank's files: those of src/ui and the chart diagrams (docs/charts, .svg)
 * (served under /ui/, src/api/ui.c).  Each entry's
 * data is NUL-terminated; `bytes` excludes the NUL.  core_bundled_json
 * (bundled.c) looks one up by path and parses it.
 */
#ifndef CASUS_CORE_EMBEDDED_H
#define CASUS_CORE_EMBEDDED_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
  const char *path; /* relative to the source root, e.g. "statecharts/jeugdhulp-rijnmond.json" */
  const char *data;
  size_t bytes;
} embedded_file_t;

/* Terminated by an entry whose path is NULL. */
extern const embedded_file_t embedded_files[];

/* The bundled JSON file at rel_path ("calendars/nl.json", "config/demo.json",
 * "statecharts/<id>.json"), parsed (duplicate keys refused): a new
 * reference, or NULL when no such file is bundled or it does not parse. */
json_t *core_bundled_json(const char *rel_path);

/* Fragment `name` of chart composition (engine_chart_resolve; name checked
 * by the caller): dir/common/<name>.json when dir (the folder of the chart
 * being loaded) is not NULL and has it, else the bundled
 * statecharts/common/<name>.json.  A new reference, or NULL with why in msg. */
json_t *core_fragment_load(const char *dir, const char *name, char *msg, size_t msg_size);
/* Arrangement catalogue `name` (name checked by the caller):
 * dir/catalogs/<name>.json, else dir/../catalogs/<name>.json when dir is
 * not NULL and has it, else the bundled catalogs/<name>.json.  Parsed, not
 * checked (engine_catalog_check).  A new reference, or NULL with why in msg. */
json_t *core_catalog_load(const char *dir, const char *name, char *msg, size_t msg_size);
/* An engine_fragment_fn with dir as its user data: core_fragment_load for
 * kind "fragment", core_catalog_load for kind "catalog". */
json_t *core_fragment_get(void *dir, const char *kind, const char *name, char *msg, size_t msg_size);

#endif
