"""What Loket says on Telegram itself, in French, Dutch and English.

Everything else comes from the core and the brain: the greeting of /start, the language
question of /language, the hand-over of /human. These are Telegram's own: its commands,
voice messages, and messages Loket cannot read. `{field}`s are filled by `say`.
"""

from __future__ import annotations

from bot.settings import LANGUAGES, Language

_TEXTS: dict[str, dict[Language, str]] = {
    "help": {
        "fr": "Je suis Loket. J'explique les démarches à Bruxelles, étape par étape. Écrivez "
        "votre question en quelques mots. Vous pouvez aussi envoyer un message vocal.\n"
        "/language : choisir la langue.\n/human : parler à une personne.",
        "nl": "Ik ben Loket. Ik leg procedures in Brussel uit, stap voor stap. Schrijf uw vraag "
        "in een paar woorden. U kunt ook een spraakbericht sturen.\n"
        "/language: kies de taal.\n/human: spreek met een medewerker.",
        "en": "I am Loket. I explain procedures in Brussels, step by step. Write your question "
        "in a few words. You can also send a voice message.\n"
        "/language: choose the language.\n/human: talk to a person.",
    },
    "understood": {
        "fr": "J'ai compris : « {text} »",
        "nl": "Ik heb verstaan: '{text}'",
        "en": "I understood: '{text}'",
    },
    "no_words": {
        "fr": "Je n'ai pas compris les mots de votre message vocal. Essayez encore, ou écrivez "
        "votre question.",
        "nl": "Ik heb de woorden van uw spraakbericht niet verstaan. Probeer het opnieuw, of "
        "schrijf uw vraag.",
        "en": "I could not make out the words of your voice message. Try again, or write your "
        "question.",
    },
    "cannot_listen": {
        "fr": "Je ne peux pas encore écouter les messages vocaux en français. Écrivez votre "
        "question, s'il vous plaît.",
        "nl": "Ik kan nog niet naar spraakberichten in het Nederlands luisteren. Schrijf uw "
        "vraag, alstublieft.",
        "en": "I cannot listen to voice messages in English yet. Please write your question.",
    },
    "voice_too_long": {
        "fr": "Votre message vocal est trop long pour moi. Envoyez un message de moins de "
        "{minutes} minutes, ou écrivez.",
        "nl": "Uw spraakbericht is te lang voor mij. Stuur een bericht van minder dan {minutes} "
        "minuten, of schrijf.",
        "en": "Your voice message is too long for me. Send one shorter than {minutes} minutes, "
        "or write.",
    },
    "text_too_long": {
        "fr": "Votre message est trop long. Écrivez-le en plusieurs messages plus courts, s'il "
        "vous plaît.",
        "nl": "Uw bericht is te lang. Schrijf het in een paar kortere berichten, alstublieft.",
        "en": "Your message is too long. Please write it in a few shorter messages.",
    },
    "cannot_read": {
        "fr": "Je peux lire du texte et écouter des messages vocaux. Je ne peux pas regarder "
        "les images ni les fichiers. Pour parler à une personne, écrivez /human.",
        "nl": "Ik kan tekst lezen en naar spraakberichten luisteren. Ik kan geen foto's of "
        "bestanden bekijken. Wilt u met een medewerker spreken? Schrijf dan /human.",
        "en": "I can read text and listen to voice messages. I cannot look at pictures or "
        "files. To talk to a person, write /human.",
    },
    "button_gone": {
        "fr": "Ce choix n'est plus disponible. Écrivez votre question.",
        "nl": "Deze keuze is niet meer beschikbaar. Schrijf uw vraag.",
        "en": "This choice is no longer available. Write your question.",
    },
}

# Telegram's command menu (setMyCommands), in each language: short, as Telegram asks.
COMMANDS: dict[Language, dict[str, str]] = {
    "fr": {
        "start": "Commencer",
        "help": "Ce que Loket sait faire",
        "language": "Choisir la langue",
        "human": "Parler à une personne",
    },
    "nl": {
        "start": "Beginnen",
        "help": "Wat Loket kan",
        "language": "Kies de taal",
        "human": "Spreek met een medewerker",
    },
    "en": {
        "start": "Start",
        "help": "What Loket can do",
        "language": "Choose the language",
        "human": "Talk to a person",
    },
}


def say(name: str, language: Language, **fields: object) -> str:
    """The text `name` in `language`, its `{field}`s filled."""
    return _TEXTS[name][language].format(**fields)


def all_texts() -> dict[str, dict[Language, str]]:
    """Every Telegram text, by name and language, fields left as {name}."""
    return {name: {lang: table[lang] for lang in LANGUAGES} for name, table in _TEXTS.items()}
