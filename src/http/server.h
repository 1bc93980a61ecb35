/*
 * server.h -- a small HTTP/1.1 server on libuv and Debian's http-parser.
 *
 * It knows nothing of casusd's domain: it accepts connections, parses one
 * request at a time per connection (pipelined requests wait their turn),
 * enforces the edge limits of core/limits.h and hands each complete request
 * to the application's callback.  The application answers later, possibly
 * in another loop iteration (after a group commit), with http_respond() or
 * turns the request into a Server-Sent-Events stream.
 *
 * Edge errors are answered by the server itself with the JSON error body of
 * core/errbody.h and, where the connection can no longer be trusted, a
 * close: malformed request (400, closed), Content-Length together with
 * Transfer-Encoding (400, closed), header block too large (431, closed),
 * body larger than LIMIT_BODY_BYTES_MAX (413, closed), request not complete
 * within LIMIT_REQUEST_TIMEOUT_MS (408, closed).  Idle keep-alive
 * connections are closed after LIMIT_IDLE_TIMEOUT_MS; connections beyond
 * LIMIT_CONNECTIONS_MAX are answered 503 and closed.
 *
 * Ownership: an http_request_t is owned by the server.  It stays valid from
 * the callback until the application calls http_respond() (or
 * http_stream_end()) on it, even when the client disconnects meanwhile (then
 * `closed` becomes true and the response is dropped).  The application must
 * answer every request exactly once.
 *
 * Threads: everything runs on the loop's thread.
 */
#ifndef CASUS_HTTP_SERVER_H
#define CASUS_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct http_server_s http_server_t;

/* X-Request-Id: taken from the request when well-formed (1 to this many
 * bytes of letters, digits and "-_.:"), made up otherwise (32 hex digits); sent back on the
 * response (docs/api.md, Request ids). */
#define HTTP_REQUEST_ID_BYTES_MAX 64

typedef struct http_request_s {
  const char *method;        /* "GET", "POST", "PUT", ... */
  const char *path;          /* the path of the target, without the query, not decoded */
  const char *query;         /* the query string without '?', "" when none */
  const char *authorization; /* header values, NULL when absent */
  const char *idempotency_key;
  const char *content_type;
  const char *last_event_id;
  const char *body; /* NUL-terminated; "" when no body */
  size_t body_len;
  bool peer_loopback; /* the client connected from 127.0.0.0/8 or ::1 */
  bool closed;        /* the client went away; responses are dropped */
  void *app_data;     /* free for the application */
  int route;          /* free for the application: its route, -1 until it sets one (metrics) */
  /* uv_hrtime() when the request was complete and handed over (0 before):
   * the start of the metrics' latency and of the log's duration_ms. */
  uint64_t start_ns;
  char request_id[HTTP_REQUEST_ID_BYTES_MAX + 1]; /* X-Request-Id of the request and its response */
  char actor[HTTP_REQUEST_ID_BYTES_MAX * 2];      /* the authenticated actor's id for the log, "" when none */
} http_request_t;

typedef void (*http_request_cb)(http_request_t *req, void *ud);
/* Called as a response to req leaves (http_respond, http_respond_error) or a
 * stream begins (status 200), with the ud of http_server_start: for the
 * application's latency metrics.  Not for the server's own edge errors (a
 * request that never reached the application). */
typedef void (*http_respond_cb)(http_request_t *req, int status, void *ud);
/* Called when a stream's client disconnects (after which http_stream_end
 * must still be called once to release the request). */
typedef void (*http_stream_close_cb)(http_request_t *req, void *ud);

/* Binds host:port (port 0 picks a free port; see http_server_port) and starts
 * accepting.  host is a numeric IPv4 or IPv6 address ("127.0.0.1", "::1").
 * Returns 0 or a negative libuv error: UV_EINVAL (bad host or port),
 * UV_ENOMEM, UV_EADDRINUSE, UV_EACCES, ...  On error *out is NULL, but the
 * listener handle may already have been created: run the loop (one
 * UV_RUN_NOWAIT pass suffices) before uv_loop_close so that it is freed. */
