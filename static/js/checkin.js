/* Family Bridge — a private check-in thread, live (docs/realtime.md, "Private check-ins").
 *
 * Progressive enhancement: the server renders the posts and the answer form posts normally;
 * this script only adds the posts that arrive while the page is open (`checkin_post`) and,
 * after every (re)connect, those it missed (`checkin_posts` from the newest one shown). Post
 * HTML is only ever the server's sanitized body_html; names go in with textContent. New posts
 * are announced politely (an aria-live region). */
import { ACK_TIMEOUT_MS, fmt, makeTimeFormat, readStrings, textOf } from "./common.js";
import { showNotification } from "./notifications.js";

const root = document.getElementById("checkin");
if (root && typeof io !== "undefined") follow(root);

function follow(root) {
  const S = readStrings("checkin-strings");
  const checkin = Number(root.dataset.checkin);
  const list = document.getElementById("checkin-posts");
  const status = document.getElementById("checkin-connection");
  const announcer = document.getElementById("checkin-announcer");
  const timeFormat = makeTimeFormat(root.dataset.locale, root.dataset.timezone);
  const socket = io("/chat", { reconnectionDelayMax: 5000 });

  function setStatus(text) {
    status.textContent = text;
    status.classList.toggle("is-hidden", !text);
  }

  function newestId() {
    const ids = Array.from(list.children, function (li) { return Number(li.dataset.id) || 0; });
    return ids.length ? Math.max.apply(null, ids) : null;
  }

  function render(post) {
    const li = document.createElement("li");
    li.className = "msg";
    li.id = "p-" + post.id;
    li.dataset.id = String(post.id);
    const meta = document.createElement("p");
    meta.className = "msg-meta";
    const author = document.createElement("span");
    author.className = "msg-author";
    author.textContent = post.author.display_name;
    meta.append(author, " ");
    if (post.staff) {
      const badge = document.createElement("span");
      badge.className = "msg-badge";
      badge.textContent = S.staff;
      meta.append(badge, " ");
    }
    const time = document.createElement("time");
    time.dateTime = post.created_at;
    time.textContent = timeFormat.format(new Date(post.created_at));
    meta.append(time);
    const body = document.createElement("div");
    body.className = "msg-body";
    body.innerHTML = post.body_html; // sanitized on the server (portal/sanitize.py)
    li.append(meta, body);
    return li;
  }

  /** Show a post once, in id order, and announce it. */
  function add(post) {
    if (!post || post.checkin !== checkin || !Number.isInteger(post.id)) return;
    if (document.getElementById("p-" + post.id)) return;
    const later = Array.from(list.children).find(function (li) { return Number(li.dataset.id) > post.id; });
    list.insertBefore(render(post), later || null);
    announcer.textContent = fmt(S.new_message, { name: post.author.display_name }) + " " + textOf(post.body_html);
  }

  /** Ask for the posts after the newest one shown, until none are left (after each connect). */
  function catchUp() {
    socket.timeout(ACK_TIMEOUT_MS).emit("checkin_posts", { checkin: checkin, after_id: newestId() }, function (err, ack) {
      if (err || !ack || !ack.ok) return; // the page still shows what the server rendered
      ack.posts.forEach(add);
      if (ack.has_more) catchUp();
    });
  }

  socket.on("connect", function () { setStatus(""); catchUp(); });
  // A refused connection is not retried by Socket.IO itself; "unavailable" means try again.
  socket.on("connect_error", function (err) {
    if (err && err.message === "unavailable") {
      setStatus(S.reconnecting);
      window.setTimeout(function () { socket.connect(); }, 5000);
    }
  });
  socket.on("disconnect", function (reason) {
    setStatus(reason === "io server disconnect" ? S.signed_out : S.reconnecting);
  });
  socket.on("session_ended", function () { setStatus(S.signed_out); });
  socket.on("checkin_post", add);
  socket.on("notification", showNotification);
}
