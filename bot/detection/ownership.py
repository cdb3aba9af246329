"""Whose personal data a match is (clause 5.5.5), read from the words around it: pure, no I/O.

Clause 5.5.5 forbids posting the details of other people "without their prior permission". A number or an
address is therefore a breach only when it is someone else's and they did not agree: the poster's own details,
details shared at the person's request and the published details of an office, role, venue or business are
not. `classify` reads the text around a span and says which of these it is, with the cue that decided it, so
the judge can withdraw the match (OWN, CONSENTED, PUBLIC), nudge (OTHERS) or hold it for review (UNKNOWN).

Cues are weighed in a fixed order: a statement that the person did not agree beats everything; then consent;
then a role address or public office; then whose the detail is (first or third person, the nearest possessor
winning); a signature line counts as the poster's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.detection.lazyre import lazy
from bot.models import Match, Severity, Tier


class Ownership(StrEnum):
    """Whose a personal detail is, as far as the words around it say."""

    OWN = "own"  # the poster's own ("my number", "text me on", a signature line)
    CONSENTED = "consented"  # someone else's, shared with their consent or at their request
    PUBLIC = "public"  # an office, role address, venue, business or helpline
    OTHERS = "others"  # someone else's, with nothing saying they agreed: the breach
    UNKNOWN = "unknown"  # the words do not say: held for the committee's review

    @property
    def withdraws(self) -> bool:
        """Whether a match of this ownership is no breach at all."""
        return self in (Ownership.OWN, Ownership.CONSENTED, Ownership.PUBLIC)


@dataclass(frozen=True, slots=True)
class OwnershipFinding:
    """The ownership of one span and the words that decided it ("" when nothing did)."""

    ownership: Ownership
    cue: str = ""

    @property
    def reason(self) -> str:
        """A short sentence for `nudgebot explain` and the review queue."""
        label = {
            Ownership.OWN: "the poster's own details",
            Ownership.CONSENTED: "shared with the person's consent",
            Ownership.PUBLIC: "a public office, role, venue or helpline",
            Ownership.OTHERS: "someone else's details, no consent given",
            Ownership.UNKNOWN: "whose details these are is not said",
        }[self.ownership]
        return f"{label} ({self.cue!r})" if self.cue else label


_BEFORE = 160  # characters read before the span
_AFTER = 110  # and after it

_NAME = r"[a-z][a-z'\-]{1,20}"
_DETAIL = (r"(?:number|no|num|mobile|mob|phone|cell|landline|house\s+phone|whatsapp|whatsapp\s+number|email|e-mail|"
           r"email\s+address|address|home\s+address|addy|postcode|flat|room|dob|date\s+of\s+birth|birthday|contact|"
           r"contact\s+details|details|snap|snapchat|insta|instagram|handle|tiktok|student\s+(?:number|id|no)|"
           r"bank\s+details|card|account|passport|ni\s+number|licence|license|digits|deets)")
_PERSONAL = r"(?:personal|private|home|own|new|work|uni|student|real|full)"

# Someone saying the person did not agree, or that the detail was obtained behind their back.
_NO_CONSENT = lazy(
    r"\b(?:didn'?t|did\s+not|never|hasn'?t|has\s+not|haven'?t|without)\s+(?:even\s+)?(?:ask(?:ed|ing)?|"
    r"check(?:ed|ing)?|consent(?:ed)?|agree[d]?|(?:say|said)\s+(?:i|we|you)\s+(?:could|can)|permission|their\s+permission|"
    r"her\s+permission|his\s+permission|give\s+it\s+out|gave\s+it\s+out|given\s+it\s+out|know|knowing|told)\b"
    r"|\b(?:doesn'?t|does\s+not|don'?t|do\s+not|won'?t)\s+know\s+(?:i'?m|i\s+am|we'?re|that|about)\b"
    r"|\b(?:got|took|grabbed|nicked|pulled|copied)\s+(?:it|this|them|these|her\s+\w+|his\s+\w+|their\s+\w+)\s+"
    r"(?:off|from)\s+(?:a\s+mate|the\s+register|the\s+sign[\s-]?up|the\s+spreadsheet|the\s+system|her\s+phone|"
    r"his\s+phone|their\s+phone|the\s+database|the\s+membership|[a-z]+'s\s+phone)\b"
    r"|\bfound\s+(?:it|this|them)\s+(?:online|on\s+(?:her|his|their|the)\b)"
    r"|\b(?:spam|harass|prank|annoy|bombard)\s+(?:her|him|them)\b"
    r"|\b(?:pay(?:ing)?|give|giving)\s+(?:her|him|them)\s+a\s+(?:visit|surprise\s+visit)\b"
    r"|\b(?:dox(?:x)?(?:ed|ing)?|leak(?:ed|ing)?)\b"
    r"|\bbehind\s+(?:her|his|their)\s+back\b",
)

# Gossip and secrecy around a disclosure: the person has not chosen to share it.
_SECRECY = lazy(
    r"\b(?:don'?t|do\s+not|dont)\s+(?:tell|say|mention|repeat|spread)\b|\b(?:hasn'?t|has\s+not|hadn'?t|"
    r"haven'?t|isn'?t|is\s+not|not)\s+(?:told|out|said|shared|announced|public|open)\b|\bkeep\s+(?:it|this)\s+"
    r"(?:quiet|between|secret|on\s+the\s+down\s?low)|\bbetween\s+(?:us|you\s+and\s+me)\b|\bshh+\b|\bsecret(?:ly)?\b"
    r"|\bhides?\b|\bhiding\b|\b(?:did|do)\s+(?:you|u|ya)\s+know\b|\bbet\s+(?:you|u)\s+didn'?t\s+know\b"
    r"|\bapparently\b|\bfound\s+out\b|\bjust\s+so\s+(?:you|u)\s+(?:all|lot|guys)?\s*know\b|\bfyi\b|\bbtw\b"
    r"|\b(?:heard|hear)\s+(?:that|from)\b|\bnobody\s+knows\b|\bno\s+one\s+knows\b|\bbehind\s+(?:her|his|their)\s+back\b"
    r"|\bfor\s+anyone\s+who\s+wants\b|\byou\s+heard\s+it\s+from\s+me\b|\U0001f440",
)

# Consent or the person's own request.
_CONSENT = lazy(
    r"\b(?:she|he|they|[a-z]+)\s+(?:has\s+|had\s+|'s\s+|'d\s+)?(?:asked|wanted|told)\s+(?:me|us)\s+to\s+"
    r"(?:share|post|pass|give|put|send|add|forward|spread)\b"
    r"|\b(?:asked|wanted|told)\s+(?:me|us)\s+to\s+(?:share|post|pass|give|put|send|add|forward|spread)\b"
    r"|\b(?:she|he|they|[a-z]+)\s+(?:asked|wanted)\s+(?:me|us)\s+to\b(?!\s+(?:stop|not|leave|delete|remove|take))|\b(?:since|as|because)\s+(?:she|he|they)\s+asked\b"
    r"|\b(?:as|by|at\s+(?:her|his|their|[a-z]+'s))\s+(?:requested|request)\b|\bas\s+requested\b"
    r"|\bon\s+behalf\s+of\b|\bposting\s+(?:this\s+)?for\s+[a-z]+\b|\bsharing\s+(?:this\s+)?for\s+[a-z]+\b"
    r"|\bwith\s+(?:her|his|their|[a-z]+'s|the\s+\w+'s)\s+(?:permission|consent|blessing|ok|okay)\b"
    r"|\b(?:permission|consent)\s+(?:from|of)\s+(?:her|him|them|[a-z]+)\b"
    r"|\b(?:she|he|they|[a-z]+)\s+(?:said|says)\s+(?:it'?s|it\s+is|that'?s|that\s+is)\s+"
    r"(?:fine|ok|okay|alright|cool)\b"
    r"|\b(?:she|he|they|[a-z]+)\s+(?:said|says)\s+(?:i|we)\s+(?:can|could|may|might)\b"
    r"|\b(?:she|he|they|[a-z]+)\s+(?:is|'s|are|'re|was)\s+(?:fine|happy|ok|okay|cool)\s+(?:with|for)\s+"
    r"(?:me|us|it|this|people|everyone|you)\b"
    r"|\b(?:she|he|they|[a-z]+)(?:'s|\s+has|\s+have)?\s+(?:ok'?d|okayed|okd|approved|agreed\s+to|consented\s+to)\b"
    r"|\bgave\s+(?:me\s+)?(?:the\s+)?(?:ok|okay|go[\s-]ahead|green\s+light|thumbs\s+up)\b"
    r"|\b(?:checked|cleared\s+it)\s+with\s+(?:her|him|them|[a-z]+)\b"
    r"|\bwith\s+permission\b|\bshared\s+with\s+permission\b|\bby\s+request\b"
    r"|\b(?:she|he|they|[a-z]+)\s+(?:doesn'?t|didn'?t|does\s+not|did\s+not)\s+mind\b"  # "won't mind" is a guess
    r"|\b(?:she|he|they)\s+(?:wants?|wanted)\s+(?:it|this|people|everyone|you\s+all)\b"
    r"|\b(?:open|public|out)\s+about\s+it\b|\bopenly\b|\bout\s+and\s+proud\b|\b(?:talks|talked|talking|posted|"
    r"spoke|speaks)\s+(?:openly\s+)?about\s+(?:it|this|her|his|their)\b|\bdoing\s+a\s+talk\b",
)

# Published contact points: the span itself (a role mailbox) or an office, service, venue or business near it.
_ROLE_WORDS = (
    "info|hello|hi|contact|contactus|enquiries|enquiry|admin|office|reception|team|committee|exec|president|pres|"
    "vicepresident|vp|chair|secretary|sec|socialsec|treasurer|welfare|events|event|bookings|booking|tickets|sales|"
    "support|help|helpdesk|advice|advisor|adviser|careers|library|security|accommodation|housing|finance|"
    "membership|members|captain|captains|coach|media|press|marketing|sponsorship|partnerships|socials|social|"
    "nightline|chaplaincy|chaplain|wellbeing|disability|studentunion|su|union|registry|noreply|no-reply|"
    "reportandsupport|report|safeguarding|education|sport|sports|activities|volunteering|facilities|estates|"
    "it|ithelp|servicedesk|lostproperty|general|mail|post|orders|hr|jobs|webmaster|editor|radio|officers"
)
_ROLE_MAILBOX = lazy(rf"^(?:(?:{_ROLE_WORDS})(?:[._\-]?[a-z0-9]+)?|[a-z]+[._\-](?:{_ROLE_WORDS}))@", re.I)
_PUBLIC_PLACE = lazy(
    r"\b(?:reception|front\s+desk|help\s?desk|helpline|hotline|switchboard|security|porters?|porters'\s+lodge|"
    r"office|offices|advice\s+centre|centre|center|service|services|team|department|dept|library|clinic|"
    r"surgery|dentist|gp|pharmacy|hospital|police|nhs|samaritans|nightline|shelter|charity|"
    r"venue|pub|bar|club|nightclub|restaurant|cafe|caf\u00e9|takeaway|pizza\s+place|shop|store|print\s+shop|"
    r"hotel|hostel|inn|b&b|arena|stadium|pitch|pitches|ground|fields|leisure\s+centre|gym|climbing\s+wall|"
    r"theatre|cinema|museum|gallery|church|mosque|temple|synagogue|chaplaincy|"
    r"firm|company|business|agency|landlord\s+agency|letting\s+agent|taxi|taxis|cabs?|coach\s+company|"
    r"sponsor's|sponsors|ticket\s+office|box\s+office|hall\s+reception|halls\s+reception|"
    r"students'?\s+union|the\s+su|the\s+union|union\s+building|university|the\s+uni|campus|faculty|school\s+of|"
    r"society'?s?\s+(?:official\s+)?(?:email|inbox|account|number|phone|address)|official\s+(?:email|inbox|number|account)|"
    r"role\s+(?:email|inbox|address|account)|general\s+enquiries|enquiries|inbox|mailbox|"
    r"bookings?\s+line|opening\s+hours|open\s+(?:till|until|from)|mon(?:day)?\s*-\s*fri(?:day)?|\d\s*-\s*\d\s*pm|"
    r"drop[\s-]in|anonymously|(?:get|group|student)\s+(?:rates|discount)|doors\s+(?:at|open))\b"
)
_EMERGENCY = lazy(r"(?<!\d)(?:999|112|111|101|116\s?123|0800\s?1111|0300\s?123\s?3393|85258)(?!\d)")

# The poster's own: first person tied to the detail, or an invitation to contact "me".
_OWN = lazy(
    rf"\b(?:my|mine|our\s+house'?s?|our\s+flat'?s?)\b(?:\s+\w+){{0,2}}?\s*(?:'s\s+)?(?:{_DETAIL})\b"
    rf"|\bmy\s+{_PERSONAL}\s+(?:{_DETAIL})\b"
    r"|\b(?:text|call|ring|phone|email|e-mail|message|msg|dm|whatsapp|contact|reach|find|add|bell|buzz|"
    r"facetime|snap|ping|tell|send\s+(?:it|them|stuff|things|\w+)\s+to|post\s+(?:it|them|\w+)\s+to|"
    r"questions\s+to|forms?\s+to|receipts\s+to|sizes\s+to|give)\s+me\b"
    r"|\b(?:give|drop|send|shoot|flick)\s+(?:me|us)\s+(?:a|an)\s+(?:bell|ring|call|text|buzz|shout|line|email|e-mail|"
    r"message|msg|dm|whatsapp|note)\b|\bhit\s+me\s+up\b|\bhmu\b"
    r"|\b(?:to|for|at|on|with)\s+me\s+(?:on|at|via)\b"
    r"|\b(?:i'?m|i\s+am|i'?ll\s+be|i\s+will\s+be|im)\s+(?:on|at|in)\b"
    r"|\b(?:i|we)\s+(?:live|lives|moved|have\s+moved|'ve\s+moved|'m\s+living|am\s+living|stay|'m\s+staying)\b"
    r"|\b(?:i|we)'?ve\s+moved\b|\b(?:my|our)\s+new\s+(?:place|house|flat|gaff|digs|room)\b|\b(?:new\s+(?:phone|number|mobile|email|address|digits)|got\s+a\s+(?:new\s+)?"
    r"(?:landline|phone|number|mobile|email)(?:\s+now)?|save\s+(?:it|my\s+number|this\s+number))\b"
    r"|\b(?:mine|ours)\s+is\b|\bfor\s+mine\b|\bat\s+(?:mine|ours|my\s+place|my\s+house|my\s+flat)\b",
)
# A sign-off, or a name and role written beside the detail: a signature.
_SIGN_OFF = lazy(
    r"(?:^|[\s,.!])(?:cheers|thanks|thank\s+you|ta|best|best\s+wishes|kind\s+regards|regards|many\s+thanks|"
    r"yours\s+truly|yours|love|speak\s+soon|see\s+you)\s*,?\s+(?:all\s*,?\s*|everyone\s*,?\s*)?[a-z]"
    r"|^[\s\-\u2014~]*[a-z]+\s*(?:\([a-z .]+\)|,\s*(?:the\s+)?[a-z ]{2,25})\s*[|,/\-\u2014:]\s*$"
    r"|[\-\u2014~]\s*[a-z]+\s*(?:\([a-z .]+\)|,\s*[a-z ]{2,25})?\s*$"
    r"|\b[a-z]+\s*\((?:president|pres|treasurer|sec|secretary|social\s+sec|trip\s+sec|chair|captain|welfare|"
    r"welfare\s+officer|vp|rep|coach|advisor|adviser|organiser|organizer)\)"
)
_ROLE_AFTER_NAME = lazy(
    r"^\s*[a-z]+\s*,\s*(?:the\s+)?(?:society\s+)?(?:president|pres|treasurer|sec|secretary|social\s+sec|"
    r"trip\s+sec|chair|captain|welfare\s+officer|vp|rep|coach|academic\s+advis[oe]r|advis[oe]r|organiser)\b"
)
_TRAILING_NAME = lazy(r"^[\s,.;:)]*(?:[a-z]+(?:\s+x+)?|x+)\s*[!.]*\s*$")

# Someone else's: a third-person possessor or subject tied to the detail.
_CONTRACTION = r"(?:here|there|it|that|what|who|he|she|let|where|how|one|everyone|nobody|somebody|someone)'s\b"
_OFFICE_WORD = r"(?:office|desk|reception|team|department|dept|work|shop|business|company)"
_OTHERS = lazy(
    rf"(?:\b(?:her|his|their|hers|theirs)\b|\b(?!{_CONTRACTION})[a-z]+'s\b|\b[a-z]+s'(?=\s))(?:\s+(?!{_OFFICE_WORD}\b)\w+){{0,2}}?"
    rf"\s+(?:{_DETAIL})\b"
    rf"|\b(?:her|his|their|[a-z]+'s)\s+{_PERSONAL}\s+(?:{_DETAIL})\b"
    r"|\b(?:she|he|they)\s+(?:lives?|stays?|is\s+living|'s\s+living|moved|sleeps|is\s+staying)\b"
    r"|\b(?!(?:i|we|you|me)\b)[a-z]+(?:\s+and\s+(?:her|his|their)\s+\w+)?\s+(?:lives|live|stays|is\s+living|"
    r"are\s+living|moved\s+to)\b"
    r"|\b(?:text|call|ring|email|message|dm|add|contact|spam|find)\s+(?:her|him|them)\b"
    r"|\b(?:text|call|ring|phone|email|message|whatsapp|contact)\s+(?!(?:me|us|the|it|this|that)\b)[a-z]+\s+(?:on|at)\b"
    r"|\b(?:her|his|their)\s+(?:parents'?|mum'?s?|dad'?s?|family'?s?)\b"
)
# A work used under a licence or with credit (clause 5.5.4 asks for permission or credit, not both).
_LICENCE = lazy(
    r"(?<!n't )(?<!not )(?<!never )(?<!nt )(?<!no )(?:"
    r"\bcc[\s\-]?(?:by|0|zero)\b|\bcreative\s+commons\b|\bpublic\s+domain\b|\bopen\s+(?:licen[cs]e|access)\b"
    r"|\broyalty[\s\-]free\b|\b(?:unsplash|pexels|pixabay|wikimedia)\b|\bwith\s+(?:full\s+)?credit\b"
    r"|\b(?:credited|crediting)\s+(?:her|him|them|the|[a-z]+)\b|\bcredits?\s+(?:to|goes\s+to)\s+(?!the\s+(?:original\s+)?owner)(?:@|[a-z])"
    r"|\b(?:photo|photos|pic|pics|art|artwork|image|design|words|music|video)\s+(?:by|from|credit|courtesy\s+of)\s+@?[a-z]"
    r"|\b(?:bought|paid\s+for|got|have)\s+(?:a\s+|the\s+)?(?:licen[cs]e|rights|permission)\b|\blicensed\b)"
)


class DetailKind(StrEnum):
    """What a match holds, which decides the cues that can be said of it."""

    CONTACT = "contact"  # a number, an email, an address: the poster's own, an office's or someone else's
    DISCLOSURE = "disclosure"  # a fact a pattern found about someone else ("X is pregnant", "her room is 12")
    WORK = "work"  # someone's photo, art, writing or paid material (clause 5.5.4)


def classify(text: str, start: int, end: int, *, kind: DetailKind = DetailKind.CONTACT) -> OwnershipFinding:
    """Whose the detail at text[start:end] is, from the words of the same message around it.

    `text` is the original message; the span is the detail. Only cues in the message itself count. A contact
    detail can be the poster's own or an office's; a disclosure already names someone else, so only consent,
    a refusal or secrecy, or nothing, can be said of it; a work is someone else's unless it was used with
    permission, with credit or under an open licence.
    """
    lower = text.lower()
    span = lower[start:end]
    before = lower[max(0, start - _BEFORE): start]
    after = lower[end: end + _AFTER]
    whole = f"{before}{span}{after}"

    refusal = _NO_CONSENT.search(whole)
    if refusal:
        return OwnershipFinding(Ownership.OTHERS, refusal.group().strip())
    consent = _CONSENT.search(whole)
    if consent:
        return OwnershipFinding(Ownership.CONSENTED, consent.group().strip())
    if kind is DetailKind.WORK:
        licence = _LICENCE.search(whole)
        return OwnershipFinding(Ownership.CONSENTED, licence.group().strip()) if licence else OwnershipFinding(
            Ownership.OTHERS)
    if kind is DetailKind.DISCLOSURE:
        secret = _SECRECY.search(whole)
        return OwnershipFinding(Ownership.OTHERS, secret.group().strip()) if secret else OwnershipFinding(
            Ownership.UNKNOWN)
    if _ROLE_MAILBOX.match(span.strip()):
        return OwnershipFinding(Ownership.PUBLIC, span.strip().split("@", 1)[0] + "@")
    emergency = _EMERGENCY.fullmatch(re.sub(r"[^\d ]", "", span).strip())
    if emergency:
        return OwnershipFinding(Ownership.PUBLIC, emergency.group())

    own = _nearest(_OWN, before, after)
    others = _nearest(_OTHERS, before, after, span)
    public = _nearest(_PUBLIC_PLACE, before, after)
    candidates = [(distance, whose, cue) for whose, found in
                  ((Ownership.OWN, own), (Ownership.OTHERS, others), (Ownership.PUBLIC, public))
                  if found is not None for distance, cue in [found]]
    if candidates:
        # The nearest cue wins; at equal distance a third person beats a public place, which beats "me"
        # ("ring me about her number": the number is hers).
        order = {Ownership.OTHERS: 0, Ownership.PUBLIC: 1, Ownership.OWN: 2}
        _distance, whose, cue = min(candidates, key=lambda c: (c[0], order[c[1]]))
        at = before.rfind(cue)
        owner = cue.split()[0]
        possessor = (" ".join([*before[:max(at, 0)].split()[-2:], owner])
                     if owner.endswith(("'s", "s'")) and not re.match(_CONTRACTION, owner) else "")
        if whose is Ownership.OTHERS and _PUBLIC_PLACE.search(possessor):
            whose = Ownership.PUBLIC  # the possessor is itself a public place: "the climbing centre's number"
        return OwnershipFinding(whose, cue)
    signature = _signature(lower, start, end)
    if signature:
        return OwnershipFinding(Ownership.OWN, signature)
    return OwnershipFinding(Ownership.UNKNOWN)


OWNERSHIP_PACKS: dict[str, DetailKind] = {
    "personal-data": DetailKind.CONTACT,
    "personal-details": DetailKind.DISCLOSURE,
    "copyright": DetailKind.WORK,
}
"""Packs whose matches are someone's details or work, their ownership deciding whether they stand."""


