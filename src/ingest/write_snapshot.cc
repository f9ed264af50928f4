// Ordering the staged rows and writing them as a snapshot.
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
#include "ingest/field_rules.h"
#include "ingest/loader.h"
#include "ingest/pseudonymiser.h"
#include "ingest/quarantine.h"
#include "store/snapshot.h"
#include "store/snapshot_writer.h"

namespace populus::loading {
namespace {

namespace fs = std::filesystem;

template <typename T>
std::vector<T> Gather(const std::vector<T>& values, const std::vector<uint32_t>& order) {
  std::vector<T> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = values[order[i]];
  return out;
}

std::vector<uint32_t> GatherRemapped(const std::vector<uint32_t>& ids,
                                     const std::vector<uint32_t>& order,
                                     const std::vector<uint32_t>& remap) {
  std::vector<uint32_t> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = remap[ids[order[i]]];
  return out;
}

// The row order that sorts a patient-keyed table by (patient, date), keeping
// the extract's order between rows of the same patient and date; and the
// per-patient offsets.
void PatientDateOrder(const std::vector<uint32_t>& patient, const std::vector<Date>& date,
                      size_t patients, std::vector<uint32_t>* order,
                      std::vector<uint64_t>* offsets) {
  offsets->assign(patients + 1, 0);
  for (uint32_t p : patient) ++(*offsets)[p + 1];
  for (size_t i = 1; i <= patients; ++i) (*offsets)[i] += (*offsets)[i - 1];
  // Scatter (date, row) keys into patient buckets; within a bucket, sorting the
  // keys orders rows by date and, for equal dates, by their place in the extract.
  std::vector<uint64_t> next(offsets->begin(), offsets->end() - 1);
  std::vector<uint64_t> keys(patient.size());
  for (uint32_t row = 0; row < patient.size(); ++row) {
    const uint64_t biased_date = static_cast<uint32_t>(date[row]) ^ 0x80000000u;
    keys[next[patient[row]]++] = biased_date << 32 | row;
  }
  for (size_t p = 0; p < patients; ++p) {
    uint64_t* first = keys.data() + (*offsets)[p];
    uint64_t* last = keys.data() + (*offsets)[p + 1];
    if (last - first > 32) {
      std::sort(first, last);
      continue;
    }
    for (uint64_t* i = first + (first != last ? 1 : 0); i < last; ++i) {
      const uint64_t key = *i;
      uint64_t* k = i;
      while (k > first && key < k[-1]) {
        *k = k[-1];
        --k;
      }
      *k = key;
    }
  }
  order->resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) (*order)[i] = static_cast<uint32_t>(keys[i]);
}

}  // namespace

void Loader::SortPatients() {
  // Patients are stored in pseudonym order so a snapshot does not depend on
  // the order of the extract's rows.
  PatientRows& p = patients_;
  const size_t n = p.key.size();
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return p.key[a] < p.key[b]; });
  std::vector<uint32_t> new_index(n);
  for (uint32_t i = 0; i < n; ++i) new_index[order[i]] = i;
  p.key = Gather(p.key, order);
  p.birth = Gather(p.birth, order);
  p.registered_from = Gather(p.registered_from, order);
  p.registered_to = Gather(p.registered_to, order);
  p.death = Gather(p.death, order);
  p.sex = Gather(p.sex, order);
  p.imd_decile = Gather(p.imd_decile, order);
  p.care_home = Gather(p.care_home, order);
  p.practice = Gather(p.practice, order);
  p.lsoa = Gather(p.lsoa, order);
  p.ethnicity = Gather(p.ethnicity, order);
  for (auto* column : {&events_.patient, &medications_.patient, &activity_.patient}) {
    for (uint32_t& x : *column) x = new_index[x];
  }
  for (uint32_t& x : appointments_.patient) {
    if (x != kNoRow) x = new_index[x];
  }
}

Status Loader::WritePatientOrder(const std::string& table, const std::vector<uint32_t>& patient,
                                 const std::vector<Date>& date, std::vector<uint32_t>* order) {
  std::vector<uint64_t> offsets;
  PatientDateOrder(patient, date, patients_.key.size(), order, &offsets);
  POPULUS_RETURN_IF_ERROR(writer_.Column(table, "patient_offsets", offsets));
  return writer_.Column(table, "date", Gather(date, *order));
}

