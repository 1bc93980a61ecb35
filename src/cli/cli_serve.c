/*
 * cli_serve.c -- casusd serve: the options, the configuration, the signals
 * (SIGINT and SIGTERM stop, SIGHUP reloads) and the loop.
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
#include "cli/cli.h"
#include "core/embedded.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/sha256.h"
#include "engine/engine.h"
#include "store/store.h"
#include "verify/verify.h"

static const char usage_serve[] =
    "Usage: casusd serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--clock real|manual]\n"
    "                    [--charts DIR] [--map-bytes N] [--log-format json|text]\n"
    "                    [--examples FILE | --no-examples]\n"
    "\n"
    "Runs the service.  Without --config it serves the embedded demo: the bundled charts, a demo\n"
    "configuration whose (public!) tokens it prints, data in ./casusd-data and, when that store\n"
    "holds no case yet, the demo's example cases of every region (config/demo-cases.json).\n"
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
    "                      grows by itself ahead of need, and a store that grew keeps its size\n"
    "  --examples FILE     create the example cases of FILE (the format of config/demo-cases.json, whose\n"
    "                      \"@today+N\" dates count from the service's clock) when the store holds no\n"
    "                      case; a step the chart refuses is logged and ends its example\n"
    "  --no-examples       the embedded demo without its example cases (an empty store stays empty)\n";

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

int cli_serve(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"listen", required_argument, NULL, 'l'},
                                       {"data", required_argument, NULL, 'd'},
                                       {"clock", required_argument, NULL, 'k'},
                                       {"charts", required_argument, NULL, 's'},
                                       {"map-bytes", required_argument, NULL, 'm'},
                                       {"log-format", required_argument, NULL, 'f'},
                                       {"examples", required_argument, NULL, 'x'},
                                       {"no-examples", no_argument, NULL, 'X'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *config_path = NULL, *listen = "127.0.0.1:8080", *examples_path = NULL;
  bool no_examples = false;
  json_t *examples = NULL;
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
      case 'x':
        examples_path = optarg;
        break;
      case 'X':
        no_examples = true;
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
  if (examples_path != NULL && no_examples) {
    fprintf(stderr, "casusd serve: --examples and --no-examples exclude each other\n");
    json_decref(cfg);
    return 2;
  }
  if (examples_path != NULL) {
    examples = core_json_file_load(examples_path, LIMIT_CONFIG_BYTES_MAX, "example cases", msg, sizeof(msg));
    if (examples == NULL || !json_is_array(json_object_get(examples, "cases"))) {
      fprintf(stderr, "casusd serve: %s: %s\n", examples_path,
              examples ? "the example cases file needs \"cases\": [...]" : msg);
      json_decref(examples);
      json_decref(cfg);
      return 2;
    }
  } else if (config_path == NULL && !no_examples) {
    examples = core_bundled_json("config/demo-cases.json");
  }
  opt.examples = examples;
  /* One server per store, and never one on a truncated file: both exit 2
   * before anything is opened (docs/operations.md). */
  if (store_lock_take(opt.data_dir, LIMIT_LOCK_WAIT_MS, &lock, err, sizeof(err)) != 0 ||
      store_file_check(opt.data_dir, err, sizeof(err)) != 0) {
    fprintf(stderr, "casusd serve: %s\n", err);
    store_lock_release(lock);
    json_decref(examples);
    json_decref(cfg);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rc = api_start(&s.api, loop, &opt, err, sizeof(err));
  json_decref(examples);
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
