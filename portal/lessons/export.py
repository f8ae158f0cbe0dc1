"""Exporting a learner's own reflections as Markdown or PDF."""

from portal.clock import utcnow
from portal.pdf import UnicodePDF


def reflections_markdown(user, reflections, worksheets=()):
    """`worksheets`: [(sheet, answers, entry)] as portal.lessons.worksheets.filled gives them."""
    lines = [f"# My reflections — {user.display_name}", "", f"Exported {utcnow():%Y-%m-%d}.", ""]
    current_module = None
    for reflection in reflections:
        lesson = reflection.lesson
        if lesson.module.title != current_module:
            current_module = lesson.module.title
            lines += [f"## {current_module}", ""]
        lines += [f"### {lesson.title}", ""]
        if lesson.reflection_prompt:
            lines += [f"> {lesson.reflection_prompt}", ""]
        lines += [reflection.body.strip(), "", f"_Last changed {reflection.updated_at:%Y-%m-%d}_", ""]
    if not reflections:
        lines += ["You have not written any reflections yet.", ""]
    if worksheets:
        lines += ["## My worksheets", ""]
    for sheet, answers, entry in worksheets:
        lines += [f"### {sheet.title}", ""]
        for field in sheet.fields:
            lines += [f"**{field.label}**", "", answers[field.name] or "—", ""]
        lines += [f"_Last changed {entry.updated_at:%Y-%m-%d}_", ""]
    return "\n".join(lines).rstrip() + "\n"


def reflections_pdf(user, reflections, worksheets=()):
    pdf = UnicodePDF()
    shown = pdf.printable
    pdf.set_title("My reflections")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.use("B", 18)
    pdf.multi_cell(0, 10, shown(f"My reflections — {user.display_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.use("", 10)
    pdf.multi_cell(0, 6, f"Exported {utcnow():%Y-%m-%d}.", new_x="LMARGIN", new_y="NEXT")
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
        pdf.multi_cell(0, 6, "You have not written any reflections yet.", new_x="LMARGIN", new_y="NEXT")
    if worksheets:
        pdf.ln(6)
        pdf.use("B", 16)
        pdf.multi_cell(0, 9, "My worksheets", new_x="LMARGIN", new_y="NEXT")
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
        pdf.multi_cell(0, 5, f"Last changed {entry.updated_at:%Y-%m-%d}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
