"""SIMFONI-PPA fields a report already tells: what triage knows prefills the case."""

from __future__ import annotations

from typing import Any

from models import Case, Category, IncidentPlace, Sex, Victim, ViolenceForm

#: Category to form of violence; child abuse and "other" say too little to choose.
_FORM: dict[str, ViolenceForm] = {
    Category.KDRT: ViolenceForm.PHYSICAL,
    Category.KEKERASAN_SEKSUAL: ViolenceForm.SEXUAL,
    Category.TPPO: ViolenceForm.TRAFFICKING,
}
#: Domestic violence and child marriage happen, by their definition, within a household.
_PLACE: dict[str, IncidentPlace] = {
    Category.KDRT: IncidentPlace.HOUSEHOLD,
    Category.PERKAWINAN_ANAK: IncidentPlace.HOUSEHOLD,
}


def prefill(category: str, victim: str) -> dict[str, Any]:
    """Return the SIMFONI fields that a report's category and victim imply."""
    fields: dict[str, Any] = {}
    if category in _FORM:
        fields["violence_form"] = _FORM[category]
    if category in _PLACE:
        fields["incident_place"] = _PLACE[category]
    if victim == Victim.PEREMPUAN:
        fields["victim_sex"] = Sex.FEMALE
    return fields


def apply_prefill(case: Case) -> None:
    """Fill a new case's empty SIMFONI fields from its category and victim."""
    for name, value in prefill(case.category, case.victim).items():
        if getattr(case, name) is None:
            setattr(case, name, value)
