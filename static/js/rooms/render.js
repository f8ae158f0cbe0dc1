/* The room's message list and status lines. Nothing else writes to them. */
import { fmt, makeTimeFormat, plural, textOf } from "../common.js";

const EDIT_WINDOW_MS = 10 * 60 * 1000;
const TYPING_SHOWN_MS = 4000;

export function createView(root, room) {
  const S = room.strings;
  const list = document.getElementById("messages");
  const composer = document.getElementById("composer");
  const announcer = document.getElementById("announcer");
  const connection = document.getElementById("connection");
  const typingLine = document.getElementById("typing");
  const onlineList = document.getElementById("online");
  const olderButton = document.getElementById("load-older");
  const roomState = document.getElementById("room-state");
  const timeFormat = makeTimeFormat(root.dataset.locale, root.dataset.timezone);
  let hasMore = room.hasMore;
  let typingTimer = null;

  // The server's format (portal/templating.py message_time): a plain space before AM/PM.
  function messageTime(iso) {
    return timeFormat.format(new Date(iso)).replace(/\u202f/g, " ");
  }

  function ids() {
    return Array.prototype.map.call(list.querySelectorAll("li.msg[data-id]"), function (li) { return Number(li.dataset.id); });
  }
  function newestId() { const all = ids(); return all.length ? Math.max.apply(null, all) : null; }
  function oldestId() { const all = ids(); return all.length ? Math.min.apply(null, all) : null; }
  function has(id) { return document.getElementById("m-" + id) !== null; }

  function buildMessage(m) {
    const li = document.createElement("li");
    li.className = "msg" + (m.author.id === room.me ? " msg-own" : "");
    li.id = "m-" + m.id;
    li.dataset.id = m.id;
    li.dataset.authorId = m.author.id;
    li.dataset.created = m.created_at;
    const meta = document.createElement("p");
    meta.className = "msg-meta";
    const author = document.createElement("span");
    author.className = "msg-author";
    author.textContent = m.author.display_name;
    const time = document.createElement("time");
    time.dateTime = m.created_at;
    time.textContent = messageTime(m.created_at);
    meta.append(author, " ");
    if (m.author_badge) {
      const badge = document.createElement("span");
      badge.className = "msg-badge msg-badge-" + m.author_badge.role;
      badge.textContent = m.author_badge.label; // from the author's role, never their name
      meta.append(badge, " ");
    }
    meta.append(time);
    if (m.edited_at) meta.append(" ", editedMark());
    const body = document.createElement("div");
    body.className = "msg-body";
    if (root.dataset.roomLanguage) body.lang = root.dataset.roomLanguage;  // the room's language
    body.innerHTML = m.body_html; // the server's sanitized HTML (portal/sanitize.py)
    li.append(meta, body);
    addTools(li);
    return li;
  }

  function editedMark() {
    const span = document.createElement("span");
    span.className = "msg-edited";
    span.textContent = S.edited;
    return span;
  }

  function addTools(li) {
    if (li.querySelector(".msg-tools")) return;
    const tools = document.createElement("div");
    tools.className = "msg-tools";
    tools.setAttribute("role", "group");
    tools.setAttribute("aria-label", S.actions_for);
    const own = Number(li.dataset.authorId) === room.me;
    if (own && Date.now() - Date.parse(li.dataset.created) < EDIT_WINDOW_MS) tools.append(toolButton(S.edit, "edit"));
    if (own) tools.append(toolButton(S.delete, "delete"));
    if (!own) tools.append(toolButton(S.flag, "flag"));
    li.append(tools);
  }

  function toolButton(label, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link-button msg-tool";
    b.dataset.action = action;
    b.textContent = label;
    return b;
  }

  /** Show a message in id order (never twice); a live one is announced and scrolled to. */
  function insertMessage(m, live) {
    if (m.author.id === room.me && m.client_id) {
      const pending = findPending(m.client_id);
      if (pending) pending.remove();
    }
    const li = buildMessage(m);
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    let after = null;
    list.querySelectorAll("li.msg[data-id]").forEach(function (other) {
      if (Number(other.dataset.id) > m.id && after === null) after = other;
    });
    list.insertBefore(li, after || list.querySelector("li.pending"));
    const empty = document.getElementById("empty-room");
    if (empty) empty.remove();
    if (live) {
      if (m.author.id !== room.me) announce(fmt(S.new_message, { name: m.author.display_name }) + " " + textOf(m.body_html));
      if (nearBottom || m.author.id === room.me) list.scrollTop = list.scrollHeight;
    }
  }

  function editMessage(m) {
    const li = document.getElementById("m-" + m.id);
    if (!li) return;
    li.querySelector(".msg-body").innerHTML = m.body_html; // sanitized on the server
    if (!li.querySelector(".msg-edited")) li.querySelector(".msg-meta").append(" ", editedMark());
  }

  function removeMessage(id) {
    const li = document.getElementById("m-" + id);
    if (li) { li.remove(); announce(S.removed); }
  }

  function findPending(clientId) {
    return list.querySelector('li.pending[data-client-id="' + CSS.escape(clientId) + '"]');
  }

  /** A message of ours the server has not confirmed yet, with its state ("Sending…"). */
  function showPending(entry, state) {
    let li = findPending(entry.client_id);
    if (!li) {
      li = document.createElement("li");
      li.className = "msg msg-own pending";
      li.dataset.clientId = entry.client_id;
      const body = document.createElement("div");
      body.className = "msg-body";
      if (root.dataset.roomLanguage) body.lang = root.dataset.roomLanguage;
      body.textContent = entry.body;
      const status = document.createElement("p");
      status.className = "msg-meta pending-status";
      li.append(body, status);
      list.append(li);
      list.scrollTop = list.scrollHeight;
    }
    li.querySelector(".pending-status").textContent = state;
    return li;
  }

  function removePending(clientId) {
    const li = findPending(clientId);
    if (li) li.remove();
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
      const li = document.createElement("li");
      li.textContent = name;
      onlineList.append(li);
    });
  }

  function setMayPost(state) {
    const open = state === true || (state === "locked" && room.isModerator);
    composer.classList.toggle("is-hidden", !open);
  }

  function setRoomState(data) {
    let text = "";
    if (data.archived || data.locked) text = S.locked;
    else if (data.slow_mode_seconds) text = fmt(plural(S.slow_mode, data.slow_mode_seconds), { num: data.slow_mode_seconds, n: data.slow_mode_seconds });
    roomState.textContent = text;
    roomState.classList.toggle("is-hidden", !text);
  }

  function showTyping(name) {
    typingLine.textContent = fmt(S.typing, { name: name });
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, TYPING_SHOWN_MS);
  }

  function setOlder(more) {
    hasMore = more;
    olderButton.classList.toggle("is-hidden", !more);
    const oldest = oldestId();
    if (oldest !== null) olderButton.search = "?before=" + oldest; // the no-JavaScript way, kept true
  }

  /** Older messages loaded in place: `load(done)` fetches them; the reader keeps their place. */
  function onOlderWanted(load) {
    function wanted(event) {
      if (event && event.type === "click") event.preventDefault();
      if (!hasMore || oldestId() === null) return;
      const height = list.scrollHeight;
      load(oldestId(), function () { list.scrollTop = list.scrollHeight - height; });
    }
    // The "Show older messages" link works without JavaScript (a page of older messages).
    olderButton.addEventListener("click", wanted);
    list.addEventListener("scroll", function () { if (list.scrollTop === 0) wanted(); });
  }

  /** Server-rendered messages get their tools, unsent ones show, and the view starts at the
   * newest message (or at the first unread message, which carries the "New messages" heading). */
  function showStart(unsent) {
    list.querySelectorAll("li.msg[data-id]").forEach(addTools);
    unsent.forEach(function (entry) { showPending(entry, S.offline); });
    const firstUnread = list.querySelector("li.msg-first-unread");
    if (firstUnread) list.scrollTop = firstUnread.offsetTop - list.offsetTop - 8;
    else list.scrollTop = list.scrollHeight;
  }

  return {
    list: list,
    has: has,
    newestId: newestId,
    insertMessage: insertMessage,
    editMessage: editMessage,
    removeMessage: removeMessage,
    showPending: showPending,
    removePending: removePending,
    announce: announce,
    setConnection: setConnection,
    setOnline: setOnline,
    setMayPost: setMayPost,
    setRoomState: setRoomState,
    showTyping: showTyping,
    setOlder: setOlder,
    onOlderWanted: onOlderWanted,
    showStart: showStart
  };
}
