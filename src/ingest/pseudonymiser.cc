#include "ingest/pseudonymiser.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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
  return Status::Ok();
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
  if (value == nullptr || *value == '\0') {
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
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return ToHex(digest, length);
}

std::string Pseudonymiser::Pseudonym(uint64_t nhs_number) const {
  return Hmac(fmt::format("{:010d}", nhs_number));
}

std::string Pseudonymiser::Fingerprint() const {
  return Hmac("populus pseudonymisation key fingerprint").substr(0, 16);
}

}  // namespace populus