Status Loader::WriteCodes(const std::string& table, const std::string& name,
                          const StringInterner& interner, const std::vector<uint32_t>& ids,
                          const std::vector<uint32_t>& order) {
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  interner.Finish(&dict, &remap);
  return writer_.Codes(table, name, GatherRemapped(ids, order, remap), dict);
}

Status Loader::WriteOrganisations() {
  SnapshotWriter& w = writer_;
  std::vector<std::string> code, name, postcode;
  std::vector<uint8_t> type;
  std::vector<uint32_t> parent;
  for (const auto& o : organisations_) {
    code.push_back(o.code);
    name.push_back(o.name);
    postcode.push_back(o.postcode);
    type.push_back(static_cast<uint8_t>(o.type));
    auto it = organisation_index_.find(o.parent_code);
    parent.push_back(it == organisation_index_.end() ? kNoRow : it->second);
  }
  POPULUS_RETURN_IF_ERROR(w.Strings("organisations", "code", code));
  POPULUS_RETURN_IF_ERROR(w.Strings("organisations", "name", name));
  POPULUS_RETURN_IF_ERROR(w.Column("organisations", "type", type));
  POPULUS_RETURN_IF_ERROR(w.Column("organisations", "parent", parent));
  POPULUS_RETURN_IF_ERROR(w.Strings("organisations", "postcode", postcode));
  w.SetTableRows("organisations", organisations_.size());
  return Status::Ok();
}

Status Loader::WritePatients() {
  SnapshotWriter& w = writer_;
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  PatientRows& p = patients_;
  POPULUS_RETURN_IF_ERROR(w.Strings("patients", "pseudonym", p.key));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "date_of_birth", p.birth));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "sex", p.sex));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "practice", p.practice));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "registered_from", p.registered_from));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "registered_to", p.registered_to));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "date_of_death", p.death));
  p.lsoa_dict.Finish(&dict, &remap);
  for (uint32_t& x : p.lsoa) x = remap[x];
  POPULUS_RETURN_IF_ERROR(w.Codes("patients", "lsoa", p.lsoa, dict));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "imd_decile", p.imd_decile));
  p.ethnicity_dict.Finish(&dict, &remap);
  for (uint32_t& x : p.ethnicity) x = remap[x];
  POPULUS_RETURN_IF_ERROR(w.Codes("patients", "ethnicity", p.ethnicity, dict));
  POPULUS_RETURN_IF_ERROR(w.Column("patients", "care_home", p.care_home));
  w.SetTableRows("patients", p.key.size());
  return Status::Ok();
}

Status Loader::WriteEvents() {
  // Values are stored only where present, found through a bitmap and its rank.
  SnapshotWriter& w = writer_;
  std::vector<std::string> dict;
  std::vector<uint32_t> remap, order;
  EventRows& e = events_;
  POPULUS_RETURN_IF_ERROR(WritePatientOrder("events", e.patient, e.date, &order));
  POPULUS_RETURN_IF_ERROR(WriteCodes("events", "code", e.codes, e.code, order));
  const size_t n = order.size();
  std::vector<uint64_t> present((n + 63) / 64, 0);
  std::vector<uint32_t> rank(present.size(), 0);
  std::vector<float> values;
  std::vector<uint32_t> units;
  e.units.Finish(&dict, &remap);
  for (size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0) rank[i >> 6] = static_cast<uint32_t>(values.size());
    const float v = e.value[order[i]];
    if (!std::isnan(v)) {
      present[i >> 6] |= uint64_t{1} << (i & 63);
      values.push_back(v);
      units.push_back(remap[e.unit[order[i]]]);
    }
  }
  POPULUS_RETURN_IF_ERROR(w.Bitmap("events", "value_present", present, n));
  POPULUS_RETURN_IF_ERROR(w.Column("events", "value_rank", rank));
  POPULUS_RETURN_IF_ERROR(w.Column("events", "value", values));
  POPULUS_RETURN_IF_ERROR(w.Codes("events", "unit", units, dict));
  w.SetTableRows("events", n);
  CrashPoint("write-events");
  return Status::Ok();
}

