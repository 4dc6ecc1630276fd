"""What the SMS and WhatsApp channel says itself, in French, Dutch and English.

Short and plain: an SMS is read on a small screen, often by someone for whom reading is
the obstacle. `{field}`s are filled by `say`.
"""

from __future__ import annotations

from bot.settings import LANGUAGES, Language

_TEXTS: dict[str, dict[Language, str]] = {
    "more": {
        "fr": "Écrivez PLUS pour la suite.",
        "nl": "Stuur MEER voor de rest.",
        "en": "Reply MORE for the rest.",
    },
    "choices": {
        "fr": "Répondez {numbers} :",
        "nl": "Antwoord {numbers}:",
        "en": "Reply {numbers}:",
    },
    "or": {"fr": "ou", "nl": "of", "en": "or"},
    "stopped": {
        "fr": "C'est noté : Loket ne vous enverra plus de messages. Pour recommencer, "
        "écrivez START.",
        "nl": "Genoteerd: Loket stuurt u geen berichten meer. Wilt u weer berichten? Stuur START.",
        "en": "Done: Loket will not send you any more messages. To start again, reply START.",
    },
    "started": {
        "fr": "Bienvenue à nouveau. Loket peut vous écrire. Posez votre question.",
        "nl": "Welkom terug. Loket mag u weer berichten sturen. Stel uw vraag.",
        "en": "Welcome back. Loket can write to you again. Ask your question.",
    },
    "help": {
        "fr": "Loket vous aide pour les démarches à Bruxelles : carte d'identité, adresse, "
        "aides, emploi. Écrivez votre question. Une personne du service d'aide peut aussi "
        "vous répondre. Pour ne plus recevoir de messages, écrivez STOP.",
        "nl": "Loket helpt u met zaken in Brussel: identiteitskaart, adres, steun, werk. "
        "Schrijf uw vraag. Een medewerker van de helpdesk kan u ook antwoorden. Geen "
        "berichten meer? Stuur STOP.",
        "en": "Loket helps you with official matters in Brussels: identity card, address, "
        "benefits, work. Write your question. A person from the helpdesk can also answer you. "
        "To get no more messages, reply STOP.",
    },
    "media": {
        "fr": "Merci. Je ne peux pas lire les photos ni les documents. Une personne du service "
        "d'aide peut regarder avec vous.",
        "nl": "Bedankt. Ik kan geen foto's of documenten lezen. Een medewerker van de helpdesk "
        "kan samen met u kijken.",
        "en": "Thank you. I cannot read photos or documents. A person from the helpdesk can "
        "look at it with you.",
    },
    "talk_to_person": {
        "fr": "Parler à une personne",
        "nl": "Met een medewerker spreken",
        "en": "Talk to a person",
    },
    "location_commune": {
        "fr": "Vous êtes probablement à {commune} (la commune la plus proche de ce point). "
        "Je peux vous aider avec les démarches de cette commune.",
        "nl": "U bent waarschijnlijk in {commune} (de dichtstbijzijnde gemeente). Ik kan u "
        "helpen met de zaken van die gemeente.",
        "en": "You are probably in {commune} (the nearest commune to this point). I can help "
        "you with the matters of this commune.",
    },
    "location_outside": {
        "fr": "Ce lieu n'est pas dans la Région de Bruxelles-Capitale. Loket connaît seulement "
        "les démarches à Bruxelles.",
        "nl": "Deze plaats ligt niet in het Brussels Hoofdstedelijk Gewest. Loket kent alleen "
        "de zaken in Brussel.",
        "en": "This place is not in the Brussels-Capital Region. Loket only knows the matters "
        "in Brussels.",
    },
}


def say(name: str, language: Language, **fields: object) -> str:
    """The text `name` in `language`, with its fields filled in."""
    return _TEXTS[name][language].format(**fields)


def numbered(count: int, language: Language) -> str:
    """The numbers a person can answer, as said: "1", "1 or 2", "1, 2 or 3"."""
    numbers = [str(n) for n in range(1, count + 1)]
    if len(numbers) == 1:
        return numbers[0]
    return f"{', '.join(numbers[:-1])} {say('or', language)} {numbers[-1]}"


def all_texts() -> dict[str, dict[Language, str]]:
    """Every sentence of the channel, by name and language, placeholders left as {name}."""
    return {
        name: {lang: table[lang] for lang in LANGUAGES}
        for name, table in _TEXTS.items()
        if name != "or"
    }