int http_server_start(http_server_t **out, uv_loop_t *loop, const char *host, int port, http_request_cb cb,
                      void *ud);
/* The bound port. */
int http_server_port(const http_server_t *srv);
/* Sets the hook called as each response leaves (NULL: none). */
void http_server_on_respond(http_server_t *srv, http_respond_cb cb);
/* Number of open connections. */
int http_server_connections(const http_server_t *srv);
/* Stops accepting, closes every connection and frees the server once all
 * handles have closed (run the loop to let that happen).  Requests still
 * owned by the application are released when answered. */
void http_server_stop(http_server_t *srv);
/* Overrides LIMIT_REQUEST_TIMEOUT_MS and LIMIT_IDLE_TIMEOUT_MS for this
 * server (tests use short ones); 0 keeps the limit of core/limits.h.  The
 * request timeout also bounds the "lingering close" after a response with
 * "Connection: close" (the server waits that long for the client's EOF).
 * Applies to timers started afterwards. */
void http_server_set_timeouts(http_server_t *srv, uint64_t request_ms, uint64_t idle_ms);

/* Test hook (tests/fuzz/fuzz_http.c; casusd itself does not use it): serves
 * sock, an already connected stream socket such as one end of a
 * socketpair(AF_UNIX, SOCK_STREAM), exactly as if the listener had accepted
 * it: the same connection object, parser glue, limits, timers and
 * responses, without a TCP connection per request (no ports, no TIME_WAIT).
 * On success the server owns sock and closes it with the connection.
 * Returns 0, UV_EINVAL (the server is stopping), UV_ENOMEM or the error of
 * uv_tcp_open (UV_EEXIST, ...); on error sock is still the caller's.
 * Caveat: the peer of a Unix socket is not loopback (peer_loopback false). */
int http_server_adopt(http_server_t *srv, uv_os_sock_t sock);

/* Sends a complete response.  content_type may be NULL for
 * "application/json".  extra_headers (may be NULL) is a block of
 * "Name: value\r\n" lines.  The body is copied.  The server adds Date,
 * Content-Type, Content-Length and, when it closes the connection afterwards,
 * "Connection: close".  Responses to HEAD carry no body; 1xx, 204 and 304
 * carry neither body nor Content-Length.  A body larger than
 * LIMIT_RESPONSE_BYTES_MAX is replaced by a 500 internal_error. */
void http_respond(http_request_t *req, int status, const char *content_type, const char *body, size_t len,
                  const char *extra_headers);
/* Sends the JSON error body for err (a casus_err_t) with its status.
 * message and rule may be NULL (default sentence; no rule). */
void http_respond_error(http_request_t *req, int err, const char *message, const char *rule);
/* The same, naming the data field a 422 refused ("field"; NULL or "": none). */
void http_respond_error_field(http_request_t *req, int err, const char *message, const char *rule,
                              const char *field);

/* Turns req into a Server-Sent-Events stream: sends 200 with
 * "Content-Type: text/event-stream" and keeps the connection open (no idle
 * timeout).  close_cb is called once, from a later loop callback, when the
 * connection goes away for any reason other than http_stream_end (client
 * EOF or error, a write that fails, http_server_stop).  If req->closed is
 * already true when this is called, close_cb is never called: check it. */
void http_stream_begin(http_request_t *req, http_stream_close_cb close_cb, void *ud);
/* Writes raw bytes (already formatted as SSE) to the stream; copied.
 * Returns 0, or UV_ECONNRESET when the client is gone.  A client that lets
 * more than LIMIT_RESPONSE_BYTES_MAX pile up unsent is disconnected (and
 * UV_ECONNRESET returned) rather than buffered without bound. */
int http_stream_write(http_request_t *req, const char *data, size_t len);
/* Ends the stream, closes its connection and releases req. */
void http_stream_end(http_request_t *req);

#endif
