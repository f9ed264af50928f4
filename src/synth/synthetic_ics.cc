#include "synth/synthetic_ics.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <thread>

#include "synth/frailty.h"
#include "synth/random.h"

namespace populus::synth {
namespace {

constexpr int kOldestAge = 105;
// Each small area holds about this many registered people.
constexpr double kPeoplePerArea = 1600;

constexpr const char* kNameStems[] = {
    "Harbour", "Quay",  "Heath",  "Forest",     "Castle", "Abbey",   "Chalk",    "Downs",
    "Meadow",  "Marsh", "Mill",   "Bridge",     "Cliff",  "Dene",    "Orchard",  "Priory",
    "Ridge",   "Vale",  "Wessex", "Kingfisher", "Beacon", "Minster", "Parkway",  "Lighthouse",
    "Willow",  "Oak",   "Cedar",  "Elm",        "Holly",  "Rowan",   "Hawthorn", "Linden"};
constexpr const char* kNameSuffixes[] = {"Surgery", "Medical Centre", "Health Centre",
                                         "Medical Practice", "Family Practice"};

std::string Postcode(const std::vector<std::string>& districts, Stream& rng) {
  static constexpr char kLetters[] = "ABDEFGHJLNPQRSTUWXYZ";  // letters used in inward codes
  const std::string& district = districts[rng.Below(districts.size())];
  return fmt::format("{} {}{}{}", district, 1 + rng.Below(9), kLetters[rng.Below(20)],
                     kLetters[rng.Below(20)]);
}

// Splits `total` into integer parts proportional to weights (largest remainder).
std::vector<uint32_t> Apportion(uint64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<uint32_t> parts(weights.size());
  std::vector<std::pair<double, size_t>> remainders;
  uint64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    parts[i] = static_cast<uint32_t>(std::floor(exact));
    given += parts[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (size_t k = 0; given < total; ++k, ++given) ++parts[remainders[k % remainders.size()].second];
  return parts;
}

// List sizes for a locality's practices: lognormal weights scaled to the
// locality population, held within the configured bounds.
std::vector<uint32_t> ListSizes(const IcsConfig& config, const LocalityConfig& locality,
                                Stream& rng) {
  std::vector<double> size(locality.practices);
  for (double& s : size) s = std::exp(config.list_size_spread * rng.Normal());
  const double lo = config.min_list_size, hi = config.max_list_size;
  for (int round = 0; round < 50; ++round) {
    const double sum = std::accumulate(size.begin(), size.end(), 0.0);
    for (double& s : size) s *= locality.population / sum;
    bool clamped = false;
    for (double& s : size) {
      if (s < lo || s > hi) {
        s = std::clamp(s, lo, hi);
        clamped = true;
      }
    }
    if (!clamped) break;
  }
  return Apportion(locality.population, size);
}

}  // namespace

Date HistoryStart(const IcsConfig& config) {
  return AddCivilYears(config.baseline_date, -config.history_years);
}

SyntheticIcs BuildOrganisations(const IcsConfig& config) {
  SyntheticIcs ics;
  ics.code = config.code;
  ics.name = config.name;
  Stream rng(config.seed, Purpose::kOrganisations);
  uint32_t area_number = 1;
  uint32_t name_counter = 0;
  for (uint32_t l = 0; l < config.localities.size(); ++l) {
    const LocalityConfig& lc = config.localities[l];
    ics.localities.push_back({fmt::format("L{:02d}", l + 1), lc.name, lc.rural});

    // Small areas, each with a deprivation decile drawn around the locality's.
    Stream area_rng(config.seed, Purpose::kSmallAreas, l);
    const uint32_t n_areas =
        std::max<uint32_t>(3, static_cast<uint32_t>(std::lround(lc.population / kPeoplePerArea)));
    std::vector<uint32_t> local_areas;
    for (uint32_t a = 0; a < n_areas; ++a) {
      const double decile =
          std::clamp(std::round(lc.imd_mean + lc.imd_sd * area_rng.Normal()), 1.0, 10.0);
      local_areas.push_back(static_cast<uint32_t>(ics.areas.size()));
      ics.areas.push_back(
          {fmt::format("E0109{:04d}", area_number++), static_cast<uint8_t>(decile), l});
    }
    // Ordered by deprivation, so a practice's window of neighbouring areas
    // gives it a deprivation profile of its own.
    std::stable_sort(local_areas.begin(), local_areas.end(), [&](uint32_t a, uint32_t b) {
      return ics.areas[a].imd_decile < ics.areas[b].imd_decile;
    });

    const std::vector<uint32_t> sizes = ListSizes(config, lc, rng);
    const uint32_t first_pcn = static_cast<uint32_t>(ics.pcns.size());
    for (uint32_t k = 0; k < lc.pcns; ++k) {
      const uint32_t number = first_pcn + k + 1;
      ics.pcns.push_back(
          {fmt::format("U9{:04d}", number),
           lc.pcns == 1 ? fmt::format("{} PCN", lc.name) : fmt::format("{} PCN {}", lc.name, k + 1),
           l});
    }
    // Practices join the PCN with the smallest population so far, largest first.
    std::vector<uint32_t> order(lc.practices);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return sizes[a] > sizes[b]; });
    std::vector<uint64_t> pcn_population(lc.pcns, 0);
    std::vector<uint32_t> pcn_of(lc.practices);
    for (uint32_t i : order) {
      const auto k = static_cast<uint32_t>(
          std::min_element(pcn_population.begin(), pcn_population.end()) - pcn_population.begin());
      pcn_of[i] = k;
      pcn_population[k] += sizes[i];
    }
    for (uint32_t i = 0; i < lc.practices; ++i) {
      Practice p;
      p.code = fmt::format("J9{:04d}", ics.practices.size() + 1);
      const char* stem = kNameStems[name_counter % std::size(kNameStems)];
      const char* suffix =
          kNameSuffixes[(name_counter / std::size(kNameStems) + i) % std::size(kNameSuffixes)];
      ++name_counter;
      p.name = fmt::format("{} {}", stem, suffix);
      p.postcode = Postcode(lc.postcode_districts, rng);
      p.locality = l;
      p.pcn = first_pcn + pcn_of[i];
      p.list_size = sizes[i];
      // A window of areas around a random point in the deprivation order.
      const double width = std::max(3.0, 2.0 * n_areas * sizes[i] / std::max(1u, lc.population));
      const double centre = rng.Uniform() * n_areas;
      double total = 0, ratio = 0;
      for (uint32_t a = 0; a < n_areas; ++a) {
        const double distance = std::fabs(a + 0.5 - centre);
        if (distance > width / 2) continue;
        const double w = 1.0 - distance / (width / 2 + 1e-9) * 0.5;
        p.areas.push_back(local_areas[a]);
        total += w;
        p.area_cumulative.push_back(total);
        ratio += w * config.deprivation_mortality_ratio[ics.areas[local_areas[a]].imd_decile - 1];
      }
      if (p.areas.empty()) {
        p.areas.push_back(local_areas[static_cast<uint32_t>(centre) % n_areas]);
        total = 1;
        p.area_cumulative.push_back(1);
        ratio = config.deprivation_mortality_ratio[ics.areas[p.areas[0]].imd_decile - 1];
      }
      p.mortality_ratio = ratio / total;
      ics.practices.push_back(std::move(p));
    }
  }

