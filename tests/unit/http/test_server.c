/*
 * test_server.c -- the HTTP server over real sockets on 127.0.0.1.
 *
 * Each test starts the server on port 0 in its own uv loop on the main
 * thread and runs a scripted blocking-socket client on a second thread
 * (uv_thread_create).  The client only records what it sees; the main
 * thread asserts after the loop has ended and the client has been joined.
 * A 5 ms poll timer on the loop notices the client's requests ("stop the
 * server now", "done") through atomics and enforces a watchdog, sockets
 * have 3 s timeouts and alarm() backs everything up, so a hang fails
 * instead of blocking.  Every test ends with uv_loop_close() == 0: the
 * server must have closed (and freed) every handle it made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "core/api_version.h"
#include "core/error.h"
#include "core/limits.h"
#include "http/server.h"
#include "test.h"

#define CLI_BUF_BYTES (320 * 1024) /* one echoed LIMIT_BODY_BYTES_MAX body and its head */
#define RESP_MAX 4
#define BODY_MAX (64 * 1024)
#define WATCHDOG_MS 10000

typedef struct {
  int status;
  char head[8192];
  char body[BODY_MAX];
  size_t body_len;
} resp_t;

typedef struct {
  int fd;
  size_t len;
  size_t cap;
  char buf[];
} cli_t;

typedef struct fixture_s fixture_t;
typedef void (*client_fn)(fixture_t *f);

struct fixture_s {
  uv_loop_t loop;
  http_server_t *srv;
  uv_timer_t poll;
  uv_thread_t thread;
  client_fn client;
  int port;
  uint64_t start_ms;
  uint64_t watchdog_ms;
  bool stopped;
  bool timed_out;
  atomic_int want_stop;   /* client -> loop: stop the server now */
  atomic_int client_done; /* client -> loop: finished */
  /* Written on the loop thread. */
  atomic_int requests;
  atomic_int stream_closes;
  int closed_seen;       /* delayed answers that found req->closed */
  int write_after_close; /* http_stream_write inside the close callback */
  int flood_rc;          /* the write that failed in /flood */
  int flood_writes;      /* writes that succeeded before it */
  /* Written on the client thread, read after the join. */
  char error[256];
  resp_t resp[RESP_MAX];
  int eof[RESP_MAX];
  double elapsed_ms;
  char raw[8192];
  int ival;
};

static fixture_t *F;

/* ---- the application: echoes the request as JSON ---------------------- */

typedef struct {
  uv_timer_t timer;
  http_request_t *req;
  fixture_t *f;
  bool sse_end;
} app_delay_t;

static void app_echo(fixture_t *f, http_request_t *req) {
  json_t *j =
      json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s%, s:I, s:b, s:i}", "method", req->method, "path",
                req->path, "query", req->query, "authorization", req->authorization, "idempotency_key",
                req->idempotency_key, "content_type", req->content_type, "last_event_id", req->last_event_id,
                "body", req->body, req->body_len, "body_len", (json_int_t)req->body_len, "loopback",
                req->peer_loopback, "connections", http_server_connections(f->srv));
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (s == NULL) {
    http_respond_error(req, CASUS_EINTERNAL, "echo failed", NULL);
  } else {
    http_respond(req, 200, NULL, s, strlen(s), "X-Test: yes\r\n");
  }
  free(s);
  json_decref(j);
}

static void app_delay_closed_cb(uv_handle_t *h) {
  free(h->data);
}

static void app_delay_cb(uv_timer_t *t) {
  app_delay_t *d = t->data;
  if (d->sse_end) {
    http_stream_write(d->req, "data: two\n\n", 11);
    http_stream_end(d->req);
  } else if (d->req->closed) {
    /* The client went away (or the server stopped): the answer is dropped
     * and the request freed; the server is not touched. */
    d->f->closed_seen++;
    http_respond(d->req, 200, NULL, "{}", 2, NULL);
  } else {
    app_echo(d->f, d->req);
  }
  uv_close((uv_handle_t *)t, app_delay_closed_cb);
}

static void app_delay(fixture_t *f, http_request_t *req, uint64_t ms, bool sse_end) {
  app_delay_t *d = calloc(1, sizeof *d);
  d->req = req;
  d->f = f;
  d->sse_end = sse_end;
  uv_timer_init(&f->loop, &d->timer);
  d->timer.data = d;
  uv_timer_start(&d->timer, app_delay_cb, ms, 0);
}

static void app_stream_closed(http_request_t *req, void *ud) {
  fixture_t *f = ud;
  f->write_after_close = http_stream_write(req, "data: late\n\n", 12);
  http_stream_end(req);
  atomic_fetch_add(&f->stream_closes, 1);
}

static void app_cb(http_request_t *req, void *ud) {
  fixture_t *f = ud;
  atomic_fetch_add(&f->requests, 1);
  if (strcmp(req->path, "/async") == 0) {
    const char *ms = strstr(req->query, "ms=");
    app_delay(f, req, ms ? (uint64_t)atoi(ms + 3) : 30, false);
  } else if (strcmp(req->path, "/sse") == 0) {
    http_stream_begin(req, app_stream_closed, f);
    http_stream_write(req, "data: hello\n\n", 13);
    if (strstr(req->query, "end") != NULL) app_delay(f, req, 50, true);
  } else if (strcmp(req->path, "/flood") == 0) {
    static char chunk[65536];
    int i;
    memset(chunk, 'f', sizeof chunk);
    http_stream_begin(req, app_stream_closed, f);
    for (i = 0; i < 4096; i++) {
      f->flood_rc = http_stream_write(req, chunk, sizeof chunk);
      if (f->flood_rc < 0) break;
      f->flood_writes++;
    }
  } else if (strcmp(req->path, "/error") == 0) {
    http_respond_error(req, CASUS_ENOT_FOUND, NULL, "R-TEST-1");
  } else if (strcmp(req->path, "/big") == 0) {
    size_t n = LIMIT_RESPONSE_BYTES_MAX + 1;
    char *big = malloc(n);
    memset(big, 'x', n);
    http_respond(req, 200, "text/plain", big, n, NULL);
    free(big);
  } else {
    app_echo(f, req);
  }
}

