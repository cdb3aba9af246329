"""Loads rule packs (YAML) into typed, validated rules; a pack that is wrong fails with its file, rule and reason.

A rule is data: which clause it enforces, how it matches (a term list, a pattern, or a named validator), how
serious it is, who it applies to, and the examples it must and must not match. Pack-level `defaults` fill in
what a rule leaves out, in the manner of python-discord's filter lists.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import regex
import yaml

from bot.detection.literals import required_literals
from bot.detection.normalize import normalize
from bot.detection.pattern_safety import readable, structural_risk
from bot.errors import RulePackError
from bot.models import RuleEffect, Severity, Tier
from bot.resources import rules_dir

log = logging.getLogger(__name__)

try:  # the C loader is several times faster where libyaml is present
    _YamlLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _YamlLoader = yaml.SafeLoader

_CLAUSE_ID = re.compile(r"^\d+(?:\.\d+){1,2}$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_PATTERN_WORD = re.compile(r"(?<![\\\w{])[a-z]{3,}(?![\w}])")
_PACK_KEYS = {"pack", "description", "defaults", "lexicons", "macros", "allowlist", "rules"}
_DEFAULT_KEYS = {"clause", "category", "severity", "audience", "effect", "negatable", "confidence", "fuzzy", "kind",
                 "tier"}
_RULE_KEYS = _DEFAULT_KEYS | {"id", "kind", "terms", "pattern", "triggers", "requires", "validator", "options",
                              "description", "exceptions", "context", "examples", "enabled"}
_CONTEXT_KEYS = {"window", "raise", "lower", "require"}
# For patterns only the `regex` module can parse: a quantified group, with no alternatives, that itself ends in
# an unbounded quantifier, e.g. (a+)+, (\w*)*. Readable patterns get the full structural check.
_NESTED_QUANTIFIER = re.compile(r"\((?:\?:)?[^()|]*(?:[+*]|\{\d*,\})\)\??(?:[+*]|\{\d*,\})")
_PROBE_LIMIT = 1.0  # generous: a sound pattern needs microseconds on these probes, even on a loaded machine
PATTERN_TIMEOUT = 0.05  # seconds per regex call while scanning; a pattern that needs longer is cut off


class RuleKind(StrEnum):
    """How a rule finds candidates."""

    TERMS = "terms"
    PATTERN = "pattern"
    VALIDATOR = "validator"


class AudienceScope(StrEnum):
    """Where a rule applies: everywhere, or only where members may be under 18 (clause 5.2)."""

    ANY = "any"
    UNDER18 = "under18"


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Words near a match that raise or lower confidence; `require` makes a raise word mandatory."""

    window: int = 40
    raise_words: frozenset[str] = frozenset()
    lower_words: frozenset[str] = frozenset()
    require: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, with the pack defaults already applied."""

    id: str
    pack: str
    source: str
    kind: RuleKind
    clause: str
    category: str
    severity: Severity
    audience: AudienceScope
    effect: RuleEffect
    negatable: bool
    confidence: float
    description: str
    tier: Tier = Tier.NUDGE
    terms: tuple[str, ...] = ()
    fuzzy: bool = False
    pattern: str = ""
    compiled: regex.Pattern[str] | None = None
    literals: frozenset[str] | None = None  # strings one of which every match holds (bot.detection.literals), if known
    triggers: tuple[str, ...] = ()
    requires: frozenset[str] = frozenset()
    validator: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    exceptions: tuple[str, ...] = ()
    context: RuleContext = field(default_factory=RuleContext)
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RulePack:
    """The rules of one file, plus the lexicons and allowlist it contributes to the shared pool."""

    name: str
    source: str
    description: str
    rules: tuple[Rule, ...]
    lexicons: Mapping[str, tuple[str, ...]]
    allowlist: frozenset[str]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All packs loaded together: rule ids are unique and lexicons are shared across packs."""

    packs: tuple[RulePack, ...]
    lexicons: Mapping[str, tuple[str, ...]]
    allowlist: frozenset[str]
    macros: Mapping[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every enabled rule of every pack, in load order."""
        return tuple(rule for pack in self.packs for rule in pack.rules)


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def fold(phrase: str) -> str:
    """Fold an exception or lexicon entry the same way messages are folded, so they compare equal."""
    return " ".join(normalize(phrase).text.split())


def fold_words(phrase: str) -> str:
    """Fold a term or trigger into the words the scanner sees ("sci-hub" becomes "sci hub")."""
    return " ".join(_TOKEN.findall(normalize(phrase).text))


def pack_files(directory: Path) -> list[Path]:
    """The rule-pack files in a directory, in name order (policy.yaml is the clause book, not a pack)."""
    if not directory.is_dir():
        raise RulePackError(str(directory), "not a directory of rule packs (check NUDGEBOT_RULES_DIR)")
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.name not in ("policy.yaml", "policy.yml"))


def load_rule_set(directories: Sequence[Path], *, validator_names: Iterable[str] | None = None) -> RuleSet:
    """Load every pack in the directories (built-in first) and check them against each other."""
    raw_packs: list[tuple[Path, dict[str, Any]]] = []
    built_in = rules_dir().resolve()
    trusted: set[Path] = set()
    for directory in directories:
        files = pack_files(directory)
        if directory.resolve() == built_in:
            trusted.update(files)  # verified by the test suite: never rejected by a timing on a busy machine
        raw_packs.extend((path, _read_yaml(path)) for path in files)
    lexicons: dict[str, tuple[str, ...]] = {}
    macros: dict[str, str] = {}
    sources: dict[str, str] = {}
    allowlist: set[str] = set()
    for path, data in raw_packs:
        named = [*((n, w) for n, w in _lexicons_of(path, data).items()),
                 *((n, m) for n, m in _macros_of(path, data).items())]
        for name, value in named:
            if name in sources:
                raise RulePackError(str(path), f"{{{name}}} is already defined in {sources[name]}")
            sources[name] = str(path)
            if isinstance(value, str):
                macros[name] = value
            else:
                lexicons[name] = value
        allowlist.update(_allowlist_of(path, data))
    for name, macro in macros.items():  # a macro may use lexicons; check it compiles on its own
        try:
            regex.compile(expand_placeholders(macro, lexicons, sources[name], f"macro {name}", macros))
        except regex.error as exc:
            raise RulePackError(sources[name], f"macro {{{name}}} does not compile: {exc}") from None
    known_validators = set(validator_names) if validator_names is not None else None
    packs: list[RulePack] = []
    seen_ids: dict[str, str] = {}
    for path, data in raw_packs:
        pack = _build_pack(path, data, lexicons, macros, known_validators, probe=path not in trusted)
        for rule in pack.rules:
            if rule.id in seen_ids:
                raise RulePackError(str(path), f"rule id already used in {seen_ids[rule.id]}", rule.id)
            seen_ids[rule.id] = str(path)
        packs.append(pack)
    return RuleSet(tuple(packs), lexicons, frozenset(allowlist), macros)


def expand_macros(pattern: str, macros: Mapping[str, str]) -> str:
    """Replace each {macro} by its regex fragment (macros may name other macros, a few levels deep)."""
    for _ in range(4):
        expanded = _PLACEHOLDER.sub(lambda m: f"(?:{macros[m.group(1)]})" if m.group(1) in macros
                                    else m.group(0), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


def expand_placeholders(pattern: str, lexicons: Mapping[str, Sequence[str]], path: str, rule_id: str,
                        macros: Mapping[str, str] | None = None) -> str:
    """Replace each {macro} by its regex and each {lexicon} by an alternation of its words, longest first."""
    if macros:
        pattern = expand_macros(pattern, macros)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lexicons:
            raise RulePackError(path, f"pattern uses unknown lexicon or macro {{{name}}}", rule_id)
        return word_alternation(lexicons[name])

    return _PLACEHOLDER.sub(replace, pattern)


def word_alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words` (a space matches any run of whitespace), shaped as a letter trie.

    A flat alternation of hundreds of words makes the engine try every word at every position; a trie shares
    prefixes, which makes the big lexicon patterns about twice as fast. Longer words are still tried first.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [(r"\s+" if char == " " else regex.escape(char)) + build(node[char])
                    for char in sorted(c for c in node if c)]
        if not branches:
            return ""
        ends_here = "" in node
        if len(branches) == 1:
            return f"(?:{branches[0]})?" if ends_here else branches[0]
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if ends_here else group

    return "(?:" + build(trie) + ")"


def pattern_words(pattern: str) -> set[str]:
    """Literal words in a pattern's source: they join the vocabulary that re-spelling aims at."""
    return set(_PATTERN_WORD.findall(_PLACEHOLDER.sub(" ", pattern)))


def check_pattern_safety(compiled: regex.Pattern[str], source: str, *, probe: bool = True,
                         where: str = "") -> str | None:
    """Return why a pattern could stall a scan, or None when it looks safe.

    The decision is structural and deterministic (`bot.detection.pattern_safety`: nested quantifiers, ambiguous
    alternations under a quantifier, huge counts, backreferences). Patterns Python's parser cannot read fall
    back to a textual test for the (a+)+ shape. With `probe` (a committee's own pack, never a built-in one) the
    pattern is also run on a few short probes: only a probe that takes over a generous second is a rejection;
    time that merely grows faster than the text is logged as a warning, because a busy machine can fake it.
    The regex timeout at scan time remains the real guard.
    """
    expanded = compiled.pattern
    risk = structural_risk(expanded)
    if risk:
        return risk
    if not readable(expanded) and _NESTED_QUANTIFIER.search(source):
        return "nested quantifiers such as (a+)+ can take exponential time; rewrite without the outer quantifier"
    if not probe:
        return None
    for unit, tail in (("a", "!"), ("a ", "!"), ("1", "x"), ("aa", "\n"), ("ab", "!")):
        timings: list[float] = []
        for repeat in (400, 800):
            text = unit * repeat + tail
            started = time.perf_counter()
            try:
                compiled.search(text, timeout=_PROBE_LIMIT)
            except TimeoutError:
                return (f"took over {_PROBE_LIMIT:.1f}s on a {len(text):,}-character probe: "
                        "it backtracks catastrophically")
            timings.append(time.perf_counter() - started)
        if timings[1] > 0.02 and timings[1] > 3.5 * max(timings[0], 1e-6):
            log.warning("pattern may backtrack: its time grew much faster than a probe text; the scan timeout "
                        "will cut it off if it stalls", extra={"rule": where, "seconds": round(timings[1], 3)})
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulePackError(str(path), f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(str(path), f"cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise RulePackError(str(path), "a rule pack must be a mapping with 'pack' and 'rules'")
    unknown = set(data) - _PACK_KEYS
    if unknown:
        raise RulePackError(str(path), f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_PACK_KEYS)}")
    return data


def _string_list(value: Any, path: str, what: str, rule_id: str | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise RulePackError(path, f"{what} must be a list of strings", rule_id)
    return tuple(str(v) for v in value)


def _lexicons_of(path: Path, data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    raw = data.get("lexicons") or {}
    if not isinstance(raw, dict):
        raise RulePackError(str(path), "lexicons must map a name to a list of words")
    result: dict[str, tuple[str, ...]] = {}
    for name, words in raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise RulePackError(str(path), f"lexicon name {name!r} must be lowercase letters, digits and _")
        folded = tuple(dict.fromkeys(f for f in (fold(w) for w in _string_list(words, str(path), name)) if f))
        if not folded:
            raise RulePackError(str(path), f"lexicon {name!r} is empty")
        result[name] = folded
    return result


def _macros_of(path: Path, data: Mapping[str, Any]) -> dict[str, str]:
    raw = data.get("macros") or {}
    if not isinstance(raw, dict):
        raise RulePackError(str(path), "macros must map a name to a regex fragment")
    result: dict[str, str] = {}
    for name, fragment in raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise RulePackError(str(path), f"macro name {name!r} must be lowercase letters, digits and _")
        if not isinstance(fragment, str) or not fragment.strip():
            raise RulePackError(str(path), f"macro {name!r} must be a non-empty regex fragment")
        result[name] = "".join(line.strip() for line in fragment.splitlines())
    return result


def _allowlist_of(path: Path, data: Mapping[str, Any]) -> set[str]:
    return {fold(w) for w in _string_list(data.get("allowlist"), str(path), "allowlist")}


def _build_pack(path: Path, data: Mapping[str, Any], lexicons: Mapping[str, tuple[str, ...]],
                macros: Mapping[str, str], known_validators: set[str] | None, *, probe: bool = True) -> RulePack:
    source = str(path)
    name = data.get("pack")
    if not isinstance(name, str) or not name.strip():
        raise RulePackError(source, "missing 'pack:' (the pack's name)")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise RulePackError(source, "defaults must be a mapping")
    unknown = set(defaults) - _DEFAULT_KEYS
    if unknown:
        raise RulePackError(source, f"unknown key(s) in defaults {sorted(unknown)}; allowed: {sorted(_DEFAULT_KEYS)}")
    raw_rules = data.get("rules")
    if raw_rules is None:
        raw_rules = []
    if not isinstance(raw_rules, list):
        raise RulePackError(source, "rules must be a list")
    rules = []
    for index, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            raise RulePackError(source, f"rule #{index} must be a mapping")
        rule = _build_rule(source, name, raw, defaults, lexicons, macros, known_validators, index, probe)
        if rule is not None:
            rules.append(rule)
    return RulePack(name, source, str(data.get("description") or ""), tuple(rules),
                    _lexicons_of(path, data), frozenset(_allowlist_of(path, data)))


def _enum(enum_type: type[StrEnum], value: Any, source: str, rule_id: str, what: str) -> Any:
    try:
        return enum_type(str(value).lower())
    except ValueError:
        allowed = ", ".join(e.value for e in enum_type)  # type: ignore[attr-defined]
        raise RulePackError(source, f"{what} {value!r} is not one of: {allowed}", rule_id) from None


def _build_rule(source: str, pack: str, raw: Mapping[str, Any], defaults: Mapping[str, Any],
                lexicons: Mapping[str, tuple[str, ...]], macros: Mapping[str, str],
                known_validators: set[str] | None, index: int, probe: bool = True) -> Rule | None:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise RulePackError(source, f"rule #{index} needs an 'id' of lowercase letters, digits, '.', '-', '_'")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RulePackError(source, f"unknown key(s) {sorted(unknown)}", rule_id)
    if raw.get("enabled", True) is False:
        return None

    def setting(key: str, fallback: Any = None) -> Any:
        return raw.get(key, defaults.get(key, fallback))

    clause = str(setting("clause", ""))
    if not _CLAUSE_ID.match(clause):
        raise RulePackError(source, f"clause {clause!r} is not a clause id such as '5.5.1'", rule_id)
    category = setting("category")
    if not isinstance(category, str) or not category.strip():
        raise RulePackError(source, "missing 'category' (say what kind of breach this is)", rule_id)
    kind = _enum(RuleKind, setting("kind", ""), source, rule_id, "kind")
    severity = _enum(Severity, setting("severity", "medium"), source, rule_id, "severity")
    audience = _enum(AudienceScope, setting("audience", "any"), source, rule_id, "audience")
    effect = _enum(RuleEffect, setting("effect", "breach"), source, rule_id, "effect")
    tier = _enum(Tier, setting("tier", "nudge"), source, rule_id, "tier")
    confidence = setting("confidence", 0.9)
    if not isinstance(confidence, int | float) or not 0 < float(confidence) <= 1:
        raise RulePackError(source, f"confidence {confidence!r} must be a number in (0, 1]", rule_id)
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict) or set(examples) - {"match", "no_match"}:
        raise RulePackError(source, "examples must be a mapping with 'match' and/or 'no_match' lists", rule_id)
    common: dict[str, Any] = {
        "id": rule_id, "pack": pack, "source": source, "kind": kind, "clause": clause,
        "category": category.strip(), "severity": severity, "audience": audience, "effect": effect, "tier": tier,
        "negatable": bool(setting("negatable", False)), "confidence": float(confidence),
        "description": str(raw.get("description") or "").strip(), "fuzzy": bool(setting("fuzzy", False)),
        "exceptions": tuple(fold(e) for e in _string_list(raw.get("exceptions"), source, "exceptions", rule_id)),
        "context": _build_context(raw.get("context"), source, rule_id),
        "examples_match": _string_list(examples.get("match"), source, "examples.match", rule_id),
        "examples_no_match": _string_list(examples.get("no_match"), source, "examples.no_match", rule_id),
    }
    if kind is RuleKind.TERMS:
        listed = _string_list(raw.get("terms"), source, "terms", rule_id)
        # "{name}" in a term list stands for every word of that lexicon, so a word list is kept in one place.
        listed = [word for item in listed for word in _lexicon_words(item, lexicons, source, rule_id)]
        terms = tuple(dict.fromkeys(t for t in (fold_words(t) for t in listed) if t))
        if not terms:
            raise RulePackError(source, "a terms rule needs a non-empty 'terms' list", rule_id)
        return Rule(**common, terms=terms)
    if kind is RuleKind.PATTERN:
        pattern = raw.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise RulePackError(source, "a pattern rule needs a 'pattern'", rule_id)
        # A long pattern may be written over several lines: each is stripped and they are joined with nothing.
        pattern = expand_macros("".join(line.strip() for line in pattern.splitlines()), macros)
        expanded = expand_placeholders(pattern, lexicons, source, rule_id)
        try:
            compiled = regex.compile(expanded)
        except regex.error as exc:
            raise RulePackError(source, f"pattern does not compile: {exc}", rule_id) from None
        unsafe = check_pattern_safety(compiled, pattern, probe=probe, where=f"{source}: {rule_id}")
        if unsafe:
            raise RulePackError(source, f"pattern rejected: {unsafe}", rule_id)
        triggers = _expand_triggers(_string_list(raw.get("triggers"), source, "triggers", rule_id),
                                    lexicons, source, rule_id)
        requires = frozenset(max(phrase.split(), key=len) for phrase in _expand_triggers(
            _string_list(raw.get("requires"), source, "requires", rule_id), lexicons, source, rule_id))
        return Rule(**common, pattern=pattern, compiled=compiled, triggers=triggers, requires=requires,
                    literals=required_literals(expanded))
    validator = raw.get("validator")
    if not isinstance(validator, str) or not validator:
        raise RulePackError(source, "a validator rule needs 'validator: NAME'", rule_id)
    if known_validators is not None and validator not in known_validators:
        raise RulePackError(source, f"unknown validator {validator!r}; known: {sorted(known_validators)}", rule_id)
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise RulePackError(source, "options must be a mapping", rule_id)
    return Rule(**common, validator=validator, options=dict(options))


def _lexicon_words(item: str, lexicons: Mapping[str, tuple[str, ...]], source: str, rule_id: str) -> tuple[str, ...]:
    """A term as listed, or every word of the lexicon when the term is "{name}"."""
    placeholder = _PLACEHOLDER.fullmatch(item.strip())
    if placeholder is None:
        return (item,)
    if placeholder.group(1) not in lexicons:
        raise RulePackError(source, f"terms use unknown lexicon {item.strip()}", rule_id)
    return lexicons[placeholder.group(1)]


def _expand_triggers(raw: Sequence[str], lexicons: Mapping[str, tuple[str, ...]], source: str,
                     rule_id: str) -> tuple[str, ...]:
    """Expand trigger entries: "{name}" is every word of a lexicon, "{adj} {noun}" every pairing of two."""
    triggers: list[str] = []
    for item in raw:
        options: list[str] = [""]
        for part in item.split():
            placeholder = _PLACEHOLDER.fullmatch(part)
            if placeholder:
                name = placeholder.group(1)
                if name not in lexicons:
                    raise RulePackError(source, f"trigger uses unknown lexicon {{{name}}}", rule_id)
                words = [fold_words(word) for word in lexicons[name]]
            else:
                words = [fold_words(part)]
            options = [f"{prefix} {word}".strip() for prefix in options for word in words if word]
        triggers.extend(option for option in options if option)
    return tuple(dict.fromkeys(triggers))


def _build_context(raw: Any, source: str, rule_id: str) -> RuleContext:
    if raw is None:
        return RuleContext()
    if not isinstance(raw, dict) or set(raw) - _CONTEXT_KEYS:
        raise RulePackError(source, f"context must be a mapping with keys {sorted(_CONTEXT_KEYS)}", rule_id)
    window = raw.get("window", 40)
    if not isinstance(window, int) or not 0 < window <= 500:
        raise RulePackError(source, "context.window must be a whole number of characters from 1 to 500", rule_id)
    return RuleContext(
        window=window,
        raise_words=frozenset(fold(w) for w in _string_list(raw.get("raise"), source, "context.raise", rule_id)),
        lower_words=frozenset(fold(w) for w in _string_list(raw.get("lower"), source, "context.lower", rule_id)),
        require=bool(raw.get("require", False)),
    )
