/*
 * explore.c -- the breadth-first exploration.
 *
 * Configurations are numbered in the order they are found, and expanded in
 * that order, so the list is its own queue and every configuration's depth
 * is the length of a shortest run to it: the first configuration found
 * that violates a property ends a shortest counterexample.  Each keeps its
 * digest, its parent and the step from it (to rebuild the trace), its
 * successors (for the trap check), and, until it is expanded, its case and
 * run record as compact JSON.  Configurations at the depth bound are
 * checked but not expanded.
 *
 * Expanding a configuration: when a timer is due (a step left one due at
 * once), the only successor fires it, as the server fires due timers
 * before it applies any other event to the case.  Otherwise: every role of
 * the chart, as every actor of it that sees the case (model_actors), fires
 * every transition the engine considers for the role in the active states
 * (engine_case_candidates) with every data sample (sample_draw); and the
 * clock moves (clock_moves).  In a slice (slice.c) only the slice's events
 * are fired, and the key is the slice's.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "verify/verify_int.h"

#define CANDIDATES_MAX 256

static const uint8_t *cfg_digest(void *ud, uint32_t id) {
  return ((vexplore_t *)ud)->cfgs[id].digest;
}

/* The properties the slice checks. */
static int props_load(vexplore_t *x, const vslice_t *slice) {
  const json_t *props = json_object_get(x->m.doc, "properties");
  size_t i;
  json_t *idx;
  x->props = calloc(json_array_size(props) + 1, sizeof(*x->props));
  if (x->props == NULL) return CASUS_ENOMEM;
  json_array_foreach(slice->props, i, idx) {
    const json_t *p = json_array_get(props, (size_t)json_integer_value(idx));
    vprop_t *v = &x->props[x->props_count++];
    v->index = (int)json_integer_value(idx);
    const json_t *reach = json_object_get(p, "reach");
    v->json = p;
    v->name = json_string_value(json_object_get(p, "name"));
    v->rule = json_string_value(json_object_get(p, "rule"));
    v->known_failing = json_string_value(json_object_get(p, "known_failing"));
    v->witness = VERIFY_NONE;
    v->state = -1;
    if ((v->cond = json_object_get(p, "always")) != NULL) {
      v->kind = PROP_ALWAYS;
    } else if ((v->cond = json_object_get(p, "never")) != NULL) {
      v->kind = PROP_NEVER;
    } else if (json_object_get(reach, "state") != NULL) {
      v->kind = PROP_REACH_STATE;
      v->state = model_state_find(&x->m, json_string_value(json_object_get(reach, "state")));
    } else {
      v->kind = PROP_REACH_EVENT;
      v->event = json_string_value(json_object_get(reach, "event"));
    }
  }
  return 0;
}

int explore_init(vexplore_t *x, const engine_chart_t *chart, const calendar_t *cal,
                 const verify_options_t *opt, const vslice_t *slice) {
  int rc;
  memset(x, 0, sizeof(*x));
  x->opt = *opt;
  x->unhandled_timer.from = x->engine_error.from = VERIFY_NONE;
  rc = model_init(&x->m, chart, cal);
  if (rc == 0) rc = slice_restrict(&x->m, slice);
  if (rc == 0) rc = props_load(x, slice);
  x->coverage = json_array_size(slice->regions) > 0;
  if (rc == 0) rc = seen_init(&x->seen);
  if (rc != 0) return rc;
  x->state_reached = calloc((size_t)x->m.states_count + 1, sizeof(bool));
  x->events_taken = json_object();
  x->cap = 1024;
  x->cfgs = malloc(sizeof(*x->cfgs) * x->cap);
  if (x->state_reached == NULL || x->events_taken == NULL || x->cfgs == NULL) return CASUS_ENOMEM;
  return 0;
}

