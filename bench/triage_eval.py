"""Measure triage on every labelled set and write docs/TRIAGE.md (`make eval`).

Run: .venv/bin/python bench/triage_eval.py [--misses SET] [--no-write]

`--misses SET` prints the messages of one set that triage gets wrong, for tuning. The newest
blind round is the measure of how triage generalises: its misses are not printed unless
`--final` is given too, so that nobody tunes on it by accident.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.evaluation import (  # noqa: E402  (the repo root is added to the path above)
    CATEGORIES,
    PRIORITIES,
    Scores,
    confusion,
    evaluate,
    load,
    location_of,
    table,
)
from intake.places import Gazetteer  # noqa: E402
from intake.triage import triage_afresh  # noqa: E402

WILAYAH = ROOT / "data" / "wilayah"
BLIND = ROOT / "tests" / "fixtures" / "triage" / "blind"
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
DOC = ROOT / "docs" / "TRIAGE.md"
#: The blind rounds, oldest first; the last is the one the targets are judged on.
ROUNDS = ["round1", "round2", "round3", "round4"]
#: The rounds whose messages were read while the rules were tuned.
TUNED_ON = ["round1", "round2", "round3"]
#: Sets written earlier, all read while tuning (the suite has long held them to the targets).
EARLIER = ["reports", "heldout", "blind", "blind2", "blind3", "blind4"]


#: What the figures alone do not say: how the blind round was used, and what it showed.
NOTES = """
## Notes on the blind measure

- Round 4 was looked at once, after the rules were frozen: the figures above are blind, and no
  rule was changed after them. Its texts and its misses were never printed; before the freeze
  only its size, label counts, voice tags and a scan for phone numbers were looked at.
- The rules were tuned on rounds 1-3 by the class of message behind each round-3 miss, with
  invented examples of each class in tests/intake/test_triage_classes.py: suicidal intent said
  indirectly (a farewell, pills gathered, a letter for the children); fuel, fire and boiling
  water as weapons; a witness hearing violence as it happens; kept in the house by a husband,
  held and beaten, held in a hotel room; a minor on a boat or at a port towards promised work;
  a girl gone with her phone off; taken by force into a car; the one writing afraid of what he
  will do; grooming, bathroom filming and "hal yang tidak boleh" as sexual abuse; a child
  chained or neglected as the child's case; a boyfriend's violence as kdrt; the older party's
  age not making the victim an adult; "smp" as "sampai"; the "-ku" possessive; "BC" as a
  broadcast; a sponsor asking for children's papers as recruitment, not a scam.
- Round 4 misses the targets as widely as round 3 did when it was blind, and the tuning on
  round 3 barely moved it: the rules as they were before this round (commit 4502eb3) score on
  round 4 category 79.3%, darurat recall 55.6% (20 of 36), precision 62.5%, two relayed hoaxes
  darurat; the frozen rules 79.3%, 58.3% (21 of 36), 63.6%, two. (Round 3 went from 82.9%,
  68.4%, 66.7% blind to 96.4%, 100%, 82.6% tuned.) Each writer's phrasing is learnt; each new
  writer brings new phrasings. Rules have plateaued as a way to generalise.
- "Chain darurat" counts relayed messages, hoaxes and scams triage calls darurat when the
  writer did not: round 3 holds a relayed report the writer checked and labelled darurat, which
  is a report, not a hoax.
