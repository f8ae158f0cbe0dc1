// Idle timeout warning: shortly before the server ends an idle session, offer to stay signed in.
import { csrfHeaders, meta } from "./common.js";

const idleSeconds = parseInt(meta("session-idle-seconds"), 10);
const dialog = document.getElementById("idle-dialog");
if (idleSeconds && dialog) watch();

function watch() {
  const warnBefore = Math.min(120, Math.floor(idleSeconds / 4));
  let warnTimer, endTimer;

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
    fetch(meta("session-extend-url"), { method: "POST", credentials: "same-origin", headers: csrfHeaders() })
      .then(function (response) {
        if (!response.ok) { window.location.reload(); return; }
        dialog.close();
        schedule();
      });
  });
  window.FamilyBridge = window.FamilyBridge || {};
  window.FamilyBridge.resetIdleTimer = schedule;  // live pages call this on activity
  schedule();
}
