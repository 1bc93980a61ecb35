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
 * Two other modes share the connections, the HTTP client and the report:
 *
 *   --mix SPEC      after creating the cases, each request is drawn at random
 *                   from weighted kinds (get, history, list, inbox, event,
 *                   create, healthz); list requests take their query strings in
 *                   turn from a table (bench_lists below, or --list).  The
 *                   report gives requests, non-2xx and percentiles per kind
 *                   (and per list query).  --create-only N is the mix
 *                   "create=1" for N requests without creating cases first.
 *   --storm NOW     after creating the cases, connection 0 sends one
 *                   PUT /v1/admin/clock {"now": NOW} as the admin while the
 *                   other connections read (GET /healthz, GET /v1/cases/{id});
 *                   the report gives the time until the PUT was answered and
 *                   the latency of the reads that overlapped it.
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
#define BENCH_CREATE_BODY_BYTES_MAX 1024
#define BENCH_QUERY_BYTES_MAX 256
#define BENCH_LISTS_MAX 32
#define BENCH_KIND_NAME_BYTES_MAX 96
#define BENCH_BAD_BODY_BYTES_MAX 200 /* the first non-2xx reply of each kind, for the report */
#define BENCH_WEIGHT_MAX 1000
#define BENCH_HEADER_BYTES_MAX (64 * 1024)
#define BENCH_BODY_BYTES_MAX (8 * 1024 * 1024) /* the server's LIMIT_RESPONSE_BYTES_MAX */
#define BENCH_READ_CHUNK_BYTES 65536
#define BENCH_RECONNECTS_MAX 100 /* reconnects after a server-side "Connection: close" */
#define BENCH_STATUS_MAX 1000
#define BENCH_DURATION_S_DEFAULT 10.0
#define BENCH_TIMEOUT_GRACE_S 60.0 /* overall timeout = duration + this (or this alone with --events) */
#define BENCH_STORM_TIMEOUT_S 3600.0
#define BENCH_STORM_LEAD_S_DEFAULT 1.0

/* The list queries of the mix (GET /v1/cases + query), taken in turn.  The
 * "mix" column says whether the default mix uses the query; --list all
 * takes every row, --list QUERY (repeatable) replaces the table.  Every
 * filter of GET /v1/cases has a row (status, flag, aanbieder,
 * casusregisseur, gemeente, overdue, deadline_before, updated_after), alone
 * and combined.  What a query matches, as the demo procesregisseur of
 * rotterdam, in a store made by bench/run.sh MODE=scale (80 % route A
 * cases of rotterdam in "aangemeld", 20 % route B of horizon-jeugdzorg in
 * "verzoek_om_toewijzing" with a deadline, casusregisseur cr-rotterdam, and
 * SCALE_RARE route B cases of kompas-zorg whose antwoordtermijn fired:
 * flag antwoordtermijn_verlopen, no deadline):
 *   - status=aangemeld, gemeente=rotterdam, updated_after 2026, the
 *     three-filter join: (nearly) every case, so a page fills at once;
 *   - status=verzoek_om_toewijzing, aanbieder=horizon-jeugdzorg,
 *     deadline_before 2027-06-30: the route B cases (a fifth);
 *   - aanbieder=kompas-zorg, flag=antwoordtermijn_verlopen and their
 *     combination with status: a rare value (0.1 %);
 *   - casusregisseur=cr-a (only once an event named cr-a), status=toegewezen,
 *     status=in_zorg&aanbieder=..., flag=start_zorg_termijn_verlopen,
 *     gemeente=schiedam (not the caller's gemeente), overdue=true: nothing;
 *   - the combinations of two common values that never meet
 *     (status=aangemeld&aanbieder=horizon-jeugdzorg), of a range with a
 *     value no case in it has (deadline_before&aanbieder=kompas-zorg,
 *     updated_after&status=toegewezen): nothing, found only by walking many
 *     index entries -- the server stops at its per-request budget and
 *     answers a partial (here empty) page with a next_cursor;
 *   - the last row: a full page of 100 (LIMIT_PAGE_CASES_MAX).
 * In a store made by the write or mixed modes (route A only, cr-a/cr-b once
 * an event changed them) most rows match nothing.  A server that does not
 * know a filter answers 400; --lenient-lists keeps such replies out of the
 * exit status. */
typedef struct {
  const char *query;
  bool in_default_mix;
} bench_list_t;

static const bench_list_t bench_lists[] = {
    {"?status=aangemeld&limit=20", true},
    {"?gemeente=rotterdam&limit=20", true},
    {"?casusregisseur=cr-a&limit=20", false},
    {"?status=toegewezen&limit=20", false},
    {"?status=verzoek_om_toewijzing&limit=20", false},
    {"?aanbieder=horizon-jeugdzorg&limit=20", false},
    {"?aanbieder=kompas-zorg&limit=20", false},
    {"?flag=antwoordtermijn_verlopen&limit=20", false},
    {"?flag=start_zorg_termijn_verlopen&limit=20", false},
    {"?gemeente=schiedam&limit=20", false},
    {"?overdue=true&limit=20", false},
    {"?deadline_before=2027-06-30&limit=20", false},
    {"?updated_after=2026-01-01T00:00:00Z&limit=20", false},
    {"?status=verzoek_om_toewijzing&aanbieder=kompas-zorg&limit=20", false},
    {"?status=in_zorg&aanbieder=horizon-jeugdzorg&limit=20", false},
    {"?flag=antwoordtermijn_verlopen&status=aangemeld&limit=20", false},
    {"?status=aangemeld&aanbieder=horizon-jeugdzorg&limit=20", false},
    {"?gemeente=rotterdam&casusregisseur=cr-rotterdam&status=aangemeld&limit=20", false},
    {"?deadline_before=2027-06-30&updated_after=2026-01-01T00:00:00Z&limit=20", false},
    {"?deadline_before=2099-12-31&aanbieder=kompas-zorg&limit=20", false},
    {"?updated_after=2026-01-01T00:00:00Z&status=toegewezen&limit=20", false},
    {"?overdue=true&flag=antwoordtermijn_verlopen&limit=20", false},
    {"?status=aangemeld&limit=100", false},
};

