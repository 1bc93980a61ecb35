/*
 * cond.c -- conditions (see cond.h): {"path": P, op: arg, ...} with the
 * operators eq, ne, lt, le, gt, ge, in (an array, or a value that gives
 * one), exists and type, combined with
 * all/any/not, and in_state and has_flag.  Validated once when a chart
 * loads (eng_cond_validate), so evaluation treats a malformed node as false.
 */
#include "engine/cond.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "engine/index.h"

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

static bool op_holds(const eng_env_t *env, const json_t *left, const char *op, const json_t *arg) {
  bool ok = false, comparable;
  int c;
  json_t *right;
  if (strcmp(op, "exists") == 0) return json_is_true(arg) == (left != NULL && !json_is_null(left));
  if (strcmp(op, "type") == 0) return json_is_string(arg) && eng_type_matches(left, json_string_value(arg));
  if (left == NULL) return false;
  if (strcmp(op, "in") == 0) {
    /* A literal array, or a value that comes out as one (a catalogue's list: "combineerbaar_met"). */
    json_t *list = json_is_array(arg) ? json_incref((json_t *)arg) : eng_value_eval(env, arg), *item;
    size_t i;
    json_array_foreach(list, i, item) {
      if (json_equal(left, item)) {
        ok = true;
        break;
      }
    }
    json_decref(list);
    return ok;
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
  if (json_is_string(v)) {
    const json_t *left = eng_path_get(env, json_string_value(v));
    json_object_foreach((json_t *)cond, key, arg) {
      if (strcmp(key, "path") == 0) continue;
      if (!op_holds(env, left, key, arg)) return false;
    }
    return true;
  }
  /* {"value": <expression>, op: arg}: the left side computed, e.g. a cell of the chart's tables. */
  if ((v = json_object_get(cond, "value")) != NULL) {
    json_t *left = eng_value_eval(env, v);
    bool ok = left != NULL;
    if (ok) {
      json_object_foreach((json_t *)cond, key, arg) {
        if (strcmp(key, "value") == 0) continue;
        if (!op_holds(env, left, key, arg)) {
          ok = false;
          break;
        }
      }
    }
    json_decref(left);
    return ok;
  }
  return false;
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
  if (json_object_get(cond, "value") != NULL && json_object_get(cond, "path") == NULL) {
    snprintf(sub, sizeof(sub), "%s.value", path);
    if (!json_is_object(json_object_get(cond, "value")))
      eng_problem_add(p, sub, "\"value\" takes a value expression ({\"path\"}, {\"date\"}, {\"table\"})");
    else
      eng_value_validate(json_object_get(cond, "value"), sub, p);
  } else if (!json_is_string(json_object_get(cond, "path"))) {
    eng_problem_add(p, path, "a condition needs \"path\" or \"value\" (or all/any/not/in_state/has_flag)");
    return;
  }
  if (json_object_size(cond) < 2) eng_problem_add(p, path, "a condition on a path needs an operator");
  json_object_foreach((json_t *)cond, key, arg) {
    bool known = false;
    if (strcmp(key, "path") == 0 || strcmp(key, "value") == 0) continue;
    for (k = 0; k < sizeof(cond_ops) / sizeof(cond_ops[0]); k++)
      if (strcmp(key, cond_ops[k]) == 0) known = true;
    snprintf(sub, sizeof(sub), "%s.%s", path, key);
    if (!known)
      eng_problem_add(p, sub, "unknown operator \"%s\"", key);
    else if (strcmp(key, "in") == 0 && !json_is_array(arg) && !json_is_object(arg))
      eng_problem_add(p, sub, "\"in\" takes an array or a value that yields one");
    else if (strcmp(key, "exists") == 0 && !json_is_boolean(arg))
      eng_problem_add(p, sub, "\"exists\" takes true or false");
    else if (strcmp(key, "type") == 0 && !json_is_string(arg))
      eng_problem_add(p, sub, "\"type\" takes a type name");
    else
      eng_value_validate(arg, sub, p);
  }
}
