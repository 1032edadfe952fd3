/* The composer's macro picker (templates/macros/): choosing a macro shows its preview
 * (the reply and note as they would be sent, unknown variables flagged); "Run macro" is
 * enabled once a preview is shown. After a run the conversation pane is reloaded, so the
 * reply, the note, the tags and the status show at once. */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function syncRunButton() {
    var select = $("macro-select");
    var button = $("run-macro");
    if (!select || !button) return;
    var preview = $("macro-preview");
    var shown = preview && preview.querySelector(".macro-steps");
    button.disabled = !select.value || !shown;
  }

  document.addEventListener("change", function (event) {
    if (event.target instanceof Element && event.target.id === "macro-select") {
      var result = $("macro-result");
      if (result) result.textContent = "";
      syncRunButton();
    }
  });

  document.addEventListener("htmx:afterSettle", syncRunButton);

  document.addEventListener("omnidesk:macro-ran", function (event) {
    var id = event.detail && event.detail.conversation;
    if (!id || !window.htmx) return;
    window.htmx.ajax("GET", "/inbox/c/" + encodeURIComponent(id) + "/", { target: "#conversation-pane" });
  });
})();
