/*
 * main.c -- the casusd command line.  It only parses arguments and wires
 * the modules together; every mechanism lives in its module.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "api/api.h"
#include "core/embedded.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/sha256.h"
#include "engine/engine.h"
#include "store/store.h"
#include "verify/verify.h"

#define CASUSD_VERSION "0.1.0"

static const char usage_main[] =
    "casusd " CASUSD_VERSION
    " -- case workflows for Dutch youth care (jeugdhulp)\n"
    "\n"
    "Usage: casusd <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve              run the HTTP/JSON service (no options: the demo on 127.0.0.1:8080)\n"
    "  statechart check   validate statechart files and report each problem with its JSON path\n"
    "  statechart verify  explore a chart with the engine and check its properties (counterexamples)\n"
    "  catalog check      validate arrangement catalogues and report each problem with its JSON path\n"
    "  hash-token         print the token_sha256 of a bearer token for the configuration\n"
    "  verify             check every record of a store and its hash-chained history (R-AUD-1)\n"
    "  backup             copy a store consistently, also while the server runs\n"
    "  export             the inzage (AVG art. 15): every case of one jeugdige, with history and access log\n"
    "  purge              destroy the closed cases past their archiefactiedatum (Jeugdwet art. 7.3.8)\n"
    "  register           print the register of destroyed cases (their tombstones)\n"
    "  version            print the version\n"
    "\n"
    "Run 'casusd <command> --help' for a command's options.  Documentation: README.md and docs/.\n";

static const char usage_serve[] =
    "Usage: casusd serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--clock real|manual]\n"
    "                    [--charts DIR] [--map-bytes N] [--log-format json|text]\n"
    "\n"
    "Runs the service.  Without --config it serves the embedded demo: the bundled charts, a demo\n"
    "configuration whose (public!) tokens it prints, data in ./casusd-data.\n"
    "\n"
    "  --config FILE       configuration (regions, actors with token_sha256, optional \"oidc\" for the\n"
    "                      identity provider's tokens, optional \"now\"); see docs/api.md, "
    "docs/security.md.\n"
    "                      SIGHUP reads it again: actors, tokens, oidc and its JWKS, rate_limit (a bad\n"
    "                      file is refused and logged; the running configuration stays)\n"
    "  --log-format F      json: every log line on stderr one JSON object (time, level, msg), and a\n"
    "                      line per request (request_id, method, path, status, duration_ms, actor);\n"
    "                      text: the same as text lines.  Without it: text, no request lines\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; port 0 picks a free port,\n"
    "                      printed on stdout as 'listening on HOST:PORT')\n"
    "  --data DIR          the LMDB store's folder (default ./casusd-data); one server per folder: a second\n"
    "                      one exits 2 (DIR/casusd.lock), as on a truncated data.mdb\n"
    "  --clock manual      start the clock at the config's \"now\" and let an admin set it forward with\n"
    "                      PUT /v1/admin/clock (tests and demos; R-TIME-4).  Default: real.\n"
    "  --charts DIR        load statecharts from DIR instead of the bundled ones (their fragments from\n"
    "                      DIR/common/, arrangement catalogues from DIR/catalogs/ or DIR/../catalogs/)\n"
    "  --map-bytes N       initial size of the store's LMDB map in bytes (default 1073741824); the map\n"
    "                      grows by itself ahead of need, and a store that grew keeps its size\n";

static const char usage_check[] =
    "Usage: casusd statechart check FILE...\n"
    "       casusd statechart export --format dot|mermaid|json FILE\n"
    "       casusd statechart verify FILE... (see casusd statechart verify --help)\n"
    "\n"
    "Validates each chart: its shape, every guard, action and timer, unknown targets, unreachable\n"
    "states, events nobody may fire, timers whose event no transition handles.  Prints one line per\n"
    "problem as FILE: $.json.path: message.  Exit status 0 when every chart is valid, 1 otherwise.\n"
    "\n"
    "export prints the chart as a Graphviz DOT or Mermaid state diagram on standard output\n"
    "(docs/charts/ is generated this way by the build target 'diagrams'), or with json the chart\n"
    "as the server runs it: every included fragment resolved.\n"
    "\n"
    "A chart may include fragments (\"include\": NAME where a state goes): each is read from\n"
    "common/NAME.json in the chart's folder, or else from the fragments bundled with casusd\n"
    "(statecharts/common/).  check, verify, export and the server resolve them the same way.\n"
    "A chart may name its arrangement catalogue (\"catalog\": NAME): catalogs/NAME.json in the\n"
    "chart's folder or beside it (../catalogs/), or else the bundled one (casusd catalog --help).\n";

static const char usage_catalog[] =
    "Usage: casusd catalog check FILE...\n"
    "\n"
    "Validates each arrangement catalogue (catalogs/*.json; docs/statecharts.md, \"Catalogue\"):\n"
    "its arrangements with their units, maximum duration and volume, length bands, complexity\n"
    "levels, who may deploy them and which may not run together.  Prints one line per problem as\n"
    "FILE: $.json.path: message.  Exit status 0 when every catalogue is valid, 1 otherwise.\n";

static const char usage_verify_chart[] =
    "Usage: casusd statechart verify FILE... [--depth N] [--max-states N] [--walks N] [--seed N]\n"
    "                                [--property NAME[,NAME...]] [--whole] [--json] [--trace-out FILE]\n"
    "\n"
    "Explores each chart breadth first with the engine the server runs: from every create entry, every\n"
    "event by every role that sees the case, with data drawn from the event's schema (enum values,\n"
    "both booleans, dates around what the guards compare them with, ...), and the clock moved to each\n"
    "timer's due time and to the dates the conditions compare with.  It checks the chart's \"properties\"\n"
    "(always, never, reach) and the built-in checks: every state reachable, every transition taken,\n"
    "no trap state, timers only fire where their event is taken, no engine error.  A violation is shown\n"
    "with a shortest trace: step, clock, role, event, data and the state after.  docs/statecharts.md,\n"
    "\"Verifying a chart\", says what is and is not explored.\n"
    "\n"
    "Each question is answered on its slice of the chart: the regions, fields, counters, flags, timers\n"
    "and events that can influence it (its cone of influence); what lies outside cannot change the\n"
    "answer, so the deep steps of a procedure are reached without multiplying by the other regions.\n"
    "One slice per region (its states and transitions, traps) and one per property no region slice\n"
    "covers; the bounds apply to each slice.\n"
    "\n"
    "Breadth first reaches a few steps before the configurations bound stops it.  Past it, random walks\n"
    "start from where it stopped and go on to the depth bound, favouring the transitions taken least;\n"
    "a violation they find is shown with its trace (not a shortest one).  The walks search, they do not\n"
    "prove: \"ok\" means no violation within the search's bound nor on the walks.\n"
    "\n"
    "  --depth N         steps from the create, the create included (default %d, at most %d)\n"
    "  --max-states N    configurations to keep in each slice (default %d, at most %d)\n"
    "  --walks N         random walks per slice past the bound (default %d, at most %d; 0: none)\n"
    "  --seed N          the walks' random seed (default: a fixed one, so runs repeat)\n"
    "  --property NAMES  check only these properties (comma-separated), on their slices; no built-in check\n"
    "  --whole           one exploration of the whole chart, without slices (slow; a cross-check)\n"
    "  --json            print the report as JSON: {\"ok\", \"charts\": [{\"file\", \"time_s\", report}]}\n"
    "  --trace-out FILE  write the first counterexample as a JSON script to replay over HTTP:\n"
    "                    [{\"step\", \"role\", \"actor\", \"event\", \"data\", \"now\", \"state\", "
    "\"status\",\n"
    "                    \"flags\", \"counters\"}, ...] from the create on; clock moves list their timers\n"
    "\n"
    "Exit status 0 when every property holds (those marked known_failing excepted) and every check\n"
    "passes, 1 when one fails, 2 for usage errors and invalid charts.\n";

static const char usage_hash[] =
    "Usage: casusd hash-token [TOKEN]\n"
    "\n"
    "Prints the SHA-256 (hex) of TOKEN, or of the first line of standard input when TOKEN is\n"
    "absent (safer: the token stays out of your shell history).  Put it in the actor's\n"
    "\"token_sha256\"; the configuration never holds tokens in clear.\n";

static const char usage_verify[] =
    "Usage: casusd verify --data DIR\n"
    "\n"
    "Checks every record of the store at DIR, also while a server runs on it: every case's history\n"
    "chain (sequence numbers, previous-hash links and hashes) and the head its case keeps; every case\n"
    "record (it parses, matches its index record's digest and timers, has all its index entries);\n"
    "every index entry, timer, inbox item and idempotency record against its case; the register of\n"
    "destroyed cases (its hash chain, and that nothing of a destroyed case remains).  Prints one line\n"
    "'BROKEN: ...' per damaged record, naming it (at most 1000), and a summary.  Exit status 0 when\n"
    "intact, 1 when not, 2 when the store cannot be opened or read (a truncated data.mdb).\n";

static const char usage_backup[] =
    "Usage: casusd backup --data DIR --out DIR2\n"
    "\n"
    "Writes a consistent, compacted copy of the store at DIR into the empty or new folder DIR2,\n"
    "also while a server runs on DIR.  Start a server with --data DIR2 to serve the copy.\n";

static const char usage_export[] =
    "Usage: casusd export --data DIR (--bsn BSN | --jeugdige NAME --geboortedatum YYYY-MM-DD)\n"
    "\n"
    "Writes one JSON document on stdout: every case of that jeugdige in the store at DIR, each with its\n"
    "whole history and its whole access log (the inzage of AVG art. 15; docs/security.md).  The\n"
    "jeugdige is matched exactly on the case's fields.jeugdige: bsn, or naam and geboortedatum\n"
    "together, byte for byte (no change of case or spaces).  It reads one consistent snapshot and\n"
    "writes nothing, so it may run while a server serves DIR; it is not itself in the access log\n"
    "(GET /v1/inzage is).  Exit status 0 (also when no case matches: \"cases\" is empty), 2 for wrong\n"
    "options or a store that cannot be opened or read.\n";

static const char usage_purge[] =
    "Usage: casusd purge --data DIR [--dry-run] [--now YYYY-MM-DD|RFC3339]\n"
    "\n"
    "Destroys every closed case whose archiefactiedatum (the day its care ended plus its region's\n"
    "bewaartermijn, \"bewaartermijn_jaren\", default 20 years: Jeugdwet art. 7.3.8; shown in the case\n"
    "view) is today or earlier: the case, its history, its inbox items, its idempotency records, its\n"
    "timers and index entries (lists, gezin, notified) and its access log.  What remains of each is its\n"
    "tombstone in the register of destroyed cases (casusd register): who, when, on what ground, and the\n"
    "last hash of its history, which closes the chain, so that casusd verify still passes.  A case\n"
    "closed by a casusd without retention has no archiefactiedatum: it is due 20 years (the legal\n"
    "minimum) after its last change.  Prints one line per case, 'destroyed ID: ...' (with --dry-run\n"
    "'would destroy ID: ...'), and a summary line.\n"
    "\n"
    "  --data DIR    the store's folder (it must hold a store)\n"
    "  --dry-run     only show what would be destroyed; nothing is changed (each case's destruction\n"
    "                runs and is rolled back, so the counts are exact)\n"
    "  --now DAY     judge as on this day (YYYY-MM-DD, or an RFC 3339 time; default: today in\n"
    "                Europe/Amsterdam): for a look ahead, and for tests\n"
    "\n"
    "Safe beside a running server: each case is destroyed in a write transaction of its own (LMDB has\n"
    "one writer at a time across processes, so the server's next group commit waits for one case at\n"
    "most); the server keeps no case in memory, and a read it answered from an older snapshot adds\n"
    "nothing to a destroyed case's access log.  It removes the data from the live store, not from\n"
    "backups, nor at once from the freed pages of data.mdb: docs/security.md, \"Retention\".\n"
    "\n"
    "Exit status 0 when every due case was destroyed (or none was due), 1 when one could not be (those\n"
    "before it stay destroyed; run casusd verify), 2 for wrong options and a store that cannot be\n"
    "opened or read.\n";

static const char usage_register[] =
    "Usage: casusd register --data DIR\n"
    "\n"
    "Prints the register of destroyed cases as JSON, in the order of destruction: {\"destroyed\": "
    "[{\"seq\",\n"
    "\"case_id\", \"time\", \"grond\" (bewaartermijn or verzoek), \"archiefactiedatum\"?, \"reden\"?,\n"
    "\"verzocht_door\"?, \"besloten_door\", \"history\": {\"seq\", \"hash\"}, \"removed\": {...},\n"
    "\"prev_hash\", \"hash\"}]}.  No content of a case: codes, dates and ids.  It reads one snapshot and\n"
    "writes nothing.  Exit status 0, 2 for wrong options or a store that cannot be opened or read.\n";

static int cmd_export(int argc, char **argv) {
  static const struct option opts[] = {
      {"data", required_argument, NULL, 'd'},     {"bsn", required_argument, NULL, 'b'},
      {"jeugdige", required_argument, NULL, 'j'}, {"geboortedatum", required_argument, NULL, 'g'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  const char *data = NULL;
  api_inzage_who_t who = {NULL, NULL, NULL};
  char why[160];
  store_t *st;
  store_txn_t *txn;
  json_t *doc = NULL;
  int c, rc;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'd':
        data = optarg;
        break;
      case 'b':
        who.bsn = optarg;
        break;
      case 'j':
        who.naam = optarg;
        break;
      case 'g':
        who.geboortedatum = optarg;
        break;
      case 'h':
        fputs(usage_export, stdout);
        return 0;
      default:
        fputs(usage_export, stderr);
        return 2;
    }
  }
  if (data == NULL || optind < argc) {
    fputs(usage_export, stderr);
    return 2;
  }
  if (api_inzage_who_check(&who, why, sizeof(why)) != 0) {
    fprintf(stderr, "casusd export: %s\n", why);
    fputs(usage_export, stderr);
    return 2;
  }
  {
    /* An export reads a store; it never makes an empty one. */
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/data.mdb", data);
    if (stat(path, &sb) != 0) {
      fprintf(stderr, "casusd export: there is no store in %s\n", data);
      return 2;
    }
  }
  rc = store_open(&st, data, 0);
  if (rc != 0) {
    fprintf(stderr, "casusd export: cannot open the store in %s: %s\n", data, core_err_message(rc));
    return 2;
  }
  rc = store_txn_begin(st, false, &txn);
  if (rc == 0) {
    rc = api_inzage_build(txn, &who, (int64_t)time(NULL), NULL, NULL, &doc);
    store_txn_abort(txn);
  }
  store_close(st);
  if (rc != 0) {
    fprintf(stderr, "casusd export: the store could not be read: %s\n", core_err_message(rc));
    return 2;
  }
  rc = json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
  json_decref(doc);
  if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
    fprintf(stderr, "casusd export: writing the document failed\n");
    return 2;
  }
  return 0;
}

