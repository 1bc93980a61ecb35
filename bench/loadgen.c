/*
 * loadgen.c -- casus-bench, a closed-loop HTTP load generator for casusd.
 *
 * It opens --connections keep-alive connections, first creates --cases cases
 * (POST /v1/cases), then fires casusregisseur_wijzigen events at them
 * (POST /v1/cases/{id}/events) until --duration seconds have passed or
 * --events events were sent.  Each connection has one request in flight at a
 * time (no pipelining), so the offered load is "as fast as the server answers"
 * and the number of connections is the concurrency.  Every event is a real
 * write (case update, history append, inbox notification), so this measures
 * the write path and its group commit.
 *
 * Case i is created by connection i % connections.  With at least as many
 * cases as connections each case belongs to exactly one connection, which
 * alternates cr-a and cr-b on it; with fewer cases, connections share cases
 * and each uses its own names (cr-a-<conn>, cr-b-<conn>) so that the chart's
 * guard (the new casusregisseur differs from the current one) still holds
 * whatever the interleaving.  A refused event changes nothing, so the next
 * name flips only after a 2xx.
 *
 * Output: a readable report and one "RESULT key=value ..." line for scripts.
 * Exit status: 0 when every request succeeded, 1 on any error or timeout,
 * 2 on a usage error.
 *
 * Caveats: one thread, one loop; the generator competes with the server for
 * CPU when both run on one machine.  Latency is measured from just before
 * uv_write to the moment the last byte of the response was read.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

/* Limits: every input is bounded here. */
#define BENCH_CONNECTIONS_MAX 1024
#define BENCH_CASES_MAX 1000000
#define BENCH_HOST_BYTES_MAX 256
#define BENCH_TOKEN_BYTES_MAX 512
#define BENCH_CASE_ID_BYTES_MAX 64
#define BENCH_REQUEST_BYTES_MAX 2048
#define BENCH_HEADER_BYTES_MAX (64 * 1024)
#define BENCH_BODY_BYTES_MAX (8 * 1024 * 1024) /* the server's LIMIT_RESPONSE_BYTES_MAX */
#define BENCH_READ_CHUNK_BYTES 65536
#define BENCH_RECONNECTS_MAX 100 /* reconnects after a server-side "Connection: close" */
#define BENCH_STATUS_MAX 1000
#define BENCH_DURATION_S_DEFAULT 10.0
#define BENCH_TIMEOUT_GRACE_S 60.0 /* overall timeout = duration + this (or this alone with --events) */

typedef enum { PHASE_CONNECT, PHASE_CREATE, PHASE_EVENTS, PHASE_DONE } bench_phase_t;

typedef struct bench_s bench_t;

typedef struct {
  bench_t *b;
  int index;
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req;
  bool handle_open; /* tcp initialised and uv_close not yet called */
  bool dead;        /* gave up after a transport error */
  bool writing;     /* write_req in use */
  bool awaiting;    /* a response is expected */
  bool reconnect;   /* reconnect in the close callback */
  char req[BENCH_REQUEST_BYTES_MAX];
  size_t req_len;
  uint64_t sent_ns;
  /* The response being read: buf holds header and body. */
  char *buf;
  size_t buf_len, buf_cap;
  size_t header_bytes; /* 0 until the empty line was seen */
  size_t body_bytes;
  int status;
  bool close_after;
  /* Work: cases this connection creates, then cases it fires events at. */
  int create_next, create_end, create_step; /* case indices create_next, +step, ... < create_end */
  int *cases;                               /* case indices */
  unsigned *flips;                          /* per entry of cases: successful events so far */
  int cases_count;
  int rr;      /* round-robin position in cases */
  int current; /* position in cases of the request in flight */
} conn_t;

struct bench_s {
  uv_loop_t *loop;
  struct sockaddr_storage addr;
  char host[BENCH_HOST_BYTES_MAX];
  int port;
  char token[BENCH_TOKEN_BYTES_MAX];
  int connections;
  int cases;
  double duration_s;   /* 0 with --events */
  uint64_t events_max; /* 0 with --duration */
  double timeout_s;
  bool shared_cases;

  conn_t *conns;
  char (*case_ids)[BENCH_CASE_ID_BYTES_MAX];
  int cases_created;
  int connected;
  int reconnects;

