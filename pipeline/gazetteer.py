"""The administrative-divisions gazetteer: every province, city, county and town with its short form
and parents, loaded once from ``models/lexicons/ent_regions.txt``.

A leaf of the pipeline: the REGION recognizer, resolution, near-duplicate checks and the store's
place names (``kb.regions``) all read it here, without loading the extraction stage.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .resources import ResourceMissing, models_dir, words

REGION_LEXICON = models_dir() / "lexicons" / "ent_regions.txt"


def _lex_lines(path: Path) -> list[str]:
    """The entries of a word list (no blank lines, no # comments); a missing list is an error."""
    if not path.exists():
        raise ResourceMissing(f"word list missing: {path} (reinstall cluster-kb, or run from a full checkout)")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


REGION_SUFFIXES = words("ent_region_suffixes.txt")  # the first that a name ends in is taken
# Ethnic words inside 自治区/自治州/自治县 names, to get the short form (广西壮族自治区 -> 广西).
_ETHNIC = re.compile(r"(?:[\u4e00-\u9fff]{1,5}?族)+$")


def short_form(name: str) -> str:
    """The short form of an administrative name (常州市 -> 常州, 广西壮族自治区 -> 广西), or ''."""
    for suf in REGION_SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            core = name[: -len(suf)]
            if suf.startswith("自治") or suf == "特别行政区":
                # Keep at least two characters of place name before the ethnic words.
                core = core[:2] + _ETHNIC.sub("", core[2:])
            if suf == "新区" and len(core) < 2:
                return ""
            return core if len(core) >= 2 else ""
    return ""


def build_region_lexicon(src_dir: str | Path, out_path: str | Path = REGION_LEXICON) -> int:
    """Build the REGION gazetteer from the admin-divisions CSVs (modood/Administrative-divisions-of-China).

    Writes ``name<TAB>level<TAB>short<TAB>parent`` lines: level is province/city/county/town,
    short the name without its suffix (used only where context supports it), parent the name of
    the unit above (several joined by | when the same name occurs in several places).
    Towns are kept only when they are 镇/乡/街道 (farms, parks and offices are not settlements).
    Returns the number of lines written.
    """
    src = Path(src_dir)

    def rows(name: str) -> list[dict]:
        with open(src / name, encoding="utf-8") as f:
            return list(csv.DictReader(f))

    provinces = {r["code"]: r["name"] for r in rows("provinces.csv")}
    cities = {}
    for r in rows("cities.csv"):
        n = r["name"]
        # 市辖区 / 县 / 省直辖县级行政区划 are placeholders, not names: the province is the city.
        cities[r["code"]] = provinces[r["provinceCode"]] if n in ("市辖区", "县") or "直辖" in n else n
    areas = {}
    entries: dict[str, dict] = {}

    def put(name: str, level: str, parent: str) -> None:
        if len(name) < 2 or "直辖" in name or name in ("市辖区",):
            return
        e = entries.setdefault(name, {"level": level, "parents": []})
        if parent and parent not in e["parents"] and parent != name:
            e["parents"].append(parent)

    for _code, n in provinces.items():
        put(n, "province", "")
    for r in rows("cities.csv"):
        put(cities[r["code"]], "city", provinces[r["provinceCode"]])
    for r in rows("areas.csv"):
        areas[r["code"]] = r["name"]
        put(r["name"], "county", cities.get(r["cityCode"], ""))
    for r in rows("streets.csv"):
        n = r["name"]
        if n.endswith("街道办事处"):
            n = n[:-3]
        if not re.search(r"(镇|乡|街道)$", n) or len(n) < 3:
            continue
        put(n, "town", areas.get(r["areaCode"], ""))

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("# REGION gazetteer built by `python -m pipeline.extract.entities build-regions` from\n")
        f.write(
            "# modood/Administrative-divisions-of-China dist/{provinces,cities,areas,streets}.csv (NBS 2023, WTFPL).\n"
        )
        f.write("# name<TAB>level<TAB>short form<TAB>parent(s)\n")
        for name in sorted(
            entries, key=lambda n: (["province", "city", "county", "town"].index(entries[n]["level"]), n)
        ):
            e = entries[name]
            f.write(f"{name}\t{e['level']}\t{short_form(name)}\t{'|'.join(e['parents'][:3])}\n")
    return len(entries)


@dataclass
class RegionEntry:
    name: str
    level: str
    short: str
    parents: tuple[str, ...]


@lru_cache(maxsize=1)
def region_lexicon() -> dict[str, RegionEntry]:
    """Full name -> RegionEntry, loaded once from ent_regions.txt."""
    out: dict[str, RegionEntry] = {}
    for line in _lex_lines(REGION_LEXICON):
        parts = line.split("\t")
        while len(parts) < 4:
            parts.append("")
        name, level, short, parents = parts[:4]
        out[name] = RegionEntry(name, level, short, tuple(p for p in parents.split("|") if p))
    return out


@lru_cache(maxsize=1)
def region_shorts() -> dict[str, list[RegionEntry]]:
    """Short form -> the entries it may stand for."""
    out: dict[str, list[RegionEntry]] = {}
    for e in region_lexicon().values():
        if e.short:
            out.setdefault(e.short, []).append(e)
    return out
