/*
 * case_record.c -- writing a case: its record, serialised once, and the
 * terms the store indexes it by (store.h, store_case_rec_t).
 *
 * What a case is indexed by is data, not C:
 *   - its visibility scopes: for every role the chart declares, the value of
 *     the role's "actor_field", "org_field" and "delegate_org_field" on the
 *     case, as "a:<field>=<value>" and "o:<field>=<value>" (read as auth.c
 *     reads them: a member of "fields"); for a role that sees a case only
 *     once notified ("visible_after_notice", R-PRIV-1), "n:<role>=<org>"
 *     instead of its org scope, and only when the case carries the engine's
 *     marker "notified".<role>;  a caller's scopes are built the same way from
 *     its id and organisation over every loaded chart (api__actor_scopes), so
 *     a list only walks the entries of cases filed under what the caller may
 *     see (R-AUTH-2).  Charts may give one role different fields, so a list
 *     still asks auth_case_visible of every case before it shows it;
 *   - "status", every "flag", and every list filter of the chart's "index"
 *     declaration (filter name -> field path);
 *   - the earliest open deadline (the start of the earliest timer's due day)
 *     and the time of the last write (the clock at the write, so that a late
 *     timer, whose event is dated at its due time, still shows up for a
 *     client that polls with updated_after), as ranges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/error.h"
#include "core/jsonbody.h"
#include "core/log.h"

/* Adds scope "<kind>:<field>=<value>" to scopes (deduplicated), stored in
 * buf.  False when it does not fit (too many, too long). */
static bool scope_add(const char **scopes, size_t *count, char (*buf)[API_SCOPE_BYTES_MAX], char kind,
                      const char *field, const char *value) {
  size_t i;
  int n;
  if (field == NULL || value == NULL) return true;
  if (*count >= STORE_SCOPES_MAX) return false;
  n = snprintf(buf[*count], API_SCOPE_BYTES_MAX, "%c:%s=%s", kind, field, value);
  if (n < 0 || n >= API_SCOPE_BYTES_MAX) return false;
  for (i = 0; i < *count; i++)
    if (strcmp(scopes[i], buf[*count]) == 0) return true;
  scopes[*count] = buf[*count];
  (*count)++;
  return true;
}

/* A member of the case's fields by name, as auth_case_visible reads it. */
static const char *case_member(const json_t *case_, const char *name) {
  return name ? json_string_value(json_object_get(json_object_get(case_, "fields"), name)) : NULL;
}

/* A value at a dotted path below the case's fields (the chart's "index"). */
static const char *case_field(const json_t *case_, const char *path) {
  return path ? json_string_value(engine_path_get(json_object_get(case_, "fields"), path)) : NULL;
}

/* The (kind, field) pairs a role declaration scopes by, at most 3: its
 * actor field ('a'), its org field ('o', or 'n' with the role's name for a
 * role that sees only the cases that notified it) and its delegate org
 * field ('o').  Missing ones are NULL. */
static void role_scope_fields(const char *role, const json_t *decl, char kinds[3], const char *fields[3]) {
  bool notice = json_is_true(json_object_get(decl, "visible_after_notice"));
  kinds[0] = 'a';
  fields[0] = json_string_value(json_object_get(decl, "actor_field"));
  kinds[1] = notice ? 'n' : 'o';
  fields[1] = notice ? role : json_string_value(json_object_get(decl, "org_field"));
  kinds[2] = 'o';
  fields[2] = json_string_value(json_object_get(decl, "delegate_org_field"));
}

size_t api__actor_scopes(const api_t *api, const auth_actor_t *actor, const char **scopes,
                         char (*buf)[API_SCOPE_BYTES_MAX]) {
  size_t count = 0;
  int i;
  for (i = 0; i < api->charts_count; i++) {
    const json_t *decl = engine_chart_role(api->charts[i], actor->role);
    char kinds[3];
    const char *fields[3];
    if (decl == NULL) continue;
    role_scope_fields(actor->role, decl, kinds, fields);
    /* Too many cannot happen: api__charts_scopes_check refused such charts at
     * start.  One too long cannot be on any stored case either. */
    (void)scope_add(scopes, &count, buf, kinds[0], fields[0], actor->id);
    (void)scope_add(scopes, &count, buf, kinds[1], fields[1], actor->org);
    (void)scope_add(scopes, &count, buf, kinds[2], fields[2], actor->org);
  }
  return count;
}

