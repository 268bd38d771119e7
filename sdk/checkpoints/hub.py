"""``hf://org/repo[@revision]/path/in/repo`` sources, fetched through the Hugging Face cache.

``hf_hub_download`` reuses cached files and honours ``HF_HUB_OFFLINE`` / ``HF_HUB_CACHE``, so an
offline machine loads whatever was downloaded before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from huggingface_hub import hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from ..errors import CheckpointError

HF_SCHEME = "hf://"


def is_hub_source(source: str) -> bool:
    return source.startswith(HF_SCHEME)


@dataclass(frozen=True)
class HubFile:
    """One file of a Hub model repo."""

    repo_id: str
    filename: str
    revision: str | None = None

    @classmethod
    def parse(cls, source: str) -> HubFile:
        parts = source[len(HF_SCHEME) :].split("/", 2)
        if len(parts) < 3 or not all(parts):
            raise CheckpointError(
                f"{source!r} names no file: write hf://org/repo/path/to/file.safetensors "
                "(optionally hf://org/repo@revision/file)"
            )
        org, repo, filename = parts
        repo, _, revision = repo.partition("@")
        return cls(f"{org}/{repo}", filename, revision or None)

    def sibling(self, name: str) -> HubFile:
        """A file next to this one (a shard named by an index)."""
        folder = PurePosixPath(self.filename).parent
        return HubFile(self.repo_id, str(folder / name) if str(folder) != "." else name, self.revision)

    def uri(self) -> str:
        revision = f"@{self.revision}" if self.revision else ""
        return f"{HF_SCHEME}{self.repo_id}{revision}/{self.filename}"

    def download(self) -> Path:
        """The local path of this file in the HF cache, downloading it when missing and online."""
        try:
            return Path(hf_hub_download(self.repo_id, self.filename, revision=self.revision))
        except LocalEntryNotFoundError:
            raise CheckpointError(
                f"{self.uri()} is not in the local Hugging Face cache and cannot be downloaded "
                "(offline: HF_HUB_OFFLINE is set, or no network); download it once while online "
                "or give the path of a local copy"
            ) from None
        except GatedRepoError:
            raise CheckpointError(
                f"{self.uri()} is in a gated repo: accept its license on huggingface.co and log in "
                "with `hf auth login` (or set HF_TOKEN)"
            ) from None
        except RepositoryNotFoundError:
            raise CheckpointError(
                f"Hugging Face repo {self.repo_id!r} not found (or private: log in with `hf auth login`)"
            ) from None
        except RevisionNotFoundError:
            raise CheckpointError(f"revision {self.revision!r} not found in Hugging Face repo {self.repo_id!r}") from None
        except EntryNotFoundError:
            raise CheckpointError(f"Hugging Face repo {self.repo_id!r} has no file {self.filename!r}") from None
