"""The map-reduce example's actions as plain OpenWhisk Python actions that know nothing of whiskflow.

Deployed as package `pymapreduce` (see manifest.yaml, or `whiskflow deploy --actions actions.py`):
`sum`, `sumall`, `label`, all from this file with different `main` functions. The same results as
examples/map-reduce/actions.js.
"""
import json


def sum(params):
    """{ numbers: [1, 2, 3] } -> { sum: 6 }"""
    numbers = params.get("numbers")
    if not isinstance(numbers, list) or not all(_is_number(n) for n in numbers):
        return {"error": "sum expects { numbers: number[] }, got %s" % json.dumps(numbers, separators=(",", ":"))}
    total = 0
    for n in numbers:
        total += n
    return {"sum": total}


def sumall(params):
    """{ results: [{ sum: 6 }, ...] } -> { total, parts }"""
    results = params.get("results")
    results = results if isinstance(results, list) else []
    return {"total": _total(results), "parts": len(results)}


def label(params):
    """Adds the static `label` parameter to the data it received."""
    return dict(params)


def _total(results):
    # A loop rather than the builtin sum, which the action `sum` above shadows in this module.
    total = 0
    for part in results:
        total += part.get("sum") or 0
    return total


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
