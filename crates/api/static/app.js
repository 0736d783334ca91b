// dualcheck pages: the few things a page cannot do without a script. Every page works
// without it (forms submit, lists page, progress shows on reload).
"use strict";
(function () {
  // The session ends after its idle time: say so two minutes before, with the time.
  var idle = parseInt(document.body.getAttribute("data-idle-secs") || "0", 10);
  if (idle > 0) {
    var ends = new Date(Date.now() + idle * 1000);
    var warnAt = Math.max(0, (idle - 120) * 1000);
    setTimeout(function () {
      var box = document.getElementById("session-warning");
      if (!box) return;
      box.textContent = "Your session ends at " + ends.toISOString().slice(11, 16) +
        " UTC if you stay idle. Reload the page or carry on to keep it; unsaved form input is lost when it ends.";
      box.hidden = false;
    }, warnAt);
  }

  // Upload: drag and drop onto the zone, and a progress bar while the file is sent.
  var form = document.getElementById("upload-form");
  if (form) {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("file");
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
    });
    form.addEventListener("submit", function (e) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      e.preventDefault();
      var line = document.getElementById("upload-progress-line");
      var bar = document.getElementById("upload-progress");
      var status = document.getElementById("upload-status");
      line.hidden = false;
      document.getElementById("upload-button").disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Dualcheck-Upload", "1");
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) {
          var pct = Math.round(ev.loaded * 100 / ev.total);
          bar.value = pct;
          status.textContent = pct + " % sent";
        }
      });
      xhr.upload.addEventListener("load", function () {
        status.textContent = "sent; reading the document…";
      });
      xhr.addEventListener("load", function () {
        var to = "/documents";
        try { to = JSON.parse(xhr.responseText).location || to; } catch (err) { /* an error page */ }
        window.location.assign(to);
      });
      xhr.addEventListener("error", function () {
        status.textContent = "the upload failed: check the connection and try again";
        document.getElementById("upload-button").disabled = false;
      });
      xhr.send(new FormData(form));
      status.textContent = "sending…";
    });
  }

  // Analyses: live progress, then the page again when one finishes.
  var live = document.querySelectorAll("[data-progress-url]");
  Array.prototype.forEach.call(live, function (el) {
    var url = el.getAttribute("data-progress-url");
    var job = el.getAttribute("data-job");
    var bar = document.getElementById("job-progress-" + job);
    var text = document.getElementById("job-text-" + job);
    var state = document.getElementById("job-state-" + job);
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) { setTimeout(poll, 3000); return; }
          state.textContent = p.state;
          if (p.total) { bar.max = p.total; bar.value = p.done; }
          text.textContent = p.done + " of " + (p.total === null ? "?" : p.total) + " sentences";
          if (p["final"]) { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    poll();
  });

  // Review: j/k move between suggestions, a/e/r open the signed form of the current one.
  var cards = document.querySelectorAll("[data-suggestion]");
  if (cards.length) {
    var current = -1;
    function focusCard(i) {
      if (i < 0 || i >= cards.length) return;
      current = i;
      cards[i].focus();
      cards[i].scrollIntoView({ block: "start" });
    }
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) {
        if (e.key === "Escape") { var d = t.closest("details"); if (d) { d.open = false; cards[current] && cards[current].focus(); } }
        return;
      }
      if (e.key === "j") { focusCard(current + 1); e.preventDefault(); }
      else if (e.key === "k") { focusCard(current - 1); e.preventDefault(); }
      else if (e.key === "a" || e.key === "e" || e.key === "r") {
        if (current < 0) focusCard(0);
        var panel = cards[current] && cards[current].querySelector('details[data-key="' + e.key + '"]');
        if (panel) {
          panel.open = true;
          var first = panel.querySelector("input:not([type=hidden]), select, textarea");
          if (first) first.focus();
          e.preventDefault();
        }
      }
    });
    Array.prototype.forEach.call(cards, function (c, i) {
      c.addEventListener("focusin", function () { current = i; });
    });
  }
})();
