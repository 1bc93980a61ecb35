/*
 * key.c -- the key of a configuration: what can influence its future, as
 * canonical JSON (object keys sorted, no spaces), hashed with SHA-256.
 *
 *   {"s": the active leaves, "z": closed,
 *    "c": {counter: n} for the counters a condition reads,
 *    "f": [the flags a condition names, sorted],
 *    "t": {timer: [event, seconds until due]},
 *    "k": {path: value} for every case path the chart or its properties
 *         read (dates in them as days from today "@+3d", times as seconds
 *         from now "@-60s"),
 *    "r": {path: value} for the run.* paths the properties read,
 *    "w": today's weekday,
 *    "h": seconds since midnight (only when a condition reads now_time),
 *    "p": what the properties say of it (see below)}
 *
 * Everything time-dependent is relative to now, so a configuration reached
 * on another day with the same deadlines ahead of it is the same one.  The
 * weekday stays in the key because working days depend on it; holidays
 * and the lengths of months do not (a documented approximation).  What is
 * left out (the case's id, version, timestamps, counters, flags and fields
 * nothing reads, the run record beyond what properties read) cannot change
 * which events are taken, what they do, or what a property says.
 *
 * A closed case takes no event and has no timer: its key is only
 * {"s", "z": true, "r", "p": whether each property's condition holds}.
 * When a property reads run.last (the step that led here), that step
 * leaves the key, which gets "p" instead: the next step replaces it, so it
 * matters only for what the properties say of this configuration.
 *
 * In a slice (slice.c) the key is what the slice keeps (the weekday only
 * when something in it counts working days): the active states
 * of its regions ("s" lists them, leaves or not, in the chart's order),
 * its timers, counters, flags and fields; the rest cannot change what the
 * slice's events do to it.
 *
 * The text is streamed into the digest as it is written: no JSON is built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "verify/verify_int.h"

#define KEY_BUF_BYTES 4096

typedef struct {
  sha256_ctx_t sha;
  cal_day_t today;
  int64_t now_s;
  size_t used;
  char buf[KEY_BUF_BYTES]; /* text not yet hashed */
} kw_t;

static void put_bytes(kw_t *w, const char *s, size_t n) {
  if (w->used + n > sizeof(w->buf)) {
    sha256_update(&w->sha, w->buf, w->used);
    w->used = 0;
  }
  if (n > sizeof(w->buf)) {
    sha256_update(&w->sha, s, n);
    return;
  }
  memcpy(w->buf + w->used, s, n);
  w->used += n;
}

static void put(kw_t *w, const char *s) {
  put_bytes(w, s, strlen(s));
}

static void put_string(kw_t *w, const char *s) {
  const char *p, *run = s;
  char esc[8];
  put(w, "\"");
  for (p = s; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if (ch == '"' || ch == '\\' || ch < 0x20) {
      put_bytes(w, run, (size_t)(p - run));
      snprintf(esc, sizeof(esc), "\\u%04x", ch);
      put(w, esc);
      run = p + 1;
    }
  }
  put_bytes(w, run, (size_t)(p - run));
  put(w, "\"");
}

