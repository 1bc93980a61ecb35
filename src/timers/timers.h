/*
 * timers.h -- the clock and the one libuv timer behind all durable timers.
 *
 * Durable timers live in the store (R-TIME-3); this module only keeps one
 * uv_timer armed for the earliest due entry and tells the application when
 * something may be due.  The clock is real (time()) or manual (R-TIME-4):
 * a manual clock starts at a given instant and only moves when the
 * application sets it forward.
 *
 * Ownership: timers_t is heap-allocated by timers_new and freed by
 * timers_free after its handle closed (run the loop once).  Loop thread only.
 */
#ifndef CASUS_TIMERS_H
#define CASUS_TIMERS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define TIMERS_NONE INT64_MAX
/* A real clock re-checks at least this often, so a wall-clock jump is noticed. */
#define TIMERS_RECHECK_MS_MAX 60000

typedef struct timers_s timers_t;
typedef void (*timers_due_cb)(timers_t *t, void *ud);

/* manual: start the clock at start_s and only move it with timers_set_now. */
int timers_new(timers_t **out, uv_loop_t *loop, bool manual, int64_t start_s, timers_due_cb cb, void *ud);
/* Closes the handle; the object is freed in the close callback. */
void timers_free(timers_t *t);
bool timers_manual(const timers_t *t);
/* Seconds since the epoch. */
int64_t timers_now(const timers_t *t);
/* Manual clock only: CASUS_ECLOCK_NOT_MANUAL, CASUS_ECLOCK_BACKWARDS, or 0. */
int timers_set_now(timers_t *t, int64_t now_s);
/* Arms the libuv timer for the earliest due instant (TIMERS_NONE: nothing pending).
 * When it is already due the callback runs on the next loop iteration. */
void timers_arm(timers_t *t, int64_t earliest_due_s);

#endif
