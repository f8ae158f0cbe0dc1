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
      // Announced assertively (role="alert"); a sound only when the moderator turned it on.
      document.getElementById("live-crisis").textContent = label;
      const sound = document.getElementById("alert-sound");
      if (sound && sound.checked) chime();
    } else {
      list.append(li);
    }
    status.textContent = label;
    reload.classList.remove("is-hidden");
  });
}

function chime() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  const audio = new Context();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 660;
  gain.gain.value = 0.1;
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.4);
}
