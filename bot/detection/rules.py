"""Loads rule packs (YAML) into typed, validated rules; a pack that is wrong fails with its file, rule and reason.

A rule is data: which clause it enforces, how it matches (its kind: a term list, a pattern, a named validator, or
any kind registered in bot.detection.kinds), how serious it is, who it applies to, and the examples it must and
must not match. Pack-level `defaults` fill in what a rule leaves out, in the manner of python-discord's filter lists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import regex

from bot.detection.kinds import KINDS, PackContext, check_pattern_safety
from bot.detection.model import PATTERN_TIMEOUT, AudienceScope, Rule, RuleContext, RuleKind, RulePack, RuleSet
from bot.detection.packtext import (
    expand_macros,
    expand_placeholders,
    fold,
    fold_words,
    pattern_words,
    string_list,
    word_alternation,
)
from bot.errors import RulePackError, yaml_problem
from bot.models import RuleEffect, Severity, Tier
from bot.resources import rules_dir

__all__ = ["PATTERN_TIMEOUT", "AudienceScope", "Rule", "RuleContext", "RuleKind", "RulePack", "RuleSet",
           "check_pattern_safety", "expand_macros", "expand_placeholders", "fold", "fold_words", "load_rule_set",
           "pack_files", "pattern_words", "word_alternation"]

log = logging.getLogger(__name__)

_CLAUSE_ID = re.compile(r"^\d+(?:\.\d+){1,2}$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_PACK_KEYS = {"pack", "description", "defaults", "lexicons", "macros", "allowlist", "rules", "tiers"}
_DEFAULT_KEYS = {"clause", "category", "severity", "audience", "effect", "negatable", "confidence", "fuzzy", "kind",
                 "tier"}
_COMMON_RULE_KEYS = _DEFAULT_KEYS | {"id", "kind", "description", "exceptions", "context", "examples", "enabled"}
_CONTEXT_KEYS = {"window", "raise", "lower", "require"}


def unknown_keys(unknown: Iterable[Any], allowed: Iterable[str]) -> str:
    """"unknown key 'trems' (did you mean 'terms'?)": each misspelt key with the nearest allowed one, if any."""
    import difflib  # only a pack with a mistake needs it

    choices = sorted(allowed)
    named = []
    for key in sorted(map(str, unknown)):
        near = difflib.get_close_matches(key, choices, n=1)
        named.append(f"{key!r} (did you mean {near[0]!r}?)" if near else repr(key))
    return f"unknown key{'s' if len(named) > 1 else ''} {', '.join(named)}"


def pack_files(directory: Path) -> list[Path]:
    """The rule-pack files in a directory, in name order (policy.yaml is the clause book, not a pack)."""
    if not directory.is_dir():
        raise RulePackError(str(directory), "not a folder of rule packs")
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
        named: list[tuple[str, tuple[str, ...] | str]] = [*((n, w) for n, w in _lexicons_of(path, data).items()),
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
        pack = _built_pack(path, data, lexicons, macros, known_validators, probe=path not in trusted)
        for rule in pack.rules:
            if rule.id in seen_ids:
                raise RulePackError(str(path), f"rule id already used in {seen_ids[rule.id]}", rule.id)
            seen_ids[rule.id] = str(path)
        packs.append(pack)
    return RuleSet(tuple(_with_tiers(packs, raw_packs, seen_ids)), lexicons, frozenset(allowlist), macros)


def _with_tiers(packs: list[RulePack], raw_packs: Sequence[tuple[Path, Mapping[str, Any]]],
                known: Mapping[str, str]) -> list[RulePack]:
    """Apply every pack's `tiers:` ({rule id: tier}) to rules of any pack: a committee moves a built-in rule
    between tiers from its own pack, without copying the rule. A later pack's setting wins."""
    chosen: dict[str, Tier] = {}
    for path, data in raw_packs:
        tiers = data.get("tiers") or {}
        if not isinstance(tiers, dict):
            raise RulePackError(str(path), "tiers must be a mapping of rule id to nudge, review or shadow")
        for rule_id, tier in tiers.items():
            if rule_id not in known:
                raise RulePackError(str(path), "tiers names a rule no pack defines", str(rule_id))
            chosen[str(rule_id)] = _enum(Tier, tier, str(path), str(rule_id), "tier")
    if not chosen:
        return packs
    return [replace(pack, rules=tuple(replace(rule, tier=chosen[rule.id]) if rule.id in chosen else rule
                                      for rule in pack.rules)) for pack in packs]



