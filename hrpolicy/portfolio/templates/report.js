/* The portfolio report's enhancements: sort a table by clicking a column header (numbers and dates as such,
   states worst first through data-sort), filter its rows by text and by state, tier or type. The tables are
   complete without this script; it only hides and reorders rows. It builds no markup from text: every value
   it shows goes through textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var NUMBER = /^-?\d[\d,]*(\.\d+)?$/;
  var DATE = /^\d{4}-\d{2}(-\d{2})?$/;
  var EMPTY = { "": true, "\u2013": true };

  function key(cell) {
    if (!cell) { return ""; }
    var sort = cell.getAttribute("data-sort");
    return sort !== null ? sort : cell.textContent.trim();
  }

  function kindOf(values) {
    var present = values.filter(function (v) { return !EMPTY[v]; });
    if (present.length && present.every(function (v) { return NUMBER.test(v); })) { return "number"; }
    if (present.length && present.every(function (v) { return DATE.test(v); })) { return "date"; }
    return "text";
  }

  function value(v, kind) {
    if (kind === "number") { return parseFloat(v.replace(/,/g, "")); }
    if (kind === "date") { return Date.parse(v.length === 7 ? v + "-01" : v); }
    return v.toLocaleLowerCase();
  }

  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var descending = th.getAttribute("aria-sort") === "ascending";
    var keys = rows.map(function (row) { return key(row.cells[index]); });
    var kind = kindOf(keys);
    var order = rows.map(function (row, i) { return { row: row, raw: keys[i], v: value(keys[i], kind), i: i }; });
    order.sort(function (a, b) {
      var ea = EMPTY[a.raw] === true, eb = EMPTY[b.raw] === true;
      if (ea !== eb) { return ea ? 1 : -1; }  // empty cells last either way
      var c = 0;
      if (kind === "text") { c = a.v.localeCompare(b.v, undefined, { numeric: true }); }
      else { c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0; }
      if (descending) { c = -c; }
      return c !== 0 ? c : a.i - b.i;
    });
    order.forEach(function (o) { body.appendChild(o.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function sortable(table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }

  function tokens(row, name) {
    var raw = row.getAttribute("data-" + name);
    return raw ? raw.split("|") : [];
  }

  function ordered(name, values) {
    var order = data.order[name] || [];
    return values.sort(function (a, b) {
      var ia = order.indexOf(a), ib = order.indexOf(b);
      ia = ia < 0 ? order.length : ia;
      ib = ib < 0 ? order.length : ib;
      return ia !== ib ? ia - ib : a.localeCompare(b);
    });
  }

  function filterable(table, number) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var bar = document.createElement("div");
    bar.className = "filters";
    var text = document.createElement("input");
    text.type = "search";
    text.placeholder = "Filter rows";
    text.setAttribute("aria-label", "Filter the rows of this table");
    text.id = "filter-" + number;
    bar.appendChild(text);
    var selects = [];
    (table.getAttribute("data-filters") || "").split(" ").filter(Boolean).forEach(function (name) {
      var seen = {};
      rows.forEach(function (row) { tokens(row, name).forEach(function (t) { seen[t] = true; }); });
      var values = ordered(name, Object.keys(seen));
      if (values.length < 2) { return; }
      var select = document.createElement("select");
      select.setAttribute("aria-label", data.labels[name] || name);
      select.setAttribute("data-filter", name);
      var all = document.createElement("option");
      all.value = "";
      all.textContent = (data.labels[name] || name) + ": all";
      select.appendChild(all);
      values.forEach(function (v) {
        var option = document.createElement("option");
        option.value = v;
        option.textContent = v.replace(/_/g, " ");
        select.appendChild(option);
      });
      selects.push(select);
      bar.appendChild(select);
    });
    var status = document.createElement("output");
    status.setAttribute("aria-live", "polite");
    bar.appendChild(status);
    var anchor = table.parentNode.classList.contains("scroll") ? table.parentNode : table;
    anchor.parentNode.insertBefore(bar, anchor);

    function apply() {
      var query = text.value.trim().toLocaleLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var ok = !query || row.textContent.toLocaleLowerCase().indexOf(query) >= 0;
        selects.forEach(function (select) {
          if (ok && select.value) { ok = tokens(row, select.getAttribute("data-filter")).indexOf(select.value) >= 0; }
        });
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      status.textContent = shown === rows.length ? "" : shown + " of " + rows.length + " rows";
    }
    text.addEventListener("input", apply);
    selects.forEach(function (select) { select.addEventListener("change", apply); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.data"), function (table, i) {
    sortable(table);
    filterable(table, i + 1);
  });
  document.documentElement.setAttribute("data-enhanced", "true");
})();
