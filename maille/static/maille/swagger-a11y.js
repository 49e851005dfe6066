// Accessibility fixes to Swagger UI's markup (axe-core), applied again after each re-render:
// - a link inside each operation's toggle button ("nested-interactive": two controls in one): the button
//   alone toggles the operation, the inner link loses its href (so it is no longer focusable);
// - scrollable code examples are reachable by keyboard ("scrollable-region-focusable");
// - a parameter's select is named after its parameter ("select-name").
(function () {
  "use strict";
  function unnest(root) {
    root.querySelectorAll(".opblock-summary-control a[href]").forEach(function (link) {
      link.setAttribute("data-href", link.getAttribute("href"));
      link.removeAttribute("href");
    });
    root.querySelectorAll("pre.microlight:not([tabindex])").forEach(function (block) {
      block.setAttribute("tabindex", "0");
    });
    root.querySelectorAll(".parameters-col_description select:not([aria-label])").forEach(function (select) {
      var row = select.closest("tr");
      var name = row && row.querySelector(".parameter__name");
      select.setAttribute("aria-label", name ? name.textContent.replace("*", "").trim() : "valeur");
    });
  }
  var root = document.getElementById("swagger-ui");
  if (!root) {
    return;
  }
  new MutationObserver(function () { unnest(root); }).observe(root, { childList: true, subtree: true });
  unnest(root);
})();
