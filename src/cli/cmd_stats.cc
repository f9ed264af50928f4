// `populus stats`: the public health methods of src/analysis/statistics.h on
// an analyst's own table, with PHEindicatormethods' column conventions.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <map>
#include <memory>
#include <sstream>
#include <string_view>

#include "analysis/statistics.h"
#include "analysis/table.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/number.h"
#include "common/output_directory.h"

namespace populus::cli {
namespace {

using analysis::CsvLine;
using analysis::Estimate;

struct StatsArgs {
  std::string input, output, confidence = "0.95", stdpop, statistic, ratio_type = "count",
                             rate_type = "dsr", significance;
  double multiplier = std::nan("");
  double years = 1;
  std::string group_by;
  bool ratio = false;
  bool overwrite = false;
  std::string columns;                      // --columns ROLE=COLUMN,...
  std::map<std::string, std::string> role;  // parsed from `columns`
  int digits = 10;                          // significant digits of every number written
  std::string Format(double v) const { return analysis::FormatValue(v, digits); }
  // The column named for a role by --columns, else the role's own name.
  const char* Col(const char* name) const {
    const auto it = role.find(name);
    return it == role.end() ? name : it->second.c_str();
  }
};

// The roles --columns may name.
constexpr const char* kColumnRoles[] = {"numerator", "denominator", "count", "pop",
                                        "refcount",  "refpop",      "area",  "rate"};

// Parses --columns and checks that every role it names is one `command`
// reads (`uses`) and every column it names is in the table.
Status MapColumns(StatsArgs* a, const Table& t, std::string_view command,
                  std::initializer_list<std::string_view> uses) {
  a->role.clear();
  if (a->columns.empty()) return Status::Ok();
  size_t from = 0;
  while (from <= a->columns.size()) {
    size_t comma = a->columns.find(',', from);
    if (comma == std::string::npos) comma = a->columns.size();
    const std::string pair = a->columns.substr(from, comma - from);
    from = comma + 1;
    const size_t eq = pair.find('=');
    const std::string r = pair.substr(0, eq),
                      column = eq == std::string::npos ? "" : pair.substr(eq + 1);
    bool known = false;
    for (const char* k : kColumnRoles) known = known || r == k;
    if (!known || column.empty()) {
      return Status::Usage(
          fmt::format("--columns '{}': each entry is ROLE=COLUMN with ROLE one of {}", pair,
                      fmt::join(std::begin(kColumnRoles), std::end(kColumnRoles), ", ")));
    }
    if (std::find(uses.begin(), uses.end(), r) == uses.end()) {
      return Status::Usage(fmt::format("--columns {}: stats {} reads no {} column (it reads {})",
                                       pair, command, r, fmt::join(uses, ", ")));
    }
    if (t.Column({column.c_str()}) < 0) {
      return Status::Usage(fmt::format("--columns {}: {} has no column '{}' (its columns: {})",
                                       pair, t.path, column, fmt::join(t.header, ", ")));
    }
    if (!a->role.emplace(r, column).second) {
      return Status::Usage(fmt::format("--columns names the {} column twice", r));
    }
  }
  return Status::Ok();
}

// "0.95", "95", "0.998" or the pair "0.95,0.998" (the only pair).
Status ParseConfidence(const std::string& text, std::vector<double>* out) {
  out->clear();
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    double c = 0;
    if (!ParseDecimal(part, &c)) {
      return Status::Usage(fmt::format("--confidence '{}' is not a number", part));
    }
    if (c >= 90 && c <= 100) c /= 100;
    if (!(c >= 0.9 && c <= 1)) {
      return Status::Usage(
          fmt::format("--confidence {} must be from 0.9 to 1 (or 90 to 100 per cent)", part));
    }
    out->push_back(c);
  }
  if (out->empty() || out->size() > 2 ||
      (out->size() == 2 && ((*out)[0] != 0.95 || (*out)[1] != 0.998))) {
    return Status::Usage("--confidence takes one level, or the pair 0.95,0.998");
  }
  return Status::Ok();
}

// A number as R prints it by default (100000 is "1e+05").
std::string RNumber(double v) {
  std::string fixed = fmt::format("{}", v);
  if (v != std::floor(v) || v == 0) return fixed;
  std::string sci = fmt::format("{:e}", v);
  // Trim the mantissa's trailing zeros and the exponent's leading ones, as R.
  const size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  while (mantissa.back() == '0') mantissa.pop_back();
  if (mantissa.back() == '.') mantissa.pop_back();
  const int exponent = std::stoi(sci.substr(e + 1));
  sci = fmt::format("{}e{}{:02d}", mantissa, exponent < 0 ? '-' : '+', std::abs(exponent));
  fixed = fmt::format("{:.0f}", v);
  return sci.size() < fixed.size() ? sci : fixed;
}

// 100000 as "100,000".
std::string Thousands(double v) {
  std::string digits = fmt::format("{:.0f}", v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string ConfidenceText(const std::vector<double>& confidence) {
  std::string text;
  for (double c : confidence) {
    text += (text.empty() ? "" : ", ") + fmt::format("{:.15g}%", c * 100);
  }
  return text;
}

// The limit column names: lowercl/uppercl, or lower95_0cl ... upper99_8cl.
std::vector<std::string> LimitColumns(const std::vector<double>& confidence) {
  if (confidence.size() == 1) return {"lowercl", "uppercl"};
  return {"lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"};
}

void AppendEstimate(const StatsArgs& a, const Estimate& e, std::vector<std::string>* row) {
  row->push_back(a.Format(e.value));
  for (const auto& l : e.limits) {
    row->push_back(a.Format(l.lower));
    row->push_back(a.Format(l.upper));
  }
}

// The input's own columns that the output does not compute, kept for each row.
std::vector<size_t> PassThrough(const Table& t, const std::vector<std::string>& computed) {
  std::vector<size_t> keep;
  for (size_t c = 0; c < t.header.size(); ++c) {
    bool clash = false;
    for (const auto& name : computed) {
      clash =
          clash || (t.header[c].size() == name.size() &&
                    std::equal(name.begin(), name.end(), t.header[c].begin(), [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    }));
    }
    if (!clash) keep.push_back(c);
  }
  return keep;
}

// Rows grouped by a column's value (in order of first appearance), or all
// rows as one group named by `fallback` when there is no such column.
std::vector<std::pair<std::string, std::vector<size_t>>> Groups(const Table& t, int column,
                                                                const std::string& fallback) {
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  std::map<std::string, size_t> index;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string key = column >= 0 ? t.rows[r][static_cast<size_t>(column)] : fallback;
    auto [it, added] = index.emplace(key, groups.size());
    if (added) groups.push_back({key, {}});
    groups[it->second].second.push_back(r);
  }
  return groups;
}

// Proportions and crude rates, row by row or summed by --group-by.
Status RunProportionOrRate(StatsArgs& a, bool rate, std::string* out) {
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(a.input, &t));
  POPULUS_RETURN_IF_ERROR(
      MapColumns(&a, t, rate ? "rate" : "proportion", {"numerator", "denominator"}));
  std::vector<double> confidence;
  POPULUS_RETURN_IF_ERROR(ParseConfidence(a.confidence, &confidence));
  const double m = std::isnan(a.multiplier) ? (rate ? 100000.0 : 1.0) : a.multiplier;
  if (!(m > 0)) return Status::Usage("--multiplier must be above 0");
  int x = 0, n = 0;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("numerator"), "x", "count"}, &x));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("denominator"), "n", "pop"}, &n));
  const std::string statistic = rate       ? fmt::format("rate per {:.0f}", m)
                                : m == 100 ? "percentage"
                                           : "proportion of " + RNumber(m);
  std::vector<std::string> computed = {"value"};
  for (const auto& c : LimitColumns(confidence)) computed.push_back(c);
  for (const char* c : {"confidence", "statistic", "method"}) computed.push_back(c);
  int group = -1;
  if (!a.group_by.empty()) {
    group = t.Column({a.group_by.c_str()});
    if (group < 0) {
      return Status::Usage(fmt::format("--group-by {}: no such column in {}", a.group_by, a.input));
    }
  }
  std::vector<std::string> header;
  std::vector<size_t> keep;
  if (group >= 0) {
    header = {t.header[static_cast<size_t>(group)], t.header[static_cast<size_t>(x)],
              t.header[static_cast<size_t>(n)]};
  } else {
    keep = PassThrough(t, computed);
    for (size_t c : keep) header.push_back(t.header[c]);
  }
  header.insert(header.end(), computed.begin(), computed.end());
  *out = CsvLine(header);
  for (const auto& [key, rows] : Groups(t, group, "")) {
    if (group < 0) {
      for (size_t r : rows) {
        double xv, nv;
        POPULUS_RETURN_IF_ERROR(t.Number(r, x, true, &xv));
        POPULUS_RETURN_IF_ERROR(t.Number(r, n, true, &nv));
        if (xv < 0 || nv <= 0 || (!rate && xv > nv)) {
          return Status::Data(
              fmt::format("{} line {}: need numerator 0 or more{} and denominator above 0", a.input,
                          t.lines[r], rate ? "" : " and at most the denominator"));
        }
        const Estimate e = rate ? analysis::Rate(xv, nv, confidence, m)
                                : analysis::Proportion(xv, nv, confidence, m);
        std::vector<std::string> row;
        for (size_t c : keep) row.push_back(t.rows[r][c]);
        AppendEstimate(a, e, &row);
        row.insert(row.end(), {ConfidenceText(confidence), statistic, e.method});
        *out += CsvLine(row);
      }
      continue;
    }
    double xs = 0, ns = 0;
    for (size_t r : rows) {
      double xv, nv;
      POPULUS_RETURN_IF_ERROR(t.Number(r, x, true, &xv));
      POPULUS_RETURN_IF_ERROR(t.Number(r, n, true, &nv));
      xs += xv;
      ns += nv;
    }
    const Estimate e =
        rate ? analysis::Rate(xs, ns, confidence, m) : analysis::Proportion(xs, ns, confidence, m);
    std::vector<std::string> row = {key, a.Format(xs), a.Format(ns)};
    AppendEstimate(a, e, &row);
    row.insert(row.end(), {ConfidenceText(confidence), statistic, e.method});
    *out += CsvLine(row);
  }
  return Status::Ok();
}

