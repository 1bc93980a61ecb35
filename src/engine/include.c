/*
 * include.c -- chart composition: the parts regions share, written once.
 *
 * A fragment is a document of its own (statecharts/common/<name>.json):
 *
 *   {"fragment": "<name>", "version": 1, "description": "...",
 *    "params": {"<param>": {"description": "...", "default": <value>}},
 *    "state": { a state, as in a chart's "states" },
 *    "properties": [ properties about that state, as in a chart ]}
 *
 * A chart includes it where a state goes, under the name it gives it:
 *
 *   "states": {"beeindiging": {"include": "<name>", "with": {"<param>": <value>}}}
 *
 * Resolving replaces the include by a copy of the fragment's "state" in
 * which every {"param": "<param>"} is replaced by the chart's value (or
 * the fragment's default), and appends the fragment's properties, with the
 * same substitution, to the chart's.  Fragments may include fragments, to
 * LIMIT_CHART_INCLUDE_DEPTH_MAX.  The resolved chart is an ordinary chart
 * with one more top-level member, "included": what came from where, at
 * which version.  A chart without includes is returned unchanged (a new
 * reference to the same document).  Then a chart that names an arrangement
 * catalogue ("catalog": "<name>", catalog.c) gets the catalogue's tables in
 * its "tables" and the catalogue's version as "catalog_version".
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"
#include "engine/problem.h"

static const char *const fragment_keys[] = {"fragment", "version", "description",
                                            "params",   "state",   "properties"};
static const char *const include_keys[] = {"include", "with", "properties", "description"};
static const char *const param_keys[] = {"description", "default"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* How deep substitution looks into a fragment's JSON (a chart's states
 * nest LIMIT_CHART_DEPTH_MAX deep, each with actions and conditions). */
#define SUBST_DEPTH_MAX 96

typedef struct {
  engine_fragment_fn get;
  void *ud;
  engine_problems_t *p;
  json_t *included;   /* array: {"fragment", "version", "at", "with"} */
  json_t *properties; /* array: the fragments' properties, substituted */
} resolver_t;

bool engine_fragment_name_ok(const char *name) {
  size_t i, n = name ? strlen(name) : 0;
  if (n == 0 || n >= LIMIT_ID_BYTES_MAX || name[0] < 'a' || name[0] > 'z') return false;
  for (i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
          name[i] == '-'))
      return false;
  return true;
}

/* A copy of node with every {"param": name} replaced by values[name]
 * (new reference); an unknown name is a problem at path (and stays). */
static json_t *subst(const json_t *node, const json_t *values, const char *path, engine_problems_t *p,
                     int depth) {
  if (depth > SUBST_DEPTH_MAX) {
    eng_problem_add(p, path, "nested more than %d deep", SUBST_DEPTH_MAX);
    return json_deep_copy(node);
  }
  if (json_is_object(node)) {
    const char *name = json_string_value(json_object_get(node, "param")), *k;
    json_t *out, *v;
    if (name != NULL && json_object_size(node) == 1) {
      json_t *value = json_object_get(values, name);
      if (value != NULL) return json_deep_copy(value);
      eng_problem_add(p, path, "parameter \"%s\" is not declared in the fragment's \"params\"", name);
      return json_deep_copy(node);
    }
    out = json_object();
    json_object_foreach((json_t *)node, k, v) {
      json_object_set_new(out, k, subst(v, values, path, p, depth + 1));
    }
    return out;
  }
  if (json_is_array(node)) {
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach(node, i, v) {
      json_array_append_new(out, subst(v, values, path, p, depth + 1));
    }
    return out;
  }
  return json_deep_copy(node);
}

static json_t *resolve_states(resolver_t *r, const json_t *states, const char *path, int depth);

/* The state at path with its includes resolved (new reference), NULL on a
 * problem (reported). */