  // Premises: a main site per practice, then branch surgeries, rural practices
  // twice as likely to run one.
  for (uint32_t i = 0; i < ics.practices.size(); ++i) {
    const Practice& p = ics.practices[i];
    ics.sites.push_back({p.code + "-S1", p.name, p.postcode, i});
  }
  std::vector<double> branch_weight;
  for (const Practice& p : ics.practices) {
    branch_weight.push_back(p.list_size * (ics.localities[p.locality].rural ? 2.0 : 1.0));
  }
  const std::vector<uint32_t> branches =
      Apportion(config.sites - static_cast<uint32_t>(ics.practices.size()), branch_weight);
  for (uint32_t i = 0; i < ics.practices.size(); ++i) {
    const Practice& p = ics.practices[i];
    for (uint32_t b = 0; b < branches[i]; ++b) {
      ics.sites.push_back({fmt::format("{}-S{}", p.code, b + 2),
                           fmt::format("{} (branch {})", p.name, b + 1),
                           Postcode(config.localities[p.locality].postcode_districts, rng), i});
    }
  }

  // Community pharmacies, spread over PCNs by population.
  std::vector<double> pcn_weight(ics.pcns.size(), 0);
  for (const Practice& p : ics.practices) pcn_weight[p.pcn] += p.list_size;
  const std::vector<uint32_t> per_pcn = Apportion(config.pharmacies, pcn_weight);
  for (uint32_t k = 0; k < ics.pcns.size(); ++k) {
    for (uint32_t j = 0; j < per_pcn[k]; ++j) {
      const uint32_t number = static_cast<uint32_t>(ics.pharmacies.size()) + 1;
      ics.pharmacies.push_back(
          {fmt::format("FY{:03d}", number),
           fmt::format("{} Pharmacy", kNameStems[(number * 7) % std::size(kNameStems)]),
           Postcode(config.localities[ics.pcns[k].locality].postcode_districts, rng), k});
    }
  }
  return ics;
}

