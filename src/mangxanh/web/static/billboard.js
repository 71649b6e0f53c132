// The e-billboard slideshow. It plays the messages of its screen's feed one after another, each for
// its seconds, starting and stopping each by its period and daily schedule on the display's own
// clock, so that it keeps going right with the last feed it loaded when the network is away: the
// feed is kept in localStorage, and a service worker keeps the page, this script and its style.
// The editors' preview uses fit() too (window.mangxanhBillboard).
(function () {
  "use strict";

  // Shrinks a slide's type until it fits its screen: a long title on a portrait display, say.
  function fit(slide) {
    var scale = 1;
    slide.style.setProperty("--fit", "1");
    while (scale > 0.55 && slide.scrollHeight > slide.clientHeight + 1) {
      scale -= 0.05;
      slide.style.setProperty("--fit", scale.toFixed(2));
    }
  }
  window.mangxanhBillboard = { fit: fit };

  var stage = document.querySelector("[data-billboard]");
  if (!stage) { return; }
  var slides = stage.querySelector(".slides");
  var idle = stage.querySelector("[data-idle]");
  var progress = stage.querySelector("[data-progress]");
  var offlineNotice = stage.querySelector("[data-offline]");
  var clock = stage.querySelector("[data-clock]");
  var STORE = "mangxanh-bang-tin:" + stage.dataset.screen;
  var VIETNAM_OFFSET = 420;
  var feed = null;        // the feed being played
  var waiting = null;     // a newer feed, played from the next slide on
  var shownId = null;     // the message on screen (null: a slide the server rendered, or the idle one)
  var timer = null;

  function offset() { return feed && typeof feed.utc_offset_minutes === "number" ? feed.utc_offset_minutes : VIETNAM_OFFSET; }
  function local(now) {
    var shifted = new Date(now.getTime() + offset() * 60000);
    return { day: shifted.getUTCDay() || 7, minutes: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
             hhmm: ("0" + shifted.getUTCHours()).slice(-2) + ":" + ("0" + shifted.getUTCMinutes()).slice(-2) };
  }
  function minutesOf(hhmm) { var p = String(hhmm).split(":"); return Number(p[0]) * 60 + Number(p[1]); }

  // The same rules as the server's schedule.py: [valid_from, valid_until), the days, the window
  // (overnight when it ends before it starts: the small hours belong to the evening before).
  function plays(message, now) {
    if (now < new Date(message.valid_from) || now >= new Date(message.valid_until)) { return false; }
    var schedule = message.schedule || {};
    var days = schedule.weekdays || [];
    var at = local(now);
    function dayOk(day) { return days.length === 0 || days.indexOf(day) >= 0; }
    if (!schedule.from || !schedule.until) { return dayOk(at.day); }
    var from = minutesOf(schedule.from), until = minutesOf(schedule.until);
    if (from < until) { return from <= at.minutes && at.minutes < until && dayOk(at.day); }
    if (at.minutes >= from) { return dayOk(at.day); }
    if (at.minutes < until) { return dayOk(at.day - 1 || 7); }
    return false;
  }

  function text(parent, selector, value) {
    var node = parent.querySelector(selector);
    node.textContent = value || "";
    node.hidden = !value;
  }
  // A slide built from the feed with textContent only: what editors wrote is never read as HTML.
  function slideFor(message) {
    var theme = String(message.theme).replace(/[^a-z]/g, "");
    var slide = document.createElement("section");
    slide.className = "slide theme-" + theme;
    ["kicker", "title", "body", "source"].forEach(function (part) {
      var node = document.createElement(part === "title" ? "h1" : "p");
      node.className = "slide-" + part;
      node.setAttribute("data-part", part);
      slide.appendChild(node);
    });
    text(slide, "[data-part=kicker]", stage.getAttribute("data-kicker-" + theme));
    text(slide, "[data-part=title]", message.title);
    text(slide, "[data-part=body]", message.body);
    text(slide, "[data-part=source]", message.source);
    slide.dataset.id = message.id;
    slide.dataset.seconds = message.seconds;
    slide.hidden = true;
    return slide;
  }
  function build(next) {
    feed = next;
    slides.querySelectorAll("[data-id]").forEach(function (node) { node.remove(); });
    feed.messages.forEach(function (message) { slides.insertBefore(slideFor(message), idle); });
    stage.dataset.feedVersion = feed.version;
  }

  function show(slide) {
    slides.querySelectorAll(".slide").forEach(function (node) { node.hidden = node !== slide; });
    fit(slide);
    shownId = slide.dataset.id || null;
    stage.dataset.showing = shownId || (slide === idle ? "idle" : "");
    var seconds = Math.max(5, Math.min(60, Number(slide.dataset.seconds) || 10));
    progress.classList.remove("run");
    void progress.offsetWidth;  // restarts the bar's animation
    progress.style.animationDuration = seconds + "s";
    progress.classList.add("run");
    clearTimeout(timer);
    timer = setTimeout(advance, seconds * 1000);
  }

  // The next message that plays now, after the one on screen, in the feed's order.
  function advance() {
    if (waiting) { build(waiting); waiting = null; }
    if (!feed) {  // no feed yet: the slides the server put in the page, in turn
      var served = Array.prototype.slice.call(slides.querySelectorAll(".slide"));
      var visible = served.filter(function (node) { return !node.hidden; })[0];
      var candidates = served.filter(function (node) { return node !== idle; });
      if (!candidates.length) { show(idle); return; }
      show(candidates[(candidates.indexOf(visible) + 1) % candidates.length]);
      return;
    }
    var now = new Date();
    var playing = feed.messages.filter(function (message) { return plays(message, now); });
    if (!playing.length) { show(idle); return; }
    var position = -1;
    feed.messages.forEach(function (message, index) { if (String(message.id) === shownId) { position = index; } });
    var after = playing.filter(function (message) { return feed.messages.indexOf(message) > position; });
    var next = (after.length ? after : playing)[0];
    show(slides.querySelector("[data-id='" + Number(next.id) + "']"));
  }

  function offline(yes) {
    offlineNotice.hidden = !yes;
    stage.dataset.network = yes ? "offline" : "online";
  }
  function keep(body) { try { localStorage.setItem(STORE, JSON.stringify(body)); } catch (e) { /* full or off */ } }
  function kept() {
    try { return JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { return null; }
  }
  function usable(body) { return body && Array.isArray(body.messages) && typeof body.version === "string"; }
  function receive(body, fromCache) {
    if (!usable(body)) { return; }
    if (!fromCache) { keep(body); }
    stage.dataset.feedFrom = fromCache ? "cache" : "network";
    if (feed && body.version === feed.version) { return; }
    // What is on screen finishes its time; the new set plays from the next slide.
    if (timer === null) { build(body); advance(); } else { waiting = body; }
  }
  function load() {
    var request = fetch(stage.dataset.feed, { cache: "no-cache", headers: { Accept: "application/json" } });
    return request.then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      // The service worker marks a feed it answered from its cache because the network failed.
      var fromCache = response.headers.get("X-Billboard-Cached") === "1";
      offline(fromCache);
      return response.json().then(function (body) { receive(body, fromCache); });
    }).catch(function () {
      offline(true);
      if (!feed) { receive(kept(), true); }
    });
  }
  function refreshLater() {
    var seconds = feed && feed.refresh_seconds > 0 ? feed.refresh_seconds : 60;
    setTimeout(function () { load().then(refreshLater); }, seconds * 1000);
  }
  function tick() { clock.textContent = local(new Date()).hhmm; }

  // Asks the service worker to keep this page and its feed; it answers once they are in its cache.
  function keepForOffline() {
    if (!("serviceWorker" in navigator) || !stage.dataset.worker) { return; }
    navigator.serviceWorker.register(stage.dataset.worker).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        if (event.data && event.data.kept) { stage.dataset.offlineReady = "yes"; }
      };
      registration.active.postMessage({ keep: [location.pathname, stage.dataset.feed] }, [channel.port2]);
    }).catch(function () { /* no worker: localStorage still keeps the feed */ });
  }

  var stored = kept();
  if (usable(stored) && !navigator.onLine) { offline(true); receive(stored, true); }
  var first = slides.querySelector(".slide:not([hidden])");
  if (!feed && first) { show(first); }
  window.addEventListener("online", function () { load(); });
  window.addEventListener("offline", function () { offline(true); });
  window.addEventListener("resize", function () {
    var visible = slides.querySelector(".slide:not([hidden])");
    if (visible) { fit(visible); }
  });
  tick();
  setInterval(tick, 15000);
  load().then(refreshLater);
  keepForOffline();
})();