static bool wants_help(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
  return false;
}

/* --- serve --- */

typedef struct {
  uv_signal_t sigint, sigterm, sighup;
  api_t *api;
  const char *config_path; /* NULL: the embedded demo configuration */
} serve_t;

static void serve_signal_cb(uv_signal_t *h, int signum) {
  serve_t *s = h->data;
  core_log("info", "signal %d, stopping", signum);
  api_stop(s->api);
  s->api = NULL;
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
  uv_close((uv_handle_t *)&s->sighup, NULL);
}

/* SIGHUP: reads the configuration file again and swaps it in (api_reload);
 * a file that does not load, or a configuration the server refuses, is
 * logged and the running one stays. */
static void serve_reload_cb(uv_signal_t *h, int signum) {
  serve_t *s = h->data;
  char msg[512], err[1024];
  json_t *cfg;
  (void)signum;
  if (s->api == NULL) return;
  if (s->config_path == NULL) {
    core_log("info", "SIGHUP: no --config file (the embedded demo configuration); nothing to reload");
    return;
  }
  cfg = core_json_file_load(s->config_path, LIMIT_CONFIG_BYTES_MAX, "configuration", msg, sizeof(msg));
  if (cfg == NULL) {
    api_reload(s->api, NULL, err, sizeof(err));
    core_log("warn", "SIGHUP: reload refused, the running configuration stays: %s: %s", s->config_path, msg);
    return;
  }
  if (api_reload(s->api, cfg, err, sizeof(err)) != 0)
    core_log("warn", "SIGHUP: reload refused, the running configuration stays: %s: %s", s->config_path, err);
  else
    core_log("info", "SIGHUP: configuration reloaded from %s (actors, tokens, oidc and its JWKS, rate_limit)",
             s->config_path);
  json_decref(cfg);
}