static void noop_cb(http_request_t *req, void *ud) {
  (void)ud;
  http_respond(req, 204, NULL, NULL, 0, NULL);
}

/* ---- the fixture ------------------------------------------------------ */

static const char *fixture_host = "127.0.0.1";

static void fixture_stop_server(fixture_t *f) {
  if (f->stopped) return;
  f->stopped = true;
  http_server_stop(f->srv);
}

static void fixture_poll_cb(uv_timer_t *t) {
  fixture_t *f = t->data;
  if (atomic_load(&f->want_stop)) fixture_stop_server(f);
  if (!f->timed_out && uv_now(&f->loop) - f->start_ms > f->watchdog_ms) {
    /* Closing every connection unblocks the client, which then finishes. */
    f->timed_out = true;
    fixture_stop_server(f);
  }
  if (atomic_load(&f->client_done)) {
    fixture_stop_server(f);
    uv_close((uv_handle_t *)t, NULL);
  }
}

static void fixture_client_main(void *arg) {
  fixture_t *f = arg;
  f->client(f);
  atomic_store(&f->client_done, 1);
}

/* Runs client on its thread against a fresh server until both are done. */
static void fixture_run(client_fn client, uint64_t request_ms, uint64_t idle_ms, uint64_t watchdog_ms) {
  F = calloc(1, sizeof *F);
  ASSERT_NOT_NULL(F);
  signal(SIGPIPE, SIG_IGN);
  alarm((unsigned)(watchdog_ms / 1000) + 30);
  ASSERT_EQ(uv_loop_init(&F->loop), 0);
  ASSERT_EQ(http_server_start(&F->srv, &F->loop, fixture_host, 0, app_cb, F), 0);
  if (request_ms || idle_ms) http_server_set_timeouts(F->srv, request_ms, idle_ms);
  F->port = http_server_port(F->srv);
  ASSERT_GT(F->port, 0);
  F->client = client;
  F->watchdog_ms = watchdog_ms;
  F->start_ms = uv_now(&F->loop);
  uv_timer_init(&F->loop, &F->poll);
  F->poll.data = F;
  uv_timer_start(&F->poll, fixture_poll_cb, 5, 5);
  ASSERT_EQ(uv_thread_create(&F->thread, fixture_client_main, F), 0);
  uv_run(&F->loop, UV_RUN_DEFAULT);
  uv_thread_join(&F->thread);
  ASSERT_EQ(uv_loop_close(&F->loop), 0);
  alarm(0);
  ASSERT(!F->timed_out);
  ASSERT_STR_EQ(F->error, "");
}

static void fixture_free(void) {
  free(F);
  F = NULL;
}

/* ---- the client (runs on its own thread; records, never asserts) ------ */

#define CHECK(c)                    \
  do {                              \
    if (!(c)) {                     \
      client_fail(f, __LINE__, #c); \
      return;                       \
    }                               \
  } while (0)

static void client_fail(fixture_t *f, int line, const char *what) {
  if (f->error[0] == '\0') snprintf(f->error, sizeof f->error, "client line %d: %s", line, what);
}

static cli_t *cli_open_cap(int port, size_t cap) {
  struct timeval tv = {.tv_sec = 3, .tv_usec = 0};
  struct sockaddr_in a;
  int one = 1;
  cli_t *c = malloc(sizeof *c + cap);
  if (c == NULL) return NULL;
  c->len = 0;
  c->cap = cap;
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) {
    free(c);
    return NULL;
  }
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(c->fd);
    free(c);
    return NULL;
  }
  return c;
}

static cli_t *cli_open(int port) {
  return cli_open_cap(port, CLI_BUF_BYTES);
}

static void cli_close(cli_t *c) {
  if (c == NULL) return;
  close(c->fd);
  free(c);
}

static int cli_send(cli_t *c, const char *s, size_t n) {
  while (n > 0) {
    ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += k;
    n -= (size_t)k;
  }
  return 0;
}

static int cli_sends(cli_t *c, const char *s) {
  return cli_send(c, s, strlen(s));
}

/* 1 when bytes arrived, 0 on EOF, -1 on error or timeout. */
static int cli_fill(cli_t *c) {
  ssize_t k;
  if (c->len == c->cap) return -1;
  do {
    k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
  } while (k < 0 && errno == EINTR);
  if (k > 0) {
    c->len += (size_t)k;
    return 1;
  }
  return k == 0 ? 0 : -1;
}