namespace {

double SingleYearWeight(int age);

// The first birthday after `t` (29 February birthdays fall on 28 February).
Date NextBirthday(Date birth, Date t) {
  const YearMonthDay b = CivilFromDays(birth);
  const int year = CivilFromDays(t).year;
  for (int y = year; y <= year + 1; ++y) {
    const Date d = DaysFromCivil(y, b.month, std::min(b.day, DaysInMonth(y, b.month)));
    if (d > t) return d;
  }
  return t + 365;
}

// The population-weighted mean of the 90+ mortality ramp.
double NinetiesRampMean() {
  static const double kMean = [] {
    double mean = 0;
    for (int a = 90; a <= kOldestAge; ++a) mean += SingleYearWeight(a) * std::pow(1.11, a - 90);
    return mean;
  }();
  return kMean;
}

// Annual death hazard at an age, before the deprivation ratio.
double DeathHazard(const IcsConfig& config, Sex sex, int age) {
  const BandValues& rates =
      sex == Sex::kFemale ? config.female_deaths_per_1000 : config.male_deaths_per_1000;
  double rate = rates[AgeBand(age)] / 1000.0;
  // The 90+ rate is the band's average: within the band mortality keeps
  // rising (about 11% a year of age), scaled so the band average holds.
  if (age >= 90) rate *= std::pow(1.11, age - 90) / NinetiesRampMean();
  return std::min(rate, 0.9);
}

// Share of a band at each single year of age: even, but for 90+ falling with age.
double SingleYearWeight(int age) {
  if (age < 90) return 1.0 / 5.0;
  static const double kTotal = [] {
    double t = 0;
    for (int a = 90; a <= kOldestAge; ++a) t += std::pow(0.78, a - 90);
    return t;
  }();
  return std::pow(0.78, age - 90) / kTotal;
}

struct PracticeSimulation {
  const IcsConfig& config;
  const SyntheticIcs& ics;
  const ConditionModel& model;
  const CohortAdjustment& adjustment;
  const Projection* projection;  // null: stop at the baseline
  uint32_t practice_index;
  Date start, baseline;
  std::vector<Person> people;
  uint64_t counter = 0;
  double end_of_life_rate = 0;  // this practice's share of deaths recognised

  Date YearsBefore(Date d, double years) const {
    return d - static_cast<Date>(std::lround(years * kDaysPerYear));
  }

  // The practice's configured count at baseline of one sex in one age band.
  double BaselineCount(int band, Sex sex) const {
    const double female = config.female_share[band];
    return ics.practices[practice_index].list_size * config.age_band_share[band] *
           (sex == Sex::kFemale ? female : 1 - female);
  }

  Person NewPerson(Sex sex, Date birth, Stream& rng) {
    const Practice& p = ics.practices[practice_index];
    Person person;
    person.id = (static_cast<uint64_t>(practice_index) << 40) | counter++;
    person.sex = sex;
    person.birth = birth;
    person.practice = practice_index;
    person.area = p.areas[rng.Choose(p.area_cumulative)];
    if (!rng.Bernoulli(config.ethnicity_not_recorded)) {
      double x = rng.Uniform(), acc = 0;
      person.ethnicity = static_cast<int16_t>(config.ethnicities.size() - 1);
      for (size_t e = 0; e < config.ethnicities.size(); ++e) {
        acc += config.ethnicities[e].share;
        if (x < acc) {
          person.ethnicity = static_cast<int16_t>(e);
          break;
        }
      }
    }
    DrawConditions(person, rng);
    return person;
  }

