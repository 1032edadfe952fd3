/* Omnidesk agent inbox: the little behaviour HTMX does not cover.
 * Live events (sequence numbers, gap detection, coalesced refreshes), collision
 * indicators, drafts, canned responses, keyboard shortcuts, tab title.
 * No inline scripts anywhere (CSP): everything is wired here by event delegation. */
(function () {
  "use strict";

  var LIST_REFRESH_MS = 1000; // at most one list refresh per second per agent
  var TYPING_EVERY_MS = 3000;
  var VIEWING_EVERY_MS = 20000;
  var TYPING_SHOWN_MS = 6000;
  var VIEWING_SHOWN_MS = 50000;
  var BASE_TITLE = "Inbox · Omnidesk";

  var state = {
    seqs: {},
    greeted: false,
    socket: null,
    watched: null,
    lastListRefresh: 0,
    listTimer: null,
    conversationTimer: null,
    conversationNeedsHeader: false,
    lastConversationRefresh: 0,
    typingSentAt: 0,
    collisions: {},
    stats: { resyncs: 0, listRefreshes: 0, gaps: 0, events: 0 },
  };
  window.omnideskInbox = state; // read by the browser tests (state.receive feeds an event)

  function $(id) { return document.getElementById(id); }
  function openId() {
    var pane = $("conversation");
    return pane ? pane.getAttribute("data-conversation-id") : null;
  }
  function publishStats() {
    var root = $("inbox");
    if (!root) return;
    root.setAttribute("data-resyncs", String(state.stats.resyncs));
    root.setAttribute("data-list-refreshes", String(state.stats.listRefreshes));
    root.setAttribute("data-gaps", String(state.stats.gaps));
  }

  // --- The socket (htmx ws extension: connection and reconnection with backoff) ------
  function setLive(status, text) {
    var el = $("live-status");
    if (!el) return;
    el.setAttribute("data-state", status);
    el.textContent = text;
  }
  function send(payload) {
    if (state.socket) state.socket.send(JSON.stringify(payload));
  }
  document.addEventListener("htmx:wsConnecting", function () { setLive("connecting", "Connecting…"); });
  document.addEventListener("htmx:wsOpen", function (event) {
    state.socket = event.detail.socketWrapper;
    state.watched = null;
    setLive("live", "Live");
  });
  // The ws extension reconnects by itself (with jittered backoff) after abnormal closes
  // (1006, 1011, 1012, 1013). Any other close (a proxy or server closing cleanly, the
  // session expiring: 4401) would leave the page deaf: reload it, which reconnects,
  // catches up and, for an expired session, lands on the sign-in page. Drafts survive.
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  window.addEventListener("beforeunload", function () { state.unloading = true; });
  document.addEventListener("htmx:wsClose", function (event) {
    state.socket = null;
    state.watched = null;
    setLive("offline", "Reconnecting…");
    var code = event.detail && event.detail.event ? event.detail.event.code : 0;
    if (!state.unloading && RETRIED_BY_EXTENSION.indexOf(code) === -1) {
      setTimeout(function () { window.location.reload(); }, 1500 + Math.random() * 1500);
    }
  });
  document.addEventListener("htmx:wsError", function () { setLive("offline", "Reconnecting…"); });
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    event.preventDefault(); // our messages are JSON events, not HTML to swap
    var data;
    try { data = JSON.parse(event.detail.message); } catch (e) { return; }
    handleEvent(data);
  });

  function handleEvent(data) {
    state.stats.events += 1;
    if (data.type === "hello") {
      var reconnect = state.greeted;
      state.seqs = Object.assign({}, data.seqs || {});
      state.greeted = true;
      watchOpenConversation();
      // Whatever happened while disconnected: catch up.
      if (reconnect) resync();
      return;
    }
    if (data.type === "watching") {
      Object.assign(state.seqs, data.seqs || {});
      return;
    }
    if (data.type === "error") {
      if (data.code === "not_found") notice("That conversation is not available to you.");
      return;
    }
    if (data.type === "conversation.typing" || data.type === "conversation.viewing" || data.type === "conversation.left") {
      collision(data);
      return;
    }
    if (data.group && typeof data.seq === "number") {
      var last = state.seqs[data.group];
      if (typeof last === "number" && data.seq > last + 1) {
        // Channels dropped something for us (full queue): refetch what is on screen.
        state.stats.gaps += 1;
        state.seqs[data.group] = data.seq;
        resync();
        return;
      }
      if (typeof last === "number" && data.seq <= last) return; // duplicate of a seen event
      state.seqs[data.group] = data.seq;
    }
    if (!/^(message|conversation)\./.test(data.type || "")) return;
    scheduleListRefresh();
    if (data.conversation_id && String(data.conversation_id) === openId()) {
      scheduleConversationRefresh(data.type === "conversation.updated" || data.type === "conversation.created");
    }
  }

  state.receive = handleEvent;

  function resync() {
    state.stats.resyncs += 1;
    publishStats();
    scheduleListRefresh();
    if (openId()) scheduleConversationRefresh(true);
  }

  function scheduleListRefresh() {
    if (state.listTimer) return;
    var wait = Math.max(0, state.lastListRefresh + LIST_REFRESH_MS - Date.now());
    state.listTimer = setTimeout(function () {
      state.listTimer = null;
      state.lastListRefresh = Date.now();
      state.stats.listRefreshes += 1;
      publishStats();
      var filters = $("filters");
      if (filters) htmx.trigger(filters, "refresh");
      htmx.trigger(document.body, "refresh-counts");
    }, wait);
  }

  // A tab the agent picks is remembered (in their session): the inbox opens on it next
  // time. Refreshes that live events trigger are not a choice, so they carry no mark.
  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.triggeringEvent;
    if (trigger && trigger.type === "change" && trigger.target && trigger.target.name === "view"
        && event.detail.elt && event.detail.elt.id === "filters") {
      event.detail.parameters.remember_view = "1";
    }
  });

  function scheduleConversationRefresh(withHeader) {
    state.conversationNeedsHeader = state.conversationNeedsHeader || withHeader;
    if (state.conversationTimer) return;
    var wait = Math.max(0, state.lastConversationRefresh + 500 - Date.now());
    state.conversationTimer = setTimeout(function () {
      state.conversationTimer = null;
      state.lastConversationRefresh = Date.now();
      var id = openId();
      if (!id) return;
      var controls = $("timeline-controls");
      var history = controls && controls.getAttribute("data-history") === "1";
      htmx.ajax("GET", "/inbox/c/" + id + "/timeline/" + (history ? "?history=1" : ""), {
        target: "#timeline-wrap", swap: "innerHTML",
      });
      if (state.conversationNeedsHeader) {
        state.conversationNeedsHeader = false;
        htmx.ajax("GET", "/inbox/c/" + id + "/header/", { target: "#conversation-header", swap: "innerHTML" });
      }
    }, wait);
  }

  function watchOpenConversation() {
    var id = openId();
    if (!state.socket) return;
    if (id && id !== state.watched) {
      state.watched = id;
      send({ action: "watch", conversation_id: Number(id) });
    } else if (!id && state.watched) {
      state.watched = null;
      send({ action: "unwatch" });
    }
  }

  setInterval(function () {
    if (state.watched && !document.hidden) send({ action: "viewing", conversation_id: Number(state.watched) });
  }, VIEWING_EVERY_MS);

  // --- Collision indicators ---------------------------------------------------------------
  function collision(data) {
    if (String(data.conversation_id) !== openId()) return;
    if (data.type === "conversation.left") {
      delete state.collisions[data.user_id];
    } else {
      var typing = data.type === "conversation.typing";
      var previous = state.collisions[data.user_id];
      state.collisions[data.user_id] = {
        name: data.name,
        typingUntil: typing ? Date.now() + TYPING_SHOWN_MS : (previous ? previous.typingUntil : 0),
        until: Date.now() + VIEWING_SHOWN_MS,
      };
    }
    renderCollisions();
  }
  function renderCollisions() {
    var el = $("collision");
    if (!el) return;
    var now = Date.now();
    var parts = [];
    Object.keys(state.collisions).forEach(function (userId) {
      var c = state.collisions[userId];
      if (c.until < now) { delete state.collisions[userId]; return; }
      parts.push(c.typingUntil > now ? c.name + " is typing…" : c.name + " is viewing");
    });
    el.textContent = parts.join(" · ");
    el.classList.toggle("active", parts.length > 0);
  }
  setInterval(renderCollisions, 1000);

  // --- After HTMX swaps -------------------------------------------------------------------
  // "Show earlier messages" inserts older items above what the agent is reading: keep
  // the same distance from the bottom so the view does not jump.
  var keepFromBottom = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var wrap = $("timeline-wrap");
    if (target && target.id === "timeline-earlier" && wrap) keepFromBottom = wrap.scrollHeight - wrap.scrollTop;
  });
  document.addEventListener("htmx:afterSwap", function () {
    var wrap = $("timeline-wrap");
    if (keepFromBottom === null || !wrap) return;
    wrap.scrollTop = wrap.scrollHeight - keepFromBottom;
    keepFromBottom = null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "conversation-pane") conversationShown();
    if (target.id === "timeline-wrap") scrollTimeline();
    if (target.id === "conversation-list") markActiveRow();
    updateTitle();
  });
  document.addEventListener("htmx:oobAfterSwap", updateTitle);
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 404) notice("Not found, or no longer visible to you.");
    else notice("Something went wrong; please retry.");
  });

  function conversationShown() {
    var root = $("inbox");
    var id = openId();
    if (root) root.classList.toggle("has-conversation", Boolean(id));
    if (id !== state.watched) state.collisions = {};
    var openInput = $("open-id");
    if (openInput) openInput.value = id || "";
    markActiveRow();
    var row = id && $("row-" + id);
    if (row && row.classList.contains("unread")) {
      row.classList.remove("unread");
      htmx.trigger(document.body, "refresh-counts"); // opening it marked it read
    }
    var composer = $("composer");
    if (composer) {
      var text = $("composer-text");
      if (composer.getAttribute("data-sent") === "1") clearDraft(id);
      else if (text && !text.value) text.value = loadDraft(id);
      syncMode();
    }
    scrollTimeline();
    watchOpenConversation();
    renderCollisions();
  }

  function markActiveRow() {
    var id = openId();
    document.querySelectorAll("#conversation-list .row").forEach(function (row) {
      row.classList.toggle("active", row.getAttribute("data-conversation-id") === id);
    });
  }

  function scrollTimeline() {
    var wrap = $("timeline-wrap");
    if (wrap) wrap.scrollTop = wrap.scrollHeight;
  }

  function updateTitle() {
    var el = $("unread-count");
    var unread = el ? parseInt(el.getAttribute("data-unread") || "0", 10) : 0;
    document.title = (unread > 0 ? "(" + unread + ") " : "") + BASE_TITLE;
  }

  var noticeTimer = null;
  function notice(text) {
    var el = $("live-status");
    if (!el) return;
    var previous = el.getAttribute("data-state");
    el.setAttribute("data-notice", text);
    el.title = text;
    clearTimeout(noticeTimer);
    var box = $("notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "notice";
      box.className = "notice";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.hidden = false;
    noticeTimer = setTimeout(function () { box.hidden = true; }, 5000);
    return previous;
  }

  // --- Composer: modes, drafts, typing, canned responses -----------------------------------
  function draftKey(id) { return "omnidesk:draft:" + id; }
  function loadDraft(id) {
    try { return window.localStorage.getItem(draftKey(id)) || ""; } catch (e) { return ""; }
  }
  function saveDraft(id, text) {
    try {
      if (text) window.localStorage.setItem(draftKey(id), text);
      else window.localStorage.removeItem(draftKey(id));
    } catch (e) { /* storage full or disabled: drafts are a convenience */ }
  }
  function clearDraft(id) { saveDraft(id, ""); }

  function syncMode() {
    var composer = $("composer");
    if (!composer) return;
    var checked = composer.querySelector("input[name=mode]:checked");
    var note = checked && checked.value === "note";
    composer.classList.toggle("mode-note", note);
    composer.classList.toggle("mode-reply", !note);
    var text = $("composer-text");
    if (text) text.placeholder = note ? "Private note for your team…" : "Write a reply… type / for canned responses";
    var button = $("send-button");
    if (button) button.textContent = note ? "Add note" : "Send";
  }
  function setMode(mode) {
    var radio = document.querySelector("#composer input[name=mode][value=" + mode + "]");
    if (radio) { radio.checked = true; syncMode(); }
    var text = $("composer-text");
    if (text) text.focus();
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("#composer input[name=mode]")) syncMode();
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.id !== "composer-text") return;
    var id = target.getAttribute("data-conversation-id");
    saveDraft(id, target.value);
    if (Date.now() - state.typingSentAt > TYPING_EVERY_MS && state.watched === id) {
      state.typingSentAt = Date.now();
      // A private note is typed in front of colleagues only: the customer never sees it.
      var mode = document.querySelector("#composer input[name=mode]:checked");
      send({ action: "typing", conversation_id: Number(id), note: !!(mode && mode.value === "note") });
    }
    cannedLookup(target);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.id === "review-first") {
      var held = $("held-warning");
      if (held) held.hidden = true;
      scheduleConversationRefresh(true);
    } else if (target.id === "back-to-list" && window.matchMedia("(max-width: 800px)").matches) {
      event.preventDefault();
      var root = $("inbox");
      if (root) root.classList.remove("has-conversation");
    } else if (target.id === "shortcuts-toggle") {
      toggleHelp();
    } else if (target.closest && target.closest("#canned-menu li")) {
      pickCanned(target.closest("#canned-menu li"));
    }
  });

  var cannedTimer = null;
  var cannedToken = null;
  function cannedLookup(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|\s)\/([\w-]{0,40})$/.exec(before);
    if (!match) { hideCanned(); return; }
    cannedToken = { start: before.length - match[2].length - 1, end: before.length };
    clearTimeout(cannedTimer);
    cannedTimer = setTimeout(function () {
      fetch("/inbox/canned/?prefix=" + encodeURIComponent(match[2]), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) { showCanned(body.results || []); })
        .catch(hideCanned);
    }, 120);
  }
  function showCanned(results) {
    var menu = $("canned-menu");
    if (!menu) return;
    menu.textContent = "";
    results.forEach(function (item, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("data-text", item.text);
      li.className = index === 0 ? "selected" : "";
      var code = document.createElement("code");
      code.textContent = "/" + item.shortcut;
      li.appendChild(code);
      li.appendChild(document.createTextNode(" " + item.title));
      menu.appendChild(li);
    });
    menu.hidden = results.length === 0;
  }
  function hideCanned() {
    var menu = $("canned-menu");
    if (menu) menu.hidden = true;
  }
  function pickCanned(li) {
    var textarea = $("composer-text");
    if (!textarea || !cannedToken) return;
    var text = li.getAttribute("data-text");
    textarea.value = textarea.value.slice(0, cannedToken.start) + text + textarea.value.slice(cannedToken.end);
    var caret = cannedToken.start + text.length;
    textarea.setSelectionRange(caret, caret);
    textarea.focus();
    saveDraft(textarea.getAttribute("data-conversation-id"), textarea.value);
    hideCanned();
  }
  function cannedKeys(event) {
    var menu = $("canned-menu");
    if (!menu || menu.hidden) return false;
    var items = Array.prototype.slice.call(menu.querySelectorAll("li"));
    var index = items.findIndex(function (li) { return li.classList.contains("selected"); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var next = (index + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items.forEach(function (li, i) { li.classList.toggle("selected", i === next); });
      return true;
    }
    if (event.key === "Enter" || event.key === "Tab") {
      if (items[index]) pickCanned(items[index]);
      return true;
    }
    if (event.key === "Escape") { hideCanned(); return true; }
    return false;
  }

  // --- Keyboard shortcuts -------------------------------------------------------------------
  function toggleHelp() {
    var help = $("shortcuts-help");
    if (!help) return;
    help.hidden = !help.hidden;
    var toggle = $("shortcuts-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", String(!help.hidden));
  }
  function moveConversation(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#conversation-list .row"));
    if (!rows.length) return;
    var id = openId();
    var index = rows.findIndex(function (row) { return row.getAttribute("data-conversation-id") === id; });
    var next = rows[Math.min(Math.max(index + step, 0), rows.length - 1)];
    if (index === -1) next = rows[0];
    var link = next && next.querySelector("a");
    if (link) link.click();
  }
  function clickIf(id) {
    var el = $(id);
    if (el) el.click();
  }

  function isTextEntry(el) {
    if (!el.matches) return false;
    if (el.matches("textarea, select, [contenteditable]")) return true;
    // Tabs are radio buttons: shortcuts keep working after clicking one.
    return el.matches("input") && !/^(radio|checkbox|button|submit|reset)$/.test(el.type);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "composer-text") {
      if (cannedKeys(event)) { event.preventDefault(); return; }
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        var form = $("composer");
        if (form) form.requestSubmit();
        return;
      }
    }
    if (isTextEntry(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case "/": event.preventDefault(); var search = $("search"); if (search) search.focus(); break;
      case "r": event.preventDefault(); setMode("reply"); break;
      case "n": event.preventDefault(); setMode("note"); break;
      case "a": clickIf("assign-me"); break;
      case "e": clickIf("resolve-button"); break;
      case "j": moveConversation(1); break;
      case "k": moveConversation(-1); break;
      case "?": toggleHelp(); break;
      case "Escape":
        var root = $("inbox");
        if (root) root.classList.remove("has-conversation");
        break;
      default: break;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    conversationShown();
    updateTitle();
    publishStats();
  });
})();
