#include "extract/extract_schema.h"

#include <fmt/format.h>

namespace populus {

const std::vector<ExtractTableSpec>& ExtractTables() {
  static const std::vector<ExtractTableSpec> kTables = {
      {ExtractTable::kOrganisations,
       "organisations.csv",
       "organisations",
       true,
       {{"code", true},
        {"name", true},
        {"type", true},
        {"parent_code", true},
        {"postcode", false}}},
      {ExtractTable::kPatients,
       "patients.csv",
       "patients",
       true,
       {{"nhs_number", false},
        {"patient_id", false},
        {"date_of_birth", true},
        {"sex", true},
        {"practice_code", true},
        {"registered_from", true},
        {"registered_to", false},
        {"date_of_death", false},
        {"lsoa", false},
        {"imd_decile", false},
        {"ethnicity", false},
        {"care_home", false}}},
      {ExtractTable::kEvents,
       "events.csv",
       "events",
       false,
       {{"patient", true},
        {"date", true},
        {"snomed_code", true},
        {"numeric_value", false},
        {"unit", false}}},
      {ExtractTable::kMedications,
       "medications.csv",
       "medications",
       false,
       {{"patient", true}, {"date", true}, {"dmd_code", true}, {"quantity", false}}},
      {ExtractTable::kAppointments,
       "appointments.csv",
       "appointments",
       false,
       {{"practice_code", true},
        {"patient", false},
        {"date", true},
        {"booked_date", false},
        {"staff_role", true},
        {"mode", true},
        {"status", true},
        {"duration_minutes", false}}},
      {ExtractTable::kHospitalActivity,
       "hospital_activity.csv",
       "hospital_activity",
       false,
       {{"patient", true},
        {"date", true},
        {"setting", true},
        {"provider", false},
        {"length_of_stay_days", false}}},
  };
  return kTables;
}

const ExtractTableSpec& SpecFor(ExtractTable table) {
  for (const auto& spec : ExtractTables()) {
    if (spec.table == table) return spec;
  }
  return ExtractTables().front();
}

Status HeaderBinding::Bind(const ExtractTableSpec& spec, const CsvRecord& header,
                           const std::string& path) {
  spec_ = &spec;
  positions_.assign(spec.columns.size(), -1);
  names_.clear();
  width_ = header.fields.size();
  if (header.problem != CsvProblem::kNone) {
    return Status::Data(fmt::format("{} line {}: the header row is malformed: {}", path,
                                    header.line, CsvProblemText(header.problem)));
  }
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name(header.fields[i]);
    // Tolerate surrounding spaces in header names, which spreadsheets add.
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    names_.push_back(name);
    size_t k = 0;
    while (k < spec.columns.size() && spec.columns[k].name != name) ++k;
    if (k == spec.columns.size()) {
      std::string known;
      for (const auto& c : spec.columns) known += (known.empty() ? "" : ", ") + std::string(c.name);
      return Status::Data(
          fmt::format("{} line {} column {}: '{}' is not a column of {} (expected: {})", path,
                      header.line, i + 1, name, spec.file, known));
    }
    if (positions_[k] >= 0) {
      return Status::Data(fmt::format("{} line {} column {}: column '{}' appears twice", path,
                                      header.line, i + 1, name));
    }
    positions_[k] = static_cast<int>(i);
  }
  for (size_t k = 0; k < spec.columns.size(); ++k) {
    if (spec.columns[k].required && positions_[k] < 0) {
      return Status::Data(fmt::format("{} line {}: the required column '{}' is missing", path,
                                      header.line, spec.columns[k].name));
    }
  }
  return Status::Ok();
}

int HeaderBinding::index(std::string_view column) const {
  for (size_t k = 0; k < spec_->columns.size(); ++k) {
    if (spec_->columns[k].name == column) return positions_[k];
  }
  return -1;
}

bool IsOrganisationCode(std::string_view code) {
  if (code.empty() || code.size() > 32) return false;
  for (char c : code) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace populus
