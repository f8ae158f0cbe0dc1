"""The accounting of disclosures as a print-ready PDF and as CSV."""

import csv
import io

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from fpdf.fonts import FontFace

from portal.pdf import UnicodePDF

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as text a spreadsheet shows as text: a leading formula character gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def day_text(day, style="medium"):
    return format_date(day, style)


def moment_text(at):
    """A time already in the accounting's zone, shown as it is (not moved to the viewer's zone)."""
    return format_datetime(at.replace(tzinfo=None), "short", rebase=False)


def part2_notice():
    return [
        _(
            "This accounting comes from records protected by federal law on confidentiality of substance use "
            "disorder patient records (42 CFR Part 2). It may not be shared with anyone else unless the person "
            "it is about gives written consent or the law allows it."
        ),
        _(
            "A general authorization to release medical or other information is not enough for this. The law "
            "also forbids using this information to investigate or prosecute the person for a crime."
        ),
    ]


def accounting_csv(report):
    """One header row, then one row per person, day and kind of disclosure, then every consent change."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Kind"), _("Person"), _("Date"), _("What"), _("Times"), _("Done by"), _("Consent")])
    for person in report.people:
        for row in person.rows:
            writer.writerow(
                [safe_cell(v) for v in (_("Disclosure"), person.name, row.day.isoformat(), row.what, row.count, "", "")]
            )
    for change in report.changes:
        cells = (_("Consent change"), "", change.at.isoformat(timespec="minutes"), change.what, "", change.who)
        writer.writerow([safe_cell(v) for v in (*cells, change.consent)])
    return out.getvalue()


class _AccountingPDF(UnicodePDF):
    def __init__(self, footer_text):
        super().__init__()
        self.footer_text = footer_text

    def footer(self):
        self.set_y(-14)
        self.use("", 8)
        self.set_text_color(90)
        page = _("Page %(number)s of %(total)s", number=self.page_no(), total="{nb}")
        self.cell(0, 5, self.printable(f"{self.footer_text} · {page}"), align="C")
        self.set_text_color(0)

    def line_of(self, style, size, text, height=6):
        self.use(style, size)
        self.multi_cell(0, height, self.printable(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text):
        self.ln(3)
        self.line_of("B", 13, text, height=8)

    def table(self, widths, header, rows):
        self.use("", 9.5)
        heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
        with super().table(col_widths=widths, text_align="LEFT", line_height=5.5, headings_style=heading) as t:
            for cells in [header, *rows]:
                t.row([self.printable(str(c)) for c in cells])


def accounting_pdf(report, *, center_name, produced_on):
    """A Letter-size document the counselor can hand to the client."""
    client = report.client
    pdf = _AccountingPDF(
        footer_text=_("Accounting of disclosures for %(name)s", name=client.full_name),
    )
    pdf.set_title(_("Accounting of disclosures"))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.line_of("B", 11, center_name)
    pdf.line_of("B", 18, _("Accounting of disclosures"), height=10)
    for text in _facts(report, produced_on):
        pdf.line_of("", 10, text)
    pdf.ln(1)
    pdf.line_of("I", 9, _intro(), height=5)
    _disclosures(pdf, report)
    _changes(pdf, report)
    pdf.heading(_("Please keep this private"))
    for paragraph in part2_notice():
        pdf.line_of("", 9, paragraph, height=5)
    return bytes(pdf.output())


def _facts(report, produced_on):
    client, period = report.client, report.period
    return [
        _("Client: %(name)s", name=client.full_name)
        + (" · " + _("Record %(number)s", number=client.record_number) if client.record_number else ""),
        _("Program: %(program)s", program=client.program.name),
        _(
            "Period: %(start)s to %(end)s (times in %(zone)s)",
            start=day_text(period.start, "long"),
            end=day_text(period.end, "long"),
            zone=report.zone.key.replace("_", " "),
        ),
        _("Produced on %(day)s", day=day_text(produced_on, "long")),
    ]


def _intro():
    return _(
        "Every time a family member saw information about the client in the portal under a consent the client "
        "signed, grouped by person and day, and every change to those consents."
    )


def _disclosures(pdf, report):
    pdf.heading(_("Who saw information, and when"))
    if not report.people:
        pdf.line_of("", 10, _("Nobody saw information about the client in this period."))
    for person in report.people:
        pdf.line_of("B", 11, person.name, height=7)
        rows = [(day_text(r.day), r.what, r.count) for r in person.rows]
        pdf.table((30, 130, 20), (_("Day"), _("What they saw"), _("Times")), rows)
        pdf.ln(2)


def _changes(pdf, report):
    pdf.heading(_("Consent changes"))
    if not report.changes:
        pdf.line_of("", 10, _("No consent changes in this period."))
        return
    rows = [(moment_text(c.at), c.what, c.who, c.consent) for c in report.changes]
    pdf.table((34, 76, 32, 38), (_("When"), _("What happened"), _("Done by"), _("Consent")), rows)