def judge_ownership(match: Match, text: str, offset: int = 0, *,
                    kind: DetailKind = DetailKind.CONTACT) -> tuple[Match, str | None]:
    """The match with its ownership recorded, and why it is withdrawn (None when it stands).

    The poster's own, consented and public details are withdrawn (the poster's own card number, critical, is
    held for review instead); someone else's keep the rule's tier; where the words do not say, a nudge-tier match
    is held for review instead. `text` is the message (or the part
    of a long one that was scanned) and `offset` where it starts in the whole message.
    """
    ownership, tier, why_not = owned_tier(text, match.start - offset, match.end - offset, match.severity,
                                          match.tier, kind=kind)
    return replace(match, ownership=ownership, tier=tier), why_not


def owned_tier(text: str, start: int, end: int, severity: Severity, tier: Tier, *,
               kind: DetailKind = DetailKind.CONTACT) -> tuple[str, Tier, str | None]:
    """What `judge_ownership` decides for a detail at text[start:end] of a match of this severity and tier:
    whose it is, the tier it lands in and why it is withdrawn (None when it stands). The judge calls this
    before it builds the match, so each match is built once."""
    finding = classify(text, start, end, kind=kind)
    whose = finding.ownership
    if whose is Ownership.OWN and severity is Severity.CRITICAL:
        # A card number in a group chat can be used by anyone who reads it, the poster's own included: the
        # committee is asked to look, nobody is nudged.
        return whose.value, Tier.REVIEW if tier is Tier.NUDGE else tier, None
    if whose.withdraws:
        return whose.value, tier, finding.reason
    if whose is Ownership.UNKNOWN and tier is Tier.NUDGE:
        return whose.value, Tier.REVIEW, None
    return whose.value, tier, None


