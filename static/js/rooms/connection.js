/* The room's socket and its outbox.
 *
 * Reliability: every message gets a client_id and waits in an outbox in localStorage until the
 * server acks it, so a message typed offline is sent on reconnect and appears once. After any
 * reconnect the page joins again with after_id = the newest id it has, so it catches up with no
 * gaps and no duplicates (messages are keyed by id).
 */
import { ACK_TIMEOUT_MS, textOf, uuid } from "../common.js";
import { showNotification } from "../notifications.js";

const TYPING_EVERY_MS = 3000;
const READ_AFTER_MS = 1000;

function createOutbox(key) {
  function read() {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }
  function write(items) {
    try { localStorage.setItem(key, JSON.stringify(items)); } catch (e) { /* storage full or off */ }
  }
  return {
    read: read,
    add: function (entry) { const items = read(); items.push(entry); write(items); },
    drop: function (clientId) { write(read().filter(function (e) { return e.client_id !== clientId; })); }
  };
}

export function connect(room, view, composer) {
  const S = room.strings;
  const slug = room.slug;
  const outbox = createOutbox("fb-outbox:" + room.me + ":" + slug);
  const socket = io("/chat", { reconnectionDelayMax: 5000 });
  let joined = false;
  let lastTypingSent = 0;
  let readTimer = null;

  /** A message from the server, by any path: shown once, in order; our own leaves the outbox. */
  function receive(m, live) {
    if (m.room !== slug || view.has(m.id)) return;
    // The server broadcasts only after commit: our own message arriving by any path (the
    // broadcast often beats the ack) confirms it, so it leaves the outbox and the pending list.
    if (m.author.id === room.me && m.client_id) outbox.drop(m.client_id);
    view.insertMessage(m, live);
    if (live) scheduleRead();
  }

  function join(afterId) {
    socket.timeout(ACK_TIMEOUT_MS).emit("join", { room: slug, after_id: afterId }, function (err, ack) {
      if (err) return;
      // "unavailable" (the database or Redis is away for a moment): try again, keep the page.
      if (!ack.ok && ack.error === "unavailable") {
        view.setConnection(ack.message);
        retryLater(ack, function () { join(view.newestId()); });
        return;
      }
      if (!ack.ok) { view.setConnection(ack.message); view.setMayPost(false); return; }
      const catchUp = afterId !== null;
      const fresh = ack.messages.filter(function (m) { return !view.has(m.id); });
      ack.messages.forEach(function (m) { receive(m, catchUp); });
      if (room.onBatch) room.onBatch(fresh); // their replies and reactions (convo.js)
      view.setOnline(ack.room.online || []);
      view.setRoomState(ack.room);
      view.setMayPost(ack.room.may_post);
      if (!catchUp) view.setOlder(ack.has_more);
      if (catchUp && ack.has_more) { join(view.newestId()); return; } // keep catching up, in order
      joined = true;
      flushOutbox();
    });
  }

  // A refused connection is not retried by Socket.IO itself; "unavailable" means try again.
  socket.on("connect_error", function (err) {
    if (err && err.message === "unavailable") {
      view.setConnection(S.reconnecting);
      retryLater({}, function () { socket.connect(); });
    }
  });

  function retryLater(ack, again) {
    window.setTimeout(function () { if (again) again(); }, (ack.retry_after || 5) * 1000);
  }

  socket.on("connect", function () {
    view.setConnection("");
    join(view.newestId());
  });
  socket.on("disconnect", function (reason) {
    joined = false;
    if (reason === "io server disconnect") view.setConnection(S.signed_out);
    else if (reason === "io client disconnect") view.setConnection(S.offline);
    else view.setConnection(navigator.onLine === false ? S.offline : S.reconnecting);
  });
  // The browser knows first when the network goes: stop using the socket (messages wait in
  // the outbox) and connect again as soon as it is back.
  window.addEventListener("offline", function () { view.setConnection(S.offline); socket.disconnect(); });
  window.addEventListener("online", function () { if (!socket.connected) socket.connect(); });
  socket.on("session_ended", function () { view.setConnection(S.signed_out); });
  // A notice for this person (portal/notifications): the bell in the header shows the new count
  // (its status region reads the text out); a staff member's private post also shows its link here.
  socket.on("notification", function (n) {
    showNotification(n);
    if (n && n.kind === "checkin_post") showStaffNote(n);
  });
  // The server process is restarting: the connection drops next and Socket.IO reconnects by
  // itself (to the new process); the connect handler then rejoins with after_id.
  socket.on("server_restarting", function () { view.setConnection(S.reconnecting); });
  // The server cannot deliver live between its processes for a moment (Redis away): say so;
  // when it is back the server sends what was missed, and a rejoin makes sure of it.
  socket.on("delivery", function (data) {
    if (!data.live) { view.setConnection(S.reconnecting); return; }
    view.setConnection("");
    if (joined) join(view.newestId());
  });

  socket.on("message", function (m) { receive(m, true); });
  socket.on("message_edited", view.editMessage);
  socket.on("message_removed", function (data) { if (data.room === slug) view.removeMessage(data.id); });
  socket.on("typing", function (data) { if (data.room === slug) view.showTyping(data.display_name); });
  socket.on("presence", function (data) { if (data.room === slug) view.setOnline(data.online); });
  socket.on("room_updated", function (data) {
    if (data.room !== slug) return;
    view.setRoomState(data);
    if (socket.connected) join(view.newestId()); // asks the server again what this person may do
  });
  socket.on("support", function () {
    const dialog = document.getElementById("support-dialog");
    if (!dialog.open) dialog.showModal();
  });
  socket.on("notice", function (data) {
    view.announce(S.notice + " " + data.text);
    view.setConnection(S.notice + " " + data.text);
  });
  // Our own post waits for review: live from any of our tabs, and again with every join (after
  // a reload or a reconnect), so it stays in view — with the staff note for a crisis — until released.
  socket.on("held", function (m) {
    if (m.room !== slug) return;
    view.showPending({ client_id: m.client_id, body: textOf(m.body_html) }, m.crisis ? S.held_crisis : S.held);
    if (m.crisis) document.getElementById("support-held-note").classList.remove("is-hidden");
  });
  socket.on("access_ended", function (data) {
    if (data.room !== slug) return;
    socket.timeout(ACK_TIMEOUT_MS).emit("join", { room: slug, after_id: view.newestId() }, function (err, ack) {
      if (err || !ack.ok) { view.setConnection(S.access_ended); view.setMayPost(false); }
    });
  });

  // --- sending ----------------------------------------------------------------------------

  function flushOutbox() {
    const items = outbox.read();
    let i = 0;
    (function next() {
      if (i >= items.length || !socket.connected) return;
      sendEntry(items[i++], next);
    })();
  }

  function sendEntry(entry, done) {
    view.showPending(entry, S.sending);
    const payload = { room: slug, body: entry.body, client_id: entry.client_id };
    if (entry.reply_to) payload.reply_to = entry.reply_to; // optional (issue 12)
    socket.timeout(ACK_TIMEOUT_MS).emit("send", payload, function (err, ack) {
      if (err) { if (done) done(); return; } // stays in the outbox; sent again on reconnect
      if (ack.ok) {
        outbox.drop(entry.client_id);
        receive(ack.message, true);
        const sent = document.getElementById("m-" + ack.message.id);
        if (sent) sent.dataset.source = entry.body;
      } else if (ack.error === "held_for_review") {
        outbox.drop(entry.client_id);
        view.showPending(entry, ack.crisis ? ack.message : S.held);
        if (ack.crisis) document.getElementById("support-held-note").classList.remove("is-hidden");
      } else if (ack.error === "unavailable") {
        // A transient fault on the server: the message stays in the outbox, sent again later.
        view.showPending(entry, S.sending);
        retryLater(ack, function () { if (socket.connected && joined) sendEntry(entry); });
      } else if (ack.error === "rate_limited" || ack.error === "slow_mode") {
        composer.showError(ack.message);
        window.setTimeout(function () { sendEntry(entry); }, (ack.retry_after || 5) * 1000);
      } else {
        outbox.drop(entry.client_id);
        view.removePending(entry.client_id);
        composer.restore(entry.body);
        composer.showError(ack.message);
        if (ack.error === "guidelines") window.location.assign(room.guidelinesUrl);
      }
      if (done) done();
    });
  }

  /** Queue a message in the outbox and send it now if the room is joined. */
  function post(text, replyTo) {
    const entry = { client_id: uuid(), body: text.slice(0, room.maxBody), at: Date.now() };
    if (replyTo) entry.reply_to = replyTo;
    outbox.add(entry);
    if (socket.connected && joined) sendEntry(entry);
    else view.showPending(entry, S.offline);
  }

  function typing() {
    const now = Date.now();
    if (socket.connected && joined && now - lastTypingSent > TYPING_EVERY_MS) {
      lastTypingSent = now;
      socket.emit("typing", { room: slug });
    }
  }

  // --- reading history and read markers ---------------------------------------------------

  view.onOlderWanted(function (before, keepPlace) {
    if (!socket.connected) return;
    socket.timeout(ACK_TIMEOUT_MS).emit("history", { room: slug, before_id: before, limit: 50 }, function (err, ack) {
      if (err || !ack.ok) return;
      const fresh = ack.messages.filter(function (m) { return !view.has(m.id); });
      ack.messages.forEach(function (m) { receive(m, false); });
      if (room.onBatch) room.onBatch(fresh);
      keepPlace();
      view.setOlder(ack.has_more);
    });
  });

  function scheduleRead() {
    if (document.visibilityState !== "visible") return;
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(function () {
      const newest = view.newestId();
      if (newest && socket.connected) socket.emit("read", { room: slug, last_id: newest });
    }, READ_AFTER_MS);
  }
  document.addEventListener("visibilitychange", scheduleRead);

  return {
    post: post,
    typing: typing,
    unsent: outbox.read,
    /** A moderation-tool request (edit, delete, flag) with its ack callback. */
    request: function (event, payload, callback) { socket.emit(event, payload, callback); },
    /** Listen to a server event (the conversation's events: convo.js). */
    on: function (event, handler) { socket.on(event, handler); }
  };
}

/** Show, above the conversation, the link to the private thread a staff member just wrote in
 * (text only; a path on this site only, never another origin). */
function showStaffNote(n) {
  if (typeof n.url !== "string" || !n.url.startsWith("/") || n.url.startsWith("//")) return;
  const link = document.getElementById("staff-note-link");
  if (!link || typeof n.text !== "string") return;
  link.href = n.url;
  link.textContent = n.text;
  document.getElementById("staff-note").classList.remove("is-hidden");
}
