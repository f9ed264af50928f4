#include "common/vocabulary.h"
#include "extract/csv_reader.h"
#include "fhir/fhir_source.h"
#include "fhir/fhir_systems.h"

namespace populus::fhir {

void FhirSource::MapOrganisation(element e) {
  OrganisationAnchor o;
  o.resource = current_.anchor;
  o.id = current_.id;
  array identifiers;
  if (json_.Arr(e, "identifier", &identifiers)) {
    for (element id : identifiers) {
      const std::string_view system = json_.Str(id, "system");
      if (system == kOdsOrganisationSystem || system == "https://fhir.nhs.uk/Id/ods-site-code") {
        o.ods_code = json_.Str(id, "value");
        break;
      }
    }
  }
  o.code = !o.ods_code.empty() ? o.ods_code : std::string(current_.id);
  o.name = json_.Str(e, "name");
  json_.ForEachCoding(e, "type", [&](element c) {
    const std::string_view system = json_.Str(c, "system");
    const std::string_view code = json_.Str(c, "code");
    OrgType parsed;
    if (system == kOrganisationTypeSystem && Parse(code, &parsed)) {
      o.type = Name(parsed);
    } else if (o.type.empty() && system.find("ODSOrganisationRole") != std::string_view::npos) {
      if (code == "RO76") o.type = "practice";
      if (code == "RO272") o.type = "pcn";
      if (code == "RO318") o.type = "ics";
      if (code == "RO319") o.type = "locality";
      if (code == "RO182") o.type = "pharmacy";
    }
  });
  element part_of;
  if (json_.Obj(e, "partOf", &part_of)) o.parent_ref = simdjson::to_string(part_of);
  element address;
  if (json_.First(e, "address", &address)) o.postcode = json_.Str(address, "postalCode");
  if (QuarantineWrongType(ExtractTable::kOrganisations)) return;
  if (!o.populus_type()) CurrentOutcome() = Outcome::kNotUsed;
  AddKeys(&organisation_keys_, e, static_cast<uint32_t>(organisations_.size()));
  organisations_.push_back(std::move(o));
}

Status FhirSource::ReadOrganisationsCsv() {
  const std::string& path = options_.organisations_csv;
  CsvReader reader;
  POPULUS_RETURN_IF_ERROR(reader.Open(path));
  CsvRecord rec;
  if (!reader.Next(&rec)) {
    POPULUS_RETURN_IF_ERROR(reader.status());
    return Status::Data(path + ": the file is empty; it needs at least a header row");
  }
  HeaderBinding binding;
  POPULUS_RETURN_IF_ERROR(binding.Bind(SpecFor(ExtractTable::kOrganisations), rec, path));
  const uint32_t file = FileIndex(std::filesystem::path(path).filename().string());
  const uint32_t type = TypeIndex("organisations.csv");
  while (reader.Next(&rec)) {
    const uint32_t index = static_cast<uint32_t>(anchors_.size());
    anchors_.push_back({type, file, rec.line});
    std::vector<std::string> fields(organisations_table_->width());
    if (rec.fields.size() == binding.width() && rec.problem == CsvProblem::kNone) {
      for (size_t c = 0; c < fields.size(); ++c) {
        const int at = binding.index(SpecFor(ExtractTable::kOrganisations).columns[c].name);
        if (at >= 0) fields[c] = rec.fields[static_cast<size_t>(at)];
      }
      OrganisationAnchor o;
      o.code = fields[0];
      o.ods_code = fields[0];
      OrgType org_type;
      if (Parse(fields[2], &org_type)) o.type = Name(org_type);
      organisation_keys_.AddIdentifier(kOdsOrganisationSystem, o.code,
                                       static_cast<uint32_t>(organisations_.size()));
      organisations_.push_back(std::move(o));
    } else {
      const Rule rule = rec.problem != CsvProblem::kNone ? Rule::kCsvQuoting : Rule::kColumnCount;
      const std::string reason = rec.problem != CsvProblem::kNone
                                     ? CsvProblemText(rec.problem)
                                     : fmt::format("{} fields where the header has {}",
                                                   rec.fields.size(), binding.width());
      problems_.Add({ExtractTable::kOrganisations, files_[file], rec.line, "", rule, reason,
                     SanitisedRawRecord(rec.raw)},
                    kNoSeq);
      anchors_.back().outcome = Outcome::kQuarantined;
      continue;
    }
    RowOrigin origin;
    origin.anchor = 1;
    origin.id = index;
    origin.file = file;
    origin.line = rec.line;
    origin.type = type;
    organisations_table_->Add(fields, origin);
  }
  return reader.status();
}

void FhirSource::ResolveOrganisations() {
  for (auto& o : organisations_) {
    if (o.resource == kNone || !o.populus_type()) continue;
    BeginAnchor(o.resource, "Organization", o.id);
    std::string parent, text;
    if (!o.parent_ref.empty()) {
      const uint32_t p = ResolveStored(organisation_keys_, o.parent_ref, &text);
      if (p == kNone) {
        Problem(ExtractTable::kOrganisations, "partOf", Rule::kDanglingReference,
                fmt::format("partOf '{}' resolves to no Organization of this load", text));
        continue;
      }
      parent = organisations_[p].code;
    }
    if (QuarantineWrongType(ExtractTable::kOrganisations)) continue;  // in partOf
    organisations_table_->Add({o.code, o.name, o.type, parent, o.postcode}, Origin());
  }
}

}  // namespace populus::fhir
