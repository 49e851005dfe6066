"""The first referential every installation starts with (version 1, published).

Written in our own words from the HAS good-practice guide on teleconsultation (2019), the HAS recommendations on
the places of teleconsultation (2024) and the Code de la santé publique (R6316-1 to -4), as summarised in
``shared/docs/reference-regulatory.md``; the network adds its own charter (section GOUV). Site levels: ``[]`` for
every level, else the levels of ``directory.SiteLevel`` it applies to.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

ALL: list[str] = []
HOSTED = ["msp_2_0", "maison_sante_territoire"]  # sites with health professionals on the premises

# (code, title, [(code, requirement, evidence, levels, title, guidance)])
SECTIONS: list[tuple[str, str, list[tuple[str, str, str, list[str], str, str]]]] = [
    ("ORG", "Organisation et projet médical local", [
        ("ORG-01", "mandatory", "document", ALL,
         "Le site répond à un besoin de soins identifié sur son territoire et s'inscrit dans l'offre locale "
         "(CPTS, MSP, centre de santé, hôpital de proximité).",
         "Joindre l'analyse du besoin et la liste des partenaires de soins locaux."),
        ("ORG-02", "mandatory", "document", ALL,
         "Un référent du site est nommé, joignable, et connu des médecins téléconsultants.",
         "Nom, fonction et coordonnées du référent ; date de désignation."),
        ("ORG-03", "recommended", "document", HOSTED,
         "Le projet de santé de la structure décrit la place de la téléconsultation et les motifs qu'elle prend "
         "en charge.", "Extrait du projet de santé."),
        ("ORG-04", "mandatory", "yes_no", ALL,
         "Le site a signé la charte de bonnes pratiques du réseau, dans sa version en vigueur.",
         "Vérifié dans le registre des signatures de la charte."),
    ]),
    ("LIEU", "Lieux et salles", [
        ("LIEU-01", "mandatory", "photo", ALL,
         "La salle ou la cabine n'ouvre pas directement sur l'espace public : elle se trouve dans un espace calme, "
         "éclairé et fermé.", "Photo de la salle et de son accès."),
        ("LIEU-02", "mandatory", "yes_no", ALL,
         "La confidentialité est assurée : on ne voit ni n'entend la consultation depuis l'extérieur de la salle.",
         "Test simple : une conversation à voix normale n'est pas audible porte fermée."),
        ("LIEU-03", "mandatory", "yes_no", ALL,
         "Pendant la téléconsultation, la salle sert à elle seule ; elle est accessible aux personnes à mobilité "
         "réduite.", "Accès de plain-pied ou rampe, largeur de porte, place pour un fauteuil."),
        ("LIEU-04", "recommended", "photo", ["hyper_proximite"],
         "Hors d'un lieu de soins, un espace d'attente est prévu et aucune sollicitation commerciale n'est faite "
         "au patient ; il reste libre de choisir sa pharmacie.", "Photo de l'espace d'attente ; affichage."),
        ("LIEU-05", "mandatory", "document", ALL,
         "La salle et le matériel en contact avec le patient sont nettoyés entre deux patients.",
         "Protocole d'entretien et registre de nettoyage."),
    ]),
    ("EQP", "Équipement et dispositifs connectés", [
        ("EQP-01", "mandatory", "yes_no", ALL,
         "Le poste permet une vidéo et un son de qualité suffisante pour l'examen ; la liaison est vérifiée avant "
         "chaque séance.", "Test de connexion avant la séance, débit mesuré."),
        ("EQP-02", "mandatory", "document", ALL,
         "Les dispositifs connectés exigés par les usages du site sont présents et en état de marche "
         "(au minimum stéthoscope, otoscope, oxymètre et tensiomètre connectés).",
         "Inventaire daté des dispositifs."),
        ("EQP-03", "mandatory", "document", ALL,
         "La maintenance du matériel et des dispositifs est assurée et tracée par l'exploitant du site.",
         "Contrat ou registre de maintenance."),
        ("EQP-04", "recommended", "figure", ALL,
         "Les pannes sont comptées et leur délai de réparation suivi.",
         "Nombre de pannes et délai moyen de remise en service sur l'année."),
    ]),
    ("PERS", "Personnes et formation", [
        ("PERS-01", "mandatory", "document", ALL,
         "Une personne responsable est présente sur le site pendant toute l'ouverture de la salle, identifiable "
         "et joignable.", "Planning de présence."),
        ("PERS-02", "mandatory", "document", ALL,
         "Les assistants (infirmiers, pharmaciens) sont formés à l'outil, aux dispositifs connectés, à la "
         "confidentialité et aux droits du patient.", "Attestations de formation datées."),
        ("PERS-03", "recommended", "document", ALL,
         "Un accompagnant (proche, interprète) s'engage à la confidentialité avant d'assister à la consultation.",
         "Modèle d'engagement signé."),
    ]),
    ("PAT", "Information, consentement et identité du patient", [
        ("PAT-01", "mandatory", "yes_no", ALL,
         "Le patient est informé du déroulement, du coût et du traitement de ses données, et son consentement est "
         "recueilli et tracé ; il peut refuser.", "Consentement daté dans le dossier."),
        ("PAT-02", "mandatory", "yes_no", ALL,
         "L'identité du patient est vérifiée au début de la séance (identitovigilance, INS quand elle est "
         "disponible).", "Statut de l'identité et pièce vérifiée."),
        ("PAT-03", "mandatory", "yes_no", ALL,
         "La pertinence de la téléconsultation est vérifiée : elle n'est pas proposée quand un examen physique "
         "complet, l'annonce d'une mauvaise nouvelle ou l'état du patient l'excluent.",
         "Critères d'orientation connus du personnel ; refus tracés."),
    ]),
    ("ACTE", "L'acte de téléconsultation", [
        ("ACTE-01", "mandatory", "yes_no", ALL,
         "Un numéro de rappel est recueilli avant la séance, et un repli est prévu si la liaison tombe (rappel, "
         "nouveau rendez-vous, orientation vers une consultation physique).", "Procédure de repli écrite."),
        ("ACTE-02", "mandatory", "figure", ALL,
         "Les incidents techniques survenus pendant un acte sont notés dans le dossier.",
         "Nombre d'incidents notés sur les trois derniers mois."),
        ("ACTE-03", "mandatory", "yes_no", ALL,
         "Le compte rendu est transmis au patient et à son médecin traitant par une messagerie sécurisée et versé "
         "au DMP quand il existe.", "Preuve d'envoi MSSanté pour un échantillon d'actes."),
        ("ACTE-04", "recommended", "yes_no", ALL,
         "Les ordonnances sont remises au patient de façon sûre (papier imprimé sur place ou e-prescription).",
         "Procédure de remise."),
    ]),
    ("TRACE", "Traçabilité et protection des données", [
        ("TRACE-01", "mandatory", "document", ALL,
         "La solution utilisée est hébergée chez un hébergeur de données de santé certifié et conforme au RGPD, "
         "vérifié avant la première séance.", "Certificat HDS et analyse d'impact."),
        ("TRACE-02", "mandatory", "yes_no", ALL,
         "Le médecin téléconsultant s'authentifie fortement (carte CPS, e-CPS, Pro Santé Connect).",
         "Mode d'authentification observé."),
        ("TRACE-03", "mandatory", "yes_no", ALL,
         "Le dossier trace l'acte : identité du patient et des professionnels, date et heure, compte rendu, "
         "prescriptions, incidents.", "Contrôle d'un échantillon de dossiers."),
    ]),
    ("GOUV", "Évaluation et gouvernance", [
        ("GOUV-01", "mandatory", "figure", ALL,
         "L'activité du site est suivie et partagée avec le réseau (nombre d'actes, délais, absences).",
         "Indicateurs du dernier trimestre."),
        ("GOUV-02", "recommended", "document", ALL,
         "Le site mène chaque année une revue de ses pratiques avec le réseau et tient un plan d'actions.",
         "Compte rendu de la revue et plan d'actions."),
        ("GOUV-03", "recommended", "figure", ALL,
         "La satisfaction des patients est mesurée.", "Résultat de la dernière enquête et taux de réponse."),
    ]),
    ("ACC", "Communication et accueil", [
        ("ACC-01", "mandatory", "photo", ALL,
         "Le site est signalé à l'entrée et dans le bâtiment, avec les horaires et la façon de prendre rendez-vous.",
         "Photo de la signalétique."),
        ("ACC-02", "recommended", "yes_no", ALL,
         "Un rendez-vous peut être pris par téléphone, pas seulement en ligne.", "Numéro affiché et joignable."),
        ("ACC-03", "recommended", "document", ALL,
         "Une information adaptée est remise aux patients éloignés du numérique (fiche papier, aide sur place).",
         "Exemplaire de la fiche."),
    ]),
]  # fmt: skip


# Criteria whose answer Maille checks itself (``Criterion.checks``): the charter's signature.
CHECKS = {"ORG-04": "charter"}

CHARTER_TITLE = "Charte de bonnes pratiques de la téléconsultation de territoire"
# Written in our own words from the seeds (recommendation 2, measures 3, 12 and 27) and the HAS guide (2019).
CHARTER_BODY = """\
Les sites de téléconsultation assistée du réseau, les professionnels qui y accompagnent les patients et les \
médecins qui consultent à distance s'engagent à respecter cette charte. Elle conditionne le label qualité du \
réseau et, avec lui, ses financements.

