/*
 * problem.c -- the problem list of a chart being loaded: the bottom layer
 * of the engine (see problem.h), which every validator reports through.
 */
#include "engine/problem.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

static bool in_list(const char *s, const char *const *list, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(s, list[i]) == 0) return true;
  return false;
}

void eng_keys_check(const json_t *obj, const char *const *allowed, size_t n, const char *path,
                    engine_problems_t *p) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    (void)v;
    if (!in_list(key, allowed, n)) eng_problem_add(p, path, "unknown key \"%s\"", key);
  }
}
