// The subject access workbench: select words in an item, then "Withhold the words you selected" copies them into
// that item's form, opens it and moves to the reason. Without JavaScript the words are pasted into the form by hand.
(function () {
  "use strict";
  // A redaction sent back with an error: show it where the reviewer was working, not at the top of a long page.
  var failed = document.querySelector("[data-failed]");
  if (failed) {
    failed.scrollIntoView({ block: "start" });
    var summary = failed.querySelector(".error-summary, [role=alert]");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus({ preventScroll: true });
    }
  }
  document.querySelectorAll("[data-redact-item]").forEach(function (item) {
    var button = item.querySelector("[data-withhold-selection]");
    var details = item.querySelector("details[data-redact-form]");
    if (!button || !details) {
      return;
    }
    var passage = details.querySelector("textarea[name=passage]");
    var reason = details.querySelector("select[name=reason]");
    var hint = item.querySelector("[data-selection-hint]");
    button.classList.remove("d-none");
    button.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the selection while the button is pressed
    });
    button.addEventListener("click", function () {
      var selection = window.getSelection();
      var text = selection ? selection.toString().trim() : "";
      var inside = selection && selection.rangeCount && item.contains(selection.getRangeAt(0).commonAncestorContainer);
      if (!text || !inside) {
        if (hint) {
          hint.textContent = "First select the words to withhold in this item's text, then press the button.";
        }
        return;
      }
      if (hint) {
        hint.textContent = "";
      }
      passage.value = text;
      details.open = true;
      reason.focus();
    });
  });
})();
