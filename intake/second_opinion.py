"""A statistical second opinion on triage, trained on the invented labelled sets in data/triage.

Two logistic regressions (scikit-learn) read the same features of a message: the words and
word pairs of its normalised text (intake.text) and the letter groups inside its words (which
carry over between spellings: "dipukul", "dapa pukul", "pukulin"). One says the category, the
other how likely a writer would call the message darurat. The rules' own findings are not
among the features: tried, the model learnt to copy the rules (they fit the sets they were
tuned on), and on a writer neither had seen it added nothing (docs/TRIAGE.md).

Nothing is downloaded or unpickled: the first call trains on the sets data/triage/sets.toml
lists, deterministically, in about two seconds of CPU (a third of it importing scikit-learn),
and keeps the result for the process; intake.pipeline.warm_up does it before the first
request. A prediction is a few hundred dictionary look-ups and one product with the weight
matrix (numpy), about 0.3 ms; scikit-learn is needed only to train.
"""

from __future__ import annotations

import importlib
import itertools
import json
import math
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
from numpy.typing import NDArray

from intake.text import tokens
from models import Category, Priority

DATA = Path(__file__).resolve().parents[1] / "data" / "triage"
SETS = DATA / "sets.toml"

#: Letter groups of these lengths are read inside each word (with its edges marked).
_CHAR_SIZES = (3, 4, 5)
#: A feature seen in fewer training messages than this is not learnt from.
_MIN_MESSAGES = 2
#: The weight of each block of features once each block is scaled to length one.
_BLOCKS = {"w": 1.0, "c": 1.0}
#: Inverse regularisation strength of both regressions (chosen by leave-one-writer-out).
_C = 4.0
#: Digits longer than this are phone numbers or amounts: read as one token.
_LONG_DIGITS = 3
_SEED = 0


@dataclass(frozen=True, slots=True)
class Opinion:
    """What the model says of one message."""

    category: Category
    #: The probability of each category.
    categories: Mapping[Category, float]
    #: The probability that a writer would call the message darurat.
    darurat: float
    #: The features that raised the darurat probability most, for staff.
    darurat_cues: tuple[str, ...]

    def category_p(self) -> float:
        """Return the probability of the category said."""
        return self.categories[self.category]


def features(words: Sequence[str]) -> dict[str, list[str]]:
    """Return the features of a normalised message, by block: words and letter groups."""
    kept = [w if not (w.isdigit() and len(w) > _LONG_DIGITS) else "#" for w in words]
    out_w = [f"w:{w}" for w in kept]
    out_w += [f"w:{a} {b}" for a, b in itertools.pairwise(kept)]
    out_c: list[str] = []
    for word in kept:
        if word.isdigit() or word in ("!", "?", "#"):
            continue
        padded = f" {word} "
        for size in _CHAR_SIZES:
            out_c += [f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1)]
    return {"w": out_w, "c": out_c}


@dataclass(frozen=True, slots=True, eq=False)
class Model:
    """The learnt weights: each feature's row, idf and weights (one a category, then danger)."""

    rows: Mapping[str, int]
    #: The feature of each row.
    names: tuple[str, ...]
    idf: NDArray[numpy.float64]
    #: One row a feature: its weight for each category (in ``categories`` order), then for
    #: danger.
    weights: NDArray[numpy.float64]
    #: The same for the intercepts.
    bias: NDArray[numpy.float64]
    categories: tuple[Category, ...]

    def opinion(self, blocks: Mapping[str, list[str]]) -> Opinion:
        """Return the model's opinion of a message given its features."""
        found: list[int] = []
        values: list[float] = []
        words = 0
        for block, names in blocks.items():
            counts = Counter(n for n in names if n in self.rows)
            rows = [self.rows[n] for n in counts]
            tf = numpy.log(numpy.fromiter(counts.values(), float, len(rows))) + 1
            block_values = tf * self.idf[rows] if rows else tf
            norm = float(numpy.sqrt(block_values @ block_values)) if rows else 0.0
            if norm == 0:
                continue
            found += rows
            values += (block_values * (_BLOCKS.get(block, 1.0) / norm)).tolist()
            if block == "w":
                words = len(rows)
        vector = numpy.array(values)
        scores = self.bias + (vector @ self.weights[found] if found else 0.0)
        by_category = scores[:-1] - scores[:-1].max()
        exps = numpy.exp(by_category)
        probabilities = dict(zip(self.categories, (exps / exps.sum()).tolist(), strict=True))
        best = max(self.categories, key=lambda c: probabilities[c])
        # The word features that raised the danger most, for staff.
        pushes = vector[:words] * self.weights[found[:words], -1] if words else vector[:0]
        order = [int(i) for i in numpy.argsort(-pushes, kind="stable") if pushes[i] > 0]
        cues = _readable(self.names[found[i]] for i in order)
        return Opinion(best, probabilities, _sigmoid(float(scores[-1])), cues)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def _readable(names: Iterable[str], most: int = 3) -> tuple[str, ...]:
    """Return the first few words or word pairs among feature names (letter groups skipped)."""
    out: list[str] = []
    for name in names:
        if name.startswith("w:") and name[2:] not in out:
            out.append(name[2:])
        if len(out) == most:
            break
    return tuple(out)


