/*
 * sample.c -- the data the explorer sends with an event, drawn from the
 * transition's schema.
 *
 * Each field of the schema (nested objects field by field) is a dimension
 * with a few choices:
 *   - a field nothing reads keeps one value (required) or stays absent:
 *     only fields that the transition's conditions, values or timers read,
 *     or that it copies into a case field the chart reads (for a create
 *     entry, the whole body becomes the case's fields), can change what
 *     happens next;
 *   - enum: one value of each kind, values being of a kind when the same
 *     conditions of the chart name them (and the values no condition names
 *     are of one kind);
 *   - boolean: true and false;
 *   - date: for each comparison of the transition's conditions, the two
 *     sides of its boundary (a field compared "le" with a date d: d, where
 *     it still holds, and d + 1, where it fails); today when it is compared
 *     with nothing;
 *   - string: one that differs from everything it is compared with, and
 *     each value it is compared with (a literal, or a case field's value);
 *   - integer, number: the minimum (or 0), both sides of each boundary,
 *     the maximum;
 *   - array: its minimum and maximum number of items; object without
 *     properties: {}; datetime: now; any: a string;
 *   - absent too, when the field is optional.
 * The comparisons are evaluated with the engine on the case at hand, with
 * the first choice of every field as the data.  When the product of the
 * choices is at most LIMIT_VERIFY_SAMPLES_MAX every combination is tried;
 * otherwise rows are added greedily until every pair of choices of two
 * fields appears in some row (pairwise coverage) or the limit is reached,
 * and the transition records that it was capped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "verify/verify_int.h"

typedef struct {
  char path[VERIFY_PATH_BYTES_MAX]; /* "data.a.b" */
  const char *name;                 /* the last segment */
  const json_t *spec;
  int parent; /* the enclosing object's dimension, -1 at the top */
  bool object, required, relevant;
  json_t *comparands; /* value expressions the field is compared with */
} vdim_t;

struct vplan_s {
  vdim_t *dims;
  int count;
  bool none; /* no schema: the event goes without data */
};

#define CHOICES_MAX LIMIT_VERIFY_FIELD_CHOICES_MAX

/* The choices of one dimension: values (new references), NULL for absent;
 * an object's "present" is json true. */
typedef struct {
  json_t *v[CHOICES_MAX];
  int n;
} vchoices_t;

void sample_plan_free(vplan_t *plan) {
  int i;
  if (plan == NULL) return;
  for (i = 0; i < plan->count; i++) json_decref(plan->dims[i].comparands);
  free(plan->dims);
  free(plan);
}

/* --- the plan: dimensions, what the transition reads --- */

static int dims_add(vplan_t *plan, int *cap, const json_t *schema, const char *prefix, int parent,
                    int depth) {
  const char *name;
  json_t *spec;
  if (depth > 8) return 0;
  json_object_foreach((json_t *)schema, name, spec) {
    vdim_t *d;
    int idx;
    if (plan->count == *cap) {
      vdim_t *more = realloc(plan->dims, sizeof(*more) * (size_t)(*cap * 2 + 8));
      if (more == NULL) return CASUS_ENOMEM;
      plan->dims = more;
      *cap = *cap * 2 + 8;
    }
    idx = plan->count++;
    d = &plan->dims[idx];
    memset(d, 0, sizeof(*d));
    if (snprintf(d->path, sizeof(d->path), "%s.%s", prefix, name) >= (int)sizeof(d->path))
      d->path[sizeof(d->path) - 1] = '\0'; /* cut, as shown; the field is still drawn by its spec */
    d->name = name;
    d->spec = spec;
    d->parent = parent;
    d->required = json_is_true(json_object_get(spec, "required"));
    d->object = json_is_object(json_object_get(spec, "properties"));
    d->comparands = json_array();
    if (d->comparands == NULL) return CASUS_ENOMEM;
    if (d->object) {
      char sub[VERIFY_PATH_BYTES_MAX];
      int rc;
      snprintf(sub, sizeof(sub), "%s", d->path);
      rc = dims_add(plan, cap, json_object_get(spec, "properties"), sub, idx, depth + 1);
      if (rc != 0) return rc;
    }
  }
  return 0;
}