  bench_phase_t phase;
  bool stopping; /* no new events */
  bool timed_out;
  bool failed; /* a fatal error; the run is invalid */
  int inflight;
  uint64_t issued;

  uv_timer_t duration_timer, timeout_timer, interval_timer;
  bool timers_open;

  uint64_t create_start_ns, create_end_ns;
  uint64_t events_start_ns, events_end_ns;

  /* Results of the event phase. */
  uint64_t *lat_ns;
  size_t lat_count, lat_cap;
  uint64_t status_count[BENCH_STATUS_MAX];
  uint64_t transport_errors;
  uint64_t ok;
  /* The current --interval: completions, non-2xx, the slowest. */
  double interval_s; /* 0: no timeline */
  uint64_t iv_done, iv_bad, iv_max_ns, iv_start_ns;
};

static void conn_send_next(conn_t *c);
static void conn_connect(conn_t *c);
static void bench_finish(bench_t *b);

/* ---- small helpers ---------------------------------------------------- */

static const char *bytes_find(const char *hay, size_t hay_len, const char *needle) {
  size_t n = strlen(needle), i;
  if (n == 0 || hay_len < n) return NULL;
  for (i = 0; i + n <= hay_len; i++)
    if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) return hay + i;
  return NULL;
}

/* Finds "id":"c-..." (JSON whitespace allowed around the colon) in body and
 * copies the id into out.  Returns 0, or -1 when there is none. */
static int case_id_find(const char *body, size_t len, char *out, size_t out_size) {
  const char *p = body, *end = body + len, *q, *s;
  while ((q = bytes_find(p, (size_t)(end - p), "\"id\"")) != NULL) {
    s = q + 4;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
    if (s < end && *s == ':') {
      s++;
      while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
      if (end - s > 3 && s[0] == '"' && s[1] == 'c' && s[2] == '-') {
        const char *v = s + 1, *e = v;
        while (e < end && *e != '"' && *e != '\\') e++;
        if (e < end && *e == '"' && (size_t)(e - v) < out_size) {
          memcpy(out, v, (size_t)(e - v));
          out[e - v] = '\0';
          return 0;
        }
      }
    }
    p = q + 4;
  }
  return -1;
}

static void lat_record(bench_t *b, uint64_t ns) {
  if (b->lat_count == b->lat_cap) {
    size_t cap = b->lat_cap ? b->lat_cap * 2 : 65536;
    uint64_t *n = realloc(b->lat_ns, cap * sizeof *n);
    if (n == NULL) {
      fprintf(stderr, "casus-bench: out of memory for latencies\n");
      b->failed = true;
      bench_finish(b);
      return;
    }
    b->lat_ns = n;
    b->lat_cap = cap;
  }
  b->lat_ns[b->lat_count++] = ns;
}

