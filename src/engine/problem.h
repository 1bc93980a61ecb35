/*
 * problem.h -- the problem list of a chart being loaded (private to
 * src/engine/).
 *
 * The engine's files form layers, each calling only the ones below it:
 *
 *   problem   reporting what is wrong with a chart, by JSON path
 *   index     the states in pre-order, the events' roles, the roles
 *   value     paths, durations, value expressions, types
 *   cond, schema, action
 *             conditions; data schemas; actions and timers
 *   chart, property, engine, export
 *             loading and checking a chart and the properties it declares;
 *             running events; diagrams
 *
 * Each layer holds both halves of its language: the validator that the
 * chart check runs at load time (eng_*_validate) and, where it has one, the
 * evaluator the engine runs on a case.  This is the bottom layer: it calls
 * no other file of the engine.
 */
#ifndef CASUS_ENGINE_PROBLEM_H
#define CASUS_ENGINE_PROBLEM_H

#include <stddef.h>

#include "engine/engine.h"

/* Appends a problem at JSON path `path` (a printf-formatted sentence) to p.
 * p may be NULL; beyond ENGINE_PROBLEMS_MAX problems the rest are dropped. */
void eng_problem_add(engine_problems_t *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a problem at path for every key of the object obj that is not one
 * of the n names in allowed. */
void eng_keys_check(const json_t *obj, const char *const *allowed, size_t n, const char *path,
                    engine_problems_t *p);

#endif
