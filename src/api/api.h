/*
 * api.h -- casusd's HTTP/JSON API: routes, handlers, group commit, timers.
 *
 * This module wires the others together: the HTTP server delivers requests,
 * auth names the caller, the engine decides, the store keeps the result.
 * All writes (case creation, events, fired timers, clock changes) of one
 * loop iteration share one LMDB write transaction with a child transaction
 * per request (group commit); no reply to a write leaves before its
 * transaction has committed.  Reads use their own read transactions.
 *
 * Ownership: api_t is created by api_start and released by api_stop (run
 * the loop afterwards so its handles close).  Loop thread only.
 */
#ifndef CASUS_API_H
#define CASUS_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "store/store.h"

typedef struct api_s api_t;

typedef struct {
  const char *host;       /* listen address, e.g. "127.0.0.1" */
  int port;               /* 0 picks a free port */
  const char *data_dir;   /* the store's directory */
  bool manual_clock;      /* R-TIME-4 */
  const json_t *config;   /* the configuration document (borrowed) */
  const char *charts_dir; /* load charts from here; NULL: the bundled charts */
  uint64_t map_bytes;     /* initial LMDB map size; 0: default */
  const json_t *examples; /* example cases to create in a store that holds none (the embedded
                             demo's config/demo-cases.json); NULL: none */
} api_options_t;

/* Opens the store, loads charts, calendars and config, fires overdue timers
 * and starts listening.  Returns 0 or a negative casus_err_t / libuv error
 * with a sentence in err. */
int api_start(api_t **out, uv_loop_t *loop, const api_options_t *opt, char *err, size_t err_size);
int api_port(const api_t *api);
/* SIGHUP (docs/security.md, "Reloading"): swaps in the actors, tokens, the
 * "oidc" section with its JWKS (read again from its file), "rate_limit"
 * and "idempotency_ttl_hours" of config (borrowed), between two callbacks
 * of the loop: open connections, streams and queued writes carry on.
 * The regions must be those of the start ("now" and --clock are read only
 * at the start).  Returns 0, or CASUS_ECONFIG_INVALID / CASUS_ENOMEM with
 * a sentence in err: then nothing changed.  config NULL (the file did not
 * load) only counts a refused reload (GET /metrics). Loop thread only. */
int api_reload(api_t *api, const json_t *config, char *err, size_t err_size);
/* Stops listening, closes the store and every handle. */
void api_stop(api_t *api);

/* The inzage (AVG art. 15; inzage.c): one jeugdige, by bsn, or by naam and
 * geboortedatum together (exact matches on fields.jeugdige). */
typedef struct {
  const char *bsn;           /* NULL: by name and birth date */
  const char *naam;          /* exact, byte for byte */
  const char *geboortedatum; /* YYYY-MM-DD */
} api_inzage_who_t;
/* 0 when who asks for one jeugdige the one way or the other; else
 * CASUS_EBAD_REQUEST with a sentence in why. */
int api_inzage_who_check(const api_inzage_who_t *who, char *why, size_t why_size);
/* Whether case_ is of that jeugdige. */
bool api_inzage_matches(const api_inzage_who_t *who, const json_t *case_);
/* A filter over the matching cases (NULL: all of them). */
typedef bool (*api_inzage_keep_fn)(const json_t *case_, void *ud);
/* The inzage document, a new object in *out: {"inzage", "jeugdige",
 * "generated" (now_s), "cases": [{"case", "history", "access_log"}]} over
 * every case of the store (one read transaction txn) that matches and keep
 * keeps.  0 or the store's errors. */
int api_inzage_build(store_txn_t *txn, const api_inzage_who_t *who, int64_t now_s, api_inzage_keep_fn keep,
                     void *keep_ud, json_t **out);

#endif
