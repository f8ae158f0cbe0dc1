"""The family roles a family member may choose (users.family_role); each has a recommended
lesson path (portal/lessons/tracks.py, portal/content/tracks.yaml)."""

from flask_babel import lazy_gettext as _l

FAMILY_ROLES = {
    "parent_teen": _l("Parent of a teenager"),
    "parent_adult_child": _l("Parent of an adult child (living at home or not)"),
    "partner": _l("Partner or spouse"),
    "adult_child": _l("Adult child of a parent in treatment"),
    "sibling": _l("Brother or sister"),
    "other": _l("Other family member or friend"),
}


def role_choices():
    """(value, label) pairs for a select field, in the order above."""
    return list(FAMILY_ROLES.items())


def role_label(role):
    return FAMILY_ROLES.get(role, "")
