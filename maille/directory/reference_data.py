"""The reference catalogues every Maille installation starts with: equipment, specialties, uses.

Loaded by a data migration and reused by the demo; administrators extend them in the admin.
"""

from __future__ import annotations

EQUIPMENT_TYPES: list[tuple[str, str, bool]] = [
    ("video", "Kit de visioconférence (caméra, écran, micro)", False),
    ("stethoscope", "Stéthoscope connecté", True),
    ("otoscope", "Otoscope connecté", True),
    ("dermatoscope", "Dermatoscope connecté", True),
    ("ecg", "Électrocardiographe connecté", True),
    ("oximeter", "Oxymètre de pouls", True),
    ("bp_monitor", "Tensiomètre", True),
    ("scales", "Pèse-personne", True),
    ("thermometer", "Thermomètre", True),
    ("general_camera", "Caméra d'examen mobile", True),
    ("spirometer", "Spiromètre connecté", True),
    ("retinograph", "Rétinographe", True),
]

# code, label, NOS TRE_R38 code where known with confidence
SPECIALTIES: list[tuple[str, str, str]] = [
    ("medecine-generale", "Médecine générale", "SM54"),
    ("dermatologie", "Dermatologie et vénéréologie", "SM15"),
    ("cardiologie", "Cardiologie et maladies vasculaires", "SM04"),
    ("psychiatrie", "Psychiatrie", "SM42"),
    ("pediatrie", "Pédiatrie", ""),
    ("geriatrie", "Gériatrie", ""),
    ("endocrinologie", "Endocrinologie, diabétologie, nutrition", ""),
    ("pneumologie", "Pneumologie", ""),
    ("ophtalmologie", "Ophtalmologie", ""),
    ("gynecologie", "Gynécologie médicale", ""),
]

ASSISTING = ["infirmier", "pharmacien"]

# code, name, kind, minutes, remote profession, remote specialty, assisting professions, equipment
USES: list[tuple[str, str, str, int, str, str, list[str], list[str]]] = [
    (
        "tlc-mg",
        "Téléconsultation assistée de médecine générale",
        "tlc_generale",
        20,
        "medecin",
        "medecine-generale",
        ASSISTING,
        ["video", "stethoscope", "otoscope", "oximeter", "bp_monitor"],
    ),
    (
        "tlc-dermato",
        "Téléconsultation de dermatologie",
        "tlc_specialisee",
        20,
        "medecin",
        "dermatologie",
        ASSISTING,
        ["video", "dermatoscope"],
    ),
    (
        "tlc-cardio",
        "Téléconsultation de cardiologie",
        "tlc_specialisee",
        30,
        "medecin",
        "cardiologie",
        ["infirmier"],
        ["video", "stethoscope", "ecg", "bp_monitor"],
    ),
    (
        "tlc-psy",
        "Téléconsultation de psychiatrie",
        "tlc_specialisee",
        30,
        "medecin",
        "psychiatrie",
        ["infirmier"],
        ["video"],
    ),
    (
        "tlc-sage-femme",
        "Téléconsultation de sage-femme",
        "tlc_specialisee",
        30,
        "sage_femme",
        "",
        ["infirmier", "pharmacien"],
        ["video", "bp_monitor"],
    ),
    (
        "te-dermato",
        "Téléexpertise de dermatologie (photos de lésions)",
        "teleexpertise",
        15,
        "medecin",
        "dermatologie",
        ["infirmier", "pharmacien"],
        ["dermatoscope"],
    ),
    (
        "ts-ic",
        "Suivi de télésurveillance (insuffisance cardiaque)",
        "telesurveillance",
        20,
        "medecin",
        "cardiologie",
        ["infirmier"],
        ["video", "scales", "bp_monitor"],
    ),
    (
        "prev-retino",
        "Dépistage de la rétinopathie diabétique",
        "prevention",
        15,
        "medecin",
        "ophtalmologie",
        ["infirmier"],
        ["retinograph"],
    ),
]


def load_reference_data(equipment_model, specialty_model, use_model) -> None:  # type: ignore[no-untyped-def]
    """Idempotent upsert of the catalogues (works with historical models inside migrations)."""
    for code, label, connected in EQUIPMENT_TYPES:
        equipment_model.objects.update_or_create(
            code=code, defaults={"label": label, "is_connected_device": connected}
        )
    for code, label, nos in SPECIALTIES:
        specialty_model.objects.update_or_create(code=code, defaults={"label": label, "nos_code": nos})
    for code, name, kind, minutes, profession, specialty, assisting, equipment in USES:
        use, _ = use_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "default_duration_minutes": minutes,
                "remote_profession": profession,
                "remote_specialty_id": specialty or None,
                "assisting_professions": assisting,
            },
        )
        use.required_equipment.set(equipment)
