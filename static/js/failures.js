/* resque-web failure triage: checkbox selection (shift-click ranges, select all on the page)
 * and the bulk-operation page, which runs its operation step by step and draws progress.
 * Everything is found through data- attributes and classes; no inline script (CSP). */
(function () {
  "use strict";

  // Selection ---------------------------------------------------------------------------
  var lastClicked = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#content input.select-row"));
  }

  function refresh() {
    var boxes = rows();
    var count = boxes.filter(function (b) { return b.checked; }).length;
    var label = document.querySelector("#content .selected-count");
    if (label) { label.textContent = count + " selected"; }
    document.querySelectorAll("#content [data-needs-selection]").forEach(function (button) {
      button.disabled = count === 0;
    });
    var all = document.querySelector("#content input.select-all");
    if (all) {
      all.checked = count > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
    }
  }

  document.addEventListener("click", function (event) {
    var box = event.target;
    if (!box.classList) { return; }
    if (box.classList.contains("select-row")) {
      var boxes = rows();
      if (event.shiftKey && lastClicked && boxes.indexOf(lastClicked) !== -1) {
        var a = boxes.indexOf(lastClicked);
        var b = boxes.indexOf(box);
        var low = Math.min(a, b);
        var high = Math.max(a, b);
        for (var i = low; i <= high; i++) { boxes[i].checked = box.checked; }
      }
      lastClicked = box;
      refresh();
    } else if (box.classList.contains("select-all")) {
      rows().forEach(function (b) { b.checked = box.checked; });
      lastClicked = null;
      refresh();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-selection")) { return; }
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm-selection");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("resque-web:updated", function () { lastClicked = null; refresh(); });

  // Bulk operation ------------------------------------------------------------------------
  var FINAL = { done: true, cancelled: true, interrupted: true };

  function number(n) { return Number(n).toLocaleString("en-US"); }

  function draw(op) {
    var root = document.querySelector("#content [data-bulk-op]");
    if (!root) { return; }
    root.setAttribute("data-status", op.status);
    var bar = root.querySelector(".bulk-progress");
    if (bar) { bar.value = Math.round(op.progress * 1000); bar.textContent = Math.round(op.progress * 100) + "%"; }
    var set = function (selector, text) {
      var el = root.querySelector(selector);
      if (el) { el.textContent = text; }
    };
    set(".op-status", op.status);
    set(".op-done", number(op.done));
    set(".op-scanned", number(op.scanned));
    set(".op-message", op.message || "");
    if (FINAL[op.status]) {
      var controls = root.querySelector(".op-controls");
      if (controls) { controls.remove(); }
    }
  }

  function run(url) {
    window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (op) {
      draw(op);
      if (!FINAL[op.status]) { window.setTimeout(function () { run(url); }, 50); }
    }).catch(function (error) {
      var root = document.querySelector("#content [data-bulk-op] .op-message");
      if (root) { root.textContent = "Paused: " + error.message + ". Press Continue to go on."; }
    });
  }

  var op = document.querySelector("#content [data-bulk-op]");
  if (op && op.getAttribute("data-run") === "1" && !FINAL[op.getAttribute("data-status")]) {
    run(op.getAttribute("data-step-url"));
  }

  // A filter form sends only the fields that are set, so bookmarked URLs stay short.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("filters")) { return; }
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.value === "" && !field.disabled) { field.disabled = true; }
    });
  });
}());
