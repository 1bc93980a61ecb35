/*
 * property.c -- the shape of a chart's "properties" (see property.h and
 * docs/statecharts.md, "Properties").  Each is
 *
 *   {"name": "...", "rule": "R-...", "always" | "never": <condition>}
 *   {"name": "...", "rule": "R-...", "reach": {"state": "<name>"} | {"event": "<name>"}}
 *
 * with an optional "known_failing": "<reason>" and "description".  The
 * conditions are the chart's own (cond.c), over the case, plus the record
 * of the run that the verifier keeps: run.events.<event>, run.roles.<event>
 * [.<role>], run.tasks.<kind>, run.last.event, run.last.role and
 * run.last.from[.<state>].
 * Every name a property uses must be one the chart has, so that a typo is
 * a problem at load and not a property that holds for the wrong reason.
 */
#include "engine/property.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "engine/cond.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const property_keys[] = {"name",  "rule",          "always",     "never",
                                            "reach", "known_failing", "description"};

static bool event_known(const engine_chart_t *c, const char *event) {
  return event != NULL && json_object_get(c->event_roles, event) != NULL;
}

/* Whether some "task" action of the chart (node, below) opens tasks of kind. */
static bool task_kind_in(const json_t *node, const char *kind, int depth) {
  const char *key;
  json_t *v;
  size_t i;
  if (depth > 2 * LIMIT_ACTIONS_DEPTH_MAX + 16) return false;
  if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      if (task_kind_in(v, kind, depth + 1)) return true;
    }
    return false;
  }
  if (!json_is_object(node)) return false;
  v = json_object_get(json_object_get(node, "task"), "kind");
  if (json_is_string(v) && strcmp(json_string_value(v), kind) == 0) return true;
  json_object_foreach((json_t *)node, key, v) {
    if ((json_is_object(v) || json_is_array(v)) && strcmp(key, "properties") != 0 &&
        task_kind_in(v, kind, depth + 1))
      return true;
  }
  return false;
}

/* Whether the dotted path below "run." (rest) names something the run
 * record holds: events.<event>, roles.<event>[.<role>], tasks.<kind>,
 * last, last.event, last.role, last.from[.<state>].  The message says
 * what is wrong. */
static bool run_path_valid(const engine_chart_t *c, const char *rest, char *msg, size_t msg_size) {
  char buf[4 * LIMIT_ID_BYTES_MAX], *part[4] = {NULL, NULL, NULL, NULL}, *save = NULL, *tok;
  int n = 0;
  snprintf(buf, sizeof(buf), "%s", rest);
  for (tok = strtok_r(buf, ".", &save); tok != NULL && n < 4; tok = strtok_r(NULL, ".", &save))
    part[n++] = tok;
  if (n == 4 || part[0] == NULL) {
    snprintf(msg, msg_size,
             "the run record has run.events.<event>, run.roles.<event>[.<role>], run.tasks.<kind>, run.last");
    return false;
  }
  if (strcmp(part[0], "events") == 0 || strcmp(part[0], "roles") == 0) {
    bool roles = part[0][0] == 'r';
    if (part[1] == NULL || !event_known(c, part[1]) || (!roles && part[2] != NULL)) {
      snprintf(msg, msg_size, "run.%s takes an event of the chart%s", part[0],
               roles ? " and optionally a role" : "");
      return false;
    }
    if (part[2] != NULL && (!eng_role_known(c, part[2]) || part[3] != NULL)) {
      snprintf(msg, msg_size, "\"%s\" is not a role of the chart", part[2]);
      return false;
    }
    return true;
  }
  if (strcmp(part[0], "tasks") == 0) {
    if (part[1] != NULL && part[2] == NULL && task_kind_in(engine_chart_json(c), part[1], 0)) return true;
    snprintf(msg, msg_size, "run.tasks takes a kind of task the chart opens (a \"task\" action's \"kind\")");
    return false;
  }
  if (strcmp(part[0], "last") == 0) {
    if (part[1] == NULL) return true;
    if ((strcmp(part[1], "event") == 0 || strcmp(part[1], "role") == 0) && part[2] == NULL) return true;
    if (strcmp(part[1], "from") == 0 && (part[2] == NULL || eng_state_find(c, part[2]) >= 0)) return true;
    snprintf(msg, msg_size, "run.last has event, role and from.<state> (a state of the chart)");
    return false;
  }
  snprintf(msg, msg_size, "the run record has run.events.<event>, run.roles.<event>[.<role>], run.last");
  return false;
}

/* Checks the names a property's condition uses: the states of in_state and
 * the run paths, anywhere in it (values included). */