static json_t *resolve_state(resolver_t *r, const json_t *state, const char *path, int depth) {
  const char *name = json_string_value(json_object_get(state, "include"));
  json_t *out;
  if (json_is_object(state) && json_object_get(state, "include") != NULL) {
    char msg[160], fpath[320];
    const json_t *with = json_object_get(state, "with"), *params, *incl_props;
    json_t *frag, *values, *v, *body, *props;
    const char *k;
    size_t i;
    if (depth >= LIMIT_CHART_INCLUDE_DEPTH_MAX) {
      eng_problem_add(r->p, path, "includes nested more than %d deep (does a fragment include itself?)",
                      LIMIT_CHART_INCLUDE_DEPTH_MAX);
      return NULL;
    }
    eng_keys_check(state, include_keys, COUNT(include_keys), path, r->p);
    if (!engine_fragment_name_ok(name)) {
      eng_problem_add(r->p, path, "\"include\" must name a fragment ([a-z][a-z0-9_-]*)");
      return NULL;
    }
    if (with != NULL && !json_is_object(with)) {
      eng_problem_add(r->p, path, "\"with\" must be an object of parameter values");
      return NULL;
    }
    incl_props = json_object_get(state, "properties");
    if (incl_props != NULL && !json_is_boolean(incl_props)) {
      eng_problem_add(r->p, path,
                      "\"properties\" must be true or false (whether the fragment's are checked)");
      return NULL;
    }
    msg[0] = '\0';
    frag = r->get(r->ud, ENGINE_DOC_FRAGMENT, name, msg, sizeof(msg));
    if (frag == NULL) {
      eng_problem_add(r->p, path, "fragment \"%s\": %s", name, msg[0] ? msg : "not found");
      return NULL;
    }
    if (snprintf(fpath, sizeof(fpath), "%s (fragment %s)", path, name) >= (int)sizeof(fpath)) {
      eng_problem_add(r->p, path, "states nested too deep to name");
      return NULL;
    }
    eng_keys_check(frag, fragment_keys, COUNT(fragment_keys), fpath, r->p);
    if (!json_is_string(json_object_get(frag, "fragment")) ||
        strcmp(json_string_value(json_object_get(frag, "fragment")), name) != 0 ||
        !json_is_integer(json_object_get(frag, "version")) ||
        !json_is_object(json_object_get(frag, "state"))) {
      eng_problem_add(r->p, fpath,
                      "a fragment has \"fragment\" (its own name), an integer \"version\" and a \"state\"");
      json_decref(frag);
      return NULL;
    }
    params = json_object_get(frag, "params");
    values = json_object();
    json_object_foreach((json_t *)params, k, v) {
      const json_t *given = json_object_get(with, k);
      eng_keys_check(v, param_keys, COUNT(param_keys), fpath, r->p);
      if (given == NULL) given = json_object_get(v, "default");
      if (given == NULL)
        eng_problem_add(r->p, path, "fragment \"%s\" needs parameter \"%s\" (\"with\")", name, k);
      else
        json_object_set(values, k, (json_t *)given);
    }
    json_object_foreach((json_t *)with, k, v) {
      if (json_object_get(params, k) == NULL)
        eng_problem_add(r->p, path, "fragment \"%s\" has no parameter \"%s\"", name, k);
    }
    body = subst(json_object_get(frag, "state"), values, fpath, r->p, 0);
    /* Its own includes, below it. */
    out = body ? resolve_state(r, body, path, depth + 1) : NULL;
    json_decref(body);
    if (out != NULL && json_object_get(state, "description") != NULL)
      json_object_set(out, "description", json_object_get(state, "description"));
    if (incl_props == NULL || json_is_true(incl_props)) {
      props = subst(json_object_get(frag, "properties"), values, fpath, r->p, 0);
      json_array_foreach(props, i, v) {
        json_array_append(r->properties, v);
      }
      json_decref(props);
    }
    json_array_append_new(r->included,
                          json_pack("{s:s, s:O, s:s, s:o}", "fragment", name, "version",
                                    json_object_get(frag, "version"), "at", path, "with", values));
    json_decref(frag);
    return out;
  }
  out = json_deep_copy(state);
  if (out != NULL && json_is_object(json_object_get(state, "states"))) {
    char sub[256];
    json_t *states;
    int n = snprintf(sub, sizeof(sub), "%s.states", path);
    if (n < 0 || (size_t)n >= sizeof(sub)) {
      eng_problem_add(r->p, path, "states nested too deep to name");
      json_decref(out);
      return NULL;
    }
    states = resolve_states(r, json_object_get(state, "states"), sub, depth);
    if (states == NULL) {
      json_decref(out);
      return NULL;
    }
    json_object_set_new(out, "states", states);
  }
  return out;
}

