/*
 * main.c -- the casusd command line: the list of commands and hash-token;
 * each other command is in src/cli/ (cli.h).  They only parse arguments and
 * wire the modules together; every mechanism lives in its module.
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

static const char usage_hash[] =
    "Usage: casusd hash-token [TOKEN]\n"
    "\n"
    "Prints the SHA-256 (hex) of TOKEN, or of the first line of standard input when TOKEN is\n"
    "absent (safer: the token stays out of your shell history).  Put it in the actor's\n"
    "\"token_sha256\"; the configuration never holds tokens in clear.\n";

static int cmd_hash_token(int argc, char **argv) {
  char line[1024], hex[SHA256_HEX_BYTES];
  const char *token;
  if (cli_wants_help(argc, argv)) {
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

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : NULL;
  if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_main, cmd ? stdout : stderr);
    return cmd ? 0 : 2;
  }
  if (strcmp(cmd, "serve") == 0) return cli_serve(argc - 1, argv + 1);
  if (strcmp(cmd, "statechart") == 0) return cli_statechart(argc - 1, argv + 1);
  if (strcmp(cmd, "catalog") == 0) return cli_catalog(argc - 1, argv + 1);
  if (strcmp(cmd, "hash-token") == 0) return cmd_hash_token(argc - 1, argv + 1);
  if (strcmp(cmd, "verify") == 0) return cli_verify(argc - 1, argv + 1);
  if (strcmp(cmd, "backup") == 0) return cli_backup(argc - 1, argv + 1);
  if (strcmp(cmd, "export") == 0) return cli_export(argc - 1, argv + 1);
  if (strcmp(cmd, "purge") == 0) return cli_purge(argc - 1, argv + 1);
  if (strcmp(cmd, "register") == 0) return cli_register(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("casusd %s\n", CASUSD_VERSION);
    return 0;
  }
  fprintf(stderr, "casusd: unknown command '%s'\n\n%s", cmd, usage_main);
  return 2;
}
