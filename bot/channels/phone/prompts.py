"""The phone line's own words: what it says itself, and the few words it listens for.

Everything else a caller hears comes from the brain, in the catalogue's spoken forms.
These prompts follow content/messages.yml: plain words, short spoken sentences, "vous" in
French and "u" in Dutch, keys named as a caller reads them on the keypad.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.settings import LANGUAGES, Language
from voice.line import Line

# Short: a new caller hears all three lines within 8 s of pick-up (docs/voice.md).
_LANGUAGE_MENU: dict[Language, str] = {
    "fr": "Français, dites-le ou tapez 1.",
    "nl": "Nederlands, zeg het of druk op 2.",
    "en": "English, say it or press 3.",
}
_LANGUAGE_MENU_KEYS: dict[Language, str] = {
    "fr": "Français, tapez 1.",
    "nl": "Nederlands, druk op 2.",
    "en": "English, press 3.",
}
_LANGUAGE_REMEMBERED: dict[Language, str] = {
    "fr": "J'ai gardé le français de votre dernier appel. Pour changer de langue, tapez 9.",
    "nl": "Ik spreek Nederlands, zoals bij uw vorige oproep. Voor een andere taal, druk op 9.",
    "en": "I kept English from your last call. To change the language, press 9.",
}
_NOT_CAUGHT: dict[Language, str] = {
    "fr": "Désolé, je n'ai pas bien entendu.",
    "nl": "Sorry, ik heb u niet goed verstaan.",
    "en": "Sorry, I did not catch that.",
}
_SAY_AGAIN: dict[Language, str] = {
    "fr": "Pouvez-vous le dire encore une fois ?",
    "nl": "Kunt u het herhalen?",
    "en": "Can you say it again?",
}
_ONE_MOMENT: dict[Language, str] = {
    "fr": "Un instant, s'il vous plaît.",
    "nl": "Een ogenblik, alstublieft.",
    "en": "One moment, please.",
}
_STILL_THERE: dict[Language, str] = {
    "fr": "Êtes-vous toujours là ? Tapez étoile pour réécouter, ou dièse pour le menu.",
    "nl": "Bent u er nog? Druk op sterretje om het opnieuw te horen, of op hekje voor het menu.",
    "en": "Are you still there? Press star to hear it again, or hash for the menu.",
}
_SILENT_GOODBYE: dict[Language, str] = {
    "fr": "Je ne vous entends pas. Vous pouvez rappeler quand vous voulez. Au revoir.",
    "nl": "Ik hoor u niet. U kunt altijd opnieuw bellen. Tot ziens.",
    "en": "I cannot hear you. You can call again at any time. Goodbye.",
}
_KEYPAD_ONLY: dict[Language, str] = {
    "fr": "Je ne comprends pas encore le français parlé. Utilisez les touches de votre téléphone.",
    "nl": "Ik versta nog geen gesproken Nederlands. Gebruik de toetsen van uw telefoon.",
    "en": "I cannot understand spoken English yet. Please use the keys of your phone.",
}
_BRAIN_DOWN: dict[Language, str] = {
    "fr": "Restez en ligne et réessayez dans un moment. Tapez dièse pour le menu.",
    "nl": "Blijf aan de lijn en probeer het zo opnieuw. Druk op hekje voor het menu.",
    "en": "Stay on the line and try again in a moment. Press hash for the menu.",
}
_NOT_TAKEN: dict[Language, str] = {
    "fr": "Désolé, je n'ai pas pu prendre votre demande. Redites-la dans un moment.",
    "nl": "Sorry, ik kon uw vraag niet opnemen. Zeg ze zo nog een keer.",
    "en": "Sorry, I could not take that. Please say it again in a moment.",
}
_TRANSFER_FAILED: dict[Language, str] = {
    "fr": "Désolé, je ne peux pas vous mettre en contact avec l'équipe maintenant. "
    "Vous pouvez continuer avec moi.",
    "nl": "Sorry, ik kan u nu niet doorverbinden met het team. U kunt verder met mij.",
    "en": "Sorry, I cannot put you through to the team now. You can go on with me.",
}
_NUMBER_AGAIN: dict[Language, str] = {
    "fr": "On recommence. Tapez le numéro, puis dièse.",
    "nl": "We beginnen opnieuw. Toets het nummer in, en dan hekje.",
    "en": "Let us start again. Type the number, then hash.",
}
_NUMBER_KEY_HINT: dict[Language, str] = {
    "fr": "Pour réentendre le numéro, tapez 8.",
    "nl": "Om het nummer opnieuw te horen, druk op 8.",
    "en": "To hear the number again, press 8.",
}
_SMS_KEY_HINT: dict[Language, str] = {
    "fr": "Pour recevoir ces étapes par SMS, tapez 7.",
    "nl": "Om deze stappen per sms te krijgen, druk op 7.",
    "en": "To get these steps by SMS, press 7.",
}
_LINES_BUSY: dict[Language, str] = {
    "fr": "Toutes nos lignes sont occupées. Rappelez dans quelques minutes, s'il vous plaît.",
    "nl": "Al onze lijnen zijn bezet. Bel over een paar minuten opnieuw, alstublieft.",
    "en": "All our lines are busy. Please call again in a few minutes.",
}
_NOT_STARTED: dict[Language, str] = {
    "fr": "Désolé, nous avons un problème technique. Rappelez dans quelques minutes.",
    "nl": "Sorry, we hebben een technisch probleem. Bel over een paar minuten opnieuw.",
    "en": "Sorry, we have a technical problem. Please call again in a few minutes.",
}
_LINE_CLOSING: dict[Language, str] = {
    "fr": "Désolé, je dois couper cet appel. Vous pouvez nous rappeler. On garde votre demande.",
    "nl": "Sorry, ik moet dit gesprek beëindigen. Bel ons opnieuw: uw gesprek is bewaard.",
    "en": "Sorry, I have to end this call. Please call us again: your conversation is kept.",
}
_THE_NUMBER: dict[Language, str] = {
    "fr": "Le numéro : {number}. Je répète : {number}.",
    "nl": "Het nummer: {number}. Ik herhaal: {number}.",
    "en": "The number: {number}. I repeat: {number}.",
}
_NO_NUMBER: dict[Language, str] = {
    "fr": "Il n'y avait pas de numéro de téléphone dans ma dernière réponse.",
    "nl": "Er stond geen telefoonnummer in mijn laatste antwoord.",
    "en": "There was no phone number in my last answer.",
}
# A phone number as the brain's spoken form writes it (actions/spoken.py): digit groups
# separated by single spaces, "plus" as a word before a country code ("02 279 22 11",
# "plus 32 2 518 21 23"), or a short number of two pairs ("17 65"). Amounts ("1 250")
# and dates are not phone numbers: see `_is_phone_number`.
_DIGIT_GROUPS = re.compile(r"(?:plus )?\d+(?: \d+)+")

# What a caller may say at the language menu, whichever recogniser heard it: each
# language named in the three languages, with the spellings recognisers tend to write.
_LANGUAGE_WORDS: dict[Language, frozenset[str]] = {
    "fr": frozenset({"français", "francais", "frans", "franse", "french"}),
    "nl": frozenset({"nederlands", "néerlandais", "neerlandais", "vlaams", "flamand", "dutch"}),
    "en": frozenset({"english", "anglais", "engels"}),
}
# "Slower, please": the caller wants the last answer again, more slowly.
_SLOWER = re.compile(
    r"\b(plus lentement|moins vite|lentement|langzamer|trager|rustiger|slower|more slowly|slowly)\b"
)
_WORD = re.compile(r"[^\W\d_]+")


def _in_all_three(texts: dict[Language, str]) -> list[Line]:
    """One prompt in each language, in the order of the language menu."""
    return [Line(texts[language], language) for language in LANGUAGES]


def language_menu(speech: bool) -> list[Line]:
    """The language menu, each language in its own voice; keys only when nothing can listen."""
    return _in_all_three(_LANGUAGE_MENU if speech else _LANGUAGE_MENU_KEYS)


def language_remembered(language: Language) -> Line:
    """Said once after the greeting of a caller whose language was remembered."""
    return Line(_LANGUAGE_REMEMBERED[language], language)


def language_not_caught(speech: bool) -> list[Line]:
    """An answer to the language menu that named no language: say so, then the menu again."""
    return [*_in_all_three(_NOT_CAUGHT), *language_menu(speech)]


def silent_goodbye_everyone() -> list[Line]:
    """Goodbye to a caller who never chose a language: in all three."""
    return _in_all_three(_SILENT_GOODBYE)


def not_caught(language: Language) -> Line:
    """The recogniser heard a sound but no words."""
    return Line(f"{_NOT_CAUGHT[language]} {_SAY_AGAIN[language]}", language)


def one_moment(language: Language) -> Line:
    """Said while the brain thinks, instead of dead air."""
    return Line(_ONE_MOMENT[language], language)


def still_there(language: Language) -> Line:
    """The first reprompt after the caller said nothing for a while."""
    return Line(_STILL_THERE[language], language)


def silent_goodbye(language: Language) -> Line:
    """Said before hanging up on a caller who stayed silent."""
    return Line(_SILENT_GOODBYE[language], language)


def keypad_only(language: Language) -> Line:
    """Said once when no speech model is installed for the caller's language."""
    return Line(_KEYPAD_ONLY[language], language)


