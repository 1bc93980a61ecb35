/*
 * schema.c -- data schemas (see schema.h): each field's type, whether it
 * is required, its enum, string length, integer range, the items of an
 * array and the properties of an object, with the rule id to report.
 * Validated once when a chart loads (eng_schema_validate).
 */
#include "engine/schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "engine/value.h"

static const char *const schema_types[] = {"string",   "boolean", "integer", "number", "date",
                                           "datetime", "object",  "array",   "any"};
static const char *const schema_keys[] = {"type",       "required",   "enum",       "properties", "min",
                                          "max",        "rule",       "items",      "min_items",  "max_items",
                                          "min_length", "max_length", "description"};

/* Where a check reports its failure: the sentence, the field's rule and
 * the field's path ("jeugdige.naam", "bijlagen[1]"). */
typedef struct {
  char *msg;
  size_t msg_size;
  const char **rule;
  char *field;
  size_t field_size;
} schema_out_t;

static int schema_check_value(const char *name, const json_t *spec, const json_t *v, schema_out_t *o,
                              int depth);

/* Names the field of a failure (the sentence is written by the caller). */
static int schema_fail(schema_out_t *o, const char *field) {
  if (o->field_size > 0) snprintf(o->field, o->field_size, "%s", field);
  return CASUS_EINVALID_DATA;
}

static int schema_check_object(const char *prefix, const json_t *schema, const json_t *data, schema_out_t *o,
                               int depth) {
  const char *key;
  json_t *spec, *v;
  char name[160];
  if (data != NULL && !json_is_object(data)) {
    snprintf(o->msg, o->msg_size, "%s must be an object", prefix[0] ? prefix : "data");
    return schema_fail(o, prefix);
  }
  json_object_foreach((json_t *)data, key, v) {
    if (json_object_get(schema, key) == NULL) {
      snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
      snprintf(o->msg, o->msg_size, "unknown field \"%s\"", name);
      *o->rule = NULL;
      return schema_fail(o, name);
    }
  }
  json_object_foreach((json_t *)schema, key, spec) {
    int rc;
    snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
    v = data ? json_object_get(data, key) : NULL;
    if (v == NULL || json_is_null(v)) {
      if (json_is_true(json_object_get(spec, "required"))) {
        snprintf(o->msg, o->msg_size, "field \"%s\" is required", name);
        *o->rule = json_string_value(json_object_get(spec, "rule"));
        return schema_fail(o, name);
      }
      continue;
    }
    rc = schema_check_value(name, spec, v, o, depth);
    if (rc != 0) return rc;
  }
  return 0;
}

static int schema_check_value(const char *name, const json_t *spec, const json_t *v, schema_out_t *o,
                              int depth) {
  const char *type = json_string_value(json_object_get(spec, "type"));
  const json_t *en = json_object_get(spec, "enum");
  *o->rule = json_string_value(json_object_get(spec, "rule"));
  if (depth > LIMIT_JSON_DEPTH_MAX) {
    snprintf(o->msg, o->msg_size, "field \"%s\" nests too deeply", name);
    return schema_fail(o, name);
  }
  if (type == NULL) type = "any";
  if (!eng_type_matches(v, type)) {
    if (strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0)
      snprintf(o->msg, o->msg_size, "field \"%s\" must be of type %s (%s) from %d-01-01 to %d-12-31", name,
               type, type[4] == '\0' ? "YYYY-MM-DD" : "RFC 3339", LIMIT_DATE_YEAR_MIN, LIMIT_DATE_YEAR_MAX);
    else
      snprintf(o->msg, o->msg_size, "field \"%s\" must be of type %s", name, type);
    return schema_fail(o, name);
  }
  if (json_is_string(v)) {
    size_t len = json_string_length(v);
    const json_t *mn = json_object_get(spec, "min_length"), *mx = json_object_get(spec, "max_length");
    size_t min = mn ? (size_t)json_integer_value(mn) : 1;
    size_t max = mx ? (size_t)json_integer_value(mx) : LIMIT_STRING_BYTES_MAX;
    if (len < min || len > max) {
      snprintf(o->msg, o->msg_size, "field \"%s\" must be between %zu and %zu characters long", name, min,
               max);
      return schema_fail(o, name);
    }
  }
  if (json_is_integer(v)) {
    const json_t *mn = json_object_get(spec, "min"), *mx = json_object_get(spec, "max");
    if ((mn && json_integer_value(v) < json_integer_value(mn)) ||
        (mx && json_integer_value(v) > json_integer_value(mx))) {
      snprintf(o->msg, o->msg_size, "field \"%s\" is out of range", name);
      return schema_fail(o, name);
    }
  }
  if (en != NULL) {
    size_t i;
    json_t *item;
    bool found = false;
    json_array_foreach(en, i, item) {
      if (json_equal(item, v)) found = true;
    }
    if (!found) {
      char *allowed = core_json_dumps(en, JSON_COMPACT);
      snprintf(o->msg, o->msg_size, "field \"%s\" must be one of %s", name,
               allowed ? allowed : "the allowed values");
      free(allowed);
      return schema_fail(o, name);
    }
  }
  if (json_is_array(v)) {
    /* Arrays: a number of items between min_items and max_items (when
     * given), each item checked against the "items" field spec. */
    const json_t *mn = json_object_get(spec, "min_items"), *mx = json_object_get(spec, "max_items");
    const json_t *items = json_object_get(spec, "items");
    size_t n = json_array_size(v), i;
    if ((mn && n < (size_t)json_integer_value(mn)) || (mx && n > (size_t)json_integer_value(mx))) {
      if (mn && mx)
        snprintf(o->msg, o->msg_size,
                 "field \"%s\" must have between %" JSON_INTEGER_FORMAT " and %" JSON_INTEGER_FORMAT " items",
                 name, json_integer_value(mn), json_integer_value(mx));
      else if (mn)
        snprintf(o->msg, o->msg_size, "field \"%s\" must have at least %" JSON_INTEGER_FORMAT " items", name,
                 json_integer_value(mn));
      else
        snprintf(o->msg, o->msg_size, "field \"%s\" must have at most %" JSON_INTEGER_FORMAT " items", name,
                 json_integer_value(mx));
      return schema_fail(o, name);
    }
    if (items != NULL) {
      for (i = 0; i < n; i++) {
        char item_name[176];
        const json_t *item = json_array_get(v, i);
        int rc;
        snprintf(item_name, sizeof(item_name), "%s[%zu]", name, i);
        if (json_is_null(item)) {
          snprintf(o->msg, o->msg_size, "field \"%s\" cannot be null", item_name);
          return schema_fail(o, item_name);
        }
        rc = schema_check_value(item_name, items, item, o, depth + 1);
        if (rc != 0) {
          /* An item without a rule of its own reports the array's. */
          if (*o->rule == NULL) *o->rule = json_string_value(json_object_get(spec, "rule"));
          return rc;
        }
      }
    }
  }
  if (json_is_object(v) && json_object_get(spec, "properties") != NULL)
    return schema_check_object(name, json_object_get(spec, "properties"), v, o, depth + 1);
  *o->rule = NULL;
  return 0;
}

