/*
 * server.c -- the HTTP/1.1 edge: libuv connections, http-parser glue,
 * keep-alive, pipelining, the edge limits and Server-Sent-Events.
 *
 * The life of a connection (http_conn_t):
 *
 *   accept -> idle -> reading a request -> owned by the application -> idle
 *                                                    \-> streaming (SSE)
 *   ... -> finishing (a response with "Connection: close" was queued: the
 *          write side is shut down and input is discarded until the client's
 *          EOF or the request timeout, so that the client reads the response
 *          instead of a reset) -> handles closing -> handles closed -> freed.
 *
 * Every byte read is appended to the connection's input buffer and parsed
 * from there.  When a request is complete the parser is paused, so that
 * pipelined bytes stay in the buffer until the application has answered; we
 * keep reading meanwhile (up to HTTP_PIPELINE_BYTES_MAX) only to notice a
 * client that goes away.  The application is never called from inside
 * http_parser_execute(): a parser callback only records, and
 * http_conn_process() dispatches after execute() has returned.  A response
 * given synchronously from the request callback lets the same loop go on
 * parsing; a later response resumes parsing from the connection's timer
 * (0 ms), never from inside http_respond(), so that an application answering
 * a batch of requests is not re-entered with new ones half-way.
 *
 * Lifetime: a connection owns two libuv handles (tcp, timer) and may be
 * lent to the application (req_owned).  Its memory is freed when both
 * handles have closed and the application has given the request back; the
 * server is freed when it is stopping, its listener has closed and no
 * connection still has handles open.  A connection whose handles have closed
 * is unlinked from the server and never touches it again, so a request
 * answered after http_server_stop() is safe.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/api_version.h"
#include "core/assert.h"
#include "core/errbody.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

/* Programmer errors (a request answered twice, a stream call on a plain
 * request) abort with context in every build type; operating errors are
 * answered with a status. */

/* Bytes asked of the kernel per read. */
#define HTTP_READ_BYTES (16 * 1024)
/* Input kept while the application owns a request: enough for one more
 * complete request; beyond it we stop reading until the answer. */
#define HTTP_PIPELINE_BYTES_MAX (LIMIT_HEADER_BYTES_MAX + LIMIT_BODY_BYTES_MAX)
/* Header names we collect are short; longer names are simply not ours. */
#define HTTP_NAME_BYTES_MAX 32
/* The accept backlog (libuv's and Node's customary value). */
#define HTTP_BACKLOG 511

/* A growable NUL-terminated byte string. */
typedef struct {
  char *data;
  size_t len;
  size_t cap;
} http_buf_t;

/* The request headers we keep.  Content-Length and Transfer-Encoding are
 * kept only to refuse duplicates and their combination (request smuggling). */
enum {
  HTTP_H_AUTHORIZATION,
  HTTP_H_IDEMPOTENCY_KEY,
  HTTP_H_CONTENT_TYPE,
  HTTP_H_LAST_EVENT_ID,
  HTTP_H_EXPECT,
  HTTP_H_CONTENT_LENGTH,
  HTTP_H_TRANSFER_ENCODING,
  HTTP_H_REQUEST_ID,
  HTTP_H_COUNT
};

static const char *const http_header_names[HTTP_H_COUNT] = {
    "authorization", "idempotency-key", "content-type",      "last-event-id",
    "expect",        "content-length",  "transfer-encoding", "x-request-id",
};

typedef enum { HTTP_HS_NONE, HTTP_HS_FIELD, HTTP_HS_VALUE } http_hstate_t;

/* What the parser callbacks gather for the request being read. */
typedef struct {
  http_buf_t url;
  http_buf_t hdr[HTTP_H_COUNT];
  bool hdr_seen[HTTP_H_COUNT];
  http_buf_t body;
  char name[HTTP_NAME_BYTES_MAX + 1]; /* current field name, lower case */
  size_t name_len;                    /* > HTTP_NAME_BYTES_MAX: too long to be ours */
  int cur;                            /* header whose value is being read, or -1 */
  http_hstate_t hstate;
  size_t header_bytes;
  int fields;
  bool headers_done; /* later field/value callbacks are chunked trailers */
  bool keep_alive;
  bool http10;
  bool head;
} http_reqstate_t;

typedef enum {
  HTTP_TIMER_NONE,
  HTTP_TIMER_IDLE,    /* no request under way: close silently */
  HTTP_TIMER_REQUEST, /* a request has begun: 408 when it fires */
  HTTP_TIMER_RESUME,  /* 0 ms: parse pipelined input after a later answer */
  HTTP_TIMER_LINGER,  /* finishing: stop waiting for the client's EOF */
} http_timer_mode_t;

typedef struct http_conn_s {
  http_request_t req; /* lent to the application while req_owned */
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown;
  http_parser parser;
  http_server_t *srv; /* NULL once both handles have closed */
  struct http_conn_s *prev, *next;
  http_reqstate_t rs;
  char *in; /* unparsed input is in[in_off, in_len) */
  size_t in_off, in_len, in_cap;
  http_timer_mode_t timer_mode;
  int handles_open;
  int edge_err; /* why a parser callback refused the request */
  const char *edge_msg;
  char edge_msg_buf[96];
  http_stream_close_cb stream_close_cb;
  void *stream_ud;
  bool peer_loopback;
  bool reading;
  bool write_blocked; /* parsing paused: the client does not read its answers */
  bool in_message;    /* the parser is inside a request */
  bool in_process;    /* http_conn_process() is on the stack */
  bool req_owned;     /* the application holds req */
  bool streaming;
  bool closing; /* no further responses: finishing or handles closing */
  bool handles_closing;
  bool busy; /* inside stream_close_cb: do not free */
} http_conn_t;

