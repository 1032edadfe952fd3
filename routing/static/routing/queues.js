/* Supervisor queue view: re-fetch the queue fragment when the inbox socket reports a
 * change (conversations, presence and status, SLA). Coalesced to one refresh per second. */
(function () {
  "use strict";
  var REFRESH_MS = 1000;
  var RELEVANT = /^(conversation\.|agent\.presence|agent\.status|routing\.|sla\.)/;
  var container = document.getElementById("queues");
  var live = document.getElementById("queues-live");
  if (!container) return;
  var timer = null;
  var lastRefresh = 0;
  var retry = 1000;

  function setLive(state, text) {
    if (!live) return;
    live.setAttribute("data-state", state);
    live.textContent = text;
  }

  function refresh() {
    timer = null;
    lastRefresh = Date.now();
    fetch(container.getAttribute("data-fragment-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) container.innerHTML = html; });
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(refresh, Math.max(0, REFRESH_MS - (Date.now() - lastRefresh)));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(scheme + "//" + window.location.host + "/ws/inbox/");
    socket.onopen = function () { retry = 1000; setLive("live", "Live"); schedule(); };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event && typeof event.type === "string" && RELEVANT.test(event.type)) schedule();
    };
    socket.onclose = function () {
      setLive("offline", "Reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();
