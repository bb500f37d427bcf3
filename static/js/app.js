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

// Audit log: "Load more" replaces its own button row, so the focus it had
// would fall back to the page; move it to the first event that arrived.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function () {
    var first = document.querySelector("[data-audit-focus]");
    if (!first) return;
    first.removeAttribute("data-audit-focus");
    first.focus();
  });
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

// Idle-expiry warning: shortly before the session would end for inactivity,
// show the banner with a live countdown and "Stay signed in" (which records
// activity). The deadlines come from the page and from the headers of every
// htmx response; nothing polls, since a poll would itself be activity. The
// absolute lifetime cannot be extended: when it comes first the banner only
// says when, without the button.
(function () {
  "use strict";
  var banner = document.getElementById("idle-warning");
  if (!banner) return;
  var idleAt = Date.parse(banner.getAttribute("data-idle-expires-at"));
  var absoluteAt = Date.parse(banner.getAttribute("data-absolute-expires-at"));
  var idleSeconds = parseInt(banner.getAttribute("data-idle-seconds"), 10) || 0;
  // The server's clock decides; correct for this computer's clock being off.
  var skew = Date.parse(banner.getAttribute("data-server-now")) - Date.now();
  if (isNaN(skew)) skew = 0;
  // Warn two minutes ahead, or a fifth of a short idle timeout.
  var warnMs = Math.min(120000, Math.max(30000, idleSeconds * 200));
  var countdown = banner.querySelector("[data-countdown]");
  var countdownSR = banner.querySelector("[data-countdown-sr]");
  var message = banner.querySelector("[data-idle-message]");
  var stay = banner.querySelector("[data-stay-signed-in]");
  var returnFocus = null;
  var lastAnnounced = -1;

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
    } catch (e) {
      return "";
    }
  }

  function format(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function words(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    if (s >= 60) {
      var m = Math.round(s / 60);
      return m + (m === 1 ? " minute" : " minutes");
    }
    return s + (s === 1 ? " second" : " seconds");
  }

  function show() {
    if (!banner.hidden) return;
    returnFocus = document.activeElement;
    banner.hidden = false;
    if (!stay.hidden) stay.focus();
  }

  function hide() {
    if (banner.hidden) return;
    banner.hidden = true;
    lastAnnounced = -1;
    if (returnFocus && document.body.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  function tick() {
    var now = Date.now() + skew;
    var absoluteFirst = absoluteAt <= idleAt;
    var end = absoluteFirst ? absoluteAt : idleAt;
    var left = end - now;
    if (left <= -1000) {
      // The server now refuses this session and sends the page to the
      // sign-in form with the reason.
      window.location.reload();
      return;
    }
    if (left > warnMs) {
      hide();
      return;
    }
    message.textContent = absoluteFirst
      ? "Sessions have a maximum lifetime. Save your work: you will be signed out in"
      : "You will be signed out for inactivity in";
    stay.hidden = absoluteFirst;
    countdown.textContent = format(left);
    // Screen readers hear the time every 30 seconds, not every second.
    var bucket = Math.ceil(left / 30000);
    if (bucket !== lastAnnounced) {
      lastAnnounced = bucket;
      countdownSR.textContent = words(left);
    }
    show();
  }

  function setDeadlines(idle, absolute) {
    var i = Date.parse(idle);
    var a = Date.parse(absolute);
    if (!isNaN(i)) idleAt = i;
    if (!isNaN(a)) absoluteAt = a;
    tick();
  }

  stay.addEventListener("click", function () {
    stay.disabled = true;
    fetch("/api/session/keepalive", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
    })
      .then(function (res) {
        if (res.status === 401) {
          window.location.reload();
          return null;
        }
        return res.ok ? res.json() : null;
      })
      .then(function (body) {
        if (body) setDeadlines(body.idle_expires_at, body.absolute_expires_at);
      })
      .finally(function () {
        stay.disabled = false;
      });
  });

  // Every htmx request is activity; its response carries the new deadlines.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail.xhr;
    if (!xhr) return;
    var idle = xhr.getResponseHeader("X-Curfew-Idle-Expires-At");
    if (idle) setDeadlines(idle, xhr.getResponseHeader("X-Curfew-Absolute-Expires-At"));
  });

  tick();
  setInterval(tick, 1000);
})();

