/*
 * action.c -- the shape of actions and timers (see action.h), checked when
 * a chart loads so that the engine can run them without checking again.
 */
#include "engine/action.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "engine/cond.h"
#include "engine/index.h"
#include "engine/value.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const timer_keys[] = {"name",  "arm",  "event", "after", "from",
                                         "fires", "kind", "rule",  "when",  "description"};
static const char *const notice_keys[] = {"kind", "to", "title", "rule"};

static void notice_validate(const engine_chart_t *c, const json_t *n, const char *path,
                            engine_problems_t *p) {
  const json_t *to = json_object_get(n, "to");
  size_t i;
  json_t *r;
  if (!json_is_object(n)) {
    eng_problem_add(p, path, "a task or notification is an object {kind, to, title, rule}");
    return;
  }
  eng_keys_check(n, notice_keys, COUNT(notice_keys), path, p);
  if (!json_is_string(json_object_get(n, "kind"))) eng_problem_add(p, path, "\"kind\" is required");
  if (!json_is_string(json_object_get(n, "title"))) eng_problem_add(p, path, "\"title\" is required");
  if (!json_is_array(to) || json_array_size(to) == 0)
    eng_problem_add(p, path, "\"to\" must be a non-empty array of roles");
  json_array_foreach(to, i, r) {
    if (!json_is_string(r) || !eng_role_known(c, json_string_value(r)) ||
        strcmp(json_string_value(r), ENGINE_ROLE_SYSTEM) == 0)
      eng_problem_add(p, path, "\"to\" names an unknown role");
  }
}

void eng_actions_validate(const engine_chart_t *c, const json_t *actions, const char *path,
                          engine_problems_t *p, int depth) {
  size_t i;
  json_t *a, *v;
  char sub[160], sub2[176];
  if (actions == NULL) return;
  if (!json_is_array(actions)) {
    eng_problem_add(p, path, "actions must be an array");
    return;
  }
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) {
    eng_problem_add(p, path, "actions nest deeper than %d", LIMIT_ACTIONS_DEPTH_MAX);
    return;
  }
  json_array_foreach(actions, i, a) {
    snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
    if (!json_is_object(a)) {
      eng_problem_add(p, sub, "an action must be an object");
      continue;
    }
    if ((v = json_object_get(a, "set")) != NULL || (v = json_object_get(a, "append")) != NULL) {
      const char *op = json_object_get(a, "set") ? "set" : "append";
      if (!json_is_string(v) || strncmp(json_string_value(v), "fields.", 7) != 0)
        eng_problem_add(p, sub, "\"%s\" takes a path below \"fields.\"", op);
      if (json_object_get(a, "value") == NULL) eng_problem_add(p, sub, "\"%s\" needs a \"value\"", op);
      snprintf(sub2, sizeof(sub2), "%s.value", sub);
      eng_value_validate(json_object_get(a, "value"), sub2, p);
    } else if ((v = json_object_get(a, "unset")) != NULL) {
      if (!json_is_string(v) || strncmp(json_string_value(v), "fields.", 7) != 0)
        eng_problem_add(p, sub, "\"unset\" takes a path below \"fields.\"");
    } else if ((v = json_object_get(a, "count")) != NULL || (v = json_object_get(a, "reset")) != NULL ||
               (v = json_object_get(a, "flag")) != NULL || (v = json_object_get(a, "unflag")) != NULL ||
               (v = json_object_get(a, "cancel")) != NULL ||
               (v = json_object_get(a, "close_tasks")) != NULL) {
      if (!json_is_string(v)) eng_problem_add(p, sub, "this action takes a name");
      if (json_object_get(a, "by") && !json_is_integer(json_object_get(a, "by")))
        eng_problem_add(p, sub, "\"by\" must be an integer");
    } else if (json_object_get(a, "arm") != NULL) {
      eng_timer_validate(a, sub, p, true);
    } else if ((v = json_object_get(a, "task")) != NULL || (v = json_object_get(a, "notify")) != NULL) {
      snprintf(sub2, sizeof(sub2), "%s.%s", sub, json_object_get(a, "task") ? "task" : "notify");
      notice_validate(c, v, sub2, p);
    } else if ((v = json_object_get(a, "if")) != NULL) {
      snprintf(sub2, sizeof(sub2), "%s.if", sub);
      eng_cond_validate(v, sub2, p, 0);
      snprintf(sub2, sizeof(sub2), "%s.then", sub);
      eng_actions_validate(c, json_object_get(a, "then"), sub2, p, depth + 1);
      snprintf(sub2, sizeof(sub2), "%s.else", sub);
      eng_actions_validate(c, json_object_get(a, "else"), sub2, p, depth + 1);
    } else {
      eng_problem_add(p, sub,
                      "unknown action (set, append, unset, count, reset, flag, unflag, arm, cancel, "
                      "task, notify, close_tasks, if)");
    }
  }
}

void eng_timer_validate(const json_t *t, const char *path, engine_problems_t *p, bool named_by_arm) {
  const char *fires = json_string_value(json_object_get(t, "fires"));
  char sub[176];
  eng_keys_check(t, timer_keys, COUNT(timer_keys), path, p);
  if (!json_is_string(json_object_get(t, named_by_arm ? "arm" : "name")))
    eng_problem_add(p, path, "a timer needs a %s", named_by_arm ? "name in \"arm\"" : "\"name\"");
  if (!json_is_string(json_object_get(t, "event"))) eng_problem_add(p, path, "a timer needs an \"event\"");
  if (json_object_get(t, "after") == NULL) {
    eng_problem_add(p, path, "a timer needs \"after\" (a duration)");
  } else {
    snprintf(sub, sizeof(sub), "%s.after", path);
    eng_after_validate(json_object_get(t, "after"), sub, p);
  }
  if (json_object_get(t, "from") && !json_is_string(json_object_get(t, "from")))
    eng_problem_add(p, path, "\"from\" must be \"now\" or a path to a date field");
  if (fires && strcmp(fires, "end_of_day") != 0 && strcmp(fires, "start_of_day") != 0)
    eng_problem_add(p, path, "\"fires\" must be end_of_day or start_of_day");
  if (json_object_get(t, "when")) {
    snprintf(sub, sizeof(sub), "%s.when", path);
    eng_cond_validate(json_object_get(t, "when"), sub, p, 0);
  }
}

void eng_actions_walk(const json_t *actions, eng_action_fn fn, void *ud, int depth) {
  size_t i;
  json_t *a;
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) return;
  json_array_foreach(actions, i, a) {
    fn(a, ud);
    if (json_object_get(a, "if")) {
      eng_actions_walk(json_object_get(a, "then"), fn, ud, depth + 1);
      eng_actions_walk(json_object_get(a, "else"), fn, ud, depth + 1);
    }
  }
}
