/*
 * check.c -- the built-in check made after the exploration: from every
 * configuration a terminal state (a closed case) can be reached.  Walks
 * the successor edges backwards from every closed configuration and from
 * every one that was not expanded (at the depth bound, or with successors
 * dropped at the states bound: what lies beyond is unknown, so they are not
 * blamed); an expanded configuration the walk does not meet is a trap.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "verify/verify_int.h"

int check_traps(const vexplore_t *x, uint32_t *count, uint32_t *first) {
  uint32_t n = x->count, i, k, head = 0, tail = 0;
  uint64_t edges = 0;
  uint32_t *start = calloc((size_t)n + 1, sizeof(uint32_t)), *rev = NULL, *fill = NULL, *queue = NULL;
  bool *can = calloc((size_t)n + 1, sizeof(bool));
  int rc = 0;
  *count = 0;
  *first = VERIFY_NONE;
  for (i = 0; i < n; i++) edges += x->cfgs[i].succ_count;
  if (start != NULL && can != NULL && edges < UINT32_MAX) {
    rev = malloc(sizeof(uint32_t) * (size_t)(edges + 1));
    fill = calloc((size_t)n + 1, sizeof(uint32_t));
    queue = malloc(sizeof(uint32_t) * ((size_t)n + 1));
  }
  if (start == NULL || can == NULL || rev == NULL || fill == NULL || queue == NULL) {
    rc = CASUS_ENOMEM;
    goto done;
  }
  /* Predecessor lists, compressed: those of i are rev[start[i] .. start[i + 1]). */
  for (i = 0; i < n; i++)
    for (k = 0; k < x->cfgs[i].succ_count; k++) start[x->cfgs[i].succ[k] + 1]++;
  for (i = 0; i < n; i++) start[i + 1] += start[i];
  for (i = 0; i < n; i++)
    for (k = 0; k < x->cfgs[i].succ_count; k++) {
      uint32_t to = x->cfgs[i].succ[k];
      rev[start[to] + fill[to]++] = i;
    }
  for (i = 0; i < n; i++) {
    uint8_t f = x->cfgs[i].flags;
    if ((f & CFG_CLOSED) || !(f & CFG_EXPANDED) || (f & CFG_CUT)) {
      can[i] = true;
      queue[tail++] = i;
    }
  }
  while (head < tail) {
    uint32_t to = queue[head++];
    for (k = start[to]; k < start[to + 1]; k++)
      if (!can[rev[k]]) {
        can[rev[k]] = true;
        queue[tail++] = rev[k];
      }
  }
  for (i = 0; i < n; i++)
    if (!can[i]) {
      if (*count == 0) *first = i;
      (*count)++;
    }
done:
  free(start);
  free(rev);
  free(fill);
  free(queue);
  free(can);
  return rc;
}