1. Le patient d'abord. La téléconsultation assistée répond à un besoin de soins que l'offre locale ne couvre \
pas ; elle ne remplace pas une consultation en présence quand l'état du patient ou l'examen la demandent, et \
le patient est alors orienté.

2. Le libre choix. Le patient choisit de recourir à la téléconsultation, son site et, autant que possible, son \
médecin ; il reste libre de choisir sa pharmacie. Aucune sollicitation commerciale n'accompagne l'acte.

3. L'information et le consentement. Le patient est informé de ce qu'est l'acte, de qui y participe et de ce \
que deviennent ses données ; son consentement est recueilli avant la séance.

4. L'identité. L'identité du patient est vérifiée au début de chaque séance, avec l'INS quand elle existe.

5. Un lieu digne du soin. La salle est calme, fermée, réservée à l'acte pendant sa durée, accessible aux \
personnes à mobilité réduite ; la confidentialité y est assurée et le matériel est nettoyé entre deux patients.

6. Un acte de qualité. Le matériel et la liaison sont vérifiés avant la séance ; un repli est prévu si la \
liaison tombe ; les incidents sont notés.

7. La continuité des soins. Le compte rendu est transmis au patient et à son médecin traitant par messagerie \
sécurisée, et versé au DMP quand il existe ; les ordonnances sont remises de façon sûre.

