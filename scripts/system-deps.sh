#!/bin/sh
# Debian packages the public site needs beyond Python: checks first (fast when all present),
# installs what is missing with apt-get when run as root, otherwise says what to install.
#   chromium            browser tests of the citizen path (Playwright drives /usr/bin/chromium)
#   fonts-noto-cjk      Chinese font for PDF credit reports (without one: empty boxes, no error)
#   libharfbuzz-subset0 font subsetting for WeasyPrint (without it: ~7 s per report page)
#   poppler-utils       pdftotext/pdfimages to check reports in tests
#   gettext             msgfmt for `manage.py compilemessages` (compiled .mo files are committed)
#   openssl             the documented offline check of a report signature
set -u
missing=""
# Debian's own python3 creates virtualenvs only with python3-venv (ensurepip) installed.
"${PYTHON:-python3}" -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$missing python3-venv"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    missing="$missing fonts-noto-cjk"
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so'; then
    missing="$missing libharfbuzz-subset0"
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1\.0\.so'; then
    missing="$missing libpangoft2-1.0-0"  # WeasyPrint's text layout
fi
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v msgfmt >/dev/null 2>&1 || missing="$missing gettext"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"

if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "system-deps: apt-get install$missing failed" >&2
        exit 1
    }
    exit 0
fi
echo "system-deps: MISSING Debian packages:$missing" >&2
echo "system-deps: install them with: sudo apt-get install$missing" >&2
echo "system-deps: (PDF reports refuse to run without a CJK font; browser tests fail without chromium)" >&2
exit 0
