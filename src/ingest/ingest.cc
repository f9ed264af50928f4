#include "ingest/ingest.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <thread>
#include <unordered_map>

#include "common/file_io.h"
#include "common/nhs_number.h"
#include "common/number.h"
#include "common/snomed_id.h"
#include "common/vocabulary.h"
#include "extract/csv_reader.h"
#include "extract/extract_schema.h"
#include "ingest/csv_extract.h"
#include "ingest/extract_source.h"
#include "ingest/loader.h"
#include "ingest/pseudonymiser.h"
#include "ingest/quarantine.h"
#include "store/snapshot.h"
#include "store/snapshot_writer.h"

namespace populus {
namespace fs = std::filesystem;

nlohmann::json IngestResult::ToJson() const {
  nlohmann::json j;
  j["published"] = published;
  if (published) {
    j["version"] = version;
    j["snapshot"] = snapshot_dir;
  } else {
    j["rejected"] = rejected_dir;
    j["rejection"] = rejection;
  }
  j["quarantine"] = quarantine_file;
  j["bytes_read"] = bytes_read;
  j["seconds"] = seconds;
  j["write_seconds"] = write_seconds;
  j["warnings"] = warnings;
  j["examples"] = examples;
  if (!source_summary.is_null()) j["source"] = source_summary;
  for (const auto& f : files) {
    nlohmann::json fj;
    fj["present"] = f.present;
    fj["bytes"] = f.bytes;
    fj["rows_read"] = f.rows_read;
    fj["rows_loaded"] = f.rows_loaded;
    fj["rows_quarantined"] = f.rows_quarantined;
    fj["seconds"] = f.seconds;
    fj["quarantined_by_rule"] = f.quarantined_by_rule;
    j["files"][f.file] = fj;
  }
  return j;
}

namespace loading {

Status Loader::QuarantineSourceProblems() {
  return source_.ForEachProblem([this](const SourceProblem& p) {
    POPULUS_RETURN_IF_ERROR(quarantine_.Add(p.file, p.line, p.column, p.rule, p.reason, p.record));
    // Counted with their table's rows (ReadTable), so --lenient and
    // --max-errors see each once.
    ++source_problems_[p.table][std::string(RuleName(p.rule))];
    return Status::Ok();
  });
}

Status Loader::Run() {
  const auto start = std::chrono::steady_clock::now();
  extract_date_ = options_.extract_date != kNoDate ? options_.extract_date : TodayUtc();
  POPULUS_RETURN_IF_ERROR(source_.Prepare());
  // The lock comes first: even a demo key is only made by the one writer.
  POPULUS_RETURN_IF_ERROR(writer_.Begin(options_.data_dir));
  POPULUS_RETURN_IF_ERROR(ChoosePatientIdentifier());
  const std::string quarantine_path = writer_.staging_dir() + "/quarantine.csv";
  POPULUS_RETURN_IF_ERROR(quarantine_.Open(quarantine_path));
  POPULUS_RETURN_IF_ERROR(QuarantineSourceProblems());

  // Organisations and patients must be sound before anything links to them.
  std::string rejection;
  POPULUS_RETURN_IF_ERROR(LoadOrganisations());
  if (org_rejects_ > 0 && !options_.lenient) {
    rejection = fmt::format(
        "{} organisation row(s) failed validation; the load is rejected (use --lenient to "
        "quarantine them and load the rest)",
        org_rejects_);
  }
  if (rejection.empty()) {
    POPULUS_RETURN_IF_ERROR(LoadPatients());
    if (patient_rejects_ > 0 && !options_.lenient) {
      rejection = fmt::format(
          "{} patient row(s) failed validation; the load is rejected (use --lenient to "
          "quarantine them and load the rest)",
          patient_rejects_);
    }
  }
  if (rejection.empty()) {
    // The patients' final order first, so the event-like rows spill to
    // disk under the patient numbers they are written with.
    SortPatients();
    POPULUS_RETURN_IF_ERROR(LoadEvents());
    CrashPoint("after-events");
    POPULUS_RETURN_IF_ERROR(LoadMedications());
    POPULUS_RETURN_IF_ERROR(LoadAppointments());
    POPULUS_RETURN_IF_ERROR(LoadHospitalActivity());
    if (options_.max_errors >= 0 &&
        event_like_rejects_ > static_cast<uint64_t>(options_.max_errors)) {
      rejection = fmt::format(
          "{} event, medication, appointment or hospital rows were quarantined, more than "
          "--max-errors {}; the load is rejected",
          event_like_rejects_, options_.max_errors);
    }
  }
  POPULUS_RETURN_IF_ERROR(quarantine_.Close());
  result_->examples = quarantine_.examples();
  source_.Describe(result_);
  result_->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!rejection.empty()) {
    result_->rejected_dir = writer_.RejectedPath();
    result_->quarantine_file = result_->rejected_dir + "/quarantine.csv";
    result_->rejection = rejection;

    POPULUS_RETURN_IF_ERROR(WriteFileAtomically(writer_.staging_dir() + "/load-report.json",
                                                result_->ToJson().dump(2) + "\n"));
    POPULUS_RETURN_IF_ERROR(writer_.Reject());
    return Status::Data(rejection);
  }