static json_t *resolve_states(resolver_t *r, const json_t *states, const char *path, int depth) {
  json_t *out = json_object(), *v;
  const char *k;
  bool ok = out != NULL;
  json_object_foreach((json_t *)states, k, v) {
    char sub[256];
    json_t *s;
    int n = snprintf(sub, sizeof(sub), "%s.%s", path, k);
    if (n < 0 || (size_t)n >= sizeof(sub)) {
      eng_problem_add(r->p, path, "states nested too deep to name");
      ok = false;
      continue;
    }
    s = resolve_state(r, v, sub, depth);
    if (s == NULL)
      ok = false;
    else
      json_object_set_new(out, k, s);
  }
  if (!ok) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* Whether some state below node includes a fragment. */
static bool has_include(const json_t *node, int depth) {
  const json_t *v;
  const char *k;
  if (depth > LIMIT_CHART_DEPTH_MAX + 1 || !json_is_object(node)) return false;
  if (json_object_get(node, "include") != NULL) return true;
  json_object_foreach((json_t *)json_object_get(node, "states"), k, v) {
    if (has_include(v, depth + 1)) return true;
  }
  return false;
}

static int includes_resolve(const json_t *doc, engine_fragment_fn get, void *ud, json_t **out,
                            engine_problems_t *problems) {
  engine_problems_t local;
  resolver_t r;
  json_t *root, *resolved, *props;
  size_t i;
  json_t *v;
  *out = NULL;
  r.p = problems ? problems : &local;
  r.p->count = 0;
  if (!json_is_object(doc) || !has_include(json_object_get(doc, "root"), 0)) {
    *out = json_incref((json_t *)doc);
    return 0;
  }
  if (json_object_get(doc, "included") != NULL) {
    eng_problem_add(r.p, "$.included", "\"included\" is written by resolving, not by the chart");
    return CASUS_ECHART_INVALID;
  }
  r.get = get;
  r.ud = ud;
  r.included = json_array();
  r.properties = json_array();
  if (r.included == NULL || r.properties == NULL) {
    json_decref(r.included);
    json_decref(r.properties);
    return CASUS_ENOMEM;
  }
  root = resolve_state(&r, json_object_get(doc, "root"), "$.root", 0);
  if (root == NULL || r.p->count > 0) {
    json_decref(root);
    json_decref(r.included);
    json_decref(r.properties);
    if (r.p->count == 0) eng_problem_add(r.p, "$.root", "out of memory");
    return CASUS_ECHART_INVALID;
  }
  resolved = json_deep_copy(doc);
  json_object_set_new(resolved, "root", root);
  props = json_object_get(resolved, "properties");
  if (json_array_size(r.properties) > 0) {
    if (props == NULL) json_object_set_new(resolved, "properties", props = json_array());
    json_array_foreach(r.properties, i, v) {
      json_array_append(props, v);
    }
  }
  json_object_set_new(resolved, "included", r.included);
  json_decref(r.properties);
  *out = resolved;
  return 0;
}

/* resolved with the tables of the catalogue doc names ("catalog": "<name>")
 * added: 0, or CASUS_ECHART_INVALID with the problems (the catalogue's at
 * "catalog <name>: $..."). */
static int catalog_apply(const json_t *doc, json_t *resolved, engine_fragment_fn get, void *ud,
                         engine_problems_t *p) {
  const json_t *v = json_object_get(doc, "catalog");
  const char *name = json_string_value(v), *k;
  engine_problems_t cp;
  json_t *cat, *tables, *t;
  char msg[160];
  int i;
  if (v == NULL) return 0;
  if (!engine_fragment_name_ok(name)) {
    eng_problem_add(p, "$.catalog", "\"catalog\" names an arrangement catalogue ([a-z][a-z0-9_-]*)");
    return CASUS_ECHART_INVALID;
  }
  msg[0] = '\0';
  cat = get(ud, ENGINE_DOC_CATALOG, name, msg, sizeof(msg));
  if (cat == NULL) {
    eng_problem_add(p, "$.catalog", "catalogue \"%s\": %s", name, msg[0] ? msg : "not found");
    return CASUS_ECHART_INVALID;
  }
  if (engine_catalog_check(cat, &cp) > 0) {
    for (i = 0; i < cp.count; i++)
      eng_problem_add(p, "$.catalog", "catalogue %s: %s: %s", name, cp.items[i].path, cp.items[i].message);
    json_decref(cat);
    return CASUS_ECHART_INVALID;
  }
  tables = json_object_get(resolved, "tables");
  if (tables == NULL) json_object_set_new(resolved, "tables", tables = json_object());
  t = engine_catalog_tables(cat);
  json_object_foreach(t, k, v) {
    if (json_object_get(tables, k) != NULL)
      eng_problem_add(p, "$.tables",
                      "table \"%s\" comes from the catalogue \"%s\"; the chart cannot declare it", k, name);
    else
      json_object_set(tables, k, (json_t *)v);
  }
  json_object_set(resolved, "catalog_version", json_object_get(cat, "version"));
  json_decref(t);
  json_decref(cat);
  return p->count > 0 ? CASUS_ECHART_INVALID : 0;
}

int engine_chart_resolve(const json_t *doc, engine_fragment_fn get, void *ud, json_t **out,
                         engine_problems_t *problems) {
  engine_problems_t local;
  json_t *resolved;
  int rc;
  *out = NULL;
  if (problems == NULL) problems = &local;
  problems->count = 0;
  rc = includes_resolve(doc, get, ud, &resolved, problems);
  if (rc != 0 || !json_is_object(doc) || json_object_get(doc, "catalog") == NULL) {
    *out = resolved;
    return rc;
  }
  if (json_object_get(doc, "catalog_version") != NULL) {
    /* Already resolved (the export of `casusd statechart export --format json`): its tables hold the
     * catalogue. */
    *out = resolved;
    return 0;
  }
  if (resolved == doc) {
    json_decref(resolved);
    resolved = json_deep_copy(doc);
    if (resolved == NULL) return CASUS_ENOMEM;
  }
  rc = catalog_apply(doc, resolved, get, ud, problems);
  if (rc != 0) {
    json_decref(resolved);
    return rc;
  }
  *out = resolved;
  return 0;
}
