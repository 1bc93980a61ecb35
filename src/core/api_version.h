/*
 * api_version.h -- the version of the HTTP API: the `API-Version` header of
 * every response (src/http/server.c) and `info.version` of docs/openapi.json
 * (scripts/openapi.py reads it from here; a test fails when they differ).
 */
#ifndef CASUS_CORE_API_VERSION_H
#define CASUS_CORE_API_VERSION_H

#define CASUS_API_VERSION "1.0.0"

#endif