Status Loader::WriteMedications() {
  SnapshotWriter& w = writer_;
  std::vector<uint32_t> order;
  MedicationRows& m = medications_;
  POPULUS_RETURN_IF_ERROR(WritePatientOrder("medications", m.patient, m.date, &order));
  POPULUS_RETURN_IF_ERROR(WriteCodes("medications", "dmd_code", m.codes, m.code, order));
  POPULUS_RETURN_IF_ERROR(w.Column("medications", "quantity", Gather(m.quantity, order)));
  w.SetTableRows("medications", order.size());
  return Status::Ok();
}

Status Loader::WriteHospitalActivity() {
  SnapshotWriter& w = writer_;
  std::vector<uint32_t> order;
  ActivityRows& h = activity_;
  POPULUS_RETURN_IF_ERROR(WritePatientOrder("hospital_activity", h.patient, h.date, &order));
  POPULUS_RETURN_IF_ERROR(w.Column("hospital_activity", "setting", Gather(h.setting, order)));
  POPULUS_RETURN_IF_ERROR(
      WriteCodes("hospital_activity", "provider", h.providers, h.provider, order));
  POPULUS_RETURN_IF_ERROR(
      w.Column("hospital_activity", "length_of_stay_days", Gather(h.length_of_stay, order)));
  w.SetTableRows("hospital_activity", order.size());
  return Status::Ok();
}

Status Loader::WriteAppointments() {
  // By (practice, date), keeping the extract's order within a day.
  SnapshotWriter& w = writer_;
  std::vector<uint32_t> order;
  AppointmentRows& a = appointments_;
  order.resize(a.date.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    if (a.practice[x] != a.practice[y]) return a.practice[x] < a.practice[y];
    return a.date[x] < a.date[y];
  });
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "practice", Gather(a.practice, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "patient", Gather(a.patient, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "date", Gather(a.date, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "booked_date", Gather(a.booked, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "staff_role", Gather(a.role, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "mode", Gather(a.mode, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "status", Gather(a.status, order)));
  POPULUS_RETURN_IF_ERROR(w.Column("appointments", "duration_minutes", Gather(a.duration, order)));
  w.SetTableRows("appointments", order.size());
  return Status::Ok();
}

Status Loader::WriteSnapshot() {
  POPULUS_RETURN_IF_ERROR(WriteOrganisations());
  CrashPoint("write-organisations");
  POPULUS_RETURN_IF_ERROR(WritePatients());
  CrashPoint("write-patients");
  // Events, the largest table, are sorted and written on a second core while
  // this one does the rest; the files do not depend on which finishes first.
  Status events_status;
  std::thread events([&] { events_status = WriteEvents(); });
  Status rest = WriteMedications();
  if (rest.ok()) rest = WriteHospitalActivity();
  if (rest.ok()) rest = WriteAppointments();
  events.join();
  POPULUS_RETURN_IF_ERROR(events_status);
  POPULUS_RETURN_IF_ERROR(rest);
  CrashPoint("write-all-tables");
  return Status::Ok();
}

void Loader::LatestKeyFingerprint(std::string* version, std::string* fingerprint) const {
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(writer_.layout().versions_dir(), ec)) {
    if (ParseVersionName(entry.path().filename().string()) > 0) {
      versions.push_back(entry.path().filename().string());
    }
  }
  std::sort(versions.rbegin(), versions.rend());
  for (const std::string& v : versions) {
    std::string text;
    if (!ReadSmallFile(writer_.layout().version_dir(v) + "/manifest.json", &text).ok()) continue;
    const auto manifest = nlohmann::json::parse(text, nullptr, false);
    if (manifest.is_discarded()) continue;
    const std::string key = manifest.value("key_fingerprint", "");
    if (!key.empty()) {
      *version = v;
      *fingerprint = key;
      return;
    }
  }
}

}  // namespace populus::loading