static int u64_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in milliseconds. */
static double pct_ms(const uint64_t *v, size_t n, double p) {
  size_t rank;
  if (n == 0) return 0.0;
  rank = (size_t)((p / 100.0) * (double)n + 0.999999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return (double)v[rank - 1] / 1e6;
}

/* ---- connection: closing and errors ----------------------------------- */

static void conn_closed_cb(uv_handle_t *h) {
  conn_t *c = h->data;
  bench_t *b = c->b;
  c->writing = false;
  c->awaiting = false;
  if (c->reconnect && b->phase != PHASE_DONE) {
    c->reconnect = false;
    conn_connect(c);
    return;
  }
  if (b->phase == PHASE_EVENTS && b->inflight == 0 && b->stopping) bench_finish(b);
}

static void conn_close(conn_t *c) {
  if (!c->handle_open) return;
  c->handle_open = false;
  uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
}

/* A transport failure (connect, write, read, bad response).  While cases
 * are being created that invalidates the run; during the events the
 * connection is counted and given up, because whether its last event was
 * applied is unknown (and with it the case's current casusregisseur). */
static void conn_fail(conn_t *c, const char *what, int uv_err) {
  bench_t *b = c->b;
  if (b->phase == PHASE_DONE) return;
  if (uv_err != 0)
    fprintf(stderr, "casus-bench: connection %d: %s: %s\n", c->index, what, uv_strerror(uv_err));
  else
    fprintf(stderr, "casus-bench: connection %d: %s\n", c->index, what);
  if (c->awaiting) {
    c->awaiting = false;
    b->inflight--;
  }
  c->dead = true;
  conn_close(c);
  if (b->phase != PHASE_EVENTS) {
    b->failed = true;
    bench_finish(b);
    return;
  }
  b->transport_errors++;
  if (b->inflight == 0) {
    int i, alive = 0;
    for (i = 0; i < b->connections; i++) alive += !b->conns[i].dead;
    if (alive == 0 || b->stopping) bench_finish(b);
  }
}

/* ---- connection: reading a response ----------------------------------- */

/* Parses what has arrived: 1 when the response is complete, 0 when more is
 * needed, -1 when it is not a response this tool understands. */
static int conn_parse(conn_t *c) {
  if (c->header_bytes == 0) {
    const char *end = bytes_find(c->buf, c->buf_len, "\r\n\r\n"), *line, *eol, *stop;
    bool have_length = false;
    if (end == NULL) return c->buf_len > BENCH_HEADER_BYTES_MAX ? -1 : 0;
    c->header_bytes = (size_t)(end - c->buf) + 4;
    stop = end + 2;
    /* Status line: HTTP/1.x NNN ... */
    if (c->header_bytes < 16 || memcmp(c->buf, "HTTP/1.", 7) != 0 || c->buf[8] != ' ' || c->buf[9] < '1' ||
        c->buf[9] > '9' || c->buf[10] < '0' || c->buf[10] > '9' || c->buf[11] < '0' || c->buf[11] > '9')
      return -1;
    c->status = (c->buf[9] - '0') * 100 + (c->buf[10] - '0') * 10 + (c->buf[11] - '0');
    c->close_after = c->buf[7] == '0'; /* HTTP/1.0 closes unless told otherwise; casusd answers 1.1 */
    c->body_bytes = 0;
    line = bytes_find(c->buf, c->header_bytes, "\r\n") + 2;
    for (; line < stop; line = eol + 2) {
      const char *colon, *v;
      size_t name_len;
      eol = bytes_find(line, (size_t)(stop - line) + 2, "\r\n");
      if (eol == NULL) return -1;
      colon = memchr(line, ':', (size_t)(eol - line));
      if (colon == NULL) return -1;
      name_len = (size_t)(colon - line);
      v = colon + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
        uint64_t n = 0;
        if (have_length || v == eol) return -1;
        for (; v < eol && *v >= '0' && *v <= '9'; v++) {
          n = n * 10 + (uint64_t)(*v - '0');
          if (n > BENCH_BODY_BYTES_MAX) return -1;
        }
        while (v < eol && (*v == ' ' || *v == '\t')) v++;
        if (v != eol) return -1;
        c->body_bytes = (size_t)n;
        have_length = true;
      } else if (name_len == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
        return -1; /* casusd sends Content-Length; chunked replies are not expected */
      } else if (name_len == 10 && strncasecmp(line, "Connection", 10) == 0) {
        size_t vl = (size_t)(eol - v);
        if (vl >= 5 && strncasecmp(v, "close", 5) == 0) c->close_after = true;
        if (vl >= 10 && strncasecmp(v, "keep-alive", 10) == 0) c->close_after = false;
      }
    }
    /* Without Content-Length only bodiless statuses are understood. */
    if (!have_length && !(c->status == 204 || c->status == 304 || c->status < 200)) return -1;
  }
  if (c->buf_len < c->header_bytes + c->body_bytes) return 0;
  /* One request in flight: nothing may follow the response. */
  return c->buf_len == c->header_bytes + c->body_bytes ? 1 : -1;
}

/* Proceeds once the response has been read and the request's write has
 * completed (libuv may report them in either order). */
static void conn_maybe_next(conn_t *c) {
  if (c->writing || c->awaiting || !c->handle_open || c->dead) return;
  if (c->close_after) {
    bench_t *b = c->b;
    if (b->reconnects >= BENCH_RECONNECTS_MAX) {
      conn_fail(c, "the server closed the connection too often", 0);
      return;
    }
    b->reconnects++;
    c->close_after = false;
    c->reconnect = true;
    conn_close(c);
    return;
  }
  conn_send_next(c);
}