struct http_server_s {
  uv_loop_t *loop;
  uv_tcp_t listener;
  http_request_cb cb;
  http_respond_cb respond_cb; /* http_server_on_respond */
  void *ud;
  http_conn_t *conns;
  int nconns;
  int port;
  uint64_t request_ms;
  uint64_t idle_ms;
  bool stopping;
  bool listener_closed;
  time_t date_sec;
  char date[32];
  uint64_t rid_prefix; /* made-up request ids: this random prefix and a counter */
  uint64_t rid_next;
};

/* A queued write and its bytes, freed in its callback. */
typedef struct {
  uv_write_t req;
  size_t len;
  char data[];
} http_write_t;

static void http_conn_close(http_conn_t *c);
static void http_conn_process(http_conn_t *c);
static void http_conn_timer_cb(uv_timer_t *t);

/* ---- small helpers ---------------------------------------------------- */

static http_conn_t *http_conn_of(http_request_t *req) {
  return (http_conn_t *)(void *)((char *)req - offsetof(http_conn_t, req));
}

static int http_buf_append(http_buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char *p;
    while (cap < b->len + n + 1) cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL) return -1;
    b->data = p;
    b->cap = cap;
  }
  if (n > 0) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static void http_buf_free(http_buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static void http_reqstate_clear(http_conn_t *c) {
  http_reqstate_t *rs = &c->rs;
  int i;
  http_buf_free(&rs->url);
  http_buf_free(&rs->body);
  for (i = 0; i < HTTP_H_COUNT; i++) http_buf_free(&rs->hdr[i]);
  memset(rs, 0, sizeof *rs);
  rs->cur = -1;
}

/* Whether v (NUL-terminated) is a request id we take: 1 to
 * HTTP_REQUEST_ID_BYTES_MAX bytes of letters, digits and "-_.:". */
static bool http_request_id_valid(const char *v) {
  size_t n = 0;
  for (; v[n] != '\0'; n++) {
    char ch = v[n];
    if (n >= HTTP_REQUEST_ID_BYTES_MAX) return false;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
          ch == '_' || ch == '.' || ch == ':'))
      return false;
  }
  return n > 0;
}

/* Gives the connection's request its id, once: the client's X-Request-Id
 * when well-formed, else a made-up one: 32 hex digits, the server's random
 * 64-bit prefix and a counter (unique per run without a syscall per request). */
static void http_request_id_assign(http_conn_t *c) {
  http_reqstate_t *rs = &c->rs;
  if (c->req.request_id[0] != '\0') return;
  if (rs->hdr_seen[HTTP_H_REQUEST_ID] && rs->hdr[HTTP_H_REQUEST_ID].data != NULL &&
      http_request_id_valid(rs->hdr[HTTP_H_REQUEST_ID].data)) {
    snprintf(c->req.request_id, sizeof c->req.request_id, "%s", rs->hdr[HTTP_H_REQUEST_ID].data);
    return;
  }
  snprintf(c->req.request_id, sizeof c->req.request_id, "%016llx%016llx",
           (unsigned long long)c->srv->rid_prefix, (unsigned long long)++c->srv->rid_next);
}

/* The request line of the log (--log-format): once per response. */
static void http_log_request(http_conn_t *c, int status) {
  uint64_t start = c->req.start_ns;
  if (!core_log_requests()) return;
  core_log_request(c->req.request_id, c->req.method ? c->req.method : "-", c->req.path ? c->req.path : "-",
                   status, start ? (double)(uv_hrtime() - start) / 1e6 : 0.0, c->req.actor);
}

static const char *http_reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

/* The Date header value, formatted once per second.  Day and month names
 * are spelled out here because strftime's follow the process locale. */
static const char *http_server_date(http_server_t *srv) {
  static const char *const days[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t now = time(NULL);
  struct tm tm;
  if (now != srv->date_sec && gmtime_r(&now, &tm) != NULL) {
    snprintf(srv->date, sizeof srv->date, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    srv->date_sec = now;
  }
  return srv->date;
}

static bool http_peer_is_loopback(uv_tcp_t *tcp) {
  static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) < 0) return false;
  if (ss.ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)&ss;
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  if (ss.ss_family == AF_INET6) {
    const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)&ss)->sin6_addr.s6_addr;
    if (memcmp(b, v6_loopback, 16) == 0) return true;
    return memcmp(b, v4_mapped, 12) == 0 && b[12] == 127;
  }
  return false;
}

/* ---- connection plumbing ---------------------------------------------- */

static void http_server_maybe_free(http_server_t *srv) {
  if (srv->stopping && srv->listener_closed && srv->conns == NULL) free(srv);
}

static void http_conn_maybe_free(http_conn_t *c) {
  if (c->handles_open > 0 || c->req_owned || c->busy) return;
  http_reqstate_clear(c);
  free(c->in);
  free(c);
}

static void http_conn_set_timer(http_conn_t *c, http_timer_mode_t mode, uint64_t ms) {
  if (c->handles_closing) return;
  c->timer_mode = mode;
  if (mode == HTTP_TIMER_NONE)
    uv_timer_stop(&c->timer);
  else
    uv_timer_start(&c->timer, http_conn_timer_cb, ms, 0);
}

