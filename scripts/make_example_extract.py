#!/usr/bin/env python3
"""Generate the fictional "mini-ics" example GP extract (populus extract format v1).

Usage: python3 scripts/make_example_extract.py [OUTPUT_DIR]
       (default OUTPUT_DIR: data/examples/mini-ics in this repository)

Everything here is invented: the organisations, the people, their records. The
NHS numbers are in the 999 test range. The clinical codes are real SNOMED CT
concept ids and dm+d product ids, listed with their sources in the README that
this script writes next to the data.

The output is deterministic: one fixed seed, Python 3 standard library only,
no dependence on hash ordering or the clock. Running the script twice gives
byte-identical files.

Five rows are deliberately bad (as real extracts have) so that ingest has
something to quarantine. Their line numbers are computed here, printed, and
written into the README, so the list stays right when the generator changes.
"""

import csv
import datetime
import io
import math
import os
import random
import sys

SEED = 20190630
# The default output is relative to the repository root, wherever the script is run from.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "data", "examples", "mini-ics")

Date = datetime.date

EXTRACT_END = Date(2019, 6, 30)      # the extract's reference date
HISTORY_START = Date(2010, 1, 1)     # events are recorded from here on
# Prescriptions, hospital activity and appointments: three years and a month,
# so that the admission risk model has the year before its training year
# (populus analyse needs them from three years before the as-of date).
MED_START = Date(2016, 6, 1)         # prescription issues from here on
HOSP_START = Date(2016, 6, 1)        # hospital activity from here on
APPT_START = Date(2016, 6, 1)        # appointments from here on
FRAILTY_START = Date(2017, 7, 1)     # eFI-based frailty coding (GMS contract 2017/18)
EGFR_CKDEPI_FROM = Date(2016, 4, 1)  # labs switched from MDRD to CKD-EPI reporting

# ---------------------------------------------------------------------------
# Code registry: every code the extract uses, with its term, what it is used
# for here, and where it comes from. The README table is built from this.
# ---------------------------------------------------------------------------

SRC_INT = "SNOMED CT International Edition"
SRC_UK = "SNOMED CT UK Edition"
SRC_GM = "confirmed in GM-SDE code sets"
SRC_DMD = "dm+d VMP"

CODES = {}


def code(cid, term, used_for, source):
    CODES[cid] = (term, used_for, source)
    return cid