static void conn_response_done(conn_t *c) {
  bench_t *b = c->b;
  uint64_t now = uv_hrtime();
  const char *body = c->buf + c->header_bytes;
  c->awaiting = false;
  b->inflight--;
  if (b->phase == PHASE_CREATE) {
    int idx = c->create_next;
    if (c->status != 201) {
      fprintf(stderr, "casus-bench: creating case %d: HTTP %d: %.*s\n", idx, c->status,
              (int)(c->body_bytes > 400 ? 400 : c->body_bytes), body);
      b->failed = true;
      bench_finish(b);
      return;
    }
    if (case_id_find(body, c->body_bytes, b->case_ids[idx], BENCH_CASE_ID_BYTES_MAX) != 0) {
      fprintf(stderr, "casus-bench: creating case %d: no \"id\":\"c-...\" in the reply\n", idx);
      b->failed = true;
      bench_finish(b);
      return;
    }
    c->create_next += c->create_step;
    b->cases_created++;
  } else if (b->phase == PHASE_EVENTS) {
    lat_record(b, now - c->sent_ns);
    b->iv_done++;
    if (c->status < 200 || c->status > 299) b->iv_bad++;
    if (now - c->sent_ns > b->iv_max_ns) b->iv_max_ns = now - c->sent_ns;
    if (c->status >= 0 && c->status < BENCH_STATUS_MAX) b->status_count[c->status]++;
    if (c->status >= 200 && c->status <= 299) {
      b->ok++;
      c->flips[c->current]++;
    }
    b->events_end_ns = now;
  } else {
    return; /* PHASE_DONE: the run is over */
  }
  conn_maybe_next(c);
}

static void conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *out) {
  conn_t *c = h->data;
  (void)suggested;
  if (c->buf_cap - c->buf_len < BENCH_READ_CHUNK_BYTES / 4) {
    size_t cap = c->buf_cap * 2;
    char *n = cap <= BENCH_HEADER_BYTES_MAX + BENCH_BODY_BYTES_MAX + BENCH_READ_CHUNK_BYTES
                  ? realloc(c->buf, cap)
                  : NULL;
    if (n == NULL) {
      *out = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
      return;
    }
    c->buf = n;
    c->buf_cap = cap;
  }
  *out = uv_buf_init(c->buf + c->buf_len, (unsigned)(c->buf_cap - c->buf_len));
}

static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = s->data;
  int rc;
  (void)buf;
  if (nread == 0) return;
  if (nread < 0) {
    conn_fail(c, c->awaiting ? "reading a response" : "the server closed an idle connection", (int)nread);
    return;
  }
  if (!c->awaiting) {
    conn_fail(c, "bytes arrived with no request in flight", 0);
    return;
  }
  c->buf_len += (size_t)nread;
  rc = conn_parse(c);
  if (rc < 0) {
    conn_fail(c, "malformed or unexpected HTTP response", 0);
    return;
  }
  if (rc == 1) conn_response_done(c);
}

/* ---- connection: sending a request ------------------------------------ */

static void conn_write_cb(uv_write_t *w, int status) {
  conn_t *c = w->data;
  c->writing = false;
  if (status < 0) {
    if (status != UV_ECANCELED) conn_fail(c, "writing a request", status);
    return;
  }
  conn_maybe_next(c);
}

static void conn_send(conn_t *c, const char *path, const char *body) {
  bench_t *b = c->b;
  size_t body_len = strlen(body);
  int n, rc;
  uv_buf_t buf;
  n = snprintf(c->req, sizeof c->req,
               "POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
               path, b->host, b->port, b->token, body_len, body);
  if (n < 0 || (size_t)n >= sizeof c->req) {
    conn_fail(c, "request does not fit the request buffer", 0);
    return;
  }
  c->req_len = (size_t)n;
  c->buf_len = 0;
  c->header_bytes = 0;
  c->body_bytes = 0;
  c->status = 0;
  c->close_after = false;
  buf = uv_buf_init(c->req, (unsigned)c->req_len);
  c->write_req.data = c;
  c->sent_ns = uv_hrtime();
  rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &buf, 1, conn_write_cb);
  if (rc < 0) {
    conn_fail(c, "writing a request", rc);
    return;
  }
  c->writing = true;
  c->awaiting = true;
  b->inflight++;
}

static void bench_events_start(bench_t *b);

