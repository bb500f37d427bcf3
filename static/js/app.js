// Curfew's own behaviour on top of htmx. Loaded as a file (the CSP allows no
// inline script); every feature degrades to plain forms and links without it.
(function () {
  "use strict";

  // Move focus to the first invalid field or to a swapped-in region that asks
  // for it, so keyboard and screen-reader users land where the change is.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail.target;
    if (!target) return;
    var focus = target.querySelector("[data-autofocus]");
    if (focus) focus.focus();
  });

  // A failed request that htmx does not swap (network down, 5xx without a
  // body) still tells the person something happened.
  document.addEventListener("htmx:sendError", function () {
    showToast("Curfew could not be reached. Check your connection and try again.");
  });

  function showToast(message) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var div = document.createElement("div");
    div.className = "rounded-md bg-red-700 px-4 py-3 text-sm text-white shadow-lg";
    div.setAttribute("role", "alert");
    div.textContent = message;
    region.replaceChildren(div);
  }
})();