  // For every condition, a time to onset from birth by inverting the
  // cumulative hazard over age bands; then resolution and diagnosis delays.
  void DrawConditions(Person& person, Stream& rng) {
    const bool female = person.sex == Sex::kFemale;
    const int decile = ics.areas[person.area].imd_decile;
    const double sigma = model.latent_sigma;
    const double latent_z = rng.Normal();
    const double frailty_z = model.frailty.enabled() ? rng.Normal() : 0.0;
    const double wf = model.frailty.sigma;
    const double frailty_factor = std::exp(wf * frailty_z - wf * wf / 2);
    const int cohort = person.birth > baseline ? 0 : AgeBand(AgeInYears(person.birth, baseline));
    for (size_t c = 0; c < model.conditions.size(); ++c) {
      const ConditionSpec& spec = model.conditions[c];
      // The latent factor raised to the weight keeps a mean of 1.
      const double ws = spec.latent_weight * sigma;
      const double multiplier = model.DeprivationFactor(c, decile) * model.cohort_scale[c][cohort] *
                                std::exp(ws * latent_z - ws * ws / 2) *
                                (spec.deficit ? frailty_factor : 1.0);
      // A scenario's change of incidence applies from its date: the age at
      // which it starts splits the band it falls in.
      double change_age = 1e9, change = 1;
      const double baseline_age = (baseline - person.birth) / kDaysPerYear;
      if (projection != nullptr) {
        for (const IncidenceChange& ic : projection->incidence_changes) {
          if (ic.condition == static_cast<int>(c)) {
            change_age = (ic.from - person.birth) / kDaysPerYear;
            change = ic.multiplier;
          }
        }
      }
      // Every condition takes the same three draws whatever happens, so a change
      // to one condition (a scenario) never shifts another's random numbers.
      const double onset_draw = rng.Uniform();
      const double delay_draw = rng.Uniform();
      const double resolution_draw = rng.Uniform();
      // Most people never get most conditions: skip the bands when the whole
      // life's hazard falls short of the draw (-log(1 - u) >= u, so the
      // cheap test comes first; a margin allows for rounding).
      const double trend = projection != nullptr && c < projection->incidence_trend.size()
                               ? projection->incidence_trend[c]
                               : 0.0;
      const bool constant = change == 1 && trend == 0;
      const double lifetime = model.LifetimeHazard(c, female) * multiplier;
      if (constant && lifetime < onset_draw * (1 - 1e-9)) continue;
      double target = -std::log(1.0 - onset_draw);  // cumulative hazard at onset
      if (constant && lifetime < target * (1 - 1e-9)) continue;
      double onset_years = -1;
      for (int band = 0; band < kAgeBands && onset_years < 0; ++band) {
        const double base = model.BaseHazard(c, band, female) * multiplier;
        const double band_start = band * 5.0;
        const double band_end = band_start + (band == kAgeBands - 1 ? 30.0 : 5.0);
        if (constant) {  // one rate for the whole band
          if (base * (band_end - band_start) >= target) {
            onset_years = band_start + target / base;
          } else {
            target -= base * (band_end - band_start);
          }
          continue;
        }
        // Pieces of the band with one rate each: split where a scenario's
        // change starts and, with a trend after the baseline, at the
        // baseline and every five years after it.
        std::array<double, 12> cuts{};
        size_t n = 0;
        cuts[n++] = band_start;
        auto cut = [&](double age) {  // kept in order as they come
          if (!(age > band_start && age < band_end) || n + 1 >= cuts.size()) return;
          size_t i = n++;
          for (; i > 0 && cuts[i - 1] > age; --i) cuts[i] = cuts[i - 1];
          cuts[i] = age;
        };
        cut(change_age);
        if (trend != 0) {
          for (int k = 0; k <= 6; ++k) cut(baseline_age + 5.0 * k);
        }
        cuts[n++] = band_end;
        for (size_t i = 0; i + 1 < n && onset_years < 0; ++i) {
          const double from = cuts[i], to = cuts[i + 1];
          double rate = from >= change_age ? base * change : base;
          if (trend != 0 && from >= baseline_age) {
            rate *= std::pow(1.0 + trend, (from + to) / 2 - baseline_age);
          }
          if (to <= from) continue;
          if (rate * (to - from) >= target) {
            onset_years = from + target / rate;
          } else {
            target -= rate * (to - from);
          }
        }
      }
      if (onset_years < 0) continue;
      Episode e;
      e.condition = static_cast<uint8_t>(c);
      e.onset = person.birth + static_cast<Date>(onset_years * kDaysPerYear);
      const double delay = -spec.diagnosis_delay_years * std::log(1.0 - delay_draw);
      e.diagnosed = e.onset + static_cast<Date>(delay * kDaysPerYear);
      if (spec.resolution_per_year > 0) {
        const double years = -std::log(1.0 - resolution_draw) / spec.resolution_per_year;
        e.resolved = e.diagnosed + 1 + static_cast<Date>(years * kDaysPerYear);
      }
      person.episodes.push_back(e);
    }
  }