int api__case_damaged(api_t *api, store_txn_t *txn, const auth_actor_t *actor, const char *id) {
  char scope_buf[STORE_SCOPES_MAX][API_SCOPE_BYTES_MAX];
  const char *scopes[STORE_SCOPES_MAX];
  size_t n = api__actor_scopes(api, actor, scopes, scope_buf);
  /* The record cannot say who may see it; the index it is filed in can,
   * as it does for lists.  That is the scopes, not the finer per-role
   * fields auth_case_visible reads: a caller who shares a scope with the
   * case learns that it exists and is damaged, which a list would have
   * shown them anyway. */
  int rc = store_case_scoped(txn, id, scopes, n);
  if (rc == 0) return CASUS_ENOT_FOUND;
  core_log("error",
           "case %s is damaged (its record does not parse, or does not match its index record): %s gets 500 "
           "store_corrupt; run casusd verify",
           id, actor->id);
  return CASUS_ESTORE_CORRUPT;
}

int api__case_put(api_t *api, store_txn_t *txn, const engine_chart_t *chart, const json_t *case_) {
  char scope_buf[STORE_SCOPES_MAX][API_SCOPE_BYTES_MAX], gezin_scope[API_SCOPE_BYTES_MAX],
      linked_scope[2][API_SCOPE_BYTES_MAX];
  store_case_rec_t rec;
  const char *role, *name;
  const json_t *decl, *path, *flag, *t;
  char *json;
  size_t i;
  int rc;
  memset(&rec, 0, sizeof(rec));
  rec.id = json_string_value(json_object_get(case_, "id"));
  rec.timers = json_object_get(case_, "timers");
  json_object_foreach((json_t *)json_object_get(engine_chart_json(chart), "roles"), role, decl) {
    const char *of = json_string_value(json_object_get(decl, "org_field"));
    char kinds[3];
    const char *fields[3];
    role_scope_fields(role, decl, kinds, fields);
    /* A role that sees only what notified it is filed under the case's
     * organisation for it once the marker is there (R-PRIV-1). */
    if (!scope_add(rec.scopes, &rec.scopes_count, scope_buf, kinds[0], fields[0],
                   case_member(case_, fields[0])) ||
        !scope_add(rec.scopes, &rec.scopes_count, scope_buf, kinds[1], fields[1],
                   kinds[1] == 'n' ? (json_object_get(json_object_get(case_, "notified"), role) != NULL
                                          ? case_member(case_, of)
                                          : NULL)
                                   : case_member(case_, fields[1])) ||
        !scope_add(rec.scopes, &rec.scopes_count, scope_buf, kinds[2], fields[2],
                   case_member(case_, fields[2])))
      return CASUS_EINVALID_DATA;
  }
  /* A gezin's cases are found together, whoever asks (gezin.c). */
  if (api__gezin_scope(chart, json_object_get(case_, "fields"), gezin_scope, sizeof(gezin_scope))) {
    if (rec.scopes_count >= STORE_SCOPES_MAX) return CASUS_EINVALID_DATA;
    rec.scopes[rec.scopes_count++] = gezin_scope;
  }
  /* And its linked cases' keys (linked.c): the gezin's is the one above. */
  {
    const char *gezin_field =
        json_string_value(json_object_get(json_object_get(engine_chart_json(chart), "gezin"), "field"));
    size_t n = 0;
    json_array_foreach(json_object_get(json_object_get(engine_chart_json(chart), "linked_cases"), "by"), i,
                       path) {
      const char *p = json_string_value(path);
      if (n >= 2 || p == NULL || (gezin_field != NULL && strcmp(p, gezin_field) == 0)) continue;
      if (!api__linked_scope(chart, json_object_get(case_, "fields"), p, linked_scope[n],
                             API_SCOPE_BYTES_MAX))
        continue;
      if (rec.scopes_count >= STORE_SCOPES_MAX) return CASUS_EINVALID_DATA;
      rec.scopes[rec.scopes_count++] = linked_scope[n++];
    }
  }
  if (json_is_string(json_object_get(case_, "status")))
    rec.attrs[rec.attrs_count++] =
        (store_attr_t){"status", json_string_value(json_object_get(case_, "status"))};
  json_array_foreach(json_object_get(case_, "flags"), i, flag) {
    if (!json_is_string(flag)) continue;
    if (rec.attrs_count >= STORE_ATTRS_MAX) return CASUS_EINVALID_DATA;
    rec.attrs[rec.attrs_count++] = (store_attr_t){"flag", json_string_value(flag)};
  }
  json_object_foreach((json_t *)engine_chart_index(chart), name, path) {
    const char *v = case_field(case_, json_string_value(path));
    if (v == NULL) continue;
    if (rec.attrs_count >= STORE_ATTRS_MAX) return CASUS_EINVALID_DATA;
    rec.attrs[rec.attrs_count++] = (store_attr_t){name, v};
  }
  rec.deadline_s = STORE_TIME_NONE;
  json_object_foreach((json_t *)rec.timers, name, t) {
    cal_day_t day;
    const char *due = json_string_value(json_object_get(t, "due"));
    int64_t s;
    if (due == NULL || cal_day_parse(due, &day) != 0) continue;
    s = cal_local_midnight(day);
    if (rec.deadline_s == STORE_TIME_NONE || s < rec.deadline_s) rec.deadline_s = s;
  }
  rec.updated_s = timers_now(api->timers);
  api__case_count_labels(case_, &rec.status, &rec.region);
  json = core_json_dumps(case_, JSON_COMPACT);
  if (json == NULL) return CASUS_ENOMEM;
  rec.json = json;
  rec.json_bytes = strlen(json);
  rc = store_case_put(txn, &rec);
  free(json);
  return rc;
}

