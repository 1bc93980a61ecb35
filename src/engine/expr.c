/*
 * expr.c -- the engine's small declarative languages: paths, value
 * expressions, conditions, durations and data schemas.  Everything here is
 * validated once when a chart loads (eng_*_validate), so evaluation can
 * treat a malformed node as "false"/"absent" instead of failing at run time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "engine/engine_int.h"

void eng_problem_add(engine_problems_t *p, const char *path, const char *fmt, ...) {
  va_list ap;
  engine_problem_t *it;
  if (p == NULL) return;
  if (p->count >= ENGINE_PROBLEMS_MAX) return;
  it = &p->items[p->count++];
  snprintf(it->path, sizeof(it->path), "%s", path);
  va_start(ap, fmt);
  vsnprintf(it->message, sizeof(it->message), fmt, ap);
  va_end(ap);
}

const json_t *eng_path_get(const eng_env_t *env, const char *path) {
  return engine_path_get(env->root, path);
}

const json_t *engine_path_get(const json_t *root, const char *path) {
  const json_t *cur = root;
  char key[LIMIT_ID_BYTES_MAX];
  const char *p = path;
  while (cur != NULL && *p != '\0') {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0 || n >= sizeof(key) || !json_is_object(cur)) return NULL;
    memcpy(key, p, n);
    key[n] = '\0';
    cur = json_object_get(cur, key);
    p += n;
    if (*p == '.') p++;
  }
  return cur;
}

/* --- durations --- */

static const char *const duration_units[] = {"working_days", "days", "weeks", "months"};

int eng_duration_add(const calendar_t *cal, const json_t *duration, cal_day_t d, cal_day_t *out) {
  const char *unit;
  json_t *v;
  json_int_t n;
  if (!json_is_object(duration) || json_object_size(duration) != 1) return -1;
  json_object_foreach((json_t *)duration, unit, v) {
    if (!json_is_integer(v)) return -1;
    n = json_integer_value(v);
    if (n < -1200 || n > 1200) return -1;
    if (strcmp(unit, "working_days") == 0) {
      if (n < 0 || cal == NULL) return -1;
      *out = calendar_add_working_days(cal, d, (int)n);
    } else if (strcmp(unit, "days") == 0) {
      *out = d + (cal_day_t)n;
    } else if (strcmp(unit, "weeks") == 0) {
      *out = d + (cal_day_t)(7 * n);
    } else if (strcmp(unit, "months") == 0) {
      *out = cal_day_add_months(d, (int)n);
    } else {
      return -1;
    }
  }
  return 0;
}

void eng_duration_validate(const json_t *d, const char *path, engine_problems_t *p) {
  const char *unit;
  json_t *v;
  size_t i;
  if (!json_is_object(d) || json_object_size(d) != 1) {
    eng_problem_add(p, path, "a duration is an object with exactly one of working_days, days, weeks, months");
    return;
  }
  json_object_foreach((json_t *)d, unit, v) {
    bool known = false;
    for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
      if (strcmp(unit, duration_units[i]) == 0) known = true;
    if (!known) eng_problem_add(p, path, "unknown duration unit \"%s\"", unit);
    if (!json_is_integer(v) || json_integer_value(v) < -1200 || json_integer_value(v) > 1200)
      eng_problem_add(p, path, "duration \"%s\" must be an integer between -1200 and 1200", unit);
    else if (strcmp(unit, "working_days") == 0 && json_integer_value(v) < 0)
      eng_problem_add(p, path, "working_days cannot be negative");
  }
}

/* --- values --- */

static bool value_is_expr(const json_t *v) {
  return json_is_object(v) &&
         (json_object_get(v, "path") || json_object_get(v, "date") || json_object_get(v, "literal"));
}

