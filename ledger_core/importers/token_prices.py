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

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..models import Tokens
from ..pricing import PRICE_TABLE_VERSION, TokenPrice, price_tokens, provider_for

_KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
_UNPRICED = TokenPrice(cost_usd=Decimal(0), unpriced=True, price_version=PRICE_TABLE_VERSION)


def _thresholds(model: str) -> tuple[tuple[int, ...], bool | tuple[date, ...]] | None:
    """Input-token thresholds where the model's price tier changes, and how its prices change
    over time: False if they do not, the UTC dates they change on if only dates decide, True
    if something else does; None if that cannot be read."""
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
        if isinstance(info.prices, types.ModelPrice):
            return tuple(sorted(starts)), False
        constraints = [p.constraint for p in info.prices]
        if all(c is None or isinstance(c, types.StartDateConstraint) for c in constraints):
            return tuple(sorted(starts)), tuple(sorted(c.start_date for c in constraints if c is not None))
        return tuple(sorted(starts)), True
    except LookupError:
        return (), False
    except Exception:  # a changed genai-prices internal layout: stay exact, go slow
        return None


class TokenPricer:
    """Prices requests of many models; create one per import."""

    def __init__(self) -> None:
        self._thresholds: dict[str, tuple[tuple[int, ...], bool] | None] = {}
        self._units: dict[tuple[str, Any, int], tuple[TokenPrice, tuple[Decimal, ...]] | None] = {}

    def price(self, model: str | None, tokens: Tokens, at: datetime | None = None) -> TokenPrice:
        cost, unpriced, version = self.cost(
            model, (tokens.input, tokens.output, tokens.cache_write_5m, tokens.cache_write_1h, tokens.cache_read), at,
        )
        return TokenPrice(cost_usd=cost, unpriced=unpriced, price_version=version)

    def cost(self, model: str | None, counts: tuple[int, int, int, int, int], at: datetime | None = None) -> tuple[Decimal, bool, str]:
        """(cost, unpriced, price version) of one request; ``counts`` are the ``Tokens`` fields
        in order. The bulk importers' path: no model is built per request."""
        if not model or model in ("<synthetic>", "unknown"):
            return _UNPRICED.cost_usd, True, _UNPRICED.price_version
        known = self._thresholds.get(model, self)
        if known is self:
            known = self._thresholds[model] = _thresholds(model)
        if known is None:
            return self._slow(model, counts, at)
        thresholds, dated = known
        # Prices fixed over time are measured once; prices that change on dates once per period
        # between those dates; others per hour, as price_tokens keys them.
        period: Any = None
        if at is not None and dated is True:
            period = at.replace(minute=0, second=0, microsecond=0)
        elif at is not None and dated:
            day = at.astimezone(UTC).date()
            period = sum(1 for start in dated if day >= start)
        total_input = counts[0] + counts[2] + counts[3] + counts[4]
        tier = 0
        for start in thresholds:
            if total_input > start:
                tier += 1
        key = (model, period, tier)
        units = self._units.get(key, self)
        if units is self:
            probe_at = period if isinstance(period, datetime) else at if period is not None else None
            units = self._units[key] = self._measure(model, probe_at, thresholds[tier - 1] + 1 if tier else 0)
        if units is None:
            return self._slow(model, counts, at)
        base, per_token = units
        if base.unpriced:
            return base.cost_usd, True, base.price_version
        cost = Decimal(0)
        for unit, count in zip(per_token, counts, strict=True):
            if count:
                cost += unit * count
        return cost, False, base.price_version

    @staticmethod
    def _slow(model: str, counts: tuple[int, int, int, int, int], at: datetime | None) -> tuple[Decimal, bool, str]:
        price = price_tokens(model, Tokens(**dict(zip(_KINDS, counts, strict=True))), at)
        return price.cost_usd, price.unpriced, price.price_version

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