  // The mortality multiplier from the conditions present on a date.
  double ConditionMortality(const Person& person, Date date, int band) const {
    double m = 1;
    for (const Episode& e : person.episodes) {
      if (e.PresentOn(date)) m *= model.conditions[e.condition].mortality_ratio;
    }
    return m / model.mortality_normaliser[person.sex == Sex::kFemale ? 1 : 0][band];
  }

  // Lives the person year by year from `from` to the baseline date.
  void Live(Person& person, Date from, Stream& rng) {
    const double ratio = config.deprivation_mortality_ratio[ics.areas[person.area].imd_decile - 1];
    const Date horizon = projection != nullptr ? projection->horizon : baseline;
    for (Date t = from; t < horizon;) {
      // Steps end at the next birthday, so each has one age and one rate, and
      // always break at the baseline, so the years before it draw the same
      // numbers whether or not the run goes on past it.
      const Date step_end =
          std::min<Date>(t < baseline ? baseline : horizon, NextBirthday(person.birth, t));
      const double years = (step_end - t) / kDaysPerYear;
      const int age = AgeInYears(person.birth, t);
      // After the baseline, death rates change by a constant share a year.
      const double trend =
          t > baseline && projection != nullptr
              ? std::pow(1.0 + projection->mortality_change_per_year, (t - baseline) / kDaysPerYear)
              : 1.0;
      const double death = DeathHazard(config, person.sex, age) * ratio * trend *
                           ConditionMortality(person, t, AgeBand(age));
      const double leave = config.migration_out_rate[AgeBand(age)];
      if (rng.Bernoulli(1.0 - std::exp(-(death + leave) * years))) {
        // Before the baseline an event falls on [t, step_end); after it on
        // (t, step_end], so nobody leaves on the baseline date itself, as in
        // a run that stops there.
        const Date when =
            t >= baseline
                ? t + 1 + static_cast<Date>(rng.Below(static_cast<uint64_t>(step_end - t)))
                : t + static_cast<Date>(rng.Below(static_cast<uint64_t>(step_end - t)));
        // A registration lasts at least a day.
        person.registered_to = std::max(when, person.registered_from + 1);
        if (rng.Uniform() * (death + leave) < death) person.death = person.registered_to;
        break;
      }
      t = step_end;
    }
    const Date end = person.exit(horizon);
    const int age = AgeInYears(person.birth, end);
    person.care_home = rng.Bernoulli(config.care_home_share[AgeBand(age)]);
    // What happens after the person leaves is not in this practice's record.
    std::erase_if(person.episodes, [&](const Episode& e) { return e.onset > end; });
    for (Episode& e : person.episodes) {
      if (e.diagnosed > end) e.diagnosed = kNoDate;
      if (e.resolved != kNoDate && (e.diagnosed == kNoDate || e.resolved > end))
        e.resolved = kNoDate;
    }
    RecogniseEndOfLife(person);
  }

  // Practices put a share of the people who are dying on the palliative care
  // register in their last months (at a rate of the practice's own), unless
  // they are on it already. Its own stream, so nothing else moves.
  void RecogniseEndOfLife(Person& person) const {
    const int pc = model.index("PC");
    if (person.death == kNoDate || pc < 0 || end_of_life_rate <= 0) return;
    if (person.Has(pc, person.death)) return;
    Stream rng(config.seed, Purpose::kEndOfLife, person.id);
    const double u = rng.Uniform();
    const double lead = std::min(365.0, rng.Exponential(100.0));
    if (u >= end_of_life_rate) return;
    // A death after the baseline is recognised after it too, so a projection's
    // first year is still exactly the generated baseline.
    const Date earliest =
        std::max(person.registered_from, person.death > baseline ? baseline + 1 : start);
    const Date when = std::max(earliest, person.death - static_cast<Date>(lead));
    if (when > person.death) return;
    std::erase_if(person.episodes, [&](const Episode& e) { return e.condition == pc; });
    Episode e;
    e.condition = static_cast<uint8_t>(pc);
    e.onset = e.diagnosed = when;
    person.episodes.push_back(e);
  }

