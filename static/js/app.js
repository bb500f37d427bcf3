// Curfew's own behaviour on top of htmx. Loaded as a file (the CSP allows no
// inline script); every feature degrades to plain forms and links without it.
(function () {
  "use strict";

  // Move focus to the first invalid field or to a swapped-in region that asks
  // for it, so keyboard and screen-reader users land where the change is.
  // htmx fires afterSwap on the swapped-in elements; evt.detail.target is the
  // old element, already detached after an outerHTML swap.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.target;
    if (!target || !target.querySelector) return;
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

// Policy card (security page): the live preview swaps field errors in beside
// their inputs without replacing the inputs, so keep each input's
// aria-invalid and error outline in step with its error slot.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var input = document.getElementById(slot.getAttribute("data-error-for"));
      if (!input) return;
      var invalid = slot.textContent.trim() !== "";
      if (invalid) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      input.classList.toggle("input-error", invalid);
    });
  });
})();
