/* Omnidesk inbox: bulk actions on the list.
 *
 * Rows get a checkbox (click; shift-click selects the range since the last click);
 * "select all matching" takes the list's current filter rather than the rows shown.
 * Actions go through POST /api/v1/conversations/bulk/ (one transaction per
 * conversation; a result per item). For a short while an Undo sends each changed
 * conversation's previous state back with PATCH. Rows arrive and change through the live
 * inbox's events, so this file only adds the checkboxes to whatever rows are shown. */
(function () {
  "use strict";

  var UNDO_SECONDS = 30;
  var t = window.gettext || function (text) { return text; };
  var nt = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (token) { return values[token.slice(2, -2)]; });
  };

  var state = { selected: new Set(), anchor: null, matching: null, undo: null, undoTimer: null };
  window.omnideskBulk = state; // read by the browser tests

  function $(id) { return document.getElementById(id); }
  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#conversation-list li.row")); }
  function rowId(row) { return Number(row.getAttribute("data-conversation-id")); }

  // --- Checkboxes on rows ------------------------------------------------------------------
  function decorate(row) {
    var box = row.querySelector(":scope > input.bulk-check");
    if (!box) {
      box = document.createElement("input");
      box.type = "checkbox";
      box.className = "bulk-check";
      var name = row.querySelector(".customer");
      box.setAttribute("aria-label", interpolate(t("Select %(name)s"), { name: name ? name.textContent : rowId(row) }, true));
      row.insertBefore(box, row.firstChild);
    }
    box.checked = state.matching !== null || state.selected.has(rowId(row));
    row.classList.toggle("selected", box.checked);
  }
  function decorateAll() { rows().forEach(decorate); render(); }

  // The assignee and team choices are fetched the first time the bar opens, so the page
  // itself costs no query for them (conversations.views.bulk_choices).
  function loadChoices() {
    var holder = $("bulk-choices");
    if (!holder || holder.getAttribute("data-loaded") !== "false") return;
    holder.setAttribute("data-loaded", "loading");
    fetch(holder.getAttribute("data-url"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        holder.innerHTML = html;
        holder.setAttribute("data-loaded", "true");
        render();
      })
      .catch(function () { holder.setAttribute("data-loaded", "false"); });
  }

  function render() {
    var bar = $("bulk-bar");
    if (!bar) return;
    var count = state.selected.size;
    var active = count > 0 || state.matching !== null;
    if (active) loadChoices();
    bar.hidden = !active && ($("bulk-result").hidden);
    var list = $("conversation-list");
    if (list) list.classList.toggle("selecting", active);
    $("bulk-count").textContent = state.matching !== null
      ? t("Every conversation matching this filter")
      : interpolate(nt("%(count)s selected", "%(count)s selected", count), { count: count }, true);
    var shown = rows();
    var allShown = shown.length > 0 && shown.every(function (row) { return state.selected.has(rowId(row)); });
    $("bulk-page").checked = state.matching !== null || allShown;
    $("bulk-matching").hidden = state.matching !== null || !allShown || !matchingFilter();
    bar.querySelectorAll(".bulk-actions button, .bulk-actions select, .bulk-actions input").forEach(function (control) {
      control.disabled = !active;
    });
  }

  function setRow(id, on) {
    if (on) state.selected.add(id); else state.selected.delete(id);
  }

  function toggle(box, shift) {
    var row = box.closest("li.row");
    var id = rowId(row);
    if (state.matching !== null) { // narrowing a "matching" selection: back to the rows shown
      state.matching = null;
      rows().forEach(function (r) { state.selected.add(rowId(r)); });
    }
    var on = box.checked;
    var all = rows();
    if (shift && state.anchor !== null) {
      var from = all.findIndex(function (r) { return rowId(r) === state.anchor; });
      var to = all.indexOf(row);
      if (from >= 0 && to >= 0) {
        var lo = Math.min(from, to), hi = Math.max(from, to);
        for (var i = lo; i <= hi; i++) setRow(rowId(all[i]), on);
      }
    } else {
      setRow(id, on);
    }
    state.anchor = id;
    decorateAll();
  }

  function clear() {
    state.selected.clear();
    state.matching = null;
    state.anchor = null;
    decorateAll();
  }

  // --- "All matching": the list's filter as the API's ----------------------------------------
  var VIEW_FILTERS = { mine: { assignee: "me" }, unassigned: { assignee: "none" }, teams: { team: "mine" }, all: {} };
  var API_FIELDS = ["status", "channel", "tag", "q", "priority", "team", "assignee"];
  function matchingFilter() {
    var form = $("filters");
    if (!form) return null;
    var data = new FormData(form);
    var filter = {};
    var unsupported = false;
    data.forEach(function (value, name) {
      if (!value || name === "open" || name === "cursor") return;
      if (name === "view") Object.assign(filter, VIEW_FILTERS[value] || {});
      else if (API_FIELDS.indexOf(name) >= 0) filter[name] = value;
      else unsupported = true; // a filter the API cannot repeat: offer the rows shown only
    });
    return unsupported ? null : filter;
  }

  // --- Running an action ------------------------------------------------------------------
  var DONE = {
    resolved: function (n) { return nt("%(count)s resolved", "%(count)s resolved", n); },
    open: function (n) { return nt("%(count)s reopened", "%(count)s reopened", n); },
    snoozed: function (n) { return nt("%(count)s snoozed", "%(count)s snoozed", n); },
    assignee: function (n) { return nt("%(count)s assigned", "%(count)s assigned", n); },
    team: function (n) { return nt("%(count)s moved", "%(count)s moved", n); },
    priority: function (n) { return nt("%(count)s re-prioritised", "%(count)s re-prioritised", n); },
    tags_add: function (n) { return nt("%(count)s tagged", "%(count)s tagged", n); },
  };
  function actionKey(action) { return action.status || Object.keys(action)[0]; }

  // What Undo restores for each kind of action (only what the action could change).
  function undoBody(action, previous) {
    if (action.status) {
      var body = { status: previous.status };
      if (previous.snoozed_until) body.snoozed_until = previous.snoozed_until;
      return body;
    }
    if ("assignee" in action) return { assignee: previous.assignee };
    if ("team" in action) return { team: previous.team, assignee: previous.assignee };
    if ("priority" in action) return { priority: previous.priority };
    return { tags: previous.tags };
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  function run(action) {
    var request = { action: action };
    if (state.matching !== null) request.filter = state.matching;
    else request.ids = Array.from(state.selected);
    if (!request.filter && !request.ids.length) return;
    showResult(t("Working…"), false);
    api("POST", "/api/v1/conversations/bulk/", request).then(function (answer) {
      if (!answer.ok) {
        var error = answer.data.error || {};
        showResult(error.message || t("The action could not be done."), false);
        return;
      }
      var results = answer.data.results || [];
      var done = results.filter(function (item) { return item.ok; });
      var failed = results.filter(function (item) { return !item.ok; });
      var text = interpolate(DONE[actionKey(action)](done.length), { count: done.length }, true);
      if (failed.length) {
        text += ", " + interpolate(nt("%(count)s failed", "%(count)s failed", failed.length), { count: failed.length }, true) + ": " +
          failed.slice(0, 3).map(function (item) { return "#" + item.id + " " + ((item.error && item.error.message) || ""); }).join("; ");
      }
      state.undo = done.filter(function (item) { return item.previous; }).map(function (item) {
        return { id: item.id, body: undoBody(action, item.previous) };
      });
      clear();
      showResult(text, state.undo.length > 0);
    }).catch(function () { showResult(t("The action could not be done."), false); });
  }

  function undo() {
    var items = state.undo || [];
    state.undo = null;
    clearTimeout(state.undoTimer);
    $("bulk-undo").hidden = true;
    showResult(t("Undoing…"), false);
    Promise.all(items.map(function (item) {
      return api("PATCH", "/api/v1/conversations/" + item.id + "/", item.body).then(function (answer) {
        return answer.ok ? null : "#" + item.id + " " + ((answer.data.error && answer.data.error.message) || "");
      }, function () { return "#" + item.id; });
    })).then(function (errors) {
      var failed = errors.filter(Boolean);
      var undone = items.length - failed.length;
      var text = interpolate(nt("%(count)s undone", "%(count)s undone", undone), { count: undone }, true);
      if (failed.length) text += ", " + interpolate(nt("%(count)s could not be undone", "%(count)s could not be undone", failed.length), { count: failed.length }, true) + ": " + failed.slice(0, 3).join("; ");
      showResult(text, false);
    });
  }

  function showResult(text, undoable) {
    var box = $("bulk-result");
    if (!box) return;
    $("bulk-summary").textContent = text;
    box.hidden = false;
    $("bulk-undo").hidden = !undoable;
    clearTimeout(state.undoTimer);
    state.undoTimer = setTimeout(function () {
      $("bulk-undo").hidden = true;
      state.undo = null;
      box.hidden = true;
      render();
    }, UNDO_SECONDS * 1000);
    render();
  }

  // --- Wiring -----------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    if (target.classList.contains("bulk-check")) {
      event.stopPropagation();
      toggle(target, event.shiftKey);
      return;
    }
    if (target.id === "bulk-page") {
      state.matching = null;
      rows().forEach(function (row) { setRow(rowId(row), target.checked); });
      decorateAll();
    } else if (target.id === "bulk-matching") {
      state.matching = matchingFilter();
      decorateAll();
    } else if (target.id === "bulk-clear") {
      clear();
    } else if (target.id === "bulk-undo") {
      undo();
    } else if (target.closest("[data-bulk]")) {
      run(JSON.parse(target.closest("[data-bulk]").getAttribute("data-bulk")));
    }
  }, true);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.value) return;
    var action = null;
    if (target.id === "bulk-snooze") {
      action = { status: "snoozed", snoozed_until: new Date(Date.now() + Number(target.value) * 3600e3).toISOString() };
    } else if (target.id === "bulk-assign") {
      action = { assignee: target.value === "none" ? null : (target.value === "me" ? "me" : Number(target.value)) };
    } else if (target.id === "bulk-team") {
      action = { team: Number(target.value) };
    } else if (target.id === "bulk-priority") {
      action = { priority: Number(target.value) };
    }
    if (action) {
      target.value = "";
      run(action);
    } else if (target.closest && target.closest("#filters")) {
      clear(); // another filter: another list
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "bulk-tag-form") return;
    event.preventDefault();
    var input = $("bulk-tag");
    var tag = input.value.trim();
    if (!tag) return;
    input.value = "";
    run({ tags_add: [tag] });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && (state.selected.size || state.matching !== null)) clear();
  });

  function start() {
    decorateAll();
    var list = $("conversation-list");
    if (!list) return;
    new MutationObserver(function (records) {
      var changed = records.some(function (record) {
        return Array.prototype.some.call(record.addedNodes, function (node) {
          return node.nodeType === 1 && (node.matches("li.row") || node.querySelector && node.querySelector("li.row"));
        });
      });
      if (changed) decorateAll();
    }).observe(list, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
