"""Measure triage against labelled messages: the figures docs/TRIAGE.md and the targets use.

A labelled message is one JSON object a line with the keys ``text``, ``category``,
``priority``, ``victim``, ``location`` (a village code, null, or "AMBIGUOUS") and, in the blind
rounds, ``voice`` (how the writer meant it to sound: "manado", "en", "chain"...).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake import second_opinion
from intake.places import Gazetteer
from intake.triage import Reading, Triage, by_rules, decide, read, triage_afresh
from models import Category, Priority

#: How a message is triaged for a measure: the text and the gazetteer in, a Triage out.
Judge = Callable[[str, Gazetteer | None], Triage]

#: What the newest blind round must reach.
TARGETS = {
    "category": 0.90,
    "darurat_recall": 1.0,
    "darurat_precision": 0.80,
    "village": 0.90,
    "ambiguous_open": 1.0,
    "chain_darurat": 0,
}
AMBIGUOUS = "AMBIGUOUS"
# Voices of forwarded chain messages, hoaxes and scams, as the writers tagged them.
_CHAIN_VOICE = re.compile(r"chain|hoax|hoaks|forward|broadcast|\bbc\b|scam|berantai", re.I)


def load(path: str | Path) -> list[dict[str, Any]]:
    """Return the labelled messages of a JSON Lines file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def location_of(result: Triage) -> str | None:
    """Return the village code triage found, "AMBIGUOUS" when it left candidates, or None."""
    if result.location is not None:
        return result.location.code
    return AMBIGUOUS if result.location_candidates else None


def is_chain(row: dict[str, Any]) -> bool:
    """Return whether the writer tagged the message as a chain message, hoax or scam."""
    return bool(_CHAIN_VOICE.search(str(row.get("voice") or "")))


@dataclass(frozen=True, slots=True)
class Outcome:
    """One labelled message and what triage made of it."""

    row: dict[str, Any]
    result: Triage

    @property
    def location(self) -> str | None:
        return location_of(self.result)


@dataclass
class Scores:
    """The figures of one labelled set."""

    name: str
    outcomes: list[Outcome]
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.outcomes)

    def misses(self) -> list[str]:
        """Return the targets these figures miss, as short sentences."""
        out = []
        f = self.figures
        for key in ("category", "darurat_precision", "village"):
            if f[key] < TARGETS[key]:
                out.append(f"{key} {f[key]:.1%} < {TARGETS[key]:.0%}")
        for key in ("darurat_recall", "ambiguous_open"):
            if f[key] < TARGETS[key]:
                out.append(f"{key} {f[key]:.1%} < 100%")
        if f["chain_darurat"] > 0:
            out.append(f"{int(f['chain_darurat'])} chain message(s) darurat")
        return out


