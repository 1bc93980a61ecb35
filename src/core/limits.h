/*
 * limits.h -- every maximum casusd enforces, in one place.
 *
 * Each limit is enforced with a clear error where input enters the service
 * (the HTTP edge, the chart and config loaders) and asserted inside.  Units
 * come last in the names.  Change a value here, not at the point of use.
 */
#ifndef CASUS_CORE_LIMITS_H
#define CASUS_CORE_LIMITS_H

/* HTTP edge. */
#define LIMIT_CONNECTIONS_MAX 1024         /* open client connections; more are closed at accept */
#define LIMIT_HEADER_BYTES_MAX (16 * 1024) /* request line + headers */
#define LIMIT_HEADERS_MAX 64               /* number of header fields */
#define LIMIT_URL_BYTES_MAX 2048           /* request target */
#define LIMIT_BODY_BYTES_MAX (256 * 1024)  /* request body; 413 beyond */
#define LIMIT_RESPONSE_BYTES_MAX (8 * 1024 * 1024)
#define LIMIT_REQUEST_TIMEOUT_MS 10000  /* from first byte to complete request */
#define LIMIT_IDLE_TIMEOUT_MS 60000     /* keep-alive connection with no request */
#define LIMIT_PENDING_REQUESTS_MAX 4096 /* requests queued for one group commit; 503 beyond */
#define LIMIT_EVENTS_PER_BATCH_MAX 512  /* requests applied in one write transaction */

/* Writes per actor: a token bucket ("rate_limit" in the configuration; docs/api.md).  The default
 * lets a person or an integration work freely (a burst of 200, then 50 a second) while one token
 * needs more than half an hour, not seconds, to fill a case's history (LIMIT_EVENTS_PER_CASE_MAX). */
#define LIMIT_RATE_WRITES_PER_SECOND_DEFAULT 50
#define LIMIT_RATE_BURST_DEFAULT 200
#define LIMIT_RATE_WRITES_PER_SECOND_MAX 1000000 /* the largest rate a configuration may set; 0: no limit */
#define LIMIT_RATE_BURST_MAX 1000000

/* JSON. */
#define LIMIT_JSON_DEPTH_MAX 16            /* nesting of a request body */
#define LIMIT_STRING_BYTES_MAX (16 * 1024) /* any one string value in a request body */
#define LIMIT_ID_BYTES_MAX 64              /* case ids, actor ids, org names, event names */
#define LIMIT_IDEMPOTENCY_KEY_BYTES_MAX 128

/* Cases and charts. */
#define LIMIT_PAGE_CASES_MAX 100 /* cases per page of GET /v1/cases */
#define LIMIT_PAGE_CASES_DEFAULT 50
#define LIMIT_LIST_EXAMINE_MAX 4000 /* index entries one GET /v1/cases looks at; then a partial page */
#define LIMIT_LIST_PARAMS_MAX 12    /* query parameters of GET /v1/cases */
#define LIMIT_HISTORY_PAGE_ENTRIES_MAX 1000 /* entries per page of GET .../history (limit=N) */
#define LIMIT_HISTORY_PAGE_ENTRIES_DEFAULT 100
/* Stored bytes of the entries of one history page: a page stops early, with
 * a "next", before it would pass this (a page holds at least one entry).
 * An entry is at most about a request body, so a reply stays far below
 * LIMIT_RESPONSE_BYTES_MAX (checked in reads.c). */
#define LIMIT_HISTORY_PAGE_BYTES_MAX (1024 * 1024)
#define LIMIT_INBOX_ITEMS_MAX 500 /* items per page of GET /v1/inbox, and per push of /v1/stream */
#define LIMIT_INBOX_PAGE_ITEMS_DEFAULT 100
#define LIMIT_INBOX_EXAMINE_MAX 4000 /* index entries one GET /v1/inbox looks at; then a short page */
/* The access log (NEN 7513) keeps an entry at least 5 years: 5 x 365 days
 * and 2 leap days; the group commit's sweep deletes it after that. */
