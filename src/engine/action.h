/*
 * action.h -- actions (set, append, unset, count, reset, flag, unflag, arm,
 * cancel, task, notify, close_tasks, if) and timers, as the chart check
 * sees them (private to src/engine/); the engine runs them (engine.c).
 * Calls cond.h, value.h, index.h and problem.h.
 */
#ifndef CASUS_ENGINE_ACTION_H
#define CASUS_ENGINE_ACTION_H

#include <stdbool.h>

#include "engine/problem.h"

/* Load-time validators.  Adds problems for a malformed action list at path
 * (depth: how deep in "if" branches it is); c is the chart whose roles a
 * task or notification may name. */
void eng_actions_validate(const engine_chart_t *c, const json_t *actions, const char *path,
                          engine_problems_t *p, int depth);
/* Adds problems for a malformed timer at path: a state's timer {"name", ...} or, with named_by_arm,
 * an "arm" action {"arm": name, ...}. */
void eng_timer_validate(const json_t *t, const char *path, engine_problems_t *p, bool named_by_arm);

/* Calls fn on every action of the list (recursing into the branches of "if", at most
 * LIMIT_ACTIONS_DEPTH_MAX deep; depth is the list's own). */
typedef void (*eng_action_fn)(const json_t *action, void *ud);
void eng_actions_walk(const json_t *actions, eng_action_fn fn, void *ud, int depth);

#endif
