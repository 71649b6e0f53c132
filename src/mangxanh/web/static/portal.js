// The citizens' portal, improved where JavaScript runs (every form works without it):
// quick exit, each answer saved as it is given, answers kept on this device through a lost
// connection, the child-abuse path without screenshots, printing the code.
(function () {
  "use strict";
  var STORE = "mangxanh-report-draft";

  document.querySelectorAll("[data-quick-exit]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      try { localStorage.removeItem(STORE); } catch (e) { /* storage may be off */ }
      // replace(): the portal leaves no entry in this tab's history to come Back to.
      window.location.replace(link.href);
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.shiftKey) {
      var exit = document.querySelector("[data-quick-exit]");
      if (exit) { window.location.replace(exit.href); }
    }
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  if (document.querySelector("[data-sent-code]")) {
    try { localStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
  }

  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var state = form.querySelector("[data-autosave-state]");
  var codeField = form.querySelector("[data-report-code]");
  var shots = form.querySelector("[data-screenshots]");
  var fields = ["links", "choice", "platform", "description", "email", "phone"];
  var pending = null;
  var sending = false;

  function say(text) { if (state) { state.textContent = text; } }
  function answers() {
    var data = {};
    fields.forEach(function (name) {
      var checked = form.querySelector("[name=" + name + "]:checked");
      var field = checked || form.querySelector("[name=" + name + "]:not([type=radio])");
      data[name] = field ? field.value : "";
    });
    data.code = codeField.value;
    return data;
  }
  function keep() { try { localStorage.setItem(STORE, JSON.stringify(answers())); } catch (e) { /* full or off */ } }
  function restore() {
    var kept;
    try { kept = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { kept = null; }
    if (!kept) { return; }
    if (!codeField.value && kept.code) { codeField.value = kept.code; }
    fields.forEach(function (name) {
      var value = kept[name];
      if (!value) { return; }
      if (name === "choice") {
        var radio = form.querySelector("[name=choice][value='" + String(value).replace(/[^a-z_]/g, "") + "']");
        if (radio && !form.querySelector("[name=choice]:checked")) { radio.checked = true; }
      } else {
        var field = form.querySelector("[name=" + name + "]");
        if (field && !field.value) { field.value = value; }
      }
    });
  }
  function childPath() {
    var child = form.querySelector("[data-child-choice]");
    if (shots && child) { shots.hidden = child.checked; }
  }
  function save() {
    pending = null;
    if (sending) { return; }
    var body = new FormData();
    var data = answers();
    Object.keys(data).forEach(function (key) { body.append(key, data[key]); });
    body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    fetch(form.getAttribute("data-autosave"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      })
      .then(function (answer) {
        if (answer.ok && answer.json.code) {
          codeField.value = answer.json.code;
          keep();
          say(form.getAttribute("data-saved-text"));
        } else if (answer.json && answer.json.detail) {
          say(answer.json.detail);
        }
      })
      .catch(function () { say(form.getAttribute("data-offline-text")); });
  }
  function changed() {
    keep();
    childPath();
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(save, 800);
  }
  restore();
  childPath();
  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) { if (event.target.tagName === "TEXTAREA" || event.target.type !== "file") { keep(); } });
  form.addEventListener("submit", function () { sending = true; });
  window.addEventListener("online", function () { if (codeField.value || answers().links) { save(); } });
})();

// "Think before you post": copy the kinder wording (the textarea stays selectable without JS).
(function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      field.select();
      if (navigator.clipboard) { navigator.clipboard.writeText(field.value).catch(function () {}); }
      else { document.execCommand("copy"); }
    });
  });
})();
