"""Case references a person can type on a keypad and read aloud over the phone."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

#: Of each group misread on a small screen or in handwriting (0/O/Q, 1/I/L, 2/Z, 5/S, 8/B,
#: U/V) none is used, and of 6/G only 6. No vowels either, so that a reference never spells a
#: word (some would be rude, and a word on a victim's phone draws more eyes than a code).
ALPHABET = "34679CDFHJKMNPRTWXY"
LENGTH = 6
#: 19**6 is about 47 million references; a draw that is taken is drawn again, and ten taken
#: draws in a row mean the space is nearly full (time for LENGTH = 7), not bad luck.
ATTEMPTS = 10

_SEPARATORS = re.compile(r"[\s\-./]+")


def new_reference() -> str:
    """Draw a random reference; neighbouring cases share nothing guessable."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def unique_reference(is_taken: Callable[[str], bool], attempts: int = ATTEMPTS) -> str:
    """Draw references until one is not taken."""
    for _ in range(attempts):
        reference = new_reference()
        if not is_taken(reference):
            return reference
    raise ReferenceSpaceExhausted(f"{attempts} references in a row were taken")


class ReferenceSpaceExhausted(RuntimeError):
    """Every draw collided: the reference space is close to full."""


def normalise(typed: str) -> str:
    """Turn what someone typed ("k7m 4q2", "K7M-4Q2") into the stored form."""
    return _SEPARATORS.sub("", typed).upper()


def is_well_formed(reference: str) -> bool:
    """Say whether a normalised reference could have been issued by new_reference."""
    return len(reference) == LENGTH and all(c in ALPHABET for c in reference)
