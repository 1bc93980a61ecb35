/*
 * cli.h -- the commands of the casusd command line (src/cli/), called by
 * main.c with argv[0] the command's name.  Each returns the process's exit
 * status: 0 done, 1 a finding (a failed check, a case not destroyed), 2
 * wrong options or unusable input; each prints its own --help.
 */
#ifndef CASUS_CLI_H
#define CASUS_CLI_H

#include <stdbool.h>

int cli_serve(int argc, char **argv);      /* cli_serve.c */
int cli_statechart(int argc, char **argv); /* cli_statechart.c: check, export, verify */
int cli_catalog(int argc, char **argv);    /* cli_statechart.c: catalog check */
int cli_verify(int argc, char **argv);     /* cli_store.c */
int cli_backup(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_purge(int argc, char **argv);
int cli_register(int argc, char **argv);

/* cli.c: whether --help or -h is among argv[1..]; a decimal count in
 * [min, max] from s into *out (0), or -1. */
bool cli_wants_help(int argc, char **argv);
int cli_parse_count(const char *s, long min, long max, long *out);

#endif
