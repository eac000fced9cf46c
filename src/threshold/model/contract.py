"""The data contract: every table Threshold reads or writes, defined once.

Contacts and referrals use the Standard Safeguarding Dataset's names (`ssd_contacts`:
``cont_*``; `ssd_cin_episodes`: ``cine_*``) where one exists; the fields the evaluation needs
that the SSD lacks (which LA, which school made the contact, which school the child attends)
are extensions with the same prefix. docs/data-contract.md is generated from this module.
"""

from __future__ import annotations

from itertools import chain

import pandas as pd

from threshold.model.codes import (
    WARR_ITEMS,
    AdHocChannel,
    AdHocTopic,
    Arm,
    ChangedBy,
    ContactOutcome,
    CostCategory,
    CostKind,
    DataGap,
    DslExperience,
    EstablishmentType,
    OfstedRating,
    Phase,
    ReferralOutcome,
    SessionFormat,
    SessionMode,
    SessionStatus,
    SourceCode,
    SurveyRole,
    SurveyWave,
    UrbanRural,
    WarrAnswer,
)
from threshold.model.schema import Field, Kind, RowRule, Table

URN_PATTERN = r"[1-9]\d{5}"
LA_CODE_PATTERN = r"\d{3}"
SCHOOL_YEAR_PATTERN = r"\d{4}/\d{2}"
POSTCODE_PATTERN = r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}"
UPN_PATTERN = r"[A-Z]\d{11}[0-9A-Z]"
"""A Unique Pupil Number: an identifier that must never be used as a pseudonymised id."""


def _urn(name: str, description: str, *, required: bool = True) -> Field:
    return Field(
        name,
        Kind.INTEGER,
        description,
        required=required,
        pattern=URN_PATTERN,
        pattern_hint="a six-digit URN",
        references=("schools", "urn"),
    )


def _la_code(name: str, description: str, *, required: bool = True) -> Field:
    return Field(
        name,
        Kind.STRING,
        description,
        required=required,
        pattern=LA_CODE_PATTERN,
        pattern_hint="a three-digit LA number",
        references=("local_authorities", "la_code"),
    )


def _percent(name: str, description: str) -> Field:
    return Field(
        name,
        Kind.NUMBER,
        f"{description} A percentage: `23.5`, not `0.235` or `23.5%`.",
        required=False,
        minimum=0,
        maximum=100,
    )


def _pseudonym(name: str) -> Field:
    return Field(
        name,
        Kind.STRING,
        "Pseudonymised child identifier, stable within the LA's export. Never a name, "
        "date of birth or Unique Pupil Number.",
    )


def _later_than(later: str, earlier: str) -> RowRule:
    return RowRule(
        later,
        f"must not be before {earlier}",
        lambda df: df[later].notna() & df[earlier].notna() & (df[later] < df[earlier]),
    )


def _not_upn(name: str) -> RowRule:
    return RowRule(
        name,
        "must not look like a Unique Pupil Number (a letter, 11 digits and a letter or "
        "digit); use a pseudonymised identifier",
        lambda df: df[name].astype("string").str.fullmatch(UPN_PATTERN).fillna(False),
    )


def _only_for_school_source(source: str, fields: tuple[str, ...]) -> tuple[RowRule, ...]:
    def violated(df: pd.DataFrame, name: str) -> pd.Series:
        return df[name].notna() & df[source].notna() & (df[source] != SourceCode.SCHOOLS)

    return tuple(
        RowRule(
            name,
            f"must be blank unless {source} is 2A (schools)",
            lambda df, n=name: violated(df, n),
        )
        for name in fields
    )


LOCAL_AUTHORITIES = Table(
    name="local_authorities",
    description="Local authorities whose front doors the data come from.",
    key=("la_code",),
    fields=(
        Field(
            "la_code",
            Kind.STRING,
            "DfE three-digit local authority number (the old LEA code).",
            pattern=LA_CODE_PATTERN,
            pattern_hint="a three-digit LA number",
        ),
        Field("la_name", Kind.STRING, "Name of the local authority."),
        Field("region", Kind.STRING, "Government office region.", required=False),
    ),
)

DATA_GAPS = Table(
    name="data_gaps",
    description=(
        "What an LA could not provide, by school year, and why. A measure built from missing "
        "data is missing, not zero."
    ),
    key=("la_code", "school_year", "gap"),
    fields=(
        _la_code("la_code", "The LA that could not provide the data."),
        Field(
            "school_year",
            Kind.STRING,
            "School year, September to August, written `2021/22`.",
            pattern=SCHOOL_YEAR_PATTERN,
            pattern_hint="a school year written YYYY/YY",
        ),
        Field("gap", Kind.CODE, "What is missing.", codes=DataGap),
        Field("reason", Kind.STRING, "Why, in the LA's words."),
    ),
)

