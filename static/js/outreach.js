// Outreach in the inbox: once a reply is scheduled ("Send later"), the composer is
// emptied so the same text is not also sent now. The server says so with the
// `outreach:scheduled` event (an HX-Trigger header).
(function () {
  "use strict";
  document.addEventListener("outreach:scheduled", function () {
    var text = document.getElementById("composer-text");
    if (text) {
      text.value = "";
      text.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var when = document.getElementById("send-later-at");
    if (when) when.value = "";
    var details = when && when.closest("details");
    if (details) details.open = false;
  });
})();
