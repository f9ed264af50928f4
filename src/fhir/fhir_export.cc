#include "fhir/fhir_export.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <memory>

#include "common/civil_date.h"
#include "common/file_io.h"
#include "common/output_directory.h"
#include "common/vocabulary.h"
#include "fhir/fhir_systems.h"
#include "store/snapshot.h"

namespace populus::fhir {
namespace fs = std::filesystem;

namespace {

using Buffer = fmt::memory_buffer;

constexpr size_t kFlushBytes = 1 << 20;

constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";
constexpr std::string_view kConditionClinicalSystem =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
constexpr std::string_view kConditionVerificationSystem =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
constexpr std::string_view kConditionCategorySystem =
    "http://terminology.hl7.org/CodeSystem/condition-category";

// The resource types, in the order their files are written.
enum Type {
  kOrganization,
  kPractitionerRole,
  kPatient,
  kCondition,
  kObservation,
  kMedicationRequest,
  kEncounter,
  kAppointment,
  kTypeCount
};
constexpr std::array<std::string_view, kTypeCount> kTypeNames = {
    "Organization", "PractitionerRole",  "Patient",   "Condition",
    "Observation",  "MedicationRequest", "Encounter", "Appointment"};

std::string FileName(Type t) { return fmt::format("{}.000.ndjson", kTypeNames[t]); }

inline void Put(Buffer& b, std::string_view s) { b.append(s.data(), s.data() + s.size()); }

inline void PutUInt(Buffer& b, uint64_t v) {
  const fmt::format_int f(v);
  b.append(f.data(), f.data() + f.size());
}

// Shortest text that reads back as the same float.
inline void PutFloat(Buffer& b, float v) { fmt::format_to(std::back_inserter(b), "{}", v); }

// JSON string content, without the quotes.
void PutEscaped(Buffer& b, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    b.append(s.data() + start, s.data() + i);
    start = i + 1;
    switch (c) {
      case '"':
        Put(b, "\\\"");
        break;
      case '\\':
        Put(b, "\\\\");
        break;
      case '\n':
        Put(b, "\\n");
        break;
      case '\r':
        Put(b, "\\r");
        break;
      case '\t':
        Put(b, "\\t");
        break;
      case '\b':
        Put(b, "\\b");
        break;
      case '\f':
        Put(b, "\\f");
        break;
      default:
        fmt::format_to(std::back_inserter(b), "\\u{:04x}", c);
    }
  }
  b.append(s.data() + start, s.data() + s.size());
}

inline void PutString(Buffer& b, std::string_view s) {
  b.push_back('"');
  PutEscaped(b, s);
  b.push_back('"');
}

// "YYYY-MM-DD" (a snapshot's dates are years 1800-2199).
void PutDate(Buffer& b, Date d) {
  const YearMonthDay ymd = CivilFromDays(d);
  if (ymd.year < 0 || ymd.year > 9999) {
    fmt::format_to(std::back_inserter(b), "{:04}-{:02}-{:02}", ymd.year, ymd.month, ymd.day);
    return;
  }
  char s[10];
  s[0] = static_cast<char>('0' + ymd.year / 1000);
  s[1] = static_cast<char>('0' + ymd.year / 100 % 10);
  s[2] = static_cast<char>('0' + ymd.year / 10 % 10);
  s[3] = static_cast<char>('0' + ymd.year % 10);
  s[4] = '-';
  s[5] = static_cast<char>('0' + ymd.month / 10);
  s[6] = static_cast<char>('0' + ymd.month % 10);
  s[7] = '-';
  s[8] = static_cast<char>('0' + ymd.day / 10);
  s[9] = static_cast<char>('0' + ymd.day % 10);
  b.append(s, s + 10);
}

inline void PutQuotedDate(Buffer& b, Date d) {
  b.push_back('"');
  PutDate(b, d);
  b.push_back('"');
}

// An instant on day d at `minutes` past midnight UTC (under 24 hours).
void PutInstant(Buffer& b, Date d, int minutes) {
  b.push_back('"');
  PutDate(b, d);
  const char s[] = {'T',
                    static_cast<char>('0' + minutes / 600),
                    static_cast<char>('0' + minutes / 60 % 10),
                    ':',
                    static_cast<char>('0' + minutes % 60 / 10),
                    static_cast<char>('0' + minutes % 10),
                    ':',
                    '0',
                    '0',
                    'Z',
                    '"'};
  b.append(s, s + sizeof(s));
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A CodeableConcept for a code (see CodeableConceptJson); false when there is
// nothing to write.
bool PutCodeableConcept(Buffer& b, std::string_view code, std::string_view default_system) {
  std::string_view system;
  if (AllDigits(code)) {
    system = default_system;
  } else if (const size_t bar = code.rfind('|'); bar != std::string_view::npos) {
    system = code.substr(0, bar);
    code = code.substr(bar + 1);
  }
  if (code.empty()) return false;
  Put(b, "{\"coding\":[{");
  if (!system.empty()) {
    Put(b, "\"system\":");
    PutString(b, system);
    b.push_back(',');
  }
  Put(b, "\"code\":");
  PutString(b, code);
  Put(b, "}]}");
  return true;
}

// The CodeableConcept of every entry of a code dictionary, rendered once.
Status RenderDictionary(const CodeColumn& codes, std::string_view default_system,
                        std::string_view what, std::vector<std::string>* out) {
  out->clear();
  out->reserve(codes.dictionary_size());
  Buffer b;
  for (uint32_t id = 0; id < codes.dictionary_size(); ++id) {
    b.clear();
    if (!PutCodeableConcept(b, codes.dictionary_entry(id), default_system)) {
      return Status::Data(
          fmt::format("the snapshot's {} dictionary holds the code '{}', which has "
                      "no FHIR coding (an empty code)",
                      what, codes.dictionary_entry(id)));
    }
    out->emplace_back(b.data(), b.size());
  }
  return Status::Ok();
}

// One NDJSON file, written through a reusable buffer in megabyte writes. The
// file is created at the first flush, so a type without resources has none.
class NdjsonFile {
 public:
  NdjsonFile(std::string path) : path_(std::move(path)) { buffer_.reserve(2 * kFlushBytes); }
  Buffer& buffer() { return buffer_; }
  // Ends the resource in the buffer; false on a write error (see status()).
  bool EndResource() {
    buffer_.push_back('\n');
    ++resources_;
    return buffer_.size() < kFlushBytes || Flush();
  }
  bool Flush() {
    if (!status_.ok()) return false;
    if (!open_) {
      status_ = writer_.Open(path_);
      if (!status_.ok()) return false;
      open_ = true;
    }
    status_ = writer_.Append(buffer_.data(), buffer_.size());
    buffer_.clear();
    return status_.ok();
  }
  // Writes the rest and syncs; nothing for a file with no resources.
  Status Finish() {
    if (resources_ == 0) return status_;
    if (!Flush()) return status_;
    POPULUS_RETURN_IF_ERROR(writer_.Sync());
    return writer_.Close();
  }
  const Status& status() const { return status_; }
  uint64_t resources() const { return resources_; }
  uint64_t bytes() const { return writer_.bytes_written(); }

 private:
  std::string path_;
  Buffer buffer_;
  FileWriter writer_;
  bool open_ = false;
  uint64_t resources_ = 0;
  Status status_;
};

class Exporter {
 public:
  Exporter(const ExportOptions& options, const Snapshot& snap, const std::string& staging)
      : options_(options), snap_(snap) {
    for (int t = 0; t < kTypeCount; ++t) {
      files_[t] = std::make_unique<NdjsonFile>(staging + "/" + FileName(static_cast<Type>(t)));
    }
  }

  Status Run() {
    POPULUS_RETURN_IF_ERROR(CheckShape());
    POPULUS_RETURN_IF_ERROR(WriteOrganizations());
    POPULUS_RETURN_IF_ERROR(WritePractitionerRoles());
    POPULUS_RETURN_IF_ERROR(WritePatients());
    POPULUS_RETURN_IF_ERROR(WriteEvents());
    POPULUS_RETURN_IF_ERROR(WriteMedications());
    POPULUS_RETURN_IF_ERROR(WriteEncounters());
    POPULUS_RETURN_IF_ERROR(WriteAppointments());
    for (auto& f : files_) POPULUS_RETURN_IF_ERROR(f->Finish());
    return Status::Ok();
  }

  const NdjsonFile& file(int t) const { return *files_[t]; }

 private:
  Status CheckShape();
  Status WriteOrganizations();
  Status WritePractitionerRoles();
  Status WritePatients();
  Status WriteEvents();
  Status WriteMedications();
  Status WriteEncounters();
  Status WriteAppointments();

  // `"subject":{"reference":"Patient/<pseudonym>"}` for patient p.
  void PutSubject(Buffer& b, std::string_view key, uint32_t p) const {
    Put(b, "\"");
    Put(b, key);
    Put(b, "\":{\"reference\":\"Patient/");
    PutEscaped(b, (*pseudonyms_)[p]);
    Put(b, "\"}");
  }
  void PutStart(Buffer& b, Type t, char prefix, uint64_t row) const {
    Put(b, "{\"resourceType\":\"");
    Put(b, kTypeNames[t]);
    Put(b, "\",\"id\":\"");
    b.push_back(prefix);
    PutUInt(b, row);
    b.push_back('"');
  }

  const ExportOptions& options_;
  const Snapshot& snap_;
  std::array<std::unique_ptr<NdjsonFile>, kTypeCount> files_;
  const StringColumn* pseudonyms_ = nullptr;
  uint64_t patients_ = 0, organisations_ = 0;
};

Status Exporter::CheckShape() {
  pseudonyms_ = &snap_.patients().pseudonym;
  patients_ = snap_.patients().rows;
  organisations_ = snap_.organisations().rows;
  // Snapshot::Open has checked each table's patient_offsets against its rows.
  return Status::Ok();
}

Status Exporter::WriteOrganizations() {
  NdjsonFile& f = *files_[kOrganization];
  Buffer& b = f.buffer();
  const StringColumn& code = snap_.organisations().code;
  const StringColumn& name = snap_.organisations().name;
  const StringColumn& postcode = snap_.organisations().postcode;
  const auto type = snap_.organisations().type;
  const auto parent = snap_.organisations().parent;
  for (uint64_t row = 0; row < organisations_; ++row) {
    Put(b, "{\"resourceType\":\"Organization\",\"id\":\"org-");
    PutUInt(b, row);
    b.push_back('"');
    if (!code[row].empty()) {
      Put(b, ",\"identifier\":[{\"system\":\"");
      Put(b, kOdsOrganisationSystem);
      Put(b, "\",\"value\":");
      PutString(b, code[row]);
      Put(b, "}]");
    }
    Put(b, ",\"type\":[{\"coding\":[{\"system\":\"");
    Put(b, kOrganisationTypeSystem);
    Put(b, "\",\"code\":\"");
    Put(b, Name(static_cast<OrgType>(type[row])));
    Put(b, "\"}]}]");
    if (!name[row].empty()) {
      Put(b, ",\"name\":");
      PutString(b, name[row]);
    }
    if (!postcode[row].empty()) {
      Put(b, ",\"address\":[{\"postalCode\":");
      PutString(b, postcode[row]);
      Put(b, "}]");
    }
    if (parent[row] != kNoRow) {
      if (parent[row] >= organisations_) {
        return Status::Corruption(fmt::format("snapshot {}: organisation row {} has parent row {}",
                                              snap_.directory(), row, parent[row]));
      }
      Put(b, ",\"partOf\":{\"reference\":\"Organization/org-");
      PutUInt(b, parent[row]);
      Put(b, "\"}");
    }
    b.push_back('}');
    if (!f.EndResource()) return f.status();
  }
  return Status::Ok();
}

Status Exporter::WritePractitionerRoles() {
  NdjsonFile& f = *files_[kPractitionerRole];
  Buffer& b = f.buffer();
  const auto practice = snap_.appointments().practice;
  const auto role = snap_.appointments().staff_role;
  const auto roles = StaffRoles();
  std::vector<uint64_t> used(organisations_, 0);  // bit r: role r has appointments there
  for (size_t i = 0; i < practice.size(); ++i) {
    if (practice[i] >= organisations_ || role[i] >= roles.size()) {
      return Status::Corruption(fmt::format(
          "snapshot {}: appointment row {} has practice row {} and staff role {}, out of range",
          snap_.directory(), i, practice[i], role[i]));
    }
    used[practice[i]] |= uint64_t{1} << role[i];
  }
  for (uint64_t org = 0; org < organisations_; ++org) {
    for (size_t r = 0; r < roles.size(); ++r) {
      if ((used[org] >> r & 1) == 0) continue;
      Put(b, "{\"resourceType\":\"PractitionerRole\",\"id\":\"role-");
      PutUInt(b, org);
      b.push_back('-');
      PutUInt(b, r);
      Put(b, "\",\"active\":true,\"organization\":{\"reference\":\"Organization/org-");
      PutUInt(b, org);
      Put(b, "\"},\"code\":[{\"coding\":[{\"system\":\"");
      Put(b, kStaffRoleSystem);
      Put(b, "\",\"code\":");
      PutString(b, roles[r]);
      Put(b, "}]}]}");
      if (!f.EndResource()) return f.status();
    }
  }
  return Status::Ok();
}

Status Exporter::WritePatients() {
  NdjsonFile& f = *files_[kPatient];
  Buffer& b = f.buffer();
  const std::string mode = snap_.manifest().value("patient_identifier", "");
  std::string_view identifier_system;
  if (mode == "nhs-number-hmac-sha256") {
    identifier_system = kPseudonymSystem;
  } else if (mode == "patient-id") {
    identifier_system = kLocalPatientIdSystem;
  } else {
    return Status::Data(fmt::format("snapshot {}: unknown patient_identifier '{}' in its manifest",
                                    snap_.directory(), mode));
  }
  const auto birth = snap_.patients().date_of_birth;
  const auto sex = snap_.patients().sex;
  const auto practice = snap_.patients().practice;
  const auto from = snap_.patients().registered_from;
  const auto to = snap_.patients().registered_to;
  const auto death = snap_.patients().date_of_death;
  const CodeColumn lsoa = snap_.patients().lsoa;
  const auto imd = snap_.patients().imd_decile;
  const CodeColumn ethnicity = snap_.patients().ethnicity;
  const auto care_home = snap_.patients().care_home;
  // Ethnicity codes as CodeableConcepts, once per dictionary entry ("" none).
  std::vector<std::string> ethnic(ethnicity.dictionary_size());
  for (uint32_t id = 0; id < ethnic.size(); ++id) {
    Buffer e;
    if (PutCodeableConcept(e, ethnicity.dictionary_entry(id), kSnomedSystem)) {
      ethnic[id].assign(e.data(), e.size());
    }
  }
  for (uint64_t p = 0; p < patients_; ++p) {
    const std::string_view key = (*pseudonyms_)[p];
    Put(b, "{\"resourceType\":\"Patient\",\"id\":");
    PutString(b, key);
    // Extensions.
    char sep = '[';
    auto extension = [&](std::string_view url) {
      if (sep == '[') Put(b, ",\"extension\":");
      b.push_back(sep);
      sep = ',';
      Put(b, "{\"url\":\"");
      Put(b, url);
      Put(b, "\",");
    };
    if (from[p] != kNoDate || to[p] != kNoDate) {
      extension(kRegistrationPeriodExtension);
      Put(b, "\"valuePeriod\":{");
      if (from[p] != kNoDate) {
        Put(b, "\"start\":");
        PutQuotedDate(b, from[p]);
      }
      if (to[p] != kNoDate) {
        Put(b, from[p] != kNoDate ? ",\"end\":" : "\"end\":");
        PutQuotedDate(b, to[p]);
      }
      Put(b, "}}");
    }
    if (const std::string_view area = lsoa.value(p); !area.empty()) {
      extension(kLsoaExtension);
      Put(b, "\"valueString\":");
      PutString(b, area);
      b.push_back('}');
    }
    if (imd[p] > 0) {
      extension(kImdDecileExtension);
      Put(b, "\"valueInteger\":");
      PutUInt(b, imd[p]);
      b.push_back('}');
    }
    if (care_home[p] == 0 || care_home[p] == 1) {
      extension(kCareHomeExtension);
      Put(b, care_home[p] == 1 ? "\"valueBoolean\":true}" : "\"valueBoolean\":false}");
    }
    if (const std::string& ethnic_concept = ethnic[ethnicity.id(p)]; !ethnic_concept.empty()) {
      extension(kEthnicCategoryExtension);
      Put(b, "\"valueCodeableConcept\":");
      Put(b, ethnic_concept);
      b.push_back('}');
    }
    if (sep == ',') b.push_back(']');
    Put(b, ",\"identifier\":[{\"system\":\"");
    Put(b, identifier_system);
    Put(b, "\",\"value\":");
    PutString(b, key);
    Put(b, "}]");
    Put(b, ",\"gender\":\"");
    Put(b, FhirGender(static_cast<Sex>(sex[p])));
    Put(b, "\"");
    if (birth[p] != kNoDate) {
      Put(b, ",\"birthDate\":");
      PutQuotedDate(b, birth[p]);
    }
    if (death[p] != kNoDate) {
      Put(b, ",\"deceasedDateTime\":");
      PutQuotedDate(b, death[p]);
    }
    if (practice[p] != kNoRow) {
      if (practice[p] >= organisations_) {
        return Status::Corruption(fmt::format("snapshot {}: patient row {} has practice row {}",
                                              snap_.directory(), p, practice[p]));
      }
      Put(b, ",\"generalPractitioner\":[{\"reference\":\"Organization/org-");
      PutUInt(b, practice[p]);
      Put(b, "\"}]");
    }
    b.push_back('}');
    if (!f.EndResource()) return f.status();
  }
  return Status::Ok();
}

Status Exporter::WriteEvents() {
  NdjsonFile& conditions = *files_[kCondition];
  NdjsonFile& observations = *files_[kObservation];
  const auto offsets = snap_.events().patient_offsets;
  const auto date = snap_.events().date;
  const CodeColumn code = snap_.events().code;
  const EventValues values(snap_);
  const auto value = snap_.events().value;
  std::vector<std::string> concepts;
  POPULUS_RETURN_IF_ERROR(RenderDictionary(code, kSnomedSystem, "events code", &concepts));
  std::vector<uint8_t> diagnosis(code.dictionary_size());
  for (uint32_t id = 0; id < diagnosis.size(); ++id) {
    diagnosis[id] = options_.condition_codes.count(std::string(code.dictionary_entry(id))) > 0;
  }
  // Each unit's part of a valueQuantity, rendered once.
  const CodeColumn unit = snap_.events().unit;
  std::vector<std::string> unit_json(unit.dictionary_size());
  for (uint32_t id = 0; id < unit_json.size(); ++id) {
    const std::string_view u = unit.dictionary_entry(id);
    if (u.empty()) continue;
    Buffer ub;
    Put(ub, ",\"unit\":");
    PutString(ub, u);
    Put(ub, ",\"system\":\"");
    Put(ub, kUcumSystem);
    Put(ub, "\",\"code\":");
    PutString(ub, u);
    unit_json[id].assign(ub.data(), ub.size());
  }
  Buffer subject;
  for (uint32_t p = 0; p < patients_; ++p) {
    if (offsets[p] == offsets[p + 1]) continue;
    subject.clear();
    PutSubject(subject, "subject", p);
    for (uint64_t row = offsets[p]; row < offsets[p + 1]; ++row) {
      const uint32_t id = code.id(row);
      const bool has_value = values.has(row);
      if (diagnosis[id] && !has_value) {
        Buffer& b = conditions.buffer();
        PutStart(b, kCondition, 'c', row);
        Put(b, ",\"clinicalStatus\":{\"coding\":[{\"system\":\"");
        Put(b, kConditionClinicalSystem);
        Put(b, "\",\"code\":\"active\"}]},\"verificationStatus\":{\"coding\":[{\"system\":\"");
        Put(b, kConditionVerificationSystem);
        Put(b, "\",\"code\":\"confirmed\"}]},\"category\":[{\"coding\":[{\"system\":\"");
        Put(b, kConditionCategorySystem);
        Put(b, "\",\"code\":\"problem-list-item\"}]}],\"code\":");
        Put(b, concepts[id]);
        b.push_back(',');
        b.append(subject.data(), subject.data() + subject.size());
        Put(b, ",\"onsetDateTime\":");
        PutQuotedDate(b, date[row]);
        Put(b, ",\"recordedDate\":");
        PutQuotedDate(b, date[row]);
        b.push_back('}');
        if (!conditions.EndResource()) return conditions.status();
      } else {
        Buffer& b = observations.buffer();
        PutStart(b, kObservation, 'o', row);
        Put(b, ",\"status\":\"final\",\"code\":");
        Put(b, concepts[id]);
        b.push_back(',');
        b.append(subject.data(), subject.data() + subject.size());
        Put(b, ",\"effectiveDateTime\":");
        PutQuotedDate(b, date[row]);
        if (has_value) {
          const uint64_t k = values.Position(row);
          if (k >= values.values() || !std::isfinite(value[k])) {
            return Status::Corruption(fmt::format(
                "snapshot {}: event row {} has no finite value where its bitmap says it has one",
                snap_.directory(), row));
          }
          Put(b, ",\"valueQuantity\":{\"value\":");
          PutFloat(b, value[k]);
          Put(b, unit_json[unit.id(k)]);
          b.push_back('}');
        }
        b.push_back('}');
        if (!observations.EndResource()) return observations.status();
      }
    }
  }
  return Status::Ok();
}

Status Exporter::WriteMedications() {
  NdjsonFile& f = *files_[kMedicationRequest];
  Buffer& b = f.buffer();
  const auto offsets = snap_.medications().patient_offsets;
  const auto date = snap_.medications().date;
  const CodeColumn code = snap_.medications().dmd_code;
  const auto quantity = snap_.medications().quantity;
  std::vector<std::string> concepts;
  POPULUS_RETURN_IF_ERROR(RenderDictionary(code, kDmdSystem, "medications dmd_code", &concepts));
  Buffer subject;
  for (uint32_t p = 0; p < patients_; ++p) {
    if (offsets[p] == offsets[p + 1]) continue;
    subject.clear();
    PutSubject(subject, "subject", p);
    for (uint64_t row = offsets[p]; row < offsets[p + 1]; ++row) {
      PutStart(b, kMedicationRequest, 'm', row);
      Put(b, ",\"status\":\"completed\",\"intent\":\"order\",\"medicationCodeableConcept\":");
      Put(b, concepts[code.id(row)]);
      b.push_back(',');
      b.append(subject.data(), subject.data() + subject.size());
      Put(b, ",\"authoredOn\":");
      PutQuotedDate(b, date[row]);
      if (std::isfinite(quantity[row])) {
        Put(b, ",\"dispenseRequest\":{\"quantity\":{\"value\":");
        PutFloat(b, quantity[row]);
        Put(b, "}}");
      }
      b.push_back('}');
      if (!f.EndResource()) return f.status();
    }
  }
  return Status::Ok();
}

Status Exporter::WriteEncounters() {
  NdjsonFile& f = *files_[kEncounter];
  Buffer& b = f.buffer();
  const auto offsets = snap_.hospital_activity().patient_offsets;
  const auto date = snap_.hospital_activity().date;
  const auto setting = snap_.hospital_activity().setting;
  const CodeColumn provider = snap_.hospital_activity().provider;
  const auto stay = snap_.hospital_activity().length_of_stay_days;
  // Each provider's serviceProvider, rendered once ("" for none).
  std::vector<std::string> service(provider.dictionary_size());
  for (uint32_t id = 0; id < service.size(); ++id) {
    if (provider.dictionary_entry(id).empty()) continue;
    Buffer sb;
    Put(sb, ",\"serviceProvider\":{\"identifier\":{\"system\":\"");
    Put(sb, kOdsOrganisationSystem);
    Put(sb, "\",\"value\":");
    PutString(sb, provider.dictionary_entry(id));
    Put(sb, "}}");
    service[id].assign(sb.data(), sb.size());
  }
  Buffer subject;
  for (uint32_t p = 0; p < patients_; ++p) {
    if (offsets[p] == offsets[p + 1]) continue;
    subject.clear();
    PutSubject(subject, "subject", p);
    for (uint64_t row = offsets[p]; row < offsets[p + 1]; ++row) {
      std::string_view act, priority;
      switch (static_cast<HospitalSetting>(setting[row])) {
        case HospitalSetting::kAe:
          act = "EMER";
          break;
        case HospitalSetting::kEmergencyAdmission:
          act = "IMP";
          priority = "EM";
          break;
        case HospitalSetting::kElectiveAdmission:
          act = "IMP";
          priority = "EL";
          break;
        case HospitalSetting::kOutpatient:
          act = "AMB";
          break;
        default:
          return Status::Corruption(
              fmt::format("snapshot {}: hospital_activity row {} has setting {}, which is not one",
                          snap_.directory(), row, setting[row]));
      }
      PutStart(b, kEncounter, 'h', row);
      Put(b, ",\"status\":\"finished\",\"class\":{\"system\":\"");
      Put(b, kActCodeSystem);
      Put(b, "\",\"code\":\"");
      Put(b, act);
      Put(b, "\"},\"type\":[{\"coding\":[{\"system\":\"");
      Put(b, kHospitalSettingSystem);
      Put(b, "\",\"code\":\"");
      Put(b, Name(static_cast<HospitalSetting>(setting[row])));
      Put(b, "\"}]}]");
      if (!priority.empty()) {
        Put(b, ",\"priority\":{\"coding\":[{\"system\":\"");
        Put(b, kActPrioritySystem);
        Put(b, "\",\"code\":\"");
        Put(b, priority);
        Put(b, "\"}]}");
      }
      b.push_back(',');
      b.append(subject.data(), subject.data() + subject.size());
      Put(b, ",\"period\":{\"start\":");
      PutQuotedDate(b, date[row]);
      if (stay[row] != kNoSmallNumber) {
        Put(b, ",\"end\":");
        PutQuotedDate(b, date[row] + stay[row]);
      }
      b.push_back('}');
      Put(b, service[provider.id(row)]);
      b.push_back('}');
      if (!f.EndResource()) return f.status();
    }
  }
  return Status::Ok();
}

Status Exporter::WriteAppointments() {
  NdjsonFile& f = *files_[kAppointment];
  Buffer& b = f.buffer();
  const auto practice = snap_.appointments().practice;
  const auto patient = snap_.appointments().patient;
  const auto date = snap_.appointments().date;
  const auto booked = snap_.appointments().booked_date;
  const auto role = snap_.appointments().staff_role;
  const auto mode = snap_.appointments().mode;
  const auto status = snap_.appointments().status;
  const auto duration = snap_.appointments().duration_minutes;
  for (uint64_t row = 0; row < practice.size(); ++row) {
    std::string_view fhir_status;
    switch (static_cast<AppointmentStatus>(status[row])) {
      case AppointmentStatus::kAttended:
        fhir_status = "fulfilled";
        break;
      case AppointmentStatus::kDidNotAttend:
        fhir_status = "noshow";
        break;
      case AppointmentStatus::kCancelled:
        fhir_status = "cancelled";
        break;
      case AppointmentStatus::kBooked:
        fhir_status = "booked";
        break;
    }
    const std::string_view mode_name = Name(static_cast<AppointmentMode>(mode[row]));
    if (fhir_status.empty() || mode_name == "unknown" ||
        (patient[row] != kNoRow && patient[row] >= patients_) ||
        (duration[row] != kNoSmallNumber && duration[row] >= 24 * 60)) {
      return Status::Corruption(
          fmt::format("snapshot {}: appointment row {} has a status, mode, patient or duration "
                      "out of range",
                      snap_.directory(), row));
    }
    PutStart(b, kAppointment, 'a', row);
    Put(b, ",\"extension\":[{\"url\":\"");
    Put(b, kAppointmentModeExtension);
    Put(b, "\",\"valueCode\":\"");
    Put(b, mode_name);
    Put(b, "\"}],\"status\":\"");
    Put(b, fhir_status);
    // A day, not a time: start at midnight UTC. FHIR needs an end with a
    // start: the end of the slot, or the next midnight when its length is
    // unknown. minutesDuration is a positiveInt, so a 0-minute slot has none
    // (and ends when it starts).
    Put(b, "\",\"start\":");
    PutInstant(b, date[row], 0);
    Put(b, ",\"end\":");
    if (duration[row] == kNoSmallNumber) {
      PutInstant(b, date[row] + 1, 0);
    } else {
      PutInstant(b, date[row], duration[row]);
      if (duration[row] > 0) {
        Put(b, ",\"minutesDuration\":");
        PutUInt(b, duration[row]);
      }
    }
    if (booked[row] != kNoDate) {
      Put(b, ",\"created\":");
      PutQuotedDate(b, booked[row]);
    }
    Put(b, ",\"participant\":[");
    if (patient[row] != kNoRow) {
      b.push_back('{');
      PutSubject(b, "actor", patient[row]);
      Put(b, ",\"status\":\"accepted\"},");
    }
    Put(b, "{\"actor\":{\"reference\":\"PractitionerRole/role-");
    PutUInt(b, practice[row]);
    b.push_back('-');
    PutUInt(b, role[row]);
    Put(b, "\"},\"status\":\"accepted\"}]}");
    if (!f.EndResource()) return f.status();
  }
  return Status::Ok();
}

}  // namespace

uint64_t ExportResult::count(std::string_view resource_type) const {
  for (const auto& t : types) {
    if (t.resource_type == resource_type) return t.resources;
  }
  return 0;
}

std::string CodeableConceptJson(std::string_view code, std::string_view default_system) {
  Buffer b;
  if (!PutCodeableConcept(b, code, default_system)) return "";
  return std::string(b.data(), b.size());
}

void AppendJsonString(std::string_view text, std::string* out) {
  Buffer b;
  PutString(b, text);
  out->append(b.data(), b.size());
}

Status EstimateExport(const ExportOptions& options, uint64_t* needed_bytes, uint64_t* free_bytes) {
  std::unique_ptr<Snapshot> snap;
  POPULUS_RETURN_IF_ERROR(Snapshot::Open(options.data_dir, &snap));
  const uint64_t rows = snap->organisations().rows + snap->patients().rows + snap->events().rows +
                        snap->medications().rows + snap->appointments().rows +
                        snap->hospital_activity().rows;
  *needed_bytes = rows * kEstimatedBytesPerResource;
  // The nearest folder that exists on the way to OUT_DIR.
  std::error_code ec;
  fs::path where = fs::absolute(options.out_dir, ec);
  while (!where.empty() && !fs::exists(where, ec) && where != where.root_path()) {
    where = where.parent_path();
  }
  const fs::space_info space = fs::space(where, ec);
  if (ec)
    return Status::Io(
        fmt::format("cannot tell the free disk at '{}': {}", where.string(), ec.message()));
  *free_bytes = space.available;
  return Status::Ok();
}

Status ExportFhir(const ExportOptions& options, ExportResult* result) {
  const auto start = std::chrono::steady_clock::now();
  *result = ExportResult();
  if (options.out_dir.empty()) return Status::Usage("no output directory given");
  std::unique_ptr<Snapshot> snap;
  POPULUS_RETURN_IF_ERROR(Snapshot::Open(options.data_dir, &snap));
  result->version = snap->version();
  OutputDirectory out;
  POPULUS_RETURN_IF_ERROR(
      out.Begin(options.out_dir, options.overwrite, "populus export --format fhir", "OUT_DIR"));
  Exporter exporter(options, *snap, out.staging());
  POPULUS_RETURN_IF_ERROR(exporter.Run());
  for (int t = 0; t < kTypeCount; ++t) {
    const NdjsonFile& file = exporter.file(t);
    ExportTypeResult r;
    r.resource_type = std::string(kTypeNames[t]);
    r.resources = file.resources();
    if (file.resources() > 0) {
      r.file = FileName(static_cast<Type>(t));
      r.bytes = file.bytes();
    } else {
      std::error_code ec;
      fs::remove(fs::path(out.staging()) / FileName(static_cast<Type>(t)), ec);
    }
    result->resources += r.resources;
    result->bytes_written += r.bytes;
    result->types.push_back(std::move(r));
  }
  POPULUS_RETURN_IF_ERROR(out.Finish());
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace populus::fhir
