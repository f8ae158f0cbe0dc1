"""Dashboard panels: each feature contributes panels for the roles it serves.

A feature registers a callable `panel(user) -> dict | None` with `register_panel`; the
dashboard shows only what exists and what the user may use. A panel may name a template to
`include` inside its card (it sees the panel as `panel`), for a small form such as a question.
"""

_PANELS = []


def register_panel(func):
    _PANELS.append(func)
    return func


def panels_for(user):
    """The user's panels, what needs attention first: a panel may say `priority` (lower comes
    first; default 50), and may list `entries` ({label, url, details, note}) besides `links`."""
    panels = []
    for func in _PANELS:
        panel = func(user)
        if panel:
            panels.append(panel)
    return sorted(panels, key=lambda panel: panel.get("priority", 50))