8. La sécurité des données. Les outils utilisés sont hébergés chez un hébergeur de données de santé certifié ; \
les professionnels s'authentifient fortement ; rien ne sort du dossier sans raison.

9. Des professionnels formés et reconnus. Les assistants sont formés à l'accompagnement et aux dispositifs \
connectés ; leur rôle dans l'accès aux soins est reconnu par le réseau.

10. L'accueil et la communication. Le site est signalé, ses horaires et la façon de prendre rendez-vous sont \
affichés, y compris par téléphone ; une information adaptée est remise aux patients éloignés du numérique.

11. L'évaluation. Le site suit son activité, mesure la satisfaction des patients et la partage avec le réseau ; \
il s'auto-évalue au référentiel qualité et mène les actions qui en découlent.
"""


def load_shipped_charter(*, actor: Any = None, apps: Any = None) -> bool:
    """Publish the charter's version 1 when none exists (the data migration and the tests call it)."""
    from django.utils import timezone

    if apps is None:
        from django.apps import apps
    CharterVersion = apps.get_model("quality", "CharterVersion")
    if CharterVersion.objects.exists():
        return False
    CharterVersion.objects.create(
        number=1, title=CHARTER_TITLE, body=CHARTER_BODY.strip(), status="published", published_at=timezone.now(),
        created_by=actor, published_by=actor,
    )  # fmt: skip
    return True


def mark_checked_criteria(*, apps: Any = None) -> None:
    """Mark the criteria Maille checks itself (on every version carrying them, by code)."""
    if apps is None:
        from django.apps import apps
    Criterion = apps.get_model("quality", "Criterion")
    for code, check in CHECKS.items():
        Criterion.objects.filter(code=code).update(checks=check)


def shipped_criteria_count() -> int:
    return sum(len(criteria) for _code, _title, criteria in SECTIONS)


def load_shipped_referential(*, actor: Any = None, apps: Any = None) -> bool:
    """Create and publish version 1 when no version exists (the data migration, with its historical models
    in ``apps``, and the tests call it)."""
    from django.utils import timezone

    if apps is None:
        from django.apps import apps
    ReferentialVersion = apps.get_model("quality", "ReferentialVersion")
    Section = apps.get_model("quality", "Section")
    Criterion = apps.get_model("quality", "Criterion")

    if ReferentialVersion.objects.exists():
        return False
    with transaction.atomic():
        version = ReferentialVersion.objects.create(
            number=1,
            title="Référentiel qualité des sites de téléconsultation assistée",
            status="published",
            notes="Première version, tirée du guide HAS de 2019, des recommandations HAS de 2024 sur les lieux "
            "de téléconsultation et du Code de la santé publique.",
            published_at=timezone.now(),
            created_by=actor,
            published_by=actor,
        )
        for section_order, (code, title, criteria) in enumerate(SECTIONS, start=1):
            section = Section.objects.create(version=version, code=code, title=title, order=section_order)
            for order, (criterion_code, requirement, evidence, levels, text, guidance) in enumerate(
                criteria, 1
            ):
                Criterion.objects.create(
                    version=version, section=section, code=criterion_code, title=text, requirement=requirement,
                    evidence=evidence, site_levels=levels, guidance=guidance, order=order,
                )  # fmt: skip
    return True
