// The e-billboards' service worker, served at /bang-tin/sw.js so that its scope is /bang-tin/.
// Network first for the slideshow page, its script and style and its feed, each kept in the cache
// as it arrives; when the network fails (or hangs) the last copy is played. A feed answered from
// the cache says so (X-Billboard-Cached), and the slideshow shows that it is offline.
"use strict";

var CACHE = "mangxanh-bang-tin-v1";
var ASSETS = ["/static/billboard.css", "/static/billboard.js"];
// A display on a flaky network waits this long for the server before playing what it kept.
var PATIENCE_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("mangxanh-bang-tin-") === 0 && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(url) {
  return url.origin === self.location.origin && (url.pathname.indexOf("/bang-tin/") === 0 ||
    ASSETS.indexOf(url.pathname) >= 0 || /^\/api\/v1\/billboards\/[a-z0-9-]+\/feed$/.test(url.pathname));
}

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) { return cache.match(request, { ignoreSearch: true }); })
    .then(function (cached) {
      if (!cached) { return undefined; }
      var headers = new Headers(cached.headers);
      headers.set("X-Billboard-Cached", "1");
      return cached.blob().then(function (body) {
        return new Response(body, { status: cached.status, statusText: cached.statusText, headers: headers });
      });
    });
}

function networkFirst(request) {
  var network = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  });
  network.catch(function () { /* answered from the cache below */ });
  var patience = new Promise(function (resolve) { setTimeout(resolve, PATIENCE_MS); });
  return Promise.race([network, patience.then(function () { return fromCache(request); })]).then(function (first) {
    return first || network;
  }).catch(function () {
    return fromCache(request).then(function (cached) { return cached || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !kept(new URL(request.url))) { return; }
  event.respondWith(networkFirst(request));
});

// The page asks for its own address and its feed to be kept, and hears back once they are.
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.keep) || [];
  var wanted = urls.filter(function (url) { return kept(new URL(url, self.location.origin)); });
  var port = event.ports && event.ports[0];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS.concat(wanted));
  }).then(function () {
    if (port) { port.postMessage({ kept: true }); }
  }, function () {
    if (port) { port.postMessage({ kept: false }); }
  }));
});