int eng_schema_check(const json_t *schema, const json_t *data, char *msg, size_t msg_size, const char **rule,
                     char *field, size_t field_size) {
  schema_out_t o = {msg, msg_size, rule, field, field_size};
  *rule = NULL;
  if (field_size > 0) field[0] = '\0';
  if (schema == NULL) {
    if (data != NULL && json_is_object(data) && json_object_size(data) > 0) {
      snprintf(msg, msg_size, "this event takes no data");
      return CASUS_EINVALID_DATA;
    }
    return 0;
  }
  return schema_check_object("", schema, data, &o, 0);
}

/* Validates one field spec {"type", "required", "enum", "properties", "items", ...} at path. */
static void field_spec_validate(const json_t *spec, const char *sub, engine_problems_t *p, int depth) {
  const char *type, *key;
  json_t *v;
  size_t i;
  bool known_type = false;
  if (!json_is_object(spec)) {
    eng_problem_add(p, sub, "a field spec must be an object");
    return;
  }
  type = json_string_value(json_object_get(spec, "type"));
  json_object_foreach((json_t *)spec, key, v) {
    bool known = false;
    for (i = 0; i < sizeof(schema_keys) / sizeof(schema_keys[0]); i++)
      if (strcmp(key, schema_keys[i]) == 0) known = true;
    if (!known) eng_problem_add(p, sub, "unknown field spec key \"%s\"", key);
  }
  for (i = 0; type && i < sizeof(schema_types) / sizeof(schema_types[0]); i++)
    if (strcmp(type, schema_types[i]) == 0) known_type = true;
  if (!known_type)
    eng_problem_add(p, sub,
                    "\"type\" must be one of string, boolean, integer, number, date, "
                    "datetime, object, array, any");
  if ((v = json_object_get(spec, "enum")) != NULL && (!json_is_array(v) || json_array_size(v) == 0))
    eng_problem_add(p, sub, "\"enum\" must be a non-empty array");
  if ((v = json_object_get(spec, "required")) != NULL && !json_is_boolean(v))
    eng_problem_add(p, sub, "\"required\" must be true or false");
  if ((v = json_object_get(spec, "rule")) != NULL && !json_is_string(v))
    eng_problem_add(p, sub, "\"rule\" must be a rule id string");
  if ((v = json_object_get(spec, "min_items")) != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
    eng_problem_add(p, sub, "\"min_items\" must be a non-negative integer");
  if ((v = json_object_get(spec, "max_items")) != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
    eng_problem_add(p, sub, "\"max_items\" must be a non-negative integer");
  if ((json_object_get(spec, "items") || json_object_get(spec, "min_items") ||
       json_object_get(spec, "max_items")) &&
      (type == NULL || strcmp(type, "array") != 0))
    eng_problem_add(p, sub, "\"items\", \"min_items\" and \"max_items\" apply to type array only");
  if ((v = json_object_get(spec, "properties")) != NULL) {
    char psub[176];
    snprintf(psub, sizeof(psub), "%s.properties", sub);
    eng_schema_validate(v, psub, p, depth + 1);
  }
  if ((v = json_object_get(spec, "items")) != NULL) {
    char isub[176];
    snprintf(isub, sizeof(isub), "%s.items", sub);
    if (depth >= 4)
      eng_problem_add(p, isub, "data schemas nest at most 4 deep");
    else
      field_spec_validate(v, isub, p, depth + 1);
  }
}

void eng_schema_validate(const json_t *schema, const char *path, engine_problems_t *p, int depth) {
  const char *field;
  json_t *spec;
  char sub[160];
  if (!json_is_object(schema)) {
    eng_problem_add(p, path, "a data schema must be an object of fields");
    return;
  }
  if (depth > 4) {
    eng_problem_add(p, path, "data schemas nest at most 4 deep");
    return;
  }
  json_object_foreach((json_t *)schema, field, spec) {
    snprintf(sub, sizeof(sub), "%s.%s", path, field);
    field_spec_validate(spec, sub, p, depth);
  }
}