# Diagnoses
HYPERTENSION = code("38341003", "Hypertensive disorder, systemic arterial", "hypertension diagnosis", SRC_INT + "; " + SRC_GM)
DM2 = code("44054006", "Diabetes mellitus type 2", "type 2 diabetes diagnosis", "codelists/nhsd-primary-care-domain-refsets-dm_cod.csv")
DM2_NOCOMP = code("313436004", "Type II diabetes mellitus without complication", "type 2 diabetes diagnosis", "codelists/nhsd-primary-care-domain-refsets-dm_cod.csv")
DM1 = code("46635009", "Diabetes mellitus type 1", "type 1 diabetes diagnosis", "codelists/nhsd-primary-care-domain-refsets-dm_cod.csv")
ASTHMA = code("195967001", "Asthma", "asthma diagnosis", SRC_INT + "; " + SRC_GM)
COPD = code("13645005", "Chronic obstructive lung disease", "COPD diagnosis", "codelists/primis-covid19-vacc-uptake-resp_cov.csv")
BRONCHIECTASIS = code("12295008", "Bronchiectasis", "chronic respiratory disease", "codelists/primis-covid19-vacc-uptake-resp_cov.csv")
ILD = code("233703007", "Interstitial lung disease", "chronic respiratory disease", "codelists/primis-covid19-vacc-uptake-resp_cov.csv")
AF = code("49436004", "Atrial fibrillation", "atrial fibrillation diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
IHD = code("414545008", "Ischemic heart disease", "coronary heart disease diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
ANGINA = code("194828000", "Angina", "coronary heart disease diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
MI = code("22298006", "Myocardial infarction", "coronary heart disease diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
CORONARY_ATH = code("53741008", "Coronary arteriosclerosis", "coronary heart disease diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
HF = code("84114007", "Heart failure", "heart failure diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
CHF = code("42343007", "Congestive heart failure", "heart failure diagnosis", "codelists/primis-covid19-vacc-uptake-chd_cov.csv")
STROKE = code("230690007", "Cerebrovascular accident", "stroke diagnosis", SRC_INT + "; " + SRC_GM)
TIA = code("266257000", "Transient ischemic attack", "TIA diagnosis", SRC_INT + "; " + SRC_GM)
CKD3 = code("433144002", "Chronic kidney disease stage 3", "CKD diagnosis", "codelists/primis-covid19-vacc-uptake-ckd15.csv")
CKD3A = code("700378005", "Chronic kidney disease stage 3A", "CKD diagnosis", "codelists/primis-covid19-vacc-uptake-ckd15.csv")
CKD3B = code("700379002", "Chronic kidney disease stage 3B", "CKD diagnosis", "codelists/primis-covid19-vacc-uptake-ckd15.csv")
CKD4 = code("431857002", "Chronic kidney disease stage 4", "CKD diagnosis", "codelists/primis-covid19-vacc-uptake-ckd15.csv")
CKD5 = code("433146000", "Chronic kidney disease stage 5", "CKD diagnosis", "codelists/primis-covid19-vacc-uptake-ckd15.csv")
FATTY_LIVER = code("197321007", "Steatosis of liver", "chronic liver disease diagnosis", "codelists/primis-covid19-vacc-uptake-cld.csv")
CIRRHOSIS = code("19943007", "Cirrhosis of liver", "chronic liver disease diagnosis", "codelists/primis-covid19-vacc-uptake-cld.csv")
ALC_CIRRHOSIS = code("420054005", "Alcoholic cirrhosis", "chronic liver disease diagnosis", "codelists/primis-covid19-vacc-uptake-cld.csv")
DEPRESSION = code("35489007", "Depressive disorder", "depression diagnosis", SRC_INT + "; " + SRC_GM)
ANXIETY = code("197480006", "Anxiety disorder", "anxiety diagnosis", SRC_INT + "; " + SRC_GM)
DEMENTIA = code("52448006", "Dementia", "dementia diagnosis", SRC_INT + "; " + SRC_GM)
SCHIZOPHRENIA = code("58214004", "Schizophrenia", "severe mental illness diagnosis", "codelists/primis-covid19-vacc-uptake-old-sev_mental_cod.csv")
BIPOLAR = code("13746004", "Bipolar disorder", "severe mental illness diagnosis", "codelists/primis-covid19-vacc-uptake-old-sev_mental_cod.csv")
PSYCHOSIS = code("69322001", "Psychotic disorder", "severe mental illness diagnosis", "codelists/primis-covid19-vacc-uptake-old-sev_mental_cod.csv")
CA_BREAST = code("254837009", "Malignant neoplasm of breast", "cancer diagnosis", "codelists/opensafely-cancer-excluding-lung-and-haematological-snomed.csv")
CA_PROSTATE = code("399068003", "Malignant tumor of prostate", "cancer diagnosis", "codelists/opensafely-cancer-excluding-lung-and-haematological-snomed.csv")
CA_COLON = code("363406005", "Malignant neoplasm of colon", "cancer diagnosis", "codelists/opensafely-cancer-excluding-lung-and-haematological-snomed.csv")
CA_LUNG = code("363358000", "Malignant tumor of lung", "cancer diagnosis", "codelists/opensafely-lung-cancer-snomed.csv")
CA_MELANOMA = code("372244006", "Malignant melanoma", "cancer diagnosis", "codelists/opensafely-cancer-excluding-lung-and-haematological-snomed.csv")
CA_OVARY = code("363443007", "Malignant tumor of ovary", "cancer diagnosis", "codelists/opensafely-cancer-excluding-lung-and-haematological-snomed.csv")
CA_CLL = code("92814006", "Chronic lymphoid leukemia", "cancer diagnosis (haematological)", "codelists/opensafely-haematological-cancer-snomed.csv")
CA_MYELOMA = code("109989006", "Multiple myeloma", "cancer diagnosis (haematological)", "codelists/opensafely-haematological-cancer-snomed.csv")
HYPOTHYROID = code("40930008", "Hypothyroidism", "hypothyroidism diagnosis", SRC_INT + "; " + SRC_GM)
OSTEOARTHRITIS = code("396275006", "Osteoarthritis", "osteoarthritis diagnosis", SRC_INT + "; " + SRC_GM)
OSTEOPOROSIS = code("64859006", "Osteoporosis", "osteoporosis diagnosis", SRC_INT + "; " + SRC_GM)
RA = code("69896004", "Rheumatoid arthritis", "rheumatoid arthritis diagnosis", SRC_INT + "; " + SRC_GM)
MILD_FRAIL = code("925791000000100", "Mild frailty", "frailty (eFI category)", "codelists/nhsd-primary-care-domain-refsets-mildfrail_cod.csv")
MOD_FRAIL = code("925831000000107", "Moderate frailty", "frailty (eFI category)", "codelists/nhsd-primary-care-domain-refsets-modfrail_cod.csv")
SEV_FRAIL = code("925861000000102", "Severe frailty", "frailty (eFI category)", "codelists/nhsd-primary-care-domain-refsets-sevfrail_cod.csv")

# Observations with values
SBP = code("72313002", "Systolic arterial pressure", "blood pressure (mmHg)", SRC_INT + "; " + SRC_GM)
DBP = code("1091811000000102", "Diastolic arterial pressure", "blood pressure (mmHg)", SRC_UK + "; " + SRC_GM)
BMI = code("60621009", "Body mass index", "BMI (kg/m2)", SRC_INT + "; " + SRC_GM)
WEIGHT = code("27113001", "Body weight", "weight (kg)", SRC_INT + "; " + SRC_GM)
HBA1C = code("999791000000106", "Haemoglobin A1c level - IFCC standardised", "HbA1c (mmol/mol)", "codelists/nhsd-primary-care-domain-refsets-ifcchbam_cod.csv")
CHOL = code("1005671000000105", "Serum cholesterol level", "total cholesterol (mmol/L)", SRC_UK + "; " + SRC_GM)
CHOL_HDL = code("1015681000000109", "Serum cholesterol/HDL (high density lipoprotein) ratio", "cholesterol/HDL ratio (no unit)", SRC_UK + "; " + SRC_GM)
EGFR_EPI = code("1011481000000105", "eGFR using creatinine CKD-EPI equation per 1.73 square metres", "eGFR from 2016-04 (mL/min/1.73m2)", SRC_UK + "; " + SRC_GM)
EGFR_MDRD = code("1020291000000106", "GFR calculated by abbreviated MDRD Study Group calculation", "eGFR before 2016-04 (mL/min/1.73m2)", SRC_UK + "; " + SRC_GM)
QRISK2 = code("718087004", "QRISK2 cardiovascular disease 10 year risk score", "CVD risk (%)", SRC_INT + "; " + SRC_GM)
ALCOHOL = code("160573003", "Alcohol intake", "alcohol (units/week)", SRC_INT + "; " + SRC_GM)
CFS = code("763264000", "Canadian Study of Health and Aging Clinical Frailty Scale score", "clinical frailty scale (1-9, no unit)", SRC_INT)
SMOKER = code("77176002", "Smoker", "smoking status", SRC_INT + "; " + SRC_GM)
EX_SMOKER = code("8517006", "Ex-smoker", "smoking status", SRC_INT + "; " + SRC_GM)
NEVER_SMOKED = code("266919005", "Never smoked tobacco", "smoking status", SRC_INT + "; " + SRC_GM)

# Procedures, reviews, social context
FLU_VACC = code("822851000000102", "Seasonal influenza vaccination", "flu vaccination", SRC_UK + "; " + SRC_GM)
DM_REVIEW = code("170777000", "Diabetic annual review", "diabetes annual review", SRC_INT + "; " + SRC_GM)
ASTHMA_REVIEW = code("394700004", "Asthma annual review", "asthma annual review", SRC_INT + "; " + SRC_GM)
COPD_REVIEW = code("394703002", "Chronic obstructive pulmonary disease annual review", "COPD annual review", SRC_INT + "; " + SRC_GM)
HF_REVIEW = code("390885007", "Heart failure annual review", "heart failure annual review", SRC_INT + "; " + SRC_GM)
AF_REVIEW = code("248411000000105", "Atrial fibrillation annual review", "AF annual review", SRC_UK + "; " + SRC_GM)
CHD_REVIEW = code("315614006", "Coronary heart disease annual review", "CHD annual review", SRC_INT + "; " + SRC_GM)
CKD_REVIEW = code("249171000000102", "Chronic kidney disease annual review", "CKD annual review", SRC_UK + "; " + SRC_GM)
DEMENTIA_REVIEW = code("249181000000100", "Dementia annual review", "dementia annual review", SRC_UK + "; " + SRC_GM)
STROKE_REVIEW = code("401103008", "Cerebrovascular accident annual review", "stroke annual review", SRC_INT + "; " + SRC_GM)
THYROID_REVIEW = code("341861000000109", "Hypothyroidism annual review", "hypothyroidism annual review", SRC_UK + "; " + SRC_GM)
SMI_REGISTER = code("391193001", "On severe mental illness register", "SMI register entry", SRC_INT + "; " + SRC_GM)
MH_MED_REVIEW = code("413143000", "Mental health medication review", "SMI annual review", SRC_INT + "; " + SRC_GM)
MED_REVIEW = code("314530002", "Medication review done", "medication review", SRC_INT + "; " + SRC_GM)
FALL = code("1912002", "Fall", "falls (frailty deficit)", SRC_INT + "; " + SRC_GM)
HOUSEBOUND = code("160689007", "Housebound", "housebound (frailty deficit)", SRC_INT + "; " + SRC_GM)
LIVES_CARE_HOME = code("248171000000108", "Lives in care home", "care home residence", SRC_UK + "; " + SRC_GM)
LIVES_NURSING_HOME = code("160734000", "Lives in nursing home", "care home residence", SRC_INT + "; " + SRC_GM)
PALLIATIVE = code("103735009", "Palliative care", "end of life care", SRC_INT + "; " + SRC_GM)

# Medicines: dm+d VMP ids, mostly as used in 2019 (two are the current ids)
METFORMIN = code("325278007", "Metformin 500mg tablets", "type 2 diabetes", SRC_DMD)
GLICLAZIDE = code("325242002", "Gliclazide 80mg tablets", "type 2 diabetes", SRC_DMD)
SITAGLIPTIN = code("424345005", "Sitagliptin 100mg tablets", "type 2 diabetes", SRC_DMD)
AMLODIPINE = code("319283006", "Amlodipine 5mg tablets", "hypertension", SRC_DMD + " (2019 id; later dm+d releases moved it to 39732011000001102)")
RAMIPRIL = code("318902004", "Ramipril 5mg capsules", "hypertension, heart failure, CHD", SRC_DMD)
BENDROFLUMETHIAZIDE = code("317919004", "Bendroflumethiazide 2.5mg tablets", "hypertension", SRC_DMD)
ATORVASTATIN20 = code("320030001", "Atorvastatin 20mg tablets", "lipid lowering", SRC_DMD + " (2019 id; later dm+d releases moved it to 39733011000001106)")
ATORVASTATIN40 = code("320031002", "Atorvastatin 40mg tablets", "lipid lowering (secondary prevention)", SRC_DMD)
SIMVASTATIN40 = code("320000009", "Simvastatin 40mg tablets", "lipid lowering", SRC_DMD)
ASPIRIN = code("319773006", "Aspirin 75mg dispersible tablets", "antiplatelet (CHD)", SRC_DMD)
CLOPIDOGREL = code("319799004", "Clopidogrel 75mg tablets", "antiplatelet (stroke, CHD)", SRC_DMD)
BISOPROLOL = code("318590006", "Bisoprolol 5mg tablets", "AF, heart failure, CHD", SRC_DMD)
APIXABAN = code("703908001", "Apixaban 5mg tablets", "anticoagulation (AF)", SRC_DMD)
FUROSEMIDE = code("317972000", "Furosemide 40mg tablets", "heart failure", SRC_DMD)
SALBUTAMOL = code("39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free", "asthma, COPD", SRC_DMD + " (current id)")
BECLOMETASONE = code("35908111000001105", "Beclometasone 100micrograms/dose inhaler CFC free", "asthma, COPD", SRC_DMD)
LEVOTHYROXINE50 = code("374295007", "Levothyroxine sodium 50microgram tablets", "hypothyroidism", SRC_DMD)
LEVOTHYROXINE100 = code("374296008", "Levothyroxine sodium 100microgram tablets", "hypothyroidism", SRC_DMD)
SERTRALINE = code("39704111000001102", "Sertraline 50mg tablets", "depression, anxiety", SRC_DMD + " (current id)")
CITALOPRAM = code("321987003", "Citalopram 20mg tablets", "depression, anxiety", SRC_DMD)
FLUOXETINE = code("321949006", "Fluoxetine 20mg capsules", "depression", SRC_DMD)
MIRTAZAPINE = code("375193003", "Mirtazapine 15mg tablets", "depression", SRC_DMD)
OMEPRAZOLE = code("317291008", "Omeprazole 20mg gastro-resistant capsules", "gastro-protection", SRC_DMD)
OLANZAPINE = code("321614001", "Olanzapine 10mg tablets", "severe mental illness", SRC_DMD)
LITHIUM = code("321734009", "Lithium carbonate 400mg modified-release tablets", "bipolar disorder", SRC_DMD)
DONEPEZIL = code("323365007", "Donepezil 10mg tablets", "dementia", SRC_DMD)

MED_CODES = [METFORMIN, GLICLAZIDE, SITAGLIPTIN, AMLODIPINE, RAMIPRIL, BENDROFLUMETHIAZIDE,
             ATORVASTATIN20, ATORVASTATIN40, SIMVASTATIN40, ASPIRIN, CLOPIDOGREL, BISOPROLOL,
             APIXABAN, FUROSEMIDE, SALBUTAMOL, BECLOMETASONE, LEVOTHYROXINE50,
             LEVOTHYROXINE100, SERTRALINE, CITALOPRAM, FLUOXETINE, MIRTAZAPINE, OMEPRAZOLE,
             OLANZAPINE, LITHIUM, DONEPEZIL]

# Ethnicity (SNOMED CT codes from codelists/opensafely-ethnicity-snomed-0removed.csv)
ETHNICITY = {
    "494131000000105": "White British - ethnic category 2001 census",
    "976631000000101": "White: English or Welsh or Scottish or Northern Irish or British - England and Wales ethnic category 2011 census",
    "976651000000108": "White: Irish - England and Wales ethnic category 2011 census",
    "88941000000100": "Polish - ethnic category 2001 census",
    "92411000000108": "Other White background - ethnic category 2001 census",
    "976791000000107": "Asian or Asian British: Indian - England and Wales ethnic category 2011 census",
    "976811000000108": "Asian or Asian British: Pakistani - England and Wales ethnic category 2011 census",
    "976831000000100": "Asian or Asian British: Bangladeshi - England and Wales ethnic category 2011 census",
    "976851000000107": "Asian or Asian British: Chinese - England and Wales ethnic category 2011 census",
    "976891000000104": "Black or African or Caribbean or Black British: African - England and Wales ethnic category 2011 census",
    "976911000000101": "Black or African or Caribbean or Black British: Caribbean - England and Wales ethnic category 2011 census",
    "976751000000104": "Mixed multiple ethnic groups: White and Asian - England and Wales ethnic category 2011 census",
    "976711000000103": "Mixed multiple ethnic groups: White and Black Caribbean - England and Wales ethnic category 2011 census",
    "976951000000102": "Other ethnic group: Arab - England and Wales ethnic category 2011 census",
    "976971000000106": "Other ethnic group: any other ethnic group - England and Wales ethnic category 2011 census",
}
NON_WHITE_BRITISH = [  # (code, relative weight)
    ("976651000000108", 6), ("88941000000100", 10), ("92411000000108", 14),
    ("976791000000107", 8), ("976811000000108", 3), ("976831000000100", 3),
    ("976851000000107", 5), ("976891000000104", 5), ("976911000000101", 3),
    ("976751000000104", 5), ("976711000000103", 4), ("976951000000102", 2),
    ("976971000000106", 4),
]

# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------

ICS = ("QVV", "Dorset-like Example ICS")
LOCALITIES = [("LOC01", "Poole Bay"), ("LOC02", "West Dorset")]
PCNS = [  # code, name, locality
    ("U90001", "Poole Harbourside PCN", "LOC01"),
    ("U90002", "Poole Heathlands PCN", "LOC01"),
    ("U90003", "West Dorset Vale PCN", "LOC02"),
]

# Each practice: list size, age tilt (older +, younger -), LSOAs with their IMD
# deciles (1 = most deprived), the White British share of recorded ethnicity,
# and its sites (code, name, postcode).
PRACTICES = [
    {
        "code": "J90001", "name": "Harbourside Medical Centre", "pcn": "U90001",
        "postcode": "BH15 1XA", "size": 190, "tilt": -0.35, "wb": 0.80,
        "lsoas": [("E01015611", 1), ("E01015612", 1), ("E01015618", 2), ("E01015623", 2),
                  ("E01015627", 3), ("E01015630", 3), ("E01015634", 4), ("E01015641", 5)],
        "lsoa_weights": [5, 4, 4, 3, 3, 2, 2, 1],
        "sites": [("J90001-S1", "Harbourside Medical Centre", "BH15 1XA"),
                  ("J90001-S2", "Harbourside Medical Centre, Hamworthy Branch Surgery", "BH15 4XB")],
    },
    {
        "code": "J90002", "name": "Quayside Surgery", "pcn": "U90001",
        "postcode": "BH15 2XD", "size": 95, "tilt": -0.1, "wb": 0.86,
        "lsoas": [("E01015645", 2), ("E01015648", 3), ("E01015652", 4), ("E01015655", 4),
                  ("E01015659", 5), ("E01015662", 6), ("E01015666", 7)],
        "lsoa_weights": [2, 3, 3, 3, 2, 2, 1],
        "sites": [("J90002-S1", "Quayside Surgery", "BH15 2XD")],
    },
    {
        "code": "J90003", "name": "Heathlands Family Practice", "pcn": "U90002",
        "postcode": "BH12 3XE", "size": 130, "tilt": 0.0, "wb": 0.88,
        "lsoas": [("E01015702", 4), ("E01015705", 5), ("E01015709", 6), ("E01015713", 6),
                  ("E01015718", 7), ("E01015721", 8), ("E01015726", 8)],
        "lsoa_weights": [2, 3, 3, 3, 3, 2, 2],
        "sites": [("J90003-S1", "Heathlands Family Practice", "BH12 3XE")],
    },
    {
        "code": "J90004", "name": "Frome Valley Surgery", "pcn": "U90003",
        "postcode": "DT2 7XF", "size": 115, "tilt": 0.40, "wb": 0.96,
        "lsoas": [("E01020412", 7), ("E01020415", 8), ("E01020419", 8), ("E01020423", 9),
                  ("E01020428", 9), ("E01020431", 10), ("E01020436", 10)],
        "lsoa_weights": [1, 2, 2, 3, 3, 3, 2],
        "sites": [("J90004-S1", "Frome Valley Surgery", "DT2 7XF"),
                  ("J90004-S2", "Frome Valley Surgery, Cerne Branch", "DT2 8XG")],
    },
    {
        "code": "J90005", "name": "Marshwood Vale Medical Practice", "pcn": "U90003",
        "postcode": "DT6 3XH", "size": 70, "tilt": 0.20, "wb": 0.94,
        "lsoas": [("E01020512", 3), ("E01020516", 4), ("E01020519", 5), ("E01020523", 6),
                  ("E01020527", 6), ("E01020531", 7), ("E01020534", 8)],
        "lsoa_weights": [1, 2, 2, 3, 3, 2, 2],
        "sites": [("J90005-S1", "Marshwood Vale Medical Practice", "DT6 3XH")],
    },
]
PCN_LOCALITY = {p[0]: p[2] for p in PCNS}

# Hospital providers by locality (ODS trust codes of the Dorset acute trusts in
# 2016-2019, plus the two neighbouring trusts West Dorset patients also use).
PROVIDERS = {
    "LOC01": [("RD3", 60), ("RDZ", 34), ("RBD", 3), ("RNZ", 3)],
    "LOC02": [("RBD", 80), ("RA4", 12), ("RD3", 5), ("RNZ", 3)],
}
PROVIDER_NAMES = {
    "RD3": "Poole Hospital NHS Foundation Trust",
    "RDZ": "The Royal Bournemouth and Christchurch Hospitals NHS Foundation Trust",
    "RBD": "Dorset County Hospital NHS Foundation Trust",
    "RA4": "Yeovil District Hospital NHS Foundation Trust",
    "RNZ": "Salisbury NHS Foundation Trust",
}

# Age structure of the registered population: 5-year bands 0-4 ... 85-89, 90+.
AGE_BAND_WEIGHTS = [4.3, 4.8, 5.0, 5.2, 5.4, 5.2, 5.4, 5.3, 5.4, 6.3, 7.0, 6.9, 6.4,
                    6.9, 6.8, 5.0, 3.6, 2.3, 1.4]

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def iso(d):
    return d.isoformat()


def add_days(d, n):
    return d + datetime.timedelta(days=n)


def rand_date(rng, a, b):
    """A uniformly random date in [a, b] (inclusive)."""
    if b < a:
        raise ValueError("empty date range %s..%s" % (a, b))
    return a + datetime.timedelta(days=rng.randint(0, (b - a).days))


def age_on(dob, d):
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


def add_years(d, years):
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def weighted(rng, items):
    """items: list of (value, weight)."""
    total = sum(w for _, w in items)
    x = rng.random() * total
    for value, w in items:
        x -= w
        if x < 0:
            return value
    return items[-1][0]


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def nhs_check_digit(nine):
    """Modulus 11 check digit for the first nine digits, or None if invalid (10)."""
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1)))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_valid(s):
    if len(s) != 10 or not s.isdigit():
        return False
    check = nhs_check_digit(s[:9])
    return check is not None and check == int(s[9])


def snomed_id_ok(s):
    """6-18 digits, no leading zero, partition identifier 00 or 10 (concept ids)."""
    return (s.isdigit() and 6 <= len(s) <= 18 and s[0] != "0" and s[-3:-1] in ("00", "10"))


def verhoeff_ok(s):
    """SNOMED CT identifiers end in a Verhoeff check digit."""
    d = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
         [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
         [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
         [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
         [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
    p = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
         [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
         [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
         [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
    c = 0
    for i, ch in enumerate(reversed(s)):
        c = d[c][p[i % 8][int(ch)]]
    return c == 0


def fmt1(x):
    return "%.1f" % x


# ---------------------------------------------------------------------------
# Conditions: prevalence by age band (0-17, 18-39, 40-59, 60-69, 70-79, 80+)
# ---------------------------------------------------------------------------

AGE_EDGES = [18, 40, 60, 70, 80]


def age_band_index(age):
    i = 0
    while i < len(AGE_EDGES) and age >= AGE_EDGES[i]:
        i += 1
    return i


# name: (prevalence by band, minimum onset age, deprivation sensitivity,
#        female multiplier, male multiplier, codes [(code, weight)])
CONDITIONS = [
    ("diabetes_t1", [0.003, 0.005, 0.005, 0.004, 0.003, 0.002], 1, 0.0, 1.0, 1.0, [(DM1, 1)]),
    ("diabetes_t2", [0.0, 0.0102, 0.0553, 0.1105, 0.1445, 0.1445], 25, 1.0, 0.85, 1.15,
     [(DM2, 8), (DM2_NOCOMP, 2)]),
    ("hypertension", [0.0, 0.014, 0.101, 0.248, 0.359, 0.432], 25, 0.4, 0.95, 1.05, [(HYPERTENSION, 1)]),
    ("ckd", [0.0, 0.0005, 0.006, 0.028, 0.07, 0.16], 30, 0.3, 1.15, 0.85,
     [(CKD3, 3), (CKD3A, 4), (CKD3B, 2), (CKD4, 1)]),
    ("chd", [0.0, 0.0007, 0.013, 0.0455, 0.078, 0.104], 35, 0.8, 0.65, 1.4,
     [(IHD, 3), (ANGINA, 3), (MI, 3), (CORONARY_ATH, 1)]),
    ("af", [0.0, 0.0008, 0.0056, 0.024, 0.064, 0.12], 35, 0.0, 0.85, 1.15, [(AF, 1)]),
    ("hf", [0.0, 0.0, 0.0012, 0.006, 0.015, 0.036], 40, 0.5, 0.85, 1.15, [(HF, 4), (CHF, 1)]),
    ("stroke", [0.0, 0.0009, 0.0072, 0.027, 0.054, 0.09], 35, 0.5, 1.0, 1.0, [(STROKE, 3), (TIA, 2)]),
    ("asthma", [0.07, 0.075, 0.065, 0.06, 0.06, 0.05], 3, 0.3, 1.1, 0.9, [(ASTHMA, 1)]),
    ("copd", [0.0, 0.0007, 0.014, 0.042, 0.063, 0.07], 35, 2.0, 0.9, 1.1, [(COPD, 1)]),
    ("resp_other", [0.0, 0.001, 0.003, 0.006, 0.009, 0.01], 20, 0.0, 1.0, 1.0,
     [(BRONCHIECTASIS, 3), (ILD, 2)]),
    ("cld", [0.0, 0.002, 0.008, 0.011, 0.01, 0.008], 20, 1.0, 0.8, 1.2,
     [(FATTY_LIVER, 6), (CIRRHOSIS, 2), (ALC_CIRRHOSIS, 2)]),
    ("depression", [0.012, 0.12, 0.13, 0.11, 0.10, 0.10], 12, 0.8, 1.35, 0.65, [(DEPRESSION, 1)]),
    ("anxiety", [0.018, 0.072, 0.063, 0.045, 0.036, 0.036], 10, 0.5, 1.35, 0.65, [(ANXIETY, 1)]),
    ("smi", [0.0, 0.01, 0.012, 0.01, 0.008, 0.008], 16, 1.5, 1.0, 1.0,
     [(SCHIZOPHRENIA, 9), (BIPOLAR, 8), (PSYCHOSIS, 3)]),
    ("dementia", [0.0, 0.0, 0.0005, 0.004, 0.022, 0.09], 55, 0.2, 1.1, 0.9, [(DEMENTIA, 1)]),
    ("cancer", [0.0007, 0.0049, 0.0231, 0.056, 0.084, 0.098], 15, 0.2, 1.0, 1.0, None),
    ("hypothyroid", [0.0008, 0.0127, 0.034, 0.051, 0.068, 0.0765], 10, 0.0, 1.6, 0.35, [(HYPOTHYROID, 1)]),
    ("osteoarthritis", [0.0, 0.0064, 0.052, 0.136, 0.208, 0.264], 35, 0.3, 1.2, 0.8, [(OSTEOARTHRITIS, 1)]),
    ("osteoporosis", [0.0, 0.0, 0.0037, 0.0225, 0.0525, 0.09], 45, 0.0, 1.7, 0.3, [(OSTEOPOROSIS, 1)]),
    ("ra", [0.0, 0.0024, 0.008, 0.012, 0.016, 0.016], 20, 0.0, 1.5, 0.5, [(RA, 1)]),
]

LTC_NAMES = [c[0] for c in CONDITIONS]

CANCER_SITES = {
    "F": [(CA_BREAST, 45), (CA_COLON, 15), (CA_MELANOMA, 10), (CA_LUNG, 10), (CA_OVARY, 8),
          (CA_CLL, 7), (CA_MYELOMA, 5)],
    "M": [(CA_PROSTATE, 40), (CA_COLON, 20), (CA_LUNG, 15), (CA_MELANOMA, 12), (CA_CLL, 8),
          (CA_MYELOMA, 5)],
    "X": [(CA_COLON, 30), (CA_LUNG, 25), (CA_MELANOMA, 25), (CA_CLL, 12), (CA_MYELOMA, 8)],
}

REVIEWS = {  # condition -> (review code, probability done in a year)
    "diabetes_t1": (DM_REVIEW, 0.85), "diabetes_t2": (DM_REVIEW, 0.85),
    "asthma": (ASTHMA_REVIEW, 0.55), "copd": (COPD_REVIEW, 0.8), "hf": (HF_REVIEW, 0.75),
    "af": (AF_REVIEW, 0.7), "chd": (CHD_REVIEW, 0.75), "ckd": (CKD_REVIEW, 0.6),
    "dementia": (DEMENTIA_REVIEW, 0.75), "stroke": (STROKE_REVIEW, 0.65),
    "hypothyroid": (THYROID_REVIEW, 0.5), "smi": (MH_MED_REVIEW, 0.7),
}


class Patient:
    def __init__(self):
        self.nhs = ""
        self.practice = None
        self.dob = None
        self.sex = "F"
        self.reg_from = None
        self.reg_to = None
        self.death = None
        self.lsoa = ""
        self.imd = None
        self.ethnicity = ""
        self.care_home = 0
        self.z = 0.0            # latent ill-health
        self.smoking = "never"  # current, ex, never (adults)
        self.quit_date = None
        self.conditions = {}    # name -> (diagnosis date, code)
        self.frailty = None     # None, mild, moderate, severe
        self.frailty_date = None
        self.meds = []          # list of dm+d codes ever issued

    @property
    def end(self):
        """Last date the practice holds this patient's record for."""
        return self.reg_to if self.reg_to else EXTRACT_END

    @property
    def start(self):
        """First date an event can be recorded (registration, birth, history start)."""
        return max(self.reg_from, self.dob, HISTORY_START)

    def age_at(self, d):
        return age_on(self.dob, d)

    def has(self, name, by=None):
        if name not in self.conditions:
            return False
        return by is None or self.conditions[name][0] <= by

    def dep_mult(self):
        d = self.imd if self.imd is not None else 5
        return {1: 1.45, 2: 1.35, 3: 1.2, 4: 1.1, 5: 1.0, 6: 0.95, 7: 0.9, 8: 0.85, 9: 0.8,
                10: 0.75}[d]


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def make_nhs_numbers(rng, n):
    seen = {}
    out = []
    while len(out) < n:
        nine = "999" + "%06d" % rng.randint(0, 999999)
        check = nhs_check_digit(nine)
        if check is None:
            continue
        s = nine + str(check)
        if s in seen:
            continue
        seen[s] = True
        out.append(s)
    return out


def age_band_weights(tilt):
    weights = []
    for i, w in enumerate(AGE_BAND_WEIGHTS):
        mid = i * 5 + 2.5
        weights.append(w * math.exp(tilt * (mid - 40.0) / 40.0))
    return weights


def make_patients(rng):
    total = sum(p["size"] for p in PRACTICES)
    numbers = make_nhs_numbers(rng, total)
    patients = []
    k = 0
    for prac in PRACTICES:
        bands = age_band_weights(prac["tilt"])
        # Age bands by quota (largest remainder), so the age structure is as
        # intended rather than at the mercy of sampling noise.
        exact = [prac["size"] * w / sum(bands) for w in bands]
        quota = [int(x) for x in exact]
        rest = sorted(range(len(bands)), key=lambda i: (-(exact[i] - quota[i]), i))
        for i in rest[:prac["size"] - sum(quota)]:
            quota[i] += 1
        band_list = [b for b, q in enumerate(quota) for _ in range(q)]
        rng.shuffle(band_list)
        for band in band_list:
            p = Patient()
            p.nhs = numbers[k]
            k += 1
            p.practice = prac
            if band == len(bands) - 1:
                age = 90 + min(int(rng.expovariate(1 / 3.5)), 14)
            else:
                age = band * 5 + rng.randint(0, 4)
            days_old = int(age * 365.25 + rng.random() * 364)
            days_old = max(days_old, 20)
            p.dob = add_days(EXTRACT_END, -days_old)
            pf = 0.62 if age >= 85 else 0.56 if age >= 75 else 0.53 if age >= 65 else 0.505
            p.sex = "F" if rng.random() < pf else "M"
            # Registration
            if age == 0 or rng.random() < 0.25:
                p.reg_from = add_days(p.dob, rng.randint(10, 60))
            else:
                years_reg = rng.expovariate(1 / 11.0)
                p.reg_from = add_days(EXTRACT_END, -int(years_reg * 365.25) - rng.randint(5, 200))
            p.reg_from = min(max(p.reg_from, add_days(p.dob, 7)), add_days(EXTRACT_END, -5))
            # Area
            li = weighted(rng, list(zip(range(len(prac["lsoas"])), prac["lsoa_weights"])))
            if rng.random() < 0.006:
                p.lsoa, p.imd = "", None  # address not matched to an LSOA
            else:
                p.lsoa, p.imd = prac["lsoas"][li]
            # Ethnicity
            r = rng.random()
            if r < 0.065:
                p.ethnicity = ""
            elif rng.random() < prac["wb"]:
                p.ethnicity = "494131000000105" if rng.random() < 0.7 else "976631000000101"
            else:
                p.ethnicity = weighted(rng, NON_WHITE_BRITISH)
            p.z = rng.gauss(0, 1)
            patients.append(p)
    # A few people whose recorded sex is indeterminate or unknown.
    for s, n in (("I", 1), ("U", 2)):
        for _ in range(n):
            while True:
                p = patients[rng.randrange(len(patients))]
                if p.sex in ("M", "F") and 18 <= p.age_at(EXTRACT_END) <= 60:
                    p.sex = s
                    break
    return patients


def assign_deaths_and_leavers(rng, patients):
    n = len(patients)
    n_dead = round(0.03 * n)
    n_left = round(0.04 * n)
    # Deaths: weighted to age and ill-health.
    pool = list(range(n))
    for _ in range(n_dead):
        weights = []
        for i in pool:
            p = patients[i]
            a = p.age_at(EXTRACT_END)
            w = math.exp(0.11 * (a - 80)) * math.exp(0.7 * p.z)
            if p.reg_from > Date(2019, 3, 1):
                w = 0.0
            weights.append((i, w))
        i = weighted(rng, weights)
        pool.remove(i)
        p = patients[i]
        lo = max(Date(2016, 9, 1), add_days(p.reg_from, 60), add_days(p.dob, 1))
        p.death = rand_date(rng, lo, Date(2019, 6, 25))
        p.reg_to = p.death
    # Leavers: weighted to young adults (students, people moving for work).
    for _ in range(n_left):
        weights = []
        for i in pool:
            p = patients[i]
            a = p.age_at(EXTRACT_END)
            w = 3.0 if 18 <= a <= 40 else 1.0 if a < 75 else 0.3
            if p.reg_from > Date(2019, 1, 1):
                w = 0.0
            weights.append((i, w))
        i = weighted(rng, weights)
        pool.remove(i)
        p = patients[i]
        lo = max(Date(2016, 7, 1), add_days(p.reg_from, 45))
        p.reg_to = rand_date(rng, lo, Date(2019, 6, 20))


def assign_smoking(rng, p):
    a = p.age_at(p.end)
    if a < 15:
        p.smoking = "never"
        return
    d = p.imd if p.imd is not None else 5
    current = [0.0, 0.27, 0.24, 0.2, 0.17, 0.14, 0.12, 0.11, 0.09, 0.08, 0.07][d]
    if a < 18:
        current *= 0.3
    elif a >= 70:
        current *= 0.55
    elif a <= 40:
        current *= 1.1
    ex = 0.08 if a < 30 else 0.2 if a < 50 else 0.33
    r = rng.random()
    if r < current:
        p.smoking = "current"
        if rng.random() < 0.15:
            p.quit_date = rand_date(rng, max(p.start, Date(2012, 1, 1)),
                                    max(p.end, max(p.start, Date(2012, 1, 1))))
    elif r < current + ex:
        p.smoking = "ex"
    else:
        p.smoking = "never"


def condition_probability(p, name, band_prev, dep_sens, f_mult, m_mult):
    a = p.age_at(p.end)
    prob = band_prev[age_band_index(a)]
    if prob <= 0:
        return 0.0
    if p.sex == "F":
        prob *= f_mult
    elif p.sex == "M":
        prob *= m_mult
    prob *= p.dep_mult() ** dep_sens
    prob *= math.exp(0.65 * p.z - 0.09)  # latent ill-health
    has = p.conditions
    if name == "hypertension" and "diabetes_t2" in has:
        prob *= 1.8
    if name == "ckd":
        if "diabetes_t2" in has or "diabetes_t1" in has:
            prob *= 2.0
        if "hypertension" in has:
            prob *= 1.6
    if name == "chd" and ("diabetes_t2" in has or "diabetes_t1" in has):
        prob *= 1.7
    if name == "chd" and p.smoking in ("current", "ex"):
        prob *= 1.4
    if name == "hf":
        if "chd" in has:
            prob *= 3.0
        if "af" in has:
            prob *= 1.8
    if name == "stroke" and "af" in has:
        prob *= 2.0
    if name == "copd":
        prob *= {"current": 2.6, "ex": 1.6, "never": 0.25}[p.smoking]
    if name == "depression" and "anxiety" in has:
        prob *= 1.8
    if name == "anxiety" and "depression" in has:
        prob *= 1.8
    if name == "dementia" and "stroke" in has:
        prob *= 1.8
    return min(prob, 0.92)


def diagnosis_date(rng, p, min_onset):
    """A diagnosis date in the recorded history, never before birth or after the record ends."""
    lo = p.start
    hi = p.end
    earliest_onset = add_years(p.dob, min_onset)
    if earliest_onset > hi:
        return None
    end_age_days = (hi - earliest_onset).days
    onset = add_days(earliest_onset, rng.randint(0, end_age_days))
    if onset < lo:
        # Diagnosed before this record began: coded when the record was summarised,
        # mostly soon after the start of the history.
        span = (hi - lo).days
        return add_days(lo, int(span * rng.random() ** 3))
    return onset


def weighted_sample(rng, weights, k):
    """k distinct indices drawn with probability proportional to weight, without
    replacement (Efraimidis-Spirakis keys); deterministic for a given rng state."""
    keyed = []
    for i, w in enumerate(weights):
        u = rng.random()
        if w > 0:
            keyed.append((u ** (1.0 / w), i))
    keyed.sort(key=lambda t: (-t[0], t[1]))
    return sorted(i for _, i in keyed[:k])


def assign_conditions(rng, patients):
    """Condition by condition, give each to round(expected) people chosen in
    proportion to their individual probability. This keeps the prevalences near
    their targets in a population this small, while age, sex, deprivation,
    smoking, latent ill-health and earlier conditions still decide who has what."""
    for name, prev, min_onset, dep_sens, f_mult, m_mult, codes in CONDITIONS:
        probs = [condition_probability(p, name, prev, dep_sens, f_mult, m_mult) for p in patients]
        k = int(round(sum(probs)))
        for i in weighted_sample(rng, probs, k):
            p = patients[i]
            d = diagnosis_date(rng, p, min_onset)
            if d is None:
                continue
            if name == "cancer":
                key = p.sex if p.sex in ("M", "F") else "X"
                c = weighted(rng, CANCER_SITES[key])
                if c == CA_LUNG and p.smoking == "never" and rng.random() < 0.7:
                    c = CA_COLON
            else:
                c = weighted(rng, codes)
            p.conditions[name] = (d, c)


FRAILTY_DEFICITS = ("hypertension", "diabetes_t2", "diabetes_t1", "af", "chd", "hf", "stroke",
                    "ckd", "copd", "asthma", "osteoarthritis", "osteoporosis", "dementia",
                    "hypothyroid", "ra", "cancer", "resp_other")
# Shares of people aged 65+ coded severe, moderate and mild frailty: about 60% frail,
# split 65% mild / 26% moderate / 10% severe as in the Dorset strategy.
FRAILTY_SHARES = (("severe", 0.06), ("moderate", 0.155), ("mild", 0.39))
CARE_HOME_SHARE = 0.011


def assign_frailty_and_care_home(rng, patients):
    eligible = []
    for p in patients:
        a = p.age_at(p.end)
        if a >= 65 and p.end >= max(p.start, FRAILTY_START):
            deficits = sum(1 for n in FRAILTY_DEFICITS if n in p.conditions)
            score = deficits + (a - 65) / 7.0 + 0.9 * p.z + rng.gauss(0, 1.0)
            eligible.append((score, len(eligible), p))
    eligible.sort(key=lambda t: (-t[0], t[1]))
    pos = 0
    for category, share in FRAILTY_SHARES:
        k = int(round(share * len(eligible)))
        for _, _, p in eligible[pos:pos + k]:
            p.frailty = category
            p.frailty_date = rand_date(rng, max(p.start, FRAILTY_START), p.end)
        pos += k
    # Care home residents: the very old, the severely frail, people with dementia.
    weights = []
    for p in patients:
        a = p.age_at(p.end)
        w = 0.0
        if a >= 75:
            w = 0.10 if a >= 85 else 0.025
            if "dementia" in p.conditions:
                w += 0.3
            if p.frailty == "severe":
                w += 0.15
            elif p.frailty == "moderate":
                w += 0.04
        weights.append(w)
    for i in weighted_sample(rng, weights, int(round(CARE_HOME_SHARE * len(patients)))):
        patients[i].care_home = 1


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


def periodic_dates(rng, start, end, interval, jitter, p_done):
    out = []
    if start > end:
        return out
    d = add_days(start, rng.randint(0, max(0, interval - 1)))
    while d <= end:
        if rng.random() < p_done:
            out.append(d)
        d = add_days(d, interval + rng.randint(-jitter, jitter))
    return out


def first_dx(p, names):
    dates = [p.conditions[n][0] for n in names if n in p.conditions]
    return min(dates) if dates else None


CARDIOMETABOLIC = ("hypertension", "diabetes_t2", "diabetes_t1", "chd", "ckd", "stroke", "hf", "af")
AT_RISK_FLU = ("diabetes_t2", "diabetes_t1", "chd", "hf", "copd", "asthma", "ckd", "cld", "stroke",
               "resp_other")


def make_events(rng, p):
    ev = []  # (date, code, value, unit)
    start, end = p.start, p.end
    male = p.sex == "M"

    # Diagnoses
    for name in LTC_NAMES:
        if name in p.conditions:
            d, c = p.conditions[name]
            ev.append((d, c, "", ""))
            if name == "smi":
                ev.append((min(add_days(d, rng.randint(0, 30)), end), SMI_REGISTER, "", ""))
            if name == "ckd" and c in (CKD3, CKD3A) and rng.random() < 0.12:
                # progression recorded later
                later = add_days(d, rng.randint(365, 2000))
                if later <= end:
                    ev.append((later, CKD4 if c == CKD3 else CKD3B, "", ""))

    adult_from = max(start, add_years(p.dob, 18))
    monitor_from = first_dx(p, CARDIOMETABOLIC)
    diabetic = first_dx(p, ("diabetes_t2", "diabetes_t1"))

    # Blood pressure
    sbp_offset = rng.gauss(0, 8)
    bp_dates = []
    if monitor_from:
        bp_dates += periodic_dates(rng, adult_from, min(end, add_days(monitor_from, -1)), 1095, 120, 0.65)
        bp_dates += [d for d in [monitor_from] if d >= adult_from]
        bp_dates += periodic_dates(rng, max(adult_from, add_days(monitor_from, 60)), end, 300, 60, 0.9)
    else:
        bp_dates += periodic_dates(rng, adult_from, end, 1095, 180, 0.6)
    htn = p.conditions.get("hypertension")
    for d in sorted(bp_dates):
        a = p.age_at(d)
        s = 110 + 0.45 * max(0, a - 20) + (4 if male else 0) + sbp_offset + rng.gauss(0, 9)
        if htn:
            if d < htn[0]:
                s += 8
            elif d == htn[0]:
                s += 24
            else:
                s += 6
        s = int(round(clamp(s, 96, 198)))
        dia = 0.42 * s + 24 - 0.12 * max(0, a - 55) + rng.gauss(0, 6)
        dia = int(round(clamp(dia, 50, min(115, s - 25))))
        ev.append((d, SBP, str(s), "mmHg"))
        ev.append((d, DBP, str(dia), "mmHg"))

    # BMI and weight
    height = rng.gauss(1.76, 0.07) if male else rng.gauss(1.625, 0.065)
    if p.sex in ("I", "U"):
        height = rng.gauss(1.70, 0.08)
    bmi_base = rng.gauss(26.3, 4.3) + (1.5 if (p.imd or 5) <= 3 else 0)
    if "diabetes_t2" in p.conditions:
        bmi_base += 4.0
    bmi_base = clamp(bmi_base, 17.5, 46)
    bmi_dates = periodic_dates(rng, adult_from, end, 365 if diabetic else 1095, 90,
                               0.85 if diabetic else 0.55)
    for d in bmi_dates:
        drift = 0.05 * (d.year - 2014)
        if p.frailty in ("moderate", "severe") and d >= FRAILTY_START:
            drift -= 1.5
        b = clamp(bmi_base + drift + rng.gauss(0, 0.7), 15.5, 50)
        w = b * height * height
        ev.append((d, BMI, fmt1(b), "kg/m2"))
        ev.append((d, WEIGHT, fmt1(w), "kg"))

    # HbA1c
    if diabetic:
        dm = p.conditions.get("diabetes_t2") or p.conditions.get("diabetes_t1")
        t1 = "diabetes_t1" in p.conditions
        control = clamp(rng.gauss(66 if t1 else 57, 9), 44, 95)
        if dm[0] >= adult_from or t1:
            ev.append((dm[0], HBA1C, str(int(round(clamp(control + rng.uniform(5, 25), 48, 110)))),
                       "mmol/mol"))
        for d in periodic_dates(rng, add_days(dm[0], 60), end, 182, 40, 0.8):
            v = clamp(control + rng.gauss(0, 6), 35, 110)
            ev.append((d, HBA1C, str(int(round(v))), "mmol/mol"))
    else:
        for d in periodic_dates(rng, max(adult_from, add_years(p.dob, 40)), end, 1460, 200, 0.4):
            v = clamp(rng.gauss(38, 3), 35, 47)
            ev.append((d, HBA1C, str(int(round(v))), "mmol/mol"))

    # Cholesterol (total and ratio on the same sample); the values are written by
    # make_medications, since they depend on statin treatment.
    lipid_monitor = first_dx(p, ("diabetes_t2", "diabetes_t1", "chd", "stroke", "ckd", "hypertension"))
    chol_base = clamp(rng.gauss(5.3, 0.9), 3.2, 8.2)
    ratio_base = clamp(rng.gauss(3.9, 0.8), 2.2, 7.5)
    lipid_dates = []
    if lipid_monitor:
        lipid_dates += periodic_dates(rng, max(adult_from, lipid_monitor), end, 365, 60, 0.75)
        lipid_dates += periodic_dates(rng, max(adult_from, add_years(p.dob, 40)),
                                      min(end, add_days(lipid_monitor, -1)), 1825, 200, 0.5)
    else:
        lipid_dates += periodic_dates(rng, max(adult_from, add_years(p.dob, 40)), end, 1825, 200, 0.5)
    p.lipid_dates = sorted(lipid_dates)
    p.chol_base = chol_base
    p.ratio_base = ratio_base

    # eGFR
    ckd = p.conditions.get("ckd")
    renal_monitor = first_dx(p, ("diabetes_t2", "diabetes_t1", "hypertension", "ckd", "hf", "af"))
    egfr_dates = []
    if renal_monitor:
        egfr_dates += periodic_dates(rng, max(adult_from, renal_monitor), end,
                                     150 if ckd and ckd[1] in (CKD4, CKD5) else 365, 60, 0.85)
    egfr_dates += periodic_dates(rng, max(adult_from, add_years(p.dob, 50)),
                                 min(end, add_days(renal_monitor, -1)) if renal_monitor else end,
                                 1460, 200, 0.4)
    egfr_own = rng.gauss(0, 7)
    stage_range = {CKD3: (30, 59), CKD3A: (45, 59), CKD3B: (30, 44), CKD4: (15, 29), CKD5: (8, 14)}
    for d in sorted(egfr_dates):
        a = p.age_at(d)
        if ckd and d >= ckd[0]:
            lo, hi = stage_range[ckd[1]]
            v = rng.uniform(lo, hi)
        else:
            v = clamp(108 - 0.75 * max(0, a - 30) + egfr_own + rng.gauss(0, 5), 60, 125)
        ev.append((d, EGFR_EPI if d >= EGFR_CKDEPI_FROM else EGFR_MDRD, str(int(round(v))),
                   "mL/min/1.73m2"))

    # Smoking status
    if p.age_at(end) >= 15:
        smoke_from = max(start, add_years(p.dob, 15))
        often = p.smoking == "current" or "copd" in p.conditions or diabetic
        for d in periodic_dates(rng, smoke_from, end, 365 if often else 1095, 90, 0.8 if often else 0.6):
            if p.smoking == "current":
                c = EX_SMOKER if (p.quit_date and d >= p.quit_date) else SMOKER
            elif p.smoking == "ex":
                c = EX_SMOKER
            else:
                c = NEVER_SMOKED
            ev.append((d, c, "", ""))

    # Alcohol
    drinks = rng.random() > 0.22
    usual = rng.lognormvariate(math.log(8), 0.8) if drinks else 0
    if "cld" in p.conditions and p.conditions["cld"][1] == ALC_CIRRHOSIS:
        usual = max(usual, 35)
    for d in periodic_dates(rng, adult_from, end, 1825, 200, 0.45):
        v = 0 if not drinks else clamp(usual * rng.uniform(0.7, 1.3), 1, 90)
        ev.append((d, ALCOHOL, str(int(round(v))), "U/week"))

    # QRISK2 for people 40-74 without established CVD
    cvd = first_dx(p, ("chd", "stroke"))
    p.qrisk = None
    for d in periodic_dates(rng, max(adult_from, add_years(p.dob, 40)), min(end, add_years(p.dob, 75)),
                            1460, 200, 0.45):
        if cvd and d >= cvd:
            continue
        a = p.age_at(d)
        smoker = p.smoking == "current" and not (p.quit_date and d >= p.quit_date)
        x = (-4.1 + 0.075 * (a - 40) + (0.55 if male else 0) + (0.6 if smoker else 0)
             + (0.7 if p.has("diabetes_t2", d) else 0) + (0.35 if p.has("hypertension", d) else 0)
             + (0.3 if p.has("af", d) else 0) + 0.25 * p.z + rng.gauss(0, 0.15))
        q = clamp(100 * math.exp(x), 0.4, 65)
        ev.append((d, QRISK2, fmt1(q), "%"))
        if p.qrisk is None or q > p.qrisk[1]:
            p.qrisk = (d, q)

    # Flu vaccination: 65+ and at-risk groups, each autumn 2010-2018
    for y in range(2010, 2019):
        season_start = Date(y, 9, 1)
        season_end = Date(y, 12, 31)
        if season_start > end or season_end < start:
            continue
        age_mar = p.age_at(Date(y + 1, 3, 31))
        at_risk = any(p.has(n, season_start) for n in AT_RISK_FLU)
        if age_mar >= 65:
            uptake = 0.74
        elif at_risk and age_mar >= 18:
            uptake = 0.48
        else:
            continue
        if rng.random() < uptake:
            d = add_days(Date(y, 9, 15), int(rng.triangular(0, 90, 25)))
            if start <= d <= end:
                ev.append((d, FLU_VACC, "", ""))

    # Annual reviews (QOF years April-March)
    for name, (rcode, prob) in REVIEWS.items():
        if name not in p.conditions:
            continue
        dx = p.conditions[name][0]
        for y in range(2010, 2020):
            lo = max(Date(y, 4, 1), dx, start)
            hi = min(Date(y + 1, 3, 31), end)
            if lo > hi:
                continue
            if rng.random() < prob:
                ev.append((rand_date(rng, lo, hi), rcode, "", ""))

    # Frailty
    if p.frailty:
        fcode = {"mild": MILD_FRAIL, "moderate": MOD_FRAIL, "severe": SEV_FRAIL}[p.frailty]
        ev.append((p.frailty_date, fcode, "", ""))
        if p.frailty in ("moderate", "severe") or rng.random() < 0.3:
            cfs = {"mild": rng.choice([4, 5]), "moderate": 6, "severe": rng.choice([7, 7, 8])}[p.frailty]
            ev.append((p.frailty_date, CFS, str(cfs), ""))
        if p.frailty in ("moderate", "severe"):
            n_falls = poisson(rng, 0.5 * max(0.2, (end - max(start, Date(2015, 1, 1))).days / 365.25))
            for _ in range(n_falls):
                lo = max(start, Date(2015, 1, 1))
                if lo <= end:
                    ev.append((rand_date(rng, lo, end), FALL, "", ""))
        if p.frailty == "severe" and rng.random() < 0.5:
            ev.append((rand_date(rng, p.frailty_date, end), HOUSEBOUND, "", ""))
    if p.care_home:
        lo = max(start, Date(2014, 1, 1))
        ev.append((rand_date(rng, lo, end),
                   LIVES_NURSING_HOME if rng.random() < 0.35 else LIVES_CARE_HOME, "", ""))
    if p.death and rng.random() < 0.6:
        lo = max(start, add_days(p.death, -120))
        ev.append((rand_date(rng, lo, p.death), PALLIATIVE, "", ""))
    return ev


# ---------------------------------------------------------------------------
# Medications
# ---------------------------------------------------------------------------


def make_medications(rng, p, events):
    """Repeat prescribing courses consistent with the conditions; returns rows and
    appends cholesterol events (which depend on statin use) to events."""
    courses = []  # (code, start date, interval days, quantity, stop date or None)
    c = p.conditions

    def course(code_, start_, interval=28, qty=28, stop_p=0.08):
        courses.append([code_, start_, interval, qty, stop_p])

    def dx(name):
        return c[name][0]

    statin_from = None
    if "diabetes_t2" in c and rng.random() < 0.9:
        d = add_days(dx("diabetes_t2"), rng.randint(0, 120))
        course(METFORMIN, d, 28, rng.choice([56, 56, 112]))
        if rng.random() < 0.25:
            course(GLICLAZIDE, add_days(d, rng.randint(200, 1500)), 28, rng.choice([28, 56]))
        elif rng.random() < 0.15:
            course(SITAGLIPTIN, add_days(d, rng.randint(200, 1500)), 28, 28)
    if "hypertension" in c and rng.random() < 0.85:
        d = add_days(dx("hypertension"), rng.randint(0, 90))
        first = AMLODIPINE if (p.age_at(d) >= 55 or p.ethnicity in ("976891000000104", "976911000000101")) else RAMIPRIL
        course(first, d, rng.choice([28, 56]), 0)
        if rng.random() < 0.4:
            course(RAMIPRIL if first == AMLODIPINE else AMLODIPINE, add_days(d, rng.randint(90, 1200)), 28, 28)
        if rng.random() < 0.12:
            course(BENDROFLUMETHIAZIDE, add_days(d, rng.randint(180, 2000)), 28, 28)
    cvd = first_dx(p, ("chd", "stroke"))
    if cvd and rng.random() < 0.88:
        statin_from = add_days(cvd, rng.randint(0, 30))
        course(ATORVASTATIN40 if rng.random() < 0.55 else ATORVASTATIN20, statin_from, 28, 28, 0.05)
    elif ("diabetes_t2" in c and p.age_at(EXTRACT_END) >= 40 and rng.random() < 0.7) or \
            ("ckd" in c and rng.random() < 0.5):
        statin_from = add_days(first_dx(p, ("diabetes_t2", "ckd")), rng.randint(30, 400))
        course(ATORVASTATIN20 if rng.random() < 0.7 else SIMVASTATIN40, statin_from, 28, 28)
    elif getattr(p, "qrisk", None) and p.qrisk[1] >= 10 and rng.random() < 0.5:
        statin_from = add_days(p.qrisk[0], rng.randint(14, 120))
        course(ATORVASTATIN20 if rng.random() < 0.75 else SIMVASTATIN40, statin_from, 28, 28, 0.15)
    if "chd" in c:
        d = add_days(dx("chd"), rng.randint(0, 30))
        if rng.random() < 0.75:
            course(ASPIRIN if rng.random() < 0.8 else CLOPIDOGREL, d, 28, 28, 0.04)
        if rng.random() < 0.6:
            course(BISOPROLOL, d, 28, 28)
        if "hypertension" not in c and rng.random() < 0.5:
            course(RAMIPRIL, d, 28, 28)
    if "stroke" in c and rng.random() < 0.8:
        course(CLOPIDOGREL, add_days(dx("stroke"), rng.randint(0, 30)), 28, 28, 0.04)
    if "af" in c:
        d = add_days(dx("af"), rng.randint(0, 60))
        if rng.random() < 0.75:
            course(APIXABAN, d, 28, 56, 0.04)
        if rng.random() < 0.6 and "chd" not in c:
            course(BISOPROLOL, d, 28, 28)
    if "hf" in c:
        d = add_days(dx("hf"), rng.randint(0, 30))
        course(FUROSEMIDE, d, 28, 28, 0.03)
        if "hypertension" not in c and "chd" not in c:
            course(RAMIPRIL, d, 28, 28, 0.03)
        if "af" not in c and "chd" not in c:
            course(BISOPROLOL, d, 28, 28, 0.03)
    if "asthma" in c or "copd" in c:
        d = add_days(first_dx(p, ("asthma", "copd")), rng.randint(0, 30))
        course(SALBUTAMOL, d, rng.choice([42, 60, 90, 120]), 1, 0.05)
        if "copd" in c or rng.random() < 0.6:
            course(BECLOMETASONE, d, 60, 1, 0.1)
    if "hypothyroid" in c:
        d = add_days(dx("hypothyroid"), rng.randint(0, 30))
        course(LEVOTHYROXINE100 if rng.random() < 0.45 else LEVOTHYROXINE50, d, 56, 56, 0.01)
    if "depression" in c or "anxiety" in c:
        d0 = first_dx(p, ("depression", "anxiety"))
        if rng.random() < 0.6 and p.age_at(d0) >= 16:
            d = add_days(d0, rng.randint(0, 60))
            if "depression" in c:
                drug = weighted(rng, [(SERTRALINE, 40), (CITALOPRAM, 30), (FLUOXETINE, 15), (MIRTAZAPINE, 15)])
            else:
                drug = weighted(rng, [(SERTRALINE, 60), (CITALOPRAM, 40)])
            course(drug, d, 28, 28, 0.35)
    if "smi" in c:
        d = add_days(dx("smi"), rng.randint(0, 30))
        course(LITHIUM if c["smi"][1] == BIPOLAR and rng.random() < 0.5 else OLANZAPINE, d, 28, 28, 0.05)
    if "dementia" in c and rng.random() < 0.6:
        course(DONEPEZIL, add_days(dx("dementia"), rng.randint(30, 200)), 28, 28, 0.1)
    antiplatelet = any(k[0] in (ASPIRIN, CLOPIDOGREL, APIXABAN) for k in courses)
    if (antiplatelet and p.age_at(EXTRACT_END) >= 65 and rng.random() < 0.5) or \
            (p.age_at(EXTRACT_END) >= 40 and rng.random() < 0.07):
        course(OMEPRAZOLE, rand_date(rng, p.start, p.end), 56, 56, 0.25)

    rows = []
    for code_, d0, interval, qty, stop_p in courses:
        if qty == 0:
            qty = interval  # one tablet a day
        stop = None
        if rng.random() < stop_p * 3:
            stop = rand_date(rng, min(d0, p.end), p.end)
        # A course that began before the prescribing window: its issues fall on
        # their own cycle, so the first one in the window is at a random offset.
        d = d0 if d0 >= MED_START else add_days(MED_START, rng.randint(0, interval - 1))
        while d < p.start:
            d = add_days(d, interval)
        while d <= p.end and (stop is None or d <= stop):
            if rng.random() > 0.04:  # occasional missed issue
                rows.append((d, code_, str(qty)))
            d = add_days(d, interval + rng.randint(-3, 4))
        if code_ not in p.meds:
            p.meds.append(code_)

    # Cholesterol results reflect statin treatment.
    for d in p.lipid_dates:
        on_statin = statin_from is not None and d >= add_days(statin_from, 42)
        t = clamp(p.chol_base - (1.4 if on_statin else 0) + rng.gauss(0, 0.35), 2.4, 9.0)
        r = clamp(p.ratio_base - (0.7 if on_statin else 0) + rng.gauss(0, 0.3), 1.6, 8.5)
        events.append((d, CHOL, fmt1(t), "mmol/L"))
        events.append((d, CHOL_HDL, fmt1(r), ""))

    # Medication reviews for people on repeats.
    if courses:
        first_course = min(k[1] for k in courses)
        for y in range(2012, 2020):
            lo = max(Date(y, 4, 1), first_course, p.start)
            hi = min(Date(y + 1, 3, 31), p.end)
            if lo <= hi and rng.random() < (0.8 if len(courses) >= 3 else 0.55):
                events.append((rand_date(rng, lo, hi), MED_REVIEW, "", ""))
    return rows


# ---------------------------------------------------------------------------
# Appointments
# ---------------------------------------------------------------------------

ROLES = ["gp", "nurse", "advanced-nurse-practitioner", "healthcare-assistant",
         "clinical-pharmacist", "physician-associate", "first-contact-physiotherapist",
         "paramedic", "social-prescribing-link-worker", "care-coordinator",
         "health-and-wellbeing-coach", "mental-health-practitioner", "dietitian", "other"]

DURATIONS = {
    "gp": [(10, 70), (15, 22), (20, 8)],
    "nurse": [(10, 30), (15, 35), (20, 20), (30, 15)],
    "advanced-nurse-practitioner": [(10, 50), (15, 50)],
    "healthcare-assistant": [(10, 60), (15, 40)],
    "clinical-pharmacist": [(20, 60), (30, 40)],
    "physician-associate": [(15, 100)],
    "first-contact-physiotherapist": [(20, 50), (30, 50)],
    "paramedic": [(30, 60), (45, 40)],
    "social-prescribing-link-worker": [(30, 30), (45, 40), (60, 30)],
    "care-coordinator": [(15, 40), (20, 30), (30, 30)],
    "health-and-wellbeing-coach": [(30, 50), (45, 50)],
    "mental-health-practitioner": [(30, 50), (45, 50)],
    "dietitian": [(30, 100)],
    "other": [(10, 50), (15, 50)],
}


def weekday_on_or_after(d):
    while d.weekday() >= 5:
        d = add_days(d, 1)
    return d


def random_weekday(rng, lo, hi):
    for _ in range(20):
        d = rand_date(rng, lo, hi)
        if d.weekday() < 5:
            return d
    d = weekday_on_or_after(lo)
    return d if d <= hi else None


def appointment_rate(p):
    a = p.age_at(EXTRACT_END)
    if a < 5:
        r = 5.0
    elif a < 15:
        r = 2.0
    elif a < 45:
        r = 4.6 if p.sex == "F" else 2.4
    elif a < 65:
        r = 4.6
    elif a < 75:
        r = 6.5
    elif a < 85:
        r = 8.5
    else:
        r = 10.0
    r += 0.9 * len(p.conditions)
    if p.frailty in ("moderate", "severe"):
        r += 3.0
    if p.care_home:
        r += 3.0
    return r


def choose_role(rng, p, d):
    a = p.age_at(d)
    w = {"gp": 48, "nurse": 19, "advanced-nurse-practitioner": 6, "healthcare-assistant": 9,
         "clinical-pharmacist": 3, "physician-associate": 2, "first-contact-physiotherapist": 2,
         "paramedic": 1, "social-prescribing-link-worker": 1.5, "care-coordinator": 1,
         "health-and-wellbeing-coach": 0.5, "mental-health-practitioner": 1.5, "dietitian": 0.5,
         "other": 2}
    if a < 16:
        w["first-contact-physiotherapist"] = 0
        w["clinical-pharmacist"] = 0.5
        w["social-prescribing-link-worker"] = 0
        w["paramedic"] = 0.2
        w["nurse"] = 25  # immunisations
    if first_dx(p, ("diabetes_t2", "diabetes_t1", "copd", "asthma", "chd", "hypertension")):
        w["nurse"] += 10
        w["healthcare-assistant"] += 4
        w["clinical-pharmacist"] += 3
    if "diabetes_t2" in p.conditions:
        w["dietitian"] += 1.5
    if a >= 75 or p.frailty:
        w["paramedic"] += 3
        w["care-coordinator"] += 3
    if "depression" in p.conditions or "anxiety" in p.conditions or "smi" in p.conditions:
        w["mental-health-practitioner"] += 4
        w["social-prescribing-link-worker"] += 2
        w["health-and-wellbeing-coach"] += 1
    if "osteoarthritis" in p.conditions:
        w["first-contact-physiotherapist"] += 4
    return weighted(rng, [(r, w[r]) for r in ROLES])


def choose_mode(rng, p, role):
    homebound = p.care_home or p.frailty == "severe"
    if role == "gp":
        items = [("face-to-face", 78), ("telephone", 19), ("video", 0.4), ("online", 1),
                 ("home-visit", 18 if homebound else 1.2)]
    elif role in ("nurse", "healthcare-assistant"):
        items = [("face-to-face", 94), ("telephone", 4), ("home-visit", 20 if homebound else 1.5)]
    elif role == "advanced-nurse-practitioner":
        items = [("face-to-face", 75), ("telephone", 22), ("home-visit", 12 if homebound else 2)]
    elif role == "paramedic":
        items = [("home-visit", 70), ("face-to-face", 10), ("telephone", 20)]
    elif role in ("clinical-pharmacist", "care-coordinator"):
        items = [("telephone", 55), ("face-to-face", 40), ("video", 1), ("home-visit", 6 if homebound else 0.5)]
    elif role in ("social-prescribing-link-worker", "health-and-wellbeing-coach", "mental-health-practitioner"):
        items = [("face-to-face", 62), ("telephone", 35), ("video", 2), ("online", 1)]
    else:
        items = [("face-to-face", 90), ("telephone", 10)]
    return weighted(rng, items)


def choose_status(rng, p, mode, d):
    a = p.age_at(d) if p else 40
    dna = 0.046
    if p:
        if 16 <= a < 40:
            dna *= 1.7
        elif a >= 65:
            dna *= 0.55
        dna *= p.dep_mult() ** 1.3
    if mode == "telephone":
        dna *= 0.5
    if mode == "home-visit":
        dna = 0.0
    r = rng.random()
    if r < dna:
        return "did-not-attend"
    if r < dna + 0.045:
        return "cancelled"
    return "attended"


def make_appointments(rng, patients):
    rows = []
    for p in patients:
        lo = max(APPT_START, p.reg_from)
        hi = min(EXTRACT_END, p.end)
        if lo > hi:
            continue
        frac = ((hi - lo).days + 1) / 365.0
        n = poisson(rng, appointment_rate(p) * frac)
        for _ in range(n):
            d = random_weekday(rng, lo, hi)
            if d is None:
                continue
            role = choose_role(rng, p, d)
            mode = choose_mode(rng, p, role)
            status = choose_status(rng, p, mode, d)
            same_day = 0.45 if role in ("gp", "advanced-nurse-practitioner", "paramedic") else 0.1
            if rng.random() < same_day:
                booked = d
            else:
                booked = add_days(d, -min(int(rng.expovariate(1 / 8.0)) + 1, 42))
                booked = max(booked, p.reg_from)
            dur = weighted(rng, DURATIONS[role])
            if mode == "telephone" and role == "gp":
                dur = rng.choice([5, 10, 10])
            if mode == "home-visit":
                dur = max(dur, 30)
            rows.append((p.practice["code"], p.nhs, d, booked, role, mode, status, dur))
    # Slots with no patient attached (temporary residents, unlinked bookings).
    n_unlinked = int(len(rows) * 0.015)
    for _ in range(n_unlinked):
        prac = PRACTICES[rng.randrange(len(PRACTICES))]
        d = random_weekday(rng, APPT_START, EXTRACT_END)
        if d is None:
            continue
        role = weighted(rng, [("gp", 70), ("nurse", 20), ("advanced-nurse-practitioner", 10)])
        mode = weighted(rng, [("face-to-face", 85), ("telephone", 15)])
        r = rng.random()
        status = "did-not-attend" if r < 0.06 else "cancelled" if r < 0.10 else "attended"
        rows.append((prac["code"], "", d, d, role, mode, status, weighted(rng, DURATIONS[role])))
    rows.sort(key=lambda r: (r[0], r[2], r[3], r[1], r[4]))
    return [(a, b, iso(c), iso(d), e, f, g, str(h)) for a, b, c, d, e, f, g, h in rows]


# ---------------------------------------------------------------------------
# Hospital activity
# ---------------------------------------------------------------------------


def make_hospital(rng, p):
    rows = []
    lo = max(HOSP_START, p.start)
    hi = p.end
    if lo > hi:
        return rows
    years = ((hi - lo).days + 1) / 365.25
    a = p.age_at(EXTRACT_END)
    n_ltc = len(p.conditions)
    frail = {"mild": 1.2, "moderate": 1.6, "severe": 2.3}.get(p.frailty, 1.0)
    locality = PCN_LOCALITY[p.practice["pcn"]]

    def provider():
        return weighted(rng, PROVIDERS[locality])

    ae = (0.45 if a < 5 else 0.2 if a < 16 else 0.28 if a < 65 else 0.35 if a < 80 else 0.55)
    ae *= p.dep_mult() * (1 + 0.12 * n_ltc) * frail
    em = (0.04 if a < 16 else 0.045 if a < 40 else 0.06 if a < 65 else 0.1 if a < 80 else 0.16)
    em *= (1 + 0.25 * n_ltc) * frail * p.dep_mult() ** 0.5
    el = (0.03 if a < 16 else 0.06 if a < 40 else 0.11 if a < 65 else 0.18)
    el *= (1 + 0.08 * n_ltc)
    op = (0.5 if a < 16 else 0.7 if a < 40 else 1.1 if a < 65 else 1.9)
    op *= (1 + 0.18 * n_ltc)

    for _ in range(poisson(rng, ae * years)):
        rows.append((rand_date(rng, lo, hi), "ae", provider(), ""))
    for _ in range(poisson(rng, em * years)):
        d = rand_date(rng, lo, hi)
        prov = provider()
        if rng.random() < 0.75:
            rows.append((d, "ae", prov, ""))  # admitted through A&E
        mean = 2.5 if a < 65 else 6.5 if a < 80 else 9.0
        los = min(int(rng.expovariate(1 / mean)), 60)
        if p.death:
            los = min(los, (p.death - d).days)
        rows.append((d, "emergency-admission", prov, str(los)))
    for _ in range(poisson(rng, el * years)):
        d = rand_date(rng, lo, hi)
        los = 0 if rng.random() < 0.65 else 1 + min(int(rng.expovariate(1 / 2.5)), 20)
        if p.death:
            los = min(los, (p.death - d).days)
        rows.append((d, "elective-admission", provider(), str(los)))
    n_op = poisson(rng, op * years)
    cancer = p.conditions.get("cancer")
    if cancer and cancer[0] >= lo:
        n_op += poisson(rng, 4)
    for _ in range(n_op):
        if cancer and cancer[0] >= lo and rng.random() < 0.5:
            d = rand_date(rng, cancer[0], min(hi, add_days(cancer[0], 730)))
        else:
            d = rand_date(rng, lo, hi)
        rows.append((d, "outpatient", provider(), ""))
    # Most deaths follow an emergency admission.
    if p.death and rng.random() < 0.6:
        d = rand_date(rng, max(lo, add_days(p.death, -30)), p.death)
        prov = provider()
        rows.append((d, "ae", prov, ""))
        rows.append((d, "emergency-admission", prov, str((p.death - d).days)))
    return rows


# ---------------------------------------------------------------------------
# Bad rows and output
# ---------------------------------------------------------------------------


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


def insert_at(rows, index, row):
    rows.insert(index, row)
    return index + 2  # line number in the file: header is line 1


def wrong_check_digit_number(rng, existing):
    while True:
        nine = "999" + "%06d" % rng.randint(0, 999999)
        check = nhs_check_digit(nine)
        if check is None:
            continue
        bad = nine + str((check + rng.randint(1, 9)) % 10)
        if not nhs_number_valid(bad) and bad not in existing:
            return bad


def generate():
    rng = random.Random(SEED)
    patients = make_patients(rng)
    assign_deaths_and_leavers(rng, patients)
    for p in patients:
        assign_smoking(rng, p)
    assign_conditions(rng, patients)
    assign_frailty_and_care_home(rng, patients)

    events = []
    meds = []
    hosp = []
    for p in patients:
        ev = make_events(rng, p)
        md = make_medications(rng, p, ev)
        ev.sort(key=lambda e: (e[0], e[1], e[2]))
        md.sort(key=lambda m: (m[0], m[1]))
        events += [(p.nhs, iso(d), c, v, u) for d, c, v, u in ev]
        meds += [(p.nhs, iso(d), c, q) for d, c, q in md]
        hs = make_hospital(rng, p)
        order = {"ae": 0, "emergency-admission": 1, "elective-admission": 2, "outpatient": 3}
        hs.sort(key=lambda h: (h[0], order[h[1]], h[2]))
        hosp += [(p.nhs, iso(d), s, prov, los) for d, s, prov, los in hs]
    appts = make_appointments(rng, patients)

    # The deliberate bad rows, placed in the middle of their files.
    existing = {p.nhs: p for p in patients}
    bad = []
    mid = len(events) // 2
    donor = events[mid][0]
    line = insert_at(events, mid, (donor, "2019-13-01", SBP, "141", "mmHg"))
    bad.append(("events.csv", line, "date 2019-13-01 has an impossible month (13)"))

    child = next(p for p in patients[len(patients) // 3:] if p.dob >= Date(2012, 1, 1)
                 and p.death is None and p.reg_to is None)
    before_birth = add_days(child.dob, -rng.randint(60, 400))
    idx = mid + len(events) // 10
    line = insert_at(events, idx, (child.nhs, iso(before_birth), ASTHMA, "", ""))
    bad.append(("events.csv", line, "dated %s, before patient %s's date of birth %s"
                % (iso(before_birth), child.nhs, iso(child.dob))))

    bad_nhs = wrong_check_digit_number(rng, existing)
    idx = mid + 2 * (len(events) // 10)
    d = rand_date(rng, Date(2017, 1, 1), Date(2019, 6, 1))
    line = insert_at(events, idx, (bad_nhs, iso(d), BMI, "27.9", "kg/m2"))
    bad.append(("events.csv", line, "patient NHS number %s fails the modulus 11 check (and is not in patients.csv)" % bad_nhs))

    mm = len(meds) // 2
    donor = meds[mm]
    line = insert_at(meds, mm, (donor[0], donor[1], donor[2], "two"))
    bad.append(("medications.csv", line, 'quantity "two" is not a number'))

    hm = len(hosp) // 2
    donor = hosp[hm]
    line = insert_at(hosp, hm, (donor[0], donor[1], "walk-in", donor[3], ""))
    bad.append(("hospital_activity.csv", line, 'setting "walk-in" is not a valid setting'))

    return patients, events, meds, appts, hosp, bad


def organisation_rows():
    rows = [(ICS[0], ICS[1], "ics", "", "")]
    for code_, name in LOCALITIES:
        rows.append((code_, name, "locality", ICS[0], ""))
    for code_, name, loc in PCNS:
        rows.append((code_, name, "pcn", loc, ""))
    for prac in PRACTICES:
        rows.append((prac["code"], prac["name"], "practice", prac["pcn"], prac["postcode"]))
    for prac in PRACTICES:
        for code_, name, pc in prac["sites"]:
            rows.append((code_, name, "site", prac["code"], pc))
    return rows


def patient_rows(patients):
    rows = []
    for p in patients:
        rows.append((p.nhs, iso(p.dob), p.sex, p.practice["code"], iso(p.reg_from),
                     iso(p.reg_to) if p.reg_to else "", iso(p.death) if p.death else "",
                     p.lsoa, str(p.imd) if p.imd is not None else "", p.ethnicity, str(p.care_home)))
    return rows


# ---------------------------------------------------------------------------
# Validation: re-read the files and check every invariant, expecting exactly
# the deliberate bad rows to fail.
# ---------------------------------------------------------------------------

SETTINGS = ("ae", "emergency-admission", "elective-admission", "outpatient")
MODES = ("face-to-face", "telephone", "video", "online", "home-visit")
STATUSES = ("attended", "did-not-attend", "cancelled")


def parse_date(s):
    if len(s) != 10 or s[4] != "-" or s[7] != "-":
        return None
    try:
        return Date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
    except ValueError:
        return None


def read_csv(path):
    with open(path, "rb") as f:
        raw = f.read()
    assert b"\r" not in raw, path + ": CR found"
    text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def validate(out_dir, bad):
    problems = []  # (file, line, text)

    def prob(f, line, text):
        problems.append((f, line, text))

    _, orgs = read_csv(os.path.join(out_dir, "organisations.csv"))
    types = {}
    for i, (c, name, t, parent, pc) in enumerate(orgs, start=2):
        types[c] = t
    parent_type = {"ics": None, "locality": "ics", "pcn": "locality", "practice": "pcn", "site": "practice"}
    for i, (c, name, t, parent, pc) in enumerate(orgs, start=2):
        want = parent_type[t]
        if (want is None and parent != "") or (want is not None and types.get(parent) != want):
            prob("organisations.csv", i, "bad parent")

    _, pats = read_csv(os.path.join(out_dir, "patients.csv"))
    info = {}
    for i, r in enumerate(pats, start=2):
        nhs, dob, sex, prac, rf, rt, dod, lsoa, imd, eth, ch = r
        if not nhs_number_valid(nhs) or not ("9990000000" <= nhs <= "9999999999"):
            prob("patients.csv", i, "bad NHS number")
        if nhs in info:
            prob("patients.csv", i, "duplicate NHS number")
        dobd, rfd = parse_date(dob), parse_date(rf)
        rtd = parse_date(rt) if rt else None
        dodd = parse_date(dod) if dod else None
        if dobd is None or rfd is None or (rt and rtd is None) or (dod and dodd is None):
            prob("patients.csv", i, "bad date")
            continue
        if rfd < dobd or (rtd and rtd <= rfd) or (dodd and (dodd <= dobd or rtd != dodd)):
            prob("patients.csv", i, "inconsistent dates")
        if sex not in ("M", "F", "I", "U") or types.get(prac) != "practice":
            prob("patients.csv", i, "bad sex/practice")
        if imd and not (1 <= int(imd) <= 10):
            prob("patients.csv", i, "bad imd")
        if eth and eth not in ETHNICITY:
            prob("patients.csv", i, "bad ethnicity")
        if ch not in ("0", "1"):
            prob("patients.csv", i, "bad care_home")
        info[nhs] = (dobd, rfd, rtd or EXTRACT_END)

    def check_patient_date(f, i, nhs, ds, need_patient=True):
        if not nhs_number_valid(nhs) or nhs not in info:
            prob(f, i, "unknown or invalid patient")
            return None
        d = parse_date(ds)
        if d is None:
            prob(f, i, "bad date")
            return None
        dobd, rfd, end = info[nhs]
        if d < dobd:
            prob(f, i, "before birth")
        elif d < rfd:
            prob(f, i, "before registration")
        elif d > end:
            prob(f, i, "after end of registration")
        return d

    _, evs = read_csv(os.path.join(out_dir, "events.csv"))
    for i, (nhs, ds, c, v, u) in enumerate(evs, start=2):
        d = check_patient_date("events.csv", i, nhs, ds)
        if not snomed_id_ok(c) or not verhoeff_ok(c) or c not in CODES:
            prob("events.csv", i, "bad code " + c)
        if d and not (HISTORY_START <= d <= EXTRACT_END):
            prob("events.csv", i, "outside history window")
        if v:
            float(v)

    _, mds = read_csv(os.path.join(out_dir, "medications.csv"))
    for i, (nhs, ds, c, q) in enumerate(mds, start=2):
        check_patient_date("medications.csv", i, nhs, ds)
        if c not in MED_CODES or not snomed_id_ok(c) or not verhoeff_ok(c):
            prob("medications.csv", i, "bad dm+d code")
        try:
            if float(q) <= 0:
                prob("medications.csv", i, "bad quantity")
        except ValueError:
            prob("medications.csv", i, "quantity not a number")

    _, aps = read_csv(os.path.join(out_dir, "appointments.csv"))
    for i, (prac, nhs, ds, bs, role, mode, status, dur) in enumerate(aps, start=2):
        d, b = parse_date(ds), parse_date(bs)
        if nhs:
            check_patient_date("appointments.csv", i, nhs, ds)
        if d is None or b is None or b > d or not (APPT_START <= d <= EXTRACT_END):
            prob("appointments.csv", i, "bad dates")
        if types.get(prac) != "practice" or role not in ROLES or mode not in MODES or \
                status not in STATUSES or not (5 <= int(dur) <= 60):
            prob("appointments.csv", i, "bad field")

    _, hs = read_csv(os.path.join(out_dir, "hospital_activity.csv"))
    for i, (nhs, ds, s, prov, los) in enumerate(hs, start=2):
        check_patient_date("hospital_activity.csv", i, nhs, ds)
        if s not in SETTINGS:
            prob("hospital_activity.csv", i, "bad setting")
            continue
        admission = s in ("emergency-admission", "elective-admission")
        if admission != (los != "") or (los and int(los) < 0) or prov not in PROVIDER_NAMES:
            prob("hospital_activity.csv", i, "bad length of stay/provider")

    for cid in CODES:
        assert snomed_id_ok(cid) and verhoeff_ok(cid), "bad code in registry: " + cid
    for cid in ETHNICITY:
        assert snomed_id_ok(cid) and verhoeff_ok(cid), "bad ethnicity code: " + cid

    found = sorted(set((f, line) for f, line, _ in problems))
    expected = sorted((f, line) for f, line, _ in bad)
    if found != expected:
        for pr in problems:
            print("problem:", pr, file=sys.stderr)
        raise SystemExit("validation failed: found %r, expected %r" % (found[:20], expected))


# ---------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------


def pct(n, d):
    return "%.1f%%" % (100.0 * n / d) if d else "-"


def write_readme(out_dir, patients, counts, bad, events, meds, appts, hosp):
    n = len(patients)
    ages = [p.age_at(EXTRACT_END) for p in patients]
    current = [p for p in patients if p.reg_to is None]
    ages_cur = [p.age_at(EXTRACT_END) for p in current]
    L = []
    L.append("# mini-ics: a fictional example GP extract")
    L.append("")
    L.append("A small, made-up extract in the populus extract format v1 for a Dorset-like")
    L.append("Integrated Care System: 1 ICS, 2 localities, 3 Primary Care Networks, 5 GP")
    L.append("practices and 7 sites, with %d registered patients and their coded events," % n)
    L.append("prescriptions, appointments and hospital activity.")
    L.append("")
    L.append("**Everything here is fictional.** It was generated by")
    L.append("`scripts/make_example_extract.py` (Python 3 standard library only) with the fixed")
    L.append("seed %d; no real person, record or practice is represented. NHS numbers are in" % SEED)
    L.append("the 999 test range (9990000000-9999999999) and pass the modulus 11 check. The")
    L.append("organisation codes, names and postcodes are invented (postcodes use real Dorset")
    L.append("postcode districts); the hospital provider codes are the ODS codes of the real")
    L.append("Dorset-area acute trusts of 2016-2019. The clinical codes are real SNOMED CT")
    L.append("concept ids and dm+d product ids (listed below).")
    L.append("")
    L.append("Regenerate with `python3 scripts/make_example_extract.py [OUTPUT_DIR]` (the default")
    L.append("OUTPUT_DIR is this directory); the output is byte-identical on every run, and the")
    L.append("script checks every row again after writing. Do not edit these files by hand:")
    L.append("change the script and regenerate.")
    L.append("")
    L.append("Reference date: %s. Events run from %s, prescription issues and hospital" % (EXTRACT_END, HISTORY_START))
    L.append("activity from %s, appointments from %s, all to %s." % (MED_START, APPT_START, EXTRACT_END))
    L.append("")
    L.append("## Files and row counts")
    L.append("")
    L.append("Counts are data rows (the header row is not counted) and include the deliberate")
    L.append("bad rows listed further down.")
    L.append("")
    L.append("| file | rows | deliberate bad rows |")
    L.append("| --- | ---: | ---: |")
    for f in ("organisations.csv", "patients.csv", "events.csv", "medications.csv",
              "appointments.csv", "hospital_activity.csv"):
        nb = sum(1 for b in bad if b[0] == f)
        L.append("| %s | %d | %d |" % (f, counts[f], nb))
    L.append("")
    L.append("## Deliberate bad rows")
    L.append("")
    L.append("Real extracts contain rows that cannot be loaded; ingest must quarantine these")
    L.append("and load everything else. Line numbers count the header row as line 1.")
    L.append("")
    L.append("| file | line | what is wrong |")
    L.append("| --- | ---: | --- |")
    for f, line, text in bad:
        L.append("| %s | %d | %s |" % (f, line, text))
    L.append("")
    L.append("Every other row is valid: dates are real calendar dates, no event, prescription,")
    L.append("appointment or hospital episode falls before the patient's birth or after their")
    L.append("death or deregistration, every patient reference is a registered patient, and")
    L.append("every code is in the table below.")
    L.append("")
    L.append("## The population")
    L.append("")
    L.append("| practice | PCN | list size (ever registered) | IMD deciles of its LSOAs |")
    L.append("| --- | --- | ---: | --- |")
    for prac in PRACTICES:
        size = sum(1 for p in patients if p.practice is prac)
        deciles = sorted({d for _, d in prac["lsoas"]})
        L.append("| %s %s | %s | %d | %s |" % (prac["code"], prac["name"], prac["pcn"], size,
                                               ", ".join(str(d) for d in deciles)))
    L.append("")
    L.append("J90001 is the deprived urban practice, J90004 the affluent rural one. Facts of")
    L.append("the generated population (ages at %s):" % EXTRACT_END)
    L.append("")
    n_dead = sum(1 for p in patients if p.death)
    n_left = sum(1 for p in patients if p.reg_to and not p.death)
    L.append("- patients ever registered: %d; registered on %s: %d; left the practice: %d; died: %d"
             % (n, EXTRACT_END, len(current), n_left, n_dead))
    L.append("- of those registered on %s: aged under 20 %s, aged 65+ %s, aged 70+ %s"
             % (EXTRACT_END, pct(sum(1 for a in ages_cur if a < 20), len(current)),
                pct(sum(1 for a in ages_cur if a >= 65), len(current)),
                pct(sum(1 for a in ages_cur if a >= 70), len(current))))
    sexes = {s: sum(1 for p in patients if p.sex == s) for s in ("F", "M", "I", "U")}
    L.append("- sex: F %d, M %d, I %d, U %d" % (sexes["F"], sexes["M"], sexes["I"], sexes["U"]))
    L.append("- care home residents: %d; ethnicity not recorded: %d; no LSOA: %d"
             % (sum(p.care_home for p in patients), sum(1 for p in patients if not p.ethnicity),
                sum(1 for p in patients if not p.lsoa)))
    one = sum(1 for p in current if any(k in p.conditions for k in LTC_NAMES))
    three = sum(1 for p in current if sum(1 for k in LTC_NAMES if k in p.conditions) >= 3)
    L.append("- one or more of the conditions below: %s; three or more: %s (of those registered)"
             % (pct(one, len(current)), pct(three, len(current))))
    fr = {k: sum(1 for p in patients if p.frailty == k) for k in ("mild", "moderate", "severe")}
    L.append("- frailty coded (people 65+): mild %d, moderate %d, severe %d" % (fr["mild"], fr["moderate"], fr["severe"]))
    L.append("")
    L.append("Condition counts (patients with a diagnosis code, all ever registered):")
    L.append("")
    L.append("| condition | patients | share |")
    L.append("| --- | ---: | ---: |")
    for name in LTC_NAMES:
        k = sum(1 for p in patients if name in p.conditions)
        L.append("| %s | %d | %s |" % (name.replace("_", " "), k, pct(k, n)))
    L.append("")
    att = sum(1 for a in appts if a[6] == "attended")
    dna = sum(1 for a in appts if a[6] == "did-not-attend")
    can = sum(1 for a in appts if a[6] == "cancelled")
    L.append("Appointments: %d (%.1f per patient registered in the year), attended %s, did not"
             % (len(appts), len(appts) / max(1, sum(1 for p in patients if p.end >= APPT_START)),
                pct(att, len(appts))))
    L.append("attend %s, cancelled %s; %d have no patient." % (pct(dna, len(appts)), pct(can, len(appts)),
                                                       sum(1 for a in appts if not a[1])))
    L.append("")
    L.append("## Codes used")
    L.append("")
    L.append("Sources: `codelists/...` are files in the shared reference folder")
    L.append("(`shared/reference/codelists/`: NHS Digital primary care domain reference sets and")
    L.append("OpenSAFELY/PRIMIS lists as published on OpenCodelists). The others are published")
    L.append("SNOMED CT concepts (International or UK Edition); \"confirmed in GM-SDE code sets\"")
    L.append("means the id and term were checked against the public clinical code sets of the")
    L.append("Greater Manchester Secure Data Environment (University of Manchester). Medicines")
    L.append("are dm+d Virtual Medicinal Product (VMP) ids, which are SNOMED CT concept ids; all")
    L.append("but amlodipine were checked against the same code sets (amlodipine against other")
    L.append("public dm+d material). Most are the ids in use in 2019; later dm+d releases gave")
    L.append("some VMPs new ids, as noted in the table, and two rows use the current id. Every")
    L.append("code is 6-18 digits with no leading zero, has partition identifier 00 or 10 and a")
    L.append("valid Verhoeff check digit.")
    L.append("")
    used = {}
    for r in events:
        used[r[2]] = used.get(r[2], 0) + 1
    for r in meds:
        used[r[2]] = used.get(r[2], 0) + 1
    L.append("| code | term | used for | rows | source |")
    L.append("| --- | --- | --- | ---: | --- |")
    for cid, (term, used_for, source) in CODES.items():
        if cid in used:
            L.append("| %s | %s | %s | %d | %s |" % (cid, term, used_for, used[cid], source))
    L.append("")
    L.append("Ethnicity codes in patients.csv (all from")
    L.append("`codelists/opensafely-ethnicity-snomed-0removed.csv`; most people are White British,")
    L.append("494131000000105 or its 2011 census counterpart 976631000000101):")
    L.append("")
    L.append("| code | term | patients |")
    L.append("| --- | --- | ---: |")
    for cid, term in ETHNICITY.items():
        k = sum(1 for p in patients if p.ethnicity == cid)
        if k:
            L.append("| %s | %s | %d |" % (cid, term, k))
    L.append("")
    L.append("Hospital providers (ODS codes): " + "; ".join(
        "%s %s" % (k, v) for k, v in PROVIDER_NAMES.items()) + ".")
    L.append("")
    L.append("Values: blood pressure in mmHg, BMI in kg/m2, weight in kg, HbA1c in mmol/mol,")
    L.append("cholesterol in mmol/L, eGFR in mL/min/1.73m2, QRISK2 in %, alcohol in U/week;")
    L.append("the cholesterol/HDL ratio and the Clinical Frailty Scale have no unit.")
    L.append("Medication quantity is the number of dose units issued (tablets, capsules,")
    L.append("or inhalers).")
    L.append("")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(L))


def main(argv):
    out_dir = argv[1] if len(argv) > 1 else DEFAULT_OUT
    os.makedirs(out_dir, exist_ok=True)
    patients, events, meds, appts, hosp, bad = generate()
    files = [
        ("organisations.csv", ["code", "name", "type", "parent_code", "postcode"], organisation_rows()),
        ("patients.csv", ["nhs_number", "date_of_birth", "sex", "practice_code", "registered_from",
                          "registered_to", "date_of_death", "lsoa", "imd_decile", "ethnicity",
                          "care_home"], patient_rows(patients)),
        ("events.csv", ["patient", "date", "snomed_code", "numeric_value", "unit"], events),
        ("medications.csv", ["patient", "date", "dmd_code", "quantity"], meds),
        ("appointments.csv", ["practice_code", "patient", "date", "booked_date", "staff_role",
                              "mode", "status", "duration_minutes"], appts),
        ("hospital_activity.csv", ["patient", "date", "setting", "provider", "length_of_stay_days"], hosp),
    ]
    counts = {}
    for name, header, rows in files:
        write_csv(os.path.join(out_dir, name), header, rows)
        counts[name] = len(rows)
    validate(out_dir, bad)
    write_readme(out_dir, patients, counts, bad, events, meds, appts, hosp)
    total = 0
    print("wrote %s" % out_dir)
    for name, _, _ in files:
        size = os.path.getsize(os.path.join(out_dir, name))
        total += size
        print("  %-22s %6d rows %9d bytes" % (name, counts[name], size))
    total += os.path.getsize(os.path.join(out_dir, "README.md"))
    print("  %-22s %16d bytes" % ("README.md", os.path.getsize(os.path.join(out_dir, "README.md"))))
    print("  total %d bytes" % total)
    print("deliberate bad rows:")
    for f, line, text in bad:
        print("  %s line %d: %s" % (f, line, text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