// The standard population: ESP 2013's 19 bands, or a file of weights (a
// column stdpop, or the last column), matched to each area's bands in order.
Status StandardPopulation(const std::string& path, std::vector<double>* weights) {
  weights->clear();
  if (path.empty()) {
    const auto& esp = analysis::EuropeanStandardPopulation2013();
    weights->assign(esp.begin(), esp.end());
    return Status::Ok();
  }
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(path, &t));
  int column = t.Column({"stdpop", "esp2013", "weight"});
  if (column < 0) column = static_cast<int>(t.header.size()) - 1;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double w;
    POPULUS_RETURN_IF_ERROR(t.Number(r, column, false, &w));
    if (w < 0)
      return Status::Data(fmt::format("{} line {}: a weight is negative", path, t.lines[r]));
    weights->push_back(w);
  }
  if (weights->empty()) return Status::Data(fmt::format("{}: no weights", path));
  double total = 0;
  for (double w : *weights) total += w;
  if (!(total > 0)) {
    return Status::Data(fmt::format("{}: every weight is 0, so nothing can be standardised", path));
  }
  return Status::Ok();
}

Status RunDsrOrIsr(StatsArgs& a, bool dsr, std::string* out) {
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(a.input, &t));
  if (dsr) {
    POPULUS_RETURN_IF_ERROR(MapColumns(&a, t, "dsr", {"count", "pop", "area"}));
  } else {
    POPULUS_RETURN_IF_ERROR(
        MapColumns(&a, t, "isr", {"count", "pop", "refcount", "refpop", "area"}));
  }
  std::vector<double> confidence;
  POPULUS_RETURN_IF_ERROR(ParseConfidence(a.confidence, &confidence));
  const bool ratio = !dsr && a.ratio;
  const double m = std::isnan(a.multiplier) ? (ratio ? 1.0 : 100000.0) : a.multiplier;
  if (!(m > 0)) return Status::Usage("--multiplier must be above 0");
  int count = 0, pop = 0, refcount = -1, refpop = -1;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("count"), "numerator", "x"}, &count));
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("pop"), "denominator", "n"}, &pop));
  if (!dsr) {
    POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("refcount"), "x_ref"}, &refcount));
    POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("refpop"), "n_ref"}, &refpop));
  }
  std::vector<double> standard;
  if (dsr) POPULUS_RETURN_IF_ERROR(StandardPopulation(a.stdpop, &standard));
  const int area = t.Column({a.Col("area")});
  std::vector<std::string> header = {area >= 0 ? t.header[static_cast<size_t>(area)] : "area"};
  if (dsr) {
    header.insert(header.end(), {"total_count", "total_pop"});
  } else {
    header.insert(header.end(), {"observed", "expected"});
    if (!ratio) header.push_back("ref_rate");
  }
  header.push_back("value");
  for (const auto& c : LimitColumns(confidence)) header.push_back(c);
  header.insert(header.end(), {"confidence", "statistic", "method"});
  *out = CsvLine(header);
  for (const auto& [key, rows] : Groups(t, area, "all")) {
    std::vector<double> x, n, rx, rn;
    for (size_t r : rows) {
      double v;
      POPULUS_RETURN_IF_ERROR(t.Number(r, count, true, &v));
      if (v < 0) {
        return Status::Data(fmt::format("{} line {}: count must be 0 or more, not {}", a.input,
                                        t.lines[r], RNumber(v)));
      }
      x.push_back(v);
      POPULUS_RETURN_IF_ERROR(t.Number(r, pop, !dsr, &v));
      if (dsr && !(v > 0)) {
        return Status::Data(fmt::format("{} line {}: pop must be above 0", a.input, t.lines[r]));
      }
      n.push_back(v);
      if (!dsr) {
        POPULUS_RETURN_IF_ERROR(t.Number(r, refcount, true, &v));
        if (v < 0) {
          return Status::Data(fmt::format("{} line {}: refcount must be 0 or more, not {}", a.input,
                                          t.lines[r], RNumber(v)));
        }
        rx.push_back(v);
        POPULUS_RETURN_IF_ERROR(t.Number(r, refpop, false, &v));
        if (!(v > 0)) {
          return Status::Data(
              fmt::format("{} line {}: refpop must be above 0", a.input, t.lines[r]));
        }
        rn.push_back(v);
      }
    }
    std::vector<std::string> row = {key};
    if (dsr) {
      if (rows.size() != standard.size()) {
        return Status::Data(fmt::format(
            "{}: area '{}' has {} bands but the standard population has {} (give --stdpop)",
            a.input, key, rows.size(), standard.size()));
      }
      const analysis::Dsr d = analysis::DirectlyStandardisedRate(x, n, standard, confidence, m);
      row.insert(row.end(), {a.Format(d.total_count), a.Format(d.total_pop)});
      AppendEstimate(a, d.estimate, &row);
      row.insert(row.end(), {ConfidenceText(confidence),
                             d.total_count < 10 ? "dsr NA for total count < 10"
                                                : fmt::format("dsr per {:.0f}", m),
                             d.estimate.method});
    } else {
      const analysis::Isr s = analysis::IndirectlyStandardised(x, n, rx, rn, confidence, m, ratio);
      row.insert(row.end(), {a.Format(s.observed), a.Format(s.expected)});
      if (!ratio) row.push_back(a.Format(s.reference_rate));
      AppendEstimate(a, s.estimate, &row);
      row.insert(row.end(), {ConfidenceText(confidence),
                             ratio ? fmt::format("indirectly standardised ratio x {:.0f}", m)
                                   : fmt::format("indirectly standardised rate per {:.0f}", m),
                             s.estimate.method});
    }
    *out += CsvLine(row);
  }
  return Status::Ok();
}

