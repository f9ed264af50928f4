#include "ingest/csv_extract.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>

namespace populus {
namespace {
namespace fs = std::filesystem;

class CsvTable final : public TableRecords {
 public:
  explicit CsvTable(std::string file) : file_(std::move(file)) {}
  Status Open(const std::string& path) { return reader_.Open(path); }
  bool Next(CsvRecord* record) override { return reader_.Next(record); }
  Status status() const override { return reader_.status(); }
  std::string_view file() const override { return file_; }
  uint64_t size() const override { return reader_.file_size(); }
  uint64_t consumed() const override { return reader_.bytes_consumed(); }
  uint64_t bytes_read() const override { return reader_.bytes_consumed(); }

 private:
  std::string file_;
  CsvReader reader_;
};

class CsvExtract final : public ExtractSource {
 public:
  explicit CsvExtract(std::string dir) : dir_(std::move(dir)) {}

  Status Prepare() override {
    if (!fs::is_directory(dir_)) {
      return Status::Usage(fmt::format("'{}' is not a directory", dir_));
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string name = entry.path().filename().string();
      std::string extension = entry.path().extension().string();
      for (char& ch : extension) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      if (extension != ".csv") continue;
      // calibration.csv: the report `populus generate` writes beside its extract.
      if (name == "calibration.csv") continue;
      bool known = false;
      for (const auto& spec : ExtractTables()) known = known || spec.file == name;
      if (!known) {
        std::string expected;
        for (const auto& spec : ExtractTables()) {
          expected += (expected.empty() ? "" : ", ") + std::string(spec.file);
        }
        return Status::Data(fmt::format(
            "{}: populus does not know this file, so its rows would be lost (the extract format "
            "has: {})",
            entry.path().string(), expected));
      }
    }
    for (const auto& spec : ExtractTables()) {
      std::error_code ec2;
      if (spec.required_file && !fs::exists(fs::symlink_status(fs::path(dir_) / spec.file, ec2))) {
        return Status::Data(
            fmt::format("{}: the extract has no {}, which every extract needs", dir_, spec.file));
      }
    }
    return Status::Ok();
  }

  Status PatientsByNhsNumber(bool* nhs_numbers) override {
    const std::string path = (fs::path(dir_) / "patients.csv").string();
    CsvReader reader;
    POPULUS_RETURN_IF_ERROR(reader.Open(path));
    CsvRecord header;
    if (!reader.Next(&header)) {
      POPULUS_RETURN_IF_ERROR(reader.status());
      return Status::Data(path + ": the file is empty; it needs at least a header row");
    }
    HeaderBinding binding;
    POPULUS_RETURN_IF_ERROR(binding.Bind(SpecFor(ExtractTable::kPatients), header, path));
    const bool has_nhs = binding.index("nhs_number") >= 0;
    const bool has_id = binding.index("patient_id") >= 0;
    if (has_nhs == has_id) {
      return Status::Data(fmt::format(
          "{} line 1: the file needs exactly one of the columns nhs_number and patient_id", path));
    }
    *nhs_numbers = has_nhs;
    return Status::Ok();
  }

  Status Open(const ExtractTableSpec& spec, std::unique_ptr<TableRecords>* records) override {
    records->reset();
    const std::string path = (fs::path(dir_) / spec.file).string();
    // A name that is there but no regular file (a dangling link, a FIFO) is
    // an error from the reader, never an absent table.
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) return Status::Ok();
    auto table = std::make_unique<CsvTable>(std::string(spec.file));
    POPULUS_RETURN_IF_ERROR(table->Open(path));
    *records = std::move(table);
    return Status::Ok();
  }

  std::string TableLabel(const ExtractTableSpec& spec) const override {
    return std::string(spec.file);
  }
  // A CSV row always reaches its table, to be quarantined there if it must be.
  Status ForEachProblem(const std::function<Status(const SourceProblem&)>&) override {
    return Status::Ok();
  }
  std::string path() const override { return fs::absolute(dir_).lexically_normal().string(); }
  std::string format() const override { return "populus-csv-extract-v1"; }

 private:
  std::string dir_;
};

}  // namespace

std::unique_ptr<ExtractSource> OpenCsvExtract(const std::string& extract_dir) {
  return std::make_unique<CsvExtract>(extract_dir);
}

}  // namespace populus