def _read_yaml(path: Path) -> dict[str, Any]:
    # Imported here: a scan that finds its scanner in the cache reads no pack and needs no YAML parser.
    import yaml

    # The C loader is several times faster where libyaml is present.
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=loader)
    except yaml.YAMLError as exc:
        raise RulePackError(str(path), yaml_problem(exc, path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(str(path), f"cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise RulePackError(str(path), "a rule pack must be a mapping with 'pack' and 'rules'")
    unknown = set(data) - _PACK_KEYS
    if unknown:
        raise RulePackError(str(path), f"{unknown_keys(unknown, _PACK_KEYS)} at the top level; allowed: "
                                       f"{sorted(_PACK_KEYS)}")
    return data



def _lexicons_of(path: Path, data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    raw = data.get("lexicons") or {}
    if not isinstance(raw, dict):
        raise RulePackError(str(path), "lexicons must map a name to a list of words")
    result: dict[str, tuple[str, ...]] = {}
    for name, words in raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise RulePackError(str(path), f"lexicon name {name!r} must be lowercase letters, digits and _")
        folded = tuple(dict.fromkeys(f for f in (fold(w) for w in string_list(words, str(path), name)) if f))
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
    return {fold(w) for w in string_list(data.get("allowlist"), str(path), "allowlist")}


# Built-in packs already built in this process, by everything a build reads. Building them is most of the
# seconds a scanner with a committee's pack costs; a process that builds several (tests, the bot reloading a
# committee's packs) builds each unchanged one once. A pack whose text, lexicons, macros or validators differ is
# rebuilt. A committee's pack is always rebuilt: its build runs timing probes, which must run every time.
_BUILT: dict[tuple[Any, ...], RulePack] = {}
_BUILT_LIMIT = 64


def _built_pack(path: Path, data: Mapping[str, Any], lexicons: Mapping[str, tuple[str, ...]],
                macros: Mapping[str, str], known_validators: set[str] | None, *, probe: bool = True) -> RulePack:
    """`_build_pack`, remembered for built-in (unprobed) packs: the key is the pack's parsed content (its repr:
    the same text gives the same one) and every name it may use, so a stale pack is never returned."""
    if probe:
        return _build_pack(path, data, lexicons, macros, known_validators, probe=True)
    key = (str(path), repr(data), tuple(sorted(lexicons.items())), tuple(sorted(macros.items())),
           None if known_validators is None else frozenset(known_validators))
    pack = _BUILT.get(key)
    if pack is None:
        pack = _build_pack(path, data, lexicons, macros, known_validators, probe=False)
        if len(_BUILT) >= _BUILT_LIMIT:
            _BUILT.clear()
        _BUILT[key] = pack
    return pack


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
        raise RulePackError(source, f"{unknown_keys(unknown, _DEFAULT_KEYS)} in defaults; allowed: "
                                    f"{sorted(_DEFAULT_KEYS)}")
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


def _rule_keys() -> set[str]:
    """Every key a rule may have: the common ones and those of every registered kind."""
    return _COMMON_RULE_KEYS.union(*(kind.keys for kind in KINDS.values()))


def _build_rule(source: str, pack: str, raw: Mapping[str, Any], defaults: Mapping[str, Any],
                lexicons: Mapping[str, tuple[str, ...]], macros: Mapping[str, str],
                known_validators: set[str] | None, index: int, probe: bool = True) -> Rule | None:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise RulePackError(source, f"rule #{index} needs an 'id' of lowercase letters, digits, '.', '-', '_'")
    unknown = set(raw) - _rule_keys()
    if unknown:
        raise RulePackError(source, unknown_keys(unknown, _rule_keys()), rule_id)
    if raw.get("enabled", True) is False:
        return None
    kind_name = str(raw.get("kind", defaults.get("kind", ""))).lower()
    if kind_name not in KINDS:
        raise RulePackError(source, f"kind {raw.get('kind', defaults.get('kind', ''))!r} is not one of: "
                            f"{', '.join(KINDS)}", rule_id)
    common = _common_fields(source, pack, rule_id, raw, defaults)
    common["kind"] = RuleKind(kind_name) if kind_name in RuleKind.__members__.values() else kind_name
    return KINDS[kind_name].parse(raw, common, PackContext(source, rule_id, lexicons, macros, known_validators,
                                                           probe))


def _common_fields(source: str, pack: str, rule_id: str, raw: Mapping[str, Any],
                   defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The fields every rule has, whatever its kind, with the pack's defaults applied."""

    def setting(key: str, fallback: Any = None) -> Any:
        return raw.get(key, defaults.get(key, fallback))

    clause = str(setting("clause", ""))
    if not _CLAUSE_ID.match(clause):
        raise RulePackError(source, f"clause {clause!r} is not a clause id such as '5.5.1'", rule_id)
    category = setting("category")
    if not isinstance(category, str) or not category.strip():
        raise RulePackError(source, "missing 'category' (say what kind of breach this is)", rule_id)
    confidence = setting("confidence", 0.9)
    if not isinstance(confidence, int | float) or not 0 < float(confidence) <= 1:
        raise RulePackError(source, f"confidence {confidence!r} must be a number in (0, 1]", rule_id)
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict) or set(examples) - {"match", "no_match"}:
        raise RulePackError(source, "examples must be a mapping with 'match' and/or 'no_match' lists", rule_id)
    return {
        "id": rule_id, "pack": pack, "source": source, "clause": clause, "category": category.strip(),
        "severity": _enum(Severity, setting("severity", "medium"), source, rule_id, "severity"),
        "audience": _enum(AudienceScope, setting("audience", "any"), source, rule_id, "audience"),
        "effect": _enum(RuleEffect, setting("effect", "breach"), source, rule_id, "effect"),
        "tier": _enum(Tier, setting("tier", "nudge"), source, rule_id, "tier"),
        "negatable": bool(setting("negatable", False)), "confidence": float(confidence),
        "description": str(raw.get("description") or "").strip(), "fuzzy": bool(setting("fuzzy", False)),
        "exceptions": tuple(fold(e) for e in string_list(raw.get("exceptions"), source, "exceptions", rule_id)),
        "context": _build_context(raw.get("context"), source, rule_id),
        "examples_match": string_list(examples.get("match"), source, "examples.match", rule_id),
        "examples_no_match": string_list(examples.get("no_match"), source, "examples.no_match", rule_id),
    }


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
        raise_words=frozenset(fold(w) for w in string_list(raw.get("raise"), source, "context.raise", rule_id)),
        lower_words=frozenset(fold(w) for w in string_list(raw.get("lower"), source, "context.lower", rule_id)),
        require=bool(raw.get("require", False)),
    )