SCHOOLS = Table(
    name="schools",
    description="Schools, with the characteristics the trial blocks, balances and analyses on.",
    key=("urn",),
    fields=(
        Field(
            "urn",
            Kind.INTEGER,
            "Unique Reference Number from Get Information About Schools (GIAS).",
            pattern=URN_PATTERN,
            pattern_hint="a six-digit URN",
        ),
        Field("name", Kind.STRING, "Establishment name as in the register."),
        _la_code("la_code", "The LA the school is in."),
        Field("phase", Kind.CODE, "Phase of education.", codes=Phase),
        Field(
            "establishment_type",
            Kind.CODE,
            "Type of establishment.",
            required=False,
            codes=EstablishmentType,
        ),
        Field("town", Kind.STRING, "Town of the school's address.", required=False),
        Field(
            "postcode",
            Kind.STRING,
            "Postcode of the school's address, upper case with one space.",
            required=False,
            pattern=POSTCODE_PATTERN,
            pattern_hint="a postcode written like AB1 2CD",
        ),
        Field(
            "pupils_on_roll",
            Kind.INTEGER,
            "Pupils on roll (headcount, January census). The denominator of per-pupil outcomes.",
            required=False,
            minimum=0,
            maximum=10000,
        ),
        _percent(
            "pct_fsm",
            "% of pupils eligible for free school meals at any time in the last six years.",
        ),
        _percent("pct_eal", "% of pupils with English as an additional language."),
        _percent("pct_sen_support", "% of pupils receiving SEN support."),
        Field(
            "urban_rural", Kind.CODE, "Urban or rural location.", required=False, codes=UrbanRural
        ),
        Field(
            "ofsted_rating",
            Kind.CODE,
            "Overall effectiveness at the latest Ofsted inspection.",
            required=False,
            codes=OfstedRating,
        ),
    ),
)

CONTACTS = Table(
    name="contacts",
    description=(
        "Contacts to an LA's front door about a child (SSD `ssd_contacts`, with extensions). "
        "Several contacts about one child count separately."
    ),
    key=("cont_contact_id",),
    fields=(
        Field(
            "cont_contact_id",
            Kind.STRING,
            "Contact identifier, unique across the whole table (across LAs too).",
        ),
        _pseudonym("cont_person_id"),
        _la_code("cont_la_code", "The LA whose front door received the contact (extension)."),
        Field("cont_contact_date", Kind.DATE, "Date of the contact."),
        Field(
            "cont_contact_source_code",
            Kind.CODE,
            "Who made the contact (DfE CIN census source code; schools are `2A`).",
            codes=SourceCode,
        ),
        _urn(
            "cont_source_school_urn",
            "The school that made the contact, when the source is a school and it is known "
            "(extension).",
            required=False,
        ),
        Field(
            "cont_source_school_name",
            Kind.STRING,
            "The contacting school as the LA recorded it, in free text (extension).",
            required=False,
        ),
        _urn(
            "cont_child_school_urn",
            "The school the child attends, whoever made the contact (extension).",
            required=False,
        ),
        Field(
            "cont_contact_outcome",
            Kind.CODE,
            "The decision at contact; blank if the LA did not record it.",
            required=False,
            codes=ContactOutcome,
        ),
    ),
    rules=(
        _not_upn("cont_person_id"),
        *_only_for_school_source(
            "cont_contact_source_code", ("cont_source_school_urn", "cont_source_school_name")
        ),
    ),
)

REFERRALS = Table(
    name="referrals",
    description="Referrals to children's social care (SSD `ssd_cin_episodes`, with extensions).",
    key=("cine_referral_id",),
    fields=(
        Field(
            "cine_referral_id",
            Kind.STRING,
            "Referral identifier, unique across the whole table (across LAs too).",
        ),
        Field(
            "cine_contact_id",
            Kind.STRING,
            "The contact the referral came from, where known (extension).",
            required=False,
            references=("contacts", "cont_contact_id"),
        ),
        _pseudonym("cine_person_id"),
        _la_code("cine_la_code", "The LA the referral was made to (extension)."),
        Field("cine_referral_date", Kind.DATE, "Date of the referral."),
        Field(
            "cine_referral_source_code",
            Kind.CODE,
            "Who made the referral (DfE CIN census source code).",
            codes=SourceCode,
        ),
        _urn(
            "cine_source_school_urn",
            "The school that made the referral, when the source is a school (extension).",
            required=False,
        ),
        _urn(
            "cine_child_school_urn",
            "The school the child attends (extension).",
            required=False,
        ),
        Field(
            "cine_referral_outcome",
            Kind.CODE,
            "How the referral ended; `open` while it has not; blank if the LA does not record it.",
            required=False,
            codes=ReferralOutcome,
        ),
        Field(
            "cine_close_date",
            Kind.DATE,
            "Date the outcome was decided (the referral closed or moved to a plan); blank while "
            "the referral is open.",
            required=False,
        ),
    ),
    rules=(
        _not_upn("cine_person_id"),
        _later_than("cine_close_date", "cine_referral_date"),
        RowRule(
            "cine_close_date",
            "must be blank while cine_referral_outcome is open",
            lambda df: (
                df["cine_close_date"].notna()
                & (df["cine_referral_outcome"] == ReferralOutcome.OPEN)
            ),
        ),
        RowRule(
            "cine_close_date",
            "is required when cine_referral_outcome is given and is not open",
            lambda df: (
                df["cine_close_date"].isna()
                & df["cine_referral_outcome"].notna()
                & (df["cine_referral_outcome"] != ReferralOutcome.OPEN)
            ),
        ),
        *_only_for_school_source("cine_referral_source_code", ("cine_source_school_urn",)),
    ),
)

