/*! Omnidesk live-chat widget. Plain JavaScript, no framework, no globals: it reads
 * window.OmnideskSettings = {user: {id, name, email, identifier_hash}, locale, position,
 * color} and draws into a shadow root. CSP-friendly: no eval, no inline script or style
 * attribute, no HTML parsing: every text from either side is set with textContent. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var src = new URL(script.src, location.href);
  var found = src.pathname.match(/^(.*)\/widget\/([A-Za-z0-9_-]+)\.js$/);
  if (!found) return;
  var KEY = found[2];
  var BASE = src.origin + found[1];
  var WS_BASE = BASE.replace(/^http/, "ws");
  var MARK = "data-omnidesk-widget";
  if (document.querySelector("[" + MARK + '="' + KEY + '"]')) return; // embedded twice

  var settings = window.OmnideskSettings || {};
  var user = settings.user && settings.user.id ? settings.user : null;
  var storePrefix = "omnidesk:" + KEY + ":";
  var scope = user ? "u:" + String(user.id) : "anon";

  // --- storage (localStorage may be unavailable: private mode, blocked cookies) -------------
  var memory = {};
  function load(name, fallback) {
    var raw;
    try {
      raw = window.localStorage.getItem(storePrefix + name);
    } catch (e) {
      raw = memory[name];
    }
    if (raw == null) return fallback;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function save(name, value) {
    var raw = JSON.stringify(value);
    memory[name] = raw;
    try {
      window.localStorage.setItem(storePrefix + name, raw);
    } catch (e) {
      /* memory only */
    }
  }

  // --- state -------------------------------------------------------------------------------
  var config = null;
  var T = {};
  var ws = null;
  var ready = false;
  var refused = false;
  var attempt = 0;
  var reconnectTimer = null;
  var pingTimer = null;
  var pongDue = null;
  var lastId = 0;
  var unread = 0;
  var isOpen = false;
  var conversationId = null;
  var token = user ? null : load("token", null);
  var profile = load("profile", {}) || {};
  var outbox = load("outbox:" + scope, []) || [];
  var byId = {};
  var byClientId = {};
  var typingTimer = null;
  var typingSentAt = 0;
  var typingIdle = null;

  function t(name, values) {
    var text = T[name] || name;
    if (values) {
      Object.keys(values).forEach(function (k) {
        text = text.split("{" + k + "}").join(String(values[k]));
      });
    }
    return text;
  }

  function newClientId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  // --- DOM helpers (elements and text nodes only) ----------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === false || value == null) return;
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }
  var SVG = "http://www.w3.org/2000/svg";
  function icon(path) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(SVG, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }
  var ICON_CHAT = "M4 4h16v12H7l-3 3V4zm3 5h10v2H7V9zm0-3h10v2H7V6z";
  var ICON_CLOSE = "M6 6l12 12M18 6L6 18";
  var ICON_SEND = "M3 20l18-8L3 4v6l12 2-12 2v6z";
  var ICON_CLIP = "M16 6v9a4 4 0 01-8 0V5a3 3 0 016 0v9a1 1 0 01-2 0V6h-2v8a3 3 0 006 0V5A5 5 0 006 5v10a6 6 0 0012 0V6h-2z";

  var CSS = [
    ":host{all:initial;--od-color:#2563eb;--od-fg:#111827;--od-muted:#6b7280;--od-bg:#fff;",
    "--od-soft:#f3f4f6;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--od-fg)}",
    "*{box-sizing:border-box}[hidden]{display:none!important}",
    ".root{position:fixed;bottom:20px;right:20px;z-index:2147483000}",
    ".root.left{right:auto;left:20px}",
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--od-color);color:#fff;",
    "cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;position:relative}",
    ".launcher svg{width:26px;height:26px;fill:currentColor}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible",
    "{outline:3px solid #f59e0b;outline-offset:2px}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;",
    "background:#dc2626;color:#fff;font-size:12px;font-weight:700;display:grid;place-items:center}",
    ".window{position:absolute;bottom:72px;right:0;width:370px;max-width:calc(100vw - 40px);height:560px;",
    "max-height:calc(100vh - 110px);background:var(--od-bg);border-radius:14px;overflow:hidden;",
    "box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;flex-direction:column}",
    ".left .window{right:auto;left:0}",
    "header{background:var(--od-color);color:#fff;padding:14px 48px 12px 16px;position:relative}",
    "h2{margin:0;font-size:16px;font-weight:650}",
    ".status{margin:2px 0 0;font-size:12.5px;opacity:.92}",
    ".close{position:absolute;top:10px;right:10px;width:32px;height:32px;border:0;border-radius:8px;",
    "background:transparent;color:#fff;cursor:pointer;display:grid;place-items:center}",
    ".close svg{width:18px;height:18px;stroke:currentColor;stroke-width:2.4;fill:none}",
    ".banner{background:#fef3c7;color:#92400e;padding:6px 12px;font-size:12.5px}",
    ".log{list-style:none;margin:0;padding:12px;overflow-y:auto;flex:1;display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:82%;display:flex;gap:8px;align-items:flex-end}",
    ".msg.visitor{align-self:flex-end;flex-direction:row-reverse}",
    ".bubble{padding:8px 11px;border-radius:14px;background:var(--od-soft);white-space:pre-wrap;",
    "overflow-wrap:anywhere}",
    ".visitor .bubble{background:var(--od-color);color:#fff}",
    ".meta{font-size:11px;color:var(--od-muted);margin-top:2px}",
    ".visitor .meta{text-align:right}",
    ".pending .bubble{opacity:.65}.failed .meta{color:#b91c1c}",
    ".avatar{flex:0 0 28px;height:28px;border-radius:50%;background:#374151;color:#fff;font-size:12px;",
    "font-weight:700;display:grid;place-items:center}",
    ".bubble a{color:inherit}",
    ".bubble .od-image{display:block;max-width:100%;max-height:220px;border-radius:8px}",
    ".typing{padding:0 14px 6px;font-size:12px;color:var(--od-muted);font-style:italic}",
    "form{margin:0}",
    ".panel{padding:12px 14px;border-top:1px solid #e5e7eb;display:grid;gap:8px}",
    ".panel p{margin:0}",
    "label.field{display:grid;gap:3px;font-size:12.5px;color:#374151}",
    "input,textarea{font:inherit;color:inherit;border:1px solid #d1d5db;border-radius:8px;padding:8px 10px;",
    "width:100%;background:#fff}",
    ".error{color:#b91c1c;font-size:12px}",
    ".primary{border:0;border-radius:8px;background:var(--od-color);color:#fff;padding:9px 12px;",
    "font:inherit;font-weight:600;cursor:pointer}",
    ".composer{display:flex;gap:6px;align-items:flex-end;padding:10px;border-top:1px solid #e5e7eb}",
    ".composer textarea{resize:none;max-height:120px;min-height:40px}",
    ".icon{width:40px;height:40px;flex:0 0 40px;border:0;border-radius:8px;background:var(--od-soft);",
    "color:#374151;cursor:pointer;display:grid;place-items:center}",
    ".icon svg{width:20px;height:20px;fill:currentColor}",
    ".send{background:var(--od-color);color:#fff}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".csat{align-self:stretch;max-width:none;display:grid;gap:8px;background:var(--od-soft);",
    "border-radius:12px;padding:10px}",
    ".csat p{margin:0}.scores{display:flex;gap:6px}",
    ".scores button{flex:1;height:36px;border:1px solid #d1d5db;border-radius:8px;background:#fff;",
    "font:inherit;font-weight:700;cursor:pointer}",
    ".scores button[aria-pressed=true]{background:var(--od-color);color:#fff;border-color:var(--od-color)}",
    "@media (max-width:480px){.root.open{inset:0}.root.open .launcher{display:none}",
    ".window{position:fixed;inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}}",
  ].join("");

  // --- the DOM ------------------------------------------------------------------------------
  var host = el("div", {});
  host.setAttribute(MARK, KEY);
  var shadow = host.attachShadow({ mode: "open" });
  var ui = {};

  function build() {
    if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS); // constructed sheets are not inline styles: CSP allows them
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(el("style", { text: CSS }));
    }
    var color = settings.color || config.color;
    if (/^#[0-9a-fA-F]{3,8}$/.test(color || "")) host.style.setProperty("--od-color", color);
    var position = settings.position || config.position;

    ui.badge = el("span", { className: "badge", hidden: true, "aria-hidden": "true" });
    ui.launcher = el(
      "button",
      {
        type: "button",
        className: "launcher",
        "aria-label": t("launcher_open"),
        "aria-expanded": "false",
        "aria-controls": "od-window",
      },
      [icon(ICON_CHAT), ui.badge]
    );
    ui.title = el("h2", { id: "od-title", text: config.title || t("title") });
    ui.status = el("p", { className: "status" });
    ui.close = el("button", { type: "button", className: "close", "aria-label": t("close") }, [
      icon(ICON_CLOSE),
    ]);
    ui.banner = el("div", { className: "banner", role: "status", hidden: true });
    ui.log = el("ol", {
      className: "log",
      role: "log",
      "aria-live": "polite",
      "aria-label": t("messages"),
      tabindex: "0",
    });
    ui.typing = el("div", { className: "typing", "aria-live": "polite", hidden: true });
    ui.prechat = buildPrechat();
    ui.offline = buildOffline();
    ui.composer = buildComposer();
    ui.help = buildHelpSearch();
    ui.window = el(
      "section",
      {
        id: "od-window",
        className: "window",
        role: "dialog",
        "aria-labelledby": "od-title",
        hidden: true,
      },
      [
        el("header", {}, [ui.title, ui.status, ui.close]),
        ui.banner,
        ui.help,
        ui.log,
        ui.typing,
        ui.offline,
        ui.prechat,
        ui.composer,
      ]
    );
    ui.root = el("div", { className: "root" + (position === "left" ? " left" : "") }, [
      ui.window,
      ui.launcher,
    ]);
    shadow.appendChild(ui.root);

    ui.launcher.addEventListener("click", function () {
      setOpen(!isOpen);
    });
    ui.close.addEventListener("click", function () {
      setOpen(false);
    });
    ui.window.addEventListener("keydown", function (event) {
      if (event.key === "Escape") setOpen(false);
    });
    (document.body || document.documentElement).appendChild(host);
  }

  function field(label, input) {
    return el("label", { className: "field" }, [el("span", { text: label }), input]);
  }

  function buildPrechat() {
    var pc = config.pre_chat;
    ui.pcName = el("input", { type: "text", name: "name", autocomplete: "name", maxlength: "200" });
    ui.pcEmail = el("input", { type: "email", name: "email", autocomplete: "email", maxlength: "320" });
    ui.pcQuestion = el("textarea", { name: "question", rows: "3", maxlength: String(config.max_message_chars) });
    ui.pcError = el("p", { className: "error", role: "alert" });
    var form = el("form", { className: "panel prechat", "aria-label": t("prechat_intro"), hidden: true, novalidate: true }, [
      el("p", { text: t("prechat_intro") }),
      field(t("name"), ui.pcName),
      field(t("email"), ui.pcEmail),
      pc.ask_question ? field(t("question"), ui.pcQuestion) : null,
      ui.pcError,
      el("button", { type: "submit", className: "primary", text: t("start") }),
    ]);
    if (pc.require_name) ui.pcName.required = true;
    if (pc.require_email) ui.pcEmail.required = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = ui.pcName.value.trim();
      var email = ui.pcEmail.value.trim();
      var question = ui.pcQuestion.value.trim();
      ui.pcError.textContent = "";
      if ((pc.require_name && !name) || (pc.require_email && !email) || (pc.ask_question && !question)) {
        ui.pcError.textContent = t("required");
        return;
      }
      if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        ui.pcError.textContent = t("invalid_email");
        return;
      }
      profile = { name: name, email: email, done: true };
      save("profile", profile);
      if (ready) sendFrame({ type: "contact", name: name, email: email });
      if (question) queueMessage(question);
      showPanels();
      ui.input.focus();
    });
    return form;
  }

  function buildOffline() {
    ui.offEmail = el("input", { type: "email", name: "email", autocomplete: "email", maxlength: "320" });
    ui.offText = el("p", { text: t("offline") });
    ui.offError = el("p", { className: "error", role: "alert" });
    ui.offSave = el("button", { type: "submit", className: "primary", text: t("save") });
    var form = el("form", { className: "panel offline", hidden: true, novalidate: true }, [
      ui.offText,
      field(t("email"), ui.offEmail),
      ui.offError,
      ui.offSave,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var email = ui.offEmail.value.trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        ui.offError.textContent = t("invalid_email");
        return;
      }
      ui.offError.textContent = "";
      profile.email = email;
      save("profile", profile);
      if (ready) sendFrame({ type: "contact", name: profile.name || "", email: email });
      showPanels();
    });
    return form;
  }

  // "Search help" before a chat starts: the help center's own search (knowledge/views.py
  // help_search_json), results open the article in a new tab.
  function buildHelpSearch() {
    var input = el("input", { type: "search", name: "q", maxlength: "500", "aria-label": t("search_help") });
    var results = el("ul", { className: "help-results", "aria-live": "polite" });
    var form = el("form", { className: "panel help-search", role: "search", hidden: true }, [
      field(t("search_help"), input),
      results,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = input.value.trim();
      if (!q) return;
      var lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2);
      fetch(BASE + "/help/search.json?locale=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(q))
        .then(function (response) {
          // Too many searches from this address (knowledge's rate limit): say so, rather
          // than "no article found".
          if (response.status === 429) return { rate_limited: true };
          return response.json();
        })
        .then(function (data) {
          results.textContent = "";
          if (data.rate_limited) {
            results.appendChild(el("li", { className: "help-limited", text: t("search_rate_limited") }));
            return;
          }
          (data.results || []).slice(0, 3).forEach(function (hit) {
            var link = el("a", { href: hit.url, target: "_blank", rel: "noopener", text: hit.title });
            results.appendChild(el("li", {}, [link]));
          });
          if (!results.childNodes.length) results.appendChild(el("li", { text: t("no_article") }));
        })
        .catch(function () {});
    });
    return form;
  }

  function buildComposer() {
    ui.input = el("textarea", {
      id: "od-input",
      rows: "1",
      placeholder: t("placeholder"),
      maxlength: String(config.max_message_chars),
      "aria-label": t("placeholder"),
    });
    ui.file = el("input", {
      type: "file",
      className: "sr",
      tabindex: "-1",
      "aria-hidden": "true",
      accept: config.upload.types.join(","),
    });
    ui.attach = el("button", { type: "button", className: "icon", "aria-label": t("attach"), title: t("attach") }, [
      icon(ICON_CLIP),
    ]);
    ui.send = el("button", { type: "submit", className: "icon send", "aria-label": t("send"), title: t("send") }, [
      icon(ICON_SEND),
    ]);
    var form = el("form", { className: "composer" }, [ui.input, ui.file, ui.attach, ui.send]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (!text.trim()) return;
      if (text.length > config.max_message_chars) {
        showBanner(t("too_long"));
        return;
      }
      ui.input.value = "";
      queueMessage(text);
      sendTyping(false);
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
      }
    });
    ui.input.addEventListener("input", function () {
      sendTyping(true);
    });
    ui.attach.addEventListener("click", function () {
      ui.file.click();
    });
    ui.file.addEventListener("change", function () {
      var file = ui.file.files && ui.file.files[0];
      ui.file.value = "";
      if (file) upload(file);
    });
    return form;
  }

  // --- panels, open/close, badge --------------------------------------------------------------
  function hasHistory() {
    return ui.log.childNodes.length > 0;
  }

  function showPanels() {
    var needPrechat = config.pre_chat.enabled && !user && !profile.done && !hasHistory() && !refused;
    var offline = !config.availability.online && !refused;
    ui.prechat.hidden = !needPrechat;
    ui.help.hidden = hasHistory() || refused;
    ui.composer.hidden = needPrechat || refused;
    ui.offline.hidden = !offline || needPrechat || !!profile.email || !!(user && user.email);
    if (offline && profile.email && !needPrechat) {
      ui.status.textContent = t("offline_email_saved", { email: profile.email });
    } else if (!offline) {
      ui.status.textContent = config.availability.reply_time
        ? t(config.availability.reply_time)
        : t("online");
    } else {
      ui.status.textContent = "";
    }
  }

  function setOpen(open) {
    isOpen = open;
    ui.window.hidden = !open;
    ui.root.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      unread = 0;
      renderBadge();
      scrollDown();
      var target = !ui.prechat.hidden ? ui.pcName : !ui.offline.hidden ? ui.offEmail : ui.input;
      setTimeout(function () {
        target.focus();
      }, 0);
    } else {
      ui.launcher.focus();
    }
    ui.launcher.setAttribute("aria-label", open ? t("launcher_close") : t("launcher_open"));
  }

  function renderBadge() {
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 9 ? "9+" : String(unread);
    var label = isOpen ? t("launcher_close") : t("launcher_open");
    if (unread) label += ", " + t("unread", { n: unread });
    ui.launcher.setAttribute("aria-label", label);
  }

  function showBanner(text) {
    ui.banner.textContent = text || "";
    ui.banner.hidden = !text;
  }

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // --- messages -----------------------------------------------------------------------------
  function initials(name) {
    var parts = String(name || "?").trim().split(/\s+/);
    return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
  }

  function timeLabel(iso) {
    var date = iso ? new Date(iso) : new Date();
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function bubbleFor(message) {
    var visitor = message.from === "visitor";
    var bubble = el("div", { className: "bubble" });
    if (message.text) bubble.appendChild(document.createTextNode(message.text));
    (message.attachments || []).forEach(function (file) {
      if (message.text || bubble.childNodes.length) bubble.appendChild(el("br"));
      var label = "\uD83D\uDCCE " + file.name;
      // An agent's picture shows inline (raster formats only; the server never serves an
      // SVG as an image), with its download link under it.
      if (file.url && /^image\/(png|jpeg|gif|webp)$/.test(file.type || "")) {
        bubble.appendChild(el("a", { href: BASE + file.url, target: "_blank", rel: "noopener noreferrer" }, [
          el("img", { src: BASE + file.url, alt: file.name, className: "od-image", loading: "lazy" }),
        ]));
        bubble.appendChild(el("br"));
      }
      bubble.appendChild(
        file.url
          ? el("a", { href: BASE + file.url, target: "_blank", rel: "noopener noreferrer", text: label, download: file.name })
          : el("span", { text: label })
      );
    });
    var meta = el("div", {
      className: "meta",
      text: (visitor ? t("you") : message.author || t("agent")) + " \u00b7 " + timeLabel(message.at),
    });
    var body = el("div", {}, [bubble, meta]);
    var item = el("li", { className: "msg " + (visitor ? "visitor" : "agent") }, [
      visitor ? null : el("span", { className: "avatar", "aria-hidden": "true", text: initials(message.author || t("agent")) }),
      body,
    ]);
    item._meta = meta;
    item._label = meta.textContent;
    return item;
  }

  function csatCard(message) {
    var info = message.csat;
    var item = el("li", { className: "msg csat", "aria-label": t("csat_question") });
    if (info.answered) {
      item.appendChild(el("p", { text: t("csat_thanks") }));
      return item;
    }
    var score = 0;
    var buttons = [];
    var group = el("div", { className: "scores", role: "group", "aria-label": t("csat_question") });
    for (var n = 1; n <= 5; n++) {
      (function (value) {
        var button = el("button", {
          type: "button",
          "aria-pressed": "false",
          "aria-label": t("csat_score", { n: value }),
          text: String(value),
        });
        button.addEventListener("click", function () {
          score = value;
          buttons.forEach(function (b, i) {
            b.setAttribute("aria-pressed", String(i + 1 === value));
          });
        });
        buttons.push(button);
        group.appendChild(button);
      })(n);
    }
    var comment = el("textarea", { rows: "2", maxlength: "2000", "aria-label": t("csat_comment"), placeholder: t("csat_comment") });
    var error = el("p", { className: "error", role: "alert" });
    var submit = el("button", { type: "submit", className: "primary", text: t("csat_submit") });
    var form = el("form", {}, [group, comment, error, submit]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!score) {
        error.textContent = t("required");
        return;
      }
      item._csatConversation = info.conversation_id;
      sendFrame({ type: "csat", conversation_id: info.conversation_id, score: score, comment: comment.value });
    });
    item.appendChild(el("p", { text: t("csat_question") }));
    item.appendChild(form);
    item._csat = info.conversation_id;
    return item;
  }

  function addMessage(message, silent) {
    if (message.id && byId[message.id]) return;
    var existing = message.client_id && byClientId[message.client_id];
    if (existing) {
      // Our own message, stored: the pending bubble becomes the stored one.
      markSent(message.client_id);
      if (message.id) dropFromOutbox(message.client_id);
      existing.dataset.id = String(message.id);
      if (message.id) byId[message.id] = existing;
      lastId = Math.max(lastId, message.id || 0);
      return;
    }
    var item = message.csat ? csatCard(message) : bubbleFor(message);
    if (message.id) {
      item.dataset.id = String(message.id);
      byId[message.id] = item;
      lastId = Math.max(lastId, message.id);
    }
    if (message.client_id) byClientId[message.client_id] = item;
    if (message.conversation_id) conversationId = message.conversation_id;
    ui.log.appendChild(item);
    if (message.from === "agent") {
      ui.typing.hidden = true;
      if (!silent && (!isOpen || document.hidden)) {
        unread += 1;
        renderBadge();
      }
    }
    if (message.client_id && message.id) dropFromOutbox(message.client_id); // stored
    scrollDown();
  }

  function markSent(clientId) {
    var item = byClientId[clientId];
    if (!item) return;
    item.classList.remove("pending", "failed");
    item._meta.textContent = item._label;
  }

  function markState(clientId, state, text) {
    var item = byClientId[clientId];
    if (!item) return;
    item.classList.remove("pending", "failed");
    item.classList.add(state);
    item._meta.textContent = item._label + " \u00b7 " + text;
  }

  // --- the outbox: nothing typed is lost ------------------------------------------------------
  function persistOutbox() {
    save("outbox:" + scope, outbox);
  }

  function dropFromOutbox(clientId) {
    var before = outbox.length;
    outbox = outbox.filter(function (item) {
      return item.client_id !== clientId;
    });
    if (outbox.length !== before) persistOutbox();
  }

  function queueMessage(text) {
    var entry = { client_id: newClientId(), text: text, at: new Date().toISOString() };
    outbox.push(entry);
    persistOutbox();
    addMessage({ client_id: entry.client_id, from: "visitor", text: text, at: entry.at }, true);
    ui.help.hidden = true; // the chat has started: "Search help" makes room for it
    markState(entry.client_id, "pending", t("sending"));
    if (ready) sendFrame({ type: "message", client_id: entry.client_id, text: text });
  }

  function flushOutbox() {
    outbox.forEach(function (entry) {
      if (!byClientId[entry.client_id]) {
        addMessage({ client_id: entry.client_id, from: "visitor", text: entry.text, at: entry.at }, true);
        markState(entry.client_id, "pending", t("sending"));
      }
      sendFrame({ type: "message", client_id: entry.client_id, text: entry.text });
    });
  }

  // --- the connection -----------------------------------------------------------------------
  function sendFrame(frame) {
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function sendTyping(active) {
    var now = Date.now();
    clearTimeout(typingIdle);
    if (active) {
      if (now - typingSentAt > 2500) {
        typingSentAt = now;
        sendFrame({ type: "typing", active: true });
      }
      typingIdle = setTimeout(function () {
        sendTyping(false);
      }, 4000);
    } else if (typingSentAt) {
      typingSentAt = 0;
      sendFrame({ type: "typing", active: false });
    }
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (refused || (ws && ws.readyState <= 1)) return;
    if (navigator.onLine === false) return; // the "online" event reconnects
    ready = false;
    var socket = new WebSocket(WS_BASE + config.websocket_path);
    ws = socket;
    socket.onopen = function () {
      var hello = { type: "hello", after: lastId || null, locale: config.locale };
      if (user) hello.user = user;
      else hello.token = token;
      if (profile.name) hello.name = profile.name;
      if (profile.email) hello.email = profile.email;
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handle(frame);
    };
    socket.onclose = function () {
      if (ws !== socket) return;
      ready = false;
      clearInterval(pingTimer);
      clearTimeout(pongDue);
      if (refused) return;
      showBanner(t("connection_lost"));
      outbox.forEach(function (entry) {
        markState(entry.client_id, "pending", t("failed"));
      });
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... up to 30 s.
      var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      reconnectTimer = setTimeout(connect, delay);
    };
  }

  function dropConnection() {
    if (ws && ws.readyState <= 1) ws.close();
  }

  function handle(frame) {
    switch (frame.type) {
      case "welcome":
        ready = true;
        attempt = 0;
        showBanner("");
        if (!user && frame.token) {
          token = frame.token;
          save("token", token);
        }
        config.availability = frame.availability || config.availability;
        var initial = lastId === 0; // a first load's history is not "unread"
        (frame.messages || []).forEach(function (m) {
          addMessage(m, initial);
        });
        if (frame.conversation && frame.conversation.id) conversationId = frame.conversation.id;
        showPanels();
        flushOutbox();
        clearInterval(pingTimer);
        pingTimer = setInterval(ping, 25000);
        break;
      case "ack":
        dropFromOutbox(frame.client_id);
        markSent(frame.client_id);
        break;
      case "message":
        addMessage(frame.message, false);
        break;
      case "messages":
        (frame.messages || []).forEach(function (m) {
          addMessage(m, false);
        });
        break;
      case "typing":
        clearTimeout(typingTimer);
        ui.typing.hidden = !frame.active;
        ui.typing.textContent = t("typing", { name: frame.name || t("someone") });
        typingTimer = setTimeout(function () {
          ui.typing.hidden = true;
        }, 6000);
        break;
      case "contact_saved":
        showPanels();
        break;
      case "csat_saved":
        Array.prototype.forEach.call(ui.log.querySelectorAll(".csat"), function (card) {
          if (card._csatConversation === frame.conversation_id || card._csat === frame.conversation_id) {
            while (card.firstChild) card.removeChild(card.firstChild);
            card.appendChild(el("p", { text: t("csat_thanks") }));
          }
        });
        break;
      case "pong":
        clearTimeout(pongDue);
        break;
      case "error":
        onError(frame);
        break;
    }
  }

  function onError(frame) {
    if (frame.code === "identity_refused") {
      refused = true;
      showBanner(t("identity_refused"));
      showPanels();
      return;
    }
    if (frame.client_id) {
      if (frame.code === "rate_limited") {
        markState(frame.client_id, "pending", t("rate_limited"));
        setTimeout(function () {
          var entry = outbox.filter(function (e) {
            return e.client_id === frame.client_id;
          })[0];
          if (entry) sendFrame({ type: "message", client_id: entry.client_id, text: entry.text });
        }, 5000);
      } else {
        dropFromOutbox(frame.client_id);
        markState(frame.client_id, "failed", frame.code === "too_long" ? t("too_long") : frame.message);
      }
      return;
    }
    if (frame.code === "rate_limited") showBanner(t("rate_limited"));
  }

  function ping() {
    if (!sendFrame({ type: "ping" })) return;
    clearTimeout(pongDue);
    // A half-open connection (sleeping laptop, dead proxy) never errors: give up on it.
    pongDue = setTimeout(dropConnection, 10000);
  }

  // --- uploads over HTTP ---------------------------------------------------------------------
  function upload(file) {
    var clientId = newClientId();
    addMessage({ client_id: clientId, from: "visitor", text: "", attachments: [{ name: file.name }] }, true);
    if (file.size > config.upload.max_bytes) {
      markState(clientId, "failed", t("upload_failed", { reason: t("file_too_big") }));
      return;
    }
    markState(clientId, "pending", t("sending"));
    var body = new FormData();
    body.append("file", file);
    body.append("client_id", clientId);
    if (user) body.append("user", JSON.stringify(user));
    else body.append("token", token || "");
    fetch(BASE + "/widget/" + KEY + "/upload", { method: "POST", body: body, mode: "cors", credentials: "omit" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) {
            markSent(clientId);
            return;
          }
          var code = data.error && data.error.fields && data.error.fields.code && data.error.fields.code[0];
          var reason = code === "file_type" ? t("file_type") : code === "file_too_big" ? t("file_too_big") : (data.error && data.error.message) || response.status;
          markState(clientId, "failed", t("upload_failed", { reason: reason }));
        });
      })
      .catch(function () {
        markState(clientId, "failed", t("upload_failed", { reason: t("connection_lost") }));
      });
  }

  // --- start -----------------------------------------------------------------------------------
  function start() {
    var locale = settings.locale || navigator.language || "en";
    fetch(BASE + "/widget/" + KEY + "/config?locale=" + encodeURIComponent(locale), {
      mode: "cors",
      credentials: "omit",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("widget config " + response.status);
        return response.json();
      })
      .then(function (data) {
        config = data;
        T = data.strings || {};
        build();
        showPanels();
        connect();
        window.addEventListener("offline", function () {
          showBanner(t("connection_lost"));
          dropConnection();
        });
        window.addEventListener("online", function () {
          attempt = 0;
          connect();
        });
        document.addEventListener("visibilitychange", function () {
          if (!document.hidden) connect();
        });
      })
      .catch(function (error) {
        if (window.console) console.warn("Omnidesk widget disabled:", error.message);
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
