"""A seeded generator of realistic student-society chat, mostly ordinary, for benchmarks and load tests.

Breaching messages are built from the bundled rule packs' own words (terms and lexicons), so the corpus never
carries a list of slurs of its own and follows the packs as they change. Personal data is invented: Ofcom's
drama numbers (07700 900xxx), example.com addresses and made-up postcodes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NAMES = ["Priya", "Tom", "Aisha", "Callum", "Mei", "Jordan", "Olu", "Sophie", "Raj", "Hannah", "Kwame", "Zara",
         "Ethan", "Fatima", "Liam", "Chloe", "Dev", "Amara", "Josh", "Ellie"]
PLACES = ["the SU", "Percy Gee", "the library", "Charles Wilson", "the Attenborough tower", "Victoria Park",
          "the Queens", "Freemen's Common", "the sports centre", "Fraser Noble", "the David Wilson Library"]
ACTIVITIES = ["training", "the social", "rehearsal", "the pub quiz", "committee meeting", "the bake sale",
              "the hike", "the AGM", "karaoke", "the charity run", "the film night", "the welcome fair"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "tomorrow", "tonight"]
EMOJI = ["😂", "🙌", "👍", "🎉", "😭", "❤️", "🔥", "👀", "🥳", "🙏"]
TEMPLATES = [
    "Is anyone going to {activity} on {day}?",
    "{activity} is at {time} in {place}, don't be late!",
    "Can someone send the notes from today's lecture pls",
    "I'll bring snacks for {activity} {emoji}",
    "Tickets are £{price} each, pay {name} by {day}",
    "Room {room} is booked for {activity} from {time}",
    "lol same {emoji}",
    "Who's got the key for the cupboard in {place}?",
    "Reminder: subs are due by {day}, it's £{price} for the year",
    "Thanks {name}, that was class {emoji}",
    "running 10 mins late, start without me",
    "Does anyone know if {place} is open on {day}?",
    "Can we move {activity} to {time}? I have a seminar till {time}",
    "Just uploaded the photos from {activity} to the drive {emoji}",
    "Version {version} of the app fixed the login bug btw",
    "{name} you absolute legend, we won 3-2!!",
    "What's the wifi password in {place} again?",
    "I'm so tired, this essay is killing me {emoji}",
    "Good luck with the exam {name}, you'll kill it",
    "Order #{order} arrived, the hoodies look great",
    "Who wants to split a taxi to {place} after {activity}?",
    "The minutes from the last meeting are on the shared drive",
    "ISBN {isbn} is the set text for the book club",
    "Hiiii everyone, welcome to the new members!!! {emoji}",
    "Can't make it {day}, sorry guys",
    "Is it £{price} or £{price} for non-members?",
    "Meet at {place} at {time}",
    "Anyone fancy a {activity} rematch? {emoji}{emoji}",
    "\u201cBest society ever\u201d \u2013 {name}, 2024",
    "honestly the cocktail night at {place} was the best one yet",
    "My therapist says I should join more clubs lol",
    "Revision session for CO{module} in {place}, bring past papers",
]
BREACH_TEMPLATES = [
    "{name} you are a complete {insult}",
    "honestly {group} are {bad}",
    "I hate {group}",
    "{term} off {name}",
    "text {name} on {phone}, that's her number",
    "{name}'s email is {email} if you want to complain",
    "she lives at {house} Example Road, {postcode}",
]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One generated message and whether the generator meant it to breach."""

    id: int
    text: str
    intended_breach: bool


def _pack_words() -> dict[str, list[str]]:
    """Words from the bundled packs to build breaching messages from (empty lists if the packs lack them)."""
    from bot.detection.rules import load_rule_set
    from bot.detection.validators import VALIDATORS
    from bot.resources import rules_dir

    rule_set = load_rule_set([rules_dir()], validator_names=VALIDATORS.keys())
    terms = [t for rule in rule_set.rules if rule.clause == "5.5.1" and str(rule.kind) == "terms"
             for t in rule.terms if " " not in t]
    insults = [t for rule in rule_set.rules if rule.clause == "5.5.3" and str(rule.kind) == "terms"
               for t in rule.terms if " " not in t]
    lexicons = rule_set.lexicons
    contempt = [w for w in lexicons.get("contempt_noun", ()) if " " not in w]
    return {"term": terms, "insult": insults or contempt or terms, "group": list(lexicons.get("group_noun", ())),
            "bad": [w for w in lexicons.get("contempt_adj", ()) if " " not in w]}


def generate(count: int, *, seed: int = 2026, breach_rate: float = 0.05) -> Iterator[ChatMessage]:
    """Yield `count` messages; about `breach_rate` of them are built to breach a clause."""
    rng = random.Random(seed)
    words = _pack_words()
    written = benign_lines()

    def fill(template: str) -> str:
        slots = {
            "activity": rng.choice(ACTIVITIES), "day": rng.choice(DAYS), "place": rng.choice(PLACES),
            "name": rng.choice(NAMES), "emoji": rng.choice(EMOJI),
            "price": f"{rng.randint(2, 40)}.{rng.choice(['00', '50'])}",
            "time": f"{rng.randint(1, 12)}{rng.choice(['pm', 'am', ':30', '.15pm'])}",
            "room": f"{rng.randint(0, 3)}.{rng.randint(1, 40):02d}",
            "version": f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
            "order": rng.randint(10000, 99999), "isbn": f"978-0-14-310{rng.randint(100, 999)}-7",
            "module": rng.randint(1000, 3999), "insult": rng.choice(words["insult"] or ["idiot"]),
            "group": rng.choice(words["group"] or ["people"]), "bad": rng.choice(words["bad"] or ["awful"]),
            "term": rng.choice(words["term"] or ["idiot"]), "phone": f"07700 900{rng.randint(100, 999)}",
            "email": f"{rng.choice(NAMES).lower()}{rng.randint(1, 99)}@example.com", "house": rng.randint(1, 200),
            "postcode": f"LE{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
        }
        return template.format(**slots)

    for index in range(count):
        if rng.random() < breach_rate:
            yield ChatMessage(index, fill(rng.choice(BREACH_TEMPLATES)), True)
        else:
            text = rng.choice(written) if written and rng.random() < 0.4 else fill(rng.choice(TEMPLATES))
            if rng.random() < 0.15:  # some people type on phones with smart quotes
                text = text.replace("'", "\u2019")
            yield ChatMessage(index, text, False)


def benign_lines() -> list[str]:
    """Hand-written ordinary chat lines, if the corpus file is present."""
    path = Path(__file__).parent / "corpus" / "benign_chat.txt"
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
