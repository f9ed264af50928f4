// Ordering the staged rows and writing them as a snapshot.
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <span>
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

// Appends field(row) of each of `rows` in `order` to a column.
template <typename Row, typename FieldFn>
Status AppendInOrder(ColumnAppender* column, const std::vector<Row>& rows,
                     const std::vector<uint32_t>& order, FieldFn field) {
  using T = decltype(field(rows[0]));
  std::vector<T> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = field(rows[order[i]]);
  return column->Append(std::span<const T>(out));
}

// A dictionary-encoded column written piece by piece: ids as uint16 when
// the dictionary has at most 65536 entries, else uint32 (as
// SnapshotWriter::Codes), its dictionary sorted (StringInterner::Finish).
class CodeAppender {
 public:
  explicit CodeAppender(size_t dictionary_size)
      : type_(SnapshotWriter::CodeIdType(dictionary_size)) {}
  Status Begin(SnapshotWriter& w, const std::string& table, const std::string& name) {
    table_ = table;
    name_ = name;
    return w.BeginColumn(table, name, type_, &file_);
  }
  // The ids (already remapped to the sorted dictionary), in row order.
  Status AppendIds(const std::vector<uint32_t>& ids) {
    if (type_ == ColumnType::kUInt32) return file_.Append(std::span<const uint32_t>(ids));
    narrow_.assign(ids.begin(), ids.end());
    return file_.Append(std::span<const uint16_t>(narrow_));
  }
  // remap[id(row)] of each of `rows` in `order`.
  template <typename Row, typename IdFn>
  Status Append(const std::vector<Row>& rows, const std::vector<uint32_t>& order,
                const std::vector<uint32_t>& remap, IdFn id) {
    ids_.resize(order.size());
    for (size_t i = 0; i < order.size(); ++i) ids_[i] = remap[id(rows[order[i]])];
    return AppendIds(ids_);
  }
  Status End(SnapshotWriter& w, const std::vector<std::string>& dictionary) {
    POPULUS_RETURN_IF_ERROR(w.EndColumn(table_, name_, &file_));
    return w.Strings(table_, name_ + ".dict", dictionary);
  }

 private:
  ColumnType type_;
  std::string table_, name_;
  ColumnAppender file_;
  std::vector<uint32_t> ids_;
  std::vector<uint16_t> narrow_;
};

