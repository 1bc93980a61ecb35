#include "timers/timers.h"

#include <stdlib.h>
#include <time.h>

#include "core/error.h"

struct timers_s {
  uv_timer_t handle;
  bool manual;
  int64_t manual_now_s;
  timers_due_cb cb;
  void *ud;
};

static void timers_fire_cb(uv_timer_t *h) {
  timers_t *t = h->data;
  t->cb(t, t->ud);
}

int timers_new(timers_t **out, uv_loop_t *loop, bool manual, int64_t start_s, timers_due_cb cb, void *ud) {
  timers_t *t = calloc(1, sizeof(*t));
  int rc;
  if (t == NULL) return CASUS_ENOMEM;
  rc = uv_timer_init(loop, &t->handle);
  if (rc != 0) {
    free(t);
    return CASUS_EINTERNAL;
  }
  t->handle.data = t;
  t->manual = manual;
  t->manual_now_s = start_s;
  t->cb = cb;
  t->ud = ud;
  *out = t;
  return 0;
}

static void timers_close_cb(uv_handle_t *h) {
  free(h->data);
}

void timers_free(timers_t *t) {
  if (t == NULL) return;
  uv_timer_stop(&t->handle);
  uv_close((uv_handle_t *)&t->handle, timers_close_cb);
}

bool timers_manual(const timers_t *t) {
  return t->manual;
}

int64_t timers_now(const timers_t *t) {
  return t->manual ? t->manual_now_s : (int64_t)time(NULL);
}

int timers_set_now(timers_t *t, int64_t now_s) {
  if (!t->manual) return CASUS_ECLOCK_NOT_MANUAL;
  if (now_s < t->manual_now_s) return CASUS_ECLOCK_BACKWARDS;
  t->manual_now_s = now_s;
  return 0;
}

void timers_arm(timers_t *t, int64_t earliest_due_s) {
  int64_t now = timers_now(t);
  uint64_t delay_ms;
  uv_timer_stop(&t->handle);
  if (earliest_due_s == TIMERS_NONE) return;
  if (earliest_due_s <= now) {
    delay_ms = 0;
  } else if (t->manual) {
    return; /* a manual clock only moves by timers_set_now, which fires what came due */
  } else {
    int64_t d = (earliest_due_s - now) * 1000;
    delay_ms = d > TIMERS_RECHECK_MS_MAX ? TIMERS_RECHECK_MS_MAX : (uint64_t)d;
  }
  uv_timer_start(&t->handle, timers_fire_cb, delay_ms, 0);
}