def _vector(blocks: Mapping[str, list[str]], idf: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for block, names in blocks.items():
        counts = Counter(n for n in names if n in idf)
        values = {n: (1 + math.log(c)) * idf[n] for n, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        if norm == 0:
            continue
        scale = _BLOCKS.get(block, 1.0) / norm
        out.update((n, v * scale) for n, v in values.items())
    return out


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled message, ready to learn from: its features and the writer's labels."""

    blocks: Mapping[str, list[str]]
    category: str
    priority: str


def examples(rows: Iterable[Mapping[str, Any]]) -> list[Example]:
    """Return labelled messages as the model learns from them."""
    return [
        Example(features(tokens(str(row["text"]))), str(row["category"]), str(row["priority"]))
        for row in rows
    ]


def train(examples: Sequence[Example], c: float = _C) -> Model:
    """Return a model fitted to ``examples``, the same for the same examples."""
    linear_model = importlib.import_module("sklearn.linear_model")
    sparse = importlib.import_module("scipy.sparse")
    n = len(examples)
    df: Counter[str] = Counter()
    for example in examples:
        df.update({name for names in example.blocks.values() for name in names})
    idf = {
        name: math.log((1 + n) / (1 + count)) + 1
        for name, count in sorted(df.items())
        if count >= _MIN_MESSAGES
    }
    names = list(idf)
    column = {name: j for j, name in enumerate(names)}
    values: list[float] = []
    columns: list[int] = []
    starts = [0]
    for example in examples:
        for name, value in _vector(example.blocks, idf).items():
            columns.append(column[name])
            values.append(value)
        starts.append(len(columns))
    matrix = sparse.csr_matrix(
        (
            numpy.array(values),
            numpy.array(columns, dtype=numpy.int32),
            numpy.array(starts, dtype=numpy.int32),
        ),
        shape=(n, len(names)),
    )
    categories = tuple(Category)
    labels = [categories.index(Category(e.category)) for e in examples]
    by_category = _regression(linear_model, c).fit(matrix, labels)
    # Every category is in the sets; one missing from them would never be said.
    known = [categories[int(k)] for k in by_category.classes_]
    coef = numpy.asarray(by_category.coef_, dtype=float)
    bias = numpy.asarray(by_category.intercept_, dtype=float)
    if len(known) == 2:
        # Two categories give one row (for the second); half of it each way is the same odds.
        coef = numpy.vstack([-coef[0] / 2, coef[0] / 2])
        bias = numpy.array([-bias[0] / 2, bias[0] / 2])
    weights = numpy.zeros((len(names), len(categories) + 1))
    intercepts = numpy.full(len(categories) + 1, -1e9)
    for k, category in enumerate(known):
        weights[:, categories.index(category)] = coef[k]
        intercepts[categories.index(category)] = bias[k]
    darurat = [int(e.priority == Priority.DARURAT) for e in examples]
    by_danger = _regression(linear_model, c).fit(matrix, darurat)
    weights[:, -1] = by_danger.coef_[0]
    intercepts[-1] = float(by_danger.intercept_[0])
    return Model(
        rows=column,
        names=tuple(names),
        idf=numpy.array([idf[name] for name in names]),
        weights=weights,
        bias=intercepts,
        categories=categories,
    )


def _regression(linear_model: Any, c: float) -> Any:
    """Return an unfitted logistic regression: classes weighted by their rarity, so that the
    few darurat messages count as much as the many others; Newton steps (exact, no chance)."""
    return linear_model.LogisticRegression(
        C=c,
        solver="newton-cg",
        tol=1e-3,
        max_iter=200,
        class_weight="balanced",
        random_state=_SEED,
    )


def training_sets(path: Path = SETS) -> dict[str, list[Path]]:
    """Return the files of each writer's set named in sets.toml, and the always-trained ones.

    The always-trained sets come under the key "" (they are never held out).
    """
    listed = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {name: [path.parent / file] for name, file in listed["writers"].items()}
    out[""] = [path.parent / file for files in listed["always"].values() for file in files]
    return out


def read_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Return the labelled messages of JSON Lines files."""
    rows: list[dict[str, Any]] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows
