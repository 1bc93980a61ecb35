/*
 * walk.c -- random walks past the breadth-first search's bound.
 *
 * Breadth first, every configuration up to some depth is met, and a
 * violation found is a shortest one; but the number of configurations
 * grows with each step (every role, event, data sample and clock move), so
 * the states bound stops the search a few steps from the create, while
 * the procedures of a chart are ten steps deep and more.  After the search
 * stops at its bound, x->opt.walks random walks each start from a
 * configuration of its frontier (drawn at random) and take one step at a
 * time down to the depth bound, checking the properties on every
 * configuration they pass, as the search does.
 *
 * A step is drawn among what the case allows: a due timer fires first (as
 * in the search and on the server); otherwise each (role, actor,
 * transition) the engine considers, and the clock as one more choice, is
 * drawn with weight 1 / (1 + how often the walks took it), so the walks
 * spread over the transitions taken least (the deep steps of a procedure)
 * instead of repeating the ones every state allows.  The data is one of
 * the transition's samples, drawn at random; a refusal tries the next.
 * The generator is xorshift64* with a fixed seed (verify_options_t.seed),
 * so a run is repeatable.
 *
 * What a walk meets is not added to the seen table, nor counted among the
 * search's configurations: the walks are a search for counterexamples, not
 * a proof.  A walk whose steps end a property's counterexample, a reach or
 * a finding keeps them (CFG_WALK) so that the trace can be rebuilt from
 * the parent links like any other; its trace is not a shortest one.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonbody.h"
#include "verify/verify_int.h"

#define WALK_CANDIDATES_MAX 256
#define WALK_OPTIONS_MAX 1024 /* (role, actor, transition) choices of one step; the rest are left out */

typedef struct {
  int role, actor, trans;
  double weight;
} walk_option_t;

static uint64_t rng_next(vexplore_t *x) {
  uint64_t s = x->walk_rng;
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  x->walk_rng = s;
  return s * 2685821657736338717ULL;
}

/* A uniform draw in [0, 1). */
static double rng_unit(vexplore_t *x) {
  return (double)(rng_next(x) >> 11) * (1.0 / 9007199254740992.0);
}

/* Whether something found refers to a walk step from `base` on: then the
 * walk's steps are kept for its trace. */
static bool walk_found(const vexplore_t *x, uint32_t base) {
  int k;
  for (k = 0; k < x->props_count; k++)
    if (x->props[k].witness != VERIFY_NONE && x->props[k].witness >= base) return true;
  return (x->unhandled_timer.count > 0 && x->unhandled_timer.from != VERIFY_NONE &&
          x->unhandled_timer.from >= base) ||
         (x->engine_error.count > 0 && x->engine_error.from != VERIFY_NONE && x->engine_error.from >= base);
}

/* Keeps the configuration a walk step reached (from `from`, made by step at
 * now_s): checks the properties on it.  Its id in *id. */
static int walk_keep(vexplore_t *x, uint32_t from, const char *step, const json_t *case_, const json_t *run,
                     int64_t now_s, const vstep_info_t *info, uint32_t *id) {
  bool active[LIMIT_CHART_STATES_MAX];
  json_t *holds;
  vcfg_t *c;
  int s, rc;
  /* Room for every kept walk: at most one per property and finding, each
   * at most the depth bound long. */
  uint32_t limit = x->opt.states_max + (uint32_t)(x->props_count + 3) * (uint32_t)(x->opt.depth_max + 1);
  if (info->unhandled_timer) explore_finding_note(&x->unhandled_timer, from, step, info->message);
  if ((holds = explore_holds(x, case_, run, now_s)) == NULL) return CASUS_ENOMEM;
  if ((*id = explore_cfg_new(x, limit)) == VERIFY_NONE) {
    json_decref(holds);
    return CASUS_ENOMEM;
  }
  c = &x->cfgs[*id];
  c->parent = from;
  c->depth = (uint16_t)(x->cfgs[from].depth + 1);
  c->now_s = now_s;
  c->flags = CFG_WALK | (json_is_true(json_object_get(case_, "closed")) ? CFG_CLOSED : 0);
  /* The key, as the search makes it: the trace's replay checks it. */
  rc = key_digest(&x->m, case_, run, now_s,
                  (c->flags & CFG_CLOSED) || model_needs_holds(&x->m) ? holds : NULL, c->digest);
  if (rc != 0) {
    json_decref(holds);
    return rc;
  }
  if ((c->step = strdup(step)) == NULL) {
    json_decref(holds);
    return CASUS_ENOMEM;
  }
  if (c->depth > x->walk_depth_reached) x->walk_depth_reached = c->depth;
  model_active(&x->m, case_, active);
  for (s = 0; s < x->m.states_count; s++)
    if (active[s]) x->state_reached[s] = true;
  explore_taken_note(x, info, *id);
  explore_props_check(x, *id, holds, active);
  json_decref(holds);
  return 0;
}

/* Tries option o with one of its samples after another (drawn at random)
 * until one is taken: 0 with *ncase and *nrun and the step's text in
 * *text, 1 when every sample was refused, or an error. */
static int walk_try(vexplore_t *x, const walk_option_t *o, uint32_t from, const json_t *case_,
                    const json_t *run, int64_t now_s, json_t **ncase, json_t **nrun, char **text,
                    vstep_info_t *info) {
  engine_ctx_t ctx = {x->m.chart, x->m.cal, now_s, NULL, NULL};
  engine_actor_t actors[VERIFY_ACTORS_MAX];
  char buf[VERIFY_ACTORS_MAX][2][LIMIT_ID_BYTES_MAX];
  vtrans_t *tr = &x->m.trans[o->trans];
  json_t *samples;
  size_t n, tried = 0, start;
  int na = model_actors(&x->m, case_, x->m.roles[o->role], actors, buf);
  if (o->actor >= na) return 1;
  if ((samples = sample_draw(&x->m, tr, &ctx, case_, &actors[o->actor])) == NULL) return CASUS_ENOMEM;
  n = json_array_size(samples);
  start = n ? (size_t)(rng_next(x) % n) : 0;
  for (tried = 0; tried < n; tried++) {
    const json_t *data = json_array_get(samples, (start + tried) % n);
    const json_t *d = json_is_null(data) ? NULL : data;
    int e;
    memset(info, 0, sizeof(*info));
    x->attempts++;
    e = step_event(&x->m, &ctx, case_, run, tr->event, d, &actors[o->actor], ncase, nrun, info);
    if (e == 0) {
      *text = explore_step_text(false, &actors[o->actor], tr->event, d);
      json_decref(samples);
      if (*text == NULL) {
        json_decref(*ncase);
        json_decref(*nrun);
        step_info_clear(info);
        return CASUS_ENOMEM;
      }
      return 0;
    }
    if (e == CASUS_ENOMEM) {
      step_info_clear(info);
      json_decref(samples);
      return e;
    }
    if (step_refusal(e)) {
      x->refused++;
    } else {
      char *t = explore_step_text(false, &actors[o->actor], tr->event, d);
      explore_finding_note(&x->engine_error, from, t, info->message);
      free(t);
    }
    step_info_clear(info);
    if ((e == CASUS_ENOT_ALLOWED_IN_STATE || e == CASUS_EFORBIDDEN) && !tr->when_reads_data) break;
  }
  json_decref(samples);
  return 1;
}

/* The (role, actor, transition) choices on case_, weighted: how many. */
static int walk_options(vexplore_t *x, const json_t *case_, walk_option_t *out) {
  int r, n = 0;
  for (r = 0; r < x->m.roles_count; r++) {
    engine_actor_t actors[VERIFY_ACTORS_MAX];
    char buf[VERIFY_ACTORS_MAX][2][LIMIT_ID_BYTES_MAX];
    const json_t *cands[WALK_CANDIDATES_MAX];
    int na = model_actors(&x->m, case_, x->m.roles[r], actors, buf), nc, a, k;
    if (na == 0) continue;
    nc = engine_case_candidates(x->m.chart, case_, x->m.roles[r], cands, WALK_CANDIDATES_MAX);
    if (nc > WALK_CANDIDATES_MAX) nc = WALK_CANDIDATES_MAX;
    for (k = 0; k < nc; k++) {
      int t = model_trans_find(&x->m, cands[k]);
      if (t < 0) continue;
      if (x->m.events_fired != NULL && json_object_get(x->m.events_fired, x->m.trans[t].event) == NULL)
        continue;
      for (a = 0; a < na && n < WALK_OPTIONS_MAX; a++)
        out[n++] = (walk_option_t){r, a, t, 1.0 / (1.0 + (double)x->m.trans[t].walk_taken)};
    }
  }
  return n;
}

/* One step of a walk from configuration `from` (case_, run at *now_s):
 * 0 with the new configuration in *to (VERIFY_NONE: nothing could
 * happen), *case_ and *run replaced; or an error. */
static int walk_step(vexplore_t *x, uint32_t from, json_t **case_, json_t **run, int64_t *now_s, uint32_t *to,
                     walk_option_t *opts) {
  int64_t moves[LIMIT_VERIFY_CLOCK_MOVES_MAX];
  json_t *nc = NULL, *nr = NULL;
  char *text = NULL, clock_text[64];
  vstep_info_t info;
  int64_t to_s = *now_s;
  int n, nm, rc = 1;
  double clock_weight, total = 0;
  *to = VERIFY_NONE;
  memset(&info, 0, sizeof(info));
  if (step_timer_due(*case_, *now_s)) {
    nm = 1;
    moves[0] = *now_s;
    n = 0;
    clock_weight = 1;
  } else {
    n = walk_options(x, *case_, opts);
    nm = explore_clock_moves(x, *case_, *now_s, moves);
    clock_weight = nm > 0 ? 1.0 / (1.0 + (double)x->clock_walk_taken) : 0;
  }
  for (int i = 0; i < n; i++) total += opts[i].weight;
  total += clock_weight;
  while (rc == 1 && total > 0) {
    double pick = rng_unit(x) * total;
    int i;
    for (i = 0; i < n && pick >= opts[i].weight; i++) pick -= opts[i].weight;
    if (i == n) {
      /* The clock: to one of the instants it may move to. */
      to_s = moves[rng_next(x) % (uint64_t)nm];
      x->attempts++;
      rc = step_clock(&x->m, *case_, *run, to_s, &nc, &nr, &info);
      if (rc == 0) {
        snprintf(clock_text, sizeof(clock_text), "{\"clock\":%lld}", (long long)to_s);
        text = strdup(clock_text);
        x->clock_walk_taken++;
        if (text == NULL) rc = CASUS_ENOMEM;
      } else if (rc != CASUS_ENOMEM) {
        snprintf(clock_text, sizeof(clock_text), "{\"clock\":%lld}", (long long)to_s);
        explore_finding_note(&x->engine_error, from, clock_text, info.message);
        step_info_clear(&info);
        total -= clock_weight;
        clock_weight = 0;
        rc = 1;
      }
    } else {
      to_s = *now_s;
      rc = walk_try(x, &opts[i], from, *case_, *run, *now_s, &nc, &nr, &text, &info);
      if (rc == 1) {
        total -= opts[i].weight;
        opts[i] = opts[--n];
      }
    }
  }
  if (rc == 1) return 0; /* nothing could happen */
  if (rc == 0) {
    x->steps++;
    x->walk_steps++;
    rc = walk_keep(x, from, text, nc, nr, to_s, &info, to);
    json_decref(*case_);
    json_decref(*run);
    *case_ = nc;
    *run = nr;
    *now_s = to_s;
  }
  free(text);
  step_info_clear(&info);
  return rc;
}

int walk_run(vexplore_t *x) {
  uint32_t *frontier = NULL, nf = 0, i, w;
  walk_option_t *opts = NULL;
  int rc = 0;
  if (x->opt.walks <= 0) return 0;
  for (i = 0; i < x->count; i++)
    if (x->cfgs[i].pending != NULL) nf++;
  if (nf == 0) return 0; /* the search was complete: nothing lies past it */
  frontier = malloc(sizeof(*frontier) * nf);
  opts = malloc(sizeof(*opts) * WALK_OPTIONS_MAX);
  if (frontier == NULL || opts == NULL) {
    free(frontier);
    free(opts);
    return CASUS_ENOMEM;
  }
  nf = 0;
  for (i = 0; i < x->count; i++)
    if (x->cfgs[i].pending != NULL) frontier[nf++] = i;
  x->walk_rng = x->opt.seed ? x->opt.seed : 0x9e3779b97f4a7c15ULL;
  x->walking = true;
  for (w = 0; w < (uint32_t)x->opt.walks && rc == 0 && !x->answered; w++) {
    uint32_t start = frontier[rng_next(x) % nf], base = x->count, at = start, k;
    const char *pending = x->cfgs[start].pending;
    json_t *doc = core_json_loadb(pending, strlen(pending), 0, NULL), *case_, *run;
    int64_t now_s = x->cfgs[start].now_s;
    if (doc == NULL) {
      rc = CASUS_ENOMEM;
      break;
    }
    case_ = json_incref(json_object_get(doc, "case"));
    run = json_incref(json_object_get(doc, "run"));
    json_decref(doc);
    x->walks++;
    while (rc == 0 && x->cfgs[at].depth < x->opt.depth_max && !(x->cfgs[at].flags & CFG_CLOSED)) {
      uint32_t to;
      rc = walk_step(x, at, &case_, &run, &now_s, &to, opts);
      if (rc != 0 || to == VERIFY_NONE) break;
      at = to;
    }
    json_decref(case_);
    json_decref(run);
    if (rc == 0 && walk_found(x, base)) {
      x->walk_cfgs += x->count - base;
    } else {
      for (k = base; k < x->count; k++) free(x->cfgs[k].step);
      x->count = base;
    }
    x->answered = explore_answered(x);
  }
  x->walking = false;
  free(frontier);
  free(opts);
  return rc;
}
