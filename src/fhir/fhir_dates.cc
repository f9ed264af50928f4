#include "fhir/fhir_dates.h"

#include "common/civil_date.h"

namespace populus::fhir {

DateText DatePart(std::string_view text, std::string_view* out) {
  // "YYYY" and "YYYY-MM" are the partial forms; a time starts with T.
  if (text.empty()) return DateText::kAbsent;
  if (text.size() == 4 || text.size() == 7) return DateText::kPartial;
  if (text.size() < 10 || (text.size() > 10 && text[10] != 'T')) return DateText::kMalformed;
  *out = text.substr(0, 10);
  Date d;
  return ParseIsoDate(*out, &d) == DateParse::kOk ? DateText::kOk : DateText::kMalformed;
}

bool UtcSeconds(std::string_view t, int64_t* out) {
  std::string_view day;
  if (DatePart(t, &day) != DateText::kOk || t.size() < 16 || t[13] != ':') return false;
  auto two = [&](size_t at, int* v) {
    if (at + 2 > t.size() || t[at] < '0' || t[at] > '9' || t[at + 1] < '0' || t[at + 1] > '9') {
      return false;
    }
    *v = (t[at] - '0') * 10 + (t[at + 1] - '0');
    return true;
  };
  int hh, mm, ss = 0;
  if (!two(11, &hh) || !two(14, &mm)) return false;
  if (t.size() > 16 && t[16] == ':') two(17, &ss);
  Date d;
  ParseIsoDate(day, &d);
  int64_t seconds = (static_cast<int64_t>(d) * 1440 + hh * 60 + mm) * 60 + ss;
  const size_t zone = t.find_first_of("Z+-", 16);
  int oh, om;
  if (zone != std::string_view::npos && t[zone] != 'Z' && two(zone + 1, &oh) &&
      two(zone + 4, &om)) {
    const int64_t offset = (oh * 60 + om) * 60;
    seconds += t[zone] == '+' ? -offset : offset;
  }
  *out = seconds;
  return true;
}

int64_t MinutesBetween(std::string_view start, std::string_view end) {
  int64_t a, b;
  if (!UtcSeconds(start, &a) || !UtcSeconds(end, &b) || b < a) return -1;
  return (b - a) / 60;
}

bool EndsBeforeStart(std::string_view start, std::string_view end) {
  int64_t a, b;
  if (UtcSeconds(start, &a) && UtcSeconds(end, &b)) return b < a;
  std::string_view start_day, end_day;
  if (DatePart(start, &start_day) != DateText::kOk || DatePart(end, &end_day) != DateText::kOk) {
    return false;
  }
  return end_day < start_day;  // ISO dates order as text
}

}  // namespace populus::fhir