#define LIMIT_ACCESS_LOG_RETENTION_DAYS (5 * 365 + 2)
/* Retention (Jeugdwet art. 7.3.8): a closed case's archiefactiedatum is the
 * day its care ended plus the region's "bewaartermijn_jaren": 20 years by
 * default and at least (the law's term is a minimum), at most 115 (a
 * lifetime: no date beyond the calendar's 2199). */
#define LIMIT_BEWAARTERMIJN_YEARS_DEFAULT 20
#define LIMIT_BEWAARTERMIJN_YEARS_MIN 20
#define LIMIT_BEWAARTERMIJN_YEARS_MAX 115
#define LIMIT_ACCESS_PAGE_ENTRIES_MAX 1000 /* entries per page of GET .../access-log */
#define LIMIT_ACCESS_PAGE_ENTRIES_DEFAULT 100
#define LIMIT_NOTIFICATION_AGE_DAYS 30 /* a notification is no longer listed, and is deleted, after this */
#define LIMIT_TIMERS_PER_CASE_MAX 32
#define LIMIT_CHART_DEPTH_MAX 8 /* nesting of states in a chart */
#define LIMIT_CHART_INCLUDE_DEPTH_MAX \
  4 /* fragments included by fragments (docs/statecharts.md, "Composition") */
#define LIMIT_CHART_STATES_MAX 256
#define LIMIT_CHART_TRANSITIONS_MAX 1024
#define LIMIT_CHART_BYTES_MAX (1024 * 1024)
#define LIMIT_CHARTS_MAX 32
#define LIMIT_CHART_INDEXES_MAX 8     /* list filters a chart declares ("index"), each an LMDB index */
#define LIMIT_CHART_PROPERTIES_MAX 64 /* properties a chart declares for `statechart verify` */
#define LIMIT_CHART_TABLES_MAX 16     /* tables a chart declares ("tables": its data, e.g. limits) */
#define LIMIT_CHART_TABLE_ROWS_MAX 64 /* rows of one table */
#define LIMIT_ACTIONS_DEPTH_MAX 8     /* nesting of "if" actions */
#define LIMIT_FIELD_ITEMS_MAX 64      /* items an "append" action keeps in one case field (newest) */
#define LIMIT_ACTORS_MAX 10000
/* Bearer tokens (docs/security.md).  A static token is compared by its SHA-256; an OIDC token is a
 * compact JWS whose claims, header and signature must all fit.  The leeway absorbs clock skew
 * between the identity provider and casusd in "exp" and "nbf", and nothing else. */
#define LIMIT_TOKEN_BYTES_MAX 512          /* a static bearer token */
#define LIMIT_OIDC_TOKEN_BYTES_MAX 8192    /* an OIDC bearer token (compact JWS) */
#define LIMIT_OIDC_LEEWAY_S 60             /* clock skew allowed in "exp" and "nbf" */
#define LIMIT_JWKS_KEYS_MAX 64             /* keys one JWKS file may hold */
#define LIMIT_JWKS_BYTES_MAX (1024 * 1024) /* the JWKS file */
#define LIMIT_RATE_ACTORS_MAX 16384        /* actors with a write-rate bucket; then all refill */
#define LIMIT_REGION_GIS_MAX 64            /* GI organisations one region lists ("gis") */
#define LIMIT_GEZIN_CASES_MAX 32           /* cases linked to one gezin; one write changes them all at once */
#define LIMIT_CONFIG_BYTES_MAX (4 * 1024 * 1024)
#define LIMIT_TIMER_FIRES_PER_CHUNK_MAX 1000 /* timers fired in one write transaction */
#define LIMIT_TIMER_CHUNK_US_MAX 4000    /* a chunk of due timers stops after this; the loop serves others */
#define LIMIT_EVENTS_PER_CASE_MAX 100000 /* history entries of one case */