/* The day a "from" names: "now" or a path to a "YYYY-MM-DD" string. -1 when absent or not a date. */
static int from_day(const eng_env_t *env, const char *from, cal_day_t *out) {
  const json_t *v;
  if (from == NULL || strcmp(from, "now") == 0) {
    *out = cal_local_day(env->now_s);
    return 0;
  }
  v = eng_path_get(env, from);
  if (!json_is_string(v) || cal_day_parse(json_string_value(v), out) != 0) return -1;
  return 0;
}

json_t *eng_value_eval(const eng_env_t *env, const json_t *expr) {
  const json_t *v;
  if (!value_is_expr(expr)) return json_deep_copy(expr);
  if ((v = json_object_get(expr, "literal")) != NULL) return json_deep_copy(v);
  if ((v = json_object_get(expr, "path")) != NULL) {
    const json_t *r = json_is_string(v) ? eng_path_get(env, json_string_value(v)) : NULL;
    return r ? json_deep_copy(r) : json_null();
  }
  v = json_object_get(expr, "date");
  {
    cal_day_t d;
    char buf[16];
    const json_t *after = json_object_get(v, "after");
    if (from_day(env, json_string_value(json_object_get(v, "from")), &d) != 0) return json_null();
    if (after != NULL && eng_duration_add(env->cal, after, d, &d) != 0) return json_null();
    cal_day_format(d, buf, sizeof(buf));
    return json_string(buf);
  }
}

void eng_value_validate(const json_t *expr, const char *path, engine_problems_t *p) {
  const json_t *v;
  char sub[160];
  if (!json_is_object(expr)) return; /* a literal */
  if (!value_is_expr(expr)) {
    eng_problem_add(p, path, "an object value must be {\"path\"}, {\"date\"} or {\"literal\"}");
    return;
  }
  if (json_object_size(expr) != 1) eng_problem_add(p, path, "a value expression has exactly one key");
  if ((v = json_object_get(expr, "path")) != NULL && !json_is_string(v))
    eng_problem_add(p, path, "\"path\" must be a string");
  if ((v = json_object_get(expr, "date")) != NULL) {
    const json_t *from = json_object_get(v, "from"), *after = json_object_get(v, "after");
    if (!json_is_object(v)) {
      eng_problem_add(p, path, "\"date\" must be an object {\"from\", \"after\"}");
      return;
    }
    if (from != NULL && !json_is_string(from)) eng_problem_add(p, path, "\"date.from\" must be a string");
    snprintf(sub, sizeof(sub), "%s.date.after", path);
    if (after != NULL) eng_duration_validate(after, sub, p);
  }
}

/* --- conditions --- */

static const char *const cond_ops[] = {"eq", "ne", "lt", "le", "gt", "ge", "in", "exists", "type"};

