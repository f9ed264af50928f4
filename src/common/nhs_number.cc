#include "common/nhs_number.h"

#include <string>

namespace populus {

int NhsCheckDigit(uint64_t first_nine) {
  int sum = 0;
  for (int weight = 2; weight <= 10; ++weight) {
    sum += static_cast<int>(first_nine % 10) * weight;
    first_nine /= 10;
  }
  const int check = 11 - sum % 11;
  if (check == 11) return 0;
  if (check == 10) return -1;
  return check;
}

NhsNumberCheck ParseNhsNumber(std::string_view text, uint64_t* number) {
  char digits[10];
  int n = 0;
  if (text.size() == 10) {
    for (char c : text) digits[n++] = c;
  } else if (text.size() == 12 && text[3] == ' ' && text[7] == ' ') {
    for (size_t i = 0; i < 12; ++i) {
      if (i != 3 && i != 7) digits[n++] = text[i];
    }
  } else {
    return NhsNumberCheck::kMalformed;
  }
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return NhsNumberCheck::kMalformed;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (NhsCheckDigit(value / 10) != static_cast<int>(value % 10)) {
    return NhsNumberCheck::kBadCheckDigit;
  }
  *number = value;
  return NhsNumberCheck::kValid;
}

bool LooksLikeNhsNumber(std::string_view text) {
  uint64_t ignored;
  return ParseNhsNumber(text, &ignored) != NhsNumberCheck::kMalformed;
}

bool ContainsNhsNumberShape(std::string_view text) {
  size_t digits = 0;
  for (char c : text) digits += (c >= '0' && c <= '9') ? 1 : 0;
  return digits >= 10 && MaskNhsNumberRuns(text) != text;
}

std::string MaskNhsNumberRuns(std::string_view text) {
  std::string masked(text);
  auto is_digit = [&](size_t i) {
    return i < masked.size() && masked[i] >= '0' && masked[i] <= '9';
  };
  for (size_t i = 0; i < masked.size();) {
    if (!is_digit(i) || (i > 0 && is_digit(i - 1))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (is_digit(j)) ++j;
    const size_t len = j - i;
    // "943 476 5919": three, three and four digits with single spaces.
    bool spaced = false;
    if (len == 3 && j + 8 <= masked.size() && masked[j] == ' ' &&
        LooksLikeNhsNumber(std::string_view(masked).substr(i, 12))) {
      j = i + 12;
      if (is_digit(j)) {
        i = j;
        continue;
      }
      spaced = true;
    }
    if (len == 10 || spaced) {
      for (size_t k = i; k < j; ++k) {
        if (masked[k] != ' ') masked[k] = '*';
      }
    }
    i = j;
  }
  return masked;
}

}  // namespace populus