static vdim_t *dim_find(vplan_t *plan, const char *path) {
  int i;
  for (i = 0; i < plan->count; i++)
    if (strcmp(plan->dims[i].path, path) == 0) return &plan->dims[i];
  return NULL;
}

typedef struct {
  const json_t *doc; /* the chart (borrowed): the tables an "in" may name */
  vplan_t *plan;
  json_t *reads;  /* data paths read */
  json_t *copies; /* [[case field, data path], ...] */
} vreads_t;

/* The operator that holds for (b, a) when op holds for (a, b). */
static const char *op_flip(const char *op) {
  if (strcmp(op, "lt") == 0) return "gt";
  if (strcmp(op, "gt") == 0) return "lt";
  if (strcmp(op, "le") == 0) return "ge";
  if (strcmp(op, "ge") == 0) return "le";
  return op;
}

/* A condition {"path": L, op: arg}: the comparisons of data fields, each
 * kept as [op, value expression] from the field's side. */
static void cond_leaf_comparands(vreads_t *r, const json_t *node) {
  const char *left = json_string_value(json_object_get(node, "path")), *op;
  json_t *arg, *item;
  size_t i;
  json_object_foreach((json_t *)node, op, arg) {
    const char *right = json_string_value(json_object_get(arg, "path"));
    vdim_t *d;
    if (strcmp(op, "in") == 0) {
      json_t *items = verify__in_items(r->doc, arg);
      d = dim_find(r->plan, left);
      json_array_foreach(items, i, item) {
        if (d != NULL) json_array_append_new(d->comparands, json_pack("[s, {s:O}]", "eq", "literal", item));
      }
      json_decref(items);
      continue;
    }
    if (strcmp(op, "eq") != 0 && strcmp(op, "ne") != 0 && strcmp(op, "lt") != 0 && strcmp(op, "le") != 0 &&
        strcmp(op, "gt") != 0 && strcmp(op, "ge") != 0)
      continue;
    if ((d = dim_find(r->plan, left)) != NULL)
      json_array_append_new(d->comparands, json_pack("[s, O]", op, arg));
    if (json_is_object(arg) && right != NULL && (d = dim_find(r->plan, right)) != NULL)
      json_array_append_new(d->comparands, json_pack("[s, {s:s}]", op_flip(op), "path", left));
  }
}

/* The comparisons of a condition leaf, for the data fields it compares. */
static void sample_node_note(const json_t *node, void *ud) {
  if (json_is_string(json_object_get(node, "path")) && json_object_size(node) > 1)
    cond_leaf_comparands(ud, node);
}

/* Every data path, a read. */
static void sample_path_note(const json_t *path, void *ud) {
  vreads_t *r = ud;
  if (verify__is_data_path(json_string_value(path))) json_array_append(r->reads, (json_t *)path);
}

/* Every data path below node, and the comparisons of its conditions. */
static void reads_walk(vreads_t *r, const json_t *node) {
  verify__reads_walk(node, sample_node_note, sample_path_note, r);
}

/* Actions: a set or append whose value is a data path copies it into the
 * case; anything else they read is a read. */
static void actions_walk(vreads_t *r, const json_t *actions, int depth) {
  size_t i;
  json_t *a;
  if (depth > LIMIT_ACTIONS_DEPTH_MAX) return;
  json_array_foreach(actions, i, a) {
    const json_t *target =
        json_object_get(a, "set") ? json_object_get(a, "set") : json_object_get(a, "append");
    const json_t *value = json_object_get(a, "value");
    const char *src = json_string_value(json_object_get(value, "path"));
    if (json_is_string(target) && json_is_object(value) && json_object_size(value) == 1 &&
        verify__is_data_path(src)) {
      json_array_append_new(r->copies, json_pack("[O, s]", target, src));
    } else if (json_object_get(a, "if") != NULL) {
      reads_walk(r, json_object_get(a, "if"));
      actions_walk(r, json_object_get(a, "then"), depth + 1);
      actions_walk(r, json_object_get(a, "else"), depth + 1);
    } else {
      reads_walk(r, a);
    }
  }
}

