"""The call's rules applied to what people type: hypothesis for the answer parser and the amount checks."""

import datetime

from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from incubateur.programmes.models import Question, QuestionType
from incubateur.programmes.rules import amount_problems, clean_answer

TYPES = list(QuestionType.values)
TYPED = st.one_of(
    st.text(max_size=400),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.sampled_from(["https://beta.gouv.fr", "http://x", "javascript:alert(1)", "1 000 €", "12,5", "oui"]),
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(TYPES), raw=TYPED)
def test_an_answer_is_typed_or_refused_with_a_message_never_an_exception(kind, raw):
    question = Question(key="q", label="Q", type=kind, choices=["oui", "non"])
    try:
        value = clean_answer(question, raw)
    except ValidationError as error:
        assert error.messages and all(isinstance(m, str) and m for m in error.messages)
        return
    if value is None:
        assert not raw.strip()
    elif kind == QuestionType.MONEY:
        assert isinstance(value, int) and 0 <= value <= 10**12
    elif kind == QuestionType.DATE:
        datetime.date.fromisoformat(value)
    elif kind in (QuestionType.URL, QuestionType.FILE_LINK):
        assert value.startswith(("https://", "http://"))
    elif kind == QuestionType.CHOICE:
        assert value in ("oui", "non")


AMOUNTS = st.integers(min_value=0, max_value=5_000_000)
OPTIONAL = st.one_of(st.none(), AMOUNTS)


@settings(max_examples=300, deadline=None)
@given(
    amount=AMOUNTS,
    cap=OPTIONAL,
    share=st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
    budget=OPTIONAL,
    envelope=OPTIONAL,
    granted=AMOUNTS,
)
def test_a_grant_is_refused_exactly_when_a_limit_is_overflown(amount, cap, share, budget, envelope, granted):
    problems = amount_problems(
        amount=amount, cap=cap, share=share, stated_budget=budget, envelope=envelope, granted_so_far=granted
    )
    over_cap = cap is not None and amount > cap
    over_share = share is not None and amount > 0 and (budget is None or amount > budget * share // 100)
    over_envelope = envelope is not None and granted + amount > envelope
    assert bool(problems) == (over_cap or over_share or over_envelope)
    messages = problems.get("amount", [])
    assert len(messages) == over_cap + over_share + over_envelope
    assert all("€" in message or "budget" in message for message in messages)
