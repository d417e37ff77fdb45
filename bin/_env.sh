# Shared by bin/run and bin/test: find Python >= 3.12, build .venv, install the project.
# Sourced, not executed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    if [ -n "${MANDATE_PYTHON:-}" ]; then
        if python_ok "$MANDATE_PYTHON"; then echo "$MANDATE_PYTHON"; return 0; fi
        echo "MANDATE_PYTHON=$MANDATE_PYTHON is not a working Python 3.12 or newer." >&2
        return 1
    fi
    for candidate in python3.14 python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$(command -v "$candidate")"; then
            command -v "$candidate"; return 0
        fi
    done
    local pyenv_root="${PYENV_ROOT:-}"
    if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
        pyenv_root="$(pyenv root 2>/dev/null || true)"
    fi
    [ -n "$pyenv_root" ] || pyenv_root="$HOME/.pyenv"
    for candidate in "$pyenv_root"/versions/3.1[4-9]*/bin/python3 \
                     "$pyenv_root"/versions/3.13*/bin/python3 \
                     "$pyenv_root"/versions/3.12*/bin/python3 \
                     /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        if [ -x "$candidate" ] && python_ok "$candidate"; then echo "$candidate"; return 0; fi
    done
    cat >&2 <<MSG
Mandate needs Python 3.12 or newer (Django 6.1 requires it), with venv and ensurepip.
Looked on PATH (python3.14, python3.13, python3.12, python3), in $pyenv_root/versions/,
and in /usr/bin and /usr/local/bin. Install one of them, or point MANDATE_PYTHON at it:
    MANDATE_PYTHON=/path/to/python3.12 $0
MSG
    return 1
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
        local python
        python="$(find_python)"
        echo "==> Creating .venv with $python ($("$python" --version 2>&1))"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    # Reinstall only when the declared dependencies change.
    local stamp="$VENV/.installed" want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "==> Installing dependencies into .venv"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        # The project runs from its folder; only its declared dependencies are installed.
        "$VENV/bin/python" -c 'import tomllib
p = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > "$VENV/requirements.txt"
        "$VENV/bin/python" -m pip install --quiet -r "$VENV/requirements.txt"
        echo "$want" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
    mkdir -p "$ROOT/var"
}