/* Whether case field path (fields.a.b) is one the chart reads. */
static bool case_field_kept(const vmodel_t *m, const char *path) {
  size_t i;
  json_t *k;
  if (m->kept_all_fields) return true;
  json_array_foreach(m->kept, i, k) {
    if (model_paths_overlap(json_string_value(k), path)) return true;
  }
  return false;
}

static bool any_overlap(const json_t *paths, const char *path) {
  size_t i;
  json_t *p;
  json_array_foreach(paths, i, p) {
    if (strcmp(json_string_value(p), "data") == 0 || model_paths_overlap(json_string_value(p), path))
      return true;
  }
  return false;
}

static vplan_t *plan_build(const vmodel_t *m, const vtrans_t *tr) {
  const json_t *schema = json_object_get(tr->json, "data");
  vplan_t *plan = calloc(1, sizeof(*plan));
  vreads_t r;
  int cap = 0, i;
  size_t k;
  json_t *c;
  if (plan == NULL) return NULL;
  if (!json_is_object(schema)) {
    plan->none = true;
    return plan;
  }
  r.doc = m->doc;
  r.plan = plan;
  r.reads = json_array();
  r.copies = json_array();
  if (r.reads == NULL || r.copies == NULL || dims_add(plan, &cap, schema, "data", -1, 0) != 0) {
    json_decref(r.reads);
    json_decref(r.copies);
    sample_plan_free(plan);
    return NULL;
  }
  reads_walk(&r, json_object_get(tr->json, "when"));
  reads_walk(&r, json_object_get(tr->json, "guards"));
  actions_walk(&r, json_object_get(tr->json, "actions"), 0);
  for (i = 0; i < plan->count; i++) {
    vdim_t *d = &plan->dims[i];
    bool rel = any_overlap(r.reads, d->path) || any_overlap(m->state_reads, d->path) ||
               json_array_size(d->comparands) > 0;
    json_array_foreach(r.copies, k, c) {
      const char *src = json_string_value(json_array_get(c, 1));
      if ((strcmp(src, "data") == 0 || model_paths_overlap(src, d->path)) &&
          case_field_kept(m, json_string_value(json_array_get(c, 0))))
        rel = true;
    }
    if (tr->source < 0) { /* a create body becomes the case's fields */
      char field[VERIFY_PATH_BYTES_MAX + 8];
      snprintf(field, sizeof(field), "fields.%s", d->path + 5);
      if (case_field_kept(m, field)) rel = true;
    }
    d->relevant = rel;
  }
  /* A field below a relevant object whose own path nothing reads keeps
   * one value, unless the object is read or kept whole. */
  for (i = 0; i < plan->count; i++) {
    int p = plan->dims[i].parent;
    if (p >= 0 && !plan->dims[p].relevant) plan->dims[i].relevant = false;
  }
  json_decref(r.reads);
  json_decref(r.copies);
  return plan;
}

/* --- values --- */

/* "<name>-<k>" within the spec's length bounds. */
static json_t *string_sample(const char *name, int k, const json_t *spec) {
  char buf[160];
  json_int_t min =
      json_object_get(spec, "min_length") ? json_integer_value(json_object_get(spec, "min_length")) : 1;
  json_int_t max = json_object_get(spec, "max_length")
                       ? json_integer_value(json_object_get(spec, "max_length"))
                       : (json_int_t)sizeof(buf) - 1;
  size_t len;
  if (max > (json_int_t)sizeof(buf) - 1) max = (json_int_t)sizeof(buf) - 1;
  snprintf(buf, sizeof(buf), "%s-%d", name, k);
  len = strlen(buf);
  while ((json_int_t)len < min && len < sizeof(buf) - 1) buf[len++] = 'x';
  buf[len] = '\0';
  if ((json_int_t)len > max && max >= 1) {
    /* Keep the distinguishing number at the end. */
    char tail[16];
    snprintf(tail, sizeof(tail), "%d", k);
    if ((json_int_t)strlen(tail) <= max) {
      memmove(buf + max - (json_int_t)strlen(tail), tail, strlen(tail) + 1);
      buf[max] = '\0';
    } else {
      buf[max] = '\0';
    }
  }
  return json_string(buf);
}