  void Run() {
    const Practice& p = ics.practices[practice_index];
    Stream rng(config.seed, Purpose::kPopulation, practice_index);
    const int history = config.history_years;
    for (int sex_index = 0; sex_index < 2; ++sex_index) {
      const Sex sex = sex_index == 0 ? Sex::kMale : Sex::kFemale;
      for (int age = 0; age <= kOldestAge; ++age) {
        const int band = AgeBand(age);
        const double target = BaselineCount(band, sex) * SingleYearWeight(age);
        // Run the baseline count backwards through survival to the cohort's
        // size at the start of the window (or at birth, if born within it).
        const int years_back = std::min(age, history);
        double survival = 1;
        for (int k = 1; k <= years_back; ++k) {
          survival *= std::exp(-DeathHazard(config, sex, age - k) * p.mortality_ratio);
        }
        const uint64_t n = rng.Poisson(target / survival * adjustment.factor[sex_index][band]);
        for (uint64_t i = 0; i < n; ++i) {
          Stream person_rng(config.seed, Purpose::kPerson, practice_index, counter);
          const Date birth = YearsBefore(baseline, age + person_rng.Uniform());
          Person person = NewPerson(sex, birth, person_rng);
          if (birth >= start) {
            // Born in the window: registered a few weeks after birth.
            person.registered_from =
                std::min<Date>(baseline, birth + 7 + static_cast<Date>(person_rng.Below(36)));
          } else {
            // Already registered when the window opens, for a time that
            // reflects how often people of that age move.
            const double rate =
                std::max(0.01, config.migration_out_rate[AgeBand(AgeInYears(birth, start))]);
            person.registered_from =
                std::max(birth, YearsBefore(start, person_rng.Exponential(1.0 / rate)));
          }
          Live(person, std::max(start, person.registered_from), person_rng);
          people.push_back(person);
        }
      }
    }
    // Arrivals replace those who move away, age for age, so the structure holds.
    for (int year = 0; year < history; ++year) {
      for (int sex_index = 0; sex_index < 2; ++sex_index) {
        const Sex sex = sex_index == 0 ? Sex::kMale : Sex::kFemale;
        for (int band = 0; band < kAgeBands; ++band) {
          const double mean = BaselineCount(band, sex) * config.migration_out_rate[band];
          Stream arrivals(config.seed, Purpose::kArrivals, practice_index,
                          static_cast<uint64_t>(year * 64 + band * 2 + sex_index));
          const uint64_t n = arrivals.Poisson(mean);
          for (uint64_t i = 0; i < n; ++i) {
            Stream person_rng(config.seed, Purpose::kPerson, practice_index, counter);
            const Date arrival = start + static_cast<Date>(year * kDaysPerYear +
                                                           person_rng.Uniform() * kDaysPerYear);
            Arrive(sex, band, arrival, baseline, person_rng);
          }
        }
      }
    }
    if (projection != nullptr && projection->horizon > baseline) Project();
  }

  // A new registration of someone of the band's ages, arriving on the date
  // (if before `until`; a skipped arrival still uses up its stream's number).
  void Arrive(Sex sex, int band, Date arrival, Date until, Stream& rng) {
    if (arrival >= until) {
      ++counter;
      return;
    }
    // Ages within the band follow the band's single-year profile (falling
    // with age at 90+).
    double age = band * 5 + rng.Uniform() * 5;
    if (band == kAgeBands - 1) {
      double u = rng.Uniform() * 0.9999;
      int a = 90;
      for (; a < kOldestAge && u >= SingleYearWeight(a); ++a) u -= SingleYearWeight(a);
      age = a + rng.Uniform();
    }
    Person person = NewPerson(sex, YearsBefore(arrival, age), rng);
    person.registered_from = arrival;
    Live(person, arrival, rng);
    people.push_back(person);
  }

