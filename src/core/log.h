/*
 * log.h -- casusd's log lines on stderr (`casusd serve --log-format`).
 *
 * text (the default): "<UTC time> casusd: <msg>", one line each.
 * json: one object per line, always "time", "level" and "msg"; a request
 * line (core_log_request, only with --log-format given) adds "request_id",
 * "method", "path", "status", "duration_ms" and "actor".
 */
#ifndef CASUS_CORE_LOG_H
#define CASUS_CORE_LOG_H

#include <stdbool.h>

typedef enum { CORE_LOG_TEXT, CORE_LOG_JSON } core_log_format_t;

/* The format of every later line; requests: whether request lines are written. */
void core_log_configure(core_log_format_t format, bool requests);
bool core_log_requests(void);

/* One line at level ("info", "warn", "error"); a trailing newline of the
 * message is dropped. */
void core_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One request line; actor NULL or "" when the request had none. */
void core_log_request(const char *request_id, const char *method, const char *path, int status,
                      double duration_ms, const char *actor);

#endif
