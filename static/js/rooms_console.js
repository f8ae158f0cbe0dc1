/* Family Bridge — the moderation console's live alerts (crisis alerts first, at the top). */
(function () {
  "use strict";

  var list = document.getElementById("live-alerts");
  if (!list || typeof io === "undefined") return;
  var S = JSON.parse(document.getElementById("console-strings").textContent);
  var status = document.getElementById("live-status");
  var reload = document.getElementById("reload-queue");

  function textOf(html) {
    var t = document.createElement("template");
    t.innerHTML = html; // sanitized on the server; a template's content is inert
    return t.content.textContent.trim();
  }

  var socket = io("/chat");
  socket.on("moderation_alert", function (item) {
    var li = document.createElement("li");
    var label = S[item.kind] || item.kind;
    var m = item.message || {};
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
})();
