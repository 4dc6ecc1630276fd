"""Every word the console shows, in French, Dutch and English.

The console speaks the agent's language (their account's, changed with the switch in
the header); before sign-in, the language chosen on the sign-in page or the hub's
default. Keys are looked up strictly (a typo fails the page tests), except `label`,
which names values the core may add to later (a new channel, reason or outcome) and
falls back to the value itself.
"""

from __future__ import annotations

from typing import Literal

from bot.settings import LANGUAGES

ConsoleLanguage = Literal["fr", "nl", "en"]

# How each language names itself, in the switch (shown with its own lang attribute).
ENDONYMS: dict[str, str] = {"fr": "Français", "nl": "Nederlands", "en": "English"}

_TEXTS: dict[str, tuple[str, str, str]] = {
    # ------------------------------------------------------------------ layout
    "console": ("Console des agents", "Agentenconsole", "Agent console"),
    "skip": ("Aller au contenu", "Naar de inhoud", "Skip to content"),
    "nav_label": ("Menu de la console", "Menu van de console", "Console menu"),
    "nav_queue": ("File d'attente", "Wachtrij", "Queue"),
    "nav_callbacks": ("Rappels", "Terugbellen", "Callbacks"),
    "nav_agents": ("Agents", "Medewerkers", "Agents"),
    "account_label": ("Votre compte", "Uw account", "Your account"),
    "signed_in_as": ("Connecté : {name} ({role})", "Aangemeld: {name} ({role})",
                     "Signed in: {name} ({role})"),
    "role_agent": ("agent", "medewerker", "agent"),
    "role_supervisor": ("superviseur", "supervisor", "supervisor"),
    "role_operator": ("opérateur", "operator", "operator"),
    "nav_dashboard": ("Tableau de bord", "Dashboard", "Dashboard"),
    # ------------------------------------------------------------------ dashboard
    "dash_period": ("Période", "Periode", "Period"),
    "dash_from": ("Du", "Van", "From"),
    "dash_to": ("Au", "Tot", "To"),
    "dash_show": ("Afficher", "Tonen", "Show"),
    "dash_small": ("Les groupes de moins de {count} personnes sont comptés dans « autre » ; "
                   "un jour de moins de {count} n'est pas chiffré.",
                   "Groepen van minder dan {count} mensen tellen mee onder 'andere'; een dag "
                   "met minder dan {count} krijgt geen getal.",
                   "Groups of fewer than {count} people are counted under 'other'; a day with "
                   "fewer than {count} gets no number."),
    "dash_total": ("Conversations", "Gesprekken", "Conversations"),
    "dash_contained": ("Terminées sans agent", "Afgerond zonder medewerker",
                       "Ended without a person"),
    "dash_callbacks": ("Rappels demandés / faits", "Terugbelverzoeken / gedaan",
                       "Callbacks requested / done"),
    "dash_callback_median": ("Délai médian d'un rappel (heures)",
                             "Mediane wachttijd voor terugbellen (uren)",
                             "Median time to call back (hours)"),
    "dash_keypad": ("Appels au clavier seulement", "Oproepen alleen met toetsen",
                    "Calls using only the keypad"),
    "dash_per_day": ("Conversations par jour", "Gesprekken per dag", "Conversations per day"),
    "dash_by_channel": ("Par canal", "Per kanaal", "By channel"),
    "dash_by_language": ("Par langue", "Per taal", "By language"),
    "dash_by_topic": ("Par sujet", "Per onderwerp", "By topic"),
    "dash_handoffs": ("Passages à un agent, par cause", "Doorverbindingen, per oorzaak",
                      "Handoffs, by cause"),
    "dash_value": ("Valeur", "Waarde", "Value"),
    "dash_count": ("Nombre", "Aantal", "Count"),
    "dash_none": ("Rien pour cette période.", "Niets in deze periode.", "Nothing in this period."),
    "dash_unknown": ("Ce que Loket n'a pas compris", "Wat Loket niet begreep",
                     "What Loket did not understand"),
    "dash_unknown_export": ("Exporter (données NLU Rasa, YAML)",
                            "Exporteren (Rasa NLU-gegevens, YAML)",
                            "Export (Rasa NLU data, YAML)"),
    "dash_unknown_csv": ("Exporter (CSV)", "Exporteren (CSV)", "Export (CSV)"),
    "dash_group": ("Groupe {id}", "Groep {id}", "Group {id}"),
    "dash_example": ("Exemple", "Voorbeeld", "Example"),
    "dash_back": ("Retour au tableau de bord", "Terug naar het dashboard",
                  "Back to the dashboard"),
    "dash_fewer": ("moins de {count}", "minder dan {count}", "fewer than {count}"),
    "dash_other": ("autre", "andere", "other"),
    "dash_reports": ("Problèmes signalés avec les démarches en ligne",
                     "Gemelde problemen met online procedures",
                     "Problems reported with online procedures"),
    "dash_reports_total": ("Signalements", "Meldingen", "Reports"),
    "dash_reports_per_day": ("Signalements par jour", "Meldingen per dag", "Reports per day"),
    "dash_reports_by_service": ("Par site ou service", "Per website of dienst",
                                "By website or service"),
    "dash_reports_by_category": ("Par problème", "Per probleem", "By problem"),
    "dash_reports_list": ("Voir les signalements et changer leur statut",
                          "Meldingen bekijken en hun status wijzigen",
                          "See the reports and set their status"),
    "dash_reports_csv": ("Exporter les signalements (CSV)", "Meldingen exporteren (CSV)",
                         "Export the reports (CSV)"),
    "reports_list_title": ("Signalements à traiter", "Te behandelen meldingen",
                           "Reports to handle"),
    "reports_list_intro": (
        "Les mots des personnes sont masqués (numéros, comptes, adresses e-mail). Le numéro "
        "à rappeler n'est ni montré ici ni exporté : il est dans la conversation.",
        "De woorden van de mensen zijn afgeschermd (nummers, rekeningen, e-mailadressen). Het "
        "terugbelnummer staat hier niet en wordt niet geëxporteerd: het staat in het gesprek.",
        "People's words are redacted (numbers, accounts, e-mail addresses). The number to "
        "call back is neither shown here nor exported: it is in the conversation."),
    "reports_list_more": ("Les {shown} plus récents sur {count} ; le CSV les contient tous.",
                          "De {shown} recentste van {count}; de CSV bevat ze allemaal.",
                          "The {shown} most recent of {count}; the CSV has them all."),
    "col_reference": ("Numéro", "Nummer", "Reference"),
    "col_date": ("Date", "Datum", "Date"),
    "col_service": ("Site ou service", "Website of dienst", "Website or service"),
    "col_category": ("Problème", "Probleem", "Problem"),
    "col_description": ("En ses mots", "In eigen woorden", "In their words"),
    "col_contact": ("Réponse souhaitée", "Gewenst antwoord", "Answer wanted"),
    "col_status": ("Statut", "Status", "Status"),
    "report_status_of": ("Statut du signalement {id}", "Status van melding {id}",
                         "Status of report {id}"),
    "flash_status_set": ("Signalement {id} : {status}.", "Melding {id}: {status}.",
                         "Report {id}: {status}."),
    "status_available": ("Vous êtes disponible.", "U bent beschikbaar.", "You are available."),
    "status_away": ("Vous êtes absent.", "U bent afwezig.", "You are away."),
    "go_away": ("Me mettre absent", "Zet mij op afwezig", "Set me away"),
    "go_available": ("Me mettre disponible", "Zet mij op beschikbaar", "Set me available"),
    "sign_out": ("Se déconnecter", "Afmelden", "Sign out"),
    "language_label": ("Langue de la console", "Taal van de console", "Console language"),
    "change": ("Changer", "Wijzigen", "Change"),
    "live_lost": ("Mise à jour en direct interrompue. Nouvel essai…",
                  "Live bijwerken onderbroken. Nieuwe poging…",
                  "Live updates interrupted. Trying again…"),
    "sending": ("Envoi…", "Versturen…", "Sending…"),
    "send_failed": ("L'envoi n'a pas marché. Réessayez.", "Versturen is niet gelukt. Probeer "
                    "opnieuw.", "Sending did not work. Try again."),
    # ------------------------------------------------------------------ sign-in
    "sign_in_title": ("Connexion", "Aanmelden", "Sign in"),
    "sign_in_intro": ("Pour les agents du service d'aide de Loket.",
                      "Voor de medewerkers van de helpdesk van Loket.",
                      "For the agents of Loket's helpdesk."),
    "name": ("Nom", "Naam", "Name"),
    "password": ("Mot de passe", "Wachtwoord", "Password"),
    "sign_in_button": ("Se connecter", "Aanmelden", "Sign in"),
    "sign_in_failed": (
        "Le nom ou le mot de passe ne convient pas, ou le compte est bloqué pendant 15 minutes "
        "après 5 essais ratés. Réessayez plus tard ou demandez à un superviseur.",
        "De naam of het wachtwoord klopt niet, of het account is 15 minuten geblokkeerd na 5 "
        "mislukte pogingen. Probeer later opnieuw of vraag het aan een supervisor.",
        "The name or password is not right, or the account is locked for 15 minutes after 5 "
        "failed tries. Try again later or ask a supervisor.",
    ),
    "signed_out": ("Vous êtes déconnecté.", "U bent afgemeld.", "You are signed out."),
    # ------------------------------------------------------------------ queue
    "queue_title": ("File d'attente", "Wachtrij", "Queue"),
    "queue_intro": (
        "Les plus urgentes d'abord, puis celles qui attendent depuis le plus longtemps.",
        "De dringendste eerst, dan wie het langst wacht.",
        "Most urgent first, then those waiting longest.",
    ),
    "queue_caption": ("Conversations en attente ou avec un agent : {count}",
                      "Gesprekken die wachten of bij een medewerker zijn: {count}",
                      "Conversations waiting or with an agent: {count}"),
    "queue_first": ("Les {shown} premières sont affichées.",
                    "De eerste {shown} worden getoond.",
                    "The first {shown} are shown."),
    "queue_empty": ("Personne n'attend. Les nouvelles demandes apparaissent ici toutes seules.",
                    "Niemand wacht. Nieuwe vragen verschijnen hier vanzelf.",
                    "Nobody is waiting. New requests appear here by themselves."),
    "col_conversation": ("Conversation", "Gesprek", "Conversation"),
    "col_last": ("Dernier message", "Laatste bericht", "Last message"),
    "col_channel": ("Canal", "Kanaal", "Channel"),
    "col_language": ("Langue", "Taal", "Language"),
    "col_topic": ("Sujet", "Onderwerp", "Topic"),
    "col_waiting": ("Attente", "Wachttijd", "Waiting"),
    "col_reason": ("Pourquoi", "Waarom", "Why"),
    "col_agent": ("Pris par", "Genomen door", "Taken by"),
    "nobody": ("Personne", "Niemand", "Nobody"),
    "you": ("Vous", "U", "You"),
    "urgent": ("Urgent", "Dringend", "Urgent"),
    "conversation_label": ("Conversation {id}", "Gesprek {id}", "Conversation {id}"),
    # ------------------------------------------------------------------ conversation
    "back_to_queue": ("Retour à la file d'attente", "Terug naar de wachtrij",
                      "Back to the queue"),
    "state_bot": ("Le robot Loket répond à la personne.", "De robot Loket antwoordt de persoon.",
                  "The Loket bot answers the person."),
    "state_waiting": ("Attend un agent depuis {duration}.", "Wacht al {duration} op een "
                      "medewerker.", "Waiting for an agent for {duration}."),
    "state_mine": ("Vous avez cette conversation : vous seul pouvez répondre.",
                   "U hebt dit gesprek: alleen u kunt antwoorden.",
                   "You have this conversation: only you can reply."),
    "state_taken": ("{name} a cette conversation. Vous pouvez la lire, pas répondre.",
                    "{name} heeft dit gesprek. U kunt het lezen, niet antwoorden.",
                    "{name} has this conversation. You can read it, not reply."),
    "state_closed": ("Conversation fermée. Résultat : {outcome}.",
                     "Gesprek afgesloten. Resultaat: {outcome}.",
                     "Conversation closed. Outcome: {outcome}."),
    "summary_title": ("Résumé du transfert", "Samenvatting van de overdracht",
                      "Handover summary"),
    "summary_reason": ("Pourquoi un agent", "Waarom een medewerker", "Why an agent"),
    "summary_topic": ("Sujet et étape atteinte", "Onderwerp en bereikte stap",
                      "Topic and step reached"),
    "step_n": ("étape {step}", "stap {step}", "step {step}"),
    "summary_language": ("Langue de la personne", "Taal van de persoon", "Person's language"),
    "summary_channel": ("Canal", "Kanaal", "Channel"),
    "summary_tried": ("Ce que le robot a dit en dernier", "Wat de robot het laatst zei",
                      "What the bot said last"),
    "summary_not_understood": ("Ce que le robot n'a pas compris", "Wat de robot niet begreep",
                               "What the bot did not understand"),
    "nothing": ("Rien", "Niets", "Nothing"),
    "unknown": ("Pas connu", "Niet bekend", "Not known"),
    "transcript_title": ("Toute la conversation", "Het hele gesprek", "The whole conversation"),
    "transcript_empty": ("Pas encore de message.", "Nog geen berichten.", "No messages yet."),
    "author_person": ("La personne", "De persoon", "The person"),
    "author_bot": ("Loket (robot)", "Loket (robot)", "Loket (bot)"),
    "author_agent": ("{name} (agent)", "{name} (medewerker)", "{name} (agent)"),
    "author_agent_unknown": ("Un agent", "Een medewerker", "An agent"),
    "author_system": ("Message du système", "Systeembericht", "System message"),
    "internal_note": ("Note interne : la personne ne la voit pas",
                      "Interne notitie: de persoon ziet ze niet",
                      "Internal note: the person does not see it"),
    "not_understood": ("pas compris par le robot", "niet begrepen door de robot",
                       "not understood by the bot"),
    "pressed_button": ("A choisi le bouton « {title} »", "Koos de knop '{title}'",
                       "Chose the button '{title}'"),
    "buttons_offered": ("Boutons proposés : {titles}", "Aangeboden knoppen: {titles}",
                        "Buttons offered: {titles}"),
    "actions_title": ("Que faire", "Wat u kunt doen", "What you can do"),
    "take": ("Prendre cette conversation", "Dit gesprek nemen", "Take this conversation"),
    "reply_label": ("Votre réponse à la personne", "Uw antwoord aan de persoon",
                    "Your reply to the person"),
    "reply_hint": ("La personne la reçoit tout de suite ({channel}).",
                   "De persoon krijgt het meteen ({channel}).",
                   "The person gets it at once ({channel})."),
    "send_reply": ("Envoyer la réponse", "Antwoord versturen", "Send reply"),
    "whatsapp_window_closed": (
        "Le dernier message WhatsApp de la personne date de plus de 24 heures. WhatsApp ne "
        "laisse passer qu'un message modèle approuvé : votre réponse ne sera pas envoyée.",
        "Het laatste WhatsApp-bericht van de persoon is meer dan 24 uur oud. WhatsApp laat dan "
        "alleen een goedgekeurd sjabloonbericht door: uw antwoord wordt niet verstuurd.",
        "The person's last WhatsApp message is more than 24 hours old. WhatsApp then lets only "
        "an approved template message through: your reply will not be sent."),
    "not_delivered": ("Non envoyé :", "Niet verstuurd:", "Not sent:"),
    "canned_label": ("Réponse toute faite", "Kant-en-klaar antwoord", "Ready-made reply"),
    "canned_send": ("Envoyer cette réponse", "Dit antwoord versturen", "Send this reply"),
    "canned_insert": ("Mettre dans votre réponse", "In uw antwoord zetten",
                      "Put in your reply"),
    "note_label": ("Note interne", "Interne notitie", "Internal note"),
    "note_hint": ("Pour les agents seulement : la personne ne la voit jamais.",
                  "Alleen voor medewerkers: de persoon ziet ze nooit.",
                  "For agents only: the person never sees it."),
    "add_note": ("Ajouter la note", "Notitie toevoegen", "Add note"),
    "hand_back": ("Rendre au robot", "Teruggeven aan de robot", "Hand back to the bot"),
    "hand_back_hint": ("Le robot salue la personne et reprend la conversation.",
                       "De robot begroet de persoon en neemt het gesprek weer over.",
                       "The bot greets the person and takes the conversation again."),
    "release": ("Remettre dans la file", "Terug in de wachtrij zetten", "Put back in the queue"),
    "close_legend": ("Fermer la conversation : résultat", "Gesprek afsluiten: resultaat",
                     "Close the conversation: outcome"),
    "close": ("Fermer la conversation", "Gesprek afsluiten", "Close the conversation"),
    # ------------------------------------------------------------------ problem reports
    "reports_title": ("Problèmes signalés", "Gemelde problemen", "Problems reported"),
    "reports_none": ("Aucun problème signalé dans cette conversation.",
                     "Geen problemen gemeld in dit gesprek.",
                     "No problem reported in this conversation."),
    "report_reference": ("Numéro {id}", "Nummer {id}", "Reference {id}"),
    "report_by_person": ("par la personne", "door de persoon", "by the person"),
    "report_by_agent": ("par {name}", "door {name}", "by {name}"),
    "report_service": ("Site ou service", "Website of dienst", "Website or service"),
    "report_service_other": ("Autre (précisez)", "Andere (vul aan)", "Other (say which)"),
    "report_service_text": ("Le site ou service, en ses mots",
                            "De website of dienst, in eigen woorden",
                            "The website or service, in their words"),
    "report_category": ("Ce qui ne va pas", "Wat er misloopt", "What went wrong"),
    "report_description": ("Ce qui s'est passé, en ses mots", "Wat er gebeurde, in eigen woorden",
                           "What happened, in their words"),
    "report_contact": ("Réponse souhaitée", "Gewenst antwoord", "Answer wanted"),
    "report_contact_number": ("Numéro à appeler", "Te bellen nummer", "Number to call"),
    "report_contact_number_hint": ("Seulement si « par téléphone ». Par exemple : 0470 12 34 56.",
                                   "Alleen bij 'per telefoon'. Bijvoorbeeld: 0470 12 34 56.",
                                   "Only for 'by phone'. For example: 0470 12 34 56."),
    "report_status": ("Statut", "Status", "Status"),
    "report_save": ("Enregistrer", "Opslaan", "Save"),
    "report_new": ("Signaler un problème pour cette personne",
                   "Een probleem melden voor deze persoon",
                   "Report a problem for this person"),
    "report_file": ("Enregistrer le signalement", "Melding opslaan", "Save the report"),
    # ------------------------------------------------------------------ results of actions
    "flash_taken": ("Vous avez pris la conversation.", "U hebt het gesprek genomen.",
                    "You took the conversation."),
    "flash_taken_by": ("Trop tard : {name} a déjà pris cette conversation.",
                       "Te laat: {name} heeft dit gesprek al genomen.",
                       "Too late: {name} has already taken this conversation."),
    "flash_not_waiting": ("Cette conversation n'attend plus un agent.",
                          "Dit gesprek wacht niet meer op een medewerker.",
                          "This conversation is no longer waiting for an agent."),
    "flash_not_yours": ("Prenez d'abord la conversation.", "Neem eerst het gesprek.",
                        "Take the conversation first."),
    "flash_sent": ("Réponse envoyée.", "Antwoord verstuurd.", "Reply sent."),
    "flash_noted": ("Note ajoutée.", "Notitie toegevoegd.", "Note added."),
    "flash_report_filed": ("Signalement enregistré : {id}.",
                           "Melding opgeslagen: {id}.", "Report saved: {id}."),
    "flash_handed_back": ("Conversation rendue au robot.", "Gesprek teruggegeven aan de robot.",
                          "Conversation handed back to the bot."),
    "flash_released": ("Conversation remise dans la file.", "Gesprek terug in de wachtrij.",
                       "Conversation put back in the queue."),
    "flash_closed": ("Conversation fermée.", "Gesprek afgesloten.", "Conversation closed."),
    "flash_empty_text": ("Écrivez d'abord un texte.", "Schrijf eerst een tekst.",
                         "Write a text first."),
    "flash_too_long": ("Le texte est trop long : {max} caractères au plus.",
                       "De tekst is te lang: hoogstens {max} tekens.",
                       "The text is too long: {max} characters at most."),
    "flash_choose_outcome": ("Choisissez un résultat.", "Kies een resultaat.",
                             "Choose an outcome."),
    "flash_choose_result": ("Choisissez « fait » ou « échoué ».", "Kies 'gedaan' of 'mislukt'.",
                            "Choose 'done' or 'failed'."),
    "flash_settled": ("Demande mise à jour.", "Verzoek bijgewerkt.", "Request updated."),
    "flash_available": ("Vous êtes disponible.", "U bent beschikbaar.", "You are available."),
    "flash_away": ("Vous êtes absent.", "U bent afwezig.", "You are away."),
    # ------------------------------------------------------------------ errors
    "not_found_title": ("Introuvable", "Niet gevonden", "Not found"),
    "not_found": ("Il n'y a rien à cette adresse.", "Er is niets op dit adres.",
                  "There is nothing at this address."),
    "refused_title": ("Refusé", "Geweigerd", "Refused"),
    "bad_form_title": ("Formulaire illisible", "Onleesbaar formulier", "Unreadable form"),
    "bad_form": ("Ce qui a été envoyé n'est pas un formulaire de la console. Rien n'a été "
                 "changé. Rechargez la page et réessayez.",
                 "Wat verstuurd werd, is geen formulier van de console. Er is niets "
                 "veranderd. Laad de pagina opnieuw en probeer nog eens.",
                 "What was sent is not a console form. Nothing was changed. Reload the page "
                 "and try again."),
    "csrf_failed": ("Ce formulaire a expiré. Rechargez la page et réessayez.",
                    "Dit formulier is verlopen. Laad de pagina opnieuw en probeer nog eens.",
                    "This form has expired. Reload the page and try again."),
    "supervisors_only": ("Cette page est réservée aux superviseurs.",
                         "Deze pagina is alleen voor supervisors.",
                         "This page is for supervisors only."),
    "operators_only": ("Le tableau de bord est réservé aux opérateurs et aux superviseurs.",
                       "Het dashboard is alleen voor operatoren en supervisors.",
                       "The dashboard is for operators and supervisors only."),
    "agents_only": ("Cette page est réservée aux agents du helpdesk. Un compte d'opérateur "
                    "voit le tableau de bord.",
                    "Deze pagina is alleen voor de medewerkers van de helpdesk. Een "
                    "operatoraccount ziet het dashboard.",
                    "This page is for the helpdesk's agents. An operator's account sees "
                    "the dashboard."),
    # ------------------------------------------------------------------ callbacks
    "callbacks_title": ("Rappels et messages", "Terugbellen en berichten",
                        "Callbacks and messages"),
    "callbacks_intro": (
        "Demandes faites quand personne ne pouvait répondre. Les plus proches d'abord.",
        "Vragen van wie niemand kon bereiken. De vroegste eerst.",
        "Requests from people nobody could answer. Soonest first.",
    ),
    "filter_label": ("Afficher", "Tonen", "Show"),
    "filter_requested": ("À faire", "Te doen", "To do"),
    "filter_done": ("Faits", "Gedaan", "Done"),
    "filter_failed": ("Échoués", "Mislukt", "Failed"),
    "callbacks_empty": ("Rien ici pour le moment.", "Hier is nu niets.",
                        "Nothing here right now."),
    "kind_callback": ("Rappel", "Terugbellen", "Callback"),
    "kind_message": ("Message laissé", "Achtergelaten bericht", "Message left"),
    "callback_heading": ("{kind} : {when}", "{kind}: {when}", "{kind}: {when}"),
    "due_unknown": ("dès que possible", "zo snel mogelijk", "as soon as possible"),
    "overdue": ("En retard", "Te laat", "Overdue"),
    "phone": ("Téléphone", "Telefoon", "Phone"),
    "none": ("aucun", "geen", "none"),
    "message": ("Message", "Bericht", "Message"),
    "requested_at": ("Demandé", "Gevraagd", "Requested"),
    "status": ("État", "Status", "Status"),
    "status_requested": ("à faire", "te doen", "to do"),
    "status_done": ("fait", "gedaan", "done"),
    "status_failed": ("échoué", "mislukt", "failed"),
    "agent_note": ("Note de l'agent", "Notitie van de medewerker", "Agent's note"),
    "see_conversation": ("Voir la conversation", "Gesprek bekijken", "See the conversation"),
    "settle_legend": ("Résultat de la demande", "Resultaat van het verzoek",
                      "Result of the request"),
    "settle_done": ("Fait", "Gedaan", "Done"),
    "settle_failed": ("Échoué (pas joignable, mauvais numéro…)",
                      "Mislukt (niet bereikbaar, verkeerd nummer…)",
                      "Failed (not reachable, wrong number…)"),
    "settle_note": ("Note", "Notitie", "Note"),
    "save": ("Enregistrer", "Opslaan", "Save"),
    "half_am": ("matin", "voormiddag", "morning"),
    "half_pm": ("après-midi", "namiddag", "afternoon"),
    "today": ("aujourd'hui", "vandaag", "today"),
    "tomorrow": ("demain", "morgen", "tomorrow"),
    "yesterday": ("hier", "gisteren", "yesterday"),
    # ------------------------------------------------------------------ agents (supervisors)
    "agents_title": ("Comptes des agents", "Accounts van de medewerkers", "Agents' accounts"),
    "agents_intro": ("Créez un compte avec la commande « loket agent add NOM ».",
                     "Maak een account met het commando 'loket agent add NAAM'.",
                     "Create an account with the command 'loket agent add NAME'."),
    "col_name": ("Nom", "Naam", "Name"),
    "col_role": ("Rôle", "Rol", "Role"),
    "col_available": ("Disponible", "Beschikbaar", "Available"),
    "col_last_seen": ("Vu pour la dernière fois", "Laatst gezien", "Last seen"),
    "col_locked": ("Bloqué", "Geblokkeerd", "Locked"),
    "yes": ("oui", "ja", "yes"),
    "no": ("non", "nee", "no"),
    "never": ("jamais", "nooit", "never"),
    # ------------------------------------------------------------------ privacy (supervisors)
    "nav_privacy": ("Données personnelles", "Persoonsgegevens", "Personal data"),
    "privacy_title": ("Les données d'une personne", "De gegevens van een persoon",
                      "A person's data"),
    "privacy_intro": (
        "À la demande d'une personne : exporter (JSON) ou effacer tout ce que Loket garde "
        "d'elle. Chaque export et chaque effacement est noté ci-dessous, sans son numéro.",
        "Op vraag van een persoon: alles wat Loket over haar bewaart exporteren (JSON) of "
        "wissen. Elke export en elke wissing wordt hieronder genoteerd, zonder het nummer.",
        "On a person's request: export (JSON) or erase everything Loket keeps of them. "
        "Every export and erasure is noted below, without their number."),
    "privacy_kind": ("Trouver la personne par", "De persoon vinden via", "Find the person by"),
    "privacy_kind_contact": ("son numéro de téléphone ou son adresse (WhatsApp, Telegram)",
                             "het telefoonnummer of adres (WhatsApp, Telegram)",
                             "their phone number or address (WhatsApp, Telegram)"),
    "privacy_kind_conversation": ("l'identifiant d'une conversation",
                                  "de id van een gesprek", "a conversation's id"),
    "privacy_key": ("Numéro, adresse ou identifiant", "Nummer, adres of id",
                    "Number, address or id"),
    "privacy_find": ("Chercher", "Zoeken", "Find"),
    "privacy_back": ("Nouvelle recherche", "Nieuwe zoekopdracht", "New search"),
    "privacy_found": ("Conversations trouvées : {count}. Lignes gardées, par table :",
                      "Gevonden gesprekken: {count}. Bewaarde rijen, per tabel:",
                      "Conversations found: {count}. Rows kept, by table:"),
    "privacy_nothing": ("Loket ne garde rien pour cette clé.",
                        "Loket bewaart niets voor deze sleutel.",
                        "Loket keeps nothing for this key."),
    "privacy_export": ("Télécharger l'export (JSON)", "De export downloaden (JSON)",
                       "Download the export (JSON)"),
    "privacy_confirm": ("La personne a demandé l'effacement et je l'ai identifiée. "
                        "L'effacement est définitif.",
                        "De persoon vroeg om wissing en ik heb haar geïdentificeerd. "
                        "Wissen is definitief.",
                        "The person asked for erasure and I have identified them. "
                        "Erasure cannot be undone."),
    "privacy_confirm_first": ("Cochez d'abord la confirmation : rien n'a été effacé.",
                              "Vink eerst de bevestiging aan: er is niets gewist.",
                              "Tick the confirmation first: nothing was erased."),
    "privacy_erase": ("Effacer ces données", "Deze gegevens wissen", "Erase this data"),
    "privacy_log": ("Journal des exports et effacements", "Logboek van exports en wissingen",
                    "Log of exports and erasures"),
    "privacy_log_none": ("Aucune action pour le moment.", "Nog geen acties.",
                         "No action yet."),
    "col_action": ("Action", "Actie", "Action"),
    "col_key_kind": ("Trouvé par", "Gevonden via", "Found by"),
    "col_rows": ("Lignes", "Rijen", "Rows"),
    "col_table": ("Table", "Tabel", "Table"),
    "flash_key_missing": ("Écrivez d'abord un numéro, une adresse ou un identifiant.",
                          "Schrijf eerst een nummer, adres of id.",
                          "Type a number, address or id first."),
    "flash_erased": ("Effacé : {count} lignes. L'action est notée dans le journal.",
                     "Gewist: {count} rijen. De actie staat in het logboek.",
                     "Erased: {count} rows. The action is in the log."),
    # ------------------------------------------------------------------ durations
    "under_a_minute": ("moins d'une minute", "minder dan een minuut", "less than a minute"),
    "minutes": ("{m} min", "{m} min", "{m} min"),
    "hours": ("{h} h {m:02d}", "{h} u {m:02d}", "{h} h {m:02d}"),
    "days": ("{d} j {h} h", "{d} d {h} u", "{d} d {h} h"),
}  # fmt: skip

