import pytest
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.service import authenticate, create_user, end_sessions
from mangxanh.errors import Conflict, InvalidInput


def test_passwords_are_argon2_and_authentication_works(session: Session, analyst: User) -> None:
    assert analyst.password_hash.startswith("$argon2")
    assert authenticate(session, username="ANALYST1 ", password="correct horse battery") == analyst
    assert authenticate(session, username="analyst1", password="wrong password!") is None
    assert authenticate(session, username="nobody", password="correct horse battery") is None
    analyst.is_active = False
    assert authenticate(session, username="analyst1", password="correct horse battery") is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"username": "a", "password": "long enough pw"}, InvalidInput),
        ({"username": "ok_name", "password": "short"}, InvalidInput),
        ({"username": "ok_name", "password": "long enough pw", "role": "king"}, InvalidInput),
        ({"username": "analyst1", "password": "long enough pw"}, Conflict),
    ],
)
def test_bad_accounts_are_refused(session: Session, analyst: User, kwargs: dict[str, str], error: type) -> None:
    with pytest.raises(error):
        create_user(session, display_name="x", **kwargs)


def test_ending_sessions_bumps_the_epoch(session: Session, analyst: User) -> None:
    before = analyst.session_epoch
    end_sessions(session, user=analyst)
    assert analyst.session_epoch == before + 1
