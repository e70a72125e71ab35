"""The statistical entity recognizer: a HanLP character BiLSTM-CRF, one layer of the extraction stage.

The model is trained by ``pipeline.training.ner_train`` (``make train``) and committed in ``models/ner/``;
loading it needs no network. ``ModelRecognizer`` wraps it as a recognizer layer (``text ->
list[Span]``) that predicts whole documents in batches and caches the result per paragraph, so the
two passes of ``recognize_document`` cost one forward pass.

A user with a downloaded HanLP model (any NER component ``hanlp.load`` accepts, e.g. a path to
``MSRA_NER_BERT_BASE_ZH`` unpacked offline) can use it instead: ``KB_NER_MODEL=/path kb ingest ...``
or ``ModelRecognizer(path)``. Its labels are mapped onto ours by ``map_label``. ``KB_NER_MODEL=off``
turns the layer off (rules only).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .document import Span
from .ner_labels import MODEL_TYPES, location_type, org_type, split_sentences, tags_to_spans
from .normalize import fold_width
from .resources import models_dir

MODEL_DIR = models_dir() / "ner"
MAX_SENTENCE = 150  # characters per model input; paragraphs are cut at sentence ends first
CONFIDENCE = 0.5  # for models that give no confidence of their own


def fix_crf(model) -> None:
    """HanLP's ``RNNTaggingModel`` builds ``CRF(n_out, crf_constraints)``, so ``crf_constraints=None``
    lands in the ``batch_first`` slot. The emissions are batch-first, so the CRF then decodes along
    the wrong axis and scores 0%. Set it right (idempotent)."""
    crf = getattr(model, "crf", None)
    if crf is not None:
        crf.batch_first = True


@lru_cache(maxsize=1)
def recognizer_class() -> type:
    """HanLP's ``RNNNamedEntityRecognizer`` with the CRF ``batch_first`` fix applied on build and load.

    Built on first use, so that importing this module does not import torch; ``hanlp.load`` finds it
    as ``pipeline.ner_model.BiLSTMCRFRecognizer`` (the classpath in a saved config.json) through the
    module ``__getattr__`` below.
    """
    import torch
    from hanlp.components.ner.rnn_ner import RNNNamedEntityRecognizer
    from hanlp.components.taggers.rnn_tagger import RNNTagger

    class BiLSTMCRFRecognizer(RNNNamedEntityRecognizer):
        __doc__ = recognizer_class.__doc__

        initial_vectors: dict | None = None  # set by the trainer: character vectors to start from

        def build_model(self, **kwargs):
            model = super().build_model(**kwargs)
            fix_crf(model)
            if self.initial_vectors and isinstance(getattr(model, "embed", None), torch.nn.Embedding):
                init_embedding(model.embed, self.vocabs[self.config.token_key].idx_to_token, self.initial_vectors)
            return model

        def predict_data(self, data, batch_size, **kwargs):
            # HanLP raises on an ill-formed tag sequence (I- after O); read such chunks leniently.
            outputs = RNNTagger.predict_data(self, data, batch_size)
            return [
                [("".join(tokens[b:e]), t, b, e) for b, e, t in tags_to_spans(tags)]
                for tokens, tags in zip(data, outputs, strict=False)
            ]

    BiLSTMCRFRecognizer.__module__ = __name__
    return BiLSTMCRFRecognizer


def init_embedding(embedding, tokens: list[str], vectors: dict[str, list[float]]) -> int:
    """Copy pretrained vectors into an embedding's rows (scaled to its init range); returns rows set."""
    import torch

    weight = embedding.weight.data
    found = [(i, vectors[t]) for i, t in enumerate(tokens) if t in vectors and i != embedding.padding_idx]
    if not found:
        return 0
    matrix = torch.tensor([v for _, v in found], dtype=weight.dtype)
    matrix = matrix / matrix.std() * weight.std()
    for row, (i, _) in enumerate(found):
        weight[i] = matrix[row]
    return len(found)


def __getattr__(name: str):
    if name == "BiLSTMCRFRecognizer":
        return recognizer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Labels other NER models use, onto ours; organisation labels are typed by head word.
_PERSON = {"PERSON", "PER", "NR", "name", "PER.NAM", "NAME"}
_LOCATION = {"LOCATION", "LOC", "NS", "GPE", "address", "GPE.NAM", "LOC.NAM"}
_ORG = {"ORGANIZATION", "ORG", "NT", "organization", "ORG.NAM"}


def map_label(label: str, surface: str) -> str | None:
    """Our entity type for a model label (ours pass through; MSRA/OntoNotes/CLUENER style are mapped)."""
    if label in MODEL_TYPES:
        return label
    if label in _PERSON:
        return "PERSON"
    if label in _LOCATION:
        return location_type(surface)
    if label in _ORG:
        return org_type(surface)
    if label == "company":
        return org_type(surface, "ENTERPRISE")
    if label == "government":
        return org_type(surface, "GOV_ORG")
    return None


