/*
 * Loket web chat page.
 *
 * No framework and no dependency on purpose: the page must load from our own
 * servers only (caller text never leaves them) and stay easy to audit.
 *
 * Contract used (docs/web-chat-api.md):
 *   POST /api/conversations/{id}/messages   {"text", "language"} -> replies
 *   GET  /api/conversations/{id}?after=N    -> messages with id > N, in order
 *   GET  /api/conversations/{id}/events     -> server-sent events: "message"
 *        (id: the message id) and "state", live
 * The transcript is read once (on load, and to recover after the stream
 * failed for good); after that, agents' replies, late bot answers and state
 * changes arrive on the event stream, which EventSource reopens by itself with
 * Last-Event-ID. Nothing polls. Every message has an id; the page never shows
 * the same id twice (a bot reply can come both in a POST answer and live).
 *
 * The pure helpers at the top (strings, link splitting, counting) are exported
 * for Node when this file is loaded outside a browser, so they can be tested.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------- settings

  var MAX_CHARS = 2000;          // the hub answers 413 above this
  var COUNTER_FROM = 1600;       // show the counter only near the limit
  var REOPEN_MS = 3000;           // first wait before reopening a failed stream
  var REOPEN_MAX_MS = 30000;
  var FETCH_TIMEOUT_MS = 15000;
  var POST_TIMEOUT_MS = 60000;   // the brain can be slow; never wait forever
  // After a network error or a 502/503/504 (the hub or its database briefly away), a
  // message is sent again (same Idempotency-Key) after these waits.
  var RESEND_DELAYS_MS = [1000, 3000, 8000, 15000];
  var RESEND_STATUSES = [502, 503, 504];
  var LANGUAGES = ['fr', 'nl', 'en'];
  var DEFAULT_LANGUAGE = 'fr';
  var ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  var STORAGE_ID = 'loket.conversationId';
  var STORAGE_LANGUAGE = 'loket.language';

  // ----------------------------------------------------------------- strings
  // Plain language: short sentences, one idea each. newTab starts with a
  // space because it is read right after the link text. Keep chat.html's French
  // text identical to the "fr" column (it shows before this script runs).

  var STRINGS = {
    fr: {
      title: 'Loket – Aide pour vos démarches à Bruxelles',
      tagline: 'Aide pour vos démarches à Bruxelles',
      intro: 'Bonjour. Je suis Loket. Je vous aide pour les démarches à Bruxelles : ' +
        'carte d’identité perdue, changement d’adresse… Écrivez votre question en bas de la page.',
      conversation: 'Conversation',
      language: 'Langue',
      newConversation: 'Nouvelle conversation',
      confirmNew: 'Effacer cette conversation et en commencer une nouvelle ?',
      inputLabel: 'Votre message',
      inputHint: 'Entrée pour envoyer. Maj + Entrée pour aller à la ligne.',
      send: 'Envoyer',
      typing: 'Loket écrit…',
      prefix_person: 'Vous :',
      prefix_bot: 'Loket :',
      prefix_agent: 'Agent :',
      prefix_system: 'Info :',
      name_agent: 'Agent du helpdesk',
      newTab: ' (s’ouvre dans un nouvel onglet)',
      banner_waiting_for_agent: 'Une personne va vous répondre ici.',
      banner_with_agent: 'Vous parlez avec un agent du helpdesk.',
      banner_closed: 'Cette conversation est terminée. Pour recommencer, appuyez sur « Nouvelle conversation ».',
      banner_back: 'Vous parlez de nouveau avec Loket, l’assistant.',
      offline: 'Pas de connexion. Nouvel essai en cours…',
      errEmpty: 'Écrivez d’abord votre message.',
      errTooLong: 'Votre message est trop long. Maximum {max} caractères. Raccourcissez-le, puis envoyez-le à nouveau.',
      errNetwork: 'Pas de connexion. Réessayez.',
      errRateLimited: 'Vous avez envoyé beaucoup de messages. Attendez une minute, puis réessayez.',
      errInvalid: 'Ce message n’a pas pu être envoyé. Réessayez.',
      errServer: 'Loket a un problème pour le moment. Réessayez dans quelques minutes.',
      counter: '{n} / {max} caractères',
      counterOver: 'Trop long : {n} / {max} caractères'
    },
    nl: {
      title: 'Loket – Hulp bij uw aanvragen in Brussel',
      tagline: 'Hulp bij uw aanvragen in Brussel',
      intro: 'Hallo. Ik ben Loket. Ik help u met aanvragen in Brussel: ' +
        'identiteitskaart verloren, adres veranderen… Schrijf uw vraag onderaan de pagina.',
      conversation: 'Gesprek',
      language: 'Taal',
      newConversation: 'Nieuw gesprek',
      confirmNew: 'Dit gesprek wissen en een nieuw gesprek beginnen?',
      inputLabel: 'Uw bericht',
      inputHint: 'Enter om te verzenden. Shift + Enter voor een nieuwe regel.',
      send: 'Verzenden',
      typing: 'Loket schrijft…',
      prefix_person: 'U:',
      prefix_bot: 'Loket:',
      prefix_agent: 'Medewerker:',
      prefix_system: 'Info:',
      name_agent: 'Helpdeskmedewerker',
      newTab: ' (opent in een nieuw tabblad)',
      banner_waiting_for_agent: 'Een medewerker zal u hier antwoorden.',
      banner_with_agent: 'U praat met een medewerker van de helpdesk.',
      banner_closed: 'Dit gesprek is afgelopen. Druk op ‘Nieuw gesprek’ om opnieuw te beginnen.',
      banner_back: 'U praat opnieuw met Loket, de assistent.',
      offline: 'Geen verbinding. We proberen het opnieuw…',
      errEmpty: 'Schrijf eerst uw bericht.',
      errTooLong: 'Uw bericht is te lang. Maximaal {max} tekens. Maak het korter en verstuur het opnieuw.',
      errNetwork: 'Geen verbinding. Probeer het opnieuw.',
      errRateLimited: 'U hebt veel berichten verstuurd. Wacht een minuut en probeer het opnieuw.',
      errInvalid: 'Dit bericht kon niet worden verstuurd. Probeer het opnieuw.',
      errServer: 'Loket heeft nu een probleem. Probeer het over enkele minuten opnieuw.',
      counter: '{n} / {max} tekens',
      counterOver: 'Te lang: {n} / {max} tekens'
    },
    en: {
      title: 'Loket – Help with procedures in Brussels',
      tagline: 'Help with procedures in Brussels',
      intro: 'Hello. I am Loket. I help you with procedures in Brussels: ' +
        'a lost ID card, a change of address… Write your question at the bottom of the page.',
      conversation: 'Conversation',
      language: 'Language',
      newConversation: 'New conversation',
      confirmNew: 'Delete this conversation and start a new one?',
      inputLabel: 'Your message',
      inputHint: 'Enter to send. Shift + Enter for a new line.',
      send: 'Send',
      typing: 'Loket is writing…',
      prefix_person: 'You:',
      prefix_bot: 'Loket:',
      prefix_agent: 'Agent:',
      prefix_system: 'Info:',
      name_agent: 'Helpdesk agent',
      newTab: ' (opens in a new tab)',
      banner_waiting_for_agent: 'A person will answer you here.',
      banner_with_agent: 'You are talking with a helpdesk agent.',
      banner_closed: 'This conversation has ended. To start again, press “New conversation”.',
      banner_back: 'You are talking with Loket, the assistant, again.',
      offline: 'No connection. Trying again…',
      errEmpty: 'Please write your message first.',
      errTooLong: 'Your message is too long. The limit is {max} characters. Make it shorter, then send it again.',
      errNetwork: 'No connection. Please try again.',
      errRateLimited: 'You sent many messages. Wait one minute, then try again.',
      errInvalid: 'This message could not be sent. Please try again.',
      errServer: 'Loket has a problem right now. Please try again in a few minutes.',
      counter: '{n} / {max} characters',
      counterOver: 'Too long: {n} / {max} characters'
    }
  };

  /** Text for `key` in `lang`, with {placeholders} filled from `vars`. */
  function translate(lang, key, vars) {
    var table = STRINGS[lang] || STRINGS[DEFAULT_LANGUAGE];
    var text = table[key];
    if (text === undefined) text = STRINGS[DEFAULT_LANGUAGE][key];
    if (text === undefined) return key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : whole;
    });
  }

  /** "fr-BE" -> "fr"; anything Loket does not speak -> null. */
  function normaliseLanguage(value) {
    if (typeof value !== 'string') return null;
    var code = value.trim().slice(0, 2).toLowerCase();
    return LANGUAGES.indexOf(code) >= 0 ? code : null;
  }

  /**
   * Characters as the hub counts them (Python len: code points), not UTF-16
   * units, so an emoji does not count double and the counter matches the 413.
   */
  function countChars(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      // Skip the low half of a surrogate pair: the pair is one character.
      if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
        var prev = text.charCodeAt(i - 1);
        if (prev >= 0xd800 && prev <= 0xdbff) continue;
      }
      n++;
    }
    return n;
  }

  // http(s):// or www. up to the next space or character that cannot be in a
  // URL written in a sentence.
  var URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'«»]+/gi;
  var TRAILING_PUNCTUATION = /[.,;:!?'"»)\]}]+$/;

  /**
   * Split text into plain parts and links: [{text}, {text, href}, ...].
   * Punctuation that ends a sentence is not part of the link; a closing
   * parenthesis stays when the URL opened one (Wikipedia-style URLs).
   */
  function splitLinks(text) {
    var parts = [];
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var url = match[0];
      var trailing = TRAILING_PUNCTUATION.exec(url);
      if (trailing) {
        var cut = trailing[0];
        // Give back ")" characters that close a "(" inside the URL.
        var body = url.slice(0, url.length - cut.length);
        while (cut.charAt(0) === ')' &&
               (body.split('(').length - 1) > (body.split(')').length - 1)) {
          body += ')';
          cut = cut.slice(1);
        }
        url = body;
      }
      var start = match.index;
      if (/^www\.$/i.test(url) || /^https?:\/\/$/i.test(url)) continue;
      if (start > last) parts.push({ text: text.slice(last, start) });
      var href = /^www\./i.test(url) ? 'https://' + url : url;
      parts.push({ text: url, href: href });
      last = start + url.length;
      URL_PATTERN.lastIndex = last;
    }
    if (last < text.length) parts.push({ text: text.slice(last) });
    return parts;
  }

  /** 32 hex characters from the browser's cryptographic random generator. */
  function randomConversationId(cryptoObject) {
    var bytes = new Uint8Array(16);
    cryptoObject.getRandomValues(bytes);
    var hex = '';
    for (var i = 0; i < bytes.length; i++) hex += (bytes[i] + 0x100).toString(16).slice(1);
    return hex;
  }

  /** Which user-facing message (a strings key) an HTTP status deserves. */
  function errorKeyForStatus(status) {
    if (status === 413) return 'errTooLong';
    if (status === 429) return 'errRateLimited';
    if (status >= 500) return 'errServer';
    return 'errInvalid';
  }

  // Outside a browser (Node tests): export the helpers and stop here.
  if (typeof document === 'undefined') {
    if (typeof module === 'object' && module.exports) {
      module.exports = {
        STRINGS: STRINGS, translate: translate, normaliseLanguage: normaliseLanguage,
        countChars: countChars, splitLinks: splitLinks,
        randomConversationId: randomConversationId, errorKeyForStatus: errorKeyForStatus,
        MAX_CHARS: MAX_CHARS
      };
    }
    return;
  }

  // ------------------------------------------------------------------- state

  var el = {};          // DOM elements, filled by init()
  var state = {
    uiLanguage: DEFAULT_LANGUAGE,
    // Language sent in POSTs: set only by a choice (selector, ?lang=, saved
    // choice, or the bot switching on request); null lets the hub detect it.
    chosenLanguage: null,
    // Bumped on each selector choice; a server answer given before the last
    // choice reached the hub must not undo it.
    choiceSeq: 0,
    choiceSentSeq: 0,
    conversationId: null,
    conversationState: 'bot',
    conversationLanguage: null,  // as the hub last said: the language of its messages
    backWithBot: false,    // an agent handed back: say so until the next message
    exists: false,         // the hub knows this conversation (no 404 then)
    cursor: 0,             // highest message id received through GET or the stream
    shownIds: {},          // id -> element, so nothing is shown twice
    pending: [],           // shown locally, waiting for their id from the hub
    payloadTitles: {},     // button payload -> title shown for it
    sending: false,
    stream: null,          // the open EventSource, if any
    reopenTimer: null,
    streamFailures: 0,     // errors in a row; the "offline" banner shows from 2
    generation: 0          // bumped by "new conversation": late answers are dropped
  };

  function t(key, vars) { return translate(state.uiLanguage, key, vars); }

  // ----------------------------------------------------------------- storage
  // localStorage can be missing or throw (private mode, blocked cookies):
  // the chat must still work, it just will not survive a reload.

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* ignore */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  /** {id, isNew}: the saved conversation, or a fresh random id saved for reloads. */
  function loadOrCreateConversationId() {
    var stored = storageGet(STORAGE_ID);
    if (stored && ID_PATTERN.test(stored)) return { id: stored, isNew: false };
    var id = randomConversationId(window.crypto);
    storageSet(STORAGE_ID, id);
    return { id: id, isNew: true };
  }

  // ----------------------------------------------------------------- language

  /** ?lang= first, then a saved choice, then the browser, then French. */
  function initialLanguage() {
    var fromQuery = null;
    try { fromQuery = normaliseLanguage(new URLSearchParams(window.location.search).get('lang')); }
    catch (e) { fromQuery = null; }
    if (fromQuery) return { lang: fromQuery, chosen: true, fromLink: true };
    var saved = normaliseLanguage(storageGet(STORAGE_LANGUAGE));
    if (saved) return { lang: saved, chosen: true, fromLink: false };
    var browser = null;
    var list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (var i = 0; i < list.length && !browser; i++) browser = normaliseLanguage(list[i]);
    return { lang: browser || DEFAULT_LANGUAGE, chosen: false, fromLink: false };
  }

  /** Redraw every interface text in `lang` (messages from the hub stay as written). */
  function applyUiLanguage(lang) {
    state.uiLanguage = lang;
    document.documentElement.lang = lang;
    document.title = t('title');
    var nodes = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = t(nodes[i].getAttribute('data-i18n'));
    }
    el.languageSelect.value = lang;
    renderBanner();
    updateCounter();
    // An error shown in the old language is redrawn in the new one.
    if (el.error.getAttribute('data-key')) showError(el.error.getAttribute('data-key'));
  }

  /** The person picked a language in the selector: it is sent with the next message. */
  function onLanguageChosen() {
    var lang = normaliseLanguage(el.languageSelect.value);
    if (!lang) return;
    state.chosenLanguage = lang;
    state.choiceSeq++;
    storageSet(STORAGE_LANGUAGE, lang);
    applyUiLanguage(lang);
  }

  /**
   * The hub said which language the conversation is in (maybe the person
   * asked the bot to switch): follow it, unless a newer choice in the selector
   * has not reached the hub yet.
   */
  function followServerLanguage(lang) {
    lang = normaliseLanguage(lang);
    if (!lang || state.choiceSeq !== state.choiceSentSeq) return;
    if (state.chosenLanguage && state.chosenLanguage !== lang) {
      state.chosenLanguage = lang;
      storageSet(STORAGE_LANGUAGE, lang);
    }
    if (lang !== state.uiLanguage) applyUiLanguage(lang);
  }

  // ---------------------------------------------------------------- messages

  var KNOWN_AUTHORS = { person: true, bot: true, agent: true, system: true };

  /** Append `text` to `parent` as text nodes and safe links (never innerHTML). */
  function appendLinkedText(parent, text) {
    var parts = splitLinks(text);
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      if (!part.href) {
        parent.appendChild(document.createTextNode(part.text));
        continue;
      }
      var a = document.createElement('a');
      a.href = part.href;                 // only http(s) can come out of splitLinks
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      a.textContent = part.text;
      var hint = document.createElement('span');
      hint.className = 'visually-hidden';
      hint.setAttribute('data-i18n', 'newTab');
      hint.textContent = t('newTab');
      a.appendChild(hint);
      parent.appendChild(a);
    }
  }

  /**
   * Build one message element. The visible author name is hidden from screen
   * readers, which read the visually hidden "Loket:" / "You:" prefix instead.
   */
  function createMessageElement(author, text, buttons, textLanguage) {
    if (!KNOWN_AUTHORS[author]) author = 'system';
    var item = document.createElement('div');
    item.className = 'msg msg--' + author;
    item.setAttribute('data-author', author);

    var prefix = document.createElement('span');
    prefix.className = 'visually-hidden';
    prefix.setAttribute('data-i18n', 'prefix_' + author);
    prefix.textContent = t('prefix_' + author);
    item.appendChild(prefix);

    if (author === 'bot' || author === 'agent') {
      var name = document.createElement('span');
      name.className = 'msg__author';
      name.setAttribute('aria-hidden', 'true');
      if (author === 'agent') {
        name.setAttribute('data-i18n', 'name_agent');
        name.textContent = t('name_agent');
      } else {
        name.textContent = 'Loket';
      }
      item.appendChild(name);
    }

    var body = document.createElement('p');
    body.className = 'msg__text';
    // The bot writes in the conversation's language, which can differ from
    // the interface's: tell screen readers which voice to use.
    if (textLanguage && author !== 'person') body.lang = textLanguage;
    appendLinkedText(body, String(text || ''));
    item.appendChild(body);

    if (buttons && buttons.length) item.appendChild(createButtonGroup(buttons, textLanguage));
    return item;
  }

  /** Real <button>s; clicking sends the payload but shows the title. */
  function createButtonGroup(buttons, textLanguage) {
    var group = document.createElement('div');
    group.className = 'msg__buttons';
    group.setAttribute('role', 'group');
    if (textLanguage) group.lang = textLanguage;
    for (var i = 0; i < buttons.length; i++) {
      var spec = buttons[i] || {};
      var title = String(spec.title || spec.payload || '');
      var payload = String(spec.payload || spec.title || '');
      if (!payload) continue;
      state.payloadTitles[payload] = title;
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'button button--choice';
      button.textContent = title;
      button.setAttribute('data-payload', payload);
      group.appendChild(button);
    }
    return group;
  }

  /** Keep messages in id order even when a GET brings an older one late. */
  function placeMessage(item, sortKey) {
    item.setAttribute('data-sort', String(sortKey));
    var node = el.log.lastElementChild;
    while (node && node !== item && Number(node.getAttribute('data-sort')) > sortKey) {
      node = node.previousElementSibling;
    }
    if (node === item) return;                 // already in its place
    var next = node ? node.nextElementSibling : el.log.firstElementChild;
    if (next === item) return;
    el.log.insertBefore(item, next);
  }

  function isNearBottom() {
    var doc = document.documentElement;
    return window.innerHeight + window.pageYOffset >= doc.scrollHeight - 160;
  }

  function scrollToBottom() {
    var reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    window.scrollTo({ top: document.documentElement.scrollHeight, behavior: reduce ? 'auto' : 'smooth' });
  }

  /** A message's numeric id, or NaN when it has none (null must not become 0). */
  function messageId(message) {
    var raw = message ? message.id : null;
    if (raw === null || raw === undefined || raw === '') return NaN;
    return Number(raw);
  }

  /** Show a message the person just wrote, before the hub gives it an id. */
  function showPendingMessage(author, sentText, shownText, textLanguage, buttons) {
    var item = createMessageElement(author, shownText, buttons, textLanguage);
    var entry = { element: item, author: author, text: sentText };
    state.pending.push(entry);
    placeMessage(item, Infinity);
    return entry;
  }

  function forgetPending(entry) {
    var index = state.pending.indexOf(entry);
    if (index >= 0) state.pending.splice(index, 1);
  }

  /** Text compared loosely: the hub may trim or normalise what it stores. */
  function looseText(text) {
    var value = String(text || '');
    if (value.normalize) value = value.normalize('NFC');
    return value.replace(/\s+/g, ' ').trim();
  }

  /**
   * The hub sent a message we may already show without an id: claim it.
   * Exact text first, then the same text give or take spaces.
   */
  function claimPending(author, text) {
    var index = findPending(author, function (sent) { return sent === text; });
    if (index < 0) {
      var loose = looseText(text);
      index = findPending(author, function (sent) { return looseText(sent) === loose; });
    }
    if (index < 0) return null;
    return state.pending.splice(index, 1)[0].element;
  }

  /** Index of the oldest pending message by `author` whose text passes `matches`. */
  function findPending(author, matches) {
    for (var i = 0; i < state.pending.length; i++) {
      if (state.pending[i].author === author && matches(state.pending[i].text)) return i;
    }
    return -1;
  }

  /**
   * Show a message that carries an id (from a POST reply or the GET
   * transcript), once. Returns true when something new appeared.
   */
  function showServerMessage(message, textLanguage) {
    var id = messageId(message);
    var author = KNOWN_AUTHORS[message.author] ? message.author : 'system';
    var text = typeof message.text === 'string' ? message.text : '';
    if (!isFinite(id)) {
      // A reply without id cannot be deduplicated: show it as pending and let
      // the transcript give it its id later.
      showPendingMessage(author, text, text, textLanguage, message.buttons);
      return true;
    }
    if (state.shownIds[id]) return false;

    var existing = claimPending(author, text);
    if (existing) {
      state.shownIds[id] = existing;
      existing.setAttribute('data-id', String(id));
      placeMessage(existing, id);
      return false;
    }

    // A person's button choice comes back as its payload: show the title.
    var shown = author === 'person' && state.payloadTitles[text] !== undefined
      ? state.payloadTitles[text] : text;
    var item = createMessageElement(author, shown, message.buttons, textLanguage);
    item.setAttribute('data-id', String(id));
    state.shownIds[id] = item;
    placeMessage(item, id);
    return true;
  }

  /**
   * Only the latest bot (or agent) message keeps its buttons: older choices no
   * longer make sense and would be noise for screen-reader users.
   */
  function refreshButtons() {
    var items = el.log.querySelectorAll('.msg--bot, .msg--agent');
    var latest = items.length ? items[items.length - 1] : null;
    var groups = el.log.querySelectorAll('.msg__buttons');
    for (var i = 0; i < groups.length; i++) {
      var active = groups[i].parentNode === latest;
      groups[i].hidden = !active;
      var buttons = groups[i].querySelectorAll('button');
      for (var j = 0; j < buttons.length; j++) buttons[j].disabled = !active || state.sending;
    }
  }

  /** After messages were added: fix buttons and follow the conversation down. */
  function afterNewMessages(wasNearBottom) {
    refreshButtons();
    if (wasNearBottom) scrollToBottom();
  }

  // ------------------------------------------------------------ state banner

  function setConversationState(value) {
    if (value === state.conversationState) return;
    // Back from a person to the bot: tell the person who answers now.
    state.backWithBot = value === 'bot' && (state.conversationState === 'with_agent' ||
      state.conversationState === 'waiting_for_agent');
    state.conversationState = value;
    renderBanner();
  }

  function renderBanner() {
    var key = null;
    if (state.streamFailures >= 2) key = 'offline';
    else if (state.conversationState === 'waiting_for_agent' ||
             state.conversationState === 'with_agent' ||
             state.conversationState === 'closed') key = 'banner_' + state.conversationState;
    else if (state.backWithBot) key = 'banner_back';
    var text = key ? t(key) : '';
    if (el.banner.textContent !== text) el.banner.textContent = text;
    el.banner.className = 'banner' + (key ? ' banner--' + key.replace('banner_', '') : '');
  }

  // ------------------------------------------------------ errors and counter

  function showError(key) {
    el.error.setAttribute('data-key', key);
    el.error.textContent = t(key, { max: MAX_CHARS });
    el.input.setAttribute('aria-invalid', key === 'errTooLong' || key === 'errEmpty' ? 'true' : 'false');
  }

  function clearError() {
    if (!el.error.textContent) return;
    el.error.removeAttribute('data-key');
    el.error.textContent = '';
    el.input.removeAttribute('aria-invalid');
  }

  function updateCounter() {
    var n = countChars(el.input.value);
    var over = n > MAX_CHARS;
    el.counter.textContent = n >= COUNTER_FROM ? t(over ? 'counterOver' : 'counter', { n: n, max: MAX_CHARS }) : '';
    el.counter.className = 'counter' + (over ? ' counter--over' : '');
    return n;
  }

  function onInput() {
    var n = updateCounter();
    var key = el.error.getAttribute('data-key');
    // Announce "too long" once when the limit is crossed, not on every key.
    if (n > MAX_CHARS && key !== 'errTooLong') showError('errTooLong');
    else if (n <= MAX_CHARS && key === 'errTooLong') clearError();
    else if (key === 'errEmpty' && el.input.value.trim()) clearError();
    autoGrow();
  }

  /** Grow the text box with its content, up to a limit set in CSS. */
  function autoGrow() {
    el.input.style.height = 'auto';
    el.input.style.height = el.input.scrollHeight + 2 + 'px';
  }

  // ------------------------------------------------------------------ busy

  function setSending(value) {
    state.sending = value;
    el.send.setAttribute('aria-disabled', value ? 'true' : 'false');
    el.form.setAttribute('aria-busy', value ? 'true' : 'false');
    // "Loket is writing…" only when Loket answers: with an agent it stays silent.
    el.typingText.hidden = !(value && state.conversationState === 'bot');
    refreshButtons();
  }

  // ------------------------------------------------------------------ HTTP

  /** A bug in this page must not stop the chat: log it and carry on. */
  function reportBug(error) {
    if (window.console) window.console.error('Loket chat:', error);
  }

  function conversationUrl() {
    return '/api/conversations/' + encodeURIComponent(state.conversationId);
  }

  /** fetch with a timeout; resolves to {status, body} or rejects on network failure. */
  function requestJson(url, options, timeoutMs) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = null;
    if (controller) {
      options.signal = controller.signal;
      timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    }
    options.credentials = 'same-origin';
    options.cache = 'no-store';
    options.headers = options.headers || {};
    options.headers.Accept = 'application/json';
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (timer) clearTimeout(timer);
        return { status: response.status, body: body };
      });
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  // ------------------------------------------------------------------ send

  /**
   * Send `text` (a typed message or a button payload). `shownText` is what the
   * transcript shows (the button title for a payload). Resolves to true when
   * the hub accepted it.
   */
  function sendMessage(text, shownText) {
    var generation = state.generation;
    var sentChoice = state.choiceSeq;
    var entry = showPendingMessage('person', text, shownText, null, null);
    afterNewMessages(true);
    clearError();
    if (state.backWithBot) {
      // The person has seen that the bot answers again: the notice has done its job.
      state.backWithBot = false;
      renderBanner();
    }
    setSending(true);

    var body = JSON.stringify({ text: text, language: state.chosenLanguage });
    return postMessage(body, newIdempotencyKey(), RESEND_DELAYS_MS).then(function (result) {
      if (generation !== state.generation) return false;
      if (result.status !== 200 || !result.body) {
        failSend(entry, errorKeyForStatus(result.status), result);
        return false;
      }
      try {
        acceptReplies(entry, result.body, sentChoice);
      } catch (error) {
        // The hub has the message: never put it back in the box to be sent twice.
        reportBug(error);
      }
      return true;
    }, function () {
      if (generation !== state.generation) return false;
      failSend(entry, 'errNetwork', null);
      return false;
    }).then(function (ok) {
      if (generation === state.generation) setSending(false);
      return ok;
    });
  }

  /**
   * POST one message; on a network error or a passing server error (RESEND_STATUSES),
   * send it again with the same key after each delay in turn. The hub answers a repeat
   * with the first answer, never a second turn.
   */
  function postMessage(body, key, delays) {
    function again(failure) {
      if (!delays.length) return failure();
      return new Promise(function (resolve) { setTimeout(resolve, delays[0]); }).then(function () {
        return postMessage(body, key, delays.slice(1));
      });
    }
    return requestJson(conversationUrl() + '/messages', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: body
    }, POST_TIMEOUT_MS).then(function (result) {
      if (RESEND_STATUSES.indexOf(result.status) < 0) return result;
      return again(function () { return result; });
    }, function (error) {
      return again(function () { throw error; });
    });
  }

  /** A new key for one message: random, so no two messages ever share one. */
  function newIdempotencyKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  /** The message did not reach the conversation: take it out of the transcript. */
  function failSend(entry, key, result) {
    forgetPending(entry);
    if (entry.element.parentNode) entry.element.parentNode.removeChild(entry.element);
    showError(key);
    // The code helps whoever reads the console; the person sees plain words.
    if (result && result.body && result.body.error && window.console) {
      window.console.warn('Loket: message refused (' + result.status + ', ' + result.body.error.code + ')');
    }
  }

  function acceptReplies(entry, answer, sentChoice) {
    state.exists = true;
    // Our language choice has reached the hub if nothing newer was chosen since.
    if (sentChoice === state.choiceSeq) state.choiceSentSeq = sentChoice;
    followServerLanguage(answer.language);
    state.conversationLanguage = normaliseLanguage(answer.language) || state.conversationLanguage;
    if (typeof answer.state === 'string') setConversationState(answer.state);

    var replies = Array.isArray(answer.replies) ? answer.replies : [];
    // The person's message came before these replies: place it just before them
    // until the transcript tells its real id.
    var firstId = replies.length ? messageId(replies[0]) : NaN;
    if (state.pending.indexOf(entry) >= 0 && isFinite(firstId)) placeMessage(entry.element, firstId - 0.5);

    for (var i = 0; i < replies.length; i++) {
      var reply = replies[i] || {};
      showServerMessage({ id: reply.id, author: 'bot', text: reply.text, buttons: reply.buttons },
        normaliseLanguage(answer.language));
    }
    // The person is waiting for this answer: always bring it into view.
    afterNewMessages(true);
    // The first message created the conversation: from now on, follow it live.
    // The stream's catch-up gives the person's message its id.
    openStream();
  }

  function onSubmit(event) {
    if (event) event.preventDefault();
    if (state.sending) return;
    var raw = el.input.value;
    if (!raw.trim()) {
      showError('errEmpty');
      el.input.focus();
      return;
    }
    if (countChars(raw) > MAX_CHARS) {
      showError('errTooLong');
      el.input.focus();
      return;
    }
    // Clear the box now so the person can write the next message; the text
    // is put back if it could not be sent.
    el.input.value = '';
    onInput();
    el.input.focus();
    sendMessage(raw, raw).then(function (ok) {
      if (!ok) restoreInput(raw);
    });
  }

  /** Put unsent text back in the box without losing anything typed since. */
  function restoreInput(text) {
    var current = el.input.value;
    el.input.value = current.trim() ? text + '\n' + current : text;
    onInput();
    el.input.focus();
  }

  function onKeyDown(event) {
    // Enter sends, Shift+Enter is a new line; never send while an input
    // method (Chinese, Japanese…) is composing a character.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    onSubmit(null);
  }

  function onLogClick(event) {
    var button = event.target.closest ? event.target.closest('button[data-payload]') : null;
    if (!button || button.disabled || state.sending) return;
    var payload = button.getAttribute('data-payload');
    // The clicked group is about to hide: keep keyboard focus somewhere useful.
    el.input.focus();
    sendMessage(payload, button.textContent);
  }

  // ----------------------------------------------------------- live stream

  /** Follow the conversation live (once the hub knows it; at most one stream). */
  function openStream() {
    if (state.stream || !state.exists || typeof EventSource !== 'function') return;
    clearReopenTimer();
    var generation = state.generation;
    // ?after= serves the first connection; on its own reconnects EventSource
    // sends Last-Event-ID, which the hub prefers.
    var source = new EventSource(conversationUrl() + '/events?after=' + state.cursor);
    state.stream = source;
    function current() { return source === state.stream && generation === state.generation; }
    source.addEventListener('open', function () {
      if (current()) setStreamFailures(0);
    });
    source.addEventListener('message', function (event) {
      if (current()) guarded(onLiveMessage, event);
    });
    source.addEventListener('state', function (event) {
      if (current()) guarded(onLiveState, event);
    });
    source.addEventListener('error', function () {
      if (current()) onStreamError(source);
    });
  }

  /** A bug in handling one event must not stop the stream. */
  function guarded(handler, event) {
    try { handler(event); } catch (error) { reportBug(error); }
  }

  function closeStream() {
    if (state.stream) state.stream.close();
    state.stream = null;
  }

  function clearReopenTimer() {
    if (state.reopenTimer) clearTimeout(state.reopenTimer);
    state.reopenTimer = null;
  }

  /** JSON from an event's data, or null. */
  function eventData(event) {
    try { return JSON.parse(event.data); } catch (e) { return null; }
  }

  function onLiveMessage(event) {
    var message = eventData(event);
    var id = messageId(message);
    if (!message || !isFinite(id)) return;
    var wasNearBottom = isNearBottom();
    var added = showServerMessage(message, state.conversationLanguage);
    if (id > state.cursor) state.cursor = id;
    if (added) afterNewMessages(wasNearBottom);
  }

  function onLiveState(event) {
    var data = eventData(event);
    if (data && typeof data.state === 'string') setConversationState(data.state);
  }

  /**
   * While the stream is CONNECTING, EventSource reconnects by itself. CLOSED
   * means it gave up (the hub answered an error, maybe 404 after a reset):
   * read the transcript to learn why, then open a new stream.
   */
  function onStreamError(source) {
    setStreamFailures(state.streamFailures + 1);
    if (source.readyState !== EventSource.CLOSED) return;
    closeStream();
    scheduleRefresh();
  }

  /** Wait 3 s, 6 s, 12 s… up to 30 s before trying again. */
  function scheduleRefresh() {
    clearReopenTimer();
    if (document.visibilityState === 'hidden') return;  // resumed when visible
    var delay = Math.min(REOPEN_MS * Math.pow(2, Math.max(state.streamFailures - 1, 0)), REOPEN_MAX_MS);
    state.reopenTimer = setTimeout(refresh, delay);
  }

  /** Read the transcript after the cursor, show what is new, then follow live. */
  function refresh() {
    state.reopenTimer = null;
    var generation = state.generation;
    var url = conversationUrl() + '?after=' + state.cursor;
    return requestJson(url, { method: 'GET' }, FETCH_TIMEOUT_MS).then(function (result) {
      if (generation !== state.generation) return;
      if (result.status === 404) {
        // Not created yet (or no longer): the next message creates it.
        state.exists = false;
        setStreamFailures(0);
        return;
      }
      if (result.status !== 200 || !result.body) {
        setStreamFailures(state.streamFailures + 1);
        scheduleRefresh();
        return;
      }
      state.exists = true;
      applyTranscript(result.body);
      openStream();
    }, function () {
      if (generation !== state.generation) return;
      setStreamFailures(state.streamFailures + 1);
      scheduleRefresh();
    }).then(null, reportBug);
  }

  function setStreamFailures(n) {
    state.streamFailures = n;
    renderBanner();
  }

  function applyTranscript(answer) {
    followServerLanguage(answer.language);
    state.conversationLanguage = normaliseLanguage(answer.language) || state.conversationLanguage;
    if (typeof answer.state === 'string') setConversationState(answer.state);
    var messages = Array.isArray(answer.messages) ? answer.messages : [];
    var lang = normaliseLanguage(answer.language);
    var wasNearBottom = isNearBottom();
    var added = false;
    for (var i = 0; i < messages.length; i++) {
      var message = messages[i] || {};
      var id = messageId(message);
      if (!isFinite(id)) continue;
      if (showServerMessage(message, lang)) added = true;
      if (id > state.cursor) state.cursor = id;
    }
    if (added) afterNewMessages(wasNearBottom);
  }

  /** Back on the page: a stream that gave up while hidden is reopened at once. */
  function onVisibilityChange() {
    if (document.visibilityState !== 'visible' || !state.exists || state.stream) return;
    clearReopenTimer();
    refresh();
  }

  // ------------------------------------------------------ new conversation

  function onNewConversation() {
    if (!window.confirm(t('confirmNew'))) return;
    state.generation++;
    storageRemove(STORAGE_ID);
    state.conversationId = loadOrCreateConversationId().id;
    state.exists = false;
    state.cursor = 0;
    state.shownIds = {};
    state.pending = [];
    state.payloadTitles = {};
    closeStream();
    clearReopenTimer();
    state.conversationLanguage = null;
    state.backWithBot = false;
    setStreamFailures(0);
    setSending(false);
    // Keep only the introduction.
    var items = el.log.querySelectorAll('.msg:not(.msg--intro)');
    for (var i = 0; i < items.length; i++) items[i].parentNode.removeChild(items[i]);
    state.conversationState = 'bot';
    renderBanner();
    clearError();
    el.input.focus();
  }

  // ------------------------------------------------------------------ init

  function init() {
    el.log = document.getElementById('log');
    el.form = document.getElementById('composer');
    el.input = document.getElementById('input');
    el.send = document.getElementById('send');
    el.error = document.getElementById('error');
    el.counter = document.getElementById('counter');
    el.banner = document.getElementById('banner');
    el.typingText = document.querySelector('#typing .typing__text');
    el.languageSelect = document.getElementById('language-select');
    el.newConversation = document.getElementById('new-conversation');

    var language = initialLanguage();
    state.chosenLanguage = language.chosen ? language.lang : null;
    if (language.fromLink) {
      // A link in a given language is a choice, and it wins over the
      // conversation's current language until the next message says so.
      state.choiceSeq = 1;
      storageSet(STORAGE_LANGUAGE, language.lang);
    }
    applyUiLanguage(language.lang);

    var conversation = loadOrCreateConversationId();
    state.conversationId = conversation.id;

    el.form.addEventListener('submit', onSubmit);
    el.input.addEventListener('input', onInput);
    el.input.addEventListener('keydown', onKeyDown);
    el.log.addEventListener('click', onLogClick);
    el.languageSelect.addEventListener('change', onLanguageChosen);
    el.newConversation.addEventListener('click', onNewConversation);
    document.addEventListener('visibilitychange', onVisibilityChange);

    // Load what this conversation already holds (a reload continues it), then
    // follow it live. A fresh id cannot exist on the hub yet: the stream opens
    // after the first message.
    if (!conversation.isNew) refresh();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
