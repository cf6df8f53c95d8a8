#!/usr/bin/env bash
# make-certs.sh: a CA and a serving certificate for phalanx-webhook.
#
#   certs/make-certs.sh --out DIR [--service phalanx-webhook-service] [--namespace phalanx-system]
#                       [--dns NAME]... [--ip ADDR]... [--days 365] [--reuse-ca] [--client CN]
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/tls.crt, DIR/tls.key (EC P-256) and prints the caBundle (base64 of
# ca.crt, one line) on stdout, ready for the webhook configurations' clientConfig.caBundle.
# The serving certificate's subjectAltNames are what the API server checks:
#   DNS <service>.<namespace>.svc, <service>.<namespace>.svc.cluster.local, <service>.<namespace>,
#   <service>, plus every --dns and --ip.
# --reuse-ca keeps an existing DIR/ca.{crt,key} and only issues a new serving certificate (a rotation:
# new serial, same trust). tls.crt and tls.key are replaced by rename, so a server watching them never
# reads a half-written file. --client CN also issues a client certificate (DIR/client.crt, client.key;
# extendedKeyUsage clientAuth) from the same CA, e.g. for kube-scheduler calling phalanx-extender with
# --client-ca-file. Keys are for development and tests: never commit them.
set -euo pipefail

out=""
service="phalanx-webhook-service"
namespace="phalanx-system"
days=365
reuse_ca=0
client=""
dns=()
ips=()

usage() { sed -n '2,18p' "$0" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --service) service="$2"; shift 2 ;;
    --namespace) namespace="$2"; shift 2 ;;
    --dns) dns+=("$2"); shift 2 ;;
    --ip) ips+=("$2"); shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --reuse-ca) reuse_ca=1; shift ;;
    --client) client="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "make-certs.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n "$out" ]] || usage
command -v openssl >/dev/null || { echo "make-certs.sh: openssl not found" >&2; exit 1; }

mkdir -p "$out"
umask 077
work="$(mktemp -d "$out/.make-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ $reuse_ca -eq 0 || ! -s "$out/ca.crt" || ! -s "$out/ca.key" ]]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$work/ca.key" -sha256 -days 3650 \
    -subj "/O=phalanx/CN=phalanx-webhook-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$work/ca.crt" 2>/dev/null
  mv -f "$work/ca.key" "$out/ca.key"
  mv -f "$work/ca.crt" "$out/ca.crt"
fi

san="DNS:${service}.${namespace}.svc,DNS:${service}.${namespace}.svc.cluster.local"
san+=",DNS:${service}.${namespace},DNS:${service}"
for d in "${dns[@]+"${dns[@]}"}"; do san+=",DNS:${d}"; done
for i in "${ips[@]+"${ips[@]}"}"; do san+=",IP:${i}"; done

cat > "$work/ext.cnf" <<CNF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=${san}
CNF

openssl ecparam -name prime256v1 -genkey -noout -out "$work/tls.key" 2>/dev/null
openssl req -new -key "$work/tls.key" -subj "/O=phalanx/CN=${service}.${namespace}.svc" \
  -out "$work/tls.csr" 2>/dev/null
openssl x509 -req -in "$work/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 \
  -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null

chmod 0644 "$work/tls.crt"
mv -f "$work/tls.crt" "$out/tls.crt"
mv -f "$work/tls.key" "$out/tls.key"

if [[ -n "$client" ]]; then
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
    > "$work/client.cnf"
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/client.key" 2>/dev/null
  openssl req -new -key "$work/client.key" -subj "/O=phalanx/CN=${client}" -out "$work/client.csr" 2>/dev/null
  openssl x509 -req -in "$work/client.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 \
    -extfile "$work/client.cnf" -out "$work/client.crt" 2>/dev/null
  chmod 0644 "$work/client.crt"
  mv -f "$work/client.crt" "$out/client.crt"
  mv -f "$work/client.key" "$out/client.key"
fi

base64 -w0 < "$out/ca.crt"
echo
