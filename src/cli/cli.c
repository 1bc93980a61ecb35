/*
 * cli.c -- what the commands of the casusd command line share: --help
 * anywhere among the arguments, a bounded count.
 */
#include "cli/cli.h"

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

bool cli_wants_help(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
  return false;
}

/* --- serve --- */

int cli_parse_count(const char *s, long min, long max, long *out) {
  char *end;
  long v;
  if (s == NULL || s[0] < '0' || s[0] > '9') return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}
