"""The community guidelines, versioned: a new version asks everyone to accept again.

The guidelines are one text in each language the portal speaks (the same rules, the same
version): a change to one is a change to all, and a new VERSION."""

from flask_babel import get_locale

from portal.sanitize import markdown_to_html

VERSION = "2026-11"

TEXT = """\
These rooms are for family members supporting someone in an Intensive Outpatient Program.
They work because people are kind to each other. By joining in, you agree to these guidelines.

1. **Be kind.** Everyone here is carrying something heavy. Disagree gently, and never mock,
   shame or threaten anyone.
2. **Protect privacy — yours and others'.** Use your display name, not your full name. Never
   share anyone's name, photo, address, or details of their treatment. What is said here
   stays here.
3. **Share your own experience.** Speak from "I" rather than telling others what to do. This
   is not the place for medical or legal advice.
4. **No selling, spam or recruiting.** No links to products, services or fundraisers.
5. **If you are in danger, get help now.** These rooms are not watched around the clock. In an
   emergency call 911. The 988 Suicide & Crisis Lifeline answers calls and texts at 988, and
   the SAMHSA National Helpline (free, confidential, 24/7) is 1-800-662-4357.

Moderators may hold, hide or remove messages, and may mute, ban or suspend people who break
these guidelines. You will always be told when a moderator acts on something you wrote.
New members' first few messages in each room are read by a moderator before they appear.
"""


TEXTO = """\
Estas salas son para familiares que apoyan a alguien en un programa intensivo ambulatorio (IOP,
por sus siglas en inglés). Funcionan porque las personas se tratan con amabilidad. Al participar,
usted acepta estas normas.

1. **Sea amable.** Todas las personas aquí llevan una carga pesada. Si no está de acuerdo, dígalo
   con respeto, y nunca se burle, avergüence ni amenace a nadie.
2. **Proteja la privacidad, la suya y la de los demás.** Use su nombre visible, no su nombre
   completo. Nunca comparta el nombre, la foto, la dirección ni detalles del tratamiento de otra
   persona. Lo que se dice aquí, se queda aquí.
3. **Comparta su propia experiencia.** Hable desde el "yo" en lugar de decirles a los demás qué
   hacer. Este no es el lugar para consejos médicos ni legales.
4. **No se permiten ventas, publicidad no deseada ni reclutamiento.** No publique enlaces a
   productos, servicios ni colectas de dinero.
5. **Si está en peligro, busque ayuda ahora.** Nadie vigila estas salas a toda hora. En una
   emergencia, llame al 911. La 988 Línea de Prevención del Suicidio y Crisis atiende llamadas y
   mensajes de texto en el 988 (en español: llame al 988 y marque 2, o envíe un mensaje de texto
   con la palabra AYUDA al 988), y la Línea Nacional de Ayuda de SAMHSA (gratis, confidencial,
   24 horas, en inglés y en español) es el 1-800-662-4357.

Los moderadores pueden retener, ocultar o eliminar mensajes, y pueden silenciar, bloquear o
suspender a quienes no respeten estas normas. Siempre se le avisará cuando un moderador tome una
medida sobre algo que usted escribió. Un moderador lee los primeros mensajes de cada miembro nuevo
en cada sala antes de que aparezcan.
"""

TEXTS = {"en": TEXT, "es": TEXTO}


def as_html(locale=None):
    """The guidelines in `locale` (default: the page's language; English when there is none)."""
    locale = locale or str(get_locale() or "en")
    return markdown_to_html(TEXTS.get(locale, TEXT))
