"""Dates of what the knowledge base says: a relation's date, whether a date falls in a range, and
the first and last day a date stands for.

A relation's date is the one its sentence gives (``relations.attrs["date"]``, e.g. VISITED's
2021年12月3日) when that names a year, else its document's date (``documents.date``). A sentence
date without a year (9月5日) is placed in its document's year (the year before when that would put
it after the document); in an undated document it cannot be placed, and the relation is undated.
"""

from __future__ import annotations

import calendar
import json
import re

_ISO_PREFIX = re.compile(r"^(\d{4})(?:[-年/.]\s*(\d{1,2}))?(?:[-月/.]\s*(\d{1,2}))?")

_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")  # a sentence's date without a year, as relations store it

SENTENCE, DOCUMENT = "sentence", "document"  # where a relation's date comes from

#: What ``--since`` / ``--until`` (and the web page's since / until) accept: YYYY, YYYY-MM, YYYY-MM-DD.
RANGE_BOUND = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _iso(when: str | None) -> str | None:
    """``when`` as ``YYYY[-MM[-DD]]`` (``2021年5月`` -> ``2021-05``), or None without a leading year."""
    match = _ISO_PREFIX.match(when or "")
    if not match:
        return None
    return "-".join([match[1]] + [f"{int(x):02d}" for x in match.groups()[1:] if x])


def in_range(when: str | None, since: str | None, until: str | None) -> bool:
    """True when ``when`` (``2021``, ``2021-05-05``, ``2021年5月``...) falls between ``since`` and
    ``until`` (``YYYY[-MM[-DD]]``, either may be None), each compared at its own precision:
    ``--until 2021`` includes 2021-12-31, ``--since 2021-05`` includes 2021-05-01."""
    if not since and not until:
        return True
    iso = _iso(when)
    if not iso:
        return False
    return (not since or iso[: len(since)] >= since[: len(iso)]) and (
        not until or iso[: len(until)] <= until[: len(iso)]
    )


def relation_date(attrs: str | dict | None, document_date: str | None) -> tuple[str | None, str | None]:
    """``(date, date_source)`` of a relation: its sentence's date (``"sentence"``) when the stored
    ``attrs`` hold one with a year, else its document's date (``"document"``); ``(None, None)``
    when neither is known."""
    if isinstance(attrs, str):
        attrs = json.loads(attrs) if attrs else {}
    own = (attrs or {}).get("date")
    if own and _iso(own):
        return own, SENTENCE
    in_year = _in_document_year(own, document_date)
    if in_year:
        return in_year, SENTENCE
    if document_date:
        return document_date, DOCUMENT
    return None, None


def _in_document_year(month_day: str | None, document_date: str | None) -> str | None:
    """A sentence's ``MM-DD`` (9月5日) placed in its document's year: news reports what has happened,
    so a day after the document's date is of the year before (a January report of 12月28日)."""
    match = _MONTH_DAY.match(month_day or "")
    document = _iso(document_date)
    if not match or not document:
        return None
    year, month, day = int(document[:4]), int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    date = f"{year}-{month:02d}-{day:02d}"
    if len(document) == 10 and date > document:
        year -= 1
        if day > calendar.monthrange(year, month)[1]:  # 02-29 of a leap year
            return None
        date = f"{year}-{month:02d}-{day:02d}"
    return date


def bounds(when: str | None) -> tuple[str, str] | None:
    """The first and last day ``when`` stands for, as ``YYYY-MM-DD`` (``2021`` -> 2021-01-01 and
    2021-12-31; ``2021-02`` -> 2021-02-01 and 2021-02-28), or None when it names no year."""
    iso = _iso(when)
    if not iso:
        return None
    parts = [int(x) for x in iso.split("-")]
    year, month = parts[0], parts[1] if len(parts) > 1 else None
    if month is None:
        return f"{year}-01-01", f"{year}-12-31"
    if not 1 <= month <= 12:
        return None
    if len(parts) > 2:
        day = f"{year}-{month:02d}-{parts[2]:02d}"
        return day, day
    return f"{year}-{month:02d}-01", f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"