ALLOCATIONS = Table(
    name="allocations",
    description="The trial's random allocation of schools to arms.",
    key=("urn",),
    fields=(
        _urn("urn", "The school randomised."),
        Field("block", Kind.STRING, "The randomisation block (for example `981-high`)."),
        Field("arm", Kind.CODE, "The arm the school was allocated to.", codes=Arm),
        Field(
            "random_number",
            Kind.NUMBER,
            "The random number the school drew within its block.",
            minimum=0,
            maximum=1,
        ),
        Field(
            "order",
            Kind.INTEGER,
            "Position in the block after sorting by random number, smallest first (1).",
            minimum=1,
        ),
        Field(
            "withdrawn_on",
            Kind.DATE,
            "Date the school (or its LA) withdrew after randomisation; blank if it did not.",
            required=False,
        ),
    ),
)

SSWS = Table(
    name="ssws",
    description="Supervising social workers and the LAs each covers (one row per SSW and LA).",
    key=("ssw_id", "la_code"),
    fields=(
        Field("ssw_id", Kind.STRING, "Identifier of the supervising social worker."),
        _la_code("la_code", "An LA the SSW supervises DSLs in."),
        Field(
            "fte",
            Kind.NUMBER,
            "Full-time equivalent the SSW spends on the programme in this LA.",
            required=False,
            minimum=0,
            maximum=1,
        ),
    ),
)

SESSIONS = Table(
    name="sessions",
    description=(
        "Planned supervision sessions and what became of them. Holds no case details: "
        "the written record of a session lives in the web service."
    ),
    key=("session_id",),
    fields=(
        Field("session_id", Kind.STRING, "Session identifier."),
        _urn("urn", "The school supervised."),
        Field(
            "ssw_id",
            Kind.STRING,
            "The SSW who ran (or was to run) it.",
            references=("ssws", "ssw_id"),
        ),
        Field(
            "session_date",
            Kind.DATE,
            "Date the session was held, or was planned for if it was not.",
        ),
        Field("format", Kind.CODE, "Group or one-to-one.", codes=SessionFormat),
        Field("mode", Kind.CODE, "Face to face or online.", codes=SessionMode),
        Field("status", Kind.CODE, "Held, cancelled or rescheduled.", codes=SessionStatus),
        Field(
            "changed_by",
            Kind.CODE,
            "Who cancelled or rescheduled it; blank when held.",
            required=False,
            codes=ChangedBy,
        ),
        Field(
            "rescheduled_to",
            Kind.STRING,
            "The session that replaced a rescheduled one.",
            required=False,
            references=("sessions", "session_id"),
        ),
        Field(
            "attendees",
            Kind.INTEGER,
            "Number of members of the school's safeguarding team who attended.",
            required=False,
            minimum=0,
            maximum=30,
        ),
        Field(
            "duration_minutes",
            Kind.INTEGER,
            "Length of the session in minutes (sessions are planned to last up to two hours; "
            "up to four are accepted).",
            required=False,
            minimum=0,
            maximum=240,
        ),
    ),
    rules=(
        RowRule(
            "changed_by",
            "is required when a session was cancelled or rescheduled",
            lambda df: (
                df["changed_by"].isna()
                & df["status"].notna()
                & (df["status"] != SessionStatus.HELD)
            ),
        ),
        RowRule(
            "changed_by",
            "must be blank for a session that was held",
            lambda df: df["changed_by"].notna() & (df["status"] == SessionStatus.HELD),
        ),
        RowRule(
            "attendees",
            "must be 1 or more for a session that was held",
            lambda df: (df["status"] == SessionStatus.HELD) & ~(df["attendees"].fillna(0) >= 1),
        ),
        RowRule(
            "attendees",
            "must be blank or 0 for a session that was not held",
            lambda df: (
                (df["status"] != SessionStatus.HELD)
                & df["status"].notna()
                & (df["attendees"].fillna(0) > 0)
            ),
        ),
        RowRule(
            "rescheduled_to",
            "must be blank unless status is rescheduled",
            lambda df: (
                df["rescheduled_to"].notna()
                & df["status"].notna()
                & (df["status"] != SessionStatus.RESCHEDULED)
            ),
        ),
    ),
)