/* What one request is.  K_LIST + i is list query i. */
enum { K_EVENT, K_CREATE, K_GET, K_HISTORY, K_INBOX, K_HEALTHZ, K_CLOCK, K_LIST };
#define BENCH_KINDS_MAX (K_LIST + BENCH_LISTS_MAX)
/* Names of the kinds before K_LIST, as --mix spells them. */
static const char *const kind_names[K_LIST] = {"event", "create",  "get",  "history",
                                               "inbox", "healthz", "clock"};

typedef enum { MODE_EVENTS, MODE_MIX, MODE_STORM } bench_mode_t;

typedef enum { PHASE_CONNECT, PHASE_CREATE, PHASE_EVENTS, PHASE_DONE } bench_phase_t;

/* Results of one kind of request. */
typedef struct {
  char name[BENCH_KIND_NAME_BYTES_MAX];
  uint64_t *lat_ns;
  size_t lat_count, lat_cap;
  uint64_t ok, bad; /* 2xx, other statuses */
  int first_bad_status;
  char first_bad_body[BENCH_BAD_BODY_BYTES_MAX];
} kstat_t;

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
  int kind;     /* of the request in flight */
  uint64_t rng; /* xorshift64 state of the mix */
  int list_rr;  /* the next list query of this connection */
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
  char admin_token[BENCH_TOKEN_BYTES_MAX];
  int connections;
  int cases;
  double duration_s;   /* 0 with --events alone */
  uint64_t events_max; /* requests of the run; 0 with --duration alone */
  double timeout_s;
  bool shared_cases;

  bench_mode_t mode;
  char create_body[BENCH_CREATE_BODY_BYTES_MAX];
  /* The mix: weight per kind (K_LIST stands for all list queries). */
  char mix_spec[256];
  unsigned weight[K_LIST + 1];
  unsigned weight_total;
  char lists[BENCH_LISTS_MAX][BENCH_QUERY_BYTES_MAX];
  int lists_count;
  bool lenient_lists; /* non-2xx of list queries do not fail the run */
  /* The storm. */
  char storm_now[64];
  double storm_lead_s; /* reads before the PUT and after its reply */
  bool clock_due;      /* the lead is over: connection 0 sends the PUT */
  bool clock_sent;
  uint64_t clock_sent_ns, clock_done_ns;
  int clock_status;
  char clock_body[BENCH_BAD_BODY_BYTES_MAX];

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

  uv_timer_t duration_timer, timeout_timer, interval_timer, storm_timer;
  bool timers_open;

  uint64_t create_start_ns, create_end_ns;
  uint64_t events_start_ns, events_end_ns;

  /* Results of the event phase: per kind, and (storm) the reads that
   * overlapped the PUT. */
  kstat_t kinds[BENCH_KINDS_MAX];
  int kinds_count;
  kstat_t during;
  uint64_t during_before_put; /* of those, answered before the PUT was */
  uint64_t last_read_ns;      /* the last read answered */
  uint64_t stall_ns;          /* the longest time without a read answered while the PUT was pending */
  uint64_t status_count[BENCH_STATUS_MAX];
  uint64_t transport_errors;
  uint64_t ok;
  /* The current --interval: completions, non-2xx, the slowest. */
  double interval_s; /* 0: no timeline */
  uint64_t iv_done, iv_bad, iv_max_ns, iv_start_ns;
};

static void conn_send_next(conn_t *c);
static void conn_connect(conn_t *c);
static void bench_storm_tail_cb(uv_timer_t *t);
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

static void lat_record(bench_t *b, kstat_t *k, uint64_t ns) {
  if (k->lat_count == k->lat_cap) {
    size_t cap = k->lat_cap ? k->lat_cap * 2 : 4096;
    uint64_t *n = realloc(k->lat_ns, cap * sizeof *n);
    if (n == NULL) {
      fprintf(stderr, "casus-bench: out of memory for latencies\n");
      b->failed = true;
      bench_finish(b);
      return;
    }
    k->lat_ns = n;
    k->lat_cap = cap;
  }
  k->lat_ns[k->lat_count++] = ns;
}