static int parse_listen(const char *s, char *host, size_t host_size, int *port) {
  const char *colon = strrchr(s, ':');
  char *end;
  long p;
  if (colon == NULL || (size_t)(colon - s) >= host_size || colon == s) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  p = strtol(colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return -1;
  *port = (int)p;
  return 0;
}

/* A decimal byte count within LIMIT_MAP_BYTES_MIN..LIMIT_MAP_BYTES_MAX. */
static int parse_map_bytes(const char *s, uint64_t *out) {
  unsigned long long v;
  char *end;
  if (s[0] < '0' || s[0] > '9') return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < LIMIT_MAP_BYTES_MIN || v > LIMIT_MAP_BYTES_MAX) return -1;
  *out = v;
  return 0;
}

static void print_demo_tokens(const json_t *cfg) {
  size_t i;
  json_t *a;
  printf("casusd demo: public demo tokens (Authorization: Bearer <token>):\n");
  json_array_foreach(json_object_get(cfg, "actors"), i, a) {
    printf("  %-18s %-18s %-20s demo-%s\n", json_string_value(json_object_get(a, "id")),
           json_string_value(json_object_get(a, "role")), json_string_value(json_object_get(a, "org")),
           json_string_value(json_object_get(a, "id")));
  }
}

static int cmd_serve(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"listen", required_argument, NULL, 'l'},
                                       {"data", required_argument, NULL, 'd'},
                                       {"clock", required_argument, NULL, 'k'},
                                       {"charts", required_argument, NULL, 's'},
                                       {"map-bytes", required_argument, NULL, 'm'},
                                       {"log-format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *config_path = NULL, *listen = "127.0.0.1:8080";
  api_options_t opt;
  store_lock_t *lock = NULL;
  char host[256], err[1024];
  json_t *cfg;
  char msg[256];
  serve_t s;
  uv_loop_t *loop = uv_default_loop();
  int c, rc;
  memset(&opt, 0, sizeof(opt));
  opt.data_dir = "casusd-data";
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        config_path = optarg;
        break;
      case 'l':
        listen = optarg;
        break;
      case 'd':
        opt.data_dir = optarg;
        break;
      case 's':
        opt.charts_dir = optarg;
        break;
      case 'm':
        if (parse_map_bytes(optarg, &opt.map_bytes) != 0) {
          fprintf(stderr, "casusd serve: --map-bytes takes a number of bytes from %llu to %llu\n",
                  (unsigned long long)LIMIT_MAP_BYTES_MIN, (unsigned long long)LIMIT_MAP_BYTES_MAX);
          return 2;
        }
        break;
      case 'k':
        if (strcmp(optarg, "manual") == 0) {
          opt.manual_clock = true;
        } else if (strcmp(optarg, "real") != 0) {
          fprintf(stderr, "casusd serve: --clock takes real or manual\n");
          return 2;
        }
        break;
      case 'f':
        if (strcmp(optarg, "json") == 0) {
          core_log_configure(CORE_LOG_JSON, true);
        } else if (strcmp(optarg, "text") == 0) {
          core_log_configure(CORE_LOG_TEXT, true);
        } else {
          fprintf(stderr, "casusd serve: --log-format takes json or text\n");
          return 2;
        }
        break;
      case 'h':
        fputs(usage_serve, stdout);
        return 0;
      default:
        fputs(usage_serve, stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "casusd serve: unexpected argument '%s'\n\n%s", argv[optind], usage_serve);
    return 2;
  }
  if (parse_listen(listen, host, sizeof(host), &opt.port) != 0) {
    fprintf(stderr, "casusd serve: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n");
    return 2;
  }
  opt.host = host;
  if (config_path != NULL) {
    cfg = core_json_file_load(config_path, LIMIT_CONFIG_BYTES_MAX, "configuration", msg, sizeof(msg));
    if (cfg == NULL) {
      fprintf(stderr, "casusd serve: %s: %s\n", config_path, msg);
      return 2;
    }
  } else {
    cfg = core_bundled_json("config/demo.json");
    if (cfg == NULL) {
      fprintf(stderr, "casusd serve: the embedded demo configuration is missing\n");
      return 2;
    }
    print_demo_tokens(cfg);
  }
  opt.config = cfg;
  /* One server per store, and never one on a truncated file: both exit 2
   * before anything is opened (docs/operations.md). */
  if (store_lock_take(opt.data_dir, LIMIT_LOCK_WAIT_MS, &lock, err, sizeof(err)) != 0 ||
      store_file_check(opt.data_dir, err, sizeof(err)) != 0) {
    fprintf(stderr, "casusd serve: %s\n", err);
    store_lock_release(lock);
    json_decref(cfg);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rc = api_start(&s.api, loop, &opt, err, sizeof(err));
  json_decref(cfg);
  if (rc != 0) {
    fprintf(stderr, "casusd serve: %s\n", err);
    uv_run(loop, UV_RUN_NOWAIT);
    store_lock_release(lock);
    return 1;
  }
  /* Signals first: whoever reads the "listening" line may stop us at once. */
  uv_signal_init(loop, &s.sigint);
  uv_signal_init(loop, &s.sigterm);
  uv_signal_init(loop, &s.sighup);
  s.sigint.data = s.sigterm.data = s.sighup.data = &s;
  s.config_path = config_path;
  uv_signal_start(&s.sigint, serve_signal_cb, SIGINT);
  uv_signal_start(&s.sigterm, serve_signal_cb, SIGTERM);
  uv_signal_start(&s.sighup, serve_reload_cb, SIGHUP);
  printf("listening on %s:%d (data in %s, %s clock)\n", host, api_port(s.api), opt.data_dir,
         opt.manual_clock ? "manual" : "real");
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  store_lock_release(lock);
  return 0;
}

