/*
 * key.c -- the key of a configuration: what can influence its future, as
 * canonical JSON (sorted keys, compact), hashed with SHA-256.
 *
 *   {"s": the active leaves, "z": closed, "c": the counters, "f": the flags
 *    (sorted), "t": {timer: [event, seconds until due]}, "k": {path: value}
 *    for every case path the chart or its properties read (dates in them
 *    as days from today, times as seconds from now), "r": {path: value}
 *    for the run.* paths the properties read, "w": today's weekday,
 *    "h": seconds since midnight (only when a condition reads now_time)}
 *
 * A closed case takes no event and has no timer: its key is only
 * {"s", "z": true, "r", "p": whether each property's condition holds}.
 *
 * Everything time-dependent is relative to now, so a configuration reached
 * on another day with the same deadlines ahead of it is the same one.  The
 * weekday stays in the key because working days depend on it; holidays
 * and the lengths of months do not (a documented approximation).  What is
 * left out (the case's id, version, timestamps, fields nothing reads, the
 * run record beyond what properties read) cannot change which events are
 * taken, what they do, or what a property says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "verify/verify_int.h"

/* v with its dates and times made relative to today and now (new reference). */
static json_t *relative(const json_t *v, cal_day_t today, int64_t now_s, int depth) {
  if (json_is_string(v)) {
    cal_day_t d;
    int64_t t;
    char buf[40];
    if (cal_day_parse(json_string_value(v), &d) == 0) {
      snprintf(buf, sizeof(buf), "@%+dd", (int)(d - today));
      return json_string(buf);
    }
    if (json_string_length(v) >= 20 && cal_time_parse(json_string_value(v), &t) == 0) {
      snprintf(buf, sizeof(buf), "@%+llds", (long long)(t - now_s));
      return json_string(buf);
    }
    return json_incref((json_t *)v);
  }
  if (depth > LIMIT_JSON_DEPTH_MAX + 4) return json_incref((json_t *)v);
  if (json_is_object(v)) {
    json_t *o = json_object(), *item;
    const char *k;
    json_object_foreach((json_t *)v, k, item) {
      json_object_set_new(o, k, relative(item, today, now_s, depth + 1));
    }
    return o;
  }
  if (json_is_array(v)) {
    json_t *a = json_array(), *item;
    size_t i;
    json_array_foreach(v, i, item) {
      json_array_append_new(a, relative(item, today, now_s, depth + 1));
    }
    return a;
  }
  return json_incref((json_t *)v);
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The flags a condition can see, sorted. */
static json_t *flags_sorted(const vmodel_t *m, const json_t *flags) {
  size_t n = json_array_size(flags), i, k = 0;
  const char **names = calloc(n + 1, sizeof(*names));
  json_t *out = json_array();
  if (names == NULL || out == NULL) {
    free(names);
    json_decref(out);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    const char *f = json_string_value(json_array_get(flags, i));
    if (f != NULL && (m->flags_all || json_object_get(m->flags_read, f) != NULL)) names[k++] = f;
  }
  qsort(names, k, sizeof(*names), str_cmp);
  for (i = 0; i < k; i++) json_array_append_new(out, json_string(names[i]));
  free(names);
  return out;
}

int key_digest(const vmodel_t *m, const json_t *case_, const json_t *run, int64_t now_s, const json_t *holds,
               uint8_t out[SHA256_DIGEST_BYTES]) {
  cal_day_t today = cal_local_day(now_s);
  json_t *k = json_object(), *timers = json_object(), *kept = json_object(), *runs = json_object(), *t, *p;
  const char *name;
  char *text;
  size_t i;
  int rc = 0;
  if (k == NULL || timers == NULL || kept == NULL || runs == NULL) rc = CASUS_ENOMEM;
  json_object_foreach(json_object_get(case_, "timers"), name, t) {
    json_object_set_new(timers, name,
                        json_pack("[O, I]", json_object_get(t, "event"),
                                  (json_int_t)(json_integer_value(json_object_get(t, "due_s")) - now_s)));
  }
  if (m->kept_all_fields)
    json_object_set_new(kept, "fields", relative(json_object_get(case_, "fields"), today, now_s, 0));
  json_array_foreach(m->kept, i, p) {
    const char *path = json_string_value(p);
    const json_t *v = engine_path_get(case_, strncmp(path, "case.", 5) == 0 ? path + 5 : path);
    if (v != NULL) json_object_set_new(kept, path, relative(v, today, now_s, 0));
  }
  json_array_foreach(m->run_paths, i, p) {
    const json_t *v = engine_path_get(run, json_string_value(p) + 4);
    if (v != NULL) json_object_set(runs, json_string_value(p), (json_t *)v);
  }
  if (rc == 0 && json_is_true(json_object_get(case_, "closed"))) {
    /* Nothing happens to a closed case any more. */
    rc |= json_object_set(k, "s", json_object_get(case_, "state"));
    rc |= json_object_set_new(k, "z", json_true());
    rc |= json_object_set(k, "r", runs);
    rc |= json_object_set_new(k, "p", holds ? json_incref((json_t *)holds) : json_array());
    if (rc != 0) rc = CASUS_ENOMEM;
  } else if (rc == 0) {
    json_t *c = json_object_get(case_, "counters"), *counters = json_object(), *v;
    const char *cname;
    json_object_foreach(c, cname, v) {
      if (m->counters_all || json_object_get(m->counters_read, cname) != NULL)
        json_object_set(counters, cname, v);
    }
    rc |= json_object_set(k, "s", json_object_get(case_, "state"));
    rc |= json_object_set_new(k, "z", json_boolean(json_is_true(json_object_get(case_, "closed"))));
    rc |= json_object_set_new(k, "c", counters);
    rc |= json_object_set_new(k, "f", flags_sorted(m, json_object_get(case_, "flags")));
    rc |= json_object_set(k, "t", timers);
    rc |= json_object_set(k, "k", kept);
    rc |= json_object_set(k, "r", runs);
    rc |= json_object_set_new(k, "w", json_integer(cal_weekday(today)));
    if (m->reads_now_time) rc |= json_object_set_new(k, "h", json_integer(now_s - cal_local_midnight(today)));
    if (rc != 0) rc = CASUS_ENOMEM;
  }
  text = rc == 0 ? core_json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (rc == 0 && text == NULL) rc = CASUS_ENOMEM;
  if (rc == 0) sha256(text, strlen(text), out);
  free(text);
  json_decref(k);
  json_decref(timers);
  json_decref(kept);
  json_decref(runs);
  return rc;
}
