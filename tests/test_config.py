from pathlib import Path

import pytest

from mangxanh.config import load_settings
from mangxanh.errors import ConfigurationError


def test_secret_key_is_generated_once_into_var(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var")
    key = settings.effective_secret_key()
    assert len(key) >= 32
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(var_dir=tmp_path / "var").effective_secret_key() == key
    assert load_settings(var_dir=tmp_path / "other").effective_secret_key() != key


def test_defaults_and_postgres_url_driver(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'mangxanh.db'}"
    pg = load_settings(database_url="postgresql://u:p@localhost/db")
    assert pg.effective_database_url == "postgresql+psycopg://u:p@localhost/db"


@pytest.mark.parametrize(
    ("overrides", "name"),
    [({"port": 0}, "MANGXANH_PORT"), ({"database_url": "mysql://x"}, "MANGXANH_DATABASE_URL"),
     ({"default_locale": "fr"}, "MANGXANH_DEFAULT_LOCALE"), ({"case_threshold": 2}, "MANGXANH_CASE_THRESHOLD")],
)
def test_bad_settings_name_themselves(overrides: dict[str, object], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load_settings(**overrides)


def test_every_setting_is_documented_in_a_readme_table() -> None:
    from pathlib import Path

    from mangxanh.config import Settings

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {cell.strip("` ") for line in readme.splitlines() if line.startswith("| ")
            for cell in line.split("|")[1].split(",")}
    missing = [f"MANGXANH_{name.upper()}" for name in Settings.model_fields if f"MANGXANH_{name.upper()}" not in rows]
    assert not missing, f"settings without a row in the README's tables: {missing}"
