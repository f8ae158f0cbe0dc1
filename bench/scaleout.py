"""Scale-out: the same load on one server process and on two processes sharing Redis.

Chat: N receivers (spread round-robin over the processes) in one room, one sender on the
first process, 5 msg/s — with two processes every message crosses the Redis message queue
to reach half of the receivers. Pages: the room page under the same total HTTP load
(two load generators at once), aimed at one process or split over two.
"""

import threading

from bench import chat_fanout, pages


def fanout(urls, *, clients, rate, seconds, room, sender_cookie, receiver_cookies):
    return chat_fanout.run(
        urls,
        clients=clients,
        rate=rate,
        seconds=seconds,
        room=room,
        sender_cookie=sender_cookie,
        receiver_cookies=receiver_cookies,
    )


def page_load(urls, path, cookie, duration):
    """Two load generators at once, aimed at urls[0] and urls[-1] (the same process when
    there is one); returns the total requests per second."""
    results = [None, None]

    def one(i, base):
        results[i] = pages.measure(f"{base}{path}", cookie, duration=duration, connections=pages.CONNECTIONS // 2)

    threads = [threading.Thread(target=one, args=(i, base)) for i, base in enumerate((urls[0], urls[-1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "rps": sum(r["rps"] for r in results),
        "non_2xx": sum(r["non_2xx"] for r in results),
        "generator": results[0]["generator"],
    }
