/* resque-web graphs, drawn with the vendored uPlot (static/vendor/uplot): the overview's
 * realtime chart (processed and failed per live poll, from the counters each poll brings
 * in the summary's data-processed / data-failed) and the history page's charts (from
 * /api/v1/history). No inline script or style in markup: uPlot styles its nodes from script
 * (CSSOM), which the CSP's style-src 'self' allows. Null values are drawn as gaps. */
(function () {
  "use strict";

  if (typeof window.uPlot !== "function") { return; }
  var uPlot = window.uPlot;
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed",
                "#0891b2", "#db2777", "#65a30d", "#9333ea", "#475569"];
  var HEIGHT = 220;
  var REALTIME_POINTS = 120;  // about ten minutes at a 5 s poll

  function widthOf(box) { return Math.max(240, box.clientWidth || 480); }

  function options(box, labels, colors) {
    var series = [{}];
    labels.forEach(function (label, i) {
      series.push({ label: label, stroke: colors[i % colors.length], width: 1.5, spanGaps: false });
    });
    return {
      width: widthOf(box),
      height: HEIGHT,
      scales: { x: { time: true } },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      axes: [{}, { size: 60 }],
      series: series
    };
  }

  var plots = [];

  function draw(box, labels, data, colors) {
    box.replaceChildren();
    var plot = new uPlot(options(box, labels, colors || COLORS), data, box);
    plots.push({ plot: plot, box: box });
    box.setAttribute("data-points", String(data[0].length));
    return plot;
  }

  window.addEventListener("resize", function () {
    plots.forEach(function (p) {
      if (p.box.isConnected) { p.plot.setSize({ width: widthOf(p.box), height: HEIGHT }); }
    });
  });

  // Realtime: the points live in this page; each poll's swap brings fresh counters.
  var realtime = { last: null, times: [], processed: [], failed: [], plot: null };

  function counters() {
    var dl = document.querySelector("#content dl.summary[data-processed]");
    if (!dl) { return null; }
    var p = parseInt(dl.getAttribute("data-processed"), 10);
    var f = parseInt(dl.getAttribute("data-failed"), 10);
    return isNaN(p) || isNaN(f) ? null : { processed: p, failed: f };
  }

  function delta(now, before) { return now >= before ? now - before : null; }  // a reset: gap

  function setText(name, value) {
    var cell = document.querySelector('[data-realtime="' + name + '"]');
    if (cell) { cell.textContent = value === null ? "\u2014" : value.toLocaleString(); }
  }

  function updateRealtime() {
    var box = document.querySelector('[data-chart="realtime"]');
    if (!box) { return; }
    var now = counters();
    if (now && realtime.last) {
      realtime.times.push(Date.now() / 1000);
      realtime.processed.push(delta(now.processed, realtime.last.processed));
      realtime.failed.push(delta(now.failed, realtime.last.failed));
      if (realtime.times.length > REALTIME_POINTS) {
        realtime.times.shift(); realtime.processed.shift(); realtime.failed.shift();
      }
    }
    if (now) { realtime.last = now; }
    var data = [realtime.times.slice(), realtime.processed.slice(), realtime.failed.slice()];
    if (!realtime.plot) {
      realtime.plot = draw(box, ["processed", "failed"], data, ["#16a34a", "#dc2626"]);
    } else {
      // The poll replaced the section: move the chart into the new one and add the point.
      if (realtime.plot.root.parentNode !== box) { box.replaceChildren(realtime.plot.root); }
      realtime.plot.setData(data);
      plots.forEach(function (p) { if (p.plot === realtime.plot) { p.box = box; } });
    }
    box.setAttribute("data-points", String(data[0].length));
    var n = data[0].length;
    setText("processed", n ? data[1][n - 1] : null);
    setText("failed", n ? data[2][n - 1] : null);
    setText("points", n);
  }

  // History: three charts from the JSON the page names.
  function drawHistory(root, json) {
    var t = json.time;
    var charts = {
      rates: [["processed", "failed"], [t, json.processed, json.failed], ["#16a34a", "#dc2626"]],
      pending: [["pending"], [t, json.pending], ["#2563eb"]],
      queues: [json.queues.map(function (q) { return q.name; }),
               [t].concat(json.queues.map(function (q) { return q.sizes; })), COLORS]
    };
    Object.keys(charts).forEach(function (name) {
      var box = root.querySelector('[data-chart="' + name + '"]');
      if (box) { draw(box, charts[name][0], charts[name][1], charts[name][2]); }
    });
    root.setAttribute("data-drawn", "1");
  }

  function loadHistory() {
    var root = document.querySelector("[data-history-url]");
    if (!root) { return; }
    window.fetch(root.getAttribute("data-history-url"), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("history: HTTP " + response.status); }
      return response.json();
    }).then(function (json) {
      drawHistory(root, json);
    }).catch(function (err) {
      root.setAttribute("data-error", String(err));
    });
  }

  updateRealtime();
  loadHistory();
  document.addEventListener("resque-web:updated", updateRealtime);
}());