static void conn_send_next(conn_t *c) {
  bench_t *b = c->b;
  char path[128], body[256], name[32];
  int i, idx;
  if (b->phase == PHASE_CREATE) {
    if (c->create_next < c->create_end) {
      conn_send(c, "/v1/cases",
                "{\"verwijzer\":\"gemeente\",\"gemeente\":\"rotterdam\",\"casusregisseur\":\"cr-rotterdam\","
                "\"jeugdige\":{\"naam\":\"Bench\",\"geboortedatum\":\"2012-05-01\"}}");
      return;
    }
    /* This connection is done creating; the events start once all are. */
    if (b->inflight == 0) {
      for (i = 0; i < b->connections; i++)
        if (b->conns[i].create_next < b->conns[i].create_end) return;
      bench_events_start(b);
    }
    return;
  }
  if (b->phase != PHASE_EVENTS) return;
  if (b->events_max != 0 && b->issued >= b->events_max) b->stopping = true;
  if (b->stopping || c->cases_count == 0) {
    if (b->inflight == 0) bench_finish(b);
    return;
  }
  c->current = c->rr;
  c->rr = (c->rr + 1) % c->cases_count;
  idx = c->cases[c->current];
  if (b->shared_cases)
    snprintf(name, sizeof name, "cr-%c-%d", (c->flips[c->current] & 1) ? 'b' : 'a', c->index);
  else
    snprintf(name, sizeof name, "cr-%c", (c->flips[c->current] & 1) ? 'b' : 'a');
  snprintf(path, sizeof path, "/v1/cases/%s/events", b->case_ids[idx]);
  snprintf(body, sizeof body, "{\"event\":\"casusregisseur_wijzigen\",\"data\":{\"casusregisseur\":\"%s\"}}",
           name);
  b->issued++;
  conn_send(c, path, body);
}

/* ---- connection: connecting ------------------------------------------- */

static void conn_connect_cb(uv_connect_t *req, int status) {
  conn_t *c = req->data;
  bench_t *b = c->b;
  int rc;
  if (status < 0) {
    if (status != UV_ECANCELED) conn_fail(c, "connecting", status);
    return;
  }
  if (b->phase == PHASE_DONE) return;
  rc = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb);
  if (rc < 0) {
    conn_fail(c, "starting to read", rc);
    return;
  }
  if (b->phase == PHASE_CONNECT) {
    if (++b->connected < b->connections) return;
    /* All connected: create the cases, all connections at once. */
    b->phase = PHASE_CREATE;
    b->create_start_ns = uv_hrtime();
    for (rc = 0; rc < b->connections && b->phase == PHASE_CREATE; rc++) conn_send_next(&b->conns[rc]);
    return;
  }
  conn_send_next(c); /* a reconnect */
}

static void conn_connect(conn_t *c) {
  bench_t *b = c->b;
  int rc = uv_tcp_init(b->loop, &c->tcp);
  if (rc < 0) {
    conn_fail(c, "uv_tcp_init", rc);
    return;
  }
  c->tcp.data = c;
  c->handle_open = true;
  uv_tcp_nodelay(&c->tcp, 1);
  c->connect_req.data = c;
  rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&b->addr, conn_connect_cb);
  if (rc < 0) conn_fail(c, "connecting", rc);
}

/* ---- the run ---------------------------------------------------------- */

static void bench_duration_cb(uv_timer_t *t) {
  bench_t *b = t->data;
  b->stopping = true;
  if (b->inflight == 0) bench_finish(b);
}

static void bench_timeout_cb(uv_timer_t *t) {
  bench_t *b = t->data;
  fprintf(stderr, "casus-bench: overall timeout (%.0f s) reached; %d request(s) still in flight\n",
          b->timeout_s, b->inflight);
  b->timed_out = true;
  if (b->phase != PHASE_EVENTS) b->failed = true;
  bench_finish(b);
}

/* Prints one line of the timeline: what completed since the last line. */
static void bench_interval_cb(uv_timer_t *t) {
  bench_t *b = t->data;
  uint64_t now = uv_hrtime();
  double span_s = (double)(now - b->iv_start_ns) / 1e9;
  printf("  t=%7.1f s  %8.1f req/s  non-2xx %" PRIu64 "  max %.3f ms  in flight %d\n",
         (double)(now - b->events_start_ns) / 1e9, span_s > 0 ? (double)b->iv_done / span_s : 0.0, b->iv_bad,
         (double)b->iv_max_ns / 1e6, b->inflight);
  fflush(stdout);
  b->iv_done = b->iv_bad = b->iv_max_ns = 0;
  b->iv_start_ns = now;
}

