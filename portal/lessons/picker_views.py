"""What templates need for the lesson picker (templates/lessons/_picker.html)."""

from portal.lessons import bp, picker


@bp.app_template_global("lesson_picks")
def lesson_picks(values):
    """The chosen lessons and modules, with titles and preview links, for the picker's list."""
    return picker.picks(picker.split_values(values if isinstance(values, list | tuple) else [values] if values else []))
