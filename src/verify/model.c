/*
 * model.c -- what the verifier knows of a chart, read from its document:
 * the states in the engine's order (pre-order, children in document order,
 * as src/engine/index.c indexes them), the transitions with their JSON
 * paths, the roles, and what the chart's conditions, values and timers
 * read.  The last decides what a configuration's key keeps (key.c) and
 * which data fields are worth varying (sample.c): a case field nothing
 * reads cannot influence the future, a data field nothing reads or keeps
 * cannot either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "engine/engine.h"
#include "verify/verify_int.h"

static const char *const cond_ops[] = {"eq", "ne", "lt", "le", "gt", "ge", "in", "exists", "type"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

bool model_needs_holds(const vmodel_t *m) {
  size_t i;
  json_t *p;
  json_array_foreach(m->run_paths, i, p) {
    if (model_paths_overlap(json_string_value(p), "run.last")) return true;
  }
  return false;
}

bool model_paths_overlap(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la == lb) return strcmp(a, b) == 0;
  if (la < lb) return strncmp(a, b, la) == 0 && b[la] == '.';
  return strncmp(a, b, lb) == 0 && a[lb] == '.';
}

static int states_walk(vmodel_t *m, const char *name, const json_t *st, int parent, const char *path) {
  const char *cname, *type = json_string_value(json_object_get(st, "type"));
  json_t *child;
  int idx;
  if (m->states_count >= LIMIT_CHART_STATES_MAX) return CASUS_ECHART_INVALID; /* the loader refused it */
  idx = m->states_count++;
  m->states[idx].name = name;
  m->states[idx].parent = parent;
  m->states[idx].final = type != NULL && strcmp(type, "final") == 0;
  m->states[idx].parallel = type != NULL && strcmp(type, "parallel") == 0;
  m->states[idx].region = parent < 0 || m->states[parent].parallel ? idx : m->states[parent].region;
  snprintf(m->states[idx].path, sizeof(m->states[idx].path), "%s", path);
  json_object_foreach(json_object_get(st, "states"), cname, child) {
    char sub[VERIFY_PATH_BYTES_MAX];
    int rc;
    snprintf(sub, sizeof(sub), "%s.states.%s", path, cname);
    rc = states_walk(m, cname, child, idx, sub);
    if (rc != 0) return rc;
  }
  return 0;
}

int model_state_find(const vmodel_t *m, const char *name) {
  int i;
  if (name == NULL) return -1;
  for (i = 0; i < m->states_count; i++)
    if (strcmp(m->states[i].name, name) == 0) return i;
  return -1;
}

void model_active(const vmodel_t *m, const json_t *case_, bool *active) {
  size_t i;
  json_t *leaf;
  memset(active, 0, sizeof(bool) * (size_t)m->states_count);
  json_array_foreach(json_object_get(case_, "state"), i, leaf) {
    int s;
    for (s = model_state_find(m, json_string_value(leaf)); s >= 0; s = m->states[s].parent) active[s] = true;
  }
}

static void trans_add(vmodel_t *m, const json_t *t, int source, const char *path) {
  vtrans_t *tr = &m->trans[m->trans_count++];
  memset(tr, 0, sizeof(*tr));
  tr->json = t;
  tr->event = json_string_value(json_object_get(t, "event"));
  tr->source = source;
  {
    /* Cut to the buffer as snprintf would (the path is only shown); spelled
     * out, since a Release build's inlining turns snprintf's truncation into
     * a -Wformat-truncation error. */
    size_t n = strlen(path);
    if (n >= sizeof(tr->path)) n = sizeof(tr->path) - 1;
    memcpy(tr->path, path, n);
    tr->path[n] = '\0';
  }
}

