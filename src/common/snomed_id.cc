#include "common/snomed_id.h"

#include <array>

namespace populus {
namespace {

// The Verhoeff scheme: multiplication in the dihedral group D5 and a
// permutation applied i times to the digit i places from the right.
constexpr int kD5[10][10] = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
                             {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
                             {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
                             {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
                             {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
constexpr int kPermutation[10] = {1, 5, 7, 6, 2, 8, 3, 0, 9, 4};

constexpr std::array<std::array<int, 10>, 8> Powers() {
  std::array<std::array<int, 10>, 8> p{};
  for (int j = 0; j < 10; ++j) p[0][j] = j;
  for (int i = 1; i < 8; ++i) {
    for (int j = 0; j < 10; ++j) p[i][j] = p[i - 1][kPermutation[j]];
  }
  return p;
}
constexpr auto kPowers = Powers();

}  // namespace

bool HasValidVerhoeffCheckDigit(std::string_view digits) {
  int c = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    const int digit = digits[digits.size() - 1 - i] - '0';
    c = kD5[c][kPowers[i % 8][digit]];
  }
  return c == 0;
}

bool IsSnomedConceptId(std::string_view text) {
  if (text.size() < 6 || text.size() > 18 || text[0] == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const char format = text[text.size() - 3];
  const char partition = text[text.size() - 2];
  return (format == '0' || format == '1') && partition == '0' && HasValidVerhoeffCheckDigit(text);
}

}  // namespace populus