static void bench_events_start(bench_t *b) {
  int i;
  b->create_end_ns = uv_hrtime();
  b->phase = PHASE_EVENTS;
  b->events_start_ns = b->events_end_ns = uv_hrtime();
  if (b->duration_s > 0)
    uv_timer_start(&b->duration_timer, bench_duration_cb, (uint64_t)(b->duration_s * 1000.0), 0);
  if (b->interval_s > 0) {
    uint64_t ms = (uint64_t)(b->interval_s * 1000.0);
    b->iv_start_ns = b->events_start_ns;
    uv_timer_start(&b->interval_timer, bench_interval_cb, ms, ms);
  }
  /* conn_maybe_next skips a connection whose last write has not completed
   * yet; its write callback starts it instead. */
  for (i = 0; i < b->connections && b->phase == PHASE_EVENTS; i++) conn_maybe_next(&b->conns[i]);
}

static void bench_finish(bench_t *b) {
  int i;
  if (b->phase == PHASE_DONE) return;
  if (b->phase == PHASE_EVENTS && b->inflight == 0 && b->events_end_ns == b->events_start_ns)
    b->events_end_ns = uv_hrtime();
  b->phase = PHASE_DONE;
  if (b->timers_open) {
    b->timers_open = false;
    uv_close((uv_handle_t *)&b->duration_timer, NULL);
    uv_close((uv_handle_t *)&b->timeout_timer, NULL);
    uv_close((uv_handle_t *)&b->interval_timer, NULL);
  }
  for (i = 0; i < b->connections; i++) {
    b->conns[i].reconnect = false;
    conn_close(&b->conns[i]);
  }
}

static int bench_assign(bench_t *b) {
  int j, i, k;
  b->conns = calloc((size_t)b->connections, sizeof *b->conns);
  b->case_ids = calloc((size_t)b->cases, sizeof *b->case_ids);
  if (b->conns == NULL || b->case_ids == NULL) return -1;
  b->shared_cases = b->cases < b->connections;
  for (j = 0; j < b->connections; j++) {
    conn_t *c = &b->conns[j];
    c->b = b;
    c->index = j;
    c->buf_cap = BENCH_READ_CHUNK_BYTES;
    c->buf = malloc(c->buf_cap);
    c->create_next = j;
    c->create_end = b->cases;
    c->create_step = b->connections;
    c->cases_count = b->shared_cases ? 1 : (b->cases - j + b->connections - 1) / b->connections;
    c->cases = calloc((size_t)c->cases_count, sizeof *c->cases);
    c->flips = calloc((size_t)c->cases_count, sizeof *c->flips);
    if (c->buf == NULL || c->cases == NULL || c->flips == NULL) return -1;
    if (b->shared_cases) {
      c->cases[0] = j % b->cases;
    } else {
      for (i = j, k = 0; i < b->cases; i += b->connections) c->cases[k++] = i;
    }
  }
  return 0;
}

static void bench_free(bench_t *b) {
  int j;
  for (j = 0; b->conns != NULL && j < b->connections; j++) {
    free(b->conns[j].buf);
    free(b->conns[j].cases);
    free(b->conns[j].flips);
  }
  free(b->conns);
  free(b->case_ids);
  free(b->lat_ns);
}

