"""``python -m pipeline.extract.entities``: build the region gazetteer, or tag a text."""

from __future__ import annotations

import sys

from ...gazetteer import REGION_LEXICON, build_region_lexicon
from . import recognize


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.extract.entities build-regions [SRC_DIR] [OUT]`` or ``... tag TEXT``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "build-regions":
        src = argv[1] if len(argv) > 1 else "/work/shared/data/admin_divisions_cn"
        out = argv[2] if len(argv) > 2 else str(REGION_LEXICON)
        n = build_region_lexicon(src, out)
        print(f"wrote {n} region names to {out}")
        return 0
    if argv and argv[0] == "tag":
        text = " ".join(argv[1:])
        for s in recognize(text):
            print(f"{s.start}\t{s.end}\t{s.type}\t{s.text}\t{s.source}")
        return 0
    print(main.__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
