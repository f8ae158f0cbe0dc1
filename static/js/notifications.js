/* The bell in the header, updated live by the server's `notification` event on an open /chat
 * socket (docs/realtime.md). Text only (textContent), never HTML; without JavaScript the bell
 * shows the count the page was served with. */

export function showNotification(payload) {
  if (!payload || typeof payload !== "object") return;
  const bell = document.getElementById("notification-bell");
  if (!bell) return;
  const count = Number.isInteger(payload.unread) && payload.unread >= 0 ? payload.unread : null;
  const badge = bell.querySelector(".bell-count");
  if (badge && count !== null) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
  if (typeof payload.label === "string") bell.setAttribute("aria-label", payload.label);
  const live = document.getElementById("notification-live");
  if (live && typeof payload.text === "string") live.textContent = payload.text;
}