static int bench_report(bench_t *b) {
  double dur_s = (double)(b->events_end_ns - b->events_start_ns) / 1e9;
  double create_s = (double)(b->create_end_ns - b->create_start_ns) / 1e9;
  double eps = dur_s > 0 ? (double)b->ok / dur_s : 0.0;
  uint64_t errors = b->transport_errors;
  double p50, p90, p99, p999, max;
  int s, first = 1;
  for (s = 0; s < BENCH_STATUS_MAX; s++)
    if (s < 200 || s > 299) errors += b->status_count[s];
  qsort(b->lat_ns, b->lat_count, sizeof *b->lat_ns, u64_cmp);
  p50 = pct_ms(b->lat_ns, b->lat_count, 50);
  p90 = pct_ms(b->lat_ns, b->lat_count, 90);
  p99 = pct_ms(b->lat_ns, b->lat_count, 99);
  p999 = pct_ms(b->lat_ns, b->lat_count, 99.9);
  max = b->lat_count ? (double)b->lat_ns[b->lat_count - 1] / 1e6 : 0.0;

  printf("casus-bench: %s:%d, %d connection(s), %d case(s)%s, ", b->host, b->port, b->connections, b->cases,
         b->shared_cases ? " (shared)" : "");
  if (b->duration_s > 0)
    printf("duration %.1f s\n", b->duration_s);
  else
    printf("%" PRIu64 " events\n", b->events_max);
  printf("  cases created  %d in %.3f s\n", b->cases_created, create_s);
  printf("  requests       %zu\n", b->lat_count);
  printf("  ok (2xx)       %" PRIu64 "\n", b->ok);
  printf("  errors         %" PRIu64, errors);
  if (errors != 0) {
    printf(" (");
    for (s = 0; s < BENCH_STATUS_MAX; s++) {
      if ((s >= 200 && s <= 299) || b->status_count[s] == 0) continue;
      printf("%sHTTP %d: %" PRIu64, first ? "" : ", ", s, b->status_count[s]);
      first = 0;
    }
    if (b->transport_errors) printf("%stransport: %" PRIu64, first ? "" : ", ", b->transport_errors);
    printf(")");
  }
  printf("\n");
  if (b->reconnects) printf("  reconnects     %d (server sent Connection: close)\n", b->reconnects);
  if (b->timed_out) printf("  TIMED OUT      %d request(s) unanswered\n", b->inflight);
  printf("  duration       %.3f s\n", dur_s);
  printf("  events/s       %.1f\n", eps);
  printf("  latency ms     p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", p50, p90, p99, p999, max);
  printf("RESULT connections=%d cases=%d requests=%zu ok=%" PRIu64 " errors=%" PRIu64
         " duration_s=%.3f events_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f"
         " timed_out=%d\n",
         b->connections, b->cases, b->lat_count, b->ok, errors, dur_s, eps, p50, p90, p99, p999, max,
         b->timed_out ? 1 : 0);
  fflush(stdout);
  return (errors != 0 || b->timed_out) ? 1 : 0;
}

static const char usage[] =
    "Usage: casus-bench [--host HOST] [--port PORT] [--token TOKEN] [--connections N]\n"
    "                   [--duration SECONDS | --events N] [--cases N] [--timeout SECONDS]\n"
    "                   [--interval SECONDS]\n"
    "\n"
    "Creates --cases cases (POST /v1/cases), then fires casusregisseur_wijzigen events at them\n"
    "(POST /v1/cases/{id}/events) over --connections keep-alive connections, one request in flight\n"
    "per connection, and prints throughput and latency percentiles.\n"
    "\n"
    "  --host HOST         server address (default 127.0.0.1)\n"
    "  --port PORT         server port (default 8080)\n"
    "  --token TOKEN       bearer token of a procesregisseur (default demo-pr-rotterdam, the demo's)\n"
    "  --connections N     concurrent keep-alive connections (default 16, at most 1024)\n"
    "  --duration SECONDS  fire events for this long (default 10)\n"
    "  --events N          or: fire exactly N events in total\n"
    "  --cases N           cases to create and spread the events over (default: --connections)\n"
    "  --timeout SECONDS   give up after this long in all (default: duration + 60, or 60 with --events)\n"
    "  --interval SECONDS  also print a timeline: completions per second, non-2xx and the slowest\n"
    "                      request of each interval (to see stalls)\n"
    "\n"
    "Exit status: 0 when every request succeeded, 1 on any error or the timeout, 2 on usage errors.\n";

static const char *opt_name(const struct option *opts, int val) {
  for (; opts->name != NULL; opts++)
    if (opts->val == val) return opts->name;
  return "?";
}

