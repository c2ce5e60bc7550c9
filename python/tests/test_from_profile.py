"""`CrossAccountSession.from_profile` and `profile=`: what is decided from the files alone.

The identities every client gets from the same profiles, on moto, are in
tests/e2e/test_profiles.py; here only what needs no STS: errors raised at construction.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cross_account import CrossAccountSession, InvalidParameterError

ROLE = "arn:aws:iam::111122223333:role/DemoRole"


def write(tmp_path: Path, config: str, credentials: str = "") -> tuple[Path, Path]:
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    return tmp_path / "config", tmp_path / "credentials"


def test_from_profile_reads_the_role_and_its_settings(tmp_path: Path) -> None:
    config, credentials = write(
        tmp_path,
        f"[profile partner]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "role_session_name = nightly\nduration_seconds = 1800\nregion = eu-west-1\n",
        "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n",
    )
    s = CrossAccountSession.from_profile(
        "partner", config_file=config, credentials_file=credentials
    )
    assert str(s.role_arn) == ROLE
    assert s.session_name == "nightly"
    assert s.duration_seconds == 1800
    assert s.region == "eu-west-1"
    assert "s3cr3t" not in repr(s)
    s.close()


@pytest.mark.parametrize(
    ("config", "name", "says"),
    [
        ("", "nosuch", "ProfileNotFound"),
        (
            f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\n",
            "a",
            "a -> b -> a",
        ),
        (f"[profile a]\nrole_arn = {ROLE}\nsource_profile = gone\n", "a", "gone"),
        (f"[profile a]\nrole_arn = {ROLE}\ncredential_source = Laptop\n", "a", "Laptop"),
    ],
)
def test_bad_profiles_raise_before_any_call(
    tmp_path: Path, config: str, name: str, says: str
) -> None:
    config_file, credentials_file = write(tmp_path, config)
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession.from_profile(
            name, config_file=config_file, credentials_file=credentials_file
        )
    assert err.value.field == "profile"
    assert says in str(err.value)
    assert str(config_file) in str(err.value)


def test_profile_keyword_refuses_an_unknown_profile_at_construction() -> None:
    # boto3.Session(profile_name="nosuch") raises ProfileNotFound; so does this, even though
    # the environment could sign (the conftest's [default] keys).
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession(ROLE, profile="nosuch")
    assert err.value.field == "profile"
    assert "ProfileNotFound" in str(err.value)


def test_config_and_credentials_files_go_together(tmp_path: Path) -> None:
    config, _ = write(tmp_path, "")
    with pytest.raises(InvalidParameterError) as err:
        CrossAccountSession.from_profile("partner", config_file=config)
    assert err.value.field == "profile_files"