static void http_conn_handle_closed_cb(uv_handle_t *h) {
  http_conn_t *c = h->data;
  http_server_t *srv = c->srv;
  if (--c->handles_open > 0) return;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    srv->conns = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  srv->nconns--;
  c->srv = NULL;
  if (c->streaming && c->req_owned && c->stream_close_cb != NULL) {
    /* The application will usually call http_stream_end() from here; busy
     * keeps that from freeing the connection under our feet. */
    c->busy = true;
    c->stream_close_cb(&c->req, c->stream_ud);
    c->busy = false;
  }
  http_conn_maybe_free(c);
  http_server_maybe_free(srv);
}

/* Closes both handles now, dropping queued writes.  A request the
 * application holds is marked closed; it is freed when answered. */
static void http_conn_close(http_conn_t *c) {
  if (c->handles_closing) return;
  c->handles_closing = true;
  c->closing = true;
  c->reading = false;
  if (c->req_owned) c->req.closed = true;
  uv_close((uv_handle_t *)&c->tcp, http_conn_handle_closed_cb);
  uv_close((uv_handle_t *)&c->timer, http_conn_handle_closed_cb);
}

static void http_conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void http_conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  http_conn_t *c = h->data;
  (void)suggested;
  /* Input we discard (finishing, streaming) is read over the same space. */
  if (c->closing || c->streaming) c->in_off = c->in_len = 0;
  if (c->in_cap - c->in_len < HTTP_READ_BYTES) {
    size_t cap = c->in_len + HTTP_READ_BYTES;
    char *p = realloc(c->in, cap);
    if (p == NULL) {
      *buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS to read_cb */
      return;
    }
    c->in = p;
    c->in_cap = cap;
  }
  *buf = uv_buf_init(c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void http_conn_read(http_conn_t *c, bool on) {
  if (on == c->reading || c->handles_closing) return;
  if (on) {
    if (uv_read_start((uv_stream_t *)&c->tcp, http_conn_alloc_cb, http_conn_read_cb) < 0) {
      http_conn_close(c);
      return;
    }
  } else {
    uv_read_stop((uv_stream_t *)&c->tcp);
  }
  c->reading = on;
}

/* True when more than LIMIT_RESPONSE_BYTES_MAX of answers wait to be sent:
 * a client that pipelines requests but does not read must not make us
 * buffer without bound, so we stop parsing (and reading) until it drains. */
static bool http_conn_backlogged(http_conn_t *c) {
  return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > LIMIT_RESPONSE_BYTES_MAX;
}

static void http_write_cb(uv_write_t *req, int status) {
  http_write_t *w = (http_write_t *)(void *)req;
  http_conn_t *c = req->handle->data;
  free(w);
  /* Write callbacks run before the handle's close callback, so c is alive. */
  if (status < 0) {
    http_conn_close(c);
    return;
  }
  if (c->write_blocked && !http_conn_backlogged(c) && !c->closing && !c->handles_closing) {
    c->write_blocked = false;
    http_conn_process(c); /* write callbacks are deferred: never nested in process */
  }
}

/* Queues len bytes; on failure the connection is closed. */
static int http_conn_send(http_conn_t *c, const char *data, size_t len) {
  http_write_t *w;
  uv_buf_t b;
  int rc;
  if (c->handles_closing) return UV_ECONNRESET;
  w = malloc(sizeof *w + len);
  if (w == NULL) {
    http_conn_close(c);
    return UV_ENOMEM;
  }
  memcpy(w->data, data, len);
  w->len = len;
  b = uv_buf_init(w->data, (unsigned)len);
  rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, http_write_cb);
  if (rc < 0) {
    free(w);
    http_conn_close(c);
  }
  return rc;
}

/* Formats a response head into dst (cap bytes, may be 0); returns its length
 * as snprintf does. */
static int http_format_head(char *dst, size_t cap, int status, const char *date, const char *content_type,
                            const char *request_id, const char *length, const char *connection,
                            const char *extra_headers) {
  return snprintf(dst, cap,
                  "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nAPI-Version: " CASUS_API_VERSION
                  "\r\nX-Request-Id: %s\r\n%s%s%s\r\n",
                  status, http_reason(status), date, content_type, request_id, length, connection,
                  extra_headers);
}

static void http_conn_write_response(http_conn_t *c, int status, const char *content_type, const char *body,
                                     size_t len, const char *extra_headers, bool keep_alive) {
  bool no_body = status < 200 || status == 204 || status == 304;
  size_t body_sent = (no_body || c->rs.head) ? 0 : len;
  const char *date = http_server_date(c->srv);
  const char *extra = extra_headers ? extra_headers : "";
  const char *connection = !keep_alive    ? "Connection: close\r\n"
                           : c->rs.http10 ? "Connection: keep-alive\r\n"
                                          : "";
  char length[48] = "";
  http_write_t *w;
  uv_buf_t b;
  int head_len;
  if (!no_body) snprintf(length, sizeof length, "Content-Length: %zu\r\n", len);
  http_request_id_assign(c);
  http_log_request(c, status);
  head_len =
      http_format_head(NULL, 0, status, date, content_type, c->req.request_id, length, connection, extra);
  CASUS_ASSERT(head_len > 0);
  w = malloc(sizeof *w + (size_t)head_len + 1 + body_sent);
  if (w == NULL) {
    http_conn_close(c);
    return;
  }
  http_format_head(w->data, (size_t)head_len + 1, status, date, content_type, c->req.request_id, length,
                   connection, extra);
  if (body_sent > 0) memcpy(w->data + head_len, body, body_sent);
  w->len = (size_t)head_len + body_sent;
  b = uv_buf_init(w->data, (unsigned)w->len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, http_write_cb) < 0) {
    free(w);
    http_conn_close(c);
  }
}