static void names_check(const engine_chart_t *c, const json_t *node, const char *path, engine_problems_t *p,
                        int depth) {
  const char *key;
  json_t *v;
  size_t i;
  char msg[160];
  if (depth > 2 * LIMIT_ACTIONS_DEPTH_MAX + 4) return; /* eng_cond_validate reports the nesting */
  if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      names_check(c, v, path, p, depth + 1);
    }
    return;
  }
  if (!json_is_object(node)) return;
  v = json_object_get(node, "in_state");
  if (json_is_string(v) && eng_state_find(c, json_string_value(v)) < 0)
    eng_problem_add(p, path, "\"in_state\" names unknown state \"%s\"", json_string_value(v));
  v = json_object_get(node, "path");
  if (json_is_string(v) && strncmp(json_string_value(v), "run.", 4) == 0 &&
      !run_path_valid(c, json_string_value(v) + 4, msg, sizeof(msg)))
    eng_problem_add(p, path, "\"%s\": %s", json_string_value(v), msg);
  if (json_is_string(v) && strcmp(json_string_value(v), "run") == 0)
    eng_problem_add(p, path, "\"run\" alone is not a value a condition can test; name a member");
  json_object_foreach((json_t *)node, key, v) {
    names_check(c, v, path, p, depth + 1);
  }
}

static void reach_validate(const engine_chart_t *c, const json_t *reach, const char *path,
                           engine_problems_t *p) {
  const json_t *state = json_object_get(reach, "state"), *event = json_object_get(reach, "event");
  if (!json_is_object(reach) || json_object_size(reach) != 1 || (state == NULL && event == NULL)) {
    eng_problem_add(p, path, "\"reach\" is {\"state\": \"<name>\"} or {\"event\": \"<name>\"}");
    return;
  }
  if (state != NULL && (!json_is_string(state) || eng_state_find(c, json_string_value(state)) < 0))
    eng_problem_add(p, path, "\"reach\" names unknown state %s",
                    json_is_string(state) ? json_string_value(state) : "(not a string)");
  if (event != NULL && (!json_is_string(event) || !event_known(c, json_string_value(event))))
    eng_problem_add(p, path, "\"reach\" names unknown event %s",
                    json_is_string(event) ? json_string_value(event) : "(not a string)");
}

static bool text_ok(const json_t *v) {
  return json_is_string(v) && json_string_length(v) > 0;
}

void eng_properties_validate(const engine_chart_t *c, const json_t *props, engine_problems_t *p) {
  size_t i, k;
  json_t *prop;
  char path[64], sub[96];
  if (props == NULL) return;
  if (!json_is_array(props)) {
    eng_problem_add(p, "$.properties", "\"properties\" must be an array of properties");
    return;
  }
  if (json_array_size(props) > LIMIT_CHART_PROPERTIES_MAX)
    eng_problem_add(p, "$.properties", "more than %d properties", LIMIT_CHART_PROPERTIES_MAX);
  json_array_foreach(props, i, prop) {
    const json_t *name = json_object_get(prop, "name"), *kf = json_object_get(prop, "known_failing");
    const char *kinds[] = {"always", "never", "reach"};
    int kinds_count = 0;
    snprintf(path, sizeof(path), "$.properties[%zu]", i);
    if (!json_is_object(prop)) {
      eng_problem_add(p, path,
                      "a property is an object {\"name\", \"rule\", \"always\"|\"never\"|\"reach\"}");
      continue;
    }
    eng_keys_check(prop, property_keys, COUNT(property_keys), path, p);
    if (!text_ok(name) || json_string_length(name) >= LIMIT_ID_BYTES_MAX) {
      eng_problem_add(p, path, "a property needs a \"name\" (1 to %d characters)", LIMIT_ID_BYTES_MAX - 1);
    } else {
      for (k = 0; k < i; k++)
        if (json_equal(json_object_get(json_array_get(props, k), "name"), name))
          eng_problem_add(p, path, "property name \"%s\" is used twice", json_string_value(name));
    }
    if (!text_ok(json_object_get(prop, "rule")))
      eng_problem_add(p, path, "a property needs the \"rule\" id it proves (\"R-...\")");
    if (kf != NULL && !text_ok(kf))
      eng_problem_add(p, path, "\"known_failing\" takes the reason (a sentence) the chart still fails it");
    for (k = 0; k < COUNT(kinds); k++) {
      const json_t *body = json_object_get(prop, kinds[k]);
      if (body == NULL) continue;
      kinds_count++;
      snprintf(sub, sizeof(sub), "%s.%s", path, kinds[k]);
      if (k == 2) {
        reach_validate(c, body, sub, p);
      } else {
        eng_cond_validate(body, sub, p, 0);
        names_check(c, body, sub, p, 0);
      }
    }
    if (kinds_count != 1)
      eng_problem_add(p, path, "a property has exactly one of \"always\", \"never\" and \"reach\"");
  }
}
