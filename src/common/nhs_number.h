// NHS numbers: shape and modulus 11 check digit.
//
// An NHS number is ten digits; the tenth is a check digit computed from the
// first nine with weights 10 down to 2 (modulus 11). Extracts may print it as
// "9434765919" or "943 476 5919". populus only ever holds the parsed number in
// memory while linking rows; it is never written anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace populus {

enum class NhsNumberCheck { kValid, kMalformed, kBadCheckDigit };

// Parses ten digits, optionally grouped 3-3-4 by single spaces.
NhsNumberCheck ParseNhsNumber(std::string_view text, uint64_t* number);

// The check digit for nine leading digits, or -1 when none exists (remainder 1).
int NhsCheckDigit(uint64_t first_nine);

// True for a standalone run that has the shape of an NHS number (10 digits, or
// 3-3-4 with spaces), whether or not its check digit is right; used to mask
// identifiers inside records that could not be parsed into fields.
bool LooksLikeNhsNumber(std::string_view text);

// True if the text has a run MaskNhsNumberRuns() would mask.
bool ContainsNhsNumberShape(std::string_view text);

// Replaces every standalone run of exactly 10 digits, or of 3-3-4 digits
// separated by single spaces, with asterisks (a run of 9, 11 or 12 digits is
// no NHS number and is kept).
std::string MaskNhsNumberRuns(std::string_view text);

}  // namespace populus
