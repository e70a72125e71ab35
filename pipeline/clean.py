"""Stage 3, clean: undo the damage of PDF copying and OCR, and split the text into paragraphs.

What it does, in order: splits lines (each with its offset map); sets aside photo credits,
sponsor lines and datelines (finding the publication date there); drops noise lines; removes
spaces inside Chinese runs; rejoins lines and paragraphs broken mid-sentence; takes captions
printed between the two halves of a broken paragraph aside; names the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import offsets
from .document import Aside, Document, Paragraph
from .segmenter import segmenter

HAN = "\u4e00-\u9fff\u3400-\u4dbf"
CJK_PUNCT = "，。、；：！？“”‘’《》（）「」『』【】…—·"
# A space is OCR/PDF damage when it sits between two Han characters (or Chinese punctuation),
# or between Han and a digit/letter; spaces between Latin words or between numbers are kept.
INNER_SPACE = re.compile(
    rf"(?<=[{HAN}{CJK_PUNCT}])[ \t\u00a0]+(?=[{HAN}{CJK_PUNCT}A-Za-z0-9])"
    rf"|(?<=[A-Za-z0-9%])[ \t\u00a0]+(?=[{HAN}{CJK_PUNCT}])"
)
MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s+")
# Markup left in a text file. A comment ends at its first -->, taken atomically: allowed to run on to
# a later one, a line of n comments followed by anything else was tried cut 2^n ways (30 never
# finished). (A line such as "<!-- a --> b -->" is therefore no longer markup: b is text.)
MARKUP_LINE = re.compile(r"^\s*(?:(?><!--.*?-->)|</?[A-Za-z][^>]{0,200}>)+\s*$")
TERMINAL = set("。！？!?；;…")
CLOSERS = "”’」』)）》】\"' "
CONTINUATION_END = set("，、,的和与及在对把将为是了“《(—:：")

# Between two names: 、 or a space, with any white space around. Written so that a run of white space
# can be read one way only: as \s*[、 ]\s* a run of k spaces between each pair of names was tried
# split k ways each, k^n in all on a line that then did not match.
NAME_SEP = r"(?:\s*+、\s*+|[^\S ]*+ \s*+)"
PHOTO_CREDIT = re.compile(
    rf"^\s*(?:(?:记者|通讯员|摄影)\s*)?(?P<name>[{HAN}·]{{2,4}}(?:{NAME_SEP}[{HAN}·]{{2,4}})*)\s*/?\s*(?:摄|摄影|供图|图)\s*$"
    rf"|^\s*(?:摄影|图片|图|供图)\s*[:：/]\s*(?P<name2>[{HAN}·]{{2,4}}(?:{NAME_SEP}[{HAN}·]{{2,4}})*)\s*$"
)
# A sponsor's name holds no clause punctuation: "…举措，为高校毕业生就业提供支持。" is a sentence.
SPONSOR = re.compile(
    r"^\s*(?P<name>[^\s，。；！？,;!?][^，。；！？,;!?]{1,40}?)\s*(?:提供支持|提供赞助|赞助支持|鼎力支持|协办|冠名支持)\s*[。.]?\s*$"
)
# Each further name is taken atomically: 记者张三 reads as 记者 + 张三 or as one name, both ending at
# the same place (these three patterns give the matches of their plain forms on 200,000 random lines).
BYLINE = re.compile(
    rf"^\s*(?:本报讯|本刊讯|讯)\s*[(（]\s*(?:(?:记者|通讯员)\s*)?(?P<name>[{HAN}·]{{2,4}}"
    rf"(?:{NAME_SEP}(?>(?:(?:记者|通讯员)\s*)?[{HAN}·]{{2,4}}))*)\s*[)）]"
)
CREDIT_LINE = re.compile(
    r"^\s*(?:责任编辑|编辑|责编|编审|主编|审核|审校|校对|监制|撰稿|作者|文|来源|供稿|通讯员|记者)\s*[:：/]\s*(?P<name>.{1,40})$"
)
SOURCE_LINE = re.compile(r"^\s*(?:本版图文由|本版由|本文由|图文由)?\s*(?P<name>[^，。；！？]{2,30}?)\s*提供\s*$")
DATE = r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
DATELINE = re.compile(
    rf"^\s*(?:(?:发布时间|发布日期|日期|时间)\s*[:：]\s*)?(?P<source>[^\d\s]{{0,30}}?)\s*{DATE}\s*(?:来源\s*[:：].{{0,30}})?$"
)


@dataclass
class Line:
    """A line (later a paragraph) of working text with its offsets into the original."""

    text: str
    offsets: list[int]
    blank_before: bool = False
    heading: bool = False
    parts: int = 1  # how many source lines were joined into it

    def __len__(self) -> int:
        return len(self.text)


def split_lines(text: str, offs: list[int]) -> list[Line]:
    """Split text into non-empty lines, remembering whether a blank line preceded each."""
    lines: list[Line] = []
    pos, blank = 0, True
    for raw in text.split("\n"):
        end = pos + len(raw)
        if raw.strip():
            lines.append(Line(raw, offs[pos:end], blank_before=blank))
            blank = False
        else:
            blank = True
        pos = end + 1
    return lines


def strip_line(line: Line) -> Line:
    """Trim surrounding whitespace and a Markdown heading marker (which makes the line a heading)."""
    text, offs = line.text, line.offsets
    marker = MARKDOWN_HEADING.match(text)
    if marker:
        text, offs, line.heading = text[marker.end() :], offs[marker.end() :], True
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    line.text, line.offsets = text[start:end], offs[start:end]
    return line


def remove_inner_spaces(line: Line) -> Line:
    """``落 实`` → ``落实``: drop spaces inside Chinese runs, keep them between Latin words and numbers."""
    line.text, line.offsets = offsets.sub(line.text, line.offsets, INNER_SPACE, "")
    return line


def is_noise(text: str) -> bool:
    """A line of scattered OCR fragments (many one- or two-character pieces and no sentence
    punctuation), of symbols, or of markup left in a text file (``<!--repaste.body.begin-->``)."""
    if MARKUP_LINE.match(text):
        return True
    tokens = text.split()
    if any(ch in "，。；！？,;" for ch in text):
        return False
    if len(tokens) >= 5 and sum(len(t) <= 2 for t in tokens) / len(tokens) >= 0.6:
        return True
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(text) >= 4 and han / max(len(text.replace(" ", "")), 1) < 0.3 and not re.search(r"[A-Za-z]{3}", text)


def ends_sentence(text: str) -> bool:
    """True when the text ends a sentence (closing quotes and brackets after the stop are fine)."""
    stripped = text.rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


def word_crosses(left: str, right: str) -> bool:
    """True when a dictionary word spans the boundary between ``left`` and ``right`` (规范落|实 → 落实)."""
    if not left or not right or not ("\u4e00" <= left[-1] <= "\u9fff" and "\u4e00" <= right[0] <= "\u9fff"):
        return False
    window_left, window_right = left[-4:], right[:4]
    pos = 0
    # The extraction's dictionary outside any document's scope: jieba's and the domain words.
    for word in segmenter().cut(window_left + window_right, hmm=False):
        end = pos + len(word)
        if pos < len(window_left) < end and len(word) >= 2:
            return True
        pos = end
    return False


def continues(previous: Line, following: Line) -> bool:
    """Whether ``following`` carries on the sentence that ``previous`` left unfinished.

    Yes when a word spans the break (规范落|实), when ``previous`` ends on a comma, a function word or
    a number (20|家), when ``following`` starts with punctuation, or when both are body text (not
    headings) and ``previous`` stops on a Han character with no sentence-final punctuation.
    """
    if previous.heading or following.heading or ends_sentence(previous.text):
        return False
    last, first = previous.text[-1], following.text[0]
    if last in CONTINUATION_END or first in "，、。；：！？)”":
        return True
    if last.isdigit() and _is_han(first):
        return True
    if word_crosses(previous.text, following.text):
        return True
    # A body line (not a heading) cut after a Han character, followed by more body text: a
    # narrow column or a page break split the sentence.
    return (
        _is_han(last)
        and (_is_han(first) or first.isdigit())
        and not looks_like_heading(previous)
        and not looks_like_heading(following)
    )


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def join(a: Line, b: Line) -> Line:
    """Join two pieces of one paragraph; a space survives only between two Latin/digit characters."""
    glue = (
        " " if (a.text[-1].isascii() and a.text[-1].isalnum() and b.text[0].isascii() and b.text[0].isalnum()) else ""
    )
    anchor = [a.offsets[-1]] if glue else []
    return Line(a.text + glue + b.text, a.offsets + anchor + b.offsets, a.blank_before, False, a.parts + b.parts)


def rejoin(pieces: list[Line]) -> list[Line]:
    """Join each piece to the one before it when it continues that piece's sentence."""
    paragraphs: list[Line] = []
    for piece in pieces:
        if paragraphs and continues(paragraphs[-1], piece):
            paragraphs[-1] = join(paragraphs[-1], piece)
        else:
            paragraphs.append(piece)
    return paragraphs


