// Taking a contest round: each answer saved as it is given, the clock from the server, a lost
// connection said and survived. Without this script the page still works: each answer is a form.
(function () {
  "use strict";
  var root = document.querySelector("[data-attempt]");
  if (!root) { return; }
  var key = root.getAttribute("data-attempt");
  var api = "/api/v1/thi/bai/" + encodeURIComponent(key);
  var form = root.querySelector("[data-answer-form]");
  var clock = root.querySelector("[data-clock]");
  var banner = root.querySelector("[data-connection]");
  var letters = "ABCD";
  var pendingKey = "mx-thi-" + key;
  var endsAt = null;
  var sending = false;
  var finished = false;

  function say(text, isError) {
    banner.textContent = text;
    banner.hidden = !text;
    banner.classList.toggle("error", !!isError);
  }

  function goToResult(state) {
    finished = true;
    localStorage.removeItem(pendingKey);
    window.location.assign(state && state.result_url ? state.result_url : "/thi/bai/" + key + "/ket-qua");
  }

  function show(state) {
    endsAt = Date.now() + state.remaining_ms;
    if (state.state !== "in_progress" || !state.question) { goToResult(state); return; }
    form.elements.position.value = state.position;
    form.elements.question_id.value = state.question.id;
    var label = root.getAttribute("data-question-label")
      .replace("{n}", state.position + 1).replace("{total}", state.total);
    root.querySelector("[data-progress]").textContent = label;
    root.querySelector("[data-question]").textContent = state.question.text;
    var box = root.querySelector("[data-choices]");
    box.textContent = "";
    state.question.choices.forEach(function (text, i) {
      var p = document.createElement("p");
      p.className = "choice";
      var input = document.createElement("input");
      input.type = "radio"; input.name = "choice"; input.id = "choice-" + i; input.value = letters[i];
      var lab = document.createElement("label");
      lab.htmlFor = input.id;
      var strong = document.createElement("strong");
      strong.textContent = letters[i] + ".";
      lab.appendChild(strong);
      lab.appendChild(document.createTextNode(" " + text));
      p.appendChild(input); p.appendChild(lab); box.appendChild(p);
    });
    document.title = label;
  }

  function request(method, url, body) {
    return fetch(url, {method: method, headers: body ? {"Content-Type": "application/json"} : {},
                       body: body ? JSON.stringify(body) : undefined, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; });
      });
  }

  function sendPending() {
    var saved = localStorage.getItem(pendingKey);
    if (!saved || sending || finished) { return; }
    sending = true;
    request("POST", api + "/tra-loi", JSON.parse(saved)).then(function (answer) {
      sending = false;
      localStorage.removeItem(pendingKey);
      if (answer.status === 200) { say(""); show(answer.data); return; }
      say(answer.data.detail, true);
      if (answer.data.attempt) { show(answer.data.attempt); }
    }, function () {
      sending = false;
      say(root.getAttribute("data-offline"), true);
      window.setTimeout(sendPending, 2000);
    });
  }

  function refresh() {
    return request("GET", api).then(function (answer) {
      if (answer.status === 200) { show(answer.data); }
    }, function () { say(root.getAttribute("data-offline"), true); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var submitter = event.submitter;
    if (submitter && submitter.hasAttribute("data-submit")) {
      if (!window.confirm(root.getAttribute("data-confirm"))) { return; }
      request("POST", api + "/nop").then(function (answer) {
        goToResult(answer.data.attempt || answer.data);
      }, function () { say(root.getAttribute("data-offline"), true); });
      return;
    }
    var picked = form.querySelector("input[name=choice]:checked");
    var body = {position: parseInt(form.elements.position.value, 10),
                question_id: parseInt(form.elements.question_id.value, 10),
                choice: picked ? letters.indexOf(picked.value) : -1};
    // Kept until the server has it: a reload or a lost connection does not lose the answer.
    localStorage.setItem(pendingKey, JSON.stringify(body));
    sendPending();
  });

  window.addEventListener("online", function () {
    say(root.getAttribute("data-back"), false);
    sendPending();
    refresh();
  });
  window.addEventListener("offline", function () { say(root.getAttribute("data-offline"), true); });

  window.setInterval(function () {
    if (endsAt === null || finished) { return; }
    var left = Math.max(0, endsAt - Date.now());
    var seconds = Math.ceil(left / 1000);
    clock.textContent = Math.floor(seconds / 60) + ":" + ("0" + (seconds % 60)).slice(-2);
    if (left === 0) {
      finished = true;
      say(root.getAttribute("data-timeup"), false);
      // The server hands the attempt in at its deadline; this asks where it stands, until it can.
      var ask = function () {
        request("GET", api).then(function (answer) {
          if (answer.data.state === "in_progress") { window.setTimeout(ask, 1000); } else { goToResult(answer.data); }
        }, function () { window.setTimeout(ask, 2000); });
      };
      window.setTimeout(ask, 500);
    }
  }, 250);

  sendPending();
  refresh();
}());