- The labels disagree between writers on where darurat begins (a girl held at a workplace for
  weeks, a child's abuse found out last night, a woman choked last night now safe): no set of
  rules meets 100% recall and 80% precision on every round.
- Next: a small statistical second opinion (word and word-group features, trained at build time
  on the invented corpora, its share named in `reasons`), chosen before round 5 is written and
  judged blind on round 5; round 4 can then be tuned on.
"""


def _sets() -> list[tuple[str, Path]]:
    out = [(name, BLIND / f"{name}.jsonl") for name in ROUNDS]
    out += [(f"corpus/{name}", CORPUS / f"{name}.jsonl") for name in EARLIER]
    return [(name, path) for name, path in out if path.exists()]


def _median_ms(texts: list[str], rounds: int = 5) -> tuple[float, int, float, float]:
    """Return triage's median wall and CPU time per message with the whole country's places."""
    start = time.perf_counter()
    country = Gazetteer.from_csv_dir(WILAYAH)
    load_s = time.perf_counter() - start
    triage_afresh(texts[0], country)
    timings, cpu = [], []
    for _ in range(rounds):
        for text in texts:
            t0, c0 = time.perf_counter(), time.thread_time()
            triage_afresh(text, country)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
    return statistics.median(timings), len(country), load_s, statistics.median(cpu)


def _summary_row(scores: Scores) -> str:
    f = scores.figures
    tuned = "yes" if scores.name in TUNED_ON or scores.name.startswith("corpus/") else "**no**"
    chain = f"{int(f['chain_darurat'])}/{int(f['chains'])}"
    return (
        f"| {scores.name} | {scores.size} | {tuned} | {f['category']:.1%} | {f['priority']:.1%} "
        f"| {f['victim']:.1%} | {f['darurat_recall']:.1%} | {f['darurat_precision']:.1%} "
        f"| {f['village']:.1%} ({int(f['villages'])}) "
        f"| {f['ambiguous_open']:.0%} ({int(f['ambiguous'])}) "
        f"| {f['no_place_kept_empty']:.0%} ({int(f['no_place'])}) | {chain} |"
    )


def _section(scores: Scores) -> list[str]:
    f = scores.figures
    misses = scores.misses()
    verdict = "meets every target" if not misses else "misses: " + "; ".join(misses)
    lines = [f"### {scores.name} ({scores.size} messages): {verdict}", ""]
    lines += [*table(scores, "category", CATEGORIES), ""]
    lines += [*table(scores, "priority", PRIORITIES), ""]
    lines += ["Category confusion (rows: the writer's label; columns: what triage said):", ""]
    lines += [*confusion(scores, "category", CATEGORIES), ""]
    lines += ["Priority confusion:", ""]
    lines += [*confusion(scores, "priority", PRIORITIES), ""]
    lines.append(
        f"Places: village exact {f['village']:.1%} of {int(f['villages'])}; ambiguous left open "
        f"with candidates {f['ambiguous_open']:.0%} of {int(f['ambiguous'])}; no village in "
        f"the province and none given {f['no_place_kept_empty']:.0%} of {int(f['no_place'])}; "
        f"chain messages, hoaxes and scams said darurat: {int(f['chain_darurat'])} of "
        f"{int(f['chains'])}."
    )
    return [*lines, ""]


def _document(all_scores: list[Scores], speed: tuple[float, int, float, float] | None) -> str:
    newest = next((s for s in reversed(all_scores) if s.name in ROUNDS), None)
    lines = [
        "# Triage, measured",
        "",
        "Generated by `make eval` (bench/triage_eval.py); edit the script, not this file.",
        "",
        "## Method",
        "",
        "The blind rounds in tests/fixtures/triage/blind/ were written by people shown only a",
        "brief (the categories, priorities and victims, a sentence each) and the gazetteer,",
        "never the lexicon, the code or the tests (see the README there). The rules in",
        "intake/lexicon/*.toml and intake/triage.py were",
        f"tuned on {', '.join(TUNED_ON)} and on the earlier corpora in tests/fixtures/corpus/.",
        f"The newest round ({ROUNDS[-1]}) was not read while tuning: its figures are blind.",
        "",
        "Targets on the newest round: category >= 90%; darurat recall 100% and precision >= 80%;",
        "village exact >= 90%; every ambiguous place left open with candidates; chain messages",
        "never darurat; triage median < 5 ms with the whole country's gazetteer.",
        "",
    ]
    if newest is not None:
        misses = newest.misses()
        lines += [
            "## Verdict on the newest round",
            "",
            f"{newest.name}: "
            + ("every target met." if not misses else "targets missed: " + "; ".join(misses)),
            "",
        ]
    if speed is not None:
        median, places, load_s, cpu = speed
        verdict = "meets" if min(median, cpu) < 5 else "MISSES"
        lines += [
            f"Speed: triage median {median:.2f} ms a message (wall), {cpu:.2f} ms of CPU, with "
            f"the whole country's gazetteer ({places} places, built in {load_s:.1f} s), over "
            f"every message of every set: {verdict} the 5 ms target. (On a machine shared with "
            "other work the wall time includes waiting for it; bench/triage.py gives both.)",
            "",
        ]
    lines += [
        "## Summary",
        "",
        "Village: exact code where the writer named one (count); ambiguous: left open with",
        "candidates; no place: the writer gave none and triage named no village either; chain:",
        "chain messages, hoaxes and scams said darurat, of those in the set.",
        "",
        "| set | n | tuned on | category | priority | victim | darurat recall "
        "| darurat precision | village | ambiguous | no place | chain darurat |",
        "|---" * 12 + "|",
    ]
    lines += [_summary_row(s) for s in all_scores]
    lines += ["", NOTES.strip(), "", "## Per set", ""]
    for scores in all_scores:
        lines += _section(scores)
    return "\n".join(lines).rstrip() + "\n"


def _print_misses(scores: Scores) -> None:
    for o in scores.outcomes:
        row, r = o.row, o.result
        wrong = []
        if row["category"] != r.category:
            wrong.append(f"cat {row['category']}->{r.category}")
        if row["priority"] != r.priority:
            wrong.append(f"pri {row['priority']}->{r.priority}")
        if row["victim"] != r.victim:
            wrong.append(f"vic {row['victim']}->{r.victim}")
        if row["location"] != location_of(r):
            wrong.append(f"loc {row['location']}->{location_of(r)}")
        if wrong:
            print(f"[{row.get('voice', '')}] {'; '.join(wrong)}\n    {row['text']}")
            print(f"    reasons: {list(r.reasons)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", help="print the messages of this set triage gets wrong")
    parser.add_argument("--final", action="store_true", help="allow --misses on the newest round")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/TRIAGE.md")
    parser.add_argument("--no-speed", action="store_true", help="skip the timing")
    parser.add_argument(
        "--tuning",
        action="store_true",
        help="leave the newest round out entirely (no figures, no document): for tuning",
    )
    args = parser.parse_args()
    sulteng = Gazetteer.from_csv_dir(WILAYAH, provinces={"72"})
    sets = [(n, p) for n, p in _sets() if not (args.tuning and n == ROUNDS[-1])]
    all_scores = [evaluate(name, load(path), sulteng) for name, path in sets]
    for scores in all_scores:
        f = scores.figures
        print(
            f"{scores.name:<16} n={scores.size:<4} category {f['category']:.1%}  "
            f"priority {f['priority']:.1%}  darurat R {f['darurat_recall']:.1%} "
            f"P {f['darurat_precision']:.1%}  village {f['village']:.1%}  "
            f"ambiguous {f['ambiguous_open']:.0%}  chain darurat {int(f['chain_darurat'])}"
        )
    if args.misses:
        if args.misses == ROUNDS[-1] and not args.final:
            print(f"{args.misses} is the blind round: its misses are shown only with --final")
            return 2
        chosen = [s for s in all_scores if s.name == args.misses]
        for scores in chosen:
            _print_misses(scores)
    speed = None
    if not args.no_speed:
        texts = [o.row["text"] for s in all_scores for o in s.outcomes]
        speed = _median_ms(texts)
        print(
            f"triage median {speed[0]:.2f} ms wall, {speed[3]:.2f} ms CPU, "
            "with the whole country's gazetteer"
        )
    if not args.no_write and not args.tuning:
        DOC.write_text(_document(all_scores, speed), encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