/* --- statechart check and export --- */

/* The chart in file with its fragments resolved (from common/ in the
 * file's folder, else the bundled ones): a new reference, or NULL with
 * the problems in p (p->count 0 and msg when the file could not be read). */
static json_t *chart_file_load(const char *file, engine_problems_t *p, char *msg, size_t msg_size) {
  char dir[1024];
  const char *slash = strrchr(file, '/');
  json_t *doc = core_json_file_load(file, LIMIT_CHART_BYTES_MAX, "statechart", msg, msg_size), *resolved;
  p->count = 0;
  if (doc == NULL) return NULL;
  if (slash == NULL)
    snprintf(dir, sizeof(dir), ".");
  else
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
  if (engine_chart_resolve(doc, core_fragment_get, dir, &resolved, p) != 0) {
    if (p->count == 0) snprintf(msg, msg_size, "%s", core_err_message(CASUS_ENOMEM));
    resolved = NULL;
  }
  json_decref(doc);
  return resolved;
}

static int cmd_statechart_export(int argc, char **argv) {
  const char *format = NULL, *file = NULL;
  engine_problems_t p;
  engine_chart_t *chart;
  char msg[256];
  json_t *doc;
  char *text;
  int i, rc;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
      format = argv[++i];
    else if (strncmp(argv[i], "--format=", 9) == 0)
      format = argv[i] + 9;
    else if (file == NULL && argv[i][0] != '-')
      file = argv[i];
    else
      format = NULL, file = NULL, i = argc;
  }
  if (format == NULL || file == NULL) {
    fputs(usage_check, stderr);
    return 2;
  }
  doc = chart_file_load(file, &p, msg, sizeof(msg));
  if (doc == NULL) {
    for (i = 0; i < p.count; i++) fprintf(stderr, "%s: %s: %s\n", file, p.items[i].path, p.items[i].message);
    if (p.count == 0) fprintf(stderr, "%s: %s\n", file, msg);
    return 1;
  }
  rc = engine_chart_load(doc, &chart, &p);
  if (rc == 0 && strcmp(format, "json") == 0) {
    /* The chart as the server runs it. */
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    engine_chart_free(chart);
    if (text == NULL) return 1;
    puts(text);
    free(text);
    return 0;
  }
  json_decref(doc);
  if (rc != 0) {
    fprintf(stderr, "%s: invalid chart (%d problems; run casusd statechart check)\n", file, p.count);
    return 1;
  }
  rc = engine_chart_export(chart, format, &text);
  engine_chart_free(chart);
  if (rc != 0) {
    fprintf(stderr, "casusd statechart export: --format takes dot, mermaid or json\n");
    return 2;
  }
  fputs(text, stdout);
  free(text);
  return 0;
}

/* --- statechart verify --- */

