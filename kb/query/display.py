"""displaCy rendering of a stored document with its entity mentions highlighted (``kb show --html``).

spaCy's displacy is used in manual mode: the stored paragraphs and mention offsets are handed to
it as ``{"text", "ents"}``, so no model is loaded. displacy escapes the text it is given; the title
it does not, so the title is escaped here.
"""

from __future__ import annotations

import html
from typing import Any

from .graph import connect, rows

# One colour per ontology type (the same as the map's, lightened for a text background).
COLORS = {
    "ENTERPRISE": "#aec7e8",
    "PARTY_ORG": "#ff9896",
    "GOV_ORG": "#ffbb78",
    "ALLIANCE": "#c5b0d5",
    "INSTITUTION": "#9edae5",
    "REGION": "#98df8a",
    "ZONE": "#c49c94",
    "PERSON": "#f7b6d2",
    "INDUSTRY": "#dbdb8d",
}


def find_document(db: Any, document: int | str) -> dict | None:
    """A document by id, source path, file name or sha256 prefix (as ``kb show`` finds it)."""
    conn = connect(db)
    key = str(document).strip()
    queries: list[tuple[str, list[int | str]]] = (
        [("select * from documents where id = ?", [int(key)])] if key.isdigit() else []
    )
    queries += [
        ("select * from documents where source = ?", [key]),
        ("select * from documents where source like ? order by id", [f"%/{key}"]),
        ("select * from documents where source like ? order by id", [f"%{key}%"]),
        ("select * from documents where sha256 like ? order by id", [f"{key}%"]),
    ]
    for sql, params in queries:
        found = rows(conn, sql + " limit 1", params)
        if found:
            return found[0]
    return None


def document_spans(db: Any, document_id: int) -> tuple[str, list[dict]]:
    """The document's paragraphs joined by newlines, and its mentions as non-overlapping
    ``{"start", "end", "label"}`` spans on that text (longest first where two overlap)."""
    conn = connect(db)
    paragraphs = rows(conn, "select id, text from paragraphs where document_id = ? order by idx", [document_id])
    offsets, parts, position = {}, [], 0
    for para in paragraphs:
        offsets[para["id"]] = position
        parts.append(para["text"])
        position += len(para["text"]) + 1
    spans = []
    for mention in rows(
        conn,
        """select m.paragraph_id, m.start, m."end", e.type from mentions m
                                 join entities e on e.id = m.entity_id where m.document_id = ?""",
        [document_id],
    ):
        base = offsets.get(mention["paragraph_id"])
        if base is None or mention["start"] is None or mention["end"] is None:
            continue  # a mention in an aside (byline, credit): not part of the paragraph text
        spans.append({"start": base + mention["start"], "end": base + mention["end"], "label": mention["type"]})
    spans.sort(key=lambda s: (s["start"], -(s["end"] - s["start"])))
    kept: list[dict] = []
    for span in spans:
        if not kept or span["start"] >= kept[-1]["end"]:
            kept.append(span)
    return "\n".join(parts), kept


def render_document(store_or_db: Any, document_id: int | str, page: bool = True) -> str:
    """HTML of the document with its entities highlighted by type (displacy, manual mode).

    ``document_id`` is an id or anything :func:`find_document` accepts; raises LookupError when
    no document matches. ``page=False`` gives the markup without the surrounding page.
    """
    from spacy import displacy

    doc = find_document(store_or_db, document_id)
    if doc is None:
        raise LookupError(f"no document matches {document_id!r}")
    text, spans = document_spans(store_or_db, doc["id"])
    title = html.escape(doc["title"] or doc["source"] or f"document {doc['id']}")
    markup = displacy.render(
        {"text": text, "ents": spans, "title": title},
        style="ent",
        manual=True,
        page=page,
        jupyter=False,
        options={"colors": COLORS, "ents": list(COLORS)},
    )
    if page:
        markup = markup.replace("<title>displaCy</title>", f"<title>{title}</title>", 1)
        markup = markup.replace('<html lang="en">', '<html lang="zh">', 1)
        markup = markup.replace("<head>", '<head>\n<meta charset="utf-8">', 1)
    return markup
