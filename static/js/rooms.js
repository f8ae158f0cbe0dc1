/* Family Bridge — a live room page over Socket.IO (/chat, docs/realtime.md).
 *
 * Reliability: every message gets a client_id (crypto.randomUUID) and waits in an outbox in
 * localStorage until the server acks it, so a message typed offline is sent on reconnect and
 * appears once. After any reconnect the page joins again with after_id = the newest id it
 * has, so it catches up with no gaps and no duplicates (messages are keyed by id).
 * Message HTML comes only from the server's sanitized body_html; everything else is textContent.
 */
(function () {
  "use strict";

  var root = document.getElementById("room");
  if (!root || typeof io === "undefined") return;

  var slug = root.dataset.room;
  var me = Number(root.dataset.userId);
  var isModerator = root.dataset.moderator === "true";
  var maxBody = Number(root.dataset.max) || 2000;
  var S = JSON.parse(document.getElementById("rooms-strings").textContent);
  var list = document.getElementById("messages");
  var composer = document.getElementById("composer");
  var bodyInput = document.getElementById("composer-body");
  var counter = document.getElementById("composer-count");
  var composerError = document.getElementById("composer-error");
  var announcer = document.getElementById("announcer");
  var connection = document.getElementById("connection");
  var typingLine = document.getElementById("typing");
  var onlineList = document.getElementById("online");
  var olderButton = document.getElementById("load-older");
  var roomState = document.getElementById("room-state");
  var outboxKey = "fb-outbox:" + me + ":" + slug;
  var EDIT_WINDOW_MS = 10 * 60 * 1000;

  // Parts of the page that only make sense when it is live (presence, the counter, Enter to send).
  root.classList.add("is-live");
  Array.prototype.forEach.call(root.querySelectorAll(".live-only"), function (el) { el.classList.remove("is-hidden"); });

  var timeFormat = makeTimeFormat(root.dataset.locale, root.dataset.timezone);
  var hasMore = root.dataset.hasMore === "true";
  var joined = false;
  var typingTimer = null;
  var lastTypingSent = 0;
  var readTimer = null;

  function makeTimeFormat(locale, zone) {
    try {
      return new Intl.DateTimeFormat(locale || undefined, { timeZone: zone, dateStyle: "medium", timeStyle: "short" });
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
  }

  function fmt(text) {
    var args = arguments;
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return args[1] && key in args[1] ? args[1][key] : ""; });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- the outbox -------------------------------------------------------------------------

  function readOutbox() {
    try { return JSON.parse(localStorage.getItem(outboxKey)) || []; } catch (e) { return []; }
  }
  function writeOutbox(items) {
    try { localStorage.setItem(outboxKey, JSON.stringify(items)); } catch (e) { /* storage full or off */ }
  }
  function addToOutbox(entry) { var items = readOutbox(); items.push(entry); writeOutbox(items); }
  function dropFromOutbox(clientId) {
    writeOutbox(readOutbox().filter(function (e) { return e.client_id !== clientId; }));
  }

  // --- rendering --------------------------------------------------------------------------

  function ids() {
    return Array.prototype.map.call(list.querySelectorAll("li.msg[data-id]"), function (li) { return Number(li.dataset.id); });
  }
  function newestId() { var all = ids(); return all.length ? Math.max.apply(null, all) : null; }
  function oldestId() { var all = ids(); return all.length ? Math.min.apply(null, all) : null; }

  function textOf(html) {
    var t = document.createElement("template");
    t.innerHTML = html; // sanitized on the server; a template's content is inert
    return t.content.textContent.trim();
  }

  function buildMessage(m) {
    var li = document.createElement("li");
    li.className = "msg" + (m.author.id === me ? " msg-own" : "");
    li.id = "m-" + m.id;
    li.dataset.id = m.id;
    li.dataset.authorId = m.author.id;
    li.dataset.created = m.created_at;
    var meta = document.createElement("p");
    meta.className = "msg-meta";
    var author = document.createElement("span");
    author.className = "msg-author";
    author.textContent = m.author.display_name;
    var time = document.createElement("time");
    time.dateTime = m.created_at;
    time.textContent = timeFormat.format(new Date(m.created_at));
    meta.append(author, " ", time);
    if (m.edited_at) meta.append(" ", editedMark());
    var body = document.createElement("div");
    body.className = "msg-body";
    body.innerHTML = m.body_html; // the server's sanitized HTML (portal/sanitize.py)
    li.append(meta, body);
    addTools(li);
    return li;
  }

  function editedMark() {
    var span = document.createElement("span");
    span.className = "msg-edited";
    span.textContent = S.edited;
    return span;
  }

  function addTools(li) {
    if (li.querySelector(".msg-tools")) return;
    var tools = document.createElement("div");
    tools.className = "msg-tools";
    tools.setAttribute("role", "group");
    tools.setAttribute("aria-label", S.actions_for);
    var own = Number(li.dataset.authorId) === me;
    if (own && Date.now() - Date.parse(li.dataset.created) < EDIT_WINDOW_MS) tools.append(toolButton(S.edit, "edit"));
    if (own) tools.append(toolButton(S.delete, "delete"));
    if (!own) tools.append(toolButton(S.flag, "flag"));
    li.append(tools);
  }

  function toolButton(label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link-button msg-tool";
    b.dataset.action = action;
    b.textContent = label;
    return b;
  }

  function insertMessage(m, live) {
    if (m.room !== slug) return;
    if (document.getElementById("m-" + m.id)) return; // already shown: never twice
    if (m.author.id === me && m.client_id) {
      // The server broadcasts only after commit: our own message arriving by any path (the
      // broadcast often beats the ack) confirms it, so it leaves the outbox and the pending list.
      dropFromOutbox(m.client_id);
      var pending = list.querySelector('li.pending[data-client-id="' + CSS.escape(m.client_id) + '"]');
      if (pending) pending.remove();
    }
    var li = buildMessage(m);
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    var after = null;
    list.querySelectorAll("li.msg[data-id]").forEach(function (other) {
      if (Number(other.dataset.id) > m.id && after === null) after = other;
    });
    list.insertBefore(li, after || firstPending());
    var empty = document.getElementById("empty-room");
    if (empty) empty.remove();
    if (live) {
      if (m.author.id !== me) announce(fmt(S.new_message, { name: m.author.display_name }) + " " + textOf(m.body_html));
      if (nearBottom || m.author.id === me) list.scrollTop = list.scrollHeight;
      scheduleRead();
    }
  }

  function firstPending() { return list.querySelector("li.pending"); }

  function showPending(entry, state) {
    var li = list.querySelector('li.pending[data-client-id="' + CSS.escape(entry.client_id) + '"]');
    if (!li) {
      li = document.createElement("li");
      li.className = "msg msg-own pending";
      li.dataset.clientId = entry.client_id;
      var body = document.createElement("div");
      body.className = "msg-body";
      body.textContent = entry.body;
      var status = document.createElement("p");
      status.className = "msg-meta pending-status";
      li.append(body, status);
      list.append(li);
      list.scrollTop = list.scrollHeight;
    }
    li.querySelector(".pending-status").textContent = state;
    return li;
  }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function setConnection(text) {
    connection.textContent = text || "";
    connection.classList.toggle("is-hidden", !text);
  }

  function setOnline(names) {
    onlineList.replaceChildren();
    (names.length ? names : [S.nobody]).forEach(function (name) {
      var li = document.createElement("li");
      li.textContent = name;
      onlineList.append(li);
    });
  }

  function setMayPost(state) {
    var open = state === true || (state === "locked" && isModerator);
    composer.classList.toggle("is-hidden", !open);
  }

  function setRoomState(data) {
    var text = "";
    if (data.archived || data.locked) text = S.locked;
    else if (data.slow_mode_seconds) text = fmt(S.slow_mode, { n: data.slow_mode_seconds });
    roomState.textContent = text;
    roomState.classList.toggle("is-hidden", !text);
  }

  // --- the socket -------------------------------------------------------------------------

  var socket = io("/chat", { reconnectionDelayMax: 5000 });

  socket.on("connect", function () {
    setConnection("");
    join(newestId());
  });

  function join(afterId) {
    socket.timeout(15000).emit("join", { room: slug, after_id: afterId }, function (err, ack) {
      if (err) return;
      if (!ack.ok) { setConnection(ack.message); setMayPost(false); return; }
      var catchUp = afterId !== null;
      ack.messages.forEach(function (m) { insertMessage(m, catchUp); });
      setOnline(ack.room.online || []);
      setRoomState(ack.room);
      setMayPost(ack.room.may_post);
      if (!catchUp) setOlder(ack.has_more);
      if (catchUp && ack.has_more) { join(newestId()); return; } // keep catching up, in order
      joined = true;
      flushOutbox();
    });
  }

  socket.on("disconnect", function (reason) {
    joined = false;
    if (reason === "io server disconnect") setConnection(S.signed_out);
    else if (reason === "io client disconnect") setConnection(S.offline);
    else setConnection(navigator.onLine === false ? S.offline : S.reconnecting);
  });
  // The browser knows first when the network goes: stop using the socket (messages wait in
  // the outbox) and connect again as soon as it is back.
  window.addEventListener("offline", function () { setConnection(S.offline); socket.disconnect(); });
  window.addEventListener("online", function () { if (!socket.connected) socket.connect(); });
  socket.on("session_ended", function () { setConnection(S.signed_out); });

  socket.on("message", function (m) { insertMessage(m, true); });
  socket.on("message_edited", function (m) {
    var li = document.getElementById("m-" + m.id);
    if (!li) return;
    li.querySelector(".msg-body").innerHTML = m.body_html; // sanitized on the server
    if (!li.querySelector(".msg-edited")) li.querySelector(".msg-meta").append(" ", editedMark());
  });
  socket.on("message_removed", function (data) {
    var li = document.getElementById("m-" + data.id);
    if (li && data.room === slug) { li.remove(); announce(S.removed); }
  });
  socket.on("typing", function (data) {
    if (data.room !== slug) return;
    typingLine.textContent = fmt(S.typing, { name: data.display_name });
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, 4000);
  });
  socket.on("presence", function (data) { if (data.room === slug) setOnline(data.online); });
  socket.on("room_updated", function (data) {
    if (data.room !== slug) return;
    setRoomState(data);
    if (socket.connected) join(newestId()); // asks the server again what this person may do
  });
  socket.on("support", function () {
    var dialog = document.getElementById("support-dialog");
    if (!dialog.open) dialog.showModal();
  });
  socket.on("notice", function (data) { announce(S.notice + " " + data.text); setConnection(S.notice + " " + data.text); });
  socket.on("held", function (m) {
    if (m.room === slug) showPending({ client_id: m.client_id, body: textOf(m.body_html) }, S.held);
  });
  socket.on("access_ended", function (data) {
    if (data.room !== slug) return;
    socket.timeout(15000).emit("join", { room: slug, after_id: newestId() }, function (err, ack) {
      if (err || !ack.ok) { setConnection(S.access_ended); setMayPost(false); }
    });
  });

  // --- sending ----------------------------------------------------------------------------

  function flushOutbox() {
    var items = readOutbox();
    var i = 0;
    (function next() {
      if (i >= items.length || !socket.connected) return;
      sendEntry(items[i++], next);
    })();
  }

  function sendEntry(entry, done) {
    showPending(entry, S.sending);
    socket.timeout(15000).emit("send", { room: slug, body: entry.body, client_id: entry.client_id }, function (err, ack) {
      if (err) { if (done) done(); return; } // stays in the outbox; sent again on reconnect
      if (ack.ok) {
        dropFromOutbox(entry.client_id);
        insertMessage(ack.message, true);
        var sent = document.getElementById("m-" + ack.message.id);
        if (sent) sent.dataset.source = entry.body;
      } else if (ack.error === "held_for_review") {
        dropFromOutbox(entry.client_id);
        showPending(entry, S.held);
      } else if (ack.error === "rate_limited" || ack.error === "slow_mode") {
        composerError.textContent = ack.message;
        window.setTimeout(function () { sendEntry(entry); }, (ack.retry_after || 5) * 1000);
      } else {
        dropFromOutbox(entry.client_id);
        var li = showPending(entry, "");
        li.remove();
        if (!bodyInput.value) { bodyInput.value = entry.body; updateCounter(); }
        composerError.textContent = ack.message;
        if (ack.error === "guidelines") window.location.assign(root.dataset.guidelinesUrl);
      }
      if (done) done();
    });
  }

  function submit(event) {
    event.preventDefault();
    var text = bodyInput.value;
    composerError.textContent = "";
    if (!text.trim()) { composerError.textContent = ""; bodyInput.focus(); return; }
    var entry = { client_id: uuid(), body: text.slice(0, maxBody), at: Date.now() };
    addToOutbox(entry);
    bodyInput.value = "";
    updateCounter();
    if (socket.connected && joined) sendEntry(entry);
    else showPending(entry, S.offline);
  }

  function updateCounter() {
    counter.textContent = bodyInput.value.length + " / " + maxBody;
  }

  composer.addEventListener("submit", submit);
  bodyInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  bodyInput.addEventListener("input", function () {
    updateCounter();
    var now = Date.now();
    if (socket.connected && joined && now - lastTypingSent > 3000) {
      lastTypingSent = now;
      socket.emit("typing", { room: slug });
    }
  });

  // --- reading history and read markers ---------------------------------------------------

  function setOlder(more) {
    hasMore = more;
    olderButton.classList.toggle("is-hidden", !more);
    var oldest = oldestId();
    if (oldest !== null) olderButton.search = "?before=" + oldest; // the no-JavaScript way, kept true
  }

  // The "Show older messages" link works without JavaScript (a page of older messages);
  // here it loads them in place instead.
  function loadOlder(event) {
    if (event) event.preventDefault();
    var before = oldestId();
    if (!hasMore || before === null || !socket.connected) return;
    var height = list.scrollHeight;
    socket.timeout(15000).emit("history", { room: slug, before_id: before, limit: 50 }, function (err, ack) {
      if (err || !ack.ok) return;
      ack.messages.forEach(function (m) { insertMessage(m, false); });
      list.scrollTop = list.scrollHeight - height;
      setOlder(ack.has_more);
    });
  }
  olderButton.addEventListener("click", loadOlder);
  list.addEventListener("scroll", function () { if (list.scrollTop === 0) loadOlder(); });

  function scheduleRead() {
    if (document.visibilityState !== "visible") return;
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(function () {
      var newest = newestId();
      if (newest && socket.connected) socket.emit("read", { room: slug, last_id: newest });
    }, 1000);
  }
  document.addEventListener("visibilitychange", scheduleRead);

  // --- message tools: edit, delete, flag --------------------------------------------------

  var flagDialog = document.getElementById("flag-dialog");
  var editDialog = document.getElementById("edit-dialog");
  var current = null;

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button.msg-tool");
    if (!button) return;
    current = { id: Number(button.closest("li.msg").dataset.id), opener: button };
    if (button.dataset.action === "flag") {
      document.getElementById("flag-reason").value = "";
      flagDialog.showModal();
    } else if (button.dataset.action === "delete") {
      if (window.confirm(S.confirm_delete)) {
        socket.emit("delete", { message_id: current.id }, function (ack) { if (!ack.ok) announce(ack.message); });
      }
    } else if (button.dataset.action === "edit") {
      var li = document.getElementById("m-" + current.id);
      document.getElementById("edit-body").value = li.dataset.source || textOf(li.querySelector(".msg-body").innerHTML);
      document.getElementById("edit-error").textContent = "";
      editDialog.showModal();
    }
  });

  document.getElementById("flag-form").addEventListener("submit", function () {
    var reason = document.getElementById("flag-reason").value;
    socket.emit("flag", { message_id: current.id, reason: reason }, function (ack) {
      announce(ack.ok ? S.flagged : ack.message);
    });
  });
  document.getElementById("flag-cancel").addEventListener("click", function () { flagDialog.close(); });
  flagDialog.addEventListener("close", function () { if (current) current.opener.focus(); });

  document.getElementById("edit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = document.getElementById("edit-body").value;
    socket.emit("edit", { message_id: current.id, body: body }, function (ack) {
      if (ack.ok) { document.getElementById("m-" + current.id).dataset.source = body; editDialog.close(); }
      else document.getElementById("edit-error").textContent = ack.message;
    });
  });
  document.getElementById("edit-cancel").addEventListener("click", function () { editDialog.close(); });
  editDialog.addEventListener("close", function () { if (current) current.opener.focus(); });

  document.getElementById("support-close").addEventListener("click", function () {
    document.getElementById("support-dialog").close();
  });

  // Server-rendered messages get their tools, and the view starts at the newest message
  // (or at the "new messages" divider when there is one).
  list.querySelectorAll("li.msg[data-id]").forEach(addTools);
  readOutbox().forEach(function (entry) { showPending(entry, S.offline); });
  var divider = document.getElementById("new-divider");
  if (divider) list.scrollTop = divider.offsetTop - list.offsetTop - 40;
  else list.scrollTop = list.scrollHeight;
  updateCounter();
})();
