// Agent assist (templates/knowledge/_assist.html): a click on "Insert link" or "Insert
// excerpt" puts the article into the reply box at the cursor.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-assist-insert]") : null;
    if (!button) return;
    var text = document.getElementById("composer-text");
    if (!text) return;
    var insert = button.getAttribute("data-assist-insert");
    var start = text.selectionStart || text.value.length;
    var end = text.selectionEnd || start;
    var before = text.value.slice(0, start);
    var spacer = before && !/\s$/.test(before) ? " " : "";
    text.value = before + spacer + insert + text.value.slice(end);
    text.focus();
    var caret = (before + spacer + insert).length;
    text.setSelectionRange(caret, caret);
    text.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