static json_t *date_string(cal_day_t d) {
  char buf[16];
  cal_day_format(d, buf, sizeof(buf));
  return json_string(buf);
}

/* One value of the spec: the first choice of a field nothing compares. */
static json_t *base_value(const vmodel_t *m, const json_t *spec, const char *name, int64_t now_s, int depth) {
  const char *type = json_string_value(json_object_get(spec, "type"));
  const json_t *en = json_object_get(spec, "enum");
  (void)m;
  if (depth > 8) return json_null();
  if (json_is_array(en) && json_array_size(en) > 0) return json_incref(json_array_get(en, 0));
  if (type == NULL) type = "any";
  if (strcmp(type, "boolean") == 0) return json_true();
  if (strcmp(type, "date") == 0) return date_string(cal_local_day(now_s));
  if (strcmp(type, "datetime") == 0) {
    char buf[32];
    cal_time_format(now_s, buf, sizeof(buf));
    return json_string(buf);
  }
  if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
    const json_t *mn = json_object_get(spec, "min");
    return json_integer(mn ? json_integer_value(mn) : 0);
  }
  if (strcmp(type, "object") == 0) {
    json_t *o = json_object();
    const char *k;
    json_t *sub;
    json_object_foreach(json_object_get(spec, "properties"), k, sub) {
      if (json_is_true(json_object_get(sub, "required")))
        json_object_set_new(o, k, base_value(m, sub, k, now_s, depth + 1));
    }
    return o;
  }
  if (strcmp(type, "array") == 0) {
    json_t *a = json_array();
    json_int_t n = json_integer_value(json_object_get(spec, "min_items")), i;
    for (i = 0; i < n; i++) {
      json_t *items = json_object_get(spec, "items");
      json_array_append_new(a, items ? base_value(m, items, name, now_s, depth + 1) : json_string("x"));
    }
    return a;
  }
  return string_sample(name, 1, spec);
}

static void choice_add(vchoices_t *c, json_t *v) {
  int i;
  if (v == NULL) return;
  for (i = 0; i < c->n; i++) {
    if (c->v[i] != NULL && json_equal(c->v[i], v)) {
      json_decref(v);
      return;
    }
  }
  if (c->n < CHOICES_MAX - 1) /* room is left for "absent" */
    c->v[c->n++] = v;
  else
    json_decref(v);
}

static void choices_clear(vchoices_t *c) {
  int i;
  for (i = 0; i < c->n; i++) json_decref(c->v[i]);
  c->n = 0;
}

/* The two sides of the boundary of a comparison "field op b" (b a day or
 * a number): the value where it last holds and the first where it fails
 * (for eq and ne: b and the next value). */
static void boundary(const char *op, long long b, long long *holds, long long *fails) {
  if (strcmp(op, "lt") == 0) {
    *holds = b - 1;
    *fails = b;
  } else if (strcmp(op, "gt") == 0) {
    *holds = b + 1;
    *fails = b;
  } else if (strcmp(op, "ge") == 0) {
    *holds = b;
    *fails = b - 1;
  } else {
    *holds = b; /* le, eq, ne */
    *fails = b + 1;
  }
}

/* The values of relevant leaf d, given its comparisons: compared is an
 * array of [op, value] with each value evaluated on the case. */
