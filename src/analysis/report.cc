#include "analysis/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "analysis/statistics.h"
#include "analysis/table.h"
#include "common/file_io.h"
#include "common/number.h"

namespace populus::analysis {
namespace {

std::string Esc(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double Num(const std::string& cell) {
  double v = NAN;
  return ParseDecimal(cell, &v) ? v : NAN;
}

// A table read back from the output, with cells by column name.
struct Output {
  Table t;
  bool present = false;
  std::string Cell(size_t row, const char* column) const {
    const int c = t.Column({column});
    return c < 0 ? std::string() : t.rows[row][static_cast<size_t>(c)];
  }
  double Value(size_t row, const char* column) const { return Num(Cell(row, column)); }
};

Status Read(const std::string& dir, const char* file, Output* out) {
  const std::string path = dir + "/" + file;
  out->present = std::filesystem::exists(path);
  if (!out->present) return Status::Ok();
  return ReadTable(path, &out->t);
}

std::string Percent(double v, int decimals = 1) {
  return std::isnan(v) ? "withheld" : fmt::format("{:.{}f}%", v, decimals);
}

std::string Count(double v) {
  if (std::isnan(v)) return "withheld";
  std::string digits = fmt::format("{:.0f}", v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Population pyramid: female to the left, male to the right.
std::string Pyramid(const Output& p) {
  std::vector<std::string> bands;
  std::map<std::string, std::pair<double, double>> counts;  // band -> female, male
  for (size_t r = 0; r < p.t.rows.size(); ++r) {
    if (p.Cell(r, "level") != "ics") continue;
    const std::string band = p.Cell(r, "age_band");
    if (counts.find(band) == counts.end()) bands.push_back(band);
    auto& c = counts[band];
    (p.Cell(r, "sex") == "female" ? c.first : c.second) = p.Value(r, "patients");
  }
  double most = 1;
  for (const auto& [band, c] : counts) most = std::max({most, c.first, c.second});
  const int row = 16, mid = 330, half = 260;
  std::string svg =
      fmt::format("<svg viewBox='0 0 660 {}' role='img' aria-label='Population pyramid'>",
                  bands.size() * row + 40);
  svg += fmt::format("<text x='{}' y='14' text-anchor='end' class='l'>Female</text>", mid - 40);
  svg += fmt::format("<text x='{}' y='14' class='l'>Male</text>", mid + 40);
  for (size_t i = 0; i < bands.size(); ++i) {
    const size_t k = bands.size() - 1 - i;  // oldest at the top
    const auto& c = counts[bands[k]];
    const double y = 24 + static_cast<double>(i) * row;
    const double wf = std::isnan(c.first) ? 0 : half * c.first / most;
    const double wm = std::isnan(c.second) ? 0 : half * c.second / most;
    svg += fmt::format(
        "<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{}' class='f'><title>{} female: "
        "{}</title></rect>",
        mid - 30 - wf, y, wf, row - 3, Esc(bands[k]), Count(c.first));
    svg += fmt::format(
        "<rect x='{}' y='{:.1f}' width='{:.1f}' height='{}' class='m'><title>{} male: "
        "{}</title></rect>",
        mid + 30, y, wm, row - 3, Esc(bands[k]), Count(c.second));
    svg += fmt::format("<text x='{}' y='{:.1f}' text-anchor='middle' class='s'>{}</text>", mid,
                       y + row - 5, Esc(bands[k]));
  }
  return svg + "</svg>";
}

// A funnel plot of practices for one indicator.
std::string Funnel(const Output& ind, const std::string& indicator, std::string* title) {
  FunnelInput in;
  std::vector<std::string> names, significance;
  for (size_t r = 0; r < ind.t.rows.size(); ++r) {
    if (ind.Cell(r, "level") != "practice" || ind.Cell(r, "indicator") != indicator) continue;
    *title = ind.Cell(r, "indicator_name");
    const double x = ind.Value(r, "numerator"), n = ind.Value(r, "denominator");
    if (std::isnan(x) || std::isnan(n) || n <= 0) continue;
    in.numerator.push_back(x);
    in.denominator.push_back(n);
    names.push_back(ind.Cell(r, "organisation_name"));
    significance.push_back(ind.Cell(r, "significance_against_ics"));
  }
  FunnelOptions options;
  FunnelLimits limits;
  std::string error;
  if (in.numerator.size() < 2 || !CalculateFunnelLimits(in, options, &limits, &error)) {
    return "<p class='note'>Too few practices with counts shown to draw a funnel plot.</p>";
  }
  const double w = 600, h = 300, left = 50, bottom = 30;
  double xmax = 0, ymax = 0;
  for (size_t i = 0; i < in.numerator.size(); ++i) {
    xmax = std::max(xmax, in.denominator[i]);
    ymax = std::max(ymax, 100 * in.numerator[i] / in.denominator[i]);
  }
  // The limits rise steeply near zero: the axis goes a little past the
  // highest practice, not up the curve.
  xmax *= 1.05;
  ymax = std::max(ymax * 1.25, 1e-9);
  auto X = [&](double v) { return left + (w - left - 10) * v / xmax; };
  auto Y = [&](double v) { return h - bottom - (h - bottom - 10) * v / ymax; };
  std::string svg = fmt::format("<svg viewBox='0 0 {} {}' role='img'>", w, h);
  svg += fmt::format("<line x1='{}' y1='{}' x2='{}' y2='{}' class='axis'/>", left, h - bottom,
                     w - 10, h - bottom);
  svg +=
      fmt::format("<line x1='{}' y1='10' x2='{}' y2='{}' class='axis'/>", left, left, h - bottom);
  for (int t = 0; t <= 4; ++t) {
    const double v = ymax * t / 4;
    svg += fmt::format("<text x='{}' y='{:.1f}' text-anchor='end' class='s'>{:.1f}</text>",
                       left - 4, Y(v) + 4, v);
    const double xv = xmax * t / 4;
    svg += fmt::format("<text x='{:.1f}' y='{}' text-anchor='{}' class='s'>{}</text>", X(xv),
                       h - bottom + 14, t == 4 ? "end" : "middle", Count(std::round(xv)));
  }
  svg += fmt::format("<line x1='{}' y1='{:.1f}' x2='{}' y2='{:.1f}' class='base'/>", left,
                     Y(limits.baseline), w - 10, Y(limits.baseline));
  for (int s = 0; s < 2; ++s) {
    for (const bool upper : {false, true}) {
      std::string path;
      for (const auto& p : limits.points) {
        const double v = upper ? p.upper[static_cast<size_t>(s)] : p.lower[static_cast<size_t>(s)];
        if (std::isnan(v) || p.x > xmax) continue;
        path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", X(p.x),
                            Y(std::clamp(v, 0.0, ymax)));
      }
      svg += fmt::format("<path d='{}' class='{}'/>", path, s == 0 ? "l95" : "l998");
    }
  }
  for (size_t i = 0; i < in.numerator.size(); ++i) {
    const double v = 100 * in.numerator[i] / in.denominator[i];
    const std::string& sig = significance[i];
    const char* cls = sig.rfind("High (0.001)", 0) == 0  ? "hi3"
                      : sig.rfind("High", 0) == 0        ? "hi2"
                      : sig.rfind("Low (0.001)", 0) == 0 ? "lo3"
                      : sig.rfind("Low", 0) == 0         ? "lo2"
                                                         : "ns";
    svg += fmt::format(
        "<circle cx='{:.1f}' cy='{:.1f}' r='3.5' class='{}'><title>{}: {:.2f} per 100 ({} of "
        "{}); {}</title></circle>",
        X(in.denominator[i]), Y(v), cls, Esc(names[i]), v, Count(in.numerator[i]),
        Count(in.denominator[i]), Esc(sig));
  }
  return svg + "</svg>";
}

// Horizontal bars: label, value (per 100), with an optional count.
std::string Bars(const std::vector<std::tuple<std::string, double, double>>& bars) {
  double most = 1;
  for (const auto& b : bars) {
    if (!std::isnan(std::get<1>(b))) most = std::max(most, std::get<1>(b));
  }
  const int row = 22;
  std::string svg = fmt::format("<svg viewBox='0 0 700 {}' role='img'>", bars.size() * row + 6);
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& [label, value, count] = bars[i];
    const double y = 4 + static_cast<double>(i) * row;
    const double width = std::isnan(value) ? 0 : 240 * value / most;
    svg += fmt::format("<text x='345' y='{:.1f}' text-anchor='end' class='s'>{}</text>", y + 14,
                       Esc(label));
    svg += fmt::format("<rect x='355' y='{:.1f}' width='{:.1f}' height='{}' class='bar'/>", y,
                       width, row - 6);
    svg += fmt::format("<text x='{:.1f}' y='{:.1f}' class='s'>{} ({})</text>", 360 + width, y + 14,
                       Percent(value), Count(count));
  }
  return svg + "</svg>";
}

// Frailty by PCN: each PCN's assessed people (65+) by eFI category, as a
// stacked bar of shares.
std::string FrailtyByPcn(const Output& f) {
  static const char* kCategories[] = {"fit", "mild", "moderate", "severe"};
  std::vector<size_t> rows;
  for (size_t r = 0; r < f.t.rows.size(); ++r) {
    if (f.Cell(r, "level") == "pcn") rows.push_back(r);
  }
  const int row = 20;
  std::string svg = fmt::format("<svg viewBox='0 0 700 {}' role='img'>", rows.size() * row + 30);
  for (size_t i = 0; i < 4; ++i) {
    svg += fmt::format(
        "<rect x='{}' y='2' width='12' height='12' class='c{}'/><text x='{}' y='12' "
        "class='s'>{}</text>",
        300 + i * 90, i, 316 + i * 90, kCategories[i]);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t r = rows[i];
    const double y = 24 + static_cast<double>(i) * row;
    const double assessed = f.Value(r, "assessed");
    svg += fmt::format("<text x='290' y='{:.1f}' text-anchor='end' class='s'>{}</text>", y + 13,
                       Esc(f.Cell(r, "organisation_name")));
    if (std::isnan(assessed) || assessed <= 0) continue;
    double x = 300;
    for (size_t c = 0; c < 4; ++c) {
      const double v = f.Value(r, kCategories[c]);
      if (std::isnan(v)) continue;
      const double width = 380 * v / assessed;
      svg += fmt::format(
          "<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{}' class='c{}'><title>{}: {} "
          "({:.1f}%)</title></rect>",
          x, y, width, row - 5, c, kCategories[c], Count(v), 100 * v / assessed);
      x += width;
    }
  }
  return svg + "</svg>";
}

// One indicator by deprivation quintile, with 95% limits.
std::string Gap(const Output& q, const std::string& indicator, std::string* title,
                std::string* summary) {
  std::vector<std::tuple<std::string, double, double, double>> groups;  // name, value, lo, hi
  bool standardised = false;
  for (size_t r = 0; r < q.t.rows.size(); ++r) {
    if (q.Cell(r, "indicator") != indicator || q.Cell(r, "dimension") != "imd_quintile" ||
        q.Cell(r, "group") == "not recorded") {
      continue;
    }
    *title = q.Cell(r, "indicator_name");
    const double dsr = q.Value(r, "dsr");
    standardised = !std::isnan(dsr);
    groups.emplace_back(q.Cell(r, "group"), standardised ? dsr : q.Value(r, "value"),
                        standardised ? q.Value(r, "dsr_lower95_0cl") : q.Value(r, "lower95_0cl"),
                        standardised ? q.Value(r, "dsr_upper95_0cl") : q.Value(r, "upper95_0cl"));
  }
  if (groups.size() < 2) return "";
  const double first = std::get<1>(groups.front()), last = std::get<1>(groups.back());
  *summary = fmt::format(
      "{} per 100: most deprived quintile (Core20) {:.2f}, least deprived "
      "{:.2f}; ratio {:.2f}.",
      standardised ? "Age-standardised (ESP 2013)" : "Crude", first, last, first / last);
  double most = 0;
  for (const auto& g : groups) most = std::max(most, std::get<3>(g));
  most = std::max(most, 1e-9);
  std::string svg = "<svg viewBox='0 -14 340 194' role='img'>";
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& [name, v, lo, hi] = groups[i];
    const double x = 40 + static_cast<double>(i) * 58;
    auto Y = [&](double value) { return 150 - 130 * value / most; };
    if (!std::isnan(v)) {
      svg += fmt::format(
          "<rect x='{:.1f}' y='{:.1f}' width='40' height='{:.1f}' class='q{}'><title>{}: {:.2f} "
          "({:.2f} to {:.2f})</title></rect>",
          x, Y(v), 150 - Y(v), i, Esc(name), v, lo, hi);
      svg += fmt::format("<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' class='ci'/>",
                         x + 20, x + 20, Y(lo), Y(hi));
      svg += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' class='s'>{:.2f}</text>",
                         x + 20, (std::isnan(hi) ? Y(v) : Y(hi)) - 4, v);
    }
    svg += fmt::format("<text x='{:.1f}' y='166' text-anchor='middle' class='s'>Q{}</text>", x + 20,
                       i + 1);
  }
  return svg + "</svg>";
}

// Observed against predicted admissions by decile of predicted risk.
std::string Calibration(const Output& c) {
  std::vector<std::pair<double, double>> points;
  for (size_t r = 0; r < c.t.rows.size(); ++r) {
    if (c.Cell(r, "grouping") != "decile of predicted risk") continue;
    points.emplace_back(c.Value(r, "mean_predicted_per_100"), c.Value(r, "observed_per_100"));
  }
  double most = 1;
  for (const auto& [p, o] : points) most = std::max({most, p, std::isnan(o) ? 0 : o});
  most *= 1.1;
  const double size = 260;
  auto S = [&](double v) { return 30 + size * v / most; };
  auto T = [&](double v) { return 10 + size - size * v / most; };
  std::string svg = "<svg viewBox='0 0 320 310' role='img'>";
  svg += fmt::format("<line x1='{}' y1='{}' x2='{}' y2='{}' class='base'/>", S(0), T(0), S(most),
                     T(most));
  svg += fmt::format(
      "<text x='160' y='300' text-anchor='middle' class='s'>predicted per "
      "100</text><text x='10' y='150' class='s' transform='rotate(-90 10 150)' "
      "text-anchor='middle'>observed per 100</text>");
  for (const auto& [p, o] : points) {
    if (std::isnan(o)) continue;
    svg += fmt::format(
        "<circle cx='{:.1f}' cy='{:.1f}' r='4' class='ns'><title>predicted {:.2f}, observed "
        "{:.2f}</title></circle>",
        S(p), T(o), p, o);
  }
  return svg + "</svg>";
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2em auto;max-width:1000px;color:#212b32;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0}h2{border-top:1px solid #d8dde0;padding-top:.8em;margin-top:1.6em}
.sub{color:#4c6272}.note{color:#4c6272;font-size:.9em}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #d8dde0;padding:.25em .8em;text-align:left}
td.n{text-align:right}.grid{display:flex;flex-wrap:wrap;gap:1.2em}.grid>div{flex:1 1 420px}.narrow{max-width:620px}
svg{width:100%;height:auto}.l{font-size:13px;font-weight:600}.s{font-size:11px;fill:#212b32}
.f{fill:#ae2573}.m{fill:#005eb8}.bar{fill:#005eb8}.axis{stroke:#4c6272}.base{stroke:#212b32;stroke-dasharray:4 3}
.l95{fill:none;stroke:#768692;stroke-width:1}.l998{fill:none;stroke:#768692;stroke-width:1;stroke-dasharray:2 2}
.ns{fill:#768692}.hi2{fill:#ed8b00}.hi3{fill:#d5281b}.lo2{fill:#41b6e6}.lo3{fill:#005eb8}
.c0{fill:#d8dde0}.c1{fill:#ffeb3b}.c2{fill:#ed8b00}.c3{fill:#d5281b}.ci{stroke:#212b32}
.q0{fill:#330072}.q1{fill:#5a2d8c}.q2{fill:#7f5ca6}.q3{fill:#a58cc0}.q4{fill:#cbbcdb}
)";

}  // namespace

Status WriteReport(const std::string& dir, const ReportFacts& facts) {
  Output population, multimorbidity, frailty, segments, tiers, indicators, inequalities, evaluation,
      calibration, worklists, qrisk3;
  POPULUS_RETURN_IF_ERROR(Read(dir, "population.csv", &population));
  POPULUS_RETURN_IF_ERROR(Read(dir, "multimorbidity.csv", &multimorbidity));
  POPULUS_RETURN_IF_ERROR(Read(dir, "frailty.csv", &frailty));
  POPULUS_RETURN_IF_ERROR(Read(dir, "segments.csv", &segments));
  POPULUS_RETURN_IF_ERROR(Read(dir, "care_model_tiers.csv", &tiers));
  POPULUS_RETURN_IF_ERROR(Read(dir, "indicators.csv", &indicators));
  POPULUS_RETURN_IF_ERROR(Read(dir, "inequalities.csv", &inequalities));
  POPULUS_RETURN_IF_ERROR(Read(dir, "admission_risk_evaluation.csv", &evaluation));
  POPULUS_RETURN_IF_ERROR(Read(dir, "admission_risk_calibration.csv", &calibration));
  POPULUS_RETURN_IF_ERROR(Read(dir, "worklist_counts.csv", &worklists));
  POPULUS_RETURN_IF_ERROR(Read(dir, "qrisk3.csv", &qrisk3));

  std::string html = fmt::format(
      "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Population health "
      "analysis, {0}</title><meta name='viewport' content='width=device-width'><style>{1}"
      "</style></head><body><h1>Population health analysis</h1><p class='sub'>Registered "
      "population on {0}; snapshot {2}; made by {3}. Every count has been through disclosure "
      "control ({4}); withheld values are not drawn.</p>",
      Esc(facts.as_of), kStyle, Esc(facts.snapshot), Esc(facts.generated_by),
      Esc(fmt::format("{}{}",
                      facts.suppress_up_to > 0
                          ? fmt::format("counts of 1 to {} withheld, ", facts.suppress_up_to)
                          : std::string("no counts withheld, "),
                      facts.round_to > 1 ? fmt::format("counts rounded to {}", facts.round_to)
                                         : std::string("counts not rounded"))));

  // Headlines.
  html += "<h2>The population</h2><table>";
  for (size_t r = 0; r < multimorbidity.t.rows.size(); ++r) {
    if (multimorbidity.Cell(r, "level") != "ics") continue;
    html += fmt::format(
        "<tr><th>Registered population</th><td class='n'>{}</td></tr><tr><th>Two or more "
        "long-term conditions</th><td class='n'>{}</td></tr><tr><th>Three or more long-term "
        "conditions</th><td class='n'>{}</td></tr><tr><th>Mean Cambridge Multimorbidity "
        "Score</th><td class='n'>{}</td></tr>",
        Count(multimorbidity.Value(r, "population")),
        Percent(multimorbidity.Value(r, "two_plus_per_100")),
        Percent(multimorbidity.Value(r, "three_plus_per_100")), multimorbidity.Cell(r, "cms_mean"));
  }
  for (size_t r = 0; r < frailty.t.rows.size(); ++r) {
    if (frailty.Cell(r, "level") != "ics") continue;
    html += fmt::format(
        "<tr><th>Frail (eFI mild, moderate or severe), of those assessed (aged {})</th><td "
        "class='n'>{}</td></tr>",
        Esc(frailty.Cell(r, "assessed_ages")), Percent(frailty.Value(r, "frail_per_100")));
  }
  html += "</table>";
  html += "<h3>Population pyramid</h3><div class='narrow'>" + Pyramid(population) + "</div>";
  html += "<h3>Bridges to Health segments</h3>";
  std::vector<std::tuple<std::string, double, double>> bars;
  for (size_t r = 0; r < segments.t.rows.size(); ++r) {
    if (segments.Cell(r, "level") != "ics") continue;
    bars.emplace_back(segments.Cell(r, "segment_name"), segments.Value(r, "per_100"),
                      segments.Value(r, "patients"));
  }
  html += Bars(bars) + "<h3>Care-model tiers</h3>";
  bars.clear();
  for (size_t r = 0; r < tiers.t.rows.size(); ++r) {
    if (tiers.Cell(r, "level") != "ics") continue;
    bars.emplace_back(tiers.Cell(r, "tier_name"), tiers.Value(r, "per_100"),
                      tiers.Value(r, "patients"));
  }
  html += Bars(bars) +
          "<p class='note'>Each person is in exactly one segment and one tier: the "
          "first whose rules they meet (docs/segmentation.md).</p>";

  // Funnel plots.
  html +=
      "<h2>Prevalence by practice</h2><p class='note'>Each dot is a practice; the lines are "
      "the 95% (solid) and 99.8% (dotted) control limits around the ICS value (dashed). "
      "Orange and red: significantly high (95%, 99.8%); light and dark blue: significantly "
      "low.</p><div class='grid'>";
  for (const char* k :
       {"DM_PREV", "HTN_PREV", "COPD_PREV", "DEM_PREV_65", "FRAIL_MOD_SEV", "EMERG_ADM"}) {
    std::string title;
    const std::string svg = Funnel(indicators, k, &title);
    if (title.empty()) continue;
    html += "<div><h3>" + Esc(title) + "</h3>" + svg + "</div>";
  }
  html += "</div>";

  html +=
      "<h2>Frailty by PCN</h2><p class='note'>People aged 65 and over by electronic Frailty "
      "Index category.</p>" +
      FrailtyByPcn(frailty);

  html +=
      "<h2>Inequalities by deprivation</h2><p class='note'>By IMD quintile (Q1 the most "
      "deprived 20% of England: Core20), age-standardised where the indicator allows, with "
      "95% limits.</p><div class='grid'>";
  for (const char* k : {"DM_PREV", "COPD_PREV", "LTC3", "EMERG_ADM", "SMI_PREV", "DEP_PREV"}) {
    std::string title, summary;
    const std::string svg = Gap(inequalities, k, &title, &summary);
    if (svg.empty()) continue;
    html +=
        "<div><h3>" + Esc(title) + "</h3>" + svg + "<p class='note'>" + Esc(summary) + "</p></div>";
  }
  html += "</div>";

  html += "<h2>Emergency admission risk</h2>";
  std::map<std::string, std::string> measure;
  for (size_t r = 0; r < evaluation.t.rows.size(); ++r) {
    measure[evaluation.Cell(r, "measure")] = evaluation.Cell(r, "value");
  }
  if (measure["fitted"] == "true") {
    html += fmt::format(
        "<p>A model trained on the year from {} and tested on the year from {} (a year it never "
        "saw): area under the ROC curve {}, Brier score {}. Observed against predicted by "
        "decile of predicted risk:</p><div class='grid'><div>{}</div><div><table><tr><th>risk "
        "tier</th><th>people</th><th>admitted in the year</th></tr>",
        Esc(measure["training_anchor"]), Esc(measure["test_anchor"]), Esc(measure["auc"]),
        Esc(measure["brier"]), Calibration(calibration));
    for (size_t r = 0; r < calibration.t.rows.size(); ++r) {
      if (calibration.Cell(r, "grouping") != "risk tier") continue;
      html += fmt::format("<tr><td>{}</td><td class='n'>{}</td><td class='n'>{}</td></tr>",
                          Esc(calibration.Cell(r, "group")), Count(calibration.Value(r, "people")),
                          Percent(calibration.Value(r, "observed_per_100")));
    }
    html += "</table></div></div>";
  } else {
    html += "<p>The model was not fitted: " + Esc(measure["not_fitted_reason"]) + "</p>";
  }

  html +=
      "<h2>Worklists and cardiovascular risk</h2><table><tr><th>worklist</th><th>people "
      "(ICS)</th></tr>";
  for (size_t r = 0; r < worklists.t.rows.size(); ++r) {
    if (worklists.Cell(r, "level") != "ics") continue;
    html +=
        fmt::format("<tr><td>{}</td><td class='n'>{}</td></tr>",
                    Esc(worklists.Cell(r, "worklist_name")), Count(worklists.Value(r, "patients")));
  }
  html += "</table>";
  for (size_t r = 0; r < qrisk3.t.rows.size(); ++r) {
    if (qrisk3.Cell(r, "level") != "ics") continue;
    html += fmt::format("<p class='note'>QRISK3 {}: {} of {} eligible.</p>",
                        Esc(qrisk3.Cell(r, "qrisk3_band_name")), Count(qrisk3.Value(r, "patients")),
                        Count(qrisk3.Value(r, "population")));
  }
  html +=
      "<p class='note'>QRISK3 scores come from ClinRisk's published algorithm; check any "
      "implementation against qrisk.org before clinical use. The worklists themselves, "
      "patient by patient, are in worklists/ for each practice's own clinicians.</p>";
  html += "</body></html>\n";
  return WriteFileAtomically(dir + "/report.html", html);
}

}  // namespace populus::analysis