void explore_free(vexplore_t *x) {
  uint32_t i;
  for (i = 0; x->cfgs && i < x->count; i++) {
    free(x->cfgs[i].step);
    free(x->cfgs[i].pending);
    free(x->cfgs[i].succ);
  }
  free(x->cfgs);
  free(x->props);
  free(x->state_reached);
  free(x->unhandled_timer.step);
  free(x->engine_error.step);
  json_decref(x->events_taken);
  seen_free(&x->seen);
  model_free(&x->m);
  memset(x, 0, sizeof(*x));
}

/* --- findings and configurations --- */

void explore_finding_note(vfinding_t *f, uint32_t from, const char *step, const char *message) {
  f->count++;
  if (f->count > 1) return; /* the first is from the shallowest configuration */
  f->from = from;
  f->step = step ? strdup(step) : NULL;
  snprintf(f->message, sizeof(f->message), "%s", message);
}

static int edge_add(vexplore_t *x, uint32_t from, uint32_t to) {
  vcfg_t *c;
  if (from == VERIFY_NONE) return 0;
  c = &x->cfgs[from];
  if (c->succ_count > 0 && c->succ[c->succ_count - 1] == to) return 0;
  if (c->succ_count == c->succ_cap) {
    uint32_t cap = c->succ_cap ? c->succ_cap * 2 : 8;
    uint32_t *more = realloc(c->succ, sizeof(uint32_t) * cap);
    if (more == NULL) return CASUS_ENOMEM;
    c->succ = more;
    c->succ_cap = cap;
  }
  c->succ[c->succ_count++] = to;
  return 0;
}

/* Whether the condition of each "always" and "never" property holds on
 * the configuration (null for the others): a new array, NULL when out of
 * memory. */
