// Writes a large synthetic extract for ingest benchmarks: N patients in a
// made-up ICS with a fixed mix of coded events, values and prescriptions.
// Its only purpose is volume with realistic field shapes; the calibrated
// synthetic population is `populus generate` (not this tool).
//
// usage: make_bench_extract OUT_DIR PATIENTS EVENTS_PER_PATIENT [SEED]
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "common/civil_date.h"
#include "common/nhs_number.h"

namespace {

struct Code {
  const char* code;
  const char* unit;  // nullptr: no value
  double mean, sd;
};

// SNOMED CT concepts seen in GP records: diagnoses without values,
// observations with values.
constexpr Code kCodes[] = {
    {"38341003", nullptr, 0, 0},
    {"44054006", nullptr, 0, 0},
    {"195967001", nullptr, 0, 0},
    {"13645005", nullptr, 0, 0},
    {"49436004", nullptr, 0, 0},
    {"35489007", nullptr, 0, 0},
    {"84114007", nullptr, 0, 0},
    {"52448006", nullptr, 0, 0},
    {"822851000000102", nullptr, 0, 0},
    {"170777000", nullptr, 0, 0},
    {"314530002", nullptr, 0, 0},
    {"77176002", nullptr, 0, 0},
    {"266919005", nullptr, 0, 0},
    {"8517006", nullptr, 0, 0},
    {"72313002", "mmHg", 135, 15},
    {"1091811000000102", "mmHg", 80, 10},
    {"60621009", "kg/m2", 27.5, 5},
    {"27113001", "kg", 78, 15},
    {"999791000000106", "mmol/mol", 48, 12},
    {"1015681000000109", "", 3.8, 1},
    {"1011481000000105", "mL/min/1.73m2", 80, 20},
};
constexpr const char* kDrugs[] = {"325278007",         "320030001", "319283006", "318902004",
                                  "39113611000001102", "374295007", "321987003", "317291008"};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s OUT_DIR PATIENTS EVENTS_PER_PATIENT [SEED]\n", argv[0]);
    return 1;
  }
  const std::string out = argv[1];
  const long patients = std::atol(argv[2]);
  const long per_patient = std::atol(argv[3]);
  std::mt19937_64 rng(argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 20190630);
  std::filesystem::create_directories(out);
  const int practices = 81;

  FILE* orgs = std::fopen((out + "/organisations.csv").c_str(), "w");
  std::fputs(
      "code,name,type,parent_code,postcode\nQVV,Bench ICS,ics,,\nLOC01,Bench "
      "locality,locality,QVV,\n",
      orgs);
  for (int p = 0; p < 18; ++p) fmt::print(orgs, "U{:05d},Bench PCN {},pcn,LOC01,\n", p, p);
  for (int p = 0; p < practices; ++p) {
    fmt::print(orgs, "J{:05d},Bench practice {},practice,U{:05d},\n", p, p, p % 18);
  }
  std::fclose(orgs);

  FILE* pat = std::fopen((out + "/patients.csv").c_str(), "w");
  FILE* ev = std::fopen((out + "/events.csv").c_str(), "w");
  FILE* med = std::fopen((out + "/medications.csv").c_str(), "w");
  std::setvbuf(ev, nullptr, _IOFBF, 1 << 22);
  std::fputs(
      "nhs_number,date_of_birth,sex,practice_code,registered_from,registered_to,date_of_death,lsoa,"
      "imd_decile,ethnicity,care_home\n",
      pat);
  std::fputs("patient,date,snomed_code,numeric_value,unit\n", ev);
  std::fputs("patient,date,dmd_code,quantity\n", med);
  const populus::Date start = populus::DaysFromCivil(2009, 7, 1);
  const populus::Date end = populus::DaysFromCivil(2019, 6, 30);
  std::normal_distribution<double> normal(0, 1);
  uint64_t first_nine = 900000000;
  for (long i = 0; i < patients; ++i) {
    int check;
    while ((check = populus::NhsCheckDigit(++first_nine)) < 0) {
    }
    const std::string nhs = fmt::format("{}{}", first_nine, check);
    const populus::Date birth =
        populus::DaysFromCivil(1920, 1, 1) + static_cast<int>(rng() % 36000);
    const populus::Date from = std::max(birth, start);
    fmt::print(pat, "{},{},{},J{:05d},{},,,E01{:06d},{},,0\n", nhs, populus::FormatIsoDate(birth),
               rng() % 2 ? "F" : "M", rng() % practices, populus::FormatIsoDate(from),
               rng() % 30000, 1 + rng() % 10);
    if (from >= end) continue;
    const long n = static_cast<long>(rng() % static_cast<uint64_t>(2 * per_patient + 1));
    for (long k = 0; k < n; ++k) {
      const Code& c = kCodes[rng() % std::size(kCodes)];
      const populus::Date d = from + static_cast<int>(rng() % static_cast<uint64_t>(end - from));
      if (c.unit == nullptr) {
        fmt::print(ev, "{},{},{},,\n", nhs, populus::FormatIsoDate(d), c.code);
      } else {
        fmt::print(ev, "{},{},{},{:.1f},{}\n", nhs, populus::FormatIsoDate(d), c.code,
                   std::max(0.5, c.mean + c.sd * normal(rng)), c.unit);
      }
    }
    for (long k = 0; k < n / 3; ++k) {
      const populus::Date d = from + static_cast<int>(rng() % static_cast<uint64_t>(end - from));
      fmt::print(med, "{},{},{},{}\n", nhs, populus::FormatIsoDate(d),
                 kDrugs[rng() % std::size(kDrugs)], 28 * (1 + rng() % 2));
    }
  }
  std::fclose(pat);
  std::fclose(ev);
  std::fclose(med);
  return 0;
}