static void leaf_choices(const vmodel_t *m, const vdim_t *d, const json_t *compared, int64_t now_s,
                         vchoices_t *c) {
  const char *type = json_string_value(json_object_get(d->spec, "type"));
  const json_t *en = json_object_get(d->spec, "enum");
  size_t i, k;
  json_t *v, *cmp;
  if (type == NULL) type = "any";
  if (json_is_array(en) && json_array_size(en) > 0) {
    /* Values the same conditions name behave alike, as do the values no
     * condition names: one of each kind stands for all. */
    json_t *kinds = json_array();
    json_array_foreach(en, i, v) {
      const json_t *sig = json_is_string(v) ? json_object_get(m->literals, json_string_value(v)) : v;
      bool seen = false;
      json_t *have;
      if (sig == NULL) sig = json_null();
      json_array_foreach(kinds, k, have) {
        if (json_equal(have, sig)) seen = true;
      }
      if (seen) continue;
      json_array_append(kinds, (json_t *)sig);
      choice_add(c, json_incref(v));
    }
    json_decref(kinds);
  } else if (strcmp(type, "boolean") == 0) {
    choice_add(c, json_true());
    choice_add(c, json_false());
  } else if (strcmp(type, "date") == 0) {
    json_array_foreach(compared, i, cmp) {
      cal_day_t day;
      long long holds, fails;
      v = json_array_get(cmp, 1);
      if (!json_is_string(v) || cal_day_parse(json_string_value(v), &day) != 0) continue;
      boundary(json_string_value(json_array_get(cmp, 0)), day, &holds, &fails);
      choice_add(c, date_string((cal_day_t)holds));
      choice_add(c, date_string((cal_day_t)fails));
    }
    if (c->n == 0) choice_add(c, date_string(cal_local_day(now_s)));
  } else if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
    const json_t *mn = json_object_get(d->spec, "min"), *mx = json_object_get(d->spec, "max");
    json_int_t lo = mn ? json_integer_value(mn) : INT32_MIN, hi = mx ? json_integer_value(mx) : INT32_MAX;
    json_int_t first = 0;
    if (first < lo) first = lo;
    if (first > hi) first = hi;
    choice_add(c, json_integer(first));
    json_array_foreach(compared, i, cmp) {
      long long holds, fails;
      v = json_array_get(cmp, 1);
      if (!json_is_integer(v)) continue;
      boundary(json_string_value(json_array_get(cmp, 0)), json_integer_value(v), &holds, &fails);
      if (holds >= lo && holds <= hi) choice_add(c, json_integer(holds));
      if (fails >= lo && fails <= hi) choice_add(c, json_integer(fails));
    }
    if (mx) choice_add(c, json_integer(hi));
  } else if (strcmp(type, "string") == 0 || strcmp(type, "any") == 0) {
    int n = 1;
    bool clash = true;
    json_t *sample = NULL;
    /* First a value that differs from everything it is compared with. */
    while (clash && n < 100) {
      json_decref(sample);
      sample = string_sample(d->name, n++, d->spec);
      clash = false;
      json_array_foreach(compared, i, cmp) {
        if (json_equal(json_array_get(cmp, 1), sample)) clash = true;
      }
    }
    choice_add(c, sample);
    json_array_foreach(compared, i, cmp) {
      v = json_array_get(cmp, 1);
      if (json_is_string(v)) choice_add(c, json_incref(v));
    }
  } else {
    choice_add(c, base_value(m, d->spec, d->name, now_s, 0));
    if (strcmp(type, "array") == 0) {
      json_t *a = json_array(), *items = json_object_get(d->spec, "items");
      const json_t *mn = json_object_get(d->spec, "min_items"), *mx = json_object_get(d->spec, "max_items");
      json_int_t n = mx ? json_integer_value(mx) : (mn ? json_integer_value(mn) : 0) + 1, j;
      for (j = 0; j < n && j < LIMIT_FIELD_ITEMS_MAX; j++)
        json_array_append_new(a, items ? base_value(m, items, d->name, now_s, 1) : json_string("x"));
      choice_add(c, a);
    }
  }
}

/* Sets value v (borrowed) at "data.a.b" below root (the data object). */
static void data_set(json_t *root, const char *path, json_t *v) {
  char buf[VERIFY_PATH_BYTES_MAX], *seg, *next;
  json_t *cur = root;
  snprintf(buf, sizeof(buf), "%s", path + 5);
  for (seg = buf; (next = strchr(seg, '.')) != NULL; seg = next + 1) {
    *next = '\0';
    if (!json_is_object(json_object_get(cur, seg))) json_object_set_new(cur, seg, json_object());
    cur = json_object_get(cur, seg);
  }
  json_object_set(cur, seg, v);
}

