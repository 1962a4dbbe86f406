"""The word-count example's actions as plain OpenWhisk Python actions (package `pywordcount`).

The same results as examples/word-count/actions.js.
"""
import math
import re

# Letters, digits and apostrophes, as the JavaScript example's /[\p{L}\p{N}']+/u.
_WORD = re.compile(r"(?:[^\W_]|')+")


def split(params):
    """{ text, chunks: N } -> { chunks: [{ text }, ...] }, split on line boundaries into N parts."""
    text = params.get("text")
    if not isinstance(text, str):
        return {"error": "split expects { text: string, chunks?: number }"}
    n = max(1, math.floor(params.get("chunks") or 4))
    lines = text.split("\n")
    size = math.ceil(len(lines) / n)
    return {"chunks": [{"text": "\n".join(lines[i * size:(i + 1) * size])} for i in range(n)]}


def count(params):
    """{ text } -> { counts: { word: n }, words }"""
    counts = {}
    words = 0
    for word in _WORD.findall(str(params.get("text") or "").lower()):
        counts[word] = counts.get(word, 0) + 1
        words += 1
    return {"counts": counts, "words": words}


def merge(params):
    """{ results: [{ counts, words }, ...], top } -> { words, distinct, top: [[word, n], ...] }"""
    totals = {}
    words = 0
    for part in params.get("results") or []:
        words += part.get("words") or 0
        for word, n in (part.get("counts") or {}).items():
            totals[word] = totals.get(word, 0) + n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    top = [[word, n] for word, n in ranked[: params.get("top") or 10]]
    return {"words": words, "distinct": len(totals), "top": top}