static long find(const char *hay, size_t n, const char *needle) {
  size_t m = strlen(needle), i;
  for (i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return (long)i;
  return -1;
}

static void cli_consume(cli_t *c, size_t n) {
  memmove(c->buf, c->buf + n, c->len - n);
  c->len -= n;
}

/* Reads up to and including the blank line into out (NUL-terminated). */
static int cli_read_head(cli_t *c, char *out, size_t cap) {
  long end;
  size_t n;
  while ((end = find(c->buf, c->len, "\r\n\r\n")) < 0)
    if (cli_fill(c) <= 0) return -1;
  n = (size_t)end + 4;
  if (n >= cap) return -1;
  memcpy(out, c->buf, n);
  out[n] = '\0';
  cli_consume(c, n);
  return 0;
}

/* Reads until needle has arrived (it stays in the buffer). */
static int cli_read_until(cli_t *c, const char *needle) {
  while (find(c->buf, c->len, needle) < 0)
    if (cli_fill(c) <= 0) return -1;
  return 0;
}

/* The value of header name in a response head, or NULL; copied to out. */
static const char *head_header(const char *head, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  const char *line = strstr(head, "\r\n");
  while (line != NULL && line[2] != '\r') {
    const char *p = line + 2;
    const char *eol = strstr(p, "\r\n");
    if (eol == NULL) return NULL;
    if ((size_t)(eol - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
      const char *v = p + nlen + 1;
      size_t vlen;
      while (*v == ' ') v++;
      vlen = (size_t)(eol - v);
      if (vlen >= cap) vlen = cap - 1;
      memcpy(out, v, vlen);
      out[vlen] = '\0';
      return out;
    }
    line = eol;
  }
  return NULL;
}

static int cli_read_response(cli_t *c, resp_t *r, bool head_request) {
  char cl[32];
  size_t n = 0;
  r->status = 0;
  r->body_len = 0;
  r->body[0] = '\0';
  if (cli_read_head(c, r->head, sizeof r->head) < 0) return -1;
  if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) return -1;
  if (!head_request && head_header(r->head, "Content-Length", cl, sizeof cl) != NULL)
    n = (size_t)strtoul(cl, NULL, 10);
  if (n > c->cap) return -1;
  while (c->len < n)
    if (cli_fill(c) <= 0) return -1;
  /* A larger body is consumed whole but only its start is kept. */
  r->body_len = n < sizeof r->body ? n : sizeof r->body - 1;
  memcpy(r->body, c->buf, r->body_len);
  r->body[r->body_len] = '\0';
  cli_consume(c, n);
  return 0;
}

/* 1: the server closed (EOF or reset) with nothing unread; 0: data came;
 * -1: nothing within the socket timeout. */
static int cli_wait_eof(cli_t *c) {
  char b[512];
  ssize_t k;
  if (c->len > 0) return 0;
  do {
    k = recv(c->fd, b, sizeof b, 0);
  } while (k < 0 && errno == EINTR);
  if (k == 0) return 1;
  if (k > 0) return 0;
  return errno == ECONNRESET ? 1 : -1;
}

static double now_ms(void) {
  return (double)uv_hrtime() / 1e6;
}

static bool wait_atomic(atomic_int *v, int want, int ms) {
  int waited = 0;
  while (atomic_load(v) < want) {
    if (waited >= ms) return false;
    uv_sleep(5);
    waited += 5;
  }
  return true;
}

/* One request, one response, connection closed afterwards by us. */
static void client_one(fixture_t *f, const char *request, resp_t *r) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, request) == 0);
  CHECK(cli_read_response(c, r, false) == 0);
  cli_close(c);
}

/* One request whose answer must close the connection: records EOF. */
static void client_one_then_eof(fixture_t *f, const char *request, size_t len) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  cli_send(c, request, len); /* the server may answer before reading it all */
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  f->eof[0] = cli_wait_eof(c);
  cli_close(c);
}

/* ---- assertion helpers (main thread) ---------------------------------- */

static json_t *resp_json(const resp_t *r) {
  return json_loadb(r->body, r->body_len, 0, NULL);
}

static const char *jstr(json_t *j, const char *key) {
  return json_string_value(json_object_get(j, key));
}

static const char *hdr(const resp_t *r, const char *name) {
  static char v[256];
  return head_header(r->head, name, v, sizeof v);
}

/* Asserts an edge error: status, JSON code, Connection: close and EOF. */
#define ASSERT_EDGE_ERROR(r, eof, want_status, want_code)                                                \
  do {                                                                                                   \
    json_t *ej_ = resp_json(r);                                                                          \
    ASSERT_EQ((r)->status, want_status);                                                                 \
    ASSERT_NOT_NULL(ej_);                                                                                \
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(ej_, "error"), "code")), want_code); \
    json_decref(ej_);                                                                                    \
    ASSERT_STR_EQ(hdr(r, "Connection"), "close");                                                        \
    ASSERT_STR_EQ(hdr(r, "Content-Type"), "application/json");                                           \
    ASSERT_EQ(eof, 1);                                                                                   \
  } while (0)

/* ---- tests ------------------------------------------------------------ */

static void client_simple_get(fixture_t *f) {
  client_one(f, "GET /v1/cases?status=open&cursor=x HTTP/1.1\r\nHost: t\r\n\r\n", &f->resp[0]);
}

TEST(simple_get) {
  json_t *j;
  char len[32];
  fixture_run(client_simple_get, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->resp[0].status, 200);
  ASSERT_STR_EQ(hdr(&F->resp[0], "Content-Type"), "application/json");
  ASSERT_STR_EQ(hdr(&F->resp[0], "X-Test"), "yes");
  ASSERT_NOT_NULL(hdr(&F->resp[0], "Date"));
  ASSERT_NULL(hdr(&F->resp[0], "Connection"));
  snprintf(len, sizeof len, "%zu", F->resp[0].body_len);
  ASSERT_STR_EQ(hdr(&F->resp[0], "Content-Length"), len);
  j = resp_json(&F->resp[0]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "method"), "GET");
  ASSERT_STR_EQ(jstr(j, "path"), "/v1/cases");
  ASSERT_STR_EQ(jstr(j, "query"), "status=open&cursor=x");
  ASSERT(json_is_null(json_object_get(j, "authorization")));
  ASSERT(json_is_null(json_object_get(j, "content_type")));
  ASSERT_STR_EQ(jstr(j, "body"), "");
  ASSERT(json_is_true(json_object_get(j, "loopback")));
  ASSERT_EQ(json_integer_value(json_object_get(j, "connections")), 1);
  json_decref(j);
  ASSERT_EQ(atomic_load(&F->requests), 1);
  fixture_free();
}