/* The data object of one row of choices. */
static json_t *row_data(const vplan_t *plan, const vchoices_t *ch, const int *row) {
  json_t *data = json_object();
  int i;
  for (i = 0; data != NULL && i < plan->count; i++) {
    const vdim_t *d = &plan->dims[i];
    json_t *v = ch[i].v[row[i]];
    int p;
    bool absent = v == NULL;
    for (p = d->parent; p >= 0 && !absent; p = plan->dims[p].parent)
      if (ch[p].v[row[p]] == NULL) absent = true;
    if (absent) continue;
    if (d->object) {
      if (engine_path_get(data, d->path + 5) == NULL) {
        json_t *o = json_object();
        data_set(data, d->path, o);
        json_decref(o);
      }
    } else {
      data_set(data, d->path, v);
    }
  }
  return data;
}

/* --- combining the choices --- */

typedef struct {
  int dims;      /* the varying dimensions */
  int *idx;      /* their indexes in the plan */
  int *n;        /* their choice counts */
  uint8_t **cov; /* cov[a * dims + b] (a < b): n[a] * n[b] flags of covered pairs */
  uint64_t uncovered;
} vpairs_t;

static void pairs_free(vpairs_t *p) {
  int i;
  if (p->cov)
    for (i = 0; i < p->dims * p->dims; i++) free(p->cov[i]);
  free(p->cov);
  free(p->idx);
  free(p->n);
}

static int pairs_init(vpairs_t *p, const vplan_t *plan, const vchoices_t *ch) {
  int i, a, b;
  memset(p, 0, sizeof(*p));
  p->idx = calloc((size_t)plan->count + 1, sizeof(int));
  p->n = calloc((size_t)plan->count + 1, sizeof(int));
  if (p->idx == NULL || p->n == NULL) return CASUS_ENOMEM;
  for (i = 0; i < plan->count; i++)
    if (ch[i].n > 1) {
      p->idx[p->dims] = i;
      p->n[p->dims++] = ch[i].n;
    }
  p->cov = calloc((size_t)(p->dims * p->dims) + 1, sizeof(uint8_t *));
  if (p->cov == NULL) return CASUS_ENOMEM;
  for (a = 0; a < p->dims; a++)
    for (b = a + 1; b < p->dims; b++) {
      p->cov[a * p->dims + b] = calloc((size_t)(p->n[a] * p->n[b]), 1);
      if (p->cov[a * p->dims + b] == NULL) return CASUS_ENOMEM;
      p->uncovered += (uint64_t)(p->n[a] * p->n[b]);
    }
  return 0;
}

static bool pair_covered(const vpairs_t *p, int a, int va, int b, int vb) {
  if (a > b) return pair_covered(p, b, vb, a, va);
  return p->cov[a * p->dims + b][va * p->n[b] + vb] != 0;
}

/* The next row of the greedy pairwise cover, in r (choice per varying dimension). */
static void pairs_row(vpairs_t *p, int *r) {
  int a, b, va, vb, f, v, g;
  bool seeded = false;
  for (a = 0; a < p->dims; a++) r[a] = -1;
  for (a = 0; a < p->dims && !seeded; a++)
    for (b = a + 1; b < p->dims && !seeded; b++)
      for (va = 0; va < p->n[a] && !seeded; va++)
        for (vb = 0; vb < p->n[b] && !seeded; vb++)
          if (!pair_covered(p, a, va, b, vb)) {
            r[a] = va;
            r[b] = vb;
            seeded = true;
          }
  for (f = 0; f < p->dims; f++) {
    int best = 0, best_gain = -1;
    if (r[f] >= 0) continue;
    for (v = 0; v < p->n[f]; v++) {
      int gain = 0;
      for (g = 0; g < p->dims; g++)
        if (g != f && r[g] >= 0 && !pair_covered(p, f, v, g, r[g])) gain++;
      if (gain > best_gain) {
        best = v;
        best_gain = gain;
      }
    }
    r[f] = best;
  }
  for (a = 0; a < p->dims; a++)
    for (b = a + 1; b < p->dims; b++) {
      uint8_t *c = &p->cov[a * p->dims + b][r[a] * p->n[b] + r[b]];
      if (*c == 0) {
        *c = 1;
        p->uncovered--;
      }
    }
}

