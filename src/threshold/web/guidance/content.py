"""An LA's threshold document as data (pure Python, no Django): levels of need with indicators
by domain, and the directory of services with their routes. Stored as JSON:

    {"levels": [{"number": 1, "name": …, "summary": …,
                 "indicators": [{"domain": …, "text": …}, …]}, …],   # levels 1 to 4
     "services": [{"route": "fis", "name": …, "contact": …, "when": …}, …]}  # one per Route
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from threshold.web.guidance.pathway import LABELS, Route

LEVEL_NAMES = {
    1: "Level 1: universal",
    2: "Level 2: early help (additional needs)",
    3: "Level 3: targeted (complex needs)",
    4: "Level 4: acute (statutory)",
}
MSG_NO_DOMAIN = "{where}, line {line}: write the domain, a colon, then the indicator"


class ContentError(ValueError):
    """Document text that cannot be read; the message names where and the fix."""


def parse_indicators(text: str, *, where: str) -> list[dict[str, str]]:
    """Indicators from lines "Domain: indicator" (blank lines ignored)."""
    indicators = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        domain, colon, indicator = line.partition(":")
        if not colon or not domain.strip() or not indicator.strip():
            raise ContentError(MSG_NO_DOMAIN.format(where=where, line=number))
        indicators.append({"domain": domain.strip(), "text": indicator.strip()})
    return indicators


def indicators_text(indicators: list[dict[str, str]]) -> str:
    """The inverse of `parse_indicators`."""
    return "\n".join(f"{i['domain']}: {i['text']}" for i in indicators)


def service_for(content: Mapping[str, list[dict[str, object]]], route: Route) -> dict[str, str]:
    """The directory entry for `route` (the route's default name alone if there is none)."""
    for service in content.get("services", []):
        if service["route"] == route:
            return service
    return {"route": route.value, "name": LABELS[route], "contact": "", "when": ""}


def document_lines(content: Mapping[str, list[dict[str, object]]]) -> Iterator[str]:
    """The document as plain lines, for comparing versions."""
    for level in content.get("levels", []):
        yield str(level["name"])
        yield f"  Summary: {level['summary']}"
        for indicator in level["indicators"]:
            yield f"  {indicator['domain']}: {indicator['text']}"
    for service in content.get("services", []):
        yield f"{service['name']} ({LABELS[Route(service['route'])]})"
        yield f"  How to reach: {service['contact']}"
        yield f"  When to use: {service['when']}"


def diff(
    old: Mapping[str, list[dict[str, object]]], new: Mapping[str, list[dict[str, object]]]
) -> list[tuple[str, str]]:
    """(change, line) for each line that differs: change is "removed" or "added"."""
    changes = []
    for line in difflib.ndiff(list(document_lines(old)), list(document_lines(new))):
        if line.startswith("- "):
            changes.append(("removed", line[2:]))
        elif line.startswith("+ "):
            changes.append(("added", line[2:]))
    return changes


def _level(number: int, summary: str, indicators: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "number": number,
        "name": LEVEL_NAMES[number],
        "summary": summary,
        "indicators": [{"domain": d, "text": t} for d, t in indicators],
    }


EXAMPLE = {
    "levels": [
        _level(
            1,
            "Children whose needs are met by universal services: school, GP, health visitor.",
            [
                ("Development", "Healthy, attending school and making expected progress"),
                ("Parenting capacity", "Parents meet the child's needs with ordinary support"),
                ("Family and environment", "Stable housing; family linked to local activities"),
            ],
        ),
        _level(
            2,
            "Children with additional needs that one agency, with the family's agreement, "
            "can meet through an early help assessment.",
            [
                ("Development", "Attendance falling, or low mood affecting learning"),
                ("Parenting capacity", "Parents struggling with routines or boundaries"),
                ("Family and environment", "Money or housing worries; a young carer"),
            ],
        ),
        _level(
            3,
            "Children with complex needs that need several agencies working together in a "
            "team around the family.",
            [
                ("Development", "Persistent absence, self-harm or early signs of exploitation"),
                (
                    "Parenting capacity",
                    "Parental mental ill-health or substance use affecting care",
                ),
                ("Family and environment", "Domestic abuse in the past; risk of homelessness"),
            ],
        ),
        _level(
            4,
            "Children at risk of significant harm, or in need of protection or specialist "
            "services: contact the front door.",
            [
                ("Development", "Disclosure of abuse; unexplained injury; going missing"),
                ("Parenting capacity", "Parents unable or unwilling to keep the child safe"),
                ("Family and environment", "Current domestic abuse; child exploited"),
            ],
        ),
    ],
    "services": [
        {
            "route": Route.POLICE.value,
            "name": "Police",
            "contact": "999 in an emergency; 101 otherwise",
            "when": "A child is in immediate danger or a crime is happening now.",
        },
        {
            "route": Route.FRONT_DOOR.value,
            "name": "Children's front door (MASH)",
            "contact": "01632 960100, weekdays 9am to 5pm; out of hours 01632 960199",
            "when": "A child has been harmed or is at risk of significant harm (level 4).",
        },
        {
            "route": Route.CONSULTATION.value,
            "name": "DSL information line",
            "contact": "01632 960150, weekdays 9am to 4pm",
            "when": "You are not sure of the level of need and want a social worker's advice.",
        },
        {
            "route": Route.EARLY_HELP.value,
            "name": "Early Help",
            "contact": "01632 960160, or the early help assessment form on the LA website",
            "when": "The family needs more than school can give, with their agreement "
            "(levels 2 and 3).",
        },
        {
            "route": Route.FIS.value,
            "name": "Family Information Service",
            "contact": "01632 960170, or the LA's family services directory",
            "when": "Information on childcare, activities, money and local support (level 1).",
        },
    ],
}
"""A plain example threshold document, for the demo LAs (fictional numbers, 01632 960xxx)."""
