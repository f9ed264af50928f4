#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "common/status.h"
#include "store/snapshot.h"

namespace populus::cli {
namespace {

struct InfoArgs {
  std::string data_dir;
  std::string version;
  bool json = false;
};

nlohmann::json Describe(const Snapshot& snap, const std::string& data_dir) {
  const nlohmann::json& m = snap.manifest();
  nlohmann::json out;
  out["data_dir"] = data_dir;
  out["version"] = snap.version();
  out["created_utc"] = m.value("created_utc", "");
  out["source"] = m.value("source", nlohmann::json::object());
  out["extract_date"] = m.value("extract_date", "");
  out["patient_identifier"] = m.value("patient_identifier", "");
  out["key_fingerprint"] = m.value("key_fingerprint", "");
  out["checksums"] = "verified";
  uint64_t total = 0;
  for (const std::string& table : snap.table_names()) {
    nlohmann::json t;
    t["rows"] = snap.rows(table);
    t["bytes"] = snap.table_bytes(table);
    total += snap.table_bytes(table);
    if (m["date_ranges"].contains(table)) t["date_range"] = m["date_ranges"][table];
    out["tables"][table] = t;
  }
  if (snap.events().rows > 0) {
    // Bytes per event, apart from the per-patient offsets and the dictionaries.
    uint64_t per_event = 0;
    for (const char* column : {"date", "code", "value_present", "value_rank", "value", "unit"}) {
      per_event += snap.column("events", column).file_bytes();
    }
    out["bytes_per_event"] =
        static_cast<double>(per_event) / static_cast<double>(snap.events().rows);
  }
  out["total_bytes"] = total;
  out["organisations_by_type"] = m.value("organisations_by_type", nlohmann::json::object());
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(DataDirLayout(data_dir).versions_dir(), ec)) {
    if (ParseVersionName(e.path().filename().string()) > 0) {
      versions.push_back(e.path().filename().string());
    }
  }
  std::sort(versions.begin(), versions.end());
  out["versions"] = versions;
  return out;
}

void PrintHuman(const nlohmann::json& d) {
  fmt::print("snapshot {} of {} (all column checksums verified)\n", d["version"].get<std::string>(),
             d["data_dir"].get<std::string>());
  fmt::print("  created        {}\n", d["created_utc"].get<std::string>());
  fmt::print("  source         {}\n", d["source"].value("path", ""));
  fmt::print("  extract date   {}\n", d["extract_date"].get<std::string>());
  fmt::print("  identifiers    {}{}\n", d["patient_identifier"].get<std::string>(),
             d["key_fingerprint"].get<std::string>().empty()
                 ? ""
                 : " (key fingerprint " + d["key_fingerprint"].get<std::string>() + ")");
  fmt::print("  {:<20} {:>12} {:>14}  {}\n", "table", "rows", "bytes", "dates");
  for (const auto& [table, t] : d["tables"].items()) {
    std::string dates;
    if (t.contains("date_range") && !t["date_range"].is_null()) {
      dates = t["date_range"]["min"].get<std::string>() + " to " +
              t["date_range"]["max"].get<std::string>();
    }
    fmt::print("  {:<20} {:>12} {:>14}  {}\n", table, t["rows"].get<uint64_t>(),
               t["bytes"].get<uint64_t>(), dates);
  }
  fmt::print("  {:<20} {:>12} {:>14}\n", "total", "", d["total_bytes"].get<uint64_t>());
  if (d.contains("bytes_per_event")) {
    fmt::print("  events on disk: {:.2f} bytes per event plus dictionaries and offsets\n",
               d["bytes_per_event"].get<double>());
  }
  std::string orgs;
  for (const char* type : {"ics", "locality", "pcn", "practice", "site", "pharmacy"}) {
    if (d["organisations_by_type"].contains(type)) {
      orgs += fmt::format("{}{} {}", orgs.empty() ? "" : ", ",
                          d["organisations_by_type"][type].get<int>(), type);
    }
  }
  fmt::print("  organisations  {}\n", orgs);
  std::string versions;
  for (const auto& v : d["versions"])
    versions += (versions.empty() ? "" : " ") + v.get<std::string>();
  fmt::print("  versions kept  {}\n", versions);
}

}  // namespace

Command AddInfoCommand(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub = app.add_subcommand(
      "info", "Describe a data directory's snapshot, verifying every column's checksum.");
  sub->add_option("DATA_DIR", args->data_dir, "Data directory")->required();
  sub->add_option("--snapshot", args->version, "A version other than the published one (v000001)");
  sub->add_flag("--json", args->json, "Print JSON");
  auto run = [args]() -> int {
    std::unique_ptr<Snapshot> snap;
    const Status st = args->version.empty()
                          ? Snapshot::Open(args->data_dir, &snap)
                          : Snapshot::OpenVersion(args->data_dir, args->version, &snap);
    if (!st.ok()) return Fail(st);
    const nlohmann::json d = Describe(*snap, args->data_dir);
    if (args->json) {
      fmt::print("{}\n", d.dump(2));
    } else {
      PrintHuman(d);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace populus::cli
