/* Poll the job's status JSON (<prefix>/api/v1/statuses/<uuid>) until it is done. */
(function () {
  "use strict";
  var job = document.getElementById("job");
  var url = job.getAttribute("data-status-url");
  var FINISHED = { completed: true, failed: true, killed: true };

  function show(status) {
    var pct = Math.max(0, Math.min(100, status.pct_complete || 0));
    document.getElementById("progress").value = pct;
    document.getElementById("progress").textContent = pct + "%";
    document.getElementById("percent").textContent = pct + "%";
    document.getElementById("state").textContent = status.status || "unknown";
    document.getElementById("message").textContent = status.message || "";
    if (status.status === "completed" && status.url) {
      var link = document.getElementById("result-link");
      link.href = status.url;
      link.textContent = status.url;
      document.getElementById("result").hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status) { show(status); }
        if (!status || !FINISHED[status.status]) { window.setTimeout(poll, 300); }
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }

  poll();
}());
