/* Omnidesk agent inbox: the little behaviour HTMX does not cover.
 * Live events (rows and counts applied in place, sequence numbers, gap detection and
 * a refetch of this page's own view only then), collision
 * indicators, drafts, canned responses, keyboard shortcuts, tab title.
 * No inline scripts anywhere (CSP): everything is wired here by event delegation. */
(function () {
  "use strict";

  var LIST_REFRESH_MS = 1000; // at most one list refresh per second per agent
  var LATE_EVENT_MS = 1500; // how long a skipped event number may take to arrive
  var TYPING_EVERY_MS = 3000;
  var VIEWING_EVERY_MS = 20000;
  var TYPING_SHOWN_MS = 6000;
  var VIEWING_SHOWN_MS = 50000;
  // The /jsi18n/ catalogue (django.views.i18n.JavaScriptCatalog), loaded before this file.
  var t = window.gettext || function (words) { return words; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (token) { return values[token.slice(2, -2)]; });
  };
  var BASE_TITLE = t("Inbox") + " · Omnidesk";
  var ACTIVITY_EVERY_MS = 60000; // activity reported at most once a minute (auto-away)
  var STATUSES = ["online", "away", "busy"];

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
    scope: null, // what the server says decides our tabs: user, teams, inboxes (hello)
    missing: {}, // group -> {skipped sequence number: when it counts as lost}
    versions: {}, // conversation id -> the newest row version applied
    counted: {}, // conversation id -> {version: true} whose count change was applied
    rowless: {}, // conversation id -> the newest version, when it came without a row
    lastSorts: {}, // conversation id -> its row's sort key when last seen live
    unread: {}, // my open assigned conversations with something I have not seen
    stats: { resyncs: 0, listRefreshes: 0, gaps: 0, events: 0, liveRows: 0, liveCounts: 0 },
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
    root.setAttribute("data-live-rows", String(state.stats.liveRows));
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
  document.addEventListener("htmx:wsConnecting", function () { setLive("connecting", t("Connecting…")); });
  document.addEventListener("htmx:wsOpen", function (event) {
    state.socket = event.detail.socketWrapper;
    state.watched = null;
    setLive("live", t("Live"));
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
    setLive("offline", t("Reconnecting…"));
    var code = event.detail && event.detail.event ? event.detail.event.code : 0;
    if (!state.unloading && RETRIED_BY_EXTENSION.indexOf(code) === -1) {
      setTimeout(function () { window.location.reload(); }, 1500 + Math.random() * 1500);
    }
  });
  document.addEventListener("htmx:wsError", function () { setLive("offline", t("Reconnecting…")); });
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
      state.missing = {};
      state.scope = {
        userId: data.user_id,
        everything: Boolean(data.sees_everything),
        teams: data.teams || [],
        endpoints: data.endpoints || [],
      };
      state.greeted = true;
      activityReportedAt = 0;
      if (Date.now() - lastInputAt < ACTIVITY_EVERY_MS) reportActivity();
      watchOpenConversation();
      // Whatever happened while disconnected (or what we may now see): catch up. What
      // changed between this page's rendering and its first greeting: its list (the
      // open conversation is checked when its watch is answered).
      if (reconnect) resync();
      else if (advancedSince(renderedSeqs(), data.seqs)) {
        state.stats.resyncs += 1;
        publishStats();
        scheduleListRefresh();
      }
      return;
    }
    if (data.type === "watching") {
      Object.assign(state.seqs, data.seqs || {});
      var timeline = $("timeline");
      var shown = timeline && timeline.getAttribute("data-seq");
      if (String(data.conversation_id) === openId() && shown !== null && shown !== undefined) {
        var rendered = {};
        rendered["inbox.conversation." + data.conversation_id] = Number(shown);
        if (advancedSince(rendered, data.seqs)) scheduleConversationRefresh(true);
      }
      return;
    }
    if (data.type === "error") {
      if (data.code === "not_found") notice(t("That conversation is not available to you."));
      return;
    }
    if (data.type === "conversation.typing" || data.type === "conversation.viewing" || data.type === "conversation.left") {
      collision(data);
      return;
    }
    if (data.group && typeof data.seq === "number" && !inSequence(data.group, data.seq)) return;
    if (data.type === "conversation.row") applyRow(data);
    else if (data.type === "message.created" || data.type === "message.updated") applyMessage(data);
    else if (data.type === "agent.status" && state.scope && data.user_id === state.scope.userId) showStatus(data.status);
  }

  // --- My status (Online, Away, Busy) and activity for auto-away ---------------------------
  // Set in the header or with "s"; the server tells every tab of the agent (agent.status).
  function showStatus(status) {
    var select = $("my-status");
    if (!select) return;
    select.value = status;
    select.closest(".my-status").setAttribute("data-status", status);
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function chooseStatus(status) {
    var select = $("my-status");
    var previous = select ? select.closest(".my-status").getAttribute("data-status") : null;
    showStatus(status);
    fetch("/api/v1/me/status/", {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ status: status }),
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (body) { showStatus(body.status); })
      .catch(function () { if (previous) showStatus(previous); notice(t("Your status could not be changed; please retry.")); });
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "my-status") chooseStatus(event.target.value);
  });

  var lastInputAt = Date.now(); // opening the page counts as activity
  var activityReportedAt = 0;
  function reportActivity() {
    if (!state.socket || !state.greeted) return;
    activityReportedAt = Date.now();
    send({ action: "active" });
  }
  function noteActivity() {
    lastInputAt = Date.now();
    if (lastInputAt - activityReportedAt >= ACTIVITY_EVERY_MS) reportActivity();
  }
  ["keydown", "mousedown", "mousemove", "wheel", "touchstart", "focus"].forEach(function (type) {
    window.addEventListener(type, noteActivity, { passive: true, capture: true });
  });

  state.receive = handleEvent;

  // Each group numbers its events. Two server processes may send two numbers out of order,
  // so a skipped number is given LATE_EVENT_MS to arrive before it counts as lost (Channels
  // dropped it on a full queue) and the page refetches its view. Events apply in any order:
  // rows carry versions, and counts add up whatever the order.
  function renderedSeqs() {
    var script = $("rendered-seqs");
    try { return script ? JSON.parse(script.textContent) : {}; } catch (e) { return {}; }
  }

  // Whether a stream sent anything after the numbers a view was rendered with.
  function advancedSince(rendered, current) {
    return Object.keys(rendered || {}).some(function (group) {
      return current && typeof current[group] === "number" && current[group] > rendered[group];
    });
  }

  function inSequence(group, seq) {
    var last = state.seqs[group];
    var missing = state.missing[group] || (state.missing[group] = {});
    if (typeof last !== "number") { state.seqs[group] = seq; return true; }
    if (seq <= last) {
      if (!(seq in missing)) return false; // a duplicate of a seen event
      delete missing[seq];
      return true;
    }
    for (var skipped = last + 1; skipped < seq && skipped < last + 200; skipped += 1) {
      missing[skipped] = Date.now() + LATE_EVENT_MS;
    }
    state.seqs[group] = seq;
    if (seq - last > 200) lost(group);
    else if (seq > last + 1) setTimeout(checkMissing, LATE_EVENT_MS + 50);
    return true;
  }

  function checkMissing() {
    var now = Date.now();
    Object.keys(state.missing).forEach(function (group) {
      var missing = state.missing[group];
      if (Object.keys(missing).some(function (seq) { return missing[seq] <= now; })) lost(group);
    });
  }

  function lost(group) {
    state.missing[group] = {};
    state.stats.gaps += 1;
    resync();
  }

  function resync() {
    state.stats.resyncs += 1;
    publishStats();
    scheduleListRefresh();
    if (openId()) scheduleConversationRefresh(true);
  }

  // --- Live rows: the server renders a changed conversation's row once for everyone who
  // may see it; this page decides whether it belongs to its view, where, and what it does
  // to the tab counts, without asking the server. Only a search (which the server alone
  // can match) or a lost event makes it fetch, and then only its own view.
  function currentFilters() {
    var form = $("filters");
    var read = function (name) {
      var field = form && form.querySelector("[name=" + name + "]:checked, select[name=" + name + "], input[type=search][name=" + name + "]");
      return field ? field.value : "";
    };
    // A saved view's filters (team, priority, SLA, attributes) are hidden fields the
    // page cannot decide from an event's row: such a list is refetched instead.
    var narrowed = !!(form && form.querySelector("[data-saved-filter]"));
    return { view: read("view") || "mine", status: read("status") || "open", channel: read("channel"), tag: read("tag"), q: read("q").trim(), narrowed: narrowed };
  }

  function inTab(tab, bucket) {
    var scope = state.scope;
    if (!bucket || !scope) return false;
    var mine = bucket.assignee_id === scope.userId;
    var teams = scope.teams.indexOf(bucket.team_id) !== -1 || scope.endpoints.indexOf(bucket.endpoint_id) !== -1;
    if (tab === "mine") return mine;
    if (tab === "teams") return teams;
    if (tab === "unassigned") return bucket.assignee_id === null && (scope.everything || teams);
    return tab === "all" && scope.everything;
  }

  function applyCounts(before, after) {
    var status = currentFilters().status;
    ["mine", "unassigned", "teams", "all"].forEach(function (tab) {
      var el = $("count-" + tab);
      if (!el || el.textContent === "") return; // not loaded yet: the fetch will say
      var delta = (after && after.status === status && inTab(tab, after) ? 1 : 0)
        - (before && before.status === status && inTab(tab, before) ? 1 : 0);
      if (delta) el.textContent = String(Math.max(0, (parseInt(el.textContent.replace(/\D/g, ""), 10) || 0) + delta));
    });
    state.stats.liveCounts += 1;
  }

  function applyRow(event) {
    var id = String(event.conversation_id);
    var counted = state.counted[id] || (state.counted[id] = {});
    if (!counted[event.version]) {
      // Each version's move counts once, even one that arrives after a newer version.
      counted[event.version] = true;
      var versions = Object.keys(counted);
      if (versions.length > 20) delete counted[versions[0]];
      applyCounts(event.before, event.after);
      state.stats.liveRows += 1;
    } else if (!(state.rowless[id] === event.version && event.row)) {
      return; // the same change through another of our groups
    }
    var newest = state.versions[id];
    if (typeof newest === "number" && event.version < newest) { publishStats(); return; }
    state.versions[id] = event.version;
    state.rowless[id] = event.row ? null : event.version; // another group may bring the row
    trackUnread(id, event);
    if (id === openId() && event.state_changed) scheduleConversationRefresh(true);
    placeRow(id, event);
    publishStats();
    updateTitle();
  }

  function matchesView(after, row, filters) {
    if (after.status !== filters.status) return false;
    if (filters.channel && row.channels.indexOf(filters.channel) === -1) return false;
    if (filters.tag && row.tags.indexOf(filters.tag) === -1) return false;
    if (filters.view === "all") return true;
    return inTab(filters.view, after);
  }

  function placeRow(id, event) {
    var list = $("conversation-list");
    if (!list) return;
    var filters = currentFilters();
    if (filters.q || filters.narrowed) { scheduleListRefresh(); return; }
    var existing = $("row-" + id);
    if (!event.row || !matchesView(event.after, event.row, filters)) {
      if (existing) existing.remove();
      showEmptyList(list);
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = event.row.html.trim();
    var node = template.content.firstElementChild;
    var unread = rowUnread(id, event, existing);
    node.classList.toggle("unread", unread);
    if (!unread) node.querySelectorAll(".unread-badge").forEach(function (badge) { badge.remove(); });
    node.classList.toggle("active", id === openId());
    if (existing) existing.remove();
    var next = null;
    var rows = list.querySelectorAll(":scope > li.row");
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].getAttribute("data-sort") < event.row.sort) { next = rows[i]; break; }
    }
    var more = list.querySelector(":scope > li.load-more");
    if (!next && more) return; // older than every row shown: it belongs to a later page
    list.insertBefore(node, next || more);
    var empty = list.querySelector(":scope > li.empty-list");
    if (empty) empty.remove();
    htmx.process(node);
  }

  function showEmptyList(list) {
    if (list.querySelector(":scope > li.row, :scope > li.load-more, :scope > li.empty-list")) return;
    var empty = document.createElement("li");
    empty.className = "empty-list";
    empty.textContent = t("No conversations here.");
    list.appendChild(empty);
  }

  // Unread is this agent's: the server sends "the customer waits"; a row stays read until
  // something new arrives in it (its sort key moves), and the open one is being read.
  function rowUnread(id, event, existing) {
    if (!event.row.waiting) return false;
    if (id === openId() && !document.hidden) return false;
    if (existing && existing.getAttribute("data-sort") === event.row.sort) return existing.classList.contains("unread");
    return true;
  }

  function trackUnread(id, event) {
    var scope = state.scope;
    var previous = state.lastSorts[id];
    if (event.row) state.lastSorts[id] = event.row.sort;
    var waitingOnMe = scope && event.row && event.row.waiting && event.after.status === "open"
      && event.after.assignee_id === scope.userId;
    var becameMine = !event.before || event.before.assignee_id !== scope.userId
      || event.before.status !== "open";
    if (!waitingOnMe || (id === openId() && !document.hidden)) delete state.unread[id];
    else if (previous !== event.row.sort || becameMine) state.unread[id] = true;
  }

  // A new or changed message of the open conversation arrives rendered.
  function applyMessage(event) {
    var id = String(event.conversation_id);
    if (id !== openId()) return;
    var controls = $("timeline-controls");
    var timeline = $("timeline");
    if (!event.html || !timeline || (controls && controls.getAttribute("data-history") === "1")) {
      scheduleConversationRefresh(false);
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = event.html.trim();
    var node = template.content.firstElementChild;
    var existing = $("message-" + event.message_id);
    var wrap = $("timeline-wrap");
    var atBottom = wrap && wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 80;
    if (existing) {
      existing.replaceWith(node);
    } else if (event.type === "message.created") {
      var nothing = timeline.querySelector(":scope > li.muted");
      if (nothing) nothing.remove();
      timeline.appendChild(node);
      if (atBottom) scrollTimeline();
      if (!document.hidden) send({ action: "seen", conversation_id: Number(id) });
    } else {
      return; // an update of a message on an earlier page
    }
    htmx.process(node);
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
        refreshHeader();
      }
    }, wait);
  }

  // The header holds forms an agent fills in (attributes, tags, a notification): a live
  // refresh waits while they are in it, or typed there in the last half minute, so what
  // they typed is not replaced under their hands.
  var HEADER_RETRY_MS = 2000;
  var HEADER_EDIT_MS = 30000;
  function headerInUse() {
    var header = $("conversation-header");
    if (!header) return false;
    if (document.activeElement && document.activeElement !== document.body && header.contains(document.activeElement)) return true;
    if (header.querySelector("details[open]")) return true;
    return Array.prototype.some.call(header.querySelectorAll("form[data-edited-at]"), function (form) {
      return Date.now() - Number(form.getAttribute("data-edited-at")) < HEADER_EDIT_MS;
    });
  }
  function refreshHeader() {
    if (state.headerTimer) return;
    if (headerInUse()) {
      state.headerTimer = setTimeout(function () { state.headerTimer = null; refreshHeader(); }, HEADER_RETRY_MS);
      return;
    }
    var id = openId();
    if (id) htmx.ajax("GET", "/inbox/c/" + id + "/header/", { target: "#conversation-header", swap: "innerHTML" });
  }
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.target && event.target.closest && event.target.closest("#conversation-header form");
      if (form) form.setAttribute("data-edited-at", String(Date.now()));
    });
  });
  // A refresh asked for before the agent started typing arrives after: it waits too.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.target || detail.target.id !== "conversation-header") return;
    var path = (detail.requestConfig && detail.requestConfig.path) || (detail.xhr && detail.xhr.responseURL) || "";
    if (path.indexOf("/header/") === -1 || !headerInUse()) return;
    detail.shouldSwap = false;
    refreshHeader();
  });

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
      parts.push(interpolate(c.typingUntil > now ? t("%(name)s is typing…") : t("%(name)s is viewing"), { name: c.name }, true));
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
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "unread-count") readUnreadIds();
    else updateTitle();
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 404) notice(t("Not found, or no longer visible to you."));
    else notice(t("Something went wrong; please retry."));
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
      row.classList.remove("unread"); // opening it marked it read
      row.querySelectorAll(".unread-badge").forEach(function (badge) { badge.remove(); });
    }
    if (id) delete state.unread[id];
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
    var unread = Object.keys(state.unread).length;
    document.title = (unread > 0 ? "(" + unread + ") " : "") + BASE_TITLE;
  }
  // The counts fragment says which of my conversations are unread; live rows keep it.
  function readUnreadIds() {
    var el = $("unread-count");
    var ids = el ? (el.getAttribute("data-unread-ids") || "").split(",") : [];
    state.unread = {};
    ids.forEach(function (id) { if (id) state.unread[id] = true; });
    var open = openId();
    if (open && !document.hidden) delete state.unread[open];
    updateTitle();
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
    if (text) text.placeholder = note ? t("Private note for your team… type @ to mention") : t("Write a reply… type / for canned responses");
    var button = $("send-button");
    if (button) button.textContent = note ? t("Add note") : t("Send");
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
      // With the conversation, the server fills the variables ({{customer.first_name}}...).
      var conversation = textarea.getAttribute("data-conversation-id") || "";
      fetch("/inbox/canned/?prefix=" + encodeURIComponent(match[2]) + "&conversation=" + encodeURIComponent(conversation), { credentials: "same-origin" })
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
      case "s":
        var current = $("my-status");
        if (current) chooseStatus(STATUSES[(STATUSES.indexOf(current.value) + 1) % STATUSES.length]);
        break;
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
