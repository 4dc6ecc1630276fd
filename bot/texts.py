"""The few sentences the hub says itself, when the brain cannot answer.

Everything else the bot says comes from the brain and the content files.
"""

from __future__ import annotations

from bot.settings import LANGUAGES, Language

_HOLDING: dict[Language, str] = {
    "fr": "Un instant, s'il vous plaît. Je ne peux pas répondre tout de suite.",
    "nl": "Een ogenblik, alstublieft. Ik kan nu niet meteen antwoorden.",
    "en": "One moment, please. I cannot answer right now.",
}
# Written channels only: the answer will appear in the conversation later.
_KEPT: dict[Language, str] = {
    "fr": "J'ai bien reçu votre message. Je vous réponds ici dès que possible.",
    "nl": "Ik heb uw bericht goed ontvangen. Ik antwoord u hier zo snel mogelijk.",
    "en": "I have received your message. I will answer you here as soon as I can.",
}
_CALL_US: dict[Language, str] = {
    "fr": "Pour parler à une personne, appelez le {phone}.",
    "nl": "Wilt u met iemand spreken? Bel dan {phone}.",
    "en": "To talk to a person, call {phone}.",
}
_NO_PHONE: dict[Language, str] = {
    "fr": "Pour parler à une personne, allez au service population de votre commune.",
    "nl": "Wilt u met iemand spreken? Ga dan naar de dienst Bevolking van uw gemeente.",
    "en": "To talk to a person, go to the population service of your commune.",
}
_LATE_ANSWER: dict[Language, str] = {
    "fr": "Merci d'avoir attendu. Voici ma réponse à votre message : « {text} »",
    "nl": "Bedankt voor het wachten. Hier is mijn antwoord op uw bericht: '{text}'",
    "en": "Thank you for waiting. Here is my answer to your message: '{text}'",
}
_NO_ANSWER: dict[Language, str] = {
    "fr": "Désolé, je n'ai pas de réponse à cela. Écrivez « menu » pour voir ce que je sais faire.",
    "nl": "Sorry, daar heb ik geen antwoord op. Schrijf 'menu' om te zien wat ik kan.",
    "en": "Sorry, I have no answer to that. Write 'menu' to see what I can do.",
}
_NO_ANSWER_SPOKEN: dict[Language, str] = {
    "fr": "Désolé, je n'ai pas de réponse à cela. Pour le menu, tapez dièse.",
    "nl": "Sorry, daar heb ik geen antwoord op. Voor het menu, druk op hekje.",
    "en": "Sorry, I have no answer to that. For the menu, press hash.",
}


def holding_reply(language: Language, helpdesk_phone: str, spoken: bool = False) -> str:
    """Said when the brain is starting, down or slow: the message is kept and answered later.

    Spoken (on the phone) it does not promise an answer "here": the caller would not hear it.
    """
    reach = (
        _CALL_US[language].format(phone=helpdesk_phone) if helpdesk_phone else _NO_PHONE[language]
    )
    kept = "" if spoken else f" {_KEPT[language]}"
    return f"{_HOLDING[language]}{kept} {reach}"


def late_answer_intro(language: Language, text: str) -> str:
    """Put before a late answer, so the person knows which message it answers."""
    quoted = text if len(text) <= 80 else text[:77] + "..."
    return _LATE_ANSWER[language].format(text=quoted)


def no_answer(language: Language, spoken: bool = False) -> str:
    """Said when the brain answered with nothing at all."""
    return (_NO_ANSWER_SPOKEN if spoken else _NO_ANSWER)[language]


def all_texts() -> dict[str, dict[Language, str]]:
    """Every sentence the hub can say, by name and language, placeholders left as {name}.

    The plain-language check in the test suite reads them from here.
    """
    return {
        "holding_reply": {lang: holding_reply(lang, "") for lang in LANGUAGES},
        "holding_reply_with_phone": {lang: holding_reply(lang, "{phone}") for lang in LANGUAGES},
        "holding_reply_spoken": {lang: holding_reply(lang, "", spoken=True) for lang in LANGUAGES},
        "late_answer_intro": {lang: late_answer_intro(lang, "{text}") for lang in LANGUAGES},
        "no_answer": {lang: no_answer(lang) for lang in LANGUAGES},
        "no_answer_spoken": {lang: no_answer(lang, spoken=True) for lang in LANGUAGES},
    }
