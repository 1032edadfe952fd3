/* Omnidesk inbox: browser notifications and sound (assigned to me, new in my queue,
 * mentioned in a note), the @ autocomplete of private notes, and the preferences dialog.
 *
 * The server decides who is told (conversations/services/notifications.py) and sends
 * `notification` events on the inbox socket; this page words them in the agent's
 * language (the JavaScript catalogue, /jsi18n/) and shows them as the agent's
 * preferences say. Permission is asked once, from a click on our own banner, and the
 * answer is remembered. */
(function () {
  "use strict";

  var ASKED_KEY = "omnidesk:notifications-asked";
  var t = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (token) { return values[token.slice(2, -2)]; });
  };

  function $(id) { return document.getElementById(id); }
  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- Preferences ------------------------------------------------------------------------
  var prefs = {
    notify_assigned: true, notify_queue: true, notify_mentions: true, notify_sound: false,
  };
  function readPrefs() {
    var form = $("preferences-form");
    if (!form) return;
    ["notify_assigned", "notify_queue", "notify_mentions", "notify_sound"].forEach(function (name) {
      var input = form.elements[name];
      if (input) prefs[name] = input.checked;
    });
  }
  var WANTS = { assigned: "notify_assigned", queue: "notify_queue", mention: "notify_mentions" };

  function openPreferences(show) {
    var dialog = $("preferences-dialog");
    var toggle = $("preferences-toggle");
    if (!dialog) return;
    dialog.hidden = !show;
    if (toggle) toggle.setAttribute("aria-expanded", String(show));
    if (show) {
      var first = dialog.querySelector("select, input");
      if (first) first.focus();
    }
  }

  function savePreferences(form) {
    var body = {
      language: form.elements.language.value,
      time_zone: form.elements.time_zone.value,
    };
    ["notify_assigned", "notify_queue", "notify_mentions", "notify_sound"].forEach(function (name) {
      body[name] = form.elements[name].checked;
    });
    var status = $("preferences-status");
    return fetch("/api/v1/me/preferences/", {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) {
        var message = (result.data.error && result.data.error.message) || t("Your preferences could not be saved.");
        if (status) status.textContent = message;
        return;
      }
      readPrefs();
      var languageChanged = form.getAttribute("data-language-choice") !== body.language;
      var zoneChanged = form.getAttribute("data-time-zone-choice") !== body.time_zone;
      if (languageChanged || zoneChanged) {
        window.location.reload(); // the page and its catalogue in the new language and zone
        return;
      }
      if (status) status.textContent = t("Saved.");
      openPreferences(false);
    }).catch(function () {
      if (status) status.textContent = t("Your preferences could not be saved.");
    });
  }

  // --- Permission: asked once, from the agent's click ---------------------------------------
  function supported() { return typeof window.Notification === "function"; }
  function remembered() {
    try { return window.localStorage.getItem(ASKED_KEY); } catch (e) { return null; }
  }
  function remember(answer) {
    try { window.localStorage.setItem(ASKED_KEY, answer); } catch (e) { /* private mode */ }
  }
  function wantsAny() { return prefs.notify_assigned || prefs.notify_queue || prefs.notify_mentions; }

  function offerPermission() {
    var banner = $("notify-offer");
    if (!banner) return;
    var ask = supported() && window.Notification.permission === "default" && !remembered() && wantsAny();
    banner.hidden = !ask;
  }
  function askPermission() {
    var banner = $("notify-offer");
    if (banner) banner.hidden = true;
    if (!supported()) return;
    var answered = function (answer) { remember(answer || window.Notification.permission); };
    var asked = window.Notification.requestPermission(answered);
    if (asked && typeof asked.then === "function") asked.then(answered);
  }

  // --- Showing one -----------------------------------------------------------------------
  function wording(event) {
    var who = event.customer_name || t("A customer");
    if (event.kind === "assigned") return interpolate(t("Assigned to you: %(name)s"), { name: who }, true);
    if (event.kind === "queue") return interpolate(t("New in your queue: %(name)s"), { name: who }, true);
    return interpolate(t("%(name)s mentioned you in a note"), { name: event.author_name || t("A colleague") }, true);
  }

  var audio = null;
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.4);
      window.omnideskNotifications.beeps += 1;
    } catch (e) { /* audio blocked until a gesture: the notification still shows */ }
  }

  function openConversation(conversationId, url) {
    window.focus();
    // Through the row when it is listed (the inbox opens it in place), else the page.
    var link = document.querySelector("#row-" + conversationId + " > a");
    if (link) link.click();
    else window.location.href = url;
  }

  function notify(event) {
    if (event.kind === "queue") {
      // Told to the whole team: only members of that team, as the server chose, hear it.
      if (!prefs[WANTS.queue]) return;
    } else if (!prefs[WANTS[event.kind]]) {
      return;
    }
    var title = wording(event);
    window.omnideskNotifications.received.push({ kind: event.kind, title: title, conversation_id: event.conversation_id });
    if (prefs.notify_sound) beep();
    if (!supported() || window.Notification.permission !== "granted") return;
    var shown = new window.Notification(title, {
      body: event.excerpt || "",
      tag: "omnidesk-" + event.kind + "-" + event.conversation_id,
    });
    shown.onclick = function () { openConversation(event.conversation_id, event.url); shown.close(); };
  }

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var data;
    try { data = JSON.parse(event.detail.message); } catch (e) { return; }
    if (data && data.type === "notification") notify(data);
  });

  // --- @ mentions in private notes -------------------------------------------------------
  var mentionTimer = null;
  var mentionToken = null;
  function noteMode() {
    var mode = document.querySelector("#composer input[name=mode]:checked");
    return mode && mode.value === "note";
  }
  function mentionMenu() {
    var menu = $("mention-menu");
    var composer = $("composer");
    if (!menu && composer) {
      menu = document.createElement("ul");
      menu.id = "mention-menu";
      menu.className = "canned-menu mention-menu";
      menu.setAttribute("role", "listbox");
      menu.setAttribute("aria-label", t("Mention a colleague"));
      menu.hidden = true;
      composer.appendChild(menu);
    }
    return menu;
  }
  function hideMentions() {
    var menu = $("mention-menu");
    if (menu) menu.hidden = true;
    mentionToken = null;
  }
  function mentionLookup(textarea) {
    if (!noteMode()) { hideMentions(); return; }
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|\s)@([\w.+-]{0,40})$/.exec(before);
    if (!match) { hideMentions(); return; }
    var token = { start: before.length - match[2].length - 1, end: before.length };
    var id = textarea.getAttribute("data-conversation-id");
    clearTimeout(mentionTimer);
    mentionTimer = setTimeout(function () {
      fetch("/inbox/c/" + encodeURIComponent(id) + "/mentionable/?q=" + encodeURIComponent(match[2]), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) { mentionToken = token; showMentions(body.results || []); })
        .catch(hideMentions);
    }, 120);
  }
  function showMentions(results) {
    var menu = mentionMenu();
    if (!menu) return;
    menu.textContent = "";
    results.forEach(function (agent, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("data-username", agent.username);
      li.className = index === 0 ? "selected" : "";
      var strong = document.createElement("strong");
      strong.textContent = "@" + agent.username;
      li.appendChild(strong);
      if (agent.name !== agent.username) li.appendChild(document.createTextNode(" " + agent.name));
      menu.appendChild(li);
    });
    menu.hidden = results.length === 0;
  }
  function pickMention(li) {
    var textarea = $("composer-text");
    if (!textarea || !mentionToken) return;
    var text = "@" + li.getAttribute("data-username") + " ";
    textarea.value = textarea.value.slice(0, mentionToken.start) + text + textarea.value.slice(mentionToken.end);
    var caret = mentionToken.start + text.length;
    textarea.setSelectionRange(caret, caret);
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true })); // saves the draft
    hideMentions();
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "composer-text") mentionLookup(event.target);
  });
  // Before the inbox's own keys (capture): while the menu is open, these keys pick.
  document.addEventListener("keydown", function (event) {
    var menu = $("mention-menu");
    if (!menu || menu.hidden || event.target.id !== "composer-text") return;
    var items = Array.prototype.slice.call(menu.querySelectorAll("li"));
    var index = items.findIndex(function (li) { return li.classList.contains("selected"); });
    var handled = true;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var next = (index + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items.forEach(function (li, i) { li.classList.toggle("selected", i === next); });
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (items[index]) pickMention(items[index]);
    } else if (event.key === "Escape") {
      hideMentions();
    } else {
      handled = false;
    }
    if (handled) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    if (target.closest("#mention-menu li")) {
      pickMention(target.closest("#mention-menu li"));
    } else if (target.closest("#notify-enable")) {
      askPermission();
    } else if (target.closest("#notify-dismiss")) {
      remember("dismissed");
      offerPermission();
    } else if (target.closest("#preferences-toggle")) {
      var dialog = $("preferences-dialog");
      openPreferences(dialog && dialog.hidden);
    } else if (target.closest("#preferences-cancel")) {
      openPreferences(false);
    } else if (target.closest("#preferences-browser-zone")) {
      var zone = $("preferences-time-zone");
      if (zone) zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "preferences-form") return;
    event.preventDefault();
    var form = event.target;
    var wanted = ["notify_assigned", "notify_queue", "notify_mentions"].some(function (name) { return form.elements[name].checked; });
    // Saving is the agent's own gesture: the one moment to ask again after a "Not now".
    if (wanted && supported() && window.Notification.permission === "default") askPermission();
    savePreferences(form);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && $("preferences-dialog") && !$("preferences-dialog").hidden) openPreferences(false);
  });

  window.omnideskNotifications = { received: [], beeps: 0, prefs: prefs };
  function start() { readPrefs(); offerPermission(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