// Writes a patient-keyed table from its staged buckets, one at a time: each
// bucket's rows ordered by (patient, date), keeping the extract's order
// between rows of one patient and date (PatientDateOrder), with the
// table's patient_offsets and date columns; `rest(bucket, order)` appends
// the other columns. *rows is the table's row count.
template <typename Row, typename RestFn>
Status WriteByPatient(SnapshotWriter& w, const std::string& table, BucketedRows<Row>* staged,
                      RestFn rest, uint64_t* rows) {
  ColumnAppender offsets, dates;
  POPULUS_RETURN_IF_ERROR(w.BeginColumn(table, "patient_offsets", ColumnType::kUInt64, &offsets));
  POPULUS_RETURN_IF_ERROR(w.BeginColumn(table, "date", ColumnType::kInt32, &dates));
  std::vector<Row> bucket;
  std::vector<uint32_t> patient, order;
  std::vector<Date> date;
  std::vector<uint64_t> local;
  uint64_t written = 0;
  for (size_t b = 0; b < staged->buckets(); ++b) {
    POPULUS_RETURN_IF_ERROR(staged->Read(b, &bucket));
    const auto first = static_cast<uint32_t>(staged->first_key(b));
    patient.resize(bucket.size());
    date.resize(bucket.size());
    for (size_t i = 0; i < bucket.size(); ++i) {
      patient[i] = bucket[i].patient - first;
      date[i] = bucket[i].date;
    }
    PatientDateOrder(patient, date, staged->keys_in(b), &order, &local);
    local.pop_back();  // the bucket's end: the next bucket's first offset
    for (uint64_t& o : local) o += written;
    POPULUS_RETURN_IF_ERROR(offsets.Append(std::span<const uint64_t>(local)));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&dates, bucket, order, [](const Row& r) { return r.date; }));
    POPULUS_RETURN_IF_ERROR(rest(bucket, order));
    written += bucket.size();
  }
  const uint64_t end[] = {written};
  POPULUS_RETURN_IF_ERROR(offsets.Append(std::span<const uint64_t>(end)));
  POPULUS_RETURN_IF_ERROR(w.EndColumn(table, "patient_offsets", &offsets));
  POPULUS_RETURN_IF_ERROR(w.EndColumn(table, "date", &dates));
  *rows = written;
  return Status::Ok();
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
  // The indexes that find a patient's row from its identifier.
  nhs_index_.Remap(new_index);
  for (auto& [id, row] : id_index_) row = new_index[row];
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
  EventRows& e = events_;
  std::vector<std::string> code_dict, unit_dict;
  std::vector<uint32_t> code_remap, unit_remap;
  e.codes.Finish(&code_dict, &code_remap);
  e.units.Finish(&unit_dict, &unit_remap);
  CodeAppender codes(code_dict.size()), units(unit_dict.size());
  ColumnAppender present, rank, values;
  POPULUS_RETURN_IF_ERROR(codes.Begin(w, "events", "code"));
  POPULUS_RETURN_IF_ERROR(units.Begin(w, "events", "unit"));
  POPULUS_RETURN_IF_ERROR(w.BeginColumn("events", "value_present", ColumnType::kBitmap, &present));
  POPULUS_RETURN_IF_ERROR(w.BeginColumn("events", "value_rank", ColumnType::kUInt32, &rank));
  POPULUS_RETURN_IF_ERROR(w.BeginColumn("events", "value", ColumnType::kFloat32, &values));
  uint64_t row_index = 0, value_count = 0, word = 0;
  std::vector<uint64_t> words;
  std::vector<uint32_t> ranks, unit_ids;
  std::vector<float> present_values;
  uint64_t rows = 0;
  auto rest = [&](const std::vector<EventRow>& bucket, const std::vector<uint32_t>& order) {
    POPULUS_RETURN_IF_ERROR(
        codes.Append(bucket, order, code_remap, [](const EventRow& r) { return r.code; }));
    words.clear();
    ranks.clear();
    unit_ids.clear();
    present_values.clear();
    for (uint32_t i : order) {
      if ((row_index & 63) == 0) ranks.push_back(static_cast<uint32_t>(value_count));
      const float v = bucket[i].value;
      if (!std::isnan(v)) {
        word |= uint64_t{1} << (row_index & 63);
        present_values.push_back(v);
        unit_ids.push_back(unit_remap[bucket[i].unit]);
        ++value_count;
      }
      if ((++row_index & 63) == 0) {
        words.push_back(word);
        word = 0;
      }
    }
    POPULUS_RETURN_IF_ERROR(present.AppendBitmapWords(words));
    POPULUS_RETURN_IF_ERROR(rank.Append(std::span<const uint32_t>(ranks)));
    POPULUS_RETURN_IF_ERROR(values.Append(std::span<const float>(present_values)));
    return units.AppendIds(unit_ids);
  };
  POPULUS_RETURN_IF_ERROR(WriteByPatient(w, "events", &e.rows, rest, &rows));
  if ((row_index & 63) != 0) {
    const uint64_t last[] = {word};
    POPULUS_RETURN_IF_ERROR(present.AppendBitmapWords(last));
  }
  POPULUS_RETURN_IF_ERROR(codes.End(w, code_dict));
  POPULUS_RETURN_IF_ERROR(w.EndColumn("events", "value_present", &present, rows));
  POPULUS_RETURN_IF_ERROR(w.EndColumn("events", "value_rank", &rank));
  POPULUS_RETURN_IF_ERROR(w.EndColumn("events", "value", &values));
  POPULUS_RETURN_IF_ERROR(units.End(w, unit_dict));
  w.SetTableRows("events", rows);
  CrashPoint("write-events");
  return Status::Ok();
}

Status Loader::WriteMedications() {
  SnapshotWriter& w = writer_;
  MedicationRows& m = medications_;
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  m.codes.Finish(&dict, &remap);
  CodeAppender codes(dict.size());
  ColumnAppender quantity;
  POPULUS_RETURN_IF_ERROR(codes.Begin(w, "medications", "dmd_code"));
  POPULUS_RETURN_IF_ERROR(
      w.BeginColumn("medications", "quantity", ColumnType::kFloat32, &quantity));
  uint64_t rows = 0;
  auto rest = [&](const std::vector<MedicationRow>& bucket, const std::vector<uint32_t>& order) {
    POPULUS_RETURN_IF_ERROR(
        codes.Append(bucket, order, remap, [](const MedicationRow& r) { return r.code; }));
    return AppendInOrder(&quantity, bucket, order,
                         [](const MedicationRow& r) { return r.quantity; });
  };
  POPULUS_RETURN_IF_ERROR(WriteByPatient(w, "medications", &m.rows, rest, &rows));
  POPULUS_RETURN_IF_ERROR(codes.End(w, dict));
  POPULUS_RETURN_IF_ERROR(w.EndColumn("medications", "quantity", &quantity));
  w.SetTableRows("medications", rows);
  return Status::Ok();
}

