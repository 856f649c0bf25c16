"""Turning a text into weighted lexical features for the offline index: normalized words (with
a light suffix stripper, so "orders" meets "order"), word pairs (word order matters a little) and
character trigrams of each word (robust to typos and inflections the stripper misses)."""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache

_NON_WORD = re.compile(r"[^0-9a-z]+")
_NEGATION = re.compile(r"n't\b")

# Frequent function words, and the words of asking itself ("I'd like to", "I want to", "please"):
# kept (a query may consist of nothing else, "who are you") but weighted down so that they do
# not decide a match on their own.
STOP_WORDS = frozenset("""
a an the is are am was were be been being to of in on at by for from and or but if then so
my your our their his her its me you we they them us it i this that these those there here
do does did doing can could would should will shall may might must have has had having
with about as into just very too also any some
s d m ll re ve t
want wanna like need please
""".split())
STOP_WORD_WEIGHT = 0.35

WORDS, PAIRS, TRIGRAMS = "w", "p", "c"
GROUP_WEIGHTS = {WORDS: 0.5, PAIRS: 0.15, TRIGRAMS: 0.35}


def normalize(text: str) -> list[str]:
    """Lower-case ASCII-folded words. Contractions are split ("I'd" -> "i", "d"; "don't" ->
    "do", "not") so that their parts meet the full words."""
    folded = text.lower()
    if not folded.isascii():  # (most messages are ASCII: nothing to fold then)
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("\u2019", "'").replace("can't", "can not").replace("won't", "will not")
    folded = _NEGATION.sub(" not", folded)
    return [word for word in _NON_WORD.split(folded) if word]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately small suffix stripper (plural -s/-es/-ies, -ed, -ing)."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix):
            root = word[: -len(suffix)]
            if len(root) >= 3 and any(v in root for v in "aeiouy"):
                if len(root) > 3 and root[-1] == root[-2] and root[-1] not in "lsz":
                    root = root[:-1]
                return root
    return word


def _weight(word: str) -> float:
    return STOP_WORD_WEIGHT if word in STOP_WORDS else 1.0


def features(text: str) -> dict[str, Counter]:
    """Raw feature counts (times the stop-word weight) of a text, by group."""
    words = normalize(text)
    stems = [stem(word) for word in words]
    weights = [_weight(word) for word in words]
    # Plain dicts while counting (Counter's `+=` costs a method call per feature).
    roots: dict[str, float] = {}
    trigrams: dict[str, float] = {}
    for word, root, weight in zip(words, stems, weights):
        roots[root] = roots.get(root, 0.0) + weight
        padded = f" {word} "
        for i in range(len(padded) - 2):
            trigram = padded[i:i + 3]
            trigrams[trigram] = trigrams.get(trigram, 0.0) + weight
    pairs: dict[str, float] = {}
    for i in range(len(words) - 1):
        pair = f"{stems[i]} {stems[i + 1]}"
        pairs[pair] = pairs.get(pair, 0.0) + max(weights[i], weights[i + 1])
    return {WORDS: Counter(roots), PAIRS: Counter(pairs), TRIGRAMS: Counter(trigrams)}


def damped(count: float) -> float:
    """Sub-linear term frequency: a word said three times is not three times as telling."""
    return 1.0 + math.log(count) if count >= 1.0 else count
