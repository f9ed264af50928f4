#!/usr/bin/env python3
"""Writes data/frailty/deficit-prevalence.csv: the simulated eFI deficits that
are not long-term conditions, with the prevalence of ever having one recorded
by 5-year age band.

The figures are rounded judgements of the right size for English primary care
records (see docs/simulation.md), given at five anchor ages and interpolated
linearly between them (zero at birth), never falling with age. Calibration
then scales all of them together (frailty.prevalence_scale), so only their
relative sizes and age shapes matter. Run from the repository root.
"""

# deficit: (female_ratio, deprivation_ratio, latent_weight, diagnosis_delay_years,
#           mortality_ratio, prevalence at ages 20, 42, 67, 82, 92)
ANCHORS = {
    "activity_limitation": (1.2, 1.5, 0.3, 0.3, 1.10, 0.005, 0.01, 0.04, 0.12, 0.25),
    "anaemia": (1.6, 1.4, 0.3, 0.1, 1.05, 0.02, 0.04, 0.08, 0.18, 0.25),
    "dizziness": (1.4, 1.2, 0.3, 0.0, 1.00, 0.03, 0.07, 0.15, 0.25, 0.30),
    "dyspnoea": (1.1, 1.6, 0.5, 0.0, 1.08, 0.02, 0.05, 0.12, 0.22, 0.28),
    "falls": (1.5, 1.3, 0.3, 0.0, 1.10, 0.01, 0.02, 0.08, 0.25, 0.45),
    "foot_problems": (1.3, 1.2, 0.2, 0.2, 1.00, 0.03, 0.07, 0.15, 0.25, 0.30),
    "fragility_fracture": (2.0, 1.2, 0.2, 0.0, 1.10, 0.002, 0.01, 0.04, 0.10, 0.18),
    "hearing_impairment": (0.8, 1.2, 0.1, 0.5, 1.00, 0.01, 0.03, 0.12, 0.28, 0.45),
    "heart_valve_disease": (0.9, 1.1, 0.3, 0.5, 1.15, 0.002, 0.005, 0.02, 0.07, 0.12),
    "housebound": (1.4, 1.5, 0.3, 0.1, 1.30, 0.0005, 0.001, 0.005, 0.04, 0.15),
    "hypotension_syncope": (1.2, 1.2, 0.2, 0.0, 1.05, 0.01, 0.015, 0.04, 0.10, 0.15),
    "mobility_transfer": (1.3, 1.5, 0.3, 0.2, 1.15, 0.003, 0.008, 0.03, 0.10, 0.25),
    "peptic_ulcer": (0.8, 1.5, 0.3, 0.0, 1.02, 0.005, 0.02, 0.04, 0.07, 0.08),
    "requirement_for_care": (1.4, 1.5, 0.3, 0.1, 1.25, 0.001, 0.002, 0.01, 0.06, 0.20),
    "skin_ulcer": (1.1, 1.4, 0.4, 0.0, 1.10, 0.002, 0.005, 0.02, 0.06, 0.12),
    "sleep_disturbance": (1.4, 1.4, 0.3, 0.2, 1.00, 0.04, 0.08, 0.12, 0.16, 0.18),
    "social_vulnerability": (1.3, 2.0, 0.2, 0.3, 1.05, 0.02, 0.03, 0.05, 0.12, 0.20),
    "urinary_incontinence": (2.5, 1.2, 0.2, 0.5, 1.02, 0.01, 0.03, 0.06, 0.14, 0.25),
    "urinary_system_disease": (2.0, 1.2, 0.2, 0.0, 1.02, 0.03, 0.05, 0.08, 0.16, 0.22),
    "visual_impairment": (1.2, 1.3, 0.2, 0.3, 1.02, 0.01, 0.02, 0.06, 0.15, 0.30),
    "weight_loss_anorexia": (1.3, 1.4, 0.3, 0.0, 1.20, 0.005, 0.01, 0.03, 0.08, 0.15),
    "memory_cognitive_extra": (1.2, 1.3, 0.2, 0.3, 1.10, 0.001, 0.005, 0.03, 0.10, 0.20),
    "tremor_extra": (0.9, 1.1, 0.1, 0.5, 1.02, 0.002, 0.005, 0.02, 0.04, 0.06),
}
# Deficits a child's record would not carry: none before age 15.
ADULT_ONLY = {"activity_limitation", "fragility_fracture", "housebound", "mobility_transfer",
              "requirement_for_care", "skin_ulcer", "urinary_incontinence", "weight_loss_anorexia",
              "memory_cognitive_extra", "tremor_extra", "heart_valve_disease", "peptic_ulcer",
              "social_vulnerability"}
ANCHOR_AGES = [0, 20, 42, 67, 82, 92, 110]
BAND_MIDPOINTS = [2.5 + 5 * b for b in range(18)] + [92.5]


def interpolate(age, points):
    values = [0.0] + list(points) + [points[-1]]
    for i in range(len(ANCHOR_AGES) - 1):
        lo, hi = ANCHOR_AGES[i], ANCHOR_AGES[i + 1]
        if lo <= age <= hi:
            t = (age - lo) / (hi - lo)
            return values[i] + t * (values[i + 1] - values[i])
    return values[-1]


def main():
    columns = ["deficit", "female_ratio", "deprivation_ratio", "resolution_per_year",
               "latent_weight", "diagnosis_delay_years", "mortality_ratio"]
    columns += [f"p{b * 5}_{b * 5 + 4}" for b in range(18)] + ["p90_plus"]
    with open("data/frailty/deficit-prevalence.csv", "w") as out:
        out.write(",".join(columns) + "\n")
        for name, (female, deprivation, latent, delay, mortality, *points) in ANCHORS.items():
            values = [interpolate(m, points) for m in BAND_MIDPOINTS]
            if name in ADULT_ONLY:
                values = [0.0 if m < 15 else v for m, v in zip(BAND_MIDPOINTS, values)]
            for i in range(1, len(values)):
                values[i] = max(values[i], values[i - 1])
            fields = [name, str(female), str(deprivation), "0", str(latent), str(delay),
                      str(mortality)] + [f"{v:.4g}" for v in values]
            out.write(",".join(fields) + "\n")


if __name__ == "__main__":
    main()