# Values the core names, shown in the agent's language; `label` falls back to the value.
_LABELS: dict[str, tuple[str, str, str]] = {
    "language.fr": ("français", "Frans", "French"),
    "language.nl": ("néerlandais", "Nederlands", "Dutch"),
    "language.en": ("anglais", "Engels", "English"),
    "channel.webchat": ("chat web", "webchat", "web chat"),
    "channel.phone": ("téléphone", "telefoon", "phone"),
    "channel.sms": ("SMS", "sms", "SMS"),
    "channel.whatsapp": ("WhatsApp", "WhatsApp", "WhatsApp"),
    "channel.telegram": ("Telegram", "Telegram", "Telegram"),
    "reason.asked": ("La personne a demandé une personne.", "De persoon vroeg naar een mens.",
                     "The person asked for a person."),
    "reason.urgent": ("Sujet urgent : {topic}. Répondez d'abord.",
                      "Dringend onderwerp: {topic}. Eerst antwoorden.",
                      "Urgent topic: {topic}. Answer first."),
    "reason.not_understood": ("Le robot n'a pas compris deux fois.",
                              "De robot begreep het twee keer niet.",
                              "The bot did not understand twice."),
    "urgent.distress": ("détresse", "nood", "distress"),
    "urgent.violence": ("violence", "geweld", "violence"),
    "urgent.suicide": ("pensées suicidaires", "zelfmoordgedachten", "thoughts of suicide"),
    "contact.none": ("pas de réponse", "geen antwoord", "no answer"),
    "contact.channel": ("ici, sur son canal", "hier, via het eigen kanaal",
                        "here, on their channel"),
    "contact.phone": ("par téléphone", "per telefoon", "by phone"),
    "report_status.new": ("nouveau", "nieuw", "new"),
    "report_status.forwarded": ("transmis", "doorgestuurd", "forwarded"),
    "report_status.closed": ("clôturé", "afgesloten", "closed"),
    "privacy_action.export": ("export", "export", "export"),
    "privacy_action.erase": ("effacement", "wissing", "erasure"),
    "key_kind.contact": ("numéro ou adresse", "nummer of adres", "number or address"),
    "key_kind.conversation": ("conversation", "gesprek", "conversation"),
    "outcome.answered": ("répondu", "beantwoord", "answered"),
    "outcome.referred": ("orienté ailleurs", "doorverwezen", "referred elsewhere"),
    "outcome.callback_planned": ("rappel prévu", "terugbellen gepland", "callback planned"),
    "outcome.no_reply": ("pas de réponse de la personne", "geen antwoord van de persoon",
                         "no reply from the person"),
    "outcome.other": ("autre", "andere", "other"),
    "delivery.queued": ("en attente d'envoi", "wacht op verzending", "waiting to be sent"),
    "delivery.sent": ("envoyé", "verstuurd", "sent"),
    "delivery.delivered": ("reçu", "ontvangen", "delivered"),
    "delivery.failed": ("pas reçu", "niet ontvangen", "not delivered"),
    "undelivered.opted_out": ("la personne a écrit STOP", "de persoon stuurde STOP",
                              "the person sent STOP"),
    "undelivered.whatsapp_window": (
        "plus de 24 heures depuis son dernier message WhatsApp (seul un message modèle passe)",
        "meer dan 24 uur sinds het laatste WhatsApp-bericht (alleen een sjabloon kan)",
        "more than 24 hours since their last WhatsApp message (only a template could go)"),
    "undelivered.no_sender": ("aucun numéro d'envoi configuré", "geen afzendnummer ingesteld",
                              "no sending number configured"),
    "undelivered.no_address": ("pas de numéro pour cette personne", "geen nummer voor deze persoon",
                               "no number for this person"),
}  # fmt: skip