json_t *explore_holds(vexplore_t *x, const json_t *case_, const json_t *run, int64_t now_s) {
  engine_ctx_t ctx = {x->m.chart, x->m.cal, now_s, NULL, NULL};
  json_t *extra = json_pack("{s:O}", "run", run), *out = json_array();
  int i;
  for (i = 0; extra != NULL && out != NULL && i < x->props_count; i++) {
    const vprop_t *p = &x->props[i];
    if (p->kind == PROP_ALWAYS || p->kind == PROP_NEVER)
      json_array_append_new(out,
                            json_boolean(engine_case_cond_eval(&ctx, case_, NULL, NULL, extra, p->cond)));
    else
      json_array_append_new(out, json_null());
  }
  json_decref(extra);
  if (extra == NULL) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* Checks the properties on a configuration met for the first time: holds
 * from explore_holds. */
void explore_props_check(vexplore_t *x, uint32_t id, const json_t *holds, const bool *active) {
  int i;
  for (i = 0; i < x->props_count; i++) {
    vprop_t *p = &x->props[i];
    if (p->witness != VERIFY_NONE) continue;
    if (p->kind == PROP_REACH_STATE && p->state >= 0 && active[p->state]) p->witness = id;
    if (p->kind == PROP_ALWAYS && !json_is_true(json_array_get(holds, (size_t)i))) p->witness = id;
    if (p->kind == PROP_NEVER && json_is_true(json_array_get(holds, (size_t)i))) p->witness = id;
  }
}

/* Records what a step took: transitions, events (reach). */
void explore_taken_note(vexplore_t *x, const vstep_info_t *info, uint32_t id) {
  int i, k;
  for (i = 0; i < info->taken_count; i++) {
    int t = model_trans_find(&x->m, info->taken[i]);
    const char *event;
    if (t < 0) continue;
    x->m.trans[t].fired = true;
    if (x->walking)
      x->m.trans[t].walk_taken++;
    else
      x->m.trans[t].fired_bfs = true;
    event = x->m.trans[t].event;
    json_object_set_new(x->events_taken, event, json_true());
    for (k = 0; k < x->props_count; k++)
      if (x->props[k].kind == PROP_REACH_EVENT && x->props[k].witness == VERIFY_NONE &&
          strcmp(x->props[k].event, event) == 0)
        x->props[k].witness = id;
  }
}

uint32_t explore_cfg_new(vexplore_t *x, uint32_t limit) {
  if (x->count == x->cap) {
    uint32_t cap = x->cap * 2 > limit ? limit : x->cap * 2;
    vcfg_t *more;
    if (cap <= x->cap) cap = x->cap + 64;
    if ((more = realloc(x->cfgs, sizeof(*more) * cap)) == NULL) return VERIFY_NONE;
    x->cfgs = more;
    x->cap = cap;
  }
  memset(&x->cfgs[x->count], 0, sizeof(x->cfgs[0]));
  return x->count++;
}

/* The configuration a step from `from` (VERIFY_NONE: a create) reached:
 * case_ and run (borrowed) at now_s, made by `step` (compact JSON). */
static int successor(vexplore_t *x, uint32_t from, const char *step, const json_t *case_, const json_t *run,
                     int64_t now_s, const vstep_info_t *info) {
  uint8_t digest[SHA256_DIGEST_BYTES];
  bool active[LIMIT_CHART_STATES_MAX];
  bool closed = json_is_true(json_object_get(case_, "closed"));
  json_t *holds = NULL;
  uint32_t id = VERIFY_NONE;
  vcfg_t *c;
  int rc, s;
  if (info->unhandled_timer) explore_finding_note(&x->unhandled_timer, from, step, info->message);
  if ((closed || model_needs_holds(&x->m)) && (holds = explore_holds(x, case_, run, now_s)) == NULL)
    return CASUS_ENOMEM;
  rc = key_digest(&x->m, case_, run, now_s, holds, digest);
  if (rc == 0) id = seen_find(&x->seen, digest, cfg_digest, x);
  if (rc != 0 || id != VERIFY_NONE) {
    json_decref(holds);
    if (rc != 0) return rc;
    explore_taken_note(x, info, id);
    return edge_add(x, from, id);
  }
  if (x->count >= x->opt.states_max) {
    /* The step was taken, though its configuration cannot be kept. */
    explore_taken_note(x, info, from != VERIFY_NONE ? from : 0);
    json_decref(holds);
    x->states_max_hit = true;
    if (from != VERIFY_NONE) x->cfgs[from].flags |= CFG_CUT;
    return 0;
  }
  if (holds == NULL && (holds = explore_holds(x, case_, run, now_s)) == NULL) return CASUS_ENOMEM;
  if ((id = explore_cfg_new(x, x->opt.states_max)) == VERIFY_NONE) {
    json_decref(holds);
    return CASUS_ENOMEM;
  }
  c = &x->cfgs[id];
  memcpy(c->digest, digest, sizeof(digest));
  c->parent = from;
  c->depth = (uint16_t)(from == VERIFY_NONE ? 1 : x->cfgs[from].depth + 1);
  c->now_s = now_s;
  c->step = strdup(step);
  if (c->step == NULL) {
    json_decref(holds);
    return CASUS_ENOMEM;
  }
  if (closed) c->flags |= CFG_CLOSED;
  if (!(c->flags & CFG_CLOSED) && c->depth < x->opt.depth_max) {
    json_t *pending = json_pack("{s:O, s:O}", "case", case_, "run", run);
    c->pending = pending ? core_json_dumps(pending, JSON_COMPACT) : NULL;
    json_decref(pending);
    if (c->pending == NULL) {
      free(c->step);
      json_decref(holds);
      return CASUS_ENOMEM;
    }
  }
  rc = seen_add(&x->seen, digest, id, cfg_digest, x);
  if (rc == 0) rc = edge_add(x, from, id);
  if (rc != 0) {
    json_decref(holds);
    return rc;
  }
  if (c->depth > x->depth_reached) x->depth_reached = c->depth;
  model_active(&x->m, case_, active);
  for (s = 0; s < x->m.states_count; s++)
    if (active[s]) x->state_reached[s] = true;
  explore_taken_note(x, info, id);
  explore_props_check(x, id, holds, active);
  json_decref(holds);
  return 0;
}

/* The compact JSON of an event (or create) step. */
char *explore_step_text(bool create, const engine_actor_t *a, const char *event, const json_t *data) {
  json_t *s = json_pack("{s:s, s:{s:s, s:s}, s:s}", "role", a->role, "actor", "id", a->id, "org", a->org,
                        "event", event);
  char *text;
  if (s == NULL) return NULL;
  if (data != NULL) json_object_set(s, "data", (json_t *)data);
  if (create) json_object_set_new(s, "create", json_true());
  text = core_json_dumps(s, JSON_COMPACT);
  json_decref(s);
  return text;
}

static int clock_step(vexplore_t *x, uint32_t from, const json_t *case_, const json_t *run, int64_t to_s) {
  vstep_info_t info;
  json_t *nc, *nr;
  char step[64];
  int rc;
  memset(&info, 0, sizeof(info));
  snprintf(step, sizeof(step), "{\"clock\":%lld}", (long long)to_s);
  rc = step_clock(&x->m, case_, run, to_s, &nc, &nr, &info);
  x->attempts++;
  if (rc == 0) {
    x->steps++;
    rc = successor(x, from, step, nc, nr, to_s, &info);
    json_decref(nc);
    json_decref(nr);
  } else if (rc != CASUS_ENOMEM) {
    explore_finding_note(&x->engine_error, from, step, info.message);
    rc = 0;
  }
  step_info_clear(&info);
  return rc;
}

static int int64_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* The instants the clock moves to from case_ at now_s: just before and at
 * each timer's due time (and just after, when a condition reads the time
 * of day); 09:00 on the day before, of and after each date a condition
 * compares "now" with; 09:00 tomorrow.  Sorted, later than now_s, at most
 * LIMIT_VERIFY_CLOCK_MOVES_MAX. */
