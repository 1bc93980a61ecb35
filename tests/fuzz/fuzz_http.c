/*
 * fuzz_http.c -- libFuzzer harness for the HTTP edge (src/http/server.c):
 * the input is the byte stream a client sends on one connection.
 *
 * The real server runs in-process on one libuv loop (started once, on
 * 127.0.0.1 port 0, though nothing connects to the listener).  Each input
 * gets a fresh socketpair(AF_UNIX): one end is handed to the server with
 * the http_server_adopt() test hook, which builds the same connection object
 * accept would; the harness writes the input to the other end and drives
 * the loop with bounded UV_RUN_NOWAIT passes (no timers wait, no ports, no
 * TIME_WAIT), then sends EOF and runs until the server has closed the
 * connection.  Everything is on one thread and deterministic.
 *
 * The application behind the server is a small stand-in that exercises
 * every way of answering, chosen by the request path:
 *   /later...   answered after the loop pass, as the API's group commit does
 *   /stream...  (GET) turned into an SSE stream, ended at the client's EOF
 *               (/stream/end: ended at once)
 *   /big...     a 20 KiB body (the first two per connection)
 *   /error...   the JSON error body of core/errbody.h
 *   otherwise   answered at once with a JSON echo of the request
 *
 * Oracles besides ASan/UBSan and the server's own assertions: every
 * response the application sent must parse as HTTP/1.1 (http-parser in
 * response mode, HEAD answers without a body); the server must close the
 * connection once the client has sent EOF and every request is answered;
 * and each request the application sees is well formed (method, path
 * starting with '/', body_len consistent with body).
 *
 * FUZZ_HTTP_DUMP=1 prints what the server wrote for each input (to read a
 * reproducer: ./fuzz_http crash-file).
 */
#include <errno.h>
#include <http_parser.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "core/error.h"
#include "http/server.h"

/* Bounds of one run; generous: a connection needs a handful of passes. */
#define FUZZ_PASSES_MAX 256
#define FUZZ_SENT_MAX 8192 /* responses recorded for the oracle */
#define FUZZ_OUT_BYTES_MAX (64u << 20)
#define FUZZ_BIG_BYTES (20 * 1024)

