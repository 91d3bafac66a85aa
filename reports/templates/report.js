"use strict";
(function () {
  var table = document.getElementById("all-findings");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var controls = {
    severity: document.getElementById("filter-severity"),
    practice: document.getElementById("filter-practice"),
    repo: document.getElementById("filter-repo"),
    text: document.getElementById("filter-text")
  };
  var counter = document.getElementById("filter-count");

  function applyFilters() {
    var severity = controls.severity.value;
    var practice = controls.practice.value;
    var repo = controls.repo.value;
    var text = controls.text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!severity || row.dataset.severity === severity) &&
        (!practice || row.dataset.practice === practice) &&
        (!repo || row.dataset.repo === repo) &&
        (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
      row.classList.toggle("hidden", !ok);
      if (ok) { shown += 1; }
    });
    counter.textContent = shown + " of " + rows.length + " findings shown";
  }

  Object.keys(controls).forEach(function (name) {
    controls[name].addEventListener("input", applyFilters);
    controls[name].addEventListener("change", applyFilters);
  });

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, index) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.dataset.type === "number";
      rows.sort(function (a, b) {
        var x = a.cells[index].dataset.sort || a.cells[index].textContent;
        var y = b.cells[index].dataset.sort || b.cells[index].textContent;
        var result = numeric ? (Number(x) - Number(y)) : x.localeCompare(y);
        return ascending ? result : -result;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  applyFilters();
})();