/* Dates.  Every date and datetime the API accepts or computes (a field, a
 * deadline, the clock) lies in LIMIT_DATE_YEAR_MIN-01-01 ...
 * LIMIT_DATE_YEAR_MAX-12-31 (a datetime: its day in Europe/Amsterdam);
 * outside is 422 with the field named.  Durations are at most 100 years, so
 * the arithmetic never leaves four-digit years. */
#define LIMIT_DATE_YEAR_MIN 1900
#define LIMIT_DATE_YEAR_MAX 2199

/* Operator tools. */
#define LIMIT_VERIFY_PROBLEMS_MAX 1000 /* damaged records casusd verify lists by name; it counts them all */

#define LIMIT_LOCK_WAIT_MS 3000 /* serve waits this long for the data folder's lock (a stopping server) */

/* Statechart verification (`casusd statechart verify`, src/verify/). */
#define LIMIT_VERIFY_STATES_MAX 2000000 /* configurations kept per slice (--max-states), ~2 KB each */
/* Per slice; under a minute for each bundled chart (docs/statecharts.md). */
#define LIMIT_VERIFY_STATES_DEFAULT 20000
#define LIMIT_VERIFY_DEPTH_MAX 64      /* steps from the create, the create included (--depth) */
#define LIMIT_VERIFY_DEPTH_DEFAULT 64  /* the states bound is the one that binds */
#define LIMIT_VERIFY_WALKS_DEFAULT 300 /* random walks per slice past the search's bound (--walks) */
#define LIMIT_VERIFY_WALKS_MAX 1000000
#define LIMIT_VERIFY_SAMPLES_MAX 64       /* data samples tried per transition in one configuration */
#define LIMIT_VERIFY_FIELD_CHOICES_MAX 12 /* values tried for one data field */
#define LIMIT_VERIFY_DATA_FIELDS_MAX 48   /* fields of one data schema that vary; the rest keep one value */
#define LIMIT_VERIFY_CLOCK_MOVES_MAX 48   /* instants the clock moves to from one configuration */
#define LIMIT_VERIFY_TIMER_FIRES_MAX 1000 /* timers fired in one move of the clock */

/* Store. */
/* Bounded growth (docs/operations.md, "Growth"): idempotency records are kept
 * idempotency_ttl_hours (config), then deleted; expired records and inbox items
 * are swept in every group commit, at most LIMIT_SWEEP_PER_COMMIT_BASE +
 * LIMIT_SWEEP_PER_WRITE x (requests in the batch) of each, so that the sweep
 * outpaces what writes add. */
#define LIMIT_IDEMPOTENCY_TTL_HOURS_MIN 24
#define LIMIT_IDEMPOTENCY_TTL_HOURS_MAX 168
#define LIMIT_IDEMPOTENCY_TTL_HOURS_DEFAULT 24
#define LIMIT_SWEEP_PER_COMMIT_BASE 64
#define LIMIT_SWEEP_PER_WRITE 8
#define LIMIT_GROWTH_UPGRADE_CHUNK 1000 /* records filed per transaction when an older store is upgraded */
#define LIMIT_MAP_BYTES_DEFAULT (1024ULL * 1024 * 1024) /* initial LMDB map size; it grows by itself */
#define LIMIT_MAP_BYTES_MIN (64ULL * 1024)              /* smallest initial map (casusd serve --map-bytes) */
#define LIMIT_MAP_BYTES_MAX (64ULL * 1024 * 1024 * 1024)
/* Growth ahead of need: before each write transaction the map grows until
 * at most half of it is used and LIMIT_MAP_RESERVE_BYTES are free, room for
 * the biggest batch, so that no request meets MDB_MAP_FULL.  A request's
 * writes are taken at a generous bound: its case, history entry, stored
 * reply and inbox items (each about the size of a body at most) and the
 * B-tree pages they copy.  Growth after MDB_MAP_FULL stays as the fallback. */
#define LIMIT_MAP_REQUEST_BYTES (4ULL * LIMIT_BODY_BYTES_MAX)
#define LIMIT_MAP_RESERVE_BYTES (LIMIT_EVENTS_PER_BATCH_MAX * LIMIT_MAP_REQUEST_BYTES)

#endif