static void client_post_body(fixture_t *f) {
  client_one(f,
             "POST /v1/cases/c-1/events HTTP/1.1\r\nHost: t\r\n"
             "authorization: Bearer tok-1  \r\nIDEMPOTENCY-KEY: key-9\r\nContent-type: application/json\r\n"
             "Last-Event-Id: 42\r\nX-Other: ignored\r\nContent-Length: 17\r\n\r\n"
             "{\"event\":\"start\"}",
             &f->resp[0]);
}

TEST(post_with_body_and_headers) {
  json_t *j;
  fixture_run(client_post_body, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->resp[0].status, 200);
  j = resp_json(&F->resp[0]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "method"), "POST");
  ASSERT_STR_EQ(jstr(j, "path"), "/v1/cases/c-1/events");
  ASSERT_STR_EQ(jstr(j, "query"), "");
  ASSERT_STR_EQ(jstr(j, "authorization"), "Bearer tok-1");
  ASSERT_STR_EQ(jstr(j, "idempotency_key"), "key-9");
  ASSERT_STR_EQ(jstr(j, "content_type"), "application/json");
  ASSERT_STR_EQ(jstr(j, "last_event_id"), "42");
  ASSERT_STR_EQ(jstr(j, "body"), "{\"event\":\"start\"}");
  ASSERT_EQ(json_integer_value(json_object_get(j, "body_len")), 17);
  json_decref(j);
  fixture_free();
}

static void client_keep_alive(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  /* Answered on a later loop iteration with nothing else buffered. */
  CHECK(cli_sends(c, "GET /async?ms=20 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  CHECK(cli_sends(c, "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc") == 0);
  CHECK(cli_read_response(c, &f->resp[1], false) == 0);
  cli_close(c);
}

TEST(keep_alive_two_requests) {
  json_t *a, *b;
  fixture_run(client_keep_alive, 0, 0, WATCHDOG_MS);
  a = resp_json(&F->resp[0]);
  b = resp_json(&F->resp[1]);
  ASSERT_NOT_NULL(a);
  ASSERT_NOT_NULL(b);
  ASSERT_STR_EQ(jstr(a, "path"), "/async");
  ASSERT_STR_EQ(jstr(b, "path"), "/two");
  ASSERT_STR_EQ(jstr(b, "body"), "abc");
  /* Both on the one connection. */
  ASSERT_EQ(json_integer_value(json_object_get(a, "connections")), 1);
  ASSERT_EQ(json_integer_value(json_object_get(b, "connections")), 1);
  json_decref(a);
  json_decref(b);
  fixture_free();
}

static void client_pipelined(fixture_t *f) {
  int i;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  /* The first is answered on a later loop iteration, the others at once:
   * the answers must still come in order. */
  CHECK(cli_sends(c,
                  "GET /async?ms=60 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /second HTTP/1.1\r\nHost: t\r\n\r\n"
                  "POST /third HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello") == 0);
  for (i = 0; i < 3; i++) CHECK(cli_read_response(c, &f->resp[i], false) == 0);
  cli_close(c);
}

TEST(pipelined_in_order) {
  static const char *const paths[3] = {"/async", "/second", "/third"};
  int i;
  fixture_run(client_pipelined, 0, 0, WATCHDOG_MS);
  for (i = 0; i < 3; i++) {
    json_t *j = resp_json(&F->resp[i]);
    ASSERT_EQ(F->resp[i].status, 200);
    ASSERT_NOT_NULL(j);
    ASSERT_STR_EQ(jstr(j, "path"), paths[i]);
    if (i == 2) ASSERT_STR_EQ(jstr(j, "body"), "hello");
    json_decref(j);
  }
  fixture_free();
}

static void client_chunked(fixture_t *f) {
  client_one(f,
             "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
             &f->resp[0]);
}

TEST(chunked_body) {
  json_t *j;
  fixture_run(client_chunked, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->resp[0].status, 200);
  j = resp_json(&F->resp[0]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "body"), "hello world");
  json_decref(j);
  fixture_free();
}

static void client_trickle(fixture_t *f) {
  static const char req[] =
      "PUT /v1/admin/clock?x=1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer slow-token\r\n"
      "Idempotency-Key: k\r\nContent-Length: 11\r\n\r\n{\"now\":\"x\"}";
  size_t i;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  /* Byte by byte, so that names and values arrive in pieces. */
  for (i = 0; i < sizeof req - 1; i++) {
    CHECK(cli_send(c, req + i, 1) == 0);
    if (i % 7 == 0) uv_sleep(1);
  }
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  cli_close(c);
}

TEST(request_in_pieces) {
  json_t *j;
  fixture_run(client_trickle, 0, 0, WATCHDOG_MS);
  j = resp_json(&F->resp[0]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "method"), "PUT");
  ASSERT_STR_EQ(jstr(j, "path"), "/v1/admin/clock");
  ASSERT_STR_EQ(jstr(j, "query"), "x=1");
  ASSERT_STR_EQ(jstr(j, "authorization"), "Bearer slow-token");
  ASSERT_STR_EQ(jstr(j, "idempotency_key"), "k");
  ASSERT_STR_EQ(jstr(j, "body"), "{\"now\":\"x\"}");
  json_decref(j);
  fixture_free();
}