  // The years after the baseline: arrivals at the configured ratio to
  // departures, and births to the women registered each year.
  void Project() {
    const int years = static_cast<int>(std::ceil((projection->horizon - baseline) / kDaysPerYear));
    for (int year = 0; year < years; ++year) {
      const Date year_start = baseline + static_cast<Date>(year * kDaysPerYear);
      for (int sex_index = 0; sex_index < 2; ++sex_index) {
        const Sex sex = sex_index == 0 ? Sex::kMale : Sex::kFemale;
        for (int band = 0; band < kAgeBands; ++band) {
          const double mean = BaselineCount(band, sex) * config.migration_out_rate[band] *
                              projection->arrival_ratio[band];
          Stream arrivals(config.seed, Purpose::kFutureArrivals, practice_index,
                          static_cast<uint64_t>(year * 64 + band * 2 + sex_index));
          const uint64_t n = arrivals.Poisson(mean);
          for (uint64_t i = 0; i < n; ++i) {
            Stream person_rng(config.seed, Purpose::kPerson, practice_index, counter);
            const Date arrival =
                year_start + 1 + static_cast<Date>(person_rng.Uniform() * kDaysPerYear);
            Arrive(sex, band, arrival, projection->horizon, person_rng);
          }
        }
      }
      // Births: the general fertility rate times the women aged 15-44
      // registered at the start of the year.
      uint64_t women = 0;
      for (const Person& person : people) {
        if (person.sex != Sex::kFemale || !RegisteredOn(person, year_start)) continue;
        const int age = AgeInYears(person.birth, year_start);
        women += age >= 15 && age <= 44 ? 1 : 0;
      }
      Stream births(config.seed, Purpose::kBirths, practice_index, static_cast<uint64_t>(year));
      const uint64_t n =
          births.Poisson(projection->general_fertility_rate / 1000.0 * static_cast<double>(women));
      for (uint64_t i = 0; i < n; ++i) {
        Stream person_rng(config.seed, Purpose::kPerson, practice_index, counter);
        const Date birth = year_start + 1 + static_cast<Date>(person_rng.Uniform() * kDaysPerYear);
        if (birth >= projection->horizon) {
          ++counter;
          continue;
        }
        Person person =
            NewPerson(person_rng.Bernoulli(0.512) ? Sex::kMale : Sex::kFemale, birth, person_rng);
        person.registered_from = std::min<Date>(
            projection->horizon - 1, birth + 7 + static_cast<Date>(person_rng.Below(36)));
        Live(person, person.registered_from, person_rng);
        people.push_back(person);
      }
    }
  }
};

}  // namespace