def _nearest(pattern: re.Pattern[str], before: str, after: str, span: str = "") -> tuple[int, str] | None:
    """The cue nearest the span (its distance in characters and its words), before it, inside it or after it."""
    best: tuple[int, str] | None = None
    if span:
        inside = pattern.search(span)
        if inside:
            return 0, inside.group().strip()
    for found in pattern.finditer(before):
        distance = len(before) - found.end()
        if best is None or distance <= best[0]:
            best = (distance, found.group().strip())
    following = pattern.search(after)
    if following and (best is None or following.start() < best[0]):
        best = (following.start(), following.group().strip())
    return best


def _signature(lower: str, start: int, end: int) -> str:
    """A sign-off or a name-and-role line beside the detail, which makes it the poster's own."""
    line_start = lower.rfind("\n", 0, start) + 1
    line_end = lower.find("\n", end)
    line_end = len(lower) if line_end == -1 else line_end
    before = lower[line_start:start]
    after = lower[end:line_end]
    # Everything on the line apart from the details is names, roles and separators: "josh, social sec | ...".
    rest = re.sub(r"\S+@\S+|\+?\d[\d\s\-()]{6,}\d", " ", lower[line_start:line_end])
    sign = _SIGN_OFF.search(before) or _SIGN_OFF.search(after) or _ROLE_AFTER_NAME.search(rest)
    if sign:
        return sign.group().strip(" ,.|")
    if _TRAILING_NAME.match(after) and re.search(r"[,!.]\s*$", before) and len(after.strip(" ,.!")) > 0:
        return after.strip(" ,.!")
    return ""
