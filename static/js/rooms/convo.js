/* The conversation around messages (issue 12): replies, support reactions and @mention
 * suggestions. The page's plain forms and links work without JavaScript; this module sends
 * the same things over the socket (`react`, `send` with `reply_to`, `context`) and keeps the
 * quotes and counts current from `message_context` and `reactions`. Text is set with
 * textContent only. */
import { fmt } from "../common.js";

const KINDS = ["support", "thanks", "me_too"];

export function setupConversation(root, room, chat) {
  const S = room.strings;
  const list = document.getElementById("messages");
  const replyField = document.getElementById("composer-reply-to");
  const replyBox = document.getElementById("composer-reply");
  const replyText = document.getElementById("composer-reply-text");
  const bodyInput = document.getElementById("composer-body");
  const suggestions = document.getElementById("mention-suggestions");
  const membersUrl = root.dataset.membersUrl;

  // --- replies ---------------------------------------------------------------------------
  function startReply(id) {
    const li = document.getElementById("m-" + id);
    if (!li) return;
    replyField.value = String(id);
    const label = document.createElement("span");
    label.className = "msg-reply-label";
    label.textContent = fmt(S.in_reply_to, { name: li.querySelector(".msg-author").textContent });
    const body = li.querySelector(".msg-body").textContent.replace(/\s+/g, " ").trim();
    replyText.replaceChildren(label, " " + (body.length > 140 ? body.slice(0, 139) + "…" : body));
    replyBox.classList.remove("is-hidden");
    bodyInput.focus();
  }
  function cancelReply() {
    replyField.value = "";
    replyText.replaceChildren();
    replyBox.classList.add("is-hidden");
  }
  document.getElementById("composer-reply-cancel").addEventListener("click", function (event) {
    event.preventDefault();
    cancelReply();
    bodyInput.focus();
  });

  function setReply(li, reply) {
    let p = li.querySelector(".msg-reply");
    if (!reply) return;
    if (!p) {
      p = document.createElement("p");
      p.className = "msg-reply";
      li.querySelector(".msg-body").before(p);
    }
    if (reply.removed) { p.textContent = S.reply_removed; return; }
    const a = document.createElement("a");
    a.href = "?before=" + (reply.id + 1) + "#m-" + reply.id;
    a.dataset.original = reply.id;
    const label = document.createElement("span");
    label.className = "msg-reply-label";
    label.textContent = fmt(S.in_reply_to, { name: reply.author });
    a.append(label, " " + reply.excerpt);
    p.replaceChildren(a);
  }

  function setMentionsMe(li, yes) {
    if (!yes || li.querySelector(".msg-mention-note")) return;
    const p = document.createElement("p");
    p.className = "msg-mention-note";
    p.textContent = S.mentions_you;
    li.querySelector(".msg-body").before(p);
  }

  // --- reactions -------------------------------------------------------------------------
  function actionsFor(li) {
    let group = li.querySelector(".msg-reactions");
    if (group) return group;
    group = document.createElement("div");
    group.className = "msg-reactions";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", S.reactions);
    KINDS.forEach(function (kind) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reaction";
      b.dataset.kind = kind;
      b.setAttribute("aria-pressed", "false");
      const count = document.createElement("span");
      count.className = "reaction-count";
      count.textContent = "0";
      b.append(S.reaction_labels[kind] + " ", count);
      group.append(b);
    });
    if (room.isModerator) {
      const options = document.createElement("a");
      options.className = "msg-options";
      options.href = root.dataset.messagesUrl + li.dataset.id;
      options.textContent = S.pin_or_react;
      group.append(options);
    }
    const reply = document.createElement("a");
    reply.className = "msg-reply-link";
    reply.href = "?reply_to=" + li.dataset.id + "#composer";
    reply.dataset.reply = li.dataset.id;
    reply.textContent = S.reply;
    group.append(reply);
    li.querySelector(".msg-body").after(group);
    return group;
  }

  function setCounts(li, counts, mine) {
    const group = actionsFor(li);
    group.querySelectorAll("button.reaction").forEach(function (b) {
      b.querySelector(".reaction-count").textContent = String((counts && counts[b.dataset.kind]) || 0);
      if (mine) b.setAttribute("aria-pressed", mine.indexOf(b.dataset.kind) >= 0 ? "true" : "false");
    });
  }

  function apply(item) {
    const li = document.getElementById("m-" + item.id);
    if (!li) return;
    if (item.reply_to) setReply(li, item.reply_to);
    if (item.mentions_me || (item.mentions || []).some(function (m) { return m.id === room.me; })) setMentionsMe(li, true);
    if (item.reactions) setCounts(li, item.reactions, item.mine);
  }

  list.addEventListener("click", function (event) {
    const reaction = event.target.closest("button.reaction");
    if (reaction) {
      event.preventDefault();
      const li = reaction.closest("li.msg");
      chat.request("react", { message_id: Number(li.dataset.id), kind: reaction.dataset.kind }, function (ack) {
        if (ack.ok) setCounts(li, ack.counts, ack.mine);
        else chat.announce(ack.message);
      });
      return;
    }
    const reply = event.target.closest("a.msg-reply-link");
    if (reply) { event.preventDefault(); startReply(Number(reply.dataset.reply)); return; }
    // A quote's link opens the page of messages that holds the original; when it is shown
    // here already, go to it in place.
    const quote = event.target.closest(".msg-reply a[data-original]");
    const original = quote && document.getElementById("m-" + quote.dataset.original);
    if (original) {
      event.preventDefault();
      original.scrollIntoView({ block: "center" });
      original.setAttribute("tabindex", "-1");
      original.focus();
    }
  });

  // Live messages get the same reactions and reply link as the server-rendered ones.
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.nodeType === 1 && node.matches("li.msg[data-id]")) actionsFor(node);
      });
    });
  }).observe(list, { childList: true });

  chat.on("message_context", function (data) { if (data.room === room.slug) apply(data); });
  chat.on("reactions", function (data) {
    const li = data.room === room.slug && document.getElementById("m-" + data.id);
    if (li) setCounts(li, data.counts, null);
  });

  // A moderator pinned or unpinned a message: the list at the top follows.
  chat.on("pins", function (data) {
    if (data.room !== room.slug) return;
    const section = document.getElementById("pins");
    const items = data.pins.map(function (pin) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "?before=" + (pin.id + 1) + "#m-" + pin.id;
      a.textContent = pin.excerpt;
      li.append(a);
      return li;
    });
    document.getElementById("pins-list").replaceChildren.apply(document.getElementById("pins-list"), items);
    section.classList.toggle("is-hidden", items.length === 0);
  });

  /** Messages that came by catch-up or history: ask for their replies and reactions. */
  function fetchContext(ids) {
    if (!ids.length) return;
    chat.request("context", { room: room.slug, ids: ids.slice(0, 200) }, function (ack) {
      if (ack.ok) ack.items.forEach(apply);
    });
  }

  // --- @mention suggestions ---------------------------------------------------------------
  let lastQuery = null;
  function mentionQuery() {
    const before = bodyInput.value.slice(0, bodyInput.selectionStart);
    const match = /(?:^|\s)@([^\s@]{0,30})$/.exec(before);
    return match ? match[1] : null;
  }
  function showSuggestions(names) {
    suggestions.querySelector("ul").replaceChildren();
    names.forEach(function (name) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "button button-small button-secondary";
      b.textContent = "@" + name;
      b.addEventListener("click", function () { insertMention(name); });
      li.append(b);
      suggestions.querySelector("ul").append(li);
    });
    suggestions.classList.toggle("is-hidden", names.length === 0);
  }
  function insertMention(name) {
    const at = bodyInput.selectionStart;
    const before = bodyInput.value.slice(0, at).replace(/@([^\s@]{0,30})$/, "@" + name + " ");
    bodyInput.value = before + bodyInput.value.slice(at);
    bodyInput.focus();
    bodyInput.setSelectionRange(before.length, before.length);
    showSuggestions([]);
  }
  bodyInput.addEventListener("input", function () {
    const query = mentionQuery();
    if (query === null) { lastQuery = null; showSuggestions([]); return; }
    if (query === lastQuery) return;
    lastQuery = query;
    fetch(membersUrl + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { names: [] }; })
      .then(function (data) { if (lastQuery === query) showSuggestions(data.names || []); })
      .catch(function () { showSuggestions([]); });
  });

  return {
    /** The message being answered (for the next send), cleared once taken. */
    takeReplyTo: function () {
      const id = Number(replyField.value) || null;
      cancelReply();
      return id;
    },
    fetchContext: fetchContext
  };
}
