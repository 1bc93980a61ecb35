/*
 * fuzz_chart.c -- libFuzzer harness for the statechart loader
 * (src/engine/chart.c and the validators of the layers below it: index.c,
 * value.c, cond.c, schema.c, action.c): arbitrary bytes are parsed as JSON
 * the way charts are read (duplicate keys refused) and handed to
 * engine_chart_check and engine_chart_load.
 *
 * Oracles besides ASan/UBSan: check and load agree (load succeeds exactly
 * when check finds no problem), every problem has a NUL-terminated path and
 * message, and a chart that loads can be exported as Graphviz and Mermaid
 * text and used: a case is created through each of its create transitions'
 * roles with an empty body on the Dutch calendar (refusals are fine;
 * crashes are not).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "core/embedded.h"
#include "core/error.h"
#include "core/limits.h"
#include "engine/engine.h"

#define FUZZ_CHECK(c, ...)                                                              \
  do {                                                                                  \
    if (!(c)) {                                                                         \
      fprintf(stderr, "fuzz_chart: %s:%d: check failed: %s: ", __FILE__, __LINE__, #c); \
      fprintf(stderr, __VA_ARGS__);                                                     \
      fprintf(stderr, "\n");                                                            \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

static calendar_t cal;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const embedded_file_t *f;
  (void)argc;
  (void)argv;
  for (f = embedded_files; f->path != NULL; f++) {
    if (strcmp(f->path, "calendars/nl.json") == 0) {
      json_t *doc = json_loadb(f->data, f->bytes, 0, NULL);
      FUZZ_CHECK(doc != NULL && calendar_load(&cal, doc, NULL, NULL, 0) == 0, "calendar");
      json_decref(doc);
      return 0;
    }
  }
  FUZZ_CHECK(0, "calendars/nl.json is not embedded");
  return 0;
}

static void problems_check(const engine_problems_t *p) {
  int i;
  FUZZ_CHECK(p->count >= 0 && p->count <= ENGINE_PROBLEMS_MAX, "count %d", p->count);
  for (i = 0; i < p->count; i++) {
    FUZZ_CHECK(memchr(p->items[i].path, '\0', sizeof p->items[i].path) != NULL, "path not terminated");
    FUZZ_CHECK(memchr(p->items[i].message, '\0', sizeof p->items[i].message) != NULL,
               "message not terminated");
    FUZZ_CHECK(p->items[i].message[0] != '\0', "empty message");
  }
}

/* Uses a chart that loaded: export it and create a case as each of its roles. */
static void chart_use(const engine_chart_t *chart) {
  static const char *const formats[] = {"dot", "mermaid"};
  const char *role;
  json_t *v, *body = json_object();
  size_t i;
  for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
    char *text = NULL;
    int rc = engine_chart_export(chart, formats[i], &text);
    FUZZ_CHECK(rc == 0 && text != NULL, "export %s: %d", formats[i], rc);
    free(text);
  }
  FUZZ_CHECK(engine_chart_id(chart)[0] != '\0', "no id");
  json_object_foreach((json_t *)json_object_get(engine_chart_json(chart), "roles"), role, v) {
    engine_ctx_t ctx = {chart, &cal, 1806537600, NULL, NULL}; /* 2027-04-01 */
    engine_actor_t actor = {"fuzz-actor", role, "org"};
    engine_result_t res;
    int rc = engine_case_create(&ctx, "c-1", body, NULL, &actor, &res);
    FUZZ_CHECK(rc == res.err, "rc %d, err %d", rc, res.err);
    if (rc == 0) {
      json_t *allowed = engine_allowed_events(chart, res.case_, role, ctx.now_s, NULL);
      FUZZ_CHECK(json_is_array(allowed), "allowed events");
      json_decref(allowed);
    }
    engine_result_clear(&res);
  }
  json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  engine_problems_t p1, p2;
  engine_chart_t *chart = NULL;
  json_t *doc;
  int n, rc;
  if (size > LIMIT_CHART_BYTES_MAX) return -1;
  doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  if (doc == NULL) return 0;
  n = engine_chart_check(doc, &p1);
  problems_check(&p1);
  FUZZ_CHECK(n == p1.count, "check returned %d, %d problems", n, p1.count);
  rc = engine_chart_load(doc, &chart, &p2);
  problems_check(&p2);
  FUZZ_CHECK(p1.count == p2.count, "check found %d problems, load %d", p1.count, p2.count);
  FUZZ_CHECK((rc == 0) == (p2.count == 0), "load %d with %d problems", rc, p2.count);
  FUZZ_CHECK((rc == 0) == (chart != NULL), "load %d, chart %p", rc, (void *)chart);
  if (chart != NULL) chart_use(chart);
  engine_chart_free(chart);
  json_decref(doc);
  return 0;
}
