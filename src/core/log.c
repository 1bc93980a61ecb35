#include "core/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static core_log_format_t log_format = CORE_LOG_TEXT;
static bool log_requests = false;

void core_log_configure(core_log_format_t format, bool requests) {
  log_format = format;
  log_requests = requests;
}

bool core_log_requests(void) {
  return log_requests;
}

/* The UTC time: to the second for text lines, milliseconds for JSON. */
static void log_time(char *buf, size_t size, bool ms) {
  struct timeval tv;
  struct tm tm;
  time_t sec;
  gettimeofday(&tv, NULL);
  sec = tv.tv_sec;
  gmtime_r(&sec, &tm);
  if (ms) {
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
  } else {
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
}

/* Writes obj as one compact line (JSON format); takes the reference. */
static void log_json_line(json_t *obj) {
  char *line = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  if (line != NULL) {
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    free(line);
  }
  json_decref(obj);
}

void core_log(const char *level, const char *fmt, ...) {
  char msg[2048], ts[40];
  size_t n;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  n = strlen(msg);
  while (n > 0 && msg[n - 1] == '\n') msg[--n] = '\0';
  if (log_format == CORE_LOG_JSON) {
    log_time(ts, sizeof(ts), true);
    log_json_line(json_pack("{s:s, s:s, s:s%}", "time", ts, "level", level, "msg", msg, n));
    return;
  }
  log_time(ts, sizeof(ts), false);
  fprintf(stderr, "%s casusd: %s\n", ts, msg);
  fflush(stderr);
}

void core_log_request(const char *request_id, const char *method, const char *path, int status,
                      double duration_ms, const char *actor) {
  char ts[40];
  if (!log_requests) return;
  if (actor != NULL && actor[0] == '\0') actor = NULL;
  if (log_format == CORE_LOG_JSON) {
    json_t *o;
    log_time(ts, sizeof(ts), true);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "time", ts, "level", "info", "msg", "request",
                  "request_id", request_id, "method", method, "path", path, "status", status, "duration_ms",
                  duration_ms);
    if (o != NULL) json_object_set_new(o, "actor", actor ? json_string(actor) : json_null());
    log_json_line(o);
    return;
  }
  log_time(ts, sizeof(ts), false);
  fprintf(stderr, "%s casusd: request %s %s %s %d %.3f ms actor=%s\n", ts, request_id, method, path, status,
          duration_ms, actor ? actor : "-");
  fflush(stderr);
}
