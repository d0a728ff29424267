/* Small progressive enhancements; every page works without JavaScript. */
(function () {
  "use strict";
  // Wide tables scroll horizontally: make their wrapper reachable with the keyboard (RGAA 7.3, WCAG 2.1.1).
  function focusableScrollRegions(root) {
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("aria-label", caption ? caption.textContent.trim() : "Tableau défilant");
      }
    });
  }
  // "Select all" boxes (templates/_select_all.html): tick or untick every enabled row box of the same table; the
  // header box shows when all, none or some rows are ticked.
  function selectAllBoxes(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      var table = box.closest("table");
      if (!table || box.dataset.ready) { return; }
      box.dataset.ready = "1";
      box.hidden = false;
      function rows() { return table.querySelectorAll("tbody input[type=checkbox]:not(:disabled)"); }
      function sync() {
        var all = rows(), ticked = 0;
        all.forEach(function (row) { if (row.checked) { ticked += 1; } });
        box.checked = all.length > 0 && ticked === all.length;
        box.indeterminate = ticked > 0 && ticked < all.length;
      }
      box.addEventListener("change", function () {
        rows().forEach(function (row) { row.checked = box.checked; });
      });
      table.addEventListener("change", function (event) { if (event.target !== box) { sync(); } });
      table.addEventListener("htmx:afterSettle", sync);
    });
  }
  function enhance(root) {
    focusableScrollRegions(root);
    selectAllBoxes(root);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
})();