AD_HOC_SUPPORT = Table(
    name="ad_hoc_support",
    description=(
        "Unplanned support an SSW gave a school between sessions (email, phone, in person)."
    ),
    key=("support_id",),
    fields=(
        Field("support_id", Kind.STRING, "Identifier of the episode of support."),
        _urn("urn", "The school supported."),
        Field("ssw_id", Kind.STRING, "The SSW who gave it.", references=("ssws", "ssw_id")),
        Field("support_date", Kind.DATE, "Date of the support."),
        Field("channel", Kind.CODE, "How it was given.", codes=AdHocChannel),
        Field(
            "topic",
            Kind.CODE,
            "What it was about (a category, never case details).",
            codes=AdHocTopic,
        ),
        Field(
            "duration_minutes",
            Kind.INTEGER,
            "Time the SSW spent, in minutes.",
            required=False,
            minimum=0,
            maximum=480,
        ),
    ),
)

DELIVERY_RATINGS = Table(
    name="delivery_ratings",
    description=(
        "The SSW's scores of each treatment school's need (at the start) and engagement "
        "(at the end); one row per school."
    ),
    key=("urn",),
    fields=(
        _urn("urn", "The school scored."),
        Field("ssw_id", Kind.STRING, "The SSW who scored it.", references=("ssws", "ssw_id")),
        Field(
            "need",
            Kind.INTEGER,
            "Need for supervision, 1 (low) to 4 (high).",
            required=False,
            minimum=1,
            maximum=4,
        ),
        Field(
            "engagement",
            Kind.INTEGER,
            "Engagement with supervision, 1 (low) to 4 (high).",
            required=False,
            minimum=1,
            maximum=4,
        ),
    ),
)


SURVEY_RESPONSES = Table(
    name="survey_responses",
    description=(
        "DSL wellbeing survey responses. The respondent token is issued to a person once and "
        "reused at every wave, so waves link person by person."
    ),
    key=("respondent_token", "wave"),
    fields=(
        Field(
            "respondent_token",
            Kind.STRING,
            "Opaque token identifying the respondent across waves (not their name or email).",
            pattern=r"[A-Z0-9]{8,32}",
            pattern_hint="a token of 8 to 32 upper-case letters or digits",
        ),
        _urn("urn", "The respondent's school."),
        Field("wave", Kind.CODE, "Survey wave.", codes=SurveyWave),
        Field("response_date", Kind.DATE, "Date the response was submitted."),
        Field(
            "role",
            Kind.CODE,
            "The respondent's safeguarding role.",
            required=False,
            codes=SurveyRole,
        ),
        Field(
            "dsl_experience",
            Kind.CODE,
            "Years as a DSL, in the survey's bands.",
            required=False,
            codes=DslExperience,
        ),
        *(
            Field(
                f"warr_{feeling}",
                Kind.CODE,
                f'"How much of the time has your job made you feel {feeling}?" '
                "Blank if not answered.",
                required=False,
                codes=WarrAnswer,
            )
            for feeling in chain.from_iterable(WARR_ITEMS.values())
        ),
    ),
)

COSTS = Table(
    name="costs",
    description=(
        "Delivery costs, by LA (blank LA: central costs such as SSW training) and school year."
    ),
    key=("cost_id",),
    fields=(
        Field("cost_id", Kind.STRING, "Identifier of the cost line."),
        _la_code("la_code", "The LA that bore the cost; blank for central costs.", required=False),
        Field(
            "school_year",
            Kind.STRING,
            "School year the cost fell in.",
            pattern=SCHOOL_YEAR_PATTERN,
            pattern_hint="a school year written YYYY/YY",
        ),
        Field("category", Kind.CODE, "What the money was spent on.", codes=CostCategory),
        Field("kind", Kind.CODE, "Start-up or recurring.", codes=CostKind),
        Field(
            "amount_gbp",
            Kind.NUMBER,
            "Amount in pounds sterling, in that school year's prices (no `£` or commas).",
            minimum=0,
        ),
        Field("description", Kind.STRING, "What the line covers.", required=False),
    ),
)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        LOCAL_AUTHORITIES,
        DATA_GAPS,
        SCHOOLS,
        CONTACTS,
        REFERRALS,
        ALLOCATIONS,
        SSWS,
        SESSIONS,
        AD_HOC_SUPPORT,
        DELIVERY_RATINGS,
        SURVEY_RESPONSES,
        COSTS,
    )
}
"""Every contract table by name, in the order documents list them."""