static int value_cmp(const json_t *a, const json_t *b, bool *comparable) {
  *comparable = true;
  if (json_is_number(a) && json_is_number(b)) {
    double x = json_number_value(a), y = json_number_value(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (json_is_string(a) && json_is_string(b)) return strcmp(json_string_value(a), json_string_value(b));
  *comparable = false;
  return 0;
}

static bool type_matches(const json_t *v, const char *type) {
  cal_day_t d;
  int64_t t;
  if (strcmp(type, "any") == 0) return v != NULL;
  if (strcmp(type, "string") == 0) return json_is_string(v);
  if (strcmp(type, "boolean") == 0) return json_is_boolean(v);
  if (strcmp(type, "integer") == 0) return json_is_integer(v);
  if (strcmp(type, "number") == 0) return json_is_number(v);
  if (strcmp(type, "object") == 0) return json_is_object(v);
  if (strcmp(type, "array") == 0) return json_is_array(v);
  if (strcmp(type, "date") == 0) return json_is_string(v) && cal_day_parse(json_string_value(v), &d) == 0;
  if (strcmp(type, "datetime") == 0)
    return json_is_string(v) && cal_time_parse(json_string_value(v), &t) == 0;
  return false;
}

static bool op_holds(const eng_env_t *env, const json_t *left, const char *op, const json_t *arg) {
  bool ok = false, comparable;
  int c;
  json_t *right;
  if (strcmp(op, "exists") == 0) return json_is_true(arg) == (left != NULL && !json_is_null(left));
  if (strcmp(op, "type") == 0) return json_is_string(arg) && type_matches(left, json_string_value(arg));
  if (left == NULL) return false;
  if (strcmp(op, "in") == 0) {
    size_t i;
    json_t *item;
    json_array_foreach(arg, i, item) {
      if (json_equal(left, item)) return true;
    }
    return false;
  }
  right = eng_value_eval(env, arg);
  if (right == NULL) return false;
  if (strcmp(op, "eq") == 0) {
    ok = json_equal(left, right);
  } else if (strcmp(op, "ne") == 0) {
    ok = !json_equal(left, right);
  } else {
    c = value_cmp(left, right, &comparable);
    if (comparable) {
      if (strcmp(op, "lt") == 0) ok = c < 0;
      if (strcmp(op, "le") == 0) ok = c <= 0;
      if (strcmp(op, "gt") == 0) ok = c > 0;
      if (strcmp(op, "ge") == 0) ok = c >= 0;
    }
  }
  json_decref(right);
  return ok;
}

bool eng_cond_eval(const eng_env_t *env, const json_t *cond) {
  const json_t *v;
  const char *key;
  json_t *arg;
  size_t i;
  if (cond == NULL || json_is_true(cond)) return true;
  if (!json_is_object(cond)) return false;
  if ((v = json_object_get(cond, "all")) != NULL) {
    json_array_foreach(v, i, arg) {
      if (!eng_cond_eval(env, arg)) return false;
    }
    return true;
  }
  if ((v = json_object_get(cond, "any")) != NULL) {
    json_array_foreach(v, i, arg) {
      if (eng_cond_eval(env, arg)) return true;
    }
    return false;
  }
  if ((v = json_object_get(cond, "not")) != NULL) return !eng_cond_eval(env, v);
  if ((v = json_object_get(cond, "in_state")) != NULL) {
    int s = eng_state_find(env->chart, json_string_value(v));
    return s >= 0 && env->active != NULL && env->active[s];
  }
  if ((v = json_object_get(cond, "has_flag")) != NULL) {
    const json_t *flags = eng_path_get(env, "case.flags");
    json_array_foreach(flags, i, arg) {
      if (json_equal(arg, v)) return true;
    }
    return false;
  }
  v = json_object_get(cond, "path");
  if (!json_is_string(v)) return false;
  {
    const json_t *left = eng_path_get(env, json_string_value(v));
    json_object_foreach((json_t *)cond, key, arg) {
      if (strcmp(key, "path") == 0) continue;
      if (!op_holds(env, left, key, arg)) return false;
    }
  }
  return true;
}

void eng_cond_validate(const json_t *cond, const char *path, engine_problems_t *p, int depth) {
  const json_t *v;
  const char *key;
  json_t *arg;
  size_t i, k;
  char sub[160];
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) {
    eng_problem_add(p, path, "conditions nest deeper than %d", LIMIT_ACTIONS_DEPTH_MAX);
    return;
  }
  if (json_is_true(cond)) return;
  if (!json_is_object(cond)) {
    eng_problem_add(p, path, "a condition must be an object");
    return;
  }
  if ((v = json_object_get(cond, "all")) != NULL || (v = json_object_get(cond, "any")) != NULL) {
    if (!json_is_array(v) || json_array_size(v) == 0) {
      eng_problem_add(p, path, "\"all\"/\"any\" take a non-empty array of conditions");
      return;
    }
    json_array_foreach(v, i, arg) {
      snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, json_object_get(cond, "all") ? "all" : "any", i);
      eng_cond_validate(arg, sub, p, depth + 1);
    }
    return;
  }
  if ((v = json_object_get(cond, "not")) != NULL) {
    snprintf(sub, sizeof(sub), "%s.not", path);
    eng_cond_validate(v, sub, p, depth + 1);
    return;
  }
  if ((v = json_object_get(cond, "in_state")) != NULL) {
    if (!json_is_string(v)) eng_problem_add(p, path, "\"in_state\" takes a state name");
    return; /* the state's existence is checked by the chart loader */
  }
  if ((v = json_object_get(cond, "has_flag")) != NULL) {
    if (!json_is_string(v)) eng_problem_add(p, path, "\"has_flag\" takes a flag name");
    return;
  }
  if (!json_is_string(json_object_get(cond, "path"))) {
    eng_problem_add(p, path, "a condition needs \"path\" (or all/any/not/in_state/has_flag)");
    return;
  }
  if (json_object_size(cond) < 2) eng_problem_add(p, path, "a condition on a path needs an operator");
  json_object_foreach((json_t *)cond, key, arg) {
    bool known = false;
    if (strcmp(key, "path") == 0) continue;
    for (k = 0; k < sizeof(cond_ops) / sizeof(cond_ops[0]); k++)
      if (strcmp(key, cond_ops[k]) == 0) known = true;
    snprintf(sub, sizeof(sub), "%s.%s", path, key);
    if (!known)
      eng_problem_add(p, sub, "unknown operator \"%s\"", key);
    else if (strcmp(key, "in") == 0 && !json_is_array(arg))
      eng_problem_add(p, sub, "\"in\" takes an array");
    else if (strcmp(key, "exists") == 0 && !json_is_boolean(arg))
      eng_problem_add(p, sub, "\"exists\" takes true or false");
    else if (strcmp(key, "type") == 0 && !json_is_string(arg))
      eng_problem_add(p, sub, "\"type\" takes a type name");
    else
      eng_value_validate(arg, sub, p);
  }
}

