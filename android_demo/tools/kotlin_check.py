"""Compile and test the Android demo's Kotlin without an Android SDK: the core module and its JUnit tests,
and the app's sources against the stub classes in ``android_demo/stubs``.

Tools: a JDK (``javac``, ``java``), the JetBrains compiler from the npm package ``kotlin-compiler``, and
Debian's ``junit4`` and ``libgoogle-gson-java`` jars. Compiled output is cached under
``~/.cache/sapiens2-android/build`` by a hash of its sources, so a second run only runs the tests. The
last line printed is ``N passed, N failed``; the exit code is 0 only when everything compiled and passed.

Usage: ``python android_demo/tools/kotlin_check.py`` (``--find-tools`` only says which tools are missing).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1]
REPO = DEMO.parent
CACHE = Path(os.environ.get("SAPIENS2_ANDROID_CACHE", Path.home() / ".cache" / "sapiens2-android"))
KOTLIN_COMPILER_VERSION = "2.4.20"
JARS = {"junit": "junit4.jar", "hamcrest": "hamcrest-core.jar", "gson": "gson.jar"}
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)


@dataclass(frozen=True)
class Tools:
    kotlinc: Path
    javac: Path
    java: Path
    jars: dict[str, Path]


def find_tools() -> tuple[Tools | None, list[str]]:
    """The toolchain, or None and what is missing (with the command that installs it)."""
    missing = []
    kotlinc = _kotlinc()
    if kotlinc is None:
        missing.append(f"kotlinc (npm install --prefix {CACHE / 'npm'} kotlin-compiler@{KOTLIN_COMPILER_VERSION})")
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        missing.append("a JDK (apt-get install default-jdk-headless)")
    jars = {name: Path("/usr/share/java") / file for name, file in JARS.items()}
    missing += [f"{jar} (apt-get install junit4 libgoogle-gson-java)" for jar in jars.values() if not jar.is_file()]
    if missing:
        return None, missing
    return Tools(kotlinc, Path(javac), Path(java), jars), []


def _kotlinc() -> Path | None:
    for candidate in (
        os.environ.get("KOTLINC"),
        CACHE / "npm" / "node_modules" / "kotlin-compiler" / "bin" / "kotlinc",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    found = shutil.which("kotlinc")
    return Path(found) if found else None


def _sources(folder: Path, suffix: str) -> list[Path]:
    return sorted(folder.rglob(f"*{suffix}"))


def _cached(step: str, inputs: list[Path], build) -> Path:
    """Output folder of ``build(out)``, rebuilt only when a source (or this script) changed."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in inputs:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    out = CACHE / "build" / f"{step}-{digest.hexdigest()[:16]}"
    if not (out / ".done").exists():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        build(out)
        (out / ".done").touch()
    return out


def _run(command: list[str | Path], what: str) -> None:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{what} failed:\n{result.stdout}{result.stderr}")


class BuildError(Exception):
    """A compile step failed; the message holds the compiler's output."""


def _kotlin(tools: Tools, sources: list[Path], classpath: list[Path], out: Path, what: str) -> None:
    path = os.pathsep.join(str(p) for p in classpath)
    _run([tools.kotlinc, "-jvm-target", "17", "-Werror", "-cp", path, "-d", out, *sources], what)


def build_core(tools: Tools) -> tuple[Path, Path]:
    """Compiled classes of the core module and of its tests."""
    main = _sources(DEMO / "core" / "src" / "main", ".kt")
    core = _cached("core", main, lambda out: _kotlin(tools, main, [tools.jars["gson"]], out, "core"))
    tests = _sources(DEMO / "core" / "src" / "test", ".kt")
    test_path = [core, *tools.jars.values()]
    core_tests = _cached("core-tests", main + tests, lambda out: _kotlin(tools, tests, test_path, out, "core tests"))
    return core, core_tests


def check_app(tools: Tools, core: Path) -> tuple[int, int]:
    """Compile the app's Kotlin against the Android/CameraX/ExecuTorch stubs: (app files, stub classes)."""
    stubs = _sources(DEMO / "stubs", ".java")
    stub_classes = _cached("stubs", stubs, lambda out: _run([tools.javac, "-d", out, *stubs], "stubs"))
    app = _sources(DEMO / "app" / "src" / "main", ".kt")
    classpath = [stub_classes, core, tools.jars["gson"]]
    _cached("app", stubs + app + _sources(DEMO / "core" / "src" / "main", ".kt"),
            lambda out: _kotlin(tools, app, classpath, out, "app against the stubs"))  # fmt: skip
    return len(app), len(stubs)


def run_core_tests(tools: Tools, core: Path, core_tests: Path, manifests: Path | None = None) -> str:
    """Run every ``*Test`` class of the core module; the runner's output ends with ``N passed, N failed``."""
    names = sorted(
        f"org.sapiens2.core.{match}"
        for path in _sources(DEMO / "core" / "src" / "test", ".kt")
        for match in re.findall(r"^class (\w+Test)\b", path.read_text(), re.MULTILINE)
    )
    classpath = os.pathsep.join(str(p) for p in (core_tests, core, *tools.jars.values(), _kotlin_stdlib(tools)))
    properties = [f"-Dsapiens2.golden={REPO / 'tests' / 'golden'}", f"-Dsapiens2.data={REPO / 'sdk' / 'data'}"]
    if manifests is not None:
        properties.append(f"-Dsapiens2.manifests={manifests}")
    result = subprocess.run(
        [str(tools.java), *properties, "-cp", classpath, "org.sapiens2.core.CountingRunnerKt", *names],
        capture_output=True,
        text=True,
    )
    return result.stdout + result.stderr


def _kotlin_stdlib(tools: Tools) -> Path:
    return tools.kotlinc.resolve().parents[1] / "lib" / "kotlin-stdlib.jar"


def _sdk_manifests(folder: Path) -> Path:
    """Pose and seg manifests written by the installed SDK, through the helper tests/test_android_demo.py uses."""
    sys.path[:0] = [str(REPO / "tests")]
    from test_android_demo import write_manifests

    write_manifests(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--find-tools", action="store_true", help="only report missing tools (exit 1 if any)")
    parser.add_argument(
        "--manifests",
        type=Path,
        help="folder of SDK-written manifests (default: written now by the test suite's helper)",
    )
    args = parser.parse_args(argv)
    tools, missing = find_tools()
    if tools is None:
        print("missing: " + "; ".join(missing), file=sys.stderr)
        return 1
    if args.find_tools:
        return 0
    try:
        core, core_tests = build_core(tools)
        files, stubs = check_app(tools, core)
    except BuildError as error:
        print(error, file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    print(f"app: {files} Kotlin files compiled against {stubs} stub classes")
    with tempfile.TemporaryDirectory() as scratch:
        manifests = args.manifests or _sdk_manifests(Path(scratch))
        output = run_core_tests(tools, core, core_tests, manifests)
    print(output.rstrip())
    summary = SUMMARY.findall(output)
    return 0 if summary and summary[-1][1] == "0" else 1


if __name__ == "__main__":
    sys.exit(main())