/* Adds the kind and field to a set of at most max distinct ones (NULL
 * field: nothing).  False when a new one does not fit. */
static bool field_set_add(const char **fields, char *kinds, size_t *count, size_t max, char kind,
                          const char *field) {
  size_t i;
  if (field == NULL) return true;
  for (i = 0; i < *count; i++)
    if (kinds[i] == kind && strcmp(fields[i], field) == 0) return true;
  if (*count >= max) return false;
  kinds[*count] = kind;
  fields[(*count)++] = field;
  return true;
}

int api__charts_scopes_check(const api_t *api, char *err, size_t err_size) {
  const char *fields[STORE_SCOPES_MAX];
  char kinds[STORE_SCOPES_MAX];
  size_t count;
  int i, j;
  for (i = 0; i < api->charts_count; i++) {
    const char *role;
    const json_t *decl;
    /* A case carries a scope per distinct role field of its chart. */
    count = 0;
    json_object_foreach((json_t *)json_object_get(engine_chart_json(api->charts[i]), "roles"), role, decl) {
      char rk[3];
      const char *rf[3];
      role_scope_fields(role, decl, rk, rf);
      if (!field_set_add(fields, kinds, &count, STORE_SCOPES_MAX, rk[0], rf[0]) ||
          !field_set_add(fields, kinds, &count, STORE_SCOPES_MAX, rk[1], rf[1]) ||
          !field_set_add(fields, kinds, &count, STORE_SCOPES_MAX, rk[2], rf[2])) {
        snprintf(err, err_size, "chart %s: its roles name more than %d distinct visibility fields",
                 engine_chart_ref(api->charts[i]), STORE_SCOPES_MAX);
        return CASUS_ECHART_INVALID;
      }
    }
    /* And one more for its gezin (gezin.c). */
    if (count + (json_object_get(engine_chart_json(api->charts[i]), "gezin") != NULL ? 1 : 0) +
            api__linked_scopes_count(api->charts[i]) >
        STORE_SCOPES_MAX) {
      snprintf(err, err_size,
               "chart %s: its roles and its gezin name more than %d distinct visibility fields",
               engine_chart_ref(api->charts[i]), STORE_SCOPES_MAX);
      return CASUS_ECHART_INVALID;
    }
    /* A caller carries a scope per distinct field its role has in any chart. */
    json_object_foreach((json_t *)json_object_get(engine_chart_json(api->charts[i]), "roles"), role, decl) {
      count = 0;
      for (j = 0; j < api->charts_count; j++) {
        const json_t *other = engine_chart_role(api->charts[j], role);
        char rk[3];
        const char *rf[3];
        if (other == NULL) continue;
        role_scope_fields(role, other, rk, rf);
        if (!field_set_add(fields, kinds, &count, STORE_SCOPES_MAX, rk[0], rf[0]) ||
            !field_set_add(fields, kinds, &count, STORE_SCOPES_MAX, rk[1], rf[1]) ||
            !field_set_add(fields, kinds, &count, STORE_SCOPES_MAX, rk[2], rf[2])) {
          snprintf(err, err_size,
                   "role \"%s\" names more than %d distinct visibility fields over the loaded charts; a case "
                   "list could not scope it",
                   role, STORE_SCOPES_MAX);
          return CASUS_ECHART_INVALID;
        }
      }
    }
  }
  return 0;
}

