// Keyed pseudonyms for NHS numbers.
//
// pseudonym = lowercase hex of HMAC-SHA256(key, the ten digits as ASCII). The
// same key and NHS number always give the same pseudonym, so separate loads
// link; without the key a pseudonym cannot be reversed or recomputed. The key
// is at least 32 bytes, read from a file, from POPULUS_PSEUDO_KEY, or in demo
// mode generated at random and kept in the data directory with mode 0600.
// Fingerprint() names the key (an HMAC of a fixed label) so a snapshot records
// which key made it without revealing the key.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

struct evp_mac_ctx_st;

namespace populus {

class Pseudonymiser {
 public:
  static constexpr size_t kMinKeyBytes = 32;
  static constexpr const char* kEnvVar = "POPULUS_PSEUDO_KEY";
  static constexpr const char* kDemoKeyFile = "pseudo.key";

  // The key is the file's contents less trailing white space.
  static Status FromKeyFile(const std::string& path, Pseudonymiser* out);
  // From POPULUS_PSEUDO_KEY; a usage error if unset.
  static Status FromEnvironment(Pseudonymiser* out);
  // Loads DATA_DIR/pseudo.key, creating it with 32 random bytes (as hex, mode
  // 0600) if it does not exist.
  static Status ForDemo(const std::string& data_dir, Pseudonymiser* out);
  static Status FromKey(std::string key, Pseudonymiser* out);

  Pseudonymiser() = default;
  ~Pseudonymiser();
  Pseudonymiser(const Pseudonymiser&) = delete;
  Pseudonymiser& operator=(const Pseudonymiser&) = delete;

  bool has_key() const { return !key_.empty(); }
  // 64 lowercase hex characters.
  std::string Pseudonym(uint64_t nhs_number) const;
  // 16 hex characters identifying the key.
  std::string Fingerprint() const;

 private:
  std::string Hmac(const std::string& message) const;
  std::string key_;
  // An HMAC-SHA256 context with the key already absorbed; copied per message.
  struct evp_mac_ctx_st* keyed_ = nullptr;
};

}  // namespace populus