static void http_conn_shutdown_cb(uv_shutdown_t *req, int status) {
  /* Success: wait for the client's EOF (read_cb) or the linger timer. */
  if (status < 0) http_conn_close(req->handle->data);
}

/* After the last response has been queued: send FIN once it is written,
 * then discard input until the client's EOF, bounded by the request
 * timeout.  Closing at once with unread input would make the kernel send
 * a reset that can destroy the response before the client reads it. */
static void http_conn_finish(http_conn_t *c) {
  if (c->closing) return;
  c->closing = true;
  c->in_message = false;
  c->in_off = c->in_len = 0;
  if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, http_conn_shutdown_cb) < 0) {
    http_conn_close(c);
    return;
  }
  http_conn_set_timer(c, HTTP_TIMER_LINGER, c->srv->request_ms);
  http_conn_read(c, true);
}

/* Answers an edge error with the JSON error body and closes. */
static void http_conn_fail(http_conn_t *c, int err, const char *message) {
  size_t len = 0;
  char *body;
  if (c->closing) return;
  body = core_errbody_new(err, message, NULL, NULL, &len);
  http_conn_write_response(c, core_err_http_status(err), "application/json", body ? body : "", body ? len : 0,
                           NULL, false);
  free(body);
  http_conn_finish(c);
}

/* ---- parser callbacks: they record, never call the application -------- */

/* Refuses the request: remembers why and makes the parser stop. */
static int http_edge(http_conn_t *c, int err, const char *message) {
  if (c->edge_err == 0) {
    c->edge_err = err;
    c->edge_msg = message;
  }
  return -1;
}

static int http_count_header_bytes(http_conn_t *c, size_t n) {
  c->rs.header_bytes += n;
  if (c->rs.header_bytes > LIMIT_HEADER_BYTES_MAX) return http_edge(c, CASUS_EHEADERS_TOO_LARGE, NULL);
  return 0;
}

static int http_on_message_begin(http_parser *p) {
  http_conn_t *c = p->data;
  http_reqstate_clear(c);
  c->req.request_id[0] = '\0';
  c->req.actor[0] = '\0';
  c->req.method = NULL; /* set again when the request is complete; the log shows "-" before */
  c->req.path = NULL;
  c->req.start_ns = 0; /* set when the request is handed over; the log shows 0 ms before */
  c->in_message = true;
  http_conn_set_timer(c, HTTP_TIMER_REQUEST, c->srv->request_ms);
  return 0;
}

static int http_on_url(http_parser *p, const char *at, size_t len) {
  http_conn_t *c = p->data;
  if (http_count_header_bytes(c, len) < 0) return -1;
  if (c->rs.url.len + len > LIMIT_URL_BYTES_MAX)
    return http_edge(c, CASUS_EHEADERS_TOO_LARGE, "The request target is too long.");
  if (http_buf_append(&c->rs.url, at, len) < 0) return http_edge(c, CASUS_ENOMEM, NULL);
  /* Debian's http-parser is built non-strict: it takes a request line
   * without a version as HTTP/0.9 and checks little of "HTTP/".  Whatever
   * of " HTTP/1.x\r" follows the target in this read must match exactly. */
  {
    static const char want[] = " HTTP/1.";
    const char *after = at + len, *end = c->in + c->in_len;
    size_t k;
    if (after >= c->in && after <= end) {
      for (k = 0; k < sizeof(want) - 1 && after + k < end; k++)
        if (after[k] != want[k])
          return http_edge(c, CASUS_EBAD_REQUEST, "The request line must end in HTTP/1.0 or HTTP/1.1.");
      if (after + k < end && k == sizeof(want) - 1 && after[k] != '0' && after[k] != '1')
        return http_edge(c, CASUS_EBAD_REQUEST, "The request line must end in HTTP/1.0 or HTTP/1.1.");
    }
  }
  return 0;
}

/* The field name is complete: decide whether we keep its value. */
static int http_header_field_end(http_conn_t *c) {
  http_reqstate_t *rs = &c->rs;
  int i;
  rs->cur = -1;
  if (rs->name_len > HTTP_NAME_BYTES_MAX) return 0;
  rs->name[rs->name_len] = '\0';
  /* RFC 9112 5.1: whitespace between a field name and its colon is a 400. */
  if (rs->name_len > 0 && (rs->name[rs->name_len - 1] == ' ' || rs->name[rs->name_len - 1] == '\t'))
    return http_edge(c, CASUS_EBAD_REQUEST, "A header field name may not end in whitespace.");
  for (i = 0; i < HTTP_H_COUNT; i++) {
    if (strcmp(rs->name, http_header_names[i]) != 0) continue;
    if (rs->hdr_seen[i]) {
      /* Two values are ambiguous; for Content-Length they are a smuggling
       * vector, for Authorization a confused client at best. */
      snprintf(c->edge_msg_buf, sizeof c->edge_msg_buf, "The %s header may appear only once.",
               http_header_names[i]);
      return http_edge(c, CASUS_EBAD_REQUEST, c->edge_msg_buf);
    }
    rs->hdr_seen[i] = true;
    rs->cur = i;
    if (http_buf_append(&rs->hdr[i], "", 0) < 0) return http_edge(c, CASUS_ENOMEM, NULL);
    return 0;
  }
  return 0;
}

