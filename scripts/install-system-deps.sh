#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real (browser, media, independent checkers, nginx).
# Idempotent: does nothing when every tool is already there. Needs root (or sudo) only when something is missing.
set -euo pipefail
declare -A PKG=(
  [chromium]=chromium [chromedriver]=chromium-driver [ffmpeg]=ffmpeg [oathtool]=oathtool
  [pdftoppm]=poppler-utils [pdftotext]=poppler-utils [nginx]=nginx-light [docker-compose]=docker-compose
)
missing=()
for tool in "${!PKG[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("${PKG[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "Installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