int explore_clock_moves(vexplore_t *x, const json_t *case_, int64_t now_s, int64_t *out) {
  int64_t all[3 * LIMIT_TIMERS_PER_CASE_MAX + 3 * 64 + 8];
  int n = 0, k = 0, i;
  const int max = (int)(sizeof(all) / sizeof(all[0]));
  engine_ctx_t ctx = {x->m.chart, x->m.cal, now_s, NULL, NULL};
  const char *name;
  json_t *t, *expr;
  size_t j;
  cal_day_t today = cal_local_day(now_s);
  json_object_foreach(json_object_get(case_, "timers"), name, t) {
    int64_t due = json_integer_value(json_object_get(t, "due_s"));
    /* A timer outside the slice changes nothing it keeps. */
    if (x->m.timers_in_key != NULL && json_object_get(x->m.timers_in_key, name) == NULL) continue;
    if (n + 3 > max) break;
    all[n++] = due - 1;
    all[n++] = due;
    if (x->m.reads_now_time) all[n++] = due + 1;
  }
  json_array_foreach(x->m.now_exprs, j, expr) {
    json_t *v = engine_case_value_eval(&ctx, case_, NULL, NULL, NULL, expr);
    cal_day_t d;
    if (json_is_string(v) && cal_day_parse(json_string_value(v), &d) == 0 && n + 3 <= max) {
      all[n++] = cal_local_midnight(d - 1) + 9 * 3600;
      all[n++] = cal_local_midnight(d) + 9 * 3600;
      all[n++] = cal_local_midnight(d + 1) + 9 * 3600;
    }
    json_decref(v);
  }
  qsort(all, (size_t)n, sizeof(all[0]), int64_cmp);
  /* With nothing ahead, time still passes: to 09:00 tomorrow. */
  if (n == 0 || all[n - 1] <= now_s) all[n++] = cal_local_midnight(today + 1) + 9 * 3600;
  for (i = 0; i < n; i++) {
    if (all[i] <= now_s || (k > 0 && all[i] == out[k - 1])) continue;
    if (k == LIMIT_VERIFY_CLOCK_MOVES_MAX) {
      x->clock_moves_capped++;
      break;
    }
    out[k++] = all[i];
  }
  return k;
}