def find_date(text: str) -> str | None:
    """An ISO date from a date expression, if it is a valid calendar date."""
    match = re.search(DATE, text)
    if not match:
        return None
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def classify_aside(line: Line, whole: bool = False) -> Aside | None:
    """Recognise a line that is not body text: photo credit, sponsor line, editor credit or dateline.

    ``whole`` says the line is a whole paragraph (after broken lines were rejoined).
    """
    text = line.text
    if len(text) > 60:
        return None
    start = line.offsets[0] if line.offsets else -1
    match = PHOTO_CREDIT.match(text)
    if match:
        return Aside("photo_credit", text, start, (match["name"] or match["name2"] or "").strip())
    match = SPONSOR.match(text)
    if match:
        return Aside("sponsor", text, start, match["name"].strip())
    match = CREDIT_LINE.match(text)
    if match:
        return Aside("credit", text, start, match["name"].strip())
    match = SOURCE_LINE.match(text) if whole else None
    if match:  # only on whole paragraphs: the second half of a broken line can look like one
        return Aside("credit", text, start, match["name"].strip())
    match = DATELINE.match(text)
    if match and find_date(text):
        return Aside("dateline", text, start, find_date(text) or "")
    return None


def looks_like_heading(line: Line) -> bool:
    """A short stand-alone line without sentence punctuation: a title or section heading."""
    return line.heading or (
        len(line.text) <= 32 and not ends_sentence(line.text) and not any(ch in "，。；" for ch in line.text)
    )


