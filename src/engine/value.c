/*
 * value.c -- paths, durations, value expressions and type names (see
 * value.h).  Everything here is validated once when a chart loads
 * (eng_*_validate), so evaluation can treat a malformed node as "absent"
 * instead of failing at run time.
 */
#include "engine/value.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "engine/index.h"

/* --- paths --- */

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

bool eng_path_valid(const char *path) {
  const char *p = path;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0 || n >= LIMIT_ID_BYTES_MAX) return false;
    if (dot == NULL) return true;
    p = dot + 1;
  }
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
         (json_object_get(v, "path") || json_object_get(v, "date") || json_object_get(v, "literal") ||
          json_object_get(v, "table") || json_object_get(v, "sum"));
}

/* {"sum": [<value>, ...]}: the numbers added (an integer when every term is
 * one), or json_null() when a term is not a number (an absent field). */
static json_t *sum_eval(const eng_env_t *env, const json_t *terms) {
  json_int_t isum = 0;
  double dsum = 0;
  bool all_int = true;
  size_t i;
  json_t *t;
  json_array_foreach(terms, i, t) {
    json_t *v = eng_value_eval(env, t);
    if (v == NULL) return NULL;
    if (!json_is_number(v)) {
      json_decref(v);
      return json_null();
    }
    if (json_is_integer(v))
      isum += json_integer_value(v);
    else
      all_int = false;
    dsum += json_number_value(v);
    json_decref(v);
  }
  return all_int ? json_integer(isum) : json_real(dsum);
}

/* {"table": {"name": T, "key": V, "column": C}}: tables.T[V].C (a new reference), or json_null()
 * when the key is not a string or the table has no such row or column.  T is read from
 * env->tables (a region's catalogue) when it has it, else from the chart's "tables"; C may be a
 * dotted path into the row ("duurbanden.kort"). */
static json_t *table_eval(const eng_env_t *env, const json_t *spec) {
  const char *name = json_string_value(json_object_get(spec, "name"));
  const json_t *table = env->tables ? json_object_get(env->tables, name) : NULL, *row, *cell;
  json_t *key = eng_value_eval(env, json_object_get(spec, "key"));
  if (key == NULL) return NULL;
  if (table == NULL && env->chart) table = json_object_get(json_object_get(env->chart->doc, "tables"), name);
  row = json_is_string(key) ? json_object_get(table, json_string_value(key)) : NULL;
  json_decref(key);
  cell = row ? engine_path_get(row, json_string_value(json_object_get(spec, "column"))) : NULL;
  return cell ? json_deep_copy(cell) : json_null();
}

json_t *eng_duration_eval(const eng_env_t *env, const json_t *after) {
  if (value_is_expr(after)) return eng_value_eval(env, after);
  return after ? json_incref((json_t *)after) : json_null();
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
  if ((v = json_object_get(expr, "table")) != NULL) return table_eval(env, v);
  if ((v = json_object_get(expr, "sum")) != NULL) return sum_eval(env, v);
  v = json_object_get(expr, "date");
  {
    cal_day_t d;
    char buf[16];
    json_t *after = json_object_get(v, "after") ? eng_duration_eval(env, json_object_get(v, "after")) : NULL;
    const char *from = json_string_value(json_object_get(v, "from"));
    int rc = 0;
    if (from_day(env, from, &d) != 0) rc = -1;
    if (rc == 0 && after != NULL && eng_duration_add(env->cal, after, d, &d) != 0) rc = -1;
    json_decref(after);
    /* A duration the chart's table does not have (no limit there): no date. */
    if (rc != 0) return json_null();
    if (!cal_day_in_range(d) && env->date_outside != NULL) *env->date_outside = from ? from : "now";
    cal_day_format(d, buf, sizeof(buf));
    return json_string(buf);
  }
}

void eng_value_validate(const json_t *expr, const char *path, engine_problems_t *p) {
  const json_t *v;
  char sub[160];
  if (!json_is_object(expr)) return; /* a literal */
  if (!value_is_expr(expr)) {
    eng_problem_add(
        p, path, "an object value must be {\"path\"}, {\"date\"}, {\"table\"}, {\"sum\"} or {\"literal\"}");
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
    if (after != NULL) eng_after_validate(after, sub, p);
  }
  if ((v = json_object_get(expr, "sum")) != NULL) {
    size_t i;
    json_t *t;
    if (!json_is_array(v) || json_array_size(v) < 2 || json_array_size(v) > 8) {
      eng_problem_add(p, path, "\"sum\" takes an array of 2 to 8 values");
      return;
    }
    json_array_foreach(v, i, t) {
      snprintf(sub, sizeof(sub), "%s.sum[%zu]", path, i);
      eng_value_validate(t, sub, p);
    }
  }
  if ((v = json_object_get(expr, "table")) != NULL) {
    snprintf(sub, sizeof(sub), "%s.table", path);
    if (!json_is_object(v) || !json_is_string(json_object_get(v, "name")) ||
        !json_is_string(json_object_get(v, "column")) || json_object_get(v, "key") == NULL ||
        json_object_size(v) != 3) {
      eng_problem_add(p, sub, "\"table\" is {\"name\": <table>, \"key\": <value>, \"column\": <name>}");
      return;
    }
    snprintf(sub, sizeof(sub), "%s.table.key", path);
    eng_value_validate(json_object_get(v, "key"), sub, p);
  }
}

void eng_after_validate(const json_t *after, const char *path, engine_problems_t *p) {
  if (value_is_expr(after))
    eng_value_validate(after, path, p);
  else
    eng_duration_validate(after, path, p);
}

/* --- types --- */

bool eng_type_matches(const json_t *v, const char *type) {
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