static void finish(kw_t *w, uint8_t out[SHA256_DIGEST_BYTES]) {
  sha256_update(&w->sha, w->buf, w->used);
  sha256_final(&w->sha, out);
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes v with its object keys sorted and its dates and times relative
 * to today and now. */
static void put_value(kw_t *w, const json_t *v, int depth) {
  char buf[48];
  if (v == NULL || json_is_null(v)) {
    put(w, "null");
  } else if (json_is_true(v)) {
    put(w, "true");
  } else if (json_is_false(v)) {
    put(w, "false");
  } else if (json_is_integer(v)) {
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
    put(w, buf);
  } else if (json_is_real(v)) {
    snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
    put(w, buf);
  } else if (json_is_string(v)) {
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    cal_day_t d;
    int64_t t;
    if (len == 10 && cal_day_parse(s, &d) == 0) {
      snprintf(buf, sizeof(buf), "\"@%+dd\"", (int)(d - w->today));
      put(w, buf);
    } else if (len >= 20 && len <= 40 && s[4] == '-' && s[10] == 'T' && cal_time_parse(s, &t) == 0) {
      snprintf(buf, sizeof(buf), "\"@%+llds\"", (long long)(t - w->now_s));
      put(w, buf);
    } else {
      put_string(w, s);
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *item;
    put(w, "[");
    json_array_foreach(v, i, item) {
      if (i) put(w, ",");
      put_value(w, depth > LIMIT_JSON_DEPTH_MAX + 4 ? NULL : item, depth + 1);
    }
    put(w, "]");
  } else if (json_is_object(v)) {
    size_t n = json_object_size(v), i = 0;
    const char **keys = malloc(sizeof(char *) * (n + 1)), *k;
    json_t *item;
    put(w, "{");
    if (keys != NULL) {
      json_object_foreach((json_t *)v, k, item) {
        keys[i++] = k;
      }
      qsort(keys, n, sizeof(char *), str_cmp);
      for (i = 0; i < n; i++) {
        if (i) put(w, ",");
        put_string(w, keys[i]);
        put(w, ":");
        put_value(w, depth > LIMIT_JSON_DEPTH_MAX + 4 ? NULL : json_object_get(v, keys[i]), depth + 1);
      }
      free(keys);
    }
    put(w, "}");
  }
}

/* "r": the values at the run paths the properties read (sorted by the model). */
static void put_run(kw_t *w, const vmodel_t *m, const json_t *run, bool skip_last) {
  size_t i;
  json_t *p;
  bool first = true;
  put(w, "\"r\":{");
  json_array_foreach(m->run_paths, i, p) {
    const json_t *v = engine_path_get(run, json_string_value(p) + 4);
    /* The last step does not carry into the future: what the properties
     * say of this configuration ("p") stands for it. */
    if (skip_last && model_paths_overlap(json_string_value(p), "run.last")) continue;
    if (v == NULL) continue;
    if (!first) put(w, ",");
    first = false;
    put_string(w, json_string_value(p));
    put(w, ":");
    put_value(w, v, 0);
  }
  put(w, "}");
}

/* "s": the active leaves; in a slice, the active states of the regions it keeps. */
static void put_states(kw_t *w, const vmodel_t *m, const json_t *case_) {
  bool active[LIMIT_CHART_STATES_MAX];
  bool first = true;
  int s;
  if (m->state_in_key == NULL) {
    put_value(w, json_object_get(case_, "state"), 0);
    return;
  }
  model_active(m, case_, active);
  put(w, "[");
  for (s = 0; s < m->states_count; s++) {
    if (!active[s] || !m->state_in_key[s]) continue;
    if (!first) put(w, ",");
    first = false;
    put_string(w, m->states[s].name);
  }
  put(w, "]");
}

int key_digest(const vmodel_t *m, const json_t *case_, const json_t *run, int64_t now_s, const json_t *holds,
               uint8_t out[SHA256_DIGEST_BYTES]) {
  kw_t w;
  char buf[64];
  size_t i, n;
  json_t *v, *timers = json_object_get(case_, "timers"), *flags = json_object_get(case_, "flags");
  const char *names[LIMIT_TIMERS_PER_CASE_MAX + 1];
  bool first;
  sha256_init(&w.sha);
  w.used = 0;
  w.today = cal_local_day(now_s);
  w.now_s = now_s;
  put(&w, "{\"s\":");
  put_states(&w, m, case_);
  if (json_is_true(json_object_get(case_, "closed"))) {
    put(&w, ",\"z\":true,");
    put_run(&w, m, run, holds != NULL);
    put(&w, ",\"p\":");
    put_value(&w, holds, 0);
    put(&w, "}");
    finish(&w, out);
    return 0;
  }
  put(&w, ",\"z\":false,\"c\":{");
  first = true;
  json_array_foreach(m->counters_sorted, i, v) {
    const json_t *c = json_object_get(json_object_get(case_, "counters"), json_string_value(v));
    if (c == NULL) continue;
    if (!first) put(&w, ",");
    first = false;
    put_string(&w, json_string_value(v));
    put(&w, ":");
    put_value(&w, c, 0);
  }
  if (m->counters_all) {
    put(&w, "},\"C\":");
    put_value(&w, json_object_get(case_, "counters"), 0);
  } else {
    put(&w, "}");
  }
  /* Flags, in the model's sorted order, or all of them sorted. */
  put(&w, ",\"f\":[");
  first = true;
  if (m->flags_all) {
    const char **all = malloc(sizeof(char *) * (json_array_size(flags) + 1));
    if (all == NULL) return CASUS_ENOMEM;
    n = 0;
    json_array_foreach(flags, i, v) {
      if (json_is_string(v)) all[n++] = json_string_value(v);
    }
    qsort(all, n, sizeof(char *), str_cmp);
    for (i = 0; i < n; i++) {
      if (i) put(&w, ",");
      put_string(&w, all[i]);
    }
    free(all);
  } else {
    json_array_foreach(m->flags_sorted, i, v) {
      size_t k;
      json_t *f;
      bool set = false;
      json_array_foreach(flags, k, f) {
        if (json_equal(f, v)) set = true;
      }
      if (!set) continue;
      if (!first) put(&w, ",");
      first = false;
      put_string(&w, json_string_value(v));
    }
  }
  /* Timers by name: their event and how far ahead they are due. */
  put(&w, "],\"t\":{");
  n = 0;
  {
    const char *name;
    json_object_foreach(timers, name, v) {
      if (m->timers_in_key != NULL && json_object_get(m->timers_in_key, name) == NULL) continue;
      if (n < LIMIT_TIMERS_PER_CASE_MAX + 1) names[n++] = name;
    }
  }
  qsort(names, n, sizeof(char *), str_cmp);
  for (i = 0; i < n; i++) {
    const json_t *t = json_object_get(timers, names[i]);
    if (i) put(&w, ",");
    put_string(&w, names[i]);
    put(&w, ":[");
    put_value(&w, json_object_get(t, "event"), 0);
    snprintf(buf, sizeof(buf), ",%lld]",
             (long long)(json_integer_value(json_object_get(t, "due_s")) - now_s));
    put(&w, buf);
  }
  put(&w, "},\"k\":{");
  first = true;
  if (m->kept_all_fields) {
    put(&w, "\"fields\":");
    put_value(&w, json_object_get(case_, "fields"), 0);
    first = false;
  }
  json_array_foreach(m->kept, i, v) {
    const char *path = json_string_value(v);
    const json_t *value = engine_path_get(case_, strncmp(path, "case.", 5) == 0 ? path + 5 : path);
    if (value == NULL) continue;
    if (!first) put(&w, ",");
    first = false;
    put_string(&w, path);
    put(&w, ":");
    put_value(&w, value, 0);
  }
  put(&w, "},");
  put_run(&w, m, run, holds != NULL);
  if (!m->weekday_irrelevant) {
    snprintf(buf, sizeof(buf), ",\"w\":%d", cal_weekday(w.today));
    put(&w, buf);
  }
  if (m->timers_in_key != NULL) {
    /* A timer outside the slice that is due fires before anything else
     * happens to the case (the one successor), and changes nothing the
     * slice keeps: "d" tells the configuration before it from the one
     * after, which would otherwise be the same and never move on. */
    const char *name;
    bool due = false;
    json_object_foreach(timers, name, v) {
      if (json_integer_value(json_object_get(v, "due_s")) <= now_s) due = true;
    }
    if (due) put(&w, ",\"d\":true");
  }
  if (m->reads_now_time) {
    snprintf(buf, sizeof(buf), ",\"h\":%lld", (long long)(now_s - cal_local_midnight(w.today)));
    put(&w, buf);
  }
  if (holds != NULL) {
    put(&w, ",\"p\":");
    put_value(&w, holds, 0);
  }
  put(&w, "}");
  finish(&w, out);
  return 0;
}
