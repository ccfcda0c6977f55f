"""Normalise free text from SMS and WhatsApp before matching words in it."""

import functools
import re
import unicodedata
from collections.abc import Mapping

from intake import lexicon

# Letters or digits, or the two punctuation marks that carry meaning for triage.
_TOKEN = re.compile(r"[^\W_]+|[!?]")
# "anak2" is how people type the reduplicated plural "anak-anak" on a keypad.
_REDUPLICATED = re.compile(r"([^\W\d_]{2,})2")
_LETTERS_OR_DIGITS = re.compile(r"\d+|[^\W\d_]+")
# Three or more of the same letter is emphasis ("tolongggg"), never spelling.
_REPEATED = re.compile(r"([^\W\d_])\1{2,}")
# Enclitics that attach to any word, abbreviated or not ("ortunya", "bpkku").
_ENCLITICS = ("nya", "ku", "mu")
# Passive prefixes sometimes typed as a separate word: Indonesian "di", Manado "dapa".
_PREFIXES = ("di", "dapa")
# The enclitic people most often type as a word of its own ("suami nya").
_DETACHED_ENCLITIC = "nya"
# "smp" is both the junior high school (SMP) and "sampai" (until) typed short. It is the
# school after these words ("anak SMP", "guru smp", "tamatan SMP") or before a class or a
# number ("SMP kelas 2", "SMP 3"); otherwise "sampai" ("dari subuh smp malam").
_SMP = "smp"
_SCHOOL_BEFORE = frozenset(
    {
        "anak", "anaknya", "kelas", "guru", "murid", "siswa", "siswi", "tamatan", "tamat",
        "lulusan", "lulus", "sekolah", "di", "ke", "masuk", "naik", "pelajar", "anak anak",
        "kepala", "teman", "adik", "remaja", "usia", "umur", "seorang", "gadis", "putri",
    }
)  # fmt: skip
_SCHOOL_AFTER = frozenset({"kelas", "negeri", "n", "swasta", "itu", "tersebut", "terbuka"})


def fold(text: str) -> str:
    """Return ``text`` casefolded with accents and control characters removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(kept).casefold()


def raw_tokens(text: str) -> list[str]:
    """Split ``text`` into words, digits and ! or ?, keeping the original case."""
    out: list[str] = []
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text)):
        piece = match.group()
        redup = _REDUPLICATED.fullmatch(piece)
        if redup:
            out.extend((redup.group(1), redup.group(1)))
        elif piece in "!?":
            if not out or out[-1] != piece:
                out.append(piece)
        else:
            out.extend(_LETTERS_OR_DIGITS.findall(piece))
    return out


def tokens(text: str, abbreviations: Mapping[str, str] | None = None) -> list[str]:
    """Return the folded words of ``text`` with repeats collapsed and abbreviations expanded."""
    table = default_abbreviations() if abbreviations is None else abbreviations
    out: list[str] = []
    for token in raw_tokens(text):
        word = _REPEATED.sub(r"\1", fold(token))
        out.extend(_expand(word, table).split())
    return _join_detached(_time_of_day(_until_or_school(out)), passive_roots())


def _expand(word: str, table: Mapping[str, str]) -> str:
    """Return ``word`` with its abbreviation expanded, keeping an enclitic ("ortunya")."""
    if word in table:
        return table[word]
    for suffix in _ENCLITICS:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) > 1 and stem in table:
            return table[stem] + suffix
    return word


def normalise(text: str, abbreviations: Mapping[str, str] | None = None) -> str:
    """Return ``text`` as space-separated normalised tokens."""
    return " ".join(tokens(text, abbreviations))


def default_abbreviations() -> dict[str, str]:
    """Return the abbreviation table from the triage lexicon."""
    table: dict[str, str] = lexicon.load("triage")["abbreviations"]
    return table


@functools.cache
def passive_roots() -> frozenset[str]:
    """Return the verb roots whose passive prefix people often type apart ("di pukul")."""
    return frozenset(lexicon.load("triage")["passive"]["roots"])


def _join_detached(words: list[str], roots: frozenset[str]) -> list[str]:
    """Join a passive prefix or "nya" typed apart: "di kunci" -> "dikunci", "om nya" -> "omnya".

    Manado "dapa pukul" is the passive "dipukul" too. Only known verb roots join a prefix, so
    "di rumah" and "di Tulo" stay apart.
    """
    out: list[str] = []
    for word in words:
        previous = out[-1] if out else ""
        if word == _DETACHED_ENCLITIC and previous.isalpha() and previous not in _PREFIXES:
            out[-1] = previous + word
        elif previous in _PREFIXES and word in roots:
            out[-1] = "di" + word
        else:
            out.append(word)
    return out


def _until_or_school(words: list[str]) -> list[str]:
    """Rewrite "smp" to "sampai" where it cannot be the school ("smp malam", "smp paha")."""
    out = list(words)
    for i, word in enumerate(words):
        if word != _SMP:
            continue
        before = words[i - 1] if i > 0 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        school = before in _SCHOOL_BEFORE or before.isdigit()
        if not school and after not in _SCHOOL_AFTER and not after.isdigit():
            out[i] = "sampai"
    return out


def _time_of_day(words: list[str]) -> list[str]:
    """Rewrite "pukul 10" (o'clock) to "jam 10" so it never reads as hitting."""
    return [
        "jam" if word == "pukul" and i + 1 < len(words) and words[i + 1].isdigit() else word
        for i, word in enumerate(words)
    ]