def take_captions(paragraphs: list[Line], asides: list[Aside]) -> list[Line]:
    """A short complete sentence printed between the halves of a broken paragraph is a caption."""
    result: list[Line] = []
    i = 0
    while i < len(paragraphs):
        current = paragraphs[i]
        one_sentence = current.text.endswith("。") and not any(ch in "。！？；" for ch in current.text[:-1])
        if (
            result
            and i + 1 < len(paragraphs)
            and len(current.text) <= 60
            and one_sentence
            and not result[-1].heading
            and continues(result[-1], paragraphs[i + 1])
        ):
            asides.append(Aside("caption", current.text, current.offsets[0] if current.offsets else -1))
            result[-1] = join(result[-1], paragraphs[i + 1])
            i += 2
            continue
        result.append(current)
        i += 1
    return result


def clean(doc: Document) -> Document:
    """Stage 3: fill ``doc.paragraphs``, ``doc.asides``, ``doc.title`` and ``doc.date`` from ``doc.text``."""
    pieces: list[Line] = []
    for line in split_lines(doc.text, doc.offsets):
        line = strip_line(line)
        if not line.text:
            continue
        aside = classify_aside(line)
        if aside:
            doc.asides.append(aside)
            if aside.kind == "dateline" and not doc.date:
                doc.date = aside.value
            continue
        if is_noise(line.text):
            doc.asides.append(Aside("noise", line.text, line.offsets[0]))
            continue
        pieces.append(remove_inner_spaces(line))

    # Rejoin again after captions are out: the caption may have stood between two halves.
    paragraphs = rejoin(take_captions(rejoin(pieces), doc.asides))

    kept: list[Line] = []
    for para in paragraphs:
        aside = classify_aside(para, whole=True)  # incl. credit lines that were broken in two
        if aside:
            doc.asides.append(aside)
            continue
        # A one- or two-character fragment that joins nothing is debris of the page layout.
        if len(para.text) <= 2 and para.parts == 1 and not ends_sentence(para.text):
            doc.asides.append(Aside("noise", para.text, para.offsets[0]))
            continue
        kept.append(para)

    for para in kept:
        byline = BYLINE.match(para.text)
        if byline:  # kept in the text (it names the reporter), and recorded as an aside too
            doc.asides.append(Aside("byline", byline.group(0), para.offsets[0], byline["name"]))

    doc.paragraphs = [
        Paragraph(
            idx=i,
            text=p.text,
            offsets=p.offsets,
            original=doc.original[p.offsets[0] : p.offsets[-1] + 1] if p.offsets else "",
            kind="heading" if looks_like_heading(p) else "body",
        )
        for i, p in enumerate(kept)
    ]
    first = doc.paragraphs[0].text if doc.paragraphs else ""
    doc.title = (
        first
        if len(first) <= 60 and not ends_sentence(first)
        else next((p.text for p in doc.paragraphs[:5] if p.kind == "heading"), first[:40])
    )
    if doc.date is None:
        doc.date = next(
            (find_date(p.text) for p in doc.paragraphs[:3] if len(p.text) <= 40 and find_date(p.text)), None
        )
    if not doc.paragraphs:
        doc.fail("no text left after cleaning")
    return doc
