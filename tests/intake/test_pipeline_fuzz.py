"""Whatever a person sends, the webhook answers 200 with a reply of at most two SMS."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import seed_default_rules
from core.db import db
from core.demo import seed_demo
from tests.signing import Phone

_numbers = itertools.count(1000)
MESSAGES = st.one_of(
    st.text(max_size=1600),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=200),
    st.sampled_from(["LAPOR", "DARURAT", "BATAL", "STATUS", "STATUS 99", "OK", "1", "2", "ya"]),
    st.builds(
        lambda a, b: f"{a} {b}",
        st.sampled_from(["tolong", "lapor kdrt", "anak dijual", "desa Malino", "HELP"]),
        st.text(max_size=80),
    ),
)


@pytest.fixture
def demo(app):
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()


@pytest.mark.usefixtures("demo")
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=MESSAGES, second=MESSAGES)
def test_any_text_gets_a_short_reply(poster, first, second):
    phone = Phone(poster, f"+62808{next(_numbers):08d}")
    for text in (first, second):
        reply = phone.say(text)
        assert 0 < len(reply) <= 320, reply