Status RunFunnel(StatsArgs& a, std::string* out, std::string* significance) {
  Table t;
  POPULUS_RETURN_IF_ERROR(ReadTable(a.input, &t));
  POPULUS_RETURN_IF_ERROR(MapColumns(&a, t, "funnel", {"numerator", "denominator", "rate"}));
  analysis::FunnelOptions o;
  if (a.statistic == "proportion") {
    o.statistic = analysis::FunnelStatistic::kProportion;
  } else if (a.statistic == "ratio") {
    o.statistic = analysis::FunnelStatistic::kRatio;
  } else if (a.statistic == "rate") {
    o.statistic = analysis::FunnelStatistic::kRate;
  } else {
    return Status::Usage("--statistic must be proportion, ratio or rate");
  }
  if (a.ratio_type != "count" && a.ratio_type != "isr") {
    return Status::Usage("--ratio-type must be count or isr");
  }
  if (a.rate_type != "dsr" && a.rate_type != "crude") {
    return Status::Usage("--rate-type must be dsr or crude");
  }
  o.ratio_type = a.ratio_type == "isr" ? analysis::RatioType::kIsr : analysis::RatioType::kCount;
  o.rate_type = a.rate_type == "crude" ? analysis::RateType::kCrude : analysis::RateType::kDsr;
  if (std::isnan(a.multiplier)) return Status::Usage("funnel needs --multiplier (e.g. 100)");
  o.multiplier = a.multiplier;
  o.years_of_data = a.years;
  if (!(o.multiplier > 0 && o.years_of_data > 0)) {
    return Status::Usage("--multiplier and --years must be above 0");
  }
  analysis::FunnelInput in;
  int num = 0, den = -1, rate = -1;
  POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("numerator"), "obs", "observed", "events"}, &num));
  den = t.Column({a.Col("denominator"), "expected", "population"});
  if (o.statistic != analysis::FunnelStatistic::kRate && den < 0) {
    POPULUS_RETURN_IF_ERROR(
        t.RequireColumn({a.Col("denominator"), "expected", "population"}, &den));
  }
  if (o.statistic == analysis::FunnelStatistic::kRate) {
    POPULUS_RETURN_IF_ERROR(t.RequireColumn({a.Col("rate"), "value"}, &rate));
  }
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double v;
    POPULUS_RETURN_IF_ERROR(t.Number(r, num, false, &v));
    if (v < 0) {
      return Status::Data(fmt::format("{} line {}: {} must be 0 or more, not {}", a.input,
                                      t.lines[r], t.header[static_cast<size_t>(num)], RNumber(v)));
    }
    in.numerator.push_back(v);
    if (den >= 0) {
      POPULUS_RETURN_IF_ERROR(
          t.Number(r, den, o.statistic == analysis::FunnelStatistic::kRate, &v));
      if (v < 0) {
        return Status::Data(fmt::format("{} line {}: {} must be 0 or more, not {}", a.input,
                                        t.lines[r], t.header[static_cast<size_t>(den)],
                                        RNumber(v)));
      }
      in.denominator.push_back(v);
    }
    if (rate >= 0) {
      POPULUS_RETURN_IF_ERROR(t.Number(r, rate, true, &v));
      in.rate.push_back(v);
    }
  }
  analysis::FunnelLimits limits;
  std::string error;
  if (!analysis::CalculateFunnelLimits(in, o, &limits, &error)) {
    return Status::Data(fmt::format("{}: {}", a.input, error));
  }
  std::vector<std::string> header;
  const bool ratio = o.statistic == analysis::FunnelStatistic::kRatio;
  const bool is_rate = o.statistic == analysis::FunnelStatistic::kRate;
  header.push_back(ratio ? "Observed_events" : is_rate ? "Events" : "Population");
  const char* sig[2] = {"2s", "3s"};
  for (int s = 0; s < 2; ++s) {
    for (const char* side : {"lower", "upper"}) {
      if (ratio) header.push_back(fmt::format("{}_{}_exp_events", side, sig[s]));
      if (is_rate) header.push_back(fmt::format("{}_{}_population_1_year", side, sig[s]));
      header.push_back(fmt::format("{}_{}_limit", side, sig[s]));
    }
  }
  if (!ratio) header.push_back("baseline");
  header.insert(header.end(), {"statistic", "method"});
  const std::string statistic =
      ratio     ? (o.ratio_type == analysis::RatioType::kCount ? "ratio (count)" : "ratio (isr)")
      : is_rate ? fmt::format("rate ({} per {})", a.rate_type, Thousands(o.multiplier))
                : "proportion";
  *out = CsvLine(header);
  for (const auto& p : limits.points) {
    std::vector<std::string> row = {a.Format(p.x)};
    for (int s = 0; s < 2; ++s) {
      if (ratio || is_rate) row.push_back(a.Format(p.lower_denominator[s]));
      row.push_back(a.Format(p.lower[s]));
      if (ratio || is_rate) row.push_back(a.Format(p.upper_denominator[s]));
      row.push_back(a.Format(p.upper[s]));
    }
    if (!ratio) row.push_back(a.Format(limits.baseline));
    row.insert(
        row.end(),
        {statistic, o.statistic == analysis::FunnelStatistic::kProportion ? "Wilson" : "Poisson"});
    *out += CsvLine(row);
  }
  if (!a.significance.empty()) {
    // The input's columns (bar one already called significance) and ours.
    const std::vector<std::string> labels = analysis::FunnelSignificance(in, o);
    const std::vector<size_t> keep = PassThrough(t, {"significance"});
    std::vector<std::string> h;
    for (size_t c : keep) h.push_back(t.header[c]);
    h.push_back("significance");
    *significance = CsvLine(h);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      std::vector<std::string> row;
      for (size_t c : keep) row.push_back(t.rows[r][c]);
      row.push_back(labels[r]);
      *significance += CsvLine(row);
    }
  }
  return Status::Ok();
}

}  // namespace

