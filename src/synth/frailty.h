// The electronic Frailty Index (eFI) in the synthetic ICS.
//
// The eFI (Clegg et al., Age and Ageing 2016) counts 36 deficits in a person's
// primary care record; the score is deficits / 36 and falls into fit, mild,
// moderate or severe frailty. Its definition is data, named by the rule pack
// (data/rules.toml) and read by rules/efi_definition.h as the analysis reads
// it: data/frailty/efi-deficits.csv lists each deficit with the long-term
// conditions that count towards it in the simulation, the codelists that
// record it (used by the analysis too), and its rule (`coded`: any code ever
// recorded; `polypharmacy`: enough distinct drugs within a window), and
// data/frailty/efi-categories.csv the lowest score of each category.
//
// The deficits that are not long-term conditions (falls, hearing impairment
// and the rest) are simulated like conditions, from a prevalence table by age
// band, with their own codelists. A frailty factor per person (lognormal,
// mean 1) shared by those deficits spreads them unevenly, so frailty has a
// long tail; calibration sets its spread and a scale on the deficits'
// prevalence so that the number of frail people and the share with severe
// frailty meet their targets.
#pragma once

#include <span>
#include <string>

#include "common/civil_date.h"
#include "common/status.h"
#include "synth/conditions.h"
#include "synth/ics_config.h"

namespace populus::synth {

// Reads the eFI definition, its categories and the simulated deficits of a
// configuration's [frailty] table into the model (a no-op without one), then
// finishes the model. Rejects an unknown condition, a codelist named by two
// deficits, a simulated deficit no eFI deficit lists, or bad categories,
// naming the file and line.
Status LoadFrailtyModel(const IcsConfig& config, ConditionModel* model);

// Distinct eFI deficits recorded by the date from conditions and deficits
// (coded on or before it, resolved or not: the eFI counts codes ever
// recorded), plus polypharmacy when `polypharmacy` is true.
int CountEfiDeficits(const ConditionModel& model, std::span<const Episode> episodes, Date date,
                     bool polypharmacy);

}  // namespace populus::synth