def evaluate(
    name: str,
    rows: Iterable[dict[str, Any]],
    gazetteer: Gazetteer | None,
    judge: Judge = triage_afresh,
) -> Scores:
    """Triage every message afresh (with ``judge``, by default triage itself) and compute the
    figures."""
    outcomes = [Outcome(row, judge(row["text"], gazetteer)) for row in rows]
    scores = Scores(name, outcomes)
    scores.figures = _figures(outcomes)
    return scores


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def _figures(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    category = sum(o.row["category"] == o.result.category for o in outcomes)
    priority = sum(o.row["priority"] == o.result.priority for o in outcomes)
    victim = sum(o.row["victim"] == o.result.victim for o in outcomes)
    p, r = precision_recall(
        [(o.row["priority"], str(o.result.priority)) for o in outcomes], Priority.DARURAT
    )
    villages = [o for o in outcomes if o.row["location"] not in (None, AMBIGUOUS)]
    ambiguous = [o for o in outcomes if o.row["location"] == AMBIGUOUS]
    none = [o for o in outcomes if o.row["location"] is None]
    chains = [o for o in outcomes if is_chain(o.row)]
    return {
        "category": _ratio(category, n),
        "priority": _ratio(priority, n),
        "victim": _ratio(victim, n),
        "darurat_precision": p,
        "darurat_recall": r,
        "village": _ratio(sum(o.location == o.row["location"] for o in villages), len(villages)),
        "villages": len(villages),
        "ambiguous_open": _ratio(sum(o.location == AMBIGUOUS for o in ambiguous), len(ambiguous)),
        "ambiguous": len(ambiguous),
        "no_place_kept_empty": _ratio(sum(o.result.location is None for o in none), len(none)),
        "no_place": len(none),
        "chains": len(chains),
        # A relayed message the writer still labelled darurat (checked and true) is a report,
        # not a hoax: only the others count against the rule.
        "chain_darurat": sum(
            o.result.priority is Priority.DARURAT and o.row["priority"] != Priority.DARURAT
            for o in chains
        ),
    }


def precision_recall(pairs: list[tuple[str, str]], label: str) -> tuple[float, float]:
    """Return the precision and recall of ``label`` over (truth, predicted) pairs."""
    said = [truth for truth, predicted in pairs if predicted == label]
    real = [predicted for truth, predicted in pairs if truth == label]
    return (
        _ratio(sum(t == label for t in said), len(said)),
        _ratio(sum(p == label for p in real), len(real)),
    )


def table(scores: Scores, key: str, labels: list[str]) -> list[str]:
    """Return Markdown rows of precision, recall and support per label of ``key``."""
    pairs = [(o.row[key], str(getattr(o.result, key))) for o in scores.outcomes]
    support = Counter(truth for truth, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    rows = [
        f"| {key} | precision | recall | in the set | said |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label in labels:
        p, r = precision_recall(pairs, label)
        shown_p = f"{p:.0%}" if predicted[label] else "-"
        shown_r = f"{r:.0%}" if support[label] else "-"
        rows.append(f"| {label} | {shown_p} | {shown_r} | {support[label]} | {predicted[label]} |")
    return rows


def confusion(scores: Scores, key: str, labels: list[str]) -> list[str]:
    """Return a Markdown confusion matrix: rows the label, columns what triage said."""
    counts = Counter((o.row[key], str(getattr(o.result, key))) for o in scores.outcomes)
    short = [label[:9] for label in labels]
    rows = ["| label \\ said | " + " | ".join(short) + " |", "|---" * (len(labels) + 1) + "|"]
    for truth in labels:
        cells = [str(counts[truth, said]) if counts[truth, said] else "." for said in labels]
        rows.append(f"| {truth} | " + " | ".join(cells) + " |")
    return rows


CATEGORIES = [str(c) for c in Category]
PRIORITIES = [str(p) for p in Priority]


_ROUND = re.compile(r"round(\d+)\.jsonl")


def blind_rounds(directory: Path) -> list[tuple[str, Path]]:
    """Return the rounds (roundN.jsonl) in ``directory``, oldest first: the last is the blind one.

    Adding round5.jsonl makes it the blind round and round4 a tuned one, with no code change.
    """
    found: list[tuple[int, Path]] = []
    for path in directory.glob("round*.jsonl"):
        match = _ROUND.fullmatch(path.name)
        if match is not None:
            found.append((int(match.group(1)), path))
    return [(path.stem, path) for _, path in sorted(found)]


def trained_on(path: Path, sets: Path = second_opinion.SETS) -> bool:
    """Return whether the second opinion trains on a file with the same messages as ``path``."""
    texts = {row["text"] for row in load(path)}
    listed = second_opinion.training_sets(sets)
    return any(
        texts and texts <= {row["text"] for row in load(file)}
        for files in listed.values()
        for file in files
    )


@dataclass
class HeldOut:
    """One writer's set held out: the rules' reading of each message, and the opinion of a
    model trained without that writer."""

    writer: str
    rows: list[dict[str, Any]]
    readings: list[Reading | None]
    opinions: list[second_opinion.Opinion | None]

    def rules(self) -> Scores:
        """Return the figures of the rules alone on the held-out set."""
        results = [Triage() if r is None else by_rules(r) for r in self.readings]
        return _scores(self.writer, self.rows, results)

    def combined(self, settings: Mapping[str, float] | None = None) -> Scores:
        """Return the figures of the rules and the model together (with these thresholds)."""
        results = [
            Triage() if r is None or o is None else decide(r, o, settings)
            for r, o in zip(self.readings, self.opinions, strict=True)
        ]
        return _scores(self.writer, self.rows, results)


def _scores(name: str, rows: list[dict[str, Any]], results: list[Triage]) -> Scores:
    outcomes = [Outcome(row, result) for row, result in zip(rows, results, strict=True)]
    return Scores(name, outcomes, _figures(outcomes))


def leave_one_writer_out(
    gazetteer: Gazetteer | None, sets: Path = second_opinion.SETS
) -> list[HeldOut]:
    """Hold out each writer's set in turn and train the second opinion on all the others (and
    on the always-trained sets): how triage does on a writer it has never seen."""
    listed = second_opinion.training_sets(sets)
    rows = {name: second_opinion.read_rows(files) for name, files in listed.items()}
    learnt = {name: second_opinion.examples(r) for name, r in rows.items()}
    out = []
    for writer in (name for name in listed if name):
        model = second_opinion.train(
            [e for name, ex in learnt.items() if name != writer for e in ex]
        )
        readings = [read(row["text"], gazetteer) for row in rows[writer]]
        opinions = [
            None if r is None else model.opinion(second_opinion.features(r.evidence.words))
            for r in readings
        ]
        out.append(HeldOut(writer, rows[writer], readings, opinions))
    return out