static int ptr_cmp(const void *a, const void *b) {
  const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

int model_trans_find(const vmodel_t *m, const json_t *t) {
  const json_t **hit = t ? bsearch(&t, m->trans_by_ptr, (size_t)m->trans_count, sizeof(*hit), ptr_cmp) : NULL;
  return hit ? m->trans_by_ptr_index[hit - m->trans_by_ptr] : -1;
}

/* --- what the chart reads --- */

static bool is_cond_leaf(const json_t *node) {
  size_t k;
  if (!json_is_string(json_object_get(node, "path"))) return false;
  for (k = 0; k < COUNT(cond_ops); k++)
    if (json_object_get(node, cond_ops[k]) != NULL) return true;
  return false;
}

static bool is_path_to(const json_t *v, const char *path) {
  const char *p = json_string_value(json_object_get(v, "path"));
  return json_is_object(v) && p != NULL && strcmp(p, path) == 0;
}

/* Records that condition number id names the string literal v. */
static void literal_note(vmodel_t *m, const json_t *v, int id) {
  const char *text = json_string_value(v);
  json_t *ids;
  if (text == NULL) return;
  ids = json_object_get(m->literals, text);
  if (ids == NULL) {
    ids = json_array();
    json_object_set_new(m->literals, text, ids);
  }
  json_array_append_new(ids, json_integer(id));
}

/* Into out: what a comparison of left with arg compares "now" with. */
static void now_expr_note(json_t *out, const char *left, const json_t *arg) {
  if (strcmp(left, "now") == 0 && !is_path_to(arg, "now")) json_array_append(out, (json_t *)arg);
  if (is_path_to(arg, "now") && strcmp(left, "now") != 0 && strncmp(left, "data", 4) != 0)
    json_array_append_new(out, json_pack("{s:s}", "path", left));
}

static void now_node(const json_t *node, void *ud) {
  static const char *const ops[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  size_t k;
  if (!is_cond_leaf(node)) return;
  for (k = 0; k < COUNT(ops); k++) {
    const json_t *arg = json_object_get(node, ops[k]);
    if (arg != NULL) now_expr_note(ud, json_string_value(json_object_get(node, "path")), arg);
  }
}

static void no_path(const json_t *path, void *ud) {
  (void)path;
  (void)ud;
}

void model_now_exprs_collect(const json_t *node, json_t *out) {
  verify__reads_walk(node, now_node, no_path, out);
}

json_t *verify__in_items(const json_t *doc, const json_t *arg) {
  const json_t *spec = json_object_get(arg, "table"), *table, *cell, *item;
  const char *key, *column = json_string_value(json_object_get(spec, "column"));
  json_t *out, *row;
  size_t i, j;
  bool seen;
  if (json_is_array(arg)) return json_incref((json_t *)arg);
  out = json_array();
  table = json_object_get(json_object_get(doc, "tables"), json_string_value(json_object_get(spec, "name")));
  json_object_foreach((json_t *)table, key, row) {
    cell = column ? engine_path_get(row, column) : NULL;
    json_array_foreach(cell, i, item) {
      json_t *o;
      seen = false;
      json_array_foreach(out, j, o) {
        if (json_equal(o, item)) seen = true;
      }
      if (!seen) json_array_append(out, (json_t *)item);
    }
  }
  return out;
}

/* A condition {"path": P, op: arg, ...}: the strings it compares with (a
 * value's signature is the list of conditions that name it: values with
 * the same signature behave alike), the values it compares "now" with,
 * whether it compares actor ids. */
static void cond_leaf_note(vmodel_t *m, const json_t *node) {
  const char *left = json_string_value(json_object_get(node, "path")), *op;
  json_t *arg, *item;
  size_t i;
  json_object_foreach((json_t *)node, op, arg) {
    bool cmp = strcmp(op, "eq") == 0 || strcmp(op, "ne") == 0 || strcmp(op, "lt") == 0 ||
               strcmp(op, "le") == 0 || strcmp(op, "gt") == 0 || strcmp(op, "ge") == 0;
    int id = m->conds_count++;
    if (strcmp(op, "in") == 0) {
      json_t *items = verify__in_items(m->doc, arg);
      json_array_foreach(items, i, item) {
        literal_note(m, item, id);
      }
      json_decref(items);
      continue;
    }
    if (!cmp) continue;
    literal_note(m, arg, id);
    literal_note(m, json_object_get(arg, "literal"), id);
    now_expr_note(m->now_exprs, left, arg);
    if (strcmp(left, "actor.id") == 0 || is_path_to(arg, "actor.id")) m->compares_actor_id = true;
  }
}

/* Notes a path the chart reads (a condition's, a value's, a timer's "from"). */
static void read_note(vmodel_t *m, const char *p) {
  if (strcmp(p, "counters") == 0 || strcmp(p, "case.counters") == 0) {
    m->counters_all = true;
  } else if (strncmp(p, "counters.", 9) == 0 || strncmp(p, "case.counters.", 14) == 0) {
    char name[LIMIT_ID_BYTES_MAX];
    const char *rest = strncmp(p, "counters.", 9) == 0 ? p + 9 : p + 14, *dot = strchr(rest, '.');
    snprintf(name, sizeof(name), "%.*s", dot ? (int)(dot - rest) : (int)strlen(rest), rest);
    json_object_set_new(m->counters_read, name, json_true());
  } else if (strcmp(p, "case.flags") == 0 || strncmp(p, "case.flags.", 11) == 0 || strcmp(p, "case") == 0) {
    m->flags_all = true;
    if (strcmp(p, "case") == 0) m->kept_all_fields = m->counters_all = true;
  } else if (strcmp(p, "fields") == 0 || strcmp(p, "case") == 0 || strcmp(p, "case.fields") == 0) {
    m->kept_all_fields = true;
  } else if (strncmp(p, "fields.", 7) == 0) {
    json_array_append_new(m->kept, json_string(p));
  } else if (strncmp(p, "case.fields.", 12) == 0) {
    json_array_append_new(m->kept, json_string(p + 5));
  } else if (strncmp(p, "case.", 5) == 0) {
    json_array_append_new(m->kept, json_string(p));
  } else if (strcmp(p, "now_time") == 0) {
    m->reads_now_time = true;
  } else if (strncmp(p, "run.", 4) == 0) {
    json_array_append_new(m->run_paths, json_string(p));
  }
}

static void reads_walk_at(const json_t *node, verify_walk_node_fn on_node, verify_walk_path_fn on_path,
                          void *ud, int depth) {
  const char *key;
  json_t *v;
  size_t i;
  if (depth > VERIFY_WALK_DEPTH_MAX) return;
  if (json_is_array(node)) {
    json_array_foreach(node, i, v) {
      reads_walk_at(v, on_node, on_path, ud, depth + 1);
    }
    return;
  }
  if (!json_is_object(node)) return;
  if (on_node != NULL) on_node(node, ud);
  json_object_foreach((json_t *)node, key, v) {
    if ((strcmp(key, "path") == 0 || strcmp(key, "from") == 0) && json_is_string(v))
      on_path(v, ud);
    else
      reads_walk_at(v, on_node, on_path, ud, depth + 1);
  }
}

void verify__reads_walk(const json_t *node, verify_walk_node_fn on_node, verify_walk_path_fn on_path,
                        void *ud) {
  reads_walk_at(node, on_node, on_path, ud, 0);
}

bool verify__is_data_path(const char *p) {
  return p != NULL && (strcmp(p, "data") == 0 || strncmp(p, "data.", 5) == 0);
}

/* A {"table": {"name": T, "key": K, "column": C}} lookup: each key of table T names a kind of value of
 * K (rows with the same cell in column C are one kind), so that the explorer tries one value per kind
 * of row (e.g. one arrangement per maximum duration). */
static void table_lookup_note(vmodel_t *m, const json_t *spec) {
  const json_t *table =
      json_object_get(json_object_get(m->doc, "tables"), json_string_value(json_object_get(spec, "name")));
  const char *key, *other, *column = json_string_value(json_object_get(spec, "column"));
  json_t *row, *orow;
  json_object_foreach((json_t *)table, key, row) {
    int id = -1;
    json_t *k = json_string(key);
    const json_t *cell = column ? engine_path_get(row, column) : NULL;
    /* The first row with the same cell in the column looked up (in the object's order) gives the kind. */
    json_object_foreach((json_t *)table, other, orow) {
      const json_t *ocell = column ? engine_path_get(orow, column) : NULL;
      if (strcmp(other, key) == 0) break;
      if (ocell == cell || (ocell != NULL && cell != NULL && json_equal(ocell, cell))) {
        const json_t *ids = json_object_get(m->literals, other);
        id = (int)json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
        break;
      }
    }
    if (id < 0) id = m->conds_count++;
    literal_note(m, k, id);
    json_decref(k);
  }
}

/* The whole chart document: every condition is noted, every flag test. */
static void model_node_note(const json_t *node, void *ud) {
  vmodel_t *m = ud;
  if (is_cond_leaf(node)) cond_leaf_note(m, node);
  if (json_is_object(json_object_get(node, "table"))) table_lookup_note(m, json_object_get(node, "table"));
  if (json_is_string(json_object_get(node, "has_flag")))
    json_object_set_new(m->flags_read, json_string_value(json_object_get(node, "has_flag")), json_true());
}

/* Every "path" and every timer or date "from" is a read. */
static void model_path_note(const json_t *path, void *ud) {
  read_note(ud, json_string_value(path));
}

/* The data.* paths read by a state's entry and exit actions and timers
 * (the event's data is in scope there too), into the array ud. */
static void data_path_collect(const json_t *path, void *ud) {
  if (verify__is_data_path(json_string_value(path))) json_array_append(ud, (json_t *)path);
}

/* Roles' organisation fields that no create body holds: the server sets
 * them (the region, src/api/apply.c), so the explorer gives them a value. */
static void server_fields_find(vmodel_t *m) {
  const char *role, *field;
  json_t *decl, *t;
  size_t i;
  json_object_foreach(json_object_get(m->doc, "roles"), role, decl) {
    bool in_body = false;
    field = json_string_value(json_object_get(decl, "org_field"));
    if (field == NULL || strchr(field, '.') != NULL) continue;
    json_array_foreach(json_object_get(m->doc, "create"), i, t) {
      if (json_object_get(json_object_get(t, "data"), field) != NULL) in_body = true;
    }
    if (!in_body) {
      char value[LIMIT_ID_BYTES_MAX];
      snprintf(value, sizeof(value), "%s-1", field);
      json_object_set_new(m->server_fields, field, json_string(value));
    }
  }
}

static int json_str_cmp(const void *a, const void *b) {
  return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The strings of arr (or the keys of obj), sorted and each once: a new array. */
static json_t *sorted_set(const json_t *arr, const json_t *obj) {
  size_t n = json_array_size(arr) + json_object_size(obj), i, k = 0;
  json_t **items = calloc(n + 1, sizeof(json_t *)), *out = json_array(), *v;
  const char *key;
  if (items == NULL || out == NULL) {
    free(items);
    json_decref(out);
    return NULL;
  }
  json_array_foreach(arr, i, v) {
    items[k++] = json_incref(v);
  }
  json_object_foreach((json_t *)obj, key, v) {
    items[k++] = json_string(key);
  }
  qsort(items, k, sizeof(json_t *), json_str_cmp);
  for (i = 0; i < k; i++) {
    if (i == 0 || !json_equal(items[i], items[i - 1])) json_array_append(out, items[i]);
    json_decref(items[i]);
  }
  free(items);
  return out;
}

int model_init(vmodel_t *m, const engine_chart_t *chart, const calendar_t *cal) {
  const json_t *doc = engine_chart_json(chart);
  const char *role;
  json_t *t, *decl;
  size_t i;
  int s, k, rc;
  memset(m, 0, sizeof(*m));
  m->chart = chart;
  m->cal = cal;
  m->doc = doc;
  m->states = calloc(LIMIT_CHART_STATES_MAX, sizeof(*m->states));
  m->trans = calloc(LIMIT_CHART_TRANSITIONS_MAX, sizeof(*m->trans));
  m->roles = calloc(json_object_size(json_object_get(doc, "roles")) + 1, sizeof(*m->roles));
  m->kept = json_array();
  m->run_paths = json_array();
  m->counters_read = json_object();
  m->flags_read = json_object();
  m->literals = json_object();
  m->now_exprs = json_array();
  m->state_reads = json_array();
  m->server_fields = json_object();
  if (m->states == NULL || m->trans == NULL || m->roles == NULL || m->kept == NULL || m->run_paths == NULL ||
      m->counters_read == NULL || m->flags_read == NULL || m->literals == NULL || m->now_exprs == NULL ||
      m->state_reads == NULL || m->server_fields == NULL)
    return CASUS_ENOMEM;
  rc = states_walk(m, "root", json_object_get(doc, "root"), -1, "$.root");
  if (rc != 0) return rc;
  json_array_foreach(json_object_get(doc, "create"), i, t) {
    char path[VERIFY_PATH_BYTES_MAX];
    snprintf(path, sizeof(path), "$.create[%zu]", i);
    if (m->trans_count < LIMIT_CHART_TRANSITIONS_MAX) trans_add(m, t, -1, path);
  }
  for (s = 0; s < m->states_count; s++) {
    const json_t *st = engine_path_get(doc, m->states[s].path + 2); /* "$.root..." -> "root..." */
    json_array_foreach(json_object_get(st, "transitions"), i, t) {
      char path[VERIFY_PATH_BYTES_MAX + 48];
      snprintf(path, sizeof(path), "%s.transitions[%zu]", m->states[s].path, i);
      if (m->trans_count < LIMIT_CHART_TRANSITIONS_MAX) trans_add(m, t, s, path);
    }
    verify__reads_walk(json_object_get(st, "on_entry"), NULL, data_path_collect, m->state_reads);
    verify__reads_walk(json_object_get(st, "on_exit"), NULL, data_path_collect, m->state_reads);
    verify__reads_walk(json_object_get(st, "timers"), NULL, data_path_collect, m->state_reads);
  }
  /* Whether an event is refused in a state (409) can depend on its data
   * only through the "when" of its transitions. */
  for (k = 0; k < m->trans_count; k++) {
    json_t *reads = json_array();
    int j;
    verify__reads_walk(json_object_get(m->trans[k].json, "when"), NULL, data_path_collect, reads);
    for (j = 0; json_array_size(reads) > 0 && j < m->trans_count; j++)
      if (m->trans[j].event && m->trans[k].event && strcmp(m->trans[j].event, m->trans[k].event) == 0)
        m->trans[j].when_reads_data = true;
    json_decref(reads);
  }
  m->trans_by_ptr = calloc((size_t)m->trans_count + 1, sizeof(*m->trans_by_ptr));
  m->trans_by_ptr_index = calloc((size_t)m->trans_count + 1, sizeof(*m->trans_by_ptr_index));
  if (m->trans_by_ptr == NULL || m->trans_by_ptr_index == NULL) return CASUS_ENOMEM;
  for (k = 0; k < m->trans_count; k++) m->trans_by_ptr[k] = m->trans[k].json;
  qsort(m->trans_by_ptr, (size_t)m->trans_count, sizeof(*m->trans_by_ptr), ptr_cmp);
  for (k = 0; k < m->trans_count; k++) {
    int j;
    for (j = 0; j < m->trans_count; j++)
      if (m->trans[j].json == m->trans_by_ptr[k]) m->trans_by_ptr_index[k] = j;
  }
  json_object_foreach(json_object_get(doc, "roles"), role, decl) {
    const char *field;
    char path[LIMIT_ID_BYTES_MAX + 8];
    m->roles[m->roles_count++] = role;
    /* The organisation and the person a role acts for decide who acts. */
    if ((field = json_string_value(json_object_get(decl, "org_field"))) != NULL) {
      snprintf(path, sizeof(path), "fields.%s", field);
      json_array_append_new(m->kept, json_string(path));
    }
    if ((field = json_string_value(json_object_get(decl, "actor_field"))) != NULL) {
      snprintf(path, sizeof(path), "fields.%s", field);
      json_array_append_new(m->kept, json_string(path));
    }
  }
  verify__reads_walk(doc, model_node_note, model_path_note, m);
  server_fields_find(m);
  /* The key writes them in one order, each once. */
  {
    json_t *kept = sorted_set(m->kept, NULL), *runs = sorted_set(m->run_paths, NULL);
    m->counters_sorted = sorted_set(NULL, m->counters_read);
    m->flags_sorted = sorted_set(NULL, m->flags_read);
    json_decref(m->kept);
    json_decref(m->run_paths);
    m->kept = kept;
    m->run_paths = runs;
    if (kept == NULL || runs == NULL || m->counters_sorted == NULL || m->flags_sorted == NULL)
      return CASUS_ENOMEM;
  }
  return 0;
}

void model_free(vmodel_t *m) {
  int k;
  for (k = 0; m->trans && k < m->trans_count; k++) sample_plan_free(m->trans[k].plan);
  free(m->states);
  free(m->trans);
  free(m->trans_by_ptr);
  free(m->trans_by_ptr_index);
  free(m->roles);
  json_decref(m->kept);
  json_decref(m->run_paths);
  json_decref(m->counters_read);
  json_decref(m->flags_read);
  json_decref(m->counters_sorted);
  json_decref(m->flags_sorted);
  json_decref(m->literals);
  json_decref(m->now_exprs);
  json_decref(m->state_reads);
  json_decref(m->server_fields);
  free(m->state_in_key);
  json_decref(m->timers_in_key);
  json_decref(m->events_fired);
  memset(m, 0, sizeof(*m));
}

/* --- actors --- */

static const char *field_str(const json_t *case_, const char *field) {
  char path[LIMIT_ID_BYTES_MAX + 8];
  if (field == NULL) return NULL;
  snprintf(path, sizeof(path), "fields.%s", field);
  return json_string_value(engine_path_get(case_, path));
}

int model_actors(const vmodel_t *m, const json_t *case_, const char *role, engine_actor_t *out,
                 char buf[VERIFY_ACTORS_MAX][2][LIMIT_ID_BYTES_MAX]) {
  const json_t *decl = engine_chart_role(m->chart, role);
  const char *org = field_str(case_, json_string_value(json_object_get(decl, "org_field")));
  const char *who = field_str(case_, json_string_value(json_object_get(decl, "actor_field")));
  int n = 0, k, kept = 0;
  if (org != NULL) {
    snprintf(buf[n][0], LIMIT_ID_BYTES_MAX, "%s:member", role);
    snprintf(buf[n][1], LIMIT_ID_BYTES_MAX, "%s", org);
    n++;
    if (m->compares_actor_id) {
      snprintf(buf[n][0], LIMIT_ID_BYTES_MAX, "%s:member2", role);
      snprintf(buf[n][1], LIMIT_ID_BYTES_MAX, "%s", org);
      n++;
    }
  }
  if (who != NULL) {
    /* The person assigned to the case, from another organisation (a GI's). */
    snprintf(buf[n][0], LIMIT_ID_BYTES_MAX, "%s", who);
    snprintf(buf[n][1], LIMIT_ID_BYTES_MAX, "%s:elsewhere", role);
    n++;
  }
  for (k = 0; k < n; k++) {
    auth_actor_t a;
    memset(&a, 0, sizeof(a));
    snprintf(a.id, sizeof(a.id), "%s", buf[k][0]);
    snprintf(a.role, sizeof(a.role), "%s", role);
    snprintf(a.org, sizeof(a.org), "%s", buf[k][1]);
    /* R-AUTH-2 as the server applies it: only who sees the case acts on it. */
    if (!auth_case_visible(m->chart, &a, case_)) continue;
    out[kept].id = buf[k][0];
    out[kept].role = role;
    out[kept].org = buf[k][1];
    kept++;
  }
  return kept;
}