/* The value is complete: drop trailing whitespace the parser leaves. */
static void http_header_value_end(http_conn_t *c) {
  http_reqstate_t *rs = &c->rs;
  http_buf_t *b;
  if (rs->cur < 0) return;
  b = &rs->hdr[rs->cur];
  while (b->len > 0 && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t')) b->data[--b->len] = '\0';
  rs->cur = -1;
}

static int http_on_header_field(http_parser *p, const char *at, size_t len) {
  http_conn_t *c = p->data;
  http_reqstate_t *rs = &c->rs;
  size_t i;
  /* ": " and CRLF of each field count towards the header block too. */
  if (http_count_header_bytes(c, len + (rs->hstate == HTTP_HS_FIELD ? 0 : 4)) < 0) return -1;
  if (rs->headers_done) return 0; /* a chunked trailer: counted, ignored */
  if (rs->hstate != HTTP_HS_FIELD) {
    if (rs->hstate == HTTP_HS_VALUE) http_header_value_end(c);
    if (++rs->fields > LIMIT_HEADERS_MAX)
      return http_edge(c, CASUS_EHEADERS_TOO_LARGE, "The request has too many header fields.");
    rs->name_len = 0;
    rs->hstate = HTTP_HS_FIELD;
  }
  /* A name may arrive in pieces across reads. */
  for (i = 0; i < len && rs->name_len <= HTTP_NAME_BYTES_MAX; i++) {
    char ch = at[i];
    if (rs->name_len < HTTP_NAME_BYTES_MAX)
      rs->name[rs->name_len] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    rs->name_len++;
  }
  return 0;
}

static int http_on_header_value(http_parser *p, const char *at, size_t len) {
  http_conn_t *c = p->data;
  http_reqstate_t *rs = &c->rs;
  if (http_count_header_bytes(c, len) < 0) return -1;
  if (rs->headers_done) return 0;
  if (rs->hstate == HTTP_HS_FIELD) {
    if (http_header_field_end(c) < 0) return -1;
    rs->hstate = HTTP_HS_VALUE;
  }
  if (rs->cur >= 0 && http_buf_append(&rs->hdr[rs->cur], at, len) < 0)
    return http_edge(c, CASUS_ENOMEM, NULL);
  return 0;
}

static int http_on_headers_complete(http_parser *p) {
  http_conn_t *c = p->data;
  http_reqstate_t *rs = &c->rs;
  bool chunked = (p->flags & F_CHUNKED) != 0;
  if (rs->hstate == HTTP_HS_FIELD && http_header_field_end(c) < 0) return -1;
  http_header_value_end(c);
  rs->hstate = HTTP_HS_NONE;
  rs->headers_done = true;
  if (p->method == HTTP_CONNECT) return http_edge(c, CASUS_EBAD_REQUEST, "CONNECT is not supported.");
  if (p->http_major != 1 || p->http_minor > 1)
    return http_edge(c, CASUS_EBAD_REQUEST, "Only HTTP/1.0 and HTTP/1.1 are supported.");
  if (rs->hdr_seen[HTTP_H_CONTENT_LENGTH] && rs->hdr_seen[HTTP_H_TRANSFER_ENCODING])
    return http_edge(c, CASUS_EBAD_REQUEST, "Content-Length and Transfer-Encoding may not be combined.");
  /* Refuse a declared oversize body before it is sent (413, not a read). */
  if (rs->hdr_seen[HTTP_H_CONTENT_LENGTH] && p->content_length > LIMIT_BODY_BYTES_MAX)
    return http_edge(c, CASUS_ETOO_LARGE, NULL);
  rs->keep_alive = http_should_keep_alive(p) != 0;
  rs->http10 = p->http_major == 1 && p->http_minor == 0;
  rs->head = p->method == HTTP_HEAD;
  /* curl and others wait for "100 Continue" before sending a larger body. */
  if (rs->hdr_seen[HTTP_H_EXPECT] && strcasecmp(rs->hdr[HTTP_H_EXPECT].data, "100-continue") == 0 &&
      !rs->http10 && (chunked || (rs->hdr_seen[HTTP_H_CONTENT_LENGTH] && p->content_length > 0))) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    http_conn_send(c, cont, sizeof cont - 1);
  }
  return 0;
}

static int http_on_body(http_parser *p, const char *at, size_t len) {
  http_conn_t *c = p->data;
  /* Checked here as well for chunked bodies, whose size is not declared. */
  if (c->rs.body.len + len > LIMIT_BODY_BYTES_MAX) return http_edge(c, CASUS_ETOO_LARGE, NULL);
  if (http_buf_append(&c->rs.body, at, len) < 0) return http_edge(c, CASUS_ENOMEM, NULL);
  return 0;
}

/* Splits the target into path and query in place.  Absolute-form targets
 * ("http://host/path?q") are reduced to their path and query. */
static int http_split_target(http_conn_t *c) {
  http_buf_t *u = &c->rs.url;
  char *q;
  if (u->data == NULL || u->len == 0) return http_edge(c, CASUS_EBAD_REQUEST, "The request target is empty.");
  if (u->data[0] != '/' && strcmp(u->data, "*") != 0) {
    struct http_parser_url pu;
    size_t off;
    http_parser_url_init(&pu);
    if (http_parser_parse_url(u->data, u->len, 0, &pu) != 0)
      return http_edge(c, CASUS_EBAD_REQUEST, "The request target is not a valid URL.");
    if (pu.field_set & (1 << UF_PATH)) {
      off = pu.field_data[UF_PATH].off;
      memmove(u->data, u->data + off, u->len - off + 1);
      u->len -= off;
    } else {
      const char *rest = strchr(u->data, '?');
      size_t rest_len = rest ? strlen(rest) : 0;
      memmove(u->data + 1, rest ? rest : "", rest_len + 1);
      u->data[0] = '/';
      u->len = rest_len + 1;
    }
  }
  /* Origin-form ("/..."), or "*" alone (OPTIONS *); http-parser also lets
   * "*anything" through as if it were a path. */
  if (u->data[0] != '/' && strcmp(u->data, "*") != 0)
    return http_edge(c, CASUS_EBAD_REQUEST, "The request target is not a valid URL.");
  q = strchr(u->data, '#'); /* clients do not send fragments; ignore one */
  if (q != NULL) *q = '\0';
  q = strchr(u->data, '?');
  if (q != NULL) *q++ = '\0';
  c->req.path = u->data;
  c->req.query = q ? q : "";
  return 0;
}