def not_taken(language: Language) -> Line:
    """What the caller just said could not be taken (the database away): say it again."""
    return Line(_NOT_TAKEN[language], language)


def brain_down(language: Language) -> Line:
    """Said after the hub's holding reply: the call goes on, the keys still work."""
    return Line(_BRAIN_DOWN[language], language)


def transfer_failed(language: Language) -> Line:
    """Said when the call could not be put through to the helpdesk: the call goes on."""
    return Line(_TRANSFER_FAILED[language], language)


def number_again(language: Language) -> Line:
    """Said when the caller presses `*` while typing a number: the digits are forgotten."""
    return Line(_NUMBER_AGAIN[language], language)


def number_key_hint(language: Language) -> Line:
    """Said once in a call, after the first answer that holds a phone number."""
    return Line(_NUMBER_KEY_HINT[language], language)


def sms_key_hint(language: Language) -> Line:
    """Said once in a call, after the first step of a procedure (when SMS can be sent)."""
    return Line(_SMS_KEY_HINT[language], language)


def lines_busy() -> list[Line]:
    """Said to a caller over the line's capacity, in all three, before it hangs up."""
    return _in_all_three(_LINES_BUSY)


def one_moment_all() -> list[Line]:
    """Said to a caller whose call cannot start yet, in all three, while it is tried again."""
    return _in_all_three(_ONE_MOMENT)


