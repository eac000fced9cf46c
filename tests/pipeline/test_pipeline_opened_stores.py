"""The pipeline reads a front-door store at the version it is given (as the web service does,
at the version its database records), not only the store's current version."""

from __future__ import annotations

from pathlib import Path

import pytest

from threshold.frontdoor import Store
from threshold.pipeline import PipelineConfig, build_world, import_exports, run_pipeline
from threshold.synth import WorldConfig
from threshold.trial import lock_protocol, template


def test_an_opened_store_is_read_at_its_version(tmp_path: Path) -> None:
    world, _ = build_world(WorldConfig(seed=5, n_schools=44), tmp_path / "world", messy=True)
    front_door = import_exports(world, tmp_path / "world" / "messy", tmp_path / "frontdoor")
    text = template()
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(text[: text.index('[[outcome]]\nname = "contacts"')], encoding="utf-8")
    lock_protocol(protocol, software="threshold test")
    # each LA's contacts were imported, then its referrals: the version before holds contacts
    # and no referrals
    earlier = []
    for directory in front_door.stores:
        versions = sorted(path.name for path in (directory / "versions").iterdir())
        earlier.append(Store(directory, versions[0]) if len(versions) > 1 else Store(directory))
    assert any(len(store.table("referrals")) == 0 for store in earlier)

    def run(stores: tuple[Path | Store, ...]) -> dict[str, int]:
        result = run_pipeline(
            PipelineConfig(protocol=protocol, tables=tmp_path / "world", stores=stores, draws=0)
        )
        summary = result.data.tidy().set_index("la_code")
        return {code: int(summary.loc[code, "referrals"]) for code in summary.index}

    current = run(front_door.stores)
    pinned = run(tuple(earlier))
    for store in earlier:
        code = store.directory.name
        assert pinned[code] == len(store.table("referrals"))
        assert current[code] == len(Store(store.directory).table("referrals"))
    assert pinned != current
    # paths and opened stores may be mixed; the config keeps opened stores as they are
    mixed = PipelineConfig(protocol=protocol, tables={}, stores=(earlier[0], str(tmp_path)))
    assert mixed.stores == (earlier[0], tmp_path)


@pytest.mark.parametrize("stores", [(), ("a",)])
def test_the_config_still_takes_directories(stores: tuple[str, ...]) -> None:
    config = PipelineConfig(protocol=Path("p.toml"), tables={}, stores=stores)
    assert config.stores == tuple(Path(s) for s in stores)