static int http_on_message_complete(http_parser *p) {
  http_conn_t *c = p->data;
  http_reqstate_t *rs = &c->rs;
  http_request_t *req = &c->req;
  if (http_split_target(c) < 0) return -1;
  req->method = http_method_str((enum http_method)p->method);
  req->authorization = rs->hdr_seen[HTTP_H_AUTHORIZATION] ? rs->hdr[HTTP_H_AUTHORIZATION].data : NULL;
  req->idempotency_key = rs->hdr_seen[HTTP_H_IDEMPOTENCY_KEY] ? rs->hdr[HTTP_H_IDEMPOTENCY_KEY].data : NULL;
  req->content_type = rs->hdr_seen[HTTP_H_CONTENT_TYPE] ? rs->hdr[HTTP_H_CONTENT_TYPE].data : NULL;
  req->last_event_id = rs->hdr_seen[HTTP_H_LAST_EVENT_ID] ? rs->hdr[HTTP_H_LAST_EVENT_ID].data : NULL;
  req->body = rs->body.data ? rs->body.data : "";
  req->body_len = rs->body.len;
  req->peer_loopback = c->peer_loopback;
  req->closed = false;
  req->app_data = NULL;
  req->route = -1;
  http_request_id_assign(c);
  c->in_message = false;
  http_conn_set_timer(c, HTTP_TIMER_NONE, 0);
  /* One request at a time: the rest of the input waits in c->in. */
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings http_settings = {
    .on_message_begin = http_on_message_begin,
    .on_url = http_on_url,
    .on_header_field = http_on_header_field,
    .on_header_value = http_on_header_value,
    .on_headers_complete = http_on_headers_complete,
    .on_body = http_on_body,
    .on_message_complete = http_on_message_complete,
};

static void http_conn_fail_parse(http_conn_t *c, enum http_errno e) {
  int err = c->edge_err;
  const char *msg = c->edge_msg;
  if (err == 0) {
    err = CASUS_EBAD_REQUEST;
    if (e == HPE_HEADER_OVERFLOW) {
      err = CASUS_EHEADERS_TOO_LARGE;
    } else if (e == HPE_UNEXPECTED_CONTENT_LENGTH) {
      msg = "Content-Length may appear only once and not with Transfer-Encoding.";
    } else {
      snprintf(c->edge_msg_buf, sizeof c->edge_msg_buf, "The request is malformed (%s).",
               http_errno_description(e));
      msg = c->edge_msg_buf;
    }
  }
  http_conn_fail(c, err, msg);
}

/* ---- driving the parser ----------------------------------------------- */

/* Parses buffered input and hands each complete request to the
 * application, until the input runs out, the application keeps a request,
 * or the connection is closing. */
static void http_conn_process(http_conn_t *c) {
  if (c->in_process) return; /* a synchronous answer: the loop below goes on */
  c->in_process = true;
  while (!c->closing && !c->req_owned && c->in_off < c->in_len && !http_conn_backlogged(c)) {
    size_t avail = c->in_len - c->in_off;
    size_t n;
    enum http_errno e;
    http_parser_pause(&c->parser, 0);
    n = http_parser_execute(&c->parser, &http_settings, c->in + c->in_off, avail);
    e = HTTP_PARSER_ERRNO(&c->parser);
    CASUS_ASSERT(n <= avail);
    c->in_off += n;
    if (e == HPE_PAUSED) {
      c->req_owned = true;
      c->req.start_ns = uv_hrtime();
      c->srv->cb(&c->req, c->srv->ud);
    } else if (e != HPE_OK) {
      http_conn_fail_parse(c, e);
    } else if (n != avail) {
      /* http-parser stops short only to hand over to another protocol;
       * upgrades are otherwise served as plain HTTP/1.1 (the request
       * completes and pauses first), so this is not expected. */
      http_conn_fail(c, CASUS_EBAD_REQUEST, "Protocol upgrades are not supported.");
    }
  }
  if (c->in_off == c->in_len) {
    /* Do not keep a read buffer around for idle connections. */
    free(c->in);
    c->in = NULL;
    c->in_off = c->in_len = c->in_cap = 0;
  } else if (c->in_off > 0) {
    memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
    c->in_len -= c->in_off;
    c->in_off = 0;
  }
  c->in_process = false;
  if (!c->closing && !c->req_owned && !c->streaming && http_conn_backlogged(c)) {
    /* Resumed from http_write_cb once the client has read enough. */
    c->write_blocked = true;
    http_conn_read(c, false);
  } else if (!c->closing && !c->req_owned) {
    if (!c->in_message && c->timer_mode != HTTP_TIMER_IDLE)
      http_conn_set_timer(c, HTTP_TIMER_IDLE, c->srv->idle_ms);
    http_conn_read(c, true);
  }
}

static void http_conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  http_conn_t *c = s->data;
  (void)buf;
  if (nread == 0) return;
  if (nread < 0) {
    /* EOF or error: the client is gone (or finished lingering). */
    http_conn_close(c);
    return;
  }
  if (c->closing || c->streaming) return; /* discarded */
  c->in_len += (size_t)nread;
  if (c->req_owned) {
    /* Kept for later; reading on only serves to notice a disconnect. */
    if (c->in_len - c->in_off > HTTP_PIPELINE_BYTES_MAX) http_conn_read(c, false);
    return;
  }
  http_conn_process(c);
}

