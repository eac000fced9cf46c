"""Code lists of the data contract, as `StrEnum`s whose values are what files hold.

Each member carries a human label (`Member.label`) used in documentation, reports and forms.
DfE source codes follow the Children in Need census; the rest follow the evaluation's
definitions (see docs/data-contract.md).
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A `StrEnum` whose members are declared as ``NAME = "value", "Label"``."""

    label: str

    def __new__(cls, value: str, label: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs, as form fields and model fields take them."""
        return [(member.value, member.label) for member in cls]


class SourceCode(Code):
    """Who contacted children's social care (DfE CIN census referral source codes)."""

    INDIVIDUAL_FAMILY = "1A", "Individual: family member, relative or carer"
    INDIVIDUAL_ACQUAINTANCE = "1B", "Individual: acquaintance (including neighbours, childminders)"
    INDIVIDUAL_SELF = "1C", "Individual: self"
    INDIVIDUAL_OTHER = "1D", "Individual: other (including strangers)"
    SCHOOLS = "2A", "Schools"
    EDUCATION_SERVICES = "2B", "Education services"
    HEALTH_GP = "3A", "Health services: general practitioner"
    HEALTH_VISITOR = "3B", "Health services: health visitor"
    HEALTH_SCHOOL_NURSE = "3C", "Health services: school nurse"
    HEALTH_OTHER_PRIMARY = "3D", "Health services: other primary health services"
    HEALTH_A_AND_E = "3E", "Health services: accident and emergency"
    HEALTH_OTHER = "3F", "Health services: other (for example hospice)"
    HOUSING = "4", "Housing: LA housing or housing association"
    LA_SOCIAL_CARE = "5A", "LA services: social care (for example adults' social care)"
    LA_OTHER_INTERNAL = "5B", "LA services: other internal (for example youth offending)"
    LA_EXTERNAL = "5C", "LA services: external (another LA's services)"
    LA_EARLY_HELP = "5D", "LA services: early help"
    POLICE = "6", "Police"
    OTHER_LEGAL = "7", "Other legal agency (courts, probation, immigration, CAFCASS, prison)"
    OTHER = "8", "Other (children's centres, independent or voluntary organisations)"
    ANONYMOUS = "9", "Anonymous"
    UNKNOWN = "10", "Unknown"


class ContactOutcome(Code):
    """What the front door decided at contact."""

    NFA = "nfa", "No further action"
    INFORMATION_ADVICE = "information_advice", "Information and advice given"
    EARLY_HELP = "early_help", "Stepped to Early Help"
    REFERRAL = "referral", "Progressed to a referral to children's social care"


class ReferralOutcome(Code):
    """How a referral ended, as far as it is known."""

    NFA_AT_REFERRAL = "nfa_at_referral", "No further action at referral"
    NFA_AFTER_ASSESSMENT = "nfa_after_assessment", "No further action after assessment"
    EARLY_HELP = "early_help", "Stepped down to Early Help after assessment"
    CHILD_IN_NEED = "child_in_need", "Child in need plan"
    CHILD_PROTECTION = "child_protection", "Child protection plan"
    LOOKED_AFTER = "looked_after", "Child became looked after"
    OPEN = "open", "Still open (no outcome yet)"


NFA_REFERRAL_OUTCOMES = frozenset(
    {ReferralOutcome.NFA_AT_REFERRAL, ReferralOutcome.NFA_AFTER_ASSESSMENT}
)
"""Referral outcomes that count as "ended in NFA" (RQ4)."""


class DataGap(Code):
    """Front-door data an LA could not provide for a school year."""

    CONTACTS = "contacts", "No front-door contacts at all"
    ALL_SOURCE_CONTACTS = (
        "all_source_contacts",
        "Only contacts made by schools, not from all sources",
    )
    REFERRAL_OUTCOMES = "referral_outcomes", "Referral outcomes (NFA) not recorded"


class OutcomeMeasure(Code):
    """What a trial outcome counts, per school (the evaluation's RQ1–RQ6)."""

    NFA_CONTACTS = "nfa_contacts", "Contacts made by the school that ended in NFA at contact"
    CONTACTS = "contacts", "Contacts made by the school"
    REFERRALS = "referrals", "Referrals from the school"
    REFERRAL_NFA = (
        "referral_nfa",
        "Referrals from the school that ended in NFA (at referral or after assessment) by a date",
    )
    ALL_SOURCE_CONTACTS = (
        "all_source_contacts",
        "Contacts from all sources about the school's pupils",
    )
    ANXIETY_CONTENTMENT = (
        "anxiety_contentment",
        "DSL wellbeing: anxiety–contentment scale (school mean)",
    )
    DEPRESSION_ENTHUSIASM = (
        "depression_enthusiasm",
        "DSL wellbeing: depression–enthusiasm scale (school mean)",
    )


FRONT_DOOR_MEASURES = (
    OutcomeMeasure.CONTACTS,
    OutcomeMeasure.NFA_CONTACTS,
    OutcomeMeasure.REFERRALS,
    OutcomeMeasure.REFERRAL_NFA,
    OutcomeMeasure.ALL_SOURCE_CONTACTS,
)
"""The outcome measures counted from front-door contacts and referrals (the rest come from the
surveys)."""


class Phase(Code):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    ALL_THROUGH = "all_through", "All-through"
    SPECIAL = "special", "Special"
    ALTERNATIVE_PROVISION = "alternative_provision", "Alternative provision / PRU"


class EstablishmentType(Code):
    COMMUNITY = "community", "Community school"
    FOUNDATION = "foundation", "Foundation school"
    VOLUNTARY_AIDED = "voluntary_aided", "Voluntary aided school"
    VOLUNTARY_CONTROLLED = "voluntary_controlled", "Voluntary controlled school"
    ACADEMY_CONVERTER = "academy_converter", "Academy converter"
    ACADEMY_SPONSOR_LED = "academy_sponsor_led", "Academy sponsor led"
    FREE_SCHOOL = "free_school", "Free school"
    OTHER = "other", "Other"


class UrbanRural(Code):
    URBAN = "urban", "Urban"
    RURAL = "rural", "Rural"


class OfstedRating(Code):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_INSPECTED = "not_inspected", "Not yet inspected"


class Arm(Code):
    TREATMENT = "treatment", "Treatment (offered supervision)"
    CONTROL = "control", "Control (business as usual)"


class SessionFormat(Code):
    GROUP = "group", "Group supervision of the safeguarding team"
    ONE_TO_ONE = "one_to_one", "One-to-one supervision"


class SessionMode(Code):
    FACE_TO_FACE = "face_to_face", "Face to face, in school"
    ONLINE = "online", "Online"


class SessionStatus(Code):
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"
    RESCHEDULED = "rescheduled", "Rescheduled to another date"


class ChangedBy(Code):
    """Who cancelled or rescheduled a session."""

    SCHOOL = "school", "The school"
    SSW = "ssw", "The supervising social worker"
    OTHER = "other", "Other (for example a school closure)"


class AdHocChannel(Code):
    EMAIL = "email", "Email"
    PHONE = "phone", "Telephone"
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online meeting"


class AdHocTopic(Code):
    """What unplanned support was about; a category, never case details."""

    THRESHOLD_DECISION = "threshold_decision", "Whether a worry meets the threshold for a contact"
    CASE_CONSULTATION = "case_consultation", "Reflective discussion of a (non-identified) situation"
    PROCESS = "process", "Front-door process or escalation route"
    WELLBEING = "wellbeing", "DSL wellbeing"
    OTHER = "other", "Other"


class SurveyWave(Code):
    BASELINE = "baseline", "Baseline (October)"
    ENDLINE = "endline", "Endline (June–July)"


class SurveyRole(Code):
    LEAD_DSL = "lead_dsl", "Lead DSL"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    SAFEGUARDING_TEAM = "safeguarding_team", "Other member of the safeguarding team"


class WarrAnswer(Code):
    """Answers to "how much of the time has your job made you feel…" (Warr job-related affect)."""

    ALL_OF_THE_TIME = "all_of_the_time", "All of the time"
    MOST_OF_THE_TIME = "most_of_the_time", "Most of the time"
    SOME_OF_THE_TIME = "some_of_the_time", "Some of the time"
    OCCASIONALLY = "occasionally", "Occasionally"
    NEVER = "never", "Never"


class DslExperience(Code):
    """Years as a DSL, in the evaluation survey's bands."""

    UNDER_1 = "under_1", "Less than one year"
    YEARS_1_2 = "1_2", "One to two years"
    YEARS_3_4 = "3_4", "Three to four years"
    YEARS_5_6 = "5_6", "Five to six years"
    YEARS_7_9 = "7_9", "Seven to nine years"
    YEARS_10_PLUS = "10_plus", "Ten or more years"


class CostCategory(Code):
    SSW_SALARY = "ssw_salary", "Supervising social worker salary and on-costs"
    SSW_TRAINING = "ssw_training", "Training of supervising social workers"
    SSW_SUPERVISION = "ssw_supervision", "Supervision and community of practice for SSWs"
    TRAVEL = "travel", "Travel"
    MATERIALS = "materials", "Materials and venues"
    MANAGEMENT = "management", "Programme management and administration"
    SCHOOL_COVER = "school_cover", "Teaching cover paid by schools"


class CostKind(Code):
    START_UP = "start_up", "Start-up (one-off)"
    RECURRING = "recurring", "Recurring (each year)"


class Scale(Code):
    """Warr's two job-related affect scales."""

    ANXIETY_CONTENTMENT = "anxiety_contentment", "Anxiety–contentment (tense, worried, uneasy)"
    DEPRESSION_ENTHUSIASM = (
        "depression_enthusiasm",
        "Depression–enthusiasm (depressed, gloomy, miserable)",
    )


WARR_ITEMS: dict[Scale, tuple[str, ...]] = {
    Scale.ANXIETY_CONTENTMENT: ("tense", "worried", "uneasy"),
    Scale.DEPRESSION_ENTHUSIASM: ("depressed", "gloomy", "miserable"),
}
"""The six Warr items (feelings asked about), by the scale each belongs to."""

WARR_SCORES: dict[WarrAnswer, int] = {
    WarrAnswer.ALL_OF_THE_TIME: -2,
    WarrAnswer.MOST_OF_THE_TIME: -1,
    WarrAnswer.SOME_OF_THE_TIME: 0,
    WarrAnswer.OCCASIONALLY: 1,
    WarrAnswer.NEVER: 2,
}
"""Item scores: every Warr item here names a negative feeling, so "never" scores best (+2)."""
