#!/usr/bin/env bash
# Self-signed TLS certificate for nginx (tests, staging, a first start before real certificates).
#   deploy/make-self-signed-cert.sh [DIR=deploy/certs] [HOST=localhost] [DAYS=365]
# Writes DIR/fullchain.pem and DIR/privkey.pem (mode 600). For production replace them with real ones (e.g.
# certbot's fullchain.pem/privkey.pem) and reload nginx: docker-compose exec nginx nginx -s reload.
set -euo pipefail
dir="${1:-deploy/certs}"
host="${2:-localhost}"
days="${3:-365}"
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -subj "/CN=${host}" \
  -addext "subjectAltName=DNS:${host},DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
chmod 644 "$dir/fullchain.pem"
echo "Wrote $dir/fullchain.pem and $dir/privkey.pem for ${host} (valid ${days} days)."
