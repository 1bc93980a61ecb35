/*
 * bundled.c -- looking up the files compiled into the binary (see
 * embedded.h): the server's registry and the statechart verifier both load
 * calendars from here, so neither depends on the other for it.
 */
#include <string.h>

#include "core/embedded.h"
#include "core/jsonbody.h"

json_t *core_bundled_json(const char *rel_path) {
  const embedded_file_t *f;
  for (f = embedded_files; f->path != NULL; f++)
    if (strcmp(f->path, rel_path) == 0)
      return core_json_loadb(f->data, f->bytes, JSON_REJECT_DUPLICATES, NULL);
  return NULL;
}
