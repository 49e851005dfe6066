"""Account factories: users (the tests' password) and a user with one role grant."""

from __future__ import annotations

import factory

from maille.accounts.models import RoleGrant, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test-1")

    class Params:
        inactive = factory.Trait(is_active=False)


def user_with_role(role: str, **scope: object) -> User:
    user = UserFactory()
    user.save()
    RoleGrant.objects.create(user=user, role=role, **scope)
    return user
