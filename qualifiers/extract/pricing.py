"""Estimated cost of a model call, from a small table of public list prices."""

from __future__ import annotations

# USD per million tokens: (input, cached input, output). List prices of common OpenAI models;
# a model not listed is estimated at 0 (shown as unknown cost, never guessed).
PRICES_PER_MILLION: dict[str, tuple[float, float, float]] = {
    "gpt-4o-mini": (0.15, 0.075, 0.60),
    "gpt-4o": (2.50, 1.25, 10.00),
    "gpt-4.1-nano": (0.10, 0.025, 0.40),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
    "gpt-4.1": (2.00, 0.50, 8.00),
    "gpt-5-nano": (0.05, 0.005, 0.40),
    "gpt-5-mini": (0.25, 0.025, 2.00),
    "gpt-5": (1.25, 0.125, 10.00),
    "o4-mini": (1.10, 0.275, 4.40),
    "o3-mini": (1.10, 0.55, 4.40),
}


def price_for(model: str) -> tuple[float, float, float] | None:
    """Prices for `model` ("openai:gpt-4o-mini", "gpt-4o-2024-08-06"): longest listed prefix."""
    name = model.rsplit(":", 1)[-1].lower()
    for listed in sorted(PRICES_PER_MILLION, key=len, reverse=True):
        if name.startswith(listed):
            return PRICES_PER_MILLION[listed]
    return None


def estimate_cost(
    model: str, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
) -> float:
    prices = price_for(model)
    if prices is None:
        return 0.0
    input_price, cached_price, output_price = prices
    cached = min(cached_input_tokens, input_tokens)
    total = (
        (input_tokens - cached) * input_price + cached * cached_price + output_tokens * output_price
    )
    return round(total / 1_000_000, 8)