/* --- schemas --- */

static const char *const schema_types[] = {"string",   "boolean", "integer", "number", "date",
                                           "datetime", "object",  "array",   "any"};
static const char *const schema_keys[] = {"type",       "required",   "enum",       "properties", "min",
                                          "max",        "rule",       "items",      "min_items",  "max_items",
                                          "min_length", "max_length", "description"};

static int schema_check_value(const char *name, const json_t *spec, const json_t *v, char *msg,
                              size_t msg_size, const char **rule, int depth);

static int schema_check_object(const char *prefix, const json_t *schema, const json_t *data, char *msg,
                               size_t msg_size, const char **rule, int depth) {
  const char *key;
  json_t *spec, *v;
  char name[160];
  if (data != NULL && !json_is_object(data)) {
    snprintf(msg, msg_size, "%s must be an object", prefix[0] ? prefix : "data");
    return CASUS_EINVALID_DATA;
  }
  json_object_foreach((json_t *)data, key, v) {
    if (json_object_get(schema, key) == NULL) {
      snprintf(msg, msg_size, "unknown field \"%s%s%s\"", prefix, prefix[0] ? "." : "", key);
      *rule = NULL;
      return CASUS_EINVALID_DATA;
    }
  }
  json_object_foreach((json_t *)schema, key, spec) {
    int rc;
    snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
    v = data ? json_object_get(data, key) : NULL;
    if (v == NULL || json_is_null(v)) {
      if (json_is_true(json_object_get(spec, "required"))) {
        snprintf(msg, msg_size, "field \"%s\" is required", name);
        *rule = json_string_value(json_object_get(spec, "rule"));
        return CASUS_EINVALID_DATA;
      }
      continue;
    }
    rc = schema_check_value(name, spec, v, msg, msg_size, rule, depth);
    if (rc != 0) return rc;
  }
  return 0;
}

