#include "ingest/pseudonymiser.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_support.h"

namespace populus {
namespace {
using testing::kTestKey;
using testing::TempDir;

TEST(Pseudonymiser, MatchesAnIndependentHmacSha256) {
  // Expected values computed with Python's hmac module:
  // hmac.new(key, b"9434765919", hashlib.sha256).hexdigest()
  Pseudonymiser p;
  ASSERT_TRUE(Pseudonymiser::FromKey(kTestKey, &p).ok());
  EXPECT_EQ(p.Pseudonym(9434765919),
            "3f09a89c00e8c69583b08560e2e1c22247a343571c2bcd0cdd8474ff4d28a0f9");
  EXPECT_EQ(p.Fingerprint(), "c7bb86d57ba14417");
}

TEST(Pseudonymiser, SameKeySameNumberLinksDifferentKeyDoesNot) {
  Pseudonymiser a, b, c;
  ASSERT_TRUE(Pseudonymiser::FromKey(kTestKey, &a).ok());
  ASSERT_TRUE(Pseudonymiser::FromKey(kTestKey, &b).ok());
  ASSERT_TRUE(Pseudonymiser::FromKey(std::string(kTestKey) + "x", &c).ok());
  EXPECT_EQ(a.Pseudonym(9990000018), b.Pseudonym(9990000018));
  EXPECT_NE(a.Pseudonym(9990000018), a.Pseudonym(9990000026));
  EXPECT_NE(a.Pseudonym(9990000018), c.Pseudonym(9990000018));
  EXPECT_EQ(a.Pseudonym(9990000018).find("9990000018"), std::string::npos);
}

TEST(Pseudonymiser, RefusesShortKeys) {
  Pseudonymiser p;
  const Status st = Pseudonymiser::FromKey("too short", &p);
  EXPECT_EQ(st.kind(), Status::Kind::kUsage);
  EXPECT_NE(st.message().find("at least 32"), std::string::npos);
}

TEST(Pseudonymiser, KeyFileIgnoresTrailingNewline) {
  TempDir dir;
  testing::WriteFile(dir / "key", std::string(kTestKey) + "\n");
  Pseudonymiser from_file, direct;
  ASSERT_TRUE(Pseudonymiser::FromKeyFile(dir / "key", &from_file).ok());
  ASSERT_TRUE(Pseudonymiser::FromKey(kTestKey, &direct).ok());
  EXPECT_EQ(from_file.Pseudonym(9434765919), direct.Pseudonym(9434765919));
}

TEST(Pseudonymiser, DemoKeyIsCreatedPrivateAndReused) {
  TempDir dir;
  Pseudonymiser first, second;
  ASSERT_TRUE(Pseudonymiser::ForDemo(dir.path(), &first).ok());
  struct stat st;
  ASSERT_EQ(::stat((dir / "pseudo.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(Pseudonymiser::ForDemo(dir.path(), &second).ok());
  EXPECT_EQ(first.Pseudonym(9434765919), second.Pseudonym(9434765919));
  TempDir other;
  Pseudonymiser third;
  ASSERT_TRUE(Pseudonymiser::ForDemo(other.path(), &third).ok());
  EXPECT_NE(first.Pseudonym(9434765919), third.Pseudonym(9434765919));
}

}  // namespace
}  // namespace populus
