/*
 * fixture.h -- what the store's unit tests share: temporary directories.
 */
#ifndef CASUS_TESTS_STORE_FIXTURE_H
#define CASUS_TESTS_STORE_FIXTURE_H

/* Makes a new directory /tmp/casus-store-XXXXXX into path. */
void tmpdir_make(char path[64]);
/* Removes a directory tree (the store directories are at most two deep). */
void tmpdir_remove(const char *path);

#endif
