/*
 * Loket agent console: live updates on top of pages that work without script.
 *
 * The server's event stream (/agent/events) only says that something changed. The
 * page then fetches itself again and takes over the parts marked data-live:
 *   data-live="replace"  the part is replaced when it differs (data-key when given),
 *                        keeping focus on the same link or field where possible;
 *   data-live="append"   children with a higher data-id are added at the end.
 * Nothing is ever built from strings: the new parts come from the server's
 * autoescaped HTML, parsed by DOMParser (which runs no script) and moved in as nodes,
 * so a person's words stay text.
 *
 * Forms marked data-enhance (reply, note) are posted with fetch and the session's
 * CSRF token in a header; the page does not reload and the text box is cleared.
 */
(function () {
  "use strict";

  var body = document.body;
  var page = body.getAttribute("data-page");
  var conversationId = body.getAttribute("data-conversation");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var liveStatus = document.getElementById("live-status");
  // A conversation page follows one conversation closely. Other pages follow the queue:
  // a second's delay for the queue itself, five for a message somewhere in it (its last
  // words), so twenty open consoles do not refetch the queue for every message.
  var REFRESH_DELAY_MS = page === "conversation" ? 100 : 1000;
  var MESSAGE_REFRESH_DELAY_MS = page === "conversation" ? 100 : 5000;
  var PERIODIC_REFRESH_MS = 30000; // waiting times move on even when nothing happens

  // Pages with nothing live (the dashboard, the privacy page) follow no stream: an
  // operator's account has none, and a dashboard is not fetched again at every message.
  if (page === "sign_in" || !page || !document.querySelector("[data-live]")) {
    return;
  }

  // ------------------------------------------------------------ refreshing parts

  var refreshTimer = null;
  var refreshDue = 0;
  var refreshing = false;
  var refreshAgain = false;

  function scheduleRefresh(delay) {
    var wait = delay === undefined ? REFRESH_DELAY_MS : delay;
    var due = Date.now() + wait;
    if (refreshTimer !== null && refreshDue <= due) {
      return; // a refresh is coming soon enough
    }
    window.clearTimeout(refreshTimer);
    refreshDue = due;
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      refresh();
    }, wait);
  }

  function refresh() {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    fetch(window.location.pathname + window.location.search, {
      headers: { "X-Requested-With": "fetch", Accept: "text/html" },
      credentials: "same-origin",
      cache: "no-store"
    })
      .then(function (response) {
        if (response.status === 401) {
          window.location.reload(); // signed out: the page sends to sign-in
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          apply(new DOMParser().parseFromString(html, "text/html"));
        }
      })
      .catch(function () { /* the next event or the periodic refresh tries again */ })
      .then(function () {
        refreshing = false;
        if (refreshAgain) {
          refreshAgain = false;
          scheduleRefresh();
        }
      });
  }

  function apply(fresh) {
    var parts = fresh.querySelectorAll("[data-live][id]");
    for (var i = 0; i < parts.length; i++) {
      var current = document.getElementById(parts[i].id);
      if (!current) {
        continue;
      }
      if (parts[i].getAttribute("data-live") === "append") {
        appendNew(current, parts[i]);
      } else {
        replaceIfChanged(current, parts[i]);
      }
    }
  }

  function appendNew(list, fresh) {
    var last = lastId(list);
    var items = fresh.children;
    var added = [];
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].getAttribute("data-id")) > last) {
        added.push(items[i]);
      }
    }
    added.forEach(function (item) {
      list.appendChild(document.importNode(item, true));
    });
  }

  function lastId(list) {
    var items = list.children;
    var last = 0;
    for (var i = 0; i < items.length; i++) {
      last = Math.max(last, Number(items[i].getAttribute("data-id")) || 0);
    }
    return last;
  }

  function replaceIfChanged(current, fresh) {
    var key = fresh.getAttribute("data-key");
    if (key !== null ? key === current.getAttribute("data-key")
                     : fresh.innerHTML === current.innerHTML) {
      return;
    }
    var focus = focusedPlace(current);
    var node = document.importNode(fresh, true);
    current.replaceWith(node);
    enhance(node);
    restoreFocus(node, focus);
  }

  // Where the keyboard was inside a part about to be replaced: the same link or field.
  function focusedPlace(part) {
    var active = document.activeElement;
    if (!active || !part.contains(active)) {
      return null;
    }
    return active.id ? "#" + CSS.escape(active.id)
         : active.getAttribute("href") ? '[href="' + CSS.escape(active.getAttribute("href")) + '"]'
         : null;
  }

  function restoreFocus(part, selector) {
    if (selector === null) {
      return;
    }
    var again = part.querySelector(selector);
    (again || part.closest("main") || body).focus();
  }

  // ------------------------------------------------------------ the event stream

  function connect() {
    var source = new EventSource("/agent/events");
    source.addEventListener("change", function (event) {
      var change = {};
      try {
        change = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      // A conversation page follows its own conversation; the others follow the queue.
      if (!conversationId || change.conversation_id === conversationId) {
        scheduleRefresh(change.kind === "message" ? MESSAGE_REFRESH_DELAY_MS : REFRESH_DELAY_MS);
      }
    });
    source.addEventListener("open", function () {
      say("");
      scheduleRefresh(); // catch up with what happened while away
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out) or gone: reloading shows the sign-in page or tries again.
        window.setTimeout(function () { window.location.reload(); }, 3000);
      }
      say(body.getAttribute("data-text-live-lost"));
    });
  }

  function say(text) {
    if (liveStatus && liveStatus.textContent !== text) {
      liveStatus.textContent = text;
    }
  }

  // ------------------------------------------------------------ forms without reload

  function enhance(root) {
    var forms = root.querySelectorAll("form[data-enhance]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", submitWithFetch);
    }
    var insert = root.querySelector("#canned-insert");
    if (insert) {
      insert.hidden = false;
      insert.addEventListener("click", insertCanned);
    }
  }

  function submitWithFetch(event) {
    var form = event.currentTarget;
    var button = form.querySelector('button[type="submit"]');
    var error = form.querySelector('[role="alert"]');
    var box = form.querySelector("textarea");
    event.preventDefault();
    if (button.getAttribute("aria-disabled") === "true") {
      return;
    }
    button.setAttribute("aria-disabled", "true");
    if (error) {
      error.hidden = true;
    }
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "X-CSRF-Token": csrfToken, "X-Requested-With": "fetch", Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        if (response.status === 401) {
          window.location.reload();
          return;
        }
        return response.json().then(function (answer) {
          if (response.ok) {
            if (box) {
              box.value = "";
              box.focus();
            }
            scheduleRefresh();
          } else {
            show(error, answer.error ? answer.error.message : body.getAttribute("data-text-send-failed"));
          }
        });
      })
      .catch(function () {
        show(error, body.getAttribute("data-text-send-failed"));
      })
      .then(function () {
        button.removeAttribute("aria-disabled");
      });
  }

  function show(element, text) {
    if (element) {
      element.textContent = text;
      element.hidden = false;
    }
  }

  function insertCanned(event) {
    var select = document.getElementById("canned");
    var box = document.getElementById(event.currentTarget.getAttribute("data-target"));
    var option = select && select.options[select.selectedIndex];
    if (option && box) {
      box.value = option.getAttribute("data-text") || "";
      box.focus();
    }
  }

  enhance(document);
  connect();
  if (page === "queue" || page === "callbacks") {
    window.setInterval(scheduleRefresh, PERIODIC_REFRESH_MS);
  }
})();
