/* Files in a reply: pick them, drop them on the composer or paste an image; each shows as
 * a chip (name, size, remove). The chosen channel's limits (data-attachment-limits on its
 * <option>, from channels_app/attachment_limits.py) are shown and checked before sending;
 * the server checks them again. The files travel in the form's own <input name="files">,
 * so HTMX sends them with the reply (hx-encoding="multipart/form-data").
 * When the server answers with the composer again without sending (a refused reply, a
 * reply held because others wrote meanwhile) the chosen files stay chosen: they are put
 * back into the new form's input. A sent reply or another conversation starts empty. */
(function () {
  "use strict";

  var state = { input: null, files: [], conversation: null };
  // The /jsi18n/ catalogue (django.views.i18n.JavaScriptCatalog), loaded before this file.
  var t = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (token) { return values[token.slice(2, -2)]; });
  };

  function $(id) { return document.getElementById(id); }

  function size(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "") + " MB";
    }
    return Math.max(Math.floor(bytes / 1024), 1) + " KB";
  }

  function currentFiles() {
    var input = $("composer-files");
    if (!input) return [];
    if (state.input !== input) {
      var composer = $("composer");
      var conversation = composer ? composer.getAttribute("data-conversation-id") : null;
      var sent = composer ? composer.getAttribute("data-sent") === "1" : true;
      if (sent || conversation !== state.conversation) state.files = [];
      state.input = input;
      state.conversation = conversation;
    }
    return state.files;
  }

  function limits() {
    var select = $("reply-endpoint");
    var option = select && select.options[select.selectedIndex];
    var raw = option && option.getAttribute("data-attachment-limits");
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (error) { return null; }
  }

  function typeOf(file) {
    var type = (file.type || "").toLowerCase();
    return type === "image/jpg" ? "image/jpeg" : type;
  }

  function ruleFor(rules, type) {
    var family = type.split("/")[0] + "/*";
    for (var i = 0; i < rules.length; i++) {
      if (rules[i].types.indexOf(type) !== -1 || rules[i].types.indexOf(family) !== -1) return rules[i];
    }
    return null;
  }

  /* The same checks as check_files() on the server, one line per problem. */
  function problems(files) {
    if (!files.length) return [];
    var composer = $("composer");
    var mode = composer && composer.querySelector("input[name=mode]:checked");
    if (mode && mode.value === "note") return [t("Files go with replies, not private notes.")];
    var template = $("reply-template");
    if (template && template.value) return [t("A template goes without files: send them separately.")];
    var channel = limits();
    if (!channel) return [t("No channel can carry these files.")];
    if (!channel.carries_files) return [channel.reason];
    var found = [];
    if (files.length > channel.max_files) {
      found.push(interpolate(t("%(channel)s takes at most %(count)s files per reply."), { channel: channel.channel, count: channel.max_files }, true));
    }
    var total = 0;
    files.forEach(function (file) {
      total += file.size;
      if (!file.size) { found.push(interpolate(t("%(name)s is empty."), { name: file.name }, true)); return; }
      var largest = channel.max_file_bytes;
      if (channel.rules.length) {
        var type = typeOf(file);
        var rule = ruleFor(channel.rules, type);
        if (!rule) { found.push(interpolate(t("%(channel)s cannot carry %(name)s (%(type)s)."), { channel: channel.channel, name: file.name, type: type || t("unknown type") }, true)); return; }
        largest = rule.max_bytes;
      }
      if (file.size > largest) {
        found.push(interpolate(t("%(name)s is %(size)s: %(channel)s takes files of this type up to %(limit)s."), { name: file.name, size: size(file.size), channel: channel.channel, limit: size(largest) }, true));
      }
    });
    if (total > channel.max_total_bytes) {
      found.push(interpolate(t("The files are %(size)s in all: %(channel)s takes at most %(limit)s per reply."), { size: size(total), channel: channel.channel, limit: size(channel.max_total_bytes) }, true));
    }
    return found;
  }

  function render() {
    var input = $("composer-files");
    if (!input) return;
    var files = currentFiles();
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;

    var chips = $("attachment-chips");
    chips.textContent = "";
    files.forEach(function (file, index) {
      var chip = document.createElement("li");
      chip.className = "attachment-chip";
      var name = document.createElement("span");
      name.className = "chip-name";
      name.textContent = file.name;
      var bytes = document.createElement("span");
      bytes.className = "muted";
      bytes.textContent = size(file.size);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.setAttribute("data-index", String(index));
      remove.setAttribute("aria-label", interpolate(t("Remove %(name)s"), { name: file.name }, true));
      remove.textContent = "×";
      chip.appendChild(name);
      chip.appendChild(document.createTextNode(" "));
      chip.appendChild(bytes);
      chip.appendChild(remove);
      chips.appendChild(chip);
    });

    var channel = limits();
    var hint = $("attachment-limits");
    if (hint) hint.textContent = channel ? channel.summary : "";
    var found = problems(files);
    var errors = $("attachment-errors");
    errors.textContent = found.join(" ");
    errors.hidden = found.length === 0;
    var send = $("send-button");
    if (send) send.disabled = found.length > 0;
  }

  function addFiles(list) {
    var files = currentFiles();
    Array.prototype.forEach.call(list, function (file) { files.push(file); });
    render();
  }

  function pastedName(file, index) {
    if (file.name && file.name !== "image.png") return file;
    var extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    var stamp = new Date().toISOString().replace(/[:.]/g, "-");
    return new File([file], "pasted-image-" + stamp + (index ? "-" + index : "") + "." + extension, { type: file.type });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.id === "attach-button") {
      var input = $("composer-files");
      if (input) input.click();
    } else if (target.classList.contains("chip-remove")) {
      var files = currentFiles();
      files.splice(Number(target.getAttribute("data-index")), 1);
      render();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.id === "composer-files") {
      // The picker replaces the input's list: keep what was chosen before.
      var picked = Array.prototype.slice.call(target.files);
      currentFiles().push.apply(currentFiles(), picked);
      render();
    } else if (target.id === "reply-endpoint" || target.id === "reply-template" || target.matches("#composer input[name=mode]")) {
      render();
    }
  });

  document.addEventListener("paste", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || !target.closest("#composer")) return;
    var files = event.clipboardData ? Array.prototype.slice.call(event.clipboardData.files) : [];
    if (!files.length) return;
    event.preventDefault();
    addFiles(files.map(pastedName));
  });

  function dragHasFiles(event) {
    var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
    return types.indexOf("Files") !== -1;
  }

  document.addEventListener("dragover", function (event) {
    var composer = event.target instanceof Element && event.target.closest("#composer");
    if (!composer || !dragHasFiles(event)) return;
    event.preventDefault();
    composer.classList.add("dragging-files");
    var hint = $("drop-hint");
    if (hint) hint.hidden = false;
  });

  function endDrag() {
    var composer = $("composer");
    if (composer) composer.classList.remove("dragging-files");
    var hint = $("drop-hint");
    if (hint) hint.hidden = true;
  }

  document.addEventListener("dragleave", function (event) {
    if (event.target instanceof Element && event.target.id === "composer") endDrag();
  });

  document.addEventListener("drop", function (event) {
    var composer = event.target instanceof Element && event.target.closest("#composer");
    if (!composer || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    endDrag();
    addFiles(event.dataTransfer.files);
  });

  // The r and n shortcuts switch reply and note without a change event.
  document.addEventListener("keyup", function (event) {
    if ((event.key === "n" || event.key === "r") && currentFiles().length) render();
  });

  // A re-rendered composer: empty after sending or for another conversation, else with
  // the files still chosen (currentFiles).
  document.addEventListener("htmx:afterSettle", function () {
    if ($("composer-files") && state.input !== $("composer-files")) render();
  });
  document.addEventListener("DOMContentLoaded", render);
})();
