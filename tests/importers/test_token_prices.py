"""The importers' fast pricer gives exactly the Decimal that ``pricing.price_tokens`` gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_core.importers.token_prices import TokenPricer
from ledger_core.models import Tokens
from ledger_core.pricing import price_tokens

PRICER = TokenPricer()
MODELS = ["claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "gpt-5.3-codex", "gemini-2.5-pro", "no-such-model"]
counts = st.integers(0, 400_000)


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(MODELS), i=counts, o=counts, w5=counts, w1=counts, r=counts,
       at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)))
def test_fast_pricer_is_identical_to_price_tokens(model, i, o, w5, w1, r, at):
    tokens = Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=r)
    fast, slow = PRICER.price(model, tokens, at), price_tokens(model, tokens, at)
    assert (fast.cost_usd, fast.unpriced) == (slow.cost_usd, slow.unpriced)


def test_long_context_tier_bills_the_whole_request():
    small = PRICER.price("claude-sonnet-4-5-20250929", Tokens(input=200_000))
    large = PRICER.price("claude-sonnet-4-5-20250929", Tokens(input=200_001))
    assert small.cost_usd == Decimal("0.6") and large.cost_usd == Decimal("1.200006")  # $3/M, then all at $6/M


def test_prices_that_change_on_a_date_are_measured_per_period():
    # claude-opus-4-6 has a price that starts on a UTC date: requests on either side of it, in
    # any zone and in any order, get what price_tokens gives for that very moment.
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    pricer = TokenPricer()
    tokens = Tokens(input=1200, output=800, cache_write_5m=3000, cache_write_1h=500, cache_read=90_000)
    start = datetime(2026, 3, 12, 20, tzinfo=UTC)
    moments = [start + timedelta(hours=h) for h in range(0, 40, 3)]
    moments += [m.astimezone(ZoneInfo(zone)) for m in moments for zone in ("America/Los_Angeles", "Asia/Tokyo")]
    for at in reversed(moments):
        fast, slow = pricer.price("claude-opus-4-6", tokens, at), price_tokens("claude-opus-4-6", tokens, at)
        assert (fast.cost_usd, fast.unpriced, fast.price_version) == (slow.cost_usd, slow.unpriced, slow.price_version), at