typedef struct {
  char ids[API_REINDEX_CHUNK][LIMIT_ID_BYTES_MAX];
  int count;
} reindex_chunk_t;

static int reindex_collect(const json_t *case_, void *ud) {
  reindex_chunk_t *ch = ud;
  snprintf(ch->ids[ch->count++], LIMIT_ID_BYTES_MAX, "%s", json_string_value(json_object_get(case_, "id")));
  return ch->count >= API_REINDEX_CHUNK ? 1 : 0;
}

int api__cases_reindex(api_t *api) {
  static reindex_chunk_t chunk; /* start-up only, loop thread */
  char after[LIMIT_ID_BYTES_MAX] = "";
  uint64_t done = 0;
  store_txn_t *txn;
  int rc, i;
  if (!store_reindex_needed(api->store)) return 0;
  core_log("info", "this store was written by an older casusd: building its case indexes");
  for (;;) {
    rc = store_txn_begin(api->store, true, &txn);
    if (rc != 0) return rc;
    chunk.count = 0;
    rc = store_case_scan(txn, after, reindex_collect, &chunk);
    for (i = 0; rc == 0 && i < chunk.count; i++) {
      json_t *case_ = NULL;
      const engine_chart_t *chart;
      rc = store_case_get(txn, chunk.ids[i], &case_);
      if (rc != 0) break;
      chart = api__chart_by_ref(api, json_string_value(json_object_get(case_, "chart")));
      if (chart == NULL) {
        core_log("warn", "case %s names chart %s, which is not loaded", chunk.ids[i],
                 json_string_value(json_object_get(case_, "chart")));
        rc = CASUS_ECHART_INVALID;
      } else {
        rc = api__case_put(api, txn, chart, case_);
      }
      json_decref(case_);
    }
    if (rc == 0 && chunk.count < API_REINDEX_CHUNK) rc = store_reindex_finish(txn);
    if (rc != 0) {
      store_txn_abort(txn);
      return rc;
    }
    rc = store_txn_commit(txn);
    if (rc != 0) return rc;
    done += (uint64_t)chunk.count;
    if (chunk.count < API_REINDEX_CHUNK) break;
    snprintf(after, sizeof(after), "%s", chunk.ids[chunk.count - 1]);
  }
  core_log("info", "indexed %llu cases", (unsigned long long)done);
  return 0;
}

void api__case_count_labels(const json_t *case_, const char **status, const char **region) {
  *status = json_string_value(json_object_get(case_, "status"));
  *region = json_string_value(json_object_get(json_object_get(case_, "fields"), "regio"));
  if (*status == NULL) *status = "";
  if (*region == NULL) *region = "";
}

/* Counts a case of the rebuild (store_case_scan's callback). */
static int counts_case(const json_t *case_, void *ud) {
  store_txn_t *txn = ud;
  const char *status, *region;
  api__case_count_labels(case_, &status, &region);
  return store_count_case(txn, json_string_value(json_object_get(case_, "id")), status, region);
}

int api__counts_rebuild(api_t *api) {
  store_txn_t *txn;
  int rc;
  if (!store_counts_needed(api->store)) return 0;
  core_log("info", "this store was written by an older casusd: counting its cases and tasks for the metrics");
  /* One write transaction: the rebuild writes a record per case and a few
   * counts; an interruption leaves the marker unset, and the next start
   * begins again. */
  rc = store_txn_begin(api->store, true, &txn);
  if (rc != 0) return rc;
  rc = store_counts_rebuild_begin(txn);
  if (rc == 0) rc = store_case_scan(txn, NULL, counts_case, txn);
  if (rc == 0) rc = store_counts_rebuild_finish(txn);
  if (rc != 0) {
    store_txn_abort(txn);
    return rc;
  }
  rc = store_txn_commit(txn);
  if (rc == 0) core_log("info", "counted the cases and tasks for the metrics");
  return rc;
}