// Polish shared by every page: durations in words beside minute inputs,
// Custom quick-fills on the policy card, times in the viewer's time zone,
// and Escape to step back out of a confirmation.
(function () {
  "use strict";

  // The same words as policy.HumanMinutes: "30 minutes", "1 day 2 hours".
  function humanMinutes(m) {
    function unit(n, name) {
      return n + " " + name + (n === 1 ? "" : "s");
    }
    var parts = [];
    var days = Math.floor(m / 1440);
    var hours = Math.floor((m % 1440) / 60);
    var mins = m % 60;
    if (days) parts.push(unit(days, "day"));
    if (hours) parts.push(unit(hours, "hour"));
    if (mins) parts.push(unit(mins, "minute"));
    return parts.join(" ");
  }

  // The same reading as words.ParseDuration: "90", "8h", "1d 12h"; a bare
  // number counts in the unit chosen beside the input. NaN when it is not a
  // length of time (the field's error says why, on the preview).
  var unitWords = { m: 1, min: 1, mins: 1, minute: 1, minutes: 1, h: 60, hr: 60, hrs: 60, hour: 60, hours: 60,
    d: 1440, day: 1440, days: 1440, w: 10080, week: 10080, weeks: 10080 };
  function parseDuration(text, per) {
    var s = text.trim().toLowerCase();
    if (/^[0-9]{1,9}$/.test(s)) return parseInt(s, 10) * per;
    var re = /^([0-9]{1,9}) *([a-z]+) */, total = 0, m;
    if (!s) return NaN;
    while (s && (m = re.exec(s)) && unitWords[m[2]]) {
      total += parseInt(m[1], 10) * unitWords[m[2]];
      s = s.slice(m[0].length);
    }
    return s ? NaN : total;
  }

  function unitSelect(input) {
    return document.getElementById(input.id + "-unit");
  }

  // "= 2 hours" beside a limit's input, as the owner types or changes its
  // unit; nothing while the value is not a length of time.
  function showMinutesWords(input) {
    var out = document.querySelector('[data-minutes-words-for="' + input.id + '"]');
    if (!out) return;
    var unit = unitSelect(input);
    var per = unit ? { minutes: 1, hours: 60, days: 1440 }[unit.value] || 1 : 1;
    var n = parseDuration(input.value, per);
    out.textContent = n > 0 ? "= " + humanMinutes(n) : "";
  }

  function onEdit(evt) {
    var t = evt.target;
    if (!t.id) return;
    if (t.tagName === "SELECT" && /-unit$/.test(t.id)) t = document.getElementById(t.id.slice(0, -5)) || t;
    showMinutesWords(t);
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);

  // The preview a limit's blur asks for names the field just left, so that
  // the server flags it if it is empty; while typing it does not.
  document.addEventListener("htmx:configRequest", function (evt) {
    var e = evt.detail.triggeringEvent;
    if (e && e.type === "blur" && evt.detail.elt.hasAttribute("data-limit-input")) {
      evt.detail.parameters["_left"] = evt.detail.elt.name;
    }
  });

  // A quick-fill puts a standard's limits in the Custom inputs, says so, and
  // asks for the preview once, as choosing Custom does. Nothing is saved.
  // Without this the button submits its own form and the page comes back
  // filled in.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-quick-fill]");
    if (!button) return;
    var form = document.getElementById("policy-form");
    var custom = form && form.querySelector('input[name="preset"][value="custom"]');
    if (!custom) return;
    evt.preventDefault();
    custom.checked = true;
    [
      ["data-idle", "idle_minutes"],
      ["data-absolute", "absolute_minutes"],
    ].forEach(function (pair) {
      var input = form.querySelector('input[name="' + pair[1] + '"]');
      if (!input || !button.hasAttribute(pair[0])) return;
      input.value = button.getAttribute(pair[0]);
      var unit = unitSelect(input);
      if (unit) unit.value = button.getAttribute(pair[0] + "-unit") || "minutes";
      showMinutesWords(input);
    });
    var status = document.getElementById("policy-fill-status");
    if (status) status.textContent = button.getAttribute("data-fill-message");
    custom.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // Times come from the server in UTC: <time datetime="…Z" title="… UTC">.
  // Show them in the viewer's own time zone: the title of every one, and the
  // text of those that show the exact time or a date.
  var exact = new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
  var dateOnly = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
  var thisYear = new Date().getFullYear();
  function shortFormat(d) {
    var o = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    if (d.getFullYear() !== thisYear) o.year = "numeric";
    return new Intl.DateTimeFormat(undefined, o).format(d);
  }

  function localTimes() {
    document.querySelectorAll("time[datetime]:not([data-localized])").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      el.setAttribute("data-localized", "");
      if (el.hasAttribute("title")) el.title = exact.format(d);
      if (el.hasAttribute("data-local-text")) {
        el.textContent = exact.format(d);
      } else if (el.hasAttribute("data-local-short")) {
        el.textContent = shortFormat(d);
      } else if (/^\d{1,2} [A-Z][a-z]{2} \d{4}$/.test(el.textContent.trim())) {
        el.textContent = dateOnly.format(d);
      }
    });
  }
  localTimes();
  document.addEventListener("htmx:afterSettle", localTimes);

  // Escape steps back out: it closes an open disclosure (End…) and returns
  // to its summary, and cancels an in-place confirmation, whose Cancel puts
  // the focus back on the button that opened it.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape" || !evt.target.closest) return;
    var details = evt.target.closest("details[open][data-escape-closes]");
    if (details) {
      evt.preventDefault();
      details.open = false;
      details.querySelector("summary").focus();
      return;
    }
    var region = evt.target.closest("[data-escape-cancel]");
    var cancel = region && region.querySelector("[data-cancel]");
    if (cancel) {
      evt.preventDefault();
      cancel.click();
    }
  });
})();