/* Counts a reply of kind k: its latency, and the first non-2xx body. */
static void kstat_record(bench_t *b, kstat_t *k, uint64_t ns, int status, const char *body, size_t body_len) {
  if (status >= 200 && status <= 299) {
    k->ok++;
  } else {
    size_t n = body_len < sizeof k->first_bad_body - 1 ? body_len : sizeof k->first_bad_body - 1;
    if (k->bad++ == 0) {
      k->first_bad_status = status;
      memcpy(k->first_bad_body, body, n);
      k->first_bad_body[n] = '\0';
      for (size_t i = 0; i < n; i++)
        if (k->first_bad_body[i] == '\n' || k->first_bad_body[i] == '\r') k->first_bad_body[i] = ' ';
    }
  }
  lat_record(b, k, ns);
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
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
  if (b->mode == MODE_STORM && c->index == 0) b->stopping = true; /* the clock connection */
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

/* A read of the storm has been answered: the reads that overlapped the PUT,
 * and the gaps between answers while it was pending. */
static void bench_storm_read(bench_t *b, conn_t *c, uint64_t now, const char *body) {
  uint64_t prev = b->last_read_ns;
  b->last_read_ns = now;
  if (!b->clock_sent || now <= b->clock_sent_ns) return;
  if (b->clock_done_ns == 0 || prev <= b->clock_done_ns) {
    uint64_t from = prev > b->clock_sent_ns ? prev : b->clock_sent_ns;
    if (now - from > b->stall_ns) b->stall_ns = now - from;
  }
  if (b->clock_done_ns == 0 || c->sent_ns < b->clock_done_ns) {
    /* Answered after the PUT was sent, and sent before the PUT was answered. */
    kstat_record(b, &b->during, now - c->sent_ns, c->status, body, c->body_bytes);
    if (b->clock_done_ns == 0) b->during_before_put++;
  }
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
    bool ok = c->status >= 200 && c->status <= 299;
    kstat_record(b, &b->kinds[c->kind], now - c->sent_ns, c->status, body, c->body_bytes);
    if (b->phase != PHASE_EVENTS) return; /* out of memory */
    b->iv_done++;
    if (!ok) b->iv_bad++;
    if (now - c->sent_ns > b->iv_max_ns) b->iv_max_ns = now - c->sent_ns;
    if (c->status >= 0 && c->status < BENCH_STATUS_MAX) b->status_count[c->status]++;
    if (ok) b->ok++;
    if (ok && c->kind == K_EVENT) c->flips[c->current]++;
    if (c->kind == K_CLOCK) {
      size_t n = c->body_bytes < sizeof b->clock_body - 1 ? c->body_bytes : sizeof b->clock_body - 1;
      b->clock_done_ns = now;
      b->clock_status = c->status;
      memcpy(b->clock_body, body, n);
      b->clock_body[n] = '\0';
      /* The readers go on for the lead once more, then the run ends. */
      uv_timer_start(&b->storm_timer, bench_storm_tail_cb, (uint64_t)(b->storm_lead_s * 1000.0), 0);
    } else if (b->mode == MODE_STORM) {
      bench_storm_read(b, c, now, body);
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

/* Sends one request; body NULL for a GET, token NULL for none. */
static void conn_send(conn_t *c, int kind, const char *method, const char *path, const char *body,
                      const char *token) {
  bench_t *b = c->b;
  int n, rc;
  uv_buf_t buf;
  if (body != NULL)
    n = snprintf(c->req, sizeof c->req,
                 "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 method, path, b->host, b->port, token, strlen(body), body);
  else if (token != NULL)
    n = snprintf(c->req, sizeof c->req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n\r\n",
                 method, path, b->host, b->port, token);
  else
    n = snprintf(c->req, sizeof c->req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", method, path, b->host,
                 b->port);
  if (n < 0 || (size_t)n >= sizeof c->req) {
    conn_fail(c, "request does not fit the request buffer", 0);
    return;
  }
  c->req_len = (size_t)n;
  c->kind = kind;
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

/* The next casusregisseur_wijzigen on one of this connection's cases. */
static void conn_send_event(conn_t *c) {
  bench_t *b = c->b;
  char path[128], body[256], name[32];
  int idx;
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
  conn_send(c, K_EVENT, "POST", path, body, b->token);
}

/* A request of the mix: kind is one of K_EVENT..K_HEALTHZ, or K_LIST for the
 * connection's next list query. */
static void conn_send_kind(conn_t *c, int kind) {
  bench_t *b = c->b;
  char path[BENCH_QUERY_BYTES_MAX + 64];
  int i;
  switch (kind) {
    case K_EVENT:
      conn_send_event(c);
      return;
    case K_CREATE:
      b->issued++;
      conn_send(c, K_CREATE, "POST", "/v1/cases", b->create_body, b->token);
      return;
    case K_GET:
    case K_HISTORY:
      i = (int)(rng_next(&c->rng) % (uint64_t)b->cases_created);
      snprintf(path, sizeof path, kind == K_GET ? "/v1/cases/%s" : "/v1/cases/%s/history", b->case_ids[i]);
      b->issued++;
      conn_send(c, kind, "GET", path, NULL, b->token);
      return;
    case K_INBOX:
      b->issued++;
      conn_send(c, K_INBOX, "GET", "/v1/inbox", NULL, b->token);
      return;
    case K_HEALTHZ:
      b->issued++;
      conn_send(c, K_HEALTHZ, "GET", "/healthz", NULL, NULL);
      return;
    default:
      i = c->list_rr;
      c->list_rr = (c->list_rr + 1) % b->lists_count;
      snprintf(path, sizeof path, "/v1/cases%s", b->lists[i]);
      b->issued++;
      conn_send(c, K_LIST + i, "GET", path, NULL, b->token);
      return;
  }
}

/* Draws a kind by the weights of the mix (K_LIST: any list query). */
static int mix_draw(conn_t *c) {
  bench_t *b = c->b;
  unsigned r = (unsigned)(rng_next(&c->rng) % b->weight_total);
  int k;
  for (k = 0; k < K_LIST; k++) {
    if (r < b->weight[k]) return k;
    r -= b->weight[k];
  }
  return K_LIST;
}

static void conn_send_next(conn_t *c) {
  bench_t *b = c->b;
  char body[128];
  int i;
  if (b->phase == PHASE_CREATE) {
    if (c->create_next < c->create_end) {
      conn_send(c, K_CREATE, "POST", "/v1/cases", b->create_body, b->token);
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
  if (b->stopping || (b->mode == MODE_EVENTS && c->cases_count == 0)) {
    if (b->inflight == 0) bench_finish(b);
    return;
  }
  switch (b->mode) {
    case MODE_EVENTS:
      conn_send_event(c);
      return;
    case MODE_STORM:
      if (c->index == 0) {
        /* The clock connection: one PUT once the lead is over, then idle. */
        if (!b->clock_due || b->clock_sent) return;
        snprintf(body, sizeof body, "{\"now\":\"%s\"}", b->storm_now);
        conn_send(c, K_CLOCK, "PUT", "/v1/admin/clock", body, b->admin_token);
        if (c->awaiting) {
          b->clock_sent = true;
          b->clock_sent_ns = c->sent_ns;
        }
        return;
      }
      conn_send_kind(c, mix_draw(c));
      return;
    case MODE_MIX:
      conn_send_kind(c, mix_draw(c));
      return;
  }
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

/* The storm's lead is over: the clock connection sends its PUT. */
static void bench_storm_clock_cb(uv_timer_t *t) {
  bench_t *b = t->data;
  b->clock_due = true;
  conn_maybe_next(&b->conns[0]);
}

/* The readers have gone on for the lead after the PUT's reply: stop. */
static void bench_storm_tail_cb(uv_timer_t *t) {
  bench_t *b = t->data;
  b->stopping = true;
  if (b->inflight == 0) bench_finish(b);
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
  if (b->mode == MODE_STORM)
    uv_timer_start(&b->storm_timer, bench_storm_clock_cb, (uint64_t)(b->storm_lead_s * 1000.0), 0);
  else if (b->duration_s > 0)
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
    uv_close((uv_handle_t *)&b->storm_timer, NULL);
  }
  for (i = 0; i < b->connections; i++) {
    b->conns[i].reconnect = false;
    conn_close(&b->conns[i]);
  }
}

static int bench_assign(bench_t *b) {
  int j, i, k;
  b->conns = calloc((size_t)b->connections, sizeof *b->conns);
  b->case_ids = calloc((size_t)(b->cases > 0 ? b->cases : 1), sizeof *b->case_ids);
  if (b->conns == NULL || b->case_ids == NULL) return -1;
  b->shared_cases = b->cases > 0 && b->cases < b->connections;
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
    if (c->cases_count < 0) c->cases_count = 0;
    c->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(j + 1);
    c->list_rr = b->lists_count > 0 ? j % b->lists_count : 0;
    c->cases = calloc((size_t)(c->cases_count > 0 ? c->cases_count : 1), sizeof *c->cases);
    c->flips = calloc((size_t)(c->cases_count > 0 ? c->cases_count : 1), sizeof *c->flips);
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
  for (j = 0; j < BENCH_KINDS_MAX; j++) free(b->kinds[j].lat_ns);
  free(b->during.lat_ns);
}

static int bench_report(bench_t *b) {
  kstat_t *k = &b->kinds[K_EVENT];
  double dur_s = (double)(b->events_end_ns - b->events_start_ns) / 1e9;
  double create_s = (double)(b->create_end_ns - b->create_start_ns) / 1e9;
  double eps = dur_s > 0 ? (double)b->ok / dur_s : 0.0;
  uint64_t errors = b->transport_errors;
  double p50, p90, p99, p999, max;
  int s, first = 1;
  for (s = 0; s < BENCH_STATUS_MAX; s++)
    if (s < 200 || s > 299) errors += b->status_count[s];
  qsort(k->lat_ns, k->lat_count, sizeof *k->lat_ns, u64_cmp);
  p50 = pct_ms(k->lat_ns, k->lat_count, 50);
  p90 = pct_ms(k->lat_ns, k->lat_count, 90);
  p99 = pct_ms(k->lat_ns, k->lat_count, 99);
  p999 = pct_ms(k->lat_ns, k->lat_count, 99.9);
  max = k->lat_count ? (double)k->lat_ns[k->lat_count - 1] / 1e6 : 0.0;

  printf("casus-bench: %s:%d, %d connection(s), %d case(s)%s, ", b->host, b->port, b->connections, b->cases,
         b->shared_cases ? " (shared)" : "");
  if (b->duration_s > 0)
    printf("duration %.1f s\n", b->duration_s);
  else
    printf("%" PRIu64 " events\n", b->events_max);
  printf("  cases created  %d in %.3f s\n", b->cases_created, create_s);
  printf("  requests       %zu\n", k->lat_count);
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
         b->connections, b->cases, k->lat_count, b->ok, errors, dur_s, eps, p50, p90, p99, p999, max,
         b->timed_out ? 1 : 0);
  fflush(stdout);
  return (errors != 0 || b->timed_out) ? 1 : 0;
}

/* Sorts a kind's latencies and prints its row of the table. */
static void kstat_row(kstat_t *k, double dur_s) {
  qsort(k->lat_ns, k->lat_count, sizeof *k->lat_ns, u64_cmp);
  printf("  %-40s %9zu %8" PRIu64 " %9.1f %9.3f %9.3f %9.3f %9.3f\n", k->name, k->lat_count, k->bad,
         dur_s > 0 ? (double)k->lat_count / dur_s : 0.0, pct_ms(k->lat_ns, k->lat_count, 50),
         pct_ms(k->lat_ns, k->lat_count, 90), pct_ms(k->lat_ns, k->lat_count, 99),
         k->lat_count ? (double)k->lat_ns[k->lat_count - 1] / 1e6 : 0.0);
}

static void kstat_header(void) {
  printf("  %-40s %9s %8s %9s %9s %9s %9s %9s\n", "kind (latency in ms)", "requests", "non-2xx", "req/s",
         "p50", "p90", "p99", "max");
}

/* The key=value fields of a sorted kind for the RESULT line. */
static void kstat_result(const kstat_t *k, double dur_s) {
  printf(" %s_n=%zu %s_non2xx=%" PRIu64 " %s_per_s=%.1f %s_p50_ms=%.3f %s_p99_ms=%.3f %s_max_ms=%.3f",
         k->name, k->lat_count, k->name, k->bad, k->name, dur_s > 0 ? (double)k->lat_count / dur_s : 0.0,
         k->name, pct_ms(k->lat_ns, k->lat_count, 50), k->name, pct_ms(k->lat_ns, k->lat_count, 99), k->name,
         k->lat_count ? (double)k->lat_ns[k->lat_count - 1] / 1e6 : 0.0);
}

static void kstat_first_bad(const kstat_t *k) {
  if (k->bad != 0)
    printf("  first non-2xx of %s: HTTP %d: %s\n", k->name, k->first_bad_status, k->first_bad_body);
}

/* Whether kind i is part of this run's mix (or was used anyway). */
static bool kind_used(const bench_t *b, int i) {
  if (b->kinds[i].lat_count > 0) return true;
  if (i >= K_LIST) return i - K_LIST < b->lists_count && b->weight[K_LIST] > 0;
  return b->weight[i] > 0;
}

static int bench_report_mix(bench_t *b) {
  double dur_s = (double)(b->events_end_ns - b->events_start_ns) / 1e9;
  double create_s = (double)(b->create_end_ns - b->create_start_ns) / 1e9;
  uint64_t requests = 0, errors = b->transport_errors, fatal = b->transport_errors, list_bad = 0;
  int i;
  for (i = 0; i < b->kinds_count; i++) {
    requests += b->kinds[i].lat_count;
    errors += b->kinds[i].bad;
    if (i >= K_LIST) list_bad += b->kinds[i].bad;
    if (i < K_LIST || !b->lenient_lists) fatal += b->kinds[i].bad;
  }
  printf("casus-bench: %s:%d, %d connection(s), %d case(s) created first, mix %s, ", b->host, b->port,
         b->connections, b->cases, b->mix_spec);
  if (b->duration_s > 0 && b->events_max > 0)
    printf("%.1f s or %" PRIu64 " requests\n", b->duration_s, b->events_max);
  else if (b->duration_s > 0)
    printf("duration %.1f s\n", b->duration_s);
  else
    printf("%" PRIu64 " requests\n", b->events_max);
  printf("  cases created  %d in %.3f s\n", b->cases_created, create_s);
  printf("  requests       %" PRIu64 " in %.3f s: %.1f/s; non-2xx %" PRIu64 ", transport errors %" PRIu64
         "\n",
         requests, dur_s, dur_s > 0 ? (double)requests / dur_s : 0.0, errors - b->transport_errors,
         b->transport_errors);
  if (b->reconnects) printf("  reconnects     %d (server sent Connection: close)\n", b->reconnects);
  if (b->timed_out) printf("  TIMED OUT      %d request(s) unanswered\n", b->inflight);
  kstat_header();
  for (i = 0; i < b->kinds_count; i++)
    if (kind_used(b, i)) kstat_row(&b->kinds[i], dur_s);
  for (i = 0; i < b->kinds_count; i++) kstat_first_bad(&b->kinds[i]);
  if (list_bad != 0 && b->lenient_lists)
    printf("  (--lenient-lists: the %" PRIu64 " non-2xx list replies do not fail the run)\n", list_bad);
  printf("RESULT mode=mix connections=%d cases=%d requests=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64
         " duration_s=%.3f requests_per_s=%.1f",
         b->connections, b->cases, requests, b->ok, errors, dur_s,
         dur_s > 0 ? (double)requests / dur_s : 0.0);
  for (i = 0; i < b->kinds_count; i++)
    if (kind_used(b, i)) kstat_result(&b->kinds[i], dur_s);
  printf(" timed_out=%d\n", b->timed_out ? 1 : 0);
  fflush(stdout);
  return (fatal != 0 || b->timed_out) ? 1 : 0;
}

static int bench_report_storm(bench_t *b) {
  double create_s = (double)(b->create_end_ns - b->create_start_ns) / 1e9;
  double read_s = (double)(b->events_end_ns - b->events_start_ns) / 1e9;
  double clock_ms = b->clock_done_ns ? (double)(b->clock_done_ns - b->clock_sent_ns) / 1e6 : 0.0;
  uint64_t reads = 0, reads_bad = 0;
  kstat_t *d = &b->during;
  int i;
  for (i = 0; i < b->kinds_count; i++) {
    if (i == K_CLOCK) continue;
    reads += b->kinds[i].lat_count;
    reads_bad += b->kinds[i].bad;
  }
  printf("casus-bench: storm on %s:%d, %d connection(s) (1 sets the clock, %d read), %d case(s)\n", b->host,
         b->port, b->connections, b->connections - 1, b->cases);
  printf("  cases created  %d in %.3f s (%.1f/s)\n", b->cases_created, create_s,
         create_s > 0 ? (double)b->cases_created / create_s : 0.0);
  if (b->clock_done_ns)
    printf("  clock PUT      {\"now\":\"%s\"}: HTTP %d after %.3f ms: %s\n", b->storm_now, b->clock_status,
           clock_ms, b->clock_body);
  else
    printf("  clock PUT      {\"now\":\"%s\"}: %s\n", b->storm_now, b->clock_sent ? "NO REPLY" : "not sent");
  if (b->timed_out) printf("  TIMED OUT      %d request(s) unanswered\n", b->inflight);
  if (b->transport_errors) printf("  transport errors %" PRIu64 "\n", b->transport_errors);
  printf("  reads from %.1f s before the PUT to %.1f s after its reply (%.3f s):\n", b->storm_lead_s,
         b->storm_lead_s, read_s);
  kstat_header();
  for (i = 0; i < b->kinds_count; i++)
    if (i != K_CLOCK && kind_used(b, i)) kstat_row(&b->kinds[i], read_s);
  printf("  reads that overlapped the PUT (sent before its reply, answered after it was sent):\n");
  kstat_row(d, clock_ms / 1e3);
  printf("  of which answered before the PUT's reply: %" PRIu64 "\n", b->during_before_put);
  printf("  longest time without a read answered while the PUT was pending: %.3f ms\n",
         (double)b->stall_ns / 1e6);
  for (i = 0; i < b->kinds_count; i++) kstat_first_bad(&b->kinds[i]);
  printf(
      "RESULT mode=storm connections=%d cases=%d create_s=%.3f creates_per_s=%.1f clock_status=%d "
      "clock_ms=%.3f"
      " reads=%" PRIu64 " reads_non2xx=%" PRIu64 " during_before_put=%" PRIu64 " read_stall_ms=%.3f",
      b->connections, b->cases_created, create_s, create_s > 0 ? (double)b->cases_created / create_s : 0.0,
      b->clock_status, clock_ms, reads, reads_bad, b->during_before_put, (double)b->stall_ns / 1e6);
  kstat_result(d, clock_ms / 1e3);
  for (i = 0; i < b->kinds_count; i++)
    if (i != K_CLOCK && kind_used(b, i)) kstat_result(&b->kinds[i], read_s);
  printf(" timed_out=%d\n", b->timed_out ? 1 : 0);
  fflush(stdout);
  return (b->clock_status < 200 || b->clock_status > 299 || reads_bad != 0 || b->transport_errors != 0 ||
          b->timed_out)
             ? 1
             : 0;
}

static const char usage[] =
    "Usage: casus-bench [--host HOST] [--port PORT] [--token TOKEN] [--connections N]\n"
    "                   [--duration SECONDS | --events N] [--cases N] [--timeout SECONDS]\n"
    "                   [--interval SECONDS] [--create-body JSON]\n"
    "                   [--mix SPEC [--list QUERY]... [--lenient-lists] | --create-only N |\n"
    "                    --storm NOW [--storm-lead SECONDS] [--admin-token TOKEN]]\n"
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
    "  --create-body JSON  the body of POST /v1/cases (default: a route A case of gemeente rotterdam)\n"
    "\n"
    "Mixed load:\n"
    "  --mix SPEC          after creating the cases, draw each request at random from weighted kinds:\n"
    "                      SPEC is 'default' (get=25,history=15,list=20,inbox=10,event=25,create=5)\n"
    "                      or a list of KIND=WEIGHT with KIND one of get (GET /v1/cases/{id} of a\n"
    "                      random case), history (its /history), list (GET /v1/cases?QUERY, the\n"
    "                      queries in turn), inbox (GET /v1/inbox), event, create, healthz.\n"
    "                      --duration and --events may both be given: the first one reached ends it.\n"
    "                      --cases may be 0 when no kind needs a case (list, inbox, create, healthz).\n"
    "  --list QUERY        a list query ('?status=aangemeld&limit=20'); repeatable; 'all' for every\n"
    "                      query of the built-in table, 'default' for the default ones\n"
    "  --lenient-lists     non-2xx replies to list queries are reported but do not fail the run\n"
    "                      (for filters the server does not know yet)\n"
    "  --print-lists       print the built-in list queries, one a line, and exit\n"
    "  --create-only N     send N creates and nothing else (the mix create=1, no cases first)\n"
    "\n"
    "Timer storm (the server runs with --clock manual):\n"
    "  --storm NOW         after creating the cases, the other connections read (GET /healthz and\n"
    "                      GET /v1/cases/{id}; --mix changes that) while connection 0 sends one\n"
    "                      PUT /v1/admin/clock {\"now\": NOW}; reports the time until its reply and\n"
    "                      the latency of the reads that overlapped it. Needs 2 connections or more.\n"
    "  --storm-lead SECONDS  read this long before the PUT and after its reply (default 1)\n"
    "  --admin-token TOKEN   bearer token of the admin (default demo-admin)\n"
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

static const char default_create_body[] =
    "{\"verwijzer\":\"gemeente\",\"gemeente\":\"rotterdam\",\"casusregisseur\":\"cr-rotterdam\","
    "\"jeugdige\":{\"naam\":\"Bench\",\"geboortedatum\":\"2012-05-01\"}}";

static const char default_mix[] = "get=25,history=15,list=20,inbox=10,event=25,create=5";

/* Parses SPEC ("default" or KIND=WEIGHT,...) into b->weight. */
static int mix_parse(bench_t *b, const char *spec) {
  char buf[sizeof b->mix_spec], *save = NULL, *tok;
  if (strcmp(spec, "default") == 0) spec = default_mix;
  if (strlen(spec) >= sizeof buf) return -1;
  strcpy(buf, spec);
  strcpy(b->mix_spec, spec);
  memset(b->weight, 0, sizeof b->weight);
  b->weight_total = 0;
  for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    long w;
    int k;
    if (eq == NULL) return -1;
    *eq = '\0';
    if (parse_long(eq + 1, 0, BENCH_WEIGHT_MAX, &w) != 0) return -1;
    if (strcmp(tok, "list") == 0) {
      k = K_LIST;
    } else {
      for (k = 0; k < K_LIST; k++)
        if (k != K_CLOCK && strcmp(tok, kind_names[k]) == 0) break;
      if (k == K_LIST) return -1;
    }
    b->weight_total += (unsigned)w - b->weight[k];
    b->weight[k] = (unsigned)w;
  }
  return b->weight_total > 0 ? 0 : -1;
}

/* Adds a --list argument: a query, or "all"/"default" rows of bench_lists. */
static int lists_add(bench_t *b, const char *arg) {
  size_t i;
  if (strcmp(arg, "all") == 0 || strcmp(arg, "default") == 0) {
    for (i = 0; i < sizeof bench_lists / sizeof bench_lists[0]; i++)
      if ((arg[0] == 'a' || bench_lists[i].in_default_mix) && lists_add(b, bench_lists[i].query) != 0)
        return -1;
    return 0;
  }
  if (arg[0] != '?' || strlen(arg) >= BENCH_QUERY_BYTES_MAX || strcspn(arg, " \t\r\n") != strlen(arg) ||
      b->lists_count >= BENCH_LISTS_MAX)
    return -1;
  strcpy(b->lists[b->lists_count++], arg);
  return 0;
}

/* The name of a list query in the report: "list_" and its parameters but
 * limit=20 (the table's page), every other character an underscore
 * ("list_status_aangemeld", "list_status_aangemeld_limit_100"). */
static void list_name(const char *query, char *out, size_t size) {
  size_t n = 0;
  const char *p = query + 1;
  n += (size_t)snprintf(out, size, "list");
  while (*p != '\0') {
    size_t len = strcspn(p, "&");
    if (!(len == 8 && strncmp(p, "limit=20", 8) == 0)) {
      size_t i;
      for (i = 0; i < len && n + 2 < size; i++) {
        char ch = p[i];
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (i == 0 || !alnum) {
          if (out[n - 1] != '_') out[n++] = '_';
          if (!alnum) continue;
        }
        out[n++] = ch;
      }
      out[n] = '\0';
    }
    p += len;
    if (*p == '&') p++;
  }
  while (n > 5 && out[n - 1] == '_') out[--n] = '\0';
  if (n == 4) snprintf(out, size, "list_all"); /* no filter */
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
                                       {"create-body", required_argument, NULL, 'B'},
                                       {"mix", required_argument, NULL, 'm'},
                                       {"list", required_argument, NULL, 'L'},
                                       {"lenient-lists", no_argument, NULL, 'l'},
                                       {"create-only", required_argument, NULL, 'O'},
                                       {"storm", required_argument, NULL, 'S'},
                                       {"storm-lead", required_argument, NULL, 's'},
                                       {"admin-token", required_argument, NULL, 'A'},
                                       {"print-lists", no_argument, NULL, 'P'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  static bench_t bench;
  bench_t *b = &bench;
  const char *host = "127.0.0.1", *token = "demo-pr-rotterdam", *admin_token = "demo-admin";
  const char *create_body = default_create_body, *mix = NULL, *storm = NULL;
  long v, port = 8080, create_only = 0;
  int opt, rc, i;
  bool needs_cases;
  char port_s[16];
  struct addrinfo hints;
  uv_getaddrinfo_t gai;

  b->connections = 16;
  b->cases = -1; /* default: --connections (0 with --create-only) */
  b->storm_lead_s = BENCH_STORM_LEAD_S_DEFAULT;
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
        if (parse_long(optarg, 0, BENCH_CASES_MAX, &v) != 0) return usage_bad(opt_name(opts, opt), optarg);
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
      case 'B':
        if (strlen(optarg) >= sizeof b->create_body) return usage_bad(opt_name(opts, opt), optarg);
        create_body = optarg;
        break;
      case 'm':
        mix = optarg;
        if (mix_parse(b, mix) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'L':
        if (lists_add(b, optarg) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'l':
        b->lenient_lists = true;
        break;
      case 'O':
        if (parse_long(optarg, 1, 1000000000L, &create_only) != 0)
          return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'S':
        if (strlen(optarg) >= sizeof b->storm_now || strcspn(optarg, "\"\\\r\n") != strlen(optarg))
          return usage_bad(opt_name(opts, opt), optarg);
        storm = optarg;
        break;
      case 's':
        if (parse_seconds(optarg, &b->storm_lead_s) != 0) return usage_bad(opt_name(opts, opt), optarg);
        break;
      case 'A':
        admin_token = optarg;
        break;
      case 'P':
        for (i = 0; i < (int)(sizeof bench_lists / sizeof bench_lists[0]); i++)
          printf("%s\n", bench_lists[i].query);
        return 0;
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
  /* The mode and what it needs. */
  if ((create_only != 0) + (storm != NULL) > 1 || (create_only != 0 && mix != NULL)) {
    fprintf(stderr, "casus-bench: --create-only goes with neither --mix nor --storm\n");
    return 2;
  }
  if (create_only != 0) {
    mix_parse(b, "create=1");
    strcpy(b->mix_spec, "create-only");
    if (b->events_max == 0) b->events_max = (uint64_t)create_only;
    if (b->cases < 0) b->cases = 0;
    b->mode = MODE_MIX;
  } else if (storm != NULL) {
    if (mix == NULL) mix_parse(b, "healthz=1,get=1");
    strcpy(b->storm_now, storm);
    b->mode = MODE_STORM;
    if (b->connections < 2) {
      fprintf(stderr, "casus-bench: --storm needs 2 connections or more (one sets the clock)\n");
      return 2;
    }
    if (b->duration_s > 0 || b->events_max > 0) {
      fprintf(stderr, "casus-bench: --storm ends when the PUT was answered; no --duration or --events\n");
      return 2;
    }
  } else if (mix != NULL) {
    b->mode = MODE_MIX;
  } else if (b->lists_count > 0 || b->lenient_lists) {
    fprintf(stderr, "casus-bench: --list and --lenient-lists go with --mix\n");
    return 2;
  }
  if (b->mode == MODE_EVENTS && b->duration_s > 0 && b->events_max > 0) {
    fprintf(stderr, "casus-bench: give --duration or --events, not both\n");
    return 2;
  }
  if (b->mode != MODE_STORM && b->duration_s == 0 && b->events_max == 0)
    b->duration_s = BENCH_DURATION_S_DEFAULT;
  if (b->timeout_s == 0)
    b->timeout_s = b->mode == MODE_STORM ? BENCH_STORM_TIMEOUT_S : b->duration_s + BENCH_TIMEOUT_GRACE_S;
  if (b->cases < 0) b->cases = b->connections;
  needs_cases = b->mode == MODE_EVENTS || b->weight[K_EVENT] || b->weight[K_GET] || b->weight[K_HISTORY];
  if (needs_cases && b->cases == 0) {
    fprintf(stderr, "casus-bench: events, get and history need --cases 1 or more\n");
    return 2;
  }
  if (b->weight[K_LIST] > 0 && b->lists_count == 0) lists_add(b, "default");
  b->kinds_count = K_LIST + (b->weight[K_LIST] > 0 ? b->lists_count : 0);
  for (i = 0; i < K_LIST; i++) strcpy(b->kinds[i].name, kind_names[i]);
  for (i = K_LIST; i < b->kinds_count; i++)
    list_name(b->lists[i - K_LIST], b->kinds[i].name, sizeof b->kinds[i].name);
  strcpy(b->during.name, "during");
  if (strlen(host) >= sizeof b->host || strlen(token) >= sizeof b->token ||
      strlen(admin_token) >= sizeof b->admin_token) {
    fprintf(stderr, "casus-bench: --host or a token is too long\n");
    return 2;
  }
  if (strcspn(token, "\r\n") != strlen(token) || strcspn(host, "\r\n") != strlen(host) ||
      strcspn(admin_token, "\r\n") != strlen(admin_token)) {
    fprintf(stderr, "casus-bench: --host and the tokens may not contain line breaks\n");
    return 2;
  }
  strcpy(b->host, host);
  strcpy(b->token, token);
  strcpy(b->admin_token, admin_token);
  strcpy(b->create_body, create_body);
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
  uv_timer_init(b->loop, &b->storm_timer);
  b->duration_timer.data = b->timeout_timer.data = b->interval_timer.data = b->storm_timer.data = b;
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
  rc = b->mode == MODE_MIX     ? bench_report_mix(b)
       : b->mode == MODE_STORM ? bench_report_storm(b)
                               : bench_report(b);
  bench_free(b);
  return rc;
}
