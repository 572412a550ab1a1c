/* resque-web: live polling, catching up with counts, confirmations and auto-submitting filters.
 * No inline script anywhere (the CSP forbids it); settings come from data- attributes. */
(function () {
  "use strict";

  var STORAGE_KEY = "resque-web:live-poll";
  var seconds = parseFloat(document.body.getAttribute("data-poll-interval") || "0");
  var toggle = document.getElementById("live-poll");
  var status = document.getElementById("poll-status");
  var timer = null;
  var inFlight = false;

  function remember(on) {
    try { window.localStorage.setItem(STORAGE_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  function remembered() {
    try { return window.localStorage.getItem(STORAGE_KEY) === "1"; } catch (e) { return false; }
  }

  function say(text) {
    if (status) { status.textContent = text; }
  }

  // A page that says it is still counting (<... data-counting>), or shows something still
  // under way (<... data-live>: a running job's status), refreshes itself until it is not,
  // live polling on or off.
  var CATCH_UP_MS = 1500;

  function counting() {
    return !!document.querySelector("#content [data-counting], #content [data-live]");
  }

  function polling() {
    return (toggle && toggle.checked && seconds > 0) || counting();
  }

  // The next poll starts only once the last one finished: a setTimeout chain, never setInterval.
  function schedule() {
    window.clearTimeout(timer);
    timer = null;
    if (polling() && !document.hidden && !inFlight) {
      timer = window.setTimeout(poll, counting() ? CATCH_UP_MS : seconds * 1000);
    }
  }

  // Someone typing in a form inside the content would lose it on a swap: wait. So would
  // someone who ticked rows, or a page running a bulk operation.
  function userIsEditing() {
    if (document.querySelector("#content input.select-row:checked, #content [data-bulk-op]")) {
      return true;
    }
    var active = document.activeElement;
    return !!(active && active.closest && active.closest("#content") &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
  }

  function swap(fresh) {
    var content = document.getElementById("content");
    var open = [];
    content.querySelectorAll("details").forEach(function (el, i) { if (el.open) { open.push(i); } });
    var nodes = Array.prototype.map.call(fresh.childNodes, function (n) {
      return document.importNode(n, true);
    });
    content.replaceChildren.apply(content, nodes);
    var details = content.querySelectorAll("details");
    open.forEach(function (i) { if (details[i]) { details[i].open = true; } });
    document.dispatchEvent(new CustomEvent("resque-web:updated"));
  }

  function poll() {
    timer = null;
    if (!polling() || document.hidden) { return; }
    if (userIsEditing()) { schedule(); return; }
    inFlight = true;
    var ok = false;
    window.fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "resque-web-poll", "Accept": "text/html" }
    }).then(function (response) {
      ok = response.ok;
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("content");
      if (fresh) { swap(fresh); }
      if (doc.title) { document.title = doc.title; }
      var now = new Date();
      if (toggle && toggle.checked) {
        say(ok ? "updated " + now.toLocaleTimeString() : "error at " + now.toLocaleTimeString());
      }
    }).catch(function () {
      say("unreachable, retrying");
    }).then(function () {
      inFlight = false;
      schedule();
    });
  }

  if (toggle) {
    toggle.checked = remembered();
    toggle.addEventListener("change", function () {
      remember(toggle.checked);
      say(toggle.checked ? "on" : "");
      if (!toggle.checked) {
        window.clearTimeout(timer);
        timer = null;
      } else if (!inFlight) {
        poll();
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        window.clearTimeout(timer);
        timer = null;
      } else if (polling() && !inFlight) {
        poll();
      }
    });
    schedule();
  } else {
    schedule();
  }

  // Destructive actions ask first: <form data-confirm="Delete ...?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Filter menus apply on change: <form data-autosubmit>.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.form;
    if (form && form.hasAttribute("data-autosubmit") && field.tagName === "SELECT") {
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });
}());
