#!/usr/bin/env python3
"""Regenerates crates/pricing/prices.json from LiteLLM's model price map.

LiteLLM (MIT licence, https://github.com/BerriAI/litellm) ships the map inside its PyPI package as
litellm/model_prices_and_context_window_backup.json. ClawBox keeps the token prices of the
providers people reach through it, in USD per 1M tokens, keyed by the model name those providers'
APIs use (LiteLLM's `deepseek/deepseek-chat` becomes `deepseek-chat`; an OpenAI or Anthropic entry
wins over another provider's entry of the same name).

Usage: python3 scripts/update-prices.py path/to/site-packages/litellm
"""
import datetime
import json
import pathlib
import sys

PROVIDERS = ["openai", "anthropic", "deepseek", "mistral", "groq", "gemini", "xai", "together_ai"]
MODES = {"chat", "responses", "completion", "embedding"}
FIELDS = {
    "input": "input_cost_per_token",
    "cached_input": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "output": "output_cost_per_token",
}


def per_million(v):
    return round(v * 1_000_000, 6)


def main():
    package = pathlib.Path(sys.argv[1])
    source = json.loads((package / "model_prices_and_context_window_backup.json").read_text())
    version = next(package.parent.glob("litellm-*.dist-info")).name.split("-")[1].removesuffix(".dist")
    models = {}
    for rank, provider in enumerate(PROVIDERS):
        for name, entry in source.items():
            if not isinstance(entry, dict) or entry.get("litellm_provider") != provider:
                continue
            if entry.get("mode") not in MODES or "input_cost_per_token" not in entry:
                continue
            key = name.removeprefix(provider + "/")
            if key in models:
                continue
            price = {k: per_million(entry[f]) for k, f in FIELDS.items() if isinstance(entry.get(f), (int, float))}
            price.setdefault("output", 0.0)
            models[key] = price
    out = {
        "source": "LiteLLM model_prices_and_context_window.json (MIT licence)",
        "version": f"litellm {version}",
        "taken": datetime.date.today().isoformat(),
        "models": dict(sorted(models.items())),
    }
    target = pathlib.Path(__file__).resolve().parent.parent / "crates/pricing/prices.json"
    # One model per line: a price change is a one-line diff.
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in out.pop("models").items()]
    head = json.dumps(out, indent=2)[:-2]
    target.write_text(head + ',\n  "models": {\n' + ",\n".join("  " + l for l in lines) + "\n  }\n}\n")
    print(f"{len(models)} models written to {target}")


main()
