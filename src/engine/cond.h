/*
 * cond.h -- conditions: the "when" of transitions and timers, the "check"
 * of guards and the "if" of actions (private to src/engine/).  Calls
 * value.h, index.h (in_state) and problem.h.
 */
#ifndef CASUS_ENGINE_COND_H
#define CASUS_ENGINE_COND_H

#include <stdbool.h>

#include "engine/problem.h"
#include "engine/value.h"

/* Evaluates a condition; a malformed condition is false (charts are validated at load). */
bool eng_cond_eval(const eng_env_t *env, const json_t *cond);
/* Load-time validator: adds problems for a malformed condition at path (depth: its nesting so far).
 * Whether an "in_state" names a state is left to the chart check. */
void eng_cond_validate(const json_t *cond, const char *path, engine_problems_t *p, int depth);

#endif
