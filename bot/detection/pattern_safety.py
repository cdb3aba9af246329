"""Reads a rule's regex with Python's own parser and finds shapes that make a backtracking engine take
exponential or huge polynomial time, deterministically (no timing): nested quantifiers, ambiguous alternations
under a quantifier, huge counted repetitions and backreferences.

The test is conservative in the usual way of such checkers (safe-regex, regexploit): a shape is allowed only
when each repetition of a group must consume a character the inner repetition cannot, so where one repetition
ends and the next begins is never in doubt (`(?:\\w+\\s+){0,3}` is fine: a space ends each word; `(\\w+\\s*)+`,
`(a+)+`, `(.*a){20}` and `(a|aa)+` are not). The regex timeout at scan time stays the real guard for anything
the parser cannot read (syntax only the `regex` module knows) or this test misses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

MAX_COUNT = 1_000  # a counted repetition above this is refused: a{100000} costs time and memory per attempt
SMALL_REPEAT = 8  # an alternation repeated this often or less may be ambiguous: "such a" as "such a" or "such"+"a"
MAX_COUNT_PRODUCT = 100_000  # nested counts multiply: (?:(?:a{100}){100}){100} is a million
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))
_SINGLE = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_LEAVES = frozenset({*_SINGLE, sre.AT, sre.GROUPREF})
# Characters standing for every class a pattern is likely to test (ASCII, accented and Cyrillic letters, other
# digits, odd spaces, a combining mark, an emoji); the pattern's own literals are added per pattern.
_BASE_ALPHABET = frozenset(map(chr, range(128))) | frozenset("\u00e9\u0430\u0663\u00a0\u2028\u3000\u0301\U0001f600")
_CATEGORIES = {
    sre.CATEGORY_DIGIT: str.isdecimal,
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    sre.CATEGORY_LINEBREAK: lambda c: c == "\n",
}
_NEGATED_CATEGORIES = {
    sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT,
    sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE,
    sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD,
    sre.CATEGORY_NOT_LINEBREAK: sre.CATEGORY_LINEBREAK,
}


class _Unreadable(Exception):
    """The pattern uses syntax Python's parser does not know (the `regex` module has more)."""


def structural_risk(pattern: str) -> str | None:
    """Why `pattern` could take exponential or huge polynomial time, or None when its shape is safe or unreadable.

    `readable(pattern)` tells the two None cases apart.
    """
    try:
        tree = _parse(pattern)
    except _Unreadable:
        return None
    checker = _Checker(tree)
    return checker.risk()


def readable(pattern: str) -> bool:
    """Whether Python's parser can read the pattern, so `structural_risk` really looked at it."""
    try:
        _parse(pattern)
    except _Unreadable:
        return False
    return True


@lru_cache(maxsize=2)
def parsed(pattern: str) -> Any:
    """Python's parse tree of a pattern, or None when it uses syntax only the `regex` module knows (the last
    two are kept: the loader's safety check and literal prefilter read the same tree, then it is let go)."""
    try:
        return sre_parse.parse(pattern)
    except (re.error, RecursionError, ValueError, OverflowError):
        return None


def _parse(pattern: str) -> Any:
    tree = parsed(pattern)
    if tree is None:
        raise _Unreadable(pattern)
    return tree


def _seq(value: Any) -> list[tuple[Any, Any]]:
    """A parsed sequence as a plain list (a SubPattern keeps one in `.data`; indexing it is slow)."""
    return value.data if hasattr(value, "data") else list(value)


