/*
 * cli_store.c -- the commands on a store: verify, backup, export (the
 * inzage), purge and register (retention).
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

int cli_export(int argc, char **argv) {
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

int cli_verify(int argc, char **argv) {
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

int cli_backup(int argc, char **argv) {
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

int cli_purge(int argc, char **argv) {
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

int cli_register(int argc, char **argv) {
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
