// The import progress page (admin): polls the batch status until it is finished, then reloads.
// A file, not an inline script: the Content-Security-Policy allows scripts from the site only.
(function () {
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") { return; }
  function set(id, value) { var node = document.getElementById(id); if (node) { node.textContent = value; } }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (response) { return response.json(); }).then(function (data) {
      set("import-rows-read", data.rows_read);
      set("import-accepted", data.accepted);
      set("import-refused", data.refused);
      set("import-warnings", data.warnings);
      set("import-time-left", data.time_left);
      set("import-status", data.status_label);
      if (data.percent !== null) { document.getElementById("import-bar").style.width = data.percent + "%"; }
      if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
    }).catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