std::vector<Person> SimulatePopulation(const IcsConfig& config, const SyntheticIcs& ics,
                                       const ConditionModel& model, int threads,
                                       const CohortAdjustment& adjustment,
                                       const Projection* projection) {
  const Date start = HistoryStart(config);
  std::vector<std::vector<Person>> per_practice(ics.practices.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < ics.practices.size();) {
      PracticeSimulation sim{config,     ics,
                             model,      adjustment,
                             projection, static_cast<uint32_t>(i),
                             start,      config.baseline_date,
                             {}};
      if (config.end_of_life_recognition > 0) {
        const double p = config.end_of_life_recognition;
        const double z = Stream(config.seed, Purpose::kPracticeVariation, i, 7).Normal();
        sim.end_of_life_rate =
            1.0 / (1.0 + std::exp(-(std::log(p / (1 - p)) + config.end_of_life_practice_sd * z)));
      }
      sim.Run();
      per_practice[i] = std::move(sim.people);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  std::vector<Person> people;
  for (auto& v : per_practice) people.insert(people.end(), v.begin(), v.end());
  return people;
}

int RecordedConditions(const ConditionModel& model, const Person& p, Date date) {
  int n = 0;
  for (const Episode& e : p.episodes) {
    n += e.RecordedOn(date) && !model.conditions[e.condition].deficit ? 1 : 0;
  }
  return n;
}

EfiResult PersonEfi(const ConditionModel& model, const MedicineModel* medicines, const Person& p,
                    Date date, int from_age) {
  EfiResult r;
  const FrailtyModel& f = model.frailty;
  if (!f.enabled() || AgeInYears(p.birth, date) < from_age) return r;
  const bool poly = medicines != nullptr && !medicines->empty() && f.polypharmacy >= 0 &&
                    medicines->DistinctDrugs(p, date, f.polypharmacy_days) >= f.polypharmacy_drugs;
  r.deficits = CountEfiDeficits(model, p.episodes, date, poly);
  r.category = f.Category(r.deficits);
  return r;
}

std::vector<Person> CalibratedPopulation(const IcsConfig& config, const SyntheticIcs& ics,
                                         ConditionModel* model, int threads,
                                         const MedicineModel* medicines, int rounds,
                                         CohortAdjustment* adjustment_out) {
  CohortAdjustment adjustment;
  std::vector<Person> people;
  const Date baseline = config.baseline_date;
  double one_plus_target = -1, frail_target = -1, severe_target = -1;
  for (const CalibrationTarget& t : config.targets) {
    if (t.measure == "one_or_more_ltc_share") one_plus_target = t.value;
    if (t.measure == "efi_frail") frail_target = t.value;
    if (t.measure == "efi_severe_share") severe_target = t.value;
  }
  const FrailtyModel& frailty = model->frailty;
  // The category the severe-share target is about (efi_severe_share).
  const int severe_category =
      static_cast<int>(std::find(frailty.categories.begin(), frailty.categories.end(), "severe") -
                       frailty.categories.begin());
  for (int round = 0; round < rounds; ++round) {
    people = SimulatePopulation(config, ics, *model, threads, adjustment);
    if (round + 1 == rounds) break;
    std::array<BandValues, 2> achieved{};
    BandValues registered{};
    std::vector<BandValues> present(model->conditions.size(), BandValues{});
    uint64_t total = 0, one_plus = 0, frail = 0, severe = 0;
    for (const Person& p : people) {
      if (!RegisteredOn(p, baseline)) continue;
      if (frailty.enabled()) {
        const int category =
            PersonEfi(*model, medicines, p, baseline, frailty.target_from_age).category;
        frail += category >= 1 ? 1 : 0;
        severe += category >= 1 && category == severe_category ? 1 : 0;
      }
      const int band = AgeBand(AgeInYears(p.birth, baseline));
      achieved[p.sex == Sex::kFemale ? 1 : 0][band] += 1;
      registered[band] += 1;
      ++total;
      one_plus += RecordedConditions(*model, p, baseline) >= 1 ? 1 : 0;
      for (const Episode& e : p.episodes) {
        if (e.PresentOn(baseline)) present[e.condition][band] += 1;
      }
    }
    for (int s = 0; s < 2; ++s) {
      for (int b = 0; b < kAgeBands; ++b) {
        const double female = config.female_share[b];
        const double target = config.registered_population * config.age_band_share[b] *
                              (s == 1 ? female : 1 - female);
        if (achieved[s][b] > 0 && target > 0) adjustment.factor[s][b] *= target / achieved[s][b];
      }
    }
    // Frailty: more deficits make more people frail; a wider frailty factor
    // concentrates them, so a larger share of the frail are severely frail.
    // Both are bounded steps a round; the deficits' cohort scales below then
    // chase the new prevalences.
    if (frailty.enabled()) {
      if (frail_target > 0 && frail > 0) {
        const double step = std::clamp(
            1.0 + 1.2 * (frail_target - static_cast<double>(frail)) / frail_target, 0.75, 1.35);
        model->frailty.prevalence_scale = std::clamp(frailty.prevalence_scale * step, 0.05, 5.0);
      }
      if (severe_target > 0 && frail > 0) {
        const double share = static_cast<double>(severe) / static_cast<double>(frail);
        const double step =
            std::clamp(1.0 + 0.8 * (severe_target - share) / severe_target, 0.8, 1.25);
        model->frailty.sigma = std::clamp(frailty.sigma * step, 0.05, 2.5);
      }
      // The base hazards stay as they were: the cohort scales carry the change.
      model->ComputeMortalityNormaliser();
    }
    // Each cohort's lifetime risk of each condition towards the target
    // prevalence of the band it is in at the baseline.
    for (size_t c = 0; c < model->conditions.size(); ++c) {
      for (int b = 0; b < kAgeBands; ++b) {
        const double target = model->TargetPrevalence(c, b);
        if (registered[b] < 50 || target <= 0 || present[c][b] <= 0) continue;
        const double ratio = target / (present[c][b] / registered[b]);
        model->cohort_scale[c][b] *= std::clamp(ratio, 0.25, 4.0);
      }
    }

    // With every condition's prevalence held to its target, more spread in
    // latent health concentrates conditions in fewer people: fewer have one or
    // more. Step the spread towards the target share, a bounded step a round.
    if (one_plus_target > 0 && total > 0) {
      const double share = static_cast<double>(one_plus) / static_cast<double>(total);
      const double step =
          std::clamp(1.0 + 2.5 * (share - one_plus_target) / one_plus_target, 0.8, 1.25);
      model->latent_sigma = std::clamp(model->latent_sigma * step, 0.05, 2.0);
    }
  }
  if (adjustment_out != nullptr) *adjustment_out = adjustment;
  return people;
}

}  // namespace populus::synth
