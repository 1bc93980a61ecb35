/*
 * test_sha256.c -- SHA-256 against the FIPS 180-4 / NIST CAVS examples, and
 * the incremental API against the one-shot one at every block boundary.
 * The hash chain of R-AUD-1 rests on this.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "test.h"

static void hex_of(const char *msg, size_t len, char out[SHA256_HEX_BYTES]) {
  sha256_hex(msg, len, out);
}

TEST(empty) {
  char hex[SHA256_HEX_BYTES];
  hex_of("", 0, hex);
  ASSERT_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  /* A NULL pointer with zero length is allowed. */
  sha256_hex(NULL, 0, hex);
  ASSERT_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(abc) {
  char hex[SHA256_HEX_BYTES];
  hex_of("abc", 3, hex);
  ASSERT_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(two_blocks_448_bits) {
  const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  char hex[SHA256_HEX_BYTES];
  ASSERT_EQ(strlen(msg), 56);
  hex_of(msg, strlen(msg), hex);
  ASSERT_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(message_896_bits) {
  const char *msg =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqr"
      "st"
      "nopqrstu";
  char hex[SHA256_HEX_BYTES];
  ASSERT_EQ(strlen(msg), 112);
  hex_of(msg, strlen(msg), hex);
  ASSERT_STR_EQ(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(million_a) {
  const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  size_t n = 1000000;
  char *msg = malloc(n);
  char hex[SHA256_HEX_BYTES];
  sha256_ctx_t ctx;
  uint8_t digest[SHA256_DIGEST_BYTES];
  size_t i;

  ASSERT_NOT_NULL(msg);
  memset(msg, 'a', n);
  hex_of(msg, n, hex);
  free(msg);
  ASSERT_STR_EQ(hex, want);

  /* The same million bytes fed in odd-sized pieces. */
  sha256_init(&ctx);
  for (i = 0; i < n;) {
    char buf[997];
    size_t take = n - i < sizeof(buf) ? n - i : sizeof(buf);
    memset(buf, 'a', take);
    sha256_update(&ctx, buf, take);
    i += take;
  }
  sha256_final(&ctx, digest);
  sha256_to_hex(digest, hex);
  ASSERT_STR_EQ(hex, want);
}

/* Bytes i % 251 for i < n; digests from an independent implementation. */
TEST(padding_boundaries) {
  static const struct {
    size_t len;
    const char *hex;
  } cases[] = {
      {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
      {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
      {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
      {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
      {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
      {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
      {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
      {128, "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5"},
      {1000, "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d"},
  };
  uint8_t msg[1000];
  size_t i, c;

  for (i = 0; i < sizeof(msg); i++) msg[i] = (uint8_t)(i % 251);
  for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    char hex[SHA256_HEX_BYTES];
    sha256_hex(msg, cases[c].len, hex);
    ASSERT_STR_EQ(hex, cases[c].hex);
  }
}

/* Every split point of a 200-byte message, and byte-by-byte feeding, give the
 * one-shot digest: the carry-over between update calls is right. */
TEST(incremental_matches_one_shot) {
  uint8_t msg[200];
  uint8_t want[SHA256_DIGEST_BYTES], got[SHA256_DIGEST_BYTES];
  sha256_ctx_t ctx;
  size_t len, split, i;

  for (i = 0; i < sizeof(msg); i++) msg[i] = (uint8_t)(i * 7 + 3);
  for (len = 0; len <= sizeof(msg); len += 13) {
    sha256(msg, len, want);
    for (split = 0; split <= len; split++) {
      sha256_init(&ctx);
      sha256_update(&ctx, msg, split);
      sha256_update(&ctx, NULL, 0);
      sha256_update(&ctx, msg + split, len - split);
      sha256_final(&ctx, got);
      ASSERT_EQ(memcmp(want, got, sizeof(want)), 0);
    }
    sha256_init(&ctx);
    for (i = 0; i < len; i++) sha256_update(&ctx, msg + i, 1);
    sha256_final(&ctx, got);
    ASSERT_EQ(memcmp(want, got, sizeof(want)), 0);
  }
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than the block is hashed first). */
static void hmac_hex(const void *key, size_t klen, const char *msg, char out[SHA256_HEX_BYTES]) {
  uint8_t d[SHA256_DIGEST_BYTES];
  sha256_hmac(key, klen, msg, strlen(msg), d);
  sha256_to_hex(d, out);
}

TEST(hmac_rfc4231) {
  uint8_t k1[20], k3[131];
  char hex[SHA256_HEX_BYTES];
  memset(k1, 0x0b, sizeof(k1));
  memset(k3, 0xaa, sizeof(k3));
  hmac_hex(k1, sizeof(k1), "Hi There", hex);
  ASSERT_STR_EQ(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  hmac_hex("Jefe", 4, "what do ya want for nothing?", hex);
  ASSERT_STR_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  hmac_hex(k3, sizeof(k3), "Test Using Larger Than Block-Size Key - Hash Key First", hex);
  ASSERT_STR_EQ(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

#define TEST_LIST(X)     \
  X(hmac_rfc4231)        \
  X(empty)               \
  X(abc)                 \
  X(two_blocks_448_bits) \
  X(message_896_bits)    \
  X(million_a)           \
  X(padding_boundaries)  \
  X(incremental_matches_one_shot)

TEST_MAIN(TEST_LIST)