static int schema_check_value(const char *name, const json_t *spec, const json_t *v, char *msg,
                              size_t msg_size, const char **rule, int depth) {
  const char *type = json_string_value(json_object_get(spec, "type"));
  const json_t *en = json_object_get(spec, "enum");
  *rule = json_string_value(json_object_get(spec, "rule"));
  if (depth > LIMIT_JSON_DEPTH_MAX) {
    snprintf(msg, msg_size, "field \"%s\" nests too deeply", name);
    return CASUS_EINVALID_DATA;
  }
  if (type == NULL) type = "any";
  if (!type_matches(v, type)) {
    snprintf(msg, msg_size, "field \"%s\" must be of type %s%s", name, type,
             strcmp(type, "date") == 0 ? " (YYYY-MM-DD)" : "");
    return CASUS_EINVALID_DATA;
  }
  if (json_is_string(v)) {
    size_t len = json_string_length(v);
    const json_t *mn = json_object_get(spec, "min_length"), *mx = json_object_get(spec, "max_length");
    size_t min = mn ? (size_t)json_integer_value(mn) : 1;
    size_t max = mx ? (size_t)json_integer_value(mx) : LIMIT_STRING_BYTES_MAX;
    if (len < min || len > max) {
      snprintf(msg, msg_size, "field \"%s\" must be between %zu and %zu characters long", name, min, max);
      return CASUS_EINVALID_DATA;
    }
  }
  if (json_is_integer(v)) {
    const json_t *mn = json_object_get(spec, "min"), *mx = json_object_get(spec, "max");
    if ((mn && json_integer_value(v) < json_integer_value(mn)) ||
        (mx && json_integer_value(v) > json_integer_value(mx))) {
      snprintf(msg, msg_size, "field \"%s\" is out of range", name);
      return CASUS_EINVALID_DATA;
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
      snprintf(msg, msg_size, "field \"%s\" must be one of %s", name,
               allowed ? allowed : "the allowed values");
      free(allowed);
      return CASUS_EINVALID_DATA;
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
        snprintf(msg, msg_size,
                 "field \"%s\" must have between %" JSON_INTEGER_FORMAT " and %" JSON_INTEGER_FORMAT " items",
                 name, json_integer_value(mn), json_integer_value(mx));
      else if (mn)
        snprintf(msg, msg_size, "field \"%s\" must have at least %" JSON_INTEGER_FORMAT " items", name,
                 json_integer_value(mn));
      else
        snprintf(msg, msg_size, "field \"%s\" must have at most %" JSON_INTEGER_FORMAT " items", name,
                 json_integer_value(mx));
      return CASUS_EINVALID_DATA;
    }
    if (items != NULL) {
      for (i = 0; i < n; i++) {
        char item_name[176];
        const json_t *item = json_array_get(v, i);
        int rc;
        snprintf(item_name, sizeof(item_name), "%s[%zu]", name, i);
        if (json_is_null(item)) {
          snprintf(msg, msg_size, "field \"%s\" cannot be null", item_name);
          return CASUS_EINVALID_DATA;
        }
        rc = schema_check_value(item_name, items, item, msg, msg_size, rule, depth + 1);
        if (rc != 0) {
          /* An item without a rule of its own reports the array's. */
          if (*rule == NULL) *rule = json_string_value(json_object_get(spec, "rule"));
          return rc;
        }
      }
    }
  }
  if (json_is_object(v) && json_object_get(spec, "properties") != NULL)
    return schema_check_object(name, json_object_get(spec, "properties"), v, msg, msg_size, rule, depth + 1);
  *rule = NULL;
  return 0;
}

int eng_schema_check(const json_t *schema, const json_t *data, char *msg, size_t msg_size,
                     const char **rule) {
  *rule = NULL;
  if (schema == NULL) {
    if (data != NULL && json_is_object(data) && json_object_size(data) > 0) {
      snprintf(msg, msg_size, "this event takes no data");
      return CASUS_EINVALID_DATA;
    }
    return 0;
  }
  return schema_check_object("", schema, data, msg, msg_size, rule, 0);
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