def not_started() -> list[Line]:
    """Said to a caller whose call could not start after every try, in all three."""
    return _in_all_three(_NOT_STARTED)


def line_closing(language: Language) -> Line:
    """Said to a caller still on the line when the hub stops and its calls have drained."""
    return Line(_LINE_CLOSING[language], language)


def _phone_numbers(text: str) -> list[str]:
    """The phone numbers of a spoken text, by the rule the brain's spoken form follows."""
    return [run for run in _DIGIT_GROUPS.findall(text) if _is_phone_number(run)]


def _is_phone_number(run: str) -> bool:
    groups = run.removeprefix("plus ").split(" ")
    digits = "".join(groups)
    two_pairs = len(groups) == 2 and all(len(group) == 2 for group in groups)
    return (
        run.startswith("plus ")
        or (digits.startswith("0") and len(digits) >= 9)
        or (two_pairs and digits.startswith("1"))
    )


def the_numbers(language: Language, texts: Iterable[str]) -> Line:
    """Every phone number of an answer's texts, each said twice; or that there was none."""
    numbers = list(dict.fromkeys(n for text in texts for n in _phone_numbers(text)))
    if not numbers:
        return Line(_NO_NUMBER[language], language)
    return Line(" ".join(_THE_NUMBER[language].format(number=n) for n in numbers), language)


def holds_a_number(texts: Iterable[str]) -> bool:
    """Whether an answer says a phone number (in the spoken form's way of writing one)."""
    return any(_phone_numbers(text) for text in texts)


def chosen_language(heard: str) -> Language | None:
    """The language a caller named at the language menu, if they named exactly one."""
    words = set(_WORD.findall(heard.lower()))
    named = [language for language in LANGUAGES if words & _LANGUAGE_WORDS[language]]
    return named[0] if len(named) == 1 else None


def asks_slower(heard: str) -> bool:
    """Whether the caller asked Loket to speak more slowly."""
    return _SLOWER.search(heard.lower()) is not None


def all_texts() -> dict[str, dict[Language, str]]:
    """Every prompt by name and language, for the plain-language check and `Speaker.warm`."""
    tables = {
        "language_menu": _LANGUAGE_MENU,
        "language_menu_keys": _LANGUAGE_MENU_KEYS,
        "language_remembered": _LANGUAGE_REMEMBERED,
        "not_caught": {lang: not_caught(lang).text for lang in LANGUAGES},
        "one_moment": _ONE_MOMENT,
        "still_there": _STILL_THERE,
        "silent_goodbye": _SILENT_GOODBYE,
        "keypad_only": _KEYPAD_ONLY,
        "brain_down": _BRAIN_DOWN,
        "not_taken": _NOT_TAKEN,
        "transfer_failed": _TRANSFER_FAILED,
        "number_again": _NUMBER_AGAIN,
        "number_key_hint": _NUMBER_KEY_HINT,
        "sms_key_hint": _SMS_KEY_HINT,
        "no_number": _NO_NUMBER,
        "lines_busy": _LINES_BUSY,
        "not_started": _NOT_STARTED,
        "line_closing": _LINE_CLOSING,
    }
    return {name: dict(table) for name, table in tables.items()}
