// Idle timeout warning: shortly before the server ends an idle session, offer to stay signed in.
(function () {
  "use strict";
  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  };
  var idleSeconds = parseInt(meta("session-idle-seconds"), 10);
  var dialog = document.getElementById("idle-dialog");
  if (!idleSeconds || !dialog) return;
  var warnBefore = Math.min(120, Math.floor(idleSeconds / 4));
  var warnTimer, endTimer;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(warn, (idleSeconds - warnBefore) * 1000);
    endTimer = setTimeout(function () { window.location.reload(); }, (idleSeconds + 5) * 1000);
  }
  function warn() {
    if (typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  }
  document.getElementById("idle-stay").addEventListener("click", function () {
    fetch(meta("session-extend-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": meta("csrf-token"), "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { window.location.reload(); return; }
      dialog.close();
      schedule();
    });
  });
  window.FamilyBridge = window.FamilyBridge || {};
  window.FamilyBridge.resetIdleTimer = schedule;  // live pages call this on activity
  schedule();
})();
