// Keyboard work on the case queue: j / k move, o opens, a takes the case, d opens its decision form.
// Without this script the queue works the same with links and buttons; keys never fire while typing.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr[data-case]"));
  if (!rows.length) { return; }
  var current = -1;

  function select(index) {
    if (index < 0 || index >= rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("current"); rows[current].removeAttribute("aria-current"); }
    current = index;
    rows[current].classList.add("current");
    rows[current].setAttribute("aria-current", "true");
    rows[current].querySelector("a").focus();
  }

  function caseId() { return current >= 0 ? rows[current].getAttribute("data-case") : null; }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target.closest("input, textarea, select, [contenteditable]")) { return; }
    var id = caseId();
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "o": if (id) { window.location.href = "/cases/" + id; } break;
      case "d": if (id) { window.location.href = "/cases/" + id + "#decide"; } break;
      case "a":
        if (id) {
          var form = document.getElementById("claim-form");
          form.action = form.getAttribute("data-action").replace("{id}", id);
          form.submit();
        }
        break;
      default: return;
    }
    event.preventDefault();
  });

  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () { if (current !== index) { select(index); } });
  });
})();