/* --- drawing --- */

static json_t *empty_case(void) {
  return json_pack("{s:{}, s:{}, s:[], s:[], s:{}, s:b}", "fields", "counters", "flags", "state", "timers",
                   "closed", 0);
}

json_t *sample_draw(vmodel_t *m, vtrans_t *tr, const engine_ctx_t *ctx, const json_t *case_,
                    const engine_actor_t *actor) {
  vplan_t *plan;
  vchoices_t *ch;
  json_t *out = json_array(), *base = NULL, *skel = NULL, *minimal = NULL;
  int *row = NULL, i, varying = 0;
  uint64_t product = 1;
  vpairs_t pairs;
  memset(&pairs, 0, sizeof(pairs));
  if (out == NULL) return NULL;
  if (tr->plan == NULL) tr->plan = plan_build(m, tr);
  plan = tr->plan;
  if (plan == NULL) {
    json_decref(out);
    return NULL;
  }
  if (plan->none) {
    json_array_append_new(out, json_null());
    return out;
  }
  if (case_ == NULL) case_ = skel = empty_case();
  ch = calloc((size_t)plan->count + 1, sizeof(*ch));
  row = calloc((size_t)plan->count + 1, sizeof(*row));
  if (ch == NULL || row == NULL) goto fail;
  /* First pass: one value each (the data the comparisons are evaluated with). */
  for (i = 0; i < plan->count; i++) {
    const vdim_t *d = &plan->dims[i];
    if (d->object)
      choice_add(&ch[i], json_true());
    else if (d->required || d->relevant)
      choice_add(&ch[i], base_value(m, d->spec, d->name, ctx->now_s, 0));
    if (ch[i].n == 0) ch[i].v[ch[i].n++] = NULL;
  }
  base = row_data(plan, ch, row);
  /* Second pass: the choices of the relevant fields. */
  for (i = 0; i < plan->count; i++) {
    const vdim_t *d = &plan->dims[i];
    json_t *compared = json_array(), *expr;
    size_t k;
    if (!d->relevant || d->object) {
      /* An object is present when required, and both ways when optional and read. */
      if (d->object && d->relevant && !d->required) ch[i].v[ch[i].n++] = NULL;
      if (d->object && !d->relevant && !d->required) {
        choices_clear(&ch[i]);
        ch[i].v[ch[i].n++] = NULL;
      }
      json_decref(compared);
      continue;
    }
    json_array_foreach(d->comparands, k, expr) {
      json_t *v = engine_case_value_eval(ctx, case_, base, actor, NULL, json_array_get(expr, 1));
      int j;
      bool none = v == NULL || json_is_null(v);
      if (!none) json_array_append_new(compared, json_pack("[O, O]", json_array_get(expr, 0), v));
      json_decref(v);
      /* A boundary that the base data does not give, because it depends on another field with an enum (a
       * maximum the chart's table gives per arrangement: begindatum + the arrangement's maximum, none for
       * the first arrangement), is a boundary for each value of that field that gives one (each once). */
      for (j = 0; none && j < plan->count; j++) {
        const vdim_t *e = &plan->dims[j];
        const json_t *en = json_object_get(e->spec, "enum"), *ev;
        size_t q;
        if (j == i || e->object || !e->relevant || !json_is_array(en)) continue;
        json_array_foreach(en, q, ev) {
          json_t *alt = json_deep_copy(base), *w;
          if (alt == NULL) continue;
          data_set(alt, e->path, (json_t *)ev);
          w = engine_case_value_eval(ctx, case_, alt, actor, NULL, json_array_get(expr, 1));
          if (w != NULL && !json_is_null(w)) {
            json_t *pair = json_pack("[O, O]", json_array_get(expr, 0), w), *have;
            size_t h;
            bool dup = false;
            json_array_foreach(compared, h, have) {
              if (json_equal(have, pair)) dup = true;
            }
            if (dup)
              json_decref(pair);
            else
              json_array_append_new(compared, pair);
          }
          json_decref(w);
          json_decref(alt);
        }
      }
    }
    choices_clear(&ch[i]);
    leaf_choices(m, d, compared, ctx->now_s, &ch[i]);
    if (!d->required) ch[i].v[ch[i].n++] = NULL;
    if (ch[i].n == 0) ch[i].v[ch[i].n++] = NULL;
    json_decref(compared);
  }
  /* The minimal data: every optional field absent (each may be checked
   * against a catalogue's cell that only some values of another field
   * have, so that no pair of choices, nor the first choices, need pass
   * every guard at once).  Tried last, before the caps below pin fields. */
  for (i = 0; i < plan->count; i++) {
    int j;
    row[i] = 0;
    for (j = 0; !plan->dims[i].required && j < ch[i].n; j++)
      if (ch[i].v[j] == NULL) row[i] = j;
  }
  minimal = row_data(plan, ch, row);
  memset(row, 0, sizeof(int) * (size_t)plan->count);
  /* Fields below an object that is only ever absent, and beyond the
   * number of fields that vary, keep their first choice. */
  for (i = 0; i < plan->count; i++) {
    int p;
    bool pinned = false;
    for (p = plan->dims[i].parent; p >= 0; p = plan->dims[p].parent)
      if (ch[p].n == 1 && ch[p].v[0] == NULL) pinned = true;
    if (ch[i].n > 1 && (pinned || varying >= LIMIT_VERIFY_DATA_FIELDS_MAX)) {
      int j;
      for (j = 1; j < ch[i].n; j++) json_decref(ch[i].v[j]);
      ch[i].n = 1;
      if (!pinned) tr->capped = true;
    }
    if (ch[i].n > 1) {
      varying++;
      product = product > UINT64_MAX / (uint64_t)ch[i].n ? UINT64_MAX : product * (uint64_t)ch[i].n;
    }
  }
  if (product <= LIMIT_VERIFY_SAMPLES_MAX) {
    /* Every combination, the first choices first. */
    uint64_t r;
    for (r = 0; r < product; r++) {
      uint64_t rest = r;
      for (i = plan->count - 1; i >= 0; i--) {
        row[i] = (int)(rest % (uint64_t)ch[i].n);
        rest /= (uint64_t)ch[i].n;
      }
      json_array_append_new(out, row_data(plan, ch, row));
    }
  } else {
    int *r;
    uint32_t tried = 0;
    if (pairs_init(&pairs, plan, ch) != 0) goto fail;
    r = calloc((size_t)pairs.dims + 1, sizeof(int));
    if (r == NULL) goto fail;
    while (pairs.uncovered > 0 && tried < LIMIT_VERIFY_SAMPLES_MAX) {
      pairs_row(&pairs, r);
      memset(row, 0, sizeof(int) * (size_t)plan->count);
      for (i = 0; i < pairs.dims; i++) row[pairs.idx[i]] = r[i];
      json_array_append_new(out, row_data(plan, ch, row));
      tried++;
    }
    free(r);
    tr->capped = true;
    if (pairs.uncovered > 0) tr->pairs_uncovered = true;
    if (product > tr->combinations) tr->combinations = product;
    if (tried > tr->tried) tr->tried = tried;
  }
  pairs_free(&pairs);
  if (minimal != NULL) {
    json_t *have;
    size_t k;
    bool dup = false;
    json_array_foreach(out, k, have) {
      if (json_equal(have, minimal)) dup = true;
    }
    if (!dup) json_array_append(out, minimal);
  }
  json_decref(minimal);
  for (i = 0; i < plan->count; i++) choices_clear(&ch[i]);
  free(ch);
  free(row);
  json_decref(base);
  json_decref(skel);
  return out;
fail:
  pairs_free(&pairs);
  json_decref(minimal);
  if (ch)
    for (i = 0; i < plan->count; i++) choices_clear(&ch[i]);
  free(ch);
  free(row);
  json_decref(base);
  json_decref(skel);
  json_decref(out);
  return NULL;
}
