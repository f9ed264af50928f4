// FHIR dates and dateTimes as the mapping needs them: the calendar day a
// record is stored under, the minutes between two times, and whether a
// period ends before it starts. Nothing here allocates.
#pragma once

#include <cstdint>
#include <string_view>

namespace populus::fhir {

// What a FHIR date or dateTime text holds.
enum class DateText {
  kAbsent,     // empty
  kOk,         // a full date ("2019-03-04"), with or without a time
  kPartial,    // a year or a year and month: no day populus could store
  kMalformed,  // anything else, or a day that does not exist
};

// The calendar date as written, without its time ("2019-03-04T10:00:00+01:00"
// gives "2019-03-04", the day the record names, whatever its offset); *day is
// set only for kOk.
DateText DatePart(std::string_view text, std::string_view* day);

// A dateTime with a time as seconds since the epoch in UTC, its offset
// applied (no offset reads as Z); false when the text has no time.
bool UtcSeconds(std::string_view text, int64_t* seconds);

// Whole minutes from `start` to `end`, both dateTimes with times; -1 when
// either has no time or the end is before the start.
int64_t MinutesBetween(std::string_view start, std::string_view end);

// True when a period's end (a full date or dateTime) is before its start: by
// the instant when both have times, else by the day. False when either is
// absent, partial or malformed (they cannot be compared).
bool EndsBeforeStart(std::string_view start, std::string_view end);

}  // namespace populus::fhir
