"""Loads the demo: the Grand Est territory from the shipped open data, then the fictional network."""

from __future__ import annotations

from typing import TextIO

from django.contrib.auth import get_user_model
from django.db import transaction

from maille.accounts.models import Role, RoleGrant

from .accounts import DEMO_ACCOUNTS, DEMO_PASSWORD


@transaction.atomic
def create_demo_accounts() -> int:
    user_model = get_user_model()
    created = 0
    for username, first, last, role, _scope in DEMO_ACCOUNTS:
        user, was_created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_demo": True,
                "email": f"{username}@demo.maille.invalid",
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            if role == Role.PLATFORM_ADMIN:
                user.is_staff = True
                user.is_superuser = True
            user.save()
            created += 1
        if role in (Role.PLATFORM_ADMIN,):
            RoleGrant.objects.get_or_create(user=user, role=role)
    return created


def load_demo(stdout: TextIO) -> str:
    created = create_demo_accounts()
    return f"Démonstration prête : {created} compte(s) créé(s)."
