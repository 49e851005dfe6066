"""The billing codes and tariffs every installation starts with, loaded by a data migration.

Values and sources from ``shared/docs/reference-regulatory.md`` §1 (consulted sources, not re-checked on the live
web: a tariff page lets administrators add the next period when the Assurance Maladie changes an amount). Only
per-act codes are here: the pharmacist's equipment and activity forfaits and the télésurveillance forfaits are not
per act, they are funding lines of the cost model.
"""

from __future__ import annotations

from typing import Any

# code, label, category, role, professions, SNDS PS5 code, source of the code
CODES: list[tuple[str, str, str, str, list[str], str, str]] = [
    ("TCG", "Téléconsultation du médecin généraliste (ou de la sage-femme)", "teleconsultation", "distant",
     ["medecin", "sage_femme"], "1192", "NGAP ; avenant 6 de la convention médicale (2018)"),
    ("TC", "Téléconsultation d'un médecin spécialiste (valeur de la consultation remplacée)", "teleconsultation",
     "distant", ["medecin"], "1191", "NGAP ; avenant 6 de la convention médicale (2018)"),
    ("TE2", "Téléexpertise : médecin requis", "teleexpertise", "distant", ["medecin", "sage_femme"], "1194",
     "NGAP ; avenant 9 (2022), convention médicale 2024-2029"),
    ("RQD", "Téléexpertise : professionnel requérant", "teleexpertise", "requerant",
     ["medecin", "sage_femme", "infirmier"], "", "avenant 9 de la convention médicale (2022)"),
    ("TLS", "Accompagnement infirmier d'une téléconsultation lors d'un soin déjà prévu", "teleconsultation",
     "accompagnant", ["infirmier"], "3103", "NGAP art. 14.9.5, décision UNCAM du 18 juillet 2019"),
    ("TLL", "Accompagnement infirmier d'une téléconsultation dans un lieu dédié", "teleconsultation",
     "accompagnant", ["infirmier"], "3104", "NGAP art. 14.9.5, décision UNCAM du 18 juillet 2019"),
    ("TLD", "Accompagnement infirmier d'une téléconsultation au domicile du patient", "teleconsultation",
     "accompagnant", ["infirmier"], "3105", "NGAP art. 14.9.5, décision UNCAM du 18 juillet 2019"),
    ("TLM", "Téléconsultation accompagnée en officine (code traceur du pharmacien)", "teleconsultation",
     "accompagnant", ["pharmacien"], "3308", "avenant 15 à la convention pharmaceutique (JO du 6 septembre 2019)"),
    ("G", "Consultation du médecin généraliste en présentiel", "presentiel", "presentiel", ["medecin"], "",
     "NGAP ; convention médicale"),
]  # fmt: skip

# The pharmacist's forfaits (per pharmacy and year, not per act): code, label, acts per tranche, yearly cap, source
FORFAITS: list[tuple[str, str, int | None, str | None, str]] = [
    ("FTE", "Forfait d'équipement de téléconsultation de l'officine (première année)", None, None,
     "Avenant 15 à la convention pharmaceutique (JO du 6/09/2019) ; convention du 9/03/2022, art. V.I"),
    ("FTA", "Forfait d'activité de téléconsultation de l'officine, par tranche de 5 téléconsultations", 5, "750.00",
     "Convention pharmaceutique du 9/03/2022 (Moniteur des pharmacies, 20/06/2025) ; date d'effet à vérifier"),
]  # fmt: skip

# code, amount, valid from, valid until (None: in force), source of the amount
TARIFFS: list[tuple[str, str, str, str | None, str]] = [
    ("TCG", "25.00", "2018-09-15", None,
     "ameli.fr, 13/09/2018 ; inchangé lors des hausses du G (2023, 2024) — montant signalé « à vérifier » par "
     "une source divergente"),
    ("TC", "25.00", "2018-09-15", "2023-10-31",
     "Valeur de la consultation de spécialiste de base remplacée (estimation : certaines spécialités ont une "
     "consultation propre plus élevée)"),
    ("TC", "26.50", "2023-11-01", "2024-12-21", "Idem, après la hausse de novembre 2023 (estimation)"),
    ("TC", "30.00", "2024-12-22", None, "Idem, convention médicale 2024-2029 (estimation)"),
    ("TE2", "20.00", "2019-02-10", "2025-12-31", "omnidoc ; URPS-ML Centre ; avenant 9 (TE2 20 € du 1/04/2022)"),
    ("TE2", "23.00", "2026-01-01", None, "Convention médicale 2024-2029 (telesante-bretagne, 20/06/2024)"),
    ("RQD", "10.00", "2022-04-01", None, "Avenant 9 ; inchangé par la convention 2024-2029"),
    ("TLS", "10.00", "2020-01-01", None, "Décision UNCAM du 18/07/2019, applicable au 1er janvier 2020"),
    ("TLL", "12.00", "2020-01-01", None, "Décision UNCAM du 18/07/2019, applicable au 1er janvier 2020"),
    ("TLD", "15.00", "2020-01-01", None, "Décision UNCAM du 18/07/2019, applicable au 1er janvier 2020"),
    ("TLM", "1.00", "2019-09-07", None, "Avenant 15, arrêté du 2/09/2019 (JO du 6/09/2019) ; Moniteur 2025"),
    ("G", "25.00", "2017-05-01", "2023-10-31", "NGAP, convention médicale 2016"),
    ("G", "26.50", "2023-11-01", "2024-12-21", "Hausse du G de novembre 2023"),
    ("G", "30.00", "2024-12-22", None, "Convention médicale 2024-2029, mesures tarifaires du 22/12/2024"),
    ("FTE", "1225.00", "2019-09-07", None, "Avenant 15 ; montant repris par la convention de 2022 (Moniteur 2025)"),
    ("FTA", "25.00", "2022-03-09", None, "25 € par tranche de 5 téléconsultations, 750 € par an au plus"),
]  # fmt: skip


def load_shipped_tariffs(apps: Any, schema_editor: Any) -> None:
    import datetime as dt
    from decimal import Decimal

    billing_code = apps.get_model("evaluation", "BillingCode")
    tariff = apps.get_model("evaluation", "Tariff")
    for code, label, category, role, professions, snds, source in CODES:
        billing_code.objects.update_or_create(
            code=code,
            defaults={"label": label, "category": category, "role": role, "professions": professions,
                      "snds_code": snds, "source": source},
        )  # fmt: skip
    for code, label, per_tranche, cap, source in FORFAITS:
        billing_code.objects.update_or_create(
            code=code,
            defaults={"label": label, "category": "teleconsultation", "role": "accompagnant",
                      "professions": ["pharmacien"], "source": source, "is_forfait": True,
                      "forfait_acts_per_tranche": per_tranche,
                      "forfait_yearly_cap": Decimal(cap) if cap else None},
        )  # fmt: skip
    for code, amount, starts, ends, source in TARIFFS:
        tariff.objects.update_or_create(
            code_id=code,
            valid_from=dt.date.fromisoformat(starts),
            defaults={"amount": Decimal(amount), "source": source,
                      "valid_until": dt.date.fromisoformat(ends) if ends else None},
        )  # fmt: skip