static void http_conn_timer_cb(uv_timer_t *t) {
  http_conn_t *c = t->data;
  http_timer_mode_t mode = c->timer_mode;
  c->timer_mode = HTTP_TIMER_NONE;
  switch (mode) {
    case HTTP_TIMER_IDLE:
    case HTTP_TIMER_LINGER:
      http_conn_close(c);
      break;
    case HTTP_TIMER_REQUEST:
      http_conn_fail(c, CASUS_ETIMEOUT, NULL);
      break;
    case HTTP_TIMER_RESUME:
      http_conn_process(c);
      break;
    case HTTP_TIMER_NONE:
      break;
  }
}

/* The application gave the request back (answered, or stream ended). */
static void http_conn_release(http_conn_t *c) {
  c->req_owned = false;
  http_reqstate_clear(c);
  c->req.request_id[0] = '\0'; /* an edge error before the next request gets its own */
  if (c->handles_open == 0) {
    http_conn_maybe_free(c);
    return;
  }
  if (c->closing || c->in_process) return;
  if (c->in_off < c->in_len)
    http_conn_set_timer(c, HTTP_TIMER_RESUME, 0);
  else
    http_conn_set_timer(c, HTTP_TIMER_IDLE, c->srv->idle_ms);
  http_conn_read(c, true);
}

/* ---- the server ------------------------------------------------------- */

/* A new connection object, linked into srv, its two handles initialised
 * (and so to be closed with http_conn_close); NULL when out of memory. */
static http_conn_t *http_conn_new(http_server_t *srv) {
  http_conn_t *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->srv = srv;
  c->rs.cur = -1;
  uv_tcp_init(srv->loop, &c->tcp);
  uv_timer_init(srv->loop, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->handles_open = 2;
  c->next = srv->conns;
  if (srv->conns != NULL) srv->conns->prev = c;
  srv->conns = c;
  srv->nconns++;
  return c;
}

/* Starts serving c, whose socket is connected: parser, limits, reading. */
static void http_conn_start(http_conn_t *c) {
  http_server_t *srv = c->srv;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  c->peer_loopback = http_peer_is_loopback(&c->tcp);
  /* Responses go out in one write each; do not let Nagle delay them. */
  uv_tcp_nodelay(&c->tcp, 1);
  if (srv->nconns > LIMIT_CONNECTIONS_MAX) {
    http_conn_fail(c, CASUS_EOVERLOADED, "Too many open connections; try again later.");
    return;
  }
  http_conn_set_timer(c, HTTP_TIMER_IDLE, srv->idle_ms);
  http_conn_read(c, true);
}

static void http_on_connection(uv_stream_t *listener, int status) {
  http_server_t *srv = listener->data;
  http_conn_t *c;
  if (status < 0 || srv->stopping) return;
  /* Should this fail, libuv pauses accepting until uv_accept is called;
   * with no memory for 300 bytes the process is lost anyway. */
  c = http_conn_new(srv);
  if (c == NULL) return;
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
    http_conn_close(c);
    return;
  }
  http_conn_start(c);
}

int http_server_adopt(http_server_t *srv, uv_os_sock_t sock) {
  http_conn_t *c;
  int rc;
  CASUS_ASSERT(srv != NULL);
  if (srv->stopping) return UV_EINVAL;
  c = http_conn_new(srv);
  if (c == NULL) return UV_ENOMEM;
  rc = uv_tcp_open(&c->tcp, sock);
  if (rc < 0) {
    http_conn_close(c); /* the handle never owned sock */
    return rc;
  }
  http_conn_start(c);
  return 0;
}

static void http_listener_closed_cb(uv_handle_t *h) {
  http_server_t *srv = h->data;
  srv->listener_closed = true;
  http_server_maybe_free(srv);
}

int http_server_start(http_server_t **out, uv_loop_t *loop, const char *host, int port, http_request_cb cb,
                      void *ud) {
  struct sockaddr_storage ss;
  http_server_t *srv;
  int len = (int)sizeof ss;
  int rc;
  CASUS_ASSERT(out != NULL && loop != NULL);
  *out = NULL;
  if (host == NULL || cb == NULL || port < 0 || port > 65535) return UV_EINVAL;
  memset(&ss, 0, sizeof ss);
  if (strchr(host, ':') != NULL)
    rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)(void *)&ss);
  else
    rc = uv_ip4_addr(host, port, (struct sockaddr_in *)(void *)&ss);
  if (rc < 0) return rc;
  srv = calloc(1, sizeof *srv);
  if (srv == NULL) return UV_ENOMEM;
  srv->loop = loop;
  srv->cb = cb;
  srv->ud = ud;
  if (uv_random(NULL, NULL, &srv->rid_prefix, sizeof srv->rid_prefix, 0, NULL) != 0 || srv->rid_prefix == 0)
    srv->rid_prefix = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
  srv->request_ms = LIMIT_REQUEST_TIMEOUT_MS;
  srv->idle_ms = LIMIT_IDLE_TIMEOUT_MS;
  rc = uv_tcp_init(loop, &srv->listener);
  if (rc < 0) {
    free(srv);
    return rc;
  }
  srv->listener.data = srv;
  rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&srv->listener, HTTP_BACKLOG, http_on_connection);
  if (rc == 0) rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len);
  if (rc < 0) {
    /* The handle exists now; it is freed in its close callback. */
    srv->stopping = true;
    uv_close((uv_handle_t *)&srv->listener, http_listener_closed_cb);
    return rc;
  }
  srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)(void *)&ss)->sin_port);
  *out = srv;
  return 0;
}

