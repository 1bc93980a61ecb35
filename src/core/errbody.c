#include "core/errbody.h"

#include <jansson.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonbody.h"

char *core_errbody_new(int err, const char *message, const char *rule, const char *field, size_t *len) {
  json_t *inner = json_object();
  json_t *outer = json_object();
  char *s = NULL;
  if (inner == NULL || outer == NULL) goto done;
  json_object_set_new(inner, "code", json_string(core_err_code(err)));
  json_object_set_new(inner, "message", json_string(message ? message : core_err_message(err)));
  if (rule != NULL && rule[0] != '\0') json_object_set_new(inner, "rule", json_string(rule));
  if (field != NULL && field[0] != '\0') json_object_set_new(inner, "field", json_string(field));
  json_object_set(outer, "error", inner);
  s = core_json_dumps(outer, JSON_COMPACT);
  if (s != NULL && len != NULL) *len = strlen(s);
done:
  json_decref(inner);
  json_decref(outer);
  return s;
}
