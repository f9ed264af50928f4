#include "ingest/pseudonymiser.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "common/file_io.h"

namespace populus {
namespace {
std::string ToHex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return out;
}

std::string TrimTrailingSpace(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}
}  // namespace

Status Pseudonymiser::FromKey(std::string key, Pseudonymiser* out) {
  if (key.size() < kMinKeyBytes) {
    return Status::Usage(fmt::format(
        "the pseudonymisation key is {} bytes; it must be at least {} (for example 64 hex "
        "characters from 'openssl rand -hex 32')",
        key.size(), kMinKeyBytes));
  }
  out->key_ = std::move(key);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return Status::Internal("OpenSSL has no HMAC implementation");
  if (out->keyed_ != nullptr) EVP_MAC_CTX_free(out->keyed_);
  out->keyed_ = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (out->keyed_ == nullptr ||
      EVP_MAC_init(out->keyed_, reinterpret_cast<const unsigned char*>(out->key_.data()),
                   out->key_.size(), params) != 1) {
    return Status::Internal("OpenSSL could not set up HMAC-SHA256");
  }
  return Status::Ok();
}

Pseudonymiser::~Pseudonymiser() {
  if (keyed_ != nullptr) EVP_MAC_CTX_free(keyed_);
}

Status Pseudonymiser::FromKeyFile(const std::string& path, Pseudonymiser* out) {
  std::string contents;
  Status st = ReadSmallFile(path, &contents);
  if (!st.ok()) return Status::Usage("cannot read the pseudonymisation key file: " + st.message());
  st = FromKey(TrimTrailingSpace(std::move(contents)), out);
  if (!st.ok()) return Status::Usage(path + ": " + st.message());
  return st;
}

Status Pseudonymiser::FromEnvironment(Pseudonymiser* out) {
  const char* value = std::getenv(kEnvVar);
  if (value == nullptr || *value == '\0') {  // set but empty counts as unset
    return Status::Usage(fmt::format("{} is not set", kEnvVar));
  }
  Status st = FromKey(TrimTrailingSpace(value), out);
  if (!st.ok()) return Status::Usage(fmt::format("{}: {}", kEnvVar, st.message()));
  return st;
}

Status Pseudonymiser::ForDemo(const std::string& data_dir, Pseudonymiser* out) {
  const std::string path = (std::filesystem::path(data_dir) / kDemoKeyFile).string();
  if (std::filesystem::exists(path)) return FromKeyFile(path, out);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Status::Io(fmt::format("cannot create directory '{}': {}", data_dir, ec.message()));
  }
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Status::Internal("the system random number generator failed to make a demo key");
  }
  const std::string key = ToHex(bytes, sizeof bytes);
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(path, key + "\n", 0600));
  ::chmod(path.c_str(), 0600);
  return FromKey(key, out);
}

std::string Pseudonymiser::Hmac(const std::string& message) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  size_t length = 0;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
  const bool ok = ctx != nullptr &&
                  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size()) == 1 &&
                  EVP_MAC_final(ctx, digest, &length, sizeof digest) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) std::abort();  // only on allocation failure inside OpenSSL
  return ToHex(digest, length);
}

std::string Pseudonymiser::Pseudonym(uint64_t nhs_number) const {
  return Hmac(fmt::format("{:010d}", nhs_number));
}

std::string Pseudonymiser::Fingerprint() const {
  return Hmac("populus pseudonymisation key fingerprint").substr(0, 16);
}

}  // namespace populus
