/*
 * jsonbody.h -- decoding a request body as a JSON object within the limits
 * of core/limits.h.
 *
 * Every write request of the API carries a JSON object.  This is the one
 * place that turns the body's bytes into that object, so that the API and
 * the fuzz harness (tests/fuzz/fuzz_event_body.c) exercise the same code:
 * jansson parses the bytes (duplicate keys refused), the top level must be
 * an object, and the document may nest at most LIMIT_JSON_DEPTH_MAX levels
 * below it, hold no string longer than LIMIT_STRING_BYTES_MAX bytes and no
 * key longer than LIMIT_ID_BYTES_MAX bytes.
 *
 * The operator's files (the config, statecharts) are read by
 * core_json_file_load, which refuses a file beyond its byte limit before
 * parsing it.
 */
#ifndef CASUS_CORE_JSONBODY_H
#define CASUS_CORE_JSONBODY_H

#include <jansson.h>
#include <stddef.h>

/* Parses len bytes at buf (need not be NUL-terminated; may be NULL when len
 * is 0) into *out, a new reference to a JSON object.
 *
 * Returns 0, or with *out NULL and a sentence for the client in msg
 * (msg_size bytes, NUL-terminated, truncated to fit; msg may be NULL when
 * msg_size is 0):
 *   CASUS_EBAD_JSON     the body is empty or not valid JSON (the message
 *                       names jansson's reason and the byte offset)
 *   CASUS_EBAD_REQUEST  valid JSON, but not an object, or beyond the depth,
 *                       string or key limits
 *   CASUS_ETOO_LARGE    len > LIMIT_BODY_BYTES_MAX (the HTTP edge refuses
 *                       such bodies first; this is the inner check)
 *   CASUS_ENOMEM        jansson ran out of memory
 *
 * Caveats: pure and thread-safe (jansson's own hashing seed aside). */
int core_json_body_parse(const char *buf, size_t len, json_t **out, char *msg, size_t msg_size);

/* Reads the JSON document in the regular file at path, which may hold at
 * most max_bytes bytes (LIMIT_CONFIG_BYTES_MAX, LIMIT_CHART_BYTES_MAX), and
 * returns a new reference to it (duplicate keys refused).  what names the
 * kind of file for the message ("configuration", "statechart").
 *
 * Returns NULL with a sentence in msg (msg_size bytes, NUL-terminated,
 * truncated to fit) when the file cannot be read, is not a regular file, is
 * larger than max_bytes, or is not valid JSON ("line L, column C: not valid
 * JSON: REASON"); the caller prefixes the path. */
json_t *core_json_file_load(const char *path, size_t max_bytes, const char *what, char *msg, size_t msg_size);

/* --- counted JSON I/O ---
 *
 * Every parse and every serialisation of the service goes through these two,
 * so that the cost of the write path can be counted (GET /metrics:
 * casusd_json_parses_total, casusd_json_serialisations_total; a test holds an
 * accepted event to its budget of parses and serialisations).  They behave
 * exactly as json_loadb and json_dumps. */
json_t *core_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
char *core_json_dumps(const json_t *json, size_t flags);
/* The number of core_json_loadb and core_json_dumps calls since the start
 * (loop thread only; not atomic). */
unsigned long long core_json_parses(void);
unsigned long long core_json_serialisations(void);

#endif
