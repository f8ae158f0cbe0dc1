/* Family Bridge — the moderation console's live alerts (crisis alerts first, at the top). */
import { readStrings, textOf } from "./common.js";

const list = document.getElementById("live-alerts");
if (list && typeof io !== "undefined") listen(list);

function listen(list) {
  const S = readStrings("console-strings");
  const status = document.getElementById("live-status");
  const reload = document.getElementById("reload-queue");
  const socket = io("/chat");
  socket.on("moderation_alert", function (item) {
    const li = document.createElement("li");
    const label = S[item.kind] || item.kind;
    const m = item.message || {};
    li.textContent = item.message
      ? label + " — " + m.author.display_name + " " + S.in + " " + item.room + ": " + textOf(m.body_html).slice(0, 200)
      : label;
    if (item.priority) {
      li.className = "alert-crisis";
      list.prepend(li);
    } else {
      list.append(li);
    }
    status.textContent = label;
    reload.classList.remove("is-hidden");
  });
}