  const auto write_start = std::chrono::steady_clock::now();
  POPULUS_RETURN_IF_ERROR(WriteSnapshot());

  // Does this load link with the snapshot it replaces? (Only a question when
  // both were made from NHS numbers.)
  std::string key_fingerprint = nhs_mode_ ? pseudonymiser_.Fingerprint() : "";
  if (nhs_mode_) {
    std::string previous_version, previous_key;
    LatestKeyFingerprint(&previous_version, &previous_key);
    if (!previous_key.empty() && previous_key != key_fingerprint) {
      result_->warnings.push_back(fmt::format(
          "this load's pseudonymisation key differs from the one that made {}: pseudonyms "
          "will not link between the two",
          previous_version));
    }
  }

  nlohmann::json& manifest = writer_.manifest();
  manifest["created_utc"] = [] {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  }();
  manifest["source"] = {{"path", source_.path()}, {"format", source_.format()}};
  manifest["extract_date"] = FormatIsoDate(extract_date_);
  manifest["patient_identifier"] = nhs_mode_ ? "nhs-number-hmac-sha256" : "patient-id";
  manifest["key_fingerprint"] = key_fingerprint;
  nlohmann::json ranges = nlohmann::json::object();
  for (const auto& [name, range] : date_ranges_) ranges[name] = range.ToJson();
  manifest["date_ranges"] = ranges;
  nlohmann::json by_type = nlohmann::json::object();
  for (const auto& o : organisations_) {
    by_type[std::string(Name(o.type))] = by_type.value(std::string(Name(o.type)), 0) + 1;
  }
  manifest["organisations_by_type"] = by_type;
  // The report describes the load as it will stand once published; if
  // publication fails, nothing that holds it is published either.
  result_->version = writer_.NextVersion();
  result_->published = true;
  result_->snapshot_dir = writer_.layout().version_dir(result_->version);
  result_->quarantine_file = result_->snapshot_dir + "/quarantine.csv";
  result_->write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  result_->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  manifest["load"] = result_->ToJson();
  POPULUS_RETURN_IF_ERROR(WriteFileAtomically(writer_.staging_dir() + "/load-report.json",
                                              result_->ToJson().dump(2) + "\n"));
  const Status published = writer_.Publish(options_.keep_versions);
  if (!published.ok()) {
    result_->published = false;
    result_->version.clear();
    result_->snapshot_dir.clear();
    result_->quarantine_file.clear();
    return published;
  }
  return Status::Ok();
}

}  // namespace loading

Status IngestFrom(ExtractSource& source, const IngestOptions& options, IngestResult* result) {
  loading::Loader loader(source, options, result);
  return loader.Run();
}

Status Ingest(const IngestOptions& options, IngestResult* result) {
  std::unique_ptr<ExtractSource> source = OpenCsvExtract(options.extract_dir);
  return IngestFrom(*source, options, result);
}

}  // namespace populus