static void client_http10(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /old HTTP/1.0\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  f->eof[0] = cli_wait_eof(c);
  cli_close(c);
  c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /ka1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[1], false) == 0);
  CHECK(cli_sends(c, "GET /ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[2], false) == 0);
  cli_close(c);
  c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[3], false) == 0);
  f->eof[3] = cli_wait_eof(c);
  cli_close(c);
}

TEST(connection_close_and_http10) {
  fixture_run(client_http10, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->resp[0].status, 200);
  ASSERT_STR_EQ(hdr(&F->resp[0], "Connection"), "close");
  ASSERT_EQ(F->eof[0], 1);
  ASSERT_EQ(F->resp[1].status, 200);
  ASSERT_STR_EQ(hdr(&F->resp[1], "Connection"), "keep-alive");
  ASSERT_EQ(F->resp[2].status, 200);
  ASSERT_EQ(F->resp[3].status, 200);
  ASSERT_STR_EQ(hdr(&F->resp[3], "Connection"), "close");
  ASSERT_EQ(F->eof[3], 1);
  fixture_free();
}

static void client_cl_and_te(fixture_t *f) {
  static const char req[] =
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
  client_one_then_eof(f, req, sizeof req - 1);
}

TEST(content_length_with_transfer_encoding_400) {
  fixture_run(client_cl_and_te, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 400, "bad_request");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_dup_cl(fixture_t *f) {
  static const char req[] = "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc";
  client_one_then_eof(f, req, sizeof req - 1);
}

TEST(duplicate_content_length_400) {
  fixture_run(client_dup_cl, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 400, "bad_request");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_body_declared_too_large(fixture_t *f) {
  static const char req[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n";
  client_one_then_eof(f, req, sizeof req - 1);
}

TEST(body_too_large_413) {
  fixture_run(client_body_declared_too_large, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 413, "body_too_large");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_chunked_too_large(fixture_t *f) {
  static char chunk[0x10000];
  int i;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  memset(chunk, 'a', sizeof chunk);
  CHECK(cli_sends(c, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
  /* 5 x 64 KiB > LIMIT_BODY_BYTES_MAX; the server answers part-way and
   * discards the rest, so these sends do not block. */
  for (i = 0; i < 5; i++) {
    if (cli_sends(c, "10000\r\n") < 0 || cli_send(c, chunk, sizeof chunk) < 0 || cli_sends(c, "\r\n") < 0)
      break;
  }
  cli_sends(c, "0\r\n\r\n");
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  f->eof[0] = cli_wait_eof(c);
  cli_close(c);
}

TEST(chunked_body_too_large_413) {
  fixture_run(client_chunked_too_large, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 413, "body_too_large");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_headers_too_large(fixture_t *f) {
  char *req = malloc(64 * 1024);
  size_t n;
  int i;
  CHECK(req != NULL);
  /* One huge header. */
  n = (size_t)sprintf(req, "GET / HTTP/1.1\r\nX-Big: ");
  memset(req + n, 'a', LIMIT_HEADER_BYTES_MAX + 100);
  n += LIMIT_HEADER_BYTES_MAX + 100;
  n += (size_t)sprintf(req + n, "\r\n\r\n");
  client_one_then_eof(f, req, n);
  f->resp[1] = f->resp[0];
  f->eof[1] = f->eof[0];
  /* Too many small ones. */
  n = (size_t)sprintf(req, "GET / HTTP/1.1\r\n");
  for (i = 0; i < LIMIT_HEADERS_MAX + 5; i++) n += (size_t)sprintf(req + n, "X-H%d: v\r\n", i);
  n += (size_t)sprintf(req + n, "\r\n");
  client_one_then_eof(f, req, n);
  f->resp[2] = f->resp[0];
  f->eof[2] = f->eof[0];
  /* A request target beyond LIMIT_URL_BYTES_MAX. */
  n = (size_t)sprintf(req, "GET /");
  memset(req + n, 'u', LIMIT_URL_BYTES_MAX + 10);
  n += LIMIT_URL_BYTES_MAX + 10;
  n += (size_t)sprintf(req + n, " HTTP/1.1\r\n\r\n");
  client_one_then_eof(f, req, n);
  free(req);
}

TEST(headers_too_large_431) {
  fixture_run(client_headers_too_large, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[1], F->eof[1], 431, "headers_too_large");
  ASSERT_EDGE_ERROR(&F->resp[2], F->eof[2], 431, "headers_too_large");
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 431, "headers_too_large");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_garbage(fixture_t *f) {
  static const char req[] = "\x16\x03\x01\x02\x00 not http at all\r\n\r\n";
  client_one_then_eof(f, req, sizeof req - 1);
}

TEST(garbage_400) {
  fixture_run(client_garbage, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 400, "bad_request");
  fixture_free();
}

/* Found by tests/fuzz/fuzz_http.c: "*error" reached the application as a path. */
static void client_asterisk_target(fixture_t *f) {
  static const char req[] = "OPTIONS *error HTTP/1.1\r\nHost: t\r\n\r\n";
  client_one_then_eof(f, req, sizeof req - 1);
}

TEST(asterisk_target_not_a_path_400) {
  fixture_run(client_asterisk_target, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 400, "bad_request");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_request_timeout(fixture_t *f) {
  double t0;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  t0 = now_ms();
  CHECK(cli_sends(c, "GET /slow HTTP/1.1\r\nHost: t\r\n") == 0); /* never finished */
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  f->elapsed_ms = now_ms() - t0;
  f->eof[0] = cli_wait_eof(c);
  cli_close(c);
}

TEST(request_timeout_408) {
  fixture_run(client_request_timeout, 200, 5000, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 408, "request_timeout");
  ASSERT_GE(F->elapsed_ms, 150);
  ASSERT_LT(F->elapsed_ms, 2500);
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_idle(fixture_t *f) {
  double t0;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  t0 = now_ms();
  f->eof[0] = cli_wait_eof(c);
  f->elapsed_ms = now_ms() - t0;
  cli_close(c);
  /* A connection that never sends a byte goes the same way. */
  c = cli_open(f->port);
  CHECK(c != NULL);
  f->eof[1] = cli_wait_eof(c);
  cli_close(c);
}

TEST(idle_keep_alive_closed) {
  fixture_run(client_idle, 5000, 200, WATCHDOG_MS);
  ASSERT_EQ(F->resp[0].status, 200);
  ASSERT_NULL(hdr(&F->resp[0], "Connection"));
  ASSERT_EQ(F->eof[0], 1);
  ASSERT_EQ(F->eof[1], 1);
  ASSERT_GE(F->elapsed_ms, 150);
  ASSERT_LT(F->elapsed_ms, 2500);
  fixture_free();
}

static void client_disconnect_early(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /async?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(wait_atomic(&f->requests, 1, 3000));
  cli_close(c); /* before the answer */
  uv_sleep(500);
}

TEST(peer_disconnect_before_async_answer) {
  fixture_run(client_disconnect_early, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(atomic_load(&F->requests), 1);
  ASSERT_EQ(F->closed_seen, 1);
  fixture_free();
}

static void client_sse_end(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(
            c, "GET /sse?end=1 HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 7\r\nX-Request-Id: sse-1\r\n\r\n") == 0);
  CHECK(cli_read_head(c, f->raw, sizeof f->raw) == 0);
  for (;;) {
    int rc = cli_fill(c);
    CHECK(rc >= 0);
    if (rc == 0) break;
  }
  CHECK(c->len < sizeof f->resp[0].body);
  memcpy(f->resp[0].body, c->buf, c->len);
  f->resp[0].body[c->len] = '\0';
  cli_close(c);
}

TEST(sse_begin_write_end) {
  fixture_run(client_sse_end, 0, 0, WATCHDOG_MS);
  ASSERT_STR_EQ(F->raw,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                "API-Version: " CASUS_API_VERSION
                "\r\nX-Request-Id: sse-1\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_STR_EQ(F->resp[0].body, "data: hello\n\ndata: two\n\n");
  ASSERT_EQ(atomic_load(&F->stream_closes), 0);
  fixture_free();
}

static void client_sse_disconnect(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /sse HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_head(c, f->raw, sizeof f->raw) == 0);
  CHECK(cli_read_until(c, "data: hello\n\n") == 0);
  cli_close(c);
  CHECK(wait_atomic(&f->stream_closes, 1, 3000));
}

TEST(sse_close_cb_on_client_disconnect) {
  fixture_run(client_sse_disconnect, 0, 0, WATCHDOG_MS);
  {
    /* no X-Request-Id sent: the head carries a made-up one, 32 hex digits */
    const char *id = strstr(F->raw, "\r\nX-Request-Id: ");
    size_t i;
    ASSERT(id != NULL);
    id += strlen("\r\nX-Request-Id: ");
    for (i = 0; i < 32; i++) ASSERT(strchr("0123456789abcdef", id[i]) != NULL);
    ASSERT_EQ(strncmp(id + 32, "\r\n", 2), 0);
  }
  ASSERT_EQ(atomic_load(&F->stream_closes), 1);
  ASSERT_EQ(F->write_after_close, UV_ECONNRESET);
  fixture_free();
}

static void client_stop_with_open(fixture_t *f) {
  cli_t *idle, *pending, *stream;
  idle = cli_open(f->port);
  CHECK(idle != NULL);
  CHECK(cli_sends(idle, "GET / HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(idle, &f->resp[0], false) == 0);
  pending = cli_open(f->port);
  CHECK(pending != NULL);
  CHECK(cli_sends(pending, "GET /async?ms=400 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  stream = cli_open(f->port);
  CHECK(stream != NULL);
  CHECK(cli_sends(stream, "GET /sse HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_head(stream, f->raw, sizeof f->raw) == 0);
  CHECK(wait_atomic(&f->requests, 3, 3000));
  atomic_store(&f->want_stop, 1);
  f->eof[0] = cli_wait_eof(idle);
  f->eof[1] = cli_wait_eof(pending);
  CHECK(cli_read_until(stream, "data: hello\n\n") == 0);
  stream->len = 0;
  f->eof[2] = cli_wait_eof(stream);
  /* After the stop nobody listens any more. */
  f->ival = cli_open(f->port) == NULL;
  cli_close(idle);
  cli_close(pending);
  cli_close(stream);
  uv_sleep(500); /* let the delayed answer to the pending request happen */
}

TEST(stop_with_open_connections) {
  fixture_run(client_stop_with_open, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->eof[0], 1);
  ASSERT_EQ(F->eof[1], 1);
  ASSERT_EQ(F->eof[2], 1);
  ASSERT_EQ(F->ival, 1);
  ASSERT_EQ(atomic_load(&F->stream_closes), 1);
  ASSERT_EQ(F->closed_seen, 1);
  fixture_free();
}

static void client_expect_continue(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n") ==
        0);
  CHECK(cli_read_head(c, f->raw, sizeof f->raw) == 0);
  CHECK(cli_sends(c, "hello") == 0);
  CHECK(cli_read_response(c, &f->resp[0], false) == 0);
  cli_close(c);
}

TEST(expect_100_continue) {
  json_t *j;
  fixture_run(client_expect_continue, 0, 0, WATCHDOG_MS);
  ASSERT_STR_EQ(F->raw, "HTTP/1.1 100 Continue\r\n\r\n");
  j = resp_json(&F->resp[0]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "body"), "hello");
  json_decref(j);
  fixture_free();
}

static void client_head_and_errors(fixture_t *f) {
  resp_t *r;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[0], true) == 0);
  /* No stray body bytes: the next answer starts right away. */
  CHECK(cli_sends(c, "GET /error HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[1], false) == 0);
  CHECK(cli_sends(c, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[2], false) == 0);
  CHECK(cli_sends(c, "GET http://example.org/abs?q=1 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(cli_read_response(c, &f->resp[3], false) == 0);
  /* Absolute form without a path: the path is "/". */
  r = malloc(sizeof *r);
  CHECK(r != NULL);
  CHECK(cli_sends(c, "GET http://example.org?z=2 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  if (cli_read_response(c, r, false) < 0) client_fail(f, __LINE__, "absolute form");
  f->ival = r->status;
  snprintf(f->raw, sizeof f->raw, "%.*s", (int)(sizeof f->raw - 1), r->body);
  free(r);
  cli_close(c);
}

TEST(head_error_body_and_oversize_response) {
  json_t *j;
  fixture_run(client_head_and_errors, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->resp[0].status, 200);
  ASSERT_NOT_NULL(hdr(&F->resp[0], "Content-Length"));
  ASSERT_EQ(F->resp[0].body_len, 0);
  ASSERT_EQ(F->resp[1].status, 404);
  j = resp_json(&F->resp[1]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "not_found");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "error"), "rule")), "R-TEST-1");
  json_decref(j);
  ASSERT_EQ(F->resp[2].status, 500);
  j = resp_json(&F->resp[2]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "internal_error");
  json_decref(j);
  j = resp_json(&F->resp[3]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "path"), "/abs");
  ASSERT_STR_EQ(jstr(j, "query"), "q=1");
  json_decref(j);
  ASSERT_EQ(F->ival, 200);
  j = json_loads(F->raw, 0, NULL);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "path"), "/");
  ASSERT_STR_EQ(jstr(j, "query"), "z=2");
  json_decref(j);
  fixture_free();
}

static void client_connection_limit(fixture_t *f) {
  cli_t **conns = calloc(LIMIT_CONNECTIONS_MAX, sizeof *conns);
  cli_t *extra;
  int i;
  CHECK(conns != NULL);
  /* Each answered, so that the server has surely counted it. */
  for (i = 0; i < LIMIT_CONNECTIONS_MAX; i++) {
    conns[i] = cli_open_cap(f->port, 4096);
    if (conns[i] == NULL || cli_sends(conns[i], "GET / HTTP/1.1\r\n\r\n") < 0 ||
        cli_read_response(conns[i], &f->resp[1], false) < 0)
      break;
  }
  f->ival = i;
  extra = cli_open(f->port);
  if (extra != NULL) {
    cli_sends(extra, "GET / HTTP/1.1\r\n\r\n");
    if (cli_read_response(extra, &f->resp[0], false) == 0) f->eof[0] = cli_wait_eof(extra);
    cli_close(extra);
  }
  for (i = 0; i < LIMIT_CONNECTIONS_MAX; i++) cli_close(conns[i]);
  free(conns);
}

TEST(connections_beyond_limit_503) {
  struct rlimit rl;
  rlim_t need = 2 * LIMIT_CONNECTIONS_MAX + 64;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < need) {
    if (rl.rlim_max < need) {
      printf("skip connections_beyond_limit_503: RLIMIT_NOFILE hard limit %lu\n", (unsigned long)rl.rlim_max);
      return;
    }
    rl.rlim_cur = need;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  fixture_run(client_connection_limit, 0, 0, 60000);
  ASSERT_EQ(F->ival, LIMIT_CONNECTIONS_MAX);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 503, "overloaded");
  fixture_free();
}

static void client_pipelined_while_held(fixture_t *f) {
  char *big;
  size_t n;
  int i;
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /async?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(wait_atomic(&f->requests, 1, 3000));
  /* While the application holds the first request, more than the server
   * buffers arrives: it must stop reading, then catch up after the answer. */
  n = 2 * (size_t)LIMIT_BODY_BYTES_MAX;
  big = malloc(n + 256);
  CHECK(big != NULL);
  i = sprintf(big, "POST /held HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", LIMIT_BODY_BYTES_MAX);
  memset(big + i, 'b', LIMIT_BODY_BYTES_MAX);
  n = (size_t)i + LIMIT_BODY_BYTES_MAX;
  n += (size_t)sprintf(big + n, "POST /held2 HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
                       LIMIT_BODY_BYTES_MAX);
  memset(big + n, 'c', LIMIT_BODY_BYTES_MAX);
  n += LIMIT_BODY_BYTES_MAX;
  n += (size_t)sprintf(big + n, "GET /last HTTP/1.1\r\nHost: t\r\n\r\n");
  if (cli_send(c, big, n) < 0) client_fail(f, __LINE__, "send");
  free(big);
  for (i = 0; i < 4; i++) CHECK(cli_read_response(c, &f->resp[i], false) == 0);
  cli_close(c);
}

TEST(pipelined_while_held_and_backpressure) {
  static const char *const paths[4] = {"/async", "/held", "/held2", "/last"};
  int i;
  fixture_run(client_pipelined_while_held, 0, 0, WATCHDOG_MS);
  for (i = 0; i < 4; i++) {
    /* The echoed 256 KiB bodies do not fit the client's record: only the
     * heads are compared for those. */
    ASSERT_EQ(F->resp[i].status, 200);
    ASSERT(strstr(F->resp[i].head, "HTTP/1.1 200 OK\r\n") == F->resp[i].head);
  }
  for (i = 0; i < 4; i += 3) {
    json_t *j = resp_json(&F->resp[i]);
    ASSERT_NOT_NULL(j);
    ASSERT_STR_EQ(jstr(j, "path"), paths[i]);
    json_decref(j);
  }
  ASSERT_EQ(atomic_load(&F->requests), 4);
  fixture_free();
}

static void client_dup_auth(fixture_t *f) {
  static const char req[] = "GET / HTTP/1.1\r\nAuthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n";
  client_one_then_eof(f, req, sizeof req - 1);
}

TEST(duplicate_authorization_400) {
  fixture_run(client_dup_auth, 0, 0, WATCHDOG_MS);
  ASSERT_EDGE_ERROR(&F->resp[0], F->eof[0], 400, "bad_request");
  ASSERT_EQ(atomic_load(&F->requests), 0);
  fixture_free();
}

static void client_sse_flood(fixture_t *f) {
  cli_t *c = cli_open(f->port);
  CHECK(c != NULL);
  CHECK(cli_sends(c, "GET /flood HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  /* Never read: the server must give up instead of queueing forever. */
  CHECK(wait_atomic(&f->stream_closes, 1, 5000));
  cli_close(c);
}

TEST(sse_client_that_does_not_read_is_dropped) {
  fixture_run(client_sse_flood, 0, 0, WATCHDOG_MS);
  ASSERT_EQ(F->flood_rc, UV_ECONNRESET);
  ASSERT_GT(F->flood_writes, 0);
  ASSERT_LE((int64_t)F->flood_writes * 65536, (int64_t)LIMIT_RESPONSE_BYTES_MAX + 64 * 1024 * 1024);
  ASSERT_EQ(atomic_load(&F->stream_closes), 1);
  fixture_free();
}

static void client_ipv6(fixture_t *f) {
  struct timeval tv = {.tv_sec = 3, .tv_usec = 0};
  struct sockaddr_in6 a;
  cli_t *c = malloc(sizeof *c + BODY_MAX);
  CHECK(c != NULL);
  c->len = 0;
  c->cap = BODY_MAX;
  c->fd = socket(AF_INET6, SOCK_STREAM, 0);
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((uint16_t)f->port);
  a.sin6_addr = in6addr_loopback;
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 || cli_sends(c, "GET /six HTTP/1.1\r\n\r\n") < 0 ||
      cli_read_response(c, &f->resp[0], false) < 0)
    client_fail(f, __LINE__, "ipv6 request");
  cli_close(c);
}

TEST(ipv6_loopback) {
  json_t *j;
  uv_loop_t probe_loop;
  http_server_t *probe = NULL;
  int rc;
  /* Hosts without IPv6 skip this. */
  ASSERT_EQ(uv_loop_init(&probe_loop), 0);
  rc = http_server_start(&probe, &probe_loop, "::1", 0, noop_cb, NULL);
  if (rc == 0) http_server_stop(probe);
  uv_run(&probe_loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&probe_loop), 0);
  if (rc < 0) {
    printf("skip ipv6_loopback: %s\n", uv_strerror(rc));
    return;
  }
  fixture_host = "::1";
  fixture_run(client_ipv6, 0, 0, WATCHDOG_MS);
  fixture_host = "127.0.0.1";
  j = resp_json(&F->resp[0]);
  ASSERT_NOT_NULL(j);
  ASSERT_STR_EQ(jstr(j, "path"), "/six");
  ASSERT(json_is_true(json_object_get(j, "loopback")));
  json_decref(j);
  fixture_free();
}

TEST(start_errors) {
  uv_loop_t loop;
  http_server_t *a = NULL, *b = NULL;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  ASSERT_EQ(http_server_start(&a, &loop, "127.0.0.1", 0, noop_cb, NULL), 0);
  ASSERT_EQ(http_server_start(&b, &loop, "127.0.0.1", http_server_port(a), noop_cb, NULL), UV_EADDRINUSE);
  ASSERT_NULL(b);
  ASSERT_EQ(http_server_start(&b, &loop, "not-an-address", 0, noop_cb, NULL), UV_EINVAL);
  ASSERT_EQ(http_server_start(&b, &loop, "127.0.0.1", 70000, noop_cb, NULL), UV_EINVAL);
  ASSERT_EQ(http_server_connections(a), 0);
  http_server_stop(a);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&loop), 0);
}

#define TEST_LIST(X)                           \
  X(simple_get)                                \
  X(post_with_body_and_headers)                \
  X(keep_alive_two_requests)                   \
  X(pipelined_in_order)                        \
  X(chunked_body)                              \
  X(request_in_pieces)                         \
  X(connection_close_and_http10)               \
  X(content_length_with_transfer_encoding_400) \
  X(duplicate_content_length_400)              \
  X(body_too_large_413)                        \
  X(chunked_body_too_large_413)                \
  X(headers_too_large_431)                     \
  X(garbage_400)                               \
  X(asterisk_target_not_a_path_400)            \
  X(request_timeout_408)                       \
  X(idle_keep_alive_closed)                    \
  X(peer_disconnect_before_async_answer)       \
  X(sse_begin_write_end)                       \
  X(sse_close_cb_on_client_disconnect)         \
  X(stop_with_open_connections)                \
  X(expect_100_continue)                       \
  X(head_error_body_and_oversize_response)     \
  X(connections_beyond_limit_503)              \
  X(pipelined_while_held_and_backpressure)     \
  X(duplicate_authorization_400)               \
  X(sse_client_that_does_not_read_is_dropped)  \
  X(ipv6_loopback)                             \
  X(start_errors)

TEST_MAIN(TEST_LIST)
