/*
 * cli_statechart.c -- casusd statechart check, export and verify, and
 * casusd catalog check: the charts and catalogues as files.
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

/* Prints a file's problems, one "FILE: PATH: sentence" line each, and
 * says so when the list stopped at its limit. */
static void problems_print(FILE *out, const char *file, const engine_problems_t *p) {
  int k;
  for (k = 0; k < p->count; k++) fprintf(out, "%s: %s: %s\n", file, p->items[k].path, p->items[k].message);
  if (p->count == ENGINE_PROBLEMS_MAX)
    fprintf(out, "%s: (stopped after %d problems)\n", file, ENGINE_PROBLEMS_MAX);
}

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
  int rc;
  if (doc == NULL) {
    problems_print(stderr, file, &p);
    if (p.count == 0) fprintf(stderr, "%s: %s\n", file, msg);
    return 2;
  }
  rc = engine_chart_load(doc, chart, &p);
  json_decref(doc);
  if (rc != 0) {
    problems_print(stderr, file, &p);
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
        if (cli_parse_count(val, 1, LIMIT_VERIFY_DEPTH_MAX, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --depth takes 1 to %d\n", LIMIT_VERIFY_DEPTH_MAX);
          rc = 2;
        }
        opt.depth_max = (int)v;
      } else if (name_len == 12 && strncmp(a, "--max-states", 12) == 0) {
        if (cli_parse_count(val, 1, LIMIT_VERIFY_STATES_MAX, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --max-states takes 1 to %d\n", LIMIT_VERIFY_STATES_MAX);
          rc = 2;
        }
        opt.states_max = (uint32_t)v;
      } else if (name_len == 7 && strncmp(a, "--walks", 7) == 0) {
        if (cli_parse_count(val, 0, LIMIT_VERIFY_WALKS_MAX, &v) != 0) {
          fprintf(stderr, "casusd statechart verify: --walks takes 0 to %d\n", LIMIT_VERIFY_WALKS_MAX);
          rc = 2;
        }
        opt.walks = v == 0 ? -1 : (int)v;
      } else if (name_len == 6 && strncmp(a, "--seed", 6) == 0) {
        if (cli_parse_count(val, 1, 2147483647L, &v) != 0) {
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

int cli_statechart(int argc, char **argv) {
  int i, bad = 0;
  if (argc >= 2 && strcmp(argv[1], "verify") == 0) return cmd_statechart_verify(argc - 1, argv + 1);
  if (argc < 2 || cli_wants_help(argc, argv)) {
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
    if (doc == NULL) {
      problems_print(stdout, argv[i], &p);
      if (p.count == 0) printf("%s: %s\n", argv[i], msg);
      bad++;
      continue;
    }
    engine_chart_check(doc, &p);
    problems_print(stdout, argv[i], &p);
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

int cli_catalog(int argc, char **argv) {
  int i, bad = 0;
  if (argc < 2 || cli_wants_help(argc, argv)) {
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
    if (doc == NULL) {
      printf("%s: %s\n", argv[i], msg);
      bad++;
      continue;
    }
    engine_catalog_check(doc, &p);
    problems_print(stdout, argv[i], &p);
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
