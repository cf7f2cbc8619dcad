"""The public surface: syndicate.__all__ lists exactly what the package exports."""

from __future__ import annotations

import syndicate


def test_all_names_exist_and_are_sorted() -> None:
    assert syndicate.__all__ == sorted(syndicate.__all__)
    for name in syndicate.__all__:
        assert hasattr(syndicate, name), name


def test_every_public_name_imported_into_the_package_is_listed() -> None:
    public = {
        name for name, value in vars(syndicate).items()
        if not name.startswith("_") and not isinstance(value, type(syndicate))
    }
    assert public == set(syndicate.__all__)


def test_every_error_is_a_syndicate_error() -> None:
    for name in ("ConfigError", "ContentError", "StoreError"):
        assert issubclass(getattr(syndicate, name), syndicate.SyndicateError)
    assert issubclass(syndicate.ConfigError, ValueError)
    assert issubclass(syndicate.ContentError, ValueError)
