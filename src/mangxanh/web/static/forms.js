// The browser's own validation bubbles speak the browser's language ("Please fill out this field.");
// the console's say it in the user's language, with the messages the page carries on <body>.
(function () {
  "use strict";
  var messages = document.body.dataset;

  function explain(field) {
    var v = field.validity;
    if (v.valueMissing) { return messages.invalidMissing; }
    if (v.typeMismatch || v.patternMismatch || v.badInput) { return messages.invalidFormat; }
    if (v.rangeUnderflow || v.rangeOverflow || v.stepMismatch) { return messages.invalidRange; }
    if (v.tooLong || v.tooShort) { return messages.invalidLength; }
    return "";
  }

  document.addEventListener("invalid", function (event) {
    var field = event.target;
    field.setCustomValidity("");
    if (!field.validity.valid) { field.setCustomValidity(explain(field) || ""); }
  }, true);
  ["input", "change"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      if (event.target.setCustomValidity) { event.target.setCustomValidity(""); }
    }, true);
  });
})();