static int expand(vexplore_t *x, uint32_t id) {
  vcfg_t *c = &x->cfgs[id];
  json_t *doc = core_json_loadb(c->pending, strlen(c->pending), 0, NULL), *case_, *run;
  int64_t now_s = c->now_s, moves[LIMIT_VERIFY_CLOCK_MOVES_MAX];
  engine_ctx_t ctx = {x->m.chart, x->m.cal, now_s, NULL, NULL};
  int r, rc = 0, n, k;
  free(c->pending);
  c->pending = NULL;
  if (doc == NULL) return CASUS_ENOMEM;
  case_ = json_object_get(doc, "case");
  run = json_object_get(doc, "run");
  if (step_timer_due(case_, now_s)) {
    /* A due timer fires before anything else happens to the case. */
    rc = clock_step(x, id, case_, run, now_s);
    x->cfgs[id].flags |= CFG_EXPANDED;
    json_decref(doc);
    return rc;
  }
  for (r = 0; r < x->m.roles_count && rc == 0; r++) {
    engine_actor_t actors[VERIFY_ACTORS_MAX];
    char buf[VERIFY_ACTORS_MAX][2][LIMIT_ID_BYTES_MAX];
    const json_t *cands[CANDIDATES_MAX];
    int na = model_actors(&x->m, case_, x->m.roles[r], actors, buf), a, nc;
    if (na == 0) continue;
    nc = engine_case_candidates(x->m.chart, case_, x->m.roles[r], cands, CANDIDATES_MAX);
    if (nc > CANDIDATES_MAX) nc = CANDIDATES_MAX;
    for (a = 0; a < na && rc == 0; a++) {
      for (k = 0; k < nc && rc == 0; k++) {
        int t = model_trans_find(&x->m, cands[k]);
        vtrans_t *tr = t >= 0 ? &x->m.trans[t] : NULL;
        json_t *samples, *data;
        size_t i;
        /* Outside the slice: it changes nothing the slice keeps. */
        if (tr != NULL && x->m.events_fired != NULL && json_object_get(x->m.events_fired, tr->event) == NULL)
          continue;
        samples = tr ? sample_draw(&x->m, tr, &ctx, case_, &actors[a]) : NULL;
        if (samples == NULL) {
          rc = tr ? CASUS_ENOMEM : 0;
          continue;
        }
        json_array_foreach(samples, i, data) {
          vstep_info_t info;
          json_t *ncase, *nrun;
          const json_t *d = json_is_null(data) ? NULL : data;
          int e;
          memset(&info, 0, sizeof(info));
          x->attempts++;
          e = step_event(&x->m, &ctx, case_, run, tr->event, d, &actors[a], &ncase, &nrun, &info);
          if (e == 0) {
            char *text = explore_step_text(false, &actors[a], tr->event, d);
            x->steps++;
            rc = text ? successor(x, id, text, ncase, nrun, now_s, &info) : CASUS_ENOMEM;
            free(text);
            json_decref(ncase);
            json_decref(nrun);
          } else if (step_refusal(e)) {
            x->refused++;
            /* Not here, or not this role: the same for every other sample,
             * unless a "when" of the event reads its data. */
            if ((e == CASUS_ENOT_ALLOWED_IN_STATE || e == CASUS_EFORBIDDEN) && !tr->when_reads_data) {
              step_info_clear(&info);
              break;
            }
          } else if (e == CASUS_ENOMEM) {
            rc = e;
          } else {
            char *text = explore_step_text(false, &actors[a], tr->event, d);
            explore_finding_note(&x->engine_error, id, text, info.message);
            free(text);
          }
          step_info_clear(&info);
          if (rc != 0) break;
        }
        json_decref(samples);
      }
    }
  }
  n = rc == 0 ? explore_clock_moves(x, case_, now_s, moves) : 0;
  for (k = 0; k < n && rc == 0; k++) rc = clock_step(x, id, case_, run, moves[k]);
  x->cfgs[id].flags |= CFG_EXPANDED;
  json_decref(doc);
  return rc;
}

