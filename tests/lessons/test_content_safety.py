"""The safety review of the curriculum (issue 10 §1): each reported error stays fixed.

Every test reads the lesson files in portal/content/ as families will read them.
"""

import re

import pytest

from portal.lessons.content import read_curriculum
from portal.lessons.stats import plain_text

MODULES = {module.slug: module for module in read_curriculum()}
LESSONS = {lesson.slug: lesson for module in MODULES.values() for lesson in module.lessons}
HELPLINE = "1-800-662-4357"


def body(slug):
    return plain_text(LESSONS[slug].body)


def everything(lesson):
    parts = [lesson.title, lesson.summary, lesson.reflection, plain_text(lesson.body)]
    for question in lesson.questions:
        parts += [question.prompt, *question.choices, question.explanation, *getattr(question, "feedback", ())]
    return "\n".join(parts)


def helpline_lines(text):
    return [line for line in text.splitlines() if HELPLINE in line or "National Helpline" in line]


@pytest.mark.parametrize("slug", sorted(LESSONS))
def test_the_samhsa_helpline_is_for_finding_services_not_for_talking(slug):
    for line in helpline_lines(LESSONS[slug].body):
        assert re.search(r"\bfind", line, re.I), line
        assert not re.search(r"someone to talk|talk to someone|need to talk|help you cope", line, re.I), line


@pytest.mark.parametrize("slug", ["if-a-return-to-use-happens", "understanding-relapse", "long-term-hope-and-growth"])
def test_reported_helpline_lessons_send_people_who_need_to_talk_to_988(slug):
    text = body(slug)
    assert "not a counseling line" in text
    assert re.search(r"(need to talk|talk with someone)[^.]*\b988\b|\b988\b[^.]*talk with someone", text)


def test_overdose_lesson_good_samaritan_aftercare_xylazine_and_fake_pills():
    text = body("overdose-naloxone-safe-storage")
    assert "Nearly every US state has a Good Samaritan overdose law" in text
    assert "Many states have Good Samaritan" not in text
    assert "sudden withdrawal" in text and "want to use again" in text
    assert "Stay with them" in text and "Make sure 911 has been called" in text
    assert "the overdose can return when the naloxone wears off" in text
    assert "naloxone does not reverse it" in text and "still give naloxone" in text
    assert "rescue breaths" in text
    assert "fake pills" in text and "did not come from a pharmacy" in text
    assert "fake pills" in body("understanding-relapse")


def test_keeping_track_of_medicines_is_safety_not_checking_up_on_a_person():
    storage = body("overdose-naloxone-safe-storage")
    assert "Count them" not in storage
    assert "It is not the same as checking up on a person" in storage
    detective = body("suspicion-without-detective-work")
    assert "Safe storage is different" in detective and "not about watching a person" in detective


def test_house_boundary_is_about_your_own_actions():
    text = body("what-a-boundary-is")
    assert "can't be kept in this house" not in text
    examples = text.split("Here are more examples of boundaries:")[1].split("Boundaries versus threats")[0]
    quoted = re.findall(r"“([^”]+)”|\"([^\"]+)\"", examples)
    assert quoted
    for pair in quoted:
        assert re.search(r"\bI\b|\bI'", "".join(pair)), pair


def test_housing_boundary_has_safety_exceptions_tenancy_note_and_no_key_grabbing():
    text = body("setting-and-keeping-boundaries")
    exceptions = text.split("Never send someone away when it is not safe")[1].split("A legal note")[0]
    for needed in ("overdose", "too drunk or high", "suicide", "988", "911", "about to drive"):
        assert needed in exceptions
    assert "may count as a tenant" in text and "legal aid" in text and "Rules differ by state" in text
    assert "This is about the law, not our program's advice" in text
    assert "take the car keys" not in text
    keys = text.split("About car keys")[1]
    assert "Don't get in the car with them" in keys and "call a friend" in keys and "If they drive off" in keys


@pytest.mark.parametrize("slug", ["calm-hard-conversations", "boundaries-for-safety", "counseling-and-urgent-help"])
def test_suicide_guidance_is_complete(slug):
    text = body(slug)
    for needed in (
        "Ask directly",
        "Are you thinking about suicide?",
        "Stay with them",
        "firearms",
        "Lock up medicines",
        "substance use crises",
        "call 988 and press 2",
        "text AYUDA to 988",
        "Call 911",
    ):
        assert needed in text, needed


def test_medication_lesson_warns_about_stopping_and_mixing():
    text = body("treatment-and-medications")
    assert "stops naltrexone or buprenorphine" in text and "overdose and die" in text
    assert re.search(r"Alcohol and sedatives, such as benzodiazepines[^.]*take away much of buprenorphine", text)


@pytest.mark.parametrize("slug", ["treatment-and-medications", "what-comes-after-iop"])
def test_alcohol_and_benzodiazepine_withdrawal_is_called_dangerous(slug):
    text = body(slug)
    assert "Never stop alcohol or sedatives \u201ccold turkey\u201d without medical advice" in text or (
        'Never stop alcohol or sedatives "cold turkey" without medical advice' in text
    )
    assert "can cause seizures" in text and "life-threatening" in text and "benzodiazepines" in text


def test_after_iop_says_what_is_true_about_medicines():
    text = body("what-comes-after-iop")
    assert "These medicines are safe" not in text
    for needed in ("approved by the FDA", "overdose", "side effects", "taken as prescribed", "prescriber's care"):
        assert needed in text


def test_no_sneeze_analogy():
    assert "sneeze" not in everything(LESSONS["a-health-condition"]).lower()
    assert "People can and do stop" in body("a-health-condition")


def test_consent_lesson_marks_program_practice_and_explains_minors():
    text = body("privacy-and-consent")
    assert "Our program's practice: a counselor helps" in text
    assert "The law does not require a witness" in text
    minors = text.split("If your loved one is under 18")[1].split("Consent can change")[0]
    assert "42 CFR Part 2" in minors and "the teen's own written consent" in minors
    assert "Rules differ by state, so ask the counselor" in minors


def test_enabling_is_reframed_as_behaviour_everywhere():
    for module in MODULES.values():
        assert "enabl" not in (module.title + module.summary + module.intro).lower()
    for lesson in LESSONS.values():
        text = everything(lesson)
        # The one allowed mention names the word in quotes to say we don't use it.
        text = text.replace('call this "enabling." We don\'t use that word here', "")
        text = text.replace("call this “enabling.” We don’t use that word here", "")
        assert not re.search(r"enabl", text, re.I), lesson.slug
    assert "protect a person from the results of their use" in body("what-enabling-looks-like")


@pytest.mark.parametrize("slug", sorted(LESSONS))
def test_no_lesson_tells_families_to_take_the_keys(slug):
    """Taking the keys from someone who is drunk or high can turn into a fight; every lesson that
    speaks of impaired driving says to stay out of the car, get someone else to drive, call 911."""
    text = everything(LESSONS[slug])
    assert not re.search(r"\b(take|grab|hide) (the|their|his|her) (car )?keys\b", text, re.IGNORECASE) or (
        "can turn into a fight" in text or "can start a fight" in text
    ), slug
    if re.search(r"drive (after using|off)", text):
        assert "911" in text, slug
