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
  document.addEventListener("DOMContentLoaded", function () { focusableScrollRegions(document); });
  document.addEventListener("htmx:afterSettle", function (event) { focusableScrollRegions(event.target); });
})();