/* Every create entry, by every role it admits, with every sample of its data. */
static int creates(vexplore_t *x) {
  engine_ctx_t ctx = {x->m.chart, x->m.cal, x->opt.start_s, NULL, NULL};
  int k, rc = 0;
  for (k = 0; k < x->m.trans_count && rc == 0; k++) {
    vtrans_t *tr = &x->m.trans[k];
    size_t r;
    json_t *role;
    if (tr->source >= 0) continue;
    json_array_foreach(json_object_get(tr->json, "roles"), r, role) {
      const json_t *decl = engine_chart_role(x->m.chart, json_string_value(role));
      const char *org_field = json_string_value(json_object_get(decl, "org_field"));
      const char *actor_field = json_string_value(json_object_get(decl, "actor_field"));
      engine_actor_t member = {"", json_string_value(role), ""};
      char id[LIMIT_ID_BYTES_MAX], org[LIMIT_ID_BYTES_MAX], elsewhere[LIMIT_ID_BYTES_MAX];
      json_t *samples, *data;
      size_t i;
      snprintf(id, sizeof(id), "%s:member", member.role);
      snprintf(elsewhere, sizeof(elsewhere), "%s:elsewhere", member.role);
      member.id = id;
      samples = sample_draw(&x->m, tr, &ctx, NULL, &member);
      if (samples == NULL) return CASUS_ENOMEM;
      json_array_foreach(samples, i, data) {
        const json_t *d = json_is_null(data) ? NULL : data;
        const char *o = json_string_value(json_object_get(d, org_field ? org_field : ""));
        const char *who = json_string_value(json_object_get(d, actor_field ? actor_field : ""));
        engine_actor_t as[2];
        int na = 0, a;
        if (o == NULL) o = json_string_value(json_object_get(x->m.server_fields, org_field ? org_field : ""));
        snprintf(org, sizeof(org), "%s", o ? o : "");
        as[na++] = (engine_actor_t){id, member.role, org};
        if (who != NULL) as[na++] = (engine_actor_t){who, member.role, elsewhere};
        for (a = 0; a < na && rc == 0; a++) {
          vstep_info_t info;
          json_t *ncase, *nrun;
          char *text;
          int e;
          memset(&info, 0, sizeof(info));
          x->attempts++;
          e = step_create(&x->m, &ctx, &as[a], d, &ncase, &nrun, &info);
          text = explore_step_text(true, &as[a], tr->event, d);
          if (text == NULL) {
            rc = CASUS_ENOMEM;
          } else if (e == 0) {
            x->steps++;
            rc = successor(x, VERIFY_NONE, text, ncase, nrun, x->opt.start_s, &info);
            json_decref(ncase);
            json_decref(nrun);
          } else if (step_refusal(e)) {
            x->refused++;
          } else if (e == CASUS_ENOMEM) {
            rc = e;
          } else {
            explore_finding_note(&x->engine_error, VERIFY_NONE, text, info.message);
          }
          free(text);
          step_info_clear(&info);
        }
      }
      json_decref(samples);
    }
  }
  return rc;
}

/* Whether every question of a slice without coverage duties is answered:
 * each of its properties has its witness (a violation, being breadth
 * first the shortest; or the reach). */
bool explore_answered(const vexplore_t *x) {
  int k;
  if (x->coverage || x->props_count == 0) return false;
  for (k = 0; k < x->props_count; k++)
    if (x->props[k].witness == VERIFY_NONE) return false;
  return true;
}

int explore_run(vexplore_t *x) {
  uint32_t i;
  int rc = creates(x);
  /* At the states bound the rest stays unexpanded (the frontier): what a
   * further step finds could not be kept anyway. */
  for (i = 0; i < x->count && rc == 0 && !x->states_max_hit && !x->answered; i++) {
    if (x->cfgs[i].pending != NULL) rc = expand(x, i);
    x->answered = explore_answered(x);
  }
  /* Past the bound, random walks go deeper than breadth first can. */
  if (rc == 0 && !x->answered) rc = walk_run(x);
  return rc;
}