static int parse_count(const char *s, long min, long max, long *out) {
  char *end;
  long v;
  if (s == NULL || s[0] < '0' || s[0] > '9') return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static void print_verify_usage(FILE *out) {
  fprintf(out, usage_verify_chart, LIMIT_VERIFY_DEPTH_DEFAULT, LIMIT_VERIFY_DEPTH_MAX,
          LIMIT_VERIFY_STATES_DEFAULT, LIMIT_VERIFY_STATES_MAX, LIMIT_VERIFY_WALKS_DEFAULT,
          LIMIT_VERIFY_WALKS_MAX);
}

/* Loads the chart in `file` and its calendar; prints why not and returns 2. */
static int verify_load(const char *file, engine_chart_t **chart, calendar_t *cal) {
  char msg[256], rel[128];
  engine_problems_t p;
  json_t *doc = chart_file_load(file, &p, msg, sizeof(msg)), *cdoc;
  int k, rc;
  if (doc == NULL) {
    for (k = 0; k < p.count; k++) fprintf(stderr, "%s: %s: %s\n", file, p.items[k].path, p.items[k].message);
    if (p.count == 0) fprintf(stderr, "%s: %s\n", file, msg);
    return 2;
  }
  rc = engine_chart_load(doc, chart, &p);
  json_decref(doc);
  if (rc != 0) {
    for (k = 0; k < p.count; k++) fprintf(stderr, "%s: %s: %s\n", file, p.items[k].path, p.items[k].message);
    fprintf(stderr, "%s: invalid chart (run casusd statechart check)\n", file);
    return 2;
  }
  /* The calendar the server would give it (src/api/registry.c): bundled, no optional holidays. */
  snprintf(rel, sizeof(rel), "calendars/%s.json", engine_chart_calendar(*chart));
  cdoc = core_bundled_json(rel);
  rc = cdoc ? calendar_load(cal, cdoc, NULL, msg, sizeof(msg)) : CASUS_ECONFIG_INVALID;
  json_decref(cdoc);
  if (rc != 0) {
    fprintf(stderr, "%s: calendar \"%s\" %s\n", file, engine_chart_calendar(*chart),
            cdoc ? msg : "is not bundled");
    engine_chart_free(*chart);
    *chart = NULL;
    return 2;
  }
  return 0;
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int cmd_statechart_verify(int argc, char **argv) {
  verify_options_t opt = {0, 0, 0, false, NULL, 0, 0};
  const char *trace_out = NULL;
  const char **files = calloc((size_t)argc + 1, sizeof(char *));
  json_t *all = json_array(), *script = NULL;
  bool as_json = false, failed = false;
  int i, nfiles = 0, rc = 0;
  if (files == NULL || all == NULL) return 2;
  for (i = 1; i < argc && rc == 0; i++) {
    const char *a = argv[i], *val = NULL;
    long v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      print_verify_usage(stdout);
      rc = -1;
    } else if (strcmp(a, "--json") == 0) {
      as_json = true;
    } else if (strcmp(a, "--whole") == 0) {
      opt.whole = true;
    } else if (strcmp(a, "--property") == 0 || strncmp(a, "--property=", 11) == 0) {
      val = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
      if (val == NULL || val[0] == '\0') {
        fprintf(stderr, "casusd statechart verify: --property takes a property's name (NAME[,NAME...])\n");
        rc = 2;
      }
      opt.only = val;
    } else if (strncmp(a, "--depth", 7) == 0 || strncmp(a, "--max-states", 12) == 0 ||
               strncmp(a, "--walks", 7) == 0 || strncmp(a, "--seed", 6) == 0 ||
               strncmp(a, "--trace-out", 11) == 0) {
      const char *eq = strchr(a, '=');
      size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
      val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
      if (name_len == 7 && strncmp(a, "--depth", 7) == 0) {
        if (parse_count(val, 1, LIMIT_VERIFY_DEPTH_MAX, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --depth takes 1 to %d\n", LIMIT_VERIFY_DEPTH_MAX);
          rc = 2;
        }
        opt.depth_max = (int)v;
      } else if (name_len == 12 && strncmp(a, "--max-states", 12) == 0) {
        if (parse_count(val, 1, LIMIT_VERIFY_STATES_MAX, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --max-states takes 1 to %d\n", LIMIT_VERIFY_STATES_MAX);
          rc = 2;
        }
        opt.states_max = (uint32_t)v;
      } else if (name_len == 7 && strncmp(a, "--walks", 7) == 0) {
        if (parse_count(val, 0, LIMIT_VERIFY_WALKS_MAX, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --walks takes 0 to %d\n", LIMIT_VERIFY_WALKS_MAX);
          rc = 2;
        }
        opt.walks = v == 0 ? -1 : (int)v;
      } else if (name_len == 6 && strncmp(a, "--seed", 6) == 0) {
        if (parse_count(val, 1, 2147483647L, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --seed takes 1 to 2147483647\n");
          rc = 2;
        }
        opt.seed = (uint64_t)v;
      } else if (name_len == 11 && strncmp(a, "--trace-out", 11) == 0 && val != NULL && val[0] != '\0') {
        trace_out = val;
      } else {
        fprintf(stderr, "casusd statechart verify: unknown option '%s'\n\n", a);
        print_verify_usage(stderr);
        rc = 2;
      }
    } else if (a[0] == '-') {
      fprintf(stderr, "casusd statechart verify: unknown option '%s'\n\n", a);
      print_verify_usage(stderr);
      rc = 2;
    } else {
      files[nfiles++] = a;
    }
  }
  if (rc == 0 && nfiles == 0) {
    print_verify_usage(stderr);
    rc = 2;
  }
  for (i = 0; i < nfiles && rc == 0; i++) {
    engine_chart_t *chart = NULL;
    calendar_t cal;
    verify_report_t *report = NULL;
    struct timespec t0;
    char err[256];
    double elapsed;
    if (verify_load(files[i], &chart, &cal) != 0) {
      rc = 2;
      break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (verify_chart(chart, &cal, &opt, &report, err, sizeof(err)) != 0) {
      fprintf(stderr, "%s: %s\n", files[i], err);
      engine_chart_free(chart);
      rc = 2;
      break;
    }
    elapsed = seconds_since(&t0);
    if (!verify_report_ok(report)) failed = true;
    if (script == NULL && verify_report_script(report) != NULL)
      script = json_deep_copy(verify_report_script(report));
    if (as_json) {
      json_t *one = json_pack("{s:s, s:f}", "file", files[i], "time_s", elapsed);
      json_object_update(one, (json_t *)verify_report_json(report));
      json_array_append_new(all, one);
    } else {
      printf("%s\n", files[i]);
      verify_report_print(report, stdout, elapsed);
      fflush(stdout);
    }
    verify_report_free(report);
    engine_chart_free(chart);
  }
  if (rc == 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (as_json) {
      json_t *doc = json_pack("{s:b, s:o, s:I}", "ok", !failed, "charts", json_incref(all), "peak_rss_kb",
                              (json_int_t)ru.ru_maxrss);
      char *text = core_json_dumps(doc, JSON_INDENT(2));
      printf("%s\n", text ? text : "{}");
      free(text);
      json_decref(doc);
    } else {
      printf("peak memory %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    }
    if (trace_out != NULL && script == NULL) {
      fprintf(stderr, "casusd statechart verify: no counterexample: %s not written\n", trace_out);
    } else if (trace_out != NULL && json_dump_file(script, trace_out, JSON_INDENT(2)) != 0) {
      fprintf(stderr, "casusd statechart verify: cannot write %s\n", trace_out);
      rc = 2;
    }
    if (rc == 0) rc = failed ? 1 : 0;
  }
  json_decref(all);
  json_decref(script);
  free(files);
  return rc < 0 ? 0 : rc;
}

static int cmd_statechart(int argc, char **argv) {
  int i, bad = 0;
  if (argc >= 2 && strcmp(argv[1], "verify") == 0) return cmd_statechart_verify(argc - 1, argv + 1);
  if (argc < 2 || wants_help(argc, argv)) {
    fputs(usage_check, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "export") == 0) return cmd_statechart_export(argc - 1, argv + 1);
  if (strcmp(argv[1], "check") != 0) {
    fprintf(stderr, "casusd statechart: unknown subcommand '%s'\n\n%s", argv[1], usage_check);
    return 2;
  }
  if (argc < 3) {
    fputs(usage_check, stderr);
    return 2;
  }
  for (i = 2; i < argc; i++) {
    char msg[256];
    engine_problems_t p;
    json_t *doc = chart_file_load(argv[i], &p, msg, sizeof(msg));
    int k;
    if (doc == NULL) {
      for (k = 0; k < p.count; k++) printf("%s: %s: %s\n", argv[i], p.items[k].path, p.items[k].message);
      if (p.count == 0) printf("%s: %s\n", argv[i], msg);
      bad++;
      continue;
    }
    engine_chart_check(doc, &p);
    for (k = 0; k < p.count; k++) printf("%s: %s: %s\n", argv[i], p.items[k].path, p.items[k].message);
    if (p.count == ENGINE_PROBLEMS_MAX)
      printf("%s: (stopped after %d problems)\n", argv[i], ENGINE_PROBLEMS_MAX);
    if (p.count == 0)
      printf("%s: ok (%s@%lld)\n", argv[i], json_string_value(json_object_get(doc, "id")),
             (long long)json_integer_value(json_object_get(doc, "version")));
    else
      bad++;
    json_decref(doc);
  }
  return bad ? 1 : 0;
}

/* --- catalog check --- */

static int cmd_catalog(int argc, char **argv) {
  int i, bad = 0;
  if (argc < 2 || wants_help(argc, argv)) {
    fputs(usage_catalog, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "check") != 0 || argc < 3) {
    fprintf(stderr, "casusd catalog: expected 'check FILE...'\n\n%s", usage_catalog);
    return 2;
  }
  for (i = 2; i < argc; i++) {
    char msg[256];
    engine_problems_t p;
    json_t *doc = core_json_file_load(argv[i], LIMIT_CHART_BYTES_MAX, "catalogue", msg, sizeof(msg));
    int k;
    if (doc == NULL) {
      printf("%s: %s\n", argv[i], msg);
      bad++;
      continue;
    }
    engine_catalog_check(doc, &p);
    for (k = 0; k < p.count; k++) printf("%s: %s: %s\n", argv[i], p.items[k].path, p.items[k].message);
    if (p.count == ENGINE_PROBLEMS_MAX)
      printf("%s: (stopped after %d problems)\n", argv[i], ENGINE_PROBLEMS_MAX);
    if (p.count == 0)
      printf("%s: ok (%s version %lld, %zu arrangements)\n", argv[i],
             json_string_value(json_object_get(doc, "catalog")),
             (long long)json_integer_value(json_object_get(doc, "version")),
             json_object_size(json_object_get(doc, "arrangementen")));
    else
      bad++;
    json_decref(doc);
  }
  return bad ? 1 : 0;
}

/* --- hash-token --- */

static int cmd_hash_token(int argc, char **argv) {
  char line[1024], hex[SHA256_HEX_BYTES];
  const char *token;
  if (wants_help(argc, argv)) {
    fputs(usage_hash, stdout);
    return 0;
  }
  if (argc > 2) {
    fputs(usage_hash, stderr);
    return 2;
  }
  if (argc == 2) {
    token = argv[1];
  } else {
    size_t n;
    if (fgets(line, sizeof(line), stdin) == NULL) {
      fprintf(stderr, "casusd hash-token: no token on standard input\n");
      return 2;
    }
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    token = line;
  }
  if (token[0] == '\0') {
    fprintf(stderr, "casusd hash-token: the token is empty\n");
    return 2;
  }
  sha256_hex(token, strlen(token), hex);
  printf("%s\n", hex);
  return 0;
}

/* --- verify and backup --- */

static int data_opts(int argc, char **argv, const char **data, const char **out, const char *usage) {
  static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'd':
        *data = optarg;
        break;
      case 'o':
        if (out == NULL) {
          fputs(usage, stderr);
          return 2;
        }
        *out = optarg;
        break;
      case 'h':
        fputs(usage, stdout);
        return 1;
      default:
        fputs(usage, stderr);
        return 2;
    }
  }
  if (*data == NULL || (out != NULL && *out == NULL) || optind < argc) {
    fputs(usage, stderr);
    return 2;
  }
  return 0;
}

static void verify_report_cb(const char *problem, void *ud) {
  (void)ud;
  printf("BROKEN: %s\n", problem);
}

static int cmd_verify(int argc, char **argv) {
  const char *data = NULL;
  store_check_stats_t stats;
  store_t *st;
  store_txn_t *txn;
  int rc = data_opts(argc, argv, &data, NULL, usage_verify);
  if (rc != 0) return rc == 1 ? 0 : rc;
  rc = store_open(&st, data, 0);
  if (rc != 0) {
    fprintf(stderr, "casusd verify: cannot open the store in %s: %s\n", data, core_err_message(rc));
    return 2;
  }
  rc = store_txn_begin(st, false, &txn);
  if (rc == 0) {
    rc = store_check(txn, verify_report_cb, NULL, LIMIT_VERIFY_PROBLEMS_MAX, &stats);
    store_txn_abort(txn);
  }
  store_close(st);
  if (rc != 0 && rc != CASUS_ESTORE_CORRUPT) {
    fprintf(stderr, "casusd verify: the store could not be read to its end: %s\n", core_err_message(rc));
    return 2;
  }
  if (stats.problems > LIMIT_VERIFY_PROBLEMS_MAX)
    printf("BROKEN: ... and %llu more (only the first %d are listed)\n",
           (unsigned long long)(stats.problems - LIMIT_VERIFY_PROBLEMS_MAX), LIMIT_VERIFY_PROBLEMS_MAX);
  if (rc == 0)
    printf("ok: %llu history entries verified; ", (unsigned long long)stats.history_entries);
  else
    printf("BROKEN: %llu problems found in %llu history entries, ", (unsigned long long)stats.problems,
           (unsigned long long)stats.history_entries);
  printf(
      "%llu cases, %llu index entries, %llu timers, %llu inbox items (%llu links), %llu idempotency "
      "records, %llu destroyed cases in the register, %llu metric counts%s\n",
      (unsigned long long)stats.cases, (unsigned long long)stats.index_entries,
      (unsigned long long)stats.timers, (unsigned long long)stats.inbox_items,
      (unsigned long long)stats.inbox_links, (unsigned long long)stats.idem_records,
      (unsigned long long)stats.destroyed, (unsigned long long)stats.counts, rc == 0 ? " checked" : "");
  return rc == 0 ? 0 : 1;
}

static int cmd_backup(int argc, char **argv) {
  const char *data = NULL, *out = NULL;
  store_t *st;
  int rc = data_opts(argc, argv, &data, &out, usage_backup);
  if (rc != 0) return rc == 1 ? 0 : rc;
  if (mkdir(out, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "casusd backup: cannot create %s: %s\n", out, strerror(errno));
    return 2;
  }
  rc = store_open(&st, data, 0);
  if (rc != 0) {
    fprintf(stderr, "casusd backup: cannot open the store in %s: %s\n", data, core_err_message(rc));
    return 2;
  }
  rc = store_backup(st, out);
  store_close(st);
  if (rc != 0) {
    fprintf(stderr, "casusd backup: %s (the target folder must be empty)\n", core_err_message(rc));
    return 1;
  }
  printf("backup of %s written to %s\n", data, out);
  return 0;
}

/* --- purge and register (retention: docs/security.md) --- */

/* A store must exist in data: these commands never make an empty one. */
static bool store_exists(const char *cmd, const char *data) {
  char path[4096];
  struct stat sb;
  snprintf(path, sizeof(path), "%s/data.mdb", data);
  if (stat(path, &sb) == 0) return true;
  fprintf(stderr, "casusd %s: there is no store in %s\n", cmd, data);
  return false;
}

typedef struct {
  cal_day_t today;
  json_t *due; /* [[id, archiefactiedatum, derived]] */
  uint64_t open, not_due;
} purge_scan_t;

/* The day a closed case's file is due for destruction: its
 * archiefactiedatum, or for a case closed before casusd kept one, its
 * last change plus the legal minimum.  False when neither can be read. */
static bool purge_due_day(const json_t *c, cal_day_t *day, bool *derived) {
  const char *a = json_string_value(json_object_get(c, "archiefactiedatum"));
  const char *u = json_string_value(json_object_get(c, "updated"));
  int64_t t;
  *derived = a == NULL;
  if (a != NULL) return cal_day_parse(a, day) == 0;
  if (u == NULL || cal_time_parse(u, &t) != 0) return false;
  *day = cal_day_add_months(cal_local_day(t), 12 * LIMIT_BEWAARTERMIJN_YEARS_DEFAULT);
  return true;
}

static int purge_scan_fn(const json_t *c, void *ud) {
  purge_scan_t *ps = ud;
  char buf[16];
  cal_day_t day;
  bool derived;
  if (!json_is_true(json_object_get(c, "closed"))) {
    ps->open++;
    return 0;
  }
  if (!purge_due_day(c, &day, &derived)) {
    fprintf(stderr,
            "casusd purge: case %s is closed but has no readable archiefactiedatum or update time; kept\n",
            json_string_value(json_object_get(c, "id")));
    ps->not_due++;
    return 0;
  }
  if (day > ps->today) {
    ps->not_due++;
    return 0;
  }
  cal_day_format(day, buf, sizeof(buf));
  return json_array_append_new(ps->due, json_pack("[O, s, b]", json_object_get(c, "id"), buf, derived)) == 0
             ? 0
             : CASUS_ENOMEM;
}

static int cmd_purge(int argc, char **argv) {
  static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                       {"dry-run", no_argument, NULL, 'n'},
                                       {"now", required_argument, NULL, 't'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *data = NULL, *now_arg = NULL;
  bool dry_run = false;
  purge_scan_t ps;
  int64_t now_s = (int64_t)time(NULL);
  uint64_t done = 0, failed = 0, gone = 0;
  char now_text[40];
  store_t *st;
  store_txn_t *txn;
  size_t i;
  json_t *d;
  int c, rc;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'd':
        data = optarg;
        break;
      case 'n':
        dry_run = true;
        break;
      case 't':
        now_arg = optarg;
        break;
      case 'h':
        fputs(usage_purge, stdout);
        return 0;
      default:
        fputs(usage_purge, stderr);
        return 2;
    }
  }
  if (data == NULL || optind < argc) {
    if (data == NULL) fprintf(stderr, "casusd purge: --data DIR is required\n\n");
    fputs(usage_purge, stderr);
    return 2;
  }
  memset(&ps, 0, sizeof(ps));
  if (now_arg != NULL) {
    cal_day_t day;
    if (strlen(now_arg) == 10 && cal_day_parse(now_arg, &day) == 0) {
      now_s = cal_local_midnight(day);
    } else if (cal_time_parse(now_arg, &now_s) != 0) {
      fprintf(stderr, "casusd purge: --now takes a day (YYYY-MM-DD) or an RFC 3339 time, not '%s'\n",
              now_arg);
      return 2;
    }
  }
  ps.today = cal_local_day(now_s);
  cal_time_format(now_s, now_text, sizeof(now_text));
  if (!store_exists("purge", data)) return 2;
  rc = store_open(&st, data, 0);
  if (rc != 0) {
    fprintf(stderr, "casusd purge: cannot open the store in %s: %s\n", data, core_err_message(rc));
    return 2;
  }
  /* Which cases are due, from one snapshot; each is then destroyed in a
   * write transaction of its own, which looks at it again. */
  ps.due = json_array();
  rc = ps.due != NULL ? store_txn_begin(st, false, &txn) : CASUS_ENOMEM;
  if (rc == 0) {
    rc = store_case_scan(txn, NULL, purge_scan_fn, &ps);
    store_txn_abort(txn);
  }
  if (rc != 0) {
    fprintf(stderr, "casusd purge: the cases could not be read: %s%s\n", core_err_message(rc),
            rc == CASUS_ESTORE_CORRUPT ? " (a case is damaged: run casusd verify)" : "");
    json_decref(ps.due);
    store_close(st);
    return 2;
  }
  json_array_foreach(ps.due, i, d) {
    const char *id = json_string_value(json_array_get(d, 0)),
               *archief = json_string_value(json_array_get(d, 1));
    store_destroy_counts_t n;
    json_t *entry, *cur = NULL;
    rc = store_txn_begin(st, true, &txn);
    if (rc == 0) {
      /* Still there and still closed (the server may have destroyed it meanwhile). */
      rc = store_case_get(txn, id, &cur);
      if (rc == 0 && !json_is_true(json_object_get(cur, "closed"))) rc = CASUS_ENOT_FOUND;
      json_decref(cur);
      if (rc == CASUS_ENOT_FOUND) {
        store_txn_abort(txn);
        printf("skipped %s: destroyed (or changed) since the scan\n", id);
        gone++;
        continue;
      }
      entry = json_pack("{s:s, s:s, s:s, s:s}", "time", now_text, "grond", "bewaartermijn",
                        "archiefactiedatum", archief, "besloten_door", "casusd purge");
      rc = rc == 0 ? (entry ? store_case_destroy(txn, id, entry, &n, NULL) : CASUS_ENOMEM) : rc;
      json_decref(entry);
      if (rc == 0 && !dry_run)
        rc = store_txn_commit(txn);
      else
        store_txn_abort(txn);
    }
    if (rc != 0) {
      fprintf(stderr, "casusd purge: case %s could not be destroyed: %s\n", id, core_err_message(rc));
      failed++;
      continue;
    }
    done++;
    printf(
        "%s %s: archiefactiedatum %s%s; %llu history entries, %llu inbox items, %llu access-log entries, "
        "%llu idempotency records, %llu timers, %llu index entries\n",
        dry_run ? "would destroy" : "destroyed", id, archief,
        json_is_true(json_array_get(d, 2)) ? " (no stored date: its last change + 20 years)" : "",
        (unsigned long long)n.history_entries, (unsigned long long)n.inbox_items,
        (unsigned long long)n.access_entries, (unsigned long long)n.idem_records,
        (unsigned long long)n.timers, (unsigned long long)n.index_terms);
  }
  printf("purge%s: %llu cases %s as of %.10s, %llu closed cases not yet due, %llu open cases kept",
         dry_run ? " --dry-run" : "", (unsigned long long)done, dry_run ? "would be destroyed" : "destroyed",
         now_text, (unsigned long long)ps.not_due, (unsigned long long)ps.open);
  if (gone > 0) printf(", %llu skipped (destroyed or changed meanwhile)", (unsigned long long)gone);
  printf("%s\n", failed ? "; some could NOT be destroyed (see above)" : "");
  json_decref(ps.due);
  store_close(st);
  return failed ? 1 : 0;
}

static int cmd_register(int argc, char **argv) {
  const char *data = NULL;
  store_t *st;
  store_txn_t *txn;
  json_t *list = NULL;
  int rc = data_opts(argc, argv, &data, NULL, usage_register);
  if (rc != 0) return rc == 1 ? 0 : rc;
  if (!store_exists("register", data)) return 2;
  rc = store_open(&st, data, 0);
  if (rc != 0) {
    fprintf(stderr, "casusd register: cannot open the store in %s: %s\n", data, core_err_message(rc));
    return 2;
  }
  rc = store_txn_begin(st, false, &txn);
  if (rc == 0) {
    rc = store_destroyed_list(txn, 0, SIZE_MAX, &list);
    store_txn_abort(txn);
  }
  store_close(st);
  if (rc != 0) {
    fprintf(stderr, "casusd register: the register could not be read: %s\n", core_err_message(rc));
    return 2;
  }
  list = json_pack("{s:o}", "destroyed", list);
  rc = list != NULL ? json_dumpf(list, stdout, JSON_INDENT(1) | JSON_SORT_KEYS) : -1;
  json_decref(list);
  fputc('\n', stdout);
  return rc == 0 && fflush(stdout) == 0 ? 0 : 2;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : NULL;
  if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_main, cmd ? stdout : stderr);
    return cmd ? 0 : 2;
  }
  if (strcmp(cmd, "serve") == 0) return cmd_serve(argc - 1, argv + 1);
  if (strcmp(cmd, "statechart") == 0) return cmd_statechart(argc - 1, argv + 1);
  if (strcmp(cmd, "catalog") == 0) return cmd_catalog(argc - 1, argv + 1);
  if (strcmp(cmd, "hash-token") == 0) return cmd_hash_token(argc - 1, argv + 1);
  if (strcmp(cmd, "verify") == 0) return cmd_verify(argc - 1, argv + 1);
  if (strcmp(cmd, "backup") == 0) return cmd_backup(argc - 1, argv + 1);
  if (strcmp(cmd, "export") == 0) return cmd_export(argc - 1, argv + 1);
  if (strcmp(cmd, "purge") == 0) return cmd_purge(argc - 1, argv + 1);
  if (strcmp(cmd, "register") == 0) return cmd_register(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("casusd %s\n", CASUSD_VERSION);
    return 0;
  }
  fprintf(stderr, "casusd: unknown command '%s'\n\n%s", cmd, usage_main);
  return 2;
}