#define FUZZ_CHECK(c, ...)                                                             \
  do {                                                                                 \
    if (!(c)) {                                                                        \
      fprintf(stderr, "fuzz_http: %s:%d: check failed: %s: ", __FILE__, __LINE__, #c); \
      fprintf(stderr, __VA_ARGS__);                                                    \
      fprintf(stderr, "\n");                                                           \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

typedef struct deferred_s {
  struct deferred_s *next;
  http_request_t *req;
} deferred_t;

static uv_loop_t loop;
static http_server_t *srv;

/* Per input. */
static deferred_t *deferred_head, **deferred_tail = &deferred_head;
static int open_streams;
static int big_sent;
static unsigned progress; /* bumped by every callback: a pass that changes nothing ends a phase */
static bool sent_head[FUZZ_SENT_MAX];
static int sent_count;     /* responses the application sent (not dropped) */
static bool sent_overflow; /* more than FUZZ_SENT_MAX: the oracle is skipped */
static bool dump;          /* FUZZ_HTTP_DUMP=1: print what the server wrote */
static char *out;          /* what the client received */
static size_t out_len, out_cap;

static void sent_record(http_request_t *req) {
  if (req->closed) return; /* dropped by the server */
  if (sent_count >= FUZZ_SENT_MAX) {
    sent_overflow = true;
    return;
  }
  sent_head[sent_count++] = strcmp(req->method, "HEAD") == 0;
}

/* Adds a string member when value is valid UTF-8 (jansson refuses other
 * strings; header values and paths are arbitrary bytes). */
static void echo_set(json_t *o, const char *key, const char *value) {
  if (value != NULL) json_object_set_new(o, key, json_string(value)); /* NULL value: nothing set */
}

static void respond_echo(http_request_t *req) {
  json_t *o = json_object();
  char *s;
  FUZZ_CHECK(o != NULL, "json_object");
  echo_set(o, "method", req->method);
  echo_set(o, "path", req->path);
  echo_set(o, "query", req->query);
  echo_set(o, "authorization", req->authorization);
  echo_set(o, "idempotency_key", req->idempotency_key);
  echo_set(o, "content_type", req->content_type);
  echo_set(o, "last_event_id", req->last_event_id);
  json_object_set_new(o, "body_len", json_integer((json_int_t)req->body_len));
  s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  FUZZ_CHECK(s != NULL, "json_dumps");
  sent_record(req);
  http_respond(req, 200, NULL, s, strlen(s),
               req->idempotency_key ? "Idempotent-Replayed: false\r\nCache-Control: no-store\r\n" : NULL);
  free(s);
}

static void answer(http_request_t *req) {
  static char big[FUZZ_BIG_BYTES];
  if (strncmp(req->path, "/big", 4) == 0 && big_sent < 2) {
    big_sent++;
    if (big[0] == '\0') memset(big, 'x', sizeof big);
    sent_record(req);
    http_respond(req, 200, "text/plain", big, sizeof big, NULL);
  } else if (strncmp(req->path, "/error", 6) == 0) {
    sent_record(req);
    http_respond_error(req, CASUS_EINVALID_DATA, "A \"field\" is wrong.", "R-FUZZ-1");
  } else if (strncmp(req->path, "/nocontent", 10) == 0) {
    sent_record(req);
    http_respond(req, 204, NULL, NULL, 0, NULL);
  } else {
    respond_echo(req);
  }
}

static void stream_close_cb(http_request_t *req, void *ud) {
  (void)ud;
  progress++;
  open_streams--;
  http_stream_end(req);
}

static void request_cb(http_request_t *req, void *ud) {
  (void)ud;
  progress++;
  /* What the server promises about every request it hands over. */
  FUZZ_CHECK(req->method != NULL && req->path != NULL && req->query != NULL && req->body != NULL, "fields");
  FUZZ_CHECK(req->path[0] == '/' || strcmp(req->path, "*") == 0, "path \"%s\"", req->path);
  FUZZ_CHECK(req->body[req->body_len] == '\0', "body not NUL-terminated");
  FUZZ_CHECK(!req->closed, "closed at delivery");
  if (strncmp(req->path, "/later", 6) == 0) {
    deferred_t *d = malloc(sizeof *d);
    FUZZ_CHECK(d != NULL, "malloc");
    d->next = NULL;
    d->req = req;
    *deferred_tail = d;
    deferred_tail = &d->next;
  } else if (strncmp(req->path, "/stream", 7) == 0 && strcmp(req->method, "GET") == 0) {
    /* GET only, as the API routes it: the server would send a stream's
     * events even to HEAD (it has no way to stream "no body"). */
    static const char ev[] = "id: 1\nevent: inbox\ndata: {\"n\":1}\n\n";
    bool closed = req->closed;
    http_stream_begin(req, stream_close_cb, NULL);
    if (closed) {
      http_stream_end(req); /* close_cb is never called then */
      return;
    }
    sent_record(req);
    http_stream_write(req, ev, sizeof ev - 1);
    if (strncmp(req->path, "/stream/end", 11) == 0) {
      http_stream_end(req);
    } else {
      open_streams++;
    }
  } else {
    answer(req);
  }
}

/* Answers what the application deferred, as the API's batch does after I/O. */
static void deferred_answer_all(void) {
  while (deferred_head != NULL) {
    deferred_t *d = deferred_head;
    deferred_head = d->next;
    if (deferred_head == NULL) deferred_tail = &deferred_head;
    progress++;
    answer(d->req);
    free(d);
  }
}

static void out_drain(int fd) {
  for (;;) {
    ssize_t n;
    if (out_cap - out_len < 65536) {
      size_t cap = out_cap ? out_cap * 2 : 1 << 20;
      char *p;
      FUZZ_CHECK(cap <= FUZZ_OUT_BYTES_MAX, "the server sent more than %u bytes", FUZZ_OUT_BYTES_MAX);
      p = realloc(out, cap);
      FUZZ_CHECK(p != NULL, "realloc");
      out = p;
      out_cap = cap;
    }
    n = read(fd, out + out_len, out_cap - out_len);
    if (n > 0) {
      out_len += (size_t)n;
      progress++;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return; /* EAGAIN, or EOF (0): nothing more now */
  }
}

/* One loop pass plus the application's deferred work; true when anything happened. */
static bool pass(int fd) {
  unsigned before = progress;
  uv_run(&loop, UV_RUN_NOWAIT);
  deferred_answer_all();
  out_drain(fd);
  return progress != before;
}

/* --- the response oracle ------------------------------------------------ */

typedef struct {
  int index;    /* final (non-1xx) responses seen */
  bool lenient; /* past the application's responses: an edge error may follow */
  bool bad;
  char why[128];
} oracle_t;

static int oracle_headers_complete(http_parser *p) {
  oracle_t *o = p->data;
  if (p->status_code < 100 || p->status_code > 599) {
    snprintf(o->why, sizeof o->why, "status %u", p->status_code);
    o->bad = true;
    return -1;
  }
  if (p->status_code / 100 == 1) return 0; /* 100 Continue: no body, not counted */
  if (o->index >= sent_count) {
    /* An edge error (400, 413, 431, ...) that ends the connection: whether
     * its request was HEAD is the server's secret, so stop checking here. */
    o->lenient = true;
    if (p->status_code < 400) {
      snprintf(o->why, sizeof o->why, "unexpected extra response %u", p->status_code);
      o->bad = true;
    }
    return -1;
  }
  return sent_head[o->index++] ? 1 : 0; /* 1: skip the body of a HEAD answer */
}

static void oracle_check(void) {
  static const http_parser_settings settings = {.on_headers_complete = oracle_headers_complete};
  http_parser p;
  oracle_t o = {0};
  size_t n;
  if (sent_overflow) return;
  http_parser_init(&p, HTTP_RESPONSE);
  p.data = &o;
  n = http_parser_execute(&p, &settings, out, out_len);
  if (HTTP_PARSER_ERRNO(&p) == HPE_OK && n == out_len) http_parser_execute(&p, &settings, NULL, 0); /* EOF */
  if (o.bad || (!o.lenient && HTTP_PARSER_ERRNO(&p) != HPE_OK)) {
    fprintf(stderr,
            "fuzz_http: the server's output does not parse as HTTP/1.1 responses (%s; %s at byte %zu):\n",
            o.bad ? o.why : "parser", http_errno_name(HTTP_PARSER_ERRNO(&p)), n);
    fwrite(out, 1, out_len < 4096 ? out_len : 4096, stderr);
    abort();
  }
  FUZZ_CHECK(o.lenient || o.index == sent_count, "%d responses sent, %d parsed", sent_count, o.index);
}

/* --- libFuzzer ---------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  int rc;
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN);
  dump = getenv("FUZZ_HTTP_DUMP") != NULL;
  FUZZ_CHECK(uv_loop_init(&loop) == 0, "uv_loop_init");
  rc = http_server_start(&srv, &loop, "127.0.0.1", 0, request_cb, NULL);
  FUZZ_CHECK(rc == 0, "http_server_start: %s", uv_strerror(rc));
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int sv[2];
  size_t off = 0;
  int i, rc;
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
             strerror(errno));
  rc = http_server_adopt(srv, sv[0]);
  FUZZ_CHECK(rc == 0, "http_server_adopt: %s", uv_strerror(rc));
  big_sent = 0;
  sent_count = 0;
  sent_overflow = false;
  out_len = 0;

  /* Phase 1: send the input; run until nothing more happens. */
  for (i = 0; i < FUZZ_PASSES_MAX; i++) {
    bool busy;
    while (off < size) {
      ssize_t n = write(sv[1], data + off, size - off);
      if (n > 0) {
        off += (size_t)n;
      } else {
        FUZZ_CHECK(n < 0 && (errno == EAGAIN || errno == EINTR || errno == EPIPE || errno == ECONNRESET),
                   "write: %s", strerror(errno));
        if (errno == EPIPE || errno == ECONNRESET) off = size; /* the server has closed */
        break;
      }
    }
    busy = pass(sv[1]);
    if (!busy && off == size && deferred_head == NULL) break;
  }
  /* Phase 2: EOF; the server must close the connection (streams end at EOF,
   * a lingering close ends at EOF, everything deferred is answered). */
  shutdown(sv[1], SHUT_WR);
  for (i = 0; i < FUZZ_PASSES_MAX && http_server_connections(srv) > 0; i++) pass(sv[1]);
  FUZZ_CHECK(http_server_connections(srv) == 0, "the connection is still open after EOF (%d passes)", i);
  FUZZ_CHECK(open_streams == 0 && deferred_head == NULL, "streams %d", open_streams);
  out_drain(sv[1]);
  close(sv[1]);
  if (dump) {
    fprintf(stderr, "--- %d responses sent by the application; the server wrote %zu bytes:\n", sent_count,
            out_len);
    fwrite(out, 1, out_len, stderr);
    fprintf(stderr, "\n---\n");
  }
  oracle_check();
  return 0;
}