_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def load_model(path: str):
    """Load a HanLP NER component from a local directory, offline, on the CPU."""
    p = Path(path)
    if not (p / "config.json").is_file():
        raise FileNotFoundError(
            f"no NER model at {p} (config.json missing): run `make train`, or set KB_NER_MODEL to a "
            f"HanLP model directory"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import hanlp

    with _LOAD_LOCK:
        component = hanlp.load(str(p), devices=-1, verbose=False)  # -1: CPU
    fix_crf(getattr(component, "model", None))
    return component


def crf_marginals(emissions, crf, mask=None):
    """Per-token tag probabilities under a linear-chain CRF (forward-backward, batched).

    ``emissions`` is (batch, length, tags), or (length, tags) for one sentence; ``mask`` marks the
    real tokens (batch, length). Returns probabilities of the same shape as ``emissions``.
    """
    import torch

    single = emissions.dim() == 2
    if single:
        emissions = emissions[None]
    real = None if mask is None else mask.numpy()
    probs = torch.from_numpy(_marginals(emissions.detach().numpy(), _crf_weights(crf), real).astype(np.float32))
    return probs[0] if single else probs


def _crf_weights(crf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(transitions, start, end) scores of a CRF layer as float32 arrays."""
    return tuple(w.detach().numpy() for w in (crf.transitions, crf.start_transitions, crf.end_transitions))


def _marginals(emissions: np.ndarray, weights, real: np.ndarray | None) -> np.ndarray:
    """Forward-backward in probability space with every step renormalized, in float64: one small
    matrix product per character instead of a log-sum-exp over a (batch, tags, tags) tensor
    (5-7x faster), and exact to 1e-7 where float32 log space drifted by up to 3e-3."""
    trans, start, end = (w.astype(np.float64) for w in weights)
    n_batch, length, n_tags = emissions.shape
    if real is None:
        real = np.ones((n_batch, length), dtype=bool)
    emit = emissions.astype(np.float64)
    emit = np.exp(emit - emit.max(axis=2, keepdims=True))  # a per-character scale cancels out
    forward_step = np.exp(trans - trans.max())
    backward_step = forward_step.T.copy()
    last = np.exp(end - end.max())
    alpha, beta = np.empty_like(emit), np.empty_like(emit)
    a = np.exp(start - start.max()) * emit[:, 0]
    alpha[:, 0] = a = a / a.sum(axis=1, keepdims=True)
    for t in range(1, length):
        a = (a @ forward_step) * emit[:, t]
        alpha[:, t] = a = a / a.sum(axis=1, keepdims=True)
    b = np.broadcast_to(last, (n_batch, n_tags))
    beta[:, length - 1] = b
    for t in range(length - 2, -1, -1):
        step = (emit[:, t + 1] * b) @ backward_step
        # Past a sentence's end, its last real token sees only the end transition.
        beta[:, t] = b = np.where(real[:, t + 1, None], step / step.sum(axis=1, keepdims=True), last)
    probs = alpha * beta
    return probs / probs.sum(axis=2, keepdims=True)


def crf_predict(component, sentences: list[list[str]], batch_size: int) -> list[list[tuple]]:
    """Viterbi chunks of a BiLSTM-CRF with a confidence each: the lowest marginal probability, over
    the chunk's characters, of the tag the decoder chose (near 1 when the model has no doubt)."""
    import torch

    vocab, tags = component.vocabs["token"], component.vocabs["tag"].idx_to_token
    unk = vocab.unk_idx if vocab.unk_idx is not None else 1
    model = component.model
    model.eval()
    out: list[list[tuple]] = [[] for _ in sentences]
    order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))  # packing wants longest first
    with torch.inference_mode():  # no autograd bookkeeping at all (no_grad still tracks versions)
        for at in range(0, len(order), batch_size):
            idx = [i for i in order[at : at + batch_size] if sentences[i]]
            if not idx:
                continue
            width = max(len(sentences[i]) for i in idx)
            x = torch.zeros(len(idx), width, dtype=torch.long)
            for row, i in enumerate(idx):
                ids = [vocab.token_to_idx.get(c, unk) for c in sentences[i]]
                x[row, : len(ids)] = torch.tensor(ids)
            emissions, mask = model(x)
            paths = model.crf.decode(emissions, mask)
            marginals = _marginals(emissions.numpy(), _crf_weights(model.crf), mask.numpy())
            for row, i in enumerate(idx):
                n = len(sentences[i])
                path = list(paths[row])[:n]
                chosen = marginals[row, np.arange(n), path]
                labels = [tags[k] for k in path]
                for b, e, label in tags_to_spans(labels):
                    confidence = float(chosen[b:e].min())
                    out[i].append(("".join(sentences[i][b:e]), label, b, e, round(confidence, 4)))
    return out


