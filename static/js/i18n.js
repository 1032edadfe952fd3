/* Omnidesk: times in the agent's own time zone and language.
 *
 * Rows and timeline items are rendered once for every agent who sees them (the live
 * inbox), so the server writes each time as <time datetime="ISO">; this script shows it
 * in the agent's zone (their preference, else the desk's: the dialog's data-time-zone)
 * and language (<html lang>), here and in whatever arrives later.
 *
 * For the same reason the words of those shared fragments (templates/conversations/
 * _row.html, _timeline_item.html) are written in English and marked: data-i18n (the
 * text), data-i18n-title, data-i18n-label (aria-label) and data-i18n-confirm
 * (hx-confirm) name the msgid this script looks up in the /jsi18n/ catalogue. */
(function () {
  "use strict";

  var formatters = {};
  function zone() {
    var form = document.getElementById("preferences-form");
    return (form && form.getAttribute("data-time-zone")) || undefined;
  }
  function locale() { return document.documentElement.lang || undefined; }
  function formatter(kind) {
    var key = kind + "|" + zone() + "|" + locale();
    if (!formatters[key]) {
      var options = kind === "full"
        ? { dateStyle: "full", timeStyle: "long", timeZone: zone() }
        : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone() };
      try {
        formatters[key] = new Intl.DateTimeFormat(locale(), options);
      } catch (e) { // an unknown zone: the browser's own
        delete options.timeZone;
        formatters[key] = new Intl.DateTimeFormat(locale(), options);
      }
    }
    return formatters[key];
  }

  function localize(root) {
    if (!root || !root.querySelectorAll) return;
    var times = root.matches && root.matches("time[datetime]") ? [root] : [];
    times = times.concat(Array.prototype.slice.call(root.querySelectorAll("time[datetime]")));
    times.forEach(function (element) {
      var iso = element.getAttribute("datetime");
      if (!iso || element.getAttribute("data-localized") === iso) return;
      var at = new Date(iso);
      if (isNaN(at.getTime())) return;
      element.textContent = formatter("short").format(at);
      element.title = formatter("full").format(at);
      element.setAttribute("data-localized", iso);
    });
  }

  var t = window.gettext || function (text) { return text; };
  var MARKED = { "data-i18n-title": "title", "data-i18n-label": "aria-label", "data-i18n-confirm": "hx-confirm" };
  function translate(root) {
    if (!root || !root.querySelectorAll) return;
    var selector = "[data-i18n], [data-i18n-title], [data-i18n-label], [data-i18n-confirm]";
    var marked = root.matches && root.matches(selector) ? [root] : [];
    marked = marked.concat(Array.prototype.slice.call(root.querySelectorAll(selector)));
    marked.forEach(function (element) {
      var text = element.getAttribute("data-i18n");
      if (text) element.textContent = t(text);
      Object.keys(MARKED).forEach(function (marker) {
        var msgid = element.getAttribute(marker);
        if (msgid) element.setAttribute(MARKED[marker], t(msgid));
      });
    });
  }

  window.omnideskLocalizeTimes = localize;
  window.omnideskTranslate = translate;
  function start() {
    localize(document.body);
    translate(document.body);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        Array.prototype.forEach.call(record.addedNodes, function (node) {
          if (node.nodeType === 1) { localize(node); translate(node); }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
