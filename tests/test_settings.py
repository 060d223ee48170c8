"""Settings: defaults, overrides, and one-line refusals naming the variable."""

from decimal import Decimal

import pytest

from lib.settings import SettingsError, load_settings


def settings(**env):
    return load_settings(env=env, secrets_path=None)


def test_defaults_use_the_sandbox_and_greece(tmp_path):
    s = load_settings(env={}, secrets_path=tmp_path / "absent.toml")
    assert s.uses_sandbox
    assert (s.region, s.allowed_countries, s.timezone, s.batch_size) == ("GR", ("GR",), "Europe/Athens", 1000)
    assert s.sms_part_price == Decimal("0.05")


def test_secrets_file_is_read_and_environment_wins(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('CONSOLE_BATCH_SIZE = 500\nCONSOLE_REGION = "CY"\n')
    s = load_settings(env={"CONSOLE_REGION": "GR"}, secrets_path=secrets)
    assert (s.batch_size, s.region) == (500, "GR")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONSOLE_BATCH_SIZE": "lots"}, "CONSOLE_BATCH_SIZE"),
        ({"CONSOLE_BATCH_SIZE": "0"}, "CONSOLE_BATCH_SIZE"),
        ({"CONSOLE_ALLOWED_COUNTRIES": "GR,XX"}, "CONSOLE_ALLOWED_COUNTRIES"),
        ({"CONSOLE_REGION": "Greece"}, "CONSOLE_REGION"),
        ({"MESSAGING_API_URL": "platform.example.com", "MESSAGING_API_USER": "u", "MESSAGING_API_PASSWORD": "p"},
         "MESSAGING_API_URL"),
        ({"MESSAGING_API_URL": "https://platform.example.com"}, "MESSAGING_API_PASSWORD"),
        ({"CONSOLE_TIMEZONE": "Mars/Olympus"}, "CONSOLE_TIMEZONE"),
        ({"CONSOLE_LANGUAGE": "fr"}, "CONSOLE_LANGUAGE"),
        ({"CONSOLE_SMS_PART_PRICE": "five cents"}, "CONSOLE_SMS_PART_PRICE"),
    ],
)
def test_bad_values_stop_with_one_line_naming_the_variable(tmp_path, env, named):
    with pytest.raises(SettingsError) as caught:
        load_settings(env=env, secrets_path=tmp_path / "absent.toml")
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_password_never_appears_in_repr(tmp_path):
    s = load_settings(
        env={"MESSAGING_API_URL": "https://p.example.com", "MESSAGING_API_USER": "u", "MESSAGING_API_PASSWORD": "s3cret!"},
        secrets_path=tmp_path / "absent.toml",
    )
    assert "s3cret!" not in repr(s) and "s3cret!" not in str(s)
    assert s.api_url == "https://p.example.com" and not s.uses_sandbox


# ---- sign-in settings (issue 11) ----


def test_sign_in_settings_default_to_auto_and_no_admins(tmp_path):
    s = load_settings({}, tmp_path / "none.toml")
    assert (s.auth, s.admins, s.sign_in_configured) == ("auto", (), False)


def test_admins_are_lower_cased_and_deduplicated(tmp_path):
    s = load_settings({"CONSOLE_ADMINS": " Ann@Example.com, bob@example.com,ann@example.com ", "CONSOLE_AUTH": "OFF"},
                      tmp_path / "none.toml")
    assert s.admins == ("ann@example.com", "bob@example.com")
    assert s.auth == "off"


@pytest.mark.parametrize("name, value, says", [
    ("CONSOLE_AUTH", "maybe", "CONSOLE_AUTH must be auto, on or off"),
    ("CONSOLE_ADMINS", "ann@example.com, bob", "'bob' is not one"),
])
def test_bad_sign_in_settings_name_the_variable(tmp_path, name, value, says):
    with pytest.raises(SettingsError, match=says):
        load_settings({name: value}, tmp_path / "none.toml")


@pytest.mark.parametrize("toml, configured", [
    ('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "x"\nclient_id = "c"\n', True),
    ('[auth]\nredirect_uri = "x"\n[auth.keycloak]\nclient_id = "c"\n', True),
    ('[auth]\nredirect_uri = "x"\ncookie_secret = "y"\n', False),
    ('MESSAGING_API_USER = "u"\n', False),
])
def test_a_provider_is_configured_only_when_auth_names_a_client(tmp_path, toml, configured):
    path = tmp_path / "secrets.toml"
    path.write_text(toml)
    assert load_settings({}, path).sign_in_configured is configured


@pytest.mark.parametrize(
    "address",
    [
        "https://maria:s3cret!@platform.example.com",
        "https://maria@platform.example.com/api",
        "https://:s3cret!@platform.example.com",
        "maria:s3cret!@platform.example.com",  # no scheme: still refused for the password, not echoed as a bad address
        "HTTP://maria:s3cret!@platform.example.com:8443/?x=1",
    ],
)
def test_credentials_in_the_platform_address_are_refused_without_echoing_them(tmp_path, address):
    env = {"MESSAGING_API_URL": address, "MESSAGING_API_USER": "maria", "MESSAGING_API_PASSWORD": "other"}
    with pytest.raises(SettingsError) as caught:
        load_settings(env=env, secrets_path=tmp_path / "absent.toml")
    assert str(caught.value) == (
        "MESSAGING_API_URL must not contain a user name or password: "
        "set MESSAGING_API_USER and MESSAGING_API_PASSWORD instead"
    )
    assert "s3cret" not in repr(caught.value) and "maria" not in str(caught.value)


def test_an_at_sign_after_the_host_is_not_taken_for_credentials(tmp_path):
    env = {"MESSAGING_API_URL": "https://platform.example.com/path@x", "MESSAGING_API_USER": "u",
           "MESSAGING_API_PASSWORD": "p"}  # fmt: skip
    assert load_settings(env=env, secrets_path=tmp_path / "absent.toml").api_url == "https://platform.example.com/path@x"


@pytest.mark.parametrize(("raw", "expected"), [(None, 90.0), ("2.5", 2.5), ("600", 600.0)])
def test_request_deadline_setting(tmp_path, raw, expected):
    env = {} if raw is None else {"CONSOLE_REQUEST_DEADLINE_SECONDS": raw}
    assert load_settings(env=env, secrets_path=tmp_path / "absent.toml").request_deadline_seconds == expected


@pytest.mark.parametrize("raw", ["0", "-5", "soon", "nan", "inf"])
def test_request_deadline_must_be_a_positive_number_of_seconds(tmp_path, raw):
    with pytest.raises(SettingsError, match="^CONSOLE_REQUEST_DEADLINE_SECONDS must be"):
        load_settings(env={"CONSOLE_REQUEST_DEADLINE_SECONDS": raw}, secrets_path=tmp_path / "absent.toml")