Command AddStatsCommand(CLI::App& app) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* sub = app.add_subcommand(
      "stats",
      "Public health statistics on your own table, as PHEindicatormethods (Fingertips) computes\n"
      "them: proportion (Wilson), rate (exact/Byar's), dsr (Dobson, ESP 2013), isr, funnel.\n"
      "See docs/statistics.md.");
  sub->require_subcommand(1);
  auto common = [&](CLI::App* s) {
    s->add_option("--input", args->input, "Input CSV")->required()->check(CLI::ExistingFile);
    s->add_option("--output", args->output, "Output CSV (default: standard output)");
    s->add_flag("--overwrite", args->overwrite, "Replace an existing output file");
    s->add_option("--columns", args->columns,
                  "Which of the input's columns play which part, e.g. for populus analyse's "
                  "registers.csv: numerator=patients,denominator=population (roles: numerator, "
                  "denominator, count, pop, refcount, refpop, area, rate)");
    s->add_option("--digits", args->digits,
                  "Significant digits of every number written (trailing zeros dropped)")
        ->capture_default_str()
        ->check(WholeNumber(1, 17));
    s->add_option("--multiplier", args->multiplier, "Scale of the value (e.g. 100, 100000)")
        ->check(FiniteNumber(0, 1e15, true));
  };
  CLI::App* proportion = sub->add_subcommand(
      "proportion", "Columns numerator, denominator (others kept); Wilson limits");
  CLI::App* rate = sub->add_subcommand(
      "rate", "Columns numerator, denominator; exact limits below 10 events, Byar's from 10");
  CLI::App* dsr = sub->add_subcommand(
      "dsr", "Columns area, count, pop, one row per age band in order (19 ESP 2013 bands)");
  CLI::App* isr = sub->add_subcommand(
      "isr", "Columns area, count, pop, refcount, refpop by band; --ratio for the ratio");
  CLI::App* funnel = sub->add_subcommand(
      "funnel", "Funnel plot limits (100 points) for proportion, ratio or rate");
  for (CLI::App* s : {proportion, rate, dsr, isr}) {
    common(s);
    s->add_option("--confidence", args->confidence, "0.95, 0.998, or 0.95,0.998")
        ->capture_default_str();
  }
  for (CLI::App* s : {proportion, rate}) {
    s->add_option("--group-by", args->group_by, "Sum numerator and denominator by this column");
  }
  dsr->add_option("--stdpop", args->stdpop,
                  "Standard population CSV (column stdpop), one row per band in order");
  isr->add_flag("--ratio", args->ratio,
                "The standardised ratio (times --multiplier, default 1) instead of the rate");
  common(funnel);
  funnel->add_option("--statistic", args->statistic, "proportion, ratio or rate")->required();
  funnel->add_option("--ratio-type", args->ratio_type, "count (ratio - 1) or isr (x 100)")
      ->capture_default_str();
  funnel->add_option("--rate-type", args->rate_type, "dsr or crude")->capture_default_str();
  funnel->add_option("--years", args->years, "Years of data the rates cover")
      ->capture_default_str()
      ->check(FiniteNumber(0, 1000, true));
  funnel->add_option("--significance", args->significance,
                     "Also write each input row with its significance to this CSV");
  auto run = [args, proportion, rate, dsr, isr, funnel]() -> int {
    std::string out, significance;
    Status st;
    if (proportion->parsed()) st = RunProportionOrRate(*args, false, &out);
    if (rate->parsed()) st = RunProportionOrRate(*args, true, &out);
    if (dsr->parsed()) st = RunDsrOrIsr(*args, true, &out);
    if (isr->parsed()) st = RunDsrOrIsr(*args, false, &out);
    if (funnel->parsed()) st = RunFunnel(*args, &out, &significance);
    // Both outputs are checked before either is written.
    if (st.ok()) st = CheckOutputFile(args->output, args->overwrite);
    if (st.ok()) st = CheckOutputFile(args->significance, args->overwrite, "--significance");
    if (st.ok() && !args->output.empty() && !args->significance.empty() &&
        SameOutputPath(args->output, args->significance)) {
      st = Status::Usage("--output and --significance name the same file; name two files");
    }
    if (st.ok() && !significance.empty())
      st = WriteOutputFile(args->significance, significance, args->overwrite, "--significance");
    if (st.ok()) st = WriteOutputFile(args->output, out, args->overwrite);
    return st.ok() ? 0 : Fail(st);
  };
  return {sub, run};
}

}  // namespace populus::cli