def language_of(value: str | None, default: str) -> ConsoleLanguage:
    """`value` if it is a console language, else `default`."""
    chosen = value if value in LANGUAGES else default
    return chosen  # type: ignore[return-value]  # checked against LANGUAGES


def text(language: str, key: str, **fields: object) -> str:
    """The text `key` in `language`, its {fields} filled."""
    template = _TEXTS[key][LANGUAGES.index(language)]  # type: ignore[arg-type]
    return template.format(**fields) if fields else template


def label(language: str, kind: str, value: str | None) -> str:
    """How the console names a value of the core (`kind` "channel", "reason", "outcome"...)."""
    if value is None:
        return text(language, "unknown")
    if kind == "reason" and value.startswith("urgent:"):
        topic = value.removeprefix("urgent:")
        return _label(language, "reason.urgent").format(topic=label(language, "urgent", topic))
    return _label(language, f"{kind}.{value}") or value.replace("_", " ")


def _label(language: str, key: str) -> str:
    table = _LABELS.get(key)
    return table[LANGUAGES.index(language)] if table else ""  # type: ignore[arg-type]


def all_keys() -> list[str]:
    """Every text key (for tests)."""
    return list(_TEXTS)


class Translator:
    """`t("key", field=...)` in templates, bound to one language."""

    def __init__(self, language: ConsoleLanguage) -> None:
        self.language = language

    def __call__(self, key: str, **fields: object) -> str:
        return text(self.language, key, **fields)

    def label(self, kind: str, value: str | None) -> str:
        """See `label`."""
        return label(self.language, kind, value)
