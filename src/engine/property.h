/*
 * property.h -- the properties a chart declares about itself (private to
 * src/engine/): its top-level "properties", which `casusd statechart verify`
 * checks on every configuration it reaches and the engine never runs.
 * The chart layer (with chart.c): calls cond.h, index.h and problem.h.
 */
#ifndef CASUS_ENGINE_PROPERTY_H
#define CASUS_ENGINE_PROPERTY_H

#include "engine/index.h"
#include "engine/problem.h"

/* Load-time validator of the chart's "properties" (may be NULL: none).  c
 * must hold the indexed states and every transition's roles (event_roles),
 * so that a property can only name states, events and roles the chart has. */
void eng_properties_validate(const engine_chart_t *c, const json_t *props, engine_problems_t *p);

#endif