OFF = {"off", "none", "0", "false"}


def default_model_path() -> Path | None:
    """``KB_NER_MODEL`` if set (``off`` turns the layer off: rules only), else ``models/ner``."""
    value = os.environ.get("KB_NER_MODEL", "").strip()
    if value.lower() in OFF:
        return None
    return Path(value or MODEL_DIR)


EDGE_PUNCT = set("，。、；：！？“”‘’《》（）()「」『』【】[]…—,.;:!?\"' \t\n·-/|~～")
OPENING, CLOSING = "（(《「『【[“‘", "）)》」』】]”’"


def trim_span(text: str, b: int, e: int) -> tuple[int, int]:
    """Cut a predicted span back to a name: no punctuation at its edges, no bracket left unclosed
    (聂云） -> 聂云, 博瓦德（henrikbogvad -> 博瓦德)."""
    while b < e and text[b] in EDGE_PUNCT:
        b += 1
    while e > b and text[e - 1] in EDGE_PUNCT:
        e -= 1
    for i in range(b, e):
        if (
            text[i] in OPENING
            and OPENING.index(text[i]) < len(CLOSING)
            and CLOSING[OPENING.index(text[i])] not in text[i:e]
        ):
            return trim_span(text, b, i) if i > b else (b, b)
        if text[i] in CLOSING and OPENING[CLOSING.index(text[i])] not in text[b:i]:
            return trim_span(text, i + 1, e)
    return b, e


class ModelRecognizer:
    """A recognizer layer around a HanLP sequence labeller.

    ``prepare(texts)`` predicts many paragraphs in one batched call; ``__call__(text)`` returns the
    spans of one paragraph (from the cache when prepared). Offsets index into ``text``. A span's
    ``confidence`` is the lowest CRF marginal probability of its tags (``crf_predict``); which
    spans to merge with the rules is ``extract.entities.model_layer.ModelLayer``'s decision.
    """

    name = "model"
    fills_gaps = True  # merged after the rules: a model span is kept only where no rule span lies

    def __init__(self, path: str | os.PathLike | None = None, batch_size: int = 64, cache_size: int = 4096):
        self.path = Path(path) if path is not None else None
        self.batch_size = batch_size
        # text -> its entities as (start, end, type, confidence)
        self._cache: OrderedDict[str, list[tuple[int, int, str, float]]] = OrderedDict()
        self._cache_size = cache_size

    @property
    def enabled(self) -> bool:
        """False when ``KB_NER_MODEL=off`` and no path was given: the layer then finds nothing."""
        return self.path is not None or default_model_path() is not None

    @property
    def component(self):
        return load_model(str(self.path or default_model_path()))

    def prepare(self, texts: Iterable[str]) -> None:
        """Predict every paragraph not yet cached, in batches."""
        if not self.enabled:
            return
        todo = [t for t in dict.fromkeys(texts) if t and t not in self._cache]
        if not todo:
            return
        pieces: list[tuple[int, int, str]] = []  # (text index, offset, sentence)
        for i, text in enumerate(todo):
            for off, sent in split_sentences(text, MAX_SENTENCE):
                pieces.append((i, off, sent))
        found: list[list[tuple[int, int, str, float]]] = [[] for _ in todo]
        inputs = [list(sent) for _, _, sent in pieces]
        outputs = self._predict(inputs) if inputs else []
        for (i, off, sent), ents in zip(pieces, outputs, strict=False):
            for _surface, label, b, e, confidence in ents:
                b, e = trim_span(sent, b, e)
                t = map_label(label, sent[b:e]) if e > b else None
                if t:
                    found[i].append((off + b, off + e, t, confidence))
        for text, spans in zip(todo, found, strict=False):
            self._cache[text] = spans
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _predict(self, inputs: list[list[str]]) -> list[list[tuple]]:
        """``(surface, label, begin, end, confidence)`` per sentence."""
        component = self.component
        # The model reads text as it was trained: widths folded as the normalize stage folds them (one
        # character for one, so offsets hold), whitespace (out of its vocabulary) as a neutral comma.
        tokens = []
        for chars in inputs:
            folded, _ = fold_width("".join(chars), [])
            tokens.append([c if c.strip() else "，" for c in (folded if len(folded) == len(chars) else chars)])
        if getattr(getattr(component, "model", None), "crf", None) is not None and "token" in component.vocabs:
            return crf_predict(component, tokens, self.batch_size)
        out = component.predict(tokens, batch_size=self.batch_size)  # another HanLP model: no confidences
        return [[(*e[:4], CONFIDENCE) for e in ents] for ents in out]

    def __call__(self, text: str) -> list[Span]:
        if not text or not self.enabled:
            return []
        if text not in self._cache:
            self.prepare([text])
        return [Span(s, e, text[s:e], t, source=self.name, confidence=c) for s, e, t, c in self._cache.get(text, [])]
