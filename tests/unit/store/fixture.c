/*
 * fixture.c -- temporary directories for the store's unit tests.
 */
#include "fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

void tmpdir_make(char path[64]) {
  snprintf(path, 64, "/tmp/casus-store-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(path));
}

void tmpdir_remove(const char *path) {
  DIR *d = opendir(path);
  struct dirent *ent;
  if (d == NULL) return;
  while ((ent = readdir(d)) != NULL) {
    char child[512];
    struct stat sb;
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    snprintf(child, sizeof(child), "%s/%s", path, ent->d_name);
    if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode))
      tmpdir_remove(child);
    else
      unlink(child);
  }
  closedir(d);
  rmdir(path);
}
