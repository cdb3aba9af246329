"""What the two platforms' permission conftests share: one scene per module for the cases that leave it as they
found it, and a scene of its own for a case marked `fresh_scene`. Each platform builds its own scene (its fake,
its app, its breach); this only decides which one a case gets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from bot.detection.scanner import Scanner

SceneT = TypeVar("SceneT")
Build = Callable[[Path, Scanner], AbstractAsyncContextManager[SceneT]]


def scene_fixtures(build: Build[SceneT], folder: str) -> tuple[Any, Any]:
    """The `shared_scene` (module-scoped, built in a temporary folder named `folder`) and `scene` fixtures for a
    platform whose scenes `build(folder, scanner)` makes; assign both in its conftest. Tests in a module using
    `scene` run in the module's event loop (`pytestmark = pytest.mark.asyncio(loop_scope="module")`)."""

    @pytest_asyncio.fixture(scope="module", loop_scope="module", name="shared_scene")
    async def shared_scene(tmp_path_factory: pytest.TempPathFactory,
                           shared_scanner: Scanner) -> AsyncIterator[SceneT]:
        """One scene for every case of a module that leaves the scene as it found it."""
        async with build(tmp_path_factory.mktemp(folder), shared_scanner) as built:
            yield built

    @pytest_asyncio.fixture(loop_scope="module", name="scene")
    async def scene(request: pytest.FixtureRequest, shared_scene: SceneT, tmp_path: Path,
                    shared_scanner: Scanner) -> AsyncIterator[SceneT]:
        """The module's shared scene, or for a case marked `fresh_scene` one of its own."""
        if request.node.get_closest_marker("fresh_scene") is None:
            yield shared_scene
            return
        async with build(tmp_path, shared_scanner) as own:
            yield own

    return shared_scene, scene