def _body_of(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    """The sequences directly inside one node."""
    if op in _LEAVES:
        return []
    if op in _REPEATS:
        return [_seq(av[2])]
    if op is sre.SUBPATTERN:
        return [_seq(av[3])]
    if op is sre.BRANCH:
        return [_seq(branch) for branch in av[1]]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [_seq(av[1])]
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return [_seq(av)]
    if op is sre.GROUPREF_EXISTS:
        return [_seq(part) for part in av[1:] if part is not None]
    return []


class _Checker:
    """Walks one parsed pattern; character sets are approximated over a sample alphabet."""

    def __init__(self, tree: Any) -> None:
        self.tree = _seq(tree)
        self.ignore_case = bool(tree.state.flags & re.IGNORECASE)
        self.nodes = self._all_nodes(self.tree)
        literals = {chr(av) for op, av in self.nodes if op in (sre.LITERAL, sre.NOT_LITERAL)}
        self.alphabet = _BASE_ALPHABET | literals | {c.swapcase() for c in literals}
        self._charsets: dict[Any, frozenset[str]] = {}
        self._consumed_memo: dict[int, frozenset[str]] = {}  # keyed by node identity: the tree outlives the walk

    # -- the checks -------------------------------------------------------------------------------------

    def risk(self) -> str | None:
        for op, _av in self.nodes:
            if op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
                return ("uses a backreference or conditional group, which can take exponential time; "
                        "write the alternatives out instead")
        count = self._count_risk(self.tree, 1)
        if count:
            return count
        for op, av in self.nodes:
            if op in _REPEATS and av[1] >= 2:
                found = self._repeat_risk(_seq(av[2]), av[1])
                if found:
                    return found
        return None

    def _count_risk(self, items: list[tuple[Any, Any]], product: int) -> str | None:
        for op, av in items:
            inner = product
            if op in _REPEATS:
                low, high = av[0], av[1]
                bound = low if high == sre.MAXREPEAT else high
                if bound > MAX_COUNT:
                    return (f"counted repetition {{{low},{'' if high == sre.MAXREPEAT else high}}} is over "
                            f"{MAX_COUNT:,}; a chat rule never needs that many")
                inner = product * max(bound, 1)
                if inner > MAX_COUNT_PRODUCT:
                    return (f"nested counted repetitions multiply to over {MAX_COUNT_PRODUCT:,} steps; "
                            "use smaller counts")
            for body in _body_of(op, av):
                found = self._count_risk(body, inner)
                if found:
                    return found
        return None

    def _repeat_risk(self, body: list[tuple[Any, Any]], most: int) -> str | None:
        """Inside a group repeated twice or more (`most` times at most): a variable part not fenced off, or
        (when `most` is large) an ambiguous alternation."""
        body_first, _ = self._first(body)
        for node, path in self._inner_nodes(body, []):
            op, av = node
            if op is sre.BRANCH:
                if most <= SMALL_REPEAT:
                    continue  # two readings per repetition at most 2**8 ways: harmless
                if self._ambiguous_branches(av[1]):
                    return ("an alternation under a quantifier has branches that match the same text, such as "
                            "(a|a)* or (foo|foo)+: it can take exponential time; make the branches distinct")
                if self._prefix_restarts(av[1], body, path, body_first):
                    return ("an alternation under a quantifier has a branch that is another branch plus text "
                            "that could also start the next repetition, such as (a|aa)+ or (a|b|ab)*: it can "
                            "take exponential time; make the branches distinct")
                continue
            if not (op in _REPEATS and av[1] >= 2 and av[1] != av[0]):
                continue
            chars = self._consumed(node)
            fenced = any(self._forces_outside([item], chars)
                         for sequence, index in path for at, item in enumerate(sequence) if at != index)
            if not fenced:
                return ("nested quantifiers: a repeated group holds a part of variable length, such as (a+)+, "
                        "(\\w+\\s*)+ or (.*a){20}, and nothing in each repetition marks where it ends, so it "
                        "can take exponential time; put a character the inner part cannot match between "
                        "repetitions (e.g. (?:\\w+\\s+)+) or drop a quantifier")
        return None

    def _prefix_restarts(self, branches: list[Any], body: list[tuple[Any, Any]], path: list[tuple[list[Any], int]],
                         body_first: frozenset[str]) -> bool:
        """Whether one branch is another plus a rest that the text after the shorter one could also read, so a
        piece of text splits two ways: (a|aa)+ reads "aa" as one or two repetitions."""
        follow = self._follow(path, body_first)
        spelled = [[str(item) for item in branch] for branch in branches]
        for short, short_items in enumerate(spelled):
            for long, long_items in enumerate(spelled):
                if short == long or len(short_items) >= len(long_items) or \
                        long_items[: len(short_items)] != short_items:
                    continue
                rest = _seq(branches[long])[len(short_items):]
                if not self._first(rest)[0] & follow:
                    continue  # what follows the shorter branch cannot look like the rest of the longer one
                if not self._rest_is_fenced(rest, branches, body, path):
                    return True
        return False

    def _follow(self, path: list[tuple[list[Any], int]], body_first: frozenset[str]) -> frozenset[str]:
        """The characters that can come right after the node at the end of `path`, within one repetition or
        at the start of the next."""
        found: set[str] = set()
        for sequence, index in reversed(path):
            chars, nullable = self._first(list(sequence[index + 1:]))
            found |= chars
            if not nullable:
                return frozenset(found)
        return frozenset(found | body_first)

    def _rest_is_fenced(self, rest: list[tuple[Any, Any]], branches: list[Any], body: list[tuple[Any, Any]],
                        path: list[tuple[list[Any], int]]) -> bool:
        """The common case of word lists, `(?:(?:all|all\\s+of|...)\\s+)*`: the rest starts with the very separator
        that follows the group ("\\s+of"), and what comes after it differs from every way a repetition starts."""
        if len(path) != 1:
            return False
        index = path[0][1]
        after = body[index + 1:]
        if len(after) != 1 or str(after[0]) != str(rest[0]) or not all(
                op in _REPEATS and av[0] == 0 for op, av in body[:index]):
            return False
        tail, _ = self._leading(rest[1:])
        starts = [self._leading(_seq(av[2])) for _, av in body[:index]]
        starts += [self._leading(_seq(branch)) for branch in branches]
        return all(any(not (x & y) for x, y in zip(tail, start, strict=False)) for start, _ in starts)

    def _inner_nodes(self, sequence: list[tuple[Any, Any]], path: list[tuple[list[Any], int]]
                     ) -> Iterator[tuple[tuple[Any, Any], list[tuple[list[Any], int]]]]:
        """Every node in a sequence with the enclosing (sequence, index) steps, outermost first."""
        for index, node in enumerate(sequence):
            here = [*path, (sequence, index)]
            yield node, here
            op, av = node
            if op in (sre.ASSERT, sre.ASSERT_NOT):
                continue  # a look-around consumes nothing, and runs once per position
            if op is sre.BRANCH:
                for branch in av[1]:
                    yield from self._inner_nodes(_seq(branch), here)
            else:
                for body in _body_of(op, av):
                    yield from self._inner_nodes(body, here)

    @staticmethod
    def _all_nodes(sequence: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """Every node of the tree, listed once (an explicit stack: patterns nest deeply)."""
        found: list[tuple[Any, Any]] = []
        stack = [sequence]
        while stack:
            for op, av in stack.pop():
                found.append((op, av))
                stack.extend(_body_of(op, av))
        return found

    # -- character sets ---------------------------------------------------------------------------------

    def _charset(self, op: Any, av: Any) -> frozenset[str]:
        """The sample characters a single-character node matches."""
        key = (op, av if op is not sre.IN else tuple(av))
        found = self._charsets.get(key)
        if found is None:
            found = self._charsets[key] = self._compute_charset(op, av)
        return found

    def _compute_charset(self, op: Any, av: Any) -> frozenset[str]:
        if op is sre.ANY:
            return self.alphabet
        if op is sre.LITERAL:
            return self._literal(chr(av))
        if op is sre.NOT_LITERAL:
            return self.alphabet - self._literal(chr(av))
        matched: set[str] = set()
        negate = False
        for kind, value in av:
            if kind is sre.NEGATE:
                negate = True
            elif kind is sre.LITERAL:
                matched |= self._literal(chr(value))
            elif kind is sre.RANGE:
                low, high = value
                matched |= {c for c in self.alphabet if low <= ord(c) <= high
                            or (self.ignore_case and low <= ord(c.swapcase()[:1] or c) <= high)}
            elif kind is sre.CATEGORY:
                if value in _NEGATED_CATEGORIES:
                    test = _CATEGORIES[_NEGATED_CATEGORIES[value]]
                    matched |= {c for c in self.alphabet if not test(c)}
                elif value in _CATEGORIES:
                    test = _CATEGORIES[value]
                    matched |= {c for c in self.alphabet if test(c)}
                else:
                    matched |= self.alphabet
            else:  # anything unknown: assume it could match everything (the safe side)
                matched |= self.alphabet
        return frozenset(self.alphabet - matched) if negate else frozenset(matched)

    def _literal(self, char: str) -> frozenset[str]:
        return frozenset({char, char.swapcase()}) if self.ignore_case else frozenset({char})

    def _consumed(self, node: tuple[Any, Any]) -> frozenset[str]:
        """Every sample character the node can consume anywhere."""
        op, av = node
        if op in _SINGLE:
            return self._charset(op, av)
        key = id(av)
        found = self._consumed_memo.get(key)
        if found is None:
            found = self._consumed_memo[key] = self._compute_consumed(op, av)
        return found

    def _compute_consumed(self, op: Any, av: Any) -> frozenset[str]:
        if op in _SINGLE:
            return self._charset(op, av)
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return frozenset()
        found: set[str] = set()
        for body in _body_of(op, av):
            for item in body:
                found |= self._consumed(item)
        return frozenset(found)

    def _forces_outside(self, sequence: list[tuple[Any, Any]], chars: frozenset[str]) -> bool:
        """Whether every match of the sequence consumes a character outside `chars`."""
        for op, av in sequence:
            if op in _SINGLE:
                if not self._charset(op, av) & chars:
                    return True
            elif op is sre.SUBPATTERN or op is getattr(sre, "ATOMIC_GROUP", None):
                if self._forces_outside(_body_of(op, av)[0], chars):
                    return True
            elif op is sre.BRANCH:
                if all(self._forces_outside(_seq(branch), chars) for branch in av[1]):
                    return True
            elif op in _REPEATS and av[0] >= 1 and self._forces_outside(_seq(av[2]), chars):
                return True
        return False

    # -- alternations -----------------------------------------------------------------------------------

    def _length(self, sequence: list[tuple[Any, Any]]) -> int | None:
        """The fixed length of what a sequence matches, or None when it varies."""
        total = 0
        for op, av in sequence:
            if op in _SINGLE:
                total += 1
            elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
                continue
            elif op is sre.SUBPATTERN or op is getattr(sre, "ATOMIC_GROUP", None):
                inner = self._length(_body_of(op, av)[0])
                if inner is None:
                    return None
                total += inner
            elif op is sre.BRANCH:
                lengths = {self._length(_seq(branch)) for branch in av[1]}
                if len(lengths) != 1 or None in lengths:
                    return None
                total += lengths.pop() or 0
            elif op in _REPEATS and av[0] == av[1]:
                inner = self._length(_seq(av[2]))
                if inner is None:
                    return None
                total += inner * av[0]
            else:
                return None
        return total

    def _first(self, sequence: list[tuple[Any, Any]]) -> tuple[frozenset[str], bool]:
        """The characters a match of the sequence can start with, and whether it can match nothing."""
        found: set[str] = set()
        for op, av in sequence:
            if op in _SINGLE:
                return frozenset(found | self._charset(op, av)), False
            if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
                continue
            bodies = _body_of(op, av)
            if not bodies:  # something this reading does not follow: it could start with anything
                return self.alphabet, True
            nullable = op in _REPEATS and av[0] == 0
            for body in bodies:
                chars, empty = self._first(body)
                found |= chars
                nullable = nullable or empty
            if not nullable:
                return frozenset(found), False
        return frozenset(found), True

    def _leading(self, sequence: list[tuple[Any, Any]]) -> tuple[list[frozenset[str]], bool]:
        """The character sets of a branch's first positions, and whether the branch ends there (else it goes
        on with something of variable shape, whose first characters are the last set)."""
        sets: list[frozenset[str]] = []
        for at, (op, av) in enumerate(sequence):
            if op in _SINGLE:
                sets.append(self._charset(op, av))
            elif op is sre.AT:
                continue
            elif op is sre.SUBPATTERN and self._length(_body_of(op, av)[0]) is not None:
                inner, _ = self._leading(_body_of(op, av)[0])
                sets.extend(inner)
            else:
                sets.append(self._first(sequence[at:])[0])
                return sets, False
        return sets, True

    def _ambiguous_branches(self, branches: list[Any]) -> bool:
        """Whether two branches could match the same text: after the items they share, no position where
        their characters differ, and they are not simply one a shorter form of the other."""
        spelled = [[str(item) for item in branch] for branch in branches]
        for first in range(len(branches)):
            for second in range(first + 1, len(branches)):
                shared = 0
                for x, y in zip(spelled[first], spelled[second], strict=False):
                    if x != y:
                        break
                    shared += 1
                rest_a, rest_b = _seq(branches[first])[shared:], _seq(branches[second])[shared:]
                if not rest_a and not rest_b:
                    return True  # the same branch twice
                if not rest_a or not rest_b:
                    continue  # one is the other plus more: a length difference, fenced by the caller
                (a, a_ends), (b, b_ends) = self._leading(rest_a), self._leading(rest_b)
                if any(not (x & y) for x, y in zip(a, b, strict=False)):
                    continue  # they part at some position
                if a_ends and b_ends and len(a) != len(b):
                    continue
                return True
        return False
