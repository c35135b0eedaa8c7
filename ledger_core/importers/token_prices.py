"""Fast token pricing for bulk imports: per-model unit prices with identical Decimal results.

``pricing.price_tokens`` asks genai-prices for every distinct token tuple (~80 µs a miss); an
import of a large transcript corpus has tens of thousands of distinct tuples. genai-prices'
arithmetic is exact and linear inside one price tier (``price × tokens / 1e6`` per token kind,
summed in Decimal), so the unit price of each kind can be measured once per model, hour and
tier with ``price_tokens`` itself, and every request priced by multiply-and-add. The tier of
a request is chosen by its total input tokens, as billed (the whole request pays the
long-context rate once it crosses the threshold). Models whose thresholds cannot be read
fall back to ``price_tokens``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..models import Tokens
from ..pricing import PRICE_TABLE_VERSION, TokenPrice, price_tokens, provider_for

_KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
_UNPRICED = TokenPrice(cost_usd=Decimal(0), unpriced=True, price_version=PRICE_TABLE_VERSION)


def _thresholds(model: str) -> tuple[tuple[int, ...], bool] | None:
    """Input-token thresholds where the model's price tier changes, and whether its prices
    change over time; None if that cannot be read."""
    try:
        from genai_prices import data_snapshot, types

        snapshot = data_snapshot.get_snapshot()
        try:
            _, info = snapshot.find_provider_model(model, None, provider_for(model), None)
        except LookupError:
            _, info = snapshot.find_provider_model(model, None, None, None)
        prices = [info.prices] if isinstance(info.prices, types.ModelPrice) else [p.prices for p in info.prices]
        starts: set[int] = set()
        for price in prices:
            for value in vars(price).values():
                if isinstance(value, types.TieredPrices):
                    starts.update(tier.start for tier in value.tiers)
        return tuple(sorted(starts)), not isinstance(info.prices, types.ModelPrice)
    except LookupError:
        return (), False
    except Exception:  # a changed genai-prices internal layout: stay exact, go slow
        return None


class TokenPricer:
    """Prices requests of many models; create one per import."""

    def __init__(self) -> None:
        self._thresholds: dict[str, tuple[tuple[int, ...], bool] | None] = {}
        self._units: dict[tuple[str, datetime | None, int], tuple[TokenPrice, tuple[Decimal, ...]] | None] = {}

    def price(self, model: str | None, tokens: Tokens, at: datetime | None = None) -> TokenPrice:
        if not model or model in ("<synthetic>", "unknown"):
            return _UNPRICED
        if model not in self._thresholds:
            self._thresholds[model] = _thresholds(model)
        known = self._thresholds[model]
        if known is None:
            return price_tokens(model, tokens, at)
        thresholds, dated = known
        # Prices fixed over time are measured once; dated ones per hour, as price_tokens keys them.
        hour = None if at is None or not dated else at.replace(minute=0, second=0, microsecond=0)
        total_input = tokens.input + tokens.cache_write_5m + tokens.cache_write_1h + tokens.cache_read
        tier = sum(1 for start in thresholds if total_input > start)
        key = (model, hour, tier)
        if key not in self._units:
            self._units[key] = self._measure(model, hour, thresholds[tier - 1] + 1 if tier else 0)
        units = self._units[key]
        if units is None:
            return price_tokens(model, tokens, at)
        base, per_token = units
        if base.unpriced:
            return base
        counts = (tokens.input, tokens.output, tokens.cache_write_5m, tokens.cache_write_1h, tokens.cache_read)
        cost = sum((unit * count for unit, count in zip(per_token, counts, strict=True) if count), Decimal(0))
        return base.model_copy(update={"cost_usd": cost})

    @staticmethod
    def _measure(model: str, at: datetime | None, padding: int) -> tuple[TokenPrice, tuple[Decimal, ...]] | None:
        # The padding puts the probe in the tier; one more token of a kind gives its unit price.
        pad = Tokens(cache_read=padding)
        base = price_tokens(model, pad, at)
        if base.unpriced:
            return base, ()
        units = []
        for kind in _KINDS:
            probe = price_tokens(model, pad.model_copy(update={kind: getattr(pad, kind) + 1}), at)
            units.append(probe.cost_usd - base.cost_usd)
        return base.model_copy(update={"cost_usd": Decimal(0)}), tuple(units)
