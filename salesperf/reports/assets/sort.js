// Click-to-sort for the report's data tables. The page reads fine without it: each table
// comes pre-sorted, with its order said above it. With it, every column header becomes a
// button; a click sorts the rows shown on that column by each cell's exact value
// (`data-value`), a second click reverses the order. Empty values stay last.
(function () {
  "use strict";

  function cellKey(row, index, numeric) {
    var raw = row.cells[index] ? row.cells[index].getAttribute("data-value") : null;
    if (raw === null || raw === "") return null;
    if (!numeric) return raw.toLowerCase();
    var number = Number(raw);
    return isNaN(number) ? null : number;
  }

  function sortRows(table, index, numeric, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {  // a stable sort: ties keep their order
      var x = cellKey(a, index, numeric);
      var y = cellKey(b, index, numeric);
      if (x === null || y === null) return (x === null) - (y === null);
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function describe(wrapper, label, numeric, descending) {
    var note = wrapper.querySelector(".sort-note");
    if (!note) return;
    var direction = numeric ? (descending ? "largest first" : "smallest first")
                            : (descending ? "descending" : "ascending");
    var shown = wrapper.getAttribute("data-rows-shown");
    var total = wrapper.getAttribute("data-rows-total");
    var part = shown !== total ? "; the first " + shown + " of " + total + " rows, sorted among themselves" : "";
    note.textContent = "Sorted by " + label + ", " + direction + part + ". Click a column to sort on it.";
  }

  function enhance(wrapper) {
    var table = wrapper.querySelector("table");
    if (!table || !table.tHead || !table.tBodies.length) return;
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (header, index) {
      var label = header.textContent;
      var numeric = header.classList.contains("num");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = label;
      button.title = "Sort by " + label;
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", function () {
        var current = header.getAttribute("aria-sort");
        // the first click puts the largest numbers (or A) first; the next click reverses
        var descending = current ? current === "ascending" : numeric;
        sortRows(table, index, numeric, descending);
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
        describe(wrapper, label, numeric, descending);
      });
    });
    wrapper.classList.add("sortable");
  }

  Array.prototype.forEach.call(document.querySelectorAll("div.table[data-component=data_table]"), enhance);
})();
