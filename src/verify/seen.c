/*
 * seen.c -- the configurations seen, by key: an open-addressing hash table
 * of configuration ids (linear probing), keyed by the first bytes of their
 * SHA-256 digest and compared on the whole digest, which the explorer
 * keeps with each configuration.  It doubles when half full.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "verify/verify_int.h"

#define SEEN_SLOTS_MIN 4096u

static uint32_t slot_of(const uint8_t digest[SHA256_DIGEST_BYTES], uint32_t mask) {
  uint32_t h;
  memcpy(&h, digest, sizeof(h));
  return h & mask;
}

int seen_init(vseen_t *s) {
  s->slots = malloc(sizeof(uint32_t) * SEEN_SLOTS_MIN);
  if (s->slots == NULL) return CASUS_ENOMEM;
  memset(s->slots, 0xff, sizeof(uint32_t) * SEEN_SLOTS_MIN);
  s->mask = SEEN_SLOTS_MIN - 1;
  s->used = 0;
  return 0;
}

void seen_free(vseen_t *s) {
  free(s->slots);
  memset(s, 0, sizeof(*s));
}

uint32_t seen_find(const vseen_t *s, const uint8_t digest[SHA256_DIGEST_BYTES], seen_digest_fn digest_of,
                   void *ud) {
  uint32_t i = slot_of(digest, s->mask);
  for (;; i = (i + 1) & s->mask) {
    uint32_t id = s->slots[i];
    if (id == VERIFY_NONE) return VERIFY_NONE;
    if (memcmp(digest_of(ud, id), digest, SHA256_DIGEST_BYTES) == 0) return id;
  }
}

static void slot_put(uint32_t *slots, uint32_t mask, const uint8_t *digest, uint32_t id) {
  uint32_t i = slot_of(digest, mask);
  while (slots[i] != VERIFY_NONE) i = (i + 1) & mask;
  slots[i] = id;
}

int seen_add(vseen_t *s, const uint8_t digest[SHA256_DIGEST_BYTES], uint32_t id, seen_digest_fn digest_of,
             void *ud) {
  CASUS_ASSERT(id != VERIFY_NONE);
  if ((uint64_t)(s->used + 1) * 2 > (uint64_t)s->mask + 1) {
    uint32_t cap = (s->mask + 1) * 2, i;
    uint32_t *slots = malloc(sizeof(uint32_t) * cap);
    if (slots == NULL) return CASUS_ENOMEM;
    memset(slots, 0xff, sizeof(uint32_t) * cap);
    for (i = 0; i <= s->mask; i++)
      if (s->slots[i] != VERIFY_NONE) slot_put(slots, cap - 1, digest_of(ud, s->slots[i]), s->slots[i]);
    free(s->slots);
    s->slots = slots;
    s->mask = cap - 1;
  }
  slot_put(s->slots, s->mask, digest, id);
  s->used++;
  return 0;
}