int http_server_port(const http_server_t *srv) {
  return srv->port;
}

void http_server_on_respond(http_server_t *srv, http_respond_cb cb) {
  srv->respond_cb = cb;
}

int http_server_connections(const http_server_t *srv) {
  return srv->nconns;
}

void http_server_set_timeouts(http_server_t *srv, uint64_t request_ms, uint64_t idle_ms) {
  srv->request_ms = request_ms ? request_ms : LIMIT_REQUEST_TIMEOUT_MS;
  srv->idle_ms = idle_ms ? idle_ms : LIMIT_IDLE_TIMEOUT_MS;
}

void http_server_stop(http_server_t *srv) {
  http_conn_t *c;
  if (srv == NULL) return;
  CASUS_ASSERT(!srv->stopping);
  srv->stopping = true;
  uv_close((uv_handle_t *)&srv->listener, http_listener_closed_cb);
  /* Unlinking happens in the close callbacks, so the list stays intact. */
  for (c = srv->conns; c != NULL; c = c->next) http_conn_close(c);
}

/* ---- answering -------------------------------------------------------- */

void http_respond(http_request_t *req, int status, const char *content_type, const char *body, size_t len,
                  const char *extra_headers) {
  http_conn_t *c;
  CASUS_ASSERT(req != NULL);
  c = http_conn_of(req);
  CASUS_ASSERT(c->req_owned && !c->streaming);
  CASUS_ASSERT(status >= 100 && status <= 999);
  CASUS_ASSERT(body != NULL || len == 0);
  /* A connection that closed while the application held req has no server. */
  if (c->srv != NULL && c->srv->respond_cb != NULL) c->srv->respond_cb(req, status, c->srv->ud);
  if (!req->closed && !c->closing) {
    bool keep_alive = c->rs.keep_alive;
    if (len > LIMIT_RESPONSE_BYTES_MAX) {
      size_t elen = 0;
      char *ebody = core_errbody_new(CASUS_EINTERNAL, "The response is too large.", NULL, NULL, &elen);
      http_conn_write_response(c, core_err_http_status(CASUS_EINTERNAL), "application/json",
                               ebody ? ebody : "", ebody ? elen : 0, NULL, keep_alive);
      free(ebody);
    } else {
      http_conn_write_response(c, status, content_type ? content_type : "application/json", body ? body : "",
                               len, extra_headers, keep_alive);
    }
    if (!keep_alive) http_conn_finish(c);
  }
  http_conn_release(c);
}

void http_respond_error(http_request_t *req, int err, const char *message, const char *rule) {
  http_respond_error_field(req, err, message, rule, NULL);
}

void http_respond_error_field(http_request_t *req, int err, const char *message, const char *rule,
                              const char *field) {
  size_t len = 0;
  char *body = core_errbody_new(err, message, rule, field, &len);
  http_respond(req, core_err_http_status(err), "application/json", body ? body : "", body ? len : 0, NULL);
  free(body);
}

void http_stream_begin(http_request_t *req, http_stream_close_cb close_cb, void *ud) {
  char head[256 + HTTP_REQUEST_ID_BYTES_MAX];
  int head_len;
  http_conn_t *c;
  CASUS_ASSERT(req != NULL);
  c = http_conn_of(req);
  CASUS_ASSERT(c->req_owned && !c->streaming);
  c->streaming = true;
  c->stream_close_cb = close_cb;
  c->stream_ud = ud;
  if (c->srv != NULL && c->srv->respond_cb != NULL) c->srv->respond_cb(req, 200, c->srv->ud);
  if (req->closed || c->closing) return;
  /* The stream owns the connection now: pipelined input is meaningless. */
  c->in_off = c->in_len = 0;
  http_conn_set_timer(c, HTTP_TIMER_NONE, 0);
  head_len =
      snprintf(head, sizeof head,
               "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
               "API-Version: " CASUS_API_VERSION "\r\nX-Request-Id: %s\r\nConnection: keep-alive\r\n\r\n",
               req->request_id);
  CASUS_ASSERT(head_len > 0 && (size_t)head_len < sizeof head);
  http_log_request(c, 200);
  http_conn_send(c, head, (size_t)head_len);
  http_conn_read(c, true); /* to see the client's EOF */
}

int http_stream_write(http_request_t *req, const char *data, size_t len) {
  http_conn_t *c;
  CASUS_ASSERT(req != NULL);
  c = http_conn_of(req);
  CASUS_ASSERT(c->req_owned && c->streaming);
  CASUS_ASSERT(data != NULL || len == 0);
  if (req->closed || c->closing) return UV_ECONNRESET;
  if (len == 0) return 0;
  if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + len > LIMIT_RESPONSE_BYTES_MAX) {
    http_conn_close(c); /* a client that does not read */
    return UV_ECONNRESET;
  }
  if (http_conn_send(c, data, len) < 0) return UV_ECONNRESET;
  return 0;
}

void http_stream_end(http_request_t *req) {
  http_conn_t *c;
  CASUS_ASSERT(req != NULL);
  c = http_conn_of(req);
  CASUS_ASSERT(c->req_owned && c->streaming);
  if (!c->closing) http_conn_finish(c);
  http_conn_release(c);
}
