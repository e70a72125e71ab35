"""Places: the admin-division hierarchy of the bundled REGION gazetteer, and what lies under a region.

The gazetteer (``models/lexicons/ent_regions.txt``, loaded once by
:func:`pipeline.gazetteer.region_lexicon` through the resource loader) gives each division its
level (province, city, county, town), its short form and its parent(s). A name several divisions
share (朝阳区 in 北京市 and in 长春市) has several parents; such a name is placed only where all of
its readings agree, or where the knowledge base's own LOCATED_IN says so.

* :func:`canonical_region` — the full official name a REGION mention stands for (江苏 -> 江苏省),
  used by the store so that 江苏 and 江苏省 are one entity.
* :func:`province_city` — (province, city) of a division name.
* :func:`entities_under` — the entities of a knowledge base that lie under a region.
* :func:`places` — (province, city) of every entity that is, or is LOCATED_IN, a known division.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from pipeline.gazetteer import RegionEntry, region_lexicon

LOCATED_IN = "LOCATED_IN"
# Levels from the top; a short form of a town is only read as that town where its parent is named.
UPPER_LEVELS = ("province", "city", "county")


class RegionNotFound(ValueError):
    """The name is neither a division of the gazetteer nor a REGION of the knowledge base (a bad
    argument: the CLI prints it as a one-line error)."""

    def __init__(self, name: str, suggestions: list[str], shared: bool = False):
        if shared:
            message = f"several divisions are called {name!r}: give one of {', '.join(suggestions)}"
        else:
            hint = f" (did you mean: {', '.join(suggestions)})" if suggestions else ""
            message = f"no region is called {name!r}{hint}"
        super().__init__(message)
        self.name, self.suggestions = name, suggestions


@lru_cache(maxsize=1)
def _shorts() -> dict[str, tuple[RegionEntry, ...]]:
    """Short form -> the divisions it may stand for.

    Besides the gazetteer's own short form, a province-level autonomous region is called by its
    first two characters (新疆 for 新疆维吾尔自治区, whose gazetteer short form is 新疆维吾尔).
    """
    out: dict[str, list[RegionEntry]] = defaultdict(list)
    for entry in region_lexicon().values():
        forms = {entry.short} if entry.short else set()
        if entry.level == "province" and entry.name.endswith("自治区"):
            forms.add(entry.name[:2])
        for form in forms:
            out[form].append(entry)
    return {form: tuple(entries) for form, entries in out.items()}


@lru_cache(maxsize=1)
def _children() -> dict[str, tuple[str, ...]]:
    """Parent name -> the divisions that name it as a parent."""
    out: dict[str, list[str]] = defaultdict(list)
    for entry in region_lexicon().values():
        for parent in entry.parents:
            out[parent].append(entry.name)
    return {parent: tuple(names) for parent, names in out.items()}


@lru_cache(maxsize=4096)
def _chains(name: str) -> tuple[tuple[str, ...], ...]:
    """Every line of ancestors of ``name``, itself first (one per reading of a shared name)."""
    lex = region_lexicon()
    entry = lex.get(name)
    if entry is None:
        return ()
    parents = [p for p in entry.parents if p in lex and p != name]
    if not parents:
        return ((name,),)
    return tuple((name, *chain) for parent in parents for chain in _chains(parent) if name not in chain)


def _ancestors(name: str) -> set[str]:
    return {n for chain in _chains(name) for n in chain[1:]}


def _readings(name: str) -> set[tuple[str | None, str | None]]:
    """(province, city) of each reading of a division name."""
    lex = region_lexicon()
    out = set()
    for chain in _chains(name):
        province = next((n for n in chain if lex[n].level == "province"), None)
        city = next((n for n in chain if lex[n].level == "city"), None)
        if city is None and province and province.endswith("市"):
            city = province  # a municipality (上海市) is its own city
        out.add((province, city))
    return out


def canonical_region(name: str, context: Iterable[str] = ()) -> str:
    """The gazetteer's full name for the REGION ``name``, else ``name`` unchanged.

    A full name stays. A short form becomes: a division the document (``context``: its other
    regions) names in full; else the one province or city it names, before any county of the same
    short form (江苏 -> 江苏省; 河北 -> 河北省, not 天津's 河北区; 上海 -> 上海市, a town 上海街道
    notwithstanding); where several provinces or cities share it (吉林: 吉林省, 吉林市), the one above
    or under a region of the document. A county's short form is a common word too often (中方 "the
    Chinese side", 中方县; 江南, 南宁's 江南区; 平和): it becomes the county only where the document
    names its city or a place under it, as a town's becomes the town where its county is named (亭林
    with 金山区). Otherwise it stays as it is.
    """
    lex = region_lexicon()
    if name in lex:
        return name
    candidates = _shorts().get(name, ())
    near = {full for n in context if (full := _full_or_none(n))}
    named = [e.name for e in candidates if e.name in near]
    if len(named) == 1:
        return named[0]
    upper = [e for e in candidates if e.level in UPPER_LEVELS]
    if upper:
        # a province's short form never means a county of the same short form (河北, not 天津's 河北区)
        if any(e.level == "province" for e in upper):
            upper = [e for e in upper if e.level != "county"]
        above = {n for region in near for n in _ancestors(region)}
        # a county only by its own city (中方 with 怀化市; a province named is too weak a hint)
        placed = [
            e.name
            for e in upper
            if e.name in above or (set(e.parents) if e.level == "county" else _ancestors(e.name)) & near
        ]
        if len(placed) == 1:
            return placed[0]
        # no context decides: the one province or city of that short form; a county's short form
        # alone is too often a word (中方, 江南, 平和)
        provinces_cities = [e.name for e in upper if e.level != "county"]
        return provinces_cities[0] if len(provinces_cities) == 1 else name
    placed = [e.name for e in candidates if set(e.parents) & near]  # towns: the one whose county is named
    return placed[0] if len(placed) == 1 else name


def _full_or_none(name: str) -> str | None:
    """The full name of a division name or unambiguous short form (no context), else None."""
    if name in region_lexicon():
        return name
    full = canonical_region(name)
    return full if full != name else None


def province_city(name: str) -> tuple[str | None, str | None]:
    """(province, city) of a division or its short form: 江宁区 -> (江苏省, 南京市);
    南京市 -> (江苏省, 南京市); 江苏省 -> (江苏省, None); 上海 -> (上海市, 上海市).

    A part that the readings of a shared name disagree on is None, as are both for a name that is
    no division (长三角).
    """
    full = _full_or_none(name)
    if full is None:
        return (None, None)
    readings = _readings(full)
    provinces = {p for p, _ in readings}
    cities = {c for _, c in readings}
    return (provinces.pop() if len(provinces) == 1 else None, cities.pop() if len(cities) == 1 else None)


def divisions_under(full: str) -> set[str]:
    """Every division whose every reading lies under the division ``full`` (itself excluded)."""
    found, todo = set(), [full]
    while todo:
        for child in _children().get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return {n for n in found if all(full in chain for chain in _chains(n))}


def near_names(name: str, conn: sqlite3.Connection | None = None, limit: int = 8) -> list[str]:
    """Division names (and the knowledge base's REGION names) that contain or resemble ``name``."""
    names = {e.name for e in region_lexicon().values() if e.level in UPPER_LEVELS}
    if conn is not None:
        names |= {row[0] for row in conn.execute("select name from entities where type = 'REGION'")}
    containing = sorted((n for n in names if name and (name in n or n in name)), key=lambda n: (len(n), n))
    close = difflib.get_close_matches(name, sorted(names), n=limit, cutoff=0.5)
    return list(dict.fromkeys(containing + close))[:limit]


def _located_in(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    return [
        (s, o)
        for s, o in conn.execute(
            "select distinct subject_id, object_id from relations where predicate = ?", [LOCATED_IN]
        )
    ]


def resolve_region(conn: sqlite3.Connection, region: str) -> tuple[str | None, set[int]]:
    """(the division's full name or None, the REGION entity ids named ``region``) for a query.

    Raises :class:`RegionNotFound` (with near names) when ``region`` is neither a division of the
    gazetteer nor a REGION entity of the knowledge base, or when it is a short form that several
    divisions share (吉林: 吉林省 or 吉林市).
    """
    region = region.strip()
    full = _full_or_none(region)
    names = {region} | ({full} if full else set())
    ids = {
        row[0]
        for row in conn.execute(
            f"select id from entities where type = 'REGION' and name in ({','.join('?' * len(names))})", sorted(names)
        )
    }
    ids |= {
        row[0]
        for row in conn.execute(
            "select e.id from aliases a join entities e on e.id = a.entity_id where e.type = 'REGION' and a.alias = ?",
            [region],
        )
    }
    if full is None and not ids:
        shared = sorted(e.name for e in _shorts().get(region, ()) if e.level in UPPER_LEVELS)
        if len(shared) > 1:
            raise RegionNotFound(region, shared, shared=True)
        raise RegionNotFound(region, near_names(region, conn))
    return full, ids


def entities_under(conn: sqlite3.Connection, region: str) -> set[int]:
    """Ids of the entities under ``region`` (a division's full name or short form, or a REGION
    entity's name): the region's own entity, every division below it by the gazetteer, and every
    entity LOCATED_IN any of those, following LOCATED_IN chains. Raises :class:`RegionNotFound`."""
    full, found = resolve_region(conn, region)
    if full:
        below = sorted(divisions_under(full))
        for start in range(0, len(below), 500):  # SQLite's limit on bound parameters
            part = below[start : start + 500]
            found |= {
                row[0]
                for row in conn.execute(
                    f"select id from entities where type = 'REGION' and name in ({','.join('?' * len(part))})", part
                )
            }
    inside: dict[int, set[int]] = defaultdict(set)
    for subject, obj in _located_in(conn):
        inside[obj].add(subject)
    todo = list(found)
    while todo:
        for subject in inside.get(todo.pop(), ()):
            if subject not in found:
                found.add(subject)
                todo.append(subject)
    return found


def places(conn: sqlite3.Connection) -> dict[int, tuple[str | None, str | None]]:
    """(province, city) by entity id, for every entity that is a division of the gazetteer or lies
    LOCATED_IN one (the nearest place its LOCATED_IN chain reaches). A division name with several
    readings takes the place its own LOCATED_IN gives, where the knowledge base has one."""
    outer: dict[int, list[int]] = defaultdict(list)
    for subject, obj in _located_in(conn):
        outer[subject].append(obj)
    own: dict[int, tuple[str | None, str | None]] = {}
    certain: set[int] = set()
    for entity_id, name in conn.execute("select id, name from entities where type = 'REGION'"):
        full = _full_or_none(name)
        if full:
            own[entity_id] = province_city(full)
            if len(_readings(full)) == 1:
                certain.add(entity_id)
    memo: dict[int, tuple[str | None, str | None] | None] = {}

    def place(entity_id: int, seen: frozenset[int]) -> tuple[str | None, str | None] | None:
        if entity_id in memo:
            return memo[entity_id]
        result = own.get(entity_id) if entity_id in certain else None
        if result is None:
            for obj in sorted(outer.get(entity_id, ())):
                if obj not in seen and (result := place(obj, seen | {entity_id})):
                    break
        if result is None and own.get(entity_id, (None, None)) != (None, None):
            result = own[entity_id]
        memo[entity_id] = result
        return result

    ids = set(own) | set(outer)
    return {entity_id: found for entity_id in sorted(ids) if (found := place(entity_id, frozenset()))}


def under_or_all(conn: sqlite3.Connection, region: str | None) -> set[int] | None:
    """:func:`entities_under` ``region``, or None (no filter) when ``region`` is None or empty."""
    return entities_under(conn, region) if region else None
