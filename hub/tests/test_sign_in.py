"""The sign-in hooks GenericOAuthenticator runs (notebooks_hub_spawner.sign_in).
Sign-in and refresh against a real provider are in the API's real-hub
acceptance suite (test/acceptance/hub-sign-in.test.ts)."""

import asyncio
from types import SimpleNamespace

import pytest
from oauthenticator.generic import GenericOAuthenticator
from tornado import web

from notebooks_hub_spawner.sign_in import refresh_tokens, require_verified_email


def auth_state(**claims):
    return {"access_token": "a", "refresh_token": "r", "oauth_user": {"email": "ann@lab.org", **claims}}


def test_a_verified_address_signs_in():
    state = auth_state(email_verified=True)
    assert require_verified_email(GenericOAuthenticator(), state) is state


@pytest.mark.parametrize("claims", [{"email_verified": False}, {}, {"email_verified": "true"}])
def test_an_address_the_provider_did_not_verify_is_refused_with_403(claims):
    with pytest.raises(web.HTTPError) as refused:
        require_verified_email(GenericOAuthenticator(), auth_state(**claims))
    assert refused.value.status_code == 403
    assert "not verified" in refused.value.log_message


def test_a_person_who_never_signed_in_at_the_hub_has_nothing_to_refresh():
    """The API makes hub users and starts their servers: their tokens keep working."""
    person = SimpleNamespace(name="ann@lab.org")
    assert asyncio.run(refresh_tokens(GenericOAuthenticator(), person, None)) is True


def test_without_a_refresh_token_the_person_signs_in_again():
    person = SimpleNamespace(name="ann@lab.org")
    state = auth_state(email_verified=True)
    del state["refresh_token"]
    assert asyncio.run(refresh_tokens(GenericOAuthenticator(), person, state)) is False
