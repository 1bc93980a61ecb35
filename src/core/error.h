/*
 * error.h -- the one list of casusd's error codes.
 *
 * Every error the service can report is one row of CASUS_ERR_MAP: its C name,
 * the HTTP status it maps to, the stable machine code that appears in the
 * JSON error body, and a sentence a person understands.  0 is success and
 * every error is a negative int, so functions return `int` and callers test
 * `if (rc < 0)`.  Foreign errors (LMDB, libuv, jansson) are translated to one
 * of these once, at the module boundary that calls the foreign library.
 */
#ifndef CASUS_CORE_ERROR_H
#define CASUS_CORE_ERROR_H

#define CASUS_ERR_MAP(X)                                                                                    \
  X(BAD_REQUEST, 400, "bad_request", "The request is malformed.")                                           \
  X(BAD_JSON, 400, "invalid_json", "The request body is not valid JSON.")                                   \
  X(UNKNOWN_EVENT, 400, "unknown_event", "The chart has no event of that name.")                            \
  X(UNAUTHENTICATED, 401, "unauthenticated", "A valid bearer token is required.")                           \
  X(FORBIDDEN, 403, "forbidden", "Your role may not do this.")                                              \
  X(NOT_FOUND, 404, "not_found", "No such resource, or it is not visible to you.")                          \
  X(METHOD_NOT_ALLOWED, 405, "method_not_allowed", "That method is not supported on this path.")            \
  X(TIMEOUT, 408, "request_timeout", "The request was not received in time.")                               \
  X(NOT_ALLOWED_IN_STATE, 409, "not_allowed_in_state",                                                      \
    "This event is not allowed in the case's current state.")                                               \
  X(VERSION_MISMATCH, 409, "version_mismatch", "The case has changed since the version you expected.")      \
  X(CLOCK_NOT_MANUAL, 409, "clock_not_manual",                                                              \
    "The clock can only be set when the server runs with --clock manual.")                                  \
  X(TOO_LARGE, 413, "body_too_large", "The request body is too large.")                                     \
  X(UNSUPPORTED_MEDIA, 415, "unsupported_media_type", "The request body must be application/json.")         \
  X(INVALID_DATA, 422, "invalid_data", "The request data is missing or invalid.")                           \
  X(GUARD_FAILED, 422, "guard_failed", "A rule of the process does not allow this now.")                    \
  X(IDEMPOTENCY_REUSED, 422, "idempotency_key_reused",                                                      \
    "This Idempotency-Key was used before with another request.")                                           \
  X(CLOCK_BACKWARDS, 422, "clock_backwards", "The clock can only be set forward.")                          \
  X(RATE_LIMITED, 429, "rate_limited",                                                                      \
    "You sent more writes than the configured rate allows; retry after the seconds in Retry-After.")        \
  X(HEADERS_TOO_LARGE, 431, "headers_too_large", "The request headers are too large.")                      \
  X(INTERNAL, 500, "internal_error", "An internal error occurred.")                                         \
  X(NOMEM, 503, "out_of_memory", "The server is out of memory.")                                            \
  X(OVERLOADED, 503, "overloaded", "The server is overloaded; try again later.")                            \
  X(STORE, 503, "store_unavailable", "The data store cannot be written; nothing was changed.")              \
  X(STORE_FULL, 503, "store_full",                                                                          \
    "The data store was full; nothing was changed. It grows by itself up to its limit: retry shortly (see " \
    "docs/operations.md).")                                                                                 \
  X(STORE_CORRUPT, 500, "store_corrupt", "The data store is damaged.")                                      \
  X(IO, 500, "io_error", "An input/output error occurred.")                                                 \
  X(CHART_INVALID, 500, "chart_invalid", "The statechart is invalid.")                                      \
  X(CONFIG_INVALID, 500, "config_invalid", "The configuration is invalid.")

/* CASUS_OK is 0; the errors count down from -1 in the order of the list. */
typedef enum {
  CASUS_OK = 0,
  CASUS__ERR_BASE = -1000,
#define CASUS_ERR_ENUM(name, status, code, msg) CASUS_E##name,
  CASUS_ERR_MAP(CASUS_ERR_ENUM)
#undef CASUS_ERR_ENUM
      CASUS__ERR_END
} casus_err_t;

/* The HTTP status for `err` (500 for an unknown value, 200 for CASUS_OK). */
int core_err_http_status(int err);
/* The stable machine code, e.g. "guard_failed" ("ok" for CASUS_OK). Static string. */
const char *core_err_code(int err);
/* The default sentence for `err`. Static string. */
const char *core_err_message(int err);

#endif
