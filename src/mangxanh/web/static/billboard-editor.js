// The billboard editor's live preview: each keystroke redraws the message at both orientations,
// with the display's own layout (billboard.css) and fitting (billboard.js), and counts the text.
(function () {
  "use strict";
  var form = document.querySelector("[data-billboard-form]");
  var preview = document.querySelector("[data-billboard-preview]");
  if (!form || !preview) { return; }
  var kickers = document.querySelector("[data-kickers]");
  var counter = form.querySelector("[data-count-for=body]");
  var fit = (window.mangxanhBillboard || {}).fit || function () {};
  var placeholders = {};
  preview.querySelectorAll(".slide").forEach(function (slide) {
    ["title", "body"].forEach(function (part) {
      placeholders[part] = placeholders[part] || slide.querySelector("[data-part=" + part + "]").textContent;
    });
  });

  function value(name) {
    var field = form.querySelector("[name=" + name + "]:checked") || form.querySelector("[name=" + name + "]:not([type=radio])");
    return field ? field.value : "";
  }
  function redraw() {
    var theme = (value("theme") || "green").replace(/[^a-z]/g, "");
    var body = value("body");
    preview.querySelectorAll(".slide").forEach(function (slide) {
      slide.className = "slide theme-" + theme;
      slide.querySelector("[data-part=kicker]").textContent = kickers ? kickers.getAttribute("data-kicker-" + theme) || "" : "";
      slide.querySelector("[data-part=title]").textContent = value("title").trim() || placeholders.title;
      slide.querySelector("[data-part=body]").textContent = body.trim() || placeholders.body;
      var source = slide.querySelector("[data-part=source]");
      source.textContent = value("source").trim();
      source.hidden = !source.textContent;
      fit(slide);
    });
    if (counter) {
      // Counted as the server counts: letters composed (NFC), so "ệ" is one character however typed.
      var length = Array.from(body.normalize("NFC").trim()).length;
      counter.textContent = length + "/" + counter.dataset.limit;
      counter.classList.toggle("over", length > Number(counter.dataset.limit));
    }
  }
  form.addEventListener("input", redraw);
  form.addEventListener("change", redraw);
  window.addEventListener("resize", redraw);
  redraw();
})();
