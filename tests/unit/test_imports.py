"""The import graph of the project's packages (issue #20): no cycles, the runtime apart from training.

The graph is read from the source with ``ast``, not by importing: every ``import`` and
``from ... import`` of a project module counts, at any depth of the file (an import inside a function
is still a dependency), relative imports resolved.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pipeline", "kb")

#: The training tools: they build the models the runtime loads, and nothing at runtime imports them.
TRAINING_PACKAGE = "pipeline.training"
TRAINING = {
    "pipeline.training.ner_data",
    "pipeline.training.ner_train",
    "pipeline.training.entity_crf",
    "pipeline.training.clusters",
    "pipeline.training.relation_model",
    "pipeline.training.dedup_calibration",
}
#: Evaluation: scores against gold and annotated data (``kb eval``); may read the training corpora.
EVALUATION = {"kb.evaluate", "kb.ner_eval", "kb.extraction", "pipeline.annotations"}


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported_names(module: str, path: Path, node: ast.AST) -> list[str]:
    """Candidate dotted names an import statement brings in (the module and module.attribute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from the module's package, one level up per extra dot
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
    else:
        base = []
    stem = ".".join(base + ([node.module] if node.module else []))
    return [stem] + [f"{stem}.{alias.name}" for alias in node.names]


def import_graph() -> nx.DiGraph:
    """Module -> project module it imports (directly, anywhere in the file)."""
    modules = project_modules()
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported_names(module, path, node):
                # importing a.b.c runs the packages a and a.b first
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    target = ".".join(parts[:i])
                    if target in modules and target != module and not module.startswith(target + "."):
                        graph.add_edge(module, target, line=node.lineno)
    return graph


def _describe(graph: nx.DiGraph, cycle: list[str]) -> str:
    steps = zip(cycle, cycle[1:] + cycle[:1], strict=False)
    return " -> ".join(f"{a} (line {graph.edges[a, b]['line']})" for a, b in steps) + f" -> {cycle[0]}"


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert graph.has_edge("kb.cli", "kb.ingest")  # kb/cli.py imports .ingest inside the ingest command
    assert graph.has_edge("kb.store.writer", "kb.schema")  # from .. import schema
    assert len(graph) > 40


def test_no_import_cycles():
    graph = import_graph()
    cycles = sorted(_describe(graph, c) for c in nx.simple_cycles(graph))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_runtime_never_imports_training():
    graph = import_graph()
    present = {m for m in graph if m == TRAINING_PACKAGE or m.startswith(TRAINING_PACKAGE + ".")}
    assert TRAINING <= present, f"training modules missing: {sorted(TRAINING - present)}"
    runtime = set(graph) - present - EVALUATION
    bad = sorted(
        f"{a} imports {b} (line {graph.edges[a, b]['line']})"
        for a in runtime
        for b in graph.successors(a)
        if b in present
    )
    assert not bad, "runtime modules importing training ones:\n" + "\n".join(bad)


def test_the_schema_knows_nothing_of_the_pipeline_and_the_store_nothing_of_training():
    """The store (and the near-duplicate index) reach no stage of the pipeline, only its data
    contract: the Document, the dedup arithmetic and the shared leaves (the gazetteer, the ontology's
    names, relative names, resources). Importing the store does not load the extraction stage."""
    graph = import_graph()
    assert not [m for m in nx.descendants(graph, "kb.schema") if m.startswith("pipeline")]
    leaves = {
        "pipeline",
        "pipeline.document",
        "pipeline.dedup",
        "pipeline.gazetteer",
        "pipeline.ontology",
        "pipeline.relative_names",
        "pipeline.resources",
    }
    for module in ("kb.store", "kb.corpus_index", "kb.regions"):
        reached = nx.descendants(graph, module)
        stages = sorted(m for m in reached if m.startswith("pipeline") and m not in leaves)
        assert not stages, f"{module} reaches pipeline stages: {stages}"
        bad = sorted(m for m in reached if m in EVALUATION or m.startswith(TRAINING_PACKAGE))
        assert not bad, f"{module} reaches training or evaluation modules: {bad}"


def test_every_module_says_what_it_is_for():
    """A module docstring on every module of the packages (issue #20): a newcomer reads one line."""
    missing = sorted(
        name for name, path in project_modules().items() if not ast.get_docstring(ast.parse(path.read_text()))
    )
    assert not missing, f"modules without a docstring: {missing}"


# --- the architecture diagram in README.md ("Architecture"), made from this import graph -----------

#: Modules grouped by what they are for (first match wins; a prefix covers its submodules).
GROUPS = [
    ("cli", "kb.cli"),
    ("web", "kb.web"),
    ("review", "kb.annotation_io"),
    ("evaluation", "kb.evaluate"),
    ("evaluation", "kb.ner_eval"),
    ("evaluation", "kb.extraction"),
    ("ingest", "kb.ingest"),
    ("ingest", "kb.engines"),
    ("store", "kb.store"),
    ("store", "kb.schema"),
    ("store", "kb.corpus_index"),
    ("store", "kb.views"),
    ("store", "kb.corrections"),
    ("queries", "kb.query"),
    ("places, dates", "kb.regions"),
    ("places, dates", "kb.dates"),
    ("places, dates", "kb.connection"),
    ("training", "pipeline.training"),
    ("training", "pipeline.annotations"),
    ("stages", "pipeline.stages"),
    ("read", "pipeline.read"),
    ("read", "pipeline.records"),
    ("read", "pipeline.pdf"),
    ("read", "pipeline.ocr"),
    ("read", "pipeline.layout"),
    ("normalize, clean", "pipeline.normalize"),
    ("normalize, clean", "pipeline.clean"),
    ("normalize, clean", "pipeline.offsets"),
    ("dedup", "pipeline.dedup"),
    ("Document", "pipeline.document"),
    ("Document", "pipeline.resources"),
    ("Document", "pipeline.genre"),
    ("Document", "pipeline.relative_names"),
    ("Document", "pipeline.gazetteer"),
    ("Document", "pipeline.ontology"),
    ("Document", "pipeline.segmenter"),
    ("extract", "pipeline"),
]


def _group(module: str) -> str | None:
    for name, prefix in GROUPS:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def architecture_mermaid() -> str:
    """The import graph of the groups (a Mermaid flowchart), each arrow "imports", reduced to the
    arrows not implied by others (transitive reduction)."""
    graph, files = import_graph(), project_modules()
    groups = nx.DiGraph()
    members: dict[str, list[str]] = {}
    for module in graph:
        name = _group(module)
        if name and module not in PACKAGES:
            members.setdefault(name, []).append(module)
            groups.add_node(name)
    for a, b in graph.edges:
        ga, gb = _group(a), _group(b)
        if ga and gb and ga != gb and a not in PACKAGES and b not in PACKAGES:
            groups.add_edge(ga, gb)
    reduced = nx.transitive_reduction(groups)
    ids = {name: f"g{i}" for i, name in enumerate(sorted(groups))}
    lines = ["flowchart TD"]
    for name in sorted(groups):
        by_package: dict[str, set[str]] = {}
        for module in members[name]:
            package, _, rest = module.partition(".")
            is_package = files[module].name == "__init__.py"
            by_package.setdefault(package, set()).add(rest.split(".")[0] + "/" if "." in rest or is_package else rest)
        where = "<br/>".join(f"{p}/: {', '.join(sorted(names))}" for p, names in sorted(by_package.items()))
        lines.append(f'    {ids[name]}["<b>{name}</b><br/>{where}"]')
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in sorted(reduced.edges)]
    return "\n".join(lines)


def test_the_groups_import_each_other_without_cycles():
    graph = import_graph()
    groups = nx.DiGraph((_group(a), _group(b)) for a, b in graph.edges if _group(a) != _group(b) and a not in PACKAGES)
    assert nx.is_directed_acyclic_graph(groups), list(nx.simple_cycles(groups))
    assert all(_group(m) for m in graph if m not in PACKAGES)  # every module belongs to a group


def test_the_readme_diagram_is_the_import_graph():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + architecture_mermaid() + "\n```" in readme, (
        "README's architecture diagram is out of date: python tests/unit/test_imports.py prints the new one"
    )


if __name__ == "__main__":
    print(architecture_mermaid())