Status Loader::WriteHospitalActivity() {
  SnapshotWriter& w = writer_;
  ActivityRows& h = activity_;
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  h.providers.Finish(&dict, &remap);
  CodeAppender providers(dict.size());
  ColumnAppender setting, stay;
  POPULUS_RETURN_IF_ERROR(
      w.BeginColumn("hospital_activity", "setting", ColumnType::kUInt8, &setting));
  POPULUS_RETURN_IF_ERROR(providers.Begin(w, "hospital_activity", "provider"));
  POPULUS_RETURN_IF_ERROR(
      w.BeginColumn("hospital_activity", "length_of_stay_days", ColumnType::kUInt16, &stay));
  uint64_t rows = 0;
  auto rest = [&](const std::vector<ActivityRow>& bucket, const std::vector<uint32_t>& order) {
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&setting, bucket, order, [](const ActivityRow& r) { return r.setting; }));
    POPULUS_RETURN_IF_ERROR(
        providers.Append(bucket, order, remap, [](const ActivityRow& r) { return r.provider; }));
    return AppendInOrder(&stay, bucket, order,
                         [](const ActivityRow& r) { return r.length_of_stay; });
  };
  POPULUS_RETURN_IF_ERROR(WriteByPatient(w, "hospital_activity", &h.rows, rest, &rows));
  POPULUS_RETURN_IF_ERROR(w.EndColumn("hospital_activity", "setting", &setting));
  POPULUS_RETURN_IF_ERROR(providers.End(w, dict));
  POPULUS_RETURN_IF_ERROR(w.EndColumn("hospital_activity", "length_of_stay_days", &stay));
  w.SetTableRows("hospital_activity", rows);
  return Status::Ok();
}

Status Loader::WriteAppointments() {
  // By (practice, date), keeping the extract's order within a day; the rows
  // are staged in buckets of practices, each sorted and written in turn.
  SnapshotWriter& w = writer_;
  BucketedRows<AppointmentRow>& staged = appointments_.rows;
  struct Column {
    const char* name;
    ColumnType type;
    ColumnAppender file;
  };
  std::array<Column, 8> columns = {{{"practice", ColumnType::kUInt32, {}},
                                    {"patient", ColumnType::kUInt32, {}},
                                    {"date", ColumnType::kInt32, {}},
                                    {"booked_date", ColumnType::kInt32, {}},
                                    {"staff_role", ColumnType::kUInt8, {}},
                                    {"mode", ColumnType::kUInt8, {}},
                                    {"status", ColumnType::kUInt8, {}},
                                    {"duration_minutes", ColumnType::kUInt16, {}}}};
  for (Column& c : columns) {
    POPULUS_RETURN_IF_ERROR(w.BeginColumn("appointments", c.name, c.type, &c.file));
  }
  std::vector<AppointmentRow> bucket;
  std::vector<uint32_t> order;
  uint64_t rows = 0;
  for (size_t b = 0; b < staged.buckets(); ++b) {
    POPULUS_RETURN_IF_ERROR(staged.Read(b, &bucket));
    order.resize(bucket.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      if (bucket[x].practice != bucket[y].practice) return bucket[x].practice < bucket[y].practice;
      return bucket[x].date < bucket[y].date;
    });
    using Row = AppointmentRow;
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[0].file, bucket, order, [](const Row& r) { return r.practice; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[1].file, bucket, order, [](const Row& r) { return r.patient; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[2].file, bucket, order, [](const Row& r) { return r.date; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[3].file, bucket, order, [](const Row& r) { return r.booked; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[4].file, bucket, order, [](const Row& r) { return r.role; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[5].file, bucket, order, [](const Row& r) { return r.mode; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[6].file, bucket, order, [](const Row& r) { return r.status; }));
    POPULUS_RETURN_IF_ERROR(
        AppendInOrder(&columns[7].file, bucket, order, [](const Row& r) { return r.duration; }));
    rows += bucket.size();
  }
  for (Column& c : columns) {
    POPULUS_RETURN_IF_ERROR(w.EndColumn("appointments", c.name, &c.file));
  }
  w.SetTableRows("appointments", rows);
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
