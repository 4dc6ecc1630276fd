"""What the hub says around a hand-over: the queue, callbacks, messages left, hand-backs.

Each text exists in French, Dutch and English; where the phone needs other words (keys
instead of buttons, no "write"), a `<name>_spoken` twin holds them. `{field}`s are
filled by `say`. Dates and times are written the way each language says them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.settings import LANGUAGES, Language

_TEXTS: dict[str, dict[Language, str]] = {
    "queued": {
        "fr": "Une personne du service d'aide va vous répondre ici. Vous êtes numéro {position} "
        "dans la file. Attente : environ {minutes} minutes. En attendant, vous pouvez "
        "continuer à m'écrire.",
        "nl": "Een medewerker van de helpdesk antwoordt u hier. U bent nummer {position} in de "
        "wachtrij. Wachttijd: ongeveer {minutes} minuten. Intussen kunt u mij blijven "
        "schrijven.",
        "en": "A person from the helpdesk will answer you here. You are number {position} in "
        "the queue. Waiting time: about {minutes} minutes. Meanwhile, you can keep writing "
        "to me.",
    },
    "still_waiting": {
        "fr": "Vous attendez une personne. Vous êtes numéro {position} dans la file.",
        "nl": "U wacht op een medewerker. U bent nummer {position} in de wachtrij.",
        "en": "You are waiting for a person. You are number {position} in the queue.",
    },
    "transfer": {
        "fr": "Je vous passe une personne du service d'aide. Restez en ligne, s'il vous plaît.",
        "nl": "Ik verbind u door met een medewerker van de helpdesk. Blijf aan de lijn, "
        "alstublieft.",
        "en": "I am putting you through to a person from the helpdesk. Please stay on the line.",
    },
    "wait_cancelled": {
        "fr": "D'accord, vous n'attendez plus. Je reste là si vous avez besoin de moi.",
        "nl": "Goed, u wacht niet meer. Ik blijf hier als u mij nodig hebt.",
        "en": "All right, you are no longer waiting. I am here if you need me.",
    },
    "closed_now": {
        "fr": "Le service d'aide est fermé maintenant. Il ouvre à nouveau {when}.",
        "nl": "De helpdesk is nu gesloten. Hij gaat weer open {when}.",
        "en": "The helpdesk is closed now. It opens again {when}.",
    },
    "nobody_free": {
        "fr": "Personne n'est libre au service d'aide pour le moment.",
        "nl": "Er is nu niemand vrij bij de helpdesk.",
        "en": "Nobody at the helpdesk is free right now.",
    },
    "offer": {
        "fr": "Une personne peut vous rappeler. Vous pouvez aussi laisser un message.",
        "nl": "Iemand van ons kan u later bellen. U kunt ook een bericht laten.",
        "en": "A person can call you back. You can also leave a message.",
    },
    "offer_queued": {
        "fr": "Une personne peut aussi vous rappeler. Ou laissez un message.",
        "nl": "Iemand van ons kan u ook later bellen. Of laat een bericht.",
        "en": "A person can also call you back. Or you can leave a message.",
    },
    "offer_queued_spoken": {
        "fr": "Pour être rappelé, tapez 1. Pour laisser un message, tapez 2. Pour ne plus "
        "attendre, tapez 3. Sinon, restez en ligne.",
        "nl": "Wilt u teruggebeld worden? Druk op 1. Een bericht laten? Druk op 2. Niet meer "
        "wachten? Druk op 3. Of blijf aan de lijn.",
        "en": "To be called back, press 1. To leave a message, press 2. To stop waiting, "
        "press 3. Or stay on the line.",
    },
    "keep_place": {
        "fr": "D'accord. Vous gardez votre place dans la file.",
        "nl": "Goed. U houdt uw plaats in de wachtrij.",
        "en": "All right. You keep your place in the queue.",
    },
    "offer_spoken": {
        "fr": "Une personne peut vous rappeler. Pour être rappelé, tapez 1. Pour laisser un "
        "message, tapez 2. Sinon, tapez 3.",
        "nl": "Een medewerker kan u terugbellen. Wilt u teruggebeld worden? Druk op 1. Een "
        "bericht achterlaten? Druk op 2. Anders, druk op 3.",
        "en": "A person can call you back. To be called back, press 1. To leave a message, "
        "press 2. If not, press 3.",
    },
    "button_callback": {"fr": "Être rappelé", "nl": "Teruggebeld worden", "en": "Call me back"},
    "button_message": {
        "fr": "Laisser un message",
        "nl": "Bericht achterlaten",
        "en": "Leave a message",
    },
    "button_no": {"fr": "Non, merci", "nl": "Nee, bedankt", "en": "No, thank you"},
    "button_yes": {"fr": "Oui", "nl": "Ja", "en": "Yes"},
    "button_other_number": {
        "fr": "Un autre numéro",
        "nl": "Een ander nummer",
        "en": "Another number",
    },
    "button_stop_waiting": {
        "fr": "Ne plus attendre",
        "nl": "Niet meer wachten",
        "en": "Stop waiting",
    },
    "confirm_number": {
        "fr": "Pouvons-nous vous appeler au {number} ?",
        "nl": "Mogen we u bellen op {number}?",
        "en": "Can we call you on {number}?",
    },
    "confirm_number_spoken": {
        "fr": "Pouvons-nous vous appeler au {number} ? Si oui, tapez 1. Pour un autre numéro, "
        "tapez 2.",
        "nl": "Mogen we u bellen op {number}? Zo ja, druk op 1. Voor een ander nummer, druk op 2.",
        "en": "Can we call you on {number}? If yes, press 1. For another number, press 2.",
    },
    "ask_number": {
        "fr": "Quel est votre numéro de téléphone ? Par exemple : 0470 12 34 56.",
        "nl": "Op welk nummer mogen we u bellen? Schrijf het met het netnummer. "
        "Bijvoorbeeld: 0470 12 34 56.",
        "en": "Which number can we call you on? Write it with the area code. "
        "For example: 0470 12 34 56.",
    },
    "ask_number_spoken": {
        "fr": "Tapez le numéro où vous appeler sur le clavier. Puis tapez dièse.",
        "nl": "Toets het nummer waarop we u mogen bellen. Druk daarna op hekje.",
        "en": "Type the number to call you on with your keypad. Then press hash.",
    },
    "bad_number": {
        "fr": "Je n'ai pas reconnu un numéro de téléphone. Écrivez seulement les chiffres. "
        "Par exemple : 0470 12 34 56.",
        "nl": "Dat is geen nummer dat ik ken. Schrijf het in cijfers, zoals 0470 12 34 56.",
        "en": "That is not a phone number I know. Write it in digits, like 0470 12 34 56.",
    },
    "bad_number_spoken": {
        "fr": "Je n'ai pas reconnu un numéro. Tapez-le sur le clavier. Puis tapez dièse.",
        "nl": "Ik herken geen nummer. Toets het nummer in. Druk daarna op hekje.",
        "en": "I did not get a number. Type it with your keypad. Then press hash.",
    },
    "ask_half_day": {
        "fr": "Quand pouvons-nous vous appeler ?",
        "nl": "Wanneer mogen we u bellen?",
        "en": "When can we call you?",
    },
    "half_day_option_spoken": {
        "fr": "{when} : tapez {key}.",
        "nl": "{when}: druk op {key}.",
        "en": "{when}: press {key}.",
    },
    "callback_booked": {
        "fr": "Merci. Une personne vous appellera au {number}, {when}. Elle vous parlera "
        "{speaking}.",
        "nl": "Dank u. Een medewerker belt u op {number}, {when}. Hij of zij spreekt "
        "{speaking} met u.",
        "en": "Thank you. A person will call you on {number}, {when}. They will speak "
        "{speaking} with you.",
    },
    "ask_message": {
        "fr": "Écrivez votre message. Une personne le lira {when}.",
        "nl": "Schrijf uw bericht. Een medewerker leest het {when}.",
        "en": "Write your message. A person will read it {when}.",
    },
    "ask_message_spoken": {
        "fr": "Dites votre message maintenant, en quelques phrases. Une personne l'écoutera "
        "{when}.",
        "nl": "Zeg nu uw bericht, in een paar zinnen. Een medewerker luistert ernaar {when}.",
        "en": "Say your message now, in a few sentences. A person will listen to it {when}.",
    },
    "message_left": {
        "fr": "Merci. Votre message est bien enregistré. Une personne le lira {when}.",
        "nl": "Dank u. Uw bericht is bewaard. Een medewerker leest het {when}.",
        "en": "Thank you. Your message is saved. A person will read it {when}.",
    },
    "flow_cancelled": {
        "fr": "D'accord. Écrivez « menu » pour voir ce que je sais faire.",
        "nl": "Goed. Schrijf 'menu' om te zien wat ik kan.",
        "en": "All right. Write 'menu' to see what I can do.",
    },
    "flow_cancelled_spoken": {
        "fr": "D'accord. Pour le menu, tapez dièse.",
        "nl": "Goed. Voor het menu, druk op hekje.",
        "en": "All right. For the menu, press hash.",
    },
    "handed_back": {
        "fr": "Vous êtes à nouveau avec l'assistant Loket. Posez votre question, ou écrivez "
        "« menu ».",
        "nl": "U bent weer bij de assistent Loket. Stel uw vraag, of schrijf 'menu'.",
        "en": "You are back with the Loket assistant. Ask your question, or write 'menu'.",
    },
    "released": {
        "fr": "La personne qui vous aidait a dû partir. Une autre personne va vous répondre.",
        "nl": "De medewerker die u hielp, moest weg. Een andere medewerker antwoordt u zo.",
        "en": "The person who was helping you had to leave. Another person will answer you.",
    },
    "closed_by_agent": {
        "fr": "Cette conversation est terminée. Merci. Vous pouvez nous écrire à nouveau quand "
        "vous voulez.",
        "nl": "Dit gesprek is afgelopen. Bedankt. U kunt ons altijd opnieuw schrijven.",
        "en": "This conversation has ended. Thank you. You can write to us again at any time.",
    },
    "urgent_queued": {
        "fr": "Une personne du service d'aide va vous répondre dès que possible.",
        "nl": "Een medewerker van de helpdesk antwoordt u zo snel mogelijk.",
        "en": "A person from the helpdesk will answer you as soon as possible.",
    },
    "sms_confirm_number": {
        "fr": "Je peux vous envoyer ces étapes par SMS. Au {number} ?",
        "nl": "Ik kan u deze stappen per sms sturen. Naar {number}?",
        "en": "I can send you these steps by SMS. To {number}?",
    },
    "sms_confirm_number_spoken": {
        "fr": "Je peux vous envoyer ces étapes par SMS, au {number}. Si oui, tapez 1. Pour un "
        "autre numéro, tapez 2.",
        "nl": "Ik kan u deze stappen per sms sturen, naar {number}. Zo ja, druk op 1. Voor een "
        "ander nummer, druk op 2.",
        "en": "I can send you these steps by SMS, to {number}. If yes, press 1. For another "
        "number, press 2.",
    },
    "sms_ask_number": {
        "fr": "À quel numéro de GSM faut-il envoyer ces étapes par SMS ? Par exemple : "
        "0470 12 34 56.",
        "nl": "Naar welk gsm-nummer mag ik deze stappen per sms sturen? Bijvoorbeeld: "
        "0470 12 34 56.",
        "en": "Which mobile number should I send these steps to by SMS? For example: "
        "0470 12 34 56.",
    },
    "sms_ask_number_spoken": {
        "fr": "Pour recevoir ces étapes par SMS, tapez votre numéro de GSM sur le clavier. Puis "
        "tapez dièse.",
        "nl": "Om deze stappen per sms te krijgen, toetst u uw gsm-nummer in. Druk daarna op "
        "hekje.",
        "en": "To get these steps by SMS, type your mobile number with your keypad. Then press "
        "hash.",
    },
    "sms_bad_number": {
        "fr": "Je ne peux pas envoyer de SMS à ce numéro. Écrivez un numéro de GSM. Par "
        "exemple : 0470 12 34 56.",
        "nl": "Naar dat nummer kan ik geen sms sturen. Schrijf een gsm-nummer, zoals "
        "0470 12 34 56.",
        "en": "I cannot send an SMS to that number. Write a mobile number, like 0470 12 34 56.",
    },
    "sms_bad_number_spoken": {
        "fr": "Je ne peux pas envoyer de SMS à ce numéro. Tapez un numéro de GSM. Puis tapez "
        "dièse.",
        "nl": "Naar dat nummer kan ik geen sms sturen. Toets een gsm-nummer in. Druk daarna op "
        "hekje.",
        "en": "I cannot send an SMS to that number. Type a mobile number. Then press hash.",
    },
    "sms_sent": {
        "fr": "C'est fait : les étapes partent par SMS au {number}.",
        "nl": "Klaar: de stappen gaan per sms naar {number}.",
        "en": "Done: the steps are on their way by SMS to {number}.",
    },
    "sms_not_sent": {
        "fr": "Désolé, je n'ai pas pu envoyer le SMS. Vous pouvez réessayer plus tard.",
        "nl": "Sorry, ik kon de sms niet versturen. U kunt het later opnieuw proberen.",
        "en": "Sorry, I could not send the SMS. You can try again later.",
    },
    "sms_unavailable": {
        "fr": "Désolé, je ne peux pas envoyer de SMS pour le moment.",
        "nl": "Sorry, ik kan op dit moment geen sms sturen.",
        "en": "Sorry, I cannot send text messages right now.",
    },
}

_ONE_DIGIT_ZONES = frozenset({"02", "03", "04", "09"})
_WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS: dict[Language, tuple[str, ...]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
_HALF_DAYS: dict[Language, dict[str, str]] = {
    "fr": {"am": "le matin", "pm": "l'après-midi"},
    "nl": {"am": "in de voormiddag", "pm": "in de namiddag"},
    "en": {"am": "in the morning", "pm": "in the afternoon"},
}
_RELATIVE: dict[Language, tuple[str, str]] = {
    "fr": ("aujourd'hui", "demain"),
    "nl": ("vandaag", "morgen"),
    "en": ("today", "tomorrow"),
}
_AT: dict[Language, str] = {
    "fr": "à {h} h {m:02d}",
    "nl": "om {h}.{m:02d} uur",
    "en": "at {h}:{m:02d}",
}
SPEAKING: dict[Language, dict[Language, str]] = {
    "fr": {"fr": "en français", "nl": "en néerlandais", "en": "en anglais"},
    "nl": {"fr": "Frans", "nl": "Nederlands", "en": "Engels"},
    "en": {"fr": "French", "nl": "Dutch", "en": "English"},
}
"""How each language names the language a person will be called back in."""


def say(name: str, language: Language, spoken: bool = False, **fields: object) -> str:
    """The text `name` in `language`, its spoken twin on the phone, with its fields filled."""
    table = _TEXTS.get(f"{name}_spoken") if spoken else None
    return (table or _TEXTS[name])[language].format(**fields)


def day_name(day: date, language: Language, today: date) -> str:
    """ "today", "tomorrow" or "on Monday 7 December", as each language says it."""
    if day == today:
        return _RELATIVE[language][0]
    if day == today + timedelta(days=1):
        return _RELATIVE[language][1]
    weekday, month = _WEEKDAYS[language][day.weekday()], _MONTHS[language][day.month - 1]
    if language == "en":
        return f"on {weekday} {day.day} {month}"
    return f"{weekday} {day.day} {month}" if language == "nl" else f"le {weekday} {day.day} {month}"


def when(moment: datetime, language: Language, now: datetime) -> str:
    """ "tomorrow at 9:00", "le lundi 7 décembre à 9 h 00"... in the moment's own time zone."""
    at = _AT[language].format(h=moment.hour, m=moment.minute)
    return f"{day_name(moment.date(), language, now.astimezone(moment.tzinfo).date())} {at}"


def half_day(day: date, half: str, language: Language, today: date) -> str:
    """ "tomorrow in the morning", "le lundi 7 décembre l'après-midi"..."""
    return f"{day_name(day, language, today)} {_HALF_DAYS[language][half]}"


def speakable_number(number: str) -> str:
    """A Belgian number grouped the way people say it: 0470 12 34 56, 02 555 12 34,
    071 23 45 67; another country's number as it is."""
    digits = re.sub(r"\D", "", number)
    if not number.startswith("+32"):
        return number if number.startswith("+") else digits
    national = "0" + digits[2:]
    if len(national) == 10:  # a mobile: 04xx
        head, rest = national[:4], national[4:]
    elif national[:2] in _ONE_DIGIT_ZONES:  # Brussels, Antwerp, Liège, Ghent
        head, rest = national[:2] + " " + national[2:5], national[5:]
    else:
        head, rest = national[:3], national[3:]
    return " ".join([head, *(rest[i : i + 2] for i in range(0, len(rest), 2))])


def all_texts() -> dict[str, dict[Language, str]]:
    """Every hand-over text, by name and language, fields left as {name}."""
    return {name: dict(table) for name, table in _TEXTS.items() if set(table) == set(LANGUAGES)}
