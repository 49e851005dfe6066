"""Demo accounts, one per role; their password is printed by `maille demo` and `maille serve`."""

from __future__ import annotations

DEMO_PASSWORD = "demo-maille-2026"

# username, first name, last name, role, scope description (filled by the demo loader)
DEMO_ACCOUNTS: list[tuple[str, str, str, str, str]] = [
    ("admin", "Alix", "Admin", "platform_admin", "toute la plateforme"),
    ("coordination55", "Camille", "Coordination", "coordinator", "département de la Meuse (55)"),
    ("coordination-ge", "Dominique", "Région", "coordinator", "région Grand Est"),
    ("site-souilly", "Sacha", "Accueil", "site_staff", "site de Souilly"),
    ("docteur", "Claude", "Téléconsultant", "remote_doctor", "son agenda et les sites qu'il ou elle dessert"),
    ("operateur", "Morgan", "Plateforme", "operator", "départements 52, 54 et 55"),
    ("evaluation", "Eden", "Évaluation", "evaluator", "départements 52, 54 et 55 (agrégats)"),
]


def print_demo_logins(base_url: str) -> None:
    from django.contrib.auth import get_user_model

    usernames = [account[0] for account in DEMO_ACCOUNTS]
    existing = set(
        get_user_model()
        .objects.filter(username__in=usernames, is_demo=True)
        .values_list("username", flat=True)
    )
    if not existing:
        return
    print(
        f"\nMaille est servi sur {base_url}/  — comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :"
    )
    for username, _first, _last, role, scope in DEMO_ACCOUNTS:
        if username in existing:
            print(f"  {username:<16} {role:<15} {scope}")
    print(
        f"Prise de rendez-vous par les patients, sans compte : {base_url}/rdv/ (le code de confirmation se lit "
        f"dans la page Messages, compte admin)."
    )
    print()
