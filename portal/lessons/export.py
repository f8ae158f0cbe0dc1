"""Exporting a learner's own reflections as Markdown or PDF, in the reader's language (the
request's locale; dates by Babel)."""

from flask_babel import format_date
from flask_babel import gettext as _

from portal.clock import utcnow
from portal.pdf import UnicodePDF


def _title(user):
    return _("My reflections — %(name)s", name=user.display_name)


def _exported():
    return _("Exported %(date)s.", date=format_date(utcnow(), "long"))


def _changed(moment):
    return _("Last changed %(date)s", date=format_date(moment, "long"))


def reflections_markdown(user, reflections, worksheets=()):
    """`worksheets`: [(sheet, answers, entry)] as portal.lessons.worksheets.filled gives them."""
    lines = [f"# {_title(user)}", "", _exported(), ""]
    current_module = None
    for reflection in reflections:
        lesson = reflection.lesson
        if lesson.module.title != current_module:
            current_module = lesson.module.title
            lines += [f"## {current_module}", ""]
        lines += [f"### {lesson.title}", ""]
        if lesson.reflection_prompt:
            lines += [f"> {lesson.reflection_prompt}", ""]
        lines += [reflection.body.strip(), "", f"_{_changed(reflection.updated_at)}_", ""]
    if not reflections:
        lines += [_("You have not written any reflections yet."), ""]
    if worksheets:
        lines += [f"## {_('My worksheets')}", ""]
    for sheet, answers, entry in worksheets:
        lines += [f"### {sheet.title}", ""]
        for field in sheet.fields:
            lines += [f"**{field.label}**", "", answers[field.name] or "—", ""]
        lines += [f"_{_changed(entry.updated_at)}_", ""]
    return "\n".join(lines).rstrip() + "\n"


def reflections_pdf(user, reflections, worksheets=()):
    pdf = UnicodePDF()
    shown = pdf.printable
    pdf.set_title(_("My reflections"))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.use("B", 18)
    pdf.multi_cell(0, 10, shown(_title(user)), new_x="LMARGIN", new_y="NEXT")
    pdf.use("", 10)
    pdf.multi_cell(0, 6, shown(_exported()), new_x="LMARGIN", new_y="NEXT")
    for reflection in reflections:
        lesson = reflection.lesson
        pdf.ln(4)
        pdf.use("B", 13)
        pdf.multi_cell(0, 7, shown(f"{lesson.module.title}: {lesson.title}"), new_x="LMARGIN", new_y="NEXT")
        if lesson.reflection_prompt:
            pdf.use("I", 10)
            pdf.multi_cell(0, 6, shown(lesson.reflection_prompt), new_x="LMARGIN", new_y="NEXT")
        pdf.use("", 11)
        pdf.multi_cell(0, 6, shown(reflection.body), new_x="LMARGIN", new_y="NEXT")
    if not reflections:
        pdf.use("", 11)
        pdf.multi_cell(0, 6, shown(_("You have not written any reflections yet.")), new_x="LMARGIN", new_y="NEXT")
    if worksheets:
        pdf.ln(6)
        pdf.use("B", 16)
        pdf.multi_cell(0, 9, shown(_("My worksheets")), new_x="LMARGIN", new_y="NEXT")
    for sheet, answers, entry in worksheets:
        pdf.ln(4)
        pdf.use("B", 13)
        pdf.multi_cell(0, 7, shown(str(sheet.title)), new_x="LMARGIN", new_y="NEXT")
        for field in sheet.fields:
            pdf.use("B", 10)
            pdf.multi_cell(0, 6, shown(str(field.label)), new_x="LMARGIN", new_y="NEXT")
            pdf.use("", 11)
            pdf.multi_cell(0, 6, shown(answers[field.name] or "-"), new_x="LMARGIN", new_y="NEXT")
        pdf.use("I", 9)
        pdf.multi_cell(0, 5, shown(_changed(entry.updated_at)), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
