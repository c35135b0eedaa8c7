"""Prices: tokens from the offline ``genai-prices`` table, human minutes from the rates config.

Money is ``Decimal`` throughout. A model the price table does not know is priced at zero *and
flagged unpriced*, so reports can say "n entries unpriced" instead of silently showing $0.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import genai_prices
from genai_prices import Usage, calc_price
from pydantic import BaseModel, ConfigDict

from .models import Tokens

PRICE_TABLE_VERSION = f"genai-prices {genai_prices.__version__}"
CENT = Decimal("0.000001")


class TokenPrice(BaseModel):
    model_config = ConfigDict(frozen=True)

    cost_usd: Decimal
    unpriced: bool
    price_version: str
    model_id: str | None = None


def provider_for(model: str) -> str | None:
    lowered = model.lower()
    if lowered.startswith("claude") or lowered.startswith("anthropic"):
        return "anthropic"
    if lowered.startswith(("gpt", "o1", "o3", "o4", "codex", "chatgpt")):
        return "openai"
    if lowered.startswith("gemini"):
        return "google"
    return None


@lru_cache(maxsize=4096)
def _price(model: str, tokens: tuple[int, int, int, int, int], at: datetime | None) -> TokenPrice:
    input_, output, write_5m, write_1h, read = tokens
    # genai-prices counts cache tokens inside input_tokens; our Tokens.input excludes them.
    usage = Usage(
        input_tokens=input_ + write_5m + write_1h + read,
        output_tokens=output,
        cache_write_tokens=write_5m + write_1h,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=read,
    )
    try:
        calc = calc_price(usage, model_ref=model, provider_id=provider_for(model), genai_request_timestamp=at)
    except LookupError:
        try:
            calc = calc_price(usage, model_ref=model, genai_request_timestamp=at)
        except LookupError:
            return TokenPrice(cost_usd=Decimal(0), unpriced=True, price_version=PRICE_TABLE_VERSION)
    return TokenPrice(cost_usd=calc.total_price, unpriced=False, price_version=PRICE_TABLE_VERSION, model_id=calc.model.id)


def price_tokens(model: str | None, tokens: Tokens, at: datetime | None = None) -> TokenPrice:
    """Price one request's tokens. Long-context tiers apply to the whole request, as billed."""
    if not model or model in ("<synthetic>", "unknown"):
        return TokenPrice(cost_usd=Decimal(0), unpriced=True, price_version=PRICE_TABLE_VERSION)
    key = (tokens.input, tokens.output, tokens.cache_write_5m, tokens.cache_write_1h, tokens.cache_read)
    return _price(model, key, None if at is None else at.replace(minute=0, second=0, microsecond=0))


def price_minutes(minutes: Decimal, hourly_rate: Decimal, multiplier: Decimal = Decimal(1)) -> Decimal:
    """Human time: minutes × hourly rate × an optional focus multiplier (review of agent code)."""
    return (Decimal(minutes) * Decimal(hourly_rate) * Decimal(multiplier) / Decimal(60)).quantize(CENT)