static int usage_bad(const char *name, const char *value) {
  fprintf(stderr, "casus-bench: --%s: bad value '%s'\n\n%s", name, value, usage);
  return 2;
}

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_seconds(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !(v > 0) || v > 86400) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"host", required_argument, NULL, 'H'},
                                       {"port", required_argument, NULL, 'p'},
                                       {"token", required_argument, NULL, 't'},
                                       {"connections", required_argument, NULL, 'c'},
                                       {"duration", required_argument, NULL, 'd'},
                                       {"events", required_argument, NULL, 'n'},
                                       {"cases", required_argument, NULL, 'C'},
                                       {"timeout", required_argument, NULL, 'T'},
                                       {"interval", required_argument, NULL, 'i'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  static bench_t bench;
  bench_t *b = &bench;
  const char *host = "127.0.0.1", *token = "demo-pr-rotterdam";
  long v, port = 8080;
  int opt, rc;
  char port_s[16];
  struct addrinfo hints;
  uv_getaddrinfo_t gai;

  b->connections = 16;
  b->cases = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'H':
        host = optarg;
        break;
      case 't':
        token = optarg;
        break;
      case 'p':
        if (parse_long(optarg, 1, 65535, &port) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'c':
        if (parse_long(optarg, 1, BENCH_CONNECTIONS_MAX, &v) != 0)
          return usage_bad(opt_name(opts, opt), optarg);
        b->connections = (int)v;
        break;
      case 'C':
        if (parse_long(optarg, 1, BENCH_CASES_MAX, &v) != 0) return usage_bad(opt_name(opts, opt), optarg);
        b->cases = (int)v;
        break;
      case 'd':
        if (parse_seconds(optarg, &b->duration_s) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'n':
        if (parse_long(optarg, 1, 1000000000L, &v) != 0) return usage_bad(opt_name(opts, opt), optarg);
        b->events_max = (uint64_t)v;
        break;
      case 'i':
        if (parse_seconds(optarg, &b->interval_s) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'T':
        if (parse_seconds(optarg, &b->timeout_s) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'h':
        fputs(usage, stdout);
        return 0;
      default:
        fputs(usage, stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "casus-bench: unexpected argument '%s'\n\n%s", argv[optind], usage);
    return 2;
  }
  if (b->duration_s > 0 && b->events_max > 0) {
    fprintf(stderr, "casus-bench: give --duration or --events, not both\n");
    return 2;
  }
  if (b->duration_s == 0 && b->events_max == 0) b->duration_s = BENCH_DURATION_S_DEFAULT;
  if (b->timeout_s == 0) b->timeout_s = b->duration_s + BENCH_TIMEOUT_GRACE_S;
  if (b->cases == 0) b->cases = b->connections;
  if (strlen(host) >= sizeof b->host || strlen(token) >= sizeof b->token) {
    fprintf(stderr, "casus-bench: --host or --token is too long\n");
    return 2;
  }
  if (strcspn(token, "\r\n") != strlen(token) || strcspn(host, "\r\n") != strlen(host)) {
    fprintf(stderr, "casus-bench: --host and --token may not contain line breaks\n");
    return 2;
  }
  strcpy(b->host, host);
  strcpy(b->token, token);
  b->port = (int)port;
  b->loop = uv_default_loop();

  /* Resolve once, synchronously (no callback), before any timing starts. */
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(port_s, sizeof port_s, "%d", b->port);
  rc = uv_getaddrinfo(b->loop, &gai, NULL, host, port_s, &hints);
  if (rc < 0 || gai.addrinfo == NULL) {
    fprintf(stderr, "casus-bench: cannot resolve %s: %s\n", host, rc < 0 ? uv_strerror(rc) : "no address");
    return 2;
  }
  memcpy(&b->addr, gai.addrinfo->ai_addr, gai.addrinfo->ai_addrlen);
  uv_freeaddrinfo(gai.addrinfo);

  if (bench_assign(b) != 0) {
    fprintf(stderr, "casus-bench: out of memory\n");
    bench_free(b);
    return 1;
  }
  uv_timer_init(b->loop, &b->duration_timer);
  uv_timer_init(b->loop, &b->timeout_timer);
  uv_timer_init(b->loop, &b->interval_timer);
  b->duration_timer.data = b->timeout_timer.data = b->interval_timer.data = b;
  b->timers_open = true;
  uv_timer_start(&b->timeout_timer, bench_timeout_cb, (uint64_t)(b->timeout_s * 1000.0), 0);

  b->phase = PHASE_CONNECT;
  for (opt = 0; opt < b->connections && b->phase == PHASE_CONNECT; opt++) conn_connect(&b->conns[opt]);
  uv_run(b->loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(b->loop);
  if (rc != 0) fprintf(stderr, "casus-bench: handles left open at exit: %s\n", uv_strerror(rc));

  if (b->failed) {
    fprintf(stderr, "casus-bench: the run failed before or while setting up (%d of %d cases created)\n",
            b->cases_created, b->cases);
    bench_free(b);
    return 1;
  }
  rc = bench_report(b);
  bench_free(b);
  return rc;
}
