"""Runs when the config is loaded: `init(app)` receives the LLMRails instance."""


class FixedRates:
    """Stands in for a real exchange-rate service."""

    name = "the example rate table"
    _per_usd = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.3, "CHF": 0.88}

    def rate(self, source: str, target: str) -> float:
        per_usd = self._per_usd
        if source not in per_usd or target not in per_usd:
            raise ValueError(f"no rate for {source} -> {target}")
        return round(per_usd[target] / per_usd[source], 4)


def init(app):
    app.register_action_param("rates_provider", FixedRates())
