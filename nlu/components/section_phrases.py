"""Which detail of a procedure a question asks about, found by phrases (no Rasa here).

`find_section` names the detail a message asks about, in French, Dutch or English:
"how much does it cost?" (cost), "wat moet ik meebrengen?" (bring), "jusqu'à quand ?"
(deadline), "where do I go" (where), "sans ordinateur" (offline), "voor wie is dat"
(who), "other help I can get" (related). The values are the procedure's sections
(actions/_catalogue/model.py SECTIONS) and `who`. SectionEntityExtractor
(nlu/components/sections.py) makes it the `section` entity.

Why phrases and not DIET: the same question comes with any procedure ("how much is a
new identity card" is proc_lost_eid with section cost), so the intent says which
procedure and the phrases which part of it, and each is measured on its own. The
QUESTIONS are questions, not topics: "my medical costs are too high" names no detail,
"how much does it cost" does; "ou" (French "or") is never "où" without a verb after it.
In a message already known to ask a detail (intent ask_section), DETAIL_WORDS count too.

How: the message is folded (lowercase, no accents, punctuation a space) and searched
with one regular expression per detail. The detail named first wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nlu.components.folding import fold

SECTION = "section"
ASK_SECTION = "ask_section"
"""The intent of a question about one detail: there, single words name the detail too."""

_TIME = r"(?:time|tijd|temps|days?|dagen|jours?|weeks?|weken|semaines?|months?|maanden|mois|uur)"
_STEPS = r"(?:steps?|stappen|etapes?)"
# Questions that name a detail, in any message (fr, nl, en, in folded text: no accents,
# punctuation a space). They also come with a procedure's name ("how much is a new
# identity card"), so each is a question, not a topic: "my costs are too high" is none.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "offline": (
        r"sans (?:un |une |l |d )?(?:ordinateur|ordi|pc|internet|smartphone|itsme|appli|lecteur)",
        r"sans (?:e ?mail|passer par internet|aller en ligne)|sur papier|version papier",
        r"formulaire papier|par (?:la )?poste|par courrier",
        r"zonder (?:een )?(?:computer|pc|internet|smartphone|laptop|itsme|kaartlezer|e ?mail|app)",
        r"op papier|papieren formulier|per post",
        r"without (?:a |an |any |using )?(?:computer|pc|internet|smartphone|laptop|itsme|e ?mail)",
        r"without (?:a )?card reader|w o internet|on paper|paper form|by post",
    ),
    "deadline": (
        r"jusqu (?:a|au) quand|avant quand|pour quand|a partir de quand|avant quelle date",
        r"quand (?:dois|faut|est ce que je dois|je dois|on doit)|date limite|trop tard",
        r"combien de " + _TIME + r"|ca (?:prend|dure) combien|delais?",
        r"tot wanneer|tegen wanneer|wanneer (?:moet|moeten)|hoe ?lang|termijn|te laat",
        r"hoeveel " + _TIME + r"|duurt (?:het|dat|da)|binnen hoeveel|laatste dag",
        r"by when|until when|till what date|deadline|how long|time limit|too late",
        r"how much time|how many " + _TIME + r"|when (?:do|must|should) i|how (?:soon|fast)",
        r"last day",
    ),
    "cost": (
        r"combien(?! de " + _TIME + r")(?! d " + _STEPS + r")|quel est le prix|(?:ca|cela) coute",
        r"coute combien|(?:c est|est ce) (?:gratuit|payant)|ca se paie",
        r"(?:faut il|dois je|je dois|il faut|on doit|faut) payer",
        r"hoeveel(?! " + _TIME + r")(?! " + _STEPS + r")|wat kost|kost (?:het|dat|dit|da)",
        r"wat zijn de kosten|(?:is het|is dat|is da|is dit) (?:gratis|betalend|duur)",
        r"moet ik (?:iets )?betalen|hvl (?:euro|moet ik betalen)",
        r"how much(?! time)|(?:it|this|that|will|does|would) cost|what is the price",
        r"is (?:it|this|that) free|free of charge|(?:do|must|should) i (?:have to |need to )?pay",
        r"charge me|how many euros",
    ),
    "bring": (
        r"apporter|amener|ramener|prendre avec moi|emporter|venir avec quoi",
        r"(?:quels?|quelles?|kel|kels) (?:documents?|papiers?|pieces?)",
        r"(?:documents?|papiers?) a (?:fournir|preparer|prendre)|pieces? justificatives?",
        r"meebrengen|mee brengen|meebrenge|meenemen|mee nemen|breng ik (?:best )?mee|bijhebben",
        r"welke (?:documenten|papieren|stukken|bewijzen|bewijsstukken)|wat voor papieren",
        r"(?:documenten|papieren) nodig",
        r"bring|take with me|have with me|carry (?:any )?documents?",
        r"(?:what|which|wat) (?:documents?|papers?|docs?|proofs?|paperwork)",
        r"documents? (?:do|should|must) i|list of documents",
    ),
    "who": (
        r"pour qui|reserve a qui|qui a droit",
        r"qui peut (?:l |en |le |la )?(?:avoir|obtenir|demander)",
        r"(?:ai je|j ai|j y ai|y ai je|y avoir) droit|quelles? conditions?|kel conditions?",
        r"voor wie|wie (?:kan (?:dat|het) |mag |heeft (?:daar )?recht)|heb ik (?:er |daar )?recht",
        r"in aanmerking|voorwaarden|voor iedereen",
        r"who (?:is it for|is this for|is that for|has the right|qualifies|is eligible)",
        r"for whom|am i (?:entitled|eligible|allowed)|do i qualify|whos eligible",
        r"do i have (?:the )?right|without papers|sans papiers|zonder papieren",
    ),
    "where": (
        r"ou (?:dois je|je dois|faut il|il faut|aller|est ce que je|puis je|on doit|ca se)",
        r"(?:je dois aller|je vais|c est) ou|quel (?:bureau|guichet|endroit)|quelle adresse",
        r"waar (?:moet|kan ik|ga ik|vind ik|is het|zit)|naar waar|waarheen|welk (?:kantoor|loket)",
        r"welke dienst",
        r"where (?:do|can|should|must|is it|to)|which (?:office|counter|building)|what address",
        r"^\s*(?:and\s+|et\s+|en\s+)?(?:where|ou|waar|wher)\s*$",
    ),
    "related": (
        r"autres? (?:droits?|aides?|allocations?|avantages?|reductions?)|d autres aides",
        r"quoi d autre|(?:j ai |ai je )?droit a (?:autre chose|d autres)",
        r"recht op (?:iets anders|andere)",
        r"nog iets waar ik recht",
        r"andere (?:rechten|steun|hulp|voordelen|kortingen|tegemoetkomingen|premies)",
        r"nog (?:recht|iets krijgen)|wat kan ik nog|extra hulp",
        r"other (?:rights?|help|aids?|benefits?|allowances?|support|advantages)",
        r"anything else (?:i|im)|something else i (?:can|could)|what else can i|extra help",
    ),
}
# Words that say which detail once the message is known to ask one (intent
# ask_section: "and the papers?", "i dont have internet", "as a student"), too common
# to name a detail in any message ("internet" in a request for help with a computer).
DETAIL_WORDS: dict[str, tuple[str, ...]] = {
    "offline": (
        r"internet|en ligne|online|smartphone|itsme|ordi|ordinateur|computer|gsm|appli",
        r"autrement|a distance|autre moyen|anders|another way|apps?|e ?mail|papier|pc",
    ),
    "deadline": (
        r"quand|wanneer|when|date|datum|vite|snel|fast|retard|dringend|urgent",
        r"wachten|attendre|wait",
    ),
    "cost": (
        r"prix|prijs|price|gratuit|gratis|free|payer|betalen|pay|euros?|duur|costs?",
        r"fees?|frais|payant|betalend",
    ),
    "bring": (
        r"documents?|papiers?|papieren|papers?|paperwork|copies|copy|kopie|originaux|stukken",
        r"passport|passeport|paspoort|nodig|need|quoi avec moi|amene quoi",
    ),
    "who": (
        r"droit|recht|right|etudiant|student|etranger|foreigner|belges?|belgians?|belg",
        r"pensionne|gepensioneerden|pensioners?|age|leeftijd|old people|zelfstandige",
        r"apply to me|pour moi aussi|ook krijgen|also get|allowed|residence permit",
        r"who|qui|wie|conditions?|voorwaarden|beneficier|husband|mari|wife|vrouw",
    ),
    "where": (
        r"ou|waar|where|wher|adresse?|adres|address|kantoor|bureau|office|loket|guichet",
        r"building|place|endroit|deplacer|langsgaan|bellen|call|phone|telephone|telefoon",
        r"dienst|service|ter plaatse|telefonisch",
    ),
    "related": (
        r"autre chose|d autres?|avantages?|reductions?|voordelen|kortingen|advantages?",
        r"something else|anything else|more help|iets|else|other|andere|ander|extra",
    ),
}


def _compiled(patterns: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    """One regular expression per detail; a space in a phrase matches any run of spaces
    (punctuation folds to spaces), an optional space (" ?") any run or none."""
    return {
        name: re.compile(
            r"(?<![a-z0-9])(?:"
            + "|".join(parts).replace(" ?", "\0").replace(" ", " +").replace("\0", " *")
            + r")(?![a-z0-9])"
        )
        for name, parts in patterns.items()
    }


_QUESTIONS = _compiled(QUESTIONS)
_DETAIL_WORDS = _compiled(DETAIL_WORDS)


@dataclass(frozen=True)
class FoundSection:
    """A section named in a message, and where (character offsets in the message)."""

    value: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        """The entity as Rasa stores it (the extractor's name is added by Rasa's mixin)."""
        return {"entity": SECTION, "value": self.value, "start": self.start, "end": self.end}


def find_section(text: str, asks_a_detail: bool = False) -> FoundSection | None:
    """The detail the message asks about (the first named), or None. When the message
    is known to ask a detail (`asks_a_detail`: intent ask_section), single words count
    too, where no question names one."""
    folded, origin = fold(text)
    found = _first(_QUESTIONS, folded)
    if found is None and asks_a_detail:  # the first detail in DETAIL_WORDS' order
        found = next(
            (
                (m.start(), m.end(), name)
                for name, p in _DETAIL_WORDS.items()
                if (m := p.search(folded))
            ),
            None,
        )
    if found is None:
        return None
    start, end, name = found
    while folded[end - 1] == " ":  # a trailing "?" is folded to a space: not said
        end -= 1
    first, last = origin[start], origin[end - 1] + 1
    return FoundSection(name, first, last, text[first:last])


def _first(patterns: dict[str, re.Pattern[str]], folded: str) -> tuple[int, int, str] | None:
    """The detail named first in `folded`; at the same place, the longest phrase, then the
    first detail in `patterns`."""
    matches = [
        (m.start(), m.start() - m.end(), rank, m.end(), name)
        for rank, (name, pattern) in enumerate(patterns.items())
        if (m := pattern.search(folded))
    ]
    if not matches:
        return None
    start, _, _, end, name = min(matches)  # the first; at one place, the longest
    return start, end, name
