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
